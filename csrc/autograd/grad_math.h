// The tensor arithmetic autograd runs on gradients: summing two, summing one down to a shape,
// casting, cloning, and refreshing a view's history. Under create_graph (grad mode on) they
// record their own backward nodes, as the ops do.
//
// Note [Layers]
// The csrc directories are layers: core <- autograd <- ops <- python, each including only from
// itself and the layers below (tests/test_imports.py checks it). Every op records its autograd
// node, so ops/ sits above autograd/; the engine still needs a few ops on gradients. Where a
// lower layer needs something that only an upper one can do, a header in the lower layer
// declares it and the upper layer defines it: these functions are defined in ops/grad_math.cpp
// by forwarding to the ops, and ops/matmul_kernel.h's kernel in python/ (NumPy interop).
#pragma once

#include "core/tensor.h"

namespace fngrad {
namespace autograd {
namespace grad_math {

TensorRef add(TensorObject* a, TensorObject* b);
// self += other, in place (bumps self's version).
void add_(TensorObject* self, TensorObject* other);
TensorRef clone(TensorObject* x);
// Sums x down to shape (x's shape broadcasts from it).
TensorRef sum_to(TensorObject* x, const DimVec& shape);
TensorRef to_dtype(TensorObject* x, DType dtype);
// See Note [In-place on views] (ops/index.cpp).
void refresh_view_history(TensorObject* t);

}  // namespace grad_math
}  // namespace autograd
}  // namespace fngrad
