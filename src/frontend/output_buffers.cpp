#include "frontend/output_buffers.h"

#include <ATen/EmptyTensor.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/InferenceMode.h>
#include <c10/util/Exception.h>
#include <torch/version.h>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "support/huge_pages.h"
#include "support/log.h"

namespace fuze::frontend {
namespace {

constexpr size_t kAlign = size_t{2} << 20;  // one huge page: buffers start on one

size_t limit_from_env() {
  const char* env = std::getenv("FUZE_OUTPUT_CACHE_MB");
  size_t mib = 256;
  if (env != nullptr && *env != '\0') {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(env, &end, 10);
    if (end != nullptr && *end == '\0') {
      mib = static_cast<size_t>(v);
    } else {
      FUZE_LOG(kWarn) << "FUZE_OUTPUT_CACHE_MB=" << env << " is not a number of MiB: using 256";
    }
  }
  return mib << 20;
}

// Free large buffers by size (rounded up to 2 MiB), oldest first, and the
// size of every buffer handed out (the DataPtr's context is the data itself).
class OutputCache {
 public:
  static OutputCache& get() {
    static OutputCache* cache = new OutputCache();  // never destroyed: outputs may die at exit
    return *cache;
  }

  void* take(size_t bytes) {
    const size_t size = (bytes + kAlign - 1) / kAlign * kAlign;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = free_.begin(); it != free_.end(); ++it) {
        if (it->second != size) continue;
        void* p = it->first;
        free_.erase(it);
        cached_ -= size;
        live_[p] = size;
        ++reused_;
        return p;
      }
    }
    void* p = nullptr;
    if (posix_memalign(&p, kAlign, size) != 0) {
      trim();  // the cache's memory may be what is missing
      if (posix_memalign(&p, kAlign, size) != 0) return nullptr;
    }
    support::advise_huge_pages(p, size);
    std::lock_guard<std::mutex> lock(mu_);
    live_[p] = size;
    ++fresh_;
    return p;
  }

  void give(void* p) {
    std::deque<void*> drop;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = live_.find(p);
      if (it == live_.end()) return;  // not ours: never happens (the deleter is only on our buffers)
      const size_t size = it->second;
      live_.erase(it);
      if (size > limit_) {
        drop.push_back(p);
      } else {
        while (cached_ + size > limit_ && !free_.empty()) {
          drop.push_back(free_.front().first);
          cached_ -= free_.front().second;
          free_.pop_front();
        }
        free_.emplace_back(p, size);
        cached_ += size;
      }
    }
    for (void* q : drop) std::free(q);
  }

  void trim() {
    std::deque<std::pair<void*, size_t>> drop;
    {
      std::lock_guard<std::mutex> lock(mu_);
      drop.swap(free_);
      cached_ = 0;
    }
    for (auto& b : drop) std::free(b.first);
  }

  OutputCacheStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return OutputCacheStats{cached_, limit_, reused_, fresh_, 0};
  }

 private:
  OutputCache() : limit_(limit_from_env()) {}
  std::mutex mu_;
  std::deque<std::pair<void*, size_t>> free_;
  std::unordered_map<void*, size_t> live_;
  size_t cached_ = 0;
  const size_t limit_;
  uint64_t reused_ = 0, fresh_ = 0;
};

void release(void* p) { OutputCache::get().give(p); }

std::atomic<uint64_t> g_in_place{0};

class OutputAllocator final : public c10::Allocator {
 public:
#if TORCH_VERSION_MAJOR >= 2
  c10::DataPtr allocate(size_t n) override {
#else
  c10::DataPtr allocate(size_t n) const override {
#endif
    if (n < support::kHugePageThreshold) return c10::GetCPUAllocator()->allocate(n);
    void* p = OutputCache::get().take(n);
    TORCH_CHECK(p != nullptr, "fuze: can't allocate memory: you tried to allocate ", n, " bytes.");
    return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
  }
#if TORCH_VERSION_MAJOR >= 2
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }
#endif
};

bool same_strides(c10::IntArrayRef sizes, c10::IntArrayRef have, const int64_t* want) {
  int64_t dense = 1;
  for (size_t d = sizes.size(); d-- > 0;) {
    const int64_t w = want != nullptr ? want[d] : dense;
    if (sizes[d] != 1 && have[d] != w) return false;
    dense *= sizes[d];
  }
  return true;
}

}  // namespace

c10::Allocator* output_allocator() {
  // Never destroyed: storages keep a pointer to it (for resize_) and may
  // outlive static destruction (Python frees its tensors after it).
  static OutputAllocator* allocator = new OutputAllocator();
  return allocator;
}

at::Tensor empty_output(c10::IntArrayRef sizes, const int64_t* strides, c10::ScalarType dtype) {
  const c10::DispatchKeySet cpu(c10::DispatchKey::CPU);
  if (strides == nullptr) return at::detail::empty_generic(sizes, output_allocator(), cpu, dtype, c10::nullopt);
  return at::detail::empty_strided_generic(sizes, c10::IntArrayRef(strides, sizes.size()), output_allocator(), cpu,
                                           dtype);
}

bool reusable_for_output(const at::Tensor& t, c10::IntArrayRef sizes, const int64_t* strides,
                         c10::ScalarType dtype) {
  if (!t.defined() || !t.is_cpu() || t.use_count() != 1 || t.scalar_type() != dtype) return false;
  if (t.requires_grad() || t.storage_offset() != 0 || t.is_neg() || t.is_conj() || t.has_names()) return false;
  if (t.is_inference() && !c10::InferenceMode::is_enabled()) return false;
  if (t.sizes() != sizes || !same_strides(sizes, t.strides(), strides)) return false;
  const c10::Storage& s = t.storage();
  if (s.use_count() != 1 || !s.resizable()) return false;
  if (s.allocator() != c10::GetCPUAllocator() && s.allocator() != output_allocator()) return false;
  return s.nbytes() == static_cast<size_t>(t.numel()) * t.element_size();
}

void count_in_place() { g_in_place.fetch_add(1, std::memory_order_relaxed); }

OutputCacheStats output_cache_stats() {
  OutputCacheStats s = OutputCache::get().stats();
  s.in_place = g_in_place.load(std::memory_order_relaxed);
  return s;
}

void trim_output_cache() { OutputCache::get().trim(); }

}  // namespace fuze::frontend
