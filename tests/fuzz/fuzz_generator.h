// The fuzzer's graph generator (used by fuzz_main.cpp): deterministic
// randomness, input tensors (dtypes, layouts, special values) and the builder
// of random TorchScript graphs that eager accepts, with what each value's
// comparison needs (transcendentals on its path, ambiguous zero signs).
#pragma once

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/jit/ir/irparser.h>
#include <torch/csrc/jit/runtime/interpreter.h>
#include <torch/script.h>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include "eager_accuracy.h"
#include "frontend/frontend.h"
#include "fuze/fuze.h"
#include "runtime/runtime.h"

namespace fuze_fuzz {

// ---- deterministic randomness (no std:: distributions: same on every library)

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) { next(); }
  uint64_t next() {  // splitmix64
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int uni(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
  double real() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return real() < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<size_t>(uni(static_cast<int>(v.size())))]; }
  double normal() {
    double u = real(), v = real();
    return std::sqrt(-2.0 * std::log(u + 1e-300)) * std::cos(6.283185307179586 * v);
  }
};

// ---- values of the graph under construction --------------------------------

struct Val {
  std::string name;       // without '%'
  char kind = 'T';        // 'T' tensor, 'f' float, 'i' int, 'b' bool
  bool is_const = false;  // prim::Constant (scalars only)
  std::string const_line; // the constant's IR line
  c10::IValue value;      // eager value (tensor or number)
  bool input = false;     // graph input
  int approx = 0;         // kApprox ops on the longest path to this value
  int ambig = 0;          // maximum/minimum on a path to it (zero sign ambiguous in eager)
};

inline std::string type_name(char k) {
  switch (k) {
    case 'T': return "Tensor";
    case 'f': return "float";
    case 'i': return "int";
    default: return "bool";
  }
}

inline std::string float_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".";
  return s;
}

// One op of the graph: the IR line and what the comparison needs.
struct NodeRec {
  std::string line;
  std::string out;      // output name
  bool approx = false;  // a kApprox op with a float32/float64 result: perturbed in the envelope runs
  bool zero_sign = false;  // maximum/minimum with a float result: only its zeros' signs are perturbed
  int ulp = 4;          // its bound (tests/eager_accuracy.h)
  double abs_eps = 0;   // absolute bound in units of eps (gelu, elu, logit)
  // Where eager's float32 op is inaccurate on this CPU (eager_f32_accurate),
  // the reference graphs' lines for it instead: the op in float64, rounded.
  std::string exact_line;
};

inline const std::set<std::string>& approx_ops() {
  static const std::set<std::string> s = [] {
    std::set<std::string> out;
    for (int i = 0; i < fuze::ir::num_ops(); ++i) {
      const auto& info = fuze::ir::op_info(fuze::ir::op_at(i));
      if ((info.flags & fuze::ir::kApprox) != 0 && info.aten != nullptr && info.aten[0] != '\0') {
        out.insert(info.aten);
      }
    }
    if (!fuze::testing::eager_sqrt_is_exact()) out.insert("aten::sqrt");  // MKL's sqrt (torch 2.x wheels): 1 ULP
    return out;
  }();
  return s;
}

bool is_float(c10::ScalarType t) { return c10::isFloatingType(t); }

// ---- inputs ------------------------------------------------------------------

inline double special_float(Rng& r) {
  static const std::vector<double> v = {
      0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1.5, 3.0, 20.0, -20.0, 88.7, -88.7, -103.5, 709.5,
      std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(), 1e-40, -1e-40, 1.17549435e-38, 1e-30, -1e-30, 1e30, -1e30,
      3.4e38, -3.4e38, 1e300, 1e-310, 0.1, 6.0, -3.0, 0.999, -0.999};
  return r.pick(v);
}

inline double random_float(Rng& r, int profile) {
  switch (profile) {
    case 0: return r.normal();
    case 1: return r.normal() * std::pow(10.0, r.uni(9) - 4);
    case 2: {  // wide magnitudes
      const double m = std::pow(10.0, r.real() * 80 - 40);
      return r.chance(0.5) ? m : -m;
    }
    case 3: return (r.uni(21) - 10) * 0.5;  // halves: rounding ties, exact ints
    case 4: return r.real() * 2 - 1;        // domain of asin/acos/atanh/logit-ish
    default: return r.real() * 10;          // positive
  }
}

inline int64_t random_int(Rng& r, c10::ScalarType t) {
  if (r.chance(0.04)) {
    if (t == c10::kInt) {
      static const std::vector<int64_t> e = {INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 65536, -65537};
      return r.pick(e);
    }
    static const std::vector<int64_t> e = {INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 4294967296ll,
                                           -(1ll << 40)};
    return r.pick(e);
  }
  if (r.chance(0.1)) return r.uni(2001) - 1000;
  return r.uni(17) - 8;
}

inline at::Tensor fill(Rng& r, const std::vector<int64_t>& shape, c10::ScalarType t) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  if (t == c10::kBool) {
    std::vector<uint8_t> v(static_cast<size_t>(n));
    for (auto& x : v) x = static_cast<uint8_t>(r.uni(2));
    return torch::from_blob(v.data(), {n}, torch::kUInt8).clone().to(torch::kBool).reshape(shape);
  }
  if (t == c10::kInt || t == c10::kLong) {
    std::vector<int64_t> v(static_cast<size_t>(n));
    for (auto& x : v) x = random_int(r, t);
    return torch::from_blob(v.data(), {n}, torch::kLong).clone().to(t).reshape(shape);
  }
  const int profile = r.uni(6);
  const double special = r.pick(std::vector<double>{0.0, 0.05, 0.15, 0.4});
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) x = r.chance(special) ? special_float(r) : random_float(r, profile);
  return torch::from_blob(v.data(), {n}, torch::kDouble).clone().to(t).reshape(shape);
}

// A tensor of `shape` and dtype t in a random layout: contiguous, transposed,
// expanded (size-1 dims broadcast), sliced (step 2 / offset).
inline at::Tensor make_input(Rng& r, const std::vector<int64_t>& shape, c10::ScalarType t, std::string* how) {
  const int rank = static_cast<int>(shape.size());
  const int layout = r.uni(5);
  if (layout == 1 && rank >= 2) {
    std::vector<int64_t> perm(static_cast<size_t>(rank));
    for (int i = 0; i < rank; ++i) perm[static_cast<size_t>(i)] = i;
    for (int i = rank - 1; i > 0; --i) std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(r.uni(i + 1))]);
    std::vector<int64_t> pshape(static_cast<size_t>(rank)), inv(static_cast<size_t>(rank));
    for (int i = 0; i < rank; ++i) pshape[static_cast<size_t>(i)] = shape[static_cast<size_t>(perm[static_cast<size_t>(i)])];
    for (int i = 0; i < rank; ++i) inv[static_cast<size_t>(perm[static_cast<size_t>(i)])] = i;
    *how = "permuted";
    return fill(r, pshape, t).permute(inv);
  }
  if (layout == 2 && rank >= 1) {
    std::vector<int64_t> small = shape;
    bool any = false;
    for (auto& d : small) {
      if (d > 1 && r.chance(0.6)) {
        d = 1;
        any = true;
      }
    }
    if (any) {
      *how = "expanded";
      return fill(r, small, t).expand(shape);
    }
  }
  if (layout == 3 && rank >= 1) {
    const int dim = r.uni(rank);
    std::vector<int64_t> big = shape;
    big[static_cast<size_t>(dim)] = shape[static_cast<size_t>(dim)] * 2 + 1;
    *how = "sliced";
    return fill(r, big, t).slice(dim, 1, big[static_cast<size_t>(dim)], 2);
  }
  *how = "contiguous";
  return fill(r, shape, t);
}

// ---- the graph builder -------------------------------------------------------

struct Graph {
  std::vector<Val> vals;  // inputs, constants and results
  std::vector<NodeRec> nodes;
  std::vector<std::string> outputs;
  int counter = 0;
  std::string fresh(const char* p) { return std::string(p) + std::to_string(counter++); }
  const Val& get(const std::string& n) const {
    for (const Val& v : vals) {
      if (v.name == n) return v;
    }
    throw std::runtime_error("no value " + n);
  }
};

// A candidate op: its line (output named `out`), operands, constants it adds.
struct Cand {
  std::string kind;
  std::vector<std::string> args;  // operand names
  std::vector<Val> consts;        // constants created for it
  bool approx = false;
  int ulp = 4;
  double abs_eps = 0;
};

inline std::string node_line(const Cand& c, const std::string& out) {
  std::string s = "  %" + out + " : Tensor = " + c.kind + "(";
  for (size_t i = 0; i < c.args.size(); ++i) s += (i ? ", %" : "%") + c.args[i];
  return s + ")\n";
}

inline std::string const_line(const std::string& name, char kind, const std::string& value_text) {
  if (kind == 'n') return "  %" + name + " : NoneType = prim::Constant()\n";
  if (kind == 's') return "  %" + name + " : str = prim::Constant[value=\"" + value_text + "\"]()\n";
  return "  %" + name + " : " + type_name(kind) + " = prim::Constant[value=" + value_text + "]()\n";
}

inline std::shared_ptr<torch::jit::Graph> parse(const std::string& ir) {
  auto g = std::make_shared<torch::jit::Graph>();
  torch::jit::parseIR(ir, g.get());
  return g;
}

inline std::vector<c10::IValue> run_graph(const std::shared_ptr<torch::jit::Graph>& g, std::vector<c10::IValue> in) {
  torch::jit::Code code(g, "fuzz");
  torch::jit::Stack stack(std::move(in));
  torch::jit::InterpreterState(code).run(stack);
  return stack;
}

class Generator {
 public:
  // f32_share: the probability that the graph is float32-only (inputs) and
  // draws only from the float arithmetic/math/activation ops: graphs that
  // today's x86 backend (f32, a subset of ops) compiles whole more often.
  Generator(uint64_t seed, int max_ops, double f32_share) : r_(seed), max_ops_(max_ops) {
    f32_only_ = r_.chance(f32_share);
  }
  bool f32_only() const { return f32_only_; }

  Graph g;
  bool expect_error = false;  // the graph ends with an op eager rejects
  int rejected = 0;           // candidate ops eager rejected (redrawn)

  void build() {
    make_inputs();
    const int n_ops = 1 + r_.uni(max_ops_);
    const bool error_graph = r_.chance(0.03);
    for (int i = 0; i < n_ops; ++i) {
      bool done = false;
      for (int attempt = 0; attempt < 30 && !done; ++attempt) {
        Cand c = candidate();
        if (c.kind.empty()) continue;
        std::string why;
        at::Tensor result;
        if (try_eager(c, &result, &why)) {
          add(c, result);
          done = true;
        } else {
          ++rejected;
          if (error_graph && i == n_ops - 1 && !g.nodes.empty()) {
            add(c, at::Tensor());
            expect_error = true;
            done = true;
          }
        }
      }
      if (expect_error) break;
    }
    if (g.nodes.empty()) {  // every draw rejected (rare): one op that always works
      Cand c;
      c.kind = "aten::isnan";
      c.args = {first_tensor()};
      at::Tensor result;
      std::string why;
      try_eager(c, &result, &why);
      add(c, result);
    }
    // Outputs: the last result, and some earlier ones (multi-output groups).
    g.outputs.push_back(g.nodes.back().out);
    for (size_t i = 0; i + 1 < g.nodes.size(); ++i) {
      if (r_.chance(0.2)) g.outputs.push_back(g.nodes[i].out);
    }
  }

  // perturbed: each kApprox result r becomes r * %f + %a (extra inputs);
  // flip: each kApprox or maximum/minimum result that is zero flips its sign.
  // exact: nodes with an exact_line use it (the reference graphs).
  std::string text(bool perturbed = false, std::vector<std::string>* pert_inputs = nullptr, bool flip = false,
                   bool exact = false) const {
    std::string s = "graph(";
    bool first = true;
    for (const Val& v : g.vals) {
      if (!v.input) continue;
      s += (first ? "%" : ",\n      %") + v.name + " : " + type_name(v.kind);
      first = false;
    }
    if (perturbed && !flip) {
      for (const NodeRec& n : g.nodes) {
        if (!n.approx) continue;
        s += (first ? "%" : ",\n      %") + n.out + "__f : Tensor";
        first = false;
        pert_inputs->push_back(n.out);
        s += ",\n      %" + n.out + "__a : Tensor";
      }
    }
    s += "):\n";
    for (const Val& v : g.vals) {
      if (v.is_const) s += v.const_line;
    }
    for (const NodeRec& n : g.nodes) {
      const std::string& node_text = exact && !n.exact_line.empty() ? n.exact_line : n.line;
      if (perturbed && (flip ? n.approx || n.zero_sign : n.approx)) {
        std::string line = node_text;
        const std::string from = "%" + n.out + " :", to = "%" + n.out + "__r :";
        line.replace(line.find(from), from.size(), to);
        s += line;
        if (flip) {
          s += "  %" + n.out + "__zero : int = prim::Constant[value=0]()\n";
          s += "  %" + n.out + "__z : Tensor = aten::eq(%" + n.out + "__r, %" + n.out + "__zero)\n";
          s += "  %" + n.out + "__n : Tensor = aten::neg(%" + n.out + "__r)\n";
          s += "  %" + n.out + " : Tensor = aten::where(%" + n.out + "__z, %" + n.out + "__n, %" + n.out + "__r)\n";
          continue;
        }
        s += "  %" + n.out + "__m : Tensor = aten::mul(%" + n.out + "__r, %" + n.out + "__f)\n";
        s += "  %" + n.out + "__one : int = prim::Constant[value=1]()\n";
        s += "  %" + n.out + " : Tensor = aten::add(%" + n.out + "__m, %" + n.out + "__a, %" + n.out + "__one)\n";
      } else {
        s += node_text;
      }
    }
    s += "  return (";
    for (size_t i = 0; i < g.outputs.size(); ++i) s += (i ? ", %" : "%") + g.outputs[i];
    return s + ")\n";
  }

  // Whether some node's reference computes in float64 (exact_line).
  bool has_exact_lines() const {
    for (const NodeRec& n : g.nodes) {
      if (!n.exact_line.empty()) return true;
    }
    return false;
  }

  std::vector<c10::IValue> inputs() const {
    std::vector<c10::IValue> in;
    for (const Val& v : g.vals) {
      if (v.input) in.push_back(v.value);
    }
    return in;
  }

  std::string describe_inputs(bool values = false) const {
    std::ostringstream o;
    for (const Val& v : g.vals) {
      if (!v.input) continue;
      o << "  %" << v.name << ": ";
      if (v.kind == 'T') {
        const at::Tensor& t = v.value.toTensor();
        o << t.scalar_type() << " sizes " << t.sizes() << " strides " << t.strides() << " offset "
          << t.storage_offset() << " (" << layouts_.at(v.name) << ")";
        if (values) {
          std::ostringstream vals;
          vals.precision(9);
          vals << t.to(at::kDouble).reshape({-1});
          o << "\n" << vals.str();
        }
      } else {
        o << v.value;
      }
      o << "\n";
    }
    return o.str();
  }

  const std::vector<int64_t>& base() const { return base_; }

 private:
  Rng r_;
  int max_ops_;
  bool f32_only_ = false;
  std::vector<int64_t> base_;
  std::map<std::string, std::string> layouts_;

  void make_inputs() {
    const int rank = r_.uni(5);
    static const std::vector<int64_t> dims = {1, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 0};
    int64_t numel = 1;
    for (int i = 0; i < rank; ++i) {
      int64_t d = r_.pick(dims);
      if (d == 0 && !r_.chance(0.3)) d = 2;
      if (numel * std::max<int64_t>(d, 1) > 3000) d = 1;
      base_.push_back(d);
      numel *= std::max<int64_t>(d, 1);
    }
    static const std::vector<c10::ScalarType> types = {c10::kFloat, c10::kFloat, c10::kFloat, c10::kFloat,
                                                       c10::kDouble, c10::kInt,  c10::kLong,  c10::kBool,
                                                       c10::kHalf,  c10::kBFloat16};
    const int n_tensors = 1 + r_.uni(4);
    // Graphs are mostly single-dtype (what fuses), sometimes mixed.
    const c10::ScalarType main = f32_only_ ? c10::kFloat : r_.pick(types);
    for (int i = 0; i < n_tensors; ++i) {
      const c10::ScalarType t = f32_only_ || r_.chance(0.7) ? main : r_.pick(types);
      std::vector<int64_t> shape;
      if (!r_.chance(0.08)) {  // else 0-dim
        const int drop = base_.empty() ? 0 : r_.uni(static_cast<int>(base_.size()) + 1) / 2 * (r_.chance(0.3) ? 1 : 0);
        for (size_t d = static_cast<size_t>(drop); d < base_.size(); ++d) {
          shape.push_back(r_.chance(0.2) ? 1 : base_[d]);
        }
      }
      Val v;
      v.name = g.fresh("x");
      v.kind = 'T';
      v.input = true;
      std::string how;
      v.value = make_input(r_, shape, t, &how);
      layouts_[v.name] = how;
      g.vals.push_back(v);
    }
    const int n_scalars = r_.uni(3);
    for (int i = 0; i < n_scalars; ++i) {
      Val v;
      v.input = true;
      if (r_.chance(0.6)) {
        v.kind = 'f';
        v.name = g.fresh("s");
        v.value = r_.chance(0.15) ? special_float(r_) : random_float(r_, r_.uni(6));
      } else {
        v.kind = 'i';
        v.name = g.fresh("k");
        v.value = static_cast<int64_t>(r_.uni(9) - 4);
      }
      g.vals.push_back(v);
    }
  }

  std::string first_tensor() const {
    for (const Val& v : g.vals) {
      if (v.kind == 'T') return v.name;
    }
    return "";
  }

  c10::ScalarType dtype_of(const std::string& n) const { return g.get(n).value.toTensor().scalar_type(); }

  // A tensor operand: usually the latest result, else any tensor; `want`
  // filters (falls back to any tensor when none fits).
  std::string tensor(const std::function<bool(c10::ScalarType)>& want = nullptr, bool recent = true) {
    std::vector<std::string> all, fit;
    for (const Val& v : g.vals) {
      if (v.kind != 'T' || !v.value.isTensor()) continue;
      all.push_back(v.name);
      if (!want || want(v.value.toTensor().scalar_type())) fit.push_back(v.name);
    }
    const auto& from = fit.empty() ? all : fit;
    if (recent && r_.chance(0.55)) {
      for (auto it = g.nodes.rbegin(); it != g.nodes.rend(); ++it) {
        for (const auto& n : from) {
          if (n == it->out) return n;
        }
      }
    }
    return r_.pick(from);
  }

  std::string add_const(Cand& c, char kind, const std::string& text) {
    Val v;
    v.name = g.fresh("c");
    v.kind = kind == 'n' || kind == 's' ? 'b' : kind;  // type only matters for the line
    v.is_const = true;
    v.const_line = const_line(v.name, kind, text);
    if (kind == 'f') v.value = std::stod(text);
    else if (kind == 'i') v.value = static_cast<int64_t>(std::stoll(text));
    else if (kind == 'b') v.value = text == "1";
    else if (kind == 's') v.value = text;
    c.consts.push_back(v);
    return v.name;
  }
  std::string none(Cand& c) { return add_const(c, 'n', ""); }
  std::string cfloat(Cand& c, double v) { return add_const(c, 'f', float_text(v)); }
  std::string cint(Cand& c, int64_t v) { return add_const(c, 'i', std::to_string(v)); }

  // A number operand: a constant, or a scalar graph input.
  std::string number(Cand& c, bool allow_input = true) {
    if (allow_input && r_.chance(0.3)) {
      std::vector<std::string> s;
      for (const Val& v : g.vals) {
        if (v.input && v.kind != 'T') s.push_back(v.name);
      }
      if (!s.empty()) return r_.pick(s);
    }
    static const std::vector<double> f = {0.5, -1.5, 2.0, 3.0, -2.0, 0.25, 1e-3, 100.0, -0.0, 0.0, 1.0, 7.5, 1e10};
    if (r_.chance(0.6)) return cfloat(c, r_.pick(f));
    return cint(c, r_.uni(11) - 5);
  }
  // A second operand: a tensor or a number.
  std::string tensor_or_number(Cand& c, const std::function<bool(c10::ScalarType)>& want = nullptr) {
    if (r_.chance(0.3)) return number(c);
    return tensor(want, false);
  }

  Cand candidate() {
    Cand c;
    auto any = [](c10::ScalarType) { return true; };
    auto flt = [](c10::ScalarType t) { return is_float(t); };
    auto integral = [](c10::ScalarType t) { return t == c10::kBool || t == c10::kInt || t == c10::kLong; };
    auto boolean = [](c10::ScalarType t) { return t == c10::kBool; };
    static const std::vector<std::string> unary = {
        "neg", "abs", "reciprocal", "sqrt", "rsqrt", "relu", "exp", "log", "tanh", "sigmoid", "silu",
        "hardswish", "hardsigmoid", "mish", "erf", "erfc", "expm1", "log1p", "log2", "log10", "exp2", "floor",
        "ceil", "round", "trunc", "sign", "frac", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
        "asinh", "acosh", "atanh", "isnan", "isinf", "isfinite", "square", "relu6", "logical_not", "bitwise_not"};
    static const std::vector<std::string> binary_te = {"mul", "div", "floor_divide", "remainder", "fmod", "eq", "ne",
                                                       "lt", "le", "gt", "ge", "bitwise_and", "bitwise_or",
                                                       "bitwise_xor", "xlogy"};
    static const std::vector<std::string> binary_tt = {"maximum", "minimum", "logical_and", "logical_or",
                                                       "logical_xor", "atan2"};
    const int family = r_.uni(100);
    if (family < 30) {
      const std::string& op = r_.pick(unary);
      c.kind = "aten::" + op;
      std::function<bool(c10::ScalarType)> want = any;
      if (op == "bitwise_not") want = integral;
      c.args = {tensor(want)};
    } else if (family < 42) {  // add / sub with optional alpha
      c.kind = r_.chance(0.5) ? "aten::add" : "aten::sub";
      c.args = {tensor(), tensor_or_number(c)};
      const int a = r_.uni(10);
      if (a < 5) c.args.push_back(cint(c, 1));
      else if (a < 7) c.args.push_back(cint(c, r_.uni(7) - 3));
      else if (a < 9) c.args.push_back(cfloat(c, r_.pick(std::vector<double>{0.5, -1.0, 2.5, 1.0})));
      else c.args.push_back(number(c));  // maybe a graph input: not fusible
    } else if (family < 62) {
      const std::string& op = r_.pick(binary_te);
      c.kind = "aten::" + op;
      std::function<bool(c10::ScalarType)> want = any;
      if (op.rfind("bitwise", 0) == 0) want = integral;
      c.args = {tensor(want)};
      c.args.push_back(tensor_or_number(c, want));
    } else if (family < 70) {
      c.kind = "aten::" + r_.pick(binary_tt);
      c.args = {tensor(), tensor(nullptr, false)};
    } else if (family < 74) {  // clamp_min / clamp_max / clamp / hardtanh
      const int k = r_.uni(4);
      const std::string x = tensor();
      if (k < 2) {
        c.kind = k == 0 ? "aten::clamp_min" : "aten::clamp_max";
        c.args = {x, number(c)};
      } else if (k == 2) {
        c.kind = "aten::clamp";
        const int which = r_.uni(3);
        const std::string lo = which == 1 ? none(c) : cfloat(c, r_.pick(std::vector<double>{-1.0, -0.5, 0.0, -3.0}));
        const std::string hi = which == 2 ? none(c) : number(c);
        c.args = {x, lo, hi};
      } else {
        c.kind = "aten::hardtanh";
        c.args = {x, cfloat(c, -1.0 * (1 + r_.uni(3))), cfloat(c, 1.0 * (1 + r_.uni(3)))};
      }
    } else if (family < 77) {  // pow with a uniform exponent
      c.kind = "aten::pow";
      static const std::vector<double> e = {2.0, 3.0, -2.0, 0.5, -0.5, -1.0, 1.5, 2.5, 0.0, 1.0, -3.0};
      c.args = {tensor(flt)};
      if (r_.chance(0.2)) c.args.push_back(cint(c, r_.uni(5) - 1));
      else c.args.push_back(r_.chance(0.1) ? number(c) : cfloat(c, r_.pick(e)));
      c.approx = true;
    } else if (family < 81) {  // where / masked_fill
      const std::string cond = tensor(boolean, false);
      if (r_.chance(0.7)) {
        c.kind = "aten::where";
        c.args = {cond, tensor(), tensor_or_number(c)};
      } else {
        c.kind = "aten::masked_fill";
        c.args = {tensor(), cond, number(c)};
      }
    } else if (family < 91) {  // activations with arguments
      const int k = r_.uni(7);
      const std::string x = tensor(flt);
      if (k == 0) {
        c.kind = "aten::leaky_relu";
        c.args = {x, cfloat(c, r_.pick(std::vector<double>{0.01, 0.2, -0.5, 1.5}))};
      } else if (k == 1) {
        c.kind = "aten::elu";
        const bool odd = r_.chance(0.2);  // scale != 1: not fused
        c.args = {x, cfloat(c, r_.pick(std::vector<double>{1.0, 0.5, 2.0})), odd ? cfloat(c, 1.5) : cint(c, 1),
                  cint(c, 1)};
      } else if (k == 2) {
        c.kind = "aten::softplus";
        const bool odd = r_.chance(0.2);
        c.args = {x, cint(c, odd ? 2 : 1), cint(c, 20)};
      } else if (k == 3) {
        c.kind = "aten::threshold";
        c.args = {x, cfloat(c, r_.pick(std::vector<double>{0.0, 0.5, -1.0})), cfloat(c, r_.pick(std::vector<double>{0.0, -7.0, 2.5}))};
      } else if (k == 4) {
        c.kind = "aten::gelu";
        c.args = {x, add_const(c, 's', r_.chance(0.5) ? "tanh" : "none")};
      } else if (k == 5) {
        c.kind = "aten::logit";
        c.args = {x, none(c)};
      } else {
        c.kind = "aten::nan_to_num";
        c.args = {x, none(c), none(c), none(c)};
      }
    } else if (family < 95) {  // lerp, addcmul, addcdiv
      const int k = r_.uni(3);
      if (k == 0) {
        c.kind = "aten::lerp";
        const std::string a = tensor(flt);
        c.args = {a, tensor(flt, false), r_.chance(0.5) ? tensor(flt, false) : cfloat(c, r_.pick(std::vector<double>{0.25, 0.5, 0.75, -1.0}))};
      } else {
        c.kind = k == 1 ? "aten::addcmul" : "aten::addcdiv";
        c.args = {tensor(), tensor(nullptr, false), tensor(nullptr, false), cfloat(c, r_.pick(std::vector<double>{1.0, 0.5, -2.0}))};
      }
    } else if (family < 98) {  // not fused: a cast (aten::to)
      c.kind = "aten::to";
      static const std::vector<int64_t> dts = {6, 6, 7, 3, 4, 11, 5, 15};  // f32 f32 f64 i32 i64 bool f16 bf16
      c.args = {tensor(), cint(c, r_.pick(dts)), add_const(c, 'b', "0"), add_const(c, 'b', "0"), none(c)};
    } else {  // not fused: transpose (a strided intermediate)
      std::vector<std::string> ok;
      for (const Val& v : g.vals) {
        if (v.kind == 'T' && v.value.isTensor() && v.value.toTensor().dim() >= 2) ok.push_back(v.name);
      }
      if (ok.empty()) return Cand();
      c.kind = "aten::transpose";
      c.args = {r_.pick(ok), cint(c, 0), cint(c, -1)};
    }
    const std::string base = c.kind;
    static const std::set<std::string> not_f32 = {
        "aten::logical_not", "aten::bitwise_not", "aten::isnan", "aten::isinf", "aten::isfinite", "aten::eq",
        "aten::ne", "aten::lt", "aten::le", "aten::gt", "aten::ge", "aten::bitwise_and", "aten::bitwise_or",
        "aten::bitwise_xor", "aten::logical_and", "aten::logical_or", "aten::logical_xor", "aten::where",
        "aten::masked_fill", "aten::to", "aten::floor_divide", "aten::remainder", "aten::fmod"};
    if (f32_only_ && not_f32.count(base)) return Cand();
    if (approx_ops().count(base)) {
      // Perturbed by the op's documented bound (tests/eager_accuracy.h).
      const fuze::testing::Accuracy acc = fuze::testing::accuracy(base.substr(6));
      c.approx = true;
      c.ulp = static_cast<int>(acc.ulp);
      c.abs_eps = acc.abs_eps;
    }
    return c;
  }

  const Val& find(const Cand& c, const std::string& n) const {
    for (const Val& v : c.consts) {
      if (v.name == n) return v;
    }
    return g.get(n);
  }

  // Operands eager cannot take safely, found before running it: an integer
  // fmod/remainder/floor_divide by 0 or -1 (INT_MIN % -1) kills the process
  // with SIGFPE in eager; log1p on float32 above 1e38, where eager's
  // vectorised SLEEF log1pf returns inf (its scalar tail: the finite value; see
  // tests/eager), so eager has no single answer.
  bool unsafe(const Cand& c) const {
    const std::string& k = c.kind;
    auto integral = [](c10::ScalarType t) { return !c10::isFloatingType(t); };
    if (k == "aten::fmod" || k == "aten::remainder" || k == "aten::floor_divide") {
      const Val& a = find(c, c.args[0]);
      const Val& b = find(c, c.args[1]);
      if (!integral(a.value.toTensor().scalar_type())) return false;
      if (b.value.isTensor()) {
        const at::Tensor& t = b.value.toTensor();
        if (!integral(t.scalar_type())) return false;
        const at::Tensor l = t.to(at::kLong);
        return (l == 0).any().item<bool>() || (l == -1).any().item<bool>();
      }
      if (b.value.isDouble()) return false;
      const int64_t v = b.value.isInt() ? b.value.toInt() : (b.value.toBool() ? 1 : 0);
      return v == 0 || v == -1;
    }
    if (k == "aten::log1p") {
      const at::Tensor& t = find(c, c.args[0]).value.toTensor();
      return t.scalar_type() == c10::kFloat && (t > 1e38).any().item<bool>();
    }
    return false;
  }

  // Runs the candidate alone in eager (TorchScript interpreter on one node).
  bool try_eager(const Cand& c, at::Tensor* result, std::string* why) {
    if (unsafe(c)) {
      *why = "unsafe operands";
      return false;
    }
    std::string ir = "graph(";
    std::vector<c10::IValue> in;
    std::set<std::string> seen;
    std::string consts;
    for (const std::string& a : c.args) {
      if (!seen.insert(a).second) continue;
      const Val& v = find(c, a);
      if (v.is_const) {
        consts += v.const_line;
        continue;
      }
      ir += (in.empty() ? "%" : ", %") + a + " : " + type_name(v.kind);
      in.push_back(v.value);
    }
    ir += "):\n" + consts + node_line(c, "out") + "  return (%out)\n";
    try {
      auto out = run_graph(parse(ir), in);
      *result = out.at(0).toTensor();
      return true;
    } catch (const std::exception& e) {
      *why = e.what();
      return false;
    }
  }

  // The reference's lines for a float32 result of an op that eager computes
  // inaccurately in float32 on this CPU (tests/eager_accuracy.h): each
  // floating tensor operand widened to float64, the op, the result rounded
  // back to its dtype. "" for every other op.
  std::string exact_line(const Cand& c, const std::string& out, const at::Tensor& result) const {
    if (!result.defined() || result.scalar_type() != c10::kFloat) return "";
    if (fuze::testing::eager_f32_accurate(c.kind)) return "";
    const std::string p = "%" + out + "__";
    std::string s = "  " + p + "f64 : int = prim::Constant[value=7]()\n" +
                    "  " + p + "dt : int = prim::Constant[value=" + std::to_string(static_cast<int>(result.scalar_type())) + "]()\n" +
                    "  " + p + "no : bool = prim::Constant[value=0]()\n" + "  " + p + "none : NoneType = prim::Constant()\n";
    auto to = [&](const std::string& dst, const std::string& src, const std::string& dtype) {
      return "  " + dst + " : Tensor = aten::to(" + src + ", " + dtype + ", " + p + "no, " + p + "no, " + p + "none)\n";
    };
    Cand wide = c;
    for (size_t i = 0; i < c.args.size(); ++i) {
      const Val& v = find(c, c.args[i]);
      if (v.kind != 'T' || !v.value.isTensor() || !v.value.toTensor().is_floating_point()) continue;
      wide.args[i] = out + "__w" + std::to_string(i);
      s += to("%" + wide.args[i], "%" + c.args[i], p + "f64");
    }
    return s + node_line(wide, out + "__x") + to("%" + out, p + "x", p + "dt");
  }

  void add(const Cand& c, const at::Tensor& result) {
    int approx = 0, ambig = 0;
    for (const std::string& a : c.args) {
      const Val& v = find(c, a);
      approx = std::max(approx, v.approx);
      ambig = std::max(ambig, v.ambig);
    }
    for (const Val& v : c.consts) g.vals.push_back(v);
    NodeRec n;
    n.out = g.fresh("v");
    n.line = node_line(c, n.out);
    const bool fl = result.defined() && (result.scalar_type() == c10::kFloat || result.scalar_type() == c10::kDouble);
    n.approx = c.approx && fl;
    n.zero_sign = fl && (c.kind == "aten::maximum" || c.kind == "aten::minimum");
    n.ulp = c.ulp;
    n.abs_eps = c.abs_eps;
    n.exact_line = exact_line(c, n.out, result);
    g.nodes.push_back(n);
    Val v;
    v.name = n.out;
    v.kind = 'T';
    v.value = result.defined() ? c10::IValue(result) : c10::IValue();
    v.approx = approx + (c.approx ? 1 : 0);
    v.ambig = ambig + (n.zero_sign ? 1 : 0);
    g.vals.push_back(v);
  }
};

}  // namespace fuze_fuzz
