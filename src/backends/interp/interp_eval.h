// The interpreter's building blocks, shared by the pointwise kernel
// (interp_backend.cpp) and the row-reduction kernel (interp_reduce.cpp):
// per-dtype compute types, element loads and stores, and eval_node, which
// evaluates one pointwise op node over a block of points.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "backends/interp/scalar_ops.h"
#include "fuze/ir/kernel.h"

namespace fuze::interp {

constexpr int64_t kBlock = 512;  // elements evaluated node by node at a time
constexpr size_t kSlot = 8;      // bytes per value in a node's block buffer

using ir::DType;

// Calls f(T{}) with T the compute type of `t`.
template <class F>
decltype(auto) visit_ctype(DType t, F&& f) {
  switch (t) {
    case DType::kBool: return f(bool{});
    case DType::kInt32: return f(int32_t{});
    case DType::kInt64: return f(int64_t{});
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kFloat32: return f(float{});
    case DType::kFloat64: break;
  }
  return f(double{});
}

// Reads element `off` of a tensor of dtype t as compute type T.
template <class T>
inline T load_elem(DType t, const void* base, int64_t off) {
  switch (t) {
    case DType::kBool: return static_cast<T>(static_cast<const bool*>(base)[off]);
    case DType::kInt32: return static_cast<T>(static_cast<const int32_t*>(base)[off]);
    case DType::kInt64: return static_cast<T>(static_cast<const int64_t*>(base)[off]);
    case DType::kFloat16: return static_cast<T>(half_to_float(static_cast<const uint16_t*>(base)[off]));
    case DType::kBFloat16: return static_cast<T>(bf16_to_float(static_cast<const uint16_t*>(base)[off]));
    case DType::kFloat32: return static_cast<T>(static_cast<const float*>(base)[off]);
    case DType::kFloat64: return static_cast<T>(static_cast<const double*>(base)[off]);
  }
  return T(0);
}

template <class T>
inline void store_elem(DType t, void* base, int64_t off, T v) {
  switch (t) {
    case DType::kBool: static_cast<bool*>(base)[off] = static_cast<bool>(v); return;
    case DType::kInt32: static_cast<int32_t*>(base)[off] = static_cast<int32_t>(v); return;
    case DType::kInt64: static_cast<int64_t*>(base)[off] = static_cast<int64_t>(v); return;
    case DType::kFloat16: static_cast<uint16_t*>(base)[off] = float_to_half(static_cast<float>(v)); return;
    case DType::kBFloat16: static_cast<uint16_t*>(base)[off] = float_to_bf16(static_cast<float>(v)); return;
    case DType::kFloat32: static_cast<float*>(base)[off] = static_cast<float>(v); return;
    case DType::kFloat64: static_cast<double*>(base)[off] = static_cast<double>(v); return;
  }
}

// Whether a tensor of dtype t is stored exactly as its compute type.
inline bool stored_as_ctype(DType t) { return t != DType::kFloat16 && t != DType::kBFloat16; }

// A scalar (double) converted to dtype t, in its compute type.
template <class T>
T scalar_as(DType t, double v) {
  T x = to_dtype<T>(v);
  if constexpr (std::is_same_v<T, float>) x = round_to(t, x);
  return x;
}

// Evaluates one pointwise op node (not a kReduce op) over n <= kBlock points:
// val[id] points at value id's n elements in its compute type.
void eval_node(const ir::Node& node, const std::vector<ir::Node>& nodes, const std::vector<const void*>& val,
               void* out, int64_t n);

}  // namespace fuze::interp
