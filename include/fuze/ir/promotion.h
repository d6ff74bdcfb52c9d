// ATen's type promotion (at::result_type) over fuze's dtypes, as the front
// end applies it when lowering TorchScript ops to kernel IR: operands fall
// into three categories, tensors with dims, 0-dim tensors and wrapped numbers
// (Python scalars), and a lower category only promotes the result across
// type kinds (bool < integer < floating): an f16 tensor + 2.5 stays f16, an
// i32 tensor + 2.5 becomes f32 (the default dtype), an i32 tensor + a 0-dim
// i64 tensor stays i32.
#pragma once

#include <cstdint>
#include <vector>

#include "fuze/ir/kernel.h"

namespace fuze::ir {

enum class Category : uint8_t { kWrapped, kZeroDim, kDim };  // lowest first

struct Typed {
  DType dtype = DType::kFloat32;  // a wrapped float is float64 here (Python's float)
  Category category = Category::kDim;
};

// The dtype an op over `operands` computes in (at::result_type); float32
// when there are none.
DType result_type(const std::vector<Typed>& operands);
// The category of an op's result: kDim if any operand has dims, else a 0-dim
// tensor (an op's result is a tensor, never a wrapped number).
Category result_category(const std::vector<Typed>& operands);

}  // namespace fuze::ir
