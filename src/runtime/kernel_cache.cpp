// KernelCache: signature key -> compiled kernel (or the reason it failed).
//
// A miss inserts a pending Entry under the cache lock and builds + compiles
// OUTSIDE it; other threads that miss the same key meanwhile find the pending
// Entry and wait on its condition variable for the one result. A failed key
// keeps its Entry (kernel == nullptr, why set), so later lookups fail fast.
#include <chrono>
#include <condition_variable>
#include <exception>

#include "passes/pipeline.h"
#include "runtime/runtime.h"
#include "runtime/stats_internal.h"
#include "support/log.h"

namespace fuze::runtime {

struct KernelCache::Entry {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  std::shared_ptr<const CompiledKernel> kernel;
  std::string why;
};

namespace {

// Builds the IR, runs the pass pipeline and compiles; returns the kernel or
// nullptr with *why. Exceptions from a build function are turned into a Status.
std::shared_ptr<const CompiledKernel> build_and_compile(const std::string& key, BackendKind backend,
                                                        const BuildFn& build, std::string* why,
                                                        double* compile_us) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed_us = [&] {
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  };
  try {
    ir::Kernel k;
    if (Status s = build(&k); !s) {
      *why = "building kernel IR failed: " + s.message();
      return nullptr;
    }
    if (Status s = passes::run_pipeline(&k); !s) {
      *why = s.message();
      return nullptr;
    }
    std::unique_ptr<Backend> be;
    if (Status s = make_backend(backend, &be); !s) {
      *why = s.message();
      return nullptr;
    }
    std::unique_ptr<CompiledKernel> compiled;
    if (Status s = be->compile(k, &compiled); !s) {
      *why = std::string(backend_name(backend)) + " compile of " + k.name() + " failed: " + s.message();
      return nullptr;
    }
    if (compiled == nullptr) {
      *why = std::string(backend_name(backend)) + " compile of " + k.name() + " returned no kernel";
      return nullptr;
    }
    *compile_us = elapsed_us();
    FUZE_LOG(kInfo) << "compiled " << k.name() << " with " << backend_name(backend) << " in " << *compile_us
                    << " us (key " << key << ")";
    return std::shared_ptr<const CompiledKernel>(std::move(compiled));
  } catch (const std::exception& e) {
    *why = std::string("exception while compiling: ") + e.what();
  } catch (...) {
    *why = "unknown exception while compiling";
  }
  return nullptr;
}

}  // namespace

KernelCache& KernelCache::global() {
  static KernelCache* cache = new KernelCache();  // never destroyed: kernels may outlive static teardown
  return *cache;
}

std::shared_ptr<const CompiledKernel> KernelCache::lookup_or_compile(const std::string& key, BackendKind backend,
                                                                     const BuildFn& build, std::string* why) {
  std::shared_ptr<Entry> entry;
  bool owner = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) {
      entry = it->second;
    } else {
      // The cache bound (LRU eviction, Stats::evictions) goes here: evict
      // ready entries before inserting once map_.size() reaches the bound.
      entry = std::make_shared<Entry>();
      map_.emplace(key, entry);
      owner = true;
    }
  }
  if (owner) {
    internal::count_miss();
    std::string reason;
    double us = 0.0;
    auto kernel = build_and_compile(key, backend, build, &reason, &us);
    if (kernel) {
      internal::count_compile(us);
    } else {
      internal::count_compile_failure();
      FUZE_LOG(kInfo) << "no kernel for key " << key << ": " << reason;
    }
    {
      std::lock_guard<std::mutex> lock(entry->mu);
      entry->kernel = kernel;
      entry->why = reason;
      entry->ready = true;
    }
    entry->cv.notify_all();
    if (!kernel && why != nullptr) *why = reason;
    return kernel;
  }
  internal::count_hit();
  std::unique_lock<std::mutex> lock(entry->mu);
  entry->cv.wait(lock, [&] { return entry->ready; });
  if (!entry->kernel && why != nullptr) *why = entry->why;
  return entry->kernel;
}

size_t KernelCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.size();
}

void KernelCache::clear() {
  // Pending entries stay alive through their waiters' shared_ptrs.
  std::lock_guard<std::mutex> lock(mu_);
  map_.clear();
}

}  // namespace fuze::runtime
