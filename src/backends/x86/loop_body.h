// The loop body of a pointwise kernel, shared by codegen.h's function and the
// row-reduction pass kernels (pass_codegen.h): liveness (only values an
// output needs), the prologue (stream base pointers, uniform inputs,
// constants and loop-invariant ops, hoisted out of the loop), then the values
// of one iteration at an element index. Values are laid out as dtype_emit.h
// describes. Private to the x86 backend.
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "backends/x86/dtype_emit.h"
#include "backends/x86/vec_emitter.h"
#include "fuze/ir/kernel.h"

namespace fuze::x86 {

class LoopBody {
 public:
  // Emits the prologue: ptrs holds the function's operand pointers (inputs,
  // then outputs, as codegen.h describes). row_strides (per input, bytes; 0
  // for none): uniform inputs that hold one value per row instead, row r's at
  // r * stride from the pointer, loaded by begin_row with every op that
  // depends only on them and on uniform values.
  LoopBody(VecEmitter& e, const ir::Kernel& k, const asmjit::x86::Gp& ptrs,
           const std::vector<int64_t>* row_strides = nullptr);
  // The per-row values (row_strides) of row `row`, before its compute()s.
  void begin_row(const asmjit::x86::Gp& row);

  // Whether the kernel computes on bytes (codegen.h's is_byte_kernel).
  bool bytes() const { return bytes_; }
  // Element advance of one iteration: lanes (x4 for a byte kernel).
  int step() const { return bytes_ ? e_.bytes() : e_.lanes(); }
  // Loads and computes every live value for the elements from i + offset.
  void compute(const asmjit::x86::Gp& i, int offset = 0);
  // Outputs o with stream[o] set and a float32 value are stored
  // non-temporally (VecEmitter::store_stream: aligned pointers).
  void set_stream_stores(std::vector<char> stream) { stream_ = std::move(stream); }
  // Output o's value (of the last compute) and dtype.
  const Val& output(int o) const { return val_[static_cast<size_t>(out_value(o))]; }
  ir::DType output_dtype(int o) const { return k_.node(out_value(o)).dtype; }
  // Stores output o's value to its pointer at element i + offset.
  void store(int o, const asmjit::x86::Gp& i, int offset = 0);

 private:
  int out_value(int o) const { return k_.outputs()[static_cast<size_t>(o)].value; }
  void emit_node(size_t id);
  bool exact_operands(const ir::Node& node) const;

  VecEmitter& e_;
  DtypeEmitter d_;
  const ir::Kernel& k_;
  bool bytes_;
  std::vector<char> stream_;  // per output (empty: none)
  asmjit::x86::Mem ones_;
  std::vector<char> live_, hoisted_, row_hoisted_, exact16_;
  std::vector<int64_t> row_stride_;  // per input
  std::vector<Val> val_;
  std::vector<Vec> f32_;  // f32_[id] is val_[id].lo, emit_op's view of float32-lane values
  std::vector<Val> args_;
  std::vector<ir::DType> types_;
  std::vector<asmjit::x86::Gp> in_base_, out_base_;
};

}  // namespace fuze::x86
