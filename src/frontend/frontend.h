// Internal interface of the TorchScript frontend (not installed): the op table
// shared by the fusion pass and the FusionGroup lowering, the operator
// registration, and the list of elementwise nodes the pass left unfused.
#pragma once

#include <torch/csrc/jit/ir/ir.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fuze/fuze.h"
#include "fuze/ir/kernel.h"
#include "fuze/support/status.h"

namespace fuze::frontend {

// The node kind of a fusion group: fuze::FusionGroup, with attr::Subgraph.
// fuze::ConstantSplit[split_size=s, chunks=n, dim=d, exact=e](x): x.split(s, d)
// (e: the sizes were a list, which must sum to x.size(d)) unpacked into n
// values, as one node; registered with the FusionGroup operator (the
// fallback runs it through at::split, with TorchScript's errors).
c10::Symbol constant_split_symbol();
c10::Symbol fusion_group_symbol();
// fuze::FusionGroup nodes in `block` and all its sub-blocks.
int count_fusion_groups(const torch::jit::Block* block);

// Registers the fuze::FusionGroup operator with TorchScript (idempotent,
// thread-safe). Called by load / optimize / enable / fuse_graph; never from a
// static initializer (the libraries are static and such statics vanish).
void register_operators();
// Makes runtime::launch run CPU kernels on ATen's intra-op thread pool
// (aten_parallel.cpp); false where this build cannot (fuze's own pool then).
bool use_aten_thread_pool();

// The ops.def entry whose aten symbol is `kind`, or nullopt.
std::optional<ir::Op> op_for_kind(c10::Symbol kind);

// Why `node` cannot be part of a fusion group ("" when it can): unsupported op
// or overload, in-place op, known non-float32 dtype, non-CPU device... Only
// looks at the node itself (schema, operand kinds, known types), not at its
// position. `profiled` maps values to dtypes seen by TorchScript's profiler
// (prim::profile nodes); may be null.
// (c10::ScalarType::Undefined: profiled with several dtypes.)
using ProfiledDtypes = std::unordered_map<const torch::jit::Value*, c10::ScalarType>;
std::string fusibility(const torch::jit::Node* node, const ProfiledDtypes* profiled);

// True for aten kinds fuze knows as elementwise (lowered from ops.def), ATen's
// other pointwise ops (aten::hypot, aten::selu, ...) and the in-place variants
// of both (aten::add_...): the nodes the coverage figures and the unfused
// list report on.
bool is_elementwise_kind(c10::Symbol kind);

// Reductions the fusion pass takes into groups (reduce_nodes.cpp): aten::sum,
// mean, prod, amax, amin, logsumexp, var, std over constant dims, softmax and log_softmax
// over a constant dim, layer_norm over its normalized_shape. In a group they
// reduce the group's trailing dims (the kernel's row, ir::Kernel::reduce_rank).
struct ReduceSpec {
  std::vector<int64_t> dims;  // as written (negative: from the end); ignored when `all`
  bool all = false;           // every dim (sum(x), mean(x), amax(x, []))
  bool keepdim = true;        // false: the result drops the reduced dims
  bool full_output = false;   // softmax, log_softmax, layer_norm: the result has the input's shape
  std::vector<int64_t> normalized_shape;  // layer_norm: the sizes of the reduced dims (checked per call)
  double correction = 1.0;                // var/std: the divisor is N - correction
};
bool is_reduction_kind(c10::Symbol kind);
// "" when `node` is a reduction of a supported overload with constant dims
// (and *spec filled in when spec is not null); else why not.
std::string reduction_fusibility(const torch::jit::Node* node, const ProfiledDtypes* profiled, ReduceSpec* spec);
// Why producer `p` (a node or a group) and its consumer `g` cannot share a
// group because of their reductions ("" when they can).
std::string reduction_conflict(const torch::jit::Node* p, const torch::jit::Node* g);
// Gives reductions whose dims are a prim::ListConstruct of constant ints (what
// scripting and tracing record for `x.mean(-1, keepdim=True)`) a constant
// list instead, so that the dims are known to the fusion pass.
void constant_reduce_dims(torch::jit::Block* block);
// The reduced dims of `spec` at iteration rank `rank` when they are the
// trailing K dims, each once (K > 0); else 0.
int trailing_reduce_rank(const ReduceSpec& spec, int rank);
// The dtype / device check of one tensor value, as fusibility() makes it ("" when fine).
std::string check_tensor_value(const torch::jit::Value* v, const ProfiledDtypes* profiled, const char* what);

// The value of a prim::Constant int/float/bool as a double; false otherwise.
bool constant_number(const torch::jit::Value* v, double* out);

using fuze::UnfusedNode;  // an elementwise node left out of every group, and why (fuze/fuze.h)

// Fuses `graph` like fuze::fuse_graph and returns the unfused elementwise
// nodes in `unfused` (may be null). `profiled` as for fusibility().
int fuse_graph_with_report(std::shared_ptr<torch::jit::Graph>& graph, const ProfiledDtypes* profiled,
                           std::vector<UnfusedNode>* unfused);

// The unfused list recorded by the last fuse_graph on `graph` (empty when the
// graph was never fused or has been destroyed).
std::vector<UnfusedNode> unfused_nodes(const torch::jit::Graph& graph);

// Replaces TorchScript's prim::profile nodes (left in graphs seen by pre-passes
// of the profiling executor) by their inputs, recording the profiled dtypes.
void remove_profile_nodes(torch::jit::Block* block, ProfiledDtypes* profiled);

// fuze dtype <-> ATen ScalarType (false / Double for others).
bool dtype_of_scalar_type(c10::ScalarType t, ir::DType* out);
c10::ScalarType scalar_type_of(ir::DType t);

// One subgraph input as the kernel is specialised on it. Python numbers have
// layout kScalar and dtype kInt64 (int), kFloat64 (float) or kBool (bool).
struct InputSig {
  ir::DType dtype = ir::DType::kFloat32;
  ir::Layout layout = ir::Layout::kContiguous;
  bool zero_dim = false;  // a 0-dim tensor (type promotion ranks it below tensors with dims)
};

// A 0-dim CPU tensor constant (what torch.jit.trace records for a Python
// number) that the lowering takes as a kernel constant: its dtype and its
// value, exact in a double. False for any other tensor (it becomes a group
// input instead: the fusion pass's hoist_tensor_constants).
bool zero_dim_constant(const at::Tensor& t, ir::DType* dtype, double* value);

// Lowers a fusion group's subgraph to kernel IR for one signature, with ATen's
// type promotion (src/frontend/lowering.cpp); `rank` is the iteration rank,
// `output_layout` kContiguous or kStrided (outputs following a permuted input).
// Errors (unsupported constant, op, dtype...) are Status values: the caller falls back.
Status lower_subgraph(const torch::jit::Graph& subgraph, const std::vector<InputSig>& inputs, int rank,
                      ir::Layout output_layout, ir::Kernel* out);

// Kinds the fusion pass takes that are not ops.def symbols: lowered to
// several ops (aten::clamp, hardtanh, relu6, addcmul, addcdiv, square, masked_fill).
bool is_composite_kind(c10::Symbol kind);
// aten::to (dtype overloads) and aten::type_as: lowered to casts.
bool is_cast_kind(c10::Symbol kind);

// A canonical text of a subgraph (kinds, operand indices, constant values; no
// value names, no types): equal for structurally equal groups.
std::string canonical_text(const torch::jit::Graph& subgraph);

}  // namespace fuze::frontend
