// Scalar semantics of every op in ops.def: THE definition the interpreter
// runs and that other backends' tests compare against. Matches ATen 1.13 CPU
// eager (AVX2 build) for NaN, +-inf and -0.0; T is float or double and every
// op computes in T unless noted.
//
// Choices, with the eager behaviour they follow:
//   maximum/minimum  NaN in either operand -> NaN. The +-0 tie returns the
//                    SECOND operand (a > b ? a : b, as AVX max_ps, which is what
//                    eager's vectorised path gives; its scalar tail returns the
//                    first operand, so eager itself is not consistent here).
//   clamp_min(x,lo)  lo is NaN -> NaN (eager fills the result with NaN);
//                    otherwise x < lo ? lo : x (NaN x stays NaN).
//   clamp_max(x,hi)  hi is NaN -> NaN; otherwise hi < x ? hi : x.
//   relu(x)          x < 0 ? 0 : x, so relu(NaN) = NaN and relu(-0.0) = -0.0.
//   rsqrt(x)         1 / sqrt(x): two roundings, as eager.
//   sigmoid(x)       1 / (1 + exp(-x)) in T, as eager (both its paths). Not in
//                    double: for f32 x < -88.7 exp(-x) overflows to inf and
//                    eager returns 0, where double would give denormals up to
//                    ~1e6 ULP away (measured by tests/eager).
//   pow(x, e)        e == 0 -> 1 (even for NaN x), e == 1 -> x, 2 -> x*x,
//                    3 -> x*x*x, -2 -> 1/(x*x), 0.5 -> sqrt, -0.5 -> rsqrt,
//                    -1 -> 1/x; else std::pow in double rounded to T. The
//                    exponent is rounded to T first like every scalar. Eager
//                    is not consistent here: its vectorised path rounds a
//                    Scalar exponent to float (SLEEF powf), its scalar tail
//                    calls std::pow(float, double) with it unrounded (for
//                    e = 0.3 and x = 1e30 they are 13 ULP apart). We follow
//                    the vectorised path, which computes almost every element.
//   exp/log/tanh     std:: on T (eager uses SLEEF: agreement within ULPs).
#pragma once

#include <cmath>
#include <limits>

#include "fuze/ir/kernel.h"

namespace fuze::interp {

template <class T>
inline T nan_of() {
  return std::numeric_limits<T>::quiet_NaN();
}

template <class T> inline T op_add(T a, T b) { return a + b; }
template <class T> inline T op_sub(T a, T b) { return a - b; }
template <class T> inline T op_mul(T a, T b) { return a * b; }
template <class T> inline T op_div(T a, T b) { return a / b; }
template <class T> inline T op_neg(T a) { return -a; }
template <class T> inline T op_abs(T a) { return std::fabs(a); }
template <class T> inline T op_reciprocal(T a) { return T(1) / a; }
template <class T> inline T op_sqrt(T a) { return std::sqrt(a); }
template <class T> inline T op_rsqrt(T a) { return T(1) / std::sqrt(a); }

template <class T>
inline T op_maximum(T a, T b) {
  if (std::isnan(a) || std::isnan(b)) return nan_of<T>();
  return a > b ? a : b;
}
template <class T>
inline T op_minimum(T a, T b) {
  if (std::isnan(a) || std::isnan(b)) return nan_of<T>();
  return a < b ? a : b;
}
template <class T>
inline T op_clamp_min(T x, T lo) {
  if (std::isnan(lo)) return lo;
  return x < lo ? lo : x;
}
template <class T>
inline T op_clamp_max(T x, T hi) {
  if (std::isnan(hi)) return hi;
  return hi < x ? hi : x;
}
template <class T> inline T op_relu(T x) { return x < T(0) ? T(0) : x; }

template <class T> inline T op_exp(T a) { return std::exp(a); }
template <class T> inline T op_log(T a) { return std::log(a); }
template <class T> inline T op_tanh(T a) { return std::tanh(a); }
template <class T>
inline T op_sigmoid(T a) {
  return T(1) / (T(1) + std::exp(-a));
}
template <class T>
inline T op_pow(T x, T e) {
  if (e == T(0)) return T(1);
  if (e == T(1)) return x;
  if (e == T(2)) return x * x;
  if (e == T(3)) return x * x * x;
  if (e == T(-2)) return T(1) / (x * x);
  if (e == T(0.5)) return std::sqrt(x);
  if (e == T(-0.5)) return T(1) / std::sqrt(x);
  if (e == T(-1)) return T(1) / x;
  return static_cast<T>(std::pow(static_cast<double>(x), static_cast<double>(e)));
}

// Converts a constant or a by-value scalar to the kernel dtype first, as ATen
// does with wrapped scalars (a double 0.1 becomes the float 0.1f).
template <class T>
inline T to_dtype(double v) {
  return static_cast<T>(v);
}

// One op on scalars, by enum: a = first operand, b = second (ignored by unary ops).
template <class T>
inline T apply_op(ir::Op op, T a, T b) {
  switch (op) {
    case ir::Op::kAdd: return op_add(a, b);
    case ir::Op::kSub: return op_sub(a, b);
    case ir::Op::kMul: return op_mul(a, b);
    case ir::Op::kDiv: return op_div(a, b);
    case ir::Op::kNeg: return op_neg(a);
    case ir::Op::kAbs: return op_abs(a);
    case ir::Op::kReciprocal: return op_reciprocal(a);
    case ir::Op::kSqrt: return op_sqrt(a);
    case ir::Op::kRsqrt: return op_rsqrt(a);
    case ir::Op::kMaximum: return op_maximum(a, b);
    case ir::Op::kMinimum: return op_minimum(a, b);
    case ir::Op::kClampMin: return op_clamp_min(a, b);
    case ir::Op::kClampMax: return op_clamp_max(a, b);
    case ir::Op::kRelu: return op_relu(a);
    case ir::Op::kExp: return op_exp(a);
    case ir::Op::kLog: return op_log(a);
    case ir::Op::kTanh: return op_tanh(a);
    case ir::Op::kSigmoid: return op_sigmoid(a);
    case ir::Op::kPow: return op_pow(a, b);
  }
  return nan_of<T>();  // unreachable: -Wswitch names a missing op
}

}  // namespace fuze::interp
