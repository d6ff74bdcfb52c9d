// Helpers shared by the stress tests: the seed models, inputs drawn from a
// fixed set of signatures with random sizes, a ULP-bounded comparison, a
// reusable barrier, and the process's resident set size.
#pragma once

#include <torch/script.h>
#include <unistd.h>

#include <condition_variable>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#ifndef FUZE_MODELS_DIR
#error "FUZE_MODELS_DIR must point at the generated seed models"
#endif

#include "sanitized.h"
#define FUZE_STRESS_SANITIZED FUZE_SANITIZED

namespace fuze::stress {

inline std::string model_path(const std::string& name) { return std::string(FUZE_MODELS_DIR) + "/" + name + ".pt"; }

// A model and the signatures its inputs are drawn from. Each signature is one
// (dtypes, ranks, broadcast/contiguity pattern) class; make() gives inputs of
// that class with random sizes (every size >= 2, so that no size-1 dim turns a
// contiguous operand into a broadcast one).
struct Model {
  std::string name;
  int num_signatures;
  std::vector<torch::jit::IValue> (*make)(int sig, std::mt19937& rng, bool allow_large);
  bool exact;  // only exactly rounded ops (add, mul, div, relu, clamp...): bit-for-bit equal to TorchScript
};

inline int64_t pick(std::mt19937& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

// lstm_cell_pointwise(ingate, forgetgate, cellgate, outgate, cx) -> (hy, cy)
inline std::vector<torch::jit::IValue> lstm_inputs(int sig, std::mt19937& rng, bool allow_large) {
  std::vector<torch::jit::IValue> v;
  const int64_t a = pick(rng, 2, 40), b = pick(rng, 2, 40), c = pick(rng, 2, 9);
  switch (sig) {
    case 0: {  // all contiguous, rank 2; now and then large enough to split across the launch pool
      const bool large = allow_large && pick(rng, 0, 9) == 0;
      for (int i = 0; i < 5; ++i) v.emplace_back(large ? torch::randn({pick(rng, 70, 80), 1024}) : torch::randn({a, b}));
      if (large) {  // one shape for all five
        const auto s = v[0].toTensor().sizes().vec();
        for (int i = 1; i < 5; ++i) v[static_cast<size_t>(i)] = torch::randn(s);
      }
      break;
    }
    case 1:  // all contiguous, rank 1
      for (int i = 0; i < 5; ++i) v.emplace_back(torch::randn({a * b}));
      break;
    case 2:  // cx broadcast along rows: [b] against [a, b]
      for (int i = 0; i < 4; ++i) v.emplace_back(torch::randn({a, b}));
      v.emplace_back(torch::randn({b}));
      break;
    case 3:  // all transposed (strided inputs, a transposed output like eager's)
      for (int i = 0; i < 5; ++i) v.emplace_back(torch::randn({b, a}).t());
      break;
    case 4:  // all contiguous, rank 3
      for (int i = 0; i < 5; ++i) v.emplace_back(torch::randn({c, a, b}));
      break;
    default:
      break;
  }
  return v;
}

// cheap_chain(x, y): ten cheap ops, both inputs used
inline std::vector<torch::jit::IValue> cheap_inputs(int sig, std::mt19937& rng, bool allow_large) {
  const int64_t a = pick(rng, 2, 40), b = pick(rng, 2, 40);
  switch (sig) {
    case 0: return {torch::randn({a, b}), torch::randn({a, b})};
    case 1: return {torch::randn({a, b}), torch::randn({b})};        // y broadcast along rows
    case 2: return {torch::randn({b, a}).t(), torch::randn({a, b})};  // x transposed
    case 3: return {torch::randn({a, b}), torch::randn({})};          // y a 0-dim tensor
    case 4: return {torch::randn({a * b}), torch::randn({a * b})};    // rank 1
    default: return {};
  }
}

// mycell_add_tanh(x, h) -> (tanh(x + h), same)
inline std::vector<torch::jit::IValue> add_tanh_inputs(int sig, std::mt19937& rng, bool allow_large) {
  const int64_t a = pick(rng, 2, 40), b = pick(rng, 2, 40);
  switch (sig) {
    case 0: return {torch::randn({a, b}), torch::randn({a, b})};
    case 1: return {torch::randn({a, b}), torch::randn({a, 1})};  // h broadcast along columns
    case 2: return {torch::randn({b, a}).t(), torch::randn({b, a}).t()};
    default: return {};
  }
}

inline Model lstm_model() { return {"lstm_cell_pointwise", 5, lstm_inputs, false}; }
inline Model cheap_model() { return {"cheap_chain", 5, cheap_inputs, true}; }
inline Model add_tanh_model() { return {"mycell_add_tanh", 3, add_tanh_inputs, false}; }

inline std::vector<at::Tensor> flatten(const torch::jit::IValue& v) {
  std::vector<at::Tensor> out;
  if (v.isTensor()) out.push_back(v.toTensor());
  if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) out.push_back(e.toTensor());
  }
  return out;
}

inline int64_t ulp_distance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return (std::isnan(a) && std::isnan(b)) ? 0 : INT64_MAX;
  if (a == b) return 0;
  auto ordered = [](float f) {
    int32_t i;
    std::memcpy(&i, &f, sizeof(f));
    return i < 0 ? static_cast<int64_t>(INT32_MIN) - i : static_cast<int64_t>(i);
  };
  const int64_t d = ordered(a) - ordered(b);
  return d < 0 ? -d : d;
}

// fuze's tanh/sigmoid are within a few ULP of libtorch's (SLEEF); where a
// result cancels to near zero (cy = f*cx + i*g) the ULP distance grows without
// meaning, hence the absolute floor (the seed model tests use 2e-6 too).
// `*max_ulp` collects the largest distance seen where |want| >= 1e-3.
constexpr int64_t kMaxUlp = 16;
constexpr double kAbsFloor = 2e-6;

// "" when `got` matches `want` (same shapes, dtypes; values bit-for-bit when
// `exact`, else within the bound above), else what differs.
inline std::string compare(const torch::jit::IValue& got, const torch::jit::IValue& want, int64_t* max_ulp,
                           bool exact = false) {
  const auto x = flatten(got), y = flatten(want);
  if (x.size() != y.size() || x.empty()) return "output count differs";
  for (size_t k = 0; k < x.size(); ++k) {
    if (x[k].sizes() != y[k].sizes()) {
      std::ostringstream s;
      s << "output " << k << " shape " << x[k].sizes() << " vs " << y[k].sizes();
      return s.str();
    }
    if (x[k].scalar_type() != at::kFloat || y[k].scalar_type() != at::kFloat) return "output dtype is not float";
    const at::Tensor a = x[k].contiguous(), b = y[k].contiguous();
    const float* pa = a.data_ptr<float>();
    const float* pb = b.data_ptr<float>();
    for (int64_t i = 0; i < a.numel(); ++i) {
      const int64_t d = ulp_distance(pa[i], pb[i]);
      if (d > *max_ulp && std::fabs(pb[i]) >= 1e-3f) *max_ulp = d;
      if (exact ? d != 0 : (d > kMaxUlp && std::fabs(static_cast<double>(pa[i]) - pb[i]) > kAbsFloor)) {
        std::ostringstream s;
        s << "output " << k << " element " << i << ": " << pa[i] << " vs " << pb[i] << " (" << d << " ULP)";
        return s.str();
      }
    }
  }
  return "";
}

// A reusable barrier (std::barrier is C++20).
class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    const uint64_t gen = gen_;
    if (++count_ == n_) {
      count_ = 0;
      ++gen_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return gen_ != gen; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_, count_ = 0;
  uint64_t gen_ = 0;
};

// Resident set size in bytes (/proc/self/statm, second field, in pages).
inline int64_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long size = 0, resident = 0;
  const int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE) : -1;
}

}  // namespace fuze::stress
