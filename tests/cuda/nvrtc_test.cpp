// NVRTC compiles of the emitted CUDA C, without a GPU: every op x every dtype
// the backend supports, for sm_80 and sm_90, plus PTX checks of the code
// generated for the golden kernels. Skipped when libnvrtc cannot be opened.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "backends/cuda/compiler.h"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/emitter.h"
#include "cuda/cuda_test_util.h"
#include "cuda/row_cases.h"

namespace fuze {
namespace {

#define FUZE_REQUIRE_NVRTC()                                                     \
  do {                                                                           \
    Status nvrtc_ = cuda_nvrtc_status();                                         \
    if (!nvrtc_) GTEST_SKIP() << "libnvrtc not available: " << nvrtc_.message(); \
  } while (0)

class CudaNvrtcAllOps : public ::testing::TestWithParam<const char*> {};

// Every op x dtype kernel, emitted separately, then compiled as ONE program per
// architecture (the prelude once, then each kernel's own text: names differ)
// so CI pays one NVRTC run per arch instead of ~150.
TEST_P(CudaNvrtcAllOps, EveryOpEveryDtype) {
  FUZE_REQUIRE_NVRTC();
  const std::string arch = GetParam();
  const std::string prelude = cuda::cuda_prelude_text();
  int emitted = 0, not_in_ir = 0, unsupported = 0;
  std::string unsupported_list, program = prelude;
  std::vector<std::string> entries;
  for (int i = 0; i < ir::num_ops(); ++i) {
    ir::Op op = ir::op_at(i);
    const std::string name = ir::op_info(op).name;
    for (ir::DType t : cuda::cuda_supported_dtypes()) {
      ir::Kernel k;
      if (!cuda_test::single_op_kernel(op, t, &k)) {
        ++not_in_ir;  // e.g. a bool-only op on floats: not a kernel the IR allows
        continue;
      }
      cuda::EmittedKernel e;
      Status s = cuda::emit_cuda(k, &e);
      if (!s) {
        ASSERT_NE(s.message().find("not supported yet"), std::string::npos) << s.message();
        ADD_FAILURE() << "every valid op x dtype kernel must emit: " << s.message();
        ++unsupported;
        if (unsupported_list.find(" " + name + ",") == std::string::npos) unsupported_list += " " + name + ",";
        continue;
      }
      ASSERT_EQ(e.source.compare(0, prelude.size(), prelude), 0);
      program += e.source.substr(prelude.size());
      entries.push_back(e.name);
      ++emitted;
    }
  }
  cuda::ProgramBinary cubin;  // one NVRTC run (PTX + ptxas) per arch
  Status s = cuda::nvrtc_compile(program, "all_ops", arch, true, &cubin);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(cubin.payload.compare(0, 4, "\x7f" "ELF"), 0) << "a cubin is an ELF image";
  for (const std::string& n : entries) {
    // ELF symbol names are NUL-terminated strings in the cubin.
    for (const char* suffix : {"", "_i32", "_vec"})
      EXPECT_NE(cubin.payload.find(std::string(1, '\0') + n + suffix + std::string(1, '\0')), std::string::npos)
          << n << suffix;
  }
  std::printf("[%s] %d op x dtype kernels (%zu entries) in one program: NVRTC cubin %.0f ms; "
              "%d op/dtype pairs not valid IR; %d not supported yet:%s\n",
              arch.c_str(), emitted, entries.size() * 3, cubin.compile_ms, not_in_ir, unsupported,
              unsupported_list.c_str());
  EXPECT_GE(emitted, 19 * 4);  // the core ops in f32, f64, f16, bf16
}

INSTANTIATE_TEST_SUITE_P(Archs, CudaNvrtcAllOps, ::testing::Values("sm_80", "sm_90"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

CudaCompileOutput compile_ptx(const char* text, const char* arch = "sm_90") {
  ir::Kernel k;
  std::string why;
  EXPECT_TRUE(cuda_test::kernel_from_text(text, &k, &why)) << why;
  CudaCompileOptions o;
  o.arch = arch;
  o.cubin = true;
  o.ptx = true;
  CudaCompileOutput out;
  Status s = cuda_compile_only(k, o, &out);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return out;
}

TEST(CudaNvrtc, AddTanhPtxHasVectorAccessesAndThreeEntries) {
  FUZE_REQUIRE_NVRTC();
  CudaCompileOutput out = compile_ptx(cuda_test::kAddTanh);
  const std::string& ptx = out.ptx;
  EXPECT_NE(ptx.find(".target sm_90"), std::string::npos);
  EXPECT_NE(ptx.find(".entry fused_add_tanh("), std::string::npos);
  EXPECT_NE(ptx.find(".entry fused_add_tanh_i32("), std::string::npos);
  EXPECT_NE(ptx.find(".entry fused_add_tanh_vec("), std::string::npos);
  EXPECT_NE(ptx.find("ld.global.v4.f32"), std::string::npos) << "128-bit loads expected";
  EXPECT_NE(ptx.find("st.global.v4.f32"), std::string::npos) << "128-bit stores expected";
}

TEST(CudaNvrtc, IeeeDivisionAndSqrtNoContraction) {
  FUZE_REQUIRE_NVRTC();
  CudaCompileOutput out = compile_ptx(
      "kernel k rank 1 {\n  %0 = input 0 f32 contiguous\n  %1 = input 1 f32 contiguous\n"
      "  %2 = mul f32 %0, %1\n  %3 = add f32 %2, %1\n  %4 = div f32 %3, %0\n  %5 = rsqrt f32 %4\n"
      "  output %5 contiguous\n}\n");
  EXPECT_NE(out.ptx.find("div.rn.f32"), std::string::npos) << "IEEE division (-prec-div=true)";
  EXPECT_NE(out.ptx.find("sqrt.rn.f32"), std::string::npos) << "IEEE sqrt (-prec-sqrt=true)";
  EXPECT_EQ(out.ptx.find("rsqrt.approx"), std::string::npos) << "rsqrt must be 1/sqrt, two roundings";
  EXPECT_EQ(out.ptx.find("fma.rn.f32"), std::string::npos) << "x*y+z must not be contracted (-fmad=false)";
  EXPECT_NE(out.ptx.find("mul.rn.f32"), std::string::npos);
}

TEST(CudaNvrtc, LstmAndStridedCompileForBothArchs) {
  FUZE_REQUIRE_NVRTC();
  for (const char* arch : {"sm_80", "sm_90"}) {
    for (const char* text : {cuda_test::kLstmCell, cuda_test::kStridedBroadcast}) {
      CudaCompileOutput out = compile_ptx(text, arch);
      EXPECT_FALSE(out.cubin.empty());
      EXPECT_NE(out.ptx.find(std::string(".target ") + arch), std::string::npos);
    }
  }
}

// Row reductions: every reduce op x every dtype the IR allows (sum/prod of
// bool/i32/i64 give i64; row_size is floating only), rank 2 contiguous and
// rank 3 strided, in one program per architecture; both entries of each.
TEST_P(CudaNvrtcAllOps, EveryReduceOpEveryDtype) {
  FUZE_REQUIRE_NVRTC();
  const std::string arch = GetParam();
  const std::string prelude = cuda::cuda_prelude_text();
  std::string program = prelude;
  std::vector<std::string> entries;
  int not_in_ir = 0;
  for (ir::Op op : {ir::Op::kSum, ir::Op::kProd, ir::Op::kAmax, ir::Op::kAmin, ir::Op::kRowSize}) {
    for (ir::DType t : cuda::cuda_supported_dtypes()) {
      for (bool strided : {false, true}) {
        ir::Kernel k;
        if (!cuda_test::reduce_op_kernel(op, t, &k, strided)) {
          ++not_in_ir;
          continue;
        }
        cuda::EmittedKernel e;
        Status s = cuda::emit_cuda(k, &e);
        ASSERT_TRUE(s.is_ok()) << k.name() << ": " << s.message();
        EXPECT_EQ(e.reduce_rank, k.reduce_rank());
        EXPECT_FALSE(e.has_vec);
        program += e.source.substr(prelude.size());
        entries.push_back(e.name);
      }
    }
  }
  // row_size of bool/i32/i64 (x 2 layouts) is the only combination the IR rejects.
  EXPECT_EQ(not_in_ir, 6);
  EXPECT_EQ(entries.size(), 5u * 7u * 2u - 6u);
  cuda::ProgramBinary cubin;
  Status s = cuda::nvrtc_compile(program, "all_reduce_ops", arch, true, &cubin);
  ASSERT_TRUE(s.is_ok()) << s.message();
  for (const std::string& n : entries) {
    for (const char* suffix : {"", "_warp"})
      EXPECT_NE(cubin.payload.find(std::string(1, '\0') + n + suffix + std::string(1, '\0')), std::string::npos) << n << suffix;
  }
  std::printf("[%s] %zu reduce op x dtype x layout row kernels (%zu entries) in one program: NVRTC cubin %.0f ms\n",
              arch.c_str(), entries.size(), entries.size() * 2, cubin.compile_ms);
}

TEST(CudaNvrtc, GoldenRowKernelsCompileForBothArchs) {
  FUZE_REQUIRE_NVRTC();
  for (const char* arch : {"sm_80", "sm_90"}) {
    for (const char* text : {cuda_test::kSoftmaxRows, cuda_test::kLayerNormRows, cuda_test::kRmsNormRows, cuda_test::kScaledSoftmaxRows}) {
      CudaCompileOutput out = compile_ptx(text, arch);
      ASSERT_FALSE(out.cubin.empty());
      const std::string& ptx = out.ptx;
      SCOPED_TRACE(out.name + " " + arch);
      EXPECT_NE(ptx.find(std::string(".target ") + arch), std::string::npos);
      EXPECT_NE(ptx.find(".entry " + out.name + "("), std::string::npos) << "a block per row";
      EXPECT_NE(ptx.find(".entry " + out.name + "_warp("), std::string::npos) << "a warp per row";
      EXPECT_NE(ptx.find("shfl.sync"), std::string::npos) << "warp shuffles";
      EXPECT_NE(ptx.find("bar.sync"), std::string::npos) << "__syncthreads in the block-per-row entry";
      EXPECT_NE(ptx.find("add.rn.f64"), std::string::npos) << "sums accumulate in double";
      // No contraction (-fmad=false); exp in the softmaxes has fma of its own (libdevice).
      if (text != cuda_test::kSoftmaxRows && text != cuda_test::kScaledSoftmaxRows) {
        EXPECT_EQ(ptx.find("fma.rn"), std::string::npos) << "no contraction";
      }
    }
  }
}

TEST(CudaNvrtc, BadArchIsAStatus) {
  FUZE_REQUIRE_NVRTC();
  ir::Kernel k;
  ASSERT_TRUE(cuda_test::kernel_from_text(cuda_test::kAddTanh, &k));
  CudaCompileOptions o;
  o.arch = "sm_1";
  CudaCompileOutput out;
  Status s = cuda_compile_only(k, o, &out);
  EXPECT_FALSE(s.is_ok());
  o.arch = "volta";
  s = cuda_compile_only(k, o, &out);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("bad architecture"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace fuze
