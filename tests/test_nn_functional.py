"""fngrad.nn.functional against NumPy formulas and, when installed, PyTorch."""

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import requires_torch


def log_softmax_np(x, axis=1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def test_cross_entropy_with_class_indices_matches_formula():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4))
    target = np.array([0, 3, 1, 1, 2])
    x = fngrad.tensor(logits, dtype=fngrad.float64, requires_grad=True)
    loss = F.cross_entropy(x, fngrad.tensor(target))
    lp = log_softmax_np(logits)
    np.testing.assert_allclose(loss.item(), -lp[np.arange(5), target].mean(), rtol=1e-12)
    loss.backward()
    probs = np.exp(lp)
    expected = probs.copy()
    expected[np.arange(5), target] -= 1
    np.testing.assert_allclose(x.grad.numpy(), expected / 5, rtol=1e-10)


def test_cross_entropy_reductions_and_gradcheck():
    rng = np.random.default_rng(1)
    x = fngrad.tensor(rng.standard_normal((3, 4)), dtype=fngrad.float64, requires_grad=True)
    t = fngrad.tensor([1, 0, 3])
    s = F.cross_entropy(x, t, reduction="sum")
    n = F.cross_entropy(x, t, reduction="none")
    assert n.shape == (3,)
    np.testing.assert_allclose(s.item(), n.sum().item())
    assert fngrad.autograd.gradcheck(lambda a: F.cross_entropy(a, t), (x,))
    assert fngrad.autograd.gradgradcheck(lambda a: F.cross_entropy(a, t), (x,))
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.cross_entropy(x, t, reduction="avg")
    with pytest.raises(IndexError, match=r"\[nll_loss\] Target 7 is out of bounds"):
        F.cross_entropy(x, fngrad.tensor([7, 0, 0]))


def test_mse_loss_and_linear():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    x = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    loss = F.mse_loss(x, fngrad.tensor(b, dtype=fngrad.float64))
    np.testing.assert_allclose(loss.item(), ((a - b) ** 2).mean())
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (a - b) / 6)
    w, bias = rng.standard_normal((4, 2)), rng.standard_normal(4)
    out = F.linear(fngrad.tensor(a), fngrad.tensor(w), fngrad.tensor(bias))
    np.testing.assert_allclose(out.numpy(), a @ w.T + bias, rtol=1e-6)


def test_dropout_is_seeded_and_scaled():
    x = fngrad.ones(1000)
    fngrad.manual_seed(3)
    a = F.dropout(x, 0.25).numpy().copy()
    fngrad.manual_seed(3)
    b = F.dropout(x, 0.25).numpy()
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.15 < (a == 0).mean() < 0.35
    assert F.dropout(x, 0.25, training=False) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout(x, 1.5)


@requires_torch
@pytest.mark.parametrize("case", [
    "ce_indices", "ce_probs", "ce_weight", "ce_ignore", "ce_smoothing", "ce_nd", "nll", "mse_sum", "l1",
    "bce", "gelu", "gelu_tanh", "silu", "softplus", "elu", "leaky", "log_softmax",
])
def test_matches_pytorch(case):
    import torch
    import torch.nn.functional as TF

    rng = np.random.default_rng(4)
    logits = rng.standard_normal((4, 5))
    nd = rng.standard_normal((2, 5, 3))
    target = np.array([0, 4, 2, 2])
    probs = np.exp(log_softmax_np(rng.standard_normal((4, 5))))
    weight = rng.uniform(0.5, 2.0, 5)

    def run(lib, FF):
        x = lib.tensor(logits, dtype=lib.float64, requires_grad=True)
        t = lib.tensor(target)
        cases = {
            "ce_indices": lambda: FF.cross_entropy(x, t),
            "ce_probs": lambda: FF.cross_entropy(x, lib.tensor(probs, dtype=lib.float64)),
            "ce_weight": lambda: FF.cross_entropy(x, t, weight=lib.tensor(weight, dtype=lib.float64)),
            "ce_ignore": lambda: FF.cross_entropy(x, t, ignore_index=2),
            "ce_smoothing": lambda: FF.cross_entropy(x, t, label_smoothing=0.1),
            "ce_nd": lambda: FF.cross_entropy(x.reshape(2, 2, 5).permute(0, 2, 1) * 1.0 + lib.tensor(nd[:, :, :2], dtype=lib.float64),
                                              t.reshape(2, 2)),
            "nll": lambda: FF.nll_loss(FF.log_softmax(x, dim=1), t, reduction="sum"),
            "mse_sum": lambda: FF.mse_loss(x, x.detach() * 0.5, reduction="sum"),
            "l1": lambda: FF.l1_loss(x, x.detach() * 0.5 + 0.1),
            "bce": lambda: FF.binary_cross_entropy(x.sigmoid(), lib.tensor(probs, dtype=lib.float64)),
            "gelu": lambda: FF.gelu(x).sum(),
            "gelu_tanh": lambda: FF.gelu(x, approximate="tanh").sum(),
            "silu": lambda: FF.silu(x).sum(),
            "softplus": lambda: FF.softplus(x * 8, beta=2, threshold=5).sum(),
            "elu": lambda: FF.elu(x, alpha=0.7).sum(),
            "leaky": lambda: FF.leaky_relu(x, 0.3).sum(),
            "log_softmax": lambda: (FF.log_softmax(x, dim=0) * lib.tensor(probs, dtype=lib.float64)).sum(),
        }
        loss = cases[case]()
        loss.backward()
        return loss.item(), x.grad.numpy()

    ours = run(fngrad, F)
    theirs = run(torch, TF)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9, atol=1e-12)
