// Golden tests of the emitted CUDA C (CHECK-style substrings), the
// unsupported-input errors, and the backend's "unavailable" reason. No NVRTC.
#include <gtest/gtest.h>

#include <string>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/emitter.h"
#include "cuda/cuda_test_util.h"
#include "cuda/row_cases.h"
#include "fuze/backend.h"

namespace fuze {
namespace {

using cuda_test::kernel_from_text;

// Each needle must occur, in order, like FileCheck's CHECK lines.
void expect_in_order(const std::string& text, const std::vector<std::string>& needles) {
  size_t at = 0;
  for (const std::string& n : needles) {
    size_t p = text.find(n, at);
    ASSERT_NE(p, std::string::npos) << "CHECK not found after offset " << at << ": " << n << "\n--- source ---\n"
                                    << text.substr(text.find("// ---- kernel"));
    at = p + n.size();
  }
}

std::string emit(const char* text, cuda::EmittedKernel* e) {
  ir::Kernel k;
  std::string why;
  EXPECT_TRUE(kernel_from_text(text, &k, &why)) << why;
  Status s = cuda::emit_cuda(k, e);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return e->source;
}

TEST(CudaEmit, AddTanhContiguous) {
  cuda::EmittedKernel e;
  std::string src = emit(cuda_test::kAddTanh, &e);
  EXPECT_EQ(e.name, "fused_add_tanh");
  EXPECT_TRUE(e.has_vec);
  EXPECT_EQ(e.vec_width, 4);
  EXPECT_EQ(e.num_strided, 0);
  EXPECT_NE(src.find("#define FUZE_CUDA_PRELUDE 1"), std::string::npos) << "prelude not embedded";
  expect_in_order(src, {
      "static __device__ __forceinline__ void fused_add_tanh_point(float a0, float a1, float& r0)",
      "const float v2 = v0 + v1;", "const float v3 = fuze_tanh(v2);", "r0 = v3;",
      // the generic grid-stride loop, instantiated for 64- and 32-bit indices
      "template <class I>", "const I step = static_cast<I>(blockDim.x) * static_cast<I>(gridDim.x);",
      "i < static_cast<I>(end); i += step)", "fuze_widen(p0[i]), fuze_widen(p1[i])",
      "p2[i] = FuzeNarrow<float>::from(r0);",
      "extern \"C\" __global__ void __launch_bounds__(256) fused_add_tanh(FuzeShape<1, 1> shape, fuze_i64 begin, "
      "fuze_i64 end, const float* p0, const float* p1, float* p2)",
      "fused_add_tanh_impl<fuze_i64>(shape, begin, end, p0, p1, p2);",
      "extern \"C\" __global__ void __launch_bounds__(256) fused_add_tanh_i32(", "fused_add_tanh_impl<int>(",
      // the 128-bit path and its scalar tail
      "extern \"C\" __global__ void __launch_bounds__(256) fused_add_tanh_vec(",
      "const fuze_i64 nvec = (end - begin) / 4;", "v += step",
      "const float4 l0 = *reinterpret_cast<const float4*>(p0 + base);",
      "const float4 l1 = *reinterpret_cast<const float4*>(p1 + base);", "#pragma unroll",
      "fuze_widen(fuze_lane<float>(l0, j))", "*reinterpret_cast<float4*>(p2 + base) = w0;",
      "for (fuze_i64 i = begin + nvec * 4 + tid; i < end; i += step)"});
}

TEST(CudaEmit, LstmCellTwoOutputs) {
  cuda::EmittedKernel e;
  std::string src = emit(cuda_test::kLstmCell, &e);
  EXPECT_EQ(e.name, "fused_lstm_cell");
  ASSERT_EQ(e.operands.size(), 7u);
  EXPECT_TRUE(e.operands[5].is_output);
  EXPECT_TRUE(e.operands[6].is_output);
  expect_in_order(src, {"fused_lstm_cell_point(float a0, float a1, float a2, float a3, float a4, float& r0, float& r1)",
                        "fuze_sigmoid(v0)", "fuze_tanh(v2)", "const float v11 = v9 + v10;", "r0 = v13;", "r1 = v11;",
                        "p5[i] = FuzeNarrow<float>::from(r0);", "p6[i] = FuzeNarrow<float>::from(r1);",
                        "fused_lstm_cell_vec(", "*reinterpret_cast<float4*>(p5 + base) = w0;",
                        "*reinterpret_cast<float4*>(p6 + base) = w1;"});
}

TEST(CudaEmit, StridedBroadcastScalar) {
  cuda::EmittedKernel e;
  std::string src = emit(cuda_test::kStridedBroadcast, &e);
  EXPECT_FALSE(e.has_vec) << "a strided operand rules out the 128-bit path";
  EXPECT_EQ(e.num_strided, 2);
  EXPECT_EQ(src.find("_vec("), std::string::npos);
  EXPECT_EQ(e.operands[2].kind, cuda::ParamKind::kScalar);
  expect_in_order(src, {"const float v3 = __int_as_float(0x3f000000)", "fuze_clamp_min(v5, v3)",
                        "const float u1 = fuze_widen(p1[0]);",  // broadcast: element 0, once
                        "const float u2 = fuze_widen(FuzeNarrow<float>::from_double(s2));",  // scalar by value
                        "I o0 = 0;", "I o3 = 0;", "I rem = i;", "shape.sizes[2]", "rem /= size;",
                        "o0 += idx * static_cast<I>(shape.strides[0][2]);",
                        "o3 += idx * static_cast<I>(shape.strides[1][2]);", "const I idx = rem;",
                        "fused_mul_add_clamp_min_point(fuze_widen(p0[o0]), u1, u2, r0);",
                        "p3[o3] = FuzeNarrow<float>::from(r0);",
                        "extern \"C\" __global__ void __launch_bounds__(256) fused_mul_add_clamp_min(FuzeShape<3, 2> "
                        "shape, fuze_i64 begin, fuze_i64 end, const float* p0, const float* p1, double s2, float* p3)"});
}

TEST(CudaEmit, HalfAndBfloat16ComputeInFloat) {
  for (const char* t : {"f16", "bf16"}) {
    std::string text = std::string("kernel k rank 1 {\n  %0 = input 0 ") + t + " contiguous\n  %1 = const " + t +
                       " 0.1\n  %2 = mul " + t + " %0, %1\n  output %2 contiguous\n}\n";
    ir::Kernel k;
    std::string why;
    if (!kernel_from_text(text, &k, &why)) GTEST_SKIP() << t << " not accepted by the IR yet: " << why;
    cuda::EmittedKernel e;
    ASSERT_TRUE(cuda::emit_cuda(k, &e).is_ok());
    EXPECT_EQ(e.vec_width, 8);
    expect_in_order(e.source, {"k_point(float a0, float& r0)", "fuze_widen(FuzeNarrow<", "uint4"});
  }
}

// A 16-bit value is rounded to its dtype after every op (as the interpreter
// and eager do), not only when stored: mul then tanh rounds twice.
TEST(CudaEmit, HalfRoundsAfterEveryOp) {
  cuda::EmittedKernel e;
  expect_in_order(emit("kernel k rank 1 {\n  %0 = input 0 f16 contiguous\n  %1 = mul f16 %0, %0\n"
                       "  %2 = tanh f16 %1\n  output %2 contiguous\n}\n", &e), {"const float v1 = fuze_widen(FuzeNarrow<FuzeHalf>::from(v0 * v0));",
                             "const float v2 = fuze_widen(FuzeNarrow<FuzeHalf>::from(fuze_tanh(v1)));"});
}

TEST(CudaEmit, DoubleUsesDouble2) {
  cuda::EmittedKernel e;
  std::string src = emit(
      "kernel d rank 1 {\n  %0 = input 0 f64 contiguous\n  %1 = exp f64 %0\n  output %1 contiguous\n}\n", &e);
  EXPECT_EQ(e.vec_width, 2);
  expect_in_order(src, {"d_point(double a0, double& r0)", "fuze_exp(v0)", "const double2 l0"});
}

// Integers wrap as the interpreter's unsigned arithmetic; a float to int32
// cast out of range gives INT_MIN; comparisons of float16 values produce
// bool (stored as one byte) without rounding the operands again.
TEST(CudaEmit, IntegerBoolAndCasts) {
  cuda::EmittedKernel e;
  expect_in_order(emit("kernel i rank 1 {\n  %0 = input 0 i32 contiguous\n  %1 = neg i32 %0\n"
                       "  %2 = add i32 %1, %0\n  output %2 contiguous\n}\n", &e),
                  {"i_point(int a0, int& r0)", "fuze_wneg(v0)", "fuze_wadd(v1, v0)", "const int4 l0"});
  expect_in_order(emit("kernel c rank 1 {\n  %0 = input 0 f32 contiguous\n  %1 = cast i32 %0\n"
                       "  output %1 contiguous\n}\n", &e),
                  {"fuze_int_from<int>(static_cast<double>(v0), static_cast<int>(-2147483648LL))"});
  expect_in_order(emit("kernel b rank 1 {\n  %0 = input 0 f16 contiguous\n  %1 = input 1 f16 contiguous\n"
                       "  %2 = lt bool %0, %1\n  output %2 contiguous\n}\n", &e), {"b_point(float a0, float a1, bool& r0)", "const bool v2 = (v0 < v1);",
                             "unsigned char* p2"});
}

// An input no node reads (type_as's other operand: only its dtype counts) is
// never loaded: the frontend passes no device memory for it.
TEST(CudaEmit, UnusedInputIsNeverLoaded) {
  cuda::EmittedKernel e;
  expect_in_order(emit("kernel u rank 1 {\n  %0 = input 0 f32 contiguous\n  %1 = input 1 f64 broadcast\n"
                       "  %2 = neg f32 %0\n  output %2 contiguous\n}\n", &e), {"const double u1 = double(0);  // unused"});
  EXPECT_EQ(e.source.find("p1[0]"), std::string::npos);
}

TEST(CudaEmit, NameIsSanitised) {
  ir::Kernel k;
  ASSERT_TRUE(kernel_from_text(cuda_test::kAddTanh, &k));
  k.set_name("9 bad-name");
  cuda::EmittedKernel e;
  ASSERT_TRUE(cuda::emit_cuda(k, &e).is_ok());
  EXPECT_EQ(e.name, "k_9_bad_name");
}

// Row kernels (reduce_rank > 0): the spec's order (interp_reduce.h) spelled out.
TEST(CudaEmit, SoftmaxRowKernelFollowsTheSpecOrder) {
  cuda::EmittedKernel e;
  std::string src = emit(cuda_test::kSoftmaxRows, &e);
  EXPECT_EQ(e.name, "softmax");
  EXPECT_EQ(e.reduce_rank, 1);
  EXPECT_FALSE(e.has_vec);
  EXPECT_EQ(e.num_strided, 1);
  EXPECT_EQ(src.find("softmax_i32"), std::string::npos) << "row kernels have 64-bit indices only";
  expect_in_order(src, {
      "struct softmax_Shared {", "FuzeExt<float> m1[8];", "double b4[16];", "double s4;",
      "template <int G>", "static __device__ __forceinline__ void softmax_row(FuzeShape<2, 1> shape, fuze_i64 begin, "
      "fuze_i64 end, const float* p0, float* p1, const fuze_i64 row, const int tid, softmax_Shared& sh)",
      "constexpr int kTeam = G * 16;", "const int grp = tid >> 4, lane = tid & 15;", "n *= shape.sizes[1];",
      "const fuze_i64 b0 = 0 + y0 * shape.strides[0][0];", "const fuze_i64 b1 = row * n;",
      // pass 0: amax, order-free
      "// pass 0: %1 = amax f32 %0;", "FuzeExt<float> m1 = fuze_ext_init<float>();",
      "for (fuze_i64 c0 = 0; c0 < n; c0 += kTeam * 16)", "const fuze_i64 j0 = c0 + grp * 256 + lane;",
      "for (int t = 0; t < 16; ++t)", "const fuze_i64 j = j0 + 16 * t;", "const fuze_i64 o0 = b0 + jd1 * shape.strides[0][1];",
      "fuze_ext_add(m1, v0, true);", "fuze_ext_warp(m1, true);", "if (G == 16 && (tid & 31) == 0) sh.m1[tid >> 5] = m1;",
      "fuze_team_sync<G>();", "fuze_ext_merge(m1, sh.m1[w], true);", "r1 = fuze_ext_finish(m1);",
      // pass 1: the sum of exp(x - max), 16 partials, 8/4/2/1 fold, binary counter
      "// pass 1: %4 = sum f32 %3;", "double st4[64];", "fuze_u64 nb4 = 0;", "double q4 = 0.0;",
      "const float v2 = v0 - r1;", "const float v3 = fuze_exp(v2);", "q4 = fuze_acc_op(q4, static_cast<double>(v3), false);",
      "__shfl_down_sync(0xffffffffu, q4, 8, 16)", "__shfl_down_sync(0xffffffffu, q4, 4, 16)",
      "__shfl_down_sync(0xffffffffu, q4, 2, 16)", "__shfl_down_sync(0xffffffffu, q4, 1, 16)",
      "if (lane == 0) sh.b4[grp] = q4;", "fuze_team_sync<G>();", "if (tid == 0) {",
      "const int blocks = left < G ? static_cast<int>(left) : G;", "fuze_counter_push(st4, nb4, sh.b4[g], false);",
      "if (tid == 0) sh.s4 = fuze_counter_finish(st4, nb4, false);", "r4 = __double2float_rn(sh.s4);",
      // the row-level walk
      "for (fuze_i64 j = tid; j < n; j += kTeam)", "const float v5 = v3 / r4;", "p1[o1] = FuzeNarrow<float>::from(v5);",
      "fuze_team_sync<G>();  // shared memory is reused",
      "extern \"C\" __global__ void __launch_bounds__(256) softmax(FuzeShape<2, 1> shape",
      "__shared__ softmax_Shared sh;", "for (fuze_i64 row = begin + blockIdx.x; row < end; row += gridDim.x)",
      "softmax_row<16>(shape, begin, end, p0, p1, row, static_cast<int>(threadIdx.x), sh);",
      "extern \"C\" __global__ void __launch_bounds__(256) softmax_warp(", "__shared__ softmax_Shared sh[8];",
      "softmax_row<2>(shape, begin, end, p0, p1, row, static_cast<int>(threadIdx.x & 31), sh[warp]);"});
  // The helpers: the counter merges (below op top), the finish goes from the lowest level up.
  expect_in_order(src, {"#ifndef FUZE_ROW_HELPERS", "v = fuze_acc_op(st[level], v, mul);", "st[level] = v;",
                        "for (int level = 0; level < 64; ++level)", "acc = first ? st[level] : fuze_acc_op(st[level], acc, mul);"});
}

TEST(CudaEmit, RmsNormRowKernelIntBoolAndBf16) {
  cuda::EmittedKernel e;
  std::string src = emit(cuda_test::kRmsNormRows, &e);
  EXPECT_EQ(e.reduce_rank, 2);
  expect_in_order(src, {
      "n *= shape.sizes[1];", "n *= shape.sizes[2];",
      "const float r6 = fuze_widen(FuzeNarrow<float>::from(static_cast<float>(static_cast<double>(n))));  // row_size",
      "// pass 0: %5 = sum f32 %4; %14 = sum i64 %13; %16 = amax bool %15;", "fuze_u64 st14[64];",
      "FuzeExt<bool> m16", "fuze_u64 q14 = 0ull;",
      "q14 = fuze_acc_op(q14, static_cast<fuze_u64>(static_cast<fuze_i64>(v13)), false);", "fuze_ext_add(m16, v15, true);",
      "r14 = static_cast<fuze_i64>(static_cast<fuze_i64>(sh.s14));", "r16 = fuze_ext_finish(m16);",
      "const fuze_i64 jd2 = rem % shape.sizes[2];", "const fuze_i64 jd1 = rem;",
      "const fuze_i64 o1 = b1 + jd1 * shape.strides[0][1] + jd2 * shape.strides[0][2];",
      "const float v12 = fuze_widen(FuzeNarrow<FuzeBf16>::from(v11 * v1));", "p3[o3] = FuzeNarrow<FuzeBf16>::from(v12);",
      "// the per-row outputs, once per row", "if (tid == 0) {", "p4[b4] = FuzeNarrow<fuze_i64>::from(r14);",
      "p5[b5] = FuzeNarrow<unsigned char>::from(r16);"});
}

TEST(CudaEmit, SixteenBitSumsRoundOnceFromDouble) {
  for (ir::DType t : {ir::DType::kFloat16, ir::DType::kBFloat16}) {
    ir::Kernel k;
    ASSERT_TRUE(cuda_test::reduce_op_kernel(ir::Op::kSum, t, &k));
    cuda::EmittedKernel e;
    ASSERT_TRUE(cuda::emit_cuda(k, &e).is_ok());
    const std::string s = t == ir::DType::kFloat16 ? "FuzeHalf" : "FuzeBf16";
    expect_in_order(e.source, {"q1 = fuze_acc_op(q1, static_cast<double>(v0), false);",
                               "r1 = fuze_widen(FuzeNarrow<" + s + ">::from(fuze_round_odd_f32(sh.s1)));"});
  }
}

TEST(CudaEmit, RowKernelsWithoutReduceOpsAndEveryOpDtypeEmit) {
  cuda::EmittedKernel e;
  emit("kernel n rank 2 reduce 1 {\n %0 = input 0 f32 contiguous\n %1 = neg f32 %0\n output %1 contiguous\n}\n", &e);
  EXPECT_EQ(e.reduce_rank, 1);
  int kernels = 0;
  for (ir::Op op : {ir::Op::kSum, ir::Op::kProd, ir::Op::kAmax, ir::Op::kAmin, ir::Op::kRowSize}) {
    for (ir::DType t : cuda::cuda_supported_dtypes()) {
      ir::Kernel k;
      if (!cuda_test::reduce_op_kernel(op, t, &k)) continue;
      EXPECT_TRUE(cuda::emit_cuda(k, &e).is_ok()) << k.name();
      ++kernels;
    }
  }
  EXPECT_EQ(kernels, 5 * 7 - 3);  // row_size: floating dtypes only
}

TEST(CudaBackend, UnavailableSaysWhy) {
  std::unique_ptr<Backend> b;
  Status s = make_backend(BackendKind::kCuda, &b);
  Status dev = cuda_device_status();
  if (dev.is_ok()) {
    EXPECT_TRUE(s.is_ok()) << s.message();
    GTEST_SKIP() << "a CUDA device is present (" << cuda_device_arch() << "): backend available";
  }
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(b, nullptr);
  EXPECT_EQ(s.message(), dev.message());
  EXPECT_EQ(s.message().rfind("cuda: ", 0), 0u) << s.message();
  std::printf("make_backend(cuda): %s\n", s.message().c_str());
}

}  // namespace
}  // namespace fuze
