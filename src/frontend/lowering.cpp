// Lowering a fusion group's subgraph to kernel IR for one signature (input
// dtypes, layouts, 0-dim flags), with ATen's type promotion
// (fuze/ir/promotion.h) and the per-op rules of ops.def (kIntToFloat, the
// overload patterns, eager's 16-bit mismatches). Each op casts its operands
// to its computation dtype with explicit Cast nodes; constants are emitted in
// the dtype they are used in.
#include <torch/csrc/jit/ir/constants.h>
#include <torch/version.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <sstream>
#include <unordered_map>

#include "frontend/frontend.h"
#include "frontend/lowering.h"
#include "fuze/ir/promotion.h"

namespace fuze::frontend {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;
namespace aten = c10::aten;
namespace prim = c10::prim;
using ir::DType;
using ir::Op;

bool dtype_of_scalar_type(c10::ScalarType t, DType* out) {
  switch (t) {
    case c10::ScalarType::Bool: *out = DType::kBool; return true;
    case c10::ScalarType::Int: *out = DType::kInt32; return true;
    case c10::ScalarType::Long: *out = DType::kInt64; return true;
    case c10::ScalarType::Half: *out = DType::kFloat16; return true;
    case c10::ScalarType::BFloat16: *out = DType::kBFloat16; return true;
    case c10::ScalarType::Float: *out = DType::kFloat32; return true;
    case c10::ScalarType::Double: *out = DType::kFloat64; return true;
    default: return false;
  }
}

c10::ScalarType scalar_type_of(DType t) {
  switch (t) {
    case DType::kBool: return c10::ScalarType::Bool;
    case DType::kInt32: return c10::ScalarType::Int;
    case DType::kInt64: return c10::ScalarType::Long;
    case DType::kFloat16: return c10::ScalarType::Half;
    case DType::kBFloat16: return c10::ScalarType::BFloat16;
    case DType::kFloat32: return c10::ScalarType::Float;
    case DType::kFloat64: break;
  }
  return c10::ScalarType::Double;
}

std::string canonical_text(const Graph& subgraph) {
  std::ostringstream out;
  std::unordered_map<const Value*, size_t> id;
  for (const Value* v : subgraph.inputs()) {
    id.emplace(v, id.size());
    out << (v->type()->cast<c10::TensorType>() ? 'T' : 'N');
  }
  out << ';';
  for (const Node* n : subgraph.nodes()) {
    out << n->kind().toQualString();
    if (n->kind() == prim::Constant) {
      auto iv = torch::jit::toIValue(n->output());
      if (iv && iv->isTensor()) {  // a 0-dim tensor constant: its dtype and exact value
        const at::Tensor& t = iv->toTensor();
        char buf[64];
        std::snprintf(buf, sizeof buf, "%a", t.numel() == 1 ? t.item<double>() : 0.0);
        out << "[Tensor:" << c10::toString(t.scalar_type()) << ':' << t.dim() << ':' << buf << ']';
      } else {
        out << '[' << (iv ? iv->tagKind() : std::string()) << ':' << (iv ? *iv : c10::IValue()) << ']';
      }
    }
    out << '(';
    for (const Value* v : n->inputs()) out << id.at(v) << ',';
    out << ')';
    for (const Value* v : n->outputs()) id.emplace(v, id.size());
  }
  out << "->";
  for (const Value* v : subgraph.outputs()) out << id.at(v) << ',';
  return out.str();
}

namespace {

using Cat = ir::Category;

using Val = LowerVal;

std::vector<ir::Typed> typed(const std::vector<const Val*>& vals) {
  std::vector<ir::Typed> out;
  for (const Val* v : vals) out.push_back(*v);
  return out;
}
DType result_type(const std::vector<const Val*>& vals) { return ir::result_type(typed(vals)); }
Cat result_cat(const std::vector<const Val*>& vals) { return ir::result_category(typed(vals)); }

}  // namespace

bool zero_dim_constant(const at::Tensor& t, DType* dtype, double* value) {
  if (t.dim() != 0 || !t.device().is_cpu() || !dtype_of_scalar_type(t.scalar_type(), dtype)) return false;
  const double v = t.item<double>();
  if (!ir::is_floating(*dtype) && std::fabs(v) > 9007199254740992.0) return false;  // 2^53
  *value = v;
  return true;
}

namespace {

class Lowerer final : public LowerContext {
 public:
  Lowerer(const Graph& g, const std::vector<InputSig>& sig, int rank, ir::Layout output_layout,
          const std::map<int, DType>& scalar_node_dtype)
      : g_(g), sig_(sig), k_("fused", rank), output_layout_(output_layout), scalar_node_dtype_(scalar_node_dtype) {}

  Status run(ir::Kernel* out) {
    if (sig_.size() != g_.inputs().size()) return Status::error("lowering: wrong number of input signatures");
    for (size_t i = 0; i < sig_.size(); ++i) {
      const InputSig& s = sig_[i];
      Val v;
      v.dtype = s.dtype;
      v.category = s.layout == ir::Layout::kScalar ? Cat::kWrapped : (s.zero_dim ? Cat::kZeroDim : Cat::kDim);
      DType node_dtype = s.dtype;
      auto it = scalar_node_dtype_.find(static_cast<int>(i));
      if (s.layout == ir::Layout::kScalar && it != scalar_node_dtype_.end()) node_dtype = it->second;
      v.id = k_.add_input(node_dtype, s.layout);
      if (s.layout == ir::Layout::kScalar) scalar_input_of_[v.id] = static_cast<int>(i);
      vals_[g_.inputs()[i]] = v;
    }
    for (const Node* n : g_.nodes()) {
      if (n->kind() == prim::Constant) continue;  // materialised where used
      if (n->outputs().size() != 1) return Status::error("lowering: node with several outputs");
      Val result;
      FUZE_TRY(is_reduction_kind(n->kind()) ? lower_reduction(n, *this, &result) : lower_node(n, &result));
      if (std::string why = eager_mismatch(n, result.is_const ? result.dtype : k_.node(result.id).dtype); !why.empty()) {
        return unsupported(n, why);
      }
      vals_[n->output()] = result;
    }
    for (const Value* v : g_.outputs()) {
      Val val;
      FUZE_TRY(get(v, &val));
      if (val.id < 0 || val.is_const) return Status::error("lowering: output %" + v->debugName() + " is a constant");
      // A per-row output (a reduction's keepdim shape) is strided: stride 0 along the row.
      const bool per_row = k_.reduce_rank() > 0 && ir::is_per_row_value(k_, val.id);
      k_.add_output(val.id, per_row ? ir::Layout::kStrided : output_layout_);
    }
    k_.set_name(k_.chain_name());
    *out = std::move(k_);
    return Status::ok();
  }

  // dtype each scalar input was first cast to (for a second, cast-free pass).
  std::map<int, DType> scalar_casts() const {
    std::map<int, DType> out;
    for (const auto& [i, t] : scalar_casts_) {
      if (conflicting_.count(i) == 0) out.emplace(i, t);
    }
    return out;
  }

  // LowerContext
  Val constant(double c) override {
    Val v;
    v.is_const = true;
    v.constant = c;
    v.dtype = DType::kFloat64;
    v.category = Cat::kWrapped;
    return v;
  }
  ir::Kernel& kernel() override { return k_; }

  Status get(const Value* v, Val* out) override {
    auto it = vals_.find(v);
    if (it != vals_.end()) {
      *out = it->second;
      return Status::ok();
    }
    if (v->node()->kind() == prim::Constant) {
      auto iv = torch::jit::toIValue(v);
      Val c;
      c.is_const = true;
      c.category = Cat::kWrapped;
      if (iv && iv->isDouble()) {
        c.dtype = DType::kFloat64;
        c.constant = iv->toDouble();
      } else if (iv && iv->isInt()) {
        c.dtype = DType::kInt64;
        c.constant = static_cast<double>(iv->toInt());
      } else if (iv && iv->isBool()) {
        c.dtype = DType::kBool;
        c.constant = iv->toBool() ? 1.0 : 0.0;
      } else if (iv && iv->isTensor() && zero_dim_constant(iv->toTensor(), &c.dtype, &c.constant)) {
        c.category = Cat::kZeroDim;  // a traced Python number: promotes as a 0-dim tensor
      } else {
        return Status::error("lowering: unsupported constant %" + v->debugName() + " of type " + v->type()->repr_str());
      }
      *out = c;
      return Status::ok();
    }
    return Status::error("lowering: operand %" + v->debugName() + " is not computed");
  }

  // `v` as an IR value of dtype t (a cast or a constant in t when needed).
  int as(const Val& v, DType t) override {
    if (v.is_const) {
      auto key = std::make_pair(v.constant, t);
      for (const auto& [ck, id] : consts_) {
        if (std::memcmp(&ck.first, &key.first, sizeof(double)) == 0 && ck.second == t) return id;
      }
      double c = v.constant;
      if (!ir::is_floating(t) && t != DType::kBool) c = std::trunc(c);
      if (t == DType::kBool) c = c != 0.0 ? 1.0 : 0.0;
      const int id = k_.add_const(t, c);
      consts_.emplace_back(key, id);
      return id;
    }
    const DType have = k_.node(v.id).dtype;
    if (auto s = scalar_input_of_.find(v.id); s != scalar_input_of_.end()) {
      auto [pos, inserted] = scalar_casts_.emplace(s->second, t);
      if (!inserted && pos->second != t) conflicting_.insert(s->second);
    }
    if (have == t) return v.id;
    for (const auto& [from, to, id] : casts_) {
      if (from == v.id && to == t) return id;
    }
    const int id = k_.add_op(Op::kCast, t, {v.id});
    casts_.emplace_back(v.id, t, id);
    return id;
  }

 private:
  Val make(int id, DType t, Cat c) {
    Val v;
    v.id = id;
    v.dtype = t;
    v.category = c;
    return v;
  }

  // Ops whose eager CPU kernel in the linked libtorch computes something
  // other than fuze's kernel for this result dtype: they stay out of the
  // kernel and the group runs through the fallback. Mostly float16/bfloat16
  // ops that eager computes with its own reduced-precision formulas or
  // roundings (fuze: float32 math, one rounding per op), e.g. bf16 rsqrt,
  // whose vector and scalar loops disagree in 1.13: the kEager* flags of
  // ops.def, plus the overloads that are not one op (add/sub with alpha,
  // addcmul, addcdiv). Found by the exhaustive
  // tests/frontend/fusion_half_test.cpp, which fails if any other 16-bit op
  // differs, and the differential tests, run against both libtorch 1.13
  // (Debian) and 2.11 (PyPI, scripts/torch2.sh).
  static std::string eager_mismatch(const Node* n, DType t) {
    const c10::Symbol k = n->kind();
    const bool half = t == DType::kFloat16, bf16 = t == DType::kBFloat16;
    if (!half && !bf16) return "";
    double alpha = 1.0;
    const bool add_alpha = (k == aten::add || k == aten::sub) && n->inputs().size() == 3 &&
                           (!constant_number(n->input(2), &alpha) || alpha != 1.0);
    const bool composite = add_alpha || k == aten::addcmul || k == aten::addcdiv;
    const std::optional<Op> op = op_for_kind(k);
    const unsigned f = op ? ir::op_info(*op).flags : 0u;
    unsigned differs = half ? ir::kEagerHalf : ir::kEagerBf16;
    bool composite_differs = bf16;
#if TORCH_VERSION_MAJOR >= 2
    // libtorch 2.x computes Half like BFloat16 (in float, rounding where 1.13
    // did not) and changed a few bf16 kernels.
    differs |= half ? ir::kEagerHalfV2 : ir::kEagerBf16V2;
    composite_differs = true;
#endif
    if ((f & differs) != 0 || (composite && composite_differs)) {
      return "eager's 16-bit CPU kernel rounds differently (checked on every 16-bit value)";
    }
    return "";
  }

  Status unsupported(const Node* n, const std::string& why) {
    return Status::error(std::string("lowering: ") + n->kind().toQualString() + ": " + why);
  }

  // Same-dtype op over `ops` computed in dtype t.
  Val emit(Op op, DType t, const std::vector<Val>& ops) override {
    std::vector<int> args;
    std::vector<const Val*> ptrs;
    for (const Val& v : ops) {
      args.push_back(as(v, t));
      ptrs.push_back(&v);
    }
    return make(k_.add_op(op, t, std::move(args)), t, result_cat(ptrs));
  }

  Status lower_node(const Node* n, Val* out) {
    const c10::Symbol kind = n->kind();
    std::vector<Val> in;
    auto load = [&](size_t count) -> Status {
      for (size_t i = 0; i < count; ++i) {
        Val v;
        FUZE_TRY(get(n->input(i), &v));
        in.push_back(v);
      }
      return Status::ok();
    };
    auto rt = [&](std::initializer_list<size_t> idx) {
      std::vector<const Val*> p;
      for (size_t i : idx) p.push_back(&in[i]);
      return result_type(p);
    };
    auto num_attr = [&](size_t i, double* v) -> Status {
      if (!constant_number(n->input(i), v)) return unsupported(n, "argument " + std::to_string(i) + " is not a constant");
      return Status::ok();
    };
    auto cval = [&](double c) { return constant(c); };

    // Casts: aten::to(x, dtype, ...) and aten::type_as(x, other).
    if (is_cast_kind(kind)) {
      FUZE_TRY(load(1));
      DType t;
      if (kind == aten::type_as) {
        Val other;
        FUZE_TRY(get(n->input(1), &other));
        t = other.dtype;
      } else {
        double code = 0;
        FUZE_TRY(num_attr(1, &code));
        if (!dtype_of_scalar_type(static_cast<c10::ScalarType>(static_cast<int>(code)), &t)) {
          return unsupported(n, "target dtype");
        }
      }
      // Always a node (a cast to the same dtype copies), so that a group
      // output is never one of its inputs.
      const int id = k_.add_op(Op::kCast, t, {as(in[0], in[0].dtype)});
      *out = make(id, t, in[0].category == Cat::kDim ? Cat::kDim : Cat::kZeroDim);
      return Status::ok();
    }
    // Kinds lowered to several ops (not in ops.def).
    if (kind == aten::clamp || kind == aten::hardtanh || kind == aten::relu6) {
      FUZE_TRY(load(1));
      Val x = in[0];
      std::optional<Val> lo, hi;
      if (kind == aten::relu6) {
        lo = cval(0.0);
        hi = cval(6.0);
      } else {
        for (size_t i = 1; i <= 2; ++i) {
          if (n->input(i)->mustBeNone()) continue;
          Val b;
          FUZE_TRY(get(n->input(i), &b));
          (i == 1 ? lo : hi) = b;
        }
      }
      DType t = x.dtype;
      if (!ir::is_floating(t) && kind == aten::clamp) {
        std::vector<const Val*> p = {&x};
        if (lo) p.push_back(&*lo);
        if (hi) p.push_back(&*hi);
        t = result_type(p);
      }
      if (t == DType::kBool) return unsupported(n, "bool");
      Val r = x;
      if (r.dtype != t) r = make(as(x, t), t, x.category);
      if (lo) r = emit(Op::kClampMin, t, {r, *lo});
      if (hi) r = emit(Op::kClampMax, t, {r, *hi});
      r.category = x.category == Cat::kDim ? Cat::kDim : Cat::kZeroDim;
      *out = r;
      return Status::ok();
    }
    if (kind == aten::addcmul || kind == aten::addcdiv) {
      FUZE_TRY(load(3));
      double value = 1.0;
      FUZE_TRY(num_attr(3, &value));
      const DType t = rt({0, 1, 2});
      if (t == DType::kBool || (kind == aten::addcdiv && !ir::is_floating(t))) return unsupported(n, "dtype");
      // Eager: self + value * t1 * t2 (and self + value * t1 / t2), left to right.
      Val prod = emit(Op::kMul, t, {cval(value), in[1]});
      prod = emit(kind == aten::addcmul ? Op::kMul : Op::kDiv, t, {prod, in[2]});
      *out = emit(Op::kAdd, t, {in[0], prod});
      return Status::ok();
    }
    if (kind == aten::square) {
      FUZE_TRY(load(1));
      if (in[0].dtype == DType::kBool) return unsupported(n, "bool");
      *out = emit(Op::kMul, in[0].dtype, {in[0], in[0]});
      return Status::ok();
    }
    if (kind == aten::masked_fill) {
      FUZE_TRY(load(3));
      if (in[1].dtype != DType::kBool) return unsupported(n, "mask is not bool");
      const DType t = in[0].dtype;
      Val r = make(k_.add_op(Op::kWhere, t, {as(in[1], DType::kBool), as(in[2], t), as(in[0], t)}), t, Cat::kDim);
      r.category = result_cat({&in[0], &in[1]});
      *out = r;
      return Status::ok();
    }

    std::optional<Op> op_opt = op_for_kind(kind);
    if (!op_opt) return unsupported(n, "not an ops.def op");
    Op op = *op_opt;
    const ir::OpInfo& info = ir::op_info(op);
    FUZE_TRY(load(static_cast<size_t>(info.arity)));

    // Overloads with arguments beyond the operands, and ops whose result type
    // is not the promoted operand type (the generic rule below).
    if (op == Op::kAdd || op == Op::kSub) {
      const DType t = rt({0, 1});
      if (t == DType::kBool) return unsupported(n, "bool arithmetic");
      if (op == Op::kSub && (in[0].dtype == DType::kBool || in[1].dtype == DType::kBool)) {
        return unsupported(n, "subtraction with a bool operand (eager raises)");
      }
      Val b = in[1];
      if (n->inputs().size() == 3) {
        double alpha = 1.0;
        FUZE_TRY(num_attr(2, &alpha));
        if (!ir::is_floating(t) && std::trunc(alpha) != alpha) return unsupported(n, "fractional alpha");
        if (alpha != 1.0 && op == Op::kSub) {
          // Eager: sub(a, b, alpha) = add(a, b, -alpha) = a + (-alpha) * b, with
          // an integer alpha negated as an integer: alpha 0 gives a + 0 * b, whose
          // zero sign differs from a - 0 * b (fuzzer, seed 379).
          auto iv = torch::jit::toIValue(n->input(2));
          const double neg = iv && iv->isInt() ? static_cast<double>(-iv->toInt()) : -alpha;
          *out = emit(Op::kAdd, t, {in[0], emit(Op::kMul, t, {b, cval(neg)})});
          return Status::ok();
        }
        if (alpha != 1.0) b = emit(Op::kMul, t, {b, cval(alpha)});
      }
      *out = emit(op, t, {in[0], b});
      return Status::ok();
    }
#if TORCH_VERSION_MAJOR >= 2
    if (op == Op::kLogaddexp) {
      // libtorch 2.x: a == b && isinf(a) ? a : maximum(a, b) + log1p(exp(-|a - b|))
      // (1.13, kLogaddexp: log(1 + exp(...))). In 16 bits eager rounds once
      // at the end, which a composite cannot.
      std::vector<const Val*> p = {&in[0], &in[1]};
      const DType t = result_type(p);
      if (!ir::is_floating(t)) return unsupported(n, "needs floating inputs");
      if (t == DType::kFloat16 || t == DType::kBFloat16) {
        return unsupported(n, "eager's 16-bit CPU kernel rounds differently (checked on every 16-bit value)");
      }
      const Val d = emit(Op::kAbs, t, {emit(Op::kSub, t, {in[0], in[1]})});
      const Val tail = emit(Op::kLog1p, t, {emit(Op::kExp, t, {emit(Op::kNeg, t, {d})})});
      const Val sum = emit(Op::kAdd, t, {emit(Op::kMaximum, t, {in[0], in[1]}), tail});
      const int same = k_.add_op(Op::kEq, DType::kBool, {as(in[0], t), as(in[1], t)});
      const int inf = k_.add_op(Op::kIsinf, DType::kBool, {as(in[0], t)});
      const int both = k_.add_op(Op::kLogicalAnd, DType::kBool, {same, inf});
      *out = make(k_.add_op(Op::kWhere, t, {both, as(in[0], t), as(sum, t)}), t, result_cat(p));
      return Status::ok();
    }
#endif
    if (op == Op::kWhere) {
      if (in[0].dtype != DType::kBool) return unsupported(n, "condition is not bool");
      const DType t = rt({1, 2});
      Val r = make(k_.add_op(op, t, {as(in[0], DType::kBool), as(in[1], t), as(in[2], t)}), t, Cat::kDim);
      r.category = result_cat({&in[0], &in[1], &in[2]});
      *out = r;
      return Status::ok();
    }
    if ((info.flags & ir::kAnyIn) != 0 && (info.flags & ir::kBoolOut) != 0) {  // logical ops
      std::vector<int> args;
      std::vector<const Val*> p;
      for (const Val& v : in) {
        args.push_back(as(v, v.is_const ? DType::kBool : k_.node(v.id).dtype));
        p.push_back(&v);
      }
      *out = make(k_.add_op(op, DType::kBool, std::move(args)), DType::kBool, result_cat(p));
      return Status::ok();
    }
    if (op == Op::kClampMin || op == Op::kClampMax) {
      // As aten::clamp: an integer tensor with a float bound computes in float.
      const DType t = ir::is_floating(in[0].dtype) ? in[0].dtype : rt({0, 1});
      if (t == DType::kBool) return unsupported(n, "bool");
      *out = emit(op, t, in);
      out->category = in[0].category == Cat::kDim ? Cat::kDim : Cat::kZeroDim;
      return Status::ok();
    }
    if (op == Op::kLeakyRelu || op == Op::kElu || op == Op::kSoftplus || op == Op::kThreshold || op == Op::kGelu) {
      const DType t = in[0].dtype;
      if (!ir::is_floating(t)) return unsupported(n, "needs a floating input");
      if (op == Op::kElu) {  // elu(x, alpha, scale, input_scale): scale = input_scale = 1 only
        double scale = 0, input_scale = 0;
        FUZE_TRY(num_attr(2, &scale));
        FUZE_TRY(num_attr(3, &input_scale));
        if (scale != 1.0 || input_scale != 1.0) return unsupported(n, "scale/input_scale other than 1");
      }
      if (op == Op::kSoftplus) {
        double beta = 0, threshold = 0;
        FUZE_TRY(num_attr(1, &beta));
        FUZE_TRY(num_attr(2, &threshold));
        if (beta != 1.0 || threshold != 20.0) return unsupported(n, "beta/threshold other than 1/20");
      }
      if (op == Op::kGelu) {
        auto iv = torch::jit::toIValue(n->input(1));
        if (!iv || !iv->isString()) return unsupported(n, "approximate is not a constant string");
        const std::string approx = iv->toStringRef();
        if (approx == "tanh") op = Op::kGeluTanh;
        else if (approx != "none") return unsupported(n, "approximate='" + approx + "'");
      }
#if TORCH_VERSION_MAJOR >= 2
      if (op == Op::kElu) {
        // libtorch 2.x: x <= 0 ? expm1(x) * alpha : x (1.13, kElu: (exp(x) - 1) * alpha).
        const Val x = in[0];
        const int pos = k_.add_op(Op::kGt, DType::kBool, {as(x, t), as(cval(0.0), t)});
        const Val neg = emit(Op::kMul, t, {emit(Op::kExpm1, t, {x}), in[1]});
        *out = make(k_.add_op(Op::kWhere, t, {pos, as(x, t), as(neg, t)}), t, x.category == Cat::kDim ? Cat::kDim : Cat::kZeroDim);
        return Status::ok();
      }
#endif
      if (op == Op::kThreshold) {
        *out = emit(op, t, {in[0], in[1], in[2]});
      } else if (ir::op_info(op).arity == 2) {
        *out = emit(op, t, {in[0], in[1]});
      } else {
        *out = emit(op, t, {in[0]});
      }
      out->category = in[0].category == Cat::kDim ? Cat::kDim : Cat::kZeroDim;
      return Status::ok();
    }
    for (size_t i = static_cast<size_t>(info.arity); i < n->inputs().size(); ++i) {  // pattern 'Z' (logit, nan_to_num)
      if (i < std::strlen(info.pattern) && info.pattern[i] == 'Z' && !n->input(i)->mustBeNone()) return unsupported(n, "optional arguments other than None");
    }

    // Generic rules by flags.
    std::vector<const Val*> p;
    for (const Val& v : in) p.push_back(&v);
    DType t = result_type(p);
    if ((info.flags & ir::kBoolOut) != 0) {
      std::vector<int> args;
      for (const Val& v : in) args.push_back(as(v, t));
      *out = make(k_.add_op(op, DType::kBool, std::move(args)), DType::kBool, result_cat(p));
      return Status::ok();
    }
    if ((info.flags & ir::kIntToFloat) != 0 && !ir::is_floating(t)) t = DType::kFloat32;
    if (op == Op::kLerp && (n->inputs().size() == 3)) {
      std::vector<const Val*> q = {&in[0], &in[1]};
      t = result_type(q);
#if TORCH_VERSION_MAJOR >= 2
      if (t == DType::kFloat32 || t == DType::kFloat64) {
        // libtorch 2.x: |w| < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w)
        // (1.13, kLerp: branches on w < 0.5).
        const Val d = emit(Op::kSub, t, {in[1], in[0]});
        const int small = k_.add_op(Op::kLt, DType::kBool, {as(emit(Op::kAbs, t, {in[2]}), t), as(cval(0.5), t)});
        const Val lo = emit(Op::kAdd, t, {in[0], emit(Op::kMul, t, {in[2], d})});
        const Val hi = emit(Op::kSub, t, {in[1], emit(Op::kMul, t, {d, emit(Op::kSub, t, {cval(1.0), in[2]})})});
        *out = make(k_.add_op(Op::kWhere, t, {small, as(lo, t), as(hi, t)}), t, result_cat(p));
        return Status::ok();
      }
#endif
    }
    if (std::string e = ir::op_typing_error(op, t, std::vector<DType>(in.size(), t)); !e.empty()) {
      return unsupported(n, std::string(ir::dtype_name(t)) + ": " + e);
    }
    *out = emit(op, t, in);
    return Status::ok();
  }

  const Graph& g_;
  const std::vector<InputSig>& sig_;
  ir::Kernel k_;
  ir::Layout output_layout_;
  const std::map<int, DType>& scalar_node_dtype_;
  std::unordered_map<const Value*, Val> vals_;
  std::vector<std::pair<std::pair<double, DType>, int>> consts_;
  std::vector<std::tuple<int, DType, int>> casts_;
  std::unordered_map<int, int> scalar_input_of_;  // IR id -> input index, for scalar inputs
  std::map<int, DType> scalar_casts_;             // input index -> the dtype it is used in
  std::set<int> conflicting_;                     // scalar inputs used in several dtypes
};

}  // namespace

Status lower_subgraph(const Graph& subgraph, const std::vector<InputSig>& inputs, int rank, ir::Layout output_layout,
                      ir::Kernel* out) {
  // Pass 1 with scalar inputs in their Python dtype; pass 2 declares each
  // scalar input directly in the dtype it is used in (no casts, and backends
  // that only know f32 still take `x * 0.5`).
  const std::map<int, DType> none;
  Lowerer first(subgraph, inputs, rank, output_layout, none);
  ir::Kernel k;
  FUZE_TRY(first.run(&k));
  if (first.scalar_casts().empty()) {
    *out = std::move(k);
    return Status::ok();
  }
  std::map<int, DType> chosen = first.scalar_casts();
  Lowerer second(subgraph, inputs, rank, output_layout, chosen);
  return second.run(out);
}

}  // namespace fuze::frontend
