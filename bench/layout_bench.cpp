// The layout matrix (issue 14): the 4-op chain tanh(x * y + x) - y over every
// pair of input layouts whose broadcast is the full 1024 x 1024 (1M floats),
// TorchScript and fuze (x86) called alternately in one loop, as a model
// interleaves ATen ops and fused groups, at 1 and 2 threads.
//
// Layouts: contiguous [1024, 1024]; row [1024] (broadcast down the rows);
// column [1024, 1]; scalar (a 0-dim tensor); sliced (the left half of a
// [1024, 2048]: rows 2048 apart); transposed (a [1024, 1024] transposed).
//
// Each benchmark reports fuze's time (manual time) and, as counters, the
// medians of both per-call times and their ratio (torchscript_us / fuze_us)
// over the iterations of the run. Run with
//   build/bench/fuze_layout_bench --benchmark_format=json --benchmark_out=out.json
// State the allocator setting with the figures (see fusion_bench.cpp).
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/script.h>

#include <string>
#include <vector>

#include "bench_main.h"
#include "interleaved.h"
#include "fuze/fuze.h"

namespace {

constexpr int64_t kN = 1024;
enum class L { kContiguous, kRow, kColumn, kScalar, kSliced, kTransposed };
const L kLayouts[] = {L::kContiguous, L::kRow, L::kColumn, L::kScalar, L::kSliced, L::kTransposed};

const char* layout_name(L l) {
  switch (l) {
    case L::kContiguous: return "contiguous";
    case L::kRow: return "row";
    case L::kColumn: return "column";
    case L::kScalar: return "scalar";
    case L::kSliced: return "sliced";
    case L::kTransposed: return "transposed";
  }
  return "?";
}

bool full_size(L l) { return l == L::kContiguous || l == L::kSliced || l == L::kTransposed; }

// Pairs whose broadcast is [1024, 1024]: one full operand, or a row against a column.
bool covers(L x, L y) {
  return full_size(x) || full_size(y) || (x == L::kRow && y == L::kColumn) || (x == L::kColumn && y == L::kRow);
}

at::Tensor make(L l) {
  switch (l) {
    case L::kContiguous: return torch::randn({kN, kN});
    case L::kRow: return torch::randn({kN});
    case L::kColumn: return torch::randn({kN, 1});
    case L::kScalar: return torch::randn({});
    case L::kSliced: return torch::randn({kN, 2 * kN}).narrow(1, 0, kN);
    case L::kTransposed: return torch::randn({kN, kN}).t();
  }
  return {};
}

void bench_pair(benchmark::State& state, L lx, L ly, int threads) {
  torch::NoGradGuard no_grad;
  at::set_num_threads(threads);
  torch::jit::Module module("Layouts");
  module.define(
      "def forward(self, x, y):\n"
      "    return torch.tanh(x * y + x) - y\n");
  std::vector<torch::jit::IValue> inputs{make(lx), make(ly)};
  fuze::Options opts = fuze::default_options();
  opts.backend = fuze::BackendKind::kX86;
  opts.num_threads = threads;
  fuze::set_options(opts);
  fuze::Module fused = fuze::optimize(module);
  for (int i = 0; i < 3; ++i) {
    module.forward(inputs);  // profiling runs + optimization
    fused.forward(inputs);   // profiling + compile
  }
  const at::Tensor want = module.forward(inputs).toTensor();
  const at::Tensor got = fused.forward(inputs).toTensor();
  if (!at::allclose(got, want, 1e-5, 1e-5) || got.strides() != want.strides()) {
    state.SkipWithError("fuze's result or layout differs from TorchScript's");
    return;
  }
  fuze::reset_stats();
  fuze_bench::time_interleaved(
      state, [&] { benchmark::DoNotOptimize(module.forward(inputs)); },
      [&] { benchmark::DoNotOptimize(fused.forward(inputs)); });
  if (fuze::stats().fallbacks != 0) state.SkipWithError("fuze fell back to TorchScript: the kernel did not run");
  state.counters["threads"] = threads;
}

}  // namespace

void register_benchmarks() {
  for (int threads : {1, 2}) {
    for (L x : kLayouts) {
      for (L y : kLayouts) {
        if (!covers(x, y)) continue;
        const std::string name = std::string("chain4/x:") + layout_name(x) + "/y:" + layout_name(y) +
                                 "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), bench_pair, x, y, threads)
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}
