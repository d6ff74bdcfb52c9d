// Kernel IR -> one x86-64 function (asmjit x86::Compiler):
//
//   void fn(void* const* ptrs, int64_t n)
//
// ptrs[i] for input i, then ptrs[num_inputs + o] for output o. A streamed
// operand (contiguous or strided layout) points at n consecutive elements of
// its dtype (the caller gathers non-unit strides into buffers first); a
// uniform input (broadcast or scalar) points at one element of its dtype,
// read once before the loop (scalars converted by x86::scalar_to_storage).
// Values of every dtype are laid out in registers as dtype_emit.h describes.
// n must be a multiple of kernel_lanes(k, isa) (below): the caller stages the
// remainder through padded buffers. Private to the x86 backend.
#pragma once

#include <asmjit/x86.h>

#include <vector>

#include "backends/x86/isa.h"
#include "fuze/ir/kernel.h"
#include "fuze/support/status.h"

namespace fuze::x86 {

class VecEmitter;

// Whether x86 has a kernel for `op` at some dtype (ops.def's kX86 column):
// emit_op implements it on float32 values (f32, and f16/bf16 which compute in
// float32) when its typing allows float32; casts, where, comparisons, logical
// and bitwise ops and the integer / float64 ops are dtype_emit's, at the
// dtypes typed_op_supported accepts.
bool op_supported(ir::Op op);

// Checks that the kernel is something this backend compiles: every node's op
// at its dtypes ("x86: op gelu not supported yet", "x86: op exp on f64 not
// supported (...)") and storable outputs.
Status check_supported(const ir::Kernel& k);

// A kernel whose every value is bool and whose ops are comparisons, logical
// and bitwise ops, where and casts on bools: it computes on bytes, one bool
// per byte, so its loop takes kernel_lanes = 4 * isa_lanes(isa) elements per
// iteration (otherwise isa_lanes(isa)); n is a multiple of kernel_lanes.
bool is_byte_kernel(const ir::Kernel& k);
int kernel_lanes(const ir::Kernel& k, Isa isa);

// Emits the function into `cc` (attached to a CodeHolder). Errors from asmjit
// itself are reported through the CodeHolder's error handler.
// `*entry` receives the function's label.
// `stream` (per output): float32 outputs stored non-temporally, whose
// pointers must then be aligned to the vector width (isa_lanes * 4 bytes).
Status emit_kernel(asmjit::x86::Compiler& cc, const ir::Kernel& k, Isa isa, asmjit::Label* entry,
                   const std::vector<char>* stream = nullptr);

// Opens the function `void fn(void* const* ptrs, int64_t n)` in e's compiler
// (AVX frame settings by ISA): its label and argument registers.
void begin_function(VecEmitter& e, asmjit::Label* entry, asmjit::x86::Gp* ptrs, asmjit::x86::Gp* n);

}  // namespace fuze::x86
