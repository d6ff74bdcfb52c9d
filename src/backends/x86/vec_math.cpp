// Inline vector math (see kernels/math/vec_math_coeffs.h for the schemes and
// error budgets): exp, tanh and sigmoid in float32 lanes with fitted
// polynomials; at the FMA levels (avx2, avx512) also erf, log1p, log, log2,
// log10, softplus and erfc (<= 1.32 ULP); exp2, expm1, mish (and the log
// family, erf, log1p and softplus at SSE4.1) widen each half of the vector to
// float64, evaluate with relative error < 2^-38, and narrow once. pow:
// vec_math_pow.cpp.
#include "backends/x86/vec_math.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <utility>

#include "backends/x86/vec_math_f32.h"
#include "backends/x86/vec_math_f64.h"
#include "kernels/math/vec_math_coeffs.h"

namespace fuze::x86 {

using namespace f64;  // the shared float64 helpers (vec_math_f64.h)

// y -> (expm1(r), 2^k) with y = k*ln2 + r; y clamped to [-clamp, clamp]
// (NaN passes: max/min return their second operand when one is NaN).
ExpParts f64::exp_parts(VecEmitter& e, const Vec& y_in, double lo_clamp, double hi_clamp) {
  Vec y = e.max(kD, e.const_f64(lo_clamp), y_in);
  y = e.min(kD, e.const_f64(hi_clamp), y);
  Vec t = e.fma(kD, y, e.const_f64(math::kLog2e), e.pool_f64(math::kShifter));
  Vec kd = e.sub(kD, t, e.pool_f64(math::kShifter));
  Vec r = e.fnma(kD, kd, e.const_f64(math::kLn2), y);
  Vec p = e.const_f64(math::kExpm1Poly[math::kExpm1PolyLen - 1]);
  for (int i = math::kExpm1PolyLen - 2; i >= 0; --i) p = e.fma(kD, p, r, e.pool_f64(math::kExpm1Poly[i]));
  ExpParts out;
  out.q = e.mul(kD, p, r);
  // t's low mantissa bits hold 2^51 + k; adding 1023 and shifting by 52
  // leaves k + 1023 in the exponent field (|k| <= 289: always normal).
  out.scale = e.shl_q(e.add_q(t, e.pool_u64(1023)), 52);
  return out;
}

Vec f64::exp_d(VecEmitter& e, const Vec& y) {
  ExpParts p = exp_parts(e, y, -math::kExpClamp, math::kExpClamp);
  return e.fma(kD, p.scale, p.q, p.scale);
}

namespace {

// log(x) = ed*ln2 + logm for positive finite x (other inputs give garbage
// the callers replace): ed exact (an integer), logm = log(m), |logm| < 0.35.
struct LogParts {
  Vec ed;
  Vec logm;
};

LogParts log_parts(VecEmitter& e, const Vec& x) {
  Vec ex = e.shr_q(x, 52);
  Vec ed = e.sub(kD, e.bit_or(ex, e.pool_u64(0x4330000000000000ull)), e.pool_f64(4503599627370496.0 + 1023.0));
  Vec m = e.bit_or(e.bit_and(x, e.pool_u64(0x000FFFFFFFFFFFFFull)), e.pool_u64(0x3FF0000000000000ull));
  Mask big = e.cmp(kD, e.const_f64(math::kSqrt2), m, Cmp::kLt);  // sqrt2 < m
  m = e.select(kD, big, m, e.mul(kD, m, e.pool_f64(0.5)));
  ed = e.select(kD, big, ed, e.add(kD, ed, e.pool_f64(1.0)));
  Vec s = e.div(kD, e.sub(kD, m, e.pool_f64(1.0)), e.add(kD, m, e.pool_f64(1.0)));
  Vec s2 = e.mul(kD, s, s);
  Vec p = e.const_f64(math::kLogPoly[math::kLogPolyLen - 1]);
  for (int i = math::kLogPolyLen - 2; i >= 0; --i) p = e.fma(kD, p, s2, e.pool_f64(math::kLogPoly[i]));
  p = e.mul(kD, p, s2);
  LogParts out;
  out.logm = e.fma(kD, s, p, e.add(kD, s, s));
  out.ed = ed;
  return out;
}

}  // namespace

Vec f64::log_d(VecEmitter& e, const Vec& x) {
  LogParts lp = log_parts(e, x);
  return e.fma(kD, lp.ed, e.const_f64(math::kLn2), lp.logm);
}

// log1p(u) for u >= 0 (or > -1): log(w) * (u / (w - 1)) with w = 1 + u
// rounded (the quotient corrects w's rounding error; w - 1 is exact), u where
// w == 1. Other inputs: see emit_log1p.
Vec f64::log1p_d(VecEmitter& e, const Vec& u) {
  Vec w = e.add(kD, u, e.pool_f64(1.0));
  Vec d = e.sub(kD, w, e.pool_f64(1.0));
  Vec r = e.mul(kD, log_d(e, w), e.div(kD, u, d));
  return e.select(kD, e.cmp(kD, d, e.pool_f64(0.0), Cmp::kEq), r, u);
}

namespace {

// ---- float32 domain ---------------------------------------------------------

// The shared exp core for a y already clamped so that |k| <= 150: t holds
// shifter + k (k = rint(y * log2e)), k the same integer as a float, p = e^r - 1
// with y = k*ln2 + r.
struct ExpCoreF {
  Vec t;
  Vec k;
  Vec p;
};

ExpCoreF exp_core_f(VecEmitter& e, const Vec& y) {
  ExpCoreF out;
  // The FMA overwrites its first operand: a fresh constant register (y lives on).
  out.t = e.fma(kS, e.const_f32(math::kLog2eF), y, e.pool_f32(math::kShifterF));
  out.k = e.sub(kS, out.t, e.pool_f32(math::kShifterF));
  Vec r = e.fnma(kS, out.k, e.pool_f32(math::kLn2HiF), y);
  r = e.fnma(kS, out.k, e.pool_f32(math::kLn2LoF), r);
  Vec r2 = e.mul(kS, r, r);
  Vec q = e.const_f32(math::kExpQ[math::kExpQLen - 1]);
  for (int i = math::kExpQLen - 2; i >= 0; --i) q = e.fma(kS, q, r, e.pool_f32(math::kExpQ[i]));
  out.p = e.fma(kS, r2, q, r);
  return out;
}

// 2^(k + bias) as a float from t = shifter + k: (t << 23) leaves k in the
// exponent field (the shifter's low 9 bits are zero), plus the biased exponent.
Vec pow2_from_t(VecEmitter& e, const Vec& t, int bias) {
  return e.add_d(e.shl_d(t, 23), e.pool_u32(static_cast<uint32_t>(127 + bias) << 23));
}

// 1/den for the residual-corrected quotients below (FMA levels only, den
// in [1, 2^126)): AVX-512 vrcp14ps (relative error < 2^-14, squared away by
// the residual step); AVX2 a division (correctly rounded): on the Zen 4
// machine a ymm vdivps measured cheaper than vrcpps plus the Newton step its
// 2^-11.4 would need (kernel_cost lstm at avx2, n = 16384: 3.63 ns/element
// with the divisions, 3.78 with rcpps + Newton).
Vec recip_f(VecEmitter& e, const Vec& den) {
  if (e.isa() == Isa::kAvx512) return e.rcp(den);
  return e.div(kS, e.const_f32(1.0f), den);
}

// num / (den + den_lo) for an exact sum den + den_lo (|den_lo| <= half an ULP
// of den) and q ~ 1/den with relative error d: r0 = num*q, then one residual
// correction r0 + (num - r0*den - r0*den_lo) * q, the residual by FMAs (exact
// up to ~2^-24 of itself). Error: the final rounding plus ~d^2 relative, so
// 0.5 ULP + 2^-28 for AVX-512's d = 2^-14.
Vec div_corrected(VecEmitter& e, const Vec& num, const Vec& den, const Vec& den_lo, const Vec& q) {
  Vec r0 = e.mul(kS, num, q);
  Vec res = e.fnma(kS, r0, den, num);
  res = e.fnma(kS, r0, den_lo, res);
  return e.fma(kS, res, q, r0);
}

// exp_core_f for the FMA levels' tanh and sigmoid: the same reduction and
// kExpQ, Q(r) evaluated by Estrin, (q0 + q1 r) + r^2 ((q2 + q3 r) + r^2 q4)
// (as many FMAs as Horner, 3 dependent steps instead of 4).
//   kPlain: e^y, two-step Cody-Waite reduction as in exp_core_f.
//   kHalf:  e^{2x} from x with one-step r = 2x - k*kLn2F (the caller damps
//           its k*1.9e-9 error), everything on rh = r/2 (exact power-of-two
//           scalings of exp_core_f's values and constants), p/2 returned.
enum class ExpArg { kPlain, kHalf };
ExpCoreF exp_core_fast(VecEmitter& e, const Vec& x, ExpArg arg) {
  static_assert(math::kExpQLen == 5, "Estrin layout below is for 5 coefficients");
  const bool half = arg == ExpArg::kHalf;
  // Q's coefficients in the evaluation variable v (r or rh = r/2).
  float c[math::kExpQLen];
  for (int i = 0; i < math::kExpQLen; ++i) c[i] = half ? std::ldexp(math::kExpQ[i], i + 1) : math::kExpQ[i];
  ExpCoreF out;
  out.t = e.fma(kS, e.const_f32(half ? 2.0f * math::kLog2eF : math::kLog2eF), x, e.pool_f32(math::kShifterF));
  out.k = e.sub(kS, out.t, e.pool_f32(math::kShifterF));
  Vec v;
  if (half) {
    v = e.fnma(kS, out.k, e.pool_f32(0.5f * math::kLn2F), x);
  } else {
    v = e.fnma(kS, out.k, e.pool_f32(math::kLn2HiF), x);
    v = e.fnma(kS, out.k, e.pool_f32(math::kLn2LoF), v);
  }
  Vec v2 = e.mul(kS, v, v);
  Vec lo = e.fma(kS, e.const_f32(c[1]), v, e.pool_f32(c[0]));
  Vec hi = e.fma(kS, e.const_f32(c[3]), v, e.pool_f32(c[2]));
  hi = e.fma(kS, e.const_f32(c[4]), v2, hi);
  Vec q = e.fma(kS, hi, v2, lo);
  out.p = e.fma(kS, v2, q, v);
  return out;
}
}  // namespace

namespace {
// exp(y) for y in [kExpLo, kExpHi] (or NaN).
Vec exp_scaled(VecEmitter& e, const Vec& y) {
  ExpCoreF c = exp_core_f(e, y);
  // k = t - shifter as an integer, split k = k1 + k2 with k1 = floor(k/2):
  // both 2^k1 and 2^k2 are normal for k in [-150, 128].
  Vec ki = e.sub_d(c.t, e.pool_u32(math::kShifterBits));
  Vec k1 = e.sra_d(ki, 1);
  Vec k2 = e.sub_d(ki, k1);
  Vec s1 = e.shl_d(e.add_d(k1, e.pool_u32(127)), 23);
  Vec s2 = e.shl_d(e.add_d(k2, e.pool_u32(127)), 23);
  return e.mul(kS, e.fma(kS, c.p, s1, s1), s2);
}
// e^-87 > 2^-126: exp of x at or above it is normal, and so is every step.
constexpr float kExpNormalLo = -87.0f;
}  // namespace

// Lanes below kExpLo give +0 (-inf too); lanes in [kExpLo, kExpNormalLo)
// have denormal results, whose last multiply is slow on some CPUs (Zen 4:
// a -1e9 attention mask made a fused masked softmax 1.6x slower): they are
// computed only when a vector has such a lane, the others from the input
// clamped at kExpNormalLo. Every lane's bits are what clamping at kExpLo
// alone gives.
Vec emit_exp(VecEmitter& e, const Vec& x) {
  // max/min return their second operand when either is NaN: NaN passes.
  Vec y = e.max(kS, e.const_f32(kExpNormalLo), x);
  y = e.min(kS, e.const_f32(math::kExpHi), y);
  Vec out = exp_scaled(e, y);
  Mask tiny = e.cmp(kS, x, e.pool_f32(kExpNormalLo), Cmp::kLt);  // false for NaN
  asmjit::Label done = e.cc().newLabel();
  e.jump_if_none(tiny, done);
  Mask under = e.cmp(kS, x, e.pool_f32(math::kExpLo), Cmp::kLt);
  e.assign(out, e.zero_where(under, out));
  Mask sub = e.mask_andnot(under, tiny);
  e.jump_if_none(sub, done);
  e.assign(out, e.select(kS, sub, out, exp_scaled(e, e.max(kS, e.const_f32(math::kExpLo), x))));
  e.cc().bind(done);
  return out;
}

namespace {
// SSE4.1 (no FMA): a < kTanhSmall: a + a * (s * P(s)), s = a^2; otherwise
// 1 - 2 / (e^{2a} + 1), e^{2a} + 1 = 2^k * p + (2^k + 1) (2^k + 1 exact for the
// k that matter), one division.
Vec tanh_two_path(VecEmitter& e, const Vec& x) {
  Vec a = e.bit_and(x, e.pool_u32(0x7FFFFFFFu));
  Vec s = e.mul(kS, a, a);
  Vec q = e.const_f32(math::kTanhP[math::kTanhPLen - 1]);
  for (int i = math::kTanhPLen - 2; i >= 0; --i) q = e.fma(kS, q, s, e.pool_f32(math::kTanhP[i]));
  Vec small = e.fma(kS, e.mul(kS, q, s), a, a);
  Vec ac = e.min(kS, e.const_f32(math::kTanhClampA), a);  // NaN passes
  Vec y = e.add(kS, ac, ac);
  ExpCoreF c = exp_core_f(e, y);
  Vec sc = pow2_from_t(e, c.t, 0);
  Vec den = e.fma(kS, sc, c.p, e.add(kS, sc, e.pool_f32(1.0f)));
  Vec large = e.sub(kS, e.const_f32(1.0f), e.div(kS, e.const_f32(2.0f), den));
  Vec r = e.select(kS, e.cmp(kS, a, e.pool_f32(math::kTanhSmall), Cmp::kLt), large, small);
  return e.bit_or(r, e.bit_and(x, e.pool_u32(0x80000000u)));
}
}  // namespace

// FMA levels: one path for every a = |x|, tanh(a) = em / (em + 2) with
// em = e^{2a} - 1 = 2^k * p + (2^k - 1) in one rounding (2a clamped to
// 2*kTanhClampA, where tanh is 1.0f; 2^k - 1 exact for k <= 24; for k = 0
// em = p, relative to a). den = em + 2 is held exactly as den + den_lo
// (den_lo = em - (den - 2): both steps exact for em < 2^24, beyond that tanh
// is 1 - 2^-24 or 1 either way), and the quotient gets one residual correction
// (div_corrected), so the only errors are em's (scaled by 2 / (em + 2) <= 1)
// and the final rounding. Sign of x OR-ed back (tanh(-0) = -0).
Vec emit_tanh(VecEmitter& e, const Vec& x) {
  if (!e.has_fma()) return tanh_two_path(e, x);
  Vec a = e.bit_and(x, e.pool_u32(0x7FFFFFFFu));
  Vec ac = e.min(kS, e.const_f32(math::kTanhClampA), a);  // NaN passes
  // One-step reduction of 2a: the error k*(ln2 - kLn2F) in r moves tanh by
  // k*2.7e-9 / sinh(2a) relative (< 3e-9 for every k, 0.05 ULP). ph = p/2, so
  // em = (2*2^k) * ph + (2^k - 1).
  ExpCoreF c = exp_core_fast(e, ac, ExpArg::kHalf);
  Vec sc2 = pow2_from_t(e, c.t, 1);
  Vec em = e.fma(kS, sc2, c.p, e.fma(kS, sc2, e.const_f32(0.5f), e.pool_f32(-1.0f)));
  Vec den = e.add(kS, em, e.pool_f32(2.0f));
  Vec den_lo = e.sub(kS, em, e.sub(kS, den, e.pool_f32(2.0f)));
  Vec r = div_corrected(e, em, den, den_lo, recip_f(e, den));
  return e.or_and(r, x, e.pool_u32(0x80000000u));
}

// 1 / (1 + e^-x) = 0.5 / den, den = 2^(k-1) * (1 + p) + 0.5 with -x = k*ln2 + r;
// +0 where the interpreter's float32 exp(-x) overflows (x <= kSigmoidZeroBelowF).
// den is held exactly as sc*p + c + c_err (c = sc + 0.5 rounded, c_err its
// rounding error by Fast2Sum on max/min), and the quotient r0 = 0.5 / den
// gets one residual correction r0 + (0.5 - r0*den) * (1/den), the residual
// evaluated with FMAs: about 0.5 ULP where the plain quotient has up to 2.4.
namespace {
// sigmoid's denominator for x: den = sc*p + cs, held exactly as sc*p + cs + c_err.
struct SigmoidDen {
  ExpCoreF c;
  Vec sc, cs, c_err, den;
};
SigmoidDen sigmoid_den(VecEmitter& e, const Vec& x) {
  Vec y = e.bit_xor(x, e.pool_u32(0x80000000u));
  y = e.max(kS, e.const_f32(math::kSigmoidLo), y);
  y = e.min(kS, e.const_f32(math::kSigmoidHi), y);
  SigmoidDen d{exp_core_f(e, y), {}, {}, {}, {}};
  d.sc = pow2_from_t(e, d.c.t, -1);
  Vec half = e.const_f32(0.5f);
  d.cs = e.add(kS, d.sc, half);
  Vec big = e.max(kS, d.sc, half);
  Vec little = e.min(kS, d.sc, half);
  d.c_err = e.sub(kS, little, e.sub(kS, d.cs, big));
  d.den = e.fma(kS, d.sc, d.c.p, d.cs);
  return d;
}
// num - r0 * den, evaluated exactly enough with FMAs (den as above).
Vec sigmoid_residual(VecEmitter& e, const SigmoidDen& d, const Vec& num, const Vec& r0) {
  Vec res = e.fnma(kS, d.cs, r0, num);                   // num - r0*c
  res = e.fnma(kS, e.mul(kS, r0, d.sc), d.c.p, res);     // - r0*sc*p
  return e.fnma(kS, d.c_err, r0, res);                   // - r0*c_err
}
}  // namespace

// FMA levels: sigmoid's scheme above with recip_f's 1/den (vrcp14ps at
// AVX-512) and 1/8 for the 1/2: 0.125 / den, den = 2^(k-3) * (1 + p) + 0.125
// < 2^126 (so 1/den stays normal even where the result is a denormal), held
// exactly as sc*p + cs + c_err with cs = sc + 0.125
// rounded and c_err = 0.125 - (cs - sc): Fast2Sum for sc >= 0.125 (k >= 0);
// for k < 0, cs is exact down to k = -23 and c_err comes out 0 (at k = -24
// .. -26, y near kSigmoidLo, it misses at most 2^-27 of den, 1/4 ULP of a
// result just below 1). r0 = 0.125 q, then r0 + (0.125 - r0*den) * q with
// the residual by FMAs (sigmoid_residual): the final rounding plus what the
// residual's roundings leave (~0.3 ULP at most). +0 for x <= kSigmoidZeroBelow
// as the interpreter (NaN kept). SSE4.1: 0.5 / den by a division.
Vec emit_sigmoid(VecEmitter& e, const Vec& x) {
  Mask live = e.cmp(kS, x, e.pool_f32(math::kSigmoidZeroBelowF), Cmp::kNle);
  if (!e.has_fma()) {
    SigmoidDen d = sigmoid_den(e, x);
    Vec half = e.const_f32(0.5f);
    Vec r0 = e.div(kS, half, d.den);
    Vec res = sigmoid_residual(e, d, half, r0);
    Vec r = e.fma(kS, res, e.add(kS, r0, r0), r0);   // r0 + res / den
    return e.keep_where(live, r);
  }
  // y = -x (a NaN comes out with its sign flipped, as the interpreter's
  // 1 / (1 + exp(-x)) and the SSE4.1 code) clamped below at kSigmoidLo; no
  // clamp above: for x <= kSigmoidZeroBelow (where k would pass 128) the
  // result is masked to +0.
  Vec y = e.max(kS, e.const_f32(math::kSigmoidLo), e.bit_xor(x, e.pool_u32(0x80000000u)));
  SigmoidDen d{exp_core_fast(e, y, ExpArg::kPlain), {}, {}, {}, {}};
  d.sc = pow2_from_t(e, d.c.t, -3);
  Vec eighth = e.const_f32(0.125f);
  d.cs = e.add(kS, d.sc, eighth);
  d.c_err = e.sub(kS, eighth, e.sub(kS, d.cs, d.sc));
  d.den = e.fma(kS, d.sc, d.c.p, d.cs);
  Vec q = recip_f(e, d.den);
  Vec r0 = e.mul(kS, q, eighth);
  Vec r = e.fma(kS, sigmoid_residual(e, d, eighth, r0), q, r0);
  return e.keep_where(live, r);
}

// silu(x) = x / (1 + e^-x) = (x/2) / den with sigmoid's den. With FMA:
// r0 = (x/2) * (1/den), then one Newton step r0 + res * (1/den) with the
// residual res = x/2 - r0*den evaluated exactly as in sigmoid (1/den may be
// a float32 denormal for x near -88: r0 is then coarse, the step repairs it;
// sigmoid's own quotient would be denormal there). SSE4.1 (no FMA to see the residual): in float64 halves. Then the
// interpreter's float32 cases: -0 where exp(-x) overflows (x <= -88.72),
// NaN for -inf (-inf / inf), +inf for +inf.
Vec emit_silu(VecEmitter& e, const Vec& x) {
  Vec r;
  if (e.has_fma()) {
    SigmoidDen d = sigmoid_den(e, x);
    Vec n = e.mul(kS, x, e.const_f32(0.5f));  // rounds like the interpreter's x / 2 for denormal x (den = 1)
    // AVX-512: vrcp14ps (2^-14; the residual step squares it away, denormal
    // 1/den kept); AVX2's vrcpps would flush 1/den below 2^-126: a division.
    Vec q = e.isa() == Isa::kAvx512 ? e.rcp(d.den) : e.div(kS, e.const_f32(1.0f), d.den);
    Vec r0 = e.mul(kS, n, q);
    r = e.fma(kS, sigmoid_residual(e, d, n, r0), q, r0);  // r0 + res / den
  } else {
    r = per_half(e, x, [&](const Vec& xd) {
      Vec em = exp_d(e, e.bit_xor(xd, e.pool_u64(kSignBit64)));
      return e.div(kD, xd, e.add(kD, em, e.pool_f64(1.0)));
    });
  }
  r = e.zero_where(e.cmp(kS, x, e.pool_f32(math::kSigmoidZeroBelowF), Cmp::kLe), r);
  r = e.bit_or(r, e.bit_and(x, e.pool_u32(0x80000000u)));
  r = e.select(kS, e.cmp(kS, x, e.pool_u32(0x7F800000u), Cmp::kEq), r, x);
  return e.select(kS, e.cmp(kS, x, e.pool_u32(0xFF800000u), Cmp::kEq), r, e.load_aligned(e.pool_u32(0x7FC00000u)));
}

// elu(x, alpha) = x <= 0 ? (exp(x) - 1) * alpha : x, the interpreter's float32
// operations around this exp (as eager 1.13: exp - 1, not expm1).
// A vector with no lane <= 0 (nor NaN's: those pass as x) skips the exp, as
// ATen's vectorized elu does: x is the result either way.
Vec emit_elu(VecEmitter& e, const Vec& x, const Vec& alpha) {
  Mask neg = e.cmp(kS, x, e.pool_f32(0.0f), Cmp::kLe);
  Vec out = e.copy(x);
  asmjit::Label done = e.cc().newLabel();
  e.jump_if_none(neg, done);
  Vec r = e.mul(kS, e.sub(kS, emit_exp(e, x), e.pool_f32(1.0f)), alpha);
  e.assign(out, e.select(kS, neg, x, r));
  e.cc().bind(done);
  return out;
}

// gelu(approximate='tanh') = 0.5 x (1 + tanh(beta (x + kappa x^3))), the
// interpreter's float32 operations in its order around this tanh.
Vec emit_gelu_tanh(VecEmitter& e, const Vec& x) {
  const float beta = static_cast<float>(M_SQRT2 * M_2_SQRTPI * 0.5);
  const float kappa = static_cast<float>(0.044715);
  Vec x3 = e.mul(kS, e.mul(kS, x, x), x);
  Vec inner = e.mul(kS, e.const_f32(beta), e.add(kS, x, e.mul(kS, e.const_f32(kappa), x3)));
  Vec t = emit_tanh(e, inner);
  return e.mul(kS, e.mul(kS, e.const_f32(0.5f), x), e.add(kS, e.const_f32(1.0f), t));
}

// ---- float64 domain ---------------------------------------------------------

namespace {

// The log family's special cases on top of r = f(v): v == 0 -> -inf,
// v < 0 -> NaN, v == +inf -> +inf, NaN v -> v.
Vec log_specials(VecEmitter& e, const Vec& v, Vec r) {
  Vec zero = e.const_f64(0.0);
  r = e.select(kD, e.cmp(kD, v, zero, Cmp::kEq), r, e.const_f64(-kInf));
  r = e.select(kD, e.cmp(kD, v, zero, Cmp::kLt), r, const_bits64(e, kQuietNan64));
  Vec inf = e.const_f64(kInf);
  r = e.select(kD, e.cmp(kD, v, inf, Cmp::kEq), r, inf);
  return e.select(kD, e.cmp(kD, v, v, Cmp::kUnord), r, v);
}

}  // namespace

// log, log2 and log10 at the FMA levels in float32 lanes (scheme in
// vec_math_coeffs.h, next to kLog1pQ): x = 2^e m, m in [sqrt(1/2), sqrt(2)),
// f = m - 1 exact, log(m) = f + f^2 Q(f) (log1p's polynomial), the e term and
// the leading product carried as a Fast2Sum pair hi + lo, rounded once.
namespace {
enum class LogBase { kE, k2, k10 };

// u = 2^e m with m in [sqrt(1/2), sqrt(2)) for a positive normal u (other
// lanes: garbage the callers replace): k = e << 23, m, e as a float, f = m - 1
// (exact) and Q(f) of log1p's polynomial, log(m) = f + f^2 Q(f).
struct LogSplitF {
  Vec k, m, ef, f, q;
};
LogSplitF log_split_f(VecEmitter& e, const Vec& u) {
  LogSplitF s;
  s.k = e.bit_and(e.sub_d(u, e.pool_u32(0x3F3504F3u)), e.pool_u32(0xFF800000u));
  s.m = e.sub_d(u, s.k);
  s.ef = e.sub(kS, e.add_d(e.sra_d(s.k, 23), e.pool_u32(math::kShifterBits)), e.pool_f32(math::kShifterF));
  s.f = e.sub(kS, s.m, e.pool_f32(1.0f));
  s.q = e.const_f32(math::kLog1pQ[math::kLog1pQLen - 1]);
  for (int i = math::kLog1pQLen - 2; i >= 0; --i) s.q = e.fma(kS, s.q, s.f, e.pool_f32(math::kLog1pQ[i]));
  return s;
}

// hi + err = ef*ln2hi + f exactly (ef*ln2hi is exact; Fast2Sum: |ef ln2hi| >=
// |f| unless ef = 0).
std::pair<Vec, Vec> ln2_f_pair(VecEmitter& e, const Vec& ef, const Vec& f) {
  Vec hi = e.fma(kS, ef, e.const_f32(math::kLn2HiF), f);
  Vec err = e.sub(kS, f, e.fnma(kS, ef, e.pool_f32(math::kLn2HiF), hi));
  return {hi, err};
}

Vec log_f(VecEmitter& e, const Vec& x, LogBase base) {
  // Denormal x (and garbage lanes <= 0, replaced below): x 2^23, exact, e - 23.
  Mask sub = e.cmp(kS, x, e.pool_f32(0x1p-126f), Cmp::kLt);
  Vec xs = e.select(kS, sub, x, e.mul(kS, x, e.pool_f32(0x1p23f)));
  LogSplitF ls = log_split_f(e, xs);
  const Vec ef = e.select(kS, sub, ls.ef, e.sub(kS, ls.ef, e.pool_f32(23.0f)));
  const Vec& f = ls.f;
  const Vec& q = ls.q;
  // log(m) = f + f^2 Q(f): the f^2 Q term is folded into lo by the last FMA.
  Vec hi, lo;
  if (base == LogBase::kE) {
    Vec err;
    std::tie(hi, err) = ln2_f_pair(e, ef, f);
    lo = e.fma(kS, ef, e.const_f32(math::kLn2LoF), err);
    lo = e.fma(kS, e.mul(kS, f, f), q, lo);
  } else {
    // base 2: eb = e (exact), c = log2(e); base 10: eb = e*log10(2)hi (exact:
    // 16 and 8 significant bits), c = log10(e). nph = -f*chi rounded,
    // pl = f*chi - ph exactly (FMA); hi - errn = eb + ph exactly (Fast2Sum:
    // |eb| >= 0.3 > |ph| unless e = 0); lo = pl - errn + e*log10(2)lo + f*clo
    // + (f (f c)) Q, f (f c) = f ph + f pl rounded once.
    const bool b2 = base == LogBase::k2;
    const float chi = b2 ? math::kLog2eHiF : math::kLog10eHiF;
    const float clo = b2 ? math::kLog2eLoF : math::kLog10eLoF;
    Vec eb = b2 ? ef : e.mul(kS, ef, e.pool_f32(math::kLog10Of2HiF));
    Vec nph = e.mul(kS, f, e.pool_f32(-chi));
    Vec pl = e.fma(kS, f, e.const_f32(chi), nph);
    hi = e.sub(kS, eb, nph);
    Vec errn = e.add(kS, nph, e.sub(kS, hi, eb));
    lo = e.sub(kS, pl, errn);
    if (!b2) lo = e.fma(kS, ef, e.const_f32(math::kLog10Of2LoF), lo);
    lo = e.fma(kS, f, e.const_f32(clo), lo);
    Vec ffc = e.fnma(kS, f, nph, e.mul(kS, f, pl));
    lo = e.fma(kS, ffc, q, lo);
  }
  Vec r = e.add(kS, hi, lo);
  // +inf and NaN: x itself; +-0: -inf; below 0: NaN.
  r = e.select(kS, e.cmp(kS, x, e.pool_f32(3.40282347e38f), Cmp::kNle), r, x);
  r = e.select(kS, e.cmp(kS, x, e.pool_f32(0.0f), Cmp::kEq), r, e.const_f32(-std::numeric_limits<float>::infinity()));
  return e.select(kS, e.cmp(kS, x, e.pool_f32(0.0f), Cmp::kLt), r, e.const_f32(std::numeric_limits<float>::quiet_NaN()));
}
}  // namespace

Vec emit_log(VecEmitter& e, const Vec& x) {
  if (e.has_fma()) return log_f(e, x, LogBase::kE);
  return per_half(e, x, [&](const Vec& xd) { return log_specials(e, xd, log_d(e, xd)); });
}

// SSE4.1: log2(x) = ed + logm*log2e, log10(x) = ed*log10(2) + logm*log10(e): ed is
// exact, so powers of two (ten) give exact integers after rounding.
Vec emit_log2(VecEmitter& e, const Vec& x) {
  if (e.has_fma()) return log_f(e, x, LogBase::k2);
  return per_half(e, x, [&](const Vec& xd) {
    LogParts lp = log_parts(e, xd);
    return log_specials(e, xd, e.fma(kD, lp.logm, e.const_f64(math::kLog2e), lp.ed));
  });
}

Vec emit_log10(VecEmitter& e, const Vec& x) {
  if (e.has_fma()) return log_f(e, x, LogBase::k10);
  return per_half(e, x, [&](const Vec& xd) {
    LogParts lp = log_parts(e, xd);
    Vec r = e.fma(kD, lp.ed, e.const_f64(math::kLog10Of2), e.mul(kD, lp.logm, e.pool_f64(math::kLog10e)));
    return log_specials(e, xd, r);
  });
}

// log1p(x) at the FMA levels in float32 lanes (scheme and coefficients in
// vec_math_coeffs.h).
namespace {
Vec log1p_f(VecEmitter& e, const Vec& x) {
  Vec u = e.add(kS, x, e.pool_f32(1.0f));
  Vec c = e.sub(kS, x, e.sub(kS, u, e.pool_f32(1.0f)));  // 1 + x = u + c
  const LogSplitF ls = log_split_f(e, u);  // u = 2^e m
  const Vec &k = ls.k, &m = ls.m, &ef = ls.ef, &f = ls.f, &q = ls.q;
  Vec f2 = e.mul(kS, f, f);
  auto [hi, err] = ln2_f_pair(e, ef, f);
  // c/u = c'/m = c' - c' f / m with c' = c 2^-e (2^-e from k; max turns the
  // -inf of e = 128, where c = 0, into 0), the quotient from rcp: its 2^-12
  // only scales c' f / m.
  Vec cs = e.mul(kS, c, e.max(kS, e.sub_d(e.const_f32(1.0f), k), e.pool_f32(0.0f)));
  Vec cu = e.fnma(kS, e.mul(kS, cs, f), e.rcp(m), cs);
  Vec lo = e.fma(kS, ef, e.const_f32(math::kLn2LoF), e.add(kS, err, cu));
  lo = e.fma(kS, f2, q, lo);
  Vec r = e.add(kS, hi, lo);
  // +-0, +inf and NaN: x itself; -1: -inf; below -1: NaN.
  Mask keep = e.mask_or(e.cmp(kS, x, e.pool_f32(0.0f), Cmp::kEq),
                        e.cmp(kS, x, e.pool_f32(3.40282347e38f), Cmp::kNle));
  r = e.select(kS, keep, r, x);
  r = e.select(kS, e.cmp(kS, x, e.pool_f32(-1.0f), Cmp::kLe), r, e.const_f32(-std::numeric_limits<float>::infinity()));
  return e.select(kS, e.cmp(kS, x, e.pool_f32(-1.0f), Cmp::kLt), r, e.const_f32(std::numeric_limits<float>::quiet_NaN()));
}
}  // namespace

Vec emit_log1p(VecEmitter& e, const Vec& x) {
  if (e.has_fma()) return log1p_f(e, x);
  return per_half(e, x, [&](const Vec& xd) {
    // -1 -> -inf, < -1 -> NaN, +inf -> +inf, NaN -> NaN: the log specials of 1 + x.
    Vec w = e.add(kD, xd, e.pool_f64(1.0));
    Vec r = log1p_d(e, xd);
    r = log_specials(e, w, r);
    return e.select(kD, e.cmp(kD, xd, xd, Cmp::kUnord), r, xd);
  });
}

// erf(x) at the SSE4.1 level (no FMA): in float64, rounded once: the Maclaurin series
// 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)) with 61 terms (Horner in x^2)
// on x clamped to [-4, 4] (erf(4) rounds to 1.0f). The truncation error is
// below 2e-12 and the cancellation between terms below 1e-9 absolute at |x| = 4,
// far under half a float32 ULP of the result; -0, NaN and +-inf come out as
// -0, NaN and +-1.
const std::array<double, f64::kErfTerms>& f64::erf_coefficients() {
  static const std::array<double, kErfTerms> c = [] {
    std::array<double, kErfTerms> a{};
    double term = 2.0 / std::sqrt(M_PI);  // (-1)^n / n!, times 2/sqrt(pi)
    for (int n = 0; n < kErfTerms; ++n) {
      if (n > 0) term = -term / n;
      a[static_cast<size_t>(n)] = term / (2 * n + 1);
    }
    return a;
  }();
  return c;
}

namespace {

Vec erf_d(VecEmitter& e, const Vec& x) {
  const auto& c = erf_coefficients();
  return per_half(e, x, [&](const Vec& xd) {
    Vec xc = e.max(kD, e.const_f64(-4.0), xd);
    xc = e.min(kD, e.const_f64(4.0), xc);
    Vec x2 = e.mul(kD, xc, xc);
    Vec p = e.const_f64(c[kErfTerms - 1]);
    for (int n = kErfTerms - 2; n >= 0; --n) p = e.fma(kD, p, x2, e.pool_f64(c[static_cast<size_t>(n)]));
    Vec r = e.mul(kD, p, xc);
    return e.select(kD, e.cmp(kD, xd, xd, Cmp::kUnord), r, xd);
  });
}
}  // namespace

// erf(x) at the FMA levels in float32 lanes (scheme and coefficients in
// vec_math_coeffs.h): a + a P(a^2) below kErfSplit, 1 - exp(L(a - kErfSplit))
// above, the sign of x OR-ed back.
Vec emit_erf(VecEmitter& e, const Vec& x) {
  if (!e.has_fma()) return erf_d(e, x);
  Vec a = e.bit_and(x, e.pool_u32(0x7FFFFFFFu));
  Vec s = e.mul(kS, a, a);
  Vec p = e.const_f32(math::kErfSmall[math::kErfSmallLen - 1]);
  for (int i = math::kErfSmallLen - 2; i >= 0; --i) p = e.fma(kS, p, s, e.pool_f32(math::kErfSmall[i]));
  Vec small = e.fma(kS, a, p, a);
  // min returns its second operand for NaN a: 4 (the small path gives NaN).
  Vec u = e.sub(kS, e.min(kS, a, e.pool_f32(math::kErfClampA)), e.pool_f32(math::kErfSplit));
  Vec l = e.const_f32(math::kErfLarge[math::kErfLargeLen - 1]);
  for (int i = math::kErfLargeLen - 2; i >= 0; --i) l = e.fma(kS, l, u, e.pool_f32(math::kErfLarge[i]));
  ExpCoreF c = exp_core_fast(e, l, ExpArg::kPlain);
  Vec sc = pow2_from_t(e, c.t, 0);
  Vec ec = e.fma(kS, c.p, sc, sc);  // erfc(a) = 2^k (1 + p), one rounding
  Vec large = e.sub(kS, e.const_f32(1.0f), ec);
  // kErfSplit <= a: false for NaN (the small path's NaN is kept).
  Mask m = e.cmp(kS, e.const_f32(math::kErfSplit), a, Cmp::kLe);
  Vec r = e.select(kS, m, small, large);
  return e.or_and(r, x, e.pool_u32(0x80000000u));
}

// erfc(x) at the FMA levels in float32 lanes (scheme and coefficients in
// vec_math_coeffs.h): 1 - erf(x) by erf's small polynomial with an exact
// 1 + y below kErfcSplit, exp(-a^2) Q(t) / (a + kErfcC) above, 2 - erfc(a)
// for x <= -kErfcSplit.
Vec f32::erfc_f(VecEmitter& e, const Vec& x) {
  Vec a = e.bit_and(x, e.pool_u32(0x7FFFFFFFu));
  // Small: y = -x, h = 1 + y and err its rounding error (|y| < 1: Fast2Sum).
  Vec y = e.bit_xor(x, e.pool_u32(0x80000000u));
  Vec s = e.mul(kS, y, y);
  Vec p = e.const_f32(math::kErfSmall[math::kErfSmallLen - 1]);
  for (int i = math::kErfSmallLen - 2; i >= 0; --i) p = e.fma(kS, p, s, e.pool_f32(math::kErfSmall[i]));
  Vec h = e.add(kS, y, e.pool_f32(1.0f));
  Vec err = e.sub(kS, y, e.sub(kS, h, e.pool_f32(1.0f)));
  Vec small = e.add(kS, h, e.fma(kS, y, p, err));
  // Tail on at = a clamped to [kErfcSplit, kErfcTailHiF] (max gives kErfcSplit for NaN).
  Vec at = e.max(kS, a, e.pool_f32(math::kErfcSplit));
  at = e.min(kS, at, e.pool_f32(math::kErfcTailHiF));
  Vec sq = e.mul(kS, at, at);
  Vec nlo = e.fnma(kS, at, at, sq);  // sq - at^2 = -lo, exact
  // e^-sq = 2^k (1 + p), p = r + r^2 Q(r) as p + p_lo (p_lo: p's rounding
  // error, exact: p / r in [0.84, 1.19]).
  Vec tk = e.fnma(kS, e.const_f32(math::kLog2eF), sq, e.pool_f32(math::kShifterF));
  Vec k = e.sub(kS, tk, e.pool_f32(math::kShifterF));
  Vec rr = e.fnma(kS, k, e.pool_f32(math::kLn2HiF), e.bit_xor(sq, e.pool_u32(0x80000000u)));
  rr = e.fnma(kS, k, e.pool_f32(math::kLn2LoF), rr);
  Vec r2 = e.mul(kS, rr, rr);
  Vec eq = e.const_f32(math::kExpQ[math::kExpQLen - 1]);
  for (int i = math::kExpQLen - 2; i >= 0; --i) eq = e.fma(kS, eq, rr, e.pool_f32(math::kExpQ[i]));
  Vec p1 = e.fma(kS, r2, eq, rr);
  Vec p1_lo = e.fma(kS, r2, eq, e.sub(kS, rr, p1));
  // d + d_lo = at + kErfcC exactly (TwoSum).
  Vec d = e.add(kS, at, e.pool_f32(math::kErfcC));
  Vec bb = e.sub(kS, d, at);
  Vec d_lo = e.add(kS, e.sub(kS, at, e.sub(kS, d, bb)), e.sub(kS, e.const_f32(math::kErfcC), bb));
  Vec q = recip_f(e, d);
  Vec t = div_corrected(e, e.const_f32(1.0f), d, d_lo, q);
  Vec u = e.sub(kS, t, e.pool_f32(math::kErfcTm));
  // du: t's error (the residual of 1 - t (d + d_lo), times q) plus u's rounding
  // error (Fast2Sum of -kErfcTm + t; u is exact for t >= kErfcTm / 2).
  Vec tres = e.fnma(kS, t, d, e.pool_f32(1.0f));
  tres = e.fnma(kS, t, d_lo, tres);
  Vec du = e.sub(kS, t, e.add(kS, u, e.pool_f32(math::kErfcTm)));
  du = e.fma(kS, tres, q, du);
  // Q'(u) to ~1% from kErfcQ[1..4] (it only scales du, <= 2^-24 t).
  Vec dq = e.const_f32(4.0f * math::kErfcQ[4]);
  for (int i = 3; i >= 1; --i) dq = e.fma(kS, dq, u, e.pool_f32(static_cast<float>(i) * math::kErfcQ[i]));
  // Q = c0 + u H as qq + qq_lo (qq_lo exact: qq / c0 in [0.63, 1.9]).
  Vec hh = e.const_f32(math::kErfcQ[math::kErfcQLen - 1]);
  for (int i = math::kErfcQLen - 2; i >= 1; --i) hh = e.fma(kS, hh, u, e.pool_f32(math::kErfcQ[i]));
  Vec qq = e.fma(kS, hh, u, e.pool_f32(math::kErfcQ[0]));
  Vec qq_lo = e.fma(kS, hh, u, e.sub(kS, e.const_f32(math::kErfcQ[0]), qq));
  qq_lo = e.fma(kS, dq, du, qq_lo);
  // N = (qq + qq_lo)(1 + p1 + p1_lo)(1 - lo) = m + n_lo: m = qq (1 + p1)
  // rounded, n_lo its exact error (qq - m exact) plus the small products.
  Vec m = e.fma(kS, qq, p1, qq);
  Vec n_lo = e.fma(kS, qq, p1, e.sub(kS, qq, m));
  n_lo = e.fma(kS, qq, p1_lo, n_lo);
  n_lo = e.fma(kS, m, nlo, n_lo);
  n_lo = e.fma(kS, qq_lo, p1, e.add(kS, n_lo, qq_lo));
  // r = N / (d + d_lo): r0 = m q, r0 + (m - r0 d - r0 d_lo + n_lo) q.
  Vec r = e.mul(kS, m, q);
  Vec res = e.fnma(kS, r, d, m);
  res = e.fnma(kS, r, d_lo, res);
  res = e.add(kS, res, n_lo);
  r = e.fma(kS, res, q, r);
  r = e.mul(kS, r, pow2_from_t(e, tk, 64));
  r = e.mul(kS, r, e.pool_f32(0x1p-64f));
  // a >= kErfcZeroF (+inf included, NaN not) -> 0; x < 0 -> 2 - tail.
  r = e.select(kS, e.cmp(kS, e.const_f32(math::kErfcZeroF), a, Cmp::kLe), r, e.const_f32(0.0f));
  r = e.select(kS, e.cmp(kS, x, e.pool_f32(0.0f), Cmp::kLt), r, e.sub(kS, e.const_f32(2.0f), r));
  // kErfcSplit <= a: false for NaN (the small path's NaN is kept).
  return e.select(kS, e.cmp(kS, e.const_f32(math::kErfcSplit), a, Cmp::kLe), small, r);
}

// gelu(x) = x * 0.5 * (1 + erf(x * sqrt(1/2))): the interpreter's float32
// operations in its order around erf. SSE4.1: emit_erf. FMA levels: 1 + erf(t)
// to about 2^-24 absolute, all the result needs (scheme and tables in
// vec_math_coeffs.h): erf(|t|) one degree-6 (ymm) / degree-5 (zmm)
// polynomial per interval, its coefficients picked by vpermps.
Vec emit_gelu(VecEmitter& e, const Vec& x) {
  Vec t = e.mul(kS, x, e.pool_f32(static_cast<float>(M_SQRT1_2)));
  Vec half_x = e.mul(kS, x, e.pool_f32(0.5f));
  if (!e.has_fma()) return e.mul(kS, half_x, e.add(kS, emit_erf(e, t), e.pool_f32(1.0f)));
  const bool zmm = e.lanes() == 16;
  const int len = zmm ? math::kGeluErfLen16 : math::kGeluErfLen8;
  auto row = [&](int j) {
    return zmm ? e.pool_table_f32(math::kGeluErf16[j], 16) : e.pool_table_f32(math::kGeluErf8[j], 8);
  };
  // a = min(|t|, A) (A for NaN: x's NaN reaches the result through half_x).
  Vec a = e.min(kS, e.bit_and(t, e.pool_u32(0x7FFFFFFFu)), e.pool_f32(zmm ? math::kGeluErfA16 : math::kGeluErfA8));
  // k = round(a S) in tk's low bits (the vpermps index); z = a - k H, exact.
  Vec tk = e.fma(kS, a, e.const_f32(zmm ? math::kGeluErfS16 : math::kGeluErfS8), e.pool_f32(math::kShifterF));
  Vec kf = e.sub(kS, tk, e.pool_f32(math::kShifterF));
  Vec z = e.fnma(kS, kf, e.pool_f32(zmm ? math::kGeluErfH16 : math::kGeluErfH8), a);
  Vec p = e.permute_f32(tk, row(len - 1));
  for (int j = len - 2; j >= 0; --j) p = e.fma(kS, p, z, e.permute_f32(tk, row(j)));
  // 1 + erf(t) = 1 + (P | sign of t) (P >= 0 but for |P| < 2^-31 near a = 0).
  Vec u = e.add(kS, e.or_and(p, t, e.pool_u32(0x80000000u)), e.pool_f32(1.0f));
  return e.mul(kS, half_x, u);
}

// exp2(x) = exp(x * ln2), the product rounded in float64 (relative error of
// the result < 2^-45; integers give exact powers of two).
Vec emit_exp2(VecEmitter& e, const Vec& x) {
  return per_half(e, x, [&](const Vec& xd) { return exp_d(e, e.mul(kD, xd, e.pool_f64(math::kLn2))); });
}

// expm1(x) = 2^k * expm1(r) + (2^k - 1); the sign of -0 kept.
Vec emit_expm1(VecEmitter& e, const Vec& x) {
  Vec r = per_half(e, x, [&](const Vec& xd) {
    ExpParts p = exp_parts(e, xd, -math::kExpClamp, math::kExpClamp);
    return e.fma(kD, p.scale, p.q, e.sub(kD, p.scale, e.pool_f64(1.0)));
  });
  return e.select(kS, e.cmp(kS, x, e.pool_f32(0.0f), Cmp::kEq), r, x);
}

// softplus's lanes x < kSoftTailF (u = e^x below 2^-125.5, and -inf), where
// the float32 lane scheme below would need a denormal 2^k: softplus(x) =
// log1p(e^x) = e^x, in float64 halves (rare lanes: cost does not matter),
// rounded once. A vector with no such lane skips it.
namespace {
constexpr float kSoftTailF = -87.0f;
Vec softplus_tail(VecEmitter& e, const Vec& x, const Vec& r) {
  Mask tail = e.cmp(kS, x, e.pool_f32(kSoftTailF), Cmp::kLt);  // false for NaN
  Vec out = e.copy(r);
  asmjit::Label done = e.cc().newLabel();
  e.jump_if_none(tail, done);
  Vec t = per_half(e, x, [&](const Vec& xd) { return exp_d(e, xd); });
  e.assign(out, e.select(kS, tail, r, t));
  e.cc().bind(done);
  return out;
}
}  // namespace

// softplus(x) = x > 20 ? x : log1p(exp(x)). SSE4.1: all in float64 (one
// rounding). FMA levels, float32 lanes (scheme in vec_math_coeffs.h):
// max(x, 0) + log(w + lo), w + lo = 1 + e^-|x| held exactly enough as a pair.
Vec emit_softplus(VecEmitter& e, const Vec& x) {
  if (!e.has_fma()) {
    Vec r = per_half(e, x, [&](const Vec& xd) { return log1p_d(e, exp_d(e, xd)); });
    return e.select(kS, e.cmp(kS, e.const_f32(20.0f), x, Cmp::kLt), r, x);
  }
  // a = -|x| clamped at kSoftTailF (k >= -126: 2^k normal); NaN passes.
  Vec a = e.bit_or(x, e.pool_u32(0x80000000u));
  a = e.max(kS, e.const_f32(kSoftTailF), a);
  ExpCoreF c = exp_core_fast(e, a, ExpArg::kPlain);
  Vec sc = pow2_from_t(e, c.t, 0);  // u = sc (1 + p), sc <= 1
  // w + lo = 1 + sc + sc p: w rounded, one_sc's and w's errors exact.
  Vec one_sc = e.add(kS, sc, e.pool_f32(1.0f));
  Vec w = e.fma(kS, sc, c.p, one_sc);
  Vec lo = e.add(kS, e.sub(kS, one_sc, w), e.sub(kS, sc, e.sub(kS, one_sc, e.pool_f32(1.0f))));
  lo = e.fma(kS, sc, c.p, lo);
  // w = 2^ex m, m in [sqrt(1/2), sqrt(2)), ex in {0, 1}; f = m - 1 exact;
  // hi + err = ex*ln2hi + f exactly, hi >= 0.
  const LogSplitF ls = log_split_f(e, w);
  const Vec &ef = ls.ef, &f = ls.f, &q = ls.q;
  Vec f2 = e.mul(kS, f, f);
  auto [hi, err] = ln2_f_pair(e, ef, f);
  // log(w + lo) = log(w) + lo/w (|lo/w| < 2^-24), lo/w = lo - lo (w - 1) / w
  // (w - 1 exact): rcp's 2^-12 only scales lo (w - 1) / w.
  Vec lo_w = e.fnma(kS, e.mul(kS, lo, e.sub(kS, w, e.pool_f32(1.0f))), e.rcp(w), lo);
  Vec small = e.add(kS, lo_w, err);
  small = e.fma(kS, ef, e.const_f32(math::kLn2LoF), small);
  small = e.fma(kS, f2, q, small);
  // max(x, 0) + hi by Fast2Sum (both >= 0: larger first), then the small terms.
  Vec xp = e.max(kS, e.const_f32(0.0f), x);  // NaN passes
  Vec s = e.add(kS, xp, hi);
  Vec big = e.max(kS, xp, hi);
  Vec little = e.min(kS, xp, hi);
  Vec s_err = e.sub(kS, little, e.sub(kS, s, big));
  Vec r = e.add(kS, s, e.add(kS, small, s_err));
  r = e.select(kS, e.cmp(kS, e.const_f32(20.0f), x, Cmp::kLt), r, x);
  return softplus_tail(e, x, r);
}

// mish(x) = x * tanh(log1p(u)), u = e^x, = x * n / (n + 2) with n = u (u + 2),
// in float64; u is rounded to float32 first as the interpreter's expf(x) is
// (so x < -87.3, where u is a float32 denormal or 0, gives the interpreter's
// values: x * u, -0). x > 20: x (tanh rounds to 1 from x > 9.01 on).
Vec emit_mish(VecEmitter& e, const Vec& x) {
  Vec r = per_half(e, x, [&](const Vec& xd) {
    Vec u = e.f64_round_f32(exp_d(e, xd));
    Vec n = e.mul(kD, u, e.add(kD, u, e.pool_f64(2.0)));
    return e.mul(kD, xd, e.div(kD, n, e.add(kD, n, e.pool_f64(2.0))));
  });
  return e.select(kS, e.cmp(kS, e.const_f32(20.0f), x, Cmp::kLt), r, x);
}

}  // namespace fuze::x86
