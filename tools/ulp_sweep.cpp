// ulp_sweep: every float32 input (all 2^32 bit patterns, or a --step) through
// one unary function of the x86 backend's vector math, against a float64
// reference; prints the max error in ULP, where it occurs, and mismatched
// special values. On demand, not in CI (a full sweep takes minutes).
//
//   ulp_sweep exp|log|tanh|sigmoid|silu|exp2|expm1|log2|log10|log1p|softplus|mish|logit|erf|erfc|gelu|
//             sin|cos|tan|asin|acos|atan|sinh|cosh|asinh|acosh|atanh|pow:<exponent> [--isa sse|avx2|avx512]
//             [--step N] [--range LO HI]   (only inputs x with LO <= x <= HI, in float order)
//   For gelu also tests/x86's criterion (x86_ops_test.cpp): against the
//   reference with the float32 t = x * sqrt(1/2) (the interpreter's), within
//   2 ULP or within 2^-24 |x| + 2 (2^-23 |ref| + 2^-149) (the cancelling
//   1 + erf(t) to 2^-23 absolute, scaled by x/2); prints the failures, the
//   largest share of that bound used where 2 ULP is exceeded, and the largest
//   absolute error of 1 + erf(t) implied, |y - ref| / |x/2|, in 2^-24 (where
//   the reference is a normal float: x * 0.5 rounds only there).
//   ulp_sweep atan2 [--isa L] [--step N]: atan2(y, x) on a grid (every 2^20th
//             bit pattern for y and x: 4096^2 pairs of every class) plus 2^24
//             random bit-pattern pairs and 2^24 random pairs in [-10, 10]^2.
//   ulp_sweep pow:pairs [--isa L]: pow(x, y) with y a run-time scalar (the
//             kernel's uniform-exponent path): 12288 random exponents (4096
//             each: uniform in [-12, 12], random bit patterns with |y| in
//             [2^-10, 2^10), integers in [-160, 160]; ATen's special
//             exponents skipped), 4096 random bases each (half random bit
//             patterns, half uniform in [0, 4] with random sign; the first 19
//             are special bases: +-0, +-inf, NaN, +-1, denormals, +-FLT_MAX...),
//             plus 19 special exponents (+-inf, NaN, +-1e10, odd and even
//             integers beyond 2^24, +-1e-10, +-2^-149...) with the same bases.
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
// reference(): float32 intermediates where they decide the result). A switch
// on the op, not string compares: the reference is most of a sweep's time.
double reference(fuze::ir::Op op, float xf, double ex) {
  using fuze::ir::Op;
  const double x = xf;
  switch (op) {
    case Op::kExp: return std::exp(x);
    case Op::kLog: return std::log(x);
    case Op::kTanh: return std::tanh(x);
    case Op::kSigmoid: return x <= -88.72283935546875 ? 0.0 : 1.0 / (1.0 + std::exp(-x));
    case Op::kSilu:
      if (std::isinf(x) && x < 0) return std::nan("");
      return x <= -88.72283935546875 ? -0.0 : x / (1.0 + std::exp(-x));
    case Op::kExp2: return std::exp2(x);
    case Op::kExpm1: return std::expm1(x);
    case Op::kLog2: return std::log2(x);
    case Op::kLog10: return std::log10(x);
    case Op::kLog1p: return std::log1p(x);
    case Op::kSoftplus: return x > 20 ? x : std::log1p(std::exp(x));
    case Op::kMish: return x * std::tanh(std::log1p(static_cast<double>(static_cast<float>(std::exp(x)))));
    case Op::kLogit: return std::log(static_cast<double>(xf / (1.0f - xf)));
    case Op::kErf: return std::erf(x);
    case Op::kErfc: return std::erfc(x);
    case Op::kGelu: return x * 0.5 * (1.0 + std::erf(x * M_SQRT1_2));
    case Op::kSin: return std::sin(x);
    case Op::kCos: return std::cos(x);
    case Op::kTan: return std::tan(x);
    case Op::kAsin: return std::asin(x);
    case Op::kAcos: return std::acos(x);
    case Op::kAtan: return std::atan(x);
    case Op::kSinh: return std::sinh(x);
    case Op::kCosh: return std::cosh(x);
    case Op::kAsinh: return std::asinh(x);
    case Op::kAcosh: return std::acosh(x);
    case Op::kAtanh: return std::atanh(x);
    default: return std::pow(x, ex);
  }
}

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// atan2 (binary): a grid of every 2^20th bit pattern for y and x, 2^24 random
// bit-pattern pairs and 2^24 random pairs in [-10, 10]^2.
int sweep_atan2(fuze::Backend& backend) {
  fuze::ir::Kernel k("sweep", 1);
  const int y = k.add_input(fuze::ir::DType::kFloat32, fuze::ir::Layout::kContiguous);
  const int x = k.add_input(fuze::ir::DType::kFloat32, fuze::ir::Layout::kContiguous);
  k.add_output(k.add_op(fuze::ir::Op::kAtan2, fuze::ir::DType::kFloat32, {y, x}), fuze::ir::Layout::kContiguous);
  k.set_name(k.chain_name());
  std::unique_ptr<fuze::CompiledKernel> ck;
  fuze::Status st = backend.compile(k, &ck);
  if (!st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  const size_t chunk = size_t{1} << 22;
  std::vector<float> ys(chunk), xs(chunk), out(chunk);
  double max_err = 0.0;
  float wy = 0.0f, wx = 0.0f;
  uint64_t over1 = 0, bad_special = 0, count = 0;
  auto flush = [&](size_t n) {
    void* data[3] = {ys.data(), xs.data(), out.data()};
    run_contiguous(*ck, data, 3, static_cast<int64_t>(n));
    for (size_t i = 0; i < n; ++i) {
      const double err = ulp_error(out[i], std::atan2(static_cast<double>(ys[i]), static_cast<double>(xs[i])));
      ++count;
      if (std::isinf(err)) ++bad_special;
      if (err > 1.0) ++over1;
      if (err > max_err || std::isnan(err)) {
        max_err = err;
        wy = ys[i];
        wx = xs[i];
      }
    }
  };
  size_t n = 0;
  auto push = [&](float a, float b) {
    ys[n] = a;
    xs[n] = b;
    if (++n == chunk) {
      flush(n);
      n = 0;
    }
  };
  for (uint64_t a = 0; a < (uint64_t{1} << 32); a += uint64_t{1} << 20)
    for (uint64_t b = 0; b < (uint64_t{1} << 32); b += uint64_t{1} << 20)
      push(from_bits(static_cast<uint32_t>(a)), from_bits(static_cast<uint32_t>(b)));
  uint64_t s = 0x9E3779B97F4A7C15ull;
  auto rnd = [&] {  // xorshift64*
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return static_cast<uint32_t>((s * 0x2545F4914F6CDD1Dull) >> 32);
  };
  for (int i = 0; i < (1 << 24); ++i) push(from_bits(rnd()), from_bits(rnd()));
  for (int i = 0; i < (1 << 24); ++i) {
    const float a = static_cast<float>(rnd() * 0x1p-32 * 20.0 - 10.0);
    push(a, static_cast<float>(rnd() * 0x1p-32 * 20.0 - 10.0));
  }
  if (n > 0) flush(n);
  std::printf("atan2: %llu pairs, max %.4f ULP at (%a, %a) = (%g, %g), %llu above 1 ULP, %llu special-value mismatches\n",
              static_cast<unsigned long long>(count), max_err, wy, wx, wy, wx, static_cast<unsigned long long>(over1),
              static_cast<unsigned long long>(bad_special));
  return max_err <= 2.0 ? 0 : 1;
}

// pow(x, y) with a run-time scalar exponent y: random exponents of three kinds,
// 4096 random bases each, against std::pow in float64.
int sweep_pow_pairs(fuze::Backend& backend) {
  fuze::ir::Kernel k("sweep", 1);
  const int x = k.add_input(fuze::ir::DType::kFloat32, fuze::ir::Layout::kContiguous);
  const int y = k.add_input(fuze::ir::DType::kFloat32, fuze::ir::Layout::kScalar);
  k.add_output(k.add_op(fuze::ir::Op::kPow, fuze::ir::DType::kFloat32, {x, y}), fuze::ir::Layout::kContiguous);
  k.set_name(k.chain_name());
  std::unique_ptr<fuze::CompiledKernel> ck;
  fuze::Status st = backend.compile(k, &ck);
  if (!st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  const int64_t nb = 4096;
  std::vector<float> xs(nb), out(nb), ydummy(1);
  uint64_t s = 0x9E3779B97F4A7C15ull;
  auto rnd = [&] {  // xorshift64*
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return static_cast<uint32_t>((s * 0x2545F4914F6CDD1Dull) >> 32);
  };
  double max_err = 0.0;
  float wx = 0.0f, wy = 0.0f;
  uint64_t over1 = 0, bad_special = 0, count = 0;
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const float special_y[] = {inf, -inf, nan, 1e10f, -1e10f, 16777215.0f, -16777215.0f, 33554432.0f, -33554432.0f,
                             1e-10f, -1e-10f, 0x1p-149f, -0x1p-149f, 4.0f, -3.0f, 1.5f, -2.5f, 127.0f, -149.0f};
  const float special_x[] = {0.0f, -0.0f, inf, -inf, nan, -nan, 1.0f, -1.0f, 0x1p-149f, -0x1p-149f, 0x1p-126f,
                             3.4028235e38f, -3.4028235e38f, 2.0f, -2.0f, 0.5f, -0.5f, 0x1.fffffep-1f, 0x1.000002p+0f};
  const int nsy = static_cast<int>(sizeof(special_y) / sizeof(special_y[0]));
  for (int kind = 0; kind < 4; ++kind) {
    for (int i = 0; i < (kind == 3 ? nsy : 4096);) {
      float ey;
      if (kind == 3) {
        ey = special_y[i];
      } else if (kind == 0) {
        ey = static_cast<float>(rnd() * 0x1p-32 * 24.0 - 12.0);
      } else if (kind == 1) {
        ey = from_bits((rnd() & 0x80FFFFFFu) | ((117u + rnd() % 20u) << 23));  // |y| in [2^-10, 2^10)
      } else {
        ey = static_cast<float>(static_cast<int>(rnd() % 321u) - 160);
      }
      bool special = false;
      for (float sp : {0.0f, 1.0f, 2.0f, 3.0f, -2.0f, 0.5f, -0.5f, -1.0f}) special = special || ey == sp;
      if (special) continue;
      ++i;
      for (int64_t j = 0; j < nb; ++j) {
        if (j < static_cast<int64_t>(sizeof(special_x) / sizeof(special_x[0]))) {
          xs[static_cast<size_t>(j)] = special_x[j];
        } else if (j % 2 == 0) {
          xs[static_cast<size_t>(j)] = from_bits(rnd());
        } else {
          const float v = static_cast<float>(rnd() * 0x1p-32 * 4.0);
          xs[static_cast<size_t>(j)] = (rnd() & 1) ? -v : v;
        }
      }
      const int64_t sizes[1] = {nb};
      const int64_t strides[3] = {1, 0, 1};
      const double scalars[2] = {0.0, static_cast<double>(ey)};
      void* data[3] = {xs.data(), ydummy.data(), out.data()};
      fuze::KernelArgs a;
      a.numel = nb;
      a.rank = 1;
      a.sizes = sizes;
      a.data = data;
      a.strides = strides;
      a.scalars = scalars;
      ck->run(a, 0, nb);
      for (int64_t j = 0; j < nb; ++j) {
        const float xv = xs[static_cast<size_t>(j)];
        const double ref = std::pow(static_cast<double>(xv), static_cast<double>(ey));
        const float yv = out[static_cast<size_t>(j)];
        // A zero of the wrong sign counts as a special-value mismatch.
        const double err = ref == 0.0 && yv == 0.0f && std::signbit(ref) != std::signbit(yv) ? INFINITY : ulp_error(yv, ref);
        ++count;
        if (std::isinf(err)) ++bad_special;
        if (err > 1.0) ++over1;
        if (err > max_err || std::isnan(err)) {
          max_err = err;
          wx = xv;
          wy = ey;
        }
      }
    }
  }
  std::printf("pow:pairs: %llu pairs, max %.4f ULP at (%a, %a) = (%g, %g), %llu above 1 ULP, %llu special-value mismatches\n",
              static_cast<unsigned long long>(count), max_err, wx, wy, wx, wy, static_cast<unsigned long long>(over1),
              static_cast<unsigned long long>(bad_special));
  return max_err <= 2.0 ? 0 : 1;
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
  const bool pow_pairs = fn == "pow:pairs";
  if (pow_pairs) {
    op = fuze::ir::Op::kPow;
  } else if (fn.rfind("pow:", 0) == 0) {
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
  if (op == fuze::ir::Op::kAtan2) return sweep_atan2(*backend);
  if (pow_pairs) return sweep_pow_pairs(*backend);
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
  const bool gelu = op == fuze::ir::Op::kGelu;
  uint64_t gelu_fail = 0;
  double gelu_share = 0.0, gelu_uerr = 0.0;
  float gelu_share_x = 0.0f, gelu_uerr_x = 0.0f;
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
      const double err = ulp_error(out[static_cast<size_t>(i)], reference(op, xin, ex));
      ++count;
      if (std::isinf(err)) ++bad_special;
      if (err > 1.0) ++over1;
      if (err > max_err || std::isnan(err)) {
        max_err = err;
        worst = xin;
      }
      if (gelu) {
        const float yv = out[static_cast<size_t>(i)];
        const float tf = xin * static_cast<float>(M_SQRT1_2);
        const double xd = xin, ref = 0.5 * xd * (1.0 + std::erf(static_cast<double>(tf)));
        const double e2 = ulp_error(yv, ref);
        const double diff = std::fabs(static_cast<double>(yv) - ref);
        const double bound = std::ldexp(1.0, -24) * std::fabs(xd) + 2.0 * (std::fabs(ref) * 0x1p-23 + 0x1p-149);
        if (std::isfinite(e2) && std::isfinite(xd) && std::fabs(ref) >= 0x1p-126) {  // x/2 and y normal
          const double ue = diff / std::fabs(0.5 * xd) * 0x1p24;
          if (ue > gelu_uerr) {
            gelu_uerr = ue;
            gelu_uerr_x = xin;
          }
        }
        if (e2 > 2.0) {
          const double share = std::isfinite(e2) ? diff / bound : INFINITY;
          if (!(share <= 1.0)) ++gelu_fail;
          if (share > gelu_share) {
            gelu_share = share;
            gelu_share_x = xin;
          }
        }
      }
    }
  }
  if (gelu) {
    std::printf("gelu, tests/x86's criterion: %llu failures; above 2 ULP at most %.4f of the bound, at %a (%g); "
                "|y - ref| / |x/2| at most %.4f * 2^-24, at %a (%g)\n",
                static_cast<unsigned long long>(gelu_fail), gelu_share, gelu_share_x, gelu_share_x, gelu_uerr,
                gelu_uerr_x, gelu_uerr_x);
  }
  std::printf("%s%s: %llu inputs, max %.4f ULP at %a (%g), %llu above 1 ULP, %llu special-value mismatches\n",
              fn.c_str(), op == fuze::ir::Op::kPow ? (":" + std::to_string(ex)).c_str() : "",
              static_cast<unsigned long long>(count), max_err, worst, worst, static_cast<unsigned long long>(over1),
              static_cast<unsigned long long>(bad_special));
  if (gelu) return gelu_fail == 0 ? 0 : 1;
  return max_err <= 2.0 ? 0 : 1;
}
