"""gradcheck and gradgradcheck: they pass on correct gradients and fail, with both Jacobians, on
wrong ones."""

import warnings

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
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
    # WrongBackward's gradient at x = 1 is 2.01 against a true 2: off by 0.01 (0.5%).
    x = x64(1.0)
    assert not gradcheck(WrongBackward.apply, (x,), raise_exception=False)  # rtol 1e-3
    assert gradcheck(WrongBackward.apply, (x,), rtol=1e-2)
    assert gradcheck(WrongBackward.apply, (x,), rtol=0.0, atol=0.02)
    assert not gradcheck(WrongBackward.apply, (x,), rtol=0.0, atol=0.005, raise_exception=False)
    # eps 1e-6 differences on sin are accurate to ~1e-10; a tiny atol still passes.
    assert gradcheck(lambda t: t.sin(), (x64(0.1, 0.2),), atol=1e-8, rtol=1e-6)


def test_gradcheck_uses_eps():
    # Central differences of x^3 are 3x^2 + eps^2: 3.01 at x = 1 with eps = 0.1, beyond rtol 1e-3.
    cube = lambda t: t * t * t  # noqa: E731
    assert gradcheck(cube, (x64(1.0),))
    with pytest.raises(GradcheckError) as info:
        gradcheck(cube, (x64(1.0),), eps=0.1)
    assert "3.0100" in str(info.value)


class Noisy(Function):
    """Right gradient times (1 + a different 1e-10 on every backward call): not reentrant."""

    calls = 0

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        Noisy.calls += 1
        return g * 2 * x * (1 + Noisy.calls * 1e-10)


def test_nondet_tol():
    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        gradcheck(Noisy.apply, (x64(0.5, 1.5),), check_undefined_grad=False)
    assert gradcheck(Noisy.apply, (x64(0.5, 1.5),), nondet_tol=1e-6, check_undefined_grad=False)


class OnesWhenUndefined(Function):
    """Gets None for an unused output gradient (materialisation off) and wrongly returns ones."""

    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return fngrad.ones(2, dtype=fngrad.float64) if g is None else g * 2


class FailsWhenUndefined(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2

    @staticmethod
    def backward(ctx, g):
        if g is None:
            raise RuntimeError("this backward needs a gradient")
        return g * 2


def test_check_undefined_grad():
    x = x64(0.5, 1.5)
    with pytest.warns(UserWarning, match="check_undefined_grad=False"):
        with pytest.raises(GradcheckError, match="Expected all input grads to be undefined or zero"):
            gradcheck(OnesWhenUndefined.apply, (x,))
    assert gradcheck(OnesWhenUndefined.apply, (x,), check_undefined_grad=False)
    with pytest.warns(UserWarning):
        with pytest.raises(GradcheckError, match="Expected backward function to handle undefined output grads"):
            gradcheck(FailsWhenUndefined.apply, (x,))
    with pytest.warns(UserWarning):
        assert gradcheck(FailsWhenUndefined.apply, (x,), raise_exception=False) is False
    assert gradcheck(FailsWhenUndefined.apply, (x,), check_undefined_grad=False)
    # A backward that handles None (fngrad's own ops, a materialised Function) passes.
    assert gradcheck(lambda t: (t.exp(), t * 3), (x,))


class Float32Gradient(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, g):
        return (g * 3).to(fngrad.float32)


def test_check_grad_dtypes():
    # The engine converts a gradient to its input's dtype (as PyTorch's does), so the gradient
    # gradcheck sees is float64 and the check passes.
    assert gradcheck(Float32Gradient.apply, (x64(0.5, 1.5),), check_grad_dtypes=True, atol=1e-6)


class TinyOffset(Function):
    """Right gradient plus 1e-12, even for a zero grad_output."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2 + 1e-12


def test_masked_makes_the_zero_grad_output_check_approximate():
    x = x64(0.5, 1.5)
    with pytest.raises(GradcheckError, match="backward not multiplied by grad_output"):
        gradcheck(TinyOffset.apply, (x,), check_undefined_grad=False)
    assert gradcheck(TinyOffset.apply, (x,), check_undefined_grad=False, masked=True)


def test_fast_mode():
    a, b = x64(0.3, -1.2, 2.0), x64(0.7, 0.1)
    f = lambda s, t: ((s * s).sin().sum() * t, s.exp())  # noqa: E731
    assert gradcheck(f, (a, b), fast_mode=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongBackward.apply, (x64(1.0, 2.0),), fast_mode=True)
    message = str(info.value)
    assert "Jacobian mismatch for output 0 with respect to input 0" in message
    assert "in fast mode" in message
    assert "4.0200" in message  # the slow-mode analytical Jacobian is shown too
    assert gradcheck(WrongBackward.apply, (x64(1.0, 2.0),), fast_mode=True, raise_exception=False) is False


def test_non_contiguous_inputs_are_perturbed_in_place():
    x = fngrad.tensor(np.arange(12.0).reshape(3, 4) / 10, dtype=fngrad.float64).t().requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(lambda t: (t * t).sin() @ fngrad.ones(3, dtype=fngrad.float64), (x,))
    assert gradcheck(lambda t: (t * t).sin(), (x,), fast_mode=True)
    with pytest.raises(GradcheckError):
        gradcheck(WrongBackward.apply, (x,))


def test_stride_zero_input_is_refused():
    x = fngrad.ones(1, 3, dtype=fngrad.float64).expand(2, 3).requires_grad_()
    with pytest.raises(RuntimeError, match="The 0th input has a dimension with stride 0"):
        gradcheck(lambda t: t * 2, (x,))


def test_no_differentiable_output():
    x = x64(0.5, 1.5)
    assert gradcheck(lambda t: fngrad.ones(2, dtype=fngrad.float64), (x,))
    for fast_mode in (False, True):
        with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be zero"):
            gradcheck(lambda t: t.detach() * 2, (x,), fast_mode=fast_mode)


def test_the_message_counts_differentiable_inputs_only():
    # As PyTorch: b is the first input that requires grad, so it is "input 0".
    with pytest.raises(GradcheckError, match="with respect to input 0"):
        gradcheck(lambda a, b: a * 2 + WrongBackward.apply(b), (fngrad.ones(1, dtype=fngrad.float64), x64(3.0)))


def test_unsupported_options_raise():
    x = x64(0.5)
    with pytest.raises(NotImplementedError, match="gradcheck: check_batched_grad=True is not supported"):
        gradcheck(lambda t: t * 2, (x,), check_batched_grad=True)
    # check_forward_ad is supported: forward mode's Jacobian against central differences.
    assert gradcheck(lambda t: t * 2, (x,), check_forward_ad=True, check_backward_ad=False)
    with pytest.raises(NotImplementedError, match="check_batched_forward_grad=True"):
        gradcheck(lambda t: t * 2, (x,), check_batched_forward_grad=True, check_forward_ad=True)
    with pytest.raises(AssertionError, match="at least one of check_forward_ad or check_backward_ad"):
        gradcheck(lambda t: t * 2, (x,), check_backward_ad=False)
    with pytest.raises(NotImplementedError, match="gradgradcheck: check_fwd_over_rev=True"):
        gradgradcheck(lambda t: t * t, (x,), check_fwd_over_rev=True)
    with pytest.raises(NotImplementedError, match="gradgradcheck: check_batched_grad=True"):
        gradgradcheck(lambda t: t * t, (x,), check_batched_grad=True)
    with pytest.raises(AssertionError, match="check_undefined_grad=True requires check_rev_over_rev"):
        gradgradcheck(lambda t: t * t, (x,), check_rev_over_rev=False, check_fwd_over_rev=True)


def test_gradgradcheck_options():
    x = x64(0.5, -1.5, 2.0)
    cube = lambda t: t * t * t  # noqa: E731
    assert gradgradcheck(cube, (x,), gen_non_contig_grad_outputs=True)
    assert gradgradcheck(cube, (x,), fast_mode=True)
    for fast_mode in (False, True):
        assert gradgradcheck(NotTwiceDifferentiable.apply, (x,), fast_mode=fast_mode, raise_exception=False) is False
    # Given grad_outputs are used as given: one that does not require grad is not checked.
    v = fngrad.tensor([1.0, 2.0, 3.0], dtype=fngrad.float64)
    assert gradgradcheck(cube, (x,), (v,))
    # NotTwiceDifferentiable's gradient does not require grad when v does not: it depends on x
    # numerically only, which gradcheck reports.
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be zero"):
        gradgradcheck(NotTwiceDifferentiable.apply, (x,), (v,))
    # The tolerances reach the inner gradcheck: x^4's second derivative at 1 with eps 0.1 is off
    # by 2 eps^2 = 0.02 from 12.
    quartic = lambda t: t * t * t * t  # noqa: E731
    assert gradgradcheck(quartic, (x64(1.0),), (v[:1].requires_grad_(),))
    assert not gradgradcheck(quartic, (x64(1.0),), (v[:1],), eps=0.1, raise_exception=False)
    assert gradgradcheck(quartic, (x64(1.0),), (v[:1],), eps=0.1, rtol=1e-2)


@requires_torch
def test_options_agree_with_pytorch():
    """The same Functions and options under torch.autograd.gradcheck and fngrad's: same verdicts."""
    import torch

    def build(lib):
        class Wrong(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * x * 2.01

        class Ones(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return lib.ones(2, dtype=lib.float64) if g is None else g * 2

        class Offset(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2 + 1e-12

        class F32(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 3

            @staticmethod
            def backward(ctx, g):
                return (g * 3).to(lib.float32)

        return [
            (Wrong.apply, {}), (Wrong.apply, {"rtol": 1e-2}), (Wrong.apply, {"fast_mode": True}),
            (Wrong.apply, {"rtol": 0.0, "atol": 0.005}), (Wrong.apply, {"rtol": 0.0, "atol": 0.02}),
            (lambda t: t * t * t, {"eps": 0.1}), (lambda t: t * t * t, {"fast_mode": True}),
            (Ones.apply, {}), (Ones.apply, {"check_undefined_grad": False}), (Ones.apply, {"fast_mode": True}),
            (Offset.apply, {"check_undefined_grad": False}),
            (Offset.apply, {"check_undefined_grad": False, "masked": True}),
            (F32.apply, {"check_grad_dtypes": True, "atol": 1e-6}),
            (lambda t: t.detach() * 2, {}), (lambda t: lib.ones(2, dtype=lib.float64), {}),
        ]

    verdicts = {}
    for lib in (torch, fngrad):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            verdicts[lib.__name__] = [
                lib.autograd.gradcheck(f, (x,), raise_exception=False, **kw) for f, kw in build(lib)
            ]
    assert verdicts["fngrad"] == verdicts["torch"]
