// Inline vector math (see kernels/math/vec_math_coeffs.h for the schemes and
// error budgets): exp, tanh and sigmoid in float32 lanes with fitted
// polynomials; log and pow widen each half of the vector to float64,
// evaluate with relative error < 2^-38, and narrow once.
#include "backends/x86/vec_math.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/math/vec_math_coeffs.h"

namespace fuze::x86 {
namespace {

constexpr Fp kD = Fp::kF64;
constexpr Fp kS = Fp::kF32;
constexpr uint64_t kSignBit64 = 0x8000000000000000ull;
constexpr uint64_t kAbsMask64 = 0x7FFFFFFFFFFFFFFFull;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr uint64_t kQuietNan64 = 0x7FF8000000000000ull;

template <class F>
Vec per_half(VecEmitter& e, const Vec& x, F f) {
  Vec lo = f(e.f32_lo_to_f64(x));
  Vec hi = f(e.f32_hi_to_f64(x));
  return e.f64_to_f32(lo, hi);
}

struct ExpParts {
  Vec q;      // expm1(r)
  Vec scale;  // 2^k
};

// y -> (expm1(r), 2^k) with y = k*ln2 + r; y clamped to [-clamp, clamp]
// (NaN passes: max/min return their second operand when one is NaN).
ExpParts exp_parts(VecEmitter& e, const Vec& y_in, double lo_clamp, double hi_clamp) {
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

Vec exp_d(VecEmitter& e, const Vec& y) {
  ExpParts p = exp_parts(e, y, -math::kExpClamp, math::kExpClamp);
  return e.fma(kD, p.scale, p.q, p.scale);
}

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

Vec log_d(VecEmitter& e, const Vec& x) {
  LogParts lp = log_parts(e, x);
  return e.fma(kD, lp.ed, e.const_f64(math::kLn2), lp.logm);
}

// log1p(u) for u >= 0 (or > -1): log(w) * (u / (w - 1)) with w = 1 + u
// rounded (the quotient corrects w's rounding error; w - 1 is exact), u where
// w == 1. Other inputs: see emit_log1p.
Vec log1p_d(VecEmitter& e, const Vec& u) {
  Vec w = e.add(kD, u, e.pool_f64(1.0));
  Vec d = e.sub(kD, w, e.pool_f64(1.0));
  Vec r = e.mul(kD, log_d(e, w), e.div(kD, u, d));
  return e.select(kD, e.cmp(kD, d, e.pool_f64(0.0), Cmp::kEq), r, u);
}

Vec const_bits64(VecEmitter& e, uint64_t bits) { return e.load_aligned(e.pool_u64(bits)); }

// C99/std::pow in float64 for float32 inputs (e is not a special exponent).
Vec pow_d(VecEmitter& e, const Vec& x, const Vec& ex) {
  Vec ax = e.bit_and(x, e.pool_u64(kAbsMask64));
  Vec r = exp_d(e, e.mul(kD, ex, log_d(e, ax)));
  Vec zero = e.const_f64(0.0);
  Vec inf = e.const_f64(kInf);
  Vec one = e.const_f64(1.0);
  Vec qnan = const_bits64(e, kQuietNan64);
  Mask is_int = e.cmp(kD, e.round(kD, ex, 0), ex, Cmp::kEq);  // false for NaN, true for +-inf
  Vec half = e.mul(kD, ex, e.pool_f64(0.5));
  Mask half_int = e.cmp(kD, e.round(kD, half, 0), half, Cmp::kEq);
  Mask odd = e.mask_andnot(half_int, is_int);
  Mask neg_e = e.cmp(kD, ex, zero, Cmp::kLt);
  // Zero base: e < 0 -> inf, else 0; infinite base: e < 0 -> 0, else inf.
  r = e.select(kD, e.cmp(kD, ax, zero, Cmp::kEq), r, e.select(kD, neg_e, zero, inf));
  r = e.select(kD, e.cmp(kD, ax, inf, Cmp::kEq), r, e.select(kD, neg_e, inf, zero));
  // |x| == 1 with an infinite exponent -> 1.
  Mask inf_e = e.cmp(kD, e.bit_and(ex, e.pool_u64(kAbsMask64)), inf, Cmp::kEq);
  r = e.select(kD, e.mask_and(e.cmp(kD, ax, one, Cmp::kEq), inf_e), r, one);
  // Negative base (sign bit, so -0 and -inf too) with an odd integer exponent: negate.
  Vec sign = e.bit_and(x, e.pool_u64(kSignBit64));
  r = e.bit_xor(r, e.select(kD, odd, zero, sign));
  // Finite negative base with a non-integer (finite) exponent -> NaN.
  Mask neg_fin = e.mask_and(e.cmp(kD, x, zero, Cmp::kLt), e.cmp(kD, ax, inf, Cmp::kLt));
  r = e.select(kD, e.mask_andnot(is_int, neg_fin), r, qnan);
  // NaN in either operand -> NaN, except pow(1, anything) = 1.
  r = e.select(kD, e.cmp(kD, x, ex, Cmp::kUnord), r, qnan);
  r = e.select(kD, e.cmp(kD, x, one, Cmp::kEq), r, one);
  return r;
}

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

Vec emit_exp(VecEmitter& e, const Vec& x) {
  // max/min return their second operand when either is NaN: NaN passes.
  Vec y = e.max(kS, e.const_f32(math::kExpLo), x);
  y = e.min(kS, e.const_f32(math::kExpHi), y);
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
Vec emit_elu(VecEmitter& e, const Vec& x, const Vec& alpha) {
  Vec r = e.mul(kS, e.sub(kS, emit_exp(e, x), e.pool_f32(1.0f)), alpha);
  return e.select(kS, e.cmp(kS, x, e.pool_f32(0.0f), Cmp::kLe), x, r);
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

Vec emit_log(VecEmitter& e, const Vec& x) {
  return per_half(e, x, [&](const Vec& xd) { return log_specials(e, xd, log_d(e, xd)); });
}

// log2(x) = ed + logm*log2e, log10(x) = ed*log10(2) + logm*log10(e): ed is
// exact, so powers of two (ten) give exact integers after rounding.
Vec emit_log2(VecEmitter& e, const Vec& x) {
  return per_half(e, x, [&](const Vec& xd) {
    LogParts lp = log_parts(e, xd);
    return log_specials(e, xd, e.fma(kD, lp.logm, e.const_f64(math::kLog2e), lp.ed));
  });
}

Vec emit_log10(VecEmitter& e, const Vec& x) {
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
  // k = e << 23 with u = 2^e m, m in [sqrt(1/2), sqrt(2)).
  Vec k = e.bit_and(e.sub_d(u, e.pool_u32(0x3F3504F3u)), e.pool_u32(0xFF800000u));
  Vec m = e.sub_d(u, k);
  Vec ef = e.sub(kS, e.add_d(e.sra_d(k, 23), e.pool_u32(math::kShifterBits)), e.pool_f32(math::kShifterF));
  Vec f = e.sub(kS, m, e.pool_f32(1.0f));
  Vec f2 = e.mul(kS, f, f);
  Vec q = e.const_f32(math::kLog1pQ[math::kLog1pQLen - 1]);
  for (int i = math::kLog1pQLen - 2; i >= 0; --i) q = e.fma(kS, q, f, e.pool_f32(math::kLog1pQ[i]));
  // hi + err = e*ln2hi + f exactly (Fast2Sum; e*ln2hi is exact).
  Vec hi = e.fma(kS, ef, e.const_f32(math::kLn2HiF), f);
  Vec err = e.sub(kS, f, e.fnma(kS, ef, e.pool_f32(math::kLn2HiF), hi));
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
namespace {
constexpr int kErfTerms = 61;
const std::array<double, kErfTerms>& erf_coefficients() {
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

// gelu(x) = x * 0.5 * (1 + erf(x * sqrt(1/2))): the interpreter's float32
// operations in its order around this erf.
Vec emit_gelu(VecEmitter& e, const Vec& x) {
  Vec er = emit_erf(e, e.mul(kS, x, e.pool_f32(static_cast<float>(M_SQRT1_2))));
  return e.mul(kS, e.mul(kS, x, e.pool_f32(0.5f)), e.add(kS, er, e.pool_f32(1.0f)));
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

// softplus(x) = x > 20 ? x : log1p(exp(x)), all in float64 (one rounding).
Vec emit_softplus(VecEmitter& e, const Vec& x) {
  Vec r = per_half(e, x, [&](const Vec& xd) { return log1p_d(e, exp_d(e, xd)); });
  return e.select(kS, e.cmp(kS, e.const_f32(20.0f), x, Cmp::kLt), r, x);
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

namespace {

// One of the exact sequences for ATen's special exponents.
Vec pow_special(VecEmitter& e, const Vec& x, float k) {
  if (k == 0.0f) return e.const_f32(1.0f);
  if (k == 1.0f) return x;
  if (k == 2.0f) return e.mul(kS, x, x);
  if (k == 3.0f) return e.mul(kS, e.mul(kS, x, x), x);
  if (k == -2.0f) return e.div(kS, e.const_f32(1.0f), e.mul(kS, x, x));
  if (k == 0.5f) return e.sqrt(kS, x);
  if (k == -0.5f) return e.div(kS, e.const_f32(1.0f), e.sqrt(kS, x));
  return e.div(kS, e.const_f32(1.0f), x);  // -1
}

constexpr float kSpecialExps[] = {0.0f, 1.0f, 2.0f, 3.0f, -2.0f, 0.5f, -0.5f, -1.0f};

Vec pow_general(VecEmitter& e, const Vec& x, const Vec& ex) {
  Vec xl = e.f32_lo_to_f64(x), xh = e.f32_hi_to_f64(x);
  Vec el = e.f32_lo_to_f64(ex), eh = e.f32_hi_to_f64(ex);
  return e.f64_to_f32(pow_d(e, xl, el), pow_d(e, xh, eh));
}

}  // namespace

Vec emit_pow(VecEmitter& e, const Vec& x, const Vec& ex, const float* const_exp) {
  if (const_exp != nullptr) {
    for (float k : kSpecialExps) {
      if (*const_exp == k) return pow_special(e, x, k);
    }
    return pow_general(e, x, ex);
  }
  // Uniform run-time exponent: every candidate, then a select per special value.
  Vec r = pow_general(e, x, ex);
  for (float k : kSpecialExps) {
    r = e.select(kS, e.cmp(kS, ex, e.pool_f32(k), Cmp::kEq), r, pow_special(e, x, k));
  }
  return r;
}

}  // namespace fuze::x86

// ---- trigonometric, inverse, hyperbolic, erfc (float64 halves) ---------------
// Schemes and error budgets: kernels/math/vec_math_coeffs.h.

namespace fuze::x86 {
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

Vec emit_trig(VecEmitter& e, const Vec& x, Trig fn) {
  Vec r = per_half(e, x, [&](const Vec& xd) { return trig_d(e, xd, fn); });
  // sin(+-0) = tan(+-0) = +-0 (the reduction's sums give +0).
  if (fn != Trig::kCos) r = e.select(kS, e.cmp(kS, x, e.pool_f32(0.0f), Cmp::kEq), r, x);
  Vec ax_ = e.bit_and(x, e.pool_u32(0x7FFFFFFFu));
  Mask huge = e.cmp(kS, e.const_f32(math::kTrigVectorMax), ax_, Cmp::kLt);  // includes +-inf, not NaN
  LaneFn f = fn == Trig::kSin ? &lanes_sin : fn == Trig::kCos ? &lanes_cos : &lanes_tan;
  return lanes_fallback(e, huge, r, x, x, f);
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
  return per_half(e, x, [&](const Vec& xd) { return e.bit_or(atan_d(e, abs_d(e, xd)), sign_of_d(e, xd)); });
}

// asin(x) = atan(|x| / sqrt(1 - x^2)), sign of x: |x| = 1 -> atan(inf) = pi/2,
// |x| > 1 -> sqrt of a negative: NaN.
Vec emit_asin(VecEmitter& e, const Vec& x) {
  return per_half(e, x, [&](const Vec& xd) {
    Vec a = abs_d(e, xd);
    Vec den = e.sqrt(kD, e.fnma(kD, a, a, e.pool_f64(1.0)));
    return e.bit_or(atan_d(e, e.div(kD, a, den)), sign_of_d(e, xd));
  });
}

// acos(x) = 2 atan(sqrt((1 - x) / (1 + x))): 1 -> +0, -1 -> pi, |x| > 1 and
// +-inf -> NaN (a negative or NaN quotient).
Vec emit_acos(VecEmitter& e, const Vec& x) {
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
