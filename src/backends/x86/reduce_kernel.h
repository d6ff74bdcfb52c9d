// x86 row-reduction kernels (Kernel::reduce_rank() > 0), bit-identical to
// the interpreter's (src/backends/interp/interp_reduce.h is the spec).
//
// Host-orchestrated passes over each row, as the spec orders them:
//   - pass p (the reduce ops whose operands need the results of p earlier
//     passes): a pointwise x86 kernel (codegen.h) computes the reduce
//     operands of the pass over a segment of the row into float32 scratch
//     (earlier per-row results read as broadcast inputs; f16/bf16 operands
//     are exact in float32), then reduce_accum.h folds the scratch in the
//     spec's order (16 partials per 256-element block, the binary counter)
//     and rounds once to the node's dtype. A pass whose reduce operands are
//     all f32 inputs with a unit row stride reads them in place, with no
//     kernel call (plain sum, softmax's amax).
//   - the final walk: a pointwise kernel of the row-level outputs over the
//     whole row, per-row values as broadcast inputs;
//   - the per-row outputs: a pointwise kernel over one element.
// Layouts: per operand the K reduced dims must coalesce into one stride (any
// value: unit strides run in place, 0 and others through the kernel's
// staging buffers); otherwise (e.g. a transposed 2-D row) the call runs the
// interpreter's kernel, the same results by construction. Outer dims take any
// strides.
// Dtypes: the JIT path needs every sum/prod/amax/amin to have an f32, f16 or
// bf16 operand and result, or (sum/prod) f64 ones (layer_norm and var of
// float32 inputs compute in float64); kernels with bool/int reductions or an
// f64 amax/amin run the interpreter's kernel for every call (for now).
// run() counts rows and is thread-safe (scratch on the caller's stack and
// heap, per call).
#pragma once

#include <cstdint>
#include <memory>

#include "backends/x86/isa.h"
#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace fuze::x86 {

Status make_reduce_kernel(const ir::Kernel& k, Isa isa, bool listing, std::unique_ptr<CompiledKernel>* out);

// Calls whose data (streamed inputs and row outputs) reach this many bytes
// store their float32 row outputs non-temporally; below 0 (the default), the
// last-level cache's size / 2. For tests.
void set_stream_threshold(int64_t bytes);

}  // namespace fuze::x86
