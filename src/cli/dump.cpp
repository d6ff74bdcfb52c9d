// `fuze dump`: what fuze made of a model. The TorchScript graph before fusion
// (inlined and cleaned up as fuze::load does) and after, the kernel IR of every
// kernel the run compiled, the generated assembly (x86), and for every
// elementwise node left unfused the reason. Kernels are compiled for the
// signature of the given inputs, so dump runs the model once.
#include <fcntl.h>
#include <torch/csrc/jit/passes/constant_pooling.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/lower_tuples.h>
#include <torch/script.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/timing.h"
#include "fuze/fuze.h"

namespace fuze::cli {

namespace {

const char* const kSections[] = {"graph", "ir", "asm", "unfused"};

struct DumpArgs {
  CommonArgs common;
  std::set<std::string> what = {"graph", "ir", "asm", "unfused"};
};

std::string parse_dump_args(int argc, char** argv, DumpArgs* d) {
  for (int i = 1; i < argc; ++i) {
    std::string err;
    if (parse_common_arg(argc, argv, &i, "dump", &d->common, &err)) {
      if (!err.empty()) return err;
      continue;
    }
    const std::string arg = argv[i];
    if (arg == "--what") {
      if (i + 1 >= argc) return "--what needs a list such as graph,ir,asm,unfused";
      d->what.clear();
      std::stringstream ss(argv[++i]);
      std::string part;
      while (std::getline(ss, part, ',')) {
        if (std::find(std::begin(kSections), std::end(kSections), part) == std::end(kSections)) {
          return "bad --what entry '" + part + "' (expected graph, ir, asm or unfused)";
        }
        d->what.insert(part);
      }
      if (d->what.empty()) return "--what needs a list such as graph,ir,asm,unfused";
    } else {
      return unknown_arg(arg, "dump");
    }
  }
  return check_common(d->common, "dump");
}

// The forward graph as fuze::load prepares it, before the fusion pass.
std::shared_ptr<torch::jit::Graph> graph_before_fusion(const torch::jit::Module& m) {
  auto g = m.get_method("forward").graph()->copy();
  torch::jit::Inline(*g);
  torch::jit::LowerSimpleTuples(g);
  torch::jit::ConstantPropagation(g);
  torch::jit::ConstantPooling(g);
  torch::jit::EliminateDeadCode(g);
  return g;
}

// Runs fn with stderr sent to /dev/null (the x86 backend copies its listing
// there when FUZE_DUMP=asm; dump prints it in order on stdout instead).
template <class Fn>
void with_stderr_silenced(bool silence, Fn fn) {
  int saved = -1;
  if (silence) {
    std::fflush(stderr);
    saved = dup(2);
    const int null = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null >= 0) dup2(null, 2);
    if (null >= 0) close(null);
  }
  auto restore = [&] {
    if (saved >= 0) {
      std::fflush(stderr);
      dup2(saved, 2);
      close(saved);
      saved = -1;
    }
  };
  try {
    fn();
  } catch (...) {
    restore();
    throw;
  }
  restore();
}

void section(const std::string& title) { std::printf("\n==== %s ====\n", title.c_str()); }

}  // namespace

void dump_help() {
  std::printf(
      "usage: fuze dump model.pt (--input SHAPE ... | --inputs in.pt) [options]\n\n"
      "Shows what fuze made of a model: runs it once on the inputs (kernels compile for\n"
      "their signature) and prints the selected sections.\n\n"
      "%s"
      "  --what LIST       sections, comma-separated (default all):\n"
      "                      graph    TorchScript graph before fusion (inlined) and after\n"
      "                      ir       kernel IR of each compiled kernel, with its cache key\n"
      "                      asm      generated assembly (x86 backend)\n"
      "                      unfused  every elementwise node left unfused, and why\n",
      common_help());
  std::printf("%s", env_help("dump").c_str());
}

int dump_main(int argc, char** argv) {
  bool want_asm = false, user_dump = false, user_log = false;
  // The x86 backend keeps listings only when FUZE_DUMP asks for asm, read when
  // a backend is made: set it before anything compiles, and silence the copy it
  // prints on stderr unless the user asked for it (or for logs) themselves.
  auto prepare = [&](const DumpArgs& d) {
    want_asm = d.what.count("asm") > 0;
    user_dump = std::getenv("FUZE_DUMP") != nullptr;
    user_log = std::getenv("FUZE_LOG") != nullptr;
    if (want_asm && !user_dump) setenv("FUZE_DUMP", "asm", 1);
  };
  return model_command<DumpArgs>(argc, argv, dump_help, parse_dump_args, [&](DumpArgs& d) {
    Module fused = load_model(d.common.model);
    Inputs in = make_inputs(d.common);
    reset_stats();
    with_stderr_silenced(want_asm && !user_dump && !user_log,
                         [&] { torch::jit::IValue out = fused.forward(clone_inputs(in.values)); });
    const Stats st = stats();
    const char* backend = backend_name(options().backend);

    std::printf("model: %s\n", d.common.model.c_str());
    std::printf("inputs: %s\n", in.text.c_str());
    std::printf("backend: %s; fusion groups: %d, kernels compiled: %llu, kernel calls: %llu, fallbacks: %llu\n",
                backend, fused.num_fusion_groups(), static_cast<unsigned long long>(st.compiles),
                static_cast<unsigned long long>(st.kernel_calls), static_cast<unsigned long long>(st.fallbacks));
    print_fallback_reasons("  ");

    if (d.what.count("graph")) {
      section("graph before fusion (inlined)");
      std::printf("%s", graph_before_fusion(fused.original())->toString(false).c_str());
      section("graph after fusion");
      std::printf("%s", fused.graph()->toString(false).c_str());
    }
    const std::vector<KernelInfo> kernels = cached_kernels();
    if (d.what.count("ir")) {
      section("kernel IR (" + std::to_string(kernels.size()) + " kernel" + (kernels.size() == 1 ? "" : "s") + ")");
      if (kernels.empty()) std::printf("(no kernel was compiled)\n");
      for (const auto& k : kernels) {
        std::printf("-- %s, %s, compiled in %s\n   key: %s\n", k.name.empty() ? "(no IR)" : k.name.c_str(),
                    backend_name(k.backend), format_ns(k.compile_us * 1e3).c_str(), k.key.c_str());
        if (k.failed) std::printf("   failed: %s\n", k.failure.c_str());
        std::printf("%s%s", k.ir.c_str(), !k.ir.empty() && k.ir.back() != '\n' ? "\n" : "");
      }
    }
    if (want_asm) {
      section("assembly");
      size_t shown = 0;
      for (const auto& k : kernels) {
        if (k.backend != BackendKind::kX86 || k.listing.empty()) continue;
        std::printf("%s%s", k.listing.c_str(), k.listing.back() != '\n' ? "\n" : "");
        ++shown;
      }
      if (shown == 0) {
        std::printf("(no assembly: %s)\n", options().backend == BackendKind::kX86
                                                ? "no x86 kernel was compiled"
                                                : "the backend is not x86; try --backend x86");
      }
    }
    if (d.what.count("unfused")) {
      const auto unfused = unfused_nodes(*fused.graph());
      const Coverage cov = fusion_coverage(fused);
      section("elementwise nodes left unfused (" + std::to_string(unfused.size()) + "; " +
              std::to_string(cov.fused) + " of " + std::to_string(cov.fused + cov.unfused) + " fused)");
      if (unfused.empty()) std::printf("(none)\n");
      for (const auto& u : unfused) {
        std::printf("%s %s: %s\n", u.kind.c_str(), u.value.empty() ? "(no output)" : u.value.c_str(),
                    u.reason.c_str());
      }
    }
    return 0;
  }, prepare);
}

}  // namespace fuze::cli
