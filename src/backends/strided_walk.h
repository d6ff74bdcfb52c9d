// The walk over a kernel's iteration space that the host backends (x86,
// interp) share: it follows memory, not the logical shape, as
// TensorIterator's reorder_dimensions and coalesce_dimensions do. Size-1 dims
// are dropped, the rest ordered by the operands' strides (outputs first: the
// output's layout decides, an input breaks its ties), then adjacent dims
// merged where every operand is dense across the pair. The innermost dim is
// then the fastest moving one. Positions [begin, end) of CompiledKernel::run
// count in this walk's order, which depends only on the sizes and strides:
// launch() hands out disjoint ranges covering [0, numel), so every element is
// computed exactly once.
//
//   StridedWalk w(args, num_inputs, layouts);      // plan once per call
//   w.for_each_row(begin, end, [&](const int64_t* off, int64_t n) {
//     // operand i's elements off[i] + j * w.inner_stride(i), j < n
//   });
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace fuze {

class StridedWalk {
 public:
  static constexpr int kMaxRank = 16;
  static constexpr int kMaxOperands = 32;  // inputs + outputs

  // `layouts[i]` is operand i's layout (inputs, then outputs): kStrided
  // operands walk by args.strides, kContiguous ones by the dense strides of
  // args.sizes, uniform ones (kBroadcast, kScalar) not at all (stride 0).
  // The caller checks args.rank <= kMaxRank and num_operands <= kMaxOperands.
  StridedWalk(const KernelArgs& a, int num_inputs, int num_operands, const ir::Layout* layouts)
      : nops_(num_operands) {
    int64_t full[kMaxOperands][kMaxRank];
    int dims[kMaxRank];
    int nd = 0;
    for (int d = 0; d < a.rank; ++d) {
      if (a.sizes[d] != 1) dims[nd++] = d;
    }
    for (int i = 0; i < nops_; ++i) {
      int64_t dense = 1;
      for (int d = a.rank - 1; d >= 0; --d) {
        full[i][d] = layouts[i] == ir::Layout::kStrided      ? a.strides[static_cast<int64_t>(i) * a.rank + d]
                     : layouts[i] == ir::Layout::kContiguous ? dense
                                                             : 0;
        dense *= a.sizes[d];
      }
    }
    // order[0] = the innermost dim. Insertion sort from the logical order
    // (last dim innermost); a dim moves inwards past another only when the
    // first operand with an opinion (both strides non-zero and different) says so.
    int order[kMaxRank];
    for (int j = 0; j < nd; ++j) order[j] = dims[nd - 1 - j];
    auto outer_than = [&](int d0, int d1) {  // should d0 sit outside d1?
      for (int k = 0; k < nops_; ++k) {
        const int i = (k + num_inputs) % nops_;  // outputs first, then inputs
        const int64_t s0 = std::abs(full[i][d0]), s1 = std::abs(full[i][d1]);
        if (s0 == 0 || s1 == 0 || s0 == s1) continue;
        return s0 > s1;
      }
      return true;  // no opinion: keep the logical order
    };
    for (int j = 1; j < nd; ++j) {
      for (int k = j; k > 0 && !outer_than(order[k], order[k - 1]); --k) std::swap(order[k], order[k - 1]);
    }
    // Coalesce from the inside out (index 0 innermost), then store outermost first.
    int64_t rsize[kMaxRank];
    int64_t rstride[kMaxOperands][kMaxRank];
    rank_ = 0;
    for (int j = 0; j < nd; ++j) {
      const int d = order[j];
      bool merge = rank_ > 0;
      for (int i = 0; i < nops_ && merge; ++i) merge = full[i][d] == rstride[i][rank_ - 1] * rsize[rank_ - 1];
      if (merge) {
        rsize[rank_ - 1] *= a.sizes[d];
        continue;
      }
      rsize[rank_] = a.sizes[d];
      for (int i = 0; i < nops_; ++i) rstride[i][rank_] = full[i][d];
      ++rank_;
    }
    if (rank_ == 0) {  // a single element
      rsize[0] = 1;
      for (int i = 0; i < nops_; ++i) rstride[i][0] = 0;
      rank_ = 1;
    }
    for (int j = 0; j < rank_; ++j) {
      size_[rank_ - 1 - j] = rsize[j];
      for (int i = 0; i < nops_; ++i) stride_[i][rank_ - 1 - j] = rstride[i][j];
    }
  }

  int rank() const { return rank_; }  // after coalescing; >= 1
  // Operand i's element stride along the innermost (walked) dim.
  int64_t inner_stride(int i) const { return stride_[i][rank_ - 1]; }
  // True when every operand is unit-stride or uniform along the innermost dim.
  bool inner_unit(const bool* streamed) const {
    for (int i = 0; i < nops_; ++i) {
      if (streamed[i] && inner_stride(i) != 1) return false;
    }
    return true;
  }

  // Calls row(off, n) for each run of positions of [begin, end) along the
  // innermost dim, in order: off[i] is operand i's element offset at the
  // run's first position (0 for uniform operands), n the run's length.
  template <class Row>
  void for_each_row(int64_t begin, int64_t end, Row&& row) const {
    int64_t idx[kMaxRank];
    int64_t off[kMaxOperands] = {};
    int64_t rest = begin;
    for (int d = rank_ - 1; d >= 0; --d) {
      idx[d] = rest % size_[d];
      rest /= size_[d];
    }
    for (int i = 0; i < nops_; ++i) {
      for (int d = 0; d < rank_; ++d) off[i] += idx[d] * stride_[i][d];
    }
    const int last = rank_ - 1;
    int64_t linear = begin;
    while (linear < end) {
      const int64_t seg = std::min(size_[last] - idx[last], end - linear);
      row(static_cast<const int64_t*>(off), seg);
      linear += seg;
      if (linear >= end) break;
      idx[last] += seg;
      for (int i = 0; i < nops_; ++i) off[i] += seg * stride_[i][last];
      for (int d = last; d > 0 && idx[d] == size_[d]; --d) {
        idx[d] = 0;
        ++idx[d - 1];
        for (int i = 0; i < nops_; ++i) off[i] += stride_[i][d - 1] - size_[d] * stride_[i][d];
      }
    }
  }

 private:
  int nops_;
  int rank_ = 0;
  int64_t size_[kMaxRank];
  int64_t stride_[kMaxOperands][kMaxRank];
};

}  // namespace fuze
