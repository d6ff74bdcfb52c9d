// `fuze --version`: fuze's version (CMake's project(VERSION)), the libtorch it
// was built against (its headers' TORCH_VERSION), and the backends usable here
// (make_backend's answer for each kind; the x86 ISA levels from CPUID).
#include <torch/version.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "fuze/backend.h"
#include "fuze/fuze.h"

namespace fuze::cli {

int version_main() {
  std::printf("fuze %s\n", FUZE_VERSION);
  std::printf("libtorch %s (built against)\n", TORCH_VERSION);
  std::printf("backends:\n");
  for (BackendKind kind : {BackendKind::kInterp, BackendKind::kX86, BackendKind::kCuda}) {
    std::unique_ptr<Backend> backend;
    const Status st = make_backend(kind, &backend);
    std::string detail;
    if (!st) {
      detail = "no (" + st.message() + ")";
    } else if (kind == BackendKind::kInterp) {
      detail = "yes (portable C++, the reference; runs when chosen)";
    } else if (kind == BackendKind::kX86) {
      detail = "yes";
      detail += ", ISA levels on this CPU:";
      for (const std::string& isa : cpu_isa_levels()) detail += " " + isa;
      detail += "; in use: " + cpu_isa() + " (FUZE_X86_ISA caps it)";
    } else {
      detail = "yes";
    }
    std::printf("  %-7s %s\n", backend_name(kind), detail.c_str());
  }
  std::printf("default backend: %s\n", backend_name(default_options().backend));
  return 0;
}

}  // namespace fuze::cli
