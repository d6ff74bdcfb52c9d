// Helpers of the fault suite: seed models, TorchScript reference runs, RSS,
// and a fixture that leaves no fault, cache entry or option behind.
#pragma once

#include <gtest/gtest.h>
#include <torch/script.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/common.h"
#include "sanitized.h"
#include "frontend/test_util.h"
#include "fuze/fuze.h"
#include "runtime/runtime.h"
#include "support/fault.h"
#include "support/log.h"

namespace fuze::fault_test {

inline std::string model_path(const std::string& name) { return std::string(FUZE_MODELS_DIR) + "/" + name; }

// Resident set size in bytes (/proc/self/statm).
inline size_t rss_bytes() {
  long pages = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

inline std::vector<torch::jit::IValue> clone_all(const std::vector<torch::jit::IValue>& v) {
  std::vector<torch::jit::IValue> c;
  for (const auto& e : v) c.push_back(e.isTensor() ? torch::jit::IValue(e.toTensor().clone()) : e);
  return c;
}

// Every tensor of a (nested) output, in order: the CLI's own helper.
using fuze::cli::flatten;

inline ::testing::AssertionResult same_outputs(const torch::jit::IValue& a, const torch::jit::IValue& b,
                                               double atol = 0.0) {
  std::vector<at::Tensor> xs, ys;
  flatten(a, &xs);
  flatten(b, &ys);
  if (xs.size() != ys.size()) return ::testing::AssertionFailure() << xs.size() << " vs " << ys.size() << " outputs";
  for (size_t i = 0; i < xs.size(); ++i) {
    auto r = fuze::testing::same_tensor(xs[i], ys[i], atol);
    if (!r) return r << " (output " << i << ")";
  }
  return ::testing::AssertionSuccess();
}

// The message of what `f` throws ("" when it does not), without the C++ backtrace.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// The last non-empty line: TorchScript's "RuntimeError: ..." after its traceback.
inline std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return "";
  size_t begin = text.rfind('\n', end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return text.substr(begin, end - begin + 1);
}

class FaultFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_options_ = fuze::options();
    saved_level_ = fuze::log_level();
    fuze::support::set_faults("");
    fuze::support::reset_fault_hits();
    runtime::KernelCache::global().clear();
    fuze::reset_stats();
  }
  void TearDown() override {
    fuze::support::set_faults("");
    fuze::set_options(saved_options_);
    fuze::set_log_level(saved_level_);
    runtime::KernelCache::global().clear();
  }
  void use_backend(BackendKind kind) {
    Options o = fuze::options();
    o.backend = kind;
    fuze::set_options(o);
  }

 private:
  Options saved_options_;
  LogLevel saved_level_ = LogLevel::kWarn;
};

}  // namespace fuze::fault_test
