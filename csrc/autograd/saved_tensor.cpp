#include "autograd/saved_tensor.h"

#include "autograd/anomaly.h"

namespace fngrad {
namespace autograd {

const char* const ERR_BACKWARD_TWICE =
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.";

SavedTensor::SavedTensor(TensorObject* t, bool is_output) {
  if (t == nullptr) return;
  was_none_ = false;
  is_output_ = is_output;
  saved_version_ = t->storage->version;
  if (!is_output) {
    original_ = TensorRef::borrow(t);
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

SavedTensor& SavedTensor::operator=(SavedTensor&& o) noexcept {
  if (this == &o) return *this;
  if (storage_ != nullptr) decref(storage_);
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
}

void SavedTensor::release() {
  if (was_none_) return;
  original_.reset();
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
  if (!is_output_) {
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
