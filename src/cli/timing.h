// Torch-free helpers of the report commands (bench, profile): sample
// statistics, a bootstrap interval for a ratio of medians, time formatting,
// JSON string escaping and a machine description for report headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fuze::cli {

// Percentile p (0..100) of sorted samples, linear interpolation between ranks.
double percentile(const std::vector<double>& sorted, double p);

struct Summary {
  size_t n = 0;
  double min = 0, mean = 0, median = 0, max = 0, stddev = 0, sum = 0;
};
Summary summarize(std::vector<double> samples);

// 95% bootstrap interval of median(a) / median(b): `rounds` resamples of each
// side (at most `max_draw` values drawn per resample), deterministic seed.
void bootstrap_median_ratio(const std::vector<double>& a, const std::vector<double>& b, int rounds,
                            size_t max_draw, double* lo, double* hi);

// "12.3 us", "4.56 ms", "789 ns", "1.23 s" (3 significant digits).
std::string format_ns(double ns);

// A JSON string literal (quotes included) with the needed escapes.
std::string json_string(const std::string& s);
// A JSON number: finite values printed with %.17g (round-trips), else 0.
std::string json_number(double v);

// Local time as ISO 8601 ("2024-05-01T12:34:56+00:00").
std::string iso_date();
std::string host_name();
int num_cpus();
double cpu_mhz();  // from /proc/cpuinfo, 0 when unknown
std::vector<double> load_avg();

// Steady-clock time (the clock of Profiler) and process CPU time, in ns.
int64_t wall_ns();
int64_t cpu_ns();

// ---- timing one call, without the timer's own cost ---------------------------
// A timed span reads the process CPU clock, then the wall clock, at its start
// and the two in the opposite order at its end. Reading the CPU clock is a
// system call (CLOCK_PROCESS_CPUTIME_ID has no vDSO path): hundreds of ns,
// part of which lands inside the span, as do both wall-clock reads. For a call
// of a few microseconds that is a large share, so the cost of an empty span
// (measured) is subtracted from every span.
struct Span {
  double wall_ns = 0;
  double cpu_ns = 0;
};
struct SpanStart {
  int64_t wall = 0, cpu = 0;
};
SpanStart span_start();
Span span_end(const SpanStart& s);  // raw: includes the timer's cost

// The timer's own cost: the median wall and CPU time of `samples` empty spans.
struct TimerOverhead {
  double wall_ns = 0;
  double cpu_ns = 0;
  int samples = 0;
};
TimerOverhead measure_timer_overhead(int samples = 2000);
// raw minus the overhead, each part at least 0.
Span subtract_overhead(const Span& raw, const TimerOverhead& overhead);

}  // namespace fuze::cli
