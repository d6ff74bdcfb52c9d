#include "fuze/ir/promotion.h"

#include <optional>

namespace fuze::ir {
namespace {

// The higher category's dtype, promoted by the lower one only across type
// kinds (at::native::result_type's update_result_type_state).
DType combine_categories(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return *lower;
  if (is_floating(*higher)) return *higher;
  if (lower && (*higher == DType::kBool || is_floating(*lower))) return promote_types(*higher, *lower);
  return *higher;
}

}  // namespace

DType result_type(const std::vector<Typed>& operands) {
  std::optional<DType> by_cat[3];
  for (const Typed& v : operands) {
    DType t = v.dtype;
    if (v.category == Category::kWrapped && is_floating(t)) t = DType::kFloat32;  // the default dtype
    auto& slot = by_cat[static_cast<int>(v.category)];
    slot = slot ? promote_types(*slot, t) : t;
  }
  std::optional<DType> low =
      by_cat[0] || by_cat[1] ? std::optional<DType>(combine_categories(by_cat[1], by_cat[0])) : std::nullopt;
  if (!by_cat[2] && !low) return DType::kFloat32;
  return combine_categories(by_cat[2], low);
}

Category result_category(const std::vector<Typed>& operands) {
  for (const Typed& v : operands) {
    if (v.category == Category::kDim) return Category::kDim;
  }
  return Category::kZeroDim;
}

}  // namespace fuze::ir
