// Kernels for the CUDA tests, built from kernel-IR text (parse + verify), so
// a combination that the IR does not allow is skipped rather than asserted.
#pragma once

#include <string>
#include <vector>

#include "fuze/ir/kernel.h"

namespace fuze::cuda_test {

// Parses and verifies; false (with *why) when the text is not a valid kernel.
inline bool kernel_from_text(const std::string& text, ir::Kernel* k, std::string* why = nullptr) {
  Status s = ir::parse(text, k);
  if (s) s = ir::verify(*k);
  if (!s && why) *why = s.message();
  return s.is_ok();
}

// One op of `dtype` over fresh inputs: contiguous for streamed operands, a
// kScalar input for a kUniformRhs second operand. False when the IR rejects it
// or the cuda backend has no kernel for the op (ops.def: the runtime
// decomposes it first; tests/unit/decompose_test.cpp covers that).
inline bool single_op_kernel(ir::Op op, ir::DType dtype, ir::Kernel* k, ir::Layout layout = ir::Layout::kContiguous) {
  const ir::OpInfo& info = ir::op_info(op);
  if ((info.native & ir::kCuda) == 0) return false;
  const char* t = ir::dtype_name(dtype);
  std::string text = std::string("kernel op_") + info.name + "_" + t + " rank 2 {\n";
  for (int i = 0; i < info.arity; ++i) {
    bool uniform = i == 1 && (info.flags & ir::kUniformRhs) != 0;
    text += "  %" + std::to_string(i) + " = input " + std::to_string(i) + " " + t + " " +
            (uniform ? "scalar" : ir::layout_name(layout)) + "\n";
  }
  std::string args;
  for (int i = 0; i < info.arity; ++i) args += (i ? ", %" : " %") + std::to_string(i);
  text += "  %" + std::to_string(info.arity) + " = " + info.name + " " + t + args + "\n";
  text += "  output %" + std::to_string(info.arity) + " " + ir::layout_name(layout) + "\n}\n";
  return kernel_from_text(text, k);
}

inline const char* kAddTanh =
    "kernel fused_add_tanh rank 1 {\n"
    "  %0 = input 0 f32 contiguous\n"
    "  %1 = input 1 f32 contiguous\n"
    "  %2 = add f32 %0, %1\n"
    "  %3 = tanh f32 %2\n"
    "  output %3 contiguous\n"
    "}\n";

// The pointwise half of an LSTM cell: gates (4 inputs) and the cell state in,
// hy and cy out.
inline const char* kLstmCell =
    "kernel fused_lstm_cell rank 2 {\n"
    "  %0 = input 0 f32 contiguous\n"
    "  %1 = input 1 f32 contiguous\n"
    "  %2 = input 2 f32 contiguous\n"
    "  %3 = input 3 f32 contiguous\n"
    "  %4 = input 4 f32 contiguous\n"
    "  %5 = sigmoid f32 %0\n"
    "  %6 = sigmoid f32 %1\n"
    "  %7 = tanh f32 %2\n"
    "  %8 = sigmoid f32 %3\n"
    "  %9 = mul f32 %6, %4\n"
    "  %10 = mul f32 %5, %7\n"
    "  %11 = add f32 %9, %10\n"
    "  %12 = tanh f32 %11\n"
    "  %13 = mul f32 %8, %12\n"
    "  output %13 contiguous\n"
    "  output %11 contiguous\n"
    "}\n";

// Strided and broadcast inputs, a by-value scalar and a constant.
inline const char* kStridedBroadcast =
    "kernel fused_mul_add_clamp_min rank 3 {\n"
    "  %0 = input 0 f32 strided\n"
    "  %1 = input 1 f32 broadcast\n"
    "  %2 = input 2 f32 scalar\n"
    "  %3 = const f32 0.5\n"
    "  %4 = mul f32 %0, %1\n"
    "  %5 = add f32 %4, %2\n"
    "  %6 = clamp_min f32 %5, %3\n"
    "  output %6 strided\n"
    "}\n";

}  // namespace fuze::cuda_test
