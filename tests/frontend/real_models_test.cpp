// The real-model set (scripts/make_real_models.py, generated into
// <build>/real_models): ResNet-18 and MobileNetV3-Small traced and frozen,
// GPT-2's MLP and LLaMA's SwiGLU traced, an RMSNorm with residual, a
// transformer encoder block (scripted and traced), and
// fastrnns-style LSTM, GRU and MI-LSTM layers scripted. Each: equal to
// TorchScript, kernels run without fallbacks, every elementwise node with an
// elementwise neighbour (directly or through a chunk) inside a group, and its
// fused graph's shape checked.
#include <map>

#include "frontend/test_util.h"
#include "runtime/runtime.h"

#ifndef FUZE_REAL_MODELS_DIR
#error "FUZE_REAL_MODELS_DIR must point at the generated real models"
#endif

namespace fuze::testing {
namespace {

using torch::jit::testing::FileCheck;

using RealModel = ModelEntry;

std::vector<RealModel> real_models() { return read_models(FUZE_REAL_MODELS_DIR); }

void flatten(const torch::jit::IValue& v, std::vector<at::Tensor>* out) {
  if (v.isTensor()) out->push_back(v.toTensor());
  if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) flatten(e, out);
  }
}

// Fusion groups of the fused graph (each appears once as "= fuze::FusionGroup_k(").
int groups_in(const torch::jit::Graph& g) { return count_groups(g.block()); }

// The fused graph of each model: how many groups it must have (one per RNN
// step, the loop body being one block), and what must not be left outside.
struct Expect {
  int groups;
  std::vector<std::string> not_outside;
};
const std::map<std::string, Expect>& expectations() {
  static const std::map<std::string, Expect> m = {
      {"resnet18_traced_frozen", {8, {"aten::relu_", "aten::add_"}}},
      {"mobilenet_v3_small_traced_frozen", {9, {"aten::hardswish_", "aten::relu_"}}},
      {"gpt2_mlp_traced", {1, {"aten::tanh", "aten::pow"}}},
      {"gelu_tanh_traced", {1, {"aten::tanh", "aten::pow", "aten::mul"}}},
      {"llama_swiglu_traced", {1, {"aten::silu"}}},
      {"rmsnorm_residual_scripted", {1, {"aten::rsqrt", "aten::pow", "aten::mean"}}},
      // softmax(scores * scale + mask), layer_norm(x + attention), layer_norm(x + MLP).
      {"encoder_block_scripted", {3, {"aten::softmax", "aten::layer_norm"}}},
      {"encoder_block_traced", {3, {"aten::softmax", "aten::layer_norm"}}},
      {"lstm_layer_scripted", {1, {"aten::chunk", "aten::sigmoid", "aten::tanh"}}},
      {"gru_layer_scripted", {1, {"aten::chunk", "aten::sigmoid", "aten::tanh"}}},
      {"milstm_layer_scripted", {1, {"aten::chunk", "aten::sigmoid", "aten::tanh"}}},
  };
  return m;
}

const Expect* expectation(const std::string& name) {
  for (const auto& [prefix, e] : expectations()) {
    if (name.rfind(prefix, 0) == 0) return &e;
  }
  return nullptr;
}

TEST(RealModels, AllPresent) {
  const auto models = real_models();
  EXPECT_EQ(models.size(), 17u);
  for (const auto& m : models) EXPECT_NE(expectation(m.name), nullptr) << m.name;
}

// Reductions fuse (runtime::Options::fuse_reductions: on unless FUZE_REDUCTIONS=0) for the
// transformer block and RMSNorm; restored after each test.
class ReductionsOn {
 public:
  ReductionsOn() : saved_(runtime::options()) {
    runtime::Options o = saved_;
    o.fuse_reductions = true;
    runtime::set_options(o);
  }
  ~ReductionsOn() { runtime::set_options(saved_); }

 private:
  runtime::Options saved_;
};

TEST(RealModels, FusedLikeTorchScriptWithFullCoverage) {
  torch::NoGradGuard no_grad;
  ReductionsOn reductions;
  for (const RealModel& m : real_models()) {
    SCOPED_TRACE(m.name);
    torch::manual_seed(3);
    std::vector<torch::jit::IValue> in;
    for (const auto& s : m.shapes) in.emplace_back(torch::randn(s));
    torch::jit::Module ts = torch::jit::load(m.file);
    fuze::Module fz = fuze::load(m.file);
    const auto ref = ts.forward(in);
    fuze::reset_stats();
    const auto out = fz.forward(in);
    const fuze::Stats st = fuze::stats();
    std::vector<at::Tensor> a, b;
    flatten(out, &a);
    flatten(ref, &b);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      const double scale = std::max(1.0, b[i].abs().max().item<double>());
      EXPECT_TRUE(same_tensor(a[i], b[i], 4e-6 * scale)) << "output " << i;
    }
    EXPECT_GT(st.kernel_calls, 0u);
    EXPECT_EQ(st.fallbacks, 0u);

    const Expect* e = expectation(m.name);
    ASSERT_NE(e, nullptr);
    const torch::jit::Graph& g = *fz.graph();
    EXPECT_EQ(groups_in(g), e->groups) << g;
    // Every elementwise node left out has no elementwise neighbour, or one it
    // cannot join: another user (MobileNet's squeeze-excite pooling) must run
    // between them; or it computes on Python numbers (the attention scale).
    for (const auto& u : frontend::unfused_nodes(g)) {
      const bool alone = u.reason == "group of one node";
      const bool topology = u.reason.find("runs between") != std::string::npos;
      const bool numbers = u.reason.rfind("not the tensor overload", 0) == 0;
      EXPECT_TRUE(alone || topology || numbers) << u.kind << " " << u.value << ": " << u.reason;
    }
    // The ops that must be fused are absent from the graph outside the groups.
    std::ostringstream outer;
    outer << g;
    const std::string text = outer.str().substr(0, outer.str().find("with fuze::FusionGroup_"));
    for (const std::string& kind : e->not_outside) {
      EXPECT_EQ(text.find(kind + "("), std::string::npos) << kind << " outside the groups:\n" << text;
    }
  }
}

TEST(RealModels, AnRnnStepIsOneKernelWithItsChunk) {
  torch::NoGradGuard no_grad;
  for (const char* name : {"lstm_layer_scripted", "gru_layer_scripted", "milstm_layer_scripted"}) {
    SCOPED_TRACE(name);
    fuze::Module fz = fuze::load(std::string(FUZE_REAL_MODELS_DIR) + "/" + name + ".pt");
    FileCheck()
        .check("prim::Loop")
        ->check("aten::mm")
        ->check("fuze::FusionGroup_0(")
        ->check_not("aten::chunk")
        ->check("with fuze::FusionGroup_0")
        ->check("prim::ConstantChunk")
        ->check("aten::sigmoid")
        ->check("aten::tanh")
        ->run(*fz.graph());
    const auto models = real_models();
    for (const auto& m : models) {
      if (m.name != name) continue;
      std::vector<torch::jit::IValue> in;
      for (const auto& s : m.shapes) in.emplace_back(torch::randn(s));
      fuze::reset_stats();
      fz.forward(in);
      EXPECT_EQ(fuze::stats().kernel_calls, static_cast<uint64_t>(m.shapes[0][0]));  // one per step
    }
  }
}

}  // namespace
}  // namespace fuze::testing
