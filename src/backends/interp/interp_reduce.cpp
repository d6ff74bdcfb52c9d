// The interpreter's row-reduction kernel (semantics: interp_reduce.h).
#include "backends/interp/interp_reduce.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "backends/interp/interp_eval.h"
#include "backends/interp/scalar_ops.h"

namespace fuze::interp {
namespace {

using ir::Op;

constexpr int kReduceBlock = 256;  // elements per block of the sum/prod order
constexpr int kPartials = 16;      // partial accumulators in a block

// sum/prod in the documented order over an accumulator type A: double, or
// uint64_t (int64 arithmetic that wraps).
template <class A>
class BlockedAccumulator {
 public:
  explicit BlockedAccumulator(bool mul) : mul_(mul) { reset_partials(); }

  void add(A x) {
    A& p = p_[count_ % kPartials];
    p = combine(p, x);
    if (++count_ == kReduceBlock) close_block();
  }

  A finish() {
    if (count_ > 0) close_block();
    if (stack_.empty()) return identity();
    A acc = stack_.back().first;
    for (size_t i = stack_.size() - 1; i-- > 0;) acc = combine(stack_[i].first, acc);
    return acc;
  }

 private:
  A identity() const { return mul_ ? A(1) : A(0); }
  A combine(A a, A b) const { return mul_ ? A(a * b) : A(a + b); }

  void reset_partials() {
    for (A& p : p_) p = identity();
    count_ = 0;
  }

  void close_block() {
    for (int w = kPartials / 2; w >= 1; w /= 2) {
      for (int i = 0; i < w; ++i) p_[i] = combine(p_[i], p_[i + w]);
    }
    stack_.emplace_back(p_[0], 0);
    while (stack_.size() >= 2 && stack_[stack_.size() - 1].second == stack_[stack_.size() - 2].second) {
      const auto top = stack_.back();
      stack_.pop_back();
      const auto below = stack_.back();
      stack_.pop_back();
      stack_.emplace_back(combine(below.first, top.first), top.second + 1);
    }
    reset_partials();
  }

  bool mul_;
  A p_[kPartials];
  int count_ = 0;
  std::vector<std::pair<A, int>> stack_;
};

// amax/amin over compute type T: order-independent (NaN wins; +0.0 > -0.0).
template <class T>
class Extremum {
 public:
  explicit Extremum(bool max) : max_(max) {}

  void add(T x) {
    if (nan_) return;
    if (is_nan(x)) {
      nan_ = true;
      return;
    }
    if (empty_ || better(x, cur_)) cur_ = x;
    empty_ = false;
  }

  // The result; `empty` rows give NaN (0 / false for integers and bool).
  T finish() const {
    if constexpr (std::is_floating_point_v<T>) {
      if (nan_ || empty_) return std::numeric_limits<T>::quiet_NaN();
    } else {
      if (empty_) return T(0);
    }
    return cur_;
  }

 private:
  bool better(T x, T cur) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (x == cur) return x == T(0) && (max_ ? (std::signbit(cur) && !std::signbit(x)) : (!std::signbit(cur) && std::signbit(x)));
    }
    return max_ ? x > cur : x < cur;
  }

  bool max_;
  bool nan_ = false;
  bool empty_ = true;
  T cur_ = T(0);
};

// One reduce op's accumulation state for the row being computed.
struct ReduceState {
  int id = -1;
  bool floating_acc = false;  // sum/prod: double, else uint64_t
  BlockedAccumulator<double> fsum{false};
  BlockedAccumulator<uint64_t> isum{false};
  // amax/amin in the operand's compute type
  Extremum<bool> xb{true};
  Extremum<int32_t> xi{true};
  Extremum<int64_t> xl{true};
  Extremum<float> xf{true};
  Extremum<double> xd{true};
};

class ReduceKernel final : public CompiledKernel {
 public:
  explicit ReduceKernel(ir::Kernel k) : k_(std::move(k)) { analyse(); }

  const std::string& name() const override { return k_.name(); }
  std::string listing() const override { return ir::print(k_); }

  void run(const KernelArgs& args, int64_t begin, int64_t end) const override;

 private:
  void analyse();
  // Nodes (program order) that `roots` need, stopping at reduce ops (whose
  // values are filled per row) and excluding them.
  std::vector<int> closure(const std::vector<int>& roots) const;

  ir::Kernel k_;
  std::vector<std::vector<int>> pass_reduces_;  // per pass: its reduce ops (sum/prod/amax/amin)
  std::vector<std::vector<int>> pass_nodes_;    // per pass: the nodes its walk evaluates
  std::vector<int> row_size_nodes_;
  std::vector<int> row_outputs_;      // output indices of row-level values
  std::vector<int> per_row_outputs_;  // output indices of per-row values
  std::vector<int> final_nodes_;      // nodes the row-level outputs need
  std::vector<int> per_row_nodes_;    // nodes the per-row outputs need
};

bool is_reduce(const ir::Node& n) { return n.kind == ir::NodeKind::kOp && (ir::op_info(n.op).flags & ir::kReduce) != 0; }


void ReduceKernel::analyse() {
  const auto& nodes = k_.nodes();
  ir::ReducePasses passes = ir::reduce_passes(k_);
  pass_reduces_ = std::move(passes.reduces);
  row_size_nodes_ = std::move(passes.row_size);
  for (const auto& reduces : pass_reduces_) {
    std::vector<int> roots;
    for (int r : reduces) roots.push_back(nodes[static_cast<size_t>(r)].args[0]);
    pass_nodes_.push_back(closure(roots));
  }
  std::vector<int> row_roots, per_row_roots;
  for (int o = 0; o < k_.num_outputs(); ++o) {
    const int v = k_.outputs()[static_cast<size_t>(o)].value;
    if (ir::is_per_row_value(k_, v)) {
      per_row_outputs_.push_back(o);
      per_row_roots.push_back(v);
    } else {
      row_outputs_.push_back(o);
      row_roots.push_back(v);
    }
  }
  final_nodes_ = closure(row_roots);
  per_row_nodes_ = closure(per_row_roots);
}

std::vector<int> ReduceKernel::closure(const std::vector<int>& roots) const {
  std::vector<bool> need(k_.nodes().size(), false);
  for (int r : roots) need[static_cast<size_t>(r)] = true;
  std::vector<int> out;
  for (size_t id = k_.nodes().size(); id-- > 0;) {
    const ir::Node& n = k_.node(static_cast<int>(id));
    if (!need[id] || is_reduce(n)) continue;
    for (int a : n.args) need[static_cast<size_t>(a)] = true;
  }
  for (size_t id = 0; id < need.size(); ++id) {
    if (need[id] && !is_reduce(k_.node(static_cast<int>(id)))) out.push_back(static_cast<int>(id));
  }
  return out;
}

// A double accumulator's value as the compute value of dtype t.
template <class T>
T from_double_acc(DType t, double v) {
  if constexpr (std::is_same_v<T, float>) return round_double_to(t, v);
  else return static_cast<T>(v);
}

void ReduceKernel::run(const KernelArgs& args, int64_t begin, int64_t end) const {
  const auto& nodes = k_.nodes();
  const size_t num_nodes = nodes.size();
  const int rank = args.rank;
  const int outer_rank = rank - k_.reduce_rank();
  int64_t num_rows = 1, row_len = 1;
  for (int d = 0; d < rank; ++d) (d < outer_rank ? num_rows : row_len) *= args.sizes[d];
  end = std::min(end, num_rows);
  if (begin >= end) return;

  // Element strides per operand (inputs, then outputs); uniform inputs have none.
  const int num_in = k_.num_inputs();
  const int nops = num_in + k_.num_outputs();
  std::vector<int64_t> strides(static_cast<size_t>(nops) * static_cast<size_t>(rank), 0);
  for (int i = 0; i < nops; ++i) {
    const ir::Layout l = i < num_in ? nodes[static_cast<size_t>(k_.inputs()[static_cast<size_t>(i)])].layout
                                    : k_.outputs()[static_cast<size_t>(i - num_in)].layout;
    int64_t c = 1;
    for (int d = rank - 1; d >= 0; --d) {
      int64_t& s = strides[static_cast<size_t>(i * rank + d)];
      if (l == ir::Layout::kContiguous) s = c;
      else if (l == ir::Layout::kStrided) s = args.strides[i * rank + d];
      c *= args.sizes[d];
    }
  }

  std::vector<uint64_t> storage(num_nodes * kBlock);
  std::vector<const void*> val(num_nodes, nullptr);
  auto buf = [&](size_t id) -> void* { return storage.data() + id * kBlock; };
  auto fill = [&](size_t id, DType t, auto v) {
    using T = decltype(v);
    T* dst = static_cast<T*>(buf(id));
    std::fill(dst, dst + kBlock, v);
    val[id] = buf(id);
    (void)t;
  };
  for (size_t id = 0; id < num_nodes; ++id) {
    const ir::Node& n = nodes[id];
    const bool is_const = n.kind == ir::NodeKind::kConst;
    const bool is_input = n.kind == ir::NodeKind::kInput;
    if (!is_const && !(is_input && ir::is_uniform(n.layout))) continue;
    visit_ctype(n.dtype, [&](auto t) {
      using T = decltype(t);
      T v;
      if (is_const) v = scalar_as<T>(n.dtype, n.constant);
      else if (n.layout == ir::Layout::kScalar) v = scalar_as<T>(n.dtype, args.scalars[n.input_index]);
      else v = load_elem<T>(n.dtype, args.data[n.input_index], 0);
      fill(id, n.dtype, v);
    });
  }

  std::vector<int64_t> base(static_cast<size_t>(nops));
  std::vector<int64_t> offs(static_cast<size_t>(nops) * kBlock);
  std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
  // Offsets of row elements [j0, j0 + n) for every operand: offs[i * kBlock + jj].
  auto element_offsets = [&](int64_t j0, int64_t n) {
    int64_t rem = j0;
    for (int d = rank - 1; d >= outer_rank; --d) {
      idx[static_cast<size_t>(d)] = rem % args.sizes[d];
      rem /= args.sizes[d];
    }
    for (int64_t jj = 0; jj < n; ++jj) {
      for (int i = 0; i < nops; ++i) {
        int64_t o = base[static_cast<size_t>(i)];
        for (int d = outer_rank; d < rank; ++d) o += idx[static_cast<size_t>(d)] * strides[static_cast<size_t>(i * rank + d)];
        offs[static_cast<size_t>(i) * kBlock + static_cast<size_t>(jj)] = o;
      }
      for (int d = rank - 1; d >= outer_rank; --d) {  // next j, row-major
        if (++idx[static_cast<size_t>(d)] < args.sizes[d]) break;
        idx[static_cast<size_t>(d)] = 0;
      }
    }
  };
  // Loads the non-uniform inputs and evaluates the ops of `list` over n elements.
  auto evaluate = [&](const std::vector<int>& list, int64_t n, bool loads) {
    for (int id : list) {
      const ir::Node& node = nodes[static_cast<size_t>(id)];
      if (node.kind == ir::NodeKind::kInput) {
        if (ir::is_uniform(node.layout) || !loads) continue;
        const void* src = args.data[node.input_index];
        const int64_t* o = offs.data() + static_cast<size_t>(node.input_index) * kBlock;
        visit_ctype(node.dtype, [&](auto t) {
          using T = decltype(t);
          T* dst = static_cast<T*>(buf(static_cast<size_t>(id)));
          for (int64_t j = 0; j < n; ++j) dst[j] = load_elem<T>(node.dtype, src, o[j]);
        });
        val[static_cast<size_t>(id)] = buf(static_cast<size_t>(id));
      } else if (node.kind == ir::NodeKind::kOp && node.op != Op::kRowSize) {
        eval_node(node, nodes, val, buf(static_cast<size_t>(id)), n);
        val[static_cast<size_t>(id)] = buf(static_cast<size_t>(id));
      }
    }
  };

  for (int64_t row = begin; row < end; ++row) {
    int64_t rem = row;
    for (int d = outer_rank - 1; d >= 0; --d) {
      idx[static_cast<size_t>(d)] = rem % args.sizes[d];
      rem /= args.sizes[d];
    }
    for (int i = 0; i < nops; ++i) {
      int64_t o = 0;
      for (int d = 0; d < outer_rank; ++d) o += idx[static_cast<size_t>(d)] * strides[static_cast<size_t>(i * rank + d)];
      base[static_cast<size_t>(i)] = o;
    }
    for (int id : row_size_nodes_) {
      const DType t = nodes[static_cast<size_t>(id)].dtype;
      visit_ctype(t, [&](auto tag) { fill(static_cast<size_t>(id), t, scalar_as<decltype(tag)>(t, static_cast<double>(row_len))); });
    }
    for (size_t pass = 0; pass < pass_reduces_.size(); ++pass) {
      std::vector<ReduceState> states(pass_reduces_[pass].size());
      for (size_t r = 0; r < states.size(); ++r) {
        const ir::Node& n = nodes[static_cast<size_t>(pass_reduces_[pass][r])];
        const bool max = n.op == Op::kAmax, mul = n.op == Op::kProd;
        ReduceState& s = states[r];
        s.id = pass_reduces_[pass][r];
        s.floating_acc = ir::is_floating(n.dtype);
        s.fsum = BlockedAccumulator<double>(mul);
        s.isum = BlockedAccumulator<uint64_t>(mul);
        s.xb = Extremum<bool>(max);
        s.xi = Extremum<int32_t>(max);
        s.xl = Extremum<int64_t>(max);
        s.xf = Extremum<float>(max);
        s.xd = Extremum<double>(max);
      }
      for (int64_t j0 = 0; j0 < row_len; j0 += kBlock) {
        const int64_t n = std::min(kBlock, row_len - j0);
        element_offsets(j0, n);
        evaluate(pass_nodes_[pass], n, true);
        for (ReduceState& s : states) {
          const ir::Node& node = nodes[static_cast<size_t>(s.id)];
          const int arg = node.args[0];
          const DType at = nodes[static_cast<size_t>(arg)].dtype;
          const bool extremum = node.op == Op::kAmax || node.op == Op::kAmin;
          visit_ctype(at, [&](auto tag) {
            using S = decltype(tag);
            const S* x = static_cast<const S*>(val[static_cast<size_t>(arg)]);
            for (int64_t j = 0; j < n; ++j) {
              if (extremum) {
                if constexpr (std::is_same_v<S, bool>) s.xb.add(x[j]);
                else if constexpr (std::is_same_v<S, int32_t>) s.xi.add(x[j]);
                else if constexpr (std::is_same_v<S, int64_t>) s.xl.add(x[j]);
                else if constexpr (std::is_same_v<S, float>) s.xf.add(x[j]);
                else s.xd.add(x[j]);
              } else if constexpr (std::is_floating_point_v<S>) {
                s.fsum.add(static_cast<double>(x[j]));
              } else {
                s.isum.add(static_cast<uint64_t>(static_cast<int64_t>(x[j])));
              }
            }
          });
        }
      }
      for (ReduceState& s : states) {
        const ir::Node& node = nodes[static_cast<size_t>(s.id)];
        const DType t = node.dtype;
        const size_t id = static_cast<size_t>(s.id);
        if (node.op == Op::kAmax || node.op == Op::kAmin) {
          visit_ctype(t, [&](auto tag) {
            using T = decltype(tag);
            if constexpr (std::is_same_v<T, bool>) fill(id, t, s.xb.finish());
            else if constexpr (std::is_same_v<T, int32_t>) fill(id, t, s.xi.finish());
            else if constexpr (std::is_same_v<T, int64_t>) fill(id, t, s.xl.finish());
            else if constexpr (std::is_same_v<T, float>) fill(id, t, round_to(t, s.xf.finish()));
            else fill(id, t, s.xd.finish());
          });
        } else if (s.floating_acc) {
          const double v = s.fsum.finish();
          visit_ctype(t, [&](auto tag) { fill(id, t, from_double_acc<decltype(tag)>(t, v)); });
        } else {
          fill(id, t, static_cast<int64_t>(s.isum.finish()));
        }
      }
    }
    if (!row_outputs_.empty()) {
      for (int64_t j0 = 0; j0 < row_len; j0 += kBlock) {
        const int64_t n = std::min(kBlock, row_len - j0);
        element_offsets(j0, n);
        evaluate(final_nodes_, n, true);
        for (int o : row_outputs_) {
          const int operand = num_in + o;
          const int v = k_.outputs()[static_cast<size_t>(o)].value;
          const DType t = nodes[static_cast<size_t>(v)].dtype;
          const int64_t* off = offs.data() + static_cast<size_t>(operand) * kBlock;
          visit_ctype(t, [&](auto tag) {
            using T = decltype(tag);
            const T* src = static_cast<const T*>(val[static_cast<size_t>(v)]);
            for (int64_t j = 0; j < n; ++j) store_elem<T>(t, args.data[operand], off[j], src[j]);
          });
        }
      }
    }
    if (!per_row_outputs_.empty()) {
      evaluate(per_row_nodes_, 1, false);
      for (int o : per_row_outputs_) {
        const int operand = num_in + o;
        const int v = k_.outputs()[static_cast<size_t>(o)].value;
        const DType t = nodes[static_cast<size_t>(v)].dtype;
        visit_ctype(t, [&](auto tag) {
          using T = decltype(tag);
          store_elem<T>(t, args.data[operand], base[static_cast<size_t>(operand)],
                        static_cast<const T*>(val[static_cast<size_t>(v)])[0]);
        });
      }
    }
  }
}

}  // namespace

float round_double_to(DType t, double v) {
  float f = static_cast<float>(v);  // round to nearest even
  if (t == DType::kFloat32 || t == DType::kFloat64 || std::isnan(v) || std::isinf(f)) return round_to(t, f);
  // Round to odd: of the two floats around v, the one with an odd last bit.
  // With float32's 13+ extra bits, rounding that to f16/bf16 (nearest even)
  // equals rounding v directly (no double rounding).
  if (static_cast<double>(f) != v) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if ((bits & 1u) == 0) f = std::nextafter(f, v > static_cast<double>(f) ? std::numeric_limits<float>::infinity()
                                                                          : -std::numeric_limits<float>::infinity());
  }
  return round_to(t, f);
}

std::unique_ptr<CompiledKernel> make_reduce_kernel(const ir::Kernel& k) { return std::make_unique<ReduceKernel>(k); }

}  // namespace fuze::interp
