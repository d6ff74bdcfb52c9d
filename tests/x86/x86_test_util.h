// Helpers for the x86 backend tests: problems (operands with layouts and
// strides), running a compiled kernel, ULP measures against float64.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/interp/interp_backend.h"
#include "backends/x86/x86_backend.h"
#include "backends/interp/scalar_ops.h"
#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace fuze::x86test {

inline uint32_t bits_of(float f) { return interp::float_bits(f); }
inline float float_of(uint32_t b) { return interp::bits_float(b); }

// Error of y in units of the float32 ULP at the exact value `ref`
// (0 when both are the same NaN class / infinity; +inf when they disagree).
inline double ulp_error(float y, double ref) {
  if (std::isnan(ref) || std::isnan(y)) return std::isnan(ref) && std::isnan(y) ? 0.0 : INFINITY;
  const double fmax = std::numeric_limits<float>::max();
  const double ovf = fmax + std::ldexp(1.0, 127 - 24);  // values at or above round to inf
  if (std::isinf(ref) || std::fabs(ref) >= ovf) {
    const float want = ref > 0 ? INFINITY : -INFINITY;
    return y == want ? 0.0 : INFINITY;
  }
  if (std::isinf(y)) return INFINITY;
  int e;
  std::frexp(ref, &e);  // |ref| in [2^(e-1), 2^e)
  const double ulp = std::ldexp(1.0, std::max(e - 1, -126) - 23);
  return std::fabs(static_cast<double>(y) - ref) / ulp;
}

// Distance in representable floats (NaN == NaN).
inline int64_t ulp_distance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : INT64_MAX;
  auto ord = [](float f) {
    const int64_t m = bits_of(f) & 0x7FFFFFFF;
    return (bits_of(f) >> 31) ? -m : m;
  };
  return std::llabs(ord(a) - ord(b));
}

// Float64 reference of an approximate op (the interpreter's definition, with
// std:: functions in double).
double reference(ir::Op op, float a, float b);

// Absolute error allowed on top of 2 ULP of the reference for ops whose
// definition cancels after a transcendental (elu: exp(x) - 1 near x = 0-;
// gelu_tanh: 1 + tanh near -1): 2 ULP of that intermediate, scaled. 0 for
// the others.
double cancel_slack(ir::Op op, float a, float b);
// Ops whose interpreter result may be more than 2 ULP from the float64
// reference (several float32 roundings): Tolerance::defer.
bool defers_to_reference(ir::Op op);

// A set of special and ordinary float32 values.
std::vector<float> special_values();

struct OperandData {
  ir::Layout layout = ir::Layout::kContiguous;
  std::vector<float> storage;    // backing store (strided / transposed / broadcast)
  std::vector<int64_t> strides;  // [rank]
  double scalar = 0.0;           // kScalar inputs
};

// One call's operands: inputs then outputs.
struct Problem {
  std::vector<int64_t> sizes;
  std::vector<OperandData> operands;
  int num_inputs = 0;
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : sizes) n *= s;
    return n;
  }
  KernelArgs args(std::vector<void*>* data, std::vector<int64_t>* strides, std::vector<double>* scalars);
};

// How an operand is laid out in a generated problem.
// kBroadcastRow: stride 0 along the last dim (one value per row, a column
// broadcast); kBroadcastOuter: stride 0 along dim 0 (rank >= 2: a row
// broadcast down the rows).
enum class Pattern { kContiguous, kTransposed, kEveryOther, kBroadcastRow, kBroadcastOuter, kBroadcast, kScalar };

// Builds an operand of `pattern` over `sizes`, logical values from `gen(i)`
// for linear index i (kBroadcast/kScalar use gen(0)).
template <class Gen>
OperandData make_operand(const std::vector<int64_t>& sizes, Pattern pattern, Gen gen);

// Output operand (sentinel-filled) with a contiguous or transposed layout.
OperandData make_output(const std::vector<int64_t>& sizes, bool transposed);

// Compiles k with `b`, failing the test on error.
std::unique_ptr<CompiledKernel> compile_or_fail(Backend& b, const ir::Kernel& k);

// Runs `ck` over [begin, end) of p.
void run_range(const CompiledKernel& ck, Problem& p, int64_t begin, int64_t end);

// The output values of p in logical (row-major) order, output o.
std::vector<float> logical_output(const Problem& p, int o);

std::unique_ptr<Backend> interp_backend();
std::unique_ptr<Backend> x86_backend(int isa, bool listing = false);
std::vector<int> isas();  // every level this CPU supports

// ---- template definition ---------------------------------------------------

inline std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& sizes) {
  std::vector<int64_t> st(sizes.size(), 1);
  for (size_t d = sizes.size(); d-- > 1;) st[d - 1] = st[d] * sizes[d];
  return st;
}

template <class Gen>
OperandData make_operand(const std::vector<int64_t>& sizes, Pattern pattern, Gen gen) {
  OperandData op;
  const size_t rank = sizes.size();
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  op.strides.assign(rank, 0);
  switch (pattern) {
    case Pattern::kScalar:
      op.layout = ir::Layout::kScalar;
      op.scalar = gen(0);
      return op;
    case Pattern::kBroadcast:
      op.layout = ir::Layout::kBroadcast;
      op.storage.assign(1, gen(0));
      return op;
    case Pattern::kContiguous:
      op.layout = ir::Layout::kContiguous;
      op.strides = contiguous_strides(sizes);
      op.storage.resize(static_cast<size_t>(std::max<int64_t>(numel, 1)));
      for (int64_t i = 0; i < numel; ++i) op.storage[static_cast<size_t>(i)] = gen(i);
      return op;
    case Pattern::kTransposed: {
      // Column-major: dim 0 fastest.
      op.layout = ir::Layout::kStrided;
      int64_t s = 1;
      for (size_t d = 0; d < rank; ++d) {
        op.strides[d] = s;
        s *= sizes[d];
      }
      break;
    }
    case Pattern::kEveryOther: {
      op.layout = ir::Layout::kStrided;
      op.strides = contiguous_strides(sizes);
      for (auto& s : op.strides) s *= 2;
      break;
    }
    case Pattern::kBroadcastRow: {
      op.layout = ir::Layout::kStrided;
      op.strides = contiguous_strides(sizes);
      if (rank >= 1) op.strides[rank - 1] = 0;
      break;
    }
    case Pattern::kBroadcastOuter: {
      op.layout = ir::Layout::kStrided;
      op.strides = contiguous_strides(sizes);
      if (rank >= 2) op.strides[0] = 0;
      break;
    }
  }
  int64_t extent = 1;
  for (size_t d = 0; d < rank; ++d) extent += (sizes[d] - 1) * op.strides[d];
  op.storage.assign(static_cast<size_t>(std::max<int64_t>(extent, 1)), -777.0f);
  // Write logical values (later writes win on broadcast dims: logical value is
  // then the last generated one for that location, read back identically).
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < numel; ++i) {
    int64_t rest = i, off = 0;
    for (size_t d = rank; d-- > 0;) {
      idx[d] = rest % sizes[d];
      rest /= sizes[d];
      off += idx[d] * op.strides[d];
    }
    op.storage[static_cast<size_t>(off)] = gen(i);
  }
  return op;
}

}  // namespace fuze::x86test
