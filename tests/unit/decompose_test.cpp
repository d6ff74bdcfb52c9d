// The op table and the decomposition pass: every op a backend lacks has a
// rule, and each rule computes what the interpreter's own kernel computes,
// bit for bit, in every floating dtype (the rules follow scalar_ops.h's float
// order); logaddexp, which has no kernel anywhere, against float64.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "backends/interp/interp_backend.h"
#include "backends/interp/scalar_ops.h"
#include "fuze/ir/kernel.h"
#include "passes/decompose.h"
#include "unit/interp_compile.h"
#include "unit/kernel_args_builder.h"

namespace fuze {
namespace {

using ir::DType;
using ir::Layout;
using ir::Op;

constexpr unsigned kAllBackends = ir::kInterp | ir::kX86 | ir::kCuda;

TEST(OpTable, EveryOpABackendLacksHasARule) {
  for (int i = 0; i < ir::num_ops(); ++i) {
    const Op op = ir::op_at(i);
    const ir::OpInfo& info = ir::op_info(op);
    // x86/CUDA reductions: later parts of issue 17 (kReduce ops are interp-only
    // for now and have no pointwise decomposition; x86/CUDA reject them).
    if ((info.native & kAllBackends) != kAllBackends && (info.flags & ir::kReduce) == 0) {
      EXPECT_TRUE(info.flags & ir::kComposite) << info.name << " lacks a kernel somewhere but is not kComposite";
    }
    EXPECT_EQ(passes::has_decomposition(op), (info.flags & ir::kComposite) != 0) << info.name;
    // The fusion pass reads the overload pattern: one letter per TorchScript operand, at least the arity.
    if (info.aten[0] != '\0') {
      EXPECT_GE(std::strlen(info.pattern), static_cast<size_t>(info.arity)) << info.name;
    }
  }
}

TEST(Decompose, LeavesNativeOpsAlone) {
  ir::Kernel k("k", 1);
  const int x = k.add_input(DType::kFloat32, Layout::kContiguous);
  k.add_output(k.add_op(Op::kSilu, DType::kFloat32, {x}), Layout::kContiguous);
  int n = -1;
  ASSERT_TRUE(passes::decompose(&k, ir::kInterp, &n));
  EXPECT_EQ(n, 0);
  EXPECT_EQ(k.node(k.outputs()[0].value).op, Op::kSilu);
}

TEST(Decompose, NoRuleIsUnsupported) {
  ir::Kernel k("k", 1);
  const int x = k.add_input(DType::kFloat32, Layout::kContiguous);
  k.add_output(k.add_op(Op::kSin, DType::kFloat32, {x}), Layout::kContiguous);
  Status s = passes::decompose(&k, [](Op op) { return op != Op::kSin; });
  EXPECT_FALSE(s);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
}

// Values that reach every branch of the rules: signed zeros, +-inf, NaN,
// the thresholds (0, 0.5, 20, -3, 3), tiny and huge magnitudes.
std::vector<double> edge_values() {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v = {0.0, -0.0, inf, -inf, std::nan(""), 0.5, -0.5, 1.0, -1.0, 20.0, 20.5, 19.9, -3.0,
                           3.0, 2.9, -3.1, 6.0, 1e-8, -1e-8, 1e-40, 88.0, -88.0, 100.0, -100.0, 65504.0, 1e30,
                           -1e30, 0.25, 0.75, 0.999, 1.001, 2.0, -2.0, 1e5};
  for (int i = -200; i <= 200; ++i) v.push_back(i * 0.0731);
  return v;
}

// The op over every pair (a, b) of `vals`, all operands in dtype t and
// contiguous except the uniform second operand of kUniformRhs ops (a
// scalar input); results as raw bytes.
std::vector<uint8_t> run_op(const ir::Kernel& k, DType t, const std::vector<double>& a, const std::vector<double>& b,
                            const std::vector<double>& c, bool scalar_rhs, double rhs) {
  auto ck = testing::compile_or_die(k);
  if (!ck) return {};
  const size_t n = a.size(), es = static_cast<size_t>(ir::dtype_size(t));
  auto pack = [&](const std::vector<double>& v) {
    std::vector<uint8_t> out(n * es);
    for (size_t i = 0; i < n; ++i) {
      switch (t) {
        case DType::kFloat32: { float f = static_cast<float>(v[i]); std::memcpy(&out[i * es], &f, es); break; }
        case DType::kFloat64: std::memcpy(&out[i * es], &v[i], es); break;
        case DType::kFloat16: { uint16_t h = interp::float_to_half(static_cast<float>(v[i])); std::memcpy(&out[i * es], &h, es); break; }
        case DType::kBFloat16: { uint16_t h = interp::float_to_bf16(static_cast<float>(v[i])); std::memcpy(&out[i * es], &h, es); break; }
        case DType::kBool: case DType::kInt32: case DType::kInt64: ADD_FAILURE(); break;
      }
    }
    return out;
  };
  std::vector<uint8_t> pa = pack(a), pb = pack(b), pc = pack(c), res(n * es);
  testing::ArgsBuilder ab({static_cast<int64_t>(n)});
  ab.add_contiguous(pa.data());
  const int arity = k.num_inputs();
  if (arity > 1) {
    if (scalar_rhs) ab.add_scalar(rhs);
    else ab.add_contiguous(pb.data());
  }
  if (arity > 2) ab.add_contiguous(pc.data());
  ab.add_contiguous(res.data());
  ck->run(ab.args(), 0, ab.numel());
  return res;
}

// NaN's sign and payload depend on which operand of a commutative op the
// compiler puts first (the interpreter's own kernels differ there too): any
// NaN matches any NaN.
bool is_nan_bits(DType t, const uint8_t* p) {
  switch (t) {
    case DType::kFloat32: { float f; std::memcpy(&f, p, 4); return std::isnan(f); }
    case DType::kFloat64: { double d; std::memcpy(&d, p, 8); return std::isnan(d); }
    case DType::kFloat16: { uint16_t h; std::memcpy(&h, p, 2); return (h & 0x7C00u) == 0x7C00u && (h & 0x3FFu) != 0; }
    case DType::kBFloat16: { uint16_t h; std::memcpy(&h, p, 2); return (h & 0x7F80u) == 0x7F80u && (h & 0x7Fu) != 0; }
    case DType::kBool: case DType::kInt32: case DType::kInt64: return false;
  }
  return false;
}

TEST(Decompose, EveryRuleIsBitIdenticalToTheInterpretersKernel) {
  const std::vector<double> vals = edge_values();
  for (int i = 0; i < ir::num_ops(); ++i) {
    const Op op = ir::op_at(i);
    const ir::OpInfo& info = ir::op_info(op);
    if (!(info.flags & ir::kComposite) || !(info.native & ir::kInterp)) continue;
    const bool scalar_rhs = (info.flags & ir::kUniformRhs) != 0;
    for (DType t : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
      ir::Kernel k("k", 1);
      std::vector<int> ids;
      for (int j = 0; j < info.arity; ++j) {
        ids.push_back(k.add_input(t, j == 1 && scalar_rhs ? Layout::kScalar : Layout::kContiguous));
      }
      k.add_output(k.add_op(op, t, ids), Layout::kContiguous);
      ir::Kernel d = k;
      int rewritten = 0;
      ASSERT_TRUE(passes::decompose(&d, [op](Op o) { return o != op; }, &rewritten)) << info.name;
      ASSERT_EQ(rewritten, 1) << info.name;
      ASSERT_TRUE(ir::verify(d)) << ir::print(d);
      // Operand a runs over the values; b and c over a shifted copy (every
      // pair of neighbours), or a uniform value for scalar operands.
      std::vector<double> a, b, c;
      for (size_t x = 0; x < vals.size(); ++x) {
        for (size_t y = 0; y < (info.arity > 1 && !scalar_rhs ? vals.size() : 1); y += 7) {
          a.push_back(vals[x]);
          b.push_back(vals[(x + y) % vals.size()]);
          c.push_back(vals[(x * 3 + y) % vals.size()]);
        }
      }
      for (double rhs : scalar_rhs ? std::vector<double>{0.1, -1.5, 2.0} : std::vector<double>{0.0}) {
        const auto want = run_op(k, t, a, b, c, scalar_rhs, rhs);
        const auto got = run_op(d, t, a, b, c, scalar_rhs, rhs);
        ASSERT_EQ(want.size(), got.size());
        const size_t es = static_cast<size_t>(ir::dtype_size(t));
        int bad = 0;
        for (size_t e = 0; e < a.size() && bad < 5; ++e) {
          if (std::memcmp(&want[e * es], &got[e * es], es) != 0 && !(is_nan_bits(t, &want[e * es]) && is_nan_bits(t, &got[e * es]))) {
            ++bad;
            ADD_FAILURE() << info.name << " " << ir::dtype_name(t) << " at a=" << a[e] << " b=" << b[e]
                          << " c=" << c[e] << ": the decomposition differs from the kernel";
          }
        }
      }
    }
  }
}

// logaddexp has no kernel: every backend runs its decomposition. Against
// ATen's formula (float32 sums, exact exp and log), with its special cases.
TEST(Decompose, LogaddexpMatchesFloat64) {
  ir::Kernel k("k", 1);
  const int a = k.add_input(DType::kFloat32, Layout::kContiguous);
  const int b = k.add_input(DType::kFloat32, Layout::kContiguous);
  k.add_output(k.add_op(Op::kLogaddexp, DType::kFloat32, {a, b}), Layout::kContiguous);
  ASSERT_TRUE(passes::decompose(&k, ir::kInterp));
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> xs = {inf, -inf, inf, -inf, std::nan(""), 1.0, 0.0, -0.0, 1e30, -1e30, 88.0, -100.0};
  std::vector<double> ys = {inf, -inf, -inf, 3.0, 1.0, std::nan(""), 0.0, -0.0, 1e30, 5.0, 88.0, -100.5};
  for (int i = -300; i <= 300; ++i) {
    xs.push_back(i * 0.37);
    ys.push_back(-i * 0.11 + 2.0);
  }
  const auto raw = run_op(k, DType::kFloat32, xs, ys, xs, false, 0.0);
  for (size_t i = 0; i < xs.size(); ++i) {
    float got;
    std::memcpy(&got, &raw[i * 4], 4);
    // ATen's formula with float32 arithmetic and exactly rounded exp and log.
    const float x = static_cast<float>(xs[i]), y = static_cast<float>(ys[i]);
    const float e = static_cast<float>(std::exp(-static_cast<double>(std::fabs(x - y))));
    const float one_plus = 1.0f + e;
    double want = (std::isinf(x) && x == y) ? x : std::max(x, y) + std::log(static_cast<double>(one_plus));
    if (std::isnan(x) || std::isnan(y)) want = std::nan("");
    const float wf = static_cast<float>(want);
    if (std::isnan(wf)) {
      EXPECT_TRUE(std::isnan(got)) << xs[i] << ", " << ys[i];
    } else if (std::isinf(wf)) {
      EXPECT_EQ(got, wf) << xs[i] << ", " << ys[i];
    } else {
      const float ulp = std::nextafter(std::fabs(wf), std::numeric_limits<float>::infinity()) - std::fabs(wf);
      EXPECT_LE(std::fabs(got - want), 2.0 * ulp) << xs[i] << ", " << ys[i] << ": " << got << " vs " << want;
    }
  }
}

}  // namespace
}  // namespace fuze
