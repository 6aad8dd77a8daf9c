"""DLPack both ways, without copies, with PyTorch's semantics: Tensor.__dlpack__ /
__dlpack_device__, fngrad.from_dlpack, fngrad.utils.dlpack.to_dlpack / from_dlpack, against NumPy
(np.from_dlpack) and PyTorch (torch.from_dlpack)."""

import gc

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.utils.dlpack import DLDeviceType, from_dlpack, to_dlpack

NP_DTYPES = [np.float32, np.float64, np.int64, np.bool_]
REQUIRES_GRAD_MESSAGE = "Can't export tensors that require gradient, use tensor.detach()"


def ptr(t):
    """The address of the first element of an fngrad tensor or a NumPy array."""
    a = t.numpy() if isinstance(t, fngrad.Tensor) else t
    return a.__array_interface__["data"][0]


def sample(dtype, shape=(2, 3)):
    values = np.arange(int(np.prod(shape))).reshape(shape)
    return (values % 2 == 1) if dtype is np.bool_ else values.astype(dtype)


def other_value(dtype):
    return True if dtype is np.bool_ else -7


# ---- NumPy ----


@pytest.mark.parametrize("dtype", NP_DTYPES)
def test_numpy_reads_an_fngrad_tensor_in_place(dtype):
    t = fngrad.from_numpy(sample(dtype).copy()).clone()  # memory owned by fngrad
    a = np.from_dlpack(t)
    assert a.dtype == dtype and a.shape == (2, 3) and ptr(a) == ptr(t)
    np.testing.assert_array_equal(a, sample(dtype))
    a[1, 2] = other_value(dtype)  # NumPy -> fngrad
    assert t[1, 2].item() == other_value(dtype)
    t[0, 0] = other_value(dtype)  # fngrad -> NumPy
    assert a[0, 0] == other_value(dtype)


@pytest.mark.parametrize("dtype", NP_DTYPES)
def test_fngrad_imports_a_numpy_array_in_place(dtype):
    a = sample(dtype).copy()
    t = fngrad.from_dlpack(a)
    assert t.dtype == getattr(fngrad, np.dtype(dtype).name if dtype is not np.bool_ else "bool")
    assert ptr(t) == ptr(a) and tuple(t.shape) == a.shape
    assert t.is_leaf and not t.requires_grad and t.grad_fn is None
    t[1, 2] = other_value(dtype)
    assert a[1, 2] == other_value(dtype)
    a[0, 1] = other_value(dtype)
    assert t[0, 1].item() == other_value(dtype)


def test_non_contiguous_views_both_ways():
    base = fngrad.arange(12.0).reshape(3, 4)
    view = base.t()[::2]  # float32 (2, 3), strides (2, 4) in elements
    a = np.from_dlpack(view)
    np.testing.assert_array_equal(a, np.arange(12.0).reshape(3, 4).T[::2])
    assert a.strides == (8, 16) and ptr(a) == ptr(base)
    a[1, 2] = -1.0  # element (2, 2) of base
    assert base[2, 2].item() == -1.0

    arr = np.arange(12.0).reshape(3, 4)
    t = fngrad.from_dlpack(arr[:, 1::2])
    np.testing.assert_array_equal(t.numpy(), arr[:, 1::2])
    assert not t.is_contiguous()
    t[2, 1] = 100.0  # element (2, 3) of arr
    assert arr[2, 3] == 100.0


def test_zero_dim_and_empty_both_ways():
    s = fngrad.tensor(2.5)
    a = np.from_dlpack(s)
    assert a.shape == () and a == 2.5
    t = fngrad.from_dlpack(np.array(3, dtype=np.int64))
    assert t.shape == () and t.item() == 3
    for shape in [(0,), (2, 0, 3)]:
        assert np.from_dlpack(fngrad.zeros(*shape)).shape == shape
        assert tuple(fngrad.from_dlpack(np.zeros(shape)).shape) == shape


def test_an_imported_tensor_has_its_own_version_counter():
    # PyTorch: torch.from_dlpack(t) is a new tensor over t's memory whose version counter is
    # separate (test_version_counters_match_pytorch below checks that against PyTorch).
    a = fngrad.zeros(3)
    b = fngrad.from_dlpack(a)
    assert b is not a and ptr(b) == ptr(a)
    b.add_(1)
    assert (a._version, b._version) == (0, 1)
    assert a.tolist() == [1.0, 1.0, 1.0]


def test_copy_true_gives_a_copy():
    t = fngrad.zeros(3)
    a = np.from_dlpack(t, copy=True)
    a[0] = 1.0
    assert t[0].item() == 0.0
    arr = np.zeros(3)
    c = fngrad.from_dlpack(arr, copy=True)
    c[0] = 1.0
    assert arr[0] == 0.0


def test_export_refuses_a_tensor_that_requires_grad():
    x = fngrad.ones(2, requires_grad=True)
    with pytest.raises(BufferError) as info:
        x.__dlpack__()
    assert str(info.value) == REQUIRES_GRAD_MESSAGE
    with pytest.raises(BufferError, match="require gradient"):
        np.from_dlpack(x)
    y = x * 2  # a non-leaf is refused too; detach() is the way out
    with pytest.raises(BufferError):
        np.from_dlpack(y)
    np.testing.assert_array_equal(np.from_dlpack(y.detach()), [2.0, 2.0])


def test_dlpack_device_and_capsule_kinds():
    t = fngrad.ones(2)
    assert t.__dlpack_device__() == (1, 0)
    assert t.__dlpack_device__()[0] is DLDeviceType.kDLCPU
    assert '"dltensor"' in repr(t.__dlpack__())  # legacy without max_version, as PyTorch
    assert '"dltensor_versioned"' in repr(t.__dlpack__(max_version=(1, 0)))
    assert '"dltensor"' in repr(t.__dlpack__(max_version=(0, 8)))
    t.__dlpack__(stream=None)
    t.__dlpack__(dl_device=(1, 0), copy=False)


def test_bad_export_arguments():
    t = fngrad.ones(2)
    with pytest.raises(AssertionError, match="stream should be None on cpu"):
        t.__dlpack__(stream=1)
    with pytest.raises(TypeError, match="stream must be"):
        t.__dlpack__(stream="default")
    with pytest.raises(BufferError):
        t.__dlpack__(dl_device=(2, 0))  # CUDA: fngrad has only the CPU
    t.add_(1)  # still usable
    assert t.tolist() == [2.0, 2.0]


def test_legacy_capsules():
    t = fngrad.arange(4)
    capsule = to_dlpack(t)
    u = from_dlpack(capsule)
    assert u.dtype == fngrad.int64 and ptr(u) == ptr(t)
    u[0] = 10
    assert t[0].item() == 10
    with pytest.raises(RuntimeError, match="can be consumed only once"):
        from_dlpack(capsule)
    with pytest.raises(RuntimeError, match="invalid capsule"):
        fngrad.from_dlpack(5)
    with pytest.raises(AssertionError, match="device and copy kwargs not supported"):
        from_dlpack(to_dlpack(t), copy=True)
    with pytest.raises(TypeError, match="must be Tensor"):
        to_dlpack(np.zeros(2))
    # As torch.utils.dlpack.to_dlpack, the legacy function does not check requires_grad.
    x = fngrad.ones(2, requires_grad=True)
    assert from_dlpack(to_dlpack(x)).tolist() == [1.0, 1.0]


def test_the_capsule_keeps_the_memory_alive():
    # 1 MiB: a block of the large-block cache, which would be handed out again if freed early.
    t = fngrad.full((1 << 18,), 3.0)
    capsule = to_dlpack(t)
    a = np.from_dlpack(t)
    del t
    gc.collect()
    reuse = fngrad.full((1 << 18,), -1.0)
    assert (np.from_dlpack(_Holder(capsule)) == 3.0).all() and (a == 3.0).all()
    assert reuse[0].item() == -1.0


class _Holder:
    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **_):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)


def test_unsupported_dtype_and_device():
    with pytest.raises(TypeError, match=r"\[from_dlpack\].*int32"):
        fngrad.from_dlpack(np.zeros(2, dtype=np.int32))
    with pytest.raises(ValueError, match=r"\[from_dlpack\].*CPU"):
        fngrad.from_dlpack(np.zeros(2), device="cuda")
    assert fngrad.from_dlpack(np.zeros(2), device="cpu").tolist() == [0.0, 0.0]


# ---- PyTorch ----


@requires_torch
@pytest.mark.parametrize("dtype", NP_DTYPES)
def test_torch_reads_an_fngrad_tensor_in_place(dtype):
    import torch

    t = fngrad.from_numpy(sample(dtype).copy()).clone()
    tt = torch.from_dlpack(t)
    assert tt.data_ptr() == ptr(t) and tuple(tt.shape) == (2, 3)
    assert str(tt.dtype) == "torch." + ("bool" if dtype is np.bool_ else np.dtype(dtype).name)
    np.testing.assert_array_equal(tt.numpy(), sample(dtype))
    tt[1, 2] = other_value(dtype)  # torch -> fngrad
    assert t[1, 2].item() == other_value(dtype)
    t[0, 0] = other_value(dtype)  # fngrad -> torch
    assert tt[0, 0].item() == other_value(dtype)


@requires_torch
@pytest.mark.parametrize("dtype", NP_DTYPES)
def test_fngrad_imports_a_torch_tensor_in_place(dtype):
    import torch

    tt = torch.from_numpy(sample(dtype).copy())
    t = fngrad.from_dlpack(tt)
    assert ptr(t) == tt.data_ptr() and t.is_leaf and not t.requires_grad
    np.testing.assert_array_equal(t.numpy(), sample(dtype))
    t[1, 2] = other_value(dtype)
    assert tt[1, 2].item() == other_value(dtype)
    tt[0, 1] = other_value(dtype)
    assert t[0, 1].item() == other_value(dtype)


@requires_torch
def test_torch_non_contiguous_zero_dim_and_empty():
    import torch

    base = fngrad.arange(12.0).reshape(3, 4)
    tt = torch.from_dlpack(base.t()[::2])
    assert tt.stride() == (2, 4)
    np.testing.assert_array_equal(tt.numpy(), np.arange(12.0).reshape(3, 4).T[::2])
    src = torch.arange(12.0).reshape(3, 4)[:, 1::2]
    t = fngrad.from_dlpack(src)
    t[2, 1] = 100.0
    assert src[2, 1].item() == 100.0
    assert torch.from_dlpack(fngrad.tensor(True)).item() is True
    assert fngrad.from_dlpack(torch.tensor(4.0)).item() == 4.0
    assert tuple(torch.from_dlpack(fngrad.zeros(2, 0)).shape) == (2, 0)
    assert tuple(fngrad.from_dlpack(torch.zeros(0, 3)).shape) == (0, 3)


@requires_torch
def test_legacy_capsules_with_torch():
    import torch
    import torch.utils.dlpack

    t = fngrad.arange(3.0)
    tt = torch.utils.dlpack.from_dlpack(to_dlpack(t))
    tt[0] = 5.0
    assert t[0].item() == 5.0
    src = torch.zeros(2)
    u = fngrad.from_dlpack(torch.utils.dlpack.to_dlpack(src))
    u[1] = 2.0
    assert src[1].item() == 2.0


@requires_torch
def test_requires_grad_error_matches_pytorch():
    import torch

    with pytest.raises(BufferError) as theirs:
        torch.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(BufferError) as ours:
        torch.from_dlpack(fngrad.ones(2, requires_grad=True))
    assert str(ours.value) == str(theirs.value) == REQUIRES_GRAD_MESSAGE
    with pytest.raises(BufferError, match="require gradient"):
        fngrad.from_dlpack(torch.ones(2, requires_grad=True))  # PyTorch refuses the export


@requires_torch
def test_version_counters_match_pytorch():
    import torch

    results = []
    for lib in (torch, fngrad):
        a = lib.zeros(3)
        b = lib.from_dlpack(a)
        b.add_(1)
        after_b = (a._version, b._version)
        a.add_(1)
        results.append((after_b, (a._version, b._version), b is a, b.is_leaf, b.requires_grad))
    assert results[0] == results[1]


@requires_torch
def test_torch_keeps_an_exported_tensor_alive():
    import torch

    t = fngrad.full((1 << 18,), 3.0)
    tt = torch.from_dlpack(t)
    del t
    gc.collect()
    reuse = fngrad.full((1 << 18,), -1.0)
    assert bool((tt == 3.0).all()) and reuse[0].item() == -1.0
