// NVRTC compilation of one CUDA C program to cubin (-arch=sm_XX) or PTX
// (-arch=compute_XX), optionally through the on-disk cache.
//
// Options: -prec-div=true -prec-sqrt=true -ftz=false -fmad=false (arithmetic
// rounds exactly like the interpreter; no -use_fast_math), -std=c++17.
#pragma once

#include <string>
#include <vector>

#include "backends/cuda/disk_cache.h"
#include "fuze/support/status.h"

namespace fuze::cuda {

struct ProgramBinary {
  std::string payload;  // cubin (ELF) or PTX text
  bool cubin = true;
  std::string arch;     // "sm_90"
  std::string log;      // NVRTC's log (warnings), when compiled here
  std::string key;      // disk cache key
  double compile_ms = 0.0;  // NVRTC time (0 on a disk hit)
  bool from_disk = false;
};

// "sm_90" -> 90; false when the text is not sm_<digits>.
bool parse_arch(const std::string& arch, int* number);

std::vector<std::string> nvrtc_options(const std::string& arch, bool cubin);

// "fuze <version> nvrtc <M.m> <arch> <cubin|ptx> src <fnv1a64 of source+options>".
std::string cache_key(const std::string& source, const std::string& arch, bool cubin);

// Compiles with NVRTC (counted in cache_stats().nvrtc_compiles).
Status nvrtc_compile(const std::string& source, const std::string& program_name, const std::string& arch, bool cubin,
                     ProgramBinary* out);

// Disk lookup first (cache may be null or disabled); on a miss or a rejected
// entry, compiles and writes the entry back.
Status compile_cached(DiskCache* cache, const std::string& source, const std::string& program_name,
                      const std::string& arch, bool cubin, ProgramBinary* out);

}  // namespace fuze::cuda
