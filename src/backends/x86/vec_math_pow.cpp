// Inline vector math, part 4: pow (float32 operands; C99 pow in float32 lanes
// at the FMA levels, float64 halves narrowed once at SSE4.1; ATen's special
// exponents 0, +-0.5, +-1, 2, 3, -2 by their exact sequences).
#include "backends/x86/vec_math.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "backends/x86/vec_math_f64.h"
#include "kernels/math/vec_math_coeffs.h"

namespace fuze::x86 {

using namespace f64;  // the shared float64 helpers (vec_math_f64.h)

namespace {

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

// ---- float32 lanes (FMA levels; scheme in vec_math_coeffs.h, kPowLogG) ----

// ln|x| = hi + lo (|lo| <= ~2^-23 |hi|, relative error ~2^-35) for finite
// nonzero x; +-0 -> hi = -inf, +-inf -> +inf, NaN -> NaN (lo then garbage:
// unused, see exp_pair_f).
struct LnPair {
  Vec hi, lo;
};
LnPair ln_pair_f(VecEmitter& e, const Vec& ax) {
  // Denormals: ax 2^23 (exact), e - 23 (0 too: replaced below).
  Mask sub = e.cmp(kS, ax, e.pool_f32(0x1p-126f), Cmp::kLt);
  Vec xs = e.select(kS, sub, ax, e.mul(kS, ax, e.pool_f32(0x1p23f)));
  Vec kb = e.bit_and(e.sub_d(xs, e.pool_u32(0x3F3504F3u)), e.pool_u32(0xFF800000u));
  Vec m = e.sub_d(xs, kb);  // [sqrt(1/2), sqrt(2))
  Vec ef = e.sub(kS, e.add_d(e.sra_d(kb, 23), e.pool_u32(math::kShifterBits)), e.pool_f32(math::kShifterF));
  ef = e.select(kS, sub, ef, e.sub(kS, ef, e.pool_f32(23.0f)));
  // s = f / (d + dl): f = m - 1 and dl = f - (d - 2) exact (Sterbenz), d = m + 1
  // rounded; sh = f / d to ~1 ULP, sl = (f - sh d - sh dl) / d by FMAs.
  Vec f = e.sub(kS, m, e.pool_f32(1.0f));
  Vec d = e.add(kS, m, e.pool_f32(1.0f));
  Vec dl = e.sub(kS, f, e.sub(kS, d, e.pool_f32(2.0f)));
  Vec rd = e.div(kS, e.const_f32(1.0f), d);
  Vec sh = e.mul(kS, f, rd);
  Vec res = e.fnma(kS, sh, d, f);
  res = e.fnma(kS, sh, dl, res);
  Vec sl = e.mul(kS, res, rd);
  // z = sh^2 (nz = z - sh^2 exactly); A = 2/3 + z G(z) as A + al.
  Vec z = e.mul(kS, sh, sh);
  Vec nz = e.fnma(kS, sh, sh, z);
  Vec g = e.const_f32(math::kPowLogG[math::kPowLogGLen - 1]);
  for (int i = math::kPowLogGLen - 2; i >= 0; --i) g = e.fma(kS, g, z, e.pool_f32(math::kPowLogG[i]));
  Vec a = e.fma(kS, z, g, e.pool_f32(math::kPowTwoThirdsHi));
  Vec al = e.sub(kS, e.const_f32(math::kPowTwoThirdsHi), a);  // exact (Sterbenz)
  al = e.fma(kS, z, g, e.add(kS, al, e.pool_f32(math::kPowTwoThirdsLo)));
  // sh^3 = p - np + sh (-nz)... : p = sh z, np = p - sh z exactly.
  Vec p = e.mul(kS, sh, z);
  Vec np = e.fnma(kS, sh, z, p);
  Vec v = e.fma(kS, sh, nz, np);  // -(sh^3 - p) up to rounding
  // (2/3) s^3 + ... = t + (p al - A v) + tl: t = p A, nt = t - p A exactly.
  Vec t = e.mul(kS, p, a);
  Vec nt = e.fnma(kS, p, a, t);
  // 2 sl / (1 - z) ~ 2 sl (1 + z + z^2) (sh's error term; 3 z sl A included).
  Vec sl2 = e.add(kS, sl, sl);
  Vec lo = e.fma(kS, sl2, e.fma(kS, z, z, z), sl2);
  lo = e.sub(kS, lo, nt);
  lo = e.fma(kS, p, al, lo);
  lo = e.fnma(kS, a, v, lo);
  // hi1 + err1 = e ln2hi + 2 sh, hi + err2 = hi1 + t (Fast2Sums).
  Vec sh2 = e.add(kS, sh, sh);
  Vec hi1 = e.fma(kS, ef, e.const_f32(math::kLn2HiF), sh2);
  Vec err1 = e.sub(kS, sh2, e.fnma(kS, ef, e.pool_f32(math::kLn2HiF), hi1));
  Vec hi = e.add(kS, hi1, t);
  Vec err2 = e.sub(kS, t, e.sub(kS, hi, hi1));
  lo = e.add(kS, lo, e.add(kS, err1, err2));
  lo = e.fma(kS, ef, e.const_f32(math::kLn2LoF), lo);
  // +-0 -> -inf, inf -> inf, NaN -> NaN: (ax - 1) * inf.
  Mask edge = e.mask_or(e.cmp(kS, ax, e.pool_f32(0.0f), Cmp::kEq),
                        e.cmp(kS, ax, e.pool_f32(std::numeric_limits<float>::max()), Cmp::kNle));
  Vec edge_v = e.mul(kS, e.sub(kS, ax, e.pool_f32(1.0f)), e.pool_f32(std::numeric_limits<float>::infinity()));
  return {e.select(kS, edge, hi, edge_v), lo};
}

// e^(y (hi + lo)) for the pair of ln_pair_f: zh = y hi, zl = y hi - zh + y lo
// (negated: nzl), zh clamped to [kExpLo, kExpHi] (then zl dropped: the result
// is 0 or inf either way; NaN passes), exp's reduction r = zh - k ln2 + zl
// (its rounding error carried), e^r = 1 + r + r^2 kExpQ(r) (Estrin) rounded
// once, 2^k applied in two steps (exact but for denormal results, rounded
// once more there, and overflow to inf).
Vec exp_pair_f(VecEmitter& e, const Vec& y, const LnPair& l) {
  static_assert(math::kExpQLen == 5, "Estrin layout below is for 5 coefficients");
  Vec zh = e.mul(kS, y, l.hi);
  Vec nzl = e.fnma(kS, y, l.lo, e.fnma(kS, y, l.hi, zh));
  Vec zc = e.max(kS, e.const_f32(math::kExpLo), zh);
  zc = e.min(kS, e.const_f32(math::kExpHi), zc);
  nzl = e.zero_where(e.cmp(kS, zc, zh, Cmp::kNeq), nzl);
  Vec t = e.fma(kS, e.const_f32(math::kLog2eF), zc, e.pool_f32(math::kShifterF));
  Vec kf = e.sub(kS, t, e.pool_f32(math::kShifterF));
  // r = r1 - w (r1 exact), its rounding error rerr = (r1 - r) - w carried.
  Vec r1 = e.fnma(kS, kf, e.pool_f32(math::kLn2HiF), zc);
  Vec w = e.fma(kS, kf, e.const_f32(math::kLn2LoF), nzl);
  Vec r = e.sub(kS, r1, w);
  Vec rerr = e.sub(kS, e.sub(kS, r1, r), w);
  const float* c = math::kExpQ;
  Vec r2 = e.mul(kS, r, r);
  Vec q0 = e.fma(kS, e.const_f32(c[1]), r, e.pool_f32(c[0]));
  Vec q1 = e.fma(kS, e.const_f32(c[3]), r, e.pool_f32(c[2]));
  q1 = e.fma(kS, e.const_f32(c[4]), r2, q1);
  Vec q = e.fma(kS, q1, r2, q0);
  // 1 + r + h, h = r^2 Q + rerr, rounded once: y1 + e1 = 1 + r (Fast2Sum).
  Vec h = e.fma(kS, r2, q, rerr);
  Vec y1 = e.add(kS, r, e.pool_f32(1.0f));
  Vec e1 = e.add(kS, e.sub(kS, e.const_f32(1.0f), y1), r);
  Vec em = e.add(kS, y1, e.add(kS, e1, h));
  Vec ki = e.sub_d(t, e.pool_u32(math::kShifterBits));
  Vec k1 = e.sra_d(ki, 1);
  Vec k2 = e.sub_d(ki, k1);
  Vec s1 = e.shl_d(e.add_d(k1, e.pool_u32(127)), 23);
  Vec s2 = e.shl_d(e.add_d(k2, e.pool_u32(127)), 23);
  return e.mul(kS, e.mul(kS, em, s1), s2);
}

// What is known of the exponent at compile time (everything for a constant).
struct ExpKnown {
  bool known = false;
  float k = 0.0f;
};

// C99 pow in float32 lanes (the exponent is not a special one). Zero, infinite
// and NaN bases come out of ln_pair_f's -inf / inf / NaN through the clamp;
// the selects below: a negative base with an odd integer exponent negates,
// with a non-integer one (finite base) gives NaN; pow(+-1, +-inf) = 1 and
// pow(1, NaN) = 1; a NaN exponent gives NaN (through the arithmetic).
Vec pow_f(VecEmitter& e, const Vec& x, const Vec& ey, ExpKnown kn) {
  Vec ax = e.bit_and(x, e.pool_u32(0x7FFFFFFFu));
  Vec r = exp_pair_f(e, ey, ln_pair_f(e, ax));
  const float inf = std::numeric_limits<float>::infinity();
  const bool ky = kn.known;
  const float k = kn.k;
  const bool k_int = ky && std::nearbyint(k) == k;
  const bool k_odd = k_int && std::nearbyint(0.5f * k) != 0.5f * k;
  Mask is_int{}, odd{};
  if (!ky) {
    is_int = e.cmp(kS, e.round(kS, ey, 0), ey, Cmp::kEq);  // false for NaN, true for +-inf
    Vec half = e.mul(kS, ey, e.pool_f32(0.5f));
    odd = e.mask_andnot(e.cmp(kS, e.round(kS, half, 0), half, Cmp::kEq), is_int);
  }
  // Negative base (sign bit: -0 and -inf too) with an odd integer exponent: negate.
  if (!ky || k_odd) {
    Vec sign = e.bit_and(x, e.pool_u32(0x80000000u));
    r = e.bit_xor(r, ky ? sign : e.keep_where(odd, sign));
  }
  // Finite negative base with a non-integer exponent -> NaN.
  if (!ky || !k_int) {
    Mask neg_fin = e.mask_and(e.cmp(kS, x, e.pool_f32(0.0f), Cmp::kLt), e.cmp(kS, ax, e.pool_f32(inf), Cmp::kLt));
    Mask bad = ky ? neg_fin : e.mask_andnot(is_int, neg_fin);
    r = e.select(kS, bad, r, e.const_f32(std::numeric_limits<float>::quiet_NaN()));
  }
  // |x| == 1 with an infinite exponent -> 1 (else 0 * inf = NaN).
  Vec one = e.const_f32(1.0f);
  if (!ky || std::isinf(k)) {
    Mask m1 = e.cmp(kS, ax, one, Cmp::kEq);
    if (!ky) m1 = e.mask_and(m1, e.cmp(kS, e.bit_and(ey, e.pool_u32(0x7FFFFFFFu)), e.pool_f32(inf), Cmp::kEq));
    r = e.select(kS, m1, r, one);
  }
  // pow(1, NaN) = 1 (a finite exponent gives e^0 = 1 exactly already).
  if (!ky || std::isnan(k)) r = e.select(kS, e.cmp(kS, x, one, Cmp::kEq), r, one);
  return r;
}

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

Vec pow_general(VecEmitter& e, const Vec& x, const Vec& ex, const float* const_exp) {
  if (e.has_fma()) return pow_f(e, x, ex, const_exp ? ExpKnown{true, *const_exp} : ExpKnown{});
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
    return pow_general(e, x, ex, const_exp);
  }
  // Uniform run-time exponent: every candidate, then a select per special value.
  Vec r = pow_general(e, x, ex, nullptr);
  for (float k : kSpecialExps) {
    r = e.select(kS, e.cmp(kS, ex, e.pool_f32(k), Cmp::kEq), r, pow_special(e, x, k));
  }
  return r;
}

}  // namespace fuze::x86
