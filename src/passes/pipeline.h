// The pass pipeline: a straight script, verify -> passes -> verify, logging the
// IR after every step at FUZE_LOG=debug.
#pragma once

#include "fuze/ir/kernel.h"
#include "fuze/support/status.h"

namespace fuze::passes {

struct PipelineOptions {
  bool optimize = true;  // false: verify and name only
};

Status run_pipeline(ir::Kernel* k, const PipelineOptions& options = {});

}  // namespace fuze::passes
