// The runtime: between a front end (TorchScript today) and the backends.
// It classifies operand layouts, caches compiled kernels by signature key,
// counts what happened (hits, compiles, fallbacks...), and launches a compiled
// kernel over the iteration space, split across threads for large tensors.
// Torch-free: the front end converts tensors into KernelArgs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace fuze::runtime {

// ---- options -------------------------------------------------------------

struct Options {
  BackendKind backend = BackendKind::kInterp;  // see default_options()
  int num_threads = 1;        // threads for one launch (the frontend passes at::get_num_threads())
  int64_t grain = 32768;      // elements per thread below which a launch stays on one thread
};

// Defaults: backend x86 when built and usable, else interp; FUZE_BACKEND=interp|x86|cuda
// in the environment overrides.
Options default_options();
Options options();
void set_options(const Options& o);

// ---- layouts -------------------------------------------------------------

// Classifies one operand over an iteration space of `rank` dims:
// all strides 0 (or numel <= 1) -> kBroadcast; strides equal to the contiguous
// strides of `sizes` (size-1 dims ignored) -> kContiguous; else kStrided.
ir::Layout classify_layout(int rank, const int64_t* sizes, const int64_t* strides);

// Broadcasts `shape` into `out` (numpy rules, right-aligned). False if incompatible.
bool broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                      std::vector<int64_t>* out);

// ---- counters ------------------------------------------------------------

struct Stats {
  uint64_t hits = 0;              // lookups answered from the cache
  uint64_t misses = 0;            // lookups that had to build a kernel
  uint64_t compiles = 0;          // successful compiles
  uint64_t compile_failures = 0;  // builds/compiles that failed (each key once)
  uint64_t fallbacks = 0;         // group calls that ran the fallback instead
  uint64_t evictions = 0;         // kernels dropped to respect the cache bound
  uint64_t kernel_calls = 0;      // group calls that ran a compiled kernel
  double compile_us = 0.0;        // total microseconds spent compiling
};
Stats stats();
void reset_stats();
// Counts one fallback call; logs `reason` at info level the first time a
// given reason is seen (never once per call).
void count_fallback(const std::string& reason);
void count_kernel_call();

// ---- kernel cache --------------------------------------------------------

using BuildFn = std::function<Status(ir::Kernel*)>;

class KernelCache {
 public:
  static KernelCache& global();

  // Returns the kernel cached under `key` (the group identity + its signature)
  // or, on a miss, builds its IR with `build`, verifies and simplifies it
  // (passes/pipeline), compiles it with `backend`, caches and returns it.
  // Returns nullptr when building or compiling failed; `*why` then says why,
  // and the key is remembered so later calls fail fast without recompiling.
  // Thread-safe; compiles outside the lock; when several threads miss the same
  // key at once, one compiles and the others wait for its result.
  std::shared_ptr<const CompiledKernel> lookup_or_compile(const std::string& key, BackendKind backend,
                                                          const BuildFn& build, std::string* why);
  size_t size() const;
  void clear();

 private:
  struct Entry;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> map_;
};

// ---- launch --------------------------------------------------------------

// Runs `kernel` over [0, args.numel), split into contiguous chunks across up to
// `num_threads` threads (a process-wide pool) when numel >= 2 * grain.
void launch(const CompiledKernel& kernel, const KernelArgs& args, int num_threads, int64_t grain);

}  // namespace fuze::runtime
