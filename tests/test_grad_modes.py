"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode; thread-local."""

import threading

import pytest

import fngrad


def records(x):
    return (x * 2).requires_grad


def test_no_grad_context_decorator_and_generator():
    x = fngrad.ones(1, requires_grad=True)
    with fngrad.no_grad():
        assert not fngrad.is_grad_enabled() and not records(x)
    assert fngrad.is_grad_enabled()

    @fngrad.no_grad()
    def f():
        return records(x)

    @fngrad.no_grad()
    def gen():
        yield records(x)
        yield fngrad.is_grad_enabled()

    assert f() is False
    assert list(gen()) == [False, False]
    assert fngrad.is_grad_enabled()


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(ValueError):
        with fngrad.no_grad():
            raise ValueError
    assert fngrad.is_grad_enabled()


def test_set_grad_enabled_three_ways():
    x = fngrad.ones(1, requires_grad=True)
    with fngrad.set_grad_enabled(False):
        assert not records(x)
    assert records(x)
    fngrad.set_grad_enabled(False)
    assert not records(x)
    fngrad.set_grad_enabled(True)

    @fngrad.set_grad_enabled(False)
    def f():
        return records(x)

    assert f() is False and fngrad.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = fngrad.ones(1, requires_grad=True)
    with fngrad.no_grad():
        with fngrad.enable_grad():
            assert records(x)
        assert not records(x)


def test_grad_mode_is_thread_local():
    results = {}
    started = threading.Event()
    release = threading.Event()

    def other():
        started.set()
        release.wait()
        results["other"] = fngrad.is_grad_enabled()

    t = threading.Thread(target=other)
    t.start()
    started.wait()
    with fngrad.no_grad():
        release.set()
        t.join()
    assert results["other"] is True


def test_inference_mode():
    x = fngrad.ones(2, requires_grad=True)
    with fngrad.inference_mode():
        assert fngrad.is_inference_mode_enabled() and not fngrad.is_grad_enabled()
        y = x * 2
        y.add_(1)  # in place is fine inside
    assert not fngrad.is_inference_mode_enabled() and fngrad.is_grad_enabled()
    assert y.is_inference() and not y.requires_grad and not x.is_inference()
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode is not allowed"):
        y.add_(1)
    with pytest.raises(RuntimeError, match="Setting requires_grad=True on inference tensor outside InferenceMode"):
        y.requires_grad_()
    # A clone is a normal tensor.
    z = y.clone()
    assert not z.is_inference()
    z.add_(1)
    with fngrad.inference_mode(False):
        assert fngrad.is_grad_enabled()

    @fngrad.inference_mode()
    def f():
        return fngrad.ones(1)

    assert f().is_inference()
