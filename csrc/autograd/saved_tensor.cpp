#include "autograd/saved_tensor.h"

#include <utility>
#include <vector>

#include "autograd/anomaly.h"
#include "core/grad_mode.h"
#include "python/py_utils.h"

namespace fngrad {
namespace autograd {

const char* const ERR_BACKWARD_TWICE =
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.";

namespace {
thread_local std::vector<std::pair<PyObject*, PyObject*>> t_hooks;  // owned references
}

void push_saved_tensors_hooks(PyObject* pack, PyObject* unpack) {
  Py_INCREF(pack);
  Py_INCREF(unpack);
  t_hooks.emplace_back(pack, unpack);
}

void pop_saved_tensors_hooks() {
  FNGRAD_CHECK_RUNTIME(!t_hooks.empty(), "[saved_tensors_hooks] No saved tensor hooks to pop.");
  auto top = t_hooks.back();
  t_hooks.pop_back();
  Py_DECREF(top.first);
  Py_DECREF(top.second);
}

SavedTensor::SavedTensor(TensorObject* t, bool is_output) {
  if (t == nullptr) return;
  FNGRAD_CHECK_RUNTIME(!t->is_inference, "Inference tensors cannot be saved for backward. Please do not use Tensors "
                                         "created in inference mode in computation tracked by autograd. To work "
                                         "around this, you can make a clone to get a normal tensor and use it in "
                                         "autograd.");
  was_none_ = false;
  is_output_ = is_output;
  saved_version_ = t->storage->version;
  if (!t_hooks.empty()) {
    pack_with_hooks(t, t_hooks.back().first, t_hooks.back().second);
    return;
  }
  if (!is_output) {
    original_ = TensorRef::borrow(t);
    had_grad_fn_ = t->grad_fn != nullptr;
    return;
  }
  incref(t->storage);
  storage_ = t->storage;
  offset_ = t->offset;
  sizes_ = t->sizes;
  strides_ = t->strides;
  dtype_ = t->dtype;
  output_nr_ = t->output_nr;
  requires_grad_ = requires_grad(t);
}

void SavedTensor::pack_with_hooks(TensorObject* t, PyObject* pack, PyObject* unpack) {
  output_nr_ = t->output_nr;
  requires_grad_ = requires_grad(t);
  if (!is_output_) {
    if (t->grad_fn != nullptr) {
      grad_fn_ = NodeRef(t->grad_fn);
    } else if (t->requires_grad) {
      leaf_acc_ = grad_accumulator(t);
    }
  }
  GradModeGuard no_grad(false);
  // pack sees the data without its history, as in PyTorch.
  TensorRef arg = alias(t);
  uint64_t version = t->storage->version;
  packed_ = PyRef::check(PyObject_CallOneArg(pack, arg.obj())).release();
  FNGRAD_CHECK_RUNTIME(t->storage->version == version,
                       "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook "
                       "can not be modified by in-place operations as this can lead to unexpected side-effects. Please "
                       "open an issue if you need to perform in-place operations on the input to a pack hook.");
  Py_INCREF(unpack);
  unpack_hook_ = unpack;
}

TensorRef SavedTensor::unpack_with_hooks(Node* owner) const {
  PyRef r = PyRef::check(PyObject_CallOneArg(unpack_hook_, packed_));
  FNGRAD_CHECK_TYPE(is_tensor(r.get()), "Output of saved tensor unpack_hook expected to be a Tensor but got result of type ",
                    py_type_name(r.get()));
  TensorRef t = alias(as_tensor(r.get()));
  if (is_output_) {
    if (requires_grad_ && owner != nullptr) {
      owner->refcount_++;
      t->grad_fn = owner;
      t->output_nr = output_nr_;
    }
  } else if (grad_fn_) {
    grad_fn_->refcount_++;
    t->grad_fn = grad_fn_.get();
    t->output_nr = output_nr_;
  } else if (leaf_acc_) {
    // Gradients through this tensor must still reach the original leaf.
    leaf_acc_->refcount_++;
    t->owned_accumulator = leaf_acc_.get();
    t->grad_accumulator = leaf_acc_.get();
    t->requires_grad = true;
  }
  return t;
}

SavedTensor& SavedTensor::operator=(SavedTensor&& o) noexcept {
  if (this == &o) return *this;
  if (storage_ != nullptr) decref(storage_);
  Py_XDECREF(packed_);
  Py_XDECREF(unpack_hook_);
  packed_ = o.packed_;
  unpack_hook_ = o.unpack_hook_;
  o.packed_ = nullptr;
  o.unpack_hook_ = nullptr;
  grad_fn_ = std::move(o.grad_fn_);
  leaf_acc_ = std::move(o.leaf_acc_);
  had_grad_fn_ = o.had_grad_fn_;
  original_ = std::move(o.original_);
  storage_ = o.storage_;
  o.storage_ = nullptr;
  offset_ = o.offset_;
  sizes_ = std::move(o.sizes_);
  strides_ = std::move(o.strides_);
  dtype_ = o.dtype_;
  output_nr_ = o.output_nr_;
  requires_grad_ = o.requires_grad_;
  saved_version_ = o.saved_version_;
  is_output_ = o.is_output_;
  was_none_ = o.was_none_;
  released_ = o.released_;
  return *this;
}

SavedTensor::~SavedTensor() {
  if (storage_ != nullptr) decref(storage_);
  if (Py_IsInitialized()) {
    Py_XDECREF(packed_);
    Py_XDECREF(unpack_hook_);
  }
}

void SavedTensor::release() {
  if (was_none_) return;
  original_.reset();
  Py_CLEAR(packed_);
  Py_CLEAR(unpack_hook_);
  grad_fn_.reset();
  leaf_acc_.reset();
  if (storage_ != nullptr) {
    decref(storage_);
    storage_ = nullptr;
  }
  released_ = true;
}

void SavedTensor::throw_modified(uint64_t current, Node* grad_fn, uint32_t output_nr) const {
  std::string msg = str("one of the variables needed for gradient computation has been modified by an inplace "
                        "operation: [fngrad.",
                        legacy_type_name(is_output_ ? dtype_ : original_->dtype), " ",
                        shape_str(is_output_ ? sizes_ : original_->sizes), "]");
  if (grad_fn != nullptr) msg += str(", which is output ", output_nr, " of ", describe_node(grad_fn), ",");
  msg += str(" is at version ", current, "; expected version ", saved_version_, " instead.");
  if (AnomalyMode::is_enabled()) {
    msg += " Hint: the forward traceback attached to this error shows the operation that failed to compute its "
           "gradient. The variable in question was changed in there or anywhere later. Good luck!";
  } else {
    msg += " Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
           "fngrad.autograd.set_detect_anomaly(True).";
  }
  throw Error(ErrorKind::Runtime, msg);
}

TensorRef SavedTensor::unpack(Node* owner) const {
  if (was_none_) return TensorRef();
  FNGRAD_CHECK_RUNTIME(!released_, ERR_BACKWARD_TWICE);
  if (packed_ != nullptr) return unpack_with_hooks(owner);
  if (!is_output_) {
    FNGRAD_CHECK_RUNTIME(!had_grad_fn_ || original_->grad_fn != nullptr,
                         "Trying to use a saved tensor that has been detached in-place, i.e. with .detach_().This is "
                         "not supported, please use out-of-place `.detach()` instead");
    uint64_t current = original_->storage->version;
    if (current != saved_version_) throw_modified(current, original_->grad_fn, original_->output_nr);
    return original_;
  }
  uint64_t current = storage_->version;
  if (current != saved_version_) throw_modified(current, owner, output_nr_);
  TensorRef t = alloc_tensor_object();
  incref(storage_);
  t->storage = storage_;
  t->offset = offset_;
  t->sizes = sizes_;
  t->strides = strides_;
  t->numel = product(sizes_);
  t->dtype = dtype_;
  t->contiguous = compute_contiguous(sizes_, strides_);
  if (requires_grad_ && owner != nullptr) {
    owner->refcount_++;
    t->grad_fn = owner;
    t->output_nr = output_nr_;
  }
  return t;
}

}  // namespace autograd
}  // namespace fngrad
