// The timer of `fuze bench` (src/cli/timing.h): its own cost is measured and
// subtracted, so an empty timed span reads about 0 ns of CPU and wall time,
// where the raw span reads the cost of the clock reads themselves (the CPU
// clock is a system call: hundreds of ns).
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "cli/timing.h"

namespace fuze::cli {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return percentile(v, 50.0);
}

TEST(CliTiming, OverheadIsMeasured) {
  const TimerOverhead o = measure_timer_overhead(2000);
  EXPECT_EQ(o.samples, 2000);
  // Reading CLOCK_PROCESS_CPUTIME_ID takes CPU time, some of it inside the span.
  EXPECT_GT(o.cpu_ns, 0.0);
  EXPECT_GE(o.wall_ns, 0.0);
  EXPECT_LT(o.cpu_ns, 1e6);  // a sanity bound: 1 ms per clock read would be broken
}

TEST(CliTiming, EmptySpanReadsAboutZeroAfterSubtraction) {
  const TimerOverhead o = measure_timer_overhead(4000);
  std::vector<double> raw_cpu, cpu, wall;
  for (int i = 0; i < 4000; ++i) {
    const Span raw = span_end(span_start());
    const Span d = subtract_overhead(raw, o);
    raw_cpu.push_back(raw.cpu_ns);
    cpu.push_back(d.cpu_ns);
    wall.push_back(d.wall_ns);
  }
  const double raw_median = median(raw_cpu);
  ASSERT_GT(raw_median, 0.0);
  // Without the subtraction the median would be raw_median itself.
  EXPECT_LT(median(cpu), 0.5 * raw_median) << "overhead " << o.cpu_ns << " ns, raw median " << raw_median;
  EXPECT_LE(median(wall), std::max(0.5 * o.wall_ns, 20.0));
}

TEST(CliTiming, SubtractionNeverGoesNegative) {
  TimerOverhead o;
  o.wall_ns = 100;
  o.cpu_ns = 500;
  Span raw;
  raw.wall_ns = 50;
  raw.cpu_ns = 2000;
  const Span d = subtract_overhead(raw, o);
  EXPECT_EQ(d.wall_ns, 0.0);
  EXPECT_EQ(d.cpu_ns, 1500.0);
}

}  // namespace
}  // namespace fuze::cli
