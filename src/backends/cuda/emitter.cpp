// CUDA C emitter (see emitter.h for the shape of the generated program).
#include "backends/cuda/emitter.h"
#include "backends/cuda/emitter_util.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace fuze::cuda {
namespace detail {

const char* storage_type(ir::DType t) {
  switch (t) {
    case ir::DType::kFloat32: return "float";
    case ir::DType::kFloat64: return "double";
    case ir::DType::kFloat16: return "FuzeHalf";
    case ir::DType::kBFloat16: return "FuzeBf16";
    case ir::DType::kBool: return "unsigned char";
    case ir::DType::kInt32: return "int";
    case ir::DType::kInt64: return "fuze_i64";
  }
  return nullptr;
}

const char* compute_type(ir::DType t) {
  switch (t) {
    case ir::DType::kFloat64: return "double";
    case ir::DType::kBool: return "bool";
    case ir::DType::kInt32: return "int";
    case ir::DType::kInt64: return "fuze_i64";
    default: return "float";
  }
}

}  // namespace detail

using namespace detail;

namespace {

const char* vector_type(ir::DType t) {
  switch (t) {
    case ir::DType::kFloat32: return "float4";
    case ir::DType::kFloat64: return "double2";
    case ir::DType::kInt32: return "int4";
    case ir::DType::kInt64: return "longlong2";
    default: return "uint4";
  }
}

}  // namespace
namespace detail {

std::string sanitize(const std::string& name) {
  std::string s;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    s += ok ? c : '_';
  }
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) s = "k_" + s;
  return s;
}

// The constant rounded to the node's dtype like interp::to_dtype, as exact bits.
std::string const_literal(ir::DType t, double v) {
  char buf[96];
  if (t == ir::DType::kBool) return v != 0.0 ? "true" : "false";
  if (t == ir::DType::kInt32 || t == ir::DType::kInt64) {
    // As the interpreter's to_dtype: truncated, out of range -> the minimum.
    const double lo = t == ir::DType::kInt32 ? -2147483648.0 : -9223372036854775808.0;
    const long long i = (v > lo - 1.0 && v < -lo) ? static_cast<long long>(v) : static_cast<long long>(lo);
    std::snprintf(buf, sizeof buf, "static_cast<%s>(%lldLL)", compute_type(t), i);
    return buf;
  }
  uint64_t bits64;
  std::memcpy(&bits64, &v, sizeof bits64);
  if (t == ir::DType::kFloat32) {
    float f = static_cast<float>(v);
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    std::snprintf(buf, sizeof buf, "__int_as_float(0x%08x) /* %.9g */", bits, static_cast<double>(f));
    return buf;
  }
  std::snprintf(buf, sizeof buf, "__longlong_as_double(0x%016llxLL)", static_cast<unsigned long long>(bits64));
  if (t == ir::DType::kFloat64) return std::string(buf) + " /* " + std::to_string(v) + " */";
  return std::string("fuze_widen(FuzeNarrow<") + storage_type(t) + ">::from_double(" + buf + "))";
}

// Expression for one op of a node of dtype t over value names a, b, c;
// empty when unsupported.
std::string integral_op_expr(ir::Op op, ir::DType t, const std::string& a, const std::string& b);

std::string call1(const char* f, const std::string& a) { return std::string(f) + "(" + a + ")"; }
std::string call2(const char* f, const std::string& a, const std::string& b) {
  return std::string(f) + "(" + a + ", " + b + ")";
}

// src: the dtype of the first operand (what a cast converts from).
std::string op_expr(ir::Op op, ir::DType t, ir::DType src, const std::string& a, const std::string& b,
                    const std::string& c) {
  if (op == ir::Op::kWhere) return "(" + a + " ? " + b + " : " + c + ")";
  if (op == ir::Op::kCast) {
    if (t == ir::DType::kBool) return "(" + a + " != 0)";
    if ((t == ir::DType::kInt32 || t == ir::DType::kInt64) && ir::is_floating(src))
      return std::string("fuze_int_from<") + compute_type(t) + ">(static_cast<double>(" + a + "), " +
             const_literal(t, -1e300) + ")";
    return std::string("static_cast<") + compute_type(t) + ">(" + a + ")";
  }
  if (!ir::is_floating(t)) return integral_op_expr(op, t, a, b);
  switch (op) {
    case ir::Op::kAdd: return a + " + " + b;
    case ir::Op::kSub: return a + " - " + b;
    case ir::Op::kMul: return a + " * " + b;
    case ir::Op::kDiv: return a + " / " + b;
    case ir::Op::kNeg: return "-" + a;
    case ir::Op::kAbs: return "fuze_abs(" + a + ")";
    case ir::Op::kReciprocal: return "fuze_reciprocal(" + a + ")";
    case ir::Op::kSqrt: return "fuze_sqrt(" + a + ")";
    case ir::Op::kRsqrt: return "fuze_rsqrt(" + a + ")";
    case ir::Op::kMaximum: return "fuze_maximum(" + a + ", " + b + ")";
    case ir::Op::kMinimum: return "fuze_minimum(" + a + ", " + b + ")";
    case ir::Op::kClampMin: return "fuze_clamp_min(" + a + ", " + b + ")";
    case ir::Op::kClampMax: return "fuze_clamp_max(" + a + ", " + b + ")";
    case ir::Op::kRelu: return "fuze_relu(" + a + ")";
    case ir::Op::kExp: return "fuze_exp(" + a + ")";
    case ir::Op::kLog: return "fuze_log(" + a + ")";
    case ir::Op::kTanh: return "fuze_tanh(" + a + ")";
    case ir::Op::kSigmoid: return "fuze_sigmoid(" + a + ")";
    case ir::Op::kPow: return "fuze_pow(" + a + ", " + b + ")";
    case ir::Op::kFloorDivide: return call2("fuze_floor_divide", a, b);
    case ir::Op::kRemainder: return call2("fuze_remainder", a, b);
    case ir::Op::kFmod: return call2("fuze_fmod", a, b);
    case ir::Op::kGelu: return call1("fuze_gelu", a);
    case ir::Op::kGeluTanh: return call1("fuze_gelu_tanh", a);
    case ir::Op::kSilu: return call1("fuze_silu", a);
    case ir::Op::kHardswish: return call1("fuze_hardswish", a);
    case ir::Op::kHardsigmoid: return call1("fuze_hardsigmoid", a);
    case ir::Op::kLeakyRelu: return call2("fuze_leaky_relu", a, b);
    case ir::Op::kElu: return call2("fuze_elu", a, b);
    case ir::Op::kSoftplus: return call1("fuze_softplus", a);
    case ir::Op::kMish: return call1("fuze_mish", a);
    case ir::Op::kThreshold: return "fuze_threshold(" + a + ", " + b + ", " + c + ")";
    case ir::Op::kLerp: return "fuze_lerp(" + a + ", " + b + ", " + c + ")";
    case ir::Op::kErf: return call1("fuze_erf", a);
    case ir::Op::kErfc: return call1("fuze_erfc", a);
    case ir::Op::kExpm1: return call1("fuze_expm1", a);
    case ir::Op::kLog1p: return call1("fuze_log1p", a);
    case ir::Op::kLog2: return call1("fuze_log2", a);
    case ir::Op::kLog10: return call1("fuze_log10", a);
    case ir::Op::kExp2: return call1("fuze_exp2", a);
    case ir::Op::kFloor: return call1("fuze_floor", a);
    case ir::Op::kCeil: return call1("fuze_ceil", a);
    case ir::Op::kRound: return call1("fuze_round", a);
    case ir::Op::kTrunc: return call1("fuze_trunc", a);
    case ir::Op::kSign: return call1("fuze_sign", a);
    case ir::Op::kFrac: return call1("fuze_frac", a);
    case ir::Op::kSin: return call1("fuze_sin", a);
    case ir::Op::kCos: return call1("fuze_cos", a);
    case ir::Op::kTan: return call1("fuze_tan", a);
    case ir::Op::kAsin: return call1("fuze_asin", a);
    case ir::Op::kAcos: return call1("fuze_acos", a);
    case ir::Op::kAtan: return call1("fuze_atan", a);
    case ir::Op::kSinh: return call1("fuze_sinh", a);
    case ir::Op::kCosh: return call1("fuze_cosh", a);
    case ir::Op::kAsinh: return call1("fuze_asinh", a);
    case ir::Op::kAcosh: return call1("fuze_acosh", a);
    case ir::Op::kAtanh: return call1("fuze_atanh", a);
    case ir::Op::kAtan2: return call2("fuze_atan2", a, b);
    case ir::Op::kLogit: return call1("fuze_logit", a);
    case ir::Op::kXlogy: return call2("fuze_xlogy", a, b);
    case ir::Op::kNanToNum: {
      // The largest finite value of the node's dtype, in its compute type.
      const char* hi = t == ir::DType::kFloat16    ? "65504.0f"
                       : t == ir::DType::kBFloat16 ? "__int_as_float(0x7f7f0000)"
                       : t == ir::DType::kFloat32  ? "__int_as_float(0x7f7fffff)"
                                                   : "__longlong_as_double(0x7fefffffffffffffLL)";
      return "fuze_nan_to_num(" + a + ", " + hi + ")";
    }
    case ir::Op::kEq: case ir::Op::kNe: case ir::Op::kLt: case ir::Op::kLe: case ir::Op::kGt: case ir::Op::kGe:
    case ir::Op::kWhere: case ir::Op::kLogicalAnd: case ir::Op::kLogicalOr: case ir::Op::kLogicalXor:
    case ir::Op::kLogicalNot: case ir::Op::kBitwiseAnd: case ir::Op::kBitwiseOr: case ir::Op::kBitwiseXor:
    case ir::Op::kBitwiseNot: case ir::Op::kCast: case ir::Op::kIsnan: case ir::Op::kIsinf:
    case ir::Op::kIsfinite: case ir::Op::kLogaddexp:
    case ir::Op::kSum: case ir::Op::kProd: case ir::Op::kAmax: case ir::Op::kAmin: case ir::Op::kRowSize:
      return {};  // no floating result, or decomposed before the backend (ops.def)
  }
  return {};
}

// Ops with a bool or integer result, as the interpreter computes them (its
// apply_op and apply_predicate); empty when unsupported.
std::string integral_op_expr(ir::Op op, ir::DType t, const std::string& a, const std::string& b) {
  const std::string T = compute_type(t);
  switch (op) {
    case ir::Op::kAdd: return call2("fuze_wadd", a, b);
    case ir::Op::kSub: return call2("fuze_wsub", a, b);
    case ir::Op::kMul: return call2("fuze_wmul", a, b);
    case ir::Op::kNeg: return call1("fuze_wneg", a);
    case ir::Op::kAbs: return call1("fuze_iabs", a);
    case ir::Op::kMaximum: return call2("fuze_maximum", a, b);
    case ir::Op::kMinimum: return call2("fuze_minimum", a, b);
    case ir::Op::kClampMin: return call2("fuze_clamp_min", a, b);
    case ir::Op::kClampMax: return call2("fuze_clamp_max", a, b);
    case ir::Op::kRelu: return call1("fuze_relu", a);
    case ir::Op::kSign: return call1("fuze_sign", a);
    case ir::Op::kFloor: case ir::Op::kCeil: case ir::Op::kRound: case ir::Op::kTrunc: return a;
    case ir::Op::kBitwiseAnd: return "static_cast<" + T + ">(" + a + " & " + b + ")";
    case ir::Op::kBitwiseOr: return "static_cast<" + T + ">(" + a + " | " + b + ")";
    case ir::Op::kBitwiseXor: return "static_cast<" + T + ">(" + a + " ^ " + b + ")";
    case ir::Op::kBitwiseNot: return t == ir::DType::kBool ? "!" + a : "static_cast<" + T + ">(~" + a + ")";
    // predicates: bool results over operands of their own (shared) dtype
    case ir::Op::kEq: return "(" + a + " == " + b + ")";
    case ir::Op::kNe: return "(" + a + " != " + b + ")";
    case ir::Op::kLt: return "(" + a + " < " + b + ")";
    case ir::Op::kLe: return "(" + a + " <= " + b + ")";
    case ir::Op::kGt: return "(" + a + " > " + b + ")";
    case ir::Op::kGe: return "(" + a + " >= " + b + ")";
    case ir::Op::kIsnan: return call1("fuze_isnan", a);
    case ir::Op::kIsinf: return call1("fuze_isinf", a);
    case ir::Op::kIsfinite: return call1("fuze_isfinite", a);
    case ir::Op::kLogicalAnd: return "(" + a + " != 0 && " + b + " != 0)";
    case ir::Op::kLogicalOr: return "(" + a + " != 0 || " + b + " != 0)";
    case ir::Op::kLogicalXor: return "((" + a + " != 0) != (" + b + " != 0))";
    case ir::Op::kLogicalNot: return "(" + a + " == 0)";
    case ir::Op::kDiv: case ir::Op::kReciprocal: case ir::Op::kSqrt: case ir::Op::kRsqrt: case ir::Op::kExp:
    case ir::Op::kLog: case ir::Op::kTanh: case ir::Op::kSigmoid: case ir::Op::kPow: case ir::Op::kFloorDivide:
    case ir::Op::kRemainder: case ir::Op::kFmod: case ir::Op::kWhere: case ir::Op::kCast: case ir::Op::kGelu: case ir::Op::kGeluTanh:
    case ir::Op::kSilu: case ir::Op::kHardswish: case ir::Op::kHardsigmoid: case ir::Op::kLeakyRelu:
    case ir::Op::kElu: case ir::Op::kSoftplus: case ir::Op::kMish: case ir::Op::kThreshold: case ir::Op::kLerp:
    case ir::Op::kErf: case ir::Op::kErfc: case ir::Op::kExpm1: case ir::Op::kLog1p: case ir::Op::kLog2:
    case ir::Op::kLog10: case ir::Op::kExp2: case ir::Op::kFrac: case ir::Op::kSin: case ir::Op::kCos:
    case ir::Op::kTan: case ir::Op::kAsin: case ir::Op::kAcos: case ir::Op::kAtan: case ir::Op::kSinh:
    case ir::Op::kCosh: case ir::Op::kAsinh: case ir::Op::kAcosh: case ir::Op::kAtanh: case ir::Op::kAtan2:
    case ir::Op::kLogit: case ir::Op::kXlogy: case ir::Op::kNanToNum: case ir::Op::kLogaddexp:
    case ir::Op::kSum: case ir::Op::kProd: case ir::Op::kAmax: case ir::Op::kAmin: case ir::Op::kRowSize:
      break;  // floating-only, where/cast (op_expr), or decomposed before the backend (ops.def)
  }
  return {};
}

// The expression of op node n over value names a, b, c (its operands).
std::string node_expr(const ir::Kernel& k, const ir::Node& n, const std::string& a, const std::string& b,
                      const std::string& c) {
  const ir::DType src = n.args.empty() ? n.dtype : k.node(n.args[0]).dtype;
  return op_expr(n.op, n.dtype, src, a, b, c);
}

}  // namespace detail
namespace {

struct Ctx {
  const ir::Kernel& k;
  EmittedKernel& e;
  std::ostringstream os;
  std::string shape_type;
  std::string params;  // the shared parameter list
  std::string args;    // the same names, for forwarding
  std::vector<bool> used;  // per input: read by some node or output (type_as's other operand is not)

  // Inputs the kernel takes as one value (u<i>) rather than per element: the
  // uniform layouts, and unused inputs, which are never loaded (their
  // pointer may not even be device memory).
  bool as_value(int input) const {
    return !used[static_cast<size_t>(input)] || ir::is_uniform(e.operands[static_cast<size_t>(input)].layout);
  }

  std::string ptr(int operand) const { return "p" + std::to_string(operand); }
  ir::DType operand_dtype(int operand) const {
    int ni = k.num_inputs();
    int id = operand < ni ? k.inputs()[static_cast<size_t>(operand)] : k.outputs()[static_cast<size_t>(operand - ni)].value;
    return k.node(id).dtype;
  }
};

void emit_point(Ctx& c) {
  const ir::Kernel& k = c.k;
  std::ostringstream& os = c.os;
  os << "static __device__ __forceinline__ void " << c.e.name << "_point(";
  bool first = true;
  for (int i = 0; i < k.num_inputs(); ++i) {
    os << (first ? "" : ", ") << compute_type(c.operand_dtype(i)) << " a" << i;
    first = false;
  }
  for (int o = 0; o < k.num_outputs(); ++o) {
    os << (first ? "" : ", ") << compute_type(c.operand_dtype(k.num_inputs() + o)) << "& r" << o;
    first = false;
  }
  os << ") {\n";
  for (size_t id = 0; id < k.nodes().size(); ++id) {
    const ir::Node& n = k.nodes()[id];
    std::string v = "v" + std::to_string(id);
    os << "  const " << compute_type(n.dtype) << " " << v << " = ";
    switch (n.kind) {
      case ir::NodeKind::kInput: os << "a" << n.input_index; break;
      case ir::NodeKind::kConst: os << const_literal(n.dtype, n.constant); break;
      case ir::NodeKind::kOp: {
        std::string a = n.args.empty() ? "" : "v" + std::to_string(n.args[0]);
        std::string b = n.args.size() < 2 ? "" : "v" + std::to_string(n.args[1]);
        std::string cc = n.args.size() < 3 ? "" : "v" + std::to_string(n.args[2]);
        const std::string expr = node_expr(k, n, a, b, cc);
        if (n.dtype == ir::DType::kFloat16 || n.dtype == ir::DType::kBFloat16) {
          // Rounded to the node's dtype after every op, as the interpreter and eager do.
          os << "fuze_widen(FuzeNarrow<" << storage_type(n.dtype) << ">::from(" << expr << "))";
        } else {
          os << expr;
        }
        break;
      }
    }
    os << ";  // " << (n.kind == ir::NodeKind::kOp ? ir::op_info(n.op).name : n.kind == ir::NodeKind::kConst ? "const" : "input")
       << "\n";
  }
  for (int o = 0; o < k.num_outputs(); ++o) os << "  r" << o << " = v" << k.outputs()[static_cast<size_t>(o)].value << ";\n";
  os << "}\n\n";
}

// Loads of the uniform inputs (before the loop), as compute-typed u<i>.
void emit_uniform_loads(Ctx& c, const char* indent) {
  for (int i = 0; i < c.k.num_inputs(); ++i) {
    ir::DType t = c.operand_dtype(i);
    const OperandInfo& op = c.e.operands[static_cast<size_t>(i)];
    if (!c.used[static_cast<size_t>(i)]) {
      c.os << indent << "const " << compute_type(t) << " u" << i << " = " << compute_type(t) << "(0);  // unused\n";
    } else if (op.layout == ir::Layout::kBroadcast) {
      c.os << indent << "const " << compute_type(t) << " u" << i << " = fuze_widen(" << c.ptr(i) << "[0]);\n";
    } else if (op.layout == ir::Layout::kScalar) {
      c.os << indent << "const " << compute_type(t) << " u" << i << " = fuze_widen(FuzeNarrow<" << storage_type(t)
           << ">::from_double(s" << i << "));\n";
    }
  }
}

// One element at linear index `i` (offsets o<k> for strided operands).
void emit_element(Ctx& c, const char* indent, const std::string& index) {
  const ir::Kernel& k = c.k;
  std::ostringstream& os = c.os;
  auto at = [&](int operand) {
    const OperandInfo& op = c.e.operands[static_cast<size_t>(operand)];
    return op.layout == ir::Layout::kStrided ? c.ptr(operand) + "[o" + std::to_string(operand) + "]"
                                             : c.ptr(operand) + "[" + index + "]";
  };
  for (int o = 0; o < k.num_outputs(); ++o)
    os << indent << compute_type(c.operand_dtype(k.num_inputs() + o)) << " r" << o << ";\n";
  os << indent << c.e.name << "_point(";
  bool first = true;
  for (int i = 0; i < k.num_inputs(); ++i) {
    os << (first ? "" : ", ");
    first = false;
    if (c.as_value(i)) {
      os << "u" << i;
    } else {
      os << "fuze_widen(" << at(i) << ")";
    }
  }
  for (int o = 0; o < k.num_outputs(); ++o) os << (first ? "" : ", ") << "r" << o, first = false;
  os << ");\n";
  for (int o = 0; o < k.num_outputs(); ++o) {
    int operand = k.num_inputs() + o;
    os << indent << at(operand) << " = FuzeNarrow<" << storage_type(c.operand_dtype(operand)) << ">::from(r" << o
       << ");\n";
  }
}

void emit_generic(Ctx& c) {
  std::ostringstream& os = c.os;
  const EmittedKernel& e = c.e;
  os << "template <class I>\nstatic __device__ __forceinline__ void " << e.name << "_impl(" << c.params << ") {\n";
  emit_uniform_loads(c, "  ");
  os << "  const I step = static_cast<I>(blockDim.x) * static_cast<I>(gridDim.x);\n"
     << "  for (I i = static_cast<I>(begin) + static_cast<I>(blockIdx.x) * static_cast<I>(blockDim.x) +"
        " static_cast<I>(threadIdx.x);\n"
     << "       i < static_cast<I>(end); i += step) {\n";
  if (e.num_strided > 0) {
    for (size_t op = 0; op < e.operands.size(); ++op)
      if (e.operands[op].strided_slot >= 0) os << "    I o" << op << " = 0;\n";
    os << "    I rem = i;\n";
    for (int d = e.rank - 1; d >= 0; --d) {
      os << "    {\n";
      if (d > 0) {
        os << "      const I size = static_cast<I>(shape.sizes[" << d << "]);\n"
           << "      const I idx = rem % size;\n      rem /= size;\n";
      } else {
        os << "      const I idx = rem;\n";
      }
      for (size_t op = 0; op < e.operands.size(); ++op) {
        int slot = e.operands[op].strided_slot;
        if (slot >= 0)
          os << "      o" << op << " += idx * static_cast<I>(shape.strides[" << slot << "][" << d << "]);\n";
      }
      os << "    }\n";
    }
  }
  emit_element(c, "    ", "i");
  os << "  }\n}\n\n";
  os << "extern \"C\" __global__ void __launch_bounds__(" << kBlockSize << ") " << e.name << "(" << c.params << ") {\n"
     << "  " << e.name << "_impl<fuze_i64>(" << c.args << ");\n}\n\n";
  os << "extern \"C\" __global__ void __launch_bounds__(" << kBlockSize << ") " << e.name << "_i32(" << c.params
     << ") {\n  " << e.name << "_impl<int>(" << c.args << ");\n}\n\n";
}

void emit_vec(Ctx& c, ir::DType t) {
  std::ostringstream& os = c.os;
  const EmittedKernel& e = c.e;
  const ir::Kernel& k = c.k;
  const int w = e.vec_width;
  const char* vt = vector_type(t);
  const char* st = storage_type(t);
  os << "extern \"C\" __global__ void __launch_bounds__(" << kBlockSize << ") " << e.name << "_vec(" << c.params
     << ") {\n";
  emit_uniform_loads(c, "  ");
  os << "  const fuze_i64 step = static_cast<fuze_i64>(blockDim.x) * gridDim.x;\n"
     << "  const fuze_i64 tid = static_cast<fuze_i64>(blockIdx.x) * blockDim.x + threadIdx.x;\n"
     << "  const fuze_i64 nvec = (end - begin) / " << w << ";\n"
     << "  for (fuze_i64 v = tid; v < nvec; v += step) {\n"
     << "    const fuze_i64 base = begin + v * " << w << ";\n";
  for (int i = 0; i < k.num_inputs(); ++i)
    if (!c.as_value(i))
      os << "    const " << vt << " l" << i << " = *reinterpret_cast<const " << vt << "*>(" << c.ptr(i) << " + base);\n";
  for (int o = 0; o < k.num_outputs(); ++o) os << "    " << vt << " w" << o << ";\n";
  os << "#pragma unroll\n    for (int j = 0; j < " << w << "; ++j) {\n";
  for (int o = 0; o < k.num_outputs(); ++o) os << "      " << compute_type(t) << " r" << o << ";\n";
  os << "      " << e.name << "_point(";
  bool first = true;
  for (int i = 0; i < k.num_inputs(); ++i) {
    os << (first ? "" : ", ");
    first = false;
    if (c.as_value(i)) {
      os << "u" << i;
    } else {
      os << "fuze_widen(fuze_lane<" << st << ">(l" << i << ", j))";
    }
  }
  for (int o = 0; o < k.num_outputs(); ++o) os << (first ? "" : ", ") << "r" << o, first = false;
  os << ");\n";
  for (int o = 0; o < k.num_outputs(); ++o)
    os << "      fuze_set_lane<" << st << ">(w" << o << ", j, FuzeNarrow<" << st << ">::from(r" << o << "));\n";
  os << "    }\n";
  for (int o = 0; o < k.num_outputs(); ++o)
    os << "    *reinterpret_cast<" << vt << "*>(" << c.ptr(k.num_inputs() + o) << " + base) = w" << o << ";\n";
  os << "  }\n"
     << "  for (fuze_i64 i = begin + nvec * " << w << " + tid; i < end; i += step) {\n";
  emit_element(c, "    ", "i");
  os << "  }\n}\n";
}

}  // namespace

bool cuda_supports_dtype(ir::DType t) { return storage_type(t) != nullptr; }

std::vector<ir::DType> cuda_supported_dtypes() {
  return {ir::DType::kFloat32, ir::DType::kFloat64, ir::DType::kFloat16, ir::DType::kBFloat16,
          ir::DType::kBool,    ir::DType::kInt32,   ir::DType::kInt64};
}

Status emit_cuda(const ir::Kernel& k, EmittedKernel* out) {
  *out = EmittedKernel();
  EmittedKernel& e = *out;
  if (k.rank() < 0 || k.rank() > kMaxRank)
    return Status::unsupported("cuda: rank " + std::to_string(k.rank()) + " exceeds the maximum of " + std::to_string(kMaxRank));
  if (k.num_outputs() == 0) return Status::invalid_ir("cuda: kernel has no outputs");
  if (int id = ir::first_non_native_op(k, ir::kCuda); id >= 0) {
    return Status::unsupported(std::string("cuda: op ") + ir::op_info(k.node(id).op).name + " has no kernel (ops.def)");
  }
  for (const ir::Node& n : k.nodes()) {
    if (!cuda_supports_dtype(n.dtype))
      return Status::unsupported(std::string("cuda: dtype ") + ir::dtype_name(n.dtype) + " not supported yet");
    if (n.kind == ir::NodeKind::kOp && (ir::op_info(n.op).flags & ir::kReduce) == 0) {
      if (node_expr(k, n, "x", "y", "z").empty())
        return Status::unsupported(std::string("cuda: op ") + ir::op_info(n.op).name + " not supported yet");
    }
  }
  e.name = sanitize(k.name().empty() ? k.chain_name() : k.name());
  e.rank = k.rank();
  Ctx c{k, e, {}, {}, {}, {}, {}};
  c.used.assign(static_cast<size_t>(k.num_inputs()), false);
  auto mark = [&](int id) {
    const ir::Node& n = k.node(id);
    if (n.kind == ir::NodeKind::kInput) c.used[static_cast<size_t>(n.input_index)] = true;
  };
  for (const ir::Node& n : k.nodes()) {
    if (n.kind == ir::NodeKind::kOp) {
      for (int a : n.args) mark(a);
    }
  }
  for (const ir::Output& o : k.outputs()) mark(o.value);

  // Operand table: inputs then outputs, as in KernelArgs.
  int n_operands = k.num_inputs() + k.num_outputs();
  int stream_size = 0;
  bool same_dtype = true;
  ir::DType stream_dtype = ir::DType::kFloat32;
  for (int op = 0; op < n_operands; ++op) {
    OperandInfo info;
    info.is_output = op >= k.num_inputs();
    ir::DType t = c.operand_dtype(op);
    info.elem_size = ir::dtype_size(t);
    if (info.is_output) {
      info.layout = k.outputs()[static_cast<size_t>(op - k.num_inputs())].layout;
    } else {
      info.layout = k.node(k.inputs()[static_cast<size_t>(op)]).layout;
    }
    if (info.layout == ir::Layout::kScalar) info.kind = ParamKind::kScalar;
    if (info.layout == ir::Layout::kStrided && k.rank() > 0) info.strided_slot = e.num_strided++;
    if (!ir::is_uniform(info.layout)) {
      if (stream_size == 0) stream_size = info.elem_size, stream_dtype = t;
      same_dtype = same_dtype && stream_dtype == t;
    }
    e.operands.push_back(info);
  }
  int r = k.rank() > 0 ? k.rank() : 1;
  c.shape_type = "FuzeShape<" + std::to_string(r) + ", " + std::to_string(e.num_strided > 0 ? e.num_strided : 1) + ">";
  c.params = c.shape_type + " shape, fuze_i64 begin, fuze_i64 end";
  c.args = "shape, begin, end";
  for (int op = 0; op < n_operands; ++op) {
    const OperandInfo& info = e.operands[static_cast<size_t>(op)];
    ir::DType t = c.operand_dtype(op);
    if (info.kind == ParamKind::kScalar) {
      c.params += ", double s" + std::to_string(op);
      c.args += ", s" + std::to_string(op);
    } else {
      c.params += std::string(", ") + (info.is_output ? "" : "const ") + storage_type(t) + "* " + c.ptr(op);
      c.args += ", " + c.ptr(op);
    }
  }
  // N_vec: no strided operand and every streamed operand of one dtype (outputs always stream).
  e.has_vec = e.num_strided == 0 && same_dtype;
  e.vec_width = e.has_vec ? 16 / stream_size : 0;

  std::ostringstream& os = c.os;
  os << cuda_prelude_text() << "\n// ---- kernel " << e.name << " (rank " << k.rank() << ", " << k.num_inputs()
     << " inputs, " << k.num_outputs() << " outputs) ----\n";
  if (k.reduce_rank() > 0) {  // row reductions: reduce_emitter.cpp
    e.has_vec = false;
    e.vec_width = 0;
    e.reduce_rank = k.reduce_rank();
    e.source = os.str();
    return emit_row_kernels(k, c.params, c.args, c.used, &e);
  }
  emit_point(c);
  emit_generic(c);
  if (e.has_vec) emit_vec(c, stream_dtype);
  e.source = os.str();
  return Status::ok();
}

}  // namespace fuze::cuda
