#include "passes/cse.h"

#include <cstring>
#include <map>
#include <numeric>
#include <tuple>
#include <vector>

#include "passes/dead_code.h"
#include "passes/rebuild.h"

namespace fuze::passes {
namespace {

bool is_commutative(ir::Op op) { return op == ir::Op::kAdd || op == ir::Op::kMul; }

// (kind, dtype, op, bits of the constant, operands)
using Key = std::tuple<int, int, int, uint64_t, std::vector<int>>;

}  // namespace

int eliminate_common_subexpressions(ir::Kernel* k) {
  const int n = static_cast<int>(k->nodes().size());
  std::vector<int> replace(static_cast<size_t>(n));
  std::iota(replace.begin(), replace.end(), 0);
  std::map<Key, int> seen;
  int replaced = 0;
  for (int id = 0; id < n; ++id) {
    const ir::Node& node = k->node(id);
    if (node.kind == ir::NodeKind::kInput) continue;
    uint64_t bits = 0;
    std::vector<int> args;
    if (node.kind == ir::NodeKind::kConst) {
      std::memcpy(&bits, &node.constant, sizeof(bits));
    } else {
      for (int a : node.args) args.push_back(replace[static_cast<size_t>(a)]);
      if (is_commutative(node.op) && args.size() == 2 && args[1] < args[0]) std::swap(args[0], args[1]);
    }
    Key key{static_cast<int>(node.kind), static_cast<int>(node.dtype), static_cast<int>(node.op), bits, args};
    auto [it, inserted] = seen.emplace(std::move(key), id);
    if (!inserted) {
      replace[static_cast<size_t>(id)] = it->second;
      ++replaced;
    }
  }
  if (replaced == 0) return 0;
  // Point every use at its representative; the duplicates become dead.
  auto& nodes = k->mutable_nodes();
  for (auto& node : nodes) {
    for (int& a : node.args) a = replace[static_cast<size_t>(a)];
  }
  for (auto& o : k->mutable_outputs()) o.value = replace[static_cast<size_t>(o.value)];
  return replaced;
}

}  // namespace fuze::passes
