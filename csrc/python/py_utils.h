// Small helpers for the raw CPython API used on the hot paths (tensor methods,
// Function.apply, the engine's calls into Python). pybind11 defines the module and the
// functions that are not on a hot path; see docs/architecture.md, "Binding layer".
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

// A Python number (bool, int or float, including NumPy scalars) as a tagged value.
struct Scalar {
  enum Kind : uint8_t { Bool, Int, Float } kind = Float;
  double d = 0;
  int64_t i = 0;
  static Scalar of_double(double v) {
    Scalar s;
    s.kind = Float;
    s.d = v;
    s.i = static_cast<int64_t>(v);
    return s;
  }
  static Scalar of_int(int64_t v) {
    Scalar s;
    s.kind = Int;
    s.i = v;
    s.d = static_cast<double>(v);
    return s;
  }
  static Scalar of_bool(bool v) {
    Scalar s;
    s.kind = Bool;
    s.i = v;
    s.d = v;
    return s;
  }
  template <typename T>
  T to() const {
    if constexpr (std::is_same_v<T, bool>) return kind == Float ? d != 0 : i != 0;
    else if constexpr (std::is_integral_v<T>) return kind == Float ? static_cast<T>(d) : static_cast<T>(i);
    else return kind == Float ? static_cast<T>(d) : static_cast<T>(i);
  }
};

// Reads a Python bool/int/float (or NumPy scalar); returns false when o is not a number.
bool parse_scalar(PyObject* o, Scalar* out);

}  // namespace fngrad
