// One fuze::FusionGroup node at run time (src/frontend/fusion_group_op.cpp).
//
// A call is two steps:
//   guard   checks the inputs (device, dtype, grad, broadcastable shapes),
//           computes the call's Signature and finds its kernel: the group's own
//           lock-free table first, then the process-wide KernelCache, then a
//           compile. Nothing is allocated on a hit.
//   launch  allocates the outputs as eager would and runs the kernel.
// Anything the guard refuses runs the group's original subgraph through
// TorchScript's interpreter (the fallback), so results always equal
// TorchScript's. The split lets bench/guard_bench.cpp time the guard alone.
//
// Signature (what a kernel is specialised on; never sizes): per input its
// dtype, its layout over the iteration space (contiguous, strided, broadcast,
// scalar) and whether it is a 0-dim tensor (type promotion treats those
// differently); the iteration rank; the backend (cuda for CUDA tensors); whether the outputs follow a
// permuted input. A fixed-size POD compared with memcmp.
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/core/stack.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/runtime/interpreter.h>

#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "fuze/backend.h"

namespace fuze::frontend {

constexpr int kMaxGroupInputs = 32;
constexpr int kMaxGroupRank = 16;
constexpr int kMaxGroupOutputs = 8;
// Signatures one group keeps in its table (runtime::Options::max_signatures_per_group
// is capped to this).
constexpr int kMaxGroupSignatures = 64;

struct Signature {
  uint8_t input[kMaxGroupInputs];  // dtype | layout << 3 | 0-dim << 5
  uint8_t rank;
  uint8_t backend;
  uint8_t num_inputs;
  uint8_t strided_outputs;  // 1: outputs follow a permuted (TensorIterator) layout
  bool operator==(const Signature& o) const { return std::memcmp(this, &o, sizeof(Signature)) == 0; }
};
static_assert(std::is_trivially_copyable_v<Signature>, "Signature is compared with memcmp");

// The graph a group's kernel is lowered from. Without prim::ConstantChunk it
// is the group's subgraph and kernel input i is group input i. With chunks
// (an LSTM cell's gates.chunk(4, 1)), each piece of a chunked value is rebuilt
// from pieces of the group inputs it depends on (kernel_graph.cpp): a kernel
// input is then a whole group input or one piece of one, and the kernel runs
// over the pieces' shape. The group's subgraph stays the fallback.
struct ChunkSpec {
  int chunks = 1;
  int64_t dim = 0;         // of the chunked value (negative: from the end)
  uint64_t deps = 0;       // the group inputs the chunked value depends on (its shape)
  int64_t split_size = 0;  // fuze::ConstantSplit's piece size; 0 for prim::ConstantChunk
};
struct KernelInput {
  int group = 0;   // the group input
  int chunk = -1;  // -1: the whole input; else its piece `piece` of chunks[chunk]
  int piece = 0;
};
struct KernelGraph {
  std::shared_ptr<torch::jit::Graph> graph;
  std::vector<KernelInput> inputs;  // one per graph input
  std::vector<ChunkSpec> chunks;
  std::string text() const;  // the chunks and the input mapping (part of the cache key)
};
// prim::ConstantChunk or fuze::ConstantSplit: a node the kernel graph rebuilds.
bool is_piece_node(const torch::jit::Node* n);
// Builds the kernel graph of a subgraph that has such nodes;
// an error for shapes of chunk it cannot rebuild (a chunk of a chunk).
Status build_kernel_graph(const torch::jit::Graph& subgraph, KernelGraph* out);

// "x86|r2:float32.contiguous,float64.scalar," (the KernelCache key's tail).
std::string signature_text(const Signature& s);
// One input's byte in Signature::input: dtype | layout << 3 | 0-dim << 5.
uint8_t encode_input(ir::DType t, ir::Layout l, bool zero_dim);
InputSig decode_input(uint8_t b);
uint8_t with_layout(uint8_t b, ir::Layout l);  // the same byte with another layout
// Broadcasts `shape` (right-aligned) into iter[0..*rank); false if incompatible
// or above kMaxGroupRank.
bool broadcast_into(c10::IntArrayRef shape, int64_t* iter, int* rank);

// One signature a group has seen: its kernel, or nullptr and why (the fallback).
struct GroupKernel {
  Signature sig;
  std::shared_ptr<const CompiledKernel> kernel;
  std::vector<ir::DType> output_dtypes;
  // Per output: >= 0 when it is that input itself (aten::to to the dtype the
  // input already has returns its input, an alias, as eager does); else -1.
  std::vector<int> output_alias;
  std::string why;
  // float16/bfloat16 kernels: whether eager has these ops for these dtypes
  // (libtorch 1.13 raises "not implemented for 'Half'" for many CPU ops).
  // The first call runs the fallback to find out; where it raises, every call
  // does, so fuze raises TorchScript's error. The answer is kept process-wide
  // under `key` (a group recreated by a new Code does not ask again).
  enum EagerState : uint8_t { kUnknown, kEagerRuns, kEagerRaises };
  bool check_eager = false;
  std::string key;  // the KernelCache key: group identity + signature
  mutable std::atomic<uint8_t> eager{kUnknown};
  // Row reductions (ir::Kernel::reduce_rank): K, and per output whether the
  // kernel writes it once per row (a reduction's keepdim shape).
  int reduce_rank = 0;
  std::vector<uint8_t> output_per_row;
};

// What the guard works out for one call; lives on the caller's stack.
struct GroupCall {
  Signature sig{};
  int rank = 0;
  bool contiguous_outputs = true;
  int64_t grain = 0;  // runtime::Options::grain, read once by the guard
  int num_threads = 0;  // runtime::Options::num_threads (0: at::get_num_threads())
  int64_t iter[kMaxGroupRank];       // the iteration (output) shape
  int64_t out_strides[kMaxGroupOutputs * kMaxGroupRank];  // each output's strides when !contiguous_outputs
  double scalars[kMaxGroupInputs];
  // Per kernel input: its tensor (nullptr for a number), and the sizes,
  // strides and data it is read with (the tensor's own, or a chunk piece's).
  const at::Tensor* tensors[kMaxGroupInputs];
  int dims[kMaxGroupInputs];
  const int64_t* sizes[kMaxGroupInputs];
  const int64_t* tstrides[kMaxGroupInputs];
  char* base[kMaxGroupInputs];
  int64_t piece_sizes[kMaxGroupInputs * kMaxGroupRank];  // storage for pieces' sizes
  c10::IntArrayRef input_sizes(size_t i) const { return c10::IntArrayRef(sizes[i], static_cast<size_t>(dims[i])); }
  // Where the tensor inputs seen so far live; kCuda: all on cuda:0 (the kernel
  // is a device kernel).
  enum Device : uint8_t { kNoTensor, kCpu, kCuda } device = kNoTensor;
  bool cuda() const { return device == kCuda; }
  void* data[kMaxGroupInputs + kMaxGroupOutputs];
  int64_t strides[(kMaxGroupInputs + kMaxGroupOutputs) * kMaxGroupRank];
  // Groups with reductions (ShapeProgram): each output's shape, as an
  // OutputShape, and the number of trailing dims reduced.
  uint8_t out_shape[kMaxGroupOutputs] = {};
  int reduce_dims = 0;
  // Why the guard refused: a static text (no allocation) or a built one.
  const char* why_static = nullptr;
  std::string why;
};

// The shapes of a group with reductions (group_shapes.cpp). Eager gives each
// node its own shape (a keepdim sum is [..., 1], a sum without keepdim drops
// the dim); the kernel runs over the reductions' input shape, the iteration
// shape, with per-row values for the reduced ones. Per call the program
// follows the subgraph's nodes over the inputs' sizes and says whether the
// kernel computes what eager would.
enum OutputShape : uint8_t {
  kFullShape,     // the iteration shape
  kRowKeepdim,    // the iteration shape with the reduced dims of size 1
  kRowDropped,    // the iteration shape without the reduced dims
};
class ShapeProgram {
 public:
  // Empty (no reductions) or the program of `g`; an error for reductions it
  // cannot follow (the group then always runs its fallback).
  Status build(const torch::jit::Graph& g);
  bool empty() const { return steps_.empty(); }
  // For one call (the inputs' sizes in `call`, the iteration shape computed):
  // each output's OutputShape and the reduced dims into `call`; nullptr, or
  // why the kernel cannot run this call (eager raises or shapes disagree).
  const char* check(GroupCall* call, size_t num_inputs) const;

 private:
  struct Step {
    std::vector<int> operands;  // group inputs (>= 0) or earlier steps (~index) that shape the result
    bool reduce = false;
    ReduceSpec spec;
    std::vector<int> affine;    // layer_norm's weight and bias: shaped as normalized_shape
  };
  std::vector<Step> steps_;
  std::vector<int> outputs_;  // per output: its step (~index) or input (>= 0)
};

class FusionGroupRunner {
 public:
  explicit FusionGroupRunner(const torch::jit::Node* group);

  // The operator: kernel path when the guard passes, else the fallback.
  void run(torch::jit::Stack& stack);

  // The guard over the group's inputs (the last num_inputs() values of a
  // stack). Returns the kernel to launch, or nullptr with call->why_static or
  // call->why set.
  const GroupKernel* guard(const c10::IValue* inputs, GroupCall* call);
  // Allocates the outputs, runs `k`, replaces the inputs by the outputs on `stack`.
  void launch(const GroupKernel& k, GroupCall& call, torch::jit::Stack& stack);
  int dying_input(const GroupCall& call, c10::IntArrayRef shape, const int64_t* strides, c10::ScalarType dtype) const;
  void run_fallback(torch::jit::Stack& stack);

  size_t num_inputs() const { return num_inputs_; }
  const std::string& name() const { return name_; }

 private:
  const GroupKernel* find_kernel(const Signature& sig, int max_signatures);
  const GroupKernel* lookup(const Signature& sig) const;
  // Each output's strides as eager would allocate it (into call->out_strides),
  // from the inputs' strides through the subgraph's nodes; true when all are
  // contiguous.
  bool output_layouts(GroupCall* call) const;
  // The first call of a check_eager kernel (see GroupKernel): true when the
  // fallback has run (its outputs are on the stack) or must run.
  bool check_eager_first(const GroupKernel& k, torch::jit::Stack& stack, GroupCall* call);
  bool rows_match(const GroupKernel& gk, const GroupCall& call) const;

  // The chunk pieces of this call (GroupCall's sizes/base for chunked kernel
  // inputs); false with call->why_static when the shapes do not chunk evenly.
  bool chunk_inputs(const c10::IValue* inputs, GroupCall* call) const;

  std::shared_ptr<torch::jit::Graph> subgraph_;  // the fallback
  KernelGraph kernel_;                           // what the kernel is lowered from
  std::string kernel_error_;                     // why no kernel graph could be built (always the fallback)
  size_t num_kernel_inputs_ = 0;
  std::string identity_;  // canonical text of the subgraph (the cache key's head)
  std::string name_;      // kernel (chain) name, e.g. "fused_add_tanh": the RecordFunction name
  size_t num_inputs_ = 0;
  size_t num_outputs_ = 0;
  // For each output: the subgraph inputs it depends on (bit i = input i), and
  // all tensor inputs some node uses. An output's shape is the broadcast of
  // its dependencies' shapes; it must equal the iteration shape.
  std::vector<uint64_t> output_deps_;
  uint64_t used_inputs_ = 0;
  bool every_output_covers_ = true;  // each output depends on every used input
  // The subgraph's nodes as TensorIterator sees them: tensor operands as
  // group inputs (>= 0) or earlier steps (~index); and each output's step.
  struct LayoutStep {
    std::vector<int> operands;
    bool contiguous = false;  // the result is contiguous whatever its operands' layouts
  };
  std::vector<LayoutStep> layout_steps_;
  std::vector<int> output_step_;
  ShapeProgram shapes_;  // groups with reductions

  std::once_flag code_once_;
  std::unique_ptr<torch::jit::Code> fallback_;

  // The signature table: readers scan the published prefix without a lock;
  // writers (a miss) append under mu_. Entries never move or die before the runner.
  std::array<std::atomic<const GroupKernel*>, kMaxGroupSignatures> table_{};
  std::atomic<int> published_{0};
  mutable std::atomic<int> last_hit_{0};  // where the last lookup hit (checked first)
  std::mutex mu_;
  std::vector<std::unique_ptr<GroupKernel>> owned_;
};

}  // namespace fuze::frontend
