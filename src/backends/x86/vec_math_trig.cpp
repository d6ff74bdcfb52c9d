// Inline vector math, part 2: trigonometric, inverse, hyperbolic, erfc (float64
// halves); at the FMA levels sin, cos and tan run in float32 lanes for
// vectors whose arguments are all below kTrigFastMax (others: float64), and
// asin, acos, atan and atan2 call vec_math_inv.cpp's float32-lane versions.
#include "backends/x86/vec_math.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "backends/x86/vec_math_f32.h"
#include "backends/x86/vec_math_f64.h"
#include "kernels/math/vec_math_coeffs.h"

// Schemes and error budgets: kernels/math/vec_math_coeffs.h.

namespace fuze::x86 {

using namespace f64;

namespace {

namespace ax = asmjit::x86;

// f(a_half, b_half) on the float64 halves of two float32 vectors.
template <class F>
Vec per_half2(VecEmitter& e, const Vec& a, const Vec& b, F f) {
  Vec lo = f(e.f32_lo_to_f64(a), e.f32_lo_to_f64(b));
  Vec hi = f(e.f32_hi_to_f64(a), e.f32_hi_to_f64(b));
  return e.f64_to_f32(lo, hi);
}

Vec sign_of_d(VecEmitter& e, const Vec& x) { return e.bit_and(x, e.pool_u64(kSignBit64)); }
Vec abs_d(VecEmitter& e, const Vec& x) { return e.bit_and(x, e.pool_u64(kAbsMask64)); }
// r where x is not NaN, x (the NaN) where it is.
Vec nan_pass_d(VecEmitter& e, const Vec& x, const Vec& r) {
  return e.select(kD, e.cmp(kD, x, x, Cmp::kUnord), r, x);
}

// The slow path for lanes a vector formula cannot do: when any lane of `need`
// (a float32-lane mask) is set, a, b are stored to the stack and fn(a, b, out,
// lanes) computes every lane of the result in C++; otherwise r is the result.
using LaneFn = void (*)(const float* a, const float* b, float* out, int64_t n);

Vec lanes_fallback(VecEmitter& e, const Mask& need, const Vec& r, const Vec& a, const Vec& b, LaneFn fn) {
  ax::Compiler& cc = e.cc();
  Vec res = e.copy(r);
  asmjit::Label done = cc.newLabel();
  if (e.isa() == Isa::kAvx512) {
    cc.kortestw(need.k, need.k);
  } else {
    ax::Gp bits = cc.newInt32("need");
    cc.emit(e.isa() == Isa::kSse41 ? ax::Inst::kIdMovmskps : ax::Inst::kIdVmovmskps, bits, need.v);
    cc.test(bits, bits);
  }
  cc.jz(done);
  ax::Mem sa = cc.newStack(static_cast<uint32_t>(e.bytes()), 64);
  ax::Mem sb = cc.newStack(static_cast<uint32_t>(e.bytes()), 64);
  ax::Mem so = cc.newStack(static_cast<uint32_t>(e.bytes()), 64);
  e.store(sa, a);
  e.store(sb, b);
  ax::Gp pa = cc.newIntPtr("lane_a"), pb = cc.newIntPtr("lane_b"), po = cc.newIntPtr("lane_out");
  ax::Gp n = cc.newInt64("lanes"), target = cc.newIntPtr("lane_fn");
  cc.lea(pa, sa);
  cc.lea(pb, sb);
  cc.lea(po, so);
  cc.mov(n, asmjit::Imm(e.lanes()));
  cc.mov(target, asmjit::Imm(reinterpret_cast<uint64_t>(fn)));
  asmjit::InvokeNode* call = nullptr;
  cc.invoke(&call, target, asmjit::FuncSignatureT<void, const float*, const float*, float*, int64_t>());
  call->setArg(0, pa);
  call->setArg(1, pb);
  call->setArg(2, po);
  call->setArg(3, n);
  cc.emit(e.isa() == Isa::kSse41 ? ax::Inst::kIdMovups : ax::Inst::kIdVmovups, res, so);
  cc.bind(done);
  return res;
}

void lanes_sin(const float* a, const float*, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(std::sin(static_cast<double>(a[i])));
}
void lanes_cos(const float* a, const float*, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(std::cos(static_cast<double>(a[i])));
}
void lanes_tan(const float* a, const float*, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(std::tan(static_cast<double>(a[i])));
}
// The interpreter's own fmod (std::fmod on float: exact).
void lanes_fmod(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::fmod(a[i], b[i]);
}

// Taylor coefficients: sin(r) = r + r^3 * sum_i kSin[i] r^(2i), cos(r) = 1 +
// r^2 * sum_i kCos[i] r^(2i), atan(w) = w + w^3 * sum_i kAtan[i] w^(2i).
constexpr int kSinTerms = 7;    // 1/3! .. 1/15!
constexpr int kCosTerms = 8;    // 1/2! .. 1/16!
constexpr int kAtanTerms = 15;  // 1/3 .. 1/31
struct SeriesTables {
  std::array<double, kSinTerms> sin;
  std::array<double, kCosTerms> cos;
  std::array<double, kAtanTerms> atan;
};
const SeriesTables& series_tables() {
  static const SeriesTables t = [] {
    SeriesTables s{};
    double f = 1.0;  // n!
    for (int n = 1; n <= 16; ++n) {
      f *= n;
      const double c = ((n / 2) % 2 == 1 ? -1.0 : 1.0) / f;  // (-1)^floor(n/2) / n!
      if (n >= 3 && n % 2 == 1) s.sin[static_cast<size_t>((n - 3) / 2)] = c;
      if (n >= 2 && n % 2 == 0) s.cos[static_cast<size_t>((n - 2) / 2)] = c;
    }
    for (int i = 0; i < kAtanTerms; ++i) s.atan[static_cast<size_t>(i)] = (i % 2 == 0 ? -1.0 : 1.0) / (2 * i + 3);
    return s;
  }();
  return t;
}

template <size_t N>
Vec horner_d(VecEmitter& e, const Vec& v, const std::array<double, N>& c) {
  Vec p = e.const_f64(c[N - 1]);
  for (size_t i = N - 1; i-- > 0;) p = e.fma(kD, p, v, e.pool_f64(c[i]));
  return p;
}

enum class Trig { kSin, kCos, kTan };

// sin/cos/tan of a float64 x (a widened float32, |x| <= kTrigVectorMax; other
// lanes give garbage the caller replaces).
Vec trig_d(VecEmitter& e, const Vec& x, Trig fn) {
  const SeriesTables& tb = series_tables();
  Vec t = e.fma(kD, e.const_f64(math::kTwoOverPi), x, e.pool_f64(math::kShifter));
  Vec k = e.sub(kD, t, e.pool_f64(math::kShifter));
  Vec r = e.fnma(kD, k, e.pool_f64(math::kPio2C1), x);
  r = e.fnma(kD, k, e.pool_f64(math::kPio2C2), r);
  r = e.fnma(kD, k, e.pool_f64(math::kPio2C3), r);
  Vec r2 = e.mul(kD, r, r);
  Vec s = e.fma(kD, e.mul(kD, r, r2), horner_d(e, r2, tb.sin), r);
  Vec c = e.fma(kD, r2, horner_d(e, r2, tb.cos), e.pool_f64(1.0));
  // t's low mantissa bits hold k (two's complement modulo 4 for negative k).
  // cos(x) = sin(x + pi/2): quadrant k + 1.
  Vec q = fn == Trig::kCos ? e.add_q(t, e.pool_u64(1)) : t;
  // odd: q's bit 0 moved to the sign of 1.0.
  Mask odd = e.cmp(kD, e.bit_or(e.shl_q(q, 63), e.pool_u64(0x3FF0000000000000ull)), e.pool_f64(0.0), Cmp::kLt);
  if (fn == Trig::kTan) {
    // even k: s / c, odd k: -c / s.
    Vec num = e.select(kD, odd, s, e.bit_xor(c, e.pool_u64(kSignBit64)));
    Vec den = e.select(kD, odd, c, s);
    return e.div(kD, num, den);
  }
  Vec sign = e.bit_and(e.shl_q(q, 62), e.pool_u64(kSignBit64));  // q's bit 1
  return e.bit_xor(e.select(kD, odd, s, c), sign);
}

Vec emit_trig_d(VecEmitter& e, const Vec& x, Trig fn) {
  Vec r = per_half(e, x, [&](const Vec& xd) { return trig_d(e, xd, fn); });
  // sin(+-0) = tan(+-0) = +-0 (the reduction's sums give +0).
  if (fn != Trig::kCos) r = e.select(kS, e.cmp(kS, x, e.pool_f32(0.0f), Cmp::kEq), r, x);
  Vec ax_ = e.bit_and(x, e.pool_u32(0x7FFFFFFFu));
  Mask huge = e.cmp(kS, e.const_f32(math::kTrigVectorMax), ax_, Cmp::kLt);  // includes +-inf, not NaN
  LaneFn f = fn == Trig::kSin ? &lanes_sin : fn == Trig::kCos ? &lanes_cos : &lanes_tan;
  return lanes_fallback(e, huge, r, x, x, f);
}

// sin/cos/tan in float32 lanes for |x| < kTrigFastMax (FMA levels; scheme in
// vec_math_coeffs.h). NaN gives NaN; other lanes are the caller's.
Vec trig_f(VecEmitter& e, const Vec& x, Trig fn) {
  Vec t = e.fma(kS, e.const_f32(math::kTwoOverPiF), x, e.pool_f32(math::kShifterF));
  Vec k = e.sub(kS, t, e.pool_f32(math::kShifterF));
  Vec r1 = e.fnma(kS, k, e.pool_f32(math::kPio2F1), x);  // exact
  Vec f2 = e.const_f32(math::kPio2F2);
  Vec p_hi = e.mul(kS, k, f2);
  Vec p_nlo = e.fnma(kS, k, f2, p_hi);  // p_hi - k*F2, exact
  // TwoSum: r_a + err = r1 - p_hi exactly.
  Vec r_a = e.sub(kS, r1, p_hi);
  Vec bb = e.sub(kS, r_a, r1);
  Vec err = e.sub(kS, e.sub(kS, r1, e.sub(kS, r_a, bb)), e.add(kS, p_hi, bb));
  Vec c = e.fnma(kS, k, e.pool_f32(math::kPio2F3), e.add(kS, err, p_nlo));  // r = r_a + c
  Vec r2 = e.mul(kS, r_a, r_a);
  Vec hr2 = e.mul(kS, r2, e.pool_f32(0.5f));
  // sin: r_a + tail.
  Vec sp = e.const_f32(math::kSinF[math::kSinFLen - 1]);
  for (int i = math::kSinFLen - 2; i >= 0; --i) sp = e.fma(kS, sp, r2, e.pool_f32(math::kSinF[i]));
  Vec s_lo = e.fnma(kS, c, hr2, c);                    // c cos(r) ~ c (1 - r^2/2)
  s_lo = e.fma(kS, e.mul(kS, r_a, r2), sp, s_lo);
  // cos: w + tail, w = 1 - r2/2 (its error by Fast2Sum), r2's error, - c r_a.
  Vec cp = e.const_f32(math::kCosF[math::kCosFLen - 1]);
  for (int i = math::kCosFLen - 2; i >= 0; --i) cp = e.fma(kS, cp, r2, e.pool_f32(math::kCosF[i]));
  Vec one = e.const_f32(1.0f);
  Vec w = e.sub(kS, one, hr2);
  Vec w_err = e.sub(kS, e.sub(kS, one, w), hr2);
  Vec r2_nlo = e.fnma(kS, r_a, r_a, r2);                // r2 - r_a^2, exact
  Vec c_lo = e.fma(kS, r2_nlo, e.const_f32(0.5f), w_err);
  c_lo = e.fnma(kS, c, r_a, c_lo);
  c_lo = e.fma(kS, e.mul(kS, r2, r2), cp, c_lo);
  Vec q = fn == Trig::kCos ? e.add_d(t, e.pool_u32(1)) : t;
  // odd: q's bit 0 moved to the sign of 1.0f.
  Mask odd = e.cmp(kS, e.bit_or(e.shl_d(q, 31), e.pool_u32(0x3F800000u)), e.pool_f32(0.0f), Cmp::kLt);
  if (fn == Trig::kTan) {
    // even k: sin / cos, odd k: -cos / sin, on the pairs: r0 = n / d rounded,
    // then r0 + (n_hi + n_lo - r0 d_hi - r0 d_lo) / d.
    Vec sgn = e.const_f32(-0.0f);
    Vec n_hi = e.select(kS, odd, r_a, e.bit_xor(w, sgn));
    Vec n_lo = e.select(kS, odd, s_lo, e.bit_xor(c_lo, sgn));
    Vec d_hi = e.select(kS, odd, w, r_a);
    Vec d_lo = e.select(kS, odd, c_lo, s_lo);
    Vec den = e.add(kS, d_hi, d_lo);
    Vec num = e.add(kS, n_hi, n_lo);
    Vec rq = e.isa() == Isa::kAvx512 ? e.rcp(den) : e.div(kS, one, den);
    Vec r0 = e.mul(kS, num, rq);
    Vec res = e.fnma(kS, r0, d_hi, n_hi);
    res = e.add(kS, res, n_lo);
    res = e.fnma(kS, r0, d_lo, res);
    return e.fma(kS, res, rq, r0);
  }
  Vec hi = e.select(kS, odd, r_a, w);
  Vec lo = e.select(kS, odd, s_lo, c_lo);
  Vec sign = e.bit_and(e.shl_d(q, 30), e.pool_u32(0x80000000u));  // q's bit 1
  return e.bit_xor(e.add(kS, hi, lo), sign);
}

// FMA levels: a vector whose every lane has |x| < kTrigFastMax (NaN too)
// takes trig_f; any other the float64 code, so large arguments give what
// they gave before.
Vec emit_trig(VecEmitter& e, const Vec& x, Trig fn) {
  if (!e.has_fma()) return emit_trig_d(e, x, fn);
  Vec ax_ = e.bit_and(x, e.pool_u32(0x7FFFFFFFu));
  Mask slow = e.cmp(kS, e.const_f32(math::kTrigFastMax), ax_, Cmp::kLe);  // includes +-inf, not NaN
  Vec out = e.copy(x);
  asmjit::Label fast = e.cc().newLabel(), done = e.cc().newLabel();
  e.jump_if_none(slow, fast);
  e.assign(out, emit_trig_d(e, x, fn));
  e.cc().jmp(done);
  e.cc().bind(fast);
  Vec r = trig_f(e, x, fn);
  // sin(+-0) = tan(+-0) = +-0.
  if (fn != Trig::kCos) r = e.select(kS, e.cmp(kS, x, e.pool_f32(0.0f), Cmp::kEq), r, x);
  e.assign(out, r);
  e.cc().bind(done);
  return out;
}

// atan(u) for u >= 0 in float64 (+inf -> pi/2; NaN passes).
Vec atan_d(VecEmitter& e, const Vec& u) {
  Mask big = e.cmp(kD, e.const_f64(1.0), u, Cmp::kLt);  // 1 < u
  Vec v = e.select(kD, big, u, e.div(kD, e.const_f64(1.0), u));
  Mask mid = e.cmp(kD, e.const_f64(math::kTanPi8), v, Cmp::kLt);
  Vec w = e.select(kD, mid, v, e.div(kD, e.sub(kD, v, e.pool_f64(1.0)), e.add(kD, v, e.pool_f64(1.0))));
  Vec w2 = e.mul(kD, w, w);
  Vec p = e.fma(kD, e.mul(kD, w, w2), horner_d(e, w2, series_tables().atan), w);
  p = e.add(kD, p, e.select(kD, mid, e.const_f64(0.0), e.const_f64(math::kPiQuarterD)));
  return e.select(kD, big, p, e.sub(kD, e.const_f64(math::kPiHalfD), p));
}

}  // namespace

Vec emit_sin(VecEmitter& e, const Vec& x) { return emit_trig(e, x, Trig::kSin); }
Vec emit_cos(VecEmitter& e, const Vec& x) { return emit_trig(e, x, Trig::kCos); }
Vec emit_tan(VecEmitter& e, const Vec& x) { return emit_trig(e, x, Trig::kTan); }

Vec emit_atan(VecEmitter& e, const Vec& x) {
  if (e.has_fma()) return f32::atan_f(e, x);
  return per_half(e, x, [&](const Vec& xd) { return e.bit_or(atan_d(e, abs_d(e, xd)), sign_of_d(e, xd)); });
}

// asin(x) = atan(|x| / sqrt(1 - x^2)), sign of x: |x| = 1 -> atan(inf) = pi/2,
// |x| > 1 -> sqrt of a negative: NaN.
Vec emit_asin(VecEmitter& e, const Vec& x) {
  if (e.has_fma()) return f32::asin_f(e, x);
  return per_half(e, x, [&](const Vec& xd) {
    Vec a = abs_d(e, xd);
    Vec den = e.sqrt(kD, e.fnma(kD, a, a, e.pool_f64(1.0)));
    return e.bit_or(atan_d(e, e.div(kD, a, den)), sign_of_d(e, xd));
  });
}

// acos(x) = 2 atan(sqrt((1 - x) / (1 + x))): 1 -> +0, -1 -> pi, |x| > 1 and
// +-inf -> NaN (a negative or NaN quotient).
Vec emit_acos(VecEmitter& e, const Vec& x) {
  if (e.has_fma()) return f32::acos_f(e, x);
  return per_half(e, x, [&](const Vec& xd) {
    Vec one = e.const_f64(1.0);
    Vec u = e.sqrt(kD, e.div(kD, e.sub(kD, one, xd), e.add(kD, xd, e.pool_f64(1.0))));
    Vec r = atan_d(e, u);
    return e.add(kD, r, r);
  });
}

// atan2(y, x): theta = atan(min/max) of |x|, |y| (0/0 -> 0, inf/inf -> 1), then
// pi/2 - theta where |y| > |x|, pi - theta where x has its sign bit set (-0
// included), y's sign OR-ed in; NaN in either -> NaN.
Vec emit_atan2(VecEmitter& e, const Vec& y, const Vec& x) {
  if (e.has_fma()) return f32::atan2_f(e, y, x);
  return per_half2(e, y, x, [&](const Vec& yd, const Vec& xd) {
    Vec ay = abs_d(e, yd), axv = abs_d(e, xd);
    Vec mn = e.min(kD, axv, ay), mx = e.max(kD, axv, ay);
    Vec q = e.div(kD, mn, mx);
    q = e.select(kD, e.cmp(kD, mx, e.pool_f64(0.0), Cmp::kEq), q, e.const_f64(0.0));
    q = e.select(kD, e.cmp(kD, mn, e.pool_f64(kInf), Cmp::kEq), q, e.const_f64(1.0));
    Vec th = atan_d(e, q);
    th = e.select(kD, e.cmp(kD, axv, ay, Cmp::kLt), th, e.sub(kD, e.const_f64(math::kPiHalfD), th));
    Vec xsign1 = e.bit_or(sign_of_d(e, xd), e.pool_f64(1.0));  // copysign(1, x)
    th = e.select(kD, e.cmp(kD, xsign1, e.pool_f64(0.0), Cmp::kLt), th, e.sub(kD, e.const_f64(math::kPiD), th));
    th = e.bit_or(th, sign_of_d(e, yd));
    return e.select(kD, e.cmp(kD, xd, yd, Cmp::kUnord), th, const_bits64(e, kQuietNan64));
  });
}

// sinh(a) = (em + em / (em + 1)) / 2 with em = expm1(a) (a clamped at
// kExpClamp: float32 inf either way), sign of x OR-ed back.
Vec emit_sinh(VecEmitter& e, const Vec& x) {
  return per_half(e, x, [&](const Vec& xd) {
    ExpParts p = exp_parts(e, abs_d(e, xd), -math::kExpClamp, math::kExpClamp);
    Vec em = e.fma(kD, p.scale, p.q, e.sub(kD, p.scale, e.pool_f64(1.0)));
    Vec s = e.add(kD, em, e.div(kD, em, e.add(kD, em, e.pool_f64(1.0))));
    return e.bit_or(e.mul(kD, s, e.pool_f64(0.5)), sign_of_d(e, xd));
  });
}

// cosh(x) = (e + 1/e) / 2, e = exp(|x|).
Vec emit_cosh(VecEmitter& e, const Vec& x) {
  return per_half(e, x, [&](const Vec& xd) {
    Vec ex = exp_d(e, abs_d(e, xd));
    Vec half = e.const_f64(0.5);
    return e.fma(kD, ex, half, e.div(kD, half, ex));
  });
}

// asinh(a) = log1p(a + a^2 / (1 + sqrt(1 + a^2))), sign OR-ed back; +-inf and
// NaN pass through.
Vec emit_asinh(VecEmitter& e, const Vec& x) {
  return per_half(e, x, [&](const Vec& xd) {
    Vec a = abs_d(e, xd);
    Vec a2 = e.mul(kD, a, a);
    Vec v = e.add(kD, a, e.div(kD, a2, e.add(kD, e.sqrt(kD, e.add(kD, a2, e.pool_f64(1.0))), e.pool_f64(1.0))));
    Vec r = e.bit_or(log1p_d(e, v), sign_of_d(e, xd));
    r = e.select(kD, e.cmp(kD, a, e.pool_f64(kInf), Cmp::kEq), r, xd);
    return nan_pass_d(e, xd, r);
  });
}

// acosh(x) = log1p(t + sqrt(t (x + 1))), t = x - 1 (exact); x < 1 -> NaN,
// +inf -> +inf.
Vec emit_acosh(VecEmitter& e, const Vec& x) {
  return per_half(e, x, [&](const Vec& xd) {
    Vec t = e.sub(kD, xd, e.pool_f64(1.0));
    Vec v = e.add(kD, t, e.sqrt(kD, e.mul(kD, t, e.add(kD, xd, e.pool_f64(1.0)))));
    Vec r = log1p_d(e, v);
    r = e.select(kD, e.cmp(kD, xd, e.pool_f64(kInf), Cmp::kEq), r, xd);
    r = e.select(kD, e.cmp(kD, xd, e.pool_f64(1.0), Cmp::kLt), r, const_bits64(e, kQuietNan64));
    return nan_pass_d(e, xd, r);
  });
}

// atanh(a) = log1p(2a / (1 - a)) / 2, sign OR-ed back; |x| = 1 -> +-inf,
// |x| > 1 -> NaN.
Vec emit_atanh(VecEmitter& e, const Vec& x) {
  return per_half(e, x, [&](const Vec& xd) {
    Vec a = abs_d(e, xd);
    Vec v = e.div(kD, e.add(kD, a, a), e.sub(kD, e.const_f64(1.0), a));
    Vec r = e.mul(kD, log1p_d(e, v), e.pool_f64(0.5));
    r = e.select(kD, e.cmp(kD, a, e.pool_f64(1.0), Cmp::kEq), r, e.const_f64(kInf));
    r = e.bit_or(r, sign_of_d(e, xd));
    r = e.select(kD, e.cmp(kD, e.const_f64(1.0), a, Cmp::kLt), r, const_bits64(e, kQuietNan64));
    return nan_pass_d(e, xd, r);
  });
}

// erfc's head uses the first 40 terms of erf's series: for |x| <= 2.5 the
// first omitted one is below 3e-18.
constexpr int kErfcSeriesTerms = 40;
static_assert(kErfcSeriesTerms <= kErfTerms, "erfc's head is a prefix of erf's series");

Vec emit_erfc(VecEmitter& e, const Vec& x) {
  // FMA levels: float32 lanes (vec_math.cpp); SSE4.1: the float64 code below.
  if (e.has_fma()) return f32::erfc_f(e, x);
  const auto& c = erf_coefficients();
  return per_half(e, x, [&](const Vec& xd) {
    // |x| < kErfcTailLo: 1 - erf(x), the series on x clamped to +-kErfcTailLo.
    Vec xs = e.max(kD, e.const_f64(-math::kErfcTailLo), xd);
    xs = e.min(kD, e.const_f64(math::kErfcTailLo), xs);
    Vec x2 = e.mul(kD, xs, xs);
    Vec p = e.const_f64(c[kErfcSeriesTerms - 1]);
    for (int n = kErfcSeriesTerms - 2; n >= 0; --n) p = e.fma(kD, p, x2, e.pool_f64(c[static_cast<size_t>(n)]));
    Vec head = e.fnma(kD, p, xs, e.pool_f64(1.0));
    // |x| >= kErfcTailLo: tail = erfc(|x|) = exp(-x^2) g(1/|x|) / |x|, |x|
    // clamped to [kErfcTailLo, kErfcTailHi]; erfc(x) = 2 - tail for x < 0.
    Vec a = abs_d(e, xd);
    Vec xt = e.max(kD, e.const_f64(math::kErfcTailLo), a);
    xt = e.min(kD, e.const_f64(math::kErfcTailHi), xt);
    Vec t = e.div(kD, e.const_f64(1.0), xt);
    Vec s = e.fma(kD, t, e.const_f64(1.0 / math::kErfcTailHalf), e.pool_f64(-math::kErfcTailMid / math::kErfcTailHalf));
    Vec s2 = e.add(kD, s, s);
    // Clenshaw: b_j = 2s b_{j+1} - b_{j+2} + c_j, g = s b_1 - b_2 + c_0.
    Vec b2 = e.const_f64(math::kErfcTail[math::kErfcTailLen - 1]);
    Vec b1 = e.fma(kD, s2, b2, e.pool_f64(math::kErfcTail[math::kErfcTailLen - 2]));
    for (int j = math::kErfcTailLen - 3; j >= 1; --j) {
      Vec b0 = e.sub(kD, e.fma(kD, s2, b1, e.pool_f64(math::kErfcTail[j])), b2);
      b2 = b1;
      b1 = b0;
    }
    Vec g = e.sub(kD, e.fma(kD, s, b1, e.pool_f64(math::kErfcTail[0])), b2);
    Vec ex = exp_d(e, e.bit_xor(e.mul(kD, xt, xt), e.pool_u64(kSignBit64)));
    Vec tail = e.mul(kD, e.mul(kD, ex, g), t);
    tail = e.select(kD, e.cmp(kD, xd, e.pool_f64(0.0), Cmp::kLt), tail, e.sub(kD, e.const_f64(2.0), tail));
    Vec r = e.select(kD, e.cmp(kD, e.const_f64(math::kErfcTailLo), a, Cmp::kLe), head, tail);
    return nan_pass_d(e, xd, r);
  });
}

// ---- fmod, remainder, floor_divide (exact) -----------------------------------

namespace {

// fmod(a, b) of widened float32 values, exact where trunc(|a| / |b|) < 2^28:
// q = trunc(fl(|a| / |b|)) is floor(Q) or floor(Q) + 1 (Q the exact quotient),
// q * |b| has at most 28 + 24 bits (exact), |a| - q*|b| is a multiple of the
// smaller of the two float32 ULPs below |b| (exact), and one + |b| fixes q one
// too big. Sign of a; b == 0 or a = +-inf -> NaN; b = +-inf -> a.
Vec fmod_d(VecEmitter& e, const Vec& a, const Vec& b) {
  Vec aa = abs_d(e, a), ab = abs_d(e, b);
  Vec q = e.round(kD, e.div(kD, aa, ab), 3);
  Vec r = e.fnma(kD, q, ab, aa);
  r = e.select(kD, e.cmp(kD, r, e.pool_f64(0.0), Cmp::kLt), r, e.add(kD, r, ab));
  r = e.bit_or(r, sign_of_d(e, a));
  Vec inf = e.const_f64(kInf);
  r = e.select(kD, e.cmp(kD, ab, inf, Cmp::kEq), r, a);
  Vec qnan = const_bits64(e, kQuietNan64);
  r = e.select(kD, e.cmp(kD, aa, inf, Cmp::kEq), r, qnan);
  r = e.select(kD, e.cmp(kD, ab, e.pool_f64(0.0), Cmp::kEq), r, qnan);
  return e.select(kD, e.cmp(kD, a, b, Cmp::kUnord), r, qnan);
}

}  // namespace

Vec emit_fmod(VecEmitter& e, const Vec& a, const Vec& b) {
  Vec r = per_half2(e, a, b, [&](const Vec& ad, const Vec& bd) { return fmod_d(e, ad, bd); });
  // Lanes whose float64 quotient may reach 2^28 (|a| / |b| >= 2^27 in float32,
  // overflow to inf included) with finite a and nonzero b: std::fmod per lane.
  Vec aa = e.bit_and(a, e.pool_u32(0x7FFFFFFFu));
  Vec ab = e.bit_and(b, e.pool_u32(0x7FFFFFFFu));
  Mask big = e.cmp(kS, e.const_f32(0x1p27f), e.div(kS, aa, ab), Cmp::kLe);
  Mask fin = e.cmp(kS, aa, e.pool_u32(0x7F800000u), Cmp::kLt);
  Mask nonzero = e.cmp(kS, e.const_f32(0.0f), ab, Cmp::kLt);
  return lanes_fallback(e, e.mask_and(e.mask_and(big, fin), nonzero), r, a, b, &lanes_fmod);
}

namespace {
// (b < 0) != (mod < 0) with mod != 0: (mod < 0 and not b < 0) or (mod > 0 and b < 0).
Mask signs_differ(VecEmitter& e, const Vec& mod, const Vec& b) {
  Vec zero = e.const_f32(0.0f);
  Mask b_neg = e.cmp(kS, b, zero, Cmp::kLt);
  Mask m_neg = e.cmp(kS, mod, zero, Cmp::kLt);
  Mask m_pos = e.cmp(kS, zero, mod, Cmp::kLt);
  return e.mask_or(e.mask_andnot(b_neg, m_neg), e.mask_and(m_pos, b_neg));
}
}  // namespace

// mod = fmod(a, b); mod + b where mod != 0 and its sign differs from b's.
Vec emit_remainder(VecEmitter& e, const Vec& a, const Vec& b) {
  Vec mod = emit_fmod(e, a, b);
  return e.select(kS, signs_differ(e, mod, b), mod, e.add(kS, mod, b));
}

// The interpreter's (ATen's div_floor_floating) float32 sequence:
//   b == 0: a / b; mod = fmod(a, b); div = (a - mod) / b, minus 1 where mod's
//   sign differs from b's; div == 0: copysign(0, a / b); else floor(div), plus
//   1 where div - floor(div) > 0.5.
Vec emit_floor_divide(VecEmitter& e, const Vec& a, const Vec& b) {
  Vec mod = emit_fmod(e, a, b);
  Vec div = e.div(kS, e.sub(kS, a, mod), b);
  div = e.select(kS, signs_differ(e, mod, b), div, e.sub(kS, div, e.pool_f32(1.0f)));
  Vec fl = e.round(kS, div, 1);
  fl = e.select(kS, e.cmp(kS, e.const_f32(0.5f), e.sub(kS, div, fl), Cmp::kLt), fl, e.add(kS, fl, e.pool_f32(1.0f)));
  Vec quot = e.div(kS, a, b);
  Vec zero = e.const_f32(0.0f);
  Vec r = e.select(kS, e.cmp(kS, div, zero, Cmp::kEq), fl, e.bit_and(quot, e.pool_u32(0x80000000u)));
  return e.select(kS, e.cmp(kS, b, zero, Cmp::kEq), r, quot);
}

}  // namespace fuze::x86
