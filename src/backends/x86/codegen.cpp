#include "backends/x86/codegen.h"

#include <string>
#include <vector>

#include "backends/x86/dtype_emit.h"
#include "backends/x86/loop_body.h"
#include "backends/x86/vec_emitter.h"
#include "backends/x86/vec_math.h"

namespace fuze::x86 {

namespace ax = asmjit::x86;

namespace {

constexpr Fp kS = Fp::kF32;
constexpr uint32_t kQuietNan = 0x7FC00000u;  // std::numeric_limits<float>::quiet_NaN()

// Replaces lanes where `nan_src` is NaN by `nan_src` itself.
Vec keep_nan_of(VecEmitter& e, const Vec& r, const Vec& nan_src) {
  return e.select(kS, e.cmp(kS, nan_src, nan_src, Cmp::kUnord), r, nan_src);
}

Vec emit_op(VecEmitter& e, const ir::Kernel& k, const ir::Node& n, const std::vector<Vec>& val) {
  const Vec& a = val[static_cast<size_t>(n.args[0])];
  const Vec& b = n.args.size() > 1 ? val[static_cast<size_t>(n.args[1])] : a;
  const Vec& c = n.args.size() > 2 ? val[static_cast<size_t>(n.args[2])] : b;
  switch (n.op) {
    case ir::Op::kAdd: return e.add(kS, a, b);
    case ir::Op::kSub: return e.sub(kS, a, b);
    case ir::Op::kMul: return e.mul(kS, a, b);
    case ir::Op::kDiv: return e.div(kS, a, b);
    case ir::Op::kNeg: return e.bit_xor(a, e.pool_u32(0x80000000u));
    case ir::Op::kAbs: return e.bit_and(a, e.pool_u32(0x7FFFFFFFu));
    case ir::Op::kReciprocal: return e.div(kS, e.const_f32(1.0f), a);
    case ir::Op::kSqrt: return e.sqrt(kS, a);
    case ir::Op::kRsqrt: return e.div(kS, e.const_f32(1.0f), e.sqrt(kS, a));
    case ir::Op::kMaximum:
    case ir::Op::kMinimum: {
      // max_ps(a, b) = a > b ? a : b and min_ps(a, b) = a < b ? a : b, as the
      // interpreter; NaN in either operand gives the canonical quiet NaN.
      Vec r = n.op == ir::Op::kMaximum ? e.max(kS, a, b) : e.min(kS, a, b);
      return e.select(kS, e.cmp(kS, a, b, Cmp::kUnord), r, e.load_aligned(e.pool_u32(kQuietNan)));
    }
    // clamp_min(x, lo) = x < lo ? lo : x = max_ps(lo, x); a NaN bound wins.
    case ir::Op::kClampMin: return keep_nan_of(e, e.max(kS, b, a), b);
    // clamp_max(x, hi) = hi < x ? hi : x = min_ps(hi, x); a NaN bound wins.
    case ir::Op::kClampMax: return keep_nan_of(e, e.min(kS, b, a), b);
    // relu(x) = x < 0 ? 0 : x = max_ps(0, x): NaN and -0.0 pass through.
    case ir::Op::kRelu: return e.max(kS, e.const_f32(0.0f), a);
    // Rounding: roundps/vrndscaleps immediates 1 (down), 2 (up), 0 (nearest
    // even, std::nearbyint in the default mode), 3 (toward zero).
    case ir::Op::kFloor: return e.round(kS, a, 1);
    case ir::Op::kCeil: return e.round(kS, a, 2);
    case ir::Op::kRound: return e.round(kS, a, 0);
    case ir::Op::kTrunc: return e.round(kS, a, 3);
    case ir::Op::kFrac: return e.sub(kS, a, e.round(kS, a, 3));  // x - trunc(x)
    case ir::Op::kSign: {
      // (0 < x) - (x < 0): +1, -1, else +0 (NaN and both zeros).
      Vec zero = e.const_f32(0.0f);
      Vec r = e.select(kS, e.cmp(kS, zero, a, Cmp::kLt), zero, e.const_f32(1.0f));
      return e.select(kS, e.cmp(kS, a, zero, Cmp::kLt), r, e.const_f32(-1.0f));
    }
    case ir::Op::kHardsigmoid:
    case ir::Op::kHardswish: {
      // std::min(std::max(x + 3, 0), 6) = min_ps(6, max_ps(0, x + 3)) (NaN passes), / 6
      // (a division, as the interpreter); hardswish multiplies by x first.
      Vec m = e.max(kS, e.const_f32(0.0f), e.add(kS, a, e.pool_f32(3.0f)));
      m = e.min(kS, e.const_f32(6.0f), m);
      if (n.op == ir::Op::kHardswish) m = e.mul(kS, a, m);
      return e.div(kS, m, e.pool_f32(6.0f));
    }
    // x > 0 ? x : x * slope
    case ir::Op::kLeakyRelu:
      return e.select(kS, e.cmp(kS, e.const_f32(0.0f), a, Cmp::kLt), e.mul(kS, a, b), a);
    // x <= t ? v : x (a NaN x or t keeps x)
    case ir::Op::kThreshold: return e.select(kS, e.cmp(kS, a, b, Cmp::kLe), a, c);
    case ir::Op::kErf: return emit_erf(e, a);
    case ir::Op::kGelu: return emit_gelu(e, a);
    case ir::Op::kLerp: {
      // w < 0.5 ? a + w (b - a) : b - (b - a)(1 - w) (libtorch 1.13 tests w, not
      // |w|), separate roundings (no FMA).
      Vec d = e.sub(kS, b, a);
      Vec lo = e.add(kS, a, e.mul(kS, c, d));
      Vec hi = e.sub(kS, b, e.mul(kS, d, e.sub(kS, e.const_f32(1.0f), c)));
      Mask small = e.cmp(kS, c, e.pool_f32(0.5f), Cmp::kLt);
      return e.select(kS, small, hi, lo);
    }
    case ir::Op::kNanToNum: {
      Vec r = e.zero_where(e.cmp(kS, a, a, Cmp::kUnord), a);
      r = e.select(kS, e.cmp(kS, a, e.pool_u32(0x7F800000u), Cmp::kEq), r, e.load_aligned(e.pool_u32(0x7F7FFFFFu)));
      return e.select(kS, e.cmp(kS, a, e.pool_u32(0xFF800000u), Cmp::kEq), r, e.load_aligned(e.pool_u32(0xFF7FFFFFu)));
    }
    case ir::Op::kExp: return emit_exp(e, a);
    case ir::Op::kExp2: return emit_exp2(e, a);
    case ir::Op::kExpm1: return emit_expm1(e, a);
    case ir::Op::kLog2: return emit_log2(e, a);
    case ir::Op::kLog10: return emit_log10(e, a);
    case ir::Op::kLog1p: return emit_log1p(e, a);
    case ir::Op::kSoftplus: return emit_softplus(e, a);
    case ir::Op::kMish: return emit_mish(e, a);
    case ir::Op::kSilu: return emit_silu(e, a);
    case ir::Op::kElu: return emit_elu(e, a, b);
    case ir::Op::kGeluTanh: return emit_gelu_tanh(e, a);
    // logit(x) = log(x / (1 - x)), the quotient in float32 as the interpreter.
    case ir::Op::kLogit: return emit_log(e, e.div(kS, a, e.sub(kS, e.const_f32(1.0f), a)));
    case ir::Op::kXlogy: {
      // isnan(y) ? NaN : x == 0 ? +0 : x * log(y)
      Vec r = e.zero_where(e.cmp(kS, a, e.pool_f32(0.0f), Cmp::kEq), e.mul(kS, a, emit_log(e, b)));
      return e.select(kS, e.cmp(kS, b, b, Cmp::kUnord), r, e.load_aligned(e.pool_u32(kQuietNan)));
    }
    case ir::Op::kLog: return emit_log(e, a);
    case ir::Op::kTanh: return emit_tanh(e, a);
    case ir::Op::kSigmoid: return emit_sigmoid(e, a);
    case ir::Op::kPow: {
      const ir::Node& en = k.node(n.args[1]);
      if (en.kind == ir::NodeKind::kConst) {
        const float c = static_cast<float>(en.constant);
        return emit_pow(e, a, b, &c);
      }
      return emit_pow(e, a, b, nullptr);
    }
    case ir::Op::kSin: return emit_sin(e, a);
    case ir::Op::kCos: return emit_cos(e, a);
    case ir::Op::kTan: return emit_tan(e, a);
    case ir::Op::kAsin: return emit_asin(e, a);
    case ir::Op::kAcos: return emit_acos(e, a);
    case ir::Op::kAtan: return emit_atan(e, a);
    case ir::Op::kAtan2: return emit_atan2(e, a, b);
    case ir::Op::kSinh: return emit_sinh(e, a);
    case ir::Op::kCosh: return emit_cosh(e, a);
    case ir::Op::kAsinh: return emit_asinh(e, a);
    case ir::Op::kAcosh: return emit_acosh(e, a);
    case ir::Op::kAtanh: return emit_atanh(e, a);
    case ir::Op::kErfc: return emit_erfc(e, a);
    case ir::Op::kFmod: return emit_fmod(e, a, b);
    case ir::Op::kRemainder: return emit_remainder(e, a, b);
    case ir::Op::kFloorDivide: return emit_floor_divide(e, a, b);
    case ir::Op::kEq: case ir::Op::kNe: case ir::Op::kLt: case ir::Op::kLe: case ir::Op::kGt: case ir::Op::kGe:
    case ir::Op::kWhere: case ir::Op::kLogicalAnd: case ir::Op::kLogicalOr: case ir::Op::kLogicalXor:
    case ir::Op::kLogicalNot: case ir::Op::kBitwiseAnd: case ir::Op::kBitwiseOr: case ir::Op::kBitwiseXor:
    case ir::Op::kBitwiseNot: case ir::Op::kCast: case ir::Op::kIsnan: case ir::Op::kIsinf:
    case ir::Op::kIsfinite: case ir::Op::kLogaddexp:
    case ir::Op::kSum: case ir::Op::kProd: case ir::Op::kAmax: case ir::Op::kAmin: case ir::Op::kRowSize:
      break;  // dtype_emit's (casts, predicates, where, logical, bitwise), or decomposed before the backend
  }
  return a;
}

}  // namespace

// The reduce ops (kX86 in ops.def) have no pointwise form: only row-reduction
// kernels (reduce_kernel.h) take them, around the pointwise kernels built here.
bool op_supported(ir::Op op) {
  return (ir::op_info(op).native & ir::kX86) != 0 && (ir::op_info(op).flags & ir::kReduce) == 0;
}

Status check_supported(const ir::Kernel& k) {
  std::vector<ir::DType> types;
  for (const ir::Node& n : k.nodes()) {
    if (n.kind != ir::NodeKind::kOp) continue;
    types.clear();
    for (int a : n.args) types.push_back(k.node(a).dtype);
    std::string why;
    if (!typed_op_supported(n.op, n.dtype, types, &op_supported, &why)) return Status::unsupported(why);
  }
  for (const ir::Output& o : k.outputs()) {
    if (o.layout != ir::Layout::kContiguous && o.layout != ir::Layout::kStrided) {
      return Status::unsupported(std::string("x86 backend: output layout ") + ir::layout_name(o.layout) +
                           " is not storable");
    }
  }
  if (k.num_outputs() == 0) return Status::invalid_ir("x86 backend: kernel has no outputs");
  return Status::ok();
}

namespace {

// Ops a byte kernel computes on bytes holding 0 / 1, with bool operands.
bool is_byte_op(const ir::Kernel& k, const ir::Node& n) {
  for (int a : n.args) {
    if (k.node(a).dtype != ir::DType::kBool) return false;
  }
  const ir::Op op = n.op;
  const unsigned flags = ir::op_info(op).flags;
  const bool compare = op == ir::Op::kEq || op == ir::Op::kNe || op == ir::Op::kLt || op == ir::Op::kLe ||
                       op == ir::Op::kGt || op == ir::Op::kGe;
  const bool logical = (flags & ir::kAnyIn) != 0 && (flags & ir::kBoolOut) != 0;  // logical_and/or/xor/not
  const bool minmax = op == ir::Op::kMaximum || op == ir::Op::kMinimum;  // or / and on bools
  return compare || logical || minmax || (flags & ir::kIntegral) != 0 || op == ir::Op::kWhere ||
         op == ir::Op::kCast;
}

// a, b bytes of 0 / 1; `ones` every byte 1. is_byte_op admitted n.op.
Vec emit_byte_op(VecEmitter& e, const ir::Node& n, const std::vector<Val>& val, const Mem& ones) {
  using ir::Op;
  const Op op = n.op;
  const Vec& a = val[static_cast<size_t>(n.args[0])].lo;
  const Vec& b = n.args.size() > 1 ? val[static_cast<size_t>(n.args[1])].lo : a;
  if (op == Op::kEq) return e.bit_xor(e.bit_xor(a, b), ones);
  if (op == Op::kNe || op == Op::kLogicalXor || op == Op::kBitwiseXor) return e.bit_xor(a, b);
  if (op == Op::kLt) return e.bit_andnot(a, b);                   // !a & b
  if (op == Op::kGt) return e.bit_andnot(b, a);                   // a & !b
  if (op == Op::kLe) return e.bit_xor(e.bit_andnot(b, a), ones);  // !(a > b)
  if (op == Op::kGe) return e.bit_xor(e.bit_andnot(a, b), ones);  // !(a < b)
  if (op == Op::kLogicalAnd || op == Op::kBitwiseAnd || op == Op::kMinimum) return e.bit_and(a, b);
  if (op == Op::kLogicalOr || op == Op::kBitwiseOr || op == Op::kMaximum) return e.bit_or(a, b);
  if (op == Op::kLogicalNot || op == Op::kBitwiseNot) return e.bit_xor(a, ones);
  if (op == Op::kWhere) {
    // where(c, x, y) = c & x | ~c & y: ~c & y is y where c = 0, and y & 0xFE = 0 where c = 1.
    const Vec& y = val[static_cast<size_t>(n.args[2])].lo;
    return e.bit_or(e.bit_and(a, b), e.bit_andnot(a, y));
  }
  return a;  // cast bool -> bool
}

// A uniform bool (one byte at m) in every byte of a vector.
Vec broadcast_byte(VecEmitter& e, const Mem& m) {
  ax::Compiler& cc = e.cc();
  Mem src = m;
  src.setSize(1);
  ax::Gp g = cc.newUInt32();
  cc.movzx(g, src);
  cc.imul(g, g, 0x01010101);
  ax::Xmm x = cc.newXmm();
  Vec d = e.new_vec();
  if (e.isa() == Isa::kSse41) {
    cc.movd(x, g);
    cc.emit(ax::Inst::kIdPshufd, d, x, asmjit::Imm(0));
  } else {
    cc.vmovd(x, g);
    cc.emit(ax::Inst::kIdVpbroadcastd, d, x);
  }
  return d;
}

}  // namespace

bool is_byte_kernel(const ir::Kernel& k) {
  for (const ir::Node& n : k.nodes()) {
    if (n.dtype != ir::DType::kBool) return false;
    if (n.kind == ir::NodeKind::kOp && !is_byte_op(k, n)) return false;
  }
  return true;
}

int kernel_lanes(const ir::Kernel& k, Isa isa) { return is_byte_kernel(k) ? isa_lanes(isa) * 4 : isa_lanes(isa); }

LoopBody::LoopBody(VecEmitter& e, const ir::Kernel& k, const ax::Gp& ptrs, const std::vector<int64_t>* row_strides)
    : e_(e), d_(e), k_(k), bytes_(is_byte_kernel(k)), ones_(e.pool_u32(0x01010101u)) {
  ax::Compiler& cc = e.cc();
  const auto& nodes = k.nodes();
  live_.assign(nodes.size(), 0);
  for (const ir::Output& o : k.outputs()) live_[static_cast<size_t>(o.value)] = 1;
  for (size_t i = nodes.size(); i-- > 0;) {
    if (!live_[i] || nodes[i].kind != ir::NodeKind::kOp) continue;
    for (int arg : nodes[i].args) live_[static_cast<size_t>(arg)] = 1;
  }
  val_.resize(nodes.size());
  f32_.resize(nodes.size());
  exact16_.assign(nodes.size(), 0);
  hoisted_.assign(nodes.size(), 0);
  row_hoisted_.assign(nodes.size(), 0);
  in_base_.resize(static_cast<size_t>(k.num_inputs()));
  row_stride_.assign(static_cast<size_t>(k.num_inputs()), 0);
  if (row_strides != nullptr) row_stride_ = *row_strides;
  // Stream base pointers, uniform inputs and constants, and every op whose
  // operands are all uniform (loop-invariant: computed once). A uniform input
  // points at one element of its dtype (the runner converts by-value scalars
  // to that format).
  for (size_t id = 0; id < nodes.size(); ++id) {
    const ir::Node& node = nodes[id];
    if (!live_[id]) continue;
    if (node.kind == ir::NodeKind::kOp) {
      bool all_uniform = true, row_uniform = true;
      for (int arg : node.args) {
        all_uniform = all_uniform && hoisted_[static_cast<size_t>(arg)];
        row_uniform = row_uniform && (hoisted_[static_cast<size_t>(arg)] || row_hoisted_[static_cast<size_t>(arg)]);
      }
      if (all_uniform) {
        emit_node(id);
        hoisted_[id] = 1;
      } else if (row_uniform) {
        row_hoisted_[id] = 1;  // computed per row by begin_row
      }
    } else if (node.kind == ir::NodeKind::kConst) {
      val_[id] = bytes_ ? Val{e.load_aligned(node.constant != 0.0 ? ones_ : e.pool_u32(0)), Vec()}
                        : d_.constant(node.dtype, node.constant);
      exact16_[id] = ir::dtype_size(node.dtype) == 2;
      f32_[id] = val_[id].lo;
      hoisted_[id] = 1;
    } else if (node.kind == ir::NodeKind::kInput) {
      ax::Gp p = cc.newIntPtr("in%d", node.input_index);
      cc.mov(p, ax::ptr(ptrs, node.input_index * 8));
      exact16_[id] = ir::dtype_size(node.dtype) == 2;
      if (ir::is_uniform(node.layout) && row_stride_[static_cast<size_t>(node.input_index)] > 0) {
        in_base_[static_cast<size_t>(node.input_index)] = p;  // one value per row: begin_row loads it
        row_hoisted_[id] = 1;
      } else if (ir::is_uniform(node.layout)) {
        val_[id] = bytes_ ? Val{broadcast_byte(e, ax::ptr(p)), Vec()} : d_.load_one(node.dtype, ax::ptr(p));
        f32_[id] = val_[id].lo;
        hoisted_[id] = 1;
      } else {
        in_base_[static_cast<size_t>(node.input_index)] = p;
      }
    }
  }
  for (int o = 0; o < k.num_outputs(); ++o) {
    ax::Gp p = cc.newIntPtr("out%d", o);
    cc.mov(p, ax::ptr(ptrs, (k.num_inputs() + o) * 8));
    out_base_.push_back(p);
  }
}

// exact16_[id]: an f16/bf16 value held exactly in float32 lanes (loaded, a
// constant, rounded, or a kExactResult op of such values): it needs no
// rounding, and its store is a plain narrowing.
bool LoopBody::exact_operands(const ir::Node& node) const {
  if ((ir::op_info(node.op).flags & ir::kExactResult) == 0) return false;
  for (int a : node.args) {
    const ir::DType t = k_.node(a).dtype;
    if (t != ir::DType::kBool && (t != node.dtype || !exact16_[static_cast<size_t>(a)])) return false;
  }
  return true;
}

void LoopBody::emit_node(size_t id) {
  const ir::Node& node = k_.nodes()[id];
  const bool is16 = ir::dtype_size(node.dtype) == 2;
  if (bytes_) {
    val_[id] = Val{emit_byte_op(e_, node, val_, ones_), Vec()};
  } else if (uses_f32_path(node.op, node.dtype)) {
    // float32 arithmetic; f16/bf16 results rounded to their dtype.
    Val r{emit_op(e_, k_, node, f32_), Vec()};
    val_[id] = is16 && exact_operands(node) ? r : d_.round_to(node.dtype, r);
    exact16_[id] = is16;
  } else {
    args_.clear();
    types_.clear();
    for (int a : node.args) {
      args_.push_back(val_[static_cast<size_t>(a)]);
      types_.push_back(k_.node(a).dtype);
    }
    val_[id] = d_.op(node, args_, types_);
    exact16_[id] = is16 && (node.op == ir::Op::kCast || exact_operands(node));
  }
  f32_[id] = val_[id].lo;
}

void LoopBody::begin_row(const ax::Gp& row) {
  ax::Compiler& cc = e_.cc();
  const auto& nodes = k_.nodes();
  for (size_t id = 0; id < nodes.size(); ++id) {
    const ir::Node& node = nodes[id];
    if (!live_[id] || !row_hoisted_[id]) continue;
    if (node.kind == ir::NodeKind::kInput) {
      ax::Gp p = cc.newIntPtr("row_in%d", node.input_index);
      cc.imul(p, row, row_stride_[static_cast<size_t>(node.input_index)]);
      cc.add(p, in_base_[static_cast<size_t>(node.input_index)]);
      val_[id] = d_.load_one(node.dtype, ax::ptr(p));
      f32_[id] = val_[id].lo;
    } else {
      emit_node(id);
    }
  }
}

// Operand addresses scale by their element size.
void LoopBody::compute(const ax::Gp& i, int offset) {
  const auto& nodes = k_.nodes();
  for (size_t id = 0; id < nodes.size(); ++id) {
    const ir::Node& node = nodes[id];
    if (!live_[id]) continue;
    if (node.kind == ir::NodeKind::kInput && !ir::is_uniform(node.layout)) {
      const int shift = elem_shift(node.dtype);
      const Mem m = ax::ptr(in_base_[static_cast<size_t>(node.input_index)], i, static_cast<uint32_t>(shift),
                            offset << shift);
      val_[id] = bytes_ ? Val{e_.load(m), Vec()} : d_.load(node.dtype, m);
      f32_[id] = val_[id].lo;
    } else if (node.kind == ir::NodeKind::kOp && !hoisted_[id] && !row_hoisted_[id]) {
      emit_node(id);
    }
  }
}

void LoopBody::store(int o, const ax::Gp& i, int offset) {
  const int v = out_value(o);
  const ir::DType t = k_.node(v).dtype;
  const int shift = elem_shift(t);
  const Mem m = ax::ptr(out_base_[static_cast<size_t>(o)], i, static_cast<uint32_t>(shift), offset << shift);
  if (bytes_) {
    e_.store(m, val_[static_cast<size_t>(v)].lo);
  } else if (t == ir::DType::kFloat32 && static_cast<size_t>(o) < stream_.size() && stream_[static_cast<size_t>(o)]) {
    e_.store_stream(m, val_[static_cast<size_t>(v)].lo);
  } else {
    d_.store(t, m, val_[static_cast<size_t>(v)], exact16_[static_cast<size_t>(v)] != 0);
  }
}

Status emit_kernel(ax::Compiler& cc, const ir::Kernel& k, Isa isa, asmjit::Label* entry,
                   const std::vector<char>* stream) {
  FUZE_TRY(check_supported(k));
  VecEmitter e(cc, isa);
  ax::Gp ptrs, n;
  begin_function(e, entry, &ptrs, &n);
  LoopBody body(e, k, ptrs);
  if (stream != nullptr) body.set_stream_stores(*stream);
  ax::Gp i = cc.newInt64("i");
  asmjit::Label loop = cc.newLabel();
  asmjit::Label done = cc.newLabel();
  cc.xor_(i, i);
  cc.test(n, n);
  cc.jz(done);
  cc.bind(loop);
  body.compute(i);
  for (int o = 0; o < k.num_outputs(); ++o) body.store(o, i);
  cc.add(i, body.step());
  cc.cmp(i, n);
  cc.jb(loop);
  cc.bind(done);
  cc.endFunc();
  return Status::ok();
}

void begin_function(VecEmitter& e, asmjit::Label* entry, ax::Gp* ptrs, ax::Gp* n) {
  ax::Compiler& cc = e.cc();
  asmjit::FuncNode* fn = cc.addFunc(asmjit::FuncSignatureT<void, void* const*, int64_t>());
  *entry = fn->label();
  if (e.isa() != Isa::kSse41) {
    fn->frame().setAvxEnabled();
    fn->frame().setAvxCleanup();
  }
  if (e.isa() == Isa::kAvx512) fn->frame().setAvx512Enabled();
  *ptrs = cc.newIntPtr("ptrs");
  *n = cc.newInt64("n");
  fn->setArg(0, *ptrs);
  fn->setArg(1, *n);
}

}  // namespace fuze::x86
