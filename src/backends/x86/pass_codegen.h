// The fused pass kernels of x86's row reductions (reduce_kernel.h): a
// pointwise kernel (the same loop body as codegen.h's) some of whose outputs
// are folded in registers, in the spec's order (interp_reduce.h), instead of
// stored. Same signature as codegen.h's function:
//
//   void fn(void* const* ptrs, int64_t n)
//
// ptrs[num_inputs + num_outputs] points at the block length (int64:
// kReduceBlock for the spec's blocks of a row, with n a multiple of
// kPartials (16); or the row length when each block is one short row of a
// batch, n a multiple of it): the n elements are folded in blocks of that
// many, the last one possibly shorter. A block ends in a partial group when
// its length is not a multiple of kPartials: lanes past its end fold as the
// identity, but its loads and stores run on up to 15 elements past it.
// ptrs[num_inputs + o] of a folded output o points at its state:
//   kSum / kProd: double[kPartials + blocks]: from index kPartials on, each
//     block's value in order (the 8/4/2/1 fold of its 16 partials: partial
//     j % 16 of element j of the block, from the identity, each float32 value
//     converted to double exactly, f64 values as they are), and at [0,
//     kPartials) the partials of a trailing incomplete block (the identity
//     when there is none), for the caller to go on with.
//   kMax / kMin: from double index kPartials on, per block a float (the best
//     of its elements: the larger, +0.0 over -0.0 for max; meaningless when
//     one was NaN) and a uint32 (not zero when some element was NaN).
// A folded output is f32 (every fold) or f64 (kSum / kProd); the others are
// stored as codegen.h's outputs. Private to the x86 backend.
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <vector>

#include "backends/x86/isa.h"
#include "fuze/ir/kernel.h"
#include "fuze/support/status.h"

namespace fuze::x86 {

enum class Fold : uint8_t { kStore, kSum, kProd, kMax, kMin };

// fold[o] per output of k (all kStore: a pointwise kernel walked in blocks).
// row_strides (per input, bytes; may be null): uniform inputs holding one
// value per block instead (a batch's per-row values), block b's at b * stride
// (loop_body.h).
Status emit_pass_kernel(asmjit::x86::Compiler& cc, const ir::Kernel& k, const std::vector<Fold>& fold, Isa isa,
                        asmjit::Label* entry, const std::vector<int64_t>* row_strides = nullptr);

}  // namespace fuze::x86
