// A libtorch host that knows nothing of fuze: it links libtorch only, includes
// no fuze header, and loads libfuze_torchscript.so the way a serving engine
// loads a custom-op library (dlopen).
//
//   fuze_torchscript_host <libfuze_torchscript.so> <models dir> [--expect-off | --preloaded]
//
// --preloaded: the library came with LD_PRELOAD (Triton's way for custom-op
// libraries), so fuze is on from the start; the reference runs switch it off
// through its fuze::set_enabled operator first.
// The models dir holds models.txt (the seed models: tests/model_list.h). For each model,
// first without the library: plain TorchScript's outputs on seeded random
// inputs. Then the library is loaded and each model is loaded afresh and run
// three times (the profiling executor optimizes after its profiling runs):
// outputs must equal TorchScript's (a few float32 ULPs where a transcendental
// is computed), and the counters the library exports, read through its C
// functions and through its fuze::stats operator (they must agree), must show
// fused kernel calls and no fallback; with --expect-off (FUZE_TORCHSCRIPT=0),
// none at all. Exit 0 and one summary line on success; 1 with the reason.
#include <ATen/core/dispatch/Dispatcher.h>
#include <dlfcn.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "model_list.h"

namespace {

using Model = fuze::testing::ModelEntry;  // tests/model_list.h: standard C++ only

std::vector<torch::jit::IValue> inputs_of(const Model& m) {
  torch::manual_seed(7);
  std::vector<torch::jit::IValue> in;
  for (const auto& s : m.shapes) in.emplace_back(torch::randn(s));
  return in;
}

std::vector<at::Tensor> tensors_of(const torch::jit::IValue& v) {
  if (v.isTensor()) return {v.toTensor()};
  std::vector<at::Tensor> out;
  if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) {
      for (auto& t : tensors_of(e)) out.push_back(t);
    }
  }
  return out;
}

struct Run {
  std::vector<at::Tensor> outputs;
  bool fused = false;  // the optimized graph has a fuze::FusionGroup node
};

Run run(const Model& m, int times) {
  torch::NoGradGuard no_grad;
  torch::jit::Module module = torch::jit::load(m.file);  // afresh: no plan cached yet
  torch::jit::IValue out;
  for (int i = 0; i < times; ++i) out = module.forward(inputs_of(m));
  // The graph belongs to the module's executor: look while the module lives.
  std::ostringstream graph;
  if (auto g = torch::jit::lastExecutedOptimizedGraph()) graph << *g;
  return {tensors_of(out), graph.str().find("fuze::FusionGroup") != std::string::npos};
}

// fuze::set_enabled through torch's dispatcher (the operator the library
// registers); returns the previous state.
bool set_enabled(bool on) {
  auto op = c10::Dispatcher::singleton().findSchemaOrThrow("fuze::set_enabled", "");
  std::vector<c10::IValue> stack{c10::IValue(on)};
  op.callBoxed(&stack);
  return stack.at(0).toBool();
}

int fail(const std::string& why) {
  std::fprintf(stderr, "host: FAILED: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return fail("usage: fuze_torchscript_host <libfuze_torchscript.so> <models dir> [--expect-off | --preloaded]");
  const std::string mode = argc > 3 ? argv[3] : "";
  const bool expect_off = mode == "--expect-off", preloaded = mode == "--preloaded";
  const std::vector<Model> models = fuze::testing::read_models(argv[2]);
  if (models.empty()) return fail(std::string("no models.txt entries in ") + argv[2]);

  try {
    if (preloaded && !set_enabled(false)) return fail("LD_PRELOAD: the library did not enable fuze when loaded");
    std::vector<std::vector<at::Tensor>> reference;
    for (const Model& m : models) reference.push_back(run(m, 3).outputs);

    void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL | (preloaded ? RTLD_NOLOAD : 0));
    if (lib == nullptr) {
      return fail(preloaded ? "LD_PRELOAD did not load the library" : std::string("dlopen: ") + dlerror());
    }
    if (preloaded) set_enabled(true);
    using Counter = int64_t (*)(const char*);
    auto counter = reinterpret_cast<Counter>(dlsym(lib, "fuze_torchscript_counter"));
    auto version = reinterpret_cast<const char* (*)()>(dlsym(lib, "fuze_torchscript_version"));
    if (counter == nullptr || version == nullptr) return fail("the library exports no fuze_torchscript_counter/version");
    if (counter("no such counter") != -1) return fail("an unknown counter name is not -1");

    int groups = 0;
    for (size_t i = 0; i < models.size(); ++i) {
      const Run fused = run(models[i], 3);
      const std::vector<at::Tensor>& got = fused.outputs;
      if (got.size() != reference[i].size()) return fail(models[i].name + ": number of outputs differs");
      for (size_t k = 0; k < got.size(); ++k) {
        if (!at::allclose(got[k], reference[i][k], 1e-5, 1e-6, /*equal_nan=*/true)) {
          return fail(models[i].name + ": output " + std::to_string(k) + " differs from TorchScript's");
        }
      }
      if (fused.fused) ++groups;
    }

    // The same counters through the operator the library registers.
    auto op = c10::Dispatcher::singleton().findSchemaOrThrow("fuze::stats", "");
    std::vector<c10::IValue> stack;
    op.callBoxed(&stack);
    const auto stats = c10::impl::toTypedDict<std::string, int64_t>(stack.at(0).toGenericDict());
    const int64_t calls = counter("kernel_calls"), fallbacks = counter("fallbacks");
    if (stats.at("kernel_calls") != calls || stats.at("fallbacks") != fallbacks) {
      return fail("fuze::stats() and fuze_torchscript_counter() disagree");
    }
    if (expect_off) {
      if (calls != 0 || groups != 0 || counter("enabled") != 0) return fail("FUZE_TORCHSCRIPT=0 but fuze ran");
    } else if (calls <= 0 || groups == 0 || counter("enabled") != 1) {
      return fail("the library is loaded but no model ran a fused kernel");
    }
    std::printf("host: fuze %s; last optimized graph of %d of %zu models has fusion groups\n", version(), groups,
                models.size());
    std::printf("host: %zu models equal to TorchScript, %lld fused kernel calls, %lld fallbacks%s\n", models.size(),
                static_cast<long long>(calls), static_cast<long long>(fallbacks), expect_off ? " (fuze off)" : "");
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
