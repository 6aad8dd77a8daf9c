// _C.TensorBase: the Python face of TensorObject. Operators, indexing and the methods on the
// hot path are CPython slots and METH_FASTCALL methods that call straight into ops::; methods
// written in Python (repr, backward, hooks) live in python/fngrad/_tensor.py on the subclass.
#include "python/tensor_type.h"

#include <structmember.h>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "autograd/accumulate_grad.h"
#include "autograd/node.h"
#include "core/grad_mode.h"
#include "core/py_callbacks.h"
#include "ops/ops.h"
#include "ops/binary_ops.h"
#include "ops/unary_ops.h"
#include "python/op_table_bindings.h"
#include "python/node_type.h"
#include "python/numpy_api.h"

namespace fngrad {

using autograd::Node;
using ops::Operand;

namespace {

// ---- dtype objects ----

struct DTypeObject {
  PyObject_HEAD
  DType dtype;
};

PyTypeObject* DTypeType = nullptr;
PyObject* g_dtypes[kNumDTypes] = {nullptr, nullptr, nullptr, nullptr};
PyTypeObject* SizeType = nullptr;

PyObject* dtype_repr(PyObject* self) {
  return PyUnicode_FromFormat("fngrad.%s", dtype_name(reinterpret_cast<DTypeObject*>(self)->dtype));
}

PyObject* dtype_is_floating_point(PyObject* self, void*) {
  return PyBool_FromLong(is_floating(reinterpret_cast<DTypeObject*>(self)->dtype));
}

PyObject* dtype_itemsize(PyObject* self, void*) {
  return PyLong_FromSize_t(itemsize(reinterpret_cast<DTypeObject*>(self)->dtype));
}

PyObject* dtype_reduce(PyObject* self, PyObject*) {
  return PyUnicode_FromString(dtype_name(reinterpret_cast<DTypeObject*>(self)->dtype));
}

PyGetSetDef dtype_getset[] = {
    {"is_floating_point", dtype_is_floating_point, nullptr, "Whether this is a floating point dtype.", nullptr},
    {"itemsize", dtype_itemsize, nullptr, "Bytes per element.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};
PyMethodDef dtype_methods[] = {{"__reduce__", dtype_reduce, METH_NOARGS, nullptr}, {nullptr, nullptr, 0, nullptr}};

int numpy_typenum(DType d) {
  switch (d) {
    case DType::Bool: return NPY_BOOL;
    case DType::Int64: return NPY_INT64;
    case DType::Float32: return NPY_FLOAT32;
    case DType::Float64: return NPY_FLOAT64;
  }
  return NPY_FLOAT32;
}

// ---- Size ----

PyObject* size_repr(PyObject* self) {
  PyRef list = PyRef::check(PySequence_List(self));
  PyRef inner = PyRef::check(PyObject_Repr(list.get()));
  return PyUnicode_FromFormat("fngrad.Size(%U)", inner.get());
}

PyObject* size_numel(PyObject* self, PyObject*) {
  FNGRAD_TRY
  int64_t n = 1;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(self); i++) {
    n *= PyLong_AsLongLong(PyTuple_GET_ITEM(self, i));
  }
  return PyLong_FromLongLong(n);
  FNGRAD_CATCH(nullptr)
}

PyMethodDef size_methods[] = {{"numel", size_numel, METH_NOARGS, "Number of elements of a tensor of this shape."},
                              {nullptr, nullptr, 0, nullptr}};

// ---- tensor object lifetime ----

TensorObject* self_tensor(PyObject* o) { return as_tensor(o); }

void tensor_clear_python_refs(TensorObject* t) {
  Py_CLEAR(t->grad);
  Py_CLEAR(t->hooks);
  Py_CLEAR(t->post_acc_hooks);
  Py_CLEAR(t->dict);
}

void tensor_dealloc(PyObject* self) {
  PyObject_GC_UnTrack(self);
  TensorObject* t = self_tensor(self);
  if (t->weakreflist != nullptr) PyObject_ClearWeakRefs(self);
  tensor_clear_python_refs(t);
  if (t->base != nullptr) {
    TensorObject* b = t->base;
    t->base = nullptr;
    Py_DECREF(reinterpret_cast<PyObject*>(b));
  }
  if (t->grad_fn != nullptr) {
    Node* fn = t->grad_fn;
    t->grad_fn = nullptr;
    autograd::node_decref(fn);
  }
  if (t->owned_accumulator != nullptr) {
    Node* acc = t->owned_accumulator;
    t->owned_accumulator = nullptr;
    t->grad_accumulator = nullptr;
    autograd::node_decref(acc);
  }
  if (t->storage != nullptr) {
    decref(t->storage);
    t->storage = nullptr;
  }
  t->sizes.~DimVec();
  t->strides.~DimVec();
  PyTypeObject* tp = Py_TYPE(self);
  tp->tp_free(self);
  if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) Py_DECREF(tp);
}

int tensor_traverse(PyObject* self, visitproc visit, void* arg) {
  TensorObject* t = self_tensor(self);
  Py_VISIT(t->grad);
  Py_VISIT(t->hooks);
  Py_VISIT(t->post_acc_hooks);
  Py_VISIT(t->dict);
  Py_VISIT(reinterpret_cast<PyObject*>(t->base));
  // Note [Cycles through a node]
  if (t->grad_fn != nullptr && t->grad_fn->refcount_ == 1) {
    if (int r = t->grad_fn->traverse_python_refs(visit, arg)) return r;
  }
  Py_VISIT(Py_TYPE(self));
  return 0;
}

int tensor_clear(PyObject* self) {
  tensor_clear_python_refs(self_tensor(self));
  return 0;
}

PyObject* tensor_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  FNGRAD_TRY
  FNGRAD_CHECK_TYPE((args == nullptr || PyTuple_GET_SIZE(args) == 0) && (kwargs == nullptr || PyDict_GET_SIZE(kwargs) == 0),
                    "[Tensor] Use fngrad.tensor(data) to create a tensor from data.");
  PyObject* o = type->tp_alloc(type, 0);
  if (o == nullptr) return nullptr;
  TensorObject* t = as_tensor(o);
  new (&t->sizes) DimVec{0};
  new (&t->strides) DimVec{1};
  t->storage = allocate_storage(0);
  t->dtype = DType::Float32;
  t->contiguous = true;
  return o;
  FNGRAD_CATCH(nullptr)
}

Py_hash_t tensor_hash(PyObject* self) { return _Py_HashPointer(self); }

// ---- argument helpers ----

bool to_operand(PyObject* o, Operand* out) {
  if (is_tensor(o)) {
    *out = Operand(as_tensor(o));
    return true;
  }
  Scalar s;
  if (parse_scalar(o, &s)) {
    *out = Operand(s);
    return true;
  }
  return false;
}

Scalar require_scalar(PyObject* o, const char* op, const char* what) {
  Scalar s;
  if (is_tensor(o) && as_tensor(o)->numel == 1) {
    TensorObject* t = as_tensor(o);
    double v = item_as_double(t);
    return is_floating(t->dtype) ? Scalar::of_double(v) : t->dtype == DType::Bool ? Scalar::of_bool(v != 0) : Scalar::of_int(static_cast<int64_t>(v));
  }
  if (!parse_scalar(o, &s)) fail(ErrorKind::Type, "[", op, "] Expected a number for ", what, ", got ", py_type_name(o), ".");
  return s;
}

bool is_none(PyObject* o) { return o == nullptr || o == Py_None; }

bool parse_bool(PyObject* o, bool dflt) {
  if (o == nullptr) return dflt;
  int v = PyObject_IsTrue(o);
  if (v < 0) throw PythonError();
  return v != 0;
}

// dim=None | int | sequence of ints
bool parse_dims(PyObject* o, DimVec* dims, const char* op) {
  if (o == nullptr || o == Py_None) return false;
  if (PyIndex_Check(o) && !is_tensor(o)) {
    dims->push_back(parse_int(o, op, "dim"));
    return true;
  }
  FNGRAD_CHECK_TYPE(PySequence_Check(o) && !PyUnicode_Check(o) && !is_tensor(o), "[", op,
                    "] argument 'dim' must be an int or a tuple of ints, not ", py_type_name(o), ".");
  PyRef seq = PyRef::check(PySequence_Fast(o, "dim must be an int or a sequence of ints"));
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq.get()); i++)
    dims->push_back(parse_int(PySequence_Fast_GET_ITEM(seq.get(), i), op, "dim"));
  return true;
}

// ---- number protocol ----

template <typename Op>
PyObject* nb_binary(PyObject* a, PyObject* b) {
  FNGRAD_TRY
  Operand oa, ob;
  if (!to_operand(a, &oa) || !to_operand(b, &ob)) Py_RETURN_NOTIMPLEMENTED;
  return ops::binary_op(oa, ob, Op{}).release();
  FNGRAD_CATCH(nullptr)
}

template <typename Op>
PyObject* nb_inplace(PyObject* a, PyObject* b) {
  FNGRAD_TRY
  Operand ob;
  if (!is_tensor(a) || !to_operand(b, &ob)) Py_RETURN_NOTIMPLEMENTED;
  ops::binary_op_(as_tensor(a), ob, Op{});
  Py_INCREF(a);
  return a;
  FNGRAD_CATCH(nullptr)
}

PyObject* nb_negative(PyObject* a) {
  FNGRAD_TRY
  return ops::neg(as_tensor(a)).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* nb_positive(PyObject* a) {
  Py_INCREF(a);
  return a;
}

void require_one_element(TensorObject* t, const char* what) {
  FNGRAD_CHECK_VALUE(t->numel == 1, what);
}

int nb_bool(PyObject* a) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(a);
  if (t->numel != 1) {
    fail(ErrorKind::Runtime, "Boolean value of Tensor with ", t->numel == 0 ? "no values" : "more than one value",
         " is ambiguous");
  }
  return item_as_double(t) != 0;
  FNGRAD_CATCH(-1)
}

PyObject* nb_float(PyObject* a) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(a);
  require_one_element(t, "only one element tensors can be converted to Python scalars");
  return PyFloat_FromDouble(item_as_double(t));
  FNGRAD_CATCH(nullptr)
}

PyObject* nb_int(PyObject* a) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(a);
  require_one_element(t, "only one element tensors can be converted to Python scalars");
  if (t->dtype == DType::Int64) return PyLong_FromLongLong(*data_ptr<int64_t>(t));
  return PyLong_FromDouble(item_as_double(t));
  FNGRAD_CATCH(nullptr)
}

PyObject* nb_index(PyObject* a) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(a);
  FNGRAD_CHECK_TYPE(t->numel == 1 && (t->dtype == DType::Int64 || t->dtype == DType::Bool),
                    "only integer tensors of a single element can be converted to an index");
  if (t->dtype == DType::Int64) return PyLong_FromLongLong(*data_ptr<int64_t>(t));  // exact beyond 2**53
  return PyLong_FromLongLong(static_cast<long long>(item_as_double(t)));
  FNGRAD_CATCH(nullptr)
}

PyObject* tensor_richcompare(PyObject* a, PyObject* b, int op) {
  FNGRAD_TRY
  Operand oa, ob;
  if (!to_operand(a, &oa) || !to_operand(b, &ob)) Py_RETURN_NOTIMPLEMENTED;
  ops::CompareKind k = ops::CompareKind::Eq;
  switch (op) {
    case Py_LT: k = ops::CompareKind::Lt; break;
    case Py_LE: k = ops::CompareKind::Le; break;
    case Py_GT: k = ops::CompareKind::Gt; break;
    case Py_GE: k = ops::CompareKind::Ge; break;
    case Py_EQ: k = ops::CompareKind::Eq; break;
    case Py_NE: k = ops::CompareKind::Ne; break;
  }
  return ops::compare(k, oa, ob).release();
  FNGRAD_CATCH(nullptr)
}

// ---- mapping protocol ----

Py_ssize_t mp_length(PyObject* self) {
  TensorObject* t = as_tensor(self);
  if (t->sizes.empty()) {
    PyErr_SetString(PyExc_TypeError, "len() of a 0-d tensor");
    return -1;
  }
  return static_cast<Py_ssize_t>(t->sizes[0]);
}

PyObject* mp_subscript(PyObject* self, PyObject* index) {
  FNGRAD_TRY
  return ops::index(as_tensor(self), index).release();
  FNGRAD_CATCH(nullptr)
}

int mp_ass_subscript(PyObject* self, PyObject* index, PyObject* value) {
  FNGRAD_TRY
  FNGRAD_CHECK_TYPE(value != nullptr, "[setitem] Tensor items cannot be deleted.");
  Scalar s;
  ops::Operand v;
  if (parse_scalar(value, &s)) {
    v = ops::Operand(s);
  } else {
    FNGRAD_CHECK_TYPE(is_tensor(value), "[setitem] Expected a number or a tensor as the value, got ", py_type_name(value), ".");
    v = ops::Operand(as_tensor(value));
  }
  ops::index_put(as_tensor(self), index, v);
  return 0;
  FNGRAD_CATCH(-1)
}

// ---- getters and setters ----

PyObject* get_shape(PyObject* self, void*) {
  FNGRAD_TRY
  return make_size(as_tensor(self)->sizes);
  FNGRAD_CATCH(nullptr)
}

PyObject* get_dtype(PyObject* self, void*) {
  PyObject* d = dtype_object(as_tensor(self)->dtype);
  Py_INCREF(d);
  return d;
}

PyObject* get_ndim(PyObject* self, void*) { return PyLong_FromSsize_t(static_cast<Py_ssize_t>(ndim(as_tensor(self)))); }

PyObject* get_requires_grad(PyObject* self, void*) { return PyBool_FromLong(autograd::requires_grad(as_tensor(self))); }

void set_requires_grad_flag(TensorObject* t, bool value) {
  if (t->grad_fn != nullptr) {
    fail(ErrorKind::Runtime, "you can only change requires_grad flags of leaf variables.",
         value ? "" : " If you want to use a computed variable in a subgraph that doesn't require differentiation use "
                      "var_no_grad = var.detach().");
  }
  FNGRAD_CHECK_RUNTIME(!value || is_floating(t->dtype), "only Tensors of floating point dtype can require gradients");
  FNGRAD_CHECK_RUNTIME(!value || !t->is_inference || InferenceMode::is_enabled(),
                       "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.");
  t->requires_grad = value;
}

int set_requires_grad(PyObject* self, PyObject* value, void*) {
  FNGRAD_TRY
  FNGRAD_CHECK_TYPE(value != nullptr && PyBool_Check(value), "requires_grad must be a bool");
  set_requires_grad_flag(as_tensor(self), value == Py_True);
  return 0;
  FNGRAD_CATCH(-1)
}

const char* const kNonLeafGradWarning =
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, "
    "use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
    "the leaf Tensor instead.";

PyObject* get_grad(PyObject* self, void*) {
  TensorObject* t = as_tensor(self);
  if (t->grad_fn != nullptr && !t->retains_grad && t->grad == nullptr) {
    if (PyErr_WarnEx(PyExc_UserWarning, kNonLeafGradWarning, 1) < 0) return nullptr;
  }
  if (t->grad == nullptr) Py_RETURN_NONE;
  Py_INCREF(t->grad);
  return t->grad;
}

int set_grad(PyObject* self, PyObject* value, void*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  if (value == nullptr || value == Py_None) {
    Py_CLEAR(t->grad);
    return 0;
  }
  FNGRAD_CHECK_TYPE(is_tensor(value), "assigned grad expected to be a Tensor or None but got grad of type ",
                    py_type_name(value));
  TensorObject* g = as_tensor(value);
  FNGRAD_CHECK_RUNTIME(g->sizes == t->sizes, "attempting to assign a gradient of size '", shape_str(g->sizes),
                       "' to a tensor of size '", shape_str(t->sizes),
                       "'. Please ensure that the gradient and the tensor are the same size");
  FNGRAD_CHECK_RUNTIME(g->dtype == t->dtype, "attempting to assign a gradient with dtype '", dtype_name(g->dtype),
                       "' to a tensor with dtype '", dtype_name(t->dtype),
                       "'. Please ensure that the gradient and the tensor have the same dtype");
  Py_INCREF(value);
  Py_XSETREF(t->grad, value);
  return 0;
  FNGRAD_CATCH(-1)
}

PyObject* get_grad_fn(PyObject* self, void*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  if (t->grad_fn == nullptr) Py_RETURN_NONE;
  return t->grad_fn->python_object();
  FNGRAD_CATCH(nullptr)
}

PyObject* get_is_leaf(PyObject* self, void*) { return PyBool_FromLong(as_tensor(self)->grad_fn == nullptr); }

PyObject* get_version(PyObject* self, void*) {
  return PyLong_FromUnsignedLongLong(as_tensor(self)->storage->version);
}

PyObject* get_output_nr(PyObject* self, void*) { return PyLong_FromUnsignedLong(as_tensor(self)->output_nr); }

PyObject* get_base(PyObject* self, void*) {
  TensorObject* b = as_tensor(self)->base;
  if (b == nullptr) Py_RETURN_NONE;
  Py_INCREF(reinterpret_cast<PyObject*>(b));
  return reinterpret_cast<PyObject*>(b);
}

PyObject* get_retains_grad(PyObject* self, void*) { return PyBool_FromLong(as_tensor(self)->retains_grad); }

PyObject* get_data(PyObject* self, void*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  TensorRef d = alias(t);
  // .data shares memory but not the version counter: writes through it are invisible to
  // autograd, as in PyTorch.
  Storage* s = alias_storage(t->storage);
  decref(d->storage);
  d->storage = s;
  return d.release();
  FNGRAD_CATCH(nullptr)
}

int set_data(PyObject* self, PyObject* value, void*) {
  FNGRAD_TRY
  FNGRAD_CHECK_TYPE(value != nullptr && is_tensor(value), "data must be a Tensor");
  TensorObject* t = as_tensor(self);
  TensorObject* v = as_tensor(value);
  incref(v->storage);
  decref(t->storage);
  t->storage = v->storage;
  t->offset = v->offset;
  t->sizes = v->sizes;
  t->strides = v->strides;
  t->numel = v->numel;
  t->dtype = v->dtype;
  t->contiguous = v->contiguous;
  return 0;
  FNGRAD_CATCH(-1)
}

PyObject* get_T(PyObject* self, void*);
PyObject* get_mT(PyObject* self, void*);

PyGetSetDef tensor_getset[] = {
    {"shape", get_shape, nullptr, "The tensor's shape, a fngrad.Size.", nullptr},
    {"dtype", get_dtype, nullptr, "The element type.", nullptr},
    {"ndim", get_ndim, nullptr, "Number of dimensions.", nullptr},
    {"requires_grad", get_requires_grad, set_requires_grad, "Whether gradients are computed for this tensor.",
     nullptr},
    {"grad", get_grad, set_grad, "The accumulated gradient (leaves), or None.", nullptr},
    {"grad_fn", get_grad_fn, nullptr, "The node that created this tensor, or None for leaves.", nullptr},
    {"is_leaf", get_is_leaf, nullptr, "True for tensors not created by a recorded op.", nullptr},
    {"_version", get_version, nullptr, "The version counter of the tensor's memory.", nullptr},
    {"output_nr", get_output_nr, nullptr, "Which output of grad_fn this tensor is.", nullptr},
    {"_base", get_base, nullptr, "The tensor this one is a view of, or None.", nullptr},
    {"retains_grad", get_retains_grad, nullptr, "Whether a non-leaf keeps its .grad (see retain_grad()).", nullptr},
    {"data", get_data, set_data, "The tensor's data, detached from autograd (writes bypass the version counter).",
     nullptr},
    {"T", get_T, nullptr, "The tensor with its dims reversed (a view).", nullptr},
    {"mT", get_mT, nullptr, "The last two dims transposed (a view).", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

// ---- methods ----

#define FASTCALL(fn) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(fn))

PyObject* m_numpy(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"force"};
  PyObject* a[1];
  parse_args(args, nargs, kwnames, names, 1, a, "numpy");
  return tensor_to_numpy(as_tensor(self), parse_bool(a[0], false));
  FNGRAD_CATCH(nullptr)
}

PyObject* m_item(PyObject* self, PyObject*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  FNGRAD_CHECK_RUNTIME(t->numel == 1, "a Tensor with ", t->numel, " elements cannot be converted to Scalar");
  switch (t->dtype) {
    case DType::Bool: return PyBool_FromLong(*data_ptr<bool>(t));
    case DType::Int64: return PyLong_FromLongLong(*data_ptr<int64_t>(t));
    default: return PyFloat_FromDouble(item_as_double(t));
  }
  FNGRAD_CATCH(nullptr)
}

PyObject* m_clone(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return ops::clone(as_tensor(self)).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_detach(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return ops::detach(as_tensor(self)).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_detach_(PyObject* self, PyObject*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  FNGRAD_CHECK_RUNTIME(t->base == nullptr || !autograd::requires_grad(t->base),
                       "Can't detach views in-place. Use detach() instead.");
  if (t->grad_fn != nullptr) {
    Node* fn = t->grad_fn;
    t->grad_fn = nullptr;
    autograd::node_decref(fn);
  }
  t->requires_grad = false;
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

PyObject* m_requires_grad_(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"requires_grad"};
  PyObject* a[1];
  parse_args(args, nargs, kwnames, names, 1, a, "requires_grad_");
  set_requires_grad_flag(as_tensor(self), parse_bool(a[0], true));
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

PyObject* m_retain_grad(PyObject* self, PyObject*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  FNGRAD_CHECK_RUNTIME(autograd::requires_grad(t), "can't retain_grad on Tensor that has requires_grad=False");
  if (t->grad_fn != nullptr && !t->retains_grad) {
    autograd::register_retains_grad(t);
    t->retains_grad = true;
  }
  Py_RETURN_NONE;
  FNGRAD_CATCH(nullptr)
}

template <TensorRef (*F)(TensorObject*)>
PyObject* m_unary(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return F(as_tensor(self)).release();
  FNGRAD_CATCH(nullptr)
}

template <void (*F)(TensorObject*)>
PyObject* m_unary_(PyObject* self, PyObject*) {
  FNGRAD_TRY
  F(as_tensor(self));
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}


// clamp with tensor bounds (broadcast, differentiable in the bounds as well): written in Python,
// fngrad._functions._clamp_tensor_bounds (Note [Python callbacks]). A new reference.
PyObject* clamp_tensor_bounds(PyObject* self, PyObject* lo, PyObject* hi, bool inplace) {
  PyObject* fn = py_callback(PyCallback::ClampTensorBounds);
  return PyRef::check(PyObject_CallFunctionObjArgs(fn, self, lo == nullptr ? Py_None : lo, hi == nullptr ? Py_None : hi,
                                                   inplace ? Py_True : Py_False, nullptr))
      .release();
}

// clamp and clamp_: number bounds go to the native op, a tensor bound to clamp_tensor_bounds.
PyObject* clamp_method(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, bool inplace) {
  const char* op = inplace ? "clamp_" : "clamp";
  static const char* const names[] = {"min", "max"};
  PyObject* a[2];
  parse_args(args, nargs, kwnames, names, 2, a, op);
  const bool has_lo = !is_none(a[0]), has_hi = !is_none(a[1]);
  if ((has_lo && is_tensor(a[0])) || (has_hi && is_tensor(a[1]))) return clamp_tensor_bounds(self, a[0], a[1], inplace);
  Scalar lo, hi;
  if (has_lo) lo = require_scalar(a[0], op, "min");
  if (has_hi) hi = require_scalar(a[1], op, "max");
  if (!inplace) return ops::clamp(as_tensor(self), has_lo ? &lo : nullptr, has_hi ? &hi : nullptr).release();
  ops::clamp_(as_tensor(self), has_lo ? &lo : nullptr, has_hi ? &hi : nullptr);
  Py_INCREF(self);
  return self;
}

PyObject* m_clamp(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  return clamp_method(self, args, nargs, kwnames, false);
  FNGRAD_CATCH(nullptr)
}

PyObject* m_sum(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"dim", "keepdim", "dtype"};
  PyObject* a[3];
  parse_args(args, nargs, kwnames, names, 3, a, "sum");
  DimVec dims;
  bool has_dims = parse_dims(a[0], &dims, "sum");
  TensorRef r = ops::sum(as_tensor(self), has_dims ? &dims : nullptr, parse_bool(a[1], false));
  if (a[2] != nullptr && a[2] != Py_None) r = ops::to_dtype(r.get(), parse_dtype(a[2], "sum"));
  return r.release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_size(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"dim"};
  PyObject* a[1];
  parse_args(args, nargs, kwnames, names, 1, a, "size");
  TensorObject* t = as_tensor(self);
  if (a[0] == nullptr || a[0] == Py_None) return make_size(t->sizes);
  int64_t d = wrap_dim(parse_int(a[0], "size", "dim"), ndim(t), "size");
  return PyLong_FromLongLong(t->sizes[d]);
  FNGRAD_CATCH(nullptr)
}

PyObject* m_dim(PyObject* self, PyObject*) { return PyLong_FromSsize_t(static_cast<Py_ssize_t>(ndim(as_tensor(self)))); }
PyObject* m_numel(PyObject* self, PyObject*) { return PyLong_FromLongLong(as_tensor(self)->numel); }
PyObject* m_element_size(PyObject* self, PyObject*) { return PyLong_FromSize_t(itemsize(as_tensor(self)->dtype)); }
PyObject* m_is_contiguous(PyObject* self, PyObject*) { return PyBool_FromLong(as_tensor(self)->contiguous); }
PyObject* m_is_floating_point(PyObject* self, PyObject*) { return PyBool_FromLong(is_floating(as_tensor(self)->dtype)); }
PyObject* m_is_inference(PyObject* self, PyObject*) { return PyBool_FromLong(as_tensor(self)->is_inference); }

PyObject* m_contiguous(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return ops::contiguous(as_tensor(self)).release();
  FNGRAD_CATCH(nullptr)
}

template <DType D>
PyObject* m_cast(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return ops::to_dtype(as_tensor(self), D).release();
  FNGRAD_CATCH(nullptr)
}

// A device argument of to(): the CPU is the only device ("cpu", "cpu:0", Tensor.device).
void check_device(PyObject* device) {
  FNGRAD_CHECK_TYPE(PyUnicode_Check(device), "[to] argument 'device' must be a device string, not ",
                    py_type_name(device), ".");
  const char* name = PyUnicode_AsUTF8(device);
  FNGRAD_PY_CHECK(name != nullptr);
  std::string s = name;
  std::string type = s.substr(0, s.find(':'));
  bool index_ok = s.size() == type.size() ||
                  (s.size() > type.size() + 1 && s.find_first_not_of("0123456789", type.size() + 1) == std::string::npos);
  if (type == "cpu" && index_ok) return;
  static const char* const known[] = {"cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "hpu", "mtia", "privateuseone"};
  for (const char* k : known) {
    FNGRAD_CHECK_RUNTIME(!(type == k && index_ok), "[to] fngrad tensors live on the CPU; device '", s,
                         "' is not available.");
  }
  fail(ErrorKind::Runtime, "[to] Invalid device string: '", s, "'");
}

// to(dtype, non_blocking=False, copy=False), to(device=None, dtype=None, non_blocking=False,
// copy=False) and to(other, non_blocking=False, copy=False), as in PyTorch.
PyObject* m_to(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"device", "dtype", "non_blocking", "copy", "memory_format"};
  PyObject* a[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  // The first positional argument is a device, a dtype or a tensor; the names follow from it.
  DType d0;
  const bool first_is_dtype = nargs > 0 && (dtype_from_object(args[0], &d0) || PyType_Check(args[0]));
  const bool first_is_tensor = nargs > 0 && is_tensor(args[0]);
  if (first_is_dtype || first_is_tensor) {
    FNGRAD_CHECK_TYPE(nargs <= 3, "to() takes at most 3 positional arguments here but ", nargs, " were given");
    PyObject* rest[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
    static const char* const tail_names[] = {"non_blocking", "copy", "memory_format"};
    parse_args(args + 1, nargs - 1, kwnames, tail_names, 3, rest, "to");
    a[1] = first_is_tensor ? dtype_object(as_tensor(args[0])->dtype) : args[0];
    a[2] = rest[0];
    a[3] = rest[1];
  } else {
    parse_args(args, nargs, kwnames, names, 5, a, "to");
  }
  TensorObject* t = as_tensor(self);
  if (!is_none(a[0])) check_device(a[0]);
  const bool copy = parse_bool(a[3], false);
  DType d = is_none(a[1]) ? t->dtype : parse_dtype(a[1], "to");
  if (d == t->dtype) {
    if (copy) return ops::clone(t).release();
    Py_INCREF(self);
    return self;
  }
  return ops::to_dtype(t, d).release();
  FNGRAD_CATCH(nullptr)
}

template <ops::CompareKind K>
PyObject* m_compare(PyObject* self, PyObject* other) {
  FNGRAD_TRY
  Operand o;
  FNGRAD_CHECK_TYPE(to_operand(other, &o), "[compare] Expected a tensor or a number, got ", py_type_name(other), ".");
  return ops::compare(K, Operand(as_tensor(self)), o).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_zero_(PyObject* self, PyObject*) {
  FNGRAD_TRY
  ops::fill_(as_tensor(self), Scalar::of_int(0));
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

PyObject* m_fill_(PyObject* self, PyObject* value) {
  FNGRAD_TRY
  if (is_tensor(value)) {
    FNGRAD_CHECK_RUNTIME(ndim(as_tensor(value)) == 0, "[fill_] fill_ only supports 0-dimension value tensor but got "
                         "tensor with ", ndim(as_tensor(value)), " dimensions.");
  }
  ops::fill_(as_tensor(self), require_scalar(value, "fill_", "value"));
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

// masked_fill takes a number or a 0-dim tensor as the value, as in PyTorch.
void check_masked_fill_value(PyObject* value, const char* op) {
  if (!is_tensor(value)) return;
  const int64_t nd = ndim(as_tensor(value));
  FNGRAD_CHECK_RUNTIME(nd == 0, "[", op, "] masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
                       nd, " dimension(s).");
}

PyObject* m_masked_fill_(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"mask", "value"};
  PyObject* a[2];
  parse_args(args, nargs, kwnames, names, 2, a, "masked_fill_");
  FNGRAD_CHECK_TYPE(a[0] != nullptr && is_tensor(a[0]) && a[1] != nullptr,
                    "[masked_fill_] Expected (mask: Tensor, value: number).");
  check_masked_fill_value(a[1], "masked_fill_");
  ops::masked_fill_(as_tensor(self), as_tensor(a[0]), require_scalar(a[1], "masked_fill_", "value"));
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

PyObject* m_unsqueeze(PyObject* self, PyObject* dim) {
  FNGRAD_TRY
  return ops::unsqueeze(as_tensor(self), parse_int(dim, "unsqueeze", "dim")).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_expand(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  FNGRAD_TRY
  return ops::expand(as_tensor(self), parse_shape(args, nargs, "expand")).release();
  FNGRAD_CATCH(nullptr)
}

// ---- more ops: arguments parsed here, work done in ops:: ----


TensorObject* tensor_param(PyObject* o, const char* op, const char* what) {
  FNGRAD_CHECK_TYPE(o != nullptr && is_tensor(o), "[", op, "] Expected a Tensor for ", what, ", got ",
                    o == nullptr ? std::string("nothing") : py_type_name(o), ".");
  return as_tensor(o);
}

Operand operand_param(PyObject* o, const char* op) {
  Operand r;
  FNGRAD_CHECK_TYPE(o != nullptr && to_operand(o, &r), "[", op, "] Expected a tensor or a number, got ",
                    o == nullptr ? std::string("nothing") : py_type_name(o), ".");
  return r;
}

double double_param(PyObject* o, double dflt, const char* op, const char* what) {
  if (is_none(o)) return dflt;
  Scalar s = require_scalar(o, op, what);
  return s.to<double>();
}

PyObject* tuple_of(SmallVec<TensorRef, 4>&& parts) {
  PyRef t = PyRef::check(PyTuple_New(static_cast<Py_ssize_t>(parts.size())));
  for (size_t i = 0; i < parts.size(); i++) PyTuple_SET_ITEM(t.get(), static_cast<Py_ssize_t>(i), parts[i].release());
  return t.release();
}

// A reduction method: (dim=None, keepdim=False) plus extra keyword names.
#define FNGRAD_REDUCTION_ARGS(name_str)                                   \
  static const char* const names[] = {"dim", "keepdim"};                  \
  PyObject* a[2];                                                         \
  parse_args(args, nargs, kwnames, names, 2, a, name_str);                \
  DimVec dims;                                                            \
  bool has_dims = parse_dims(a[0], &dims, name_str);                      \
  bool keepdim = parse_bool(a[1], false);

PyObject* m_mean(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"dim", "keepdim", "dtype"};
  PyObject* a[3];
  parse_args(args, nargs, kwnames, names, 3, a, "mean");
  DimVec dims;
  bool has_dims = parse_dims(a[0], &dims, "mean");
  TensorRef x = TensorRef::borrow(self);
  if (!is_none(a[2])) x = ops::to_dtype(x.get(), parse_dtype(a[2], "mean"));
  return ops::mean(x.get(), has_dims ? &dims : nullptr, parse_bool(a[1], false)).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_prod(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  FNGRAD_REDUCTION_ARGS("prod")
  return ops::prod(as_tensor(self), has_dims ? &dims : nullptr, keepdim).release();
  FNGRAD_CATCH(nullptr)
}

template <bool Max>
PyObject* m_amax(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  FNGRAD_REDUCTION_ARGS(Max ? "amax" : "amin")
  return (Max ? ops::amax : ops::amin)(as_tensor(self), has_dims ? &dims : nullptr, keepdim).release();
  FNGRAD_CATCH(nullptr)
}

// max()/min() of everything, or (values, indices) along a dim (Python wraps the pair).
template <bool Max>
PyObject* m_max(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"dim", "keepdim"};
  PyObject* a[2];
  parse_args(args, nargs, kwnames, names, 2, a, Max ? "max" : "min");
  if (!is_none(a[0]) && is_tensor(a[0])) {
    // max(other): the elementwise maximum, as PyTorch's overload does.
    Operand other(as_tensor(a[0]));
    return (Max ? ops::apply_Maximum(Operand(as_tensor(self)), other) : ops::apply_Minimum(Operand(as_tensor(self)), other))
        .release();
  }
  if (is_none(a[0])) {
    FNGRAD_CHECK_RUNTIME(as_tensor(self)->numel > 0, "[", Max ? "max" : "min", "] ", Max ? "max" : "min",
                         "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim "
                         "with the 'dim' argument.");
    return (Max ? ops::amax : ops::amin)(as_tensor(self), nullptr, false).release();
  }
  auto r = ops::max_dim(as_tensor(self), parse_int(a[0], Max ? "max" : "min", "dim"), parse_bool(a[1], false), Max);
  PyRef t = PyRef::check(PyTuple_New(2));
  PyTuple_SET_ITEM(t.get(), 0, r.first.release());
  PyTuple_SET_ITEM(t.get(), 1, r.second.release());
  return t.release();
  FNGRAD_CATCH(nullptr)
}

template <bool Max>
PyObject* m_argmax(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  FNGRAD_REDUCTION_ARGS(Max ? "argmax" : "argmin")
  return ops::argmax(as_tensor(self), has_dims ? &dims : nullptr, keepdim, Max).release();
  FNGRAD_CATCH(nullptr)
}

template <bool Sqrt>
PyObject* m_var(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  const char* op = Sqrt ? "std" : "var";
  static const char* const names[] = {"dim", "unbiased", "keepdim", "correction"};
  PyObject* a[4];
  parse_args(args, nargs, kwnames, names, 4, a, op);
  // var(True) means var(unbiased=True), as in PyTorch's old signature.
  PyObject* dim = a[0];
  PyObject* unbiased = a[1];
  if (dim != nullptr && PyBool_Check(dim)) {
    unbiased = dim;
    dim = nullptr;
  }
  DimVec dims;
  bool has_dims = parse_dims(dim, &dims, op);
  double correction = 1;
  if (!is_none(unbiased)) correction = parse_bool(unbiased, true) ? 1 : 0;
  if (!is_none(a[3])) correction = double_param(a[3], 1, op, "correction");
  return ops::var(as_tensor(self), has_dims ? &dims : nullptr, correction, parse_bool(a[2], false), Sqrt).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_logsumexp(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  FNGRAD_REDUCTION_ARGS("logsumexp")
  FNGRAD_CHECK_TYPE(has_dims, "[logsumexp] logsumexp() missing required argument 'dim'");
  return ops::logsumexp(as_tensor(self), &dims, keepdim).release();
  FNGRAD_CATCH(nullptr)
}

template <bool Log>
PyObject* m_softmax(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  const char* op = Log ? "log_softmax" : "softmax";
  static const char* const names[] = {"dim", "dtype"};
  PyObject* a[2];
  parse_args(args, nargs, kwnames, names, 2, a, op);
  FNGRAD_CHECK_TYPE(!is_none(a[0]), "[", op, "] ", op, "() missing required argument 'dim'");
  TensorRef x = TensorRef::borrow(self);
  if (!is_none(a[1])) x = ops::to_dtype(x.get(), parse_dtype(a[1], op));
  return ops::softmax(x.get(), parse_int(a[0], op, "dim"), Log).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_norm(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"p", "dim", "keepdim", "dtype"};
  PyObject* a[4];
  parse_args(args, nargs, kwnames, names, 4, a, "norm");
  double p = 2;
  if (!is_none(a[0])) {
    if (PyUnicode_Check(a[0])) {
      std::string name = PyUnicode_AsUTF8(a[0]);
      FNGRAD_CHECK_RUNTIME(name == "fro", "[norm] Order ", name, " not supported: use a number, inf or 'fro'.");
    } else {
      p = double_param(a[0], 2, "norm", "p");
    }
  }
  DimVec dims;
  bool has_dims = parse_dims(a[1], &dims, "norm");
  TensorRef x = TensorRef::borrow(self);
  if (!is_none(a[3])) x = ops::to_dtype(x.get(), parse_dtype(a[3], "norm"));
  return ops::norm(x.get(), p, has_dims ? &dims : nullptr, parse_bool(a[2], false)).release();
  FNGRAD_CATCH(nullptr)
}

template <bool All>
PyObject* m_all(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  FNGRAD_REDUCTION_ARGS(All ? "all" : "any")
  return ops::all_any(as_tensor(self), has_dims ? &dims : nullptr, keepdim, All).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* nb_power(PyObject* a, PyObject* b, PyObject* mod) {
  FNGRAD_TRY
  if (mod != Py_None) Py_RETURN_NOTIMPLEMENTED;
  Operand oa, ob;
  if (!to_operand(a, &oa) || !to_operand(b, &ob)) Py_RETURN_NOTIMPLEMENTED;
  return ops::pow(oa, ob).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* nb_inplace_power(PyObject* a, PyObject* b, PyObject* mod) {
  FNGRAD_TRY
  Operand ob;
  if (mod != Py_None || !is_tensor(a) || !to_operand(b, &ob)) Py_RETURN_NOTIMPLEMENTED;
  ops::apply_Pow_(as_tensor(a), ob);
  Py_INCREF(a);
  return a;
  FNGRAD_CATCH(nullptr)
}

PyObject* nb_matmul(PyObject* a, PyObject* b) {
  FNGRAD_TRY
  if (!is_tensor(a) || !is_tensor(b)) Py_RETURN_NOTIMPLEMENTED;
  return ops::matmul(as_tensor(a), as_tensor(b)).release();
  FNGRAD_CATCH(nullptr)
}

template <ops::LogicalKind K>
PyObject* nb_bitwise(PyObject* a, PyObject* b) {
  FNGRAD_TRY
  Operand oa, ob;
  if (!to_operand(a, &oa) || !to_operand(b, &ob)) Py_RETURN_NOTIMPLEMENTED;
  return ops::logical(K, oa, ob, true).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* nb_invert(PyObject* a) {
  FNGRAD_TRY
  return ops::logical_not(as_tensor(a), true).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* nb_absolute(PyObject* a) {
  FNGRAD_TRY
  return ops::apply_Abs(as_tensor(a)).release();
  FNGRAD_CATCH(nullptr)
}

template <ops::LogicalKind K>
PyObject* m_logical(PyObject* self, PyObject* other) {
  FNGRAD_TRY
  return ops::logical(K, Operand(as_tensor(self)), operand_param(other, "logical"), false).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_logical_not(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return ops::logical_not(as_tensor(self), false).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_clamp_(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  return clamp_method(self, args, nargs, kwnames, true);
  FNGRAD_CATCH(nullptr)
}

PyObject* m_copy_(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"src", "non_blocking"};
  PyObject* a[2];
  parse_args(args, nargs, kwnames, names, 2, a, "copy_");
  ops::copy_(as_tensor(self), tensor_param(a[0], "copy_", "src"));
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

PyObject* m_masked_fill(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"mask", "value"};
  PyObject* a[2];
  parse_args(args, nargs, kwnames, names, 2, a, "masked_fill");
  if (a[1] != nullptr) check_masked_fill_value(a[1], "masked_fill");
  return ops::masked_fill(as_tensor(self), tensor_param(a[0], "masked_fill", "mask"),
                          require_scalar(a[1], "masked_fill", "value"))
      .release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_where(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"condition", "other"};
  PyObject* a[2];
  parse_args(args, nargs, kwnames, names, 2, a, "where");
  return ops::where(tensor_param(a[0], "where", "condition"), Operand(as_tensor(self)), operand_param(a[1], "where"))
      .release();
  FNGRAD_CATCH(nullptr)
}

template <TensorRef (*F)(TensorObject*, TensorObject*)>
PyObject* m_tensor_binary(PyObject* self, PyObject* other) {
  FNGRAD_TRY
  return F(as_tensor(self), tensor_param(other, "matmul", "other")).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_reshape(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  FNGRAD_TRY
  return ops::reshape(as_tensor(self), parse_shape(args, nargs, "reshape")).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_view(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  FNGRAD_TRY
  if (nargs == 1 && !PyIndex_Check(args[0]) && !PySequence_Check(args[0])) {
    // view(dtype) reinterprets memory in PyTorch; fngrad only supports the same dtype.
    DType d = parse_dtype(args[0], "view");
    FNGRAD_CHECK_RUNTIME(d == as_tensor(self)->dtype, "[view] Viewing a tensor as another dtype is not supported.");
    return ops::view_as_shape(as_tensor(self), as_tensor(self)->sizes).release();
  }
  return ops::view_as_shape(as_tensor(self), parse_shape(args, nargs, "view")).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_view_as(PyObject* self, PyObject* other) {
  FNGRAD_TRY
  return ops::view_as_shape(as_tensor(self), tensor_param(other, "view_as", "other")->sizes).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_reshape_as(PyObject* self, PyObject* other) {
  FNGRAD_TRY
  return ops::reshape(as_tensor(self), tensor_param(other, "reshape_as", "other")->sizes).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_expand_as(PyObject* self, PyObject* other) {
  FNGRAD_TRY
  return ops::expand(as_tensor(self), tensor_param(other, "expand_as", "other")->sizes).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_flatten(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"start_dim", "end_dim"};
  PyObject* a[2];
  parse_args(args, nargs, kwnames, names, 2, a, "flatten");
  int64_t start = is_none(a[0]) ? 0 : parse_int(a[0], "flatten", "start_dim");
  int64_t end = is_none(a[1]) ? -1 : parse_int(a[1], "flatten", "end_dim");
  return ops::flatten(as_tensor(self), start, end).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_squeeze(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"dim"};
  PyObject* a[1];
  parse_args(args, nargs, kwnames, names, 1, a, "squeeze");
  if (is_none(a[0])) return ops::squeeze_all(as_tensor(self)).release();
  DimVec dims;
  parse_dims(a[0], &dims, "squeeze");
  TensorRef r = TensorRef::borrow(self);
  // Squeeze the highest dims first so that lower indices stay valid.
  const int64_t nd = ndim(as_tensor(self));
  for (int64_t& d : dims) d = wrap_dim(d, nd, "squeeze");
  std::sort(dims.begin(), dims.end());
  for (size_t i = dims.size(); i-- > 0;) r = ops::squeeze_dim(r.get(), dims[i]);
  return r.release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_transpose(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"dim0", "dim1"};
  PyObject* a[2];
  parse_args(args, nargs, kwnames, names, 2, a, "transpose");
  FNGRAD_CHECK_TYPE(!is_none(a[0]) && !is_none(a[1]), "[transpose] transpose() missing required arguments dim0 and dim1");
  return ops::transpose(as_tensor(self), parse_int(a[0], "transpose", "dim0"), parse_int(a[1], "transpose", "dim1"))
      .release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_permute(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  FNGRAD_TRY
  return ops::permute(as_tensor(self), parse_shape(args, nargs, "permute")).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_t(PyObject* self, PyObject*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  FNGRAD_CHECK_RUNTIME(ndim(t) <= 2, "[t] t() expects a tensor with <= 2 dimensions, but self is ", ndim(t), "D");
  if (ndim(t) < 2) return ops::transpose(t, 0, 0).release();
  return ops::transpose(t, 0, 1).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* get_T(PyObject* self, void*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  DimVec perm;
  for (int64_t d = ndim(t) - 1; d >= 0; d--) perm.push_back(d);
  return ops::permute(t, perm).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* get_mT(PyObject* self, void*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  FNGRAD_CHECK_RUNTIME(ndim(t) >= 2, "[mT] tensor.mT is only supported on matrices or batches of matrices. Got ",
                       ndim(t), "-D tensor.");
  return ops::transpose(t, -2, -1).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_broadcast_to(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  FNGRAD_TRY
  return ops::expand(as_tensor(self), parse_shape(args, nargs, "broadcast_to")).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_split(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"split_size", "dim"};
  PyObject* a[2];
  parse_args(args, nargs, kwnames, names, 2, a, "split");
  FNGRAD_CHECK_TYPE(!is_none(a[0]), "[split] split() missing required argument 'split_size'");
  int64_t dim = is_none(a[1]) ? 0 : parse_int(a[1], "split", "dim");
  if (PyIndex_Check(a[0]) && !is_tensor(a[0])) return tuple_of(ops::split(as_tensor(self), parse_int(a[0], "split", "split_size"), dim));
  return tuple_of(ops::split_sizes(as_tensor(self), parse_shape_object(a[0], "split"), dim));
  FNGRAD_CATCH(nullptr)
}

PyObject* m_chunk(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"chunks", "dim"};
  PyObject* a[2];
  parse_args(args, nargs, kwnames, names, 2, a, "chunk");
  FNGRAD_CHECK_TYPE(!is_none(a[0]), "[chunk] chunk() missing required argument 'chunks'");
  int64_t dim = is_none(a[1]) ? 0 : parse_int(a[1], "chunk", "dim");
  return tuple_of(ops::chunk(as_tensor(self), parse_int(a[0], "chunk", "chunks"), dim));
  FNGRAD_CATCH(nullptr)
}

PyObject* m_unbind(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"dim"};
  PyObject* a[1];
  parse_args(args, nargs, kwnames, names, 1, a, "unbind");
  return tuple_of(ops::unbind(as_tensor(self), is_none(a[0]) ? 0 : parse_int(a[0], "unbind", "dim")));
  FNGRAD_CATCH(nullptr)
}

PyObject* m_take(PyObject* self, PyObject* index) {
  FNGRAD_TRY
  return ops::take(as_tensor(self), tensor_param(index, "take", "index")).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_leaky_relu(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const char* const names[] = {"negative_slope"};
  PyObject* a[1];
  parse_args(args, nargs, kwnames, names, 1, a, "leaky_relu");
  return ops::leaky_relu(as_tensor(self), double_param(a[0], 0.01, "leaky_relu", "negative_slope")).release();
  FNGRAD_CATCH(nullptr)
}

PyMethodDef tensor_methods[] = {
    {"numpy", FASTCALL(m_numpy), METH_FASTCALL | METH_KEYWORDS,
     "The tensor's data as a NumPy array sharing its memory."},
    {"item", m_item, METH_NOARGS, "The value of a one-element tensor as a Python number."},
    {"clone", m_clone, METH_NOARGS, "A copy of the tensor (differentiable)."},
    {"detach", m_detach, METH_NOARGS, "A tensor sharing this one's data, outside the graph."},
    {"detach_", m_detach_, METH_NOARGS, "Removes this tensor from the graph, in place."},
    {"requires_grad_", FASTCALL(m_requires_grad_), METH_FASTCALL | METH_KEYWORDS,
     "Sets requires_grad in place and returns the tensor."},
    {"retain_grad", m_retain_grad, METH_NOARGS, "Keeps .grad for this non-leaf tensor after backward."},
    {"negative", m_unary<&ops::apply_Neg>, METH_NOARGS, "-x elementwise."},
    {"absolute", m_unary<&ops::apply_Abs>, METH_NOARGS, "|x| elementwise."},
    {"clamp", FASTCALL(m_clamp), METH_FASTCALL | METH_KEYWORDS, "Clamps every element into [min, max]."},
    {"clip", FASTCALL(m_clamp), METH_FASTCALL | METH_KEYWORDS, "Alias of clamp."},
    {"sum", FASTCALL(m_sum), METH_FASTCALL | METH_KEYWORDS, "Sum over all or some dims."},
    {"size", FASTCALL(m_size), METH_FASTCALL | METH_KEYWORDS, "The shape, or the size of one dim."},
    {"dim", m_dim, METH_NOARGS, "Number of dimensions."},
    {"numel", m_numel, METH_NOARGS, "Number of elements."},
    {"element_size", m_element_size, METH_NOARGS, "Bytes per element."},
    {"is_contiguous", m_is_contiguous, METH_NOARGS, "Whether the memory is row-major contiguous."},
    {"is_floating_point", m_is_floating_point, METH_NOARGS, "Whether the dtype is float32 or float64."},
    {"is_inference", m_is_inference, METH_NOARGS, "Whether the tensor was created under inference_mode."},
    {"contiguous", m_contiguous, METH_NOARGS, "A row-major contiguous tensor with the same values."},
    {"float", m_cast<DType::Float32>, METH_NOARGS, "Converts to float32."},
    {"double", m_cast<DType::Float64>, METH_NOARGS, "Converts to float64."},
    {"long", m_cast<DType::Int64>, METH_NOARGS, "Converts to int64."},
    {"bool", m_cast<DType::Bool>, METH_NOARGS, "Converts to bool."},
    {"to", FASTCALL(m_to), METH_FASTCALL | METH_KEYWORDS, "Converts to a dtype (the CPU is the only device)."},
    {"lt", m_compare<ops::CompareKind::Lt>, METH_O, "self < other"},
    {"le", m_compare<ops::CompareKind::Le>, METH_O, "self <= other"},
    {"gt", m_compare<ops::CompareKind::Gt>, METH_O, "self > other"},
    {"ge", m_compare<ops::CompareKind::Ge>, METH_O, "self >= other"},
    {"eq", m_compare<ops::CompareKind::Eq>, METH_O, "self == other"},
    {"ne", m_compare<ops::CompareKind::Ne>, METH_O, "self != other"},
    {"zero_", m_zero_, METH_NOARGS, "Fills with zeros, in place."},
    {"fill_", m_fill_, METH_O, "Fills with a value, in place."},
    {"masked_fill_", FASTCALL(m_masked_fill_), METH_FASTCALL | METH_KEYWORDS,
     "Fills the positions where mask is true with value, in place."},
    {"unsqueeze", m_unsqueeze, METH_O, "A view with a size-1 dim inserted at dim."},
    {"mean", FASTCALL(m_mean), METH_FASTCALL | METH_KEYWORDS, "Mean over all or some dims."},
    {"prod", FASTCALL(m_prod), METH_FASTCALL | METH_KEYWORDS, "Product over all or some dims."},
    {"amax", FASTCALL(m_amax<true>), METH_FASTCALL | METH_KEYWORDS, "Maximum over all or some dims."},
    {"amin", FASTCALL(m_amax<false>), METH_FASTCALL | METH_KEYWORDS, "Minimum over all or some dims."},
    {"_max", FASTCALL(m_max<true>), METH_FASTCALL | METH_KEYWORDS, "max(); (values, indices) along a dim."},
    {"_min", FASTCALL(m_max<false>), METH_FASTCALL | METH_KEYWORDS, "min(); (values, indices) along a dim."},
    {"argmax", FASTCALL(m_argmax<true>), METH_FASTCALL | METH_KEYWORDS, "Index of the maximum."},
    {"argmin", FASTCALL(m_argmax<false>), METH_FASTCALL | METH_KEYWORDS, "Index of the minimum."},
    {"var", FASTCALL(m_var<false>), METH_FASTCALL | METH_KEYWORDS, "Variance (correction=1 by default)."},
    {"std", FASTCALL(m_var<true>), METH_FASTCALL | METH_KEYWORDS, "Standard deviation (correction=1 by default)."},
    {"logsumexp", FASTCALL(m_logsumexp), METH_FASTCALL | METH_KEYWORDS, "log(sum(exp(x))) over dims, computed stably."},
    {"softmax", FASTCALL(m_softmax<false>), METH_FASTCALL | METH_KEYWORDS, "Softmax along dim."},
    {"log_softmax", FASTCALL(m_softmax<true>), METH_FASTCALL | METH_KEYWORDS, "Log-softmax along dim."},
    {"norm", FASTCALL(m_norm), METH_FASTCALL | METH_KEYWORDS, "Vector norm (p=2 by default)."},
    {"all", FASTCALL(m_all<true>), METH_FASTCALL | METH_KEYWORDS, "Whether every element is true."},
    {"any", FASTCALL(m_all<false>), METH_FASTCALL | METH_KEYWORDS, "Whether any element is true."},
    {"logical_and", m_logical<ops::LogicalKind::And>, METH_O, "Elementwise logical and."},
    {"logical_or", m_logical<ops::LogicalKind::Or>, METH_O, "Elementwise logical or."},
    {"logical_xor", m_logical<ops::LogicalKind::Xor>, METH_O, "Elementwise logical xor."},
    {"logical_not", m_logical_not, METH_NOARGS, "Elementwise logical not."},
    {"clamp_", FASTCALL(m_clamp_), METH_FASTCALL | METH_KEYWORDS, "clamp, in place."},
    {"clip_", FASTCALL(m_clamp_), METH_FASTCALL | METH_KEYWORDS, "clamp, in place."},
    {"copy_", FASTCALL(m_copy_), METH_FASTCALL | METH_KEYWORDS, "Copies src (broadcast, converted) into self."},
    {"masked_fill", FASTCALL(m_masked_fill), METH_FASTCALL | METH_KEYWORDS, "value where mask is true."},
    {"where", FASTCALL(m_where), METH_FASTCALL | METH_KEYWORDS, "self where condition, else other."},
    {"matmul", m_tensor_binary<&ops::matmul>, METH_O, "Matrix product (NumPy's matmul rules)."},
    {"mm", m_tensor_binary<&ops::mm>, METH_O, "Matrix product of two matrices."},
    {"bmm", m_tensor_binary<&ops::bmm>, METH_O, "Batched matrix product."},
    {"dot", m_tensor_binary<&ops::dot>, METH_O, "Dot product of two vectors."},
    {"mv", m_tensor_binary<&ops::mv>, METH_O, "Matrix-vector product."},
    {"outer", m_tensor_binary<&ops::outer>, METH_O, "Outer product of two vectors."},
    {"reshape", FASTCALL(m_reshape), METH_FASTCALL, "The same values with another shape (a view when possible)."},
    {"view", FASTCALL(m_view), METH_FASTCALL, "A view with another shape."},
    {"view_as", m_view_as, METH_O, "A view with other's shape."},
    {"reshape_as", m_reshape_as, METH_O, "reshape to other's shape."},
    {"expand_as", m_expand_as, METH_O, "expand to other's shape."},
    {"flatten", FASTCALL(m_flatten), METH_FASTCALL | METH_KEYWORDS, "Merges dims start_dim..end_dim."},
    {"squeeze", FASTCALL(m_squeeze), METH_FASTCALL | METH_KEYWORDS, "Removes size-1 dims."},
    {"transpose", FASTCALL(m_transpose), METH_FASTCALL | METH_KEYWORDS, "Swaps two dims (a view)."},
    {"permute", FASTCALL(m_permute), METH_FASTCALL, "Reorders dims (a view)."},
    {"t", m_t, METH_NOARGS, "Transpose of a matrix (a view)."},
    {"broadcast_to", FASTCALL(m_broadcast_to), METH_FASTCALL, "A view broadcast to shape."},
    {"split", FASTCALL(m_split), METH_FASTCALL | METH_KEYWORDS, "Splits into views along dim."},
    {"chunk", FASTCALL(m_chunk), METH_FASTCALL | METH_KEYWORDS, "Splits into `chunks` views along dim."},
    {"unbind", FASTCALL(m_unbind), METH_FASTCALL | METH_KEYWORDS, "The slices along dim, as a tuple."},
    {"take", m_take, METH_O, "Elements at flat indices."},
    {"_leaky_relu", FASTCALL(m_leaky_relu), METH_FASTCALL | METH_KEYWORDS, "Leaky relu."},
    {"expand", FASTCALL(m_expand), METH_FASTCALL, "A view broadcast to a larger shape."},
    {nullptr, nullptr, 0, nullptr}};

// The methods of the elementwise op tables (x.exp(), x.exp_(), x.add(y, alpha=2), ...) and the
// rest, joined when the type is created.
std::vector<PyMethodDef> all_tensor_methods() {
  std::vector<PyMethodDef> out;
  append_op_table_methods(out);
  for (PyMethodDef* m = tensor_methods; m->ml_name != nullptr; m++) out.push_back(*m);
  out.push_back({nullptr, nullptr, 0, nullptr});
  return out;
}

}  // namespace

// ---- public helpers ----

int64_t parse_int(PyObject* o, const char* op, const char* what) {
  if (PyBool_Check(o) || !PyIndex_Check(o) || is_tensor(o)) {
    fail(ErrorKind::Type, "[", op, "] Expected an integer for ", what, ", got ", py_type_name(o), ".");
  }
  PyRef index = PyLong_Check(o) ? PyRef::borrow(o) : PyRef::check(PyNumber_Index(o));
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(index.get(), &overflow);
  if (overflow != 0) {
    // PyTorch: a size that does not fit in int64 is a TypeError (the size argument fails to
    // unpack), any other int argument a ValueError.
    fail(std::strcmp(what, "size") == 0 ? ErrorKind::Type : ErrorKind::Value, "[", op,
         "] Overflow when unpacking long long: argument '", what, "' does not fit in int64.");
  }
  if (v == -1 && PyErr_Occurred()) throw PythonError();
  return v;
}

void parse_args(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, const char* const* names, size_t n_names,
                PyObject** out, const char* fname) {
  for (size_t i = 0; i < n_names; i++) out[i] = nullptr;
  FNGRAD_CHECK_TYPE(static_cast<size_t>(nargs) <= n_names, fname, "() takes at most ", n_names,
                    " positional arguments but ", nargs, " were given");
  for (Py_ssize_t i = 0; i < nargs; i++) out[i] = args[i];
  if (kwnames == nullptr) return;
  for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(kwnames); k++) {
    const char* key = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
    FNGRAD_PY_CHECK(key != nullptr);
    size_t i = 0;
    for (; i < n_names; i++)
      if (std::strcmp(key, names[i]) == 0) break;
    FNGRAD_CHECK_TYPE(i < n_names, fname, "() got an unexpected keyword argument '", key, "'");
    FNGRAD_CHECK_TYPE(out[i] == nullptr, fname, "() got multiple values for argument '", key, "'");
    out[i] = args[nargs + k];
  }
}

PyObject* dtype_object(DType d) { return g_dtypes[static_cast<int>(d)]; }

bool dtype_from_object(PyObject* o, DType* out) {
  if (Py_TYPE(o) != DTypeType) return false;
  *out = reinterpret_cast<DTypeObject*>(o)->dtype;
  return true;
}

DType parse_dtype(PyObject* o, const char* op) {
  DType d;
  if (dtype_from_object(o, &d)) return d;
  // Python's float, int and bool stand for float64, int64 and bool, as in PyTorch. Names and
  // NumPy dtypes are refused, as PyTorch refuses them.
  if (o == reinterpret_cast<PyObject*>(&PyFloat_Type)) return DType::Float64;
  if (o == reinterpret_cast<PyObject*>(&PyLong_Type)) return DType::Int64;
  if (o == reinterpret_cast<PyObject*>(&PyBool_Type)) return DType::Bool;
  fail(ErrorKind::Type, "[", op, "] argument 'dtype' must be fngrad.dtype, not ", py_type_name(o), ".");
}

PyObject* make_size(const DimVec& sizes) {
  Py_ssize_t n = static_cast<Py_ssize_t>(sizes.size());
  PyObject* t = SizeType->tp_alloc(SizeType, n);
  if (t == nullptr) throw PythonError();
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject* v = PyLong_FromLongLong(sizes[static_cast<size_t>(i)]);
    if (v == nullptr) {
      Py_DECREF(t);
      throw PythonError();
    }
    PyTuple_SET_ITEM(t, i, v);
  }
  return t;
}

DimVec parse_shape_object(PyObject* o, const char* op) {
  DimVec shape;
  if (PyIndex_Check(o) && !is_tensor(o)) {
    shape.push_back(parse_int(o, op, "size"));
    return shape;
  }
  FNGRAD_CHECK_TYPE(PySequence_Check(o) && !PyUnicode_Check(o) && !is_tensor(o), "[", op,
                    "] argument 'size' must be tuple of ints, not ", py_type_name(o), ".");
  PyRef seq = PyRef::check(PySequence_Fast(o, "size must be a sequence of ints"));
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq.get()); i++)
    shape.push_back(parse_int(PySequence_Fast_GET_ITEM(seq.get(), i), op, "size"));
  return shape;
}

DimVec parse_shape(PyObject* const* args, Py_ssize_t nargs, const char* op) {
  if (nargs == 0) {
    const char* param = std::strcmp(op, "permute") == 0 ? "dims" : std::strcmp(op, "reshape") == 0 ? "shape" : "size";
    fail(ErrorKind::Type, "[", op, "] ", op, "() missing 1 required positional arguments: \"", param, "\"");
  }
  if (nargs == 1 && !PyIndex_Check(args[0])) return parse_shape_object(args[0], op);
  DimVec shape;
  for (Py_ssize_t i = 0; i < nargs; i++) shape.push_back(parse_int(args[i], op, "size"));
  return shape;
}

PyObject* tensor_to_numpy(TensorObject* t, bool force) {
  if (autograd::requires_grad(t)) {
    FNGRAD_CHECK_RUNTIME(force, "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
  }
  const int nd = static_cast<int>(ndim(t));
  const npy_intp isz = static_cast<npy_intp>(itemsize(t->dtype));
  SmallVec<npy_intp, 4> dims(static_cast<size_t>(nd)), strides(static_cast<size_t>(nd));
  for (int i = 0; i < nd; i++) {
    dims[i] = static_cast<npy_intp>(t->sizes[i]);
    strides[i] = static_cast<npy_intp>(t->strides[i]) * isz;
  }
  PyObject* arr = PyArray_New(&PyArray_Type, nd, dims.data(), numpy_typenum(t->dtype), strides.data(), raw_data(t), 0,
                              NPY_ARRAY_WRITEABLE, nullptr);
  if (arr == nullptr) throw PythonError();
  Py_INCREF(reinterpret_cast<PyObject*>(t));
  if (PyArray_SetBaseObject(reinterpret_cast<PyArrayObject*>(arr), reinterpret_cast<PyObject*>(t)) < 0) {
    Py_DECREF(arr);
    throw PythonError();
  }
  return arr;
}

TensorRef tensor_from_numpy(PyObject* obj) {
  FNGRAD_CHECK_TYPE(PyArray_Check(obj), "expected np.ndarray (got ", py_type_name(obj), ")");
  auto* arr = reinterpret_cast<PyArrayObject*>(obj);
  DType dtype;
  switch (PyArray_TYPE(arr)) {
    case NPY_BOOL: dtype = DType::Bool; break;
    case NPY_INT64: dtype = DType::Int64; break;
    case NPY_FLOAT32: dtype = DType::Float32; break;
    case NPY_FLOAT64: dtype = DType::Float64; break;
    default: {
      PyRef descr = PyRef::check(PyObject_Str(reinterpret_cast<PyObject*>(PyArray_DESCR(arr)->typeobj)));
      std::string name = PyUnicode_AsUTF8(descr.get());
      // "<class 'numpy.int32'>" -> "numpy.int32"
      auto a = name.find('\''), b = name.rfind('\'');
      if (a != std::string::npos && b > a) name = name.substr(a + 1, b - a - 1);
      fail(ErrorKind::Type, "can't convert np.ndarray of type ", name,
           ". The only supported types are: float64, float32, int64, and bool.");
    }
  }
  FNGRAD_CHECK_VALUE(PyArray_ISNOTSWAPPED(arr), "[from_numpy] given numpy array has byte order different from the "
                                                "native byte order. Conversion between byte orders is currently not "
                                                "supported.");
  const int nd = PyArray_NDIM(arr);
  const npy_intp isz = PyArray_ITEMSIZE(arr);
  DimVec sizes, strides;
  int64_t extent = 1;
  for (int i = 0; i < nd; i++) {
    npy_intp s = PyArray_STRIDES(arr)[i];
    FNGRAD_CHECK_VALUE(s >= 0, "At least one stride in the given numpy array is negative, and tensors with negative "
                               "strides are not currently supported. (You can probably work around this by making a "
                               "copy of your array  with array.copy().) ");
    FNGRAD_CHECK_VALUE(s % isz == 0, "given numpy array strides not a multiple of the element byte size. Copy the "
                                     "numpy array to reallocate the memory.");
    sizes.push_back(PyArray_DIMS(arr)[i]);
    strides.push_back(s / isz);
    if (sizes.back() > 0) extent += (sizes.back() - 1) * strides.back();
  }
  TensorRef t = alloc_tensor_object();
  t->storage = wrap_storage(obj, PyArray_DATA(arr), static_cast<size_t>(extent * isz));
  t->sizes = sizes;
  t->strides = strides;
  t->numel = product(sizes);
  t->dtype = dtype;
  t->contiguous = compute_contiguous(sizes, strides);
  return t;
}

void init_tensor_types(PyObject* module) {
  // dtype
  static PyType_Slot dtype_slots[] = {{Py_tp_repr, reinterpret_cast<void*>(dtype_repr)},
                                      {Py_tp_getset, dtype_getset},
                                      {Py_tp_methods, dtype_methods},
                                      {Py_tp_doc, const_cast<char*>("The element type of a tensor.")},
                                      {0, nullptr}};
  static PyType_Spec dtype_spec = {"fngrad.dtype", sizeof(DTypeObject), 0, Py_TPFLAGS_DEFAULT, dtype_slots};
  DTypeType = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&dtype_spec));
  if (DTypeType == nullptr) throw PythonError();
  for (int i = 0; i < kNumDTypes; i++) {
    PyObject* o = DTypeType->tp_alloc(DTypeType, 0);
    if (o == nullptr) throw PythonError();
    reinterpret_cast<DTypeObject*>(o)->dtype = static_cast<DType>(i);
    g_dtypes[i] = o;
    Py_INCREF(o);
    if (PyModule_AddObject(module, dtype_name(static_cast<DType>(i)), o) < 0) throw PythonError();
  }
  Py_INCREF(DTypeType);
  PyModule_AddObject(module, "dtype", reinterpret_cast<PyObject*>(DTypeType));

  // Size: a tuple subclass.
  static PyType_Slot size_slots[] = {{Py_tp_repr, reinterpret_cast<void*>(size_repr)},
                                     {Py_tp_methods, size_methods},
                                     {Py_tp_doc, const_cast<char*>("A tensor's shape: a tuple of ints.")},
                                     {0, nullptr}};
  static PyType_Spec size_spec = {"fngrad.Size", 0, 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, size_slots};
  PyRef size_bases = PyRef::check(PyTuple_Pack(1, reinterpret_cast<PyObject*>(&PyTuple_Type)));
  SizeType = reinterpret_cast<PyTypeObject*>(PyType_FromSpecWithBases(&size_spec, size_bases.get()));
  if (SizeType == nullptr) throw PythonError();
  Py_INCREF(SizeType);
  PyModule_AddObject(module, "Size", reinterpret_cast<PyObject*>(SizeType));

  // TensorBase
  static std::vector<PyMethodDef> methods = all_tensor_methods();
  static PyMemberDef tensor_members[] = {
      {"__dictoffset__", T_PYSSIZET, offsetof(TensorObject, dict), READONLY, nullptr},
      {"__weaklistoffset__", T_PYSSIZET, offsetof(TensorObject, weakreflist), READONLY, nullptr},
      {nullptr, 0, 0, 0, nullptr}};
  static PyType_Slot tensor_slots[] = {
      {Py_tp_dealloc, reinterpret_cast<void*>(tensor_dealloc)},
      {Py_tp_traverse, reinterpret_cast<void*>(tensor_traverse)},
      {Py_tp_clear, reinterpret_cast<void*>(tensor_clear)},
      {Py_tp_new, reinterpret_cast<void*>(tensor_new)},
      {Py_tp_hash, reinterpret_cast<void*>(tensor_hash)},
      {Py_tp_richcompare, reinterpret_cast<void*>(tensor_richcompare)},
      {Py_tp_methods, methods.data()},
      {Py_tp_getset, tensor_getset},
      {Py_tp_members, tensor_members},
      {Py_nb_add, reinterpret_cast<void*>(nb_binary<ops::Add>)},
      {Py_nb_subtract, reinterpret_cast<void*>(nb_binary<ops::Sub>)},
      {Py_nb_multiply, reinterpret_cast<void*>(nb_binary<ops::Mul>)},
      {Py_nb_true_divide, reinterpret_cast<void*>(nb_binary<ops::Div>)},
      {Py_nb_inplace_add, reinterpret_cast<void*>(nb_inplace<ops::Add>)},
      {Py_nb_inplace_subtract, reinterpret_cast<void*>(nb_inplace<ops::Sub>)},
      {Py_nb_inplace_multiply, reinterpret_cast<void*>(nb_inplace<ops::Mul>)},
      {Py_nb_inplace_true_divide, reinterpret_cast<void*>(nb_inplace<ops::Div>)},
      {Py_nb_negative, reinterpret_cast<void*>(nb_negative)},
      {Py_nb_power, reinterpret_cast<void*>(nb_power)},
      {Py_nb_inplace_power, reinterpret_cast<void*>(nb_inplace_power)},
      {Py_nb_matrix_multiply, reinterpret_cast<void*>(nb_matmul)},
      {Py_nb_and, reinterpret_cast<void*>(nb_bitwise<ops::LogicalKind::And>)},
      {Py_nb_or, reinterpret_cast<void*>(nb_bitwise<ops::LogicalKind::Or>)},
      {Py_nb_xor, reinterpret_cast<void*>(nb_bitwise<ops::LogicalKind::Xor>)},
      {Py_nb_invert, reinterpret_cast<void*>(nb_invert)},
      {Py_nb_absolute, reinterpret_cast<void*>(nb_absolute)},
      {Py_nb_positive, reinterpret_cast<void*>(nb_positive)},
      {Py_nb_bool, reinterpret_cast<void*>(nb_bool)},
      {Py_nb_float, reinterpret_cast<void*>(nb_float)},
      {Py_nb_int, reinterpret_cast<void*>(nb_int)},
      {Py_nb_index, reinterpret_cast<void*>(nb_index)},
      {Py_mp_length, reinterpret_cast<void*>(mp_length)},
      {Py_mp_subscript, reinterpret_cast<void*>(mp_subscript)},
      {Py_mp_ass_subscript, reinterpret_cast<void*>(mp_ass_subscript)},
      {Py_tp_doc, const_cast<char*>("The native base of fngrad.Tensor.")},
      {0, nullptr}};
  static PyType_Spec tensor_spec = {"fngrad._C.TensorBase", sizeof(TensorObject), 0,
                                    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, tensor_slots};
  TensorBaseType = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&tensor_spec));
  if (TensorBaseType == nullptr) throw PythonError();
  TensorClass = TensorBaseType;
  Py_INCREF(TensorBaseType);
  PyModule_AddObject(module, "TensorBase", reinterpret_cast<PyObject*>(TensorBaseType));
}

}  // namespace fngrad
