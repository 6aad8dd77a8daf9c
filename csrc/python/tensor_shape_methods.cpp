// TensorBase's view and shape methods: reshape, view, permute, expand, transpose, squeeze,
// split, ... Arguments are read here (Note [Argument parsing]); the work is in ops/views.cpp.
#include <algorithm>

#include "python/tensor_methods.h"

namespace fngrad {

namespace {

PyObject* tuple_of(SmallVec<TensorRef, 4>&& parts) {
  PyRef t = PyRef::check(PyTuple_New(static_cast<Py_ssize_t>(parts.size())));
  for (size_t i = 0; i < parts.size(); i++) PyTuple_SET_ITEM(t.get(), static_cast<Py_ssize_t>(i), parts[i].release());
  return t.release();
}

// The shape of reshape(*shape), view(*size), permute(*dims), expand(*size), broadcast_to(size):
// ints as separate arguments, one sequence, or the sequence by keyword (sig.names[0]); the other
// parameters of sig may only come by keyword.
DimVec shape_arguments(const Signature& sig, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  const bool keywords = kwnames != nullptr && PyTuple_GET_SIZE(kwnames) > 0;
  if (!keywords || nargs > 1) {
    if (keywords) {
      // reshape(2, 3, shape=...) or expand(2, 3, implicit=False): the keywords alone.
      Args kw(sig, args + nargs, 0, kwnames);
      FNGRAD_CHECK_TYPE(kw[0] == nullptr, sig.fname, "() got multiple values for argument '", sig.names[0], "'");
    }
    FNGRAD_CHECK_TYPE(nargs > 0, sig.fname, "() missing 1 required positional arguments: \"", sig.names[0], "\"");
    return parse_shape(args, nargs, sig.fname);
  }
  Args a(sig, args, nargs, kwnames);
  return a.shape(0);
}

const Signature unsqueeze_sig("unsqueeze", {"dim"}, 1);

PyObject* m_unsqueeze(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(unsqueeze_sig, args, nargs, kwnames);
  return ops::unsqueeze(as_tensor(self), a.to_int(0)).release();
  FNGRAD_CATCH(nullptr)
}

const Signature expand_sig("expand", {"*size", "*", "implicit=False"});

PyObject* m_expand(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  // implicit=False is accepted and has no effect, as in PyTorch's eager mode.
  return ops::expand(as_tensor(self), shape_arguments(expand_sig, args, nargs, kwnames)).release();
  FNGRAD_CATCH(nullptr)
}

const Signature as_strided_sig("as_strided", {"size", "stride", "storage_offset=None"}, 2);

PyObject* m_as_strided(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(as_strided_sig, args, nargs, kwnames);
  DimVec stride = a.shape(1);
  int64_t offset = a.has(2) ? a.to_int(2) : 0;
  return ops::as_strided(as_tensor(self), a.shape(0), stride, a.has(2) ? &offset : nullptr).release();
  FNGRAD_CATCH(nullptr)
}

const Signature broadcast_to_sig("broadcast_to", {"size"});

PyObject* m_broadcast_to(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  return ops::expand(as_tensor(self), shape_arguments(broadcast_to_sig, args, nargs, kwnames)).release();
  FNGRAD_CATCH(nullptr)
}

const Signature reshape_sig("reshape", {"*shape"});

PyObject* m_reshape(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  return ops::reshape(as_tensor(self), shape_arguments(reshape_sig, args, nargs, kwnames)).release();
  FNGRAD_CATCH(nullptr)
}

const Signature view_sig("view", {"*size", "*", "dtype=None"});

PyObject* m_view(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  PyObject* dtype = nullptr;
  if (nargs == 1 && !PyIndex_Check(args[0]) && !PySequence_Check(args[0])) {
    dtype = args[0];
    FNGRAD_CHECK_TYPE(kwnames == nullptr || PyTuple_GET_SIZE(kwnames) == 0,
                      "view() takes no keyword arguments with "
                      "a dtype");
  } else if (nargs == 0 && kwnames != nullptr && PyTuple_GET_SIZE(kwnames) > 0) {
    Args a(view_sig, args, nargs, kwnames);
    FNGRAD_CHECK_TYPE(a.has(0) != a.has(1), "view() takes either size or dtype");
    if (a.has(1)) dtype = a[1];
  }
  if (dtype != nullptr) {
    // view(dtype) reinterprets memory in PyTorch; fngrad only supports the same dtype.
    DType d = parse_dtype(dtype, "view");
    FNGRAD_CHECK_RUNTIME(d == t->dtype, "[view] Viewing a tensor as another dtype is not supported.");
    return ops::view_as_shape(t, t->sizes).release();
  }
  return ops::view_as_shape(t, shape_arguments(view_sig, args, nargs, kwnames)).release();
  FNGRAD_CATCH(nullptr)
}

const Signature permute_sig("permute", {"*dims"});

PyObject* m_permute(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  return ops::permute(as_tensor(self), shape_arguments(permute_sig, args, nargs, kwnames)).release();
  FNGRAD_CATCH(nullptr)
}

// view_as, reshape_as, expand_as: (other), PyTorch's name.
const Signature as_sig[3] = {{"view_as", {"other"}, 1}, {"reshape_as", {"other"}, 1}, {"expand_as", {"other"}, 1}};

template <int Kind> PyObject* m_as(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(as_sig[Kind], args, nargs, kwnames);
  const DimVec& shape = a.tensor(0)->sizes;
  TensorObject* t = as_tensor(self);
  if (Kind == 0) return ops::view_as_shape(t, shape).release();
  if (Kind == 1) return ops::reshape(t, shape).release();
  return ops::expand(t, shape).release();
  FNGRAD_CATCH(nullptr)
}

const Signature flatten_sig("flatten", {"start_dim=0", "end_dim=-1"});

PyObject* m_flatten(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(flatten_sig, args, nargs, kwnames);
  return ops::flatten(as_tensor(self), a.int_or(0, 0), a.int_or(1, -1)).release();
  FNGRAD_CATCH(nullptr)
}

const Signature squeeze_sig("squeeze", {"dim=None"});

PyObject* m_squeeze(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(squeeze_sig, args, nargs, kwnames);
  DimVec dims;
  if (!a.dims(0, &dims)) return ops::squeeze_all(as_tensor(self)).release();
  TensorRef r = TensorRef::borrow(self);
  // Squeeze the highest dims first so that lower indices stay valid.
  const int64_t nd = ndim(as_tensor(self));
  for (int64_t& d : dims) d = wrap_dim(d, nd, "squeeze");
  std::sort(dims.begin(), dims.end());
  for (size_t i = dims.size(); i-- > 0;) r = ops::squeeze_dim(r.get(), dims[i]);
  return r.release();
  FNGRAD_CATCH(nullptr)
}

const Signature transpose_sig("transpose", {"dim0", "dim1"}, 2);

PyObject* m_transpose(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(transpose_sig, args, nargs, kwnames);
  return ops::transpose(as_tensor(self), a.to_int(0), a.to_int(1)).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* m_t(PyObject* self, PyObject*) {
  FNGRAD_TRY
  return ops::t(as_tensor(self)).release();
  FNGRAD_CATCH(nullptr)
}

const Signature split_sig("split", {"split_size", "dim=0"}, 1);

PyObject* m_split(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(split_sig, args, nargs, kwnames);
  const int64_t dim = a.int_or(1, 0);
  if (PyIndex_Check(a[0]) && !PyBool_Check(a[0]) && !is_tensor(a[0])) {
    return tuple_of(ops::split(as_tensor(self), a.to_int(0), dim));
  }
  DimVec sizes;
  if (!a.dims(0, &sizes)) a.type_error(0, "int");
  return tuple_of(ops::split_sizes(as_tensor(self), sizes, dim));
  FNGRAD_CATCH(nullptr)
}

const Signature chunk_sig("chunk", {"chunks", "dim=0"}, 1);

PyObject* m_chunk(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(chunk_sig, args, nargs, kwnames);
  return tuple_of(ops::chunk(as_tensor(self), a.to_int(0), a.int_or(1, 0)));
  FNGRAD_CATCH(nullptr)
}

const Signature unbind_sig("unbind", {"dim=0"});

PyObject* m_unbind(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(unbind_sig, args, nargs, kwnames);
  return tuple_of(ops::unbind(as_tensor(self), a.int_or(0, 0)));
  FNGRAD_CATCH(nullptr)
}

const Signature take_sig("take", {"index"}, 1);

PyObject* m_take(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  FNGRAD_TRY
  Args a(take_sig, args, nargs, kwnames);
  return ops::take(as_tensor(self), a.tensor(0)).release();
  FNGRAD_CATCH(nullptr)
}

constexpr int kFastKw = METH_FASTCALL | METH_KEYWORDS;

PyMethodDef shape_methods[] = {
    {"unsqueeze", FNGRAD_FASTCALL(m_unsqueeze), kFastKw,
     method_doc(unsqueeze_sig,
                "A view with a size-1 dim inserted at dim.\n\n"
                ">>> fngrad.tensor([1., 2., 3.]).unsqueeze(0).shape\n"
                "fngrad.Size([1, 3])")},
    {"reshape", FNGRAD_FASTCALL(m_reshape), kFastKw,
     method_doc(reshape_sig,
                "The same values with another shape (a view when possible).\n\n"
                ">>> fngrad.arange(6).reshape(2, -1)\n"
                "tensor([[0, 1, 2],\n"
                "        [3, 4, 5]])")},
    {"view", FNGRAD_FASTCALL(m_view), kFastKw,
     method_doc(view_sig,
                "A view with another shape.\n\n"
                ">>> fngrad.arange(6).view(3, 2)\n"
                "tensor([[0, 1],\n"
                "        [2, 3],\n"
                "        [4, 5]])")},
    {"view_as", FNGRAD_FASTCALL(m_as<0>), kFastKw,
     method_doc(as_sig[0],
                "A view with other's shape.\n\n"
                ">>> fngrad.arange(6).view_as(fngrad.zeros(2, 3))\n"
                "tensor([[0, 1, 2],\n"
                "        [3, 4, 5]])")},
    {"reshape_as", FNGRAD_FASTCALL(m_as<1>), kFastKw,
     method_doc(as_sig[1],
                "reshape to other's shape.\n\n"
                ">>> fngrad.arange(6).reshape_as(fngrad.zeros(3, 2))\n"
                "tensor([[0, 1],\n"
                "        [2, 3],\n"
                "        [4, 5]])")},
    {"expand_as", FNGRAD_FASTCALL(m_as<2>), kFastKw,
     method_doc(as_sig[2],
                "expand to other's shape.\n\n"
                ">>> fngrad.tensor([1., 2.]).expand_as(fngrad.zeros(3, 2))\n"
                "tensor([[1., 2.],\n"
                "        [1., 2.],\n"
                "        [1., 2.]])")},
    {"flatten", FNGRAD_FASTCALL(m_flatten), kFastKw,
     method_doc(flatten_sig,
                "Merges dims start_dim..end_dim.\n\n"
                ">>> fngrad.zeros(2, 3, 4).flatten(1).shape\n"
                "fngrad.Size([2, 12])")},
    {"squeeze", FNGRAD_FASTCALL(m_squeeze), kFastKw,
     method_doc(squeeze_sig,
                "Removes size-1 dims.\n\n"
                ">>> fngrad.zeros(2, 1, 3, 1).squeeze().shape\n"
                "fngrad.Size([2, 3])")},
    {"transpose", FNGRAD_FASTCALL(m_transpose), kFastKw,
     method_doc(transpose_sig,
                "Swaps two dims (a view).\n\n"
                ">>> fngrad.zeros(2, 3, 4).transpose(0, 2).shape\n"
                "fngrad.Size([4, 3, 2])")},
    {"permute", FNGRAD_FASTCALL(m_permute), kFastKw,
     method_doc(permute_sig,
                "Reorders dims (a view).\n\n"
                ">>> fngrad.zeros(2, 3, 4).permute(2, 0, 1).shape\n"
                "fngrad.Size([4, 2, 3])")},
    {"t", m_t, METH_NOARGS,
     "Transpose of a matrix (a view).\n\n"
     ">>> fngrad.tensor([[1., 2.], [3., 4.]]).t()\n"
     "tensor([[1., 3.],\n"
     "        [2., 4.]])"},
    {"broadcast_to", FNGRAD_FASTCALL(m_broadcast_to), kFastKw,
     method_doc(broadcast_to_sig,
                "A view broadcast to shape.\n\n"
                ">>> fngrad.tensor([1., 2.]).broadcast_to((2, 2))\n"
                "tensor([[1., 2.],\n"
                "        [1., 2.]])")},
    {"split", FNGRAD_FASTCALL(m_split), kFastKw,
     method_doc(split_sig,
                "Splits into views along dim.\n\n"
                ">>> fngrad.arange(5).split(2)\n"
                "(tensor([0, 1]), tensor([2, 3]), tensor([4]))")},
    {"chunk", FNGRAD_FASTCALL(m_chunk), kFastKw,
     method_doc(chunk_sig,
                "Splits into `chunks` views along dim.\n\n"
                ">>> fngrad.arange(5).chunk(2)\n"
                "(tensor([0, 1, 2]), tensor([3, 4]))")},
    {"unbind", FNGRAD_FASTCALL(m_unbind), kFastKw,
     method_doc(unbind_sig,
                "The slices along dim, as a tuple.\n\n"
                ">>> fngrad.tensor([[1., 2.], [3., 4.]]).unbind(1)\n"
                "(tensor([1., 3.]), tensor([2., 4.]))")},
    {"take", FNGRAD_FASTCALL(m_take), kFastKw,
     method_doc(take_sig,
                "Elements at flat indices.\n\n"
                ">>> fngrad.tensor([[1., 2.], [3., 4.]]).take(fngrad.tensor([0, 3]))\n"
                "tensor([1., 4.])")},
    {"as_strided", FNGRAD_FASTCALL(m_as_strided), kFastKw,
     method_doc(as_strided_sig,
                "A view of the tensor's storage with the given sizes and strides, starting at storage_offset\n"
                "(counted from the start of the storage; by default the tensor's own offset).\n\n"
                ">>> fngrad.arange(4.).as_strided((2, 2), (1, 1))\n"
                "tensor([[0., 1.],\n"
                "        [1., 2.]])")},
    {"expand", FNGRAD_FASTCALL(m_expand), kFastKw,
     method_doc(expand_sig,
                "A view broadcast to a larger shape.\n\n"
                ">>> fngrad.tensor([[1.], [2.]]).expand(2, 3)\n"
                "tensor([[1., 1., 1.],\n"
                "        [2., 2., 2.]])")},
};

}  // namespace

PyObject* tensor_get_T(PyObject* self, void*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  DimVec perm;
  for (int64_t d = ndim(t) - 1; d >= 0; d--) perm.push_back(d);
  return ops::permute(t, perm).release();
  FNGRAD_CATCH(nullptr)
}

PyObject* tensor_get_mT(PyObject* self, void*) {
  FNGRAD_TRY
  TensorObject* t = as_tensor(self);
  FNGRAD_CHECK_RUNTIME(ndim(t) >= 2, "[mT] tensor.mT is only supported on matrices or batches of matrices. Got ",
                       ndim(t), "-D tensor.");
  return ops::transpose(t, -2, -1).release();
  FNGRAD_CATCH(nullptr)
}

void append_shape_methods(std::vector<PyMethodDef>& out) {
  for (const PyMethodDef& m : shape_methods) out.push_back(m);
}

}  // namespace fngrad
