// The x86 row-reduction kernel's class (design: reduce_kernel.h), shared by
// its compile half (reduce_kernel.cpp: passes, kept values, the pointwise and
// fused kernels) and its run-time half (reduce_run.cpp). Private to the x86
// backend.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/x86/isa.h"
#include "backends/x86/pass_codegen.h"
#include "backends/x86/reduce_accum.h"
#include "backends/x86/x86_kernel.h"
#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace fuze::x86::reduce_impl {

using ir::DType;
using ir::Op;

constexpr int64_t kChunk = 8 * kReduceBlock;  // row elements per pass-kernel call (whole blocks)
// Rows up to this many elements keep the f32 reduce operands that pass
// kernels compute (softmax's exp(x - max)) in row buffers, and the later
// kernels read them back instead of computing them again (the same code
// made them: the same bits). Longer rows compute them again.
constexpr int64_t kKeepMax = 16384;
// run_split: at most this many segments per row, each at least kMinSegment
// elements (whole blocks).
constexpr int kMaxSegments = 64;
// run_batched: rows up to kBatchMaxRow elements, about kBatchElems per batch.
constexpr int64_t kBatchMaxRow = 256;
constexpr int64_t kBatchElems = 4096;
constexpr int64_t kMinSegment = 16 * kReduceBlock;

inline bool is_reduce(const ir::Node& n) { return n.kind == ir::NodeKind::kOp && (ir::op_info(n.op).flags & ir::kReduce) != 0; }
inline Fold fold_of(Op op) {
  switch (op) {
    case Op::kSum: return Fold::kSum;
    case Op::kProd: return Fold::kProd;
    case Op::kAmax: return Fold::kMax;
    default: return Fold::kMin;  // amin: init admits no other reduce op on the JIT path
  }
}
inline bool is_float32_lanes(DType t) { return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16; }

// A pointwise kernel over some values of the reduction kernel along a row
// segment: the reduce ops (and row_size) it reads become kBroadcast inputs
// fed per row, streamed inputs become kContiguous (their row stride is
// applied by the caller).
struct SubKernel {
  // Where input i of fn comes from, resolved when it is built.
  struct Bind {
    // kPerRow: the current row's value (run_batched: row 0's, the rows after
    // it 8 bytes per node apart, as the kernel's row strides say).
    enum Kind : uint8_t { kPerRow, kKept, kScalar, kBroadcast, kStream } kind;
    int src;        // the original input index (kScalar, kBroadcast, kStream) or node id (the others)
    int64_t esize;  // element size in bytes
  };
  std::unique_ptr<X86Kernel> fn;
  std::vector<Bind> binds;
  int num_inputs() const { return static_cast<int>(binds.size()); }
};

class ReduceKernel final : public CompiledKernel {
 public:
  ReduceKernel(const ir::Kernel& k, Isa isa) : k_(k), isa_(isa), fns_(accum_fns(isa)) {}

  Status init(bool listing);
  const std::string& name() const override { return k_.name(); }
  std::string listing() const override { return listing_; }
  double compile_us() const override { return compile_us_; }
  void set_compile_us(double us) { compile_us_ = us; }
  void run(const KernelArgs& a, int64_t begin, int64_t end) const override;
  bool run_split(const KernelArgs& a, int64_t begin, int64_t end, int parts, const SplitFor& par) const override;

 private:
  // A reduce op as the run time needs it (no node lookups per row).
  struct Reduce {
    int id;           // node id
    Op op;            // sum, prod, amax, amin
    DType dtype;      // its result's
    bool f64_arg;     // its operand is f64 (sum / prod)
    int input = -1;   // its operand's input index when the operand is an input
  };
  struct Pass {
    std::vector<int> reduces;  // sum/prod/amax/amin node ids
    std::vector<Reduce> info;  // the same, resolved
    SubKernel sub;             // their operands, as f32
    SubKernel sub_kept;        // the same, reading kept row values of earlier passes and
                               // storing `extras` (when it would)
    bool has_kept = false;
    std::vector<int> extras;   // further f32 values this pass computes that later kernels read (kept)
    bool direct = false;       // every operand is a streamed f32 input (read in place at unit row stride)
    // The pass as one kernel (pass_codegen.h) over the row's whole groups of
    // kPartials elements at unit row strides: its reduce operands folded;
    // fused_kept also reads kept values of earlier passes and stores the kept
    // values this pass computes (`stored`, node ids: operands and extras).
    SubKernel fused, fused_kept;
    std::vector<int> stored;
    bool has_fused_kept = false;
    // run_batched's: rows of a batch back to back, one block per row, the
    // per-row values of earlier passes streamed, every kept value in its
    // batch buffer.
    SubKernel batch;
  };
  static int64_t state_size(int64_t n) { return kPartials + n / kReduceBlock + 1; }
  // Per call: operand pointers and strides of the current row.
  struct Row {
    const KernelArgs* a;
    const int64_t* base;        // per operand: element offset of the row's start
    const int64_t* row_stride;  // per operand: element stride along the (coalesced) row
    const uint64_t* scal;       // by-value scalars in storage format
    const uint64_t* per_row;    // per node id: per-row values in storage format
    char* const* kept;          // per node id: its kept row buffer (nullptr: none, or rows too long)
    // run_batched: per input, the buffer repeating a row every row reads (or null).
    char* const* repeated = nullptr;
  };
  // Points ptrs at the inputs of `s` for row elements from j0; *unit when
  // every streamed input has row stride 1. Returns the number of inputs.
  int bind_inputs(const SubKernel& s, const Row& r, int64_t j0, void** ptrs, int64_t* inner, bool* unit) const;
  void call(const SubKernel& s, void** ptrs, const int64_t* inner, bool unit, int64_t n) const;
  // One segment's results of a pass, per reduce op: its block values in
  // order (whole blocks of kReduceBlock elements, then the segment's
  // trailing part of a block, folded, when the row ends there) or its best
  // value and whether it met a NaN (amax / amin).
  struct Segment {
    const double* blocks[kMaxOperands];
    int64_t num_blocks[kMaxOperands];
    float best[kMaxOperands];
    bool nan[kMaxOperands];
  };
  // Pass p over row elements [j0, j0 + c), j0 a multiple of kReduceBlock:
  // the fused kernel (pass_codegen.h) over its whole groups of kPartials
  // elements when every streamed input has a unit row stride, the rest here;
  // else pointwise kernels over chunks and reduce_accum's folds. state:
  // state_size(c) doubles per reduce op; scratch: kChunk per reduce op.
  void run_segment(const Pass& p, const Row& r, int64_t j0, int64_t c, double* scratch, double* state,
                   Segment* out) const;
  // The pass's per-row values from its segments in row order, into per_row
  // (storage format of each node's dtype): the spec's block counter over
  // every block value, the best of the extremes.
  void finish_pass(const Pass& p, const Segment* segs, int num_segs, int64_t n, uint64_t* per_row) const;
  // The final walk over row elements [j0, j0 + c) (row outputs), streaming
  // stores when `stream` and the outputs allow.
  bool run_final(const Row& r, int64_t j0, int64_t c, bool stream) const;
  // The per-row outputs of the current row.
  void run_per_row(const Row& r) const;
  // The reduce operands of the pass for row elements [j0, j0 + c) into
  // operand_at (and its extras into their kept buffers), by its pointwise kernel.
  void compute_operands(const Pass& p, const Row& r, int64_t j0, int64_t c, double* scratch) const;
  // Per call: the operands' strides, their row strides (false: some
  // operand's reduced dims do not coalesce) and by-value scalars.
  struct Call {
    int outer = 0;
    int64_t num_rows = 1, n = 1;
    int64_t strides[kMaxOperands * kMaxRank];
    int64_t rstride[kMaxOperands];
    int64_t esize[kMaxOperands];  // element size of the streamed operands (inputs along rows, row outputs); 0: others
    uint64_t scal[kMaxOperands];
    bool stream = false;  // row outputs stored non-temporally where aligned
  };
  bool prepare(const KernelArgs& a, Call* c) const;
  // Batches of short rows (n <= kBatchMaxRow), each pass and the final walk
  // over the batch's rows in one call, one block per row (a partial group
  // ends a row of n % kPartials != 0). Returns the first row it left to the
  // row-by-row walk: `begin` when the call does not qualify (layouts: every
  // streamed operand's rows dense, or one row repeated for inputs).
  int64_t run_batched(const KernelArgs& a, const Call& c, int64_t begin, int64_t end) const;
  // row_size nodes' per-row values: the row length n in their dtype.
  void set_row_sizes(int64_t n, uint64_t* per_row) const;
  // Element offsets of the row at multi-index idx (outer dims) per operand.
  void row_base(const Call& c, const int64_t* idx, int64_t* base) const;
  // Where the pass kernel writes (and the accumulation reads) reduce i's
  // operand for the chunk from j0: its kept row buffer, or the chunk scratch
  // (kChunk doubles per reduce op: float32 or float64 values).
  void* operand_at(const Pass& p, const Row& r, size_t i, int64_t j0, double* scratch) const {
    const int arg = k_.node(p.reduces[i]).args[0];
    if (r.kept != nullptr && kept_[static_cast<size_t>(arg)]) return kept_at(r, arg, j0);
    return scratch + static_cast<int64_t>(i) * kChunk;
  }
  std::vector<char> kept_before(size_t pass) const;  // kept_ of passes before `pass`
  // Kept value id's element j in the row's buffer.
  char* kept_at(const Row& r, int id, int64_t j) const { return r.kept[id] + j * kept_esize_[static_cast<size_t>(id)]; }

  ir::Kernel k_;
  Isa isa_;
  const AccumFns& fns_;
  std::unique_ptr<CompiledKernel> interp_;  // layouts the JIT path does not take, and non-float reductions
  bool jit_ = false;
  std::vector<Pass> passes_;
  std::vector<int> row_size_nodes_;
  std::vector<int> row_outputs_, per_row_outputs_;  // output indices
  std::vector<int64_t> row_output_esize_;          // per row output: its element size
  int vec_bytes_ = 0;                               // isa_lanes(isa_) * 4
  std::vector<int> copied_outputs_;  // per-row outputs of a reduce op's value: copied from its storage
  SubKernel final_, per_row_;
  SubKernel final_kept_;  // reads the kept row values (when it would)
  // The same with the float32 row outputs stored non-temporally, when there
  // are such outputs (has_nt_).
  SubKernel final_nt_, final_kept_nt_;
  SubKernel final_batch_;           // run_batched's final walk
  bool has_batch_ = false;
  bool has_nt_ = false;
  bool has_final_kept_ = false;
  std::vector<char> kept_;        // per node id: a value kept in a row buffer (f32 and f64 ops)
  std::vector<int64_t> kept_esize_;  // per node id: its element size
  std::vector<int> kept_pass_;    // per node id: the pass that computes it
  std::vector<int> kept_ids_;
  std::vector<int> kept_out_;     // per node id: the row output whose row holds it, or -1
  size_t max_reduces_ = 0;
  std::string listing_;
  double compile_us_ = 0.0;
};


// The last-level cache's size (Linux sysfs, cpu0's level-3 cache; 32 MiB
// when it cannot be read).
int64_t last_level_cache_bytes();

}  // namespace fuze::x86::reduce_impl
