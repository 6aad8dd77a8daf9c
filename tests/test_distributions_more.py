"""The rest of fngrad.distributions (MultivariateNormal, Independent, Uniform, Laplace, Exponential,
Cauchy, Gumbel, LogNormal, OneHotCategorical, the relaxed ones, MixtureSameFamily, transforms,
constraints, kl_divergence's pairs): values, gradients and errors against torch.distributions with
the same parameters (float64), sample statistics over 20k draws, and closed forms written out with
NumPy where no torch is needed."""

import math

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.distributions import (
    AffineTransform,
    Bernoulli,
    Categorical,
    Cauchy,
    ComposeTransform,
    Exponential,
    ExpTransform,
    Gumbel,
    Independent,
    Laplace,
    LogNormal,
    MixtureSameFamily,
    MultivariateNormal,
    Normal,
    OneHotCategorical,
    RelaxedBernoulli,
    SigmoidTransform,
    TanhTransform,
    TransformedDistribution,
    Uniform,
    constraints,
    kl_divergence,
    register_kl,
)

F64 = fngrad.float64
RNG = np.random.default_rng(0)
LOC, SCALE = RNG.standard_normal(3), RNG.random(3) + 0.5
A = RNG.standard_normal((3, 3))
COV = A @ A.T + 3 * np.eye(3)
HAS_LGAMMA = hasattr(fngrad, "lgamma")
HAS_ERFINV = hasattr(fngrad.Tensor, "erfinv")


def t(x, grad=False):
    return fngrad.tensor(np.asarray(x, dtype=np.float64), requires_grad=grad)


# ---- (name, constructor params (arrays), values inside the support, cdf?, icdf?)
def _cases():
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    return {
        "Normal": (lambda D, p: D.Normal(p[0], p[1]), [LOC, SCALE], RNG.standard_normal(3), True, HAS_ERFINV),
        "Uniform": (lambda D, p: D.Uniform(p[0], p[1]), [LOC, LOC + SCALE], LOC + 0.3 * SCALE, True, True),
        "Laplace": (lambda D, p: D.Laplace(p[0], p[1]), [LOC, SCALE], RNG.standard_normal(3), True, True),
        "Exponential": (lambda D, p: D.Exponential(p[0]), [SCALE], RNG.random(3) * 2, True, True),
        "Cauchy": (lambda D, p: D.Cauchy(p[0], p[1]), [LOC, SCALE], RNG.standard_normal(3), True, True),
        "Gumbel": (lambda D, p: D.Gumbel(p[0], p[1]), [LOC, SCALE], RNG.standard_normal(3), True, True),
        "LogNormal": (lambda D, p: D.LogNormal(p[0], p[1]), [LOC, SCALE], RNG.random(3) + 0.2, True, HAS_ERFINV),
        "Independent": (lambda D, p: D.Independent(D.Normal(p[0], p[1]), 1), [LOC, SCALE], RNG.standard_normal(3),
                        False, False),
        "MVN_cov": (lambda D, p: D.MultivariateNormal(p[0], covariance_matrix=p[1]), [LOC, COV],
                    RNG.standard_normal((4, 3)), False, False),
        "MVN_tril": (lambda D, p: D.MultivariateNormal(p[0], scale_tril=p[1]), [LOC, np.linalg.cholesky(COV)],
                     RNG.standard_normal((4, 3)), False, False),
        "MVN_prec": (lambda D, p: D.MultivariateNormal(p[0], precision_matrix=p[1]), [LOC, np.linalg.inv(COV)],
                     RNG.standard_normal((4, 3)), False, False),
        "OneHotCategorical": (lambda D, p: D.OneHotCategorical(probs=p[0]), [probs], np.eye(3)[[2, 0]], False, False),
        "OneHotCategorical_logits": (lambda D, p: D.OneHotCategorical(logits=p[0]), [np.log(probs) + 1.0],
                                     np.eye(3)[[1, 1]], False, False),
        "RelaxedBernoulli": (lambda D, p: D.RelaxedBernoulli(p[0], probs=p[1]), [np.array(0.7), SCALE / 2],
                             RNG.random(3) * 0.9 + 0.05, False, False),
        "RelaxedOneHotCategorical": (lambda D, p: D.RelaxedOneHotCategorical(p[0], logits=p[1]),
                                     [np.array(0.7), np.log(probs)], probs[::-1].copy(), False, False),
        "MixtureSameFamily": (lambda D, p: D.MixtureSameFamily(D.Categorical(logits=p[0]), D.Normal(p[1], p[2])),
                              [np.log(probs[0]), LOC, SCALE], RNG.standard_normal(5), True, False),
        "TanhNormal": (lambda D, p: D.TransformedDistribution(
            D.Normal(p[0], p[1]), [D.transforms.TanhTransform(), D.transforms.AffineTransform(0.5, 2.0)]),
            [LOC, SCALE], RNG.random(3) * 3.6 - 1.3, False, False),
        "SigmoidExpCompose": (lambda D, p: D.TransformedDistribution(
            D.Normal(p[0], p[1]), D.transforms.ComposeTransform([D.transforms.SigmoidTransform(),
                                                                 D.transforms.ExpTransform()])),
            [LOC, SCALE], np.exp(RNG.random(3) * 0.9 + 0.05), True, HAS_ERFINV),
    }


CASES = _cases()


def _build(lib, name, grad=False):
    make, params, value, _, _ = CASES[name]
    ts = [lib.tensor(p, dtype=lib.float64, requires_grad=grad and p.ndim > 0) for p in params]
    return make(lib.distributions, ts), ts, lib.tensor(value, dtype=lib.float64)


def _same(ours, theirs, what):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=what)


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_shapes_and_gradients_match_torch(name):
    import torch

    (ours, ots, x), (theirs, tts, tx) = _build(fngrad, name, grad=True), _build(torch, name, grad=True)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert repr(ours.support).split("(")[0] == repr(theirs.support).split("(")[0]
    _same(ours.log_prob(x), theirs.log_prob(tx), "log_prob")
    for attr in ("mean", "variance", "stddev", "mode"):
        try:
            want = getattr(theirs, attr)
        except NotImplementedError:
            continue
        _same(getattr(ours, attr), want, attr)
    try:
        want = theirs.entropy()
    except NotImplementedError:
        want = None
    if want is not None:
        _same(ours.entropy(), want, "entropy")
    if CASES[name][3]:
        _same(ours.cdf(x), theirs.cdf(tx), "cdf")
    if CASES[name][4]:
        q = np.array([0.1, 0.5, 0.93])
        _same(ours.icdf(t(q)), theirs.icdf(torch.tensor(q)), "icdf")
    # gradients of log_prob (and entropy) w.r.t. every parameter
    loss, tloss = ours.log_prob(x).sum(), theirs.log_prob(tx).sum()
    if want is not None and want.requires_grad:
        loss, tloss = loss + ours.entropy().sum(), tloss + theirs.entropy().sum()
    loss.backward()
    tloss.backward()
    for a, b in zip(ots, tts):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)
    # sample shapes
    assert tuple(ours.sample((5, 2)).shape) == tuple(theirs.sample((5, 2)).shape)
    assert tuple(ours.expand((4,) + tuple(ours.batch_shape)).sample().shape) == \
        tuple(theirs.expand((4,) + tuple(theirs.batch_shape)).sample().shape)


@requires_torch
@pytest.mark.parametrize("name", ["Normal", "Uniform", "Laplace", "Exponential", "Cauchy", "Gumbel", "LogNormal",
                                  "MVN_cov", "MVN_tril", "MVN_prec", "Independent", "TanhNormal"])
def test_rsample_gradient_equals_the_reparameterisation_formula(name):
    # fngrad draws u ~ U[0, 1) or eps ~ N(0, 1) from its generator; drawing again after re-seeding
    # gives the same noise, so d sum(rsample**2)/d params must equal the formula's with that noise.
    import torch

    fngrad.manual_seed(3)
    ours, ots, _ = _build(fngrad, name, grad=True)
    z = ours.rsample((7,))
    (z ** 2).sum().backward()
    theirs, tts, _ = _build(torch, name, grad=True)
    # recover the same noise by inverting our (detached) draw through torch's icdf/transform
    with torch.no_grad():
        zt = torch.tensor(z.detach().numpy())
    if name.startswith("MVN"):
        L = theirs.scale_tril
        eps = torch.linalg.solve_triangular(L.detach(), (zt - theirs.loc.detach()).unsqueeze(-1), upper=False)
        zz = theirs.loc + (L @ eps).squeeze(-1)
    elif name in ("Independent", "Normal"):
        base = theirs.base_dist if name == "Independent" else theirs
        eps = (zt - base.loc.detach()) / base.scale.detach()
        zz = base.loc + base.scale * eps
    elif name == "TanhNormal":
        base = theirs.base_dist
        pre = torch.atanh((zt - 0.5) / 2.0)
        eps = (pre - base.loc.detach()) / base.scale.detach()
        zz = 0.5 + 2.0 * torch.tanh(base.loc + base.scale * eps)
    else:
        u = theirs.cdf(zt).detach()  # the uniform behind the draw; icdf is differentiable in the params
        zz = theirs.icdf(u)
    (zz ** 2).sum().backward()
    _same(z, zz, "rsample")
    for a, b in zip(ots, tts):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("make, mean, var", [
    (lambda: Normal(t([1.0, -2.0]), t([0.5, 2.0])), [1.0, -2.0], [0.25, 4.0]),
    (lambda: Uniform(t([0.0, -1.0]), t([2.0, 3.0])), [1.0, 1.0], [4 / 12, 16 / 12]),
    (lambda: Laplace(t([0.5]), t([1.5])), [0.5], [2 * 1.5**2]),
    (lambda: Exponential(t([0.5, 4.0])), [2.0, 0.25], [4.0, 1 / 16]),
    (lambda: Gumbel(t([0.0]), t([2.0])), [2.0 * 0.5772156649015329], [math.pi**2 / 6 * 4]),
    (lambda: LogNormal(t([0.0]), t([0.5])), [math.exp(0.125)], [(math.exp(0.25) - 1) * math.exp(0.25)]),
    (lambda: MultivariateNormal(t([1.0, 2.0, 3.0]), covariance_matrix=t(COV)), [1.0, 2.0, 3.0], np.diag(COV)),
    (lambda: OneHotCategorical(probs=t([0.2, 0.3, 0.5])), [0.2, 0.3, 0.5], [0.16, 0.21, 0.25]),
    (lambda: MixtureSameFamily(Categorical(probs=t([0.3, 0.7])), Normal(t([-2.0, 1.0]), t([1.0, 0.5]))),
     [0.3 * -2 + 0.7], [0.3 * 1 + 0.7 * 0.25 + 0.3 * 0.7 * 9]),
], ids=["Normal", "Uniform", "Laplace", "Exponential", "Gumbel", "LogNormal", "MVN", "OneHot", "Mixture"])
def test_sample_moments_within_a_few_standard_errors(make, mean, var):
    n = 20000
    d = make()
    draws = d.sample((n,)).numpy()
    mean, var = np.asarray(mean), np.asarray(var)
    assert draws.shape == (n,) + tuple(d.batch_shape) + tuple(d.event_shape)
    np.testing.assert_array_less(np.abs(draws.mean(0) - mean), 5 * np.sqrt(var / n))
    # the sample variance's standard error needs the 4th moment: bound it by the sample's own
    dev = (draws - draws.mean(0)) ** 2
    np.testing.assert_array_less(np.abs(dev.mean(0) - var), 5 * dev.std(0) / np.sqrt(n) + 1e-12)
    np.testing.assert_allclose(d.mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(d.variance.numpy(), var, rtol=1e-12)


@pytest.mark.parametrize("make, cdf", [
    (lambda: Cauchy(t(0.5), t(2.0)), lambda x: np.arctan((x - 0.5) / 2.0) / np.pi + 0.5),
    (lambda: Laplace(t(0.0), t(1.0)), lambda x: np.where(x < 0, 0.5 * np.exp(x), 1 - 0.5 * np.exp(-x))),
    (lambda: Gumbel(t(1.0), t(0.5)), lambda x: np.exp(-np.exp(-(x - 1.0) / 0.5))),
    (lambda: RelaxedBernoulli(t(1.0), probs=t(0.5)), lambda x: x),  # logistic noise of unit temperature, p=1/2
], ids=["Cauchy", "Laplace", "Gumbel", "RelaxedBernoulli"])
def test_samples_pass_a_kolmogorov_smirnov_check(make, cdf):
    n = 20000
    x = np.sort(make().sample((n,)).numpy())
    ks = np.max(np.maximum(np.arange(1, n + 1) / n - cdf(x), cdf(x) - np.arange(n) / n))
    assert ks < 1.63 / math.sqrt(n)  # the 1% critical value


def test_closed_forms_without_torch():
    x = RNG.standard_normal((4, 3))
    d = MultivariateNormal(t(LOC), covariance_matrix=t(COV))
    diff = x - LOC
    want = -0.5 * (3 * np.log(2 * np.pi) + np.linalg.slogdet(COV)[1]
                   + np.einsum("ij,jk,ik->i", diff, np.linalg.inv(COV), diff))
    np.testing.assert_allclose(d.log_prob(t(x)).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(d.entropy().item(), 0.5 * np.linalg.slogdet(2 * np.pi * np.e * COV)[1], rtol=1e-12)
    np.testing.assert_allclose(d.precision_matrix.numpy(), np.linalg.inv(COV), rtol=1e-10)
    np.testing.assert_allclose(MultivariateNormal(t(LOC), precision_matrix=t(np.linalg.inv(COV)))
                               .covariance_matrix.numpy(), COV, rtol=1e-10)
    np.testing.assert_allclose(Laplace(t(0.0), t(SCALE)).entropy().numpy(), 1 + np.log(2 * SCALE), rtol=1e-14)
    np.testing.assert_allclose(Exponential(t(SCALE)).entropy().numpy(), 1 - np.log(SCALE), rtol=1e-14)
    np.testing.assert_allclose(Cauchy(t(0.0), t(SCALE)).entropy().numpy(), np.log(4 * np.pi * SCALE), rtol=1e-14)
    np.testing.assert_allclose(Uniform(t(-1.0), t(3.0), validate_args=False).log_prob(t([-2.0, 0.0, 3.0])).numpy(),
                               [-np.inf, -np.log(4), -np.inf])
    # KL of two diagonal MVNs = sum of the per-coordinate Normal KLs
    p = MultivariateNormal(t(LOC), covariance_matrix=t(np.diag(SCALE**2)))
    q = MultivariateNormal(t(-LOC), scale_tril=t(np.diag(SCALE + 1)))
    want = np.sum(np.log((SCALE + 1) / SCALE) + (SCALE**2 + 4 * LOC**2) / (2 * (SCALE + 1) ** 2) - 0.5)
    np.testing.assert_allclose(kl_divergence(p, q).item(), want, rtol=1e-12)
    np.testing.assert_allclose(kl_divergence(Independent(Normal(t(LOC), t(SCALE)), 1),
                                             Independent(Normal(t(-LOC), t(SCALE + 1)), 1)).item(), want, rtol=1e-12)


def test_tanh_squashed_normal_log_prob_uses_the_cached_pre_image():
    # SAC: y = tanh(x), log p(y) = log N(x) - log(1 - tanh(x)^2), with x read back from the cache (no atanh)
    base = Normal(t([0.0, 1.0]), t([1.0, 0.5]))
    d = TransformedDistribution(base, [TanhTransform(cache_size=1)])
    fngrad.manual_seed(0)
    y = d.rsample()
    fngrad.manual_seed(0)
    x = base.rsample()
    want = base.log_prob(x).numpy() - np.log(1 - np.tanh(x.numpy()) ** 2)
    np.testing.assert_allclose(d.log_prob(y).numpy(), want, rtol=1e-10)
    big = t([20.0])  # tanh(20) rounds to 1: atanh would give inf, the cache gives the exact x
    tr = TanhTransform(cache_size=1)
    assert tr.inv(tr(big)) is big
    assert math.isfinite(tr.log_abs_det_jacobian(big, tr(big)).item())


def test_transforms_compose_invert_and_agree_with_finite_differences():
    x = t([-0.7, 0.2, 1.3])
    for tr in (ExpTransform(), SigmoidTransform(), TanhTransform(), AffineTransform(t([1.0, 2.0, 3.0]), -2.5),
               ComposeTransform([TanhTransform(), AffineTransform(1.0, 3.0), ExpTransform()])):
        y = tr(x)
        np.testing.assert_allclose(tr.inv(y).numpy(), x.numpy(), rtol=1e-10)
        h = 1e-6
        dy = (tr(x + h).numpy() - tr(x - h).numpy()) / (2 * h)
        np.testing.assert_allclose(tr.log_abs_det_jacobian(x, y).numpy(), np.log(np.abs(dy)), rtol=1e-7)
        np.testing.assert_allclose(tr.inv.log_abs_det_jacobian(y, x).numpy(), -np.log(np.abs(dy)), rtol=1e-7)
    assert ComposeTransform([ExpTransform(), AffineTransform(0.0, -1.0)]).sign == -1
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        ExpTransform(cache_size=2)


def test_constraints_check_and_repr():
    assert repr(constraints.interval(0, 2)) == "Interval(lower_bound=0, upper_bound=2)"
    assert repr(constraints.real_vector) == "IndependentConstraint(Real(), 1)"
    assert repr(constraints.positive) == "GreaterThan(lower_bound=0.0)"
    assert constraints.simplex.check(t([[0.2, 0.8], [0.5, 0.6]])).tolist() == [True, False]
    assert constraints.positive_definite.check(t([COV, -COV])).tolist() == [True, False]
    assert constraints.lower_cholesky.check(t(np.linalg.cholesky(COV))).item()
    assert not constraints.lower_cholesky.check(t(COV)).item()
    assert constraints.one_hot.check(t([[0.0, 1.0], [1.0, 1.0]])).tolist() == [True, False]
    assert constraints.integer_interval(0, 3).check(t([0.0, 3.0, 1.5, 4.0])).tolist() == [True, True, False, False]
    assert constraints.is_dependent(Uniform.support) and not constraints.is_dependent(constraints.real)


def test_discrete_supports_and_expand():
    c = OneHotCategorical(probs=t([[0.5, 0.5, 0.0]]))
    np.testing.assert_array_equal(c.enumerate_support().numpy(), np.eye(3)[:, None, :])
    assert c.enumerate_support().shape == (3, 1, 3)
    assert Bernoulli(t([0.3, 0.6])).enumerate_support().tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert Categorical(logits=fngrad.zeros(2, 3)).enumerate_support(expand=False).shape == (3, 1)
    e = MultivariateNormal(t(LOC), covariance_matrix=t(COV)).expand((2,))
    assert e.batch_shape == (2,) and e.covariance_matrix.shape == (2, 3, 3) and e.sample().shape == (2, 3)
    g = Gumbel(t(0.0), t(1.0)).expand((4,))
    assert g.batch_shape == (4,) and g.log_prob(fngrad.zeros(4, dtype=F64)).shape == (4,)


KL_PAIRS = [("Normal", "Normal"), ("Uniform", "Uniform"), ("Laplace", "Laplace"), ("Exponential", "Exponential"),
            ("Cauchy", "Cauchy"), ("MVN_cov", "MVN_tril"), ("OneHotCategorical", "OneHotCategorical_logits"),
            ("Independent", "Independent"), ("LogNormal", "LogNormal"), ("Uniform", "Normal"),
            ("Exponential", "Normal"), ("Laplace", "Normal"), ("Normal", "Laplace"), ("Normal", "Gumbel"),
            ("Gumbel", "Normal"), ("Uniform", "Gumbel"), ("Exponential", "Gumbel"), ("Normal", "Uniform"),
            ("Uniform", "Exponential"), ("Laplace", "Uniform")] + ([("Gumbel", "Gumbel")] if HAS_LGAMMA else [])


@requires_torch
@pytest.mark.parametrize("pq", KL_PAIRS, ids="-".join)
def test_kl_divergence_matches_torch(pq):
    import torch

    (p, pts, _), (tp, tpts, _) = _build(fngrad, pq[0], grad=True), _build(torch, pq[0], grad=True)
    q, tq = _build(fngrad, pq[1])[0], _build(torch, pq[1])[0]
    if pq[0] == pq[1]:  # a second member of the family: parameters moved
        q = q.expand(q.batch_shape)
        q, tq = _shifted(fngrad, pq[1]), _shifted(torch, pq[1])
    ours, theirs = kl_divergence(p, q), torch.distributions.kl_divergence(tp, tq)
    _same(ours, theirs, "kl")
    if bool(torch.isfinite(theirs).all()):
        ours.sum().backward()
        theirs.sum().backward()
        for a, b in zip(pts, tpts):
            if b.grad is not None:
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)


def _shifted(lib, name):
    make, params, _, _, _ = CASES[name]
    moved = [p * 0.8 + 0.1 if p.ndim == 1 and name not in ("OneHotCategorical_logits",) else p for p in params]
    if name.startswith("MVN"):
        moved = [params[0] - 0.3, params[1]]
    return make(lib.distributions, [lib.tensor(p, dtype=lib.float64) for p in moved])


def test_register_kl_and_missing_pairs():
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Cauchy and q type "
                                                  "Normal"):
        kl_divergence(Cauchy(0.0, 1.0), Normal(0.0, 1.0))
    with pytest.raises(TypeError, match="Expected type_p to be a Distribution subclass"):
        register_kl(int, Normal)

    class Shifted(Normal):
        pass

    @register_kl(Shifted, Normal)
    def _kl(p, q):
        return p.loc - q.loc

    assert kl_divergence(Shifted(t(2.0), t(1.0)), Normal(t(0.5), t(1.0))).item() == 1.5
    assert kl_divergence(Normal(t(2.0), t(1.0)), Shifted(t(2.0), t(1.0))).item() == 0.0  # Normal-Normal applies


@requires_torch
@pytest.mark.parametrize("make", [
    lambda D, T: D.Laplace(T([0.0, 1.0]), T([1.0, 0.0])),
    lambda D, T: D.Exponential(T([-1.0])),
    lambda D, T: D.Uniform(T([0.0, 2.0]), T([1.0, 1.0])),
    lambda D, T: D.MultivariateNormal(T([0.0, 0.0]), covariance_matrix=T([[1.0, 2.0], [2.0, 1.0]])),
    lambda D, T: D.MultivariateNormal(T([0.0, 0.0]), scale_tril=T([[1.0, 0.0], [2.0, -1.0]])),
    lambda D, T: D.OneHotCategorical(probs=T([0.5, -0.25])),
    lambda D, T: D.RelaxedBernoulli(T(0.5), probs=T([1.5])),
    lambda D, T: D.Cauchy(T([float("nan")]), T([1.0])),
    lambda D, T: D.Normal(T([0.0]), T([1.0])).log_prob(T([float("nan")])),
    lambda D, T: D.Exponential(T([1.0])).log_prob(T([-1.0])),
    lambda D, T: D.Independent(D.Normal(T([0.0]), T([1.0])), 2),
    lambda D, T: D.MultivariateNormal(T(0.0), covariance_matrix=T([[1.0]])),
    lambda D, T: D.MultivariateNormal(T([0.0]), covariance_matrix=T([[1.0]]), scale_tril=T([[1.0]])),
    lambda D, T: D.MixtureSameFamily(D.Categorical(probs=T([0.5, 0.5])), D.Normal(T([0.0] * 3), T([1.0] * 3))),
    lambda D, T: D.TransformedDistribution(D.Normal(T(0.0), T(1.0)), "exp"),
    lambda D, T: D.Categorical(),
], ids=["laplace-scale", "exp-rate", "uniform-low-high", "mvn-cov", "mvn-tril", "onehot-probs", "relaxed-probs",
        "cauchy-nan", "normal-value", "exp-support", "independent-ndims", "mvn-loc-dim", "mvn-two-matrices",
        "mixture-k", "transforms-type", "categorical-none"])
def test_bad_parameters_give_torchs_value_error(make):
    import torch

    def message(lib):
        with pytest.raises(ValueError) as info:
            make(lib.distributions, lambda v: lib.tensor(v, dtype=lib.float64))
        return str(info.value)

    assert message(fngrad).replace("fngrad", "torch") == message(torch)


def test_every_public_class_has_a_runnable_example():
    import fngrad.distributions as D

    lacking = [n for n in D.__all__ if isinstance(getattr(D, n), type) and ">>>" not in (getattr(D, n).__doc__ or "")]
    assert not lacking


MU = RNG.standard_normal((2, 3, 2))
_B = RNG.standard_normal((3, 2, 2))
COVS = _B @ np.swapaxes(_B, -1, -2) + np.eye(2)


def _mix_mvn(D, T, logits):
    return D.MixtureSameFamily(D.Categorical(logits=T(logits)), D.MultivariateNormal(T(MU), covariance_matrix=T(COVS)))


def _std_normal(D, T, shape=()):
    return D.Normal(T(np.zeros(shape)), T(1.0))


SAME_AS_TORCH = [
    ("mixture mvn batch", lambda D, T: _mix_mvn(D, T, np.ones((2, 3))).log_prob(T(np.ones((4, 2, 2))))),
    ("mixture mean", lambda D, T: _mix_mvn(D, T, [[0., 1., 2.], [1, 1, 1]]).variance),
    ("mixture sample shape", lambda D, T: tuple(_mix_mvn(D, T, [[0., 1., 2.], [1, 1, 1]]).sample((5,)).shape)),
    ("bern mode", lambda D, T: D.Bernoulli(T([0.2, 0.5, 0.7])).mode),
    ("cat validate", lambda D, T: D.Categorical(probs=T([0.5, -0.25]))),
    ("cat logits nan", lambda D, T: D.Categorical(logits=T([0.5, float('nan')]))),
    ("bern logits nan", lambda D, T: D.Bernoulli(logits=T([float('nan')]))),
    ("cat log_prob bad", lambda D, T: D.Categorical(logits=T([0.5, 1.0])).log_prob(T([2.0]))),
    ("bern log_prob bad", lambda D, T: D.Bernoulli(logits=T([0.5, 1.0])).log_prob(T([0.5, 1]))),
    ("cat enum", lambda D, T: D.Categorical(logits=T(np.zeros((2, 3)))).enumerate_support()),
    ("onehot enum noexp", lambda D, T: D.OneHotCategorical(logits=T(np.zeros((2, 3)))).enumerate_support(expand=False)),
    ("expand normal", lambda D, T: D.Normal(T([0.0, 1.0]), T(1.0)).expand((3, 2)).log_prob(T(np.zeros((3, 2))))),
    ("expand mvn", lambda D, T: D.MultivariateNormal(T(MU[0, 0]), covariance_matrix=T(COVS[0])).expand((3,)).precision_matrix),
    ("expand indep", lambda D, T: tuple(D.Independent(D.Normal(T(np.zeros((2, 3))), T(1.0)), 1).expand((4, 2)).sample().shape)),
    ("expand lognormal", lambda D, T: D.LogNormal(T([0.0, 1.0]), T(1.0)).expand((3, 2)).log_prob(T(np.ones((3, 2))))),
    ("expand mixture", lambda D, T: tuple(
        D.MixtureSameFamily(D.Categorical(logits=T([0., 1.])), D.Normal(T([0.0, 1.0]), T(1.0))).expand((3,)).sample((2,)).shape)),
    ("relaxed onehot logprob", lambda D, T: D.RelaxedOneHotCategorical(T(0.5), probs=T([0.2, 0.8])).log_prob(T([0.3, 0.7]))),
    ("repr indep", lambda D, T: repr(D.Independent(D.Normal(T([0.0]), T([1.0])), 1))),
    ("repr onehot", lambda D, T: repr(D.OneHotCategorical(T([0.5, 0.5])))),
    ("repr lognormal", lambda D, T: repr(D.LogNormal(T(0.0), T(1.0)))),
    ("repr mvn", lambda D, T: repr(D.MultivariateNormal(T([0.0, 1.0]), T(np.eye(2))))),
    ("repr uniform", lambda D, T: repr(D.Uniform(T(0.0), T(1.0)))),
    ("repr mixture", lambda D, T: repr(
        D.MixtureSameFamily(D.Categorical(logits=T([0., 1.])), D.Normal(T([0.0, 1.0]), T(1.0))))),
    ("transformed lognormal kl", lambda D, T: D.kl_divergence(
        D.TransformedDistribution(_std_normal(D, T), [D.transforms.ExpTransform()]), D.LogNormal(T(1.), T(2.)))),
    ("bern kl", lambda D, T: D.kl_divergence(D.Bernoulli(T([0.0, 0.3])), D.Bernoulli(T([0.5, 1.0])))),
    ("uniform kl inf", lambda D, T: D.kl_divergence(D.Uniform(T([0., -2]), T([1., 1])), D.Uniform(T([-1., -1]), T([2., 2])))),
    ("perplexity", lambda D, T: D.Normal(T(0.), T(2.)).perplexity()),
    ("sample_n", lambda D, T: tuple(D.Normal(T(0.), T(2.)).expand((2,)).sample((3,)).shape)),
    ("lognormal cdf", lambda D, T: D.LogNormal(T(0.), T(2.)).cdf(T([0.5, 2.0]))),
    ("affine event_dim", lambda D, T: D.TransformedDistribution(
        _std_normal(D, T, 3), D.transforms.AffineTransform(T([1., 2, 3]), T([1., 2, 3]), event_dim=1)).log_prob(T([1., 1, 1]))),
    ("indep transform", lambda D, T: D.TransformedDistribution(
        _std_normal(D, T, 3), D.transforms.IndependentTransform(D.transforms.ExpTransform(), 1)).log_prob(T([1., 2, 3]))),
    ("power", lambda D, T: D.TransformedDistribution(D.Exponential(T(1.)), D.transforms.PowerTransform(T(0.5))).log_prob(T(2.0))),
    ("softplus", lambda D, T: D.TransformedDistribution(_std_normal(D, T), D.transforms.SoftplusTransform()).log_prob(T(2.0))),
    ("gumbel-uniform", lambda D, T: D.kl_divergence(D.Gumbel(T(0.), T(1.)), D.Uniform(T(0.), T(1.)))),
    ("unif validate", lambda D, T: D.Uniform(T([0.0]), T([0.0]))),
    ("bern kl at 0 and 1", lambda D, T: D.kl_divergence(
        D.Bernoulli(T([0.0, 0.3, 1.0])), D.Bernoulli(T([0.0, 1.0, 1.0])))),
]


@requires_torch
@pytest.mark.parametrize("what", SAME_AS_TORCH, ids=[c[0] for c in SAME_AS_TORCH])
def test_more_results_and_errors_equal_torchs(what):
    # expand, enumerate_support, repr, mixtures of MVNs, transforms with event dims, KL edge cases,
    # and the ValueError of a bad value or parameter: fngrad's answer (or message) is torch's
    import torch

    outs = []
    for lib in (fngrad, torch):
        try:
            outs.append(what[1](lib.distributions, lambda v, lib=lib: lib.tensor(np.asarray(v, dtype=np.float64))))
        except ValueError as e:
            outs.append(f"ValueError: {e}")
    ours, theirs = outs
    if isinstance(theirs, (str, tuple)):
        assert (ours.replace("fngrad", "torch") if isinstance(ours, str) else ours) == theirs
    else:
        a, b = ours.detach().numpy(), theirs.detach().numpy()
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
