// Vector-math constants shared by the x86 (asmjit) and CUDA backends, so both
// approximate exp/log/tanh/sigmoid/pow the same way. Plain constexpr tables:
// no backend headers here.
//
// Scheme (derived for fuze, see src/backends/x86/vec_math.cpp): a float32
// input is widened to float64, the function is evaluated in float64 with a
// relative error far below 2^-30, and the result is rounded once to float32.
// The float32 result is therefore within 0.5 ULP + a tiny fraction of an ULP
// of the exact value (<= 1 ULP, and the same at every ISA level), overflow,
// underflow and float32 denormal results included (float32 denormals are
// normal float64 numbers, so no FTZ/DAZ effect can occur).
//
// exp(y):  y is clamped to [-kExpClamp, kExpClamp] (exp of the bounds already
//          overflows / underflows float32; NaN passes the clamp), then
//          k = round(y / ln2) via the 1.5*2^52 shifter, r = y - k*ln2
//          (|r| <= ln2/2), expm1(r) = r*P(r) with the Taylor coefficients
//          1/(i+1)! of kExpm1Poly (truncation < 2^-42 relative),
//          exp(y) = 2^k * (1 + expm1(r)), 2^k built in the exponent bits.
// log(x):  x = m * 2^e with m in [sqrt(1/2), sqrt(2)), s = (m-1)/(m+1),
//          log(m) = 2*atanh(s) = 2s + s*s^2*Q(s^2) with Q's coefficients
//          2/(2i+3) (|s| < 0.1716, truncation < 2^-45 relative),
//          log(x) = e*ln2 + log(m).
// tanh(x): tanh(|x|) = E / (E + 2) with E = expm1(2|x|) (2|x| clamped to
//          kTanhClamp, where tanh is 1.0 in float64), sign copied from x.
// sigmoid: 1 / (1 + exp(-x)) in float64, except that x <= kSigmoidZeroBelow
//          gives +0 as the float32 formula of eager / the interpreter does
//          (there float32 exp(-x) overflows to inf).
// pow(x,e): exp(e * log|x|) with C99 pow's special cases (zeros, infinities,
//          NaN, negative bases with integer / odd exponents); ATen's special
//          exponents (0, 1, 2, 3, -2, 0.5, -0.5, -1) are exact sequences.
#pragma once

namespace fuze::math {

constexpr double kLn2 = 0.69314718055994530942;
constexpr double kLog2e = 1.44269504088896340736;
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kShifter = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
constexpr double kExpClamp = 200.0;   // |y| beyond this: float32 exp is 0 or inf anyway
constexpr double kSigmoidZeroBelow = -88.72283935546875;  // float 0xC2B17218: expf(-x) = inf
constexpr double kTanhClamp = 40.0;   // 2|x| beyond this: tanh(x) rounds to +-1 in float64

// expm1(r) ~= r * sum_i kExpm1Poly[i] * r^i, Horner from the last entry;
// kExpm1Poly[i] = 1/(i+1)!  (degree 10 in r overall).
constexpr int kExpm1PolyLen = 10;
constexpr double kExpm1Poly[kExpm1PolyLen] = {
    1.0,                       // 1/1!
    0.5,                       // 1/2!
    1.0 / 6.0,                 // 1/3!
    1.0 / 24.0,                // 1/4!
    1.0 / 120.0,               // 1/5!
    1.0 / 720.0,               // 1/6!
    1.0 / 5040.0,              // 1/7!
    1.0 / 40320.0,             // 1/8!
    1.0 / 362880.0,            // 1/9!
    1.0 / 3628800.0,           // 1/10!
};

// log(m) = 2s + s * (s^2 * sum_i kLogPoly[i] * s^(2i)), Horner from the last
// entry; kLogPoly[i] = 2/(2i+3).
constexpr int kLogPolyLen = 7;
constexpr double kLogPoly[kLogPolyLen] = {
    2.0 / 3.0, 2.0 / 5.0, 2.0 / 7.0, 2.0 / 9.0, 2.0 / 11.0, 2.0 / 13.0, 2.0 / 15.0,
};

}  // namespace fuze::math
