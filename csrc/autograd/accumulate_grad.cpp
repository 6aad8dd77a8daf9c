#include "autograd/accumulate_grad.h"

#include <limits>

#include "autograd/engine_hooks.h"
#include "autograd/grad_math.h"
#include "autograd/grad_utils.h"
#include "core/grad_mode.h"
#include "core/parallel.h"

namespace fngrad {
namespace autograd {

AccumulateGrad::AccumulateGrad(TensorRef variable) : variable_(std::move(variable)) {
  // Leaves accumulate as soon as their gradient is complete: run before any other ready node.
  set_sequence_nr(std::numeric_limits<uint64_t>::max());
  add_input_meta(variable_.get());
}

AccumulateGrad::~AccumulateGrad() {
  // See Note [AccumulateGrad].
  if (variable_ && variable_->grad_accumulator == this) variable_->grad_accumulator = nullptr;
}

// Note [Concurrent accumulation]
// Backward passes in several threads can accumulate into the same leaf. The engine holds the
// GIL, but kernels on large tensors release it, so an in-place add into .grad could interleave
// with another thread's: the add runs with the GIL pinned. The copy that becomes a first .grad
// may release it (the copy is private until stored); if another thread stored a .grad
// meanwhile, the copy is added to that one instead.
void accumulate_into_grad(TensorObject* t, TensorRef grad, bool create_graph) {
  if (t->grad == nullptr) {
    TensorRef first;
    if (!create_graph) drop_unshared_base(grad.get());
    if (!create_graph && can_reuse(grad)) {
      first = std::move(grad);  // nobody else sees this gradient: keep it as .grad
    } else if (create_graph) {
      first = grad_math::clone(grad.get());
    } else {
      first = contiguous_copy(grad.get());
    }
    if (t->grad == nullptr) {
      t->grad = first.release();
      return;
    }
    grad = std::move(first);
  }
  PinGil pin;
  TensorObject* old = as_tensor(t->grad);
  if (!create_graph) {
    grad_math::add_(old, grad.get());
    return;
  }
  // Under create_graph .grad is replaced, so that a graph through the old value stays intact.
  TensorRef sum = grad_math::add(old, grad.get());
  PyObject* prev = t->grad;
  t->grad = sum.release();
  Py_DECREF(prev);
}

GradList AccumulateGrad::apply(GradList&& grads) {
  TensorObject* t = variable_.get();
  accumulate_into_grad(t, std::move(grads[0]), GradMode::is_enabled());
  run_post_accumulate_hooks(t);
  return GradList();
}

}  // namespace autograd
}  // namespace fngrad
