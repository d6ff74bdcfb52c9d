// Fused pass kernels of x86's row reductions (design: pass_codegen.h).
#include "backends/x86/pass_codegen.h"

#include <limits>
#include <string>

#include "backends/x86/codegen.h"
#include "backends/x86/loop_body.h"
#include "backends/x86/reduce_accum.h"
#include "backends/x86/vec_emitter.h"

namespace fuze::x86 {

namespace ax = asmjit::x86;
namespace Inst = ax::Inst;

namespace {

bool is_block_fold(Fold f) { return f == Fold::kSum || f == Fold::kProd; }

// One folded output's registers: a sum / prod's partials (kPartials doubles
// over kPartials / (lanes / 2) vectors, partial vector 2s + h holding half h
// of the group's sub-vector s), a max / min's best and NaN lanes per
// sub-vector.
struct Acc {
  int out = 0;
  Fold fold = Fold::kStore;
  ax::Gp state;   // the output's state (pass_codegen.h)
  ax::Gp blocks;  // where the next block's value (sum / prod) or extreme (max / min) goes
  std::vector<Vec> part;
  std::vector<Vec> best;
  std::vector<Vec> nan;          // SSE4.1 / AVX2: all-ones lanes
  std::vector<ax::KReg> nan_k;   // AVX-512
};

// r = r op b on float64 lanes, in place (a loop-carried value: no copy).
void f64_op_into(VecEmitter& e, bool mul, const Vec& r, const Vec& b) {
  if (e.isa() == Isa::kSse41) e.cc().emit(mul ? Inst::kIdMulpd : Inst::kIdAddpd, r, b);
  else e.cc().emit(mul ? Inst::kIdVmulpd : Inst::kIdVaddpd, r, r, b);
}

// The spec's 8/4/2/1 fold of the partial vectors, stored as one double at m.
// Between vectors first (partial i with i + w), then within the last vector's
// halves: zmm -> ymm -> xmm -> the low lane.
void fold_block(VecEmitter& e, bool mul, const std::vector<Vec>& part, const ax::Mem& m) {
  ax::Compiler& cc = e.cc();
  std::vector<Vec> p;
  for (size_t m2 = part.size() / 2; m2 >= 1; m2 /= 2) {
    const std::vector<Vec>& src = p.empty() ? part : p;
    std::vector<Vec> next;
    for (size_t i = 0; i < m2; ++i) next.push_back(mul ? e.mul(Fp::kF64, src[i], src[i + m2]) : e.add(Fp::kF64, src[i], src[i + m2]));
    p = std::move(next);
  }
  Vec v = p.empty() ? part[0] : p[0];
  const bool vex = e.isa() != Isa::kSse41;
  if (e.isa() == Isa::kAvx512) {
    ax::Ymm h = cc.newYmm(), r = cc.newYmm();
    cc.vextractf64x4(h, v.as<ax::Zmm>(), 1);
    cc.emit(mul ? Inst::kIdVmulpd : Inst::kIdVaddpd, r, v.ymm(), h);
    v = r;
  }
  if (vex) {
    ax::Xmm h = cc.newXmm(), r = cc.newXmm();
    cc.vextractf128(h, v.ymm(), 1);
    cc.emit(mul ? Inst::kIdVmulpd : Inst::kIdVaddpd, r, v.xmm(), h);
    v = r;
  }
  ax::Xmm h = cc.newXmm(), r = cc.newXmm();
  if (vex) {
    cc.vunpckhpd(h, v.xmm(), v.xmm());
    cc.emit(mul ? Inst::kIdVmulsd : Inst::kIdVaddsd, r, v.xmm(), h);
    cc.vmovsd(m, r);
  } else {
    cc.movapd(h, v.xmm());
    cc.unpckhpd(h, h);
    cc.movapd(r, v.xmm());
    cc.emit(mul ? Inst::kIdMulsd : Inst::kIdAddsd, r, h);
    cc.movsd(m, r);
  }
}

// v's lanes permuted by `inst` with immediate `imm` (shufps / vpermilps:
// within 128-bit lanes; vperm2f128 / vshuff32x4: across them).
Vec swapped(VecEmitter& e, const Vec& v, Inst::Id inst, int imm) {
  Vec d = e.new_vec();
  if (inst == Inst::kIdShufps) {
    e.cc().emit(Inst::kIdMovaps, d, v);
    e.cc().emit(inst, d, v, asmjit::Imm(imm));
  } else if (inst == Inst::kIdVpermilps) {
    e.cc().emit(inst, d, v, asmjit::Imm(imm));
  } else {
    e.cc().emit(inst, d, v, v, asmjit::Imm(imm));
  }
  return d;
}

// The integer n (0..16) in every float32 lane.
Vec broadcast_count(VecEmitter& e, const ax::Gp& n) {
  ax::Compiler& cc = e.cc();
  ax::Xmm x = cc.newXmm();
  Vec d = e.new_vec();
  if (e.isa() == Isa::kSse41) {
    cc.xorps(x, x);
    cc.cvtsi2ss(x, n);
    cc.emit(Inst::kIdShufps, x, x, asmjit::Imm(0));
    cc.emit(Inst::kIdMovaps, d, x);
  } else {
    cc.vxorps(x, x, x);
    cc.vcvtsi2ss(x, x, n);
    cc.emit(Inst::kIdVbroadcastss, d, x);
  }
  return d;
}

// best op= v lane-wise: max: and(max(v, best), max(best, v)), the larger
// with +0.0 over -0.0 (maxps returns its second operand on ties and NaN);
// min: or of the two mins. NaN lanes are flagged apart.
void best_into(VecEmitter& e, bool max, const Vec& best, const Vec& v) {
  if (max) e.assign(best, e.bit_and(e.max(Fp::kF32, v, best), e.max(Fp::kF32, best, v)));
  else e.assign(best, e.bit_or(e.min(Fp::kF32, v, best), e.min(Fp::kF32, best, v)));
}

// A max / min's lanes folded pairwise (order-free) into lane 0, stored with
// its NaN flag at m (float, then uint32).
void store_extreme(VecEmitter& e, Acc& a, int subs, const ax::Mem& m) {
  ax::Compiler& cc = e.cc();
  const Isa isa = e.isa();
  const bool max = a.fold == Fold::kMax;
  Vec best = e.copy(a.best[0]);
  for (int s = 1; s < subs; ++s) best_into(e, max, best, a.best[static_cast<size_t>(s)]);
  if (isa == Isa::kAvx512) {
    best_into(e, max, best, swapped(e, best, Inst::kIdVshuff32x4, 0x4E));  // 256-bit halves
    best_into(e, max, best, swapped(e, best, Inst::kIdVshuff32x4, 0xB1));  // 128-bit quarters
  } else if (isa == Isa::kAvx2) {
    best_into(e, max, best, swapped(e, best, Inst::kIdVperm2f128, 0x01));
  }
  best_into(e, max, best, swapped(e, best, isa == Isa::kSse41 ? Inst::kIdShufps : Inst::kIdVpermilps, 0x4E));
  best_into(e, max, best, swapped(e, best, isa == Isa::kSse41 ? Inst::kIdShufps : Inst::kIdVpermilps, 0xB1));
  ax::Mem mb = m;
  mb.setSize(4);
  cc.emit(isa == Isa::kSse41 ? Inst::kIdMovss : Inst::kIdVmovss, mb, best.xmm());
  ax::Gp flag = cc.newUInt32("nan");
  if (isa == Isa::kAvx512) {
    for (int s = 1; s < subs; ++s) cc.korw(a.nan_k[0], a.nan_k[0], a.nan_k[static_cast<size_t>(s)]);
    cc.kmovw(flag, a.nan_k[0]);
  } else {
    Vec nan = a.nan[0];
    for (int s = 1; s < subs; ++s) nan = e.bit_or(nan, a.nan[static_cast<size_t>(s)]);
    cc.emit(isa == Isa::kSse41 ? Inst::kIdMovmskps : Inst::kIdVmovmskps, flag, nan);
  }
  ax::Mem mf = m;
  mf.addOffset(4);
  mf.setSize(4);
  cc.mov(mf, flag);
}

// A max / min's accumulators at their start: +-inf, no NaN.
void restart_extreme(VecEmitter& e, Acc& a) {
  const float inf = std::numeric_limits<float>::infinity();
  const Vec start = e.const_f32(a.fold == Fold::kMax ? -inf : inf);
  for (const Vec& b : a.best) e.assign(b, start);
  for (const ax::KReg& k : a.nan_k) e.cc().kxorw(k, k, k);
  for (const Vec& v : a.nan) e.assign(v, e.bit_xor(start, start));
}
}  // namespace

Status emit_pass_kernel(ax::Compiler& cc, const ir::Kernel& k, const std::vector<Fold>& fold, Isa isa,
                        asmjit::Label* entry, const std::vector<int64_t>* row_strides) {
  FUZE_TRY(check_supported(k));
  if (is_byte_kernel(k) || fold.size() != static_cast<size_t>(k.num_outputs())) {
    return Status::invalid_ir("x86 backend: not a pass kernel: " + k.name());
  }
  VecEmitter e(cc, isa);
  ax::Gp ptrs, n;
  begin_function(e, entry, &ptrs, &n);
  LoopBody body(e, k, ptrs, row_strides);
  const int lanes = e.lanes();
  const int subs = kPartials / lanes;  // vectors per group of kPartials elements
  const int num_part = 2 * subs;       // float64 vectors of partials
  bool f64_fold = false;               // some folded output is f64 (its partial group needs f64 masks)
  ax::Gp row = cc.newInt64("row");     // the block's index: a row of a batch
  // The block length, after the operand pointers.
  ax::Gp block_len = cc.newInt64("block_len");
  cc.mov(block_len, ax::ptr(ptrs, (k.num_inputs() + k.num_outputs()) * 8));
  cc.mov(block_len, ax::qword_ptr(block_len));

  std::vector<Acc> accs;
  for (int o = 0; o < k.num_outputs(); ++o) {
    const Fold f = fold[static_cast<size_t>(o)];
    if (f == Fold::kStore) continue;
    const ir::DType t = body.output_dtype(o);
    if (t != ir::DType::kFloat32 && !(t == ir::DType::kFloat64 && is_block_fold(f))) {
      return Status::invalid_ir("x86 backend: pass kernel " + k.name() + " folds a " + ir::dtype_name(t) + " output");
    }
    f64_fold = f64_fold || t == ir::DType::kFloat64;
    Acc a;
    a.out = o;
    a.fold = f;
    a.state = cc.newIntPtr("state%d", o);
    cc.mov(a.state, ax::ptr(ptrs, (k.num_inputs() + o) * 8));
    a.blocks = cc.newIntPtr("blocks%d", o);
    cc.lea(a.blocks, ax::ptr(a.state, kPartials * 8));
    if (is_block_fold(f)) {
      const Vec id = e.const_f64(f == Fold::kProd ? 1.0 : 0.0);
      for (int j = 0; j < num_part; ++j) {
        a.part.push_back(e.copy(id));
        e.store(ax::ptr(a.state, j * e.bytes()), id);  // no trailing block yet: the identity
      }
    } else {
      for (int s = 0; s < subs; ++s) {
        a.best.push_back(e.new_vec());
        if (isa == Isa::kAvx512) a.nan_k.push_back(cc.newKw());
        else a.nan.push_back(e.new_vec());
      }
    }
    accs.push_back(std::move(a));
  }

  // for (i = 0; i < n;) { a block: groups of kPartials up to
  //   min(i + block_len, n); complete: its value out, else its partials too }
  ax::Gp i = cc.newInt64("i"), block_start = cc.newInt64("block_start"), block_end = cc.newInt64("block_end");
  asmjit::Label outer = cc.newLabel(), inner = cc.newLabel(), partial = cc.newLabel(), next = cc.newLabel(),
                done = cc.newLabel();
  cc.xor_(i, i);
  cc.xor_(row, row);
  cc.test(n, n);
  cc.jz(done);
  cc.bind(outer);
  body.begin_row(row);
  for (Acc& a : accs) {
    if (!is_block_fold(a.fold)) {
      restart_extreme(e, a);
      continue;
    }
    const Vec id = e.const_f64(a.fold == Fold::kProd ? 1.0 : 0.0);
    for (const Vec& p : a.part) e.assign(p, id);
  }
  cc.mov(block_start, i);
  cc.lea(block_end, ax::ptr(i, block_len));
  cc.cmp(block_end, n);
  cc.cmovg(block_end, n);
  // One group of kPartials elements from i; `valid` (per sub-vector, or
  // empty): the lanes before the block's end, the others folding as the
  // identity (a batch row's last, partial group).
  auto group = [&](const std::vector<Mask>& valid, const std::vector<Mask>& valid_lo, const std::vector<Mask>& valid_hi) {
    for (int s = 0; s < subs; ++s) {
      const size_t si = static_cast<size_t>(s);
      body.compute(i, s * lanes);
      for (int o = 0; o < k.num_outputs(); ++o) {
        if (fold[static_cast<size_t>(o)] == Fold::kStore) body.store(o, i, s * lanes);
      }
      for (Acc& a : accs) {
        const Val& v = body.output(a.out);
        const bool max = a.fold == Fold::kMax;
        if (is_block_fold(a.fold)) {
          const bool mul = a.fold == Fold::kProd;
          const bool f64 = body.output_dtype(a.out) == ir::DType::kFloat64;
          Vec lo, hi;
          if (f64) {
            lo = v.lo;
            hi = v.hi;
            if (!valid.empty()) {
              const Vec id = e.const_f64(mul ? 1.0 : 0.0);
              lo = e.select(Fp::kF64, valid_lo[si], id, lo);
              hi = e.select(Fp::kF64, valid_hi[si], id, hi);
            }
          } else {
            const Vec x = valid.empty() ? v.lo : e.select(Fp::kF32, valid[si], e.const_f32(mul ? 1.0f : 0.0f), v.lo);
            lo = e.f32_lo_to_f64(x);
            hi = e.f32_hi_to_f64(x);
          }
          f64_op_into(e, mul, a.part[2 * si], lo);
          f64_op_into(e, mul, a.part[2 * si + 1], hi);
          continue;
        }
        const float inf = std::numeric_limits<float>::infinity();
        const Vec x = valid.empty() ? v.lo : e.select(Fp::kF32, valid[si], e.const_f32(max ? -inf : inf), v.lo);
        best_into(e, max, a.best[si], x);
        const Mask m = e.cmp(Fp::kF32, x, x, Cmp::kUnord);
        if (isa == Isa::kAvx512) cc.korw(a.nan_k[si], a.nan_k[si], m.k);
        else e.assign(a.nan[si], e.bit_or(a.nan[si], m.v));
      }
    }
  };
  asmjit::Label last = cc.newLabel(), block_done = cc.newLabel();
  ax::Gp rest = cc.newInt64("rest");
  cc.bind(inner);
  cc.mov(rest, block_end);
  cc.sub(rest, i);
  cc.cmp(rest, kPartials);
  cc.jb(last);
  group({}, {}, {});
  cc.add(i, kPartials);
  cc.cmp(i, block_end);
  cc.jb(inner);
  cc.jmp(block_done);
  // rest = 1..15 elements (only where a block is not a multiple of kPartials).
  cc.bind(last);
  {
    std::vector<Mask> valid, valid_lo, valid_hi;
    const Vec count = broadcast_count(e, rest);
    const Vec count_d = f64_fold ? e.f32_lo_to_f64(count) : Vec();
    float iota[16];
    for (int l = 0; l < lanes; ++l) iota[l] = static_cast<float>(l);
    const Vec lane = e.load_aligned(e.pool_table_f32(iota, lanes));
    for (int s = 0; s < subs; ++s) {
      const Vec at = s == 0 ? lane : e.add(Fp::kF32, lane, e.pool_f32(static_cast<float>(s * lanes)));
      valid.push_back(e.cmp(Fp::kF32, at, count, Cmp::kLt));
      if (!f64_fold) continue;
      valid_lo.push_back(e.cmp(Fp::kF64, e.f32_lo_to_f64(at), count_d, Cmp::kLt));
      valid_hi.push_back(e.cmp(Fp::kF64, e.f32_hi_to_f64(at), count_d, Cmp::kLt));
    }
    group(valid, valid_lo, valid_hi);
  }
  cc.mov(i, block_end);
  cc.bind(block_done);
  // The block's end: its extremes out; complete (block_len elements) or the
  // trailing part of n.
  for (Acc& a : accs) {
    if (is_block_fold(a.fold)) continue;
    store_extreme(e, a, subs, ax::ptr(a.blocks));
    cc.add(a.blocks, 8);
  }
  cc.mov(block_end, i);
  cc.sub(block_end, block_start);
  cc.cmp(block_end, block_len);
  cc.jne(partial);
  for (Acc& a : accs) {
    if (!is_block_fold(a.fold)) continue;
    fold_block(e, a.fold == Fold::kProd, a.part, ax::qword_ptr(a.blocks));
    cc.add(a.blocks, 8);
  }
  cc.jmp(next);
  cc.bind(partial);
  for (Acc& a : accs) {
    if (!is_block_fold(a.fold)) continue;
    for (size_t j = 0; j < a.part.size(); ++j) e.store(ax::ptr(a.state, static_cast<int32_t>(j) * e.bytes()), a.part[j]);
    fold_block(e, a.fold == Fold::kProd, a.part, ax::qword_ptr(a.blocks));
  }
  cc.bind(next);
  cc.inc(row);
  cc.cmp(i, n);
  cc.jb(outer);
  cc.bind(done);
  cc.endFunc();
  return Status::ok();
}

}  // namespace fuze::x86
