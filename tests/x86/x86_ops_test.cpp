// Differential tests, op by op: every op of ops.def the backend implements
// (iterated, so new ops are covered as soon as x86_op_supported says so) at every ISA level this CPU runs, on special values,
// random data, every layout, tails n = 1..70, rank 0, size 0 and random
// [begin, end) pieces. Bit-exact for exact ops; approximate ops within 2 ULP
// of a float64 reference and of the interpreter.
#include <gtest/gtest.h>

#include "x86/x86_diff.h"

namespace fuze::x86test {
namespace {

struct In {
  Pattern pattern = Pattern::kContiguous;
  bool is_const = false;
  float value = 0.0f;  // constant value, or the uniform value when pattern is uniform
};

ir::Layout layout_of(Pattern p) {
  switch (p) {
    case Pattern::kContiguous: return ir::Layout::kContiguous;
    case Pattern::kBroadcast: return ir::Layout::kBroadcast;
    case Pattern::kScalar: return ir::Layout::kScalar;
    default: return ir::Layout::kStrided;
  }
}

const char* pattern_name(Pattern p) {
  switch (p) {
    case Pattern::kContiguous: return "contiguous";
    case Pattern::kTransposed: return "transposed";
    case Pattern::kEveryOther: return "every-other";
    case Pattern::kBroadcastRow: return "broadcast-dim";
    case Pattern::kBroadcastOuter: return "broadcast-outer";
    case Pattern::kBroadcast: return "broadcast";
    case Pattern::kScalar: return "scalar";
  }
  return "?";
}

ir::Kernel op_kernel(ir::Op op, int rank, const std::vector<In>& ins, bool out_transposed) {
  ir::Kernel k("t", rank);
  std::vector<int> args;
  for (const In& in : ins) {
    args.push_back(in.is_const ? k.add_const(ir::DType::kFloat32, in.value)
                               : k.add_input(ir::DType::kFloat32, layout_of(in.pattern)));
  }
  const int v = k.add_op(op, ir::DType::kFloat32, args);
  k.add_output(v, out_transposed ? ir::Layout::kStrided : ir::Layout::kContiguous);
  k.set_name(k.chain_name());
  return k;
}

// Logical value of input j of p at linear index i.
float logical_input(const Problem& p, int j, int64_t i) {
  const OperandData& op = p.operands[static_cast<size_t>(j)];
  if (op.layout == ir::Layout::kScalar) return static_cast<float>(op.scalar);
  if (op.layout == ir::Layout::kBroadcast) return op.storage[0];
  int64_t rest = i, off = 0;
  for (size_t d = p.sizes.size(); d-- > 0;) {
    off += (rest % p.sizes[d]) * op.strides[d];
    rest /= p.sizes[d];
  }
  return op.storage[static_cast<size_t>(off)];
}

class OpsTest : public ::testing::TestWithParam<int> {};

// Checks one kernel; for a single op with kApprox, also each element against
// the float64 reference.
void check(ir::Op op, const std::vector<int64_t>& sizes, const std::vector<In>& ins, bool out_t, int isa,
           uint32_t seed, const std::vector<float>& values) {
  const ir::Kernel k = op_kernel(op, static_cast<int>(sizes.size()), ins, out_t);
  Problem p;
  p.sizes = sizes;
  int j = 0;
  for (const In& in : ins) {
    if (in.is_const) continue;
    const size_t step = 1 + 6 * static_cast<size_t>(j), shift = 17 * static_cast<size_t>(j) + seed;
    p.operands.push_back(make_operand(sizes, in.pattern, [&](int64_t i) {
      if (in.pattern == Pattern::kScalar || in.pattern == Pattern::kBroadcast) return in.value;
      return values[(static_cast<size_t>(i) * step + shift) % values.size()];
    }));
    ++j;
  }
  p.num_inputs = j;
  p.operands.push_back(make_output(sizes, out_t));
  const bool approx = (ir::op_info(op).flags & ir::kApprox) != 0;
  Tolerance tol;
  tol.exact = !approx;
  tol.max_ulps = 2;
  tol.defer = defers_to_reference(op);
  std::string ctx = std::string(ir::op_info(op).name) + " sizes[";
  for (int64_t s : sizes) ctx += std::to_string(s) + ",";
  ctx += "]";
  for (const In& in : ins) ctx += std::string(" ") + (in.is_const ? "const" : pattern_name(in.pattern));
  ctx += out_t ? " -> transposed" : " -> contiguous";
  auto outs = diff_run(k, p, isa, tol, seed, ctx);
  if (!approx || outs.empty()) return;
  const int64_t numel = p.numel();
  int reported = 0;
  for (int64_t i = 0; i < numel && reported < 5; ++i) {
    const float a = logical_input(p, 0, i);
    const float b = ins.size() < 2 ? 0.0f : (ins[1].is_const ? ins[1].value : logical_input(p, 1, i));
    const double ref = reference(op, a, b);
    const float y = outs[0][static_cast<size_t>(i)];
    double err = ulp_error(y, ref);
    const double slack = cancel_slack(op, a, b);
    if (err > 2.0 && std::isfinite(err) && std::fabs(static_cast<double>(y) - ref) <= slack + 2.0 * (std::fabs(ref) * 0x1p-23 + 0x1p-149)) err = 0.0;
    if (!(err <= 2.0)) {
      ++reported;
      ADD_FAILURE() << ctx << ": " << ir::op_info(op).name << "(" << a << ", " << b << ") = " << y << ", float64 ref "
                    << ref << " (" << err << " ulp)";
    }
  }
}

std::vector<float> uniform_values(ir::Op op) {
  if (op == ir::Op::kPow) {
    return {0.0f, 1.0f, 2.0f, 3.0f, -2.0f, 0.5f, -0.5f, -1.0f, 2.5f, -1.7f, 0.3f, 7.0f, -3.0f, 4.0f,
            1.0f / 3.0f, 1e10f, -1e10f, INFINITY, -INFINITY, NAN, 1e-3f, 33.0f};
  }
  return special_values();
}

TEST_P(OpsTest, TailsContiguous) {
  const int isa = GetParam();
  const auto values = special_values();
  for (int oi = 0; oi < ir::num_ops(); ++oi) {
    const ir::Op op = ir::op_at(oi);
    if (!x86_op_supported(op)) continue;  // covered by UnsupportedOpIsAStatus
    const auto& info = ir::op_info(op);
    for (int64_t n = 1; n <= 70; ++n) {
      std::vector<In> ins(static_cast<size_t>(info.arity));
      if (info.flags & ir::kUniformRhs) {
        ins[1].pattern = Pattern::kScalar;
        ins[1].value = uniform_values(op)[static_cast<size_t>(n) % uniform_values(op).size()];
      }
      check(op, {n}, ins, false, isa, static_cast<uint32_t>(n), values);
    }
  }
}

TEST_P(OpsTest, Layouts) {
  const int isa = GetParam();
  const auto values = special_values();
  const std::vector<Pattern> all = {Pattern::kContiguous, Pattern::kTransposed, Pattern::kEveryOther,
                                    Pattern::kBroadcastRow, Pattern::kBroadcastOuter, Pattern::kBroadcast, Pattern::kScalar};
  const std::vector<std::vector<int64_t>> shapes = {{7, 13}, {3, 1, 9}};
  for (int oi = 0; oi < ir::num_ops(); ++oi) {
    const ir::Op op = ir::op_at(oi);
    if (!x86_op_supported(op)) continue;  // covered by UnsupportedOpIsAStatus
    const auto& info = ir::op_info(op);
    for (const auto& sizes : shapes) {
      for (bool out_t : {false, true}) {
        for (Pattern pa : all) {
          if (info.arity == 1) {
            check(op, sizes, {In{pa, false, 1.5f}}, out_t, isa, 3, values);
            continue;
          }
          if (info.arity == 3) {
            // threshold(x, t, v) / lerp(a, b, w): the third operand in every
            // pattern, the second uniform or (no kUniformRhs) in every pattern.
            for (Pattern pc : all) {
              const auto uv = (info.flags & ir::kUniformRhs) ? uniform_values(op) : std::vector<float>{0.5f, -1.0f};
              for (size_t vi = 0; vi < uv.size(); vi += (info.flags & ir::kUniformRhs) ? 7 : 1) {
                const float v = uv[vi];
                check(op, sizes, {In{pa, false, 0.75f}, In{Pattern::kScalar, false, v}, In{pc, false, 0.3f}}, out_t,
                      isa, 5, values);
                check(op, sizes, {In{pa, false, 0.75f}, In{Pattern::kContiguous, true, v}, In{pc, false, -0.7f}},
                      out_t, isa, 7, values);
              }
              if (info.flags & ir::kUniformRhs) continue;
              for (Pattern pb : all) {
                check(op, sizes, {In{pa, false, -2.5f}, In{pb, false, 0.25f}, In{pc, false, 0.6f}}, out_t, isa, 9,
                      values);
              }
            }
            continue;
          }
          if (info.flags & ir::kUniformRhs) {
            for (float v : uniform_values(op)) {
              check(op, sizes, {In{pa, false, 0.75f}, In{Pattern::kScalar, false, v}}, out_t, isa, 5, values);
              check(op, sizes, {In{pa, false, 0.75f}, In{Pattern::kBroadcast, false, v}}, out_t, isa, 6, values);
              check(op, sizes, {In{pa, false, 0.75f}, In{Pattern::kContiguous, true, v}}, out_t, isa, 7, values);
            }
            continue;
          }
          for (Pattern pb : all) check(op, sizes, {In{pa, false, -2.5f}, In{pb, false, 0.25f}}, out_t, isa, 9, values);
        }
      }
    }
  }
}

TEST_P(OpsTest, RankZeroAndEmpty) {
  const int isa = GetParam();
  const auto values = special_values();
  for (int oi = 0; oi < ir::num_ops(); ++oi) {
    const ir::Op op = ir::op_at(oi);
    if (!x86_op_supported(op)) continue;  // covered by UnsupportedOpIsAStatus
    const auto& info = ir::op_info(op);
    for (const std::vector<int64_t>& sizes : std::vector<std::vector<int64_t>>{{}, {0}, {4, 0}, {1, 1}}) {
      for (size_t s = 0; s < values.size(); s += 5) {
        std::vector<In> ins(static_cast<size_t>(info.arity));
        ins[0].pattern = sizes.size() == 2 ? Pattern::kTransposed : Pattern::kContiguous;
        for (int j = 1; j < info.arity; ++j) {
          ins[static_cast<size_t>(j)].pattern = Pattern::kScalar;
          ins[static_cast<size_t>(j)].value = uniform_values(op)[(s + static_cast<size_t>(j)) % uniform_values(op).size()];
        }
        check(op, sizes, ins, false, isa, static_cast<uint32_t>(s), values);
      }
    }
  }
}

TEST_P(OpsTest, RandomLarge) {
  const int isa = GetParam();
  std::mt19937 rng(7);
  std::vector<float> values(4099);
  std::uniform_real_distribution<float> u(-30.0f, 30.0f);
  for (auto& v : values) v = u(rng);
  for (int oi = 0; oi < ir::num_ops(); ++oi) {
    const ir::Op op = ir::op_at(oi);
    if (!x86_op_supported(op)) continue;  // covered by UnsupportedOpIsAStatus
    const auto& info = ir::op_info(op);
    std::vector<In> ins(static_cast<size_t>(info.arity));
    if (info.flags & ir::kUniformRhs) {
      ins[1].pattern = Pattern::kScalar;
      ins[1].value = op == ir::Op::kPow ? 1.37f : 0.5f;
    }
    check(op, {2053}, ins, false, isa, 11, values);
    std::vector<In> tins = ins;
    tins[0] = In{Pattern::kTransposed};
    if (tins.size() > 2) tins[2] = In{Pattern::kTransposed};
    check(op, {37, 41}, tins, true, isa, 12, values);
  }
}

// Whole vectors of one sign: a kernel may branch on its lanes (elu skips its
// exp where no lane is <= 0), so each path must equal the interpreter.
TEST_P(OpsTest, SignRuns) {
  const int isa = GetParam();
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0.01f, 20.0f);
  std::vector<float> values;
  for (int i = 0; i < 128; ++i) values.push_back(u(rng));       // positive vectors
  for (int i = 0; i < 128; ++i) values.push_back(-u(rng));      // negative vectors
  for (int i = 0; i < 128; ++i) values.push_back(i % 16 == 3 ? -0.0f : u(rng));  // one -0.0 per 16
  for (int i = 0; i < 128; ++i) values.push_back(i % 16 == 9 ? NAN : u(rng));    // one NaN per 16
  for (int oi = 0; oi < ir::num_ops(); ++oi) {
    const ir::Op op = ir::op_at(oi);
    if (!x86_op_supported(op)) continue;
    const auto& info = ir::op_info(op);
    std::vector<In> ins(static_cast<size_t>(info.arity));
    for (int j = 1; j < info.arity; ++j) {
      ins[static_cast<size_t>(j)].pattern = Pattern::kScalar;
      ins[static_cast<size_t>(j)].value = op == ir::Op::kPow ? 1.37f : 0.5f;
    }
    check(op, {static_cast<int64_t>(values.size())}, ins, false, isa, 0, values);
  }
}

std::string isa_label(const ::testing::TestParamInfo<int>& info) {
  return x86_supported_isa_names()[static_cast<size_t>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(AllIsas, OpsTest, ::testing::ValuesIn(x86_supported_isas()), isa_label);

}  // namespace
}  // namespace fuze::x86test
