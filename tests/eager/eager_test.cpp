// The reference interpreter against libtorch eager (ATen CPU), for EVERY op in
// ops.def (iterated with ir::num_ops/op_at, so a new op is covered or fails
// loudly), on NaN, +-inf, +-0, denormals, huge/tiny and random values, with
// tensor operands (broadcast outer products and same-shape contiguous), 0-dim
// tensors and Python scalars, in f32 and f64.
//
// Agreement: bit for bit with eager for ops without kApprox (NaN matches any
// NaN). kApprox ops (and sqrt where eager's is MKL's) are held to the exact
// result instead of eager's, since eager's float32 kernels approximate
// differently on different CPUs (torch 2.11's float32 gelu on AVX-512 gives
// gelu(inf) = NaN): within the op's documented bound of eager's float64 op on
// the widened operands (tests/eager_accuracy.h), special values exactly, or
// else at least as close to it as eager; an answer identical to eager's
// passes where the probe found eager's kernel within its bounds on this CPU.
// float64 ops are held to eager's float64 result with the same bounds. maximum and
// minimum treat +0 and -0 as equal: on the +-0 tie eager's own vectorised path
// (max_ps: second operand) and its scalar tail (first operand) disagree, so
// eager has no single answer there; the interpreter follows the vector path.
// pow's Scalar exponent is passed to eager already rounded to the tensor's
// dtype: eager's vectorised path rounds it (SLEEF powf), its scalar tail does
// not, so with 0.3 eager's answer depended on the element's position (up to
// 14 ULP apart); rounded first, both paths and the interpreter agree.
#include <ATen/ATen.h>
#include <torch/version.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "backends/interp/interp_backend.h"
#include "eager_accuracy.h"
#include "fuze/ir/kernel.h"
#include "passes/decompose.h"
#include "unit/kernel_args_builder.h"

namespace fuze {
namespace {

using ir::DType;
using ir::Layout;
using ir::Op;

// An operand of an eager call: a tensor or a Python number.
struct Rhs {
  std::optional<at::Tensor> tensor;
  std::optional<double> scalar;
};

// The eager call for `op`. No default: -Wswitch names a new op here, and an op
// this function cannot express returns nullopt, which the callers report.
std::optional<at::Tensor> eager(Op op, const at::Tensor& a, const Rhs& rhs) {
  const bool t = rhs.tensor.has_value();
  const at::Scalar s = rhs.scalar.value_or(0.0);
  // Ops whose rhs must be uniform take a Scalar in eager.
  auto u = [&] { return t ? rhs.tensor->item() : s; };
  switch (op) {
    case Op::kAdd: return t ? at::add(a, *rhs.tensor) : at::add(a, s);
    case Op::kSub: return t ? at::sub(a, *rhs.tensor) : at::sub(a, s);
    case Op::kMul: return t ? at::mul(a, *rhs.tensor) : at::mul(a, s);
    case Op::kDiv: return t ? at::div(a, *rhs.tensor) : at::div(a, s);
    case Op::kNeg: return at::neg(a);
    case Op::kAbs: return at::abs(a);
    case Op::kReciprocal: return at::reciprocal(a);
    case Op::kSqrt: return at::sqrt(a);
    case Op::kRsqrt: return at::rsqrt(a);
    case Op::kMaximum:
      return t ? at::maximum(a, *rhs.tensor) : at::maximum(a, at::scalar_tensor(s, a.options()));
    case Op::kMinimum:
      return t ? at::minimum(a, *rhs.tensor) : at::minimum(a, at::scalar_tensor(s, a.options()));
    case Op::kClampMin: return at::clamp_min(a, u());
    case Op::kClampMax: return at::clamp_max(a, u());
    case Op::kRelu: return at::relu(a);
    case Op::kExp: return at::exp(a);
    case Op::kLog: return at::log(a);
    case Op::kTanh: return at::tanh(a);
    case Op::kSigmoid: return at::sigmoid(a);
    case Op::kPow: {
      const double e = a.scalar_type() == at::kFloat ? static_cast<float>(u().toDouble()) : u().toDouble();
      return at::pow(a, e);
    }
    case Op::kFloorDivide: return t ? at::floor_divide(a, *rhs.tensor) : at::floor_divide(a, s);
    case Op::kRemainder: return t ? at::remainder(a, *rhs.tensor) : at::remainder(a, s);
    case Op::kFmod: return t ? at::fmod(a, *rhs.tensor) : at::fmod(a, s);
    case Op::kGelu: return at::gelu(a);
    case Op::kGeluTanh: return at::gelu(a, "tanh");
    case Op::kSilu: return at::silu(a);
    case Op::kHardswish: return at::hardswish(a);
    case Op::kHardsigmoid: return at::hardsigmoid(a);
    case Op::kLeakyRelu: return at::leaky_relu(a, u());
    case Op::kElu: return at::elu(a, u());
    case Op::kSoftplus: return at::softplus(a);
    case Op::kMish: return at::mish(a);
    case Op::kErf: return at::erf(a);
    case Op::kErfc: return at::erfc(a);
    case Op::kExpm1: return at::expm1(a);
    case Op::kLog1p: return at::log1p(a);
    case Op::kLog2: return at::log2(a);
    case Op::kLog10: return at::log10(a);
    case Op::kExp2: return at::exp2(a);
    case Op::kFloor: return at::floor(a);
    case Op::kCeil: return at::ceil(a);
    case Op::kRound: return at::round(a);
    case Op::kTrunc: return at::trunc(a);
    case Op::kSign: return at::sign(a);
    case Op::kFrac: return at::frac(a);
    case Op::kSin: return at::sin(a);
    case Op::kCos: return at::cos(a);
    case Op::kTan: return at::tan(a);
    case Op::kAsin: return at::asin(a);
    case Op::kAcos: return at::acos(a);
    case Op::kAtan: return at::atan(a);
    case Op::kSinh: return at::sinh(a);
    case Op::kCosh: return at::cosh(a);
    case Op::kAsinh: return at::asinh(a);
    case Op::kAcosh: return at::acosh(a);
    case Op::kAtanh: return at::atanh(a);
    case Op::kAtan2: return at::atan2(a, t ? *rhs.tensor : at::scalar_tensor(s, a.options()));
    case Op::kLogaddexp: return at::logaddexp(a, t ? *rhs.tensor : at::scalar_tensor(s, a.options()));
    case Op::kLogit: return at::logit(a);
    case Op::kXlogy: return t ? at::xlogy(a, *rhs.tensor) : at::xlogy(a, s);
    case Op::kNanToNum: return at::nan_to_num(a);
    // Not (f, f) -> f ops: comparisons, where, logical/bitwise, cast, ternary
    // ops. Covered end to end against TorchScript in tests/frontend
    // (fusion_dtype_test.cpp) and in tests/unit/interp_dtype_test.cpp.
    case Op::kEq: case Op::kNe: case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe: case Op::kWhere:
    case Op::kLogicalAnd: case Op::kLogicalOr: case Op::kLogicalXor: case Op::kLogicalNot:
    case Op::kBitwiseAnd: case Op::kBitwiseOr: case Op::kBitwiseXor: case Op::kBitwiseNot: case Op::kCast:
    case Op::kThreshold: case Op::kLerp: case Op::kIsnan: case Op::kIsinf: case Op::kIsfinite:
      return std::nullopt;
    // Reductions (kReduce): not pointwise; the interpreter's are checked in
    // tests/unit/interp_reduce_test.cpp.
    case Op::kSum: case Op::kProd: case Op::kAmax: case Op::kAmin: case Op::kRowSize:
      return std::nullopt;
  }
  return std::nullopt;
}

// Whether the interpreter's `got` agrees with eager's `want` and the exact
// result `exact` (float32: eager's float64 op rounded once; float64: eager's).
// Exact ops: bit for bit with eager. Approximate ops (and sqrt where eager's
// is MKL's): within the op's documented bound of the exact result
// (tests/eager_accuracy.h, docs/ops.md), special values included; where
// outside it, at least as close to the exact result as eager is.
template <class T>
bool agree(Op op, T got, T want, T exact, std::string* why) {
  const bool approx = (ir::op_info(op).flags & ir::kApprox) != 0 || (op == Op::kSqrt && !testing::eager_sqrt_is_exact());
  if (approx) {
    // Where the probe found eager's kernel within its bounds on this CPU, an
    // answer identical to eager's is ATen's formula itself (elu(-3.6e-16,
    // alpha=inf): (exp(x) - 1) * alpha = 0 * inf = NaN in float32 where the
    // float64 formula gives -inf).
    const bool same = std::memcmp(&got, &want, sizeof(T)) == 0 || (std::isnan(got) && std::isnan(want));
    if (same && (sizeof(T) == 8 || testing::eager_f32_accurate(ir::op_info(op).name))) return true;
    if (testing::within(got, exact, testing::accuracy(ir::op_info(op).name))) return true;
    // float64 has no wider reference here than eager itself, whose SLEEF
    // log1p returns inf near DBL_MAX; the interpreter's is the finite value.
    if (sizeof(T) == 8 && op == Op::kLog1p && std::isinf(exact) && std::isfinite(got) && got > T(700)) return true;
    const bool finite = std::isfinite(got) && std::isfinite(exact);
    const int64_t dg = testing::ulp_distance(got, exact), de = testing::ulp_distance(want, exact);
    if (finite && dg <= de) return true;
    *why = (finite ? std::to_string(dg) + " ULP" : std::string("special value")) + " from the exact " +
           std::to_string(exact) + " (eager: " + (de == INT64_MAX ? std::string("NaN") : std::to_string(de) + " ULP") + ")";
    return false;
  }
  if (std::isnan(got) || std::isnan(want)) {
    if (std::isnan(got) && std::isnan(want)) return true;
    if (std::isnan(want) && (op == Op::kFmod || op == Op::kRemainder || op == Op::kFloorDivide)) {
      // Where a / b overflows (e.g. 3.4e38 / 0.5) eager's vectorised path gives
      // NaN and its scalar tail the std::fmod-based value (the interpreter's):
      // eager has no single answer there. Elsewhere both give NaN together.
      return true;
    }
    *why = "NaN mismatch";
    return false;
  }
  if ((op == Op::kMaximum || op == Op::kMinimum) && got == T(0) && want == T(0)) return true;
  if (std::memcmp(&got, &want, sizeof(T)) == 0) return true;
  *why = "bits differ";
  return false;
}

template <class T>
at::ScalarType scalar_type() {
  return sizeof(T) == 4 ? at::kFloat : at::kDouble;
}
template <class T>
DType dtype() {
  return sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64;
}

template <class T>
std::vector<T> test_values(uint32_t seed) {
  using L = std::numeric_limits<T>;
  std::vector<T> v = {T(0),          -T(0),          T(1),        T(-1),      T(0.5),     T(-0.5),   T(2),
                      T(-2),         T(3),           T(0.1),      T(-7.25),   T(1e-3),    T(20),     T(-20),
                      L::infinity(), -L::infinity(), L::quiet_NaN(), L::denorm_min(), -L::denorm_min(),
                      L::min(),      -L::min(),      L::min() / T(3), L::max(), L::lowest(), T(88.7),  T(-88.7),
                      T(-89.5),      T(-103.5),      T(709.5),    T(-745.5),  T(1e30),    T(-1e-30), T(1e-38),
                      T(3.4e38),     T(0.693),       T(-4.5),     T(9.1)};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uni(-10.0, 10.0);
  std::uniform_real_distribution<double> mag(-38.0, 38.0);
  for (int i = 0; i < 24; ++i) v.push_back(static_cast<T>(uni(rng)));
  for (int i = 0; i < 12; ++i) v.push_back(static_cast<T>((i % 2 ? -1.0 : 1.0) * std::pow(10.0, mag(rng))));
  return v;
}

std::vector<double> test_scalars() {
  const double inf = std::numeric_limits<double>::infinity();
  return {0.0, -0.0, 1.0, -1.0, 2.0, 3.0, -2.0, 0.5, -0.5, 1.5, -3.0, 0.1, 2.5, 0.3, 4.0, 7.25, 1e-40,
          1e30, inf, -inf, std::numeric_limits<double>::quiet_NaN()};
}

// Interpreter over an iteration space `sizes`: input a (layout la, strides
// sa), optional input b (layout lb, strides sb, or a scalar), contiguous output.
template <class T>
std::vector<T> interp(Op op, const std::vector<int64_t>& sizes, const T* a, Layout la, std::vector<int64_t> sa,
                      const T* b, Layout lb, std::vector<int64_t> sb, double scalar) {
  ir::Kernel k("", static_cast<int>(sizes.size()));
  const int x = k.add_input(dtype<T>(), la);
  int v;
  if (ir::op_info(op).arity == 2) {
    const int y = k.add_input(dtype<T>(), lb);
    v = k.add_op(op, dtype<T>(), {x, y});
  } else {
    v = k.add_op(op, dtype<T>(), {x});
  }
  k.add_output(v, Layout::kContiguous);
  EXPECT_TRUE(passes::decompose(&k, ir::kInterp));  // ops without a kernel (logaddexp)
  std::unique_ptr<Backend> be;
  EXPECT_TRUE(make_interp_backend(&be));
  std::unique_ptr<CompiledKernel> ck;
  Status s = be->compile(k, &ck);
  EXPECT_TRUE(s) << s.message();
  if (!ck) return {};
  testing::ArgsBuilder ab(sizes);
  std::vector<T> out(static_cast<size_t>(ab.numel()));
  ab.add(const_cast<T*>(a), std::move(sa));
  if (ir::op_info(op).arity == 2) ab.add(const_cast<T*>(b), std::move(sb), scalar);
  ab.add_contiguous(out.data());
  ck->run(ab.args(), 0, ab.numel());
  return out;
}

// The exact result of eager's `op` on operands of T: for float32, the same
// call on the operands widened to float64 (a Python-number rhs first rounded
// to float32, as the float32 kernel sees it), rounded once to float32; for
// float64, eager's own result.
template <class T>
at::Tensor exact_result(Op op, const at::Tensor& a, const Rhs& rhs, const at::Tensor& want) {
  if (sizeof(T) == 8) return want;
  Rhs wide;
  if (rhs.tensor) wide.tensor = rhs.tensor->to(at::kDouble);
  if (rhs.scalar) wide.scalar = static_cast<double>(static_cast<float>(*rhs.scalar));
  return eager(op, a.to(at::kDouble), wide)->to(at::kFloat);
}

// Compares every element of the interpreter's `got` with eager's `want_t`
// and the exact result `exact_t`; reports the first few mismatches with
// their operands.
template <class T>
void compare_values(Op op, const std::string& what, const std::vector<T>& got, const at::Tensor& want_t,
                    const at::Tensor& exact_t, const std::function<std::string(int64_t)>& operands) {
  const at::Tensor w = want_t.contiguous(), e = exact_t.contiguous();
  ASSERT_EQ(w.scalar_type(), scalar_type<T>()) << what;
  ASSERT_EQ(static_cast<size_t>(w.numel()), got.size()) << what;
  const T* want = w.data_ptr<T>();
  const T* exact = e.data_ptr<T>();
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    std::string why;
    if (!agree(op, got[i], want[i], exact[i], &why) && reported++ < 5) {
      ADD_FAILURE() << ir::op_info(op).name << " " << what << " " << operands(static_cast<int64_t>(i))
                    << ": interp " << got[i] << ", eager " << want[i] << " (" << why << ")";
    }
  }
}

// compare_values with eager's `op` on (a, rhs) and its exact result.
template <class T>
void compare(Op op, const std::string& what, const std::vector<T>& got, const at::Tensor& a, const Rhs& rhs,
             const std::function<std::string(int64_t)>& operands) {
  const std::optional<at::Tensor> want = eager(op, a, rhs);
  ASSERT_TRUE(want) << "the eager test does not know how to call " << ir::op_info(op).name;
  compare_values<T>(op, what, got, *want, exact_result<T>(op, a, rhs, *want), operands);
}

template <class T>
std::string fmt(T v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(v));
  return buf;
}

// Ops this file checks: one floating operand type in and out, arity 1 or 2.
bool is_plain_float_op(Op op) {
  const auto& info = ir::op_info(op);
#if TORCH_VERSION_MAJOR >= 2
  // logaddexp is libtorch 1.13's formula (log(1 + e)); 2.x's (log1p(e)) is
  // lowered to its own composite (lowering.cpp), checked end to end in
  // tests/frontend against eager.
  if (op == Op::kLogaddexp) return false;
#endif
  return info.arity <= 2 && (info.flags & (ir::kBoolOut | ir::kAnyIn | ir::kSelect | ir::kIntegral | ir::kReduce)) == 0;
}

template <class T>
void check_op(Op op) {
  if (!is_plain_float_op(op)) return;
#if TORCH_VERSION_MAJOR >= 2
  // libtorch 2.x's elu takes expm1 where fuze's kernel (1.13's formula) takes
  // exp - 1; the lowering keeps elu out of kernels there (eager_mismatch).
  if (op == Op::kElu) return;
#endif
  const auto& info = ir::op_info(op);
  SCOPED_TRACE(std::string(info.name) + (sizeof(T) == 4 ? " f32" : " f64"));
  const std::vector<T> vals = test_values<T>(17);
  const int64_t n = static_cast<int64_t>(vals.size());
  const auto opts = at::TensorOptions().dtype(scalar_type<T>());
  const at::Tensor x = at::from_blob(const_cast<T*>(vals.data()), {n}, opts).clone();
  const bool uniform_rhs = (info.flags & ir::kUniformRhs) != 0;

  if (info.arity == 1) {
    auto got = interp<T>(op, {n}, vals.data(), Layout::kContiguous, {1}, nullptr, Layout::kContiguous, {}, 0);
    compare<T>(op, "contiguous", got, x, {}, [&](int64_t i) { return "(" + fmt(vals[size_t(i)]) + ")"; });
    // A transposed view of the same values.
    const at::Tensor xt = x.slice(0, 0, (n / 4) * 4).reshape({4, n / 4}).t();
    auto got_t = interp<T>(op, {n / 4, 4}, vals.data(), Layout::kStrided, {1, n / 4}, nullptr,
                           Layout::kContiguous, {}, 0);
    compare<T>(op, "transposed", got_t, xt, {}, [&](int64_t i) { return "[" + std::to_string(i) + "]"; });
    return;
  }

  // Python-number rhs (and a 0-dim tensor rhs, read as a broadcast input).
  for (double s : test_scalars()) {
    auto got = interp<T>(op, {n}, vals.data(), Layout::kContiguous, {1}, nullptr, Layout::kScalar, {0}, s);
    compare<T>(op, "scalar " + fmt(s), got, x, Rhs{std::nullopt, s},
               [&](int64_t i) { return "(" + fmt(vals[size_t(i)]) + ", " + fmt(s) + ")"; });
    const T st = static_cast<T>(s);
    const at::Tensor zero_dim = at::scalar_tensor(st, opts);
    auto got0 = interp<T>(op, {n}, vals.data(), Layout::kContiguous, {1}, &st, Layout::kBroadcast, {0}, 0);
    compare<T>(op, "0-dim " + fmt(s), got0, x, Rhs{zero_dim, std::nullopt},
               [&](int64_t i) { return "(" + fmt(vals[size_t(i)]) + ", " + fmt(st) + ")"; });
  }
  if (uniform_rhs) return;

  // Every pair of values: a [n, 1] and b [1, n] broadcast to [n, n] ...
  const at::Tensor a = x.reshape({n, 1});
  const at::Tensor b = x.reshape({1, n});
  auto pair_name = [&](int64_t i) { return "(" + fmt(vals[size_t(i / n)]) + ", " + fmt(vals[size_t(i % n)]) + ")"; };
  auto got = interp<T>(op, {n, n}, vals.data(), Layout::kStrided, {1, 0}, vals.data(), Layout::kStrided, {0, 1}, 0);
  compare<T>(op, "broadcast", got, a, Rhs{b, std::nullopt}, pair_name);
  // ... and the same pairs as two contiguous tensors (eager's vectorised path).
  const at::Tensor ac = a.expand({n, n}).contiguous();
  const at::Tensor bc = b.expand({n, n}).contiguous();
  auto got_c = interp<T>(op, {n * n}, ac.data_ptr<T>(), Layout::kContiguous, {1}, bc.data_ptr<T>(),
                         Layout::kContiguous, {1}, 0);
  compare<T>(op, "contiguous", got_c, ac, Rhs{bc, std::nullopt}, pair_name);
}

TEST(EagerParity, EveryOpF32) {
  for (int i = 0; i < ir::num_ops(); ++i) check_op<float>(ir::op_at(i));
}

TEST(EagerParity, EveryOpF64) {
  for (int i = 0; i < ir::num_ops(); ++i) check_op<double>(ir::op_at(i));
}

// aten::clamp(x, lo, hi) lowers to clamp_max(clamp_min(x, lo), hi).
TEST(EagerParity, ClampLowering) {
  const std::vector<float> vals = test_values<float>(5);
  const int64_t n = static_cast<int64_t>(vals.size());
  const at::Tensor x = at::from_blob(const_cast<float*>(vals.data()), {n}, at::kFloat).clone();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::pair<double, double> bounds[] = {{-1, 1}, {0, 0}, {2, -2}, {-0.0, 0.0}, {nan, 1}, {-1, nan}, {0.5, 1e30}};
  for (auto [lo, hi] : bounds) {
    ir::Kernel k("", 1);
    const int in = k.add_input(DType::kFloat32, Layout::kContiguous);
    const int l = k.add_input(DType::kFloat32, Layout::kScalar);
    const int h = k.add_input(DType::kFloat32, Layout::kScalar);
    const int c = k.add_op(Op::kClampMin, DType::kFloat32, {in, l});
    k.add_output(k.add_op(Op::kClampMax, DType::kFloat32, {c, h}), Layout::kContiguous);
    std::unique_ptr<Backend> be;
    ASSERT_TRUE(make_interp_backend(&be));
    std::unique_ptr<CompiledKernel> ck;
    ASSERT_TRUE(be->compile(k, &ck));
    std::vector<float> out(vals.size());
    testing::ArgsBuilder ab({n});
    ab.add_contiguous(const_cast<float*>(vals.data()));
    ab.add_scalar(lo);
    ab.add_scalar(hi);
    ab.add_contiguous(out.data());
    ck->run(ab.args(), 0, n);
    const at::Tensor want = at::clamp(x, lo, hi);
    compare_values<float>(Op::kClampMax, "clamp(" + fmt(lo) + ", " + fmt(hi) + ")", out, want, want,
                          [&](int64_t i) { return "(" + fmt(vals[size_t(i)]) + ")"; });
  }
}

}  // namespace
}  // namespace fuze
