// Block sums / products and extrema over float32 values (reduce_accum.h).
// Intrinsics by level: the x86-64 floor (SSE2) for the sse level, and
// functions compiled for AVX2 / AVX-512F through target attributes, called
// only when the kernel's ISA level (checked against CPUID) has them.
#include "backends/x86/reduce_accum.h"

// GCC 12's avx512fintrin.h (_mm512_undefined_*) trips -Wmaybe-uninitialized
// when its conversions inline here; the warning is a known false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace fuze::x86 {
namespace {

template <bool kMul>
double fold(double* q) {  // the spec's 8/4/2/1 fold of the 16 partials
  for (int w = kPartials / 2; w >= 1; w /= 2) {
    for (int i = 0; i < w; ++i) q[i] = kMul ? q[i] * q[i + w] : q[i] + q[i + w];
  }
  return q[0];
}

// The remainder of a block (j = from..n-1, fewer than 16 per partial) into
// the partials, then the fold.
template <bool kMul>
double finish_block(double* q, const float* x, int64_t from, int64_t n) {
  for (int64_t j = from; j < n; ++j) {
    double& p = q[j % kPartials];
    p = kMul ? p * static_cast<double>(x[j]) : p + static_cast<double>(x[j]);
  }
  return fold<kMul>(q);
}

// For equal non-NaN a and b: +0.0 beats -0.0 for max (and of the bits), -0.0
// for min (or of the bits); otherwise they are the same bits.
template <bool kMax>
float pick(float a, float b) {
  if (a > b) return kMax ? a : b;
  if (b > a) return kMax ? b : a;
  uint32_t ua, ub;
  std::memcpy(&ua, &a, 4);
  std::memcpy(&ub, &b, 4);
  const uint32_t u = kMax ? (ua & ub) : (ua | ub);
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

// Lanes of a vector accumulator (non-NaN unless *nan), then the scalar tail.
template <bool kMax>
void finish_extremum(const float* lanes, int nl, const float* x, int64_t from, int64_t n, float* best, bool* nan) {
  float b = lanes[0];
  for (int i = 1; i < nl; ++i) b = pick<kMax>(b, lanes[i]);
  for (int64_t j = from; j < n; ++j) {
    if (std::isnan(x[j])) *nan = true;
    else b = pick<kMax>(b, x[j]);
  }
  *best = b;
}

// In a vector, lane-wise: max: and(max(v, acc), max(acc, v)) is the larger,
// +0.0 over -0.0 (maxps returns its second operand on ties and NaN: NaN
// lanes make garbage, flagged separately); min: or of the two mins.

// ---- SSE2 (the sse level) ----

template <bool kMul>
double block_sse(const float* x, int64_t n) {
  const __m128d id = _mm_set1_pd(kMul ? 1.0 : 0.0);
  __m128d p[8];
  for (__m128d& v : p) v = id;
  int64_t j = 0;
  for (; j + kPartials <= n; j += kPartials) {
    for (int q = 0; q < 4; ++q) {
      const __m128 v = _mm_loadu_ps(x + j + 4 * q);
      const __m128d lo = _mm_cvtps_pd(v), hi = _mm_cvtps_pd(_mm_movehl_ps(v, v));
      if constexpr (kMul) {
        p[2 * q] = _mm_mul_pd(p[2 * q], lo);
        p[2 * q + 1] = _mm_mul_pd(p[2 * q + 1], hi);
      } else {
        p[2 * q] = _mm_add_pd(p[2 * q], lo);
        p[2 * q + 1] = _mm_add_pd(p[2 * q + 1], hi);
      }
    }
  }
  alignas(16) double q[kPartials];
  for (int i = 0; i < 8; ++i) _mm_store_pd(q + 2 * i, p[i]);
  return finish_block<kMul>(q, x, j, n);
}

template <bool kMul>
void blocks_sse(const float* x, int64_t n, double* out) {
  for (int64_t b0 = 0; b0 < n; b0 += kReduceBlock) *out++ = block_sse<kMul>(x + b0, std::min(kReduceBlock, n - b0));
}

template <bool kMax>
void extremum_sse(const float* x, int64_t n, float* best, bool* nan) {
  __m128 acc = _mm_set1_ps(*best), nv = _mm_setzero_ps();
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const __m128 v = _mm_loadu_ps(x + j);
    if constexpr (kMax) acc = _mm_and_ps(_mm_max_ps(v, acc), _mm_max_ps(acc, v));
    else acc = _mm_or_ps(_mm_min_ps(v, acc), _mm_min_ps(acc, v));
    nv = _mm_or_ps(nv, _mm_cmpunord_ps(v, v));
  }
  if (_mm_movemask_ps(nv) != 0) *nan = true;
  alignas(16) float lanes[4];
  _mm_store_ps(lanes, acc);
  finish_extremum<kMax>(lanes, 4, x, j, n, best, nan);
}

// ---- AVX2 ----

template <bool kMul>
__attribute__((target("avx2"))) double block_avx2(const float* x, int64_t n) {
  const __m256d id = _mm256_set1_pd(kMul ? 1.0 : 0.0);
  __m256d p0 = id, p1 = id, p2 = id, p3 = id;
  int64_t j = 0;
  for (; j + kPartials <= n; j += kPartials) {
    const __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(x + j)), b = _mm256_cvtps_pd(_mm_loadu_ps(x + j + 4));
    const __m256d c = _mm256_cvtps_pd(_mm_loadu_ps(x + j + 8)), d = _mm256_cvtps_pd(_mm_loadu_ps(x + j + 12));
    if constexpr (kMul) {
      p0 = _mm256_mul_pd(p0, a), p1 = _mm256_mul_pd(p1, b), p2 = _mm256_mul_pd(p2, c), p3 = _mm256_mul_pd(p3, d);
    } else {
      p0 = _mm256_add_pd(p0, a), p1 = _mm256_add_pd(p1, b), p2 = _mm256_add_pd(p2, c), p3 = _mm256_add_pd(p3, d);
    }
  }
  alignas(32) double q[kPartials];
  _mm256_store_pd(q, p0);
  _mm256_store_pd(q + 4, p1);
  _mm256_store_pd(q + 8, p2);
  _mm256_store_pd(q + 12, p3);
  return finish_block<kMul>(q, x, j, n);
}

// The spec's fold of partials 0-3, 4-7, 8-11, 12-15 in registers: w = 8:
// (0-3 op 8-11), (4-7 op 12-15); w = 4: the first op the second; w = 2, 1.
template <bool kMul>
__attribute__((target("avx2"))) double fold_avx2(__m256d p0, __m256d p1, __m256d p2, __m256d p3) {
  __m256d a, b, c;
  __m128d u;
  if constexpr (kMul) {
    a = _mm256_mul_pd(p0, p2), b = _mm256_mul_pd(p1, p3), c = _mm256_mul_pd(a, b);
    u = _mm_mul_pd(_mm256_castpd256_pd128(c), _mm256_extractf128_pd(c, 1));
    return _mm_cvtsd_f64(_mm_mul_sd(u, _mm_unpackhi_pd(u, u)));
  } else {
    a = _mm256_add_pd(p0, p2), b = _mm256_add_pd(p1, p3), c = _mm256_add_pd(a, b);
    u = _mm_add_pd(_mm256_castpd256_pd128(c), _mm256_extractf128_pd(c, 1));
    return _mm_cvtsd_f64(_mm_add_sd(u, _mm_unpackhi_pd(u, u)));
  }
}

template <bool kMul>
__attribute__((target("avx2"))) void blocks_avx2(const float* x, int64_t n, double* out) {
  const __m256d id = _mm256_set1_pd(kMul ? 1.0 : 0.0);
  int64_t b0 = 0;
  for (; b0 + kReduceBlock <= n; b0 += kReduceBlock) {
    __m256d p0 = id, p1 = id, p2 = id, p3 = id;
    for (int64_t j = b0; j < b0 + kReduceBlock; j += kPartials) {
      const __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(x + j)), b = _mm256_cvtps_pd(_mm_loadu_ps(x + j + 4));
      const __m256d c = _mm256_cvtps_pd(_mm_loadu_ps(x + j + 8)), d = _mm256_cvtps_pd(_mm_loadu_ps(x + j + 12));
      if constexpr (kMul) {
        p0 = _mm256_mul_pd(p0, a), p1 = _mm256_mul_pd(p1, b), p2 = _mm256_mul_pd(p2, c), p3 = _mm256_mul_pd(p3, d);
      } else {
        p0 = _mm256_add_pd(p0, a), p1 = _mm256_add_pd(p1, b), p2 = _mm256_add_pd(p2, c), p3 = _mm256_add_pd(p3, d);
      }
    }
    *out++ = fold_avx2<kMul>(p0, p1, p2, p3);
  }
  if (b0 < n) *out = block_avx2<kMul>(x + b0, n - b0);
}

template <bool kMax>
__attribute__((target("avx2"))) void extremum_avx2(const float* x, int64_t n, float* best, bool* nan) {
  __m256 acc = _mm256_set1_ps(*best), nv = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 v = _mm256_loadu_ps(x + j);
    if constexpr (kMax) acc = _mm256_and_ps(_mm256_max_ps(v, acc), _mm256_max_ps(acc, v));
    else acc = _mm256_or_ps(_mm256_min_ps(v, acc), _mm256_min_ps(acc, v));
    nv = _mm256_or_ps(nv, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  }
  if (_mm256_movemask_ps(nv) != 0) *nan = true;
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  finish_extremum<kMax>(lanes, 8, x, j, n, best, nan);
}

// ---- AVX-512F ----

template <bool kMul>
__attribute__((target("avx512f"))) double block_avx512(const float* x, int64_t n) {
  const __m512d id = _mm512_set1_pd(kMul ? 1.0 : 0.0);
  __m512d p0 = id, p1 = id;
  int64_t j = 0;
  for (; j + kPartials <= n; j += kPartials) {
    const __m512d a = _mm512_cvtps_pd(_mm256_loadu_ps(x + j)), b = _mm512_cvtps_pd(_mm256_loadu_ps(x + j + 8));
    if constexpr (kMul) {
      p0 = _mm512_mul_pd(p0, a), p1 = _mm512_mul_pd(p1, b);
    } else {
      p0 = _mm512_add_pd(p0, a), p1 = _mm512_add_pd(p1, b);
    }
  }
  alignas(64) double q[kPartials];
  _mm512_store_pd(q, p0);
  _mm512_store_pd(q + 8, p1);
  return finish_block<kMul>(q, x, j, n);
}

// The spec's fold of partials 0-7 (p0) and 8-15 (p1) in registers.
template <bool kMul>
__attribute__((target("avx512f"))) double fold_avx512(__m512d p0, __m512d p1) {
  if constexpr (kMul) {
    const __m512d s = _mm512_mul_pd(p0, p1);
    const __m256d t = _mm256_mul_pd(_mm512_castpd512_pd256(s), _mm512_extractf64x4_pd(s, 1));
    const __m128d u = _mm_mul_pd(_mm256_castpd256_pd128(t), _mm256_extractf128_pd(t, 1));
    return _mm_cvtsd_f64(_mm_mul_sd(u, _mm_unpackhi_pd(u, u)));
  } else {
    const __m512d s = _mm512_add_pd(p0, p1);
    const __m256d t = _mm256_add_pd(_mm512_castpd512_pd256(s), _mm512_extractf64x4_pd(s, 1));
    const __m128d u = _mm_add_pd(_mm256_castpd256_pd128(t), _mm256_extractf128_pd(t, 1));
    return _mm_cvtsd_f64(_mm_add_sd(u, _mm_unpackhi_pd(u, u)));
  }
}

// Two whole blocks at a time (four independent chains), then the rest.
template <bool kMul>
__attribute__((target("avx512f"))) void blocks_avx512(const float* x, int64_t n, double* out) {
  const __m512d id = _mm512_set1_pd(kMul ? 1.0 : 0.0);
  int64_t b0 = 0;
  for (; b0 + 2 * kReduceBlock <= n; b0 += 2 * kReduceBlock) {
    __m512d a0 = id, a1 = id, c0 = id, c1 = id;
    const float* y = x + b0;
    const float* z = x + b0 + kReduceBlock;
#pragma GCC unroll 2  // fully unrolled, GCC spills the converted loads
    for (int64_t j = 0; j < kReduceBlock; j += kPartials) {
      const __m512d ya = _mm512_cvtps_pd(_mm256_loadu_ps(y + j)), yb = _mm512_cvtps_pd(_mm256_loadu_ps(y + j + 8));
      const __m512d za = _mm512_cvtps_pd(_mm256_loadu_ps(z + j)), zb = _mm512_cvtps_pd(_mm256_loadu_ps(z + j + 8));
      if constexpr (kMul) {
        a0 = _mm512_mul_pd(a0, ya), a1 = _mm512_mul_pd(a1, yb), c0 = _mm512_mul_pd(c0, za), c1 = _mm512_mul_pd(c1, zb);
      } else {
        a0 = _mm512_add_pd(a0, ya), a1 = _mm512_add_pd(a1, yb), c0 = _mm512_add_pd(c0, za), c1 = _mm512_add_pd(c1, zb);
      }
    }
    *out++ = fold_avx512<kMul>(a0, a1);
    *out++ = fold_avx512<kMul>(c0, c1);
  }
  for (; b0 < n; b0 += kReduceBlock) *out++ = block_avx512<kMul>(x + b0, std::min(kReduceBlock, n - b0));
}

template <bool kMax>
__attribute__((target("avx512f"))) __m512 best_of_avx512(__m512 v, __m512 a) {
  if constexpr (kMax) {
    return _mm512_castsi512_ps(
        _mm512_and_epi32(_mm512_castps_si512(_mm512_max_ps(v, a)), _mm512_castps_si512(_mm512_max_ps(a, v))));
  } else {
    return _mm512_castsi512_ps(
        _mm512_or_epi32(_mm512_castps_si512(_mm512_min_ps(v, a)), _mm512_castps_si512(_mm512_min_ps(a, v))));
  }
}

// Four accumulators (independent chains) over 64 elements at a time.
template <bool kMax>
__attribute__((target("avx512f"))) void extremum_avx512(const float* x, int64_t n, float* best, bool* nan) {
  __m512 a0 = _mm512_set1_ps(*best), a1 = a0, a2 = a0, a3 = a0;
  __mmask16 nm = 0;
  int64_t j = 0;
  for (; j + 64 <= n; j += 64) {
    const __m512 v0 = _mm512_loadu_ps(x + j), v1 = _mm512_loadu_ps(x + j + 16);
    const __m512 v2 = _mm512_loadu_ps(x + j + 32), v3 = _mm512_loadu_ps(x + j + 48);
    a0 = best_of_avx512<kMax>(v0, a0);
    a1 = best_of_avx512<kMax>(v1, a1);
    a2 = best_of_avx512<kMax>(v2, a2);
    a3 = best_of_avx512<kMax>(v3, a3);
    nm = static_cast<__mmask16>(nm | _mm512_cmp_ps_mask(v0, v1, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(v2, v3, _CMP_UNORD_Q));
  }
  for (; j + 16 <= n; j += 16) {
    const __m512 v = _mm512_loadu_ps(x + j);
    a0 = best_of_avx512<kMax>(v, a0);
    nm = static_cast<__mmask16>(nm | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q));
  }
  if (nm != 0) *nan = true;
  // Non-NaN lanes (unless *nan): the rule is order-free, so fold the four.
  a0 = best_of_avx512<kMax>(best_of_avx512<kMax>(a0, a1), best_of_avx512<kMax>(a2, a3));
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, a0);
  finish_extremum<kMax>(lanes, 16, x, j, n, best, nan);
}

const AccumFns kSse{&block_sse<false>,  &block_sse<true>,    &blocks_sse<false>,
                    &blocks_sse<true>,   &extremum_sse<true>, &extremum_sse<false>};
const AccumFns kAvx2{&block_avx2<false>,  &block_avx2<true>,    &blocks_avx2<false>,
                     &blocks_avx2<true>,  &extremum_avx2<true>, &extremum_avx2<false>};
const AccumFns kAvx512{&block_avx512<false>, &block_avx512<true>,    &blocks_avx512<false>,
                       &blocks_avx512<true>, &extremum_avx512<true>, &extremum_avx512<false>};

}  // namespace

double fold_partials(double* q, bool mul) { return mul ? fold<true>(q) : fold<false>(q); }

void finish_extremum(bool max, const float* lanes, int nl, const float* x, int64_t n, float* best, bool* nan) {
  if (max) finish_extremum<true>(lanes, nl, x, 0, n, best, nan);
  else finish_extremum<false>(lanes, nl, x, 0, n, best, nan);
}

const AccumFns& accum_fns(Isa isa) {
  switch (isa) {
    case Isa::kSse41: return kSse;
    case Isa::kAvx2: return kAvx2;
    case Isa::kAvx512: return kAvx512;
  }
  return kSse;
}

namespace {
template <bool kMul>
void blocks_f64(const double* x, int64_t n, double* out) {
  for (int64_t b = 0; b * kReduceBlock < n; ++b) {
    const double* xb = x + b * kReduceBlock;
    const int64_t m = std::min<int64_t>(kReduceBlock, n - b * kReduceBlock);
    double q[kPartials];
    for (double& p : q) p = kMul ? 1.0 : 0.0;
    int64_t j = 0;
    for (; j + kPartials <= m; j += kPartials) {
      for (int i = 0; i < kPartials; ++i) q[i] = kMul ? q[i] * xb[j + i] : q[i] + xb[j + i];
    }
    for (; j < m; ++j) q[j % kPartials] = kMul ? q[j % kPartials] * xb[j] : q[j % kPartials] + xb[j];
    out[b] = fold<kMul>(q);
  }
}
}  // namespace

void sum_blocks_f64(const double* x, int64_t n, double* out) { blocks_f64<false>(x, n, out); }
void prod_blocks_f64(const double* x, int64_t n, double* out) { blocks_f64<true>(x, n, out); }

}  // namespace fuze::x86
