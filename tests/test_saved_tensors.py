"""Saved tensors: version checks, no reference cycles for saved outputs, saved-tensor hooks."""

import gc
import threading
import weakref

import numpy as np
import pytest

import fngrad
from fngrad.autograd import Function
from fngrad.autograd.graph import disable_saved_tensors_hooks, saved_tensors_hooks


class SaveOutput(Function):
    @staticmethod
    def forward(ctx, x):
        y = x * 2
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * 2


def test_modified_saved_input_names_the_node_and_versions():
    x = fngrad.ones(3, requires_grad=True)
    h = x.relu()
    y = h * h  # MulBackward0 saves h
    h.add_(1)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    message = str(info.value)
    assert "one of the variables needed for gradient computation has been modified by an inplace operation" in message
    assert "[fngrad.FloatTensor [3]]" in message
    assert "is at version 1; expected version 0 instead" in message
    assert "AddBackward0 (created at test_saved_tensors.py:" in message


def test_modified_saved_output_is_detected():
    x = fngrad.ones(2, requires_grad=True)
    y = x.relu()  # ReluBackward0 saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"which is output 0 of ReluBackward0 .*is at version 1; expected version 0"):
        y.sum().backward()


def test_saved_output_has_no_reference_cycle():
    gc.disable()
    try:
        x = fngrad.ones(2, requires_grad=True)
        y = SaveOutput.apply(x)
        ctx_ref = weakref.ref(y.grad_fn)
        out_ref = weakref.ref(y)
        del y
        # Freed by reference counting alone, without the cycle collector.
        assert out_ref() is None
        assert ctx_ref() is None
    finally:
        gc.enable()


def test_saved_output_comes_back_as_a_new_tensor_with_the_node_as_grad_fn():
    x = fngrad.ones(2, requires_grad=True)
    y = SaveOutput.apply(x)
    (saved,) = y.grad_fn.saved_tensors
    assert saved is not y
    assert saved.grad_fn is y.grad_fn
    np.testing.assert_array_equal(saved.detach().numpy(), y.detach().numpy())
    assert np.shares_memory(saved.detach().numpy(), y.detach().numpy())


def test_saved_input_comes_back_as_the_same_object():
    x = fngrad.ones(2, requires_grad=True)

    class SaveInput(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = SaveInput.apply(x)
    assert y.grad_fn.saved_tensors[0] is x


def test_detach_inplace_of_a_saved_tensor_is_refused():
    x = fngrad.ones(2, requires_grad=True)
    h = x * 1
    y = h * h
    h.detach_()
    with pytest.raises(RuntimeError, match=r"Trying to use a saved tensor that has been detached in-place, i.e. with "
                                           r"\.detach_\(\)"):
        y.sum().backward()


def test_saved_tensors_hooks_pack_once_unpack_on_use():
    calls = {"pack": 0, "unpack": 0}
    store = {}

    def pack(t):
        calls["pack"] += 1
        assert t.grad_fn is None  # pack sees data without history
        key = len(store)
        store[key] = t.numpy().copy()
        return key

    def unpack(key):
        calls["unpack"] += 1
        return fngrad.from_numpy(store[key])

    x = fngrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with saved_tensors_hooks(pack, unpack):
        y = (x * x).sum()  # MulBackward0 saves x twice
    assert calls == {"pack": 2, "unpack": 0}
    y.backward()
    assert calls["unpack"] == 2
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_saved_tensors_hooks_apply_to_custom_functions_and_double_backward():
    x = fngrad.tensor([2.0], dtype=fngrad.float64, requires_grad=True)
    with saved_tensors_hooks(lambda t: t * 1, lambda t: t):
        y = SaveOutput.apply(x * x)
    (g,) = fngrad.autograd.grad(y.sum(), x, create_graph=True)
    assert g.item() == 8.0  # d(2 x^2)/dx at 2
    (gg,) = fngrad.autograd.grad(g, x)
    assert gg.item() == 4.0


def test_saved_tensors_hooks_are_thread_local():
    packed = []
    other_thread_saved = []

    def worker():
        x = fngrad.ones(1, requires_grad=True)
        y = x * x
        other_thread_saved.append(y)

    with saved_tensors_hooks(lambda t: packed.append(1) or t, lambda t: t):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert packed == []


def test_saved_tensor_hook_errors():
    x = fngrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="A saved tensor pack hook is modifying its input in place"):
        with saved_tensors_hooks(lambda t: t.add_(1), lambda t: t):
            x * x
    with saved_tensors_hooks(lambda t: t, lambda t: "not a tensor"):
        y = (x * x).sum()
    with pytest.raises(TypeError, match="Output of saved tensor unpack_hook expected to be a Tensor but got result of "
                                        "type str"):
        y.backward()
    with disable_saved_tensors_hooks("saved tensor hooks are off here"):
        with pytest.raises(RuntimeError, match="saved tensor hooks are off here"):
            with saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    # Still usable (x itself was changed by the bad pack hook, as it would be in PyTorch).
    z = fngrad.ones(2, requires_grad=True)
    (z * z).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [2.0, 2.0])


def test_inference_tensors_cannot_be_saved():
    with fngrad.inference_mode():
        t = fngrad.ones(2)
    x = fngrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        x * t
