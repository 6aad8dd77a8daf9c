"""gradcheck and gradgradcheck: they pass on correct gradients and fail, with both Jacobians, on
wrong ones."""

import numpy as np
import pytest

import fngrad
from fngrad.autograd import Function, GradcheckError, gradcheck, gradgradcheck


class WrongBackward(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x * 2.01  # half a percent wrong: above gradcheck's rtol of 0.1%


class NotTwiceDifferentiable(Function):
    """Right first derivative (3x^2), built so that its own derivative is wrong (ignores x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * (x * x).detach()


def x64(*values):
    return fngrad.tensor(list(values), dtype=fngrad.float64, requires_grad=True)


def test_gradcheck_passes_on_correct_gradients():
    assert gradcheck(lambda t: (t * t).sin().sum(), (x64(0.3, -1.2, 2.0),))


def test_gradcheck_fails_on_a_wrong_backward_and_shows_both_jacobians():
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongBackward.apply, (x64(1.0, 2.0),))
    message = str(info.value)
    assert "Jacobian mismatch for output 0 with respect to input 0" in message
    assert "numerical:" in message and "analytical:" in message
    assert "4.02" in message  # the wrong analytical entry 2.01 * 2 at x = 2
    assert gradcheck(WrongBackward.apply, (x64(1.0, 2.0),), raise_exception=False) is False


def test_gradcheck_names_the_mismatching_input():
    def f(a, b):
        return a * 2 + WrongBackward.apply(b)

    with pytest.raises(GradcheckError, match="with respect to input 1"):
        gradcheck(f, (x64(1.0), x64(3.0)))


def test_gradgradcheck_passes_and_fails():
    assert gradgradcheck(lambda t: (t * t * t).sum(), (x64(0.5, -1.5),))
    assert gradcheck(NotTwiceDifferentiable.apply, (x64(0.5, -1.5),))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(NotTwiceDifferentiable.apply, (x64(0.5, -1.5),))


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda t: t * 2, (fngrad.ones(2, dtype=fngrad.float64),))


def test_gradcheck_warns_for_float32():
    with pytest.warns(UserWarning, match="not a double precision"):
        gradcheck(lambda t: t * 2, (fngrad.ones(2, requires_grad=True),), eps=1e-3, atol=1e-2, rtol=1e-2)


def test_gradcheck_tolerances():
    # eps 1e-6 differences on sin are accurate to ~1e-10; a tiny atol still passes.
    assert gradcheck(lambda t: t.sin(), (x64(0.1, 0.2),), atol=1e-8, rtol=1e-6)
    np.testing.assert_allclose(1.0, 1.0)
