// The reference interpreter: evaluates kernel IR node by node over blocks of
// up to kBlock points. Every node computes in the compute type of its dtype
// (bool, int32, int64, float for f32/f16/bf16, double); f16/bf16 results are
// rounded to their dtype after every op, as eager rounds after every op.
#include "backends/interp/interp_backend.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "backends/interp/interp_eval.h"
#include "backends/interp/interp_reduce.h"
#include "backends/interp/scalar_ops.h"
#include "backends/strided_walk.h"

namespace fuze {
namespace {

using ir::DType;
using interp::kBlock;
using interp::load_elem;
using interp::scalar_as;
using interp::store_elem;
using interp::stored_as_ctype;
using interp::visit_ctype;

}  // namespace

namespace interp {

void eval_node(const ir::Node& node, const std::vector<ir::Node>& nodes, const std::vector<const void*>& val,
               void* out, int64_t n) {
  using ir::Op;
  const ir::OpInfo& info = ir::op_info(node.op);
  const DType rt = node.dtype;
  auto arg = [&](size_t i) { return val[static_cast<size_t>(node.args[i])]; };
  auto arg_type = [&](size_t i) { return nodes[static_cast<size_t>(node.args[i])].dtype; };
  if (node.op == Op::kCast) {
    visit_ctype(arg_type(0), [&](auto s) {
      using S = decltype(s);
      const S* a = static_cast<const S*>(arg(0));
      visit_ctype(rt, [&](auto d) {
        using D = decltype(d);
        D* o = static_cast<D*>(out);
        for (int64_t j = 0; j < n; ++j) {
          D v = interp::cast_value<D, S>(a[j]);
          if constexpr (std::is_same_v<D, float>) v = interp::round_to(rt, v);
          o[j] = v;
        }
      });
    });
    return;
  }
  if ((info.flags & ir::kAnyIn) != 0) {  // logical ops: each operand to bool first
    bool* o = static_cast<bool*>(out);
    bool a_vals[kBlock], b_vals[kBlock];
    for (size_t i = 0; i < node.args.size(); ++i) {
      bool* dst = i == 0 ? a_vals : b_vals;
      visit_ctype(arg_type(i), [&](auto s) {
        using S = decltype(s);
        const S* src = static_cast<const S*>(arg(i));
        for (int64_t j = 0; j < n; ++j) dst[j] = src[j] != S(0);
      });
    }
    const bool* bv = node.args.size() > 1 ? b_vals : a_vals;
    for (int64_t j = 0; j < n; ++j) o[j] = interp::apply_predicate<bool>(node.op, a_vals[j], bv[j]);
    return;
  }
  if ((info.flags & ir::kBoolOut) != 0) {
    visit_ctype(arg_type(0), [&](auto s) {
      using S = decltype(s);
      const S* a = static_cast<const S*>(arg(0));
      const S* b = node.args.size() > 1 ? static_cast<const S*>(arg(1)) : a;
      bool* o = static_cast<bool*>(out);
      for (int64_t j = 0; j < n; ++j) o[j] = interp::apply_predicate<S>(node.op, a[j], b[j]);
    });
    return;
  }
  visit_ctype(rt, [&](auto t) {
    using T = decltype(t);
    T* o = static_cast<T*>(out);
    if (node.op == Op::kWhere) {
      const bool* c = static_cast<const bool*>(arg(0));
      const T* a = static_cast<const T*>(arg(1));
      const T* b = static_cast<const T*>(arg(2));
      for (int64_t j = 0; j < n; ++j) o[j] = c[j] ? a[j] : b[j];
      return;
    }
    const T* a = static_cast<const T*>(arg(0));
    const T* b = node.args.size() > 1 ? static_cast<const T*>(arg(1)) : a;
    const T* c = node.args.size() > 2 ? static_cast<const T*>(arg(2)) : a;
    if constexpr (std::is_floating_point_v<T>) {
      if (node.op == Op::kNanToNum) {
        for (int64_t j = 0; j < n; ++j) o[j] = interp::op_nan_to_num(a[j], rt);
        return;
      }
    }
#define FUZE_LOOP(expr) for (int64_t j = 0; j < n; ++j) o[j] = (expr)
    // The common ones without the switch per element.
    if (node.op == Op::kAdd) FUZE_LOOP(interp::op_add(a[j], b[j]));
    else if (node.op == Op::kSub) FUZE_LOOP(interp::op_sub(a[j], b[j]));
    else if (node.op == Op::kMul) FUZE_LOOP(interp::op_mul(a[j], b[j]));
    else FUZE_LOOP(interp::apply_op<T>(node.op, a[j], b[j], c[j]));
#undef FUZE_LOOP
    if constexpr (std::is_same_v<T, float>) {
      if (rt != DType::kFloat32) {
        for (int64_t j = 0; j < n; ++j) o[j] = interp::round_to(rt, o[j]);
      }
    }
  });
}

}  // namespace interp

namespace {

using interp::eval_node;

class InterpKernel final : public CompiledKernel {
 public:
  explicit InterpKernel(ir::Kernel k) : k_(std::move(k)) {
    for (int i = 0; i < k_.num_inputs(); ++i) layouts_.push_back(k_.node(k_.inputs()[static_cast<size_t>(i)]).layout);
    for (const ir::Output& o : k_.outputs()) layouts_.push_back(o.layout);
    for (ir::Layout l : layouts_) walked_ = walked_ || l == ir::Layout::kStrided;
  }

  const std::string& name() const override { return k_.name(); }
  std::string listing() const override { return ir::print(k_); }

  void run(const KernelArgs& args, int64_t begin, int64_t end) const override {
    end = std::min(end, args.numel);
    if (begin >= end) return;
    const auto& nodes = k_.nodes();
    const size_t num_nodes = nodes.size();
    std::vector<uint64_t> storage(num_nodes * kBlock);  // kSlot bytes per value, 8-aligned
    std::vector<const void*> val(num_nodes, nullptr);
    auto buf = [&](size_t id) -> void* { return storage.data() + id * kBlock; };
    // Uniform values fill their buffer once, in their compute type.
    for (size_t id = 0; id < num_nodes; ++id) {
      const ir::Node& n = nodes[id];
      const bool is_const = n.kind == ir::NodeKind::kConst;
      const bool is_scalar = n.kind == ir::NodeKind::kInput && n.layout == ir::Layout::kScalar;
      const bool is_bcast = n.kind == ir::NodeKind::kInput && n.layout == ir::Layout::kBroadcast;
      if (!is_const && !is_scalar && !is_bcast) continue;
      visit_ctype(n.dtype, [&](auto t) {
        using T = decltype(t);
        T v;
        if (is_const) v = scalar_as<T>(n.dtype, n.constant);
        else if (is_scalar) v = scalar_as<T>(n.dtype, args.scalars[n.input_index]);
        else v = load_elem<T>(n.dtype, args.data[n.input_index], 0);
        T* dst = static_cast<T*>(buf(id));
        std::fill(dst, dst + kBlock, v);
      });
      val[id] = buf(id);
    }
    // Offsets of positions [b, b + n): linear while every operand is
    // contiguous, else along StridedWalk's memory-order rows (the x86
    // backend's order), operand i's element j at offs[i * kBlock + j].
    auto block = [&](int64_t b, int64_t n, const int64_t* offs) {
      for (size_t id = 0; id < num_nodes; ++id) {
        const ir::Node& node = nodes[id];
        if (node.kind == ir::NodeKind::kInput) {
          const void* src = args.data[node.input_index];
          const int64_t* o = offs == nullptr ? nullptr : offs + static_cast<int64_t>(node.input_index) * kBlock;
          if (node.layout == ir::Layout::kContiguous && o == nullptr) {
            if (stored_as_ctype(node.dtype)) {
              val[id] = static_cast<const char*>(src) + b * ir::dtype_size(node.dtype);
            } else {
              visit_ctype(node.dtype, [&](auto t) {
                using T = decltype(t);
                T* dst = static_cast<T*>(buf(id));
                for (int64_t j = 0; j < n; ++j) dst[j] = load_elem<T>(node.dtype, src, b + j);
              });
              val[id] = buf(id);
            }
          } else if (!ir::is_uniform(node.layout)) {
            visit_ctype(node.dtype, [&](auto t) {
              using T = decltype(t);
              T* dst = static_cast<T*>(buf(id));
              for (int64_t j = 0; j < n; ++j) dst[j] = load_elem<T>(node.dtype, src, o[j]);
            });
            val[id] = buf(id);
          }
        } else if (node.kind == ir::NodeKind::kOp) {
          eval_node(node, nodes, val, buf(id), n);
          val[id] = buf(id);
        }
      }
      for (int o = 0; o < k_.num_outputs(); ++o) {
        const ir::Output& out = k_.outputs()[static_cast<size_t>(o)];
        const int operand = k_.num_inputs() + o;
        void* dst = args.data[operand];
        const DType t = nodes[static_cast<size_t>(out.value)].dtype;
        const void* src = val[static_cast<size_t>(out.value)];
        const int64_t* off = offs == nullptr ? nullptr : offs + static_cast<int64_t>(operand) * kBlock;
        if (off == nullptr && stored_as_ctype(t)) {
          const size_t sz = static_cast<size_t>(ir::dtype_size(t));
          std::memmove(static_cast<char*>(dst) + b * static_cast<int64_t>(sz), src, static_cast<size_t>(n) * sz);
          continue;
        }
        visit_ctype(t, [&](auto tag) {
          using T = decltype(tag);
          const T* s = static_cast<const T*>(src);
          for (int64_t j = 0; j < n; ++j) store_elem<T>(t, dst, off == nullptr ? b + j : off[j], s[j]);
        });
      }
    };
    if (!walked_) {
      for (int64_t b = begin; b < end; b += kBlock) block(b, std::min(kBlock, end - b), nullptr);
      return;
    }
    const int nops = static_cast<int>(layouts_.size());
    const StridedWalk walk(args, k_.num_inputs(), nops, layouts_.data());
    std::vector<int64_t> offs(layouts_.size() * kBlock);
    walk.for_each_row(begin, end, [&](const int64_t* row, int64_t len) {
      for (int64_t c0 = 0; c0 < len; c0 += kBlock) {
        const int64_t n = std::min(kBlock, len - c0);
        for (int i = 0; i < nops; ++i) {
          const int64_t s = walk.inner_stride(i);
          int64_t* o = offs.data() + static_cast<int64_t>(i) * kBlock;
          for (int64_t j = 0; j < n; ++j) o[j] = row[i] + (c0 + j) * s;
        }
        block(0, n, offs.data());
      }
    });
  }

 private:
  ir::Kernel k_;
  std::vector<ir::Layout> layouts_;  // per operand: inputs, then outputs
  bool walked_ = false;              // some operand is strided: positions follow StridedWalk
};

class InterpBackend final : public Backend {
 public:
  BackendKind kind() const override { return BackendKind::kInterp; }

  Status compile(const ir::Kernel& kernel, std::unique_ptr<CompiledKernel>* out) override {
    if (Status s = ir::verify(kernel); !s) return Status::invalid_ir("interp: invalid kernel: " + s.message());
    if (kernel.num_inputs() + kernel.num_outputs() > StridedWalk::kMaxOperands ||
        kernel.rank() > StridedWalk::kMaxRank) {
      return Status::unsupported("interp: more than " + std::to_string(StridedWalk::kMaxOperands) +
                                 " operands or a rank above " + std::to_string(StridedWalk::kMaxRank));
    }
    if (int id = ir::first_non_native_op(kernel, ir::kInterp); id >= 0) {
      return Status::unsupported(std::string("interp: op ") + ir::op_info(kernel.node(id).op).name +
                                 " has no kernel (ops.def: decomposed by passes/decompose)");
    }
    if (kernel.reduce_rank() > 0) {
      *out = interp::make_reduce_kernel(kernel);
    } else {
      *out = std::make_unique<InterpKernel>(kernel);
    }
    return Status::ok();
  }
};

}  // namespace

Status make_interp_backend(std::unique_ptr<Backend>* out) {
  *out = std::make_unique<InterpBackend>();
  return Status::ok();
}

}  // namespace fuze
