// Decomposition: rewrites the ops a backend has no kernel for into ops it
// has, so that adding a composite op (gelu, silu, logaddexp...) is one line
// in ops.def and one rule here, not a kernel per backend.
#pragma once

#include <functional>

#include "fuze/ir/kernel.h"
#include "fuze/support/status.h"

namespace fuze::passes {

// Replaces every op node whose op lacks `native` (an ir::NativeOn bit, the
// backend's column in ops.def) by its decomposition, recursively, keeping ids
// in SSA order. The rules follow the interpreter's float order op for op
// (src/backends/interp/scalar_ops.h), so exact ops stay bit-identical to the
// interpreter's native kernel. float16/bfloat16 nodes are decomposed in
// float32 and rounded once at the end, as the interpreter computes them.
// Returns the number of nodes rewritten; an op with neither a kernel nor a
// rule is an error (kUnsupported).
Status decompose(ir::Kernel* k, unsigned native, int* rewritten = nullptr);
// The same with the backend's op set as a predicate (tests force rules with it).
Status decompose(ir::Kernel* k, const std::function<bool(ir::Op)>& has_kernel, int* rewritten = nullptr);

// Whether decompose() has a rule for `op` (every kComposite op of ops.def).
bool has_decomposition(ir::Op op);

}  // namespace fuze::passes
