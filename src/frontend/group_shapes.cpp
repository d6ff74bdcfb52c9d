// ShapeProgram (fusion_group.h): the eager shapes of a group with reductions,
// followed node by node for each call.
#include <algorithm>
#include <unordered_map>

#include "frontend/fusion_group.h"

namespace fuze::frontend {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

namespace {

using Shape = c10::SmallVector<int64_t, kMaxGroupRank>;

bool is_tensor(const Value* v) { return v->type()->cast<c10::TensorType>() != nullptr; }

// Numpy broadcasting of b into a (right-aligned); false when incompatible.
bool broadcast(Shape* a, const Shape& b) {
  if (b.size() > a->size()) a->insert(a->begin(), b.size() - a->size(), 1);
  const size_t off = a->size() - b.size();
  for (size_t i = 0; i < b.size(); ++i) {
    int64_t& d = (*a)[off + i];
    if (b[i] == d || b[i] == 1) continue;
    if (d != 1) return false;
    d = b[i];
  }
  return true;
}

Shape keepdim(const int64_t* iter, int rank, int k) {
  Shape s(iter, iter + rank);
  std::fill(s.end() - k, s.end(), 1);
  return s;
}

}  // namespace

Status ShapeProgram::build(const Graph& g) {
  steps_.clear();
  outputs_.clear();
  std::unordered_map<const Value*, int> operand_of;
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    if (is_tensor(g.inputs()[i])) operand_of[g.inputs()[i]] = static_cast<int>(i);
  }
  bool any_reduce = false;
  auto operand = [&](const Value* v, std::vector<int>* out) -> Status {
    if (!is_tensor(v)) return Status::ok();
    auto it = operand_of.find(v);
    if (it == operand_of.end()) {
      if (v->node()->kind() == c10::prim::Constant) return Status::ok();  // a 0-dim constant: shapes nothing
      return Status::error("a reduction group with a value whose shape fuze cannot follow (%" + v->debugName() + ")");
    }
    out->push_back(it->second);
    return Status::ok();
  };
  for (const Node* n : g.nodes()) {
    if (n->kind() == c10::prim::Constant) continue;
    if (n->outputs().size() != 1) return Status::error("a reduction group with a node of several outputs");
    Step step;
    step.reduce = is_reduction_kind(n->kind());
    if (step.reduce) {
      any_reduce = true;
      if (std::string why = reduction_fusibility(n, nullptr, &step.spec); !why.empty()) return Status::error(why);
      FUZE_TRY(operand(n->input(0), &step.operands));
      if (n->kind() == c10::aten::layer_norm) {
        for (size_t i = 2; i <= 3; ++i) FUZE_TRY(operand(n->input(i), &step.affine));
      }
    } else {
      // Casts take their shape from their input alone (type_as: not from `other`).
      const size_t count = is_cast_kind(n->kind()) ? 1 : n->inputs().size();
      for (size_t i = 0; i < count; ++i) FUZE_TRY(operand(n->input(i), &step.operands));
    }
    operand_of[n->output()] = ~static_cast<int>(steps_.size());
    steps_.push_back(std::move(step));
  }
  if (!any_reduce) {
    steps_.clear();
    return Status::ok();
  }
  for (const Value* v : g.outputs()) {
    auto it = operand_of.find(v);
    if (it == operand_of.end()) return Status::error("a reduction group with an output fuze cannot follow");
    outputs_.push_back(it->second);
  }
  return Status::ok();
}

const char* ShapeProgram::check(GroupCall* call, size_t num_inputs) const {
  const int rank = call->rank;
  const Shape iter(call->iter, call->iter + rank);
  std::vector<Shape> shapes(steps_.size());
  auto shape_of = [&](int op) -> Shape {
    if (op < 0) return shapes[static_cast<size_t>(~op)];
    const size_t i = static_cast<size_t>(op);
    if (i >= num_inputs || call->tensors[i] == nullptr) return {};
    const c10::IntArrayRef s = call->input_sizes(i);
    return Shape(s.begin(), s.end());
  };
  int k = 0;
  for (size_t j = 0; j < steps_.size(); ++j) {
    const Step& st = steps_[j];
    Shape s;
    for (int op : st.operands) {
      if (!broadcast(&s, shape_of(op))) return "input shapes do not broadcast";
    }
    if (st.reduce) {
      if (s != iter) return "a reduction's input is smaller than the iteration space";
      const int kk = trailing_reduce_rank(st.spec, rank);
      if (kk == 0) return "a reduction over dims other than the trailing ones (or of a 0-dim tensor)";
      if (k != 0 && kk != k) return "reductions over different dims in one group";
      k = kk;
      if (!st.spec.normalized_shape.empty()) {
        const Shape norm(st.spec.normalized_shape.begin(), st.spec.normalized_shape.end());
        if (!std::equal(norm.begin(), norm.end(), s.end() - k)) return "layer_norm's normalized_shape is not the input's";
        for (int op : st.affine) {
          if (shape_of(op) != norm) return "layer_norm's weight or bias is not of normalized_shape";
        }
      }
      if (!st.spec.full_output) s = st.spec.keepdim ? keepdim(call->iter, rank, k) : Shape(s.begin(), s.end() - k);
    }
    shapes[j] = std::move(s);
  }
  call->reduce_dims = k;
  int64_t row = 1;
  for (int d = rank - k; d < rank; ++d) row *= call->iter[d];
  if (row == 0) return "an empty reduction (TorchScript's ops run: eager raises for amax/amin of no elements)";
  const Shape kept = keepdim(call->iter, rank, k);
  const Shape dropped(iter.begin(), iter.end() - k);
  for (size_t o = 0; o < outputs_.size(); ++o) {
    const Shape s = shape_of(outputs_[o]);
    if (s == iter) {
      call->out_shape[o] = kFullShape;
    } else if (s == kept) {
      call->out_shape[o] = kRowKeepdim;
    } else if (s == dropped) {
      call->out_shape[o] = kRowDropped;
    } else {
      return "an output is smaller than the iteration space";
    }
  }
  return nullptr;
}

}  // namespace fuze::frontend
