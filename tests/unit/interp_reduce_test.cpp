// The interpreter's row reductions (src/backends/interp/interp_reduce.h, the
// spec): values against plain references computed here, the documented
// accumulation order bit for bit, layouts, row ranges, special values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backends/interp/interp_reduce.h"
#include "backends/interp/scalar_ops.h"
#include "fuze/ir/kernel.h"
#include "interp_compile.h"
#include "kernel_args_builder.h"

namespace fuze {
namespace {

using ir::DType;
using ir::Layout;
using ir::Op;
using testing::ArgsBuilder;
using testing::compile_or_die;

constexpr float kInf = std::numeric_limits<float>::infinity();

ir::Kernel parse_or_die(const std::string& text) {
  ir::Kernel k;
  Status s = ir::parse(text, &k);
  EXPECT_TRUE(s) << s.message();
  s = ir::verify(k);
  EXPECT_TRUE(s) << s.message() << "\n" << text;
  return k;
}

int64_t num_rows(const ArgsBuilder& b, int reduce) {
  int64_t n = 1;
  for (int d = 0; d + reduce < b.rank(); ++d) n *= b.sizes[static_cast<size_t>(d)];
  return n;
}

// Strides of a per-row output: contiguous over the outer dims, 0 along the row.
std::vector<int64_t> per_row_strides(const std::vector<int64_t>& sizes, int reduce) {
  std::vector<int64_t> st(sizes.size(), 0);
  int64_t acc = 1;
  for (int d = static_cast<int>(sizes.size()) - reduce - 1; d >= 0; --d) {
    st[static_cast<size_t>(d)] = acc;
    acc *= sizes[static_cast<size_t>(d)];
  }
  return st;
}

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// ---- the documented order, written independently of interp_reduce.cpp -------
// Blocks of 256, 16 partials (j % 16), halving tree; block values grouped as
// the binary digits of the block count (largest first), each group a perfect
// pairwise tree, folded from the last group backwards.
template <class A, class F>
A tree(const std::vector<A>& v, size_t lo, size_t n, F op) {
  if (n == 1) return v[lo];
  return op(tree(v, lo, n / 2, op), tree(v, lo + n / 2, n / 2, op));
}

template <class A, class F>
A documented(const std::vector<A>& xs, A identity, F op) {
  std::vector<A> blocks;
  for (size_t b0 = 0; b0 < xs.size(); b0 += 256) {
    std::vector<A> p(16, identity);
    for (size_t j = b0; j < std::min(xs.size(), b0 + 256); ++j) p[j % 16] = op(p[j % 16], xs[j]);
    blocks.push_back(tree(p, 0, 16, op));
  }
  if (blocks.empty()) return identity;
  std::vector<A> groups;
  size_t at = 0;
  for (int bit = 62; bit >= 0; --bit) {
    const size_t size = size_t{1} << bit;
    if ((blocks.size() & size) == 0) continue;
    groups.push_back(tree(blocks, at, size, op));
    at += size;
  }
  A acc = groups.back();
  for (size_t i = groups.size() - 1; i-- > 0;) acc = op(groups[i], acc);
  return acc;
}

double dsum(double a, double b) { return a + b; }
double dmul(double a, double b) { return a * b; }

// The f16 nearest to v (ties to even), by search over every finite f16.
uint16_t nearest_half(double v) {
  if (std::fabs(v) >= 65520.0) return v > 0 ? 0x7C00 : 0xFC00;
  uint16_t best = 0;
  double best_err = std::numeric_limits<double>::infinity();
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const float f = interp::half_to_float(static_cast<uint16_t>(h));
    if (!std::isfinite(f)) continue;
    const double err = std::fabs(static_cast<double>(f) - v);
    if (err < best_err || (err == best_err && (best & 1u) != 0 && (h & 1u) == 0)) {
      best_err = err;
      best = static_cast<uint16_t>(h);
    }
  }
  return best;
}

// ---- sum over rows, per-row output -----------------------------------------

// sum (or another reduce op) of a [rows, n] f32 tensor into a per-row output.
std::vector<float> reduce_rows(Op op, const std::vector<float>& x, int64_t rows, int64_t n, bool transposed = false) {
  const std::string name = ir::op_info(op).name;
  ir::Kernel k = parse_or_die("kernel r rank 2 reduce 1 {\n %0 = input 0 f32 strided\n %1 = " + name +
                              " f32 %0\n output %1 strided\n}\n");
  auto ck = compile_or_die(k);
  std::vector<float> out(static_cast<size_t>(rows), -1.0f);
  ArgsBuilder b({rows, n});
  std::vector<float> t;
  if (transposed) {  // the same logical [rows, n] values stored column-major
    t.resize(x.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < n; ++j) t[static_cast<size_t>(j * rows + r)] = x[static_cast<size_t>(r * n + j)];
    b.add(t.data(), {1, rows});
  } else {
    b.add(const_cast<float*>(x.data()), {n, 1});
  }
  b.add(out.data(), per_row_strides(b.sizes, 1));
  ck->run(b.args(), 0, rows);
  return out;
}

TEST(InterpReduce, SumMatchesALongDoubleReferenceAcrossRowLengths) {
  std::mt19937 rng(7);
  for (int64_t n : {1, 7, 64, 1000, 100000}) {
    const int64_t rows = n >= 100000 ? 2 : 5;
    std::vector<float> x(static_cast<size_t>(rows * n));
    // Positive values over 40 binades: double accumulation is far below a float ULP.
    for (float& v : x) v = std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000.0f, static_cast<int>(rng() % 41) - 20);
    const std::vector<float> got = reduce_rows(Op::kSum, x, rows, n);
    for (int64_t r = 0; r < rows; ++r) {
      long double ref = 0;
      for (int64_t j = 0; j < n; ++j) ref += x[static_cast<size_t>(r * n + j)];
      const float want = static_cast<float>(ref);
      const uint32_t a = bits_of(got[static_cast<size_t>(r)]), w = bits_of(want);
      EXPECT_LE(a > w ? a - w : w - a, 1u) << "n " << n << " row " << r << ": " << got[static_cast<size_t>(r)] << " vs " << want;
    }
  }
}

TEST(InterpReduce, SumOrderIsExactlyTheDocumentedOne) {
  // +-2^40 alternating with small values (a double's ULP there is 2^-12): the
  // low bits of the small values are rounded away differently in every order.
  for (int64_t n : {255, 256, 257, 4096, 256 * 13 + 77, 100000}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      const float s = (j / 3) % 2 ? -1.0f : 1.0f;
      x[static_cast<size_t>(j)] = j % 3 == 0 ? s * 0x1p40f : 1.0f + static_cast<float>(j % 97) * 0x1p-20f;
    }
    std::vector<double> xd(x.begin(), x.end());
    const float want = static_cast<float>(documented<double>(xd, 0.0, dsum));
    const float got = reduce_rows(Op::kSum, x, 1, n)[0];
    EXPECT_EQ(bits_of(got), bits_of(want)) << "n " << n << ": " << got << " vs " << want;
    double seq = 0;
    for (double v : xd) seq += v;
    if (n >= 4096) {
      EXPECT_NE(static_cast<float>(seq), want) << "n " << n << ": data does not exercise the order";
      EXPECT_NE(want, 0.0f);
    }
  }
  // prod follows the same order.
  std::vector<float> x(3000);
  for (size_t j = 0; j < x.size(); ++j) x[j] = j % 2 ? 1.0f + 1e-7f * static_cast<float>(j % 13) : 0.999f;
  std::vector<double> xd(x.begin(), x.end());
  EXPECT_EQ(bits_of(reduce_rows(Op::kProd, x, 1, 3000)[0]), bits_of(static_cast<float>(documented<double>(xd, 1.0, dmul))));
}

TEST(InterpReduce, TransposedInputGivesBitIdenticalResults) {
  const int64_t rows = 3, n = 5000;
  std::vector<float> x(static_cast<size_t>(rows * n));
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 5 == 0 ? 3e29f : 0.7f) * ((i / 5) % 2 ? -1.0f : 1.0f);
  for (Op op : {Op::kSum, Op::kProd, Op::kAmax, Op::kAmin}) {
    const std::vector<float> a = reduce_rows(op, x, rows, n, false);
    const std::vector<float> b = reduce_rows(op, x, rows, n, true);
    for (int64_t r = 0; r < rows; ++r) EXPECT_EQ(bits_of(a[static_cast<size_t>(r)]), bits_of(b[static_cast<size_t>(r)]));
  }
}

TEST(InterpReduce, SpecialValues) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<std::vector<float>> rows = {
      {1.0f, kInf, 2.0f}, {1.0f, kInf, -kInf}, {1.0f, nan, kInf}, {-kInf, -kInf, -kInf}, {-0.0f, 0.0f, -0.0f},
      {0.0f, -0.0f, 0.0f}, {-0.0f, -0.0f, -0.0f}, {3e38f, 3e38f, -3e38f}};
  std::vector<float> x;
  for (const auto& r : rows) x.insert(x.end(), r.begin(), r.end());
  const auto sum = reduce_rows(Op::kSum, x, 8, 3);
  const auto amax = reduce_rows(Op::kAmax, x, 8, 3);
  const auto amin = reduce_rows(Op::kAmin, x, 8, 3);
  EXPECT_EQ(sum[0], kInf);
  EXPECT_TRUE(std::isnan(sum[1]));
  EXPECT_TRUE(std::isnan(sum[2]));
  EXPECT_EQ(sum[3], -kInf);
  EXPECT_EQ(bits_of(sum[6]), bits_of(0.0f));  // partials start at +0.0
  EXPECT_EQ(sum[7], 3e38f);                   // double accumulation: no float32 overflow in between
  EXPECT_EQ(amax[0], kInf);
  EXPECT_EQ(amin[1], -kInf);
  EXPECT_TRUE(std::isnan(amax[2]));
  EXPECT_TRUE(std::isnan(amin[2]));
  EXPECT_EQ(bits_of(amax[2]), bits_of(nan));  // the default quiet NaN
  EXPECT_EQ(amax[3], -kInf);
  // +0.0 counts as larger than -0.0, whatever the order.
  EXPECT_EQ(bits_of(amax[4]), bits_of(0.0f));
  EXPECT_EQ(bits_of(amax[5]), bits_of(0.0f));
  EXPECT_EQ(bits_of(amin[4]), bits_of(-0.0f));
  EXPECT_EQ(bits_of(amin[5]), bits_of(-0.0f));
  EXPECT_EQ(bits_of(amax[6]), bits_of(-0.0f));
}

const char* kSoftmax =
    "kernel softmax rank 2 reduce 1 {\n"
    "  %0 = input 0 f32 strided\n"
    "  %1 = amax f32 %0\n"
    "  %2 = sub f32 %0, %1\n"
    "  %3 = exp f32 %2\n"
    "  %4 = sum f32 %3\n"
    "  %5 = div f32 %3, %4\n"
    "  output %5 strided\n"
    "}\n";

std::vector<float> softmax(const std::vector<float>& x, int64_t rows, int64_t n, int64_t begin = 0, int64_t end = -1,
                           std::vector<float>* out_buf = nullptr) {
  auto ck = compile_or_die(parse_or_die(kSoftmax));
  std::vector<float> local(x.size(), -7.0f);
  std::vector<float>& out = out_buf != nullptr ? *out_buf : local;
  ArgsBuilder b({rows, n});
  b.add(const_cast<float*>(x.data()), {n, 1});
  b.add(out.data(), {n, 1});
  ck->run(b.args(), begin, end < 0 ? rows : end);
  return out;
}

TEST(InterpReduce, SoftmaxMatchesADoubleReference) {
  std::mt19937 rng(11);
  for (int64_t n : {1, 7, 64, 1000, 100000}) {
    const int64_t rows = n >= 100000 ? 1 : 4;
    std::vector<float> x(static_cast<size_t>(rows * n));
    for (float& v : x) v = static_cast<float>(static_cast<int>(rng() % 4001) - 2000) * 0.01f;
    const std::vector<float> y = softmax(x, rows, n);
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x.data() + r * n;
      double m = -INFINITY, s = 0;
      for (int64_t j = 0; j < n; ++j) m = std::max(m, static_cast<double>(xr[j]));
      // x - max rounds to float32 in the kernel, as eager's.
      auto d = [&](int64_t j) { return static_cast<double>(xr[j] - static_cast<float>(m)); };
      for (int64_t j = 0; j < n; ++j) s += std::exp(d(j));
      double total = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double want = std::exp(d(j)) / s;
        const double got = y[static_cast<size_t>(r * n + j)];
        total += got;
        ASSERT_NEAR(got, want, 5e-7 * want + 1e-45) << "n " << n << " j " << j;
      }
      EXPECT_NEAR(total, 1.0, 1e-4);
    }
  }
}

TEST(InterpReduce, SoftmaxOfAllMinusInfRowIsNanAsEager) {
  std::vector<float> x = {-kInf, -kInf, -kInf, 1.0f, -kInf, 1.0f};
  const std::vector<float> y = softmax(x, 2, 3);
  for (int j = 0; j < 3; ++j) EXPECT_TRUE(std::isnan(y[static_cast<size_t>(j)]));
  EXPECT_EQ(y[3], 0.5f);
  EXPECT_EQ(y[4], 0.0f);
  EXPECT_EQ(y[5], 0.5f);
}

TEST(InterpReduce, DisjointRowRangesComputeTheWhole) {
  const int64_t rows = 37, n = 300;
  std::vector<float> x(static_cast<size_t>(rows * n));
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i)) * 10.0f;
  const std::vector<float> whole = softmax(x, rows, n);
  std::vector<float> parts(x.size(), -7.0f);
  for (auto [b, e] : std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {1, 10}, {10, 10}, {10, 36}, {36, 100}}) {
    softmax(x, rows, n, b, e, &parts);
  }
  EXPECT_EQ(std::memcmp(parts.data(), whole.data(), whole.size() * 4), 0);
  std::vector<float> some(x.size(), -7.0f);
  softmax(x, rows, n, 5, 6, &some);
  for (size_t i = 0; i < x.size(); ++i) {
    const bool in = static_cast<int64_t>(i) / n == 5;
    EXPECT_EQ(some[i] == -7.0f, !in) << i;
  }
}

// Layer norm over the last two dims of [2, 3, 4, 50], strided outer dims,
// mean and rstd as per-row outputs through zero strides.
TEST(InterpReduce, LayerNormWithPerRowOutputs) {
  const ir::Kernel k = parse_or_die(
      "kernel layer_norm rank 4 reduce 2 {\n"
      "  %0 = input 0 f32 strided\n"
      "  %1 = input 1 f32 strided\n"
      "  %2 = input 2 f32 scalar\n"
      "  %3 = sum f32 %0\n"
      "  %4 = row_size f32\n"
      "  %5 = div f32 %3, %4\n"
      "  %6 = sub f32 %0, %5\n"
      "  %7 = mul f32 %6, %6\n"
      "  %8 = sum f32 %7\n"
      "  %9 = div f32 %8, %4\n"
      "  %10 = const f32 1.0000000000000001e-05\n"
      "  %11 = add f32 %9, %10\n"
      "  %12 = rsqrt f32 %11\n"
      "  %13 = mul f32 %6, %12\n"
      "  %14 = mul f32 %13, %1\n"
      "  %15 = add f32 %14, %2\n"
      "  output %15 contiguous\n"
      "  output %5 strided\n"
      "  output %12 strided\n"
      "}\n");
  auto ck = compile_or_die(k);
  const std::vector<int64_t> sizes = {2, 3, 4, 50};
  const int64_t rows = 6, n = 200;
  std::vector<float> x(static_cast<size_t>(rows * n) * 2);  // outer dims stored with a gap
  std::vector<float> w(static_cast<size_t>(n));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 100.0f + std::cos(static_cast<float>(i) * 0.37f) * 3.0f;
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.5f + static_cast<float>(i) * 0.01f;
  std::vector<float> y(static_cast<size_t>(rows * n)), mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows));
  ArgsBuilder b(sizes);
  b.add(x.data(), {3 * 2 * n, 2 * n, 50, 1});
  b.add(w.data(), {0, 0, 50, 1});  // weight broadcast over the rows
  b.add_scalar(0.25);
  b.add_contiguous(y.data());
  b.add(mean.data(), per_row_strides(sizes, 2));
  b.add(rstd.data(), per_row_strides(sizes, 2));
  ck->run(b.args(), 0, num_rows(b, 2));
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x.data() + r * 2 * n;
    double m = 0, v = 0;
    for (int64_t j = 0; j < n; ++j) m += xr[j];
    m /= n;
    for (int64_t j = 0; j < n; ++j) v += (xr[j] - m) * (xr[j] - m);
    v /= n;
    const double rs = 1.0 / std::sqrt(v + 1e-5);
    EXPECT_NEAR(mean[static_cast<size_t>(r)], m, 1e-5);
    EXPECT_NEAR(rstd[static_cast<size_t>(r)], rs, 1e-5 * rs);
    for (int64_t j = 0; j < n; ++j) {
      const double want = (xr[j] - m) * rs * w[static_cast<size_t>(j)] + 0.25;
      // float32 x - mean loses ~2^-24 * 100 absolutely before the scaling by rstd.
      EXPECT_NEAR(y[static_cast<size_t>(r * n + j)], want, 2e-5 * rs * 100 * w[static_cast<size_t>(j)] + 1e-5);
    }
  }
}

// RMSNorm of bf16 rows in float32: x * rsqrt(mean(x^2) + eps), back to bf16, times w.
TEST(InterpReduce, RmsNormBf16) {
  const ir::Kernel k = parse_or_die(
      "kernel rms_norm rank 2 reduce 1 {\n"
      "  %0 = input 0 bf16 contiguous\n  %1 = input 1 bf16 strided\n"
      "  %2 = const f32 9.9999999999999995e-07\n  %3 = cast f32 %0\n  %4 = mul f32 %3, %3\n"
      "  %5 = sum f32 %4\n  %6 = row_size f32\n  %7 = div f32 %5, %6\n  %8 = add f32 %7, %2\n"
      "  %9 = rsqrt f32 %8\n  %10 = mul f32 %3, %9\n  %11 = cast bf16 %10\n  %12 = mul bf16 %11, %1\n"
      "  output %12 contiguous\n"
      "}\n");
  auto ck = compile_or_die(k);
  const int64_t rows = 5, n = 4096;
  std::vector<uint16_t> x(static_cast<size_t>(rows * n)), w(static_cast<size_t>(n)), y(x.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = interp::float_to_bf16(std::sin(static_cast<float>(i) * 0.01f) * 30.0f);
  for (size_t i = 0; i < w.size(); ++i) w[i] = interp::float_to_bf16(1.0f + static_cast<float>(i % 10) * 0.1f);
  ArgsBuilder b({rows, n});
  b.add_contiguous(x.data());
  b.add(w.data(), {0, 1});
  b.add_contiguous(y.data());
  ck->run(b.args(), 0, rows);
  for (int64_t r = 0; r < rows; ++r) {
    double ms = 0;
    for (int64_t j = 0; j < n; ++j) {
      const double v = interp::bf16_to_float(x[static_cast<size_t>(r * n + j)]);
      ms += v * v;
    }
    const double rs = 1.0 / std::sqrt(ms / n + 1e-6);
    for (int64_t j = 0; j < n; ++j) {
      const size_t i = static_cast<size_t>(r * n + j);
      const double want = interp::bf16_to_float(x[i]) * rs * interp::bf16_to_float(w[static_cast<size_t>(j)]);
      EXPECT_NEAR(interp::bf16_to_float(y[i]), want, std::fabs(want) * 0x1p-7 + 1e-30) << r << ", " << j;
    }
  }
}

// A reduction of a value that needs another pass's result (three passes), and
// reductions of per-row operands (a scalar summed over the row).
TEST(InterpReduce, ThreePassesAndPerRowOperands) {
  const ir::Kernel k = parse_or_die(
      "kernel p rank 2 reduce 1 {\n"
      "  %0 = input 0 f64 contiguous\n  %1 = input 1 f64 scalar\n"
      "  %2 = amax f64 %0\n  %3 = sub f64 %0, %2\n  %4 = exp f64 %3\n  %5 = sum f64 %4\n"
      "  %6 = div f64 %4, %5\n  %7 = sum f64 %6\n  %8 = sum f64 %1\n  %9 = prod f64 %1\n"
      "  %10 = sum f64 %5\n"
      "  output %7 strided\n  output %8 strided\n  output %9 strided\n  output %10 strided\n"
      "}\n");
  auto ck = compile_or_die(k);
  const int64_t rows = 3, n = 1000;
  std::vector<double> x(static_cast<size_t>(rows * n));
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(static_cast<double>(i)) * 5.0;
  std::vector<double> total(rows), ssum(rows), sprod(rows), s2(rows);
  ArgsBuilder b({rows, n});
  b.add_contiguous(x.data());
  b.add_scalar(0.5);
  for (std::vector<double>* o : {&total, &ssum, &sprod, &s2}) b.add(o->data(), {1, 0});
  ck->run(b.args(), 0, rows);
  for (int64_t r = 0; r < rows; ++r) {
    const size_t i = static_cast<size_t>(r);
    EXPECT_NEAR(total[i], 1.0, 1e-13);
    EXPECT_EQ(ssum[i], 500.0);
    EXPECT_EQ(sprod[i], std::ldexp(1.0, -1000));
    double m = -INFINITY, e = 0;
    for (int64_t j = 0; j < n; ++j) m = std::max(m, x[static_cast<size_t>(r * n + j)]);
    for (int64_t j = 0; j < n; ++j) e += std::exp(x[static_cast<size_t>(r * n + j)] - m);
    EXPECT_NEAR(s2[i], e * n, e * n * 1e-13);  // a per-row value summed over the row
  }
}

TEST(InterpReduce, EmptyRows) {
  const ir::Kernel k = parse_or_die(
      "kernel e rank 2 reduce 1 {\n"
      "  %0 = input 0 f32 contiguous\n"
      "  %1 = sum f32 %0\n"
      "  %2 = prod f32 %0\n"
      "  %3 = amax f32 %0\n"
      "  %4 = row_size f32\n"
      "  %5 = div f32 %1, %4\n"
      "  %6 = exp f32 %0\n"
      "  output %1 strided\n  output %2 strided\n  output %3 strided\n  output %4 strided\n"
      "  output %5 strided\n  output %6 contiguous\n"
      "}\n");
  auto ck = compile_or_die(k);
  std::vector<float> sum(3, -1), prod(3, -1), amax(3, -1), size(3, -1), mean(3, -1);
  float dummy = 0;
  ArgsBuilder b({3, 0});
  b.add(&dummy, {0, 1});
  b.add(sum.data(), {1, 0});
  b.add(prod.data(), {1, 0});
  b.add(amax.data(), {1, 0});
  b.add(size.data(), {1, 0});
  b.add(mean.data(), {1, 0});
  b.add(&dummy, {0, 1});
  ck->run(b.args(), 0, 3);
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(bits_of(sum[static_cast<size_t>(r)]), bits_of(0.0f));
    EXPECT_EQ(prod[static_cast<size_t>(r)], 1.0f);
    EXPECT_TRUE(std::isnan(amax[static_cast<size_t>(r)]));
    EXPECT_EQ(size[static_cast<size_t>(r)], 0.0f);
    EXPECT_TRUE(std::isnan(mean[static_cast<size_t>(r)]));
  }
}

TEST(InterpReduce, IntegerSumsWidenAndWrap) {
  const ir::Kernel k = parse_or_die(
      "kernel i rank 1 reduce 1 {\n"
      "  %0 = input 0 i64 contiguous\n  %1 = input 1 i32 contiguous\n  %2 = input 2 bool contiguous\n"
      "  %3 = sum i64 %0\n  %4 = sum i64 %1\n  %5 = sum i64 %2\n  %6 = prod i64 %0\n  %7 = amax i32 %1\n"
      "  %8 = amin bool %2\n  %9 = amax bool %2\n"
      "  output %3 strided\n  output %4 strided\n  output %5 strided\n  output %6 strided\n  output %7 strided\n"
      "  output %8 strided\n  output %9 strided\n"
      "}\n");
  auto ck = compile_or_die(k);
  const int64_t big = std::numeric_limits<int64_t>::max();
  std::vector<int64_t> a = {big, 1, 2, big / 2};
  std::vector<int32_t> c = {std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::max(), -5, 7};
  bool flags[4] = {true, false, true, true};
  int64_t s64 = 0, s32 = 0, sb = 0, p = 0;
  int32_t mx = 0;
  bool all = true, any = false;
  ArgsBuilder b({4});
  b.add_contiguous(a.data());
  b.add_contiguous(c.data());
  b.add_contiguous(flags);
  for (void* o : std::vector<void*>{&s64, &s32, &sb, &p, &mx, &all, &any}) b.add(o, {0});
  ck->run(b.args(), 0, 1);
  uint64_t want = 0, wantp = 1;
  for (int64_t v : a) {
    want += static_cast<uint64_t>(v);
    wantp *= static_cast<uint64_t>(v);
  }
  EXPECT_EQ(s64, static_cast<int64_t>(want));  // wraps
  EXPECT_EQ(s32, 2LL * std::numeric_limits<int32_t>::max() + 2);  // no int32 overflow
  EXPECT_EQ(sb, 3);
  EXPECT_EQ(p, static_cast<int64_t>(wantp));
  EXPECT_EQ(mx, std::numeric_limits<int32_t>::max());
  EXPECT_FALSE(all);
  EXPECT_TRUE(any);
}

TEST(InterpReduce, HalfAndBFloat16SumsRoundOnceFromDouble) {
  // Direct rounding, not through float32: 1 + 2^-11 + 2^-40 is just above an
  // f16 tie, which float32 would round onto (and then to even, 1.0).
  const double v = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
  EXPECT_EQ(interp::round_double_to(DType::kFloat16, v), 1.0f + std::ldexp(1.0f, -10));
  EXPECT_EQ(interp::round_double_to(DType::kBFloat16, 1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40)),
            1.0f + std::ldexp(1.0f, -7));
  EXPECT_EQ(interp::round_double_to(DType::kFloat16, 1.0 + std::ldexp(1.0, -11)), 1.0f);  // a tie: even
  for (DType t : {DType::kFloat16, DType::kBFloat16}) {
    const std::string name = ir::dtype_name(t);
    auto ck = compile_or_die(parse_or_die("kernel h rank 2 reduce 1 {\n %0 = input 0 " + name + " contiguous\n %1 = sum " +
                                          name + " %0\n %2 = amax " + name + " %0\n output %1 strided\n output %2 strided\n}\n"));
    const int64_t rows = 4, n = 700;
    std::vector<uint16_t> x(static_cast<size_t>(rows * n)), sum(rows), mx(rows);
    std::mt19937 rng(3);
    std::vector<double> exact(rows, 0.0), vmax(rows, -INFINITY);
    for (int64_t i = 0; i < rows * n; ++i) {
      const float f = std::ldexp(static_cast<float>(rng() % 200) - 100.0f, static_cast<int>(rng() % 7) - 10);
      x[static_cast<size_t>(i)] = t == DType::kFloat16 ? interp::float_to_half(f) : interp::float_to_bf16(f);
      const float back = t == DType::kFloat16 ? interp::half_to_float(x[static_cast<size_t>(i)])
                                              : interp::bf16_to_float(x[static_cast<size_t>(i)]);
      exact[static_cast<size_t>(i / n)] += back;  // exact: few binades, 700 values
      vmax[static_cast<size_t>(i / n)] = std::max(vmax[static_cast<size_t>(i / n)], static_cast<double>(back));
    }
    ArgsBuilder b({rows, n});
    b.add_contiguous(x.data());
    b.add(sum.data(), {1, 0});
    b.add(mx.data(), {1, 0});
    ck->run(b.args(), 0, rows);
    for (int64_t r = 0; r < rows; ++r) {
      const double e = exact[static_cast<size_t>(r)];
      if (t == DType::kFloat16) {
        EXPECT_EQ(sum[static_cast<size_t>(r)], nearest_half(e)) << e;
        EXPECT_EQ(interp::half_to_float(mx[static_cast<size_t>(r)]), vmax[static_cast<size_t>(r)]);
      } else {
        EXPECT_EQ(interp::bf16_to_float(sum[static_cast<size_t>(r)]), interp::round_double_to(DType::kBFloat16, e));
        EXPECT_NEAR(interp::bf16_to_float(sum[static_cast<size_t>(r)]), e, std::fabs(e) * std::ldexp(1.0, -8));
        EXPECT_EQ(interp::bf16_to_float(mx[static_cast<size_t>(r)]), vmax[static_cast<size_t>(r)]);
      }
    }
  }
}

TEST(InterpReduce, X86AndCudaHaveTheReduceOps) {
  // The interpreter, x86 and CUDA have the ops (ops.def's native column).
  EXPECT_EQ(ir::first_non_native_op(parse_or_die(kSoftmax), ir::kX86), -1);
  EXPECT_EQ(ir::first_non_native_op(parse_or_die(kSoftmax), ir::kCuda), -1);  // tests/cuda: row kernels
  // A row kernel without reduce ops still counts rows in run(): x86 runs it by
  // rows (tests/x86/x86_reduce_test.cpp diffs x86's reductions against the
  // interpreter).
  const ir::Kernel rows_only = parse_or_die(
      "kernel n rank 2 reduce 1 {\n %0 = input 0 f32 contiguous\n %1 = neg f32 %0\n output %1 contiguous\n}\n");
  std::unique_ptr<Backend> x86;
  if (make_backend(BackendKind::kX86, &x86)) {  // compiled out or not usable here: skip
    std::unique_ptr<CompiledKernel> ck;
    const Status s = x86->compile(rows_only, &ck);
    ASSERT_TRUE(s) << s.message();
    std::vector<float> x = {1, 2, 3, 4, 5, 6}, y(6, 0.0f);
    ArgsBuilder b({2, 3});
    b.add_contiguous(x.data());
    b.add_contiguous(y.data());
    ck->run(b.args(), 1, 2);  // rows, not elements
    EXPECT_EQ(y, (std::vector<float>{0, 0, 0, -4, -5, -6}));
    EXPECT_TRUE(x86->compile(parse_or_die(kSoftmax), &ck));
  }
  // The interpreter runs it, one row per position of the outer dim.
  auto ck = compile_or_die(rows_only);
  std::vector<float> x = {1, 2, 3, 4, 5, 6}, y(6, 0.0f);
  ArgsBuilder b({2, 3});
  b.add_contiguous(x.data());
  b.add_contiguous(y.data());
  ck->run(b.args(), 1, 2);
  EXPECT_EQ(y, (std::vector<float>{0, 0, 0, -4, -5, -6}));
}

}  // namespace
}  // namespace fuze
