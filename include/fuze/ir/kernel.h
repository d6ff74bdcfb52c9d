// Kernel IR: fuze's own small SSA of elementwise ops and row reductions.
//
// A Kernel computes, for every point of an iteration space of `rank`
// dimensions (the broadcast output shape, sizes given at run time), a chain of
// ops over its inputs and stores its outputs. Each value is one Node; a value's
// id is its node's index, and a node only refers to earlier ids (SSA in
// program order). The kernel is specialised on a signature (dtypes, rank and
// each operand's Layout) and never on sizes: sizes and strides arrive at run
// time in KernelArgs (fuze/backend.h).
//
// Text form (printer/parser round-trip exactly):
//
//   kernel fused_add_tanh rank 2 {
//     %0 = input 0 f32 contiguous
//     %1 = input 1 f32 strided
//     %2 = input 2 f32 scalar
//     %3 = const f32 0.5
//     %4 = add f32 %0, %1
//     %5 = mul f32 %4, %3
//     %6 = tanh f32 %5
//     output %6 contiguous
//   }
//
// Reductions. A kernel with reduce_rank() = K > 0 (header
// `kernel NAME rank R reduce K {`; K = 0 prints the header above) splits its
// iteration space: the last K dims form the ROW that the reduce ops (kReduce
// in ops.def: sum, amax, amin, prod; and row_size, the number of elements of
// a row) run over, the first R - K dims index the rows. A value is PER-ROW
// (is_per_row_value) when it is a reduce op, row_size, a constant, a uniform
// input or an op over per-row values only; otherwise it is ROW-level (varies
// along the row). Pointwise ops may mix levels: a per-row operand is read
// broadcast along the row. A row-level output has the iteration shape; a
// per-row output is stored once per row: it is kStrided with run-time stride 0
// along the reduced dims (the keepdim shape viewed over the iteration space).
// Softmax over the last dim:
//
//   kernel softmax rank 2 reduce 1 {
//     %0 = input 0 f32 contiguous
//     %1 = amax f32 %0
//     %2 = sub f32 %0, %1
//     %3 = exp f32 %2
//     %4 = sum f32 %3
//     %5 = div f32 %3, %4
//     output %5 contiguous
//   }
//
// The interpreter (src/backends/interp/interp_reduce.h) is the spec of the
// order of evaluation and accumulation (docs/ops.md, "Reductions").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuze/support/status.h"

namespace fuze::ir {

enum class DType : uint8_t { kBool, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64 };

const char* dtype_name(DType t);  // "bool", "i32", "i64", "f16", "bf16", "f32", "f64"
bool parse_dtype(std::string_view text, DType* out);
int dtype_size(DType t);  // bytes per element
bool is_floating(DType t);
bool is_integral(DType t);  // i32, i64 (not bool)
// ATen's promote_types over fuze's dtypes (f16 with bf16 -> f32).
DType promote_types(DType a, DType b);

enum OpFlags : unsigned {
  kApprox = 1u << 0,      // transcendental: ULP-bounded agreement between backends
  kUniformRhs = 1u << 1,  // second operand must be uniform (const / scalar / broadcast)
  // Typing rules (see ops.def); none of them: operands and result share one dtype.
  kFloat = 1u << 2,     // floating dtypes only
  kNoBool = 1u << 3,    // any dtype but bool
  kIntegral = 1u << 4,  // bool and integer dtypes only
  kBoolOut = 1u << 5,   // result bool; operands share one dtype (unless kAnyIn)
  kAnyIn = 1u << 6,     // operand dtypes unconstrained
  kSelect = 1u << 7,    // operand 0 bool, operands 1.. have the result's dtype
  // Promotion (the front end's ATen rules): integer and bool operands compute
  // in the default float dtype (float32), as ATen's unary float ops and div.
  kIntToFloat = 1u << 8,
  // A decomposition into other ops exists (passes/decompose.cpp, in the
  // interpreter's float order): backends without a native kernel get it.
  kComposite = 1u << 9,
  // Where eager's 16-bit CPU kernel rounds differently from fuze's "float32
  // math, one rounding per op" for the op's TorchScript symbol: with every
  // libtorch (kEagerHalf, kEagerBf16) or with libtorch 2.x only (...V2). The
  // front end leaves such a node out of the kernel (the group falls back).
  kEagerHalf = 1u << 10,
  kEagerBf16 = 1u << 11,
  kEagerHalfV2 = 1u << 12,
  kEagerBf16V2 = 1u << 13,
  // The result is one of the operands' values or an integer-valued function
  // of one (neg, abs, max, min, clamp, select, floor, sign...): exact in any
  // float format its float operands are exact in, so a backend computing in
  // float32 needs no rounding to f16/bf16 after it.
  kExactResult = 1u << 14,
  // A reduction over the kernel's row (Kernel::reduce_rank): the result is a
  // per-row value. Typing: amax/amin: result dtype = operand dtype; sum/prod:
  // a floating operand keeps its dtype, bool/i32/i64 give i64 (ATen);
  // row_size (no operand): a floating dtype. Kernel IR only (no symbol).
  kReduce = 1u << 15,
};

// The backends with a native kernel for an op (the last column of ops.def).
// An op a backend lacks is rewritten by passes::decompose when it is
// kComposite; otherwise that backend answers compile() with kUnsupported.
enum NativeOn : unsigned {
  kInterp = 1u << 0,
  kX86 = 1u << 1,     // float32, f16, bf16 (float32 lanes); casts, predicates, where, logical ops: every dtype
  kCuda = 1u << 2,
  kX86Int = 1u << 3,  // x86 also at bool, i32, i64
  kX86F64 = 1u << 4,  // x86 also at float64
};

enum class Op : uint8_t {
#define FUZE_OP(name, arity, aten, pattern, flags, native) k##name,
#include "fuze/ir/ops.def"
#undef FUZE_OP
};

struct OpInfo {
  const char* name;     // text name: "add", "clamp_min", ...
  int arity;
  const char* aten;     // "aten::add", or "" when none
  const char* pattern;  // TorchScript operand kinds of the fused overload (ops.def)
  unsigned flags;       // OpFlags
  unsigned native;      // NativeOn bits
};

const OpInfo& op_info(Op op);
// The typing rule of `op` (its flags) applied to a result and operand dtypes:
// "" when they are valid, else what is wrong ("operand 1 has dtype i32, expected f32").
std::string op_typing_error(Op op, DType result, const std::vector<DType>& operands);
bool parse_op(std::string_view text, Op* out);
int num_ops();
Op op_at(int index);  // 0 <= index < num_ops(), in ops.def order

// How an operand (input or output) is laid out over the iteration space.
enum class Layout : uint8_t {
  kContiguous,  // strides are the contiguous strides of the iteration shape
  kStrided,     // arbitrary element strides given at run time (0 = broadcast dim)
  kBroadcast,   // one element read everywhere (0-dim or all-broadcast tensor)
  kScalar,      // inputs only: a number passed by value (KernelArgs::scalars)
};

const char* layout_name(Layout l);  // "contiguous", "strided", "broadcast", "scalar"
bool parse_layout(std::string_view text, Layout* out);
inline bool is_uniform(Layout l) { return l == Layout::kBroadcast || l == Layout::kScalar; }

enum class NodeKind : uint8_t { kInput, kConst, kOp };

struct Node {
  NodeKind kind = NodeKind::kOp;
  DType dtype = DType::kFloat32;
  Op op = Op::kAdd;              // kOp only
  std::vector<int> args;         // kOp only: ids of earlier values
  double constant = 0.0;         // kConst only
  int input_index = -1;          // kInput only: position in the kernel's input list
  Layout layout = Layout::kContiguous;  // kInput only
};

struct Output {
  int value = -1;  // id of the value stored
  Layout layout = Layout::kContiguous;  // kContiguous or kStrided
};

class Kernel {
 public:
  Kernel() = default;
  Kernel(std::string name, int rank, int reduce_rank = 0)
      : name_(std::move(name)), rank_(rank), reduce_rank_(reduce_rank) {}

  // Validating factories (bugs assert; a well-formed front end never trips them).
  // Inputs must be added in index order: the i-th add_input gets index i.
  int add_input(DType dtype, Layout layout);
  int add_const(DType dtype, double value);
  int add_op(Op op, DType dtype, std::vector<int> args);
  void add_output(int value, Layout layout);

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  int rank() const { return rank_; }
  // The last reduce_rank() dims of the iteration space form the row that the
  // reduce ops run over (0: a pointwise kernel, no reduce ops allowed).
  int reduce_rank() const { return reduce_rank_; }
  void set_reduce_rank(int reduce_rank) { reduce_rank_ = reduce_rank; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(int id) const { return nodes_[static_cast<size_t>(id)]; }
  const std::vector<int>& inputs() const { return inputs_; }  // node ids, by input index
  const std::vector<Output>& outputs() const { return outputs_; }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  int num_outputs() const { return static_cast<int>(outputs_.size()); }

  // "fused_add_tanh": "fused_" + the op names in program order, joined by '_'
  // (long chains are shortened with a count, e.g. "fused_add_mul_..._x10").
  std::string chain_name() const;

  // Used by the parser, which reads nodes with explicit ids and checks them later.
  std::vector<Node>& mutable_nodes() { return nodes_; }
  std::vector<int>& mutable_inputs() { return inputs_; }
  std::vector<Output>& mutable_outputs() { return outputs_; }

 private:
  std::string name_;
  int rank_ = 0;
  int reduce_rank_ = 0;
  std::vector<Node> nodes_;
  std::vector<int> inputs_;
  std::vector<Output> outputs_;
};

// Printer and parser: parse(print(k)) == k, and print(parse(text)) is the
// canonical form of text. parse() checks syntax only (errors name the line,
// "line 3: unknown op 'tanhh'"); call verify() (or passes::run_pipeline) next.
std::string print(const Kernel& k);
Status parse(std::string_view text, Kernel* out);

// Checks SSA order, arities, dtypes (the per-op typing rules of the flags in
// ops.def), uniform operands where kUniformRhs demands,
// input indices 0..n-1 each once, outputs in range with a storable layout;
// reductions: 0 <= reduce_rank <= rank, reduce ops and row_size only when
// reduce_rank > 0, per-row outputs kStrided.
Status verify(const Kernel& k);

// Added helpers (src/ir/kernel.cpp).
// True when value `id` is the same at every point: a const, a kBroadcast or
// kScalar input, or an op over such values only.
bool is_uniform_value(const Kernel& k, int id);
// True when value `id` is the same along the kernel's row (Kernel::reduce_rank):
// a reduce op (kReduce: sum, amax, amin, prod, row_size), a const, a kBroadcast
// or kScalar input, or an op over such values only. Other values are row-level.
bool is_per_row_value(const Kernel& k, int id);
// The passes of a row kernel (src/backends/interp/interp_reduce.h, the spec):
// reduces[p] are the reduce ops (node ids, in node order) of pass p, one pass
// after the latest reduce op their operand depends on; row_size the
// row_size nodes (known before any pass). Every backend walks rows this way.
struct ReducePasses {
  std::vector<std::vector<int>> reduces;
  std::vector<int> row_size;
};
ReducePasses reduce_passes(const Kernel& k);
// The id of the first op node whose op has no kernel on the backend `native`
// names (a NativeOn bit, ops.def's last column), or -1 when there is none.
int first_non_native_op(const Kernel& k, unsigned native);
// Output layouts a backend can store to: kContiguous and kStrided.
bool is_storable_layout(Layout l);
// Structural equality (name, rank, reduce_rank, nodes, inputs, outputs); constants compare
// bitwise (-0.0 != 0.0), NaNs of the same sign compare equal.
bool same_kernel(const Kernel& a, const Kernel& b);

}  // namespace fuze::ir
