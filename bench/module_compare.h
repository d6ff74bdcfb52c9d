// The comparison the module benchmarks share: a TorchScript module and its
// fuze::optimize'd copy timed alternately on the same inputs (interleaved.h),
// then the counters every row reports: fused (1 when every call ran a kernel),
// groups, and the first fallback reason as the label.
#pragma once

#include <torch/script.h>

#include <vector>

#include "fuze/fuze.h"
#include "interleaved.h"

namespace fuze_bench {

inline void compare_modules(benchmark::State& state, torch::jit::Module& module, fuze::Module& fused,
                            const std::vector<torch::jit::IValue>& inputs) {
  fuze::reset_stats();
  time_interleaved(
      state, [&] { benchmark::DoNotOptimize(module.forward(inputs)); },
      [&] { benchmark::DoNotOptimize(fused.forward(inputs)); });
  const fuze::Stats st = fuze::stats();
  state.counters["fused"] = st.kernel_calls > 0 && st.fallbacks == 0 ? 1 : 0;
  state.counters["groups"] = fused.num_fusion_groups();
  const auto reasons = fuze::fallback_reasons();
  if (!reasons.empty()) state.SetLabel(reasons.front().first);
}

}  // namespace fuze_bench
