// `fuze run`: loads a TorchScript model, runs it fused on given or random
// inputs, and compares the outputs with plain TorchScript on the same inputs.
#include <ATen/Parallel.h>
#include <torch/script.h>

#include <cinttypes>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/tensor_file.h"
#include "fuze/fuze.h"

namespace fuze::cli {

void run_help() {
  std::printf(
      "usage: fuze run model.pt (--input SHAPE ... | --inputs in.pt) [options]\n\n"
      "Runs a TorchScript model with fuze and compares it with plain TorchScript.\n\n"
      "  --input SHAPE     one random input of that shape (3x4, 10x3x4, scalar); repeat per input\n"
      "  --seed S          seed of the random inputs (default 0)\n"
      "  --inputs FILE     inputs from a file written by Python's torch.save: a list or\n"
      "                    tuple of tensors (any length), or one tensor\n"
      "  --outputs FILE    writes the flattened outputs as a list readable by torch.load\n"
      "  --backend B       interp, x86 or cuda (default: x86 where available)\n"
      "  --threads N       threads per kernel launch (default: torch's)\n\n"
      "Prints each output's shape and checksum (sum, hash), the max |difference| from\n"
      "TorchScript, the fused graph, and counts of fusion groups, kernel calls and fallbacks.\n");
  std::printf("%s", env_help("run").c_str());
}

namespace {

// Returns "" on success, else the error message.
std::string parse_run_args(int argc, char** argv, CommonArgs* a, std::string* outputs_file) {
  for (int i = 1; i < argc; ++i) {
    std::string err;
    if (parse_common_arg(argc, argv, &i, "run", a, &err)) {
      if (!err.empty()) return err;
      continue;
    }
    const std::string arg = argv[i];
    if (arg == "--outputs") {
      if (i + 1 >= argc) return "--outputs needs a file name";
      *outputs_file = argv[++i];
    } else {
      return unknown_arg(arg, "run");
    }
  }
  if (std::string err = check_common(*a, "run"); !err.empty()) return err;
  return outputs_file->empty() ? "" : check_writable(*outputs_file, "--outputs");
}

struct RunArgs {
  CommonArgs common;
  std::string outputs_file;
};
std::string parse_run(int argc, char** argv, RunArgs* r) {
  return parse_run_args(argc, argv, &r->common, &r->outputs_file);
}

}  // namespace

int run_main(int argc, char** argv) {
  return model_command<RunArgs>(argc, argv, run_help, parse_run, [&](RunArgs& r) {
    const CommonArgs& a = r.common;
    const std::string& outputs_file = r.outputs_file;
    Module fused = load_model(a.model);
    Inputs in = make_inputs(a);
    const std::vector<torch::jit::IValue>& inputs = in.values;
    const std::string& input_text = in.text;
    auto copy_inputs = [&] { return clone_inputs(inputs); };

    reset_stats();
    torch::jit::IValue out = fused.forward(copy_inputs());
    Stats st = stats();
    torch::jit::Module reference = load_plain(a.model);
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
                  c10::toString(t.scalar_type()), sum, cli::hash_tensor(t));
      if (i < refs.size()) worst = std::max(worst, max_diff(t, refs[i]));
    }
    std::printf("max |fuze - torchscript|: %.9g\n", worst);
    std::printf("fused graph:\n%s", fused.graph()->toString(false).c_str());
    for (const auto& u : unfused_nodes(*fused.graph())) {
      std::printf("not fused: %s %s: %s\n", u.kind.c_str(), u.value.c_str(), u.reason.c_str());
    }
    const Coverage cov = fusion_coverage(fused);
    std::printf("coverage: %d of %d elementwise nodes fused (%.0f%%)\n", cov.fused, cov.fused + cov.unfused,
                cov.percent());
    std::printf("fusion groups: %d, kernel calls: %" PRIu64 ", fallbacks: %" PRIu64 ", compiles: %" PRIu64 "\n",
                fused.num_fusion_groups(), st.kernel_calls, st.fallbacks, st.compiles);

    if (!outputs_file.empty()) {
      save_tensor_list(outputs_file, outs);
      std::printf("outputs written to %s\n", outputs_file.c_str());
    }
    return 0;
  });
}

}  // namespace fuze::cli
