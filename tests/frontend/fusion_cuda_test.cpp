// Fused groups on CUDA tensors (issue 5, item 5): with libtorch 2.x built with
// CUDA and a device, a group whose tensor inputs are on cuda:0 runs the cuda
// backend's kernel on PyTorch's current stream; outputs are CUDA tensors equal
// to TorchScript's on the same inputs. Skipped, saying why, without a device
// (CI, Debian's CPU-only libtorch 1.13); scripts/gpu/run_cuda_tests.sh runs it
// on the GPU host against torch 2.11.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "frontend/test_util.h"

namespace fuze::testing {
namespace {

constexpr const char* kAddTanh = R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %r : Tensor = aten::tanh(%a)
  return (%r))IR";

// The pointwise half of an LSTM cell: gates i, f, g, o and the cell state c.
constexpr const char* kLstm = R"IR(
graph(%i : Tensor, %f : Tensor, %g : Tensor, %o : Tensor, %c : Tensor):
  %one : int = prim::Constant[value=1]()
  %si : Tensor = aten::sigmoid(%i)
  %sf : Tensor = aten::sigmoid(%f)
  %tg : Tensor = aten::tanh(%g)
  %so : Tensor = aten::sigmoid(%o)
  %fc : Tensor = aten::mul(%sf, %c)
  %ig : Tensor = aten::mul(%si, %tg)
  %c2 : Tensor = aten::add(%fc, %ig, %one)
  %tc : Tensor = aten::tanh(%c2)
  %h : Tensor = aten::mul(%so, %tc)
  return (%h, %c2))IR";

class FusionCuda : public ::testing::Test {
 protected:
  void SetUp() override {
#if TORCH_VERSION_MAJOR < 2
    GTEST_SKIP() << "CUDA tensors are fused with libtorch 2.x only (this is " << TORCH_VERSION << ")";
#else
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device, or a libtorch without CUDA";
#endif
  }

  // Runs `ir` fused and unfused on `in`; every output must be a tensor on the
  // same device as TorchScript's, with its strides, equal within relative
  // tolerance `rtol` (0: bit for bit).
  void check(const char* ir, const std::vector<torch::jit::IValue>& in, double rtol, bool expect_kernel = true) {
    torch::NoGradGuard no_grad;
    auto original = parse(ir);
    auto fused = original->copy();
    ASSERT_EQ(fuze::fuse_graph(fused), 1);
    fuze::reset_stats();
    const auto got = run_graph(fused, in);
    const auto want = run_graph(original, in);
    ASSERT_EQ(got.size(), want.size());
    for (size_t k = 0; k < got.size(); ++k) {
      const at::Tensor g = got[k].toTensor(), w = want[k].toTensor();
      EXPECT_EQ(g.device(), w.device());
      EXPECT_EQ(g.strides(), w.strides());
      if (rtol == 0) {
        EXPECT_TRUE(same_tensor(g.cpu(), w.cpu()));
      } else {
        EXPECT_TRUE(at::allclose(g.cpu(), w.cpu(), rtol, 1e-6, /*equal_nan=*/true)) << (g - w).abs().max();
      }
    }
    EXPECT_EQ(fuze::stats().kernel_calls, expect_kernel ? 1u : 0u);
    EXPECT_EQ(fuze::stats().fallbacks, expect_kernel ? 0u : 1u);
  }
};

at::Tensor cuda_randn(at::IntArrayRef sizes) { return at::randn(sizes, at::TensorOptions().device(at::kCUDA)); }

TEST_F(FusionCuda, AddTanhContiguousOddSizeAndLarge) {
  for (int64_t n : {int64_t{1}, int64_t{1000003}, int64_t{1} << 24}) {
    SCOPED_TRACE(n);
    check(kAddTanh, {cuda_randn({n}), cuda_randn({n})}, 2e-7);
  }
}

TEST_F(FusionCuda, AddIsBitExactOnTransposedAndBroadcastInputs) {
  constexpr const char* kAddMul = R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %r : Tensor = aten::mul(%a, %x)
  return (%r))IR";
  check(kAddMul, {cuda_randn({64, 48}).t(), cuda_randn({48, 64})}, 0);
  check(kAddMul, {cuda_randn({7, 1, 5}), cuda_randn({3, 1})}, 0);
}

TEST_F(FusionCuda, LstmCellTwoOutputs) {
  std::vector<torch::jit::IValue> in;
  for (int k = 0; k < 5; ++k) in.emplace_back(cuda_randn({256, 512}));
  check(kLstm, in, 2e-7);
}

TEST_F(FusionCuda, HalfInputsComputeInFloat) {
  const auto h = at::TensorOptions().device(at::kCUDA).dtype(at::kHalf);
  // The first call of a 16-bit signature runs TorchScript (fusion_group.h):
  // call twice, check the second.
  const std::vector<torch::jit::IValue> in = {at::randn({4096}, h), at::randn({4096}, h)};
  torch::NoGradGuard no_grad;
  auto fused = parse(kAddTanh);
  fuze::fuse_graph(fused);
  run_graph(fused, in);
  check(kAddTanh, in, 1e-3);
}

TEST_F(FusionCuda, MixedDevicesRunTheFallback) {
  check(kAddTanh, {cuda_randn({16}), at::randn({16}).sum()}, 2e-7, /*expect_kernel=*/false);
}

// Runs everywhere: tensors on a device fuze has no backend for run the
// fallback, counted, with TorchScript's result.
TEST(FusionDevices, MetaTensorsRunTheFallback) {
  torch::NoGradGuard no_grad;
  auto fused = parse(kAddTanh);
  ASSERT_EQ(fuze::fuse_graph(fused), 1);
  const auto meta = at::TensorOptions().device(at::kMeta);
  fuze::reset_stats();
  const at::Tensor got = run_graph(fused, {at::empty({3, 5}, meta), at::empty({5}, meta)})[0].toTensor();
  EXPECT_TRUE(got.is_meta());
  EXPECT_EQ(got.sizes(), at::IntArrayRef({3, 5}));
  EXPECT_EQ(fuze::stats().fallbacks, 1u);
  EXPECT_EQ(fuze::stats().kernel_calls, 0u);
}

// A graph traced on CUDA carries cuda:0 in its types: with libtorch 2.x the
// pass fuses it (the guard decides per call); with 1.13 it says why not.
TEST(FusionDevices, CudaTypedGraph) {
  auto g = parse(R"IR(
graph(%x : Float(8, strides=[1], requires_grad=0, device=cuda:0), %y : Float(8, strides=[1], requires_grad=0, device=cuda:0)):
  %one : int = prim::Constant[value=1]()
  %a : Float(8, strides=[1], requires_grad=0, device=cuda:0) = aten::add(%x, %y, %one)
  %r : Float(8, strides=[1], requires_grad=0, device=cuda:0) = aten::tanh(%a)
  return (%r))IR");
#if TORCH_VERSION_MAJOR >= 2
  EXPECT_EQ(fuze::fuse_graph(g), 1);
#else
  EXPECT_EQ(fuze::fuse_graph(g), 0);
  EXPECT_TRUE(has_reason(frontend::unfused_nodes(*g), "aten::add", "unsupported device cuda:0"));
#endif
}

}  // namespace
}  // namespace fuze::testing
