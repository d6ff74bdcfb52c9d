// x86 row-reduction kernels, the run-time half (design: reduce_kernel.h;
// spec: interp_reduce.h; compile half: reduce_kernel.cpp): short rows in
// batches (run_batched), other rows one at a time, or one row's segments
// across threads (run_split).
#include <xmmintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "backends/interp/interp_eval.h"
#include "backends/interp/interp_reduce.h"
#include "backends/interp/scalar_ops.h"
#include "backends/x86/dtype_emit.h"
#include "backends/x86/reduce_kernel.h"
#include "backends/x86/reduce_kernel_impl.h"

namespace fuze::x86 {
namespace reduce_impl {

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

int ReduceKernel::bind_inputs(const SubKernel& s, const Row& r, int64_t j0, void** ptrs, int64_t* inner,
                              bool* unit) const {
  bool u = true;
  const int ni = s.num_inputs();
  for (int i = 0; i < ni; ++i) {
    const SubKernel::Bind& b = s.binds[static_cast<size_t>(i)];
    inner[i] = 0;
    switch (b.kind) {
      case SubKernel::Bind::kPerRow: ptrs[i] = const_cast<uint64_t*>(&r.per_row[b.src]); break;
      case SubKernel::Bind::kKept:
        ptrs[i] = r.kept[b.src] + j0 * b.esize;
        inner[i] = 1;
        break;
      case SubKernel::Bind::kScalar: ptrs[i] = const_cast<uint64_t*>(&r.scal[b.src]); break;
      case SubKernel::Bind::kBroadcast: ptrs[i] = r.a->data[b.src]; break;
      case SubKernel::Bind::kStream: {
        if (r.repeated != nullptr && r.repeated[b.src] != nullptr) {
          ptrs[i] = r.repeated[b.src] + j0 * b.esize;
          inner[i] = 1;
          break;
        }
        const int64_t rs = r.row_stride[b.src];
        ptrs[i] = static_cast<char*>(r.a->data[b.src]) + (r.base[b.src] + j0 * rs) * b.esize;
        inner[i] = rs;
        u = u && rs == 1;
        break;
      }
    }
  }
  *unit = u;
  return ni;
}

void ReduceKernel::call(const SubKernel& s, void** ptrs, const int64_t* inner, bool unit, int64_t n) const {
  if (unit) s.fn->run_unit(ptrs, n);
  else s.fn->run_row(ptrs, inner, n);
}

void ReduceKernel::compute_operands(const Pass& p, const Row& r, int64_t j0, int64_t c, double* scratch) const {
  void* ptrs[kMaxOperands + 1];
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
    ptrs[ni + static_cast<int>(nr + e)] = kept_at(r, p.extras[e], j0);
    inner[ni + static_cast<int>(nr + e)] = 1;
  }
  call(sub, ptrs, inner, unit, c);
}


namespace {
// amax's / amin's start: -inf / +inf.
float extreme_identity(Op op) {
  return op == Op::kAmin ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
}

// The best of a fused kernel's per-block extremes (pass_codegen.h) into
// *best / *nan (which hold the identity / false on entry).
void extremes_of_blocks(bool max, const double* blocks, int64_t num, float* best, bool* nan) {
  for (int64_t b = 0; b < num; ++b) {
    float v;
    uint32_t flag;
    std::memcpy(&v, reinterpret_cast<const char*>(blocks + b), 4);
    std::memcpy(&flag, reinterpret_cast<const char*>(blocks + b) + 4, 4);
    if (flag != 0) *nan = true;
    else finish_extremum(max, best, 1, &v, 1, best, nan);
  }
}
}  // namespace

void ReduceKernel::run_segment(const Pass& p, const Row& r, int64_t j0, int64_t c, double* scratch, double* state,
                               Segment* out) const {
  const size_t nr = p.reduces.size();
  for (size_t i = 0; i < nr; ++i) {
    out->blocks[i] = state + static_cast<int64_t>(i) * state_size(c) + kPartials;
    out->num_blocks[i] = (c + kReduceBlock - 1) / kReduceBlock;
    out->best[i] = extreme_identity(p.info[i].op);
    out->nan[i] = false;
  }
  void* ptrs[kMaxOperands + 1];
  int64_t inner[kMaxOperands];
  bool unit = false;
  const bool kept = p.has_fused_kept && r.kept != nullptr;
  const SubKernel& fused = kept ? p.fused_kept : p.fused;
  const int ni = c >= kPartials ? bind_inputs(fused, r, j0, ptrs, inner, &unit) : 0;
  if (unit) {
    int no = ni;  // the next output's slot
    for (size_t i = 0; i < nr; ++i) ptrs[no++] = state + static_cast<int64_t>(i) * state_size(c);
    for (size_t s = 0; kept && s < p.stored.size(); ++s) ptrs[no++] = kept_at(r, p.stored[s], j0);
    int64_t block_len = kReduceBlock;
    ptrs[no] = &block_len;
    const int64_t whole = c - c % kPartials;
    fused.fn->fn()(ptrs, whole);
    // The rest (under kPartials elements): operands by the pointwise kernel,
    // folded into the trailing block's partials here.
    const int64_t from = j0 + whole, tail = c - whole;
    if (tail > 0 && !p.direct) compute_operands(p, r, from, tail, scratch);
    for (size_t i = 0; i < nr; ++i) {
      const Reduce& red = p.info[i];
      double* st = state + static_cast<int64_t>(i) * state_size(c);
      if (red.op == Op::kAmax || red.op == Op::kAmin) {
        extremes_of_blocks(red.op == Op::kAmax, st + kPartials, (whole + kReduceBlock - 1) / kReduceBlock,
                           &out->best[i], &out->nan[i]);
      }
      if (tail == 0) continue;
      const void* x = p.direct ? static_cast<const float*>(r.a->data[red.input]) + r.base[red.input] + from
                               : operand_at(p, r, i, from, scratch);
      if (red.op == Op::kAmax || red.op == Op::kAmin) {
        const float best = out->best[i];
        finish_extremum(red.op == Op::kAmax, &best, 1, static_cast<const float*>(x), tail, &out->best[i], &out->nan[i]);
        continue;
      }
      for (int64_t j = 0; j < tail; ++j) {
        const double v = red.f64_arg ? static_cast<const double*>(x)[j] : static_cast<const float*>(x)[j];
        double& q = st[(whole + j) % kPartials];
        q = red.op == Op::kProd ? q * v : q + v;
      }
      if (c % kReduceBlock != 0) st[kPartials + c / kReduceBlock] = fold_partials(st, red.op == Op::kProd);
    }
    return;
  }
  bool direct = p.direct;
  for (size_t i = 0; direct && i < nr; ++i) direct = r.row_stride[p.info[i].input] == 1;
  for (int64_t j = j0; j < j0 + c; j += kChunk) {
    const int64_t len = std::min(kChunk, j0 + c - j);
    if (!direct) compute_operands(p, r, j, len, scratch);
    for (size_t i = 0; i < nr; ++i) {
      const Reduce& red = p.info[i];
      const void* xv = operand_at(p, r, i, j, scratch);
      double* blocks = const_cast<double*>(out->blocks[i]) + (j - j0) / kReduceBlock;
      if (red.f64_arg) {  // sum / prod (init's check)
        (red.op == Op::kSum ? sum_blocks_f64 : prod_blocks_f64)(static_cast<const double*>(xv), len, blocks);
        continue;
      }
      const float* x = direct ? static_cast<const float*>(r.a->data[red.input]) + r.base[red.input] + j
                              : static_cast<const float*>(xv);
      if (red.op == Op::kAmax) fns_.amax(x, len, &out->best[i], &out->nan[i]);
      else if (red.op == Op::kAmin) fns_.amin(x, len, &out->best[i], &out->nan[i]);
      else (red.op == Op::kSum ? fns_.sum_blocks : fns_.prod_blocks)(x, len, blocks);
    }
  }
}

void ReduceKernel::finish_pass(const Pass& p, const Segment* segs, int num_segs, int64_t n, uint64_t* per_row) const {
  for (size_t i = 0; i < p.info.size(); ++i) {
    const Reduce& red = p.info[i];
    uint64_t* slot = &per_row[red.id];
    if (red.op == Op::kAmax || red.op == Op::kAmin) {
      bool nan = segs[0].nan[i];
      float best = segs[0].best[i];
      if (num_segs > 1) {
        float bests[kMaxSegments];
        for (int s = 0; s < num_segs; ++s) {
          nan = nan || segs[s].nan[i];
          bests[s] = segs[s].best[i];
        }
        if (!nan) finish_extremum(red.op == Op::kAmax, bests, num_segs, nullptr, 0, &best, &nan);
      }
      const float v = n == 0 || nan ? std::numeric_limits<float>::quiet_NaN() : best;
      if (red.dtype == DType::kFloat32) std::memcpy(slot, &v, 4);
      else interp::store_elem<float>(red.dtype, slot, 0, interp::round_to(red.dtype, v));
      continue;
    }
    double sum;
    if (num_segs == 1 && segs[0].num_blocks[i] == 1) {
      sum = segs[0].blocks[i][0];  // one block: its value (the counter's answer)
    } else {
      BlockCounter counter(red.op == Op::kProd);
      for (int s = 0; s < num_segs; ++s) {
        for (int64_t b = 0; b < segs[s].num_blocks[i]; ++b) counter.push(segs[s].blocks[i][b]);
      }
      sum = counter.finish();
    }
    if (red.dtype == DType::kFloat64) {
      std::memcpy(slot, &sum, 8);
    } else if (red.dtype == DType::kFloat32) {
      const float v = static_cast<float>(sum);
      std::memcpy(slot, &v, 4);
    } else {
      interp::store_elem<float>(red.dtype, slot, 0, interp::round_double_to(red.dtype, sum));
    }
  }
}

bool ReduceKernel::run_final(const Row& r, int64_t j0, int64_t c, bool stream) const {
  void* ptrs[kMaxOperands + 1];
  int64_t inner[kMaxOperands];
  const int num_in = k_.num_inputs();
  const bool kept = has_final_kept_ && r.kept != nullptr;
  bool unit;
  const int ni = bind_inputs(kept ? final_kept_ : final_, r, j0, ptrs, inner, &unit);
  const uintptr_t vec_bytes = static_cast<uintptr_t>(vec_bytes_);
  bool aligned = stream;
  for (size_t j = 0; j < row_outputs_.size(); ++j) {
    const int op = num_in + row_outputs_[j];
    void* q = static_cast<char*>(r.a->data[op]) + (r.base[op] + j0 * r.row_stride[op]) * row_output_esize_[j];
    ptrs[ni + static_cast<int>(j)] = q;
    inner[ni + static_cast<int>(j)] = r.row_stride[op];
    unit = unit && r.row_stride[op] == 1;
    aligned = aligned && reinterpret_cast<uintptr_t>(q) % vec_bytes == 0;
  }
  // Streaming stores need unit strides (run_unit) and aligned rows.
  const bool nt = aligned && unit;
  call(nt ? (kept ? final_kept_nt_ : final_nt_) : (kept ? final_kept_ : final_), ptrs, inner, unit, c);
  return nt;
}

void ReduceKernel::run_per_row(const Row& r) const {
  void* ptrs[kMaxOperands + 1];
  int64_t inner[kMaxOperands];
  const int num_in = k_.num_inputs();
  if (!per_row_outputs_.empty()) {
    bool unit;
    const int ni = bind_inputs(per_row_, r, 0, ptrs, inner, &unit);
    for (size_t j = 0; j < per_row_outputs_.size(); ++j) {
      const int op = num_in + per_row_outputs_[j];
      const DType t = k_.node(k_.outputs()[static_cast<size_t>(per_row_outputs_[j])].value).dtype;
      ptrs[ni + static_cast<int>(j)] = static_cast<char*>(r.a->data[op]) + r.base[op] * ir::dtype_size(t);
    }
    per_row_.fn->run_unit(ptrs, 1);
  }
  for (int o : copied_outputs_) {
    const int op = num_in + o;
    const int v = k_.outputs()[static_cast<size_t>(o)].value;
    const int64_t es = ir::dtype_size(k_.node(v).dtype);
    std::memcpy(static_cast<char*>(r.a->data[op]) + r.base[op] * es, &r.per_row[static_cast<size_t>(v)],
                static_cast<size_t>(es));
  }
}

namespace {

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
bool coalesced_stride(const KernelArgs& a, const int64_t* s, int outer, int64_t* out) {
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

}  // namespace

bool ReduceKernel::prepare(const KernelArgs& a, Call* c) const {
  if (!jit_ || a.rank > kMaxRank) return false;
  c->outer = a.rank - k_.reduce_rank();
  for (int d = 0; d < a.rank; ++d) (d < c->outer ? c->num_rows : c->n) *= a.sizes[d];
  const int num_in = k_.num_inputs();
  const int nops = num_in + k_.num_outputs();
  int64_t footprint = 0;
  for (int i = 0; i < nops; ++i) {
    const bool out = i >= num_in;
    const int vid = out ? k_.outputs()[static_cast<size_t>(i - num_in)].value : k_.inputs()[static_cast<size_t>(i)];
    const ir::Node& v = k_.node(vid);
    const ir::Layout l = out ? k_.outputs()[static_cast<size_t>(i - num_in)].layout : v.layout;
    if (l == ir::Layout::kScalar) scalar_to_storage(v.dtype, a.scalars[i], &c->scal[i]);
    int64_t* s = c->strides + i * kMaxRank;
    operand_strides(a, l, i, s);
    c->rstride[i] = 0;
    c->esize[i] = 0;
    const bool per_row_out = out && ir::is_per_row_value(k_, vid);
    if (ir::is_uniform(l) || per_row_out) continue;
    if (!coalesced_stride(a, s, c->outer, &c->rstride[i])) return false;  // e.g. a transposed 2-D row
    c->esize[i] = ir::dtype_size(v.dtype);
    int64_t elems = 1;
    for (int d = 0; d < a.rank; ++d) elems *= s[d] != 0 ? a.sizes[d] : 1;
    footprint += elems * c->esize[i];
  }
  // Row outputs stored non-temporally (the final walk's *_nt_ kernels): when
  // the call's data (streamed inputs and row outputs) are at least half the
  // last-level cache, so that they would hardly stay in cache for the next
  // op anyway; this saves the read-for-ownership of every output line
  // (tools/reduce_cost, 16384 rows x 1024: RMSNorm + residual 1.6 -> 0.94 ns
  // per element).
  const int64_t threshold = g_stream_threshold.load(std::memory_order_relaxed);
  c->stream = has_nt_ && footprint >= (threshold < 0 ? last_level_cache_bytes() / 2 : threshold);
  return true;
}

void ReduceKernel::row_base(const Call& c, const int64_t* idx, int64_t* base) const {
  const int nops = k_.num_inputs() + k_.num_outputs();
  for (int i = 0; i < nops; ++i) {
    int64_t o = 0;
    for (int d = 0; d < c.outer; ++d) o += idx[d] * c.strides[i * kMaxRank + d];
    base[i] = o;
  }
}

namespace {
// The multi-index of row `row` (row-major over the outer dims), and the step to the next.
void row_index(const KernelArgs& a, int outer, int64_t row, int64_t* idx) {
  for (int d = outer - 1; d >= 0; --d) {
    idx[d] = row % a.sizes[d];
    row /= a.sizes[d];
  }
}
void next_row(const KernelArgs& a, int outer, int64_t* idx) {
  for (int d = outer - 1; d >= 0; --d) {
    if (++idx[d] < a.sizes[d]) break;
    idx[d] = 0;
  }
}
}  // namespace

void ReduceKernel::run(const KernelArgs& a, int64_t begin, int64_t end) const {
  Call c;
  if (!prepare(a, &c)) {
    interp_->run(a, begin, end);  // non-float reductions, ranks above kMaxRank, rows that do not coalesce
    return;
  }
  const int64_t n = c.n;
  end = std::min(end, c.num_rows);
  begin = std::max<int64_t>(begin, 0);
  if (begin >= end) return;
  begin = run_batched(a, c, begin, end);  // the rows it leaves, row by row
  if (begin >= end) return;
  const int num_in = k_.num_inputs();
  // Per call, uninitialized (every use writes before it reads).
  const size_t nr = std::max<size_t>(max_reduces_, 1);
  std::unique_ptr<double[]> scratch(new double[static_cast<size_t>(kChunk) * nr]);
  std::unique_ptr<double[]> state(new double[static_cast<size_t>(state_size(n)) * nr]);
  std::vector<uint64_t> per_row(k_.nodes().size(), 0);
  set_row_sizes(n, per_row.data());
  // Kept row buffers (rows up to kKeepMax elements).
  std::unique_ptr<char[]> kept_store;
  std::vector<char*> kept_ptr;
  if (!kept_ids_.empty() && n <= kKeepMax) {
    kept_store.reset(new char[kept_ids_.size() * static_cast<size_t>(n) * 8]);
    kept_ptr.assign(k_.nodes().size(), nullptr);
    for (size_t i = 0; i < kept_ids_.size(); ++i) kept_ptr[static_cast<size_t>(kept_ids_[i])] = kept_store.get() + i * static_cast<size_t>(n) * 8;
  }
  // Unless streaming, kept values live in their output's row (unit row stride).
  std::vector<std::pair<int, int>> in_out;  // (node id, operand index)
  for (int id : kept_ids_) {
    const int o = kept_out_[static_cast<size_t>(id)];
    if (!c.stream && !kept_ptr.empty() && o >= 0 && c.rstride[num_in + o] == 1) in_out.emplace_back(id, num_in + o);
  }
  int64_t base[kMaxOperands];
  const Row r{&a, base, c.rstride, c.scal, per_row.data(), kept_ptr.empty() ? nullptr : kept_ptr.data()};
  int64_t idx[kMaxRank];
  row_index(a, c.outer, begin, idx);
  bool streamed = false;
  Segment seg;
  for (int64_t row = begin; row < end; ++row, next_row(a, c.outer, idx)) {
    row_base(c, idx, base);
    for (const auto& [id, op] : in_out) kept_ptr[static_cast<size_t>(id)] = static_cast<char*>(a.data[op]) + base[op] * 4;
    for (const Pass& p : passes_) {
      run_segment(p, r, 0, n, scratch.get(), state.get(), &seg);
      finish_pass(p, &seg, 1, n, per_row.data());
    }
    if (!row_outputs_.empty() && n > 0) streamed = run_final(r, 0, n, c.stream) || streamed;
    run_per_row(r);
  }
  if (streamed) _mm_sfence();  // the streaming stores ordered before whoever reads the outputs next
}

bool ReduceKernel::run_split(const KernelArgs& a, int64_t begin, int64_t end, int parts, const SplitFor& par) const {
  Call c;
  if (parts < 2 || !prepare(a, &c)) return false;
  const int64_t n = c.n;
  end = std::min(end, c.num_rows);
  begin = std::max<int64_t>(begin, 0);
  // Segments of whole blocks (every block value is the same as in one walk),
  // at least kMinSegment elements each.
  const int64_t want = std::min<int64_t>(std::min<int>(parts, kMaxSegments), n / kMinSegment);
  if (want < 2 || begin >= end) return false;
  const int64_t len = ((n + want - 1) / want + kReduceBlock - 1) / kReduceBlock * kReduceBlock;
  const int segs = static_cast<int>((n + len - 1) / len);
  const size_t nr = std::max<size_t>(max_reduces_, 1);
  const size_t scratch_size = static_cast<size_t>(kChunk) * nr, state_each = static_cast<size_t>(state_size(len)) * nr;
  std::unique_ptr<double[]> scratch(new double[scratch_size * static_cast<size_t>(segs)]);
  std::unique_ptr<double[]> state(new double[state_each * static_cast<size_t>(segs)]);
  std::vector<uint64_t> per_row(k_.nodes().size(), 0);
  set_row_sizes(n, per_row.data());
  int64_t base[kMaxOperands];
  const Row r{&a, base, c.rstride, c.scal, per_row.data(), nullptr};  // no kept buffers: long rows
  int64_t idx[kMaxRank];
  row_index(a, c.outer, begin, idx);
  std::vector<Segment> seg(static_cast<size_t>(segs));
  for (int64_t row = begin; row < end; ++row, next_row(a, c.outer, idx)) {
    row_base(c, idx, base);
    for (const Pass& p : passes_) {
      par(segs, [&](int64_t b, int64_t e) {
        for (int64_t s = b; s < e; ++s) {
          run_segment(p, r, s * len, std::min(len, n - s * len), scratch.get() + scratch_size * static_cast<size_t>(s),
                      state.get() + state_each * static_cast<size_t>(s), &seg[static_cast<size_t>(s)]);
        }
      });
      finish_pass(p, seg.data(), segs, n, per_row.data());
    }
    if (!row_outputs_.empty()) {
      par(segs, [&](int64_t b, int64_t e) {
        bool nt = false;
        for (int64_t s = b; s < e; ++s) nt = run_final(r, s * len, std::min(len, n - s * len), c.stream) || nt;
        if (nt) _mm_sfence();  // before the caller's thread reads the outputs
      });
    }
    run_per_row(r);
  }
  return true;
}

int64_t ReduceKernel::run_batched(const KernelArgs& a, const Call& c, int64_t begin, int64_t end) const {
  const int64_t n = c.n;
  // A row of n % kPartials != 0 ends in a partial group, whose loads and
  // stores run on up to kPartials - 1 elements into the next rows (rewritten
  // when those run): the range's last rows that far are left to the
  // row-by-row walk.
  if (n % kPartials != 0 && n > 0) end -= (kPartials - 1 + n - 1) / n;
  if (!has_batch_ || n == 0 || n > kBatchMaxRow || end - begin < 2) return begin;
  const int num_in = k_.num_inputs();
  const int nops = num_in + k_.num_outputs();
  // Every streamed operand's rows dense (row r at r * n), or every row the
  // same one (inputs: repeated into a buffer).
  std::vector<char> repeat(static_cast<size_t>(nops), 0);
  size_t num_repeated = 0;
  for (int i = 0; i < nops; ++i) {
    if (c.esize[i] == 0) continue;  // not streamed
    if (c.rstride[i] != 1) return begin;
    bool dense = true, zero = true;
    int64_t span = n;
    for (int d = c.outer - 1; d >= 0; --d) {
      if (a.sizes[d] == 1) continue;
      const int64_t s = c.strides[i * kMaxRank + d];
      dense = dense && s == span;
      zero = zero && s == 0;
      span *= a.sizes[d];
    }
    if (!dense && !(zero && i < num_in)) return begin;
    repeat[static_cast<size_t>(i)] = !dense;
    num_repeated += !dense;
  }
  const int64_t rows = std::min<int64_t>(std::max<int64_t>(kBatchElems / n, 1), end - begin);
  const size_t rn = static_cast<size_t>(rows * n);
  const size_t num_nodes = k_.nodes().size();
  // Buffers, per call: repeated input rows, kept values (rows x n each),
  // fold states; per-row values per batch row (the kernels read row j's at
  // j * 8 * num_nodes bytes: pass_codegen.h's row strides).
  const size_t each = (rn + kPartials) * 8;  // room for a partial group's run-on
  std::unique_ptr<char[]> store(new char[each * (num_repeated + kept_ids_.size()) +
                                        8 * static_cast<size_t>(kPartials + rows + 1) * std::max<size_t>(max_reduces_, 1)]);
  char* at = store.get();
  std::vector<char*> repeated(static_cast<size_t>(nops), nullptr);
  std::vector<char*> kept(num_nodes, nullptr);
  for (int i = 0; i < nops; ++i) {
    if (!repeat[static_cast<size_t>(i)]) continue;
    const int64_t es = c.esize[i];
    repeated[static_cast<size_t>(i)] = at;
    for (int64_t r = 0; r < rows; ++r) std::memcpy(at + r * n * es, a.data[i], static_cast<size_t>(n * es));
    std::memset(at + rn * static_cast<size_t>(es), 0, each - rn * static_cast<size_t>(es));  // a partial group's run-on
    at += each;
  }
  for (int id : kept_ids_) {
    kept[static_cast<size_t>(id)] = at;
    std::memset(at, 0, each);  // a partial group reads the next row's before it is written
    at += each;
  }
  double* state = reinterpret_cast<double*>(at);
  const int64_t state_each = kPartials + rows + 1;
  std::vector<uint64_t> per_row(static_cast<size_t>(rows) * num_nodes, 0);
  for (int64_t j = 0; j < rows; ++j) set_row_sizes(n, &per_row[static_cast<size_t>(j) * num_nodes]);
  int64_t base[kMaxOperands];
  void* ptrs[kMaxOperands + 1];
  int64_t inner[kMaxOperands];
  int64_t block_len = n;  // a block per row
  for (int64_t row0 = begin; row0 < end; row0 += rows) {
    const int64_t count = std::min(rows, end - row0);
    for (int i = 0; i < nops; ++i) base[i] = row0 * n;  // dense rows (repeated ones read their buffer)
    const Row r{&a, base, c.rstride, c.scal, per_row.data(), kept.data(), repeated.data()};
    for (const Pass& p : passes_) {
      bool unit;
      const int ni = bind_inputs(p.batch, r, 0, ptrs, inner, &unit);
      const size_t nr = p.info.size();
      for (size_t i = 0; i < nr; ++i) ptrs[ni + static_cast<int>(i)] = state + static_cast<int64_t>(i) * state_each;
      for (size_t s = 0; s < p.stored.size(); ++s) ptrs[ni + static_cast<int>(nr + s)] = kept[static_cast<size_t>(p.stored[s])];
      ptrs[ni + static_cast<int>(nr + p.stored.size())] = &block_len;
      p.batch.fn->fn()(ptrs, count * n);
      Segment seg;
      for (int64_t j = 0; j < count; ++j) {
        for (size_t i = 0; i < nr; ++i) {
          const double* block = state + static_cast<int64_t>(i) * state_each + kPartials + j;
          seg.blocks[i] = block;
          seg.num_blocks[i] = 1;
          const bool max = p.info[i].op == Op::kAmax;
          seg.best[i] = extreme_identity(p.info[i].op);
          seg.nan[i] = false;
          if (max || p.info[i].op == Op::kAmin) extremes_of_blocks(max, block, 1, &seg.best[i], &seg.nan[i]);
        }
        finish_pass(p, &seg, 1, n, &per_row[static_cast<size_t>(j) * num_nodes]);
      }
    }
    if (final_batch_.fn) {
      bool unit;
      const int ni = bind_inputs(final_batch_, r, 0, ptrs, inner, &unit);
      for (size_t j = 0; j < row_outputs_.size(); ++j) {
        const int op = num_in + row_outputs_[j];
        ptrs[ni + static_cast<int>(j)] = static_cast<char*>(a.data[op]) + row0 * n * row_output_esize_[j];
      }
      ptrs[ni + static_cast<int>(row_outputs_.size())] = &block_len;
      final_batch_.fn->fn()(ptrs, count * n);
    }
    if (!per_row_outputs_.empty() || !copied_outputs_.empty()) {
      int64_t idx[kMaxRank], row_bases[kMaxOperands];
      row_index(a, c.outer, row0, idx);
      for (int64_t j = 0; j < count; ++j, next_row(a, c.outer, idx)) {
        row_base(c, idx, row_bases);
        const Row rj{&a, row_bases, c.rstride, c.scal, &per_row[static_cast<size_t>(j) * num_nodes], nullptr};
        run_per_row(rj);
      }
    }
  }
  return end;
}

void ReduceKernel::set_row_sizes(int64_t n, uint64_t* per_row) const {
  for (int id : row_size_nodes_) {
    const DType t = k_.node(id).dtype;
    interp::visit_ctype(t, [&](auto tag) {
      using T = decltype(tag);
      interp::store_elem<T>(t, &per_row[static_cast<size_t>(id)], 0, interp::scalar_as<T>(t, static_cast<double>(n)));
    });
  }
}

}  // namespace reduce_impl

void set_stream_threshold(int64_t bytes) { reduce_impl::g_stream_threshold.store(bytes, std::memory_order_relaxed); }

}  // namespace fuze::x86
