// Kernel IR -> text (the format documented in fuze/ir/kernel.h).
#include <cstdio>
#include <string>

#include "fuze/ir/kernel.h"

namespace fuze::ir {
namespace {

// %.17g round-trips every double through strtod; inf, -inf, nan and -0 print
// as such ("-nan" for a NaN with the sign bit set).
std::string format_constant(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

}  // namespace

std::string print(const Kernel& k) {
  std::string out = "kernel ";
  if (!k.name().empty()) out += k.name() + " ";
  out += "rank " + std::to_string(k.rank());
  if (k.reduce_rank() != 0) out += " reduce " + std::to_string(k.reduce_rank());
  out += " {\n";
  const auto& nodes = k.nodes();
  for (size_t id = 0; id < nodes.size(); ++id) {
    const Node& n = nodes[id];
    out += "  %" + std::to_string(id) + " = ";
    switch (n.kind) {
      case NodeKind::kInput:
        out += "input " + std::to_string(n.input_index) + " " + dtype_name(n.dtype) + " " + layout_name(n.layout);
        break;
      case NodeKind::kConst:
        out += std::string("const ") + dtype_name(n.dtype) + " " + format_constant(n.constant);
        break;
      case NodeKind::kOp: {
        out += std::string(op_info(n.op).name) + " " + dtype_name(n.dtype);
        for (size_t i = 0; i < n.args.size(); ++i) out += (i == 0 ? " %" : ", %") + std::to_string(n.args[i]);
        break;
      }
    }
    out += "\n";
  }
  for (const Output& o : k.outputs()) out += "  output %" + std::to_string(o.value) + " " + layout_name(o.layout) + "\n";
  out += "}\n";
  return out;
}

}  // namespace fuze::ir
