"""fngrad.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp against formulas and PyTorch."""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp


def f64(a, requires_grad=False):
    return fngrad.tensor(np.asarray(a, dtype=np.float64), dtype=fngrad.float64, requires_grad=requires_grad)


def test_jacobian_of_elementwise_and_of_matrix_map():
    x = f64([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(jacobian(lambda t: t * t, x).numpy(), np.diag([2.0, 4.0, 6.0]))
    a = np.arange(6.0).reshape(2, 3)
    j = jacobian(lambda t: f64(a) @ t, x)
    np.testing.assert_array_equal(j.numpy(), a)
    assert not j.requires_grad


def test_jacobian_with_several_inputs_and_outputs():
    x, y = f64([1.0, 2.0]), f64([3.0])
    jx, jy = jacobian(lambda a, b: a * b, (x, y))
    np.testing.assert_array_equal(jx.numpy(), np.diag([3.0, 3.0]))
    np.testing.assert_array_equal(jy.numpy(), [[1.0], [2.0]])
    (j1,), (j2,) = jacobian(lambda a: (a.sum(), a * 2), (x,))
    np.testing.assert_array_equal(j1.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(j2.numpy(), np.diag([2.0, 2.0]))


def test_jacobian_strict_and_unused():
    x, y = f64([1.0]), f64([2.0])
    _, jy = jacobian(lambda a, b: a * 2, (x, y))
    np.testing.assert_array_equal(jy.numpy(), [[0.0]])
    with pytest.raises(RuntimeError, match="independent of input 1"):
        jacobian(lambda a, b: a * 2, (x, y), strict=True)


def test_hessian():
    x = f64([1.0, 2.0])
    h = hessian(lambda t: (t * t * t).sum() + t[0] * t[1], x)
    np.testing.assert_allclose(h.numpy(), [[6.0, 1.0], [1.0, 12.0]])


def test_vjp_jvp_hvp_vhp():
    x = f64([1.0, 2.0])
    out, g = vjp(lambda t: t * t, x, f64([1.0, 1.0]))
    np.testing.assert_array_equal(out.numpy(), [1.0, 4.0])
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])
    out, t = jvp(lambda t: t * t * t, x, f64([1.0, 0.5]))
    np.testing.assert_allclose(t.numpy(), [3.0, 6.0])
    f = lambda t: (t * t * t).sum()  # noqa: E731
    _, hv = hvp(f, x, f64([1.0, 1.0]))
    _, vh = vhp(f, x, f64([1.0, 1.0]))
    np.testing.assert_allclose(hv.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(vh.numpy(), [6.0, 12.0])
    with pytest.raises(RuntimeError, match="The vector v can only be None"):
        vjp(lambda t: t * 2, x)


def test_create_graph_keeps_the_result_differentiable():
    x = f64([2.0], requires_grad=True)
    _, g = vjp(lambda t: t * t * t, x, f64([1.0]), create_graph=True)
    assert g.requires_grad
    (gg,) = fngrad.autograd.grad(g.sum(), x)
    assert gg.item() == 12.0


@requires_torch
def test_matches_pytorch():
    import torch
    import torch.autograd.functional as TAF

    import fngrad.autograd.functional as FAF

    rng = np.random.default_rng(0)
    a = rng.standard_normal(3)
    b = rng.standard_normal((2, 3))
    v3 = rng.standard_normal(3)
    v2 = rng.standard_normal(2)

    def run(lib, AF):
        f = lambda x: lib.tensor(b, dtype=lib.float64) @ x.tanh()  # noqa: E731
        s = lambda x: (x.sin() * x).sum()  # noqa: E731
        x = lib.tensor(a, dtype=lib.float64)
        return [
            AF.jacobian(f, x).numpy(),
            AF.hessian(s, x).numpy(),
            AF.vjp(f, x, lib.tensor(v2, dtype=lib.float64))[1].numpy(),
            AF.jvp(f, x, lib.tensor(v3, dtype=lib.float64))[1].numpy(),
            AF.hvp(s, x, lib.tensor(v3, dtype=lib.float64))[1].numpy(),
            AF.vhp(s, x, lib.tensor(v3, dtype=lib.float64))[1].numpy(),
        ]

    for ours, theirs in zip(run(fngrad, FAF), run(torch, TAF)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_grad_is_grads_batched_gives_jacobian_rows():
    # Each row of the batched grad_outputs is one vector-Jacobian product: with the identity, the
    # Jacobian itself (written out: d prod / dx_i = prod / x_i, d sum(x^2) / dx_i = 2 x_i).
    x = fngrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = fngrad.stack([x.prod(), (x * x).sum()])
    (jac,) = fngrad.autograd.grad(y, x, fngrad.eye(2), is_grads_batched=True)
    np.testing.assert_allclose(jac.numpy(), [[6.0, 3.0, 2.0], [2.0, 4.0, 6.0]])
    # create_graph: the batched result is differentiable (d/dx sum_ij d sin(x_i)/dx_j = -sin(x))
    (jac,) = fngrad.autograd.grad(x.sin(), x, fngrad.eye(3), is_grads_batched=True, create_graph=True)
    (second,) = fngrad.autograd.grad(jac.sum(), x)
    np.testing.assert_allclose(second.numpy(), -np.sin([1.0, 2.0, 3.0]), rtol=1e-6)
    w = fngrad.ones(2, requires_grad=True)
    gx, gw = fngrad.autograd.grad(x.sum() * 1, [x, w], fngrad.ones(4), is_grads_batched=True, allow_unused=True)
    assert gx.shape == (4, 3) and gw is None
    with pytest.raises(RuntimeError, match="we interpret the first dimension of each grad_output as the batch"):
        fngrad.autograd.grad(x * 2, x, fngrad.ones(2, 2), is_grads_batched=True)
