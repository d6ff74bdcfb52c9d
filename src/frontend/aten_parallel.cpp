// Fused kernels on ATen's intra-op thread pool (runtime::set_parallel_for).
//
// ATen's pool is OpenMP in the libtorch builds we meet (Debian's, PyPI's):
// at::parallel_for is a header template around `#pragma omp parallel`, so this
// file is compiled with OpenMP (src/frontend/CMakeLists.txt) and links the
// libgomp.so.1 that libtorch already loaded (one OpenMP runtime per process:
// torch's wheel ships its own libgomp.so.1, found first through the RUNPATH
// to torch/lib). Kernels then run on the threads ATen's ops just used, which
// honour at::set_num_threads / torch.set_num_threads, instead of on a second
// pool competing for the same cores.
#include <ATen/Parallel.h>

#include <algorithm>

#include "frontend/frontend.h"
#include "runtime/runtime.h"

namespace fuze::frontend {
namespace {

void aten_parallel_for(int64_t n, int64_t grain, int num_threads, void* ctx, runtime::ParallelBody body) {
  // at::parallel_for splits [0, n) into at most get_num_threads() chunks of at
  // least `grain`: a larger grain caps the chunks at fuze's num_threads.
  const int64_t threads = std::max(1, num_threads);
  const int64_t chunk_grain = std::max<int64_t>(grain, (n + threads - 1) / threads);
  at::parallel_for(0, n, chunk_grain, [&](int64_t begin, int64_t end) { body(ctx, begin, end); });
}

}  // namespace

bool use_aten_thread_pool() {
#if AT_PARALLEL_OPENMP && defined(_OPENMP)
  runtime::set_parallel_for(aten_parallel_for);
  return true;
#elif AT_PARALLEL_NATIVE || AT_PARALLEL_NATIVE_TBB
  runtime::set_parallel_for(aten_parallel_for);  // a plain library call there: no compiler flag needed
  return true;
#else
  return false;  // OpenMP libtorch but this file was built without OpenMP: fuze's own pool
#endif
}

}  // namespace fuze::frontend
