// fuze: a JIT fusion compiler for TorchScript. The public C++ API.
//
//   fuze::Module m = fuze::load("model.pt");          // fused on load
//   torch::jit::IValue out = m.forward({x, h});       // like torch::jit::Module::forward
//   std::cout << *m.graph();                          // the graph with fuze::FusionGroup nodes
//
//   fuze::enable();   // every TorchScript module in the process now runs fused
//   fuze::disable();
//
// Errors (missing or corrupt file, bad inputs) are thrown as c10::Error with a
// clear message, exactly where TorchScript would throw.
#pragma once

#include <torch/script.h>

#include <memory>
#include <string>
#include <vector>

#include "fuze/core.h"

namespace fuze {

// A TorchScript module whose forward runs with fusion groups.
class Module {
 public:
  explicit Module(torch::jit::Module module);

  torch::jit::IValue forward(std::vector<torch::jit::IValue> inputs);
  // The optimized forward graph (inlined, with fuze::FusionGroup nodes).
  std::shared_ptr<torch::jit::Graph> graph() const { return graph_; }
  int num_fusion_groups() const;
  const torch::jit::Module& original() const { return module_; }

 private:
  torch::jit::Module module_;
  std::shared_ptr<torch::jit::Graph> graph_;
  std::shared_ptr<torch::jit::Code> code_;
  const c10::FunctionSchema* schema_ = nullptr;  // forward's, owned by the module's class
  bool all_tensor_args_ = false;  // every argument after self is a plain Tensor
};

// Loads a TorchScript .pt and fuses its forward method.
Module load(const std::string& path);
// Fuses an already-loaded module (the module is shared, not copied).
Module optimize(torch::jit::Module module);

// The fusion pass itself: replaces maximal groups of supported elementwise
// nodes (two or more) in `graph` and all its sub-blocks by fuze::FusionGroup
// nodes. Returns the number of groups created.
int fuse_graph(std::shared_ptr<torch::jit::Graph>& graph);

// Registers / removes fuze as a TorchScript pre-pass, so that every scripted or
// traced module run in this process is fused (and NNC is kept off meanwhile).
void enable();
void disable();
bool is_enabled();

// TorchScript's graph executors keep the plan they optimized on a module's
// first calls, so a module that ran before enable() stays unfused. refresh()
// drops the cached plans of the module's methods and, with `submodules`, of all
// its submodules' (or of one scripted function), so that the next call profiles
// and optimizes again (with fuze's pre-pass if enabled). Returns how many
// methods it reset. Call it while no other thread is calling the module, and
// only on functions TorchScript has finished compiling (a live ScriptModule's
// methods, a ScriptFunction): not on the leftovers of a failed compile.
int refresh(const torch::jit::Module& module, bool submodules = true);
int refresh(torch::jit::Function& function);

// ---- inspection (the profiler is in fuze/profiler.h, kernels in fuze/core.h)

// Whether `node` is a fuze::FusionGroup (what fuse_graph creates).
bool is_fusion_group(const torch::jit::Node* node);
// Whether fuze counts `kind` as elementwise: an op it fuses or one of ATen's
// pointwise ops (the ones fuze has no kernel op for too).
bool is_elementwise_kind(c10::Symbol kind);
// Whether `kind` is a reduction fuze fuses with its neighbours (softmax,
// log_softmax, layer_norm, sum, mean, amax, amin, logsumexp); the coverage
// figures count these with the elementwise nodes.
bool is_reduction_kind(c10::Symbol kind);

// An elementwise node fuse_graph leaves out, and why.
struct UnfusedNode {
  std::string kind;    // "aten::add_"
  std::string value;   // "%x.3" (first output), or "" when none
  std::string reason;  // "in-place aten::add_ mutates its input", "group of one node", ...
};
// The elementwise nodes the last fuse_graph on `graph` left outside fusion
// groups (sub-blocks included), with the fusion pass's reason; empty when the
// graph was never fused.
std::vector<UnfusedNode> unfused_nodes(const torch::jit::Graph& graph);

}  // namespace fuze
