// Reference interpreter with dtypes: integer wraparound, casts (float ->
// int truncation, NaN, bool), float16/bfloat16 rounding after every op,
// comparisons and where, logical and bitwise ops, verifier typing rules.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "backends/interp/interp_backend.h"
#include "backends/interp/scalar_ops.h"
#include "fuze/ir/kernel.h"
#include "unit/interp_compile.h"
#include "unit/kernel_args_builder.h"

namespace fuze {
namespace {

using ir::DType;
using ir::Layout;
using ir::Op;

// One op over contiguous 1-d inputs of dtype `in` (all operands), result `out`.
template <class In, class Out>
std::vector<Out> run1(Op op, DType in, DType out, std::vector<std::vector<In>> args) {
  ir::Kernel k("", 1);
  std::vector<int> ids;
  for (size_t i = 0; i < args.size(); ++i) ids.push_back(k.add_input(in, Layout::kContiguous));
  k.add_output(k.add_op(op, out, ids), Layout::kContiguous);
  auto ck = testing::compile_or_die(k);
  std::vector<Out> res(args[0].size());
  testing::ArgsBuilder ab({static_cast<int64_t>(res.size())});
  for (auto& a : args) ab.add_contiguous(a.data());
  ab.add_contiguous(res.data());
  ck->run(ab.args(), 0, ab.numel());
  return res;
}

TEST(InterpDtypes, IntegerArithmeticWrapsAround) {
  const int32_t mx = std::numeric_limits<int32_t>::max(), mn = std::numeric_limits<int32_t>::min();
  EXPECT_EQ((run1<int32_t, int32_t>(Op::kAdd, DType::kInt32, DType::kInt32, {{mx, 1}, {1, 2}})),
            (std::vector<int32_t>{mn, 3}));
  EXPECT_EQ((run1<int32_t, int32_t>(Op::kMul, DType::kInt32, DType::kInt32, {{65536, -3}, {65536, 7}})),
            (std::vector<int32_t>{0, -21}));
  EXPECT_EQ((run1<int32_t, int32_t>(Op::kNeg, DType::kInt32, DType::kInt32, {{mn, 5}})), (std::vector<int32_t>{mn, -5}));
  EXPECT_EQ((run1<int32_t, int32_t>(Op::kAbs, DType::kInt32, DType::kInt32, {{mn, -5}})), (std::vector<int32_t>{mn, 5}));
  const int64_t big = std::numeric_limits<int64_t>::max();
  EXPECT_EQ((run1<int64_t, int64_t>(Op::kSub, DType::kInt64, DType::kInt64, {{-big - 1}, {1}})),
            (std::vector<int64_t>{big}));
  EXPECT_EQ((run1<int64_t, int64_t>(Op::kFloor, DType::kInt64, DType::kInt64, {{-7}})), (std::vector<int64_t>{-7}));
  EXPECT_EQ((run1<int64_t, int64_t>(Op::kSign, DType::kInt64, DType::kInt64, {{-7, 0, 9}})),
            (std::vector<int64_t>{-1, 0, 1}));
}

TEST(InterpDtypes, CastsFollowEager) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ((run1<float, int32_t>(Op::kCast, DType::kFloat32, DType::kInt32, {{2.9f, -2.9f, nan, 3e9f, -0.5f}})),
            (std::vector<int32_t>{2, -2, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::min(), 0}));
  EXPECT_EQ((run1<float, uint8_t>(Op::kCast, DType::kFloat32, DType::kBool, {{0.0f, -0.0f, nan, 0.1f}})),
            (std::vector<uint8_t>{false, false, true, true}));
  EXPECT_EQ((run1<uint8_t, float>(Op::kCast, DType::kBool, DType::kFloat32, {{1, 0}})), (std::vector<float>{1, 0}));
  EXPECT_EQ((run1<int64_t, double>(Op::kCast, DType::kInt64, DType::kFloat64, {{-3, int64_t(1) << 40}})),
            (std::vector<double>{-3.0, 1099511627776.0}));
}

TEST(InterpDtypes, HalfAndBFloat16RoundTrip) {
  using namespace interp;
  EXPECT_EQ(float_to_half(1.0f), 0x3C00u);
  EXPECT_EQ(float_to_half(65504.0f), 0x7BFFu);
  EXPECT_EQ(float_to_half(65520.0f), 0x7C00u);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000u);
  EXPECT_EQ(float_to_half(5.96046448e-8f), 0x0001u);  // smallest subnormal
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048), 0x3C00u);  // tie to even (down)
  EXPECT_EQ(float_to_half(1.0f + 3.0f / 2048), 0x3C02u);  // tie to even (up)
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::nanf("")))));
  for (uint32_t h = 0; h < 0x7C00u; h += 7) EXPECT_EQ(float_to_half(half_to_float(static_cast<uint16_t>(h))), h);
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80u);
  EXPECT_EQ(float_to_bf16(1.00390625f), 0x3F80u);  // tie to even
  EXPECT_EQ(bf16_to_float(0x3F81u), 1.0078125f);
}

TEST(InterpDtypes, HalfRoundsAfterEveryOp) {
  // f16: (2048 + 1) rounds to 2048 after the add; the next sub then gives 0, not 1.
  ir::Kernel k("", 1);
  const int x = k.add_input(DType::kFloat16, Layout::kContiguous);
  const int one = k.add_const(DType::kFloat16, 1.0);
  const int s = k.add_op(Op::kAdd, DType::kFloat16, {x, one});
  k.add_output(k.add_op(Op::kSub, DType::kFloat16, {s, x}), Layout::kContiguous);
  auto ck = testing::compile_or_die(k);
  std::vector<uint16_t> in = {interp::float_to_half(2048.0f), interp::float_to_half(2.0f)}, out(2);
  testing::ArgsBuilder ab({2});
  ab.add_contiguous(in.data());
  ab.add_contiguous(out.data());
  ck->run(ab.args(), 0, 2);
  EXPECT_EQ(interp::half_to_float(out[0]), 0.0f);
  EXPECT_EQ(interp::half_to_float(out[1]), 1.0f);
}

TEST(InterpDtypes, ComparisonsWhereLogicalBitwise) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ((run1<float, uint8_t>(Op::kLt, DType::kFloat32, DType::kBool, {{1, 2, nan}, {2, 2, 1}})),
            (std::vector<uint8_t>{true, false, false}));
  EXPECT_EQ((run1<float, uint8_t>(Op::kNe, DType::kFloat32, DType::kBool, {{nan, 1}, {nan, 1}})),
            (std::vector<uint8_t>{true, false}));
  EXPECT_EQ((run1<float, uint8_t>(Op::kIsnan, DType::kFloat32, DType::kBool, {{nan, 1}})), (std::vector<uint8_t>{true, false}));
  EXPECT_EQ((run1<int32_t, uint8_t>(Op::kLogicalXor, DType::kInt32, DType::kBool, {{0, 3, 0}, {0, 0, -1}})),
            (std::vector<uint8_t>{false, true, true}));
  EXPECT_EQ((run1<int32_t, int32_t>(Op::kBitwiseXor, DType::kInt32, DType::kInt32, {{12, -1}, {10, 5}})),
            (std::vector<int32_t>{6, -6}));
  EXPECT_EQ((run1<uint8_t, uint8_t>(Op::kBitwiseNot, DType::kBool, DType::kBool, {{1, 0}})),
            (std::vector<uint8_t>{false, true}));
  // where(c, a, b)
  ir::Kernel k("", 1);
  const int c = k.add_input(DType::kBool, Layout::kContiguous);
  const int a = k.add_input(DType::kInt64, Layout::kContiguous);
  const int b = k.add_input(DType::kInt64, Layout::kScalar);
  k.add_output(k.add_op(Op::kWhere, DType::kInt64, {c, a, b}), Layout::kContiguous);
  auto ck = testing::compile_or_die(k);
  bool cv[3] = {true, false, true};
  int64_t av[3] = {1, 2, 3}, out[3] = {};
  testing::ArgsBuilder ab({3});
  ab.add_contiguous(cv);
  ab.add_contiguous(av);
  ab.add_scalar(-9);
  ab.add_contiguous(out);
  ck->run(ab.args(), 0, 3);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], -9);
  EXPECT_EQ(out[2], 3);
}

TEST(InterpDtypes, VerifierTypingRules) {
  ir::Kernel k("", 1);
  const int x = k.add_input(DType::kInt32, Layout::kContiguous);
  k.add_output(x, Layout::kContiguous);
  EXPECT_NE(ir::op_typing_error(Op::kExp, DType::kInt32, {DType::kInt32}), "");
  EXPECT_NE(ir::op_typing_error(Op::kAdd, DType::kBool, {DType::kBool, DType::kBool}), "");
  EXPECT_NE(ir::op_typing_error(Op::kBitwiseAnd, DType::kFloat32, {DType::kFloat32, DType::kFloat32}), "");
  EXPECT_NE(ir::op_typing_error(Op::kLt, DType::kFloat32, {DType::kFloat32, DType::kFloat32}), "");
  EXPECT_NE(ir::op_typing_error(Op::kLt, DType::kBool, {DType::kFloat32, DType::kInt32}), "");
  EXPECT_EQ(ir::op_typing_error(Op::kLt, DType::kBool, {DType::kInt32, DType::kInt32}), "");
  EXPECT_EQ(ir::op_typing_error(Op::kCast, DType::kFloat16, {DType::kInt64}), "");
  EXPECT_EQ(ir::op_typing_error(Op::kWhere, DType::kInt32, {DType::kBool, DType::kInt32, DType::kInt32}), "");
  EXPECT_NE(ir::op_typing_error(Op::kWhere, DType::kInt32, {DType::kInt32, DType::kInt32, DType::kInt32}), "");
  EXPECT_EQ(ir::promote_types(DType::kFloat16, DType::kBFloat16), DType::kFloat32);
  EXPECT_EQ(ir::promote_types(DType::kInt64, DType::kFloat16), DType::kFloat16);
  EXPECT_EQ(ir::promote_types(DType::kBool, DType::kInt32), DType::kInt32);
}

}  // namespace
}  // namespace fuze
