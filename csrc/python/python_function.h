// PyFunctionNode: the node that Function.apply records. Its backward calls the user's Python
// backward(ctx, *grads) and checks what comes back.
//
// Note [GIL in PyFunctionNode]
// The node owns the ctx (a Python object) and the saved tensors (Python objects). The engine
// runs with the GIL held, so apply() and the destructor touch them directly; the destructor
// still checks Py_IsInitialized(), because a graph can outlive the interpreter's teardown.
#pragma once

#include "autograd/saved_tensor.h"
#include "python/node_type.h"

namespace fngrad {
namespace autograd {

class PyFunctionNode : public Node {
 public:
  explicit PyFunctionNode(FunctionCtxObject* ctx);
  ~PyFunctionNode() override;

  GradList apply(GradList&& grads) override;
  std::string name() const override;
  void release_saved() override;
  bool runs_on_undefined() const override { return true; }
  PyObject* python_object() override;
  // "saved_tensors" and the outputs stored on ctx: the ctx's own attributes (PyTorch's Python
  // Function nodes have no _saved_* attributes).
  void visit_saved(SavedValueVisitor& v) const override;

 protected:
  int traverse_owned(visitproc visit, void* arg) override;

 public:
  FunctionCtxObject* ctx() const { return ctx_; }
  // Unpacks the saved tensors into a new tuple (ctx.saved_tensors).
  PyObject* unpack_saved();

  // The ctx attribute output_attrs[name] (Note [Outputs stored on ctx]).
  PyObject* unpack_attr(Py_ssize_t index, PyObject* name);

  // Filled by Function.apply.
  SmallVec<SavedTensor, 2> saved;
  SmallVec<SavedTensor, 1> attr_saved;
  bool saved_released = false;
  // Per forward argument: whether it was a tensor (and so has a next edge).
  SmallVec<bool, 4> arg_is_tensor;
  // Per forward output: the node input that receives its gradient, or -1 for a non-tensor.
  SmallVec<int32_t, 2> output_input_nr;

 private:
  FunctionCtxObject* ctx_;  // owned, see Note [Node Python object]
};

// Function.apply(cls, *args): runs forward and records a PyFunctionNode.
PyObject* function_apply(PyObject* cls, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames);

}  // namespace autograd
}  // namespace fngrad
