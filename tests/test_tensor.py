"""Tensor construction, dtypes, NumPy interop, printing and the version counter."""

import numpy as np
import pytest

import fngrad


def test_default_dtypes_follow_pytorch():
    assert fngrad.tensor([1.0, 2.0]).dtype == fngrad.float32
    assert fngrad.tensor(1.5).dtype == fngrad.float32
    assert fngrad.tensor([1, 2]).dtype == fngrad.int64
    assert fngrad.tensor([True, False]).dtype == fngrad.bool
    assert fngrad.tensor([1, 2.5]).dtype == fngrad.float32
    # NumPy arrays keep their dtype.
    assert fngrad.tensor(np.array([1.0])).dtype == fngrad.float64
    assert fngrad.tensor(np.float64(2.0)).dtype == fngrad.float64
    assert fngrad.randn(3).dtype == fngrad.float32
    assert fngrad.zeros(2, dtype=fngrad.float64).dtype == fngrad.float64
    assert fngrad.float is fngrad.float32 and fngrad.double is fngrad.float64 and fngrad.long is fngrad.int64


def test_shape_and_size():
    t = fngrad.zeros(2, 3)
    assert t.shape == (2, 3)
    assert isinstance(t.shape, tuple)
    assert t.size() == (2, 3) and t.size(1) == 3 and t.size(-1) == 3
    assert t.dim() == 2 and t.ndim == 2 and t.numel() == 6 and len(t) == 2
    assert repr(t.shape) == "fngrad.Size([2, 3])"
    assert fngrad.zeros((4,)).shape == (4,) and fngrad.ones([2, 2]).shape == (2, 2)


def test_creation_values():
    np.testing.assert_array_equal(fngrad.zeros(2, 2).numpy(), np.zeros((2, 2), np.float32))
    np.testing.assert_array_equal(fngrad.ones(3).numpy(), np.ones(3, np.float32))
    np.testing.assert_array_equal(fngrad.full((2,), 7.5).numpy(), [7.5, 7.5])
    x = fngrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(fngrad.zeros_like(x).numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(fngrad.ones_like(x).numpy(), np.ones((2, 2)))
    r = fngrad.rand(1000).numpy()
    assert r.min() >= 0 and r.max() < 1
    n = fngrad.randn(20000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05


def test_manual_seed_repeats():
    fngrad.manual_seed(123)
    a = fngrad.randn(5).numpy().copy()
    fngrad.manual_seed(123)
    b = fngrad.randn(5).numpy()
    np.testing.assert_array_equal(a, b)
    fngrad.manual_seed(124)
    assert not np.array_equal(a, fngrad.randn(5).numpy())


def test_numpy_shares_memory_both_ways():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = fngrad.from_numpy(a)
    a[0, 0] = 100
    assert t[0, 0].item() == 100
    n = t.numpy()
    n[1, 2] = -1
    assert a[1, 2] == -1
    assert np.shares_memory(n, a)
    t2 = fngrad.randn(4)
    assert np.shares_memory(t2.numpy(), t2.numpy())


def test_from_numpy_non_contiguous_without_copy():
    a = np.arange(12, dtype=np.float64).reshape(3, 4)
    t = fngrad.from_numpy(a[:, ::2])
    assert not t.is_contiguous()
    np.testing.assert_array_equal(t.numpy(), a[:, ::2])
    np.testing.assert_array_equal((t * 2).numpy(), a[:, ::2] * 2)
    a[0, 2] = 50
    assert t[0, 1].item() == 50


def test_from_numpy_rejects_unsupported_dtype():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.object_"):
        fngrad.from_numpy(np.array([object()]))
    with pytest.raises(TypeError, match="expected np.ndarray"):
        fngrad.from_numpy([1, 2])


def test_tensor_rejects_ragged_and_non_numeric_data():
    with pytest.raises(ValueError, match="expected sequence of length 2 at dim 1"):
        fngrad.tensor([[1, 2], [3]])
    # PyTorch's exception types: a list of strings is a ValueError, a string among numbers a TypeError.
    with pytest.raises(ValueError, match="too many dimensions 'str'"):
        fngrad.tensor(["a"])
    with pytest.raises(TypeError, match="invalid data type 'str'"):
        fngrad.tensor([1, "a"])


def test_item_and_python_conversions():
    assert fngrad.tensor([2.5]).item() == 2.5
    assert fngrad.tensor(3).item() == 3 and isinstance(fngrad.tensor(3).item(), int)
    assert fngrad.tensor(True).item() is True
    assert float(fngrad.tensor(1.5)) == 1.5 and int(fngrad.tensor(7)) == 7
    with pytest.raises(RuntimeError, match="a Tensor with 3 elements cannot be converted to Scalar"):
        fngrad.zeros(3).item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(fngrad.zeros(3))
    assert fngrad.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]


def test_repr_matches_pytorch_format():
    assert repr(fngrad.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(fngrad.tensor([1.5, -2.25])) == "tensor([ 1.5000, -2.2500])"
    assert repr(fngrad.tensor(3.5)) == "tensor(3.5000)"
    assert repr(fngrad.tensor([1.0, 2.0], dtype=fngrad.float64)) == "tensor([1., 2.], dtype=fngrad.float64)"
    assert repr(fngrad.tensor([True, False])) == "tensor([ True, False])"
    assert repr(fngrad.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(fngrad.zeros(0)) == "tensor([])"
    assert repr(fngrad.zeros(2, 0)) == "tensor([], size=(2, 0))"
    assert repr(fngrad.tensor([1e10, 1.0])) == "tensor([1.0000e+10, 1.0000e+00])"
    assert repr(fngrad.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    x = fngrad.tensor([1.0], requires_grad=True)
    assert repr(x) == "tensor([1.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2.], grad_fn=<MulBackward0>)"
    big = repr(fngrad.zeros(2000))
    assert "..." in big and big.count("0.") == 6


def test_repr_names_dtype_as_pytorch():
    # An empty tensor has no values that tell int64 or bool: PyTorch names every dtype but the
    # default; and the default is get_default_dtype(), not float32.
    assert repr(fngrad.zeros(0, dtype=fngrad.int64)) == "tensor([], dtype=fngrad.int64)"
    assert repr(fngrad.zeros(0, 2, dtype=fngrad.bool)) == "tensor([], size=(0, 2), dtype=fngrad.bool)"
    fngrad.set_default_dtype(fngrad.float64)
    try:
        assert repr(fngrad.tensor([1.0, 2.0])) == "tensor([1., 2.])"
        assert repr(fngrad.ones(1, dtype=fngrad.float32)) == "tensor([1.], dtype=fngrad.float32)"
        assert repr(fngrad.zeros(0, dtype=fngrad.float32)) == "tensor([], dtype=fngrad.float32)"
    finally:
        fngrad.set_default_dtype(fngrad.float32)


def test_where_with_condition_only_is_nonzero_as_tuple():
    rows, cols = fngrad.where(fngrad.tensor([[1, 0], [0, 3]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1] and rows.dtype == fngrad.int64
    (idx,) = fngrad.where(fngrad.tensor([0.0, -2.0, 0.0, 5.0]))
    assert idx.tolist() == [1, 3]


def test_requires_grad_rules():
    x = fngrad.randn(3)
    assert not x.requires_grad and x.is_leaf and x.grad_fn is None
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn.name() == "MulBackward0"
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        fngrad.tensor([1, 2]).requires_grad_()
    with fngrad.no_grad():
        z = x * 2
    assert not z.requires_grad and z.grad_fn is None


def test_grad_is_settable_and_checked():
    x = fngrad.zeros(3, requires_grad=True)
    x.grad = fngrad.ones(3)
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3))
    x.grad = None
    assert x.grad is None
    with pytest.raises(RuntimeError, match="attempting to assign a gradient of size"):
        x.grad = fngrad.zeros(4)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
        x.grad = 3


def test_non_leaf_grad_access_warns():
    x = fngrad.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert y.grad is None


def test_numpy_refuses_tensor_that_requires_grad():
    x = fngrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        x.numpy()
    np.testing.assert_array_equal(x.detach().numpy(), [1, 1])


def test_detach_and_clone():
    x = fngrad.randn(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.detach().numpy())
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0"
    assert not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    np.testing.assert_array_equal(c.detach().numpy(), x.detach().numpy())


def test_version_counter_bumps_on_every_inplace_write():
    t = fngrad.zeros(4)
    v = t._version
    t[t == 0] = 1.0
    assert t._version == v + 1
    t.add_(1)
    t.mul_(2)
    t += 1
    assert t._version == v + 4
    view = t[1:]
    view.fill_(0)
    assert t._version == v + 5 and view._version == v + 5
    d = t.detach()
    d.zero_()
    assert t._version == v + 6
    np.testing.assert_array_equal(t.numpy(), np.zeros(4))


def test_basic_indexing_makes_views():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = fngrad.from_numpy(a.copy())
    for index in [0, -1, (1, 2), (slice(None), 1), (Ellipsis, 2), (None, 0), (0, slice(1, None, 2)), (slice(None), None, 1),
                  (1, Ellipsis, None), (slice(-2, None),), (slice(5, 1),)]:
        np.testing.assert_array_equal(t[index].numpy(), a[index], err_msg=str(index))
    v = t[0, 1]
    v[v > 0] = -7
    assert (t[0, 1] == -7).numpy().all()


def test_indexing_errors():
    t = fngrad.zeros(2, 3)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 2"):
        t[5]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        t[0, 0, 0]
    with pytest.raises(TypeError, match=r"\[index\]"):
        t["a"]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        t[::-1]
    with pytest.raises(IndexError, match="The shape of the mask"):
        t[fngrad.tensor([True, False, True])]


def test_setitem_with_mask_and_scalar():
    a = np.array([-1.0, 2.0, -3.0, 4.0], dtype=np.float32)
    t = fngrad.from_numpy(a.copy())
    t[t < 0] = 0
    np.testing.assert_array_equal(t.numpy(), np.where(a < 0, 0, a))
    m = fngrad.from_numpy(np.arange(6, dtype=np.float64).reshape(2, 3))
    m[m > 2] = 9
    np.testing.assert_array_equal(m.numpy(), [[0, 1, 2], [9, 9, 9]])
    m[0] = 5
    np.testing.assert_array_equal(m.numpy(), [[5, 5, 5], [9, 9, 9]])


def test_tensor_can_be_pickled_and_copied():
    import copy
    import pickle

    x = fngrad.randn(3, requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    assert y.requires_grad
    z = copy.deepcopy(x)
    assert z.requires_grad and not np.shares_memory(z.detach().numpy(), x.detach().numpy())
