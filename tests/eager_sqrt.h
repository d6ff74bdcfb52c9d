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

inline bool eager_sqrt_is_exact() {
  static const bool exact = [] {
    const at::Tensor x = at::arange(1.0, 1000.0, 0.1, at::kDouble);
    for (at::ScalarType t : {at::kFloat, at::kDouble}) {
      const at::Tensor xt = x.to(t), r = at::sqrt(xt).to(at::kDouble);
      const at::Tensor want = xt.to(at::kDouble).sqrt().to(t).to(at::kDouble);  // rounded from double: exact for float
      if (t == at::kDouble) {
        auto px = xt.accessor<double, 1>();
        auto pr = r.accessor<double, 1>();
        for (int64_t i = 0; i < xt.numel(); ++i) {
          if (pr[i] != std::sqrt(px[i])) return false;
        }
      } else if (!at::equal(r, want)) {
        return false;
      }
    }
    return true;
  }();
  return exact;
}

}  // namespace fuze::testing
