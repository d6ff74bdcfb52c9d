// x86 row-reduction kernels, the compile half (design: reduce_kernel.h;
// spec: interp_reduce.h; run time: reduce_run.cpp).
#include "backends/x86/reduce_kernel.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "backends/interp/interp_reduce.h"
#include "backends/x86/reduce_kernel_impl.h"

namespace fuze::x86 {
namespace reduce_impl {
namespace {

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
// buffers) are read as contiguous f32 inputs (Bind::kKept) instead of computed.
// With `fold` (per root), a fused pass kernel (pass_codegen.h).
// per_row_rows: per-row values are read per block (run_batched's batches).
Status build_sub(const ir::Kernel& k, const std::vector<int>& roots, const std::vector<char>& cut_all, bool as_f32,
                 const std::string& name, Isa isa, bool listing, SubKernel* out, bool cut_roots = false,
                 const std::vector<Fold>* fold = nullptr, const std::vector<char>* stream = nullptr,
                 bool per_row_rows = false) {
  const auto& nodes = k.nodes();
  const std::vector<char> cut = cut_below(roots, cut_all, cut_roots);
  const std::vector<char> need = needed(k, roots, cut);
  ir::Kernel sub(name, 1);
  std::vector<int> map(nodes.size(), -1);
  std::vector<int64_t> row_strides;  // per input of sub
  for (size_t id = 0; id < nodes.size(); ++id) {
    if (!need[id]) continue;
    const ir::Node& n = nodes[id];
    if (n.kind == ir::NodeKind::kInput) {
      map[id] = sub.add_input(n.dtype, ir::is_uniform(n.layout) ? n.layout : ir::Layout::kContiguous);
      using B = SubKernel::Bind;
      const B::Kind kind = n.layout == ir::Layout::kScalar ? B::kScalar : n.layout == ir::Layout::kBroadcast ? B::kBroadcast : B::kStream;
      out->binds.push_back(B{kind, n.input_index, ir::dtype_size(n.dtype)});
      row_strides.push_back(0);
    } else if (n.kind == ir::NodeKind::kConst) {
      map[id] = sub.add_const(n.dtype, n.constant);
    } else if (is_reduce(n) || cut[id]) {
      // A per-row value: broadcast; per_row_rows (batches of rows): one per
      // block, the batch's rows 8 bytes per node apart (run_batched).
      map[id] = sub.add_input(n.dtype, is_reduce(n) ? ir::Layout::kBroadcast : ir::Layout::kContiguous);
      using B = SubKernel::Bind;
      out->binds.push_back(B{is_reduce(n) ? B::kPerRow : B::kKept, static_cast<int>(id), ir::dtype_size(n.dtype)});
      row_strides.push_back(is_reduce(n) && per_row_rows ? static_cast<int64_t>(8 * nodes.size()) : 0);
      continue;
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
  return compile_pointwise(sub, isa, listing, &out->fn, fold, stream, per_row_rows ? &row_strides : nullptr);
}

// Values kept in row buffers: float32, and float64 (layer_norm and var of
// float32 inputs, whose widened operand later passes read again).
bool kept_dtype(DType t) { return t == DType::kFloat32 || t == DType::kFloat64; }

}  // namespace

Status ReduceKernel::init(bool listing) {
  interp_ = interp::make_reduce_kernel(k_);
  vec_bytes_ = isa_lanes(isa_) * 4;
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
  // Reduce operands kept in row buffers: f32 and f64 ops (not inputs, read in
  // place anyway) that vary along the row.
  kept_.assign(nodes.size(), 0);
  kept_pass_.assign(nodes.size(), -1);
  kept_esize_.assign(nodes.size(), 0);
  for (size_t id = 0; id < nodes.size(); ++id) kept_esize_[id] = ir::dtype_size(nodes[id].dtype);
  for (size_t p = 0; p < pass_reduces.size(); ++p) {
    for (int r : pass_reduces[p]) {
      const int arg = nodes[static_cast<size_t>(r)].args[0];
      const ir::Node& an = nodes[static_cast<size_t>(arg)];
      if (an.kind != ir::NodeKind::kOp || !kept_dtype(an.dtype) || ir::is_per_row_value(k_, arg) ||
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
          kept_dtype(n.dtype) && !ir::is_per_row_value(k_, static_cast<int>(id))) {
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
      if (nodes[static_cast<size_t>(id)].dtype != DType::kFloat32) continue;  // the output's element size
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
    // The reduce operands folded, then the kept values this pass computes stored.
    std::vector<int> outs = roots;
    outs.insert(outs.end(), pass.stored.begin(), pass.stored.end());
    fold.resize(outs.size(), Fold::kStore);
    if (reads_cut(k_, roots, before) || !pass.stored.empty()) {
      FUZE_TRY(build_sub(k_, outs, before, true, name + "_fused_kept", isa_, listing, &pass.fused_kept, false, &fold));
      pass.has_fused_kept = true;
      listing_ += pass.fused_kept.fn->listing();
    }
    // run_batched's: every kept value in a batch buffer, per-row values per row.
    FUZE_TRY(build_sub(k_, outs, before, true, name + "_batch", isa_, listing, &pass.batch, false, &fold, nullptr, true));
    listing_ += pass.batch.fn->listing();
    for (int r : pass.reduces) {
      const ir::Node& n = nodes[static_cast<size_t>(r)];
      const ir::Node& an = nodes[static_cast<size_t>(n.args[0])];
      pass.info.push_back(Reduce{r, n.op, n.dtype, an.dtype == DType::kFloat64,
                                 an.kind == ir::NodeKind::kInput ? an.input_index : -1});
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
      row_output_esize_.push_back(ir::dtype_size(nodes[static_cast<size_t>(v)].dtype));
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
    const std::vector<Fold> stores(row_roots.size(), Fold::kStore);  // a pass kernel: its blocks are the rows
    FUZE_TRY(build_sub(k_, row_roots, kept_, false, k_.name() + "_final_batch", isa_, listing, &final_batch_, true,
                       &stores, nullptr, true));
    listing_ += final_batch_.fn->listing();
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
  has_batch_ = true;
  return Status::ok();
}

std::vector<char> ReduceKernel::kept_before(size_t pass) const {
  std::vector<char> out(kept_.size(), 0);
  for (int id : kept_ids_) out[static_cast<size_t>(id)] = kept_pass_[static_cast<size_t>(id)] < static_cast<int>(pass);
  return out;
}

}  // namespace reduce_impl

Status make_reduce_kernel(const ir::Kernel& k, Isa isa, bool listing, std::unique_ptr<CompiledKernel>* out) {
  const auto t0 = std::chrono::steady_clock::now();
  auto kernel = std::make_unique<reduce_impl::ReduceKernel>(k, isa);
  FUZE_TRY(kernel->init(listing));
  kernel->set_compile_us(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  *out = std::move(kernel);
  return Status::ok();
}

}  // namespace fuze::x86
