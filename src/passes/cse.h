#pragma once

#include "fuze/ir/kernel.h"

namespace fuze::passes {

// Merges values computed twice: consts of one dtype with bitwise-equal values
// (0.0 and -0.0 stay apart), and ops with equal (op, dtype, operands). add and
// mul are commutative (IEEE a+b == b+a); maximum/minimum are not (the +-0 tie
// returns the second operand). Inputs are never merged. Leaves the duplicates
// dead (run eliminate_dead_code after). Returns the number of values replaced.
int eliminate_common_subexpressions(ir::Kernel* k);

}  // namespace fuze::passes
