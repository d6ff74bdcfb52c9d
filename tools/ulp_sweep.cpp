// ulp_sweep: every float32 input (all 2^32 bit patterns, or a --step) through
// one unary function of the x86 backend's vector math, against a float64
// reference; prints the max error in ULP, where it occurs, and mismatched
// special values. On demand, not in CI (a full sweep takes minutes).
//
//   ulp_sweep exp|log|tanh|sigmoid|silu|exp2|expm1|log2|log10|log1p|softplus|mish|logit|pow:<exponent> [--isa sse|avx2|avx512] [--step N]
//             [--range LO HI]   (only inputs x with LO <= x <= HI, in float order)
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "backends/contiguous_call.h"
#include "backends/x86/x86_backend.h"
#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace {

double ulp_error(float y, double ref) {
  if (std::isnan(ref) || std::isnan(y)) return std::isnan(ref) && std::isnan(y) ? 0.0 : INFINITY;
  const double ovf = static_cast<double>(std::numeric_limits<float>::max()) + std::ldexp(1.0, 127 - 24);
  if (std::isinf(ref) || std::fabs(ref) >= ovf) return y == (ref > 0 ? INFINITY : -INFINITY) ? 0.0 : INFINITY;
  if (std::isinf(y)) return INFINITY;
  int e;
  std::frexp(ref, &e);
  return std::fabs(static_cast<double>(y) - ref) / std::ldexp(1.0, std::max(e - 1, -126) - 23);
}

// The float64 reference of the interpreter's definition (tests/x86's
// reference(): float32 intermediates where they decide the result).
double reference(const std::string& fn, float xf, double ex) {
  const double x = xf;
  if (fn == "exp") return std::exp(x);
  if (fn == "log") return std::log(x);
  if (fn == "tanh") return std::tanh(x);
  if (fn == "sigmoid") return x <= -88.72283935546875 ? 0.0 : 1.0 / (1.0 + std::exp(-x));
  if (fn == "silu") {
    if (std::isinf(x) && x < 0) return std::nan("");
    return x <= -88.72283935546875 ? -0.0 : x / (1.0 + std::exp(-x));
  }
  if (fn == "exp2") return std::exp2(x);
  if (fn == "expm1") return std::expm1(x);
  if (fn == "log2") return std::log2(x);
  if (fn == "log10") return std::log10(x);
  if (fn == "log1p") return std::log1p(x);
  if (fn == "softplus") return x > 20 ? x : std::log1p(std::exp(x));
  if (fn == "mish") return x * std::tanh(std::log1p(static_cast<double>(static_cast<float>(std::exp(x)))));
  if (fn == "logit") return std::log(static_cast<double>(xf / (1.0f - xf)));
  if (fn == "erf") return std::erf(x);
  if (fn == "erfc") return std::erfc(x);
  if (fn == "gelu") return x * 0.5 * (1.0 + std::erf(x * M_SQRT1_2));
  return std::pow(x, ex);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s exp|log|tanh|sigmoid|pow:<e> [--isa sse|avx2|avx512] [--step N]\n", argv[0]);
    return 2;
  }
  std::string fn = argv[1];
  double ex = 0.0;
  fuze::ir::Op op;
  if (fn.rfind("pow:", 0) == 0) {
    ex = static_cast<float>(std::atof(fn.c_str() + 4));
    fn = "pow";
    op = fuze::ir::Op::kPow;
  } else if (!fuze::ir::parse_op(fn, &op) || !(fuze::ir::op_info(op).flags & fuze::ir::kApprox)) {
    std::fprintf(stderr, "unknown function %s\n", fn.c_str());
    return 2;
  }
  fuze::X86Options opts;
  uint64_t step = 1;
  uint64_t first = 0, last = uint64_t{1} << 32;  // bit patterns [first, last)
  float range_lo = 0.0f, range_hi = 0.0f;
  bool ranged = false;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--range") == 0 && i + 2 < argc) {
      range_lo = std::strtof(argv[i + 1], nullptr);
      range_hi = std::strtof(argv[i + 2], nullptr);
      ranged = true;
      ++i;
      continue;
    }
    if (std::strcmp(argv[i], "--step") == 0) step = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--isa") == 0) {
      const auto names = fuze::x86_supported_isa_names();
      for (size_t k = 0; k < names.size(); ++k) {
        if (names[k] == argv[i + 1]) opts.isa = fuze::x86_supported_isas()[k];
      }
      if (opts.isa < 0) {
        std::fprintf(stderr, "ISA %s not supported here\n", argv[i + 1]);
        return 2;
      }
    }
  }
  std::unique_ptr<fuze::Backend> backend;
  fuze::Status st = fuze::make_x86_backend(opts, &backend);
  if (!st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  fuze::ir::Kernel k("sweep", 1);
  const int x = k.add_input(fuze::ir::DType::kFloat32, fuze::ir::Layout::kContiguous);
  const int v = op == fuze::ir::Op::kPow
                    ? k.add_op(op, fuze::ir::DType::kFloat32, {x, k.add_const(fuze::ir::DType::kFloat32, ex)})
                    : k.add_op(op, fuze::ir::DType::kFloat32, {x});
  k.add_output(v, fuze::ir::Layout::kContiguous);
  k.set_name(k.chain_name());
  std::unique_ptr<fuze::CompiledKernel> ck;
  st = backend->compile(k, &ck);
  if (!st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  const int64_t chunk = 1 << 22;
  std::vector<float> in(chunk), out(chunk);
  double max_err = 0.0;
  float worst = 0.0f;
  uint64_t over1 = 0, bad_special = 0, count = 0;
  for (uint64_t b = first; b < last;) {  // b: the next bit pattern (a --range skips most)
    int64_t n = 0;
    for (; b < last && n < chunk; b += step) {
      const uint32_t bits = static_cast<uint32_t>(b);
      float f;
      std::memcpy(&f, &bits, 4);
      if (ranged && !(f >= range_lo && f <= range_hi)) continue;
      in[static_cast<size_t>(n++)] = f;
    }
    if (n == 0) continue;
    void* data[2] = {in.data(), out.data()};
    run_contiguous(*ck, data, 2, n);
    for (int64_t i = 0; i < n; ++i) {
      const float xin = in[static_cast<size_t>(i)];
      const double err = ulp_error(out[static_cast<size_t>(i)], reference(fn, xin, ex));
      ++count;
      if (std::isinf(err)) ++bad_special;
      if (err > 1.0) ++over1;
      if (err > max_err || std::isnan(err)) {
        max_err = err;
        worst = xin;
      }
    }
  }
  std::printf("%s%s: %llu inputs, max %.4f ULP at %a (%g), %llu above 1 ULP, %llu special-value mismatches\n",
              fn.c_str(), op == fuze::ir::Op::kPow ? (":" + std::to_string(ex)).c_str() : "",
              static_cast<unsigned long long>(count), max_err, worst, worst, static_cast<unsigned long long>(over1),
              static_cast<unsigned long long>(bad_special));
  return max_err <= 2.0 ? 0 : 1;
}
