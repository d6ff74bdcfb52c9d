// Inline vector math, part 3: asin, acos, atan and atan2 in float32 lanes at
// the FMA levels (avx2, avx512); SSE4.1 keeps vec_math_trig.cpp's float64
// code. Schemes and coefficients (kAtanP, kAsinR, fitted by
// tools/fit_log_atan.py): kernels/math/vec_math_coeffs.h; sweeps:
// kernels/math/ULP.md.
//
// Every function ends in the same step: C + k (v + lo), rounded once, where
// C = ch + cl is 0, pi/2 or pi per lane (pi/2 split hi/lo), k a power-of-two
// factor (+-1, +-2) so that nh = k v is exact, v the leading part (the
// argument, a quotient or a square root, rounded) and lo everything small (the
// polynomial term and v's rounding error, recovered by an FMA residual).
#include "backends/x86/vec_math_f32.h"

#include <limits>

#include "kernels/math/vec_math_coeffs.h"

namespace fuze::x86::f32 {

namespace {

constexpr Fp kS = Fp::kF32;
constexpr uint32_t kSign = 0x80000000u;
constexpr uint32_t kAbs = 0x7FFFFFFFu;

Vec horner(VecEmitter& e, const Vec& s, const float* c, int n) {
  Vec p = e.const_f32(c[n - 1]);
  for (int i = n - 2; i >= 0; --i) p = e.fma(kS, p, s, e.pool_f32(c[i]));
  return p;
}

// ch + cl + nh + nl + nm p rounded once: s + err = ch + nh exactly
// (Fast2Sum: every caller has |ch| >= |nh| or ch = 0), then
// s + (nm p + ((err + cl) + nl)) with the polynomial term folded in by one FMA
// (nh, nl, nm are k v, k times v's error, k v z').
Vec combine(VecEmitter& e, const Vec& ch, const Vec& cl, const Vec& nh, const Vec& nl, const Vec& nm,
            const Vec& p) {
  Vec s = e.add(kS, ch, nh);
  Vec err = e.add(kS, e.sub(kS, ch, s), nh);
  return e.add(kS, s, e.fma(kS, nm, p, e.add(kS, e.add(kS, err, cl), nl)));
}

// atan's polynomial: atan(q) = q + q w P(w), w = q^2; returns (q w, P(w)).
struct PolyTerm {
  Vec m, p;
};
PolyTerm atan_poly(VecEmitter& e, const Vec& q) {
  Vec w = e.mul(kS, q, q);
  return {e.mul(kS, q, w), horner(e, w, math::kAtanP, math::kAtanPLen)};
}

// asin's pieces for a = |x|: a <= 1/2 (`small`): asin(a) = v + m p with v = a;
// a > 1/2: asin(sqrt(z)) = v + vl + m p, z = (1 - a)/2 (exact), v = sqrt(z)
// rounded and its error (z - v^2) / (2v) (the residual exact by FMA, the
// division by rcp: it only scales a term 2^-24 of v; max keeps rcp finite
// at z = 0), vl; the polynomial term m p = (v z') R(z'), z' = a^2 or z.
// a > 1, +-inf and NaN: z < 0 or NaN, so v and m are NaN (small is false for NaN).
struct AsinParts {
  Vec v, vl, m, p;  // asin(a) = v + vl + m p
  Mask small;
};
AsinParts asin_parts(VecEmitter& e, const Vec& a) {
  AsinParts out;
  out.small = e.cmp(kS, a, e.pool_f32(0.5f), Cmp::kLe);
  Vec z = e.mul(kS, e.sub(kS, e.const_f32(1.0f), a), e.pool_f32(0.5f));
  Vec s = e.sqrt(kS, z);
  Vec d = e.max(kS, e.add(kS, s, s), e.pool_f32(0x1p-30f));
  Vec sl = e.mul(kS, e.fnma(kS, s, s, z), e.rcp(d));
  out.v = e.select(kS, out.small, s, a);
  Vec zz = e.select(kS, out.small, z, e.mul(kS, a, a));
  out.p = horner(e, zz, math::kAsinR, math::kAsinRLen);
  out.m = e.mul(kS, out.v, zz);
  out.vl = e.zero_where(out.small, sl);
  return out;
}

}  // namespace

// asin(x) = sign(x) asin(a): a <= 1/2: v + lo; else pi/2 - 2 (v + lo), lo = vl + m p
// (|2v| <= 1 < pi/2). asin(-0) = -0; |x| > 1, +-inf and NaN: NaN.
Vec asin_f(VecEmitter& e, const Vec& x) {
  Vec a = e.bit_and(x, e.pool_u32(kAbs));
  AsinParts p = asin_parts(e, a);
  Vec k = e.select(kS, p.small, e.const_f32(-2.0f), e.const_f32(1.0f));
  Vec ch = e.zero_where(p.small, e.const_f32(math::kPio2HiF));
  Vec cl = e.zero_where(p.small, e.const_f32(math::kPio2LoF));
  Vec r = combine(e, ch, cl, e.mul(kS, p.v, k), e.mul(kS, p.vl, k), e.mul(kS, p.m, k), p.p);
  return e.or_and(r, x, e.pool_u32(kSign));
}

// acos(x): |x| <= 1/2: pi/2 - sign(x) (v + lo); x > 1/2: 2 (v + lo);
// x < -1/2: pi - 2 (v + lo). With ks = -sign(x) (from x's sign bit: -0
// counts as negative, acos(-0) = pi/2 either way): k = ks or -2 ks, C = pi/2
// or (1 + ks) pi/2.
Vec acos_f(VecEmitter& e, const Vec& x) {
  Vec a = e.bit_and(x, e.pool_u32(kAbs));
  AsinParts p = asin_parts(e, a);
  Vec ks = e.bit_xor(e.bit_and(x, e.pool_u32(kSign)), e.pool_f32(-1.0f));
  Vec k = e.select(kS, p.small, e.mul(kS, ks, e.pool_f32(-2.0f)), ks);
  Vec c = e.select(kS, p.small, e.add(kS, ks, e.pool_f32(1.0f)), e.const_f32(1.0f));
  Vec ch = e.mul(kS, c, e.pool_f32(math::kPio2HiF));
  Vec cl = e.mul(kS, c, e.pool_f32(math::kPio2LoF));
  return combine(e, ch, cl, e.mul(kS, p.v, k), e.mul(kS, p.vl, k), e.mul(kS, p.m, k), p.p);
}

// atan(x) = sign(x) atan(a): a <= 1: a + m p; a > 1: pi/2 - (v + vl + m p) with
// v = 1/a rounded, its error vl = (1 - v a) v (FMA residual; a clamped to 2^64,
// where atan is pi/2 in float32 anyway, so +inf works). NaN passes.
Vec atan_f(VecEmitter& e, const Vec& x) {
  Vec a = e.bit_and(x, e.pool_u32(kAbs));
  Mask big = e.cmp(kS, e.const_f32(1.0f), a, Cmp::kLt);  // 1 < a: false for NaN
  Vec ac = e.min(kS, e.const_f32(0x1p64f), a);             // NaN passes
  Vec rv = e.div(kS, e.const_f32(1.0f), ac);
  Vec rl = e.mul(kS, e.fnma(kS, rv, ac, e.pool_f32(1.0f)), rv);
  Vec v = e.select(kS, big, a, rv);
  PolyTerm t = atan_poly(e, v);
  Vec flip = e.keep_where(big, e.load_aligned(e.pool_u32(kSign)));
  Vec ch = e.keep_where(big, e.const_f32(math::kPio2HiF));
  Vec cl = e.keep_where(big, e.const_f32(math::kPio2LoF));
  Vec r = combine(e, ch, cl, e.bit_xor(v, flip), e.bit_xor(e.keep_where(big, rl), flip), e.bit_xor(t.m, flip), t.p);
  return e.or_and(r, x, e.pool_u32(kSign));
}

// atan2(y, x) as std::atan2: q = min/max of |x|, |y| with its error
// ql = (min - q max) / max (both scaled by 2^64 when max < 2^-64, so that the
// residual does not underflow); 0/0 -> q = 0, inf/inf -> q = 1 (ql = 0 where
// max is 0 or inf); theta = atan(q) = q + ql + m p; the result C + k theta with
// (|y| > |x|, x negative): (no, no) 0 + theta, (yes, no) pi/2 - theta,
// (no, yes) pi - theta, (yes, yes) pi/2 + theta (x's sign bit: -0 counts as
// negative), then y's sign OR-ed in; NaN in either -> NaN.
Vec atan2_f(VecEmitter& e, const Vec& y, const Vec& x) {
  Vec ay = e.bit_and(y, e.pool_u32(kAbs)), axv = e.bit_and(x, e.pool_u32(kAbs));
  Vec mn = e.min(kS, axv, ay), mx = e.max(kS, axv, ay);
  Mask tiny = e.cmp(kS, mx, e.pool_f32(0x1p-64f), Cmp::kLt);
  Vec sc = e.select(kS, tiny, e.const_f32(1.0f), e.const_f32(0x1p64f));
  mn = e.mul(kS, mn, sc);
  mx = e.mul(kS, mx, sc);
  Vec q = e.div(kS, mn, mx);
  Vec ql = e.div(kS, e.fnma(kS, q, mx, mn), mx);
  const float inf = std::numeric_limits<float>::infinity();
  Mask mx0 = e.cmp(kS, mx, e.pool_f32(0.0f), Cmp::kEq);
  q = e.zero_where(mx0, q);
  q = e.select(kS, e.cmp(kS, mn, e.pool_f32(inf), Cmp::kEq), q, e.const_f32(1.0f));
  ql = e.zero_where(e.mask_or(mx0, e.cmp(kS, mx, e.pool_f32(inf), Cmp::kEq)), ql);
  PolyTerm t = atan_poly(e, q);
  Mask swap = e.cmp(kS, axv, ay, Cmp::kLt);
  Vec xs = e.bit_and(x, e.pool_u32(kSign));
  Vec flip = e.bit_xor(xs, e.keep_where(swap, e.load_aligned(e.pool_u32(kSign))));
  Mask xneg = e.cmp(kS, e.bit_or(xs, e.pool_f32(1.0f)), e.pool_f32(0.0f), Cmp::kLt);
  Vec c = e.select(kS, xneg, e.const_f32(0.0f), e.const_f32(2.0f));
  c = e.select(kS, swap, c, e.const_f32(1.0f));
  Vec ch = e.mul(kS, c, e.pool_f32(math::kPio2HiF));
  Vec cl = e.mul(kS, c, e.pool_f32(math::kPio2LoF));
  Vec r = combine(e, ch, cl, e.bit_xor(q, flip), e.bit_xor(ql, flip), e.bit_xor(t.m, flip), t.p);
  r = e.or_and(r, y, e.pool_u32(kSign));
  return e.select(kS, e.cmp(kS, x, y, Cmp::kUnord), r, e.const_f32(std::numeric_limits<float>::quiet_NaN()));
}

}  // namespace fuze::x86::f32
