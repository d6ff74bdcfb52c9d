// verify(): one test per rule (see src/ir/verifier.cpp), each a kernel in text.
#include <gtest/gtest.h>

#include <string>

#include "fuze/ir/kernel.h"

namespace fuze::ir {
namespace {

// Parses `body` inside a rank-1 kernel header and returns verify()'s message ("" when ok).
std::string verify_text(const std::string& body, int rank = 1) {
  Kernel k;
  const std::string text = "kernel k rank " + std::to_string(rank) + " {\n" + body + "}\n";
  Status p = parse(text, &k);
  if (!p) return "PARSE: " + p.message();
  Status s = verify(k);
  return s ? "" : s.message();
}

void expect_error(const std::string& body, const std::string& want) {
  const std::string got = verify_text(body);
  EXPECT_NE(got, "") << "verified:\n" << body;
  EXPECT_NE(got.find(want), std::string::npos) << "got: " << got << "\nwant: " << want;
}

TEST(Verifier, AcceptsAWellFormedKernel) {
  EXPECT_EQ(verify_text("%0 = input 0 f32 strided\n%1 = input 1 f32 broadcast\n%2 = pow f32 %0, %1\n"
                        "output %2 strided\noutput %0 contiguous\n"),
            "");
}

TEST(Verifier, RankOutOfRange) {
  Kernel k("k", 65);
  k.add_output(k.add_const(DType::kFloat32, 1.0), Layout::kContiguous);
  EXPECT_NE(verify(k).message().find("rank 65 out of range"), std::string::npos);
}

TEST(Verifier, Arity) {
  expect_error("%0 = input 0 f32 contiguous\n%1 = add f32 %0\noutput %1 contiguous\n",
               "%1 = add: expected 2 operand(s), got 1");
  expect_error("%0 = input 0 f32 contiguous\n%1 = neg f32 %0, %0\noutput %1 contiguous\n",
               "%1 = neg: expected 1 operand(s), got 2");
}

TEST(Verifier, SsaOrder) {
  expect_error("%0 = input 0 f32 contiguous\n%1 = neg f32 %2\n%2 = neg f32 %0\noutput %2 contiguous\n",
               "%1 = neg: operand %2 is not defined before it");
  expect_error("%0 = input 0 f32 contiguous\n%1 = neg f32 %1\noutput %1 contiguous\n",
               "operand %1 is not defined before it");
}

TEST(Verifier, OperandDTypes) {
  expect_error("%0 = input 0 f32 contiguous\n%1 = input 1 f64 contiguous\n%2 = mul f64 %1, %0\n"
               "output %2 contiguous\n",
               "%2 = mul: operand %0 has dtype f32, expected f64");
}

TEST(Verifier, UniformRhs) {
  expect_error("%0 = input 0 f32 contiguous\n%1 = input 1 f32 strided\n%2 = clamp_min f32 %0, %1\n"
               "output %2 contiguous\n",
               "second operand %1 must be uniform");
  // An op over uniform values is uniform.
  EXPECT_EQ(verify_text("%0 = input 0 f32 contiguous\n%1 = input 1 f32 scalar\n%2 = neg f32 %1\n"
                        "%3 = clamp_max f32 %0, %2\noutput %3 contiguous\n"),
            "");
}

TEST(Verifier, IntegerConstants) {
  expect_error("%0 = const i64 1.5\noutput %0 contiguous\n", "not representable in i64");
  expect_error("%0 = const i32 inf\noutput %0 contiguous\n", "not representable in i32");
  EXPECT_EQ(verify_text("%0 = const i64 -3\noutput %0 contiguous\n"), "");
}

TEST(Verifier, InputIndexOutOfRange) {
  expect_error("%0 = input 1 f32 contiguous\noutput %0 contiguous\n", "%0 = input 1: index out of range");
}

TEST(Verifier, InputIndexTwice) {
  expect_error("%0 = input 0 f32 contiguous\n%1 = input 0 f32 contiguous\n%2 = add f32 %0, %1\n"
               "output %2 contiguous\n",
               "index already used by %0");
}

TEST(Verifier, InputListMatchesNodes) {
  Kernel k("k", 1);
  const int a = k.add_input(DType::kFloat32, Layout::kContiguous);
  k.add_output(a, Layout::kContiguous);
  k.mutable_inputs().push_back(a);
  EXPECT_NE(verify(k).message().find("input list has 2 entries for 1 input nodes"), std::string::npos)
      << verify(k).message();
}

TEST(Verifier, InputsOutOfOrderInTextAreFine) {
  EXPECT_EQ(verify_text("%0 = input 1 f32 contiguous\n%1 = input 0 f32 contiguous\n%2 = sub f32 %0, %1\n"
                        "output %2 contiguous\n"),
            "");
}

TEST(Verifier, NeedsAnOutput) { expect_error("%0 = input 0 f32 contiguous\n", "kernel has no outputs"); }

TEST(Verifier, OutputDefined) {
  expect_error("%0 = input 0 f32 contiguous\noutput %1 contiguous\n", "output %1 is not defined");
}

TEST(Verifier, OutputLayoutStorable) {
  expect_error("%0 = input 0 f32 contiguous\noutput %0 broadcast\n", "layout broadcast cannot be stored");
  expect_error("%0 = input 0 f32 contiguous\noutput %0 scalar\n", "layout scalar cannot be stored");
}

}  // namespace
}  // namespace fuze::ir
