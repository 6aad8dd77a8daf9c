// The elementwise binary op table: the one place an elementwise binary op is declared.
//
// An op is a struct deriving from BinaryDefaults, with
//   name, backward_name     "mul", "MulBackward0" (PyTorch's node names); backward_name_rev names
//                           the node when only the right side is a tensor (`2 - x`: RsubBackward1)
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
  _(Hypot)

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
template <typename T>
T int_pow(T base, T e) {
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
template <typename T>
T select_grad(bool is_max, T mine, T other, T g) {
  const bool loses = is_max ? mine < other : mine > other;
  return loses ? T(0) : mine == other ? g / T(2) : g;
}
}  // namespace binary_detail

struct BinaryDefaults {
  static constexpr const char* backward_name_rev = nullptr;  // nullptr: the same as backward_name
  static constexpr const char* other_name = "other";         // PyTorch's name of the second argument
  // Checks of the operands beyond dtype and shape (pow's integer exponents); none by default.
  static void check(const TensorObject*, const TensorObject*, DType) {}
  // The dtype PyTorch computes in, from the promoted type of the operands.
  static DType result_dtype(DType promoted) { return promoted; }
};

#define FNGRAD_BINARY_NAMES(op, bw) \
  static constexpr const char* name = op; \
  static constexpr const char* backward_name = bw;

struct Add : BinaryDefaults {
  FNGRAD_BINARY_NAMES("add", "AddBackward0")
  static constexpr const char* doc =
      "input + alpha * other, elementwise, with broadcasting and PyTorch's type promotion.\n\n"
      ">>> fngrad.add(fngrad.tensor([1., 2.]), fngrad.tensor([10., 20.]), alpha=2)\n"
      "tensor([21., 42.])";
  static constexpr Domain domain = Domain::All;
  static constexpr bool has_alpha = true;
  static constexpr int grad_a_reads = 0, grad_b_reads = 0;
  double alpha = 1;
  template <typename T> T forward(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a || (b && alpha != 0);  // logical or, as in PyTorch
    else return alpha == 1 ? a + b : a + static_cast<T>(alpha) * b;
  }
  template <typename T> T grad_a(T, T, T, T g) const { return g; }
  template <typename T> T grad_b(T, T, T, T g) const { return alpha == 1 ? g : static_cast<T>(alpha) * g; }
  TensorRef graph_grad_a(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return TensorRef::borrow(g);
  }
  TensorRef graph_grad_b(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return alpha == 1 ? TensorRef::borrow(g) : mul(g, Scalar::of_double(alpha));
  }
};

struct Sub : BinaryDefaults {
  FNGRAD_BINARY_NAMES("sub", "SubBackward0")
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
      fail(ErrorKind::Runtime, "[sub] Subtraction, the `-` operator, with two bool tensors is not supported. Use "
                               "the `^` or `logical_xor()` operator instead.");
    }
    return promoted;
  }
  template <typename T> T forward(T a, T b) const { return alpha == 1 ? a - b : a - static_cast<T>(alpha) * b; }
  template <typename T> T grad_a(T, T, T, T g) const { return g; }
  template <typename T> T grad_b(T, T, T, T g) const { return alpha == 1 ? -g : static_cast<T>(-alpha) * g; }
  TensorRef graph_grad_a(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return TensorRef::borrow(g);
  }
  TensorRef graph_grad_b(TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return alpha == 1 ? neg(g) : mul(g, Scalar::of_double(-alpha));
  }
};

struct Mul : BinaryDefaults {
  FNGRAD_BINARY_NAMES("mul", "MulBackward0")
  static constexpr const char* doc =
      "input * other, elementwise, with broadcasting and PyTorch's type promotion.\n\n"
      ">>> fngrad.mul(fngrad.tensor([1., 2.]), 3)\n"
      "tensor([3., 6.])";
  static constexpr Domain domain = Domain::All;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kB, grad_b_reads = kA;
  template <typename T> T forward(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a && b;
    else return a * b;
  }
  template <typename T> T grad_a(T, T b, T, T g) const { return g * b; }
  template <typename T> T grad_b(T a, T, T, T g) const { return g * a; }
  TensorRef graph_grad_a(TensorObject*, TensorObject* b, TensorObject*, TensorObject* g) const { return mul(g, b); }
  TensorRef graph_grad_b(TensorObject* a, TensorObject*, TensorObject*, TensorObject* g) const { return mul(g, a); }
};

struct Div : BinaryDefaults {
  FNGRAD_BINARY_NAMES("div", "DivBackward0")
  static constexpr const char* doc =
      "input / other, elementwise (true division: integer inputs give float32).\n\n"
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
// tensor exponent (PowBackward1) or a number raised to a tensor (PowBackward2).
struct Pow : BinaryDefaults {
  FNGRAD_BINARY_NAMES("pow", "PowBackward1")
  static constexpr const char* backward_name_rev = "PowBackward2";
  static constexpr const char* other_name = "exponent";
  static constexpr const char* doc =
      "input ** exponent, elementwise; either side may be a number.\n\n"
      ">>> fngrad.pow(fngrad.tensor([1., 2., 3.]), 2)\n"
      "tensor([1., 4., 9.])";
  static constexpr Domain domain = Domain::Numeric;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kB, grad_b_reads = kA | kY;
  static void check(const TensorObject*, const TensorObject* b, DType dtype) {
    if (b != nullptr && !is_floating(dtype)) {
      TensorRef negative = compare(CompareKind::Lt, const_cast<TensorObject*>(b), Scalar::of_int(0));
      FNGRAD_CHECK_RUNTIME(item_as_double(sum(negative.get(), nullptr, false).get()) == 0,
                           "[pow] Integers to negative integer powers are not allowed.");
    }
  }
  template <typename T> T forward(T a, T b) const {
    if constexpr (std::is_integral_v<T>) return binary_detail::int_pow(a, b);
    else return std::pow(a, b);
  }
  template <typename T> T grad_a(T a, T b, T, T g) const {
    return b == T(0) ? T(0) : g * b * std::pow(a, b - T(1));
  }
  // PyTorch's convention: no gradient where a == 0 and b >= 0 (log(0) would give NaN).
  template <typename T> T grad_b(T a, T b, T y, T g) const {
    return (a == T(0) && b >= T(0)) ? T(0) : g * y * std::log(a);
  }
  TensorRef graph_grad_a(TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) const {
    TensorRef nonzero = binary_detail::as_float_mask(compare(CompareKind::Ne, b, Scalar::of_double(0)), g->dtype);
    return mul(mul(g, mul(b, pow(a, sub(b, Scalar::of_double(1))).get()).get()), nonzero);
  }
  TensorRef graph_grad_b(TensorObject* a, TensorObject*, TensorObject* y, TensorObject* g) const {
    TensorRef zero_base = compare(CompareKind::Eq, a, Scalar::of_double(0));
    TensorRef keep = binary_detail::as_float_mask(compare(CompareKind::Eq, zero_base.get(), Scalar::of_bool(false)),
                                                  g->dtype);
    // log(a) where a == 0 is -inf; those entries are zeroed by `keep` after replacing them with 1.
    TensorRef safe_a = add(a, to_dtype(zero_base.get(), a->dtype));
    return mul(mul(g, mul(y, apply_Log(safe_a.get()).get()).get()), keep);
  }
  static DType result_dtype(DType promoted) { return promoted == DType::Bool ? DType::Int64 : promoted; }
};

// NaN propagates through maximum and minimum, as in PyTorch (unlike std::max).
struct Maximum : BinaryDefaults {
  FNGRAD_BINARY_NAMES("maximum", "MaximumBackward0")
  static constexpr const char* doc =
      "The larger of input and other, elementwise (NaN if either is NaN). Ties split the gradient.\n\n"
      ">>> fngrad.maximum(fngrad.tensor([1., 5.]), fngrad.tensor([3., 2.]))\n"
      "tensor([3., 5.])";
  static constexpr Domain domain = Domain::All;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kB, grad_b_reads = kA | kB;
  template <typename T> T forward(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a || b;
    else return (a != a || a > b) ? a : b;
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
  static constexpr const char* doc =
      "The smaller of input and other, elementwise (NaN if either is NaN). Ties split the gradient.\n\n"
      ">>> fngrad.minimum(fngrad.tensor([1., 5.]), fngrad.tensor([3., 2.]))\n"
      "tensor([1., 2.])";
  static constexpr Domain domain = Domain::All;
  static constexpr bool has_alpha = false;
  static constexpr int grad_a_reads = kA | kB, grad_b_reads = kA | kB;
  template <typename T> T forward(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a && b;
    else return (a != a || a < b) ? a : b;
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
  static constexpr const char* doc =
      "sqrt(input ** 2 + other ** 2), elementwise, without overflow in the squares.\n\n"
      ">>> fngrad.hypot(fngrad.tensor([3., 5.]), fngrad.tensor([4., 12.]))\n"
      "tensor([ 5., 13.])";
  static constexpr Domain domain = Domain::Float;
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

#undef FNGRAD_BINARY_NAMES

// ops::apply_<Op>(a, b, op) and the in-place apply_<Op>_(self, other, op) for every listed op
// (defined in binary.cpp): what _C.<name>, Tensor.<name>() and the operators call.
#define FNGRAD_DECLARE_BINARY_APPLY(Op)                                        \
  TensorRef apply_##Op(const Operand& a, const Operand& b, const Op& op = Op{}); \
  void apply_##Op##_(TensorObject* self, const Operand& other, const Op& op = Op{});
FNGRAD_BINARY_OPS(FNGRAD_DECLARE_BINARY_APPLY)
#undef FNGRAD_DECLARE_BINARY_APPLY

// The same, chosen by the op's type: what code generated over the table calls.
#define FNGRAD_BINARY_OVERLOADS(Op)                                                                   \
  inline TensorRef binary_op(const Operand& a, const Operand& b, const Op& op) { return apply_##Op(a, b, op); } \
  inline void binary_op_(TensorObject* self, const Operand& other, const Op& op) { apply_##Op##_(self, other, op); }
FNGRAD_BINARY_OPS(FNGRAD_BINARY_OVERLOADS)
#undef FNGRAD_BINARY_OVERLOADS

// The tangent of op(a, b) from the tangents ta and tb of its operands (all tensors of one dtype
// and shape): the forward-mode formula of the entry, evaluated without recording a graph.
TensorRef binary_jvp(const char* name, TensorObject* a, TensorObject* b, TensorObject* ta, TensorObject* tb);
// The same for the unary table: the tangent of op(x) from the tangent t of x.
TensorRef unary_jvp(const char* name, TensorObject* x, TensorObject* t);

}  // namespace ops
}  // namespace fngrad
