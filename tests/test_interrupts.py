"""An exception or KeyboardInterrupt in the middle of backward leaves a defined state
(Note [Interrupts in backward] in csrc/autograd/engine.cpp):
- leaves the engine reached keep what was accumulated into .grad; the others are untouched;
- nodes that ran released their saved tensors unless retain_graph was set, so a repeat backward
  through them raises PyTorch's backward-twice error; with retain_graph=True it runs again;
- a new graph runs backward normally."""

import signal
import time

import numpy as np
import pytest

import fngrad


class InterruptOnce(fngrad.autograd.Function):
    """Identity whose backward raises KeyboardInterrupt the first time it runs."""

    fired = False

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        if not InterruptOnce.fired:
            InterruptOnce.fired = True
            raise KeyboardInterrupt
        return g


@pytest.fixture(autouse=True)
def reset():
    InterruptOnce.fired = False


def two_branches():
    """loss = 2 * interrupt(b) + a * a. The engine runs the newest nodes first, so the a-branch
    (which saves a) completes and accumulates before the interrupting node runs (as in PyTorch)."""
    a = fngrad.ones(3, requires_grad=True)
    b = fngrad.ones(3, requires_grad=True)
    mid = InterruptOnce.apply(b)
    loss = (mid * 2).sum() + (a * a).sum()
    return a, b, loss


def test_keyboard_interrupt_in_backward_propagates_and_state_is_defined():
    a, b, loss = two_branches()
    with pytest.raises(KeyboardInterrupt):
        loss.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0, 2.0])  # reached before the interrupt
    assert b.grad is None  # never reached
    # The a-branch ran and released what it saved: repeating is PyTorch's backward-twice error.
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    # A new graph works.
    x = fngrad.ones(2, requires_grad=True)
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_interrupt_with_retain_graph_then_rerun():
    a, b, loss = two_branches()
    with pytest.raises(KeyboardInterrupt):
        loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 4.0, 4.0])  # 2a from each run


def test_user_exception_keeps_type_and_graph_is_reusable_with_retain_graph():
    class Flaky(fngrad.autograd.Function):
        calls = 0

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise ZeroDivisionError("transient")
            return g * 2

    x = fngrad.ones(4, requires_grad=True)
    y = Flaky.apply(x).sum()
    with pytest.raises(ZeroDivisionError, match="transient"):
        y.backward(retain_graph=True)
    assert x.grad is None
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.ones(4))


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")
def test_ctrl_c_interrupts_a_long_native_backward():
    """A signal whose handler raises KeyboardInterrupt (as SIGINT's does), arriving during one
    backward of a long chain of native nodes, stops it from inside the engine rather than after
    it returns (native nodes run no Python code, so only the engine can notice); the next
    backward works."""
    x = fngrad.ones(1, requires_grad=True)
    y = x
    for _ in range(300_000):
        y = y * 1.0

    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, handler)
    caught = None
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        fngrad.autograd.grad(y, x, retain_graph=True)
        time.sleep(5)  # the backward finished first: the interrupt arrives here and the test fails
    except KeyboardInterrupt as e:
        caught = e
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert caught is not None
    frames = []
    tb = caught.__traceback__
    while tb is not None:
        frames.append((tb.tb_frame.f_code.co_filename, tb.tb_frame.f_code.co_name))
        tb = tb.tb_next
    grad_file = fngrad.autograd.grad.__code__.co_filename
    assert any(name == "grad" and path == grad_file for path, name in frames), frames
    (g,) = fngrad.autograd.grad(y, x)
    np.testing.assert_array_equal(g.numpy(), [1.0])
