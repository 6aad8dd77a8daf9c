"""The dropout family (dropout, dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout and their
modules): the masks' structure and scaling against the formulas, and PyTorch's warnings and errors."""

import math
import warnings

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import requires_torch

SATURATION = 1.7580993408473766  # SELU's -lambda * alpha


@pytest.mark.parametrize("fn,shape,channels", [(F.dropout1d, (4, 8, 50), 32), (F.dropout2d, (4, 8, 5, 5), 32),
                                               (F.dropout3d, (4, 8, 2, 3, 4), 32), (F.dropout1d, (8, 50), 8),
                                               (F.dropout3d, (8, 2, 3, 4), 8)])
def test_feature_dropout_zeroes_whole_channels_and_scales(fn, shape, channels):
    fngrad.manual_seed(0)
    x = fngrad.ones(*shape, dtype=fngrad.float64, requires_grad=True)
    y = fn(x, p=0.25)
    values = y.detach().numpy()
    for row in values.reshape(channels, -1):  # each channel is all zeros or all 1 / (1 - p)
        assert len(np.unique(row)) == 1 and row[0] in (0.0, 1 / 0.75)
    assert 0 < (values.reshape(channels, -1)[:, 0] == 0).sum() < channels
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # d(sum)/dx is the mask itself


def test_dropout_keeps_dtype_and_drops_about_p():
    fngrad.manual_seed(1)
    for dtype in (fngrad.float16, fngrad.bfloat16, fngrad.float32, fngrad.float64):
        y = F.dropout(fngrad.ones(20000, dtype=dtype), p=0.3)
        assert y.dtype == dtype
        dropped = float((y == 0).to(fngrad.float64).mean())
        assert abs(dropped - 0.3) < 0.02  # 20,000 draws: 0.02 is over 6 standard deviations
        kept = y[y != 0].to(fngrad.float64).numpy()
        np.testing.assert_allclose(kept, 1 / 0.7, rtol=1e-2)


def test_alpha_dropout_takes_the_two_affine_values_and_keeps_the_moments():
    p = 0.3
    a = 1 / math.sqrt((SATURATION**2 * p + 1) * (1 - p))
    fngrad.manual_seed(2)
    x = fngrad.randn(400000, dtype=fngrad.float64)
    y = F.alpha_dropout(x, p, training=True).numpy()
    xs = x.numpy()
    kept = np.isclose(y, a * xs + SATURATION * a * p)
    dropped = np.isclose(y, -SATURATION * a + SATURATION * a * p)
    assert np.all(kept | dropped)
    assert abs(dropped.mean() - p) < 0.01
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01  # SELU's fixed point: mean 0, variance 1
    assert np.array_equal(F.alpha_dropout(x, p).numpy(), xs)  # training is off by default


def test_feature_alpha_dropout_masks_channels():
    fngrad.manual_seed(3)
    y = F.feature_alpha_dropout(fngrad.zeros(6, 5, 7, dtype=fngrad.float64), 0.5, training=True).numpy()
    for channel in y.reshape(30, 7):
        assert len(np.unique(channel)) == 1


def test_p_one_gives_zeros_and_eval_is_identity():
    x = fngrad.randn(3, 4, 2, 2)
    assert (F.dropout2d(x, 1.0) == 0).all() and (F.alpha_dropout(x, 1.0, True) == 0).all()
    for module in (fngrad.nn.Dropout2d(), fngrad.nn.AlphaDropout(), fngrad.nn.FeatureAlphaDropout()):
        assert module.eval()(x) is x
    assert fngrad.nn.Dropout1d().eval()(x[0]) is not None and (fngrad.nn.Dropout1d().eval()(x[0]) == x[0]).all()
    y = x.clone()
    assert F.dropout(y, 1.0, inplace=True) is y and (y == 0).all()


@requires_torch
def test_warnings_errors_and_reprs_as_pytorchs():
    import torch

    def outcome(lib, call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                call(lib)
                error = None
            except Exception as e:  # noqa: BLE001 (the outcome is what is compared)
                error = (type(e).__name__, str(e))
        return error, [str(w.message) for w in caught]

    calls = [
        lambda L: L.nn.functional.dropout1d(L.ones(3)),
        lambda L: L.nn.functional.dropout2d(L.ones(3, 2), 0.5),
        lambda L: L.nn.functional.dropout2d(L.ones(2, 3, 4), 0.5),
        lambda L: L.nn.functional.dropout3d(L.ones(2, 3, 4), 0.5),
        lambda L: L.nn.functional.feature_alpha_dropout(L.ones(3), 0.5, True),
        lambda L: L.nn.functional.dropout(L.ones(3, dtype=L.int64), 0.5),
        lambda L: L.nn.functional.dropout(L.ones(3, dtype=L.bool), 0.5),
        lambda L: L.nn.functional.alpha_dropout(L.ones(3), 1.5),
        lambda L: L.nn.Dropout3d(-1),
    ]
    for call in calls:
        assert outcome(fngrad, call) == outcome(torch, call)
    for name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"):
        assert repr(getattr(fngrad.nn, name)(0.2, inplace=True)) == repr(getattr(torch.nn, name)(0.2, inplace=True))
