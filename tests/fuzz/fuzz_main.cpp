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
//    of every float32/float64 kApprox op perturbed by its documented bound
//    (tests/eager_accuracy.h: 4 ULP; mish 16; gelu, elu and logit also a few
//    eps absolute, where ATen's formula cancels): all up, all down,
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
// Eager's float32 kernels approximate differently on different CPUs (torch
// 2.11's float32 gelu on AVX-512: gelu(inf) = NaN). At start the fuzzer probes
// every float32 transcendental of this libtorch on this CPU against its float64
// op (tests/eager_accuracy.h) and prints the ones that miss their bound; in
// the reference graphs those ops run in float64 on widened operands, rounded
// back (the exact result), and eager's plain op-by-op run joins the perturbed
// runs (a group that falls back gives eager's own answer).
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
#include "fuzz/fuzz_generator.h"
#include "runtime/runtime.h"

namespace {

using namespace fuze_fuzz;

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
  const bool is_double = like.scalar_type() == c10::kDouble;
  const at::Tensor ref = like.to(c10::kDouble).contiguous().reshape({-1});
  const double* rv = ref.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    double& x = v[static_cast<size_t>(i)];
    // Modes: 0 all up, 1 all down, 2-3 random signs, 4-5 only the smallest
    // step (+ then -), which moves zeros and denormals alone (the sign of an
    // underflowed zero then shows through 1/x, atan2, ...); 6 one ULP up,
    // 7 one ULP down, 8 one ULP either way: two libms (glibc, MKL) often
    // differ by exactly one ULP, and where a later op cancels (c + x - c) the
    // rounding of that one step is what the result shows.
    if (mode >= 6) {
      const double val = rv[i], dir = mode == 6 ? 1.0 : mode == 7 ? -1.0 : (r.chance(0.5) ? 1.0 : -1.0);
      double step = 0.0;
      if (absolute && std::isfinite(val)) {
        step = is_double ? std::nextafter(val, dir * HUGE_VAL) - val
                         : static_cast<double>(std::nextafter(static_cast<float>(val), static_cast<float>(dir * HUGE_VAL)) -
                                               static_cast<float>(val));
      }
      x = absolute ? (std::isfinite(step) ? step : 0.0) : 1.0;
      continue;
    }
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
      // The reference computes ops eager gets wrong on this CPU in float64.
      original = parse(gen.text(false, nullptr, false, /*exact=*/true));
      fused = parse(ir);
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
      const std::string pir = gen.text(true, &pert, false, /*exact=*/true);
      auto pg = parse(pir);
      Rng pr(seed ^ 0x5bd1e995ull);
      for (int mode = 0; mode < 9; ++mode) {
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
          runs.push_back(run_graph(parse(gen.text(true, &unused, true, /*exact=*/true)), gen.inputs()));
        } catch (const std::exception& e) {
          report(std::string("zero-sign reference run failed: ") + e.what());
          runs.clear();
        }
      }
    }
    // Where the reference computed some op in float64 (eager's float32 kernel
    // misses its bound on this CPU), eager's own op-by-op answer is right too:
    // a group that falls back runs TorchScript's op and gives it.
    if (!runs.empty() && gen.has_exact_lines()) {
      try {
        runs.push_back(run_graph(parse(ir), gen.inputs()));
      } catch (const std::exception& e) {
        report(std::string("plain eager run failed: ") + e.what());
        runs.clear();
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
  // Ops whose eager float32 kernel misses its bound on this CPU: the
  // reference computes them in float64 (tests/eager_accuracy.h).
  for (const auto& [name, fn] : fuze::testing::probed_ops()) {
    const std::string why = fuze::testing::eager_f32_probe(name);
    if (!why.empty()) std::cout << "reference computes " << name << " in float64 on this CPU: " << why << "\n";
  }
  const int bad = run_regressions();
  return run(seed, graphs, max_ops, f32_share, verbose, strides) != 0 || bad != 0 ? 1 : 0;
}
