// The shared argument parser: Note [Argument parsing] in arg_parser.h.
#include "python/arg_parser.h"

#include <cstring>
#include <deque>
#include <string>

#include "python/numpy_api.h"
#include "python/tensor_type.h"

namespace fngrad {

namespace {

// PyTorch's wording: "takes 1 positional argument but 2 were given".
[[noreturn]] void too_many_positional(const char* fname, size_t n, Py_ssize_t given) {
  fail(ErrorKind::Type, fname, "() takes ", n, " positional argument", n == 1 ? "" : "s", " but ", given,
       given == 1 ? " was" : " were", " given");
}

// PyTorch's parser also takes NumPy's names for a few parameters (sum(axis=0, keepdims=True)):
// the index of the parameter key stands for, or n_names.
size_t numpy_alias(const char* key, const char* const* names, size_t n_names) {
  static const char* const kAliases[][2] = {{"axis", "dim"}, {"keepdims", "keepdim"}, {"x", "input"},
                                            {"a", "input"},  {"x1", "input"},         {"x2", "other"}};
  for (const auto& alias : kAliases) {
    if (std::strcmp(key, alias[0]) != 0) continue;
    for (size_t i = 0; i < n_names; i++)
      if (std::strcmp(alias[1], names[i]) == 0) return i;
  }
  return n_names;
}

// Matches the keyword arguments to names[0..n_names) and fills out[] (positional ones are
// already there); keyword-only parameters are matched the same way.
void match_keywords(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, const char* const* names,
                    size_t n_names, PyObject** out, const char* fname) {
  for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(kwnames); k++) {
    PyObject* keyobj = PyTuple_GET_ITEM(kwnames, k);
    size_t i = 0;
    // Keyword names are interned, as are the C string literals' Python twins in most calls, but
    // comparing the UTF-8 is what is guaranteed.
    const char* key = PyUnicode_AsUTF8(keyobj);
    FNGRAD_PY_CHECK(key != nullptr);
    for (; i < n_names; i++)
      if (std::strcmp(key, names[i]) == 0) break;
    if (i == n_names) i = numpy_alias(key, names, n_names);
    FNGRAD_CHECK_TYPE(i < n_names, fname, "() got an unexpected keyword argument '", key, "'");
    FNGRAD_CHECK_TYPE(out[i] == nullptr, fname, "() got multiple values for argument '", names[i], "'");
    out[i] = args[nargs + k];
  }
}

// A Python or NumPy integer as int64: false when o is not one (a bool, a float, a tensor).
bool is_int_like(PyObject* o) { return !PyBool_Check(o) && PyIndex_Check(o) && !is_tensor(o); }

bool is_bool_like(PyObject* o) { return PyBool_Check(o) || PyArray_IsScalar(o, Bool); }

bool is_int_sequence(PyObject* o) { return PySequence_Check(o) && !PyUnicode_Check(o) && !is_tensor(o); }

// Reads an int known to pass is_int_like.
int64_t int_value(PyObject* o, const char* op, const char* what) {
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

Scalar scalar_value(PyObject* o, bool* ok) {
  Scalar s;
  *ok = true;
  if (is_tensor(o) && as_tensor(o)->numel == 1) {
    TensorObject* t = as_tensor(o);
    double v = item_as_double(t);
    return is_floating(t->dtype)     ? Scalar::of_double(v)
           : t->dtype == DType::Bool ? Scalar::of_bool(v != 0)
                                     : Scalar::of_int(static_cast<int64_t>(v));
  }
  *ok = parse_scalar(o, &s);
  return s;
}

}  // namespace

Signature::Signature(const char* name, std::initializer_list<const char*> params, int required)
    : fname(name), n_required(required) {
  bool keyword_only = false;
  for (const char* p : params) {
    if (std::strcmp(p, "*") == 0) {
      // After *shape the parameters are keyword-only already, and Python allows no second "*".
      if (!keyword_only) params_ += params_.empty() ? "*" : ", *";
      keyword_only = true;
      continue;
    }
    FNGRAD_CHECK_RUNTIME(n < kMaxArgs, "[", name, "] more than ", kMaxArgs, " parameters: raise kMaxArgs.");
    params_ += params_.empty() ? p : std::string(", ") + p;
    std::string bare = p[0] == '*' ? p + 1 : p;
    name_store_[n] = bare.substr(0, bare.find('='));
    names[n] = name_store_[n].c_str();
    n++;
    if (!keyword_only) n_positional = n;
    if (p[0] == '*') keyword_only = true;  // as in Python: what follows *shape is keyword-only
  }
}

std::string Signature::text_signature() const {
  return std::string(fname) + (params_.empty() ? "($self, /)" : "($self, /, " + params_ + ")");
}

const char* method_doc(const Signature& sig, const char* doc) {
  // Method tables are built once, at import: the strings live as long as the process.
  static std::deque<std::string> docs;
  docs.push_back(sig.text_signature() + "\n--\n\n" + doc);
  return docs.back().c_str();
}

Args::Args(const Signature& sig, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames)
    : sig_(sig), nargs_(nargs) {
  for (int i = 0; i < sig.n; i++) v_[i] = nullptr;
  if (nargs > sig.n_positional) too_many_positional(sig.fname, static_cast<size_t>(sig.n_positional), nargs);
  for (Py_ssize_t i = 0; i < nargs; i++) v_[i] = args[i];
  if (kwnames != nullptr) match_keywords(args, nargs, kwnames, sig.names, static_cast<size_t>(sig.n), v_, sig.fname);
  for (int i = 0; i < sig.n_required; i++) {
    if (v_[i] == nullptr) {
      fail(ErrorKind::Type, sig.fname, "() missing 1 required positional arguments: \"", sig.names[i], "\"");
    }
  }
}

void Args::type_error(int i, const char* expected) const {
  std::string position = i < nargs_ ? " (position " + std::to_string(i + 1) + ")" : "";
  fail(ErrorKind::Type, sig_.fname, "(): argument '", sig_.names[i], "'", position, " must be ", expected, ", not ",
       py_type_name(v_[i]));
}

PyObject* Args::required(int i) const {
  if (v_[i] == nullptr) {
    fail(ErrorKind::Type, sig_.fname, "() missing 1 required positional arguments: \"", sig_.names[i], "\"");
  }
  return v_[i];
}

int64_t Args::to_int(int i) const {
  PyObject* o = required(i);
  if (!is_int_like(o)) type_error(i, "int");
  return int_value(o, sig_.fname, sig_.names[i]);
}

int64_t Args::int_or(int i, int64_t dflt) const { return has(i) ? to_int(i) : dflt; }

bool Args::bool_or(int i, bool dflt) const {
  if (!has(i)) return dflt;
  if (!is_bool_like(v_[i])) type_error(i, "bool");
  return PyObject_IsTrue(v_[i]) == 1;
}

double Args::double_or(int i, double dflt) const {
  if (!has(i)) return dflt;
  bool ok;
  Scalar s = scalar_value(v_[i], &ok);
  if (!ok) type_error(i, "float");
  return s.to<double>();
}

Scalar Args::scalar(int i) const {
  bool ok;
  Scalar s = scalar_value(required(i), &ok);
  if (!ok) type_error(i, "Number");
  return s;
}

TensorObject* Args::tensor(int i) const {
  PyObject* o = required(i);
  if (!is_tensor(o)) type_error(i, "Tensor");
  return as_tensor(o);
}

ops::Operand Args::operand(int i) const {
  ops::Operand r;
  if (!to_operand(required(i), &r)) type_error(i, "Tensor or Number");
  return r;
}

DType Args::dtype_or(int i, DType dflt) const { return has(i) ? parse_dtype(v_[i], sig_.fname) : dflt; }

bool Args::dims(int i, DimVec* out) const {
  if (!has(i)) return false;
  PyObject* o = v_[i];
  if (is_int_like(o)) {
    out->push_back(int_value(o, sig_.fname, sig_.names[i]));
    return true;
  }
  if (!is_int_sequence(o)) type_error(i, "tuple of ints");
  PyRef seq = PyRef::check(PySequence_Fast(o, "dim must be an int or a sequence of ints"));
  for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(seq.get()); k++) {
    PyObject* item = PySequence_Fast_GET_ITEM(seq.get(), k);
    if (!is_int_like(item)) type_error(i, "tuple of ints");
    out->push_back(int_value(item, sig_.fname, sig_.names[i]));
  }
  return true;
}

DimVec Args::shape(int i) const {
  PyObject* o = required(i);
  if (!is_int_like(o) && !is_int_sequence(o)) type_error(i, "tuple of ints");
  return parse_shape_object(o, sig_.fname);
}

int64_t parse_int(PyObject* o, const char* op, const char* what) {
  if (!is_int_like(o)) {
    fail(ErrorKind::Type, op, "(): argument '", what, "' must be int, not ", py_type_name(o));
  }
  return int_value(o, op, what);
}

DimVec parse_shape_object(PyObject* o, const char* op) {
  DimVec shape;
  if (is_int_like(o)) {
    shape.push_back(int_value(o, op, "size"));
    return shape;
  }
  FNGRAD_CHECK_TYPE(is_int_sequence(o), "[", op, "] argument 'size' must be tuple of ints, not ", py_type_name(o), ".");
  PyRef seq = PyRef::check(PySequence_Fast(o, "size must be a sequence of ints"));
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq.get()); i++)
    shape.push_back(parse_int(PySequence_Fast_GET_ITEM(seq.get(), i), op, "size"));
  return shape;
}

DimVec parse_shape(PyObject* const* args, Py_ssize_t nargs, const char* op) {
  if (nargs == 1 && !PyIndex_Check(args[0])) return parse_shape_object(args[0], op);
  DimVec shape;
  for (Py_ssize_t i = 0; i < nargs; i++) shape.push_back(parse_int(args[i], op, "size"));
  return shape;
}

TensorObject* tensor_param(PyObject* o, const char* op, const char* what) {
  FNGRAD_CHECK_TYPE(o != nullptr, op, "() missing 1 required positional arguments: \"", what, "\"");
  FNGRAD_CHECK_TYPE(is_tensor(o), op, "(): argument '", what, "' must be Tensor, not ", py_type_name(o));
  return as_tensor(o);
}

ops::Operand operand_param(PyObject* o, const char* op, const char* what) {
  FNGRAD_CHECK_TYPE(o != nullptr, op, "() missing 1 required positional arguments: \"", what, "\"");
  ops::Operand r;
  FNGRAD_CHECK_TYPE(to_operand(o, &r), op, "(): argument '", what, "' must be Tensor or Number, not ", py_type_name(o));
  return r;
}

Scalar scalar_param(PyObject* o, const char* op, const char* what) {
  FNGRAD_CHECK_TYPE(o != nullptr, op, "() missing 1 required positional arguments: \"", what, "\"");
  bool ok;
  Scalar s = scalar_value(o, &ok);
  FNGRAD_CHECK_TYPE(ok, op, "(): argument '", what, "' must be Number, not ", py_type_name(o));
  return s;
}

bool to_operand(PyObject* o, ops::Operand* out) {
  if (is_tensor(o)) {
    *out = ops::Operand(as_tensor(o));
    return true;
  }
  Scalar s;
  if (parse_scalar(o, &s)) {
    *out = ops::Operand(s);
    return true;
  }
  return false;
}

}  // namespace fngrad
