#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/runtime.h"
#include "support/log.h"

namespace fuze::runtime {
namespace {

// Whether `kind` is built in and usable here (asked once per kind).
bool backend_usable(BackendKind kind) {
  std::unique_ptr<Backend> b;
  return make_backend(kind, &b).is_ok() && b != nullptr;
}

std::mutex& options_mu() {
  static std::mutex mu;
  return mu;
}

Options& current() {
  static Options o = default_options();
  return o;
}

}  // namespace

BackendKind default_cpu_backend() {
  static const bool x86_usable = backend_usable(BackendKind::kX86);
  return x86_usable ? BackendKind::kX86 : BackendKind::kInterp;
}

BackendKind default_backend() {
  BackendKind kind = default_cpu_backend();
  if (const char* env = std::getenv("FUZE_BACKEND"); env != nullptr && *env != '\0' && !parse_backend(env, &kind)) {
    static std::once_flag warned;  // every Options{} asks: say it once
    std::call_once(warned, [&] {
      FUZE_LOG(kWarn) << "FUZE_BACKEND=" << env << " not understood; use interp|x86|cuda (keeping "
                      << backend_name(kind) << ")";
    });
  }
  return kind;
}

bool default_fuse_reductions() {
  const char* env = std::getenv("FUZE_REDUCTIONS");
  return env == nullptr || std::strcmp(env, "0") != 0;
}

bool default_cuda_reductions() {
  const char* env = std::getenv("FUZE_REDUCTIONS");
  return env != nullptr && std::strcmp(env, "1") == 0;
}

Options default_options() { return Options{}; }

// options() is on every fused call's path: each thread keeps a copy and takes
// the lock only when set_options() has bumped the generation since.
namespace {
std::atomic<uint64_t>& generation() {
  static std::atomic<uint64_t> g{1};
  return g;
}
}  // namespace

Options options() {
  thread_local uint64_t seen = 0;
  thread_local Options copy;
  if (generation().load(std::memory_order_acquire) != seen) {
    std::lock_guard<std::mutex> lock(options_mu());
    copy = current();
    seen = generation().load(std::memory_order_relaxed);
  }
  return copy;
}

void set_options(const Options& o) {
  std::lock_guard<std::mutex> lock(options_mu());
  current() = o;
  generation().fetch_add(1, std::memory_order_release);
}

}  // namespace fuze::runtime
