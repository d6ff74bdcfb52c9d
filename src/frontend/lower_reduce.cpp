// Lowering of the reductions (frontend.h: is_reduction_kind) to the kernel
// IR's row reductions (ir::Kernel::reduce_rank; the interpreter's spec in
// src/backends/interp/interp_reduce.h). Each follows ATen's CPU kernel's
// formula; sums accumulate in double (the spec), so results are not ATen's
// bit for bit but within the accuracy contract of docs/ops.md ("Reductions").
#include <torch/csrc/jit/ir/constants.h>

#include <optional>

#include "frontend/frontend.h"
#include "frontend/lowering.h"

namespace fuze::frontend {

namespace aten = c10::aten;
using ir::DType;
using ir::Op;
using torch::jit::Node;
using torch::jit::Value;

namespace {

Status fail(const Node* n, const std::string& why) {
  return Status::error(std::string("lowering: ") + n->kind().toQualString() + ": " + why);
}

// A `ScalarType? dtype` argument's dtype (nullopt for None; reduction_fusibility checked it).
std::optional<DType> dtype_arg(const Value* v) {
  double code = 0;
  DType t;
  if (!constant_number(v, &code) || !dtype_of_scalar_type(static_cast<c10::ScalarType>(static_cast<int>(code)), &t)) {
    return std::nullopt;
  }
  return t;
}

bool is_16bit(DType t) { return t == DType::kFloat16 || t == DType::kBFloat16; }

class ReduceLowering {
 public:
  ReduceLowering(const Node* n, LowerContext& cx) : n_(n), cx_(cx), k_(cx.kernel()) {}

  Status run(LowerVal* out) {
    ReduceSpec spec;
    if (std::string why = reduction_fusibility(n_, nullptr, &spec); !why.empty()) return fail(n_, why);
    const int rank = k_.rank();
    const int k = trailing_reduce_rank(spec, rank);
    if (rank == 0 || k == 0) return fail(n_, "reduces dims other than the trailing ones (or a 0-dim tensor)");
    if (k_.reduce_rank() != 0 && k_.reduce_rank() != k) return fail(n_, "reductions over different dims in one group");
    k_.set_reduce_rank(k);
    FUZE_TRY(cx_.get(n_->input(0), &x_));
    if (x_.is_const || ir::is_per_row_value(k_, x_.id)) return fail(n_, "reduces a value that is the same along the row");
    const c10::Symbol kind = n_->kind();
    if (kind == aten::sum || kind == aten::prod) return sum(kind == aten::sum ? Op::kSum : Op::kProd, out);
    if (kind == aten::var || kind == aten::std) return var(spec.correction, kind == aten::std, out);
    if (kind == aten::mean) return mean(out);
    if (kind == aten::amax || kind == aten::amin) {
      *out = val(op(kind == aten::amax ? Op::kAmax : Op::kAmin, x_.dtype, {x_.id}), x_.dtype);
      return Status::ok();
    }
    if (kind == aten::logsumexp) return logsumexp(out);
    if (kind == aten::softmax || kind == aten::log_softmax) return softmax(kind == aten::log_softmax, out);
    return layer_norm(out);
  }

 private:
  int op(Op o, DType t, std::vector<int> args) { return k_.add_op(o, t, std::move(args)); }
  LowerVal val(int id, DType t) {
    LowerVal v;
    v.id = id;
    v.dtype = t;
    v.category = ir::Category::kDim;
    return v;
  }
  LowerVal emit(Op o, DType t, const std::vector<LowerVal>& ops) { return cx_.emit(o, t, ops); }
  LowerVal c(double v) { return cx_.constant(v); }

  // sum/prod(x, dims, keepdim, dtype): bool and integer inputs give int64
  // (ATen), unless dtype= says otherwise; dtype= converts x first.
  Status sum(Op reduce, LowerVal* out) {
    const std::optional<DType> dt = n_->inputs().size() == 4 ? dtype_arg(n_->input(3)) : dtype_arg(n_->input(1));
    const DType in = dt ? *dt : x_.dtype;
    const DType acc = ir::is_floating(in) ? in : DType::kInt64;
    int s = op(reduce, acc, {cx_.as(x_, in)});
    const DType t = dt ? *dt : acc;
    if (t != acc) s = op(Op::kCast, t, {s});
    *out = val(s, t);
    return Status::ok();
  }

  // mean = sum / N in the result dtype; 16-bit: the sum rounded to it, the
  // division in float32 (ATen divides the 16-bit sum by the integer N).
  Status mean(LowerVal* out) {
    const std::optional<DType> dt = n_->inputs().size() == 4 ? dtype_arg(n_->input(3)) : dtype_arg(n_->input(1));
    const DType t = dt ? *dt : x_.dtype;
    if (!ir::is_floating(t)) return fail(n_, "mean of a non-floating dtype (eager raises)");
    const int s = op(Op::kSum, t, {cx_.as(x_, t)});
    const DType q = is_16bit(t) ? DType::kFloat32 : t;
    const LowerVal m = emit(Op::kDiv, q, {val(s, t), val(op(Op::kRowSize, q, {}), q)});
    *out = val(cx_.as(m, t), t);
    return Status::ok();
  }

  // var = sum((x - mean)^2) / max(N - correction, 0) (0 / 0 = NaN, as ATen),
  // std its square root: two passes in float64 for float32 and float64
  // inputs (x - mean without a rounded mean), float32 for 16-bit ones.
  Status var(double correction, bool std_dev, LowerVal* out) {
    const DType t = x_.dtype;
    if (!ir::is_floating(t)) return fail(n_, "a non-floating input (eager raises)");
    const DType q = is_16bit(t) ? DType::kFloat32 : DType::kFloat64;
    const LowerVal x = val(cx_.as(x_, q), q);
    const LowerVal n = val(op(Op::kRowSize, q, {}), q);
    const LowerVal mean = emit(Op::kDiv, q, {val(op(Op::kSum, q, {x.id}), q), n});
    const LowerVal d = emit(Op::kSub, q, {x, mean});
    const LowerVal dof = emit(Op::kClampMin, q, {emit(Op::kSub, q, {n, c(correction)}), c(0.0)});
    LowerVal v = emit(Op::kDiv, q, {val(op(Op::kSum, q, {emit(Op::kMul, q, {d, d}).id}), q), dof});
    if (std_dev) v = emit(Op::kSqrt, q, {v});
    *out = val(cx_.as(v, t), t);
    return Status::ok();
  }

  // ATen: m = amax(x) with +-inf replaced by 0; log(sum(exp(x - m))) + m.
  Status logsumexp(LowerVal* out) {
    const DType t = x_.dtype;
    if (!ir::is_floating(t)) return fail(n_, "logsumexp of a non-floating dtype");
    const LowerVal m = val(op(Op::kAmax, t, {x_.id}), t);
    const int inf = op(Op::kIsinf, DType::kBool, {m.id});
    const LowerVal m0 = val(op(Op::kWhere, t, {inf, cx_.as(c(0.0), t), m.id}), t);
    const LowerVal e = emit(Op::kExp, t, {emit(Op::kSub, t, {x_, m0})});
    const LowerVal s = val(op(Op::kSum, t, {e.id}), t);
    *out = emit(Op::kAdd, t, {emit(Op::kLog, t, {s}), m0});
    return Status::ok();
  }

  // ATen's last-dim kernels, in float32 for 16-bit dtypes (rounded once at
  // the end): m = amax(x); softmax = exp(x - m) * (1 / sum(exp(x - m))), a
  // multiply per element as ATen's (one rounding more than a divide, within
  // the accuracy contract); log_softmax = x - m - log(sum(exp(x - m))).
  Status softmax(bool log, LowerVal* out) {
    const std::optional<DType> dt = dtype_arg(n_->input(2));
    const DType t = dt ? *dt : x_.dtype;
    if (!ir::is_floating(t)) return fail(n_, "a non-floating dtype (eager raises)");
    const DType q = is_16bit(t) ? DType::kFloat32 : t;
    const LowerVal x = val(cx_.as(x_, t), t);
    const LowerVal xq = val(cx_.as(x, q), q);
    const LowerVal m = val(op(Op::kAmax, q, {xq.id}), q);
    const LowerVal d = emit(Op::kSub, q, {xq, m});
    const LowerVal s = val(op(Op::kSum, q, {emit(Op::kExp, q, {d}).id}), q);
    const LowerVal r = log ? emit(Op::kSub, q, {d, emit(Op::kLog, q, {s})})
                           : emit(Op::kMul, q, {emit(Op::kExp, q, {d}), emit(Op::kDiv, q, {c(1.0), s})});
    *out = val(cx_.as(r, t), t);
    return Status::ok();
  }

  // (x - mean) * rstd * weight + bias, rstd = 1 / sqrt(var + eps), var the
  // mean of (x - mean)^2 (two passes). float32 inputs compute in float64: a
  // mean rounded to float32 shifts every x - mean by up to half its ULP, and
  // where the final `+ bias` cancels that is many ULP of the result (ATen's
  // kernel ends in one fused multiply-add); 16-bit inputs compute in float32.
  Status layer_norm(LowerVal* out) {
    const DType t = x_.dtype;
    if (!ir::is_floating(t)) return fail(n_, "a non-floating input");
    const DType q = is_16bit(t) ? DType::kFloat32 : DType::kFloat64;
    double eps = 0;
    constant_number(n_->input(4), &eps);
    const LowerVal x = val(cx_.as(x_, q), q);
    const LowerVal n = val(op(Op::kRowSize, q, {}), q);
    const LowerVal mean = emit(Op::kDiv, q, {val(op(Op::kSum, q, {x.id}), q), n});
    const LowerVal d = emit(Op::kSub, q, {x, mean});
    const LowerVal var = emit(Op::kDiv, q, {val(op(Op::kSum, q, {emit(Op::kMul, q, {d, d}).id}), q), n});
    const LowerVal rstd = emit(Op::kDiv, q, {c(1.0), emit(Op::kSqrt, q, {emit(Op::kAdd, q, {var, c(eps)})})});
    LowerVal y = emit(Op::kMul, q, {d, rstd});
    for (size_t i = 2; i <= 3; ++i) {
      if (n_->input(i)->mustBeNone()) continue;
      LowerVal w;
      FUZE_TRY(cx_.get(n_->input(i), &w));
      y = emit(i == 2 ? Op::kMul : Op::kAdd, q, {y, w});
    }
    *out = val(cx_.as(y, t), t);
    return Status::ok();
  }

  const Node* n_;
  LowerContext& cx_;
  ir::Kernel& k_;
  LowerVal x_;
};

}  // namespace

Status lower_reduction(const Node* n, LowerContext& cx, LowerVal* out) { return ReduceLowering(n, cx).run(out); }

}  // namespace fuze::frontend
