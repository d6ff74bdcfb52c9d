// Chunks inside fusion groups: x.chunk(n, dim) or x.split(s, dim) unpacked into n values joins
// the group of its producers and consumers (an LSTM step's bias adds and cell
// in one kernel); the guard makes the pieces of the group's inputs as views.
// Uneven sizes and the other cases the kernel cannot take run the fallback,
// which gives TorchScript's results and errors.
#include "frontend/test_util.h"

namespace fuze::testing {
namespace {

using torch::jit::testing::FileCheck;

// fastrnns' LSTM cell after the two matmuls: %a, %b [B, 4H], biases [4H].
const char* kLstmCell = R"IR(
graph(%a : Tensor, %b : Tensor, %b_ih : Tensor, %b_hh : Tensor, %cx : Tensor):
  %one : int = prim::Constant[value=1]()
  %four : int = prim::Constant[value=4]()
  %g0 : Tensor = aten::add(%a, %b, %one)
  %g1 : Tensor = aten::add(%g0, %b_ih, %one)
  %gates : Tensor = aten::add(%g1, %b_hh, %one)
  %chunks : Tensor[] = aten::chunk(%gates, %four, %one)
  %i0 : Tensor, %f0 : Tensor, %c0 : Tensor, %o0 : Tensor = prim::ListUnpack(%chunks)
  %i : Tensor = aten::sigmoid(%i0)
  %f : Tensor = aten::sigmoid(%f0)
  %c : Tensor = aten::tanh(%c0)
  %o : Tensor = aten::sigmoid(%o0)
  %fc : Tensor = aten::mul(%f, %cx)
  %ic : Tensor = aten::mul(%i, %c)
  %cy : Tensor = aten::add(%fc, %ic, %one)
  %t : Tensor = aten::tanh(%cy)
  %hy : Tensor = aten::mul(%o, %t)
  return (%hy, %cy))IR";

std::vector<torch::jit::IValue> lstm_inputs(int64_t batch, int64_t hidden) {
  return {torch::randn({batch, 4 * hidden}), torch::randn({batch, 4 * hidden}), torch::randn({4 * hidden}),
          torch::randn({4 * hidden}), torch::randn({batch, hidden})};
}

TEST(FusionChunk, AnLstmStepIsOneKernel) {
  Fused f = fuse(kLstmCell);
  EXPECT_EQ(f.groups, 1);
  EXPECT_TRUE(f.unfused.empty());
  FileCheck()
      .check_not("aten::chunk")
      ->check("fuze::FusionGroup_0(")
      ->check("with fuze::FusionGroup_0")
      ->check("aten::add")
      ->check("prim::ConstantChunk[chunks=4, dim=1")
      ->check("aten::sigmoid")
      ->run(*f.graph);
  for (auto [batch, hidden] : {std::pair<int64_t, int64_t>{1, 64}, {3, 5}, {64, 256}}) {
    SCOPED_TRACE("batch " + std::to_string(batch) + " hidden " + std::to_string(hidden));
    fuze::reset_stats();
    expect_same_results(f, lstm_inputs(batch, hidden), 1e-6);
    EXPECT_EQ(fuze::stats().kernel_calls, 1u);
    EXPECT_EQ(fuze::stats().fallbacks, 0u);
  }
}

TEST(FusionChunk, PiecesOfStridedAndBroadcastInputs) {
  Fused f = fuse(kLstmCell);
  ASSERT_EQ(f.groups, 1);
  // %a transposed, %b a column broadcast along the chunked dim, biases [1, 4H].
  const at::Tensor a = torch::randn({40, 3}).t();
  fuze::reset_stats();
  expect_same_results(f, {a, torch::randn({3, 1}), torch::randn({1, 40}), torch::randn({40}), torch::randn({3, 10})},
                      1e-6);
  EXPECT_EQ(fuze::stats().kernel_calls, 1u);
}

TEST(FusionChunk, GruStepWithTwoChunks) {
  // fastrnns' GRU cell: gi and gh [B, 3H] each chunked in three.
  Fused f = fuse(R"IR(
graph(%gi0 : Tensor, %gh0 : Tensor, %b_ih : Tensor, %b_hh : Tensor, %hx : Tensor):
  %one : int = prim::Constant[value=1]()
  %three : int = prim::Constant[value=3]()
  %minus1 : int = prim::Constant[value=-1]()
  %gi : Tensor = aten::add(%gi0, %b_ih, %one)
  %gh : Tensor = aten::add(%gh0, %b_hh, %one)
  %ci : Tensor[] = aten::chunk(%gi, %three, %one)
  %i_r : Tensor, %i_i : Tensor, %i_n : Tensor = prim::ListUnpack(%ci)
  %ch : Tensor[] = aten::chunk(%gh, %three, %minus1)
  %h_r : Tensor, %h_i : Tensor, %h_n : Tensor = prim::ListUnpack(%ch)
  %r0 : Tensor = aten::add(%i_r, %h_r, %one)
  %r : Tensor = aten::sigmoid(%r0)
  %z0 : Tensor = aten::add(%i_i, %h_i, %one)
  %z : Tensor = aten::sigmoid(%z0)
  %n0 : Tensor = aten::mul(%r, %h_n)
  %n1 : Tensor = aten::add(%i_n, %n0, %one)
  %n : Tensor = aten::tanh(%n1)
  %d : Tensor = aten::sub(%hx, %n, %one)
  %zd : Tensor = aten::mul(%z, %d)
  %hy : Tensor = aten::add(%n, %zd, %one)
  return (%hy))IR");
  EXPECT_EQ(f.groups, 1);
  EXPECT_TRUE(f.unfused.empty());
  fuze::reset_stats();
  expect_same_results(f, {torch::randn({2, 12}), torch::randn({2, 12}), torch::randn({12}), torch::randn({12}),
                          torch::randn({2, 4})},
                      1e-6);
  EXPECT_EQ(fuze::stats().kernel_calls, 1u);
}

TEST(FusionChunk, UnevenSizesRunTheFallback) {
  // 4H = 18 does not split in four: TorchScript's pieces are 5, 5, 5, 3.
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %four : int = prim::Constant[value=4]()
  %g : Tensor = aten::add(%x, %y, %one)
  %chunks : Tensor[] = aten::chunk(%g, %four, %one)
  %a : Tensor, %b : Tensor, %c : Tensor, %d : Tensor = prim::ListUnpack(%chunks)
  %sa : Tensor = aten::sigmoid(%a)
  %td : Tensor = aten::tanh(%d)
  return (%sa, %td))IR");
  EXPECT_EQ(f.groups, 1);
  fuze::reset_stats();
  expect_same_results(f, {torch::randn({2, 18}), torch::randn({2, 18})}, 1e-6);
  EXPECT_EQ(fuze::stats().fallbacks, 1u);
  fuze::reset_stats();
  expect_same_results(f, {torch::randn({2, 16}), torch::randn({2, 16})}, 1e-6);
  EXPECT_EQ(fuze::stats().kernel_calls, 1u);
  // Three pieces where four are unpacked: TorchScript's error, from the fallback.
  EXPECT_FALSE(error_of(f.original, {torch::randn({2, 3}), torch::randn({2, 3})}).empty());
  EXPECT_FALSE(error_of(f.graph, {torch::randn({2, 3}), torch::randn({2, 3})}).empty());
}

TEST(FusionChunk, AChunkNoGroupTakesStaysAsWritten) {
  Fused f = fuse(R"IR(
graph(%x : Tensor):
  %one : int = prim::Constant[value=1]()
  %two : int = prim::Constant[value=2]()
  %chunks : Tensor[] = aten::chunk(%x, %two, %one)
  %a : Tensor, %b : Tensor = prim::ListUnpack(%chunks)
  %m : Tensor = aten::matmul(%a, %b)
  return (%m))IR");
  EXPECT_EQ(f.groups, 0);
  FileCheck().check("aten::chunk")->check("prim::ListUnpack")->check_not("ConstantChunk")->run(*f.graph);
  expect_same_results(f, {torch::randn({4, 8})});
}

TEST(FusionChunk, TheChunkedValueAlsoAnOutput) {
  // %g leaves the group whole and in pieces: not one iteration space, so the
  // fallback runs, with TorchScript's results.
  Fused f = fuse(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %two : int = prim::Constant[value=2]()
  %g : Tensor = aten::add(%x, %y, %one)
  %chunks : Tensor[] = aten::chunk(%g, %two, %one)
  %a : Tensor, %b : Tensor = prim::ListUnpack(%chunks)
  %s : Tensor = aten::mul(%a, %b)
  %t : Tensor = aten::tanh(%s)
  return (%t, %g))IR");
  expect_same_results(f, {torch::randn({3, 8}), torch::randn({3, 8})}, 1e-6);
}

TEST(FusionChunk, SplitWithAConstantSize) {
  // x.split(s, 1) unpacked into two: one kernel when 2s is the size; else
  // the fallback, with TorchScript's pieces (or its error).
  for (const char* sizes : {"%s : int = prim::Constant[value=4]()",
                            "%s : int[] = prim::Constant[value=[4, 4]]()"}) {
    const bool list = std::string(sizes).find("int[]") != std::string::npos;
    SCOPED_TRACE(sizes);
    Fused f = fuse(std::string(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  )IR") + sizes + R"IR(
  %g : Tensor = aten::mul(%x, %y)
  %parts : Tensor[] = aten::split(%g, %s, %one)
  %a : Tensor, %b : Tensor = prim::ListUnpack(%parts)
  %c : Tensor = aten::sigmoid(%a)
  %d : Tensor = aten::add(%c, %b, %one)
  return (%d))IR");
    EXPECT_EQ(f.groups, 1);
    FileCheck().check_not("aten::split")->check("with fuze::FusionGroup_0")->check("fuze::ConstantSplit")->run(*f.graph);
    fuze::reset_stats();
    expect_same_results(f, {torch::randn({3, 8}), torch::randn({3, 8})}, 1e-6);
    EXPECT_EQ(fuze::stats().kernel_calls, 1u);
    // 7 columns: split(4) gives 4 + 3 (the add broadcasts neither: TorchScript's
    // error); split([4, 4]) does not sum to 7 (TorchScript's error).
    EXPECT_FALSE(error_of(f.original, {torch::randn({3, 7}), torch::randn({3, 7})}).empty());
    EXPECT_FALSE(error_of(f.graph, {torch::randn({3, 7}), torch::randn({3, 7})}).empty());
    if (!list) {
      // 5 columns as [4, 1] pieces broadcast in the add: equal to TorchScript.
      fuze::reset_stats();
      expect_same_results(f, {torch::randn({3, 5}), torch::randn({3, 5})}, 1e-6);
      EXPECT_EQ(fuze::stats().fallbacks, 1u);
    }
  }
}

TEST(FusionChunk, ASplitNoGroupTakesStaysAsWritten) {
  Fused f = fuse(R"IR(
graph(%x : Tensor):
  %one : int = prim::Constant[value=1]()
  %four : int = prim::Constant[value=4]()
  %parts : Tensor[] = aten::split(%x, %four, %one)
  %a : Tensor, %b : Tensor = prim::ListUnpack(%parts)
  %m : Tensor = aten::matmul(%a, %b)
  return (%m))IR");
  EXPECT_EQ(f.groups, 0);
  FileCheck().check("aten::split")->check("prim::ListUnpack")->check_not("ConstantSplit")->run(*f.graph);
  expect_same_results(f, {torch::randn({4, 8})});
}

}  // namespace
}  // namespace fuze::testing
