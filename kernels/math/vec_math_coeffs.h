// Vector-math constants shared by the x86 (asmjit) and CUDA backends, so both
// approximate exp/log/tanh/sigmoid/pow the same way. Plain constexpr tables:
// no backend headers here.
//
// ---- float32-domain functions (exp, tanh, sigmoid) ------------------------
// Evaluated entirely in float32 lanes (no widening); every coefficient below
// was fitted for fuze by tools/fit_coeffs.py (`exp 4`, `tanh 6 0.875`; erf and
// log1p at the FMA levels, at the end of this file: tools/fit_erf_log1p.py;
// atan and asin/acos: tools/fit_log_atan.py; log, log2, log10 reuse log1p's) (weighted minimax via Lawson's
// iteratively reweighted least squares against mpmath, coefficients rounded
// to float32 one at a time with the rest refitted). Error budgets are in
// float32 ULPs of the result; the measured full-range figures (all 2^32
// inputs, tools/ulp_sweep) are in kernels/math/ULP.md: max 1.79 ULP (tanh)
// with FMA, 1.68 (sigmoid) at the SSE4.1 level.
//
// exp(y):  y clamped to [kExpLo, kExpHi] (NaN passes), k = rint(y*log2e)
//          (the 1.5*2^23 shifter; the low mantissa bits of the sum hold k),
//          r = (y - k*kLn2Hi) - k*kLn2Lo (kLn2Hi has 15 significant bits, so
//          k*kLn2Hi and the first subtraction are exact even without FMA),
//          e^r = 1 + p, p = r + r^2*Q(r) (kExpQ, |r| <= 0.35, relative error
//          2^-28.1 of the polynomial), result = (s1 + s1*p) * s2 with
//          s1 = 2^floor(k/2), s2 = 2^(k - floor(k/2)): the first product is
//          a normal float, the second rounds once into the denormal range or
//          to inf. Budget: 0.5 (final rounding) + ~0.15 (r, p) + 0.5 (the extra
//          rounding only for denormal results, of a denormal ULP).
// tanh(x): a = |x|. FMA levels (avx2, avx512): one path, tanh(a) =
//          em / (em + 2), em = e^{2a} - 1 = 2^k * p + (2^k - 1) in one FMA
//          (a clamped to kTanhClampA, tanh is 1.0f there; r = 2a - k*kLn2F
//          in one step: the k*1.9e-9 error moves tanh by < 3e-9 relative),
//          den = em + 2 held exactly as den + (em - (den - 2)), the quotient
//          from 1/den (vrcp14ps, 2^-14, at avx512; a division at avx2) with
//          one residual correction. Budget: 0.5 (final) + em's error (its
//          rounding and p's), which reaches ~1.3 ULP of tanh where em's and
//          tanh's mantissas sit at opposite ends of their binades (a < 0.55;
//          measured max 1.79 at a = 0.0625124), scaled by 2/(em + 2) for
//          larger a. SSE4.1: a < kTanhSmall: a + a*(a^2*P(a^2)) (kTanhP,
//          relative error 2^-30.3); else 1 - 2/(e^{2a} + 1), one division;
//          budget 0.5 + 2.5*2/(e^{2a}+1) <= 1.25 at the switch point
//          (a = 0.875). Sign of x OR-ed back (tanh(-0) = -0).
// sigmoid: s / (2^(k-b)*(1+p) + s) for y = -x = k*ln2 + r (the same exp core
//          with y clamped to [kSigmoidLo, kSigmoidHi]), s = 2^-b: SSE4.1 b = 1
//          (2^(k-1) stays normal up to k = 128) and a division; FMA levels
//          b = 3 (den < 2^126) and 1/den from vrcp14ps (avx512) or a division
//          (avx2). den is held exactly as sc*p + cs + c_err (cs = sc + s
//          rounded, c_err its rounding error), and the quotient gets one
//          residual correction evaluated with FMAs (SSE4.1, without FMA, sees
//          little of the residual: 1.68 ULP). +0 for x <= kSigmoidZeroBelow,
//          exactly where the interpreter's float32 exp(-x) overflows; denormal
//          results (x in (-88.72, -87.33)) within a fraction of a denormal ULP.
//
// ---- float64-internal functions (log, pow) --------------------------------
// (log, log2, log10: SSE4.1 only; the FMA levels use float32 lanes, see
// kLog2eHiF below.)
// Scheme (derived for fuze, see src/backends/x86/vec_math.cpp): a float32
// input is widened to float64, the function is evaluated in float64 with a
// relative error far below 2^-30, and the result is rounded once to float32.
// The float32 result is therefore within 0.5 ULP + a tiny fraction of an ULP
// of the exact value (<= 1 ULP, and the same at every ISA level), overflow,
// underflow and float32 denormal results included (float32 denormals are
// normal float64 numbers, so no FTZ/DAZ effect can occur).
//
// exp_d(y): (used by pow) y is clamped to [-kExpClamp, kExpClamp] (exp of the bounds already
//          overflows / underflows float32; NaN passes the clamp), then
//          k = round(y / ln2) via the 1.5*2^52 shifter, r = y - k*ln2
//          (|r| <= ln2/2), expm1(r) = r*P(r) with the Taylor coefficients
//          1/(i+1)! of kExpm1Poly (truncation < 2^-42 relative),
//          exp(y) = 2^k * (1 + expm1(r)), 2^k built in the exponent bits.
// log(x):  x = m * 2^e with m in [sqrt(1/2), sqrt(2)), s = (m-1)/(m+1),
//          log(m) = 2*atanh(s) = 2s + s*s^2*Q(s^2) with Q's coefficients
//          2/(2i+3) (|s| < 0.1716, truncation < 2^-45 relative),
//          log(x) = e*ln2 + log(m).
// log2/log10(x): ed + logm*log2e, ed*log10(2) + logm*log10e (ed exact).
// log1p(x): (SSE4.1 only; the FMA levels use float32 lanes, see kLog1pQ)
//          log(w) * (x / (w - 1)), w = 1 + x rounded (w - 1 exact), x where
//          w == 1. exp2(x) = exp_d(x * ln2). expm1 = 2^k*expm1(r) + (2^k - 1).
//          softplus = log1p(exp(x)) (SSE4.1 only; FMA levels: float32
//          lanes, see kLog1pQ); mish = x * n/(n + 2), n = u(u + 2),
//          u = exp(x) rounded to float32 (as the interpreter's expf).
// pow(x,e): exp(e * log|x|) with C99 pow's special cases (zeros, infinities,
//          NaN, negative bases with integer / odd exponents); ATen's special
//          exponents (0, 1, 2, 3, -2, 0.5, -0.5, -1) are exact sequences.
//
// ---- float64-internal: trigonometric, inverse, hyperbolic, erfc -------------
// (asin, acos, atan, atan2: SSE4.1 only; the FMA levels use float32 lanes,
// see kAtanP at the end of this file.)
// The same scheme (widen, evaluate in float64, round once); the polynomials
// are Taylor series (coefficients computed in vec_math_trig.cpp) except erfc's
// tail, a fitted Chebyshev expansion (kErfcTail, tools/fit_erfc_cheb.py).
// sin/cos/tan(x): k = rint(x * 2/pi), r = x - k*pi/2 with pi/2 =
//          kPio2C1 + kPio2C2 + kPio2C3 (C1, C2 have 31 significant bits:
//          k*C1 and k*C2 are exact for |k| < 2^22, x - k*C1 is exact, the
//          rest rounds relative to r; r's absolute error ~2^-92), |r| <=
//          pi/4 (+ the rounding of x*2/pi); sin(r) Taylor to r^15, cos(r) to
//          r^16 (truncation < 5e-17); quadrant from k's low bits; tan =
//          sin/cos or -cos/sin. |x| > kTrigVectorMax (and +-inf): the whole
//          vector through a scalar call of the float64 std:: function.
// atan(u), u >= 0: u > 1 -> pi/2 - atan(1/u); u > tan(pi/8) -> pi/4 +
//          atan((u-1)/(u+1)); then |w| <= tan(pi/8), the Taylor series
//          w - w^3/3 + ... to w^31 (truncation < 2e-14 relative).
//          asin(x) = atan(|x| / sqrt(1 - x^2)) (1 - x^2 exact), acos(x) =
//          2 atan(sqrt((1 - x) / (1 + x))), atan2 from atan(min/max) and
//          the octant.
// sinh(a) = (em + em/(em + 1)) / 2, em = expm1(|x|) (no cancellation);
//          cosh = (e + 1/e) / 2; asinh(a) = log1p(a + a^2/(1 + sqrt(1 + a^2)));
//          acosh(x) = log1p(t + sqrt(t (x + 1))), t = x - 1 (exact);
//          atanh(a) = log1p(2a / (1 - a)) / 2; signs OR-ed back.
// erfc(x): |x| < kErfcTailLo: 1 - erf(x) by the first 40 terms of erf's
//          Maclaurin series (truncation < 3e-18 there; the cancellation costs
//          < 3e-15 absolute against erfc(2.5) = 4e-4); else tail(|x|) =
//          exp(-x^2) * g(1/|x|) / |x| (|x| clamped to kErfcTailHi: erfc rounds
//          to 0 beyond 10.06), g(t) = x exp(x^2) erfc(x) by Clenshaw from
//          kErfcTail (relative error 7.5e-14), and erfc(x) = 2 - tail(|x|)
//          for x <= -kErfcTailLo. (SSE4.1 only; the FMA levels use float32
//          lanes, see kErfcQ after erf's coefficients.)
#pragma once

#include <cstdint>

namespace fuze::math {

constexpr double kLn2 = 0.69314718055994530942;
constexpr double kLog2e = 1.44269504088896340736;
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kLog10e = 0.43429448190325182765;   // 1 / ln 10
constexpr double kLog10Of2 = 0.30102999566398119521;  // log10(2)
constexpr double kShifter = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
constexpr double kExpClamp = 200.0;   // |y| beyond this: float32 exp is 0 or inf anyway
constexpr double kSigmoidZeroBelow = -88.72283935546875;  // float 0xC2B17218: expf(-x) = inf

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

// ---- float64 constants: trigonometric and erfc ----------------------------
constexpr double kTwoOverPi = 0x1.45f306dc9c883p-1;
constexpr double kPio2C1 = 0x1.921fb544p+0;           // pi/2 to 31 bits
constexpr double kPio2C2 = 0x1.0b4611a4p-34;          // the next 31 bits
constexpr double kPio2C3 = 0x1.13198a2e03707p-65;     // the rest, rounded
constexpr double kPiD = 0x1.921fb54442d18p+1;
constexpr double kPiHalfD = 0x1.921fb54442d18p+0;
constexpr double kPiQuarterD = 0x1.921fb54442d18p-1;
constexpr double kTanPi8 = 0.41421356237309503;       // sqrt(2) - 1
constexpr float kTrigVectorMax = 0x1p22f;             // |x| above: the scalar path

// sin/cos/tan, FMA levels, float32 lanes, for vectors whose every lane has
// |x| < kTrigFastMax (any other vector: the float64 code above, unchanged):
//   k = rint(x * 2/pi) (shifter), pi/2 = kPio2F1 + kPio2F2 + kPio2F3 (24
//   significant bits each, the rest ~2^-76). r1 = x - k*F1 (one FMA, exact:
//   |r1| < 1 is a multiple of 2^-24), then r1 - k*F2 as the pair r_a + c:
//   k*F2 = p_hi + p_lo exactly (FMA), r_a = r1 - p_hi with its error by
//   TwoSum, c = err + p_lo' - k*F3 (|c| ~ ulp(r_a)); r = r_a + c stays
//   accurate to ~2^-47 relative for every float32 |x| < 2^13.
//   sin(r) = r_a + (r_a^3 S(r^2) + c (1 - r^2/2)), cos(r) = (1 - r^2/2) + (r^4
//   C(r^2) + rounding errors of r^2 and 1 - r^2/2 - c r_a), each a pair (hi,
//   tail) summed once; S, C Taylor (to r^9, r^10: truncation < 2^-28 relative
//   on |r| <= pi/4, no fit needed). Quadrant from k's low bits as in float64;
//   tan = sin/cos or -cos/sin by one quotient with a residual correction on
//   the pairs (rcp14 at avx512, a division at avx2). SSE4.1: float64 only.
constexpr float kTrigFastMax = 0x1p13f;
constexpr float kTwoOverPiF = 0x1.45f306p-1f;
constexpr float kPio2F1 = 0x1.921fb6p+0f;
constexpr float kPio2F2 = -0x1.777a5cp-25f;
constexpr float kPio2F3 = -0x1.ee59dap-50f;
constexpr int kSinFLen = 4;  // sin(r) = r + r^3 * sum_i kSinF[i] r^(2i)
constexpr float kSinF[kSinFLen] = {-1.0f / 6.0f, 1.0f / 120.0f, -1.0f / 5040.0f, 1.0f / 362880.0f};
constexpr int kCosFLen = 4;  // cos(r) = 1 - r^2/2 + r^4 * sum_i kCosF[i] r^(2i)
constexpr float kCosF[kCosFLen] = {1.0f / 24.0f, -1.0f / 720.0f, 1.0f / 40320.0f, -1.0f / 3628800.0f};

// erfc(x) = exp(-x^2) * g(t) / x for x in [kErfcTailLo, kErfcTailHi], t = 1/x,
// g(t) = sum_j kErfcTail[j] T_j(s) (Chebyshev, Clenshaw), s = (t - kErfcTailMid)
// / kErfcTailHalf; `python3 tools/fit_erfc_cheb.py 12` (the first 13 coefficients of a
// discrete Chebyshev transform on 48 points): relative error 7.5e-14.
constexpr double kErfcTailLo = 2.5;
constexpr double kErfcTailHi = 10.5;
constexpr double kErfcTailMid = 0.24761904761904763;   // (1/10.5 + 1/2.5) / 2
constexpr double kErfcTailHalf = 0.1523809523809524;   // (1/2.5 - 1/10.5) / 2
constexpr int kErfcTailLen = 13;
constexpr double kErfcTail[kErfcTailLen] = {
    0.5463116044893724,       -0.017510290759245383,  -0.0019705700628340297,
    0.00018721164569247364,   -7.514323870453735e-07, -1.4394106179991633e-06,
    1.475297517529913e-07,    -2.9882495089506023e-10, -1.7722788375751364e-09,
    2.3272601901158652e-10,   -6.2540528311672006e-12, -2.7267910152062314e-12,
    5.242704418743452e-13,
};

// ---- float32 constants ----------------------------------------------------
constexpr float kLog2eF = 0x1.715476p+0f;
constexpr float kShifterF = 0x1.8p+23f;        // 1.5 * 2^23: y*log2e + this rounds to an integer
constexpr uint32_t kShifterBits = 0x4B400000u;  // its bit pattern
constexpr float kLn2HiF = 0x1.62e4p-1f;        // ln2 to 15 significant bits: k*kLn2Hi exact for |k| < 512
constexpr float kLn2LoF = 0x1.7f7d1cp-20f;     // ln2 - kLn2HiF rounded (residual 5.5e-14)
constexpr float kLn2F = 0x1.62e430p-1f;        // ln2 rounded (error 1.9e-9): tanh's one-step reduction
constexpr float kExpLo = -104.0f;              // exp below rounds to +0 (e^-104 < 2^-150)
constexpr float kExpHi = 88.75f;               // exp above overflows (k = 128, r > 0)
constexpr float kTanhSmall = 0.875f;           // |x| below: odd polynomial
constexpr float kTanhClampA = 10.0f;           // |x| above: tanh rounds to +-1 (1 - 2e^-20 > 1 - 2^-25)
constexpr float kSigmoidLo = -18.0f;           // y = -x below: 1 + e^y rounds to 1 already
constexpr float kSigmoidHi = 89.0f;            // y = -x above: the result is +0 anyway
constexpr float kSigmoidZeroBelowF = -88.72283935546875f;

// e^r = 1 + r + r^2 * Q(r), Q(r) = sum_i kExpQ[i] r^i (Horner from the last);
// fitted on [-0.35, 0.35], relative error of e^r 2^-28.15 with these floats.
constexpr int kExpQLen = 5;
constexpr float kExpQ[kExpQLen] = {
    0x1.fffffcp-2f,   // 0.49999994
    0x1.55548cp-3f,   // 0.166665167
    0x1.5558b8p-5f,   // 0.041668281
    0x1.123e56p-7f,   // 0.00836924743
    0x1.6a4d8ap-10f,  // 0.00138207583
};

// tanh(a) = a + a * (s * P(s)), s = a^2, P(s) = sum_i kTanhP[i] s^i; fitted on
// a in [0, 0.875], relative error of tanh 2^-30.3 with these floats.
constexpr int kTanhPLen = 7;
constexpr float kTanhP[kTanhPLen] = {
    -0x1.55555p-2f,   // -0.333333254
    0x1.110fa8p-3f,   // 0.133330643
    -0x1.b9da52p-5f,  // -0.053937111
    0x1.6376eep-6f,   // 0.0216958355
    -0x1.11023p-7f,   // -0.0083315596
    0x1.5b6d5ap-9f,   // 0.00265065883
    -0x1.f9b7d6p-12f, // -0.000482290372
};

// erf(x), FMA levels (avx2, avx512), float32 lanes; a = |x|, the sign of x
// OR-ed back (erf(-0) = -0, NaN stays NaN through the small-|x| path):
//   a < kErfSplit: erf(a) = a + a * P(a^2), P = kErfSmall (Horner), fitted on
//          [0, 0.875], relative error 2^-30.1 with these floats;
//   a >= kErfSplit: erf(a) = 1 - exp(L(u)), u = min(a, kErfClampA) - kErfSplit
//          (exact), L = kErfLarge ~ log(erfc(a)) (Horner), fitted with weight
//          erfc(a) on [0.875, 4]: |exp(L) - erfc| < 0.15 * 2^-24 with these
//          floats (mostly the float32 rounding of L(0) = log erfc(0.875)).
//          exp(L) = 2^k (1 + p) by the exp core (kExpQ), rounded once by an
//          FMA, then one subtraction from 1. erf(4) rounds to 1.0f, so the
//          clamp also gives +-1 for |x| >= 4 and +-inf.
// `python3 tools/fit_erf_log1p.py erf_small 6 0.875` and
// `erf_large 8 0.875 0.875`. The SSE4.1 level keeps the float64 series.
constexpr float kErfSplit = 0.875f;
constexpr float kErfClampA = 4.0f;
constexpr int kErfSmallLen = 7;
constexpr float kErfSmall[kErfSmallLen] = {
    0x1.06eba8p-3f,   // 0.128379166
    -0x1.81274p-2f,   // -0.376126289
    0x1.ce2d5ap-4f,   // 0.112836219
    -0x1.b7ff38p-6f,  // -0.0268552825
    0x1.542c6ap-8f,   // 0.00519063557
    -0x1.a491cp-11f,  // -0.000802172348
    0x1.48ed7cp-14f,  // 7.84224685e-05
};
constexpr int kErfLargeLen = 9;
constexpr float kErfLarge[kErfLargeLen] = {
    -0x1.88672ep+0f,  // -1.5328244
    -0x1.371198p+1f,  // -2.43022442
    -0x1.a72514p-1f,  // -0.826454759
    -0x1.84e47p-5f,   // -0.0474722087
    0x1.ad1198p-7f,   // 0.0130941384
    -0x1.44949ap-8f,  // -0.004952705
    0x1.506p-9f,      // 0.00256633759
    -0x1.f457a8p-11f, // -0.000954327406
    0x1.3a557ap-13f,  // 0.00014988608
};

// erfc(x), FMA levels (avx2, avx512), float32 lanes; a = |x|:
//   a < kErfcSplit: erfc(x) = 1 + y + y P(y^2), y = -x, P = kErfSmall
//          (erf's small-|x| polynomial, fitted on [0, 0.875]): h = 1 + y
//          with its exact rounding error (Fast2Sum), result
//          h + fma(y, P, error), one final rounding.
//   a >= kErfcSplit: erfc(a) = exp(-a^2) Q(t - kErfcTm) / (a + kErfcC),
//          t = 1/(a + kErfcC), a clamped to kErfcTailHiF. Every rounding but
//          the last carried as a low part: a^2 = hi + lo (FMA); exp(-hi) =
//          2^k (1 + p), p = r + r^2 kExpQ(r) (exp's reduction) with p's
//          rounding error; a + kErfcC = d + d_lo (TwoSum); t and the
//          quotient by residual-corrected divisions by d + d_lo; Q's last
//          Horner step as an exact pair qq + qq_lo, t's and u's errors du
//          added as Q'(u) du (Q' from kErfcQ[1..4]); 2^k applied last as
//          2^(k+64) * 2^-64 (one rounding into the denormals). Q = kErfcQ
//          (Horner in u = t - kErfcTm), fitted by `python3 tools/fit_erfc.py
//          9 0.47 3`: relative error 2^-29.16 with these floats.
//          a >= kErfcZeroF -> 0 (glibc's erfcf, the interpreter, is 0 from
//          there; the rounded value is the smallest denormal up to 10.0541945).
//   x <= -kErfcSplit: 2 - erfc(a). NaN -> NaN, +inf -> 0, -inf -> 2.
//   Measured: 1.3131 ULP over all 2^32 inputs (ULP.md). The SSE4.1 level
//   keeps the float64 code (kErfcTail above).
constexpr float kErfcC = 3.0f;
constexpr float kErfcSplit = 0.47f;            // erfc(0.47) = 0.506: small-path results >= 1/2
constexpr float kErfcTm = 0x1.753d1ap-3f;      // 0.182244301
constexpr float kErfcTailHiF = 0x1.41eb86p+3f;  // 10.06
constexpr float kErfcZeroF = 0x1.419d74p+3f;    // 10.0504704: erfcf is 0 from here
constexpr int kErfcQLen = 10;
constexpr float kErfcQ[kErfcQLen] = {
    0x1.2978d4p+0f,   // 1.16199994
    0x1.80df7ap+2f,   // 6.01363993
    0x1.89da5p+4f,    // 24.615799
    0x1.34db94p+6f,   // 77.2144318
    0x1.55acc4p+7f,   // 170.837433
    0x1.8d835ap+7f,   // 198.756546
    -0x1.36648ap+7f,  // -155.196365
    -0x1.cfbf54p+9f,  // -927.494751
    -0x1.76dc82p+8f,  // -374.861359
    0x1.750d1ep+11f,  // 2984.40991
};

// log1p(x), FMA levels, float32 lanes: u = 1 + x rounded, c = x - (u - 1)
// its rounding error (exact for u < 2^24; beyond, off by at most an ULP of u,
// < 2^-23 relative, against a result > 16.6), u = 2^e m with m in
// [sqrt(1/2), sqrt(2)) by integer operations on u's bits, f = m - 1 (exact),
// log1p(x) = e ln2 + log1p(f) + c/u with log1p(f) = f + f^2 Q(f) (kLog1pQ,
// Horner, fitted on [sqrt(1/2) - 1, sqrt(2) - 1], relative error 2^-27.8 with
// these floats), c/u = c'/m = c' - c' f rcp(m), c' = c 2^-e (rcp's 2^-12
// only scales c' f / m; tiny x: f = 0 and the result is c' = x),
// hi = e*kLn2HiF + f as a Fast2Sum pair (|e ln2| >= |f| whenever e != 0),
// everything small summed into lo, result hi + lo. Specials by selects:
// x == -1 -> -inf, x < -1 -> NaN, +inf and NaN -> x, +-0 -> x.
// `python3 tools/fit_erf_log1p.py log1p 8`. SSE4.1 keeps the float64 path.
// log, log2, log10, FMA levels, float32 lanes (vec_math.cpp log_f): x < 2^-126
// scaled by 2^23 (e - 23), x = 2^e m with m in [sqrt(1/2), sqrt(2)) by integer
// operations, f = m - 1 (exact), log(m) = f + f^2 Q(f) with log1p's kLog1pQ
// (below; relative error 2^-27.8).
//   log:   hi = e*kLn2HiF + f (exact product, Fast2Sum error err),
//          lo = e*kLn2LoF + err + f^2 Q(f) (the last by one FMA), hi + lo.
//   log2/log10: c = log2(e) or log10(e) split hi/lo, eb = e or
//          e*kLog10Of2HiF (exact), ph + pl = f*chi exactly (FMA), hi = eb + ph
//          (Fast2Sum, |eb| >= 0.3 > |ph| unless e = 0), lo = pl + err +
//          e*kLog10Of2LoF + f*clo + (f (f chi)) Q(f), hi + lo: powers of two
//          give exact integers in log2.
// Specials by selects: +-0 -> -inf, < 0 -> NaN, +inf and NaN -> x.
constexpr float kLog2eHiF = 0x1.715476p+0f;    // log2(e) rounded
constexpr float kLog2eLoF = 0x1.4ae0cp-26f;    // log2(e) - kLog2eHiF rounded (residual 4.2e-16)
constexpr float kLog10eHiF = 0x1.bcb7b2p-2f;   // log10(e) rounded
constexpr float kLog10eLoF = -0x1.5b235ep-27f; // log10(e) - kLog10eHiF rounded (residual 1.0e-16)
constexpr float kLog10Of2HiF = 0x1.3442p-2f;   // log10(2) to 16 significant bits: e*hi exact for |e| < 256
constexpr float kLog10Of2LoF = -0x1.95ec1p-19f;// log10(2) - kLog10Of2HiF rounded (residual 8.5e-14)
//
// softplus(x), FMA levels, float32 lanes (no new coefficients): x > 20 -> x;
// otherwise max(x, 0) + log(1 + u), u = e^a, a = max(-|x|, -87) = k ln2 + r,
// u = 2^k (1 + p) by the shared exp core (Estrin). 1 + u is held as w + lo:
// w = fma(2^k, p, 1 + 2^k) rounded, lo = its rounding error plus that of
// 1 + 2^k (both exact by Sterbenz / Fast2Sum, sc p added by an FMA).
// log(w) for w in [1, 2] as in log1p (w = 2^e m, f = m - 1, kLog1pQ, e ln2hi +
// f a Fast2Sum pair), plus lo/w = lo - lo (w - 1) rcp(w). max(x, 0) + hi by
// Fast2Sum (both >= 0), every small term added last. x < -87 (and -inf):
// e^x in float64 halves, rounded once (vectors with no such lane skip it).
constexpr int kLog1pQLen = 9;
constexpr float kLog1pQ[kLog1pQLen] = {
    -0x1.fffff8p-2f,  // -0.499999881
    0x1.55555p-2f,    // 0.333333254
    -0x1.000432p-2f,  // -0.250016004
    0x1.99a416p-3f,   // 0.20002
    -0x1.5425cp-3f,   // -0.166087627
    0x1.226e6ep-3f,   // 0.14181219
    -0x1.0f405p-3f,   // -0.132446885
    0x1.085db6p-3f,   // 0.129084989
    -0x1.383b7ep-4f,  // -0.0762286112
};

// asin, acos, atan, atan2, FMA levels (avx2, avx512), float32 lanes
// (src/backends/x86/vec_math_inv.cpp); SSE4.1 keeps the float64 code.
// Every result is C + k (v + lo) rounded once: C = kPio2HiF + kPio2LoF times
// 0, 1 or 2 per lane, k = +-1 or +-2 (k v exact), v the leading term, lo the
// polynomial term plus v's rounding error (FMA residual); C + k v as a
// Fast2Sum pair (|C| >= |k v| wherever C != 0).
//   atan(x): a = |x| (clamped to 2^64), one division v = num / den:
//          a <= 1/2: v = a; 1/2 < a <= 2: v = (a - 1) / (a + 1) (a - 1 exact,
//          a + 1 with its rounding error), C = pi/4; a > 2: v = -1/a, C = pi/2;
//          v's error (num - v den - v dl) rcp(den) (FMA residual);
//          atan(v) = v + v w P(w), w = v^2, |v| <= 1/2 (kAtanP, fitted on
//          [0, 1/2], relative error 2^-31.7 with these floats); sign of x
//          OR-ed back.
//   atan2(y, x): mn, mx = min, max of |x|, |y| (scaled by 2^64 when
//          mx < 2^-64, by 2^-24 when mx > 2^100); mn <= mx/2: v = mn / mx,
//          else v = (mn - mx) / (mn + mx) (+ pi/4), v's error as in atan;
//          0/0 -> 0, inf/inf -> pi/4; (|y| > |x|, x's sign bit) pick
//          0 + theta, pi/2 - theta, pi - theta or pi/2 + theta, the constant
//          f pi/2 (f in {0, 1/2, 1, 3/2, 2}) as f kPio2Hi22F (exact) +
//          f kPio2Lo22F; y's sign OR-ed in; NaN in either operand -> NaN.
//   asin(x): a = |x|; a <= 1/2: v = a, asin = v + v z R(z), z = a^2 (kAsinR,
//          fitted on [0, 1/2], relative error 2^-31.6 with these floats);
//          a > 1/2: z = (1 - a)/2 (exact), v = sqrt(z) rounded, error
//          (z - v^2) / (2v) (rcp: it scales a term 2^-24 of v), asin(a) =
//          pi/2 - 2 (v + v z R(z) + error); sign of x OR-ed back.
//   acos(x): the same pieces: |x| <= 1/2: pi/2 - asin(x); x > 1/2:
//          2 asin(sqrt((1 - x)/2)); x < -1/2: pi - 2 asin(sqrt((1 + x)/2)).
// `python3 tools/fit_log_atan.py atan_half 5` and `asin 5`.
constexpr float kPio2HiF = 0x1.921fb6p+0f;     // pi/2 rounded
constexpr float kPio2LoF = -0x1.777a5cp-25f;   // pi/2 - kPio2HiF rounded (residual 1.7e-15)
constexpr float kPio2Hi22F = 0x1.921fb8p+0f;   // pi/2 to 22 significant bits: 3/2 times it is exact (atan2)
constexpr float kPio2Lo22F = -0x1.5dde98p-23f; // pi/2 - kPio2Hi22F rounded (residual 5.4e-15)
constexpr int kAtanPLen = 6;
constexpr float kAtanP[kAtanPLen] = {
    -0x1.555552p-2f,  // -0.333333284
    0x1.999744p-3f,   // 0.199995548
    -0x1.24503p-3f,   // -0.142731071
    0x1.c07268p-4f,   // 0.109484106
    -0x1.480d4p-4f,   // -0.0800907612
    0x1.3fd554p-5f,   // 0.0390421525
};
constexpr int kAsinRLen = 6;
constexpr float kAsinR[kAsinRLen] = {
    0x1.55554cp-3f,   // 0.166666597
    0x1.3338acp-4f,   // 0.0750052184
    0x1.6ca744p-5f,   // 0.0445133522
    0x1.04d452p-5f,   // 0.0318395235
    0x1.d4fb38p-7f,   // 0.0143121742
    0x1.34da84p-5f,   // 0.0377018526
};

// pow(x, y) at the x86 FMA levels (avx2, avx512) in float32 lanes (SSE4.1:
// float64 halves): |x| = 2^e m, m in [sqrt(1/2), sqrt(2)) (denormals scaled
// by 2^23 first), s = (m - 1)/(m + 1) as a pair sh + sl (one division and
// an FMA residual), |s| <= 0.1716, z = sh^2:
//   ln(m) = 2 atanh(s) = 2s + (2/3) s^3 + s^5 G(z)   (G: kPowLogG, degree 2)
// with 2/3 as the pair kPowTwoThirdsHi + kPowTwoThirdsLo, the s^3 and
// (2/3 + z G) products carried as FMA pairs, e*ln2 + 2sh + (2/3)s^3 summed
// by two Fast2Sums: ln|x| = hi + lo with relative error ~2^-35, y*ln|x| =
// zh + zl exactly by one FMA (plus y*lo), then e^(zh + zl) by exp's
// reduction and kExpQ with zl folded into r. G fitted by tools/fit_pow.py
// (`2`: weight z^2; G's error alone 2^-36.8 relative of ln(m), 2^-36.0 with
// a float32 Horner evaluation).
constexpr int kPowLogGLen = 3;
constexpr float kPowLogG[kPowLogGLen] = {
    0x1.999a00p-2f,  // 0.400001526
    0x1.245280p-2f,  // 0.285470963
    0x1.dfa106p-3f,  // 0.234193847
};
constexpr float kPowTwoThirdsHi = 0x1.555556p-1f;   // 2/3 rounded
constexpr float kPowTwoThirdsLo = -0x1.555556p-26f; // 2/3 - kPowTwoThirdsHi rounded
// gelu(x) = x/2 (1 + erf(t)), t = x sqrt(1/2), at the FMA levels (emit_gelu):
// 1 + erf(t) is needed only to about 2^-23 absolute (tests/x86: 2 ULP of the
// result or 2^-24 |x| + 2 ULP, the cancelling 1 + erf(t) for t < -0.5
// scaled by x/2), so erf(a), a = min(|t|, A = (N - 1) H), is one piecewise
// polynomial in absolute error: k = round(a S), S = 1/H rounded (the low bits
// of a S + 1.5 * 2^23: one vpermps index, N = 8 intervals for ymm, 16 for
// zmm), z = a - k H (one fnma, exact), erf(a) = P_k(z) = sum_j
// kGeluErfN[j][k] z^j, each coefficient row one N-entry vpermps table;
// 1 + erf(t) = 1 + (P | sign of t). erfc(A) < 2^-25 and P_{N-1}(0) = 1
// exactly: P(A) = 1, so gelu(-inf) = -inf * 0 = NaN and gelu(x) = -0 from
// about -5.6 down, as the interpreter's float32 formula gives.
// `python3 tools/fit_gelu.py 8 6` and `16 5`:
//   gelu erf: N 8, degree 6, S 0x1.c0e0700000000p+0, H 0x1.2400000000000p-1, A 3.99219: max abs error 2^-25.17 (float32 Horner, with its last rounding: 2^-24.06)
//   gelu erf: N 16, degree 5, S 0x1.e1e1e20000000p+1, H 0x1.1000000000000p-2, A 3.98438: max abs error 2^-25.03 (float32 Horner, with its last rounding: 2^-24.07)
constexpr float kGeluErfA8 = 0x1.ffp+1f;
constexpr float kGeluErfS8 = 0x1.c0e07p+0f;
constexpr float kGeluErfH8 = 0x1.24p-1f;
constexpr int kGeluErfLen8 = 7;
constexpr float kGeluErf8[kGeluErfLen8][8] = {
    {-0x1.d8fb8cp-32f, 0x1.28ff02p-1f, 0x1.c95b46p-1f, 0x1.f80ba2p-1f, 0x1.ff5b9p-1f, 0x1.fff8c6p-1f, 0x1.ffffd4p-1f, 0x1p+0f},
    {0x1.20dd78p+0f, 0x1.a151b2p-1f, 0x1.3a93c6p-2f, 0x1.eeea26p-5f, 0x1.9646f4p-8f, 0x1.5c0fcep-12f, 0x1.37230ep-17f, 0x1.1d1be6p-18f},
    {-0x1.50bfd6p-17f, -0x1.dc00ap-2f, -0x1.66d102p-2f, -0x1.a7639p-4f, -0x1.cf7708p-7f, -0x1.f045ecp-11f, -0x1.f73878p-16f, 0x1.5f1e4ap-13f},
    {-0x1.80f0c2p-2f, -0x1.8529dap-4f, 0x1.4fe438p-3f, 0x1.908e1cp-4f, 0x1.3e8a54p-6f, 0x1.b9f4cp-10f, 0x1.222bcp-14f, 0x1.49500cp-9f},
    {-0x1.0be292p-9f, 0x1.749b1ep-3f, 0x1.7e0c2ep-6f, -0x1.92c006p-5f, -0x1.1d56d8p-6f, -0x1.11e8dcp-9f, -0x1.57097p-13f, 0x1.16119p-6f},
    {0x1.f88856p-4f, -0x1.7ba05ep-7f, -0x1.e0593ap-5f, 0x1.cc96ep-9f, 0x1.499b5ap-7f, 0x1.0025acp-9f, 0x1.19166cp-13f, 0x1.b15a08p-5f},
    {-0x1.ad6a7cp-6f, -0x1.6cf7b4p-5f, 0x1.f80eb6p-7f, 0x1.5b7b94p-7f, -0x1.ae66a4p-9f, -0x1.49c6aap-10f, 0x1.58e8f2p-12f, 0x1.fa5c08p-5f},
};
constexpr float kGeluErfA16 = 0x1.fep+1f;
constexpr float kGeluErfS16 = 0x1.e1e1e2p+1f;
constexpr float kGeluErfH16 = 0x1.1p-2f;
constexpr int kGeluErfLen16 = 6;
constexpr float kGeluErf16[kGeluErfLen16][16] = {
    {0x1.247e86p-35f, 0x1.2bd9dap-2f, 0x1.1855a6p-1f, 0x1.7b0058p-1f, 0x1.bbef1p-1f, 0x1.e11a3ep-1f, 0x1.f39bc2p-1f, 0x1.fb9f6p-1f, 0x1.fea422p-1f, 0x1.ffa14ap-1f, 0x1.ffe96ap-1f, 0x1.fffb4ap-1f, 0x1.ffff24p-1f, 0x1.ffffdep-1f, 0x1.fffffcp-1f, 0x1p+0f},
    {0x1.20dd74p+0f, 0x1.0d2fa6p+0f, 0x1.b3aafcp-1f, 0x1.32281ep-1f, 0x1.75a91ap-2f, 0x1.8c0732p-3f, 0x1.6c7e64p-4f, 0x1.2351c2p-5f, 0x1.94624ep-7f, 0x1.e77448p-9f, 0x1.fe41cep-11f, 0x1.cfd4a6p-13f, 0x1.6e2368p-15f, 0x1.f5f7d8p-18f, 0x1.2acee2p-20f, 0x1.c0213p-18f},
    {0x1.3b92f8p-18f, -0x1.1dff64p-2f, -0x1.cee40cp-2f, -0x1.e7f092p-2f, -0x1.8d04f6p-2f, -0x1.06fbdcp-2f, -0x1.22746p-3f, -0x1.0ee0e2p-4f, -0x1.adc06p-6f, -0x1.23a0ep-7f, -0x1.51f97ap-9f, -0x1.51d4aep-11f, -0x1.1dab3ep-13f, -0x1.46369ap-15f, -0x1.05ab1ep-16f, 0x1.9b3b92p-12f},
    {-0x1.81466cp-2f, -0x1.344546p-2f, -0x1.fa0132p-4f, 0x1.b8dfep-5f, 0x1.395472p-3f, 0x1.4db2e2p-3f, 0x1.efba54p-4f, 0x1.1f2cc8p-4f, 0x1.0ea52ap-5f, 0x1.a7af8ep-7f, 0x1.16bfcep-8f, 0x1.36a54p-10f, 0x1.26b612p-12f, 0x1.ddc80ep-15f, 0x1.4bcd3p-17f, 0x1.0f20ecp-7f},
    {0x1.455144p-10f, 0x1.0d9becp-3f, 0x1.7566a6p-3f, 0x1.18e78cp-3f, 0x1.8cb03cp-5f, -0x1.6efacp-6f, -0x1.90cf74p-5f, -0x1.5beb88p-5f, -0x1.ab211ep-6f, -0x1.8a3cdap-7f, -0x1.54ba4p-8f, -0x1.adb83ep-10f, -0x1.2c058cp-11f, 0x1.534bdep-11f, 0x1.4aa504p-11f, 0x1.236bd2p-4f},
    {0x1.ba1e62p-4f, 0x1.378808p-4f, -0x1.d7392ap-10f, -0x1.e6e06ap-5f, -0x1.0e8562p-4f, -0x1.2e3baap-5f, -0x1.51a31cp-8f, 0x1.657c1ap-7f, 0x1.97cbbep-7f, 0x1.08738cp-7f, 0x1.f5c61cp-9f, 0x1.76738ep-10f, 0x1.c65992p-12f, 0x1.c8315p-14f, 0x1.7f45dep-16f, 0x1.b6b8bp-3f},
};

}  // namespace fuze::math
