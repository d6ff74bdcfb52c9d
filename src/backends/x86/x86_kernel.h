// A compiled pointwise x86 kernel (codegen.h's function plus the host loops
// that stage remainders and strided rows), and the compile step shared by
// pointwise kernels and the row-reduction kernels built from them
// (reduce_kernel.h). Private to the x86 backend.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/strided_walk.h"
#include "backends/x86/isa.h"
#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace fuze::x86 {

enum class Fold : uint8_t;  // pass_codegen.h

constexpr int kMaxOperands = StridedWalk::kMaxOperands;  // inputs + outputs (more: the caller falls back)
constexpr int kMaxRank = StridedWalk::kMaxRank;

class X86Kernel final : public CompiledKernel {
 public:
  using Fn = void (*)(void* const*, int64_t);

  X86Kernel(const ir::Kernel& k, Isa isa, Fn fn, void* mem, size_t mem_size);
  ~X86Kernel() override;

  const std::string& name() const override { return name_; }
  std::string listing() const override { return listing_; }
  double compile_us() const override { return compile_us_; }
  void set_listing(std::string s) { listing_ = std::move(s); }
  void set_compile_us(double us) { compile_us_ = us; }

  void run(const KernelArgs& a, int64_t begin, int64_t end) const override;

  // n elements from ptrs[i] (operands: inputs, then outputs; a uniform input
  // points at one element in its storage format), every streamed operand
  // unit-stride.
  void run_unit(void* const* ptrs, int64_t n) const;
  // The compiled function itself (codegen.h / pass_codegen.h).
  Fn fn() const { return fn_; }
  // One row of n elements; inner_stride[i] is streamed operand i's element
  // stride along it (any value, 0 included).
  void run_row(void* const* ptrs, const int64_t* inner_stride, int64_t n) const;

 private:
  bool is_stream(int i) const { return !ir::is_uniform(layout_[static_cast<size_t>(i)]); }
  // Element size in bytes of operand i, and a pointer `elems` elements on.
  int64_t esize(int i) const { return esize_[static_cast<size_t>(i)]; }
  void* at(void* p, int i, int64_t elems) const { return static_cast<char*>(p) + elems * esize(i); }
  void run_strided(const KernelArgs& a, void** ptrs, int64_t begin, int64_t end) const;

  std::string name_;
  std::string listing_;
  double compile_us_ = 0.0;
  int lanes_;
  int num_in_;
  int num_out_;
  std::vector<ir::Layout> layout_;  // per operand: inputs, then outputs
  std::vector<ir::DType> dtype_;    // inputs, then outputs
  std::vector<int64_t> esize_;
  bool has_strided_ = false;
  Fn fn_;
  void* mem_;
  size_t mem_size_;
};

// Compiles a pointwise kernel (reduce_rank() == 0) at `isa`; `listing` keeps
// the assembly text. With `fold`, a pass kernel (pass_codegen.h) instead,
// called through fn(); `stream`: codegen.h's emit_kernel's; `row_strides`:
// pass_codegen.h's.
Status compile_pointwise(const ir::Kernel& k, Isa isa, bool listing, std::unique_ptr<X86Kernel>* out,
                         const std::vector<Fold>* fold = nullptr, const std::vector<char>* stream = nullptr,
                         const std::vector<int64_t>* row_strides = nullptr);

}  // namespace fuze::x86
