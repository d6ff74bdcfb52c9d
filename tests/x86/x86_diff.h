// Differential harness: one kernel, one problem, interp vs x86 at one ISA.
#pragma once

#include <functional>
#include <string>

#include "x86/x86_test_util.h"

namespace fuze::x86test {

struct Tolerance {
  bool exact = true;        // bit-exact (NaN == NaN)
  int64_t max_ulps = 0;     // when !exact: max float distance to the interpreter...
  double abs_slack = 0.0;   // ...or at most this absolute difference
  // Approximate composite ops (silu, elu, gelu_tanh, ...): the interpreter's
  // own float32 roundings can put it beyond max_ulps of an accurate result, so
  // values are only checked for NaN class and written / untouched positions
  // here; the caller compares them with the float64 reference.
  bool defer = false;
};

// Runs k over p with the interpreter (whole range) and with x86 at `isa`
// (random [begin, end) pieces), compares every output's storage (untouched
// positions included) and returns x86's logical outputs.
std::vector<std::vector<float>> diff_run(const ir::Kernel& k, const Problem& proto, int isa, const Tolerance& tol,
                                         uint32_t seed, const std::string& ctx);

}  // namespace fuze::x86test
