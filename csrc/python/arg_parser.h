// The one argument parser of the native functions and methods (tensor methods, _C functions, the
// op-table bindings): arguments by position or by PyTorch's keyword names, and PyTorch's
// TypeErrors for a wrong type ("sum(): argument 'keepdim' must be bool, not str"), an unknown,
// repeated or missing argument. See Note [Argument parsing].
#pragma once

#include <initializer_list>
#include <string>

#include "core/tensor.h"
#include "ops/ops.h"
#include "python/py_utils.h"

namespace fngrad {

// Note [Argument parsing]
// A method declares its parameters once, as a Signature at namespace scope beside it, written as
// PyTorch's signature with its defaults:
//     const Signature sum_sig("sum", {"dim=None", "keepdim=False", "*", "dtype=None"});
//     ... Args a(sum_sig, args, nargs, kwnames);
//     bool keepdim = a.bool_or(1, false);
// and its method table row takes its docstring from it: method_doc(sum_sig, "Sum over ...") puts
// CPython's text-signature line first, so inspect.signature(Tensor.sum), help() and the stub
// generator (fngrad._stubgen) read the same declaration the parser matches against.
// "*" starts the keyword-only parameters, as in a Python signature; "*shape" is a parameter that
// takes its ints as separate positional arguments too (reshape(2, 3)); the first `required`
// parameters must be given. Matching only copies pointers (positional arguments need no lookup);
// the typed readers check each value as PyTorch's parser does: a bool parameter takes only a bool,
// an int parameter an integer (not a bool or a float), and so on. A value of None reads as absent.
constexpr int kMaxArgs = 8;

struct Signature {
  Signature(const char* fname, std::initializer_list<const char*> params, int required = 0);
  Signature(const Signature&) = delete;  // names[] points into the object
  Signature& operator=(const Signature&) = delete;
  const char* fname;
  const char* names[kMaxArgs];  // the bare names, without "=default" or "*"
  int n = 0;                    // parameters
  int n_positional = 0;         // the first n_positional may be given by position
  int n_required = 0;
  // CPython's text signature of the method: "sum($self, /, dim=None, keepdim=False, *, dtype=None)".
  std::string text_signature() const;

 private:
  std::string name_store_[kMaxArgs];
  std::string params_;  // the parameters as declared, joined: "dim=None, keepdim=False, *, dtype=None"
};

// The docstring of a method parsed with sig: its text-signature line, "--", then doc (a string
// that lives as long as the module; CPython reads __text_signature__ from it).
const char* method_doc(const Signature& sig, const char* doc);

class Args {
 public:
  Args(const Signature& sig, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames);

  // The value given for parameter i (borrowed), or null when absent.
  PyObject* operator[](int i) const { return v_[i]; }
  // Whether parameter i was given a value other than None.
  bool has(int i) const { return v_[i] != nullptr && v_[i] != Py_None; }

  int64_t to_int(int i) const;  // required
  int64_t int_or(int i, int64_t dflt) const;
  bool bool_or(int i, bool dflt) const;
  double double_or(int i, double dflt) const;
  Scalar scalar(int i) const;         // a number or a one-element tensor; required
  TensorObject* tensor(int i) const;  // required
  ops::Operand operand(int i) const;  // a tensor or a number; required
  DType dtype_or(int i, DType dflt) const;
  // dim=None | int | sequence of ints: false when absent.
  bool dims(int i, DimVec* out) const;
  // A shape: an int or a sequence of ints; required.
  DimVec shape(int i) const;

  // "fname(): argument 'name' (position k) must be <expected>, not <type>".
  [[noreturn]] void type_error(int i, const char* expected) const;

 private:
  PyObject* required(int i) const;
  const Signature& sig_;
  Py_ssize_t nargs_;
  PyObject* v_[kMaxArgs];
};

// Readers for one value outside a Signature (pybind11 functions, the op tables' _*_jvp helpers).
// `what` is the parameter's name; op names the function in errors.
//
// An int: a Python or NumPy integer, not a bool, float or tensor. A Python int that does not fit
// in int64 raises PyTorch's exception: TypeError for a size, ValueError otherwise.
int64_t parse_int(PyObject* o, const char* op, const char* what);
// A shape: a sequence of ints or one int (parse_shape_object), or ints passed as separate
// positional arguments (parse_shape: reshape(2, 3) as well as reshape((2, 3))).
DimVec parse_shape_object(PyObject* o, const char* op);
DimVec parse_shape(PyObject* const* args, Py_ssize_t nargs, const char* op);
// A tensor (TypeError otherwise), a tensor or a number, a number or a one-element tensor.
TensorObject* tensor_param(PyObject* o, const char* op, const char* what);
ops::Operand operand_param(PyObject* o, const char* op, const char* what);
Scalar scalar_param(PyObject* o, const char* op, const char* what);
// A tensor or a Python number as an Operand; false (no error) for anything else.
bool to_operand(PyObject* o, ops::Operand* out);

}  // namespace fngrad
