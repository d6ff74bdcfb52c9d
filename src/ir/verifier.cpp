// verify(): the rules every kernel handed to a backend satisfies.
//   1. rank in [0, 64]
//   2. ops: arity as in ops.def; operands defined earlier (SSA in program order)
//   3. ops: the typing rule of the op's flags (ops.def, ir::op_typing_error)
//   4. ops with kUniformRhs: the second operand is uniform (is_uniform_value)
//   5. consts of an integer/bool dtype hold an integral value; no NaN/inf there
//   6. inputs: indices 0..n-1, each exactly once; kernel.inputs() maps index -> node
//   7. outputs: at least one; each refers to a defined value; layout storable
//   8. reductions: 0 <= reduce_rank <= rank; reduce ops (kReduce: sum, prod,
//      amax, amin, row_size) only when reduce_rank > 0; when it is, an output
//      of a per-row value (is_per_row_value) is kStrided (stored once per row
//      through stride-0 reduced dims)
// Messages name the value: "%4 = add: operand %7 is not defined before it".
#include <cmath>
#include <string>
#include <vector>

#include "fuze/ir/kernel.h"

namespace fuze::ir {
namespace {

std::string val(int id) { return "%" + std::to_string(id); }

Status verify_op(const Kernel& k, int id, const Node& n) {
  const OpInfo& info = op_info(n.op);
  const std::string where = val(id) + " = " + info.name + ": ";
  if (static_cast<int>(n.args.size()) != info.arity)
    return Status::invalid_ir(where + "expected " + std::to_string(info.arity) + " operand(s), got " +
                         std::to_string(n.args.size()));
  std::vector<DType> types;
  for (int a : n.args) {
    if (a < 0 || a >= id) return Status::invalid_ir(where + "operand " + val(a) + " is not defined before it");
    types.push_back(k.node(a).dtype);
  }
  for (size_t i = 0; i < n.args.size(); ++i) {
    // Keep the historical message form for the common "same dtype" rule.
    const unsigned f = info.flags;
    if ((f & (kAnyIn | kBoolOut | kSelect | kReduce)) == 0 && types[i] != n.dtype)
      return Status::invalid_ir(where + "operand " + val(n.args[i]) + " has dtype " + dtype_name(types[i]) +
                           ", expected " + dtype_name(n.dtype));
  }
  if ((info.flags & kReduce) != 0 && k.reduce_rank() == 0)
    return Status::invalid_ir(where + "a reduction needs a kernel with reduce_rank > 0 (header 'rank R reduce K')");
  if (std::string e = op_typing_error(n.op, n.dtype, types); !e.empty()) return Status::invalid_ir(where + e);
  if ((info.flags & kUniformRhs) != 0 && !is_uniform_value(k, n.args[1]))
    return Status::invalid_ir(where + "second operand " + val(n.args[1]) +
                         " must be uniform (a const, a scalar or broadcast input)");
  return Status::ok();
}

}  // namespace

Status verify(const Kernel& k) {
  if (k.rank() < 0 || k.rank() > 64) return Status::invalid_ir("rank " + std::to_string(k.rank()) + " out of range [0, 64]");
  if (k.reduce_rank() < 0 || k.reduce_rank() > k.rank())
    return Status::invalid_ir("reduce " + std::to_string(k.reduce_rank()) + " out of range [0, rank " +
                              std::to_string(k.rank()) + "]");
  const int num_nodes = static_cast<int>(k.nodes().size());
  int num_input_nodes = 0;
  for (int id = 0; id < num_nodes; ++id) {
    const Node& n = k.node(id);
    switch (n.kind) {
      case NodeKind::kOp: FUZE_TRY(verify_op(k, id, n)); break;
      case NodeKind::kConst:
        if (!is_floating(n.dtype) &&
            (!std::isfinite(n.constant) || std::trunc(n.constant) != n.constant))
          return Status::invalid_ir(val(id) + " = const: value is not representable in " + dtype_name(n.dtype));
        break;
      case NodeKind::kInput: ++num_input_nodes; break;
    }
  }
  const auto& inputs = k.inputs();
  std::vector<int> seen(inputs.size(), -1);
  for (int id = 0; id < num_nodes; ++id) {
    const Node& n = k.node(id);
    if (n.kind != NodeKind::kInput) continue;
    if (n.input_index < 0 || n.input_index >= num_input_nodes)
      return Status::invalid_ir(val(id) + " = input " + std::to_string(n.input_index) + ": index out of range (" +
                           std::to_string(num_input_nodes) + " inputs, indices 0.." +
                           std::to_string(num_input_nodes - 1) + ")");
    if (static_cast<size_t>(n.input_index) >= seen.size())
      return Status::invalid_ir(val(id) + ": input list does not match the input nodes");
    int& prev = seen[static_cast<size_t>(n.input_index)];
    if (prev >= 0)
      return Status::invalid_ir(val(id) + " = input " + std::to_string(n.input_index) + ": index already used by " +
                           val(prev));
    prev = id;
  }
  if (static_cast<int>(inputs.size()) != num_input_nodes)
    return Status::invalid_ir("input list has " + std::to_string(inputs.size()) + " entries for " +
                         std::to_string(num_input_nodes) + " input nodes");
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] != seen[i])
      return Status::invalid_ir("input list entry " + std::to_string(i) + " is " + val(inputs[i]) + ", expected " +
                           val(seen[i]));
  }
  if (k.outputs().empty()) return Status::invalid_ir("kernel has no outputs");
  for (const Output& o : k.outputs()) {
    if (o.value < 0 || o.value >= num_nodes)
      return Status::invalid_ir("output " + val(o.value) + " is not defined");
    if (!is_storable_layout(o.layout))
      return Status::invalid_ir("output " + val(o.value) + ": layout " + layout_name(o.layout) +
                           " cannot be stored to (use contiguous or strided)");
    if (k.reduce_rank() > 0 && is_per_row_value(k, o.value) && o.layout != Layout::kStrided)
      return Status::invalid_ir("output " + val(o.value) + ": a per-row value is stored once per row: its layout must be " +
                                "strided (stride 0 along the reduced dims), not " + layout_name(o.layout));
  }
  return Status::ok();
}

}  // namespace fuze::ir
