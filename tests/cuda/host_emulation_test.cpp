// The emitted CUDA C of row-reduction kernels, RUN ON THE CPU: the program is
// compiled by the host C++ compiler against a small shim (coroutines for CUDA
// threads, barriers for __syncthreads/__syncwarp, an exchange buffer for the
// warp shuffles; one block of 256 threads, so __shared__ becomes static) and
// its results are compared bit for bit with the interpreter's. This checks
// the generated code's order of accumulation, shuffles, barriers and index
// math without a GPU (the threads are coroutines switched at barriers, so a
// missing barrier that a GPU would race on may go unseen here); the device
// tests check the same on a GPU. The prelude's f16 conversions (PTX asm) are
// patched to the host compiler's _Float16 (f16 kernels are left out where it
// has none). Not covered: the GPU's own math library (exp etc. come from the
// host's libm, as in the interpreter).
// Skipped when no host compiler (c++, or $CXX) can build the program.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <fstream>
#include <string>
#include <vector>

#include "backends/cuda/emitter.h"
#include "backends/cuda/emitter_util.h"
#include "cuda/row_cases.h"

namespace fuze {
namespace {

const char* kShim = R"SHIM(
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <ucontext.h>
#include <functional>
#include <vector>
#define __device__
#define __forceinline__ inline
#define __global__
#define __launch_bounds__(n)
#define __shared__ static
#define asm(...) ((void)0)
struct dim3 { unsigned x = 0, y = 0, z = 0; };
struct float4 { float x, y, z, w; };
struct double2 { double x, y; };
struct uint4 { unsigned x, y, z, w; };
struct int4 { int x, y, z, w; };
struct longlong2 { long long x, y; };
inline dim3 blockIdx = {0, 0, 0}, gridDim = {1, 1, 1}, blockDim = {256, 1, 1};
// The 256 threads of the block are coroutines (ucontext) on the calling thread,
// switched at barriers only: deterministic, and cheap next to OS threads.
inline ucontext_t fuze_host_main, fuze_host_ctx[256];
inline int fuze_host_cur = 0;
inline int fuze_host_wait_kind[256];  // 0 runnable, 1 at __syncthreads, 2 at __syncwarp
inline long fuze_host_wait_gen[256];
inline bool fuze_host_done[256];
inline long fuze_host_block_gen = 0, fuze_host_warp_gen[8];
inline int fuze_host_block_count = 0, fuze_host_warp_count[8];
inline const std::function<void()>* fuze_host_fn = nullptr;
inline dim3 fuze_host_thread_idx() {
  dim3 d;
  d.x = static_cast<unsigned>(fuze_host_cur);
  return d;
}
#define threadIdx (fuze_host_thread_idx())
inline void fuze_host_wait(int kind, long gen) {
  const int t = fuze_host_cur;
  fuze_host_wait_kind[t] = kind;
  fuze_host_wait_gen[t] = gen;
  swapcontext(&fuze_host_ctx[t], &fuze_host_main);
}
inline void __syncthreads() {
  const long g = fuze_host_block_gen;
  if (++fuze_host_block_count == 256) {
    fuze_host_block_count = 0;
    ++fuze_host_block_gen;
    return;
  }
  fuze_host_wait(1, g);
}
inline void __syncwarp(unsigned = 0xffffffffu) {
  const int w = fuze_host_cur >> 5;
  const long g = fuze_host_warp_gen[w];
  if (++fuze_host_warp_count[w] == 32) {
    fuze_host_warp_count[w] = 0;
    ++fuze_host_warp_gen[w];
    return;
  }
  fuze_host_wait(2, g);
}
inline void fuze_host_entry() {
  (*fuze_host_fn)();
  fuze_host_done[fuze_host_cur] = true;
}  // returns to uc_link: the scheduler
// One block of 256 threads runs fn.
inline void fuze_host_launch(const std::function<void()>& fn) {
  constexpr size_t kStack = size_t{1} << 18;
  static std::vector<char> stacks(256 * kStack);
  fuze_host_fn = &fn;
  fuze_host_block_count = 0;
  for (int w = 0; w < 8; ++w) fuze_host_warp_count[w] = 0;
  for (int t = 0; t < 256; ++t) {
    getcontext(&fuze_host_ctx[t]);
    fuze_host_ctx[t].uc_stack.ss_sp = stacks.data() + static_cast<size_t>(t) * kStack;
    fuze_host_ctx[t].uc_stack.ss_size = kStack;
    fuze_host_ctx[t].uc_link = &fuze_host_main;
    makecontext(&fuze_host_ctx[t], fuze_host_entry, 0);
    fuze_host_done[t] = false;
    fuze_host_wait_kind[t] = 0;
  }
  for (;;) {
    bool any = false, ran = false;
    for (int t = 0; t < 256; ++t) {
      if (fuze_host_done[t]) continue;
      any = true;
      if (fuze_host_wait_kind[t] == 1 && fuze_host_wait_gen[t] == fuze_host_block_gen) continue;
      if (fuze_host_wait_kind[t] == 2 && fuze_host_wait_gen[t] == fuze_host_warp_gen[t >> 5]) continue;
      fuze_host_wait_kind[t] = 0;
      fuze_host_cur = t;
      ran = true;
      swapcontext(&fuze_host_main, &fuze_host_ctx[t]);
    }
    if (!any) break;
    if (!ran) abort();  // every thread waits: a barrier some thread never reaches
  }
}
inline uint64_t fuze_host_xchg[256];
template <class T> T fuze_host_shfl(T v, unsigned src_lane) {
  uint64_t bits = 0;
  memcpy(&bits, &v, sizeof v);
  fuze_host_xchg[threadIdx.x] = bits;
  __syncwarp();
  const uint64_t got = fuze_host_xchg[(threadIdx.x & ~31u) + src_lane];
  __syncwarp();
  T r;
  memcpy(&r, &got, sizeof r);
  return r;
}
template <class T> T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
  const unsigned lane = threadIdx.x & 31u;
  const bool inside = static_cast<int>(lane % static_cast<unsigned>(width) + delta) < width;
  return fuze_host_shfl(v, inside ? lane + delta : lane);
}
template <class T> T __shfl_xor_sync(unsigned, T v, int mask, int = 32) {
  return fuze_host_shfl(v, (threadIdx.x & 31u) ^ static_cast<unsigned>(mask));
}
// f16 conversions for the prelude's PTX asm (patched in by HostProgram):
// the compiler's _Float16 rounds to nearest even, double -> half directly.
#ifdef __FLT16_MANT_DIG__
extern "C" int fuze_host_has_f16() { return 1; }
inline float fuze_host_h2f(unsigned short b) { _Float16 h; memcpy(&h, &b, 2); return static_cast<float>(h); }
inline unsigned short fuze_host_f2h(float f) { const _Float16 h = static_cast<_Float16>(f); unsigned short b; memcpy(&b, &h, 2); return b; }
inline unsigned short fuze_host_d2h(double d) { const _Float16 h = static_cast<_Float16>(d); unsigned short b; memcpy(&b, &h, 2); return b; }
#else
extern "C" int fuze_host_has_f16() { return 0; }  // f16 kernels are not run
inline float fuze_host_h2f(unsigned short) { return 0.0f; }
inline unsigned short fuze_host_f2h(float) { return 0; }
inline unsigned short fuze_host_d2h(double) { return 0; }
#endif
inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
inline double __longlong_as_double(long long i) { double d; memcpy(&d, &i, 8); return d; }
inline long long __double_as_longlong(double d) { long long i; memcpy(&i, &d, 8); return i; }
inline float __double2float_rn(double d) { return static_cast<float>(d); }
)SHIM";

// extern "C" fuze_host_run_<N>(shape words, begin, end, pointers, scalars, warp).
std::string driver(const ir::Kernel& k, const cuda::EmittedKernel& e) {
  const int r = std::max(e.rank, 1), ns = std::max(e.num_strided, 1);
  std::string call = "shape, begin, end";
  for (size_t op = 0; op < e.operands.size(); ++op) {
    const cuda::OperandInfo& info = e.operands[op];
    if (info.kind == cuda::ParamKind::kScalar) {
      call += ", scalars[" + std::to_string(op) + "]";
    } else {
      const std::string t = std::string(info.is_output ? "" : "const ") +
                            cuda::detail::storage_type(cuda_test::operand_dtype(k, static_cast<int>(op))) + "*";
      call += ", static_cast<" + t + ">(ptrs[" + std::to_string(op) + "])";
    }
  }
  return "extern \"C\" void fuze_host_run_" + e.name +
         "(const long long* words, long long begin, long long end, void* const* ptrs, const double* scalars, int warp) {\n"
         "  FuzeShape<" + std::to_string(r) + ", " + std::to_string(ns) + "> shape;\n"
         "  memcpy(&shape, words, sizeof shape);\n"
         "  fuze_host_launch([&] { if (warp) " + e.name + "_warp(" + call + "); else " + e.name + "(" + call + "); });\n}\n";
}

using HostRun = void (*)(const long long*, long long, long long, void* const*, const double*, int);

// All kernels in one host program (one compile): their run functions.
class HostProgram {
 public:
  bool build(const std::vector<const ir::Kernel*>& ks, std::string* why) {
    std::string program = kShim;
    const std::string prelude = cuda::cuda_prelude_text();
    std::string patched = prelude;
    const std::pair<const char*, const char*> f16_asm[] = {
        {"asm(\"cvt.f32.f16 %0, %1;\" : \"=f\"(f) : \"h\"(v.bits));", "f = fuze_host_h2f(v.bits);"},
        {"asm(\"cvt.rn.f16.f32 %0, %1;\" : \"=h\"(h.bits) : \"f\"(v));", "h.bits = fuze_host_f2h(v);"},
        {"asm(\"cvt.rn.f16.f64 %0, %1;\" : \"=h\"(h.bits) : \"d\"(v));", "h.bits = fuze_host_d2h(v);"}};
    for (const auto& [from, to] : f16_asm) {
      const size_t at = patched.find(from);
      if (at == std::string::npos) return *why = std::string("prelude changed: patch the host emulation for ") + from, false;
      patched.replace(at, std::strlen(from), to);
    }
    program += patched;
    for (const ir::Kernel* k : ks) {
      cuda::EmittedKernel e;
      Status s = cuda::emit_cuda(*k, &e);
      if (!s) {
        *why = s.message();
        return false;
      }
      program += e.source.substr(prelude.size()) + driver(*k, e);
      names_.push_back(e.name);
      emitted_.push_back(e);
    }
    char dir[] = "/tmp/fuze_host_emuXXXXXX";
    if (!mkdtemp(dir)) return *why = "mkdtemp failed", false;
    const std::string src = std::string(dir) + "/rows.cpp", lib = std::string(dir) + "/rows.so";
    std::ofstream(src) << program;
    const char* cxx = std::getenv("CXX");
    const std::string cmd = std::string(cxx && *cxx ? cxx : "c++") +
                            " -std=c++17 -O1 -ffp-contract=off -fno-fast-math -w -shared -fPIC -o " + lib + " " + src +
                            " > " + dir + "/log.txt 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::ifstream log(std::string(dir) + "/log.txt");
      std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      *why = "host compile failed: " + text.substr(0, 4000);
      return false;
    }
    handle_ = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
    std::remove(src.c_str());
    std::remove(lib.c_str());
    std::remove((std::string(dir) + "/log.txt").c_str());
    rmdir(dir);
    if (!handle_) return *why = dlerror(), false;
    return true;
  }
  ~HostProgram() {
    if (handle_) dlclose(handle_);
  }
  bool has_f16() const {
    auto f = reinterpret_cast<int (*)()>(dlsym(handle_, "fuze_host_has_f16"));
    return f && f() != 0;
  }
  HostRun run_fn(size_t i) const { return reinterpret_cast<HostRun>(dlsym(handle_, ("fuze_host_run_" + names_[i]).c_str())); }
  const cuda::EmittedKernel& emitted(size_t i) const { return emitted_[i]; }

 private:
  void* handle_ = nullptr;
  std::vector<std::string> names_;
  std::vector<cuda::EmittedKernel> emitted_;
};

// Runs kernel i of p on call c with both entries, each against the interpreter.
void check_both_entries(const HostProgram& p, size_t i, const ir::Kernel& k, const cuda_test::RowCall& c,
                        const std::string& what) {
  const auto want = cuda_test::interp_outputs(k, c);
  const cuda::EmittedKernel& e = p.emitted(i);
  const int r = std::max(e.rank, 1), ns = std::max(e.num_strided, 1);
  std::vector<long long> words(static_cast<size_t>(r + ns * r), 0);
  for (int d = 0; d < e.rank; ++d) words[static_cast<size_t>(d)] = c.sizes[static_cast<size_t>(d)];
  for (size_t op = 0; op < e.operands.size(); ++op) {
    const int slot = e.operands[op].strided_slot;
    if (slot < 0) continue;
    for (int d = 0; d < e.rank; ++d)
      words[static_cast<size_t>(r + slot * r + d)] = c.strides[op * static_cast<size_t>(e.rank) + static_cast<size_t>(d)];
  }
  for (int warp = 0; warp < 2; ++warp) {
    std::vector<std::vector<uint8_t>> bufs = c.buf;
    std::vector<void*> ptrs;
    for (auto& b : bufs) ptrs.push_back(b.data());
    p.run_fn(i)(words.data(), 0, c.num_rows, ptrs.data(), c.scalars.data(), warp);
    const std::vector<std::vector<uint8_t>> got(bufs.begin() + k.num_inputs(), bufs.end());
    cuda_test::compare_outputs(k, want, got, what + (warp ? " [N_warp]" : " [N]"));
  }
}

TEST(CudaHostEmulation, EveryReduceOpEveryDtypeMatchesInterpreter) {
  std::vector<ir::Kernel> ks;
  for (ir::Op op : {ir::Op::kSum, ir::Op::kProd, ir::Op::kAmax, ir::Op::kAmin, ir::Op::kRowSize}) {
    for (ir::DType t : cuda::cuda_supported_dtypes()) {
      for (bool strided : {false, true}) {
        ir::Kernel k;
        if (cuda_test::reduce_op_kernel(op, t, &k, strided)) ks.push_back(k);
      }
    }
  }
  std::vector<const ir::Kernel*> ptrs;
  for (const ir::Kernel& k : ks) ptrs.push_back(&k);
  HostProgram p;
  std::string why;
  if (!p.build(ptrs, &why)) {
    if (why.find("host compile failed") != std::string::npos && why.find("error") != std::string::npos) FAIL() << why;
    GTEST_SKIP() << why;
  }
  for (size_t i = 0; i < ks.size(); ++i) {
    const ir::Kernel& k = ks[i];
    if (cuda_test::operand_dtype(k, 0) == ir::DType::kFloat16 && !p.has_f16()) continue;  // no _Float16 here
    // Empty rows, block boundaries, 1/4/7/11/16 blocks (binary counters of 1 to 3
    // entries: with 3, a wrong association of the counter changes f64 sums).
    const bool strided = k.rank() == 3;
    const std::vector<int64_t> lengths = strided ? std::vector<int64_t>{7, 257, 1793, 5000}
                                                 : std::vector<int64_t>{0, 1, 7, 255, 256, 257, 1000, 1792, 2815, 4096};
    for (int64_t n : lengths) {
      for (bool special : {false, true}) {
        if (special && (strided || !ir::is_floating(cuda_test::operand_dtype(k, 0)))) continue;
        // Several rows per warp for short rows: the team's shared memory is reused.
        const int64_t rows = n <= 1024 ? 19 : 5;
        const std::vector<int64_t> sizes = k.rank() == 2 ? std::vector<int64_t>{rows, n} : std::vector<int64_t>{rows, 2, (n + 1) / 2};
        const cuda_test::RowCall c = cuda_test::make_row_call(k, sizes, special, static_cast<unsigned>(n));
        check_both_entries(p, i, k, c, k.name() + " n=" + std::to_string(n) + (special ? " special" : ""));
      }
    }
  }
}

TEST(CudaHostEmulation, GoldenKernelsAndLongRowsMatchInterpreter) {
  std::vector<ir::Kernel> ks(4);
  ASSERT_TRUE(cuda_test::kernel_from_text(cuda_test::kSoftmaxRows, &ks[0]));
  ASSERT_TRUE(cuda_test::kernel_from_text(cuda_test::kLayerNormRows, &ks[1]));
  ASSERT_TRUE(cuda_test::kernel_from_text(cuda_test::kRmsNormRows, &ks[2]));
  ASSERT_TRUE(cuda_test::kernel_from_text(cuda_test::kScaledSoftmaxRows, &ks[3]));
  HostProgram p;
  std::string why;
  if (!p.build({&ks[0], &ks[1], &ks[2], &ks[3]}, &why)) {
    if (why.find("host compile failed") != std::string::npos && why.find("error") != std::string::npos) FAIL() << why;
    GTEST_SKIP() << why;
  }
  for (size_t i = 0; i < ks.size(); ++i) {
    for (int64_t n : cuda_test::row_lengths()) {
      for (bool special : {false, true}) {
        const int64_t rows = n <= 1024 ? 19 : 3;
        const std::vector<int64_t> sizes = ks[i].rank() == 2 ? std::vector<int64_t>{rows, n} : std::vector<int64_t>{rows, 2, (n + 1) / 2};
        const cuda_test::RowCall c = cuda_test::make_row_call(ks[i], sizes, special, 7);
        check_both_entries(p, i, ks[i], c, ks[i].name() + " n=" + std::to_string(n) + (special ? " special" : ""));
      }
    }
  }
}

}  // namespace
}  // namespace fuze
