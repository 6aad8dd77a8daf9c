// Tensor <-> NumPy array without copies: numpy() hands NumPy the tensor's memory (the array
// keeps the tensor alive), from_numpy wraps the array's memory (the storage keeps the array alive).
#include <string>

#include "autograd/node.h"
#include "python/numpy_api.h"
#include "python/tensor_type.h"

namespace fngrad {

namespace {

int numpy_typenum(DType d) {
  switch (d) {
    case DType::Bool:
      return NPY_BOOL;
    case DType::Int64:
      return NPY_INT64;
    case DType::Float32:
      return NPY_FLOAT32;
    case DType::Float64:
      return NPY_FLOAT64;
    case DType::UInt8:
      return NPY_UINT8;
    case DType::Int8:
      return NPY_INT8;
    case DType::Int16:
      return NPY_INT16;
    case DType::Int32:
      return NPY_INT32;
    case DType::Float16:
      return NPY_FLOAT16;
    case DType::BFloat16:
      fail(ErrorKind::Type, "Got unsupported ScalarType BFloat16");
  }
  return NPY_FLOAT32;
}

// The base object of an array made by Tensor.numpy(): it keeps the memory alive and, while it
// lives, marks the memory as writable through NumPy (Note [NumPy writes to saved memory]).
struct NumpyExportObject {
  PyObject_HEAD Storage* storage;
};

void numpy_export_dealloc(PyObject* self) {
  Storage* s = reinterpret_cast<NumpyExportObject*>(self)->storage;
  numpy_export_end(memory_root(s));
  decref(s);
  PyTypeObject* type = Py_TYPE(self);
  type->tp_free(self);
  Py_DECREF(type);
}

PyTypeObject* numpy_export_type() {
  static PyTypeObject* type = [] {
    static PyType_Slot slots[] = {{Py_tp_dealloc, reinterpret_cast<void*>(numpy_export_dealloc)}, {0, nullptr}};
    static PyType_Spec spec = {"fngrad._C._NumpyExport", sizeof(NumpyExportObject), 0, Py_TPFLAGS_DEFAULT, slots};
    auto* t = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
    if (t == nullptr) throw PythonError();
    return t;
  }();
  return type;
}

PyObject* numpy_export_object(Storage* s) {
  auto* obj = PyObject_New(NumpyExportObject, numpy_export_type());
  if (obj == nullptr) throw PythonError();
  incref(s);
  obj->storage = s;
  numpy_export_begin(memory_root(s));
  return reinterpret_cast<PyObject*>(obj);
}

}  // namespace

PyObject* tensor_to_numpy(TensorObject* t, bool force, bool track) {
  if (autograd::requires_grad_reverse(t)) {
    FNGRAD_CHECK_RUNTIME(force,
                         "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
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
  PyObject* base;
  if (track) {
    try {
      base = numpy_export_object(t->storage);
    } catch (...) {
      Py_DECREF(arr);
      throw;
    }
  } else {
    Py_INCREF(reinterpret_cast<PyObject*>(t));
    base = reinterpret_cast<PyObject*>(t);
  }
  if (PyArray_SetBaseObject(reinterpret_cast<PyArrayObject*>(arr), base) < 0) {
    Py_DECREF(arr);
    throw PythonError();
  }
  return arr;
}

TensorRef tensor_from_numpy(PyObject* obj, bool private_result) {
  FNGRAD_CHECK_TYPE(PyArray_Check(obj), "expected np.ndarray (got ", py_type_name(obj), ")");
  auto* arr = reinterpret_cast<PyArrayObject*>(obj);
  // By kind and width, so that NumPy's aliases (long and longlong are both int64) map alike.
  const char kind = PyArray_DESCR(arr)->kind;
  const npy_intp width = PyArray_ITEMSIZE(arr);
  int found = -1;
  for (int i = 0; i < kNumDTypes; i++) {
    const DType d = static_cast<DType>(i);
    const char dkind = d == DType::Bool ? 'b' : is_floating(d) ? 'f' : d == DType::UInt8 ? 'u' : 'i';
    if (d != DType::BFloat16 && dkind == kind && static_cast<npy_intp>(itemsize(d)) == width) found = i;
  }
  const DType dtype = static_cast<DType>(found);
  switch (found) {
    case -1: {
      PyRef descr = PyRef::check(PyObject_Str(reinterpret_cast<PyObject*>(PyArray_DESCR(arr)->typeobj)));
      std::string name = PyUnicode_AsUTF8(descr.get());
      // "<class 'numpy.int32'>" -> "numpy.int32"
      auto a = name.find('\''), b = name.rfind('\'');
      if (a != std::string::npos && b > a) name = name.substr(a + 1, b - a - 1);
      fail(ErrorKind::Type, "can't convert np.ndarray of type ", name,
           ". The only supported types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.");
    }
    default:
      break;
  }
  FNGRAD_CHECK_VALUE(PyArray_ISNOTSWAPPED(arr),
                     "[from_numpy] given numpy array has byte order different from the "
                     "native byte order. Conversion between byte orders is currently not "
                     "supported.");
  const int nd = PyArray_NDIM(arr);
  const npy_intp isz = PyArray_ITEMSIZE(arr);
  DimVec sizes, strides;
  int64_t extent = 1;
  for (int i = 0; i < nd; i++) {
    npy_intp s = PyArray_STRIDES(arr)[i];
    FNGRAD_CHECK_VALUE(s >= 0,
                       "At least one stride in the given numpy array is negative, and tensors with negative "
                       "strides are not currently supported. (You can probably work around this by making a "
                       "copy of your array  with array.copy().) ");
    FNGRAD_CHECK_VALUE(s % isz == 0,
                       "given numpy array strides not a multiple of the element byte size. Copy the "
                       "numpy array to reallocate the memory.");
    sizes.push_back(PyArray_DIMS(arr)[i]);
    strides.push_back(s / isz);
    if (sizes.back() > 0) extent += (sizes.back() - 1) * strides.back();
  }
  // An empty array spans no bytes (NumPy gives it a 1-byte buffer, whatever its dtype).
  if (PyArray_SIZE(arr) == 0) extent = 0;
  TensorRef t = alloc_tensor_object();
  t->storage = wrap_storage(obj, PyArray_DATA(arr), static_cast<size_t>(extent * isz), PyArray_BASE(arr) != nullptr);
  t->storage->owner_private = private_result;
  t->sizes = sizes;
  t->strides = strides;
  t->numel = product(sizes);
  t->dtype = dtype;
  t->contiguous = compute_contiguous(sizes, strides);
  return t;
}

}  // namespace fngrad
