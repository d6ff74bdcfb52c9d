// KernelCache: signature key -> compiled kernel (or the reason it failed).
//
// A miss inserts a pending Entry under the cache lock and builds + compiles
// OUTSIDE it; other threads that miss the same key meanwhile find the pending
// Entry and wait on its condition variable for the one result. A failed key
// keeps its Entry (kernel == nullptr, why set), so later lookups fail fast.
#include <chrono>
#include <condition_variable>
#include <exception>
#include <set>

#include "passes/cse.h"
#include "passes/dead_code.h"
#include "passes/decompose.h"
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
  CachedKernelInfo info;  // filled when ready
  std::list<std::string>::iterator lru_pos;  // guarded by the cache's mu_
};

namespace {

// The compiled kernel, or a failure whose message says which backend and
// kernel. The ops the backend has no kernel for are decomposed first.
Status compile_with(BackendKind backend, const ir::Kernel& verified, std::unique_ptr<CompiledKernel>* out) {
  std::unique_ptr<Backend> be;
  FUZE_TRY(make_backend(backend, &be));
  ir::Kernel k = verified;
  int rewritten = 0;
  if (Status s = passes::decompose(&k, native_ops(backend), &rewritten); !s) {
    return Status::error(std::string(backend_name(backend)) + " compile of " + k.name() + ": " + s.message(), s.code());
  }
  if (rewritten > 0) {
    passes::eliminate_common_subexpressions(&k);
    passes::eliminate_dead_code(&k);
    FUZE_LOG(kDebug) << "IR after decompose for " << backend_name(backend) << ":\n" << ir::print(k);
  }
  if (Status s = be->compile(k, out); !s) {
    return Status::error(std::string(backend_name(backend)) + " compile of " + k.name() + " failed: " + s.message(),
                         s.code());
  }
  if (*out == nullptr) {
    return Status::compile_failed(std::string(backend_name(backend)) + " compile of " + k.name() +
                                  " returned no kernel");
  }
  return Status::ok();
}

// One log line per distinct backend failure message, not one per kernel: at
// info level when the backend lacks an op, dtype or layout (expected: the
// group runs TorchScript's own ops), as a warning when it should have
// compiled (codegen failed, no code memory, invalid IR).
void log_compile_failure_once(const Status& why) {
  static std::mutex mu;
  static std::set<std::string>* seen = new std::set<std::string>();
  std::lock_guard<std::mutex> lock(mu);
  if (!seen->insert(why.message()).second) return;
  if (why.code() == StatusCode::kUnsupported) {
    FUZE_LOG(kInfo) << why.message() << "; the group runs TorchScript's ops instead";
  } else {
    FUZE_LOG(kWarn) << why.message() << " (" << status_code_name(why.code())
                    << "); the group runs TorchScript's ops instead";
  }
}

// Builds the IR, runs the pass pipeline and compiles; returns the kernel or
// nullptr with *why. Exceptions from a build function are turned into a Status.
std::shared_ptr<const CompiledKernel> build_and_compile(const std::string& key, BackendKind backend,
                                                        const BuildFn& build, std::string* why,
                                                        double* compile_us, CachedKernelInfo* info) {
  info->key = key;
  info->backend = backend;
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
    info->name = k.name();
    if (Status s = passes::run_pipeline(&k); !s) {
      *why = s.message();
      return nullptr;
    }
    info->name = k.name();
    info->ir = ir::print(k);
    std::unique_ptr<CompiledKernel> compiled;
    if (Status s = compile_with(backend, k, &compiled); !s) {
      // No chain to the interpreter: its scalar loops are slower than
      // TorchScript's own ops, which the caller runs instead (the fallback).
      *why = s.message();
      log_compile_failure_once(s);
      return nullptr;
    }
    *compile_us = elapsed_us();
    info->compile_us = *compile_us;
    info->listing = compiled->listing();
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
  static KernelCache* cache = [] {  // never destroyed: kernels may outlive static teardown
    auto* c = new KernelCache();
    c->follow_options_ = true;
    return c;
  }();
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
      lru_.splice(lru_.begin(), lru_, entry->lru_pos);
    } else {
      if (follow_options_) limit_ = options().cache_limit;
      entry = std::make_shared<Entry>();
      lru_.push_front(key);
      entry->lru_pos = lru_.begin();
      map_.emplace(key, entry);
      owner = true;
      evict_locked();
    }
  }
  if (owner) {
    internal::count_miss();
    std::string reason;
    double us = 0.0;
    CachedKernelInfo info;
    auto kernel = build_and_compile(key, backend, build, &reason, &us, &info);
    info.failed = kernel == nullptr;
    info.failure = reason;
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
      entry->info = std::move(info);
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

void KernelCache::evict_locked() {
  if (limit_ == 0) return;
  // Least recently used first; pending entries (being compiled) are skipped.
  auto pos = lru_.end();
  while (map_.size() > limit_ && pos != lru_.begin()) {
    --pos;
    auto it = map_.find(*pos);
    bool ready = false;
    {
      std::lock_guard<std::mutex> lock(it->second->mu);
      ready = it->second->ready;
    }
    if (!ready) continue;
    map_.erase(it);
    pos = lru_.erase(pos);
    internal::count_eviction();
  }
}

void KernelCache::set_limit(size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  follow_options_ = false;
  limit_ = limit;
  evict_locked();
}

size_t KernelCache::limit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return follow_options_ ? options().cache_limit : limit_;
}

size_t KernelCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.size();
}

std::vector<CachedKernelInfo> KernelCache::entries() const {
  std::vector<std::shared_ptr<Entry>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all.reserve(map_.size());
    for (const auto& kv : map_) all.push_back(kv.second);
  }
  std::vector<CachedKernelInfo> out;
  out.reserve(all.size());
  for (const auto& e : all) {
    std::lock_guard<std::mutex> lock(e->mu);
    if (e->ready) out.push_back(e->info);
  }
  return out;
}

void KernelCache::clear() {
  // Pending entries stay alive through their waiters' shared_ptrs.
  std::lock_guard<std::mutex> lock(mu_);
  map_.clear();
  lru_.clear();
}

}  // namespace fuze::runtime
