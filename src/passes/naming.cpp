#include "passes/naming.h"

namespace fuze::passes {

bool name_kernel(ir::Kernel* k) {
  if (!k->name().empty()) return false;
  k->set_name(k->chain_name());
  return true;
}

}  // namespace fuze::passes
