// The fusion pass on graphs written as TorchScript IR, checked with FileCheck:
// what fuses (chains, loop and if bodies) and what must not (in-place ops on
// graph inputs, aliasing and mutation order, unsupported ops and dtypes,
// groups of one).
// Every fused graph must also compute what the original computes.
#include "frontend/test_util.h"

namespace fuze::testing {
namespace {

using torch::jit::testing::FileCheck;

std::vector<torch::jit::IValue> two_inputs() { return {torch::randn({3, 4}), torch::randn({3, 4})}; }

TEST(FusionPass, FusesAChain) {
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %b : Tensor = aten::mul(%a, %y)
  %c : Tensor = aten::tanh(%b)
  return (%c))IR");
  EXPECT_EQ(f.groups, 1);
  FileCheck()
      .check_count("fuze::FusionGroup_0(", 1, true)
      ->check_not("aten::tanh")
      ->check("return")
      ->check("with fuze::FusionGroup_0")
      ->check("aten::add")
      ->check("aten::mul")
      ->check("aten::tanh")
      ->run(*f.graph);
  EXPECT_TRUE(f.unfused.empty());
  expect_same_results(f, two_inputs(), 1e-6);
}

TEST(FusionPass, PullsScalarConstantsIntoTheGroup) {
  Fused f = fuse(R"IR(
graph(%x : Tensor):
  %half : float = prim::Constant[value=0.5]()
  %two : int = prim::Constant[value=2]()
  %a : Tensor = aten::mul(%x, %half)
  %b : Tensor = aten::sub(%a, %x, %two)
  %c : Tensor = aten::relu(%b)
  return (%c))IR");
  EXPECT_EQ(f.groups, 1);
  // The group takes only %x: both constants live inside its subgraph.
  FileCheck().check("fuze::FusionGroup_0(%x)")->check("with fuze::FusionGroup_0")->check("prim::Constant[value=0.5]")->run(*f.graph);
  expect_same_results(f, {torch::randn({5, 3})});
}

TEST(FusionPass, FusesInsideLoopBodies) {
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor, %n : int):
  %one : int = prim::Constant[value=1]()
  %true : bool = prim::Constant[value=1]()
  %out : Tensor = prim::Loop(%n, %true, %x)
    block0(%i : int, %h : Tensor):
      %a : Tensor = aten::add(%h, %y, %one)
      %b : Tensor = aten::tanh(%a)
      -> (%true, %b)
  return (%out))IR");
  EXPECT_EQ(f.groups, 1);
  FileCheck().check("prim::Loop")->check("block0")->check("fuze::FusionGroup_0(")->check("-> (")->run(*f.graph);
  expect_same_results(f, {torch::randn({3, 4}), torch::randn({3, 4}), 5}, 1e-6);
}

TEST(FusionPass, FusesInsideIfBranches) {
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor, %c : bool):
  %one : int = prim::Constant[value=1]()
  %r : Tensor = prim::If(%c)
    block0():
      %a : Tensor = aten::add(%x, %y, %one)
      %b : Tensor = aten::sigmoid(%a)
      -> (%b)
    block1():
      %d : Tensor = aten::sub(%x, %y, %one)
      %e : Tensor = aten::relu(%d)
      -> (%e)
  return (%r))IR");
  EXPECT_EQ(f.groups, 2);
  FileCheck().check("prim::If")->check("block0")->check("fuze::FusionGroup")->check("block1")->check("fuze::FusionGroup")->run(*f.graph);
  auto in = two_inputs();
  in.emplace_back(true);
  expect_same_results(f, in, 1e-6);
  in.back() = false;
  expect_same_results(f, in, 1e-6);
}

TEST(FusionPass, FusesADiamondWithTwoOutputs) {
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %b : Tensor = aten::tanh(%a)
  %c : Tensor = aten::sigmoid(%a)
  %d : Tensor = aten::mul(%b, %c)
  return (%d, %a))IR");
  EXPECT_EQ(f.groups, 1);
  FileCheck().check_count("fuze::FusionGroup_0(", 1, true)->check_not("aten::")->check("return")->run(*f.graph);
  expect_same_results(f, two_inputs(), 1e-6);
}

// With the x86 backend, an op typed float64 that x86 has no float64 kernel
// for (ops.def: sin is approximate) stays out of the group: in it, the group
// could only fall back on every call. Its exact float64 neighbours still fuse.
TEST(FusionPass, LeavesOutFloat64OpsX86HasNoKernelFor) {
  const fuze::Options saved = fuze::options();
  fuze::Options o = saved;
  o.backend = BackendKind::kX86;
  fuze::set_options(o);
  Fused f = fuse(R"IR(
graph(%x : Double(4, 5, strides=[5, 1], requires_grad=0, device=cpu), %y : Double(4, 5, strides=[5, 1], requires_grad=0, device=cpu)):
  %one : int = prim::Constant[value=1]()
  %a : Double(4, 5, strides=[5, 1], requires_grad=0, device=cpu) = aten::add(%x, %y, %one)
  %m : Double(4, 5, strides=[5, 1], requires_grad=0, device=cpu) = aten::mul(%a, %y)
  %s : Double(4, 5, strides=[5, 1], requires_grad=0, device=cpu) = aten::sin(%m)
  return (%s))IR");
  fuze::set_options(saved);
  EXPECT_EQ(f.groups, 1);
  EXPECT_TRUE(has_reason(f.unfused, "aten::sin", "x86 has no float64 kernel for sin (TorchScript runs it)"));
  expect_same_results(f, {at::randn({4, 5}, at::kDouble), at::randn({4, 5}, at::kDouble)});
}

TEST(FusionPass, DoesNotFuseInPlaceOpsOnGraphInputs) {
  // The caller sees %x change: the write stays in place (tests/frontend/
  // fusion_mutation_test.cpp has the in-place ops that do fuse).
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %b : Tensor = aten::add_(%x, %y, %one)
  %c : Tensor = aten::tanh(%b)
  return (%c))IR");
  EXPECT_EQ(f.groups, 0);
  FileCheck().check_not("fuze::FusionGroup")->run(*f.graph);
  EXPECT_TRUE(has_reason(f.unfused, "aten::add_", "in-place aten::add_ mutates its input"));
  EXPECT_TRUE(has_reason(f.unfused, "aten::tanh", "group of one node"));
  expect_same_results(f, two_inputs(), 1e-6);
}

TEST(FusionPass, RespectsMutationOrder) {
  // x is written between two chains that both read it: neither may cross the write.
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::mul(%x, %y)
  %b : Tensor = aten::add(%a, %x, %one)
  %x2 : Tensor = aten::add_(%x, %y, %one)
  %c : Tensor = aten::sub(%b, %x, %one)
  %d : Tensor = aten::relu(%c)
  return (%d))IR");
  EXPECT_EQ(f.groups, 2);
  FileCheck()
      .check("fuze::FusionGroup_0(")
      ->check("aten::add_")
      ->check("fuze::FusionGroup_1(")
      ->run(*f.graph);
  EXPECT_TRUE(has_reason(f.unfused, "aten::add_", "in-place"));
  expect_same_results(f, two_inputs());
}

TEST(FusionPass, MovesPastAWriteItDoesNotDependOn) {
  // tanh reads only %a (not x): it may move below x's write and join sub + relu;
  // mul reads x and must stay above the write.
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::mul(%x, %y)
  %b : Tensor = aten::tanh(%a)
  %x2 : Tensor = aten::add_(%x, %y, %one)
  %c : Tensor = aten::sub(%b, %x, %one)
  %d : Tensor = aten::relu(%c)
  return (%d))IR");
  EXPECT_EQ(f.groups, 1);
  FileCheck()
      .check("aten::mul")
      ->check("aten::add_")
      ->check("fuze::FusionGroup_0(")
      ->check("with fuze::FusionGroup_0")
      ->check("aten::tanh")
      ->check("aten::sub")
      ->check("aten::relu")
      ->run(*f.graph);
  EXPECT_TRUE(has_reason(f.unfused, "aten::mul", "aliasing or mutation order"));
  expect_same_results(f, two_inputs(), 1e-6);
}

TEST(FusionPass, DoesNotMoveAReadAcrossAWriteThroughAView) {
  // %a is mutated through a view before tanh reads it: mul and tanh must stay apart.
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %zero : int = prim::Constant[value=0]()
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::mul(%x, %y)
  %v : Tensor = aten::select(%a, %zero, %zero)
  %w : Tensor = aten::add_(%v, %one, %one)
  %c : Tensor = aten::tanh(%a)
  return (%c))IR");
  EXPECT_EQ(f.groups, 0);
  FileCheck().check_not("fuze::FusionGroup")->run(*f.graph);
  expect_same_results(f, two_inputs(), 1e-6);
}

TEST(FusionPass, MovesIndependentNodesToFuse) {
  // An unrelated matmul sits between the producer and its consumer.
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor, %m : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %mm : Tensor = aten::matmul(%m, %m)
  %b : Tensor = aten::tanh(%a)
  return (%b, %mm))IR");
  EXPECT_EQ(f.groups, 1);
  expect_same_results(f, {torch::randn({3, 4}), torch::randn({3, 4}), torch::randn({4, 4})}, 1e-6);
}

TEST(FusionPass, UnsupportedOpsSplitGroups) {
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %b : Tensor = aten::digamma(%a)
  %c : Tensor = aten::mul(%b, %y)
  %d : Tensor = aten::tanh(%c)
  return (%d))IR");
  EXPECT_EQ(f.groups, 1);
  FileCheck().check("aten::add")->check("aten::digamma")->check("fuze::FusionGroup_0(")->run(*f.graph);
  EXPECT_TRUE(has_reason(f.unfused, "aten::add", "group of one node"));
  expect_same_results(f, two_inputs(), 1e-6);
}

TEST(FusionPass, DoesNotFuseUnsupportedDtypes) {
  Fused f = fuse(R"IR(
graph(%x : ComplexFloat(3, 4), %y : ComplexFloat(3, 4)):
  %one : int = prim::Constant[value=1]()
  %a : ComplexFloat(3, 4) = aten::add(%x, %y, %one)
  %b : ComplexFloat(3, 4) = aten::mul(%a, %y)
  return (%b))IR");
  EXPECT_EQ(f.groups, 0);
  EXPECT_TRUE(has_reason(f.unfused, "aten::add", "unsupported dtype ComplexFloat"));
  EXPECT_TRUE(has_reason(f.unfused, "aten::mul", "unsupported dtype ComplexFloat"));
}

TEST(FusionPass, FusesKnownFloatTypes) {
  Fused f = fuse(R"IR(
graph(%x : Float(3, 4, strides=[4, 1], requires_grad=0, device=cpu), %y : Float(3, 4, strides=[4, 1], requires_grad=0, device=cpu)):
  %one : int = prim::Constant[value=1]()
  %a : Float(3, 4, strides=[4, 1], requires_grad=0, device=cpu) = aten::add(%x, %y, %one)
  %b : Float(3, 4, strides=[4, 1], requires_grad=0, device=cpu) = aten::tanh(%a)
  return (%b))IR");
  EXPECT_EQ(f.groups, 1);
  expect_same_results(f, two_inputs(), 1e-6);
}

TEST(FusionPass, DoesNotFuseUnsupportedOverloads) {
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %mode : str = prim::Constant[value="floor"]()
  %a : Tensor = aten::div(%x, %y, %mode)
  %b : Tensor = aten::tanh(%a)
  return (%b))IR");
  EXPECT_EQ(f.groups, 0);
  EXPECT_TRUE(has_reason(f.unfused, "aten::div", "unsupported overload of aten::div"));
}

TEST(FusionPass, ReportsElementwiseOpsItHasNoKernelFor) {
  // aten::selu and aten::hypot are pointwise, but not kernel-IR ops: they
  // split the chain and count as unfused elementwise nodes, with the reason.
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %b : Tensor = aten::selu(%a)
  %c : Tensor = aten::hypot(%b, %y)
  %d : Tensor = aten::tanh(%c)
  return (%d))IR");
  EXPECT_EQ(f.groups, 0);
  EXPECT_TRUE(has_reason(f.unfused, "aten::selu", "unsupported op aten::selu (elementwise, but fuze has no kernel op"));
  EXPECT_TRUE(has_reason(f.unfused, "aten::hypot", "unsupported op aten::hypot"));
  EXPECT_EQ(f.unfused.size(), 4u);
  expect_same_results(f, two_inputs(), 1e-6);
}

TEST(FusionPass, AGroupOfOneIsNotFused) {
  Fused f = fuse(R"IR(
graph(%x : Tensor):
  %b : Tensor = aten::tanh(%x)
  return (%b))IR");
  EXPECT_EQ(f.groups, 0);
  FileCheck().check_not("fuze::FusionGroup")->check("aten::tanh")->run(*f.graph);
  ASSERT_EQ(f.unfused.size(), 1u);
  EXPECT_EQ(f.unfused[0].reason, "group of one node");
  // The public entry point records the same list.
  auto g = f.original->copy();
  EXPECT_EQ(fuze::fuse_graph(g), 0);
  EXPECT_EQ(frontend::unfused_nodes(*g).size(), 1u);
}

TEST(FusionPass, FuseGraphIsIdempotent) {
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %b : Tensor = aten::tanh(%a)
  return (%b))IR");
  auto again = f.graph;
  EXPECT_EQ(fuze::fuse_graph(again), 1);
  FileCheck().check_count("fuze::FusionGroup_0(", 1, true)->run(*again);
}

}  // namespace
}  // namespace fuze::testing
