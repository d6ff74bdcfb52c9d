#include "passes/pipeline.h"

#include <string>

#include "passes/cse.h"
#include "passes/dead_code.h"
#include "passes/naming.h"
#include "passes/simplify.h"
#include "support/log.h"

namespace fuze::passes {
namespace {

void log_step(const char* step, const ir::Kernel& k) {
  FUZE_LOG(kDebug) << "IR after " << step << ":\n" << ir::print(k);
}

}  // namespace

Status run_pipeline(ir::Kernel* k, const PipelineOptions& options) {
  log_step("input", *k);
  if (Status s = ir::verify(*k); !s) return Status::error("invalid kernel IR: " + s.message());
  if (options.optimize) {
    if (fold_dtype_predicates(k) > 0) log_step("fold_dtype_predicates", *k);
    eliminate_common_subexpressions(k);
    log_step("eliminate_common_subexpressions", *k);
    eliminate_dead_code(k);
    log_step("eliminate_dead_code", *k);
  }
  if (name_kernel(k)) log_step("name_kernel", *k);
  if (Status s = ir::verify(*k); !s) {
    return Status::error("internal: a pass broke the kernel (" + s.message() + ")\n" + ir::print(*k));
  }
  return Status::ok();
}

}  // namespace fuze::passes
