// Google Benchmark suite: plain TorchScript (default executor) vs fuze with
// the interpreter vs fuze with the x86 backend (at the CPU's best ISA level
// and capped at AVX2), on the three chains of issue 3
// (add+tanh, the LSTM-cell pointwise half, a 10-op cheap chain), at 12 (the
// seed's 3x4), 4K, 256K, 4M and 16M floats, with 1 and 2 threads; plus a
// STREAM-like triad as the memory roofline measured in the same binary.
//
// Every benchmark reports bytes_per_second over the minimal traffic (each
// input read once, each output written once). Run with
//   build/bench/fuze_bench --benchmark_format=json --benchmark_out=out.json
// and turn the JSON into a table/plot with scripts/bench_report.py.
// Large sizes depend on the allocator: say which setting a run used
// (MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184 removes page faults).
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/script.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "bench_main.h"
#include "fuze/fuze.h"
#include "runtime/runtime.h"

namespace {

struct Chain {
  const char* name;
  int num_inputs;
  int num_outputs;
  const char* source;  // TorchScript for Module::define
};

const Chain kChains[] = {
    {"add_tanh", 2, 1,
     "def forward(self, x, h):\n"
     "    return torch.tanh(x + h)\n"},
    {"lstm_cell", 5, 2,
     "def forward(self, i, f, g, o, cx):\n"
     "    i = torch.sigmoid(i)\n"
     "    f = torch.sigmoid(f)\n"
     "    g = torch.tanh(g)\n"
     "    o = torch.sigmoid(o)\n"
     "    cy = f * cx + i * g\n"
     "    hy = o * torch.tanh(cy)\n"
     "    return hy, cy\n"},
    {"chain10", 2, 1,
     "def forward(self, x, y):\n"
     "    a = x + y\n"
     "    b = a * y\n"
     "    c = b - x\n"
     "    d = c * 0.5\n"
     "    e = d + 1.0\n"
     "    f = torch.clamp(e, -2.0, 2.0)\n"
     "    g = torch.relu(f)\n"
     "    h = torch.maximum(g, x)\n"
     "    i = h / 3.0\n"
     "    return i - y\n"},
};

const int64_t kSizes[] = {12, 4096, 262144, 4194304, 16777216};

// kFuzeX86: the x86 backend at the CPU's best level (or FUZE_X86_ISA's);
// kFuzeX86Avx2: the same capped at AVX2 (FUZE_X86_ISA=avx2 while it runs), so
// that an AVX-512 machine reports both levels in one run.
enum class Runner { kTorchScript, kFuzeInterp, kFuzeX86, kFuzeX86Avx2 };

const char* runner_name(Runner r) {
  switch (r) {
    case Runner::kTorchScript: return "torchscript";
    case Runner::kFuzeInterp: return "fuze_interp";
    case Runner::kFuzeX86: return "fuze_x86";
    case Runner::kFuzeX86Avx2: return "fuze_x86_avx2";
  }
  return "?";
}

std::vector<torch::jit::IValue> make_inputs(const Chain& chain, int64_t n) {
  std::vector<torch::jit::IValue> inputs;
  std::vector<int64_t> shape = n == 12 ? std::vector<int64_t>{3, 4} : std::vector<int64_t>{n};
  for (int i = 0; i < chain.num_inputs; ++i) inputs.emplace_back(torch::randn(shape));
  return inputs;
}

void bench_chain(benchmark::State& state, const Chain* chain, Runner runner, int64_t n, int threads) {
  torch::NoGradGuard no_grad;
  at::set_num_threads(threads);
  torch::jit::Module module("Bench");
  module.define(chain->source);
  auto inputs = make_inputs(*chain, n);

  fuze::Options opts = fuze::default_options();
  opts.num_threads = threads;
  if (runner == Runner::kFuzeInterp) opts.backend = fuze::BackendKind::kInterp;
  if (runner == Runner::kFuzeX86 || runner == Runner::kFuzeX86Avx2) opts.backend = fuze::BackendKind::kX86;
  fuze::set_options(opts);
  // The x86 backend reads FUZE_X86_ISA when it compiles: cap it for this
  // runner, and start from an empty kernel cache so no kernel of the other
  // level is reused.
  const char* env = std::getenv("FUZE_X86_ISA");
  const std::string saved = env ? env : "";
  if (runner == Runner::kFuzeX86Avx2) setenv("FUZE_X86_ISA", "avx2", 1);
  fuze::runtime::KernelCache::global().clear();

  if (runner == Runner::kTorchScript) {
    for (int i = 0; i < 3; ++i) module.forward(inputs);  // profiling runs + optimization
    for (auto _ : state) benchmark::DoNotOptimize(module.forward(inputs));
  } else {
    fuze::Module fused = fuze::optimize(module);
    fuze::reset_stats();
    for (int i = 0; i < 3; ++i) fused.forward(inputs);  // compile
    for (auto _ : state) benchmark::DoNotOptimize(fused.forward(inputs));
    fuze::Stats s = fuze::stats();
    if (s.fallbacks != 0) state.SkipWithError("fuze fell back to TorchScript: the backend did not run");
  }
  if (runner == Runner::kFuzeX86Avx2) {
    if (env) setenv("FUZE_X86_ISA", saved.c_str(), 1);
    else unsetenv("FUZE_X86_ISA");
    fuze::runtime::KernelCache::global().clear();
  }
  const int64_t bytes = (chain->num_inputs + chain->num_outputs) * n * static_cast<int64_t>(sizeof(float));
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["elements"] = static_cast<double>(n);
  state.counters["threads"] = threads;
}

// a[i] = b[i] + s * c[i]: 2 reads + 1 write per element, the memory roofline.
void bench_triad(benchmark::State& state, int64_t n, int threads) {
  at::set_num_threads(threads);
  std::vector<float> a(n), b(n, 1.0f), c(n, 2.0f);
  const float s = 3.0f;
  const int64_t grain = 32768;
  for (auto _ : state) {
    at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
      float* pa = a.data();
      const float* pb = b.data();
      const float* pc = c.data();
      for (int64_t i = begin; i < end; ++i) pa[i] = pb[i] + s * pc[i];
    });
    benchmark::DoNotOptimize(a.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 3 * n * static_cast<int64_t>(sizeof(float)));
  state.counters["elements"] = static_cast<double>(n);
  state.counters["threads"] = threads;
}

}  // namespace

void register_benchmarks() {
  const bool have_x86 = [] {
    std::unique_ptr<fuze::Backend> b;
    return fuze::make_backend(fuze::BackendKind::kX86, &b).is_ok();
  }();
  for (int threads : {1, 2}) {
    for (int64_t n : kSizes) {
      std::string suffix = "/n:" + std::to_string(n) + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(("triad" + suffix).c_str(), bench_triad, n, threads)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
      for (const Chain& chain : kChains) {
        for (Runner r : {Runner::kTorchScript, Runner::kFuzeInterp, Runner::kFuzeX86, Runner::kFuzeX86Avx2}) {
          if ((r == Runner::kFuzeX86 || r == Runner::kFuzeX86Avx2) && !have_x86) continue;
          std::string name = std::string(chain.name) + "/" + runner_name(r) + suffix;
          benchmark::RegisterBenchmark(name.c_str(), bench_chain, &chain, r, n, threads)
              ->UseRealTime()
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
}
