// fuze_fuzz: the seeded random-graph differential fuzzer (issue 8).
//
// Graph i of a run is generated from seed (--seed + i) alone: random inputs
// (dtypes f32 f64 i32 i64 bool f16 bf16; shapes of rank 0-4 with broadcasting,
// size-0 and size-1 dims; contiguous, transposed, expanded or sliced layouts;
// NaN, +-inf, +-0, denormals, huge and tiny values; Python float/int scalar
// inputs and constants), then 1 to 12 ops drawn from every op the fusion pass
// knows (ops.def plus clamp/hardtanh/relu6/addcmul/addcdiv/square/masked_fill)
// with their overloads (alpha, scalar operands, optional arguments), plus a
// few nodes fuze does not fuse (aten::to, transpose, a non-constant alpha)
// that split groups. Each candidate op is run once in eager on the values so
// far; one that eager rejects (dtype not accepted, integer division by zero)
// is redrawn, so graphs are valid by construction, except that a few graphs
// on purpose end with a rejected op: then the fused graph must throw too.
//
// The unfused graph runs through TorchScript's interpreter (op by op ATen:
// the reference); a copy goes through fuze::fuse_graph and runs the same way.
// Per output: same shape, dtype and strides, then values:
//  - an output that depends on no transcendental (kApprox) op and no
//    maximum/minimum: bit for bit, NaN matched by isnan, the sign of zero
//    included;
//  - otherwise: the reference graph is re-run seven times: six with the result
//    of every float32/float64 kApprox op perturbed by its ULP bound (4 ULP;
//    mish 16; gelu also +-4 eps absolute, see tests/eager): all up, all down,
//    two random per-element signs, twice by the smallest denormal alone (+, -);
//    and once with every zero result of a kApprox op or of maximum/minimum
//    flipped in sign (eager's maximum/minimum answer a +-0 tie either way:
//    vector body vs scalar tail). fuze must lie in the spread of those runs and
//    the reference, widened by 4 ULP of the value per kApprox op on the path
//    plus the smallest normal (results that cancel to ~0); with no kApprox op
//    on the path, not widened at all. A bool or integer result must equal one
//    of the runs; NaN must be NaN in some run.
//    So error compounding through the chain (cancellation, a comparison or
//    floor after exp...) is measured on eager itself, not guessed.
//
// Output strides (of dims of size > 1) are compared too: a difference is a
// mismatch (with --loose-strides it is only counted and printed).
//
// Usage: fuze_fuzz [--seed S] [--graphs N] [--threads T] [--grain G] [--verbose] [--max-ops K]
//                  [--f32-share P (0.4)] [--loose-strides]
// Backend and ISA: FUZE_BACKEND=interp|x86, FUZE_X86_ISA=sse|avx2|avx512.
// A mismatch prints the seed, the graph, the inputs and the first differing
// element; `--seed S --graphs 1 --verbose` regenerates exactly that graph.
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

#include "frontend/frontend.h"
#include "fuze/fuze.h"
#include "runtime/runtime.h"

namespace {

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

std::string type_name(char k) {
  switch (k) {
    case 'T': return "Tensor";
    case 'f': return "float";
    case 'i': return "int";
    default: return "bool";
  }
}

std::string float_text(double v) {
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
  int ulp = 4;          // its bound
  double abs_eps = 0;   // absolute bound in units of eps (gelu)
};

const std::set<std::string>& approx_ops() {
  static const std::set<std::string> s = [] {
    std::set<std::string> out;
    for (int i = 0; i < fuze::ir::num_ops(); ++i) {
      const auto& info = fuze::ir::op_info(fuze::ir::op_at(i));
      if ((info.flags & fuze::ir::kApprox) != 0 && info.aten != nullptr && info.aten[0] != '\0') {
        out.insert(info.aten);
      }
    }
    return out;
  }();
  return s;
}

bool is_float(c10::ScalarType t) { return c10::isFloatingType(t); }

// ---- inputs ------------------------------------------------------------------

double special_float(Rng& r) {
  static const std::vector<double> v = {
      0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1.5, 3.0, 20.0, -20.0, 88.7, -88.7, -103.5, 709.5,
      std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(), 1e-40, -1e-40, 1.17549435e-38, 1e-30, -1e-30, 1e30, -1e30,
      3.4e38, -3.4e38, 1e300, 1e-310, 0.1, 6.0, -3.0, 0.999, -0.999};
  return r.pick(v);
}

double random_float(Rng& r, int profile) {
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

int64_t random_int(Rng& r, c10::ScalarType t) {
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

at::Tensor fill(Rng& r, const std::vector<int64_t>& shape, c10::ScalarType t) {
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
at::Tensor make_input(Rng& r, const std::vector<int64_t>& shape, c10::ScalarType t, std::string* how) {
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

std::string node_line(const Cand& c, const std::string& out) {
  std::string s = "  %" + out + " : Tensor = " + c.kind + "(";
  for (size_t i = 0; i < c.args.size(); ++i) s += (i ? ", %" : "%") + c.args[i];
  return s + ")\n";
}

std::string const_line(const std::string& name, char kind, const std::string& value_text) {
  if (kind == 'n') return "  %" + name + " : NoneType = prim::Constant()\n";
  if (kind == 's') return "  %" + name + " : str = prim::Constant[value=\"" + value_text + "\"]()\n";
  return "  %" + name + " : " + type_name(kind) + " = prim::Constant[value=" + value_text + "]()\n";
}

std::shared_ptr<torch::jit::Graph> parse(const std::string& ir) {
  auto g = std::make_shared<torch::jit::Graph>();
  torch::jit::parseIR(ir, g.get());
  return g;
}

std::vector<c10::IValue> run_graph(const std::shared_ptr<torch::jit::Graph>& g, std::vector<c10::IValue> in) {
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
  std::string text(bool perturbed = false, std::vector<std::string>* pert_inputs = nullptr, bool flip = false) const {
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
      if (perturbed && (flip ? n.approx || n.zero_sign : n.approx)) {
        std::string line = n.line;
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
        s += n.line;
      }
    }
    s += "  return (";
    for (size_t i = 0; i < g.outputs.size(); ++i) s += (i ? ", %" : "%") + g.outputs[i];
    return s + ")\n";
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
        c.abs_eps = 4;
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
    if (approx_ops().count(base)) c.approx = true;
    if (base == "aten::mish") c.ulp = 16;
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

// ---- comparison ----------------------------------------------------------------

double ulp_of(double v, c10::ScalarType t) {
  v = std::fabs(v);
  if (std::isinf(v) || std::isnan(v)) return 0;
  if (t == c10::kDouble) {
    return std::max(std::nextafter(v, INFINITY) - v, std::numeric_limits<double>::denorm_min());
  }
  const float f = static_cast<float>(v);
  if (std::isinf(f)) return 0;
  return static_cast<double>(std::nextafter(f, INFINITY) - f);
}

bool same_bits(const at::Tensor& a, const at::Tensor& b, int64_t i) {
  const int64_t size = static_cast<int64_t>(a.element_size());
  const char* pa = static_cast<const char*>(a.data_ptr()) + i * size;
  const char* pb = static_cast<const char*>(b.data_ptr()) + i * size;
  return std::memcmp(pa, pb, static_cast<size_t>(size)) == 0;
}

std::string elem_text(const at::Tensor& flat, int64_t i) {
  std::ostringstream o;
  o.precision(17);
  if (is_float(flat.scalar_type())) o << flat[i].item<double>();
  else o << flat[i].item<int64_t>();
  return o.str();
}

// Compares fuze's output `got` with the reference `ref`; `runs` are the
// perturbed reference runs (empty: bit for bit). Returns "" or the first mismatch.
std::string compare(const at::Tensor& got, const at::Tensor& ref, const std::vector<at::Tensor>& runs, int n_approx,
                    std::string* stride_diff) {
  std::ostringstream o;
  if (got.sizes() != ref.sizes()) {
    o << "shape " << got.sizes() << " vs eager " << ref.sizes();
    return o.str();
  }
  if (got.scalar_type() != ref.scalar_type()) {
    o << "dtype " << got.scalar_type() << " vs eager " << ref.scalar_type();
    return o.str();
  }
  if (got.numel() > 1) {
    // Strides of dims of size > 1 (size-1 dims' strides do not matter).
    bool same = true;
    for (int64_t d = 0; d < got.dim(); ++d) {
      if (got.size(d) > 1 && got.stride(d) != ref.stride(d)) same = false;
    }
    if (!same) {
      std::ostringstream so;
      so << "strides " << got.strides() << " vs eager " << ref.strides() << " (sizes " << got.sizes() << ")";
      *stride_diff = so.str();
    }
  }
  const int64_t n = got.numel();
  if (n == 0) return "";
  const c10::ScalarType t = ref.scalar_type();
  at::Tensor g = got.contiguous().reshape({n}), r = ref.contiguous().reshape({n});
  std::vector<at::Tensor> rs;
  for (const at::Tensor& x : runs) rs.push_back(x.contiguous().reshape({n}));
  const bool fl = is_float(t);
  at::Tensor gd = fl ? g.to(at::kDouble) : g, rd = fl ? r.to(at::kDouble) : r;
  std::vector<at::Tensor> rsd;
  for (const at::Tensor& x : rs) rsd.push_back(fl ? x.to(at::kDouble) : x);
  const double* gp = fl ? gd.data_ptr<double>() : nullptr;
  const double* rp = fl ? rd.data_ptr<double>() : nullptr;
  for (int64_t i = 0; i < n; ++i) {
    bool ok;
    std::string rule;
    if (runs.empty()) {
      if (fl && std::isnan(gp[i]) && std::isnan(rp[i])) ok = true;
      else ok = same_bits(g, r, i);
      rule = "bit for bit";
    } else if (!fl) {
      ok = same_bits(g, r, i);
      for (const at::Tensor& x : rs) ok = ok || same_bits(g, x, i);
      rule = "equal to the reference or a perturbed run";
    } else {
      const double gv = gp[i];
      std::vector<double> vs = {rp[i]};
      for (const at::Tensor& x : rsd) vs.push_back(x.data_ptr<double>()[i]);
      bool any_nan = false, any_num = false;
      double lo = INFINITY, hi = -INFINITY;
      for (double v : vs) {
        if (std::isnan(v)) {
          any_nan = true;
        } else {
          any_num = true;
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
      }
      if (std::isnan(gv)) {
        ok = any_nan;
      } else if (!any_num) {
        ok = false;
      } else {
        const double tiny = t == c10::kDouble ? std::numeric_limits<double>::min() : std::numeric_limits<float>::min();
        // No transcendental on the path (only maximum/minimum zero signs): no slack.
        const double slack = n_approx == 0 ? 0.0 : 4.0 * n_approx * std::max(ulp_of(lo, t), ulp_of(hi, t)) + tiny;
        ok = (gv >= lo - slack && gv <= hi + slack) || gv == lo || gv == hi;
      }
      rule = "within the perturbed runs' spread +- 4 ULP per transcendental";
    }
    if (!ok) {
      o << "element " << i << " (row-major): fuze " << elem_text(g, i) << " vs eager " << elem_text(r, i);
      if (!runs.empty()) {
        o << " (perturbed runs:";
        for (const at::Tensor& x : rs) o << " " << elem_text(x, i);
        o << ")";
      }
      o << "; rule: " << rule;
      return o.str();
    }
  }
  return "";
}

// ---- regressions: graphs the fuzzer found wrong once, kept as fixed IR ----------

struct Regression {
  const char* name;
  const char* ir;
  std::function<std::vector<c10::IValue>()> inputs;
};

const std::vector<Regression>& regressions() {
  static const std::vector<Regression> r = {
      // sub with an integer alpha 0: eager computes a + 0 * b (the negated
      // alpha), not a - 0 * b; the zero's sign differs (random seed 379).
      {"sub_int_alpha_zero",
       R"IR(graph(%a : Tensor, %b : Tensor):
  %zero : int = prim::Constant[value=0]()
  %v : Tensor = aten::sub(%a, %b, %zero)
  %r : Tensor = aten::neg(%v)
  return (%r, %v))IR",
       [] {
         return std::vector<c10::IValue>{torch::tensor({-0.f, -0.f, 0.f, 0.f, -0.f}),
                                         torch::tensor({-1.f, 1.f, -1.f, 1.f, -0.f})};
       }},
      // lerp: libtorch 1.13 takes a + w (b - a) for every w < 0.5 (not |w| < 0.5):
      // lerp(0, -inf, -inf) = +inf, and w = -1.3 rounds like the small form
      // (random seed 1000158).
      {"lerp_negative_weight",
       R"IR(graph(%a : Tensor, %b : Tensor, %w : Tensor):
  %l : Tensor = aten::lerp(%a, %b, %w)
  %r : Tensor = aten::neg(%l)
  return (%r))IR",
       [] {
         const float inf = std::numeric_limits<float>::infinity();
         return std::vector<c10::IValue>{torch::tensor({0.f, 0.1f, 0.3f, -2.7f, 1.f, 0.f}),
                                         torch::tensor({-inf, 0.7f, 0.9f, 3.1f, 2.f, inf}),
                                         torch::tensor({-inf, -1.3f, -0.7f, -2.9f, 0.5f, -inf})};
       }},
  };
  return r;
}

int run_regressions() {
  int bad = 0;
  for (const Regression& reg : regressions()) {
    auto original = parse(reg.ir);
    auto fused = original->copy();
    const int groups = fuze::fuse_graph(fused);
    fuze::reset_stats();
    auto ref = run_graph(original, reg.inputs());
    auto out = run_graph(fused, reg.inputs());
    std::string why = groups == 0 || fuze::stats().kernel_calls == 0 ? "no kernel ran" : "";
    for (size_t i = 0; i < ref.size() && why.empty(); ++i) {
      std::string strides;
      why = compare(out[i].toTensor(), ref[i].toTensor(), {}, 0, &strides);
      if (!why.empty()) why = "output " + std::to_string(i) + ": " + why;
    }
    if (!why.empty()) {
      std::cout << "MISMATCH regression " << reg.name << ": " << why << "\ngraph:\n" << reg.ir << "\n";
      ++bad;
    }
  }
  std::cout << "regressions: " << regressions().size() << " fixed graphs, " << bad << " mismatches\n";
  return bad;
}

// ---- main -------------------------------------------------------------------

struct Totals {
  uint64_t graphs = 0, with_groups = 0, ran_kernels = 0, with_fallbacks = 0, groups = 0, kernel_calls = 0,
           fallbacks = 0, error_graphs = 0, rejected = 0, ops = 0, approx_graphs = 0, mismatches = 0, stride_diffs = 0, f32_graphs = 0, compiles = 0,
           compile_failures = 0, perturbed_rejected = 0;
};

at::Tensor perturbation(Rng& r, const at::Tensor& like, int mode, double k, bool absolute, bool zero_sign_only) {
  const int64_t n = like.numel();
  std::vector<double> v(static_cast<size_t>(n));
  (void)zero_sign_only;
  const double eps = like.scalar_type() == c10::kDouble ? std::numeric_limits<double>::epsilon()
                                                        : static_cast<double>(std::numeric_limits<float>::epsilon());
  for (auto& x : v) {
    // Modes: 0 all up, 1 all down, 2-3 random signs, 4-5 only the smallest
    // step (+ then -), which moves zeros and denormals alone (the sign of an
    // underflowed zero then shows through 1/x, atan2, ...).
    if (mode >= 4) {
      const double tiny = like.scalar_type() == c10::kDouble ? std::numeric_limits<double>::denorm_min()
                                                             : 1.4012984643248171e-45;
      x = absolute ? (mode == 4 ? tiny : -tiny) : 1.0;
      continue;
    }
    const double s = mode == 0 ? 1.0 : mode == 1 ? -1.0 : (r.chance(0.5) ? 1.0 : -1.0);
    // The absolute term also moves a zero off zero (either sign) and a denormal
    // by one step: approximations differ in the sign of an underflowed result.
    x = absolute ? s * std::max(k * eps, like.scalar_type() == c10::kDouble ? std::numeric_limits<double>::denorm_min()
                                                                           : 1.4012984643248171e-45)
                 : 1.0 + s * k * eps;
  }
  return torch::from_blob(v.data(), {n}, torch::kDouble).clone().to(like.scalar_type()).reshape(like.sizes());
}

int run(uint64_t seed0, int graphs, int max_ops, double f32_share, bool verbose, bool strict_strides) {
  Totals tot;
  const auto start = std::chrono::steady_clock::now();
  for (int gi = 0; gi < graphs; ++gi) {
    const uint64_t seed = seed0 + static_cast<uint64_t>(gi);
    if (std::getenv("FUZE_FUZZ_TRACE") != nullptr) std::cerr << "seed " << seed << std::endl;
    Generator gen(seed, max_ops, f32_share);
    gen.build();
    const std::string ir = gen.text();
    tot.graphs++;
    tot.rejected += static_cast<uint64_t>(gen.rejected);
    tot.ops += gen.g.nodes.size();
    tot.f32_graphs += gen.f32_only();
    auto report = [&](const std::string& what) {
      tot.mismatches++;
      std::cout << "MISMATCH seed " << seed << ": " << what << "\n"
                << "reproduce: FUZE_BACKEND=" << fuze::backend_name(fuze::runtime::options().backend)
                << (std::getenv("FUZE_X86_ISA") ? std::string(" FUZE_X86_ISA=") + std::getenv("FUZE_X86_ISA") : "")
                << " fuze_fuzz --seed " << seed << " --graphs 1 --max-ops " << max_ops << " --f32-share " << f32_share
                << " --verbose\n"
                << "graph:\n" << ir << "inputs:\n" << gen.describe_inputs() << std::flush;
    };
    std::shared_ptr<torch::jit::Graph> original, fused;
    try {
      original = parse(ir);
      fused = original->copy();
    } catch (const std::exception& e) {
      report(std::string("generated IR does not parse: ") + e.what());
      continue;
    }
    const int groups = fuze::fuse_graph(fused);
    tot.groups += static_cast<uint64_t>(groups);
    tot.with_groups += groups > 0;
    if (verbose) std::cout << "seed " << seed << "\n" << ir << "inputs:\n" << gen.describe_inputs(true) << "fused:\n" << *fused;

    std::vector<c10::IValue> ref, out;
    std::string ref_err, out_err;
    try {
      ref = run_graph(original, gen.inputs());
    } catch (const std::exception& e) {
      ref_err = e.what();
    }
    fuze::reset_stats();
    try {
      out = run_graph(fused, gen.inputs());
    } catch (const std::exception& e) {
      out_err = e.what();
    }
    const fuze::Stats st = fuze::stats();
    tot.kernel_calls += st.kernel_calls;
    tot.fallbacks += st.fallbacks;
    tot.compiles += st.compiles;
    tot.compile_failures += st.compile_failures;
    tot.ran_kernels += st.kernel_calls > 0;
    tot.with_fallbacks += st.fallbacks > 0;
    if (verbose) {
      std::cout << "groups " << groups << ", kernel calls " << st.kernel_calls << ", fallbacks " << st.fallbacks << "\n";
    }

    if (!ref_err.empty() || !out_err.empty()) {
      if (gen.expect_error) tot.error_graphs++;
      if (ref_err.empty()) report("fuze threw, eager did not: " + out_err.substr(0, 400));
      else if (out_err.empty()) report("eager threw, fuze did not: " + ref_err.substr(0, 400));
      else if (!gen.expect_error) report("eager threw on a graph built to be valid: " + ref_err.substr(0, 400));
      continue;
    }
    if (gen.expect_error) {
      report("the graph ends with an op eager rejected alone, yet both ran");
      continue;
    }
    if (ref.size() != out.size()) {
      report("output count differs");
      continue;
    }
    // Perturbed reference runs when an output depends on a kApprox op.
    bool any_approx = false;
    for (const NodeRec& n : gen.g.nodes) any_approx = any_approx || n.approx || n.zero_sign;
    std::vector<std::vector<c10::IValue>> runs;
    if (any_approx) {
      tot.approx_graphs++;
      std::vector<std::string> pert;
      const std::string pir = gen.text(true, &pert);
      auto pg = parse(pir);
      Rng pr(seed ^ 0x5bd1e995ull);
      for (int mode = 0; mode < 6; ++mode) {
        std::vector<c10::IValue> in = gen.inputs();
        for (const std::string& name : pert) {
          const NodeRec* rec = nullptr;
          for (const NodeRec& n : gen.g.nodes) {
            if (n.out == name) rec = &n;
          }
          const at::Tensor like = gen.g.get(name).value.toTensor();
          in.push_back(perturbation(pr, like, mode, rec->ulp, false, rec->zero_sign));
          in.push_back(perturbation(pr, like, mode, rec->abs_eps, true, rec->zero_sign));
        }
        try {
          runs.push_back(run_graph(pg, in));
        } catch (const std::exception&) {
          // A perturbed value can make eager itself reject the graph (a
          // perturbed 0/1 used as a mask): that run gives no bound, skip it.
          tot.perturbed_rejected++;
        }
      }
      // Run 7: every zero result of a kApprox op or of maximum/minimum flips
      // its sign, nothing else moves (eager's maximum/minimum answer a +-0 tie
      // either way: vector body vs scalar tail; approximations differ in the
      // sign of an underflowed zero).
      if (!runs.empty()) {
        try {
          std::vector<std::string> unused;
          runs.push_back(run_graph(parse(gen.text(true, &unused, true)), gen.inputs()));
        } catch (const std::exception& e) {
          report(std::string("zero-sign reference run failed: ") + e.what());
          runs.clear();
        }
      }
    }
    for (size_t i = 0; i < ref.size(); ++i) {
      const Val& v = gen.g.get(gen.g.outputs[i]);
      std::vector<at::Tensor> rs;
      if (v.approx > 0 || v.ambig > 0) {
        for (const auto& run : runs) rs.push_back(run[i].toTensor());
      }
      std::string stride_diff;
      const std::string why = compare(out[i].toTensor(), ref[i].toTensor(), rs, v.approx, &stride_diff);
      if (!stride_diff.empty() && why.empty()) {
        tot.stride_diffs++;
        if (strict_strides) {
          report("output " + std::to_string(i) + " (%" + gen.g.outputs[i] + "): " + stride_diff);
          break;
        }
        if (tot.stride_diffs <= 3 || verbose) {
          std::cout << "strides differ, seed " << seed << ": output " << i << " (%" << gen.g.outputs[i]
                    << "): " << stride_diff << " (values equal; counted only: --loose-strides)\n";
        }
      }
      if (!why.empty()) {
        report("output " + std::to_string(i) + " (%" + gen.g.outputs[i] + "): " + why);
        break;
      }
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const fuze::Options o = fuze::options();
  std::cout << "fuze_fuzz: backend " << fuze::backend_name(o.backend)
            << (std::getenv("FUZE_X86_ISA") ? std::string(" (FUZE_X86_ISA=") + std::getenv("FUZE_X86_ISA") + ")" : "")
            << ", seeds " << seed0 << ".." << seed0 + static_cast<uint64_t>(graphs) - 1 << "\n"
            << "graphs: " << tot.graphs << " (" << tot.ops << " ops, " << tot.rejected
            << " candidate ops redrawn after eager rejected them, " << tot.error_graphs
            << " graphs ending in an error both sides raised, " << tot.approx_graphs << " with transcendentals, "
            << tot.f32_graphs << " float32-only)\n"
            << "fused: " << tot.with_groups << " graphs with groups (" << tot.groups << " groups), " << tot.ran_kernels
            << " ran kernels, " << tot.with_fallbacks << " had fallbacks; kernel calls " << tot.kernel_calls
            << ", fallbacks " << tot.fallbacks << ", compiles " << tot.compiles << " (" << tot.compile_failures
            << " failed)\n"
            << "outputs with values equal but strides unlike eager's: " << tot.stride_diffs << "\n"
            << "perturbed reference runs eager rejected (skipped): " << tot.perturbed_rejected << "\n"
            << "mismatches: " << tot.mismatches << "\n"
            << "time: " << secs << " s\n";
  return tot.mismatches == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1;
  int graphs = 100, max_ops = 12, threads = 1;
  int64_t grain = -1;
  double f32_share = 0.4;
  bool verbose = false, strides = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "fuze_fuzz: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seed") seed = std::stoull(next());
    else if (a == "--graphs") graphs = std::stoi(next());
    else if (a == "--max-ops") max_ops = std::max(1, std::stoi(next()));
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--grain") grain = std::stoll(next());
    else if (a == "--f32-share") f32_share = std::stod(next());
    else if (a == "--verbose") verbose = true;
    else if (a == "--loose-strides") strides = false;
    else {
      std::cerr << "usage: fuze_fuzz [--seed S] [--graphs N] [--max-ops K] [--f32-share P] [--threads T] [--grain G] [--verbose] "
                   "[--loose-strides]\n";
      return 2;
    }
  }
  // Eager's reference kernels: ATen's DEFAULT capability unless the caller
  // chose one. Its AVX2/AVX512 kernels are compiled with FMA contraction, so
  // add/sub with alpha, addcmul, addcdiv and lerp round once where the
  // op-by-op definition (and fuze) round twice: on this CPU eager gives two
  // answers for one graph depending on ATEN_CPU_CAPABILITY. Must be set before
  // ATen's first dispatch.
  setenv("ATEN_CPU_CAPABILITY", "default", 0);
  at::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  fuze::Options o = fuze::default_options();
  o.num_threads = threads;
  fuze::set_options(o);
  if (grain > 0) {
    fuze::runtime::Options ro = fuze::runtime::options();
    ro.grain = grain;
    fuze::runtime::set_options(ro);
  }
  const int bad = run_regressions();
  return run(seed, graphs, max_ops, f32_share, verbose, strides) != 0 || bad != 0 ? 1 : 0;
}
