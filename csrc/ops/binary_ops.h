// The elementwise binary op table: the one place an elementwise binary op is declared.
//
// An op is a struct deriving from BinaryDefaults, with
//   name, backward_name     "mul", "MulBackward0" (PyTorch's node names); backward_name_rev names
//                           the node when only the right side is a tensor (`2 - x`: RsubBackward1)
//   wraps_number            PyTorch records a Python-number operand as a tensor (add, sub, mul, div):
//                           the node keeps an edge with no node for it (next_functions: (None, 0))
//   doc                     the docstring of fngrad.<name>, Tensor.<name> and Tensor.<name>_,
//                           after the signature line the bindings write: what it computes and
//                           a runnable example
//   domain                  the dtypes the kernel computes in (see Domain); a bool or integer
//                           result of a float-only op is computed in float32, as PyTorch promotes
//   grad_a_reads/grad_b_reads   which of a, b and the output y each side's gradient reads (kA|kB|kY)
//   forward(a, b)           the scalar function
//   grad_a(a, b, y, g), grad_b(a, b, y, g)
//                           the fused backward of each side: its gradient from the values and the
//                           incoming gradient g (a value the formula does not read arrives as 0)
//   graph_grad_a/graph_grad_b(a, b, y, g)
//                           the same gradients built from differentiable fngrad ops; used under
//                           create_graph so that the backward is itself differentiable
//   jvp(a, b, y, ta, tb)    the forward-mode derivative (tangent of y from the tangents of a and
//                           b). BinaryDefaults gives PyTorch's auto_element_wise rule,
//                           grad_a(a,b,y,ta) + grad_b(a,b,y,tb); an op defines its own where
//                           that rule is wrong
// Ops with parameters (add's alpha) keep them as members, and the backward node keeps a copy of
// the op. FNGRAD_BINARY_OPS lists the ops: each becomes _C.<name>, fngrad.<name>, Tensor.<name>,
// Tensor.<name>_ (with PyTorch's argument names: input, other, alpha) and a row of the op tests
// (tests/op_table.py) without further code.
#pragma once

#include <cmath>
#include <type_traits>

#include "ops/ops.h"
#include "ops/unary_ops.h"

namespace fngrad {
namespace ops {

#define FNGRAD_BINARY_OPS(_) \
  _(Add)                     \
  _(Sub)                     \
  _(Mul)                     \
  _(Div)                     \
  _(Pow)                     \
  _(Maximum)                 \
  _(Minimum)                 \
  _(Atan2)                   \
  _(Hypot)                   \
  _(FloorDivide)             \
  _(Remainder)               \
  _(Fmod)                    \
  _(Copysign)                \
  _(Logaddexp)               \
  _(Logaddexp2)              \
  _(Xlogy)                   \
  _(SpecialXlog1py)

#define FNGRAD_DECLARE_BINARY(Op) struct Op;
FNGRAD_BINARY_OPS(FNGRAD_DECLARE_BINARY)
#undef FNGRAD_DECLARE_BINARY

// What a side's gradient reads.
constexpr int kA = 1, kB = 2, kY = 4;

// The dtypes an op's kernel runs in. All: bool, int64 and floats. Numeric: int64 and floats
// (bool inputs compute in int64 unless the op refuses them). Float: floats only (bool and int64
// inputs compute in float32).
enum class Domain { All, Numeric, Float };

namespace binary_detail {
template <typename T> T int_pow(T base, T e) {
  if (e < 0) return base == 1 ? 1 : (base == -1 ? ((e & 1) ? -1 : 1) : 0);
  T result = 1;
  for (; e > 0; e >>= 1) {
    if (e & 1) result *= base;
    base *= base;
  }
  return result;
}

inline TensorRef as_float_mask(TensorRef mask, DType dtype) { return to_dtype(mask.get(), dtype); }

// Where maximum/minimum pass the gradient to one side: 0 where it loses, 0.5 on ties, else 1
// (also where a NaN makes both comparisons false, as in PyTorch).
inline TensorRef selection_weight(bool is_max, TensorObject* mine, TensorObject* other, DType dtype) {
  CompareKind lose = is_max ? CompareKind::Lt : CompareKind::Gt;
  TensorRef kept = as_float_mask(logical_not(compare(lose, mine, other).get(), false), dtype);
  TensorRef tie = as_float_mask(compare(CompareKind::Eq, mine, other), dtype);
  return sub(kept, mul(tie, Scalar::of_double(0.5)));
}

// The shared backward of maximum (is_max) and minimum: PyTorch's
// where(a == b, g / 2, g).masked_fill_(a < b, 0) for maximum, mirrored for the other side.
template <typename T> T select_grad(bool is_max, T mine, T other, T g) {
  const bool loses = is_max ? mine < other : mine > other;
  return loses ? T(0) : mine == other ? g / T(2) : g;
}

// PyTorch's floor division (c10::div_floor_floating / div_floor_integer): for floats the
// quotient of a - fmod(a, b), which is exact, rounded to the nearest integer, so that a == b * q + r
// holds as closely as it can. The integer overflow of INT64_MIN / -1 wraps instead of trapping.
template <typename T> T floor_div(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b == T(-1)) return static_cast<T>(0 - static_cast<std::make_unsigned_t<T>>(a));
    const T q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
  } else {
    if (b == T(0)) return a / b;
    const T mod = std::fmod(a, b);
    T q = (a - mod) / b;
    if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) q -= T(1);
    if (q == T(0)) return std::copysign(T(0), a / b);
    T fl = std::floor(q);
    if (q - fl > T(0.5)) fl += T(1);
    return fl;
  }
}

// The remainder with the sign of the divisor (Python's %, torch.remainder).
template <typename T> T py_remainder(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b == T(-1)) return T(0);
    const T r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  } else {
    const T r = std::fmod(a, b);
    return (r != T(0) && ((b < T(0)) != (r < T(0)))) ? r + b : r;
  }
}

// The remainder with the sign of the dividend (C's fmod, torch.fmod).
template <typename T> T c_fmod(T a, T b) {
  if constexpr (std::is_integral_v<T>)
    return b == T(-1) ? T(0) : a % b;
  else
    return std::fmod(a, b);
}

// Integer division by zero is refused as PyTorch refuses it (RuntimeError: ZeroDivisionError);
// floats give inf or NaN. An empty dividend divides nothing: no error, as in PyTorch.
inline void check_int_divisor(const char* op, const TensorObject* a, const Operand& b, DType dtype) {
  if (is_floating(dtype) || (a != nullptr && a->numel == 0)) return;
  bool zero;
  if (b.is_tensor()) {
    TensorRef zeros = compare(CompareKind::Eq, b.tensor, Scalar::of_int(0));
    zero = item_as_double(sum(zeros.get(), nullptr, false).get()) != 0;
  } else {
    zero = b.scalar.to<int64_t>() == 0;
  }
  FNGRAD_CHECK_RUNTIME(!zero, "[", op, "] ZeroDivisionError");
}
}  // namespace binary_detail

// Which operands PyTorch's signatures let be a Python number: both (add's Scalar overloads), only
// `other` (fmod, copysign: no overload with a number first), or neither (maximum: Tensor, Tensor).
enum class Numbers { Both, OtherOnly, Neither };

// PyTorch's refusal of bool and integer operands by a kernel that has only floating-point versions
// (hypot, logaddexp): a result_dtype for such ops.
inline DType floating_kernel_only(DType promoted, const char* op, const char* kernel) {
  if (!is_floating(promoted)) {
    fail(ErrorKind::NotImplemented, "[", op, "] \"", kernel, "\" not implemented for '", scalar_type_name(promoted),
         "'");
  }
  return promoted;
}

struct BinaryDefaults {
  static constexpr Numbers numbers = Numbers::Both;
  // Whether the function form takes two Python numbers (torch.div(7, 2)): PyTorch's arithmetic
  // functions wrap the first in a 0-d tensor of its default dtype; the others refuse.
  static constexpr bool takes_two_numbers = false;
  // Whether PyTorch's Tensor has the in-place method <name>_ (maximum_, logaddexp_ do not exist there).
  static constexpr bool inplace_method = true;
  // Whether PyTorch's Tensor has the methods at all (torch.special.xlog1py has none).
  static constexpr bool tensor_methods = true;
  static constexpr const char* backward_name_rev = nullptr;     // nullptr: the same as backward_name
  static constexpr const char* other_name = "other";            // PyTorch's name of the second argument
  static constexpr const char* backward_name_scalar = nullptr;  // when only the left side is a tensor
  // PyTorch's Python binding turns a Python-number operand of add, sub, mul and div into a 0-d
  // tensor that needs no gradient and calls the op's Tensor overload, whose node keeps an edge
  // (with no node) for it. Other ops with a number call a Scalar overload: the tensor's edge alone.
  static constexpr bool wraps_number = false;
  // Checks of the operands (in the compute dtype; `b` may be a Python number) beyond dtype and
  // shape: pow's integer exponents, integer division by zero. None by default.
  static void check(const TensorObject*, const Operand&, DType) {}
  // Checks of the operands as given (before promotion): sub's refusal of a bool operand.
  static void check_operands(const Operand&, const Operand&) {}
  // The dtype PyTorch computes in, from the promoted type of the operands.
  static DType result_dtype(DType promoted) { return promoted; }
};

#define FNGRAD_BINARY_NAMES(op, bw)       \
  static constexpr const char* name = op; \
  static constexpr const char* backward_name = bw;

struct Add : BinaryDefaults {
  FNGRAD_BINARY_NAMES("add", "AddBackward0")
  static constexpr bool takes_two_numbers = true;
  static constexpr bool wraps_number = true;
  static constexpr const char* doc =
      "input + alpha * other, elementwise, with broadcasting and PyTorch's type promotion.\n\n"
      ">>> fngrad.add(fngrad.tensor([1., 2.]), fngrad.tensor([10., 20.]), alpha=2)\n"
      "tensor([21., 42.])";
  static constexpr Domain domain = Domain::All;
  static constexpr bool has_alpha = true;
  static constexpr int grad_a_reads = 0, grad_b_reads = 0;
  double alpha = 1;
  template <typename T> T forward(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>)
      return a || (b && alpha != 0);  // logical or, as in PyTorch
    else
      return a + static_cast<T>(alpha) * b;  // (exact for alpha 1; a branch on alpha kept GCC from vectorising)
  }
  template <typename T> T grad_a(T, T, T, T g) const { return g; }
  template <typename T> T grad_b(T, T, T, T g) const { return static_cast<T>(alpha) * g; }
  TensorRef graph_grad_a(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return TensorRef::borrow(g);
  }
  TensorRef graph_grad_b(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return alpha == 1 ? TensorRef::borrow(g) : mul(g, Scalar::of_double(alpha));
  }
};

struct Sub : BinaryDefaults {
  FNGRAD_BINARY_NAMES("sub", "SubBackward0")
  static constexpr bool takes_two_numbers = true;
  static constexpr bool wraps_number = true;
  static constexpr const char* backward_name_rev = "RsubBackward1";
  static constexpr const char* doc =
      "input - alpha * other, elementwise, with broadcasting and PyTorch's type promotion.\n\n"
      ">>> fngrad.sub(fngrad.tensor([5., 5.]), fngrad.tensor([1., 2.]), alpha=2)\n"
      "tensor([3., 1.])";
  static constexpr Domain domain = Domain::Numeric;
  static constexpr bool has_alpha = true;
  static constexpr int grad_a_reads = 0, grad_b_reads = 0;
  double alpha = 1;
  static DType result_dtype(DType promoted) {
    if (promoted == DType::Bool) {
      fail(ErrorKind::Runtime,
           "[sub] Subtraction, the `-` operator, with two bool tensors is not supported. Use "
           "the `^` or `logical_xor()` operator instead.");
    }
    return promoted;
  }
  // One bool operand (a bool tensor, or True/False beside a tensor of another dtype), as PyTorch's sub_check.
  static void check_operands(const Operand& a, const Operand& b) {
    auto is_bool = [](const Operand& o) {
      return o.is_tensor() ? o.tensor->dtype == DType::Bool : o.scalar.kind == Scalar::Bool;
    };
    if (is_bool(a) != is_bool(b)) {
      fail(ErrorKind::Runtime,
           "[sub] Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
           "mask, use the `~` or `logical_not()` operator instead.");
    }
  }
  template <typename T> T forward(T a, T b) const { return a - static_cast<T>(alpha) * b; }  // (as Add's)
  template <typename T> T grad_a(T, T, T, T g) const { return g; }
  template <typename T> T grad_b(T, T, T, T g) const { return static_cast<T>(-alpha) * g; }
  TensorRef graph_grad_a(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return TensorRef::borrow(g);
  }
  TensorRef graph_grad_b(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return alpha == 1 ? neg(g) : mul(g, Scalar::of_double(-alpha));
  }
};

struct Mul : BinaryDefaults {
  FNGRAD_BINARY_NAMES("mul", "MulBackward0")
  static constexpr bool takes_two_numbers = true;
  static constexpr bool wraps_number = true;
  static constexpr const char* doc =
      "input * other, elementwise, with broadcasting and PyTorch's type promotion.\n\n"
      ">>> fngrad.mul(fngrad.tensor([1., 2.]), 3)\n"
      "tensor([3., 6.])";
  static constexpr Domain domain = Domain::All;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kB, grad_b_reads = kA;
  template <typename T> T forward(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>)
      return a && b;
    else
      return a * b;
  }
  template <typename T> T grad_a(T, T b, T, T g) const { return g * b; }
  template <typename T> T grad_b(T a, T, T, T g) const { return g * a; }
  TensorRef graph_grad_a(TensorObject*, TensorObject* b, TensorObject*, TensorObject* g) const { return mul(g, b); }
  TensorRef graph_grad_b(TensorObject* a, TensorObject*, TensorObject*, TensorObject* g) const { return mul(g, a); }
};

struct Div : BinaryDefaults {
  FNGRAD_BINARY_NAMES("div", "DivBackward0")
  static constexpr bool takes_two_numbers = true;
  static constexpr bool wraps_number = true;
  static constexpr const char* doc =
      "input / other, elementwise (true division: integer inputs give float32).\n\n"
      ">>> fngrad.div(fngrad.tensor([1., 3.]), 2)\n"
      "tensor([0.5000, 1.5000])\n"
      ">>> fngrad.div(fngrad.tensor([1, 3]), 2)\n"
      "tensor([0.5000, 1.5000])";
  static constexpr Domain domain = Domain::Float;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kB, grad_b_reads = kA | kB;
  template <typename T> T forward(T a, T b) const { return a / b; }
  template <typename T> T grad_a(T, T b, T, T g) const { return g / b; }
  template <typename T> T grad_b(T a, T b, T, T g) const { return -g * a / (b * b); }
  TensorRef graph_grad_a(TensorObject*, TensorObject* b, TensorObject*, TensorObject* g) const { return div(g, b); }
  TensorRef graph_grad_b(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    return neg(div(mul(g, a).get(), mul(b, b).get()).get());
  }
};

// A tensor raised to a Python number is the unary PowScalar (PowBackward0); this entry is a
// tensor exponent (PowBackward1) or a number raised to a tensor (PowBackward2). The in-place
// `x.pow_(2)` comes here with a number exponent: PyTorch's node is PowBackward0 then too.
struct Pow : BinaryDefaults {
  FNGRAD_BINARY_NAMES("pow", "PowBackward1")
  static constexpr const char* backward_name_rev = "PowBackward2";
  static constexpr const char* backward_name_scalar = "PowBackward0";
  static constexpr const char* other_name = "exponent";
  static constexpr const char* doc =
      "input ** exponent, elementwise; either side may be a number.\n\n"
      ">>> fngrad.pow(fngrad.tensor([1., 2., 3.]), 2)\n"
      "tensor([1., 4., 9.])";
  static constexpr Domain domain = Domain::Numeric;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kB, grad_b_reads = kA | kB | kY;
  // A negative integer exponent in a tensor is computed as PyTorch does (int_pow: 1 and -1 keep
  // their magnitude, other bases give 0); only a negative Python-number exponent is refused (PowScalar).
  template <typename T> T forward(T a, T b) const {
    if constexpr (std::is_integral_v<T>)
      return binary_detail::int_pow(a, b);
    else
      return std::pow(a, b);
  }
  template <typename T> T grad_a(T a, T b, T, T g) const { return b == T(0) ? T(0) : g * b * std::pow(a, b - T(1)); }
  // PyTorch's convention: no gradient where a == 0 and b >= 0 (log(0) would give NaN).
  template <typename T> T grad_b(T a, T b, T y, T g) const {
    return (a == T(0) && b >= T(0)) ? T(0) : g * y * std::log(a);
  }
  TensorRef graph_grad_a(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    TensorRef nonzero = binary_detail::as_float_mask(compare(CompareKind::Ne, b, Scalar::of_double(0)), g->dtype);
    return mul(mul(g, mul(b, pow(a, sub(b, Scalar::of_double(1))).get()).get()), nonzero);
  }
  TensorRef graph_grad_b(TensorObject* a, TensorObject* b, TensorObject* y, TensorObject* g) const {
    // Zero where a == 0 and b >= 0 (grad_b's convention); a zero base with b < 0 keeps y * log(0) = -inf.
    TensorRef zero_base =
        mul(binary_detail::as_float_mask(compare(CompareKind::Eq, a, Scalar::of_double(0)), a->dtype).get(),
            binary_detail::as_float_mask(compare(CompareKind::Ge, b, Scalar::of_double(0)), a->dtype).get());
    TensorRef keep =
        binary_detail::as_float_mask(compare(CompareKind::Eq, zero_base.get(), Scalar::of_double(0)), g->dtype);
    // log(a) there is -inf; those entries are zeroed by `keep` after replacing a with 1.
    TensorRef safe_a = add(a, zero_base.get());
    return mul(mul(g, mul(y, apply_Log(safe_a.get()).get()).get()), keep);
  }
  static DType result_dtype(DType promoted) { return promoted == DType::Bool ? DType::Int64 : promoted; }
};

// NaN propagates through maximum and minimum, as in PyTorch (unlike std::max).
struct Maximum : BinaryDefaults {
  FNGRAD_BINARY_NAMES("maximum", "MaximumBackward0")
  static constexpr bool inplace_method = false;
  static constexpr Numbers numbers = Numbers::Neither;
  static constexpr const char* doc =
      "The larger of input and other, elementwise (NaN if either is NaN). Ties split the gradient.\n\n"
      ">>> fngrad.maximum(fngrad.tensor([1., 5.]), fngrad.tensor([3., 2.]))\n"
      "tensor([3., 5.])";
  static constexpr Domain domain = Domain::All;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kB, grad_b_reads = kA | kB;
  template <typename T> T forward(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>)
      return a || b;
    else
      return (a != a || a > b) ? a : b;
  }
  template <typename T> T grad_a(T a, T b, T, T g) const { return binary_detail::select_grad(true, a, b, g); }
  template <typename T> T grad_b(T a, T b, T, T g) const { return binary_detail::select_grad(true, b, a, g); }
  TensorRef graph_grad_a(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    return mul(g, binary_detail::selection_weight(true, a, b, g->dtype).get());
  }
  TensorRef graph_grad_b(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    return mul(g, binary_detail::selection_weight(true, b, a, g->dtype).get());
  }
};

struct Minimum : BinaryDefaults {
  FNGRAD_BINARY_NAMES("minimum", "MinimumBackward0")
  static constexpr bool inplace_method = false;
  static constexpr Numbers numbers = Numbers::Neither;
  static constexpr const char* doc =
      "The smaller of input and other, elementwise (NaN if either is NaN). Ties split the gradient.\n\n"
      ">>> fngrad.minimum(fngrad.tensor([1., 5.]), fngrad.tensor([3., 2.]))\n"
      "tensor([1., 2.])";
  static constexpr Domain domain = Domain::All;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kB, grad_b_reads = kA | kB;
  template <typename T> T forward(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>)
      return a && b;
    else
      return (a != a || a < b) ? a : b;
  }
  template <typename T> T grad_a(T a, T b, T, T g) const { return binary_detail::select_grad(false, a, b, g); }
  template <typename T> T grad_b(T a, T b, T, T g) const { return binary_detail::select_grad(false, b, a, g); }
  TensorRef graph_grad_a(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    return mul(g, binary_detail::selection_weight(false, a, b, g->dtype).get());
  }
  TensorRef graph_grad_b(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    return mul(g, binary_detail::selection_weight(false, b, a, g->dtype).get());
  }
};

// PyTorch's atan2_backward: d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2), and 0 for both where
// a = b = 0 (the denominator's zero would give NaN).
struct Atan2 : BinaryDefaults {
  FNGRAD_BINARY_NAMES("atan2", "Atan2Backward0")
  static constexpr Numbers numbers = Numbers::Neither;
  static constexpr const char* doc =
      "The angle of the point (other, input), in radians: arctan(input / other) in the right quadrant.\n\n"
      ">>> fngrad.atan2(fngrad.tensor([1., -1.]), fngrad.tensor([1., 0.]))\n"
      "tensor([ 0.7854, -1.5708])";
  static constexpr Domain domain = Domain::Float;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kB, grad_b_reads = kA | kB;
  template <typename T> T forward(T a, T b) const { return std::atan2(a, b); }
  template <typename T> T grad_a(T a, T b, T, T g) const {
    const T d = a * a + b * b;
    return d == T(0) ? T(0) : g * b / d;
  }
  template <typename T> T grad_b(T a, T b, T, T g) const {
    const T d = a * a + b * b;
    return d == T(0) ? T(0) : -g * a / d;
  }
  static TensorRef safe_denominator(TensorObject* a, TensorObject* b, TensorRef* zero) {
    TensorRef d = add(mul(a, a), mul(b, b));
    *zero = compare(CompareKind::Eq, d.get(), Scalar::of_double(0));
    return add(d, to_dtype(zero->get(), d->dtype));
  }
  TensorRef graph_grad_a(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    TensorRef zero;
    TensorRef d = safe_denominator(a, b, &zero);
    return where(zero.get(), Scalar::of_double(0), div(mul(g, b).get(), d.get()));
  }
  TensorRef graph_grad_b(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    TensorRef zero;
    TensorRef d = safe_denominator(a, b, &zero);
    return where(zero.get(), Scalar::of_double(0), neg(div(mul(g, a).get(), d.get()).get()));
  }
};

// PyTorch's hypot backward: grad * a / y and grad * b / y (NaN at a = b = 0, as PyTorch gives).
struct Hypot : BinaryDefaults {
  FNGRAD_BINARY_NAMES("hypot", "HypotBackward0")
  static constexpr Numbers numbers = Numbers::Neither;
  static constexpr const char* doc =
      "sqrt(input ** 2 + other ** 2), elementwise, without overflow in the squares.\n\n"
      ">>> fngrad.hypot(fngrad.tensor([3., 5.]), fngrad.tensor([4., 12.]))\n"
      "tensor([ 5., 13.])";
  static constexpr Domain domain = Domain::Float;
  static DType result_dtype(DType promoted) { return floating_kernel_only(promoted, "hypot", "hypot_cpu"); }
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kY, grad_b_reads = kB | kY;
  template <typename T> T forward(T a, T b) const { return std::hypot(a, b); }
  template <typename T> T grad_a(T a, T, T y, T g) const { return g * a / y; }
  template <typename T> T grad_b(T, T b, T y, T g) const { return g * b / y; }
  TensorRef graph_grad_a(TensorObject* a, TensorObject*, TensorObject* y, TensorObject* g) const {
    return div(mul(g, a).get(), y);
  }
  TensorRef graph_grad_b(TensorObject*, TensorObject* b, TensorObject* y, TensorObject* g) const {
    return div(mul(g, b).get(), y);
  }
};

// Floor division, PyTorch's floor_divide (`//`, div(rounding_mode='floor')). Piecewise constant:
// fngrad gives a zero gradient, as PyTorch's div(..., rounding_mode='floor') does (PyTorch's
// floor_divide itself has no derivative and raises in backward).
struct FloorDivide : BinaryDefaults {
  FNGRAD_BINARY_NAMES("floor_divide", "DivBackward2")
  static constexpr bool takes_two_numbers = true;
  static constexpr const char* backward_name_scalar = "DivBackward3";  // PyTorch's div(rounding_mode=) nodes
  static constexpr const char* doc =
      "input // other: the quotient rounded towards minus infinity (integers stay integers).\n\n"
      ">>> fngrad.floor_divide(fngrad.tensor([7, -7]), 2)\n"
      "tensor([ 3, -4])";
  static constexpr Domain domain = Domain::Numeric;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = 0, grad_b_reads = 0;
  static DType result_dtype(DType promoted) { return promoted == DType::Bool ? DType::Int64 : promoted; }
  static void check(const TensorObject* a, const Operand& b, DType dtype) {
    binary_detail::check_int_divisor(name, a, b, dtype);
  }
  template <typename T> T forward(T a, T b) const { return binary_detail::floor_div(a, b); }
  template <typename T> T grad_a(T, T, T, T) const { return T(0); }
  template <typename T> T grad_b(T, T, T, T) const { return T(0); }
  TensorRef graph_grad_a(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return mul(g, Scalar::of_double(0));
  }
  TensorRef graph_grad_b(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return mul(g, Scalar::of_double(0));
  }
};

// input - floor_divide(input, other) * other, with the sign of other (Python's %).
// derivatives.yaml: self: grad, other: -grad * self.div(other, rounding_mode="floor").
struct Remainder : BinaryDefaults {
  FNGRAD_BINARY_NAMES("remainder", "RemainderBackward1")
  static constexpr const char* backward_name_scalar = "RemainderBackward0";
  static constexpr const char* doc =
      "input % other: the remainder of floor division, with the sign of other (as Python's %).\n\n"
      ">>> fngrad.remainder(fngrad.tensor([7., -7.]), 3)\n"
      "tensor([1., 2.])";
  static constexpr Domain domain = Domain::Numeric;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = 0, grad_b_reads = kA | kB;
  static DType result_dtype(DType promoted) { return promoted == DType::Bool ? DType::Int64 : promoted; }
  static void check(const TensorObject* a, const Operand& b, DType dtype) {
    binary_detail::check_int_divisor(name, a, b, dtype);
  }
  template <typename T> T forward(T a, T b) const { return binary_detail::py_remainder(a, b); }
  template <typename T> T grad_a(T, T, T, T g) const { return g; }
  template <typename T> T grad_b(T a, T b, T, T g) const { return -g * binary_detail::floor_div(a, b); }
  TensorRef graph_grad_a(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return TensorRef::borrow(g);
  }
  TensorRef graph_grad_b(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const;
};

// The remainder of truncated division, with the sign of input (C's fmod).
// derivatives.yaml: self: grad, other: -grad * self.div(other, rounding_mode="trunc").
struct Fmod : BinaryDefaults {
  FNGRAD_BINARY_NAMES("fmod", "FmodBackward1")
  static constexpr Numbers numbers = Numbers::OtherOnly;
  static constexpr const char* backward_name_scalar = "FmodBackward0";
  static constexpr const char* doc =
      "The remainder of input / other rounded towards zero, with the sign of input (C's fmod).\n\n"
      ">>> fngrad.fmod(fngrad.tensor([7., -7.]), 3)\n"
      "tensor([ 1., -1.])";
  static constexpr Domain domain = Domain::Numeric;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = 0, grad_b_reads = kA | kB;
  static DType result_dtype(DType promoted) { return promoted == DType::Bool ? DType::Int64 : promoted; }
  static void check(const TensorObject* a, const Operand& b, DType dtype) {
    binary_detail::check_int_divisor(name, a, b, dtype);
  }
  template <typename T> T forward(T a, T b) const { return binary_detail::c_fmod(a, b); }
  template <typename T> T grad_a(T, T, T, T g) const { return g; }
  template <typename T> T grad_b(T a, T b, T, T g) const { return -g * std::trunc(a / b); }
  TensorRef graph_grad_a(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return TensorRef::borrow(g);
  }
  TensorRef graph_grad_b(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    return neg(mul(g, apply_Trunc(div(a, b).get())).get());
  }
};

// |input| with the sign of other. PyTorch's copysign_tensor_self_backward: grad * result / self,
// 0 where self == 0; no gradient flows to other (its derivative is zero where it is defined).
struct Copysign : BinaryDefaults {
  FNGRAD_BINARY_NAMES("copysign", "CopysignBackward0")
  static constexpr Numbers numbers = Numbers::OtherOnly;
  static constexpr const char* backward_name_scalar = "CopysignBackward1";
  static constexpr const char* doc =
      "The magnitude of input with the sign of other, elementwise (integers compute in float32).\n\n"
      ">>> fngrad.copysign(fngrad.tensor([1., -2.]), -1)\n"
      "tensor([-1., -2.])";
  static constexpr Domain domain = Domain::Float;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kY, grad_b_reads = 0;
  template <typename T> T forward(T a, T b) const { return std::copysign(a, b); }
  template <typename T> T grad_a(T a, T, T y, T g) const { return a == T(0) ? T(0) : g * (y / a); }
  template <typename T> T grad_b(T, T, T, T) const { return T(0); }
  TensorRef graph_grad_a(TensorObject* a, TensorObject*, TensorObject* y, TensorObject* g) const {
    TensorRef zero = compare(CompareKind::Eq, a, Scalar::of_double(0));
    TensorRef safe_a = add(a, to_dtype(zero.get(), a->dtype));
    return where(zero.get(), Scalar::of_double(0), mul(g, div(y, safe_a).get()));
  }
  TensorRef graph_grad_b(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return mul(g, Scalar::of_double(0));
  }
};

// log(exp(input) + exp(other)) without overflow. The gradient of each side is
// grad / (1 + exp(other - self)) (derivatives.yaml), computed as grad * sigmoid(self - other).
struct Logaddexp : BinaryDefaults {
  FNGRAD_BINARY_NAMES("logaddexp", "LogaddexpBackward0")
  static constexpr bool inplace_method = false;
  static constexpr Numbers numbers = Numbers::Neither;
  static constexpr const char* doc =
      "log(exp(input) + exp(other)), elementwise, without overflow.\n\n"
      ">>> fngrad.logaddexp(fngrad.tensor([0., 1000.]), fngrad.tensor([0., 1000.]))\n"
      "tensor([6.9315e-01, 1.0007e+03])";
  static constexpr Domain domain = Domain::Float;
  static DType result_dtype(DType promoted) { return floating_kernel_only(promoted, "logaddexp", "logaddexp_cpu"); }
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kB, grad_b_reads = kA | kB;
  template <typename T> T forward(T a, T b) const {
    if (std::isinf(a) && a == b) return a;
    const T m = a > b ? a : b;
    return m + std::log1p(std::exp(-std::fabs(a - b)));
  }
  template <typename T> T grad_a(T a, T b, T, T g) const { return g / (T(1) + std::exp(b - a)); }
  template <typename T> T grad_b(T a, T b, T, T g) const { return g / (T(1) + std::exp(a - b)); }
  TensorRef graph_grad_a(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    return mul(g, apply_Sigmoid(sub(a, b).get()));
  }
  TensorRef graph_grad_b(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    return mul(g, apply_Sigmoid(sub(b, a).get()));
  }
};

// log2(2**input + 2**other). Gradient: grad / (1 + 2**(other - self)) for self, mirrored.
struct Logaddexp2 : BinaryDefaults {
  FNGRAD_BINARY_NAMES("logaddexp2", "Logaddexp2Backward0")
  static constexpr bool inplace_method = false;
  static constexpr Numbers numbers = Numbers::Neither;
  static constexpr const char* doc =
      "log2(2 ** input + 2 ** other), elementwise, without overflow.\n\n"
      ">>> fngrad.logaddexp2(fngrad.tensor([1., 3.]), fngrad.tensor([1., 3.]))\n"
      "tensor([2., 4.])";
  static constexpr Domain domain = Domain::Float;
  static DType result_dtype(DType promoted) { return floating_kernel_only(promoted, "logaddexp2", "logaddexp2_cpu"); }
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kB, grad_b_reads = kA | kB;
  template <typename T> T forward(T a, T b) const {
    if (std::isinf(a) && a == b) return a;
    const T m = a > b ? a : b;
    return m + std::log1p(std::exp2(-std::fabs(a - b))) / T(unary_detail::kLn2);
  }
  template <typename T> T grad_a(T a, T b, T, T g) const { return g / (T(1) + std::exp2(b - a)); }
  template <typename T> T grad_b(T a, T b, T, T g) const { return g / (T(1) + std::exp2(a - b)); }
  // 1 / (1 + 2**d) is sigmoid(-d ln 2).
  TensorRef graph_grad_a(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    return mul(g, apply_Sigmoid(mul(sub(a, b).get(), Scalar::of_double(unary_detail::kLn2)).get()));
  }
  TensorRef graph_grad_b(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    return mul(g, apply_Sigmoid(mul(sub(b, a).get(), Scalar::of_double(unary_detail::kLn2)).get()));
  }
};

// input * log(other), and 0 where input == 0 (unless other is NaN). derivatives.yaml:
// self: xlogy(grad, other).masked_fill((self == 0) & (other <= 0), 0), other: grad * self / other.
struct Xlogy : BinaryDefaults {
  FNGRAD_BINARY_NAMES("xlogy", "XlogyBackward0")
  static constexpr const char* backward_name_rev = "XlogyBackward1";
  static constexpr const char* backward_name_scalar = "XlogyBackward2";
  static constexpr const char* doc =
      "input * log(other), elementwise, with 0 where input is 0 (integers compute in float32).\n\n"
      ">>> fngrad.xlogy(fngrad.tensor([0., 2.]), fngrad.tensor([0., 1.]))\n"
      "tensor([0., 0.])";
  static constexpr Domain domain = Domain::Float;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kB, grad_b_reads = kA | kB;
  template <typename T> T forward(T a, T b) const {
    if (b != b) return b;
    return a == T(0) ? T(0) : a * std::log(b);
  }
  template <typename T> T grad_a(T a, T b, T, T g) const { return (a == T(0) && b <= T(0)) ? T(0) : forward(g, b); }
  template <typename T> T grad_b(T a, T b, T, T g) const { return g * a / b; }
  TensorRef graph_grad_a(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const;
  TensorRef graph_grad_b(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    return div(mul(g, a).get(), b);
  }
};

// torch.special.xlog1py: input * log1p(other), 0 where input is 0 (unless other is NaN).
struct SpecialXlog1py : BinaryDefaults {
  FNGRAD_BINARY_NAMES("special_xlog1py", "SpecialXlog1PyBackward0")
  static constexpr const char* backward_name_rev = "SpecialXlog1PyBackward1";
  static constexpr const char* backward_name_scalar = "SpecialXlog1PyBackward2";
  static constexpr bool tensor_methods = false;
  static constexpr const char* doc =
      "input * log1p(other), elementwise, with 0 where input is 0 (integers compute in float32).\n\n"
      ">>> fngrad.special.xlog1py(fngrad.tensor([0., 2.]), fngrad.tensor([-1., 1.]))\n"
      "tensor([0.0000, 1.3863])";
  static constexpr Domain domain = Domain::Float;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kB, grad_b_reads = kA | kB;
  template <typename T> T forward(T a, T b) const {
    if (b != b) return b;
    return a == T(0) ? T(0) : a * std::log1p(b);
  }
  template <typename T> T grad_a(T a, T b, T, T g) const { return (a == T(0) && b <= T(-1)) ? T(0) : forward(g, b); }
  template <typename T> T grad_b(T a, T b, T, T g) const { return g * a / (b + T(1)); }
  TensorRef graph_grad_a(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const;
  TensorRef graph_grad_b(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    return div(mul(g, a).get(), add(b, Scalar::of_double(1)).get());
  }
};

#undef FNGRAD_BINARY_NAMES

// ops::apply_<Op>(a, b, op) and the in-place apply_<Op>_(self, other, op) for every listed op
// (defined in binary.cpp): what _C.<name>, Tensor.<name>() and the operators call.
#define FNGRAD_DECLARE_BINARY_APPLY(Op)                                          \
  TensorRef apply_##Op(const Operand& a, const Operand& b, const Op& op = Op{}); \
  void apply_##Op##_(TensorObject* self, const Operand& other, const Op& op = Op{});
FNGRAD_BINARY_OPS(FNGRAD_DECLARE_BINARY_APPLY)
#undef FNGRAD_DECLARE_BINARY_APPLY

// The same, chosen by the op's type: what code generated over the table calls.
#define FNGRAD_BINARY_OVERLOADS(Op)                                                                             \
  inline TensorRef binary_op(const Operand& a, const Operand& b, const Op& op) { return apply_##Op(a, b, op); } \
  inline void binary_op_(TensorObject* self, const Operand& other, const Op& op) { apply_##Op##_(self, other, op); }
FNGRAD_BINARY_OPS(FNGRAD_BINARY_OVERLOADS)
#undef FNGRAD_BINARY_OVERLOADS

// The graph gradients that call entries declared above (apply_<Op> needs the table's declarations).
inline TensorRef Remainder::graph_grad_b(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
  return neg(mul(g, apply_FloorDivide(a, b).get()).get());
}
inline TensorRef Xlogy::graph_grad_a(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
  TensorRef masked = logical(LogicalKind::And, compare(CompareKind::Eq, a, Scalar::of_double(0)),
                             compare(CompareKind::Le, b, Scalar::of_double(0)), false);
  return where(masked.get(), Scalar::of_double(0), apply_Xlogy(g, b));
}

inline TensorRef SpecialXlog1py::graph_grad_a(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
  TensorRef masked = logical(LogicalKind::And, compare(CompareKind::Eq, a, Scalar::of_double(0)),
                             compare(CompareKind::Le, b, Scalar::of_double(-1)), false);
  return where(masked.get(), Scalar::of_double(0), apply_SpecialXlog1py(g, b));
}

// The tangent of op(a, b) from the tangents ta and tb of its operands (all tensors of one dtype
// and shape): the forward-mode formula of the entry, evaluated without recording a graph.
TensorRef binary_jvp(const char* name, TensorObject* a, TensorObject* b, TensorObject* ta, TensorObject* tb);
// The same for the unary table: the tangent of op(x) from the tangent t of x.
TensorRef unary_jvp(const char* name, TensorObject* x, TensorObject* t);

}  // namespace ops
}  // namespace fngrad
