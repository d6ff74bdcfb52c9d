// CUDA C for row-reduction kernels (Kernel::reduce_rank() > 0). The entries
// and the thread mapping are described in emitter.h; the semantics, order of
// evaluation and order of accumulation are the interpreter's
// (src/backends/interp/interp_reduce.h), which this code follows step for
// step so that results are bit-identical to it (NaN payloads aside).
#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cuda/emitter.h"
#include "backends/cuda/emitter_util.h"

namespace fuze::cuda::detail {
namespace {

using ir::Op;

bool is_reduce(const ir::Node& n) { return n.kind == ir::NodeKind::kOp && (ir::op_info(n.op).flags & ir::kReduce) != 0; }
bool is_extremum(Op op) { return op == Op::kAmax || op == Op::kAmin; }

// Device helpers shared by every row kernel of a program (guarded: tests put
// several kernels into one program).
const char* kRowHelpers = R"CUDA(
#ifndef FUZE_ROW_HELPERS
#define FUZE_ROW_HELPERS 1
// A team (a block, G = 16 groups of 16 lanes; or a warp, G = 2) waits for itself.
template <int G> static __device__ __forceinline__ void fuze_team_sync() {
  if (G == 16) __syncthreads(); else __syncwarp();
}
// sum/prod: a op b over the accumulator type (double, or fuze_u64 wrapping).
template <class A> static __device__ __forceinline__ A fuze_acc_op(A a, A b, bool mul) { return mul ? a * b : a + b; }
// The spec's binary counter of block values: st[level] holds the entry of
// that level, present when bit `level` of nb (the blocks pushed) is set.
template <class A> static __device__ __forceinline__ void fuze_counter_push(A* st, fuze_u64& nb, A v, bool mul) {
  fuze_u64 b = nb;
  int level = 0;
  while (b & 1u) {
    v = fuze_acc_op(st[level], v, mul);  // (below op top, level + 1)
    b >>= 1;
    ++level;
  }
  st[level] = v;
  ++nb;
}
// acc = the top (lowest level) entry, then acc = entry op acc from the top down.
template <class A> static __device__ __forceinline__ A fuze_counter_finish(const A* st, fuze_u64 nb, bool mul) {
  A acc = mul ? A(1) : A(0);
  bool first = true;
  for (int level = 0; level < 64; ++level) {
    if (((nb >> level) & 1u) == 0) continue;
    acc = first ? st[level] : fuze_acc_op(st[level], acc, mul);
    first = false;
  }
  return acc;
}
// The double accumulator rounded once to f16/bf16 as interp::round_double_to:
// to float32 by round-to-odd, then (FuzeNarrow::from) to nearest even.
static __device__ __forceinline__ float fuze_round_odd_f32(double v) {
  float f = __double2float_rn(v);
  if (!(v != v) && !fuze_isinf(f) && static_cast<double>(f) != v && (__float_as_int(f) & 1) == 0)
    f = nextafterf(f, v > static_cast<double>(f) ? __int_as_float(0x7f800000) : -__int_as_float(0x7f800000));
  return f;
}
// amax/amin state: state 0 = no element yet, 1 = cur is the extremum so far,
// 2 = a NaN was seen. Order-independent: NaN wins, +0.0 > -0.0.
template <class T> struct FuzeExt { T cur; int state; };
template <class T> static __device__ __forceinline__ FuzeExt<T> fuze_ext_init() {
  FuzeExt<T> e;
  e.cur = T(0);
  e.state = 0;
  return e;
}
template <class T> static __device__ __forceinline__ bool fuze_ext_neg(T) { return false; }
static __device__ __forceinline__ bool fuze_ext_neg(float x) { return __float_as_int(x) < 0; }
static __device__ __forceinline__ bool fuze_ext_neg(double x) { return __double_as_longlong(x) < 0; }
template <class T> static __device__ __forceinline__ bool fuze_ext_better(T x, T cur, bool max) {
  if (x == cur) return x == T(0) && (max ? (fuze_ext_neg(cur) && !fuze_ext_neg(x)) : (!fuze_ext_neg(cur) && fuze_ext_neg(x)));
  return max ? x > cur : x < cur;
}
template <class T> static __device__ __forceinline__ void fuze_ext_add(FuzeExt<T>& e, T x, bool max) {
  if (e.state == 2) return;
  if (fuze_isnan(x)) {
    e.state = 2;
    return;
  }
  if (e.state == 0 || fuze_ext_better(x, e.cur, max)) e.cur = x;
  e.state = 1;
}
template <class T> static __device__ __forceinline__ void fuze_ext_merge(FuzeExt<T>& e, const FuzeExt<T>& o, bool max) {
  if (o.state == 2) e.state = 2;
  else if (o.state == 1) fuze_ext_add(e, o.cur, max);
}
template <class T> static __device__ __forceinline__ T fuze_shfl_xor(T v, int m) { return __shfl_xor_sync(0xffffffffu, v, m); }
static __device__ __forceinline__ bool fuze_shfl_xor(bool v, int m) {
  return __shfl_xor_sync(0xffffffffu, static_cast<int>(v), m) != 0;
}
// Every lane of the warp ends with the warp's combined state.
template <class T> static __device__ __forceinline__ void fuze_ext_warp(FuzeExt<T>& e, bool max) {
  for (int m = 16; m >= 1; m >>= 1) {
    FuzeExt<T> o;
    o.cur = fuze_shfl_xor(e.cur, m);
    o.state = __shfl_xor_sync(0xffffffffu, e.state, m);
    fuze_ext_merge(e, o, max);
  }
}
// NaN (the dtype's default quiet NaN) for a NaN or an empty row; 0 / false
// for an empty integer / bool row.
template <class T> static __device__ __forceinline__ T fuze_ext_finish(const FuzeExt<T>& e) {
  return e.state == 1 ? e.cur : fuze_nan(e.cur);
}
#endif  // FUZE_ROW_HELPERS
)CUDA";

// The interpreter's analysis (interp_reduce.cpp): reduce ops by pass, the
// nodes each walk evaluates, row-level and per-row outputs.
struct Plan {
  std::vector<std::vector<int>> pass_reduces;  // sum/prod/amax/amin per pass
  std::vector<std::vector<int>> pass_nodes;    // nodes each pass's walk evaluates
  std::vector<int> row_size_nodes;
  std::vector<int> row_outputs, per_row_outputs;  // output indices
  std::vector<int> final_nodes, per_row_nodes;
};

std::vector<int> closure(const ir::Kernel& k, const std::vector<int>& roots) {
  std::vector<bool> need(k.nodes().size(), false);
  for (int r : roots) need[static_cast<size_t>(r)] = true;
  for (size_t id = k.nodes().size(); id-- > 0;) {
    const ir::Node& n = k.node(static_cast<int>(id));
    if (!need[id] || is_reduce(n)) continue;
    for (int a : n.args) need[static_cast<size_t>(a)] = true;
  }
  std::vector<int> out;
  for (size_t id = 0; id < need.size(); ++id)
    if (need[id] && !is_reduce(k.node(static_cast<int>(id)))) out.push_back(static_cast<int>(id));
  return out;
}

Plan analyse(const ir::Kernel& k) {
  Plan p;
  const auto& nodes = k.nodes();
  ir::ReducePasses passes = ir::reduce_passes(k);  // the spec's passes
  p.pass_reduces = std::move(passes.reduces);
  p.row_size_nodes = std::move(passes.row_size);
  for (const auto& reduces : p.pass_reduces) {
    std::vector<int> roots;
    for (int r : reduces) roots.push_back(nodes[static_cast<size_t>(r)].args[0]);
    p.pass_nodes.push_back(closure(k, roots));
  }
  std::vector<int> row_roots, per_row_roots;
  for (int o = 0; o < k.num_outputs(); ++o) {
    const int v = k.outputs()[static_cast<size_t>(o)].value;
    if (ir::is_per_row_value(k, v)) {
      p.per_row_outputs.push_back(o);
      per_row_roots.push_back(v);
    } else {
      p.row_outputs.push_back(o);
      row_roots.push_back(v);
    }
  }
  p.final_nodes = closure(k, row_roots);
  p.per_row_nodes = closure(k, per_row_roots);
  return p;
}

class RowEmitter {
 public:
  RowEmitter(const ir::Kernel& k, const std::vector<bool>& used, EmittedKernel* e)
      : k_(k), used_(used), e_(*e), plan_(analyse(k)), outer_(k.rank() - k.reduce_rank()) {}

  std::string emit(const std::string& params, const std::string& args);

 private:
  ir::DType operand_dtype(int operand) const {
    const int ni = k_.num_inputs();
    const int id = operand < ni ? k_.inputs()[static_cast<size_t>(operand)] : k_.outputs()[static_cast<size_t>(operand - ni)].value;
    return k_.node(id).dtype;
  }
  bool streamed(int operand) const {
    if (operand < k_.num_inputs() && !used_[static_cast<size_t>(operand)]) return false;
    return !ir::is_uniform(e_.operands[static_cast<size_t>(operand)].layout);
  }
  // A value's name: r<id> for per-row reduce results (and row_size), else v<id>.
  std::string ref(int id) const { return (is_reduce(k_.node(id)) ? "r" : "v") + std::to_string(id); }
  // Accumulator of a sum/prod node: double for floating operands, else fuze_u64.
  bool float_acc(int id) const { return ir::is_floating(k_.node(k_.node(id).args[0]).dtype); }
  const char* acc_type(int id) const { return float_acc(id) ? "double" : "fuze_u64"; }
  std::string identity(int id) const {
    const bool mul = k_.node(id).op == Op::kProd;
    return float_acc(id) ? (mul ? "1.0" : "0.0") : (mul ? "1ull" : "0ull");
  }

  void emit_shared_struct();
  void emit_offsets(const std::vector<int>& operands, const char* indent);
  void emit_nodes(const std::vector<int>& list, const char* indent);
  void emit_pass(size_t pass);
  std::string finish_sum(int id, const std::string& acc) const;

  const ir::Kernel& k_;
  const std::vector<bool>& used_;
  EmittedKernel& e_;
  Plan plan_;
  int outer_;  // rank - reduce_rank: the dims that index rows
  std::ostringstream os_;
};

void RowEmitter::emit_shared_struct() {
  os_ << "struct " << e_.name << "_Shared {  // one per team\n";
  for (const auto& reduces : plan_.pass_reduces) {
    for (int id : reduces) {
      const ir::Node& n = k_.node(id);
      if (is_extremum(n.op)) {
        os_ << "  FuzeExt<" << compute_type(n.dtype) << "> m" << id << "[" << kRowsPerBlock << "];  // per warp\n";
      } else {
        os_ << "  " << acc_type(id) << " b" << id << "[16];  // per 16-lane group: its block's value\n"
            << "  " << acc_type(id) << " s" << id << ";  // the row's value\n";
      }
    }
  }
  os_ << "  int unused;\n};\n\n";
}

// Offsets o<op> of element j for the given streamed operands (b<op>: row bases).
void RowEmitter::emit_offsets(const std::vector<int>& operands, const char* indent) {
  bool any_strided = false;
  for (int op : operands) any_strided = any_strided || e_.operands[static_cast<size_t>(op)].layout == ir::Layout::kStrided;
  if (any_strided) {
    os_ << indent << "fuze_i64 rem = j;\n";
    for (int d = k_.rank() - 1; d >= outer_; --d) {
      if (d > outer_) {
        os_ << indent << "const fuze_i64 jd" << d << " = rem % shape.sizes[" << d << "];\n"
            << indent << "rem /= shape.sizes[" << d << "];\n";
      } else {
        os_ << indent << "const fuze_i64 jd" << d << " = rem;\n";
      }
    }
  }
  for (int op : operands) {
    const OperandInfo& info = e_.operands[static_cast<size_t>(op)];
    os_ << indent << "const fuze_i64 o" << op << " = b" << op;
    if (info.layout == ir::Layout::kStrided) {
      for (int d = outer_; d < k_.rank(); ++d) os_ << " + jd" << d << " * shape.strides[" << info.strided_slot << "][" << d << "]";
    } else {
      os_ << " + j";
    }
    os_ << ";\n";
  }
}

void RowEmitter::emit_nodes(const std::vector<int>& list, const char* indent) {
  for (int id : list) {
    const ir::Node& n = k_.node(id);
    os_ << indent << "const " << compute_type(n.dtype) << " v" << id << " = ";
    switch (n.kind) {
      case ir::NodeKind::kInput:
        if (ir::is_uniform(n.layout)) os_ << "u" << n.input_index;
        else os_ << "fuze_widen(p" << n.input_index << "[o" << n.input_index << "])";
        break;
      case ir::NodeKind::kConst: os_ << const_literal(n.dtype, n.constant); break;
      case ir::NodeKind::kOp: {
        const std::string a = n.args.empty() ? "" : ref(n.args[0]);
        const std::string b = n.args.size() < 2 ? "" : ref(n.args[1]);
        const std::string c = n.args.size() < 3 ? "" : ref(n.args[2]);
        const std::string expr = node_expr(k_, n, a, b, c);
        if (n.dtype == ir::DType::kFloat16 || n.dtype == ir::DType::kBFloat16) {
          os_ << "fuze_widen(FuzeNarrow<" << storage_type(n.dtype) << ">::from(" << expr << "))";
        } else {
          os_ << expr;
        }
        break;
      }
    }
    os_ << ";  // " << (n.kind == ir::NodeKind::kOp ? ir::op_info(n.op).name : n.kind == ir::NodeKind::kConst ? "const" : "input")
        << "\n";
  }
}

// A sum/prod accumulator rounded once to the node's dtype, as its compute value.
std::string RowEmitter::finish_sum(int id, const std::string& acc) const {
  const ir::DType t = k_.node(id).dtype;
  switch (t) {
    case ir::DType::kFloat64: return acc;
    case ir::DType::kFloat32: return "__double2float_rn(" + acc + ")";
    case ir::DType::kFloat16:
    case ir::DType::kBFloat16:
      return std::string("fuze_widen(FuzeNarrow<") + storage_type(t) + ">::from(fuze_round_odd_f32(" + acc + ")))";
    case ir::DType::kBool:
    case ir::DType::kInt32:
    case ir::DType::kInt64: break;
  }
  return std::string("static_cast<") + compute_type(t) + ">(static_cast<fuze_i64>(" + acc + "))";
}

void RowEmitter::emit_pass(size_t pass) {
  const std::vector<int>& reduces = plan_.pass_reduces[pass];
  bool has_sum = false;
  std::ostringstream what;
  for (int id : reduces) {
    const ir::Node& n = k_.node(id);
    has_sum = has_sum || !is_extremum(n.op);
    what << " %" << id << " = " << ir::op_info(n.op).name << " " << ir::dtype_name(n.dtype) << " %" << n.args[0] << ";";
  }
  os_ << "  // pass " << pass << ":" << what.str() << "\n";
  for (int id : reduces) os_ << "  " << compute_type(k_.node(id).dtype) << " r" << id << ";\n";
  os_ << "  {\n";
  for (int id : reduces) {
    const ir::Node& n = k_.node(id);
    if (is_extremum(n.op)) {
      os_ << "    FuzeExt<" << compute_type(n.dtype) << "> m" << id << " = fuze_ext_init<" << compute_type(n.dtype) << ">();\n";
    } else {
      os_ << "    " << acc_type(id) << " st" << id << "[64];  // the binary counter (team thread 0)\n"
          << "    fuze_u64 nb" << id << " = 0;\n";
    }
  }
  // Streamed inputs this walk loads.
  std::vector<int> loads;
  for (int id : plan_.pass_nodes[pass]) {
    const ir::Node& n = k_.node(id);
    if (n.kind == ir::NodeKind::kInput && !ir::is_uniform(n.layout)) loads.push_back(n.input_index);
  }
  os_ << "    for (fuze_i64 c0 = 0; c0 < n; c0 += kTeam * 16) {  // G spec blocks of 256 per chunk\n"
      << "      const fuze_i64 j0 = c0 + grp * 256 + lane;\n";
  for (int id : reduces)
    if (!is_extremum(k_.node(id).op)) os_ << "      " << acc_type(id) << " q" << id << " = " << identity(id) << ";  // p[lane]\n";
  os_ << "      for (int t = 0; t < 16; ++t) {\n"
      << "        const fuze_i64 j = j0 + 16 * t;\n"
      << "        if (j < n) {\n";
  emit_offsets(loads, "          ");
  emit_nodes(plan_.pass_nodes[pass], "          ");
  for (int id : reduces) {
    const ir::Node& n = k_.node(id);
    const std::string x = ref(n.args[0]);
    const bool mul = n.op == Op::kProd;
    if (is_extremum(n.op)) {
      os_ << "          fuze_ext_add(m" << id << ", " << x << ", " << (n.op == Op::kAmax ? "true" : "false") << ");\n";
    } else if (float_acc(id)) {
      os_ << "          q" << id << " = fuze_acc_op(q" << id << ", static_cast<double>(" << x << "), " << (mul ? "true" : "false") << ");\n";
    } else {
      os_ << "          q" << id << " = fuze_acc_op(q" << id << ", static_cast<fuze_u64>(static_cast<fuze_i64>(" << x << ")), "
          << (mul ? "true" : "false") << ");\n";
    }
  }
  os_ << "        }\n      }\n";
  if (has_sum) {
    os_ << "      // the block's value: p[i] = p[i] op p[i + w] for w = 8, 4, 2, 1; then p[0]\n";
    for (int id : reduces) {
      const ir::Node& n = k_.node(id);
      if (is_extremum(n.op)) continue;
      const char* mul = n.op == Op::kProd ? "true" : "false";
      for (int w = 8; w >= 1; w /= 2)
        os_ << "      q" << id << " = fuze_acc_op(q" << id << ", __shfl_down_sync(0xffffffffu, q" << id << ", " << w << ", 16), "
            << mul << ");\n";
      os_ << "      if (lane == 0) sh.b" << id << "[grp] = q" << id << ";\n";
    }
    os_ << "      fuze_team_sync<G>();\n"
        << "      if (tid == 0) {\n"
        << "        const fuze_i64 left = (n - c0 + 255) / 256;\n"
        << "        const int blocks = left < G ? static_cast<int>(left) : G;\n"
        << "        for (int g = 0; g < blocks; ++g) {\n";
    for (int id : reduces) {
      const ir::Node& n = k_.node(id);
      if (is_extremum(n.op)) continue;
      os_ << "          fuze_counter_push(st" << id << ", nb" << id << ", sh.b" << id << "[g], "
          << (n.op == Op::kProd ? "true" : "false") << ");\n";
    }
    os_ << "        }\n      }\n      fuze_team_sync<G>();\n";
  }
  os_ << "    }\n";
  for (int id : reduces) {
    const ir::Node& n = k_.node(id);
    const char* max = n.op == Op::kAmax ? "true" : "false";
    if (is_extremum(n.op)) {
      os_ << "    fuze_ext_warp(m" << id << ", " << max << ");\n"
          << "    if (G == 16 && (tid & 31) == 0) sh.m" << id << "[tid >> 5] = m" << id << ";\n";
    } else {
      os_ << "    if (tid == 0) sh.s" << id << " = fuze_counter_finish(st" << id << ", nb" << id << ", "
          << (n.op == Op::kProd ? "true" : "false") << ");\n";
    }
  }
  os_ << "    fuze_team_sync<G>();\n";
  for (int id : reduces) {
    const ir::Node& n = k_.node(id);
    const char* ct = compute_type(n.dtype);
    if (is_extremum(n.op)) {
      const char* max = n.op == Op::kAmax ? "true" : "false";
      os_ << "    if (G == 16) {\n"
          << "      m" << id << " = fuze_ext_init<" << ct << ">();\n"
          << "      for (int w = 0; w < " << kRowsPerBlock << "; ++w) fuze_ext_merge(m" << id << ", sh.m" << id << "[w], " << max << ");\n"
          << "    }\n";
      if (n.dtype == ir::DType::kFloat16 || n.dtype == ir::DType::kBFloat16) {
        os_ << "    r" << id << " = fuze_widen(FuzeNarrow<" << storage_type(n.dtype) << ">::from(fuze_ext_finish(m" << id << ")));\n";
      } else {
        os_ << "    r" << id << " = fuze_ext_finish(m" << id << ");\n";
      }
    } else {
      os_ << "    r" << id << " = " << finish_sum(id, "sh.s" + std::to_string(id)) << ";\n";
    }
  }
  os_ << "  }\n";
}

std::string RowEmitter::emit(const std::string& params, const std::string& args) {
  const std::string& N = e_.name;
  const int ni = k_.num_inputs();
  const int nops = ni + k_.num_outputs();
  os_ << kRowHelpers << "\n";
  emit_shared_struct();
  os_ << "// One row per call, by a team of G groups of 16 lanes (tid: the thread in the team).\n"
      << "template <int G>\nstatic __device__ __forceinline__ void " << N << "_row(" << params
      << ", const fuze_i64 row, const int tid, " << N << "_Shared& sh) {\n"
      << "  constexpr int kTeam = G * 16;\n"
      << "  const int grp = tid >> 4, lane = tid & 15;\n"
      << "  (void)grp;\n  (void)lane;\n  (void)begin;\n  (void)end;\n"
      << "  fuze_i64 n = 1;  // the row's length\n";
  for (int d = outer_; d < k_.rank(); ++d) os_ << "  n *= shape.sizes[" << d << "];\n";
  // Uniform inputs, once.
  for (int i = 0; i < ni; ++i) {
    if (!used_[static_cast<size_t>(i)]) continue;
    const ir::DType t = operand_dtype(i);
    const ir::Layout l = e_.operands[static_cast<size_t>(i)].layout;
    if (l == ir::Layout::kBroadcast) {
      os_ << "  const " << compute_type(t) << " u" << i << " = fuze_widen(p" << i << "[0]);\n";
    } else if (l == ir::Layout::kScalar) {
      os_ << "  const " << compute_type(t) << " u" << i << " = fuze_widen(FuzeNarrow<" << storage_type(t) << ">::from_double(s" << i
          << "));\n";
    }
  }
  // Row bases of the streamed operands.
  bool any_strided = false;
  for (int op = 0; op < nops; ++op)
    any_strided = any_strided || (streamed(op) && e_.operands[static_cast<size_t>(op)].layout == ir::Layout::kStrided);
  if (any_strided && outer_ > 0) {
    os_ << "  fuze_i64 rrem = row;\n";
    for (int d = outer_ - 1; d >= 0; --d) {
      if (d > 0) {
        os_ << "  const fuze_i64 y" << d << " = rrem % shape.sizes[" << d << "];\n  rrem /= shape.sizes[" << d << "];\n";
      } else {
        os_ << "  const fuze_i64 y0 = rrem;\n";
      }
    }
  }
  for (int op = 0; op < nops; ++op) {
    if (!streamed(op)) continue;
    const OperandInfo& info = e_.operands[static_cast<size_t>(op)];
    os_ << "  const fuze_i64 b" << op << " = ";
    if (info.layout == ir::Layout::kStrided) {
      os_ << "0";
      for (int d = 0; d < outer_; ++d) os_ << " + y" << d << " * shape.strides[" << info.strided_slot << "][" << d << "]";
    } else {
      os_ << "row * n";
    }
    os_ << ";\n";
  }
  for (int id : plan_.row_size_nodes) {
    const ir::DType t = k_.node(id).dtype;
    os_ << "  const " << compute_type(t) << " r" << id << " = ";
    if (t == ir::DType::kFloat64) os_ << "static_cast<double>(n);  // row_size\n";
    else os_ << "fuze_widen(FuzeNarrow<" << storage_type(t) << ">::from(static_cast<float>(static_cast<double>(n))));  // row_size\n";
  }
  for (size_t pass = 0; pass < plan_.pass_reduces.size(); ++pass) emit_pass(pass);
  if (!plan_.row_outputs.empty()) {
    std::vector<int> operands;
    for (int id : plan_.final_nodes) {
      const ir::Node& n = k_.node(id);
      if (n.kind == ir::NodeKind::kInput && !ir::is_uniform(n.layout)) operands.push_back(n.input_index);
    }
    for (int o : plan_.row_outputs) operands.push_back(ni + o);
    os_ << "  // the row-level outputs\n  for (fuze_i64 j = tid; j < n; j += kTeam) {\n";
    emit_offsets(operands, "    ");
    emit_nodes(plan_.final_nodes, "    ");
    for (int o : plan_.row_outputs) {
      const int op = ni + o;
      os_ << "    p" << op << "[o" << op << "] = FuzeNarrow<" << storage_type(operand_dtype(op)) << ">::from("
          << ref(k_.outputs()[static_cast<size_t>(o)].value) << ");\n";
    }
    os_ << "  }\n";
  }
  if (!plan_.per_row_outputs.empty()) {
    os_ << "  // the per-row outputs, once per row\n  if (tid == 0) {\n";
    emit_nodes(plan_.per_row_nodes, "    ");
    for (int o : plan_.per_row_outputs) {
      const int op = ni + o;
      os_ << "    p" << op << "[b" << op << "] = FuzeNarrow<" << storage_type(operand_dtype(op)) << ">::from("
          << ref(k_.outputs()[static_cast<size_t>(o)].value) << ");\n";
    }
    os_ << "  }\n";
  }
  os_ << "  fuze_team_sync<G>();  // shared memory is reused by the team's next row\n}\n\n";
  os_ << "// A block per row (rows longer than " << kWarpRowMax << " elements).\n"
      << "extern \"C\" __global__ void __launch_bounds__(" << kBlockSize << ") " << N << "(" << params << ") {\n"
      << "  __shared__ " << N << "_Shared sh;\n"
      << "  for (fuze_i64 row = begin + blockIdx.x; row < end; row += gridDim.x)\n"
      << "    " << N << "_row<16>(" << args << ", row, static_cast<int>(threadIdx.x), sh);\n}\n\n";
  os_ << "// A warp per row, " << kRowsPerBlock << " rows per block (rows of at most " << kWarpRowMax << " elements).\n"
      << "extern \"C\" __global__ void __launch_bounds__(" << kBlockSize << ") " << N << "_warp(" << params << ") {\n"
      << "  __shared__ " << N << "_Shared sh[" << kRowsPerBlock << "];\n"
      << "  const int warp = static_cast<int>(threadIdx.x >> 5);\n"
      << "  for (fuze_i64 row = begin + static_cast<fuze_i64>(blockIdx.x) * " << kRowsPerBlock << " + warp; row < end;\n"
      << "       row += static_cast<fuze_i64>(gridDim.x) * " << kRowsPerBlock << ")\n"
      << "    " << N << "_row<2>(" << args << ", row, static_cast<int>(threadIdx.x & 31), sh[warp]);\n}\n";
  return os_.str();
}

}  // namespace

Status emit_row_kernels(const ir::Kernel& k, const std::string& params, const std::string& args,
                        const std::vector<bool>& used, EmittedKernel* e) {
  if (k.rank() < 1 || k.reduce_rank() < 1 || k.reduce_rank() > k.rank())
    return Status::invalid_ir("cuda: bad reduce_rank " + std::to_string(k.reduce_rank()));
  RowEmitter r(k, used, e);
  e->source += r.emit(params, args);
  return Status::ok();
}

}  // namespace fuze::cuda::detail
