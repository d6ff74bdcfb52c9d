// 64-bit indexing: element offsets past 2^31 (a strided view whose second row
// starts 2^31 + 1 elements in: tiny, the storage is never touched elsewhere)
// and an iteration space of more than 2^31 elements (bool output, 2 GiB of
// memory, from broadcast inputs).
#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "frontend/test_util.h"

namespace fuze::testing {
namespace {

constexpr int64_t kBig = (int64_t(1) << 31) + 1;

TEST(FusionLarge, OffsetsPast2To31) {
  torch::NoGradGuard no_grad;
  auto original = parse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %r : Tensor = aten::neg(%a)
  return (%r))IR");
  auto fused = original->copy();
  ASSERT_EQ(fuze::fuse_graph(fused), 1);
  // 2 x 4 float32 view over a 8 GiB virtual storage: only the two rows' pages exist.
  at::Tensor storage = at::empty({kBig + 8}, at::kFloat);
  storage.narrow(0, 0, 8).copy_(at::arange(8, at::kFloat));
  storage.narrow(0, kBig, 8).copy_(at::arange(100, 108, at::kFloat));
  const at::Tensor x = storage.as_strided({2, 4}, {kBig, 1});
  const at::Tensor y = at::ones({2, 4});
  const std::vector<torch::jit::IValue> in = {x, y};
  fuze::reset_stats();
  const at::Tensor got = run_graph(fused, in)[0].toTensor();
  EXPECT_EQ(fuze::stats().kernel_calls, 1u);
  EXPECT_TRUE(same_tensor(got, run_graph(original, in)[0].toTensor()));
  EXPECT_EQ(got[1][3].item<float>(), -104.0f);
}

TEST(FusionLarge, MoreThan2To31Elements) {
  torch::NoGradGuard no_grad;
  auto original = parse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %a : Tensor = aten::gt(%x, %y)
  %r : Tensor = aten::logical_not(%a)
  return (%r))IR");
  auto fused = original->copy();
  ASSERT_EQ(fuze::fuse_graph(fused), 1);
  // 2^31 + 8 elements from two broadcast inputs: every output element is
  // true; an index that wrapped at 2^31 would leave zero (false) pages behind.
  const int64_t n = (int64_t(1) << 31) + 8;
  const at::Tensor x = at::full({1}, 1.0f).expand({n});
  const at::Tensor y = at::full({}, 3.5f);
  const fuze::Options before = fuze::options();
  fuze::Options two = before;
  two.num_threads = 2;  // the interpreter runs bool kernels (x86 has no bool ops yet): ~6 s in all here
  fuze::set_options(two);
  fuze::reset_stats();
  const at::Tensor got = run_graph(fused, {x, y})[0].toTensor();
  fuze::set_options(before);
  EXPECT_EQ(fuze::stats().kernel_calls, 1u);
  ASSERT_EQ(got.numel(), n);
  EXPECT_TRUE(got.narrow(0, n - 4096, 4096).all().item<bool>());
  EXPECT_TRUE(got.narrow(0, (int64_t(1) << 31) - 2048, 2056).all().item<bool>());
  EXPECT_TRUE(got.index_select(0, at::randint(n, {1 << 16}, at::kLong)).all().item<bool>());
}

}  // namespace
}  // namespace fuze::testing
