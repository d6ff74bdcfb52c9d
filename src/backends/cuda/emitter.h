// CUDA C from kernel IR: one NVRTC program per ir::Kernel.
//
// The program is the device prelude (kernels/cuda/prelude.cuh, embedded at
// build time) followed by, for a kernel named N (its chain name, sanitised):
//   N_point   a __device__ function computing the chain for one element, in
//             float for f32/f16/bf16 and in double for f64;
//   N         extern "C" __global__, 64-bit indices, a grid-stride loop over
//             [begin, end); strided operands take sizes/strides from a
//             FuzeShape<rank, num_strided> struct passed by value;
//   N_i32     the same with 32-bit indices (the launcher uses it when end,
//             the grid and every operand offset fit in int32);
//   N_vec     only when no operand is strided and all streamed operands share
//             one element size: 128-bit loads/stores (float4, double2, uint4
//             for 16-bit types) over [begin, end) with a scalar tail; the
//             launcher uses it when every streamed pointer + begin is 16-byte
//             aligned.
// A kernel with reduce_rank() = K > 0 (row reductions; semantics and order:
// src/backends/interp/interp_reduce.h, bit for bit) has instead, in
// reduce_emitter.cpp, two entries over ROWS [begin, end) (positions of the
// first rank - K dims, row-major), 64-bit indices only:
//   N         one thread block (256 threads) per row, grid-stride over rows:
//             for rows of more than kWarpRowMax elements;
//   N_warp    one warp per row, kRowsPerBlock rows per block: for rows of at
//             most kWarpRowMax elements (empty rows included).
// In both, a TEAM (the block, or the warp) walks its row once per pass in
// chunks of (team size / 16) spec blocks of 256 elements: 16 lanes per spec
// block, lane i accumulating partial p[i] of elements j = i, i + 16, ...
// sequentially (double for float operands, wrapping int64 for bool/integer),
// then the 8/4/2/1 fold by shuffles, block values to shared memory, and the
// team's first thread combines them by the spec's binary counter; amax/amin
// (order-independent) combine by shuffles and shared memory. Then one walk
// computes and stores the row-level outputs, and the first thread stores the
// per-row outputs.
// Every entry takes the same parameters: (FuzeShape shape, long long begin,
// long long end, then one per operand in KernelArgs order: a device pointer,
// or a double for a kScalar input).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fuze/ir/kernel.h"
#include "fuze/support/status.h"

namespace fuze::cuda {

constexpr int kMaxRank = 8;
constexpr int kBlockSize = 256;
// Row kernels: rows of at most kWarpRowMax elements run one per warp (N_warp,
// kRowsPerBlock warps per block), longer rows one per block (N).
constexpr int64_t kWarpRowMax = 1024;
constexpr int kRowsPerBlock = kBlockSize / 32;

enum class ParamKind : unsigned char { kPointer, kScalar };

struct OperandInfo {
  ParamKind kind = ParamKind::kPointer;
  ir::Layout layout = ir::Layout::kContiguous;
  int elem_size = 4;    // bytes per element of the stored dtype
  int strided_slot = -1;  // row of FuzeShape::strides, or -1
  bool is_output = false;
};

struct EmittedKernel {
  std::string name;    // base entry name (N)
  std::string source;  // complete program text (prelude included)
  int rank = 0;
  int num_strided = 0;  // operands with Layout::kStrided
  bool has_vec = false;
  int vec_width = 0;    // elements per 128-bit vector in N_vec
  std::vector<OperandInfo> operands;  // inputs then outputs
  int reduce_rank = 0;  // > 0: row-reduction entries N and N_warp (see above)
};

// The dtypes the CUDA emitter handles (floating point, computed in float or double).
bool cuda_supports_dtype(ir::DType t);
std::vector<ir::DType> cuda_supported_dtypes();

// A verified kernel in, CUDA C out; unsupported ops/dtypes/ranks are a Status.
Status emit_cuda(const ir::Kernel& k, EmittedKernel* out);

// The embedded text of kernels/cuda/prelude.cuh.
const char* cuda_prelude_text();

}  // namespace fuze::cuda
