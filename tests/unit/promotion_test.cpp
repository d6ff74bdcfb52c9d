// ATen's result_type over fuze's dtypes (fuze/ir/promotion.h): the cases
// torch.result_type gives (checked against libtorch by tests/frontend's
// dtype tests end to end).
#include <gtest/gtest.h>

#include "fuze/ir/promotion.h"

namespace fuze::ir {
namespace {

constexpr Category kDim = Category::kDim, kZero = Category::kZeroDim, kWrapped = Category::kWrapped;

DType rt(std::vector<Typed> ops) { return result_type(ops); }

TEST(Promotion, SameCategoryPromotes) {
  EXPECT_EQ(rt({{DType::kInt32, kDim}, {DType::kInt64, kDim}}), DType::kInt64);
  EXPECT_EQ(rt({{DType::kFloat16, kDim}, {DType::kBFloat16, kDim}}), DType::kFloat32);
  EXPECT_EQ(rt({{DType::kBool, kDim}, {DType::kBool, kDim}}), DType::kBool);
  EXPECT_EQ(rt({{DType::kInt64, kDim}, {DType::kFloat16, kDim}}), DType::kFloat16);
}

TEST(Promotion, LowerCategoriesOnlyCrossTypeKinds) {
  // torch.ones(2, dtype=torch.half) + 2.5 -> half; torch.ones(2, dtype=torch.int) + 2.5 -> float32
  EXPECT_EQ(rt({{DType::kFloat16, kDim}, {DType::kFloat64, kWrapped}}), DType::kFloat16);
  EXPECT_EQ(rt({{DType::kInt32, kDim}, {DType::kFloat64, kWrapped}}), DType::kFloat32);
  // int tensor + 0-dim long tensor -> int; + 0-dim float tensor -> float
  EXPECT_EQ(rt({{DType::kInt32, kDim}, {DType::kInt64, kZero}}), DType::kInt32);
  EXPECT_EQ(rt({{DType::kInt64, kDim}, {DType::kFloat32, kZero}}), DType::kFloat32);
  EXPECT_EQ(rt({{DType::kFloat16, kDim}, {DType::kFloat64, kZero}}), DType::kFloat16);
  // bool tensor + 3 -> long; bool tensor + True -> bool
  EXPECT_EQ(rt({{DType::kBool, kDim}, {DType::kInt64, kWrapped}}), DType::kInt64);
  EXPECT_EQ(rt({{DType::kBool, kDim}, {DType::kBool, kWrapped}}), DType::kBool);
  // 0-dim int tensor + 2.5 -> float32 (the default dtype), 0-dim double + 2.5 -> double
  EXPECT_EQ(rt({{DType::kInt32, kZero}, {DType::kFloat64, kWrapped}}), DType::kFloat32);
  EXPECT_EQ(rt({{DType::kFloat64, kZero}, {DType::kFloat64, kWrapped}}), DType::kFloat64);
  EXPECT_EQ(rt({}), DType::kFloat32);
}

TEST(Promotion, ResultCategory) {
  EXPECT_EQ(result_category({{DType::kFloat32, kZero}, {DType::kFloat32, kDim}}), kDim);
  EXPECT_EQ(result_category({{DType::kFloat32, kZero}, {DType::kFloat64, kWrapped}}), kZero);
  EXPECT_EQ(result_category({{DType::kFloat64, kWrapped}}), kZero);
}

}  // namespace
}  // namespace fuze::ir
