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
