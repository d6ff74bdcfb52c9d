// Memory bounds (issue #8, item 5):
// - RSS stays flat over 100k forward calls with random shapes: a bounded set of
//   signatures first, then more signatures than the kernel cache and the
//   per-group table hold, with the modules re-fused now and then, so kernels
//   are evicted, recompiled and their code pages unmapped all along.
// - JIT code is never writable and executable at once: one thread compiles
//   x86 kernels over and over while another scans /proc/self/maps.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "fuze/fuze.h"
#include "runtime/runtime.h"
#include "stress/stress_util.h"

namespace fuze::stress {
namespace {

// Rank-k contiguous inputs (k = 1..6) for a two-input model: one signature per rank.
std::vector<torch::jit::IValue> ranked_pair(int rank, std::mt19937& rng) {
  std::vector<int64_t> shape;
  for (int d = 0; d < rank; ++d) shape.push_back(pick(rng, 2, rank <= 2 ? 24 : 4));
  return {torch::randn(shape), torch::randn(shape)};
}

struct Fused {
  Model model;
  torch::jit::Module plain;
  std::unique_ptr<fuze::Module> fused;
};

TEST(Memory, RssFlatOver100kCalls) {
  if (FUZE_STRESS_SANITIZED) GTEST_SKIP() << "RSS is meaningless under a sanitizer (shadow memory, quarantine)";
  torch::NoGradGuard no_grad;
  const fuze::Options saved = fuze::options();
  const runtime::Options saved_rt = runtime::options();
  fuze::Options o = saved;
  o.backend = runtime::default_cpu_backend();
  o.num_threads = 1;
  fuze::set_options(o);
  runtime::KernelCache::global().clear();
  fuze::reset_stats();

  std::vector<Fused> models;
  for (const Model& m : {lstm_model(), cheap_model(), add_tanh_model()}) {
    torch::jit::Module plain = torch::jit::load(model_path(m.name));
    models.push_back({m, plain, std::make_unique<fuze::Module>(fuze::optimize(plain))});
  }
  std::mt19937 rng(7);
  int64_t max_ulp = 0, mismatches = 0;
  std::string first_problem;
  // One call: a random model and signature; every 97th call is checked against TorchScript.
  auto call = [&](int64_t i, bool many_signatures) {
    Fused& f = models[static_cast<size_t>(pick(rng, 0, 2))];
    std::vector<torch::jit::IValue> in;
    if (many_signatures && f.model.name != "lstm_cell_pointwise" && pick(rng, 0, 1) == 0) {
      in = ranked_pair(static_cast<int>(pick(rng, 1, 6)), rng);
    } else {
      in = f.model.make(static_cast<int>(pick(rng, 0, f.model.num_signatures - 1)), rng, false);
    }
    const torch::jit::IValue got = f.fused->forward(in);
    if (i % 97 == 0) {
      const std::string why = compare(got, f.plain.forward(in), &max_ulp, f.model.exact);
      if (!why.empty() && mismatches++ == 0) first_problem = f.model.name + ": " + why;
    }
  };

  const int64_t kPhase = 50000, kWarmUp = 5000;
  const auto t0 = std::chrono::steady_clock::now();
  // Phase 1: 13 signatures over 3 groups, sizes at random.
  for (int64_t i = 0; i < kWarmUp; ++i) call(i, false);
  const int64_t rss0 = rss_bytes();
  for (int64_t i = kWarmUp; i < kPhase; ++i) call(i, false);
  const int64_t rss1 = rss_bytes();
  const fuze::Stats st1 = fuze::stats();

  // Phase 2: up to 16 signatures per two-input group, 4 per group kept, 6
  // kernels in the whole cache; every 2000 calls the modules are fused anew
  // (fresh group tables: evicted kernels compile again, old ones are freed).
  runtime::Options rt = runtime::options();
  rt.cache_limit = 6;
  rt.max_signatures_per_group = 4;
  runtime::set_options(rt);
  auto refuse = [&] {
    for (Fused& f : models) f.fused = std::make_unique<fuze::Module>(fuze::optimize(f.plain));
  };
  refuse();
  int64_t rss2 = 0;
  for (int64_t i = 0; i < kPhase; ++i) {
    if (i > 0 && i % 2000 == 0) refuse();
    if (i == kWarmUp) rss2 = rss_bytes();
    call(i, true);
  }
  const int64_t rss3 = rss_bytes();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const fuze::Stats st = fuze::stats();
  runtime::set_options(saved_rt);
  fuze::set_options(saved);

  const double mib = 1024.0 * 1024.0;
  std::cout << "[stress] RSS over " << 2 * kPhase << " calls (" << backend_name(o.backend) << "): phase 1 "
            << rss0 / mib << " -> " << rss1 / mib << " MiB; phase 2 (evicting) " << rss2 / mib << " -> "
            << rss3 / mib << " MiB; compiles " << st1.compiles << " then " << st.compiles << ", evictions "
            << st.evictions << ", fallbacks " << st.fallbacks << ", kernel calls " << st.kernel_calls
            << ", cache size " << runtime::KernelCache::global().size() << ", max " << max_ulp << " ULP (|ref| >= 1e-3), " << secs
            << " s\n";
  EXPECT_EQ(mismatches, 0) << first_problem;
  EXPECT_EQ(st1.compiles, 13u);
  EXPECT_EQ(st1.fallbacks, 0u);
  EXPECT_EQ(st.compile_failures, 0u);
  EXPECT_GT(st.evictions, 100u);
  EXPECT_GT(st.fallbacks, 0u);  // signatures past the per-group limit
  EXPECT_LE(runtime::KernelCache::global().size(), 6u);
  const int64_t kBound = 8 << 20;
  EXPECT_LT(rss1 - rss0, kBound) << "phase 1 grew " << (rss1 - rss0) / mib << " MiB";
  EXPECT_LT(rss3 - rss2, kBound) << "phase 2 grew " << (rss3 - rss2) / mib << " MiB";
  EXPECT_LT(rss3 - rss0, 2 * kBound) << "grew " << (rss3 - rss0) / mib << " MiB in all";
}

// Lines of /proc/self/maps whose permissions are both w and x.
std::vector<std::string> writable_executable_mappings() {
  std::vector<std::string> out;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t sp = line.find(' ');
    if (sp == std::string::npos || sp + 4 >= line.size()) continue;
    if (line[sp + 2] == 'w' && line[sp + 3] == 'x') out.push_back(line);
  }
  return out;
}

TEST(Memory, JitCodeIsNeverWritableAndExecutable) {
  if (runtime::default_cpu_backend() != BackendKind::kX86) GTEST_SKIP() << "x86 backend not built or not usable";
  torch::NoGradGuard no_grad;
  const std::vector<std::string> before = writable_executable_mappings();
  ASSERT_TRUE(before.empty()) << "a writable+executable mapping before any compile: " << before[0];
  const fuze::Options saved = fuze::options();
  fuze::Options o = saved;
  o.backend = BackendKind::kX86;
  o.num_threads = 1;
  fuze::set_options(o);
  fuze::reset_stats();

  std::atomic<bool> done{false};
  std::atomic<int64_t> scans{0};
  std::vector<std::string> seen;
  std::thread scanner([&] {
    while (!done.load()) {
      for (std::string& l : writable_executable_mappings()) {
        if (seen.size() < 10) seen.push_back(std::move(l));
      }
      scans.fetch_add(1);
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<torch::jit::Module> plains;
  for (const Model& m : {lstm_model(), cheap_model(), add_tanh_model()}) plains.push_back(torch::jit::load(model_path(m.name)));
  const std::vector<Model> ms = {lstm_model(), cheap_model(), add_tanh_model()};
  std::mt19937 rng(3);
  const int kRounds = FUZE_STRESS_SANITIZED ? 8 : 30;
  for (int round = 0; round < kRounds; ++round) {
    runtime::KernelCache::global().clear();  // every round compiles (and later unmaps) all 13 kernels again
    for (size_t k = 0; k < ms.size(); ++k) {
      fuze::Module fused = fuze::optimize(plains[k]);
      for (int sig = 0; sig < ms[k].num_signatures; ++sig) fused.forward(ms[k].make(sig, rng, false));
    }
  }
  // Let the scanner finish at least a few full passes after the last compile.
  const int64_t s = scans.load();
  while (scans.load() < s + 3) std::this_thread::yield();
  done.store(true);
  scanner.join();
  fuze::set_options(saved);
  const fuze::Stats st = fuze::stats();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "[stress] W^X: " << st.compiles << " x86 compiles, " << scans.load()
            << " scans of /proc/self/maps, " << seen.size() << " writable+executable mappings seen, " << secs
            << " s\n";
  EXPECT_EQ(st.compiles, static_cast<uint64_t>(13 * kRounds));
  EXPECT_GT(scans.load(), 10);
  EXPECT_TRUE(seen.empty()) << "writable+executable mapping: " << seen[0];
}

}  // namespace
}  // namespace fuze::stress
