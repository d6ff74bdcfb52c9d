// Passes: dead code, common subexpressions, naming, the pipeline.
#include <gtest/gtest.h>

#include <string>

#include "fuze/ir/kernel.h"
#include "passes/cse.h"
#include "passes/dead_code.h"
#include "passes/naming.h"
#include "passes/pipeline.h"
#include "passes/simplify.h"

namespace fuze::passes {
namespace {

ir::Kernel parse_or_die(const std::string& body, const std::string& name = "k") {
  ir::Kernel k;
  Status s = ir::parse("kernel " + name + " rank 1 {\n" + body + "}\n", &k);
  EXPECT_TRUE(s) << s.message();
  return k;
}

std::string body_of(const ir::Kernel& k) {
  std::string text = ir::print(k);
  return text.substr(text.find('\n') + 1);
}

TEST(DeadCode, RemovesUnusedValuesAndRenumbers) {
  ir::Kernel k = parse_or_die(
      "%0 = input 0 f32 contiguous\n%1 = const f32 2\n%2 = exp f32 %0\n%3 = mul f32 %0, %1\n"
      "output %3 contiguous\n");
  EXPECT_EQ(eliminate_dead_code(&k), 1);
  EXPECT_EQ(body_of(k),
            "  %0 = input 0 f32 contiguous\n  %1 = const f32 2\n  %2 = mul f32 %0, %1\n"
            "  output %2 contiguous\n}\n");
  EXPECT_TRUE(ir::verify(k));
}

TEST(DeadCode, KeepsUnusedInputs) {
  ir::Kernel k = parse_or_die(
      "%0 = input 0 f32 contiguous\n%1 = input 1 f32 strided\n%2 = neg f32 %1\n%3 = neg f32 %0\n"
      "output %3 contiguous\n");
  EXPECT_EQ(eliminate_dead_code(&k), 1);
  EXPECT_EQ(k.num_inputs(), 2);
  EXPECT_EQ(k.nodes().size(), 3u);
  EXPECT_EQ(k.inputs()[1], 1);
  EXPECT_TRUE(ir::verify(k));
}

TEST(DeadCode, NothingToDoLeavesKernelAlone) {
  ir::Kernel k = parse_or_die("%0 = input 0 f32 contiguous\n%1 = neg f32 %0\noutput %1 contiguous\n");
  const ir::Kernel before = k;
  EXPECT_EQ(eliminate_dead_code(&k), 0);
  EXPECT_TRUE(ir::same_kernel(k, before));
}

TEST(Cse, MergesEqualOpsAndConsts) {
  ir::Kernel k = parse_or_die(
      "%0 = input 0 f32 contiguous\n%1 = const f32 2\n%2 = const f32 2\n%3 = mul f32 %0, %1\n"
      "%4 = mul f32 %0, %2\n%5 = add f32 %3, %4\noutput %5 contiguous\n");
  EXPECT_EQ(eliminate_common_subexpressions(&k), 2);
  eliminate_dead_code(&k);
  EXPECT_EQ(body_of(k),
            "  %0 = input 0 f32 contiguous\n  %1 = const f32 2\n  %2 = mul f32 %0, %1\n"
            "  %3 = add f32 %2, %2\n  output %3 contiguous\n}\n");
}

TEST(Cse, AddAndMulAreCommutative) {
  ir::Kernel k = parse_or_die(
      "%0 = input 0 f32 contiguous\n%1 = input 1 f32 contiguous\n%2 = add f32 %0, %1\n%3 = add f32 %1, %0\n"
      "%4 = mul f32 %0, %1\n%5 = mul f32 %1, %0\noutput %3 contiguous\noutput %5 contiguous\n");
  EXPECT_EQ(eliminate_common_subexpressions(&k), 2);
  EXPECT_EQ(k.outputs()[0].value, 2);
  EXPECT_EQ(k.outputs()[1].value, 4);
}

TEST(Cse, KeepsOrderWhereItMatters) {
  // sub and maximum are not commutative (maximum's +-0 tie returns the second operand).
  ir::Kernel k = parse_or_die(
      "%0 = input 0 f32 contiguous\n%1 = input 1 f32 contiguous\n%2 = sub f32 %0, %1\n%3 = sub f32 %1, %0\n"
      "%4 = maximum f32 %0, %1\n%5 = maximum f32 %1, %0\n%6 = add f32 %2, %3\n%7 = add f32 %4, %5\n"
      "output %6 contiguous\noutput %7 contiguous\n");
  EXPECT_EQ(eliminate_common_subexpressions(&k), 0);
}

TEST(Cse, KeepsSignedZerosAndDTypesApart) {
  ir::Kernel k = parse_or_die(
      "%0 = const f32 0\n%1 = const f32 -0\n%2 = const f64 0\n%3 = add f32 %0, %1\noutput %3 contiguous\n"
      "output %2 contiguous\n");
  EXPECT_EQ(eliminate_common_subexpressions(&k), 0);
}

TEST(Cse, NeverMergesInputs) {
  ir::Kernel k = parse_or_die(
      "%0 = input 0 f32 contiguous\n%1 = input 1 f32 contiguous\n%2 = add f32 %0, %1\noutput %2 contiguous\n");
  EXPECT_EQ(eliminate_common_subexpressions(&k), 0);
}

TEST(Naming, NamesUnnamedKernelsOnly) {
  ir::Kernel k = parse_or_die("%0 = input 0 f32 contiguous\n%1 = sigmoid f32 %0\noutput %1 contiguous\n", "");
  EXPECT_TRUE(name_kernel(&k));
  EXPECT_EQ(k.name(), "fused_sigmoid");
  k.set_name("mine");
  EXPECT_FALSE(name_kernel(&k));
  EXPECT_EQ(k.name(), "mine");
}

TEST(Simplify, IntegerPredicatesBecomeConstants) {
  ir::Kernel k("", 1);
  const int x = k.add_input(ir::DType::kInt64, ir::Layout::kContiguous);
  const int f = k.add_input(ir::DType::kFloat32, ir::Layout::kContiguous);
  k.add_output(k.add_op(ir::Op::kIsinf, ir::DType::kBool, {x}), ir::Layout::kContiguous);
  k.add_output(k.add_op(ir::Op::kIsfinite, ir::DType::kBool, {x}), ir::Layout::kContiguous);
  k.add_output(k.add_op(ir::Op::kIsnan, ir::DType::kBool, {f}), ir::Layout::kContiguous);  // a float: stays
  EXPECT_EQ(fold_dtype_predicates(&k), 2);
  EXPECT_TRUE(ir::verify(k)) << ir::print(k);
  const ir::Node& inf = k.node(k.outputs()[0].value);
  const ir::Node& fin = k.node(k.outputs()[1].value);
  EXPECT_EQ(inf.kind, ir::NodeKind::kConst);
  EXPECT_EQ(inf.constant, 0.0);
  EXPECT_EQ(fin.kind, ir::NodeKind::kConst);
  EXPECT_EQ(fin.constant, 1.0);
  EXPECT_EQ(k.node(k.outputs()[2].value).op, ir::Op::kIsnan);
}

TEST(Pipeline, OptimizesNamesAndVerifies) {
  ir::Kernel k = parse_or_die(
      "%0 = input 0 f32 contiguous\n%1 = tanh f32 %0\n%2 = tanh f32 %0\n%3 = add f32 %1, %2\n"
      "%4 = exp f32 %0\noutput %3 contiguous\n",
      "");
  ASSERT_TRUE(run_pipeline(&k));
  EXPECT_EQ(k.name(), "fused_tanh_add");
  EXPECT_EQ(k.nodes().size(), 3u);
}

TEST(Pipeline, OptimizeOffOnlyNames) {
  ir::Kernel k = parse_or_die(
      "%0 = input 0 f32 contiguous\n%1 = tanh f32 %0\n%2 = tanh f32 %0\noutput %1 contiguous\n", "");
  PipelineOptions o;
  o.optimize = false;
  ASSERT_TRUE(run_pipeline(&k, o));
  EXPECT_EQ(k.nodes().size(), 3u);
  EXPECT_EQ(k.name(), "fused_tanh_tanh");
}

TEST(Pipeline, RejectsInvalidKernels) {
  ir::Kernel k = parse_or_die("%0 = input 0 f32 contiguous\n%1 = add f32 %0\noutput %1 contiguous\n");
  Status s = run_pipeline(&k);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("invalid kernel IR: %1 = add: expected 2 operand(s)"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace fuze::passes
