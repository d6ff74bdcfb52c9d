// Every dtype of kernel IR in the x86 loop: loads, stores, casts and the ops
// that are not float32 arithmetic (integers, bool, float64, comparisons,
// where, logical and bitwise ops), bit-identical to the interpreter
// (src/backends/interp/scalar_ops.h is the spec). Private to the x86 backend.
//
// Register layout. One loop iteration handles L = isa_lanes(isa) elements
// (the float32 lane count: 4 SSE4.1, 8 AVX2, 16 AVX-512). A value is a Val:
//   f32, f16, bf16  one vector of float32 lanes; f16/bf16 values are kept
//                   already rounded to their dtype (every op rounds its result,
//                   as the interpreter does), so every float32 op of emit_op
//                   serves them too.
//   i32             one vector of int32 lanes.
//   bool            one vector of int32 lanes holding 0 or 1.
//   i64, f64        two vectors of 64-bit lanes: `lo` holds elements 0..L/2-1,
//                   `hi` elements L/2..L-1.
// In memory, elements have their dtype's size (bool 1 byte, f16/bf16 2, ...):
// loads widen (pmovzx) and stores narrow (pack / vpmov*) to that layout.
//
// Everything is built from SSE4.1, AVX2 and AVX-512 (x86-64-v4) instructions
// (no F16C), so every dtype works at every level:
//   - f16 and bf16 conversions are integer arithmetic (round to nearest even,
//     NaN -> the quiet NaN with the input's sign (f16) / 0x7FC0 (bf16), as
//     the interpreter);
//   - 64-bit multiply is three pmuludq; int64 <-> float64 use exact
//     split-and-bias sequences; int64 -> float32 rounds to odd at bit 11 first
//     (|x| >= 2^53) so the float64 -> float32 step rounds once, correctly
//     (AVX-512: DQ's vcvtqq2ps / vcvtqq2pd / vcvttpd2qq, the same results);
//   - signed 64-bit compares at SSE4.1 (no pcmpgtq) combine 32-bit compares.
// Bool storage is assumed to hold 0 or 1 (as PyTorch and the interpreter do).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "backends/x86/vec_emitter.h"
#include "fuze/ir/kernel.h"

namespace fuze::x86 {

struct Val {
  Vec lo;
  Vec hi;  // 64-bit dtypes only
};

// i64 and f64: two vectors per value.
inline bool is_wide(ir::DType t) { return t == ir::DType::kInt64 || t == ir::DType::kFloat64; }
// f32, f16, bf16: float32 lanes.
inline bool computes_in_f32(ir::DType t) {
  return t == ir::DType::kFloat32 || t == ir::DType::kFloat16 || t == ir::DType::kBFloat16;
}
// log2 of the element size in memory.
int elem_shift(ir::DType t);

// Whether a node `op` with result dtype `result` goes through codegen's
// emit_op (float32 arithmetic, then rounded to f16/bf16): the result computes
// in float32 lanes and the op is none of DtypeEmitter::op's (casts, where,
// comparisons, logical ops, isnan/isinf/isfinite, and nan_to_num on f16/bf16,
// whose replacement for inf is the dtype's largest value).
bool uses_f32_path(ir::Op op, ir::DType result);

// Whether x86 compiles a node of `op` with these dtypes (dtypes assumed valid
// for the op); if not, *why names the op and dtype. `f32_op_supported` is
// codegen's op_supported (emit_op's float32 list).
bool typed_op_supported(ir::Op op, ir::DType result, const std::vector<ir::DType>& operands,
                        bool (*f32_op_supported)(ir::Op), std::string* why);

// A double converted to dtype t as the interpreter converts constants and
// scalars (cast_value, then f16/bf16 rounding), written in t's storage format
// (8 bytes at most) to `out`.
void scalar_to_storage(ir::DType t, double v, void* out);

class DtypeEmitter {
 public:
  explicit DtypeEmitter(VecEmitter& e);

  // L elements of dtype t at m (memory in t's storage format).
  Val load(ir::DType t, const Mem& m);
  // `exact`: an f16/bf16 value already exact in t (bf16: narrowed by a shift;
  // a NaN keeps its payload, which the bit-equality contract leaves free).
  void store(ir::DType t, const Mem& m, const Val& v, bool exact = false);
  // One element at m, in every lane.
  Val load_one(ir::DType t, const Mem& m);
  // A constant of dtype t (converted as scalar_to_storage does).
  Val constant(ir::DType t, double v);

  // Cast (the interpreter's cast_value, then rounding to f16/bf16).
  Val cast(ir::DType to, ir::DType from, const Val& v);
  // float32 lanes rounded to f16 / bf16 precision (unchanged for other dtypes).
  Val round_to(ir::DType t, const Val& v);

  // A node that does not take the float32 path (uses_f32_path false):
  // `args` and `types` are its operands' values and dtypes.
  Val op(const ir::Node& n, const std::vector<Val>& args, const std::vector<ir::DType>& types);

 private:
  enum class Pred : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

  Vec op1(uint32_t sse_id, uint32_t avx_id, const Vec& a);
  Vec op2(uint32_t sse_id, uint32_t avx_id, const Vec& a, const Operand& b);
  Vec zero();
  Vec not_bits(const Vec& a);
  Vec shr_d(const Vec& a, int bits);  // logical
  // Half of a 32-bit-lane vector (elements 0..L/2-1, or L/2.. when `high`)
  // widened to 64-bit lanes by `sse_id` / `avx_id` (cvtdq2pd, pmovsxdq).
  Vec widen(uint32_t sse_id, uint32_t avx_id, const Vec& v, bool high);
  // Two vectors of 64-bit lanes narrowed by a 64 -> 32 conversion (cvttpd2dq).
  Vec narrow(uint32_t sse_id, uint32_t avx_id, const Vec& lo, const Vec& hi);
  // The low 32 bits of every 64-bit lane of lo, then hi, in element order.
  Vec pack_lo32(const Vec& lo, const Vec& hi);

  // Masks. Integer compares (signed), float compares (ordered; kNe unordered).
  Mask icmp(bool wide, const Vec& a, const Vec& b, Pred p);
  Mask fcmp(Fp t, const Vec& a, const Vec& b, Pred p);
  Vec gt64_sse(const Vec& a, const Vec& b);
  Vec mask_to_bool(const Mask& m);                      // 32-bit lanes -> 0/1
  Vec masks64_to_bool(const Mask& lo, const Mask& hi);  // 64-bit lane pair -> 0/1
  Mask bool_mask(const Vec& b);                         // 0/1 -> 32-bit lane mask
  void bool_masks64(const Vec& b, Mask* lo, Mask* hi);  // 0/1 -> 64-bit lane masks
  Vec nonzero(ir::DType t, const Val& v);               // x != 0 as 0/1

  // Conversions.
  Vec half_bits(const Vec& f);    // float32 lanes -> f16 bits (0..0xFFFF per lane)
  Vec half_value(const Vec& h);   // f16 bits -> float32 lanes
  Vec bf16_bits(const Vec& f);
  Vec bf16_round(const Vec& f);  // f rounded to bf16, as a float32 (bf16_bits << 16)
  Vec bf16_round_hi(const Vec& f);  // bf16_round's bits in the high halves, the low ones left
  Vec high_words_avx2(const Vec& v);  // AVX2: the 16-bit high halves of v's lanes, in an xmm
  Vec i64_to_f64(const Vec& x);
  Vec f64_to_i64(const Vec& d);
  Vec i64_to_f32(const Vec& lo, const Vec& hi);
  Vec to_f32(ir::DType from, const Val& v);  // cast to float32 (before f16/bf16 rounding)
  Val from_storage(ir::DType t, const Vec& v32);  // widened 1/2-byte elements -> Val

  Vec mul_q(const Vec& a, const Vec& b);
  Vec sign_mask64(const Vec& a);  // all-ones in 64-bit lanes holding a negative value
  Val predicate(ir::Op op, ir::DType t, const Val& a, const Val& b);
  Val int_op(ir::Op op, ir::DType t, const Val& a, const Val& b);
  Vec f64_op(ir::Op op, const Vec& a, const Vec& b, const Vec& c);
  Vec nan_to_num(Fp t, const Vec& a, double max);

  // bf16_round's results: the value before the final mask and the mask's
  // instruction node (nullptr once removed). An AVX2 store of such a value
  // takes the high halves of the unmasked one and drops the mask when
  // nothing after it reads the rounded value (off the store's chain).
  struct Rounded {
    Vec hi;
    asmjit::BaseNode* mask_node;
  };
  std::unordered_map<uint32_t, Rounded> rounded_;
  Vec unmasked_for_store(const Vec& v);

  VecEmitter& e_;
  asmjit::x86::Compiler& cc_;
  Isa isa_;
};

}  // namespace fuze::x86
