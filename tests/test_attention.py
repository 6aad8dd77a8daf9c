"""F.scaled_dot_product_attention against the formula written with NumPy and against PyTorch:
values and gradients of query, key and value, bool/float/causal masks, fully masked rows, scale and
grouped-query heads."""

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import requires_torch


def _softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _reference(q, k, v, allowed=None, bias=None, scale=None):
    s = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if bias is not None:
        s = s + bias
    if allowed is None:
        return _softmax(s) @ v
    with np.errstate(invalid="ignore"):  # a row with no allowed key is NaN here, zeros below
        w = _softmax(np.where(allowed, s, -np.inf))
    return np.nan_to_num(w * allowed) @ v


def _qkv(rng, shape_q=(2, 3, 4, 5), shape_kv=(2, 3, 6, 5)):
    return (rng.standard_normal(shape_q), rng.standard_normal(shape_kv), rng.standard_normal(shape_kv[:-1] + (7,)))


def _run(q, k, v, **kw):
    return F.scaled_dot_product_attention(*(fngrad.tensor(a) for a in (q, k, v)), **kw).numpy()


def test_values_against_numpy():
    rng = np.random.default_rng(0)
    q, k, v = _qkv(rng)
    np.testing.assert_allclose(_run(q, k, v), _reference(q, k, v), rtol=1e-12)
    np.testing.assert_allclose(_run(q, k, v, scale=0.3), _reference(q, k, v, scale=0.3), rtol=1e-12)
    causal = np.tril(np.ones((4, 6), bool))
    np.testing.assert_allclose(_run(q, k, v, is_causal=True), _reference(q, k, v, causal), rtol=1e-12)
    mask = rng.random((4, 6)) > 0.5
    mask[2] = False  # a query that may attend to nothing
    out = _run(q, k, v, attn_mask=fngrad.tensor(mask))
    np.testing.assert_allclose(out, _reference(q, k, v, mask), rtol=1e-12, atol=1e-15)
    assert (out[..., 2, :] == 0).all()
    bias = rng.standard_normal((4, 6))
    np.testing.assert_allclose(_run(q, k, v, attn_mask=fngrad.tensor(bias)), _reference(q, k, v, bias=bias),
                               rtol=1e-12)
    # -inf in a float mask forbids a key: the row of -inf is zeros (PyTorch's safe softmax), not NaN
    bias = np.where(mask, bias, -np.inf)
    out = _run(q, k, v, attn_mask=fngrad.tensor(bias))
    np.testing.assert_allclose(out, _reference(q, k, v, mask, np.where(mask, bias, 0.0)), rtol=1e-12, atol=1e-15)
    assert (out[..., 2, :] == 0).all()


def test_gradients_by_finite_differences_with_an_empty_row():
    rng = np.random.default_rng(1)
    q, k, v = (fngrad.tensor(a, requires_grad=True) for a in _qkv(rng, (1, 2, 3, 4), (1, 2, 5, 4)))
    mask = fngrad.tensor(np.array([[1, 0, 1, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool))
    fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # noqa: E731
    assert fngrad.autograd.gradcheck(fn, (q, k, v))
    fn(q, k, v).sum().backward()
    assert np.isfinite(q.grad.numpy()).all() and (q.grad.numpy()[:, :, 1] == 0).all()


def test_grouped_query_heads_and_errors():
    rng = np.random.default_rng(2)
    q, k, v = _qkv(rng, (1, 4, 3, 5), (1, 2, 6, 5))
    shared = lambda a: np.repeat(a, 2, axis=1)  # noqa: E731  (heads 0,1 read kv head 0; 2,3 read 1)
    np.testing.assert_allclose(_run(q, k, v, enable_gqa=True), _reference(q, shared(k), shared(v)), rtol=1e-12)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        _run(q, k, v, attn_mask=fngrad.ones(3, 6, dtype=fngrad.bool), is_causal=True)


@requires_torch
@pytest.mark.parametrize("case", ["plain", "causal", "bool_mask", "float_mask", "inf_mask", "scale", "gqa", "3d"])
def test_matches_torch(case):
    import torch

    rng = np.random.default_rng(3)
    q, k, v = _qkv(rng, (2, 4, 3, 5), (2, 2 if case == "gqa" else 4, 6, 5))
    if case == "3d":
        q, k, v = q[0], k[0], v[0]
    mask = rng.random((3, 6)) > 0.4
    mask[1] = False
    kw = {"causal": dict(is_causal=True), "scale": dict(scale=0.7), "gqa": dict(enable_gqa=True)}.get(case, {})
    grads = []
    for lib in (fngrad, torch):
        args = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
        extra = dict(kw)
        if case == "bool_mask":
            extra["attn_mask"] = lib.tensor(mask)
        if case == "float_mask":
            extra["attn_mask"] = lib.tensor(np.where(mask, 0.5, -2.0))
        if case == "inf_mask":  # row 1 all -inf
            extra["attn_mask"] = lib.tensor(np.where(mask, 0.5, -np.inf))
        out = lib.nn.functional.scaled_dot_product_attention(*args, **extra)
        (out * lib.tensor(np.arange(out.numel()).reshape(out.shape) % 3)).sum().backward()
        grads.append([out.detach().numpy()] + [a.grad.numpy() for a in args])
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
