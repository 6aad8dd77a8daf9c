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
// node released its saved tensors. It raises the same error, naming the saving node and its
// creation site, when a NumPy array sharing the memory wrote it since (Note [NumPy writes to
// saved memory], storage.h).
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
  SavedTensor()
      : requires_grad_(false),
        is_output_(false),
        was_none_(true),
        released_(false),
        had_grad_fn_(false),
        hooked_(false),
        has_strides_(false),
        guarded_(false) {}
  // Saves t (null saves None); is_output when t is an output of the node that saves it (which
  // has then recorded t's shape as its input metadata).
  // with_hooks=false ignores saved_tensors_hooks (for tensors the user did not ask to save).
  SavedTensor(TensorObject* t, bool is_output, bool with_hooks = true);
  SavedTensor(SavedTensor&& o) noexcept : SavedTensor() { *this = std::move(o); }
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
  // What few saved tensors need, allocated on first use (graph memory per node matters: a deep
  // graph has millions of saved tensors).
  struct Rare {
    // Under saved-tensor hooks (hooked_).
    PyObject* packed = nullptr;
    PyObject* unpack_hook = nullptr;
    NodeRef grad_fn;   // a saved input's grad_fn
    NodeRef leaf_acc;  // a saved leaf's AccumulateGrad
    // The strides of a saved output that was not contiguous (has_strides_).
    DimVec strides;
    // The bytes the tensor spans and their checksum, for a tensor saved while a NumPy array could
    // write its memory (guarded_).
    const void* guard_data = nullptr;
    size_t guard_nbytes = 0;
    uint64_t guard_checksum = 0;
    // A saved output's forward-AD cell (Note [Forward AD]): the unpacked tensor gets the output's
    // tangent, so that a backward run under a dual level (forward-over-reverse) sees it.
    PyObject* fw_cell = nullptr;
  };

  Rare& rare();
  Storage* root() const { return memory_root(storage_); }
  [[noreturn]] void throw_modified(uint64_t current, Node* grad_fn, uint32_t output_nr, const DimVec& sizes) const;
  void guard_numpy_writes(TensorObject* t);
  void check_numpy_writes(Node* owner, Node* grad_fn, uint32_t output_nr, const DimVec& sizes) const;
  void pack_with_hooks(TensorObject* t, PyObject* pack, PyObject* unpack);
  TensorRef unpack_with_hooks(Node* owner) const;
  void clear();

  // Saved inputs: the tensor object itself. Saved outputs: the memory and where the tensor was
  // in it; its sizes are the owner's input metadata for output_nr_.
  TensorRef original_;
  // A saved output's storage; for a saved input, the root of its memory (memory_root), so that
  // memory_root(storage_) is always the root whose saved_refs counts this tensor. Null under hooks.
  Storage* storage_ = nullptr;
  Rare* rare_ = nullptr;
  int64_t offset_ = 0;
  uint32_t saved_version_ = 0;  // as Storage::version
  uint32_t output_nr_ = 0;
  DType dtype_ = DType::Float32;
  bool requires_grad_ : 1;
  bool is_output_ : 1;
  bool was_none_ : 1;
  bool released_ : 1;
  bool had_grad_fn_ : 1;  // a saved input with history: detach_() on it is refused at unpack
  bool hooked_ : 1;       // saved under saved-tensor hooks: rare_ holds what pack returned
  bool has_strides_ : 1;  // a saved output that was not contiguous: rare_ holds its strides
  bool guarded_ : 1;      // rare_ holds a checksum (Note [NumPy writes to saved memory])
};

// The thread's saved-tensor hooks (fngrad.autograd.graph.saved_tensors_hooks).
void push_saved_tensors_hooks(PyObject* pack, PyObject* unpack);
void pop_saved_tensors_hooks();

}  // namespace autograd
}  // namespace fngrad
