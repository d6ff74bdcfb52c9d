// Row reductions in the kernel IR: reduce_rank in the header, the kReduce ops'
// typing, per-row values, and the verifier's rules for them.
#include <gtest/gtest.h>

#include <string>

#include "fuze/ir/kernel.h"

namespace fuze::ir {
namespace {

// verify()'s message for a kernel `rank R reduce K` around `body` ("" when ok).
std::string verify_text(const std::string& body, int rank, int reduce) {
  Kernel k;
  std::string header = "kernel k rank " + std::to_string(rank);
  if (reduce != 0) header += " reduce " + std::to_string(reduce);
  Status p = parse(header + " {\n" + body + "}\n", &k);
  if (!p) return "PARSE: " + p.message();
  Status s = verify(k);
  return s ? "" : s.message();
}

void expect_error(const std::string& body, int rank, int reduce, const std::string& want) {
  const std::string got = verify_text(body, rank, reduce);
  EXPECT_NE(got.find(want), std::string::npos) << "got: '" << got << "'\nwant: " << want << "\n" << body;
}

const char* kSoftmax =
    "kernel softmax rank 2 reduce 1 {\n"
    "  %0 = input 0 f32 contiguous\n"
    "  %1 = amax f32 %0\n"
    "  %2 = sub f32 %0, %1\n"
    "  %3 = exp f32 %2\n"
    "  %4 = sum f32 %3\n"
    "  %5 = div f32 %3, %4\n"
    "  output %5 contiguous\n"
    "}\n";

TEST(ReduceIr, HeaderRoundTripsAndZeroPrintsAsBefore) {
  Kernel k;
  ASSERT_TRUE(parse(kSoftmax, &k));
  EXPECT_EQ(k.rank(), 2);
  EXPECT_EQ(k.reduce_rank(), 1);
  EXPECT_TRUE(verify(k)) << verify(k).message();
  EXPECT_EQ(print(k), kSoftmax);
  Kernel plain("p", 1);
  plain.add_output(plain.add_input(DType::kFloat32, Layout::kContiguous), Layout::kContiguous);
  EXPECT_EQ(print(plain).substr(0, 18), "kernel p rank 1 {\n");
  // A kernel named "reduce" still parses.
  Kernel named;
  ASSERT_TRUE(parse("kernel reduce rank 1 reduce 1 {\n %0 = input 0 f32 contiguous\n %1 = sum f32 %0\n"
                    " output %1 strided\n}\n",
                    &named));
  EXPECT_EQ(named.name(), "reduce");
  EXPECT_EQ(named.reduce_rank(), 1);
}

TEST(ReduceIr, SameKernelComparesReduceRank) {
  Kernel a, b;
  ASSERT_TRUE(parse(kSoftmax, &a));
  b = a;
  EXPECT_TRUE(same_kernel(a, b));
  b.set_reduce_rank(2);
  EXPECT_FALSE(same_kernel(a, b));
}

TEST(ReduceIr, Typing) {
  EXPECT_EQ(op_typing_error(Op::kSum, DType::kFloat16, {DType::kFloat16}), "");
  EXPECT_EQ(op_typing_error(Op::kSum, DType::kInt64, {DType::kInt32}), "");
  EXPECT_EQ(op_typing_error(Op::kSum, DType::kInt64, {DType::kBool}), "");
  EXPECT_EQ(op_typing_error(Op::kProd, DType::kInt64, {DType::kInt64}), "");
  EXPECT_NE(op_typing_error(Op::kSum, DType::kInt32, {DType::kInt32}), "");
  EXPECT_NE(op_typing_error(Op::kSum, DType::kFloat64, {DType::kFloat32}), "");
  EXPECT_EQ(op_typing_error(Op::kAmax, DType::kBool, {DType::kBool}), "");
  EXPECT_EQ(op_typing_error(Op::kAmin, DType::kInt32, {DType::kInt32}), "");
  EXPECT_NE(op_typing_error(Op::kAmax, DType::kInt64, {DType::kInt32}), "");
  EXPECT_EQ(op_typing_error(Op::kRowSize, DType::kBFloat16, {}), "");
  EXPECT_NE(op_typing_error(Op::kRowSize, DType::kInt64, {}), "");
  for (Op op : {Op::kSum, Op::kProd, Op::kAmax, Op::kAmin, Op::kRowSize}) {
    const OpInfo& info = op_info(op);
    EXPECT_NE(info.flags & kReduce, 0u) << info.name;
    EXPECT_STREQ(info.aten, "") << info.name;
    EXPECT_EQ(info.native, unsigned(kInterp | kX86 | kCuda)) << info.name;  // x86: reduce_kernel.cpp, CUDA: reduce_emitter.cpp
  }
}

TEST(ReduceIr, PerRowValues) {
  Kernel k("k", 2, 1);
  const int x = k.add_input(DType::kFloat32, Layout::kContiguous);
  const int s = k.add_input(DType::kFloat32, Layout::kScalar);
  const int m = k.add_op(Op::kAmax, DType::kFloat32, {x});
  const int n = k.add_op(Op::kRowSize, DType::kFloat32, {});
  const int c = k.add_const(DType::kFloat32, 2.0);
  const int mean = k.add_op(Op::kDiv, DType::kFloat32, {m, n});
  const int scaled = k.add_op(Op::kMul, DType::kFloat32, {mean, s});
  const int d = k.add_op(Op::kSub, DType::kFloat32, {x, scaled});
  const int sum_d = k.add_op(Op::kSum, DType::kFloat32, {d});
  const int mix = k.add_op(Op::kAdd, DType::kFloat32, {sum_d, c});
  for (int id : {s, m, n, c, mean, scaled, sum_d, mix}) EXPECT_TRUE(is_per_row_value(k, id)) << id;
  for (int id : {x, d}) EXPECT_FALSE(is_per_row_value(k, id)) << id;
  EXPECT_FALSE(is_uniform_value(k, m));  // per row, not the same everywhere
  k.add_output(d, Layout::kContiguous);
  k.add_output(mix, Layout::kStrided);
  EXPECT_TRUE(verify(k)) << verify(k).message();
}

TEST(ReduceIr, VerifierRules) {
  const std::string sum = "%0 = input 0 f32 contiguous\n%1 = sum f32 %0\n";
  EXPECT_EQ(verify_text(sum + "output %1 strided\n", 2, 1), "");
  EXPECT_EQ(verify_text(sum + "output %1 strided\n", 2, 2), "");
  expect_error(sum + "output %1 strided\n", 2, 0, "%1 = sum: a reduction needs a kernel with reduce_rank > 0");
  expect_error("%0 = row_size f32\noutput %0 strided\n", 1, 0, "%0 = row_size: a reduction needs");
  expect_error(sum + "output %1 strided\n", 1, 2, "reduce 2 out of range [0, rank 1]");
  expect_error(sum + "output %1 strided\n", 1, -1, "reduce -1 out of range");
  expect_error(sum + "output %1 contiguous\n", 2, 1, "output %1: a per-row value is stored once per row");
  // Constants and uniform inputs are per-row too in a reduction kernel.
  expect_error("%0 = const f32 1\noutput %0 contiguous\n", 1, 1, "output %0: a per-row value");
  // Row-level outputs may be either storable layout; a pointwise kernel's
  // uniform output stays contiguous as before.
  EXPECT_EQ(verify_text(sum + "%2 = sub f32 %0, %1\noutput %2 strided\noutput %2 contiguous\n", 2, 1), "");
  EXPECT_EQ(verify_text("%0 = const f32 1\noutput %0 contiguous\n", 1, 0), "");
  expect_error("%0 = input 0 i32 contiguous\n%1 = sum i32 %0\noutput %1 strided\n", 1, 1,
               "%1 = sum: result must be i64 for an operand of dtype i32, not i32");
  expect_error("%0 = input 0 f32 contiguous\n%1 = amax f64 %0\noutput %1 strided\n", 1, 1,
               "%1 = amax: result must be f32");
  expect_error("%0 = row_size i64\noutput %0 strided\n", 1, 1, "%0 = row_size: needs a floating dtype");
  expect_error("%0 = input 0 f32 contiguous\n%1 = sum f32\noutput %1 strided\n", 1, 1, "expected 1 operand(s), got 0");
}

}  // namespace
}  // namespace fuze::ir
