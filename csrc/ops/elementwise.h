// Helpers of the elementwise families (the binary table in binary.cpp, comparisons, logical ops
// and where in pointwise.cpp): shapes, operand conversion and the loop over a tensor and a number.
#pragma once

#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "core/loops.h"
#include "ops/binary_ops.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

// Whether the kernel of Op (an entry of binary_ops.h or ternary_ops.h) is instantiated for T
// (see Domain).
template <typename Op, typename T> constexpr bool computes_in() {
  if constexpr (std::is_same_v<T, bool>)
    return Op::domain == Domain::All;
  else if constexpr (std::is_integral_v<T>)
    return Op::domain != Domain::Float;
  else
    return true;
}

// A saved-tensor slot of a backward node that takes no space when the op never uses it
// ([[no_unique_address]]), so that a node is as small as what its op saves.
struct NoSaved {
  void release() {}
};
template <bool Used> using SavedSlot = std::conditional_t<Used, autograd::SavedTensor, NoSaved>;

inline int scalar_category(const Scalar& s) { return s.kind == Scalar::Bool ? 0 : s.kind == Scalar::Int ? 1 : 2; }

inline DimVec result_shape(const Operand& a, const Operand& b, const char* op) {
  if (a.is_tensor() && b.is_tensor()) return broadcast_shapes(a.tensor->sizes, b.tensor->sizes, op);
  return a.is_tensor() ? a.tensor->sizes : b.tensor->sizes;
}

// The tensor side x in dtype: x itself when it already has it.
inline TensorRef operand_as(const Operand& x, DType dtype) {
  if (x.tensor->dtype == dtype) return TensorRef::borrow(x.tensor);
  return fngrad::to_dtype(x.tensor, dtype);
}

// t in the dtype kernels compute in (Note [Storage dtypes]); a recorded cast under create_graph.
inline TensorRef as_kernel_dtype(TensorRef t) {
  if (!is_storage_only(t->dtype)) return t;
  return to_dtype(t.get(), kernel_dtype(t->dtype));
}

// An in-place op on a storage dtype is its out-of-place form copied back (Note [Storage dtypes]):
// `compute(self)` gives the result, copy_ casts it into self and records CopyBackwards. Under grad
// mode the op reads a clone, so what its backward saves is not the memory copy_ overwrites.
template <typename F> void inplace_via_copy(TensorObject* self, const F& compute) {
  TensorRef current = GradMode::is_enabled() ? clone(self) : TensorRef::borrow(self);
  TensorRef result = compute(current.get());
  copy_(self, result.get());
}

// out[i] = f(a[i], b[i]) where either side may be a Python number; a tensor side has dtype T.
template <typename Tout, typename T, typename F> void run_elementwise(const TensorObject* out, const Operand& a,
                                                                      const TensorRef& at, const Operand& b,
                                                                      const TensorRef& bt, const F& f) {
  if (a.is_tensor() && b.is_tensor()) {
    map_binary<Tout, T, T>(out, at.get(), bt.get(), f);
  } else if (a.is_tensor()) {
    const T bv = b.scalar.to<T>();
    map_unary<Tout, T>(out, at.get(), [f, bv](T v) { return f(v, bv); });
  } else {
    const T av = a.scalar.to<T>();
    map_unary<Tout, T>(out, bt.get(), [f, av](T v) { return f(av, v); });
  }
}

}  // namespace ops
}  // namespace fngrad
