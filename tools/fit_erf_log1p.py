#!/usr/bin/env python3
"""Fits the float32 erf (and log1p) coefficients of kernels/math/vec_math_coeffs.h.

Pure Python + mpmath (no numpy): weighted minimax by Lawson's iteratively
reweighted least squares (normal equations solved in mpmath at 40 digits) on a
Chebyshev grid; coefficients rounded to float32 one at a time, lowest order
first, the rest refitted after each rounding.

    python3 tools/fit_erf_log1p.py erf_small DEG T1   # erf(x) = x + x P(x^2), |x| <= T1
    python3 tools/fit_erf_log1p.py erf_large DEG T1 C  # erf(a) = 1 - exp(L(a - C)), a in [T1, 4]
    python3 tools/fit_erf_log1p.py log1p DEG           # log1p(f) = f + f^2 Q(f), f in [sqrt(1/2)-1, sqrt(2)-1]
"""
import struct
import sys

import mpmath as mp

mp.mp.dps = 40


def f32(v):
    return struct.unpack('f', struct.pack('f', float(v)))[0]


def lstsq(xs, f, w, deg):
    n = deg + 1
    A = mp.matrix(n, n)
    b = mp.matrix(n, 1)
    for x, fx, wx in zip(xs, f, w):
        p = [mp.mpf(1)]
        for _ in range(2 * deg):
            p.append(p[-1] * x)
        w2 = wx * wx
        for i in range(n):
            b[i] += w2 * fx * p[i]
            for j in range(n):
                A[i, j] += w2 * p[i + j]
    return [c for c in mp.lu_solve(A, b)]


def lawson(xs, f, w, deg, iters=60):
    lam = [mp.mpf(1)] * len(xs)
    for _ in range(iters):
        c = lstsq(xs, f, [wx * mp.sqrt(l) for wx, l in zip(w, lam)], deg)
        e = [abs(wx * (mp.polyval(c[::-1], x) - fx)) for x, fx, wx in zip(xs, f, w)]
        lam = [l * ei for l, ei in zip(lam, e)]
        s = sum(lam)
        lam = [l / s for l in lam]
    return c, max(e)


def seq_fit(xs, f, w, deg):
    fixed = []
    for i in range(deg + 1):
        resid = [fx - sum(fixed[j] * x ** j for j in range(i)) for x, fx in zip(xs, f)]
        if i == deg:
            # last coefficient: weighted least squares of a constant
            num = sum(wx * wx * r * x ** i for x, r, wx in zip(xs, resid, w))
            den = sum(wx * wx * x ** (2 * i) for x, wx in zip(xs, w))
            fixed.append(f32(num / den))
            break
        xi = [x ** i if x != 0 else mp.mpf(1) if i == 0 else mp.mpf(0) for x in xs]
        c, _ = lawson(xs, [r / q for r, q in zip(resid, xi)], [wx * q for wx, q in zip(w, xi)], deg - i)
        fixed.append(f32(c[0]))
    return fixed


def cheb(lo, hi, n):
    return [mp.mpf(lo + hi) / 2 + mp.mpf(hi - lo) / 2 * mp.cos(mp.pi * (k + mp.mpf(0.5)) / n) for k in range(n)]


def show(cf):
    for v in cf:
        print('    %sf,  // %.9g' % (float.hex(v), v))


def main():
    which, deg = sys.argv[1], int(sys.argv[2])
    if which == 'erf_small':
        t1 = float(sys.argv[3])
        xs = [x for x in cheb(0, t1, 240) if x > 1e-3]
        ss = [x * x for x in xs]
        f = [(mp.erf(x) - x) / x for x in xs]
        w = [x / mp.erf(x) for x in xs]
        cf = seq_fit(ss, f, w, deg)
        err = max(abs((x + x * mp.polyval([mp.mpf(c) for c in cf[::-1]], x * x)) / mp.erf(x) - 1)
                  for x in cheb(1e-4, t1, 2000))
        print('erf_small: erf(x) = x + x P(x^2) on [0, %g], P degree %d: relative error 2^%.2f'
              % (t1, deg, float(mp.log(err, 2))))
        show(cf)
    elif which == 'erf_large':
        t1, c0 = float(sys.argv[3]), float(sys.argv[4])
        a = cheb(t1, 4.0, 240)
        us = [x - c0 for x in a]
        f = [mp.log(mp.erfc(x)) for x in a]
        w = [mp.erfc(x) for x in a]
        cf = seq_fit(us, f, w, deg)
        err = max(abs(mp.exp(mp.polyval([mp.mpf(c) for c in cf[::-1]], x - c0)) - mp.erfc(x)) * 2 ** 24
                  for x in cheb(t1, 4.0, 2000))
        print('erf_large: erf(a) = 1 - exp(L(a - %g)) on [%g, 4], L degree %d: max abs error %.4f * 2^-24'
              % (c0, t1, deg, float(err)))
        show(cf)
    elif which == 'log1p':
        lo, hi = mp.sqrt(0.5) - 1, mp.sqrt(2) - 1
        xs = [x for x in cheb(lo, hi, 240) if abs(x) > 1e-4]
        f = [(mp.log1p(x) - x) / x ** 2 for x in xs]
        w = [x ** 2 / mp.log1p(x) for x in xs]
        cf = seq_fit(xs, f, w, deg)
        err = max(abs((x + x * x * mp.polyval([mp.mpf(c) for c in cf[::-1]], x)) / mp.log1p(x) - 1)
                  for x in cheb(lo, hi, 2001) if x != 0)
        print('log1p: log1p(f) = f + f^2 Q(f) on [sqrt(1/2)-1, sqrt(2)-1], Q degree %d: relative error 2^%.2f'
              % (deg, float(mp.log(err, 2))))
        show(cf)
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
