"""Softmax2d, UpsamplingNearest2d/Bilinear2d, LPPool1d/2d, TripletMarginWithDistanceLoss,
MultiLabelMarginLoss, F.affine_grid, F.gumbel_softmax, F.lp_pool*, the in-place activation
spellings and the pools' *_with_indices forms: against NumPy formulas, and case by case against
PyTorch (values, reprs, errors) where it is installed; also the tensor repr's suffix wrapping."""

import warnings

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import requires_torch


def test_lp_pool_is_the_p_norm_of_each_window():
    x = np.random.default_rng(0).uniform(0.1, 2.0, size=(2, 3, 6, 4))
    got = F.lp_pool2d(fngrad.tensor(x), 3, 2).numpy()
    windows = x.reshape(2, 3, 3, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 3, 2, 4)
    np.testing.assert_allclose(got, (windows**3).sum(-1) ** (1 / 3), rtol=1e-12)
    got1 = fngrad.nn.LPPool1d(2, 3)(fngrad.tensor(x[:, :, :, 0].reshape(2, 3, 6))).numpy()
    np.testing.assert_allclose(got1, np.sqrt((x[:, :, :, 0].reshape(2, 3, 2, 3) ** 2).sum(-1)), rtol=1e-12)


def test_affine_grid_identity_is_the_base_grid_and_rotation_rotates_it():
    h, w = 3, 4
    identity = fngrad.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], dtype=fngrad.float64)
    for align in (True, False):
        xs, ys = np.linspace(-1, 1, w), np.linspace(-1, 1, h)
        if not align:
            xs, ys = xs * (w - 1) / w, ys * (h - 1) / h
        grid = F.affine_grid(identity, (1, 1, h, w), align_corners=align).numpy()
        np.testing.assert_allclose(grid[0, :, :, 0], np.broadcast_to(xs, (h, w)))
        np.testing.assert_allclose(grid[0, :, :, 1], np.broadcast_to(ys[:, None], (h, w)))
    c, s = np.cos(0.3), np.sin(0.3)
    rotation = fngrad.tensor([[[c, -s, 0.1], [s, c, -0.2]]])
    base = F.affine_grid(identity, (1, 1, h, w), align_corners=True).numpy().reshape(-1, 2)
    got = F.affine_grid(rotation, (1, 1, h, w), align_corners=True).numpy().reshape(-1, 2)
    np.testing.assert_allclose(got, base @ np.array([[c, s], [-s, c]]) + [0.1, -0.2], atol=1e-12)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.affine_grid(identity, (1, 1, h, w))


def test_affine_grid_gradient_reaches_theta():
    theta = fngrad.tensor([[[1.0, 0.2, 0.1], [0.3, 1.0, -0.2]]], dtype=fngrad.float64, requires_grad=True)
    F.affine_grid(theta, (1, 1, 2, 3), align_corners=True).sum().backward()
    # d(sum over points of (theta @ [x, y, 1]))/d theta[i, j] = sum over points of the j-th coordinate.
    xs, ys = np.meshgrid(np.linspace(-1, 1, 3), np.linspace(-1, 1, 2))
    expected = np.array([xs.sum(), ys.sum(), 6.0])
    np.testing.assert_allclose(theta.grad.numpy()[0], np.stack([expected, expected]), atol=1e-12)


def test_gumbel_softmax_soft_and_hard():
    fngrad.manual_seed(0)
    logits = fngrad.tensor([[0.0, 1.0, 2.0]] * 4, requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.sum(-1).detach().numpy(), 1.0, rtol=1e-6)
    hard = F.gumbel_softmax(logits, hard=True)
    values = hard.detach().numpy()
    assert set(np.unique(values)) <= {0.0, 1.0} and (values.sum(-1) == 1).all()
    hard.sum().backward()  # straight-through: the soft sample's gradient, whose rows sum to zero
    np.testing.assert_allclose(logits.grad.numpy(), 0.0, atol=1e-6)
    counts = np.zeros(3)
    for _ in range(2000):
        counts += F.gumbel_softmax(fngrad.tensor([0.0, 1.0, 2.0]), hard=True).numpy()
    probs = np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum()
    np.testing.assert_allclose(counts / 2000, probs, atol=0.04)  # Gumbel-max samples the softmax


def test_softmax2d_and_upsampling_modules():
    x = fngrad.randn(2, 3, 2, 2)
    np.testing.assert_allclose(fngrad.nn.Softmax2d()(x).sum(1).numpy(), 1.0, rtol=1e-6)
    up = fngrad.nn.UpsamplingNearest2d(scale_factor=2)(x).numpy()
    np.testing.assert_array_equal(up, x.numpy().repeat(2, axis=2).repeat(2, axis=3))
    lin = fngrad.nn.UpsamplingBilinear2d(size=(1, 5))(fngrad.tensor([[[[0.0, 4.0]]]])).numpy()
    np.testing.assert_allclose(lin.ravel(), [0, 1, 2, 3, 4])


def test_in_place_spellings_and_with_indices():
    x = fngrad.tensor([-1.0, 2.0])
    assert F.elu_(x) is x and np.allclose(x.numpy(), [np.expm1(-1.0), 2.0])
    y = fngrad.tensor([-1.0, 2.0])
    assert F.leaky_relu_(y, 0.2) is y and y.tolist() == pytest.approx([-0.2, 2.0])
    out, idx = F.max_pool2d_with_indices(fngrad.arange(16.0).reshape(1, 1, 4, 4), 2)
    assert out.flatten().tolist() == [5.0, 7.0, 13.0, 15.0] and idx.flatten().tolist() == [5, 7, 13, 15]


def test_tensor_repr_wraps_a_long_suffix_as_pytorch():
    x = fngrad.ones(2, 9, dtype=fngrad.float64) * 1.5
    assert repr(x).splitlines()[-1] == "       dtype=fngrad.float64)"
    assert repr(fngrad.ones(1, 3, dtype=fngrad.float64)) == "tensor([[1., 1., 1.]], dtype=fngrad.float64)"


def _cases(torch):
    F_ = torch.nn.functional
    th = torch.tensor([[[1.0, 0.2, 0.1], [0.3, 1.0, -0.2]], [[0.5, 0.1, 0.3], [-0.3, 0.9, 0.2]]], dtype=torch.float64)
    th3 = torch.tensor([[[1.0, 0.2, 0.1, 0.3], [0.3, 1.0, -0.2, 0.1], [0.1, 0.1, 0.9, -0.4]]], dtype=torch.float64)
    x = torch.tensor([[[1.0, -2.0, 3.0, 0.5, 4.0]]], dtype=torch.float64)
    x2 = torch.arange(16.0, dtype=torch.float64).reshape(1, 1, 4, 4) / 3
    a, p, n = torch.tensor([[1.0, 2.0], [0.0, 1.0]]), torch.tensor([[1.5, 2.0], [0.0, 0.0]]), torch.tensor(
        [[0.0, 0.0], [1.0, 1.0]])
    return [
        lambda: F_.affine_grid(th, (2, 1, 2, 3), align_corners=False),
        lambda: F_.affine_grid(th, (2, 1, 3, 1), align_corners=True),
        lambda: F_.affine_grid(th3, (1, 1, 2, 2, 3), align_corners=False),
        lambda: F_.affine_grid(th3, (1, 1, 2, 1, 3), align_corners=True),
        lambda: F_.affine_grid(th.long(), (1, 1, 2, 3), False),
        lambda: F_.affine_grid(th, (1, 1, 2), False),
        lambda: F_.affine_grid(th, (1, 1, 2, 3, 4), False),
        lambda: F_.affine_grid(th, (2, 1, 0, 3), False),
        lambda: F_.lp_pool1d(x, 2, 2),
        lambda: F_.lp_pool1d(x, 1.5, 2, stride=1, ceil_mode=True),
        lambda: F_.lp_pool2d(x2, 3, (2, 1)),
        lambda: F_.max_pool2d_with_indices(x2, 2),
        lambda: F_.adaptive_max_pool1d_with_indices(x, 2),
        lambda: (F_.elu_(torch.tensor([-1.0, 2.0])), F_.selu_(torch.tensor([-1.0])), F_.celu_(torch.tensor([-1.0]), 2.0)),
        lambda: torch.nn.Softmax2d()(x2),
        lambda: torch.nn.Softmax2d()(torch.ones(3)),
        lambda: (torch.nn.UpsamplingNearest2d(scale_factor=2), torch.nn.UpsamplingBilinear2d(size=(3, 4)),
                 torch.nn.Softmax2d(), torch.nn.LPPool2d(2, 3), torch.nn.LPPool1d(1.5, 2, stride=1, ceil_mode=True),
                 torch.nn.TripletMarginWithDistanceLoss(), torch.nn.MultiLabelMarginLoss()),
        lambda: torch.nn.UpsamplingNearest2d(scale_factor=2)(x2),
        lambda: torch.nn.UpsamplingBilinear2d(size=(3, 5))(x2),
        lambda: torch.nn.LPPool2d(2, 2)(x2),
        lambda: torch.nn.TripletMarginWithDistanceLoss(margin=0.5, swap=True)(a, p, n),
        lambda: torch.nn.TripletMarginWithDistanceLoss(distance_function=lambda u, v: (u - v).abs().sum(-1),
                                                       reduction="none")(a, p, n),
        lambda: torch.nn.TripletMarginWithDistanceLoss(margin=0),
        lambda: torch.nn.MultiLabelMarginLoss()(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([[3, 0, -1, 1]])),
        lambda: F_.gumbel_softmax(torch.ones(3, dtype=torch.long)),
    ]


def _outcome(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return repr(call()).replace("torch.", "fngrad.").replace("\n       dtype=", " dtype=").replace(
                ",\n dtype=", ", dtype=")
        except Exception as error:  # noqa: BLE001 (the outcome is what is compared)
            return f"{type(error).__name__}: {error}".replace("torch.", "fngrad.")


@requires_torch
@pytest.mark.parametrize("index", range(len(_cases(fngrad))))
def test_as_pytorch(index):
    import torch

    assert _outcome(_cases(fngrad)[index]) == _outcome(_cases(torch)[index])


# ---- embedding_bag / EmbeddingBag ----

def test_embedding_bag_reduces_each_bag_as_numpy():
    w = np.arange(12.0).reshape(4, 3)
    ids, offsets = [3, 1, 3, 0, 2], [0, 1, 1, 4]
    bags = [ids[a:b] for a, b in zip(offsets, offsets[1:] + [len(ids)])]
    for mode, reduce in [("sum", np.sum), ("mean", np.mean), ("max", np.max)]:
        got = F.embedding_bag(fngrad.tensor(ids), fngrad.tensor(w), fngrad.tensor(offsets), mode=mode).numpy()
        want = np.stack([reduce(w[b], axis=0) if b else np.zeros(3) for b in bags])
        np.testing.assert_allclose(got, want)
    weight = fngrad.tensor(w, requires_grad=True)
    F.embedding_bag(fngrad.tensor([[0, 1, 1]]), weight, mode="mean", padding_idx=0).sum().backward()
    np.testing.assert_allclose(weight.grad.numpy()[:, 0], [0.0, 1.0, 0.0, 0.0])  # 2 of 2 kept entries are row 1
    bag = fngrad.nn.EmbeddingBag(5, 2, mode="sum")
    scaled = bag(fngrad.tensor([1, 2]), fngrad.tensor([0]), per_sample_weights=fngrad.tensor([2.0, -1.0]))
    np.testing.assert_allclose(scaled.detach().numpy()[0], 2 * bag.weight.detach().numpy()[1] - bag.weight.detach()
                               .numpy()[2], rtol=1e-6)
    with pytest.raises(IndexError, match="index out of range"):
        F.embedding_bag(fngrad.tensor([0, 9]), fngrad.tensor(w), fngrad.tensor([0]))


def _bag_cases(torch):
    F_ = torch.nn.functional

    def run(*args, **kwargs):
        w = torch.arange(12.0, dtype=torch.float64).reshape(4, 3).requires_grad_()
        out = F_.embedding_bag(args[0], w, *args[1:], **kwargs)
        (out * torch.arange(1.0, out.numel() + 1, dtype=torch.float64).reshape(out.shape)).sum().backward()
        return out.detach(), w.grad

    return [
        lambda: run(torch.tensor([0, 1, 2]), torch.tensor([0, 2]), mode="max"),
        lambda: run(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 0, 3]), mode="mean", padding_idx=1),
        lambda: run(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 2, 4]), include_last_offset=True),
        lambda: run(torch.tensor([[0, 1], [2, 3]]), mode="sum",
                    per_sample_weights=torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)),
        lambda: run(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 2]), mode="max", padding_idx=2),
        lambda: run(torch.tensor([3, 1, 3, 0, 2]), torch.tensor([0, 1, 1, 4]), mode="sum"),
        lambda: run(torch.tensor([0, 1, 2], dtype=torch.int32), torch.tensor([0, 2], dtype=torch.int32)),
        lambda: run(torch.tensor([0, 1, 2]), torch.tensor([1, 2])),
        lambda: run(torch.tensor([0, 1, 2]), torch.tensor([0, 5])),
        lambda: run(torch.tensor([0, 1]), torch.tensor([0]), mode="bad"),
        lambda: run(torch.tensor([0, 1]), torch.tensor([0]), per_sample_weights=torch.ones(2)),
        lambda: run(torch.tensor([0, 1])),
        lambda: torch.nn.EmbeddingBag(10, 3, mode="max", padding_idx=-1),
        lambda: torch.nn.EmbeddingBag.from_pretrained(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))(torch.tensor([[0, 1]])),
    ]


@requires_torch
@pytest.mark.parametrize("index", range(len(_bag_cases(fngrad))))
def test_embedding_bag_as_pytorch(index):
    import torch

    ours, theirs = _outcome(_bag_cases(fngrad)[index]), _outcome(_bag_cases(torch)[index])
    # PyTorch's first-offset message carries a stray line from its C++ check macro.
    assert ours == theirs.replace("\n[ fngrad.LongTensor{} ]", "")
