// SavedTensor: a tensor kept by a node for its backward, as it was when saved.
//
// A saved input (anything that is not an output of the saving node) is kept as the tensor
// object itself and comes back as that object. A saved output is kept as data only (storage
// and geometry, no reference to the output tensor or its grad_fn, which is the saving node:
// holding either would make a reference cycle) and comes back as a new tensor that shares the
// memory and has the saving node as grad_fn.
//
// unpack() checks the version counter (Note [Version counter]) and raises PyTorch's in-place
// error if the tensor was modified since it was saved, or the backward-twice error once the
// node released its saved tensors.
//
// Under saved_tensors_hooks(pack, unpack) (a thread-local stack), the tensor is given to pack
// when it is saved, and only what pack returned is kept; unpack turns it back into a tensor,
// which gets the saved tensor's place in the graph. There is no version check then, as in
// PyTorch.
#pragma once

#include "autograd/node.h"

namespace fngrad {
namespace autograd {

extern const char* const ERR_BACKWARD_TWICE;

class SavedTensor {
 public:
  SavedTensor() = default;
  // Saves t (null saves None); is_output when t is an output of the node that saves it.
  SavedTensor(TensorObject* t, bool is_output);
  SavedTensor(SavedTensor&& o) noexcept { *this = std::move(o); }
  SavedTensor& operator=(SavedTensor&& o) noexcept;
  SavedTensor(const SavedTensor&) = delete;
  SavedTensor& operator=(const SavedTensor&) = delete;
  ~SavedTensor();

  // The saved tensor; `owner` is the node that saved it (the grad_fn of a saved output).
  // Returns an undefined ref for a saved None.
  TensorRef unpack(Node* owner) const;
  void release();
  bool was_none() const { return was_none_; }
  bool released() const { return released_; }

 private:
  [[noreturn]] void throw_modified(uint64_t current, Node* grad_fn, uint32_t output_nr) const;
  void pack_with_hooks(TensorObject* t, PyObject* pack, PyObject* unpack);
  TensorRef unpack_with_hooks(Node* owner) const;

  TensorRef original_;  // saved inputs
  // Saved outputs: the data, without autograd state.
  Storage* storage_ = nullptr;
  int64_t offset_ = 0;
  DimVec sizes_, strides_;
  DType dtype_ = DType::Float32;
  uint32_t output_nr_ = 0;
  bool requires_grad_ = false;

  uint64_t saved_version_ = 0;
  bool is_output_ = false;
  bool was_none_ = true;
  bool released_ = false;
  bool had_grad_fn_ = false;  // a saved input with history: detach_() on it is refused at unpack

  // With saved-tensor hooks: what pack returned, the unpack hook, and the graph position.
  PyObject* packed_ = nullptr;
  PyObject* unpack_hook_ = nullptr;
  NodeRef grad_fn_;   // a saved input's grad_fn
  NodeRef leaf_acc_;  // a saved leaf's AccumulateGrad
};

// The thread's saved-tensor hooks (fngrad.autograd.graph.saved_tensors_hooks).
void push_saved_tensors_hooks(PyObject* pack, PyObject* unpack);
void pop_saved_tensors_hooks();

}  // namespace autograd
}  // namespace fngrad
