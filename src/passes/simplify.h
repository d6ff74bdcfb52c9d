// Algebraic simplification: ops whose result the operand dtypes alone decide.
#pragma once

#include "fuze/ir/kernel.h"

namespace fuze::passes {

// isnan / isinf of a bool or integer operand is false and isfinite true, for
// every element: each becomes a constant (its operand then dies, and a
// backend never loads it). Returns the number of nodes folded.
int fold_dtype_predicates(ir::Kernel* k);

}  // namespace fuze::passes
