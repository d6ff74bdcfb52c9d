#!/usr/bin/env python3
"""Fits the float32 atan and asin/acos coefficients of kernels/math/vec_math_coeffs.h
(the x86 FMA levels' inverse trigonometric functions; log, log2 and log10 use
log1p's polynomial, tools/fit_erf_log1p.py `log1p 8`).

The same method as tools/fit_erf_log1p.py (whose helpers it imports): weighted
minimax by Lawson's iteratively reweighted least squares in mpmath on a
Chebyshev grid, coefficients rounded to float32 one at a time, lowest order
first, the rest refitted after each rounding. Weights make the error relative
to the function's value.

    python3 tools/fit_log_atan.py atan DEG   # atan(v) = v + v w P(w), w = v^2, v in [0, 1] (not used: see atan_half)
    python3 tools/fit_log_atan.py asin DEG   # asin(v) = v + v z R(z), z = v^2, v in [0, 1/2]
    python3 tools/fit_log_atan.py atan_half DEG  # atan(v) = v + v w P(w), v in [0, 1/2] (kAtanP: DEG 5)
"""
import sys

import mpmath as mp

from fit_erf_log1p import cheb, seq_fit, show

mp.mp.dps = 40


def fit_odd(fn, hi, deg, name, what):
    # fn(v) = v + v s P(s), s = v^2, relative error of fn(v) on (0, hi].
    vs = [v for v in cheb(0, hi, 240) if v > 1e-3]
    ss = [v * v for v in vs]
    f = [(fn(v) - v) / (v * s) for v, s in zip(vs, ss)]
    w = [v * s / fn(v) for v, s in zip(vs, ss)]
    cf = seq_fit(ss, f, w, deg)
    err = max(abs((v + v * v * v * mp.polyval([mp.mpf(c) for c in cf[::-1]], v * v)) / fn(v) - 1)
              for v in cheb(1e-4, hi, 2000))
    print('%s: %s, %s degree %d: relative error 2^%.2f' % (name, what, name == 'atan' and 'P' or 'R', deg,
                                                          float(mp.log(err, 2))))
    show(cf)


def main():
    which, deg = sys.argv[1], int(sys.argv[2])
    if which == 'atan':
        fit_odd(mp.atan, 1, deg, 'atan', 'atan(v) = v + v w P(w) on [0, 1]')
    elif which == 'atan_half':
        fit_odd(mp.atan, 0.5, deg, 'atan', 'atan(v) = v + v w P(w) on [0, 1/2]')
    elif which == 'asin':
        fit_odd(mp.asin, 0.5, deg, 'asin', 'asin(v) = v + v z R(z) on [0, 1/2]')
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
