// The tensor: one Python object (TensorObject) that holds the data geometry (storage, offset,
// sizes, strides, dtype) and the autograd state (requires_grad, grad, grad_fn + output_nr).
// C++ code passes tensors as TensorObject* and owns them through TensorRef; there is no
// separate C++ tensor class, so returning a tensor to Python costs nothing.
//
// fngrad.Tensor is a Python subclass of _C.TensorBase (as torch.Tensor subclasses
// torch._C.TensorBase); tensors created in C++ are instances of that subclass once
// python/fngrad/_tensor.py has registered it.
#pragma once

#include "core/common.h"
#include "core/dtype.h"
#include "core/storage.h"

namespace fngrad {

namespace autograd {
class Node;
}

struct TensorObject {
  PyObject_HEAD
      // Data. A tensor is a view of storage: element i of dimension d is at
      // offset + sum(index[d] * strides[d]), counted in elements of dtype.
      Storage* storage;
  int64_t offset;
  int64_t numel;
  DimVec sizes;
  DimVec strides;
  DType dtype;
  bool contiguous;  // row-major contiguous; kept up to date by every constructor of a view

  // Autograd. A tensor requires grad when requires_grad is set (leaves) or it has a grad_fn.
  bool requires_grad;
  bool retains_grad;
  bool is_inference;    // created under inference_mode
  bool custom_fn_view;  // an output of a custom Function that is a view of its input
  // An output of unbind/split/chunk (one node for all outputs), or a view of one: refused in place
  // (PyTorch's CreationMeta::MULTI_OUTPUT_NODE, Note [Multi-output views] in ops/views.cpp).
  bool multi_output_view;
  uint32_t output_nr;
  autograd::Node* grad_fn;           // owned reference
  autograd::Node* grad_accumulator;  // not owned; see Note [AccumulateGrad]
  PyObject* grad;                    // owned; a tensor or null
  TensorObject* base;                // owned; the tensor this one is a view of, or null
  PyObject* hooks;                   // owned; dict of the hooks of a leaf (register_hook), or null
  PyObject* post_acc_hooks;          // owned; dict of post-accumulate-grad hooks, or null
  // Owned reference to the AccumulateGrad of another tensor: set on a saved leaf that comes back
  // from a saved-tensor unpack hook, so that gradients still reach the original leaf.
  autograd::Node* owned_accumulator;
  // The version of the memory when grad_fn was set; a view whose memory changed since (through
  // another view) rebuilds its grad_fn from its base (Note [In-place on views]).
  uint64_t view_version;
  // Owned; forward AD's tangent cell (Note [Forward AD], autograd/forward_ad.h), or null.
  PyObject* fw_cell;

  PyObject* dict;
  PyObject* weakreflist;
};

extern PyTypeObject* TensorBaseType;  // _C.TensorBase
extern PyTypeObject* TensorClass;     // fngrad.Tensor once registered, else TensorBase

inline bool is_tensor(PyObject* o) { return Py_TYPE(o) == TensorClass || PyObject_TypeCheck(o, TensorBaseType); }
inline TensorObject* as_tensor(PyObject* o) { return reinterpret_cast<TensorObject*>(o); }

// An owned reference to a tensor. Moves are free; copies cost an incref.
class TensorRef {
 public:
  TensorRef() = default;
  TensorRef(std::nullptr_t) {}
  static TensorRef steal(TensorObject* p) { return TensorRef(p); }
  static TensorRef borrow(TensorObject* p) {
    Py_XINCREF(reinterpret_cast<PyObject*>(p));
    return TensorRef(p);
  }
  static TensorRef borrow(PyObject* p) { return borrow(as_tensor(p)); }
  TensorRef(const TensorRef& o) : p_(o.p_) { Py_XINCREF(obj()); }
  TensorRef(TensorRef&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  TensorRef& operator=(const TensorRef& o) {
    TensorRef tmp(o);
    std::swap(p_, tmp.p_);
    return *this;
  }
  TensorRef& operator=(TensorRef&& o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~TensorRef() { Py_XDECREF(obj()); }

  TensorObject* get() const { return p_; }
  TensorObject* operator->() const { return p_; }
  TensorObject& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  bool defined() const { return p_ != nullptr; }
  PyObject* obj() const { return reinterpret_cast<PyObject*>(p_); }
  // Gives up ownership: the caller now owns the reference (e.g. to return it to Python).
  PyObject* release() {
    PyObject* o = obj();
    p_ = nullptr;
    return o;
  }
  void reset() { TensorRef tmp(std::move(*this)); }

 private:
  explicit TensorRef(TensorObject* p) : p_(p) {}
  TensorObject* p_ = nullptr;
};

// ---- geometry ----

inline void* raw_data(const TensorObject* t) {
  return static_cast<char*>(t->storage->data) + t->offset * static_cast<int64_t>(itemsize(t->dtype));
}
template <typename T> inline T* data_ptr(const TensorObject* t) {
  return static_cast<T*>(t->storage->data) + t->offset;
}
inline int64_t ndim(const TensorObject* t) { return static_cast<int64_t>(t->sizes.size()); }

DimVec contiguous_strides(const DimVec& sizes);
bool compute_contiguous(const DimVec& sizes, const DimVec& strides);
// numel of sizes, with an error naming op if it overflows or a size is negative.
int64_t checked_numel(const DimVec& sizes, const char* op);
// Wraps a possibly negative dim into [0, ndim); IndexError naming op otherwise.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);

// ---- construction ----

// A tensor object with no storage yet; callers fill in the data fields. The result is an
// instance of TensorClass.
TensorRef alloc_tensor_object();
// A new contiguous tensor with uninitialised memory.
TensorRef empty(const DimVec& sizes, DType dtype, const char* op = "empty");
TensorRef empty_like(const TensorObject* t);
TensorRef zeros(const DimVec& sizes, DType dtype);
TensorRef full(const DimVec& sizes, DType dtype, double value);
// A new tensor over t's storage with the given geometry (no autograd state).
TensorRef make_view(const TensorObject* t, int64_t offset, const DimVec& sizes, const DimVec& strides);
// A new tensor sharing t's data and version counter, with no autograd state (Tensor.detach).
TensorRef alias(const TensorObject* t);
// An instance of type (a subclass of TensorBase, e.g. nn.Parameter) over t's data and version
// counter, a leaf with the given requires_grad (PyTorch's Tensor._make_subclass). No copy.
TensorRef make_subclass(PyTypeObject* type, const TensorObject* t, bool requires_grad);
// A contiguous copy of t's values (no autograd state).
TensorRef contiguous_copy(const TensorObject* t);
// t itself when contiguous, else a contiguous copy.
TensorRef contiguous(const TensorObject* t);
// A copy of t converted to dtype (no autograd state).
TensorRef to_dtype(const TensorObject* t, DType dtype);
// Copies src's values into dst (same shape, or broadcastable to dst), converting dtype.
void copy_into(const TensorObject* dst, const TensorObject* src);
// Fills every element of t with value.
void fill(const TensorObject* t, double value);

// Reads element 0 of a one-element tensor as a double.
double item_as_double(const TensorObject* t);

}  // namespace fngrad
