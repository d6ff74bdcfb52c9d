// The fuze::FusionGroup operator: guard the inputs, find the kernel for the
// call's signature (a per-group table first, then the process-wide cache, then
// build and compile), allocate the outputs as eager would, launch. Anything the
// kernel path cannot take runs the group's original subgraph through
// TorchScript's interpreter instead (the fallback), so results always equal
// TorchScript's.
//
// Signature (what a kernel is specialised on; never sizes): per input its
// dtype, its layout over the iteration space (contiguous, strided, broadcast,
// scalar) and whether it is a 0-dim tensor (type promotion treats those
// differently); the iteration rank; the backend. Encoded in a fixed-size POD
// compared with memcmp, so the per-call guard builds no strings and allocates
// nothing on a hit.
#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_strided.h>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/runtime/custom_operator.h>
#include <torch/csrc/jit/runtime/interpreter.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "frontend/frontend.h"
#include "runtime/runtime.h"
#include "support/log.h"

namespace fuze::frontend {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Stack;
using torch::jit::Value;
namespace prim = c10::prim;

namespace {

std::atomic<int> g_num_threads{0};

constexpr int kMaxInputs = 32;
constexpr int kMaxRank = 16;
constexpr int kMaxOutputs = 8;

// The compact signature: one byte per input (dtype | layout << 3 | 0-dim << 5),
// then rank, backend and input count. Zero-initialised, so memcmp is exact.
struct Signature {
  uint8_t input[kMaxInputs];
  uint8_t rank;
  uint8_t backend;
  uint8_t num_inputs;
  uint8_t strided_outputs;  // 1: outputs follow a permuted (TensorIterator) layout
  bool operator==(const Signature& o) const { return std::memcmp(this, &o, sizeof(Signature)) == 0; }
};
static_assert(std::is_trivially_copyable_v<Signature>, "Signature is compared with memcmp");

uint8_t encode_input(ir::DType t, ir::Layout l, bool zero_dim) {
  return static_cast<uint8_t>(static_cast<unsigned>(t) | (static_cast<unsigned>(l) << 3) | (zero_dim ? 32u : 0u));
}
InputSig decode_input(uint8_t b) {
  return InputSig{static_cast<ir::DType>(b & 7u), static_cast<ir::Layout>((b >> 3) & 3u), (b & 32u) != 0};
}

std::string signature_text(const Signature& s) {
  std::string out = std::string(backend_name(static_cast<BackendKind>(s.backend))) + "|r" + std::to_string(s.rank) +
                    (s.strided_outputs ? "|out.strided:" : ":");
  for (int i = 0; i < s.num_inputs; ++i) {
    const InputSig in = decode_input(s.input[i]);
    out += ir::dtype_name(in.dtype);
    out += '.';
    out += ir::layout_name(in.layout);
    if (in.zero_dim) out += ".0d";
    out += ',';
  }
  return out;
}

}  // namespace

int num_threads_option() { return g_num_threads.load(); }
void set_num_threads_option(int n) { g_num_threads.store(n < 0 ? 0 : n); }

// ---- the operator ----------------------------------------------------------

namespace {

// One signature this group has seen: its kernel (nullptr: fallback, `why`).
struct GroupKernel {
  Signature sig;
  std::shared_ptr<const CompiledKernel> kernel;
  std::vector<ir::DType> output_dtypes;
  std::string why;
};

// What one FusionGroup node needs at run time; built once per node.
struct GroupState {
  std::shared_ptr<Graph> subgraph;
  std::string identity;  // canonical text of the subgraph
  std::string name;      // kernel (chain) name, e.g. "fused_add_tanh": the RecordFunction name
  size_t num_inputs = 0;
  size_t num_outputs = 0;
  // For each output: the subgraph inputs it depends on (bit i = input i), and
  // all tensor inputs some node uses. An output's shape is the broadcast of
  // its dependencies' shapes; it must equal the iteration shape.
  std::vector<uint64_t> output_deps;
  uint64_t used_inputs = 0;
  std::once_flag code_once;
  std::unique_ptr<torch::jit::Code> fallback;

  std::mutex mu;  // guards kernels
  std::deque<GroupKernel> kernels;  // a deque: entries never move, pointers to them stay valid
  std::atomic<uint64_t> limit_fallbacks{0};
};

std::shared_ptr<GroupState> make_state(const Node* node) {
  auto st = std::make_shared<GroupState>();
  st->subgraph = node->g(c10::attr::Subgraph);
  st->identity = canonical_text(*st->subgraph);
  st->num_inputs = node->inputs().size();
  st->num_outputs = node->outputs().size();
  std::unordered_map<const Value*, uint64_t> deps;
  const auto& ins = st->subgraph->inputs();
  for (size_t i = 0; i < ins.size() && i < 64; ++i) deps[ins[i]] = uint64_t(1) << i;
  for (const Node* n : st->subgraph->nodes()) {
    uint64_t d = 0;
    for (const Value* v : n->inputs()) {
      auto it = deps.find(v);
      if (it != deps.end()) d |= it->second;
    }
    st->used_inputs |= d;
    for (const Value* v : n->outputs()) deps[v] = d;
  }
  for (const Value* v : st->subgraph->outputs()) {
    auto it = deps.find(v);
    st->output_deps.push_back(it == deps.end() ? 0 : it->second);
  }
  {
    // The chain name, from a lowering with a nominal signature (the name
    // depends on the ops, not on the signature).
    std::vector<InputSig> nominal;
    for (const Value* v : ins) {
      const bool tensor = v->type()->cast<c10::TensorType>() != nullptr;
      nominal.push_back(InputSig{tensor ? ir::DType::kFloat32 : ir::DType::kFloat64,
                                 tensor ? ir::Layout::kContiguous : ir::Layout::kScalar, false});
    }
    ir::Kernel k;
    st->name = lower_subgraph(*st->subgraph, nominal, 1, ir::Layout::kContiguous, &k).is_ok() ? k.name()
                                                                                                : "fuze_group";
  }
  return st;
}

// Broadcasts `shape` (right-aligned) into iter[0..*rank); false if incompatible.
bool broadcast_into(c10::IntArrayRef shape, int64_t* iter, int* rank) {
  const int n = static_cast<int>(shape.size());
  if (n > kMaxRank) return false;
  if (n > *rank) {  // shift right, pad with 1s
    const int shift = n - *rank;
    for (int d = *rank - 1; d >= 0; --d) iter[d + shift] = iter[d];
    for (int d = 0; d < shift; ++d) iter[d] = 1;
    *rank = n;
  }
  const int off = *rank - n;
  for (int d = 0; d < n; ++d) {
    const int64_t s = shape[static_cast<size_t>(d)];
    int64_t& it = iter[off + d];
    if (s == it || s == 1) continue;
    if (it != 1) return false;
    it = s;
  }
  return true;
}

// Finds (or compiles) the kernel for `sig`; nullptr with *why for the fallback.
const GroupKernel* find_kernel(GroupState& st, const Signature& sig, const runtime::Options& opts) {
  {
    std::lock_guard<std::mutex> lock(st.mu);
    for (const GroupKernel& g : st.kernels) {
      if (g.sig == sig) {
        runtime::count_cache_hit();
        return &g;
      }
    }
    if (static_cast<int>(st.kernels.size()) >= opts.max_signatures_per_group) return nullptr;
  }
  // Miss: lower (for the output dtypes and the IR), then the global cache.
  std::vector<InputSig> inputs;
  for (int i = 0; i < sig.num_inputs; ++i) inputs.push_back(decode_input(sig.input[i]));
  GroupKernel gk;
  gk.sig = sig;
  ir::Kernel lowered;
  Status s = lower_subgraph(*st.subgraph, inputs, sig.rank,
                           sig.strided_outputs ? ir::Layout::kStrided : ir::Layout::kContiguous, &lowered);
  if (s) {
    for (const ir::Output& o : lowered.outputs()) gk.output_dtypes.push_back(lowered.node(o.value).dtype);
    const std::string key = st.identity + "|" + signature_text(sig);
    gk.kernel = runtime::KernelCache::global().lookup_or_compile(
        key, static_cast<BackendKind>(sig.backend),
        [&](ir::Kernel* k) {
          *k = lowered;
          return Status::ok();
        },
        &gk.why);
    if (!gk.kernel) gk.why = "no kernel: " + gk.why;
  } else {
    gk.why = s.message();
  }
  std::lock_guard<std::mutex> lock(st.mu);
  for (const GroupKernel& g : st.kernels) {  // another thread got there first
    if (g.sig == sig) return &g;
  }
  if (static_cast<int>(st.kernels.size()) >= opts.max_signatures_per_group) return nullptr;
  st.kernels.push_back(std::move(gk));
  return &st.kernels.back();
}

// Tries the kernel path; false (with *why) means: run the fallback.
bool run_kernel(GroupState& st, Stack& stack, const char** why_static, std::string* why) {
  const size_t n = st.num_inputs;
  *why_static = nullptr;
  if (stack.size() < n) {
    *why_static = "stack underflow";
    return false;
  }
  if (n > static_cast<size_t>(kMaxInputs) || st.num_outputs > static_cast<size_t>(kMaxOutputs)) {
    *why_static = "too many inputs or outputs for one kernel";
    return false;
  }
  const runtime::Options opts = runtime::options();
  auto inputs = torch::jit::last(stack, n);
  const bool grad_on = at::GradMode::is_enabled();

  // Guard the inputs; the iteration shape is the broadcast of the used tensors.
  Signature sig{};
  double scalars[kMaxInputs];
  const at::Tensor* tensors[kMaxInputs];
  int64_t iter[kMaxRank];
  int rank = 0;
  for (size_t i = 0; i < n; ++i) {
    const c10::IValue& v = inputs[i];
    tensors[i] = nullptr;
    scalars[i] = 0.0;
    if (v.isTensor()) {
      const at::Tensor& t = v.toTensor();
      if (!t.defined()) { *why_static = "undefined tensor input"; return false; }
      if (t.device().type() != c10::DeviceType::CPU) { *why_static = "non-CPU tensor input"; return false; }
      if (t.layout() != c10::kStrided) { *why_static = "non-strided tensor input"; return false; }
      ir::DType dt;
      if (t.scalar_type() == c10::ScalarType::Half || t.scalar_type() == c10::ScalarType::BFloat16) {
        // The kernels compute f16/bf16 like eager's float-opmath ops (see
        // tests/unit/interp_dtype_test.cpp), but libtorch 1.13's CPU kernels for
        // them are partial (many raise for Half) and some differ in rounding
        // (bf16 rsqrt): until each op is checked per dtype, TorchScript runs them.
        *why_static = "float16/bfloat16 inputs run the fallback on CPU";
        return false;
      }
      if (!dtype_of_scalar_type(t.scalar_type(), &dt)) {
        *why = std::string("unsupported input dtype ") + c10::toString(t.scalar_type());
        return false;
      }
      if (grad_on && t.requires_grad()) { *why_static = "input requires grad"; return false; }
      if (t.is_neg() || t.is_conj()) { *why_static = "lazily negated/conjugated input"; return false; }
      tensors[i] = &t;
      sig.input[i] = encode_input(dt, ir::Layout::kContiguous, t.dim() == 0);
      if (((st.used_inputs >> i) & 1u) != 0 && !broadcast_into(t.sizes(), iter, &rank)) {
        *why_static = t.dim() > kMaxRank ? "rank above 16" : "input shapes do not broadcast";
        return false;
      }
    } else if (v.isDouble()) {
      scalars[i] = v.toDouble();
      sig.input[i] = encode_input(ir::DType::kFloat64, ir::Layout::kScalar, false);
    } else if (v.isInt()) {
      scalars[i] = static_cast<double>(v.toInt());
      sig.input[i] = encode_input(ir::DType::kInt64, ir::Layout::kScalar, false);
    } else if (v.isBool()) {
      scalars[i] = v.toBool() ? 1.0 : 0.0;
      sig.input[i] = encode_input(ir::DType::kBool, ir::Layout::kScalar, false);
    } else {
      *why = "unsupported input of type " + v.tagKind();
      return false;
    }
  }
  // Every output must cover the iteration space (an output computed from
  // fewer inputs can be smaller: eager would give it its own shape).
  for (uint64_t deps : st.output_deps) {
    if ((deps & st.used_inputs) == st.used_inputs) continue;
    int64_t shape[kMaxRank];
    int r = 0;
    for (size_t i = 0; i < n; ++i) {
      if (tensors[i] != nullptr && ((deps >> i) & 1u) != 0) broadcast_into(tensors[i]->sizes(), shape, &r);
    }
    if (r != rank || !std::equal(shape, shape + r, iter)) {
      *why_static = "an output is smaller than the iteration space";
      return false;
    }
  }

  // Strides expanded to the iteration rank: `strides` for the kernel (0 on
  // broadcast dims), `ti_strides` for the output layout (size-1 dims keep theirs).
  const size_t r = static_cast<size_t>(rank);
  const size_t num_operands = n + st.num_outputs;
  int64_t strides[(kMaxInputs + kMaxOutputs) * kMaxRank];
  int64_t ti_strides[kMaxInputs * kMaxRank];
  void* data[kMaxInputs + kMaxOutputs];
  int num_ti = 0;
  for (size_t i = 0; i < n; ++i) {
    data[i] = nullptr;
    int64_t* s = strides + i * r;
    std::fill(s, s + r, 0);
    if (tensors[i] == nullptr) continue;
    const at::Tensor& t = *tensors[i];
    const size_t dim = static_cast<size_t>(t.dim());
    int64_t* ti = ti_strides + static_cast<size_t>(num_ti) * r;
    std::fill(ti, ti + r, 0);
    for (size_t d = r - dim; d < r; ++d) {
      const int64_t td = static_cast<int64_t>(d - (r - dim));
      const int64_t size = t.size(td), stride = t.stride(td);
      s[d] = size == 1 ? 0 : stride;
      ti[d] = size == 1 && iter[d] != 1 ? 0 : stride;
    }
    ++num_ti;
    const ir::Layout l = runtime::classify_layout(rank, iter, s);
    sig.input[i] = static_cast<uint8_t>((sig.input[i] & ~0x18u) | (static_cast<unsigned>(l) << 3));
    data[i] = t.data_ptr();
  }
  // The outputs' layout as TensorIterator would allocate it.
  int64_t out_strides[kMaxRank];
  runtime::iterator_output_strides(rank, iter, num_ti, ti_strides, out_strides);
  bool contiguous = true;
  for (size_t d = 0, expect = 1; d < r; ++d) {
    const size_t dd = r - 1 - d;
    if (iter[dd] != 1 && out_strides[dd] != static_cast<int64_t>(expect)) contiguous = false;
    expect *= static_cast<size_t>(std::max<int64_t>(iter[dd], 1));
  }
  sig.rank = static_cast<uint8_t>(rank);
  // Every tensor here is on the CPU (guarded above): the CUDA backend takes
  // device buffers only, so a cuda choice means the default CPU backend here.
  const BackendKind backend =
      opts.backend == BackendKind::kCuda ? runtime::default_cpu_backend() : opts.backend;
  sig.backend = static_cast<uint8_t>(backend);
  sig.num_inputs = static_cast<uint8_t>(n);
  sig.strided_outputs = contiguous ? 0 : 1;

  const GroupKernel* gk = find_kernel(st, sig, opts);
  if (gk == nullptr) {
    *why_static = "signature limit reached for this group (runtime::Options::max_signatures_per_group)";
    st.limit_fallbacks.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (!gk->kernel) {
    *why = gk->why;
    return false;
  }

  // Visible to torch.profiler and RecordFunction observers under the chain name.
  RECORD_FUNCTION(st.name.c_str(), c10::ArrayRef<const c10::IValue>(inputs.data(), inputs.size()));

  // Outputs: the iteration shape, the promoted dtype, TensorIterator's strides.
  const c10::IntArrayRef shape(iter, r);
  c10::SmallVector<at::Tensor, 2> outputs;
  for (size_t o = 0; o < st.num_outputs; ++o) {
    const auto options = at::TensorOptions().dtype(scalar_type_of(gk->output_dtypes[o]));
    outputs.push_back(contiguous ? at::empty(shape, options)
                                 : at::empty_strided(shape, c10::IntArrayRef(out_strides, r), options));
    const at::Tensor& t = outputs.back();
    for (size_t d = 0; d < r; ++d) strides[(n + o) * r + d] = t.stride(static_cast<int64_t>(d));
    data[n + o] = t.data_ptr();
  }
  (void)num_operands;
  int64_t numel = 1;
  for (size_t d = 0; d < r; ++d) numel *= iter[d];

  if (numel > 0) {
    KernelArgs args;
    args.numel = numel;
    args.rank = rank;
    args.sizes = iter;
    args.data = data;
    args.strides = strides;
    args.scalars = scalars;
    const int opt_threads = g_num_threads.load(std::memory_order_relaxed);
    const int threads = opt_threads > 0 ? opt_threads : at::get_num_threads();
    runtime::launch(*gk->kernel, args, threads, opts.grain);
  }
  runtime::count_kernel_call();

  torch::jit::drop(stack, n);
  for (auto& t : outputs) stack.emplace_back(std::move(t));
  return true;
}

void run_fallback(GroupState& st, Stack& stack) {
  std::call_once(st.code_once, [&] {
    st.fallback = std::make_unique<torch::jit::Code>(st.subgraph->copy(), "fuze_fallback_subgraph");
  });
  torch::jit::InterpreterState(*st.fallback).run(stack);
}

torch::jit::Operation create_fusion_group(const Node* node) {
  std::shared_ptr<GroupState> st = make_state(node);
  return [st](Stack& stack) {
    const char* why_static = nullptr;
    std::string why;
    bool done = false;
    try {
      done = run_kernel(*st, stack, &why_static, &why);
    } catch (const std::exception& e) {
      why = std::string("kernel path failed: ") + e.what();
      done = false;
    }
    if (!done) {
      runtime::count_fallback(why_static != nullptr ? std::string(why_static) : why);
      auto inputs = torch::jit::last(stack, std::min(st->num_inputs, stack.size()));
      RECORD_FUNCTION("fuze_fallback", c10::ArrayRef<const c10::IValue>(inputs.data(), inputs.size()));
      run_fallback(*st, stack);
    }
  };
}

}  // namespace

void register_operators() {
  static std::once_flag once;
  std::call_once(once, [] {
    static torch::jit::RegisterOperators reg({torch::jit::Operator(
        fusion_group_symbol(), create_fusion_group, c10::AliasAnalysisKind::PURE_FUNCTION)});
    FUZE_LOG(kDebug) << "registered the fuze::FusionGroup operator";
  });
}

}  // namespace fuze::frontend
