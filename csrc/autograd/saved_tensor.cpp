#include "autograd/saved_tensor.h"

#include <utility>
#include <vector>

#include "autograd/anomaly.h"
#include "core/grad_mode.h"
#include "core/py_ref.h"

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

SavedTensor::SavedTensor(TensorObject* t, bool is_output, bool with_hooks) : SavedTensor() {
  if (t == nullptr) return;
  FNGRAD_CHECK_RUNTIME(!t->is_inference,
                       "Inference tensors cannot be saved for backward. Please do not use Tensors "
                       "created in inference mode in computation tracked by autograd. To work "
                       "around this, you can make a clone to get a normal tensor and use it in "
                       "autograd.");
  was_none_ = false;
  is_output_ = is_output;
  saved_version_ = t->storage->version;
  if (with_hooks && !t_hooks.empty()) {
    pack_with_hooks(t, t_hooks.back().first, t_hooks.back().second);
    return;
  }
  Storage* root = memory_root(t->storage);
  saved_ref(root);
  if (!is_output) {
    incref(root);
    storage_ = root;
    original_ = TensorRef::borrow(t);
    had_grad_fn_ = t->grad_fn != nullptr;
  } else {
    incref(t->storage);
    storage_ = t->storage;
    offset_ = t->offset;
    if (!t->contiguous) {
      rare().strides = t->strides;
      has_strides_ = true;
    }
    dtype_ = t->dtype;
    output_nr_ = t->output_nr;
    requires_grad_ = requires_grad_reverse(t);
    if (t->fw_cell != nullptr) [[unlikely]] {
      Py_INCREF(t->fw_cell);
      rare().fw_cell = t->fw_cell;
    }
  }
  if ((root->numpy_views | root->has_snapshot) != 0 || root->py_owner != nullptr) [[unlikely]]
    guard_numpy_writes(t);
}

SavedTensor::Rare& SavedTensor::rare() {
  if (rare_ == nullptr) rare_ = new Rare();
  return *rare_;
}

void SavedTensor::guard_numpy_writes(TensorObject* t) {
  if (!numpy_may_write(root()) || t->numel == 0) return;
  int64_t extent = 1;
  for (size_t d = 0; d < t->sizes.size(); d++) extent += (t->sizes[d] - 1) * t->strides[d];
  const size_t nbytes = static_cast<size_t>(extent) * itemsize(t->dtype);
  const void* data = raw_data(t);
  Rare& r = rare();
  r.guard_data = data;
  r.guard_nbytes = nbytes;
  r.guard_checksum = memory_checksum(data, nbytes);
  guarded_ = true;
}

void SavedTensor::pack_with_hooks(TensorObject* t, PyObject* pack, PyObject* unpack) {
  Rare& r = rare();
  hooked_ = true;
  output_nr_ = t->output_nr;
  requires_grad_ = requires_grad_reverse(t);
  if (!is_output_) {
    if (t->grad_fn != nullptr) {
      r.grad_fn = NodeRef(t->grad_fn);
    } else if (t->requires_grad) {
      r.leaf_acc = grad_accumulator(t);
    }
  }
  GradModeGuard no_grad(false);
  // pack sees the data without its history, as in PyTorch.
  TensorRef arg = alias(t);
  uint64_t version = t->storage->version;
  r.packed = PyRef::check(PyObject_CallOneArg(pack, arg.obj())).release();
  FNGRAD_CHECK_RUNTIME(
      t->storage->version == version,
      "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook "
      "can not be modified by in-place operations as this can lead to unexpected side-effects. Please "
      "open an issue if you need to perform in-place operations on the input to a pack hook.");
  Py_INCREF(unpack);
  r.unpack_hook = unpack;
}

TensorRef SavedTensor::unpack_with_hooks(Node* owner) const {
  PyRef r = PyRef::check(PyObject_CallOneArg(rare_->unpack_hook, rare_->packed));
  FNGRAD_CHECK_TYPE(is_tensor(r.get()),
                    "Output of saved tensor unpack_hook expected to be a Tensor but got result of type ",
                    py_type_name(r.get()));
  TensorRef t = alias(as_tensor(r.get()));
  if (is_output_) {
    if (requires_grad_ && owner != nullptr) {
      owner->refcount_++;
      t->grad_fn = owner;
      t->output_nr = output_nr_;
    }
  } else if (rare_->grad_fn) {
    rare_->grad_fn->refcount_++;
    t->grad_fn = rare_->grad_fn.get();
    t->output_nr = output_nr_;
  } else if (rare_->leaf_acc) {
    // Gradients through this tensor must still reach the original leaf.
    rare_->leaf_acc->refcount_++;
    t->owned_accumulator = rare_->leaf_acc.get();
    t->grad_accumulator = rare_->leaf_acc.get();
    t->requires_grad = true;
  }
  return t;
}

void SavedTensor::clear() {
  original_.reset();
  if (storage_ != nullptr) {
    saved_unref(root());
    decref(storage_);
    storage_ = nullptr;
  }
  if (rare_ != nullptr) {
    if (Py_IsInitialized()) {
      Py_XDECREF(rare_->fw_cell);
      Py_XDECREF(rare_->packed);
      Py_XDECREF(rare_->unpack_hook);
    }
    delete rare_;
    rare_ = nullptr;
  }
  hooked_ = has_strides_ = guarded_ = false;
}

SavedTensor& SavedTensor::operator=(SavedTensor&& o) noexcept {
  if (this == &o) return *this;
  clear();
  original_ = std::move(o.original_);
  storage_ = o.storage_;
  rare_ = o.rare_;
  o.storage_ = nullptr;
  o.rare_ = nullptr;
  offset_ = o.offset_;
  saved_version_ = o.saved_version_;
  output_nr_ = o.output_nr_;
  dtype_ = o.dtype_;
  requires_grad_ = o.requires_grad_;
  is_output_ = o.is_output_;
  was_none_ = o.was_none_;
  released_ = o.released_;
  had_grad_fn_ = o.had_grad_fn_;
  hooked_ = o.hooked_;
  has_strides_ = o.has_strides_;
  guarded_ = o.guarded_;
  o.hooked_ = o.has_strides_ = o.guarded_ = false;
  return *this;
}

SavedTensor::~SavedTensor() { clear(); }

void SavedTensor::release() {
  if (was_none_) return;
  clear();
  released_ = true;
}

void SavedTensor::throw_modified(uint64_t current, Node* grad_fn, uint32_t output_nr, const DimVec& sizes) const {
  std::string msg =
      str("one of the variables needed for gradient computation has been modified by an inplace "
          "operation: [fngrad.",
          legacy_type_name(is_output_ ? dtype_ : original_->dtype), " ", shape_str(sizes), "]");
  if (grad_fn != nullptr) msg += str(", which is output ", output_nr, " of ", describe_node(grad_fn), ",");
  msg += str(" is at version ", current, "; expected version ", saved_version_, " instead.");
  if (AnomalyMode::is_enabled()) {
    msg +=
        " Hint: the forward traceback attached to this error shows the operation that failed to compute its "
        "gradient. The variable in question was changed in there or anywhere later. Good luck!";
  } else {
    msg +=
        " Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
        "fngrad.autograd.set_detect_anomaly(True).";
  }
  throw Error(ErrorKind::Runtime, msg);
}

void SavedTensor::check_numpy_writes(Node* owner, Node* grad_fn, uint32_t output_nr, const DimVec& sizes) const {
  bool written;
  if (guarded_) {
    written = memory_checksum(rare_->guard_data, rare_->guard_nbytes) != rare_->guard_checksum;
  } else {
    Storage* root = this->root();
    const uint64_t* snapshot = numpy_snapshot(root);
    written = snapshot != nullptr && memory_checksum(root->data, root->nbytes) != *snapshot;
  }
  if (!written) return;
  std::string msg =
      str("one of the variables needed for gradient computation has been modified by an inplace "
          "operation: [fngrad.",
          legacy_type_name(is_output_ ? dtype_ : original_->dtype), " ", shape_str(sizes), "]");
  if (grad_fn != nullptr && grad_fn != owner)
    msg += str(", which is output ", output_nr, " of ", describe_node(grad_fn), ",");
  msg +=
      str(" was written through a NumPy array that shares its memory (Tensor.numpy(), np.asarray() or the array "
          "given to from_numpy()) after ",
          owner != nullptr ? describe_node(owner) : std::string("its node"),
          " saved it for backward, so its gradient would be wrong. Its version counter did not see the write (it "
          "is at version ",
          saved_version_,
          " as when saved): copy the array (t.numpy().copy()) before writing to it, or write after "
          "backward.");
  throw Error(ErrorKind::Runtime, msg);
}

TensorRef SavedTensor::unpack(Node* owner) const {
  if (was_none_) return TensorRef();
  FNGRAD_CHECK_RUNTIME(!released_, ERR_BACKWARD_TWICE);
  if (hooked_) return unpack_with_hooks(owner);
  if (!is_output_) {
    FNGRAD_CHECK_RUNTIME(!had_grad_fn_ || original_->grad_fn != nullptr,
                         "Trying to use a saved tensor that has been detached in-place, i.e. with .detach_().This is "
                         "not supported, please use out-of-place `.detach()` instead");
    uint64_t current = original_->storage->version;
    if (current != saved_version_) throw_modified(current, original_->grad_fn, original_->output_nr, original_->sizes);
    if (guarded_ || root()->has_snapshot) [[unlikely]]
      check_numpy_writes(owner, original_->grad_fn, original_->output_nr, original_->sizes);
    return original_;
  }
  FNGRAD_INTERNAL_ASSERT(owner != nullptr && output_nr_ < owner->num_inputs());
  const DimVec& sizes = owner->input_meta()[output_nr_].shape;
  uint64_t current = storage_->version;
  if (current != saved_version_) throw_modified(current, owner, output_nr_, sizes);
  if (guarded_ || root()->has_snapshot) [[unlikely]]
    check_numpy_writes(owner, owner, output_nr_, sizes);
  TensorRef t = alloc_tensor_object();
  incref(storage_);
  t->storage = storage_;
  t->offset = offset_;
  t->sizes = sizes;
  t->strides = has_strides_ ? rare_->strides : contiguous_strides(sizes);
  t->numel = product(sizes);
  t->dtype = dtype_;
  t->contiguous = !has_strides_;
  if (requires_grad_) {
    owner->refcount_++;
    t->grad_fn = owner;
    t->output_nr = output_nr_;
  }
  if (rare_ != nullptr && rare_->fw_cell != nullptr) {
    Py_INCREF(rare_->fw_cell);
    t->fw_cell = rare_->fw_cell;
  }
  return t;
}

}  // namespace autograd
}  // namespace fngrad
