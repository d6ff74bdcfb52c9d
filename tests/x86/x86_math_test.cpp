// The x86 backend's trigonometric, inverse trigonometric and hyperbolic
// functions, erfc (approximate: within 2 ULP of the float64 reference and of
// the interpreter) and fmod / remainder / floor_divide (exact: bit-identical
// to the interpreter) on edge values, at every ISA level this CPU runs:
// NaN, +-inf, +-0, denormals, huge arguments and the scalar-path switch,
// float32 values nearest multiples of pi/2, |x| near 1, the overflow and
// underflow thresholds, division by zero, negative divisors and quotients
// above 2^24 and 2^28 (fmod's scalar path).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <vector>

#include "x86/x86_diff.h"

namespace fuze::x86test {
namespace {

using ir::Op;
constexpr ir::DType kF = ir::DType::kFloat32;

float next_up(float x, int n = 1) {
  for (int i = 0; i < n; ++i) x = std::nextafter(x, INFINITY);
  return x;
}
float next_down(float x, int n = 1) {
  for (int i = 0; i < n; ++i) x = std::nextafter(x, -INFINITY);
  return x;
}

// Values around v: v and up to 3 floats either side, both signs.
void around(std::vector<float>* out, float v, int width = 3) {
  for (float s : {v, -v}) {
    out->push_back(s);
    for (int i = 1; i <= width; ++i) {
      out->push_back(next_up(s, i));
      out->push_back(next_down(s, i));
    }
  }
}

std::vector<float> edge_values() {
  std::vector<float> v = special_values();
  const float inf = std::numeric_limits<float>::infinity();
  for (float s : {1e-45f, 3e-45f, 1e-39f, 1.1754942e-38f, 1e-20f, 1e-10f, 2e-4f, 0.25f, 0.75f}) around(&v, s, 1);
  // Nearest floats to k*pi/2 (small, moderate and the hard ones of large k),
  // around the vector / scalar switch at 2^22, and huge arguments.
  for (double k : {1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 100.0, 1000.0, 12345.0, 1e5, 2.6e6, 2.67e6, 1e7, 1e9, 1e15})
    around(&v, static_cast<float>(k * M_PI_2), 2);
  for (float s : {0x1p22f, 0x1p23f, 0x1p24f, 1e10f, 1e20f, 1e30f, 3.4028235e38f, 16367173.0f * 0x1p72f}) around(&v, s, 2);
  // |x| near 1 (asin, acos, atanh, acosh), 0.5 and 2.
  for (float s : {1.0f, 0.5f, 2.0f, 0.99f}) around(&v, s, 3);
  // sinh/cosh overflow (float32 std::sinh overflows from 89.41599 on), exp's range.
  for (float s : {89.41599f, 89.0f, 88.72284f, 90.0f, 100.0f, 710.0f}) around(&v, s, 3);
  // erfc: the series / tail switch at 2.5, the denormal range (9.19 .. 10.06),
  // the last nonzero value, 4 (the series' clamp) and 10.5 (the tail's clamp);
  // the FMA levels' float32 switch at +-0.47 and their zero from 10.0504704.
  for (float s : {2.5f, 4.0f, 9.19f, 9.5f, 10.0f, 10.0546875f, 10.06f, 10.5f, 26.5f}) around(&v, s, 2);
  for (float s : {0.47f, -0.47f, 0x1.419d74p+3f}) around(&v, s, 2);
  v.push_back(inf);
  v.push_back(-inf);
  std::mt19937 rng(2026);
  std::uniform_real_distribution<float> u(-12.0f, 12.0f);
  for (int i = 0; i < 200; ++i) v.push_back(u(rng));
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 200; ++i) v.push_back(float_of(bits(rng)));
  return v;
}

// Divisors and dividends for fmod / remainder / floor_divide: zero, signed,
// infinite, NaN, denormal and huge values, and pairs with quotients near and
// above 2^24, 2^27 and 2^28 and up to 2^277.
std::vector<std::pair<float, float>> division_pairs() {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> xs = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 2.5f, -2.5f, 3.0f, -7.0f, 7.5f, 1e-45f, -1e-45f, 3e-39f,
                           1e-30f, 1e10f, -1e10f, 16777216.0f, 16777217.0f * 2, 0x1p27f, 0x1p28f, 0x1p29f,
                           3.4028235e38f, -3.4028235e38f, inf, -inf, nan, 0.1f, -0.3f, 123456.7f, 5.9604645e-8f};
  std::vector<std::pair<float, float>> p;
  for (float a : xs)
    for (float b : xs) p.emplace_back(a, b);
  for (float b : {0.1f, 0.3f, -0.7f, 1.5f, 3.0f, -3.0f, 1e-3f, 1e-40f}) {
    for (float q : {0x1p24f, 0x1p27f, 0x1p28f, 0x1p30f, 0x1p40f, 0x1p60f}) {
      for (int d = -2; d <= 2; ++d) {
        const float a = next_up(q * b, d + 2);
        p.emplace_back(a, b);
        p.emplace_back(-a, b);
        p.emplace_back(next_down(q * b, d + 2), -b);
      }
    }
  }
  std::mt19937 rng(77);
  std::uniform_int_distribution<uint32_t> bits;
  std::uniform_real_distribution<float> u(-50.0f, 50.0f);
  for (int i = 0; i < 2000; ++i) p.emplace_back(float_of(bits(rng)), float_of(bits(rng)));
  for (int i = 0; i < 2000; ++i) p.emplace_back(u(rng), u(rng) / 8);
  for (int i = 0; i < 500; ++i) p.emplace_back(u(rng) * 1e6f, std::ldexp(u(rng), -20));
  return p;
}

class MathTest : public ::testing::TestWithParam<int> {};

// One op over (a[i], b[i]) pairs: diffed against the interpreter (bit-exact or
// 2 ULP apart), approximate ops also within 2 ULP of the float64 reference.
void run_pairs(Op op, const std::vector<std::pair<float, float>>& pairs, int isa) {
  const auto& info = ir::op_info(op);
  ir::Kernel k("t", 1);
  std::vector<int> args;
  for (int j = 0; j < info.arity; ++j) args.push_back(k.add_input(kF, ir::Layout::kContiguous));
  k.add_output(k.add_op(op, kF, args), ir::Layout::kContiguous);
  k.set_name(k.chain_name());
  const std::vector<int64_t> sizes = {static_cast<int64_t>(pairs.size())};
  Problem p;
  p.sizes = sizes;
  p.operands.push_back(make_operand(sizes, Pattern::kContiguous, [&](int64_t i) { return pairs[static_cast<size_t>(i)].first; }));
  if (info.arity > 1) {
    p.operands.push_back(make_operand(sizes, Pattern::kContiguous, [&](int64_t i) { return pairs[static_cast<size_t>(i)].second; }));
  }
  p.num_inputs = info.arity;
  p.operands.push_back(make_output(sizes, false));
  const bool approx = (info.flags & ir::kApprox) != 0;
  Tolerance tol;
  tol.exact = !approx;
  tol.max_ulps = 2;
  auto outs = diff_run(k, p, isa, tol, 1, info.name);
  ASSERT_EQ(outs.size(), 1u);
  if (!approx) return;
  int reported = 0;
  double worst = 0;
  for (size_t i = 0; i < pairs.size() && reported < 8; ++i) {
    const auto [a, b] = pairs[i];
    const double ref = reference(op, a, b);
    const double err = ulp_error(outs[0][i], ref);
    if (err > worst) worst = err;
    if (!(err <= 2.0)) {
      ++reported;
      ADD_FAILURE() << info.name << "(" << a << " [0x" << std::hex << bits_of(a) << "], " << b << std::dec << ") = "
                    << outs[0][i] << ", float64 ref " << ref << " (" << err << " ulp) ["
                    << x86_supported_isa_names()[static_cast<size_t>(isa)] << "]";
    }
    // Signed zeros and NaN-ness as the reference (a 0 ulp error allows -0 for +0).
    if (ref == 0.0 && outs[0][i] == 0.0f && std::signbit(ref) != std::signbit(outs[0][i])) {
      ++reported;
      ADD_FAILURE() << info.name << "(" << a << ", " << b << "): zero of the wrong sign";
    }
  }
  std::printf("[ ulp ] %-8s %-6s %zu inputs, max %.3f ulp\n", info.name,
              x86_supported_isa_names()[static_cast<size_t>(isa)].c_str(), pairs.size(), worst);
}

TEST_P(MathTest, UnaryEdgeValues) {
  const auto values = edge_values();
  std::vector<std::pair<float, float>> pairs;
  for (float v : values) pairs.emplace_back(v, 0.0f);
  for (Op op : {Op::kSin, Op::kCos, Op::kTan, Op::kAsin, Op::kAcos, Op::kAtan, Op::kSinh, Op::kCosh, Op::kAsinh,
                Op::kAcosh, Op::kAtanh, Op::kErfc}) {
    SCOPED_TRACE(ir::op_info(op).name);
    run_pairs(op, pairs, GetParam());
  }
}

// exp's underflow band: results 0 below -104 (-1e9 softmax masks, -inf),
// denormal in [-104, -87) (computed only for vectors with such a lane), in
// every mix of lanes.
TEST_P(MathTest, ExpUnderflowBand) {
  std::vector<float> values;
  for (float s : {87.0f, 87.33655f, 103.97208f, 104.0f}) around(&values, s, 3);
  for (float x = -110.0f; x < -80.0f; x += 0.0371f) values.push_back(x);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> band(-106.0f, -85.0f), normal(-20.0f, 20.0f);
  for (int i = 0; i < 4000; ++i) {
    const int kind = static_cast<int>(rng() % 4);
    values.push_back(kind == 0 ? -1e9f : kind == 1 ? band(rng) : kind == 2 ? -INFINITY : normal(rng));
  }
  std::vector<std::pair<float, float>> pairs;
  for (float v : values) pairs.emplace_back(v, 0.0f);
  run_pairs(Op::kExp, pairs, GetParam());
}

// Specials the float64 reference and the interpreter agree on, spelled out.
TEST_P(MathTest, UnarySpecials) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  struct Case {
    Op op;
    float x, want;
  };
  const std::vector<Case> cases = {
      {Op::kSin, -0.0f, -0.0f}, {Op::kSin, inf, nan}, {Op::kSin, -inf, nan}, {Op::kCos, inf, nan},
      {Op::kTan, -0.0f, -0.0f}, {Op::kTan, -inf, nan}, {Op::kCos, -0.0f, 1.0f},
      {Op::kAsin, 1.0000001f, nan}, {Op::kAsin, -0.0f, -0.0f}, {Op::kAsin, -1.0f, static_cast<float>(-M_PI_2)},
      {Op::kAcos, 1.0f, 0.0f}, {Op::kAcos, -1.0f, static_cast<float>(M_PI)}, {Op::kAcos, -1.0000001f, nan},
      {Op::kAcos, inf, nan}, {Op::kAtan, -0.0f, -0.0f}, {Op::kAtan, -inf, static_cast<float>(-M_PI_2)},
      {Op::kAtanh, 1.0f, inf}, {Op::kAtanh, -1.0f, -inf}, {Op::kAtanh, 1.0000001f, nan}, {Op::kAtanh, -0.0f, -0.0f},
      {Op::kAcosh, 0.99999994f, nan}, {Op::kAcosh, 1.0f, 0.0f}, {Op::kAcosh, inf, inf}, {Op::kAcosh, -inf, nan},
      {Op::kAsinh, -inf, -inf}, {Op::kAsinh, -0.0f, -0.0f}, {Op::kSinh, -0.0f, -0.0f}, {Op::kSinh, 89.5f, inf},
      {Op::kSinh, -89.5f, -inf}, {Op::kCosh, -89.5f, inf}, {Op::kCosh, nan, nan}, {Op::kSinh, -inf, -inf},
      {Op::kErfc, inf, 0.0f}, {Op::kErfc, -inf, 2.0f}, {Op::kErfc, 10.1f, 0.0f}, {Op::kErfc, nan, nan},
      {Op::kErfc, -0.0f, 1.0f},
      // erf and log1p (float32 lanes at the FMA levels): signed zeros, tiny x, the ends.
      {Op::kErf, -0.0f, -0.0f}, {Op::kErf, 0.0f, 0.0f}, {Op::kErf, inf, 1.0f}, {Op::kErf, -inf, -1.0f},
      {Op::kErf, nan, nan}, {Op::kErf, 4.0f, 1.0f}, {Op::kErf, -5.0f, -1.0f}, {Op::kErf, -1e30f, -1.0f}, {Op::kErf, -1e-45f, -1e-45f},
      {Op::kLog1p, -0.0f, -0.0f}, {Op::kLog1p, 0.0f, 0.0f}, {Op::kLog1p, -1.0f, -inf}, {Op::kLog1p, -1.0000001f, nan},
      {Op::kLog1p, -inf, nan}, {Op::kLog1p, inf, inf}, {Op::kLog1p, nan, nan}, {Op::kLog1p, 1e-30f, 1e-30f},
      {Op::kLog1p, -3e-39f, -3e-39f}, {Op::kLog1p, 0x1.fffffep+127f, 0x1.62e430p+6f},
      // log, log2, log10, asin, acos, atan (float32 lanes at the FMA levels): zeros, negatives,
      // the ends, denormals (scaled by 2^23 first), exact powers, NaN.
      {Op::kLog, 0.0f, -inf}, {Op::kLog, -0.0f, -inf}, {Op::kLog, -1e-45f, nan}, {Op::kLog, -inf, nan},
      {Op::kLog, inf, inf}, {Op::kLog, nan, nan}, {Op::kLog, 1.0f, 0.0f},
      {Op::kLog2, 0x1p-149f, -149.0f}, {Op::kLog2, 0x1p-130f, -130.0f}, {Op::kLog2, 0x1p127f, 127.0f},
      {Op::kLog2, 0.0f, -inf}, {Op::kLog2, -2.0f, nan}, {Op::kLog2, inf, inf}, {Op::kLog2, nan, nan},
      {Op::kLog10, 1000.0f, 3.0f}, {Op::kLog10, 1.0f, 0.0f}, {Op::kLog10, -0.0f, -inf}, {Op::kLog10, inf, inf},
      {Op::kLog10, -1.0f, nan}, {Op::kLog10, nan, nan},
      {Op::kAtan, inf, static_cast<float>(M_PI_2)}, {Op::kAtan, 1e30f, static_cast<float>(M_PI_2)},
      {Op::kAtan, -1e-45f, -1e-45f}, {Op::kAtan, nan, nan},
      {Op::kAsin, 1.0f, static_cast<float>(M_PI_2)}, {Op::kAsin, 1e-45f, 1e-45f}, {Op::kAsin, -inf, nan},
      {Op::kAsin, nan, nan}, {Op::kAcos, 0.0f, static_cast<float>(M_PI_2)}, {Op::kAcos, -0.0f, static_cast<float>(M_PI_2)},
      {Op::kAcos, -inf, nan}, {Op::kAcos, nan, nan},
      // float32 sinhf / coshf (and the rounded float64 values) overflow from 0x1.65a9fap+6 on.
      {Op::kSinh, 0x1.65a9fap+6f, inf}, {Op::kSinh, -0x1.65a9fap+6f, -inf}, {Op::kCosh, 0x1.65a9fap+6f, inf},
      {Op::kSinh, 0x1.65a9f8p+6f, 0x1.ffffd8p+127f}, {Op::kCosh, -0x1.65a9f8p+6f, 0x1.ffffd8p+127f},
  };
  for (const Case& c : cases) {
    ir::Kernel k("t", 1);
    const int x = k.add_input(kF, ir::Layout::kContiguous);
    k.add_output(k.add_op(c.op, kF, {x}), ir::Layout::kContiguous);
    auto xb = x86_backend(GetParam());
    auto ck = compile_or_fail(*xb, k);
    ASSERT_TRUE(ck);
    Problem p;  // 33 elements: full vectors and a tail at every level
    p.sizes = {33};
    p.operands.push_back(make_operand(p.sizes, Pattern::kContiguous, [&](int64_t) { return c.x; }));
    p.operands.push_back(make_output(p.sizes, false));
    p.num_inputs = 1;
    run_range(*ck, p, 0, 33);
    for (float y : logical_output(p, 0)) {
      if (std::isnan(c.want)) {
        EXPECT_TRUE(std::isnan(y)) << ir::op_info(c.op).name << "(" << c.x << ") = " << y;
      } else {
        EXPECT_EQ(bits_of(y), bits_of(c.want)) << ir::op_info(c.op).name << "(" << c.x << ") = " << y << ", want " << c.want;
      }
    }
  }
}

TEST_P(MathTest, Atan2Grid) {
  auto values = edge_values();
  std::vector<float> small;
  for (size_t i = 0; i < values.size(); i += 3) small.push_back(values[i]);
  std::vector<std::pair<float, float>> pairs;
  for (float y : small)
    for (float x : small) pairs.emplace_back(y, x);
  run_pairs(Op::kAtan2, pairs, GetParam());
}

TEST_P(MathTest, DivisionOpsBitExact) {
  const auto pairs = division_pairs();
  for (Op op : {Op::kFmod, Op::kRemainder, Op::kFloorDivide}) {
    SCOPED_TRACE(ir::op_info(op).name);
    run_pairs(op, pairs, GetParam());
  }
}

// fmod / remainder / floor_divide on random pairs whose quotients are spread
// log-uniformly over [2^-4, 2^40] (the float64 path, its 2^27 / 2^28 switch
// and the scalar path), random mantissas and signs, dividends from denormal to
// huge; bit-exact against the interpreter. FUZE_MATH_TEST_PAIRS=N for a longer
// run (default 2^17).
TEST_P(MathTest, DivisionOpsRandomQuotients) {
  size_t n = size_t{1} << 17;
  if (const char* env = std::getenv("FUZE_MATH_TEST_PAIRS")) n = std::strtoull(env, nullptr, 10);
  std::mt19937 rng(GetParam() * 7919 + 1);
  std::uniform_real_distribution<double> lq(-4.0, 40.0), lb(-140.0, 80.0);
  std::uniform_int_distribution<int> sign(0, 1);
  std::vector<std::pair<float, float>> pairs;
  pairs.reserve(n);
  while (pairs.size() < n) {
    const float b = static_cast<float>(std::exp2(lb(rng))) * (sign(rng) ? -1.0f : 1.0f);
    const float a = static_cast<float>(static_cast<double>(b) * std::exp2(lq(rng))) * (sign(rng) ? -1.0f : 1.0f);
    if (std::isfinite(a) && b != 0.0f) pairs.emplace_back(a, b);
  }
  for (Op op : {Op::kFmod, Op::kRemainder, Op::kFloorDivide}) {
    SCOPED_TRACE(ir::op_info(op).name);
    run_pairs(op, pairs, GetParam());
  }
}

// sin/cos/tan at the FMA levels take a float32 path for vectors whose lanes
// are all below kTrigFastMax (2^13) and the float64 path otherwise: one
// kernel call over 64-element blocks (whole vectors at every level) that
// alternate between all-small blocks (NaN and +-0 among them, values just
// below the bound) and blocks with one lane at or above it (the bound itself,
// larger values, +-inf), each block's other lanes small.
TEST_P(MathTest, TrigFastAndFallbackVectors) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float big[] = {8192.0f, -8192.0f, 8192.001f, 1e5f, -3.0e9f, 1e30f, inf, -inf};
  const float small_specials[] = {8191.999f, -8191.999f, 0.0f, -0.0f, nan, 1.5707964f, 3.1415927f, -4712.389f};
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-8191.0f, 8191.0f);
  std::vector<std::pair<float, float>> pairs;
  for (int block = 0; block < 32; ++block) {
    for (int i = 0; i < 64; ++i) {
      float v = (i % 4 == 0) ? u(rng) * 1e-3f : u(rng);
      if (block % 2 == 0 && i == 7) v = small_specials[(block / 2) % 8];
      if (block % 2 == 1 && i == (block * 5) % 64) v = big[(block / 2) % 8];
      pairs.emplace_back(v, 0.0f);
    }
  }
  for (Op op : {Op::kSin, Op::kCos, Op::kTan}) {
    SCOPED_TRACE(ir::op_info(op).name);
    run_pairs(op, pairs, GetParam());
  }
}

// The scalar-call slow paths inside fused kernels: values computed before the
// call (x * y + y, hoisted uniforms) are live across it and must survive; huge
// arguments (sin) and huge quotients (fmod) in every vector.
TEST_P(MathTest, SlowPathsInsideFusedKernels) {
  const int isa = GetParam();
  const std::vector<int64_t> sizes = {517};
  std::mt19937 rng(5);
  std::uniform_int_distribution<uint32_t> bits;
  auto gen_x = [&](int64_t i) { return i % 3 == 0 ? float_of(bits(rng)) : static_cast<float>(i) * 0.37f - 50.0f; };
  std::vector<float> xs(517), ys(517);
  for (int64_t i = 0; i < 517; ++i) {
    xs[static_cast<size_t>(i)] = gen_x(i);
    ys[static_cast<size_t>(i)] = i % 5 == 0 ? 1e-3f : static_cast<float>(i % 7) - 3.5f;
  }
  for (Op op : {Op::kSin, Op::kFmod}) {
    // out0 = op(x[, y]) (+ a uniform c * y for fmod, exact), out1 = x * y + y, out2 = x - c
    ir::Kernel k("t", 1);
    const int x = k.add_input(kF, ir::Layout::kContiguous), y = k.add_input(kF, ir::Layout::kContiguous);
    const int c = k.add_input(kF, ir::Layout::kScalar);
    const int pre = k.add_op(Op::kAdd, kF, {k.add_op(Op::kMul, kF, {x, y}), y});
    const int cx = k.add_op(Op::kSub, kF, {x, c});
    int v = op == Op::kSin ? k.add_op(op, kF, {x}) : k.add_op(op, kF, {x, y});
    if (op == Op::kFmod) v = k.add_op(Op::kAdd, kF, {v, k.add_op(Op::kMul, kF, {c, y})});
    k.add_output(v, ir::Layout::kContiguous);
    k.add_output(pre, ir::Layout::kContiguous);
    k.add_output(cx, ir::Layout::kContiguous);
    k.set_name(k.chain_name());
    Problem p;
    p.sizes = sizes;
    p.operands.push_back(make_operand(sizes, Pattern::kContiguous, [&](int64_t i) { return xs[static_cast<size_t>(i)]; }));
    p.operands.push_back(make_operand(sizes, Pattern::kContiguous, [&](int64_t i) { return ys[static_cast<size_t>(i)]; }));
    p.operands.push_back(make_operand(sizes, Pattern::kScalar, [](int64_t) { return 0.25f; }));
    p.num_inputs = 3;
    for (int o = 0; o < 3; ++o) p.operands.push_back(make_output(sizes, false));
    Tolerance tol;
    tol.exact = op != Op::kSin;
    tol.max_ulps = 2;
    auto outs = diff_run(k, p, isa, tol, 3, ir::op_info(op).name);
    ASSERT_EQ(outs.size(), 3u);
    for (size_t i = 0; i < xs.size(); ++i) {  // the live values bit-exact even where sin's may differ
      const float want1 = xs[i] * ys[i] + ys[i], want2 = xs[i] - 0.25f;
      EXPECT_TRUE(bits_of(outs[1][i]) == bits_of(want1) || (std::isnan(outs[1][i]) && std::isnan(want1))) << i;
      EXPECT_TRUE(bits_of(outs[2][i]) == bits_of(want2) || (std::isnan(outs[2][i]) && std::isnan(want2))) << i;
    }
  }
}

std::string isa_label(const ::testing::TestParamInfo<int>& info) {
  return x86_supported_isa_names()[static_cast<size_t>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(AllIsas, MathTest, ::testing::ValuesIn(x86_supported_isas()), isa_label);

}  // namespace
}  // namespace fuze::x86test
