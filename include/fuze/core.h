// fuze's torch-free public API (link fuze::core; fuze/fuze.h adds the
// TorchScript front end and includes this header): options, counters, what
// the kernel cache holds, and the CPU levels the x86 backend runs at. Kernel
// IR (fuze/ir/kernel.h) and the backends (fuze/backend.h) are public too.
//
//   fuze::set_options({fuze::BackendKind::kX86, 2});
//   ... run fused modules ...
//   for (const fuze::KernelInfo& k : fuze::cached_kernels()) std::cout << k.name << "\n" << k.listing;
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fuze/backend.h"
#include "fuze/ir/kernel.h"
#include "fuze/support/status.h"

namespace fuze {

// The backend a default-constructed Options starts with: FUZE_BACKEND when set
// to interp, x86 or cuda; else x86 where it is built and usable; else interp.
BackendKind default_backend();

struct Options {
  BackendKind backend = default_backend();
  int num_threads = 0;  // threads per fused CPU launch; 0: the host's (torch's under the front end)
};
Options default_options();  // Options{}
void set_options(const Options& options);
Options options();

// Counters since the start or the last reset_stats(). Every field starts at zero.
struct Stats {
  uint64_t hits = 0;              // kernel lookups answered from a cache
  uint64_t misses = 0;            // lookups that built a kernel
  uint64_t compiles = 0;          // successful compiles
  uint64_t compile_failures = 0;  // builds or compiles that failed (each signature once)
  uint64_t fallbacks = 0;         // group calls that ran the fallback instead of a kernel
  uint64_t evictions = 0;         // kernels dropped to respect the cache bound
  uint64_t kernel_calls = 0;      // group calls that ran a compiled kernel
  double compile_us = 0.0;        // total microseconds spent compiling
};
Stats stats();
void reset_stats();
// The fallback calls (Stats::fallbacks) per reason, most first: "no kernel:
// x86 compile of fused_sin_mul failed: ...", "a dim of size 0", ...
std::vector<std::pair<std::string, uint64_t>> fallback_reasons();

// One compiled (or failed) kernel of the process-wide kernel cache.
struct KernelInfo {
  std::string key;      // the group identity and signature it was compiled for
  std::string name;     // "fused_add_tanh"; "" when building the IR failed
  std::string ir;       // the verified, simplified kernel IR (ir::print)
  std::string listing;  // the backend's code: assembly (x86), CUDA source, IR (interp)
  BackendKind backend = BackendKind::kInterp;  // the backend that compiled it
  double compile_us = 0.0;
  bool failed = false;  // no kernel; `failure` says why
  std::string failure;
};
// The finished entries, sorted by key (pending compiles are left out).
std::vector<KernelInfo> cached_kernels();
size_t cached_kernel_count();
void clear_kernel_cache();

// The x86 ISA levels this CPU can run ("sse4.1", "avx2", "avx512"), and the
// one fuze uses (FUZE_X86_ISA caps it); empty where x86 is not built.
std::vector<std::string> cpu_isa_levels();
std::string cpu_isa();

}  // namespace fuze
