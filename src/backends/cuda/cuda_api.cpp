// dlopen/dlsym of NVRTC and the driver (see cuda_api.h).
#include "backends/cuda/cuda_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <vector>

namespace fuze::cuda {
namespace {

template <class F>
bool bind(void* lib, const char* symbol, F* fn, std::string* missing) {
  void* p = dlsym(lib, symbol);
  if (!p) {
    if (missing->empty()) *missing = symbol;
    return false;
  }
  *fn = reinterpret_cast<F>(p);
  return true;
}

NvrtcApi load_nvrtc() {
  NvrtcApi api;
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("FUZE_NVRTC_PATH")) candidates.push_back(env);
  for (const char* dir : {"/usr/local/cuda/lib64/", ""})
    for (const char* name : {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"}) candidates.push_back(std::string(dir) + name);
  void* lib = nullptr;
  for (const std::string& c : candidates) {
    lib = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib) {
      api.path = c;
      break;
    }
  }
  if (!lib) {
    api.error = "cuda: libnvrtc not found (tried FUZE_NVRTC_PATH, /usr/local/cuda/lib64 and the system path)";
    return api;
  }
  std::string missing;
  bool ok = bind(lib, "nvrtcVersion", &api.version, &missing) &
            bind(lib, "nvrtcCreateProgram", &api.create_program, &missing) &
            bind(lib, "nvrtcCompileProgram", &api.compile_program, &missing) &
            bind(lib, "nvrtcDestroyProgram", &api.destroy_program, &missing) &
            bind(lib, "nvrtcGetPTXSize", &api.get_ptx_size, &missing) &
            bind(lib, "nvrtcGetPTX", &api.get_ptx, &missing) &
            bind(lib, "nvrtcGetCUBINSize", &api.get_cubin_size, &missing) &
            bind(lib, "nvrtcGetCUBIN", &api.get_cubin, &missing) &
            bind(lib, "nvrtcGetProgramLogSize", &api.get_log_size, &missing) &
            bind(lib, "nvrtcGetProgramLog", &api.get_log, &missing) &
            bind(lib, "nvrtcGetErrorString", &api.get_error_string, &missing);
  if (!ok) {
    api.error = "cuda: " + api.path + " lacks " + missing + " (NVRTC too old?)";
    return api;  // the handle stays open: harmless, and symbols may be in use
  }
  if (api.version(&api.major, &api.minor) != 0) {
    api.error = "cuda: nvrtcVersion failed in " + api.path;
    return api;
  }
  api.loaded = true;
  return api;
}

DriverApi load_driver() {
  DriverApi api;
  const char* env = std::getenv("FUZE_CUDA_DRIVER_PATH");
  std::string path = env ? env : "libcuda.so.1";
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    api.error = "cuda: " + path + " not found (no NVIDIA driver)";
    return api;
  }
  std::string missing;
  bool ok = bind(lib, "cuInit", &api.init, &missing) &
            bind(lib, "cuDriverGetVersion", &api.driver_get_version, &missing) &
            bind(lib, "cuDeviceGetCount", &api.device_get_count, &missing) &
            bind(lib, "cuDeviceGet", &api.device_get, &missing) &
            bind(lib, "cuDeviceGetAttribute", &api.device_get_attribute, &missing) &
            bind(lib, "cuDeviceGetName", &api.device_get_name, &missing) &
            bind(lib, "cuDevicePrimaryCtxRetain", &api.primary_ctx_retain, &missing) &
            bind(lib, "cuCtxSetCurrent", &api.ctx_set_current, &missing) &
            bind(lib, "cuCtxSynchronize", &api.ctx_synchronize, &missing) &
            bind(lib, "cuModuleLoadData", &api.module_load_data, &missing) &
            bind(lib, "cuModuleUnload", &api.module_unload, &missing) &
            bind(lib, "cuModuleGetFunction", &api.module_get_function, &missing) &
            bind(lib, "cuLaunchKernel", &api.launch_kernel, &missing) &
            bind(lib, "cuMemAlloc_v2", &api.mem_alloc, &missing) &
            bind(lib, "cuMemFree_v2", &api.mem_free, &missing) &
            bind(lib, "cuMemcpyHtoD_v2", &api.memcpy_htod, &missing) &
            bind(lib, "cuMemcpyDtoH_v2", &api.memcpy_dtoh, &missing) &
            bind(lib, "cuGetErrorString", &api.get_error_string, &missing);
  if (!ok) {
    api.error = "cuda: " + path + " lacks " + missing;
    return api;
  }
  api.loaded = true;
  return api;
}

}  // namespace

const NvrtcApi& nvrtc_api() {
  static const NvrtcApi api = load_nvrtc();
  return api;
}

const DriverApi& driver_api() {
  static const DriverApi api = load_driver();
  return api;
}

std::string nvrtc_error(NvrtcResult r) {
  const NvrtcApi& api = nvrtc_api();
  const char* s = api.get_error_string ? api.get_error_string(r) : nullptr;
  return s ? std::string(s) : "nvrtc error " + std::to_string(r);
}

std::string cu_error(CuResult r) {
  const DriverApi& api = driver_api();
  const char* s = nullptr;
  if (api.get_error_string) api.get_error_string(r, &s);
  return (s ? std::string(s) : "CUDA error") + " (" + std::to_string(r) + ")";
}

}  // namespace fuze::cuda
