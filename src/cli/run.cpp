// `fuze run`: loads a TorchScript model, runs it fused on given or random
// inputs, and compares the outputs with plain TorchScript on the same inputs.
#include <ATen/Parallel.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/script.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "frontend/frontend.h"
#include "fuze/fuze.h"

namespace fuze::cli {

namespace {

struct RunArgs {
  std::string model;
  std::vector<std::vector<int64_t>> shapes;
  std::string inputs_file;
  std::string outputs_file;
  uint64_t seed = 0;
  bool have_backend = false;
  BackendKind backend = BackendKind::kInterp;
  int threads = 0;
};

// "3x4" -> {3, 4}; "scalar" -> {} (a 0-dim tensor).
bool parse_shape(const std::string& text, std::vector<int64_t>* out) {
  out->clear();
  if (text == "scalar") return true;
  if (text.empty()) return false;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, 'x')) {
    if (part.empty() || part.size() > 12 || part.find_first_not_of("0123456789") != std::string::npos) return false;
    out->push_back(std::stoll(part));
  }
  return !text.empty() && text.back() != 'x';
}

bool parse_uint(const std::string& text, uint64_t* out) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  *out = std::stoull(text);
  return true;
}

// Returns "" on success, else the error message.
std::string parse_args(int argc, char** argv, RunArgs* a) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string* out) -> bool {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--input") {
      if (!value(&v)) return "--input needs a shape such as 3x4";
      std::vector<int64_t> shape;
      if (!parse_shape(v, &shape)) return "bad --input shape '" + v + "' (expected e.g. 3x4, 10x3x4 or scalar)";
      a->shapes.push_back(shape);
    } else if (arg == "--inputs") {
      if (!value(&a->inputs_file)) return "--inputs needs a file written by torch.save([...])";
    } else if (arg == "--outputs") {
      if (!value(&a->outputs_file)) return "--outputs needs a file name";
    } else if (arg == "--seed") {
      if (!value(&v) || !parse_uint(v, &a->seed)) return "--seed needs a non-negative integer";
    } else if (arg == "--backend") {
      if (!value(&v) || !parse_backend(v, &a->backend)) return "--backend needs one of interp, x86, cuda";
      a->have_backend = true;
    } else if (arg == "--threads") {
      uint64_t t = 0;
      if (!value(&v) || !parse_uint(v, &t) || t > 1024) return "--threads needs a number (0: torch's default)";
      a->threads = static_cast<int>(t);
    } else if (!arg.empty() && arg[0] == '-') {
      return "unknown option '" + arg + "' (try fuze run --help)";
    } else if (a->model.empty()) {
      a->model = arg;
    } else {
      return "unexpected argument '" + arg + "'";
    }
  }
  if (a->model.empty()) return "no model given (usage: fuze run model.pt --input 3x4 ...)";
  if (!a->shapes.empty() && !a->inputs_file.empty()) return "give either --input shapes or --inputs, not both";
  return "";
}

std::vector<char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  TORCH_CHECK(in.good(), "cannot open '", path, "' (no such file or not readable)");
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<torch::jit::IValue> load_inputs(const std::string& path) {
  std::vector<char> bytes = read_file(path);
  torch::jit::IValue v;
  try {
    v = torch::jit::pickle_load(bytes);
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "'", path, "' is not a file written by torch.save([...])");
  }
  std::vector<torch::jit::IValue> out;
  if (v.isList()) {
    for (const auto& e : v.toListRef()) out.push_back(e);
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) out.push_back(e);
  } else {
    out.push_back(v);
  }
  return out;
}

void flatten(const torch::jit::IValue& v, std::vector<at::Tensor>* out) {
  if (v.isTensor()) {
    out->push_back(v.toTensor());
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) flatten(e, out);
  } else if (v.isList()) {
    for (const auto& e : v.toListRef()) flatten(e, out);
  }
}

std::string shape_text(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

// FNV-1a over the tensor's elements in row-major order.
uint64_t hash_tensor(const at::Tensor& t) {
  at::Tensor c = t.contiguous();
  const auto* p = static_cast<const unsigned char*>(c.data_ptr());
  const size_t n = static_cast<size_t>(c.numel()) * c.element_size();
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

// max |a - b|, counting equal values (also equal infinities, both NaN) as 0.
double max_diff(const at::Tensor& a, const at::Tensor& b) {
  if (a.sizes() != b.sizes()) return std::numeric_limits<double>::infinity();
  if (a.numel() == 0) return 0.0;
  at::Tensor x = a.to(at::kDouble), y = b.to(at::kDouble);
  at::Tensor same = (x == y).logical_or(x.isnan().logical_and(y.isnan()));
  at::Tensor d = (x - y).abs().masked_fill(same, 0.0).nan_to_num(std::numeric_limits<double>::infinity());
  return d.max().item<double>();
}

}  // namespace

void run_help() {
  std::printf(
      "usage: fuze run model.pt (--input SHAPE ... | --inputs in.pt) [options]\n\n"
      "Runs a TorchScript model with fuze and compares it with plain TorchScript.\n\n"
      "  --input SHAPE     one random input of that shape (3x4, 10x3x4, scalar); repeat per input\n"
      "  --seed S          seed of the random inputs (default 0)\n"
      "  --inputs FILE     inputs from a list of tensors written by Python's torch.save([...])\n"
      "  --outputs FILE    writes the flattened outputs as a list readable by torch.load\n"
      "  --backend B       interp, x86 or cuda (default: x86 where available)\n"
      "  --threads N       threads per kernel launch (default: torch's)\n\n"
      "Prints each output's shape and checksum (sum, hash), the max |difference| from\n"
      "TorchScript, the fused graph, and counts of fusion groups, kernel calls and fallbacks.\n");
}

int run_main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      run_help();
      return 0;
    }
  }
  RunArgs a;
  std::string err = parse_args(argc, argv, &a);
  if (!err.empty()) return fail(err);
  try {
    torch::NoGradGuard no_grad;
    Options opt = default_options();
    if (a.have_backend) {
      std::unique_ptr<Backend> probe;
      Status st = make_backend(a.backend, &probe);
      if (!st) return fail(std::string("backend ") + backend_name(a.backend) + " is not available: " + st.message());
      opt.backend = a.backend;
    }
    opt.num_threads = a.threads;
    set_options(opt);

    Module fused = load(a.model);
    std::vector<torch::jit::IValue> inputs;
    std::string input_text;
    if (!a.inputs_file.empty()) {
      inputs = load_inputs(a.inputs_file);
      input_text = a.inputs_file;
    } else {
      torch::manual_seed(a.seed);
      for (const auto& s : a.shapes) {
        inputs.emplace_back(torch::rand(s));
        std::string t;
        for (size_t d = 0; d < s.size(); ++d) t += (d ? "x" : "") + std::to_string(s[d]);
        input_text += (input_text.empty() ? "" : " ") + (s.empty() ? std::string("scalar") : t);
      }
      input_text += " (random, seed " + std::to_string(a.seed) + ")";
    }
    auto copy_inputs = [&] {
      std::vector<torch::jit::IValue> c;
      for (const auto& v : inputs) c.push_back(v.isTensor() ? torch::jit::IValue(v.toTensor().clone()) : v);
      return c;
    };

    reset_stats();
    torch::jit::IValue out = fused.forward(copy_inputs());
    Stats st = stats();
    torch::jit::Module reference = torch::jit::load(a.model);
    torch::jit::IValue ref = reference.forward(copy_inputs());

    std::vector<at::Tensor> outs, refs;
    flatten(out, &outs);
    flatten(ref, &refs);
    std::printf("model: %s\n", a.model.c_str());
    std::printf("backend: %s, threads: %d\n", backend_name(options().backend),
                a.threads > 0 ? a.threads : at::get_num_threads());
    std::printf("inputs: %s\n", input_text.c_str());
    double worst = outs.size() == refs.size() ? 0.0 : std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < outs.size(); ++i) {
      const at::Tensor& t = outs[i];
      double sum = t.numel() ? t.to(at::kDouble).sum().item<double>() : 0.0;
      std::printf("output %zu: shape %s dtype %s sum %.9g hash %016" PRIx64 "\n", i, shape_text(t).c_str(),
                  c10::toString(t.scalar_type()), sum, hash_tensor(t));
      if (i < refs.size()) worst = std::max(worst, max_diff(t, refs[i]));
    }
    std::printf("max |fuze - torchscript|: %.9g\n", worst);
    std::printf("fused graph:\n%s", fused.graph()->toString(false).c_str());
    for (const auto& u : frontend::unfused_nodes(*fused.graph())) {
      std::printf("not fused: %s %s: %s\n", u.kind.c_str(), u.value.c_str(), u.reason.c_str());
    }
    std::printf("fusion groups: %d, kernel calls: %" PRIu64 ", fallbacks: %" PRIu64 ", compiles: %" PRIu64 "\n",
                fused.num_fusion_groups(), st.kernel_calls, st.fallbacks, st.compiles);

    if (!a.outputs_file.empty()) {
      c10::List<at::Tensor> list;
      for (const auto& t : outs) list.push_back(t);
      std::vector<char> bytes = torch::jit::pickle_save(list);
      std::ofstream f(a.outputs_file, std::ios::binary);
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!f.good()) return fail("cannot write '" + a.outputs_file + "'");
      std::printf("outputs written to %s\n", a.outputs_file.c_str());
    }
    return 0;
  } catch (const c10::Error& e) {
    return fail(e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

}  // namespace fuze::cli
