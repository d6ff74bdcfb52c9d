// The seed models (scripts/make_seed_models.py, generated into <build>/models):
// fuze's output equals TorchScript's, the tutorial's elementwise chains are
// fused, kernels actually run; the C++ API's load errors; enable()/disable()
// with TorchScript's own (profiling) graph executor.
#include <torch/csrc/jit/passes/tensorexpr_fuser.h>
#include <torch/csrc/jit/runtime/graph_executor.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <fstream>
#include <sstream>

#include "frontend/test_util.h"

#ifndef FUZE_MODELS_DIR
#error "FUZE_MODELS_DIR must point at the generated seed models"
#endif

namespace fuze::testing {
namespace {

using torch::jit::testing::FileCheck;

using SeedModel = ModelEntry;

std::vector<SeedModel> seed_models() { return read_models(FUZE_MODELS_DIR); }

std::vector<torch::jit::IValue> random_inputs(const SeedModel& m, uint64_t seed) {
  torch::manual_seed(seed);
  std::vector<torch::jit::IValue> v;
  for (const auto& s : m.shapes) v.emplace_back(torch::randn(s));
  return v;
}

std::vector<at::Tensor> flatten(const torch::jit::IValue& v) {
  std::vector<at::Tensor> out;
  if (v.isTensor()) out.push_back(v.toTensor());
  if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) out.push_back(e.toTensor());
  }
  return out;
}

void expect_same_outputs(const torch::jit::IValue& a, const torch::jit::IValue& b, double atol) {
  auto x = flatten(a), y = flatten(b);
  ASSERT_EQ(x.size(), y.size());
  ASSERT_FALSE(x.empty());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_TRUE(same_tensor(x[i], y[i], atol)) << "output " << i;
}

TEST(SeedModels, AllPresent) { EXPECT_EQ(seed_models().size(), 8u); }

TEST(SeedModels, FuzeEqualsTorchScript) {
  torch::NoGradGuard no_grad;
  for (const SeedModel& m : seed_models()) {
    SCOPED_TRACE(m.name);
    fuze::reset_stats();
    fuze::Module fused = fuze::load(m.file);
    torch::jit::Module plain = torch::jit::load(m.file);
    for (uint64_t seed : {1, 2, 3}) {
      auto in = random_inputs(m, seed);
      expect_same_outputs(fused.forward(in), plain.forward(in), 2e-6);
    }
    const fuze::Stats st = fuze::stats();
    if (m.name == "decision_gate") {
      EXPECT_EQ(fused.num_fusion_groups(), 0);
    } else {
      EXPECT_GE(fused.num_fusion_groups(), 1);
      EXPECT_GT(st.kernel_calls, 0u);
    }
    EXPECT_EQ(st.fallbacks, 0u);
  }
}

TEST(SeedModels, TheTutorialChainsAreFused) {
  const std::string dir = FUZE_MODELS_DIR;
  for (const char* name : {"mycell_add_tanh", "mycell_linear", "mycell_scripted_gate"}) {
    SCOPED_TRACE(name);
    fuze::Module m = fuze::load(dir + "/" + name + ".pt");
    EXPECT_EQ(m.num_fusion_groups(), 1);
    FileCheck()
        .check("fuze::FusionGroup_0(")
        ->check_not("aten::tanh")
        ->check("with fuze::FusionGroup_0")
        ->check("aten::add")
        ->check("aten::tanh")
        ->run(*m.graph());
  }
  for (const char* name : {"rnn_loop", "wrap_rnn"}) {
    SCOPED_TRACE(name);
    fuze::Module m = fuze::load(dir + "/" + name + ".pt");
    EXPECT_EQ(m.num_fusion_groups(), 1);
    // The group sits in the loop body, after the gate's prim::If.
    FileCheck()
        .check("prim::Loop")
        ->check("prim::If")
        ->check("fuze::FusionGroup_0(")
        ->check("-> (")
        ->check("with fuze::FusionGroup_0")
        ->check("aten::add")
        ->check("aten::tanh")
        ->run(*m.graph());
  }
  {
    fuze::Module m = fuze::load(dir + "/lstm_cell_pointwise.pt");
    EXPECT_EQ(m.num_fusion_groups(), 1);
    // One group, all ten pointwise ops, two outputs (hy, cy).
    FileCheck().check(" : Tensor = fuze::FusionGroup_0(")->check_not("aten::")->check("return")->run(*m.graph());
    FileCheck().check("with fuze::FusionGroup_0")->check_count("aten::sigmoid", 3, true)->run(*m.graph());
    FileCheck().check_count("prim::TupleConstruct", 1)->run(*m.graph());
  }
  {
    fuze::Module m = fuze::load(dir + "/cheap_chain.pt");
    EXPECT_EQ(m.num_fusion_groups(), 1);
    FileCheck().check("fuze::FusionGroup_0(")->check_not("aten::")->check("return")->run(*m.graph());
  }
}

TEST(SeedModels, GradModeFallsBackWithTheSameResults) {
  // Linear's parameters require grad: with grad mode on, the group's input
  // requires grad, so the group runs its TorchScript fallback.
  const std::string file = std::string(FUZE_MODELS_DIR) + "/mycell_linear.pt";
  fuze::Module fused = fuze::load(file);
  torch::jit::Module plain = torch::jit::load(file);
  auto in = std::vector<torch::jit::IValue>{torch::randn({3, 4}), torch::randn({3, 4})};
  fuze::reset_stats();
  expect_same_outputs(fused.forward(in), plain.forward(in), 0.0);
  EXPECT_EQ(fuze::stats().fallbacks, 1u);
}

TEST(SeedModels, ForwardChecksArguments) {
  fuze::Module m = fuze::load(std::string(FUZE_MODELS_DIR) + "/mycell_add_tanh.pt");
  EXPECT_THROW(m.forward({torch::randn({3, 4})}), c10::Error);
  EXPECT_THROW(m.forward({torch::randn({3, 4}), 3.0}), c10::Error);
}

TEST(LoadErrors, MissingAndCorruptFiles) {
  try {
    fuze::load("/nonexistent/model.pt");
    ADD_FAILURE() << "no error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("cannot open '/nonexistent/model.pt'"), std::string::npos);
  }
  const std::string bad = ::testing::TempDir() + "fuze_corrupt.pt";
  {
    std::ofstream f(bad, std::ios::binary);
    f << "this is not a zip file";
  }
  try {
    fuze::load(bad);
    ADD_FAILURE() << "no error";
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    EXPECT_NE(msg.find("is not a valid TorchScript file"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  std::remove(bad.c_str());
}

TEST(Options, MapOntoTheRuntime) {
  const fuze::Options saved = fuze::options();
  fuze::Options o = fuze::default_options();
  EXPECT_EQ(o.num_threads, 0);
  o.num_threads = 3;
  o.backend = BackendKind::kInterp;
  fuze::set_options(o);
  EXPECT_EQ(fuze::options().num_threads, 3);
  EXPECT_EQ(fuze::options().backend, BackendKind::kInterp);
  fuze::set_options(saved);
}

// enable(): a plain torch::jit::load'ed module runs fusion groups through
// TorchScript's profiling executor (the pre-pass runs when it optimizes, after
// the profiling runs); disable() restores TorchScript as it was.
TEST(EnableDisable, RoundTripWithTheProfilingExecutor) {
  torch::NoGradGuard no_grad;
  const std::string file = std::string(FUZE_MODELS_DIR) + "/mycell_add_tanh.pt";
  const bool te_before = torch::jit::tensorExprFuserEnabled();
  ASSERT_FALSE(fuze::is_enabled());
  // The loop model's reference, computed before fuze is enabled.
  const std::string loop_file = std::string(FUZE_MODELS_DIR) + "/rnn_loop.pt";
  auto xs = torch::randn({10, 3, 4});
  const torch::jit::IValue loop_ref = torch::jit::load(loop_file).forward({xs});

  fuze::enable();
  EXPECT_TRUE(fuze::is_enabled());
  EXPECT_FALSE(torch::jit::tensorExprFuserEnabled());
  fuze::enable();  // idempotent
  {
    torch::jit::Module m = torch::jit::load(file);
    fuze::reset_stats();
    auto x = torch::randn({3, 4}), h = torch::randn({3, 4});
    for (int i = 0; i < 5; ++i) {
      auto out = m.forward({x, h}).toTuple()->elements();
      EXPECT_TRUE(same_tensor(out[0].toTensor(), torch::tanh(x + h), 2e-6));
    }
    EXPECT_GT(fuze::stats().kernel_calls, 0u);
    EXPECT_EQ(fuze::stats().fallbacks, 0u);
    auto g = torch::jit::lastExecutedOptimizedGraph();
    ASSERT_TRUE(g);
    if (std::getenv("FUZE_TEST_VERBOSE") != nullptr) std::cout << "optimized graph:\n" << *g;
    FileCheck().check("fuze::FusionGroup")->check_not("prim::profile")->run(*g);
    // A scripted loop fuses inside its body too.
    torch::jit::Module loop = torch::jit::load(loop_file);
    fuze::reset_stats();
    for (int i = 0; i < 5; ++i) expect_same_outputs(loop.forward({xs}), loop_ref, 2e-6);
    EXPECT_GT(fuze::stats().kernel_calls, 0u);
  }

  {
    // With grad mode on, Linear's parameters make TorchScript's executor take
    // its differentiable-graph path: results still match, nothing crashes.
    const std::string linear_file = std::string(FUZE_MODELS_DIR) + "/mycell_linear.pt";
    torch::jit::Module m = torch::jit::load(linear_file);
    auto x = torch::randn({3, 4}), h = torch::randn({3, 4});
    at::AutoGradMode grad(true);
    for (int i = 0; i < 5; ++i) {
      auto out = m.forward({x, h}).toTuple()->elements()[0].toTensor();
      torch::jit::Module plain_linear = torch::jit::load(linear_file);
      auto w = plain_linear.attr("linear").toModule().attr("weight").toTensor();
      auto b = plain_linear.attr("linear").toModule().attr("bias").toTensor();
      EXPECT_TRUE(same_tensor(out.detach(), torch::tanh(torch::addmm(b, x, w.t()) + h).detach(), 2e-6));
    }
  }

  fuze::disable();
  EXPECT_FALSE(fuze::is_enabled());
  EXPECT_EQ(torch::jit::tensorExprFuserEnabled(), te_before);
  {
    torch::jit::Module m = torch::jit::load(file);
    fuze::reset_stats();
    auto x = torch::randn({3, 4}), h = torch::randn({3, 4});
    for (int i = 0; i < 5; ++i) m.forward({x, h});
    EXPECT_EQ(fuze::stats().kernel_calls, 0u);
    auto g = torch::jit::lastExecutedOptimizedGraph();
    ASSERT_TRUE(g);
    FileCheck().check_not("fuze::FusionGroup")->run(*g);
  }
  fuze::disable();  // idempotent
}

}  // namespace
}  // namespace fuze::testing
