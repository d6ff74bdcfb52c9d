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

void iterator_output_strides(int rank, const int64_t* sizes, int num_inputs, const int64_t* input_strides,
                             int64_t* out_strides) {
  constexpr int kMaxRank = 64;
  int perm[kMaxRank];
  for (int i = 0; i < rank; ++i) perm[i] = rank - 1 - i;  // perm[0] = the fastest dim
  // > 0: dim0 should be outside (slower than) dim1; < 0: inside; 0: no opinion.
  auto should_swap = [&](int dim0, int dim1) {
    for (int op = 0; op < num_inputs; ++op) {
      const int64_t s0 = input_strides[op * rank + dim0];
      const int64_t s1 = input_strides[op * rank + dim1];
      if (s0 == 0 || s1 == 0) continue;
      if (s0 < s1) return -1;
      if (s0 > s1) return 1;
      if (sizes[dim0] > sizes[dim1]) return 1;
    }
    return 0;
  };
  for (int i = 1; i < rank; ++i) {
    int dim1 = i;
    for (int dim0 = i - 1; dim0 >= 0; --dim0) {
      const int cmp = should_swap(perm[dim0], perm[dim1]);
      if (cmp > 0) {
        std::swap(perm[dim0], perm[dim1]);
        dim1 = dim0;
      } else if (cmp < 0) {
        break;
      }
    }
  }
  int64_t stride = 1;
  for (int i = 0; i < rank; ++i) {
    out_strides[perm[i]] = stride;
    stride *= std::max<int64_t>(sizes[perm[i]], 1);
  }
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
