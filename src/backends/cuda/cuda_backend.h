// The CUDA backend: kernel IR -> CUDA C (emitter.h) -> NVRTC (compiler.h,
// through the disk cache) -> cubin for the device's own architecture (PTX for
// the driver to JIT when NVRTC does not know that architecture) -> loaded and
// launched through the driver API. Everything CUDA is opened with dlopen.
//
// make_backend(kCuda) succeeds only with NVRTC, libcuda.so.1 and a device;
// otherwise it answers why ("cuda: libcuda.so.1 not found (no NVIDIA driver)").
//
// CompiledKernel::run for this backend: KernelArgs::data holds DEVICE
// pointers (from cuMemAlloc or a CUDA tensor); sizes, strides and scalars stay
// host memory. run() launches on the device's primary context, default
// stream, and returns after the kernel has finished (cuCtxSynchronize), so the
// caller may read the outputs at once. A launch or device fault aborts with
// the driver's message (run() has no error channel; compile() reports all
// expected failures as a Status).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "fuze/backend.h"

namespace fuze {

struct CudaCompileOptions {
  std::string arch = "sm_90";  // sm_XX
  bool cubin = true;           // produce a cubin for `arch`
  bool ptx = false;            // produce PTX (compute_XX) too
  bool use_disk_cache = false; // go through the on-disk cache
  std::string cache_dir;       // "" = the default directory (disk_cache.h)
};

struct CudaCompileOutput {
  std::string name;    // base entry name (the kernel's chain)
  std::string source;  // CUDA C, prelude included
  std::string cubin;
  std::string ptx;
  std::string log;
  double compile_ms = 0.0;  // NVRTC time over both outputs (0 when all came from disk)
  bool has_vec = false;     // a <name>_vec entry exists
};

// Emission only: no NVRTC needed.
Status cuda_emit_source(const ir::Kernel& kernel, std::string* source);

// Emits and compiles without a device (tests, FUZE_DUMP, ahead-of-time checks).
Status cuda_compile_only(const ir::Kernel& kernel, const CudaCompileOptions& options, CudaCompileOutput* out);

// ok, or why not: NVRTC can / a device can be used in this process.
Status cuda_nvrtc_status();
Status cuda_device_status();
// "sm_90" for device 0 (needs cuda_device_status() ok).
std::string cuda_device_arch();

Status make_cuda_backend(std::unique_ptr<Backend>* out);

// Device memory for tests and tools (need a device).
Status cuda_alloc(size_t bytes, void** device_ptr);
void cuda_free(void* device_ptr);
Status cuda_copy_to_device(void* device_dst, const void* host_src, size_t bytes);
Status cuda_copy_to_host(void* host_dst, const void* device_src, size_t bytes);

}  // namespace fuze
