// The runtime: between a front end (TorchScript today) and the backends.
// It classifies operand layouts, caches compiled kernels by signature key,
// counts what happened (hits, compiles, fallbacks...), and launches a compiled
// kernel over the iteration space, split across threads for large tensors.
// Torch-free: the front end converts tensors into KernelArgs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace fuze::runtime {

// ---- options -------------------------------------------------------------

// The backend a default-constructed Options starts with: FUZE_BACKEND in the
// environment when it names one (interp, x86, cuda; anything else is logged
// and ignored), else default_cpu_backend().
BackendKind default_backend();
// Options::fuse_reductions: on unless FUZE_REDUCTIONS=0 in the environment.
bool default_fuse_reductions();
// Options::cuda_reductions: FUZE_REDUCTIONS=1 in the environment.
bool default_cuda_reductions();

struct Options {
  BackendKind backend = default_backend();
  int num_threads = 0;        // threads for one CPU launch; 0: the host's (the TorchScript frontend: torch's)
  int64_t grain = 32768;      // elements per thread below which a launch stays on one thread
  size_t cache_limit = 4096;  // kernels kept by KernelCache::global() (LRU beyond; 0 = unbounded)
  int max_signatures_per_group = 16;  // distinct signatures one fusion group compiles; past it: fallback
  // Whether the fusion pass takes reductions (softmax, layer_norm, sum...) into
  // groups: on unless FUZE_REDUCTIONS=0 (every measured pattern and size is
  // faster than TorchScript on x86: bench/results/reduce-2026-12-07b.md).
  bool fuse_reductions = default_fuse_reductions();
  // Whether groups with reductions run their kernel on CUDA tensors
  // (FUZE_REDUCTIONS=1); otherwise TorchScript runs them there, counted and
  // logged: CUDA's row kernels compile (NVRTC) but have not run on a GPU yet.
  bool cuda_reductions = default_cuda_reductions();
};

// Options{}: the defaults above.
Options default_options();
// The best backend for host memory: x86 when built and usable here, else interp.
BackendKind default_cpu_backend();
Options options();
void set_options(const Options& o);

// ---- layouts -------------------------------------------------------------

// Classifies one operand over an iteration space of `rank` dims:
// all strides 0 (or numel <= 1) -> kBroadcast; strides equal to the contiguous
// strides of `sizes` (size-1 dims ignored) -> kContiguous; else kStrided.
ir::Layout classify_layout(int rank, const int64_t* sizes, const int64_t* strides);

// Output strides as ATen's TensorIterator allocates them (reorder_dimensions):
// dims are ordered by the inputs' strides, first input first (0 strides are
// skipped, equal strides put the smaller dim inside), and the output is dense
// in that order: a channels-last or transposed input gives a channels-last or
// transposed output; contiguous or broadcast inputs a contiguous one.
// `input_strides` is [num_inputs * rank], strides of each input expanded to the
// iteration rank (0 on broadcast dims; size-1 dims keep their own stride).
void iterator_output_strides(int rank, const int64_t* sizes, int num_inputs, const int64_t* input_strides,
                             int64_t* out_strides);

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
// Counts one fallback call under `reason`; logs it at info level the first
// time a given reason is seen (never once per call).
void count_fallback(const std::string& reason);
// The fallback calls per reason since the last reset_stats(), most first
// (the first 256 distinct reasons; later ones count in Stats::fallbacks only).
std::vector<std::pair<std::string, uint64_t>> fallback_reasons();
void count_kernel_call();
// Counts a lookup answered by a front end's own signature table (a cache tier
// in front of KernelCache): Stats::hits counts both tiers.
void count_cache_hit();

// ---- kernel cache --------------------------------------------------------

using BuildFn = std::function<Status(ir::Kernel*)>;

// One cache entry as the tools (fuze dump / profile) show it.
struct CachedKernelInfo {
  std::string key;       // the cache key (group identity + signature)
  std::string name;      // kernel name ("fused_add_tanh"); "" when building the IR failed
  std::string ir;        // ir::print of the verified, simplified kernel
  std::string listing;   // CompiledKernel::listing() (assembly, CUDA source, or the IR for interp)
  BackendKind backend = BackendKind::kInterp;  // the backend that compiled it
  double compile_us = 0.0;
  bool failed = false;   // no kernel: `failure` says why
  std::string failure;
};

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
  // Ops `backend` has no kernel for are decomposed first (passes/decompose).
  // A backend that still cannot compile the kernel (an op, dtype or layout it
  // lacks, a codegen failure) gives nullptr: the caller runs its own fallback
  // (the front end: TorchScript's ops), never the slower interpreter; the
  // failure is logged once (info for kUnsupported, else a warning).
  // Bounded: past limit() entries the least recently used finished entry is
  // evicted (Stats::evictions); kernels already handed out stay alive.
  std::shared_ptr<const CompiledKernel> lookup_or_compile(const std::string& key, BackendKind backend,
                                                          const BuildFn& build, std::string* why);
  size_t size() const;
  void clear();
  // The bound; 0 = unbounded. global() takes options().cache_limit at each miss.
  void set_limit(size_t limit);
  size_t limit() const;
  // A snapshot of the finished entries (pending compiles are left out), in no
  // particular order. Cheap enough for tools; not for the hot path.
  std::vector<CachedKernelInfo> entries() const;

 private:
  struct Entry;
  void evict_locked();
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> map_;
  std::list<std::string> lru_;  // most recently used first
  size_t limit_ = 0;
  bool follow_options_ = false;  // global(): limit from options()
};

// ---- launch --------------------------------------------------------------

// Runs `kernel` over [0, args.numel), split into contiguous chunks across up to
// `num_threads` threads when numel >= 2 * grain: on the host's pool if one was
// installed with set_parallel_for, else on fuze's own process-wide pool.
void launch(const CompiledKernel& kernel, const KernelArgs& args, int num_threads, int64_t grain);
// The same for a row kernel (ir::Kernel::reduce_rank = reduce_rank > 0): its
// rows, the product of the first rank - reduce_rank sizes, are split instead,
// at least grain elements' worth of whole rows per thread; with fewer rows
// than threads, rows of two grains or more split their own work across the
// threads when the kernel can (CompiledKernel::run_split).
void launch_rows(const CompiledKernel& kernel, const KernelArgs& args, int reduce_rank, int num_threads,
                 int64_t grain);

// A host's intra-op pool for launch(). A process that also runs ATen's
// parallel ops must run fused kernels on the same threads: two pools on the
// same cores fight (libgomp's workers spin after every ATen region and take the
// cores fuze's workers need). The function must call body(ctx, b, e) on
// disjoint ranges covering [0, n), each at least `grain` long (the last may be
// shorter), on at most `num_threads` threads, and return when all are done.
// nullptr restores fuze's own pool. The TorchScript frontend installs ATen's
// at::parallel_for (frontend/aten_parallel.cpp).
using ParallelBody = void (*)(void* ctx, int64_t begin, int64_t end);
using ParallelFor = void (*)(int64_t n, int64_t grain, int num_threads, void* ctx, ParallelBody body);
void set_parallel_for(ParallelFor fn);
ParallelFor parallel_for();

}  // namespace fuze::runtime
