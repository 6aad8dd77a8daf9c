// fngrad.dtype (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64) and fngrad.Size (a tuple
// subclass): the small types around TensorBase, and reading a dtype argument.
#include <cstring>

#include "python/tensor_methods.h"

namespace fngrad {

namespace {

struct DTypeObject {
  PyObject_HEAD DType dtype;
};

PyTypeObject* DTypeType = nullptr;
PyObject* g_dtypes[kNumDTypes] = {};
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

PyObject* dtype_is_signed(PyObject* self, void*) {
  const DType d = reinterpret_cast<DTypeObject*>(self)->dtype;
  return PyBool_FromLong(d != DType::Bool && d != DType::UInt8);
}

PyObject* dtype_reduce(PyObject* self, PyObject*) {
  return PyUnicode_FromString(dtype_name(reinterpret_cast<DTypeObject*>(self)->dtype));
}

PyGetSetDef dtype_getset[] = {
    {"is_floating_point", dtype_is_floating_point, nullptr, "Whether this is a floating point dtype.", nullptr},
    {"itemsize", dtype_itemsize, nullptr, "Bytes per element.", nullptr},
    {"is_signed", dtype_is_signed, nullptr, "Whether the dtype holds negative values.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};
PyMethodDef dtype_methods[] = {{"__reduce__", dtype_reduce, METH_NOARGS, nullptr}, {nullptr, nullptr, 0, nullptr}};

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

// A tuple result of Size's slicing, concatenation or repetition is a Size again, as in PyTorch
// (x.shape[2:] is a torch.Size); an integer index stays an int.
PyObject* as_size(PyObject* result) {
  if (result == nullptr || !PyTuple_Check(result)) return result;
  PyRef owned = PyRef::steal(result);
  return PyObject_CallOneArg(reinterpret_cast<PyObject*>(SizeType), result);
}

PyObject* size_subscript(PyObject* self, PyObject* key) {
  PyObject* item = PyTuple_Type.tp_as_mapping->mp_subscript(self, key);
  return PySlice_Check(key) ? as_size(item) : item;
}

PyObject* size_add(PyObject* a, PyObject* b) {
  if (!PyTuple_Check(a) || !PyTuple_Check(b)) Py_RETURN_NOTIMPLEMENTED;
  return as_size(PySequence_Concat(a, b));
}

PyObject* size_repeat(PyObject* self, Py_ssize_t n) { return as_size(PyTuple_Type.tp_as_sequence->sq_repeat(self, n)); }

}  // namespace

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

void init_dtype_and_size_types(PyObject* module) {
  static PyType_Slot dtype_slots[] = {{Py_tp_repr, reinterpret_cast<void*>(dtype_repr)},
                                      {Py_tp_getset, dtype_getset},
                                      {Py_tp_methods, dtype_methods},
                                      {Py_tp_doc, const_cast<char*>("The element type of a tensor.\n\n"
                                                                    ">>> fngrad.tensor([1, 2]).dtype\n"
                                                                    "fngrad.int64\n"
                                                                    ">>> fngrad.float32.is_floating_point\n"
                                                                    "True")},
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
                                     {Py_mp_subscript, reinterpret_cast<void*>(size_subscript)},
                                     {Py_nb_add, reinterpret_cast<void*>(size_add)},
                                     {Py_sq_repeat, reinterpret_cast<void*>(size_repeat)},
                                     {Py_tp_doc, const_cast<char*>("A tensor's shape: a tuple of ints.\n\n"
                                                                   ">>> fngrad.zeros(2, 3).shape\n"
                                                                   "fngrad.Size([2, 3])\n"
                                                                   ">>> fngrad.Size([2, 3]).numel()\n"
                                                                   "6")},
                                     {0, nullptr}};
  static PyType_Spec size_spec = {"fngrad.Size", 0, 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, size_slots};
  PyRef size_bases = PyRef::check(PyTuple_Pack(1, reinterpret_cast<PyObject*>(&PyTuple_Type)));
  SizeType = reinterpret_cast<PyTypeObject*>(PyType_FromSpecWithBases(&size_spec, size_bases.get()));
  if (SizeType == nullptr) throw PythonError();
  Py_INCREF(SizeType);
  PyModule_AddObject(module, "Size", reinterpret_cast<PyObject*>(SizeType));
}

}  // namespace fngrad
