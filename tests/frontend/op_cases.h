// The fusible op cases shared by the dtype tests (fusion_dtype_test.cpp,
// fusion_half_test.cpp): each computes %r from tensors %x, %y in IR text.
#pragma once

namespace fuze::testing {

struct OpCase {
  const char* name;
  const char* body;  // IR lines computing %r from %x, %y (tensors)
  bool approx;
};

inline const OpCase kOpCases[] = {
#define U(op, approx) {#op, "  %r : Tensor = aten::" #op "(%x)\n", approx}
    U(neg, false), U(abs, false), U(reciprocal, false), U(sqrt, false), U(rsqrt, false), U(relu, false),
    U(exp, true), U(log, true), U(tanh, true), U(sigmoid, true), U(erf, true), U(erfc, true), U(expm1, true),
    U(log1p, true), U(log2, true), U(log10, true), U(exp2, true), U(floor, false), U(ceil, false),
    U(round, false), U(trunc, false), U(sign, false), U(frac, false), U(sin, true), U(cos, true),
    U(tan, true), U(asin, true), U(acos, true), U(atan, true), U(sinh, true), U(cosh, true), U(asinh, true),
    U(acosh, true), U(atanh, true), U(silu, true), U(hardswish, false), U(hardsigmoid, false), U(mish, true),
    U(relu6, false), U(square, false), U(isnan, false), U(isinf, false), U(isfinite, false),
    U(logical_not, false), U(bitwise_not, false),
#undef U
#define B(op, approx) {#op, "  %r : Tensor = aten::" #op "(%x, %y)\n", approx}
    B(mul, false), B(div, false), B(maximum, false), B(minimum, false), B(floor_divide, false),
    B(remainder, false), B(fmod, false), B(eq, false), B(ne, false), B(lt, false), B(le, false), B(gt, false),
    B(ge, false), B(logical_and, false), B(logical_or, false), B(logical_xor, false), B(bitwise_and, false),
    B(bitwise_or, false), B(bitwise_xor, false), B(atan2, true), B(xlogy, true), B(logaddexp, true),
#undef B
    {"add_alpha2", "  %k : int = prim::Constant[value=2]()\n  %r : Tensor = aten::add(%x, %y, %k)\n", false},
    {"sub", "  %k : int = prim::Constant[value=1]()\n  %r : Tensor = aten::sub(%x, %y, %k)\n", false},
    {"add_scalar_2.5", "  %k : float = prim::Constant[value=2.5]()\n  %one : int = prim::Constant[value=1]()\n"
                       "  %r : Tensor = aten::add(%x, %k, %one)\n", false},
    {"mul_int_3", "  %k : int = prim::Constant[value=3]()\n  %r : Tensor = aten::mul(%x, %k)\n", false},
    {"div_scalar_4", "  %k : int = prim::Constant[value=4]()\n  %r : Tensor = aten::div(%x, %k)\n", false},
    {"eq_scalar_1", "  %k : int = prim::Constant[value=1]()\n  %r : Tensor = aten::eq(%x, %k)\n", false},
    {"clamp", "  %lo : float = prim::Constant[value=-0.5]()\n  %hi : float = prim::Constant[value=0.5]()\n"
              "  %r : Tensor = aten::clamp(%x, %lo, %hi)\n", false},
    {"clamp_int", "  %lo : int = prim::Constant[value=-1]()\n  %hi : int = prim::Constant[value=1]()\n"
                  "  %r : Tensor = aten::clamp(%x, %lo, %hi)\n", false},
    {"clamp_min", "  %lo : float = prim::Constant[value=0.25]()\n  %r : Tensor = aten::clamp_min(%x, %lo)\n", false},
    {"pow_2.5", "  %e : float = prim::Constant[value=2.5]()\n  %r : Tensor = aten::pow(%x, %e)\n", true},
    {"leaky_relu", "  %s : float = prim::Constant[value=0.1]()\n  %r : Tensor = aten::leaky_relu(%x, %s)\n", false},
    {"elu", "  %a : float = prim::Constant[value=1.5]()\n  %one : int = prim::Constant[value=1]()\n"
            "  %r : Tensor = aten::elu(%x, %a, %one, %one)\n", true},
    {"softplus", "  %b : int = prim::Constant[value=1]()\n  %t : int = prim::Constant[value=20]()\n"
                 "  %r : Tensor = aten::softplus(%x, %b, %t)\n", true},
    {"threshold", "  %t : float = prim::Constant[value=0.1]()\n  %v : float = prim::Constant[value=2.0]()\n"
                  "  %r : Tensor = aten::threshold(%x, %t, %v)\n", false},
    {"gelu", "  %s : str = prim::Constant[value=\"none\"]()\n  %r : Tensor = aten::gelu(%x, %s)\n", true},
    {"gelu_tanh", "  %s : str = prim::Constant[value=\"tanh\"]()\n  %r : Tensor = aten::gelu(%x, %s)\n", true},
    {"hardtanh", "  %lo : float = prim::Constant[value=-0.5]()\n  %hi : float = prim::Constant[value=0.5]()\n"
                 "  %r : Tensor = aten::hardtanh(%x, %lo, %hi)\n", false},
    // lerp/addcmul: not bit-exact against eager's vectorised path (its
    // operation order differs in the last bit); compared with a tolerance.
    {"lerp", "  %w : float = prim::Constant[value=0.3]()\n  %r : Tensor = aten::lerp(%x, %y, %w)\n", true},
    {"addcmul", "  %v : float = prim::Constant[value=0.5]()\n  %r : Tensor = aten::addcmul(%x, %y, %y, %v)\n", true},
    {"addcdiv", "  %v : float = prim::Constant[value=0.5]()\n  %r : Tensor = aten::addcdiv(%x, %y, %x, %v)\n", false},
    {"where", "  %c : Tensor = aten::gt(%x, %y)\n  %r : Tensor = aten::where(%c, %x, %y)\n", false},
    {"masked_fill", "  %c : Tensor = aten::lt(%x, %y)\n  %v : float = prim::Constant[value=2.0]()\n"
                    "  %r : Tensor = aten::masked_fill(%x, %c, %v)\n", false},
    {"logit", "  %n : NoneType = prim::Constant()\n  %r : Tensor = aten::logit(%x, %n)\n", true},
    {"nan_to_num", "  %n : NoneType = prim::Constant()\n  %r : Tensor = aten::nan_to_num(%x, %n, %n, %n)\n", false},
};

}  // namespace fuze::testing
