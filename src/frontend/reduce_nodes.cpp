// The reductions the fusion pass takes into groups (frontend.h: ReduceSpec):
// which overloads, their constant dims, and which can share a group. The
// lowering to kernel IR is lower_reduce.cpp; the per-call shape rules are
// group_shapes.cpp.
#include <torch/csrc/jit/ir/constants.h>

#include <algorithm>

#include "frontend/frontend.h"

namespace fuze::frontend {

namespace aten = c10::aten;
namespace attr = c10::attr;
using torch::jit::Node;
using torch::jit::Value;

namespace {

bool is_tensor(const Value* v) { return v->type()->cast<c10::TensorType>() != nullptr; }

// A constant int list (or a single int) as dims; false when not constant.
bool constant_dims(const Value* v, std::vector<int64_t>* out) {
  auto iv = torch::jit::toIValue(v);
  if (!iv) return false;
  if (iv->isInt()) {
    *out = {iv->toInt()};
    return true;
  }
  if (iv->isIntList()) {
    *out = iv->toIntVector();
    return true;
  }
  return false;
}

bool constant_bool(const Value* v, bool* out) {
  auto iv = torch::jit::toIValue(v);
  if (!iv || !iv->isBool()) return false;
  *out = iv->toBool();
  return true;
}

// A `ScalarType? dtype` argument: None, or a constant fuze dtype.
bool dtype_arg(const Value* v) {
  if (v->type()->kind() == c10::TypeKind::NoneType) return true;
  double code = 0;
  ir::DType t;
  return constant_number(v, &code) && code >= 0 && code < static_cast<double>(c10::NumScalarTypes) &&
         dtype_of_scalar_type(static_cast<c10::ScalarType>(static_cast<int>(code)), &t);
}

// The reductions of a node, or of a group's nodes.
void reduce_specs(const Node* n, std::vector<ReduceSpec>* out) {
  if (n->kind() == fusion_group_symbol()) {
    for (const Node* m : n->g(attr::Subgraph)->nodes()) reduce_specs(m, out);
    return;
  }
  ReduceSpec s;
  if (is_reduction_kind(n->kind()) && reduction_fusibility(n, nullptr, &s).empty()) out->push_back(std::move(s));
}

bool same_rows(ReduceSpec a, ReduceSpec b) {
  std::sort(a.dims.begin(), a.dims.end());
  std::sort(b.dims.begin(), b.dims.end());
  return a.all == b.all && (a.all || a.dims == b.dims);
}

}  // namespace

bool is_reduction_kind(c10::Symbol kind) {
  return kind == aten::sum || kind == aten::mean || kind == aten::prod || kind == aten::amax || kind == aten::amin ||
         kind == aten::logsumexp || kind == aten::var || kind == aten::std || kind == aten::softmax ||
         kind == aten::log_softmax || kind == aten::layer_norm;
}

std::string reduction_fusibility(const Node* node, const ProfiledDtypes* profiled, ReduceSpec* spec) {
  const c10::Symbol kind = node->kind();
  const size_t n = node->inputs().size();
  const std::string name = kind.toQualString();
  if (node->outputs().size() != 1 || !is_tensor(node->output()) || n == 0 || !is_tensor(node->input(0))) {
    return "not the tensor overload of " + name;
  }
  ReduceSpec s;
  bool ok = false;
  if (kind == aten::sum || kind == aten::mean) {
    // (self, dtype) over every dim, or (self, int[]? dim, keepdim, dtype).
    if (n == 2) {
      s.all = true;
      s.keepdim = false;
      ok = dtype_arg(node->input(1));
    } else if (n == 4) {
      s.all = node->input(1)->type()->kind() == c10::TypeKind::NoneType;
      ok = (s.all || constant_dims(node->input(1), &s.dims)) && constant_bool(node->input(2), &s.keepdim) &&
           dtype_arg(node->input(3));
    }
  } else if (kind == aten::prod) {
    // (self, dtype) over every dim, or (self, int dim, keepdim, dtype).
    if (n == 2) {
      s.all = true;
      s.keepdim = false;
      ok = dtype_arg(node->input(1));
    } else if (n == 4) {
      double dim = 0;
      ok = constant_number(node->input(1), &dim) && constant_bool(node->input(2), &s.keepdim) &&
           dtype_arg(node->input(3));
      s.dims = {static_cast<int64_t>(dim)};
    }
  } else if (kind == aten::var || kind == aten::std) {
    // (self, bool unbiased) over every dim; (self, int[]? dim, bool unbiased,
    // keepdim); (self, int[]? dim, Scalar? correction, keepdim).
    bool unbiased = true;
    if (n == 2) {
      s.all = true;
      s.keepdim = false;
      ok = constant_bool(node->input(1), &unbiased);
      s.correction = unbiased ? 1.0 : 0.0;
    } else if (n == 4) {
      s.all = node->input(1)->type()->kind() == c10::TypeKind::NoneType;
      ok = (s.all || constant_dims(node->input(1), &s.dims)) && constant_bool(node->input(3), &s.keepdim);
      const Value* c = node->input(2);
      if (c->type()->kind() == c10::TypeKind::BoolType) {
        ok = ok && constant_bool(c, &unbiased);
        s.correction = unbiased ? 1.0 : 0.0;
      } else if (c->type()->kind() != c10::TypeKind::NoneType) {
        ok = ok && constant_number(c, &s.correction);
      }
    }
  } else if (kind == aten::amax || kind == aten::amin || kind == aten::logsumexp) {
    ok = n == 3 && constant_dims(node->input(1), &s.dims) && constant_bool(node->input(2), &s.keepdim);
  } else if (kind == aten::softmax || kind == aten::log_softmax) {
    // (self, int dim, ScalarType? dtype)
    double dim = 0;
    ok = n == 3 && constant_number(node->input(1), &dim) && dtype_arg(node->input(2));
    s.dims = {static_cast<int64_t>(dim)};
    s.full_output = true;
  } else if (kind == aten::layer_norm) {
    // (input, int[] normalized_shape, Tensor? weight, Tensor? bias, float eps, bool cudnn_enable)
    double eps = 0;
    ok = n == 6 && constant_dims(node->input(1), &s.normalized_shape) && !s.normalized_shape.empty() &&
         constant_number(node->input(4), &eps);
    for (size_t i = 2; ok && i <= 3; ++i) {
      ok = is_tensor(node->input(i)) || node->input(i)->type()->kind() == c10::TypeKind::NoneType;
    }
    const int64_t k = static_cast<int64_t>(s.normalized_shape.size());
    for (int64_t i = 0; i < k; ++i) s.dims.push_back(i - k);
    s.full_output = true;
  } else {
    return "unsupported op " + name;
  }
  if (!ok) return "unsupported overload of " + name + " (dims, keepdim, dtype and eps must be constants)";
  if (!s.all && s.dims.empty()) s.all = true;  // sum/amax over dim=[]: every dim, as ATen
  for (const Value* v : node->inputs()) {
    if (!is_tensor(v)) continue;
    if (std::string why = check_tensor_value(v, profiled, "input"); !why.empty()) return why;
  }
  if (std::string why = check_tensor_value(node->output(), profiled, "output"); !why.empty()) return why;
  if (spec != nullptr) *spec = std::move(s);
  return "";
}

void constant_reduce_dims(torch::jit::Block* block) {
  for (Node* n : block->nodes()) {
    for (torch::jit::Block* sub : n->blocks()) constant_reduce_dims(sub);
    if (!is_reduction_kind(n->kind()) || n->inputs().size() < 2) continue;
    const Node* list = n->input(1)->node();
    if (list->kind() != c10::prim::ListConstruct) continue;
    std::vector<int64_t> dims;
    for (const Value* v : list->inputs()) {
      auto iv = torch::jit::toIValue(v);
      if (!iv || !iv->isInt()) break;
      dims.push_back(iv->toInt());
    }
    if (dims.size() != list->inputs().size()) continue;
    torch::jit::WithInsertPoint guard(n);
    n->replaceInput(1, block->owningGraph()->insertConstant(dims));
  }
}

// Why producer `p` (a node or a group) and its consumer `g` cannot share a
// group because of their reductions ("" when they can): one kernel reduces
// one set of trailing dims (written alike: dim=-1 and dim=2 differ here), and
// a result without its reduced dims (keepdim=False) broadcasts otherwise than
// the kernel's per-row values, so it may only leave the group.
std::string reduction_conflict(const Node* p, const Node* g) {
  std::vector<ReduceSpec> a, b;
  reduce_specs(p, &a);
  reduce_specs(g, &b);
  for (const ReduceSpec& x : a) {
    for (const ReduceSpec& y : b) {
      if (!same_rows(x, y)) return "it reduces other dims than its fusible neighbour's reduction";
    }
  }
  for (size_t i = 0; i < p->outputs().size(); ++i) {
    const auto& uses = p->output(i)->uses();
    if (std::none_of(uses.begin(), uses.end(), [&](const torch::jit::Use& u) { return u.user == g; })) continue;
    const Node* src = p->kind() == fusion_group_symbol() ? p->g(attr::Subgraph)->outputs()[i]->node() : p;
    ReduceSpec s;
    if (is_reduction_kind(src->kind()) && reduction_fusibility(src, nullptr, &s).empty() && !s.full_output &&
        !s.keepdim) {
      return "a reduction that drops its reduced dims (keepdim=False) feeds a fusible consumer";
    }
  }
  return "";
}

int trailing_reduce_rank(const ReduceSpec& spec, int rank) {
  if (spec.all) return rank;
  std::vector<int64_t> dims;
  for (int64_t d : spec.dims) {
    const int64_t nd = d < 0 ? d + rank : d;
    if (nd < 0 || nd >= rank) return 0;
    dims.push_back(nd);
  }
  std::sort(dims.begin(), dims.end());
  const int k = static_cast<int>(dims.size());
  for (int i = 0; i < k; ++i) {
    if (dims[static_cast<size_t>(i)] != rank - k + i) return 0;  // not trailing, or repeated
  }
  return k;
}

}  // namespace fuze::frontend
