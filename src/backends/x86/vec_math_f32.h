// The x86 vector math's float32-lane inverse trigonometric functions for the
// FMA levels (avx2, avx512; vec_math_inv.cpp): vec_math_trig.cpp's emit_asin,
// emit_acos, emit_atan and emit_atan2 call them there and keep their float64
// code for SSE4.1. Private to the x86 backend.
#pragma once

#include "backends/x86/vec_emitter.h"

namespace fuze::x86::f32 {

Vec asin_f(VecEmitter& e, const Vec& x);
Vec acos_f(VecEmitter& e, const Vec& x);
Vec atan_f(VecEmitter& e, const Vec& x);
Vec atan2_f(VecEmitter& e, const Vec& y, const Vec& x);
// erfc in float32 lanes (vec_math.cpp, next to erf and the float32 exp core).
Vec erfc_f(VecEmitter& e, const Vec& x);

}  // namespace fuze::x86::f32
