#include "backends/x86/dtype_emit.h"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

namespace fuze::x86 {

namespace ax = asmjit::x86;
namespace Inst = ax::Inst;
using asmjit::Imm;
using ir::DType;
using ir::Op;

namespace {

constexpr uint64_t kInt64Min = 0x8000000000000000ull;

// ---- host-side conversions (constants and by-value scalars) -----------------

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// float -> f16 bits, round to nearest even; NaN -> sign | 0x7E00. The same
// steps as DtypeEmitter::half_bits.
uint16_t host_half_bits(float f) {
  const uint32_t x = bits_of(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t ax = x & 0x7FFFFFFFu;
  uint32_t h;
  if (ax > 0x7F800000u) {
    h = 0x7E00u;
  } else if (ax >= 0x477FF000u) {
    h = 0x7C00u;
  } else if (ax < 0x38800000u) {
    h = static_cast<uint32_t>(std::nearbyint(float_of(ax) * 16777216.0f));
  } else {
    h = ((ax + 0xFFFu + ((ax >> 13) & 1u)) >> 13) - (112u << 10);
  }
  return static_cast<uint16_t>(sign | h);
}
float host_half_value(uint16_t h) {
  const uint32_t t = static_cast<uint32_t>(h & 0x7FFFu) << 13;
  float f = float_of(t) * 5.192296858534828e33f;  // 2^112
  if (t >= 0x0F800000u) f = float_of(t | 0x7F800000u);
  return float_of(bits_of(f) | (static_cast<uint32_t>(h & 0x8000u) << 16));
}
uint16_t host_bf16_bits(float f) {
  if (std::isnan(f)) return 0x7FC0u;
  const uint32_t u = bits_of(f);
  return static_cast<uint16_t>((u + ((u >> 16) & 1u) + 0x7FFFu) >> 16);
}

template <class I>
I host_float_to_int(double d) {
  constexpr double lo = static_cast<double>(std::numeric_limits<I>::min());
  if (!(d > lo - 1.0 && d < -lo)) return std::numeric_limits<I>::min();
  return static_cast<I>(d);
}

}  // namespace

int elem_shift(DType t) {
  switch (ir::dtype_size(t)) {
    case 1: return 0;
    case 2: return 1;
    case 4: return 2;
    default: return 3;
  }
}

bool uses_f32_path(Op op, DType result) {
  if (!computes_in_f32(result) || op == Op::kCast || op == Op::kWhere) return false;
  // nan_to_num's replacement for inf is the largest value of the dtype.
  if (op == Op::kNanToNum && result != DType::kFloat32) return false;
  return (ir::op_info(op).flags & (ir::kBoolOut | ir::kAnyIn)) == 0;
}

bool typed_op_supported(Op op, DType result, const std::vector<DType>& operands, bool (*f32_op_supported)(Op),
                        std::string* why) {
  (void)operands;
  const ir::OpInfo& info = ir::op_info(op);
  // Casts, where, comparisons, logical ops and isnan/isinf/isfinite: every dtype.
  if (op == Op::kCast || op == Op::kWhere || (info.flags & (ir::kBoolOut | ir::kAnyIn)) != 0) return true;
  if (computes_in_f32(result)) {
    if (f32_op_supported(op)) return true;
    *why = std::string("x86: op ") + info.name +
           (result == DType::kFloat32 ? "" : std::string(" on ") + ir::dtype_name(result)) + " not supported yet";
    return false;
  }
  if (result == DType::kFloat64) {
    if ((info.native & ir::kX86F64) != 0) return true;
    if ((info.flags & ir::kApprox) != 0) {
      *why = std::string("x86: op ") + info.name + " on f64 not supported (approximate ops run in float32 only)";
    } else {
      *why = std::string("x86: op ") + info.name + " on f64 not supported yet";
    }
    return false;
  }
  if ((info.native & ir::kX86Int) != 0) return true;
  *why = std::string("x86: op ") + info.name + " on " + ir::dtype_name(result) + " not supported yet";
  return false;
}

void scalar_to_storage(DType t, double v, void* out) {
  switch (t) {
    case DType::kBool: {
      const uint8_t b = v != 0.0 ? 1 : 0;
      std::memcpy(out, &b, 1);
      return;
    }
    case DType::kInt32: {
      const int32_t i = host_float_to_int<int32_t>(v);
      std::memcpy(out, &i, 4);
      return;
    }
    case DType::kInt64: {
      const int64_t i = host_float_to_int<int64_t>(v);
      std::memcpy(out, &i, 8);
      return;
    }
    case DType::kFloat16: {
      const uint16_t h = host_half_bits(static_cast<float>(v));
      std::memcpy(out, &h, 2);
      return;
    }
    case DType::kBFloat16: {
      const uint16_t h = host_bf16_bits(static_cast<float>(v));
      std::memcpy(out, &h, 2);
      return;
    }
    case DType::kFloat32: {
      const float f = static_cast<float>(v);
      std::memcpy(out, &f, 4);
      return;
    }
    case DType::kFloat64: std::memcpy(out, &v, 8); return;
  }
}

// ---- DtypeEmitter -------------------------------------------------------------

DtypeEmitter::DtypeEmitter(VecEmitter& e) : e_(e), cc_(e.cc()), isa_(e.isa()) {}

Vec DtypeEmitter::op1(uint32_t sse_id, uint32_t avx_id, const Vec& a) {
  Vec d = e_.new_vec();
  cc_.emit(isa_ == Isa::kSse41 ? sse_id : avx_id, d, a);
  return d;
}

Vec DtypeEmitter::op2(uint32_t sse_id, uint32_t avx_id, const Vec& a, const Operand& b) {
  Vec d = e_.new_vec();
  if (isa_ == Isa::kSse41) {
    cc_.emit(Inst::kIdMovaps, d, a);
    cc_.emit(sse_id, d, b);
  } else {
    cc_.emit(avx_id, d, a, b);
  }
  return d;
}

Vec DtypeEmitter::zero() { return e_.load_aligned(e_.pool_u32(0)); }
Vec DtypeEmitter::not_bits(const Vec& a) { return e_.bit_xor(a, e_.pool_u32(0xFFFFFFFFu)); }
Vec DtypeEmitter::shr_d(const Vec& a, int bits) { return op2(Inst::kIdPsrld, Inst::kIdVpsrld, a, Imm(bits)); }

Vec DtypeEmitter::widen(uint32_t sse_id, uint32_t avx_id, const Vec& v, bool high) {
  Vec d = e_.new_vec();
  switch (isa_) {
    case Isa::kSse41: {
      Vec src = v;
      if (high) {
        src = e_.new_vec();
        cc_.emit(Inst::kIdPshufd, src, v, Imm(0xEE));
      }
      cc_.emit(sse_id, d, src);
      break;
    }
    case Isa::kAvx2: {
      ax::Xmm src = v.xmm();
      if (high) {
        src = cc_.newXmm();
        cc_.emit(Inst::kIdVextracti128, src, v, Imm(1));
      }
      cc_.emit(avx_id, d, src);
      break;
    }
    case Isa::kAvx512: {
      ax::Ymm src = v.ymm();
      if (high) {
        src = cc_.newYmm();
        cc_.emit(Inst::kIdVextracti64x4, src, v, Imm(1));
      }
      cc_.emit(avx_id, d, src);
      break;
    }
  }
  return d;
}

Vec DtypeEmitter::narrow(uint32_t sse_id, uint32_t avx_id, const Vec& lo, const Vec& hi) {
  Vec d = e_.new_vec();
  switch (isa_) {
    case Isa::kSse41: {
      ax::Xmm t = cc_.newXmm();
      cc_.emit(sse_id, d, lo);
      cc_.emit(sse_id, t, hi);
      cc_.emit(Inst::kIdPunpcklqdq, d, t);
      break;
    }
    case Isa::kAvx2: {
      ax::Xmm t = cc_.newXmm();
      cc_.emit(avx_id, d.xmm(), lo);
      cc_.emit(avx_id, t, hi);
      cc_.emit(Inst::kIdVinserti128, d, d, t, Imm(1));
      break;
    }
    case Isa::kAvx512: {
      ax::Ymm t = cc_.newYmm();
      cc_.emit(avx_id, d.ymm(), lo);
      cc_.emit(avx_id, t, hi);
      cc_.emit(Inst::kIdVinserti64x4, d, d, t, Imm(1));
      break;
    }
  }
  return d;
}

Vec DtypeEmitter::pack_lo32(const Vec& lo, const Vec& hi) {
  Vec d = e_.new_vec();
  switch (isa_) {
    case Isa::kSse41:
      cc_.emit(Inst::kIdMovaps, d, lo);
      cc_.emit(Inst::kIdShufps, d, hi, Imm(0x88));  // dwords 0, 2 of lo, then of hi
      break;
    case Isa::kAvx2:
      // vshufps works per 128-bit half: elements come out as 0 1 4 5 2 3 6 7.
      cc_.emit(Inst::kIdVshufps, d, lo, hi, Imm(0x88));
      cc_.emit(Inst::kIdVpermq, d, d, Imm(0xD8));  // qwords 0 2 1 3
      break;
    case Isa::kAvx512: {
      ax::Ymm t = cc_.newYmm();
      cc_.emit(Inst::kIdVpmovqd, d.ymm(), lo);
      cc_.emit(Inst::kIdVpmovqd, t, hi);
      cc_.emit(Inst::kIdVinserti64x4, d, d, t, Imm(1));
      break;
    }
  }
  return d;
}

// ---- masks ---------------------------------------------------------------------

Vec DtypeEmitter::gt64_sse(const Vec& a, const Vec& b) {
  // Signed 64-bit a > b from 32-bit compares: the high dwords signed, the low
  // dwords unsigned (sign bit flipped), combined as hi_gt | (hi_eq & lo_gt).
  const Mem flip = e_.pool_u64(0x80000000u);
  Vec g = op2(Inst::kIdPcmpgtd, Inst::kIdVpcmpgtd, e_.bit_xor(a, flip), e_.bit_xor(b, flip));
  Vec q = op2(Inst::kIdPcmpeqd, Inst::kIdVpcmpeqd, a, b);
  Vec gh = e_.new_vec(), qh = e_.new_vec(), gl = e_.new_vec();
  cc_.emit(Inst::kIdPshufd, gh, g, Imm(0xF5));  // dword 1 -> 0, 1; dword 3 -> 2, 3
  cc_.emit(Inst::kIdPshufd, qh, q, Imm(0xF5));
  cc_.emit(Inst::kIdPshufd, gl, g, Imm(0xA0));  // dword 0 -> 0, 1; dword 2 -> 2, 3
  return e_.bit_or(gh, e_.bit_and(qh, gl));
}

Mask DtypeEmitter::icmp(bool wide, const Vec& a, const Vec& b, Pred p) {
  Mask m;
  if (isa_ == Isa::kAvx512) {
    static constexpr int kImm[] = {0, 4, 1, 2, 6, 5};  // eq ne lt le nle(gt) nlt(ge)
    m.k = cc_.newKw();
    cc_.emit(wide ? Inst::kIdVpcmpq : Inst::kIdVpcmpd, m.k, a, b, Imm(kImm[static_cast<int>(p)]));
    return m;
  }
  auto eq = [&]() {
    return wide ? op2(Inst::kIdPcmpeqq, Inst::kIdVpcmpeqq, a, b) : op2(Inst::kIdPcmpeqd, Inst::kIdVpcmpeqd, a, b);
  };
  auto gt = [&](const Vec& x, const Vec& y) {
    if (!wide) return op2(Inst::kIdPcmpgtd, Inst::kIdVpcmpgtd, x, y);
    if (isa_ == Isa::kAvx2) return op2(Inst::kIdPcmpgtq, Inst::kIdVpcmpgtq, x, y);
    return gt64_sse(x, y);  // pcmpgtq is SSE4.2
  };
  switch (p) {
    case Pred::kEq: m.v = eq(); break;
    case Pred::kNe: m.v = not_bits(eq()); break;
    case Pred::kGt: m.v = gt(a, b); break;
    case Pred::kLt: m.v = gt(b, a); break;
    case Pred::kLe: m.v = not_bits(gt(a, b)); break;
    case Pred::kGe: m.v = not_bits(gt(b, a)); break;
  }
  return m;
}

Mask DtypeEmitter::fcmp(Fp t, const Vec& a, const Vec& b, Pred p) {
  switch (p) {
    case Pred::kEq: return e_.cmp(t, a, b, Cmp::kEq);
    case Pred::kNe: return e_.cmp(t, a, b, Cmp::kNeq);  // unordered: NaN != x
    case Pred::kLt: return e_.cmp(t, a, b, Cmp::kLt);
    case Pred::kLe: return e_.cmp(t, a, b, Cmp::kLe);
    case Pred::kGt: return e_.cmp(t, b, a, Cmp::kLt);
    case Pred::kGe: return e_.cmp(t, b, a, Cmp::kLe);
  }
  return e_.cmp(t, a, b, Cmp::kEq);
}

Vec DtypeEmitter::mask_to_bool(const Mask& m) {
  if (isa_ == Isa::kAvx512) {
    Vec d = e_.new_vec();
    cc_.k(m.k).z().emit(Inst::kIdVmovdqa32, d, e_.pool_u32(1));
    return d;
  }
  return shr_d(m.v, 31);
}

Vec DtypeEmitter::masks64_to_bool(const Mask& lo, const Mask& hi) {
  if (isa_ == Isa::kAvx512) {
    Mask m;
    m.k = cc_.newKw();
    cc_.emit(Inst::kIdKunpckbw, m.k, hi.k, lo.k);  // lo in bits 0..7, hi in 8..15
    return mask_to_bool(m);
  }
  return shr_d(pack_lo32(lo.v, hi.v), 31);
}

Mask DtypeEmitter::bool_mask(const Vec& b) {
  Mask m;
  if (isa_ == Isa::kAvx512) {
    m.k = cc_.newKw();
    cc_.emit(Inst::kIdVptestmd, m.k, b, b);
  } else {
    m.v = e_.sub_d(zero(), b);  // 1 -> all ones
  }
  return m;
}

void DtypeEmitter::bool_masks64(const Vec& b, Mask* lo, Mask* hi) {
  Mask m = bool_mask(b);
  if (isa_ == Isa::kAvx512) {
    lo->k = m.k;  // 64-bit lane ops read bits 0..7
    hi->k = cc_.newKw();
    cc_.emit(Inst::kIdKshiftrw, hi->k, m.k, Imm(8));
  } else {
    lo->v = widen(Inst::kIdPmovsxdq, Inst::kIdVpmovsxdq, m.v, false);
    hi->v = widen(Inst::kIdPmovsxdq, Inst::kIdVpmovsxdq, m.v, true);
  }
}

Vec DtypeEmitter::nonzero(DType t, const Val& v) {
  switch (t) {
    case DType::kBool: return v.lo;
    case DType::kInt32: return mask_to_bool(icmp(false, v.lo, zero(), Pred::kNe));
    case DType::kInt64: {
      Vec z = zero();
      return masks64_to_bool(icmp(true, v.lo, z, Pred::kNe), icmp(true, v.hi, z, Pred::kNe));
    }
    case DType::kFloat64: {
      Vec z = zero();
      return masks64_to_bool(e_.cmp(Fp::kF64, v.lo, z, Cmp::kNeq), e_.cmp(Fp::kF64, v.hi, z, Cmp::kNeq));
    }
    default: return mask_to_bool(e_.cmp(Fp::kF32, v.lo, zero(), Cmp::kNeq));  // NaN != 0
  }
}

// ---- conversions -----------------------------------------------------------------

Vec DtypeEmitter::half_bits(const Vec& f) {
  // The interpreter's float_to_half, lane-wise (see host_half_bits).
  Vec a = e_.bit_and(f, e_.pool_u32(0x7FFFFFFFu));
  Vec sign = e_.bit_and(shr_d(f, 16), e_.pool_u32(0x8000u));
  // Normal: drop 13 mantissa bits rounding to nearest even, rebias 127 -> 15.
  Vec lsb = e_.bit_and(shr_d(a, 13), e_.pool_u32(1));
  Vec norm = shr_d(e_.add_d(e_.add_d(a, e_.pool_u32(0xFFFu)), lsb), 13);
  norm = e_.sub_d(norm, e_.pool_u32(112u << 10));
  // Below 2^-14: a multiple of 2^-24, rounded by cvtps2dq (nearest even).
  Vec sub = op1(Inst::kIdCvtps2dq, Inst::kIdVcvtps2dq, e_.mul(Fp::kF32, a, e_.pool_f32(16777216.0f)));
  Vec r = e_.select(Fp::kF32, icmp(false, a, e_.load_aligned(e_.pool_u32(0x38800000u)), Pred::kLt), norm, sub);
  r = e_.select(Fp::kF32, icmp(false, a, e_.load_aligned(e_.pool_u32(0x477FF000u)), Pred::kGe), r,
                e_.load_aligned(e_.pool_u32(0x7C00u)));
  r = e_.select(Fp::kF32, icmp(false, a, e_.load_aligned(e_.pool_u32(0x7F800000u)), Pred::kGt), r,
                e_.load_aligned(e_.pool_u32(0x7E00u)));
  return e_.bit_or(r, sign);
}

Vec DtypeEmitter::half_value(const Vec& h) {
  // (h & 0x7FFF) << 13 read as a float is the value times 2^-112 (subnormal
  // halves become float32 denormals, scaled exactly); exponent 31 is inf/NaN.
  Vec t = e_.shl_d(e_.bit_and(h, e_.pool_u32(0x7FFFu)), 13);
  Vec f = e_.mul(Fp::kF32, t, e_.pool_f32(5.192296858534828e33f));  // 2^112
  Mask special = icmp(false, t, e_.load_aligned(e_.pool_u32(0x0F7FFFFFu)), Pred::kGt);
  f = e_.select(Fp::kF32, special, f, e_.bit_or(t, e_.pool_u32(0x7F800000u)));
  return e_.bit_or(f, e_.shl_d(e_.bit_and(h, e_.pool_u32(0x8000u)), 16));
}

Vec DtypeEmitter::bf16_bits(const Vec& f) { return shr_d(bf16_round_hi(f), 16); }

Vec DtypeEmitter::bf16_round(const Vec& f) {
  Vec hi = bf16_round_hi(f);
  Vec r = e_.bit_and(hi, e_.pool_u32(0xFFFF0000u));
  e_.mark_nan_clean(r);  // exact bf16 values, a NaN's low half 0
  rounded_[r.id()] = Rounded{hi, cc_.cursor()};
  return r;
}

Vec DtypeEmitter::unmasked_for_store(const Vec& v) {
  auto it = rounded_.find(v.id());
  if (it == rounded_.end()) return v;
  Rounded& rd = it->second;
  if (rd.mask_node != nullptr) {
    for (asmjit::BaseNode* n = rd.mask_node->next(); n != nullptr; n = n->next()) {
      if (!n->isInst()) continue;
      asmjit::InstNode* in = n->as<asmjit::InstNode>();
      for (uint32_t i = 0; i < in->opCount(); ++i) {
        if (in->op(i).isReg() && in->op(i).id() == v.id()) return v;  // read later: keep the mask
      }
    }
    if (!rd.mask_node->isInst() || rd.mask_node->as<asmjit::InstNode>()->op(0).id() != v.id()) return v;
    cc_.removeNode(rd.mask_node);
    rd.mask_node = nullptr;
  }
  return rd.hi;
}

Vec DtypeEmitter::bf16_round_hi(const Vec& f) {
  // u + ((u >> 16) & 1) + 0x7FFF (the rounded bf16 in the high half); NaN ->
  // 0x7FC00000, unless f is NaN-clean (VecEmitter::nan_clean: the rounding
  // cannot carry out of a NaN's zero low half, so it stays that NaN).
  // (u + 0x7FFF) beside the lsb: one add less on the dependency chain.
  Vec lsb = e_.bit_and(shr_d(f, 16), e_.pool_u32(1));
  Vec r = e_.add_d(e_.add_d(f, e_.pool_u32(0x7FFFu)), lsb);
  if (e_.nan_clean(f)) return r;
  return e_.select(Fp::kF32, e_.cmp(Fp::kF32, f, f, Cmp::kUnord), r, e_.pool_u32(0x7FC00000u));
}

// AVX2: the high halves of the eight 32-bit lanes of v (a ymm) as eight
// 16-bit values in an xmm: vpshufb gathers them into the low 8 bytes of each
// 128-bit lane, vpermq joins the two (2 shuffles; a shift, vextracti128 and
// vpackusdw were 3).
Vec DtypeEmitter::high_words_avx2(const Vec& v) {
  static constexpr uint32_t kCtl[8] = {0x07060302u, 0x0F0E0B0Au, 0x80808080u, 0x80808080u,
                                       0x07060302u, 0x0F0E0B0Au, 0x80808080u, 0x80808080u};
  Vec g = e_.new_vec();
  cc_.emit(Inst::kIdVpshufb, g, v, e_.pool_table_u32(kCtl, 8));
  Vec d = e_.new_vec();
  cc_.emit(Inst::kIdVpermq, d, g, Imm(0x08));  // qwords 0 and 2
  return d;
}

Vec DtypeEmitter::i64_to_f64(const Vec& x) {
  if (isa_ == Isa::kAvx512) {  // AVX512DQ
    Vec d = e_.new_vec();
    cc_.emit(Inst::kIdVcvtqq2pd, d, x);
    return d;
  }
  // x = h * 2^32 + l (h signed, l unsigned). With exponent bias tricks:
  //   L = bits(0x43300000_00000000 | l)               = 2^52 + l
  //   H = bits(0x45300000_00000000 | (h + 2^31))      = 2^84 + (h + 2^31) 2^32
  // H - (2^84 + 2^63 + 2^52) = (h - 2^20) 2^32 exactly, and adding L rounds once.
  Vec l = e_.bit_or(e_.bit_and(x, e_.pool_u64(0xFFFFFFFFu)), e_.pool_u64(0x4330000000000000ull));
  Vec h = e_.bit_or(e_.bit_xor(e_.shr_q(x, 32), e_.pool_u64(0x80000000u)), e_.pool_u64(0x4530000000000000ull));
  const double bias = std::ldexp(1.0, 84) + std::ldexp(1.0, 63) + std::ldexp(1.0, 52);  // exact
  return e_.add(Fp::kF64, e_.sub(Fp::kF64, h, e_.pool_f64(bias)), l);
}

Vec DtypeEmitter::f64_to_i64(const Vec& d) {
  if (isa_ == Isa::kAvx512) {  // AVX512DQ: NaN and out of range give 0x8000000000000000, as below
    Vec r = e_.new_vec();
    cc_.emit(Inst::kIdVcvttpd2qq, r, d);
    return r;
  }
  // trunc(d) = h * 2^32 + l with h = floor(t / 2^32) and l in [0, 2^32) both
  // exact in float64; their low 32 bits come out of the mantissa after adding
  // 2^52 + 2^51 (h, signed) and 2^52 (l). NaN and |d| >= 2^63 give INT64_MIN.
  Vec t = e_.round(Fp::kF64, d, 3);
  Vec h = e_.round(Fp::kF64, e_.mul(Fp::kF64, t, e_.pool_f64(1.0 / 4294967296.0)), 1);
  Vec l = e_.sub(Fp::kF64, t, e_.mul(Fp::kF64, h, e_.pool_f64(4294967296.0)));
  Vec hb = e_.add(Fp::kF64, h, e_.pool_f64(6755399441055744.0));  // 2^52 + 2^51
  Vec lb = e_.add(Fp::kF64, l, e_.pool_f64(4503599627370496.0));  // 2^52
  Vec r = e_.bit_or(e_.shl_q(hb, 32), e_.bit_and(lb, e_.pool_u64(0xFFFFFFFFu)));
  Mask in = e_.mask_and(e_.cmp(Fp::kF64, d, e_.pool_f64(9223372036854775808.0), Cmp::kLt),
                        e_.cmp(Fp::kF64, d, e_.pool_f64(-9223372036854775808.0), Cmp::kNle));
  return e_.select(Fp::kF64, in, e_.load_aligned(e_.pool_u64(kInt64Min)), r);
}

Vec DtypeEmitter::i64_to_f32(const Vec& lo, const Vec& hi) {
  if (isa_ == Isa::kAvx512) {  // AVX512DQ: vcvtqq2ps rounds to nearest even, as below
    Vec d = e_.new_vec();
    ax::Ymm t = cc_.newYmm();
    cc_.emit(Inst::kIdVcvtqq2ps, d.ymm(), lo);
    cc_.emit(Inst::kIdVcvtqq2ps, t, hi);
    cc_.emit(Inst::kIdVinsertf32x8, d, d, t, Imm(1));
    return d;
  }
  // Through float64, which is exact for |x| < 2^53. Larger x are first rounded
  // to odd at bit 11 (truncate, then set bit 11 if any lower bit was set): the
  // result has at most 53 significant bits, converts exactly, and its sticky
  // bit makes the float64 -> float32 rounding the correct one.
  auto prepare = [&](const Vec& x) {
    Vec low = e_.bit_and(x, e_.pool_u64(0x7FFu));
    Vec sticky = e_.bit_and(e_.add_q(low, e_.pool_u64(0x7FFu)), e_.pool_u64(0x800u));
    Vec odd = e_.bit_or(e_.bit_and(x, e_.pool_u64(~uint64_t{0x7FF})), sticky);
    // |x| < 2^53  <=>  (x + 2^53) >> 54 == 0 (unsigned)
    Vec range = e_.shr_q(e_.add_q(x, e_.pool_u64(uint64_t{1} << 53)), 54);
    Mask small = icmp(true, range, zero(), Pred::kEq);
    return i64_to_f64(e_.select(Fp::kF64, small, odd, x));
  };
  return e_.f64_to_f32(prepare(lo), prepare(hi));
}

Vec DtypeEmitter::to_f32(DType from, const Val& v) {
  switch (from) {
    case DType::kBool:
    case DType::kInt32: return op1(Inst::kIdCvtdq2ps, Inst::kIdVcvtdq2ps, v.lo);
    case DType::kInt64: return i64_to_f32(v.lo, v.hi);
    case DType::kFloat64: return e_.f64_to_f32(v.lo, v.hi);
    default: return v.lo;
  }
}

Val DtypeEmitter::round_to(DType t, const Val& v) {
  if (t == DType::kFloat16) return Val{half_value(half_bits(v.lo)), Vec()};
  if (t == DType::kBFloat16) return Val{bf16_round(v.lo), Vec()};
  return v;
}

Val DtypeEmitter::cast(DType to, DType from, const Val& v) {
  if (to == from) return v;
  switch (to) {
    case DType::kBool: return Val{nonzero(from, v), Vec()};
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kFloat32: return round_to(to, Val{to_f32(from, v), Vec()});
    case DType::kInt32:
      switch (from) {
        case DType::kBool: return v;
        case DType::kInt64: return Val{pack_lo32(v.lo, v.hi), Vec()};
        case DType::kFloat64: return Val{narrow(Inst::kIdCvttpd2dq, Inst::kIdVcvttpd2dq, v.lo, v.hi), Vec()};
        default: return Val{op1(Inst::kIdCvttps2dq, Inst::kIdVcvttps2dq, v.lo), Vec()};  // NaN, out of range: INT32_MIN
      }
    case DType::kInt64:
      switch (from) {
        case DType::kBool:
        case DType::kInt32:
          return Val{widen(Inst::kIdPmovsxdq, Inst::kIdVpmovsxdq, v.lo, false),
                     widen(Inst::kIdPmovsxdq, Inst::kIdVpmovsxdq, v.lo, true)};
        case DType::kFloat64: return Val{f64_to_i64(v.lo), f64_to_i64(v.hi)};
        default: return Val{f64_to_i64(e_.f32_lo_to_f64(v.lo)), f64_to_i64(e_.f32_hi_to_f64(v.lo))};
      }
    case DType::kFloat64:
      switch (from) {
        case DType::kBool:
        case DType::kInt32:
          return Val{widen(Inst::kIdCvtdq2pd, Inst::kIdVcvtdq2pd, v.lo, false),
                     widen(Inst::kIdCvtdq2pd, Inst::kIdVcvtdq2pd, v.lo, true)};
        case DType::kInt64: return Val{i64_to_f64(v.lo), i64_to_f64(v.hi)};
        default: return Val{e_.f32_lo_to_f64(v.lo), e_.f32_hi_to_f64(v.lo)};
      }
  }
  return v;
}

// ---- memory ----------------------------------------------------------------------

Val DtypeEmitter::from_storage(DType t, const Vec& v) {
  if (t == DType::kFloat16) return Val{half_value(v), Vec()};
  if (t == DType::kBFloat16) {
    Vec f = e_.shl_d(v, 16);
    e_.mark_nan_clean(f);
    return Val{f, Vec()};
  }
  return Val{v, Vec()};  // bool: 0 / 1 already
}

Val DtypeEmitter::load(DType t, const Mem& m) {
  const int size = ir::dtype_size(t);
  if (size == 4) return Val{e_.load(m), Vec()};
  if (size == 8) {
    Mem m2 = m;
    m2.addOffset(e_.bytes());
    return Val{e_.load(m), e_.load(m2)};
  }
  // 1 or 2 bytes per element: zero-extended into 32-bit lanes.
  Mem src = m;
  src.setSize(static_cast<uint32_t>(e_.lanes() * size));
  if (t == DType::kBFloat16 && isa_ == Isa::kAvx2) {
    // Straight into the high halves: the 16 bytes in both 128-bit lanes,
    // then vpshufb (one shuffle; vpmovzxwd and a shift were two).
    static constexpr uint32_t kCtl[8] = {0x01008080u, 0x03028080u, 0x05048080u, 0x07068080u,
                                         0x09088080u, 0x0B0A8080u, 0x0D0C8080u, 0x0F0E8080u};
    Vec b = e_.new_vec();
    cc_.emit(Inst::kIdVbroadcasti128, b, src);
    Vec d = e_.new_vec();
    cc_.emit(Inst::kIdVpshufb, d, b, e_.pool_table_u32(kCtl, 8));
    e_.mark_nan_clean(d);
    return Val{d, Vec()};
  }
  Vec d = e_.new_vec();
  if (size == 1) {
    cc_.emit(isa_ == Isa::kSse41 ? Inst::kIdPmovzxbd : Inst::kIdVpmovzxbd, d, src);
  } else {
    cc_.emit(isa_ == Isa::kSse41 ? Inst::kIdPmovzxwd : Inst::kIdVpmovzxwd, d, src);
  }
  return from_storage(t, d);
}

void DtypeEmitter::store(DType t, const Mem& m, const Val& v, bool exact) {
  const int size = ir::dtype_size(t);
  if (size == 4) {
    e_.store(m, v.lo);
    return;
  }
  if (size == 8) {
    Mem m2 = m;
    m2.addOffset(e_.bytes());
    e_.store(m, v.lo);
    e_.store(m2, v.hi);
    return;
  }
  if (t == DType::kBFloat16 && isa_ == Isa::kAvx2) {
    // The rounded value's high halves (an exact value's low halves are 0;
    // otherwise rounded without the final mask): 16 bytes.
    Mem dst = m;
    dst.setSize(16);
    Vec w = high_words_avx2(exact ? unmasked_for_store(v.lo) : bf16_round_hi(v.lo));
    cc_.emit(Inst::kIdVmovdqu, dst, w.xmm());
    return;
  }
  // 32-bit lanes of values < 2^16 (f16/bf16 bits) or 0/1 (bool), narrowed.
  Vec x = v.lo;
  if (t == DType::kFloat16) x = half_bits(v.lo);
  if (t == DType::kBFloat16) x = exact ? shr_d(v.lo, 16) : bf16_bits(v.lo);  // rounded: NaN -> 0x7FC0 as in interp
  Mem dst = m;
  dst.setSize(static_cast<uint32_t>(e_.lanes() * size));
  switch (isa_) {
    case Isa::kSse41: {
      ax::Xmm w = cc_.newXmm();
      cc_.emit(Inst::kIdMovaps, w, x);
      cc_.emit(Inst::kIdPackusdw, w, w);
      if (size == 1) cc_.emit(Inst::kIdPackuswb, w, w);
      cc_.emit(size == 1 ? Inst::kIdMovd : Inst::kIdMovq, dst, w);
      break;
    }
    case Isa::kAvx2: {
      ax::Xmm h = cc_.newXmm(), w = cc_.newXmm();
      cc_.emit(Inst::kIdVextracti128, h, x, Imm(1));
      cc_.emit(Inst::kIdVpackusdw, w, x.xmm(), h);
      if (size == 1) {
        cc_.emit(Inst::kIdVpackuswb, w, w, w);
        cc_.emit(Inst::kIdVmovq, dst, w);
      } else {
        cc_.emit(Inst::kIdVmovdqu, dst, w);
      }
      break;
    }
    case Isa::kAvx512: {
      // Narrowed in a register, then stored: Zen 4 runs vpmovdb/vpmovdw with
      // a memory destination far slower than the two instructions.
      if (size == 1) {
        ax::Xmm w = cc_.newXmm();
        cc_.emit(Inst::kIdVpmovdb, w, x);
        cc_.emit(Inst::kIdVmovdqu, dst, w);
      } else {
        ax::Ymm w = cc_.newYmm();
        cc_.emit(Inst::kIdVpmovdw, w, x);
        cc_.emit(Inst::kIdVmovdqu, dst, w);
      }
      break;
    }
  }
}

Val DtypeEmitter::load_one(DType t, const Mem& m) {
  const int size = ir::dtype_size(t);
  if (size == 4) return Val{e_.broadcast_f32(m), Vec()};
  Mem src = m;
  src.setSize(static_cast<uint32_t>(size));
  if (size == 8) {
    Vec d = e_.new_vec();
    cc_.emit(isa_ == Isa::kSse41 ? Inst::kIdMovddup : Inst::kIdVbroadcastsd, d, src);
    return Val{d, d};
  }
  ax::Gp g = cc_.newUInt32();
  cc_.movzx(g, src);
  ax::Xmm x = cc_.newXmm();
  cc_.emit(isa_ == Isa::kSse41 ? Inst::kIdMovd : Inst::kIdVmovd, x, g);
  Vec d = e_.new_vec();
  if (isa_ == Isa::kSse41) {
    cc_.emit(Inst::kIdPshufd, d, x, Imm(0));
  } else {
    cc_.emit(Inst::kIdVpbroadcastd, d, x);
  }
  return from_storage(t, d);
}

Val DtypeEmitter::constant(DType t, double v) {
  unsigned char buf[8] = {};
  scalar_to_storage(t, v, buf);
  switch (t) {
    case DType::kBool: return Val{e_.load_aligned(e_.pool_u32(buf[0])), Vec()};
    case DType::kFloat16:
    case DType::kBFloat16: {
      uint16_t h;
      std::memcpy(&h, buf, 2);
      const float f = t == DType::kFloat16 ? host_half_value(h) : float_of(static_cast<uint32_t>(h) << 16);
      Vec d = e_.load_aligned(e_.pool_f32(f));
      if (t == DType::kBFloat16) e_.mark_nan_clean(d);
      return Val{d, Vec()};
    }
    case DType::kInt32:
    case DType::kFloat32: {
      uint32_t u;
      std::memcpy(&u, buf, 4);
      return Val{e_.load_aligned(e_.pool_u32(u)), Vec()};
    }
    case DType::kInt64:
    case DType::kFloat64: {
      uint64_t u;
      std::memcpy(&u, buf, 8);
      Vec d = e_.load_aligned(e_.pool_u64(u));
      return Val{d, d};
    }
  }
  return Val{};
}

}  // namespace fuze::x86
