"""The native kernels along one dim (csrc/ops/dim_index.cpp) behind gather, scatter_add and cumsum,
against NumPy formulas written out here: every dtype each op takes, non-contiguous and 0-d inputs,
empty indices, every dim, indices out of range (an error naming the op, never a crash) and the
gradients (each the other op of the pair: gather <-> scatter_add, cumsum <-> reversed cumsum),
large enough to run on the thread pool."""

import numpy as np
import pytest

import fngrad

DTYPES = ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool", "float16", "bfloat16"]
SHAPES = [((5,), 0), ((4, 6), 0), ((4, 6), 1), ((3, 4, 5), 1), ((3, 4, 5), 2), ((3, 4, 5), -1), ((700, 300), 1),
          ((300, 700), 0)]


def _values(rng, shape, dtype):
    if dtype == "bool":
        return fngrad.from_numpy(rng.random(shape) > 0.5)
    if dtype in ("float16", "bfloat16"):
        return fngrad.from_numpy(rng.integers(-8, 8, shape).astype(np.float32)).to(getattr(fngrad, dtype))
    return fngrad.from_numpy(rng.integers(-50, 50, shape).astype(dtype))


def _np_of(t):
    return t.float().numpy() if t.dtype == fngrad.bfloat16 else t.numpy()


def _gather_ref(a, dim, idx):
    out = np.empty(idx.shape, a.dtype)
    for pos in np.ndindex(*idx.shape):
        src = list(pos)
        src[dim] = idx[pos]
        out[pos] = a[tuple(src)]
    return out


def _scatter_add_ref(a, dim, idx, src):
    out = a.copy()
    with np.errstate(over="ignore"):  # integers wrap, as in C++
        _add_each(out, dim, idx, src)
    return out


def _add_each(out, dim, idx, src):
    for pos in np.ndindex(*idx.shape):
        dst = list(pos)
        dst[dim] = idx[pos]
        out[tuple(dst)] = (out[tuple(dst)] | src[pos]) if out.dtype == np.bool_ else out[tuple(dst)] + src[pos]


def _small(shape):
    return int(np.prod(shape)) <= 100


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", SHAPES)
def test_gather_matches_the_loop(dtype, shape, dim):
    rng = np.random.default_rng(0)
    x = _values(rng, shape, dtype)
    d = dim % len(shape)
    idx_shape = tuple(max(1, n - 1) if k != d else n + 2 for k, n in enumerate(shape))
    idx = rng.integers(0, shape[d], idx_shape)
    out = fngrad.gather(x, dim, fngrad.from_numpy(idx))
    assert out.dtype == x.dtype and tuple(out.shape) == idx_shape
    ref = np.take_along_axis(_np_of(x)[tuple(slice(0, n) if k != d else slice(None) for k, n in enumerate(idx_shape))],
                             idx, axis=d)
    if _small(shape):
        assert np.array_equal(ref, _gather_ref(_np_of(x), d, idx))
    assert np.array_equal(_np_of(out), ref)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", SHAPES)
def test_scatter_add_matches_the_loop(dtype, shape, dim):
    rng = np.random.default_rng(1)
    x, src = _values(rng, shape, dtype), _values(rng, shape, dtype)
    d = dim % len(shape)
    idx_shape = tuple(max(1, n - 1) for n in shape)
    idx = rng.integers(0, shape[d], idx_shape)  # with repeats
    out = fngrad.scatter_add(x, dim, fngrad.from_numpy(idx), src)
    a, s = _np_of(x), _np_of(src)
    if a.dtype == np.float16:  # NumPy adds half in half, one add at a time, as the loop below
        ref = _scatter_add_ref(a, d, idx, s)
    else:
        ref = a.copy()
        lin = np.ravel_multi_index(tuple(idx if k == d else np.indices(idx_shape)[k] for k in range(len(shape))), shape)
        region = s[tuple(slice(0, n) for n in idx_shape)]
        if ref.dtype == np.bool_:
            np.logical_or.at(ref.reshape(-1), lin.reshape(-1), region.reshape(-1))
        else:
            np.add.at(ref.reshape(-1), lin.reshape(-1), region.reshape(-1))
        if _small(shape):
            assert np.array_equal(ref, _scatter_add_ref(a, d, idx, s))
    assert out.dtype == x.dtype
    got = _np_of(out)
    if dtype == "bfloat16":  # computed in float32 and rounded once
        ref = fngrad.from_numpy(ref).to(fngrad.bfloat16).float().numpy()
    assert np.array_equal(got, ref)


def test_non_contiguous_and_0d():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((8, 10)).astype(np.float32)
    x = fngrad.from_numpy(a).t()  # (10, 8), strides (1, 10)
    idx = rng.integers(0, 10, (8, 12))
    i = fngrad.from_numpy(idx).t()[:, :6]  # (12, 6) non-contiguous, smaller than x along dim 1
    assert np.array_equal(fngrad.gather(x, 0, i).numpy(), np.take_along_axis(a.T[:, :6], idx.T[:, :6], axis=0))
    src = fngrad.from_numpy(rng.standard_normal((6, 12)).astype(np.float32)).t()
    ref = a.T.copy()
    np.add.at(ref, (idx.T[:, :6], np.arange(6)[None, :]), src.numpy())
    assert np.array_equal(fngrad.scatter_add(x, 0, i, src).numpy(), ref)
    s = fngrad.tensor(3.5)
    assert fngrad.gather(s, 0, fngrad.tensor(0)).item() == 3.5
    assert fngrad.scatter_add(s, 0, fngrad.tensor(0), fngrad.tensor(1.0)).item() == 4.5
    assert fngrad.gather(x, 1, fngrad.from_numpy(idx[:, :3].astype(np.int32) % 8)).shape == (8, 3)


def test_empty_index_and_empty_input():
    x = fngrad.ones(3, 4)
    empty = fngrad.zeros(3, 0, dtype=fngrad.int64)
    assert fngrad.gather(x, 1, empty).shape == (3, 0)
    assert fngrad.scatter_add(x, 1, empty, fngrad.ones(3, 0)).tolist() == x.tolist()
    assert fngrad.cumsum(fngrad.ones(0, 5), 1).shape == (0, 5)
    assert fngrad.cumsum(fngrad.ones(5, 0), 1).shape == (5, 0)


@pytest.mark.parametrize("op", ["gather", "scatter_add"])
@pytest.mark.parametrize("bad", [-1, 4, 1 << 40, -(1 << 62)])
def test_out_of_range_index_raises(op, bad):
    x = fngrad.zeros(300, 4)
    idx = np.zeros((300, 4), np.int64)
    idx[123, 2] = bad
    idx[200, 1] = 5  # a later bad index is not the one named
    args = (x, 1, fngrad.from_numpy(idx)) + ((fngrad.ones(300, 4),) if op == "scatter_add" else ())
    with pytest.raises(RuntimeError, match=rf"\[{op}\] index {bad} is out of bounds for dimension 1 with size 4"):
        getattr(fngrad, op)(*args)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool", "float16", "bfloat16"])
@pytest.mark.parametrize("shape,dim", SHAPES + [((9, 1000), 1), ((2, 3000, 7), 1)])
def test_cumsum_matches_numpy(dtype, shape, dim):
    rng = np.random.default_rng(3)
    x = _values(rng, shape, dtype)
    out = fngrad.cumsum(x, dim)
    a = _np_of(x)
    acc = np.int64 if dtype in ("int32", "uint8", "bool", "int64") else a.dtype
    ref = np.cumsum(a.astype(acc), axis=dim, dtype=acc)
    got = _np_of(out)
    if dtype == "bfloat16":
        ref = fngrad.from_numpy(ref).to(fngrad.bfloat16).float().numpy()
    assert np.array_equal(got, ref)
    if shape == (4, 6):  # the running sum written out
        loop = np.zeros_like(ref)
        for k in range(shape[dim]):
            sel = (slice(None),) * (dim % 2) + (k,)
            prev = (slice(None),) * (dim % 2) + (k - 1,)
            loop[sel] = a[sel].astype(acc) + (loop[prev] if k else 0)
        assert np.array_equal(ref, loop)


def test_cumsum_non_contiguous_and_reverse_gradient():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((50, 40))
    x = fngrad.from_numpy(a).t().requires_grad_()  # (40, 50) non-contiguous
    g = rng.standard_normal((40, 50))
    w = rng.standard_normal((40, 50))
    for dim in (0, 1):
        out = fngrad.cumsum(x, dim)
        assert np.allclose(out.detach().numpy(), np.cumsum(a.T, dim), rtol=0, atol=1e-12)
        gt = fngrad.from_numpy(g).requires_grad_()
        (grad,) = fngrad.autograd.grad(out, x, gt, create_graph=True)
        # d/dx_k sum_j g_j * cumsum(x)_j = sum_{j >= k} g_j: the reversed running sum
        assert np.array_equal(grad.detach().numpy(), np.flip(np.cumsum(np.flip(g, dim), dim), dim))
        # and d/dg_j sum_k w_k * grad_k = sum_{k <= j} w_k: a forward running sum again
        (gg,) = fngrad.autograd.grad(grad, gt, fngrad.from_numpy(w))
        assert np.array_equal(gg.numpy(), np.cumsum(w, dim))


def test_gather_scatter_add_gradients_large():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((512, 256)).astype(np.float32)
    idx = rng.integers(0, 256, (512, 200))
    g = rng.standard_normal((512, 200)).astype(np.float32)
    x = fngrad.from_numpy(a).requires_grad_()
    fngrad.gather(x, 1, fngrad.from_numpy(idx)).backward(fngrad.from_numpy(g))
    ref = np.zeros_like(a)
    np.add.at(ref, (np.arange(512)[:, None], idx), g)
    assert np.allclose(x.grad.numpy(), ref, rtol=1e-6, atol=1e-6)
    src = fngrad.from_numpy(g.copy()).requires_grad_()
    base = fngrad.from_numpy(a.copy()).requires_grad_()
    gout = rng.standard_normal((512, 256)).astype(np.float32)
    fngrad.scatter_add(base, 1, fngrad.from_numpy(idx), src).backward(fngrad.from_numpy(gout))
    assert np.array_equal(base.grad.numpy(), gout)
    assert np.array_equal(src.grad.numpy(), np.take_along_axis(gout, idx, axis=1))


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "float16"])
@pytest.mark.parametrize("shape", [(4, 6), (3, 4, 5), (700, 300)])
@pytest.mark.parametrize("extra", [-2, 3])
@pytest.mark.parametrize("transposed_self", [False, True])
def test_scatter_add_along_the_last_dim_over_whole_rows(dtype, shape, extra, transposed_self):
    # The index spans every row of self (the kernel then writes each row's start just before adding
    # into it), with fewer or more entries than a row; self contiguous, or a transposed view.
    rng = np.random.default_rng(7)
    idx_shape = shape[:-1] + (shape[-1] + extra,)
    x = _values(rng, shape[::-1] if transposed_self else shape, dtype)
    if transposed_self:
        x = x.permute(*range(len(shape) - 1, -1, -1))
    src = _values(rng, idx_shape, dtype)
    idx = rng.integers(0, shape[-1], idx_shape)
    ref = _np_of(x).copy()
    lin = np.ravel_multi_index(tuple(idx if k == len(shape) - 1 else np.indices(idx_shape)[k]
                                     for k in range(len(shape))), shape)
    if ref.dtype == np.bool_:
        np.logical_or.at(ref.reshape(-1), lin.reshape(-1), _np_of(src).reshape(-1))
    elif ref.dtype == np.float16:
        ref = _scatter_add_ref(ref, len(shape) - 1, idx, _np_of(src))
    else:
        np.add.at(ref.reshape(-1), lin.reshape(-1), _np_of(src).reshape(-1))
    out = fngrad.scatter_add(x, -1, fngrad.from_numpy(idx), src)
    assert np.array_equal(_np_of(out), ref)
    if dtype == "float32":  # gather's gradient: the same adds into zeros
        xg = x.detach().requires_grad_()
        gi = rng.integers(0, shape[-1], idx_shape)
        fngrad.gather(xg, -1, fngrad.from_numpy(gi)).backward(src)
        zero = np.zeros(shape, np.float32)
        np.add.at(zero.reshape(-1), np.ravel_multi_index(
            tuple(gi if k == len(shape) - 1 else np.indices(idx_shape)[k] for k in range(len(shape))), shape).reshape(-1),
            _np_of(src).reshape(-1))
        assert np.array_equal(xg.grad.numpy(), zero)
