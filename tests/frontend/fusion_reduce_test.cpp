// Reductions in fusion groups (issue 17): which graphs the pass groups, what
// `fuze dump` says about the rest, and results within the accuracy contract
// of docs/ops.md ("Reductions"): per element, fuze's error against the
// float64 result is at most twice eager's plus 2 ULP of the result dtype.
// A backend without row kernels would make every call a counted fallback,
// which the tests report.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cmath>

#include "frontend/test_util.h"
#include "runtime/runtime.h"

namespace fuze::testing {
namespace {

const char* kSoftmaxScaleMask = R"IR(
graph(%s : Tensor, %m : Tensor):
  %scale : float = prim::Constant[value=0.125]()
  %one : int = prim::Constant[value=1]()
  %dim : int = prim::Constant[value=-1]()
  %none : NoneType = prim::Constant()
  %a : Tensor = aten::mul(%s, %scale)
  %b : Tensor = aten::add(%a, %m, %one)
  %r : Tensor = aten::softmax(%b, %dim, %none)
  return (%r))IR";

// LLaMA's RMSNorm after a residual add, its dims built by prim::ListConstruct
// as scripting records them; the residual sum is a second output.
const char* kRmsNorm = R"IR(
graph(%x : Tensor, %res : Tensor, %w : Tensor):
  %one : int = prim::Constant[value=1]()
  %two : float = prim::Constant[value=2.]()
  %m1 : int = prim::Constant[value=-1]()
  %true : bool = prim::Constant[value=1]()
  %none : NoneType = prim::Constant()
  %eps : float = prim::Constant[value=9.9999999999999995e-07]()
  %dims : int[] = prim::ListConstruct(%m1)
  %h : Tensor = aten::add(%x, %res, %one)
  %p : Tensor = aten::pow(%h, %two)
  %v : Tensor = aten::mean(%p, %dims, %true, %none)
  %ve : Tensor = aten::add(%v, %eps, %one)
  %r : Tensor = aten::rsqrt(%ve)
  %y : Tensor = aten::mul(%h, %r)
  %z : Tensor = aten::mul(%y, %w)
  return (%z, %h))IR";

const char* kLayerNormResidual = R"IR(
graph(%x : Tensor, %res : Tensor, %w : Tensor, %b : Tensor):
  %one : int = prim::Constant[value=1]()
  %shape : int[] = prim::Constant[value=[64]]()
  %eps : float = prim::Constant[value=1.0000000000000001e-05]()
  %cudnn : bool = prim::Constant[value=1]()
  %h : Tensor = aten::add(%x, %res, %one)
  %y : Tensor = aten::layer_norm(%h, %shape, %w, %b, %eps, %cudnn)
  return (%y))IR";

// log_softmax, a keepdim=False sum and amax/amin/logsumexp with keepdim of one
// row, after an exact prologue (an approximate one, tanh, would differ from
// eager's by an ULP per element, which a cancelling sum magnifies).
const char* kRowStats = R"IR(
graph(%x : Tensor):
  %one : int = prim::Constant[value=1]()
  %dim : int = prim::Constant[value=-1]()
  %dims : int[] = prim::Constant[value=[-1]]()
  %true : bool = prim::Constant[value=1]()
  %false : bool = prim::Constant[value=0]()
  %none : NoneType = prim::Constant()
  %half : float = prim::Constant[value=0.5]()
  %t : Tensor = aten::mul(%x, %half)
  %ls : Tensor = aten::log_softmax(%t, %dim, %none)
  %s : Tensor = aten::sum(%t, %dims, %false, %none)
  %mx : Tensor = aten::amax(%t, %dims, %true)
  %mn : Tensor = aten::amin(%t, %dims, %true)
  %lse : Tensor = aten::logsumexp(%t, %dims, %true)
  %d : Tensor = aten::sub(%mx, %mn, %one)
  return (%ls, %s, %d, %lse))IR";

double unit(at::ScalarType t) {
  switch (t) {
    case at::kHalf: return std::ldexp(1.0, -10);
    case at::kBFloat16: return std::ldexp(1.0, -7);
    case at::kDouble: return std::ldexp(1.0, -52);
    default: return std::ldexp(1.0, -23);
  }
}

// The contract, element by element (NaN where the float64 result is NaN; an
// infinity exactly): 2 units, plus `op_units` for the approximate op the
// formula evaluates (exp in softmax: x86's is within 1.01 ULP, ULP.md).
::testing::AssertionResult within_contract(const at::Tensor& got, const at::Tensor& eager, const at::Tensor& exact,
                                           double op_units) {
  if (got.sizes() != eager.sizes() || got.scalar_type() != eager.scalar_type()) {
    return ::testing::AssertionFailure() << "shape/dtype " << got.sizes() << " " << got.scalar_type() << " vs eager "
                                         << eager.sizes() << " " << eager.scalar_type();
  }
  const at::Tensor f = got.to(at::kDouble), e = eager.to(at::kDouble), x = exact.to(at::kDouble);
  const at::Tensor ulp = x.abs().clamp_min(std::ldexp(1.0, -126)) * unit(got.scalar_type());
  const at::Tensor err = (f - x).abs(), allowed = 2 * (e - x).abs() + (2 + op_units) * ulp;
  at::Tensor ok = (err <= allowed).logical_or(f == x).logical_or(f.isnan().logical_and(x.isnan()));
  if (ok.all().item<bool>()) return ::testing::AssertionSuccess();
  const int64_t i = ok.logical_not().flatten().nonzero()[0].item<int64_t>();
  return ::testing::AssertionFailure() << ok.logical_not().sum().item<int64_t>()
                                       << " elements outside the contract; first, flat index " << i << ": fuze "
                                       << f.flatten()[i].item<double>() << ", eager " << e.flatten()[i].item<double>()
                                       << ", float64 " << x.flatten()[i].item<double>();
}

// Runs the original graph (eager, and in float64 for the exact result) and the
// fused one; every output within the contract, every call a kernel.
void expect_contract(const Fused& f, const std::vector<at::Tensor>& inputs, double op_units = 0.0) {
  std::vector<torch::jit::IValue> in, in64, in_fused;
  for (const at::Tensor& t : inputs) {
    in.emplace_back(t.clone());
    in64.emplace_back(t.to(at::kDouble));
    in_fused.emplace_back(t.clone());
  }
  const auto eager = run_graph(f.original, in);
  const auto exact = run_graph(f.original, in64);
  if (inputs[0].scalar_type() == at::kBFloat16 || inputs[0].scalar_type() == at::kHalf) {
    run_graph(f.graph, in);  // a 16-bit signature's first call runs TorchScript's ops (GroupKernel::check_eager)
  }
  fuze::reset_stats();
  const auto got = run_graph(f.graph, in_fused);
  EXPECT_EQ(fuze::stats().fallbacks, 0u) << "the group ran TorchScript's ops";
  EXPECT_EQ(fuze::stats().kernel_calls, 1u);
  ASSERT_EQ(got.size(), eager.size());
  for (size_t o = 0; o < got.size(); ++o) {
    EXPECT_TRUE(within_contract(got[o].toTensor(), eager[o].toTensor(), exact[o].toTensor(), op_units))
        << "output " << o << " of shape " << inputs[0].sizes();
  }
}

// Data with a large dynamic range: normals scaled by 2^k, k in [-20, 20].
at::Tensor wide(std::vector<int64_t> shape) {
  at::Tensor x = at::randn(shape);
  return x * at::pow(2.0, at::randint(-20, 21, shape).to(at::kFloat));
}

// Every test on each CPU backend: the interpreter (the spec) and the default
// one (x86 where it is built and usable).
class FusionReduce : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    at::manual_seed(17);
    saved_ = runtime::options();
    runtime::Options o = saved_;
    o.backend = GetParam();
    o.fuse_reductions = true;  // the default, unless FUZE_REDUCTIONS=0 in the environment
    runtime::set_options(o);
  }
  void TearDown() override { runtime::set_options(saved_); }
  torch::NoGradGuard no_grad_;
  runtime::Options saved_;
};

std::vector<BackendKind> cpu_backends() {
  std::vector<BackendKind> out = {BackendKind::kInterp};
  if (runtime::default_cpu_backend() != BackendKind::kInterp) out.push_back(runtime::default_cpu_backend());
  return out;
}
INSTANTIATE_TEST_SUITE_P(CpuBackends, FusionReduce, ::testing::ValuesIn(cpu_backends()),
                         [](const ::testing::TestParamInfo<BackendKind>& i) { return std::string(backend_name(i.param)); });

TEST_P(FusionReduce, SoftmaxOfScaledMaskedScoresIsOneGroup) {
  Fused f = fuse(kSoftmaxScaleMask);
  EXPECT_EQ(f.groups, 1);
  for (int64_t n : {1, 7, 33, 64, 1000}) {
    at::Tensor mask = at::zeros({1, 1, n, n});
    mask.masked_fill_(at::rand({1, 1, n, n}) < 0.3, -INFINITY);
    expect_contract(f, {at::randn({2, 3, n, n}) * 4, mask}, 1.0);  // + exp's ULP
  }
}

TEST_P(FusionReduce, RmsNormWithResidualIsOneGroup) {
  Fused f = fuse(kRmsNorm);
  EXPECT_EQ(f.groups, 1);
  for (int64_t n : {1, 7, 64, 1000, 4096}) {
    expect_contract(f, {at::randn({5, n}), at::randn({5, n}), at::rand({n}) + 0.5});
  }
  expect_contract(f, {at::randn({2, 3, 100000}), at::randn({2, 3, 100000}), at::rand({100000})});
}

TEST_P(FusionReduce, LayerNormOfAResidualSumIsOneGroup) {
  Fused f = fuse(kLayerNormResidual);
  EXPECT_EQ(f.groups, 1);
  // x and res with 8 significant bits, so that x + res is exact: the contract
  // is about the reduction (a rounded sum would be both sides' error).
  auto short_bits = [](const at::Tensor& t) { return t.to(at::kBFloat16).to(at::kFloat); };
  expect_contract(f, {short_bits(at::randn({4, 9, 64}) * 8), short_bits(at::randn({4, 9, 64})), at::randn({64}),
                      at::randn({64})});
  expect_contract(f, {short_bits(at::randn({3, 64})) + 1000, short_bits(at::randn({3, 64})), at::randn({64}),
                      at::randn({64})});
  // A transposed input (the kernel reads rows through strides).
  expect_contract(f, {short_bits(at::randn({64, 8})).t(), short_bits(at::randn({8, 64})), at::randn({64}),
                      at::randn({64})});
  // bfloat16 activations and parameters (computed in float32, rounded once).
  auto bf = [](const at::Tensor& t) { return t.to(at::kBFloat16); };
  expect_contract(f, {bf(at::randn({5, 64})), bf(at::randn({5, 64})), bf(at::randn({64})), bf(at::randn({64}))});
  // normalized_shape other than the input's last dims: eager's error, through the fallback.
  const std::string err = error_of(f.graph, {at::randn({4, 32}), at::randn({4, 32}), at::randn({64}), at::randn({64})});
  EXPECT_NE(err.find("normalized_shape"), std::string::npos) << err;
}

TEST_P(FusionReduce, RowStatisticsWithAndWithoutKeepdim) {
  Fused f = fuse(kRowStats);
  EXPECT_EQ(f.groups, 1);
  for (int64_t n : {1, 7, 64, 1000}) expect_contract(f, {wide({6, n})}, 1.0);  // log_softmax, logsumexp: + exp's ULP
  // A 3-d input, NaN / inf / -0.0 rows.
  at::Tensor x = at::randn({2, 4, 16});
  x.index_put_({0, 1, 3}, NAN);
  x.index_put_({1, 2}, INFINITY);
  x.index_put_({1, 3}, -0.0);
  expect_contract(f, {x}, 1.0);
  std::vector<torch::jit::IValue> in = {x};
  const auto out = run_graph(f.graph, in);
  EXPECT_EQ(out[1].toTensor().sizes(), (std::vector<int64_t>{2, 4}));    // keepdim=False
  EXPECT_EQ(out[2].toTensor().sizes(), (std::vector<int64_t>{2, 4, 1}));  // keepdim=True
}

TEST_P(FusionReduce, FullyMaskedSoftmaxRowsAreNaNLikeEager) {
  Fused f = fuse(kSoftmaxScaleMask);
  at::Tensor mask = at::zeros({1, 1, 8, 8});
  mask.index_put_({0, 0, 2}, -INFINITY);
  std::vector<torch::jit::IValue> in = {at::randn({1, 2, 8, 8}), mask};
  const at::Tensor eager = run_graph(f.original, in)[0].toTensor();
  const at::Tensor got = run_graph(f.graph, in)[0].toTensor();
  EXPECT_TRUE(eager.index({0, 0, 2}).isnan().all().item<bool>());
  EXPECT_TRUE(same_tensor(got.isnan(), eager.isnan()));
}

TEST_P(FusionReduce, EmptyAmaxRaisesAsEager) {
  Fused f = fuse(kRowStats);
  const std::string err = error_of(f.graph, {at::randn({3, 0})});
  EXPECT_NE(error_of(f.original, {at::randn({3, 0})}).find("amax(): Expected reduction dim"), std::string::npos);
  EXPECT_NE(err.find("amax(): Expected reduction dim"), std::string::npos) << err;
}

TEST_P(FusionReduce, VarStdAndProd) {
  Fused f = fuse(R"IR(
graph(%x : Tensor):
  %dims : int[] = prim::Constant[value=[-1]]()
  %m1 : int = prim::Constant[value=-1]()
  %true : bool = prim::Constant[value=1]()
  %false : bool = prim::Constant[value=0]()
  %none : NoneType = prim::Constant()
  %zero : int = prim::Constant[value=0]()
  %two : float = prim::Constant[value=2.]()
  %a : Tensor = aten::mul(%x, %two)
  %v : Tensor = aten::var(%a, %dims, %true, %true)
  %s : Tensor = aten::std(%a, %dims, %false, %false)
  %p : Tensor = aten::prod(%a, %m1, %true, %none)
  %vc : Tensor = aten::var(%a, %dims, %zero, %true)
  return (%v, %s, %p, %vc))IR");
  EXPECT_EQ(f.groups, 1);
  for (int64_t n : {1, 2, 7, 64, 1000}) expect_contract(f, {at::randn({5, n}) * 0.01 + 0.5});
  expect_contract(f, {at::randn({3, 4, 50}) + 1000});  // a large mean: two passes keep the small variance
  // One element with correction 1: 0 / 0 = NaN, as eager.
  expect_contract(f, {at::randn({4, 1})});
}

TEST_P(FusionReduce, SumAndMeanFollowAtenTypes) {
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %dims : int[] = prim::Constant[value=[1]]()
  %true : bool = prim::Constant[value=1]()
  %none : NoneType = prim::Constant()
  %f64 : int = prim::Constant[value=7]()
  %a : Tensor = aten::mul(%x, %y)
  %s : Tensor = aten::sum(%a, %dims, %true, %none)
  %m : Tensor = aten::mean(%a, %dims, %true, %f64)
  return (%s, %m))IR");
  EXPECT_EQ(f.groups, 1);
  // int32 products sum to int64 (exactly: wrapping as eager); dtype=float64 mean.
  const at::Tensor x = at::randint(-1000, 1000, {4, 37}, at::kInt), y = at::randint(-1000, 1000, {4, 37}, at::kInt);
  expect_same_results(f, {x, y});
  std::vector<torch::jit::IValue> in = {x, y};
  const auto out = run_graph(f.graph, in);
  EXPECT_EQ(out[0].toTensor().scalar_type(), at::kLong);
  EXPECT_EQ(out[1].toTensor().scalar_type(), at::kDouble);
  // Rank 3 makes dim 1 a middle dim: not the kernel's row, TorchScript's ops run.
  fuze::reset_stats();
  expect_same_results(f, {at::randint(-9, 9, {2, 3, 4}, at::kInt), at::randint(-9, 9, {2, 3, 4}, at::kInt)});
  EXPECT_EQ(fuze::stats().kernel_calls, 0u);
}

TEST_P(FusionReduce, DumpExplainsReductionsLeftOut) {
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor, %k : int[]):
  %one : int = prim::Constant[value=1]()
  %m1 : int = prim::Constant[value=-1]()
  %dl : int[] = prim::Constant[value=[-1]]()
  %false : bool = prim::Constant[value=0]()
  %none : NoneType = prim::Constant()
  %lone : Tensor = aten::softmax(%x, %m1, %none)
  %s : Tensor = aten::sum(%y, %dl, %false, %none)
  %u : Tensor = aten::exp(%s)
  %v : Tensor = aten::sum(%u, %dl, %false, %none)
  %w : Tensor = aten::sum(%y, %k, %false, %none)
  return (%lone, %v, %w))IR");
  EXPECT_TRUE(has_reason(f.unfused, "aten::softmax", "no fusible neighbour"));
  EXPECT_TRUE(has_reason(f.unfused, "aten::sum", "keepdim=False"));
  EXPECT_TRUE(has_reason(f.unfused, "aten::sum", "must be constants"));
}

TEST_P(FusionReduce, OffByDefault) {
  runtime::Options o = runtime::options();
  o.fuse_reductions = false;
  runtime::set_options(o);
  Fused f = fuse(kSoftmaxScaleMask);
  EXPECT_EQ(f.groups, 1);  // the scale and the mask; softmax stays TorchScript's
  EXPECT_TRUE(has_reason(f.unfused, "aten::softmax", "FUZE_REDUCTIONS=0"));
}

}  // namespace
}  // namespace fuze::testing
