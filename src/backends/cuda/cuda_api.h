// NVRTC and the CUDA driver API opened at run time with dlopen. No CUDA
// header is included anywhere in fuze: the few C prototypes used are declared
// here, so building fuze never needs the toolkit. Each library is loaded once
// per process (thread-safe); a missing library or symbol leaves `error` set.
#pragma once

#include <cstddef>
#include <string>

namespace fuze::cuda {

// --- NVRTC (libnvrtc.so.13 / .12 / libnvrtc.so) ------------------------------
using NvrtcResult = int;  // nvrtcResult; 0 = NVRTC_SUCCESS
using NvrtcProgram = struct NvrtcProgramOpaque*;

struct NvrtcApi {
  bool loaded = false;
  std::string error;  // why not loaded
  std::string path;   // the library that was opened
  int major = 0, minor = 0;
  NvrtcResult (*version)(int*, int*) = nullptr;
  NvrtcResult (*create_program)(NvrtcProgram*, const char*, const char*, int, const char* const*,
                                const char* const*) = nullptr;
  NvrtcResult (*compile_program)(NvrtcProgram, int, const char* const*) = nullptr;
  NvrtcResult (*destroy_program)(NvrtcProgram*) = nullptr;
  NvrtcResult (*get_ptx_size)(NvrtcProgram, size_t*) = nullptr;
  NvrtcResult (*get_ptx)(NvrtcProgram, char*) = nullptr;
  NvrtcResult (*get_cubin_size)(NvrtcProgram, size_t*) = nullptr;
  NvrtcResult (*get_cubin)(NvrtcProgram, char*) = nullptr;
  NvrtcResult (*get_log_size)(NvrtcProgram, size_t*) = nullptr;
  NvrtcResult (*get_log)(NvrtcProgram, char*) = nullptr;
  const char* (*get_error_string)(NvrtcResult) = nullptr;
};

// FUZE_NVRTC_PATH (a file) is tried first, then /usr/local/cuda/lib64, then
// the system search path.
const NvrtcApi& nvrtc_api();

// --- CUDA driver (libcuda.so.1) -----------------------------------------------
using CuResult = int;  // CUresult; 0 = CUDA_SUCCESS
using CuDevice = int;
using CuDevicePtr = unsigned long long;
using CuContext = struct CuContextOpaque*;
using CuModule = struct CuModuleOpaque*;
using CuFunction = struct CuFunctionOpaque*;
using CuStream = struct CuStreamOpaque*;

constexpr int kCuAttrMultiprocessorCount = 16;
constexpr int kCuAttrComputeCapabilityMajor = 75;
constexpr int kCuAttrComputeCapabilityMinor = 76;

struct DriverApi {
  bool loaded = false;
  std::string error;
  CuResult (*init)(unsigned) = nullptr;
  CuResult (*driver_get_version)(int*) = nullptr;
  CuResult (*device_get_count)(int*) = nullptr;
  CuResult (*device_get)(CuDevice*, int) = nullptr;
  CuResult (*device_get_attribute)(int*, int, CuDevice) = nullptr;
  CuResult (*device_get_name)(char*, int, CuDevice) = nullptr;
  CuResult (*primary_ctx_retain)(CuContext*, CuDevice) = nullptr;
  CuResult (*ctx_set_current)(CuContext) = nullptr;
  CuResult (*ctx_synchronize)() = nullptr;
  CuResult (*module_load_data)(CuModule*, const void*) = nullptr;
  CuResult (*module_unload)(CuModule) = nullptr;
  CuResult (*module_get_function)(CuFunction*, CuModule, const char*) = nullptr;
  CuResult (*launch_kernel)(CuFunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                            CuStream, void**, void**) = nullptr;
  CuResult (*mem_alloc)(CuDevicePtr*, size_t) = nullptr;
  CuResult (*mem_free)(CuDevicePtr) = nullptr;
  CuResult (*memcpy_htod)(CuDevicePtr, const void*, size_t) = nullptr;
  CuResult (*memcpy_dtoh)(void*, CuDevicePtr, size_t) = nullptr;
  CuResult (*get_error_string)(CuResult, const char**) = nullptr;
};

// libcuda.so.1 (never the toolkit's link stub); FUZE_CUDA_DRIVER_PATH overrides.
const DriverApi& driver_api();

std::string nvrtc_error(NvrtcResult r);
std::string cu_error(CuResult r);

}  // namespace fuze::cuda
