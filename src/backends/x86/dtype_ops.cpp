// DtypeEmitter's ops on values of every dtype (dtype_emit.h): predicates,
// integer and float64 arithmetic, logical ops, nan_to_num, and op(), the
// dispatch emit_kernel calls. Loads, stores, casts and masks: dtype_emit.cpp.
#include <cfloat>
#include <cmath>
#include <cstring>

#include "backends/x86/dtype_emit.h"

namespace fuze::x86 {

namespace ax = asmjit::x86;
namespace Inst = ax::Inst;
using asmjit::Imm;
using ir::DType;
using ir::Op;

// ---- ops -----------------------------------------------------------------------------

Vec DtypeEmitter::mul_q(const Vec& a, const Vec& b) {
  // Low 64 bits of a * b: al*bl + ((ah*bl + al*bh) << 32) (pmuludq multiplies
  // the low dwords of each qword).
  Vec lo = op2(Inst::kIdPmuludq, Inst::kIdVpmuludq, a, b);
  Vec c1 = op2(Inst::kIdPmuludq, Inst::kIdVpmuludq, e_.shr_q(a, 32), b);
  Vec c2 = op2(Inst::kIdPmuludq, Inst::kIdVpmuludq, a, e_.shr_q(b, 32));
  return e_.add_q(lo, e_.shl_q(e_.add_q(c1, c2), 32));
}

Vec DtypeEmitter::sign_mask64(const Vec& a) {
  Vec s = e_.sra_d(a, 31);
  Vec d = e_.new_vec();
  cc_.emit(isa_ == Isa::kSse41 ? Inst::kIdPshufd : Inst::kIdVpshufd, d, s, Imm(0xF5));  // high dword's sign
  return d;
}

Val DtypeEmitter::predicate(Op op, DType t, const Val& a, const Val& b) {
  Pred p = Pred::kEq;
  switch (op) {
    case Op::kEq: p = Pred::kEq; break;
    case Op::kNe: p = Pred::kNe; break;
    case Op::kLt: p = Pred::kLt; break;
    case Op::kLe: p = Pred::kLe; break;
    case Op::kGt: p = Pred::kGt; break;
    case Op::kGe: p = Pred::kGe; break;
    case Op::kIsnan:
    case Op::kIsinf:
    case Op::kIsfinite: {
      if (!ir::is_floating(t)) return constant(DType::kBool, op == Op::kIsfinite ? 1.0 : 0.0);
      const bool wide = t == DType::kFloat64;
      const Fp fp = wide ? Fp::kF64 : Fp::kF32;
      const Mem abs_mask = wide ? e_.pool_u64(0x7FFFFFFFFFFFFFFFull) : e_.pool_u32(0x7FFFFFFFu);
      const Mem inf = wide ? e_.pool_u64(0x7FF0000000000000ull) : e_.pool_u32(0x7F800000u);
      auto half = [&](const Vec& x) {
        if (op == Op::kIsnan) return e_.cmp(fp, x, x, Cmp::kUnord);
        return e_.cmp(fp, e_.bit_and(x, abs_mask), inf, op == Op::kIsinf ? Cmp::kEq : Cmp::kLt);
      };
      if (wide) return Val{masks64_to_bool(half(a.lo), half(a.hi)), Vec()};
      return Val{mask_to_bool(half(a.lo)), Vec()};
    }
    case Op::kAdd: case Op::kSub: case Op::kMul: case Op::kDiv: case Op::kNeg: case Op::kAbs:
    case Op::kReciprocal: case Op::kSqrt: case Op::kRsqrt: case Op::kMaximum: case Op::kMinimum:
    case Op::kClampMin: case Op::kClampMax: case Op::kRelu: case Op::kExp: case Op::kLog: case Op::kTanh:
    case Op::kSigmoid: case Op::kPow: case Op::kFloorDivide: case Op::kRemainder: case Op::kFmod:
    case Op::kWhere: case Op::kLogicalAnd: case Op::kLogicalOr: case Op::kLogicalXor: case Op::kLogicalNot:
    case Op::kBitwiseAnd: case Op::kBitwiseOr: case Op::kBitwiseXor: case Op::kBitwiseNot: case Op::kCast:
    case Op::kGelu: case Op::kGeluTanh: case Op::kSilu: case Op::kHardswish: case Op::kHardsigmoid:
    case Op::kLeakyRelu: case Op::kElu: case Op::kSoftplus: case Op::kMish: case Op::kThreshold:
    case Op::kLerp: case Op::kErf: case Op::kErfc: case Op::kExpm1: case Op::kLog1p: case Op::kLog2:
    case Op::kLog10: case Op::kExp2: case Op::kFloor: case Op::kCeil: case Op::kRound: case Op::kTrunc:
    case Op::kSign: case Op::kFrac: case Op::kSin: case Op::kCos: case Op::kTan: case Op::kAsin:
    case Op::kAcos: case Op::kAtan: case Op::kSinh: case Op::kCosh: case Op::kAsinh: case Op::kAcosh:
    case Op::kAtanh: case Op::kAtan2: case Op::kLogit: case Op::kXlogy: case Op::kNanToNum:
    case Op::kLogaddexp:
    case Op::kSum: case Op::kProd: case Op::kAmax: case Op::kAmin: case Op::kRowSize: break;
  }
  switch (t) {
    case DType::kFloat64: return Val{masks64_to_bool(fcmp(Fp::kF64, a.lo, b.lo, p), fcmp(Fp::kF64, a.hi, b.hi, p)), Vec()};
    case DType::kInt64: return Val{masks64_to_bool(icmp(true, a.lo, b.lo, p), icmp(true, a.hi, b.hi, p)), Vec()};
    case DType::kBool:
    case DType::kInt32: return Val{mask_to_bool(icmp(false, a.lo, b.lo, p)), Vec()};
    default: return Val{mask_to_bool(fcmp(Fp::kF32, a.lo, b.lo, p)), Vec()};
  }
}

Val DtypeEmitter::int_op(Op op, DType t, const Val& a, const Val& b) {
  const bool wide = t == DType::kInt64;
  auto each = [&](auto f) { return wide ? Val{f(a.lo, b.lo), f(a.hi, b.hi)} : Val{f(a.lo, b.lo), Vec()}; };
  auto max_min = [&](bool is_max) {
    return each([&](const Vec& x, const Vec& y) {
      if (!wide) return is_max ? op2(Inst::kIdPmaxsd, Inst::kIdVpmaxsd, x, y) : op2(Inst::kIdPminsd, Inst::kIdVpminsd, x, y);
      if (isa_ == Isa::kAvx512) {
        Vec d = e_.new_vec();
        cc_.emit(is_max ? Inst::kIdVpmaxsq : Inst::kIdVpminsq, d, x, y);  // AVX-512F
        return d;
      }
      Mask gt = icmp(true, x, y, Pred::kGt);  // x > y ? x : y  /  x > y ? y : x
      return is_max ? e_.select(Fp::kF64, gt, y, x) : e_.select(Fp::kF64, gt, x, y);
    });
  };
  switch (op) {
    case Op::kAdd: return each([&](const Vec& x, const Vec& y) { return wide ? e_.add_q(x, y) : e_.add_d(x, y); });
    case Op::kSub:
      return each([&](const Vec& x, const Vec& y) {
        return wide ? op2(Inst::kIdPsubq, Inst::kIdVpsubq, x, y) : e_.sub_d(x, y);
      });
    case Op::kMul:
      return each([&](const Vec& x, const Vec& y) {
        return wide ? mul_q(x, y) : op2(Inst::kIdPmulld, Inst::kIdVpmulld, x, y);
      });
    case Op::kNeg:
      return each([&](const Vec& x, const Vec&) {
        return wide ? op2(Inst::kIdPsubq, Inst::kIdVpsubq, zero(), x) : e_.sub_d(zero(), x);
      });
    case Op::kAbs:  // abs(INT_MIN) = INT_MIN, as the wrapping negation
      return each([&](const Vec& x, const Vec&) {
        if (!wide) return op1(Inst::kIdPabsd, Inst::kIdVpabsd, x);
        if (isa_ == Isa::kAvx512) return op1(Inst::kIdVpabsq, Inst::kIdVpabsq, x);
        Vec s = sign_mask64(x);
        return op2(Inst::kIdPsubq, Inst::kIdVpsubq, e_.bit_xor(x, s), s);
      });
    // Integers have no NaN: maximum / clamp_min / relu are max, the others min.
    case Op::kMaximum: return max_min(true);
    case Op::kMinimum: return max_min(false);
    case Op::kClampMin: return max_min(true);   // x < lo ? lo : x
    case Op::kClampMax: return max_min(false);  // hi < x ? hi : x
    case Op::kRelu: {  // x < 0 ? 0 : x
      Vec z = zero();
      return int_op(Op::kMaximum, t, a, Val{z, z});
    }
    case Op::kSign:
      // (0 < x) - (x < 0) = (x >> 63 or 31, arithmetic) | ((0 - x) >> 63 or 31, logical)
      return each([&](const Vec& x, const Vec&) {
        if (!wide) return e_.bit_or(e_.sra_d(x, 31), shr_d(e_.sub_d(zero(), x), 31));
        return e_.bit_or(sign_mask64(x), e_.shr_q(op2(Inst::kIdPsubq, Inst::kIdVpsubq, zero(), x), 63));
      });
    case Op::kFloor:
    case Op::kCeil:
    case Op::kRound:
    case Op::kTrunc: return a;
    case Op::kBitwiseAnd: return each([&](const Vec& x, const Vec& y) { return e_.bit_and(x, y); });
    case Op::kBitwiseOr: return each([&](const Vec& x, const Vec& y) { return e_.bit_or(x, y); });
    case Op::kBitwiseXor: return each([&](const Vec& x, const Vec& y) { return e_.bit_xor(x, y); });
    case Op::kBitwiseNot:
      if (t == DType::kBool) return Val{e_.bit_xor(a.lo, e_.pool_u32(1)), Vec()};
      return each([&](const Vec& x, const Vec&) { return not_bits(x); });
    case Op::kDiv: case Op::kReciprocal: case Op::kSqrt: case Op::kRsqrt: case Op::kExp: case Op::kLog:
    case Op::kTanh: case Op::kSigmoid: case Op::kPow: case Op::kFloorDivide: case Op::kRemainder:
    case Op::kFmod: case Op::kEq: case Op::kNe: case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe:
    case Op::kWhere: case Op::kLogicalAnd: case Op::kLogicalOr: case Op::kLogicalXor: case Op::kLogicalNot:
    case Op::kCast: case Op::kGelu: case Op::kGeluTanh: case Op::kSilu: case Op::kHardswish:
    case Op::kHardsigmoid: case Op::kLeakyRelu: case Op::kElu: case Op::kSoftplus: case Op::kMish:
    case Op::kThreshold: case Op::kLerp: case Op::kErf: case Op::kErfc: case Op::kExpm1: case Op::kLog1p:
    case Op::kLog2: case Op::kLog10: case Op::kExp2: case Op::kFrac: case Op::kSin: case Op::kCos:
    case Op::kTan: case Op::kAsin: case Op::kAcos: case Op::kAtan: case Op::kSinh: case Op::kCosh:
    case Op::kAsinh: case Op::kAcosh: case Op::kAtanh: case Op::kAtan2: case Op::kLogit: case Op::kXlogy:
    case Op::kIsnan: case Op::kIsinf: case Op::kIsfinite: case Op::kNanToNum: case Op::kLogaddexp:
    case Op::kSum: case Op::kProd: case Op::kAmax: case Op::kAmin: case Op::kRowSize:
      break;  // rejected by typed_op_supported
  }
  return a;
}

Vec DtypeEmitter::f64_op(Op op, const Vec& a, const Vec& b, const Vec& c) {
  constexpr Fp kD = Fp::kF64;
  auto quiet_nan = [&]() { return e_.load_aligned(e_.pool_u64(0x7FF8000000000000ull)); };
  auto keep_nan_of = [&](const Vec& r, const Vec& src) {
    return e_.select(kD, e_.cmp(kD, src, src, Cmp::kUnord), r, src);
  };
  switch (op) {
    case Op::kAdd: return e_.add(kD, a, b);
    case Op::kSub: return e_.sub(kD, a, b);
    case Op::kMul: return e_.mul(kD, a, b);
    case Op::kDiv: return e_.div(kD, a, b);
    case Op::kNeg: return e_.bit_xor(a, e_.pool_u64(0x8000000000000000ull));
    case Op::kAbs: return e_.bit_and(a, e_.pool_u64(0x7FFFFFFFFFFFFFFFull));
    case Op::kReciprocal: return e_.div(kD, e_.const_f64(1.0), a);
    case Op::kSqrt: return e_.sqrt(kD, a);
    case Op::kRsqrt: return e_.div(kD, e_.const_f64(1.0), e_.sqrt(kD, a));
    case Op::kMaximum:
    case Op::kMinimum: {
      Vec r = op == Op::kMaximum ? e_.max(kD, a, b) : e_.min(kD, a, b);
      return e_.select(kD, e_.cmp(kD, a, b, Cmp::kUnord), r, quiet_nan());
    }
    case Op::kClampMin: return keep_nan_of(e_.max(kD, b, a), b);
    case Op::kClampMax: return keep_nan_of(e_.min(kD, b, a), b);
    case Op::kRelu: return e_.max(kD, e_.const_f64(0.0), a);
    case Op::kFloor: return e_.round(kD, a, 1);
    case Op::kCeil: return e_.round(kD, a, 2);
    case Op::kRound: return e_.round(kD, a, 0);
    case Op::kTrunc: return e_.round(kD, a, 3);
    case Op::kFrac: return e_.sub(kD, a, e_.round(kD, a, 3));
    case Op::kSign: {
      Vec z = e_.const_f64(0.0);
      Vec r = e_.select(kD, e_.cmp(kD, z, a, Cmp::kLt), z, e_.const_f64(1.0));
      return e_.select(kD, e_.cmp(kD, a, z, Cmp::kLt), r, e_.const_f64(-1.0));
    }
    case Op::kHardsigmoid:
    case Op::kHardswish: {
      Vec m = e_.max(kD, e_.const_f64(0.0), e_.add(kD, a, e_.pool_f64(3.0)));
      m = e_.min(kD, e_.const_f64(6.0), m);
      if (op == Op::kHardswish) m = e_.mul(kD, a, m);
      return e_.div(kD, m, e_.pool_f64(6.0));
    }
    case Op::kLeakyRelu: return e_.select(kD, e_.cmp(kD, e_.const_f64(0.0), a, Cmp::kLt), e_.mul(kD, a, b), a);
    case Op::kThreshold: return e_.select(kD, e_.cmp(kD, a, b, Cmp::kLe), a, c);
    case Op::kLerp: {
      Vec d = e_.sub(kD, b, a);
      Vec lo = e_.add(kD, a, e_.mul(kD, c, d));
      Vec hi = e_.sub(kD, b, e_.mul(kD, d, e_.sub(kD, e_.const_f64(1.0), c)));
      return e_.select(kD, e_.cmp(kD, c, e_.pool_f64(0.5), Cmp::kLt), hi, lo);
    }
    case Op::kNanToNum: return nan_to_num(kD, a, DBL_MAX);
    case Op::kExp: case Op::kLog: case Op::kTanh: case Op::kSigmoid: case Op::kPow: case Op::kFloorDivide:
    case Op::kRemainder: case Op::kFmod: case Op::kEq: case Op::kNe: case Op::kLt: case Op::kLe: case Op::kGt:
    case Op::kGe: case Op::kWhere: case Op::kLogicalAnd: case Op::kLogicalOr: case Op::kLogicalXor:
    case Op::kLogicalNot: case Op::kBitwiseAnd: case Op::kBitwiseOr: case Op::kBitwiseXor:
    case Op::kBitwiseNot: case Op::kCast: case Op::kGelu: case Op::kGeluTanh: case Op::kSilu: case Op::kElu:
    case Op::kSoftplus: case Op::kMish: case Op::kErf: case Op::kErfc: case Op::kExpm1: case Op::kLog1p:
    case Op::kLog2: case Op::kLog10: case Op::kExp2: case Op::kSin: case Op::kCos: case Op::kTan:
    case Op::kAsin: case Op::kAcos: case Op::kAtan: case Op::kSinh: case Op::kCosh: case Op::kAsinh:
    case Op::kAcosh: case Op::kAtanh: case Op::kAtan2: case Op::kLogit: case Op::kXlogy: case Op::kIsnan:
    case Op::kIsinf: case Op::kIsfinite: case Op::kLogaddexp:
    case Op::kSum: case Op::kProd: case Op::kAmax: case Op::kAmin: case Op::kRowSize: break;  // rejected by typed_op_supported
  }
  return a;
}

Vec DtypeEmitter::nan_to_num(Fp t, const Vec& a, double max) {
  // NaN -> +0, +-inf -> +-max (select, not zero_where: its AVX-512 form masks
  // float32 lanes).
  Vec zero_v = zero();
  Vec r = e_.select(t, e_.cmp(t, a, a, Cmp::kUnord), a, zero_v);
  if (t == Fp::kF64) {
    r = e_.select(t, e_.cmp(t, a, e_.pool_f64(INFINITY), Cmp::kEq), r, e_.const_f64(max));
    return e_.select(t, e_.cmp(t, a, e_.pool_f64(-INFINITY), Cmp::kEq), r, e_.const_f64(-max));
  }
  const float m = static_cast<float>(max);
  r = e_.select(t, e_.cmp(t, a, e_.pool_f32(INFINITY), Cmp::kEq), r, e_.const_f32(m));
  return e_.select(t, e_.cmp(t, a, e_.pool_f32(-INFINITY), Cmp::kEq), r, e_.const_f32(-m));
}

Val DtypeEmitter::op(const ir::Node& n, const std::vector<Val>& args, const std::vector<DType>& types) {
  const ir::OpInfo& info = ir::op_info(n.op);
  const Val& a = args[0];
  const Val& b = args.size() > 1 ? args[1] : a;
  const Val& c = args.size() > 2 ? args[2] : b;
  if (n.op == Op::kCast) return cast(n.dtype, types[0], a);
  if (n.op == Op::kWhere) {  // where(cond, x, y) = cond ? x : y
    if (!is_wide(n.dtype)) return Val{e_.select(Fp::kF32, bool_mask(a.lo), c.lo, b.lo), Vec()};
    Mask lo, hi;
    bool_masks64(a.lo, &lo, &hi);
    return Val{e_.select(Fp::kF64, lo, c.lo, b.lo), e_.select(Fp::kF64, hi, c.hi, b.hi)};
  }
  if ((info.flags & ir::kAnyIn) != 0) {  // logical ops: operands to 0/1 first
    Vec x = nonzero(types[0], a);
    if (n.op == Op::kLogicalNot) return Val{e_.bit_xor(x, e_.pool_u32(1)), Vec()};
    Vec y = nonzero(types[1], b);
    if (n.op == Op::kLogicalAnd) return Val{e_.bit_and(x, y), Vec()};
    if (n.op == Op::kLogicalOr) return Val{e_.bit_or(x, y), Vec()};
    if (n.op == Op::kLogicalXor) return Val{e_.bit_xor(x, y), Vec()};
  }
  if ((info.flags & ir::kBoolOut) != 0) return predicate(n.op, types[0], a, b);
  if (n.op == Op::kNanToNum && computes_in_f32(n.dtype)) {  // f16, bf16 (f32 takes emit_op)
    const double max = n.dtype == DType::kFloat16 ? 65504.0 : 0x1.fep+127  /* bfloat16's largest, 0x7F7F */;
    return Val{nan_to_num(Fp::kF32, a.lo, max), Vec()};
  }
  if (n.dtype == DType::kFloat64) return Val{f64_op(n.op, a.lo, b.lo, c.lo), f64_op(n.op, a.hi, b.hi, c.hi)};
  return int_op(n.op, n.dtype, a, b);
}

}  // namespace fuze::x86
