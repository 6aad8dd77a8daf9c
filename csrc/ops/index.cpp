// Tensor indexing: x[index] and x[index] = value.
//
// Basic indices (ints, slices, None, Ellipsis) become a chain of views, each with its own
// backward node, as in PyTorch. A bool mask selects (a copy) or fills in place.
#include <vector>

#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "ops/loops.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;
using autograd::SavedTensor;

namespace {

// x[mask] for a bool mask over x's leading dims: the rows where mask is true.
void check_mask(const TensorObject* x, const TensorObject* mask) {
  FNGRAD_CHECK_INDEX(mask->dtype == DType::Bool, "[index] Expected a bool mask, got ", dtype_name(mask->dtype), ".");
  FNGRAD_CHECK_INDEX(ndim(mask) <= ndim(x), "too many indices for tensor of dimension ", ndim(x));
  for (int64_t d = 0; d < ndim(mask); d++) {
    FNGRAD_CHECK_INDEX(mask->sizes[d] == x->sizes[d], "The shape of the mask ", shape_str(mask->sizes), " at index ", d,
                       " does not match the shape of the indexed tensor ", shape_str(x->sizes), " at index ", d);
  }
}

int64_t count_true(const TensorObject* mask) {
  TensorRef m = fngrad::contiguous(mask);
  const bool* p = data_ptr<bool>(m.get());
  int64_t n = 0;
  for (int64_t i = 0; i < m->numel; i++) n += p[i];
  return n;
}

// Copies the rows of src (shape mask.shape + inner) selected by mask into dst (count rows),
// or back (scatter) when `scatter` is set. dst/src contiguous.
template <typename T>
void mask_rows(const bool* mask, int64_t nmask, int64_t inner, T* dense, T* packed, bool scatter) {
  int64_t row = 0;
  for (int64_t i = 0; i < nmask; i++) {
    if (!mask[i]) continue;
    T* d = dense + i * inner;
    T* p = packed + row * inner;
    if (scatter) {
      std::memcpy(d, p, sizeof(T) * inner);
    } else {
      std::memcpy(p, d, sizeof(T) * inner);
    }
    row++;
  }
}

TensorRef mask_scatter(TensorObject* g, TensorObject* mask, const DimVec& shape);

class IndexBackward : public Node {
 public:
  SavedTensor mask;
  DimVec input_shape;
  std::string name() const override { return "IndexBackward0"; }
  void release_saved() override { mask.release(); }
  GradList apply(GradList&& grads) override {
    GradList out;
    out.push_back(mask_scatter(grads[0].get(), mask.unpack(this).get(), input_shape));
    return out;
  }
};

class MaskScatterBackward : public Node {
 public:
  SavedTensor mask;
  std::string name() const override { return "IndexBackwardBackward0"; }
  void release_saved() override { mask.release(); }
  GradList apply(GradList&& grads) override {
    GradList out;
    out.push_back(masked_select(grads[0].get(), mask.unpack(this).get()));
    return out;
  }
};

// zeros(shape) with the rows of g written where mask is true.
TensorRef mask_scatter(TensorObject* g, TensorObject* mask, const DimVec& shape) {
  TensorRef out = zeros(shape, g->dtype);
  TensorRef gc = fngrad::contiguous(g);
  TensorRef mc = fngrad::contiguous(mask);
  int64_t inner = 1;
  for (size_t d = mask->sizes.size(); d < shape.size(); d++) inner *= shape[d];
  dispatch(g->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    mask_rows<T>(data_ptr<bool>(mc.get()), mc->numel, inner, data_ptr<T>(out.get()), data_ptr<T>(gc.get()), true);
  });
  if (GradMode::is_enabled() && autograd::requires_grad(g)) {
    auto* node = new MaskScatterBackward();
    NodeRef keep(node);
    node->mask = SavedTensor(mask, false);
    node->next_edges().push_back(autograd::gradient_edge(g));
    autograd::set_history(out.get(), node);
    autograd::record_creation_site(node);
  }
  return out;
}

class MaskedFillBackward : public Node {
 public:
  const char* name_;
  SavedTensor mask;
  explicit MaskedFillBackward(const char* name) : name_(name) {}
  std::string name() const override { return name_; }
  void release_saved() override { mask.release(); }
  GradList apply(GradList&& grads) override;
};

// out-of-place masked_fill with its own backward (the same fill of the gradient with 0).
TensorRef masked_fill(TensorObject* x, TensorObject* mask, const Scalar& value, const char* node_name) {
  TensorRef out = contiguous_copy(x);
  DimVec shape = broadcast_shapes(out->sizes, mask->sizes, "masked_fill");
  FNGRAD_CHECK_RUNTIME(shape == out->sizes, "[masked_fill] The mask of shape ", shape_str(mask->sizes),
                       " does not broadcast to the tensor of shape ", shape_str(x->sizes), ".");
  dispatch(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = value.to<T>();
    map_binary<T, T, bool>(out.get(), out.get(), mask, [v](T a, bool m) { return m ? v : a; });
  });
  if (GradMode::is_enabled() && autograd::requires_grad(x)) {
    auto* node = new MaskedFillBackward(node_name);
    NodeRef keep(node);
    node->mask = SavedTensor(mask, false);
    node->next_edges().push_back(autograd::gradient_edge(x));
    autograd::set_history(out.get(), node);
    autograd::record_creation_site(node);
  }
  return out;
}

GradList MaskedFillBackward::apply(GradList&& grads) {
  GradList out;
  out.push_back(masked_fill(grads[0].get(), mask.unpack(this).get(), Scalar::of_double(0), "MaskedFillBackward0"));
  return out;
}

void masked_fill_impl(TensorObject* self, TensorObject* mask, const Scalar& value, const char* node_name) {
  FNGRAD_CHECK_INDEX(mask->dtype == DType::Bool, "[masked_fill_] Expected a bool mask, got ", dtype_name(mask->dtype),
                     ".");
  DimVec shape = broadcast_shapes(self->sizes, mask->sizes, "masked_fill_");
  FNGRAD_CHECK_RUNTIME(shape == self->sizes, "[masked_fill_] The mask of shape ", shape_str(mask->sizes),
                       " does not broadcast to the tensor of shape ", shape_str(self->sizes), ".");
  check_inplace(self, "masked_fill_");
  dispatch(self->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = value.to<T>();
    LoopSpec<2> spec = loop_for(self, mask);
    // The mask operand is read through its own strides; self is written in place.
    run_loop(spec, [&](const int64_t* off, int64_t n, const int64_t* st) {
      T* o = data_ptr<T>(self) + off[0];
      const bool* m = data_ptr<bool>(mask) + off[1];
      for (int64_t i = 0; i < n; i++)
        if (m[i * st[1]]) o[i * st[0]] = v;
    });
  });
  bump_version(self);
  if (GradMode::is_enabled() && autograd::requires_grad(self)) {
    auto* node = new MaskedFillBackward(node_name);
    NodeRef keep(node);
    node->mask = SavedTensor(mask, false);
    node->next_edges().push_back(autograd::gradient_edge(self));
    autograd::rebase_history(self, node);
    autograd::record_creation_site(node);
  }
}

std::string index_type_name(PyObject* o) { return py_type_name(o); }

// Applies the basic part of an index (everything but a tensor) as views. Returns the result,
// or sets *mask when the index is a single bool tensor.
struct ParsedIndex {
  std::vector<PyObject*> items;  // borrowed from the index object
};

ParsedIndex parse_index(PyObject* index) {
  ParsedIndex p;
  if (PyTuple_Check(index)) {
    Py_ssize_t n = PyTuple_GET_SIZE(index);
    for (Py_ssize_t i = 0; i < n; i++) p.items.push_back(PyTuple_GET_ITEM(index, i));
  } else {
    p.items.push_back(index);
  }
  return p;
}

bool is_int_index(PyObject* o) { return !PyBool_Check(o) && (PyLong_Check(o) || (PyIndex_Check(o) && !is_tensor(o))); }

[[noreturn]] void bad_index(PyObject* o) {
  fail(ErrorKind::Type,
       "[index] Only integers, slices (`:`), ellipsis (`...`), None and bool tensors are valid indices (got ",
       index_type_name(o), ").");
}

TensorRef apply_basic(TensorObject* x, const ParsedIndex& p) {
  // Dims the index consumes, to place an Ellipsis.
  int64_t consumed = 0;
  bool seen_ellipsis = false;
  for (PyObject* it : p.items) {
    if (it == Py_Ellipsis) {
      FNGRAD_CHECK_INDEX(!seen_ellipsis, "an index can only have a single ellipsis ('...')");
      seen_ellipsis = true;
    } else if (it != Py_None) {
      consumed++;
    }
  }
  FNGRAD_CHECK_INDEX(consumed <= ndim(x), "too many indices for tensor of dimension ", ndim(x));
  TensorRef r = TensorRef::borrow(x);
  int64_t dim = 0;
  for (PyObject* it : p.items) {
    if (it == Py_None) {
      r = unsqueeze(r.get(), dim);
      dim++;
    } else if (it == Py_Ellipsis) {
      dim += ndim(x) - consumed;
    } else if (PySlice_Check(it)) {
      Py_ssize_t start, stop, step;
      if (PySlice_Unpack(it, &start, &stop, &step) < 0) throw PythonError();
      FNGRAD_CHECK_VALUE(step > 0, "step must be greater than zero");
      int64_t size = r->sizes[dim];
      PySlice_AdjustIndices(static_cast<Py_ssize_t>(size), &start, &stop, step);
      r = slice(r.get(), dim, start, std::max<int64_t>(stop, start), step);
      dim++;
    } else if (is_int_index(it)) {
      Py_ssize_t i = PyNumber_AsSsize_t(it, PyExc_IndexError);
      if (i == -1 && PyErr_Occurred()) throw PythonError();
      r = select(r.get(), dim, i);
    } else {
      bad_index(it);
    }
  }
  return r;
}

TensorObject* single_mask(const ParsedIndex& p) {
  if (p.items.size() == 1 && is_tensor(p.items[0])) return as_tensor(p.items[0]);
  return nullptr;
}

void reject_tensor_items(const ParsedIndex& p) {
  for (PyObject* it : p.items) {
    if (is_tensor(it)) {
      fail(ErrorKind::NotImplemented,
           "[index] A tensor index is only supported on its own (x[mask]) for now; got it combined with other "
           "indices.");
    }
  }
}

}  // namespace

TensorRef masked_select(TensorObject* x, TensorObject* mask) {
  check_mask(x, mask);
  int64_t count = count_true(mask);
  DimVec shape{count};
  int64_t inner = 1;
  for (int64_t d = ndim(mask); d < ndim(x); d++) {
    shape.push_back(x->sizes[d]);
    inner *= x->sizes[d];
  }
  TensorRef out = empty(shape, x->dtype, "index");
  TensorRef xc = fngrad::contiguous(x);
  TensorRef mc = fngrad::contiguous(mask);
  dispatch(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    mask_rows<T>(data_ptr<bool>(mc.get()), mc->numel, inner, data_ptr<T>(xc.get()), data_ptr<T>(out.get()), false);
  });
  if (GradMode::is_enabled() && autograd::requires_grad(x)) {
    auto* node = new IndexBackward();
    NodeRef keep(node);
    node->mask = SavedTensor(mask, false);
    node->input_shape = x->sizes;
    node->next_edges().push_back(autograd::gradient_edge(x));
    autograd::set_history(out.get(), node);
    autograd::record_creation_site(node);
  }
  return out;
}

void masked_fill_(TensorObject* self, TensorObject* mask, const Scalar& value) {
  masked_fill_impl(self, mask, value, "MaskedFillBackward0");
}

TensorRef index(TensorObject* x, PyObject* idx) {
  ParsedIndex p = parse_index(idx);
  if (TensorObject* t = single_mask(p)) {
    if (t->dtype == DType::Bool) return masked_select(x, t);
    fail(ErrorKind::NotImplemented, "[index] Indexing with ", dtype_name(t->dtype),
         " tensors is not supported yet; use a bool mask.");
  }
  reject_tensor_items(p);
  return apply_basic(x, p);
}

void index_put(TensorObject* x, PyObject* idx, PyObject* value) {
  ParsedIndex p = parse_index(idx);
  Scalar s;
  bool value_is_scalar = parse_scalar(value, &s);
  TensorObject* vt = nullptr;
  if (!value_is_scalar) {
    FNGRAD_CHECK_TYPE(is_tensor(value), "[setitem] Expected a number or a tensor as the value, got ",
                      py_type_name(value), ".");
    vt = as_tensor(value);
  }
  if (TensorObject* mask = single_mask(p)) {
    FNGRAD_CHECK_TYPE(mask->dtype == DType::Bool, "[setitem] Indexing with ", dtype_name(mask->dtype),
                      " tensors is not supported yet; use a bool mask.");
    check_mask(x, mask);
    if (vt != nullptr) {
      FNGRAD_CHECK_RUNTIME(vt->numel == 1 && !autograd::requires_grad(vt),
                           "[setitem] Assigning a tensor through a bool mask is only supported for a one-element "
                           "tensor that does not require grad for now.");
      s = Scalar::of_double(item_as_double(vt));
      if (!is_floating(vt->dtype)) s = Scalar::of_int(static_cast<int64_t>(s.d));
    }
    masked_fill_impl(x, mask, s, "IndexPutBackward0");
    return;
  }
  reject_tensor_items(p);
  check_inplace(x, "setitem");
  TensorRef region;
  {
    GradModeGuard no_grad(false);
    region = apply_basic(x, p);
  }
  if (GradMode::is_enabled() && (autograd::requires_grad(x) || (vt != nullptr && autograd::requires_grad(vt)))) {
    fail(ErrorKind::NotImplemented, "[setitem] Assigning into a slice of a tensor that requires grad is not supported "
                                    "yet; use masked_fill_ or build the result out of place.");
  }
  if (vt != nullptr) {
    DimVec shape = broadcast_shapes(region->sizes, vt->sizes, "setitem");
    FNGRAD_CHECK_RUNTIME(shape == region->sizes, "[setitem] shape mismatch: value tensor of shape ",
                         shape_str(vt->sizes), " cannot be broadcast to indexing result of shape ",
                         shape_str(region->sizes), ".");
    copy_into(region.get(), vt);
  } else {
    dispatch(region->dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      fngrad::fill(region.get(), static_cast<double>(s.to<T>()));
    });
  }
  bump_version(x);
}

}  // namespace ops
}  // namespace fngrad
