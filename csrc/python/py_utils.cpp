#include "python/py_utils.h"

#include "python/numpy_api.h"

namespace fngrad {

bool parse_scalar(PyObject* o, Scalar* out) {
  if (PyBool_Check(o)) {
    *out = Scalar::of_bool(o == Py_True);
    return true;
  }
  if (PyFloat_Check(o)) {
    *out = Scalar::of_double(PyFloat_AS_DOUBLE(o));
    return true;
  }
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow != 0) {
      *out = Scalar::of_double(PyLong_AsDouble(o));
      if (PyErr_Occurred()) throw PythonError();
      return true;
    }
    *out = Scalar::of_int(v);
    return true;
  }
  if (PyArray_IsScalar(o, Generic)) {
    PyArray_Descr* d = PyArray_DescrFromScalar(o);
    char kind = d->kind;
    Py_DECREF(d);
    if (kind == 'b') {
      *out = Scalar::of_bool(PyObject_IsTrue(o) == 1);
      return true;
    }
    if (kind == 'i' || kind == 'u') {
      long long v = PyLong_AsLongLong(o);
      if (v == -1 && PyErr_Occurred()) throw PythonError();
      *out = Scalar::of_int(v);
      return true;
    }
    if (kind == 'f') {
      double v = PyFloat_AsDouble(o);
      if (v == -1 && PyErr_Occurred()) throw PythonError();
      *out = Scalar::of_double(v);
      return true;
    }
  }
  return false;
}

}  // namespace fngrad
