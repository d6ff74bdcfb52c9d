#include "backends/x86/isa.h"

#include <asmjit/core.h>

#include <cstdlib>

#include "support/log.h"

namespace fuze::x86 {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kSse41: return "sse";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "?";
}

bool parse_isa(std::string_view text, Isa* out) {
  if (text == "sse" || text == "sse4.1" || text == "sse41") {
    *out = Isa::kSse41;
  } else if (text == "avx2") {
    *out = Isa::kAvx2;
  } else if (text == "avx512" || text == "avx512f") {
    *out = Isa::kAvx512;
  } else {
    return false;
  }
  return true;
}

int isa_lanes(Isa isa) {
  switch (isa) {
    case Isa::kSse41: return 4;
    case Isa::kAvx2: return 8;
    case Isa::kAvx512: return 16;
  }
  return 4;
}

bool host_has_sse41() {
  return asmjit::CpuInfo::host().features().x86().hasSSE4_1();
}

Isa host_isa() {
  const auto& f = asmjit::CpuInfo::host().features().x86();
  // The AVX-512 level is x86-64-v4 (F, BW, CD, DQ, VL): the code uses DQ's
  // int64 <-> floating conversions.
  if (f.hasAVX512_F() && f.hasAVX512_BW() && f.hasAVX512_CDI() && f.hasAVX512_DQ() && f.hasAVX512_VL()) {
    return Isa::kAvx512;
  }
  if (f.hasAVX2() && f.hasFMA()) return Isa::kAvx2;
  return Isa::kSse41;
}

Isa default_isa() {
  Isa best = host_isa();
  if (const char* env = std::getenv("FUZE_X86_ISA")) {
    Isa want;
    if (!parse_isa(env, &want)) {
      FUZE_LOG(kWarn) << "FUZE_X86_ISA=" << env << " not understood (sse|avx2|avx512); using "
                      << isa_name(best);
    } else if (static_cast<int>(want) > static_cast<int>(best)) {
      FUZE_LOG(kWarn) << "FUZE_X86_ISA=" << env << " is not supported by this CPU; using " << isa_name(best);
    } else {
      best = want;
    }
  }
  return best;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (int i = 0; i <= static_cast<int>(host_isa()); ++i) out.push_back(static_cast<Isa>(i));
  return out;
}

}  // namespace fuze::x86
