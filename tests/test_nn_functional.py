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
            "ce_nd": lambda: FF.cross_entropy(
                x.reshape(2, 2, 5).permute(0, 2, 1) * 1.0 + lib.tensor(nd[:, :, :2], dtype=lib.float64), t.reshape(2, 2)),
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


@requires_torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nll_loss_weights_ignore_index_and_edges_match_pytorch(reduction, dtype):
    import torch
    import torch.nn.functional as TF

    rng = np.random.default_rng(11)
    logp = log_softmax_np(rng.standard_normal((6, 4))).astype(dtype)
    logp[3, 1] = -np.inf  # weight 0 on a -inf entry: PyTorch gives NaN (-0 * -inf), not 0
    logp[5, 2] = -np.inf  # an ignored row holding -inf: 0 and no NaN
    target = np.array([0, 3, 2, 1, 3, 2])
    weight = np.array([0.5, 0.0, 2.0, 1.5], dtype=dtype)
    cases = [dict(), dict(weight=weight), dict(weight=weight, ignore_index=2), dict(ignore_index=3)]
    for kw in cases:
        def run(lib, FF):
            x = lib.tensor(logp, requires_grad=True)
            extra = {k: (lib.tensor(v) if k == "weight" else v) for k, v in kw.items()}
            loss = FF.nll_loss(x, lib.tensor(target), reduction=reduction, **extra)
            loss.backward(lib.ones_like(loss) * 0.75)
            return loss.detach().numpy(), x.grad.numpy()

        ours, theirs = run(fngrad, F), run(torch, TF)
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, err_msg=str(kw))
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6, err_msg=str(kw))
        assert ours[0].dtype == np.dtype(dtype)


def test_nll_loss_all_rows_ignored_is_nan_as_in_pytorch():
    x = fngrad.tensor(log_softmax_np(np.ones((2, 3))), requires_grad=True)
    loss = F.nll_loss(x, fngrad.tensor([1, 1]), ignore_index=1)
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))  # no row takes part: no NaN reaches x


def test_nll_loss_double_backward_with_weights_and_ignored_rows():
    rng = np.random.default_rng(2)
    x = fngrad.tensor(rng.standard_normal((5, 4)), dtype=fngrad.float64, requires_grad=True)
    t = fngrad.tensor([0, 3, 1, 1, 2])
    w = fngrad.tensor([1.0, 0.5, 2.0, 3.0], dtype=fngrad.float64)
    for reduction in ("none", "mean", "sum"):
        def fn(a, reduction=reduction):
            return F.cross_entropy(a, t, weight=w, ignore_index=1, reduction=reduction)

        assert fngrad.autograd.gradcheck(fn, (x,))
        assert fngrad.autograd.gradgradcheck(fn, (x,))


def test_nll_loss_checks_weight_shape_and_target_range():
    x = fngrad.tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\[nll_loss\] weight tensor should be defined either for all 3 classes"):
        F.nll_loss(x, fngrad.tensor([0, 1]), weight=fngrad.tensor([1.0, 2.0]))
    with pytest.raises(IndexError, match=r"\[nll_loss\] Target -2 is out of bounds"):
        F.nll_loss(x, fngrad.tensor([0, -2]))
    F.nll_loss(x, fngrad.tensor([0, 2])).backward()  # still usable
    np.testing.assert_allclose(x.grad.numpy(), [[-0.5, 0, 0], [0, 0, -0.5]])


# ---- NaN and the boundaries: PyTorch's formulas, written out ----
NAN, INF = float("nan"), float("inf")
SPECIAL = [NAN, INF, -INF, 0.0, -1.0, 2.0]


def _value_and_grad(fn, values, dtype=fngrad.float32):
    x = fngrad.tensor(values, dtype=dtype, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    return y.detach().numpy(), x.grad.numpy()


def test_relu_gradient_at_nan_is_threshold_backward():
    # threshold_backward(g, relu(x), 0) is `result <= 0 ? 0 : g`: a NaN result passes the gradient.
    y, g = _value_and_grad(lambda x: x.relu(), SPECIAL)
    np.testing.assert_array_equal(y, [NAN, INF, 0, 0, 0, 2])
    np.testing.assert_array_equal(g, [1, 1, 0, 0, 0, 1])
    x = fngrad.tensor(SPECIAL, dtype=fngrad.float64, requires_grad=True)
    (g2,) = fngrad.autograd.grad(x.relu().sum(), x, create_graph=True)
    np.testing.assert_array_equal(g2.detach().numpy(), [1, 1, 0, 0, 0, 1])


def test_elu_of_nan_is_nan():
    # elu is `x <= 0 ? alpha * expm1(x) : x` (gradient `x <= 0 ? alpha * exp(x) : 1`), so NaN
    # takes the identity branch; on both the vectorised and the element-by-element path.
    for n in (1, 40):
        y, g = _value_and_grad(lambda x: F.elu(x), SPECIAL * n)
        ref_y = np.where(np.array(SPECIAL) <= 0, np.expm1(np.array(SPECIAL)), SPECIAL)
        ref_g = np.where(np.array(SPECIAL) <= 0, np.exp(np.array(SPECIAL)), 1.0)
        np.testing.assert_allclose(y, np.tile(ref_y, n).astype(np.float32), rtol=1e-6)
        np.testing.assert_allclose(g, np.tile(ref_g, n).astype(np.float32), rtol=1e-6)


def test_clamp_with_a_nan_bound_is_nan():
    # PyTorch: a NaN bound makes every element NaN, and no gradient passes (x >= NaN is false).
    for kwargs in [dict(min=NAN), dict(max=NAN), dict(min=0.0, max=NAN), dict(min=NAN, max=1.0)]:
        y, g = _value_and_grad(lambda x: x.clamp(**kwargs), [1.0, -1.0, NAN, 3.0])
        assert np.isnan(y).all(), kwargs
        np.testing.assert_array_equal(g, [0, 0, 0, 0])
    assert np.isnan(fngrad.tensor([1, 2]).clamp(min=NAN).numpy()).all()
    # NaN in the input stays NaN and gets no gradient; min > max gives max everywhere.
    y, g = _value_and_grad(lambda x: x.clamp(2.0, 1.0), [NAN, 0.0, 5.0])
    np.testing.assert_array_equal(y, [NAN, 1.0, 1.0])
    np.testing.assert_array_equal(g, [0, 0, 0])


def test_maximum_minimum_gradient_with_nan_and_ties():
    # derivatives.yaml: maximum: self gets where(self == other, g / 2, g).masked_fill_(self < other, 0),
    # other the same with self > other; minimum the other way round. With a NaN on either side no
    # comparison holds, so both sides get the whole gradient.
    a_v = [NAN, 1.0, INF, 2.0, 1.0, NAN, 3.0]
    b_v = [0.0, NAN, INF, 1.0, 2.0, NAN, 3.0]
    for fused in (True, False):
        a = fngrad.tensor(a_v, dtype=fngrad.float64, requires_grad=True)
        b = fngrad.tensor(b_v, dtype=fngrad.float64, requires_grad=True)
        y = fngrad.maximum(a, b) * 2 + fngrad.minimum(a, b) * 3
        if fused:
            y.sum().backward()
            ga, gb = a.grad.numpy(), b.grad.numpy()
        else:  # the differentiable (create_graph) formulas
            ga, gb = (t.detach().numpy() for t in fngrad.autograd.grad(y.sum(), (a, b), create_graph=True))
        np.testing.assert_array_equal(ga, [5, 5, 2.5, 2, 3, 5, 2.5])
        np.testing.assert_array_equal(gb, [5, 5, 2.5, 3, 2, 5, 2.5])


def test_binary_cross_entropy_at_zero_and_one():
    # PyTorch: each log is clamped at -100 (loss 100, not inf), and the gradient is
    # g (p - t) / max(p (1 - p), 1e-12): large and finite, not NaN.
    p = fngrad.tensor([0.0, 1.0, 0.5], requires_grad=True)
    t = fngrad.tensor([1.0, 0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(p, t, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 100.0, np.log(2.0)], rtol=1e-6)
    pv, tv = np.array([0.0, 1.0, 0.5], np.float32), np.array([1.0, 0.0, 1.0], np.float32)
    expected = (pv - tv) / np.maximum(pv * (1 - pv), np.float32(1e-12))
    np.testing.assert_allclose(p.grad.numpy(), expected, rtol=1e-6)
    # The target's gradient is -g logit(p).
    np.testing.assert_array_equal(t.grad.numpy()[:2], [INF, -INF])
    # Mean reduction and a weight scale the same formula; the backward is differentiable.
    p = fngrad.tensor([0.1, 0.9, 0.5], dtype=fngrad.float64, requires_grad=True)
    t = fngrad.tensor([1.0, 0.0, 0.3], dtype=fngrad.float64)
    w = fngrad.tensor([1.0, 2.0, 3.0], dtype=fngrad.float64)
    assert fngrad.autograd.gradcheck(lambda a: F.binary_cross_entropy(a, t, weight=w), (p,))
    assert fngrad.autograd.gradgradcheck(lambda a: F.binary_cross_entropy(a, t), (p,))


def test_binary_cross_entropy_checks_its_input():
    with pytest.raises(RuntimeError, match=r"\[binary_cross_entropy\] all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(fngrad.tensor([1.5, 0.5]), fngrad.tensor([1.0, 0.0]))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(fngrad.tensor([NAN]), fngrad.tensor([1.0]))
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(fngrad.tensor([0.5]), fngrad.tensor([-0.5]))
    with pytest.raises(ValueError, match=r"\[binary_cross_entropy\] Using a target size"):
        F.binary_cross_entropy(fngrad.tensor([0.5, 0.5]), fngrad.tensor([1.0, 0.0, 1.0]))


@requires_torch
def test_nan_semantics_match_pytorch():
    import torch
    import torch.nn.functional as TF

    # (PyTorch's elu gradient at NaN is 1 on its element-by-element path, which a 6-element tensor
    # takes, but NaN on its vectorised one: fngrad gives 1 everywhere.)
    def run(lib, FF):
        x = lib.tensor(SPECIAL * 3, requires_grad=True)
        e = lib.tensor(SPECIAL, requires_grad=True)
        a = lib.tensor([NAN, 1.0, INF, 2.0, 1.0, NAN], requires_grad=True)
        b = lib.tensor([0.0, NAN, INF, 1.0, 2.0, NAN], requires_grad=True)
        p = lib.tensor([0.0, 1.0, 0.5, 0.25], requires_grad=True)
        ys = [x.relu(), FF.elu(e), FF.elu(e, 0.5), x.clamp(min=NAN), x.clamp(-1.0, 1.0),
              lib.maximum(a, b) * 2 + lib.minimum(a, b) * 3,
              FF.binary_cross_entropy(p, lib.tensor([1.0, 0.0, 1.0, 0.5]), reduction="none")]
        sum((y * lib.arange(1.0, y.numel() + 1.0)).sum() for y in ys).backward()
        return [y.detach().numpy() for y in ys] + [t.grad.numpy() for t in (x, e, a, b, p)]

    for ours, theirs in zip(run(fngrad, F), run(torch, TF)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, equal_nan=True)


def test_linear_weight_gradient_matches_numpy_and_the_weight_layout():
    # PyTorch's layout contract: a parameter's .grad has the parameter's strides. Through
    # weight.t() the product gives a transposed gradient; it must arrive contiguous, as the weight.
    rng = np.random.default_rng(3)
    x, w, g = rng.standard_normal((6, 5)), rng.standard_normal((4, 5)), rng.standard_normal((6, 4))
    xt = fngrad.tensor(x, dtype=fngrad.float64, requires_grad=True)
    wt = fngrad.tensor(w, dtype=fngrad.float64, requires_grad=True)
    fngrad.nn.functional.linear(xt, wt).backward(fngrad.from_numpy(g))
    np.testing.assert_allclose(wt.grad.numpy(), g.T @ x, rtol=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), g @ w, rtol=1e-12)
    assert wt.grad.is_contiguous() and wt.grad.numpy().flags.c_contiguous
