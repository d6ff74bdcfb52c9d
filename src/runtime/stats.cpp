#include <atomic>
#include <mutex>
#include <set>
#include <string>

#include "runtime/runtime.h"
#include "runtime/stats_internal.h"
#include "support/log.h"

namespace fuze::runtime {
namespace {

struct Counters {
  std::atomic<uint64_t> hits{0}, misses{0}, compiles{0}, compile_failures{0}, fallbacks{0}, evictions{0},
      kernel_calls{0}, compile_ns{0};
};

Counters& counters() {
  static Counters c;
  return c;
}

std::mutex& reasons_mu() {
  static std::mutex mu;
  return mu;
}
std::set<std::string>& reasons_seen() {
  static std::set<std::string> s;
  return s;
}

}  // namespace

Stats stats() {
  Counters& c = counters();
  Stats s;
  s.hits = c.hits.load();
  s.misses = c.misses.load();
  s.compiles = c.compiles.load();
  s.compile_failures = c.compile_failures.load();
  s.fallbacks = c.fallbacks.load();
  s.evictions = c.evictions.load();
  s.kernel_calls = c.kernel_calls.load();
  s.compile_us = static_cast<double>(c.compile_ns.load()) / 1000.0;
  return s;
}

void reset_stats() {
  Counters& c = counters();
  for (auto* a : {&c.hits, &c.misses, &c.compiles, &c.compile_failures, &c.fallbacks, &c.evictions,
                  &c.kernel_calls, &c.compile_ns})
    a->store(0);
  std::lock_guard<std::mutex> lock(reasons_mu());
  reasons_seen().clear();
}

void count_fallback(const std::string& reason) {
  counters().fallbacks.fetch_add(1, std::memory_order_relaxed);
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(reasons_mu());
    first = reasons_seen().insert(reason).second;
  }
  if (first) {
    FUZE_LOG(kInfo) << "fallback: " << reason;
  }
}

void count_kernel_call() { counters().kernel_calls.fetch_add(1, std::memory_order_relaxed); }
void count_cache_hit() { counters().hits.fetch_add(1, std::memory_order_relaxed); }

namespace internal {
void count_hit() { counters().hits.fetch_add(1, std::memory_order_relaxed); }
void count_miss() { counters().misses.fetch_add(1, std::memory_order_relaxed); }
void count_compile(double us) {
  counters().compiles.fetch_add(1, std::memory_order_relaxed);
  counters().compile_ns.fetch_add(static_cast<uint64_t>(us * 1000.0), std::memory_order_relaxed);
}
void count_compile_failure() { counters().compile_failures.fetch_add(1, std::memory_order_relaxed); }
void count_eviction() { counters().evictions.fetch_add(1, std::memory_order_relaxed); }
}  // namespace internal

}  // namespace fuze::runtime
