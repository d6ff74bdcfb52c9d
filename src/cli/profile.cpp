// `fuze profile`: runs a model fused under a RecordFunction observer
// (Profiler) and reports the time per fusion group (the fused_<ops>
// events of the FusionGroup op), per fallback and per unfused aten op, sorted,
// as a % of the forward time; the compile time of every kernel; the kernel
// cache counters; and optionally a Chrome trace (Trace Event Format, "X"
// events) that Perfetto and chrome://tracing open, with one "compile" event per
// kernel the first call compiled (CompileWatcher below).
#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/script.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/timing.h"
#include "fuze/profiler.h"
#include "fuze/fuze.h"

namespace fuze::cli {

namespace {

struct ProfileArgs {
  CommonArgs common;
  uint64_t iters = 100;
  uint64_t warmup = 5;
  std::string trace;
};

std::string parse_profile_args(int argc, char** argv, ProfileArgs* p) {
  for (int i = 1; i < argc; ++i) {
    std::string err;
    if (parse_common_arg(argc, argv, &i, "profile", &p->common, &err)) {
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
    if (arg == "--iters") {
      if (!value() || !parse_uint(v, &p->iters) || p->iters == 0) return "--iters needs a positive number";
    } else if (arg == "--warmup") {
      if (!value() || !parse_uint(v, &p->warmup)) return "--warmup needs a number of calls";
    } else if (arg == "--trace") {
      if (!value()) return "--trace needs a file name";
      p->trace = v;
    } else {
      return unknown_arg(arg, "profile");
    }
  }
  if (std::string err = check_common(p->common, "profile"); !err.empty()) return err;
  return p->trace.empty() ? "" : check_writable(p->trace, "--trace");  // before the run, not after it
}

// ---- compile events ----------------------------------------------------------
// Kernels compile inside the FusionGroup operator, right before the group's
// first kernel call (its fused_<ops> event), and no RecordFunction event
// surrounds the compile itself. So while the first call runs, a second
// RecordFunction observer on this thread reads fuze's counters at the start
// and end of every event: when `compiles` or `compile_failures` has grown
// since the previous event boundary, the kernel cache's new entries were
// compiled in between. Each becomes a compile event that ends at that
// boundary and lasts the compile time the cache measured (clipped so it never
// starts before the previous boundary; several in one gap are laid end to end).
struct CompileEvent {
  KernelInfo kernel;
  int64_t start_ns = 0, end_ns = 0;
};

class CompileWatcher {
 public:
  void start() {
    t_watcher = this;
    last_ns_ = Profiler::now_ns();
    last_count_ = count();
    for (const auto& e : cached_kernels()) seen_.insert(e.key);
    handle_ = at::addThreadLocalCallback(at::RecordFunctionCallback(on_start, on_end));
  }
  // Also collects what compiled after the last event of the call.
  void stop() {
    if (handle_ == at::INVALID_CALLBACK_HANDLE) return;
    at::removeCallback(handle_);
    handle_ = at::INVALID_CALLBACK_HANDLE;
    boundary();
    t_watcher = nullptr;
  }
  const std::vector<CompileEvent>& events() const { return events_; }

 private:
  static uint64_t count() {
    const Stats st = stats();
    return st.compiles + st.compile_failures;
  }
  void boundary() {
    const int64_t now = Profiler::now_ns();
    const uint64_t c = count();
    if (c != last_count_) {
      std::vector<KernelInfo> fresh;
      for (auto& e : cached_kernels()) {
        if (seen_.insert(e.key).second) fresh.push_back(std::move(e));
      }
      int64_t end = now;
      for (auto it = fresh.rbegin(); it != fresh.rend(); ++it) {
        CompileEvent ev;
        ev.end_ns = end;
        ev.start_ns = std::max(last_ns_, end - static_cast<int64_t>(it->compile_us * 1e3));
        ev.kernel = std::move(*it);
        end = ev.start_ns;
        events_.push_back(std::move(ev));
      }
      last_count_ = c;
    }
    last_ns_ = Profiler::now_ns();
  }
  static std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction&) {
    if (t_watcher != nullptr) t_watcher->boundary();
    return nullptr;
  }
  static void on_end(const at::RecordFunction&, at::ObserverContext*) {
    if (t_watcher != nullptr) t_watcher->boundary();
  }

  static thread_local CompileWatcher* t_watcher;
  at::CallbackHandle handle_ = at::INVALID_CALLBACK_HANDLE;
  int64_t last_ns_ = 0;
  uint64_t last_count_ = 0;
  std::set<std::string> seen_;
  std::vector<CompileEvent> events_;
};
thread_local CompileWatcher* CompileWatcher::t_watcher = nullptr;

enum class RowKind { kGroup, kFallback, kOp };

const char* row_kind_name(RowKind k) {
  switch (k) {
    case RowKind::kGroup: return "group";
    case RowKind::kFallback: return "fallback";
    case RowKind::kOp: return "node";
  }
  return "?";
}

RowKind kind_of(const std::string& name) {
  if (is_fused_event(name)) return RowKind::kGroup;
  if (is_fallback_event(name)) return RowKind::kFallback;
  return RowKind::kOp;
}

struct Row {
  RowKind kind = RowKind::kOp;
  std::string name;
  uint64_t calls = 0;
  double total_ns = 0;
  std::string shapes;  // inputs of the first call
};

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

// "f32 2d, f32 2d": dtype and rank per tensor input, as the kernel cache keys
// group signatures (sizes never are part of a signature).
std::string signature_of(const std::vector<std::string>& inputs) {
  std::vector<std::string> parts;
  for (const std::string& in : inputs) {
    const auto br = in.find('[');
    if (br == std::string::npos) {
      parts.push_back(in.empty() ? "?" : in);
      continue;
    }
    int rank = 0;
    if (in.size() > br + 2) rank = 1 + static_cast<int>(std::count(in.begin(), in.end(), ','));
    parts.push_back(in.substr(0, br) + " " + std::to_string(rank) + "d");
  }
  return join(parts, ", ");
}

void write_trace(const std::string& path, const std::string& model, const std::vector<ProfileEvent>& events,
                 const std::vector<CompileEvent>& compiles, const std::vector<std::pair<int64_t, int64_t>>& forwards,
                 int64_t origin, const char* backend) {
  std::ofstream o(path);
  TORCH_CHECK(o.good(), "cannot write '", path, "'");
  auto us = [&](int64_t ns) { return json_number(static_cast<double>(ns - origin) / 1000.0); };
  auto dur = [&](int64_t a, int64_t b) { return json_number(static_cast<double>(b - a) / 1000.0); };
  o << "{\"displayTimeUnit\": \"ns\",\n \"otherData\": {\"tool\": \"fuze profile\", \"model\": " << json_string(model)
    << ", \"backend\": " << json_string(backend) << "},\n \"traceEvents\": [\n";
  o << "  {\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 1, \"args\": {\"name\": "
    << json_string("fuze profile " + model) << "}},\n";
  o << "  {\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 1, \"args\": {\"name\": \"forward\"}}";
  for (size_t i = 0; i < forwards.size(); ++i) {
    o << ",\n  {\"name\": \"forward\", \"cat\": \"forward\", \"ph\": \"X\", \"pid\": 1, \"tid\": 1, \"ts\": "
      << us(forwards[i].first) << ", \"dur\": " << dur(forwards[i].first, forwards[i].second)
      << ", \"args\": {\"call\": " << i << "}}";
  }
  for (const auto& e : events) {
    const RowKind k = kind_of(e.name);
    const char* cat = e.frame ? "frame" : k == RowKind::kGroup ? "fused" : k == RowKind::kFallback ? "fallback" : "op";
    o << ",\n  {\"name\": " << json_string(e.name) << ", \"cat\": \"" << cat << "\", \"ph\": \"X\", \"pid\": 1, "
      << "\"tid\": 1, \"ts\": " << us(e.start_ns) << ", \"dur\": " << dur(e.start_ns, e.end_ns) << ", \"args\": {";
    if (k != RowKind::kOp && !e.frame) {
      o << "\"backend\": " << json_string(k == RowKind::kGroup ? backend : "torchscript") << ", \"kernel\": "
        << json_string(e.name) << ", \"signature\": " << json_string(signature_of(e.inputs)) << ", ";
    }
    o << "\"shapes\": [";
    for (size_t j = 0; j < e.inputs.size(); ++j) o << (j ? ", " : "") << json_string(e.inputs[j]);
    o << "], \"depth\": " << e.depth << "}}";
  }
  for (const auto& c : compiles) {
    // key = "<group identity>|<backend>|<rank and operand layouts>": the signature is what follows the group.
    const std::string& key = c.kernel.key;
    const auto bar = key.find('|');
    const std::string name = c.kernel.name.empty() ? "(no IR)" : c.kernel.name;
    o << ",\n  {\"name\": " << json_string("compile " + name) << ", \"cat\": \"compile\", \"ph\": \"X\", \"pid\": 1, "
      << "\"tid\": 1, \"ts\": " << us(c.start_ns) << ", \"dur\": " << dur(c.start_ns, c.end_ns)
      << ", \"args\": {\"kernel\": " << json_string(name) << ", \"backend\": " << json_string(backend_name(c.kernel.backend))
      << ", \"signature\": " << json_string(bar == std::string::npos ? "" : key.substr(bar + 1))
      << ", \"group\": " << json_string(key.substr(0, bar)) << ", \"compile_us\": " << json_number(c.kernel.compile_us)
      << ", \"failed\": " << (c.kernel.failed ? "true" : "false");
    if (c.kernel.failed) o << ", \"failure\": " << json_string(c.kernel.failure);
    o << "}}";
  }
  o << "\n ]\n}\n";
  TORCH_CHECK(o.good(), "cannot write '", path, "'");
}

}  // namespace

void profile_help() {
  std::printf(
      "usage: fuze profile model.pt (--input SHAPE ... | --inputs in.pt) [options]\n\n"
      "Runs a model fused under a RecordFunction observer and reports where the time goes.\n\n"
      "%s"
      "  --warmup N        unprofiled calls after the first (compiling) call (default 5)\n"
      "  --iters N         profiled calls (default 100)\n"
      "  --trace FILE      Chrome trace JSON (Perfetto, chrome://tracing): one X event per\n"
      "                    forward call, fusion group call (args: backend, kernel, signature,\n"
      "                    shapes), fallback and aten op, from the first call on, and one\n"
      "                    `compile <kernel>` event (cat compile) per kernel the first call\n"
      "                    compiled (args: kernel, backend, signature, group, compile_us)\n\n"
      "Prints the time per fusion group (fused_<ops>), per fallback and per unfused aten op,\n"
      "sorted, as a %% of the forward time (the rest is TorchScript's interpreter); the\n"
      "compile time of each kernel; and the kernel cache counters.\n",
      common_help());
  std::printf("%s", env_help("profile").c_str());
}

int profile_main(int argc, char** argv) {
  return model_command<ProfileArgs>(argc, argv, profile_help, parse_profile_args, [&](ProfileArgs& p) {
    Module fused = load_model(p.common.model);
    Inputs in = make_inputs(p.common);
    const char* backend = backend_name(options().backend);

    Profiler prof;
    std::vector<std::pair<int64_t, int64_t>> forwards;
    auto call = [&](bool record) {
      std::vector<torch::jit::IValue> v = in.values;
      const int64_t t0 = Profiler::now_ns();
      { torch::jit::IValue out = fused.forward(std::move(v)); }
      if (record) forwards.emplace_back(t0, Profiler::now_ns());
    };

    // The first call (kernels compile) goes into the trace, not into the table.
    reset_stats();
    const int64_t origin = Profiler::now_ns();
    CompileWatcher watcher;
    watcher.start();
    prof.start();
    call(true);
    prof.stop();
    watcher.stop();
    const double first_ns = static_cast<double>(forwards.back().second - forwards.back().first);
    for (uint64_t i = 0; i < p.warmup; ++i) call(false);
    const size_t first_events = prof.events().size();
    prof.start();
    for (uint64_t i = 0; i < p.iters; ++i) call(true);
    prof.stop();
    const Stats st = stats();

    // Aggregate the outermost events of the profiled calls.
    double forward_ns = 0;
    for (size_t i = 1; i < forwards.size(); ++i) forward_ns += static_cast<double>(forwards[i].second - forwards[i].first);
    std::map<std::string, Row> rows;
    double covered = 0;
    uint64_t fused_events = 0;
    const auto& events = prof.events();
    for (size_t i = first_events; i < events.size(); ++i) {
      const auto& e = events[i];
      if (e.depth != 0 || e.frame) continue;
      Row& r = rows[e.name];
      if (r.calls == 0) {
        r.kind = kind_of(e.name);
        r.name = e.name;
        r.shapes = join(e.inputs, ", ");
      }
      r.calls++;
      r.total_ns += static_cast<double>(e.end_ns - e.start_ns);
      covered += static_cast<double>(e.end_ns - e.start_ns);
      fused_events += r.kind == RowKind::kGroup;
    }
    std::vector<Row> sorted;
    for (auto& kv : rows) sorted.push_back(kv.second);
    std::sort(sorted.begin(), sorted.end(), [](const Row& a, const Row& b) { return a.total_ns > b.total_ns; });
    Row other;
    other.name = "(TorchScript interpreter, prim ops, outputs)";
    other.calls = p.iters;
    other.total_ns = std::max(0.0, forward_ns - covered);

    std::printf("model: %s\n", p.common.model.c_str());
    std::printf("inputs: %s\n", in.text.c_str());
    std::printf("backend: %s, threads: %d\n", backend,
                p.common.threads > 0 ? p.common.threads : at::get_num_threads());
    std::printf("first call: %s (compiles the kernels); then %" PRIu64 " warm-up calls, %" PRIu64
                " profiled calls: %s in all, %s per call\n",
                format_ns(first_ns).c_str(), p.warmup, p.iters, format_ns(forward_ns).c_str(),
                format_ns(forward_ns / static_cast<double>(p.iters)).c_str());
    std::printf("\n%-9s %-44s %7s %10s %10s %7s  %s\n", "kind", "name", "calls", "total", "per call", "%",
                "input shapes (first call)");
    auto print_row = [&](const Row& r, const char* kind) {
      std::printf("%-9s %-44s %7" PRIu64 " %10s %10s %6.1f%%  %s\n", kind, r.name.c_str(), r.calls,
                  format_ns(r.total_ns).c_str(), format_ns(r.total_ns / static_cast<double>(std::max<uint64_t>(1, r.calls))).c_str(),
                  forward_ns > 0 ? 100.0 * r.total_ns / forward_ns : 0.0, r.shapes.c_str());
    };
    for (const Row& r : sorted) print_row(r, row_kind_name(r.kind));
    print_row(other, "other");
    if (fused_events == 0 && st.kernel_calls > 0) {
      std::printf("note: kernel calls happened but no fused_* events were recorded (this build's FusionGroup op "
                  "does not emit RecordFunction events)\n");
    }

    std::printf("\nkernels compiled:\n");
    const std::vector<KernelInfo> kernels = cached_kernels();
    if (kernels.empty()) std::printf("  (none)\n");
    for (const auto& k : kernels) {
      if (k.failed) {
        std::printf("  %-40s %-7s failed: %s\n", k.name.empty() ? "(no IR)" : k.name.c_str(),
                    backend_name(k.backend), k.failure.c_str());
      } else {
        std::printf("  %-40s %-7s %10s\n", k.name.c_str(), backend_name(k.backend),
                    format_ns(k.compile_us * 1e3).c_str());
      }
    }
    std::printf("\nkernel cache: %zu entries; hits %" PRIu64 ", misses %" PRIu64 ", compiles %" PRIu64
                " (%s), compile failures %" PRIu64 ", evictions %" PRIu64 "; kernel calls %" PRIu64
                ", fallbacks %" PRIu64 "\n",
                cached_kernel_count(), st.hits, st.misses, st.compiles,
                format_ns(st.compile_us * 1e3).c_str(), st.compile_failures, st.evictions, st.kernel_calls,
                st.fallbacks);
    if (!p.trace.empty()) {
      write_trace(p.trace, p.common.model, events, watcher.events(), forwards, origin, backend);
      std::printf("trace written to %s (%zu events, %zu of them compiles; open in https://ui.perfetto.dev or "
                  "chrome://tracing)\n",
                  p.trace.c_str(), events.size() + watcher.events().size() + forwards.size(), watcher.events().size());
    }
    return 0;
  });
}

}  // namespace fuze::cli
