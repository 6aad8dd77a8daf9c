// The elementwise ternary op table: the one place an elementwise op of three operands is declared.
// Same shape as the binary table (binary_ops.h); the operands are a, b, c (PyTorch's input,
// tensor1, tensor2 for addcmul; input, end, weight for lerp).
//
// An op is a struct deriving from TernaryDefaults, with
//   name, backward_name     "addcmul", "AddcmulBackward0" (PyTorch's node names);
//                           backward_name_number names the node when c is a Python number
//                           (lerp(x, y, 0.5): LerpBackward0, against LerpBackward1 for a tensor)
//   arg_b, arg_c            PyTorch's names of the second and third argument (the first is input)
//   doc                     the docstring after the signature line the bindings write: what it
//                           computes and a runnable example
//   kernel_name             PyTorch's kernel name, for "... not implemented for 'Bool'"
//   domain                  the dtypes the kernel computes in; PyTorch refuses the others with
//                           NotImplementedError (Numeric: int64 and floats; Float: floats)
//   a_is_condition          whether a is a bool mask (where's condition): it takes no part in type
//                           promotion, has no gradient, and forward and grad_b/grad_c read it as
//                           bool; such an entry's gradients read only kA
//   b_may_be_number, c_may_be_number
//                           whether b, c may be a Python number
//   present(side)           whether side 1 (b) or 2 (c) was given: an entry with optional operands
//                           (clamp's min and max) says so from its members; the caller passes a in
//                           place of an absent one, which then has no edge, no gradient and no
//                           effect on promotion or shape
//   python_bindings         whether the generic bindings make _C.<name>, Tensor.<name> and
//                           Tensor.<name>_ (false for entries whose Python face has other
//                           overloads: where's Tensor.where(condition, other), clamp's number bounds)
//   has_value               whether the op takes the keyword-only scalar `value` (then a member)
//   result_dtype(a, b, c)   the dtype the op computes in; TernaryDefaults gives PyTorch's type
//                           promotion of the three operands; ops with their own rules (lerp's
//                           equal dtypes, addcdiv's refusal of integer division) check them here
//   grad_a_reads/grad_b_reads/grad_c_reads
//                           which of a, b, c and the output y each side's gradient reads
//                           (kA|kB|kC|kY)
//   forward(a, b, c)        the scalar function
//   grad_a/grad_b/grad_c(a, b, c, y, g)
//                           the fused backward of each side (a value the formula does not read
//                           arrives as 0)
//   graph_grad_a/_b/_c(a, b, c, y, g)
//                           the same gradients from differentiable fngrad ops, for create_graph
//   jvp(a, b, c, y, ta, tb, tc)
//                           the forward-mode derivative. TernaryDefaults gives PyTorch's
//                           auto_element_wise rule, grad_a(.., ta) + grad_b(.., tb) + grad_c(.., tc);
//                           an op defines its own where that rule is wrong
// FNGRAD_TERNARY_OPS lists the ops: each (with python_bindings) becomes _C.<name>, fngrad.<name>,
// Tensor.<name> and Tensor.<name>_ without further code.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "ops/binary_ops.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

#define FNGRAD_TERNARY_OPS(_) \
  _(Addcmul)                  \
  _(Addcdiv)                  \
  _(Lerp)                     \
  _(Where)                    \
  _(ClampTensor)

// What a side's gradient reads, beside kA, kB and kY of the binary table.
constexpr int kC = 8;

// PyTorch's result type of a, b and c (c may be a number): tensors with dims promote among
// themselves, then zero-dim tensors and numbers raise the result only to a higher category.
DType ternary_result_type(const TensorObject* a, const Operand& b, const Operand& c);

namespace ternary_detail {
// The dtype names PyTorch prints in lerp's dtype checks (its TypeMeta names).
inline const char* type_meta_name(DType d) {
  switch (d) {
    case DType::Bool:
      return "bool";
    case DType::Int64:
      return "long int";
    case DType::Float32:
      return "float";
    case DType::Float64:
      return "double";
    case DType::UInt8:
      return "unsigned char";
    case DType::Int8:
      return "signed char";
    case DType::Int16:
      return "short int";
    case DType::Int32:
      return "int";
    case DType::Float16:
      return "c10::Half";
    case DType::BFloat16:
      return "c10::BFloat16";
  }
  return "?";
}
}  // namespace ternary_detail

struct TernaryDefaults {
  static constexpr const char* backward_name_number = nullptr;  // nullptr: c is always a tensor
  static constexpr const char* kernel_name_number = nullptr;    // kernel_name when c is a number
  static constexpr bool a_is_condition = false;
  static constexpr bool b_may_be_number = false;
  static constexpr bool c_may_be_number = false;
  static constexpr bool has_value = false;
  static constexpr bool python_bindings = true;
  bool present(int) const { return true; }
  static DType result_dtype(const TensorObject* a, const Operand& b, const Operand& c) {
    return ternary_result_type(a, b, c);
  }
};

#define FNGRAD_TERNARY_NAMES(op, bw, b_name, c_name) \
  static constexpr const char* name = op;            \
  static constexpr const char* backward_name = bw;   \
  static constexpr const char* arg_b = b_name;       \
  static constexpr const char* arg_c = c_name;

// PyTorch's addcmul: input + value * tensor1 * tensor2, for floats as one fused multiply-add
// fma(value * tensor1, tensor2, input), as PyTorch's vectorised CPU kernel computes it (so that
// results equal PyTorch's bit for bit). Gradients: g, g * (tensor2 * value), g * (tensor1 * value).
struct Addcmul : TernaryDefaults {
  FNGRAD_TERNARY_NAMES("addcmul", "AddcmulBackward0", "tensor1", "tensor2")
  static constexpr const char* doc =
      "input + value * tensor1 * tensor2, elementwise, with broadcasting and PyTorch's type promotion.\n\n"
      ">>> fngrad.addcmul(fngrad.tensor([1., 2.]), fngrad.tensor([3., 4.]), fngrad.tensor([2., 2.]), value=0.5)\n"
      "tensor([4., 6.])";
  static constexpr const char* kernel_name = "addcmul_cpu_out";
  static constexpr Domain domain = Domain::Numeric;
  static constexpr bool has_value = true;
  static constexpr int grad_a_reads = 0, grad_b_reads = kC, grad_c_reads = kB;
  Scalar value = Scalar::of_int(1);
  template <typename T> T forward(T a, T b, T c) const {
    if constexpr (std::is_floating_point_v<T>)
      return std::fma(value.to<T>() * b, c, a);
    else
      return a + value.to<T>() * b * c;
  }
  template <typename T> T grad_a(T, T, T, T, T g) const { return g; }
  template <typename T> T grad_b(T, T, T c, T, T g) const { return g * (c * value.to<T>()); }
  template <typename T> T grad_c(T, T b, T, T, T g) const { return g * (b * value.to<T>()); }
  TensorRef graph_grad_a(TensorObject*, TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return TensorRef::borrow(g);
  }
  TensorRef graph_grad_b(TensorObject*, TensorObject*, TensorObject* c, TensorObject*, TensorObject* g) const {
    return mul(g, mul(c, value));
  }
  TensorRef graph_grad_c(TensorObject*, TensorObject* b, TensorObject*, TensorObject*, TensorObject* g) const {
    return mul(g, mul(b, value));
  }
};

// PyTorch's addcdiv: input + value * tensor1 / tensor2, in that order and unfused, as PyTorch
// computes it. Gradients: g, g * (value / tensor2),
// -g * value * tensor1 / (tensor2 * tensor2).
struct Addcdiv : TernaryDefaults {
  FNGRAD_TERNARY_NAMES("addcdiv", "AddcdivBackward0", "tensor1", "tensor2")
  static constexpr const char* doc =
      "input + value * tensor1 / tensor2, elementwise, with broadcasting and PyTorch's type promotion\n"
      "(tensor1 and tensor2 may not both be integers).\n\n"
      ">>> fngrad.addcdiv(fngrad.tensor([1., 2.]), fngrad.tensor([3., 4.]), fngrad.tensor([2., 8.]), value=2)\n"
      "tensor([4., 3.])";
  static constexpr const char* kernel_name = "addcdiv_cpu_out";
  static constexpr Domain domain = Domain::Float;
  static constexpr bool has_value = true;
  static constexpr int grad_a_reads = 0, grad_b_reads = kC, grad_c_reads = kB | kC;
  Scalar value = Scalar::of_int(1);
  static DType result_dtype(const TensorObject* a, const Operand& b, const Operand& c) {
    FNGRAD_CHECK_RUNTIME(
        is_floating(b.tensor->dtype) || is_floating(c.tensor->dtype),
        "[addcdiv] Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform "
        "a "
        "true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value "
        "* torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
        "tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value "
        "* tensor1 / tensor2), for all dtypes.");
    return ternary_result_type(a, b, c);
  }
  template <typename T> T forward(T a, T b, T c) const { return a + value.to<T>() * b / c; }
  template <typename T> T grad_a(T, T, T, T, T g) const { return g; }
  template <typename T> T grad_b(T, T, T c, T, T g) const { return g * (value.to<T>() / c); }
  template <typename T> T grad_c(T, T b, T c, T, T g) const { return -g * value.to<T>() * b / (c * c); }
  TensorRef graph_grad_a(TensorObject*, TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return TensorRef::borrow(g);
  }
  TensorRef graph_grad_b(TensorObject*, TensorObject*, TensorObject* c, TensorObject*, TensorObject* g) const {
    return mul(g, div(value, c));
  }
  TensorRef graph_grad_c(TensorObject*, TensorObject* b, TensorObject* c, TensorObject*, TensorObject* g) const {
    return div(mul(mul(neg(g).get(), value).get(), b).get(), mul(c, c).get());
  }
};

// PyTorch's lerp: input + weight * (end - input) for |weight| < 0.5, else
// end - (end - input) * (1 - weight), each as one fused multiply-add as PyTorch's vectorised CPU
// kernel computes it (so that float32 results equal PyTorch's bit for bit). Input, end and a
// weight with dims must have one floating dtype. Gradients: g * (1 - weight), g * weight,
// g * (end - input).
struct Lerp : TernaryDefaults {
  FNGRAD_TERNARY_NAMES("lerp", "LerpBackward1", "end", "weight")
  static constexpr const char* backward_name_number = "LerpBackward0";
  static constexpr const char* doc =
      "Linear interpolation from input to end: input + weight * (end - input), elementwise; weight is a\n"
      "tensor or a number.\n\n"
      ">>> fngrad.lerp(fngrad.tensor([0., 10.]), fngrad.tensor([10., 20.]), 0.25)\n"
      "tensor([ 2.5000, 12.5000])";
  static constexpr const char* kernel_name = "lerp_kernel_tensor";
  static constexpr const char* kernel_name_number = "lerp_kernel_scalar";
  static constexpr Domain domain = Domain::Float;
  static constexpr bool c_may_be_number = true;
  static constexpr int grad_a_reads = kC, grad_b_reads = kC, grad_c_reads = kA | kB;
  static DType result_dtype(const TensorObject* a, const Operand& b, const Operand& c) {
    using ternary_detail::type_meta_name;
    FNGRAD_CHECK_RUNTIME(b.tensor->dtype == a->dtype, "[lerp] expected dtype ", type_meta_name(a->dtype),
                         " for `end` but got dtype ", type_meta_name(b.tensor->dtype));
    // A zero-dim weight is converted, as PyTorch does.
    FNGRAD_CHECK_RUNTIME(!c.is_tensor() || c.tensor->sizes.empty() || c.tensor->dtype == a->dtype,
                         "[lerp] expected dtype ", type_meta_name(a->dtype), " for `weight` but got dtype ",
                         type_meta_name(c.tensor->dtype));
    return a->dtype;
  }
  template <typename T> T forward(T a, T b, T c) const {
    return std::abs(c) < T(0.5) ? std::fma(c, b - a, a) : std::fma(c - T(1), b - a, b);
  }
  template <typename T> T grad_a(T, T, T c, T, T g) const { return g * (T(1) - c); }
  template <typename T> T grad_b(T, T, T c, T, T g) const { return g * c; }
  template <typename T> T grad_c(T a, T b, T, T, T g) const { return g * (b - a); }
  TensorRef graph_grad_a(TensorObject*, TensorObject*, TensorObject* c, TensorObject*, TensorObject* g) const {
    return mul(g, sub(Scalar::of_double(1), c));
  }
  TensorRef graph_grad_b(TensorObject*, TensorObject*, TensorObject* c, TensorObject*, TensorObject* g) const {
    return mul(g, c);
  }
  TensorRef graph_grad_c(TensorObject* a, TensorObject* b, TensorObject*, TensorObject*, TensorObject* g) const {
    return mul(g, sub(b, a));
  }
};

// PyTorch's where(condition, input, other): input where condition is true, else other, with
// broadcasting of the three and PyTorch's type promotion of input and other (either may be a
// Python number). Gradients: to input where condition is true, to other where it is false.
struct Where : TernaryDefaults {
  FNGRAD_TERNARY_NAMES("where", "WhereBackward0", "input", "other")
  static constexpr const char* doc =
      "input where condition is true, else other, elementwise, with broadcasting.\n\n"
      ">>> fngrad.where(fngrad.tensor([True, False]), fngrad.tensor([1., 2.]), 0.)\n"
      "tensor([1., 0.])";
  static constexpr const char* kernel_name = "where_cpu";
  static constexpr Domain domain = Domain::All;
  static constexpr bool a_is_condition = true;
  static constexpr bool b_may_be_number = true;
  static constexpr bool c_may_be_number = true;
  static constexpr bool python_bindings = false;
  static constexpr int grad_a_reads = 0, grad_b_reads = kA, grad_c_reads = kA;
  static DType result_dtype(const TensorObject* a, const Operand& b, const Operand& c) {
    FNGRAD_CHECK_RUNTIME(a->dtype == DType::Bool,
                         "[where] where expected condition to be a boolean tensor, but got a "
                         "tensor with dtype ",
                         scalar_type_name(a->dtype), ".");
    return result_type(b, c);
  }
  template <typename T> T forward(bool a, T b, T c) const { return a ? b : c; }
  template <typename T> T grad_a(bool, T, T, T, T) const { return T(0); }
  template <typename T> T grad_b(bool a, T, T, T, T g) const { return a ? g : T(0); }
  template <typename T> T grad_c(bool a, T, T, T, T g) const { return a ? T(0) : g; }
  TensorRef graph_grad_a(TensorObject*, TensorObject*, TensorObject*, TensorObject*, TensorObject*) const {
    return TensorRef();
  }
  TensorRef graph_grad_b(TensorObject* a, TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return where(a, g, Scalar::of_double(0));
  }
  TensorRef graph_grad_c(TensorObject* a, TensorObject*, TensorObject*, TensorObject*, TensorObject* g) const {
    return where(a, Scalar::of_double(0), g);
  }
};

// PyTorch's clamp with tensor bounds (clamp.Tensor): min(max(input, min), max), NaN where input or
// a bound is NaN, with broadcasting and PyTorch's type promotion of the three. Either bound may be
// absent (has_min, has_max; at least one is given) or a Python number. Gradients (PyTorch's
// clamp_backward_min_max): to input where min <= input <= max, to min where input < min < max, to
// max where input > max or max < min; with one bound, to input where it does not bind and to the
// bound where it does. Python reaches it through Tensor.clamp/clamp_/clip when a bound is a tensor
// (number bounds are the unary Clamp).
struct ClampTensor : TernaryDefaults {
  FNGRAD_TERNARY_NAMES("clamp", "ClampBackward0", "min", "max")
  static constexpr const char* doc = "";
  static constexpr const char* kernel_name = "clamp_cpu";
  static constexpr Domain domain = Domain::All;
  static constexpr bool b_may_be_number = true;
  static constexpr bool c_may_be_number = true;
  static constexpr bool python_bindings = false;
  static constexpr int grad_a_reads = kA | kB | kC, grad_b_reads = kA | kB | kC, grad_c_reads = kA | kB | kC;
  bool has_min = true, has_max = true;
  bool present(int side) const { return side == 1 ? has_min : has_max; }
  // NaN in either operand gives NaN (as maximum/minimum do).
  template <typename T> static T nan_max(T x, T y) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<T>::quiet_NaN();
    }
    return x < y ? y : x;
  }
  template <typename T> static T nan_min(T x, T y) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<T>::quiet_NaN();
    }
    return y < x ? y : x;
  }
  template <typename T> T forward(T a, T b, T c) const {
    if (has_min) a = nan_max(a, b);
    if (has_max) a = nan_min(a, c);
    return a;
  }
  // Where each side's gradient flows.
  template <typename T> bool to_input(T x, T lo, T hi) const { return (!has_min || x >= lo) && (!has_max || x <= hi); }
  template <typename T> bool to_min(T x, T lo, T hi) const { return x < lo && (!has_max || lo < hi); }
  template <typename T> bool to_max(T x, T lo, T hi) const { return x > hi || (has_min && hi < lo); }
  template <typename T> T grad_a(T a, T b, T c, T, T g) const { return to_input(a, b, c) ? g : T(0); }
  template <typename T> T grad_b(T a, T b, T c, T, T g) const { return to_min(a, b, c) ? g : T(0); }
  template <typename T> T grad_c(T a, T b, T c, T, T g) const { return to_max(a, b, c) ? g : T(0); }
  TensorRef graph_grad_a(TensorObject* a, TensorObject* b, TensorObject* c, TensorObject*, TensorObject* g) const {
    TensorRef keep;
    if (has_min) keep = compare(CompareKind::Ge, a, b);
    if (has_max) {
      TensorRef le = compare(CompareKind::Le, a, c);
      keep = keep ? logical(LogicalKind::And, keep, le, false) : le;
    }
    return where(keep.get(), g, Scalar::of_double(0));
  }
  TensorRef graph_grad_b(TensorObject* a, TensorObject* b, TensorObject* c, TensorObject*, TensorObject* g) const {
    TensorRef keep = compare(CompareKind::Lt, a, b);
    if (has_max) keep = logical(LogicalKind::And, keep, compare(CompareKind::Lt, b, c), false);
    return where(keep.get(), g, Scalar::of_double(0));
  }
  TensorRef graph_grad_c(TensorObject* a, TensorObject* b, TensorObject* c, TensorObject*, TensorObject* g) const {
    TensorRef keep = compare(CompareKind::Gt, a, c);
    if (has_min) keep = logical(LogicalKind::Or, keep, compare(CompareKind::Lt, c, b), false);
    return where(keep.get(), g, Scalar::of_double(0));
  }
};

#undef FNGRAD_TERNARY_NAMES

#define FNGRAD_DECLARE_TERNARY(Op)                                                                 \
  TensorRef apply_##Op(TensorObject* a, const Operand& b, const Operand& c, const Op& op = Op{});  \
  void apply_##Op##_(TensorObject* self, const Operand& b, const Operand& c, const Op& op = Op{}); \
  inline TensorRef ternary_op(TensorObject* a, const Operand& b, const Operand& c, const Op& op) { \
    return apply_##Op(a, b, c, op);                                                                \
  }                                                                                                \
  inline void ternary_op_(TensorObject* self, const Operand& b, const Operand& c, const Op& op) {  \
    apply_##Op##_(self, b, c, op);                                                                 \
  }
FNGRAD_TERNARY_OPS(FNGRAD_DECLARE_TERNARY)
#undef FNGRAD_DECLARE_TERNARY

// The tangent of op(a, b, c) from the tangents of its operands (all tensors of one dtype and
// shape): the forward-mode formula of the entry, evaluated without recording a graph.
TensorRef ternary_jvp(const char* name, TensorObject* a, TensorObject* b, TensorObject* c, TensorObject* ta,
                      TensorObject* tb, TensorObject* tc);

}  // namespace ops
}  // namespace fngrad
