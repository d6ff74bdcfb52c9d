// The accumulation half of x86's row reductions: float32 values (a reduce
// op's operand, already computed by a pass kernel or read straight from an
// f32 input) folded in exactly the interpreter's order
// (src/backends/interp/interp_reduce.h is the spec):
//   - sum / prod: one double per block of 256 elements from 16 partials
//     p[j % 16] (exact conversion float -> double, partials from the
//     identity, then the 8/4/2/1 fold), blocks combined by the binary counter;
//   - amax / amin: order-free, so any lane order (NaN wins, +0.0 > -0.0).
// Vectorized with SSE2 (the x86-64 floor), AVX2 or AVX-512 intrinsics by
// ISA level: the lanes are the 16 partials, so every level gives the same
// bits. Thread-safe (no state but the caller's).
#pragma once

#include <cstdint>

#include "backends/x86/isa.h"

namespace fuze::x86 {

constexpr int64_t kReduceBlock = 256;  // elements per block of the sum/prod order
constexpr int kPartials = 16;          // partial accumulators in a block

struct AccumFns {
  // The block value of x[0..n), 0 < n <= kReduceBlock: the elements j = 0..n-1
  // of one block (identity 0 for sum, 1 for prod).
  double (*block_sum)(const float* x, int64_t n);
  double (*block_prod)(const float* x, int64_t n);
  // The values of the ceil(n / kReduceBlock) blocks of x[0..n) into out[]
  // (blocks start at x; the last may be shorter): block_sum / block_prod's
  // results, faster (whole blocks two at a time, folds in registers).
  void (*sum_blocks)(const float* x, int64_t n, double* out);
  void (*prod_blocks)(const float* x, int64_t n, double* out);
  // amax / amin of x[0..n) folded into *best (start: -inf / +inf); *nan set
  // when some element is NaN (then *best is meaningless).
  void (*amax)(const float* x, int64_t n, float* best, bool* nan);
  void (*amin)(const float* x, int64_t n, float* best, bool* nan);
};

// The functions for `isa` (the host must support it).
const AccumFns& accum_fns(Isa isa);

// The spec's 8/4/2/1 fold of a block's 16 partials (q is overwritten).
double fold_partials(double* q, bool mul);
// The best of a vector accumulator's nl lanes (non-NaN), then of x[0..n),
// into *best (max, or min); a NaN in x sets *nan.
void finish_extremum(bool max, const float* lanes, int nl, const float* x, int64_t n, float* best, bool* nan);

// sum_blocks / prod_blocks over float64 values (layer_norm's and var's sums
// of float32 inputs widened to float64), the same order; plain C++ (the
// compiler's SSE2 vectorization of the 16 partials).
void sum_blocks_f64(const double* x, int64_t n, double* out);
void prod_blocks_f64(const double* x, int64_t n, double* out);

// The spec's binary counter over block values: push each block's value in
// row order, then finish() (the identity when no block was pushed).
class BlockCounter {
 public:
  explicit BlockCounter(bool mul = false) : mul_(mul) {}
  // Empty again, for sum (or prod when mul); cheaper than assigning a fresh one.
  void reset(bool mul) {
    mul_ = mul;
    size_ = 0;
  }
  void push(double v) {
    int level = 0;
    while (size_ > 0 && level_[size_ - 1] == level) {
      v = combine(value_[--size_], v);
      ++level;
    }
    value_[size_] = v;
    level_[size_++] = level;
  }
  double finish() const {
    if (size_ == 0) return mul_ ? 1.0 : 0.0;
    double acc = value_[size_ - 1];
    for (int i = size_ - 1; i-- > 0;) acc = combine(value_[i], acc);
    return acc;
  }

 private:
  double combine(double a, double b) const { return mul_ ? a * b : a + b; }

  bool mul_;
  int size_ = 0;
  double value_[64];  // levels strictly decrease up the stack: 64 entries cover 2^64 blocks
  int level_[64];
};

}  // namespace fuze::x86
