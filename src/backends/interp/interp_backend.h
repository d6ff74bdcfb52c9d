// The reference interpreter: portable C++, no JIT. THE executable spec of the
// kernel IR (semantics in scalar_ops.h) and the last fallback. Supports f32 and
// f64 kernels, every layout, any rank, any [begin, end) sub-range.
#pragma once

#include <memory>

#include "fuze/backend.h"

namespace fuze {

Status make_interp_backend(std::unique_ptr<Backend>* out);

}  // namespace fuze
