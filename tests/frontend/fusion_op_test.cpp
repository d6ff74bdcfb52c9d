// The fuze::FusionGroup operator on varied inputs: broadcast, transposed,
// expanded, sliced, 0-dim, size-0, number operands, NaN/inf. The fused graph
// must compute what TorchScript computes; guard misses must fall back.
#include <new>
#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <mutex>

#include "frontend/test_util.h"
#include "runtime/runtime.h"

namespace fuze::testing {
namespace {

// Fuses `ir` once; run() compares fused vs original on given inputs.
class Fixture {
 public:
  explicit Fixture(const std::string& ir) : original_(parse(ir)), fused_(original_->copy()) {
    groups_ = fuze::fuse_graph(fused_);
  }
  int groups() const { return groups_; }

  void expect_same(std::vector<torch::jit::IValue> inputs, double atol = 0.0) {
    auto ref = run_graph(original_, inputs);
    auto out = run_graph(fused_, inputs);
    ASSERT_EQ(ref.size(), out.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      EXPECT_TRUE(same_tensor(out[i].toTensor(), ref[i].toTensor(), atol)) << "output " << i;
    }
  }

 private:
  std::shared_ptr<torch::jit::Graph> original_, fused_;
  int groups_ = 0;
};

const char* kExactChain = R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %b : Tensor = aten::mul(%a, %y)
  %c : Tensor = aten::neg(%b)
  %d : Tensor = aten::sub(%c, %x, %one)
  return (%d))IR";

class FusionOp : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(42);
    fuze::reset_stats();
  }
  torch::NoGradGuard no_grad_;
};

TEST_F(FusionOp, SameShapes) {
  Fixture f(kExactChain);
  ASSERT_EQ(f.groups(), 1);
  f.expect_same({torch::randn({3, 4}), torch::randn({3, 4})});
  f.expect_same({torch::randn({1000, 37}), torch::randn({1000, 37})});
  EXPECT_EQ(fuze::stats().kernel_calls, 2u);  // one per fused run
  EXPECT_EQ(fuze::stats().fallbacks, 0u);
}

// CPU kernels run on ATen's intra-op thread pool (frontend/aten_parallel.cpp),
// not on a pool of fuze's own beside it: a call large enough to split across
// two threads there computes what TorchScript computes.
TEST_F(FusionOp, LargeCallsRunOnAtenThreadPool) {
  Fixture f(kExactChain);
  ASSERT_EQ(f.groups(), 1);
#ifdef FUZE_EXPECT_ATEN_POOL
  EXPECT_NE(runtime::parallel_for(), nullptr);
#endif
  const int saved = at::get_num_threads();
  at::set_num_threads(2);
  f.expect_same({torch::randn({1024, 1024}), torch::randn({1024})});
  f.expect_same({torch::randn({1024, 1023}).t(), torch::randn({1023, 1})});
  at::set_num_threads(saved);
  EXPECT_EQ(fuze::stats().kernel_calls, 2u);
}

TEST_F(FusionOp, Broadcasting) {
  Fixture f(kExactChain);
  f.expect_same({torch::randn({3, 1}), torch::randn({1, 4})});
  f.expect_same({torch::randn({4}), torch::randn({2, 3, 4})});
  f.expect_same({torch::randn({2, 1, 4}), torch::randn({3, 1})});
  EXPECT_EQ(fuze::stats().fallbacks, 0u);
}

TEST_F(FusionOp, TransposedExpandedAndSlicedInputs) {
  Fixture f(kExactChain);
  f.expect_same({torch::randn({4, 3}).t(), torch::randn({3, 4})});
  f.expect_same({torch::randn({3, 1}).expand({3, 4}), torch::randn({3, 4})});
  f.expect_same({torch::randn({3, 8}).slice(1, 0, 8, 2), torch::randn({6, 4}).slice(0, 1, 6, 2)});
  f.expect_same({torch::randn({2, 3, 4}).permute({2, 0, 1}), torch::randn({4, 2, 3})});
  EXPECT_EQ(fuze::stats().fallbacks, 0u);
}

TEST_F(FusionOp, ZeroDimAndSizeZero) {
  Fixture f(kExactChain);
  f.expect_same({torch::randn({}), torch::randn({})});
  f.expect_same({torch::randn({}), torch::randn({3, 4})});
  f.expect_same({torch::randn({0, 4}), torch::randn({0, 4})});
  f.expect_same({torch::randn({0, 4}), torch::randn({4})});
  EXPECT_EQ(fuze::stats().fallbacks, 0u);
}

TEST_F(FusionOp, NumberOperandsAndAlpha) {
  Fixture f(R"IR(
graph(%x : Tensor, %s : float, %k : int):
  %two : float = prim::Constant[value=2.]()
  %a : Tensor = aten::mul(%x, %s)
  %b : Tensor = aten::add(%a, %k, %two)
  %c : Tensor = aten::sub(%b, %x, %two)
  %d : Tensor = aten::div(%c, %s)
  return (%d))IR");
  ASSERT_EQ(f.groups(), 1);
  f.expect_same({torch::randn({5, 7}), 0.75, int64_t{3}});
  f.expect_same({torch::randn({5, 7}), -3.0, int64_t{-2}});
  EXPECT_EQ(fuze::stats().fallbacks, 0u);
  EXPECT_GT(fuze::stats().kernel_calls, 0u);
}

TEST_F(FusionOp, SpecialValues) {
  Fixture f(R"IR(
graph(%x : Tensor, %y : Tensor):
  %none : NoneType = prim::Constant()
  %lo : float = prim::Constant[value=-0.5]()
  %hi : float = prim::Constant[value=0.5]()
  %e : float = prim::Constant[value=2.]()
  %a : Tensor = aten::clamp(%x, %lo, %hi)
  %b : Tensor = aten::pow(%y, %e)
  %c : Tensor = aten::maximum(%a, %b)
  %d : Tensor = aten::relu(%c)
  %f : Tensor = aten::clamp(%d, %none, %hi)
  %g : Tensor = aten::div(%f, %x)
  return (%g, %c))IR");
  ASSERT_EQ(f.groups(), 1);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  auto x = torch::tensor({0.f, -0.f, 1.f, -1.f, inf, -inf, nan, 0.25f, 3.f});
  auto y = torch::tensor({nan, 1.f, -inf, 0.f, 2.f, nan, 0.5f, -0.f, -3.f});
  f.expect_same({x, y});
  f.expect_same({y, x});
  EXPECT_EQ(fuze::stats().fallbacks, 0u);
}

TEST_F(FusionOp, Transcendentals) {
  Fixture f(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %b : Tensor = aten::tanh(%a)
  %c : Tensor = aten::sigmoid(%y)
  %d : Tensor = aten::exp(%c)
  %e : Tensor = aten::mul(%b, %d)
  %f : Tensor = aten::abs(%e)
  %g : Tensor = aten::log(%f)
  %h : Tensor = aten::sqrt(%f)
  %i : Tensor = aten::rsqrt(%f)
  %j : Tensor = aten::reciprocal(%i)
  return (%g, %h, %j))IR");
  ASSERT_EQ(f.groups(), 1);
  f.expect_same({torch::randn({64, 33}), torch::randn({64, 33})}, 1e-5);
  EXPECT_EQ(fuze::stats().fallbacks, 0u);
}

TEST_F(FusionOp, SizeChangesDoNotRecompile) {
  Fixture f(kExactChain);
  f.expect_same({torch::randn({3, 4}), torch::randn({3, 4})});
  const auto compiles = fuze::stats().compiles;
  f.expect_same({torch::randn({17, 9}), torch::randn({17, 9})});
  f.expect_same({torch::randn({2, 5}), torch::randn({2, 5})});
  EXPECT_EQ(fuze::stats().compiles, compiles);
}

TEST_F(FusionOp, GuardMissesFallBack) {
  Fixture f(kExactChain);
  // Dtypes without kernels (uint8, complex) run the fallback.
  f.expect_same({torch::randint(0, 5, {3, 4}, torch::kByte), torch::randint(0, 5, {3, 4}, torch::kByte)});
  f.expect_same({torch::randn({3, 4}, torch::kComplexFloat), torch::randn({3, 4}, torch::kComplexFloat)});
  EXPECT_EQ(fuze::stats().fallbacks, 2u);
  EXPECT_EQ(fuze::stats().kernel_calls, 0u);
}

TEST_F(FusionOp, IntegerDoubleAndMixedDtypesRunKernels) {
  Fixture f(kExactChain);
  f.expect_same({torch::randint(-5, 5, {3, 4}), torch::randint(-5, 5, {3, 4})});
  f.expect_same({torch::randint(-5, 5, {3, 4}, torch::kInt), torch::randint(-5, 5, {3, 4})});
  f.expect_same({torch::randn({3, 4}, torch::kDouble), torch::randn({3, 4}, torch::kDouble)});
  f.expect_same({torch::randn({3, 4}), torch::randn({3, 4}, torch::kDouble)});
  f.expect_same({torch::randn({3, 4}), torch::randint(-5, 5, {3, 4}, torch::kInt)});
  f.expect_same({torch::randn({3, 4}), torch::randn({}, torch::kDouble)});  // 0-dim: no promotion
  f.expect_same({torch::randint(-5, 5, {3, 4}, torch::kInt), torch::randn({}, torch::kDouble)});  // across kinds
  EXPECT_EQ(fuze::stats().fallbacks, 0u);
  EXPECT_EQ(fuze::stats().kernel_calls, 7u);
  // float16/bfloat16 run the fallback on CPU (see fusion_group_op.cpp).
  f.expect_same({torch::randn({3, 4}, torch::kBFloat16), torch::randn({3, 4})});
  EXPECT_EQ(fuze::stats().fallbacks, 1u);
}

TEST_F(FusionOp, RequiresGradFallsBackUnderGradMode) {
  Fixture f(kExactChain);
  at::AutoGradMode grad(true);
  auto x = torch::randn({3, 4}).requires_grad_(true);
  f.expect_same({x, torch::randn({3, 4})});
  EXPECT_EQ(fuze::stats().fallbacks, 1u);
}

TEST_F(FusionOp, SmallerIntermediateOutputFallsBack) {
  Fixture f(R"IR(
graph(%x : Tensor, %y : Tensor, %z : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %y, %one)
  %b : Tensor = aten::mul(%a, %z)
  return (%a, %b))IR");
  ASSERT_EQ(f.groups(), 1);
  f.expect_same({torch::randn({4}), torch::randn({4}), torch::randn({3, 4})});
  EXPECT_EQ(fuze::stats().fallbacks, 1u);
  f.expect_same({torch::randn({3, 4}), torch::randn({4}), torch::randn({3, 4})});
  EXPECT_EQ(fuze::stats().kernel_calls, 1u);
}

TEST_F(FusionOp, ShapeErrorsMatchTorchScript) {
  Fixture f(kExactChain);
  std::vector<torch::jit::IValue> in = {torch::randn({3}), torch::randn({4})};
  auto original = parse(kExactChain);
  EXPECT_ANY_THROW(run_graph(original, in));
  auto fused = original->copy();
  fuze::fuse_graph(fused);
  EXPECT_ANY_THROW(run_graph(fused, in));
}

// RecordFunction observers (and so torch.profiler) see each group call under
// its kernel's chain name, or "fuze_fallback" when it falls back.
std::vector<std::string>& recorded_names() {
  static std::vector<std::string> names;
  return names;
}
std::unique_ptr<at::ObserverContext> record_name(const at::RecordFunction& fn) {
  const std::string name = fn.name();
  if (name.rfind("fused_", 0) == 0 || name == "fuze_fallback") recorded_names().push_back(name);
  return nullptr;
}

TEST_F(FusionOp, RecordFunctionNamesKernelAndFallback) {
  Fixture f(kExactChain);
  recorded_names().clear();
  auto handle = at::addThreadLocalCallback(at::RecordFunctionCallback(record_name));
  f.expect_same({torch::randn({3, 4}), torch::randn({3, 4})});
  f.expect_same({torch::randn({3, 4}, torch::kComplexFloat), torch::randn({3, 4}, torch::kComplexFloat)});
  at::removeCallback(handle);
  ASSERT_EQ(recorded_names().size(), 2u) << ::testing::PrintToString(recorded_names());
  EXPECT_EQ(recorded_names()[0], "fused_add_mul_neg_sub");
  EXPECT_EQ(recorded_names()[1], "fuze_fallback");
}

// Compile counters: sizes never recompile; dtype, rank, layout changes compile
// a new kernel and never reuse a wrong one; past the per-group limit: fallback.
TEST_F(FusionOp, FiftyShapesOfOneSignatureCompileOnce) {
  Fixture f(kExactChain);
  runtime::KernelCache::global().clear();
  fuze::reset_stats();
  for (int i = 1; i <= 50; ++i) f.expect_same({torch::randn({i, 7 + i % 5}), torch::randn({i, 7 + i % 5})});
  EXPECT_EQ(fuze::stats().compiles, 1u);
  EXPECT_EQ(fuze::stats().kernel_calls, 50u);
}

TEST_F(FusionOp, SignatureChangesAfterWarmUpNeverReuseAWrongKernel) {
  Fixture f(kExactChain);
  runtime::KernelCache::global().clear();
  fuze::reset_stats();
  f.expect_same({torch::randn({4, 6}), torch::randn({4, 6})});                           // f32 contiguous
  f.expect_same({torch::randn({6, 4}).t(), torch::randn({4, 6})});                       // strided
  f.expect_same({torch::randn({4, 1}).expand({4, 6}), torch::randn({4, 6})});            // broadcast dim
  f.expect_same({torch::randn({4, 6}, torch::kDouble), torch::randn({4, 6}, torch::kDouble)});  // dtype
  f.expect_same({torch::randint(-3, 3, {4, 6}), torch::randn({4, 6})});                 // mixed dtypes
  f.expect_same({torch::randn({2, 4, 6}), torch::randn({4, 6})});                        // rank
  f.expect_same({torch::randn({}), torch::randn({4, 6})});                               // 0-dim
  EXPECT_EQ(fuze::stats().compiles, 7u);
  // Back to the first signature: no compile.
  f.expect_same({torch::randn({9, 3}), torch::randn({9, 3})});
  EXPECT_EQ(fuze::stats().compiles, 7u);
  EXPECT_EQ(fuze::stats().fallbacks, 0u);
}

TEST_F(FusionOp, SignatureLimitPerGroupFallsBack) {
  auto fused = parse(kExactChain);
  fuze::fuse_graph(fused);
  torch::jit::Code code(fused, "limit");  // one Code: one FusionGroup operation and its signature table
  auto run = [&](at::Tensor x, at::Tensor y) {
    torch::jit::Stack stack{x, y};
    torch::jit::InterpreterState(code).run(stack);
    auto ref = run_graph(parse(kExactChain), {x, y});
    EXPECT_TRUE(same_tensor(stack[0].toTensor(), ref[0].toTensor()));
  };
  runtime::Options saved = runtime::options();
  runtime::Options o = saved;
  o.max_signatures_per_group = 2;
  runtime::set_options(o);
  fuze::reset_stats();
  run(torch::randn({4, 6}), torch::randn({4, 6}));
  run(torch::randn({4, 6}, torch::kDouble), torch::randn({4, 6}, torch::kDouble));
  run(torch::randint(-3, 3, {4, 6}), torch::randint(-3, 3, {4, 6}));  // a third signature: fallback
  run(torch::randn({5, 2}), torch::randn({5, 2}));                    // the first one still runs its kernel
  runtime::set_options(saved);
  EXPECT_EQ(fuze::stats().kernel_calls, 3u);
  EXPECT_EQ(fuze::stats().fallbacks, 1u);
}

TEST_F(FusionOp, OutputsFollowEagerMemoryFormatAndDtype) {
  Fixture f(kExactChain);
  auto x = torch::randn({2, 3, 4, 5}).contiguous(at::MemoryFormat::ChannelsLast);
  auto y = torch::randn({2, 3, 4, 5}).contiguous(at::MemoryFormat::ChannelsLast);
  auto fused = parse(kExactChain);
  fuze::fuse_graph(fused);
  auto out = run_graph(fused, {x, y})[0].toTensor();
  auto ref = run_graph(parse(kExactChain), {x, y})[0].toTensor();
  EXPECT_TRUE(out.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_EQ(out.strides(), ref.strides());
  EXPECT_TRUE(same_tensor(out, ref));
  auto t = torch::randn({5, 4}).t();
  auto out_t = run_graph(fused, {t, t})[0].toTensor();
  auto ref_t = run_graph(parse(kExactChain), {t, t})[0].toTensor();
  EXPECT_EQ(out_t.strides(), ref_t.strides());
  auto i = torch::randint(-3, 3, {3, 4}, torch::kInt);
  auto out_i = run_graph(fused, {i, torch::randn({3, 4}, torch::kDouble)})[0].toTensor();
  EXPECT_EQ(out_i.scalar_type(), at::kDouble);
  EXPECT_EQ(fuze::stats().fallbacks, 0u);
}

TEST_F(FusionOp, IntegerDivisionByZeroRaisesLikeEager) {
  Fixture f(R"IR(
graph(%x : Tensor, %y : Tensor):
  %a : Tensor = aten::remainder(%x, %y)
  %b : Tensor = aten::mul(%a, %y)
  return (%b))IR");
  ASSERT_EQ(f.groups(), 1);
  auto fused = parse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %a : Tensor = aten::remainder(%x, %y)
  %b : Tensor = aten::mul(%a, %y)
  return (%b))IR");
  fuze::fuse_graph(fused);
  EXPECT_ANY_THROW(run_graph(fused, {torch::randint(1, 5, {3}), torch::zeros({3}, torch::kLong)}));
  f.expect_same({torch::randn({3}), torch::zeros({3})});  // float: NaN, no error
}

// The public API's value types: fuze::Options{} has default_options()'s
// values (the best backend here, not the interpreter); fuze::Stats{} is zero.
TEST(PublicApi, DefaultConstructedOptionsAndStats) {
  const char* env = std::getenv("FUZE_BACKEND");
  const std::string saved = env != nullptr ? env : "";
  unsetenv("FUZE_BACKEND");
  const fuze::Options o{};
  if (env != nullptr) setenv("FUZE_BACKEND", saved.c_str(), 1);
  EXPECT_EQ(o.backend, fuze::default_options().backend);
  EXPECT_EQ(o.backend, fuze::default_backend());
  // Without FUZE_BACKEND: x86 exactly where it is built and usable.
  std::unique_ptr<fuze::Backend> x86;
  EXPECT_EQ(o.backend, fuze::make_backend(fuze::BackendKind::kX86, &x86).is_ok() ? fuze::BackendKind::kX86
                                                                                : fuze::BackendKind::kInterp);
  EXPECT_EQ(o.num_threads, 0);
  // Default-initialized over memory full of ones (`Stats{}` would zero any struct).
  alignas(fuze::Stats) unsigned char raw[sizeof(fuze::Stats)];
  std::fill(raw, raw + sizeof(raw), 0xFF);
  const fuze::Stats* s = new (raw) fuze::Stats;
  EXPECT_EQ(s->hits + s->misses + s->compiles + s->compile_failures + s->fallbacks + s->evictions + s->kernel_calls, 0u);
  EXPECT_EQ(s->compile_us, 0.0);
}

}  // namespace
}  // namespace fuze::testing
