// float16 and bfloat16, exhaustively: every op that fuses on these dtypes is
// run over all 65,536 bit patterns of its first operand (NaNs, infinities,
// zeros, denormals included; binary ops pair them with a shuffled copy),
// contiguous (eager's vector loops) and strided (its scalar loop), and
// compared with TorchScript on the same inputs: bit for bit for exact ops,
// within one unit in the last place of the 16-bit result for transcendental
// ones (fuze's float32 math is within 2 float32 ULP of the true value, so the
// final rounding to 16 bits may land on the other side of a tie). Where eager
// raises (libtorch 1.13 lacks many Half CPU kernels), the fused graph must raise
// too. Prints the op x dtype table ("K": ran a kernel, "F": fell back, "E":
// eager raises).
#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cstdio>
#include <map>

#include "frontend/op_cases.h"
#include "frontend/test_util.h"

namespace fuze::testing {
namespace {

// Beyond the shared cases: a chain computed in one kernel.
const OpCase kHalfExtra[] = {
    {"add_tanh", "  %k : int = prim::Constant[value=1]()\n  %a : Tensor = aten::add(%x, %y, %k)\n"
                 "  %r : Tensor = aten::tanh(%a)\n", true},
};

// All 65,536 bit patterns of a 16-bit float type.
at::Tensor all_values(at::ScalarType t) {
  return at::arange(-32768, 32768, at::kInt).to(at::kShort).view(t);
}

// Distance in representable 16-bit values (0: same bits or both NaN; -1: one NaN).
int64_t ulp16(uint16_t a, uint16_t b, bool bf16) {
  auto is_nan = [&](uint16_t v) {
    return bf16 ? ((v & 0x7F80u) == 0x7F80u && (v & 0x7Fu) != 0) : ((v & 0x7C00u) == 0x7C00u && (v & 0x3FFu) != 0);
  };
  if (is_nan(a) || is_nan(b)) return is_nan(a) && is_nan(b) ? 0 : -1;
  auto ordered = [](uint16_t v) { return (v & 0x8000u) ? 0x8000 - static_cast<int64_t>(v & 0x7FFFu) : 0x8000 + static_cast<int64_t>(v); };
  return std::llabs(ordered(a) - ordered(b));
}

// Compares got with want; returns "" when equal within the op's bound.
std::string compare(const at::Tensor& got, const at::Tensor& want, bool approx) {
  if (got.scalar_type() != want.scalar_type()) return "dtype differs";
  if (got.sizes() != want.sizes()) return "shape differs";
  const at::ScalarType t = want.scalar_type();
  if (t != at::kHalf && t != at::kBFloat16) {  // bool outputs (comparisons, isnan...)
    return at::equal(got, want) ? "" : "values differ";
  }
  const at::Tensor g = got.contiguous().view(at::kShort), w = want.contiguous().view(at::kShort);
  const int16_t* gp = g.data_ptr<int16_t>();
  const int16_t* wp = w.data_ptr<int16_t>();
  int64_t bad = 0, worst = 0, first = -1;
  for (int64_t i = 0; i < g.numel(); ++i) {
    const int64_t d = ulp16(static_cast<uint16_t>(gp[i]), static_cast<uint16_t>(wp[i]), t == at::kBFloat16);
    const bool ok = d == 0 || (approx && d == 1) || (d > 0 && (gp[i] & 0x7FFF) == 0 && (wp[i] & 0x7FFF) == 0);
    if (!ok) {
      ++bad;
      if (first < 0) first = i;
      worst = d < 0 ? 1 << 30 : std::max(worst, d);
    }
  }
  if (bad == 0) return "";
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%lld elements differ (max %lld ulp16), first at %lld: got 0x%04x want 0x%04x",
                static_cast<long long>(bad), static_cast<long long>(worst), static_cast<long long>(first),
                static_cast<unsigned>(static_cast<uint16_t>(gp[first])),
                static_cast<unsigned>(static_cast<uint16_t>(wp[first])));
  return buf;
}

TEST(FusionHalf, EveryOpOverEvery16BitValueMatchesTorchScript) {
  torch::NoGradGuard no_grad;
  std::map<std::string, std::string> table;
  int kernels = 0;
  std::vector<OpCase> all(std::begin(kOpCases), std::end(kOpCases));
  all.insert(all.end(), std::begin(kHalfExtra), std::end(kHalfExtra));
  for (const OpCase& c : all) {
    const std::string ir = std::string("graph(%x : Tensor, %y : Tensor):\n") + c.body +
                           "  %o : Tensor = aten::maximum(%r, %r)\n  return (%o)";
    auto original = parse(ir);
    auto fused = original->copy();
    ASSERT_EQ(fuze::fuse_graph(fused), 1) << c.name;
    std::string row;
    for (const auto& [dname, dt] : {std::pair{"f16", at::kHalf}, std::pair{"bf16", at::kBFloat16}}) {
      SCOPED_TRACE(std::string(c.name) + " " + dname);
      at::manual_seed(7);
      const at::Tensor x = all_values(dt);
      const at::Tensor y = x.index_select(0, at::randperm(x.numel()));
      // Contiguous inputs take eager's vectorised loops, strided ones its
      // scalar loop: the two differ for some ops (bf16 rsqrt), so both run.
      const auto strided = [](const at::Tensor& t) {
        at::Tensor wide = at::zeros({t.numel(), 2}, t.options());
        wide.select(1, 0).copy_(t);
        return wide.select(1, 0);
      };
      const std::vector<std::vector<torch::jit::IValue>> cases = {{x, y}, {strided(x), strided(y)}};
      std::string diff;
      std::optional<bool> eager_raises;
      int kernel_calls = 0;
      for (const auto& in : cases) {
        std::optional<at::Tensor> want;
        try {
          want = run_graph(original, in)[0].toTensor();
        } catch (const std::exception&) {
        }
        eager_raises = !want;
        if (!want) {
          EXPECT_ANY_THROW(run_graph(fused, in));
          EXPECT_ANY_THROW(run_graph(fused, in));
          break;
        }
        // The first call of a 16-bit signature runs TorchScript (it checks
        // that eager has the ops); the second runs the kernel.
        EXPECT_NO_THROW(run_graph(fused, in));
        fuze::reset_stats();
        const at::Tensor got = run_graph(fused, in)[0].toTensor();
        kernel_calls += static_cast<int>(fuze::stats().kernel_calls);
        if (diff.empty()) diff = compare(got, *want, c.approx);
      }
      if (*eager_raises) {
        row += "  E";
        continue;
      }
      EXPECT_EQ(diff, "");
      const bool kernel = kernel_calls == 2;
      kernels += kernel;
      row += kernel ? "  K" : "  F";
      if (!diff.empty()) row += "!";
    }
    table[c.name] = row;
  }
  std::printf("%-16s f16 bf16   (K kernel, F fallback, E eager raises)\n", "op");
  for (const auto& [name, row] : table) std::printf("%-16s%s\n", name.c_str(), row.c_str());
  EXPECT_GT(kernels, 60);
}

}  // namespace
}  // namespace fuze::testing
