// main() of the benchmark binaries that register their benchmarks at run time
// (one per chain, size, layout...): each defines register_benchmarks().
#include <benchmark/benchmark.h>

#include "bench_main.h"

int main(int argc, char** argv) {
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
