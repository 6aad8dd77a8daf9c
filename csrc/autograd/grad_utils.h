// Helpers shared by backward formulas.
#pragma once

#include "autograd/node.h"

namespace fngrad {
namespace autograd {

// Whether a gradient tensor can be overwritten in place: nobody else holds it or its memory,
// and it carries no graph. Backward formulas use it to skip an allocation.
inline bool can_reuse(const TensorRef& t) {
  return Py_REFCNT(t.obj()) == 1 && t->storage->refcount == 1 && t->storage->py_owner == nullptr &&
         t->storage->parent == nullptr && t->contiguous && t->grad_fn == nullptr && !t->requires_grad &&
         t->base == nullptr && t->offset == 0;
}

// A contiguous gradient that is a view only because of how it was computed (the transpose of a
// transposed product: F.linear's weight gets its gradient so) lets go of its base when nothing
// else holds that base or the memory; can_reuse can then keep it. PyTorch keeps such a gradient
// too: it counts the holders of the tensor, not of its memory.
inline void drop_unshared_base(TensorObject* t) {
  TensorObject* b = t->base;
  if (b == nullptr || !t->contiguous || t->offset != 0 || Py_REFCNT(reinterpret_cast<PyObject*>(t)) != 1 ||
      Py_REFCNT(reinterpret_cast<PyObject*>(b)) != 1 || b->storage != t->storage || t->storage->refcount != 2 ||
      b->grad_fn != nullptr || b->requires_grad || b->grad != nullptr || b->hooks != nullptr || b->dict != nullptr)
    return;
  t->base = nullptr;
  Py_DECREF(reinterpret_cast<PyObject*>(b));
}

}  // namespace autograd
}  // namespace fngrad
