// Private to the frontend: a value as the lowering to kernel IR sees it, and
// the part of the lowering (lowering.cpp) that the reductions' lowering
// (lower_reduce.cpp) builds on.
#pragma once

#include <torch/csrc/jit/ir/ir.h>

#include <vector>

#include "fuze/ir/kernel.h"
#include "fuze/ir/promotion.h"
#include "fuze/support/status.h"

namespace fuze::frontend {

// A value while lowering: its IR id and ATen's view of it (dtype, category).
struct LowerVal : ir::Typed {
  int id = -1;  // IR value (-1 for a constant not yet materialised)
  bool is_const = false;
  double constant = 0.0;
};

class LowerContext {
 public:
  // The lowered value of a TorchScript value (an earlier node, an input or a constant).
  virtual Status get(const torch::jit::Value* v, LowerVal* out) = 0;
  // `v` as an IR value of dtype t (a cast or a constant in t when needed).
  virtual int as(const LowerVal& v, ir::DType t) = 0;
  // Op `op` computed in dtype t over `ops`, each converted to t first.
  virtual LowerVal emit(ir::Op op, ir::DType t, const std::vector<LowerVal>& ops) = 0;
  // A Python float constant.
  virtual LowerVal constant(double c) = 0;
  virtual ir::Kernel& kernel() = 0;

 protected:
  ~LowerContext() = default;
};

// Lowers one reduction node (frontend.h: is_reduction_kind) at the kernel's
// rank, setting the kernel's reduce_rank: lower_reduce.cpp.
Status lower_reduction(const torch::jit::Node* n, LowerContext& cx, LowerVal* out);

}  // namespace fuze::frontend
