// The interpreter's row-reduction kernel: THE executable spec of kernels with
// Kernel::reduce_rank() = K > 0 (docs/ops.md, "Reductions"; x86 and CUDA must
// match it bit for bit when they implement reductions).
//
// Rows. The last K dims of the iteration space form a row of N elements (the
// product of their sizes); the first rank - K dims index the rows, row-major
// (num_rows = the product of the outer sizes, 1 when K = rank; a row may be
// empty). run(args, begin, end) computes rows [begin, end) (not elements);
// disjoint row ranges covering [0, num_rows) compute every output once.
//
// Order. Within a row, element j = 0..N-1 is the logical row-major position
// over the reduced dims, whatever the memory strides: results never depend on
// layouts. A reduce op R runs in pass(R) = 1 + the largest pass of the reduce
// ops its operand depends on (0 if none): softmax's sum (over exp(x - amax))
// runs in pass 1, its amax in pass 0. Each pass walks the row once, evaluating
// the pointwise ops its reductions need; then a last walk computes and stores
// the row-level outputs; then the per-row outputs are stored, once per row, at
// the row's position (an output stride along the reduced dims is ignored: the
// runtime passes 0 there). Pointwise ops keep scalar_ops.h's semantics,
// including the rounding of f16/bf16 results after every op; a per-row
// operand is read broadcast along the row.
//
// Accumulation of sum and prod. Floating operands (f16, bf16, f32, f64) are
// converted exactly to double and accumulated in double; bool/i32/i64
// operands in int64, wrapping (two's complement). The row is cut into blocks
// of 256 consecutive j (the last one may be shorter). In a block, element j
// goes into partial p[j % 16] (p[i] = p[i] op x, increasing j; partials start
// at the identity, +0.0 or 1). The block's value: for w = 8, 4, 2, 1: p[i] =
// p[i] op p[i + w] for i < w; then p[0]. Block values combine by a binary
// counter: a stack of (value, level); each block pushes (value, 0); while the
// two top entries have equal levels, both are popped and (below op top,
// level + 1) pushed. At the end of the row: acc = the top value, then for each
// entry below it, from the top down, acc = entry op acc. An empty row gives
// the identity (sum +0.0 or 0, prod 1). The result is rounded ONCE to the
// node's dtype (double -> f16/bf16 directly, not through float32).
//
// amax/amin: NaN if any element is NaN (ATen), written as the dtype's default
// quiet NaN (positive, e.g. 0x7FC00000 in f32); otherwise the largest /
// smallest element where +0.0 counts as larger than -0.0 (ATen's CPU kernel
// keeps whichever of -0.0/+0.0 its vector lanes meet first, so the sign of a
// zero result is not portable there; fuze's rule does not depend on order).
// bool: amax = any, amin = all. An empty row writes NaN (0 / false for
// integer and bool dtypes); eager raises for it, and the runtime must raise
// as eager does before launching such a kernel.
//
// row_size: N converted to the node's dtype (scalar_ops.h's to_dtype, then
// rounded to f16/bf16).
#pragma once

#include <memory>

#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace fuze::interp {

// A verified kernel with reduce_rank() > 0, every op native to the interpreter.
std::unique_ptr<CompiledKernel> make_reduce_kernel(const ir::Kernel& k);

// A double rounded once, to nearest even, to dtype t (f16, bf16, f32),
// returned as the float32 compute value of the result.
float round_double_to(ir::DType t, double v);

}  // namespace fuze::interp
