// The outputs' layouts of one group call, as eager's TensorIterator would
// allocate them node by node (FusionGroupRunner::output_layouts).
#include <algorithm>
#include <vector>

#include "frontend/fusion_group.h"
#include "runtime/runtime.h"

namespace fuze::frontend {

bool FusionGroupRunner::output_layouts(GroupCall* call) const {
  // Each node's result as TensorIterator allocates it over its own shape,
  // node by node, so a chain's layout follows its operands' layouts. An
  // operand's stride is 0 on dims it broadcasts along (ATen's compute_strides).
  const size_t r = static_cast<size_t>(call->rank);
  const size_t steps = layout_steps_.size();
  int64_t local[2 * 32 * kMaxGroupRank];  // no allocation for up to 32 nodes
  std::vector<int64_t> heap(steps > 32 ? 2 * steps * r : 0);
  int64_t* shapes = steps > 32 ? heap.data() : local;
  int64_t* strides = shapes + steps * r;
  int64_t op_shape[8 * kMaxGroupRank], op_strides[8 * kMaxGroupRank];
  for (size_t k = 0; k < steps; ++k) {
    int64_t* shape = &shapes[k * r];
    std::fill(shape, shape + r, 1);
    int num_ops = 0;
    for (int o : layout_steps_[k].operands) {
      if (num_ops == 8) break;
      int64_t* osz = op_shape + static_cast<size_t>(num_ops) * r;
      int64_t* ost = op_strides + static_cast<size_t>(num_ops) * r;
      if (o >= 0) {
        if (call->tensors[static_cast<size_t>(o)] == nullptr) continue;
        const c10::IntArrayRef sizes = call->input_sizes(static_cast<size_t>(o));
        const c10::IntArrayRef tstrides(call->tstrides[static_cast<size_t>(o)], sizes.size());
        const size_t off = r - sizes.size();
        std::fill(osz, osz + off, 1);
        std::fill(ost, ost + off, 0);
        std::copy(sizes.begin(), sizes.end(), osz + off);
        std::copy(tstrides.begin(), tstrides.end(), ost + off);
      } else {
        const size_t j = static_cast<size_t>(~o);
        std::copy(&shapes[j * r], &shapes[j * r] + r, osz);
        std::copy(&strides[j * r], &strides[j * r] + r, ost);
      }
      for (size_t d = 0; d < r; ++d) shape[d] = std::max(shape[d], osz[d]);
      ++num_ops;
    }
    for (int i = 0; i < num_ops; ++i) {
      for (size_t d = 0; d < r; ++d) {
        const size_t at = static_cast<size_t>(i) * r + d;
        if (op_shape[at] == 1 && shape[d] != 1) op_strides[at] = 0;
      }
    }
    runtime::iterator_output_strides(call->rank, shape, layout_steps_[k].contiguous ? 0 : num_ops, op_strides,
                                     &strides[k * r]);
  }
  bool contiguous = true;
  for (size_t o = 0; o < num_outputs_; ++o) {
    int64_t* out = call->out_strides + o * r;
    const int k = output_step_[o];
    if (k < 0) {
      runtime::iterator_output_strides(call->rank, call->iter, 0, nullptr, out);
    } else {
      std::copy(&strides[static_cast<size_t>(k) * r], &strides[static_cast<size_t>(k) * r] + r, out);
    }
    for (size_t d = 0, expect = 1; d < r; ++d) {
      const size_t dd = r - 1 - d;
      if (call->iter[dd] != 1 && out[dd] != static_cast<int64_t>(expect)) contiguous = false;
      expect *= static_cast<size_t>(std::max<int64_t>(call->iter[dd], 1));
    }
  }
  return contiguous;
}

}  // namespace fuze::frontend
