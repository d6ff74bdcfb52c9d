// Shared by passes: rebuild a kernel from a subset of its nodes with renumbered ids.
#pragma once

#include <vector>

#include "fuze/ir/kernel.h"

namespace fuze::passes {

// keep[id]: whether node id survives; replace[id]: the id whose value node id
// takes (itself when not replaced). A replaced or dropped node must not be
// used by a kept one except through `replace`. Returns the rebuilt kernel.
ir::Kernel rebuild_kernel(const ir::Kernel& k, const std::vector<bool>& keep, const std::vector<int>& replace);

}  // namespace fuze::passes
