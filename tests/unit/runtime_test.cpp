// Runtime: options, layouts, shapes, counters, the kernel cache, launch, factory.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <new>
#include <set>
#include <thread>
#include <vector>

#include "runtime/runtime.h"
#include "support/log.h"
#include "unit/kernel_args_builder.h"

namespace fuze::runtime {
namespace {

using ir::Layout;

TEST(ClassifyLayout, Cases) {
  const int64_t s2[] = {4, 5};
  const int64_t c2[] = {5, 1};
  EXPECT_EQ(classify_layout(2, s2, c2), Layout::kContiguous);
  const int64_t t2[] = {1, 4};
  EXPECT_EQ(classify_layout(2, s2, t2), Layout::kStrided);
  const int64_t row[] = {0, 1};
  EXPECT_EQ(classify_layout(2, s2, row), Layout::kStrided);
  const int64_t zero[] = {0, 0};
  EXPECT_EQ(classify_layout(2, s2, zero), Layout::kBroadcast);
  // size-1 dims do not matter
  const int64_t s3[] = {4, 1, 5};
  const int64_t c3[] = {5, 77, 1};
  EXPECT_EQ(classify_layout(3, s3, c3), Layout::kContiguous);
  const int64_t b3[] = {0, 9, 0};
  EXPECT_EQ(classify_layout(3, s3, b3), Layout::kBroadcast);
  // one element, or rank 0: broadcast
  const int64_t one[] = {1, 1};
  EXPECT_EQ(classify_layout(2, one, c2), Layout::kBroadcast);
  EXPECT_EQ(classify_layout(0, nullptr, nullptr), Layout::kBroadcast);
  // sliced (step 2) is strided
  const int64_t sl[] = {10, 2};
  EXPECT_EQ(classify_layout(2, s2, sl), Layout::kStrided);
}

TEST(BroadcastShapes, NumpyRules) {
  std::vector<int64_t> out;
  ASSERT_TRUE(broadcast_shapes({4, 1, 5}, {3, 1}, &out));
  EXPECT_EQ(out, (std::vector<int64_t>{4, 3, 5}));
  ASSERT_TRUE(broadcast_shapes({}, {2, 3}, &out));
  EXPECT_EQ(out, (std::vector<int64_t>{2, 3}));
  ASSERT_TRUE(broadcast_shapes({0, 1}, {1, 7}, &out));
  EXPECT_EQ(out, (std::vector<int64_t>{0, 7}));
  ASSERT_TRUE(broadcast_shapes({}, {}, &out));
  EXPECT_TRUE(out.empty());
  out = {9};
  EXPECT_FALSE(broadcast_shapes({2, 3}, {4, 3}, &out));
  EXPECT_EQ(out, (std::vector<int64_t>{9}));  // untouched on failure
  EXPECT_FALSE(broadcast_shapes({0}, {2}, &out));
}

TEST(Options, EnvironmentPicksTheBackend) {
  setenv("FUZE_BACKEND", "cuda", 1);
  EXPECT_EQ(default_options().backend, BackendKind::kCuda);
  setenv("FUZE_BACKEND", "interp", 1);
  EXPECT_EQ(default_options().backend, BackendKind::kInterp);
  unsetenv("FUZE_BACKEND");
  const BackendKind plain = default_options().backend;
  setenv("FUZE_BACKEND", "bogus", 1);
  EXPECT_EQ(default_options().backend, plain);
  unsetenv("FUZE_BACKEND");
  std::unique_ptr<Backend> x86;
  EXPECT_EQ(plain, make_backend(BackendKind::kX86, &x86) ? BackendKind::kX86 : BackendKind::kInterp);
}

// A default-constructed Options is default_options(): the best backend here,
// not the interpreter; Stats{} is all zero.
TEST(Options, DefaultConstructedIsTheDefault) {
  unsetenv("FUZE_BACKEND");
  const Options o{};
  EXPECT_EQ(o.backend, default_options().backend);
  EXPECT_EQ(o.backend, default_cpu_backend());
  EXPECT_EQ(o.grain, default_options().grain);
  setenv("FUZE_BACKEND", "interp", 1);
  EXPECT_EQ(Options{}.backend, BackendKind::kInterp);
  unsetenv("FUZE_BACKEND");
  // Default-initialized (not value-initialized: `Stats{}` zeroes any struct)
  // over memory full of ones: only the member initializers can zero it.
  alignas(Stats) unsigned char raw[sizeof(Stats)];
  std::fill(raw, raw + sizeof(raw), 0xFF);
  const Stats* s = new (raw) Stats;
  EXPECT_EQ(s->hits + s->misses + s->compiles + s->compile_failures + s->fallbacks + s->evictions + s->kernel_calls, 0u);
  EXPECT_EQ(s->compile_us, 0.0);
}

TEST(Options, SetAndGet) {
  const Options saved = options();
  Options o;
  o.backend = BackendKind::kInterp;
  o.num_threads = 3;
  o.grain = 77;
  set_options(o);
  EXPECT_EQ(options().num_threads, 3);
  EXPECT_EQ(options().grain, 77);
  set_options(saved);
}

TEST(Factory, NamesAndUnavailableKinds) {
  for (BackendKind k : {BackendKind::kInterp, BackendKind::kX86, BackendKind::kCuda}) {
    BackendKind back;
    ASSERT_TRUE(parse_backend(backend_name(k), &back));
    EXPECT_EQ(back, k);
  }
  BackendKind dummy;
  EXPECT_FALSE(parse_backend("gpu", &dummy));
  std::unique_ptr<Backend> b;
  Status s = make_backend(BackendKind::kCuda, &b);
  if (!s) {  // a build without CUDA, or a machine without a driver, says why
    EXPECT_NE(s.message().find("cuda"), std::string::npos) << s.message();
    EXPECT_EQ(b, nullptr);
  }
  ASSERT_TRUE(make_backend(BackendKind::kInterp, &b));
  EXPECT_EQ(b->kind(), BackendKind::kInterp);
}

TEST(Stats, CountsFallbacksAndCalls) {
  reset_stats();
  count_fallback("reason A");
  count_fallback("reason A");
  count_fallback("reason B");
  count_kernel_call();
  const Stats s = stats();
  EXPECT_EQ(s.fallbacks, 3u);
  EXPECT_EQ(s.kernel_calls, 1u);
  reset_stats();
  EXPECT_EQ(stats().fallbacks, 0u);
}

// Each distinct reason is logged once, and only the first 256 of them: a
// process that makes new reasons without end keeps a bounded set.
TEST(Stats, FallbackReasonsLoggedOnceAndBounded) {
  const fuze::LogLevel before = fuze::log_level();
  fuze::set_log_level(fuze::LogLevel::kInfo);
  reset_stats();
  ::testing::internal::CaptureStderr();
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 300; ++i) count_fallback("reason " + std::to_string(i));
  }
  const std::string log = ::testing::internal::GetCapturedStderr();
  fuze::set_log_level(before);
  EXPECT_EQ(stats().fallbacks, 600u);
  size_t lines = 0;
  for (size_t p = log.find("fallback: reason "); p != std::string::npos; p = log.find("fallback: reason ", p + 1)) ++lines;
  EXPECT_EQ(lines, 256u);
  EXPECT_NE(log.find("further ones are counted, not logged"), std::string::npos);
  EXPECT_EQ(log.find("fallback: reason 256"), std::string::npos);
  reset_stats();
}

Status build_neg(ir::Kernel* k) {
  *k = ir::Kernel("", 1);
  const int x = k->add_input(ir::DType::kFloat32, Layout::kContiguous);
  k->add_output(k->add_op(ir::Op::kNeg, ir::DType::kFloat32, {x}), Layout::kContiguous);
  return Status::ok();
}

TEST(KernelCache, CompilesOnceAndHits) {
  KernelCache cache;
  reset_stats();
  std::atomic<int> builds{0};
  auto build = [&](ir::Kernel* k) {
    ++builds;
    return build_neg(k);
  };
  std::string why;
  auto a = cache.lookup_or_compile("neg/f32/1/c", BackendKind::kInterp, build, &why);
  ASSERT_NE(a, nullptr) << why;
  EXPECT_EQ(a->name(), "fused_neg");  // named by the pipeline
  auto b = cache.lookup_or_compile("neg/f32/1/c", BackendKind::kInterp, build, &why);
  EXPECT_EQ(a, b);
  EXPECT_EQ(builds.load(), 1);
  EXPECT_EQ(cache.size(), 1u);
  const Stats s = stats();
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.compiles, 1u);
  EXPECT_GT(s.compile_us, 0.0);
  // The kernel works.
  float in[3] = {1, -2, 0}, out[3] = {};
  testing::ArgsBuilder ab({3});
  ab.add_contiguous(in);
  ab.add_contiguous(out);
  a->run(ab.args(), 0, 3);
  EXPECT_EQ(out[1], 2.0f);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
}

TEST(KernelCache, ConcurrentMissesCompileOnce) {
  KernelCache cache;
  reset_stats();
  std::atomic<int> builds{0};
  std::atomic<int> arrived{0};
  auto build = [&](ir::Kernel* k) {
    ++builds;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the others pile up
    return build_neg(k);
  };
  constexpr int kThreads = 8;
  std::vector<std::shared_ptr<const CompiledKernel>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ++arrived;
      while (arrived.load() < kThreads) std::this_thread::yield();
      std::string why;
      got[static_cast<size_t>(t)] = cache.lookup_or_compile("same-key", BackendKind::kInterp, build, &why);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(builds.load(), 1);
  for (auto& g : got) {
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g, got[0]);
  }
  const Stats s = stats();
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, static_cast<uint64_t>(kThreads - 1));
  EXPECT_EQ(s.compiles, 1u);
}

TEST(KernelCache, DistinctKeysCompileSeparately) {
  KernelCache cache;
  std::atomic<int> builds{0};
  auto build = [&](ir::Kernel* k) {
    ++builds;
    return build_neg(k);
  };
  std::string why;
  auto a = cache.lookup_or_compile("k1", BackendKind::kInterp, build, &why);
  auto b = cache.lookup_or_compile("k2", BackendKind::kInterp, build, &why);
  EXPECT_NE(a, b);
  EXPECT_EQ(builds.load(), 2);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(KernelCache, FailedKeyIsRemembered) {
  KernelCache cache;
  reset_stats();
  int builds = 0;
  auto build = [&](ir::Kernel*) {
    ++builds;
    return Status::error("aten::foo is not supported");
  };
  std::string why;
  EXPECT_EQ(cache.lookup_or_compile("bad", BackendKind::kInterp, build, &why), nullptr);
  EXPECT_NE(why.find("aten::foo is not supported"), std::string::npos) << why;
  std::string why2;
  EXPECT_EQ(cache.lookup_or_compile("bad", BackendKind::kInterp, build, &why2), nullptr);
  EXPECT_EQ(why2, why);
  EXPECT_EQ(builds, 1);
  EXPECT_EQ(stats().compile_failures, 1u);
  EXPECT_EQ(stats().compiles, 0u);
}

TEST(KernelCache, BackendAndVerifierFailuresSaySo) {
  KernelCache cache;
  std::string why;
  auto ill_typed = [](ir::Kernel* k) {
    *k = ir::Kernel("", 1);
    const int x = k->add_input(ir::DType::kInt64, Layout::kContiguous);
    k->add_output(k->add_op(ir::Op::kNeg, ir::DType::kInt64, {x}), Layout::kContiguous);
    k->mutable_nodes()[1].op = ir::Op::kExp;
    return Status::ok();
  };
  EXPECT_EQ(cache.lookup_or_compile("i64", BackendKind::kInterp, ill_typed, &why), nullptr);
  EXPECT_NE(why.find("needs a floating dtype"), std::string::npos) << why;
  auto no_output = [](ir::Kernel* k) {
    *k = ir::Kernel("", 1);
    k->add_input(ir::DType::kFloat32, Layout::kContiguous);
    return Status::ok();
  };
  EXPECT_EQ(cache.lookup_or_compile("noout", BackendKind::kInterp, no_output, &why), nullptr);
  EXPECT_NE(why.find("kernel has no outputs"), std::string::npos) << why;
  auto throws = [](ir::Kernel*) -> Status { throw std::runtime_error("boom"); };
  EXPECT_EQ(cache.lookup_or_compile("throw", BackendKind::kInterp, throws, &why), nullptr);
  EXPECT_NE(why.find("boom"), std::string::npos) << why;
}

// A backend that cannot compile (cuda unavailable here, or x86 lacking an op)
// hands the same IR to interp: one compile failure counted, the interp kernel cached.
// A backend that cannot compile a kernel gives no kernel (the front end then
// runs TorchScript's ops); the runtime never chains to the slower interpreter.
TEST(KernelCache, FailedBackendGivesNoKernelNotTheInterpreter) {
  std::unique_ptr<Backend> cuda;
  if (make_backend(BackendKind::kCuda, &cuda)) {
    std::unique_ptr<CompiledKernel> probe;
    ir::Kernel k;
    ASSERT_TRUE(build_neg(&k));
    k.set_name("fused_neg");
    if (cuda->compile(k, &probe)) GTEST_SKIP() << "cuda compiles here: no failing backend";
  }
  KernelCache cache;
  reset_stats();
  std::string why;
  auto kernel = cache.lookup_or_compile("neg-cuda", BackendKind::kCuda, build_neg, &why);
  EXPECT_EQ(kernel, nullptr);
  EXPECT_NE(why.find("cuda"), std::string::npos) << why;
  EXPECT_EQ(stats().compile_failures, 1u);
  EXPECT_EQ(stats().compiles, 0u);
  auto again = cache.lookup_or_compile("neg-cuda", BackendKind::kCuda, build_neg, &why);
  EXPECT_EQ(again, nullptr);
  EXPECT_EQ(stats().compile_failures, 1u);  // remembered: no second try
  auto entries = cache.entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].backend, BackendKind::kCuda);
  EXPECT_TRUE(entries[0].failed);
}

// Ops the backend has no kernel for are decomposed before it compiles.
TEST(KernelCache, DecomposesOpsWithoutAKernel) {
  KernelCache cache;
  std::string why;
  auto build = [](ir::Kernel* k) {
    *k = ir::Kernel("", 1);
    const int a = k->add_input(ir::DType::kFloat32, Layout::kContiguous);
    const int b = k->add_input(ir::DType::kFloat32, Layout::kContiguous);
    k->add_output(k->add_op(ir::Op::kLogaddexp, ir::DType::kFloat32, {a, b}), Layout::kContiguous);
    return Status::ok();
  };
  auto kernel = cache.lookup_or_compile("logaddexp", BackendKind::kInterp, build, &why);
  ASSERT_NE(kernel, nullptr) << why;
  const std::string listing = kernel->listing();
  EXPECT_EQ(listing.find("= logaddexp"), std::string::npos) << listing;  // the name stays fused_logaddexp
  EXPECT_NE(listing.find("= exp"), std::string::npos) << listing;
  float a[3] = {1.0f, -INFINITY, 0.0f}, b[3] = {2.0f, -INFINITY, 0.0f}, out[3] = {};
  testing::ArgsBuilder ab({3});
  ab.add_contiguous(a);
  ab.add_contiguous(b);
  ab.add_contiguous(out);
  kernel->run(ab.args(), 0, 3);
  EXPECT_NEAR(out[0], 2.0 + std::log1p(std::exp(-1.0)), 1e-6);
  EXPECT_EQ(out[1], -INFINITY);
  EXPECT_NEAR(out[2], std::log(2.0), 1e-6);
}

TEST(KernelCache, LruEvictsLeastRecentlyUsed) {
  KernelCache cache;
  cache.set_limit(3);
  reset_stats();
  std::string why;
  auto get = [&](const std::string& key) { return cache.lookup_or_compile(key, BackendKind::kInterp, build_neg, &why); };
  auto a = get("a");
  get("b");
  get("c");
  EXPECT_EQ(get("a"), a);  // a is now the most recent; b the least
  get("d");                // evicts b
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(stats().evictions, 1u);
  EXPECT_EQ(get("a"), a);  // still cached
  EXPECT_EQ(stats().compiles, 4u);
  get("b");  // recompiled; evicts c
  EXPECT_EQ(stats().compiles, 5u);
  EXPECT_EQ(stats().evictions, 2u);
  EXPECT_EQ(cache.size(), 3u);
  cache.set_limit(1);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(stats().evictions, 4u);
  // Kernels handed out stay usable after eviction.
  float in[1] = {2}, out[1] = {};
  testing::ArgsBuilder ab({1});
  ab.add_contiguous(in);
  ab.add_contiguous(out);
  a->run(ab.args(), 0, 1);
  EXPECT_EQ(out[0], -2.0f);
}

TEST(KernelCache, EntriesDescribeKernelsAndFailures) {
  KernelCache cache;
  std::string why;
  ASSERT_NE(cache.lookup_or_compile("neg-key", BackendKind::kInterp, build_neg, &why), nullptr) << why;
  auto bad = [](ir::Kernel*) { return Status::error("nope"); };
  EXPECT_EQ(cache.lookup_or_compile("bad-key", BackendKind::kInterp, bad, &why), nullptr);
  auto entries = cache.entries();
  ASSERT_EQ(entries.size(), 2u);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.key > b.key; });
  EXPECT_EQ(entries[0].key, "neg-key");
  EXPECT_EQ(entries[0].name, "fused_neg");
  EXPECT_FALSE(entries[0].failed);
  EXPECT_EQ(entries[0].backend, BackendKind::kInterp);
  EXPECT_NE(entries[0].ir.find("neg f32"), std::string::npos) << entries[0].ir;
  EXPECT_FALSE(entries[0].listing.empty());
  EXPECT_GT(entries[0].compile_us, 0.0);
  EXPECT_EQ(entries[1].key, "bad-key");
  EXPECT_TRUE(entries[1].failed);
  EXPECT_NE(entries[1].failure.find("nope"), std::string::npos);
}

TEST(KernelCache, GlobalIsOneInstance) { EXPECT_EQ(&KernelCache::global(), &KernelCache::global()); }

// Records the ranges it is asked to run.
class RecordingKernel : public CompiledKernel {
 public:
  void run(const KernelArgs&, int64_t begin, int64_t end) const override {
    std::lock_guard<std::mutex> lock(mu_);
    ranges_.push_back({begin, end});
    threads_.insert(std::this_thread::get_id());
  }
  const std::string& name() const override { return name_; }
  mutable std::mutex mu_;
  mutable std::vector<std::pair<int64_t, int64_t>> ranges_;
  mutable std::set<std::thread::id> threads_;
  std::string name_ = "recording";
};

KernelArgs args_with_numel(int64_t n) {
  KernelArgs a;
  a.numel = n;
  return a;
}

void expect_partition(std::vector<std::pair<int64_t, int64_t>> ranges, int64_t numel, int64_t grain,
                      size_t max_chunks) {
  std::sort(ranges.begin(), ranges.end());
  ASSERT_FALSE(ranges.empty());
  EXPECT_LE(ranges.size(), max_chunks);
  int64_t at = 0;
  for (auto [b, e] : ranges) {
    EXPECT_EQ(b, at);
    EXPECT_GE(e - b, grain);
    at = e;
  }
  EXPECT_EQ(at, numel);
}

TEST(Launch, SmallRunsInlineOnTheCaller) {
  RecordingKernel k;
  launch(k, args_with_numel(1000), 8, 600);  // < 2 * grain
  ASSERT_EQ(k.ranges_.size(), 1u);
  EXPECT_EQ(k.ranges_[0], (std::pair<int64_t, int64_t>{0, 1000}));
  EXPECT_EQ(*k.threads_.begin(), std::this_thread::get_id());
  RecordingKernel k1;
  launch(k1, args_with_numel(1000000), 1, 10);  // one thread
  ASSERT_EQ(k1.ranges_.size(), 1u);
  RecordingKernel k0;
  launch(k0, args_with_numel(0), 4, 1);
  EXPECT_TRUE(k0.ranges_.empty());
}

TEST(Launch, SplitsIntoContiguousChunks) {
  for (int threads : {2, 3, 4, 8}) {
    for (int64_t numel : {int64_t(2000), int64_t(2001), int64_t(99999), int64_t(1) << 20}) {
      RecordingKernel k;
      launch(k, args_with_numel(numel), threads, 1000);
      expect_partition(k.ranges_, numel, 1000, static_cast<size_t>(threads));
      EXPECT_GE(k.ranges_.size(), 2u);
    }
  }
}

TEST(Launch, ChunksNeverSmallerThanGrain) {
  RecordingKernel k;
  launch(k, args_with_numel(2500), 8, 1000);  // room for 2 chunks only
  expect_partition(k.ranges_, 2500, 1000, 2);
}

// A row kernel that splits its rows (run_split): the segment ranges par
// covered, and whether run() was used instead.
class SplittingKernel : public RecordingKernel {
 public:
  bool run_split(const KernelArgs&, int64_t begin, int64_t end, int parts, const SplitFor& par) const override {
    rows_ = {begin, end};
    parts_ = parts;
    par(10, [&](int64_t b, int64_t e) {
      std::lock_guard<std::mutex> lock(mu_);
      segments_.push_back({b, e});
    });
    return true;
  }
  mutable std::pair<int64_t, int64_t> rows_{-1, -1};
  mutable int parts_ = 0;
  mutable std::vector<std::pair<int64_t, int64_t>> segments_;
};

TEST(Launch, FewLongRowsSplitEachRow) {
  const int64_t sizes[] = {1, 100000};
  KernelArgs a;
  a.rank = 2;
  a.sizes = sizes;
  a.numel = 100000;
  SplittingKernel k;
  launch_rows(k, a, 1, 2, 1000);  // one row, two threads: the row is split
  EXPECT_EQ(k.rows_, (std::pair<int64_t, int64_t>{0, 1}));
  EXPECT_EQ(k.parts_, 2);
  expect_partition(k.segments_, 10, 1, 2);
  EXPECT_TRUE(k.ranges_.empty());
  const int64_t many[] = {4, 25000};
  a.sizes = many;
  SplittingKernel k2;
  launch_rows(k2, a, 1, 2, 1000);  // as many rows as threads or more: rows are split instead
  EXPECT_EQ(k2.parts_, 0);
  expect_partition(k2.ranges_, 4, 1, 2);
  const int64_t short_row[] = {1, 1500};
  a.sizes = short_row;
  a.numel = 1500;
  SplittingKernel k3;
  launch_rows(k3, a, 1, 2, 1000);  // a row under two grains runs whole
  EXPECT_EQ(k3.parts_, 0);
  ASSERT_EQ(k3.ranges_.size(), 1u);
}

TEST(Launch, ConcurrentLaunchesFromManyThreads) {
  std::vector<std::thread> callers;
  std::atomic<int> bad{0};
  for (int t = 0; t < 6; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        RecordingKernel k;
        launch(k, args_with_numel(50000), 4, 1000);
        int64_t total = 0;
        for (auto [b, e] : k.ranges_) total += e - b;
        if (total != 50000) ++bad;
      }
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace fuze::runtime
