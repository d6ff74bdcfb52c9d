// The fused pass kernels of x86's row reductions (reduce_kernel.h): a
// pointwise kernel (the same loop body as codegen.h's) some of whose outputs
// are folded in registers, in the spec's order (interp_reduce.h), instead of
// stored. Same signature as codegen.h's function:
//
//   void fn(void* const* ptrs, int64_t n)     n: a multiple of kPartials (16)
//
// ptrs[num_inputs + o] of a folded output o points at its state:
//   kSum / kProd: double[kPartials + n / kReduceBlock + 1]: the block values
//     of the blocks of 256 elements from index kPartials on, in row order
//     (the last one of the trailing incomplete block, when there is one: its
//     value if the row ends there), and at [0, kPartials) the 16 partials of
//     that incomplete block (the identity when there is none), for the caller
//     to go on with: partial j % 16 of element j, from the identity, each
//     float32 value converted to double exactly (f64 values as they are); a
//     block's value is the 8/4/2/1 fold.
//   kMax / kMin: float[2]: [0] the best of the n elements (the larger, +0.0
//     over -0.0 for max; meaningless when one was NaN), [1] as uint32: not
//     zero when some element was NaN.
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

// fold[o] per output of k.
Status emit_pass_kernel(asmjit::x86::Compiler& cc, const ir::Kernel& k, const std::vector<Fold>& fold, Isa isa,
                        asmjit::Label* entry);

}  // namespace fuze::x86
