// Reference interpreter over layouts: contiguous, strided (transposed,
// sliced), broadcast (expanded, one element), by-value scalars, rank 0,
// size 0, strided outputs, and arbitrary [begin, end) sub-ranges.
// The expected values come from a naive multi-index loop written here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "backends/interp/interp_backend.h"
#include "backends/interp/scalar_ops.h"
#include "fuze/ir/kernel.h"
#include "unit/kernel_args_builder.h"

namespace fuze {
namespace {

using ir::DType;
using ir::Layout;
using ir::Op;

// One operand: a buffer, its element strides over the iteration space, an
// offset into the buffer, and its layout (or a by-value scalar).
template <class T>
struct Operand {
  Layout layout = Layout::kContiguous;
  std::vector<T> buffer;
  std::vector<int64_t> strides;
  int64_t offset = 0;
  double scalar = 0.0;
  T* base() { return buffer.data() + offset; }
};

template <class T>
std::vector<T> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-3.0, 3.0);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& sizes) {
  std::vector<int64_t> st(sizes.size());
  int64_t acc = 1;
  for (size_t d = sizes.size(); d-- > 0;) {
    st[d] = acc;
    acc *= sizes[d];
  }
  return st;
}

int64_t numel_of(const std::vector<int64_t>& sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

// The kernel under test: out = tanh(x * y - z) + 0.25, f32 or f64.
template <class T>
ir::Kernel make_kernel(int rank, Layout lx, Layout ly, Layout lz, Layout lout) {
  const DType t = sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64;
  ir::Kernel k("layout_test", rank);
  const int x = k.add_input(t, lx);
  const int y = k.add_input(t, ly);
  const int z = k.add_input(t, lz);
  const int c = k.add_const(t, 0.25);
  const int m = k.add_op(Op::kMul, t, {x, y});
  const int s = k.add_op(Op::kSub, t, {m, z});
  const int h = k.add_op(Op::kTanh, t, {s});
  k.add_output(k.add_op(Op::kAdd, t, {h, c}), lout);
  EXPECT_TRUE(ir::verify(k)) << ir::verify(k).message();
  return k;
}

template <class T>
T read(Operand<T>& o, const std::vector<int64_t>& idx) {
  if (o.layout == Layout::kScalar) return static_cast<T>(o.scalar);
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * o.strides[d];
  return o.base()[off];
}

// Expected output buffer: the naive loop over every multi-index.
template <class T>
std::vector<T> reference(const std::vector<int64_t>& sizes, std::vector<Operand<T>>& ops, Operand<T> out) {
  const int64_t n = numel_of(sizes);
  std::vector<int64_t> idx(sizes.size(), 0);
  for (int64_t lin = 0; lin < n; ++lin) {
    int64_t rest = lin;
    for (size_t d = sizes.size(); d-- > 0;) {
      idx[d] = rest % sizes[d];
      rest /= sizes[d];
    }
    const T x = read(ops[0], idx), y = read(ops[1], idx), z = read(ops[2], idx);
    const T v = interp::op_add(interp::op_tanh(interp::op_sub(interp::op_mul(x, y), z)), static_cast<T>(0.25));
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * out.strides[d];
    out.base()[off] = v;
  }
  return out.buffer;
}

template <class T>
void run_ranges(const CompiledKernel& ck, const std::vector<int64_t>& sizes, std::vector<Operand<T>>& ops,
                Operand<T>& out, const std::vector<std::pair<int64_t, int64_t>>& ranges) {
  testing::ArgsBuilder ab(sizes);
  for (auto& o : ops) ab.add(o.layout == Layout::kScalar ? nullptr : o.base(), o.strides, o.scalar);
  ab.add(out.base(), out.strides);
  for (auto [b, e] : ranges) ck.run(ab.args(), b, e);
}

template <class T>
std::unique_ptr<CompiledKernel> compile(const ir::Kernel& k) {
  std::unique_ptr<Backend> be;
  EXPECT_TRUE(make_interp_backend(&be));
  std::unique_ptr<CompiledKernel> ck;
  Status s = be->compile(k, &ck);
  EXPECT_TRUE(s) << s.message();
  return ck;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// Runs the full range, then random sub-ranges in random order, and compares
// both against the reference (every output element, including gaps).
template <class T>
void check(const std::vector<int64_t>& sizes, std::vector<Operand<T>> ops, Operand<T> out, uint32_t seed = 1) {
  const int rank = static_cast<int>(sizes.size());
  const ir::Kernel k = make_kernel<T>(rank, ops[0].layout, ops[1].layout, ops[2].layout, out.layout);
  auto ck = compile<T>(k);
  ASSERT_NE(ck, nullptr);
  const std::vector<T> want = reference(sizes, ops, out);
  const int64_t n = numel_of(sizes);

  Operand<T> full = out;
  run_ranges(*ck, sizes, ops, full, {{0, n}});
  EXPECT_TRUE(same_bits(full.buffer, want)) << "full range";

  std::mt19937 rng(seed);
  for (int trial = 0; trial < 4; ++trial) {
    std::vector<int64_t> cuts = {0, n};
    for (int c = 0; c < 6 && n > 1; ++c) cuts.push_back(std::uniform_int_distribution<int64_t>(0, n)(rng));
    std::sort(cuts.begin(), cuts.end());
    std::vector<std::pair<int64_t, int64_t>> ranges;
    for (size_t i = 0; i + 1 < cuts.size(); ++i) ranges.push_back({cuts[i], cuts[i + 1]});
    std::shuffle(ranges.begin(), ranges.end(), rng);
    Operand<T> part = out;
    run_ranges(*ck, sizes, ops, part, ranges);
    EXPECT_TRUE(same_bits(part.buffer, want)) << "sub-ranges, trial " << trial;
  }
}

template <class T>
Operand<T> contiguous(const std::vector<int64_t>& sizes, uint32_t seed) {
  Operand<T> o;
  o.buffer = random_values<T>(static_cast<size_t>(numel_of(sizes)), seed);
  o.strides = contiguous_strides(sizes);
  return o;
}

template <class T>
Operand<T> output(const std::vector<int64_t>& sizes) {
  Operand<T> o;
  o.buffer.assign(static_cast<size_t>(numel_of(sizes)), static_cast<T>(-99));
  o.strides = contiguous_strides(sizes);
  return o;
}

TEST(InterpLayout, Contiguous) {
  const std::vector<int64_t> s = {37, 53};
  check<float>(s, {contiguous<float>(s, 1), contiguous<float>(s, 2), contiguous<float>(s, 3)}, output<float>(s));
}

TEST(InterpLayout, ContiguousF64) {
  const std::vector<int64_t> s = {1100};
  check<double>(s, {contiguous<double>(s, 1), contiguous<double>(s, 2), contiguous<double>(s, 3)},
                output<double>(s));
}

TEST(InterpLayout, TransposedInput) {
  const std::vector<int64_t> s = {37, 53};
  Operand<float> t = contiguous<float>({53, 37}, 4);
  t.layout = Layout::kStrided;
  t.strides = {1, 37};
  check<float>(s, {t, contiguous<float>(s, 2), contiguous<float>(s, 3)}, output<float>(s));
}

TEST(InterpLayout, SlicedInputWithOffset) {
  const std::vector<int64_t> s = {29, 31};
  Operand<float> t = contiguous<float>({30, 64}, 5);  // x[1:, 1::2] of a 30x64 tensor
  t.layout = Layout::kStrided;
  t.strides = {64, 2};
  t.offset = 64 + 1;
  check<float>(s, {contiguous<float>(s, 1), t, contiguous<float>(s, 3)}, output<float>(s));
}

TEST(InterpLayout, ExpandedRowAndColumn) {
  const std::vector<int64_t> s = {19, 67};
  Operand<float> row = contiguous<float>({67}, 6);  // [67] expanded to [19, 67]
  row.layout = Layout::kStrided;
  row.strides = {0, 1};
  Operand<float> col = contiguous<float>({19}, 7);  // [19, 1] expanded to [19, 67]
  col.layout = Layout::kStrided;
  col.strides = {1, 0};
  check<float>(s, {row, col, contiguous<float>(s, 3)}, output<float>(s));
}

TEST(InterpLayout, BroadcastOneElementAndScalar) {
  const std::vector<int64_t> s = {5, 7, 31};
  Operand<float> one;  // a 0-dim tensor read everywhere
  one.layout = Layout::kBroadcast;
  one.buffer = {1.5f};
  one.strides = {0, 0, 0};
  Operand<float> sc;  // a Python number
  sc.layout = Layout::kScalar;
  sc.scalar = -0.1;
  sc.strides = {0, 0, 0};
  check<float>(s, {contiguous<float>(s, 1), one, sc}, output<float>(s));
}

TEST(InterpLayout, StridedOutput) {
  const std::vector<int64_t> s = {23, 41};
  Operand<float> out;  // write the transpose of a 41x23 buffer
  out.layout = Layout::kStrided;
  out.buffer.assign(41 * 23, -99.0f);
  out.strides = {1, 23};
  check<float>(s, {contiguous<float>(s, 1), contiguous<float>(s, 2), contiguous<float>(s, 3)}, out);
}

TEST(InterpLayout, StridedOutputWithGaps) {
  const std::vector<int64_t> s = {600};
  Operand<double> out;  // every third element; the gaps must stay untouched
  out.layout = Layout::kStrided;
  out.buffer.assign(1800, -99.0);
  out.strides = {3};
  Operand<double> in = contiguous<double>({1200}, 9);
  in.layout = Layout::kStrided;
  in.strides = {2};
  check<double>(s, {in, contiguous<double>(s, 2), contiguous<double>(s, 3)}, out);
}

TEST(InterpLayout, Rank3AllStrided) {
  const std::vector<int64_t> s = {3, 7, 41};
  Operand<float> a = contiguous<float>({41, 7, 3}, 1);  // permuted (2, 1, 0)
  a.layout = Layout::kStrided;
  a.strides = {1, 3, 21};
  Operand<float> b = contiguous<float>({7, 1}, 2);  // [7, 1] broadcast to [3, 7, 41]
  b.layout = Layout::kStrided;
  b.strides = {0, 1, 0};
  Operand<float> c = contiguous<float>({3, 7, 82}, 3);
  c.layout = Layout::kStrided;
  c.strides = {7 * 82, 82, 2};
  Operand<float> out = output<float>({3, 7, 41});
  out.layout = Layout::kStrided;
  check<float>(s, {a, b, c}, out, 7);
}

TEST(InterpLayout, RankZero) {
  const std::vector<int64_t> s = {};
  Operand<float> a;
  a.buffer = {0.75f};
  Operand<float> b = a;
  b.layout = Layout::kBroadcast;
  Operand<float> c;
  c.layout = Layout::kScalar;
  c.scalar = 2.0;
  Operand<float> out;
  out.buffer = {-99.0f};
  check<float>(s, {a, b, c}, out);
}

TEST(InterpLayout, SizeZeroWritesNothing) {
  const std::vector<int64_t> s = {0, 5};
  const ir::Kernel k =
      make_kernel<float>(2, Layout::kContiguous, Layout::kStrided, Layout::kContiguous, Layout::kStrided);
  auto ck = compile<float>(k);
  float sentinel = -99.0f;
  testing::ArgsBuilder ab(s);
  ab.add(nullptr, {5, 1});
  ab.add(nullptr, {0, 1});
  ab.add(nullptr, {5, 1});
  ab.add(&sentinel, {5, 1});
  EXPECT_EQ(ab.args().numel, 0);
  ck->run(ab.args(), 0, 0);
  ck->run(ab.args(), 0, 10);  // end is clipped to numel
  EXPECT_EQ(sentinel, -99.0f);
}

TEST(InterpLayout, InPlaceOutputAliasesInput) {
  const std::vector<int64_t> s = {1500};
  std::vector<Operand<float>> ops = {contiguous<float>(s, 1), contiguous<float>(s, 2), contiguous<float>(s, 3)};
  Operand<float> expected_out = output<float>(s);
  const std::vector<float> want = reference(s, ops, expected_out);
  const ir::Kernel k =
      make_kernel<float>(1, Layout::kContiguous, Layout::kContiguous, Layout::kContiguous, Layout::kContiguous);
  auto ck = compile<float>(k);
  testing::ArgsBuilder ab(s);
  for (auto& o : ops) ab.add(o.base(), o.strides);
  ab.add(ops[0].base(), ops[0].strides);  // out = x's storage
  ck->run(ab.args(), 0, 1500);
  EXPECT_TRUE(same_bits(ops[0].buffer, want));
}

}  // namespace
}  // namespace fuze
