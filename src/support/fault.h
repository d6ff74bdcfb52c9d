// Fault injection for tests: a switch, compiled into every build, that makes
// one failure point behave as if the real failure had happened, so that tests
// can check each failure path (fallback, right result, one counted reason, no
// crash, no leak) without a broken machine.
//
// Off by default; when off a check is one relaxed atomic load. Turned on by
//   FUZE_FAULT=x86_emit,exec_mem     (the environment, read at the first check)
//   fuze::support::set_faults("x86_emit");   (tests; "" turns all off)
//
// The faults (each hook sits at the real failure point and returns the error
// that point returns):
//   x86_emit       x86 backend: asmjit fails to finalize the kernel
//                  (X86Backend::compile returns an error)
//   exec_mem       x86 backend: the executable-memory allocation fails
//   nvrtc_missing  cuda: libnvrtc cannot be opened (as if dlopen failed)
//   nvrtc_fail     cuda: nvrtcCompileProgram fails (NVRTC_ERROR_COMPILATION)
//   driver_load    cuda: libcuda cannot be opened (no driver)
//   output_alloc   FusionGroup: allocating an output throws (as at::empty does
//                  when out of memory); the group runs its fallback
//
// Usage at a failure point:
//   if (support::fault(support::Fault::kExecMem)) return Status::error("... injected fault exec_mem");
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace fuze::support {

enum class Fault : unsigned {
  kX86Emit = 0,
  kExecMem,
  kNvrtcMissing,
  kNvrtcFail,
  kDriverLoad,
  kOutputAlloc,
  kCount
};

// The name used in FUZE_FAULT and set_faults ("x86_emit", ...).
const char* fault_name(Fault f);

// Replaces the active set with a comma-separated list of names ("" or "none":
// none). Unknown names leave the set unchanged and return false with *error.
bool set_faults(const std::string& list, std::string* error = nullptr);
// The active set as a list ("x86_emit,output_alloc"; "" when none).
std::string active_faults();
// How many times fault(f) answered true since the process started (or since
// reset_fault_hits()).
uint64_t fault_hits(Fault f);
void reset_fault_hits();

namespace detail {
// Bit i: fault i active. kUnread: FUZE_FAULT not read yet.
constexpr uint32_t kUnread = 1u << 31;
extern std::atomic<uint32_t> g_fault_mask;
bool fault_slow(Fault f);
}  // namespace detail

// True when fault `f` is injected: the caller then fails as the real failure would.
inline bool fault(Fault f) {
  if (detail::g_fault_mask.load(std::memory_order_relaxed) == 0) return false;
  return detail::fault_slow(f);
}

}  // namespace fuze::support
