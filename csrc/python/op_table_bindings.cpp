// The Python face of the elementwise op tables (unary_ops.h, binary_ops.h, ternary_ops.h),
// generated from their entries: for each op, the function _C.<name> (re-exported as fngrad.<name>), the methods
// Tensor.<name> and Tensor.<name>_, their docstrings with a signature line that
// inspect.signature reads, and the lists _C.unary_ops, _C.binary_ops and _C.ternary_ops that the Python package
// and the op tests are driven by. Nothing here is written per op.
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "core/grad_mode.h"
#include "ops/binary_ops.h"
#include "ops/ternary_ops.h"
#include "ops/unary_ops.h"
#include "python/arg_parser.h"
#include "python/op_table_bindings.h"
#include "python/tensor_type.h"

namespace fngrad {
namespace {

using ops::Operand;

// Names and docstrings live as long as the module (the method tables point into them).
std::deque<std::string>& strings() {
  static std::deque<std::string> s;
  return s;
}
const char* keep(std::string s) {
  strings().push_back(std::move(s));
  return strings().back().c_str();
}

// out=: PyTorch writes the result into out (parameter i of a); a result that requires grad cannot
// be written so.
PyObject* write_out(TensorRef result, const Args& a, int i, const char* op) {
  if (!a.has(i)) return result.release();
  TensorObject* o = a.tensor(i);
  FNGRAD_CHECK_RUNTIME(!(GradMode::is_enabled() && autograd::requires_grad_reverse(result.get())), "[", op, "] ", op,
                       "(): functions with out=... arguments don't support automatic differentiation, but one of "
                       "the arguments requires grad.");
  FNGRAD_CHECK_RUNTIME(o->sizes == result->sizes, "[", op, "] out has shape ", shape_str(o->sizes),
                       " but the result has shape ", shape_str(result->sizes), ".");
  FNGRAD_CHECK_RUNTIME(dtype_category(result->dtype) <= dtype_category(o->dtype), "[", op, "] result type ",
                       dtype_name(result->dtype), " can't be cast to the desired output type ", dtype_name(o->dtype),
                       ".");
  ops::copy_(o, result.get());
  Py_INCREF(a[i]);
  return a[i];
}

// Each binding's parameters are declared once, as a Signature built from the op's entry
// (Note [Argument parsing]); the Signature lives as long as the module.

// ---- unary ----

template <typename Op> PyObject* unary_function(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const Signature sig(Op::name, {"input", "*", "out=None"}, 1);
  Args a(sig, args, nargs, kwnames);
  return write_out(ops::unary_op(a.tensor(0), Op{}), a, 1, Op::name);
  FNGRAD_CATCH(nullptr)
}

template <typename Op> PyObject* unary_method(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return ops::unary_op(as_tensor(self), Op{}).release();
  FNGRAD_CATCH(nullptr)
}

template <typename Op> PyObject* unary_method_(PyObject* self, PyObject*) {
  FNGRAD_TRY
  ops::unary_op_(as_tensor(self), Op{});
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

template <typename Op> std::string unary_doc() {
  return std::string(Op::doc) + "\n\nIts backward node is " + Op::backward_name + ".";
}

// The in-place method's docstring, its example derived from the op's first one: ">>> fngrad.exp(X)"
// becomes ">>> X.exp_()" and ">>> fngrad.add(X, Y, alpha=2)" becomes ">>> X.add_(Y, alpha=2)", which
// print the same values (an op whose first example promotes its input, as div's integer one does,
// shows that in a later example).
std::string inplace_doc(const std::string& name, const std::string& doc) {
  const std::string call = ">>> fngrad." + name + "(", out = "In-place form of " + name + "().";
  const size_t at = doc.find(call), start = at + call.size();
  if (at == std::string::npos) return out;
  size_t close = start, comma = std::string::npos;  // the call's closing parenthesis, its first top-level comma
  for (int depth = 0; close < doc.size(); ++close) {
    const char c = doc[close];
    if (c == '(' || c == '[') ++depth;
    if ((c == ')' || c == ']') && depth-- == 0) break;
    if (c == ',' && depth == 0 && comma == std::string::npos) comma = close;
  }
  if (close == doc.size()) return out;
  const std::string self = doc.substr(start, (comma == std::string::npos ? close : comma) - start);
  std::string rest = comma == std::string::npos ? "" : doc.substr(comma + 1, close - comma - 1);
  rest.erase(0, rest.find_first_not_of(' '));
  const size_t next = doc.find("\n>>>", close);
  return out + "\n\n>>> " + self + "." + name + "_(" + rest + ")" +
         doc.substr(close + 1, next == std::string::npos ? std::string::npos : next - close - 1);
}

// ---- binary ----

// The op with its parameters from the keyword arguments: alpha (parameter i of a), for the ops
// that take it.
template <typename Op> Op binary_op_from(const Args& args, int i, const Operand& a, const Operand& b) {
  Op op;
  if constexpr (Op::has_alpha) {
    if (args.has(i)) {
      const Scalar s = args.scalar(i);
      const DType t = ops::result_type(a, b);
      FNGRAD_CHECK_RUNTIME(is_floating(t) || s.kind != Scalar::Float,
                           "For integral input tensors, argument alpha must not be a floating point number.");
      FNGRAD_CHECK_RUNTIME(t == DType::Bool || s.kind != Scalar::Bool,
                           "Boolean alpha only supported for Boolean results.");
      op.alpha = s.to<double>();
    }
  } else {
    (void)args, (void)i, (void)a, (void)b;
  }
  return op;
}

// PyTorch's refusals of a Python number where its signatures want a tensor (Op::numbers): the
// TypeError of its argument parser. `first` is the index of `input` in a (0 for the functions).
template <typename Op> void check_number_operands(const Args& a, int first) {
  if constexpr (Op::numbers == ops::Numbers::Neither) {
    a.tensor(first);
    a.tensor(first + 1);
  } else if constexpr (Op::numbers == ops::Numbers::OtherOnly) {
    if (a[first] != nullptr && !is_tensor(a[first]) && a[first + 1] != nullptr) {
      auto type = [](PyObject* o) { return is_tensor(o) ? std::string("Tensor") : std::string(py_type_name(o)); };
      fail(ErrorKind::Type, Op::name, "() received an invalid combination of arguments - got (", type(a[first]), ", ",
           type(a[first + 1]), "), but expected one of:\n * (Tensor input, Tensor ", Op::other_name,
           ", *, Tensor out = None)\n * (Tensor input, Number ", Op::other_name, ", *, Tensor out = None)");
    }
  }
}

// input, other, then keyword-only alpha (where the op has it) and out.
template <typename Op> const Signature& binary_function_sig() {
  static const Signature sig = []() -> Signature {
    if constexpr (Op::has_alpha)
      return Signature(Op::name, {"input", Op::other_name, "*", "alpha=1", "out=None"}, 2);
    else
      return Signature(Op::name, {"input", Op::other_name, "*", "out=None"}, 2);
  }();
  return sig;
}

template <typename Op> const Signature& binary_method_sig() {
  static const Signature sig = []() -> Signature {
    if constexpr (Op::has_alpha)
      return Signature(Op::name, {Op::other_name, "*", "alpha=1"}, 1);
    else
      return Signature(Op::name, {Op::other_name}, 1);
  }();
  return sig;
}

template <typename Op>
PyObject* binary_function(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  constexpr int kAlpha = 2, kOut = Op::has_alpha ? 3 : 2;
  Args a(binary_function_sig<Op>(), args, nargs, kwnames);
  check_number_operands<Op>(a, 0);
  Operand x = a.operand(0), y = a.operand(1);
  TensorRef wrapped;
  if (Op::takes_two_numbers && !x.is_tensor() && !y.is_tensor()) {
    wrapped = ops::scalar_tensor(x.scalar, ops::default_dtype_for(x.scalar));
    x = Operand(wrapped.get());
  }
  const Op op = binary_op_from<Op>(a, kAlpha, x, y);
  return write_out(ops::binary_op(x, y, op), a, kOut, Op::name);
  FNGRAD_CATCH(nullptr)
}

template <typename Op, bool InPlace>
PyObject* binary_method(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(binary_method_sig<Op>(), args, nargs, kwnames);
  if constexpr (Op::numbers == ops::Numbers::Neither) a.tensor(0);
  Operand y = a.operand(0);
  TensorObject* x = as_tensor(self);
  const Op op = binary_op_from<Op>(a, 1, Operand(x), y);
  if constexpr (InPlace) {
    ops::binary_op_(x, y, op);
    Py_INCREF(self);
    return self;
  } else {
    return ops::binary_op(Operand(x), y, op).release();
  }
  FNGRAD_CATCH(nullptr)
}

template <typename Op> std::string binary_signature(bool method) {
  std::string sig = std::string(Op::name) + (method ? "($self, " : "(input, ") + Op::other_name;
  if (Op::has_alpha) sig += ", *, alpha=1";
  if (!method) sig += Op::has_alpha ? ", out=None" : ", *, out=None";
  return sig + ")\n--\n\n";
}

// ---- ternary ----

// The op with its parameters from the keyword arguments: value (parameter i of a), for the ops
// that take it.
template <typename Op> Op ternary_op_from(const Args& a, int i) {
  Op op;
  if constexpr (Op::has_value) {
    if (a.has(i)) op.value = a.scalar(i);
  } else {
    (void)a, (void)i;
  }
  return op;
}

// The third argument (parameter i of a): a tensor, or a number where the op allows it.
template <typename Op> Operand ternary_c_argument(const Args& a, int i) {
  if constexpr (Op::c_may_be_number)
    return a.operand(i);
  else
    return Operand(a.tensor(i));
}

// input, b, c, then keyword-only value (where the op has it) and out.
template <typename Op> const Signature& ternary_function_sig() {
  static const Signature sig = []() -> Signature {
    if constexpr (Op::has_value) {
      return Signature(Op::name, {"input", Op::arg_b, Op::arg_c, "*", "value=1", "out=None"}, 3);
    } else {
      return Signature(Op::name, {"input", Op::arg_b, Op::arg_c, "*", "out=None"}, 3);
    }
  }();
  return sig;
}

template <typename Op> const Signature& ternary_method_sig() {
  static const Signature sig = []() -> Signature {
    if constexpr (Op::has_value)
      return Signature(Op::name, {Op::arg_b, Op::arg_c, "*", "value=1"}, 2);
    else
      return Signature(Op::name, {Op::arg_b, Op::arg_c}, 2);
  }();
  return sig;
}

template <typename Op>
PyObject* ternary_function(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  constexpr int kValue = 3, kOut = Op::has_value ? 4 : 3;
  Args a(ternary_function_sig<Op>(), args, nargs, kwnames);
  TensorObject* x = a.tensor(0);
  TensorObject* y = a.tensor(1);
  const Operand z = ternary_c_argument<Op>(a, 2);
  const Op op = ternary_op_from<Op>(a, kValue);
  return write_out(ops::ternary_op(x, y, z, op), a, kOut, Op::name);
  FNGRAD_CATCH(nullptr)
}

template <typename Op, bool InPlace>
PyObject* ternary_method(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(ternary_method_sig<Op>(), args, nargs, kwnames);
  TensorObject* x = as_tensor(self);
  TensorObject* y = a.tensor(0);
  const Operand z = ternary_c_argument<Op>(a, 1);
  const Op op = ternary_op_from<Op>(a, 2);
  if constexpr (InPlace) {
    ops::ternary_op_(x, y, z, op);
    Py_INCREF(self);
    return self;
  } else {
    return ops::ternary_op(x, y, z, op).release();
  }
  FNGRAD_CATCH(nullptr)
}

template <typename Op> std::string ternary_signature(const std::string& name, bool method) {
  std::string sig = name + (method ? "($self, " : "(input, ") + Op::arg_b + ", " + Op::arg_c;
  if (Op::has_value) sig += ", *, value=1";
  if (!method) sig += Op::has_value ? ", out=None" : ", *, out=None";
  return sig + ")\n--\n\n";
}

PyObject* py_unary_jvp(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  FNGRAD_TRY
  FNGRAD_CHECK_TYPE(nargs == 3 && PyUnicode_Check(args[0]), "_unary_jvp(name, x, tangent)");
  const char* name = PyUnicode_AsUTF8(args[0]);
  FNGRAD_PY_CHECK(name != nullptr);
  return ops::unary_jvp(name, tensor_param(args[1], "_unary_jvp", "x"), tensor_param(args[2], "_unary_jvp", "tangent"))
      .release();
  FNGRAD_CATCH(nullptr)
}

PyObject* py_binary_jvp(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  FNGRAD_TRY
  FNGRAD_CHECK_TYPE(nargs == 5 && PyUnicode_Check(args[0]), "_binary_jvp(name, a, b, ta, tb)");
  const char* name = PyUnicode_AsUTF8(args[0]);
  FNGRAD_PY_CHECK(name != nullptr);
  TensorObject* t[4];
  for (int i = 0; i < 4; i++) t[i] = tensor_param(args[i + 1], "_binary_jvp", "a, b, ta, tb");
  return ops::binary_jvp(name, t[0], t[1], t[2], t[3]).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* py_ternary_jvp(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  FNGRAD_TRY
  FNGRAD_CHECK_TYPE(nargs == 7 && PyUnicode_Check(args[0]), "_ternary_jvp(name, a, b, c, ta, tb, tc)");
  const char* name = PyUnicode_AsUTF8(args[0]);
  FNGRAD_PY_CHECK(name != nullptr);
  TensorObject* t[6];
  for (int i = 0; i < 6; i++) t[i] = tensor_param(args[i + 1], "_ternary_jvp", "a, b, c, ta, tb, tc");
  return ops::ternary_jvp(name, t[0], t[1], t[2], t[3], t[4], t[5]).release();
  FNGRAD_CATCH(nullptr)
}

#define FASTCALL(f) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(f))

std::vector<PyMethodDef> module_functions() {
  std::vector<PyMethodDef> out;
#define FNGRAD_UNARY_FUNCTION(Op)                                                                 \
  out.push_back({ops::Op::name, FASTCALL(unary_function<ops::Op>), METH_FASTCALL | METH_KEYWORDS, \
                 keep(std::string(ops::Op::name) + "(input, *, out=None)\n--\n\n" + unary_doc<ops::Op>())});
  FNGRAD_UNARY_OPS(FNGRAD_UNARY_FUNCTION)
#undef FNGRAD_UNARY_FUNCTION
#define FNGRAD_BINARY_FUNCTION(Op)                                                                 \
  out.push_back({ops::Op::name, FASTCALL(binary_function<ops::Op>), METH_FASTCALL | METH_KEYWORDS, \
                 keep(binary_signature<ops::Op>(false) + ops::Op::doc)});
  FNGRAD_BINARY_OPS(FNGRAD_BINARY_FUNCTION)
#undef FNGRAD_BINARY_FUNCTION
#define FNGRAD_TERNARY_FUNCTION(Op)                                                                   \
  if constexpr (ops::Op::python_bindings) {                                                           \
    out.push_back({ops::Op::name, FASTCALL(ternary_function<ops::Op>), METH_FASTCALL | METH_KEYWORDS, \
                   keep(ternary_signature<ops::Op>(ops::Op::name, false) + ops::Op::doc)});           \
  }
  FNGRAD_TERNARY_OPS(FNGRAD_TERNARY_FUNCTION)
#undef FNGRAD_TERNARY_FUNCTION
  out.push_back({"_unary_jvp", FASTCALL(py_unary_jvp), METH_FASTCALL,
                 "_unary_jvp(name, x, tangent): the forward-mode derivative of a unary table op."});
  out.push_back({"_binary_jvp", FASTCALL(py_binary_jvp), METH_FASTCALL,
                 "_binary_jvp(name, a, b, ta, tb): the forward-mode derivative of a binary table op."});
  out.push_back({"_ternary_jvp", FASTCALL(py_ternary_jvp), METH_FASTCALL,
                 "_ternary_jvp(name, a, b, c, ta, tb, tc): the forward-mode derivative of a ternary table op."});
  out.push_back({nullptr, nullptr, 0, nullptr});
  return out;
}

}  // namespace

// Whether a unary op has Tensor methods: unless it says tensor_methods = false (PyTorch has none).
template <typename Op, typename = void> struct has_tensor_methods : std::true_type {};
template <typename Op> struct has_tensor_methods<Op, std::void_t<decltype(Op::tensor_methods)>>
    : std::bool_constant<Op::tensor_methods> {};

void append_op_table_methods(std::vector<PyMethodDef>& out) {
#define FNGRAD_UNARY_METHODS(Op)                                                                                \
  if constexpr (has_tensor_methods<ops::Op>::value) {                                                           \
    out.push_back({ops::Op::name, unary_method<ops::Op>, METH_NOARGS,                                           \
                   keep(std::string(ops::Op::name) + "($self, /)\n--\n\n" + unary_doc<ops::Op>())});            \
    out.push_back(                                                                                              \
        {keep(std::string(ops::Op::name) + "_"), unary_method_<ops::Op>, METH_NOARGS,                           \
         keep(std::string(ops::Op::name) + "_($self, /)\n--\n\n" + inplace_doc(ops::Op::name, ops::Op::doc))}); \
  }
  FNGRAD_UNARY_OPS(FNGRAD_UNARY_METHODS)
#undef FNGRAD_UNARY_METHODS
#define FNGRAD_BINARY_METHODS(Op)                                                                           \
  if constexpr (ops::Op::tensor_methods) {                                                                  \
    out.push_back({ops::Op::name, FASTCALL((binary_method<ops::Op, false>)), METH_FASTCALL | METH_KEYWORDS, \
                   keep(binary_signature<ops::Op>(true) + ops::Op::doc)});                                  \
    if constexpr (ops::Op::inplace_method) {                                                                \
      out.push_back({keep(std::string(ops::Op::name) + "_"), FASTCALL((binary_method<ops::Op, true>)),      \
                     METH_FASTCALL | METH_KEYWORDS,                                                         \
                     keep(std::string(ops::Op::name) + "_" +                                                \
                          binary_signature<ops::Op>(true).substr(std::strlen(ops::Op::name)) +              \
                          inplace_doc(ops::Op::name, ops::Op::doc))});                                      \
    }                                                                                                       \
  }
  FNGRAD_BINARY_OPS(FNGRAD_BINARY_METHODS)
#undef FNGRAD_BINARY_METHODS
#define FNGRAD_TERNARY_METHODS(Op)                                                                           \
  if constexpr (ops::Op::python_bindings) {                                                                  \
    out.push_back({ops::Op::name, FASTCALL((ternary_method<ops::Op, false>)), METH_FASTCALL | METH_KEYWORDS, \
                   keep(ternary_signature<ops::Op>(ops::Op::name, true) + ops::Op::doc)});                   \
    out.push_back({keep(std::string(ops::Op::name) + "_"), FASTCALL((ternary_method<ops::Op, true>)),        \
                   METH_FASTCALL | METH_KEYWORDS,                                                            \
                   keep(ternary_signature<ops::Op>(std::string(ops::Op::name) + "_", true) +                 \
                        inplace_doc(ops::Op::name, ops::Op::doc))});                                         \
  }
  FNGRAD_TERNARY_OPS(FNGRAD_TERNARY_METHODS)
#undef FNGRAD_TERNARY_METHODS
}

void add_op_table_functions(PyObject* module) {
  static std::vector<PyMethodDef> functions = module_functions();
  if (PyModule_AddFunctions(module, functions.data()) < 0) throw PythonError();
  auto add_names = [&](const char* attr, std::vector<const char*> names) {
    PyRef t = PyRef::check(PyTuple_New(static_cast<Py_ssize_t>(names.size())));
    Py_ssize_t i = 0;
    for (const char* n : names) PyTuple_SET_ITEM(t.get(), i++, PyRef::check(PyUnicode_FromString(n)).release());
    if (PyModule_AddObject(module, attr, t.get()) < 0) throw PythonError();
    t.release();
  };
#define FNGRAD_NAME(Op) ops::Op::name,
  add_names("unary_ops", {FNGRAD_UNARY_OPS(FNGRAD_NAME)});
  add_names("binary_ops", {FNGRAD_BINARY_OPS(FNGRAD_NAME)});
#undef FNGRAD_NAME
  // Only the entries with the generic bindings: the others' Python faces are written by hand.
  std::vector<const char*> ternary_names;
#define FNGRAD_NAME(Op) \
  if constexpr (ops::Op::python_bindings) ternary_names.push_back(ops::Op::name);
  FNGRAD_TERNARY_OPS(FNGRAD_NAME)
#undef FNGRAD_NAME
  add_names("ternary_ops", ternary_names);
}

}  // namespace fngrad
