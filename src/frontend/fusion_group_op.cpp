// The fuze::FusionGroup operator (see fusion_group.h): construction, the
// signature table, guard, launch, fallback, registration. The signature
// encoding is in group_signature.cpp, the outputs' layouts in group_layout.cpp.
#include <ATen/EmptyTensor.h>
#include <ATen/Functions.h>
#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/version.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/jit/runtime/custom_operator.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <unordered_map>

#include "frontend/fusion_group.h"
#include "frontend/output_buffers.h"
#include "runtime/runtime.h"
#include "support/fault.h"
#include "support/log.h"

namespace fuze::frontend {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Stack;
using torch::jit::Value;

namespace {

// The most common reason a new user sees no fused kernel: a module called with
// autograd on, whose parameters require grad. Said once per process at the
// default log level (each call is also counted as a fallback with its reason).
void warn_requires_grad_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    FUZE_LOG(kWarn) << "a fusion group ran its TorchScript fallback because an input requires grad: "
                       "fused kernels are for inference; call the module under torch.no_grad() or "
                       "torch.inference_mode() (C++: torch::NoGradGuard / c10::InferenceMode). Said once.";
  });
}

}  // namespace

// ---- construction ----------------------------------------------------------

FusionGroupRunner::FusionGroupRunner(const Node* node) {
  subgraph_ = node->g(c10::attr::Subgraph);
  num_inputs_ = node->inputs().size();
  num_outputs_ = node->outputs().size();
  const bool chunks = std::any_of(subgraph_->nodes().begin(), subgraph_->nodes().end(),
                                  [](const Node* n) { return is_piece_node(n); });
  if (chunks) {
    if (Status s = build_kernel_graph(*subgraph_, &kernel_); !s) kernel_error_ = s.message();
  } else {
    kernel_.graph = subgraph_;
    for (size_t i = 0; i < num_inputs_; ++i) kernel_.inputs.push_back(KernelInput{static_cast<int>(i), -1, 0});
  }
  num_kernel_inputs_ = kernel_.inputs.size();
  if (Status st = shapes_.build(*kernel_.graph); !st && kernel_error_.empty()) kernel_error_ = st.message();
  identity_ = canonical_text(*kernel_.graph) + kernel_.text();
  std::unordered_map<const Value*, uint64_t> deps;
  const auto& ins = kernel_.graph->inputs();
  for (size_t i = 0; i < ins.size() && i < 64; ++i) deps[ins[i]] = uint64_t(1) << i;
  for (const Node* n : kernel_.graph->nodes()) {
    uint64_t d = 0;
    // type_as(x, other) takes only other's dtype: other's shape does not broadcast.
    const size_t shaping = n->kind() == c10::aten::type_as ? 1 : n->inputs().size();
    for (size_t i = 0; i < shaping; ++i) {
      auto it = deps.find(n->input(i));
      if (it != deps.end()) d |= it->second;
    }
    used_inputs_ |= d;
    for (const Value* v : n->outputs()) deps[v] = d;
  }
  // The layout program: each node's tensor operands as group inputs (>= 0)
  // or earlier nodes (~index), in operand order as TensorIterator sees them.
  std::unordered_map<const Value*, int> operand_of;
  for (size_t i = 0; i < ins.size(); ++i) {
    if (ins[i]->type()->cast<c10::TensorType>()) operand_of[ins[i]] = static_cast<int>(i);
  }
  for (const Node* n : kernel_.graph->nodes()) {
    if (n->kind() == c10::prim::Constant) continue;
    LayoutStep step;
    const bool cast = is_cast_kind(n->kind());
    // masked_fill fills a contiguous clone: its operands give the shape only.
    step.contiguous = n->kind() == c10::aten::masked_fill;
    for (size_t i = 0; i < (cast ? 1 : n->inputs().size()); ++i) {
      auto it = operand_of.find(n->input(i));
      if (it != operand_of.end()) step.operands.push_back(it->second);
    }
    operand_of[n->output()] = ~static_cast<int>(layout_steps_.size());
    layout_steps_.push_back(std::move(step));
  }
  for (const Value* v : kernel_.graph->outputs()) {
    auto op = operand_of.find(v);
    output_step_.push_back(op == operand_of.end() || op->second >= 0 ? -1 : ~op->second);
    auto it = deps.find(v);
    output_deps_.push_back(it == deps.end() ? 0 : it->second);
    if ((output_deps_.back() & used_inputs_) != used_inputs_) every_output_covers_ = false;
  }
  // The chain name, from a lowering with a nominal signature (the name
  // depends on the ops, not on the signature).
  std::vector<InputSig> nominal;
  for (const Value* v : ins) {
    const bool tensor = v->type()->cast<c10::TensorType>() != nullptr;
    nominal.push_back(InputSig{tensor ? ir::DType::kFloat32 : ir::DType::kFloat64,
                               tensor ? ir::Layout::kContiguous : ir::Layout::kScalar, false});
  }
  ir::Kernel k;
  name_ = lower_subgraph(*kernel_.graph, nominal, 1, ir::Layout::kContiguous, &k).is_ok() ? k.name() : "fuze_group";
}

// ---- the signature table ---------------------------------------------------

const GroupKernel* FusionGroupRunner::lookup(const Signature& sig) const {
  const int n = published_.load(std::memory_order_acquire);
  const int hint = last_hit_.load(std::memory_order_relaxed);
  if (hint < n) {
    const GroupKernel* g = table_[static_cast<size_t>(hint)].load(std::memory_order_acquire);
    if (g->sig == sig) return g;
  }
  for (int i = 0; i < n; ++i) {
    const GroupKernel* g = table_[static_cast<size_t>(i)].load(std::memory_order_acquire);
    if (g->sig == sig) {
      last_hit_.store(i, std::memory_order_relaxed);
      return g;
    }
  }
  return nullptr;
}

// Finds (or compiles) the kernel for `sig`; nullptr when the group's table is full.
const GroupKernel* FusionGroupRunner::find_kernel(const Signature& sig, int max_signatures) {
  if (const GroupKernel* g = lookup(sig)) {
    runtime::count_cache_hit();
    return g;
  }
  max_signatures = std::min(max_signatures, kMaxGroupSignatures);
  if (published_.load(std::memory_order_acquire) >= max_signatures) return nullptr;
  // Miss: lower (for the output dtypes and the IR), then the global cache,
  // which compiles once even when several threads miss the same key.
  std::vector<InputSig> inputs;
  for (int i = 0; i < sig.num_inputs; ++i) inputs.push_back(decode_input(sig.input[i]));
  auto gk = std::make_unique<GroupKernel>();
  gk->sig = sig;
  ir::Kernel lowered;
  Status s = lower_subgraph(*kernel_.graph, inputs, sig.rank,
                            sig.strided_outputs ? ir::Layout::kStrided : ir::Layout::kContiguous, &lowered);
  if (s) {
    for (const ir::Output& o : lowered.outputs()) {
      const ir::Node& v = lowered.node(o.value);
      gk->output_dtypes.push_back(v.dtype);
      const ir::Node* src = v.kind == ir::NodeKind::kOp && v.op == ir::Op::kCast ? &lowered.node(v.args[0]) : nullptr;
      const bool alias = src != nullptr && src->kind == ir::NodeKind::kInput && src->dtype == v.dtype &&
                         src->layout != ir::Layout::kScalar;
      // The alias is the group input itself (never a chunk piece: that output is the kernel's copy).
      const bool whole = alias && kernel_.inputs[static_cast<size_t>(src->input_index)].chunk < 0;
      gk->output_alias.push_back(whole ? kernel_.inputs[static_cast<size_t>(src->input_index)].group : -1);
    }
    for (const ir::Node& node : lowered.nodes()) {
      if (node.dtype == ir::DType::kFloat16 || node.dtype == ir::DType::kBFloat16) gk->check_eager = true;
    }
    gk->reduce_rank = lowered.reduce_rank();
    for (const ir::Output& o : lowered.outputs()) {
      gk->output_per_row.push_back(gk->reduce_rank > 0 && ir::is_per_row_value(lowered, o.value) ? 1 : 0);
    }
    const std::string& key = gk->key = identity_ + "|" + signature_text(sig);
    gk->kernel = runtime::KernelCache::global().lookup_or_compile(
        key, static_cast<BackendKind>(sig.backend),
        [&](ir::Kernel* k) {
          *k = lowered;
          return Status::ok();
        },
        &gk->why);
    if (!gk->kernel) gk->why = "no kernel: " + gk->why;  // the backend's failure (logged once): TorchScript's ops run
  } else {
    gk->why = s.message();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (const GroupKernel* g = lookup(sig)) return g;  // another thread got there first
  const int n = published_.load(std::memory_order_relaxed);
  if (n >= max_signatures) return nullptr;
  owned_.push_back(std::move(gk));
  table_[static_cast<size_t>(n)].store(owned_.back().get(), std::memory_order_release);
  published_.store(n + 1, std::memory_order_release);
  return owned_.back().get();
}

// ---- the guard -------------------------------------------------------------

namespace {
// The device rule: every tensor input on the CPU, or every one on CUDA device
// 0 (the device the cuda backend drives) with libtorch 2.x (its c10::Stream
// hands out the current stream's CUstream without CUDA headers). Updates
// call->device; returns why not, or nullptr.
const char* device_check(const at::Tensor& t, GroupCall* call) {
  const c10::Device d = t.device();
  GroupCall::Device seen;
  if (d.is_cpu()) {
    seen = GroupCall::kCpu;
  } else if (!d.is_cuda()) {
    return "tensor input on a device other than CPU and CUDA";
  } else {
#if TORCH_VERSION_MAJOR >= 2
    if (d.index() != 0) return "CUDA tensor on a device other than cuda:0 (the device fuze's cuda backend drives)";
    seen = GroupCall::kCuda;
#else
    return "CUDA tensor input: fuze runs CUDA tensors with libtorch 2.x only";
#endif
  }
  if (call->device != GroupCall::kNoTensor && call->device != seen) return "tensor inputs on different devices";
  call->device = seen;
  return nullptr;
}
}  // namespace

bool FusionGroupRunner::chunk_inputs(const c10::IValue* inputs, GroupCall* call) const {
  // Each chunked value's shape is the broadcast of the group inputs it
  // depends on; it must split into equal pieces along the chunk dim.
  struct Piece {
    int rank;
    int64_t dim, len;
  };
  std::array<Piece, kMaxGroupInputs> pieces;
  if (kernel_.chunks.size() > pieces.size()) {
    call->why_static = "too many chunks for one kernel";
    return false;
  }
  for (size_t c = 0; c < kernel_.chunks.size(); ++c) {
    const ChunkSpec& spec = kernel_.chunks[c];
    int64_t shape[kMaxGroupRank];
    int r = 0;
    for (size_t j = 0; j < num_inputs_ && j < 64; ++j) {
      if (((spec.deps >> j) & 1u) == 0 || !inputs[j].isTensor()) continue;
      if (!broadcast_into(inputs[j].toTensor().sizes(), shape, &r)) {
        call->why_static = "input shapes do not broadcast";
        return false;
      }
    }
    const int64_t d = spec.dim < 0 ? spec.dim + r : spec.dim;
    const bool even = d >= 0 && d < r &&
                      (spec.split_size > 0 ? shape[d] == spec.split_size * spec.chunks : shape[d] % spec.chunks == 0);
    if (!even) {
      call->why_static = "a chunked size that does not split into equal pieces";
      return false;
    }
    pieces[c] = Piece{r, d, shape[d] / spec.chunks};
  }
  for (size_t i = 0; i < num_kernel_inputs_; ++i) {
    const KernelInput& ki = kernel_.inputs[i];
    if (ki.chunk < 0) continue;
    const c10::IValue& v = inputs[ki.group];
    if (!v.isTensor() || !v.toTensor().defined()) {
      call->why_static = "a chunked input that is not a tensor";
      return false;
    }
    const at::Tensor& t = v.toTensor();
    const Piece& p = pieces[static_cast<size_t>(ki.chunk)];
    const int dim = static_cast<int>(t.dim());
    if (dim > kMaxGroupRank) {
      call->why_static = "rank above 16";
      return false;
    }
    int64_t* sizes = call->piece_sizes + i * kMaxGroupRank;
    std::copy(t.sizes().begin(), t.sizes().end(), sizes);
    char* base = static_cast<char*>(t.data_ptr());
    const int64_t td = p.dim - (p.rank - dim);  // the chunk dim in t's own dims
    if (td >= 0 && sizes[td] != 1) {             // else t broadcasts along it: every piece reads all of t
      sizes[td] = p.len;
      base += ki.piece * p.len * t.stride(td) * static_cast<int64_t>(t.element_size());
    }
    call->dims[i] = dim;
    call->sizes[i] = sizes;
    call->tstrides[i] = t.strides().data();
    call->base[i] = base;
  }
  return true;
}

const GroupKernel* FusionGroupRunner::guard(const c10::IValue* inputs, GroupCall* call) {
  const size_t n = num_kernel_inputs_;
  if (!kernel_error_.empty()) {
    call->why = kernel_error_;
    return nullptr;
  }
  if (n > static_cast<size_t>(kMaxGroupInputs) || num_outputs_ > static_cast<size_t>(kMaxGroupOutputs) ||
      num_inputs_ > 64) {
    call->why_static = "too many inputs or outputs for one kernel";
    return nullptr;
  }
  if (!kernel_.chunks.empty() && !chunk_inputs(inputs, call)) return nullptr;
  const runtime::Options opts = runtime::options();
  call->grain = opts.grain;
  call->num_threads = opts.num_threads;
  const bool grad_on = at::GradMode::is_enabled();
  Signature& sig = call->sig;
  int64_t* iter = call->iter;
  int& rank = call->rank;
  rank = 0;
  call->device = GroupCall::kNoTensor;

  // Inputs: kinds, dtypes, grad; the iteration shape is the broadcast of the used tensors.
  for (size_t i = 0; i < n; ++i) {
    const KernelInput& ki = kernel_.inputs[i];
    const c10::IValue& v = inputs[ki.group];
    call->tensors[i] = nullptr;
    call->scalars[i] = 0.0;
    call->data[i] = nullptr;
    if (v.isTensor()) {
      const at::Tensor& t = v.toTensor();
      if (!t.defined()) { call->why_static = "undefined tensor input"; return nullptr; }
      if (const char* why = device_check(t, call)) {
        call->why_static = why;
        return nullptr;
      }
      if (t.layout() != c10::kStrided) { call->why_static = "non-strided tensor input"; return nullptr; }
      const c10::ScalarType st = t.scalar_type();
      ir::DType dt;
      if (!dtype_of_scalar_type(st, &dt)) {
        call->why = std::string("unsupported input dtype ") + c10::toString(st);
        return nullptr;
      }
      if (grad_on && t.requires_grad()) {
        warn_requires_grad_once();
        call->why_static = "input requires grad";
        return nullptr;
      }
      if (t.is_neg() || t.is_conj()) { call->why_static = "lazily negated/conjugated input"; return nullptr; }
      call->tensors[i] = &t;
      if (ki.chunk < 0) {  // a chunk piece's view: chunk_inputs
        call->dims[i] = static_cast<int>(t.dim());
        call->sizes[i] = t.sizes().data();
        call->tstrides[i] = t.strides().data();
        call->base[i] = static_cast<char*>(t.data_ptr());
      }
      sig.input[i] = encode_input(dt, ir::Layout::kContiguous, t.dim() == 0);
      if (((used_inputs_ >> i) & 1u) != 0 && !broadcast_into(call->input_sizes(i), iter, &rank)) {
        call->why_static = t.dim() > kMaxGroupRank ? "rank above 16" : "input shapes do not broadcast";
        return nullptr;
      }
    } else if (v.isDouble()) {
      call->scalars[i] = v.toDouble();
      sig.input[i] = encode_input(ir::DType::kFloat64, ir::Layout::kScalar, false);
    } else if (v.isInt()) {
      call->scalars[i] = static_cast<double>(v.toInt());
      sig.input[i] = encode_input(ir::DType::kInt64, ir::Layout::kScalar, false);
    } else if (v.isBool()) {
      call->scalars[i] = v.toBool() ? 1.0 : 0.0;
      sig.input[i] = encode_input(ir::DType::kBool, ir::Layout::kScalar, false);
    } else {
      call->why = "unsupported input of type " + v.tagKind();
      return nullptr;
    }
  }
  // Every output must cover the iteration space (an output computed from
  // fewer inputs can be smaller: eager would give it its own shape); with
  // reductions, the shape program says which outputs are per row.
  if (!shapes_.empty()) {
    if (const char* why = shapes_.check(call, n)) {
      call->why_static = why;
      return nullptr;
    }
  } else if (!every_output_covers_) {
    for (uint64_t deps : output_deps_) {
      if ((deps & used_inputs_) == used_inputs_) continue;
      int64_t shape[kMaxGroupRank];
      int r = 0;
      for (size_t i = 0; i < n; ++i) {
        if (call->tensors[i] != nullptr && ((deps >> i) & 1u) != 0) broadcast_into(call->input_sizes(i), shape, &r);
      }
      if (r != rank || !std::equal(shape, shape + r, iter)) {
        call->why_static = "an output is smaller than the iteration space";
        return nullptr;
      }
    }
  }

  // Strides expanded to the iteration rank for the kernel (0 on broadcast dims).
  const size_t r = static_cast<size_t>(rank);
  bool unpermuted = true;  // no input permuted: the outputs are contiguous
  for (size_t i = 0; i < n; ++i) {
    int64_t* s = call->strides + i * r;
    std::fill(s, s + r, 0);
    const at::Tensor* tp = call->tensors[i];
    if (tp == nullptr) continue;
    if (((used_inputs_ >> i) & 1u) == 0) {  // only its dtype counts (type_as): never read
      static const double kNothing[8] = {};
      sig.input[i] = with_layout(sig.input[i], ir::Layout::kBroadcast);
      call->data[i] = const_cast<double*>(kNothing);
      continue;
    }
    const c10::IntArrayRef sizes = call->input_sizes(i);
    const c10::IntArrayRef tstrides(call->tstrides[i], sizes.size());
    const size_t dim = sizes.size();
    for (size_t d = r - dim; d < r; ++d) {
      const size_t td = d - (r - dim);
      const int64_t size = sizes[td], stride = tstrides[td];
      s[d] = size == 1 ? 0 : stride;
    }
    const ir::Layout l = runtime::classify_layout(rank, iter, s);
    if (l == ir::Layout::kStrided) {
      // Strides falling from outer to inner dims (broadcast, sliced) keep
      // TensorIterator's order: only a permuted input can permute the outputs.
      int64_t outer = 0;
      for (size_t d = 0; d < r && unpermuted; ++d) {
        if (s[d] == 0) continue;
        if (outer != 0 && std::abs(s[d]) >= std::abs(outer)) unpermuted = false;
        outer = s[d];
      }
    }
    sig.input[i] = with_layout(sig.input[i], l);
    call->data[i] = call->base[i];
  }
  // The outputs' layouts as eager would allocate them (contiguous when every
  // input is dense).
  const bool contiguous = !shapes_.empty() || unpermuted || output_layouts(call);
  call->contiguous_outputs = contiguous;
  sig.rank = static_cast<uint8_t>(rank);
  // CUDA tensors take the cuda backend whatever the option says; CPU tensors
  // a CPU backend (a cuda choice means the default CPU backend for them).
  const BackendKind backend = call->cuda() ? BackendKind::kCuda
                              : opts.backend == BackendKind::kCuda ? runtime::default_cpu_backend()
                                                                   : opts.backend;
  if (backend == BackendKind::kCuda && !shapes_.empty() && !opts.cuda_reductions) {
    call->why_static = "a group with reductions on CUDA runs TorchScript's ops unless FUZE_REDUCTIONS=1 (CUDA's row "
                       "kernels have not run on a GPU yet)";
    return nullptr;
  }
  sig.backend = static_cast<uint8_t>(backend);
  sig.num_inputs = static_cast<uint8_t>(n);
  sig.strided_outputs = contiguous ? 0 : 1;

  const GroupKernel* gk = find_kernel(sig, opts.max_signatures_per_group);
  if (gk == nullptr) {
    call->why_static = "signature limit reached for this group (runtime::Options::max_signatures_per_group)";
    return nullptr;
  }
  if (!gk->kernel) {
    call->why = gk->why;
    return nullptr;
  }
  if (gk->reduce_rank > 0 && !rows_match(*gk, *call)) {
    call->why_static = "a per-row value that eager broadcasts along the row (or the reverse): shapes differ from the kernel's";
    return nullptr;
  }
  return gk;
}

// Whether the kernel's per-row outputs are the ones the shape program found
// reduced (ShapeProgram): a per-row value eager broadcasts to the full shape
// (through an expanded input), or the reverse, cannot run.
bool FusionGroupRunner::rows_match(const GroupKernel& gk, const GroupCall& call) const {
  if (gk.reduce_rank != call.reduce_dims) return false;
  int64_t row = 1;
  for (int d = call.rank - gk.reduce_rank; d < call.rank; ++d) row *= call.iter[d];
  for (size_t o = 0; o < num_outputs_; ++o) {
    const bool per_row = gk.output_per_row[o] != 0;
    const bool full = call.out_shape[o] == kFullShape;
    if ((per_row && full && row > 1) || (!per_row && !full)) return false;
  }
  return true;
}

// ---- launch and fallback ---------------------------------------------------

namespace {
const c10::Device kCuda0(c10::DeviceType::CUDA, 0);  // the only device the guard lets through

// runtime::Options::num_threads threads, or torch's (at::get_num_threads()) when 0.
// Row kernels (reduce_rank > 0) split their rows, not elements.
void launch_on_host(const CompiledKernel& kernel, const KernelArgs& args, int64_t grain, int num_threads,
                    int reduce_rank) {
  int threads = 1;
  if (args.numel >= 2 * grain) threads = num_threads > 0 ? num_threads : at::get_num_threads();
  if (reduce_rank > 0) {
    runtime::launch_rows(kernel, args, reduce_rank, threads, grain);
  } else {
    runtime::launch(kernel, args, threads, grain);
  }
}

// Enqueues on PyTorch's current stream of the device, as an eager CUDA op
// would: ordered after the kernels that produced the inputs, before whatever
// reads the outputs, with no synchronisation.
void launch_on_stream(const CompiledKernel& kernel, const KernelArgs& args, c10::Device device) {
#if TORCH_VERSION_MAJOR >= 2
  const c10::Stream stream = c10::impl::getDeviceGuardImpl(device.type())->getStream(device);
  const Status s = kernel.run_async(args, stream.native_handle());
  TORCH_CHECK(s.is_ok(), "fuze: ", s.message());
#else
  (void)kernel, (void)args, (void)device;
  TORCH_CHECK(false, "fuze: CUDA tensors need libtorch 2.x");  // the guard never lets them here
#endif
}
}  // namespace

// The kernel input a single output may be written into (output_buffers.h:
// reusable_for_output), or -1.
int FusionGroupRunner::dying_input(const GroupCall& call, c10::IntArrayRef shape, const int64_t* strides,
                                   c10::ScalarType dtype) const {
  for (size_t i = 0; i < num_kernel_inputs_; ++i) {
    const at::Tensor* t = call.tensors[i];
    if (t != nullptr && ((used_inputs_ >> i) & 1u) != 0 && reusable_for_output(*t, shape, strides, dtype)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

void FusionGroupRunner::launch(const GroupKernel& gk, GroupCall& call, Stack& stack) {
  const size_t n = num_inputs_, kn = num_kernel_inputs_;
  const size_t r = static_cast<size_t>(call.rank);
  // Visible to torch.profiler and RecordFunction observers under the chain name.
  RECORD_FUNCTION(name_.c_str(), c10::ArrayRef<const c10::IValue>(&*(stack.end() - static_cast<long>(n)), n));

  // Outputs: the iteration shape, the promoted dtype, TensorIterator's strides.
  // Allocated by ATen's CPU allocation helpers directly (what at::empty would
  // dispatch to for these CPU tensors, without the dispatcher's ~100 ns).
  const c10::IntArrayRef iter_shape(call.iter, r);
  const size_t outer = r - static_cast<size_t>(gk.reduce_rank);  // row kernels: the dims that index rows
  c10::SmallVector<int64_t, kMaxGroupRank> kept(call.iter, call.iter + r);
  std::fill(kept.begin() + static_cast<long>(outer), kept.end(), 1);
  c10::SmallVector<at::Tensor, 2> outputs;
  for (size_t o = 0; o < num_outputs_; ++o) {
    const c10::ScalarType dtype = scalar_type_of(gk.output_dtypes[o]);
    // A reduction's result: the keepdim shape, or without the reduced dims.
    const bool row_kernel = gk.reduce_rank > 0;
    const c10::IntArrayRef shape = !row_kernel || call.out_shape[o] == kFullShape ? iter_shape
                                   : call.out_shape[o] == kRowKeepdim             ? c10::IntArrayRef(kept)
                                                                                  : c10::IntArrayRef(call.iter, outer);
    TORCH_CHECK(!support::fault(support::Fault::kOutputAlloc), "DefaultCPUAllocator: injected fault output_alloc");
    if (call.cuda()) {
      // On the inputs' device, from PyTorch's caching allocator (through the dispatcher).
      const at::TensorOptions to = at::TensorOptions().dtype(dtype).device(kCuda0);
      outputs.emplace_back(call.contiguous_outputs
                               ? at::empty(shape, to)
                               : at::empty_strided(shape, c10::IntArrayRef(call.out_strides + o * r, r), to));
    } else {
      // Into a dying input where there is one (the kernel reads each element
      // before it writes the same one), else from fuze's output allocator
      // (output_buffers.h: large outputs without the page-fault tax).
      const int64_t* strides = call.contiguous_outputs ? nullptr : call.out_strides + o * r;
      const int reuse = num_outputs_ == 1 && kernel_.chunks.empty() && gk.output_alias[o] < 0 && !row_kernel
                            ? dying_input(call, shape, strides, dtype)
                            : -1;
      if (reuse >= 0) {
        outputs.emplace_back(*call.tensors[static_cast<size_t>(reuse)]);
        count_in_place();
      } else {
        outputs.emplace_back(empty_output(shape, strides, dtype));
      }
    }
    const at::Tensor& t = outputs.back();
    const c10::IntArrayRef ts = t.strides();
    int64_t* os = call.strides + (kn + o) * r;
    if (row_kernel && gk.output_per_row[o] != 0) {  // written once per row: stride 0 along it
      std::fill(os, os + r, 0);
      for (size_t d = 0; d < outer; ++d) os[d] = ts[d];
    } else {
      std::copy(ts.begin(), ts.end(), os);
    }
    call.data[kn + o] = t.data_ptr();
  }
  int64_t numel = 1;
  for (size_t d = 0; d < r; ++d) numel *= call.iter[d];

  if (numel > 0) {
    KernelArgs args;
    args.numel = numel;
    args.rank = call.rank;
    args.sizes = call.iter;
    args.data = call.data;
    args.strides = call.strides;
    args.scalars = call.scalars;
    if (call.cuda()) {
      launch_on_stream(*gk.kernel, args, kCuda0);
    } else {
      launch_on_host(*gk.kernel, args, call.grain, call.num_threads, gk.reduce_rank);
    }
  }
  runtime::count_kernel_call();
  for (size_t o = 0; o < num_outputs_; ++o) {
    if (gk.output_alias[o] >= 0) outputs[o] = stack[stack.size() - n + static_cast<size_t>(gk.output_alias[o])].toTensor();
  }

  torch::jit::drop(stack, n);
  for (auto& t : outputs) stack.emplace_back(std::move(t));
}

void FusionGroupRunner::run_fallback(Stack& stack) {
  std::call_once(code_once_, [&] {
    fallback_ = std::make_unique<torch::jit::Code>(subgraph_->copy(), "fuze_fallback_subgraph");
  });
  torch::jit::InterpreterState(*fallback_).run(stack);
}

namespace {
// What check_eager_first learnt, by KernelCache key, for every runner.
std::mutex g_eager_mu;
std::unordered_map<std::string, uint8_t> g_eager_known;

uint8_t eager_known(const std::string& key) {
  std::lock_guard<std::mutex> lock(g_eager_mu);
  auto it = g_eager_known.find(key);
  return it == g_eager_known.end() ? static_cast<uint8_t>(GroupKernel::kUnknown) : it->second;
}
void set_eager_known(const GroupKernel& k, uint8_t state) {
  k.eager.store(state, std::memory_order_release);
  std::lock_guard<std::mutex> lock(g_eager_mu);
  g_eager_known[k.key] = state;
}
}  // namespace

bool FusionGroupRunner::check_eager_first(const GroupKernel& k, Stack& stack, GroupCall* call) {
  uint8_t state = k.eager.load(std::memory_order_acquire);
  if (state == GroupKernel::kUnknown) {
    state = eager_known(k.key);
    if (state != GroupKernel::kUnknown) k.eager.store(state, std::memory_order_release);
  }
  if (state == GroupKernel::kEagerRuns) return false;
  if (state == GroupKernel::kEagerRaises) {
    call->why_static = "TorchScript raises for this float16/bfloat16 signature";
    return true;
  }
  runtime::count_fallback("first call of a float16/bfloat16 signature: checking that TorchScript runs it");
  try {
    run_fallback(stack);
  } catch (...) {
    set_eager_known(k, GroupKernel::kEagerRaises);
    throw;
  }
  set_eager_known(k, GroupKernel::kEagerRuns);
  return true;
}

void FusionGroupRunner::run(Stack& stack) {
  GroupCall call;
  bool done = false;
  if (stack.size() < num_inputs_) {
    call.why_static = "stack underflow";
  } else {
    const GroupKernel* k = nullptr;
    try {
      k = guard(&*(stack.end() - static_cast<long>(num_inputs_)), &call);
    } catch (const std::exception& e) {
      call.why = std::string("kernel path failed: ") + (dynamic_cast<const c10::Error*>(&e) ? static_cast<const c10::Error&>(e).what_without_backtrace() : e.what());
    }
    if (k != nullptr && k->check_eager && check_eager_first(*k, stack, &call)) {
      if (call.why_static == nullptr) return;  // the check ran the fallback: its outputs are this call's
      k = nullptr;
    }
    if (k != nullptr) {
      try {
        launch(*k, call, stack);
        done = true;
      } catch (const std::exception& e) {
        call.why = std::string("kernel path failed: ") + (dynamic_cast<const c10::Error*>(&e) ? static_cast<const c10::Error&>(e).what_without_backtrace() : e.what());
      }
    }
  }
  if (done) return;
  runtime::count_fallback(call.why_static != nullptr ? std::string(call.why_static) : call.why);
  auto inputs = torch::jit::last(stack, std::min(num_inputs_, stack.size()));
  RECORD_FUNCTION("fuze_fallback", c10::ArrayRef<const c10::IValue>(inputs.data(), inputs.size()));
  run_fallback(stack);
}

// ---- registration ----------------------------------------------------------

namespace {
torch::jit::Operation create_fusion_group(const Node* node) {
  auto runner = std::make_shared<FusionGroupRunner>(node);
  return [runner](Stack& stack) { runner->run(stack); };
}

// fuze::ConstantSplit (frontend.h): x.split(s, dim), or split_with_sizes with
// n sizes s (exact), as the n values the pass unpacked; a count other than n is
// the error prim::ListUnpack raises.
torch::jit::Operation create_constant_split(const Node* node) {
  const int64_t size = node->i(c10::Symbol::attr("split_size")), dim = node->i(c10::attr::dim);
  const bool exact = node->i(c10::Symbol::attr("exact")) != 0;
  const size_t n = node->outputs().size();
  return [=](Stack& stack) {
    const at::Tensor x = torch::jit::pop(stack).toTensor();
    std::vector<at::Tensor> pieces =
        exact ? at::split_with_sizes(x, std::vector<int64_t>(n, size), dim) : at::split(x, size, dim);
    TORCH_CHECK(pieces.size() == n, "Expected ", n, " elements in a list but found ", pieces.size());
    for (auto& p : pieces) stack.emplace_back(std::move(p));
  };
}
}  // namespace

void register_operators() {
  static std::once_flag once;
  std::call_once(once, [] {
    const bool aten_pool = use_aten_thread_pool();
    FUZE_LOG(kDebug) << "CPU kernels run on " << (aten_pool ? "ATen's intra-op thread pool" : "fuze's own thread pool");
    // Another copy of fuze in this process (the Python module and
    // libfuze_torchscript.so both loaded) registered them first: TorchScript
    // then runs that copy's operators, and registering twice would throw.
    if (!torch::jit::getAllOperatorsFor(fusion_group_symbol()).empty()) {
      FUZE_LOG(kInfo) << "fuze::FusionGroup is already registered by another fuze library in this process";
      return;
    }
    static torch::jit::RegisterOperators reg(
        {torch::jit::Operator(fusion_group_symbol(), create_fusion_group, c10::AliasAnalysisKind::PURE_FUNCTION),
         torch::jit::Operator(constant_split_symbol(), create_constant_split, c10::AliasAnalysisKind::CONSERVATIVE)});
    FUZE_LOG(kDebug) << "registered the fuze::FusionGroup operator";
  });
}

}  // namespace fuze::frontend
