// Where outputs live (frontend/output_buffers.h): a single output written into
// an input that dies at the group, never into memory someone else can still
// see; large outputs from fuze's cache of already-faulted buffers.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "frontend/output_buffers.h"
#include "frontend/test_util.h"

namespace fuze::testing {
namespace {

std::shared_ptr<torch::jit::Graph> fused_add_tanh() {
  auto g = parse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %r : Tensor = aten::tanh(%a)
  return (%r))IR");
  EXPECT_EQ(fuze::fuse_graph(g), 1);
  return g;
}

// Runs g with x handed over (the stack holds its only reference) and y shared.
at::Tensor run_giving(const std::shared_ptr<torch::jit::Graph>& g, at::Tensor x, const at::Tensor& y) {
  std::vector<torch::jit::IValue> in;
  in.emplace_back(std::move(x));
  in.emplace_back(y);
  return run_graph(g, std::move(in))[0].toTensor();
}

TEST(FusionOutputs, DyingInputBecomesTheOutput) {
  torch::NoGradGuard no_grad;
  auto g = fused_add_tanh();
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{7, 5}, std::vector<int64_t>{300, 1000}}) {
    at::Tensor x = at::randn(shape);
    const at::Tensor y = at::randn(shape);
    const at::Tensor want = at::tanh(x + y);
    const void* x_data = x.data_ptr();
    fuze::reset_stats();
    const at::Tensor got = run_giving(g, std::move(x), y);
    EXPECT_EQ(fuze::stats().kernel_calls, 1u);
    EXPECT_EQ(got.data_ptr(), x_data) << "the dying input's buffer was not reused";
    EXPECT_TRUE(same_tensor(got, want, 1e-6));
  }
}

TEST(FusionOutputs, InputsOthersCanSeeAreNeverWritten) {
  torch::NoGradGuard no_grad;
  auto g = fused_add_tanh();
  const at::Tensor y = at::randn({64, 32});
  // Held by the caller too.
  {
    at::Tensor x = at::randn({64, 32});
    const at::Tensor keep = x.clone();
    const at::Tensor got = run_giving(g, x, y);
    EXPECT_NE(got.data_ptr(), x.data_ptr());
    EXPECT_TRUE(same_tensor(x, keep));
    EXPECT_TRUE(same_tensor(got, at::tanh(keep + y), 1e-6));
  }
  // Memory owned outside the refcount (from_blob: numpy arrays, shared memory).
  {
    std::vector<float> buf(64 * 32, 0.25f);
    const at::Tensor got = run_giving(g, at::from_blob(buf.data(), {64, 32}), y);
    EXPECT_NE(got.data_ptr(), static_cast<void*>(buf.data()));
    for (float v : buf) ASSERT_EQ(v, 0.25f);
  }
  // A view whose base lives on: the storage has another owner.
  {
    at::Tensor base = at::randn({64, 32});
    const at::Tensor keep = base.clone();
    const at::Tensor got = run_giving(g, base.view({64, 32}), y);
    EXPECT_NE(got.data_ptr(), base.data_ptr());
    EXPECT_TRUE(same_tensor(base, keep));
  }
  // The wrong dtype (promoted to float64 by y) or shape (broadcast) for the
  // output: never written into x. (Not a pointer comparison: x's buffer is
  // freed during the call, and malloc may hand the same address to a fresh
  // output, e.g. when float64 tanh runs TorchScript's ops.)
  {
    at::Tensor x = at::randn({64, 32});
    const at::Tensor want = at::tanh(x.to(at::kDouble) + y.to(at::kDouble));
    const uint64_t in_place = frontend::output_cache_stats().in_place;
    const at::Tensor got = run_giving(g, std::move(x), y.to(at::kDouble));
    EXPECT_EQ(frontend::output_cache_stats().in_place, in_place);
    EXPECT_EQ(got.scalar_type(), at::kDouble);
    EXPECT_TRUE(same_tensor(got, want, 1e-12));
    at::Tensor row = at::randn({32});
    const void* row_data = row.data_ptr();
    EXPECT_NE(run_giving(g, std::move(row), y).data_ptr(), row_data);
    EXPECT_EQ(frontend::output_cache_stats().in_place, in_place);
  }
  // A tensor that requires grad (grad mode off, so the group runs).
  {
    at::Tensor x = at::randn({64, 32}).requires_grad_();
    const void* x_data = x.data_ptr();
    const at::Tensor got = run_giving(g, std::move(x), y);
    EXPECT_NE(got.data_ptr(), x_data);
    EXPECT_FALSE(got.requires_grad());
  }
}

// A graph where TorchScript moves an intermediate's last use into the group:
// results equal TorchScript's.
TEST(FusionOutputs, IntermediatesFromUnfusedOps) {
  torch::NoGradGuard no_grad;
  const Fused f = fuse(R"IR(
graph(%x : Tensor, %w : Tensor, %b : Tensor):
  %one : int = prim::Constant[value=1]()
  %m : Tensor = aten::matmul(%x, %w)
  %a : Tensor = aten::add(%m, %b, %one)
  %s : Tensor = aten::sigmoid(%a)
  %r : Tensor = aten::mul(%a, %s)
  %m2 : Tensor = aten::matmul(%r, %w)
  %t : Tensor = aten::tanh(%m2)
  %r2 : Tensor = aten::add(%t, %b, %one)
  return (%r2))IR");
  ASSERT_EQ(f.groups, 2);
  const uint64_t before = frontend::output_cache_stats().in_place;
  // sigmoid's last-bit differences from ATen's (|r| up to ~30, so ~1e-5),
  // summed by the second matmul over 64 products with |w| < 0.6: well under 1e-4.
  expect_same_results(f, {at::randn({128, 64}), at::randn({64, 64}) * 0.125, at::randn({64})}, 1e-4);
  EXPECT_EQ(frontend::output_cache_stats().in_place, before + 2) << "both groups write into the matmul's output";
}

TEST(FusionOutputs, LargeOutputsComeBackFromTheCache) {
  torch::NoGradGuard no_grad;
  auto g = fused_add_tanh();
  const at::Tensor x = at::randn({1024, 1536});  // 6 MiB: above the huge-page threshold
  const at::Tensor y = at::randn({1024, 1536});
  frontend::trim_output_cache();
  const frontend::OutputCacheStats before = frontend::output_cache_stats();
  if (before.limit_bytes < (size_t{8} << 20)) GTEST_SKIP() << "FUZE_OUTPUT_CACHE_MB below 8";
  const void* first = nullptr;
  {
    const at::Tensor out = run_giving(g, x, y);
    first = out.data_ptr();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % (uintptr_t{2} << 20), 0u) << "large outputs start on a huge page";
    EXPECT_TRUE(same_tensor(out, at::tanh(x + y), 1e-6));
  }
  EXPECT_EQ(frontend::output_cache_stats().fresh, before.fresh + 1);
  EXPECT_GE(frontend::output_cache_stats().cached_bytes, size_t{6} << 20);
  at::Tensor again = run_giving(g, x, y);
  EXPECT_EQ(again.data_ptr(), first);
  EXPECT_EQ(frontend::output_cache_stats().reused, before.reused + 1);
  EXPECT_TRUE(same_tensor(again, at::tanh(x + y), 1e-6));
  // Storages stay resizable, as eager's are.
  again.resize_({2048, 1536});
  EXPECT_EQ(again.numel(), 2048 * 1536);
  frontend::trim_output_cache();
  EXPECT_EQ(frontend::output_cache_stats().cached_bytes, 0u);
}

}  // namespace
}  // namespace fuze::testing
