"""fngrad.distributions against the densities written out with NumPy, sample statistics, the
reparameterised gradient, and PyTorch's torch.distributions (values, errors)."""

import math

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.distributions import Bernoulli, Categorical, Normal, kl_divergence


def test_normal_density_entropy_cdf_and_rsample_gradient():
    loc, scale, x = np.array([0.5, -1.0]), np.array([2.0, 0.3]), np.array([1.0, -0.7])
    d = Normal(fngrad.tensor(loc), fngrad.tensor(scale))
    want = -((x - loc) ** 2) / (2 * scale**2) - np.log(scale) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(d.log_prob(fngrad.tensor(x)).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(d.entropy().numpy(), 0.5 * np.log(2 * np.pi * np.e * scale**2), rtol=1e-12)
    np.testing.assert_allclose(d.cdf(fngrad.tensor(loc)).numpy(), [0.5, 0.5])
    mu = fngrad.tensor([0.0, 0.0], requires_grad=True)
    sigma = fngrad.tensor([1.0, 3.0], requires_grad=True)
    fngrad.manual_seed(0)
    z = Normal(mu, sigma).rsample((20000,))
    assert z.shape == (20000, 2)
    np.testing.assert_allclose(z.detach().numpy().std(0), [1.0, 3.0], rtol=0.03)
    z.mean().backward()  # d mean(mu + sigma * eps) / d mu = 1/2 per coordinate
    np.testing.assert_allclose(mu.grad.numpy(), [0.5, 0.5], rtol=1e-3)  # float32 sums of 20000 terms
    assert not Normal(mu, sigma).sample().requires_grad


def test_categorical_and_bernoulli_against_formulas():
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    c = Categorical(probs=fngrad.tensor(p * 3))  # normalised along the last dim
    np.testing.assert_allclose(c.probs.numpy(), p, rtol=1e-6)
    np.testing.assert_allclose(c.log_prob(fngrad.tensor([2, 0])).numpy(), np.log([0.7, 0.5]), rtol=1e-6)
    ent = -np.array([np.sum(r[r > 0] * np.log(r[r > 0])) for r in p])
    np.testing.assert_allclose(c.entropy().numpy(), ent, rtol=1e-5)
    fngrad.manual_seed(1)
    draws = Categorical(probs=fngrad.tensor([0.2, 0.3, 0.5])).sample((30000,)).numpy()
    assert draws.dtype == np.int64 and set(np.unique(draws)) == {0, 1, 2}
    np.testing.assert_allclose(np.bincount(draws) / draws.size, [0.2, 0.3, 0.5], atol=0.015)
    b = Bernoulli(logits=fngrad.tensor([0.0, 2.0]))
    q = 1 / (1 + np.exp(-2.0))
    np.testing.assert_allclose(b.log_prob(fngrad.tensor([1.0, 0.0])).numpy(), [np.log(0.5), np.log(1 - q)], rtol=1e-6)
    np.testing.assert_allclose(b.entropy().numpy(), [np.log(2), -(q * np.log(q) + (1 - q) * np.log(1 - q))],
                               rtol=1e-6)
    logits = fngrad.zeros(3, requires_grad=True)
    Categorical(logits=logits).log_prob(fngrad.tensor(1)).backward()  # d log softmax_1 / d logits = e_1 - p
    np.testing.assert_allclose(logits.grad.numpy(), [-1 / 3, 2 / 3, -1 / 3], rtol=1e-6)


def test_kl_and_argument_errors():
    kl = kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0)).item()
    assert kl == pytest.approx(math.log(2) + (1 + 1) / (2 * 4) - 0.5)
    kl = kl_divergence(Categorical(probs=fngrad.tensor([0.5, 0.5, 0.0])),
                       Categorical(probs=fngrad.tensor([0.25, 0.25, 0.5]))).item()
    assert kl == pytest.approx(math.log(2), rel=1e-6)
    with pytest.raises(ValueError, match="constraint GreaterThan"):
        Normal(fngrad.zeros(2), -fngrad.ones(2))
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        Categorical()
    with pytest.raises(ValueError, match="constraint Interval"):
        Bernoulli(probs=fngrad.tensor([1.5]))
    with pytest.raises(NotImplementedError):
        kl_divergence(Normal(0.0, 1.0), Bernoulli(0.3))


@requires_torch
def test_matches_torch():
    import torch

    rng = np.random.default_rng(0)
    loc, scale, x = rng.standard_normal(4), rng.random(4) + 0.1, rng.standard_normal(4)
    logits, k = rng.standard_normal((4, 5)), rng.integers(0, 5, 4)
    pairs = []
    for lib in (fngrad, torch):
        D = lib.distributions
        n, q = D.Normal(lib.tensor(loc), lib.tensor(scale)), D.Normal(lib.tensor(x), lib.tensor(scale * 2))
        c, c2 = D.Categorical(logits=lib.tensor(logits)), D.Categorical(probs=lib.tensor(np.abs(logits)))
        b = D.Bernoulli(logits=lib.tensor(x))
        pairs.append([n.log_prob(lib.tensor(x)), n.entropy(), n.cdf(lib.tensor(x)), D.kl_divergence(n, q),
                      c.log_prob(lib.tensor(k)), c.entropy(), c.probs, c2.logits, D.kl_divergence(c, c2),
                      b.log_prob(lib.tensor((x > 0).astype(float))), b.entropy(), b.probs,
                      D.kl_divergence(b, D.Bernoulli(probs=lib.tensor(np.full(4, 0.3))))])
    for ours, theirs in zip(*pairs):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)
    assert repr(Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
