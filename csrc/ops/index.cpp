// Tensor indexing: x[index] and x[index] = value, and in-place ops on views.
//
// Basic indices (ints, slices, None, Ellipsis) become a chain of views, each with its own
// backward node, as in PyTorch. Everything else (integer and bool tensors, lists, NumPy arrays,
// and combinations with basic indices) is resolved to "positions": for each element of the
// result, its flat index in the (contiguous) input. Reading is then a gather (take) whose
// backward scatter-adds (so repeated indices accumulate), and writing is a scatter whose
// backward gathers.
//
// Note [In-place on views]
// An in-place op on a view whose base takes part in autograd is written through the base: the
// new values of the view are computed out of place (with their own history), scattered into the
// base at the view's positions by an IndexPut node that becomes the base's grad_fn, and the view's
// grad_fn becomes a gather from the new base. Other views of the same base notice that their
// memory changed (TensorObject::view_version) and rebuild their grad_fn the same way the next time
// they are used. This is PyTorch's CopySlices, expressed with the position ops below; it needs a
// contiguous base.
#include <cstring>
#include <vector>

#include "autograd/forward_ad.h"
#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "core/loops.h"
#include "core/py_callbacks.h"
#include "core/py_ref.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;
using autograd::SavedTensor;

namespace {

// ---- gather / scatter by flat positions ----

void check_positions(const TensorObject* pos, int64_t numel, const char* op) {
  FNGRAD_INTERNAL_ASSERT(pos->dtype == DType::Int64 && pos->contiguous);
  const int64_t* p = data_ptr<int64_t>(pos);
  for (int64_t i = 0; i < pos->numel; i++) {
    FNGRAD_CHECK_INDEX(p[i] >= 0 && p[i] < numel, "[", op, "] index ", p[i], " is out of bounds for a tensor of ",
                       numel, " elements");
  }
}

TensorRef take_impl(TensorObject* x, TensorObject* pos);
TensorRef scatter_add_impl(const DimVec& shape, TensorObject* pos, TensorObject* g);

// Backward of take: scatter-add into zeros of the input's shape.
class TakeBackward : public Node {
 public:
  TensorRef pos;  // int64 positions; never modified, so held directly
  DimVec input_shape;
  std::string name() const override { return "IndexBackward0"; }
  // PyTorch keeps the per-dimension indices; this node keeps flat positions (Note [Saved values]).
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    v.held("_saved_positions", pos.get());
    v.ints("_saved_self_sym_sizes", input_shape);
  }
  GradList apply(GradList&& grads) override {
    GradList out;
    out.push_back(scatter_add_impl(input_shape, pos.get(), grads[0].get()));
    return out;
  }
};

// Backward of scatter_add: gather.
class ScatterAddBackward : public Node {
 public:
  TensorRef pos;
  std::string name() const override { return "IndexAddBackward0"; }
  void visit_saved(autograd::SavedValueVisitor& v) const override { v.held("_saved_positions", pos.get()); }
  GradList apply(GradList&& grads) override {
    GradList out;
    out.push_back(take_impl(grads[0].get(), pos.get()));
    return out;
  }
};

// out[i] = x.flat[pos[i]], with out shaped like pos.
TensorRef take_impl(TensorObject* x, TensorObject* pos) {
  TensorRef xc = fngrad::contiguous(x);
  TensorRef out = empty(pos->sizes, x->dtype, "index");
  const int64_t* p = data_ptr<int64_t>(pos);
  dispatch_bytes(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = data_ptr<T>(xc.get());
    T* dst = data_ptr<T>(out.get());
    run_flat(pos->numel, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; i++) dst[i] = src[p[i]];
    });
  });
  if (autograd::needs_recording({x})) {
    auto* node = autograd::record_node<TakeBackward>(out.get(), {x}, autograd::History::Output);
    node->pos = TensorRef::borrow(pos);
    node->input_shape = x->sizes;
  }
  return out;
}

// zeros(shape) with g[i] added at flat position pos[i] (repeated positions accumulate).
TensorRef scatter_add_impl(const DimVec& shape, TensorObject* pos, TensorObject* g_in) {
  if (is_storage_only(g_in->dtype)) {
    return via_kernel_dtype(g_in, g_in->dtype, [&](TensorObject* g) { return scatter_add_impl(shape, pos, g); });
  }
  TensorRef out = zeros(shape, g_in->dtype);
  TensorRef g = g_in->sizes == pos->sizes ? fngrad::contiguous(g_in) : TensorRef();
  if (!g) {
    g = empty(pos->sizes, g_in->dtype);
    copy_into(g.get(), g_in);  // broadcasts
  }
  const int64_t* p = data_ptr<int64_t>(pos);
  dispatch(g->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = data_ptr<T>(g.get());
    T* dst = data_ptr<T>(out.get());
    // Serial: two threads could add into the same position.
    for (int64_t i = 0; i < pos->numel; i++) dst[p[i]] += src[i];
  });
  if (autograd::needs_recording({g_in})) {
    auto* node = autograd::record_node<ScatterAddBackward>(out.get(), {g_in}, autograd::History::Output);
    node->pos = TensorRef::borrow(pos);
  }
  return out;
}

// Backward of writing `value` at positions of a tensor: no gradient reaches the overwritten
// elements; the value's gradient is gathered from those positions.
class IndexPutBackward : public Node {
 public:
  TensorRef pos;
  DimVec value_shape;
  bool value_is_tensor = false;
  const char* name_ = "IndexPutBackward0";
  std::string name() const override { return name_; }
  void visit_saved(autograd::SavedValueVisitor& v) const override { v.held("_saved_positions", pos.get()); }
  GradList apply(GradList&& grads) override {
    TensorObject* g = grads[0].get();
    GradList out;
    if (next_edges_[0].is_valid()) {
      TensorRef zeros_at_pos = scatter_add_impl(g->sizes, pos.get(), take_impl(g, pos.get()).get());
      out.push_back(sub(g, zeros_at_pos));  // g with the written positions cleared
    } else {
      out.emplace_back();
    }
    if (value_is_tensor) {
      out.push_back(next_edges_[1].is_valid() ? sum_to(take_impl(g, pos.get()).get(), value_shape) : TensorRef());
    }
    return out;
  }
};

// Writes value (broadcast to pos's shape) into self at pos, in place, and records it.
void put_impl(TensorObject* self, TensorObject* pos, const Operand& value, const char* node_name) {
  TensorRef v;
  if (value.is_tensor()) {
    DimVec shape = broadcast_shapes(pos->sizes, value.tensor->sizes, "setitem");
    FNGRAD_CHECK_RUNTIME(shape == pos->sizes, "[setitem] shape mismatch: value tensor of shape ",
                         shape_str(value.tensor->sizes), " cannot be broadcast to indexing result of shape ",
                         shape_str(pos->sizes), ".");
    v = empty(pos->sizes, self->dtype);
    copy_into(v.get(), value.tensor);
  } else {
    v = full(pos->sizes, self->dtype, value.scalar.to<double>());
  }
  FNGRAD_INTERNAL_ASSERT(self->contiguous);
  const int64_t* p = data_ptr<int64_t>(pos);
  dispatch_bytes(self->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = data_ptr<T>(v.get());
    T* dst = data_ptr<T>(self);
    for (int64_t i = 0; i < pos->numel; i++) dst[p[i]] = src[i];
  });
  bump_version(self);
  if (autograd::needs_recording({self, value.is_tensor() ? value.tensor : nullptr})) {
    FNGRAD_CHECK_RUNTIME(is_floating(self->dtype), "[setitem] Only floating point tensors can require gradients.");
    SmallVec<TensorObject*, 2> inputs;
    inputs.push_back(self);
    if (value.is_tensor()) inputs.push_back(value.tensor);
    auto* node = autograd::record_node_from<IndexPutBackward>(self, inputs, autograd::History::InPlace);
    node->name_ = node_name;
    node->pos = TensorRef::borrow(pos);
    node->value_is_tensor = value.is_tensor();
    if (value.is_tensor()) node->value_shape = value.tensor->sizes;
  }
}

// ---- positions of a view in its base ----

TensorRef view_positions(TensorObject* view) {
  TensorObject* base = view->base;
  FNGRAD_CHECK_RUNTIME(base->contiguous,
                       "[inplace] In-place modification of a view of a non-contiguous tensor that "
                       "requires grad is not supported; modify a clone instead.");
  TensorRef pos = empty(view->sizes, DType::Int64);
  int64_t* p = data_ptr<int64_t>(pos.get());
  LoopSpec<2> spec = make_loop<2>(view->sizes, {pos->strides, view->strides});
  const int64_t start = view->offset - base->offset;
  for_each_row(spec, 0, spec.numel, [&](const int64_t* off, int64_t n, const int64_t* st) {
    for (int64_t i = 0; i < n; i++) p[off[0] + i * st[0]] = start + off[1] + i * st[1];
  });
  return pos;
}

// The grad_fn of a view whose base changed in place: a gather from the base's new history.
void regenerate_view_history(TensorObject* view) {
  TensorObject* base = view->base;
  TensorRef pos = view_positions(view);
  auto* node = autograd::record_node<TakeBackward>(view, {base}, autograd::History::RegeneratedView);
  node->pos = pos;
  node->input_shape = base->sizes;
  view->view_version = view->storage->version;
}

// ---- parsing an index ----

struct ParsedIndex {
  std::vector<PyObject*> items;  // borrowed from the index object
};

// PyTorch's treatSequenceAsTuple: a list (of fewer than 32 items) that holds a tensor, a
// sequence, a slice, Ellipsis or None is a tuple of indices, x[[[0, 1], [1, 2]]] is x[[0, 1], [1, 2]]
// (NumPy used to do the same). Returns idx itself, or the tuple (a new reference).
PyRef normalize_index(PyObject* idx) {
  if (!PyList_Check(idx) || PyList_GET_SIZE(idx) >= 32) return PyRef::borrow(idx);
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(idx); i++) {
    PyObject* it = PyList_GET_ITEM(idx, i);
    if (is_tensor(it) || PySequence_Check(it) || PySlice_Check(it) || it == Py_Ellipsis || it == Py_None) {
      return PyRef::check(PyList_AsTuple(idx));
    }
  }
  return PyRef::borrow(idx);
}

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

bool is_int_index(PyObject* o) {
  if (PyBool_Check(o) || is_tensor(o)) return false;
  if (PyLong_Check(o)) return true;
  if (!PyIndex_Check(o)) return false;
  // NumPy arrays all have __index__, but only a 0-d integer one is an integer: the others (t[np.array([0, 1])],
  // t[np.array(True)]) index as tensors do.
  PyObject* value = PyNumber_Index(o);
  if (!value) {
    PyErr_Clear();
    return false;
  }
  Py_DECREF(value);
  return true;
}
bool is_basic_item(PyObject* o) { return o == Py_None || o == Py_Ellipsis || PySlice_Check(o) || is_int_index(o); }

bool all_basic(const ParsedIndex& p) {
  for (PyObject* it : p.items)
    if (!is_basic_item(it)) return false;
  return true;
}

TensorRef apply_basic(TensorObject* x, const ParsedIndex& p) {
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
    } else {
      Py_ssize_t i = PyNumber_AsSsize_t(it, PyExc_OverflowError);
      if (i == -1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) throw PythonError();
        PyErr_Clear();
        fail(ErrorKind::Value, "[index] Overflow when unpacking long long: the index does not fit in int64.");
      }
      r = select(r.get(), dim, i);
    }
  }
  return r;
}

// x[mask] for a bool mask over x's leading dims.
void check_mask(const TensorObject* x, const TensorObject* mask) {
  FNGRAD_CHECK_INDEX(ndim(mask) <= ndim(x), "too many indices for tensor of dimension ", ndim(x));
  for (int64_t d = 0; d < ndim(mask); d++) {
    FNGRAD_CHECK_INDEX(mask->sizes[d] == x->sizes[d], "The shape of the mask ", shape_str(mask->sizes), " at index ", d,
                       " does not match the shape of the indexed tensor ", shape_str(x->sizes), " at index ", d);
  }
}

// Positions for x[mask] (mask over leading dims) without going through Python.
TensorRef mask_positions(TensorObject* x, TensorObject* mask) {
  check_mask(x, mask);
  TensorRef m = fngrad::contiguous(mask);
  const bool* mp = data_ptr<bool>(m.get());
  int64_t count = 0;
  for (int64_t i = 0; i < m->numel; i++) count += mp[i];
  int64_t inner = 1;
  DimVec shape{count};
  for (int64_t d = ndim(mask); d < ndim(x); d++) {
    shape.push_back(x->sizes[d]);
    inner *= x->sizes[d];
  }
  TensorRef pos = empty(shape, DType::Int64);
  int64_t* p = data_ptr<int64_t>(pos.get());
  int64_t k = 0;
  for (int64_t i = 0; i < m->numel; i++) {
    if (!mp[i]) continue;
    for (int64_t j = 0; j < inner; j++) p[k++] = i * inner + j;
  }
  return pos;
}

// Positions for x[idx] with idx an int64 tensor indexing dim 0 (the common advanced case).
TensorRef row_positions(TensorObject* x, TensorObject* idx) {
  FNGRAD_CHECK_INDEX(ndim(x) > 0, "[index] invalid index of a 0-dim tensor.");
  TensorRef ic = fngrad::contiguous(idx);
  const int64_t* ip = data_ptr<int64_t>(ic.get());
  const int64_t rows = x->sizes[0];
  int64_t inner = 1;
  DimVec shape = idx->sizes;
  for (int64_t d = 1; d < ndim(x); d++) {
    shape.push_back(x->sizes[d]);
    inner *= x->sizes[d];
  }
  TensorRef pos = empty(shape, DType::Int64);
  int64_t* p = data_ptr<int64_t>(pos.get());
  for (int64_t i = 0; i < ic->numel; i++) {
    int64_t r = ip[i];
    FNGRAD_CHECK_INDEX(r >= -rows && r < rows, "index ", r, " is out of bounds for dimension 0 with size ", rows);
    if (r < 0) r += rows;
    for (int64_t j = 0; j < inner; j++) p[i * inner + j] = r * inner + j;
  }
  return pos;
}

// Positions for any other index, computed by NumPy's indexing rules (which PyTorch shares) in
// fngrad._indexing.positions (Note [Python callbacks]).
TensorRef python_positions(TensorObject* x, PyObject* index) {
  PyRef shape = PyRef::check(PyTuple_New(ndim(x)));
  for (int64_t d = 0; d < ndim(x); d++) PyTuple_SET_ITEM(shape.get(), d, PyLong_FromLongLong(x->sizes[d]));
  PyRef pos =
      PyRef::check(PyObject_CallFunctionObjArgs(py_callback(PyCallback::IndexPositions), shape.get(), index, nullptr));
  FNGRAD_INTERNAL_ASSERT(is_tensor(pos.get()));
  return TensorRef::borrow(pos.get());
}

TensorRef positions_for(TensorObject* x, PyObject* index, const ParsedIndex& p) {
  if (p.items.size() == 1 && is_tensor(p.items[0])) {
    TensorObject* t = as_tensor(p.items[0]);
    if (t->dtype == DType::Bool) return mask_positions(x, t);
    if (t->dtype == DType::Int64) return row_positions(x, t);
    if (t->dtype == DType::Int32) return row_positions(x, fngrad::to_dtype(t, DType::Int64).get());
    // A uint8 index is PyTorch's deprecated mask: Python warns and converts it.
    if (t->dtype != DType::UInt8)
      fail(ErrorKind::Index, "tensors used as indices must be long, int, byte or bool tensors");
  }
  return python_positions(x, index);
}

}  // namespace

// ---- public entry points ----

TensorRef scatter_add(const DimVec& shape, TensorObject* positions, TensorObject* g) {
  TensorRef pos = fngrad::contiguous(positions);
  check_positions(pos.get(), product(shape), "scatter_add");
  return scatter_add_impl(shape, pos.get(), g);
}

TensorRef take(TensorObject* x, TensorObject* positions) {
  FNGRAD_CHECK_RUNTIME(positions->dtype == DType::Int64, "[take] take(): Expected a long tensor for index, but got ",
                       scalar_type_name(positions->dtype), ".");
  TensorRef pos = fngrad::contiguous(positions);
  TensorRef wrapped = empty(pos->sizes, DType::Int64);
  const int64_t* src = data_ptr<int64_t>(pos.get());
  int64_t* dst = data_ptr<int64_t>(wrapped.get());
  for (int64_t i = 0; i < pos->numel; i++) dst[i] = src[i] < 0 ? src[i] + x->numel : src[i];
  check_positions(wrapped.get(), x->numel, "take");
  return take_impl(x, wrapped.get());
}

TensorRef index(TensorObject* x, PyObject* index_in) {
  PyRef normalized = normalize_index(index_in);
  PyObject* idx = normalized.get();
  ParsedIndex p = parse_index(idx);
  if (all_basic(p)) return apply_basic(x, p);
  TensorRef pos = positions_for(x, idx, p);
  return take_impl(x, pos.get());
}

bool view_needs_functionalize(TensorObject* t) { return t->base != nullptr; }

void write_through_view(TensorObject* view, TensorObject* value) {
  TensorObject* base = view->base;
  TensorRef base_ref = TensorRef::borrow(base);
  TensorRef pos = view_positions(view);
  put_impl(base, pos.get(), Operand(value), "CopySlices");
  regenerate_view_history(view);
  // Note [Forward AD]: the view's tangent is its part of the base's new tangent, as in PyTorch, where
  // a view's tangent is a view of its base's. Here it is a copy: a later write to the base through
  // another view does not reach it.
  if (autograd::ForwardADLevel::active_level >= 0) [[unlikely]] {
    TensorRef base_tangent = autograd::get_tangent(base);
    if (base_tangent) autograd::set_tangent(view, take_impl(base_tangent.get(), pos.get()).get());
  }
}

void refresh_view_history(TensorObject* t) {
  if (t->base != nullptr && t->grad_fn != nullptr && t->view_version != t->storage->version &&
      autograd::requires_grad(t->base) && t->base->grad_fn != nullptr) {
    // Note [Multi-output views] (views.cpp): one node for all outputs cannot be rebuilt for one.
    if (t->multi_output_view) {
      fail(ErrorKind::Runtime, "Output ", t->output_nr, " of ", forward_op_name(t->grad_fn),
           " is a view and its base or another view of its base has been modified inplace. ", kMultiOutputViewAdvice);
    }
    regenerate_view_history(t);
  }
}

void index_put(TensorObject* x, PyObject* index_in, const Operand& v) {
  PyRef normalized = normalize_index(index_in);
  PyObject* idx = normalized.get();
  ParsedIndex p = parse_index(idx);
  const Scalar& s = v.scalar;
  check_inplace(x, "setitem");
  if (!x->contiguous && all_basic(p)) {
    // A basic index writes through a view of x, as copy_ does: refused where the view overlaps
    // itself (PyTorch's check; a single element, x[0] of an expanded vector, is fine).
    GradModeGuard no_grad(false);
    TensorRef region = apply_basic(x, p);
    check_no_internal_overlap(region.get(), "setitem");
  }
  const bool recording = autograd::needs_recording({x, v.is_tensor() ? v.tensor : nullptr});
  if (!recording) {
    // No graph: write through a view (basic index) or at positions.
    if (all_basic(p)) {
      TensorRef region = apply_basic(x, p);
      if (v.is_tensor()) {
        DimVec shape = broadcast_shapes(region->sizes, v.tensor->sizes, "setitem");
        FNGRAD_CHECK_RUNTIME(shape == region->sizes, "[setitem] shape mismatch: value tensor of shape ",
                             shape_str(v.tensor->sizes), " cannot be broadcast to indexing result of shape ",
                             shape_str(region->sizes), ".");
        copy_into(region.get(), v.tensor);
      } else {
        dispatch(kernel_dtype(region->dtype), [&](auto tag) {
          using T = typename decltype(tag)::type;
          fngrad::fill(region.get(), static_cast<double>(s.to<T>()));
        });
      }
      bump_version(x);
      return;
    }
    if (p.items.size() == 1 && is_tensor(p.items[0]) && as_tensor(p.items[0])->dtype == DType::Bool && !v.is_tensor()) {
      check_mask(x, as_tensor(p.items[0]));
      masked_fill_(x, as_tensor(p.items[0]), s);
      return;
    }
  }
  // Positions in x; x must be contiguous to scatter into it (a view is written through its base).
  if (x->base != nullptr && recording) {
    TensorRef updated = clone(x);
    index_put(updated.get(), idx, v);
    write_through_view(x, updated.get());
    return;
  }
  TensorRef pos;
  if (all_basic(p)) {
    GradModeGuard no_grad(false);
    TensorRef region = apply_basic(x, p);
    if (x->contiguous) {
      // The region's positions relative to x.
      TensorRef shifted = alias(region.get());
      Py_XDECREF(reinterpret_cast<PyObject*>(shifted->base));
      Py_INCREF(reinterpret_cast<PyObject*>(x));
      shifted->base = x;
      pos = view_positions(shifted.get());
    }
  } else {
    pos = positions_for(x, idx, p);
  }
  if (!x->contiguous) {
    fail(ErrorKind::NotImplemented,
         "[setitem] Writing into a non-contiguous tensor that requires grad is not "
         "supported; use a contiguous tensor (x.contiguous()).");
  }
  put_impl(x, pos.get(), v, "IndexPutBackward0");
}

namespace {

class MaskedFillBackward : public Node {
 public:
  SavedTensor mask;
  std::string name() const override { return "MaskedFillBackward0"; }
  void release_saved() override { mask.release(); }
  void visit_saved(autograd::SavedValueVisitor& v) const override { v.saved("_saved_mask", mask); }
  GradList apply(GradList&& grads) override;
};

}  // namespace

namespace {
// The bits of `value` converted to dtype, read as the unsigned type U of its width. Converted in
// place where the dtype is a kernel type: a scalar tensor per call doubled x[mask] = 0's cost (a
// custom backward's staple); float16/bfloat16's rounding lives in to_dtype, so they take that one.
template <typename U> U value_bits(const Scalar& value, DType dtype) {
  if (is_storage_only(dtype)) {
    TensorRef t = scalar_tensor(value, dtype);
    return *data_ptr<U>(t.get());
  }
  U bits{};
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (sizeof(T) == sizeof(U)) {
      const T v = value.to<T>();
      std::memcpy(&bits, &v, sizeof(U));
    }
  });
  return bits;
}
}  // namespace

TensorRef masked_fill(TensorObject* x, TensorObject* mask, const Scalar& value) {
  FNGRAD_CHECK_RUNTIME(mask->dtype == DType::Bool,
                       "[masked_fill] masked_fill_ only supports boolean masks, but got mask "
                       "with dtype ",
                       dtype_name(mask->dtype), ".");
  DimVec shape = broadcast_shapes(x->sizes, mask->sizes, "masked_fill");
  TensorRef out = empty(shape, x->dtype, "masked_fill");
  dispatch_bytes(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = value_bits<T>(value, x->dtype);
    map_binary<T, T, bool>(out.get(), x, mask, [v](T a, bool m) { return m ? v : a; });
  });
  if (autograd::needs_recording({x})) {
    auto* node = autograd::record_node<MaskedFillBackward>(out.get(), {x}, autograd::History::Output);
    node->mask = SavedTensor(mask, false);
  }
  return out;
}

GradList MaskedFillBackward::apply(GradList&& grads) {
  GradList out;
  out.push_back(masked_fill(grads[0].get(), mask.unpack(this).get(), Scalar::of_double(0)));
  return out;
}

void masked_fill_(TensorObject* self, TensorObject* mask, const Scalar& value) {
  FNGRAD_CHECK_RUNTIME(mask->dtype == DType::Bool,
                       "[masked_fill_] masked_fill_ only supports boolean masks, but got "
                       "mask with dtype ",
                       dtype_name(mask->dtype), ".");
  DimVec shape = broadcast_shapes(self->sizes, mask->sizes, "masked_fill_");
  FNGRAD_CHECK_RUNTIME(shape == self->sizes, "[masked_fill_] The mask of shape ", shape_str(mask->sizes),
                       " does not broadcast to the tensor of shape ", shape_str(self->sizes), ".");
  check_inplace(self, "masked_fill_");
  if (!self->contiguous && has_internal_overlap(self)) {
    // PyTorch writes, with a deprecation warning.
    if (PyErr_WarnEx(PyExc_UserWarning,
                     "Use of masked_fill_ on expanded tensors is deprecated. Please clone() the "
                     "tensor before performing this operation. This also applies to advanced indexing e.g. "
                     "tensor[mask] = scalar",
                     1) < 0) {
      throw PythonError();
    }
  }
  const bool recording = autograd::needs_recording({self});
  if (recording && view_needs_functionalize(self)) {
    TensorRef current = clone(self);
    TensorRef filled = masked_fill(current.get(), mask, value);
    write_through_view(self, filled.get());
    return;
  }
  dispatch_bytes(self->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = value_bits<T>(value, self->dtype);
    LoopSpec<2> spec = loop_for(self, mask);
    run_loop(spec, [&](const int64_t* off, int64_t n, const int64_t* st) {
      T* o = data_ptr<T>(self) + off[0];
      const bool* m = data_ptr<bool>(mask) + off[1];
      for (int64_t i = 0; i < n; i++)
        if (m[i * st[1]]) o[i * st[0]] = v;
    });
  });
  bump_version(self);
  if (recording) {
    auto* node = autograd::record_node<MaskedFillBackward>(self, {self}, autograd::History::InPlace);
    node->mask = SavedTensor(mask, false);
  }
}

}  // namespace ops
}  // namespace fngrad
