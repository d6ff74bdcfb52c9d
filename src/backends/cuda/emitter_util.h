// Pieces of the CUDA C emitter shared by the pointwise kernels (emitter.cpp)
// and the row-reduction kernels (reduce_emitter.cpp). Internal to backends/cuda.
#pragma once

#include <string>
#include <vector>

#include "backends/cuda/emitter.h"
#include "fuze/ir/kernel.h"
#include "fuze/support/status.h"

namespace fuze::cuda::detail {

// The C type a dtype is stored as in memory (FuzeHalf, FuzeBf16, unsigned char
// for bool, ...) and the type it computes in (float for f16/bf16/f32).
const char* storage_type(ir::DType t);
const char* compute_type(ir::DType t);
// A constant of dtype t, rounded as the interpreter rounds it, as exact bits.
std::string const_literal(ir::DType t, double v);
// The expression of pointwise op node n over value names a, b, c (its
// operands); empty for an op the emitter has no expression for (kReduce ops).
std::string node_expr(const ir::Kernel& k, const ir::Node& n, const std::string& a, const std::string& b,
                      const std::string& c);
// A C identifier from a kernel name.
std::string sanitize(const std::string& name);

// The row-reduction entries (reduce_emitter.cpp) of a kernel with
// reduce_rank() > 0, appended to e->source (which already holds the prelude).
// `params` / `args`: the shared parameter list and its names; `used`: per
// input, whether some node or output reads it. e->operands is filled.
Status emit_row_kernels(const ir::Kernel& k, const std::string& params, const std::string& args,
                        const std::vector<bool>& used, EmittedKernel* e);

}  // namespace fuze::cuda::detail
