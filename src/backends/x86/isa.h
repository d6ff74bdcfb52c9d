// Instruction-set levels of the x86 backend, chosen at run time from CPUID
// (asmjit's CpuInfo, which also checks that the OS saves the AVX/AVX-512
// state). FUZE_X86_ISA=sse|avx2|avx512 in the environment caps the level.
#pragma once

#include <string_view>
#include <vector>

namespace fuze::x86 {

enum class Isa : int {
  kSse41 = 0,   // SSE4.1, 4 floats per vector, no FMA (the floor)
  kAvx2 = 1,    // AVX2 + FMA, 8 floats per vector
  kAvx512 = 2,  // x86-64-v4: AVX-512 F, BW, CD, DQ, VL; 16 floats per vector
};

const char* isa_name(Isa isa);               // "sse", "avx2", "avx512"
bool parse_isa(std::string_view text, Isa* out);
int isa_lanes(Isa isa);                       // float32 lanes per vector
bool host_has_sse41();                        // false: the backend is unavailable
Isa host_isa();                               // best level this CPU supports
Isa default_isa();                            // host_isa() capped by FUZE_X86_ISA
std::vector<Isa> supported_isas();            // every level <= host_isa(), lowest first

}  // namespace fuze::x86
