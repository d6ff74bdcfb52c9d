// Reductions with their pointwise neighbours (issue 17), TorchScript and fuze
// called alternately (interleaved.h): the transformer patterns and the plain
// reductions, float32, rows of 1,024 and 4,096 elements, 1, 8 and 64 MiB of
// input, at 1 and 2 threads. A reduction alone stays ATen's (the fusion pass
// leaves it out: "a reduction with no fusible neighbour"), so its row measures
// that fuze costs it nothing.
//
//   build/bench/fuze_reduce_bench --benchmark_min_time=0.2 --benchmark_format=json --benchmark_out=reduce.json
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/script.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "bench_main.h"
#include "module_compare.h"
#include "fuze/fuze.h"

namespace {

struct Case {
  std::string name;
  std::string body;  // TorchScript over x, r (rows x cols), w, b (cols), m (1 x cols); {C}: cols
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"rmsnorm_residual",
       "    h = x + r\n    return h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + 1e-6) * w, h\n"},
      {"softmax_scale_mask", "    return torch.softmax(x * 0.125 + m, dim=-1)\n"},
      {"layer_norm_residual", "    return torch.layer_norm(x + r, [{C}], w, b, 1e-5)\n"},
      {"softmax", "    return torch.softmax(x, dim=-1)\n"},
      {"log_softmax", "    return torch.log_softmax(x, dim=-1)\n"},
      {"layer_norm", "    return torch.layer_norm(x, [{C}], w, b, 1e-5)\n"},
      {"sum", "    return x.sum(-1)\n"},
      {"mean", "    return x.mean(-1, keepdim=True)\n"},
  };
  return c;
}

void bench_case(benchmark::State& state, const Case& c, int64_t cols, int64_t mib, int threads) {
  torch::NoGradGuard no_grad;
  at::set_num_threads(threads);
  const int64_t rows = mib * (1 << 20) / 4 / cols;
  at::manual_seed(1);
  const std::vector<torch::jit::IValue> inputs{torch::randn({rows, cols}), torch::randn({rows, cols}),
                                               torch::rand({cols}) + 0.5, torch::randn({cols}),
                                               torch::where(torch::rand({1, cols}) < 0.1, -1e9, 0.0).to(at::kFloat)};
  std::string body = c.body;  // normalized_shape as written in a model: a constant list
  if (size_t at = body.find("{C}"); at != std::string::npos) body.replace(at, 3, std::to_string(cols));
  torch::jit::Module module("Reduce");
  module.define("def forward(self, x, r, w, b, m):\n" + body);
  fuze::Options opts = fuze::default_options();
  opts.num_threads = threads;
  fuze::set_options(opts);
  fuze::Module fused = fuze::optimize(module);
  for (int i = 0; i < 3; ++i) {
    module.forward(inputs);
    fused.forward(inputs);
  }
  fuze_bench::compare_modules(state, module, fused, inputs);
}

}  // namespace

void register_benchmarks() {
  setenv("FUZE_REDUCTIONS", "1", 1);  // reduction fusion on, whatever the environment says (it is the default)
  auto add = [](const Case& c, int64_t cols, int64_t mib, int threads) {
    const std::string name = "reduce/" + c.name + "/cols:" + std::to_string(cols) + "/MiB:" + std::to_string(mib) +
                             "/threads:" + std::to_string(threads);
    benchmark::RegisterBenchmark(name.c_str(), bench_case, c, cols, mib, threads)->UseManualTime()->Unit(benchmark::kMicrosecond);
  };
  const std::vector<Case> all = cases();
  for (const Case& c : all) {
    for (int64_t cols : {1024, 4096}) {
      for (int64_t mib : {1, 8, 64}) {
        for (int threads : {1, 2}) add(c, cols, mib, threads);
      }
    }
  }
  // The fused patterns on short rows (attention over 128 tokens, 100, a
  // ViT's 197) and on one long row (8 MiB: split across the threads).
  for (size_t i = 0; i < 3; ++i) {
    for (int threads : {1, 2}) {
      for (int64_t cols : {100, 128, 197}) {
        add(all[i], cols, 1, threads);
        add(all[i], cols, 8, threads);
      }
      add(all[i], 2097152, 8, threads);
    }
  }
}
