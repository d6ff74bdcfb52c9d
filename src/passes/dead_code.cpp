#include "passes/dead_code.h"

#include <numeric>
#include <vector>

#include "passes/rebuild.h"

namespace fuze::passes {

ir::Kernel rebuild_kernel(const ir::Kernel& k, const std::vector<bool>& keep, const std::vector<int>& replace) {
  const int n = static_cast<int>(k.nodes().size());
  std::vector<int> new_id(static_cast<size_t>(n), -1);
  ir::Kernel out(k.name(), k.rank(), k.reduce_rank());
  auto& nodes = out.mutable_nodes();
  for (int id = 0; id < n; ++id) {
    if (!keep[static_cast<size_t>(id)]) continue;
    ir::Node node = k.node(id);
    for (int& a : node.args) {
      a = new_id[static_cast<size_t>(replace[static_cast<size_t>(a)])];
      FUZE_CHECK(a >= 0, "rebuild_kernel: a kept node uses a dropped one");
    }
    new_id[static_cast<size_t>(id)] = static_cast<int>(nodes.size());
    nodes.push_back(std::move(node));
  }
  for (int in : k.inputs()) {
    FUZE_CHECK(keep[static_cast<size_t>(in)], "rebuild_kernel: inputs must be kept");
    out.mutable_inputs().push_back(new_id[static_cast<size_t>(in)]);
  }
  for (ir::Output o : k.outputs()) {
    o.value = new_id[static_cast<size_t>(replace[static_cast<size_t>(o.value)])];
    FUZE_CHECK(o.value >= 0, "rebuild_kernel: an output uses a dropped node");
    out.mutable_outputs().push_back(o);
  }
  return out;
}

int eliminate_dead_code(ir::Kernel* k) {
  const int n = static_cast<int>(k->nodes().size());
  std::vector<bool> live(static_cast<size_t>(n), false);
  for (const ir::Output& o : k->outputs()) live[static_cast<size_t>(o.value)] = true;
  for (int id = n - 1; id >= 0; --id) {
    const ir::Node& node = k->node(id);
    if (node.kind == ir::NodeKind::kInput) live[static_cast<size_t>(id)] = true;
    if (!live[static_cast<size_t>(id)]) continue;
    for (int a : node.args) live[static_cast<size_t>(a)] = true;
  }
  int removed = 0;
  for (bool l : live) removed += l ? 0 : 1;
  if (removed == 0) return 0;
  std::vector<int> identity(static_cast<size_t>(n));
  std::iota(identity.begin(), identity.end(), 0);
  *k = rebuild_kernel(*k, live, identity);
  return removed;
}

}  // namespace fuze::passes
