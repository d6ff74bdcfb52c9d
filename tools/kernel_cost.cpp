// kernel_cost: compiles one benchmark kernel with the x86 backend and runs it
// over n contiguous float32 elements `reps` times; a small driver for
// instruction counting (valgrind --tool=callgrind, perf stat) that does not
// need a quiet machine. Per-element cost = difference of two runs with
// different n divided by the difference in elements (compile time cancels).
//
//   kernel_cost <op>|add_tanh|lstm|ten_op <n> [reps] [--isa sse|avx2|avx512]
//               [--dtype f32|f16|bf16] [--square] [--bench-inputs]
// <op>: any unary or binary op by its IR name (exp, log, atan2, ...), on
// float32 inputs drawn from N(0, 2); a uniform second operand (pow's exponent)
// is a run-time scalar 0.25; <op>:<c> (pow:2.5) makes it the constant c.
// --dtype: the op's operands and result in that dtype (inputs converted from
// the float32 draws); --square: the op bench's kernel, r = op(...) then r * r
// (bench/op_dtype_bench.cpp); --bench-inputs: that bench's inputs, uniform in
// (0.1, 0.9).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/x86/x86_backend.h"
#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace {

using fuze::ir::DType;
using fuze::ir::Layout;
using fuze::ir::Op;
DType kF = DType::kFloat32;
bool g_square = false;
bool g_bench_inputs = false;
constexpr Layout kC = Layout::kContiguous;

bool build_kernel(const std::string& what, fuze::ir::Kernel* k) {
  Op op;
  if (what == "add_tanh") {
    const int a = k->add_input(kF, kC), b = k->add_input(kF, kC);
    k->add_output(k->add_op(Op::kTanh, kF, {k->add_op(Op::kAdd, kF, {a, b})}), kC);
  } else if (what == "lstm") {
    const int ig = k->add_input(kF, kC), fg = k->add_input(kF, kC), gg = k->add_input(kF, kC);
    const int og = k->add_input(kF, kC), cx = k->add_input(kF, kC);
    const int i = k->add_op(Op::kSigmoid, kF, {ig}), f = k->add_op(Op::kSigmoid, kF, {fg});
    const int g = k->add_op(Op::kTanh, kF, {gg}), o = k->add_op(Op::kSigmoid, kF, {og});
    const int cy = k->add_op(Op::kAdd, kF, {k->add_op(Op::kMul, kF, {f, cx}), k->add_op(Op::kMul, kF, {i, g})});
    k->add_output(k->add_op(Op::kMul, kF, {o, k->add_op(Op::kTanh, kF, {cy})}), kC);
    k->add_output(cy, kC);
  } else if (what == "ten_op") {
    const int a = k->add_input(kF, kC), b = k->add_input(kF, kC), s = k->add_input(kF, Layout::kScalar);
    const int c = k->add_const(kF, 0.5);
    int v = k->add_op(Op::kMul, kF, {a, b});
    v = k->add_op(Op::kAdd, kF, {v, s});
    v = k->add_op(Op::kSub, kF, {v, a});
    v = k->add_op(Op::kMul, kF, {v, c});
    v = k->add_op(Op::kMaximum, kF, {v, b});
    v = k->add_op(Op::kAbs, kF, {v});
    v = k->add_op(Op::kNeg, kF, {v});
    v = k->add_op(Op::kClampMin, kF, {v, s});
    v = k->add_op(Op::kDiv, kF, {v, k->add_op(Op::kAdd, kF, {b, c})});
    k->add_output(v, kC);
  } else if (what.find(':') != std::string::npos && fuze::ir::parse_op(what.substr(0, what.find(':')), &op) &&
             fuze::ir::op_info(op).arity == 2) {
    // <op>:<c>: a compile-time constant second operand (pow:2.5).
    const int a = k->add_input(kF, kC);
    const int c = k->add_const(kF, std::atof(what.c_str() + what.find(':') + 1));
    const int r = k->add_op(op, kF, {a, c});
    k->add_output(g_square ? k->add_op(Op::kMul, kF, {r, r}) : r, kC);
  } else if (fuze::ir::parse_op(what, &op) && (fuze::ir::op_info(op).arity == 1 || fuze::ir::op_info(op).arity == 2)) {
    std::vector<int> args = {k->add_input(kF, kC)};
    if (fuze::ir::op_info(op).arity == 2) {
      // A uniform second operand (pow's exponent) is a run-time scalar (0.25).
      const bool uniform = (fuze::ir::op_info(op).flags & fuze::ir::kUniformRhs) != 0;
      args.push_back(k->add_input(kF, uniform ? fuze::ir::Layout::kScalar : kC));
    }
    const int r = k->add_op(op, kF, args);
    k->add_output(g_square ? k->add_op(Op::kMul, kF, {r, r}) : r, kC);
  } else {
    return false;
  }
  k->set_name(k->chain_name());
  return true;
}

// float32 -> f16 bits, round to nearest even (normal range; the draws are).
uint16_t f32_to_f16(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  const uint32_t sign = (b >> 16) & 0x8000u;
  const int e = static_cast<int>((b >> 23) & 0xFF) - 127 + 15;
  if (e <= 0) return static_cast<uint16_t>(sign);
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7C00u);
  uint32_t m = b & 0x7FFFFFu, h = (static_cast<uint32_t>(e) << 10) | (m >> 13);
  const uint32_t rest = m & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <op>|add_tanh|lstm|ten_op <n> [reps] [--isa L]\n", argv[0]);
    return 2;
  }
  const std::string what = argv[1];
  const int64_t n = std::atoll(argv[2]);
  int reps = 1;
  fuze::X86Options opts;
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--isa") == 0 && i + 1 < argc) {
      const auto names = fuze::x86_supported_isa_names();
      for (size_t j = 0; j < names.size(); ++j) {
        if (names[j] == argv[i + 1]) opts.isa = fuze::x86_supported_isas()[j];
      }
      ++i;
    } else if (std::strcmp(argv[i], "--dtype") == 0 && i + 1 < argc) {
      const std::string t = argv[++i];
      kF = t == "bf16" ? DType::kBFloat16 : t == "f16" ? DType::kFloat16 : DType::kFloat32;
    } else if (std::strcmp(argv[i], "--square") == 0) {
      g_square = true;
    } else if (std::strcmp(argv[i], "--bench-inputs") == 0) {
      g_bench_inputs = true;
    } else {
      reps = std::atoi(argv[i]);
    }
  }
  fuze::ir::Kernel k("cost", 1);
  if (!build_kernel(what, &k)) {
    std::fprintf(stderr, "unknown kernel %s\n", what.c_str());
    return 2;
  }
  std::unique_ptr<fuze::Backend> backend;
  fuze::Status st = fuze::make_x86_backend(opts, &backend);
  std::unique_ptr<fuze::CompiledKernel> ck;
  if (st) st = backend->compile(k, &ck);
  if (!st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  const int nin = k.num_inputs(), nout = k.num_outputs();
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 2.0f);
  // float32 buffers; a 16-bit dtype uses the first half of each, its
  // elements the upper (bf16) or converted (f16: from_f32) bits of the draws.
  std::vector<std::vector<float>> bufs(static_cast<size_t>(nin + nout), std::vector<float>(static_cast<size_t>(n)));
  for (int i = 0; i < nin; ++i) {
    auto& b = bufs[static_cast<size_t>(i)];
    std::uniform_real_distribution<float> ud(0.1f, 0.9f);
    for (float& v : b) v = g_bench_inputs ? ud(rng) : nd(rng);
    if (kF != DType::kFloat32) {
      std::vector<uint16_t> h(static_cast<size_t>(n));
      for (size_t j = 0; j < h.size(); ++j) {
        uint32_t bits;
        std::memcpy(&bits, &b[j], 4);
        h[j] = kF == DType::kBFloat16 ? static_cast<uint16_t>(bits >> 16) : f32_to_f16(b[j]);
      }
      std::memcpy(b.data(), h.data(), h.size() * 2);
    }
  }
  std::vector<void*> data;
  std::vector<int64_t> strides(static_cast<size_t>(nin + nout), 1);
  std::vector<double> scalars(static_cast<size_t>(nin), 0.25);
  for (auto& b : bufs) data.push_back(b.data());
  const int64_t sizes[1] = {n};
  fuze::KernelArgs a;
  a.numel = n;
  a.rank = 1;
  a.sizes = sizes;
  a.data = data.data();
  a.strides = strides.data();
  a.scalars = scalars.data();
  // Thread CPU time too: on a shared machine, time sliced away is not counted.
  auto cpu_ns = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  };
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_ns();
  for (int r = 0; r < reps; ++r) ck->run(a, 0, n);
  const double cpu = cpu_ns() - c0;
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  double sum = 0;
  for (int o = 0; o < nout; ++o) {
    const auto& b = bufs[static_cast<size_t>(nin + o)];
    if (kF == DType::kFloat32) {
      for (float v : b) sum += v;
    } else {
      const uint16_t* h = reinterpret_cast<const uint16_t*>(b.data());
      for (int64_t j = 0; j < n; ++j) sum += h[j];  // the bits: a checksum
    }
  }
  std::printf("%s n=%lld reps=%d: %.3f ns/element (wall, rough) checksum %.6g; %.3f ns/element thread CPU time\n",
              what.c_str(), static_cast<long long>(n), reps, ns / (static_cast<double>(n) * reps), sum,
              cpu / (static_cast<double>(n) * reps));
  return 0;
}
