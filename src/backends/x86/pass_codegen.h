// The fused pass kernels of x86's row reductions (reduce_kernel.h): a
// pointwise kernel (the same loop body as codegen.h's) some of whose outputs
// are folded in registers, in the spec's order (interp_reduce.h), instead of
// stored. Same signature as codegen.h's function:
//
//   void fn(void* const* ptrs, int64_t n)     n: a multiple of kPartials (16)
//
// ptrs[num_inputs + o] of a folded output o points at its state:
//   kSum / kProd: double[kPartials + n / kReduceBlock]: the block values of
//     the complete blocks of 256 elements from index kPartials on, in row
//     order, and at [0, kPartials) the 16 partials of the trailing incomplete
//     block (the identity when there is none): partial j % 16 of element j,
//     from the identity, each float32 value converted to double exactly (f64
//     values as they are); a complete block's value is the 8/4/2/1 fold.
//   kMax / kMin: float[2 * kPartials]: [0, L) the lane-wise best (L =
//     isa_lanes: the larger, +0.0 over -0.0 for max; garbage in a lane that
//     met a NaN), [kPartials, kPartials + L) all-ones bits in lanes that met
//     a NaN, zero in the others.
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
