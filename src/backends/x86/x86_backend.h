// The asmjit x86-64 backend: kernel IR -> machine code at run time.
//
// - ISA from CPUID (AVX-512 F/BW/CD/DQ/VL, AVX2+FMA, SSE4.1 floor); FUZE_X86_ISA caps it,
//   X86Options::isa forces a level (tests iterate x86_supported_isas()).
// - Each compiled function is a vectorised loop over full vectors; the
//   CompiledKernel stages the remainder through padded buffers and walks
//   strided operands (sizes and strides from KernelArgs at run time, any
//   [begin, end)), calling the same code on unit-stride rows directly and on
//   gathered chunks otherwise. Sizes never trigger a recompile.
// - Every dtype (bool, i32, i64, f16, bf16, f32, f64): each operand moves at
//   its dtype's element size; in registers values sit as
//   backends/x86/dtype_emit.h describes; by-value scalars are converted to
//   their dtype on the host as the interpreter converts them.
// - Code pages: each kernel's code is copied into its own fresh mapping while
//   it is read+write, then switched to read+execute with mprotect before the
//   first call (asmjit VirtMem::alloc/protect), so no page is ever writable
//   and executable at once and no writable alias remains (asmjit 1.9's
//   JitAllocator maps RWX unless dual-mapped).
// - listing(): assembly from asmjit's logger, only when asked (FUZE_DUMP=asm
//   in the environment, which also prints it to stderr, or X86Options::listing).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fuze/backend.h"

namespace fuze {

namespace x86 {
enum class Isa : int;
}

struct X86Options {
  int isa = -1;          // -1: default (CPUID, capped by FUZE_X86_ISA); else static_cast<int>(x86::Isa)
  bool listing = false;  // keep the assembly text (also on with FUZE_DUMP=asm)
};

Status make_x86_backend(std::unique_ptr<Backend>* out);
Status make_x86_backend(const X86Options& options, std::unique_ptr<Backend>* out);

// ISA levels this CPU can run, lowest first, by name ("sse", "avx2", "avx512"),
// with the matching X86Options::isa value at the same position.
std::vector<std::string> x86_supported_isa_names();
std::vector<int> x86_supported_isas();

// Whether the x86 backend implements `op` on float32 operands with a float32
// result (others make such a compile() fail with "x86: op <name> not supported
// yet"; the runtime decomposes composite ops first, and a group whose kernel
// still fails runs TorchScript's ops). False for ops whose float32
// form is not valid IR (comparisons, where, bitwise...): x86 implements those
// at their dtypes (every dtype: see backends/x86/dtype_emit.h). False for the
// reduce ops (kReduce): x86 runs them in row-reduction kernels only
// (backends/x86/reduce_kernel.h), not as pointwise ops.
bool x86_op_supported(ir::Op op);

// Generates (register allocation, encoding) kernel `k` for ISA level `isa`
// (0 sse, 1 avx2, 2 avx512) without placing or running it, even when this CPU
// lacks that level: lets tests check the AVX-512 emitter on any machine.
Status x86_assemble_only(const ir::Kernel& k, int isa, std::string* listing);

}  // namespace fuze
