// The elementwise unary op table: the one place an elementwise op is declared.
//
// An op is a struct with
//   name, backward_name        "relu", "ReluBackward0" (PyTorch's node names)
//   saves                      what the backward needs: the input x, the output y, or nothing
//   float_only                 whether integer tensors are refused
//   forward(x)                 the scalar function
//   backward(s, g)             the fused backward: gradient of the input from the saved value s
//                              (x or y, per `saves`) and the incoming gradient g
//   backward_graph(s, g)       the same gradient built from differentiable fngrad ops; used
//                              under create_graph, so that the backward is itself differentiable
// Ops with parameters (clamp's bounds) keep them as members; the backward node keeps a copy of
// the op. FNGRAD_UNARY_OPS lists the parameterless ones: each becomes _C.<name>, a Tensor
// method and a test case without further code.
#pragma once

#include <cmath>

#include "ops/ops.h"

namespace fngrad {
namespace ops {

enum class Saves { Nothing, Input, Output };

struct Relu {
  static constexpr const char* name = "relu";
  static constexpr const char* backward_name = "ReluBackward0";
  static constexpr Saves saves = Saves::Output;
  static constexpr bool float_only = false;
  // x < 0 rather than x > 0 keeps NaN as NaN, as PyTorch and np.maximum do.
  template <typename T>
  T forward(T x) const { return x < T(0) ? T(0) : x; }
  template <typename T>
  T backward(T y, T g) const { return y > T(0) ? g : T(0); }
  TensorRef backward_graph(TensorObject* y, TensorObject* g) const {
    TensorRef mask = compare(CompareKind::Gt, y, Scalar::of_double(0));
    return mul(g, to_dtype(mask.get(), g->dtype));
  }
};

struct Neg {
  static constexpr const char* name = "neg";
  static constexpr const char* backward_name = "NegBackward0";
  static constexpr Saves saves = Saves::Nothing;
  static constexpr bool float_only = false;
  template <typename T>
  T forward(T x) const { return -x; }
  template <typename T>
  T backward(T, T g) const { return -g; }
  TensorRef backward_graph(TensorObject*, TensorObject* g) const { return neg(g); }
};

// clamp(min, max): either bound may be absent. Gradient passes where min <= x <= max, as in
// PyTorch (a NaN input gets no gradient).
struct Clamp {
  static constexpr const char* name = "clamp";
  static constexpr const char* backward_name = "ClampBackward1";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = false;
  bool has_lo = false, has_hi = false;
  Scalar lo, hi;
  template <typename T>
  T forward(T x) const {
    if (std::isnan(static_cast<double>(x))) return x;
    if (has_lo && x < lo.to<T>()) x = lo.to<T>();
    if (has_hi && x > hi.to<T>()) x = hi.to<T>();
    return x;
  }
  template <typename T>
  T backward(T x, T g) const {
    bool pass = !std::isnan(static_cast<double>(x)) && (!has_lo || x >= lo.to<T>()) && (!has_hi || x <= hi.to<T>());
    return pass ? g : T(0);
  }
  TensorRef backward_graph(TensorObject* x, TensorObject* g) const {
    TensorRef factor = full(x->sizes, g->dtype, 1.0);
    if (has_lo) factor = mul(factor, to_dtype(compare(CompareKind::Ge, x, lo).get(), g->dtype));
    if (has_hi) factor = mul(factor, to_dtype(compare(CompareKind::Le, x, hi).get(), g->dtype));
    return mul(g, factor);
  }
};

#define FNGRAD_UNARY_OPS(_) \
  _(Relu)                   \
  _(Neg)

// ops::apply_<Op>(x) for every listed op (defined in unary.cpp): what _C.<name> and
// Tensor.<name>() call.
#define FNGRAD_DECLARE_UNARY(Op) TensorRef apply_##Op(TensorObject* x);
FNGRAD_UNARY_OPS(FNGRAD_DECLARE_UNARY)
#undef FNGRAD_DECLARE_UNARY

}  // namespace ops
}  // namespace fngrad
