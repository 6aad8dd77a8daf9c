"""nn.functional.layer_norm's native kernel and its NativeLayerNormBackward0 node (csrc/ops/layer_norm.cpp):
values and the three gradients against NumPy's formulas and PyTorch, gradcheck and gradgradcheck, forward AD,
the node, absent weight/bias, several normalised dims, non-contiguous, one-row and empty inputs."""

from __future__ import annotations

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import requires_torch
from fngrad.autograd import gradcheck, gradgradcheck

EPS = 1e-5


def np_layer_norm(x, k, w, b, eps=EPS):
    """The forward and (grad_input, grad_weight, grad_bias) for incoming gradient g, in float64."""
    dims = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(dims, keepdims=True)
    rstd = 1 / np.sqrt(((x - mean) ** 2).mean(dims, keepdims=True) + eps)
    xhat = (x - mean) * rstd
    out = xhat * (1 if w is None else w) + (0 if b is None else b)
    return out, xhat, rstd, dims


def np_layer_norm_grads(x, k, w, g):
    _, xhat, rstd, dims = np_layer_norm(x, k, None, None)
    gw = g * (1 if w is None else w)
    gi = rstd * (gw - gw.mean(dims, keepdims=True) - xhat * (gw * xhat).mean(dims, keepdims=True))
    lead = tuple(range(x.ndim - k))
    return gi, (g * xhat).sum(lead), g.sum(lead)


CASES = [  # (input shape, normalized_shape, weight, bias)
    ((6, 7), (7,), True, True),
    ((2, 3, 4), (3, 4), True, True),
    ((5, 8), (8,), False, False),
    ((5, 8), (8,), True, False),
    ((5, 8), (8,), False, True),
    ((1, 9), (9,), True, True),
    ((9,), (9,), True, True),
    ((300, 600), (600,), True, True),  # large enough for the thread pool and the GIL release
]


def _make(shape, ns, has_w, has_b, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3 + 1
    w = rng.standard_normal(ns) if has_w else None
    b = rng.standard_normal(ns) if has_b else None
    g = rng.standard_normal(shape)
    cast = (lambda a: None if a is None else a.astype(dtype))  # noqa: E731
    return cast(x), cast(w), cast(b), cast(g)


def _run(lib, x, ns, w, b, g):
    t = lambda a: None if a is None else lib.tensor(a, requires_grad=True)  # noqa: E731
    xt, wt, bt = t(x), t(w), t(b)
    y = lib.nn.functional.layer_norm(xt, ns, wt, bt, EPS)
    y.backward(lib.tensor(g))
    grad = lambda p: None if p is None else p.grad.numpy()  # noqa: E731
    return y, y.detach().numpy(), grad(xt), grad(wt), grad(bt)


@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("shape,ns,has_w,has_b", CASES)
def test_values_and_gradients_against_numpy(shape, ns, has_w, has_b, dtype, tol):
    x, w, b, g = _make(shape, ns, has_w, has_b, dtype)
    y, out, gi, gw, gb = _run(fngrad, x, ns, w, b, g)
    assert type(y.grad_fn).__name__ == "NativeLayerNormBackward0"
    assert out.dtype == dtype and gi.dtype == dtype
    x64, w64, g64 = x.astype(np.float64), None if w is None else w.astype(np.float64), g.astype(np.float64)
    ref, *_ = np_layer_norm(x64, len(ns), w64, None if b is None else b.astype(np.float64))
    rgi, rgw, rgb = np_layer_norm_grads(x64, len(ns), w64, g64)
    scale = 10 * tol
    np.testing.assert_allclose(out, ref, rtol=scale, atol=scale)
    np.testing.assert_allclose(gi, rgi, rtol=scale, atol=scale)
    assert (gw is None) == (not has_w) and (gb is None) == (not has_b)
    if has_w:
        np.testing.assert_allclose(gw, rgw, rtol=scale, atol=scale * np.sqrt(x.size))
    if has_b:
        np.testing.assert_allclose(gb, rgb, rtol=scale, atol=scale * np.sqrt(x.size))


@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,ns,has_w,has_b", CASES)
def test_against_torch(shape, ns, has_w, has_b, dtype):
    import torch

    x, w, b, g = _make(shape, ns, has_w, has_b, dtype, seed=1)
    ours = _run(fngrad, x, ns, w, b, g)
    theirs = _run(torch, x, ns, w, b, g)
    assert type(ours[0].grad_fn).__name__ == type(theirs[0].grad_fn).__name__
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for a, e in zip(ours[1:], theirs[1:]):
        assert (a is None) == (e is None)
        if a is not None:
            np.testing.assert_allclose(a, e, rtol=tol, atol=tol * np.sqrt(x.size))


@pytest.mark.parametrize("shape,ns,has_w,has_b", CASES[:7])
def test_gradcheck_gradgradcheck_and_forward_ad(shape, ns, has_w, has_b):
    x, w, b, _ = _make(shape, ns, has_w, has_b, np.float64)
    args = tuple(fngrad.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None)

    def f(*ts):
        it = iter(ts[1:])
        return F.layer_norm(ts[0], ns, next(it) if has_w else None, next(it) if has_b else None)

    assert gradcheck(f, args, check_forward_ad=True)
    assert gradgradcheck(f, args)


def test_non_contiguous_input_and_parameters():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 6))
    w, b = rng.standard_normal((2, 6)), rng.standard_normal(6)
    xt = fngrad.tensor(x, requires_grad=True)
    wt = fngrad.tensor(w, requires_grad=True)
    y = F.layer_norm(xt.t(), (8,))  # a transposed input
    ref, *_ = np_layer_norm(x.T, 1, None, None)
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-12, atol=1e-12)
    g = rng.standard_normal((6, 8))
    y.backward(fngrad.tensor(g))
    rgi, _, _ = np_layer_norm_grads(x.T, 1, None, g)
    np.testing.assert_allclose(xt.grad.numpy(), rgi.T, rtol=1e-12, atol=1e-12)
    # a weight taken every other element (a strided view)
    ws = wt[0, ::2]
    y = F.layer_norm(xt[:, ::2], (3,), ws, fngrad.tensor(b[:3]))
    ref, *_ = np_layer_norm(x[:, ::2], 1, w[0, ::2], b[:3])
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-12, atol=1e-12)
    y.sum().backward()
    _, rgw, _ = np_layer_norm_grads(x[:, ::2], 1, w[0, ::2], np.ones((8, 3)))
    np.testing.assert_allclose(wt.grad.numpy()[0, ::2], rgw, rtol=1e-12, atol=1e-12)


def test_empty_inputs():
    x = fngrad.zeros(0, 4, requires_grad=True)
    w = fngrad.ones(4, requires_grad=True)
    y = F.layer_norm(x, (4,), w, fngrad.zeros(4))
    assert tuple(y.shape) == (0, 4)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 4)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros(4))


def test_saved_values_and_edges():
    x = fngrad.randn(3, 4, requires_grad=True)
    w = fngrad.randn(4, requires_grad=True)
    y = F.layer_norm(x, (4,), w, None)
    fn = y.grad_fn
    assert fn._saved_normalized_shape == (4,)
    assert fn._saved_input is x and fn._saved_weight is w and fn._saved_bias is None
    a = x.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(fn._saved_result1.numpy(), a.mean(1), rtol=1e-6)
    np.testing.assert_allclose(fn._saved_result2.numpy(), 1 / np.sqrt(a.var(1) + EPS), rtol=1e-5)
    # only the gradients asked for are computed
    (gw,) = fngrad.autograd.grad(y.sum() + (y * y).sum(), (w,))
    assert x.grad is None and tuple(gw.shape) == (4,)


@pytest.mark.parametrize("has_w,has_b", [(False, False), (True, False), (False, True), (True, True)])
def test_three_next_functions_with_none_for_absent_parameters(has_w, has_b):
    # PyTorch's NativeLayerNormBackward0 always has (input, weight, bias) edges, (None, 0) where a
    # parameter is absent or needs no gradient; the gradients still reach the ones that are there.
    x = fngrad.randn(3, 4, requires_grad=True)
    w = fngrad.randn(4, requires_grad=True) if has_w else None
    b = fngrad.randn(4, requires_grad=True) if has_b else None
    y = F.layer_norm(x, (4,), w, b)
    nf = y.grad_fn.next_functions
    assert len(nf) == 3
    assert [fn is None for fn, _ in nf] == [False, not has_w, not has_b]
    y.sum().backward()
    assert x.grad is not None
    if has_w:
        np.testing.assert_allclose(w.grad.numpy(), F.layer_norm(x.detach(), (4,)).sum(0).numpy(), rtol=1e-5)
    if has_b:
        np.testing.assert_array_equal(b.grad.numpy(), np.full(4, 3.0, np.float32))
    if has_w or has_b:  # an input that needs no gradient: (None, 0) in its place
        assert F.layer_norm(x.detach(), (4,), w, b).grad_fn.next_functions[0] == (None, 0)


def test_no_grad_records_nothing():
    x = fngrad.randn(2, 5, requires_grad=True)
    with fngrad.no_grad():
        y = F.layer_norm(x, (5,))
    assert y.grad_fn is None and not y.requires_grad


def test_other_dtypes_and_mismatched_parameters_take_the_composite():
    x = fngrad.randn(3, 4)
    # a weight that broadcasts rather than matching normalized_shape keeps the composite's broadcasting
    w = fngrad.ones(1)
    np.testing.assert_allclose(F.layer_norm(x, (4,), w).numpy(), F.layer_norm(x, (4,)).numpy(), rtol=1e-6)
    h = F.layer_norm(x.to(fngrad.float16), (4,))
    assert h.dtype == fngrad.float16
    np.testing.assert_allclose(h.float().numpy(), F.layer_norm(x, (4,)).numpy(), atol=5e-3)


@pytest.mark.parametrize("ns", [(3,), (4, 2), ()])
def test_bad_normalized_shape(ns):
    x = fngrad.randn(2, 4)
    with pytest.raises(RuntimeError, match=r"\[layer_norm\] Given normalized_shape="):
        F.layer_norm(x, ns)


def test_module_uses_native_node():
    m = fngrad.nn.LayerNorm((3, 4))
    y = m(fngrad.randn(2, 3, 4))
    assert type(y.grad_fn).__name__ == "NativeLayerNormBackward0"
    y.sum().backward()
    assert tuple(m.weight.grad.shape) == (3, 4) and tuple(m.bias.grad.shape) == (3, 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_spread_beside_a_large_mean(dtype):
    # One-element rows (rstd = 1/sqrt(eps)) and rows of nearly equal values far from 0: (x - mean) must be
    # formed before scaling, or the result cancels to noise (OpInfo's (1,) sample caught it).
    x = np.array([[4.3228], [-2.5]], dtype)
    out = F.layer_norm(fngrad.tensor(x), (1,), fngrad.tensor(np.array([1.5], dtype)),
                       fngrad.tensor(np.array([0.25], dtype))).numpy()
    np.testing.assert_array_equal(out, np.full((2, 1), 0.25, dtype))
    x = (1000 + np.linspace(-1e-3, 1e-3, 8)).astype(dtype)[None]
    ref, *_ = np_layer_norm(x.astype(np.float64), 1, None, None)
    got = F.layer_norm(fngrad.tensor(x), (8,)).numpy()
    # float32's own rounding of x (ulp 6e-5 at 1000, spread 2e-3) bounds the agreement
    np.testing.assert_allclose(got, ref, atol=1e-9 if dtype == np.float64 else 0.1)
