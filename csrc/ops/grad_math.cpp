// The ops that autograd/grad_math.h declares for the layer below (Note [Layers], autograd/grad_math.h).
#include "autograd/grad_math.h"

#include "ops/ops.h"

namespace fngrad {
namespace autograd {
namespace grad_math {

TensorRef add(TensorObject* a, TensorObject* b) { return ops::add(a, b); }
void add_(TensorObject* self, TensorObject* other) { ops::add_(self, other); }
TensorRef clone(TensorObject* x) { return ops::clone(x); }
TensorRef sum_to(TensorObject* x, const DimVec& shape) { return ops::sum_to(x, shape); }
TensorRef to_dtype(TensorObject* x, DType dtype) { return ops::to_dtype(x, dtype); }
void refresh_view_history(TensorObject* t) { ops::refresh_view_history(t); }

}  // namespace grad_math
}  // namespace autograd
}  // namespace fngrad
