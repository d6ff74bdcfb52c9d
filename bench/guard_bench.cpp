// Guard + dispatch cost of one fusion-group call, on 1-element tensors (so the
// kernel body is negligible), next to its parts:
//   GroupCall      the fused graph (add + tanh) through TorchScript's
//                  interpreter: stack handling, guard (signature of 2 inputs),
//                  per-group lookup, output allocation, kernel run
//   Guard          the guard alone (FusionGroupRunner::guard: input checks,
//                  signature, table lookup) on the same inputs; Guard3D on
//                  rank-3 inputs, one broadcast, GuardStrided on a transposed one
//   UnfusedGraph   the same graph without fuze (two eager ops)
//   KernelBody     the compiled kernel alone, called with prepared KernelArgs
//   EmptyAlloc     at::empty({1}): the output allocation alone
//   EmptyGraph     the interpreter running a graph that returns its input
// The issue's guard figure is Guard; GroupCall - KernelBody - EmptyAlloc -
// EmptyGraph is the whole per-call dispatch overhead.
// Run: build/bench/fuze_guard_bench --benchmark_min_time=0.2
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>
#include <torch/csrc/jit/ir/irparser.h>
#include <torch/csrc/jit/runtime/interpreter.h>

#include "frontend/fusion_group.h"
#include "fuze/fuze.h"
#include "runtime/runtime.h"

namespace {

const char* kGraph = R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %b : Tensor = aten::tanh(%a)
  return (%b))IR";

std::shared_ptr<torch::jit::Graph> parse(const char* ir) {
  auto g = std::make_shared<torch::jit::Graph>();
  torch::jit::parseIR(ir, g.get());
  return g;
}

void run_code(benchmark::State& state, const std::shared_ptr<torch::jit::Graph>& g) {
  torch::NoGradGuard no_grad;
  torch::jit::Code code(g, "bench");
  const at::Tensor x = at::randn({1}), y = at::randn({1});
  for (auto _ : state) {
    torch::jit::Stack stack{x, y};
    torch::jit::InterpreterState(code).run(stack);
    benchmark::DoNotOptimize(stack.back());
  }
}

void BM_GroupCall(benchmark::State& state) {
  auto g = parse(kGraph);
  fuze::fuse_graph(g);
  fuze::reset_stats();
  run_code(state, g);
  state.counters["compiles"] = static_cast<double>(fuze::stats().compiles);
  state.counters["fallbacks"] = static_cast<double>(fuze::stats().fallbacks);
}
BENCHMARK(BM_GroupCall);

// Times FusionGroupRunner::guard on (x, y) for the graph's one fusion group.
void run_guard(benchmark::State& state, const at::Tensor& x, const at::Tensor& y) {
  torch::NoGradGuard no_grad;
  auto g = parse(kGraph);
  fuze::fuse_graph(g);
  const torch::jit::Node* group = nullptr;
  for (const torch::jit::Node* n : g->nodes())
    if (n->kind() == fuze::frontend::fusion_group_symbol()) group = n;
  if (group == nullptr) {
    state.SkipWithError("no fusion group");
    return;
  }
  fuze::frontend::FusionGroupRunner runner(group);
  const torch::jit::Stack stack{x, y};
  fuze::frontend::GroupCall call;
  if (runner.guard(stack.data(), &call) == nullptr) {
    state.SkipWithError("the guard refused the inputs");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(runner.guard(stack.data(), &call));
  }
}

void BM_Guard(benchmark::State& state) { run_guard(state, at::randn({1}), at::randn({1})); }
BENCHMARK(BM_Guard);
void BM_Guard3D(benchmark::State& state) { run_guard(state, at::randn({2, 3, 4}), at::randn({3, 1})); }
BENCHMARK(BM_Guard3D);
void BM_GuardStrided(benchmark::State& state) { run_guard(state, at::randn({4, 3}).t(), at::randn({3, 4})); }
BENCHMARK(BM_GuardStrided);

void BM_UnfusedGraph(benchmark::State& state) { run_code(state, parse(kGraph)); }
BENCHMARK(BM_UnfusedGraph);

void BM_EmptyGraph(benchmark::State& state) {
  run_code(state, parse("graph(%x : Tensor, %y : Tensor):\n  return (%x)"));
}
BENCHMARK(BM_EmptyGraph);

void BM_EmptyAlloc(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(at::empty({1}));
}
BENCHMARK(BM_EmptyAlloc);

void BM_KernelBody(benchmark::State& state) {
  using fuze::ir::DType;
  using fuze::ir::Layout;
  auto build = [](fuze::ir::Kernel* k) {
    *k = fuze::ir::Kernel("", 1);
    const int x = k->add_input(DType::kFloat32, Layout::kContiguous);
    const int y = k->add_input(DType::kFloat32, Layout::kContiguous);
    const int a = k->add_op(fuze::ir::Op::kAdd, DType::kFloat32, {x, y});
    k->add_output(k->add_op(fuze::ir::Op::kTanh, DType::kFloat32, {a}), Layout::kContiguous);
    return fuze::Status::ok();
  };
  std::string why;
  auto kernel = fuze::runtime::KernelCache::global().lookup_or_compile(
      "guard_bench_add_tanh", fuze::runtime::options().backend, build, &why);
  if (!kernel) {
    state.SkipWithError(why.c_str());
    return;
  }
  float xs[1] = {0.5f}, ys[1] = {0.25f}, out[1] = {0};
  void* data[3] = {xs, ys, out};
  const int64_t sizes[1] = {1}, strides[3] = {1, 1, 1};
  const double scalars[2] = {0, 0};
  fuze::KernelArgs args;
  args.numel = 1;
  args.rank = 1;
  args.sizes = sizes;
  args.data = data;
  args.strides = strides;
  args.scalars = scalars;
  for (auto _ : state) {
    kernel->run(args, 0, 1);
    benchmark::DoNotOptimize(out[0]);
  }
}
BENCHMARK(BM_KernelBody);

}  // namespace

BENCHMARK_MAIN();
