// TensorBase's other methods: conversion (numpy, item, to, float, ...), autograd state (detach,
// requires_grad_, retain_grad), pointwise methods outside the op tables (clamp, comparisons,
// fill_, masked_fill, where, logical ops) and the matmul family. Arguments are read here (Note
// [Argument parsing]); the work is in ops::.
#include <string>

#include "autograd/accumulate_grad.h"
#include "autograd/node.h"
#include "core/grad_mode.h"
#include "ops/binary_ops.h"
#include "ops/ternary_ops.h"
#include "ops/unary_ops.h"
#include "python/tensor_methods.h"

namespace fngrad {

namespace {

using autograd::Node;
using ops::Operand;

constexpr int kFastKw = METH_FASTCALL | METH_KEYWORDS;

// ---- conversion ----

const Signature numpy_sig("numpy", {"*", "force=False"});

PyObject* m_numpy(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(numpy_sig, args, nargs, kwnames);
  return tensor_to_numpy(as_tensor(self), a.bool_or(0, false));
  FNGRAD_CATCH(nullptr)
}

PyObject* m_item(PyObject* self, PyObject*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  FNGRAD_CHECK_RUNTIME(t->numel == 1, "a Tensor with ", t->numel, " elements cannot be converted to Scalar");
  switch (t->dtype) {
    case DType::Bool:
      return PyBool_FromLong(*data_ptr<bool>(t));
    case DType::Int64:
      return PyLong_FromLongLong(*data_ptr<int64_t>(t));
    default:
      if (is_integral(t->dtype)) return PyLong_FromDouble(item_as_double(t));  // exact below 64 bits
      return PyFloat_FromDouble(item_as_double(t));
  }
  FNGRAD_CATCH(nullptr)
}

const Signature size_sig("size", {"dim=None"});

PyObject* m_size(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(size_sig, args, nargs, kwnames);
  TensorObject* t = as_tensor(self);
  if (!a.has(0)) return make_size(t->sizes);
  return PyLong_FromLongLong(t->sizes[wrap_dim(a.to_int(0), ndim(t), "size")]);
  FNGRAD_CATCH(nullptr)
}

PyObject* m_dim(PyObject* self, PyObject*) {
  return PyLong_FromSsize_t(static_cast<Py_ssize_t>(ndim(as_tensor(self))));
}
PyObject* m_numel(PyObject* self, PyObject*) { return PyLong_FromLongLong(as_tensor(self)->numel); }
PyObject* m_element_size(PyObject* self, PyObject*) { return PyLong_FromSize_t(itemsize(as_tensor(self)->dtype)); }
PyObject* m_is_contiguous(PyObject* self, PyObject*) { return PyBool_FromLong(as_tensor(self)->contiguous); }
PyObject* m_is_floating_point(PyObject* self, PyObject*) {
  return PyBool_FromLong(is_floating(as_tensor(self)->dtype));
}
PyObject* m_is_inference(PyObject* self, PyObject*) { return PyBool_FromLong(as_tensor(self)->is_inference); }

PyObject* m_contiguous(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return ops::contiguous(as_tensor(self)).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_clone(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return ops::clone(as_tensor(self)).release();
  FNGRAD_CATCH(nullptr)
}

template <DType D> PyObject* m_cast(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return ops::to_dtype(as_tensor(self), D).release();
  FNGRAD_CATCH(nullptr)
}

// A device argument of to(): the CPU is the only device ("cpu", "cpu:0", Tensor.device).
void check_device(PyObject* device) {
  FNGRAD_CHECK_TYPE(PyUnicode_Check(device), "[to] argument 'device' must be a device string, not ",
                    py_type_name(device), ".");
  const char* name = PyUnicode_AsUTF8(device);
  FNGRAD_PY_CHECK(name != nullptr);
  std::string s = name;
  std::string type = s.substr(0, s.find(':'));
  bool index_ok = s.size() == type.size() || (s.size() > type.size() + 1 &&
                                              s.find_first_not_of("0123456789", type.size() + 1) == std::string::npos);
  if (type == "cpu" && index_ok) return;
  static const char* const known[] = {"cuda", "mps", "xpu", "meta", "hip",
                                      "xla",  "ipu", "hpu", "mtia", "privateuseone"};
  for (const char* k : known) {
    FNGRAD_CHECK_RUNTIME(!(type == k && index_ok), "[to] fngrad tensors live on the CPU; device '", s,
                         "' is not available.");
  }
  fail(ErrorKind::Runtime, "[to] Invalid device string: '", s, "'");
}

// to(dtype, non_blocking=False, copy=False), to(device=None, dtype=None, non_blocking=False,
// copy=False) and to(other, non_blocking=False, copy=False), as in PyTorch: the first positional
// argument (a dtype, a tensor or a device) picks the signature.
const Signature to_by_device("to", {"device=None", "dtype=None", "non_blocking=False", "copy=False", "*",
                                    "memory_format=None"});

PyObject* m_to(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  const Signature& by_device = to_by_device;
  static const Signature by_dtype("to", {"dtype", "non_blocking", "copy", "*", "memory_format"});
  static const Signature by_other("to", {"other", "non_blocking", "copy", "*", "memory_format"});
  DType d0;
  const bool first_is_dtype = nargs > 0 && (dtype_from_object(args[0], &d0) || PyType_Check(args[0]));
  const bool first_is_tensor = nargs > 0 && is_tensor(args[0]);
  const Signature& sig = first_is_dtype ? by_dtype : first_is_tensor ? by_other : by_device;
  Args a(sig, args, nargs, kwnames);
  const int shift = &sig == &by_device ? 1 : 0;  // index of dtype; the flags follow it
  TensorObject* t = as_tensor(self);
  if (shift == 1 && a.has(0)) check_device(a[0]);
  a.bool_or(1 + shift, false);  // non_blocking: type-checked, no effect on the CPU
  const bool copy = a.bool_or(2 + shift, false);
  DType d = t->dtype;
  if (first_is_tensor) {
    d = as_tensor(args[0])->dtype;
  } else if (a.has(shift)) {
    d = parse_dtype(a[shift], "to");
  }
  if (d == t->dtype) {
    if (copy) return ops::clone(t).release();
    Py_INCREF(self);
    return self;
  }
  return ops::to_dtype(t, d).release();
  FNGRAD_CATCH(nullptr)
}

// ---- autograd state ----

PyObject* m_detach(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return ops::detach(as_tensor(self)).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_detach_(PyObject* self, PyObject*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  FNGRAD_CHECK_RUNTIME(t->base == nullptr || !autograd::requires_grad_reverse(t->base),
                       "Can't detach views in-place. Use detach() instead.");
  if (t->grad_fn != nullptr) {
    Node* fn = t->grad_fn;
    t->grad_fn = nullptr;
    autograd::node_decref(fn);
  }
  t->requires_grad = false;
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

const Signature requires_grad__sig("requires_grad_", {"requires_grad=True"});

PyObject* m_requires_grad_(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(requires_grad__sig, args, nargs, kwnames);
  set_requires_grad_flag(as_tensor(self), a.bool_or(0, true));
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

PyObject* m_retain_grad(PyObject* self, PyObject*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  FNGRAD_CHECK_RUNTIME(autograd::requires_grad_reverse(t), "can't retain_grad on Tensor that has requires_grad=False");
  if (t->grad_fn != nullptr && !t->retains_grad) {
    autograd::register_retains_grad(t);
    t->retains_grad = true;
  }
  Py_RETURN_NONE;
  FNGRAD_CATCH(nullptr)
}

// ---- pointwise ----

template <TensorRef (*F)(TensorObject*)> PyObject* m_unary(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return F(as_tensor(self)).release();
  FNGRAD_CATCH(nullptr)
}

// clamp, clip, clamp_, clip_ (Name picks the name errors give): number bounds go to the unary
// table's Clamp, a tensor bound (the other a tensor, a number or absent) to the ternary table's
// ClampTensor.
const Signature clamp_sig[4] = {{"clamp", {"min=None", "max=None"}},
                                {"clip", {"min=None", "max=None"}},
                                {"clamp_", {"min=None", "max=None"}},
                                {"clip_", {"min=None", "max=None"}}};

template <int Name> PyObject* m_clamp(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  const bool inplace = Name >= 2;
  Args a(clamp_sig[Name], args, nargs, kwnames);
  const bool has_lo = a.has(0), has_hi = a.has(1);
  if ((has_lo && is_tensor(a[0])) || (has_hi && is_tensor(a[1]))) {
    // An absent bound is passed as self, which it then does not affect (ternary_ops.h).
    ops::ClampTensor op;
    op.has_min = has_lo;
    op.has_max = has_hi;
    const ops::Operand lo = has_lo ? a.operand(0) : ops::Operand(as_tensor(self));
    const ops::Operand hi = has_hi ? a.operand(1) : ops::Operand(as_tensor(self));
    if (!inplace) return ops::apply_ClampTensor(as_tensor(self), lo, hi, op).release();
    ops::apply_ClampTensor_(as_tensor(self), lo, hi, op);
    Py_INCREF(self);
    return self;
  }
  Scalar lo, hi;
  if (has_lo) lo = a.scalar(0);
  if (has_hi) hi = a.scalar(1);
  if (!inplace) return ops::clamp(as_tensor(self), has_lo ? &lo : nullptr, has_hi ? &hi : nullptr).release();
  ops::clamp_(as_tensor(self), has_lo ? &lo : nullptr, has_hi ? &hi : nullptr);
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

constexpr const char* compare_method_name(ops::CompareKind k) {
  switch (k) {
    case ops::CompareKind::Lt:
      return "lt";
    case ops::CompareKind::Le:
      return "le";
    case ops::CompareKind::Gt:
      return "gt";
    case ops::CompareKind::Ge:
      return "ge";
    case ops::CompareKind::Eq:
      return "eq";
    case ops::CompareKind::Ne:
      return "ne";
  }
  return "eq";
}

// Indexed by ops::CompareKind.
const Signature compare_sig[] = {
    {compare_method_name(ops::CompareKind(0)), {"other"}, 1}, {compare_method_name(ops::CompareKind(1)), {"other"}, 1},
    {compare_method_name(ops::CompareKind(2)), {"other"}, 1}, {compare_method_name(ops::CompareKind(3)), {"other"}, 1},
    {compare_method_name(ops::CompareKind(4)), {"other"}, 1}, {compare_method_name(ops::CompareKind(5)), {"other"}, 1}};

template <ops::CompareKind K>
PyObject* m_compare(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(compare_sig[static_cast<int>(K)], args, nargs, kwnames);
  return ops::compare(K, Operand(as_tensor(self)), a.operand(0)).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_zero_(PyObject* self, PyObject*) {
  FNGRAD_TRY
  ops::fill_(as_tensor(self), Scalar::of_int(0));
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

const Signature fill__sig("fill_", {"value"}, 1);

PyObject* m_fill_(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(fill__sig, args, nargs, kwnames);
  if (is_tensor(a[0])) {
    FNGRAD_CHECK_RUNTIME(ndim(as_tensor(a[0])) == 0,
                         "[fill_] fill_ only supports 0-dimension value tensor but got "
                         "tensor with ",
                         ndim(as_tensor(a[0])), " dimensions.");
  }
  ops::fill_(as_tensor(self), a.scalar(0));
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

// masked_fill and masked_fill_ (mask, value): the value is a number or a 0-dim tensor, as in PyTorch.
const Signature masked_fill_sig[2] = {{"masked_fill", {"mask", "value"}, 2}, {"masked_fill_", {"mask", "value"}, 2}};

template <bool InPlace>
PyObject* m_masked_fill(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  const char* op = InPlace ? "masked_fill_" : "masked_fill";
  Args a(masked_fill_sig[InPlace], args, nargs, kwnames);
  TensorObject* mask = a.tensor(0);
  if (is_tensor(a[1])) {
    const int64_t nd = ndim(as_tensor(a[1]));
    FNGRAD_CHECK_RUNTIME(nd == 0, "[", op,
                         "] masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                         "with ",
                         nd, " dimension(s).");
  }
  // A 0-dim value tensor that requires grad gets its gradient (the sum over the filled places),
  // as in PyTorch: the fill is then where(mask, value, self), and the in-place form copies that in.
  if (is_tensor(a[1]) && autograd::needs_recording({as_tensor(a[1])})) {
    TensorRef filled = ops::where(mask, ops::Operand(as_tensor(a[1])), ops::Operand(as_tensor(self)));
    if (!InPlace) return filled.release();
    ops::copy_(as_tensor(self), filled.get());
    Py_INCREF(self);
    return self;
  }
  const Scalar value = a.scalar(1);
  if (!InPlace) return ops::masked_fill(as_tensor(self), mask, value).release();
  ops::masked_fill_(as_tensor(self), mask, value);
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

// PyTorch's method binding names the source `other` (its docs say src).
const Signature copy__sig("copy_", {"other", "non_blocking=False"}, 1);

PyObject* m_copy_(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(copy__sig, args, nargs, kwnames);
  a.bool_or(1, false);  // non_blocking: type-checked, no effect on the CPU
  ops::copy_(as_tensor(self), a.tensor(0));
  Py_INCREF(self);
  return self;
  FNGRAD_CATCH(nullptr)
}

const Signature where_sig("where", {"condition", "other"}, 2);

PyObject* m_where(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(where_sig, args, nargs, kwnames);
  return ops::where(a.tensor(0), Operand(as_tensor(self)), a.operand(1)).release();
  FNGRAD_CATCH(nullptr)
}

constexpr const char* logical_method_name(ops::LogicalKind k) {
  return k == ops::LogicalKind::And ? "logical_and" : k == ops::LogicalKind::Or ? "logical_or" : "logical_xor";
}

// Indexed by ops::LogicalKind.
const Signature logical_sig[] = {{logical_method_name(ops::LogicalKind(0)), {"other"}, 1},
                                 {logical_method_name(ops::LogicalKind(1)), {"other"}, 1},
                                 {logical_method_name(ops::LogicalKind(2)), {"other"}, 1}};

template <ops::LogicalKind K>
PyObject* m_logical(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(logical_sig[static_cast<int>(K)], args, nargs, kwnames);
  return ops::logical(K, Operand(as_tensor(self)), a.operand(0), false).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_logical_not(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return ops::logical_not(as_tensor(self), false).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_leaky_relu(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  static const Signature sig("leaky_relu", {"negative_slope=0.01"});
  Args a(sig, args, nargs, kwnames);
  return ops::leaky_relu(as_tensor(self), a.double_or(0, 0.01)).release();
  FNGRAD_CATCH(nullptr)
}

// ---- products ----

// Name is the method and its other operand's PyTorch keyword ("mat2", "vec", ...).
struct ProductName {
  const char* method;
  const char* other;
};
constexpr ProductName kProducts[] = {{"matmul", "other"}, {"mm", "mat2"}, {"bmm", "mat2"},
                                     {"dot", "tensor"},   {"mv", "vec"},  {"outer", "vec2"}};

const Signature product_sig[] = {
    {kProducts[0].method, {kProducts[0].other}, 1}, {kProducts[1].method, {kProducts[1].other}, 1},
    {kProducts[2].method, {kProducts[2].other}, 1}, {kProducts[3].method, {kProducts[3].other}, 1},
    {kProducts[4].method, {kProducts[4].other}, 1}, {kProducts[5].method, {kProducts[5].other}, 1}};

template <int I, TensorRef (*F)(TensorObject*, TensorObject*)>
PyObject* m_product(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(product_sig[I], args, nargs, kwnames);
  return F(as_tensor(self), a.tensor(0)).release();
  FNGRAD_CATCH(nullptr)
}

const Signature addmm_sig("addmm", {"mat1", "mat2", "*", "beta=1", "alpha=1"}, 2);

PyObject* m_addmm(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(addmm_sig, args, nargs, kwnames);
  const Scalar beta = a.has(2) ? a.scalar(2) : Scalar::of_int(1);
  const Scalar alpha = a.has(3) ? a.scalar(3) : Scalar::of_int(1);
  return ops::addmm(as_tensor(self), a.tensor(0), a.tensor(1), beta, alpha).release();
  FNGRAD_CATCH(nullptr)
}

PyMethodDef general_methods[] = {
    {"numpy", FNGRAD_FASTCALL(m_numpy), kFastKw,
     method_doc(numpy_sig, "The tensor's data as a NumPy array sharing its memory.")},
    {"item", m_item, METH_NOARGS,
     "The value of a one-element tensor as a Python number.\n\n"
     ">>> fngrad.tensor([[2.5]]).item()\n"
     "2.5"},
    {"clone", m_clone, METH_NOARGS,
     "A copy of the tensor (differentiable).\n\n"
     ">>> x = fngrad.tensor([1., 2.], requires_grad=True)\n"
     ">>> x.clone()\n"
     "tensor([1., 2.], grad_fn=<CloneBackward0>)"},
    {"detach", m_detach, METH_NOARGS,
     "A tensor sharing this one's data, outside the graph.\n\n"
     ">>> x = fngrad.tensor([1., 2.], requires_grad=True)\n"
     ">>> (2 * x).detach()\n"
     "tensor([2., 4.])"},
    {"detach_", m_detach_, METH_NOARGS,
     "Removes this tensor from the graph, in place.\n\n"
     ">>> y = 2 * fngrad.tensor([1., 2.], requires_grad=True)\n"
     ">>> y.detach_()\n"
     "tensor([2., 4.])\n"
     ">>> y.requires_grad, y.grad_fn\n"
     "(False, None)"},
    {"requires_grad_", FNGRAD_FASTCALL(m_requires_grad_), kFastKw,
     method_doc(requires_grad__sig,
                "Sets requires_grad in place and returns the tensor.\n\n"
                ">>> x = fngrad.ones(2).requires_grad_()\n"
                ">>> x.requires_grad\n"
                "True")},
    {"retain_grad", m_retain_grad, METH_NOARGS,
     "Keeps .grad for this non-leaf tensor after backward.\n\n"
     ">>> x = fngrad.tensor([1., 2.], requires_grad=True)\n"
     ">>> y = x * x\n"
     ">>> y.retain_grad()\n"
     ">>> y.sum().backward()\n"
     ">>> y.grad\n"
     "tensor([1., 1.])"},
    {"negative", m_unary<&ops::apply_Neg>, METH_NOARGS,
     "-x elementwise.\n\n"
     ">>> fngrad.tensor([1., -2.]).negative()\n"
     "tensor([-1.,  2.])"},
    {"absolute", m_unary<&ops::apply_Abs>, METH_NOARGS,
     "|x| elementwise.\n\n"
     ">>> fngrad.tensor([-1., 2.]).absolute()\n"
     "tensor([1., 2.])"},
    {"clamp", FNGRAD_FASTCALL(m_clamp<0>), kFastKw,
     method_doc(clamp_sig[0],
                "Clamps every element into [min, max] (a bound may be None).\n\n"
                ">>> fngrad.tensor([-2., 0.5, 3.]).clamp(0, 1)\n"
                "tensor([0.0000, 0.5000, 1.0000])")},
    {"clip", FNGRAD_FASTCALL(m_clamp<1>), kFastKw,
     method_doc(clamp_sig[1],
                "Alias of clamp.\n\n"
                ">>> fngrad.tensor([-2., 0.5, 3.]).clip(max=1)\n"
                "tensor([-2.0000,  0.5000,  1.0000])")},
    {"clamp_", FNGRAD_FASTCALL(m_clamp<2>), kFastKw,
     method_doc(clamp_sig[2],
                "clamp, in place.\n\n"
                ">>> fngrad.tensor([-2., 0.5, 3.]).clamp_(min=0)\n"
                "tensor([0.0000, 0.5000, 3.0000])")},
    {"clip_", FNGRAD_FASTCALL(m_clamp<3>), kFastKw,
     method_doc(clamp_sig[3],
                "clamp, in place (alias of clamp_).\n\n"
                ">>> fngrad.tensor([-2., 0.5, 3.]).clip_(-1, 1)\n"
                "tensor([-1.0000,  0.5000,  1.0000])")},
    {"size", FNGRAD_FASTCALL(m_size), kFastKw,
     method_doc(size_sig,
                "The shape, or the size of one dim.\n\n"
                ">>> x = fngrad.zeros(2, 3)\n"
                ">>> x.size(), x.size(1)\n"
                "(fngrad.Size([2, 3]), 3)")},
    {"dim", m_dim, METH_NOARGS,
     "Number of dimensions.\n\n"
     ">>> fngrad.zeros(2, 3).dim()\n"
     "2"},
    {"numel", m_numel, METH_NOARGS,
     "Number of elements.\n\n"
     ">>> fngrad.zeros(2, 3).numel()\n"
     "6"},
    {"element_size", m_element_size, METH_NOARGS,
     "Bytes per element.\n\n"
     ">>> fngrad.zeros(2, dtype=fngrad.float64).element_size()\n"
     "8"},
    {"is_contiguous", m_is_contiguous, METH_NOARGS,
     "Whether the memory is row-major contiguous.\n\n"
     ">>> x = fngrad.zeros(2, 3)\n"
     ">>> x.is_contiguous(), x.t().is_contiguous()\n"
     "(True, False)"},
    {"is_floating_point", m_is_floating_point, METH_NOARGS,
     "Whether the dtype is a floating point dtype.\n\n"
     ">>> fngrad.tensor([1.]).is_floating_point(), fngrad.tensor([1]).is_floating_point()\n"
     "(True, False)"},
    {"is_inference", m_is_inference, METH_NOARGS,
     "Whether the tensor was created under inference_mode.\n\n"
     ">>> with fngrad.inference_mode():\n"
     "...     x = fngrad.ones(2)\n"
     ">>> x.is_inference(), fngrad.ones(2).is_inference()\n"
     "(True, False)"},
    {"contiguous", m_contiguous, METH_NOARGS,
     "A row-major contiguous tensor with the same values.\n\n"
     ">>> x = fngrad.arange(6).reshape(2, 3).t()\n"
     ">>> x.is_contiguous(), x.contiguous().is_contiguous()\n"
     "(False, True)"},
    {"float", m_cast<DType::Float32>, METH_NOARGS,
     "Converts to float32.\n\n"
     ">>> fngrad.tensor([1, 2]).float()\n"
     "tensor([1., 2.])"},
    {"double", m_cast<DType::Float64>, METH_NOARGS,
     "Converts to float64.\n\n"
     ">>> fngrad.tensor([1, 2]).double()\n"
     "tensor([1., 2.], dtype=fngrad.float64)"},
    {"long", m_cast<DType::Int64>, METH_NOARGS,
     "Converts to int64.\n\n"
     ">>> fngrad.tensor([1.7, -2.7]).long()\n"
     "tensor([ 1, -2])"},
    {"bool", m_cast<DType::Bool>, METH_NOARGS,
     "Converts to bool.\n\n"
     ">>> fngrad.tensor([0., 2.]).bool()\n"
     "tensor([False,  True])"},
    {"int", m_cast<DType::Int32>, METH_NOARGS,
     "Converts to int32.\n\n"
     ">>> fngrad.tensor([1.7, -2.7]).int()\n"
     "tensor([ 1, -2], dtype=fngrad.int32)"},
    {"short", m_cast<DType::Int16>, METH_NOARGS,
     "Converts to int16.\n\n"
     ">>> fngrad.tensor([1.7, -2.7]).short()\n"
     "tensor([ 1, -2], dtype=fngrad.int16)"},
    {"char", m_cast<DType::Int8>, METH_NOARGS,
     "Converts to int8.\n\n"
     ">>> fngrad.tensor([1.7, -3.]).char()\n"
     "tensor([ 1, -3], dtype=fngrad.int8)"},
    {"byte", m_cast<DType::UInt8>, METH_NOARGS,
     "Converts to uint8.\n\n"
     ">>> fngrad.tensor([1.7, 255.]).byte()\n"
     "tensor([  1, 255], dtype=fngrad.uint8)"},
    {"half", m_cast<DType::Float16>, METH_NOARGS,
     "Converts to float16.\n\n"
     ">>> fngrad.tensor([1, 2]).half()\n"
     "tensor([1., 2.], dtype=fngrad.float16)"},
    {"bfloat16", m_cast<DType::BFloat16>, METH_NOARGS,
     "Converts to bfloat16.\n\n"
     ">>> fngrad.tensor([1.5, 2.0]).bfloat16()\n"
     "tensor([1.5000, 2.0000], dtype=fngrad.bfloat16)"},
    {"to", FNGRAD_FASTCALL(m_to), kFastKw,
     method_doc(to_by_device, "Converts to a dtype (the CPU is the only device).")},
    {"lt", FNGRAD_FASTCALL(m_compare<ops::CompareKind::Lt>), kFastKw,
     method_doc(compare_sig[0],
                "self < other\n\n"
                ">>> fngrad.tensor([1, 2, 3]).lt(2)\n"
                "tensor([ True, False, False])")},
    {"le", FNGRAD_FASTCALL(m_compare<ops::CompareKind::Le>), kFastKw,
     method_doc(compare_sig[1],
                "self <= other\n\n"
                ">>> fngrad.tensor([1, 2, 3]).le(2)\n"
                "tensor([ True,  True, False])")},
    {"gt", FNGRAD_FASTCALL(m_compare<ops::CompareKind::Gt>), kFastKw,
     method_doc(compare_sig[2],
                "self > other\n\n"
                ">>> fngrad.tensor([1, 2, 3]).gt(2)\n"
                "tensor([False, False,  True])")},
    {"ge", FNGRAD_FASTCALL(m_compare<ops::CompareKind::Ge>), kFastKw,
     method_doc(compare_sig[3],
                "self >= other\n\n"
                ">>> fngrad.tensor([1, 2, 3]).ge(2)\n"
                "tensor([False,  True,  True])")},
    {"eq", FNGRAD_FASTCALL(m_compare<ops::CompareKind::Eq>), kFastKw,
     method_doc(compare_sig[4],
                "self == other\n\n"
                ">>> fngrad.tensor([1, 2, 3]).eq(fngrad.tensor([1, 0, 3]))\n"
                "tensor([ True, False,  True])")},
    {"ne", FNGRAD_FASTCALL(m_compare<ops::CompareKind::Ne>), kFastKw,
     method_doc(compare_sig[5],
                "self != other\n\n"
                ">>> fngrad.tensor([1, 2, 3]).ne(2)\n"
                "tensor([ True, False,  True])")},
    {"zero_", m_zero_, METH_NOARGS,
     "Fills with zeros, in place.\n\n"
     ">>> fngrad.ones(3).zero_()\n"
     "tensor([0., 0., 0.])"},
    {"fill_", FNGRAD_FASTCALL(m_fill_), kFastKw,
     method_doc(fill__sig,
                "Fills with a value, in place.\n\n"
                ">>> fngrad.zeros(3).fill_(7)\n"
                "tensor([7., 7., 7.])")},
    {"masked_fill_", FNGRAD_FASTCALL(m_masked_fill<true>), kFastKw,
     method_doc(masked_fill_sig[1],
                "Fills the positions where mask is true with value, in place.\n\n"
                ">>> x = fngrad.tensor([1., -2., 3.])\n"
                ">>> x.masked_fill_(x < 0, 0.)\n"
                "tensor([1., 0., 3.])")},
    {"masked_fill", FNGRAD_FASTCALL(m_masked_fill<false>), kFastKw,
     method_doc(masked_fill_sig[0],
                "value where mask is true.\n\n"
                ">>> x = fngrad.tensor([1., -2., 3.])\n"
                ">>> x.masked_fill(x < 0, 0.)\n"
                "tensor([1., 0., 3.])")},
    {"logical_and", FNGRAD_FASTCALL(m_logical<ops::LogicalKind::And>), kFastKw,
     method_doc(logical_sig[0],
                "Elementwise logical and.\n\n"
                ">>> fngrad.tensor([True, True, False]).logical_and(fngrad.tensor([True, False, False]))\n"
                "tensor([ True, False, False])")},
    {"logical_or", FNGRAD_FASTCALL(m_logical<ops::LogicalKind::Or>), kFastKw,
     method_doc(logical_sig[1],
                "Elementwise logical or.\n\n"
                ">>> fngrad.tensor([True, True, False]).logical_or(fngrad.tensor([True, False, False]))\n"
                "tensor([ True,  True, False])")},
    {"logical_xor", FNGRAD_FASTCALL(m_logical<ops::LogicalKind::Xor>), kFastKw,
     method_doc(logical_sig[2],
                "Elementwise logical xor.\n\n"
                ">>> fngrad.tensor([True, True, False]).logical_xor(fngrad.tensor([True, False, False]))\n"
                "tensor([False,  True, False])")},
    {"logical_not", m_logical_not, METH_NOARGS,
     "Elementwise logical not.\n\n"
     ">>> fngrad.tensor([0., 1.]).logical_not()\n"
     "tensor([ True, False])"},
    {"copy_", FNGRAD_FASTCALL(m_copy_), kFastKw,
     method_doc(copy__sig,
                "Copies src (broadcast, converted) into self.\n\n"
                ">>> x = fngrad.zeros(2, 2)\n"
                ">>> x.copy_(fngrad.tensor([1, 2]))\n"
                "tensor([[1., 2.],\n"
                "        [1., 2.]])")},
    {"where", FNGRAD_FASTCALL(m_where), kFastKw,
     method_doc(where_sig,
                "self where condition, else other.\n\n"
                ">>> x = fngrad.tensor([1., -2., 3.])\n"
                ">>> x.where(x > 0, 0.)\n"
                "tensor([1., 0., 3.])")},
    {"_leaky_relu", FNGRAD_FASTCALL(m_leaky_relu), kFastKw, "Leaky relu."},
    {"matmul", FNGRAD_FASTCALL((m_product<0, &ops::matmul>)), kFastKw,
     method_doc(product_sig[0],
                "Matrix product (NumPy's matmul rules).\n\n"
                ">>> fngrad.tensor([[1., 2.], [3., 4.]]).matmul(fngrad.tensor([1., 1.]))\n"
                "tensor([3., 7.])")},
    {"mm", FNGRAD_FASTCALL((m_product<1, &ops::mm>)), kFastKw,
     method_doc(product_sig[1],
                "Matrix product of two matrices.\n\n"
                ">>> fngrad.tensor([[1., 2.], [3., 4.]]).mm(fngrad.eye(2))\n"
                "tensor([[1., 2.],\n"
                "        [3., 4.]])")},
    {"bmm", FNGRAD_FASTCALL((m_product<2, &ops::bmm>)), kFastKw,
     method_doc(product_sig[2],
                "Batched matrix product.\n\n"
                ">>> fngrad.ones(2, 1, 3).bmm(fngrad.ones(2, 3, 1)).flatten()\n"
                "tensor([3., 3.])")},
    {"dot", FNGRAD_FASTCALL((m_product<3, &ops::dot>)), kFastKw,
     method_doc(product_sig[3],
                "Dot product of two vectors.\n\n"
                ">>> fngrad.tensor([1., 2., 3.]).dot(fngrad.tensor([1., 2., 3.]))\n"
                "tensor(14.)")},
    {"mv", FNGRAD_FASTCALL((m_product<4, &ops::mv>)), kFastKw,
     method_doc(product_sig[4],
                "Matrix-vector product.\n\n"
                ">>> fngrad.tensor([[1., 2.], [3., 4.]]).mv(fngrad.tensor([1., -1.]))\n"
                "tensor([-1., -1.])")},
    {"outer", FNGRAD_FASTCALL((m_product<5, &ops::outer>)), kFastKw,
     method_doc(product_sig[5],
                "Outer product of two vectors.\n\n"
                ">>> fngrad.tensor([1., 2.]).outer(fngrad.tensor([1., 10., 100.]))\n"
                "tensor([[  1.,  10., 100.],\n"
                "        [  2.,  20., 200.]])")},
    {"addmm", FNGRAD_FASTCALL(m_addmm), kFastKw,
     method_doc(addmm_sig,
                "beta * self + alpha * (mat1 @ mat2), self broadcast to the product's shape (one AddmmBackward0 "
                "node).\n\n"
                ">>> fngrad.ones(2).addmm(fngrad.eye(2), fngrad.ones(2, 2), alpha=2)\n"
                "tensor([[3., 3.],\n        [3., 3.]])")},
};

}  // namespace

void append_general_methods(std::vector<PyMethodDef>& out) {
  for (const PyMethodDef& m : general_methods) out.push_back(m);
}

}  // namespace fngrad
