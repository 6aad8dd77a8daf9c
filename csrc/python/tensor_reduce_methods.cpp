// TensorBase's reductions: sum, mean, prod, amax/amin, max/min, argmax/argmin, var/std,
// logsumexp, softmax/log_softmax, norm, all/any. Arguments are read here (Note [Argument
// parsing]); the work is in ops/reduce.cpp.
#include <string>

#include "ops/binary_ops.h"
#include "python/tensor_methods.h"

namespace fngrad {

namespace {

using ops::Operand;

// The input converted to the dtype= argument, when one is given (PyTorch converts before reducing).
TensorRef with_dtype(PyObject* self, const Args& a, int i) {
  TensorRef x = TensorRef::borrow(self);
  if (a.has(i)) x = ops::to_dtype(x.get(), a.dtype_or(i, x->dtype));
  return x;
}

// sum, mean and prod share PyTorch's signature (dim=None, keepdim=False, *, dtype=None) and differ
// only in the op; Kind indexes their signatures.
const Signature sum_like_sig[3] = {{"sum", {"dim=None", "keepdim=False", "*", "dtype=None"}},
                                   {"mean", {"dim=None", "keepdim=False", "*", "dtype=None"}},
                                   {"prod", {"dim=None", "keepdim=False", "*", "dtype=None"}}};

template <int Kind, TensorRef (*Op)(TensorObject*, const DimVec*, bool)>
PyObject* m_sum_like(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(sum_like_sig[Kind], args, nargs, kwnames);
  DimVec dims;
  const bool has_dims = a.dims(0, &dims);
  const bool keepdim = a.bool_or(1, false);
  TensorRef x = with_dtype(self, a, 2);
  TensorRef r = Op(x.get(), has_dims ? &dims : nullptr, keepdim);
  // With dtype=, PyTorch reduces in that dtype: sum(dtype=int8) is int8, not the int64 of a plain sum.
  if (a.has(2) && r->dtype != x->dtype) r = ops::to_dtype(r.get(), x->dtype);
  return r.release();
  FNGRAD_CATCH(nullptr)
}

const Signature amax_sig[2] = {{"amin", {"dim=()", "keepdim=False"}}, {"amax", {"dim=()", "keepdim=False"}}};

template <bool Max> PyObject* m_amax(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(amax_sig[Max], args, nargs, kwnames);
  DimVec dims;
  const bool has_dims = a.dims(0, &dims);
  return (Max ? ops::amax : ops::amin)(as_tensor(self), has_dims ? &dims : nullptr, a.bool_or(1, false)).release();
  FNGRAD_CATCH(nullptr)
}

// max()/min() of everything, max(other) elementwise, or (values, indices) along a dim (Python
// wraps the pair in fngrad.return_types).
template <bool Max> PyObject* m_max(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  const char* op = Max ? "max" : "min";
  static const Signature sig(op, {"dim", "keepdim"});
  Args a(sig, args, nargs, kwnames);
  TensorObject* t = as_tensor(self);
  if (a.has(0) && is_tensor(a[0])) {
    // max(other): the elementwise maximum, as PyTorch's overload does.
    Operand other(as_tensor(a[0]));
    return (Max ? ops::apply_Maximum(Operand(t), other) : ops::apply_Minimum(Operand(t), other)).release();
  }
  const bool keepdim = a.bool_or(1, false);
  if (!a.has(0)) {
    FNGRAD_CHECK_RUNTIME(t->numel > 0, "[", op, "] ", op,
                         "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim "
                         "with the 'dim' argument.");
    return ops::max_all(t, Max).release();
  }
  auto r = ops::max_dim(t, a.to_int(0), keepdim, Max);
  PyRef pair = PyRef::check(PyTuple_New(2));
  PyTuple_SET_ITEM(pair.get(), 0, r.first.release());
  PyTuple_SET_ITEM(pair.get(), 1, r.second.release());
  return pair.release();
  FNGRAD_CATCH(nullptr)
}

const Signature argmax_sig[2] = {{"argmin", {"dim=None", "keepdim=False"}}, {"argmax", {"dim=None", "keepdim=False"}}};

template <bool Max> PyObject* m_argmax(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(argmax_sig[Max], args, nargs, kwnames);
  DimVec dims;
  const bool has_dims = a.dims(0, &dims);
  return ops::argmax(as_tensor(self), has_dims ? &dims : nullptr, a.bool_or(1, false), Max).release();
  FNGRAD_CATCH(nullptr)
}

// var(dim=None, unbiased=True, keepdim=False, *, correction=None): PyTorch's overloads in one;
// var(True) means var(unbiased=True), as in PyTorch's old signature.
const Signature var_sig[2] = {{"var", {"dim=None", "unbiased=True", "keepdim=False", "*", "correction=None"}},
                              {"std", {"dim=None", "unbiased=True", "keepdim=False", "*", "correction=None"}}};

template <bool Sqrt> PyObject* m_var(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  const Signature& sig = var_sig[Sqrt];
  static const Signature unbiased_first(Sqrt ? "std" : "var", {"unbiased", "*", "dim", "keepdim", "correction"});
  const bool old_form = nargs > 0 && PyBool_Check(args[0]);
  Args a(old_form ? unbiased_first : sig, args, nargs, kwnames);
  const int dim_i = old_form ? 1 : 0, unbiased_i = old_form ? 0 : 1, keepdim_i = 2, correction_i = 3;
  DimVec dims;
  const bool has_dims = a.dims(dim_i, &dims);
  double correction = a.bool_or(unbiased_i, true) ? 1 : 0;
  if (a.has(correction_i)) correction = a.double_or(correction_i, 1);
  return ops::var(as_tensor(self), has_dims ? &dims : nullptr, correction, a.bool_or(keepdim_i, false), Sqrt).release();
  FNGRAD_CATCH(nullptr)
}

const Signature logsumexp_sig("logsumexp", {"dim", "keepdim=False"}, 1);

PyObject* m_logsumexp(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(logsumexp_sig, args, nargs, kwnames);
  DimVec dims;
  FNGRAD_CHECK_TYPE(a.dims(0, &dims), "[logsumexp] logsumexp() missing required argument 'dim'");
  return ops::logsumexp(as_tensor(self), &dims, a.bool_or(1, false)).release();
  FNGRAD_CATCH(nullptr)
}

const Signature softmax_sig[2] = {{"softmax", {"dim", "dtype=None"}, 1}, {"log_softmax", {"dim", "dtype=None"}, 1}};

template <bool Log> PyObject* m_softmax(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  const char* op = Log ? "log_softmax" : "softmax";
  Args a(softmax_sig[Log], args, nargs, kwnames);
  FNGRAD_CHECK_TYPE(a.has(0), "[", op, "] ", op, "() missing required argument 'dim'");
  const int64_t dim = a.to_int(0);
  TensorRef x = with_dtype(self, a, 1);
  return ops::softmax(x.get(), dim, Log).release();
  FNGRAD_CATCH(nullptr)
}

const Signature norm_sig("norm", {"p='fro'", "dim=None", "keepdim=False", "dtype=None"});

PyObject* m_norm(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(norm_sig, args, nargs, kwnames);
  double p = 2;
  if (a.has(0)) {
    if (PyUnicode_Check(a[0])) {
      std::string name = PyUnicode_AsUTF8(a[0]);
      FNGRAD_CHECK_RUNTIME(name == "fro", "[norm] Order ", name, " not supported: use a number, inf or 'fro'.");
    } else {
      p = a.double_or(0, 2);
    }
  }
  DimVec dims;
  const bool has_dims = a.dims(1, &dims);
  const bool keepdim = a.bool_or(2, false);
  TensorRef x = with_dtype(self, a, 3);
  return ops::norm(x.get(), p, has_dims ? &dims : nullptr, keepdim).release();
  FNGRAD_CATCH(nullptr)
}

const Signature all_sig[2] = {{"any", {"dim=None", "keepdim=False"}}, {"all", {"dim=None", "keepdim=False"}}};

template <bool All> PyObject* m_all(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(all_sig[All], args, nargs, kwnames);
  DimVec dims;
  const bool has_dims = a.dims(0, &dims);
  return ops::all_any(as_tensor(self), has_dims ? &dims : nullptr, a.bool_or(1, false), All).release();
  FNGRAD_CATCH(nullptr)
}

constexpr int kFastKw = METH_FASTCALL | METH_KEYWORDS;

PyMethodDef reduce_methods[] = {
    {"sum", FNGRAD_FASTCALL((m_sum_like<0, &ops::sum>)), kFastKw,
     method_doc(sum_like_sig[0],
                "Sum over all or some dims.\n\n"
                ">>> fngrad.tensor([[1., 2.], [3., 4.]]).sum(dim=1, keepdim=True)\n"
                "tensor([[3.],\n"
                "        [7.]])")},
    {"mean", FNGRAD_FASTCALL((m_sum_like<1, &ops::mean>)), kFastKw,
     method_doc(sum_like_sig[1],
                "Mean over all or some dims.\n\n"
                ">>> fngrad.tensor([[1., 2.], [3., 4.]]).mean(dim=0)\n"
                "tensor([2., 3.])")},
    {"prod", FNGRAD_FASTCALL((m_sum_like<2, &ops::prod>)), kFastKw,
     method_doc(sum_like_sig[2],
                "Product over all or some dims.\n\n"
                ">>> fngrad.tensor([[1., 2.], [3., 4.]]).prod(dim=1)\n"
                "tensor([ 2., 12.])")},
    {"amax", FNGRAD_FASTCALL(m_amax<true>), kFastKw,
     method_doc(amax_sig[1],
                "Maximum over all or some dims.\n\n"
                ">>> fngrad.tensor([[1., 2.], [3., 4.]]).amax(dim=0)\n"
                "tensor([3., 4.])")},
    {"amin", FNGRAD_FASTCALL(m_amax<false>), kFastKw,
     method_doc(amax_sig[0],
                "Minimum over all or some dims.\n\n"
                ">>> fngrad.tensor([[1., 2.], [3., 4.]]).amin(dim=1)\n"
                "tensor([1., 3.])")},
    {"_max", FNGRAD_FASTCALL(m_max<true>), kFastKw, "max(); (values, indices) along a dim."},
    {"_min", FNGRAD_FASTCALL(m_max<false>), kFastKw, "min(); (values, indices) along a dim."},
    {"argmax", FNGRAD_FASTCALL(m_argmax<true>), kFastKw,
     method_doc(argmax_sig[1],
                "Index of the maximum.\n\n"
                ">>> fngrad.tensor([[1., 5.], [7., 2.]]).argmax(dim=1)\n"
                "tensor([1, 0])")},
    {"argmin", FNGRAD_FASTCALL(m_argmax<false>), kFastKw,
     method_doc(argmax_sig[0],
                "Index of the minimum.\n\n"
                ">>> fngrad.tensor([[1., 5.], [7., 2.]]).argmin()\n"
                "tensor(0)")},
    {"var", FNGRAD_FASTCALL(m_var<false>), kFastKw,
     method_doc(var_sig[0],
                "Variance (correction=1 by default).\n\n"
                ">>> fngrad.tensor([[1., 2.], [3., 4.]]).var()\n"
                "tensor(1.6667)")},
    {"std", FNGRAD_FASTCALL(m_var<true>), kFastKw,
     method_doc(var_sig[1],
                "Standard deviation (correction=1 by default).\n\n"
                ">>> fngrad.tensor([[1., 2.], [3., 4.]]).std(dim=0)\n"
                "tensor([1.4142, 1.4142])")},
    {"logsumexp", FNGRAD_FASTCALL(m_logsumexp), kFastKw,
     method_doc(logsumexp_sig,
                "log(sum(exp(x))) over dims, computed stably.\n\n"
                ">>> fngrad.tensor([[0., 0.], [1., 2.]]).logsumexp(dim=1)\n"
                "tensor([0.6931, 2.3133])")},
    {"softmax", FNGRAD_FASTCALL(m_softmax<false>), kFastKw,
     method_doc(softmax_sig[0],
                "Softmax along dim.\n\n"
                ">>> fngrad.tensor([0., 1., 2.]).softmax(dim=0)\n"
                "tensor([0.0900, 0.2447, 0.6652])")},
    {"log_softmax", FNGRAD_FASTCALL(m_softmax<true>), kFastKw,
     method_doc(softmax_sig[1],
                "Log-softmax along dim.\n\n"
                ">>> fngrad.tensor([0., 1., 2.]).log_softmax(dim=0)\n"
                "tensor([-2.4076, -1.4076, -0.4076])")},
    {"norm", FNGRAD_FASTCALL(m_norm), kFastKw, method_doc(norm_sig, "Vector norm (p='fro', the 2-norm, by default).")},
    {"all", FNGRAD_FASTCALL(m_all<true>), kFastKw,
     method_doc(all_sig[1],
                "Whether every element is true.\n\n"
                ">>> fngrad.tensor([[True, False], [True, True]]).all(dim=1)\n"
                "tensor([False,  True])")},
    {"any", FNGRAD_FASTCALL(m_all<false>), kFastKw,
     method_doc(all_sig[0],
                "Whether any element is true.\n\n"
                ">>> fngrad.tensor([[True, False], [False, False]]).any(dim=1)\n"
                "tensor([ True, False])")},
};

}  // namespace

void append_reduce_methods(std::vector<PyMethodDef>& out) {
  for (const PyMethodDef& m : reduce_methods) out.push_back(m);
}

}  // namespace fngrad
