// The reference interpreter: portable C++, no JIT. THE executable spec of the
// kernel IR (semantics in scalar_ops.h), and the backend where none other is
// chosen or built. Every dtype and layout, rank up to 16 and 32 operands
// (StridedWalk's bounds), any [begin, end) sub-range. Kernels with row
// reductions (reduce_rank > 0) run in interp_reduce.cpp: the spec of their
// order and accumulation is interp_reduce.h.
#pragma once

#include <memory>

#include "fuze/backend.h"

namespace fuze {

Status make_interp_backend(std::unique_ptr<Backend>* out);

}  // namespace fuze
