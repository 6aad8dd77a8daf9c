"""NumPy's protocols on tensors (python/fngrad/_numpy_protocol.py, docs/numpy.md).

Mixed with NumPy arrays and scalars in any operator position, and passed to NumPy ufuncs and
functions that fngrad has as ops, tensors keep their graph: the gradients equal central
differences of the same expression in NumPy and the gradients of the expression written with
fngrad ops. Where fngrad has no op, behaviour is PyTorch's: its RuntimeError for a tensor that
requires grad, and for other tensors the kind of object PyTorch returns.
"""

import operator

import numpy as np
import pytest

import fngrad
from conftest import numeric_grad, requires_torch
from fngrad.autograd import gradcheck

# PyTorch's own __array_wrap__ warns under NumPy 2 (its signature lacks return_scalar); fngrad's does not.
_TORCH_WRAP_WARNING = pytest.mark.filterwarnings("ignore:__array_wrap__ must accept:DeprecationWarning")

REQUIRES_GRAD = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."

# ---- operators: every position, NumPy arrays and NumPy scalars ----

_OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]
_OTHERS = {
    "float32 array": np.array([2.0, 0.5, 1.5], np.float32),
    "float64 array": np.array([2.0, 0.5, 1.5]),
    "0-d float64 array": np.array(1.5),
    "0-d float32 array": np.array(1.5, np.float32),
    "np.float64": np.float64(1.5),
    "np.float32": np.float32(1.5),
    "np.int64": np.int64(2),
}


@pytest.mark.parametrize("other", list(_OTHERS), ids=list(_OTHERS))
@pytest.mark.parametrize("op", _OPERATORS, ids=lambda op: op.__name__)
@pytest.mark.parametrize("tensor_first", [True, False], ids=["tensor-op-numpy", "numpy-op-tensor"])
def test_operators_with_numpy_operands_keep_the_graph(op, other, tensor_first):
    o = _OTHERS[other]
    w0 = np.array([0.5, 1.0, 1.25])
    w = fngrad.tensor(w0, requires_grad=True)
    y = op(w * 2, o) if tensor_first else op(o, w * 2)
    assert isinstance(y, fngrad.Tensor) and y.grad_fn is not None
    y.sum().backward()

    def f(v):
        o64 = np.asarray(o, np.float64)
        return np.sum(op(v * 2, o64) if tensor_first else op(o64, v * 2))

    np.testing.assert_allclose(y.detach().numpy(), op(w0 * 2, o) if tensor_first else op(o, w0 * 2), rtol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), numeric_grad(f, w0), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_issue_expression_stays_a_tensor(dtype):
    # (w * 2 - np_target).mean() returned an ndarray, and .backward() failed far away.
    w = fngrad.ones(4, requires_grad=True)
    loss = (w * 2 - np.arange(4, dtype=dtype)).mean()
    assert isinstance(loss, fngrad.Tensor) and loss.grad_fn is not None
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), np.full(4, 0.5))


@pytest.mark.parametrize("op", [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne],
                         ids=lambda op: op.__name__)
def test_comparisons_with_arrays_give_bool_tensors(op):
    t = fngrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = np.array([2.0, 2.0, 2.0])
    for result, expected in ((op(t, a), op(np.array([1.0, 2.0, 3.0]), a)),
                             (op(a, t), op(a, np.array([1.0, 2.0, 3.0])))):
        assert isinstance(result, fngrad.Tensor) and result.dtype == fngrad.bool
        np.testing.assert_array_equal(result.numpy(), expected)


def test_matmul_with_arrays_on_either_side():
    a0 = np.arange(6.0).reshape(2, 3) / 4
    w = fngrad.tensor(np.ones((3, 2)) * 0.5, requires_grad=True)
    for y, f in ((a0 @ w, lambda v: np.sum(a0 @ v)), (w.T @ a0.T, lambda v: np.sum(v.T @ a0.T))):
        assert y.grad_fn is not None
        w.grad = None
        y.sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), numeric_grad(f, np.ones((3, 2)) * 0.5), rtol=1e-6)


def test_augmented_assignment_on_an_array_never_drops_the_graph():
    # nd += w would write w's values into nd without the graph: refused, with the ufunc named.
    w = fngrad.ones(2, requires_grad=True)
    nd = np.zeros(2)
    with pytest.raises(RuntimeError, match=r"\[numpy.add\] .*out=.*Can't call numpy\(\)"):
        nd += w
    nd += fngrad.ones(2)  # no grad: NumPy adds in place, as with PyTorch's tensors
    np.testing.assert_array_equal(nd, [1.0, 1.0])


@requires_torch
def test_result_dtypes_follow_pytorch_promotion():
    import torch

    for other in _OTHERS.values():
        for op in _OPERATORS:
            f = op(fngrad.ones(3), other)
            o = torch.from_numpy(other) if isinstance(other, np.ndarray) else other
            t = op(torch.ones(3), o)
            assert str(f.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (op, other)


# ---- ufuncs and functions mapped to fngrad ops ----

def _check_recorded(numpy_call, fngrad_call, inputs):
    """numpy_call on tensors records the graph: its values are NumPy's on the same values, its
    gradients equal those of fngrad_call and pass gradcheck (central differences)."""
    tensors = [fngrad.tensor(x, requires_grad=True) for x in inputs]
    y = numpy_call(*tensors)
    assert isinstance(y, fngrad.Tensor) and y.grad_fn is not None, type(y)
    np.testing.assert_allclose(y.detach().numpy(), numpy_call(*inputs), rtol=1e-12, atol=1e-12)
    g = fngrad.randn(*y.shape, dtype=fngrad.float64)
    got = fngrad.autograd.grad(y, tensors, g)
    expected = fngrad.autograd.grad(fngrad_call(*tensors), tensors, g)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)
    assert gradcheck(numpy_call, tensors)


_rng = np.random.default_rng(0)
_A = _rng.uniform(0.5, 1.5, (2, 3))
_B = _rng.uniform(0.5, 1.5, (2, 3))
_C3 = _rng.uniform(0.5, 1.5, (3, 2))
_ROW = _rng.uniform(-1.0, 1.0, 3)

_UNARY_UFUNCS = [np.exp, np.log, np.sin, np.cos, np.sqrt, np.tanh, np.abs, np.negative, np.expm1, np.log1p]
_BINARY_UFUNCS = [np.add, np.subtract, np.multiply, np.true_divide, np.power, np.maximum, np.minimum,
                  np.arctan2, np.hypot]


@pytest.mark.parametrize("ufunc", _UNARY_UFUNCS, ids=lambda u: u.__name__)
def test_unary_ufuncs_record_the_graph(ufunc):
    name = {"absolute": "abs", "negative": "neg"}.get(ufunc.__name__, ufunc.__name__)
    _check_recorded(ufunc, getattr(fngrad, name), [_A])


@pytest.mark.parametrize("ufunc", _BINARY_UFUNCS, ids=lambda u: u.__name__)
def test_binary_ufuncs_record_the_graph_with_arrays_on_either_side(ufunc):
    name = {"subtract": "sub", "multiply": "mul", "divide": "div", "power": "pow", "arctan2": "atan2"}.get(
        ufunc.__name__, ufunc.__name__)
    op = getattr(fngrad, name)
    _check_recorded(ufunc, op, [_A, _B])
    _check_recorded(lambda x: ufunc(x, _B), lambda x: op(x, fngrad.tensor(_B)), [_A])
    _check_recorded(lambda x: ufunc(_B, x), lambda x: op(fngrad.tensor(_B), x), [_A])


_FUNCTIONS = [
    ("np.sum", lambda x: np.sum(x), lambda x: x.sum()),
    ("np.sum axis keepdims", lambda x: np.sum(x, axis=1, keepdims=True), lambda x: x.sum(1, True)),
    ("np.sum axis tuple", lambda x: np.sum(x, axis=(0, 1)), lambda x: x.sum((0, 1))),
    ("np.mean", lambda x: np.mean(x, axis=0), lambda x: x.mean(0)),
    ("np.prod", lambda x: np.prod(x, axis=1), lambda x: x.prod(1)),
    ("np.max", lambda x: np.max(x, axis=1), lambda x: x.amax(1)),
    ("np.amin", lambda x: np.amin(x), lambda x: x.amin()),
    ("np.var", lambda x: np.var(x, axis=0), lambda x: x.var(0, correction=0)),
    ("np.std ddof", lambda x: np.std(x, ddof=1), lambda x: x.std(correction=1)),
    ("np.reshape", lambda x: np.reshape(x, (3, 2)), lambda x: x.reshape(3, 2)),
    ("np.ravel", lambda x: np.ravel(x), lambda x: x.reshape(-1)),
    ("np.transpose", lambda x: np.transpose(x), lambda x: x.t()),
    ("np.swapaxes", lambda x: np.swapaxes(x, 0, 1), lambda x: x.transpose(0, 1)),
    ("np.moveaxis", lambda x: np.moveaxis(x[None], 0, -1), lambda x: x.unsqueeze(0).permute(1, 2, 0)),
    ("np.expand_dims", lambda x: np.expand_dims(x, (0, 2)), lambda x: x.unsqueeze(0).unsqueeze(2)),
    ("np.squeeze", lambda x: np.squeeze(x[:1]), lambda x: x[:1].squeeze(0)),
    ("np.broadcast_to", lambda x: np.broadcast_to(x, (4, 2, 3)), lambda x: x.expand(4, 2, 3)),
    ("np.concatenate with array", lambda x: np.concatenate([x, _B], axis=1),
     lambda x: fngrad.cat([x, fngrad.tensor(_B)], 1)),
    ("np.concatenate axis=None", lambda x: np.concatenate([x, x], axis=None),
     lambda x: fngrad.cat([x.reshape(-1), x.reshape(-1)])),
    ("np.stack", lambda x: np.stack([_B, x], axis=1), lambda x: fngrad.stack([fngrad.tensor(_B), x], 1)),
    ("np.where", lambda x: np.where(_B > 1.0, x, 0.0),
     lambda x: fngrad.where(fngrad.tensor(_B > 1.0), x, 0.0)),
    ("np.clip", lambda x: np.clip(x, 0.7, 1.2), lambda x: x.clamp(0.7, 1.2)),
    ("np.clip array bound", lambda x: np.clip(x, _B, None), lambda x: x.clamp(fngrad.tensor(_B), None)),
    ("np.dot", lambda x: np.dot(x, _C3), lambda x: x @ fngrad.tensor(_C3)),
    ("np.matmul", lambda x: np.matmul(_C3, x), lambda x: fngrad.tensor(_C3) @ x),
    ("np.outer", lambda x: np.outer(x, _ROW), lambda x: fngrad.outer(x.reshape(-1), fngrad.tensor(_ROW))),
    ("np.add.reduce", lambda x: np.add.reduce(x), lambda x: x.sum(0)),
    ("np.maximum.reduce axis", lambda x: np.maximum.reduce(x, axis=1), lambda x: x.amax(1)),
    ("np.multiply.outer", lambda x: np.multiply.outer(x, _ROW),
     lambda x: x.unsqueeze(-1) * fngrad.tensor(_ROW)),
]


@pytest.mark.parametrize("numpy_call, fngrad_call", [f[1:] for f in _FUNCTIONS], ids=[f[0] for f in _FUNCTIONS])
def test_numpy_functions_record_the_graph(numpy_call, fngrad_call):
    _check_recorded(numpy_call, fngrad_call, [_A])


# Calls mapped to ops that op families are adding: recorded when fngrad has the op (its name
# here), PyTorch's unmapped behaviour until then.
_LATER = [
    ("np.floor", "floor", lambda x: np.floor(x * 3)),
    ("np.rint", "round", lambda x: np.rint(x * 3)),
    ("np.remainder", "remainder", lambda x: np.remainder(x * 3, 0.7)),
    ("np.floor_divide", "floor_divide", lambda x: x * np.floor_divide(x * 3, 0.7)),
    ("np.round", "round", lambda x: np.round(x, 1)),
    ("np.sort", "sort", lambda x: np.sort(x, axis=1)),
    ("np.sort axis=None", "sort", lambda x: np.sort(x, axis=None)),
    ("np.cumsum", "cumsum", lambda x: np.cumsum(x, axis=1)),
    ("np.cumprod axis=None", "cumprod", lambda x: np.cumprod(x)),
    ("np.add.accumulate", "cumsum", lambda x: np.add.accumulate(x)),
    ("np.flip", "flip", lambda x: np.flip(x, axis=1)),
    ("np.einsum", "einsum", lambda x: np.einsum("ij,kj->ik", x, _B)),
    ("np.tril", "tril", lambda x: np.tril(x @ x.T)),
    ("np.linalg.inv", "linalg.inv", lambda x: np.linalg.inv(x @ x.T + np.eye(2))),
    ("np.linalg.det", "linalg.det", lambda x: np.linalg.det(x @ x.T)),
    ("np.linalg.norm", "linalg.norm", lambda x: np.linalg.norm(x, axis=1)),
]


def _fngrad_has(name):
    obj = fngrad
    for part in name.split("."):
        obj = getattr(obj, part, None)
    return obj is not None


@pytest.mark.parametrize("name, call", [r[1:] for r in _LATER], ids=[r[0] for r in _LATER])
def test_calls_mapped_to_ops_being_added(name, call):
    if _fngrad_has(name):
        x = fngrad.tensor(_A, requires_grad=True)
        y = call(x)
        assert isinstance(y, fngrad.Tensor) and y.grad_fn is not None
        np.testing.assert_allclose(y.detach().numpy(), call(_A), rtol=1e-10)
        assert gradcheck(call, [x])
    else:
        # Until then, as on PyTorch's tensors: NumPy's implementation raises PyTorch's error (or,
        # for np.flip, the negative-step ValueError of indexing) and never returns a detached array.
        with pytest.raises((RuntimeError, ValueError)) as info:
            call(fngrad.tensor(_A, requires_grad=True))
        assert info.type is ValueError or REQUIRES_GRAD in str(info.value)
        if info.type is RuntimeError:
            np.testing.assert_allclose(np.asarray(call(fngrad.tensor(_A))), call(_A), rtol=1e-12)


def test_an_op_installed_later_is_picked_up_by_name(monkeypatch):
    # A NumPy name fngrad lacks is unmapped; once an op family installs it, NumPy calls record it.
    w = fngrad.tensor([0.5, 1.0, 2.0], dtype=fngrad.float64, requires_grad=True)
    monkeypatch.delattr(fngrad, "cbrt", raising=False)
    monkeypatch.delattr(fngrad, "cumsum", raising=False)
    monkeypatch.delattr(fngrad.Tensor, "cbrt", raising=False)
    monkeypatch.delattr(fngrad.Tensor, "cumsum", raising=False)  # np.cumsum calls the method when there is one
    with pytest.raises(RuntimeError, match=r"^Can't call numpy\(\)"):
        np.cbrt(w)
    with pytest.raises(RuntimeError, match=r"^Can't call numpy\(\)"):
        np.cumsum(w)
    monkeypatch.setattr(fngrad, "cbrt", lambda x: x.sign() * x.abs().pow(1 / 3), raising=False)
    monkeypatch.setattr(fngrad, "cumsum", lambda x, dim: fngrad.tensor(np.tril(np.ones((3, 3)))) @ x,
                        raising=False)
    for y, f in ((np.cbrt(w), lambda v: np.sum(np.cbrt(v))), (np.cumsum(w), lambda v: np.sum(np.cumsum(v)))):
        assert y.grad_fn is not None
        w.grad = None
        y.sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), numeric_grad(f, [0.5, 1.0, 2.0]), rtol=1e-5)


# ---- unmapped: PyTorch's behaviour ----

# NumPy calls fngrad has no op for (nor will by name: NumPy's and PyTorch's meanings differ).
_UNMAPPED = [
    ("np.cbrt", lambda np_, x: np_.cbrt(x)),
    ("np.spacing", lambda np_, x: np_.spacing(x)),
    ("np.median", lambda np_, x: np_.median(x)),
    ("np.percentile", lambda np_, x: np_.percentile(x, 30)),
    ("np.unique", lambda np_, x: np_.unique(x)),
    ("np.asarray", lambda np_, x: np_.asarray(x)),
    ("np.isclose", lambda np_, x: np_.isclose(x, 1.0)),
    ("np.allclose", lambda np_, x: np_.allclose(x, 1.0)),
    ("np.exp out=ndarray", lambda np_, x: np_.exp(x, out=np_.empty(x.shape, np_.float32))),
    ("np.add.at into an array", lambda np_, x: np_.add.at(np_.zeros(3), [0], x[:1])),
    ("np.ptp", lambda np_, x: np_.ptp(x)),
]


@pytest.mark.parametrize("call", [u[1] for u in _UNMAPPED], ids=[u[0] for u in _UNMAPPED])
def test_unmapped_calls_on_a_tensor_that_requires_grad_raise_pytorchs_error(call):
    with pytest.raises(RuntimeError) as info:
        call(np, fngrad.tensor([1.0, 2.0, 3.0], requires_grad=True))
    assert REQUIRES_GRAD in str(info.value)


def _kind(obj):
    if isinstance(obj, np.ndarray):
        return "ndarray"
    if isinstance(obj, np.generic):
        return "numpy scalar"
    if type(obj).__name__ == "Tensor":
        return "Tensor"
    return type(obj).__name__


@requires_torch
@_TORCH_WRAP_WARNING
@pytest.mark.parametrize("call", [u[1] for u in _UNMAPPED], ids=[u[0] for u in _UNMAPPED])
def test_unmapped_calls_match_pytorch(call):
    import torch

    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        call(np, torch.tensor([1.0, 2.0, 3.0], requires_grad=True))
    theirs = _outcome(lambda: call(np, torch.tensor([1.0, 2.0, 3.0])))
    ours = _outcome(lambda: call(np, fngrad.tensor([1.0, 2.0, 3.0])))
    assert ours[0] == theirs[0]
    if theirs[1] is not None:
        np.testing.assert_allclose(np.asarray(ours[1], np.float64), np.asarray(theirs[1], np.float64))


def _outcome(call):
    """(kind of result, result), or (exception type name, None)."""
    try:
        result = call()
    except Exception as e:  # noqa: BLE001 - the exception's type is what is compared
        return type(e).__name__, None
    return _kind(result), result


@requires_torch
@_TORCH_WRAP_WARNING
@pytest.mark.parametrize("call", [
    lambda np_, T: np_.exp(T.ones(2)),
    lambda np_, T: np_.add(T.ones(2), 1),
    lambda np_, T: np_.maximum(T.ones(2, 2), 0.5),
    lambda np_, T: np_.add.reduce(T.ones(3)),
    lambda np_, T: np_.transpose(T.ones(2, 3)),
    lambda np_, T: np_.reshape(T.ones(2, 3), (3, 2)),
    lambda np_, T: np_.clip(T.ones(2), 0, 0.5),
    lambda np_, T: np_.argmax(T.ones(3)),
    lambda np_, T: np_.matmul(T.ones(3), T.ones(3)),
    lambda np_, T: np_.shape(T.ones(2, 3)),
])
def test_calls_without_grad_return_what_pytorch_returns(call):
    # The calls from the issue, and those where PyTorch's result is a tensor: fngrad's is too.
    import torch

    theirs, ours = call(np, torch), call(np, fngrad)
    assert _kind(ours) == _kind(theirs)
    np.testing.assert_allclose(np.asarray(ours, np.float64), np.asarray(theirs, np.float64))


def test_mapped_calls_return_tensors_also_where_pytorch_returns_arrays():
    # Beyond PyTorch (which gives ndarrays here): one kind of result, with or without grad.
    for call in (lambda x: np.concatenate([x, x]), lambda x: np.stack([x, x]), lambda x: np.where(x > 0, x, 0)):
        for requires_grad in (False, True):
            assert isinstance(call(fngrad.ones(2, requires_grad=requires_grad)), fngrad.Tensor)


def test_np_shape_and_ndim_read_no_data():
    w = fngrad.ones(2, 3, requires_grad=True)
    assert np.shape(w) == (2, 3) and np.ndim(w) == 2


# ---- ufunc keywords and methods ----

def test_ufunc_keywords_on_a_tensor_that_requires_grad_name_the_ufunc():
    w = fngrad.ones(3, requires_grad=True)
    cases = [
        (lambda: np.exp(w, out=np.empty(3, np.float32)), r"\[numpy.exp\] .*with out="),
        (lambda: np.add(w, 1, where=np.array([True, False, True])), r"\[numpy.add\] .*with where="),
        (lambda: np.multiply(w, 2, dtype=np.float64), r"\[numpy.multiply\] .*with dtype="),
        (lambda: np.add.reduce(w, dtype=np.float64), r"\[numpy.add.reduce\]"),
        (lambda: np.add.reduceat(w, [0, 2]), r"\[numpy.add.reduceat\]"),
        (lambda: np.add.at(np.zeros(3), [0], w[:1]), r"\[numpy.add.at\]"),
    ]
    for call, message in cases:
        with pytest.raises(RuntimeError, match=message) as info:
            call()
        assert REQUIRES_GRAD in str(info.value)
    # Nothing was recorded or changed: w still works.
    (w * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])


@requires_torch
def test_ufunc_at_on_a_tensor_is_numpys_type_error_as_for_pytorch():
    import torch

    for T in (torch, fngrad):
        for requires_grad in (False, True):
            with pytest.raises(TypeError, match="first operand must be array"):
                np.add.at(T.ones(3, requires_grad=requires_grad), [0], 1.0)


def test_ufunc_keywords_without_grad_compute_in_numpy():
    t = fngrad.tensor([1.0, 2.0, 3.0])
    out = np.empty(3, np.float32)
    assert np.exp(t, out=out) is out
    np.testing.assert_allclose(out, np.exp([1.0, 2.0, 3.0]), rtol=1e-6)
    y = np.add(t, 1, where=np.array([True, False, True]), out=np.zeros(3, np.float32))
    np.testing.assert_array_equal(y, [2.0, 0.0, 4.0])
    r = np.add.reduce(t, dtype=np.float64)
    assert isinstance(r, fngrad.Tensor) and r.dtype == fngrad.float64 and r.item() == 6.0
    np.testing.assert_array_equal(np.add.accumulate(t, dtype=np.float64).numpy(), [1.0, 3.0, 6.0])


def test_out_tensor_is_written_through_its_version_counter():
    # A write into a tensor that a graph saved is seen at backward, as for an in-place op.
    x = fngrad.tensor([1.0, 2.0])
    w = fngrad.ones(2, requires_grad=True)
    y = w * x
    version = x._version
    assert np.exp(fngrad.zeros(2), out=x) is x
    np.testing.assert_array_equal(x.numpy(), [1.0, 1.0])
    assert x._version > version
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_another_librarys_override_is_asked_first():
    class Other:
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return "other"

    t = fngrad.ones(2)
    assert np.add(t, Other()) == "other"
    assert np.add(Other(), t) == "other"
    assert np.multiply.outer(t, Other()) == "other"


# ---- memory sharing ----

def test_from_numpy_and_numpy_share_memory():
    a = np.zeros(3)
    t = fngrad.from_numpy(a)
    a[0] = 5.0
    assert t[0].item() == 5.0
    t.numpy()[1] = 7.0
    assert a[1] == 7.0
    assert np.shares_memory(np.asarray(t), a)
    with pytest.raises(RuntimeError, match=r"^Can't call numpy\(\) on Tensor that requires grad"):
        np.asarray(fngrad.ones(2, requires_grad=True))


@pytest.mark.parametrize("array", [
    np.arange(6.0)[::2], np.arange(3.0)[::-1], np.arange(3.0).astype(">f8"), np.broadcast_to(np.float64(2.0), (3,)),
    np.arange(3, dtype=np.int32), np.arange(3, dtype=np.float16), np.array([True, False, True]),
], ids=["strided", "negative stride", "big-endian", "broadcast", "int32", "float16", "bool"])
def test_array_operands_of_any_layout_and_numeric_dtype(array):
    w = fngrad.tensor([0.5, 1.0, 2.0], dtype=fngrad.float64, requires_grad=True)
    y = array * w
    np.testing.assert_array_equal(y.detach().numpy(), array.astype(np.float64) * [0.5, 1.0, 2.0])
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), array.astype(np.float64))


def test_np_array_copies_and_np_asarray_shares():
    t = fngrad.zeros(2)
    copied, shared = np.array(t), np.asarray(t)
    copied[0], shared[1] = 5.0, 7.0
    np.testing.assert_array_equal(t.numpy(), [0.0, 7.0])
    assert np.array(t, dtype=np.float64, copy=True).dtype == np.float64


def test_implicit_conversion_of_an_array_operand_copies_it():
    # The array a graph saved cannot be changed behind its back by a later NumPy write.
    a = np.array([1.0, 2.0])
    w = fngrad.ones(2, dtype=fngrad.float64, requires_grad=True)
    y = (w * a).sum()
    a[:] = 100.0
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])
