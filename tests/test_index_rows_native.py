"""index_select, index_add and F.embedding on the native slice kernels (csrc/ops/index_rows.cpp):
values against NumPy (np.take, np.add.at), gradients against finite differences, errors and node
names against PyTorch (skipped without it)."""

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import requires_torch

RNG = np.random.default_rng(7)

# (shape, dim) pairs: 1-d, leading, middle, last (negative) dims.
CASES = [((5,), 0), ((6, 4), 0), ((6, 4), 1), ((6, 4), -1), ((3, 5, 4), 1), ((3, 5, 4), -1), ((3, 5, 4), 0)]

SELECT_DTYPES = [np.float32, np.float64, np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_]
ADD_DTYPES = [np.float32, np.float64, np.int64, np.int32, np.int16, np.uint8]


def _array(shape, dtype):
    a = RNG.standard_normal(shape) * 20
    return (a > 0) if dtype == np.bool_ else a.astype(dtype)


def _index(size, n, dtype=np.int64):
    return RNG.integers(0, size, n).astype(dtype)  # n > size: repeats


@pytest.mark.parametrize("shape,dim", CASES)
@pytest.mark.parametrize("dtype", SELECT_DTYPES)
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
def test_index_select_values(shape, dim, dtype, index_dtype):
    a = _array(shape, dtype)
    idx = _index(shape[dim], 9, index_dtype)
    out = fngrad.index_select(fngrad.from_numpy(a), dim, fngrad.from_numpy(idx))
    np.testing.assert_array_equal(out.numpy(), np.take(a, idx, axis=dim))


@pytest.mark.parametrize("dtype", [fngrad.float16, fngrad.bfloat16])
def test_index_select_half_types(dtype):
    a = np.arange(24, dtype=np.float32).reshape(4, 6)  # exact in both
    idx = np.array([3, 0, 3, 5])
    out = fngrad.from_numpy(a).to(dtype).index_select(1, fngrad.from_numpy(idx))
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.float().numpy(), np.take(a, idx, axis=1))


def test_index_select_non_contiguous():
    a = _array((8, 10), np.float32)
    x = fngrad.from_numpy(a).t()[:, ::2]  # (10, 4), strided both ways
    idx_full = fngrad.from_numpy(np.array([9, 0, 3, 3, 7, 1]))
    idx = idx_full[::2]  # [9, 3, 7], strided
    for dim in (0, 1):
        i = idx if dim == 0 else fngrad.tensor([3, 0, 3])
        np.testing.assert_array_equal(fngrad.index_select(x, dim, i).numpy(),
                                      np.take(a.T[:, ::2], i.numpy(), axis=dim))


def test_index_select_empty_and_scalars():
    a = _array((4, 3), np.float64)
    empty = fngrad.index_select(fngrad.from_numpy(a), 0, fngrad.tensor([], dtype=fngrad.int64))
    assert tuple(empty.shape) == (0, 3)
    # a 0-d index selects one slice; a 0-d input takes exactly one index and stays 0-d
    np.testing.assert_array_equal(fngrad.index_select(fngrad.from_numpy(a), 1, fngrad.tensor(2)).numpy(), a[:, [2]])
    out = fngrad.index_select(fngrad.tensor(3.5), 0, fngrad.tensor([0]))
    assert out.shape == () and out.item() == 3.5
    with pytest.raises(RuntimeError, match="Index to scalar can have only 1 value, got 2"):
        fngrad.index_select(fngrad.tensor(3.5), 0, fngrad.tensor([0, 0]))


def test_index_select_large_threaded():
    # above the kernels' threading threshold, both the memcpy path (dim 0) and the element path (last dim)
    a = _array((700, 300), np.float32)
    for dim in (0, 1):
        idx = _index(a.shape[dim], 900)
        np.testing.assert_array_equal(fngrad.from_numpy(a).index_select(dim, fngrad.from_numpy(idx)).numpy(),
                                      np.take(a, idx, axis=dim))


def _np_index_add(a, dim, idx, src, alpha):
    out = a.copy()
    np.add.at(np.moveaxis(out, dim, 0), idx, np.moveaxis(src, dim, 0) * np.asarray(alpha).astype(a.dtype))
    return out


@pytest.mark.parametrize("shape,dim", CASES)
@pytest.mark.parametrize("dtype", ADD_DTYPES)
@pytest.mark.parametrize("alpha", [1, 3])
def test_index_add_values(shape, dim, dtype, alpha):
    a = _array(shape, dtype)
    idx = _index(shape[dim], 7)
    src_shape = list(shape)
    src_shape[dim] = 7
    src = _array(tuple(src_shape), dtype)
    out = fngrad.index_add(fngrad.from_numpy(a), dim, fngrad.from_numpy(idx), fngrad.from_numpy(src), alpha=alpha)
    assert out.dtype == fngrad.from_numpy(a).dtype
    np.testing.assert_allclose(out.numpy(), _np_index_add(a, dim, idx, src, alpha), rtol=1e-6)


def test_index_add_float_alpha_and_int32_index():
    a, src = _array((5, 3), np.float64), _array((4, 3), np.float64)
    idx = np.array([4, 4, 0, 2], dtype=np.int32)
    out = fngrad.from_numpy(a).index_add(0, fngrad.from_numpy(idx), fngrad.from_numpy(src), alpha=-0.5)
    np.testing.assert_allclose(out.numpy(), _np_index_add(a, 0, idx, src, -0.5))


def test_index_add_non_contiguous_and_empty():
    a = _array((6, 8), np.float32)
    src = _array((4, 4), np.float32)
    x, s = fngrad.from_numpy(a)[:, ::2], fngrad.from_numpy(src.T.copy()).t()  # (6, 4) strided; transposed
    idx = np.array([1, 5, 1, 1])
    out = fngrad.index_add(x.t(), 1, fngrad.from_numpy(idx), s)  # self (4, 6) along dim 1
    np.testing.assert_allclose(out.numpy(), _np_index_add(a[:, ::2].T, 1, idx, src, 1), rtol=1e-6)
    same = fngrad.index_add(x, 0, fngrad.tensor([], dtype=fngrad.int64), fngrad.zeros(0, 4))
    np.testing.assert_array_equal(same.numpy(), a[:, ::2])


def test_index_add_large_threaded():
    # repeated indices with the destination rows split between threads: every repeat must land
    a = _array((500, 256), np.float64)
    idx = _index(500, 2000)
    src = _array((2000, 256), np.float64)
    out = fngrad.from_numpy(a).index_add(0, fngrad.from_numpy(idx), fngrad.from_numpy(src), alpha=2)
    np.testing.assert_allclose(out.numpy(), _np_index_add(a, 0, idx, src, 2))
    idx1 = _index(256, 300)
    src1 = _array((500, 300), np.float64)
    out = fngrad.from_numpy(a).index_add(1, fngrad.from_numpy(idx1), fngrad.from_numpy(src1))
    np.testing.assert_allclose(out.numpy(), _np_index_add(a, 1, idx1, src1, 1))


@pytest.mark.parametrize("shape,dim,n", [((50000,), 0, 70000), ((3, 20000), 1, 30000), ((4000, 3, 2), 0, 9000)])
def test_index_add_many_blocks_sums_in_index_order(shape, dim, n):
    # Destinations split into ~16 KB blocks (many here, a few slices or thousands per block): float32
    # sums must equal np.add.at's bit for bit, which adds the repeats of a destination in index order.
    a = _array(shape, np.float32)
    idx = _index(shape[dim], n)
    src_shape = list(shape)
    src_shape[dim] = n
    src = _array(tuple(src_shape), np.float32)
    out = fngrad.index_add(fngrad.from_numpy(a), dim, fngrad.from_numpy(idx), fngrad.from_numpy(src))
    np.testing.assert_array_equal(out.numpy(), _np_index_add(a, dim, idx, src, 1))
    z = fngrad.zeros(*shape).index_add(dim, fngrad.from_numpy(idx.astype(np.int32)), fngrad.from_numpy(src))
    np.testing.assert_array_equal(z.numpy(), _np_index_add(np.zeros_like(a), dim, idx, src, 1))


def test_index_add_in_place():
    a = _array((4, 3), np.float32)
    x = fngrad.from_numpy(a.copy())
    x.index_add_(0, fngrad.tensor([3, 3]), fngrad.ones(2, 3))
    np.testing.assert_allclose(x.numpy(), _np_index_add(a, 0, np.array([3, 3]), np.ones((2, 3), np.float32), 1))


def test_out_of_range_errors():
    x = fngrad.ones(3, 2)
    for bad in (5, -1, 3):
        with pytest.raises(IndexError, match="index out of range in self"):
            x.index_select(0, fngrad.tensor([0, bad]))
        with pytest.raises(IndexError, match="index out of range in self"):
            F.embedding(fngrad.tensor([[bad]]), x)
        with pytest.raises(RuntimeError, match=f"index {bad} is out of bounds for dimension 0 with size 3"):
            x.index_add(0, fngrad.tensor([bad]), fngrad.ones(1, 2))
        with pytest.raises(IndexError, match="index out of range in self"):  # PyTorch's wording for 1-d self
            fngrad.ones(3).index_add(0, fngrad.tensor([bad]), fngrad.ones(1))
    big = fngrad.ones(1000, 200)  # a threaded size: still an error, not a crash
    with pytest.raises(IndexError):
        big.index_select(0, fngrad.from_numpy(np.r_[np.arange(999), 1000]))
    with pytest.raises(RuntimeError, match="index 1000 is out of bounds"):
        big.index_add(0, fngrad.from_numpy(np.r_[np.arange(999), 1000]), fngrad.ones(1000, 200))
    with pytest.raises(RuntimeError, match="must have the same scalar type"):
        x.index_add(0, fngrad.tensor([0]), fngrad.ones(1, 2, dtype=fngrad.float64))


def _double(shape):
    return fngrad.from_numpy(RNG.standard_normal(shape)).requires_grad_(True)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select_gradcheck(dim):
    x = _double((4, 5))
    idx = fngrad.tensor([3, 0, 3, 1])
    assert fngrad.autograd.gradcheck(lambda x: fngrad.index_select(x, dim, idx), (x,))
    assert fngrad.autograd.gradgradcheck(lambda x: fngrad.index_select(x, dim, idx) ** 2, (x,))


@pytest.mark.parametrize("dim", [0, 1])
def test_index_add_gradcheck(dim):
    x = _double((4, 5))
    src = _double((3, 5) if dim == 0 else (4, 3))
    idx = fngrad.tensor([2, 0, 2])
    f = lambda x, s: fngrad.index_add(x, dim, idx, s, alpha=1.5) ** 2  # noqa: E731
    assert fngrad.autograd.gradcheck(f, (x, src))
    assert fngrad.autograd.gradgradcheck(f, (x, src))


def test_index_select_backward_accumulates_repeats():
    g = RNG.standard_normal((4, 3))
    idx = np.array([2, 2, 0, 2])
    x = fngrad.zeros(5, 3, dtype=fngrad.float64, requires_grad=True)
    fngrad.index_select(x, 0, fngrad.from_numpy(idx)).backward(fngrad.from_numpy(g))
    expected = np.zeros((5, 3))
    np.add.at(expected, idx, g)
    np.testing.assert_allclose(x.grad.numpy(), expected)
    # under create_graph the differentiable formula gives the same gradient
    (gx,) = fngrad.autograd.grad(fngrad.index_select(x, 0, fngrad.from_numpy(idx)), x, fngrad.from_numpy(g),
                                 create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), expected)


@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
def test_embedding_values_and_gradient(index_dtype):
    w = RNG.standard_normal((7, 4))
    idx = np.array([[1, 6, 1], [0, 1, 3]], dtype=index_dtype)
    weight = fngrad.from_numpy(w).requires_grad_(True)
    out = F.embedding(fngrad.from_numpy(idx), weight)
    np.testing.assert_array_equal(out.detach().numpy(), w[idx])
    g = RNG.standard_normal((2, 3, 4))
    out.backward(fngrad.from_numpy(g))
    expected = np.zeros_like(w)
    np.add.at(expected, idx.reshape(-1), g.reshape(-1, 4))
    np.testing.assert_allclose(weight.grad.numpy(), expected)


def test_embedding_padding_and_scale_grad_by_freq():
    w = RNG.standard_normal((5, 2))
    idx = np.array([1, 4, 1, 1, 2, 4])
    g = RNG.standard_normal((6, 2))
    weight = fngrad.from_numpy(w).requires_grad_(True)
    F.embedding(fngrad.from_numpy(idx), weight, padding_idx=4, scale_grad_by_freq=True).backward(fngrad.from_numpy(g))
    counts = np.bincount(idx, minlength=5)
    expected = np.zeros_like(w)
    np.add.at(expected, idx, g / counts[idx][:, None])
    expected[4] = 0
    np.testing.assert_allclose(weight.grad.numpy(), expected)
    # the module passes scale_grad_by_freq through
    emb = fngrad.nn.Embedding(5, 2, scale_grad_by_freq=True, _weight=fngrad.from_numpy(w.copy()))
    emb(fngrad.from_numpy(idx)).backward(fngrad.from_numpy(g))
    expected = np.zeros_like(w)
    np.add.at(expected, idx, g / counts[idx][:, None])
    np.testing.assert_allclose(emb.weight.grad.numpy(), expected)


def test_embedding_scalar_empty_and_non_contiguous():
    w = RNG.standard_normal((6, 8))
    weight = fngrad.from_numpy(w)[:, ::2]  # (6, 4), strided rows
    np.testing.assert_array_equal(F.embedding(fngrad.tensor(5), weight).numpy(), w[5, ::2])
    assert tuple(F.embedding(fngrad.tensor([], dtype=fngrad.int64).reshape(0, 3), weight).shape) == (0, 3, 4)
    idx = fngrad.tensor([[0, 5], [2, 3]]).t()  # a transposed index
    np.testing.assert_array_equal(F.embedding(idx, weight).numpy(), w[:, ::2][np.array([[0, 2], [5, 3]])])


def test_embedding_gradcheck():
    w = _double((6, 3))
    idx = fngrad.tensor([[1, 2, 1], [5, 0, 1]])
    assert fngrad.autograd.gradcheck(lambda w: F.embedding(idx, w), (w,))
    assert fngrad.autograd.gradgradcheck(lambda w: F.embedding(idx, w) ** 2, (w,))
    # padding_idx: the padding row's gradient stays zero under create_graph too, and that backward
    # (linear in the incoming gradient) is itself differentiated correctly
    (gw,) = fngrad.autograd.grad((F.embedding(idx, w, padding_idx=1) ** 2).sum(), w, create_graph=True)
    np.testing.assert_array_equal(gw.detach().numpy()[1], 0.0)
    assert fngrad.autograd.gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=1) ** 2, (w,))


def test_embedding_argument_errors():
    with pytest.raises(RuntimeError, match="Long, Int; but got"):
        F.embedding(fngrad.tensor([1], dtype=fngrad.int16), fngrad.ones(3, 2))
    with pytest.raises(RuntimeError, match="'weight' must be 2-D"):
        F.embedding(fngrad.tensor([1]), fngrad.ones(3, 2, 2))


@requires_torch
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"scale_grad_by_freq": True},
                                    {"padding_idx": -1, "scale_grad_by_freq": True}, {"max_norm": 1.0}])
@pytest.mark.parametrize("index_dtype", ["int64", "int32"])
def test_embedding_against_torch(kwargs, index_dtype):
    import torch

    w = RNG.standard_normal((6, 3))
    idx = np.array([[1, 2, 1], [5, 0, 1]], dtype=index_dtype)
    g = RNG.standard_normal((2, 3, 3))
    results = []
    for lib, nn_f in ((fngrad, F), (torch, torch.nn.functional)):
        weight = lib.tensor(w, requires_grad=True)
        out = nn_f.embedding(lib.from_numpy(idx), weight, **kwargs)
        out.backward(lib.from_numpy(g))
        results.append((out.detach().numpy(), weight.grad.numpy(), type(out.grad_fn).__name__))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
    assert results[0][2] == results[1][2] == "EmbeddingBackward0"


@requires_torch
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_ops_against_torch(dim):
    import torch

    a = RNG.standard_normal((4, 5, 3))
    size = a.shape[dim]
    idx = np.array([size - 1, 0, size - 1], dtype=np.int32)
    src_shape = list(a.shape)
    src_shape[dim] = 3
    src = RNG.standard_normal(tuple(src_shape))
    results = []
    for lib in (fngrad, torch):
        x, s = lib.tensor(a, requires_grad=True), lib.tensor(src, requires_grad=True)
        sel = lib.index_select(x, dim, lib.from_numpy(idx))
        add = lib.index_add(x, dim, lib.from_numpy(idx), s, alpha=2)
        (sel.sum() + (add * add).sum()).backward()
        results.append((sel.detach().numpy(), add.detach().numpy(), x.grad.numpy(), s.grad.numpy(),
                        type(sel.grad_fn).__name__, type(add.grad_fn).__name__))
    for mine, theirs in zip(results[0][:4], results[1][:4]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    assert results[0][4:] == results[1][4:] == ("IndexSelectBackward0", "IndexAddBackward0")


@pytest.mark.parametrize("self_shape,source_shape", [((), (1,)), ((1,), ())])
def test_index_add_wants_equal_dims_where_index_copy_does_not(self_shape, source_shape):
    # PyTorch: index_add_ refuses a 0-d self with a 1-d source (and the reverse); index_copy_ takes both.
    x, src, idx = fngrad.zeros(self_shape), fngrad.ones(source_shape), fngrad.tensor([0])
    with pytest.raises(RuntimeError, match="source tensor shape must match self tensor shape"):
        x.index_add(0, idx, src)
    out = x.index_copy(0, idx, src)
    assert tuple(out.shape) == self_shape and out.sum().item() == 1.0
