// _C.TensorBase: the Python face of TensorObject. Operators and indexing are CPython slots that
// call straight into ops::; the methods are METH_FASTCALL functions in tensor_methods.cpp,
// tensor_shape_methods.cpp and tensor_reduce_methods.cpp (arguments read by arg_parser.h), and
// the op tables' methods come from op_table_bindings.cpp. Methods written in Python (repr,
// backward, hooks) live in python/fngrad/_tensor.py on the subclass. dtype and Size are in
// dtype_type.cpp, NumPy conversion in numpy_interop.cpp.
#include "python/tensor_type.h"

#include <structmember.h>

#include <deque>
#include <string>
#include <vector>

#include "autograd/accumulate_grad.h"
#include "autograd/node.h"
#include "core/grad_mode.h"
#include "ops/ops.h"
#include "ops/binary_ops.h"
#include "ops/unary_ops.h"
#include "python/op_table_bindings.h"
#include "python/tensor_methods.h"

namespace fngrad {

using autograd::Node;
using ops::Operand;

void set_requires_grad_flag(TensorObject* t, bool value) {
  if (t->grad_fn != nullptr) {
    fail(ErrorKind::Runtime, "you can only change requires_grad flags of leaf variables.",
         value ? ""
               : " If you want to use a computed variable in a subgraph that doesn't require differentiation use "
                 "var_no_grad = var.detach().");
  }
  FNGRAD_CHECK_RUNTIME(!value || is_floating(t->dtype), "only Tensors of floating point dtype can require gradients");
  FNGRAD_CHECK_RUNTIME(!value || !t->is_inference || InferenceMode::is_enabled(),
                       "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.");
  t->requires_grad = value;
}

namespace {

// ---- tensor object lifetime ----

TensorObject* self_tensor(PyObject* o) { return as_tensor(o); }

void tensor_clear_python_refs(TensorObject* t) {
  Py_CLEAR(t->grad);
  Py_CLEAR(t->hooks);
  Py_CLEAR(t->post_acc_hooks);
  Py_CLEAR(t->dict);
  Py_CLEAR(t->fw_cell);
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
  Py_VISIT(t->fw_cell);
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
  FNGRAD_CHECK_TYPE(
      (args == nullptr || PyTuple_GET_SIZE(args) == 0) && (kwargs == nullptr || PyDict_GET_SIZE(kwargs) == 0),
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

// ---- number protocol ----

template <typename Op> PyObject* nb_binary(PyObject* a, PyObject* b) {
  FNGRAD_TRY
  Operand oa, ob;
  if (!to_operand(a, &oa) || !to_operand(b, &ob)) Py_RETURN_NOTIMPLEMENTED;
  // PyTorch's Tensor.__radd__ and __rmul__ are self.add(other) and self.mul(other): the tensor is
  // the first operand of the node (`2 * x` has next_functions ((x's node, 0), (None, 0))).
  if constexpr (std::is_same_v<Op, ops::Add> || std::is_same_v<Op, ops::Mul>)
    if (!oa.is_tensor()) std::swap(oa, ob);
  return ops::binary_op(oa, ob, Op{}).release();
  FNGRAD_CATCH(nullptr)
}

template <typename Op> PyObject* nb_inplace(PyObject* a, PyObject* b) {
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

void require_one_element(TensorObject* t, const char* what) { FNGRAD_CHECK_VALUE(t->numel == 1, what); }

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
  FNGRAD_CHECK_TYPE(t->numel == 1 && !is_floating(t->dtype),
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
    case Py_LT:
      k = ops::CompareKind::Lt;
      break;
    case Py_LE:
      k = ops::CompareKind::Le;
      break;
    case Py_GT:
      k = ops::CompareKind::Gt;
      break;
    case Py_GE:
      k = ops::CompareKind::Ge;
      break;
    case Py_EQ:
      k = ops::CompareKind::Eq;
      break;
    case Py_NE:
      k = ops::CompareKind::Ne;
      break;
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
    FNGRAD_CHECK_TYPE(is_tensor(value), "[setitem] Expected a number or a tensor as the value, got ",
                      py_type_name(value), ".");
    v = ops::Operand(as_tensor(value));
  }
  ops::index_put(as_tensor(self), index, v);
  return 0;
  FNGRAD_CATCH(-1)
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

template <ops::LogicalKind K> PyObject* nb_bitwise(PyObject* a, PyObject* b) {
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

PyObject* get_requires_grad(PyObject* self, void*) {
  return PyBool_FromLong(autograd::requires_grad_reverse(as_tensor(self)));
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

PyObject* get_version(PyObject* self, void*) { return PyLong_FromUnsignedLongLong(as_tensor(self)->storage->version); }

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

PyGetSetDef tensor_getset[] = {
    {"shape", get_shape, nullptr, "The tensor's shape, a fngrad.Size.", nullptr},
    {"dtype", get_dtype, nullptr, "The element type.", nullptr},
    {"ndim", get_ndim, nullptr, "Number of dimensions.", nullptr},
    {"requires_grad", get_requires_grad, set_requires_grad, "Whether gradients are computed for this tensor.", nullptr},
    {"grad", get_grad, set_grad, "The accumulated gradient (leaves), or None.", nullptr},
    {"grad_fn", get_grad_fn, nullptr, "The node that created this tensor, or None for leaves.", nullptr},
    {"is_leaf", get_is_leaf, nullptr, "True for tensors not created by a recorded op.", nullptr},
    {"_version", get_version, nullptr, "The version counter of the tensor's memory.", nullptr},
    {"output_nr", get_output_nr, nullptr, "Which output of grad_fn this tensor is.", nullptr},
    {"_base", get_base, nullptr, "The tensor this one is a view of, or None.", nullptr},
    {"retains_grad", get_retains_grad, nullptr, "Whether a non-leaf keeps its .grad (see retain_grad()).", nullptr},
    {"data", get_data, set_data, "The tensor's data, detached from autograd (writes bypass the version counter).",
     nullptr},
    {"T", tensor_get_T, nullptr, "The tensor with its dims reversed (a view).", nullptr},
    {"mT", tensor_get_mT, nullptr, "The last two dims transposed (a view).", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

// The methods of the elementwise op tables (x.exp(), x.exp_(), x.add(y, alpha=2), ...) and the
// rest, joined when the type is created.
std::vector<PyMethodDef> all_tensor_methods() {
  std::vector<PyMethodDef> out;
  append_op_table_methods(out);
  append_general_methods(out);
  append_shape_methods(out);
  append_reduce_methods(out);
  // A method without parameters gets the text signature "name($self, /)" as its docstring's
  // first line, as the parser's methods get theirs from their Signature (inspect.signature reads it).
  static std::deque<std::string> docs;
  for (PyMethodDef& m : out) {
    const std::string name = m.ml_name;
    if (m.ml_flags != METH_NOARGS || std::string(m.ml_doc).rfind(name + "(", 0) == 0) continue;
    docs.push_back(name + "($self, /)\n--\n\n" + m.ml_doc);
    m.ml_doc = docs.back().c_str();
  }
  out.push_back({nullptr, nullptr, 0, nullptr});
  return out;
}

}  // namespace

void init_tensor_types(PyObject* module) {
  init_dtype_and_size_types(module);

  // TensorBase
  static std::vector<PyMethodDef> methods = all_tensor_methods();
  static PyMemberDef tensor_members[] = {
      {"__dictoffset__", T_PYSSIZET, offsetof(TensorObject, dict), READONLY, nullptr},
      {"__weaklistoffset__", T_PYSSIZET, offsetof(TensorObject, weakreflist), READONLY, nullptr},
      {nullptr, 0, 0, 0, nullptr}};
  static PyType_Slot tensor_slots[] = {{Py_tp_dealloc, reinterpret_cast<void*>(tensor_dealloc)},
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
