// The fuze::FusionGroup operator: guard the inputs, look up (or build and
// compile) the kernel for the group's signature, allocate the outputs, launch.
// Anything the kernel path cannot take runs the group's original subgraph
// through TorchScript's interpreter instead (the fallback), so results always
// equal TorchScript's.
#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <ATen/ops/empty.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/runtime/custom_operator.h>
#include <torch/csrc/jit/runtime/interpreter.h>

#include <atomic>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "frontend/frontend.h"
#include "runtime/runtime.h"
#include "support/log.h"

namespace fuze::frontend {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Stack;
using torch::jit::Value;
namespace aten = c10::aten;
namespace prim = c10::prim;

namespace {

std::atomic<int> g_num_threads{0};

bool number_of(const c10::IValue& v, double* out) {
  if (v.isDouble()) *out = v.toDouble();
  else if (v.isInt()) *out = static_cast<double>(v.toInt());
  else if (v.isBool()) *out = v.toBool() ? 1.0 : 0.0;
  else return false;
  return true;
}

bool constant_number(const Value* v, double* out) {
  auto iv = torch::jit::toIValue(v);
  return iv && number_of(*iv, out);
}

}  // namespace

int num_threads_option() { return g_num_threads.load(); }
void set_num_threads_option(int n) { g_num_threads.store(n < 0 ? 0 : n); }

// ---- lowering: subgraph -> kernel IR --------------------------------------

std::string canonical_text(const Graph& subgraph) {
  std::ostringstream out;
  std::unordered_map<const Value*, size_t> id;
  for (const Value* v : subgraph.inputs()) {
    id.emplace(v, id.size());
    out << (v->type()->cast<c10::TensorType>() ? 'T' : 'N');
  }
  out << ';';
  for (const Node* n : subgraph.nodes()) {
    out << n->kind().toQualString();
    if (n->kind() == prim::Constant) {
      auto iv = torch::jit::toIValue(n->output());
      out << '[' << (iv ? *iv : c10::IValue()) << ']';
    }
    out << '(';
    for (const Value* v : n->inputs()) out << id.at(v) << ',';
    out << ')';
    for (const Value* v : n->outputs()) id.emplace(v, id.size());
  }
  out << "->";
  for (const Value* v : subgraph.outputs()) out << id.at(v) << ',';
  return out.str();
}

Status lower_subgraph(const Graph& subgraph, const std::vector<ir::Layout>& layouts, int rank, ir::Kernel* out) {
  if (layouts.size() != subgraph.inputs().size()) return Status::error("lowering: wrong number of input layouts");
  ir::Kernel k("fused", rank);
  constexpr ir::DType f32 = ir::DType::kFloat32;
  std::unordered_map<const Value*, int> ids;
  for (size_t i = 0; i < layouts.size(); ++i) ids[subgraph.inputs()[i]] = k.add_input(f32, layouts[i]);

  std::string error;
  auto operand = [&](const Value* v) -> int {
    auto it = ids.find(v);
    if (it != ids.end()) return it->second;
    double c = 0;
    if (v->node()->kind() == prim::Constant && constant_number(v, &c)) return ids[v] = k.add_const(f32, c);
    error = "lowering: unsupported operand %" + v->debugName() + " of type " + v->type()->repr_str();
    return -1;
  };

  for (const Node* n : subgraph.nodes()) {
    if (n->kind() == prim::Constant) continue;  // materialised where used
    const c10::Symbol kind = n->kind();
    int result = -1;
    if (kind == aten::clamp) {
      result = operand(n->input(0));
      if (!n->input(1)->mustBeNone()) result = k.add_op(ir::Op::kClampMin, f32, {result, operand(n->input(1))});
      if (!n->input(2)->mustBeNone()) result = k.add_op(ir::Op::kClampMax, f32, {result, operand(n->input(2))});
    } else {
      std::optional<ir::Op> op = op_for_kind(kind);
      if (!op) return Status::error(std::string("lowering: unsupported op ") + kind.toQualString());
      const int arity = ir::op_info(*op).arity;
      std::vector<int> args;
      for (int i = 0; i < arity; ++i) args.push_back(operand(n->input(static_cast<size_t>(i))));
      if (!error.empty()) return Status::error(error);
      if ((*op == ir::Op::kAdd || *op == ir::Op::kSub) && n->inputs().size() == 3) {
        double alpha = 1.0;
        if (!constant_number(n->input(2), &alpha)) return Status::error("lowering: alpha is not a constant");
        if (alpha != 1.0) args[1] = k.add_op(ir::Op::kMul, f32, {args[1], k.add_const(f32, alpha)});
      }
      result = k.add_op(*op, f32, std::move(args));
    }
    if (!error.empty()) return Status::error(error);
    if (n->outputs().size() != 1) return Status::error("lowering: node with several outputs");
    ids[n->output()] = result;
  }
  for (const Value* v : subgraph.outputs()) {
    auto it = ids.find(v);
    if (it == ids.end()) return Status::error("lowering: output %" + v->debugName() + " is not computed");
    k.add_output(it->second, ir::Layout::kContiguous);
  }
  k.set_name(k.chain_name());
  *out = std::move(k);
  return Status::ok();
}

// ---- the operator ----------------------------------------------------------

namespace {

// What one FusionGroup node needs at run time; built once per node.
struct GroupState {
  std::shared_ptr<Graph> subgraph;
  std::string identity;  // canonical text of the subgraph
  std::string name;      // kernel (chain) name, e.g. "fused_add_tanh": the RecordFunction name
  size_t num_inputs = 0;
  size_t num_outputs = 0;
  // Shape plan: slots 0..num_inputs-1 are the inputs, then one per non-constant
  // node; each node lists the slots of its tensor operands (-1 entries skipped).
  std::vector<std::vector<int>> node_operands;
  std::vector<int> output_slots;
  std::once_flag code_once;
  std::unique_ptr<torch::jit::Code> fallback;
};

std::shared_ptr<GroupState> make_state(const Node* node) {
  auto st = std::make_shared<GroupState>();
  st->subgraph = node->g(c10::attr::Subgraph);
  st->identity = canonical_text(*st->subgraph);
  st->num_inputs = node->inputs().size();
  st->num_outputs = node->outputs().size();
  {
    // The chain name, from a lowering with nominal layouts (the name depends on
    // the ops only, not on the signature).
    std::vector<ir::Layout> nominal;
    for (const Value* v : st->subgraph->inputs())
      nominal.push_back(v->type()->cast<c10::TensorType>() ? ir::Layout::kContiguous : ir::Layout::kScalar);
    ir::Kernel k;
    st->name = lower_subgraph(*st->subgraph, nominal, 1, &k).is_ok() ? k.name() : "fuze_group";
  }
  std::unordered_map<const Value*, int> slot;
  int next = 0;
  for (const Value* v : st->subgraph->inputs()) slot[v] = next++;
  for (const Node* n : st->subgraph->nodes()) {
    if (n->kind() == prim::Constant) continue;
    std::vector<int> ops;
    for (const Value* v : n->inputs()) {
      auto it = slot.find(v);
      if (it != slot.end()) ops.push_back(it->second);
    }
    st->node_operands.push_back(std::move(ops));
    for (const Value* v : n->outputs()) slot[v] = next;
    ++next;
  }
  for (const Value* v : st->subgraph->outputs()) {
    auto it = slot.find(v);
    st->output_slots.push_back(it == slot.end() ? -1 : it->second);
  }
  return st;
}

using Shape = std::vector<int64_t>;

// Tries the kernel path; false (with *why) means: run the fallback.
bool run_kernel(GroupState& st, Stack& stack, std::string* why) {
  const size_t n = st.num_inputs;
  if (stack.size() < n) {
    *why = "stack underflow";
    return false;
  }
  auto inputs = torch::jit::last(stack, n);
  const bool grad_on = at::GradMode::is_enabled();

  // Guard the inputs.
  std::vector<double> scalars(n, 0.0);
  std::vector<const at::Tensor*> tensors(n, nullptr);
  std::vector<std::optional<Shape>> shapes(n + st.node_operands.size());
  for (size_t i = 0; i < n; ++i) {
    const c10::IValue& v = inputs[i];
    if (v.isTensor()) {
      const at::Tensor& t = v.toTensor();
      if (!t.defined()) { *why = "undefined tensor input"; return false; }
      if (t.device().type() != c10::DeviceType::CPU) { *why = "non-CPU tensor input"; return false; }
      if (t.layout() != c10::kStrided) { *why = "non-strided tensor input"; return false; }
      if (t.scalar_type() != c10::ScalarType::Float) {
        *why = std::string("unsupported input dtype ") + c10::toString(t.scalar_type());
        return false;
      }
      if (grad_on && t.requires_grad()) { *why = "input requires grad"; return false; }
      if (t.is_neg() || t.is_conj()) { *why = "lazily negated/conjugated input"; return false; }
      tensors[i] = &t;
      shapes[i] = t.sizes().vec();
    } else if (!number_of(v, &scalars[i])) {
      *why = "unsupported input of type " + v.tagKind();
      return false;
    }
  }

  // Shapes of every value (numpy broadcasting), the iteration shape, and each output's.
  Shape iter;
  for (size_t j = 0; j < st.node_operands.size(); ++j) {
    Shape s;
    for (int op : st.node_operands[j]) {
      if (!shapes[static_cast<size_t>(op)]) continue;
      Shape b;
      if (!runtime::broadcast_shapes(s, *shapes[static_cast<size_t>(op)], &b)) {
        *why = "input shapes do not broadcast";
        return false;
      }
      s = std::move(b);
    }
    Shape b;
    if (!runtime::broadcast_shapes(iter, s, &b)) {
      *why = "input shapes do not broadcast";
      return false;
    }
    iter = std::move(b);
    shapes[n + j] = std::move(s);
  }
  for (int slot : st.output_slots) {
    if (slot < 0 || !shapes[static_cast<size_t>(slot)] || *shapes[static_cast<size_t>(slot)] != iter) {
      *why = "an output is smaller than the iteration space";
      return false;
    }
  }

  // Strides expanded to the iteration rank (0 on broadcast dims) and layouts.
  const int rank = static_cast<int>(iter.size());
  const size_t r = iter.size();
  const size_t num_operands = n + st.num_outputs;
  std::vector<int64_t> strides(num_operands * r, 0);
  std::vector<ir::Layout> layouts(n, ir::Layout::kScalar);
  std::vector<void*> data(num_operands, nullptr);
  for (size_t i = 0; i < n; ++i) {
    if (tensors[i] == nullptr) continue;
    const at::Tensor& t = *tensors[i];
    const size_t dim = static_cast<size_t>(t.dim());
    for (size_t d = r - dim; d < r; ++d) {
      const int64_t td = static_cast<int64_t>(d - (r - dim));
      strides[i * r + d] = t.size(td) == 1 ? 0 : t.stride(td);
    }
    layouts[i] = runtime::classify_layout(rank, iter.data(), strides.data() + i * r);
    data[i] = t.data_ptr();
  }

  // Key: group identity + signature (dtypes, layouts, rank), never sizes.
  const BackendKind backend = runtime::options().backend;
  std::string key = st.identity;
  key += "|";
  key += backend_name(backend);
  key += "|r" + std::to_string(rank) + ":";
  for (ir::Layout l : layouts) {
    key += "f32.";
    key += ir::layout_name(l);
    key += ',';
  }
  std::string build_error;
  auto kernel = runtime::KernelCache::global().lookup_or_compile(
      key, backend, [&](ir::Kernel* k) { return lower_subgraph(*st.subgraph, layouts, rank, k); }, &build_error);
  if (!kernel) {
    *why = "no kernel: " + build_error;
    return false;
  }

  // Visible to torch.profiler and RecordFunction observers under the chain name.
  RECORD_FUNCTION(st.name.c_str(), c10::ArrayRef<const c10::IValue>(inputs.data(), inputs.size()));

  // Outputs: contiguous float32 of the iteration shape.
  std::vector<at::Tensor> outputs;
  outputs.reserve(st.num_outputs);
  for (size_t o = 0; o < st.num_outputs; ++o) {
    outputs.push_back(at::empty(iter, at::TensorOptions().dtype(at::kFloat)));
    const at::Tensor& t = outputs.back();
    for (size_t d = 0; d < r; ++d) strides[(n + o) * r + d] = t.stride(static_cast<int64_t>(d));
    data[n + o] = t.data_ptr();
  }
  int64_t numel = 1;
  for (int64_t s : iter) numel *= s;

  if (numel > 0) {
    KernelArgs args;
    args.numel = numel;
    args.rank = rank;
    args.sizes = iter.data();
    args.data = data.data();
    args.strides = strides.data();
    args.scalars = scalars.data();
    const int opt_threads = g_num_threads.load();
    const int threads = opt_threads > 0 ? opt_threads : at::get_num_threads();
    runtime::launch(*kernel, args, threads, runtime::options().grain);
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
    std::string why;
    bool done = false;
    try {
      done = run_kernel(*st, stack, &why);
    } catch (const std::exception& e) {
      why = std::string("kernel path failed: ") + e.what();
      done = false;
    }
    if (!done) {
      runtime::count_fallback(why);
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
