"""The elementwise ops added to the native tables (rounding, inverse trigonometric and hyperbolic,
log2/log10/exp2, square, erfc, deg2rad/rad2deg; floor_divide, remainder, fmod, copysign,
logaddexp(2), xlogy) and the Python family over them (python/fngrad/_rounding.py: `//`, `%`,
div(rounding_mode=), round(decimals=)), beyond the op-table rows: integer semantics against
NumPy and Python, division by zero, zero gradients, edge gradients and node names against
PyTorch, and the in-place aliasing error of z.mul_(z)."""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

A = np.array([7, -7, 7, -7, 0, 5, -1])
B = np.array([2, 2, -2, -2, 3, 1, 4])


def test_integer_floor_division_and_remainder_are_pythons():
    a, b = fngrad.tensor(A), fngrad.tensor(B)
    q, r = a // b, a % b
    assert q.dtype == fngrad.int64 and r.dtype == fngrad.int64
    assert q.tolist() == [x // y for x, y in zip(A.tolist(), B.tolist())]
    assert r.tolist() == [x % y for x, y in zip(A.tolist(), B.tolist())]
    assert fngrad.fmod(a, b).tolist() == np.fmod(A, B).tolist()
    assert fngrad.div(a, b, rounding_mode="trunc").tolist() == [int(x / y) for x, y in zip(A.tolist(), B.tolist())]
    assert a.div(b, rounding_mode="floor").tolist() == q.tolist()
    # A Python number on either side.
    assert (5 // fngrad.tensor([2, -2])).tolist() == [2, -3]
    assert (5 % fngrad.tensor([2, -2])).tolist() == [1, -1]
    assert (fngrad.tensor([7, -7]) % 3).tolist() == [1, 2]
    assert fngrad.div(7, fngrad.tensor([2, -2]), rounding_mode="trunc").tolist() == [3, -3]
    # Exact beyond float precision: 2**62 + 1 over 3.
    big = fngrad.tensor([2**62 + 1])
    assert (big // 3).item() == (2**62 + 1) // 3
    assert fngrad.div(-big, 3, rounding_mode="trunc").item() == -((2**62 + 1) // 3)


def test_float_floor_division_and_remainder_match_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-5, 5, 50), rng.uniform(-3, 3, 50)
    ta, tb = fngrad.tensor(a), fngrad.tensor(b)
    np.testing.assert_array_equal((ta // tb).numpy(), np.floor_divide(a, b))
    np.testing.assert_allclose((ta % tb).numpy(), np.remainder(a, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fngrad.fmod(ta, tb).numpy(), np.fmod(a, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(fngrad.div(ta, tb, rounding_mode="trunc").numpy(), np.trunc(a / b))
    # Division by zero in floats: inf and NaN, as PyTorch and NumPy.
    x = fngrad.tensor([7.0, -7.0, 0.0])
    np.testing.assert_array_equal((x // 0).numpy(), [np.inf, -np.inf, np.nan])
    assert np.isnan((x % 0).numpy()).all() and np.isnan(fngrad.fmod(x, 0.0).numpy()).all()


@pytest.mark.parametrize("spelling", [
    lambda a, b: a // b, lambda a, b: a % b, lambda a, b: fngrad.fmod(a, b),
    lambda a, b: fngrad.div(a, b, rounding_mode="trunc"), lambda a, b: fngrad.div(a, b, rounding_mode="floor"),
    lambda a, b: a // 0, lambda a, b: a % 0, lambda a, b: 3 // b,
])
def test_integer_division_by_zero_raises_as_pytorch_and_leaves_everything_usable(spelling):
    a, b = fngrad.tensor([4, 5]), fngrad.tensor([1, 0])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        spelling(a, b)
    assert a.tolist() == [4, 5] and b.tolist() == [1, 0]
    assert (a // fngrad.tensor([2, 2])).tolist() == [2, 2]


def test_in_place_operators_and_rounding_modes():
    x = fngrad.tensor([7, -7])
    y = x
    x //= 2
    assert x is y and x.tolist() == [3, -4]
    x %= 3
    assert x is y and x.tolist() == [0, 2]
    z = fngrad.tensor([7, -7])
    assert z.div_(2, rounding_mode="trunc") is z and z.tolist() == [3, -3]
    f = fngrad.tensor([7.5, -7.5])
    assert f.div_(2, rounding_mode="trunc").tolist() == [3.0, -3.0]
    f = fngrad.tensor([7.5, -7.5])
    assert f.div_(2, rounding_mode="floor").tolist() == [3.0, -4.0]
    assert fngrad.tensor([1.0, 3.0]).div_(2).tolist() == [0.5, 1.5]
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        fngrad.tensor([1, 2]).div_(2)
    with pytest.raises(RuntimeError, match="rounding_mode to be one of None, 'trunc', or 'floor' but found 'x'"):
        fngrad.div(fngrad.tensor([1.0]), 2, rounding_mode="x")
    with pytest.raises(RuntimeError, match="but found 'round'"):
        fngrad.tensor([1.0]).div(2, rounding_mode="round")


def test_rounding_integers_are_unchanged_and_halves_round_to_even():
    i = fngrad.tensor([3, -4])
    for name in ("floor", "ceil", "round", "trunc"):
        r = getattr(i, name)()
        assert r.dtype == fngrad.int64 and r.tolist() == [3, -4]
    assert fngrad.square(i).tolist() == [9, 16] and fngrad.square(i).dtype == fngrad.int64
    halves = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999997])
    np.testing.assert_array_equal(fngrad.tensor(halves, dtype=fngrad.float64).round().numpy(), np.round(halves))
    x = fngrad.tensor([1.2345, 2.5, -0.125, 1250.0], dtype=fngrad.float64)
    np.testing.assert_allclose(fngrad.round(x, decimals=2).numpy(), [1.23, 2.5, -0.12, 1250.0])
    np.testing.assert_allclose(x.round(decimals=-2).numpy(), [0.0, 0.0, -0.0, 1200.0])
    y = x.clone()
    assert y.round_(decimals=1) is y
    np.testing.assert_allclose(y.numpy(), [1.2, 2.5, -0.1, 1250.0])
    with pytest.raises(NotImplementedError, match="round"):
        i.round(decimals=1)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_rounding_gradient_is_zero(name):
    x = fngrad.tensor([-1.7, -0.2, 0.3, 2.6], dtype=fngrad.float64, requires_grad=True)
    y = getattr(x, name)()
    (y * fngrad.tensor([1.0, 2.0, 3.0, 4.0], dtype=fngrad.float64)).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]
    # Also under create_graph, where the gradient is built from fngrad ops.
    x.grad = None
    (g,) = fngrad.autograd.grad(getattr(x, name)().sum(), x, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_division_with_rounding_has_zero_gradient_remainders_pass_it():
    a = fngrad.tensor([1.5, -2.5, 3.0], dtype=fngrad.float64, requires_grad=True)
    b = fngrad.tensor([0.7, 0.7, -1.1], dtype=fngrad.float64, requires_grad=True)
    (a // b + fngrad.div(a, b, rounding_mode="trunc")).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0, 0.0] and b.grad.tolist() == [0.0, 0.0, 0.0]
    a.grad = b.grad = None
    (a % b).sum().backward()
    q = np.floor(np.array([1.5, -2.5, 3.0]) / np.array([0.7, 0.7, -1.1]))
    assert a.grad.tolist() == [1.0, 1.0, 1.0]
    np.testing.assert_allclose(b.grad.numpy(), -q)


def test_self_as_the_other_operand_of_an_in_place_op_is_refused_in_backward():
    # PyTorch saves `other` before the write; z.mul_(z) then makes it stale, and backward raises.
    x = fngrad.tensor([1.5, 2.0], requires_grad=True)
    z = x * 1
    z.mul_(z)
    np.testing.assert_allclose(z.detach().numpy(), [2.25, 4.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    # The same through a view of z, and for another op that reads other.
    z = x * 1
    z.div_(z[:])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    # An op whose gradient does not read other is fine (2 per element, as in PyTorch).
    x.grad = None
    z = x * 1
    z.add_(z)
    z.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    # Without grad, z.mul_(z) squares.
    w = fngrad.tensor([1.5, -2.0])
    assert w.mul_(w).tolist() == [2.25, 4.0]


@requires_torch
def test_the_in_place_aliasing_error_matches_pytorch():
    import torch

    def run(lib):
        x = lib.tensor([1.5, 2.0], requires_grad=True)
        z = x * 1
        z.mul_(z)
        try:
            z.sum().backward()
        except RuntimeError as e:
            return str(e).split(":")[0]
        return x.grad.tolist()

    assert run(fngrad) == run(torch)


@requires_torch
@pytest.mark.parametrize("name,a,b", [
    ("remainder", [1.5, -2.5, 3.0, 0.4], [0.7, 0.7, -1.1, 2.0]),
    ("fmod", [1.5, -2.5, 3.0, 0.4], [0.7, 0.7, -1.1, 2.0]),
    ("copysign", [1.5, 0.0, -3.0, 0.4], [-0.7, 1.0, -1.1, 0.0]),
    ("xlogy", [0.0, 0.0, 2.0, -1.5], [0.0, -1.0, 0.5, 3.0]),
    ("logaddexp", [0.0, -1.5, 30.0, 2.0], [0.0, 2.0, -30.0, 2.0]),
    ("logaddexp2", [0.0, -1.5, 30.0, 2.0], [0.0, 2.0, -30.0, 2.0]),
    ("floor_divide", [1.5, -2.5, 3.0, 0.4], [0.7, 0.7, -1.1, 2.0]),
])
def test_binary_values_gradients_and_node_names_match_pytorch(name, a, b):
    import torch

    g = [1.0, -2.0, 0.5, 3.0]

    def run(lib, fn):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        y = lib.tensor(b, dtype=lib.float64, requires_grad=True)
        out = fn(lib)(x, y)
        out.backward(lib.tensor(g, dtype=lib.float64))
        return out.detach().numpy(), x.grad.numpy(), y.grad.numpy(), out.grad_fn.name()

    ours = run(fngrad, lambda lib: getattr(lib, name))
    # PyTorch's floor_divide has no derivative; its div(rounding_mode='floor') is the same function.
    theirs = run(torch, (lambda lib: lambda x, y: torch.div(x, y, rounding_mode="floor")) if name == "floor_divide"
                 else (lambda lib: getattr(lib, name)))
    for o, t in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(o, t, rtol=1e-12, atol=1e-15, equal_nan=True)
    assert ours[3] == theirs[3]


@requires_torch
@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "frac", "tan", "asin", "acos", "atan", "sinh",
                                  "cosh", "asinh", "acosh", "atanh", "log2", "log10", "exp2", "square", "erfc",
                                  "deg2rad", "rad2deg"])
def test_unary_values_gradients_and_node_names_match_pytorch(name):
    import torch

    x0 = [1.2, 1.5, 1.9, 2.5] if name == "acosh" else [-0.7, -0.5, 0.3, 0.5]

    def run(lib):
        x = lib.tensor(x0, dtype=lib.float64, requires_grad=True)
        y = getattr(lib, name)(x)
        (gx,) = lib.autograd.grad(y, x, lib.tensor([1.0, -2.0, 0.5, 3.0], dtype=lib.float64), create_graph=True)
        (ggx,) = lib.autograd.grad(gx.sum(), x, allow_unused=True) if gx.requires_grad else (None,)
        try:  # what an integer input gives: its dtype, or the error
            on_int = str(getattr(lib, name)(lib.tensor([3, -2])).dtype).split(".")[-1]
        except NotImplementedError as e:
            on_int = str(e).split("] ")[-1]
        return (y.detach().numpy(), gx.detach().numpy(), None if ggx is None else ggx.numpy(), y.grad_fn.name(),
                on_int)

    ours, theirs = run(fngrad), run(torch)
    for o, t in zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(o, t, rtol=1e-12, atol=1e-15)
    if theirs[2] is not None and ours[2] is not None:
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-10, atol=1e-12)
    assert ours[3:] == theirs[3:]


@requires_torch
def test_operators_and_div_match_pytorch_on_integers():
    import torch

    for op in (lambda a, b: a // b, lambda a, b: a % b, lambda a, b: a.fmod(b),
               lambda a, b: a.div(b, rounding_mode="trunc"), lambda a, b: 9 // b, lambda a, b: -9 % b):
        ours = op(fngrad.tensor(A), fngrad.tensor(B))
        theirs = op(torch.tensor(A), torch.tensor(B))
        assert ours.tolist() == theirs.tolist()
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
