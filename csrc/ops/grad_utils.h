// Helpers shared by backward formulas.
#pragma once

#include "autograd/node.h"

namespace fngrad {
namespace ops {

// Whether a gradient tensor can be overwritten in place: nobody else holds it or its memory,
// and it carries no graph. Backward formulas use it to skip an allocation.
inline bool can_reuse(const TensorRef& t) {
  return Py_REFCNT(t.obj()) == 1 && t->storage->refcount == 1 && t->storage->py_owner == nullptr &&
         t->storage->parent == nullptr && t->contiguous && t->grad_fn == nullptr && !t->requires_grad &&
         t->base == nullptr && t->offset == 0;
}

}  // namespace ops
}  // namespace fngrad
