// On a GPU: the CUDA backend against the interpreter (the spec) on device
// buffers. Without a driver and device every test here is skipped with
// "no CUDA device: <reason>".
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/emitter.h"
#include "cuda/cuda_test_util.h"
#include "cuda/row_cases.h"
#include "fuze/backend.h"

namespace fuze {
namespace {

#define FUZE_REQUIRE_DEVICE()                                                    \
  do {                                                                           \
    Status dev_ = cuda_device_status();                                          \
    if (!dev_) GTEST_SKIP() << "no CUDA device: " << dev_.message();            \
  } while (0)

int64_t ulp_distance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : INT64_MAX;
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  int64_t la = ia < 0 ? int64_t{INT32_MIN} - ia : ia;
  int64_t lb = ib < 0 ? int64_t{INT32_MIN} - ib : ib;
  return la > lb ? la - lb : lb - la;
}

bool is_approx(const ir::Kernel& k) {
  for (const ir::Node& n : k.nodes())
    if (n.kind == ir::NodeKind::kOp && (ir::op_info(n.op).flags & ir::kApprox)) return true;
  return false;
}

// Runs `k` (all f32) on the interpreter and on the GPU over `sizes`, operands
// of `strides` (element strides per operand, rank each; empty = contiguous),
// range [begin, numel), and compares: bit-exact for exact ops, <= 2 ULP for
// transcendental chains.
void diff_against_interp(const ir::Kernel& k, const std::vector<int64_t>& sizes, int64_t begin = 0,
                         std::vector<std::vector<int64_t>> strides = {}) {
  const int rank = k.rank();
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  const int n_ops = k.num_inputs() + k.num_outputs();
  if (strides.empty()) strides.resize(static_cast<size_t>(n_ops));
  std::vector<int64_t> flat_strides;
  std::vector<int64_t> extents;
  for (int op = 0; op < n_ops; ++op) {
    std::vector<int64_t>& st = strides[static_cast<size_t>(op)];
    if (st.empty()) {  // contiguous
      st.assign(static_cast<size_t>(rank), 1);
      for (int d = rank - 2; d >= 0; --d) st[static_cast<size_t>(d)] = st[static_cast<size_t>(d + 1)] * sizes[static_cast<size_t>(d + 1)];
    }
    int64_t extent = 1;
    for (int d = 0; d < rank; ++d) extent += (sizes[static_cast<size_t>(d)] - 1) * st[static_cast<size_t>(d)];
    extents.push_back(extent);
    flat_strides.insert(flat_strides.end(), st.begin(), st.end());
  }
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-4.0f, 4.0f);
  std::vector<std::vector<float>> host(static_cast<size_t>(n_ops));
  std::vector<double> scalars(static_cast<size_t>(k.num_inputs()), 0.75);
  std::vector<void*> host_ptrs, dev_ptrs;
  for (int op = 0; op < n_ops; ++op) {
    std::vector<float>& h = host[static_cast<size_t>(op)];
    h.resize(static_cast<size_t>(extents[static_cast<size_t>(op)]) + 4);
    for (float& v : h) v = op < k.num_inputs() ? dist(rng) : -1.0f;
    void* d = nullptr;
    ASSERT_TRUE(cuda_alloc(h.size() * sizeof(float), &d).is_ok());
    ASSERT_TRUE(cuda_copy_to_device(d, h.data(), h.size() * sizeof(float)).is_ok());
    host_ptrs.push_back(h.data());
    dev_ptrs.push_back(d);
  }
  KernelArgs args;
  args.numel = numel;
  args.rank = rank;
  args.sizes = sizes.data();
  args.strides = flat_strides.data();
  args.scalars = scalars.data();

  std::unique_ptr<Backend> interp, gpu;
  ASSERT_TRUE(make_backend(BackendKind::kInterp, &interp).is_ok());
  ASSERT_TRUE(make_backend(BackendKind::kCuda, &gpu).is_ok());
  std::unique_ptr<CompiledKernel> ki, kg;
  ASSERT_TRUE(interp->compile(k, &ki).is_ok());
  Status s = gpu->compile(k, &kg);
  ASSERT_TRUE(s.is_ok()) << s.message();
  args.data = host_ptrs.data();
  ki->run(args, begin, numel);
  args.data = dev_ptrs.data();
  kg->run(args, begin, numel);

  const int64_t tolerance = is_approx(k) ? 2 : 0;
  for (int o = k.num_inputs(); o < n_ops; ++o) {
    std::vector<float> got(host[static_cast<size_t>(o)].size());
    ASSERT_TRUE(cuda_copy_to_host(got.data(), dev_ptrs[static_cast<size_t>(o)], got.size() * sizeof(float)).is_ok());
    const std::vector<float>& want = host[static_cast<size_t>(o)];
    int64_t worst = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      int64_t d = ulp_distance(got[i], want[i]);
      if (d > worst) worst = d;
      if (d > tolerance) {
        ADD_FAILURE() << k.name() << " output " << o << " element " << i << ": gpu " << got[i] << " interp " << want[i];
        break;
      }
    }
    std::printf("%s output %d: max %lld ULP over %zu elements\n", k.name().c_str(), o, static_cast<long long>(worst),
                got.size());
  }
  for (void* d : dev_ptrs) cuda_free(d);
}

TEST(CudaDevice, AddTanhVectorAndUnalignedPaths) {
  FUZE_REQUIRE_DEVICE();
  ir::Kernel k;
  ASSERT_TRUE(cuda_test::kernel_from_text(cuda_test::kAddTanh, &k));
  diff_against_interp(k, {1 << 20});       // float4 path
  diff_against_interp(k, {1000003}, 1);    // begin not 16-byte aligned: scalar path + tail
  diff_against_interp(k, {7});             // tail only
}

TEST(CudaDevice, LstmCell) {
  FUZE_REQUIRE_DEVICE();
  ir::Kernel k;
  ASSERT_TRUE(cuda_test::kernel_from_text(cuda_test::kLstmCell, &k));
  diff_against_interp(k, {64, 1031});
}

TEST(CudaDevice, StridedBroadcastScalar) {
  FUZE_REQUIRE_DEVICE();
  ir::Kernel k;
  ASSERT_TRUE(cuda_test::kernel_from_text(cuda_test::kStridedBroadcast, &k));
  // input 0 transposed (3, 5, 7) viewed from a (7, 5, 3) buffer; output with a padded row.
  diff_against_interp(k, {3, 5, 7}, 0, {{1, 3, 15}, {0, 0, 0}, {}, {40, 8, 1}});
}

TEST(CudaDevice, EveryFloatOpMatchesInterpreter) {
  FUZE_REQUIRE_DEVICE();
  for (int i = 0; i < ir::num_ops(); ++i) {
    ir::Kernel k;
    if (!cuda_test::single_op_kernel(ir::op_at(i), ir::DType::kFloat32, &k)) continue;
    cuda::EmittedKernel e;
    if (!cuda::emit_cuda(k, &e)) continue;  // not supported yet by the emitter
    std::unique_ptr<Backend> interp;
    std::unique_ptr<CompiledKernel> ki;
    ASSERT_TRUE(make_backend(BackendKind::kInterp, &interp).is_ok());
    if (!interp->compile(k, &ki)) continue;  // not in the interpreter yet either
    SCOPED_TRACE(ir::op_info(ir::op_at(i)).name);
    diff_against_interp(k, {33, 129});
  }
}

// Row kernels: the GPU against the interpreter, bit for bit (any NaN matches
// any NaN), through run() (rows [0, num_rows)) or run_async() on the legacy
// default stream.
std::unique_ptr<CompiledKernel> compile_on_gpu(const ir::Kernel& k) {
  std::unique_ptr<Backend> gpu;
  EXPECT_TRUE(make_backend(BackendKind::kCuda, &gpu).is_ok());
  std::unique_ptr<CompiledKernel> kg;
  if (!gpu) return kg;
  Status s = gpu->compile(k, &kg);
  EXPECT_TRUE(s.is_ok()) << k.name() << ": " << s.message();
  return kg;
}

void diff_rows_against_interp(const ir::Kernel& k, const CompiledKernel* kg, const cuda_test::RowCall& c,
                              const std::string& what, bool async) {
  ASSERT_NE(kg, nullptr);
  const auto want = cuda_test::interp_outputs(k, c);
  std::vector<void*> dev;
  for (const auto& b : c.buf) {
    void* d = nullptr;
    ASSERT_TRUE(cuda_alloc(b.size(), &d).is_ok());
    ASSERT_TRUE(cuda_copy_to_device(d, b.data(), b.size()).is_ok());
    dev.push_back(d);
  }
  const KernelArgs args = c.args(dev.data());
  if (async) {
    ASSERT_TRUE(kg->run_async(args, nullptr).is_ok());
  } else {
    kg->run(args, 0, c.num_rows);
  }
  std::vector<std::vector<uint8_t>> got;
  for (size_t o = static_cast<size_t>(k.num_inputs()); o < c.buf.size(); ++o) {
    got.emplace_back(c.buf[o].size());
    ASSERT_TRUE(cuda_copy_to_host(got.back().data(), dev[o], got.back().size()).is_ok());  // waits for the stream
  }
  // Exact kernels bit for bit; with exp & co. (softmax) the GPU's libdevice
  // differs from the interpreter's libm by a few ULP per element.
  cuda_test::compare_outputs(k, want, got, what, is_approx(k) ? 4 : 0);
  for (void* d : dev) cuda_free(d);
}

TEST(CudaDevice, EveryReduceOpEveryDtypeMatchesInterpreter) {
  FUZE_REQUIRE_DEVICE();
  for (ir::Op op : {ir::Op::kSum, ir::Op::kProd, ir::Op::kAmax, ir::Op::kAmin, ir::Op::kRowSize}) {
    for (ir::DType t : cuda::cuda_supported_dtypes()) {
      for (bool strided : {false, true}) {
        ir::Kernel k;
        if (!cuda_test::reduce_op_kernel(op, t, &k, strided)) continue;
        const std::unique_ptr<CompiledKernel> kg = compile_on_gpu(k);
        std::vector<int64_t> lengths = cuda_test::row_lengths();
        lengths.push_back(0);     // empty rows
        lengths.push_back(1792);  // 7 blocks: a binary counter of 3 entries
        for (int64_t n : lengths) {
          for (bool special : {false, true}) {
            if (special && !ir::is_floating(t)) continue;
            const std::vector<int64_t> sizes = strided ? std::vector<int64_t>{3, 2, (n + 1) / 2} : std::vector<int64_t>{5, n};
            const cuda_test::RowCall c = cuda_test::make_row_call(k, sizes, special, static_cast<unsigned>(n));
            diff_rows_against_interp(k, kg.get(), c, k.name() + " n=" + std::to_string(n) + (special ? " special" : ""), n == 257);
          }
        }
      }
    }
  }
}

TEST(CudaDevice, GoldenRowKernelsMatchInterpreter) {
  FUZE_REQUIRE_DEVICE();
  for (const char* text : {cuda_test::kSoftmaxRows, cuda_test::kLayerNormRows, cuda_test::kRmsNormRows, cuda_test::kScaledSoftmaxRows}) {
    ir::Kernel k;
    ASSERT_TRUE(cuda_test::kernel_from_text(text, &k));
    const std::unique_ptr<CompiledKernel> kg = compile_on_gpu(k);
    for (int64_t n : cuda_test::row_lengths()) {
      for (bool special : {false, true}) {
        // Many rows for short lengths: several warps per block and a grid-stride loop.
        const int64_t rows = n <= 1024 ? 3001 : 37;
        const std::vector<int64_t> sizes = k.rank() == 2 ? std::vector<int64_t>{rows, n} : std::vector<int64_t>{rows, 2, (n + 1) / 2};
        const cuda_test::RowCall c = cuda_test::make_row_call(k, sizes, special, 11, /*wide=*/false);
        diff_rows_against_interp(k, kg.get(), c, k.name() + " n=" + std::to_string(n) + (special ? " special" : ""), false);
      }
    }
  }
}

}  // namespace
}  // namespace fuze
