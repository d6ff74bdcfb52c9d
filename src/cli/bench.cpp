// `fuze bench`: plain TorchScript (torch::jit::load, default executor) and
// fuze on the same inputs, interleaved call by call in one process under
// NoGradGuard. Reports load and first-call times (TorchScript's profiling run
// and optimizing run, fuze's compile time apart from the rest), steady-state
// statistics per side, the speedup with a bootstrap interval, fusion counts and
// coverage; --json writes Google Benchmark's JSON schema (compare.py reads it);
// --plot draws a PNG from that JSON (plot.h). Every call is timed without the
// timer's own cost (timing.h: TimerOverhead).
#include <ATen/Parallel.h>
#include <torch/script.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/plot.h"
#include "cli/timing.h"
#include "fuze/fuze.h"

namespace fuze::cli {

namespace {

struct BenchArgs {
  CommonArgs common;
  uint64_t warmup = 10;
  double warmup_ms = 0.0;  // > 0: warm up for this long instead of `warmup` calls
  uint64_t iters = 0;      // calls per side; 0: run for `duration_s`
  double duration_s = 2.0;
  uint64_t repetitions = 10;  // JSON: the calls cut into this many repetitions
  std::vector<double> percentiles = {50, 90, 99};
  std::string json;
  std::string plot;  // --plot: PNG path
  PlotTool plot_tool;
  bool progress = false;
};

bool parse_percentiles(const std::string& text, std::vector<double>* out) {
  out->clear();
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    double p = 0;
    if (!parse_positive_double(part, &p) || p >= 100.0) return false;
    out->push_back(p);
  }
  return !out->empty() && text.back() != ',';
}

std::string parse_bench_args(int argc, char** argv, BenchArgs* b) {
  bool have_iters = false, have_duration = false, have_warmup = false, have_warmup_ms = false;
  for (int i = 1; i < argc; ++i) {
    std::string err;
    if (parse_common_arg(argc, argv, &i, "bench", &b->common, &err)) {
      if (!err.empty()) return err;
      continue;
    }
    const std::string arg = argv[i];
    std::string v;
    auto value = [&]() -> bool {
      if (i + 1 >= argc) return false;
      v = argv[++i];
      return true;
    };
    if (arg == "--warmup") {
      if (!value() || !parse_uint(v, &b->warmup)) return "--warmup needs a number of calls";
      have_warmup = true;
    } else if (arg == "--warmup-ms") {
      if (!value() || !parse_positive_double(v, &b->warmup_ms)) return "--warmup-ms needs a positive number";
      have_warmup_ms = true;
    } else if (arg == "--iters") {
      if (!value() || !parse_uint(v, &b->iters) || b->iters == 0) return "--iters needs a positive number";
      have_iters = true;
    } else if (arg == "--duration") {
      if (!value() || !parse_positive_double(v, &b->duration_s)) return "--duration needs positive seconds";
      have_duration = true;
    } else if (arg == "--repetitions") {
      if (!value() || !parse_uint(v, &b->repetitions) || b->repetitions == 0 || b->repetitions > 1000) {
        return "--repetitions needs a number from 1 to 1000";
      }
    } else if (arg == "--percentile") {
      if (!value() || !parse_percentiles(v, &b->percentiles)) {
        return "--percentile needs a list such as 50,90,99 (each above 0 and below 100)";
      }
    } else if (arg == "--json") {
      if (!value()) return "--json needs a file name";
      b->json = v;
    } else if (arg == "--plot") {
      if (!value()) return "--plot needs a PNG file name";
      b->plot = v;
    } else if (arg == "--progress") {
      b->progress = true;
    } else {
      return unknown_arg(arg, "bench");
    }
  }
  if (have_iters && have_duration) return "give either --iters or --duration, not both";
  if (have_warmup && have_warmup_ms) return "give either --warmup or --warmup-ms, not both";
  if (std::string err = check_common(b->common, "bench"); !err.empty()) return err;
  // Output paths and the plotting tool are checked now, before a long run.
  if (!b->json.empty()) {
    if (std::string err = check_writable(b->json, "--json"); !err.empty()) return err;
  }
  if (!b->plot.empty()) {
    if (std::string err = check_writable(b->plot, "--plot"); !err.empty()) return err;
    if (std::string err = find_plot_tool(&b->plot_tool); !err.empty()) return err;
  }
  return "";
}

// One side of the comparison.
struct Side {
  const char* name;
  std::function<torch::jit::IValue(std::vector<torch::jit::IValue>)> forward;
  std::vector<torch::jit::IValue> inputs;
  std::vector<double> wall, cpu;  // per steady-state call, ns
};

// One call, its wall time returned and its process CPU time in *cpu, both
// without the timer's own cost.
double timed_call(Side& s, const TimerOverhead& overhead, double* cpu) {
  const SpanStart t0 = span_start();
  { torch::jit::IValue out = s.forward(s.inputs); }
  const Span d = subtract_overhead(span_end(t0), overhead);
  if (cpu) *cpu = d.cpu_ns;
  return d.wall_ns;
}

std::string pct_name(double p) {
  if (p == 50.0) return "median";
  char buf[32];
  std::snprintf(buf, sizeof buf, "p%g", p);
  return buf;
}

std::string model_stem(const std::string& path) {
  std::string s = path.substr(path.find_last_of('/') + 1);
  const auto dot = s.rfind(".pt");
  return dot == std::string::npos || dot == 0 ? s : s.substr(0, dot);
}

struct Report {
  std::string model_name;
  std::string input_text;
  std::string backend;
  int threads = 0;
  double speedup = 0, ci_lo = 0, ci_hi = 0;
  std::vector<std::pair<std::string, std::string>> extra;  // more context keys (already JSON values)
};

void write_entry(std::ostream& o, bool* first, const std::string& name, const std::string& run_name,
                 const std::string& run_type, const std::string& aggregate, const char* unit, size_t family,
                 uint64_t reps, uint64_t rep_index, uint64_t iterations, double real_ns, double cpu_ns_v,
                 double calls_per_s) {
  o << (*first ? "" : ",\n") << "    {\n";
  *first = false;
  o << "      \"name\": " << json_string(name) << ",\n";
  o << "      \"family_index\": " << family << ",\n";
  o << "      \"per_family_instance_index\": 0,\n";
  o << "      \"run_name\": " << json_string(run_name) << ",\n";
  o << "      \"run_type\": " << json_string(run_type) << ",\n";
  o << "      \"repetitions\": " << reps << ",\n";
  if (run_type == "iteration") {
    o << "      \"repetition_index\": " << rep_index << ",\n";
  } else {
    o << "      \"aggregate_name\": " << json_string(aggregate) << ",\n";
    o << "      \"aggregate_unit\": " << json_string(unit) << ",\n";
  }
  o << "      \"threads\": 1,\n";
  o << "      \"iterations\": " << iterations << ",\n";
  o << "      \"real_time\": " << json_number(real_ns) << ",\n";
  o << "      \"cpu_time\": " << json_number(cpu_ns_v) << ",\n";
  o << "      \"time_unit\": \"ns\"";
  if (calls_per_s > 0) o << ",\n      \"items_per_second\": " << json_number(calls_per_s);
  o << "\n    }";
}

// Google Benchmark's JSON: context + benchmarks. Each side is a family
// "<model>/<side>": `repetitions` iteration entries (consecutive slices of the
// calls, mean time per call), the aggregates mean/median/stddev/cv over those
// repetitions as Google Benchmark computes them, and min/pNN/max over all calls.
void write_json(const std::string& path, const Report& r, const std::vector<Side*>& sides,
                const std::vector<double>& percentiles, uint64_t repetitions) {
  std::ofstream o(path);
  TORCH_CHECK(o.good(), "cannot write '", path, "'");
  o << "{\n  \"context\": {\n";
  o << "    \"date\": " << json_string(iso_date()) << ",\n";
  o << "    \"host_name\": " << json_string(host_name()) << ",\n";
  o << "    \"executable\": \"fuze bench\",\n";
  o << "    \"num_cpus\": " << num_cpus() << ",\n";
  o << "    \"mhz_per_cpu\": " << static_cast<int64_t>(cpu_mhz()) << ",\n";
  o << "    \"cpu_scaling_enabled\": false,\n";
  o << "    \"caches\": [],\n";
  o << "    \"load_avg\": [";
  std::vector<double> la = load_avg();
  for (size_t i = 0; i < la.size(); ++i) o << (i ? "," : "") << json_number(la[i]);
  o << "],\n";
#ifdef NDEBUG
  o << "    \"library_build_type\": \"release\",\n";
#else
  o << "    \"library_build_type\": \"debug\",\n";
#endif
  o << "    \"fuze_model\": " << json_string(r.model_name) << ",\n";
  o << "    \"fuze_inputs\": " << json_string(r.input_text) << ",\n";
  o << "    \"fuze_backend\": " << json_string(r.backend) << ",\n";
  o << "    \"fuze_threads\": " << r.threads << ",\n";
  for (const auto& kv : r.extra) o << "    " << json_string(kv.first) << ": " << kv.second << ",\n";
  o << "    \"fuze_speedup_median\": " << json_number(r.speedup) << ",\n";
  o << "    \"fuze_speedup_ci95\": [" << json_number(r.ci_lo) << ", " << json_number(r.ci_hi) << "]\n";
  o << "  },\n  \"benchmarks\": [\n";
  bool first = true;
  for (size_t f = 0; f < sides.size(); ++f) {
    const Side& s = *sides[f];
    const std::string base = r.model_name + "/" + s.name;
    const uint64_t n = s.wall.size();
    const uint64_t reps = std::max<uint64_t>(1, std::min<uint64_t>(repetitions, n));
    std::vector<double> rep_wall, rep_cpu;
    for (uint64_t k = 0; k < reps; ++k) {
      const size_t b = static_cast<size_t>(n * k / reps), e = static_cast<size_t>(n * (k + 1) / reps);
      double w = 0, c = 0;
      for (size_t j = b; j < e; ++j) {
        w += s.wall[j];
        c += s.cpu[j];
      }
      const double cnt = static_cast<double>(std::max<size_t>(1, e - b));
      rep_wall.push_back(w / cnt);
      rep_cpu.push_back(c / cnt);
      write_entry(o, &first, base, base, "iteration", "", "", f, reps, k, e - b, w / cnt, c / cnt,
                  w > 0 ? 1e9 * cnt / w : 0);
    }
    const Summary rw = summarize(rep_wall), rc = summarize(rep_cpu);
    const uint64_t per_rep = n / reps;
    write_entry(o, &first, base + "_mean", base, "aggregate", "mean", "time", f, reps, 0, per_rep, rw.mean, rc.mean,
                rw.mean > 0 ? 1e9 / rw.mean : 0);
    write_entry(o, &first, base + "_median", base, "aggregate", "median", "time", f, reps, 0, per_rep, rw.median,
                rc.median, rw.median > 0 ? 1e9 / rw.median : 0);
    write_entry(o, &first, base + "_stddev", base, "aggregate", "stddev", "time", f, reps, 0, per_rep, rw.stddev,
                rc.stddev, 0);
    write_entry(o, &first, base + "_cv", base, "aggregate", "cv", "percentage", f, reps, 0, per_rep,
                rw.mean > 0 ? rw.stddev / rw.mean : 0, rc.mean > 0 ? rc.stddev / rc.mean : 0, 0);
    // Per-call order statistics (over all n calls, not over repetitions).
    std::vector<double> w = s.wall, c = s.cpu;
    std::sort(w.begin(), w.end());
    std::sort(c.begin(), c.end());
    write_entry(o, &first, base + "_min", base, "aggregate", "min", "time", f, reps, 0, n, w.front(), c.front(), 0);
    for (double p : percentiles) {
      char nm[32];
      std::snprintf(nm, sizeof nm, "p%g", p);
      write_entry(o, &first, base + "_" + nm, base, "aggregate", nm, "time", f, reps, 0, n, percentile(w, p),
                  percentile(c, p), 0);
    }
    write_entry(o, &first, base + "_max", base, "aggregate", "max", "time", f, reps, 0, n, w.back(), c.back(), 0);
  }
  o << "\n  ]\n}\n";
  TORCH_CHECK(o.good(), "cannot write '", path, "'");
}

}  // namespace

void bench_help() {
  std::printf(
      "usage: fuze bench model.pt (--input SHAPE ... | --inputs in.pt) [options]\n\n"
      "Times plain TorchScript (default executor) and fuze on the same inputs, calls\n"
      "interleaved in one process (alternating which side goes first), without autograd.\n\n"
      "%s"
      "  --warmup N        warm-up calls per side before measuring (default 10)\n"
      "  --warmup-ms T     warm up for T milliseconds instead\n"
      "  --iters N         measured calls per side\n"
      "  --duration S      measure for S seconds in all (default 2; ignored with --iters)\n"
      "  --percentile L    percentiles to report, e.g. 50,90,99 (the default)\n"
      "  --repetitions R   slices of the calls reported as repetitions in --json (default 10)\n"
      "  --json FILE       Google Benchmark JSON (benchmark's tools/compare.py reads it)\n"
      "  --plot FILE.png   a PNG plot: each side's median time per call (whiskers min..p90)\n"
      "                    and the speedup, drawn by bench_report.py with Python 3 and\n"
      "                    matplotlib (checked before the run; see FUZE_PYTHON)\n"
      "  --progress        a progress line on stderr every second (default: only on a tty)\n\n"
      "--threads also sets torch's intra-op threads (at::set_num_threads) for both sides.\n"
      "Prints load time, first-call times (TorchScript: profiling run, then the run that\n"
      "optimizes; fuze: compile time and the rest), steady-state min/mean/percentiles/max\n"
      "and calls/s per side, the speedup (ratio of medians) with a 95%% bootstrap interval,\n"
      "fusion groups, compiled kernels, fallbacks and the fraction of elementwise nodes fused.\n"
      "Times are per call without the timer's own cost (the median of empty timings, printed\n"
      "as `timer overhead`, is subtracted); cpu_time in --json is the process CPU time (all\n"
      "threads) of the call, likewise corrected.\n",
      common_help());
  std::printf("%s", env_help("bench").c_str());
}

int bench_main(int argc, char** argv) {
  return model_command<BenchArgs>(argc, argv, bench_help, parse_bench_args, [&](BenchArgs& b) {
    if (b.common.threads > 0) at::set_num_threads(b.common.threads);
    const bool progress = b.progress || isatty(2);
    const TimerOverhead overhead = measure_timer_overhead();

    // Load: once untimed (checks the file with fuze's clear messages and pays the
    // process's one-time costs), then each side timed.
    { Module check = load_model(b.common.model); }
    int64_t t0 = wall_ns();
    torch::jit::Module plain = load_plain(b.common.model);
    const double ts_load = static_cast<double>(wall_ns() - t0);
    t0 = wall_ns();
    Module fused = load_model(b.common.model);
    const double fuze_load = static_cast<double>(wall_ns() - t0);
    Inputs in = make_inputs(b.common);

    Side ts{"torchscript", [&](std::vector<torch::jit::IValue> v) { return plain.forward(std::move(v)); },
            clone_inputs(in.values), {}, {}};
    Side fz{"fuze", [&](std::vector<torch::jit::IValue> v) { return fused.forward(std::move(v)); },
            clone_inputs(in.values), {}, {}};

    // First calls.
    const double ts_first = timed_call(ts, overhead, nullptr);
    const double ts_second = timed_call(ts, overhead, nullptr);
    reset_stats();
    const double fz_first = timed_call(fz, overhead, nullptr);
    const Stats first_stats = stats();
    const double fz_second = timed_call(fz, overhead, nullptr);
    const double diff = max_output_diff(fz.forward(fz.inputs), ts.forward(ts.inputs));

    // Warm-up, then the measured calls, alternating which side goes first.
    Side* order[2][2] = {{&ts, &fz}, {&fz, &ts}};
    uint64_t k = 0;
    const int64_t warm_start = wall_ns();
    while (b.warmup_ms > 0 ? static_cast<double>(wall_ns() - warm_start) < b.warmup_ms * 1e6 : k < b.warmup) {
      for (Side* s : order[k % 2]) timed_call(*s, overhead, nullptr);
      ++k;
    }
    const uint64_t warmup_calls = k;
    reset_stats();
    const int64_t start = wall_ns();
    int64_t last_report = start;
    const double budget_ns = b.duration_s * 1e9;
    for (k = 0;; ++k) {
      if (b.iters > 0 ? k >= b.iters : static_cast<double>(wall_ns() - start) >= budget_ns) break;
      for (Side* s : order[k % 2]) {
        double c = 0;
        s->wall.push_back(timed_call(*s, overhead, &c));
        s->cpu.push_back(c);
      }
      if (progress && wall_ns() - last_report >= 1000000000) {
        last_report = wall_ns();
        const double el = static_cast<double>(last_report - start) / 1e9;
        if (b.iters > 0) {
          std::fprintf(stderr, "fuze bench: %" PRIu64 "/%" PRIu64 " calls per side, %.1f s\n", k + 1, b.iters, el);
        } else {
          std::fprintf(stderr, "fuze bench: %.1f/%.1f s, %" PRIu64 " calls per side\n", el, b.duration_s, k + 1);
        }
      }
    }
    const double measured_s = static_cast<double>(wall_ns() - start) / 1e9;
    const Stats steady = stats();
    TORCH_CHECK(!ts.wall.empty(), "no calls were measured (try a longer --duration)");

    // Report.
    const Summary s_ts = summarize(ts.wall), s_fz = summarize(fz.wall);
    Report r;
    r.model_name = model_stem(b.common.model);
    r.input_text = in.text;
    r.backend = backend_name(options().backend);
    r.threads = b.common.threads > 0 ? b.common.threads : at::get_num_threads();
    r.speedup = s_fz.median > 0 ? s_ts.median / s_fz.median : 0;
    bootstrap_median_ratio(ts.wall, fz.wall, 200, 20000, &r.ci_lo, &r.ci_hi);
    std::vector<double> pair_ratio;
    for (size_t i = 0; i < ts.wall.size(); ++i) pair_ratio.push_back(ts.wall[i] / std::max(1.0, fz.wall[i]));
    std::sort(pair_ratio.begin(), pair_ratio.end());
    const Coverage cov = fusion_coverage(fused);

    std::printf("model: %s\n", b.common.model.c_str());
    std::printf("inputs: %s\n", in.text.c_str());
    std::printf("fuze backend: %s, threads: %d (both sides), autograd off\n", r.backend.c_str(), r.threads);
    std::printf("load:        torchscript %s, fuze %s (load + fusion pass)\n", format_ns(ts_load).c_str(),
                format_ns(fuze_load).c_str());
    std::printf("first call:  torchscript %s (profiling run), 2nd call %s (optimizes the graph)\n",
                format_ns(ts_first).c_str(), format_ns(ts_second).c_str());
    const double compile_ns = first_stats.compile_us * 1e3;
    std::printf("             fuze %s = compile %s (%" PRIu64 " kernel%s) + run %s, 2nd call %s\n",
                format_ns(fz_first).c_str(), format_ns(compile_ns).c_str(), first_stats.compiles,
                first_stats.compiles == 1 ? "" : "s", format_ns(std::max(0.0, fz_first - compile_ns)).c_str(),
                format_ns(fz_second).c_str());
    std::printf("steady state: %zu calls per side, interleaved, %.2f s (after %" PRIu64 " warm-up calls per side)\n",
                ts.wall.size(), measured_s, warmup_calls);
    std::printf("timer overhead: wall %s, cpu %s per call (median of %d empty timings; subtracted from every call)\n",
                format_ns(overhead.wall_ns).c_str(), format_ns(overhead.cpu_ns).c_str(), overhead.samples);
    std::string head = "               " + std::string("      min") + "     mean";
    for (double p : b.percentiles) {
      char col[32];
      std::snprintf(col, sizeof col, " %8s", pct_name(p).c_str());
      head += col;
    }
    head += "      max    calls/s";
    std::printf("%s\n", head.c_str());
    for (Side* s : {&ts, &fz}) {
      std::vector<double> w = s->wall;
      std::sort(w.begin(), w.end());
      const Summary sm = summarize(s->wall);
      std::printf("  %-12s %9s %8s", s->name, format_ns(sm.min).c_str(), format_ns(sm.mean).c_str());
      for (double p : b.percentiles) std::printf(" %8s", format_ns(percentile(w, p)).c_str());
      std::printf(" %8s %10.0f\n", format_ns(sm.max).c_str(), sm.sum > 0 ? 1e9 * sm.n / sm.sum : 0.0);
    }
    std::printf("speedup: %.2fx (median torchscript / median fuze), 95%% interval %.2fx..%.2fx (bootstrap);"
                " per-call-pair ratio p10..p90 %.2fx..%.2fx\n",
                r.speedup, r.ci_lo, r.ci_hi, percentile(pair_ratio, 10), percentile(pair_ratio, 90));
    std::printf("fusion: %d group%s, %" PRIu64 " kernel%s compiled (%" PRIu64 " failed), %" PRIu64
                " kernel calls and %" PRIu64 " fallbacks while measured\n",
                fused.num_fusion_groups(), fused.num_fusion_groups() == 1 ? "" : "s", first_stats.compiles,
                first_stats.compiles == 1 ? "" : "s", first_stats.compile_failures, steady.kernel_calls,
                steady.fallbacks);
    print_fallback_reasons("  ");
    std::printf("coverage: %d of %d elementwise nodes fused (%.0f%%)\n", cov.fused, cov.fused + cov.unfused,
                cov.percent());
    std::printf("max |fuze - torchscript|: %.9g\n", diff);

    if (!b.json.empty() || !b.plot.empty()) {
      r.extra = {{"fuze_load_ns", "{\"torchscript\": " + json_number(ts_load) + ", \"fuze\": " +
                                      json_number(fuze_load) + "}"},
                 {"fuze_first_call_ns", "{\"torchscript\": " + json_number(ts_first) +
                                            ", \"torchscript_second\": " + json_number(ts_second) +
                                            ", \"fuze\": " + json_number(fz_first) + ", \"fuze_compile\": " +
                                            json_number(compile_ns) + ", \"fuze_second\": " + json_number(fz_second) +
                                            "}"},
                 {"fuze_fusion_groups", std::to_string(fused.num_fusion_groups())},
                 {"fuze_kernels_compiled", std::to_string(first_stats.compiles)},
                 {"fuze_timer_overhead_ns", "{\"wall\": " + json_number(overhead.wall_ns) + ", \"cpu\": " +
                                                json_number(overhead.cpu_ns) + "}"},
                 {"fuze_fallbacks", std::to_string(steady.fallbacks)},
                 {"fuze_kernel_calls", std::to_string(steady.kernel_calls)},
                 {"fuze_coverage_percent", json_number(cov.percent())},
                 {"fuze_max_abs_diff", json_number(diff)}};
      std::vector<Side*> sides = {&ts, &fz};
      // --plot without --json: the JSON goes to a temporary file for the plot.
      TempFile tmp;
      const std::string json = !b.json.empty() ? b.json : tmp.create("fuze-bench-", ".json");
      write_json(json, r, sides, b.percentiles, b.repetitions);
      if (!b.json.empty()) std::printf("json written to %s\n", b.json.c_str());
      if (!b.plot.empty()) {
        std::fflush(stdout);
        const std::string err = draw_plot(b.plot_tool, json, b.plot);
        TORCH_CHECK(err.empty(), err);
        std::printf("plot written to %s\n", b.plot.c_str());
      }
    }
    return 0;
  });
}

}  // namespace fuze::cli
