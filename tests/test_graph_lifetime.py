"""Graphs are freed when the user drops them, including the two cycles PyTorch leaves behind:
an output stored on ctx as an attribute, and a hook whose closure holds its own tensor.
The garbage collector must never free hooks of a graph that is still alive."""

import gc
import weakref

import numpy as np
import pytest

import fngrad


class StoresOutput(fngrad.autograd.Function):
    """y = x ** 2 with dy/dx = 2 * sqrt(y) * sign(x): backward reads the output from ctx.out."""

    @staticmethod
    def forward(ctx, x):
        out = x * x
        ctx.out = out
        ctx.sign = x.sign()
        return out

    @staticmethod
    def backward(ctx, g):
        return g * 2 * ctx.out.sqrt() * ctx.sign


def test_output_on_ctx_freed_without_gc():
    gc.disable()
    try:
        x = fngrad.randn(5, requires_grad=True)
        y = StoresOutput.apply(x)
        ref = weakref.ref(y)
        del y
        assert ref() is None  # plain reference counting, no collector
    finally:
        gc.enable()


def test_output_on_ctx_is_read_in_backward():
    xs = np.array([-2.0, -0.5, 0.5, 3.0])
    x = fngrad.tensor(xs, requires_grad=True)
    y = StoresOutput.apply(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * xs, rtol=1e-6)


def test_output_on_ctx_shares_memory_and_version_check():
    x = fngrad.randn(4, requires_grad=True)
    y = StoresOutput.apply(x)
    assert np.shares_memory(y.grad_fn.out.detach().numpy(), y.detach().numpy())
    with fngrad.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_output_on_ctx_released_after_backward():
    x = fngrad.randn(3, requires_grad=True)
    y = StoresOutput.apply(x)
    fn = y.grad_fn
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        fn.out


def test_output_on_ctx_kept_with_retain_graph():
    xs = np.array([1.0, -2.0])
    x = fngrad.tensor(xs, requires_grad=True)
    y = StoresOutput.apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * xs)


def test_ctx_attribute_reassigned_and_deleted():
    x = fngrad.randn(3, requires_grad=True)
    y = StoresOutput.apply(x)
    ctx = y.grad_fn
    ctx.out = 7
    assert ctx.out == 7
    del ctx.out
    with pytest.raises(AttributeError):
        ctx.out


def test_non_output_attributes_untouched():
    class F(fngrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.inp = x
            ctx.scale = 3.0
            return x * 3.0

        @staticmethod
        def backward(ctx, g):
            assert ctx.inp is not None
            return g * ctx.scale

    x = fngrad.randn(2, requires_grad=True)
    y = F.apply(x)
    assert y.grad_fn.inp is x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def _freed_by_gc(make):
    ref = make()
    gc.collect()
    return ref() is None


def test_hook_closure_holding_its_nonleaf_tensor_is_collected():
    def make():
        x = fngrad.randn(3, requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: g + 0 * y.detach())
        y.sum().backward()
        return weakref.ref(y)

    assert _freed_by_gc(make)


def test_node_hooks_holding_their_tensor_are_collected():
    def make(kind):
        x = fngrad.randn(3, requires_grad=True)
        y = x * 2
        if kind == "post":
            y.grad_fn.register_hook(lambda gi, go: None if y is None else None)
        else:
            y.grad_fn.register_prehook(lambda go: None if y is None else None)
        return weakref.ref(y)

    assert _freed_by_gc(lambda: make("post"))
    assert _freed_by_gc(lambda: make("pre"))


def test_function_node_hook_holding_its_tensor_is_collected():
    def make():
        x = fngrad.randn(3, requires_grad=True)
        y = StoresOutput.apply(x)
        y.grad_fn.register_hook(lambda gi, go: None if y is None else None)
        return weakref.ref(y)

    assert _freed_by_gc(make)


def test_gc_keeps_hooks_of_a_live_graph():
    calls = []
    x = fngrad.randn(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: calls.append("tensor") or g * 10)
    y.grad_fn.register_prehook(lambda go: calls.append("pre"))
    z = y * 3  # z's node holds an edge to y's node: y's grad_fn is not only y's
    del y
    gc.collect()
    z.sum().backward()
    assert sorted(calls) == ["pre", "tensor"]
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 60.0))
