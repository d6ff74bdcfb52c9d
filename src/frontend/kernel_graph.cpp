// The kernel graph of a fusion group whose subgraph chunks or splits a value
// (prim::ConstantChunk, fuze::ConstantSplit): see KernelGraph in fusion_group.h.
//
// chunk(f(a, b))[k] = f(chunk(a)[k], chunk(b)[k]) for elementwise f, with
// broadcasting: an operand of size 1 (or missing) along the chunked dim is
// the same for every piece. So each piece of a chunked value is rebuilt from
// pieces of the group's inputs, which the guard makes by pointer arithmetic
// (no ATen view op, no copy), and the kernel runs over the pieces' shape.
#include <functional>
#include <map>
#include <tuple>
#include <unordered_map>

#include "frontend/fusion_group.h"

namespace fuze::frontend {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

bool is_piece_node(const Node* n) {
  return n->kind() == c10::prim::ConstantChunk || n->kind() == constant_split_symbol();
}

Status build_kernel_graph(const Graph& g, KernelGraph* out) {
  out->graph = std::make_shared<Graph>();
  out->inputs.clear();
  out->chunks.clear();
  Graph& k = *out->graph;

  // Which of the group's inputs each value depends on, and the chunk nodes.
  std::unordered_map<const Value*, uint64_t> deps;
  std::unordered_map<const Value*, int> input_index;
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    input_index[g.inputs()[i]] = static_cast<int>(i);
    if (i < 64) deps[g.inputs()[i]] = uint64_t(1) << i;
  }
  std::unordered_map<const Node*, int> chunk_index;
  for (const Node* n : g.nodes()) {
    uint64_t d = 0;
    for (const Value* v : n->inputs()) {
      auto it = deps.find(v);
      if (it != deps.end()) d |= it->second;
    }
    for (const Value* v : n->outputs()) deps[v] = d;
    if (is_piece_node(n)) {
      chunk_index[n] = static_cast<int>(out->chunks.size());
      const int64_t split = n->kind() == c10::prim::ConstantChunk ? 0 : n->i(c10::Symbol::attr("split_size"));
      out->chunks.push_back(ChunkSpec{static_cast<int>(n->i(c10::attr::chunks)), n->i(c10::attr::dim), d, split});
    }
  }

  std::unordered_map<const Value*, Value*> plain;
  std::map<std::tuple<const Value*, int, int>, Value*> pieces;
  Status error = Status::ok();
  auto add_input = [&](const Value* v, int group, int chunk, int piece) {
    Value* in = k.addInput()->setType(v->type());
    out->inputs.push_back(KernelInput{group, chunk, piece});
    return in;
  };
  // The node cloned into the kernel graph with its operands mapped.
  auto clone = [&](const Node* n, const std::function<Value*(const Value*)>& map) {
    Node* c = k.createClone(const_cast<Node*>(n), [&](Value* v) { return map(v); });
    return k.appendNode(c);
  };
  std::function<Value*(const Value*)> value_of;
  std::function<Value*(const Value*, int, int)> piece_of;
  value_of = [&](const Value* v) -> Value* {
    auto it = plain.find(v);
    if (it != plain.end()) return it->second;
    Value* r;
    const Node* n = v->node();
    if (n->kind() == c10::prim::Param) {
      r = add_input(v, input_index.at(v), -1, 0);
    } else if (is_piece_node(n)) {
      r = piece_of(n->input(0), chunk_index.at(n), static_cast<int>(v->offset()));
    } else {
      if (n->outputs().size() != 1) {
        error = Status::error(std::string("kernel graph: multi-output node ") + n->kind().toQualString());
        return k.insertConstant(0);
      }
      r = clone(n, value_of)->output();
    }
    plain[v] = r;
    return r;
  };
  piece_of = [&](const Value* v, int c, int p) -> Value* {
    if (v->type()->cast<c10::TensorType>() == nullptr || v->node()->kind() == c10::prim::Constant) return value_of(v);
    const auto key = std::make_tuple(v, c, p);
    auto it = pieces.find(key);
    if (it != pieces.end()) return it->second;
    Value* r;
    const Node* n = v->node();
    if (n->kind() == c10::prim::Param) {
      r = add_input(v, input_index.at(v), c, p);
    } else if (is_piece_node(n) || n->outputs().size() != 1) {
      error = Status::error("kernel graph: a chunk of a chunk");
      return k.insertConstant(0);
    } else {
      r = clone(n, [&](const Value* in) { return piece_of(in, c, p); })->output();
    }
    pieces[key] = r;
    return r;
  };
  for (const Value* o : g.outputs()) k.registerOutput(value_of(o));
  return error;
}

std::string KernelGraph::text() const {
  std::string s;
  for (const ChunkSpec& c : chunks) {
    s += "chunk(" + std::to_string(c.chunks) + "," + std::to_string(c.dim) + "," + std::to_string(c.split_size) + ")";
  }
  for (const KernelInput& in : inputs) {
    s += "in(" + std::to_string(in.group) + "," + std::to_string(in.chunk) + "," + std::to_string(in.piece) + ")";
  }
  return s;
}

}  // namespace fuze::frontend
