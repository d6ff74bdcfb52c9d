// CUDA backend: device bring-up, module load, launch (see cuda_backend.h).
#include "backends/cuda/cuda_backend.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "backends/cuda/compiler.h"
#include "backends/cuda/cuda_api.h"
#include "backends/cuda/emitter.h"
#include "support/fault.h"
#include "support/log.h"

namespace fuze {
namespace {

using namespace cuda;

struct Device {
  Status status;
  CuDevice dev = 0;
  CuContext ctx = nullptr;
  int major = 0, minor = 0, sm_count = 1;
  std::string name;
};

const Device& device() {
  static const Device d = [] {
    Device d;
    const DriverApi& api = driver_api();
    if (!api.loaded) {
      d.status = Status::unavailable(api.error);
      return d;
    }
    CuResult r = api.init(0);
    if (r != 0) {
      d.status = Status::unavailable("cuda: cuInit failed: " + cu_error(r));
      return d;
    }
    int count = 0;
    if ((r = api.device_get_count(&count)) != 0 || count == 0) {
      d.status = Status::unavailable("cuda: no CUDA device");
      return d;
    }
    if ((r = api.device_get(&d.dev, 0)) != 0 ||
        (r = api.device_get_attribute(&d.major, kCuAttrComputeCapabilityMajor, d.dev)) != 0 ||
        (r = api.device_get_attribute(&d.minor, kCuAttrComputeCapabilityMinor, d.dev)) != 0 ||
        (r = api.device_get_attribute(&d.sm_count, kCuAttrMultiprocessorCount, d.dev)) != 0 ||
        (r = api.primary_ctx_retain(&d.ctx, d.dev)) != 0) {
      d.status = Status::unavailable("cuda: device 0 setup failed: " + cu_error(r));
      return d;
    }
    char name[256] = {0};
    api.device_get_name(name, sizeof name - 1, d.dev);
    d.name = name;
    FUZE_LOG(kInfo) << "cuda: device 0 " << d.name << " sm_" << d.major << d.minor << ", " << d.sm_count << " SMs";
    return d;
  }();
  return d;
}

Status make_current() {
  const Device& d = device();
  FUZE_TRY(d.status);
  CuResult r = driver_api().ctx_set_current(d.ctx);
  return r == 0 ? Status::ok() : Status::error("cuda: cuCtxSetCurrent: " + cu_error(r));
}

#define FUZE_CU_CHECK(call, what)                                                            \
  do {                                                                                       \
    CuResult fuze_cu_r_ = (call);                                                            \
    FUZE_CHECK(fuze_cu_r_ == 0, std::string("cuda: ") + (what) + ": " + cu_error(fuze_cu_r_)); \
  } while (0)

class CudaKernel final : public CompiledKernel {
 public:
  CudaKernel(EmittedKernel e, CuModule module, CuFunction f64, CuFunction f32, CuFunction fvec, double compile_us)
      : e_(std::move(e)), module_(module), f64_(f64), f32_(f32), fvec_(fvec), compile_us_(compile_us) {}
  ~CudaKernel() override {
    if (make_current()) driver_api().module_unload(module_);
  }
  const std::string& name() const override { return e_.name; }
  std::string listing() const override { return e_.source; }
  double compile_us() const override { return compile_us_; }

  bool runs_on_device() const override { return true; }

  void run(const KernelArgs& args, int64_t begin, int64_t end) const override {
    Status s = enqueue(args, begin, end, nullptr);
    FUZE_CHECK(s.is_ok(), s.message());
    FUZE_CU_CHECK(driver_api().ctx_synchronize(), "kernel " + e_.name);
  }

  Status run_async(const KernelArgs& args, void* stream) const override {
    // Row kernels count rows (CompiledKernel::run); enqueue clips the end.
    const int64_t end = e_.reduce_rank > 0 ? std::numeric_limits<int64_t>::max() : args.numel;
    return enqueue(args, 0, end, static_cast<CuStream>(stream));
  }

 private:
  // Launches [begin, end) on `stream`; the kernel parameters are copied by
  // cuLaunchKernel, so nothing here has to outlive the call.
  Status enqueue(const KernelArgs& args, int64_t begin, int64_t end, CuStream stream) const {
    if (args.rank != e_.rank) return Status::error("cuda: KernelArgs rank does not match the kernel " + e_.name);
    int64_t row_len = 1;  // row kernels: [begin, end) are rows of row_len elements
    if (e_.reduce_rank > 0) {
      int64_t num_rows = 1;
      for (int d = 0; d < e_.rank; ++d) (d < e_.rank - e_.reduce_rank ? num_rows : row_len) *= args.sizes[d];
      end = std::min(end, num_rows);
    }
    if (end <= begin) return Status::ok();
    FUZE_TRY(make_current());
    const int rank = std::max(e_.rank, 1);
    const int ns = std::max(e_.num_strided, 1);
    // FuzeShape<rank, ns>: sizes[rank] then strides[ns][rank], all int64.
    std::vector<int64_t> shape(static_cast<size_t>(rank + ns * rank), 0);
    for (int d = 0; d < rank; ++d) shape[static_cast<size_t>(d)] = e_.rank > 0 ? args.sizes[d] : 1;
    int64_t max_offset = 0;  // largest |offset| of a strided operand, for the int32 path
    const size_t n_ops = e_.operands.size();
    for (size_t op = 0; op < n_ops; ++op) {
      int slot = e_.operands[op].strided_slot;
      if (slot < 0) continue;
      int64_t extent = 0;
      for (int d = 0; d < e_.rank; ++d) {
        int64_t st = args.strides[op * static_cast<size_t>(e_.rank) + static_cast<size_t>(d)];
        shape[static_cast<size_t>(rank + slot * rank + d)] = st;
        extent += (args.sizes[d] > 0 ? args.sizes[d] - 1 : 0) * (st < 0 ? -st : st);
      }
      max_offset = std::max(max_offset, extent);
    }
    // Parameter values; kernelParams points at each.
    std::vector<uint64_t> values(n_ops);
    std::vector<void*> params;
    params.reserve(3 + n_ops);
    params.push_back(shape.data());
    params.push_back(&begin);
    params.push_back(&end);
    bool aligned = e_.has_vec;
    for (size_t op = 0; op < n_ops; ++op) {
      const OperandInfo& info = e_.operands[op];
      if (info.kind == ParamKind::kScalar) {
        std::memcpy(&values[op], &args.scalars[op], sizeof(double));
      } else {
        values[op] = reinterpret_cast<uintptr_t>(args.data[op]);
        if (!ir::is_uniform(info.layout))
          aligned = aligned && (values[op] + static_cast<uint64_t>(begin) * static_cast<uint64_t>(info.elem_size)) % 16 == 0;
      }
      params.push_back(&values[op]);
    }
    const int64_t n = end - begin;
    const int64_t max_blocks = static_cast<int64_t>(device().sm_count) * 8;  // 2048 threads per SM
    if (e_.reduce_rank > 0) {
      // Rows of at most kWarpRowMax elements: a warp each (N_warp, held in
      // f32_), else a block each (N); both stride over rows.
      const bool warp = row_len <= kWarpRowMax;
      const int64_t want = warp ? (n + kRowsPerBlock - 1) / kRowsPerBlock : n;
      const int64_t blocks = std::max<int64_t>(1, std::min(want, max_blocks));
      const CuResult r = driver_api().launch_kernel(warp ? f32_ : f64_, static_cast<unsigned>(blocks), 1, 1, kBlockSize, 1, 1,
                                                    0, stream, params.data(), nullptr);
      return r == 0 ? Status::ok() : Status::error("cuda: cuLaunchKernel " + e_.name + ": " + cu_error(r));
    }
    const int64_t items = aligned ? (n + e_.vec_width - 1) / e_.vec_width : n;
    const int64_t blocks = std::max<int64_t>(1, std::min<int64_t>((items + kBlockSize - 1) / kBlockSize, max_blocks));
    const int64_t threads = blocks * kBlockSize;
    const int64_t limit = int64_t{1} << 31;
    CuFunction f = f64_;
    if (aligned) {
      f = fvec_;
    } else if (end + threads < limit && max_offset < limit) {
      f = f32_;
    }
    const CuResult r = driver_api().launch_kernel(f, static_cast<unsigned>(blocks), 1, 1, kBlockSize, 1, 1, 0, stream,
                                                  params.data(), nullptr);
    return r == 0 ? Status::ok() : Status::error("cuda: cuLaunchKernel " + e_.name + ": " + cu_error(r));
  }

  EmittedKernel e_;
  CuModule module_;
  CuFunction f64_, f32_, fvec_;
  double compile_us_;
};

class CudaBackend final : public Backend {
 public:
  CudaBackend() : cache_(default_cache_dir()) {}
  BackendKind kind() const override { return BackendKind::kCuda; }

  Status compile(const ir::Kernel& kernel, std::unique_ptr<CompiledKernel>* out) override {
    auto t0 = std::chrono::steady_clock::now();
    EmittedKernel e;
    FUZE_TRY(emit_cuda(kernel, &e));
    const Device& d = device();
    FUZE_TRY(d.status);
    std::string arch = "sm_" + std::to_string(d.major * 10 + d.minor);
    ProgramBinary bin;
    Status s;
    {
      std::lock_guard<std::mutex> lock(mu_);  // the DiskCache object is not thread-safe
      s = compile_cached(&cache_, e.source, e.name, arch, true, &bin);
      if (!s) {
        // An NVRTC older than the device: PTX for the newest arch it accepts is
        // not knowable without a probe; compute_XX of the device itself is what
        // the driver JITs best, and fails the same way, so report both.
        Status p = compile_cached(&cache_, e.source, e.name, arch, false, &bin);
        if (!p) return Status::error(s.message() + "\n(PTX fallback: " + p.message() + ")", p.code());
      }
    }
    FUZE_TRY(make_current());
    const DriverApi& api = driver_api();
    CuModule module = nullptr;
    CuResult r = api.module_load_data(&module, bin.payload.c_str());
    if (r != 0) return Status::error("cuda: cuModuleLoadData(" + e.name + "): " + cu_error(r));
    CuFunction f64 = nullptr, f32 = nullptr, fvec = nullptr;
    r = api.module_get_function(&f64, module, e.name.c_str());
    // Row kernels: N (a block per row) and N_warp (a warp per row) in f64 / f32.
    if (r == 0) r = api.module_get_function(&f32, module, (e.name + (e.reduce_rank > 0 ? "_warp" : "_i32")).c_str());
    if (r == 0 && e.has_vec) r = api.module_get_function(&fvec, module, (e.name + "_vec").c_str());
    if (r != 0) {
      api.module_unload(module);
      return Status::error("cuda: cuModuleGetFunction(" + e.name + "): " + cu_error(r));
    }
    const char* dump = std::getenv("FUZE_DUMP");
    if (dump && std::strstr(dump, "cuda")) std::fprintf(stderr, "// fuze cuda kernel %s\n%s\n", e.name.c_str(), e.source.c_str());
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    *out = std::make_unique<CudaKernel>(std::move(e), module, f64, f32, fvec, us);
    return Status::ok();
  }

 private:
  std::mutex mu_;
  DiskCache cache_;
};

}  // namespace

Status cuda_emit_source(const ir::Kernel& kernel, std::string* source) {
  EmittedKernel e;
  FUZE_TRY(emit_cuda(kernel, &e));
  *source = std::move(e.source);
  return Status::ok();
}

Status cuda_compile_only(const ir::Kernel& kernel, const CudaCompileOptions& options, CudaCompileOutput* out) {
  *out = CudaCompileOutput();
  EmittedKernel e;
  FUZE_TRY(emit_cuda(kernel, &e));
  out->name = e.name;
  out->has_vec = e.has_vec;
  DiskCache cache(options.use_disk_cache ? (options.cache_dir.empty() ? default_cache_dir() : options.cache_dir) : "");
  DiskCache* c = options.use_disk_cache ? &cache : nullptr;
  for (bool cubin : {true, false}) {
    if (cubin ? !options.cubin : !options.ptx) continue;
    ProgramBinary bin;
    FUZE_TRY(compile_cached(c, e.source, e.name, options.arch, cubin, &bin));
    out->compile_ms += bin.compile_ms;
    if (!bin.log.empty()) out->log += bin.log;
    (cubin ? out->cubin : out->ptx) = std::move(bin.payload);
  }
  out->source = std::move(e.source);
  return Status::ok();
}

Status cuda_nvrtc_status() {
  if (support::fault(support::Fault::kNvrtcMissing)) return Status::unavailable("cuda: libnvrtc not found (injected fault nvrtc_missing)");
  const NvrtcApi& api = nvrtc_api();
  return api.loaded ? Status::ok() : Status::unavailable(api.error);
}

Status cuda_device_status() {
  if (support::fault(support::Fault::kDriverLoad)) return Status::unavailable("cuda: libcuda.so.1 not found (injected fault driver_load)");
  FUZE_TRY(cuda_nvrtc_status());
  return device().status;
}

std::string cuda_device_arch() {
  const Device& d = device();
  return d.status ? "sm_" + std::to_string(d.major * 10 + d.minor) : std::string();
}

Status make_cuda_backend(std::unique_ptr<Backend>* out) {
  FUZE_TRY(cuda_device_status());
  *out = std::make_unique<CudaBackend>();
  return Status::ok();
}

Status cuda_alloc(size_t bytes, void** device_ptr) {
  FUZE_TRY(make_current());
  CuDevicePtr p = 0;
  CuResult r = driver_api().mem_alloc(&p, bytes ? bytes : 1);
  if (r != 0) return Status::error("cuda: cuMemAlloc(" + std::to_string(bytes) + "): " + cu_error(r));
  *device_ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(p));
  return Status::ok();
}

void cuda_free(void* device_ptr) {
  if (device_ptr && make_current()) driver_api().mem_free(reinterpret_cast<uintptr_t>(device_ptr));
}

Status cuda_copy_to_device(void* device_dst, const void* host_src, size_t bytes) {
  FUZE_TRY(make_current());
  CuResult r = driver_api().memcpy_htod(reinterpret_cast<uintptr_t>(device_dst), host_src, bytes);
  return r == 0 ? Status::ok() : Status::error("cuda: cuMemcpyHtoD: " + cu_error(r));
}

Status cuda_copy_to_host(void* host_dst, const void* device_src, size_t bytes) {
  FUZE_TRY(make_current());
  CuResult r = driver_api().memcpy_dtoh(host_dst, reinterpret_cast<uintptr_t>(device_src), bytes);
  return r == 0 ? Status::ok() : Status::error("cuda: cuMemcpyDtoH: " + cu_error(r));
}

}  // namespace fuze
