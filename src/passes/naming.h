#pragma once

#include "fuze/ir/kernel.h"

namespace fuze::passes {

// Names an unnamed kernel after its chain (Kernel::chain_name(), e.g.
// "fused_add_tanh"), so profiles, listings and perf maps say what ran.
// Returns true when it set the name.
bool name_kernel(ir::Kernel* k);

}  // namespace fuze::passes
