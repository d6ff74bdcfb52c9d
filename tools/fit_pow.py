#!/usr/bin/env python3
"""Fits the float32 log polynomial of the x86 FMA levels' pow
(kPowLogG in kernels/math/vec_math_coeffs.h).

ln(m) for m in [sqrt(1/2), sqrt(2)) as 2 atanh(s), s = (m - 1)/(m + 1),
|s| <= 0.17158, z = s^2 <= 0.029438:
  ln(m) = 2s + (2/3) s^3 + s^5 G(z),  G(z) = sum_k 2/(2k + 5) z^k (exact),
fitted by a polynomial of degree DEG in z with weight z^2 (the error s^5 dG
relative to ln(m) ~ 2s is z^2 dG / 2). The same method as
tools/fit_erf_log1p.py (whose helpers it imports): weighted minimax by
Lawson's iteratively reweighted least squares in mpmath on a Chebyshev grid,
coefficients rounded to float32 one at a time, lowest order first, the rest
refitted after each rounding. Prints the relative error of ln(m) that G's
approximation alone leaves (exact arithmetic, float32 coefficients) and with
a float32 Horner evaluation of G, and 2/3 as a float32 pair.

    python3 tools/fit_pow.py DEG      # kPowLogG: DEG 2
"""
import sys

import mpmath as mp

from fit_erf_log1p import cheb, f32, seq_fit, show

mp.mp.dps = 40
ZMAX = ((mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)) ** 2


def g_exact(z):
    return mp.fsum(mp.mpf(2) / (2 * k + 5) * z ** k for k in range(40))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    deg = int(sys.argv[1])
    zs = cheb(0, ZMAX, 200)
    f = [g_exact(z) for z in zs]
    w = [z * z for z in zs]
    cf = seq_fit(zs, f, w, deg)
    err = err32 = 0
    for z in cheb(0, ZMAX, 2000):
        s = mp.sqrt(z)
        ln = 2 * mp.atanh(s)
        ex = g_exact(z)
        err = max(err, abs(s ** 5 * (mp.polyval([mp.mpf(v) for v in cf[::-1]], z) - ex) / ln))
        zf = f32(z)
        h = cf[-1]
        for v in cf[-2::-1]:
            h = f32(mp.mpf(h) * zf + v)
        err32 = max(err32, abs(s ** 5 * (h - ex) / ln))
    print('pow log: G(z), z = s^2 in [0, %.6f], degree %d: relative error of ln(m) 2^%.2f '
          '(float32 Horner of G: 2^%.2f)' % (ZMAX, deg, float(mp.log(err, 2)), float(mp.log(err32, 2))))
    show(cf)
    hi = f32(mp.mpf(2) / 3)
    print('2/3 = %sf + %sf' % (float.hex(hi), float.hex(f32(mp.mpf(2) / 3 - hi))))


if __name__ == '__main__':
    main()
