#include "x86/x86_diff.h"

#include <algorithm>
#include <sstream>

namespace fuze::x86test {

std::vector<std::vector<float>> diff_run(const ir::Kernel& k, const Problem& proto, int isa, const Tolerance& tol,
                                         uint32_t seed, const std::string& ctx) {
  auto ib = interp_backend();
  auto xb = x86_backend(isa);
  auto ik = compile_or_fail(*ib, k);
  auto xk = compile_or_fail(*xb, k);
  if (!ik || !xk) return {};
  Problem pr = proto, px = proto;
  const int64_t numel = proto.numel();
  run_range(*ik, pr, 0, numel);
  // Random pieces covering [0, numel), plus an empty and an out-of-range call.
  std::mt19937 rng(seed);
  std::vector<int64_t> cuts = {0, numel};
  if (numel > 1) {
    std::uniform_int_distribution<int64_t> u(0, numel);
    for (int i = 0; i < 3; ++i) cuts.push_back(u(rng));
  }
  std::sort(cuts.begin(), cuts.end());
  for (size_t i = 0; i + 1 < cuts.size(); ++i) run_range(*xk, px, cuts[i], cuts[i + 1]);
  run_range(*xk, px, numel, numel + 5);
  std::vector<std::vector<float>> outs;
  for (int o = 0; o < k.num_outputs(); ++o) {
    const auto& sr = pr.operands[static_cast<size_t>(pr.num_inputs + o)].storage;
    const auto& sx = px.operands[static_cast<size_t>(px.num_inputs + o)].storage;
    int reported = 0;
    for (size_t j = 0; j < sr.size() && reported < 5; ++j) {
      const float a = sr[j], b = sx[j];
      bool ok;
      if (std::isnan(a) || std::isnan(b)) {
        ok = std::isnan(a) && std::isnan(b);
      } else if (tol.defer) {
        ok = a == b || (a != 12345.0f && b != 12345.0f);  // 12345: make_output's sentinel
      } else if (tol.exact) {
        ok = bits_of(a) == bits_of(b);
      } else {
        ok = ulp_distance(a, b) <= tol.max_ulps || std::fabs(static_cast<double>(a) - b) <= tol.abs_slack;
      }
      if (!ok) {
        ++reported;
        std::ostringstream ins;  // inputs at the same storage index (meaningful for contiguous)
        for (int i = 0; i < pr.num_inputs; ++i) {
          const auto& st = pr.operands[static_cast<size_t>(i)].storage;
          ins << " in" << i << "=" << (j < st.size() ? st[j] : pr.operands[static_cast<size_t>(i)].scalar);
        }
        ADD_FAILURE() << "[" << ins.str() << " ] " << ctx << " [" << x86_supported_isa_names()[static_cast<size_t>(isa)] << "] output " << o
                      << " storage[" << j << "]: interp " << a << " (0x" << std::hex << bits_of(a) << ") x86 " << b
                      << " (0x" << bits_of(b) << std::dec << ")\n"
                      << ir::print(k);
      }
    }
    outs.push_back(logical_output(px, o));
  }
  return outs;
}

}  // namespace fuze::x86test
