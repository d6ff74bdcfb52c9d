#include "passes/decompose.h"

#include <cmath>
#include <string>
#include <vector>

namespace fuze::passes {
namespace {

using ir::DType;
using ir::Op;

// Emits ops into `out` in compute dtype t: each helper is one kernel-IR op.
class Emit {
 public:
  Emit(ir::Kernel* out, DType t) : k_(out), t_(t) {}
  int c(double v) { return k_->add_const(t_, v); }
  int op(Op o, std::vector<int> args) { return k_->add_op(o, t_, std::move(args)); }
  int test(Op o, std::vector<int> args) { return k_->add_op(o, DType::kBool, std::move(args)); }
  int where(int cond, int a, int b) { return k_->add_op(Op::kWhere, t_, {cond, a, b}); }

 private:
  ir::Kernel* k_;
  DType t_;
};

// The rule for `op` over operand ids a, b, c (already in compute dtype t);
// -1 when there is none. Each follows scalar_ops.h's expression op for op.
int expand(Emit& e, Op op, int a, int b, int c) {
  switch (op) {
    case Op::kReciprocal: return e.op(Op::kDiv, {e.c(1), a});  // 1 / a
    case Op::kRsqrt: return e.op(Op::kDiv, {e.c(1), e.op(Op::kSqrt, {a})});  // 1 / sqrt(a)
    case Op::kFrac: return e.op(Op::kSub, {a, e.op(Op::kTrunc, {a})});  // a - trunc(a)
    case Op::kSigmoid:  // 1 / (1 + exp(-a))
      return e.op(Op::kDiv, {e.c(1), e.op(Op::kAdd, {e.c(1), e.op(Op::kExp, {e.op(Op::kNeg, {a})})})});
    case Op::kSilu:  // a / (1 + exp(-a))
      return e.op(Op::kDiv, {a, e.op(Op::kAdd, {e.c(1), e.op(Op::kExp, {e.op(Op::kNeg, {a})})})});
    case Op::kGelu: {  // a * 0.5 * (1 + erf(a * sqrt(1/2)))
      const int erf = e.op(Op::kErf, {e.op(Op::kMul, {a, e.c(M_SQRT1_2)})});
      return e.op(Op::kMul, {e.op(Op::kMul, {a, e.c(0.5)}), e.op(Op::kAdd, {e.c(1), erf})});
    }
    case Op::kGeluTanh: {  // 0.5 * a * (1 + tanh(beta * (a + kappa * (a * a * a))))
      const int cube = e.op(Op::kMul, {e.op(Op::kMul, {a, a}), a});
      const int inner = e.op(Op::kMul, {e.c(M_SQRT2 * M_2_SQRTPI * 0.5),
                                        e.op(Op::kAdd, {a, e.op(Op::kMul, {e.c(0.044715), cube})})});
      return e.op(Op::kMul, {e.op(Op::kMul, {e.c(0.5), a}), e.op(Op::kAdd, {e.c(1), e.op(Op::kTanh, {inner})})});
    }
    case Op::kHardsigmoid:  // min(max(a + 3, 0), 6) / 6
    case Op::kHardswish: {  // a * min(max(a + 3, 0), 6) / 6
      int m = e.op(Op::kClampMax, {e.op(Op::kClampMin, {e.op(Op::kAdd, {a, e.c(3)}), e.c(0)}), e.c(6)});
      if (op == Op::kHardswish) m = e.op(Op::kMul, {a, m});
      return e.op(Op::kDiv, {m, e.c(6)});
    }
    case Op::kLeakyRelu:  // a > 0 ? a : a * b
      return e.where(e.test(Op::kGt, {a, e.c(0)}), a, e.op(Op::kMul, {a, b}));
    case Op::kElu:  // a <= 0 ? (exp(a) - 1) * b : a
      return e.where(e.test(Op::kLe, {a, e.c(0)}), e.op(Op::kMul, {e.op(Op::kSub, {e.op(Op::kExp, {a}), e.c(1)}), b}), a);
    case Op::kSoftplus:  // a > 20 ? a : log1p(exp(a))
      return e.where(e.test(Op::kGt, {a, e.c(20)}), a, e.op(Op::kLog1p, {e.op(Op::kExp, {a})}));
    case Op::kMish:  // a * tanh(log1p(exp(a)))
      return e.op(Op::kMul, {a, e.op(Op::kTanh, {e.op(Op::kLog1p, {e.op(Op::kExp, {a})})})});
    case Op::kThreshold:  // a <= b ? c : a
      return e.where(e.test(Op::kLe, {a, b}), c, a);
    case Op::kLerp: {  // c < 0.5 ? a + c * (b - a) : b - (b - a) * (1 - c)
      const int d = e.op(Op::kSub, {b, a});
      const int lo = e.op(Op::kAdd, {a, e.op(Op::kMul, {c, d})});
      const int hi = e.op(Op::kSub, {b, e.op(Op::kMul, {d, e.op(Op::kSub, {e.c(1), c})})});
      return e.where(e.test(Op::kLt, {c, e.c(0.5)}), lo, hi);
    }
    case Op::kLogit:  // log(a / (1 - a))
      return e.op(Op::kLog, {e.op(Op::kDiv, {a, e.op(Op::kSub, {e.c(1), a})})});
    case Op::kXlogy: {  // isnan(b) ? NaN : a == 0 ? 0 : a * log(b)
      const int prod = e.where(e.test(Op::kEq, {a, e.c(0)}), e.c(0), e.op(Op::kMul, {a, e.op(Op::kLog, {b})}));
      return e.where(e.test(Op::kIsnan, {b}), e.c(std::nan("")), prod);
    }
    case Op::kLogaddexp: {  // a == b && isinf(a) ? a : maximum(a, b) + log(1 + exp(-|a - b|)), ATen's formula
      const int ex = e.op(Op::kExp, {e.op(Op::kNeg, {e.op(Op::kAbs, {e.op(Op::kSub, {a, b})})})});
      const int tail = e.op(Op::kLog, {e.op(Op::kAdd, {e.c(1), ex})});
      const int same_inf = e.test(Op::kLogicalAnd, {e.test(Op::kEq, {a, b}), e.test(Op::kIsinf, {a})});
      return e.where(same_inf, a, e.op(Op::kAdd, {e.op(Op::kMaximum, {a, b}), tail}));
    }
    // Ops with a kernel on every backend: no rule.
    case Op::kAdd: case Op::kSub: case Op::kMul: case Op::kDiv: case Op::kNeg: case Op::kAbs: case Op::kSqrt:
    case Op::kMaximum: case Op::kMinimum: case Op::kClampMin: case Op::kClampMax: case Op::kRelu:
    case Op::kExp: case Op::kLog: case Op::kTanh: case Op::kPow: case Op::kFloorDivide: case Op::kRemainder:
    case Op::kFmod: case Op::kEq: case Op::kNe: case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe:
    case Op::kWhere: case Op::kLogicalAnd: case Op::kLogicalOr: case Op::kLogicalXor: case Op::kLogicalNot:
    case Op::kBitwiseAnd: case Op::kBitwiseOr: case Op::kBitwiseXor: case Op::kBitwiseNot: case Op::kCast:
    case Op::kErf: case Op::kErfc: case Op::kExpm1: case Op::kLog1p: case Op::kLog2: case Op::kLog10:
    case Op::kExp2: case Op::kFloor: case Op::kCeil: case Op::kRound: case Op::kTrunc: case Op::kSign:
    case Op::kSin: case Op::kCos: case Op::kTan: case Op::kAsin: case Op::kAcos: case Op::kAtan:
    case Op::kSinh: case Op::kCosh: case Op::kAsinh: case Op::kAcosh: case Op::kAtanh: case Op::kAtan2:
    case Op::kIsnan: case Op::kIsinf: case Op::kIsfinite: case Op::kNanToNum:
      return -1;
    // Reductions: no pointwise decomposition (kReduce: every backend has them).
    case Op::kSum: case Op::kProd: case Op::kAmax: case Op::kAmin: case Op::kRowSize:
      return -1;
  }
  return -1;
}

bool is_16bit(DType t) { return t == DType::kFloat16 || t == DType::kBFloat16; }

}  // namespace

bool has_decomposition(Op op) {
  ir::Kernel scratch("probe", 0);
  const int x = scratch.add_input(DType::kFloat32, ir::Layout::kContiguous);
  Emit e(&scratch, DType::kFloat32);
  return expand(e, op, x, x, x) >= 0;
}

Status decompose(ir::Kernel* k, unsigned native, int* rewritten) {
  return decompose(k, [native](Op op) { return (ir::op_info(op).native & native) != 0; }, rewritten);
}

Status decompose(ir::Kernel* k, const std::function<bool(ir::Op)>& has_kernel, int* rewritten) {
  auto first_missing = [&](const ir::Kernel& kk) {
    for (const ir::Node& n : kk.nodes()) {
      if (n.kind == ir::NodeKind::kOp && !has_kernel(n.op)) return true;
    }
    return false;
  };
  int count = 0;
  if (!first_missing(*k)) {
    if (rewritten != nullptr) *rewritten = 0;
    return Status::ok();
  }
  ir::Kernel out(k->name(), k->rank(), k->reduce_rank());
  std::vector<int> map(k->nodes().size(), -1);
  out.mutable_inputs().assign(k->inputs().size(), -1);
  for (size_t id = 0; id < k->nodes().size(); ++id) {
    const ir::Node& n = k->nodes()[id];
    if (n.kind == ir::NodeKind::kInput) {
      map[id] = static_cast<int>(out.nodes().size());
      out.mutable_nodes().push_back(n);
      out.mutable_inputs()[static_cast<size_t>(n.input_index)] = map[id];
      continue;
    }
    if (n.kind == ir::NodeKind::kConst) {
      map[id] = out.add_const(n.dtype, n.constant);
      continue;
    }
    std::vector<int> args;
    for (int a : n.args) args.push_back(map[static_cast<size_t>(a)]);
    if (has_kernel(n.op)) {
      map[id] = out.add_op(n.op, n.dtype, std::move(args));
      continue;
    }
    // Composite ops are floating (kFloat): 16-bit ones compute in float32.
    const DType t = is_16bit(n.dtype) ? DType::kFloat32 : n.dtype;
    for (int& a : args) {
      if (out.node(a).dtype != t) a = out.add_op(Op::kCast, t, {a});
    }
    while (args.size() < 3) args.push_back(args.empty() ? -1 : args.back());
    Emit e(&out, t);
    int r = expand(e, n.op, args[0], args[1], args[2]);
    if (r < 0) {
      return Status::unsupported(std::string("op ") + ir::op_info(n.op).name +
                                 " has no kernel on this backend and no decomposition");
    }
    if (t != n.dtype) r = out.add_op(Op::kCast, n.dtype, {r});
    map[id] = r;
    ++count;
  }
  for (const ir::Output& o : k->outputs()) out.add_output(map[static_cast<size_t>(o.value)], o.layout);
  // A rule may use ops this backend lacks too: decompose until none is left.
  if (int more = 0; first_missing(out)) {
    FUZE_TRY(decompose(&out, has_kernel, &more));
    count += more;
  }
  *k = std::move(out);
  if (rewritten != nullptr) *rewritten = count;
  return Status::ok();
}

}  // namespace fuze::passes
