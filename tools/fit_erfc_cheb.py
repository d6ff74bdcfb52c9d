#!/usr/bin/env python3
"""Chebyshev coefficients of erfc's tail factor for kernels/math/vec_math_coeffs.h.

erfc(x) = exp(-x^2) * g(t) / x with t = 1/x and g(t) = x * exp(x^2) * erfc(x),
for x in [kErfcTailLo, kErfcTailHi] (t in [1/kErfcTailHi, 1/kErfcTailLo]). g is
sampled at 4*(degree) Chebyshev points of that t interval and its first
degree + 1 coefficients taken by a discrete Chebyshev transform; they are
for Clenshaw's recurrence in s = (t - mid) / half. Pure Python (math.erfc is
glibc's float64 erfc, ~1 ULP; exp(x^2) is taken with x^2 split into a double
and its exact remainder), so the reference is good to ~3e-16 relative, far
below the 2^-24 of a float32 result.

  python3 tools/fit_erfc_cheb.py [degree]
"""
import math
import sys
from fractions import Fraction

LO, HI = 2.5, 10.5


def g(t):
    x = 1.0 / t
    xx = Fraction(x) * Fraction(x)
    hi = float(xx)
    lo = float(xx - Fraction(hi))
    return x * math.erfc(x) * math.exp(hi) * (1.0 + lo)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    a, b = 1.0 / HI, 1.0 / LO
    mid, half = 0.5 * (a + b), 0.5 * (b - a)
    m = 4 * n  # interpolation nodes (more than coefficients: a least-squares-like projection)
    nodes = [math.cos(math.pi * (k + 0.5) / m) for k in range(m)]
    vals = [g(mid + half * s) for s in nodes]
    c = []
    for j in range(n + 1):
        acc = sum(v * math.cos(math.pi * j * (k + 0.5) / m) for k, v in enumerate(vals))
        c.append(2.0 * acc / m)
    c[0] *= 0.5

    def ev(s):
        b1 = b2 = 0.0
        for cj in reversed(c[1:]):
            b1, b2 = 2.0 * s * b1 - b2 + cj, b1
        return s * b1 - b2 + c[0]

    worst = 0.0
    for i in range(20001):
        x = LO + (HI - LO) * i / 20000
        t = 1.0 / x
        s = (t - mid) / half
        worst = max(worst, abs(ev(s) / g(t) - 1.0))
    print(f"// degree {n}: max relative error {worst:.3g} on [{LO}, {HI}]; mid {mid!r} half {half!r}")
    for j, cj in enumerate(c):
        print(f"    {cj!r},  // c{j}")


main()
