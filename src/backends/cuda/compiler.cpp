// NVRTC compile + on-disk cache (see compiler.h).
#include "backends/cuda/compiler.h"

#include <chrono>

#include "backends/cuda/cuda_api.h"
#include "support/fault.h"
#include "support/log.h"

#ifndef FUZE_VERSION_STRING
#define FUZE_VERSION_STRING "unknown"
#endif

namespace fuze::cuda {

bool parse_arch(const std::string& arch, int* number) {
  if (arch.size() < 4 || arch.compare(0, 3, "sm_") != 0) return false;
  int n = 0;
  for (size_t i = 3; i < arch.size(); ++i) {
    if (arch[i] < '0' || arch[i] > '9') return false;
    n = n * 10 + (arch[i] - '0');
  }
  *number = n;
  return n > 0;
}

std::vector<std::string> nvrtc_options(const std::string& arch, bool cubin) {
  int n = 0;
  parse_arch(arch, &n);
  return {cubin ? "-arch=sm_" + std::to_string(n) : "-arch=compute_" + std::to_string(n),
          "-std=c++17",
          "-prec-div=true",
          "-prec-sqrt=true",
          "-ftz=false",
          "-fmad=false",
          "-default-device"};
}

std::string cache_key(const std::string& source, const std::string& arch, bool cubin) {
  const NvrtcApi& api = nvrtc_api();
  uint64_t h = fnv1a64(source.data(), source.size());
  for (const std::string& o : nvrtc_options(arch, cubin)) h = fnv1a64(o.data(), o.size() + 1, h);  // + the NUL
  return std::string("fuze ") + FUZE_VERSION_STRING + " nvrtc " + std::to_string(api.major) + "." +
         std::to_string(api.minor) + " " + arch + (cubin ? " cubin" : " ptx") + " src " + hex64(h) + " len " +
         std::to_string(source.size());
}

Status nvrtc_compile(const std::string& source, const std::string& program_name, const std::string& arch, bool cubin,
                     ProgramBinary* out) {
  if (support::fault(support::Fault::kNvrtcMissing)) return Status::unavailable("cuda: libnvrtc not found (injected fault nvrtc_missing)");
  const NvrtcApi& api = nvrtc_api();
  if (!api.loaded) return Status::unavailable(api.error);
  int arch_number = 0;
  if (!parse_arch(arch, &arch_number)) return Status::error("cuda: bad architecture '" + arch + "' (want sm_XX)");
  auto t0 = std::chrono::steady_clock::now();
  NvrtcProgram prog = nullptr;
  NvrtcResult r = api.create_program(&prog, source.c_str(), (program_name + ".cu").c_str(), 0, nullptr, nullptr);
  if (r != 0) return Status::error("cuda: nvrtcCreateProgram: " + nvrtc_error(r));
  std::vector<std::string> opts = nvrtc_options(arch, cubin);
  std::vector<const char*> argv;
  for (const std::string& o : opts) argv.push_back(o.c_str());
  r = api.compile_program(prog, static_cast<int>(argv.size()), argv.data());
  if (r == 0 && support::fault(support::Fault::kNvrtcFail)) r = 6;  // NVRTC_ERROR_COMPILATION (test-only)
  count_nvrtc_compile();
  std::string log;
  size_t log_size = 0;
  if (api.get_log_size(prog, &log_size) == 0 && log_size > 1) {
    log.resize(log_size);
    api.get_log(prog, &log[0]);
    log.resize(log_size - 1);
  }
  if (r != 0) {
    api.destroy_program(&prog);
    return Status::compile_failed("cuda: NVRTC failed to compile " + program_name + " for " + arch + ": " + nvrtc_error(r) +
                         "\n" + log);
  }
  size_t size = 0;
  std::string payload;
  r = cubin ? api.get_cubin_size(prog, &size) : api.get_ptx_size(prog, &size);
  if (r == 0) {
    payload.resize(size);
    r = cubin ? api.get_cubin(prog, &payload[0]) : api.get_ptx(prog, &payload[0]);
  }
  api.destroy_program(&prog);
  if (r != 0) return Status::error(std::string("cuda: nvrtcGet") + (cubin ? "CUBIN" : "PTX") + ": " + nvrtc_error(r));
  if (!cubin && !payload.empty() && payload.back() == '\0') payload.pop_back();  // PTX text without its NUL
  out->payload = std::move(payload);
  out->cubin = cubin;
  out->arch = arch;
  out->log = std::move(log);
  out->from_disk = false;
  out->compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  FUZE_LOG(kDebug) << "cuda: NVRTC compiled " << program_name << " for " << arch << " in " << out->compile_ms << " ms";
  return Status::ok();
}

Status compile_cached(DiskCache* cache, const std::string& source, const std::string& program_name,
                      const std::string& arch, bool cubin, ProgramBinary* out) {
  if (support::fault(support::Fault::kNvrtcMissing)) return Status::unavailable("cuda: libnvrtc not found (injected fault nvrtc_missing)");
  const NvrtcApi& api = nvrtc_api();
  if (!api.loaded) return Status::unavailable(api.error);  // the key needs NVRTC's version
  std::string key = cache_key(source, arch, cubin);
  if (cache) {
    std::string payload;
    if (cache->load(key, &payload) == DiskCache::Lookup::kHit) {
      out->payload = std::move(payload);
      out->cubin = cubin;
      out->arch = arch;
      out->log.clear();
      out->key = key;
      out->compile_ms = 0.0;
      out->from_disk = true;
      return Status::ok();
    }
  }
  FUZE_TRY(nvrtc_compile(source, program_name, arch, cubin, out));
  out->key = key;
  if (cache) {
    Status s = cache->store(key, out->payload);
    if (!s) {
      FUZE_LOG(kWarn) << s.message();
    }
  }
  return Status::ok();
}

}  // namespace fuze::cuda
