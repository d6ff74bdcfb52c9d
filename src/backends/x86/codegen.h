// Kernel IR -> one x86-64 function (asmjit x86::Compiler):
//
//   void fn(void* const* ptrs, int64_t n)
//
// ptrs[i] for input i, then ptrs[num_inputs + o] for output o. A streamed
// operand (contiguous or strided layout) points at n consecutive float32
// elements (the caller gathers non-unit strides into buffers first); a uniform
// input (broadcast or scalar) points at one float32 read once, before the
// loop. n must be a multiple of isa_lanes(isa): the caller stages the remainder
// through padded buffers. Private to the x86 backend.
#pragma once

#include <asmjit/x86.h>

#include "backends/x86/isa.h"
#include "fuze/ir/kernel.h"
#include "fuze/support/status.h"

namespace fuze::x86 {

// Whether emit_kernel implements `op` (ops.def has more ops than this backend).
bool op_supported(ir::Op op);

// Checks that the kernel is something this backend compiles: supported ops
// ("x86: op gelu not supported yet"), f32 only today.
Status check_supported(const ir::Kernel& k);

// Emits the function into `cc` (attached to a CodeHolder). Errors from asmjit
// itself are reported through the CodeHolder's error handler.
// `*entry` receives the function's label.
Status emit_kernel(asmjit::x86::Compiler& cc, const ir::Kernel& k, Isa isa, asmjit::Label* entry);

}  // namespace fuze::x86
