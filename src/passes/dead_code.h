#pragma once

#include "fuze/ir/kernel.h"

namespace fuze::passes {

// Removes consts and ops that no output depends on, renumbering the values.
// Inputs always stay (their indices are part of the kernel's signature).
// Returns the number of nodes removed.
int eliminate_dead_code(ir::Kernel* k);

}  // namespace fuze::passes
