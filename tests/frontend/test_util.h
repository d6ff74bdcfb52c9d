// Helpers shared by the frontend tests: graphs from IR text, running a graph
// through TorchScript's interpreter, comparing tensors (NaN == NaN).
#pragma once

#include <gtest/gtest.h>
#include <torch/csrc/jit/ir/irparser.h>
#include <torch/csrc/jit/runtime/interpreter.h>
#include <torch/csrc/jit/testing/file_check.h>
#include <torch/script.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "fuze/fuze.h"
#include "model_list.h"

namespace fuze::testing {

inline std::shared_ptr<torch::jit::Graph> parse(const std::string& ir) {
  auto g = std::make_shared<torch::jit::Graph>();
  torch::jit::parseIR(ir, g.get());
  return g;
}

inline std::vector<torch::jit::IValue> run_graph(const std::shared_ptr<torch::jit::Graph>& g,
                                                 std::vector<torch::jit::IValue> inputs) {
  torch::jit::Code code(g, "test");
  torch::jit::Stack stack(std::move(inputs));
  torch::jit::InterpreterState(code).run(stack);
  return stack;
}

inline int count_groups(const torch::jit::Block* b) { return frontend::count_fusion_groups(b); }

// Equal shapes and values; NaNs equal NaNs. `atol` 0 means bit-for-bit values
// (-0.0 == 0.0 though).
inline ::testing::AssertionResult same_tensor(const at::Tensor& a, const at::Tensor& b, double atol = 0.0) {
  if (a.sizes() != b.sizes()) {
    return ::testing::AssertionFailure() << "shapes differ: " << a.sizes() << " vs " << b.sizes();
  }
  if (a.scalar_type() != b.scalar_type()) {
    return ::testing::AssertionFailure() << "dtypes differ: " << a.scalar_type() << " vs " << b.scalar_type();
  }
  if (a.numel() == 0) return ::testing::AssertionSuccess();
  at::Tensor x = a.to(at::kDouble), y = b.to(at::kDouble);
  at::Tensor ok = (x == y).logical_or(x.isnan().logical_and(y.isnan()));
  if (atol > 0) ok = ok.logical_or((x - y).abs() <= atol);
  if (ok.all().item<bool>()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "values differ:\n" << a << "\nvs\n" << b;
}

inline bool has_reason(const std::vector<frontend::UnfusedNode>& list, const std::string& kind,
                       const std::string& reason_part) {
  for (const auto& u : list) {
    if (u.kind == kind && u.reason.find(reason_part) != std::string::npos) return true;
  }
  return false;
}

// A graph before and after the fusion pass, with the pass's report.
struct Fused {
  std::shared_ptr<torch::jit::Graph> original, graph;
  int groups = 0;
  std::vector<frontend::UnfusedNode> unfused;
};

inline Fused fuse(const std::string& ir) {
  Fused f;
  f.original = parse(ir);
  f.graph = f.original->copy();
  f.groups = frontend::fuse_graph_with_report(f.graph, nullptr, &f.unfused);
  f.graph->lint();
  return f;
}

// Runs original and fused graphs on clones of `inputs`; outputs (and the
// inputs, which in-place ops may change) must match.
inline void expect_same_results(const Fused& f, const std::vector<torch::jit::IValue>& inputs, double atol = 0.0) {
  auto clone = [&] {
    std::vector<torch::jit::IValue> c;
    for (const auto& v : inputs) c.push_back(v.isTensor() ? torch::jit::IValue(v.toTensor().clone()) : v);
    return c;
  };
  auto in_ref = clone(), in_fused = clone();
  auto ref = run_graph(f.original, in_ref);
  auto out = run_graph(f.graph, in_fused);
  ASSERT_EQ(ref.size(), out.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    if (ref[i].isTensor()) {
      EXPECT_TRUE(same_tensor(out[i].toTensor(), ref[i].toTensor(), atol)) << "output " << i;
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].isTensor()) {
      EXPECT_TRUE(same_tensor(in_fused[i].toTensor(), in_ref[i].toTensor(), atol)) << "input " << i;
    }
  }
}

// The message of what running `g` on `inputs` throws ("" when it does not).
inline std::string error_of(const std::shared_ptr<torch::jit::Graph>& g, std::vector<torch::jit::IValue> inputs) {
  try {
    run_graph(g, std::move(inputs));
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace fuze::testing
