// Python objects for graph nodes (grad_fn): _C.Node, and _C._FunctionBase, the ctx of a
// Python Function, which is also the grad_fn of that Function's outputs.
//
// Note [Node Python object]
// A native node gets a wrapper on first access; the wrapper owns the node and the node keeps a
// raw pointer back (cleared when the wrapper dies), so `y.grad_fn is y.grad_fn` holds while the
// wrapper lives. A Python Function's node owns its ctx instead (the ctx must live as long as
// the node, for backward), and the ctx keeps a raw pointer to the node, cleared when the node
// dies.
//
// Note [Native node classes]
// Each native node name has its own Python class, a subclass of _C.Node named as PyTorch names
// it (MulBackward0, AccumulateGrad; __module__ 'builtins' as in PyTorch), so that
// `type(y.grad_fn).__name__` and isinstance checks read as on PyTorch. The class is made on the
// first wrapper of a node with that name and cached by name; making a wrapper costs one lookup
// of that name. A Python Function's node is its ctx, an instance of the <Name>Backward class
// that FunctionMeta makes.
#pragma once

#include "autograd/node.h"

namespace fngrad {

struct NodeObject {
  PyObject_HEAD autograd::Node* node;  // owned when owns_node, else borrowed (Note [Node Python object])
  bool owns_node;
  PyObject* weakreflist;
};

struct FunctionCtxObject {
  NodeObject base;
  PyObject* to_save;             // tuple given to save_for_backward, until apply() takes it
  PyObject* dirty;               // tuple given to mark_dirty
  PyObject* non_differentiable;  // tuple given to mark_non_differentiable
  PyObject* needs_input_grad;    // tuple, set by apply() before forward runs
  PyObject* saved_for_forward;   // tuple given to save_for_forward
  PyObject* output_attrs;        // dict: attribute name -> index into the node's attr_saved
  bool materialize_grads;
  bool forward_done;  // apply() finished: saved_tensors reads the node from now on
  int flags;          // kCtxClearSavedOnAccess | kCtxBoxedGrads, from the Function class
  PyObject* dict;
};

// Function class attributes that change how backward runs (PyTorch's names):
// clear_saved_tensors_on_access and boxed_grads_call.
constexpr int kCtxClearSavedOnAccess = 1;
constexpr int kCtxBoxedGrads = 2;
// Not a backward flag: apply binds forward's defaults (a Function with setup_context, as PyTorch's).
constexpr int kApplyBindsDefaults = 4;

extern PyTypeObject* NodeType;
extern PyTypeObject* FunctionBaseType;

void init_node_types(PyObject* module);
// A new reference to the Python object standing for a native node.
PyObject* wrap_native_node(autograd::Node* node);

}  // namespace fngrad
