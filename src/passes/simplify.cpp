#include "passes/simplify.h"

namespace fuze::passes {

int fold_dtype_predicates(ir::Kernel* k) {
  int folded = 0;
  for (ir::Node& n : k->mutable_nodes()) {
    if (n.kind != ir::NodeKind::kOp) continue;
    const bool nan = n.op == ir::Op::kIsnan, inf = n.op == ir::Op::kIsinf, fin = n.op == ir::Op::kIsfinite;
    if (!nan && !inf && !fin) continue;
    if (ir::is_floating(k->node(n.args[0]).dtype)) continue;
    n.kind = ir::NodeKind::kConst;
    n.op = ir::Op::kAdd;  // unused by constants: the default, so that CSE merges equal ones
    n.constant = fin ? 1.0 : 0.0;
    n.args.clear();
    ++folded;
  }
  return folded;
}

}  // namespace fuze::passes
