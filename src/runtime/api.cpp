// The torch-free public API (include/fuze/core.h) over the runtime.
#include <algorithm>

#include "fuze/core.h"
#include "runtime/runtime.h"

namespace fuze {

BackendKind default_backend() { return runtime::default_backend(); }

Options default_options() { return Options{}; }

void set_options(const Options& options) {
  runtime::Options r = runtime::options();
  r.backend = options.backend;
  r.num_threads = options.num_threads < 0 ? 0 : options.num_threads;
  runtime::set_options(r);
}

Options options() {
  Options o;
  o.backend = runtime::options().backend;
  o.num_threads = runtime::options().num_threads;
  return o;
}

Stats stats() {
  runtime::Stats r = runtime::stats();
  Stats s;
  s.hits = r.hits;
  s.misses = r.misses;
  s.compiles = r.compiles;
  s.compile_failures = r.compile_failures;
  s.fallbacks = r.fallbacks;
  s.evictions = r.evictions;
  s.kernel_calls = r.kernel_calls;
  s.compile_us = r.compile_us;
  return s;
}

void reset_stats() { runtime::reset_stats(); }

std::vector<std::pair<std::string, uint64_t>> fallback_reasons() { return runtime::fallback_reasons(); }

std::vector<KernelInfo> cached_kernels() {
  std::vector<KernelInfo> out;
  for (runtime::CachedKernelInfo& e : runtime::KernelCache::global().entries()) {
    KernelInfo k;
    k.key = std::move(e.key);
    k.name = std::move(e.name);
    k.ir = std::move(e.ir);
    k.listing = std::move(e.listing);
    k.backend = e.backend;
    k.compile_us = e.compile_us;
    k.failed = e.failed;
    k.failure = std::move(e.failure);
    out.push_back(std::move(k));
  }
  std::sort(out.begin(), out.end(), [](const KernelInfo& a, const KernelInfo& b) { return a.key < b.key; });
  return out;
}

size_t cached_kernel_count() { return runtime::KernelCache::global().size(); }

void clear_kernel_cache() { runtime::KernelCache::global().clear(); }

}  // namespace fuze
