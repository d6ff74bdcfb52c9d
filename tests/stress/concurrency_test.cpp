// Concurrency (issue #8, item 2): 8 threads x 300 forward calls on one shared
// fused module, inputs drawn from a few signatures with random sizes (plus
// broadcast, transposed, 0-dim and rank-1/3 inputs). The first calls of every
// thread are lined up by a barrier so that all 8 miss the same signature at
// the same moment; later calls pick signatures at random. Every result is
// compared with TorchScript's on the same inputs, and afterwards each
// signature must have been compiled exactly once, with no fallback.
// The same tests run under ThreadSanitizer (scripts/sanitize.sh).
#include <gtest/gtest.h>
#include <torch/csrc/jit/passes/tensorexpr_fuser.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <thread>

#include "fuze/fuze.h"
#include "runtime/runtime.h"
#include "stress/stress_util.h"

namespace fuze::stress {
namespace {

constexpr int kThreads = 8;
constexpr int kCalls = 300;

struct Outcome {
  std::atomic<int64_t> mismatches{0}, errors{0}, calls{0};
  std::atomic<int64_t> max_ulp{0};
  std::mutex mu;
  std::string first_problem;
  void problem(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    if (first_problem.empty()) first_problem = what;
  }
};

using Inputs = std::vector<torch::jit::IValue>;

// Runs kThreads threads x kCalls calls. Call i < num_signatures of every
// thread uses signature i, all threads released together; later calls use a
// random signature. `run(t, i, sig, rng)` returns "" or a problem.
void hammer(int num_signatures, const std::function<std::string(int, int, int, std::mt19937&, int64_t*)>& run,
            Outcome* out) {
  // libtorch creates its default CPU generator (and the mutex in it) lazily,
  // in code ThreadSanitizer cannot see: create it here, before the threads,
  // rather than let the first 8 torch::randn calls race to it.
  (void)torch::randn({2});
  Barrier barrier(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      torch::NoGradGuard no_grad;  // grad mode is thread-local
      std::mt19937 rng(1234u + static_cast<unsigned>(t));
      int64_t max_ulp = 0;
      for (int i = 0; i < kCalls; ++i) {
        const bool warm_up = i < num_signatures;
        if (warm_up) barrier.wait();
        const int sig = warm_up ? i : static_cast<int>(pick(rng, 0, num_signatures - 1));
        try {
          const std::string why = run(t, i, sig, rng, &max_ulp);
          if (!why.empty()) {
            out->mismatches.fetch_add(1);
            out->problem("thread " + std::to_string(t) + " call " + std::to_string(i) + " signature " +
                         std::to_string(sig) + ": " + why);
          }
        } catch (const std::exception& e) {
          out->errors.fetch_add(1);
          out->problem("thread " + std::to_string(t) + " call " + std::to_string(i) + ": " + e.what());
        }
        out->calls.fetch_add(1);
      }
      int64_t seen = out->max_ulp.load();
      while (max_ulp > seen && !out->max_ulp.compare_exchange_weak(seen, max_ulp)) {
      }
    });
  }
  for (auto& th : threads) th.join();
}

class Concurrency : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    if (GetParam() == BackendKind::kX86 && runtime::default_cpu_backend() != BackendKind::kX86) {
      GTEST_SKIP() << "x86 backend not built or not usable here";
    }
    saved_ = fuze::options();
    fuze::Options o = saved_;
    o.backend = GetParam();
    o.num_threads = 2;  // large calls split across the launch pool while 8 callers run
    fuze::set_options(o);
  }
  void TearDown() override {
    if (!IsSkipped()) fuze::set_options(saved_);
  }
  fuze::Options saved_;
};

// One fuze::Module shared by all threads; TorchScript's reference computed in
// the calling thread on the same inputs.
TEST_P(Concurrency, SharedFuzeModule) {
  for (const Model& m : {lstm_model(), cheap_model(), add_tanh_model()}) {
    SCOPED_TRACE(m.name);
    runtime::KernelCache::global().clear();
    fuze::Module fused = fuze::load(model_path(m.name));
    torch::jit::Module plain = torch::jit::load(model_path(m.name));
    ASSERT_EQ(fused.num_fusion_groups(), 1);
    fuze::reset_stats();
    Outcome out;
    const auto t0 = std::chrono::steady_clock::now();
    hammer(m.num_signatures,
           [&](int, int, int sig, std::mt19937& rng, int64_t* max_ulp) {
             Inputs in = m.make(sig, rng, true);
             const torch::jit::IValue want = plain.forward(in);
             const torch::jit::IValue got = fused.forward(in);
             return compare(got, want, max_ulp, m.exact);
           },
           &out);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const fuze::Stats st = fuze::stats();
    std::cout << "[stress] " << m.name << " " << backend_name(GetParam()) << ": " << kThreads << " threads x "
              << kCalls << " calls, " << out.mismatches << " mismatches, " << out.errors << " errors, "
              << m.num_signatures << " signatures, " << st.compiles << " compiles, " << st.hits << " hits, "
              << st.misses << " misses, " << st.kernel_calls << " kernel calls, " << st.fallbacks
              << " fallbacks, max " << out.max_ulp << " ULP (|ref| >= 1e-3), " << secs << " s\n";
    EXPECT_EQ(out.calls.load(), kThreads * kCalls);
    EXPECT_EQ(out.mismatches.load(), 0) << out.first_problem;
    EXPECT_EQ(out.errors.load(), 0) << out.first_problem;
    EXPECT_EQ(st.compiles, static_cast<uint64_t>(m.num_signatures)) << "one compile per signature";
    EXPECT_EQ(st.compile_failures, 0u);
    EXPECT_EQ(st.fallbacks, 0u);
    EXPECT_EQ(st.kernel_calls, static_cast<uint64_t>(kThreads * kCalls));
    EXPECT_EQ(runtime::KernelCache::global().size(), static_cast<size_t>(m.num_signatures));
  }
}

// fuze::enable(): a plain torch::jit::Module run by TorchScript's own
// (profiling) executor from 8 threads, so the executor's optimisation (and
// with it fuze's pre-pass) happens while the threads call. References are
// computed before enable(), on the same inputs.
TEST_P(Concurrency, EnabledTorchScriptModule) {
  ASSERT_FALSE(fuze::is_enabled());
  const bool te_before = torch::jit::tensorExprFuserEnabled();
  for (const Model& m : {lstm_model(), cheap_model()}) {
    SCOPED_TRACE(m.name);
    // Inputs and references, per thread and call, with fuze off.
    std::vector<std::vector<Inputs>> inputs(kThreads);
    std::vector<std::vector<torch::jit::IValue>> refs(kThreads);
    {
      torch::NoGradGuard no_grad;
      torch::jit::Module plain = torch::jit::load(model_path(m.name));
      for (int t = 0; t < kThreads; ++t) {
        std::mt19937 rng(99u + static_cast<unsigned>(t));
        for (int i = 0; i < kCalls; ++i) {
          const int sig = i < m.num_signatures ? i : static_cast<int>(pick(rng, 0, m.num_signatures - 1));
          inputs[t].push_back(m.make(sig, rng, false));
          refs[t].push_back(plain.forward(inputs[t].back()));
        }
      }
    }
    runtime::KernelCache::global().clear();
    fuze::enable();
    torch::jit::Module mod = torch::jit::load(model_path(m.name));
    fuze::reset_stats();
    Outcome out;
    const auto t0 = std::chrono::steady_clock::now();
    hammer(m.num_signatures,
           [&](int t, int i, int, std::mt19937&, int64_t* max_ulp) {
             const torch::jit::IValue got = mod.forward(inputs[t][i]);
             return compare(got, refs[t][i], max_ulp, m.exact);
           },
           &out);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fuze::disable();
    const fuze::Stats st = fuze::stats();
    std::cout << "[stress] enable() " << m.name << " " << backend_name(GetParam()) << ": " << kThreads
              << " threads x " << kCalls << " calls, " << out.mismatches << " mismatches, " << out.errors
              << " errors, " << m.num_signatures << " signatures, " << st.compiles << " compiles, "
              << st.kernel_calls << " kernel calls, " << st.fallbacks << " fallbacks, max " << out.max_ulp
              << " ULP (|ref| >= 1e-3), " << secs << " s\n";
    EXPECT_EQ(out.calls.load(), kThreads * kCalls);
    EXPECT_EQ(out.mismatches.load(), 0) << out.first_problem;
    EXPECT_EQ(out.errors.load(), 0) << out.first_problem;
    EXPECT_GT(st.kernel_calls, 0u);
    // TorchScript may keep several copies of the graph (optimised plan,
    // fallback functions), each with its own group: they share the cache, so
    // still no more than one compile per signature.
    EXPECT_GE(st.compiles, 1u);
    EXPECT_LE(st.compiles, static_cast<uint64_t>(m.num_signatures));
    EXPECT_EQ(st.compile_failures, 0u);
  }
  EXPECT_FALSE(fuze::is_enabled());
  EXPECT_EQ(torch::jit::tensorExprFuserEnabled(), te_before);
}

INSTANTIATE_TEST_SUITE_P(Backends, Concurrency, ::testing::Values(BackendKind::kX86, BackendKind::kInterp),
                         [](const ::testing::TestParamInfo<BackendKind>& info) {
                           return std::string(backend_name(info.param));
                         });

}  // namespace
}  // namespace fuze::stress
