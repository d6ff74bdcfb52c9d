// Sample statistics and report helpers (timing.h).
#include "cli/timing.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <random>
#include <thread>

namespace fuze::cli {

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double f = rank - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * f;
}

Summary summarize(std::vector<double> samples) {
  Summary s;
  s.n = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  for (double v : samples) s.sum += v;
  s.min = samples.front();
  s.max = samples.back();
  s.mean = s.sum / static_cast<double>(s.n);
  s.median = percentile(samples, 50.0);
  double ss = 0.0;
  for (double v : samples) ss += (v - s.mean) * (v - s.mean);
  s.stddev = s.n > 1 ? std::sqrt(ss / static_cast<double>(s.n - 1)) : 0.0;
  return s;
}

namespace {

double resampled_median(const std::vector<double>& v, size_t draw, std::mt19937_64& rng, std::vector<double>* buf) {
  std::uniform_int_distribution<size_t> pick(0, v.size() - 1);
  buf->resize(draw);
  for (size_t i = 0; i < draw; ++i) (*buf)[i] = v[pick(rng)];
  auto mid = buf->begin() + static_cast<std::ptrdiff_t>(draw / 2);
  std::nth_element(buf->begin(), mid, buf->end());
  return *mid;
}

}  // namespace

void bootstrap_median_ratio(const std::vector<double>& a, const std::vector<double>& b, int rounds,
                            size_t max_draw, double* lo, double* hi) {
  *lo = *hi = 0.0;
  if (a.empty() || b.empty() || rounds <= 0) return;
  std::mt19937_64 rng(12345);
  std::vector<double> ratios, buf;
  const size_t da = std::min(a.size(), max_draw), db = std::min(b.size(), max_draw);
  for (int r = 0; r < rounds; ++r) {
    const double ma = resampled_median(a, da, rng, &buf);
    const double mb = resampled_median(b, db, rng, &buf);
    if (mb > 0) ratios.push_back(ma / mb);
  }
  std::sort(ratios.begin(), ratios.end());
  *lo = percentile(ratios, 2.5);
  *hi = percentile(ratios, 97.5);
}

std::string format_ns(double ns) {
  const char* unit = "ns";
  double v = ns;
  if (std::fabs(ns) >= 1e9) {
    v = ns / 1e9;
    unit = "s";
  } else if (std::fabs(ns) >= 1e6) {
    v = ns / 1e6;
    unit = "ms";
  } else if (std::fabs(ns) >= 1e3) {
    v = ns / 1e3;
    unit = "us";
  }
  char buf[64];
  const int digits = std::fabs(v) >= 100 ? 0 : std::fabs(v) >= 10 ? 1 : 2;
  std::snprintf(buf, sizeof buf, "%.*f %s", digits, v, unit);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string iso_date() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
  std::string s = buf;
  if (s.size() > 5) s.insert(s.size() - 2, ":");  // +0000 -> +00:00 like Google Benchmark
  return s;
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

int num_cpus() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

double cpu_mhz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu MHz", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return std::atof(line.c_str() + colon + 1);
    }
  }
  return 0.0;
}

std::vector<double> load_avg() {
  double v[3] = {0, 0, 0};
  if (getloadavg(v, 3) != 3) return {};
  return {v[0], v[1], v[2]};
}

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

SpanStart span_start() {
  SpanStart s;
  s.cpu = cpu_ns();
  s.wall = wall_ns();
  return s;
}

Span span_end(const SpanStart& s) {
  const int64_t w = wall_ns();
  const int64_t c = cpu_ns();
  Span d;
  d.wall_ns = static_cast<double>(w - s.wall);
  d.cpu_ns = static_cast<double>(c - s.cpu);
  return d;
}

TimerOverhead measure_timer_overhead(int samples) {
  TimerOverhead o;
  if (samples <= 0) return o;
  std::vector<double> wall, cpu;
  wall.reserve(static_cast<size_t>(samples));
  cpu.reserve(static_cast<size_t>(samples));
  for (int i = 0; i < samples; ++i) {
    const SpanStart s = span_start();
    const Span d = span_end(s);
    wall.push_back(d.wall_ns);
    cpu.push_back(d.cpu_ns);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  o.wall_ns = percentile(wall, 50.0);
  o.cpu_ns = percentile(cpu, 50.0);
  o.samples = samples;
  return o;
}

Span subtract_overhead(const Span& raw, const TimerOverhead& overhead) {
  Span s;
  s.wall_ns = std::max(0.0, raw.wall_ns - overhead.wall_ns);
  s.cpu_ns = std::max(0.0, raw.cpu_ns - overhead.cpu_ns);
  return s;
}

}  // namespace fuze::cli
