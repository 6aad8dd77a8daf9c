// Moving errors between C++ and Python.
#include <exception>

#include "core/common.h"

namespace fngrad {

PythonError::PythonError() {
  PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
  PyErr_Fetch(&type, &value, &tb);
  if (type == nullptr) {
    // A CPython call reported failure without raising; keep the failure visible.
    type = PyExc_RuntimeError;
    Py_INCREF(type);
    value = PyUnicode_FromString("[internal] a Python call failed without setting an exception");
  }
  PyErr_NormalizeException(&type, &value, &tb);
  if (tb != nullptr && value != nullptr) PyException_SetTraceback(value, tb);
  Py_XDECREF(type);
  Py_XDECREF(tb);
  value_ = value;
}

PythonError::PythonError(const PythonError& other) : std::exception(other), value_(other.value_) { Py_XINCREF(value_); }

PythonError::~PythonError() {
  if (value_ != nullptr && Py_IsInitialized()) {
    PyGILState_STATE st = PyGILState_Ensure();
    Py_DECREF(value_);
    PyGILState_Release(st);
  }
}

void PythonError::restore() {
  if (value_ == nullptr) return;
  PyObject* value = value_;
  value_ = nullptr;
  PyObject* type = reinterpret_cast<PyObject*>(Py_TYPE(value));
  Py_INCREF(type);
  PyObject* tb = PyException_GetTraceback(value);  // new reference or null
  PyErr_Restore(type, value, tb);
}

PyObject* python_error_type(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Runtime:
      return PyExc_RuntimeError;
    case ErrorKind::Value:
      return PyExc_ValueError;
    case ErrorKind::Type:
      return PyExc_TypeError;
    case ErrorKind::Index:
      return PyExc_IndexError;
    case ErrorKind::NotImplemented:
      return PyExc_NotImplementedError;
  }
  return PyExc_RuntimeError;
}

void translate_exception() noexcept {
  try {
    throw;
  } catch (PythonError& e) {
    e.restore();
  } catch (const Error& e) {
    PyErr_SetString(python_error_type(e.kind()), e.what());
  } catch (const std::bad_alloc&) {
    PyErr_SetString(PyExc_MemoryError, "[allocate] Out of memory.");
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "[internal] Unknown C++ exception. This is a bug in fngrad.");
  }
}

}  // namespace fngrad
