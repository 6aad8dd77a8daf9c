// An owned reference to a Python object, and a Python type's name for error messages. Every
// layer uses them: a tensor is itself a Python object.
#pragma once

#include "core/common.h"

namespace fngrad {

// An owned reference to a Python object.
class PyRef {
 public:
  PyRef() = default;
  PyRef(std::nullptr_t) {}
  static PyRef steal(PyObject* o) { return PyRef(o); }
  static PyRef borrow(PyObject* o) {
    Py_XINCREF(o);
    return PyRef(o);
  }
  // Steals a new reference returned by a CPython call; throws PythonError if it is null.
  static PyRef check(PyObject* o) {
    if (o == nullptr) throw PythonError();
    return PyRef(o);
  }
  PyRef(const PyRef& o) : p_(o.p_) { Py_XINCREF(p_); }
  PyRef(PyRef&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  PyRef& operator=(PyRef o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~PyRef() { Py_XDECREF(p_); }
  PyObject* get() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }
  PyObject* release() {
    PyObject* o = p_;
    p_ = nullptr;
    return o;
  }

 private:
  explicit PyRef(PyObject* o) : p_(o) {}
  PyObject* p_ = nullptr;
};

// The Python type name of an object, e.g. "numpy.ndarray" or "str".
std::string py_type_name(PyObject* o);

}  // namespace fngrad
