"""Property tests (hypothesis): broadcasting binary ops, reductions over random dims, reshapes and
indexing agree with NumPy and with finite differences for random shapes and dtypes."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fngrad
from conftest import requires_torch

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FLOATS = st.sampled_from([np.float32, np.float64])


@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
    dtype = draw(FLOATS)
    elements = st.floats(-3, 3, width=32)
    a = draw(hnp.arrays(dtype, shapes.input_shapes[0], elements=elements))
    b = draw(hnp.arrays(dtype, shapes.input_shapes[1], elements=elements))
    return a, b


def sum_to(g, shape):
    """g, of the broadcast shape, summed over the dims that broadcasting added or stretched."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True).reshape(shape)


# d op / d a and d op / d b, elementwise on the broadcast operands. At a tie, PyTorch's maximum and
# minimum give each operand half of the gradient (torch.maximum(x, x).backward() -> 0.5, 0.5).
LOCAL_DERIVATIVES = {
    "add": lambda a, b: (np.ones_like(a), np.ones_like(b)),
    "sub": lambda a, b: (np.ones_like(a), -np.ones_like(b)),
    "mul": lambda a, b: (b, a),
    "maximum": lambda a, b: ((a > b) + 0.5 * (a == b), (b > a) + 0.5 * (a == b)),
    "minimum": lambda a, b: ((a < b) + 0.5 * (a == b), (b < a) + 0.5 * (a == b)),
}


@SETTINGS
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "maximum", "minimum"]))
def test_binary_broadcasting_matches_numpy_and_sums_gradients(pair, op):
    a, b = pair
    np_op = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum, "minimum": np.minimum}[op]
    fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
          "maximum": fngrad.maximum, "minimum": fngrad.minimum}[op]
    x = fngrad.from_numpy(a.copy()).requires_grad_()
    y = fngrad.from_numpy(b.copy()).requires_grad_()
    out = fn(x, y)
    np.testing.assert_allclose(out.detach().numpy(), np_op(a, b), rtol=1e-6)
    full = np.broadcast_shapes(a.shape, b.shape)
    w = np.random.default_rng(a.size + 7 * b.size).standard_normal(full).astype(a.dtype)
    out.backward(fngrad.from_numpy(w))
    # The gradient w.r.t. a broadcast operand: the upstream gradient times the local derivative,
    # summed over the broadcast dims; element by element, in float64.
    a64, b64 = np.broadcast_arrays(a.astype(np.float64), b.astype(np.float64))
    da, db = LOCAL_DERIVATIVES[op](a64, b64)
    tol = 1e-12 if a.dtype == np.float64 else 1e-5
    assert x.grad.shape == a.shape and y.grad.shape == b.shape
    np.testing.assert_allclose(x.grad.numpy(), sum_to(w * da, a.shape), rtol=tol, atol=tol)
    np.testing.assert_allclose(y.grad.numpy(), sum_to(w * db, b.shape), rtol=tol, atol=tol)


@requires_torch
@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_split_the_gradient_at_ties_like_pytorch(op):
    import torch

    a = np.array([[1.0, 2.0, -3.0], [0.0, 5.0, 5.0]])
    b = np.array([1.0, 0.5, 5.0])
    w = np.array([[2.0, 3.0, 4.0], [5.0, 6.0, 7.0]])
    grads = []
    for lib in (fngrad, torch):
        x = lib.tensor(a, requires_grad=True)
        y = lib.tensor(b, requires_grad=True)
        getattr(lib, op)(x, y).backward(lib.tensor(w))
        grads.append((x.grad.numpy(), y.grad.numpy()))
    da, db = LOCAL_DERIVATIVES[op](*np.broadcast_arrays(a, b))
    for got in grads:  # fngrad's and PyTorch's gradients are both the tie rule's
        np.testing.assert_array_equal(got[0], sum_to(w * da, a.shape))
        np.testing.assert_array_equal(got[1], sum_to(w * db, b.shape))


@st.composite
def array_and_dims(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=5))
    dtype = draw(FLOATS)
    a = draw(hnp.arrays(dtype, shape, elements=st.floats(-3, 3, width=32)))
    dims = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, min_size=1, max_size=len(shape)))
    keepdim = draw(st.booleans())
    return a, tuple(dims), keepdim


@SETTINGS
@given(array_and_dims(), st.sampled_from(["sum", "mean", "amax", "amin", "prod", "logsumexp"]))
def test_reductions_match_numpy(case, op):
    a, dims, keepdim = case
    t = fngrad.from_numpy(a.copy())
    got = getattr(t, op)(dims, keepdim=keepdim).numpy()
    a64 = a.astype(np.float64)
    ref = {
        "sum": lambda: a64.sum(dims, keepdims=keepdim),
        "mean": lambda: a64.mean(dims, keepdims=keepdim),
        "amax": lambda: a64.max(dims, keepdims=keepdim),
        "amin": lambda: a64.min(dims, keepdims=keepdim),
        "prod": lambda: a64.prod(dims, keepdims=keepdim),
        "logsumexp": lambda: np.log(np.exp(a64).sum(dims, keepdims=keepdim)),
    }[op]()
    np.testing.assert_allclose(got, ref, rtol=2e-5, atol=1e-5)


@SETTINGS
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), elements=st.floats(-2, 2)),
       st.data())
def test_permute_reshape_and_slicing_round_trip_gradients(a, data):
    perm = data.draw(st.permutations(range(a.ndim)))
    x = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    y = x.permute(*perm).reshape(-1)
    np.testing.assert_array_equal(y.detach().numpy(), a.transpose(perm).reshape(-1))
    w = np.random.default_rng(0).standard_normal(y.shape[0])
    (y * fngrad.tensor(w, dtype=fngrad.float64)).sum().backward()
    expected = w.reshape(a.transpose(perm).shape).transpose(np.argsort(perm))
    np.testing.assert_allclose(x.grad.numpy(), expected)
    # A random basic slice of dim 0.
    start = data.draw(st.integers(0, a.shape[0]))
    step = data.draw(st.integers(1, 3))
    x.grad = None
    x[start::step].sum().backward()
    expected = np.zeros_like(a)
    expected[start::step] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@SETTINGS
@given(hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-2, 2)),
       st.lists(st.integers(-8, 7), min_size=1, max_size=10))
def test_integer_indexing_scatter_adds(a, idx):
    n = a.shape[0]
    idx = [i % n for i in idx]
    x = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    y = x[fngrad.tensor(idx)]
    np.testing.assert_array_equal(y.detach().numpy(), a[idx])
    y.sum().backward()
    expected = np.zeros(n)
    np.add.at(expected, idx, 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
