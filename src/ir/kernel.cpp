// Kernel IR tables (generated from ops.def) and the validating factories.
#include "fuze/ir/kernel.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string>

namespace fuze::ir {
namespace {

// "ClampMin" -> "clamp_min": the text name of an op is the snake form of its enumerator.
constexpr int kNumOps = 0
#define FUZE_OP(name, arity, aten, pattern, flags, native) +1
#include "fuze/ir/ops.def"
#undef FUZE_OP
    ;

std::string snake_case(const char* camel) {
  std::string out;
  for (const char* p = camel; *p != '\0'; ++p) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (std::isupper(c)) {
      if (!out.empty()) out += '_';
      out += static_cast<char>(std::tolower(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

struct OpTable {
  std::string names[kNumOps];
  OpInfo infos[kNumOps];
  OpTable() {
    int i = 0;
#define FUZE_OP(name, arity, aten, pattern, flags, native) names[i++] = snake_case(#name);
#include "fuze/ir/ops.def"
#undef FUZE_OP
    i = 0;
#define FUZE_OP(name, arity, aten, pattern, flags, native)                                   \
  infos[i] = OpInfo{names[i].c_str(), arity, aten, pattern, unsigned(flags), unsigned(native)}; \
  ++i;
#include "fuze/ir/ops.def"
#undef FUZE_OP
  }
};

const OpTable& op_table() {
  static const OpTable table;
  return table;
}

constexpr const char* kDTypeNames[] = {"bool", "i32", "i64", "f16", "bf16", "f32", "f64"};
constexpr int kDTypeSizes[] = {1, 4, 8, 2, 2, 4, 8};
constexpr const char* kLayoutNames[] = {"contiguous", "strided", "broadcast", "scalar"};

bool node_is_uniform(const std::vector<Node>& nodes, int id) {
  const Node& n = nodes[static_cast<size_t>(id)];
  switch (n.kind) {
    case NodeKind::kConst: return true;
    case NodeKind::kInput: return is_uniform(n.layout);
    case NodeKind::kOp:
      for (int a : n.args) {
        if (a < 0 || a >= id || !node_is_uniform(nodes, a)) return false;
      }
      return true;
  }
  return false;
}

bool node_is_per_row(const std::vector<Node>& nodes, int id) {
  const Node& n = nodes[static_cast<size_t>(id)];
  switch (n.kind) {
    case NodeKind::kConst: return true;
    case NodeKind::kInput: return is_uniform(n.layout);
    case NodeKind::kOp:
      if ((op_info(n.op).flags & kReduce) != 0) return true;
      for (int a : n.args) {
        if (a < 0 || a >= id || !node_is_per_row(nodes, a)) return false;
      }
      return true;
  }
  return false;
}

}  // namespace

const char* dtype_name(DType t) { return kDTypeNames[static_cast<int>(t)]; }

bool parse_dtype(std::string_view text, DType* out) {
  for (int i = 0; i < 7; ++i) {
    if (text == kDTypeNames[i]) {
      *out = static_cast<DType>(i);
      return true;
    }
  }
  return false;
}

int dtype_size(DType t) { return kDTypeSizes[static_cast<int>(t)]; }

bool is_floating(DType t) {
  switch (t) {
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kFloat32:
    case DType::kFloat64: return true;
    case DType::kBool:
    case DType::kInt32:
    case DType::kInt64: return false;
  }
  return false;
}

bool is_integral(DType t) { return t == DType::kInt32 || t == DType::kInt64; }

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  const bool half_pair = (a == DType::kFloat16 && b == DType::kBFloat16) || (a == DType::kBFloat16 && b == DType::kFloat16);
  if (half_pair) return DType::kFloat32;
  // The enum is ordered bool < i32 < i64 < f16, bf16 < f32 < f64.
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

std::string op_typing_error(Op op, DType result, const std::vector<DType>& operands) {
  const OpInfo& info = op_info(op);
  const unsigned f = info.flags;
  auto name = [](DType t) { return std::string(dtype_name(t)); };
  if ((f & kBoolOut) != 0 && result != DType::kBool) return "result must be bool, not " + name(result);
  if ((f & kFloat) != 0 && !is_floating(result)) return "needs a floating dtype, not " + name(result);
  if ((f & kNoBool) != 0 && result == DType::kBool) return "is not defined on bool";
  if ((f & kIntegral) != 0 && is_floating(result)) return "needs a bool or integer dtype, not " + name(result);
  if ((f & kReduce) != 0) {
    // amax/amin keep the operand's dtype; sum/prod: floats keep theirs, bool
    // and integers accumulate and return in i64 (ATen); row_size: kFloat above.
    for (size_t i = 0; i < operands.size(); ++i) {
      const DType t = operands[i];
      const bool widens = (op == Op::kSum || op == Op::kProd) && !is_floating(t);
      const DType want = widens ? DType::kInt64 : t;
      if (result != want)
        return "result must be " + name(want) + " for an operand of dtype " + name(t) + ", not " + name(result);
    }
    return "";
  }
  for (size_t i = 0; i < operands.size(); ++i) {
    const DType t = operands[i];
    DType want = result;
    if ((f & kAnyIn) != 0) continue;
    if ((f & kSelect) != 0 && i == 0) want = DType::kBool;
    if ((f & kBoolOut) != 0) want = operands[0];
    if (t != want) return "operand " + std::to_string(i) + " has dtype " + name(t) + ", expected " + name(want);
  }
  return "";
}

const OpInfo& op_info(Op op) {
  const int i = static_cast<int>(op);
  FUZE_CHECK(i >= 0 && i < kNumOps, "op out of range");
  return op_table().infos[i];
}

bool parse_op(std::string_view text, Op* out) {
  const OpTable& t = op_table();
  for (int i = 0; i < kNumOps; ++i) {
    if (text == t.names[i]) {
      *out = static_cast<Op>(i);
      return true;
    }
  }
  return false;
}

int num_ops() { return kNumOps; }

Op op_at(int index) {
  FUZE_CHECK(index >= 0 && index < kNumOps, "op index out of range: " + std::to_string(index));
  return static_cast<Op>(index);
}

const char* layout_name(Layout l) { return kLayoutNames[static_cast<int>(l)]; }

bool parse_layout(std::string_view text, Layout* out) {
  for (int i = 0; i < 4; ++i) {
    if (text == kLayoutNames[i]) {
      *out = static_cast<Layout>(i);
      return true;
    }
  }
  return false;
}

bool is_uniform_value(const Kernel& k, int id) {
  FUZE_CHECK(id >= 0 && id < static_cast<int>(k.nodes().size()), "value id out of range");
  return node_is_uniform(k.nodes(), id);
}

bool is_per_row_value(const Kernel& k, int id) {
  FUZE_CHECK(id >= 0 && id < static_cast<int>(k.nodes().size()), "value id out of range");
  return node_is_per_row(k.nodes(), id);
}

ReducePasses reduce_passes(const Kernel& k) {
  ReducePasses out;
  const auto& nodes = k.nodes();
  std::vector<int> avail(nodes.size(), 0);  // the first pass (walk) in which a value is known
  for (size_t id = 0; id < nodes.size(); ++id) {
    const Node& n = nodes[id];
    if (n.kind != NodeKind::kOp) continue;
    int a = 0;
    for (int arg : n.args) a = std::max(a, avail[static_cast<size_t>(arg)]);
    if (n.op == Op::kRowSize) {
      out.row_size.push_back(static_cast<int>(id));
    } else if ((op_info(n.op).flags & kReduce) != 0) {
      const size_t pass = static_cast<size_t>(a);
      if (out.reduces.size() <= pass) out.reduces.resize(pass + 1);
      out.reduces[pass].push_back(static_cast<int>(id));
      a += 1;
    }
    avail[id] = a;
  }
  return out;
}

int first_non_native_op(const Kernel& k, unsigned native) {
  for (size_t id = 0; id < k.nodes().size(); ++id) {
    const Node& n = k.nodes()[id];
    if (n.kind == NodeKind::kOp && (op_info(n.op).native & native) == 0) return static_cast<int>(id);
  }
  return -1;
}

bool is_storable_layout(Layout l) { return l == Layout::kContiguous || l == Layout::kStrided; }

int Kernel::add_input(DType dtype, Layout layout) {
  Node n;
  n.kind = NodeKind::kInput;
  n.dtype = dtype;
  n.input_index = static_cast<int>(inputs_.size());
  n.layout = layout;
  const int id = static_cast<int>(nodes_.size());
  nodes_.push_back(std::move(n));
  inputs_.push_back(id);
  return id;
}

int Kernel::add_const(DType dtype, double value) {
  Node n;
  n.kind = NodeKind::kConst;
  n.dtype = dtype;
  n.constant = value;
  nodes_.push_back(std::move(n));
  return static_cast<int>(nodes_.size()) - 1;
}

int Kernel::add_op(Op op, DType dtype, std::vector<int> args) {
  const OpInfo& info = op_info(op);
  FUZE_CHECK(static_cast<int>(args.size()) == info.arity,
             std::string(info.name) + ": expected " + std::to_string(info.arity) + " operands, got " +
                 std::to_string(args.size()));
  const int id = static_cast<int>(nodes_.size());
  std::vector<DType> types;
  for (int a : args) {
    FUZE_CHECK(a >= 0 && a < id, std::string(info.name) + ": operand %" + std::to_string(a) + " not defined");
    types.push_back(nodes_[static_cast<size_t>(a)].dtype);
  }
  const std::string typing = op_typing_error(op, dtype, types);
  FUZE_CHECK(typing.empty(), std::string(info.name) + " " + dtype_name(dtype) + ": " + typing);
  if ((info.flags & kUniformRhs) != 0) {
    FUZE_CHECK(node_is_uniform(nodes_, args[1]),
               std::string(info.name) + ": second operand %" + std::to_string(args[1]) + " must be uniform");
  }
  Node n;
  n.kind = NodeKind::kOp;
  n.dtype = dtype;
  n.op = op;
  n.args = std::move(args);
  nodes_.push_back(std::move(n));
  return id;
}

void Kernel::add_output(int value, Layout layout) {
  FUZE_CHECK(value >= 0 && value < static_cast<int>(nodes_.size()),
             "output %" + std::to_string(value) + " not defined");
  FUZE_CHECK(is_storable_layout(layout), std::string("output layout ") + layout_name(layout) + " is not storable");
  outputs_.push_back(Output{value, layout});
}

std::string Kernel::chain_name() const {
  constexpr int kMaxNamed = 4;  // longer chains: the first two names, then the count
  std::vector<const char*> ops;
  for (const Node& n : nodes_) {
    if (n.kind == NodeKind::kOp) ops.push_back(op_info(n.op).name);
  }
  if (ops.empty()) return "fused_copy";
  std::string out = "fused";
  const bool shorten = static_cast<int>(ops.size()) > kMaxNamed;
  const size_t named = shorten ? 2 : ops.size();
  for (size_t i = 0; i < named; ++i) {
    out += '_';
    out += ops[i];
  }
  if (shorten) out += "_..._x" + std::to_string(ops.size());
  return out;
}

bool same_kernel(const Kernel& a, const Kernel& b) {
  if (a.name() != b.name() || a.rank() != b.rank() || a.reduce_rank() != b.reduce_rank() || a.inputs() != b.inputs())
    return false;
  if (a.nodes().size() != b.nodes().size() || a.outputs().size() != b.outputs().size()) return false;
  for (size_t i = 0; i < a.nodes().size(); ++i) {
    const Node& x = a.nodes()[i];
    const Node& y = b.nodes()[i];
    if (x.kind != y.kind || x.dtype != y.dtype) return false;
    switch (x.kind) {
      case NodeKind::kInput:
        if (x.input_index != y.input_index || x.layout != y.layout) return false;
        break;
      case NodeKind::kConst: {
        // Bitwise: -0.0 differs from 0.0, and a NaN equals the same NaN.
        // Bitwise, except that NaNs of one sign are equal whatever their payload.
        if (std::isnan(x.constant) && std::isnan(y.constant)) {
          if (std::signbit(x.constant) != std::signbit(y.constant)) return false;
        } else if (std::memcmp(&x.constant, &y.constant, sizeof(double)) != 0) {
          return false;
        }
        break;
      }
      case NodeKind::kOp:
        if (x.op != y.op || x.args != y.args) return false;
        break;
    }
  }
  for (size_t i = 0; i < a.outputs().size(); ++i) {
    if (a.outputs()[i].value != b.outputs()[i].value || a.outputs()[i].layout != b.outputs()[i].layout)
      return false;
  }
  return true;
}

}  // namespace fuze::ir
