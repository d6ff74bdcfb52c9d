// x86 row-reduction kernels (design: reduce_kernel.h; spec: interp_reduce.h).
#include "backends/x86/reduce_kernel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <xmmintrin.h>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "backends/interp/interp_eval.h"
#include "backends/interp/interp_reduce.h"
#include "backends/interp/scalar_ops.h"
#include "backends/x86/dtype_emit.h"
#include "backends/x86/pass_codegen.h"
#include "backends/x86/reduce_accum.h"
#include "backends/x86/x86_kernel.h"

namespace fuze::x86 {
namespace {

using ir::DType;
using ir::Op;

constexpr int64_t kChunk = 8 * kReduceBlock;  // row elements per pass-kernel call (whole blocks)
// Rows up to this many elements keep the f32 reduce operands that pass
// kernels compute (softmax's exp(x - max)) in row buffers, and the later
// kernels read them back instead of computing them again (the same code
// made them: the same bits). Longer rows compute them again.
constexpr int64_t kKeepMax = 16384;

// The last-level cache's size (Linux sysfs, cpu0's level-3 cache; 32 MiB
// when it cannot be read).
int64_t last_level_cache_bytes() {
  static const int64_t bytes = [] {
    int64_t v = 0;
    if (FILE* f = std::fopen("/sys/devices/system/cpu/cpu0/cache/index3/size", "r")) {
      char unit = 0;
      long long n = 0;
      if (std::fscanf(f, "%lld%c", &n, &unit) >= 1) v = n * (unit == 'K' ? 1024 : unit == 'M' ? 1024 * 1024 : 1);
      std::fclose(f);
    }
    return v > 0 ? v : int64_t{32} << 20;
  }();
  return bytes;
}

std::atomic<int64_t> g_stream_threshold{-1};

bool is_reduce(const ir::Node& n) { return n.kind == ir::NodeKind::kOp && (ir::op_info(n.op).flags & ir::kReduce) != 0; }
Fold fold_of(Op op) {
  switch (op) {
    case Op::kSum: return Fold::kSum;
    case Op::kProd: return Fold::kProd;
    case Op::kAmax: return Fold::kMax;
    default: return Fold::kMin;  // amin: init admits no other reduce op on the JIT path
  }
}
bool is_float32_lanes(DType t) { return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16; }

// A pointwise kernel over some values of the reduction kernel along a row
// segment: the reduce ops (and row_size) it reads become kBroadcast inputs
// fed per row, streamed inputs become kContiguous (their row stride is
// applied by the caller).
struct SubKernel {
  std::unique_ptr<X86Kernel> fn;
  std::vector<int> src_input;  // per input of fn: the original input index, or -1
  std::vector<int> src_value;  // ... or the per-row value (reduce op / row_size) it carries,
                               // or the kept row value (a row buffer of f32) it reads
  int num_inputs() const { return static_cast<int>(src_input.size()); }
};

// `cut` less the roots (a root is computed, whatever `cut` says), unless
// `cut_roots` (a cut root is then read and stored: a copy).
std::vector<char> cut_below(const std::vector<int>& roots, std::vector<char> cut, bool cut_roots = false) {
  if (cut_roots) return cut;
  for (int r : roots) cut[static_cast<size_t>(r)] = 0;
  return cut;
}

// The nodes `roots` need, stopping at reduce ops and at `cut` nodes.
std::vector<char> needed(const ir::Kernel& k, const std::vector<int>& roots, const std::vector<char>& cut) {
  const auto& nodes = k.nodes();
  std::vector<char> need(nodes.size(), 0);
  for (int r : roots) need[static_cast<size_t>(r)] = 1;
  for (size_t id = nodes.size(); id-- > 0;) {
    if (!need[id] || is_reduce(nodes[id]) || cut[id]) continue;
    for (int a : nodes[id].args) need[static_cast<size_t>(a)] = 1;
  }
  return need;
}

// Whether computing `roots` would read a `cut` node (other than a root itself).
bool reads_cut(const ir::Kernel& k, const std::vector<int>& roots, const std::vector<char>& cut_all,
               bool cut_roots = false) {
  const std::vector<char> cut = cut_below(roots, cut_all, cut_roots);
  const std::vector<char> need = needed(k, roots, cut);
  for (size_t id = 0; id < need.size(); ++id) {
    if (need[id] && cut[id]) return true;
  }
  return false;
}

// Builds and compiles the kernel of `roots` (its outputs, in order); `as_f32`
// casts f16/bf16 roots to f32 (exact; f64 roots, sum/prod operands, stay f64). `cut` nodes (f32, kept in row
// buffers) are read as contiguous f32 inputs (src_value) instead of computed.
// With `fold` (per root), a fused pass kernel (pass_codegen.h).
Status build_sub(const ir::Kernel& k, const std::vector<int>& roots, const std::vector<char>& cut_all, bool as_f32,
                 const std::string& name, Isa isa, bool listing, SubKernel* out, bool cut_roots = false,
                 const std::vector<Fold>* fold = nullptr, const std::vector<char>* stream = nullptr) {
  const auto& nodes = k.nodes();
  const std::vector<char> cut = cut_below(roots, cut_all, cut_roots);
  const std::vector<char> need = needed(k, roots, cut);
  ir::Kernel sub(name, 1);
  std::vector<int> map(nodes.size(), -1);
  for (size_t id = 0; id < nodes.size(); ++id) {
    if (!need[id]) continue;
    const ir::Node& n = nodes[id];
    if (n.kind == ir::NodeKind::kInput) {
      map[id] = sub.add_input(n.dtype, ir::is_uniform(n.layout) ? n.layout : ir::Layout::kContiguous);
      out->src_input.push_back(n.input_index);
      out->src_value.push_back(-1);
    } else if (n.kind == ir::NodeKind::kConst) {
      map[id] = sub.add_const(n.dtype, n.constant);
    } else if (is_reduce(n) || cut[id]) {
      map[id] = sub.add_input(n.dtype, is_reduce(n) ? ir::Layout::kBroadcast : ir::Layout::kContiguous);
      out->src_input.push_back(-1);
      out->src_value.push_back(static_cast<int>(id));
    } else {
      std::vector<int> args;
      for (int a : n.args) args.push_back(map[static_cast<size_t>(a)]);
      map[id] = sub.add_op(n.op, n.dtype, std::move(args));
    }
  }
  for (int r : roots) {
    int v = map[static_cast<size_t>(r)];
    const DType t = nodes[static_cast<size_t>(r)].dtype;
    if (as_f32 && t != DType::kFloat32 && t != DType::kFloat64) v = sub.add_op(Op::kCast, DType::kFloat32, {v});
    sub.add_output(v, ir::Layout::kContiguous);
  }
  return compile_pointwise(sub, isa, listing, &out->fn, fold, stream);
}

class ReduceKernel final : public CompiledKernel {
 public:
  ReduceKernel(const ir::Kernel& k, Isa isa) : k_(k), isa_(isa), fns_(accum_fns(isa)) {}

  Status init(bool listing);
  const std::string& name() const override { return k_.name(); }
  std::string listing() const override { return listing_; }
  double compile_us() const override { return compile_us_; }
  void set_compile_us(double us) { compile_us_ = us; }
  void run(const KernelArgs& a, int64_t begin, int64_t end) const override;

 private:
  struct Pass {
    std::vector<int> reduces;  // sum/prod/amax/amin node ids
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
  };
  // Per call: operand pointers and strides of the current row.
  struct Row {
    const KernelArgs* a;
    const int64_t* base;        // per operand: element offset of the row's start
    const int64_t* row_stride;  // per operand: element stride along the (coalesced) row
    const uint64_t* scal;       // by-value scalars in storage format
    const uint64_t* per_row;    // per node id: per-row values in storage format
    float* const* kept;         // per node id: its kept row buffer (nullptr: none, or rows too long)
  };
  // Points ptrs at the inputs of `s` for row elements from j0; *unit when
  // every streamed input has row stride 1. Returns the number of inputs.
  int bind_inputs(const SubKernel& s, const Row& r, int64_t j0, void** ptrs, int64_t* inner, bool* unit) const;
  void call(const SubKernel& s, void** ptrs, const int64_t* inner, bool unit, int64_t n) const;
  void run_pass(const Pass& p, const Row& r, int64_t n, double* scratch, double* state, uint64_t* per_row) const;
  // The reduce operands of the pass for row elements [j0, j0 + c) into
  // operand_at (and its extras into their kept buffers), by its pointwise kernel.
  void compute_operands(const Pass& p, const Row& r, int64_t j0, int64_t c, double* scratch) const;
  // Runs the fused kernel over the row's first n - n % kPartials elements when
  // every streamed input has a unit row stride (else false): per reduce op i,
  // its state at state + i * state_size(n) (pass_codegen.h).
  bool run_fused(const Pass& p, const Row& r, int64_t n, double* state) const;
  // Where the pass kernel writes (and the accumulation reads) reduce i's
  // operand for the chunk from j0: its kept row buffer, or the chunk scratch
  // (kChunk doubles per reduce op: float32 or float64 values).
  void* operand_at(const Pass& p, const Row& r, size_t i, int64_t j0, double* scratch) const {
    const int arg = k_.node(p.reduces[i]).args[0];
    if (r.kept != nullptr && kept_[static_cast<size_t>(arg)]) return r.kept[arg] + j0;
    return scratch + static_cast<int64_t>(i) * kChunk;
  }
  std::vector<char> kept_before(size_t pass) const;  // kept_ of passes before `pass`

  ir::Kernel k_;
  Isa isa_;
  const AccumFns& fns_;
  std::unique_ptr<CompiledKernel> interp_;  // layouts the JIT path does not take, and non-float reductions
  bool jit_ = false;
  std::vector<Pass> passes_;
  std::vector<int> row_size_nodes_;
  std::vector<int> row_outputs_, per_row_outputs_;  // output indices
  std::vector<int> copied_outputs_;  // per-row outputs of a reduce op's value: copied from its storage
  SubKernel final_, per_row_;
  SubKernel final_kept_;  // reads the kept row values (when it would)
  // The same with the float32 row outputs stored non-temporally, when there
  // are such outputs (has_nt_).
  SubKernel final_nt_, final_kept_nt_;
  bool has_nt_ = false;
  bool has_final_kept_ = false;
  std::vector<char> kept_;        // per node id: a reduce operand kept in a row buffer (f32 ops)
  std::vector<int> kept_pass_;    // per node id: the pass that computes it
  std::vector<int> kept_ids_;
  std::vector<int> kept_out_;     // per node id: the row output whose row holds it, or -1
  size_t max_reduces_ = 0;
 public:
  static int64_t state_size(int64_t n) { return kPartials + n / kReduceBlock + 1; }

 private:
  std::string listing_;
  double compile_us_ = 0.0;
};

Status ReduceKernel::init(bool listing) {
  interp_ = interp::make_reduce_kernel(k_);
  const auto& nodes = k_.nodes();
  // Passes, as the interpreter finds them: a reduce op runs one pass after
  // the latest reduce op its operand depends on.
  ir::ReducePasses spec_passes = ir::reduce_passes(k_);
  const std::vector<std::vector<int>>& pass_reduces = spec_passes.reduces;
  row_size_nodes_ = spec_passes.row_size;
  jit_ = k_.rank() <= kMaxRank;
  for (const auto& reduces : pass_reduces) {
    for (int id : reduces) {
      const ir::Node& n = nodes[static_cast<size_t>(id)];
      const DType at = nodes[static_cast<size_t>(n.args[0])].dtype;
      const bool f64_sum = at == DType::kFloat64 && n.dtype == DType::kFloat64 && (n.op == Op::kSum || n.op == Op::kProd);
      if (!f64_sum && (!is_float32_lanes(at) || !is_float32_lanes(n.dtype))) jit_ = false;
    }
  }
  if (!jit_) {
    listing_ = "; kernel " + k_.name() + ": x86 runs the interpreter's reduction kernel (non-float reduction)\n";
    return Status::ok();
  }
  // Reduce operands kept in row buffers: f32 ops (not inputs, read in place
  // anyway) that vary along the row.
  kept_.assign(nodes.size(), 0);
  kept_pass_.assign(nodes.size(), -1);
  for (size_t p = 0; p < pass_reduces.size(); ++p) {
    for (int r : pass_reduces[p]) {
      const int arg = nodes[static_cast<size_t>(r)].args[0];
      const ir::Node& an = nodes[static_cast<size_t>(arg)];
      if (an.kind != ir::NodeKind::kOp || an.dtype != DType::kFloat32 || ir::is_per_row_value(k_, arg) ||
          kept_[static_cast<size_t>(arg)]) {
        continue;
      }
      kept_[static_cast<size_t>(arg)] = 1;
      kept_pass_[static_cast<size_t>(arg)] = static_cast<int>(p);
      kept_ids_.push_back(arg);
    }
  }
  // Further values kept: what a later pass or the final walk would compute
  // again from a value an earlier pass kernel computes (RMSNorm's x + res),
  // f32 ops along the row, cut where the later kernel first meets them.
  const std::vector<char> none(nodes.size(), 0);
  std::vector<std::vector<int>> pass_roots(pass_reduces.size());
  for (size_t p = 0; p < pass_reduces.size(); ++p) {
    for (int r : pass_reduces[p]) pass_roots[p].push_back(nodes[static_cast<size_t>(r)].args[0]);
  }
  std::vector<int> first_pass(nodes.size(), -1);
  for (size_t p = 0; p < pass_roots.size(); ++p) {
    const std::vector<char> need = needed(k_, pass_roots[p], none);
    for (size_t id = 0; id < nodes.size(); ++id) {
      const ir::Node& n = nodes[id];
      if (need[id] && first_pass[id] < 0 && n.kind == ir::NodeKind::kOp && !is_reduce(n) &&
          n.dtype == DType::kFloat32 && !ir::is_per_row_value(k_, static_cast<int>(id))) {
        first_pass[id] = static_cast<int>(p);
      }
    }
  }
  std::vector<int> final_roots;
  for (const ir::Output& o : k_.outputs()) {
    if (!ir::is_per_row_value(k_, o.value)) final_roots.push_back(o.value);
  }
  std::vector<std::vector<int>> extras(pass_roots.size());
  for (size_t q = 1; q <= pass_roots.size(); ++q) {  // q == passes: the final walk
    const bool fin = q == pass_roots.size();
    std::vector<char> cut(nodes.size(), 0);
    for (size_t id = 0; id < nodes.size(); ++id) cut[id] = first_pass[id] >= 0 && first_pass[id] < static_cast<int>(q);
    const std::vector<int>& roots = fin ? final_roots : pass_roots[q];
    const std::vector<char> need = needed(k_, roots, cut_below(roots, cut, fin));
    for (size_t id = 0; id < nodes.size(); ++id) {
      if (!need[id] || !cut[id] || kept_[id]) continue;
      kept_[id] = 1;
      kept_pass_[id] = first_pass[id];
      kept_ids_.push_back(static_cast<int>(id));
      extras[static_cast<size_t>(first_pass[id])].push_back(static_cast<int>(id));
    }
  }
  // A kept reduce operand no later kernel reads (RMSNorm's h * h) is not
  // stored: the fused pass folds it in registers.
  for (size_t i = 0; i < kept_ids_.size();) {
    const int id = kept_ids_[i];
    bool read = false;
    for (size_t q = static_cast<size_t>(kept_pass_[static_cast<size_t>(id)]) + 1; q <= pass_roots.size() && !read; ++q) {
      const bool fin = q == pass_roots.size();
      const std::vector<int>& roots = fin ? final_roots : pass_roots[q];
      const std::vector<char> need = needed(k_, roots, cut_below(roots, fin ? kept_ : kept_before(q), fin));
      read = need[static_cast<size_t>(id)] != 0;
    }
    if (read) {
      ++i;
      continue;
    }
    kept_[static_cast<size_t>(id)] = 0;
    kept_ids_.erase(kept_ids_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  // Kept values held in a float32 row output's own row (when its row stride
  // is 1), which the final walk then overwrites in place, element by element
  // after reading them: the pass that computes a kept value writes the
  // output's memory, a write stream while it computes, and the final walk
  // works in cache (ATen's softmax writes exp(x - m) to its output the same
  // way). An output takes its own value if kept (RMSNorm's h), else the kept
  // value of the latest pass.
  kept_out_.assign(nodes.size(), -1);
  for (int o = 0; o < k_.num_outputs(); ++o) {
    const int v = k_.outputs()[static_cast<size_t>(o)].value;
    if (ir::is_per_row_value(k_, v) || nodes[static_cast<size_t>(v)].dtype != DType::kFloat32) continue;
    int pick = -1;
    for (int id : kept_ids_) {
      if (kept_out_[static_cast<size_t>(id)] >= 0) continue;
      if (id == v) {
        pick = id;
        break;
      }
      if (pick < 0 || kept_pass_[static_cast<size_t>(id)] > kept_pass_[static_cast<size_t>(pick)]) pick = id;
    }
    if (pick >= 0) kept_out_[static_cast<size_t>(pick)] = o;
  }
  for (size_t p = 0; p < pass_reduces.size(); ++p) {
    Pass pass;
    pass.reduces = pass_reduces[p];
    std::vector<int> roots;
    pass.direct = true;
    for (int r : pass.reduces) {
      const int arg = nodes[static_cast<size_t>(r)].args[0];
      roots.push_back(arg);
      const ir::Node& an = nodes[static_cast<size_t>(arg)];
      pass.direct = pass.direct && an.kind == ir::NodeKind::kInput && !ir::is_uniform(an.layout) &&
                    an.dtype == DType::kFloat32;
    }
    const std::string name = k_.name() + "_pass" + std::to_string(p);
    FUZE_TRY(build_sub(k_, roots, none, true, name, isa_, listing, &pass.sub));
    max_reduces_ = std::max(max_reduces_, pass.reduces.size());
    listing_ += pass.sub.fn->listing();
    const std::vector<char> before = kept_before(p);
    pass.extras = extras[p];
    if (reads_cut(k_, roots, before) || !pass.extras.empty()) {
      std::vector<int> outs = roots;
      outs.insert(outs.end(), pass.extras.begin(), pass.extras.end());
      FUZE_TRY(build_sub(k_, outs, before, true, name + "_kept", isa_, listing, &pass.sub_kept));
      pass.has_kept = true;
      listing_ += pass.sub_kept.fn->listing();
    }
    std::vector<Fold> fold;
    for (int r : pass.reduces) fold.push_back(fold_of(nodes[static_cast<size_t>(r)].op));
    FUZE_TRY(build_sub(k_, roots, none, true, name + "_fused", isa_, listing, &pass.fused, false, &fold));
    listing_ += pass.fused.fn->listing();
    for (int arg : roots) {
      if (kept_[static_cast<size_t>(arg)] && kept_pass_[static_cast<size_t>(arg)] == static_cast<int>(p) &&
          std::find(pass.stored.begin(), pass.stored.end(), arg) == pass.stored.end()) {
        pass.stored.push_back(arg);
      }
    }
    pass.stored.insert(pass.stored.end(), pass.extras.begin(), pass.extras.end());
    if (reads_cut(k_, roots, before) || !pass.stored.empty()) {
      std::vector<int> outs = roots;
      outs.insert(outs.end(), pass.stored.begin(), pass.stored.end());
      fold.resize(outs.size(), Fold::kStore);
      FUZE_TRY(build_sub(k_, outs, before, true, name + "_fused_kept", isa_, listing, &pass.fused_kept, false, &fold));
      pass.has_fused_kept = true;
      listing_ += pass.fused_kept.fn->listing();
    }
    passes_.push_back(std::move(pass));
  }
  std::vector<int> row_roots, per_row_roots;
  for (int o = 0; o < k_.num_outputs(); ++o) {
    const int v = k_.outputs()[static_cast<size_t>(o)].value;
    if (ir::is_per_row_value(k_, v)) {
      if (is_reduce(nodes[static_cast<size_t>(v)])) {
        copied_outputs_.push_back(o);
      } else {
        per_row_outputs_.push_back(o);
        per_row_roots.push_back(v);
      }
    } else {
      row_outputs_.push_back(o);
      row_roots.push_back(v);
    }
  }
  if (!row_roots.empty()) {
    FUZE_TRY(build_sub(k_, row_roots, none, false, k_.name() + "_final", isa_, listing, &final_));
    listing_ += final_.fn->listing();
    if (reads_cut(k_, row_roots, kept_, true)) {
      FUZE_TRY(build_sub(k_, row_roots, kept_, false, k_.name() + "_final_kept", isa_, listing, &final_kept_, true));
      has_final_kept_ = true;
      listing_ += final_kept_.fn->listing();
    }
    std::vector<char> stream;
    for (int o : row_outputs_) {
      stream.push_back(nodes[static_cast<size_t>(k_.outputs()[static_cast<size_t>(o)].value)].dtype == DType::kFloat32);
      has_nt_ = has_nt_ || stream.back();
    }
    if (has_nt_) {
      FUZE_TRY(build_sub(k_, row_roots, none, false, k_.name() + "_final_nt", isa_, listing, &final_nt_, false, nullptr,
                         &stream));
      listing_ += final_nt_.fn->listing();
      if (has_final_kept_) {
        FUZE_TRY(build_sub(k_, row_roots, kept_, false, k_.name() + "_final_kept_nt", isa_, listing, &final_kept_nt_,
                           true, nullptr, &stream));
        listing_ += final_kept_nt_.fn->listing();
      }
    }
  }
  if (!per_row_roots.empty()) {
    FUZE_TRY(build_sub(k_, per_row_roots, none, false, k_.name() + "_per_row", isa_, listing, &per_row_));
    listing_ += per_row_.fn->listing();
  }
  return Status::ok();
}

std::vector<char> ReduceKernel::kept_before(size_t pass) const {
  std::vector<char> out(kept_.size(), 0);
  for (int id : kept_ids_) out[static_cast<size_t>(id)] = kept_pass_[static_cast<size_t>(id)] < static_cast<int>(pass);
  return out;
}

int ReduceKernel::bind_inputs(const SubKernel& s, const Row& r, int64_t j0, void** ptrs, int64_t* inner,
                              bool* unit) const {
  *unit = true;
  for (int i = 0; i < s.num_inputs(); ++i) {
    inner[i] = 0;
    const int src = s.src_input[static_cast<size_t>(i)];
    if (src < 0) {
      const int id = s.src_value[static_cast<size_t>(i)];
      if (is_reduce(k_.node(id))) {
        ptrs[i] = const_cast<uint64_t*>(&r.per_row[id]);
      } else {  // a kept row value
        ptrs[i] = r.kept[id] + j0;
        inner[i] = 1;
      }
      continue;
    }
    const ir::Node& n = k_.node(k_.inputs()[static_cast<size_t>(src)]);
    if (n.layout == ir::Layout::kScalar) {
      ptrs[i] = const_cast<uint64_t*>(&r.scal[src]);
    } else if (n.layout == ir::Layout::kBroadcast) {
      ptrs[i] = r.a->data[src];
    } else {
      const int64_t rs = r.row_stride[src];
      ptrs[i] = static_cast<char*>(r.a->data[src]) + (r.base[src] + j0 * rs) * ir::dtype_size(n.dtype);
      inner[i] = rs;
      *unit = *unit && rs == 1;
    }
  }
  return s.num_inputs();
}

void ReduceKernel::call(const SubKernel& s, void** ptrs, const int64_t* inner, bool unit, int64_t n) const {
  if (unit) s.fn->run_unit(ptrs, n);
  else s.fn->run_row(ptrs, inner, n);
}

void ReduceKernel::compute_operands(const Pass& p, const Row& r, int64_t j0, int64_t c, double* scratch) const {
  void* ptrs[kMaxOperands];
  int64_t inner[kMaxOperands];
  const bool kept = p.has_kept && r.kept != nullptr;
  const SubKernel& sub = kept ? p.sub_kept : p.sub;
  bool unit;
  const int ni = bind_inputs(sub, r, j0, ptrs, inner, &unit);
  const size_t nr = p.reduces.size();
  for (size_t i = 0; i < nr; ++i) {
    ptrs[ni + static_cast<int>(i)] = operand_at(p, r, i, j0, scratch);
    inner[ni + static_cast<int>(i)] = 1;
  }
  for (size_t e = 0; kept && e < p.extras.size(); ++e) {
    ptrs[ni + static_cast<int>(nr + e)] = r.kept[p.extras[e]] + j0;
    inner[ni + static_cast<int>(nr + e)] = 1;
  }
  call(sub, ptrs, inner, unit, c);
}

bool ReduceKernel::run_fused(const Pass& p, const Row& r, int64_t n, double* state) const {
  void* ptrs[kMaxOperands];
  int64_t inner[kMaxOperands];
  const bool kept = p.has_fused_kept && r.kept != nullptr;
  const SubKernel& sub = kept ? p.fused_kept : p.fused;
  bool unit;
  const int ni = bind_inputs(sub, r, 0, ptrs, inner, &unit);
  if (!unit) return false;
  const size_t nr = p.reduces.size();
  for (size_t i = 0; i < nr; ++i) ptrs[ni + static_cast<int>(i)] = state + static_cast<int64_t>(i) * state_size(n);
  for (size_t s = 0; kept && s < p.stored.size(); ++s) ptrs[ni + static_cast<int>(nr + s)] = r.kept[p.stored[s]];
  sub.fn->fn()(ptrs, n - n % kPartials);
  return true;
}

// One pass over a row of n > 0 elements: the reduce values of the pass into
// per_row (storage format of each node's dtype). The fused kernel takes the
// row's whole groups of kPartials elements where it can (the rest, under
// kPartials elements, folds here), else pointwise kernels over chunks and
// reduce_accum's folds.
void ReduceKernel::run_pass(const Pass& p, const Row& r, int64_t n, double* scratch, double* state,
                            uint64_t* per_row) const {
  const auto& nodes = k_.nodes();
  const size_t nr = p.reduces.size();
  BlockCounter counters[kMaxOperands];
  float best[kMaxOperands];
  bool nan[kMaxOperands];
  for (size_t i = 0; i < nr; ++i) {
    const Op op = nodes[static_cast<size_t>(p.reduces[i])].op;
    counters[i].reset(op == Op::kProd);
    best[i] = op == Op::kAmin ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
    nan[i] = false;
  }
  if (n >= kPartials && run_fused(p, r, n, state)) {
    const int64_t from = n - n % kPartials;
    if (from < n && !p.direct) compute_operands(p, r, from, n - from, scratch);
    for (size_t i = 0; i < nr; ++i) {
      const ir::Node& node = nodes[static_cast<size_t>(p.reduces[i])];
      const ir::Node& an = nodes[static_cast<size_t>(node.args[0])];
      double* st = state + static_cast<int64_t>(i) * state_size(n);
      const void* tail = operand_at(p, r, i, from, scratch);
      if (p.direct) tail = static_cast<const float*>(r.a->data[an.input_index]) + r.base[an.input_index] + from;
      if (node.op == Op::kAmax || node.op == Op::kAmin) {
        const float* lanes = reinterpret_cast<const float*>(st);
        for (int l = 0; l < isa_lanes(isa_); ++l) nan[i] = nan[i] || lanes[kPartials + l] != 0.0f;
        finish_extremum(node.op == Op::kAmax, lanes, isa_lanes(isa_), static_cast<const float*>(tail), n - from,
                        &best[i], &nan[i]);
        continue;
      }
      for (int64_t b = 0; b < from / kReduceBlock; ++b) counters[i].push(st[kPartials + b]);
      for (int64_t j = from; j < n; ++j) {
        const double x = an.dtype == DType::kFloat64 ? static_cast<const double*>(tail)[j - from]
                                                     : static_cast<const float*>(tail)[j - from];
        double& q = st[j % kPartials];
        q = node.op == Op::kProd ? q * x : q + x;
      }
      if (n % kReduceBlock != 0) counters[i].push(fold_partials(st, node.op == Op::kProd));
    }
  } else {
    bool direct = p.direct;
    for (size_t i = 0; direct && i < nr; ++i) {
      const ir::Node& an = nodes[static_cast<size_t>(nodes[static_cast<size_t>(p.reduces[i])].args[0])];
      direct = r.row_stride[an.input_index] == 1;
    }
    for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
      const int64_t c = std::min(kChunk, n - j0);
      if (!direct) compute_operands(p, r, j0, c, scratch);
      for (size_t i = 0; i < nr; ++i) {
        const ir::Node& node = nodes[static_cast<size_t>(p.reduces[i])];
        const void* xv = operand_at(p, r, i, j0, scratch);
        if (nodes[static_cast<size_t>(node.args[0])].dtype == DType::kFloat64) {  // sum / prod (init's check)
          double blocks[kChunk / kReduceBlock];
          (node.op == Op::kSum ? sum_blocks_f64 : prod_blocks_f64)(static_cast<const double*>(xv), c, blocks);
          for (int64_t b = 0; b < (c + kReduceBlock - 1) / kReduceBlock; ++b) counters[i].push(blocks[b]);
          continue;
        }
        const float* x = static_cast<const float*>(xv);
        if (direct) {
          const int in = nodes[static_cast<size_t>(node.args[0])].input_index;
          x = static_cast<const float*>(r.a->data[in]) + r.base[in] + j0;
        }
        if (node.op == Op::kAmax) {
          fns_.amax(x, c, &best[i], &nan[i]);
        } else if (node.op == Op::kAmin) {
          fns_.amin(x, c, &best[i], &nan[i]);
        } else {  // sum, prod
          double blocks[kChunk / kReduceBlock];
          (node.op == Op::kSum ? fns_.sum_blocks : fns_.prod_blocks)(x, c, blocks);
          for (int64_t b = 0; b < (c + kReduceBlock - 1) / kReduceBlock; ++b) counters[i].push(blocks[b]);
        }
      }
    }
  }
  for (size_t i = 0; i < nr; ++i) {
    const ir::Node& node = nodes[static_cast<size_t>(p.reduces[i])];
    if (node.dtype == DType::kFloat64) {
      interp::store_elem<double>(node.dtype, &per_row[p.reduces[i]], 0, counters[i].finish());
      continue;
    }
    float v;
    if (node.op == Op::kAmax || node.op == Op::kAmin) {
      v = interp::round_to(node.dtype, n == 0 || nan[i] ? std::numeric_limits<float>::quiet_NaN() : best[i]);
    } else {
      v = interp::round_double_to(node.dtype, counters[i].finish());
    }
    interp::store_elem<float>(node.dtype, &per_row[p.reduces[i]], 0, v);
  }
}

// Strides of operand i (the interpreter's rule: a contiguous layout is
// row-major over the sizes, whatever args.strides says).
void operand_strides(const KernelArgs& a, ir::Layout l, int i, int64_t* s) {
  int64_t c = 1;
  for (int d = a.rank - 1; d >= 0; --d) {
    s[d] = l == ir::Layout::kContiguous ? c : l == ir::Layout::kStrided ? a.strides[i * a.rank + d] : 0;
    c *= a.sizes[d];
  }
}

// The reduced dims [outer, rank) as one stride, if they coalesce.
bool row_stride(const KernelArgs& a, const int64_t* s, int outer, int64_t* out) {
  int64_t stride = 1, span = 0;  // span: elements covered so far (0: none yet)
  for (int d = a.rank - 1; d >= outer; --d) {
    if (a.sizes[d] == 1) continue;
    if (span == 0) {
      stride = s[d];
      span = a.sizes[d];
    } else {
      if (s[d] != stride * span) return false;
      span *= a.sizes[d];
    }
  }
  *out = stride;
  return true;
}

void ReduceKernel::run(const KernelArgs& a, int64_t begin, int64_t end) const {
  if (!jit_ || a.rank > kMaxRank) {
    interp_->run(a, begin, end);
    return;
  }
  const int rank = a.rank;
  const int outer = rank - k_.reduce_rank();
  int64_t num_rows = 1, n = 1;
  for (int d = 0; d < rank; ++d) (d < outer ? num_rows : n) *= a.sizes[d];
  end = std::min(end, num_rows);
  begin = std::max<int64_t>(begin, 0);
  if (begin >= end) return;

  const int num_in = k_.num_inputs();
  const int nops = num_in + k_.num_outputs();
  int64_t strides[kMaxOperands * kMaxRank];
  int64_t rstride[kMaxOperands];
  uint64_t scal[kMaxOperands];
  for (int i = 0; i < nops; ++i) {
    const ir::Layout l = i < num_in ? k_.node(k_.inputs()[static_cast<size_t>(i)]).layout
                                    : k_.outputs()[static_cast<size_t>(i - num_in)].layout;
    if (l == ir::Layout::kScalar) scalar_to_storage(k_.node(k_.inputs()[static_cast<size_t>(i)]).dtype, a.scalars[i], &scal[i]);
    operand_strides(a, l, i, strides + i * kMaxRank);
    rstride[i] = 0;
    const bool per_row_out = i >= num_in && ir::is_per_row_value(k_, k_.outputs()[static_cast<size_t>(i - num_in)].value);
    if (ir::is_uniform(l) || per_row_out) continue;
    if (!row_stride(a, strides + i * kMaxRank, outer, &rstride[i])) {
      interp_->run(a, begin, end);  // e.g. a transposed 2-D row: the spec's own kernel
      return;
    }
  }

  // Per call, uninitialized (every use writes before it reads).
  std::unique_ptr<double[]> scratch(new double[static_cast<size_t>(kChunk) * std::max<size_t>(max_reduces_, 1)]);
  std::vector<uint64_t> per_row(k_.nodes().size(), 0);
  std::unique_ptr<double[]> state(new double[static_cast<size_t>(state_size(n)) * std::max<size_t>(max_reduces_, 1)]);
  int64_t base[kMaxOperands];
  int64_t idx[kMaxRank];
  int64_t rem = begin;
  for (int d = outer - 1; d >= 0; --d) {
    idx[d] = rem % a.sizes[d];
    rem /= a.sizes[d];
  }
  // Kept row buffers (rows up to kKeepMax elements), per call.
  std::unique_ptr<float[]> kept_store;
  std::vector<float*> kept_ptr;
  if (!kept_ids_.empty() && n <= kKeepMax) {
    kept_store.reset(new float[kept_ids_.size() * static_cast<size_t>(n)]);
    kept_ptr.assign(k_.nodes().size(), nullptr);
    for (size_t i = 0; i < kept_ids_.size(); ++i) kept_ptr[static_cast<size_t>(kept_ids_[i])] = kept_store.get() + i * static_cast<size_t>(n);
  }
  // Row outputs stored non-temporally this call (the final walk's *_nt_
  // kernels): when the call's data (streamed inputs and row outputs) are at
  // least half the last-level cache, so that they would hardly stay in cache
  // for the next op anyway; this saves the read-for-ownership of every output
  // line (tools/reduce_cost on 64 MiB: RMSNorm + residual 1.6 -> 0.9 ns per
  // element, layer_norm 1.07 -> 0.77).
  int64_t footprint = 0;
  for (int i = 0; i < nops; ++i) {
    const bool row_out = i >= num_in && !ir::is_per_row_value(k_, k_.outputs()[static_cast<size_t>(i - num_in)].value);
    const ir::Layout l = i < num_in ? k_.node(k_.inputs()[static_cast<size_t>(i)]).layout : ir::Layout::kContiguous;
    if (i >= num_in ? !row_out : ir::is_uniform(l)) continue;
    int64_t elems = 1;
    for (int d = 0; d < rank; ++d) elems *= strides[i * kMaxRank + d] != 0 ? a.sizes[d] : 1;
    const DType t = i < num_in ? k_.node(k_.inputs()[static_cast<size_t>(i)]).dtype
                               : k_.node(k_.outputs()[static_cast<size_t>(i - num_in)].value).dtype;
    footprint += elems * ir::dtype_size(t);
  }
  const int64_t threshold = g_stream_threshold.load(std::memory_order_relaxed);
  const bool stream = has_nt_ && footprint >= (threshold < 0 ? last_level_cache_bytes() / 2 : threshold);
  const uintptr_t vec_bytes = static_cast<uintptr_t>(isa_lanes(isa_)) * 4;
  bool streamed = false;
  // Otherwise kept values live in their output's row (unit row stride).
  std::vector<std::pair<int, int>> in_out;  // (node id, operand index)
  for (int id : kept_ids_) {
    const int o = kept_out_[static_cast<size_t>(id)];
    if (!stream && !kept_ptr.empty() && o >= 0 && rstride[num_in + o] == 1) in_out.emplace_back(id, num_in + o);
  }
  const Row r{&a, base, rstride, scal, per_row.data(), kept_ptr.empty() ? nullptr : kept_ptr.data()};
  for (int id : row_size_nodes_) {
    const DType t = k_.node(id).dtype;
    interp::visit_ctype(t, [&](auto tag) {
      using T = decltype(tag);
      interp::store_elem<T>(t, &per_row[static_cast<size_t>(id)], 0, interp::scalar_as<T>(t, static_cast<double>(n)));
    });
  }
  void* ptrs[kMaxOperands];
  int64_t inner[kMaxOperands];
  for (int64_t row = begin; row < end; ++row) {
    for (int i = 0; i < nops; ++i) {
      int64_t o = 0;
      for (int d = 0; d < outer; ++d) o += idx[d] * strides[i * kMaxRank + d];
      base[i] = o;
    }
    for (const auto& [id, op] : in_out) kept_ptr[static_cast<size_t>(id)] = static_cast<float*>(a.data[op]) + base[op];
    for (const Pass& p : passes_) run_pass(p, r, n, scratch.get(), state.get(), per_row.data());
    if (!row_outputs_.empty() && n > 0) {
      bool unit;
      const bool kept = has_final_kept_ && r.kept != nullptr;
      const int ni = bind_inputs(kept ? final_kept_ : final_, r, 0, ptrs, inner, &unit);
      bool aligned = stream;
      for (size_t j = 0; j < row_outputs_.size(); ++j) {
        const int op = num_in + row_outputs_[j];
        const DType t = k_.node(k_.outputs()[static_cast<size_t>(row_outputs_[j])].value).dtype;
        ptrs[ni + static_cast<int>(j)] = static_cast<char*>(a.data[op]) + base[op] * ir::dtype_size(t);
        inner[ni + static_cast<int>(j)] = rstride[op];
        unit = unit && rstride[op] == 1;
        aligned = aligned && reinterpret_cast<uintptr_t>(ptrs[ni + static_cast<int>(j)]) % vec_bytes == 0;
      }
      // Streaming stores need unit strides (run_unit) and aligned rows.
      const bool nt = aligned && unit;
      streamed = streamed || nt;
      call(nt ? (kept ? final_kept_nt_ : final_nt_) : (kept ? final_kept_ : final_), ptrs, inner, unit, n);
    }
    if (!per_row_outputs_.empty()) {
      bool unit;
      const int ni = bind_inputs(per_row_, r, 0, ptrs, inner, &unit);
      for (size_t j = 0; j < per_row_outputs_.size(); ++j) {
        const int op = num_in + per_row_outputs_[j];
        const DType t = k_.node(k_.outputs()[static_cast<size_t>(per_row_outputs_[j])].value).dtype;
        ptrs[ni + static_cast<int>(j)] = static_cast<char*>(a.data[op]) + base[op] * ir::dtype_size(t);
      }
      per_row_.fn->run_unit(ptrs, 1);
    }
    for (int o : copied_outputs_) {
      const int op = num_in + o;
      const int v = k_.outputs()[static_cast<size_t>(o)].value;
      const int64_t es = ir::dtype_size(k_.node(v).dtype);
      std::memcpy(static_cast<char*>(a.data[op]) + base[op] * es, &per_row[static_cast<size_t>(v)], static_cast<size_t>(es));
    }
    for (int d = outer - 1; d >= 0; --d) {  // next row, row-major
      if (++idx[d] < a.sizes[d]) break;
      idx[d] = 0;
    }
  }
  if (streamed) _mm_sfence();  // the streaming stores ordered before whoever reads the outputs next
}

}  // namespace

void set_stream_threshold(int64_t bytes) { g_stream_threshold.store(bytes, std::memory_order_relaxed); }

Status make_reduce_kernel(const ir::Kernel& k, Isa isa, bool listing, std::unique_ptr<CompiledKernel>* out) {
  const auto t0 = std::chrono::steady_clock::now();
  auto kernel = std::make_unique<ReduceKernel>(k, isa);
  FUZE_TRY(kernel->init(listing));
  kernel->set_compile_us(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  *out = std::move(kernel);
  return Status::ok();
}

}  // namespace fuze::x86
