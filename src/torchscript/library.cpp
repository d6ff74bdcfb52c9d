// libfuze_torchscript.so: fuze for any libtorch host that knows nothing of it.
//
// Loading the library (torch.ops.load_library in Python, dlopen or LD_PRELOAD
// or a link in C++, a serving engine's custom-op library setting) is all it
// takes: its initializer calls fuze::enable(), so every TorchScript module the
// process optimizes from then on runs fused. FUZE_TORCHSCRIPT=0 (or off)
// loads it switched off. Everything inside is hidden except
//   - the TorchScript operators fuze::stats() -> Dict(str, int),
//     fuze::reset_stats() and fuze::set_enabled(bool) -> bool, callable from
//     Python (torch.ops.fuze.stats()) and from TorchScript code;
//   - three C functions for C++ hosts that want the counters without torch's
//     dispatcher: fuze_torchscript_version(), fuze_torchscript_enabled() and
//     fuze_torchscript_counter(name) (-1 for an unknown name).
#include <torch/library.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuze/fuze.h"

namespace {

// The counters by name, as fuze.stats() names them in Python.
c10::Dict<std::string, int64_t> stats_dict() {
  const fuze::Stats s = fuze::stats();
  c10::Dict<std::string, int64_t> d;
  d.insert("hits", static_cast<int64_t>(s.hits));
  d.insert("misses", static_cast<int64_t>(s.misses));
  d.insert("compiles", static_cast<int64_t>(s.compiles));
  d.insert("compile_failures", static_cast<int64_t>(s.compile_failures));
  d.insert("fallbacks", static_cast<int64_t>(s.fallbacks));
  d.insert("evictions", static_cast<int64_t>(s.evictions));
  d.insert("kernel_calls", static_cast<int64_t>(s.kernel_calls));
  d.insert("compile_us", static_cast<int64_t>(s.compile_us));
  d.insert("enabled", fuze::is_enabled() ? 1 : 0);
  return d;
}

bool set_enabled(bool on) {
  const bool was = fuze::is_enabled();
  if (on) {
    fuze::enable();
  } else {
    fuze::disable();
  }
  return was;
}

bool switched_off_by_environment() {
  const char* v = std::getenv("FUZE_TORCHSCRIPT");
  if (v == nullptr) return false;
  return std::strcmp(v, "0") == 0 || std::strcmp(v, "off") == 0 || std::strcmp(v, "OFF") == 0 ||
         std::strcmp(v, "false") == 0;
}

// Runs when the library is loaded. An exception escaping a static initializer
// would terminate the host, so a failure is said on stderr and the host goes on
// unfused.
struct EnableOnLoad {
  EnableOnLoad() {
    if (switched_off_by_environment()) return;
    try {
      fuze::enable();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuze: libfuze_torchscript loaded but not enabled: %s\n", e.what());
    }
  }
};
const EnableOnLoad enable_on_load;

}  // namespace

TORCH_LIBRARY_FRAGMENT(fuze, m) {
  m.def("stats() -> Dict(str, int)", &stats_dict);
  m.def("reset_stats() -> ()", [] { fuze::reset_stats(); });
  m.def("set_enabled(bool on) -> bool", &set_enabled);
}

extern "C" {

__attribute__((visibility("default"))) const char* fuze_torchscript_version() { return FUZE_VERSION; }

__attribute__((visibility("default"))) int fuze_torchscript_enabled() { return fuze::is_enabled() ? 1 : 0; }

__attribute__((visibility("default"))) int64_t fuze_torchscript_counter(const char* name) {
  if (name == nullptr) return -1;
  const c10::Dict<std::string, int64_t> d = stats_dict();
  const auto it = d.find(name);
  return it == d.end() ? -1 : it->value();
}

}  // extern "C"
