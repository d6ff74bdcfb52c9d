// Injected faults (support/fault.h): each one must take the normal failure
// path (a counted, logged compile failure and the FusionGroup's fallback,
// TorchScript's own ops), give TorchScript's result, count one reason per
// compile attempt (a remembered failure is not retried: one log line, not one
// per call), never crash, and not leak (RSS flat over many faulted runs).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#if FUZE_TEST_CUDA
#include "backends/cuda/cuda_backend.h"
#include "cuda/cuda_test_util.h"
#endif
#include "fault/fault_util.h"
#include "fuze/backend.h"

namespace fuze::fault_test {
namespace {

bool have_backend(BackendKind kind) {
  std::unique_ptr<Backend> b;
  return make_backend(kind, &b).is_ok();
}

int count_lines_with(const std::string& text, const std::string& needle) {
  int n = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (text.substr(pos, end - pos).find(needle) != std::string::npos) ++n;
    pos = end + 1;
  }
  return n;
}

// A seed model run `calls` times fused and once through TorchScript.
struct FusedRun {
  Stats stats;
  std::string log;  // what fuze logged (info level) meanwhile
};

FusedRun run_model(const std::string& file, const std::vector<std::vector<int64_t>>& shapes, int calls) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(7);
  std::vector<torch::jit::IValue> inputs;
  for (const auto& s : shapes) inputs.emplace_back(torch::randn(s));
  torch::jit::Module ref = torch::jit::load(model_path(file));
  torch::jit::IValue expected = ref.forward(clone_all(inputs));
  fuze::Module m = fuze::load(model_path(file));
  fuze::set_log_level(LogLevel::kInfo);
  fuze::reset_stats();
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < calls; ++i) {
    torch::jit::IValue out = m.forward(clone_all(inputs));
    EXPECT_TRUE(same_outputs(out, expected, 1e-6)) << file << " call " << i;
  }
  FusedRun r;
  r.log = ::testing::internal::GetCapturedStderr();
  r.stats = fuze::stats();
  fuze::set_log_level(LogLevel::kWarn);
  return r;
}

TEST(FaultSwitch, ParsesNamesAndCountsHits) {
  std::string err;
  EXPECT_TRUE(support::set_faults("x86_emit, output_alloc", &err)) << err;
  EXPECT_EQ(support::active_faults(), "x86_emit,output_alloc");
  support::reset_fault_hits();
  EXPECT_TRUE(support::fault(support::Fault::kX86Emit));
  EXPECT_FALSE(support::fault(support::Fault::kExecMem));
  EXPECT_EQ(support::fault_hits(support::Fault::kX86Emit), 1u);
  EXPECT_EQ(support::fault_hits(support::Fault::kExecMem), 0u);
  EXPECT_FALSE(support::set_faults("x86_emit,bogus", &err));
  EXPECT_NE(err.find("unknown fault 'bogus'"), std::string::npos) << err;
  EXPECT_EQ(support::active_faults(), "x86_emit,output_alloc");  // unchanged
  EXPECT_TRUE(support::set_faults("none"));
  EXPECT_EQ(support::active_faults(), "");
  EXPECT_FALSE(support::fault(support::Fault::kX86Emit));
  for (unsigned i = 0; i < static_cast<unsigned>(support::Fault::kCount); ++i) {
    EXPECT_TRUE(support::set_faults(support::fault_name(static_cast<support::Fault>(i))));
  }
  EXPECT_TRUE(support::set_faults(""));
}

class X86Fault : public FaultFixture, public ::testing::WithParamInterface<const char*> {};

// Emit failure and executable-memory failure: the x86 compile fails once per
// kernel, is counted and logged once, and the group runs TorchScript's ops
// (the fallback, counted per call with its reason), never the slower interpreter.
TEST_P(X86Fault, FallsBackToTorchScriptOnceWithTheRightResult) {
  if (!have_backend(BackendKind::kX86)) GTEST_SKIP() << "no x86 backend here";
  use_backend(BackendKind::kX86);
  const std::string name = GetParam();
  ASSERT_TRUE(support::set_faults(name));
  FusedRun r = run_model("mycell_add_tanh.pt", {{3, 4}, {3, 4}}, 20);
  const support::Fault f = name == "x86_emit" ? support::Fault::kX86Emit : support::Fault::kExecMem;
  EXPECT_EQ(support::fault_hits(f), 1u) << "a remembered failure is not recompiled";
  EXPECT_EQ(r.stats.compile_failures, 1u);
  EXPECT_EQ(r.stats.compiles, 0u);
  EXPECT_EQ(r.stats.kernel_calls, 0u);
  EXPECT_EQ(r.stats.fallbacks, 20u);
  EXPECT_EQ(count_lines_with(r.log, "the group runs TorchScript's ops instead"), 1) << r.log;
  // A backend that should have compiled and did not is a warning naming the
  // failure (a missing op would be info: Status codes).
  EXPECT_EQ(count_lines_with(r.log, name == "x86_emit" ? "[fuze warn] x86 compile of fused_add_tanh failed: x86 backend: asmjit failed"
                                                       : "[fuze warn] x86 compile of fused_add_tanh failed: x86 backend: out of code memory"),
            1)
      << r.log;
  EXPECT_EQ(count_lines_with(r.log, name == "x86_emit" ? "(compile failed)" : "(out of code memory)"), 1) << r.log;
  const auto entries = runtime::KernelCache::global().entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].backend, BackendKind::kX86);
  EXPECT_TRUE(entries[0].failed);
  const auto reasons = fuze::fallback_reasons();
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0].second, 20u);
  EXPECT_NE(reasons[0].first.find("x86 compile of fused_add_tanh failed"), std::string::npos) << reasons[0].first;

  // The same model without the fault compiles with x86 again.
  support::set_faults("");
  runtime::KernelCache::global().clear();
  FusedRun ok = run_model("mycell_add_tanh.pt", {{3, 4}, {3, 4}}, 3);
  EXPECT_EQ(ok.stats.compile_failures, 0u);
  EXPECT_EQ(ok.stats.kernel_calls, 3u);
  EXPECT_EQ(runtime::KernelCache::global().entries().at(0).backend, BackendKind::kX86);
}

// Every seed model still equals TorchScript with both x86 faults on.
TEST_P(X86Fault, EverySeedModel) {
  if (!have_backend(BackendKind::kX86)) GTEST_SKIP() << "no x86 backend here";
  use_backend(BackendKind::kX86);
  ASSERT_TRUE(support::set_faults(GetParam()));
  const std::vector<std::pair<std::string, std::vector<std::vector<int64_t>>>> models = {
      {"mycell_add_tanh.pt", {{3, 4}, {3, 4}}},   {"mycell_linear.pt", {{3, 4}, {3, 4}}},
      {"decision_gate.pt", {{3, 4}}},             {"mycell_scripted_gate.pt", {{3, 4}, {3, 4}}},
      {"rnn_loop.pt", {{10, 3, 4}}},              {"wrap_rnn.pt", {{10, 3, 4}}},
      {"lstm_cell_pointwise.pt", {{3, 8}, {3, 8}, {3, 8}, {3, 8}, {3, 8}}},
      {"cheap_chain.pt", {{4, 16}, {4, 16}}}};
  for (const auto& [file, shapes] : models) {
    runtime::KernelCache::global().clear();
    FusedRun r = run_model(file, shapes, 3);
    EXPECT_EQ(r.stats.kernel_calls, 0u) << file << ": no kernel compiles under the fault";
    EXPECT_EQ(r.stats.compiles, 0u) << file;
  }
}

// RSS stays flat while the faulted compile path runs many times (a fresh
// cache each time, so every iteration compiles and fails again).
TEST_P(X86Fault, NoLeakOverManyFailedCompiles) {
  if (!have_backend(BackendKind::kX86)) GTEST_SKIP() << "no x86 backend here";
  use_backend(BackendKind::kX86);
  ASSERT_TRUE(support::set_faults(GetParam()));
  torch::NoGradGuard no_grad;
  fuze::Module m = fuze::load(model_path("mycell_add_tanh.pt"));
  std::vector<torch::jit::IValue> in = {torch::randn({3, 4}), torch::randn({3, 4})};
  torch::Tensor expected = torch::tanh(in[0].toTensor() + in[1].toTensor());
  size_t rss_mid = 0;
  const int kRounds = 400;
  for (int i = 0; i < kRounds; ++i) {
    // A new module each round: a new group, whose table has not seen the failure.
    fuze::Module fresh = fuze::optimize(m.original());
    runtime::KernelCache::global().clear();
    torch::Tensor out = fresh.forward(clone_all(in)).toTupleRef().elements()[0].toTensor();
    ASSERT_TRUE(out.allclose(expected, 1e-5, 1e-6));
    if (i == kRounds / 4) rss_mid = rss_bytes();
  }
  const size_t rss_end = rss_bytes();
  EXPECT_GE(support::fault_hits(GetParam() == std::string("x86_emit") ? support::Fault::kX86Emit
                                                                       : support::Fault::kExecMem),
            static_cast<uint64_t>(kRounds));
  // 300 failed compiles after the mid point: a leak of even 10 KiB each shows.
  if (!FUZE_SANITIZED) {
    EXPECT_LT(rss_end, rss_mid + 2 * 1024 * 1024) << "RSS grew from " << rss_mid << " to " << rss_end;
  }
}

INSTANTIATE_TEST_SUITE_P(Faults, X86Fault, ::testing::Values("x86_emit", "exec_mem"));

class OutputAllocFault : public FaultFixture {};

// Output allocation failure: the kernel exists, but the call cannot allocate
// its outputs: every call runs the group's fallback; the reason is logged once.
TEST_F(OutputAllocFault, EveryCallFallsBackWithOneLoggedReason) {
  ASSERT_TRUE(support::set_faults("output_alloc"));
  FusedRun r = run_model("mycell_add_tanh.pt", {{3, 4}, {3, 4}}, 20);
  EXPECT_EQ(support::fault_hits(support::Fault::kOutputAlloc), 20u);
  EXPECT_EQ(r.stats.fallbacks, 20u);
  EXPECT_EQ(r.stats.kernel_calls, 0u);
  EXPECT_EQ(r.stats.compile_failures, 0u);
  EXPECT_EQ(r.stats.compiles, 1u);
  EXPECT_EQ(count_lines_with(r.log, "fallback: "), 1) << r.log;
  EXPECT_EQ(count_lines_with(r.log, "fallback: kernel path failed: DefaultCPUAllocator: injected fault output_alloc"), 1)
      << r.log;
  EXPECT_EQ(r.log.find("Exception raised from"), std::string::npos) << "a C++ backtrace in the log:\n" << r.log;
  // With the fault off, the same module runs its kernel.
  support::set_faults("");
  FusedRun ok = run_model("mycell_add_tanh.pt", {{3, 4}, {3, 4}}, 2);
  EXPECT_EQ(ok.stats.fallbacks, 0u);
  EXPECT_EQ(ok.stats.kernel_calls, 2u);
}

TEST_F(OutputAllocFault, EverySeedModelAndNoLeak) {
  ASSERT_TRUE(support::set_faults("output_alloc"));
  for (const char* file : {"lstm_cell_pointwise.pt", "rnn_loop.pt", "wrap_rnn.pt", "cheap_chain.pt"}) {
    std::vector<std::vector<int64_t>> shapes;
    if (std::string(file) == "lstm_cell_pointwise.pt") shapes.assign(5, {3, 8});
    else if (std::string(file) == "cheap_chain.pt") shapes.assign(2, {4, 16});
    else shapes.assign(1, {10, 3, 4});
    FusedRun r = run_model(file, shapes, 2);
    EXPECT_EQ(r.stats.kernel_calls, 0u) << file;
    EXPECT_GT(r.stats.fallbacks, 0u) << file;
  }
  torch::NoGradGuard no_grad;
  fuze::Module m = fuze::load(model_path("lstm_cell_pointwise.pt"));
  std::vector<torch::jit::IValue> in;
  for (int i = 0; i < 5; ++i) in.emplace_back(torch::randn({3, 8}));
  size_t rss_mid = 0;
  const int kCalls = 1000;
  for (int i = 0; i < kCalls; ++i) {
    torch::jit::IValue out = m.forward(clone_all(in));
    if (i == kCalls / 4) rss_mid = rss_bytes();
  }
  const size_t rss_end = rss_bytes();
  if (!FUZE_SANITIZED) {
    EXPECT_LT(rss_end, rss_mid + 2 * 1024 * 1024) << "RSS grew from " << rss_mid << " to " << rss_end;
  }
}

#if FUZE_TEST_CUDA
// ---- CUDA: NVRTC and the driver ---------------------------------------------
// Without a GPU the CUDA backend is never picked for CPU tensors, so these
// faults are checked where they act: NVRTC compiles (cuda_compile_only), the
// status queries, and the runtime's backend chain (KernelCache with kCuda).

ir::Kernel add_tanh_kernel() {
  ir::Kernel k;
  std::string why;
  EXPECT_TRUE(cuda_test::kernel_from_text(cuda_test::kAddTanh, &k, &why)) << why;
  return k;
}

class CudaFault : public FaultFixture {};

TEST_F(CudaFault, NvrtcMissing) {
  ASSERT_TRUE(support::set_faults("nvrtc_missing"));
  Status st = cuda_nvrtc_status();
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("injected fault nvrtc_missing"), std::string::npos) << st.message();
  EXPECT_FALSE(cuda_device_status().is_ok());
  CudaCompileOutput out;
  st = cuda_compile_only(add_tanh_kernel(), CudaCompileOptions{}, &out);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("libnvrtc not found"), std::string::npos) << st.message();
  std::unique_ptr<Backend> be;
  EXPECT_FALSE(make_backend(BackendKind::kCuda, &be).is_ok());
}

TEST_F(CudaFault, NvrtcCompileFails) {
  if (!cuda_nvrtc_status().is_ok()) GTEST_SKIP() << "libnvrtc not available: " << cuda_nvrtc_status().message();
  ASSERT_TRUE(support::set_faults("nvrtc_fail"));
  CudaCompileOutput out;
  CudaCompileOptions opts;
  opts.arch = "sm_80";
  Status st = cuda_compile_only(add_tanh_kernel(), opts, &out);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("NVRTC failed to compile"), std::string::npos) << st.message();
  EXPECT_EQ(support::fault_hits(support::Fault::kNvrtcFail), 1u);
  EXPECT_TRUE(out.cubin.empty());
  // Again a few times: the failed program is destroyed each time (no leak, no crash).
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(cuda_compile_only(add_tanh_kernel(), opts, &out).is_ok());
  support::set_faults("");
  st = cuda_compile_only(add_tanh_kernel(), opts, &out);
  EXPECT_TRUE(st.is_ok()) << st.message();
  EXPECT_FALSE(out.cubin.empty());
}

TEST_F(CudaFault, DriverLoad) {
  ASSERT_TRUE(support::set_faults("driver_load"));
  Status st = cuda_device_status();
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("injected fault driver_load"), std::string::npos) << st.message();
  std::unique_ptr<Backend> be;
  st = make_backend(BackendKind::kCuda, &be);
  EXPECT_FALSE(st.is_ok());
  EXPECT_EQ(be, nullptr);
}

// A kernel asked of cuda when cuda cannot be used (each CUDA fault) gives no
// kernel, counted once as a failure and remembered; never an interp kernel
// (it could not read device memory, and the caller runs its fallback).
TEST_F(CudaFault, RuntimeGivesNoKernelNotTheInterpreter) {
  for (const char* f : {"nvrtc_missing", "nvrtc_fail", "driver_load"}) {
    ASSERT_TRUE(support::set_faults(f));
    runtime::KernelCache cache;
    fuze::reset_stats();
    std::string why;
    const ir::Kernel k = add_tanh_kernel();
    auto build = [&](ir::Kernel* out) {
      *out = k;
      return Status::ok();
    };
    auto kernel = cache.lookup_or_compile("add_tanh|cuda", BackendKind::kCuda, build, &why);
    EXPECT_EQ(kernel, nullptr) << f;
    EXPECT_NE(why.find("cuda"), std::string::npos) << f << ": " << why;
    ASSERT_EQ(cache.entries().size(), 1u);
    EXPECT_EQ(cache.entries()[0].backend, BackendKind::kCuda) << f;
    EXPECT_TRUE(cache.entries()[0].failed) << f;
    auto again = cache.lookup_or_compile("add_tanh|cuda", BackendKind::kCuda, build, &why);
    EXPECT_EQ(again, nullptr);
    const Stats st = fuze::stats();
    EXPECT_EQ(st.compile_failures, 1u) << f;
    EXPECT_EQ(st.compiles, 0u) << f;
  }
}

#endif  // FUZE_TEST_CUDA

}  // namespace
}  // namespace fuze::fault_test
