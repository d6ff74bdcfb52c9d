// Every op x dtype (issue 16): each TorchScript op of ops.def with a fusible
// neighbour, `r = op(x, y...)` then `r * r` (or `logical_not(r)` for a bool
// r), so that the fusion pass makes one group of two ops, over 4K and 1M
// elements, TorchScript and fuze (default backend) called alternately in one
// loop at one thread. Reports fuze's time (manual time) and, as counters,
// both medians, their ratio (torchscript_us / fuze_us) and whether the group
// ran a kernel (fused = 1) or TorchScript's own ops (fused = 0: no kernel for
// the op or dtype on this backend, or eager's 16-bit kernel rounds otherwise).
// A row where eager itself raises (e.g. an integer op eager lacks) is skipped.
//
//   build/bench/fuze_op_bench --benchmark_min_time=0.05 --benchmark_format=json --benchmark_out=ops.json
//   python3 scripts/op_bench_table.py ops.json > docs/op-bench.md
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/script.h>

#include <cstring>
#include <string>
#include <vector>

#include "bench_main.h"
#include "module_compare.h"
#include "fuze/fuze.h"

namespace {

using fuze::ir::DType;

struct Case {
  std::string op;    // the row's name: the ops.def text name (gelu_tanh: gelu with approximate='tanh')
  std::string expr;  // TorchScript expression over x, y (tensors of the row's dtype) and c (bool)
  DType dtype;
  int64_t n;
};

const char* dtype_text(DType t) { return fuze::ir::dtype_name(t); }

at::ScalarType scalar_type(DType t) {
  switch (t) {
    case DType::kBool: return at::kBool;
    case DType::kInt32: return at::kInt;
    case DType::kInt64: return at::kLong;
    case DType::kFloat16: return at::kHalf;
    case DType::kBFloat16: return at::kBFloat16;
    case DType::kFloat32: return at::kFloat;
    case DType::kFloat64: return at::kDouble;
  }
  return at::kFloat;
}

// The dtypes an op's typing rule takes as its tensor operands' dtype.
std::vector<DType> operand_dtypes(const fuze::ir::OpInfo& info) {
  const std::vector<DType> floats = {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16};
  std::vector<DType> all = floats;
  for (DType t : {DType::kInt32, DType::kInt64, DType::kBool}) all.push_back(t);
  if (info.flags & fuze::ir::kIntegral) return {DType::kBool, DType::kInt32, DType::kInt64};
  if (info.flags & fuze::ir::kFloat) {
    if (info.flags & fuze::ir::kIntToFloat) return {floats[0], floats[1], floats[2], floats[3], DType::kInt32, DType::kInt64};
    return floats;
  }
  if (info.flags & fuze::ir::kNoBool) return {floats[0], floats[1], floats[2], floats[3], DType::kInt32, DType::kInt64};
  return all;
}

// Constant arguments the lowering accepts for each overload (patterns C/N).
std::string constant_for(const std::string& op, int index) {
  if (op == "add" || op == "sub") return "1";
  if (op == "pow") return "2.5";
  if (op == "leaky_relu") return "0.01";
  if (op == "elu") return index == 1 ? "1.0" : "1";
  if (op == "softplus") return index == 1 ? "1" : "20";
  if (op == "threshold") return index == 1 ? "0.5" : "0.0";
  return "0.5";
}

// Ops whose TorchScript spelling is not torch.<symbol>(operands...): keyword
// arguments, defaults (define() resolves torch.<aten op>, not torch.nn.functional).
std::string spelled(const std::string& name) {
  if (name == "add" || name == "sub") return "torch." + name + "(x, y, alpha=1)";
  if (name == "leaky_relu") return "torch.leaky_relu(x, 0.01)";
  if (name == "elu") return "torch.elu(x, 1.0)";
  if (name == "softplus") return "torch.softplus(x, 1, 20)";
  if (name == "threshold") return "torch.threshold(x, 0.5, 0.0)";
  if (name == "gelu") return "torch.gelu(x)";
  if (name == "hardswish" || name == "hardsigmoid" || name == "silu" || name == "mish")
    return "torch." + name + "(x)";
  if (name == "logit" || name == "nan_to_num") return "torch." + name + "(x)";
  return "";
}

std::string call_for(const fuze::ir::OpInfo& info, const std::string& name) {
  if (std::string s = spelled(name); !s.empty()) return s;
  std::string args;
  int tensors = 0;
  const std::string pattern = info.pattern;
  for (size_t i = 0; i < pattern.size(); ++i) {
    std::string a;
    switch (pattern[i]) {
      case 'T':  // where's condition is the bool c
        a = name == "where" ? (tensors == 0 ? "c" : "x") : (tensors == 0 ? "x" : "y");
        ++tensors;
        break;
      case 'E': a = "y"; break;
      case 'N': case 'C': a = constant_for(name, static_cast<int>(i)); break;
      case 'S': a = "'none'"; break;
      default: a = "None"; break;  // 'O', 'Z'
    }
    args += (i ? ", " : "") + a;
  }
  const std::string symbol = std::string(info.aten).substr(std::strlen("aten::"));
  return "torch." + symbol + "(" + args + ")";
}

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (int i = 0; i < fuze::ir::num_ops(); ++i) {
    const fuze::ir::OpInfo& info = fuze::ir::op_info(fuze::ir::op_at(i));
    if (info.aten[0] == '\0') continue;  // kernel-IR only (cast, gelu_tanh: below)
    const std::string expr = call_for(info, info.name);
    for (DType t : operand_dtypes(info)) {
      for (int64_t n : {int64_t{4096}, int64_t{1} << 20}) out.push_back({info.name, expr, t, n});
    }
  }
  for (DType t : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
    for (int64_t n : {int64_t{4096}, int64_t{1} << 20}) out.push_back({"gelu_tanh", "torch.gelu(x, approximate='tanh')", t, n});
  }
  return out;
}

at::Tensor make_input(DType t, int64_t n, int seed) {
  at::manual_seed(seed);
  switch (t) {
    case DType::kBool: return torch::rand({n}) < 0.5;
    case DType::kInt32: case DType::kInt64: return torch::randint(1, 100, {n}, at::TensorOptions().dtype(scalar_type(t)));
    case DType::kFloat16: case DType::kBFloat16: case DType::kFloat32: case DType::kFloat64: break;
  }
  return (torch::rand({n}) * 0.8 + 0.1).to(scalar_type(t));  // (0.1, 0.9): inside every op's domain but acosh's
}

bool same(const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  if (!at::isFloatingType(a.scalar_type())) return at::equal(a, b);
  const at::Tensor fa = a.to(at::kDouble), fb = b.to(at::kDouble);
  // ULP-bounded ops may differ by one unit of a 16-bit result (fusion_half_test's
  // bound; bf16 xlogy: eager rounds log(y) to bf16 first), doubled by r * r.
  const double rtol = a.scalar_type() == at::kBFloat16 ? 4.0 / 128 : a.scalar_type() == at::kHalf ? 4.0 / 1024 : 1e-2;
  return at::allclose(fa, fb, rtol, 1e-3, /*equal_nan=*/true);  // a loose check
}

void bench_case(benchmark::State& state, const Case& c) {
  torch::NoGradGuard no_grad;
  at::set_num_threads(1);
  const std::vector<torch::jit::IValue> inputs{make_input(c.dtype, c.n, 1), make_input(c.dtype, c.n, 2),
                                               make_input(DType::kBool, c.n, 3)};
  torch::jit::Module module("OpDtype");
  at::Tensor probe;
  try {
    module.define("def forward(self, x, y, c):\n    r = " + c.expr + "\n    return r\n");
  } catch (const std::exception& e) {
    state.SkipWithError(("TorchScript rejects " + c.expr).c_str());  // a bug of this bench
    return;
  }
  try {
    probe = module.forward(inputs).toTensor();
  } catch (const std::exception& e) {
    state.SkipWithError("eager raises for this dtype");
    return;
  }
  const std::string tail = probe.scalar_type() == at::kBool ? "torch.logical_not(r)" : "r * r";
  module = torch::jit::Module("OpDtype");
  module.define("def forward(self, x, y, c):\n    r = " + c.expr + "\n    return " + tail + "\n");
  fuze::Options opts = fuze::default_options();
  opts.num_threads = 1;
  fuze::set_options(opts);
  fuze::Module fused = fuze::optimize(module);
  for (int i = 0; i < 3; ++i) {
    module.forward(inputs);  // profiling runs + optimization
    fused.forward(inputs);   // profiling + compile
  }
  if (!same(fused.forward(inputs).toTensor(), module.forward(inputs).toTensor())) {
    state.SkipWithError("fuze's result differs from TorchScript's");
    return;
  }
  fuze_bench::compare_modules(state, module, fused, inputs);
}

}  // namespace

void register_benchmarks() {
  static const std::vector<Case> cases = all_cases();
  for (const Case& c : cases) {
    const std::string name = "op/" + c.op + "/" + dtype_text(c.dtype) + "/n:" + std::to_string(c.n);
    benchmark::RegisterBenchmark(name.c_str(), bench_case, c)->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
}
