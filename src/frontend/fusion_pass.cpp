// The fusion pass: finds maximal groups of supported elementwise nodes in a
// TorchScript graph (every block, including prim::If / prim::Loop bodies) and
// replaces each group of two or more by a fuze::FusionGroup node that owns the
// group's subgraph.
//
// Grouping: each block is scanned from its end; a member (a fusible node or a
// group) absorbs the producers of its inputs one at a time. A producer p is
// merged into the consumer g only once p sits immediately before g: p is moved
// down next to g, or g up next to p, with AliasDb's topologically valid moves
// (which refuse to cross a write the node depends on). Adjacency is what makes
// the merge safe: merging executes p at g's position, and with nothing in
// between, no read or write can be reordered. Scans repeat until nothing merges.
#include <torch/csrc/jit/ir/alias_analysis.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/passes/remove_mutation.h>
#include <torch/csrc/jit/passes/utils/subgraph_utils.h>
#include <torch/version.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "fuze/fuze.h"
#include "frontend/frontend.h"
#include "runtime/runtime.h"
#include "support/log.h"

namespace fuze::frontend {

using torch::jit::AliasDb;
using torch::jit::Block;
using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;
namespace attr = c10::attr;
namespace prim = c10::prim;
namespace aten = c10::aten;

c10::Symbol fusion_group_symbol() {
  static const c10::Symbol sym = c10::Symbol::fromQualString("fuze::FusionGroup");
  return sym;
}

int count_fusion_groups(const Block* block) {
  int n = 0;
  for (const Node* node : block->nodes()) {
    n += node->kind() == fusion_group_symbol();
    for (const Block* sub : node->blocks()) n += count_fusion_groups(sub);
  }
  return n;
}

c10::Symbol constant_split_symbol() {
  static const c10::Symbol sym = c10::Symbol::fromQualString("fuze::ConstantSplit");
  return sym;
}

// ---- the op table (ops.def) ------------------------------------------------

namespace {

const std::unordered_map<c10::Symbol, ir::Op>& op_table() {
  static const auto* table = [] {
    auto* t = new std::unordered_map<c10::Symbol, ir::Op>();
    for (int i = 0; i < ir::num_ops(); ++i) {
      ir::Op op = ir::op_at(i);
      const char* aten_name = ir::op_info(op).aten;
      if (aten_name != nullptr && aten_name[0] != '\0') {
        t->emplace(c10::Symbol::fromQualString(aten_name), op);
      }
    }
    return t;
  }();
  return *table;
}

bool is_number_type(const c10::TypePtr& t) {
  switch (t->kind()) {
    case c10::TypeKind::IntType:
    case c10::TypeKind::FloatType:
    case c10::TypeKind::BoolType:
    case c10::TypeKind::NumberType:
      return true;
    default:
      return false;
  }
}

bool is_tensor(const Value* v) { return v->type()->cast<c10::TensorType>() != nullptr; }
bool is_none(const Value* v) { return v->type()->kind() == c10::TypeKind::NoneType; }

// The dtype check for one tensor value: known (traced) or profiled dtypes fuze
// has no kernels for are not fused; unknown ones are guarded at run time.
bool fusible_dtype(c10::ScalarType t) {
  ir::DType unused;
  return dtype_of_scalar_type(t, &unused);
}

// CPU tensors, and CUDA tensors where libtorch 2.x hands fuze its streams (the
// guard in fusion_group_op.cpp narrows that to cuda:0 at run time).
bool fusible_device(const c10::Device& d) {
#if TORCH_VERSION_MAJOR >= 2
  if (d.is_cuda()) return true;
#endif
  return d.is_cpu();
}

}  // namespace

std::string check_tensor_value(const Value* v, const ProfiledDtypes* profiled, const char* what) {
  auto tt = v->type()->cast<c10::TensorType>();
  if (tt->scalarType() && !fusible_dtype(*tt->scalarType())) {
    return std::string("unsupported dtype ") + c10::toString(*tt->scalarType()) + " (" + what + ")";
  }
  if (tt->device() && !fusible_device(*tt->device())) {
    return std::string("unsupported device ") + tt->device()->str() + " (" + what + ")";
  }
  if (profiled != nullptr) {
    auto it = profiled->find(v);
    if (it != profiled->end() && !fusible_dtype(it->second)) {
      return std::string("unsupported dtype ") + c10::toString(it->second) + " (profiled " + what + ")";
    }
  }
  return "";
}

namespace {

// Operand kinds per overload: 'T' tensor, 'N' number, 'E' either, 'C' constant
// number, 'O' None or number, 'S' constant string, 'Z' None.
const std::unordered_map<c10::Symbol, std::string>& composite_patterns() {
  static const auto* m = new std::unordered_map<c10::Symbol, std::string>{
      {aten::clamp, "TOO"},        {aten::hardtanh, "TCC"}, {aten::relu6, "T"},      {aten::addcmul, "TTTC"},
      {aten::addcdiv, "TTTC"},     {aten::square, "T"},     {aten::masked_fill, "TTN"},
  };
  return *m;
}

}  // namespace

std::optional<ir::Op> op_for_kind(c10::Symbol kind) {
  const auto& table = op_table();
  auto it = table.find(kind);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

bool is_composite_kind(c10::Symbol kind) { return composite_patterns().count(kind) != 0; }
bool is_cast_kind(c10::Symbol kind) { return kind == aten::to || kind == aten::type_as; }

namespace {

bool is_fuze_kind(c10::Symbol kind) { return is_composite_kind(kind) || is_cast_kind(kind) || op_for_kind(kind); }

// kind without a trailing '_' (aten::relu_ -> aten::relu); `inplace` says whether it had one.
c10::Symbol base_kind(c10::Symbol kind, bool* inplace) {
  const std::string name = kind.toUnqualString();
  *inplace = name.size() > 1 && name.back() == '_';
  return *inplace ? c10::Symbol::aten(name.substr(0, name.size() - 1)) : kind;
}

// ATen's pointwise ops (torch's "Pointwise Ops" and elementwise activations):
// the ones fuze has no kernel-IR op for still count in the coverage figures.
bool is_aten_pointwise(c10::Symbol kind) {
  static const auto* names = new std::unordered_set<std::string>{
      "abs", "absolute", "acos", "arccos", "acosh", "arccosh", "add", "addcdiv", "addcmul", "angle", "asin",
      "arcsin", "asinh", "arcsinh", "atan", "arctan", "atanh", "arctanh", "atan2", "arctan2", "bitwise_not",
      "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "__lshift__",
      "__rshift__", "ceil", "clamp", "clip", "clamp_min", "clamp_max", "copysign", "cos", "cosh", "deg2rad", "div",
      "divide", "true_divide", "digamma", "erf", "erfc", "erfinv", "exp", "exp2", "expm1", "fix", "float_power",
      "floor", "floor_divide", "fmod", "frac", "ldexp", "lerp", "lgamma", "log", "log10", "log1p", "log2",
      "logaddexp", "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor", "logit", "hypot", "i0",
      "igamma", "igammac", "mul", "multiply", "mvlgamma", "nan_to_num", "neg", "negative", "nextafter",
      "polygamma", "positive", "pow", "rad2deg", "reciprocal", "remainder", "round", "rsqrt", "sigmoid", "sign",
      "sgn", "signbit", "sin", "sinc", "sinh", "sqrt", "square", "sub", "subtract", "rsub", "tan", "tanh", "trunc",
      "xlogy", "special_entr", "special_ndtr", "special_ndtri", "special_log_ndtr", "special_erfcx",
      "special_xlog1py", "relu", "relu6", "hardtanh", "hardswish", "hardsigmoid", "silu", "mish", "elu", "selu",
      "celu", "gelu", "leaky_relu", "rrelu", "softplus", "softshrink", "hardshrink", "tanhshrink", "threshold",
      "log_sigmoid", "prelu", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
      "not_equal", "maximum", "minimum", "fmax", "fmin", "isnan", "isinf", "isfinite", "isposinf", "isneginf",
      "where", "masked_fill", "to", "type_as"};
  return kind.is_aten() && names->count(kind.toUnqualString()) != 0;
}

}  // namespace

bool is_elementwise_kind(c10::Symbol kind) {
  if (!kind.is_aten()) return false;
  bool inplace = false;
  const c10::Symbol base = base_kind(kind, &inplace);
  return is_fuze_kind(kind) || is_fuze_kind(base) || is_aten_pointwise(kind) || is_aten_pointwise(base);
}

// aten::to(Tensor, ScalarType dtype, bool non_blocking, bool copy, MemoryFormat? None),
// aten::to(Tensor, int? dtype, bool non_blocking, bool copy) with a constant
// dtype, and aten::type_as(Tensor, Tensor): casts. "" when fusible.
std::string cast_fusibility(const Node* node, const ProfiledDtypes* profiled) {
  const size_t n = node->inputs().size();
  if (node->outputs().size() != 1 || !is_tensor(node->output()) || n == 0 || !is_tensor(node->input(0))) {
    return std::string("not the tensor overload of ") + node->kind().toQualString();
  }
  if (node->kind() == aten::type_as) {
    if (n != 2 || !is_tensor(node->input(1))) return "unsupported overload of aten::type_as";
  } else {
    double dtype = 0, flag = 0;
    const bool dtype_ok = n >= 4 && constant_number(node->input(1), &dtype) && dtype >= 0 &&
                          dtype < static_cast<double>(c10::NumScalarTypes) &&
                          fusible_dtype(static_cast<c10::ScalarType>(static_cast<int>(dtype)));
    if (!dtype_ok) return "aten::to without a constant fusible dtype (device or tensor overload)";
    if (!constant_number(node->input(2), &flag) || !constant_number(node->input(3), &flag) ||
        (n == 5 && !is_none(node->input(4))) || n > 5) {
      return "aten::to with a memory format or non-constant flags";
    }
  }
  for (const Value* v : node->inputs()) {
    if (is_tensor(v)) {
      if (std::string why = check_tensor_value(v, profiled, "input"); !why.empty()) return why;
    }
  }
  return check_tensor_value(node->output(), profiled, "output");
}

namespace {

// An op whose result dtype is known (traced graphs, profiles) and that the
// CPU backend in use has no kernel for at that dtype (ops.def's native
// column: x86 lacks the approximate ops and the fmod family on float64): in a
// group it would only add a fallback to every call, so TorchScript runs it.
std::string backend_fusibility(ir::Op op, const Value* out, const ProfiledDtypes* profiled) {
  if (options().backend != BackendKind::kX86) return "";
  auto tt = out->type()->cast<c10::TensorType>();
  if (tt && tt->device() && !tt->device()->is_cpu()) return "";
  c10::optional<c10::ScalarType> st;
  if (tt) st = tt->scalarType();
  if (!st && profiled != nullptr) {
    auto it = profiled->find(out);
    if (it != profiled->end()) st = it->second;
  }
  const ir::OpInfo& info = ir::op_info(op);
  if (!st || *st != c10::ScalarType::Double || (info.native & ir::kX86F64) != 0) return "";
  if ((info.flags & (ir::kBoolOut | ir::kAnyIn)) != 0 || op == ir::Op::kWhere) return "";  // every dtype
  return std::string("x86 has no float64 kernel for ") + info.name + " (TorchScript runs it)";
}

}  // namespace

std::string fusibility(const Node* node, const ProfiledDtypes* profiled) {
  const c10::Symbol kind = node->kind();
  if (is_reduction_kind(kind)) {
    if (!runtime::options().fuse_reductions) return "reduction fusion is off (FUZE_REDUCTIONS=0)";
    return reduction_fusibility(node, profiled, nullptr);
  }
  if (is_cast_kind(kind)) return cast_fusibility(node, profiled);
  if (kind == prim::ConstantChunk || kind == constant_split_symbol()) {  // joins groups: the guard makes the pieces
    if (node->inputs().size() != 1 || !is_tensor(node->input(0))) return "a chunk of a non-tensor";
    return check_tensor_value(node->input(0), profiled, "input");
  }
  std::optional<ir::Op> op = op_for_kind(kind);
  const bool composite = is_composite_kind(kind);
  if (!op && !composite) {
    bool inplace = false;
    const c10::Symbol base = base_kind(kind, &inplace);
    if (inplace && is_fuze_kind(base)) return std::string("in-place ") + kind.toQualString() + " mutates its input";
    if (is_aten_pointwise(base)) {
      return std::string("unsupported op ") + kind.toQualString() + " (elementwise, but fuze has no kernel op for it)";
    }
    return std::string("unsupported op ") + kind.toQualString();
  }
  if (node->outputs().size() != 1 || !is_tensor(node->output()) || node->inputs().empty() ||
      !is_tensor(node->input(0))) {
    return std::string("not the tensor overload of ") + kind.toQualString();
  }
  const size_t n = node->inputs().size();
  const std::string expect = composite ? composite_patterns().at(kind) : ir::op_info(*op).pattern;
  if (n != expect.size()) {
    return std::string("unsupported overload of ") + kind.toQualString() + " (" + std::to_string(n) + " operands)";
  }
  for (size_t i = 0; i < n; ++i) {
    const Value* v = node->input(i);
    const char c = expect[i];
    const bool tensor = is_tensor(v);
    const bool number = is_number_type(v->type());
    double unused = 0;
    bool ok = false;
    switch (c) {
      case 'T': ok = tensor; break;
      case 'N': ok = number; break;
      case 'E': ok = tensor || number; break;
      case 'C': ok = number && constant_number(v, &unused); break;
      case 'O': ok = number || is_none(v); break;
      case 'S': {
        auto iv = torch::jit::toIValue(v);
        ok = iv && iv->isString();
        break;
      }
      case 'Z': ok = is_none(v); break;
    }
    if (!ok) {
      return std::string("unsupported overload of ") + kind.toQualString() + " (operand " + std::to_string(i) +
             " is " + v->type()->repr_str() + ")";
    }
    if (tensor) {
      // A tensor constant (a traced Python number, a frozen weight) is fine:
      // a kernel constant or a group input (hoist_tensor_constants below).
      std::string why = check_tensor_value(v, profiled, "input");
      if (!why.empty()) return why;
    }
  }
  if (kind == aten::clamp && is_none(node->input(1)) && is_none(node->input(2))) return "clamp without bounds";
  if (op) {
    if (std::string why = backend_fusibility(*op, node->output(), profiled); !why.empty()) return why;
  }
  return check_tensor_value(node->output(), profiled, "output");
}

// ---- grouping --------------------------------------------------------------

bool constant_number(const Value* v, double* out) {
  auto iv = torch::jit::toIValue(v);
  if (!iv) return false;
  if (iv->isDouble()) *out = iv->toDouble();
  else if (iv->isInt()) *out = static_cast<double>(iv->toInt());
  else if (iv->isBool()) *out = iv->toBool() ? 1.0 : 0.0;
  else return false;
  return true;
}

namespace {

class Fuser {
 public:
  Fuser(std::shared_ptr<Graph> graph, const ProfiledDtypes* profiled)
      : graph_(std::move(graph)), profiled_(profiled), db_(graph_) {}

  int run() {
    fuse_block(graph_->block());
    dissolve_small_groups(graph_->block());
    hoist_tensor_constants(graph_->block());
    return count_fusion_groups(graph_->block());
  }

 private:
  bool is_group(const Node* n) const { return n->kind() == fusion_group_symbol(); }
  bool is_member(const Node* n) const {
    if (is_group(n)) return true;
    if (!fusibility(n, profiled_).empty()) return false;
    // aten::to returns its input itself when the dtype already matches; a
    // group returns a new tensor. Equal unless the alias is written to later.
    if (is_cast_kind(n->kind()) && (db_.hasWriters(n->input(0)) || db_.hasWriters(n->output()))) return false;
    return true;
  }

  // Merges producer `p` into consumer `g` (a node or a group) when both can be
  // made adjacent and their reductions agree (reduction_conflict); returns the
  // group, or nullptr when they cannot.
  Node* try_merge(Node* g, Node* p) {
    if (!reduction_conflict(p, g).empty()) return nullptr;
    if (p->next() != g) {
      const bool moved = db_.moveBeforeTopologicallyValid(p, g) && p->next() == g;
      if (!moved && !(db_.moveAfterTopologicallyValid(g, p) && p->next() == g)) return nullptr;
    }
    if (!is_group(g)) {
      g = torch::jit::SubgraphUtils::createSingletonSubgraphAndUpdateAliasing(g, fusion_group_symbol(), db_);
    }
    torch::jit::SubgraphUtils::mergeNodeIntoSubgraphAndUpdateAliasing(p, g, db_);
    return g;
  }

  // Producers of g's inputs in g's block that can join a group, latest first.
  std::vector<Node*> producers(Node* g) const {
    std::vector<Node*> out;
    for (Value* v : g->inputs()) {
      Node* p = v->node();
      if (p->owningBlock() != g->owningBlock() || p->kind() == prim::Param) continue;
      if (std::find(out.begin(), out.end(), p) != out.end()) continue;
      if (is_member(p)) out.push_back(p);
    }
    std::sort(out.begin(), out.end(), [](Node* a, Node* b) { return a->isAfter(b); });
    return out;
  }

  void fuse_block(Block* block) {
    for (Node* n : block->nodes()) {
      for (Block* sub : n->blocks()) fuse_block(sub);
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (auto it = block->nodes().rbegin(); it != block->nodes().rend();) {
        Node* g = *it;
        if (!is_member(g)) {
          ++it;
          continue;
        }
        for (bool merged = true; merged;) {
          merged = false;
          for (Node* p : producers(g)) {
            if (Node* group = try_merge(g, p)) {
              g = group;
              merged = changed = true;
              break;
            }
          }
        }
        it = g->reverseIterator();
        ++it;
      }
    }
  }

  static int real_nodes(const Graph& g) {
    int n = 0;
    for (const Node* node : g.nodes()) n += node->kind() != prim::Constant;
    return n;
  }

  void dissolve_small_groups(Block* block) {
    for (auto it = block->nodes().begin(); it != block->nodes().end();) {
      Node* n = *it;
      ++it;
      for (Block* sub : n->blocks()) dissolve_small_groups(sub);
      if (is_group(n) && real_nodes(*n->g(attr::Subgraph)) < 2) {
        torch::jit::SubgraphUtils::unmergeSubgraph(n);
      }
    }
  }

  // Merging clones every constant a node uses into the group's subgraph. A
  // 0-dim tensor constant (a traced Python number) stays there: the lowering
  // makes it a kernel constant with a 0-dim tensor's type promotion. Any other
  // tensor constant (a frozen module's weight) goes back out and becomes a
  // group input, fed by the same constant in the enclosing graph: the guard
  // treats it as any input.
  void hoist_tensor_constants(Block* block) {
    for (Node* n : block->nodes()) {
      for (Block* sub : n->blocks()) hoist_tensor_constants(sub);
      if (!is_group(n)) continue;
      Graph& subgraph = *n->g(attr::Subgraph);
      for (auto it = subgraph.nodes().begin(); it != subgraph.nodes().end();) {
        Node* c = *it;
        ++it;
        if (c->kind() != prim::Constant || !is_tensor(c->output())) continue;
        ir::DType dtype;
        double value;
        if (zero_dim_constant(torch::jit::toIValue(c->output())->toTensor(), &dtype, &value)) continue;
        Value* outer;
        {
          torch::jit::WithInsertPoint guard(n);
          outer = graph_->insertConstant(*torch::jit::toIValue(c->output()));
        }
        outer->setType(c->output()->type());
        n->addInput(outer);
        Value* in = subgraph.addInput()->setType(c->output()->type());
        c->output()->replaceAllUsesWith(in);
        c->destroy();
      }
    }
  }

  std::shared_ptr<Graph> graph_;
  const ProfiledDtypes* profiled_;
  AliasDb db_;
};

// Elementwise nodes left outside groups, with the reason.
void collect_unfused(Block* block, const ProfiledDtypes* profiled, std::vector<UnfusedNode>* out) {
  for (Node* n : block->nodes()) {
    for (Block* sub : n->blocks()) collect_unfused(sub, profiled, out);
    if (!is_elementwise_kind(n->kind()) && !is_reduction_kind(n->kind())) continue;
    UnfusedNode u;
    u.kind = n->kind().toQualString();
    u.value = n->outputs().empty() ? "" : "%" + n->output(0)->debugName();
    u.reason = fusibility(n, profiled);
    if (u.reason.empty()) {
      // Fusible itself: either alone, or kept apart from fusible neighbours:
      // by another user that must run before its fusible consumer (a group
      // taking it would have to run before that user, which its other inputs
      // do not allow), or by aliasing / mutation order.
      bool neighbour = false;
      auto member = [&](const Node* m) {
        return m->owningBlock() == block &&
               (m->kind() == fusion_group_symbol() || fusibility(m, profiled).empty());
      };
      for (const Value* v : n->inputs()) neighbour = neighbour || member(v->node());
      const Node* first_consumer = nullptr;
      std::vector<const Node*> others;
      for (const Value* v : n->outputs()) {
        for (const auto& use : v->uses()) {
          if (member(use.user)) {
            neighbour = true;
            if (first_consumer == nullptr || use.user->isBefore(first_consumer)) first_consumer = use.user;
          } else if (use.user->owningBlock() == block) {
            others.push_back(use.user);
          }
        }
      }
      const Node* between = nullptr;
      for (const Node* o : others) {
        if (first_consumer != nullptr && o->isBefore(first_consumer)) between = o;
      }
      // Likewise a fusible producer whose other user runs before this node.
      const Node* producer_user = nullptr;
      for (const Value* v : n->inputs()) {
        if (!member(v->node())) continue;
        for (const auto& use : v->uses()) {
          if (use.user != n && use.user->owningBlock() == block && !member(use.user) && use.user->isBefore(n)) {
            producer_user = use.user;
          }
        }
      }
      std::string conflict;
      for (const Value* v : n->inputs()) {
        if (conflict.empty() && member(v->node())) conflict = reduction_conflict(v->node(), n);
      }
      for (const Value* v : n->outputs()) {
        for (const auto& use : v->uses()) {
          if (conflict.empty() && member(use.user)) conflict = reduction_conflict(n, use.user);
        }
      }
      if (!conflict.empty()) {
        u.reason = conflict;
      } else if (between != nullptr) {
        u.reason = std::string("its other user ") + between->kind().toQualString() +
                   " runs between it and its fusible consumer";
      } else if (producer_user != nullptr) {
        u.reason = std::string("its fusible producer's other user ") + producer_user->kind().toQualString() +
                   " runs between them";
      } else {
        u.reason = neighbour ? "aliasing or mutation order keeps it apart from its fusible neighbours"
                   : is_reduction_kind(n->kind()) ? "a reduction with no fusible neighbour (ATen's own kernel runs it)"
                                                  : "group of one node";
      }
    }
    out->push_back(std::move(u));
  }
}

// Per-graph unfused lists, for `fuze dump` and tests.
struct Registry {
  std::mutex mu;
  std::unordered_map<const Graph*, std::pair<std::weak_ptr<Graph>, std::vector<UnfusedNode>>> map;
};
Registry& registry() {
  static auto* r = new Registry();
  return *r;
}

}  // namespace

void remove_profile_nodes(Block* block, ProfiledDtypes* profiled) {
  for (auto it = block->nodes().begin(); it != block->nodes().end();) {
    Node* n = *it;
    ++it;
    for (Block* sub : n->blocks()) remove_profile_nodes(sub, profiled);
    if (n->kind() != prim::profile || n->inputs().size() != 1 || n->outputs().size() != 1) continue;
    Value* in = n->input(0);
    if (profiled != nullptr && n->hasAttribute(attr::profiled_type)) {
      auto tt = n->ty(attr::profiled_type)->cast<c10::TensorType>();
      if (tt && tt->scalarType()) {
        const c10::ScalarType seen = *tt->scalarType();
        auto [pos, inserted] = profiled->emplace(in, seen);
        if (!inserted && pos->second != seen) pos->second = c10::ScalarType::Undefined;
      }
    }
    n->output()->replaceAllUsesWith(in);
    n->destroy();
  }
}

namespace {

// x.chunk(n, dim) and x.split(s, dim) / x.split([s] * n, dim) unpacked into n
// values (an LSTM cell's gates.chunk(4, 1)) become one node with n outputs,
// prim::ConstantChunk or fuze::ConstantSplit, which groups take
// (kernel_graph.cpp). Each remembers the op it replaced (attribute "from"):
// one that no group took goes back to that op and prim::ListUnpack
// afterwards (TorchScript's own ops and errors).
const c10::Symbol kFrom = c10::Symbol::attr("from");

// The constant split size of aten::split(x, int s, dim) or of a list of n
// equal sizes; 0 when not constant.
int64_t constant_split_size(const Node* n, size_t pieces) {
  if (auto iv = torch::jit::toIValue(n->input(1))) {
    if (iv->isInt()) return iv->toInt();
    if (iv->isIntList()) {
      const auto list = iv->toIntVector();
      if (list.size() == pieces && std::all_of(list.begin(), list.end(), [&](int64_t x) { return x == list[0]; })) {
        return list[0];
      }
    }
  }
  return 0;
}

void make_piece_nodes(Block* block) {
  for (auto it = block->nodes().begin(); it != block->nodes().end();) {
    Node* n = *it;
    ++it;
    for (Block* sub : n->blocks()) make_piece_nodes(sub);
    const bool chunk = n->kind() == aten::chunk;
    const bool split = n->kind() == aten::split || n->kind() == aten::split_with_sizes;
    if ((!chunk && !split) || n->inputs().size() != 3 || !is_tensor(n->input(0))) continue;
    if (n->output()->uses().size() != 1) continue;
    Node* unpack = n->output()->uses()[0].user;
    if (unpack->kind() != prim::ListUnpack) continue;
    const size_t pieces = unpack->outputs().size();
    double count = 0, dim = 0;
    if (!constant_number(n->input(2), &dim)) continue;
    Node* c;
    if (chunk) {
      if (!constant_number(n->input(1), &count) || static_cast<size_t>(count) != pieces) continue;
      c = block->owningGraph()->create(prim::ConstantChunk, {n->input(0)}, pieces);
    } else {
      const int64_t size = constant_split_size(n, pieces);
      if (size <= 0) continue;
      c = block->owningGraph()->create(constant_split_symbol(), {n->input(0)}, pieces);
      c->i_(c10::Symbol::attr("split_size"), size);
      c->i_(c10::Symbol::attr("exact"), torch::jit::toIValue(n->input(1))->isIntList() ? 1 : 0);
    }
    c->i_(attr::chunks, static_cast<int64_t>(pieces))->i_(attr::dim, static_cast<int64_t>(dim));
    c->s_(kFrom, n->kind().toQualString());
    c->insertBefore(unpack);
    for (size_t i = 0; i < pieces; ++i) {
      c->output(i)->setType(unpack->output(i)->type());
      unpack->output(i)->replaceAllUsesWith(c->output(i));
    }
    if (it != block->nodes().end() && *it == unpack) ++it;
    unpack->destroy();
    n->destroy();
  }
}

// After grouping: a node of make_piece_nodes left outside every group becomes
// the op it replaced and a prim::ListUnpack again.
void settle_piece_nodes(Block* block) {
  for (auto it = block->nodes().begin(); it != block->nodes().end();) {
    Node* c = *it;
    ++it;
    for (Block* sub : c->blocks()) settle_piece_nodes(sub);
    if (!c->hasAttribute(kFrom)) continue;
    Graph& graph = *c->owningGraph();
    const c10::Symbol from = c10::Symbol::fromQualString(c->s(kFrom));
    const int64_t pieces = c->i(attr::chunks);
    torch::jit::WithInsertPoint guard(c);
    Value* size;
    if (c->kind() == prim::ConstantChunk) {
      size = graph.insertConstant(pieces);
    } else if (c->i(c10::Symbol::attr("exact")) != 0) {
      size = graph.insertConstant(std::vector<int64_t>(static_cast<size_t>(pieces), c->i(c10::Symbol::attr("split_size"))));
    } else {
      size = graph.insertConstant(c->i(c10::Symbol::attr("split_size")));
    }
    Value* dim = graph.insertConstant(c->i(attr::dim));
    Node* n = graph.insertNode(graph.create(from, {c->input(0), size, dim}));
    n->output()->setType(c10::ListType::ofTensors());
    Node* unpack = graph.insertNode(graph.createListUnpack(n->output(), c->outputs().size()));
    for (size_t i = 0; i < c->outputs().size(); ++i) {
      unpack->output(i)->setType(c->output(i)->type());
      c->output(i)->replaceAllUsesWith(unpack->output(i));
    }
    c->destroy();
  }
}

// In-place twins of the ops fuze fuses (relu_, add_, hardswish_, clamp_, ...)
// become their functional forms where TorchScript's own RemoveTensorMutation
// proves it safe (the mutated value is not a graph input, not a view, has no
// other alias that observes the write); the rest stay in place, unfused.
void remove_elementwise_mutation(const std::shared_ptr<Graph>& graph) {
  torch::jit::RemoveTensorMutation(graph, [](Node* n) {
    bool inplace = false;
    const c10::Symbol base = base_kind(n->kind(), &inplace);
    return n->kind().is_aten() && inplace && is_fuze_kind(base);
  });
}

}  // namespace

int fuse_graph_with_report(std::shared_ptr<Graph>& graph, const ProfiledDtypes* profiled,
                           std::vector<UnfusedNode>* unfused) {
  register_operators();
  remove_elementwise_mutation(graph);
  constant_reduce_dims(graph->block());
  make_piece_nodes(graph->block());
  int groups = Fuser(graph, profiled).run();
  settle_piece_nodes(graph->block());
  std::vector<UnfusedNode> list;
  collect_unfused(graph->block(), profiled, &list);
  FUZE_LOG(kDebug) << "fuse_graph: " << groups << " fusion group(s), " << list.size() << " unfused elementwise node(s)";
  for (const auto& u : list) FUZE_LOG(kTrace) << "  unfused " << u.kind << " " << u.value << ": " << u.reason;
  if (unfused != nullptr) *unfused = list;
  auto& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mu);
  for (auto it = reg.map.begin(); it != reg.map.end();) {
    it = it->second.first.expired() ? reg.map.erase(it) : std::next(it);
  }
  reg.map[graph.get()] = {graph, std::move(list)};
  return groups;
}

std::vector<UnfusedNode> unfused_nodes(const Graph& graph) {
  auto& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mu);
  auto it = reg.map.find(&graph);
  if (it == reg.map.end() || it->second.first.lock().get() != &graph) return {};
  return it->second.second;
}

}  // namespace fuze::frontend

namespace fuze {

int fuse_graph(std::shared_ptr<torch::jit::Graph>& graph) {
  return frontend::fuse_graph_with_report(graph, nullptr, nullptr);
}

}  // namespace fuze
