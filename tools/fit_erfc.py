#!/usr/bin/env python3
"""Fits the float32 erfc tail polynomial of kernels/math/vec_math_coeffs.h
(kErfcQ: the x86 FMA levels' erfc for |x| >= kErfcSplit = 0.47).

erfc(a) = exp(-a^2) * Q(t) / (a + C), t = 1/(a + C), a in [T1, 10.06]:
Q(t) = erfcx(a) (a + C) (-> (1 + C t)/sqrt(pi) as a -> inf), a polynomial
in u = t - TM (TM a float32 near the middle of t's range whose Q(TM) is
nearest a float32, printed), fitted with
relative weight. The same method as tools/fit_erf_log1p.py (whose helpers it
imports): weighted minimax by Lawson's iteratively reweighted least squares
in mpmath on a Chebyshev grid, coefficients rounded to float32 one at a time,
lowest order first, the rest refitted after each rounding. Prints the fit's
relative error with the float32 coefficients (exact arithmetic) and with a
float32 Horner evaluation.

    python3 tools/fit_erfc.py DEG T1 C     # kErfcQ: DEG 9, T1 0.47, C 3
"""
import struct
import sys

import mpmath as mp

from fit_erf_log1p import cheb, seq_fit, show

mp.mp.dps = 40


def f32(v):
    return struct.unpack('f', struct.pack('f', float(v)))[0]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    deg, t1, c = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    hi = 10.06
    q = lambda t: mp.erfc(1 / t - c) * mp.exp((1 / t - c) ** 2) / t
    # TM: a float32 near the middle whose Q(TM) is nearest a float32 (Q's
    # constant coefficient is rounded first and alone fixes Q at u = 0).
    tm0 = f32((1 / (hi + c) + 1 / (t1 + c)) / 2)
    cands = [tm0 + k * 2.0 ** -20 for k in range(-300, 301)]
    tm = min(cands, key=lambda t: abs(q(mp.mpf(t)) - f32(q(mp.mpf(t)))) / q(mp.mpf(t)))
    ts = cheb(1 / (hi + c), 1 / (t1 + c), 240)
    f = [q(t) for t in ts]
    w = [1 / v for v in f]
    cf = seq_fit([t - tm for t in ts], f, w, deg)
    err = err32 = 0
    for t in cheb(1 / (hi + c), 1 / (t1 + c), 2000):
        ex = q(t)
        err = max(err, abs(mp.polyval([mp.mpf(v) for v in cf[::-1]], t - tm) / ex - 1))
        tf = f32(t)
        uf = f32(tf - tm)
        h = cf[-1]
        for v in cf[-2::-1]:
            h = f32(mp.mpf(h) * uf + v)
        err32 = max(err32, abs(h / q(mp.mpf(tf)) - 1))
    print('erfc tail: Q(t - %s), t = 1/(a + %g), a in [%g, %g], degree %d: relative error 2^%.2f '
          '(float32 Horner: 2^%.2f)' % (float.hex(tm), c, t1, hi, deg, float(mp.log(err, 2)), float(mp.log(err32, 2))))
    show(cf)


if __name__ == '__main__':
    main()
