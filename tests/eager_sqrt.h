// Whether the linked libtorch's eager sqrt is correctly rounded.
//
// Debian's libtorch 1.13 computes float/double sqrt with std::sqrt (correctly
// rounded, as fuze does). PyPI's torch 2.x wheels route contiguous sqrt
// through MKL's VML (high-accuracy mode): up to 1 ULP off, e.g. sqrt(88.7f) =
// 9.41806698 where the correctly rounded result is 9.41806793. fuze keeps its
// correctly rounded sqrt; the tests then hold sqrt to a 1-ULP bound like the
// transcendentals instead of bit for bit. Probed once, on the values between
// 1 and 1000 in steps of 0.1 (sqrt(88.7f) among them).
#pragma once

#include <ATen/ATen.h>

#include <cmath>

namespace fuze::testing {

template <class T>
bool eager_sqrt_is_exact_for(at::ScalarType type) {
  const at::Tensor x = at::arange(1.0, 1000.0, 0.1, at::kDouble).to(type), r = at::sqrt(x);
  const auto px = x.accessor<T, 1>(), pr = r.accessor<T, 1>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (pr[i] != std::sqrt(px[i])) return false;  // std::sqrt rounds correctly
  }
  return true;
}

inline bool eager_sqrt_is_exact() {
  static const bool exact = eager_sqrt_is_exact_for<float>(at::kFloat) && eager_sqrt_is_exact_for<double>(at::kDouble);
  return exact;
}

}  // namespace fuze::testing
