// fuze CUDA device prelude: embedded (as text) at the top of every NVRTC
// program the CUDA backend builds (src/backends/cuda/emitter.cpp). It must be
// self-contained: NVRTC gets no include paths and no CUDA headers, so the
// half/bfloat16 storage types and conversions are defined here.
//
// Semantics follow src/backends/interp/scalar_ops.h exactly (the spec); the
// program is compiled with -prec-div=true -prec-sqrt=true -fmad=false and
// without -use_fast_math, so +,-,*,/ and sqrt round like the interpreter.
// exp/log/tanh use CUDA's libdevice (expf/logf/tanhf within 2 ULP in float,
// exp/log/tanh within 2 ULP in double): kApprox ops agree within ULPs.
// float16 and bfloat16 are stored as 16-bit bit patterns and computed in float.

#define FUZE_CUDA_PRELUDE 1

typedef long long fuze_i64;
typedef unsigned long long fuze_u64;

struct FuzeHalf { unsigned short bits; };
struct FuzeBf16 { unsigned short bits; };

// Sizes of the iteration space (R dims, row-major) and the element strides of
// the NS strided operands, passed by value. Mirrors the host-side packing in
// src/backends/cuda/cuda_backend.cpp (all 64-bit, no padding).
template <int R, int NS>
struct FuzeShape {
  fuze_i64 sizes[R];
  fuze_i64 strides[NS][R];
};

// --- storage <-> compute conversions -----------------------------------------
static __device__ __forceinline__ float fuze_widen(float v) { return v; }
static __device__ __forceinline__ double fuze_widen(double v) { return v; }
static __device__ __forceinline__ float fuze_widen(FuzeHalf v) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(v.bits));
  return f;
}
static __device__ __forceinline__ float fuze_widen(FuzeBf16 v) {
  return __int_as_float(static_cast<int>(static_cast<unsigned>(v.bits) << 16));
}

template <class S> struct FuzeNarrow;
template <> struct FuzeNarrow<float> {
  static __device__ __forceinline__ float from(float v) { return v; }
  static __device__ __forceinline__ float from_double(double v) { return static_cast<float>(v); }
};
template <> struct FuzeNarrow<double> {
  static __device__ __forceinline__ double from(double v) { return v; }
  static __device__ __forceinline__ double from_double(double v) { return v; }
};
template <> struct FuzeNarrow<FuzeHalf> {
  static __device__ __forceinline__ FuzeHalf from(float v) {
    FuzeHalf h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h.bits) : "f"(v));
    return h;
  }
  static __device__ __forceinline__ FuzeHalf from_double(double v) {
    FuzeHalf h;
    asm("cvt.rn.f16.f64 %0, %1;" : "=h"(h.bits) : "d"(v));
    return h;
  }
};
template <> struct FuzeNarrow<FuzeBf16> {
  // Round to nearest even; NaN stays a quiet NaN of the same sign.
  static __device__ __forceinline__ FuzeBf16 from(float v) {
    unsigned u = static_cast<unsigned>(__float_as_int(v));
    FuzeBf16 b;
    if ((u & 0x7fffffffu) > 0x7f800000u) {
      b.bits = static_cast<unsigned short>((u >> 16) | 0x40u);
    } else {
      u += 0x7fffu + ((u >> 16) & 1u);
      b.bits = static_cast<unsigned short>(u >> 16);
    }
    return b;
  }
  static __device__ __forceinline__ FuzeBf16 from_double(double v) { return from(static_cast<float>(v)); }
};

// 128-bit vectors for the contiguous, 16-byte aligned path.
template <class S> struct FuzeVec;
template <> struct FuzeVec<float> { typedef float4 type; static const int width = 4; };
template <> struct FuzeVec<double> { typedef double2 type; static const int width = 2; };
template <> struct FuzeVec<FuzeHalf> { typedef uint4 type; static const int width = 8; };
template <> struct FuzeVec<FuzeBf16> { typedef uint4 type; static const int width = 8; };

template <class S>
static __device__ __forceinline__ S fuze_lane(const typename FuzeVec<S>::type& v, int j) {
  return reinterpret_cast<const S*>(&v)[j];
}
template <class S>
static __device__ __forceinline__ void fuze_set_lane(typename FuzeVec<S>::type& v, int j, S s) {
  reinterpret_cast<S*>(&v)[j] = s;
}

// --- ops (see scalar_ops.h for the eager behaviour each one follows) ---------
template <class T> static __device__ __forceinline__ bool fuze_isnan(T a) { return a != a; }
// The interpreter's quiet NaN (std::numeric_limits<T>::quiet_NaN(), positive).
static __device__ __forceinline__ float fuze_nan(float) { return __int_as_float(0x7fc00000); }
static __device__ __forceinline__ double fuze_nan(double) { return __longlong_as_double(0x7ff8000000000000LL); }
template <class T> static __device__ __forceinline__ T fuze_nan(T) { return T(0); }  // integers: no NaN

template <class T>
static __device__ __forceinline__ T fuze_maximum(T a, T b) {
  if (fuze_isnan(a) || fuze_isnan(b)) return fuze_nan(a);
  return a > b ? a : b;
}
template <class T>
static __device__ __forceinline__ T fuze_minimum(T a, T b) {
  if (fuze_isnan(a) || fuze_isnan(b)) return fuze_nan(a);
  return a < b ? a : b;
}
template <class T>
static __device__ __forceinline__ T fuze_clamp_min(T x, T lo) {
  if (fuze_isnan(lo)) return lo;
  return x < lo ? lo : x;
}
template <class T>
static __device__ __forceinline__ T fuze_clamp_max(T x, T hi) {
  if (fuze_isnan(hi)) return hi;
  return hi < x ? hi : x;
}
template <class T> static __device__ __forceinline__ T fuze_relu(T x) { return x < T(0) ? T(0) : x; }

static __device__ __forceinline__ float fuze_abs(float a) { return fabsf(a); }
static __device__ __forceinline__ double fuze_abs(double a) { return fabs(a); }
static __device__ __forceinline__ float fuze_sqrt(float a) { return sqrtf(a); }
static __device__ __forceinline__ double fuze_sqrt(double a) { return sqrt(a); }
static __device__ __forceinline__ float fuze_exp(float a) { return expf(a); }
static __device__ __forceinline__ double fuze_exp(double a) { return exp(a); }
static __device__ __forceinline__ float fuze_log(float a) { return logf(a); }
static __device__ __forceinline__ double fuze_log(double a) { return log(a); }
static __device__ __forceinline__ float fuze_tanh(float a) { return tanhf(a); }
static __device__ __forceinline__ double fuze_tanh(double a) { return tanh(a); }

template <class T> static __device__ __forceinline__ T fuze_reciprocal(T a) { return T(1) / a; }
template <class T> static __device__ __forceinline__ T fuze_rsqrt(T a) { return T(1) / fuze_sqrt(a); }
// In T (float for f32/f16/bf16), as eager: exp(-x) overflowing gives +0.
template <class T> static __device__ __forceinline__ T fuze_sigmoid(T a) { return T(1) / (T(1) + fuze_exp(-a)); }

template <class T>
static __device__ __forceinline__ T fuze_pow(T x, T e) {
  if (e == T(0)) return T(1);
  if (e == T(1)) return x;
  if (e == T(2)) return x * x;
  if (e == T(3)) return x * x * x;
  if (e == T(-2)) return T(1) / (x * x);
  if (e == T(0.5)) return fuze_sqrt(x);
  if (e == T(-0.5)) return T(1) / fuze_sqrt(x);
  if (e == T(-1)) return T(1) / x;
  return static_cast<T>(pow(static_cast<double>(x), static_cast<double>(e)));
}

// --- the remaining float ops, each as src/backends/interp/scalar_ops.h -------
// One libm function per op: CUDA's float/double function of the same name
// (ULP-bounded like the interpreter's std:: calls, which are kApprox ops).
#define FUZE_MATH1(op, ff, df)                                               \
  static __device__ __forceinline__ float fuze_##op(float a) { return ff(a); } \
  static __device__ __forceinline__ double fuze_##op(double a) { return df(a); }
#define FUZE_MATH2(op, ff, df)                                                                 \
  static __device__ __forceinline__ float fuze_##op(float a, float b) { return ff(a, b); }     \
  static __device__ __forceinline__ double fuze_##op(double a, double b) { return df(a, b); }
FUZE_MATH1(floor, floorf, floor)
FUZE_MATH1(ceil, ceilf, ceil)
FUZE_MATH1(trunc, truncf, trunc)
FUZE_MATH1(round, rintf, rint)  // std::nearbyint in the default mode: half to even
FUZE_MATH1(erf, erff, erf)
FUZE_MATH1(erfc, erfcf, erfc)
FUZE_MATH1(expm1, expm1f, expm1)
FUZE_MATH1(log1p, log1pf, log1p)
FUZE_MATH1(log2, log2f, log2)
FUZE_MATH1(log10, log10f, log10)
FUZE_MATH1(exp2, exp2f, exp2)
FUZE_MATH1(sin, sinf, sin)
FUZE_MATH1(cos, cosf, cos)
FUZE_MATH1(tan, tanf, tan)
FUZE_MATH1(asin, asinf, asin)
FUZE_MATH1(acos, acosf, acos)
FUZE_MATH1(atan, atanf, atan)
FUZE_MATH1(sinh, sinhf, sinh)
FUZE_MATH1(cosh, coshf, cosh)
FUZE_MATH1(asinh, asinhf, asinh)
FUZE_MATH1(acosh, acoshf, acosh)
FUZE_MATH1(atanh, atanhf, atanh)
FUZE_MATH2(atan2, atan2f, atan2)
FUZE_MATH2(fmod, fmodf, fmod)
FUZE_MATH2(copysign, copysignf, copysign)

// std::min / std::max as the interpreter calls them (NaN falls through the same way).
template <class T> static __device__ __forceinline__ T fuze_std_min(T a, T b) { return b < a ? b : a; }
template <class T> static __device__ __forceinline__ T fuze_std_max(T a, T b) { return a < b ? b : a; }

template <class T>
static __device__ __forceinline__ T fuze_floor_divide(T a, T b) {
  if (b == T(0)) return a / b;
  const T mod = fuze_fmod(a, b);
  T div = (a - mod) / b;
  if (mod != T(0) && (b < T(0)) != (mod < T(0))) div -= T(1);
  if (div == T(0)) return fuze_copysign(T(0), a / b);
  T floordiv = fuze_floor(div);
  if (div - floordiv > T(0.5)) floordiv += T(1);
  return floordiv;
}
template <class T>
static __device__ __forceinline__ T fuze_remainder(T a, T b) {
  T mod = fuze_fmod(a, b);
  if (mod != T(0) && (b < T(0)) != (mod < T(0))) mod += b;
  return mod;
}
// The interpreter's constants, as the exact doubles its host compiler made:
// M_SQRT1_2, M_SQRT2 * M_2_SQRTPI * 0.5, 0.044715; then rounded to T.
template <class T>
static __device__ __forceinline__ T fuze_gelu(T x) {
  return x * T(0.5) * (T(1) + fuze_erf(x * static_cast<T>(__longlong_as_double(0x3fe6a09e667f3bcdLL))));
}
template <class T>
static __device__ __forceinline__ T fuze_gelu_tanh(T x) {
  const T beta = static_cast<T>(__longlong_as_double(0x3fe9884533d43651LL));
  const T kappa = static_cast<T>(__longlong_as_double(0x3fa6e4e26d4801f7LL));
  const T inner = beta * (x + kappa * (x * x * x));
  return T(0.5) * x * (T(1) + fuze_tanh(inner));
}
template <class T> static __device__ __forceinline__ T fuze_silu(T x) { return x / (T(1) + fuze_exp(-x)); }
template <class T>
static __device__ __forceinline__ T fuze_hardsigmoid(T x) {
  return fuze_std_min(fuze_std_max(x + T(3), T(0)), T(6)) / T(6);
}
template <class T>
static __device__ __forceinline__ T fuze_hardswish(T x) {
  return x * fuze_std_min(fuze_std_max(x + T(3), T(0)), T(6)) / T(6);
}
template <class T> static __device__ __forceinline__ T fuze_leaky_relu(T x, T s) { return x > T(0) ? x : x * s; }
template <class T>
static __device__ __forceinline__ T fuze_elu(T x, T alpha) {
  return x <= T(0) ? (fuze_exp(x) - T(1)) * alpha : x;
}
template <class T>
static __device__ __forceinline__ T fuze_softplus(T x) {
  return x > T(20) ? x : fuze_log1p(fuze_exp(x));
}
template <class T> static __device__ __forceinline__ T fuze_mish(T x) { return x * fuze_tanh(fuze_log1p(fuze_exp(x))); }
template <class T> static __device__ __forceinline__ T fuze_threshold(T x, T t, T v) { return x <= t ? v : x; }
template <class T>
static __device__ __forceinline__ T fuze_lerp(T a, T b, T w) {
  return w < T(0.5) ? a + w * (b - a) : b - (b - a) * (T(1) - w);
}
template <class T> static __device__ __forceinline__ T fuze_frac(T x) { return x - fuze_trunc(x); }
template <class T> static __device__ __forceinline__ T fuze_logit(T x) { return fuze_log(x / (T(1) - x)); }
template <class T>
static __device__ __forceinline__ T fuze_xlogy(T x, T y) {
  if (fuze_isnan(y)) return fuze_nan(y);
  if (x == T(0)) return T(0);
  return x * fuze_log(y);
}
template <class T>
static __device__ __forceinline__ T fuze_sign(T x) {
  return static_cast<T>(static_cast<int>(T(0) < x) - static_cast<int>(x < T(0)));
}
// hi: the largest finite value of the node's dtype (f16: 65504, bf16: 0x7F7F).
static __device__ __forceinline__ float fuze_inf(float) { return __int_as_float(0x7f800000); }
static __device__ __forceinline__ double fuze_inf(double) { return __longlong_as_double(0x7ff0000000000000LL); }
template <class T>
static __device__ __forceinline__ T fuze_nan_to_num(T x, T hi) {
  if (fuze_isnan(x)) return T(0);
  if (x == fuze_inf(x)) return hi;
  if (x == -fuze_inf(x)) return -hi;
  return x;
}

// --- bool and integer dtypes --------------------------------------------------
// Stored as unsigned char (0/1), int, long long; computed as bool, int, long
// long. Integer +, -, * wrap (two's complement), as the interpreter's
// unsigned arithmetic; NaN-aware ops see no NaN (fuze_nan of an integer is 0).
static __device__ __forceinline__ bool fuze_widen(unsigned char v) { return v != 0; }
static __device__ __forceinline__ int fuze_widen(int v) { return v; }
static __device__ __forceinline__ fuze_i64 fuze_widen(fuze_i64 v) { return v; }

// A float converted to an integer dtype: out of range or NaN gives the
// dtype's minimum (as the interpreter's cast_value, and x86's cvtt).
template <class D>
static __device__ __forceinline__ D fuze_int_from(double d, D lo) {
  return (d > static_cast<double>(lo) - 1.0 && d < -static_cast<double>(lo)) ? static_cast<D>(d) : lo;
}
template <> struct FuzeNarrow<unsigned char> {
  static __device__ __forceinline__ unsigned char from(bool v) { return v ? 1 : 0; }
  static __device__ __forceinline__ unsigned char from_double(double v) { return v != 0.0 ? 1 : 0; }
};
template <> struct FuzeNarrow<int> {
  static __device__ __forceinline__ int from(int v) { return v; }
  static __device__ __forceinline__ int from_double(double v) { return fuze_int_from<int>(v, -2147483647 - 1); }
};
template <> struct FuzeNarrow<fuze_i64> {
  static __device__ __forceinline__ fuze_i64 from(fuze_i64 v) { return v; }
  static __device__ __forceinline__ fuze_i64 from_double(double v) {
    return fuze_int_from<fuze_i64>(v, -9223372036854775807LL - 1);
  }
};
template <> struct FuzeVec<unsigned char> { typedef uint4 type; static const int width = 16; };
template <> struct FuzeVec<int> { typedef int4 type; static const int width = 4; };
template <> struct FuzeVec<fuze_i64> { typedef longlong2 type; static const int width = 2; };

template <class T>
static __device__ __forceinline__ T fuze_wadd(T a, T b) {
  return static_cast<T>(static_cast<fuze_u64>(a) + static_cast<fuze_u64>(b));
}
template <class T>
static __device__ __forceinline__ T fuze_wsub(T a, T b) {
  return static_cast<T>(static_cast<fuze_u64>(a) - static_cast<fuze_u64>(b));
}
template <class T>
static __device__ __forceinline__ T fuze_wmul(T a, T b) {
  return static_cast<T>(static_cast<fuze_u64>(a) * static_cast<fuze_u64>(b));
}
template <class T> static __device__ __forceinline__ T fuze_wneg(T a) { return static_cast<T>(0ULL - static_cast<fuze_u64>(a)); }
template <class T> static __device__ __forceinline__ T fuze_iabs(T a) { return a < T(0) ? fuze_wneg(a) : a; }

template <class T> static __device__ __forceinline__ bool fuze_isinf(T) { return false; }
static __device__ __forceinline__ bool fuze_isinf(float a) { return a == fuze_inf(a) || a == -fuze_inf(a); }
static __device__ __forceinline__ bool fuze_isinf(double a) { return a == fuze_inf(a) || a == -fuze_inf(a); }
template <class T> static __device__ __forceinline__ bool fuze_isfinite(T a) { return !fuze_isnan(a) && !fuze_isinf(a); }
