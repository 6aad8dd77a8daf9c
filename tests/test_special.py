"""The special functions (fngrad.lgamma, digamma, polygamma, mvlgamma, erfinv, i0, sinc and
fngrad.special): values from closed forms and identities, edge values, dtype rules, gradients
against finite differences, and (when PyTorch is installed) dense grids beside torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.autograd import gradcheck, gradgradcheck
from op_table import np_bessel_i

EULER_GAMMA = 0.57721566490153286061
ZETA3 = 1.20205690315959428540
INF, NAN = math.inf, math.nan


def t64(values):
    return fngrad.tensor(values, dtype=fngrad.float64)


def close(got, expected, rtol=4e-16, atol=0.0):
    np.testing.assert_allclose(np.asarray(got.numpy() if hasattr(got, "numpy") else got, np.float64),
                               np.asarray(expected, np.float64), rtol=rtol, atol=atol, equal_nan=True)


# ---- values from closed forms and identities (no PyTorch) ----

def test_lgamma_of_integers_is_log_factorial():
    n = np.arange(1, 60)
    close(fngrad.lgamma(t64(n)), [math.log(math.factorial(k - 1)) for k in n], rtol=2e-15, atol=1e-15)
    close(fngrad.lgamma(t64([0.5, -0.5])), [math.log(math.sqrt(math.pi)), math.log(2 * math.sqrt(math.pi))])


def test_lgamma_poles_and_infinities():
    close(fngrad.lgamma(t64([0.0, -0.0, -1.0, -2.0, INF, -INF, NAN])), [INF, INF, INF, INF, INF, INF, NAN])


def test_digamma_closed_forms():
    harmonic = np.cumsum(1.0 / np.arange(1, 30))
    close(fngrad.digamma(t64(np.arange(2, 31))), -EULER_GAMMA + harmonic, rtol=4e-15)
    close(fngrad.digamma(t64([1.0, 0.5, 0.25])),
          [-EULER_GAMMA, -EULER_GAMMA - 2 * math.log(2), -EULER_GAMMA - math.pi / 2 - 3 * math.log(2)],
          rtol=2e-15)


def test_digamma_recurrence_and_reflection():
    x = np.linspace(-7.9, 30.3, 977)
    x = x[np.abs(x - np.round(x)) > 1e-3]
    d = fngrad.digamma(t64(x)).numpy()
    d1 = fngrad.digamma(t64(x + 1)).numpy()
    np.testing.assert_allclose(d1 - d, 1 / x, rtol=1e-11, atol=1e-12)
    neg = x[x < 0]
    np.testing.assert_allclose(fngrad.digamma(t64(1 - neg)).numpy() - fngrad.digamma(t64(neg)).numpy(),
                               math.pi / np.tan(math.pi * neg), rtol=1e-11, atol=1e-11)


def test_digamma_edges():
    # PyTorch's: -inf at +0, +inf at -0, NaN at the negative integers and -inf.
    close(fngrad.digamma(t64([0.0, -0.0, -1.0, -5.0, INF, -INF, NAN])), [-INF, INF, NAN, NAN, INF, NAN, NAN])


def test_polygamma_closed_forms():
    close(fngrad.polygamma(1, t64([1.0, 0.5])), [math.pi**2 / 6, math.pi**2 / 2], rtol=1e-15)
    close(fngrad.polygamma(2, t64([1.0])), [-2 * ZETA3], rtol=1e-15)
    close(fngrad.polygamma(3, t64([1.0, 0.5])), [math.pi**4 / 15, math.pi**4], rtol=1e-15)
    x = t64(np.linspace(-3.7, 9.1, 51))
    assert np.array_equal(fngrad.polygamma(0, x).numpy(), fngrad.digamma(x).numpy())


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_polygamma_recurrence(n):
    # psi_n(x + 1) = psi_n(x) + (-1)^n n! / x^(n+1)
    x = np.linspace(-2.9, 12.3, 301)
    x = x[np.abs(x - np.round(x)) > 0.05]
    hi, lo = fngrad.polygamma(n, t64(x + 1)).numpy(), fngrad.polygamma(n, t64(x)).numpy()
    # the difference cancels: its error is a few ulps of the larger operand
    err = np.abs(hi - lo - (-1) ** n * math.factorial(n) / x ** (n + 1))
    assert np.all(err <= 1e-14 * np.maximum(np.abs(hi), np.abs(lo))), err.max()


def test_polygamma_refuses_negative_or_non_integer_n():
    with pytest.raises(RuntimeError, match="does not support negative n"):
        fngrad.polygamma(-1, t64([1.0]))
    with pytest.raises(TypeError, match="argument 'n' \\(position 1\\) must be int, not float"):
        fngrad.polygamma(1.5, t64([1.0]))


def test_mvlgamma_is_a_sum_of_lgammas():
    x = np.linspace(2.6, 9.0, 17)
    # (CPython's math.lgamma is its own Lanczos sum, not the C library's: an ulp apart at times)
    close(fngrad.mvlgamma(t64(x), 1), [math.lgamma(v) for v in x], rtol=2e-15)
    for p in (2, 3, 5):
        expected = [p * (p - 1) / 4 * math.log(math.pi) + sum(math.lgamma(v - j / 2) for j in range(p)) for v in x]
        close(fngrad.special.multigammaln(t64(x), p), expected, rtol=1e-14)
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        fngrad.mvlgamma(t64([3.0]), 0)


def test_erfinv_inverts_erf():
    x = np.linspace(-5.8, 5.8, 2321)
    y = np.array([math.erf(v) for v in x])
    keep = np.abs(y) < 1
    got = fngrad.erfinv(t64(y[keep])).numpy()
    # erf is flat in the tails: compare where erf(x) can tell neighbouring x apart.
    np.testing.assert_allclose([math.erf(v) for v in got], y[keep], rtol=4.5e-16, atol=0)
    inner = np.abs(x[keep]) < 1  # where erf's rounding moves its inverse by less than an ulp or so
    np.testing.assert_allclose(got[inner], x[keep][inner], rtol=1e-15, atol=1e-300)
    # 1 - y is exact above 1/2: erfc of the result gives it back.
    upper = (y > 0.5) & keep
    np.testing.assert_allclose([math.erfc(v) for v in fngrad.erfinv(t64(y[upper])).numpy()], 1 - y[upper], rtol=1e-14)


def test_erfinv_edges():
    close(fngrad.erfinv(t64([1.0, -1.0, 1.5, -2.0, NAN, 0.0])), [INF, -INF, NAN, NAN, NAN, 0.0])
    assert math.copysign(1, fngrad.erfinv(t64([-0.0])).item()) == -1


def test_i0_i1_match_their_series():
    x = np.linspace(-20, 20, 801)
    close(fngrad.i0(t64(x)), np_bessel_i(0, x), rtol=2e-15)
    close(fngrad.special.i1(t64(x)), np_bessel_i(1, x), rtol=2e-15, atol=1e-300)
    close(fngrad.special.i0e(t64(x)), np_bessel_i(0, x, True), rtol=2e-15)
    close(fngrad.special.i1e(t64(x)), np_bessel_i(1, x, True), rtol=2e-15, atol=1e-300)


def test_bessel_asymptotic_region_against_the_series():
    # Beyond 20 fngrad switches to the asymptotic expansion: the series (exact to rounding, all terms
    # positive) summed with math.fsum checks it up to 100.
    for x in (20.5, 25.0, 37.3, 60.0, 100.0):
        q, terms0, terms1 = x * x / 4, [1.0], [x / 2]
        for k in range(1, 250):
            terms0.append(terms0[-1] * q / (k * k))
            terms1.append(terms1[-1] * q / (k * (k + 1)))
        i0, i1 = math.fsum(terms0), math.fsum(terms1)
        close(fngrad.i0(t64([x, -x])), [i0, i0], rtol=1e-14)
        close(fngrad.special.i1(t64([x, -x])), [i1, -i1], rtol=1e-14)
        close(fngrad.special.i0e(t64([x])), [i0 * math.exp(-x)], rtol=1e-14)
        close(fngrad.special.i1e(t64([-x])), [-i1 * math.exp(-x)], rtol=1e-14)


def test_bessel_edges():
    # As PyTorch: i0/i1 overflow to inf, give NaN at +-inf; the scaled ones tend to 0 (+-sqrt(1/(2 pi x))).
    close(fngrad.i0(t64([0.0, 800.0, INF, -INF, NAN])), [1.0, INF, NAN, NAN, NAN])
    close(fngrad.special.i1(t64([0.0, -800.0, INF, NAN])), [0.0, -INF, NAN, NAN])
    lead = 1 / math.sqrt(2 * math.pi * 1e10)  # then 1 + 1/(8x) (i0e), 1 - 3/(8x) (i1e)
    close(fngrad.special.i0e(t64([1e10, INF, -INF])), [lead * (1 + 1 / 8e10), 0.0, 0.0], rtol=1e-15)
    close(fngrad.special.i1e(t64([-1e10, INF])), [-lead * (1 - 3 / 8e10), 0.0], rtol=1e-15)


def test_ndtr_is_the_normal_cdf():
    x = np.linspace(-38, 9, 941)
    expected = [0.5 * math.erfc(-v / math.sqrt(2)) for v in x]
    # the rounding of x / sqrt(2) moves erfc's result by ~x^2 ulps in the far tail
    close(fngrad.special.ndtr(t64(x)), expected, rtol=5e-13, atol=1e-300)
    near = np.linspace(-1, 1, 41)
    close(fngrad.special.ndtr(t64(near)), [(1 + math.erf(v / math.sqrt(2))) / 2 for v in near], rtol=4.5e-16)


def test_ndtri_inverts_ndtr():
    # Up to 3: above, ndtr rounds to within ulps of 1 and loses x; the symmetry checks the upper half.
    x = np.linspace(-37, 3, 801)
    p = fngrad.special.ndtr(t64(x))
    np.testing.assert_allclose(fngrad.special.ndtri(p).numpy(), x, rtol=2e-13, atol=1e-14)
    upper = 1 - p.numpy()[(x < -0.7) & (x > -8)]  # exact: p is in (0, 1/4)
    z = fngrad.special.ndtri(t64(upper))
    assert np.all(z.numpy() > 0.7)
    np.testing.assert_allclose(fngrad.special.ndtr(z).numpy(), upper, rtol=2.3e-16, atol=0)
    close(fngrad.special.ndtri(t64([0.975, 0.5, 0.025])), [1.959963984540054, 0.0, -1.959963984540054], rtol=1e-15)
    close(fngrad.special.ndtri(t64([0.0, 1.0, -0.5, 1.5, NAN])), [-INF, INF, NAN, NAN, NAN])


def test_log_ndtr():
    x = np.linspace(-30, 6, 721)
    expected = [math.log(0.5 * math.erfc(-v / math.sqrt(2))) if v < 0 else math.log1p(-0.5 * math.erfc(v / math.sqrt(2)))
                for v in x]
    close(fngrad.special.log_ndtr(t64(x)), expected, rtol=1e-13)
    # Far below, where ndtr underflows: log ndtr(x) = -x^2/2 - log(-x sqrt(2 pi)) + log(1 - 1/x^2 + 3/x^4 - ...).
    for v in (-40.0, -100.0, -1e4):
        series = 1 - 1 / v**2 + 3 / v**4 - 15 / v**6 + 105 / v**8
        close(fngrad.special.log_ndtr(t64([v])), [-v * v / 2 - math.log(-v * math.sqrt(2 * math.pi)) + math.log(series)],
              rtol=1e-15)


def test_erfcx():
    x = np.linspace(-5, 5, 401)
    close(fngrad.special.erfcx(t64(x)), [math.exp(v * v) * math.erfc(v) for v in x], rtol=3e-14)
    close(fngrad.special.erfcx(t64([12.0, 26.0])), [math.exp(144.0) * math.erfc(12.0), math.exp(676.0) * math.erfc(26.0)],
          rtol=3e-15)
    for v in (1e3, 1e8, 1e50):
        close(fngrad.special.erfcx(t64([v])), [(1 - 1 / (2 * v * v) + 3 / (4 * v**4)) / (v * math.sqrt(math.pi))],
              rtol=1e-14)
    close(fngrad.special.erfcx(t64([INF, -INF, -30.0, NAN])), [0.0, INF, INF, NAN])


def test_entr_sinc_xlog1py():
    x = np.array([0.0, 1e-300, 0.25, 1.0, 7.5])
    close(fngrad.special.entr(t64(x)), [0.0] + [-v * math.log(v) for v in x[1:]])
    close(fngrad.special.entr(t64([-1.0, -0.0, INF, NAN])), [-INF, 0.0, -INF, NAN])
    s = np.linspace(-4.3, 4.3, 87)
    close(fngrad.sinc(t64(s)), np.sinc(s), rtol=1e-15, atol=1e-16)
    close(fngrad.sinc(t64([0.0, 1e-300])), [1.0, 1.0])
    a, b = t64([0.0, 0.0, 2.0, 0.0, 1.0]), t64([-1.0, -2.0, 0.5, NAN, -1.0])
    close(fngrad.special.xlog1py(a, b), [0.0, 0.0, 2 * math.log1p(0.5), NAN, -INF])
    close(fngrad.special.xlog1py(3, t64([0.5])), [3 * math.log1p(0.5)])
    close(fngrad.special.xlog1py(t64([2.0]), 1), [2 * math.log(2)])


# ---- names, dtypes, in-place forms, nodes ----

def test_special_namespace_aliases():
    sp = fngrad.special
    assert sp.gammaln is fngrad.lgamma and sp.psi is fngrad.digamma and sp.digamma is fngrad.digamma
    assert sp.expit is fngrad.sigmoid and sp.multigammaln is fngrad.mvlgamma and sp.erfinv is fngrad.erfinv
    assert sp.xlogy is fngrad.xlogy and sp.logsumexp is fngrad.logsumexp and sp.logit is fngrad.logit
    assert set(sp.__all__) <= set(dir(sp))
    # torch.special's own functions are not top-level names or Tensor methods (as in PyTorch)
    for name in ("entr", "ndtr", "ndtri", "log_ndtr", "erfcx", "i0e", "i1", "i1e", "xlog1py", "special_entr"):
        assert not hasattr(fngrad, name) and not hasattr(fngrad.Tensor, name), name


@pytest.mark.parametrize("fn", [fngrad.lgamma, fngrad.digamma, fngrad.erfinv, fngrad.i0, fngrad.sinc,
                                fngrad.special.entr, fngrad.special.ndtr, fngrad.special.i1e,
                                lambda x: fngrad.polygamma(1, x), lambda x: fngrad.mvlgamma(x + 3, 2)])
def test_dtypes(fn):
    assert fn(fngrad.tensor([1, 2])).dtype == fngrad.float32
    assert fn(fngrad.tensor([True])).dtype == fngrad.float32
    for dtype in (fngrad.float16, fngrad.bfloat16, fngrad.float32, fngrad.float64):
        x = fngrad.tensor([0.25, 0.5], dtype=dtype)
        out = fn(x)
        assert out.dtype == dtype
        np.testing.assert_allclose(out.double().numpy(), fn(x.double()).numpy(), rtol=1e-2 if dtype.itemsize == 2
                                   else 1e-6)


def test_methods_and_in_place_forms():
    x = t64([0.3, 1.7, 4.0])
    for name in ("lgamma", "digamma", "erfinv", "i0", "sinc"):
        expected = getattr(fngrad, name)(x / 5)
        assert np.array_equal(getattr(x / 5, name)().numpy(), expected.numpy())
        y = x / 5
        getattr(y, name + "_")()
        assert np.array_equal(y.numpy(), expected.numpy())
    y = x.clone()
    y.polygamma_(2)
    assert np.array_equal(y.numpy(), fngrad.polygamma(2, x).numpy())
    assert np.array_equal(x.polygamma(2).numpy(), y.numpy())
    z = x + 2
    z.mvlgamma_(p=2)
    assert np.array_equal(z.numpy(), (x + 2).mvlgamma(2).numpy())
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        fngrad.tensor([1, 2]).lgamma_()


def test_out_argument():
    out = fngrad.empty(3, dtype=fngrad.float64)
    fngrad.special.ndtr(t64([0.0, 1.0, -1.0]), out=out)
    close(out, [0.5, 0.5 * math.erfc(-1 / math.sqrt(2)), 0.5 * math.erfc(1 / math.sqrt(2))], rtol=1e-15)
    fngrad.polygamma(1, t64([1.0, 1.0, 1.0]), out=out)
    close(out, [math.pi**2 / 6] * 3, rtol=1e-15)


def test_backward_nodes():
    x = t64([0.3]).requires_grad_()
    names = {
        "LgammaBackward0": fngrad.lgamma(x), "DigammaBackward0": fngrad.digamma(x),
        "PolygammaBackward0": fngrad.polygamma(2, x), "ErfinvBackward0": fngrad.erfinv(x),
        "I0Backward0": fngrad.i0(x), "SincBackward0": fngrad.sinc(x),
        "SpecialEntrBackward0": fngrad.special.entr(x), "SpecialNdtriBackward0": fngrad.special.ndtri(x),
        "SpecialLogNdtrBackward0": fngrad.special.log_ndtr(x), "SpecialErfcxBackward0": fngrad.special.erfcx(x),
        "SpecialI0EBackward0": fngrad.special.i0e(x), "SpecialI1Backward0": fngrad.special.i1(x),
        "SpecialI1EBackward0": fngrad.special.i1e(x), "SpecialXlog1PyBackward0": fngrad.special.xlog1py(x, x),
        "SpecialXlog1PyBackward1": fngrad.special.xlog1py(2.0, x),
        "SpecialXlog1PyBackward2": fngrad.special.xlog1py(x, 2.0),
    }
    for name, y in names.items():
        assert type(y.grad_fn).__name__ == name
    assert fngrad.polygamma(3, x).grad_fn._saved_n == 3


# ---- gradients: finite differences in float64, first and second order ----

GRAD_CASES = {
    "lgamma": (fngrad.lgamma, [0.3, 1.7, -0.4, -1.6, 6.0]),
    "digamma": (fngrad.digamma, [0.3, 1.7, -0.4, 6.0]),
    "polygamma1": (lambda x: fngrad.polygamma(1, x), [0.3, 1.7, -0.4, 6.0]),
    "polygamma3": (lambda x: fngrad.special.polygamma(3, x), [0.7, 2.5]),
    "mvlgamma": (lambda x: fngrad.mvlgamma(x, 4), [1.6, 2.5, 7.0]),
    "erfinv": (fngrad.erfinv, [-0.9, -0.2, 0.4, 0.95]),
    "i0": (fngrad.i0, [-3.0, 0.0, 0.5, 25.0]),
    "i0e": (fngrad.special.i0e, [-3.0, 0.5, 25.0]),
    "i1": (fngrad.special.i1, [-3.0, 0.5, 25.0]),  # at 0 see test_gradients_beside_torch
    "i1e": (fngrad.special.i1e, [-3.0, 0.5, 25.0]),
    "sinc": (fngrad.sinc, [-1.3, 0.2, 2.0, 0.5]),
    "entr": (fngrad.special.entr, [0.2, 1.0, 3.0]),
    "ndtr": (fngrad.special.ndtr, [-3.0, 0.0, 1.5]),
    "ndtri": (fngrad.special.ndtri, [0.01, 0.3, 0.5, 0.9]),
    "log_ndtr": (fngrad.special.log_ndtr, [-8.0, -1.5, 0.0, 2.0]),
    "erfcx": (fngrad.special.erfcx, [-1.5, 0.0, 2.0, 12.0]),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_gradients_against_finite_differences(name):
    fn, points = GRAD_CASES[name]
    x = t64(points).requires_grad_()
    assert gradcheck(fn, (x,), eps=1e-6, atol=1e-6, rtol=1e-5)
    assert gradgradcheck(fn, (x,), eps=1e-6, atol=1e-5, rtol=1e-4)


def test_xlog1py_gradients():
    a = t64([0.5, -1.2, 2.0]).requires_grad_()
    b = t64([0.3, 1.5, -0.5]).requires_grad_()
    assert gradcheck(fngrad.special.xlog1py, (a, b), eps=1e-6, atol=1e-6, rtol=1e-5)
    assert gradgradcheck(fngrad.special.xlog1py, (a, b), eps=1e-6, atol=1e-5, rtol=1e-4)
    # PyTorch's rule: no gradient for input where input == 0 and other <= -1
    a = t64([0.0, 0.0]).requires_grad_()
    fngrad.special.xlog1py(a, t64([-1.0, 1.0])).sum().backward()
    close(a.grad, [0.0, math.log(2)])


# ---- beside PyTorch: dense grids, edge values, every float dtype ----

def _grid():
    edges = [0.0, -0.0, 1.0, 2.0, -1.0, -2.0, -0.5, 0.5, 1e-30, -1e-30, 1e30, -1e30, INF, -INF, NAN, 30.0, -30.0,
             100.0, 710.0, 1e-310]
    return np.concatenate([np.linspace(-12, 12, 2401), np.geomspace(1e-8, 1e4, 400), edges])


def _ulps(got, expected):
    """The distance in units of the last place of the expected value (0 where both are equal or NaN)."""
    dtype = np.asarray(expected).dtype
    spacing = np.spacing(np.abs(np.asarray(expected))).astype(np.float64)
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    same = (got == expected) | (np.isnan(got) & np.isnan(expected))
    spacing = np.maximum(spacing, np.finfo(dtype).smallest_subnormal)
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.where(same, 0.0, np.abs(got - expected) / spacing)
    return np.nan_to_num(d, nan=np.inf)


# op name -> (fngrad function, torch function path, input transform, max ulps float64, max ulps float32)
TORCH_CASES = {
    "lgamma": (fngrad.lgamma, "lgamma", None, 4, 4),
    "digamma": (fngrad.digamma, "digamma", None, 8, 8),
    "erfinv": (fngrad.erfinv, "erfinv", lambda x: np.tanh(x / 3), 4, 4),
    # the Bessel functions: fngrad's ascending series is within ~10 ulps in float64 below |x| = 20
    "i0": (fngrad.i0, "i0", None, 16, 1),
    "i0e": (fngrad.special.i0e, "special.i0e", None, 16, 1),
    "i1": (fngrad.special.i1, "special.i1", None, 16, 1),
    "i1e": (fngrad.special.i1e, "special.i1e", None, 16, 1),
    "sinc": (fngrad.sinc, "sinc", None, 2, 2),
    "entr": (fngrad.special.entr, "special.entr", None, 1, 1),
    "ndtr": (fngrad.special.ndtr, "special.ndtr", None, 4, 4),
    "ndtri": (fngrad.special.ndtri, "special.ndtri", lambda x: 1 / (1 + np.exp(-x)), 8, 4),
    "log_ndtr": (fngrad.special.log_ndtr, "special.log_ndtr", None, 4, 4),
    "erfcx": (fngrad.special.erfcx, "special.erfcx", None, 8, 4),
    "polygamma2": (lambda x: fngrad.polygamma(2, x), "polygamma2", None, 16, 8),
    "polygamma3": (lambda x: fngrad.polygamma(3, x), "polygamma3", None, 16, 8),
}


@requires_torch
@pytest.mark.parametrize("name", list(TORCH_CASES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_values_beside_torch(name, dtype):
    import torch

    fn, path, transform, ulps64, ulps32 = TORCH_CASES[name]
    if path.startswith("polygamma"):
        n = int(path[-1])
        torch_fn = lambda x: torch.polygamma(n, x)  # noqa: E731
    else:
        torch_fn = torch
        for part in path.split("."):
            torch_fn = getattr(torch_fn, part)
    x = _grid()
    if transform is not None:
        with np.errstate(over="ignore"):
            x = np.concatenate([transform(x), [0.0, 1.0, -1.0, 1.5, INF, NAN]])
    x = x.astype(dtype)
    got = fn(fngrad.from_numpy(x.copy())).numpy()
    # float32 against torch's float64 result rounded to float32: fngrad computes in double and rounds
    # once, while torch's float32 kernels are off by up to hundreds of ulps (digamma near its root,
    # the Bessel functions, ndtr's tail)
    expected = torch_fn(torch.from_numpy(x.astype(np.float64))).numpy().astype(dtype)
    if name == "sinc":  # computed in the input's precision, as torch does (pi * x rounds alike)
        expected = torch_fn(torch.from_numpy(x.copy())).numpy()
    # Away from the poles of the gamma family (where both are huge and cancel), as the ulps say.
    poles = np.isfinite(x) & (x <= 0) & (np.abs(x - np.round(x)) < 1e-3)
    if name in ("lgamma", "digamma") or name.startswith("polygamma"):
        keep = ~poles
        if name == "digamma":  # the root near 1.4616 is ill-conditioned: relative error is unbounded there
            keep &= np.abs(x - 1.4616321449683623) > 1e-2
        # torch's +inf for polygamma(n >= 2) is NaN (Cephes' zeta); fngrad gives the limit 0
        keep &= ~(np.isposinf(x) & name.startswith("polygamma"))
    else:
        keep = np.ones_like(x, dtype=bool)
    if name in ("i0", "i1"):  # torch computes exp(|x|) first and overflows before the result does
        keep &= ~(np.abs(x) > np.log(np.finfo(x.dtype).max))
    d = _ulps(got[keep], expected[keep])
    if name == "ndtr":  # torch composes (1 + erf(x / sqrt 2)) / 2: accurate to an ulp of 1/2, not relatively
        d = np.where(np.abs(got[keep] - expected[keep]) <= np.finfo(x.dtype).eps / 2, 0, d)
    if name == "erfcx":  # torch rounds x * x before exp below 0: relative error ~x^2 ulps there
        d = np.maximum(d - 2 * np.where(x[keep] < 0, x[keep] ** 2, 0), 0)
    worst = int(np.argmax(d))
    limit = ulps64 if dtype == "float64" else ulps32
    assert d[worst] <= limit, f"{name} {dtype}: x={x[keep][worst]!r} fngrad={got[keep][worst]!r} " \
                              f"torch={expected[keep][worst]!r} ({d[worst]:.1f} ulps)"


@requires_torch
@pytest.mark.parametrize("name", ["lgamma", "erfinv", "i0", "sinc", "entr", "ndtr", "log_ndtr", "erfcx", "i1e"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_beside_torch(name, dtype):
    """float16/bfloat16 compute in float32 and round once (as the other unary float ops): equal to
    torch's result or one rounding step from it."""
    import torch

    fn, path, transform, _, _ = TORCH_CASES[name]
    torch_fn = torch
    for part in path.split("."):
        torch_fn = getattr(torch_fn, part)
    x = np.linspace(-6, 6, 241)
    if transform is not None:
        x = transform(x)
    tx = torch.tensor(x, dtype=getattr(torch, dtype))
    fx = fngrad.tensor(x, dtype=getattr(fngrad, dtype))
    # against torch's float64 result on the same (rounded) inputs, rounded to the dtype
    expected = torch_fn(tx.double() if name != "sinc" else tx).to(tx.dtype).double().numpy()
    got = fn(fx).double().numpy()
    step = 2.0**-8 if dtype == "bfloat16" else 2.0**-11
    # ndtr: torch's composite cancels below about -5 (absolute accuracy only)
    np.testing.assert_allclose(got, expected, rtol=2 * step, atol=2.0**-24 if name == "ndtr" else 1e-30,
                               equal_nan=True)


@requires_torch
@pytest.mark.parametrize("name", [n for n in TORCH_CASES if n not in ("polygamma2", "polygamma3")])
def test_gradients_beside_torch(name):
    import torch

    fn, path, transform, _, _ = TORCH_CASES[name]
    torch_fn = torch
    for part in path.split("."):
        torch_fn = getattr(torch_fn, part)
    x = np.linspace(-4.1, 4.1, 83)
    if transform is not None:
        x = transform(x)
    if name in ("lgamma", "digamma", "entr"):
        x = x[np.abs(x - np.round(x)) > 0.05] if name != "entr" else np.abs(x) + 0.01
    fx = fngrad.tensor(x, dtype=fngrad.float64, requires_grad=True)
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    fn(fx).sum().backward()
    torch_fn(tx).sum().backward()
    # digamma's gradient is trigamma, which torch sums with a short asymptotic series (~1e-10 relative)
    rtol = 1e-9 if name == "digamma" else 1e-12
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=1e-14, equal_nan=True)


@requires_torch
def test_int_and_bool_inputs_beside_torch():
    import torch

    for name in ("lgamma", "digamma", "i0", "entr", "ndtr", "erfcx", "i1"):
        fn, path, _, _, _ = TORCH_CASES[name]
        torch_fn = torch
        for part in path.split("."):
            torch_fn = getattr(torch_fn, part)
        for values in ([1, 2, 3, -4], [True, False]):
            expected = torch_fn(torch.tensor(values))
            got = fn(fngrad.tensor(values))
            assert str(got.dtype) == str(expected.dtype).replace("torch.", "fngrad.")
            exact = torch_fn(torch.tensor(values, dtype=torch.float64)).float()  # see test_values_beside_torch
            np.testing.assert_allclose(got.numpy(), exact.numpy(), rtol=1e-6, equal_nan=True)
