// The backend interface: kernel IR in, a compiled kernel out; a compiled
// kernel runs over a range of the iteration space described by KernelArgs.
// Backends: interp (portable C++, the spec and last fallback), x86 (asmjit),
// cuda (NVRTC). The runtime reaches them only through make_backend().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "fuze/ir/kernel.h"
#include "fuze/support/status.h"

namespace fuze {

// Run-time description of one call. Operands are the kernel's inputs (in input
// index order) followed by its outputs (in output order): n = num_inputs +
// num_outputs operands.
//
// The iteration space has `rank` dims of `sizes[d]` (row-major, last dim
// fastest); numel = product of sizes (0 when any size is 0; 1 when rank = 0).
// Operand i lives at data[i] and its element for multi-index (i0..i{r-1}) is at
// data[i] + sum_d idx_d * strides[i * rank + d] elements (not bytes).
// Broadcast dims have stride 0. A kScalar input has no data: its value is
// scalars[i] (other entries of `scalars` are ignored). 64-bit throughout.
struct KernelArgs {
  int64_t numel = 0;
  int rank = 0;
  const int64_t* sizes = nullptr;    // [rank]
  void* const* data = nullptr;       // [n]
  const int64_t* strides = nullptr;  // [n * rank]
  const double* scalars = nullptr;   // [num_inputs]
};

class CompiledKernel {
 public:
  virtual ~CompiledKernel() = default;
  // Computes positions [begin, end) of the iteration space in the kernel's
  // walk order: the host backends (interp, x86) walk in memory order (dims
  // sorted by stride and coalesced: src/backends/strided_walk.h), cuda in
  // row-major order. The order is a bijection fixed by the sizes and strides,
  // so disjoint ranges covering [0, numel) compute every element once. Safe to
  // call concurrently on disjoint ranges.
  // A kernel with reduce_rank() = K > 0 (row reductions) counts ROWS instead:
  // [begin, end) are positions of the first rank - K (outer) dims in row-major
  // order, 0 <= begin <= end <= num_rows = the product of the outer sizes (1
  // when K = rank; note that a row may be empty while num_rows > 0), and a
  // call computes whole rows (ends past num_rows are clipped). The runtime
  // partitions rows, not elements, for such kernels. Semantics and order:
  // src/backends/interp/interp_reduce.h, docs/ops.md "Reductions".
  virtual void run(const KernelArgs& args, int64_t begin, int64_t end) const = 0;
  // Row kernels with fewer rows than threads: rows [begin, end) as run()
  // computes them, bit for bit, each row's work split into up to `parts`
  // segments that `par` runs (par(n, body) calls body(b, e) on disjoint
  // ranges covering [0, n), possibly on several threads at once, and returns
  // when all are done). False: the kernel does not split (the caller runs
  // run() instead); the default.
  using SplitFor = std::function<void(int64_t n, const std::function<void(int64_t, int64_t)>& body)>;
  virtual bool run_split(const KernelArgs& args, int64_t begin, int64_t end, int parts, const SplitFor& par) const {
    (void)args, (void)begin, (void)end, (void)parts, (void)par;
    return false;
  }
  virtual const std::string& name() const = 0;
  // Generated code in human-readable form (assembly, CUDA source); may be empty.
  virtual std::string listing() const { return {}; }
  // Microseconds spent compiling this kernel.
  virtual double compile_us() const { return 0.0; }
  // Device kernels (cuda) read and write device memory: run() and run_async()
  // take device pointers. Host kernels (interp, x86) answer false.
  virtual bool runs_on_device() const { return false; }
  // Device kernels: enqueue the whole iteration space on `stream` (a CUstream,
  // i.e. a cudaStream_t such as PyTorch's current stream; nullptr = the legacy
  // default stream) and return without waiting. Host kernels answer an error.
  virtual Status run_async(const KernelArgs& args, void* stream) const {
    (void)args;
    (void)stream;
    return Status::error(name() + " is a host kernel: it has no stream to run on");
  }
};

enum class BackendKind : uint8_t { kInterp, kX86, kCuda };

const char* backend_name(BackendKind kind);  // "interp", "x86", "cuda"
bool parse_backend(std::string_view text, BackendKind* out);
// The backend's column in ops.def (ir::kInterp, ir::kX86 or ir::kCuda): the
// ops it has a kernel for. The runtime decomposes the others
// (passes::decompose) before compile().
unsigned native_ops(BackendKind kind);

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendKind kind() const = 0;
  // Compiles a verified kernel. A failure (unsupported op/dtype/layout for this
  // backend, codegen error) is a Status, never a crash; the caller falls back.
  virtual Status compile(const ir::Kernel& kernel, std::unique_ptr<CompiledKernel>* out) = 0;
};

// Explicit factory (no static self-registration). A backend compiled out of
// this build, or unavailable on this machine, answers with an error that says why.
Status make_backend(BackendKind kind, std::unique_ptr<Backend>* out);

}  // namespace fuze
