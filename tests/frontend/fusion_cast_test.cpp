// Casts in fusion groups: aten::to(dtype) between every pair of dtypes fuze
// knows, aten::type_as, and the aliasing rule (aten::to returns its input when
// the dtype already matches, so it is not fused when that alias is written to).
#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <limits>

#include "frontend/test_util.h"

namespace fuze::testing {
namespace {

const at::ScalarType kTypes[] = {at::kFloat, at::kDouble, at::kInt, at::kLong, at::kBool, at::kHalf, at::kBFloat16};

// Values that stress casts: NaN, infinities, -0.0, halves, values past the
// int32 range and past float16's.
at::Tensor cast_input(at::ScalarType t) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  at::Tensor d = at::tensor({0.0, -0.0, 0.5, -0.5, 1.5, -2.5, 3.7, -3.7, 1e5, -1e5, 3e9, -3e9, 65519.0, 70000.0,
                             1e-8, 255.0, 256.0, inf, -inf, nan, 1.0, 2.0, 7.0, -1.0},
                            at::kDouble);
  if (t == at::kBool) return d != 0;
  if (at::isIntegralType(t, false)) return at::arange(-12, 12, at::kLong).mul(123456789).to(t);
  return d.to(t);
}

TEST(FusionCast, ToEveryDtypeFromEveryDtypeMatchesTorchScript) {
  torch::NoGradGuard no_grad;
  int kernels = 0, cases = 0;
  for (at::ScalarType from : kTypes) {
    for (at::ScalarType to : kTypes) {
      SCOPED_TRACE(std::string(c10::toString(from)) + " -> " + c10::toString(to));
      const std::string ir = "graph(%x : Tensor):\n  %d : int = prim::Constant[value=" +
                             std::to_string(static_cast<int>(to)) +
                             "]()\n  %f : bool = prim::Constant[value=0]()\n  %n : NoneType = prim::Constant()\n"
                             "  %r : Tensor = aten::to(%x, %d, %f, %f, %n)\n"
                             "  %o : Tensor = aten::maximum(%r, %r)\n  return (%o)";
      auto original = parse(ir);
      auto fused = original->copy();
      ASSERT_EQ(fuze::fuse_graph(fused), 1) << *fused;
      const std::vector<torch::jit::IValue> in = {cast_input(from)};
      const at::Tensor want = run_graph(original, in)[0].toTensor();
      run_graph(fused, in);  // a 16-bit signature's first call runs TorchScript
      fuze::reset_stats();
      const at::Tensor got = run_graph(fused, in)[0].toTensor();
      EXPECT_TRUE(same_tensor(got, want));
      kernels += static_cast<int>(fuze::stats().kernel_calls);
      ++cases;
    }
  }
  EXPECT_EQ(kernels, cases);
}

TEST(FusionCast, TypeAsTakesOnlyTheDtypeOfItsOtherOperand) {
  torch::NoGradGuard no_grad;
  auto original = parse(R"IR(
graph(%x : Tensor, %other : Tensor):
  %r : Tensor = aten::type_as(%x, %other)
  %o : Tensor = aten::mul(%r, %r)
  return (%o))IR");
  auto fused = original->copy();
  ASSERT_EQ(fuze::fuse_graph(fused), 1);
  // other's shape [7] does not broadcast with [3, 4]: type_as ignores it.
  for (const auto& other : {at::zeros({7}, at::kInt), at::zeros({}, at::kDouble), at::zeros({0}, at::kHalf)}) {
    const std::vector<torch::jit::IValue> in = {at::randn({3, 4}) * 100, other};
    const at::Tensor want = run_graph(original, in)[0].toTensor();
    run_graph(fused, in);
    fuze::reset_stats();
    EXPECT_TRUE(same_tensor(run_graph(fused, in)[0].toTensor(), want));
    EXPECT_EQ(fuze::stats().kernel_calls, 1u);
  }
}

TEST(FusionCast, ToItsOwnDtypeReturnsItsInputAsEagerDoes) {
  torch::NoGradGuard no_grad;
  auto original = parse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %d : int = prim::Constant[value=6]()
  %f : bool = prim::Constant[value=0]()
  %n : NoneType = prim::Constant()
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::to(%x, %d, %f, %f, %n)
  %b : Tensor = aten::add(%a, %y, %one)
  return (%a, %b))IR");
  auto fused = original->copy();
  ASSERT_EQ(fuze::fuse_graph(fused), 1);
  const at::Tensor x = at::randn({1, 8}).expand({5, 8});  // float32 already: eager returns x itself
  fuze::reset_stats();
  const auto got = run_graph(fused, {x, at::randn({5, 8})});
  EXPECT_EQ(fuze::stats().kernel_calls, 1u);
  EXPECT_TRUE(got[0].toTensor().is_same(x));
  // To another dtype it is a new tensor.
  const at::Tensor xd = at::randn({5, 8}, at::kDouble);
  const auto got_d = run_graph(fused, {xd, at::randn({5, 8})});
  EXPECT_FALSE(got_d[0].toTensor().is_same(xd));
  EXPECT_TRUE(same_tensor(got_d[0].toTensor(), xd.to(at::kFloat)));
}

TEST(FusionCast, ToWhoseAliasIsWrittenIsNotFused) {
  torch::NoGradGuard no_grad;
  // %y is %x itself when %x is float32: add_ on %y writes %x, which tanh reads.
  auto original = parse(R"IR(
graph(%x : Tensor):
  %d : int = prim::Constant[value=6]()
  %f : bool = prim::Constant[value=0]()
  %n : NoneType = prim::Constant()
  %one : int = prim::Constant[value=1]()
  %y : Tensor = aten::to(%x, %d, %f, %f, %n)
  %z : Tensor = aten::add_(%y, %one, %one)
  %t : Tensor = aten::tanh(%x)
  %o : Tensor = aten::mul(%t, %t)
  return (%o, %z))IR");
  auto fused = original->copy();
  fuze::fuse_graph(fused);
  torch::jit::testing::FileCheck().check("aten::to")->check("aten::add_")->run(*fused);
  const at::Tensor x = at::randn({5});
  const auto want = run_graph(original, {x.clone()});
  const auto got = run_graph(fused, {x.clone()});
  EXPECT_TRUE(same_tensor(got[0].toTensor(), want[0].toTensor()));
  EXPECT_TRUE(same_tensor(got[1].toTensor(), want[1].toTensor()));
}

}  // namespace
}  // namespace fuze::testing
