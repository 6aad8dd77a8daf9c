"""Keyword arguments of the native tensor methods, and PyTorch's TypeErrors for bad arguments.

Every method of ``fngrad._C.TensorBase`` takes its arguments by position or by PyTorch's keyword
names, through one parser (csrc/python/arg_parser.h). Three kinds of checks:

* ``KEYWORD_CASES``: each call runs with fngrad and with PyTorch (when installed) and the results
  must agree (values, shape, dtype); ``NUMPY_CASES`` check a subset against NumPy formulas, without
  PyTorch.
* ``TYPE_ERRORS``: bad arguments (a str for a bool, a float for an int, unknown, repeated or
  missing keywords) raise TypeError in fngrad, naming the method, and in PyTorch.
* a guard: every public method of TensorBase appears in a keyword case or in ``NO_ARGUMENTS``.
"""

from __future__ import annotations

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

A = np.array([[0.3, -1.2, 2.0], [0.7, 0.1, -0.4]], dtype=np.float32)
B = np.array([[1.5, 0.2], [-0.3, 0.9], [0.4, -1.1]], dtype=np.float32)
V = np.array([0.5, -2.0, 1.0], dtype=np.float32)
MASK = A > 0


def a(L):
    return L.tensor(A)


def _tuple_values(r):
    if isinstance(r, (tuple, list)):
        return [v for v in r]
    return [r]


# name -> fn(L): the keyword form of one call (several names per method where forms differ).
KEYWORD_CASES = {
    "unsqueeze": lambda L: a(L).unsqueeze(dim=1),
    "reshape_kw": lambda L: a(L).reshape(shape=(3, 2)),
    "reshape_ints": lambda L: a(L).reshape(3, 2),
    "reshape_tuple": lambda L: a(L).reshape((3, -1)),
    "view_kw": lambda L: a(L).view(size=(3, 2)),
    "view_ints": lambda L: a(L).view(6),
    "view_dtype_kw": lambda L: a(L).view(dtype=L.float32),
    "permute_kw": lambda L: a(L).permute(dims=(1, 0)),
    "permute_ints": lambda L: a(L).permute(1, 0),
    "expand_kw": lambda L: a(L).expand(size=(2, 2, 3)),
    "expand_ints_implicit": lambda L: a(L).expand(2, 2, 3, implicit=False),
    "broadcast_to_kw": lambda L: a(L).broadcast_to(size=(4, 2, 3)),
    "as_strided_kw": lambda L: a(L)[1:].as_strided(size=(2, 2), stride=(1, 3), storage_offset=1),
    "as_strided_default_offset": lambda L: a(L)[1:].as_strided((2,), (1,)),
    "matmul": lambda L: a(L).matmul(other=L.tensor(B)),
    "mm": lambda L: a(L).mm(mat2=L.tensor(B)),
    "addmm": lambda L: a(L).mm(L.tensor(B)).addmm(mat1=a(L), mat2=L.tensor(B), beta=0.5, alpha=2),
    "bmm": lambda L: a(L).unsqueeze(0).bmm(mat2=L.tensor(B).unsqueeze(0)),
    "mv": lambda L: a(L).mv(vec=L.tensor(V)),
    "dot": lambda L: L.tensor(V).dot(tensor=L.tensor(V)),
    "outer": lambda L: L.tensor(V).outer(vec2=L.tensor(V)),
    "transpose": lambda L: a(L).transpose(dim0=1, dim1=0),
    "transpose_mixed": lambda L: a(L).transpose(0, dim1=1),
    "sum": lambda L: a(L).sum(dim=1, keepdim=True),
    "sum_dims_dtype": lambda L: a(L).sum(dim=(0, 1), dtype=L.float64),
    "sum_positional_dtype_kw": lambda L: a(L).sum(1, True, dtype=L.float64),
    "sum_numpy_names": lambda L: a(L).sum(axis=1, keepdims=True),
    "mean": lambda L: a(L).mean(dim=0, keepdim=True, dtype=L.float64),
    "prod": lambda L: a(L).prod(dim=1, keepdim=True),
    "prod_dtype": lambda L: a(L).prod(dtype=L.float64),
    "amax": lambda L: a(L).amax(dim=1, keepdim=True),
    "amax_numpy_names": lambda L: a(L).amax(axis=0, keepdims=False),
    "amin": lambda L: a(L).amin(dim=(0, 1)),
    "argmax": lambda L: a(L).argmax(dim=1, keepdim=True),
    "argmin": lambda L: a(L).argmin(dim=0),
    "max_dim": lambda L: _tuple_values(a(L).max(dim=1, keepdim=True)),
    "min_dim": lambda L: _tuple_values(a(L).min(dim=0)),
    "var": lambda L: a(L).var(dim=1, correction=0, keepdim=True),
    "std_unbiased": lambda L: a(L).std(dim=0, unbiased=False),
    "var_old_form": lambda L: a(L).var(False),
    "logsumexp": lambda L: a(L).logsumexp(dim=1, keepdim=True),
    "softmax": lambda L: a(L).softmax(dim=1),
    "log_softmax_dtype": lambda L: a(L).log_softmax(dim=0, dtype=L.float64),
    "norm": lambda L: a(L).norm(p=1, dim=1, keepdim=True),
    "all": lambda L: L.tensor(MASK).all(dim=1, keepdim=True),
    "any": lambda L: L.tensor(MASK).any(dim=0),
    "clamp": lambda L: a(L).clamp(min=-0.5, max=0.5),
    "clip": lambda L: a(L).clip(max=0.2),
    "clamp_": lambda L: a(L).clamp_(min=0.0),
    "clip_": lambda L: a(L).clip_(min=-1.0, max=1.0),
    "add_alpha": lambda L: a(L).add(other=L.ones(3), alpha=2),
    "sub_alpha": lambda L: a(L).sub(L.ones(3), alpha=0.5),
    "mul": lambda L: a(L).mul(other=2.0),
    "div": lambda L: a(L).div(other=L.tensor(V)),
    "pow": lambda L: a(L).pow(exponent=2),
    "lt": lambda L: a(L).lt(other=0.5),
    "le": lambda L: a(L).le(other=L.tensor(V)),
    "gt": lambda L: a(L).gt(other=0.1),
    "ge": lambda L: a(L).ge(other=L.tensor(V)),
    "eq": lambda L: a(L).eq(other=0.3),
    "ne": lambda L: a(L).ne(other=L.tensor(V)),
    "squeeze": lambda L: a(L).unsqueeze(0).squeeze(dim=0),
    "squeeze_dims": lambda L: a(L).reshape(1, 2, 1, 3).squeeze(dim=(0, 2)),
    "flatten": lambda L: a(L).reshape(1, 2, 3).flatten(start_dim=1, end_dim=2),
    "to_dtype_kw": lambda L: a(L).to(dtype=L.float64),
    "to_dtype_copy": lambda L: a(L).to(L.float32, copy=True),
    "to_device_dtype": lambda L: a(L).to(device="cpu", dtype=L.float64),
    "to_other": lambda L: a(L).to(L.tensor([1], dtype=L.int64), non_blocking=False),
    "size": lambda L: [a(L).size(dim=1)],
    "split": lambda L: list(a(L).split(split_size=2, dim=1)),
    "split_sizes": lambda L: list(a(L).split([1, 2], dim=1)),
    "chunk": lambda L: list(a(L).chunk(chunks=2, dim=1)),
    "unbind": lambda L: list(a(L).unbind(dim=1)),
    "take": lambda L: a(L).take(index=L.tensor([0, 4])),
    "view_as": lambda L: a(L).view_as(other=L.tensor(B)),
    "reshape_as": lambda L: a(L).reshape_as(other=L.tensor(B)),
    "expand_as": lambda L: L.tensor(V).expand_as(other=a(L)),
    "where": lambda L: a(L).where(condition=L.tensor(MASK), other=0.0),
    "masked_fill": lambda L: a(L).masked_fill(mask=L.tensor(MASK), value=2.0),
    "masked_fill_": lambda L: a(L).masked_fill_(mask=L.tensor(MASK), value=-1.0),
    "fill_": lambda L: a(L).fill_(value=3.0),
    "copy_": lambda L: a(L).copy_(other=L.tensor(V), non_blocking=False),
    "logical_and": lambda L: L.tensor(MASK).logical_and(other=L.tensor(~MASK)),
    "logical_or": lambda L: L.tensor(MASK).logical_or(other=L.tensor(~MASK)),
    "logical_xor": lambda L: L.tensor(MASK).logical_xor(other=L.tensor(~MASK)),
    "requires_grad_": lambda L: [a(L).requires_grad_(requires_grad=True).requires_grad],
    "numpy": lambda L: [a(L).requires_grad_().numpy(force=True)],
    "addcmul": lambda L: a(L).addcmul(tensor1=a(L), tensor2=a(L), value=0.5),
    "addcdiv": lambda L: a(L).addcdiv(tensor1=a(L), tensor2=L.ones(3), value=2),
    "lerp": lambda L: a(L).lerp(end=L.ones(3), weight=0.25),
    "maximum": lambda L: a(L).maximum(other=L.tensor(V)),
    "minimum": lambda L: a(L).minimum(other=L.tensor(V)),
    "atan2": lambda L: a(L).atan2(other=L.tensor(V)),
    "hypot": lambda L: a(L).hypot(other=L.tensor(V)),
    "_leaky_relu": lambda L: (a(L)._leaky_relu(negative_slope=0.2) if L is fngrad
                              else L.nn.functional.leaky_relu(a(L), negative_slope=0.2)),
}

# Methods whose keyword forms the names above do not spell out: in-place twins of the op tables
# (same parameters as the method), covered through the method's case.
INPLACE_TWINS = {"add_", "sub_", "mul_", "div_", "pow_", "addcmul_", "addcdiv_", "lerp_"} | {
    op + "_" for op in fngrad._C.binary_ops}
# Methods that take no arguments at all (PyTorch's take none either, or only memory_format,
# which fngrad has no objects for).
# The binary table's ops (bindings generated from csrc/ops/binary_ops.h) take `other` by keyword;
# those without a case of their own above get this one (values kept away from zero divisors).
_OTHER = np.array([[1.5, -0.7, 2.5], [0.9, 1.1, -1.3]], dtype=np.float32)
for _op in fngrad._C.binary_ops:
    if any(case == _op or case.startswith(_op + "_") for case in KEYWORD_CASES):
        continue
    if _op.startswith("special_"):  # torch.special's functions have no Tensor method
        KEYWORD_CASES[f"{_op}_other_kw"] = lambda L, op=_op[len("special_"):]: getattr(L.special, op)(
            L.tensor(np.abs(A) + 0.5), other=L.tensor(_OTHER))
    else:
        KEYWORD_CASES[f"{_op}_other_kw"] = lambda L, op=_op: getattr(L.tensor(np.abs(A) + 0.5), op)(other=L.tensor(_OTHER))

NO_ARGUMENTS = {"item", "clone", "detach", "detach_", "retain_grad", "negative", "absolute", "dim", "numel",
                "element_size", "is_contiguous", "is_floating_point", "is_inference", "contiguous", "float",
                "double", "long", "bool", "int", "short", "char", "byte", "half", "bfloat16", "zero_", "logical_not", "t"}
# The native halves of methods that Python wraps (max/min return torch.return_types there).
WRAPPED = {"_max": "max_dim", "_min": "min_dim"}


def _as_arrays(value):
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if hasattr(v, "detach"):
            v = v.detach().numpy()
        out.append(np.asarray(v))
    return out


def _assert_same(got, expected):
    got, expected = _as_arrays(got), _as_arrays(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        assert g.dtype == e.dtype, (g.dtype, e.dtype)
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_every_method_has_a_keyword_case():
    """A guard: a new TensorBase method must get a keyword case here (or be listed as taking none)."""
    base = fngrad._C.TensorBase
    methods = {m for m in dir(base) if not m.startswith("__") and callable(getattr(base, m))
               and not isinstance(getattr(base, m), type)}
    methods -= {"_make_subclass"}  # a static constructor helper (nn.Parameter), not a tensor method
    unary = set(fngrad._C.unary_ops) | {u + "_" for u in fngrad._C.unary_ops}
    # A case is named after its method, or the method then "_" and the form ("reshape_kw").
    covered = {m for m in methods if any(case == m or case.startswith(m + "_") for case in KEYWORD_CASES)}
    missing = sorted(m for m in methods - covered - NO_ARGUMENTS - INPLACE_TWINS - unary - set(WRAPPED))
    assert missing == [], f"TensorBase methods without a keyword case: {missing}"


@requires_torch
@pytest.mark.parametrize("name", sorted(KEYWORD_CASES))
def test_keyword_form_matches_torch(name):
    import torch

    fn = KEYWORD_CASES[name]
    _assert_same(fn(fngrad), fn(torch))


# name -> (fn(L), NumPy reference): the keyword forms checked without PyTorch.
NUMPY_CASES = {
    "unsqueeze": (lambda L: a(L).unsqueeze(dim=1), A[:, None, :]),
    "reshape_kw": (lambda L: a(L).reshape(shape=(3, 2)), A.reshape(3, 2)),
    "view_kw": (lambda L: a(L).view(size=(3, 2)), A.reshape(3, 2)),
    "permute_kw": (lambda L: a(L).permute(dims=(1, 0)), A.T),
    "expand_kw": (lambda L: a(L).expand(size=(2, 2, 3)), np.broadcast_to(A, (2, 2, 3))),
    "matmul": (lambda L: a(L).matmul(other=L.tensor(B)), A @ B),
    "transpose": (lambda L: a(L).transpose(dim0=1, dim1=0), A.T),
    "sum": (lambda L: a(L).sum(dim=1, keepdim=True), A.sum(axis=1, keepdims=True)),
    "sum_axis": (lambda L: a(L).sum(axis=0, keepdims=True), A.sum(axis=0, keepdims=True)),
    "sum_dtype": (lambda L: a(L).sum(dim=0, dtype=fngrad.float64), A.astype(np.float64).sum(axis=0)),
    "mean": (lambda L: a(L).mean(dim=0, keepdim=True), A.mean(axis=0, keepdims=True)),
    "amax": (lambda L: a(L).amax(dim=1), A.max(axis=1)),
    "softmax": (lambda L: a(L).softmax(dim=1), np.exp(A) / np.exp(A).sum(axis=1, keepdims=True)),
    "clamp": (lambda L: a(L).clamp(min=-0.5, max=0.5), np.clip(A, -0.5, 0.5)),
    "add_alpha": (lambda L: a(L).add(other=L.tensor(V), alpha=2), A + 2 * V),
    "pow": (lambda L: a(L).pow(exponent=2), A ** 2),
    "lt": (lambda L: a(L).lt(other=0.5), A < 0.5),
    "squeeze": (lambda L: a(L).unsqueeze(0).squeeze(dim=0), A),
    "flatten": (lambda L: a(L).reshape(1, 2, 3).flatten(start_dim=1, end_dim=2), A.reshape(1, 6)),
    "to_dtype": (lambda L: a(L).to(dtype=fngrad.float64), A.astype(np.float64)),
    "var": (lambda L: a(L).var(dim=1, correction=0), A.var(axis=1)),
    "where": (lambda L: a(L).where(condition=L.tensor(MASK), other=0.0), np.where(MASK, A, np.float32(0))),
    "masked_fill": (lambda L: a(L).masked_fill(mask=L.tensor(MASK), value=2.0), np.where(MASK, np.float32(2), A)),
}


@pytest.mark.parametrize("name", sorted(NUMPY_CASES))
def test_keyword_form_matches_numpy(name):
    fn, ref = NUMPY_CASES[name]
    _assert_same(fn(fngrad), np.asarray(ref))


def test_positional_and_keyword_forms_agree():
    x = fngrad.tensor(A)
    _assert_same(x.sum(1, True), x.sum(dim=1, keepdim=True))
    _assert_same(x.transpose(1, 0), x.transpose(dim1=0, dim0=1))
    _assert_same(x.flatten(0, 1), x.flatten(end_dim=1))
    _assert_same(x.clamp(-0.5, 0.5), x.clamp(max=0.5, min=-0.5))
    _assert_same(list(x.split(2, 1)), list(x.split(dim=1, split_size=2)))


def _x(L):
    return L.tensor(A)


# name -> fn(L): bad arguments; PyTorch raises TypeError for each, and so must fngrad, naming the
# method (and the argument, where one is named).
TYPE_ERRORS = {
    "sum_keepdim_str": (lambda L: _x(L).sum(dim=0, keepdim="yes"), ("sum", "keepdim")),
    "sum_keepdim_int": (lambda L: _x(L).sum(0, 1), ("sum", "keepdim")),
    "sum_dtype_positional": (lambda L: _x(L).sum(0, False, L.float64), ("sum",)),
    "sum_unknown_keyword": (lambda L: _x(L).sum(dims=0), ("sum", "dims")),
    "mean_keepdim_int": (lambda L: _x(L).mean(keepdim=1), ("mean", "keepdim")),
    "amax_keepdim_str": (lambda L: _x(L).amax(0, "no"), ("amax", "keepdim")),
    "unsqueeze_float": (lambda L: _x(L).unsqueeze(1.0), ("unsqueeze", "dim")),
    "unsqueeze_float_kw": (lambda L: _x(L).unsqueeze(dim=1.0), ("unsqueeze", "dim")),
    "unsqueeze_bool": (lambda L: _x(L).unsqueeze(True), ("unsqueeze", "dim")),
    "unsqueeze_missing": (lambda L: _x(L).unsqueeze(), ("unsqueeze", "dim")),
    "unsqueeze_unknown": (lambda L: _x(L).unsqueeze(0, foo=1), ("unsqueeze", "foo")),
    "unsqueeze_twice": (lambda L: _x(L).unsqueeze(0, dim=0), ("unsqueeze", "dim")),
    "unsqueeze_too_many": (lambda L: _x(L).unsqueeze(0, 1), ("unsqueeze",)),
    "transpose_missing": (lambda L: _x(L).transpose(0), ("transpose", "dim1")),
    "flatten_float": (lambda L: _x(L).flatten(start_dim=0.5), ("flatten", "start_dim")),
    "size_float": (lambda L: _x(L).size(dim=1.5), ("size", "dim")),
    "requires_grad__int": (lambda L: _x(L).requires_grad_(1), ("requires_grad_", "requires_grad")),
    "numpy_positional": (lambda L: _x(L).numpy(True), ("numpy",)),
    "lt_str": (lambda L: _x(L).lt(other="a"), ("lt",)),
    "reshape_missing": (lambda L: _x(L).reshape(), ("reshape", "shape")),
    "reshape_unknown": (lambda L: _x(L).reshape(2, 3, foo=1), ("reshape", "foo")),
    "permute_missing": (lambda L: _x(L).permute(), ("permute", "dims")),
    "split_dim_float": (lambda L: _x(L).split(1, dim=1.5), ("split", "dim")),
    "chunk_float": (lambda L: _x(L).chunk(2.0), ("chunk", "chunks")),
    "softmax_dim_float": (lambda L: _x(L).softmax(dim=0.5), ("softmax", "dim")),
    "clamp_str": (lambda L: _x(L).clamp(min="a"), ("clamp",)),
    "masked_fill_str": (lambda L: _x(L).masked_fill(L.tensor(MASK), value="a"), ("masked_fill",)),
    "matmul_number": (lambda L: _x(L).matmul(other=3), ("matmul",)),
    "take_list": (lambda L: _x(L).take([0, 1]), ("take",)),
    "var_unbiased_int": (lambda L: _x(L).var(0, 1), ("var", "unbiased")),
    "all_keepdim_str": (lambda L: _x(L).bool().all(0, keepdim="x"), ("all", "keepdim")),
    "fill__str": (lambda L: _x(L).fill_("a"), ("fill_",)),
    "to_copy_str": (lambda L: _x(L).to(L.float64, copy="yes"), ("to", "copy")),
    "where_missing_other": (lambda L: _x(L).where(L.tensor(MASK)), ("where", "other")),
    "add_alpha_str": (lambda L: _x(L).add(1, alpha="a"), ("add", "alpha")),
    "squeeze_float": (lambda L: _x(L).squeeze(dim=0.5), ("squeeze", "dim")),
}


@pytest.mark.parametrize("name", sorted(TYPE_ERRORS))
def test_bad_argument_raises_type_error(name):
    fn, words = TYPE_ERRORS[name]
    with pytest.raises(TypeError) as info:
        fn(fngrad)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@requires_torch
@pytest.mark.parametrize("name", sorted(TYPE_ERRORS))
def test_bad_argument_is_a_type_error_in_torch_too(name):
    import torch

    fn, _ = TYPE_ERRORS[name]
    with pytest.raises(TypeError):
        fn(torch)


def test_type_error_wording_is_pytorchs():
    x = fngrad.tensor(A)
    with pytest.raises(TypeError, match=r"^sum\(\): argument 'keepdim' must be bool, not str$"):
        x.sum(dim=0, keepdim="yes")
    with pytest.raises(TypeError, match=r"^unsqueeze\(\): argument 'dim' \(position 1\) must be int, not float$"):
        x.unsqueeze(1.0)
    with pytest.raises(TypeError, match=r'^unsqueeze\(\) missing 1 required positional arguments: "dim"$'):
        x.unsqueeze()
    with pytest.raises(TypeError, match=r"^unsqueeze\(\) got multiple values for argument 'dim'$"):
        x.unsqueeze(0, dim=0)
    with pytest.raises(TypeError, match=r"^unsqueeze\(\) got an unexpected keyword argument 'foo'$"):
        x.unsqueeze(foo=0)
    with pytest.raises(TypeError, match=r"^unsqueeze\(\) takes 1 positional argument but 2 were given$"):
        x.unsqueeze(0, 1)


def test_a_bad_argument_leaves_the_tensor_usable():
    x = fngrad.tensor(A, requires_grad=True)
    with pytest.raises(TypeError):
        x.sum(dim=0, keepdim="yes")
    x.sum(dim=0, keepdim=True).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones_like(A))


def test_module_functions_take_keywords():
    C = fngrad._C
    x = fngrad.tensor(A)
    _assert_same(C.cat(tensors=[x, x], dim=1), np.concatenate([A, A], axis=1))
    _assert_same(C.stack(tensors=[x, x], dim=0), np.stack([A, A]))
    _assert_same(C.where(condition=fngrad.tensor(MASK), input=x, other=0.0), np.where(MASK, A, np.float32(0)))
    _assert_same(C.leaky_relu(input=x, negative_slope=0.5), np.where(A > 0, A, 0.5 * A))
    with pytest.raises(TypeError, match="where"):
        C.where(fngrad.tensor(MASK), "a", 0.0)
