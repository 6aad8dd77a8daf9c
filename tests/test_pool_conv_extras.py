"""adaptive_max_pool{1,2,3}d(return_indices=True) against PyTorch, and ConvTranspose's weight made
once in its (in, out / groups, *kernel) shape with PyTorch's initialisation bounds."""

import math

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import requires_torch

RNG = np.random.default_rng(3)


def _with_ties_and_nans(shape):
    a = RNG.integers(0, 4, size=shape).astype(np.float64)  # many equal maxima in a window
    a.reshape(-1)[RNG.choice(a.size, size=max(1, a.size // 25), replace=False)] = np.nan
    return a


CASES = [
    ("adaptive_max_pool1d", (2, 3, 11), 4),
    ("adaptive_max_pool1d", (3, 10), 3),
    ("adaptive_max_pool2d", (2, 3, 7, 9), (3, 4)),
    ("adaptive_max_pool2d", (2, 3, 7, 9), (None, 2)),
    ("adaptive_max_pool2d", (3, 5, 5), 5),
    ("adaptive_max_pool3d", (1, 2, 5, 6, 7), (2, 3, 4)),
]


@requires_torch
@pytest.mark.parametrize("name, shape, size", CASES)
def test_adaptive_max_pool_return_indices_matches_torch(name, shape, size):
    import torch

    for values in (RNG.standard_normal(shape), _with_ties_and_nans(shape)):
        x = fngrad.tensor(values, requires_grad=True)
        tx = torch.tensor(values, requires_grad=True)
        out, idx = getattr(F, name)(x, size, return_indices=True)
        t_out, t_idx = getattr(torch.nn.functional, name)(tx, size, return_indices=True)
        assert idx.dtype == fngrad.int64 and tuple(idx.shape) == tuple(t_idx.shape)
        np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
        np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())
        g = RNG.standard_normal(tuple(t_out.shape))
        out.backward(fngrad.tensor(g))
        t_out.backward(torch.tensor(g))
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@requires_torch
def test_adaptive_max_pool_module_return_indices_and_unpool():
    import torch

    values = RNG.standard_normal((2, 3, 8, 8))
    out, idx = fngrad.nn.AdaptiveMaxPool2d(4, return_indices=True)(fngrad.tensor(values))
    t_out, t_idx = torch.nn.AdaptiveMaxPool2d(4, return_indices=True)(torch.tensor(values))
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
    # The indices feed max_unpool2d as PyTorch's do (windows of 2 with stride 2 here).
    np.testing.assert_array_equal(F.max_unpool2d(out, idx, 2).numpy(),
                                  torch.nn.functional.max_unpool2d(t_out, t_idx, 2).numpy())


@pytest.mark.parametrize("cls, nd", [(fngrad.nn.ConvTranspose1d, 1), (fngrad.nn.ConvTranspose2d, 2)])
def test_conv_transpose_weight_shape_and_init_bounds(cls, nd):
    m = cls(6, 8, 3, groups=2)
    assert tuple(m.weight.shape) == (6, 4) + (3,) * nd
    # PyTorch: fan_in from weight.size(1) * prod(kernel) = (out / groups) * k^nd; kaiming_uniform_(a=sqrt(5))
    # gives the bound 1 / sqrt(fan_in), the bias the same.
    bound = 1 / math.sqrt(4 * 3 ** nd)
    for p in (m.weight, m.bias):
        v = p.detach().numpy()
        assert np.abs(v).max() <= bound
        assert np.abs(v).max() > 0.5 * bound  # drawn from the whole range, not a narrower one
    assert m.transposed is True and m.bias.shape == (8,)


def test_conv_transpose_draws_its_parameters_once():
    # The weight, then the bias, each drawn once: the same numbers as initialising tensors of those
    # shapes in that order from the same seed.
    fngrad.manual_seed(7)
    m = fngrad.nn.ConvTranspose2d(3, 5, 2)
    fngrad.manual_seed(7)
    w = fngrad.empty(3, 5, 2, 2)
    fngrad.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    b = fngrad.empty(5)
    fngrad.nn.init.uniform_(b, -1 / math.sqrt(20), 1 / math.sqrt(20))
    np.testing.assert_array_equal(m.weight.detach().numpy(), w.numpy())
    np.testing.assert_array_equal(m.bias.detach().numpy(), b.numpy())
