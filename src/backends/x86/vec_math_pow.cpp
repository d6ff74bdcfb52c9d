// Inline vector math, part 4: pow (float32 operands, C99 pow evaluated in
// float64 halves and narrowed once; ATen's special exponents 0, +-0.5, +-1, 2,
// 3, -2 by their exact sequences).
#include "backends/x86/vec_math.h"
#include "backends/x86/vec_math_f64.h"

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
