#!/usr/bin/env python3
"""Fits the float32 polynomial coefficients of kernels/math/vec_math_coeffs.h.

Weighted minimax (relative error of the whole function, not of the polynomial
alone) by Lawson's iteratively reweighted least squares on a Chebyshev-like
grid, reference values from mpmath at 40 digits. Coefficients are rounded to
float32 one at a time, lowest order first, refitting the remaining ones after
each rounding (recovers most of what plain rounding loses).

    python3 tools/fit_coeffs.py exp 4          # e^r = 1 + r + r^2 Q(r), |r| <= 0.35
    python3 tools/fit_coeffs.py tanh 6 0.875   # tanh(a) = a + a^3 P(a^2), a in [0, 0.875]

Needs numpy and mpmath (pip install numpy mpmath in a venv).
"""
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40


def f32(v):
    return float(np.float32(v))


def lawson(xs, f, w, deg, iters=400):
    """min over P of degree deg of max |w * (P(xs) - f)| (monomial basis)."""
    V = np.vander(xs, deg + 1, increasing=True)
    lam = np.ones(len(xs)) / len(xs)
    for _ in range(iters):
        A = V * (w * np.sqrt(lam))[:, None]
        b = f * w * np.sqrt(lam)
        c, *_ = np.linalg.lstsq(A, b, rcond=None)
        e = np.abs(w * (V @ c - f))
        lam = lam * e
        lam /= lam.sum()
    return c, e.max()


def seq_fit(xs, f, w, deg):
    fixed = []
    V = np.vander(xs, deg + 1, increasing=True)
    for i in range(deg + 1):
        resid = f - (V[:, :i] @ np.array(fixed) if i else 0)
        xi = xs ** i
        c, _ = lawson(xs, resid / xi, w * xi, deg - i)
        fixed.append(f32(c[0]))
    return fixed


def report(name, cf, xs, exact_rel):
    e = max(exact_rel(x, cf) for x in xs[::3])
    print('%s: relative error 2^%.2f' % (name, np.log2(e)))
    for v in cf:
        print('    %sf,  // %.9g' % (float.hex(v).replace('0000000p', 'p').rstrip('0'), v))


def main():
    which, deg = sys.argv[1], int(sys.argv[2])
    if which == 'exp':
        lo, hi = -0.35, 0.35
        xs = np.cos(np.linspace(0, np.pi, 3000)) * (hi - lo) / 2
        xs = xs[np.abs(xs) > 1e-6]
        f = np.array([float((mp.exp(mp.mpf(x)) - 1 - mp.mpf(x)) / mp.mpf(x) ** 2) for x in xs])
        w = np.array([float(mp.mpf(x) ** 2 / mp.exp(mp.mpf(x))) for x in xs])
        cf = seq_fit(xs, f, w, deg)
        rel = lambda x, c: abs(float((1 + mp.mpf(x) + mp.mpf(x) ** 2 * sum(
            mp.mpf(c[i]) * mp.mpf(x) ** i for i in range(len(c)))) / mp.exp(mp.mpf(x)) - 1))
        report('exp: e^r = 1 + r + r^2 Q(r) on [-0.35, 0.35], Q degree %d' % deg, cf, xs, rel)
    elif which == 'tanh':
        chi = float(sys.argv[3])
        a = (np.cos(np.linspace(0, np.pi, 3000)) + 1) / 2 * chi
        a = a[a > 1e-4]
        f = np.array([float((mp.tanh(mp.mpf(x)) - mp.mpf(x)) / mp.mpf(x) ** 3) for x in a])
        w = np.array([float(mp.mpf(x) ** 3 / mp.tanh(mp.mpf(x))) for x in a])
        cf = seq_fit(a * a, f, w, deg)
        rel = lambda x, c: abs(float((mp.mpf(x) + mp.mpf(x) ** 3 * sum(
            mp.mpf(c[i]) * mp.mpf(x) ** (2 * i) for i in range(len(c)))) / mp.tanh(mp.mpf(x)) - 1))
        report('tanh: a + a^3 P(a^2) on [0, %g], P degree %d' % (chi, deg), cf, a, rel)
    else:
        sys.exit('usage: fit_coeffs.py exp DEG | tanh DEG A_MAX')


if __name__ == '__main__':
    main()
