// A std::allocator for 64-byte aligned storage, as torch's allocations are
// (tests and tools that hand buffers to kernels with aligned fast paths:
// x86's streaming stores).
#pragma once

#include <cstddef>
#include <new>

namespace fuze::support {

template <typename T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <typename U>
  Aligned64(const Aligned64<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64))); }
  void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t(64)); }
  bool operator==(const Aligned64&) const { return true; }
  bool operator!=(const Aligned64&) const { return false; }
};

}  // namespace fuze::support
