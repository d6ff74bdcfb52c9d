// The interleaved measurement the comparison benchmarks share: TorchScript and
// fuze called alternately in one loop (as a model interleaves ATen ops and
// fused groups), fuze's time as the benchmark's manual time, and as counters
// both medians and their ratio (torchscript_us / fuze_us).
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace fuze_bench {

inline double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

template <class TorchScript, class Fuze>
void time_interleaved(benchmark::State& state, TorchScript&& torchscript, Fuze&& fuze) {
  std::vector<double> ts_us, fz_us;
  using Clock = std::chrono::steady_clock;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    torchscript();
    const auto t1 = Clock::now();
    fuze();
    const auto t2 = Clock::now();
    ts_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    fz_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
    state.SetIterationTime(fz_us.back() * 1e-6);
  }
  const double ts = median(ts_us), fz = median(fz_us);
  state.counters["torchscript_us"] = ts;
  state.counters["fuze_us"] = fz;
  state.counters["speedup"] = fz > 0 ? ts / fz : 0.0;
}

}  // namespace fuze_bench
