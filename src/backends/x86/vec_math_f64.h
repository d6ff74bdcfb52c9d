// The float64 helpers both halves of the x86 vector math share
// (vec_math.cpp: exp, log, pow, erf...; vec_math_trig.cpp: trigonometric,
// inverse, hyperbolic, erfc, the fmod family; at the FMA levels log, erf,
// log1p and the inverse trigonometric functions run in float32 lanes instead): constants, the per-half
// widening, and the float64 exp, log1p and erf series. Private to the x86 backend.
#pragma once

#include <array>
#include <cstdint>
#include <limits>

#include "backends/x86/vec_emitter.h"

namespace fuze::x86::f64 {

constexpr Fp kD = Fp::kF64;
constexpr Fp kS = Fp::kF32;
constexpr uint64_t kSignBit64 = 0x8000000000000000ull;
constexpr uint64_t kAbsMask64 = 0x7FFFFFFFFFFFFFFFull;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr uint64_t kQuietNan64 = 0x7FF8000000000000ull;

// f(half) on each float64 half of a float32 vector, narrowed back once.
template <class F>
Vec per_half(VecEmitter& e, const Vec& x, F f) {
  Vec lo = f(e.f32_lo_to_f64(x));
  Vec hi = f(e.f32_hi_to_f64(x));
  return e.f64_to_f32(lo, hi);
}

inline Vec const_bits64(VecEmitter& e, uint64_t bits) { return e.load_aligned(e.pool_u64(bits)); }

struct ExpParts {
  Vec q;      // expm1(r)
  Vec scale;  // 2^k
};
// y -> (expm1(r), 2^k) with y = k*ln2 + r, y clamped to [lo_clamp, hi_clamp].
ExpParts exp_parts(VecEmitter& e, const Vec& y_in, double lo_clamp, double hi_clamp);
Vec exp_d(VecEmitter& e, const Vec& y);
// log(x) for positive finite x (other lanes: garbage the callers replace).
Vec log_d(VecEmitter& e, const Vec& x);
// log1p(u) for u > -1 in float64.
Vec log1p_d(VecEmitter& e, const Vec& u);

// The Maclaurin coefficients of erf (2/sqrt(pi) (-1)^n / (n! (2n + 1))).
constexpr int kErfTerms = 61;
const std::array<double, kErfTerms>& erf_coefficients();

}  // namespace fuze::x86::f64
