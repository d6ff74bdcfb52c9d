#include "backends/interp/interp_backend.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "backends/interp/scalar_ops.h"

namespace fuze {
namespace {

constexpr int64_t kBlock = 512;  // elements evaluated node by node at a time

template <class T, class F>
void map1(F f, const T* a, T* out, int64_t n) {
  for (int64_t j = 0; j < n; ++j) out[j] = f(a[j]);
}
template <class T, class F>
void map2(F f, const T* a, const T* b, T* out, int64_t n) {
  for (int64_t j = 0; j < n; ++j) out[j] = f(a[j], b[j]);
}

template <class T>
void eval_op(ir::Op op, const T* a, const T* b, T* out, int64_t n) {
  using namespace interp;
#define FUZE_UNARY(fn) map1([](T x) { return fn(x); }, a, out, n)
#define FUZE_BINARY(fn) map2([](T x, T y) { return fn(x, y); }, a, b, out, n)
  switch (op) {
    case ir::Op::kAdd: FUZE_BINARY(op_add); break;
    case ir::Op::kSub: FUZE_BINARY(op_sub); break;
    case ir::Op::kMul: FUZE_BINARY(op_mul); break;
    case ir::Op::kDiv: FUZE_BINARY(op_div); break;
    case ir::Op::kNeg: FUZE_UNARY(op_neg); break;
    case ir::Op::kAbs: FUZE_UNARY(op_abs); break;
    case ir::Op::kReciprocal: FUZE_UNARY(op_reciprocal); break;
    case ir::Op::kSqrt: FUZE_UNARY(op_sqrt); break;
    case ir::Op::kRsqrt: FUZE_UNARY(op_rsqrt); break;
    case ir::Op::kMaximum: FUZE_BINARY(op_maximum); break;
    case ir::Op::kMinimum: FUZE_BINARY(op_minimum); break;
    case ir::Op::kClampMin: FUZE_BINARY(op_clamp_min); break;
    case ir::Op::kClampMax: FUZE_BINARY(op_clamp_max); break;
    case ir::Op::kRelu: FUZE_UNARY(op_relu); break;
    case ir::Op::kExp: FUZE_UNARY(op_exp); break;
    case ir::Op::kLog: FUZE_UNARY(op_log); break;
    case ir::Op::kTanh: FUZE_UNARY(op_tanh); break;
    case ir::Op::kSigmoid: FUZE_UNARY(op_sigmoid); break;
    case ir::Op::kPow: FUZE_BINARY(op_pow); break;
  }
#undef FUZE_UNARY
#undef FUZE_BINARY
}

// Walks the multi-index of the iteration space in row-major order from any
// linear start, keeping each strided operand's element offset.
class Odometer {
 public:
  Odometer(const KernelArgs& args, const std::vector<int>& operands, int64_t start)
      : rank_(args.rank), sizes_(args.sizes), idx_(static_cast<size_t>(args.rank), 0) {
    for (int op : operands) strides_.push_back(args.strides + static_cast<int64_t>(op) * rank_);
    offsets_.assign(operands.size(), 0);
    int64_t rest = start;
    for (int d = rank_ - 1; d >= 0; --d) {
      idx_[static_cast<size_t>(d)] = rest % sizes_[d];
      rest /= sizes_[d];
    }
    for (size_t s = 0; s < strides_.size(); ++s) {
      for (int d = 0; d < rank_; ++d) offsets_[s] += idx_[static_cast<size_t>(d)] * strides_[s][d];
    }
  }
  size_t count() const { return offsets_.size(); }
  int64_t offset(size_t s) const { return offsets_[s]; }
  void next() {
    for (int d = rank_ - 1; d >= 0; --d) {
      const size_t du = static_cast<size_t>(d);
      ++idx_[du];
      for (size_t s = 0; s < strides_.size(); ++s) offsets_[s] += strides_[s][d];
      if (idx_[du] < sizes_[d] || d == 0) return;
      for (size_t s = 0; s < strides_.size(); ++s) offsets_[s] -= sizes_[d] * strides_[s][d];
      idx_[du] = 0;
    }
  }

 private:
  int rank_;
  const int64_t* sizes_;
  std::vector<int64_t> idx_;
  std::vector<const int64_t*> strides_;
  std::vector<int64_t> offsets_;
};

template <class T>
class InterpKernel final : public CompiledKernel {
 public:
  explicit InterpKernel(ir::Kernel k) : k_(std::move(k)) {
    for (const ir::Node& n : k_.nodes()) {
      if (n.kind == ir::NodeKind::kInput && n.layout == ir::Layout::kStrided) strided_.push_back(n.input_index);
    }
    for (int o = 0; o < k_.num_outputs(); ++o) {
      if (k_.outputs()[static_cast<size_t>(o)].layout == ir::Layout::kStrided)
        strided_.push_back(k_.num_inputs() + o);
    }
  }

  const std::string& name() const override { return k_.name(); }
  std::string listing() const override { return ir::print(k_); }

  void run(const KernelArgs& args, int64_t begin, int64_t end) const override {
    end = std::min(end, args.numel);
    if (begin >= end) return;
    const auto& nodes = k_.nodes();
    const size_t num_nodes = nodes.size();
    std::vector<T> storage(num_nodes * kBlock);
    std::vector<const T*> val(num_nodes, nullptr);
    std::vector<int64_t> offs(strided_.size() * kBlock);
    auto buf = [&](size_t id) { return storage.data() + id * kBlock; };
    auto slot = [&](int operand) {  // position of a strided operand in strided_
      return static_cast<size_t>(std::find(strided_.begin(), strided_.end(), operand) - strided_.begin());
    };
    // Uniform values fill their buffer once.
    for (size_t id = 0; id < num_nodes; ++id) {
      const ir::Node& n = nodes[id];
      T v;
      if (n.kind == ir::NodeKind::kConst) {
        v = interp::to_dtype<T>(n.constant);
      } else if (n.kind == ir::NodeKind::kInput && n.layout == ir::Layout::kScalar) {
        v = interp::to_dtype<T>(args.scalars[n.input_index]);
      } else if (n.kind == ir::NodeKind::kInput && n.layout == ir::Layout::kBroadcast) {
        v = *static_cast<const T*>(args.data[n.input_index]);
      } else {
        continue;
      }
      std::fill(buf(id), buf(id) + kBlock, v);
      val[id] = buf(id);
    }
    Odometer odo(args, strided_, begin);
    for (int64_t b = begin; b < end; b += kBlock) {
      const int64_t n = std::min(kBlock, end - b);
      for (int64_t j = 0; j < n; ++j) {
        for (size_t s = 0; s < odo.count(); ++s) offs[s * kBlock + static_cast<size_t>(j)] = odo.offset(s);
        odo.next();
      }
      for (size_t id = 0; id < num_nodes; ++id) {
        const ir::Node& node = nodes[id];
        if (node.kind == ir::NodeKind::kInput) {
          const T* src = static_cast<const T*>(args.data[node.input_index]);
          if (node.layout == ir::Layout::kContiguous) {
            val[id] = src + b;
          } else if (node.layout == ir::Layout::kStrided) {
            const int64_t* o = offs.data() + slot(node.input_index) * kBlock;
            T* dst = buf(id);
            for (int64_t j = 0; j < n; ++j) dst[j] = src[o[j]];
            val[id] = dst;
          }
        } else if (node.kind == ir::NodeKind::kOp) {
          const T* a = val[static_cast<size_t>(node.args[0])];
          const T* c = node.args.size() > 1 ? val[static_cast<size_t>(node.args[1])] : a;
          eval_op<T>(node.op, a, c, buf(id), n);
          val[id] = buf(id);
        }
      }
      for (int o = 0; o < k_.num_outputs(); ++o) {
        const ir::Output& out = k_.outputs()[static_cast<size_t>(o)];
        const int operand = k_.num_inputs() + o;
        T* dst = static_cast<T*>(args.data[operand]);
        const T* src = val[static_cast<size_t>(out.value)];
        if (out.layout == ir::Layout::kContiguous) {
          std::memmove(dst + b, src, static_cast<size_t>(n) * sizeof(T));
        } else {
          const int64_t* off = offs.data() + slot(operand) * kBlock;
          for (int64_t j = 0; j < n; ++j) dst[off[j]] = src[j];
        }
      }
    }
  }

 private:
  ir::Kernel k_;
  std::vector<int> strided_;  // operand numbers (inputs, then num_inputs + output) walked by stride
};

class InterpBackend final : public Backend {
 public:
  BackendKind kind() const override { return BackendKind::kInterp; }

  Status compile(const ir::Kernel& kernel, std::unique_ptr<CompiledKernel>* out) override {
    if (Status s = ir::verify(kernel); !s) return Status::error("interp: invalid kernel: " + s.message());
    ir::DType dtype = ir::DType::kFloat32;
    bool first = true;
    for (const ir::Node& n : kernel.nodes()) {
      if (n.dtype != ir::DType::kFloat32 && n.dtype != ir::DType::kFloat64)
        return Status::error(std::string("interp: dtype ") + ir::dtype_name(n.dtype) + " not supported yet");
      if (!first && n.dtype != dtype) return Status::error("interp: mixed dtypes in one kernel are not supported");
      dtype = n.dtype;
      first = false;
    }
    if (dtype == ir::DType::kFloat64) {
      *out = std::make_unique<InterpKernel<double>>(kernel);
    } else {
      *out = std::make_unique<InterpKernel<float>>(kernel);
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
