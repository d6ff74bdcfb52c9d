// Inline vector math for the x86 backend: float32 vectors in, float32 vectors
// out. exp, tanh and sigmoid run in float32 lanes (fitted polynomials, <= 1.8
// ULP measured over all 2^32 inputs with FMA), and so do erf and log1p at the
// FMA levels (<= 1.05 ULP; float64 at SSE4.1), and so do log, log2, log10,
// asin, acos, atan and atan2 (<= 0.97 ULP measured), and so does pow at the
// FMA levels (ln|x| as a float-float pair; <= 0.82 ULP measured; float64
// halves rounded once at SSE4.1) (kernels/math/vec_math_coeffs.h describes the
// schemes and holds the coefficients shared with CUDA; kernels/math/ULP.md the sweeps).
#pragma once

#include "backends/x86/vec_emitter.h"

namespace fuze::x86 {

Vec emit_exp(VecEmitter& e, const Vec& x);
Vec emit_log(VecEmitter& e, const Vec& x);
Vec emit_tanh(VecEmitter& e, const Vec& x);
Vec emit_sigmoid(VecEmitter& e, const Vec& x);
Vec emit_log2(VecEmitter& e, const Vec& x);
Vec emit_log10(VecEmitter& e, const Vec& x);
Vec emit_log1p(VecEmitter& e, const Vec& x);
Vec emit_exp2(VecEmitter& e, const Vec& x);
Vec emit_expm1(VecEmitter& e, const Vec& x);
Vec emit_softplus(VecEmitter& e, const Vec& x);
Vec emit_mish(VecEmitter& e, const Vec& x);
Vec emit_silu(VecEmitter& e, const Vec& x);
Vec emit_elu(VecEmitter& e, const Vec& x, const Vec& alpha);
Vec emit_gelu_tanh(VecEmitter& e, const Vec& x);
Vec emit_erf(VecEmitter& e, const Vec& x);
Vec emit_gelu(VecEmitter& e, const Vec& x);
// pow(x, ex) as the interpreter defines it; `const_exp` is the exponent when it
// is known at compile time (then only one path is emitted), else nullptr and
// the special exponents are selected at run time (ex is uniform).
Vec emit_pow(VecEmitter& e, const Vec& x, const Vec& ex, const float* const_exp);
// Trigonometric, inverse trigonometric and hyperbolic functions and erfc, in
// float64 halves rounded once (sin/cos/tan: |x| > 2^22 through a scalar call);
// asin, acos, atan and atan2 in float32 lanes at the FMA levels
// (vec_math_inv.cpp), and erfc (vec_math.cpp, <= 1.32 ULP measured).
Vec emit_sin(VecEmitter& e, const Vec& x);
Vec emit_cos(VecEmitter& e, const Vec& x);
Vec emit_tan(VecEmitter& e, const Vec& x);
Vec emit_asin(VecEmitter& e, const Vec& x);
Vec emit_acos(VecEmitter& e, const Vec& x);
Vec emit_atan(VecEmitter& e, const Vec& x);
Vec emit_atan2(VecEmitter& e, const Vec& y, const Vec& x);
Vec emit_sinh(VecEmitter& e, const Vec& x);
Vec emit_cosh(VecEmitter& e, const Vec& x);
Vec emit_asinh(VecEmitter& e, const Vec& x);
Vec emit_acosh(VecEmitter& e, const Vec& x);
Vec emit_atanh(VecEmitter& e, const Vec& x);
Vec emit_erfc(VecEmitter& e, const Vec& x);
// fmod, remainder and floor_divide exactly as the interpreter (bit for bit):
// fmod exact in float64 (exact while trunc(|a| / |b|) < 2^28); a vector with
// a lane whose float32 |a| / |b| is 2^27 or more (finite a, b != 0) goes
// through a scalar std::fmod call per lane.
Vec emit_fmod(VecEmitter& e, const Vec& a, const Vec& b);
Vec emit_remainder(VecEmitter& e, const Vec& a, const Vec& b);
Vec emit_floor_divide(VecEmitter& e, const Vec& a, const Vec& b);

}  // namespace fuze::x86
