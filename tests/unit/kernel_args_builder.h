// Test helper: owns the arrays a KernelArgs points into.
#pragma once

#include <cstdint>
#include <vector>

#include "fuze/backend.h"

namespace fuze::testing {

struct ArgsBuilder {
  std::vector<int64_t> sizes;
  std::vector<void*> data;
  std::vector<int64_t> strides;  // operand-major: [operand * rank + d]
  std::vector<double> scalars;

  explicit ArgsBuilder(std::vector<int64_t> s) : sizes(std::move(s)) {}
  int rank() const { return static_cast<int>(sizes.size()); }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : sizes) n *= s;
    return n;
  }
  std::vector<int64_t> contiguous_strides() const {
    std::vector<int64_t> st(sizes.size());
    int64_t acc = 1;
    for (int d = rank() - 1; d >= 0; --d) {
      st[static_cast<size_t>(d)] = acc;
      acc *= sizes[static_cast<size_t>(d)];
    }
    return st;
  }
  // Adds an operand with explicit strides (inputs first, in index order, then outputs).
  void add(void* p, std::vector<int64_t> st, double scalar = 0.0) {
    data.push_back(p);
    strides.insert(strides.end(), st.begin(), st.end());
    scalars.push_back(scalar);
  }
  void add_contiguous(void* p) { add(p, contiguous_strides()); }
  void add_scalar(double v) { add(nullptr, std::vector<int64_t>(sizes.size(), 0), v); }
  KernelArgs args() const {
    KernelArgs a;
    a.numel = numel();
    a.rank = rank();
    a.sizes = sizes.data();
    a.data = data.data();
    a.strides = strides.data();
    a.scalars = scalars.data();
    return a;
  }
};

}  // namespace fuze::testing
