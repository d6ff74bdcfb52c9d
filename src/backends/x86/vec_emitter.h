// A thin width-agnostic layer over asmjit's x86::Compiler: one call per vector
// operation, emitted as SSE4.1 (two-operand legacy forms, no FMA), AVX2+FMA
// (VEX, ymm) or AVX-512F (EVEX, zmm, k-register masks). Every result is a fresh
// virtual register (SSA style); the register allocator coalesces the copies.
// Private to the x86 backend (includes asmjit).
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "backends/x86/isa.h"

namespace fuze::x86 {

using asmjit::Operand;
using asmjit::x86::Mem;
using asmjit::x86::Vec;

enum class Fp : uint8_t { kF32, kF64 };

// Ordered, quiet-on-NaN predicates (the 0..7 encodings shared by SSE and AVX),
// and kNle: "not a <= b", true for NaN operands too (the signalling encoding
// 6: exceptions are masked, so only the invalid flag could differ).
enum class Cmp : uint8_t { kEq = 0, kLt = 1, kLe = 2, kUnord = 3, kNeq = 4, kNle = 6, kOrd = 7 };

// A lane mask: all-ones / all-zeros lanes in a vector (SSE, AVX2) or a k
// register (AVX-512).
struct Mask {
  Vec v;
  asmjit::x86::KReg k;
};

class VecEmitter {
 public:
  VecEmitter(asmjit::x86::Compiler& cc, Isa isa);

  asmjit::x86::Compiler& cc() { return cc_; }
  Isa isa() const { return isa_; }
  int lanes() const { return isa_lanes(isa_); }  // float32 lanes
  int bytes() const { return lanes() * 4; }
  bool has_fma() const { return isa_ != Isa::kSse41; }

  Vec new_vec();

  // Full-width constants in the function's local constant pool (aligned).
  Mem pool_f32(float v);
  Mem pool_u32(uint32_t bits);
  Mem pool_f64(double v);
  Mem pool_u64(uint64_t bits);
  Vec const_f32(float v) { return load_aligned(pool_f32(v)); }
  Vec const_f64(double v) { return load_aligned(pool_f64(v)); }
  // A table of n <= lanes() float32 values / 32-bit patterns, lane i = v[i]
  // (the rest 0).
  Mem pool_table_f32(const float* v, int n);
  Mem pool_table_u32(const uint32_t* v, int n);

  Vec copy(const Vec& a);
  // dst = a, into an existing register (a value set on two paths of a branch).
  void assign(const Vec& dst, const Vec& a);
  // Jumps to `to` when no lane of m is set.
  void jump_if_none(const Mask& m, const asmjit::Label& to);
  Vec load(const Mem& m);  // unaligned, full width
  Vec load_aligned(const Mem& m);
  void store(const Mem& m, const Vec& v);  // unaligned, full width
  // Non-temporal (movntps): m aligned to the full width; weakly ordered
  // (sfence before another thread may read it).
  void store_stream(const Mem& m, const Vec& v);
  Vec broadcast_f32(const Mem& m);         // one float32 to every lane

  // Arithmetic on float32 (kF32) or float64 (kF64) lanes; `b` may be a
  // register or a memory operand (pool constants).
  Vec add(Fp t, const Vec& a, const Operand& b);
  Vec sub(Fp t, const Vec& a, const Operand& b);
  Vec mul(Fp t, const Vec& a, const Operand& b);
  Vec div(Fp t, const Vec& a, const Operand& b);
  Vec min(Fp t, const Vec& a, const Operand& b);  // a < b ? a : b  (NaN: b)
  Vec max(Fp t, const Vec& a, const Operand& b);  // a > b ? a : b  (NaN: b)
  Vec sqrt(Fp t, const Vec& a);
  Vec fma(Fp t, const Vec& a, const Vec& b, const Operand& c);   // a*b + c (one rounding except SSE)
  Vec fnma(Fp t, const Vec& a, const Vec& b, const Operand& c);  // c - a*b
  Vec fnma(Fp t, const Vec& a, const Mem& b, const Vec& c);      // c - a*b, b in memory (231 form)
  Vec round(Fp t, const Vec& a, int mode);  // mode 0: nearest-even, 3: toward zero
  // float32 reciprocal estimate: AVX-512 vrcp14ps (relative error < 2^-14,
  // denormal results kept), AVX2 vrcpps / SSE rcpps (< 1.5 * 2^-12; results
  // below 2^-126 flushed to 0, so only for |a| < 2^126).
  Vec rcp(const Vec& a);
  // Lane i = table lane (idx lane i mod lanes()): vpermps, whose index is the
  // low 3 (ymm) or 4 (zmm) bits of each 32-bit lane of idx. AVX2 and AVX-512.
  Vec permute_f32(const Vec& idx, const Mem& table);

  // Bitwise, any lane type.
  Vec bit_and(const Vec& a, const Operand& b);
  Vec bit_andnot(const Vec& a, const Operand& b);  // ~a & b
  Vec bit_or(const Vec& a, const Operand& b);
  Vec bit_xor(const Vec& a, const Operand& b);
  Vec or_and(const Vec& a, const Vec& b, const Operand& c);  // a | (b & c): one vpternlogd on AVX-512
  // 32-bit integer lanes.
  Vec add_d(const Vec& a, const Operand& b);
  Vec sub_d(const Vec& a, const Operand& b);
  Vec shl_d(const Vec& a, int bits);
  Vec sra_d(const Vec& a, int bits);  // arithmetic
  // 64-bit integer lanes.
  Vec add_q(const Vec& a, const Operand& b);
  Vec shl_q(const Vec& a, int bits);
  Vec shr_q(const Vec& a, int bits);

  Mask cmp(Fp t, const Vec& a, const Operand& b, Cmp pred);
  Mask mask_or(const Mask& a, const Mask& b);
  Mask mask_and(const Mask& a, const Mask& b);
  Mask mask_andnot(const Mask& a, const Mask& b);  // ~a & b
  Vec select(Fp t, const Mask& m, const Vec& a, const Operand& b);  // m ? b : a (b: a register or memory)
  Vec zero_where(const Mask& m, const Vec& a);                   // m ? +0 : a
  Vec keep_where(const Mask& m, const Vec& a);                   // m ? a : +0

  // NaN-clean float32 vectors: every NaN lane has zero low 16 bits, so that
  // rounding it to bf16 needs no NaN fix-up (the rounding increment cannot
  // carry out of the low half). Marked by the caller for loaded and rounded
  // bf16 values; kept by IEEE float32 arithmetic (add, sub, mul, div, min,
  // max, sqrt, fma, fnma), select and copy whose operands are all
  // clean (pool constants are, unless a NaN pattern with low bits): such a
  // NaN result is one of its NaN operands, quieted, or the default NaN
  // 0xFFC00000. Integer and bitwise results are never clean.
  void mark_nan_clean(const Vec& v) { nan_clean_.insert(v.id()); }
  bool nan_clean(const Vec& v) const { return nan_clean_.count(v.id()) != 0; }

  // float32 <-> float64: the low / high half of a float32 vector widened to
  // a full float64 vector, and two float64 vectors narrowed into one float32.
  Vec f32_lo_to_f64(const Vec& f);
  Vec f32_hi_to_f64(const Vec& f);
  Vec f64_to_f32(const Vec& lo, const Vec& hi);
  // A float64 vector rounded to float32 precision and range (denormals, 0,
  // inf as a float32 store would give) and widened back.
  Vec f64_round_f32(const Vec& d);

 private:
  Vec bin(uint32_t sse_id, uint32_t vex_id, const Vec& a, const Operand& b);
  Mem pool_bytes(const void* lane, int lane_size);
  bool clean_operand(const Operand& o) const;
  Vec select_bits(Fp t, const Mask& m, const Vec& a, const Operand& b);
  // d, marked NaN-clean when t is kF32 and every operand is clean.
  Vec keep_clean(Fp t, const Vec& d, const Operand& a, const Operand& b = Operand(), const Operand& c = Operand());

  asmjit::x86::Compiler& cc_;
  Isa isa_;
  std::unordered_map<uint32_t, Mem> pool32_;
  std::unordered_map<uint64_t, Mem> pool64_;
  std::unordered_set<uint32_t> nan_clean_;  // virtual register ids
  std::unordered_set<uint64_t> unclean_pool_;  // (label id << 32) | offset of pool entries that are not
};

}  // namespace fuze::x86
