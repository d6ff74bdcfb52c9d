// x86 row-reduction kernels (Kernel::reduce_rank() > 0), bit-identical to
// the interpreter's (src/backends/interp/interp_reduce.h is the spec).
//
// Per row, in the spec's passes (ir::reduce_passes):
//   - pass p (the reduce ops whose operands need the results of p earlier
//     passes): one JIT loop (pass_codegen.h) computes the operands and folds
//     them in registers in the spec's order (16 double partials per block of
//     256 elements, each block folded 8/4/2/1; amax/amin lanes), writing the
//     block values; reduce_run.cpp combines them with the spec's binary
//     counter and rounds once to the node's dtype. The fused loop needs unit
//     row strides; other layouts run pointwise kernels (codegen.h) over
//     chunks into scratch and reduce_accum.h's folds, the same bits.
//   - the final walk: a pointwise kernel of the row-level outputs over the
//     row, per-row values as broadcast inputs; the per-row outputs: a
//     pointwise kernel over one element.
// Kept values: rows up to 16384 elements keep the float32 values a pass
// computes that later kernels would compute again (softmax's exp(x - m),
// RMSNorm's x + res) in row buffers, or in the row of a float32 output the
// final walk then overwrites in place. Calls whose data are at least half the
// last-level cache store their float32 row outputs with streaming stores
// (aligned rows) instead.
// Batches: rows up to 256 elements, a multiple of 16, whose streamed operands
// are dense (or one row every row reads) run ~4096 elements of rows per call:
// the same kernels walk the batch with one block per row, per-row values
// loaded per row (run_batched).
// run_split: with fewer rows than threads, each row's passes and final walk
// run in segments of whole blocks across the threads, the block values
// combined in row order (the same bits as one walk).
// Layouts: per operand the K reduced dims must coalesce into one stride;
// otherwise (e.g. a transposed 2-D row) the call runs the interpreter's
// kernel, the same results by construction. Outer dims take any strides.
// Dtypes: the JIT path needs every sum/prod/amax/amin to have an f32, f16 or
// bf16 operand and result, or (sum/prod) f64 ones (layer_norm and var of
// float32 inputs compute in float64); kernels with bool/int reductions or an
// f64 amax/amin run the interpreter's kernel for every call (for now).
// run() and run_split() are thread-safe (buffers per call).
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
