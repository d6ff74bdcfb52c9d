// Every fusible op x every dtype, end to end: a two-node group (the op, then
// maximum(r, r), which every dtype supports) fused vs the same graph in
// TorchScript. Where TorchScript raises (e.g. an op eager does not implement
// for a dtype), the fused graph must raise too; otherwise the outputs must be
// equal: same dtype and shape, bit for bit for exact ops, within a relative
// tolerance of the exact (float64) result for transcendental ones. The test prints the op x dtype table
// ("K": ran a fused kernel, "F": fell back, "E": eager raises).
#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cstdio>
#include <map>

#include "eager_accuracy.h"
#include "frontend/op_cases.h"
#include "frontend/test_util.h"

namespace fuze::testing {
namespace {

const std::pair<const char*, at::ScalarType> kDtypes[] = {
    {"f32", at::kFloat}, {"f64", at::kDouble}, {"i32", at::kInt},       {"i64", at::kLong},
    {"bool", at::kBool}, {"f16", at::kHalf},   {"bf16", at::kBFloat16},
};

at::Tensor make_input(at::ScalarType t, int seed) {
  at::manual_seed(seed);
  if (t == at::kBool) return at::rand({5, 7}) > 0.5;
  if (at::isIntegralType(t, false)) return at::randint(-6, 7, {5, 7}).to(t);
  at::Tensor x = (at::rand({5, 7}, at::kDouble) * 4 - 2).to(t);
  x.index_put_({0, 0}, std::numeric_limits<double>::quiet_NaN());
  x.index_put_({0, 1}, std::numeric_limits<double>::infinity());
  x.index_put_({0, 2}, 0.0);
  x.index_put_({0, 3}, 0.5);
  return x;
}

// The exact result of `graph` on `in`: its floating inputs widened to
// float64, the result rounded once to `like`'s dtype.
at::Tensor exact_result(const std::shared_ptr<torch::jit::Graph>& graph, const std::vector<torch::jit::IValue>& in,
                        const at::Tensor& like) {
  std::vector<torch::jit::IValue> wide;
  for (const auto& v : in) {
    const at::Tensor& t = v.toTensor();
    wide.emplace_back(t.is_floating_point() ? t.to(at::kDouble) : t);
  }
  return run_graph(graph, wide)[0].toTensor().to(like.scalar_type());
}

// Exact ops: bit for bit with eager. Approximate ones: close to the exact
// result (eager's float32 kernels approximate differently on different CPUs:
// torch 2.11's float32 gelu on AVX-512 gives gelu(inf) = NaN), NaN and
// infinities exactly as it; where not close to it, finite and close to eager.
::testing::AssertionResult close(const at::Tensor& got, const at::Tensor& want, const at::Tensor& exact, bool approx) {
  if (got.scalar_type() != want.scalar_type())
    return ::testing::AssertionFailure() << "dtype " << got.scalar_type() << " vs " << want.scalar_type();
  if (got.sizes() != want.sizes()) return ::testing::AssertionFailure() << "shape";
  if (!approx) return same_tensor(got, want);
  const at::Tensor g = got.to(at::kDouble), w = want.to(at::kDouble), e = exact.to(at::kDouble);
  const double rtol = want.scalar_type() == at::kDouble ? 1e-12 : (want.scalar_type() == at::kFloat ? 1e-5 : 1e-2);
  const at::Tensor near_exact = at::isclose(g, e, rtol, 1e-6, /*equal_nan=*/true);
  const at::Tensor near_eager = at::isclose(g, w, rtol, 1e-6) & at::isfinite(g) & at::isfinite(e);
  if ((near_exact | near_eager).all().item<bool>()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "values differ:\n" << got << "\nvs eager\n" << want << "\nexact\n" << exact;
}

TEST(FusionDtypes, EveryOpEveryDtypeMatchesTorchScript) {
  torch::NoGradGuard no_grad;
  std::map<std::string, std::string> table;
  int kernels = 0;
  for (const OpCase& c : kOpCases) {
    const std::string ir = std::string("graph(%x : Tensor, %y : Tensor):\n") + c.body +
                           "  %o : Tensor = aten::maximum(%r, %r)\n  return (%o)";
    auto original = parse(ir);
    auto fused = original->copy();
    ASSERT_EQ(fuze::fuse_graph(fused), 1) << c.name << "\n" << *original;
    std::string row;
    for (const auto& [dname, dt] : kDtypes) {
      SCOPED_TRACE(std::string(c.name) + " " + dname);
      std::vector<torch::jit::IValue> in = {make_input(dt, 1), make_input(dt, 2)};
      if (dt == at::kHalf || dt == at::kBFloat16) {
        // A 16-bit signature's first call runs TorchScript (checking eager has the ops).
        try {
          run_graph(fused, in);
        } catch (const std::exception&) {
        }
      }
      fuze::reset_stats();
      std::optional<at::Tensor> want;
      try {
        want = run_graph(original, in)[0].toTensor();
      } catch (const std::exception&) {
      }
      if (!want) {
        EXPECT_ANY_THROW(run_graph(fused, in));
        row += " E";
        continue;
      }
      const at::Tensor got = run_graph(fused, in)[0].toTensor();
      const bool kernel = fuze::stats().kernel_calls == 1;
      // A group that fell back ran TorchScript's own ops: eager's answer.
      const bool approx = kernel && (c.approx || (std::string(c.name) == "sqrt" && !eager_sqrt_is_exact()));
      EXPECT_TRUE(close(got, *want, approx ? exact_result(original, in, *want) : *want, approx));
      kernels += kernel;
      row += kernel ? " K" : " F";
    }
    table[c.name] = row;
  }
  std::printf("%-16s f32 f64 i32 i64 bool f16 bf16   (K kernel, F fallback, E eager raises)\n", "op");
  for (const auto& [name, row] : table) std::printf("%-16s%s\n", name.c_str(), row.c_str());
  EXPECT_GT(kernels, 250);
  // With a compiling backend, the interpreter never compiles a kernel: a
  // group whose kernel the backend lacks runs TorchScript's ops instead.
  if (fuze::options().backend != BackendKind::kInterp) {
    for (const fuze::KernelInfo& k : fuze::cached_kernels()) {
      EXPECT_NE(k.backend, BackendKind::kInterp) << k.name << " was compiled by the interpreter";
    }
  }
}

}  // namespace
}  // namespace fuze::testing
