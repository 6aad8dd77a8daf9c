"""bfloat16 through the op families computed in NumPy (which has no bfloat16): they compute on the
float32 values (exact for bfloat16) and round float results back, as PyTorch's CPU kernels do; and
unsafe_split/unsafe_chunk, whose parts are no views and share one UnsafeSplitBackward0 node."""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

# Values bfloat16 holds exactly (8 significant bits), with ties and a NaN.
VALUES = [3.0, -1.5, 2.0, 0.25, 2.0, float("nan"), -8.0, 0.0]


def bf16(values):
    return fngrad.tensor(values, dtype=fngrad.bfloat16)


def as_f32(t):
    return t.float().numpy()


@pytest.mark.parametrize("fn", [fngrad.isnan, fngrad.isinf, fngrad.isfinite, fngrad.signbit, fngrad.isposinf,
                                fngrad.isneginf])
def test_classification_of_bfloat16_equals_numpy_on_its_values(fn):
    ref = getattr(np, fn.__name__)(np.array(VALUES, np.float32))
    out = fn(bf16(VALUES))
    assert out.dtype == fngrad.bool
    np.testing.assert_array_equal(out.numpy(), ref)


def test_sort_of_bfloat16_keeps_the_dtype_and_orders_nan_last():
    out = fngrad.sort(bf16(VALUES))
    assert out.values.dtype == fngrad.bfloat16 and out.indices.dtype == fngrad.int64
    np.testing.assert_array_equal(as_f32(out.values), np.sort(np.array(VALUES, np.float32)))
    np.testing.assert_array_equal(out.indices.numpy(), np.argsort(np.array(VALUES, np.float32), kind="stable"))


def test_unique_median_nan_to_num_flip_of_bfloat16():
    x = bf16(VALUES)
    u = fngrad.unique(x)
    assert u.dtype == fngrad.bfloat16
    np.testing.assert_array_equal(as_f32(u), np.unique(np.array(VALUES, np.float32)))
    finite = bf16([v for v in VALUES if v == v])
    m = fngrad.median(finite)
    assert m.dtype == fngrad.bfloat16 and m.item() == 0.25  # the lower of the two middle values
    n = fngrad.nan_to_num(bf16([float("inf"), float("nan"), -float("inf")]))
    assert n.dtype == fngrad.bfloat16
    # bfloat16's own largest finite value, (2 - 2**-7) * 2**127, not float32's (which rounds to inf).
    assert as_f32(n).tolist() == [(2 - 2 ** -7) * 2.0 ** 127, 0.0, -(2 - 2 ** -7) * 2.0 ** 127]
    f = fngrad.flipud(x)
    assert f.dtype == fngrad.bfloat16
    np.testing.assert_array_equal(as_f32(f), np.array(VALUES, np.float32)[::-1])


def test_ranges_in_bfloat16_are_rounded_float32_ranges():
    x = fngrad.linspace(0, 1, 7, dtype=fngrad.bfloat16)
    assert x.dtype == fngrad.bfloat16
    # Rounded to 8 significant bits: 1/6 is 0.1669921875 in bfloat16.
    assert as_f32(x)[1] == 0.1669921875
    assert as_f32(fngrad.arange(0, 3, dtype=fngrad.bfloat16)).tolist() == [0.0, 1.0, 2.0]
    assert fngrad.eye(2, dtype=fngrad.bfloat16).dtype == fngrad.bfloat16


@requires_torch
def test_histc_of_bfloat16_bins_as_pytorch_rounding_each_step():
    import torch

    gen = np.random.default_rng(0)
    for _ in range(30):
        values = (gen.standard_normal(13) * 3).astype(np.float32)
        bins = int(gen.integers(1, 120))
        expected = torch.histc(torch.from_numpy(values).bfloat16(), bins=bins)
        got = fngrad.histc(fngrad.from_numpy(values).to(fngrad.bfloat16), bins=bins)
        assert got.dtype == fngrad.bfloat16
        np.testing.assert_array_equal(as_f32(got), expected.float().numpy())


def test_unsafe_split_parts_are_no_views_and_share_one_node():
    x = fngrad.arange(6.0, dtype=fngrad.float64).requires_grad_()
    parts = fngrad.unsafe_split(x * 1, 4)
    assert [p.shape[0] for p in parts] == [4, 2]
    assert all(p._base is None for p in parts)
    assert parts[0].grad_fn is parts[1].grad_fn
    assert type(parts[0].grad_fn).__name__ == "UnsafeSplitBackward0"
    parts[1].mul_(2)  # not a view: in place is allowed (split's parts refuse it)
    parts[1].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0, 0, 2, 2])
    chunks = (x * 1).unsafe_chunk(3)
    assert len(chunks) == 3 and type(chunks[0].grad_fn).__name__ == "UnsafeSplitBackward0"
    assert fngrad.autograd.gradgradcheck(lambda t: fngrad.unsafe_chunk(t, 3, 0)[1] ** 2, (x,))


def test_prelu_and_hardshrink_are_tensor_methods():
    x = fngrad.tensor([-2.0, -0.25, 0.75])
    np.testing.assert_allclose(x.prelu(fngrad.tensor([0.25])).numpy(), [-0.5, -0.0625, 0.75])
    np.testing.assert_allclose(x.hardshrink().numpy(), [-2.0, 0.0, 0.75])
    np.testing.assert_allclose(x.hardshrink(lambd=1.0).numpy(), [-2.0, 0.0, 0.0])


def test_linalg_vander_of_narrow_ints_is_int64():
    out = fngrad.linalg.vander(fngrad.tensor([2, 3], dtype=fngrad.int16), N=3)
    assert out.dtype == fngrad.int64
    np.testing.assert_array_equal(out.numpy(), np.vander([2, 3], 3, increasing=True))
