// x86 row reductions (src/backends/x86/reduce_kernel.h) against the
// interpreter's (the spec): every output byte equal, at every ISA level this
// CPU runs, for the golden reduce kernels and hand-built ones (sum, mean,
// amax, amin, prod, softmax, log_softmax, layer norm, RMSNorm + residual,
// masked softmax) in f32 / bf16 / f16, rows of 1 to 100000 elements, large
// dynamic range, NaN / inf / -0.0 rows, broadcast operands along and across
// rows, strided and transposed rows, disjoint row ranges on two threads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backends/interp/interp_eval.h"
#include "backends/interp/interp_reduce.h"
#include "backends/x86/isa.h"
#include "backends/x86/reduce_accum.h"
#include "backends/x86/reduce_kernel.h"
#include "backends/x86/x86_backend.h"
#include "support/aligned_allocator.h"
#include "fuze/backend.h"
#include "fuze/ir/kernel.h"

namespace fuze {
namespace {

using ir::DType;
using ir::Layout;

ir::Kernel parse_or_die(const std::string& text) {
  ir::Kernel k;
  Status s = ir::parse(text, &k);
  EXPECT_TRUE(s) << s.message() << "\n" << text;
  s = ir::verify(k);
  EXPECT_TRUE(s) << s.message() << "\n" << text;
  return k;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// A golden .fir file without its comment and CHECK lines.
std::string golden(const std::string& file) {
  std::ifstream in(std::string(FUZE_GOLDEN_DIR) + "/" + file);
  EXPECT_TRUE(in.good()) << file;
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.rfind("//", 0) != 0) out += line + "\n";
  }
  return out;
}

// How the strided inputs of a problem are laid out.
enum class Variant { kDense, kEveryOther, kAcrossRows, kAlongRow, kTransposed };
const char* variant_name(Variant v) {
  switch (v) {
    case Variant::kDense: return "dense";
    case Variant::kEveryOther: return "every-other";
    case Variant::kAcrossRows: return "broadcast-across-rows";
    case Variant::kAlongRow: return "broadcast-along-row";
    case Variant::kTransposed: return "transposed";
  }
  return "?";
}

struct Operand {
  DType t = DType::kFloat32;
  Layout layout = Layout::kContiguous;
  std::vector<int64_t> strides;
  std::vector<unsigned char, support::Aligned64<unsigned char>> bytes;  // aligned as torch's (streaming stores)
  double scalar = 0.0;
};

std::vector<int64_t> dense_strides(const std::vector<int64_t>& sizes) {
  std::vector<int64_t> st(sizes.size(), 1);
  for (size_t d = sizes.size(); d-- > 1;) st[d - 1] = st[d] * sizes[d];
  return st;
}

// Random value of a large dynamic range (odd rows) or a moderate one, with
// special values sprinkled in by row.
float gen_value(std::mt19937& g, int64_t row, DType t) {
  std::uniform_real_distribution<float> mant(1.0f, 2.0f), coin(0.0f, 1.0f);
  const int range = row % 2 == 1 ? (t == DType::kFloat16 ? 6 : 20) : 2;
  std::uniform_int_distribution<int> ex(-range, range);
  float v = std::ldexp(mant(g), ex(g));
  if (coin(g) < 0.5f) v = -v;
  const float c = coin(g);
  switch (row % 8) {
    case 3: if (c < 0.01f) v = std::numeric_limits<float>::quiet_NaN(); break;
    case 4: if (c < 0.01f) v = std::numeric_limits<float>::infinity(); break;
    case 5: v = c < 0.5f ? -0.0f : 0.0f; break;
    case 6: if (c < 0.01f) v = -std::numeric_limits<float>::infinity(); break;
    case 7:  // cancellation: the double sums round, so their order shows in the result
      if (t != DType::kFloat16 && c < 0.3f) v = std::ldexp(v < 0 ? -1.0f : 1.0f, 30 + static_cast<int>(g() % 31));
      break;
    default: break;
  }
  return v;
}

void put(DType t, void* base, int64_t off, float v) {
  if (t == DType::kBool) interp::store_elem<bool>(t, base, off, v > 0.0f);
  else if (t == DType::kInt32 || t == DType::kInt64) interp::store_elem<int64_t>(t, base, off, static_cast<int64_t>(std::fmod(v, 1000.0f)));
  else interp::store_elem<float>(t, base, off, v);
}

struct Problem {
  std::vector<int64_t> sizes;
  std::vector<Operand> ops;  // inputs, then outputs
  int reduce = 1;
  int64_t rows() const {
    int64_t r = 1;
    for (size_t d = 0; d + static_cast<size_t>(reduce) < sizes.size(); ++d) r *= sizes[d];
    return r;
  }
};

Problem make_problem(const ir::Kernel& k, const std::vector<int64_t>& sizes, Variant v, uint32_t seed) {
  Problem p;
  p.sizes = sizes;
  p.reduce = k.reduce_rank();
  const size_t rank = sizes.size();
  const size_t outer = rank - static_cast<size_t>(p.reduce);
  std::mt19937 g(seed);
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  int64_t row_len = 1;
  for (size_t d = outer; d < rank; ++d) row_len *= sizes[d];
  for (int i = 0; i < k.num_inputs(); ++i) {
    const ir::Node& n = k.node(k.inputs()[static_cast<size_t>(i)]);
    Operand o;
    o.t = n.dtype;
    o.layout = n.layout;
    o.strides.assign(rank, 0);
    if (n.layout == Layout::kScalar) {
      o.scalar = std::ldexp(1.0, static_cast<int>(g() % 5) - 2);
      p.ops.push_back(o);
      continue;
    }
    if (n.layout == Layout::kContiguous) o.strides = dense_strides(sizes);
    if (n.layout == Layout::kStrided) {
      o.strides = dense_strides(sizes);
      switch (v) {
        case Variant::kDense: break;
        case Variant::kEveryOther: for (auto& s : o.strides) s *= 2; break;
        case Variant::kAcrossRows: {
          std::vector<int64_t> row_sizes(sizes.begin() + static_cast<long>(outer), sizes.end());
          const auto rs = dense_strides(row_sizes);
          for (size_t d = 0; d < rank; ++d) o.strides[d] = d < outer ? 0 : rs[d - outer];
          break;
        }
        case Variant::kAlongRow: {
          std::vector<int64_t> out_sizes(sizes.begin(), sizes.begin() + static_cast<long>(outer));
          const auto os = dense_strides(out_sizes);
          for (size_t d = 0; d < rank; ++d) o.strides[d] = d < outer ? os[d] : 0;
          break;
        }
        case Variant::kTransposed: {
          int64_t s = 1;
          for (size_t d = 0; d < rank; ++d) {
            o.strides[d] = s;
            s *= sizes[d];
          }
          break;
        }
      }
    }
    int64_t extent = 1;
    for (size_t d = 0; d < rank; ++d) extent += (sizes[d] - 1) * o.strides[d];
    if (n.layout == Layout::kBroadcast || numel == 0) extent = 1;
    const size_t es = static_cast<size_t>(ir::dtype_size(o.t));
    o.bytes.assign(static_cast<size_t>(extent) * es, 0);
    for (int64_t e = 0; e < extent; ++e) {
      // The row an element belongs to, for the specials (approximate for
      // broadcast and transposed layouts, which is fine).
      const int64_t row = row_len > 0 ? (e / std::max<int64_t>(row_len, 1)) : 0;
      put(o.t, o.bytes.data(), e, gen_value(g, row + seed, o.t));
    }
    p.ops.push_back(std::move(o));
  }
  for (const ir::Output& out : k.outputs()) {
    Operand o;
    o.t = k.node(out.value).dtype;
    o.layout = out.layout;
    const bool per_row = ir::is_per_row_value(k, out.value);
    o.strides = dense_strides(sizes);
    int64_t extent = std::max<int64_t>(numel, 1);
    if (per_row) {
      std::vector<int64_t> out_sizes(sizes.begin(), sizes.begin() + static_cast<long>(outer));
      const auto os = dense_strides(out_sizes);
      for (size_t d = 0; d < rank; ++d) o.strides[d] = d < outer ? os[d] : 0;
      extent = std::max<int64_t>(p.rows(), 1);
    }
    o.bytes.assign(static_cast<size_t>(extent) * static_cast<size_t>(ir::dtype_size(o.t)), 0xAB);
    p.ops.push_back(std::move(o));
  }
  return p;
}

struct Args {
  std::vector<void*> data;
  std::vector<int64_t> strides;
  std::vector<double> scalars;
  KernelArgs a;
};

void make_args(Problem& p, Args* out) {
  out->data.clear();
  out->strides.clear();
  out->scalars.clear();
  for (Operand& o : p.ops) {
    out->data.push_back(o.bytes.empty() ? nullptr : o.bytes.data());
    out->strides.insert(out->strides.end(), o.strides.begin(), o.strides.end());
    out->scalars.push_back(o.scalar);
  }
  int64_t numel = 1;
  for (int64_t s : p.sizes) numel *= s;
  out->a.numel = numel;
  out->a.rank = static_cast<int>(p.sizes.size());
  out->a.sizes = p.sizes.data();
  out->a.data = out->data.data();
  out->a.strides = out->strides.data();
  out->a.scalars = out->scalars.data();
}

std::string hex(const unsigned char* b, size_t n) {
  std::ostringstream s;
  for (size_t i = n; i-- > 0;) s << std::hex << (b[i] >> 4) << (b[i] & 15);
  return s.str();
}

// Ordinal of a float of width `bytes` (sign-magnitude to a line).
int64_t ordinal(uint64_t bits, size_t bytes) {
  const uint64_t sign = uint64_t{1} << (8 * bytes - 1);
  const int64_t mag = static_cast<int64_t>(bits & (sign - 1));
  return (bits & sign) != 0 ? -mag : mag;
}

// Equal bits, or both NaN; with ulps > 0 (floating dtypes), within that many
// units in the last place or 1e-6 apart.
bool same(DType t, const unsigned char* a, const unsigned char* b, int ulps) {
  const size_t es = static_cast<size_t>(ir::dtype_size(t));
  if (std::memcmp(a, b, es) == 0) return true;
  if (!ir::is_floating(t)) return false;
  const double x = interp::load_elem<double>(t, a, 0), y = interp::load_elem<double>(t, b, 0);
  if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
  if (ulps == 0) return false;
  if (std::isinf(x) || std::isinf(y)) return false;
  uint64_t ua = 0, ub = 0;
  std::memcpy(&ua, a, es);
  std::memcpy(&ub, b, es);
  return std::llabs(ordinal(ua, es) - ordinal(ub, es)) <= ulps || std::fabs(x - y) <= 1e-6;
}

class ReduceTest : public ::testing::TestWithParam<int> {
 protected:
  // x86 (two threads on disjoint row ranges) against the interpreter, every
  // output byte; returns false on the first difference.
  bool last_split_ = false;  // the last diff ran run_split
  // The x86 kernel's assembly listing.
  std::string listing_of(const std::string& text) {
    std::unique_ptr<Backend> xb;
    X86Options opt;
    opt.isa = GetParam();
    opt.listing = true;
    EXPECT_TRUE(make_x86_backend(opt, &xb));
    std::unique_ptr<CompiledKernel> ck;
    EXPECT_TRUE(xb->compile(parse_or_die(text), &ck));
    return ck ? ck->listing() : std::string();
  }

  // split: the x86 kernel's run_split, each segment range on its own thread
  // (rows that do not split run whole).
  bool diff(const ir::Kernel& k, const std::vector<int64_t>& sizes, Variant v, uint32_t seed, const std::string& what,
            int ulps, bool split = false) {
    std::unique_ptr<Backend> xb;
    X86Options opt;
    opt.isa = GetParam();
    EXPECT_TRUE(make_x86_backend(opt, &xb));
    std::unique_ptr<CompiledKernel> x86k;
    Status s = xb->compile(k, &x86k);
    EXPECT_TRUE(s) << s.message();
    if (!s) return false;
    auto ik = interp::make_reduce_kernel(k);
    Problem want = make_problem(k, sizes, v, seed);
    Problem got = want;
    Args wa, ga;
    make_args(want, &wa);
    make_args(got, &ga);
    const int64_t rows = want.rows();
    ik->run(wa.a, 0, rows);
    const int64_t mid = rows / 2;
    const CompiledKernel::SplitFor par = [](int64_t n, const std::function<void(int64_t, int64_t)>& body) {
      std::vector<std::thread> threads;
      for (int64_t s = 0; s < n; s += 2) threads.emplace_back(body, s, std::min(n, s + 2));
      for (std::thread& t : threads) t.join();
    };
    last_split_ = split && x86k->run_split(ga.a, 0, rows, 7, par);
    if (!last_split_) {
      std::thread t([&] { x86k->run(ga.a, mid, rows + 3); });  // an end past num_rows is clipped
      x86k->run(ga.a, 0, mid);
      t.join();
    }
    const int num_in = k.num_inputs();
    for (size_t o = static_cast<size_t>(num_in); o < want.ops.size(); ++o) {
      const size_t es = static_cast<size_t>(ir::dtype_size(want.ops[o].t));
      const auto& w = want.ops[o].bytes;
      const auto& gb = got.ops[o].bytes;
      for (size_t e = 0; e < w.size(); e += es) {
        if (!same(want.ops[o].t, w.data() + e, gb.data() + e, ulps)) {
          ADD_FAILURE() << what << " " << k.name() << " sizes[" << sizes.size() << "] row " << sizes.back()
                        << " rows " << rows << " " << variant_name(v) << " output " << o - static_cast<size_t>(num_in)
                        << " element " << e / es << ": interp 0x" << hex(w.data() + e, es) << " x86 0x"
                        << hex(gb.data() + e, es);
          return false;
        }
      }
    }
    return true;
  }

  // Rows of many lengths, several row counts and layout variants.
  void sweep(const std::string& text, const std::vector<Variant>& variants, const std::string& what) {
    // Exact ops only: every bit (NaNs as a class, the x86 contract). With exp
    // / log, x86's pointwise approximations (tested against float64 in
    // x86_math_test) differ from std:: by an ULP or two, before and after
    // the reduction.
    const int ulps = text.find("exp ") != std::string::npos || text.find("log ") != std::string::npos ? 4 : 0;
    const ir::Kernel k = parse_or_die(text);
    const int64_t lengths[] = {1, 7, 15, 16, 17, 64, 255, 256, 257, 1000, 4096, 100000};
    uint32_t seed = 1;
    for (int64_t n : lengths) {
      for (int64_t rows : {int64_t{1}, int64_t{3}, int64_t{9}}) {
        if (n * rows > 300000 || (n >= 4096 && rows > 3)) continue;
        for (Variant v : variants) {
          std::vector<int64_t> sizes;
          if (k.reduce_rank() == 2) {
            const int64_t a = n % 2 == 0 ? 2 : 1;
            sizes = {rows, a, n / a};
          } else {
            sizes = {rows, n};
          }
          if (k.rank() == 3 && k.reduce_rank() == 1) sizes = {2, rows, n};
          if (!diff(k, sizes, v, seed++, what, ulps)) return;
        }
      }
    }
  }
};

const std::vector<Variant> kAll = {Variant::kDense, Variant::kEveryOther, Variant::kAcrossRows, Variant::kAlongRow,
                                   Variant::kTransposed};

std::string with_dtype(const std::string& text, const char* t) { return replace_all(text, "$T", t); }

const char* const kDtypes[] = {"f32", "bf16", "f16"};

// x + res, then RMSNorm with a weight; both stored.
const char* const kRmsNormResidual = R"(kernel rms_norm_residual rank 2 reduce 1 {
  %0 = input 0 $T contiguous
  %1 = input 1 $T contiguous
  %2 = input 2 $T strided
  %3 = const $T 9.9999999999999995e-07
  %4 = add $T %0, %1
  %5 = mul $T %4, %4
  %6 = sum $T %5
  %7 = row_size $T
  %8 = div $T %6, %7
  %9 = add $T %8, %3
  %10 = rsqrt $T %9
  %11 = mul $T %4, %10
  %12 = mul $T %11, %2
  output %12 contiguous
  output %4 contiguous
})";

const char* const kSimple = R"(kernel r_$OP rank 2 reduce 1 {
  %0 = input 0 $T strided
  %1 = $OP $T %0
  output %1 strided
})";

TEST_P(ReduceTest, SumProdAmaxAmin) {
  for (const char* op : {"sum", "amax", "amin", "prod"}) {
    for (const char* t : kDtypes) sweep(with_dtype(replace_all(kSimple, "$OP", op), t), kAll, op);
  }
}

TEST_P(ReduceTest, MeanViaRowSize) {
  const char* text = R"(kernel mean rank 2 reduce 1 {
  %0 = input 0 $T strided
  %1 = sum $T %0
  %2 = row_size $T
  %3 = div $T %1, %2
  output %3 strided
})";
  for (const char* t : kDtypes) sweep(with_dtype(text, t), kAll, "mean");
}

TEST_P(ReduceTest, Softmax) {
  const std::string text = golden("reduce_softmax.fir");
  sweep(text, kAll, "golden softmax");
  for (const char* t : {"bf16", "f16"}) sweep(replace_all(text, "f32", t), {Variant::kDense, Variant::kEveryOther}, "softmax");
}

TEST_P(ReduceTest, LogSoftmax) {
  const char* text = R"(kernel log_softmax rank 2 reduce 1 {
  %0 = input 0 $T contiguous
  %1 = amax $T %0
  %2 = sub $T %0, %1
  %3 = exp $T %2
  %4 = sum $T %3
  %5 = log $T %4
  %6 = sub $T %2, %5
  output %6 contiguous
})";
  for (const char* t : kDtypes) sweep(with_dtype(text, t), {Variant::kDense}, "log_softmax");
}

TEST_P(ReduceTest, LayerNorm) {
  const std::string text = golden("reduce_layer_norm.fir");
  sweep(text, kAll, "golden layer_norm");
  for (const char* t : {"bf16", "f16"}) sweep(replace_all(text, "f32", t), {Variant::kAcrossRows}, "layer_norm");
  // In float64 (the frontend's layer_norm and var of float32 inputs): f64 sums on the JIT path.
  sweep(replace_all(text, "f32", "f64"), kAll, "layer_norm f64");
}

// The frontend's layer_norm of float32 (lower_reduce.cpp): float32 operands
// widened to float64, f64 sums, the row-level result narrowed back.
TEST_P(ReduceTest, LayerNormOfFloat32InFloat64) {
  const char* text = R"(kernel layer_norm_f64 rank 2 reduce 1 {
  %0 = input 0 f32 strided
  %1 = input 1 f32 strided
  %2 = input 2 f32 contiguous
  %3 = input 3 f32 contiguous
  %4 = add f32 %2, %3
  %5 = cast f64 %4
  %6 = row_size f64
  %7 = sum f64 %5
  %8 = div f64 %7, %6
  %9 = sub f64 %5, %8
  %10 = mul f64 %9, %9
  %11 = sum f64 %10
  %12 = div f64 %11, %6
  %13 = const f64 1.0000000000000001e-05
  %14 = add f64 %12, %13
  %15 = sqrt f64 %14
  %16 = const f64 1
  %17 = div f64 %16, %15
  %18 = mul f64 %9, %17
  %19 = cast f64 %0
  %20 = mul f64 %18, %19
  %21 = cast f64 %1
  %22 = add f64 %20, %21
  %23 = cast f32 %22
  output %23 contiguous
})";
  sweep(text, {Variant::kDense, Variant::kAcrossRows}, "layer_norm f32 in f64");
}

TEST_P(ReduceTest, RmsNormGolden) {  // bf16 rows over two dims; i32 sum and bool amax: the interpreter's path
  sweep(golden("reduce_rms_norm.fir"), {Variant::kDense, Variant::kAcrossRows, Variant::kTransposed}, "golden rms_norm");
}

TEST_P(ReduceTest, RmsNormResidual) {
  for (const char* t : kDtypes) sweep(with_dtype(kRmsNormResidual, t), {Variant::kAcrossRows, Variant::kDense}, "rms_norm_residual");
}

TEST_P(ReduceTest, MaskedSoftmax) {
  const char* text = R"(kernel masked_softmax rank 3 reduce 1 {
  %0 = input 0 $T contiguous
  %1 = input 1 $T scalar
  %2 = input 2 $T strided
  %3 = mul $T %0, %1
  %4 = add $T %3, %2
  %5 = amax $T %4
  %6 = sub $T %4, %5
  %7 = exp $T %6
  %8 = sum $T %7
  %9 = div $T %7, %8
  output %9 contiguous
})";
  for (const char* t : kDtypes) sweep(with_dtype(text, t), {Variant::kAcrossRows, Variant::kDense}, "masked_softmax");
}

// Calls whose data reach the last-level cache's size store their float32
// row outputs non-temporally, at aligned rows (others store as usual, row by
// row); the threshold at 0 makes every call one of them.
TEST_P(ReduceTest, StreamingStoresOfLargeCalls) {
  x86::set_stream_threshold(0);
  const std::string rms = with_dtype(kRmsNormResidual, "f32");
  sweep(rms, {Variant::kAcrossRows, Variant::kDense, Variant::kEveryOther}, "streamed rms_norm_residual");
  sweep(golden("reduce_layer_norm.fir"), {Variant::kDense, Variant::kAcrossRows}, "streamed layer_norm");
  sweep(golden("reduce_softmax.fir"), {Variant::kDense}, "streamed softmax");
  x86::set_stream_threshold(-1);
  EXPECT_NE(listing_of(rms).find("movntps"), std::string::npos);
}

// One long row's passes and final walk in segments of whole blocks across
// threads, combined in row order: the same bits as one walk.
TEST_P(ReduceTest, LongRowsSplitAcrossThreads) {
  std::vector<std::string> texts = {golden("reduce_layer_norm.fir"), golden("reduce_softmax.fir"),
                                    replace_all(golden("reduce_layer_norm.fir"), "f32", "bf16")};
  for (const char* op : {"sum", "amax", "amin", "prod"}) {
    texts.push_back(with_dtype(replace_all(kSimple, "$OP", op), "f32"));
  }
  // f64 results show the block order in every bit (f32 rounding hides most of it).
  for (const char* op : {"sum", "prod"}) texts.push_back(with_dtype(replace_all(kSimple, "$OP", op), "f64"));
  uint32_t seed = 500;
  for (const std::string& text : texts) {
    const ir::Kernel k = parse_or_die(text);
    for (int64_t n : {int64_t{8192}, int64_t{10000}, int64_t{65536 + 7}, int64_t{100000}}) {
      for (int64_t rows : {int64_t{1}, int64_t{2}}) {
        for (Variant v : {Variant::kDense, Variant::kEveryOther}) {
          if (!diff(k, {rows, n}, v, seed++, "split " + k.name(), text.find("exp ") != std::string::npos ? 4 : 0, true)) return;
          EXPECT_TRUE(last_split_) << k.name() << " " << n;
        }
      }
    }
  }
  x86::set_stream_threshold(0);  // and with streaming stores
  const ir::Kernel ln = parse_or_die(golden("reduce_layer_norm.fir"));
  EXPECT_TRUE(diff(ln, {2, 50000}, Variant::kDense, seed++, "split streamed layer_norm", 0, true));
  EXPECT_TRUE(last_split_);
  x86::set_stream_threshold(-1);
}

TEST_P(ReduceTest, TwoReducedDims) {  // transposed rows over two dims do not coalesce: the interpreter's path
  const char* text = R"(kernel sum2 rank 3 reduce 2 {
  %0 = input 0 $T strided
  %1 = input 1 $T broadcast
  %2 = mul $T %0, %1
  %3 = sum $T %2
  %4 = amax $T %0
  %5 = div $T %0, %3
  output %5 contiguous
  output %3 strided
  output %4 strided
})";
  for (const char* t : kDtypes) sweep(with_dtype(text, t), kAll, "sum2");
}

TEST_P(ReduceTest, EmptyRows) {
  const ir::Kernel k = parse_or_die(with_dtype(R"(kernel e rank 2 reduce 1 {
  %0 = input 0 $T contiguous
  %1 = sum $T %0
  %2 = amax $T %0
  %3 = prod $T %0
  output %1 strided
  output %2 strided
  output %3 strided
})", "f32"));
  EXPECT_TRUE(diff(k, {4, 0}, Variant::kDense, 7, "empty", 0));
}


// The JIT path is taken where the design says (not the interpreter's kernel
// everywhere): f32/bf16/f16 reductions compile pass and final kernels.
TEST_P(ReduceTest, JitPathIsUsed) {
  const std::string ln = listing_of(golden("reduce_layer_norm.fir"));
  for (const char* part : {"layer_norm_pass0", "layer_norm_pass1", "layer_norm_final", "layer_norm_per_row",
                           "layer_norm_pass0_fused", "layer_norm_pass0_batch", "layer_norm_final_batch"}) {
    EXPECT_NE(ln.find(part), std::string::npos) << part;
  }
  // Softmax's final walk reads exp(x - max) kept by pass 1 (rows up to 16384).
  EXPECT_NE(listing_of(golden("reduce_softmax.fir")).find("softmax_final_kept"), std::string::npos);
  // f64 sums take the JIT path (the golden's extra amax, in f64, would not).
  const std::string ln64 = replace_all(replace_all(golden("reduce_layer_norm.fir"), "  %17 = amax f32 %0\n", ""), "f32", "f64");
  const std::string l64 = listing_of(ln64);
  EXPECT_EQ(l64.find("interpreter"), std::string::npos) << l64.substr(0, 200);
  EXPECT_NE(listing_of(golden("reduce_rms_norm.fir")).find("interpreter"), std::string::npos);  // i32 sum, bool amax
}

// ---- the accumulation order itself, in double bits ------------------------
// (Rounding the row's double to f32 hides most order changes; these compare
// the doubles before that rounding against the spec's order written out.)

double spec_block(const std::vector<float>& x, bool mul) {
  double p[16];
  for (double& v : p) v = mul ? 1.0 : 0.0;
  for (size_t j = 0; j < x.size(); ++j) p[j % 16] = mul ? p[j % 16] * x[j] : p[j % 16] + x[j];
  for (int w = 8; w >= 1; w /= 2) {
    for (int i = 0; i < w; ++i) p[i] = mul ? p[i] * p[i + w] : p[i] + p[i + w];
  }
  return p[0];
}

// Block values grouped as the binary digits of the count (largest first),
// each group a perfect pairwise tree, the groups folded from the last back.
double tree(const std::vector<double>& v, size_t lo, size_t n) {
  if (n == 1) return v[lo];
  return tree(v, lo, n / 2) + tree(v, lo + n / 2, n / 2);
}
double spec_blocks(const std::vector<double>& blocks) {
  std::vector<double> groups;
  size_t at = 0;
  for (int bit = 62; bit >= 0; --bit) {
    const size_t size = size_t{1} << bit;
    if ((blocks.size() & size) == 0) continue;
    groups.push_back(tree(blocks, at, size));
    at += size;
  }
  double acc = groups.back();
  for (size_t i = groups.size() - 1; i-- > 0;) acc = groups[i] + acc;
  return acc;
}

uint64_t dbits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

TEST_P(ReduceTest, AccumulationOrderInDoubleBits) {
  const x86::AccumFns& f = x86::accum_fns(static_cast<x86::Isa>(GetParam()));
  std::mt19937 g(11);
  std::uniform_real_distribution<float> mant(1.0f, 2.0f);
  for (int64_t n = 1; n <= x86::kReduceBlock; ++n) {
    std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      x[static_cast<size_t>(j)] = std::ldexp(mant(g), static_cast<int>(g() % 60) - 30) * (g() % 2 ? -1.0f : 1.0f);
      y[static_cast<size_t>(j)] = mant(g) * 0.75f;  // products stay in range
    }
    ASSERT_EQ(dbits(f.block_sum(x.data(), n)), dbits(spec_block(x, false))) << "sum n " << n;
    ASSERT_EQ(dbits(f.block_prod(y.data(), n)), dbits(spec_block(y, true))) << "prod n " << n;
  }
  // Whole chunks: every block of x[0..n) as block_sum / the spec gives it.
  for (int64_t n : {1, 255, 256, 257, 511, 512, 513, 767, 1024, 1500, 2048}) {
    std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
    for (size_t j = 0; j < x.size(); ++j) {
      x[j] = std::ldexp(mant(g), static_cast<int>(g() % 60) - 30) * (g() % 2 ? -1.0f : 1.0f);
      y[j] = mant(g) * 0.75f;
    }
    std::vector<double> sums(static_cast<size_t>((n + 255) / 256)), prods(sums.size());
    f.sum_blocks(x.data(), n, sums.data());
    f.prod_blocks(y.data(), n, prods.data());
    for (size_t b = 0; b < sums.size(); ++b) {
      const size_t lo = b * 256, hi = std::min<size_t>(x.size(), lo + 256);
      ASSERT_EQ(dbits(sums[b]), dbits(spec_block(std::vector<float>(x.begin() + static_cast<long>(lo), x.begin() + static_cast<long>(hi)), false)))
          << "sum_blocks n " << n << " block " << b;
      ASSERT_EQ(dbits(prods[b]), dbits(spec_block(std::vector<float>(y.begin() + static_cast<long>(lo), y.begin() + static_cast<long>(hi)), true)))
          << "prod_blocks n " << n << " block " << b;
    }
  }
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (size_t count = 1; count <= 700; count += count < 40 ? 1 : 37) {
    std::vector<double> blocks(count);
    for (double& b : blocks) b = std::ldexp(u(g), static_cast<int>(g() % 80) - 40);
    x86::BlockCounter c;
    for (double b : blocks) c.push(b);
    ASSERT_EQ(dbits(c.finish()), dbits(spec_blocks(blocks))) << "blocks " << count;
  }
}

TEST_P(ReduceTest, WholeTensorIsOneRow) {  // reduce_rank == rank: no outer dims, one row
  const ir::Kernel k = parse_or_die(R"(kernel w rank 1 reduce 1 {
  %0 = input 0 f32 contiguous
  %1 = amax f32 %0
  %2 = sub f32 %0, %1
  %3 = mul f32 %2, %2
  %4 = sum f32 %3
  %5 = div f32 %3, %4
  output %5 contiguous
  output %4 strided
})");
  for (int64_t n : {0, 1, 300, 5000, 20000}) EXPECT_TRUE(diff(k, {n}, Variant::kDense, 9, "one row", 0)) << n;
}

std::string isa_label(const ::testing::TestParamInfo<int>& info) {
  return x86_supported_isa_names()[static_cast<size_t>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(AllIsas, ReduceTest, ::testing::ValuesIn(x86_supported_isas()), isa_label);

}  // namespace
}  // namespace fuze
