// Bad inputs to fuze::Module::forward and fuze::load: where TorchScript
// rejects a call, fuze rejects it with TorchScript's message; special values
// (NaN, inf, denormals), aliased inputs and in-place ops give TorchScript's
// results.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "fault/fault_util.h"

namespace fuze::fault_test {
namespace {

using torch::jit::IValue;

class BadInput : public FaultFixture {};

// fuze's error for `inputs` must contain TorchScript's (its last line: the
// "RuntimeError: ..." after any TorchScript traceback).
void expect_same_error(const std::string& file, const std::vector<IValue>& inputs, const std::string& must_contain) {
  torch::NoGradGuard no_grad;
  torch::jit::Module ref = torch::jit::load(model_path(file));
  fuze::Module m = fuze::load(model_path(file));
  const std::string ts = error_of([&] { ref.forward(clone_all(inputs)); });
  const std::string fz = error_of([&] { m.forward(clone_all(inputs)); });
  ASSERT_FALSE(ts.empty()) << "TorchScript accepted the call";
  ASSERT_FALSE(fz.empty()) << "fuze accepted a call TorchScript rejects: " << ts;
  EXPECT_NE(ts.find(must_contain), std::string::npos) << ts;
  EXPECT_NE(fz.find(last_line(ts)), std::string::npos) << "TorchScript: " << ts << "\nfuze: " << fz;
}

TEST_F(BadInput, WrongNumberOfInputs) {
  expect_same_error("mycell_add_tanh.pt", {torch::rand({3, 4})}, "forward");
  expect_same_error("mycell_add_tanh.pt", {torch::rand({3, 4}), torch::rand({3, 4}), torch::rand({3, 4})}, "forward");
  expect_same_error("rnn_loop.pt", {}, "forward");
}

TEST_F(BadInput, WrongTypeOfInput) {
  expect_same_error("mycell_add_tanh.pt", {torch::rand({3, 4}), IValue(3)}, "Expected a value of type 'Tensor'");
  expect_same_error("mycell_add_tanh.pt", {IValue("text"), torch::rand({3, 4})}, "Expected a value of type 'Tensor'");
}

TEST_F(BadInput, ShapesThatDoNotBroadcast) {
  expect_same_error("mycell_add_tanh.pt", {torch::rand({3, 4}), torch::rand({5, 6})}, "must match the size");
  expect_same_error("lstm_cell_pointwise.pt",
                    {torch::rand({3, 8}), torch::rand({3, 8}), torch::rand({3, 7}), torch::rand({3, 8}),
                     torch::rand({3, 8})},
                    "must match the size");
  expect_same_error("cheap_chain.pt", {torch::rand({4, 16}), torch::rand({4, 15})}, "must match the size");
}

// Dtypes TorchScript takes give TorchScript's values and dtypes; a dtype it
// rejects gives its error.
TEST_F(BadInput, OtherDtypes) {
  torch::NoGradGuard no_grad;
  torch::jit::Module ref = torch::jit::load(model_path("mycell_add_tanh.pt"));
  fuze::Module m = fuze::load(model_path("mycell_add_tanh.pt"));
  const std::vector<std::vector<IValue>> cases = {
      {torch::randint(-5, 5, {3, 4}, torch::kLong), torch::randint(-5, 5, {3, 4}, torch::kLong)},
      {torch::randint(-5, 5, {3, 4}, torch::kInt), torch::rand({3, 4})},
      {torch::rand({3, 4}, torch::kDouble), torch::rand({3, 4})},
      {torch::rand({3, 4}).to(torch::kHalf), torch::rand({3, 4}).to(torch::kHalf)},
      {torch::rand({3, 4}) > 0.5, torch::rand({3, 4})},
      {torch::rand({3, 4}), torch::tensor(2.5)},  // a 0-dim tensor
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string ts_err, fz_err;
    IValue expected, got;
    ts_err = error_of([&] { expected = ref.forward(clone_all(cases[i])); });
    fz_err = error_of([&] { got = m.forward(clone_all(cases[i])); });
    if (!ts_err.empty()) {
      EXPECT_NE(fz_err.find(last_line(ts_err)), std::string::npos) << "case " << i << ": " << fz_err;
    } else {
      ASSERT_TRUE(fz_err.empty()) << "case " << i << ": " << fz_err;
      EXPECT_TRUE(same_outputs(got, expected, 1e-3)) << "case " << i;
    }
  }
  // bool + bool: TorchScript's add on two bool tensors gives bool; tanh on bool fails or not: the same either way.
  const std::vector<IValue> bools = {torch::rand({3, 4}) > 0.5, torch::rand({3, 4}) > 0.5};
  IValue expected, got;
  const std::string ts_err = error_of([&] { expected = ref.forward(clone_all(bools)); });
  const std::string fz_err = error_of([&] { got = m.forward(clone_all(bools)); });
  if (!ts_err.empty()) {
    EXPECT_NE(fz_err.find(last_line(ts_err)), std::string::npos) << fz_err;
  } else {
    EXPECT_TRUE(same_outputs(got, expected));
  }
}

TEST_F(BadInput, MissingAndCorruptFiles) {
  const std::string missing = error_of([] { fuze::load("/nonexistent/dir/model.pt"); });
  EXPECT_NE(missing.find("cannot open"), std::string::npos) << missing;
  // Truncated copies of a seed model: a clear error from fuze::load (never a crash here:
  // plain truncation is the case libtorch's loader handles).
  std::ifstream in(model_path("mycell_add_tanh.pt"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 100u);
  const std::string path = ::testing::TempDir() + "fuze_truncated.pt";
  for (size_t keep : {size_t{0}, size_t{10}, bytes.size() / 2, bytes.size() - 22, bytes.size() - 1}) {
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(keep));
    }
    const std::string err = error_of([&] { fuze::load(path); });
    EXPECT_NE(err.find("not a valid TorchScript file"), std::string::npos) << keep << " bytes: " << err;
  }
  std::remove(path.c_str());
}

// ---- special values ------------------------------------------------------------

at::Tensor special_values(const std::vector<int64_t>& shape, int salt) {
  at::Tensor t = torch::randn(shape) * 3;
  auto flat = t.view({-1});
  const float denorm = std::numeric_limits<float>::denorm_min();
  const std::vector<float> specials = {std::numeric_limits<float>::quiet_NaN(),
                                       std::numeric_limits<float>::infinity(),
                                       -std::numeric_limits<float>::infinity(),
                                       denorm,
                                       -denorm * 1000,
                                       std::numeric_limits<float>::min() / 2,
                                       0.0f,
                                       -0.0f,
                                       std::numeric_limits<float>::max(),
                                       -std::numeric_limits<float>::max(),
                                       88.8f,
                                       -104.0f};
  for (int64_t i = 0; i < flat.numel(); ++i) {
    if ((i + salt) % 2 == 0) flat[i] = specials[static_cast<size_t>((i / 2 + salt) % specials.size())];
  }
  return t;
}

class SpecialValues : public FaultFixture, public ::testing::WithParamInterface<BackendKind> {};

TEST_P(SpecialValues, NanInfDenormalEqualTorchScript) {
  std::unique_ptr<Backend> probe;
  if (!make_backend(GetParam(), &probe).is_ok()) GTEST_SKIP() << "backend not available";
  use_backend(GetParam());
  torch::NoGradGuard no_grad;
  const std::vector<std::pair<std::string, std::vector<std::vector<int64_t>>>> models = {
      {"mycell_add_tanh.pt", {{3, 4}, {3, 4}}},
      {"lstm_cell_pointwise.pt", {{3, 8}, {3, 8}, {3, 8}, {3, 8}, {3, 8}}},
      {"cheap_chain.pt", {{4, 16}, {4, 16}}},
      {"rnn_loop.pt", {{10, 3, 4}}}};
  for (const auto& [file, shapes] : models) {
    torch::jit::Module ref = torch::jit::load(model_path(file));
    fuze::Module m = fuze::load(model_path(file));
    for (int salt = 0; salt < 4; ++salt) {
      std::vector<IValue> in;
      for (size_t i = 0; i < shapes.size(); ++i) in.emplace_back(special_values(shapes[i], salt + static_cast<int>(i)));
      fuze::reset_stats();
      IValue got = m.forward(clone_all(in));
      IValue expected = ref.forward(clone_all(in));
      // The vector math is accurate to a few ulp: a relative tolerance, but
      // NaN/inf positions and signs must match exactly.
      std::vector<at::Tensor> gs, es;
      flatten(got, &gs);
      flatten(expected, &es);
      ASSERT_EQ(gs.size(), es.size());
      for (size_t o = 0; o < gs.size(); ++o) {
        const at::Tensor g = gs[o], e = es[o];
        EXPECT_TRUE(g.isnan().equal(e.isnan())) << file << " salt " << salt << "\n" << g << "\nvs\n" << e;
        EXPECT_TRUE(g.isinf().equal(e.isinf())) << file << " salt " << salt << "\n" << g << "\nvs\n" << e;
        const at::Tensor finite = e.isfinite().logical_and(g.isfinite());
        EXPECT_TRUE(torch::allclose(g.masked_select(finite), e.masked_select(finite), 1e-5, 1e-6))
            << file << " salt " << salt << "\n" << g << "\nvs\n" << e;
        EXPECT_TRUE(g.masked_select(g.isinf()).equal(e.masked_select(e.isinf()))) << file;
      }
      EXPECT_EQ(fuze::stats().fallbacks, 0u) << file;
    }
  }
}

// Denormal inputs and results are kept, not flushed to zero (ATen on the CPU
// does not flush them).
TEST_P(SpecialValues, DenormalsAreNotFlushed) {
  std::unique_ptr<Backend> probe;
  if (!make_backend(GetParam(), &probe).is_ok()) GTEST_SKIP() << "backend not available";
  use_backend(GetParam());
  torch::NoGradGuard no_grad;
  torch::jit::Module ref = torch::jit::load(model_path("mycell_add_tanh.pt"));
  fuze::Module m = fuze::load(model_path("mycell_add_tanh.pt"));
  const float d = std::numeric_limits<float>::denorm_min();
  at::Tensor x = torch::full({64}, d * 7);
  at::Tensor y = torch::full({64}, d * 3);
  IValue got = m.forward({x.clone(), y.clone()});
  IValue expected = ref.forward({x.clone(), y.clone()});
  EXPECT_TRUE(same_outputs(got, expected)) << "denormals: fuze " << got.toTensor()[0].item<float>()
                                           << " TorchScript " << expected.toTensor()[0].item<float>();
}

INSTANTIATE_TEST_SUITE_P(Backends, SpecialValues, ::testing::Values(BackendKind::kInterp, BackendKind::kX86),
                         [](const ::testing::TestParamInfo<BackendKind>& i) {
                           return std::string(backend_name(i.param));
                         });

// ---- aliasing and in-place ops ------------------------------------------------------

// A scripted module from source, twice: one for fuze, one for TorchScript.
torch::jit::Module scripted(const std::string& source) {
  torch::jit::Module m("__torch__.FaultTestModule");
  m.define(source);
  return m;
}

class Aliasing : public FaultFixture {};

TEST_F(Aliasing, SameTensorAsTwoInputs) {
  torch::NoGradGuard no_grad;
  for (const char* file : {"mycell_add_tanh.pt", "cheap_chain.pt"}) {
    torch::jit::Module ref = torch::jit::load(model_path(file));
    fuze::Module m = fuze::load(model_path(file));
    at::Tensor x = torch::randn({4, 16});
    IValue expected = ref.forward({x, x});
    fuze::reset_stats();
    IValue got = m.forward({x, x});
    EXPECT_TRUE(same_outputs(got, expected, 1e-6)) << file;
    EXPECT_GE(fuze::stats().kernel_calls, 1u) << file;
    // A view and its base as two inputs (overlapping memory, different layouts).
    at::Tensor base = torch::randn({4, 16});
    at::Tensor t = base.t().contiguous().t();  // column-major copy: strided
    expected = ref.forward({base, t});
    got = m.forward({base, t});
    EXPECT_TRUE(same_outputs(got, expected, 1e-6)) << file;
  }
}

struct InPlaceCase {
  const char* name;
  const char* source;
  int num_inputs;
};

const InPlaceCase kInPlace[] = {
    {"add_then_tanh", "def forward(self, x, y):\n  x.add_(y)\n  return torch.tanh(x)\n", 2},
    {"output_aliases_input",
     "def forward(self, x, y):\n  z = x.mul_(2.0)\n  w = torch.relu(z + y)\n  return torch.sigmoid(w), z\n", 2},
    {"mutate_fused_result",
     "def forward(self, x, y):\n  a = x + y\n  b = torch.tanh(a)\n  b.mul_(2.0)\n  c = b - a\n  return c.exp(), a, b\n", 2},
    {"mutate_between_chains",
     "def forward(self, x, y):\n  a = torch.sigmoid(x * y)\n  x.sub_(1.0)\n  b = torch.tanh(x + a)\n  return b, x\n", 2},
    {"self_alias", "def forward(self, x):\n  x.add_(x)\n  return torch.tanh(x) * x\n", 1},
    {"view_mutation",
     "def forward(self, x, y):\n  v = x.view([-1])\n  v.add_(1.0)\n  return torch.tanh(x + y), v\n", 2},
    {"in_loop",
     "def forward(self, x, y):\n  for i in range(3):\n    x.add_(y)\n    y = torch.tanh(x * 0.5 + y)\n  return x, y\n", 2},
};

TEST_F(Aliasing, InPlaceOpsEqualTorchScript) {
  for (BackendKind kind : {BackendKind::kInterp, BackendKind::kX86}) {
    std::unique_ptr<Backend> probe;
    if (!make_backend(kind, &probe).is_ok()) continue;
    use_backend(kind);
    torch::NoGradGuard no_grad;
    for (const InPlaceCase& c : kInPlace) {
      torch::jit::Module ref = scripted(c.source);
      fuze::Module m = fuze::optimize(scripted(c.source));
      std::vector<IValue> in;
      for (int i = 0; i < c.num_inputs; ++i) in.emplace_back(torch::randn({3, 4}));
      for (int call = 0; call < 3; ++call) {
        std::vector<IValue> in_ref = clone_all(in), in_fz = clone_all(in);
        IValue expected = ref.forward(in_ref);
        IValue got = m.forward(in_fz);
        EXPECT_TRUE(same_outputs(got, expected, 1e-6)) << c.name << " (" << backend_name(kind) << ")";
        for (int i = 0; i < c.num_inputs; ++i) {  // the mutated inputs too
          EXPECT_TRUE(fuze::testing::same_tensor(in_fz[i].toTensor(), in_ref[i].toTensor(), 1e-6))
              << c.name << " input " << i;
        }
      }
      // Aliased call: the same tensor as both inputs of a two-input case.
      if (c.num_inputs == 2) {
        at::Tensor a = torch::randn({3, 4}), b = a.clone();
        IValue expected = ref.forward({b, b});
        IValue got = m.forward({a, a});
        EXPECT_TRUE(same_outputs(got, expected, 1e-6)) << c.name << " aliased (" << backend_name(kind) << ")";
        EXPECT_TRUE(fuze::testing::same_tensor(a, b, 1e-6)) << c.name << " aliased input";
      }
    }
  }
}

}  // namespace
}  // namespace fuze::fault_test
