// Runs a compiled kernel over n elements of 1-D contiguous operands (all of
// its inputs and outputs dense from data[i], no scalar inputs): the call that
// accuracy sweeps and tests make over flat float buffers.
#pragma once

#include <cstdint>
#include <vector>

#include "fuze/backend.h"

namespace fuze {

inline void run_contiguous(const CompiledKernel& kernel, void* const* data, int num_operands, int64_t n) {
  const int64_t sizes[1] = {n};
  const std::vector<int64_t> strides(static_cast<size_t>(num_operands), 1);
  const std::vector<double> scalars(static_cast<size_t>(num_operands), 0.0);
  KernelArgs a;
  a.numel = n;
  a.rank = 1;
  a.sizes = sizes;
  a.data = data;
  a.strides = strides.data();
  a.scalars = scalars.data();
  kernel.run(a, 0, n);
}

}  // namespace fuze
