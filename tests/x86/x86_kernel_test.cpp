// Chains (LSTM cell pointwise half, a 10-op chain), accuracy sweeps over full
// binades, emitted-code checks, errors and compile time.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "backends/contiguous_call.h"
#include "x86/x86_diff.h"

namespace fuze::x86test {
namespace {

using ir::DType;
using ir::Layout;
using ir::Op;
constexpr DType kF = DType::kFloat32;

class KernelTest : public ::testing::TestWithParam<int> {};

// gates (4 x [B,H] pre-activations as 4 inputs) + cx -> hy, cy.
ir::Kernel lstm_kernel(Layout l) {
  ir::Kernel k("lstm", 2);
  const int ig = k.add_input(kF, l), fg = k.add_input(kF, l), gg = k.add_input(kF, l), og = k.add_input(kF, l);
  const int cx = k.add_input(kF, l);
  const int i = k.add_op(Op::kSigmoid, kF, {ig});
  const int f = k.add_op(Op::kSigmoid, kF, {fg});
  const int g = k.add_op(Op::kTanh, kF, {gg});
  const int o = k.add_op(Op::kSigmoid, kF, {og});
  const int cy = k.add_op(Op::kAdd, kF, {k.add_op(Op::kMul, kF, {f, cx}), k.add_op(Op::kMul, kF, {i, g})});
  const int hy = k.add_op(Op::kMul, kF, {o, k.add_op(Op::kTanh, kF, {cy})});
  k.add_output(hy, Layout::kContiguous);
  k.add_output(cy, l == Layout::kStrided ? Layout::kStrided : Layout::kContiguous);
  k.set_name(k.chain_name());
  return k;
}

// Ten cheap ops over two inputs and a scalar.
ir::Kernel ten_op_kernel(Layout la, Layout lb) {
  ir::Kernel k("ten", 2);
  const int a = k.add_input(kF, la), b = k.add_input(kF, lb), s = k.add_input(kF, Layout::kScalar);
  const int c = k.add_const(kF, 0.5);
  int v = k.add_op(Op::kMul, kF, {a, b});
  v = k.add_op(Op::kAdd, kF, {v, s});
  v = k.add_op(Op::kSub, kF, {v, a});
  v = k.add_op(Op::kMul, kF, {v, c});
  v = k.add_op(Op::kMaximum, kF, {v, b});
  v = k.add_op(Op::kAbs, kF, {v});
  v = k.add_op(Op::kNeg, kF, {v});
  v = k.add_op(Op::kClampMin, kF, {v, s});
  v = k.add_op(Op::kDiv, kF, {v, k.add_op(Op::kAdd, kF, {b, c})});
  k.add_output(v, Layout::kContiguous);
  k.set_name(k.chain_name());
  return k;
}

Problem make_problem(const ir::Kernel& k, const std::vector<int64_t>& sizes, uint32_t seed, float lo, float hi) {
  Problem p;
  p.sizes = sizes;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  for (int i = 0; i < k.num_inputs(); ++i) {
    const Layout l = k.node(k.inputs()[static_cast<size_t>(i)]).layout;
    const Pattern pat = l == Layout::kContiguous  ? Pattern::kContiguous
                        : l == Layout::kStrided   ? Pattern::kTransposed
                        : l == Layout::kBroadcast ? Pattern::kBroadcast
                                                  : Pattern::kScalar;
    p.operands.push_back(make_operand(sizes, pat, [&](int64_t) { return u(rng); }));
  }
  p.num_inputs = k.num_inputs();
  for (const ir::Output& o : k.outputs()) p.operands.push_back(make_output(sizes, o.layout == Layout::kStrided));
  return p;
}

TEST_P(KernelTest, LstmCell) {
  Tolerance tol;
  tol.exact = false;
  // cy = f*cx + i*g cancels: with each sigmoid/tanh within 2 ULP of the exact
  // value (the interpreter within 0.5), |cx| <= 6 turns 2.5 ULP of f (< 1) into
  // up to 6 * 2.5 * 2^-24 ~ 9e-7 absolute.
  tol.max_ulps = 8;
  tol.abs_slack = 1e-6;
  for (Layout l : {Layout::kContiguous, Layout::kStrided}) {
    const ir::Kernel k = lstm_kernel(l);
    for (const auto& sizes : std::vector<std::vector<int64_t>>{{3, 4}, {1, 1}, {5, 67}, {64, 256}}) {
      diff_run(k, make_problem(k, sizes, 1, -6.0f, 6.0f), GetParam(), tol, 2, "lstm");
    }
  }
}

TEST_P(KernelTest, TenOpChain) {
  Tolerance tol;  // no approximate op: bit-exact
  for (Layout la : {Layout::kContiguous, Layout::kStrided, Layout::kBroadcast}) {
    for (Layout lb : {Layout::kContiguous, Layout::kStrided}) {
      const ir::Kernel k = ten_op_kernel(la, lb);
      for (const auto& sizes : std::vector<std::vector<int64_t>>{{3, 4}, {17, 9}, {1, 1000}, {129, 3}}) {
        diff_run(k, make_problem(k, sizes, 3, -4.0f, 4.0f), GetParam(), tol, 4, "ten-op");
      }
    }
  }
}

// The layout matrix's chain tanh(x * y + x) - y over every pair of operand
// layouts, both output layouts, and shapes whose rows are longer and shorter
// than the walk's chunk: strided calls walk memory order (dims sorted by
// stride, coalesced), rows with a column broadcast or a gathered operand
// included; x86 matches the interpreter everywhere.
TEST_P(KernelTest, ChainOverEveryLayoutPair) {
  const std::vector<Pattern> all = {Pattern::kContiguous,     Pattern::kTransposed, Pattern::kEveryOther,
                                    Pattern::kBroadcastRow,   Pattern::kBroadcastOuter, Pattern::kBroadcast,
                                    Pattern::kScalar};
  Tolerance tol;
  tol.exact = false;
  tol.max_ulps = 4;  // tanh within 2 ULP each way; "- y" may cancel
  tol.abs_slack = 1e-6;
  auto layout_of = [](Pattern p) {
    return p == Pattern::kContiguous ? Layout::kContiguous
           : p == Pattern::kScalar   ? Layout::kScalar
           : p == Pattern::kBroadcast ? Layout::kBroadcast
                                      : Layout::kStrided;
  };
  uint32_t seed = 11;
  for (const auto& sizes : std::vector<std::vector<int64_t>>{{37, 300}, {300, 37}, {4, 5, 70}}) {
    for (Pattern px : all) {
      for (Pattern py : all) {
        for (bool out_t : {false, true}) {
          ir::Kernel k("layouts", static_cast<int>(sizes.size()));
          const int x = k.add_input(kF, layout_of(px)), y = k.add_input(kF, layout_of(py));
          const int t = k.add_op(Op::kTanh, kF, {k.add_op(Op::kAdd, kF, {k.add_op(Op::kMul, kF, {x, y}), x})});
          k.add_output(k.add_op(Op::kSub, kF, {t, y}), out_t ? Layout::kStrided : Layout::kContiguous);
          k.set_name(k.chain_name());
          Problem p;
          p.sizes = sizes;
          std::mt19937 rng(++seed);
          std::uniform_real_distribution<float> u(-3.0f, 3.0f);
          p.operands.push_back(make_operand(sizes, px, [&](int64_t) { return u(rng); }));
          p.operands.push_back(make_operand(sizes, py, [&](int64_t) { return u(rng); }));
          p.num_inputs = 2;
          p.operands.push_back(make_output(sizes, out_t));
          diff_run(k, p, GetParam(), tol, seed, "layout pair");
        }
      }
    }
  }
}

// Ops whose operands are all uniform are computed once before the loop.
TEST_P(KernelTest, UniformSubexpressionsHoisted) {
  ir::Kernel k("h", 2);
  const int x = k.add_input(kF, Layout::kContiguous), s = k.add_input(kF, Layout::kScalar);
  const int b = k.add_input(kF, Layout::kBroadcast);
  const int u = k.add_op(Op::kTanh, kF, {k.add_op(Op::kAdd, kF, {s, k.add_const(kF, 0.5)})});
  const int w = k.add_op(Op::kMul, kF, {u, b});
  k.add_output(k.add_op(Op::kAdd, kF, {k.add_op(Op::kMul, kF, {x, w}), k.add_op(Op::kSqrt, kF, {b})}),
               Layout::kContiguous);
  k.set_name(k.chain_name());
  Tolerance tol;
  tol.exact = false;
  tol.max_ulps = 4;
  for (const auto& sizes : std::vector<std::vector<int64_t>>{{3, 4}, {1, 1}, {7, 33}}) {
    diff_run(k, make_problem(k, sizes, 5, -3.0f, 3.0f), GetParam(), tol, 6, "hoisted");
  }
  // tanh (with its division: divps, or the reciprocal estimate vrcp14ps at
  // AVX-512) is emitted before the loop: the loop body, from the empty-range
  // jz to the back-edge jb, has none.
  auto xb = x86_backend(GetParam(), /*listing=*/true);
  auto ck = compile_or_fail(*xb, k);
  ASSERT_TRUE(ck);
  const std::string text = ck->listing();
  const char* recip = x86_supported_isa_names()[static_cast<size_t>(GetParam())] == "avx512" ? "rcp14ps" : "divps";
  const size_t div = text.find(recip), jz = text.find("jz "), jb = text.find("jb ", jz);
  ASSERT_NE(jb, std::string::npos) << text;
  EXPECT_LT(div, jz) << text;
  EXPECT_EQ(text.substr(jz, jb - jz).find(recip), std::string::npos) << text;
}

// Full binades (every float32 in them) and a strided walk over all 2^32 bit
// patterns; max ULP against float64 per function, at this ISA level.
TEST_P(KernelTest, AccuracyBinades) {
  auto xb = x86_backend(GetParam());
  struct Fn {
    Op op;
    float exponent;
    std::vector<std::pair<uint32_t, uint32_t>> ranges;  // [first, last) bit patterns
  };
  auto binade = [](float lo) {
    const uint32_t b = bits_of(lo);
    return std::make_pair(b, b + (1u << 23));
  };
  const std::vector<Fn> fns = {
      {Op::kExp, 0, {binade(0.5f), binade(-64.0f), binade(1.0f / 1024)}},
      {Op::kLog, 0, {binade(1.0f), binade(0.5f), binade(1e-40f)}},
      {Op::kTanh, 0, {binade(0.25f), binade(-1.0f), binade(1.0f / 4096)}},
      {Op::kSigmoid, 0, {binade(2.0f), binade(-64.0f), binade(-0.5f)}},
      {Op::kPow, 2.5f, {binade(1.0f), binade(1e-3f)}},
      {Op::kPow, -1.7f, {binade(8.0f), binade(-2.0f)}},
      {Op::kExp2, 0, {binade(-64.0f)}},
      {Op::kExpm1, 0, {binade(-1.0f / 1024)}},
      {Op::kLog2, 0, {binade(1.0f)}},
      {Op::kLog10, 0, {binade(1e-40f)}},
      {Op::kLog1p, 0, {binade(-0.5f)}},
      {Op::kSilu, 0, {binade(-64.0f)}},  // 1/den a denormal near -88
      {Op::kSoftplus, 0, {binade(-2.0f)}},
      {Op::kMish, 0, {binade(-64.0f)}},  // expf(x) denormal below -87.3
      {Op::kLogit, 0, {binade(0.5f)}},
      {Op::kErf, 0, {binade(0.5f), binade(-2.0f), binade(1.0f / 1024)}},
      {Op::kSin, 0, {binade(1.0f)}},
      {Op::kCos, 0, {binade(-2.0f)}},
      {Op::kTan, 0, {binade(1.0f)}},
      {Op::kAsin, 0, {binade(0.5f)}},     // up to 1
      {Op::kAcos, 0, {binade(-0.5f)}},    // down to -1
      {Op::kAtan, 0, {binade(1.0f / 1024)}},
      {Op::kSinh, 0, {binade(-1.0f / 16)}},
      {Op::kCosh, 0, {binade(64.0f)}},    // the overflow threshold 89.4
      {Op::kAsinh, 0, {binade(2.0f)}},
      {Op::kAcosh, 0, {binade(1.0f)}},
      {Op::kAtanh, 0, {binade(0.5f)}},    // up to 1
      {Op::kErfc, 0, {binade(8.0f)}},     // denormal results from 9.19 on
  };
  const int64_t chunk = 1 << 20;
  std::vector<float> in(chunk), out(chunk);
  for (const Fn& fn : fns) {
    ir::Kernel k("acc", 1);
    const int x = k.add_input(kF, Layout::kContiguous);
    const int v = fn.op == Op::kPow ? k.add_op(fn.op, kF, {x, k.add_const(kF, fn.exponent)}) : k.add_op(fn.op, kF, {x});
    k.add_output(v, Layout::kContiguous);
    k.set_name(k.chain_name());
    auto ck = compile_or_fail(*xb, k);
    ASSERT_TRUE(ck);
    double max_err = 0;
    float worst = 0;
    auto sweep = [&](uint64_t first, uint64_t last, uint64_t step) {
      for (uint64_t b0 = first; b0 < last; b0 += chunk * step) {
        int64_t n = 0;
        for (uint64_t b = b0; b < last && n < chunk; b += step) in[static_cast<size_t>(n++)] = float_of(static_cast<uint32_t>(b));
        void* data[2] = {in.data(), out.data()};
        run_contiguous(*ck, data, 2, n);
        for (int64_t i = 0; i < n; ++i) {
          const double err = ulp_error(out[static_cast<size_t>(i)], reference(fn.op, in[static_cast<size_t>(i)], fn.exponent));
          if (!(err <= max_err)) {
            max_err = std::isnan(err) ? INFINITY : err;
            worst = in[static_cast<size_t>(i)];
          }
        }
      }
    };
    for (const auto& r : fn.ranges) sweep(r.first, r.second, 1);
    sweep(0, uint64_t{1} << 32, 4099);  // every float class: denormals, huge, NaN, inf
    for (float s : special_values()) sweep(bits_of(s), uint64_t{bits_of(s)} + 1, 1);
    std::printf("[ ulp ] %-8s %-5s e=%-5g max %.3f ulp (at %g)\n", ir::op_info(fn.op).name,
                x86_supported_isa_names()[static_cast<size_t>(GetParam())].c_str(), fn.exponent, max_err, worst);
    EXPECT_LE(max_err, 2.0) << ir::op_info(fn.op).name << " worst input " << worst;
  }
}

// pow's C99 special cases (zero, infinite and NaN bases and exponents,
// negative bases with integer, odd-integer and non-integer exponents, signed
// zeros and infinities, overflow and underflow) against std::pow in float64,
// with the exponent a compile-time constant and a run-time scalar; finite
// results within 1 ULP (the float32-lane code at the FMA levels measures 0.79
// at most, kernels/math/ULP.md; float64 halves at SSE4.1 0.5).
TEST_P(KernelTest, PowSpecialCasesAndOneUlp) {
  auto xb = x86_backend(GetParam());
  const float inf = INFINITY, nan = NAN;
  const std::vector<float> exps = {inf, -inf, nan, 2.5f, -1.7f, 0.3f, 7.0f, -3.0f, 4.0f, 5.0f, -7.0f, 1e10f, -1e10f,
                                   16777215.0f, -16777215.0f, 33554432.0f, 1e-10f, -1e-10f, 0x1p-149f, 127.5f, -149.0f,
                                   150.0f, 0.0f, 1.0f, -1.0f, 2.0f, 3.0f, -2.0f, 0.5f, -0.5f};
  std::vector<float> bases = {0.0f, -0.0f, inf, -inf, nan, 1.0f, -1.0f, 0x1p-149f, -0x1p-149f, 0x1p-126f, 0x1.8p-140f,
                              3.4028235e38f, -3.4028235e38f, 2.0f, -2.0f, 0.5f, -0.5f, 0x1.fffffep-1f, -0x1.fffffep-1f,
                              0x1.000002p+0f, 1.7f, -1.7f, 10.0f, -10.0f, 1e-20f, 1e20f, 1.0001f, 0.9999f, 3.0f, -3.0f};
  for (uint32_t i = 0; i < 4000; ++i) bases.push_back(float_of(i * 1073741u + 12345u));  // every class
  const std::vector<float> specials = {0.0f, 1.0f, 2.0f, 3.0f, -2.0f, 0.5f, -0.5f, -1.0f};
  const int64_t n = static_cast<int64_t>(bases.size());
  for (int runtime = 0; runtime < 2; ++runtime) {
    for (float ey : exps) {
      ir::Kernel k("pow", 1);
      const int x = k.add_input(kF, Layout::kContiguous);
      const int y = runtime ? k.add_input(kF, Layout::kScalar) : k.add_const(kF, ey);
      k.add_output(k.add_op(Op::kPow, kF, {x, y}), Layout::kContiguous);
      k.set_name(k.chain_name());
      auto ck = compile_or_fail(*xb, k);
      ASSERT_TRUE(ck);
      std::vector<float> out(bases.size()), ydummy(1);
      const int64_t sizes[1] = {n};
      const int64_t strides[3] = {1, 0, 1};
      const double scalars[3] = {0.0, static_cast<double>(ey), 0.0};
      std::vector<void*> data = {bases.data()};
      if (runtime) data.push_back(ydummy.data());
      data.push_back(out.data());
      KernelArgs a;
      a.numel = n;
      a.rank = 1;
      a.sizes = sizes;
      a.data = data.data();
      a.strides = runtime ? strides : strides + 1;
      a.scalars = scalars;
      ck->run(a, 0, n);
      const bool special = std::find(specials.begin(), specials.end(), ey) != specials.end();
      int reported = 0;
      for (int64_t i = 0; i < n && reported < 5; ++i) {
        const float xv = bases[static_cast<size_t>(i)], got = out[static_cast<size_t>(i)];
        const double ref = special ? reference(Op::kPow, xv, ey) : std::pow(static_cast<double>(xv), static_cast<double>(ey));
        const bool sign_ok = !(ref == 0.0 && got == 0.0f) || std::signbit(ref) == std::signbit(got);
        const double err = ulp_error(got, ref);
        if (!sign_ok || !(err <= 1.0)) {
          ++reported;
          ADD_FAILURE() << (runtime ? "run-time" : "constant") << " pow(" << xv << " = " << std::hexfloat << xv << ", "
                        << ey << ") = " << got << ", float64 ref " << ref << std::defaultfloat << " (" << err << " ulp)";
        }
      }
    }
  }
}

TEST_P(KernelTest, ListingNamesChain) {
  auto xb = x86_backend(GetParam(), /*listing=*/true);
  ir::Kernel k("t", 1);
  const int a = k.add_input(kF, Layout::kContiguous), b = k.add_input(kF, Layout::kContiguous);
  const int c = k.add_input(kF, Layout::kContiguous);
  k.add_output(k.add_op(Op::kAdd, kF, {k.add_op(Op::kMul, kF, {a, b}), c}), Layout::kContiguous);
  k.set_name(k.chain_name());
  auto ck = compile_or_fail(*xb, k);
  ASSERT_TRUE(ck);
  EXPECT_EQ(ck->name(), k.chain_name());
  const std::string text = ck->listing();
  EXPECT_NE(text.find(k.chain_name()), std::string::npos) << text;
  EXPECT_GT(ck->compile_us(), 0.0);
  const std::string isa = x86_supported_isa_names()[static_cast<size_t>(GetParam())];
  if (isa == "sse") {
    EXPECT_NE(text.find("mulps"), std::string::npos) << text;
    EXPECT_EQ(text.find("ymm"), std::string::npos) << text;
  } else {
    // mul + add is not contracted (eager rounds twice): vmulps then vaddps.
    EXPECT_NE(text.find("vmulps"), std::string::npos) << text;
    EXPECT_NE(text.find(isa == "avx2" ? "ymm" : "zmm"), std::string::npos) << text;
  }
}

TEST_P(KernelTest, MathUsesFmaOnAvx) {
  auto xb = x86_backend(GetParam(), /*listing=*/true);
  ir::Kernel k("t", 1);
  k.add_output(k.add_op(Op::kExp, kF, {k.add_input(kF, Layout::kContiguous)}), Layout::kContiguous);
  k.set_name(k.chain_name());
  auto ck = compile_or_fail(*xb, k);
  ASSERT_TRUE(ck);
  const bool sse = x86_supported_isa_names()[static_cast<size_t>(GetParam())] == "sse";
  EXPECT_EQ(ck->listing().find("vfmadd") != std::string::npos, !sse) << ck->listing();
}

TEST_P(KernelTest, ListingOffByDefault) {
  if (std::getenv("FUZE_DUMP") != nullptr) GTEST_SKIP();
  auto xb = x86_backend(GetParam());
  auto ck = compile_or_fail(*xb, ten_op_kernel(Layout::kContiguous, Layout::kContiguous));
  ASSERT_TRUE(ck);
  EXPECT_TRUE(ck->listing().empty());
}

TEST_P(KernelTest, UnsupportedDtypeIsAStatus) {
  auto xb = x86_backend(GetParam());
  ir::Kernel k("t", 1);
  k.add_output(k.add_op(Op::kTanh, DType::kFloat64, {k.add_input(DType::kFloat64, Layout::kContiguous)}),
               Layout::kContiguous);
  std::unique_ptr<CompiledKernel> ck;
  Status st = xb->compile(k, &ck);
  EXPECT_FALSE(st.is_ok());
  EXPECT_EQ(st.code(), StatusCode::kUnsupported) << status_code_name(st.code());
  EXPECT_NE(st.message().find("f64"), std::string::npos) << st.message();
  EXPECT_EQ(ck, nullptr);
  // Invalid IR (no outputs) is a different failure from a missing op.
  ir::Kernel bad("bad", 1);
  bad.add_input(DType::kFloat32, Layout::kContiguous);
  EXPECT_EQ(xb->compile(bad, &ck).code(), StatusCode::kInvalidIr);
  std::unique_ptr<Backend> ib;
  ASSERT_TRUE(make_interp_backend(&ib).is_ok());
  EXPECT_EQ(ib->compile(bad, &ck).code(), StatusCode::kInvalidIr);
}

// Quick median of the compile time of the 10-op chain (a test-binary figure,
// not a benchmark; the bound is loose so CI on a busy machine stays green).
TEST_P(KernelTest, CompileTimeTenOps) {
  auto xb = x86_backend(GetParam());
  const ir::Kernel k = ten_op_kernel(Layout::kContiguous, Layout::kStrided);
  std::vector<double> us;
  for (int i = 0; i < 31; ++i) {
    std::unique_ptr<CompiledKernel> ck;
    ASSERT_TRUE(xb->compile(k, &ck).is_ok());
    us.push_back(ck->compile_us());
  }
  std::sort(us.begin(), us.end());
  std::printf("[ compile ] %s 10-op chain: median %.1f us (min %.1f)\n",
              x86_supported_isa_names()[static_cast<size_t>(GetParam())].c_str(), us[us.size() / 2], us[0]);
  EXPECT_LT(us[us.size() / 2], 20000.0);
}

std::string isa_label(const ::testing::TestParamInfo<int>& info) {
  return x86_supported_isa_names()[static_cast<size_t>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(AllIsas, KernelTest, ::testing::ValuesIn(x86_supported_isas()), isa_label);

TEST(X86Isa, EnvironmentCapsTheLevel) {
  setenv("FUZE_X86_ISA", "sse", 1);
  std::unique_ptr<Backend> b;
  X86Options o;
  o.listing = true;
  ASSERT_TRUE(make_x86_backend(o, &b).is_ok());
  unsetenv("FUZE_X86_ISA");
  ir::Kernel k("t", 1);
  k.add_output(k.add_op(Op::kAdd, kF, {k.add_input(kF, Layout::kContiguous), k.add_const(kF, 1.0)}),
               Layout::kContiguous);
  k.set_name(k.chain_name());
  auto ck = compile_or_fail(*b, k);
  ASSERT_TRUE(ck);
  EXPECT_NE(ck->listing().find("(x86 sse)"), std::string::npos) << ck->listing();
  EXPECT_EQ(ck->listing().find("ymm"), std::string::npos);
}

// Every op (and the LSTM chain) encodes at every level, AVX-512 included,
// whether or not this CPU could run it.
TEST(X86Isa, EveryLevelEncodes) {
  for (int isa = 0; isa <= 2; ++isa) {
    for (int oi = 0; oi < ir::num_ops(); ++oi) {
      const Op op = ir::op_at(oi);
      if (!x86_op_supported(op)) continue;
      for (bool uniform_rt : {false, true}) {
        ir::Kernel k("t", 1);
        std::vector<int> args = {k.add_input(kF, Layout::kContiguous)};
        for (int j = 1; j < ir::op_info(op).arity; ++j) {
          args.push_back(uniform_rt ? k.add_input(kF, Layout::kScalar) : k.add_const(kF, 2.5));
        }
        k.add_output(k.add_op(op, kF, args), Layout::kContiguous);
        k.set_name(k.chain_name());
        std::string text;
        Status st = x86_assemble_only(k, isa, &text);
        EXPECT_TRUE(st.is_ok()) << "isa " << isa << " " << ir::op_info(op).name << ": " << st.message();
        if (isa == 2) {
          EXPECT_NE(text.find("zmm"), std::string::npos) << text;
        }
      }
    }
    std::string text;
    EXPECT_TRUE(x86_assemble_only(lstm_kernel(Layout::kContiguous), isa, &text).is_ok());
  }
}

// Ops of ops.def the backend does not implement (yet) make compile() return
// a failed Status naming the op, at every level: never a crash.
TEST(X86Isa, UnsupportedOpIsAStatus) {
  int unsupported = 0;
  for (int oi = 0; oi < ir::num_ops(); ++oi) {
    const Op op = ir::op_at(oi);
    if (x86_op_supported(op)) continue;
    // Ops whose float32 form is not valid IR (comparisons, where, bitwise...)
    // are typed ops: x86_dtype_test covers them at their dtypes.
    if (!ir::op_typing_error(op, kF, std::vector<ir::DType>(static_cast<size_t>(ir::op_info(op).arity), kF)).empty()) continue;
    ++unsupported;
    // Built from text: ir::parse checks syntax only, so f32 operands do for
    // every op (the op check comes before any dtype check).
    const int arity = ir::op_info(op).arity;
    std::string text = "kernel t rank 1 {\n";
    for (int i = 0; i < arity; ++i) {
      text += "  %" + std::to_string(i) + " = input " + std::to_string(i) + " f32 contiguous\n";
    }
    text += "  %" + std::to_string(arity) + " = " + ir::op_info(op).name + " f32";
    for (int i = 0; i < arity; ++i) text += std::string(i ? ", %" : " %") + std::to_string(i);
    text += "\n  output %" + std::to_string(arity) + " contiguous\n}\n";
    ir::Kernel k("t", 1);
    ASSERT_TRUE(ir::parse(text, &k).is_ok()) << text;
    const std::string want = std::string("x86: op ") + ir::op_info(op).name + " not supported yet";
    for (int isa : x86_supported_isas()) {
      std::unique_ptr<Backend> b = x86_backend(isa);
      std::unique_ptr<CompiledKernel> ck;
      Status st = b->compile(k, &ck);
      EXPECT_FALSE(st.is_ok()) << ir::op_info(op).name;
      EXPECT_EQ(st.message(), want);
      EXPECT_EQ(ck, nullptr);
    }
    std::string listing;
    EXPECT_FALSE(x86_assemble_only(k, 2, &listing).is_ok()) << ir::op_info(op).name;
  }
  std::printf("[ ops ] %d of %d ops not implemented by x86 (interpreter fallback)\n", unsupported, ir::num_ops());
}

TEST(X86Isa, SupportedLevelsStartAtSse) {
  const auto names = x86_supported_isa_names();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names[0], "sse");
}

}  // namespace
}  // namespace fuze::x86test
