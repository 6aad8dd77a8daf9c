"""fngrad.autograd.check_function: each contract check with a Function that breaks it (the finding,
its kind and the user's line) and one that keeps it (no finding)."""

import inspect

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.autograd import Function, check_function, once_differentiable
from fngrad.autograd.check_function import FunctionCheckError

F64 = fngrad.float64


def _x(n=4):
    return fngrad.randn(n, dtype=F64, requires_grad=True)


def _line(cls, marker):
    """The file line of the source line of ``cls`` that carries the comment ``# <- marker``."""
    lines, start = inspect.getsourcelines(cls)
    hits = [start + i for i, text in enumerate(lines) if f"# <- {marker}" in text]
    assert len(hits) == 1, (marker, hits)
    return hits[0]


def _check(cls, *inputs, **kw):
    return check_function(cls, *inputs, raise_on_error=False, **kw)


def _only(report, kind):
    found = [f for f in report.findings if f.kind == kind]
    assert found, str(report)
    return found


# ---- reference Functions that keep every rule ----


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos()


class Scale(Function):  # a non-tensor input, kept as a ctx attribute (as it should be)
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None


class SinhWithOutputs(Function):  # PyTorch's tutorial fix: intermediates returned as outputs
    @staticmethod
    def forward(ctx, x):
        expx, expnegx = x.exp(), (-x).exp()
        ctx.save_for_backward(expx, expnegx)
        return (expx - expnegx) / 2, expx, expnegx

    @staticmethod
    def backward(ctx, g, gexpx, gexpnegx):
        expx, expnegx = ctx.saved_tensors
        return g * (expx + expnegx) / 2 + gexpx * expx - gexpnegx * expnegx


@pytest.mark.parametrize("cls,extra", [(Sin, ()), (Scale, (2.5,)), (SinhWithOutputs, ())])
def test_correct_functions_have_no_findings(cls, extra):
    report = check_function(cls, _x(), *extra)  # raise_on_error=True: would raise on any finding
    assert report.ok and report.findings == []
    assert "no problems found" in str(report)


# Shared backwards: the fixtures below differ in forward only.


class _TimesTwo(Function):
    """Base of the Functions computing 2 x (in their own ways)."""

    @staticmethod
    def backward(ctx, g):
        return g * 2


class _ExpPlusOne(Function):
    """Base of the Functions computing e^x + 1 that save it as y."""

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y - 1)


def test_the_inputs_given_are_never_modified():
    x = _x()
    before = x.detach().numpy().copy()
    assert check_function(InPlaceDirty, x).ok
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x._version == 0 and x.grad is None


# ---- an input modified in forward without mark_dirty ----


class InPlaceNoDirty(_TimesTwo):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)  # <- inplace
        return x * 1


class InPlaceThroughNumpy(_TimesTwo):
    @staticmethod
    def forward(ctx, x):
        x.detach().numpy()[...] *= 2  # <- numpy
        return x * 1


class InPlaceDirty(_TimesTwo):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x


def test_input_modified_without_mark_dirty():
    (f,) = _only(_check(InPlaceNoDirty, _x()), "input_modified")
    assert f.lineno == _line(InPlaceNoDirty, "inplace") and f.filename == __file__
    assert "mark_dirty" in f.message and "in place" in f.message
    (f,) = _only(_check(InPlaceThroughNumpy, _x()), "input_modified")
    assert f.lineno == _line(InPlaceThroughNumpy, "numpy")
    assert "through its memory" in f.message
    assert _check(InPlaceDirty, _x()).ok


# ---- a saved tensor modified after it was saved ----


class SavedThenModified(_ExpPlusOne):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)  # <- save
        y.add_(1)  # <- modify
        return y * 1


class SavedThenWrittenThroughNumpy(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        out = x * x
        x.detach().numpy()[0] = 0.0  # <- numpy
        return out

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


class SavedModifiedInBackward(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        x.mul_(2)  # <- backward
        return g * x


class SavedAfterModifying(_ExpPlusOne):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        y.add_(1)
        ctx.save_for_backward(y)
        return y


def test_saved_tensor_modified_after_save():
    (f,) = _only(_check(SavedThenModified, _x()), "saved_tensor_modified")
    assert f.lineno == _line(SavedThenModified, "modify")
    assert f"{__file__}:{_line(SavedThenModified, 'save')}" in f.message
    (f,) = _only(_check(SavedThenWrittenThroughNumpy, _x()), "saved_tensor_modified")
    assert f.lineno == _line(SavedThenWrittenThroughNumpy, "numpy") and "through its memory" in f.message
    report = _check(SavedModifiedInBackward, _x())
    (f,) = _only(report, "saved_tensor_modified")
    assert f.lineno == _line(SavedModifiedInBackward, "backward") and "in backward" in f.message
    assert "input_modified" not in report.kinds()  # the same tensor: reported once
    assert _check(SavedAfterModifying, _x()).ok


# ---- an intermediate stashed on ctx (double backward silently wrong) ----


class ExpStashed(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.e = x.exp()  # <- stash
        return ctx.e * 1

    @staticmethod
    def backward(ctx, g):
        return g * ctx.e


class SinhSavedIntermediates(Function):
    @staticmethod
    def forward(ctx, x):
        expx, expnegx = x.exp(), (-x).exp()
        ctx.save_for_backward(expx, expnegx)  # <- save
        return (expx - expnegx) / 2

    @staticmethod
    def backward(ctx, g):
        expx, expnegx = ctx.saved_tensors
        return g * (expx + expnegx) / 2


class ConstantOnCtx(Function):  # a tensor that does not depend on the inputs is fine
    @staticmethod
    def forward(ctx, x):
        ctx.w = fngrad.full((4,), 3.0, dtype=F64)
        return x * ctx.w

    @staticmethod
    def backward(ctx, g):
        return g * ctx.w


def test_intermediate_stashed_on_ctx():
    report = _check(ExpStashed, _x())
    (f,) = _only(report, "intermediate_on_ctx")
    assert f.lineno == _line(ExpStashed, "stash") and "ctx.e" in f.message
    assert "return it as an output" in f.message.lower() and "save_for_backward" in f.message
    assert "gradgradcheck" in report.kinds()  # the second derivative is wrong indeed
    found = _only(_check(SinhSavedIntermediates, _x()), "intermediate_on_ctx")
    assert [f.lineno for f in found] == [_line(SinhSavedIntermediates, "save")] * 2
    assert _check(ConstantOnCtx, _x()).ok
    # Only first derivatives wanted: not a problem then.
    assert "intermediate_on_ctx" not in _check(ExpStashed, _x(), double_backward=False).kinds()


class XExpStashed(Function):  # x e^x, with e^x stashed: first derivative right, second wrong
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.e = x.exp()  # <- stash
        return x * ctx.e

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.e * (1 + x)


def test_a_stash_that_only_double_backward_sees():
    report = _check(XExpStashed, _x())
    assert sorted(report.kinds()) == ["gradgradcheck", "intermediate_on_ctx"]  # gradcheck itself passes
    assert _only(report, "intermediate_on_ctx")[0].lineno == _line(XExpStashed, "stash")


@requires_torch
def test_pytorch_gives_a_silently_wrong_second_derivative_for_a_stashed_intermediate():
    """Why the check exists: PyTorch runs the same Function without a word and returns e^x where the
    second derivative of x e^x is e^x (2 + x)."""
    import torch

    class TXExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.e = x.exp()
            return x * ctx.e

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ctx.e * (1 + x)

    x = torch.tensor([0.3, -0.2], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(TXExp.apply(x).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    e = np.exp(x.detach().numpy())
    np.testing.assert_allclose(g.detach().numpy(), e * (1 + x.detach().numpy()))  # first order: right
    np.testing.assert_allclose(gg.numpy(), e)  # second order: e^x, not e^x (2 + x)


# ---- tensors kept as ctx attributes ----


class InputAsAttribute(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.x = x  # <- attr
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        return g * ctx.x.cos()


WEIGHT = fngrad.full((4,), 2.0, dtype=F64, requires_grad=True)


class CapturesAWeight(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.w = WEIGHT  # <- weight
        return x * WEIGHT.detach()

    @staticmethod
    def backward(ctx, g):
        return g * ctx.w


def test_tensors_kept_as_ctx_attributes():
    (f,) = _only(_check(InputAsAttribute, _x()), "tensor_on_ctx")
    assert f.lineno == _line(InputAsAttribute, "attr") and "save_for_backward" in f.message
    (f,) = _only(_check(CapturesAWeight, _x()), "tensor_on_ctx")
    assert f.lineno == _line(CapturesAWeight, "weight") and "not an input" in f.message
    assert _check(Sin, _x()).ok


# ---- what backward returns ----


class Float32Gradient(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return (g * 2).float()  # <- dtype


class WrongShapeGradient(Function):
    @staticmethod
    def forward(ctx, x):
        return x.sum()

    @staticmethod
    def backward(ctx, g):
        return g.reshape(1).expand(3)  # <- shape


class TooManyGradients(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2, None  # <- count


class BroadcastGradient(Function):  # a gradient that sums down to the input's shape is allowed
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return (g * 2).expand(2, 4) / 2


def test_gradient_dtype_shape_and_count():
    report = _check(Float32Gradient, _x())
    (f,) = _only(report, "gradient_dtype")
    assert f.lineno == _line(Float32Gradient, "dtype") and "float32" in f.message
    report = _check(WrongShapeGradient, _x())
    (f,) = _only(report, "gradient_shape")
    assert f.lineno == _line(WrongShapeGradient, "shape") and "[3]" in f.message and "[4]" in f.message
    assert report.kinds() == ["gradient_shape"]  # the later checks, which would fail the same way, are skipped
    assert report.skipped
    (f,) = _only(_check(TooManyGradients, _x()), "gradient_count")
    assert f.lineno == _line(TooManyGradients, "count") and "expected 1, got 2" in f.message
    assert _check(BroadcastGradient, _x()).ok


# ---- gradients that depend on the call order ----


class KeepsStateOnTheClass(Function):
    last = None

    @staticmethod
    def forward(ctx, x):
        KeepsStateOnTheClass.last = x.detach().clone()
        return x * x

    @staticmethod
    def backward(ctx, g):
        return 2 * KeepsStateOnTheClass.last * g  # <- class


class CountsCalls(Function):
    calls = 0

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        CountsCalls.calls += 1
        return g * (2 + 1e-3 * (CountsCalls.calls % 2))  # <- calls


class KeepsStateOnCtx(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


def test_gradients_that_depend_on_the_call_order():
    (f,) = _only(_check(KeepsStateOnTheClass, _x()), "call_order")
    assert f.lineno == _line(KeepsStateOnTheClass, "class") and "another call" in f.message
    (f,) = _only(_check(CountsCalls, _x()), "call_order")
    assert f.lineno == _line(CountsCalls, "calls") and "two forward+backward runs" in f.message
    assert _check(KeepsStateOnCtx, _x()).ok


# ---- a backward that is not differentiable ----


class NumpyBackward(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return fngrad.from_numpy(g.detach().numpy() * np.cos(x.detach().numpy()))  # <- numpy


class NumpyBackwardOnce(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return fngrad.from_numpy(g.numpy() * np.cos(x.detach().numpy()))


def test_non_differentiable_backward_without_once_differentiable():
    report = _check(NumpyBackward, _x())
    (f,) = _only(report, "backward_not_differentiable")
    assert f.lineno == _line(NumpyBackward, "numpy") and "once_differentiable" in f.message
    report = _check(NumpyBackwardOnce, _x())
    assert report.ok
    assert ("gradgradcheck", "backward is once_differentiable") in report.skipped


# ---- numbers, errors, raising ----


class WrongFormula(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.sin()  # <- formula


class RaisesInForward(Function):
    @staticmethod
    def forward(ctx, x):
        return x.reshape(5)  # <- raise

    @staticmethod
    def backward(ctx, g):
        return g


def test_gradcheck_and_errors_are_findings_too():
    report = _check(WrongFormula, _x())
    (f,) = _only(report, "gradcheck")
    assert f.lineno == _line(WrongFormula, "formula") and "Jacobian mismatch" in f.message
    report = _check(RaisesInForward, _x())
    (f,) = _only(report, "error")
    assert f.lineno == _line(RaisesInForward, "raise") and "forward raised RuntimeError" in f.message


def test_raise_on_error_lists_every_finding():
    with pytest.raises(FunctionCheckError) as info:
        check_function(ExpStashed, _x())
    report = info.value.report
    assert {"intermediate_on_ctx", "gradgradcheck"} <= set(report.kinds())
    for f in report.findings:
        assert f"{f.filename}:{f.lineno}: [{f.kind}]" in str(info.value)
    assert isinstance(info.value, fngrad.autograd.GradcheckError)


def test_bad_arguments_and_cleanup():
    with pytest.raises(TypeError, match="subclass of fngrad.autograd.Function"):
        check_function(lambda x: x, _x())
    with pytest.raises(TypeError, match="subclass of fngrad.autograd.Function"):
        check_function(Function, _x())
    for cls in (Sin, RaisesInForward):
        _check(cls, _x())
        # The ctx class is as before: nothing of the check's instrumentation is left on it.
        assert "__setattr__" not in vars(cls._backward_cls) and "save_for_backward" not in vars(cls._backward_cls)
    fngrad.autograd.gradcheck(lambda t: Sin.apply(t), (_x(),))


# ---- the guide ----


def test_the_guides_snippets_run():
    """docs/custom_functions.md: every ```python block, in order, in one namespace (its asserts are
    the expectations: each broken Function's finding, each fixed one passing)."""
    import pathlib
    import re

    text = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "custom_functions.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) > 10
    namespace = {"__name__": "custom_functions_guide"}
    for block in blocks:
        exec(compile(block, "docs/custom_functions.md", "exec"), namespace)  # noqa: S102


# ---- the forward-mode check, where jvp is defined ----


class SinWithJvp(Sin):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)
        return x.sin()

    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_for_forward
        return t * x.cos()


class SinWrongJvp(SinWithJvp):
    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_for_forward
        return t * x.sin()


def test_forward_mode_check_runs_where_jvp_is_defined():
    assert check_function(SinWithJvp, _x()).ok
    (f,) = _only(_check(SinWrongJvp, _x()), "forward-mode check")
    assert "Jacobian computed with forward mode mismatch" in f.message
