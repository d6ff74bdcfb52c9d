#include "backends/x86/vec_emitter.h"

#include <algorithm>
#include <cstring>

namespace fuze::x86 {

namespace ax = asmjit::x86;
namespace Inst = ax::Inst;

VecEmitter::VecEmitter(ax::Compiler& cc, Isa isa) : cc_(cc), isa_(isa) {}

Vec VecEmitter::new_vec() {
  switch (isa_) {
    case Isa::kSse41: return cc_.newXmm();
    case Isa::kAvx2: return cc_.newYmm();
    case Isa::kAvx512: return cc_.newZmm();
  }
  return cc_.newXmm();
}

namespace {
// A float32 NaN pattern with nonzero low 16 bits (not NaN-clean).
bool unclean_bits(uint32_t b) { return (b & 0x7F800000u) == 0x7F800000u && (b & 0x7FFFFFu) != 0 && (b & 0xFFFFu) != 0; }
uint64_t pool_key(const Mem& m) { return (static_cast<uint64_t>(m.baseId()) << 32) | m.offsetLo32(); }
}  // namespace

Mem VecEmitter::pool_bytes(const void* lane, int lane_size) {
  alignas(64) unsigned char buf[64];
  for (int off = 0; off < bytes(); off += lane_size) std::memcpy(buf + off, lane, static_cast<size_t>(lane_size));
  Mem m = cc_.newConst(asmjit::ConstPoolScope::kLocal, buf, static_cast<size_t>(bytes()));
  uint32_t b;
  std::memcpy(&b, lane, 4);
  if (lane_size != 4 || unclean_bits(b)) unclean_pool_.insert(pool_key(m));
  return m;
}

bool VecEmitter::clean_operand(const Operand& o) const {
  if (o.isNone()) return true;
  if (o.isReg()) return nan_clean(o.as<Vec>());
  if (o.isMem()) {
    const Mem& m = o.as<Mem>();
    return m.hasBaseLabel() && unclean_pool_.count(pool_key(m)) == 0;
  }
  return false;
}

Vec VecEmitter::keep_clean(Fp t, const Vec& d, const Operand& a, const Operand& b, const Operand& c) {
  if (t == Fp::kF32 && clean_operand(a) && clean_operand(b) && clean_operand(c)) {
    mark_nan_clean(d);
  } else {
    nan_clean_.erase(d.id());  // d may be a copy of a clean value, overwritten
  }
  return d;
}

Mem VecEmitter::pool_table_u32(const uint32_t* v, int n) {
  alignas(64) uint32_t buf[16] = {};
  bool unclean = false;
  for (int i = 0; i < n && i < lanes(); ++i) {
    buf[i] = v[i];
    unclean = unclean || unclean_bits(v[i]);
  }
  Mem m = cc_.newConst(asmjit::ConstPoolScope::kLocal, buf, static_cast<size_t>(bytes()));
  if (unclean) unclean_pool_.insert(pool_key(m));
  return m;
}
Mem VecEmitter::pool_table_f32(const float* v, int n) {
  uint32_t bits[16] = {};
  std::memcpy(bits, v, static_cast<size_t>(std::min(n, 16)) * 4);
  return pool_table_u32(bits, n);
}

Mem VecEmitter::pool_u32(uint32_t bits) {
  auto it = pool32_.find(bits);
  if (it != pool32_.end()) return it->second;
  Mem m = pool_bytes(&bits, 4);
  pool32_.emplace(bits, m);
  return m;
}
Mem VecEmitter::pool_f32(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return pool_u32(bits);
}
Mem VecEmitter::pool_u64(uint64_t bits) {
  auto it = pool64_.find(bits);
  if (it != pool64_.end()) return it->second;
  Mem m = pool_bytes(&bits, 8);
  pool64_.emplace(bits, m);
  return m;
}
Mem VecEmitter::pool_f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  return pool_u64(bits);
}

Vec VecEmitter::copy(const Vec& a) {
  Vec d = new_vec();
  cc_.emit(isa_ == Isa::kSse41 ? Inst::kIdMovaps : Inst::kIdVmovaps, d, a);
  return keep_clean(Fp::kF32, d, a);
}

void VecEmitter::assign(const Vec& dst, const Vec& a) {
  cc_.emit(isa_ == Isa::kSse41 ? Inst::kIdMovaps : Inst::kIdVmovaps, dst, a);
  if (!nan_clean(a)) nan_clean_.erase(dst.id());  // clean only if every value it is given is
}

void VecEmitter::jump_if_none(const Mask& m, const asmjit::Label& to) {
  if (isa_ == Isa::kAvx512) {
    cc_.kortestw(m.k, m.k);
  } else {
    cc_.emit(isa_ == Isa::kSse41 ? Inst::kIdPtest : Inst::kIdVptest, m.v, m.v);
  }
  cc_.jz(to);
}

Vec VecEmitter::load(const Mem& m) {
  Vec d = new_vec();
  cc_.emit(isa_ == Isa::kSse41 ? Inst::kIdMovups : Inst::kIdVmovups, d, m);
  return d;
}

Vec VecEmitter::load_aligned(const Mem& m) {
  Vec d = new_vec();
  cc_.emit(isa_ == Isa::kSse41 ? Inst::kIdMovaps : Inst::kIdVmovaps, d, m);
  return keep_clean(Fp::kF32, d, m);  // a pool constant's cleanness
}

void VecEmitter::store(const Mem& m, const Vec& v) {
  cc_.emit(isa_ == Isa::kSse41 ? Inst::kIdMovups : Inst::kIdVmovups, m, v);
}

void VecEmitter::store_stream(const Mem& m, const Vec& v) {
  cc_.emit(isa_ == Isa::kSse41 ? Inst::kIdMovntps : Inst::kIdVmovntps, m, v);
}

Vec VecEmitter::broadcast_f32(const Mem& m) {
  Vec d = new_vec();
  if (isa_ == Isa::kSse41) {
    cc_.emit(Inst::kIdMovss, d, m);
    cc_.emit(Inst::kIdShufps, d, d, asmjit::Imm(0));
  } else {
    cc_.emit(Inst::kIdVbroadcastss, d, m);
  }
  return d;
}

Vec VecEmitter::bin(uint32_t sse_id, uint32_t vex_id, const Vec& a, const Operand& b) {
  Vec d = new_vec();
  if (isa_ == Isa::kSse41) {
    cc_.emit(Inst::kIdMovaps, d, a);
    cc_.emit(sse_id, d, b);
  } else {
    cc_.emit(vex_id, d, a, b);
  }
  return d;
}

#define FUZE_FP_BIN(fn, op, low)                                                                   \
  Vec VecEmitter::fn(Fp t, const Vec& a, const Operand& b) {                                  \
    return keep_clean(t, t == Fp::kF32 ? bin(Inst::kId##op##ps, Inst::kIdV##low##ps, a, b)     \
                                       : bin(Inst::kId##op##pd, Inst::kIdV##low##pd, a, b),    \
                      a, b);                                                                   \
  }
FUZE_FP_BIN(add, Add, add)
FUZE_FP_BIN(sub, Sub, sub)
FUZE_FP_BIN(mul, Mul, mul)
FUZE_FP_BIN(div, Div, div)
FUZE_FP_BIN(min, Min, min)
FUZE_FP_BIN(max, Max, max)
#undef FUZE_FP_BIN

Vec VecEmitter::sqrt(Fp t, const Vec& a) {
  Vec d = new_vec();
  if (isa_ == Isa::kSse41) {
    cc_.emit(t == Fp::kF32 ? Inst::kIdSqrtps : Inst::kIdSqrtpd, d, a);
  } else {
    cc_.emit(t == Fp::kF32 ? Inst::kIdVsqrtps : Inst::kIdVsqrtpd, d, a);
  }
  return keep_clean(t, d, a);
}

Vec VecEmitter::fma(Fp t, const Vec& a, const Vec& b, const Operand& c) {
  if (isa_ == Isa::kSse41) return add(t, mul(t, a, b), c);
  Vec d = copy(a);
  cc_.emit(t == Fp::kF32 ? Inst::kIdVfmadd213ps : Inst::kIdVfmadd213pd, d, b, c);
  return keep_clean(t, d, a, b, c);
}

Vec VecEmitter::fnma(Fp t, const Vec& a, const Vec& b, const Operand& c) {
  if (isa_ == Isa::kSse41) {
    // c - a*b: c may be memory, so load it first.
    Vec cv = c.isMem() ? load_aligned(c.as<Mem>()) : c.as<Vec>();
    return sub(t, cv, mul(t, a, b));
  }
  Vec d = copy(a);
  cc_.emit(t == Fp::kF32 ? Inst::kIdVfnmadd213ps : Inst::kIdVfnmadd213pd, d, b, c);
  return keep_clean(t, d, a, b, c);
}

Vec VecEmitter::fnma(Fp t, const Vec& a, const Mem& b, const Vec& c) {
  if (isa_ == Isa::kSse41) return sub(t, c, mul(t, a, b));
  Vec d = copy(c);
  cc_.emit(t == Fp::kF32 ? Inst::kIdVfnmadd231ps : Inst::kIdVfnmadd231pd, d, a, b);
  return keep_clean(t, d, a, b, c);
}

Vec VecEmitter::round(Fp t, const Vec& a, int mode) {
  Vec d = new_vec();
  const asmjit::Imm imm(mode | 8);  // 8: suppress the precision exception
  switch (isa_) {
    case Isa::kSse41: cc_.emit(t == Fp::kF32 ? Inst::kIdRoundps : Inst::kIdRoundpd, d, a, imm); break;
    case Isa::kAvx2: cc_.emit(t == Fp::kF32 ? Inst::kIdVroundps : Inst::kIdVroundpd, d, a, imm); break;
    case Isa::kAvx512: cc_.emit(t == Fp::kF32 ? Inst::kIdVrndscaleps : Inst::kIdVrndscalepd, d, a, imm); break;
  }
  return d;
}

Vec VecEmitter::rcp(const Vec& a) {
  Vec d = new_vec();
  switch (isa_) {
    case Isa::kSse41: cc_.emit(Inst::kIdRcpps, d, a); break;
    case Isa::kAvx2: cc_.emit(Inst::kIdVrcpps, d, a); break;
    case Isa::kAvx512: cc_.emit(Inst::kIdVrcp14ps, d, a); break;
  }
  return d;
}

Vec VecEmitter::permute_f32(const Vec& idx, const Mem& table) {
  Vec d = new_vec();
  cc_.emit(Inst::kIdVpermps, d, idx, table);
  return d;
}

// AVX-512F has no vandps on zmm (that is AVX512DQ): use the integer forms.
Vec VecEmitter::bit_and(const Vec& a, const Operand& b) {
  return bin(Inst::kIdAndps, isa_ == Isa::kAvx512 ? Inst::kIdVpandd : Inst::kIdVandps, a, b);
}
Vec VecEmitter::bit_andnot(const Vec& a, const Operand& b) {
  return bin(Inst::kIdAndnps, isa_ == Isa::kAvx512 ? Inst::kIdVpandnd : Inst::kIdVandnps, a, b);
}
Vec VecEmitter::bit_or(const Vec& a, const Operand& b) {
  return bin(Inst::kIdOrps, isa_ == Isa::kAvx512 ? Inst::kIdVpord : Inst::kIdVorps, a, b);
}
Vec VecEmitter::bit_xor(const Vec& a, const Operand& b) {
  return bin(Inst::kIdXorps, isa_ == Isa::kAvx512 ? Inst::kIdVpxord : Inst::kIdVxorps, a, b);
}
Vec VecEmitter::or_and(const Vec& a, const Vec& b, const Operand& c) {
  if (isa_ != Isa::kAvx512) return bit_or(a, bit_and(b, c));
  Vec d = copy(a);
  cc_.emit(Inst::kIdVpternlogd, d, b, c, asmjit::Imm(0xF8));  // A | (B & C)
  return d;
}
Vec VecEmitter::add_d(const Vec& a, const Operand& b) { return bin(Inst::kIdPaddd, Inst::kIdVpaddd, a, b); }
Vec VecEmitter::sub_d(const Vec& a, const Operand& b) { return bin(Inst::kIdPsubd, Inst::kIdVpsubd, a, b); }
Vec VecEmitter::shl_d(const Vec& a, int bits) { return bin(Inst::kIdPslld, Inst::kIdVpslld, a, asmjit::Imm(bits)); }
Vec VecEmitter::sra_d(const Vec& a, int bits) { return bin(Inst::kIdPsrad, Inst::kIdVpsrad, a, asmjit::Imm(bits)); }
Vec VecEmitter::add_q(const Vec& a, const Operand& b) { return bin(Inst::kIdPaddq, Inst::kIdVpaddq, a, b); }
Vec VecEmitter::shl_q(const Vec& a, int bits) { return bin(Inst::kIdPsllq, Inst::kIdVpsllq, a, asmjit::Imm(bits)); }
Vec VecEmitter::shr_q(const Vec& a, int bits) { return bin(Inst::kIdPsrlq, Inst::kIdVpsrlq, a, asmjit::Imm(bits)); }

Mask VecEmitter::cmp(Fp t, const Vec& a, const Operand& b, Cmp pred) {
  Mask m;
  const asmjit::Imm imm(static_cast<int>(pred));
  switch (isa_) {
    case Isa::kSse41:
      m.v = copy(a);
      cc_.emit(t == Fp::kF32 ? Inst::kIdCmpps : Inst::kIdCmppd, m.v, b, imm);
      break;
    case Isa::kAvx2:
      m.v = new_vec();
      cc_.emit(t == Fp::kF32 ? Inst::kIdVcmpps : Inst::kIdVcmppd, m.v, a, b, imm);
      break;
    case Isa::kAvx512:
      m.k = cc_.newKw();
      cc_.emit(t == Fp::kF32 ? Inst::kIdVcmpps : Inst::kIdVcmppd, m.k, a, b, imm);
      break;
  }
  return m;
}

Mask VecEmitter::mask_or(const Mask& a, const Mask& b) {
  Mask m;
  if (isa_ == Isa::kAvx512) {
    m.k = cc_.newKw();
    cc_.korw(m.k, a.k, b.k);
  } else {
    m.v = bit_or(a.v, b.v);
  }
  return m;
}

Mask VecEmitter::mask_and(const Mask& a, const Mask& b) {
  Mask m;
  if (isa_ == Isa::kAvx512) {
    m.k = cc_.newKw();
    cc_.kandw(m.k, a.k, b.k);
  } else {
    m.v = bit_and(a.v, b.v);
  }
  return m;
}

Mask VecEmitter::mask_andnot(const Mask& a, const Mask& b) {
  Mask m;
  if (isa_ == Isa::kAvx512) {
    m.k = cc_.newKw();
    cc_.kandnw(m.k, a.k, b.k);
  } else {
    m.v = bit_andnot(a.v, b.v);
  }
  return m;
}

Vec VecEmitter::select(Fp t, const Mask& m, const Vec& a, const Operand& b) { return keep_clean(t, select_bits(t, m, a, b), a, b); }

Vec VecEmitter::select_bits(Fp t, const Mask& m, const Vec& a, const Operand& b) {
  switch (isa_) {
    case Isa::kSse41:
      // (m & b) | (~m & a): no implicit xmm0 operand for the allocator to honour.
      return bit_or(bit_and(m.v, b), bit_andnot(m.v, a));
    case Isa::kAvx2: {
      Vec d = new_vec();
      cc_.emit(t == Fp::kF32 ? Inst::kIdVblendvps : Inst::kIdVblendvpd, d, a, b, m.v);
      return d;
    }
    case Isa::kAvx512: {
      // A copy of a, then b merged in under m. Not vblendmps d{k}, a, b: the
      // register allocator takes a masked destination as read, so d would be
      // live around the loop and spilled and reloaded every iteration.
      Vec d = new_vec();
      const Inst::Id mov = t == Fp::kF32 ? Inst::kIdVmovaps : Inst::kIdVmovapd;
      cc_.emit(mov, d, a);
      cc_.k(m.k).emit(mov, d, b);
      return d;
    }
  }
  return a;
}

Vec VecEmitter::zero_where(const Mask& m, const Vec& a) {
  if (isa_ != Isa::kAvx512) return bit_andnot(m.v, a);
  // Zero-masked copy of a under ~m.
  asmjit::x86::KReg keep = cc_.newKw();
  cc_.knotw(keep, m.k);
  Vec d = new_vec();
  cc_.k(keep).z().emit(Inst::kIdVmovaps, d, a);
  return d;
}

Vec VecEmitter::keep_where(const Mask& m, const Vec& a) {
  if (isa_ != Isa::kAvx512) return bit_and(m.v, a);
  Vec d = new_vec();
  cc_.k(m.k).z().emit(Inst::kIdVmovaps, d, a);
  return d;
}

Vec VecEmitter::f32_lo_to_f64(const Vec& f) {
  Vec d = new_vec();
  switch (isa_) {
    case Isa::kSse41: cc_.emit(Inst::kIdCvtps2pd, d, f); break;
    case Isa::kAvx2: cc_.emit(Inst::kIdVcvtps2pd, d, f.xmm()); break;
    case Isa::kAvx512: cc_.emit(Inst::kIdVcvtps2pd, d, f.ymm()); break;
  }
  return d;
}

Vec VecEmitter::f32_hi_to_f64(const Vec& f) {
  Vec d = new_vec();
  switch (isa_) {
    case Isa::kSse41: {
      ax::Xmm t = cc_.newXmm();
      cc_.emit(Inst::kIdPshufd, t, f, asmjit::Imm(0xEE));
      cc_.emit(Inst::kIdCvtps2pd, d, t);
      break;
    }
    case Isa::kAvx2: {
      ax::Xmm t = cc_.newXmm();
      cc_.emit(Inst::kIdVextractf128, t, f, asmjit::Imm(1));
      cc_.emit(Inst::kIdVcvtps2pd, d, t);
      break;
    }
    case Isa::kAvx512: {
      ax::Ymm t = cc_.newYmm();
      cc_.emit(Inst::kIdVextractf64x4, t, f, asmjit::Imm(1));
      cc_.emit(Inst::kIdVcvtps2pd, d, t);
      break;
    }
  }
  return d;
}

Vec VecEmitter::f64_to_f32(const Vec& lo, const Vec& hi) {
  Vec d = new_vec();
  switch (isa_) {
    case Isa::kSse41: {
      ax::Xmm t = cc_.newXmm();
      cc_.emit(Inst::kIdCvtpd2ps, d, lo);
      cc_.emit(Inst::kIdCvtpd2ps, t, hi);
      cc_.emit(Inst::kIdMovlhps, d, t);
      break;
    }
    case Isa::kAvx2: {
      ax::Xmm t = cc_.newXmm();
      cc_.emit(Inst::kIdVcvtpd2ps, d.xmm(), lo);
      cc_.emit(Inst::kIdVcvtpd2ps, t, hi);
      cc_.emit(Inst::kIdVinsertf128, d, d, t, asmjit::Imm(1));
      break;
    }
    case Isa::kAvx512: {
      ax::Ymm t = cc_.newYmm();
      cc_.emit(Inst::kIdVcvtpd2ps, d.ymm(), lo);
      cc_.emit(Inst::kIdVcvtpd2ps, t, hi);
      cc_.emit(Inst::kIdVinsertf64x4, d, d, t, asmjit::Imm(1));
      break;
    }
  }
  return d;
}

Vec VecEmitter::f64_round_f32(const Vec& dv) {
  Vec d = new_vec();
  switch (isa_) {
    case Isa::kSse41: {
      ax::Xmm t = cc_.newXmm();
      cc_.emit(Inst::kIdCvtpd2ps, t, dv);
      cc_.emit(Inst::kIdCvtps2pd, d, t);
      break;
    }
    case Isa::kAvx2: {
      ax::Xmm t = cc_.newXmm();
      cc_.emit(Inst::kIdVcvtpd2ps, t, dv);
      cc_.emit(Inst::kIdVcvtps2pd, d, t);
      break;
    }
    case Isa::kAvx512: {
      ax::Ymm t = cc_.newYmm();
      cc_.emit(Inst::kIdVcvtpd2ps, t, dv);
      cc_.emit(Inst::kIdVcvtps2pd, d, t);
      break;
    }
  }
  return d;
}

}  // namespace fuze::x86
