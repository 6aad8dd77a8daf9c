"""End-of-backward callbacks (``Variable._execution_engine.queue_callback``), one GraphTask per
backward pass (reentrant backward included), ``is_checkpoint_valid`` and the legacy ``Variable``.

Each scenario is written once against a library (``fngrad`` or ``torch``): the tests check it
against hand-computed expectations, and against PyTorch when it is installed.
"""

import warnings

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.autograd import Variable

OUTSIDE = "Final callbacks can only be installed during backward pass."


def engine(lib):
    return lib.autograd.Variable._execution_engine


def torch_lib():
    import torch

    return torch


# --- scenarios: each returns a log that depends only on the library's semantics ---------------


def callbacks_see_final_grads(lib):
    """x feeds two branches; a hook on the first node to run queues the callback."""
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    a = x * w
    b = (x * x).sum() * 2.0
    out = a.sum() * 3.0 + b
    log = []
    out.register_hook(lambda g: engine(lib).queue_callback(lambda: log.append((x.grad.tolist(), w.grad.tolist()))))
    out.backward()
    return log


def order_and_queue_from_callback(lib):
    x = lib.ones(2, requires_grad=True)
    log = []

    def first():
        log.append("first")
        engine(lib).queue_callback(lambda: log.append("queued by first"))

    def hook(g):
        log.append("hook")
        engine(lib).queue_callback(first)
        engine(lib).queue_callback(lambda: log.append("second"))
        engine(lib).queue_callback(lambda: log.append("third"))

    y = x * 2
    y.register_hook(hook)
    y.sum().backward()
    log.append("backward returned")
    return log


def exception_in_callback(lib):
    x = lib.ones(2, requires_grad=True)
    log = []

    def boom():
        log.append("boom")
        raise ValueError("callback failed")

    def hook(g):
        engine(lib).queue_callback(boom)
        engine(lib).queue_callback(lambda: log.append("after boom"))

    y = x * 3
    y.register_hook(hook)
    with pytest.raises(ValueError, match="callback failed"):
        y.sum().backward()
    log.append(("grad after failure", x.grad.tolist()))
    # The engine is usable: outside backward again, and the next pass runs its own callbacks only.
    with pytest.raises(RuntimeError) as info:
        engine(lib).queue_callback(lambda: None)
    log.append(str(info.value))
    y = x * 5
    y.register_hook(lambda g: engine(lib).queue_callback(lambda: log.append("next pass")))
    y.sum().backward()
    log.append(("grad after next pass", x.grad.tolist()))
    return log


def failed_backward_runs_no_callback(lib):
    class Fails(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            raise ArithmeticError("backward failed")

    x = lib.ones(2, requires_grad=True)
    log = []
    y = x * 2
    z = Fails.apply(y)
    z.register_hook(lambda g: engine(lib).queue_callback(lambda: log.append("ran")))
    with pytest.raises(ArithmeticError):
        z.sum().backward()
    (x * 4).sum().backward()  # the failed pass's callback does not leak into this one
    log.append(x.grad.tolist())
    return log


def reentrant(lib):
    """A Function whose backward runs a backward of its own: callbacks go to the innermost pass."""
    log = []

    class Inner(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * 1

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            with lib.enable_grad():
                b = a.detach().requires_grad_()
                c = b * 3
                c.register_hook(lambda gc: engine(lib).queue_callback(lambda: log.append(("inner cb", b.grad.tolist()))))
                c.sum().backward()
            log.append(("inner backward returned", b.grad.tolist()))
            engine(lib).queue_callback(lambda: log.append(("outer cb", x.grad.tolist())))
            return g * b.grad

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: engine(lib).queue_callback(lambda: log.append(("outer cb from hook on y", x.grad.tolist()))))
    Inner.apply(y).sum().backward()
    log.append(("done", x.grad.tolist()))
    return log


def grad_and_modes(lib):
    """Callbacks in autograd.grad, grad mode inside them, and is_checkpoint_valid."""
    eng = engine(lib)
    log = [("outside", eng.is_checkpoint_valid())]
    x = lib.tensor([1.0, 2.0], requires_grad=True)

    def note(tag):
        return lambda: log.append((tag, lib.is_grad_enabled(), eng.is_checkpoint_valid()))

    for create_graph in (False, True):
        y = x * x
        y.register_hook(lambda g, c=create_graph: eng.queue_callback(note(f"backward create_graph={c}")))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # backward(create_graph=True)'s reference-cycle warning
            y.sum().backward(create_graph=create_graph)
        y = x * x
        y.register_hook(lambda g, c=create_graph: eng.queue_callback(note(f"grad create_graph={c}")))
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=create_graph)
        log.append(("grad result", g.tolist()))
    x.grad = None

    # A backward inside a grad() pass: checkpointing stays invalid in the inner pass.
    class Nested(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            log.append(("in grad", eng.is_checkpoint_valid()))
            with lib.enable_grad():
                b = lib.ones(1, requires_grad=True)
                c = b * 1
                c.register_hook(lambda gc: log.append(("nested backward", eng.is_checkpoint_valid())))
                c.sum().backward()
            return g

    lib.autograd.grad(Nested.apply(x).sum(), x)
    log.append(("after", eng.is_checkpoint_valid()))
    return log


def unused_input_after_callbacks(lib):
    """grad() raises for an unused input only after the pass, callbacks included, has finished."""
    x = lib.ones(2, requires_grad=True)
    unused = lib.ones(2, requires_grad=True)
    log = []
    y = x * 2
    y.register_hook(lambda g: engine(lib).queue_callback(lambda: log.append("callback")))
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        lib.autograd.grad(y.sum(), [x, unused])
    return log


def non_leaf_inputs_grad_before_callbacks(lib):
    """backward(inputs=[non-leaf]) fills its .grad before the callbacks run."""
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    log = []
    out = (h * h).sum()
    out.register_hook(lambda g: engine(lib).queue_callback(lambda: log.append((h.grad.tolist(), x.grad))))
    out.backward(inputs=[h])
    return log


# --- fngrad against hand-computed expectations -------------------------------------------------


def test_callback_sees_the_final_gradients_of_every_leaf():
    x, w = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    # out = 3 * sum(x * w) + 2 * sum(x * x)
    (grads,) = callbacks_see_final_grads(fngrad)
    np.testing.assert_allclose(grads[0], 3 * w + 4 * x)
    np.testing.assert_allclose(grads[1], 3 * x)


def test_callbacks_run_in_order_and_may_queue_more():
    assert order_and_queue_from_callback(fngrad) == [
        "hook", "first", "second", "third", "queued by first", "backward returned"]


def test_queue_callback_outside_backward_raises():
    with pytest.raises(RuntimeError) as info:
        Variable._execution_engine.queue_callback(lambda: None)
    assert str(info.value) == OUTSIDE
    (fngrad.ones(1, requires_grad=True) * 2).sum().backward()
    with pytest.raises(RuntimeError, match="Final callbacks can only be installed during backward pass"):
        fngrad._C._ImperativeEngine.queue_callback(lambda: None)


def test_exception_in_callback_reaches_the_caller_and_leaves_the_engine_usable():
    assert exception_in_callback(fngrad) == [
        "boom", ("grad after failure", [3.0, 3.0]), OUTSIDE, "next pass", ("grad after next pass", [8.0, 8.0])]


def test_non_callable_callback_fails_when_called():
    x = fngrad.ones(1, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: Variable._execution_engine.queue_callback(5))
    with pytest.raises(TypeError, match="'int' object is not callable"):
        y.sum().backward()
    assert x.grad.tolist() == [2.0]


def test_callbacks_do_not_run_when_backward_fails():
    assert failed_backward_runs_no_callback(fngrad) == [[4.0, 4.0]]


def test_reentrant_backward_has_its_own_callbacks():
    # inner: c = 3b, so b.grad = 3; outer: y = 2x, d(Inner)/dy = b.grad = 3 -> x.grad = 6.
    assert reentrant(fngrad) == [
        ("inner cb", [3.0, 3.0]),
        ("inner backward returned", [3.0, 3.0]),
        ("outer cb", [6.0, 6.0]),  # y's hook runs after Inner's backward, so queues later
        ("outer cb from hook on y", [6.0, 6.0]),
        ("done", [6.0, 6.0]),
    ]


def test_callbacks_in_grad_and_grad_mode_and_checkpoint_validity():
    log = grad_and_modes(fngrad)
    assert log[0] == ("outside", True)
    assert ("backward create_graph=False", False, True) in log
    assert ("backward create_graph=True", True, True) in log
    # Callbacks run after the nodes, where PyTorch's checkpoint guard no longer applies.
    assert ("grad create_graph=False", False, True) in log
    assert ("grad create_graph=True", True, True) in log
    assert ("grad result", [2.0, 4.0]) in log
    assert log[-3:] == [("in grad", False), ("nested backward", False), ("after", True)]


def test_unused_input_raises_after_the_callbacks():
    assert unused_input_after_callbacks(fngrad) == ["callback"]


def test_non_leaf_input_grad_is_set_before_the_callbacks():
    assert non_leaf_inputs_grad_before_callbacks(fngrad) == [([6.0, 12.0], None)]


def test_engine_run_backward_matches_autograd_backward():
    x = fngrad.tensor([1.0, 2.0], requires_grad=True)
    Variable._execution_engine.run_backward(
        ((x * x).sum(),), (None,), keep_graph=False, create_graph=False, inputs=None, allow_unreachable=True,
        accumulate_grad=True)
    assert x.grad.tolist() == [2.0, 4.0]


@requires_torch
@pytest.mark.parametrize("scenario", [
    callbacks_see_final_grads, order_and_queue_from_callback, exception_in_callback,
    failed_backward_runs_no_callback, reentrant, grad_and_modes, unused_input_after_callbacks,
    non_leaf_inputs_grad_before_callbacks,
], ids=lambda f: f.__name__)
def test_same_as_pytorch(scenario):
    assert scenario(fngrad) == scenario(torch_lib())


# --- Variable ----------------------------------------------------------------------------------


def test_variable_shares_memory_and_version_and_is_detached():
    x = fngrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    v = Variable(y)
    assert v.grad_fn is None and v.is_leaf and not v.requires_grad
    v.add_(1)
    assert y.tolist() == [3.0, 5.0]
    assert v._version == y._version == 1
    r = Variable(fngrad.ones(2), requires_grad=True)
    assert r.requires_grad and r.is_leaf
    assert isinstance(fngrad.ones(1), Variable) and type(r) is fngrad.Tensor
    e = Variable()
    assert e.shape == (0,) and e.dtype == fngrad.float32


def test_variable_bad_arguments():
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got int"):
        Variable(5)
    with pytest.raises(TypeError, match="_grad_fn has to be a Function object or None, but got int"):
        Variable(fngrad.ones(1), _grad_fn=1)
    with pytest.warns(UserWarning, match="volatile was removed"):
        Variable(fngrad.ones(1), volatile=True)


@requires_torch
def test_variable_same_as_pytorch():
    torch = torch_lib()

    def run(lib):
        t = lib.tensor([1.0, 2.0])
        v = lib.autograd.Variable(t, True)
        return [v.requires_grad, v.is_leaf, v.tolist(), lib.autograd.Variable(t).requires_grad,
                isinstance(t, lib.autograd.Variable), lib.autograd.Variable().tolist()]

    assert run(fngrad) == run(torch)
