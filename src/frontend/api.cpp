// The public C++ API (include/fuze/fuze.h): load / optimize / Module, the
// TorchScript pre-pass behind enable() / disable(), options and statistics.
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/constant_pooling.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/lower_tuples.h>
#include <torch/csrc/jit/passes/pass_manager.h>
#include <torch/csrc/jit/passes/tensorexpr_fuser.h>
#include <torch/csrc/jit/runtime/interpreter.h>
#include <torch/script.h>

#include <algorithm>
#include <fstream>
#include <mutex>

#include "frontend/frontend.h"
#include "fuze/fuze.h"
#include "runtime/runtime.h"
#include "support/log.h"

namespace fuze {

namespace {

std::string first_line(const std::string& s) {
  auto pos = s.find('\n');
  return pos == std::string::npos ? s : s.substr(0, pos);
}

}  // namespace

// ---- inspection ----------------------------------------------------------------

bool is_fusion_group(const torch::jit::Node* node) { return node->kind() == frontend::fusion_group_symbol(); }
bool is_elementwise_kind(c10::Symbol kind) { return frontend::is_elementwise_kind(kind); }
bool is_reduction_kind(c10::Symbol kind) { return frontend::is_reduction_kind(kind); }
std::vector<UnfusedNode> unfused_nodes(const torch::jit::Graph& graph) { return frontend::unfused_nodes(graph); }

// ---- Module ------------------------------------------------------------------

Module::Module(torch::jit::Module module) : module_(std::move(module)) {
  frontend::register_operators();
  graph_ = module_.get_method("forward").graph()->copy();
  torch::jit::Inline(*graph_);
  torch::jit::LowerSimpleTuples(graph_);
  torch::jit::ConstantPropagation(graph_);
  torch::jit::ConstantPooling(graph_);
  torch::jit::EliminateDeadCode(graph_);
  fuse_graph(graph_);
  torch::jit::EliminateDeadCode(graph_);  // constants pulled into groups
  code_ = std::make_shared<torch::jit::Code>(graph_, "forward");
  schema_ = &module_.get_method("forward").function().getSchema();
  const auto& args = schema_->arguments();
  all_tensor_args_ = std::all_of(args.begin() + (args.empty() ? 0 : 1), args.end(), [](const c10::Argument& a) {
    return a.type()->kind() == c10::TypeKind::TensorType && !a.default_value();
  });
}

torch::jit::IValue Module::forward(std::vector<torch::jit::IValue> inputs) {
  torch::jit::Stack stack;
  stack.reserve(inputs.size() + 1);
  stack.emplace_back(module_._ivalue());
  for (auto& v : inputs) stack.emplace_back(std::move(v));
  // Same argument checking (and defaults) as torch::jit::Module::forward. Its
  // full type check costs more than a small fused call; when forward takes only
  // plain Tensors and gets exactly that many defined-or-not Tensors, there is
  // nothing it could reject or fill in, so it is skipped.
  const bool trivially_ok = all_tensor_args_ && stack.size() == schema_->arguments().size() &&
                            std::all_of(stack.begin() + 1, stack.end(), [](const torch::jit::IValue& v) {
                              return v.isTensor();
                            });
  if (!trivially_ok) schema_->checkAndNormalizeInputs(stack, {});
  torch::jit::InterpreterState(*code_).run(stack);
  TORCH_CHECK(stack.size() == 1, "fuze: forward left ", stack.size(), " values on the stack");
  return stack.back();
}

int Module::num_fusion_groups() const { return graph_ ? frontend::count_fusion_groups(graph_->block()) : 0; }

Module optimize(torch::jit::Module module) { return Module(std::move(module)); }

Module load(const std::string& path) {
  if (!std::ifstream(path, std::ios::binary).good()) {
    TORCH_CHECK(false, "fuze::load: cannot open '", path, "' (no such file or not readable)");
  }
  torch::jit::Module m;
  try {
    m = torch::jit::load(path);
  } catch (const c10::Error& e) {
    TORCH_CHECK(false, "fuze::load: '", path, "' is not a valid TorchScript file: ",
                first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "fuze::load: '", path, "' is not a valid TorchScript file: ", first_line(e.what()));
  }
  if (!m.find_method("forward")) {
    TORCH_CHECK(false, "fuze::load: '", path, "' has no forward method");
  }
  return optimize(std::move(m));
}

// ---- enable / disable ----------------------------------------------------------

namespace {

struct EnableState {
  std::mutex mu;
  bool enabled = false;
  torch::jit::GraphPassNameType pass_id = 0;
  bool saved_te = false;
};
EnableState& enable_state() {
  static auto* s = new EnableState();
  return *s;
}

// The pre-pass TorchScript's graph executors run before their own fusers. In
// the profiling executor it sees prim::profile nodes between ops: they are
// removed here (keeping the dtypes they recorded for the dtype checks).
void fuze_pre_pass(std::shared_ptr<torch::jit::Graph>& graph) {
  frontend::ProfiledDtypes profiled;
  frontend::remove_profile_nodes(graph->block(), &profiled);
  int groups = frontend::fuse_graph_with_report(graph, &profiled, nullptr);
  FUZE_LOG(kInfo) << "pre-pass: " << groups << " fusion group(s)";
}

}  // namespace

void enable() {
  auto& s = enable_state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.enabled) return;
  frontend::register_operators();
  s.saved_te = torch::jit::tensorExprFuserEnabled();
  torch::jit::setTensorExprFuserEnabled(false);
  s.pass_id = torch::jit::registerPrePass(fuze_pre_pass);
  s.enabled = true;
}

void disable() {
  auto& s = enable_state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.enabled) return;
  torch::jit::clearPrePass(s.pass_id);
  torch::jit::setTensorExprFuserEnabled(s.saved_te);
  s.enabled = false;
}

int refresh(torch::jit::Function& function) {
  if (!function.isGraphFunction()) return 0;
  try {
    torch::jit::toGraphFunction(function).get_executor().debugFlushCompilationCache();
  } catch (const std::exception& e) {
    // A function TorchScript cannot make an executor for (it could not have
    // run either): no plan to drop.
    FUZE_LOG(kDebug) << "refresh: " << function.qualname().qualifiedName() << ": " << e.what();
    return 0;
  }
  return 1;
}

int refresh(const torch::jit::Module& module, bool submodules) {
  int n = 0;
  for (const torch::jit::Method& method : module.get_methods()) n += refresh(method.function());
  if (submodules) {
    for (const torch::jit::Module& child : module.children()) n += refresh(child, true);
  }
  return n;
}

bool is_enabled() {
  auto& s = enable_state();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.enabled;
}

}  // namespace fuze
