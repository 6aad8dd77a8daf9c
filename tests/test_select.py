"""topk, kthvalue, median and nanmedian (the native selection, csrc/ops/select.cpp) against a NumPy
formula for every dtype (a stable lexsort: NaN largest, equal values in index order) and against
PyTorch's values (and its indices where there are no ties, which PyTorch orders as it likes)."""

from __future__ import annotations

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def _data(dtype, shape, rng, ties=True, nan=True):
    """float64 values exact in ``dtype``: small integers (many ties) or distinct halves, with some NaN, inf
    and -0.0 in the float dtypes; and the fngrad tensor holding them."""
    size = int(np.prod(shape))
    if dtype == "bool":
        a = rng.integers(0, 2, size).astype(np.float64)
    elif ties:
        a = rng.integers(-5 if dtype != "uint8" else 0, 6, size).astype(np.float64)
    else:  # 2-d, distinct along both dims: (i + 7 j) mod 101 differs for lines up to 101 long
        i, j = np.indices(shape)
        a = (rng.permutation(101)[(i + 7 * j) % 101] - (0 if dtype == "uint8" else 50)).astype(np.float64).ravel()
    if dtype.startswith(("float", "bfloat")) and size:
        if ties:
            a[rng.random(size) < 0.1] = -0.0
            a[rng.random(size) < 0.05] = np.inf
            a[rng.random(size) < 0.05] = -np.inf
        if nan:
            a[rng.integers(0, size, max(1, size // 10) if ties else 1)] = np.nan
    a = a.reshape(shape)
    return a, fngrad.tensor(a, dtype=getattr(fngrad, "float64")).to(getattr(fngrad, dtype))


def _order(a, descending):
    """Stable order of the last axis of 2-d ``a`` (float64): NaN largest, equal values by index."""
    nan = np.isnan(a)
    v = np.where(nan, 0.0, a)
    v = v + 0.0  # -0.0 equals 0.0
    out = np.empty(a.shape, np.int64)
    for r in range(a.shape[0]):
        idx = np.arange(a.shape[1])
        if descending:
            out[r] = np.lexsort((idx, -v[r], ~nan[r]))
        else:
            out[r] = np.lexsort((idx, v[r], nan[r]))
    return out


def _rows_of(a, dim):
    moved = np.moveaxis(a, dim, -1)
    return moved.reshape(-1, moved.shape[-1]) if moved.shape[-1] else moved.reshape(-1, 0), moved.shape[:-1]


def _expected_topk(a, k, dim, largest):
    rows, lead = _rows_of(a, dim)
    idx = _order(rows, largest)[:, :k] if rows.shape[0] else np.zeros((0, k), np.int64)
    idx = np.moveaxis(idx.reshape(lead + (k,)), -1, dim)
    return np.take_along_axis(a, idx, dim), idx


def _expected_at(a, dim, pick):
    """The element of each line at position pick(ascending order, line) of its ascending order."""
    rows, lead = _rows_of(a, dim)
    order = _order(rows, False)
    idx = np.array([order[r, pick(rows[r])] for r in range(rows.shape[0])], np.int64).reshape(lead)
    return np.take_along_axis(a, np.expand_dims(idx, dim), dim).squeeze(dim), idx


def _check(got, values, idx, dtype):
    gv = got.values.to(fngrad.float64).numpy()
    np.testing.assert_array_equal(got.indices.numpy(), idx)
    np.testing.assert_array_equal(gv, values)
    # -0.0 stays -0.0: the values are the input's elements at the indices
    np.testing.assert_array_equal(np.signbit(gv), np.signbit(values))
    assert got.values.dtype == getattr(fngrad, dtype) and got.indices.dtype == fngrad.int64


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", [((5, 37), 1), ((5, 37), 0), ((3, 4, 6), 1), ((3, 4, 6), -3), ((300,), 0)])
def test_topk_against_numpy(dtype, shape, dim):
    rng = np.random.default_rng(len(shape) * 100 + dim)
    a, x = _data(dtype, shape, rng)
    n = shape[dim]
    for k in sorted({0, 1, 2, n // 5, n // 2, n - 1, n}):
        for largest in (True, False):
            got = fngrad.topk(x, k, dim=dim, largest=largest, sorted=bool(k % 2))
            _check(got, *_expected_topk(a, k, dim, largest), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_topk_non_contiguous_and_tie_free(dtype):
    rng = np.random.default_rng(1)
    a, x = _data(dtype, (40, 24), rng, ties=dtype == "bool")
    for view, av in [(x.t(), a.T), (x[::3, 1::2], a[::3, 1::2]), (x.t()[:, 5:], a.T[:, 5:])]:
        for dim in (0, 1, -1):
            for k in (1, 3, view.shape[dim]):
                for largest in (True, False):
                    _check(view.topk(k, dim, largest), *_expected_topk(av, k, dim, largest), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_topk_0d_and_empty(dtype):
    x = fngrad.tensor(1.5 if dtype != "bool" else True).to(getattr(fngrad, dtype))
    top = x.topk(1)
    assert top.values.shape == () and top.indices.shape == () and top.indices.item() == 0
    assert top.values.item() == x.item()
    zero = x.topk(0, -1)  # PyTorch's answer for k=0 of a 0-d tensor: the element
    assert zero.values.shape == () and zero.values.item() == x.item() and zero.indices.item() == 0
    e = fngrad.zeros(0, 5).to(getattr(fngrad, dtype))
    assert e.topk(2, 1).values.shape == (0, 2) and e.topk(0, 0).indices.shape == (0, 5)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        e.topk(1, 0)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(2)


@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != "bool"])
@pytest.mark.parametrize("shape,dim", [((6, 41), 1), ((6, 41), 0), ((3, 4, 5), -2), ((200,), 0)])
def test_kthvalue_median_nanmedian_against_numpy(dtype, shape, dim):
    rng = np.random.default_rng(7)
    a, x = _data(dtype, shape, rng)
    n = shape[dim]
    for k in sorted({1, 2, n // 3, n}):
        v, i = _expected_at(a, dim, lambda row, k=k: k - 1)
        got = x.kthvalue(k, dim)
        np.testing.assert_array_equal(got.indices.numpy(), i)
        np.testing.assert_array_equal(got.values.to(fngrad.float64).numpy(), v)

    def median_pos(row):
        valid = int((~np.isnan(row)).sum())
        return valid if valid < len(row) else (len(row) - 1) // 2

    def nanmedian_pos(row):
        return max((int((~np.isnan(row)).sum()) - 1) // 2, 0)

    for op, pos in ((fngrad.median, median_pos), (fngrad.nanmedian, nanmedian_pos)):
        v, i = _expected_at(a, dim, pos)
        got = op(x, dim, keepdim=True)
        np.testing.assert_array_equal(got.indices.numpy(), np.expand_dims(i, dim))
        np.testing.assert_array_equal(got.values.to(fngrad.float64).numpy(), np.expand_dims(v, dim))
        flat = a.reshape(1, -1)
        whole = op(x).to(fngrad.float64).item()
        np.testing.assert_array_equal(whole, flat[0, _order(flat, False)[0, pos(flat[0])]])


def test_all_nan_lines_and_the_gradient_of_the_selected():
    a = np.array([[np.nan, np.nan, np.nan], [2.0, np.nan, 1.0]])
    x = fngrad.tensor(a, requires_grad=True)
    assert fngrad.nanmedian(x, 1).indices.tolist() == [0, 2]
    assert fngrad.median(x, 1).indices.tolist() == [0, 1]
    top = x.topk(2, 1, largest=False)
    assert top.indices.tolist() == [[0, 1], [2, 0]]
    g = np.array([[1.0, 2.0], [3.0, 4.0]])
    top.values.backward(fngrad.tensor(g))
    expected = np.zeros_like(a)
    np.put_along_axis(expected, top.indices.numpy(), g, 1)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@requires_torch
@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != "bool"])
def test_against_pytorch(dtype):
    import torch

    rng = np.random.default_rng(3)
    for ties in (True, False):
        a, x = _data(dtype, (7, 50), rng, ties=ties)
        t = torch.from_numpy(a).to(getattr(torch, dtype))
        for dim in (0, 1):
            for k in (1, 5, a.shape[dim]):
                for largest in (True, False):
                    got, want = x.topk(k, dim, largest), t.topk(k, dim, largest)
                    np.testing.assert_array_equal(got.values.to(fngrad.float64).numpy(), want.values.double().numpy())
                    if not ties:
                        np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
            for k in (1, 4):
                got, want = x.kthvalue(k, dim), t.kthvalue(k, dim)
                np.testing.assert_array_equal(got.values.to(fngrad.float64).numpy(), want.values.double().numpy())
                if not ties:
                    np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
            for name in ("median", "nanmedian"):
                got, want = getattr(x, name)(dim), getattr(t, name)(dim)
                np.testing.assert_array_equal(got.values.to(fngrad.float64).numpy(), want.values.double().numpy())
                if not ties:
                    np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
            np.testing.assert_array_equal(getattr(x, "median")().to(fngrad.float64).numpy(), t.median().double().numpy())
