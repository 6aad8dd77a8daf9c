// The elementwise unary op table: the one place an elementwise unary op is declared.
//
// An op is a struct with
//   name, backward_name     "exp", "ExpBackward0" (PyTorch's node names)
//   doc                     what it computes and a runnable example (fngrad.exp's docstring, a doctest)
//   saves                   what the backward reads: the input x, the output y, both, or nothing
//   float_only              integer and bool inputs are computed in float32 (as PyTorch promotes them)
//   tensor_methods          optional, false where PyTorch's Tensor has no such methods (silu: only
//                           F.silu); Tensor.<name> and Tensor.<name>_ are made otherwise
//   forward(x)              the scalar function
//   backward(x, y, g)       the fused backward: the gradient of the input from the saved value(s)
//                           and the incoming gradient g (an unsaved value arrives as 0)
//   backward_graph(x, y, g) the same gradient built from differentiable fngrad ops; used under
//                           create_graph so that the backward is itself differentiable
// and, optionally, contiguous fast paths that use the vectorised math of vecmath.h:
//   forward_contig(x, y, n), backward_contig(x, y, g, out, n)   (has_contig = true)
// Ops with parameters (leaky_relu's slope, pow's exponent) keep them as members; the backward
// node keeps a copy of the op. FNGRAD_UNARY_OPS lists the parameterless ones: each becomes
// _C.<name>, fngrad.<name>, Tensor.<name>(), Tensor.<name>_() and a row of the op tests without
// further code.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/ops.h"
#include "ops/special_math.h"
#include "ops/vecmath.h"

namespace fngrad {
namespace ops {

enum class Saves { Nothing, Input, Output, Both };

#define FNGRAD_UNARY_OPS(_) \
  _(Relu)                   \
  _(Neg)                    \
  _(Abs)                    \
  _(Sign)                   \
  _(Reciprocal)             \
  _(Exp)                    \
  _(Expm1)                  \
  _(Log)                    \
  _(Log1p)                  \
  _(Sqrt)                   \
  _(Rsqrt)                  \
  _(Sin)                    \
  _(Cos)                    \
  _(Tanh)                   \
  _(Sigmoid)                \
  _(Erf)                    \
  _(Silu)                   \
  _(Floor)                  \
  _(Ceil)                   \
  _(Round)                  \
  _(Trunc)                  \
  _(Frac)                   \
  _(Tan)                    \
  _(Asin)                   \
  _(Acos)                   \
  _(Atan)                   \
  _(Sinh)                   \
  _(Cosh)                   \
  _(Asinh)                  \
  _(Acosh)                  \
  _(Atanh)                  \
  _(Log2)                   \
  _(Log10)                  \
  _(Exp2)                   \
  _(Square)                 \
  _(Erfc)                   \
  _(Deg2rad)                \
  _(Rad2deg)                \
  _(Lgamma)                 \
  _(Digamma)                \
  _(Erfinv)                 \
  _(I0)                     \
  _(Sinc)                   \
  _(SpecialEntr)            \
  _(SpecialNdtr)            \
  _(SpecialNdtri)           \
  _(SpecialLogNdtr)         \
  _(SpecialErfcx)           \
  _(SpecialI0e)             \
  _(SpecialI1)              \
  _(SpecialI1e)

// ops::apply_<Op>(x) for every listed op (defined in unary.cpp): what _C.<name> and
// Tensor.<name>() call, and what the formulas below use.
#define FNGRAD_DECLARE_UNARY(Op)         \
  TensorRef apply_##Op(TensorObject* x); \
  void apply_##Op##_(TensorObject* x);
FNGRAD_UNARY_OPS(FNGRAD_DECLARE_UNARY)
#undef FNGRAD_DECLARE_UNARY

namespace unary_detail {
constexpr double kSqrt1_2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1 / sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kGeluC = 0.044715;
constexpr double kTwoOverSqrtPi = 1.12837916709551257390;
constexpr double kPi = 3.14159265358979323846;
constexpr double kLn2 = 0.69314718055994530942;
constexpr double kLn10 = 2.30258509299404568402;

// out[i] = post(x[i], f(pre(x[i]))) over chunks that fit in L1, f vectorised.
template <typename T, typename Pre, typename Post>
void chunked(const T* x, T* out, int64_t n, vmath::Fn fn, const Pre& pre, const Post& post) {
  T buf[vmath::kChunk];
  for (int64_t i = 0; i < n; i += vmath::kChunk) {
    const int64_t m = std::min<int64_t>(vmath::kChunk, n - i);
    for (int64_t k = 0; k < m; k++) buf[k] = pre(x[i + k]);
    vmath::apply(fn, buf, buf, m);
    for (int64_t k = 0; k < m; k++) out[i + k] = post(i + k, buf[k]);
  }
}

template <typename T> T sigmoid(T x) { return T(1) / (T(1) + std::exp(-x)); }

// f (a double function of special_math.h) at x, rounded to T; the special functions compute in
// double (integer T is never reached: float_only ops convert integer inputs first).
template <typename T, typename F> T in_double(F f, T x) {
  if constexpr (std::is_floating_point_v<T>)
    return static_cast<T>(f(static_cast<double>(x)));
  else
    return x;
}

inline TensorRef scale(TensorObject* t, double s) { return mul(t, Scalar::of_double(s)); }
inline TensorRef float_mask(CompareKind k, TensorObject* x, double v, DType dtype) {
  return to_dtype(compare(k, x, Scalar::of_double(v)).get(), dtype);
}
}  // namespace unary_detail

#define FNGRAD_UNARY_NAMES(op, bw)        \
  static constexpr const char* name = op; \
  static constexpr const char* backward_name = bw;

struct Relu {
  FNGRAD_UNARY_NAMES("relu", "ReluBackward0")
  static constexpr const char* doc =
      "max(input, 0), elementwise.\n\n"
      ">>> fngrad.relu(fngrad.tensor([-1., 0., 2.]))\n"
      "tensor([0., 0., 2.])";
  static constexpr Saves saves = Saves::Output;
  static constexpr bool float_only = false;
  static constexpr bool has_contig = false;
  // x < 0 rather than x > 0 keeps NaN as NaN, as PyTorch and np.maximum do.
  template <typename T> T forward(T x) const { return x < T(0) ? T(0) : x; }
  // PyTorch's threshold_backward(g, y, 0): y <= 0 ? 0 : g, so a NaN output passes the gradient.
  template <typename T> T backward(T, T y, T g) const { return y <= T(0) ? T(0) : g; }
  TensorRef backward_graph(TensorObject*, TensorObject* y, TensorObject* g) const {
    return where(compare(CompareKind::Le, y, Scalar::of_double(0)).get(), Scalar::of_double(0), g);
  }
};

struct Neg {
  FNGRAD_UNARY_NAMES("neg", "NegBackward0")
  static constexpr const char* doc =
      "-input, elementwise.\n\n"
      ">>> fngrad.neg(fngrad.tensor([1., -2.]))\n"
      "tensor([-1.,  2.])";
  static constexpr Saves saves = Saves::Nothing;
  static constexpr bool float_only = false;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return -x; }
  template <typename T> T backward(T, T, T g) const { return -g; }
  TensorRef backward_graph(TensorObject*, TensorObject*, TensorObject* g) const { return neg(g); }
};

struct Abs {
  FNGRAD_UNARY_NAMES("abs", "AbsBackward0")
  static constexpr const char* doc =
      "The absolute value, elementwise.\n\n"
      ">>> fngrad.abs(fngrad.tensor([-1.5, 2.]))\n"
      "tensor([1.5000, 2.0000])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = false;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::fabs(x);
    } else {
      return x < T(0) ? -x : x;
    }
  }
  template <typename T> T backward(T x, T, T g) const { return x > T(0) ? g : x < T(0) ? -g : T(0); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const { return mul(g, apply_Sign(x)); }
};

// sign has a zero gradient everywhere (PyTorch records SignBackward0 all the same).
struct Sign {
  FNGRAD_UNARY_NAMES("sign", "SignBackward0")
  static constexpr const char* doc =
      "-1, 0 or 1 by the sign of each element.\n\n"
      ">>> fngrad.sign(fngrad.tensor([-3., 0., 2.]))\n"
      "tensor([-1.,  0.,  1.])";
  static constexpr Saves saves = Saves::Nothing;
  static constexpr bool float_only = false;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return x > T(0) ? T(1) : x < T(0) ? T(-1) : x; }
  template <typename T> T backward(T, T, T) const { return T(0); }
  TensorRef backward_graph(TensorObject*, TensorObject*, TensorObject* g) const { return unary_detail::scale(g, 0.0); }
};

struct Reciprocal {
  FNGRAD_UNARY_NAMES("reciprocal", "ReciprocalBackward0")
  static constexpr const char* doc =
      "1 / input, elementwise.\n\n"
      ">>> fngrad.reciprocal(fngrad.tensor([2., 4.]))\n"
      "tensor([0.5000, 0.2500])";
  static constexpr Saves saves = Saves::Output;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return T(1) / x; }
  template <typename T> T backward(T, T y, T g) const { return -g * y * y; }
  TensorRef backward_graph(TensorObject*, TensorObject* y, TensorObject* g) const {
    return neg(mul(g, mul(y, y)).get());
  }
};

struct Exp {
  FNGRAD_UNARY_NAMES("exp", "ExpBackward0")
  static constexpr const char* doc =
      "e ** input, elementwise.\n\n"
      ">>> fngrad.exp(fngrad.tensor([0., 1.]))\n"
      "tensor([1.0000, 2.7183])";
  static constexpr Saves saves = Saves::Output;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = true;
  template <typename T> T forward(T x) const { return std::exp(x); }
  template <typename T> T backward(T, T y, T g) const { return g * y; }
  template <typename T> void forward_contig(const T* x, T* y, int64_t n) const {
    vmath::apply(vmath::Fn::Exp, x, y, n);
  }
  template <typename T> void backward_contig(const T*, const T* y, const T* g, T* out, int64_t n) const {
    for (int64_t i = 0; i < n; i++) out[i] = g[i] * y[i];
  }
  TensorRef backward_graph(TensorObject*, TensorObject* y, TensorObject* g) const { return mul(g, y); }
};

struct Expm1 {
  FNGRAD_UNARY_NAMES("expm1", "Expm1Backward0")
  static constexpr const char* doc =
      "exp(input) - 1, elementwise, accurate near 0.\n\n"
      ">>> fngrad.expm1(fngrad.tensor([0., 1.]))\n"
      "tensor([0.0000, 1.7183])";
  static constexpr Saves saves = Saves::Output;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = true;
  template <typename T> T forward(T x) const { return std::expm1(x); }
  template <typename T> T backward(T, T y, T g) const { return g * (y + T(1)); }
  template <typename T> void forward_contig(const T* x, T* y, int64_t n) const {
    vmath::apply(vmath::Fn::Expm1, x, y, n);
  }
  template <typename T> void backward_contig(const T*, const T* y, const T* g, T* out, int64_t n) const {
    for (int64_t i = 0; i < n; i++) out[i] = g[i] * (y[i] + T(1));
  }
  TensorRef backward_graph(TensorObject*, TensorObject* y, TensorObject* g) const {
    return mul(g, add(y, Scalar::of_double(1)));
  }
};

struct Log {
  FNGRAD_UNARY_NAMES("log", "LogBackward0")
  static constexpr const char* doc =
      "The natural logarithm, elementwise.\n\n"
      ">>> fngrad.log(fngrad.tensor([1., 4.]))\n"
      "tensor([0.0000, 1.3863])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = true;
  template <typename T> T forward(T x) const { return std::log(x); }
  template <typename T> T backward(T x, T, T g) const { return g / x; }
  template <typename T> void forward_contig(const T* x, T* y, int64_t n) const {
    vmath::apply(vmath::Fn::Log, x, y, n);
  }
  template <typename T> void backward_contig(const T* x, const T*, const T* g, T* out, int64_t n) const {
    for (int64_t i = 0; i < n; i++) out[i] = g[i] / x[i];
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const { return div(g, x); }
};

struct Log1p {
  FNGRAD_UNARY_NAMES("log1p", "Log1pBackward0")
  static constexpr const char* doc =
      "log(1 + input), elementwise, accurate near 0.\n\n"
      ">>> fngrad.log1p(fngrad.tensor([0., 1.]))\n"
      "tensor([0.0000, 0.6931])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = true;
  template <typename T> T forward(T x) const { return std::log1p(x); }
  template <typename T> T backward(T x, T, T g) const { return g / (x + T(1)); }
  template <typename T> void forward_contig(const T* x, T* y, int64_t n) const {
    vmath::apply(vmath::Fn::Log1p, x, y, n);
  }
  template <typename T> void backward_contig(const T* x, const T*, const T* g, T* out, int64_t n) const {
    for (int64_t i = 0; i < n; i++) out[i] = g[i] / (x[i] + T(1));
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return div(g, add(x, Scalar::of_double(1)));
  }
};

struct Sqrt {
  FNGRAD_UNARY_NAMES("sqrt", "SqrtBackward0")
  static constexpr const char* doc =
      "The square root, elementwise.\n\n"
      ">>> fngrad.sqrt(fngrad.tensor([4., 9.]))\n"
      "tensor([2., 3.])";
  static constexpr Saves saves = Saves::Output;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::sqrt(x); }
  template <typename T> T backward(T, T y, T g) const { return g / (T(2) * y); }
  TensorRef backward_graph(TensorObject*, TensorObject* y, TensorObject* g) const {
    return div(g, unary_detail::scale(y, 2.0));
  }
};

struct Rsqrt {
  FNGRAD_UNARY_NAMES("rsqrt", "RsqrtBackward0")
  static constexpr const char* doc =
      "1 / sqrt(input), elementwise.\n\n"
      ">>> fngrad.rsqrt(fngrad.tensor([4., 0.25]))\n"
      "tensor([0.5000, 2.0000])";
  static constexpr Saves saves = Saves::Output;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return T(1) / std::sqrt(x); }
  template <typename T> T backward(T, T y, T g) const { return T(-0.5) * g * y * y * y; }
  TensorRef backward_graph(TensorObject*, TensorObject* y, TensorObject* g) const {
    return mul(g, unary_detail::scale(mul(y, mul(y, y)).get(), -0.5));
  }
};

struct Sin {
  FNGRAD_UNARY_NAMES("sin", "SinBackward0")
  static constexpr const char* doc =
      "The sine (of radians), elementwise.\n\n"
      ">>> fngrad.sin(fngrad.tensor([0., 1.5708]))\n"
      "tensor([0., 1.])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = true;
  template <typename T> T forward(T x) const { return std::sin(x); }
  template <typename T> T backward(T x, T, T g) const { return g * std::cos(x); }
  template <typename T> void forward_contig(const T* x, T* y, int64_t n) const {
    vmath::apply(vmath::Fn::Sin, x, y, n);
  }
  template <typename T> void backward_contig(const T* x, const T*, const T* g, T* out, int64_t n) const {
    unary_detail::chunked(x, out, n, vmath::Fn::Cos, [](T v) { return v; }, [&](int64_t i, T c) { return g[i] * c; });
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const { return mul(g, apply_Cos(x)); }
};

struct Cos {
  FNGRAD_UNARY_NAMES("cos", "CosBackward0")
  static constexpr const char* doc =
      "The cosine (of radians), elementwise.\n\n"
      ">>> fngrad.cos(fngrad.tensor([0., 3.1416]))\n"
      "tensor([ 1., -1.])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = true;
  template <typename T> T forward(T x) const { return std::cos(x); }
  template <typename T> T backward(T x, T, T g) const { return -g * std::sin(x); }
  template <typename T> void forward_contig(const T* x, T* y, int64_t n) const {
    vmath::apply(vmath::Fn::Cos, x, y, n);
  }
  template <typename T> void backward_contig(const T* x, const T*, const T* g, T* out, int64_t n) const {
    unary_detail::chunked(x, out, n, vmath::Fn::Sin, [](T v) { return v; }, [&](int64_t i, T s) { return -g[i] * s; });
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return neg(mul(g, apply_Sin(x)).get());
  }
};

struct Tanh {
  FNGRAD_UNARY_NAMES("tanh", "TanhBackward0")
  static constexpr const char* doc =
      "The hyperbolic tangent, elementwise.\n\n"
      ">>> fngrad.tanh(fngrad.tensor([0., 1.]))\n"
      "tensor([0.0000, 0.7616])";
  static constexpr Saves saves = Saves::Output;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = true;
  template <typename T> T forward(T x) const { return std::tanh(x); }
  template <typename T> T backward(T, T y, T g) const { return g * (T(1) - y * y); }
  template <typename T> void forward_contig(const T* x, T* y, int64_t n) const {
    vmath::apply(vmath::Fn::Tanh, x, y, n);
  }
  template <typename T> void backward_contig(const T*, const T* y, const T* g, T* out, int64_t n) const {
    for (int64_t i = 0; i < n; i++) out[i] = g[i] * (T(1) - y[i] * y[i]);
  }
  TensorRef backward_graph(TensorObject*, TensorObject* y, TensorObject* g) const {
    return mul(g, sub(Scalar::of_double(1), mul(y, y)));
  }
};

struct Sigmoid {
  FNGRAD_UNARY_NAMES("sigmoid", "SigmoidBackward0")
  static constexpr const char* doc =
      "The logistic function 1 / (1 + exp(-input)), elementwise.\n\n"
      ">>> fngrad.sigmoid(fngrad.tensor([0., 2.]))\n"
      "tensor([0.5000, 0.8808])";
  static constexpr Saves saves = Saves::Output;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = true;
  template <typename T> T forward(T x) const { return unary_detail::sigmoid(x); }
  template <typename T> T backward(T, T y, T g) const { return g * y * (T(1) - y); }
  // exp(-x) overflows to inf for very negative x, and 1 / (1 + inf) = 0: no special case needed.
  template <typename T> void forward_contig(const T* x, T* y, int64_t n) const {
    unary_detail::chunked(
        x, y, n, vmath::Fn::Exp, [](T v) { return -v; }, [](int64_t, T e) { return T(1) / (T(1) + e); });
  }
  template <typename T> void backward_contig(const T*, const T* y, const T* g, T* out, int64_t n) const {
    for (int64_t i = 0; i < n; i++) out[i] = g[i] * y[i] * (T(1) - y[i]);
  }
  TensorRef backward_graph(TensorObject*, TensorObject* y, TensorObject* g) const {
    return mul(g, mul(y, sub(Scalar::of_double(1), y)));
  }
};

struct Erf {
  FNGRAD_UNARY_NAMES("erf", "ErfBackward0")
  static constexpr const char* doc =
      "The error function, elementwise.\n\n"
      ">>> fngrad.erf(fngrad.tensor([0., 1.]))\n"
      "tensor([0.0000, 0.8427])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = true;
  template <typename T> T forward(T x) const { return std::erf(x); }
  template <typename T> T backward(T x, T, T g) const { return g * T(unary_detail::kTwoOverSqrtPi) * std::exp(-x * x); }
  template <typename T> void forward_contig(const T* x, T* y, int64_t n) const {
    vmath::apply(vmath::Fn::Erf, x, y, n);
  }
  template <typename T> void backward_contig(const T* x, const T*, const T* g, T* out, int64_t n) const {
    const T c = T(unary_detail::kTwoOverSqrtPi);  // 2 / sqrt(pi)
    unary_detail::chunked(
        x, out, n, vmath::Fn::Exp, [](T v) { return -v * v; }, [&](int64_t i, T e) { return g[i] * c * e; });
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    TensorRef e = apply_Exp(neg(mul(x, x).get()).get());
    return mul(g, unary_detail::scale(e.get(), unary_detail::kTwoOverSqrtPi));
  }
};

struct Silu {
  FNGRAD_UNARY_NAMES("silu", "SiluBackward0")
  static constexpr bool tensor_methods = false;  // torch.Tensor has no silu: F.silu is the spelling
  static constexpr const char* doc =
      "input * sigmoid(input), elementwise (the SiLU, or swish).\n\n"
      ">>> fngrad.silu(fngrad.tensor([0., 1.]))\n"
      "tensor([0.0000, 0.7311])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = true;
  template <typename T> T forward(T x) const { return x * unary_detail::sigmoid(x); }
  template <typename T> T backward(T x, T, T g) const {
    T s = unary_detail::sigmoid(x);
    return g * s * (T(1) + x * (T(1) - s));
  }
  template <typename T> void forward_contig(const T* x, T* y, int64_t n) const {
    unary_detail::chunked(
        x, y, n, vmath::Fn::Exp, [](T v) { return -v; }, [&](int64_t i, T e) { return x[i] / (T(1) + e); });
  }
  template <typename T> void backward_contig(const T* x, const T*, const T* g, T* out, int64_t n) const {
    unary_detail::chunked(
        x, out, n, vmath::Fn::Exp, [](T v) { return -v; },
        [&](int64_t i, T e) {
          T s = T(1) / (T(1) + e);
          return g[i] * s * (T(1) + x[i] * (T(1) - s));
        });
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    TensorRef s = apply_Sigmoid(x);
    TensorRef inner = add(Scalar::of_double(1), mul(x, sub(Scalar::of_double(1), s)));
    return mul(g, mul(s, inner));
  }
};

// Rounding: piecewise constant, so a zero gradient everywhere (PyTorch records the node all the
// same). Integer tensors are already integral and come back unchanged, as in PyTorch.
#define FNGRAD_ROUNDING_OP(Op, op, bw, fn, doc_)                                    \
  struct Op {                                                                       \
    FNGRAD_UNARY_NAMES(op, bw)                                                      \
    static constexpr const char* doc = doc_;                                        \
    static constexpr Saves saves = Saves::Nothing;                                  \
    static constexpr bool float_only = false;                                       \
    static constexpr bool has_contig = false;                                       \
    template <typename T> T forward(T x) const {                                    \
      if constexpr (std::is_integral_v<T>)                                          \
        return x;                                                                   \
      else                                                                          \
        return fn(x);                                                               \
    }                                                                               \
    template <typename T> T backward(T, T, T) const { return T(0); }                \
    TensorRef backward_graph(TensorObject*, TensorObject*, TensorObject* g) const { \
      return unary_detail::scale(g, 0.0);                                           \
    }                                                                               \
  };
FNGRAD_ROUNDING_OP(Floor, "floor", "FloorBackward0", std::floor,
                   "The largest integer <= input, elementwise (zero gradient).\n\n"
                   ">>> fngrad.floor(fngrad.tensor([-1.5, 1.5]))\n"
                   "tensor([-2.,  1.])")
FNGRAD_ROUNDING_OP(Ceil, "ceil", "CeilBackward0", std::ceil,
                   "The smallest integer >= input, elementwise (zero gradient).\n\n"
                   ">>> fngrad.ceil(fngrad.tensor([-1.5, 1.5]))\n"
                   "tensor([-1.,  2.])")
// Halves to even (std::nearbyint in the default rounding mode), as torch.round.
FNGRAD_ROUNDING_OP(Round, "round", "RoundBackward0", std::nearbyint,
                   "The nearest integer, halves to even, elementwise (zero gradient).\n\n"
                   ">>> fngrad.round(fngrad.tensor([0.5, 1.5, 2.7]))\n"
                   "tensor([0., 2., 3.])")
FNGRAD_ROUNDING_OP(Trunc, "trunc", "TruncBackward0", std::trunc,
                   "The integer part, rounded toward zero, elementwise (zero gradient).\n\n"
                   ">>> fngrad.trunc(fngrad.tensor([-1.7, 1.7]))\n"
                   "tensor([-1.,  1.])")
#undef FNGRAD_ROUNDING_OP

// x - trunc(x): its gradient is the incoming one (PyTorch's frac: self: grad).
struct Frac {
  FNGRAD_UNARY_NAMES("frac", "FracBackward0")
  static constexpr const char* doc =
      "input - trunc(input), elementwise.\n\n"
      ">>> fngrad.frac(fngrad.tensor([-1.25, 1.5]))\n"
      "tensor([-0.2500,  0.5000])";
  static constexpr Saves saves = Saves::Nothing;
  static constexpr bool float_only = false;  // integer inputs are refused, as in PyTorch (unary.cpp)
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const {
    if constexpr (std::is_integral_v<T>)
      return T(0);  // never run: check_dtype refuses integers
    else
      return x - std::trunc(x);
  }
  template <typename T> T backward(T, T, T g) const { return g; }
  TensorRef backward_graph(TensorObject*, TensorObject*, TensorObject* g) const { return TensorRef::borrow(g); }
};

// The gradients below are derivatives.yaml's formulas.
struct Tan {
  FNGRAD_UNARY_NAMES("tan", "TanBackward0")
  static constexpr const char* doc =
      "The tangent (of radians), elementwise.\n\n"
      ">>> fngrad.tan(fngrad.tensor([0., 1.]))\n"
      "tensor([0.0000, 1.5574])";
  static constexpr Saves saves = Saves::Output;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::tan(x); }
  template <typename T> T backward(T, T y, T g) const { return g * (T(1) + y * y); }
  TensorRef backward_graph(TensorObject*, TensorObject* y, TensorObject* g) const {
    return mul(g, add(mul(y, y), Scalar::of_double(1)));
  }
};

struct Asin {
  FNGRAD_UNARY_NAMES("asin", "AsinBackward0")
  static constexpr const char* doc =
      "The arcsine, elementwise.\n\n"
      ">>> fngrad.asin(fngrad.tensor([0., 0.5]))\n"
      "tensor([0.0000, 0.5236])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::asin(x); }
  template <typename T> T backward(T x, T, T g) const { return g / std::sqrt(T(1) - x * x); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return mul(g, apply_Rsqrt(sub(Scalar::of_double(1), mul(x, x)).get()));
  }
};

struct Acos {
  FNGRAD_UNARY_NAMES("acos", "AcosBackward0")
  static constexpr const char* doc =
      "The arccosine, elementwise.\n\n"
      ">>> fngrad.acos(fngrad.tensor([1., 0.]))\n"
      "tensor([0.0000, 1.5708])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::acos(x); }
  template <typename T> T backward(T x, T, T g) const { return -g / std::sqrt(T(1) - x * x); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return neg(mul(g, apply_Rsqrt(sub(Scalar::of_double(1), mul(x, x)).get())).get());
  }
};

struct Atan {
  FNGRAD_UNARY_NAMES("atan", "AtanBackward0")
  static constexpr const char* doc =
      "The arctangent, elementwise.\n\n"
      ">>> fngrad.atan(fngrad.tensor([0., 1.]))\n"
      "tensor([0.0000, 0.7854])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::atan(x); }
  template <typename T> T backward(T x, T, T g) const { return g / (T(1) + x * x); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return div(g, add(mul(x, x), Scalar::of_double(1)));
  }
};

struct Sinh {
  FNGRAD_UNARY_NAMES("sinh", "SinhBackward0")
  static constexpr const char* doc =
      "The hyperbolic sine, elementwise.\n\n"
      ">>> fngrad.sinh(fngrad.tensor([0., 1.]))\n"
      "tensor([0.0000, 1.1752])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::sinh(x); }
  template <typename T> T backward(T x, T, T g) const { return g * std::cosh(x); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const;  // after Cosh
};

struct Cosh {
  FNGRAD_UNARY_NAMES("cosh", "CoshBackward0")
  static constexpr const char* doc =
      "The hyperbolic cosine, elementwise.\n\n"
      ">>> fngrad.cosh(fngrad.tensor([0., 1.]))\n"
      "tensor([1.0000, 1.5431])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::cosh(x); }
  template <typename T> T backward(T x, T, T g) const { return g * std::sinh(x); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const { return mul(g, apply_Sinh(x)); }
};

inline TensorRef Sinh::backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
  return mul(g, apply_Cosh(x));
}

struct Asinh {
  FNGRAD_UNARY_NAMES("asinh", "AsinhBackward0")
  static constexpr const char* doc =
      "The inverse hyperbolic sine, elementwise.\n\n"
      ">>> fngrad.asinh(fngrad.tensor([0., 1.]))\n"
      "tensor([0.0000, 0.8814])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::asinh(x); }
  template <typename T> T backward(T x, T, T g) const { return g / std::sqrt(x * x + T(1)); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return mul(g, apply_Rsqrt(add(mul(x, x), Scalar::of_double(1)).get()));
  }
};

struct Acosh {
  FNGRAD_UNARY_NAMES("acosh", "AcoshBackward0")
  static constexpr const char* doc =
      "The inverse hyperbolic cosine, elementwise.\n\n"
      ">>> fngrad.acosh(fngrad.tensor([1., 2.]))\n"
      "tensor([0.0000, 1.3170])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::acosh(x); }
  template <typename T> T backward(T x, T, T g) const { return g / std::sqrt(x * x - T(1)); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return mul(g, apply_Rsqrt(sub(mul(x, x), Scalar::of_double(1)).get()));
  }
};

struct Atanh {
  FNGRAD_UNARY_NAMES("atanh", "AtanhBackward0")
  static constexpr const char* doc =
      "The inverse hyperbolic tangent, elementwise.\n\n"
      ">>> fngrad.atanh(fngrad.tensor([0., 0.5]))\n"
      "tensor([0.0000, 0.5493])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::atanh(x); }
  template <typename T> T backward(T x, T, T g) const { return g / (T(1) - x * x); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return div(g, sub(Scalar::of_double(1), mul(x, x)));
  }
};

struct Log2 {
  FNGRAD_UNARY_NAMES("log2", "Log2Backward0")
  static constexpr const char* doc =
      "The base-2 logarithm, elementwise.\n\n"
      ">>> fngrad.log2(fngrad.tensor([1., 8.]))\n"
      "tensor([0., 3.])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::log2(x); }
  template <typename T> T backward(T x, T, T g) const { return g / (x * T(unary_detail::kLn2)); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return div(g, unary_detail::scale(x, unary_detail::kLn2));
  }
};

struct Log10 {
  FNGRAD_UNARY_NAMES("log10", "Log10Backward0")
  static constexpr const char* doc =
      "The base-10 logarithm, elementwise.\n\n"
      ">>> fngrad.log10(fngrad.tensor([1., 100.]))\n"
      "tensor([0., 2.])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::log10(x); }
  template <typename T> T backward(T x, T, T g) const { return g / (x * T(unary_detail::kLn10)); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return div(g, unary_detail::scale(x, unary_detail::kLn10));
  }
};

struct Exp2 {
  FNGRAD_UNARY_NAMES("exp2", "Exp2Backward0")
  static constexpr const char* doc =
      "2 ** input, elementwise.\n\n"
      ">>> fngrad.exp2(fngrad.tensor([0., 3.]))\n"
      "tensor([1., 8.])";
  static constexpr Saves saves = Saves::Output;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::exp2(x); }
  template <typename T> T backward(T, T y, T g) const { return g * y * T(unary_detail::kLn2); }
  TensorRef backward_graph(TensorObject*, TensorObject* y, TensorObject* g) const {
    return mul(g, unary_detail::scale(y, unary_detail::kLn2));
  }
};

// PyTorch computes square as pow(x, 2): integer tensors stay integer, the node is PowBackward0.
struct Square {
  FNGRAD_UNARY_NAMES("square", "PowBackward0")
  static constexpr const char* doc =
      "input * input, elementwise.\n\n"
      ">>> fngrad.square(fngrad.tensor([-2., 3.]))\n"
      "tensor([4., 9.])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = false;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return x * x; }
  template <typename T> T backward(T x, T, T g) const { return g * T(2) * x; }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return mul(g, unary_detail::scale(x, 2.0));
  }
};

struct Erfc {
  FNGRAD_UNARY_NAMES("erfc", "ErfcBackward0")
  static constexpr const char* doc =
      "The complementary error function 1 - erf(input), elementwise.\n\n"
      ">>> fngrad.erfc(fngrad.tensor([0., 1.]))\n"
      "tensor([1.0000, 0.1573])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const { return std::erfc(x); }
  template <typename T> T backward(T x, T, T g) const {
    return -g * T(unary_detail::kTwoOverSqrtPi) * std::exp(-x * x);
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    TensorRef e = apply_Exp(neg(mul(x, x).get()).get());
    return mul(g, unary_detail::scale(e.get(), -unary_detail::kTwoOverSqrtPi));
  }
};

#define FNGRAD_SCALING_OP(Op, op, bw, factor, doc_)                                 \
  struct Op {                                                                       \
    FNGRAD_UNARY_NAMES(op, bw)                                                      \
    static constexpr const char* doc = doc_;                                        \
    static constexpr Saves saves = Saves::Nothing;                                  \
    static constexpr bool float_only = true;                                        \
    static constexpr bool has_contig = false;                                       \
    template <typename T> T forward(T x) const { return x * T(factor); }            \
    template <typename T> T backward(T, T, T g) const { return g * T(factor); }     \
    TensorRef backward_graph(TensorObject*, TensorObject*, TensorObject* g) const { \
      return unary_detail::scale(g, factor);                                        \
    }                                                                               \
  };
FNGRAD_SCALING_OP(Deg2rad, "deg2rad", "Deg2RadBackward0", unary_detail::kPi / 180.0,
                  "Degrees to radians, elementwise.\n\n"
                  ">>> fngrad.deg2rad(fngrad.tensor([180., 90.]))\n"
                  "tensor([3.1416, 1.5708])")
FNGRAD_SCALING_OP(Rad2deg, "rad2deg", "Rad2DegBackward0", 180.0 / unary_detail::kPi,
                  "Radians to degrees, elementwise.\n\n"
                  ">>> fngrad.rad2deg(fngrad.tensor([1.]))\n"
                  "tensor([57.2958])")
#undef FNGRAD_SCALING_OP

// The special functions (torch.lgamma, torch.special.*): scalar kernels in special_math.h. The
// torch.special-only ones are named special_<name> (PyTorch's native names; their nodes are
// Special<Name>Backward0) and have no Tensor methods; fngrad.special exposes them as <name>.
#define FNGRAD_SPECIAL_FORWARD(fn)                                     \
  template <typename T> T forward(T x) const {                         \
    return unary_detail::in_double([](double v) { return fn(v); }, x); \
  }

struct Lgamma {
  FNGRAD_UNARY_NAMES("lgamma", "LgammaBackward0")
  static constexpr const char* doc =
      "The log of the absolute value of the gamma function, elementwise (inf at 0, -1, -2, ...).\n\n"
      ">>> fngrad.lgamma(fngrad.tensor([1., 4., 0.5]))\n"
      "tensor([0.0000, 1.7918, 0.5724])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  FNGRAD_SPECIAL_FORWARD(special::lgamma)
  template <typename T> T backward(T x, T, T g) const { return g * unary_detail::in_double(special::digamma, x); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const { return mul(g, apply_Digamma(x)); }
};

struct Digamma {
  FNGRAD_UNARY_NAMES("digamma", "DigammaBackward0")
  static constexpr const char* doc =
      "The logarithmic derivative of the gamma function, psi(x) = lgamma'(x), elementwise.\n\n"
      ">>> fngrad.digamma(fngrad.tensor([1., 2.]))\n"
      "tensor([-0.5772,  0.4228])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  FNGRAD_SPECIAL_FORWARD(special::digamma)
  template <typename T> T backward(T x, T, T g) const {
    return g * unary_detail::in_double([](double v) { return special::polygamma(1, v); }, x);
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const { return mul(g, polygamma(x, 1)); }
};

struct Erfinv {
  FNGRAD_UNARY_NAMES("erfinv", "ErfinvBackward0")
  static constexpr const char* doc =
      "The inverse error function, elementwise: erf(erfinv(x)) = x on [-1, 1].\n\n"
      ">>> fngrad.erfinv(fngrad.tensor([0., 0.5, -1.]))\n"
      "tensor([0.0000, 0.4769,   -inf])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  FNGRAD_SPECIAL_FORWARD(special::erfinv)
  template <typename T> T backward(T x, T, T g) const {
    return g * unary_detail::in_double(
                   [](double v) {
                     const double y = special::erfinv(v);
                     return 0.5 * special::kSqrtPi * std::exp(y * y);
                   },
                   x);
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    TensorRef y = apply_Erfinv(x);
    return mul(g, unary_detail::scale(apply_Exp(mul(y, y).get()).get(), 0.5 * special::kSqrtPi));
  }
};

struct I0 {
  FNGRAD_UNARY_NAMES("i0", "I0Backward0")
  static constexpr const char* doc =
      "The modified Bessel function of the first kind of order 0, elementwise.\n\n"
      ">>> fngrad.i0(fngrad.tensor([0., 1., 2.]))\n"
      "tensor([1.0000, 1.2661, 2.2796])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  FNGRAD_SPECIAL_FORWARD(special::i0)
  template <typename T> T backward(T x, T, T g) const { return g * unary_detail::in_double(special::i1, x); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const { return mul(g, apply_SpecialI1(x)); }
};

// sin(pi x) / (pi x) in the input's own precision, as PyTorch computes it (so large float32
// arguments round pi * x as PyTorch does).
struct Sinc {
  FNGRAD_UNARY_NAMES("sinc", "SincBackward0")
  static constexpr const char* doc =
      "The normalized sinc function sin(pi x) / (pi x), elementwise (1 at 0).\n\n"
      ">>> fngrad.sinc(fngrad.tensor([0., 0.5, 1.5]))\n"
      "tensor([ 1.0000,  0.6366, -0.2122])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  template <typename T> T forward(T x) const {
    if (x == T(0)) return T(1);
    const T px = T(unary_detail::kPi) * x;
    return std::sin(px) / px;
  }
  template <typename T> T backward(T x, T, T g) const {
    if (x == T(0)) return T(0);
    const T px = T(unary_detail::kPi) * x;
    return g * (px * std::cos(px) - std::sin(px)) / (px * x);
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    TensorRef px = unary_detail::scale(x, unary_detail::kPi);
    TensorRef d = div(sub(mul(px, apply_Cos(px.get())).get(), apply_Sin(px.get())).get(), mul(px, x).get());
    return mul(g, where(compare(CompareKind::Eq, x, Scalar::of_double(0)).get(), Scalar::of_double(0), d).get());
  }
};

struct SpecialEntr {
  FNGRAD_UNARY_NAMES("special_entr", "SpecialEntrBackward0")
  static constexpr const char* doc =
      "The elementwise entropy -x log(x): 0 at 0, -inf for negative x.\n\n"
      ">>> fngrad.special.entr(fngrad.tensor([0., 0.5, -1.]))\n"
      "tensor([0.0000, 0.3466,   -inf])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  static constexpr bool tensor_methods = false;
  FNGRAD_SPECIAL_FORWARD(special::entr)
  template <typename T> T backward(T x, T, T g) const { return -g * (T(1) + std::log(x)); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return neg(mul(g, add(apply_Log(x).get(), Scalar::of_double(1))).get());
  }
};

// PyTorch composes ndtr from erf (its node is MulBackward1); fngrad computes it in one kernel
// (erfc in the tails: no cancellation) with its own node.
struct SpecialNdtr {
  FNGRAD_UNARY_NAMES("special_ndtr", "SpecialNdtrBackward0")
  static constexpr const char* doc =
      "The standard normal cumulative distribution function, elementwise.\n\n"
      ">>> fngrad.special.ndtr(fngrad.tensor([0., 1., -2.]))\n"
      "tensor([0.5000, 0.8413, 0.0228])";
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  static constexpr bool tensor_methods = false;
  FNGRAD_SPECIAL_FORWARD(special::ndtr)
  template <typename T> T backward(T x, T, T g) const {
    return g * T(unary_detail::kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    TensorRef pdf = apply_Exp(unary_detail::scale(mul(x, x).get(), -0.5).get());
    return mul(g, unary_detail::scale(pdf.get(), unary_detail::kInvSqrt2Pi));
  }
};

struct SpecialNdtri {
  FNGRAD_UNARY_NAMES("special_ndtri", "SpecialNdtriBackward0")
  static constexpr const char* doc =
      "The inverse of the standard normal CDF (the normal quantile function), elementwise.\n\n"
      ">>> fngrad.special.ndtri(fngrad.tensor([0.5, 0.975, 0.]))\n"
      "tensor([0.0000, 1.9600,   -inf])";
  static constexpr Saves saves = Saves::Output;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  static constexpr bool tensor_methods = false;
  FNGRAD_SPECIAL_FORWARD(special::ndtri)
  template <typename T> T backward(T, T y, T g) const { return g * T(special::kSqrt2Pi) * std::exp(T(0.5) * y * y); }
  TensorRef backward_graph(TensorObject*, TensorObject* y, TensorObject* g) const {
    TensorRef e = apply_Exp(unary_detail::scale(mul(y, y).get(), 0.5).get());
    return mul(g, unary_detail::scale(e.get(), special::kSqrt2Pi));
  }
};

struct SpecialLogNdtr {
  FNGRAD_UNARY_NAMES("special_log_ndtr", "SpecialLogNdtrBackward0")
  static constexpr const char* doc =
      "log(ndtr(x)), elementwise, accurate far into the lower tail.\n\n"
      ">>> fngrad.special.log_ndtr(fngrad.tensor([0., -10.]))\n"
      "tensor([ -0.6931, -53.2313])";
  static constexpr Saves saves = Saves::Both;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  static constexpr bool tensor_methods = false;
  FNGRAD_SPECIAL_FORWARD(special::log_ndtr)
  // pdf(x) / ndtr(x) = exp(-x^2/2 - log_ndtr(x)) / sqrt(2 pi)
  template <typename T> T backward(T x, T y, T g) const {
    return g * T(unary_detail::kInvSqrt2Pi) * std::exp(-(y + T(0.5) * x * x));
  }
  TensorRef backward_graph(TensorObject* x, TensorObject* y, TensorObject* g) const {
    TensorRef e = apply_Exp(neg(add(y, unary_detail::scale(mul(x, x).get(), 0.5).get()).get()).get());
    return mul(g, unary_detail::scale(e.get(), unary_detail::kInvSqrt2Pi));
  }
};

struct SpecialErfcx {
  FNGRAD_UNARY_NAMES("special_erfcx", "SpecialErfcxBackward0")
  static constexpr const char* doc =
      "The scaled complementary error function exp(x^2) erfc(x), elementwise.\n\n"
      ">>> fngrad.special.erfcx(fngrad.tensor([0., 1., 30.]))\n"
      "tensor([1.0000, 0.4276, 0.0188])";
  static constexpr Saves saves = Saves::Both;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  static constexpr bool tensor_methods = false;
  FNGRAD_SPECIAL_FORWARD(special::erfcx)
  template <typename T> T backward(T x, T y, T g) const { return g * (T(2) * x * y - T(unary_detail::kTwoOverSqrtPi)); }
  TensorRef backward_graph(TensorObject* x, TensorObject* y, TensorObject* g) const {
    TensorRef d =
        add(unary_detail::scale(mul(x, y).get(), 2.0).get(), Scalar::of_double(-unary_detail::kTwoOverSqrtPi));
    return mul(g, d);
  }
};

struct SpecialI0e {
  FNGRAD_UNARY_NAMES("special_i0e", "SpecialI0EBackward0")
  static constexpr const char* doc =
      "The exponentially scaled modified Bessel function exp(-|x|) i0(x), elementwise.\n\n"
      ">>> fngrad.special.i0e(fngrad.tensor([0., 1., 100.]))\n"
      "tensor([1.0000, 0.4658, 0.0399])";
  static constexpr Saves saves = Saves::Both;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  static constexpr bool tensor_methods = false;
  FNGRAD_SPECIAL_FORWARD(special::i0e)
  template <typename T> T backward(T x, T y, T g) const {
    const T sign = x > T(0) ? T(1) : x < T(0) ? T(-1) : T(0);
    return g * (unary_detail::in_double(special::i1e, x) - sign * y);
  }
  TensorRef backward_graph(TensorObject* x, TensorObject* y, TensorObject* g) const {
    return mul(g, sub(apply_SpecialI1e(x).get(), mul(apply_Sign(x).get(), y).get()).get());
  }
};

// i1'(x) = i0(x) - i1(x) / x, 1/2 at 0.
struct SpecialI1 {
  FNGRAD_UNARY_NAMES("special_i1", "SpecialI1Backward0")
  static constexpr const char* doc =
      "The modified Bessel function of the first kind of order 1, elementwise.\n\n"
      ">>> fngrad.special.i1(fngrad.tensor([0., 1., -2.]))\n"
      "tensor([ 0.0000,  0.5652, -1.5906])";
  static constexpr Saves saves = Saves::Both;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  static constexpr bool tensor_methods = false;
  FNGRAD_SPECIAL_FORWARD(special::i1)
  template <typename T> T backward(T x, T y, T g) const {
    if (x == T(0)) return T(0.5) * g;
    return g * (unary_detail::in_double(special::i0, x) - y / x);
  }
  TensorRef backward_graph(TensorObject* x, TensorObject* y, TensorObject* g) const {
    TensorRef d = sub(apply_I0(x).get(), div(y, x).get());
    return mul(g, where(compare(CompareKind::Eq, x, Scalar::of_double(0)).get(), Scalar::of_double(0.5), d).get());
  }
};

// i1e'(x) = i0e(x) - i1e(x) (sign(x) + 1/x), 1/2 at 0.
struct SpecialI1e {
  FNGRAD_UNARY_NAMES("special_i1e", "SpecialI1EBackward0")
  static constexpr const char* doc =
      "The exponentially scaled modified Bessel function exp(-|x|) i1(x), elementwise.\n\n"
      ">>> fngrad.special.i1e(fngrad.tensor([0., 1., -100.]))\n"
      "tensor([ 0.0000,  0.2079, -0.0397])";
  static constexpr Saves saves = Saves::Both;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  static constexpr bool tensor_methods = false;
  FNGRAD_SPECIAL_FORWARD(special::i1e)
  template <typename T> T backward(T x, T y, T g) const {
    if (x == T(0)) return T(0.5) * g;
    const T sign = x > T(0) ? T(1) : T(-1);
    return g * (unary_detail::in_double(special::i0e, x) - y * (sign + T(1) / x));
  }
  TensorRef backward_graph(TensorObject* x, TensorObject* y, TensorObject* g) const {
    TensorRef d =
        sub(apply_SpecialI0e(x).get(), mul(y, add(apply_Sign(x).get(), apply_Reciprocal(x).get()).get()).get());
    return mul(g, where(compare(CompareKind::Eq, x, Scalar::of_double(0)).get(), Scalar::of_double(0.5), d).get());
  }
};

#undef FNGRAD_SPECIAL_FORWARD

// Below: ops with parameters, called explicitly (not in FNGRAD_UNARY_OPS).

// polygamma(n, x), the n-th derivative of digamma; differentiable in x only.
struct Polygamma {
  FNGRAD_UNARY_NAMES("polygamma", "PolygammaBackward0")
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  int64_t n = 0;
  template <typename T> T forward(T x) const {
    return unary_detail::in_double([this](double v) { return special::polygamma(n, v); }, x);
  }
  template <typename T> T backward(T x, T, T g) const {
    return g * unary_detail::in_double([this](double v) { return special::polygamma(n + 1, v); }, x);
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    return mul(g, polygamma(x, n + 1));
  }
};

struct LeakyRelu {
  FNGRAD_UNARY_NAMES("leaky_relu", "LeakyReluBackward0")
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  double slope = 0.01;
  template <typename T> T forward(T x) const { return x > T(0) ? x : T(slope) * x; }
  template <typename T> T backward(T x, T, T g) const { return x > T(0) ? g : T(slope) * g; }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    TensorRef m = unary_detail::float_mask(CompareKind::Gt, x, 0, g->dtype);  // 1 where x > 0
    return mul(g, add(unary_detail::scale(m.get(), 1 - slope), Scalar::of_double(slope)));
  }
};

struct Elu {
  FNGRAD_UNARY_NAMES("elu", "EluBackward0")
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = true;
  double alpha = 1.0;
  // As PyTorch: the negative branch where x <= 0, the identity elsewhere (NaN included).
  template <typename T> T forward(T x) const { return x <= T(0) ? T(alpha) * std::expm1(x) : x; }
  template <typename T> T backward(T x, T, T g) const { return x <= T(0) ? g * T(alpha) * std::exp(x) : g; }
  template <typename T> void forward_contig(const T* x, T* y, int64_t n) const {
    const T a = T(alpha);
    unary_detail::chunked(
        x, y, n, vmath::Fn::Expm1, [](T v) { return v <= T(0) ? v : T(0); },
        [&](int64_t i, T em1) { return x[i] <= T(0) ? a * em1 : x[i]; });
  }
  template <typename T> void backward_contig(const T* x, const T*, const T* g, T* out, int64_t n) const {
    const T a = T(alpha);
    unary_detail::chunked(
        x, out, n, vmath::Fn::Exp, [](T v) { return v <= T(0) ? v : T(0); },
        [&](int64_t i, T e) { return x[i] <= T(0) ? g[i] * a * e : g[i]; });
  }
  // PyTorch's elu_double_backward differentiates the negative branch where x < 0 only: at 0 the
  // slope is alpha, a constant.
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    TensorRef neg_slope = unary_detail::scale(apply_Exp(x).get(), alpha);
    TensorRef ones = full(x->sizes, g->dtype, 1.0);
    TensorRef at_zero = where(compare(CompareKind::Eq, x, Scalar::of_double(0)).get(), Scalar::of_double(alpha), ones);
    TensorRef factor = where(compare(CompareKind::Lt, x, Scalar::of_double(0)).get(), neg_slope, at_zero);
    return mul(g, factor);
  }
};

struct Gelu {
  FNGRAD_UNARY_NAMES("gelu", "GeluBackward0")
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = true;
  bool tanh_approx = false;
  template <typename T> T forward(T x) const {
    using namespace unary_detail;
    if (tanh_approx) return T(0.5) * x * (T(1) + std::tanh(T(kSqrt2OverPi) * (x + T(kGeluC) * x * x * x)));
    return T(0.5) * x * (T(1) + std::erf(x * T(kSqrt1_2)));
  }
  template <typename T> T backward(T x, T, T g) const {
    using namespace unary_detail;
    if (tanh_approx) {
      T t = std::tanh(T(kSqrt2OverPi) * (x + T(kGeluC) * x * x * x));
      return g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * T(kSqrt2OverPi) * (T(1) + T(3 * kGeluC) * x * x));
    }
    T cdf = T(0.5) * (T(1) + std::erf(x * T(kSqrt1_2)));
    T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
    return g * (cdf + x * pdf);
  }
  template <typename T> void forward_contig(const T* x, T* y, int64_t n) const {
    using namespace unary_detail;
    if (tanh_approx) {
      chunked(
          x, y, n, vmath::Fn::Tanh, [](T v) { return T(kSqrt2OverPi) * (v + T(kGeluC) * v * v * v); },
          [&](int64_t i, T t) { return T(0.5) * x[i] * (T(1) + t); });
    } else {
      chunked(
          x, y, n, vmath::Fn::Erf, [](T v) { return v * T(kSqrt1_2); },
          [&](int64_t i, T e) { return T(0.5) * x[i] * (T(1) + e); });
    }
  }
  template <typename T> void backward_contig(const T* x, const T*, const T* g, T* out, int64_t n) const {
    using namespace unary_detail;
    if (tanh_approx) {
      chunked(
          x, out, n, vmath::Fn::Tanh, [](T v) { return T(kSqrt2OverPi) * (v + T(kGeluC) * v * v * v); },
          [&](int64_t i, T t) {
            T v = x[i];
            return g[i] * (T(0.5) * (T(1) + t) +
                           T(0.5) * v * (T(1) - t * t) * T(kSqrt2OverPi) * (T(1) + T(3 * kGeluC) * v * v));
          });
    } else {
      // out may be g itself (the engine reuses the incoming gradient): keep both factors in scratch.
      T pdf[vmath::kChunk], cdf[vmath::kChunk];
      for (int64_t i = 0; i < n; i += vmath::kChunk) {
        const int64_t m = std::min<int64_t>(vmath::kChunk, n - i);
        for (int64_t k = 0; k < m; k++) {
          pdf[k] = T(-0.5) * x[i + k] * x[i + k];
          cdf[k] = x[i + k] * T(kSqrt1_2);
        }
        vmath::apply(vmath::Fn::Exp, pdf, pdf, m);
        vmath::apply(vmath::Fn::Erf, cdf, cdf, m);
        for (int64_t k = 0; k < m; k++)
          out[i + k] = g[i + k] * (T(0.5) * (T(1) + cdf[k]) + x[i + k] * T(kInvSqrt2Pi) * pdf[k]);
      }
    }
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    using namespace unary_detail;
    if (tanh_approx) {
      TensorRef x3 = mul(x, mul(x, x).get());
      TensorRef t = apply_Tanh(scale(add(x, scale(x3.get(), kGeluC)).get(), kSqrt2OverPi).get());
      TensorRef left = scale(add(t, Scalar::of_double(1)).get(), 0.5);
      TensorRef dt = sub(Scalar::of_double(1), mul(t, t));
      TensorRef du = add(scale(mul(x, x).get(), 3 * kGeluC * kSqrt2OverPi), Scalar::of_double(kSqrt2OverPi));
      TensorRef right = mul(scale(x, 0.5), mul(dt, du));
      return mul(g, add(left, right));
    }
    TensorRef cdf = scale(add(apply_Erf(scale(x, kSqrt1_2).get()), Scalar::of_double(1)).get(), 0.5);
    TensorRef pdf = scale(apply_Exp(scale(mul(x, x).get(), -0.5).get()).get(), kInvSqrt2Pi);
    return mul(g, add(cdf, mul(x, pdf)));
  }
};

struct Softplus {
  FNGRAD_UNARY_NAMES("softplus", "SoftplusBackward0")
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = true;
  static constexpr bool has_contig = false;
  double beta = 1.0, threshold = 20.0;
  // Above the threshold softplus is x to working precision (and exp would overflow).
  template <typename T> T forward(T x) const {
    T bx = T(beta) * x;
    return bx > T(threshold) ? x : std::log1p(std::exp(bx)) / T(beta);
  }
  template <typename T> T backward(T x, T, T g) const {
    T bx = T(beta) * x;
    return bx > T(threshold) ? g : g * unary_detail::sigmoid(bx);
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    TensorRef bx = unary_detail::scale(x, beta);
    TensorRef over = unary_detail::float_mask(CompareKind::Gt, bx.get(), threshold, g->dtype);
    TensorRef s = apply_Sigmoid(bx.get());
    return mul(g, add(over, mul(sub(Scalar::of_double(1), over), s)));
  }
};

// x ** exponent for a Python number exponent.
struct PowScalar {
  FNGRAD_UNARY_NAMES("pow", "PowBackward0")
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = false;
  static constexpr bool has_contig = false;
  double exponent = 1.0;
  template <typename T> T forward(T x) const {
    if constexpr (std::is_integral_v<T>) {
      T result = 1, base = x;
      for (int64_t e = static_cast<int64_t>(exponent); e > 0; e >>= 1) {
        if (e & 1) result *= base;
        base *= base;
      }
      return result;
    } else {
      if (exponent == 2) return x * x;
      if (exponent == 0.5) return std::sqrt(x);
      return std::pow(x, T(exponent));
    }
  }
  template <typename T> T backward(T x, T, T g) const {
    if (exponent == 0) return T(0);
    if (exponent == 2) return g * T(2) * x;
    return g * T(exponent) * std::pow(x, T(exponent - 1));
  }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    if (exponent == 0) return unary_detail::scale(g, 0.0);
    return mul(g, unary_detail::scale(pow_scalar(x, exponent - 1).get(), exponent));
  }
};

// clamp(min, max): either bound may be absent. Gradient passes where min <= x <= max, as in
// PyTorch (a NaN input gets no gradient). Bounds are kept per kind of T (an absent bound is
// infinite, or the integer extreme), so that the loop has no branches.
struct Clamp {
  FNGRAD_UNARY_NAMES("clamp", "ClampBackward1")
  static constexpr Saves saves = Saves::Input;
  static constexpr bool float_only = false;
  static constexpr bool has_contig = false;
  bool has_lo = false, has_hi = false;
  bool nan_bound = false;  // a NaN bound makes every (floating) result NaN, as in PyTorch
  Scalar lo, hi;
  double lo_f = -INFINITY, hi_f = INFINITY;
  int64_t lo_i = std::numeric_limits<int64_t>::min(), hi_i = std::numeric_limits<int64_t>::max();
  void set_bounds(const Scalar* min, const Scalar* max) {
    if (min != nullptr) {
      has_lo = true;
      lo = *min;
      lo_f = min->to<double>();
      lo_i = min->kind == Scalar::Float ? static_cast<int64_t>(std::ceil(min->d)) : min->i;
      nan_bound = nan_bound || lo_f != lo_f;
    }
    if (max != nullptr) {
      has_hi = true;
      hi = *max;
      hi_f = max->to<double>();
      hi_i = max->kind == Scalar::Float ? static_cast<int64_t>(std::floor(max->d)) : max->i;
      nan_bound = nan_bound || hi_f != hi_f;
    }
  }
  template <typename T> T low() const {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(lo_i);
    else
      return static_cast<T>(lo_f);
  }
  template <typename T> T high() const {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(hi_i);
    else
      return static_cast<T>(hi_f);
  }
  // The comparisons are false for NaN, so a NaN input passes through unchanged (as in PyTorch).
  template <typename T> T forward(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (nan_bound) return std::numeric_limits<T>::quiet_NaN();
    }
    const T l = low<T>(), h = high<T>();
    x = x < l ? l : x;
    return x > h ? h : x;
  }
  template <typename T> T backward(T x, T, T g) const { return (x >= low<T>() && x <= high<T>()) ? g : T(0); }
  TensorRef backward_graph(TensorObject* x, TensorObject*, TensorObject* g) const {
    TensorRef factor = full(x->sizes, g->dtype, 1.0);
    if (has_lo) factor = mul(factor, to_dtype(compare(CompareKind::Ge, x, lo).get(), g->dtype));
    if (has_hi) factor = mul(factor, to_dtype(compare(CompareKind::Le, x, hi).get(), g->dtype));
    return mul(g, factor);
  }
};

#undef FNGRAD_UNARY_NAMES

// apply_<Op> chosen by the op's type: what code generated over the table calls.
#define FNGRAD_UNARY_OVERLOADS(Op)                                                \
  inline TensorRef unary_op(TensorObject* x, const Op&) { return apply_##Op(x); } \
  inline void unary_op_(TensorObject* x, const Op&) { apply_##Op##_(x); }
FNGRAD_UNARY_OPS(FNGRAD_UNARY_OVERLOADS)
#undef FNGRAD_UNARY_OVERLOADS

}  // namespace ops
}  // namespace fngrad
