// What traced and frozen models bring to the fusion pass: tensor constants
// (a traced Python number is a 0-dim tensor constant, a frozen module's weight
// an n-dim one) and in-place ops (relu_, add_, hardswish_, ...). 0-dim
// constants become kernel constants with a 0-dim tensor's type promotion,
// n-dim ones group inputs; in-place ops on
// values nothing else observes fuse, and every other one keeps eager's
// semantics: graph inputs, views, the same tensor passed twice, loops.
#include <torch/csrc/jit/ir/constants.h>

#include "frontend/test_util.h"

namespace fuze::testing {
namespace {

using torch::jit::Graph;
using torch::jit::Value;
using torch::jit::testing::FileCheck;

std::vector<torch::jit::IValue> two_inputs() { return {torch::randn({3, 4}), torch::randn({3, 4})}; }

// The pass over a graph built in C++ (the 1.13 IR parser reads "{0.5}" as 0).
Fused fuse_built(const std::shared_ptr<Graph>& g) {
  Fused f;
  f.original = g;
  f.graph = g->copy();
  f.groups = frontend::fuse_graph_with_report(f.graph, nullptr, &f.unfused);
  f.graph->lint();
  return f;
}

TEST(FusionConstants, TracedNumbersJoinTheGroup) {
  // GPT-2's tanh GELU as torch.jit.trace records it: every Python float a
  // 0-dim float64 tensor constant.
  auto g = std::make_shared<Graph>();
  Value* h = g->addInput("h")->setType(c10::TensorType::get());
  auto k = [&](double v) { return g->insertConstant(at::scalar_tensor(v, at::kDouble)); };
  Value* a = g->insert(c10::aten::mul, {h, k(0.5)});
  Value* p = g->insert(c10::aten::pow, {h, 3.0});
  Value* b = g->insert(c10::aten::mul, {p, k(0.044715)});
  Value* c = g->insert(c10::aten::add, {h, b});
  Value* d = g->insert(c10::aten::mul, {c, k(0.7978845608)});
  Value* e = g->insert(c10::aten::tanh, {d});
  Value* one = g->insertConstant(at::scalar_tensor(1, at::kLong));
  g->registerOutput(g->insert(c10::aten::mul, {a, g->insert(c10::aten::add, {e, one})}));
  Fused f = fuse_built(g);
  EXPECT_EQ(f.groups, 1);
  EXPECT_TRUE(f.unfused.empty());
  // The 0-dim constants live in the group: kernel constants (x86 compiles
  // them into the code), promoted as 0-dim tensors.
  FileCheck()
      .check("fuze::FusionGroup_0(%h)")
      ->check("with fuze::FusionGroup_0")
      ->check("prim::Constant[value={0.5}]")
      ->check("aten::tanh")
      ->run(*f.graph);
  expect_same_results(f, {torch::randn({16, 32}) * 3}, 1e-6);
  fuze::reset_stats();
  run_graph(f.graph, {torch::randn({16, 32})});
  EXPECT_EQ(fuze::stats().kernel_calls, 1u);
}

// x (dtype `xt`) * c + x with c a 0-dim constant of dtype `ct`: the result
// dtype and values must be TorchScript's (a 0-dim tensor promotes unlike a
// Python number: int32 x * 0-dim float64 c gives float64, not float32).
void check_zero_dim_constant(at::ScalarType xt, const at::Tensor& c) {
  SCOPED_TRACE(std::string(c10::toString(xt)) + " x, " + c10::toString(c.scalar_type()) + " constant");
  auto g = std::make_shared<Graph>();
  Value* x = g->addInput("x")->setType(c10::TensorType::get());
  Value* k = g->insertConstant(c);
  Value* r = g->insert(c10::aten::mul, {x, k});
  g->registerOutput(g->insert(c10::aten::add, {r, x}));
  Fused f = fuse_built(g);
  EXPECT_EQ(f.groups, 1) << *f.graph;
  at::Tensor in = xt == at::kBool ? torch::rand({4, 5}) > 0.5 : (torch::randn({4, 5}) * 5).to(xt);
  expect_same_results(f, {in});
  // A kernel runs (a 16-bit signature's first call checks eager in the fallback).
  fuze::reset_stats();
  run_graph(f.graph, {in});
  EXPECT_EQ(fuze::stats().kernel_calls, 1u);
}

TEST(FusionConstants, ZeroDimConstantsPromoteAsZeroDimTensors) {
  const at::ScalarType xs[] = {at::kFloat, at::kDouble, at::kInt, at::kLong, at::kHalf, at::kBFloat16};
  const at::Tensor cs[] = {at::scalar_tensor(0.3, at::kDouble), at::scalar_tensor(0.3, at::kFloat),
                           at::scalar_tensor(3, at::kLong), at::scalar_tensor(-2, at::kInt),
                           at::scalar_tensor(1.5, at::kHalf)};
  for (at::ScalarType xt : xs) {
    for (const at::Tensor& c : cs) check_zero_dim_constant(xt, c);
  }
}

TEST(FusionConstants, FrozenWeightsAreKernelInputs) {
  // A frozen bias [4] and a per-row scale [3, 1]: n-dim constants broadcast.
  auto g = std::make_shared<Graph>();
  Value* x = g->addInput("x")->setType(c10::TensorType::get());
  Value* bias = g->insertConstant(torch::randn({4}));
  Value* scale = g->insertConstant(torch::randn({3, 1}));
  Value* a = g->insert(c10::aten::add, {x, bias});
  Value* b = g->insert(c10::aten::mul, {a, scale});
  g->registerOutput(g->insert(c10::aten::relu, {b}));
  Fused f = fuse_built(g);
  EXPECT_EQ(f.groups, 1);
  // The group takes %x and both constants.
  for (const torch::jit::Node* n : f.graph->nodes()) {
    if (n->kind() == frontend::fusion_group_symbol()) {
      EXPECT_EQ(n->inputs().size(), 3u) << *f.graph;
    }
  }
  fuze::reset_stats();
  expect_same_results(f, {torch::randn({3, 4})});
  EXPECT_EQ(fuze::stats().kernel_calls, 1u);
}

TEST(FusionInPlace, InPlaceOpsOnFreshValuesFuse) {
  // A frozen CNN's tail: out += identity; relu_; hardswish_; clamp_; sigmoid_; mul_.
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %two : float = prim::Constant[value=2.]()
  %lo : float = prim::Constant[value=-1.]()
  %hi : float = prim::Constant[value=1.5]()
  %a : Tensor = aten::mul(%x, %y)
  %b : Tensor = aten::add_(%a, %y, %one)
  %c : Tensor = aten::relu_(%a)
  %d : Tensor = aten::hardswish_(%a)
  %e : Tensor = aten::clamp_(%a, %lo, %hi)
  %g : Tensor = aten::sigmoid_(%a)
  %h : Tensor = aten::mul_(%a, %two)
  return (%a))IR");
  EXPECT_EQ(f.groups, 1);
  EXPECT_TRUE(f.unfused.empty());
  FileCheck().check_not("_(")->check("fuze::FusionGroup_0(%y, %x)")->run(*f.graph);
  expect_same_results(f, two_inputs(), 1e-6);
}

TEST(FusionInPlace, AWriteThroughAViewStaysInPlace) {
  // relu_ writes row 0 of %a through a view: %a must show it.
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %zero : int = prim::Constant[value=0]()
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::mul(%x, %y)
  %b : Tensor = aten::add(%a, %y, %one)
  %v : Tensor = aten::select(%b, %zero, %zero)
  %w : Tensor = aten::relu_(%v)
  %c : Tensor = aten::tanh(%b)
  return (%c, %b))IR");
  EXPECT_TRUE(has_reason(f.unfused, "aten::relu_", "in-place"));
  FileCheck().check("aten::relu_")->run(*f.graph);
  expect_same_results(f, two_inputs(), 1e-6);
}

TEST(FusionInPlace, TheSameTensorPassedTwice) {
  // %x and %y are one tensor at run time: the write to %x is seen through %y.
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::mul(%y, %y)
  %b : Tensor = aten::add_(%a, %y, %one)
  %w : Tensor = aten::mul_(%x, %b)
  %c : Tensor = aten::tanh(%y)
  %d : Tensor = aten::sub(%c, %b, %one)
  return (%d))IR");
  EXPECT_TRUE(has_reason(f.unfused, "aten::mul_", "in-place"));
  for (int i = 0; i < 2; ++i) {
    const at::Tensor t = torch::randn({3, 4}), t_ref = t.clone();
    const auto ref = run_graph(f.original, {t_ref, t_ref});
    const auto out = run_graph(f.graph, {t, t});
    EXPECT_TRUE(same_tensor(out[0].toTensor(), ref[0].toTensor(), 1e-6));
    EXPECT_TRUE(same_tensor(t, t_ref, 1e-6));
  }
}

TEST(FusionInPlace, InsideLoops) {
  // A fresh value mutated in the body fuses; the loop-carried %h (the graph
  // input %x on the first iteration) mutated in place does not.
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %true : bool = prim::Constant[value=1]()
  %one : int = prim::Constant[value=1]()
  %n : int = prim::Constant[value=4]()
  %out : Tensor = prim::Loop(%n, %true, %x)
    block0(%i : int, %h : Tensor):
      %t : Tensor = aten::mul(%h, %y)
      %t2 : Tensor = aten::add_(%t, %y, %one)
      %t3 : Tensor = aten::tanh_(%t2)
      %h2 : Tensor = aten::add_(%h, %t3, %one)
      %h3 : Tensor = aten::mul(%h2, %y)
      -> (%true, %h3)
  return (%out))IR");
  EXPECT_EQ(f.groups, 1);
  EXPECT_TRUE(has_reason(f.unfused, "aten::add_", "in-place"));
  FileCheck().check("prim::Loop")->check("fuze::FusionGroup_0(")->check("aten::add_(%h")->run(*f.graph);
  expect_same_results(f, two_inputs(), 1e-5);
}

}  // namespace
}  // namespace fuze::testing
