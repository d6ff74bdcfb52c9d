#include "x86/x86_test_util.h"

#include <algorithm>

#include "backends/interp/scalar_ops.h"

namespace fuze::x86test {

double reference(ir::Op op, float a, float b) {
  const double x = a;
  switch (op) {
    case ir::Op::kExp: return std::exp(x);
    case ir::Op::kLog: return std::log(x);
    case ir::Op::kTanh: return std::tanh(x);
    case ir::Op::kSigmoid:  // float32 semantics: exp(-x) overflows to inf below this
      return x <= -88.72283935546875 ? 0.0 : 1.0 / (1.0 + std::exp(-x));
    case ir::Op::kPow: {
      const float s = interp::op_pow<float>(a, b);  // the special exponents are exact sequences
      for (float k : {0.0f, 1.0f, 2.0f, 3.0f, -2.0f, 0.5f, -0.5f, -1.0f}) {
        if (b == k) return s;
      }
      return std::pow(x, static_cast<double>(b));
    }
    // Composite ops: float64 with the interpreter's float32 intermediates where
    // they decide the result (overflow / underflow of its expf, cancellation).
    case ir::Op::kSilu:  // x / (1 + expf(-x)): -0 once expf(-x) overflows, -inf / inf = NaN
      if (std::isinf(x) && x < 0) return std::nan("");
      return x <= -88.72283935546875 ? -0.0 : x / (1.0 + std::exp(-x));
    case ir::Op::kElu: {
      if (!(a <= 0.0f)) return x;
      const double ef = static_cast<float>(std::exp(x));  // expf, correctly rounded
      return static_cast<double>(static_cast<float>(ef - 1.0)) * static_cast<double>(b);
    }
    case ir::Op::kGeluTanh: {
      const float beta = static_cast<float>(M_SQRT2 * M_2_SQRTPI * 0.5);
      const float kappa = static_cast<float>(0.044715);
      const float inner = beta * (a + kappa * (a * a * a));
      return 0.5 * x * (1.0 + std::tanh(static_cast<double>(inner)));
    }
    case ir::Op::kGelu: {  // the interpreter's float32 x * sqrt(1/2)
      const float inner = a * static_cast<float>(M_SQRT1_2);
      return 0.5 * x * (1.0 + std::erf(static_cast<double>(inner)));
    }
    case ir::Op::kMish: {
      const double ef = static_cast<float>(std::exp(x));
      return x * std::tanh(std::log1p(ef));
    }
    case ir::Op::kLogit: return std::log(static_cast<double>(a / (1.0f - a)));
    default: return interp::apply_op<double>(op, x, static_cast<double>(b));
  }
}

double cancel_slack(ir::Op op, float a, float b) {
  switch (op) {
    case ir::Op::kElu: return std::ldexp(1.0, -23) * std::fabs(static_cast<double>(b));
    case ir::Op::kGeluTanh:
    case ir::Op::kGelu: return std::ldexp(1.0, -23) * 0.5 * std::fabs(static_cast<double>(a));
    default: return 0.0;
  }
}

bool defers_to_reference(ir::Op op) {
  switch (op) {
    case ir::Op::kSilu: case ir::Op::kElu: case ir::Op::kGeluTanh: case ir::Op::kGelu: case ir::Op::kMish:
    case ir::Op::kSoftplus: case ir::Op::kLogit: case ir::Op::kXlogy:
      return true;
    default:
      return false;
  }
}

std::vector<float> special_values() {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> v = {nan, -nan, inf, -inf, 0.0f, -0.0f, 1e-45f, -1e-45f, 1e-40f, -3e-39f,
                          1.17549435e-38f, -1.17549435e-38f, 3.4028235e38f, -3.4028235e38f,
                          1.0f, -1.0f, 0.5f, -0.5f, 2.0f, -2.0f, 3.0f, -3.0f, 1e30f, -1e30f,
                          1e-30f, -1e-30f, 88.72f, 88.73f, -87.3f, -103.9f, -104.0f, 20.0f, -20.0f,
                          9.0f, -9.0f, 0.1f, -0.1f, 1e-4f, -1e-4f, 1e-8f, 0.693147f, 1.0000001f,
                          0.99999994f, 7.5f, -7.5f, 15.0f, 44.4f, -44.4f, 100.0f, -100.0f,
                          // rounding: halfway cases (to even), just below a half, 2^23 +- 0.5 / 1
                          1.5f, 2.5f, -2.5f, -3.5f, 0.49999997f, -0.49999997f, 8388607.5f, -8388607.5f,
                          8388609.0f, 16777215.0f, -4.75f};
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-6.0f, 6.0f);
  for (int i = 0; i < 14; ++i) v.push_back(u(rng));
  return v;
}

KernelArgs Problem::args(std::vector<void*>* data, std::vector<int64_t>* strides, std::vector<double>* scalars) {
  KernelArgs a;
  a.numel = numel();
  a.rank = static_cast<int>(sizes.size());
  a.sizes = sizes.data();
  data->clear();
  strides->clear();
  scalars->assign(static_cast<size_t>(num_inputs), 0.0);
  for (size_t i = 0; i < operands.size(); ++i) {
    OperandData& op = operands[i];
    data->push_back(op.storage.empty() ? nullptr : op.storage.data());
    for (size_t d = 0; d < sizes.size(); ++d) strides->push_back(op.strides.empty() ? 0 : op.strides[d]);
    if (static_cast<int>(i) < num_inputs) (*scalars)[i] = op.scalar;
  }
  a.data = data->data();
  a.strides = strides->data();
  a.scalars = scalars->data();
  return a;
}

OperandData make_output(const std::vector<int64_t>& sizes, bool transposed) {
  OperandData op = make_operand(sizes, transposed ? Pattern::kTransposed : Pattern::kContiguous,
                                [](int64_t) { return 12345.0f; });
  std::fill(op.storage.begin(), op.storage.end(), 12345.0f);
  return op;
}

std::unique_ptr<CompiledKernel> compile_or_fail(Backend& b, const ir::Kernel& k) {
  std::unique_ptr<CompiledKernel> ck;
  Status st = b.compile(k, &ck);
  EXPECT_TRUE(st.is_ok()) << st.message() << "\n" << ir::print(k);
  return ck;
}

void run_range(const CompiledKernel& ck, Problem& p, int64_t begin, int64_t end) {
  std::vector<void*> data;
  std::vector<int64_t> strides;
  std::vector<double> scalars;
  KernelArgs a = p.args(&data, &strides, &scalars);
  ck.run(a, begin, end);
}

std::vector<float> logical_output(const Problem& p, int o) {
  const OperandData& op = p.operands[static_cast<size_t>(p.num_inputs + o)];
  const int64_t numel = p.numel();
  std::vector<float> out(static_cast<size_t>(numel));
  const size_t rank = p.sizes.size();
  for (int64_t i = 0; i < numel; ++i) {
    int64_t rest = i, off = 0;
    for (size_t d = rank; d-- > 0;) {
      off += (rest % p.sizes[d]) * op.strides[d];
      rest /= p.sizes[d];
    }
    out[static_cast<size_t>(i)] = op.storage[static_cast<size_t>(off)];
  }
  return out;
}

std::unique_ptr<Backend> interp_backend() {
  std::unique_ptr<Backend> b;
  Status st = make_interp_backend(&b);
  EXPECT_TRUE(st.is_ok()) << st.message();
  return b;
}

std::unique_ptr<Backend> x86_backend(int isa, bool listing) {
  std::unique_ptr<Backend> b;
  X86Options o;
  o.isa = isa;
  o.listing = listing;
  Status st = make_x86_backend(o, &b);
  EXPECT_TRUE(st.is_ok()) << st.message();
  return b;
}

std::vector<int> isas() { return x86_supported_isas(); }

}  // namespace fuze::x86test
