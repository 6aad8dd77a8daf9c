"""Tensor hooks, post-accumulate-grad hooks, node pre/post hooks, handles, order, multi-grad hooks."""

import numpy as np
import pytest

import fngrad
from conftest import Double
from fngrad.autograd.graph import register_multi_grad_hook


def test_tensor_hook_reads_and_replaces_the_gradient():
    x = fngrad.ones(2, requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_array_equal(seen[0], [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])


def test_hooks_see_earlier_modifications_in_registration_order():
    x = fngrad.ones(1, requires_grad=True)
    y = x * 1
    seen = []
    y.register_hook(lambda g: g + 1)
    y.register_hook(lambda g: seen.append(g.item()))
    y.sum().backward()
    assert seen == [2.0]


def test_leaf_hook_runs_before_accumulation():
    x = fngrad.ones(2, requires_grad=True)
    x.register_hook(lambda g: g * 2)
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 10.0])


def test_hook_fires_for_an_input_of_autograd_grad():
    x = fngrad.ones(2, requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g * 100)
    (gh,) = fngrad.autograd.grad((h * 3).sum(), h)
    np.testing.assert_array_equal(gh.numpy(), [300.0, 300.0])


def test_handle_remove():
    x = fngrad.ones(1, requires_grad=True)
    handle = x.register_hook(lambda g: g * 7)
    handle.remove()
    (x * 1).sum().backward()
    assert x.grad.item() == 1.0
    with (x * 1).register_hook(lambda g: g * 0):
        pass  # removed on exit


def test_hook_bound_to_grad_fn_at_registration():
    """After an in-place op, a hook registered before it still fires on the old grad_fn."""
    x = fngrad.ones(1, requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(("old", g.item())))
    y.mul_(3)
    y.register_hook(lambda g: seen.append(("new", g.item())))
    y.sum().backward()
    assert seen == [("new", 1.0), ("old", 3.0)]
    assert x.grad.item() == 6.0


def test_hook_errors():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        fngrad.ones(1).register_hook(lambda g: g)
    x = fngrad.ones(2, requires_grad=True)
    y = x * 1
    y.register_hook(lambda g: fngrad.ones(3))
    with pytest.raises(RuntimeError, match="has changed the size of value"):
        y.sum().backward()
    z = x * 1
    z.register_hook(lambda g: "nope")
    with pytest.raises(TypeError, match="expected Variable, but hook returned 'str'"):
        z.sum().backward()
    # Still usable.
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_node_hook_results_are_checked_with_pytorchs_wording():
    # torch/csrc/autograd/python_hook.cpp: a tuple of the right length, of tensors or None.
    x = fngrad.ones(3, requires_grad=True)
    cases = [
        (lambda n: n.register_prehook(lambda go: (go[0], go[0])), RuntimeError,
         r"hook '<lambda>' has returned an incorrect number of values \(got 2, but expected 1\)"),
        (lambda n: n.register_hook(lambda gi, go: gi + gi + gi), RuntimeError,
         r"hook '<lambda>' has returned an incorrect number of values \(got 3, but expected 1\)"),
        (lambda n: n.register_hook(lambda gi, go: 5), TypeError, r"expected tuple, but hook returned 'int'"),
        (lambda n: n.register_prehook(lambda go: ("g",)), TypeError, r"expected Variable, but hook returned 'str'"),
    ]
    for register, error, message in cases:
        y = x.exp()
        register(y.grad_fn)
        with pytest.raises(error, match=message):
            y.sum().backward()
    x.grad = None
    x.exp().sum().backward()  # still usable
    np.testing.assert_allclose(x.grad.numpy(), np.exp(np.ones(3)), rtol=1e-6)


class _TwoOutputs(fngrad.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, ga, gb):
        return ga * 2 + gb * 3


def test_hook_on_an_output_without_gradient_sees_none():
    # As PyTorch: the node runs for its other output, and this output's hooks are called with None.
    x = fngrad.ones(3, requires_grad=True)
    a, b = _TwoOutputs.apply(x)
    seen = []
    b.register_hook(lambda g: seen.append(g))
    a.sum().backward()
    assert seen == [None]
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    a, b = _TwoOutputs.apply(x)
    b.register_hook(lambda g: fngrad.ones(3))
    with pytest.raises(RuntimeError, match="can't replace a None gradient with a non-None value"):
        a.sum().backward()


def test_hooks_may_not_change_a_gradient_dtype_or_size():
    # PyTorch's check_variable_result, for tensor hooks and for the node hooks alike.
    x = fngrad.ones(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match=r"hook '<lambda>' has changed the type of value \(was fngrad.FloatTensor got "
                                           r"fngrad.DoubleTensor\)"):
        (y * y).sum().backward()
    for register in (lambda n, h: n.register_prehook(lambda go: h(go[0])),
                     lambda n, h: n.register_hook(lambda gi, go: h(gi[0]))):
        for bad, message in ((lambda g: (g.double(),), "has changed the type of value"),
                             (lambda g: (fngrad.ones(4),), "has changed the size of value")):
            y = x.exp()
            register(y.grad_fn, bad)
            with pytest.raises(RuntimeError, match=message):
                y.sum().backward()


def test_a_node_prehook_may_drop_every_gradient():
    # As in PyTorch the node then does not run: nothing reaches x (this used to crash).
    x = fngrad.ones(3, requires_grad=True)
    y = x.exp()
    y.grad_fn.register_prehook(lambda go: (None,))
    y.sum().backward()
    assert x.grad is None
    z = x * 2
    z.grad_fn.register_hook(lambda gi, go: (None,) * len(gi))
    z.sum().backward()
    assert x.grad is None


def test_hook_that_raises_keeps_its_exception_type():
    x = fngrad.ones(1, requires_grad=True)
    y = x * 1

    def bad(g):
        raise KeyError("from the hook")

    y.register_hook(bad)
    with pytest.raises(KeyError, match="from the hook"):
        y.sum().backward()


def test_post_accumulate_grad_hook():
    x = fngrad.ones(2, requires_grad=True)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(seen[1], [6.0, 6.0])
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on non-leaf tensors"):
        (x * 1).register_post_accumulate_grad_hook(lambda t: None)


def test_node_prehook_and_posthook():
    x = fngrad.ones(2, requires_grad=True)
    y = x * 3
    seen = {}

    def pre(grad_outputs):
        seen["pre"] = grad_outputs[0].numpy().copy()
        return (grad_outputs[0] * 2,)

    def post(grad_inputs, grad_outputs):
        # x * 3 has an edge for the number too (PyTorch's wrapped number): its gradient is None.
        seen["post"] = (grad_inputs[0].numpy().copy(), grad_outputs[0].numpy().copy(), grad_inputs[1])
        return (grad_inputs[0] + 1, None)

    y.grad_fn.register_prehook(pre)
    y.grad_fn.register_hook(post)
    y.sum().backward()
    np.testing.assert_array_equal(seen["pre"], [1.0, 1.0])
    np.testing.assert_array_equal(seen["post"][0], [6.0, 6.0])
    np.testing.assert_array_equal(seen["post"][1], [2.0, 2.0])
    assert seen["post"][2] is None
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 7.0])


def test_node_hooks_on_a_custom_function():
    x = fngrad.ones(1, requires_grad=True)
    y = Double.apply(x)
    calls = []
    y.grad_fn.register_hook(lambda gi, go: calls.append("post"))
    y.grad_fn.register_prehook(lambda go: calls.append("pre"))
    y.backward()
    assert calls == ["pre", "post"]


def test_hook_order_follows_pytorch():
    x = fngrad.ones(1, requires_grad=True)
    y = x * 2
    order = []
    y.retain_grad()
    y.register_hook(lambda g: order.append("tensor") or g * 3)
    y.grad_fn.register_prehook(lambda go: order.append("pre"))
    y.grad_fn.register_hook(lambda gi, go: order.append("post"))
    x.register_post_accumulate_grad_hook(lambda t: order.append("post_accumulate"))
    y.sum().backward()
    # y's node runs (with its hooks) before x's AccumulateGrad, as in PyTorch.
    assert order == ["tensor", "pre", "post", "post_accumulate"]
    assert y.grad.item() == 3.0  # retain_grad sees the tensor hook's result


def test_retain_grad_on_non_leaves():
    x = fngrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    assert h.retains_grad
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [4.0, 8.0])
    (h * h).sum().backward()  # accumulates, like a leaf
    np.testing.assert_array_equal(h.grad.numpy(), [8.0, 16.0])


def test_retain_grad_follows_an_inplace_op():
    x = fngrad.tensor([1.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.mul_(3)
    (h * 5).sum().backward()
    assert h.grad.item() == 5.0
    assert x.grad.item() == 30.0


def test_multi_grad_hook_all_and_any():
    a = fngrad.ones(1, requires_grad=True)
    b = fngrad.ones(1, requires_grad=True)
    c = fngrad.ones(1, requires_grad=True)
    seen = []
    register_multi_grad_hook((a, b, c), lambda grads: seen.append(tuple(g is not None for g in grads)))
    (a * b * 2).sum().backward()  # c is not in this graph
    assert seen == [(True, True, False)]
    first = []
    register_multi_grad_hook((a, b), lambda g: first.append(g.item()), mode="any")
    (a * 3 + b * 4).sum().backward()
    assert len(first) == 1
