// Every dtype on the x86 backend, diffed against the interpreter (the spec):
// each op of ops.def at every result / operand dtype combination the verifier
// accepts (ir::op_typing_error) that x86 compiles, on edge values (integer
// extremes, overflow, NaN, +-inf, -0.0, denormals, f16/bf16 overflow and
// ties) and random data, at every layout (contiguous, strided, transposed,
// broadcast dims, broadcast, scalar), tails, random [begin, end) pieces and
// every ISA level this CPU runs. Results must be bit-identical (a NaN matches
// any NaN in float outputs: which NaN an op returns depends on operand order),
// except outputs of approximate ops, which must agree within a few units in
// the last place of their dtype. Combinations x86 rejects must
// be an `unsupported` Status naming the op; mixed-dtype kernels come last.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include "x86/x86_test_util.h"

namespace fuze::x86test {
namespace {

using ir::DType;
using ir::Layout;
using ir::Op;

const std::vector<DType>& all_dtypes() {
  static const std::vector<DType> v = {DType::kBool,     DType::kInt32,   DType::kInt64,  DType::kFloat16,
                                       DType::kBFloat16, DType::kFloat32, DType::kFloat64};
  return v;
}

uint64_t f32_bits(float f) { return bits_of(f); }
uint64_t f64_bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}
double f64_of(uint64_t u) {
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

// Edge values of each dtype, as storage bits.
std::vector<uint64_t> edge_values(DType t) {
  switch (t) {
    case DType::kBool: return {0, 1};
    case DType::kInt32: {
      std::vector<int32_t> v = {0, 1, -1, 2, -2, 7, -7, 3, INT32_MIN, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1,
                                46341, -46341, 65536, 16777217, -16777217, 123456789, -100000, 1 << 30};
      std::vector<uint64_t> out;
      for (int32_t x : v) out.push_back(static_cast<uint32_t>(x));
      return out;
    }
    case DType::kInt64: {
      std::vector<int64_t> v = {0, 1, -1, 2, -2, 7, -7, INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1,
                                int64_t{1} << 32, (int64_t{1} << 32) - 1, -(int64_t{1} << 32), int64_t{1} << 53,
                                (int64_t{1} << 53) + 1, -((int64_t{1} << 53) + 1), (int64_t{1} << 53) + 3,
                                INT64_MAX - 1023, 3037000500LL, -3037000500LL, 0x123456789ABCDEFLL,
                                (int64_t{1} << 60) + (int64_t{1} << 36) + 1, (int64_t{1} << 60) + (int64_t{1} << 36),
                                -((int64_t{1} << 60) + (int64_t{1} << 36)), 16777217, -16777217, 2147483648LL,
                                -2147483649LL, 4294967297LL};
      std::vector<uint64_t> out;
      for (int64_t x : v) out.push_back(static_cast<uint64_t>(x));
      return out;
    }
    case DType::kFloat16:
      return {0x0000, 0x8000, 0x3C00, 0xBC00, 0x7C00, 0xFC00, 0x7E00, 0xFE00, 0x7C01, 0x7F00, 0x0001, 0x8001,
              0x03FF, 0x0400, 0x7BFF, 0xFBFF, 0x3555, 0x4248, 0xC500, 0x5640, 0x3800, 0x3E00, 0x4100, 0xC100,
              0x7800, 0x0200};
    case DType::kBFloat16:
      return {0x0000, 0x8000, 0x3F80, 0xBF80, 0x7F80, 0xFF80, 0x7FC0, 0xFFC0, 0x7F81, 0x0001, 0x007F, 0x0080,
              0x7F7F, 0xFF7F, 0x4049, 0xC2C8, 0x3F00, 0x3FC0, 0x4020, 0xC020, 0x4F00, 0xCF00, 0x5F00, 0x4B80};
    case DType::kFloat32: {
      std::vector<uint64_t> out = {0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
                                   0x7FA00000, 0x00000001, 0x80000001, 0x00800000, 0x007FFFFF, 0x7F7FFFFF,
                                   0xFF7FFFFF, 0x3F801000, 0x3F803000, 0x3F808000, 0x3F818000, 0x33000000,
                                   0x33000001, 0x33800000, 0x387FC000, 0x38800000, 0x477FE000, 0x477FEFFF,
                                   0x477FF000, 0x7F7F8000, 0x7F7F7FFF};
      for (float f : {1.0f, -1.0f, 0.5f, 1.5f, 2.5f, -2.5f, -0.5f, 3.0f, 65504.0f, 2147483648.0f, -2147483648.0f,
                      2147483520.0f, 3e9f, -3e9f, 9.2233715e18f, 9.223372e18f, -9.223372e18f, 1e20f, 0.1f, -7.75f,
                      100.0f, 6.0f, -3.0f})
        out.push_back(f32_bits(f));
      return out;
    }
    case DType::kFloat64: {
      std::vector<uint64_t> out = {0x0ull, 0x8000000000000000ull, 0x7FF0000000000000ull, 0xFFF0000000000000ull,
                                   0x7FF8000000000000ull, 0xFFF8000000000000ull, 0x0000000000000001ull,
                                   0x000FFFFFFFFFFFFFull, 0x7FEFFFFFFFFFFFFFull, 0x3FF0000010000000ull,
                                   0x3FF0000030000000ull, 0x3FF0000010000001ull};
      for (double d : {1.0, -1.0, 0.5, 2.5, -2.5, 1.5, 3.0, 9223372036854775808.0, -9223372036854775808.0,
                       9223372036854774784.0, -9223372036854777856.0, 2147483648.0, -2147483648.5,
                       -2147483648.9, 2147483647.9, -2147483649.0, 1e300, 3.4028235677973366e38, 0.1, 1e-40,
                       4294967296.5, -1e19, 6.0, -3.0, 65520.0, 1e-310})
        out.push_back(f64_bits(d));
      return out;
    }
  }
  return {};
}

// A random value of dtype t (storage bits).
uint64_t random_value(DType t, std::mt19937_64& rng) {
  const uint64_t r = rng();
  switch (t) {
    case DType::kBool: return r & 1;
    case DType::kInt32: return (r & 8) ? static_cast<uint32_t>(static_cast<int32_t>(r % 201) - 100) : (r >> 32);
    case DType::kInt64: return (r & 8) ? static_cast<uint64_t>(static_cast<int64_t>(r % 2001) - 1000) : (r >> 4);
    case DType::kFloat16:
    case DType::kBFloat16: return (r >> 8) & 0xFFFF;
    case DType::kFloat32: {
      if (r & 16) return f32_bits(static_cast<float>(static_cast<int64_t>(r % 4001) - 2000) / 16.0f);
      return (r >> 16) & 0xFFFFFFFF;
    }
    case DType::kFloat64: {
      if (r & 16) return f64_bits(static_cast<double>(static_cast<int64_t>(r % 4001) - 2000) / 16.0);
      return r >> 1;
    }
  }
  return 0;
}

// A storage value as a double (for by-value scalars: KernelArgs::scalars).
double value_as_double(DType t, uint64_t bits) {
  switch (t) {
    case DType::kBool: return bits ? 1.0 : 0.0;
    case DType::kInt32: return static_cast<int32_t>(static_cast<uint32_t>(bits));
    case DType::kInt64: return static_cast<double>(static_cast<int64_t>(bits));
    case DType::kFloat16: return interp::half_to_float(static_cast<uint16_t>(bits));
    case DType::kBFloat16: return interp::bf16_to_float(static_cast<uint16_t>(bits));
    case DType::kFloat32: return float_of(static_cast<uint32_t>(bits));
    case DType::kFloat64: return f64_of(bits);
  }
  return 0;
}

// An operand of any dtype: element bytes at strides over the iteration space.
struct Operand {
  DType dtype = DType::kFloat32;
  Pattern pattern = Pattern::kContiguous;
  std::vector<unsigned char> bytes;
  std::vector<int64_t> strides;
  double scalar = 0.0;
};

Layout layout_of(Pattern p) {
  switch (p) {
    case Pattern::kContiguous: return Layout::kContiguous;
    case Pattern::kBroadcast: return Layout::kBroadcast;
    case Pattern::kScalar: return Layout::kScalar;
    default: return Layout::kStrided;
  }
}

constexpr unsigned char kSentinel = 0xA5;

// Builds an operand over `sizes` with logical values gen(i).
template <class Gen>
Operand make(DType t, const std::vector<int64_t>& sizes, Pattern pattern, Gen gen) {
  // Reuse make_operand's stride logic through a float-valued shadow of indices.
  Operand op;
  op.dtype = t;
  op.pattern = pattern;
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  if (pattern == Pattern::kScalar) {
    op.strides.assign(sizes.size(), 0);
    op.scalar = value_as_double(t, gen(0));
    return op;
  }
  OperandData shape = make_operand(sizes, pattern, [](int64_t) { return 0.0f; });
  op.strides = std::move(shape.strides);
  const size_t es = static_cast<size_t>(ir::dtype_size(t));
  op.bytes.assign(shape.storage.size() * es, kSentinel);
  auto put = [&](int64_t off, uint64_t v) { std::memcpy(op.bytes.data() + static_cast<size_t>(off) * es, &v, es); };
  if (pattern == Pattern::kBroadcast) {
    put(0, gen(0));
    return op;
  }
  if (t == DType::kBool) {  // bool storage holds 0 / 1 only
    std::fill(op.bytes.begin(), op.bytes.end(), 0);
  }
  const size_t rank = sizes.size();
  for (int64_t i = 0; i < numel; ++i) {
    int64_t rest = i, off = 0;
    for (size_t d = rank; d-- > 0;) {
      off += (rest % sizes[d]) * op.strides[d];
      rest /= sizes[d];
    }
    put(off, gen(i));
  }
  return op;
}

Operand make_out(DType t, const std::vector<int64_t>& sizes, bool transposed) {
  Operand op;
  op.dtype = t;
  op.pattern = transposed ? Pattern::kTransposed : Pattern::kContiguous;
  OperandData shape = make_output(sizes, transposed);
  op.strides = std::move(shape.strides);
  op.bytes.assign(shape.storage.size() * static_cast<size_t>(ir::dtype_size(t)), kSentinel);
  return op;
}

struct Call {
  explicit Call(std::vector<int64_t> s = {}) : sizes(std::move(s)) {}
  std::vector<int64_t> sizes;
  std::vector<Operand> ops;  // inputs then outputs
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : sizes) n *= s;
    return n;
  }
};

void run(const CompiledKernel& ck, Call& c, int64_t begin, int64_t end) {
  std::vector<void*> data;
  std::vector<int64_t> strides;
  std::vector<double> scalars;
  for (Operand& o : c.ops) {
    data.push_back(o.bytes.empty() ? nullptr : o.bytes.data());
    for (size_t d = 0; d < c.sizes.size(); ++d) strides.push_back(o.strides.empty() ? 0 : o.strides[d]);
    scalars.push_back(o.scalar);
  }
  KernelArgs a;
  a.numel = c.numel();
  a.rank = static_cast<int>(c.sizes.size());
  a.sizes = c.sizes.data();
  a.data = data.data();
  a.strides = strides.data();
  a.scalars = scalars.data();
  ck.run(a, begin, end);
}

// Distance in units of the last place between two finite-or-inf values of a
// floating dtype's storage (NaN handled by the caller).
int64_t ulps(DType t, uint64_t a, uint64_t b) {
  const int bits = ir::dtype_size(t) * 8;
  const uint64_t sign = uint64_t{1} << (bits - 1);
  auto ord = [&](uint64_t v) {
    const int64_t m = static_cast<int64_t>(v & (sign - 1));
    return (v & sign) ? -m : m;
  };
  return std::llabs(ord(a) - ord(b));
}

bool is_nan_bits(DType t, uint64_t v) {
  switch (t) {
    case DType::kFloat16: return (v & 0x7C00) == 0x7C00 && (v & 0x3FF) != 0;
    case DType::kBFloat16: return (v & 0x7F80) == 0x7F80 && (v & 0x7F) != 0;
    case DType::kFloat32: return std::isnan(float_of(static_cast<uint32_t>(v)));
    case DType::kFloat64: return std::isnan(f64_of(v));
    default: return false;
  }
}

int64_t g_checked = 0;  // kernels diffed
int64_t g_elements = 0;

// Compiles k with both backends and diffs every output's storage over call c.
// Returns false when x86 rejected the kernel (the Status is then checked).
bool diff(const ir::Kernel& k, const Call& proto, int isa, int64_t max_ulps, uint32_t seed, const std::string& ctx) {
  auto ib = interp_backend();
  auto xb = x86_backend(isa);
  std::unique_ptr<CompiledKernel> ik, xk;
  EXPECT_TRUE(ib->compile(k, &ik).is_ok()) << ir::print(k);
  Status st = xb->compile(k, &xk);
  if (!st.is_ok()) {
    EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.message();
    EXPECT_NE(st.message().find("x86: op "), std::string::npos) << st.message();
    return false;
  }
  if (!ik || !xk) return true;
  Call ci = proto, cx = proto;
  const int64_t numel = proto.numel();
  run(*ik, ci, 0, numel);
  std::mt19937 rng(seed);
  std::vector<int64_t> cuts = {0, numel};
  if (numel > 1) {
    std::uniform_int_distribution<int64_t> u(0, numel);
    for (int i = 0; i < 3; ++i) cuts.push_back(u(rng));
  }
  std::sort(cuts.begin(), cuts.end());
  for (size_t i = 0; i + 1 < cuts.size(); ++i) run(*xk, cx, cuts[i], cuts[i + 1]);
  run(*xk, cx, numel, numel + 5);
  ++g_checked;
  const int nin = k.num_inputs();
  for (int o = 0; o < k.num_outputs(); ++o) {
    const Operand& a = ci.ops[static_cast<size_t>(nin + o)];
    const Operand& b = cx.ops[static_cast<size_t>(nin + o)];
    const size_t es = static_cast<size_t>(ir::dtype_size(a.dtype));
    // Only an output computed by an approximate op may differ (within max_ulps).
    const ir::Node& out_node = k.node(k.outputs()[static_cast<size_t>(o)].value);
    const bool approx = out_node.kind == ir::NodeKind::kOp && (ir::op_info(out_node.op).flags & ir::kApprox) != 0;
    int reported = 0;
    for (size_t j = 0; j * es < a.bytes.size() && reported < 4; ++j) {
      uint64_t va = 0, vb = 0;
      std::memcpy(&va, a.bytes.data() + j * es, es);
      std::memcpy(&vb, b.bytes.data() + j * es, es);
      ++g_elements;
      if (va == vb) continue;
      const bool untouched = std::all_of(a.bytes.begin() + static_cast<ptrdiff_t>(j * es),
                                         a.bytes.begin() + static_cast<ptrdiff_t>((j + 1) * es),
                                         [](unsigned char c) { return c == kSentinel; });
      bool ok = false;
      if (!untouched && ir::is_floating(a.dtype)) {
        // Which NaN an op returns depends on its operand order, which the
        // compiler may swap in the interpreter's own loops.
        if (is_nan_bits(a.dtype, va) || is_nan_bits(a.dtype, vb)) {
          ok = is_nan_bits(a.dtype, va) && is_nan_bits(a.dtype, vb);
        } else {
          ok = approx && ulps(a.dtype, va, vb) <= max_ulps;
        }
      }
      if (!ok) {
        ++reported;
        std::ostringstream ins;
        for (int i = 0; i < nin; ++i) {
          const Operand& in = proto.ops[static_cast<size_t>(i)];
          const size_t ies = static_cast<size_t>(ir::dtype_size(in.dtype));
          uint64_t v = 0;
          if (in.pattern == Pattern::kScalar) {
            ins << " in" << i << "=" << in.scalar;
            continue;
          }
          const size_t at = in.pattern == Pattern::kBroadcast ? 0 : j;
          if ((at + 1) * ies <= in.bytes.size()) std::memcpy(&v, in.bytes.data() + at * ies, ies);
          ins << " in" << i << "=0x" << std::hex << v << std::dec;
        }
        ADD_FAILURE() << ctx << " [isa " << isa << "] output " << o << " storage[" << j << "]: interp 0x" << std::hex
                      << va << " x86 0x" << vb << std::dec << " (inputs at the same index:" << ins.str() << ")\n"
                      << ir::print(k);
      }
    }
  }
  return true;
}

// All operand dtype vectors of length n.
std::vector<std::vector<DType>> dtype_tuples(int n) {
  std::vector<std::vector<DType>> out = {{}};
  for (int i = 0; i < n; ++i) {
    std::vector<std::vector<DType>> next;
    for (const auto& v : out) {
      for (DType t : all_dtypes()) {
        auto w = v;
        w.push_back(t);
        next.push_back(w);
      }
    }
    out = std::move(next);
  }
  return out;
}

struct Combo {
  Op op;
  DType result;
  std::vector<DType> operands;
};

std::vector<Combo> valid_combos() {
  std::vector<Combo> out;
  for (int oi = 0; oi < ir::num_ops(); ++oi) {
    const Op op = ir::op_at(oi);
    if ((ir::op_info(op).native & ir::kInterp) == 0) continue;  // decomposed first (tests/unit/decompose_test.cpp)
    // Row reductions are not pointwise: x86/CUDA reductions are later parts of
    // issue 17 (tests/unit/interp_reduce_test.cpp checks that x86 refuses them).
    if ((ir::op_info(op).flags & ir::kReduce) != 0) continue;
    for (DType r : all_dtypes()) {
      for (const auto& ts : dtype_tuples(ir::op_info(op).arity)) {
        if (ir::op_typing_error(op, r, ts).empty()) out.push_back(Combo{op, r, ts});
      }
    }
  }
  return out;
}

std::string combo_name(const Combo& c) {
  std::string s = std::string(ir::op_info(c.op).name) + " " + ir::dtype_name(c.result) + " (";
  for (size_t i = 0; i < c.operands.size(); ++i) s += std::string(i ? ", " : "") + ir::dtype_name(c.operands[i]);
  return s + ")";
}

// Uniform second operands for kUniformRhs ops: a few per dtype.
std::vector<uint64_t> uniform_choices(DType t) {
  auto e = edge_values(t);
  std::vector<uint64_t> out;
  for (size_t i = 0; i < e.size(); i += 3) out.push_back(e[i]);
  return out;
}

// One op kernel: inputs with the given patterns (a kUniformRhs operand 1 is a
// scalar or broadcast input), output contiguous or transposed.
ir::Kernel combo_kernel(const Combo& c, int rank, const std::vector<Pattern>& pats, bool out_t) {
  ir::Kernel k("t", rank);
  std::vector<int> args;
  for (size_t i = 0; i < c.operands.size(); ++i) args.push_back(k.add_input(c.operands[i], layout_of(pats[i])));
  k.add_output(k.add_op(c.op, c.result, args), out_t ? Layout::kStrided : Layout::kContiguous);
  k.set_name(k.chain_name());
  return k;
}

int64_t tolerance(const Combo& c) {
  if ((ir::op_info(c.op).flags & ir::kApprox) == 0) return 0;
  return 2;  // f16/bf16: float32 results within a few float32 ULPs, rounded
}

class DtypeTest : public ::testing::TestWithParam<int> {};

// Every valid (op, dtypes) combination: supported ones diffed at every layout,
// rejected ones must be Status::unsupported naming the op.
TEST_P(DtypeTest, EveryOpEveryDtype) {
  const int isa = GetParam();
  g_checked = g_elements = 0;
  int native = 0, rejected = 0;
  std::map<std::string, int> rejected_by_op;
  for (const Combo& c : valid_combos()) {
    const auto& info = ir::op_info(c.op);
    const int arity = info.arity;
    const bool uniform_rhs = (info.flags & ir::kUniformRhs) != 0;
    const uint32_t seed = static_cast<uint32_t>(static_cast<int>(c.op) * 131 + static_cast<int>(c.result) * 7);
    std::mt19937_64 rng(seed);
    auto gen_for = [&](int operand, int64_t phase) {
      auto edges = edge_values(c.operands[static_cast<size_t>(operand)]);
      const DType t = c.operands[static_cast<size_t>(operand)];
      std::vector<uint64_t> rnd(64);
      for (auto& v : rnd) v = random_value(t, rng);
      // Index i: edge values cycled with a different step per operand (so
      // pairs of edge values meet), then random values.
      return [edges, rnd, operand, phase](int64_t i) {
        const int64_t n = static_cast<int64_t>(edges.size());
        const int64_t k = i + phase;
        if (k % 5 == 4) return rnd[static_cast<size_t>(k % 64)];
        const int64_t step = 1 + 3 * operand;
        return edges[static_cast<size_t>((k * step + k / n) % n)];
      };
    };
    bool supported = true;
    // 1) contiguous, a length with a tail at every level; uniform rhs as scalars
    //    cycling through its choices.
    {
      std::vector<Pattern> pats(static_cast<size_t>(arity), Pattern::kContiguous);
      const auto uc = uniform_rhs ? uniform_choices(c.operands[1]) : std::vector<uint64_t>{0};
      for (size_t ui = 0; ui < uc.size() && supported; ++ui) {
        if (uniform_rhs) pats[1] = ui % 2 ? Pattern::kBroadcast : Pattern::kScalar;
        const ir::Kernel k = combo_kernel(c, 1, pats, false);
        Call call(std::vector<int64_t>{uniform_rhs ? 37 : 131});
        for (int i = 0; i < arity; ++i) {
          if (uniform_rhs && i == 1) {
            const uint64_t v = uc[ui];
            call.ops.push_back(make(c.operands[1], call.sizes, pats[1], [v](int64_t) { return v; }));
          } else {
            call.ops.push_back(make(c.operands[static_cast<size_t>(i)], call.sizes, pats[static_cast<size_t>(i)],
                                    gen_for(i, static_cast<int64_t>(ui) * 11)));
          }
        }
        call.ops.push_back(make_out(c.result, call.sizes, false));
        supported = diff(k, call, isa, tolerance(c), seed, combo_name(c) + " contiguous");
      }
    }
    if (!supported) {
      ++rejected;
      ++rejected_by_op[std::string(info.name) + " " + ir::dtype_name(c.result)];
      continue;
    }
    ++native;
    // 2) layouts: each operand takes each pattern in turn (rotated), rank 2
    //    and 3, output contiguous and transposed.
    const std::vector<Pattern> all = {Pattern::kContiguous,   Pattern::kTransposed,     Pattern::kEveryOther,
                                      Pattern::kBroadcastRow, Pattern::kBroadcastOuter, Pattern::kBroadcast,
                                      Pattern::kScalar};
    const std::vector<std::vector<int64_t>> shapes = {{7, 13}, {3, 1, 9}};
    for (size_t r = 0; r < all.size(); ++r) {
      std::vector<Pattern> pats;
      for (int i = 0; i < arity; ++i) pats.push_back(all[(r + 2 * static_cast<size_t>(i)) % all.size()]);
      if (uniform_rhs) pats[1] = r % 2 ? Pattern::kBroadcast : Pattern::kScalar;
      const auto& sizes = shapes[r % shapes.size()];
      const bool out_t = r % 2 == 1;
      const ir::Kernel k = combo_kernel(c, static_cast<int>(sizes.size()), pats, out_t);
      Call call{sizes};
      for (int i = 0; i < arity; ++i) {
        call.ops.push_back(make(c.operands[static_cast<size_t>(i)], sizes, pats[static_cast<size_t>(i)],
                                gen_for(i, static_cast<int64_t>(r) * 5)));
      }
      call.ops.push_back(make_out(c.result, sizes, out_t));
      diff(k, call, isa, tolerance(c), seed + static_cast<uint32_t>(r), combo_name(c) + " layouts " + std::to_string(r));
    }
  }
  std::printf("[ dtypes ] isa %d: %d (op, dtypes) combinations native, %d rejected as unsupported; %lld kernels, %lld elements diffed\n",
              isa, native, rejected, static_cast<long long>(g_checked), static_cast<long long>(g_elements));
  for (const auto& [name, n] : rejected_by_op) std::printf("[ dtypes ]   unsupported: %s (%d combinations)\n", name.c_str(), n);
}

// Every f16 / bf16 value (all 65536 patterns) through each unary op of that
// dtype, then r * r for the ops with exact results: the AVX2 bf16 loads and
// stores (vpshufb), and bf16 rounding without the NaN fix-up where the value
// is NaN-clean (VecEmitter::nan_clean: r * r of rounded r, reciprocal and
// sqrt of loaded values), against the interpreter.
TEST_P(DtypeTest, Every16BitValueThroughUnaryOpThenSquare) {
  const int isa = GetParam();
  int kernels = 0;
  for (const Combo& c : valid_combos()) {
    if (c.operands.size() != 1 || c.result != c.operands[0] || ir::dtype_size(c.result) != 2) continue;
    // gelu's and gelu_tanh's float32 formulas cancel for x in about (-5.6,
    // -4.7): the tiny results (< 1e-6) are bounded absolutely (OpsTest), and
    // some f16/bf16 ones are more than 2 ULP from the interpreter's (so with
    // the erf-based gelu before the tables too).
    if (c.op == Op::kGelu || c.op == Op::kGeluTanh) continue;
    const bool approx = (ir::op_info(c.op).flags & ir::kApprox) != 0;
    ir::Kernel k("t", 1);
    const int x = k.add_input(c.result, Layout::kContiguous);
    const int r = k.add_op(c.op, c.result, {x});
    k.add_output(r, Layout::kContiguous);
    if (!approx) k.add_output(k.add_op(Op::kMul, c.result, {r, r}), Layout::kContiguous);
    k.set_name(k.chain_name());
    Call call(std::vector<int64_t>{65536 + 5});  // a tail at every level
    call.ops.push_back(make(c.result, call.sizes, Pattern::kContiguous, [](int64_t i) { return static_cast<uint64_t>(i & 0xFFFF); }));
    call.ops.push_back(make_out(c.result, call.sizes, false));
    if (!approx) call.ops.push_back(make_out(c.result, call.sizes, false));
    if (diff(k, call, isa, tolerance(c), 7, combo_name(c) + " every value")) ++kernels;
  }
  EXPECT_GT(kernels, 20);
}

// Every cast pair on every edge value of the source dtype, one element per
// position so each value is seen in every lane position of a vector.
TEST_P(DtypeTest, CastsEveryPairEdgeValues) {
  const int isa = GetParam();
  for (DType from : all_dtypes()) {
    for (DType to : all_dtypes()) {
      auto edges = edge_values(from);
      std::mt19937_64 rng(static_cast<uint64_t>(from) * 17 + static_cast<uint64_t>(to));
      for (int i = 0; i < 200; ++i) edges.push_back(random_value(from, rng));
      ir::Kernel k("cast", 1);
      const int x = k.add_input(from, Layout::kContiguous);
      k.add_output(k.add_op(Op::kCast, to, {x}), Layout::kContiguous);
      Call call(std::vector<int64_t>{static_cast<int64_t>(edges.size())});
      call.ops.push_back(make(from, call.sizes, Pattern::kContiguous, [&](int64_t i) { return edges[static_cast<size_t>(i)]; }));
      call.ops.push_back(make_out(to, call.sizes, false));
      EXPECT_TRUE(diff(k, call, isa, 0, 7, std::string("cast ") + ir::dtype_name(from) + " -> " + ir::dtype_name(to)));
      // The same values as scalars and constants (converted from double as the
      // interpreter converts them).
      for (size_t j = 0; j < edges.size(); j += 7) {
        ir::Kernel ks("cast_scalar", 1);
        const int s = ks.add_input(from, Layout::kScalar);
        const int c = ks.add_const(from, value_as_double(from, edges[j]));
        const int v = ks.add_op(Op::kCast, to, {s});
        ks.add_output(v, Layout::kContiguous);
        ks.add_output(ks.add_op(Op::kCast, to, {c}), Layout::kContiguous);
        Call cs(std::vector<int64_t>{5});
        const uint64_t e = edges[j];
        cs.ops.push_back(make(from, cs.sizes, Pattern::kScalar, [e](int64_t) { return e; }));
        cs.ops.push_back(make_out(to, cs.sizes, false));
        cs.ops.push_back(make_out(to, cs.sizes, false));
        diff(ks, cs, isa, 0, 3, std::string("scalar cast ") + ir::dtype_name(from) + " -> " + ir::dtype_name(to));
      }
    }
  }
}

// int64 values near float32 rounding boundaries (ties, sticky bits far
// below) converted to float32, f16, bf16 and float64.
TEST_P(DtypeTest, Int64ToFloatRounding) {
  const int isa = GetParam();
  std::vector<uint64_t> vals;
  std::mt19937_64 rng(99);
  for (int e = 24; e < 63; ++e) {
    const int64_t base = int64_t{1} << e;
    const int64_t half = e >= 24 ? int64_t{1} << (e - 24) : 0;  // half a float32 ULP at 2^e
    for (int64_t d : {int64_t{0}, half, half - 1, half + 1, 3 * half, 3 * half - 1, 3 * half + 1}) {
      vals.push_back(static_cast<uint64_t>(base + d));
      vals.push_back(static_cast<uint64_t>(-(base + d)));
    }
    vals.push_back(static_cast<uint64_t>(base | static_cast<int64_t>(rng() & (static_cast<uint64_t>(base) - 1))));
  }
  for (DType to : {DType::kFloat32, DType::kFloat16, DType::kBFloat16, DType::kFloat64}) {
    ir::Kernel k("i64_to_f", 1);
    const int x = k.add_input(DType::kInt64, Layout::kContiguous);
    k.add_output(k.add_op(Op::kCast, to, {x}), Layout::kContiguous);
    Call call(std::vector<int64_t>{static_cast<int64_t>(vals.size())});
    call.ops.push_back(make(DType::kInt64, call.sizes, Pattern::kContiguous, [&](int64_t i) { return vals[static_cast<size_t>(i)]; }));
    call.ops.push_back(make_out(to, call.sizes, false));
    EXPECT_TRUE(diff(k, call, isa, 0, 1, std::string("i64 -> ") + ir::dtype_name(to)));
  }
}

// Kernels that mix dtypes: int64 input cast to float32, compared, where;
// bool and f16 inputs; several outputs of different dtypes and layouts.
TEST_P(DtypeTest, MixedDtypeKernels) {
  const int isa = GetParam();
  const char* texts[] = {
      "kernel mixed1 rank 2 {\n"
      "  %0 = input 0 i64 contiguous\n  %1 = input 1 f32 strided\n"
      "  %2 = cast f32 %0\n  %3 = gt bool %2, %1\n  %4 = where f32 %3, %2, %1\n"
      "  %5 = add i64 %0, %0\n  %6 = mul i64 %5, %0\n"
      "  output %4 contiguous\n  output %6 strided\n  output %3 contiguous\n}\n",
      "kernel mixed2 rank 2 {\n"
      "  %0 = input 0 bool strided\n  %1 = input 1 f16 contiguous\n  %2 = input 2 bf16 scalar\n"
      "  %3 = cast f16 %2\n  %4 = mul f16 %1, %3\n  %5 = logical_and bool %0, %4\n"
      "  %6 = where f16 %5, %4, %1\n  %7 = cast f64 %6\n  %8 = sqrt f64 %7\n"
      "  %9 = cast i32 %8\n  %10 = bitwise_xor i32 %9, %9\n  %11 = sub i32 %9, %10\n"
      "  output %6 strided\n  output %8 contiguous\n  output %11 contiguous\n}\n",
      "kernel mixed3 rank 2 {\n"
      "  %0 = input 0 i32 broadcast\n  %1 = input 1 i64 strided\n  %2 = input 2 f64 contiguous\n"
      "  %3 = cast i64 %0\n  %4 = maximum i64 %1, %3\n  %5 = cast f64 %4\n  %6 = add f64 %5, %2\n"
      "  %7 = isfinite bool %6\n  %8 = logical_not bool %7\n  %9 = cast bf16 %6\n"
      "  %10 = const i64 -3\n  %11 = clamp_min i64 %4, %10\n  %12 = sign i64 %11\n"
      "  output %8 contiguous\n  output %9 strided\n  output %12 contiguous\n}\n",
      "kernel mixed4 rank 2 {\n"
      "  %0 = input 0 f32 contiguous\n  %1 = input 1 i32 scalar\n  %2 = input 2 f64 scalar\n"
      "  %3 = cast f32 %1\n  %4 = mul f32 %0, %3\n  %5 = cast i64 %4\n  %6 = cast i32 %2\n"
      "  %7 = cast i64 %6\n  %8 = sub i64 %5, %7\n  %9 = ne bool %8, %7\n  %10 = cast f16 %0\n"
      "  %11 = tanh f16 %10\n  %12 = cast bf16 %0\n  %13 = exp bf16 %12\n"
      "  output %8 contiguous\n  output %9 strided\n  output %11 contiguous\n  output %13 contiguous\n}\n",
  };
  for (const char* text : texts) {
    ir::Kernel k;
    ASSERT_TRUE(ir::parse(text, &k).is_ok()) << text;
    ASSERT_TRUE(ir::verify(k).is_ok()) << ir::verify(k).message();
    // Shapes: tails, a single element, rows longer than the runner's chunk,
    // an empty one.
    for (const auto& sizes : std::vector<std::vector<int64_t>>{{5, 29}, {17, 3}, {1, 1}, {2, 67}, {3, 601}, {0, 4}}) {
      Call call{sizes};
      std::mt19937_64 rng(static_cast<uint64_t>(sizes[1] + sizes[0]));
      const Pattern pats[] = {Pattern::kTransposed, Pattern::kBroadcastRow, Pattern::kEveryOther};
      int si = 0;
      for (int i = 0; i < k.num_inputs(); ++i) {
        const ir::Node& n = k.node(k.inputs()[static_cast<size_t>(i)]);
        Pattern p = n.layout == Layout::kContiguous ? Pattern::kContiguous
                    : n.layout == Layout::kBroadcast ? Pattern::kBroadcast
                    : n.layout == Layout::kScalar    ? Pattern::kScalar
                                                     : pats[si++ % 3];
        auto edges = edge_values(n.dtype);
        std::vector<uint64_t> vals;
        for (int64_t j = 0; j < 512; ++j) vals.push_back(j % 3 ? random_value(n.dtype, rng) : edges[static_cast<size_t>(j) % edges.size()]);
        const size_t shift = static_cast<size_t>(i) * 5;
        call.ops.push_back(make(n.dtype, sizes, p, [&](int64_t j) { return vals[(static_cast<size_t>(j) + shift) % vals.size()]; }));
      }
      for (const ir::Output& o : k.outputs()) {
        call.ops.push_back(make_out(k.node(o.value).dtype, sizes, o.layout == Layout::kStrided));
      }
      EXPECT_TRUE(diff(k, call, isa, 2, 5, k.name()));
    }
  }
}

// Rank 0: one element of every dtype, in and out.
TEST_P(DtypeTest, RankZero) {
  const int isa = GetParam();
  for (DType from : all_dtypes()) {
    for (DType to : all_dtypes()) {
      ir::Kernel k("r0", 0);
      const int x = k.add_input(from, Layout::kContiguous);
      const int y = k.add_input(from, Layout::kScalar);
      const int c = k.add_op(Op::kCast, to, {x});
      k.add_output(c, Layout::kContiguous);
      k.add_output(k.add_op(Op::kEq, DType::kBool, {x, y}), Layout::kContiguous);
      const auto edges = edge_values(from);
      for (size_t j = 0; j < edges.size(); j += 5) {
        Call call;
        const uint64_t v = edges[j], w = edges[(j + 1) % edges.size()];
        call.ops.push_back(make(from, call.sizes, Pattern::kContiguous, [v](int64_t) { return v; }));
        call.ops.push_back(make(from, call.sizes, Pattern::kScalar, [w](int64_t) { return w; }));
        call.ops.push_back(make_out(to, call.sizes, false));
        call.ops.push_back(make_out(DType::kBool, call.sizes, false));
        EXPECT_TRUE(diff(k, call, isa, 0, 1, std::string("rank 0 ") + ir::dtype_name(from) + " -> " + ir::dtype_name(to)));
      }
    }
  }
}

// What x86 leaves to the interpreter is a Status naming the op and dtype.
TEST(DtypeStatus, UnsupportedNamesOpAndDtype) {
  auto xb = x86_backend(x86_supported_isas().back());
  ir::Kernel k("t", 1);
  const int x = k.add_input(DType::kFloat64, Layout::kContiguous);
  k.add_output(k.add_op(Op::kExp, DType::kFloat64, {x}), Layout::kContiguous);
  std::unique_ptr<CompiledKernel> ck;
  Status st = xb->compile(k, &ck);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("exp"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("f64"), std::string::npos) << st.message();
  EXPECT_EQ(ck, nullptr);
}

// Every combination also encodes at AVX-512 (whether or not this CPU runs it).
TEST(DtypeStatus, EveryComboEncodesAtEveryLevel) {
  int encoded = 0;
  for (const Combo& c : valid_combos()) {
    std::vector<Pattern> pats(c.operands.size(), Pattern::kContiguous);
    if (ir::op_info(c.op).flags & ir::kUniformRhs) pats[1] = Pattern::kScalar;
    const ir::Kernel k = combo_kernel(c, 1, pats, false);
    for (int isa = 0; isa <= 2; ++isa) {
      std::string text;
      Status st = x86_assemble_only(k, isa, &text);
      if (st.code() == StatusCode::kUnsupported) continue;
      EXPECT_TRUE(st.is_ok()) << combo_name(c) << " isa " << isa << ": " << st.message();
      ++encoded;
    }
  }
  std::printf("[ dtypes ] %d (combination, level) pairs encode\n", encoded);
}

std::string isa_param_name(const ::testing::TestParamInfo<int>& info) {
  return x86_supported_isa_names()[static_cast<size_t>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(Isa, DtypeTest, ::testing::ValuesIn(x86_supported_isas()), isa_param_name);

}  // namespace
}  // namespace fuze::x86test
