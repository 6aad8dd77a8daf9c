// What the engine does around running a node: hooks, error context and anomaly checks.
//
// Note [Hook order]
// For each node, as in PyTorch's engine: tensor hooks (register_hook) on the gradients the
// node received, then retain_grad updates, then the node's pre-hooks, the node itself (an
// AccumulateGrad then runs the leaf's post-accumulate-grad hooks), then the node's post-hooks.
// Hooks live in Python dicts owned by the node (or, for a leaf, by the tensor), keyed by the id
// of their RemovableHandle; they run in registration order.
//
// Note [Backward error context]
// An exception raised while a node runs (by the user's backward, a hook or a native formula)
// reaches the caller with its own type and traceback, plus a note saying which node it was and
// where the user created it: "while running backward of MyFnBackward (created at model.py:42)".
// Under anomaly mode the note also carries the forward traceback of that node.
#pragma once

#include "autograd/node.h"

namespace fngrad {
namespace autograd {

// Runs the tensor hooks and retain_grad updates on the gradients a node received.
void run_tensor_pre_hooks(Node* node, GradList& grads);
// Runs node->apply(grads) with the node's pre- and post-hooks, adding the error context.
GradList call_node(Node* node, GradList&& grads);
// Under anomaly mode, raises if a gradient the node returned contains NaN.
void check_anomaly(Node* node, const GradList& grads);
// Runs the post-accumulate-grad hooks of leaf t.
void run_post_accumulate_hooks(TensorObject* t);

// The node the engine is running on this thread, or null outside backward.
Node* running_node();
// Whether (code, lasti) is the user frame that called backward on this thread: ops created by
// native backward formulas would otherwise all point there (see Note [Creation site]).
bool is_backward_call_site(PyObject* code, int lasti);

// Sets running_node() for its lifetime: ops created meanwhile (by a backward formula, or when
// the engine sums or converts that node's gradients) take that node's creation site.
class RunningNodeScope {
 public:
  explicit RunningNodeScope(Node* n);
  ~RunningNodeScope();
  RunningNodeScope(const RunningNodeScope&) = delete;
  RunningNodeScope& operator=(const RunningNodeScope&) = delete;

 private:
  Node* prev_;
};

// Marks the engine as running on this thread for its lifetime.
class EngineRunScope {
 public:
  EngineRunScope();
  ~EngineRunScope();
  EngineRunScope(const EngineRunScope&) = delete;
  EngineRunScope& operator=(const EngineRunScope&) = delete;

 private:
  Node* prev_node_;
  PyObject* prev_code_;
  int prev_lasti_;
};

}  // namespace autograd
}  // namespace fngrad
