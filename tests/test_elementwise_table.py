"""The elementwise op tables (csrc/ops/unary_ops.h, binary_ops.h) beyond what the op-table rows
check: each entry's forward-mode (JVP) formula against central differences, the bindings that
are generated from the entries (PyTorch's keyword names, alpha=, out=, the in-place forms,
inspect.signature), and the two entries added to prove the table (atan2, hypot) against NumPy
and PyTorch."""

import inspect

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from op_table import ELEMENTWISE


def _sample(row, shape, rng):
    """Operands drawn from [-2, 2] where the op-table row says the op is smooth."""
    out = []
    for arg in row.args:
        lo, hi = max(arg.lo, -2.0), min(arg.hi, 2.0)
        x = rng.uniform(lo, hi, shape)
        for _ in range(100):  # redraw the elements the row does not accept
            bad = np.array([not arg.accepts(v) for v in x.flat]).reshape(shape)
            if not bad.any():
                break
            x[bad] = rng.uniform(lo, hi, int(bad.sum()))
        out.append(x)
    if row.tie is not None:  # maximum/minimum: operands apart from a tie
        out[1] = np.where(np.abs(out[0] - out[1]) <= row.tie, out[0] + 3 * row.tie, out[1])
    return out


def _central(f, x, t, eps=1e-6):
    return (f(x + eps * t) - f(x - eps * t)) / (2 * eps)


@pytest.mark.parametrize("name", list(fngrad._C.unary_ops))
def test_unary_jvp_matches_central_differences(name):
    rng = np.random.default_rng(7)
    (x,) = _sample(ELEMENTWISE[name], (4, 5), rng)
    t = rng.standard_normal((4, 5))
    op = getattr(fngrad._C, name)  # special_<name> entries are fngrad.special.<name>
    jvp = fngrad._C._unary_jvp(name, fngrad.tensor(x), fngrad.tensor(t)).numpy()
    expected = _central(lambda v: op(fngrad.tensor(v)).numpy(), x, t)
    np.testing.assert_allclose(jvp, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", list(fngrad._C.binary_ops))
def test_binary_jvp_matches_central_differences(name):
    rng = np.random.default_rng(8)
    a, b = _sample(ELEMENTWISE[name], (3, 4), rng)
    ta, tb = rng.standard_normal((2, 3, 4))
    op = getattr(fngrad._C, name)
    jvp = fngrad._C._binary_jvp(name, *(fngrad.tensor(v) for v in (a, b, ta, tb))).numpy()

    def f(v):
        return op(fngrad.tensor(v[0]), fngrad.tensor(v[1])).numpy()

    expected = _central(f, np.stack([a, b]), np.stack([ta, tb]))
    np.testing.assert_allclose(jvp, expected, rtol=1e-6, atol=1e-8)


def test_jvp_hooks_reject_unknown_ops_and_mismatched_tangents():
    x = fngrad.ones(3, dtype=fngrad.float64)
    with pytest.raises(ValueError, match="No unary op named 'nope'"):
        fngrad._C._unary_jvp("nope", x, x)
    with pytest.raises(ValueError, match="one dtype and shape"):
        fngrad._C._binary_jvp("mul", x, x, x, fngrad.ones(4, dtype=fngrad.float64))


def test_alpha_scales_the_other_operand_and_its_gradient():
    a = fngrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = fngrad.tensor([4.0, 5.0, 6.0], requires_grad=True)
    y = fngrad.add(a, b, alpha=2.5)
    np.testing.assert_allclose(y.detach().numpy(), [11.0, 14.5, 18.0])
    z = a.sub(b, alpha=-0.5)
    np.testing.assert_allclose(z.detach().numpy(), [3.0, 4.5, 6.0])
    (y.sum() + (z * z).sum()).backward()
    zv = np.array([3.0, 4.5, 6.0])
    np.testing.assert_allclose(a.grad.numpy(), 1 + 2 * zv)
    np.testing.assert_allclose(b.grad.numpy(), 2.5 + 0.5 * 2 * zv)


def test_alpha_gradgrad_and_optimizer_idiom():
    a = fngrad.tensor([0.3, -0.7], dtype=fngrad.float64, requires_grad=True)
    b = fngrad.tensor([1.1, 0.4], dtype=fngrad.float64, requires_grad=True)
    assert fngrad.autograd.gradcheck(lambda x, y: fngrad.sub(x * y, y, alpha=3.0), (a, b))
    assert fngrad.autograd.gradgradcheck(lambda x, y: fngrad.add(x * y, y * y, alpha=-2.0), (a, b))
    # p.add_(g, alpha=-lr): the in-place form takes alpha too.
    p = fngrad.tensor([1.0, 2.0])
    out = p.add_(fngrad.tensor([10.0, 20.0]), alpha=-0.1)
    assert out is p
    np.testing.assert_allclose(p.numpy(), [0.0, 0.0], atol=1e-7)


def test_keyword_names_are_pytorchs():
    x = fngrad.tensor([1.0, 4.0])
    np.testing.assert_allclose(fngrad.mul(input=x, other=x).numpy(), [1.0, 16.0])
    np.testing.assert_allclose(fngrad.pow(x, exponent=2).numpy(), [1.0, 16.0])
    np.testing.assert_allclose(x.pow(exponent=0.5).numpy(), [1.0, 2.0])
    np.testing.assert_allclose(fngrad.exp(input=x).numpy(), np.exp([1.0, 4.0]), rtol=1e-6)
    with pytest.raises(TypeError, match="unexpected keyword argument 'alpha'"):
        fngrad.mul(x, x, alpha=2)
    with pytest.raises(TypeError, match="takes 2 positional arguments"):
        fngrad.add(x, x, 2)
    with pytest.raises(TypeError, match=r"add\(\): argument 'other' \(position 1\) must be Tensor or Number, not str"):
        x.add("a")


def test_alpha_type_rules_follow_pytorch():
    i = fngrad.tensor([1, 2])
    with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha must not be a floating point"):
        fngrad.add(i, i, alpha=0.5)
    np.testing.assert_array_equal(fngrad.add(i, i, alpha=3).numpy(), [4, 8])
    with pytest.raises(RuntimeError, match="Boolean alpha only supported for Boolean results"):
        fngrad.add(fngrad.tensor([1.0]), 1.0, alpha=True)


def test_out_writes_the_result_and_refuses_autograd():
    x = fngrad.tensor([1.0, 2.0])
    out = fngrad.zeros(2)
    r = fngrad.add(x, 1, out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), [2.0, 3.0])
    fngrad.exp(x, out=out)
    np.testing.assert_allclose(out.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)
    w = fngrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="functions with out=... arguments don't support automatic differentiation"):
        fngrad.mul(w, 2, out=fngrad.zeros(2))
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        fngrad.div(x, 2, out=fngrad.zeros(2, dtype=fngrad.int64))
    # The failed calls left everything usable.
    (w * 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 2.0])


def test_signatures_are_readable():
    assert str(inspect.signature(fngrad.add)) == "(input, other, *, alpha=1, out=None)"
    assert str(inspect.signature(fngrad.atan2)) == "(input, other, *, out=None)"
    assert str(inspect.signature(fngrad.Tensor.hypot_)) == "(self, /, other)"
    assert str(inspect.signature(fngrad.exp)) == "(input, *, out=None)"
    assert "alpha" in fngrad.Tensor.add.__doc__


def test_atan2_and_hypot_match_numpy_with_broadcasting_and_numbers():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(fngrad.atan2(fngrad.tensor(a), fngrad.tensor(b)).numpy(), np.arctan2(a, b), rtol=1e-6)
    np.testing.assert_allclose(fngrad.hypot(fngrad.tensor(a), fngrad.tensor(2.0)).numpy(), np.hypot(a, 2.0), rtol=1e-6)
    # PyTorch's signatures of atan2 and hypot take tensors only: a Python number is refused, as there.
    with pytest.raises(TypeError, match=r"hypot\(\): argument 'other' \(position 2\) must be Tensor, not float"):
        fngrad.hypot(fngrad.tensor(a), 2.0)
    # Integer inputs compute in float32, as PyTorch promotes them.
    r = fngrad.atan2(fngrad.tensor([1, -1]), fngrad.tensor([0, 0]))
    assert r.dtype == fngrad.float32
    np.testing.assert_allclose(r.numpy(), [np.pi / 2, -np.pi / 2], rtol=1e-6)
    x = fngrad.tensor(a.copy(), dtype=fngrad.float64)
    x.atan2_(fngrad.tensor(b))
    np.testing.assert_allclose(x.numpy(), np.arctan2(a, b))
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        fngrad.tensor([1, 2]).atan2_(fngrad.tensor([1, 2]))
    # hypot's kernel has no integer version in PyTorch (atan2 promotes instead)
    with pytest.raises(NotImplementedError, match="\"hypot_cpu\" not implemented for 'Long'"):
        fngrad.hypot(fngrad.tensor([1, 2]), fngrad.tensor([1, 2]))


@requires_torch
@pytest.mark.parametrize("name", ["atan2", "hypot"])
def test_atan2_hypot_gradients_match_pytorch_including_the_origin(name):
    import torch

    a = np.array([[0.0, 1.5, -2.0], [0.0, -0.3, 4.0]])
    b = np.array([[0.0, -0.5, 2.0], [1.0, 0.0, -3.0]])
    g = np.array([[1.0, 2.0, -1.0], [0.5, 1.0, 3.0]])

    def run(lib):
        x = lib.tensor(a, requires_grad=True)
        y = lib.tensor(b, requires_grad=True)
        out = getattr(lib, name)(x, y)
        out.backward(lib.tensor(g))
        return out.detach().numpy(), x.grad.numpy(), y.grad.numpy(), out.grad_fn.name()

    ours, theirs = run(fngrad), run(torch)
    for o, t in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(o, t, rtol=1e-12, equal_nan=True)
    assert ours[3] == theirs[3]
