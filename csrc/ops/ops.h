// The differentiable operations, as C++ functions on tensors. Each records its backward node
// when grad mode is on and an input requires grad; the Python methods in
// python/tensor_type.cpp and the backward formulas of other ops call these.
#pragma once

#include "autograd/node.h"
#include "python/py_utils.h"

namespace fngrad {
namespace ops {

// One side of a binary op: a tensor, or a Python number.
struct Operand {
  TensorObject* tensor = nullptr;
  Scalar scalar;
  Operand() = default;
  Operand(TensorObject* t) : tensor(t) {}
  Operand(const TensorRef& t) : tensor(t.get()) {}
  Operand(Scalar s) : scalar(s) {}
  bool is_tensor() const { return tensor != nullptr; }
};

enum class BinaryKind { Add, Sub, Mul, Div };
enum class CompareKind { Lt, Le, Gt, Ge, Eq, Ne };

// ---- elementwise ----
TensorRef relu(TensorObject* x);
TensorRef neg(TensorObject* x);
// clamp(min=..., max=...): either bound may be absent (null), not both.
TensorRef clamp(TensorObject* x, const Scalar* min, const Scalar* max);
TensorRef binary(BinaryKind kind, const Operand& a, const Operand& b);
inline TensorRef add(const Operand& a, const Operand& b) { return binary(BinaryKind::Add, a, b); }
inline TensorRef sub(const Operand& a, const Operand& b) { return binary(BinaryKind::Sub, a, b); }
inline TensorRef mul(const Operand& a, const Operand& b) { return binary(BinaryKind::Mul, a, b); }
inline TensorRef div(const Operand& a, const Operand& b) { return binary(BinaryKind::Div, a, b); }
// Comparisons give bool tensors and are not differentiable.
TensorRef compare(CompareKind kind, const Operand& a, const Operand& b);
// The dtype binary(kind, a, b) computes in (PyTorch's promotion with Python scalars).
DType result_type(const Operand& a, const Operand& b);

// ---- in place (bump the version, refuse leaves that require grad) ----
void binary_(BinaryKind kind, TensorObject* self, const Operand& other);
void fill_(TensorObject* self, const Scalar& value);
void masked_fill_(TensorObject* self, TensorObject* mask, const Scalar& value);
void relu_(TensorObject* self);
// Refuses an in-place op on t where PyTorch does, naming op.
void check_inplace(TensorObject* t, const char* op);
// Bumps t's version counter (every in-place write does).
inline void bump_version(TensorObject* t) { t->storage->version++; }

// ---- reductions ----
// Sum over dims (all when dims is null), keeping them as size 1 when keepdim.
TensorRef sum(TensorObject* x, const DimVec* dims, bool keepdim);
// Sums x down to shape (x's shape broadcasts from it), as gradients of broadcasting are.
TensorRef sum_to(TensorObject* x, const DimVec& shape);

// ---- data movement ----
TensorRef clone(TensorObject* x);
TensorRef detach(TensorObject* x);
TensorRef to_dtype(TensorObject* x, DType dtype);
// A contiguous tensor with x's values in row-major order: x itself when already contiguous.
TensorRef contiguous(TensorObject* x);
TensorRef expand(TensorObject* x, const DimVec& shape);

// ---- views and indexing ----
TensorRef select(TensorObject* x, int64_t dim, int64_t index);
TensorRef slice(TensorObject* x, int64_t dim, int64_t start, int64_t stop, int64_t step);
TensorRef unsqueeze(TensorObject* x, int64_t dim);
TensorRef squeeze_dim(TensorObject* x, int64_t dim);
TensorRef masked_select(TensorObject* x, TensorObject* mask);
TensorRef index(TensorObject* x, PyObject* index);
void index_put(TensorObject* x, PyObject* index, PyObject* value);

// A tensor from a Python number, with PyTorch's dtype for it (float32 for floats).
TensorRef scalar_tensor(const Scalar& s, DType dtype);
DType default_dtype_for(const Scalar& s);

}  // namespace ops
}  // namespace fngrad
