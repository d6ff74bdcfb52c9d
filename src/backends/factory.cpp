// The explicit backend factory (no static self-registration): a kind compiled
// out of this build answers with an error saying so.
#include <memory>
#include <string>

#include "backends/interp/interp_backend.h"
#include "fuze/backend.h"
#include "fuze/core.h"
#if FUZE_HAVE_X86
#include "backends/x86/isa.h"
#endif

namespace fuze {

#if FUZE_HAVE_X86
// Defined in backends/x86 (declared here so the factory needs no x86 header).
Status make_x86_backend(std::unique_ptr<Backend>* out);
#endif
#if FUZE_HAVE_CUDA
// Defined in backends/cuda: available only with NVRTC, libcuda.so.1 and a device.
Status make_cuda_backend(std::unique_ptr<Backend>* out);
#endif

const char* backend_name(BackendKind kind) {
  switch (kind) {
    case BackendKind::kInterp: return "interp";
    case BackendKind::kX86: return "x86";
    case BackendKind::kCuda: return "cuda";
  }
  return "?";
}

unsigned native_ops(BackendKind kind) {
  switch (kind) {
    case BackendKind::kInterp: return ir::kInterp;
    case BackendKind::kX86: return ir::kX86;
    case BackendKind::kCuda: return ir::kCuda;
  }
  return 0;
}

bool parse_backend(std::string_view text, BackendKind* out) {
  for (BackendKind k : {BackendKind::kInterp, BackendKind::kX86, BackendKind::kCuda}) {
    if (text == backend_name(k)) {
      *out = k;
      return true;
    }
  }
  return false;
}

Status make_backend(BackendKind kind, std::unique_ptr<Backend>* out) {
  out->reset();
  switch (kind) {
    case BackendKind::kInterp: return make_interp_backend(out);
    case BackendKind::kX86:
#if FUZE_HAVE_X86
      return make_x86_backend(out);
#else
      return Status::unavailable("x86 backend not built in this version (configure with FUZE_WITH_X86=ON and asmjit)");
#endif
    case BackendKind::kCuda:
#if FUZE_HAVE_CUDA
      return make_cuda_backend(out);
#else
      return Status::unavailable("cuda backend not built in this version (configure with FUZE_WITH_CUDA=ON)");
#endif
  }
  return Status::unavailable("unknown backend kind " + std::to_string(static_cast<int>(kind)));
}

std::vector<std::string> cpu_isa_levels() {
  std::vector<std::string> out;
#if FUZE_HAVE_X86
  for (x86::Isa isa : x86::supported_isas()) out.emplace_back(x86::isa_name(isa));
#endif
  return out;
}

std::string cpu_isa() {
#if FUZE_HAVE_X86
  return x86::isa_name(x86::default_isa());
#else
  return "";
#endif
}

}  // namespace fuze
