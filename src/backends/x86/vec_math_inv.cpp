// Inline vector math, part 3: asin, acos, atan and atan2 in float32 lanes at
// the FMA levels (avx2, avx512); SSE4.1 keeps vec_math_trig.cpp's float64
// code. Schemes and coefficients (kAtanP, kAsinR, fitted by
// tools/fit_log_atan.py): kernels/math/vec_math_coeffs.h; sweeps:
// kernels/math/ULP.md.
//
// Every function ends in the same step: C + k (v + lo), rounded once, where
// C = ch + cl is a multiple of pi/4 per lane (0 .. pi; pi/2 split hi/lo), k a
// power-of-two factor (+-1, +-2) so that k v is exact, v the leading part
// (the argument, a quotient or a square root, rounded) and lo everything
// small: the polynomial term (m p, folded in by the last FMA) and v's
// rounding error vl (an FMA residual).
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

// atan(x) = sign(x) atan(a), a = |x| (clamped to 2^64, where atan is pi/2 in
// float32 anyway, so +inf works; NaN passes), one division v = num / den:
//   a <= 1/2:      v = a / 1,              C = 0
//   1/2 < a <= 2:  v = (a - 1) / (a + 1),  C = pi/4  (|v| <= 1/3)
//   a > 2:         v = -1 / a,             C = pi/2  (|v| < 1/2)
// a - 1 is exact there (Sterbenz); den = a + 1 rounded with its error dl
// (Fast2Sum on max/min); v's error vl = (num - v den - v dl) / den, the
// residual by FMAs, the division by rcp (it only scales a term 2^-24 of v;
// den in [1, 2^64]). atan(a) = C + v + vl + m P(w), w = v^2, m = v w
// (kAtanP, fitted on [0, 1/2]); |C| >= |v| wherever C != 0.
Vec atan_f(VecEmitter& e, const Vec& x) {
  Vec a = e.bit_and(x, e.pool_u32(kAbs));
  Vec ac = e.min(kS, e.const_f32(0x1p64f), a);  // NaN passes
  Mask mid = e.cmp(kS, e.const_f32(0.5f), ac, Cmp::kLt);  // 1/2 < a (false for NaN)
  Mask big = e.cmp(kS, e.const_f32(2.0f), ac, Cmp::kLt);  // 2 < a
  Vec one = e.const_f32(1.0f);
  Vec s1 = e.add(kS, ac, one);
  Vec dl = e.sub(kS, e.min(kS, ac, one), e.sub(kS, s1, e.max(kS, ac, one)));
  Vec num = e.select(kS, mid, ac, e.sub(kS, ac, one));
  num = e.select(kS, big, num, e.const_f32(-1.0f));
  Vec den = e.select(kS, mid, one, s1);
  den = e.select(kS, big, den, ac);
  dl = e.zero_where(big, e.keep_where(mid, dl));
  Vec v = e.div(kS, num, den);
  Vec res = e.fnma(kS, v, dl, e.fnma(kS, v, den, num));
  Vec vl = e.mul(kS, res, e.rcp(den));
  Vec c = e.select(kS, mid, e.const_f32(0.0f), e.const_f32(0.5f));
  c = e.select(kS, big, c, one);
  Vec ch = e.mul(kS, c, e.pool_f32(math::kPio2HiF));  // exact: c is 0, 1/2 or 1
  Vec cl = e.mul(kS, c, e.pool_f32(math::kPio2LoF));
  PolyTerm t = atan_poly(e, v);
  Vec r = combine(e, ch, cl, v, vl, t.m, t.p);
  return e.or_and(r, x, e.pool_u32(kSign));
}

// atan2(y, x) as std::atan2. mn, mx = min, max of |x|, |y| (scaled by 2^64
// when mx < 2^-64, exact, so that the residual does not underflow; by 2^-24
// when mx > 2^100, so that mn + mx and rcp(den) stay in range: mn then loses
// bits only below 2^-102, where the result is +0 anyway); theta = atan(mn/mx)
// with one division v = num / den as in atan_f:
//   mn <= mx/2: v = mn / mx,                  cth = 0
//   else:       v = (mn - mx) / (mn + mx),    cth = pi/4  (mn - mx exact)
// with den's rounding error dl (Fast2Sum) and v's error vl by the FMA
// residual times rcp(den); 0/0 -> v = 0, inf/inf -> v = 0 with cth = pi/4
// (vl = 0 where mx is 0 or inf). The result is C + k theta with (|y| > |x|,
// x's sign bit; -0 counts as negative): (no, no) 0 + theta, (yes, no)
// pi/2 - theta, (no, yes) pi - theta, (yes, yes) pi/2 + theta; the constant
// C + k cth = f pi/2, f in {0, 1/2, 1, 3/2, 2}, is f kPio2Hi22F (exact: 22
// significant bits) plus f kPio2Lo22F; y's sign OR-ed in; NaN in either
// operand -> NaN.
Vec atan2_f(VecEmitter& e, const Vec& y, const Vec& x) {
  Vec ay = e.bit_and(y, e.pool_u32(kAbs)), axv = e.bit_and(x, e.pool_u32(kAbs));
  Vec mn = e.min(kS, axv, ay), mx = e.max(kS, axv, ay);
  Vec sc = e.select(kS, e.cmp(kS, e.const_f32(0x1p100f), mx, Cmp::kLt), e.const_f32(1.0f), e.const_f32(0x1p-24f));
  sc = e.select(kS, e.cmp(kS, mx, e.pool_f32(0x1p-64f), Cmp::kLt), sc, e.const_f32(0x1p64f));
  mn = e.mul(kS, mn, sc);
  mx = e.mul(kS, mx, sc);
  // mx/2 < mn, or inf/inf (then v = 0 below: theta = pi/4).
  const float inf = std::numeric_limits<float>::infinity();
  Mask mninf = e.cmp(kS, mn, e.pool_f32(inf), Cmp::kEq);
  Mask mid = e.mask_or(e.cmp(kS, e.mul(kS, mx, e.pool_f32(0.5f)), mn, Cmp::kLt), mninf);
  Vec s1 = e.add(kS, mn, mx);
  Vec dl = e.keep_where(mid, e.sub(kS, mn, e.sub(kS, s1, mx)));
  Vec num = e.select(kS, mid, mn, e.sub(kS, mn, mx));
  Vec den = e.select(kS, mid, mx, s1);
  Vec v = e.div(kS, num, den);
  Vec res = e.fnma(kS, v, dl, e.fnma(kS, v, den, num));
  Vec vl = e.mul(kS, res, e.rcp(den));
  Mask mx0 = e.cmp(kS, mx, e.pool_f32(0.0f), Cmp::kEq);
  v = e.zero_where(e.mask_or(mx0, mninf), v);
  vl = e.zero_where(e.mask_or(mx0, e.cmp(kS, mx, e.pool_f32(inf), Cmp::kEq)), vl);
  PolyTerm t = atan_poly(e, v);
  Mask swap = e.cmp(kS, axv, ay, Cmp::kLt);
  Vec xs = e.bit_and(x, e.pool_u32(kSign));
  Vec flip = e.bit_xor(xs, e.keep_where(swap, e.load_aligned(e.pool_u32(kSign))));
  Mask xneg = e.cmp(kS, e.bit_or(xs, e.pool_f32(1.0f)), e.pool_f32(0.0f), Cmp::kLt);
  Vec c = e.select(kS, xneg, e.const_f32(0.0f), e.const_f32(2.0f));
  c = e.select(kS, swap, c, e.const_f32(1.0f));
  c = e.add(kS, c, e.bit_xor(e.keep_where(mid, e.const_f32(0.5f)), flip));  // + k/2 where mid
  Vec ch = e.mul(kS, c, e.pool_f32(math::kPio2Hi22F));  // exact
  Vec cl = e.mul(kS, c, e.pool_f32(math::kPio2Lo22F));
  Vec r = combine(e, ch, cl, e.bit_xor(v, flip), e.bit_xor(vl, flip), e.bit_xor(t.m, flip), t.p);
  r = e.or_and(r, y, e.pool_u32(kSign));
  return e.select(kS, e.cmp(kS, x, y, Cmp::kUnord), r, e.const_f32(std::numeric_limits<float>::quiet_NaN()));
}

}  // namespace fuze::x86::f32
