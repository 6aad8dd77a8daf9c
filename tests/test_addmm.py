"""Native addmm (csrc/ops/linalg.cpp): ``beta * input + alpha * (mat1 @ mat2)`` as one
``AddmmBackward0`` node, which ``F.linear`` records for a matrix input with a bias, as PyTorch does.

Values against NumPy, gradients against NumPy's formulas and finite differences (gradcheck,
gradgradcheck), node names and saved values against PyTorch's, errors with PyTorch's wording.
"""

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import requires_torch

RNG = np.random.default_rng(13)


def _t(shape, dtype=np.float64, requires_grad=False):
    return fngrad.from_numpy(RNG.standard_normal(shape).astype(dtype)).requires_grad_(requires_grad)


def _sum_to(g, shape):
    """g summed over the dims that broadcasting added to or stretched from shape."""
    g = g.sum(tuple(range(g.ndim - len(shape))))
    return g.sum(tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True) if shape else g


@pytest.mark.parametrize("input_shape", [(3, 5), (5,), (1, 5), (3, 1), (1,), ()])
@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, -2), (0, 3), (2, 1)])
def test_values_and_grads_against_numpy(input_shape, beta, alpha):
    c, a, b = _t(input_shape, requires_grad=True), _t((3, 4), requires_grad=True), _t((4, 5), requires_grad=True)
    y = fngrad.addmm(c, a, b, beta=beta, alpha=alpha)
    cn, an, bn = c.detach().numpy(), a.detach().numpy(), b.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), beta * cn + alpha * (an @ bn), rtol=1e-12, atol=1e-12)
    assert type(y.grad_fn).__name__ == "AddmmBackward0"
    g = RNG.standard_normal((3, 5))
    y.backward(fngrad.from_numpy(g))
    np.testing.assert_allclose(a.grad.numpy(), alpha * g @ bn.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), alpha * an.T @ g, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c.grad.numpy(), _sum_to(beta * g, input_shape), rtol=1e-12, atol=1e-12)


def test_beta_zero_ignores_nan_input():
    c = fngrad.full((2, 2), float("nan"), dtype=fngrad.float64)
    a, b = _t((2, 3)), _t((3, 2))
    y = c.addmm(a, b, beta=0, alpha=2)
    np.testing.assert_allclose(y.numpy(), 2 * a.numpy() @ b.numpy(), rtol=1e-12)


@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, -2)])
def test_gradcheck_and_gradgradcheck(beta, alpha):
    c, a = _t((5,), requires_grad=True), _t((3, 4), requires_grad=True)
    w = _t((5, 4), requires_grad=True)  # mat2 as F.linear passes it: a transposed view

    def f(c, a, w):
        return fngrad.addmm(c, a, w.t(), beta=beta, alpha=alpha)

    assert fngrad.autograd.gradcheck(f, (c, a, w))
    assert fngrad.autograd.gradgradcheck(f, (c, a, w))


def test_linear_is_one_addmm_node_with_grads():
    x, w, b = _t((3, 4), requires_grad=True), _t((5, 4), requires_grad=True), _t((5,), requires_grad=True)
    y = F.linear(x, w, b)
    assert type(y.grad_fn).__name__ == "AddmmBackward0"
    (bias_node, _), (x_node, _), (wt_node, _) = y.grad_fn.next_functions
    assert bias_node.variable is b and x_node.variable is x
    assert wt_node.next_functions[0][0].variable is w  # mat2 is weight.t()
    g = RNG.standard_normal((3, 5))
    y.backward(fngrad.from_numpy(g))
    np.testing.assert_allclose(w.grad.numpy(), g.T @ x.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), g @ w.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), g.sum(0), rtol=1e-12)
    assert w.grad.is_contiguous()  # the transposed-operand path: no layout copy for the weight


def test_only_needed_gradients_and_saved():
    a, b = _t((2, 3), requires_grad=True), _t((3, 2))
    y = fngrad.addmm(_t((2, 2)), a, b)
    assert y.grad_fn._saved_mat1 is None  # mat2 needs no gradient, so mat1 is not kept
    assert y.grad_fn._saved_mat2.shape == (3, 2)
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.ones((2, 2)) @ b.numpy().T, rtol=1e-12)


def test_float32_method_and_inplace_form():
    c, a, b = _t((2, 3), np.float32), _t((2, 4), np.float32), _t((4, 3), np.float32)
    ref = c.numpy() + a.numpy() @ b.numpy()
    y = c.addmm(a, b)
    assert y.dtype == fngrad.float32
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5)
    c.addmm_(mat1=a, mat2=b)
    np.testing.assert_allclose(c.numpy(), ref, rtol=1e-5)


def test_integer_tensors():
    c = fngrad.ones(2, 3, dtype=fngrad.int64)
    y = c.addmm(fngrad.ones(2, 2, dtype=fngrad.int64), fngrad.ones(2, 3, dtype=fngrad.int64), alpha=2)
    assert y.dtype == fngrad.int64 and y.tolist() == [[5] * 3] * 2


def test_bad_input_leaves_graph_usable():
    a = _t((2, 3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"addmm.*mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x2\)"):
        fngrad.addmm(_t((2, 2)), a, _t((2, 2)))
    with pytest.raises(RuntimeError, match="addmm.*mat2 must be a matrix, got 3-D tensor"):
        fngrad.addmm(_t((2, 2)), a, _t((3, 2, 1)))
    with pytest.raises(RuntimeError, match="addmm.*self and mat2 must have the same dtype, but got Float and Double"):
        fngrad.addmm(_t((2, 2), np.float32), _t((2, 3), np.float32), _t((3, 2)))
    with pytest.raises(RuntimeError, match=r"addmm.*expanded size of the tensor \(2\) must match the existing size "
                                           r"\(3\) at non-singleton dimension 1"):
        fngrad.addmm(_t((3, 3)), a, _t((3, 2)))
    (a * 2).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full((2, 3), 2.0))


@requires_torch
def test_against_torch_names_saved_values_and_grads():
    import torch

    xs = [RNG.standard_normal(s) for s in ((5,), (3, 4), (5, 4))]
    outs = []
    for lib in (fngrad, torch):
        c, a, w = (lib.tensor(v, requires_grad=True) for v in xs)
        y = lib.addmm(c, a, w.t(), beta=0.5, alpha=3)
        node = y.grad_fn
        (ga,) = lib.autograd.grad((y * y).sum(), a, create_graph=True)
        grads = lib.autograd.grad((ga * ga).sum(), (c, a, w))
        outs.append((type(node).__name__, node._saved_alpha, node._saved_beta, tuple(node._saved_mat1_sym_sizes),
                     y.detach().numpy(), [t.detach().numpy() for t in grads]))
    (fn, falpha, fbeta, fsizes, fy, fg), (tn, talpha, tbeta, tsizes, ty, tg) = outs
    assert (fn, falpha, fbeta, fsizes) == (tn, talpha, tbeta, tsizes)
    np.testing.assert_allclose(fy, ty, rtol=1e-12)
    for f, t in zip(fg, tg):
        np.testing.assert_allclose(f, t, rtol=1e-10, atol=1e-12)
