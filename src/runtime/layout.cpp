#include <algorithm>

#include "runtime/runtime.h"

namespace fuze::runtime {

ir::Layout classify_layout(int rank, const int64_t* sizes, const int64_t* strides) {
  int64_t numel = 1;
  bool all_zero = true;
  for (int d = 0; d < rank; ++d) {
    numel *= sizes[d];
    if (strides[d] != 0 && sizes[d] != 1) all_zero = false;
  }
  if (numel <= 1 || all_zero) return ir::Layout::kBroadcast;
  int64_t expected = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (sizes[d] != 1 && strides[d] != expected) return ir::Layout::kStrided;
    expected *= sizes[d];
  }
  return ir::Layout::kContiguous;
}

bool broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b, std::vector<int64_t>* out) {
  const size_t n = std::max(a.size(), b.size());
  std::vector<int64_t> r(n, 1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t x = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int64_t y = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (x != y && x != 1 && y != 1) return false;
    r[n - 1 - i] = x == 1 ? y : x;
  }
  *out = std::move(r);
  return true;
}

}  // namespace fuze::runtime
