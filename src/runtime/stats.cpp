#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime/runtime.h"
#include "runtime/stats_internal.h"
#include "support/log.h"

namespace fuze::runtime {
namespace {

// The counters, sharded: each thread increments its own cache line (picked
// round-robin on first use), so 8 threads calling fused groups do not contend
// on one atomic; stats() sums the shards.
enum Counter { kHits, kMisses, kCompiles, kCompileFailures, kFallbacks, kEvictions, kKernelCalls, kCompileNs, kNumCounters };
constexpr size_t kShards = 16;
struct alignas(64) Shard {
  std::atomic<uint64_t> c[kNumCounters];
};
Shard* shards() {
  static Shard s[kShards];
  return s;
}
void add(Counter c, uint64_t v) {
  thread_local Shard* mine = [] {
    static std::atomic<size_t> next{0};
    return &shards()[next.fetch_add(1, std::memory_order_relaxed) % kShards];
  }();
  mine->c[c].fetch_add(v, std::memory_order_relaxed);
}
uint64_t sum(Counter c) {
  uint64_t total = 0;
  for (size_t i = 0; i < kShards; ++i) total += shards()[i].c[c].load(std::memory_order_relaxed);
  return total;
}

std::mutex& reasons_mu() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, uint64_t>& reasons_seen() {  // reason -> fallback calls
  static std::map<std::string, uint64_t> s;
  return s;
}

}  // namespace

Stats stats() {
  Stats s;
  s.hits = sum(kHits);
  s.misses = sum(kMisses);
  s.compiles = sum(kCompiles);
  s.compile_failures = sum(kCompileFailures);
  s.fallbacks = sum(kFallbacks);
  s.evictions = sum(kEvictions);
  s.kernel_calls = sum(kKernelCalls);
  s.compile_us = static_cast<double>(sum(kCompileNs)) / 1000.0;
  return s;
}

void reset_stats() {
  for (size_t i = 0; i < kShards; ++i)
    for (auto& a : shards()[i].c) a.store(0, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(reasons_mu());
  reasons_seen().clear();
}

// Each distinct reason is logged once. The set of reasons seen is bounded:
// past kMaxReasons (a process making reasons without end, e.g. from ever new
// graphs) new ones are no longer logged, and that is said once.
constexpr size_t kMaxReasons = 256;

void count_fallback(const std::string& reason) {
  add(kFallbacks, 1);
  bool first = false, full = false;
  {
    std::lock_guard<std::mutex> lock(reasons_mu());
    std::map<std::string, uint64_t>& seen = reasons_seen();
    auto it = seen.find(reason);
    if (it != seen.end()) {
      ++it->second;
    } else if (seen.size() < kMaxReasons) {
      seen.emplace(reason, 1);
      first = true;
      full = seen.size() == kMaxReasons;
    }
  }
  if (first) {
    FUZE_LOG(kInfo) << "fallback: " << reason;
  }
  if (full) {
    FUZE_LOG(kInfo) << "fallback: " << kMaxReasons << " distinct reasons logged; further ones are counted, not logged";
  }
}

std::vector<std::pair<std::string, uint64_t>> fallback_reasons() {
  std::vector<std::pair<std::string, uint64_t>> out;
  {
    std::lock_guard<std::mutex> lock(reasons_mu());
    out.assign(reasons_seen().begin(), reasons_seen().end());
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

void count_kernel_call() { add(kKernelCalls, 1); }
void count_cache_hit() { add(kHits, 1); }

namespace internal {
void count_hit() { add(kHits, 1); }
void count_miss() { add(kMisses, 1); }
void count_compile(double us) {
  add(kCompiles, 1);
  add(kCompileNs, static_cast<uint64_t>(us * 1000.0));
}
void count_compile_failure() { add(kCompileFailures, 1); }
void count_eviction() { add(kEvictions, 1); }
}  // namespace internal

}  // namespace fuze::runtime
