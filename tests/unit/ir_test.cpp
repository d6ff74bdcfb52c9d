// Kernel IR: op tables, factories, chain names, printer and parser.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>

#include "fuze/ir/kernel.h"

namespace fuze::ir {
namespace {

uint64_t bits_of(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof(b));
  return b;
}

TEST(OpTable, NamesAreSnakeCaseAndParseBack) {
  ASSERT_GT(num_ops(), 0);
  std::set<std::string> names;
  for (int i = 0; i < num_ops(); ++i) {
    const Op op = op_at(i);
    EXPECT_EQ(static_cast<int>(op), i);
    const OpInfo& info = op_info(op);
    ASSERT_NE(info.name, nullptr);
    EXPECT_TRUE(names.insert(info.name).second) << "duplicate op name " << info.name;
    for (const char* p = info.name; *p; ++p) EXPECT_TRUE(std::islower(*p) || std::isdigit(*p) || *p == '_') << info.name;
    Op back;
    ASSERT_TRUE(parse_op(info.name, &back)) << info.name;
    EXPECT_EQ(back, op);
    // row_size (a reduction, kReduce) is the only op without operands.
    EXPECT_TRUE(info.arity >= ((info.flags & kReduce) != 0 ? 0 : 1) && info.arity <= 3) << info.name;
  }
  Op dummy;
  EXPECT_FALSE(parse_op("ClampMin", &dummy));
  EXPECT_FALSE(parse_op("", &dummy));
}

TEST(OpTable, EntriesMatchOpsDef) {
  EXPECT_STREQ(op_info(Op::kClampMin).name, "clamp_min");
  EXPECT_STREQ(op_info(Op::kAdd).aten, "aten::add");
  EXPECT_EQ(op_info(Op::kAdd).arity, 2);
  EXPECT_EQ(op_info(Op::kTanh).arity, 1);
  EXPECT_TRUE(op_info(Op::kTanh).flags & kApprox);
  EXPECT_FALSE(op_info(Op::kAdd).flags & kApprox);
  EXPECT_TRUE(op_info(Op::kPow).flags & kUniformRhs);
  EXPECT_TRUE(op_info(Op::kPow).flags & kApprox);
}

TEST(DTypeTable, NamesSizesRoundTrip) {
  const DType all[] = {DType::kBool,     DType::kInt32,   DType::kInt64,  DType::kFloat16,
                       DType::kBFloat16, DType::kFloat32, DType::kFloat64};
  const int sizes[] = {1, 4, 8, 2, 2, 4, 8};
  for (int i = 0; i < 7; ++i) {
    DType back;
    ASSERT_TRUE(parse_dtype(dtype_name(all[i]), &back));
    EXPECT_EQ(back, all[i]);
    EXPECT_EQ(dtype_size(all[i]), sizes[i]);
  }
  EXPECT_STREQ(dtype_name(DType::kFloat32), "f32");
  EXPECT_TRUE(is_floating(DType::kBFloat16));
  EXPECT_FALSE(is_floating(DType::kInt64));
  DType d;
  EXPECT_FALSE(parse_dtype("float", &d));
}

TEST(LayoutTable, NamesRoundTrip) {
  for (Layout l : {Layout::kContiguous, Layout::kStrided, Layout::kBroadcast, Layout::kScalar}) {
    Layout back;
    ASSERT_TRUE(parse_layout(layout_name(l), &back));
    EXPECT_EQ(back, l);
  }
  EXPECT_TRUE(is_uniform(Layout::kScalar));
  EXPECT_FALSE(is_uniform(Layout::kStrided));
}

TEST(Factories, BuildInProgramOrder) {
  Kernel k("k", 2);
  const int a = k.add_input(DType::kFloat32, Layout::kContiguous);
  const int b = k.add_input(DType::kFloat32, Layout::kScalar);
  const int c = k.add_const(DType::kFloat32, 0.5);
  const int s = k.add_op(Op::kAdd, DType::kFloat32, {a, b});
  const int t = k.add_op(Op::kClampMin, DType::kFloat32, {s, c});
  k.add_output(t, Layout::kStrided);
  EXPECT_EQ(a, 0);
  EXPECT_EQ(t, 4);
  EXPECT_EQ(k.num_inputs(), 2);
  EXPECT_EQ(k.node(b).input_index, 1);
  EXPECT_EQ(k.inputs()[1], b);
  EXPECT_TRUE(is_uniform_value(k, c));
  EXPECT_TRUE(is_uniform_value(k, b));
  EXPECT_FALSE(is_uniform_value(k, s));
  EXPECT_TRUE(verify(k)) << verify(k).message();
}

using FactoriesDeathTest = ::testing::Test;

TEST(FactoriesDeathTest, BadArityAborts) {
  Kernel k("k", 1);
  const int a = k.add_input(DType::kFloat32, Layout::kContiguous);
  EXPECT_DEATH(k.add_op(Op::kAdd, DType::kFloat32, {a}), "expected 2 operands");
}

TEST(FactoriesDeathTest, DTypeMismatchAborts) {
  Kernel k("k", 1);
  const int a = k.add_input(DType::kFloat32, Layout::kContiguous);
  EXPECT_DEATH(k.add_op(Op::kNeg, DType::kFloat64, {a}), "has dtype f32, expected f64");
}

TEST(FactoriesDeathTest, UndefinedOperandAborts) {
  Kernel k("k", 1);
  k.add_input(DType::kFloat32, Layout::kContiguous);
  EXPECT_DEATH(k.add_op(Op::kNeg, DType::kFloat32, {3}), "not defined");
}

TEST(FactoriesDeathTest, NonUniformRhsAborts) {
  Kernel k("k", 1);
  const int a = k.add_input(DType::kFloat32, Layout::kContiguous);
  const int b = k.add_input(DType::kFloat32, Layout::kStrided);
  EXPECT_DEATH(k.add_op(Op::kPow, DType::kFloat32, {a, b}), "must be uniform");
}

TEST(FactoriesDeathTest, ScalarOutputAborts) {
  Kernel k("k", 1);
  const int a = k.add_input(DType::kFloat32, Layout::kContiguous);
  EXPECT_DEATH(k.add_output(a, Layout::kScalar), "not storable");
}

TEST(ChainName, NamesOpsInProgramOrder) {
  Kernel k("", 1);
  const int a = k.add_input(DType::kFloat32, Layout::kContiguous);
  EXPECT_EQ(k.chain_name(), "fused_copy");
  const int b = k.add_op(Op::kAdd, DType::kFloat32, {a, a});
  k.add_op(Op::kTanh, DType::kFloat32, {b});
  EXPECT_EQ(k.chain_name(), "fused_add_tanh");
}

TEST(ChainName, ShortensLongChainsWithACount) {
  Kernel k("", 1);
  int v = k.add_input(DType::kFloat32, Layout::kContiguous);
  v = k.add_op(Op::kAdd, DType::kFloat32, {v, v});
  for (int i = 0; i < 9; ++i) v = k.add_op(Op::kMul, DType::kFloat32, {v, v});
  EXPECT_EQ(k.chain_name(), "fused_add_mul_..._x10");
}

constexpr const char* kDocExample =
    "kernel fused_add_tanh rank 2 {\n"
    "  %0 = input 0 f32 contiguous\n"
    "  %1 = input 1 f32 strided\n"
    "  %2 = input 2 f32 scalar\n"
    "  %3 = const f32 0.5\n"
    "  %4 = add f32 %0, %1\n"
    "  %5 = mul f32 %4, %3\n"
    "  %6 = tanh f32 %5\n"
    "  output %6 contiguous\n"
    "}\n";

TEST(Printer, PrintsTheDocumentedForm) {
  Kernel k("fused_add_tanh", 2);
  const int a = k.add_input(DType::kFloat32, Layout::kContiguous);
  const int b = k.add_input(DType::kFloat32, Layout::kStrided);
  k.add_input(DType::kFloat32, Layout::kScalar);
  const int h = k.add_const(DType::kFloat32, 0.5);
  const int s = k.add_op(Op::kAdd, DType::kFloat32, {a, b});
  const int m = k.add_op(Op::kMul, DType::kFloat32, {s, h});
  k.add_output(k.add_op(Op::kTanh, DType::kFloat32, {m}), Layout::kContiguous);
  EXPECT_EQ(print(k), kDocExample);
}

TEST(Parser, ParsesTheDocumentedFormAndRoundTrips) {
  Kernel k;
  ASSERT_TRUE(parse(kDocExample, &k)) << parse(kDocExample, &k).message();
  EXPECT_EQ(k.name(), "fused_add_tanh");
  EXPECT_EQ(k.rank(), 2);
  EXPECT_EQ(k.num_inputs(), 3);
  EXPECT_EQ(k.node(3).constant, 0.5);
  EXPECT_EQ(k.node(6).op, Op::kTanh);
  EXPECT_EQ(print(k), kDocExample);
  EXPECT_TRUE(verify(k));
}

TEST(Parser, ConstantsRoundTripBitExactly) {
  const double values[] = {0.0,
                           -0.0,
                           0.1,
                           1.0 / 3.0,
                           -2.5e-300,
                           4.9406564584124654e-324,  // smallest denormal
                           std::numeric_limits<double>::max(),
                           static_cast<double>(0.1f),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()};
  for (double v : values) {
    Kernel k("c", 0);
    k.add_output(k.add_const(DType::kFloat64, v), Layout::kContiguous);
    Kernel back;
    ASSERT_TRUE(parse(print(k), &back)) << print(k);
    EXPECT_EQ(bits_of(back.node(0).constant), bits_of(v)) << print(k);
    EXPECT_TRUE(same_kernel(k, back));
  }
}

TEST(Parser, NanAndInfinitiesParse) {
  Kernel k;
  ASSERT_TRUE(parse("kernel k rank 0 {\n %0 = const f32 nan\n %1 = const f32 -inf\n %2 = const f32 inf\n"
                    " %3 = const f32 -0\n output %0 contiguous\n}\n",
                    &k));
  EXPECT_TRUE(std::isnan(k.node(0).constant));
  EXPECT_EQ(k.node(1).constant, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(k.node(2).constant, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::signbit(k.node(3).constant));
  EXPECT_NE(print(k).find("const f32 nan"), std::string::npos) << print(k);
  EXPECT_NE(print(k).find("const f32 -0\n"), std::string::npos) << print(k);
}

TEST(Parser, UnnamedKernelAndKernelNamedRank) {
  Kernel k("", 1);
  k.add_output(k.add_input(DType::kFloat32, Layout::kContiguous), Layout::kContiguous);
  EXPECT_EQ(print(k).substr(0, 15), "kernel rank 1 {");
  Kernel back;
  ASSERT_TRUE(parse(print(k), &back));
  EXPECT_EQ(back.name(), "");
  k.set_name("rank");
  ASSERT_TRUE(parse(print(k), &back));
  EXPECT_EQ(back.name(), "rank");
}

TEST(Parser, CommentsAndBlankLinesAreIgnored) {
  Kernel k;
  ASSERT_TRUE(parse("// leading comment\n\nkernel k rank 1 { // header\n  %0 = input 0 f64 contiguous // x\n"
                    "\n  output %0 contiguous\n}\n// trailing\n",
                    &k));
  EXPECT_EQ(k.node(0).dtype, DType::kFloat64);
}

// Each malformed input fails with the expected message on the expected line.
struct ParseErrorCase {
  const char* text;
  const char* message;
};

TEST(Parser, ErrorsNameTheLine) {
  const ParseErrorCase cases[] = {
      {"kernel k rank 1 {\n  %0 = input 0 f32 contiguous\n  %1 = tanhh f32 %0\n}\n", "line 3: unknown op 'tanhh'"},
      {"kernel k rank 1 {\n  %0 = input 0 f33 contiguous\n}\n", "line 2: unknown dtype 'f33'"},
      {"kernel k rank 1 {\n  %0 = input 0 f32 contig\n}\n", "line 2: unknown layout 'contig'"},
      {"kernel k rank 1 {\n  %0 = input 0 f32 contiguous\n  %2 = neg f32 %0\n}\n", "line 3: expected %1, got %2"},
      {"kernel k rank 1 {\n  %0 = const f32 1.5x\n}\n", "line 2: bad constant '1.5x'"},
      {"kernel k rank 1 {\n  %0 = input 0 f32 contiguous\n", "missing '}'"},
      {"kernel k rank 1 {\n}\nextra\n", "line 3: unexpected 'extra' after the closing '}'"},
      {"kernel k {\n}\n", "line 1: expected 'rank'"},
      {"kernel k rank x {\n}\n", "line 1: expected an integer rank"},
      {"kernel k rank 2\n}\n", "line 1: expected '{'"},
      {"kern k rank 2 {\n}\n", "line 1: expected 'kernel'"},
      {"", "expected 'kernel'"},
      {"kernel k rank 1 {\n  %0 = input 0 f32 contiguous\n  %1 = add f32 %0 %0\n}\n", "line 3: expected ','"},
      {"kernel k rank 1 {\n  %0 = input 0 f32 contiguous\n  %1 = add f32 %0, x\n}\n",
       "line 3: expected a value like %3, got 'x'"},
      {"kernel k rank 1 {\n  output 0 contiguous\n}\n", "line 2: expected a value like %3"},
      {"kernel k rank 1 {\n  %0 input 0 f32 contiguous\n}\n", "line 2: expected '=' after %0"},
      {"kernel k rank -1 {\n}\n", "line 1: rank -1 out of range"},
  };
  for (const auto& c : cases) {
    Kernel k;
    Status s = parse(c.text, &k);
    ASSERT_FALSE(s) << "parsed:\n" << c.text;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << "got: " << s.message() << "\nwant: " << c.message;
  }
}

TEST(Parser, FailureLeavesOutputUntouched) {
  Kernel k("keep", 3);
  EXPECT_FALSE(parse("kernel x rank 1 {\n bogus\n}\n", &k));
  EXPECT_EQ(k.name(), "keep");
}

// Random well-formed kernels survive print -> parse unchanged.
TEST(Parser, RandomKernelsRoundTrip) {
  std::mt19937 rng(1234);
  const Layout layouts[] = {Layout::kContiguous, Layout::kStrided, Layout::kBroadcast, Layout::kScalar};
  const double consts[] = {0.0, -0.0, 0.1, -1e-310, 3.0, std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::quiet_NaN(), 1.0 / 7.0};
  for (int trial = 0; trial < 200; ++trial) {
    const DType t = trial % 2 ? DType::kFloat32 : DType::kFloat64;
    Kernel k(trial % 3 ? "k" + std::to_string(trial) : "", static_cast<int>(rng() % 5));
    const int num_inputs = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < num_inputs; ++i) k.add_input(t, layouts[rng() % 4]);
    for (int i = 0; i < 12; ++i) {
      const int n = static_cast<int>(k.nodes().size());
      if (rng() % 5 == 0) {
        k.add_const(t, consts[rng() % 8]);
        continue;
      }
      const Op op = op_at(static_cast<int>(rng() % static_cast<unsigned>(num_ops())));
      if (op_info(op).flags & (kBoolOut | kAnyIn | kSelect | kIntegral | kReduce)) continue;  // not f32 -> f32 ops
      std::vector<int> args;
      for (int a = 0; a < op_info(op).arity; ++a) args.push_back(static_cast<int>(rng() % static_cast<unsigned>(n)));
      if ((op_info(op).flags & kUniformRhs) && !is_uniform_value(k, args[1])) args[1] = k.add_const(t, 2.0);
      k.add_op(op, t, args);
    }
    k.add_output(static_cast<int>(k.nodes().size()) - 1, rng() % 2 ? Layout::kContiguous : Layout::kStrided);
    ASSERT_TRUE(verify(k)) << verify(k).message() << "\n" << print(k);
    Kernel back;
    ASSERT_TRUE(parse(print(k), &back)) << print(k);
    EXPECT_TRUE(same_kernel(k, back)) << print(k) << "---\n" << print(back);
    EXPECT_EQ(print(back), print(k));
  }
}

TEST(SameKernel, DistinguishesSignedZeroConstants) {
  Kernel a("k", 0), b("k", 0);
  a.add_output(a.add_const(DType::kFloat32, 0.0), Layout::kContiguous);
  b.add_output(b.add_const(DType::kFloat32, -0.0), Layout::kContiguous);
  EXPECT_FALSE(same_kernel(a, b));
  EXPECT_TRUE(same_kernel(a, a));
}

}  // namespace
}  // namespace fuze::ir
