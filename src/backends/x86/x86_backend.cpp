#include "backends/x86/x86_backend.h"

#include <asmjit/x86.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "backends/strided_walk.h"
#include "backends/x86/codegen.h"
#include "backends/x86/pass_codegen.h"
#include "backends/x86/dtype_emit.h"
#include "backends/x86/isa.h"
#include "backends/x86/reduce_kernel.h"
#include "backends/x86/x86_kernel.h"
#include "support/fault.h"
#include "support/log.h"

namespace fuze {
namespace {

using x86::Isa;

using x86::kMaxOperands;
using x86::kMaxRank;
constexpr int64_t kChunk = 256;   // elements per call on rows with a non-unit stride (multiple of 16)
constexpr int kMaxElem = 8;       // bytes per element, largest dtype


class ErrorCollector final : public asmjit::ErrorHandler {
 public:
  void handleError(asmjit::Error err, const char* message, asmjit::BaseEmitter*) override {
    if (failed_) return;
    failed_ = true;
    text_ = std::string(asmjit::DebugUtils::errorAsString(err)) + ": " + (message ? message : "");
  }
  bool failed() const { return failed_; }
  const std::string& text() const { return text_; }

 private:
  bool failed_ = false;
  std::string text_;
};

// Copies c elements of `es` bytes between a strided location (element
// stride s) and a dense buffer.
template <int kEs>
void copy_strided(char* dst, int64_t ds, const char* src, int64_t ss, int64_t c) {
  for (int64_t j = 0; j < c; ++j) std::memcpy(dst + j * ds * kEs, src + j * ss * kEs, kEs);
}
void gather(unsigned char* buf, const char* src, int64_t s, int64_t c, int64_t es) {
  char* dst = reinterpret_cast<char*>(buf);
  switch (es) {
    case 1: copy_strided<1>(dst, 1, src, s, c); break;
    case 2: copy_strided<2>(dst, 1, src, s, c); break;
    case 4: copy_strided<4>(dst, 1, src, s, c); break;
    default: copy_strided<8>(dst, 1, src, s, c); break;
  }
}
void scatter(char* dst, int64_t s, const unsigned char* buf, int64_t c, int64_t es) {
  const char* src = reinterpret_cast<const char*>(buf);
  switch (es) {
    case 1: copy_strided<1>(dst, s, src, 1, c); break;
    case 2: copy_strided<2>(dst, s, src, 1, c); break;
    case 4: copy_strided<4>(dst, s, src, 1, c); break;
    default: copy_strided<8>(dst, s, src, 1, c); break;
  }
}

bool dump_asm_requested() {
  const char* env = std::getenv("FUZE_DUMP");
  return env != nullptr && std::strstr(env, "asm") != nullptr;
}

}  // namespace

namespace x86 {

X86Kernel::X86Kernel(const ir::Kernel& k, Isa isa, Fn fn, void* mem, size_t mem_size)
    : name_(k.name()), lanes_(x86::kernel_lanes(k, isa)), num_in_(k.num_inputs()), num_out_(k.num_outputs()),
      fn_(fn), mem_(mem), mem_size_(mem_size) {
  for (int i = 0; i < num_in_; ++i) {
    const ir::Node& n = k.node(k.inputs()[static_cast<size_t>(i)]);
    layout_.push_back(n.layout);
    dtype_.push_back(n.dtype);
  }
  for (const ir::Output& o : k.outputs()) {
    layout_.push_back(o.layout);
    dtype_.push_back(k.node(o.value).dtype);
  }
  for (ir::DType t : dtype_) esize_.push_back(ir::dtype_size(t));
  for (ir::Layout l : layout_) has_strided_ = has_strided_ || l == ir::Layout::kStrided;
}

X86Kernel::~X86Kernel() {
  if (mem_ != nullptr) asmjit::VirtMem::release(mem_, mem_size_);
}

void X86Kernel::run(const KernelArgs& a, int64_t begin, int64_t end) const {
  if (end > a.numel) end = a.numel;
  if (begin < 0) begin = 0;
  if (begin >= end) return;
  const int nops = num_in_ + num_out_;
  void* ptrs[kMaxOperands];
  uint64_t scal[kMaxOperands];  // by-value scalars in their dtype's storage format
  for (int i = 0; i < nops; ++i) {
    if (layout_[static_cast<size_t>(i)] == ir::Layout::kScalar) {
      x86::scalar_to_storage(dtype_[static_cast<size_t>(i)], a.scalars[i], &scal[i]);
      ptrs[i] = &scal[i];
    } else {
      ptrs[i] = a.data[i];
    }
  }
  if (!has_strided_ || a.rank == 0) {
    for (int i = 0; i < nops; ++i) {
      if (is_stream(i)) ptrs[i] = at(ptrs[i], i, a.rank == 0 ? 0 : begin);
    }
    run_unit(ptrs, end - begin);
    return;
  }
  run_strided(a, ptrs, begin, end);
}

// Every streamed operand is unit-stride from ptrs[i]: full vectors straight
// from memory, the remainder through one padded vector.
void X86Kernel::run_unit(void* const* ptrs, int64_t n) const {
  const int64_t nv = n - n % lanes_;
  if (nv > 0) fn_(ptrs, nv);
  const int64_t rem = n - nv;
  if (rem == 0) return;
  alignas(64) unsigned char stage[kMaxOperands][16 * kMaxElem];
  void* tp[kMaxOperands];
  const int nops = num_in_ + num_out_;
  for (int i = 0; i < nops; ++i) {
    if (!is_stream(i)) {
      tp[i] = ptrs[i];
      continue;
    }
    std::memset(stage[i], 0, sizeof(stage[i]));
    if (i < num_in_) std::memcpy(stage[i], at(ptrs[i], i, nv), static_cast<size_t>(rem * esize(i)));
    tp[i] = stage[i];
  }
  fn_(tp, lanes_);
  for (int i = num_in_; i < nops; ++i) std::memcpy(at(ptrs[i], i, nv), stage[i], static_cast<size_t>(rem * esize(i)));
}

// One row of n elements; inner_stride[i] is streamed operand i's element
// stride along it. Operands of stride 1 are read and written in place, a
// stride-0 input (a column broadcast: one value per row) is a buffer filled
// once per row, any other stride is gathered into a buffer and scattered
// back; kChunk elements per call of the compiled loop.
void X86Kernel::run_row(void* const* ptrs, const int64_t* inner_stride, int64_t n) const {
  alignas(64) unsigned char buf[kMaxOperands][kChunk * kMaxElem];
  void* tp[kMaxOperands];
  const int nops = num_in_ + num_out_;
  for (int i = 0; i < num_in_; ++i) {
    if (!is_stream(i) || inner_stride[i] != 0) continue;
    const int64_t fill = std::min<int64_t>(kChunk, (n + lanes_ - 1) / lanes_ * lanes_);
    const size_t es = static_cast<size_t>(esize(i));
    for (int64_t j = 0; j < fill; ++j) std::memcpy(buf[i] + static_cast<size_t>(j) * es, ptrs[i], es);
  }
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const int64_t c = std::min(kChunk, n - c0);
    const int64_t cp = (c + lanes_ - 1) / lanes_ * lanes_;
    const bool whole = c == cp;  // unit-stride operands are used in place
    for (int i = 0; i < nops; ++i) {
      if (!is_stream(i)) {
        tp[i] = ptrs[i];
        continue;
      }
      const int64_t s = inner_stride[i];
      if (s == 1 && whole) {
        tp[i] = at(ptrs[i], i, c0);
        continue;
      }
      tp[i] = buf[i];
      if (i >= num_in_ || s == 0) continue;
      const int64_t es = esize(i);
      const char* src = static_cast<const char*>(at(ptrs[i], i, c0 * s));
      if (s == 1) {
        std::memcpy(buf[i], src, static_cast<size_t>(c * es));
      } else {
        gather(buf[i], src, s, c, es);
      }
      std::memset(buf[i] + c * es, 0, static_cast<size_t>((cp - c) * es));
    }
    fn_(tp, cp);
    for (int i = num_in_; i < nops; ++i) {
      const int64_t s = inner_stride[i];
      if (s == 1 && whole) continue;
      scatter(static_cast<char*>(at(ptrs[i], i, c0 * s)), s, buf[i], c, esize(i));
    }
  }
}

// The walk follows memory (StridedWalk, shared with the interpreter): the
// innermost dim is the fastest moving one, and a row runs vectorized in place
// whenever every operand's stride there is 0 or 1.
void X86Kernel::run_strided(const KernelArgs& a, void** base, int64_t begin, int64_t end) const {
  const int nops = num_in_ + num_out_;
  const StridedWalk walk(a, num_in_, nops, layout_.data());
  int64_t inner_stride[kMaxOperands];
  bool unit = true;
  for (int i = 0; i < nops; ++i) {
    inner_stride[i] = is_stream(i) ? walk.inner_stride(i) : 0;
    if (is_stream(i) && inner_stride[i] != 1) unit = false;
  }
  void* rp[kMaxOperands];
  walk.for_each_row(begin, end, [&](const int64_t* off, int64_t seg) {
    for (int i = 0; i < nops; ++i) rp[i] = is_stream(i) ? at(base[i], i, off[i]) : base[i];
    if (unit) {
      run_unit(rp, seg);
    } else {
      run_row(rp, inner_stride, seg);
    }
  });
}

Status compile_pointwise(const ir::Kernel& k, Isa isa_, bool listing_, std::unique_ptr<X86Kernel>* out,
                         const std::vector<Fold>* fold, const std::vector<char>* stream,
                         const std::vector<int64_t>* row_strides) {
  const auto t0 = std::chrono::steady_clock::now();
  FUZE_TRY(x86::check_supported(k));
  if (k.num_inputs() + k.num_outputs() > kMaxOperands) {
    return Status::unsupported("x86 backend: more than " + std::to_string(kMaxOperands) + " operands");
  }
  if (k.rank() > kMaxRank) return Status::unsupported("x86 backend: rank above " + std::to_string(kMaxRank));

  asmjit::CodeHolder code;
  asmjit::Error err = code.init(asmjit::Environment::host());
  if (err) return Status::compile_failed(std::string("x86 backend: asmjit init: ") + asmjit::DebugUtils::errorAsString(err));
  ErrorCollector errors;
  code.setErrorHandler(&errors);
  asmjit::StringLogger logger;
  if (listing_) code.setLogger(&logger);
  asmjit::x86::Compiler cc(&code);
  asmjit::Label entry;
  FUZE_TRY(fold != nullptr ? x86::emit_pass_kernel(cc, k, *fold, isa_, &entry, row_strides) : x86::emit_kernel(cc, k, isa_, &entry, stream));
  err = cc.finalize();
  if (!err) err = code.flatten();
  if (!err) err = code.resolveUnresolvedLinks();
  if (!err && support::fault(support::Fault::kX86Emit)) err = asmjit::kErrorInvalidState;  // test-only
  if (err || errors.failed()) {
    return Status::compile_failed("x86 backend: asmjit failed on " + k.name() + ": " +
                         (errors.failed() ? errors.text() : asmjit::DebugUtils::errorAsString(err)));
  }
  // W^X: write the code into a fresh read+write mapping, then make it
  // read+execute before anyone can call it.
  const size_t code_size = code.codeSize();
  const size_t page = asmjit::VirtMem::info().pageSize;
  const size_t mem_size = (code_size + page - 1) / page * page;
  void* mem = nullptr;
  if (support::fault(support::Fault::kExecMem)) return Status::out_of_code_memory("x86 backend: out of code memory: injected fault exec_mem");
  err = asmjit::VirtMem::alloc(&mem, mem_size, asmjit::VirtMem::MemoryFlags::kAccessRW);
  if (err) return Status::out_of_code_memory(std::string("x86 backend: out of code memory: ") + asmjit::DebugUtils::errorAsString(err));
  err = code.relocateToBase(reinterpret_cast<uint64_t>(mem));
  if (!err) err = code.copyFlattenedData(mem, mem_size, asmjit::CopySectionFlags::kPadTargetBuffer);
  if (!err) err = asmjit::VirtMem::protect(mem, mem_size, asmjit::VirtMem::MemoryFlags::kAccessRX);
  if (err) {
    asmjit::VirtMem::release(mem, mem_size);
    return Status::out_of_code_memory(std::string("x86 backend: placing code: ") + asmjit::DebugUtils::errorAsString(err));
  }
  asmjit::VirtMem::flushInstructionCache(mem, code_size);
  auto fn = reinterpret_cast<X86Kernel::Fn>(static_cast<char*>(mem) + code.labelOffsetFromBase(entry));
  auto kernel = std::make_unique<X86Kernel>(k, isa_, fn, mem, mem_size);
  if (listing_) {
    std::string text = "; kernel " + k.name() + " (x86 " + x86::isa_name(isa_) + ")\n";
    text += logger.data();
    if (dump_asm_requested()) std::fprintf(stderr, "%s\n", text.c_str());
    kernel->set_listing(std::move(text));
  }
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  kernel->set_compile_us(us);
  FUZE_LOG(kDebug) << "x86: compiled " << k.name() << " (" << x86::isa_name(isa_) << ", " << code_size
                   << " bytes) in " << us << " us";
  *out = std::move(kernel);
  return Status::ok();
}

}  // namespace x86

namespace {

class X86Backend final : public Backend {
 public:
  X86Backend(Isa isa, bool listing) : isa_(isa), listing_(listing || dump_asm_requested()) {}
  BackendKind kind() const override { return BackendKind::kX86; }
  Status compile(const ir::Kernel& k, std::unique_ptr<CompiledKernel>* out) override;

 private:
  Isa isa_;
  bool listing_;
};

Status X86Backend::compile(const ir::Kernel& k, std::unique_ptr<CompiledKernel>* out) {
  if (k.reduce_rank() > 0) return x86::make_reduce_kernel(k, isa_, listing_, out);
  std::unique_ptr<x86::X86Kernel> kernel;
  FUZE_TRY(x86::compile_pointwise(k, isa_, listing_, &kernel));
  *out = std::move(kernel);
  return Status::ok();
}

}  // namespace

Status make_x86_backend(const X86Options& options, std::unique_ptr<Backend>* out) {
  if (!x86::host_has_sse41()) return Status::unavailable("x86 backend: this CPU lacks SSE4.1");
  Isa isa = x86::default_isa();
  if (options.isa >= 0) {
    if (options.isa > static_cast<int>(x86::host_isa())) {
      return Status::unavailable(std::string("x86 backend: ISA level ") + x86::isa_name(static_cast<Isa>(options.isa)) +
                           " is not supported by this CPU");
    }
    isa = static_cast<Isa>(options.isa);
  }
  *out = std::make_unique<X86Backend>(isa, options.listing);
  return Status::ok();
}

Status x86_assemble_only(const ir::Kernel& k, int isa, std::string* listing) {
  FUZE_TRY(x86::check_supported(k));
  asmjit::CodeHolder code;
  asmjit::Error err = code.init(asmjit::Environment::host());
  if (err) return Status::compile_failed(asmjit::DebugUtils::errorAsString(err));
  ErrorCollector errors;
  code.setErrorHandler(&errors);
  asmjit::StringLogger logger;
  code.setLogger(&logger);
  asmjit::x86::Compiler cc(&code);
  asmjit::Label entry;
  FUZE_TRY(x86::emit_kernel(cc, k, static_cast<Isa>(isa), &entry));
  err = cc.finalize();
  if (!err) err = code.flatten();
  if (!err) err = code.resolveUnresolvedLinks();
  if (err || errors.failed()) {
    return Status::compile_failed("x86 backend: asmjit failed on " + k.name() + ": " +
                         (errors.failed() ? errors.text() : asmjit::DebugUtils::errorAsString(err)));
  }
  *listing = logger.data();
  return Status::ok();
}

bool x86_op_supported(ir::Op op) {
  // Compiles on float32 values: emit_op's list, and cast (f32 -> f32).
  const std::vector<ir::DType> f32(static_cast<size_t>(ir::op_info(op).arity), ir::DType::kFloat32);
  if (!ir::op_typing_error(op, ir::DType::kFloat32, f32).empty()) return false;
  std::string why;
  return x86::typed_op_supported(op, ir::DType::kFloat32, f32, &x86::op_supported, &why);
}

Status make_x86_backend(std::unique_ptr<Backend>* out) { return make_x86_backend(X86Options{}, out); }

std::vector<std::string> x86_supported_isa_names() {
  std::vector<std::string> out;
  for (Isa isa : x86::supported_isas()) out.emplace_back(x86::isa_name(isa));
  return out;
}

std::vector<int> x86_supported_isas() {
  std::vector<int> out;
  for (Isa isa : x86::supported_isas()) out.push_back(static_cast<int>(isa));
  return out;
}

}  // namespace fuze
