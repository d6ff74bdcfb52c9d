#!/usr/bin/env python3
"""Fits the float32 gelu tables of kernels/math/vec_math_coeffs.h (kGeluErf8 /
kGeluErf16: the x86 FMA levels' gelu(x) = x/2 (1 + erf(x sqrt(1/2)))).

gelu needs 1 + erf(t) only to about 2^-23 ABSOLUTE (tests/x86: 2 ULP of the
result or 2^-24 |x| + 2 ULP, the cancelling 1 + erf(t) for t < -0.5 scaled by
x/2), so erf(a), a = min(|t|, A), is one piecewise polynomial in absolute
error: k = round(a S) (S = 1/H rounded, k in 0..N-1: one vpermps index,
N = 8 for ymm, 16 for zmm), z = a - k H exactly (one fnma), erf(a) = P_k(z),
degree D, every coefficient from an N-entry table. H has few bits, so that
A = (N - 1) H is exact, and erfc(A) < 2^-25: the last interval, [A - H/2, A],
is fitted with P(0) = 1 exactly, so P(A) = 1 and gelu(-inf) = -inf * 0 = NaN
and gelu(x) = -0 from about -5.6 down, as the interpreter's float32 formula
gives.

Each P_k is a minimax fit of erf on its interval of z (the float32 S's
rounding boundaries, widened by 2^-20) in absolute error (Lawson's iteration,
coefficients rounded to float32 lowest order first, the rest refitted: the
helpers of tools/fit_erf_log1p.py). Prints the tables (coefficient j of every
k in one row) and the worst absolute error with the float32 coefficients, in
exact arithmetic and with a float32 Horner evaluation.

    python3 tools/fit_gelu.py N D     # kGeluErf8: N 8, D 6; kGeluErf16: N 16, D 5
"""
import struct
import sys

import mpmath as mp

from fit_erf_log1p import cheb, seq_fit

mp.mp.dps = 30
H = {8: 0.5703125, 16: 0.265625}  # A = 3.9921875, 3.984375


def f32(v):
    return struct.unpack('f', struct.pack('f', float(v)))[0]


def hx(v):
    m, e = float.hex(v).split('p')
    return (m.rstrip('0').rstrip('.') if '.' in m else m) + 'p' + e + 'f'


def horner32(cf, z):
    h = cf[-1]
    for v in cf[-2::-1]:
        h = f32(mp.mpf(h) * z + v)  # an FMA: one rounding
    return h


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    n, deg = int(sys.argv[1]), int(sys.argv[2])
    h = H[n]
    A = (n - 1) * h
    s = f32(1 / mp.mpf(h))
    tables = []
    worst = worst32 = 0
    for k in range(n):
        a_lo = max(mp.mpf(0), (k - mp.mpf(0.5)) / s)
        a_hi = min(mp.mpf(A), (k + mp.mpf(0.5)) / s)
        z_lo = a_lo - k * mp.mpf(h) - (2 ** -20 if k else 0)
        z_hi = a_hi - k * mp.mpf(h) + 2 ** -20
        zs = cheb(z_lo, z_hi, 12 * (deg + 1))
        f = [mp.erf(k * mp.mpf(h) + z) for z in zs]
        if k == n - 1:
            f = [mp.erf(k * mp.mpf(h) + z) for z in zs if z < 0]
        if k == n - 1:  # P(0) = 1: erf(a) - 1 = z Q(z), Q fitted in absolute error
            zs = [z for z in zs if z < 0]
            q = seq_fit(zs, [(v - 1) / z for v, z in zip(f, zs)], [abs(z) for z in zs], deg - 1)
            cf = [1.0] + q
        else:
            cf = seq_fit(zs, f, [mp.mpf(1)] * len(zs), deg)
        tables.append(cf)
        for z in cheb(z_lo, z_hi, 400):
            ex = mp.erf(k * mp.mpf(h) + z)
            worst = max(worst, abs(mp.polyval([mp.mpf(v) for v in cf[::-1]], z) - ex))
            zf = f32(z)
            worst32 = max(worst32, abs(horner32(cf, zf) - mp.erf(k * mp.mpf(h) + zf)))
    print('gelu erf: N %d, degree %d, S %s, H %s, A %g: max abs error 2^%.2f (float32 Horner, '
          'with its last rounding: 2^%.2f)' % (n, deg, float.hex(s), float.hex(h), A,
                                              float(mp.log(worst, 2)), float(mp.log(worst32, 2))))
    print('constexpr float kGeluErfA%d = %s;' % (n, hx(A)))
    print('constexpr float kGeluErfS%d = %s;' % (n, hx(s)))
    print('constexpr float kGeluErfH%d = %s;' % (n, hx(h)))
    print('constexpr int kGeluErfLen%d = %d;' % (n, deg + 1))
    print('constexpr float kGeluErf%d[kGeluErfLen%d][%d] = {' % (n, n, n))
    for j in range(deg + 1):
        print('    {' + ', '.join(hx(tables[k][j]) for k in range(n)) + '},')
    print('};')


if __name__ == '__main__':
    main()
