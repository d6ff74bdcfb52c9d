// Where the linked libtorch's eager float32 answer is an approximation that
// depends on the CPU, and the exact reference the tests hold fuze to instead.
//
// ATen and oneDNN pick their kernels per CPU, so eager's float32 results
// differ between machines of our kind: torch 2.11's float32 gelu on an AVX-512
// CPU gives gelu(inf) = NaN, gelu(3.4e38) = inf and gelu(-3.4982) 8e-7 away
// from the float64 value; PyPI's sqrt goes through MKL (1 ULP). fuze's answers
// are the same on every CPU, so a test that takes eager as exact passes on one
// machine and fails on another. These helpers give every test one rule:
//
//  - The exact result of a float32 op is eager's float64 op on the operands
//    widened to float64, rounded once to float32 (ATen's float64 kernels are
//    SLEEF's 1.0-ULP functions or libm's on every CPU; one rounding from float64
//    is correctly rounded but in ties too rare to matter).
//  - An op is held to `accuracy(op)` against that exact result: `ulp` ULPs, or
//    for ops whose float32 formula cancels (gelu: x/2 (1 + erf(x/sqrt 2)) for
//    x < -1) an absolute `abs_eps` x FLT_EPSILON. docs/ops.md documents these
//    bounds; special values (NaN, +-inf) must be the exact result's.
//  - eager_f32_accurate(op) probes, once per process, whether this libtorch on
//    this CPU meets the op's bound on a fixed set of values (specials, a grid,
//    wide magnitudes). Where it does not, the fuzzer's reference computes that
//    op in float64 and the end-to-end tests compare with the exact result.
#pragma once

#include <ATen/ATen.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

namespace fuze::testing {

// Distance in units in the last place between two values of T (+0 == -0;
// 0 when both are NaN; INT64_MAX when only one is).
template <class T>
int64_t ulp_distance(T a, T b) {
  if (std::isnan(a) || std::isnan(b)) return (std::isnan(a) && std::isnan(b)) ? 0 : INT64_MAX;
  if (a == b) return 0;
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  auto ordered = [](T v) {
    I i;
    std::memcpy(&i, &v, sizeof(v));
    return static_cast<__int128>(i < 0 ? std::numeric_limits<I>::min() - i : i);
  };
  const __int128 d = ordered(a) - ordered(b);
  const __int128 ad = d < 0 ? -d : d;
  return ad > INT64_MAX ? INT64_MAX : static_cast<int64_t>(ad);
}

// The documented bound of an approximate (transcendental) op against the
// exact result; `name` without the "aten::" prefix ("gelu", "erf", ...).
struct Accuracy {
  int64_t ulp = 4;
  double abs_eps = 0;  // also accepted: |got - exact| <= abs_eps * epsilon
};

inline Accuracy accuracy(const std::string& name) {
  if (name == "mish") return {16, 0};
  // ATen's float32 formulas that cancel (fuze computes the same ones): gelu's
  // 1 + erf(x / sqrt 2) for x < -1, gelu tanh's 1 + tanh(...), elu's
  // exp(x) - 1 near 0-: the error is a few ULP of the cancelling
  // intermediate, not of the (small) result.
  if (name == "gelu" || name == "gelu_tanh" || name == "elu") return {4, 4};
  // logit's log(x / (1 - x)): the float32 quotient's rounding (half an ULP of
  // a value near 1 for x near 0.5) becomes an absolute error of the log.
  if (name == "logit") return {4, 2};
  if (name == "sqrt" || name == "rsqrt") return {1, 0};
  return {4, 0};
}

// Whether `got` is within `acc` of `exact` (both of type T): special values
// must match exactly (NaN with NaN, infinities with their sign); two results
// below the smallest normal count as equal (flush-to-zero approximations).
template <class T>
bool within(T got, T exact, const Accuracy& acc) {
  if (std::isnan(exact) || std::isnan(got)) return std::isnan(exact) && std::isnan(got);
  if (std::isinf(exact) || std::isinf(got)) return got == exact;
  if (ulp_distance(got, exact) <= acc.ulp) return true;
  if (acc.abs_eps > 0 && std::fabs(got - exact) <= acc.abs_eps * std::numeric_limits<T>::epsilon()) return true;
  return std::fabs(got) < std::numeric_limits<T>::min() && std::fabs(exact) < std::numeric_limits<T>::min();
}

// Element-wise `within` over two tensors of one floating dtype (any shape):
// the index of the first element outside, or -1.
inline int64_t first_outside(const at::Tensor& got, const at::Tensor& exact, const Accuracy& acc) {
  const at::Tensor g = got.contiguous().reshape({-1}).to(at::kDouble), e = exact.contiguous().reshape({-1}).to(at::kDouble);
  const bool f32 = got.scalar_type() == at::kFloat;
  const double* pg = g.data_ptr<double>();
  const double* pe = e.data_ptr<double>();
  for (int64_t i = 0; i < g.numel(); ++i) {
    const bool ok = f32 ? within(static_cast<float>(pg[i]), static_cast<float>(pe[i]), acc) : within(pg[i], pe[i], acc);
    if (!ok) return i;
  }
  return -1;
}

// The values eager is probed on: specials, the float32 extremes, a grid over
// [-12, 12] and magnitudes from 1e-38 to 1e38 of both signs.
inline at::Tensor probe_values() {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.f, -0.f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), 3.4e38f, -3.4e38f,
                          std::numeric_limits<float>::max(), std::numeric_limits<float>::lowest(),
                          std::numeric_limits<float>::min(), std::numeric_limits<float>::denorm_min(), 88.7f, -88.7f,
                          -103.5f, 0.5f, -0.5f, 1.f, -1.f, 0.999f, -0.999f, -3.49820948f};
  for (int i = -1200; i <= 1200; ++i) v.push_back(static_cast<float>(i) * 0.01f + 0.003f);
  for (int e = -38; e <= 38; ++e) {
    v.push_back(1.3f * std::pow(10.f, static_cast<float>(e)));
    v.push_back(-1.7f * std::pow(10.f, static_cast<float>(e)));
  }
  return at::from_blob(v.data(), {static_cast<int64_t>(v.size())}, at::kFloat).clone();
}

// The float32 ops whose eager kernels the tests probe: name -> the eager call
// (float32 or float64 tensor in, same dtype out).
inline const std::map<std::string, std::function<at::Tensor(const at::Tensor&)>>& probed_ops() {
  using F = std::function<at::Tensor(const at::Tensor&)>;
  static const std::map<std::string, F> m = {
      {"exp", [](const at::Tensor& x) { return at::exp(x); }},
      {"log", [](const at::Tensor& x) { return at::log(x); }},
      {"tanh", [](const at::Tensor& x) { return at::tanh(x); }},
      {"sigmoid", [](const at::Tensor& x) { return at::sigmoid(x); }},
      {"sqrt", [](const at::Tensor& x) { return at::sqrt(x); }},
      {"rsqrt", [](const at::Tensor& x) { return at::rsqrt(x); }},
      {"gelu", [](const at::Tensor& x) { return at::gelu(x); }},
      {"gelu_tanh", [](const at::Tensor& x) { return at::gelu(x, "tanh"); }},
      {"silu", [](const at::Tensor& x) { return at::silu(x); }},
      {"elu", [](const at::Tensor& x) { return at::elu(x); }},
      {"softplus", [](const at::Tensor& x) { return at::softplus(x); }},
      {"mish", [](const at::Tensor& x) { return at::mish(x); }},
      {"erf", [](const at::Tensor& x) { return at::erf(x); }},
      {"erfc", [](const at::Tensor& x) { return at::erfc(x); }},
      {"expm1", [](const at::Tensor& x) { return at::expm1(x); }},
      {"log1p", [](const at::Tensor& x) { return at::log1p(x); }},
      {"log2", [](const at::Tensor& x) { return at::log2(x); }},
      {"log10", [](const at::Tensor& x) { return at::log10(x); }},
      {"exp2", [](const at::Tensor& x) { return at::exp2(x); }},
      {"sin", [](const at::Tensor& x) { return at::sin(x); }},
      {"cos", [](const at::Tensor& x) { return at::cos(x); }},
      {"tan", [](const at::Tensor& x) { return at::tan(x); }},
      {"asin", [](const at::Tensor& x) { return at::asin(x); }},
      {"acos", [](const at::Tensor& x) { return at::acos(x); }},
      {"atan", [](const at::Tensor& x) { return at::atan(x); }},
      {"sinh", [](const at::Tensor& x) { return at::sinh(x); }},
      {"cosh", [](const at::Tensor& x) { return at::cosh(x); }},
      {"asinh", [](const at::Tensor& x) { return at::asinh(x); }},
      {"acosh", [](const at::Tensor& x) { return at::acosh(x); }},
      {"atanh", [](const at::Tensor& x) { return at::atanh(x); }},
      {"logit", [](const at::Tensor& x) { return at::logit(x); }},
      {"atan2", [](const at::Tensor& x) { return at::atan2(x, at::full_like(x, 0.75)); }},
      {"xlogy", [](const at::Tensor& x) { return at::xlogy(at::full_like(x, 1.5), x); }},
      {"pow", [](const at::Tensor& x) { return at::pow(x, 2.5); }},
  };
  return m;
}

// The probe's finding for one op: empty when eager's float32 op meets its
// bound on every probe value, else the first value where it does not.
inline std::string eager_f32_probe(const std::string& name) {
  const auto it = probed_ops().find(name);
  if (it == probed_ops().end()) return "";
  const at::Tensor x = probe_values();
  const at::Tensor got = it->second(x);
  const at::Tensor exact = it->second(x.to(at::kDouble)).to(at::kFloat);
  const int64_t i = first_outside(got, exact, accuracy(name));
  if (i < 0) return "";
  char buf[160];
  std::snprintf(buf, sizeof buf, "eager %s(%.9g) = %.9g, float64: %.9g", name.c_str(), x[i].item<double>(),
                got[i].item<double>(), exact[i].item<double>());
  return buf;
}

// Whether eager's float32 `name` (with or without "aten::") is within its
// documented bound of the exact result on this CPU; probed once per op.
inline bool eager_f32_accurate(std::string name) {
  if (name.rfind("aten::", 0) == 0) name = name.substr(6);
  static std::map<std::string, bool> cache;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, eager_f32_probe(name).empty()).first;
  return it->second;
}

// Whether eager's float32 and float64 sqrt are correctly rounded: Debian's
// libtorch 1.13 uses std::sqrt; PyPI's 2.x wheels route contiguous sqrt
// through MKL's VML, up to 1 ULP off (sqrt(88.7f) = 9.41806698, correctly
// rounded 9.41806793). fuze keeps its correctly rounded sqrt; where eager's is
// not, tests hold sqrt to 1 ULP instead of bit for bit.
template <class T>
bool eager_sqrt_is_exact_for(at::ScalarType type) {
  const at::Tensor x = at::arange(1.0, 1000.0, 0.1, at::kDouble).to(type), r = at::sqrt(x);
  const auto px = x.accessor<T, 1>(), pr = r.accessor<T, 1>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (pr[i] != std::sqrt(px[i])) return false;  // std::sqrt rounds correctly
  }
  return true;
}

inline bool eager_sqrt_is_exact() {
  static const bool exact = eager_sqrt_is_exact_for<float>(at::kFloat) && eager_sqrt_is_exact_for<double>(at::kDouble);
  return exact;
}

}  // namespace fuze::testing
