// Row-reduction test cases for the CUDA backend: kernels (one reduce op x
// dtype, and the golden softmax / layer norm / RMSNorm), operand buffers of
// any dtype with ordinary and special (NaN, +-inf, -0.0) rows, the
// interpreter's results (the spec), and a bit-for-bit comparison (NaN
// payloads aside: any NaN matches any NaN). Used by the device tests (a GPU)
// and the host-emulation tests (the emitted CUDA C compiled for the CPU).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backends/interp/scalar_ops.h"
#include "cuda/cuda_test_util.h"
#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace fuze::cuda_test {

// The golden kernels of tests/golden/reduce_*.fir (before the pipeline).
inline const char* kSoftmaxRows =
    "kernel softmax rank 2 reduce 1 {\n"
    "  %0 = input 0 f32 strided\n"
    "  %1 = amax f32 %0\n"
    "  %2 = sub f32 %0, %1\n"
    "  %3 = exp f32 %2\n"
    "  %4 = sum f32 %3\n"
    "  %5 = div f32 %3, %4\n"
    "  output %5 contiguous\n"
    "}\n";

inline const char* kLayerNormRows =
    "kernel layer_norm rank 2 reduce 1 {\n"
    "  %0 = input 0 f32 contiguous\n"
    "  %1 = input 1 f32 strided\n"
    "  %2 = input 2 f32 strided\n"
    "  %3 = const f32 1.0000000000000001e-05\n"
    "  %4 = sum f32 %0\n"
    "  %5 = row_size f32\n"
    "  %6 = div f32 %4, %5\n"
    "  %7 = sub f32 %0, %6\n"
    "  %8 = mul f32 %7, %7\n"
    "  %9 = sum f32 %8\n"
    "  %10 = row_size f32\n"
    "  %11 = div f32 %9, %10\n"
    "  %12 = add f32 %11, %3\n"
    "  %13 = rsqrt f32 %12\n"
    "  %14 = mul f32 %7, %13\n"
    "  %15 = mul f32 %14, %1\n"
    "  %16 = add f32 %15, %2\n"
    "  %17 = amax f32 %0\n"
    "  output %16 contiguous\n"
    "  output %6 strided\n"
    "  output %13 strided\n"
    "}\n";

inline const char* kRmsNormRows =
    "kernel rms_norm rank 3 reduce 2 {\n"
    "  %0 = input 0 bf16 contiguous\n"
    "  %1 = input 1 bf16 strided\n"
    "  %2 = const f32 9.9999999999999995e-07\n"
    "  %3 = cast f32 %0\n"
    "  %4 = mul f32 %3, %3\n"
    "  %5 = sum f32 %4\n"
    "  %6 = row_size f32\n"
    "  %7 = div f32 %5, %6\n"
    "  %8 = add f32 %7, %2\n"
    "  %9 = rsqrt f32 %8\n"
    "  %10 = mul f32 %3, %9\n"
    "  %11 = cast bf16 %10\n"
    "  %12 = mul bf16 %11, %1\n"
    "  %13 = input 2 i32 contiguous\n"
    "  %14 = sum i64 %13\n"
    "  %15 = isnan bool %0\n"
    "  %16 = amax bool %15\n"
    "  output %12 contiguous\n"
    "  output %14 strided\n"
    "  output %16 strided\n"
    "}\n";

// softmax(x * scale + mask) with a by-value scale and a broadcast mask, and a
// per-row logsumexp: uniform inputs in row kernels, a per-row output computed
// from two reductions, f64 throughout.
inline const char* kScaledSoftmaxRows =
    "kernel scaled_softmax rank 2 reduce 1 {\n"
    "  %0 = input 0 f64 contiguous\n"
    "  %1 = input 1 f64 scalar\n"
    "  %2 = input 2 f64 broadcast\n"
    "  %3 = mul f64 %0, %1\n"
    "  %4 = add f64 %3, %2\n"
    "  %5 = amax f64 %4\n"
    "  %6 = sub f64 %4, %5\n"
    "  %7 = exp f64 %6\n"
    "  %8 = sum f64 %7\n"
    "  %9 = div f64 %7, %8\n"
    "  %10 = log f64 %8\n"
    "  %11 = add f64 %10, %5\n"
    "  output %9 contiguous\n"
    "  output %11 strided\n"
    "}\n";

// One reduce op over an input of dtype t (rank 2, reduce 1, or rank 3 with a
// strided input when `strided`): the per-row result as a strided output, and
// where the IR allows it a row-level output x - r (or x * r for row_size) as
// well. False when the op/dtype pair is not valid IR (row_size of an integer).
inline bool reduce_op_kernel(ir::Op op, ir::DType t, ir::Kernel* k, bool strided = false) {
  const std::string name = ir::op_info(op).name;
  const char* tn = ir::dtype_name(t);
  const bool int_sum = (op == ir::Op::kSum || op == ir::Op::kProd) && !ir::is_floating(t);
  const std::string rt = int_sum ? "i64" : tn;
  const std::string head = std::string("kernel red_") + name + "_" + tn + (strided ? "_strided rank 3 reduce 2 {\n" : " rank 2 reduce 1 {\n");
  const std::string in = std::string("  %0 = input 0 ") + tn + (strided ? " strided\n" : " contiguous\n");
  const std::string red = op == ir::Op::kRowSize ? "  %1 = row_size " + rt + "\n" : "  %1 = " + name + " " + rt + " %0\n";
  const std::string mix = op == ir::Op::kRowSize ? std::string("  %2 = mul ") + tn + " %0, %1\n" : std::string("  %2 = sub ") + tn + " %0, %1\n";
  if (kernel_from_text(head + in + red + mix + "  output %2 contiguous\n  output %1 strided\n}\n", k)) return true;
  return kernel_from_text(head + in + red + "  output %1 strided\n}\n", k);
}

// Operand buffers of one row-kernel call, host side, with KernelArgs over them.
struct RowCall {
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;          // [operand * rank + d]
  std::vector<std::vector<uint8_t>> buf;  // per operand
  std::vector<double> scalars;
  std::vector<void*> ptrs;
  int64_t num_rows = 1, row_len = 1;

  KernelArgs args(void* const* data) const {
    KernelArgs a;
    a.rank = static_cast<int>(sizes.size());
    a.numel = num_rows * row_len;
    a.sizes = sizes.data();
    a.data = data;
    a.strides = strides.data();
    a.scalars = scalars.data();
    return a;
  }
};

inline ir::DType operand_dtype(const ir::Kernel& k, int op) {
  const int ni = k.num_inputs();
  return k.node(op < ni ? k.inputs()[static_cast<size_t>(op)] : k.outputs()[static_cast<size_t>(op - ni)].value).dtype;
}
inline ir::Layout operand_layout(const ir::Kernel& k, int op) {
  const int ni = k.num_inputs();
  return op < ni ? k.node(k.inputs()[static_cast<size_t>(op)]).layout : k.outputs()[static_cast<size_t>(op - ni)].layout;
}

// One element of dtype t from a double value (rounded to the dtype).
inline void put_value(ir::DType t, uint8_t* p, double v) {
  switch (t) {
    case ir::DType::kFloat32: { float f = static_cast<float>(v); std::memcpy(p, &f, 4); break; }
    case ir::DType::kFloat64: std::memcpy(p, &v, 8); break;
    case ir::DType::kBFloat16: { const uint16_t h = interp::float_to_bf16(static_cast<float>(v)); std::memcpy(p, &h, 2); break; }
    case ir::DType::kFloat16: { const uint16_t h = interp::float_to_half(static_cast<float>(v)); std::memcpy(p, &h, 2); break; }
    case ir::DType::kInt32: { int32_t i = static_cast<int32_t>(v); std::memcpy(p, &i, 4); break; }
    case ir::DType::kInt64: { int64_t i = static_cast<int64_t>(v); std::memcpy(p, &i, 8); break; }
    case ir::DType::kBool: *p = v != 0 ? 1 : 0; break;
  }
}

// Row-major sizes {rows..., row...}: inputs filled (special: row r holds
// NaN / +inf / -inf / -0.0 patterns by r % 4), outputs prefilled with 0xAB.
// Strided inputs are column-major (reversed dims); per-row outputs keepdim
// (stride 0 along the row); strided row-level outputs row-major. `wide`:
// float values scaled by 2^-20..2^20, so that sums in double round and a
// wrong order of accumulation shows.
inline RowCall make_row_call(const ir::Kernel& k, const std::vector<int64_t>& sizes, bool special, unsigned seed = 1,
                             bool wide = true) {
  RowCall c;
  c.sizes = sizes;
  const int rank = k.rank(), outer = rank - k.reduce_rank();
  for (int d = 0; d < rank; ++d) (d < outer ? c.num_rows : c.row_len) *= sizes[static_cast<size_t>(d)];
  const int ni = k.num_inputs(), nops = ni + k.num_outputs();
  c.scalars.assign(static_cast<size_t>(ni), 0.75);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-4.0, 4.0);
  for (int op = 0; op < nops; ++op) {
    const ir::DType t = operand_dtype(k, op);
    const ir::Layout l = operand_layout(k, op);
    const bool per_row = op >= ni && ir::is_per_row_value(k, k.outputs()[static_cast<size_t>(op - ni)].value);
    std::vector<int64_t> st(static_cast<size_t>(rank), 0);
    int64_t extent = 1;
    if (l == ir::Layout::kStrided && op < ni) {  // column-major
      int64_t s = 1;
      for (int d = 0; d < rank; ++d) st[static_cast<size_t>(d)] = s, s *= sizes[static_cast<size_t>(d)];
      extent = s;
    } else if (l != ir::Layout::kBroadcast && l != ir::Layout::kScalar) {
      int64_t s = 1;
      for (int d = rank - 1; d >= 0; --d) {
        if (per_row && d >= outer) continue;  // stride 0 along the row
        st[static_cast<size_t>(d)] = s, s *= sizes[static_cast<size_t>(d)];
      }
      extent = s;
    }
    c.strides.insert(c.strides.end(), st.begin(), st.end());
    const size_t es = static_cast<size_t>(ir::dtype_size(t));
    std::vector<uint8_t> b(static_cast<size_t>(extent) * es + 16, 0xAB);
    if (op < ni) {
      for (int64_t i = 0; i < extent; ++i) {
        double v = dist(rng);
        if (t == ir::DType::kInt64) v = std::ldexp(v, 61);  // wraps in sums and products
        else if (t == ir::DType::kInt32) v = std::round(v * 250);
        else if (t == ir::DType::kBool) v = v > 0 ? 1 : 0;
        else if (wide && t != ir::DType::kFloat16) v = std::ldexp(v, static_cast<int>(rng() % 41) - 20);  // sums round
        if (special && ir::is_floating(t)) {
          // The element's row (column-major inputs: the outer index is slow anyway).
          const int64_t row = (i / std::max<int64_t>(1, extent / std::max<int64_t>(1, c.num_rows)));
          const uint32_t pick = static_cast<uint32_t>(rng()) % 64;
          switch (row % 4) {
            case 0: if (pick == 0) v = NAN; break;
            case 1: if (pick < 2) v = INFINITY; else if (pick < 4) v = -INFINITY; break;
            case 2: v = pick < 32 ? -0.0 : 0.0; break;
            case 3: v = -0.0; break;
          }
        }
        put_value(t, b.data() + static_cast<size_t>(i) * es, v);
      }
    }
    c.buf.push_back(std::move(b));
  }
  for (auto& b : c.buf) c.ptrs.push_back(b.data());
  return c;
}

// The interpreter's outputs for call c (on copies of its buffers).
inline std::vector<std::vector<uint8_t>> interp_outputs(const ir::Kernel& k, const RowCall& c) {
  std::vector<std::vector<uint8_t>> bufs = c.buf;
  std::vector<void*> ptrs;
  for (auto& b : bufs) ptrs.push_back(b.data());
  std::unique_ptr<Backend> be;
  EXPECT_TRUE(make_backend(BackendKind::kInterp, &be).is_ok());
  std::unique_ptr<CompiledKernel> ck;
  Status s = be->compile(k, &ck);
  EXPECT_TRUE(s.is_ok()) << s.message();
  if (ck) ck->run(c.args(ptrs.data()), 0, c.num_rows);
  return std::vector<std::vector<uint8_t>>(bufs.begin() + k.num_inputs(), bufs.end());
}

inline bool is_nan_bits(ir::DType t, const uint8_t* p) {
  switch (t) {
    case ir::DType::kFloat32: { float f; std::memcpy(&f, p, 4); return std::isnan(f); }
    case ir::DType::kFloat64: { double d; std::memcpy(&d, p, 8); return std::isnan(d); }
    case ir::DType::kFloat16: { uint16_t h; std::memcpy(&h, p, 2); return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }
    case ir::DType::kBFloat16: { uint16_t h; std::memcpy(&h, p, 2); return (h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0; }
    case ir::DType::kBool: case ir::DType::kInt32: case ir::DType::kInt64: return false;
  }
  return false;
}

// Distance in units in the last place between two non-NaN floating values of
// dtype t given by their bits (sign-magnitude mapped onto a line).
inline int64_t ulp_bits_distance(ir::DType t, const uint8_t* a, const uint8_t* b) {
  const size_t es = static_cast<size_t>(ir::dtype_size(t));
  uint64_t ua = 0, ub = 0;
  std::memcpy(&ua, a, es);
  std::memcpy(&ub, b, es);
  const uint64_t sign = uint64_t{1} << (es * 8 - 1);
  auto line = [&](uint64_t u) { return (u & sign) ? -static_cast<int64_t>(u & (sign - 1)) : static_cast<int64_t>(u); };
  const int64_t d = line(ua) - line(ub);
  return d < 0 ? -d : d;
}

// Output buffers `got` against `want` element by element (the whole buffer,
// so stray writes show): equal bits, or both NaN, or for floating outputs
// within `ulps` (0: bit for bit; kernels with transcendental ops on a GPU,
// whose libdevice differs from the host's libm, allow a few). Returns the
// mismatches.
inline int64_t compare_outputs(const ir::Kernel& k, const std::vector<std::vector<uint8_t>>& want,
                               const std::vector<std::vector<uint8_t>>& got, const std::string& what, int64_t ulps = 0) {
  int64_t bad = 0;
  for (size_t o = 0; o < want.size(); ++o) {
    const ir::DType t = operand_dtype(k, k.num_inputs() + static_cast<int>(o));
    const size_t es = static_cast<size_t>(ir::dtype_size(t));
    const std::vector<uint8_t>& w = want[o];
    const std::vector<uint8_t>& g = got[o];
    if (w.size() != g.size()) return ++bad;
    for (size_t i = 0; i + es <= w.size(); i += es) {
      if (std::memcmp(w.data() + i, g.data() + i, es) == 0) continue;
      const bool nw = is_nan_bits(t, w.data() + i), ng = is_nan_bits(t, g.data() + i);
      if (nw && ng) continue;
      if (ulps > 0 && !nw && !ng && ir::is_floating(t) && ulp_bits_distance(t, w.data() + i, g.data() + i) <= ulps) continue;
      if (bad++ < 3) {
        uint64_t a = 0, b = 0;
        std::memcpy(&a, w.data() + i, es);
        std::memcpy(&b, g.data() + i, es);
        ADD_FAILURE() << what << ": output " << o << " element " << i / es << ": want 0x" << std::hex << a << " got 0x" << b;
      }
    }
  }
  return bad;
}

// Rows of these lengths: one element, shorter than a block, the block
// boundaries, a partial chunk, warp/block strategies, many blocks.
inline std::vector<int64_t> row_lengths() { return {1, 7, 255, 256, 257, 1000, 4096, 100000}; }

}  // namespace fuze::cuda_test
