"""The 3-D layers (Conv3d, ConvTranspose3d, pools, BatchNorm3d, InstanceNorm3d, 3-D pads, LPPool3d),
SyncBatchNorm, Conv padding_mode and ConvTranspose output_size: against NumPy formulas, and case by
case against PyTorch where it is installed."""

import warnings

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

nn = fngrad.nn


def _np_conv3d(x, w, padding):
    x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    n, c, d, h, ww = x.shape
    o, _, kd, kh, kw = w.shape
    out = np.zeros((n, o, d - kd + 1, h - kh + 1, ww - kw + 1))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            for k in range(out.shape[4]):
                out[:, :, i, j, k] = np.einsum("ncdhw,ocdhw->no", x[:, :, i:i + kd, j:j + kh, k:k + kw], w)
    return out


def test_conv3d_is_the_correlation_sum():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(2, 2, 4, 5, 3)), rng.normal(size=(3, 2, 2, 3, 2))
    m = nn.Conv3d(2, 3, (2, 3, 2), padding=(1, 0, 1), bias=False).double()
    with fngrad.no_grad():
        m.weight.copy_(fngrad.tensor(w))
    np.testing.assert_allclose(m(fngrad.tensor(x)).detach().numpy(), _np_conv3d(x, w, (1, 0, 1)), rtol=1e-10)


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
def test_conv_padding_modes_pad_then_correlate(mode, np_mode):
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(1, 2, 5, 6)), rng.normal(size=(3, 2, 3, 3))
    m = nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode=mode, bias=False).double()
    with fngrad.no_grad():
        m.weight.copy_(fngrad.tensor(w))
    padded = np.pad(x, [(0, 0), (0, 0), (2, 2), (1, 1)], mode=np_mode)
    expected = _np_conv3d(padded[:, :, None], w[:, :, None], (0, 0, 0))[:, :, 0]
    np.testing.assert_allclose(m(fngrad.tensor(x)).detach().numpy(), expected, rtol=1e-10)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(2, 3, 3, padding_mode="bad")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(2, 3, 3, padding_mode=mode)


def test_conv_transpose_output_size_picks_the_output_padding():
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = fngrad.randn(1, 2, 5, 6)
    assert tuple(m(x).shape) == (1, 3, 9, 11)
    assert tuple(m(x, output_size=[10, 12]).shape) == (1, 3, 10, 12)
    assert tuple(m(x, output_size=(1, 3, 10, 11)).shape) == (1, 3, 10, 11)
    with pytest.raises(ValueError, match=r"valid sizes range from \[9, 11\] to \[10, 12\]"):
        m(x, output_size=[12, 12])


def test_3d_pools_norms_and_pads_against_numpy():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 4, 4, 6))
    t = fngrad.tensor(x)
    blocks = x.reshape(2, 3, 2, 2, 2, 2, 3, 2)
    np.testing.assert_allclose(nn.MaxPool3d(2)(t).numpy(), blocks.max(axis=(3, 5, 7)))
    np.testing.assert_allclose(nn.AvgPool3d(2)(t).numpy(), blocks.mean(axis=(3, 5, 7)))
    np.testing.assert_allclose(nn.AdaptiveAvgPool3d(1)(t).numpy().ravel(), x.mean(axis=(2, 3, 4)).ravel())
    np.testing.assert_allclose(nn.AdaptiveMaxPool3d(1)(t).numpy().ravel(), x.max(axis=(2, 3, 4)).ravel())
    np.testing.assert_allclose(nn.LPPool3d(2, 2)(t).numpy(), np.sqrt((blocks**2).sum(axis=(3, 5, 7))), rtol=1e-12)
    bn = nn.BatchNorm3d(3).double()(t).detach().numpy()
    mean, var = x.mean(axis=(0, 2, 3, 4), keepdims=True), x.var(axis=(0, 2, 3, 4), keepdims=True)
    np.testing.assert_allclose(bn, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-10, atol=1e-12)
    inorm = nn.InstanceNorm3d(3)(t).numpy()
    mean, var = x.mean(axis=(2, 3, 4), keepdims=True), x.var(axis=(2, 3, 4), keepdims=True)
    np.testing.assert_allclose(inorm, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-10, atol=1e-12)
    widths = [(0, 0), (0, 0), (1, 1), (2, 0), (0, 1)]  # F.pad order (0, 1, 2, 0, 1, 1): last dim first
    for module, np_mode in [(nn.ReflectionPad3d, "reflect"), (nn.ReplicationPad3d, "edge"), (nn.CircularPad3d, "wrap")]:
        np.testing.assert_allclose(module((0, 1, 2, 0, 1, 1))(t).numpy(), np.pad(x, widths, mode=np_mode))
    np.testing.assert_allclose(nn.ConstantPad3d((0, 1, 2, 0, 1, 1), 2.5)(t).numpy(),
                               np.pad(x, widths, constant_values=2.5))
    with pytest.raises(ValueError, match=r"expected 5D input \(got 4D input\)"):
        nn.BatchNorm3d(3)(t[0])


def test_sync_batch_norm_converts_and_normalises_locally():
    model = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2))
    model[1].running_mean.fill_(0.5)
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted[1], nn.SyncBatchNorm) and float(converted[1].running_mean[0]) == 0.5
    x = fngrad.randn(4, 2, 3, 3, dtype=fngrad.float64)
    out = nn.SyncBatchNorm(2).double()(x).detach().numpy()
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)


def test_size_slices_and_sums_are_sizes():
    s = fngrad.Size([1, 2, 3])
    for value in (s[1:], s + (4,), (0,) + s, s * 2):
        assert type(value) is fngrad.Size
    assert type(s[1]) is int and s[::2] == (1, 3)


def _cases(torch):
    nn_ = torch.nn
    x = torch.tensor(np.random.default_rng(0).normal(size=(2, 2, 4, 5, 6)))
    x2 = torch.tensor(np.random.default_rng(1).normal(size=(2, 2, 5, 6)))

    def conv(cls, shape, xx, **kw):
        m = cls(2, 3, shape[2:], bias=False, **kw).double()
        with torch.no_grad():
            m.weight.copy_(torch.tensor(np.random.default_rng(2).normal(size=shape)))
        return m(xx).sum((0, 1))

    def convt(out_size):
        m = nn_.ConvTranspose2d(2, 3, 3, stride=2, padding=1).double()
        with torch.no_grad():
            m.weight.copy_(torch.tensor(np.random.default_rng(4).normal(size=(2, 3, 3, 3))))
            m.bias.zero_()
        return m(x2, output_size=out_size).sum()

    return [
        lambda: conv(nn_.Conv3d, (3, 2, 2, 3, 3), x, padding=1, stride=(1, 2, 1)),
        lambda: conv(nn_.Conv2d, (3, 2, 3, 3), x2, padding=1, padding_mode="reflect"),
        lambda: conv(nn_.Conv2d, (3, 2, 3, 3), x2, padding="same", padding_mode="circular", dilation=2),
        lambda: conv(nn_.Conv2d, (3, 2, 3, 3), x2, padding=(2, 1), padding_mode="replicate"),
        lambda: conv(nn_.ConvTranspose3d, (2, 3, 2, 2, 2), x, stride=2),
        lambda: convt([10, 12]),
        lambda: convt([2, 3, 10, 11]),
        lambda: convt([12, 12]),
        lambda: convt([1, 2, 3]),
        lambda: (nn_.MaxPool3d(2)(x).sum(), nn_.AvgPool3d((2, 1, 3))(x).sum(), nn_.AdaptiveAvgPool3d((2, 3, 1))(x).sum(),
                 nn_.AdaptiveMaxPool3d(2, return_indices=True)(x)[1].sum(), nn_.LPPool3d(2, 2)(x.abs()).sum()),
        lambda: [nn_.ConstantPad3d(1, 2.0)(x).sum(), nn_.ReflectionPad3d(1)(x).sum(),
                 nn_.ReplicationPad3d((1, 2, 0, 1, 1, 0))(x).sum(), nn_.CircularPad3d(1)(x).sum()],
        lambda: [nn_.Conv3d(2, 3, 3), nn_.ConvTranspose3d(2, 3, 2, stride=2, output_padding=1),
                 nn_.Conv2d(2, 3, 3, padding="same", padding_mode="reflect"), nn_.MaxPool3d(2), nn_.AvgPool3d(2),
                 nn_.AdaptiveAvgPool3d(1), nn_.AdaptiveMaxPool3d(1), nn_.BatchNorm3d(3), nn_.InstanceNorm3d(2),
                 nn_.InstanceNorm3d(2, affine=True), nn_.InstanceNorm2d(2, affine=True, bias=False),
                 nn_.SyncBatchNorm(4), nn_.ConstantPad3d(1, 2.0), nn_.ZeroPad3d(1), nn_.ReflectionPad3d(1),
                 nn_.ReplicationPad3d(1), nn_.CircularPad3d(1), nn_.LPPool3d(2, 2)],
        lambda: [n for n, _ in nn_.InstanceNorm2d(2, affine=True, bias=False).named_parameters()],
        lambda: nn_.BatchNorm3d(2)(x2),
    ]


def _outcome(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = call()
        except Exception as error:  # noqa: BLE001 (the outcome is what is compared)
            return f"{type(error).__name__}: {error}".replace("torch.", "fngrad.")
    if isinstance(value, (list, tuple)) and value and hasattr(value[0], "numpy"):
        return [np.round(v.detach().numpy().astype(np.float64), 8).tolist() for v in value]
    if hasattr(value, "numpy"):
        return np.round(value.detach().numpy(), 8).tolist()
    return repr(value).replace("torch.", "fngrad.")


@requires_torch
@pytest.mark.parametrize("index", range(len(_cases(fngrad))))
def test_as_pytorch(index):
    import torch

    assert _outcome(_cases(fngrad)[index]) == _outcome(_cases(torch)[index])
