// reduce_cost: x86 row-reduction kernels against the interpreter's, single
// thread, float32 rows (torch-free). Prints ns per element (best of reps).
//
//   reduce_cost [rows] [row_len] [reps] [--isa sse|avx2|avx512] [--x86-only] [--only NAME]
//
// Kernels: sum, softmax, log_softmax, layer_norm (weight, bias, mean/rstd
// outputs), rms_norm_residual (x + res, then RMSNorm with a weight; both
// stored), masked_softmax (scores * scale + mask).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/interp/interp_reduce.h"
#include "backends/x86/x86_backend.h"
#include "support/aligned_allocator.h"
#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace {

struct Bench {
  const char* name;
  const char* text;
};

const Bench kBenches[] = {
    {"sum", R"(kernel sum rank 2 reduce 1 {
  %0 = input 0 f32 contiguous
  %1 = sum f32 %0
  output %1 strided
})"},
    {"softmax", R"(kernel softmax rank 2 reduce 1 {
  %0 = input 0 f32 contiguous
  %1 = amax f32 %0
  %2 = sub f32 %0, %1
  %3 = exp f32 %2
  %4 = sum f32 %3
  %5 = const f32 1
  %6 = div f32 %5, %4
  %7 = mul f32 %3, %6
  output %7 contiguous
})"},
    {"masked_softmax", R"(kernel masked_softmax rank 2 reduce 1 {
  %0 = input 0 f32 contiguous
  %1 = input 1 f32 scalar
  %2 = input 2 f32 strided
  %3 = mul f32 %0, %1
  %4 = add f32 %3, %2
  %5 = amax f32 %4
  %6 = sub f32 %4, %5
  %7 = exp f32 %6
  %8 = sum f32 %7
  %9 = const f32 1
  %10 = div f32 %9, %8
  %11 = mul f32 %7, %10
  output %11 contiguous
})"},
    {"layer_norm", R"(kernel layer_norm rank 2 reduce 1 {
  %0 = input 0 f32 contiguous
  %1 = input 1 f32 strided
  %2 = input 2 f32 strided
  %3 = const f32 1.0000000000000001e-05
  %4 = sum f32 %0
  %5 = row_size f32
  %6 = div f32 %4, %5
  %7 = sub f32 %0, %6
  %8 = mul f32 %7, %7
  %9 = sum f32 %8
  %10 = div f32 %9, %5
  %11 = add f32 %10, %3
  %12 = rsqrt f32 %11
  %13 = mul f32 %7, %12
  %14 = mul f32 %13, %1
  %15 = add f32 %14, %2
  output %15 contiguous
  output %6 strided
  output %12 strided
})"},
    {"layer_norm_residual", R"(kernel layer_norm_residual rank 2 reduce 1 {
  %0 = input 0 f32 contiguous
  %1 = input 1 f32 contiguous
  %2 = input 2 f32 strided
  %3 = input 3 f32 strided
  %4 = add f32 %0, %1
  %5 = cast f64 %4
  %6 = sum f64 %5
  %7 = row_size f64
  %8 = div f64 %6, %7
  %9 = sub f64 %5, %8
  %10 = mul f64 %9, %9
  %11 = sum f64 %10
  %12 = div f64 %11, %7
  %13 = const f64 1.0000000000000001e-05
  %14 = add f64 %12, %13
  %15 = sqrt f64 %14
  %16 = const f64 1
  %17 = div f64 %16, %15
  %18 = mul f64 %9, %17
  %19 = cast f64 %2
  %20 = mul f64 %18, %19
  %21 = cast f64 %3
  %22 = add f64 %20, %21
  %23 = cast f32 %22
  output %23 contiguous
})"},
    {"rms_norm_residual", R"(kernel rms_norm_residual rank 2 reduce 1 {
  %0 = input 0 f32 contiguous
  %1 = input 1 f32 contiguous
  %2 = input 2 f32 strided
  %3 = const f32 9.9999999999999995e-07
  %4 = add f32 %0, %1
  %5 = mul f32 %4, %4
  %6 = sum f32 %5
  %7 = row_size f32
  %8 = div f32 %6, %7
  %9 = add f32 %8, %3
  %10 = rsqrt f32 %9
  %11 = mul f32 %4, %10
  %12 = mul f32 %11, %2
  output %12 contiguous
  output %4 contiguous
})"},
};

double best_ns(const fuze::CompiledKernel& k, const fuze::KernelArgs& a, int64_t rows, int reps) {
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    k.run(a, 0, rows);
    best = std::min(best, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 4096, len = 1024;
  int reps = 5, isa = -1;
  bool x86_only = false;
  std::string only;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--x86-only") == 0) {
      x86_only = true;
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else if (std::strcmp(argv[i], "--isa") == 0 && i + 1 < argc) {
      const std::string v = argv[++i];
      isa = v == "sse" ? 0 : v == "avx2" ? 1 : 2;
    } else {
      pos.emplace_back(argv[i]);
    }
  }
  if (pos.size() > 0) rows = std::atoll(pos[0].c_str());
  if (pos.size() > 1) len = std::atoll(pos[1].c_str());
  if (pos.size() > 2) reps = std::atoi(pos[2].c_str());
  fuze::X86Options opt;
  opt.isa = isa;
  std::unique_ptr<fuze::Backend> xb;
  if (fuze::Status s = fuze::make_x86_backend(opt, &xb); !s) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  const int64_t n = rows * len;
  std::mt19937 g(1);
  std::normal_distribution<float> nd(0.0f, 2.0f);
  // 64-byte aligned, as torch's allocations.
  std::vector<float, fuze::support::Aligned64<float>> x(static_cast<size_t>(n)), res(static_cast<size_t>(n)),
      out(static_cast<size_t>(n)), out2(static_cast<size_t>(n)), w(static_cast<size_t>(len)),
      b(static_cast<size_t>(len)), per_row(static_cast<size_t>(rows)), per_row2(static_cast<size_t>(rows));
  for (auto* v : {&x, &res, &w, &b}) {
    for (float& f : *v) f = nd(g);
  }
  const std::vector<int64_t> sizes = {rows, len};
  const std::vector<int64_t> dense = {len, 1}, across = {0, 1}, row_out = {1, 0};
  const std::vector<std::string> names = fuze::x86_supported_isa_names();
  std::printf("%lld rows x %lld f32, x86 %s, single thread, best of %d\n", static_cast<long long>(rows),
              static_cast<long long>(len), isa < 0 ? "default isa" : names[static_cast<size_t>(isa)].c_str(), reps);
  std::printf("%-20s %12s %12s %9s\n", "kernel", "x86 ns/elem", "interp", "speedup");
  for (const Bench& bench : kBenches) {
    if (!only.empty() && only != bench.name) continue;
    fuze::ir::Kernel k;
    if (fuze::Status s = fuze::ir::parse(bench.text, &k); !s) return 1;
    std::unique_ptr<fuze::CompiledKernel> xk;
    if (fuze::Status s = xb->compile(k, &xk); !s) {
      std::fprintf(stderr, "%s: %s\n", bench.name, s.message().c_str());
      return 1;
    }
    auto ik = fuze::interp::make_reduce_kernel(k);
    std::vector<void*> data;
    std::vector<int64_t> strides;
    std::vector<double> scalars;
    auto add = [&](void* p, const std::vector<int64_t>& st, double sc = 0.0) {
      data.push_back(p);
      strides.insert(strides.end(), st.begin(), st.end());
      scalars.push_back(sc);
    };
    const std::string name = bench.name;
    if (name == "sum") {
      add(x.data(), dense);
      add(per_row.data(), row_out);
    } else if (name == "softmax") {
      add(x.data(), dense);
      add(out.data(), dense);
    } else if (name == "masked_softmax") {
      add(x.data(), dense);
      add(nullptr, {0, 0}, 0.125);
      add(w.data(), across);
      add(out.data(), dense);
    } else if (name == "layer_norm") {
      add(x.data(), dense);
      add(w.data(), across);
      add(b.data(), across);
      add(out.data(), dense);
      add(per_row.data(), row_out);
      add(per_row2.data(), row_out);
    } else if (name == "layer_norm_residual") {
      add(x.data(), dense);
      add(res.data(), dense);
      add(w.data(), across);
      add(b.data(), across);
      add(out.data(), dense);
    } else {
      add(x.data(), dense);
      add(res.data(), dense);
      add(w.data(), across);
      add(out.data(), dense);
      add(out2.data(), dense);
    }
    fuze::KernelArgs a;
    a.numel = n;
    a.rank = 2;
    a.sizes = sizes.data();
    a.data = data.data();
    a.strides = strides.data();
    a.scalars = scalars.data();
    const double tx = best_ns(*xk, a, rows, reps) / static_cast<double>(n);
    const double ti = x86_only ? 0.0 : best_ns(*ik, a, rows, std::max(1, reps / 3)) / static_cast<double>(n);
    std::printf("%-20s %12.3f %12.3f %8.1fx\n", bench.name, tx, ti, ti / tx);
  }
  return 0;
}
