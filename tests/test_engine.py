"""The backward engine: ordering, fan-in, deep graphs, retain_graph, grad(), inputs=, create_graph."""

import threading

import numpy as np
import pytest

import fngrad

ERR_BACKWARD_TWICE = "Trying to backward through the graph a second time"


def f64(values, requires_grad=True):
    return fngrad.tensor(values, dtype=fngrad.float64, requires_grad=requires_grad)


def test_diamond_sums_both_paths():
    x = f64([1.0, 2.0, 3.0])
    y = x * 2
    z = y * y + y  # dz/dx = (2y + 1) * 2
    z.sum().backward()
    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), (4 * a + 1) * 2)


def test_fan_in_of_one_leaf_used_by_many_ops():
    x = f64([0.5, -1.0])
    total = x * 0
    for k in range(1, 1001):
        total = total + x * float(k)
    total.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(2, 1000 * 1001 / 2))


def test_gradients_accumulate_across_backward_calls():
    x = f64([1.0, 2.0])
    (x * 3).sum().backward()
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 7.0])


def test_chain_of_a_million_nodes_needs_no_recursion():
    x = fngrad.ones(2, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    # Dropping an unused deep graph frees it without recursing either.
    y = x
    for _ in range(1_000_000):
        y = y.relu()
    del y


def test_backward_twice_raises_pytorch_message_and_retain_graph_allows_it():
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])
    with pytest.raises(RuntimeError, match=ERR_BACKWARD_TWICE):
        y.backward()


def test_multiple_roots_with_gradients():
    x = f64([1.0, 2.0])
    a = x * 2
    b = x * x
    fngrad.autograd.backward([a, b], [f64([1.0, 1.0], False), f64([0.5, 2.0], False)])
    np.testing.assert_allclose(x.grad.numpy(), 2 + np.array([0.5, 2.0]) * 2 * np.array([1.0, 2.0]))


def test_non_scalar_backward_with_gradient():
    x = f64([1.0, 2.0, 3.0])
    (x * x).backward(f64([1.0, 0.0, 2.0], False))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 12.0])


def test_autograd_grad_returns_without_accumulating():
    x = f64([1.0, 2.0])
    w = f64([3.0, 4.0])
    y = (x * w).sum()
    gx, gw = fngrad.autograd.grad(y, [x, w])
    np.testing.assert_array_equal(gx.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gw.numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None


def test_autograd_grad_of_a_non_leaf():
    x = f64([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = fngrad.autograd.grad(y, h)
    np.testing.assert_array_equal(gh.numpy(), [6.0, 12.0])


def test_autograd_grad_unused_inputs():
    x = f64([1.0])
    unused = f64([2.0])
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        fngrad.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = fngrad.autograd.grad(y, [x, unused], allow_unused=True, retain_graph=True)
    assert gu is None and gx.item() == 2.0
    gx, gu = fngrad.autograd.grad(y, [x, unused], materialize_grads=True)
    np.testing.assert_array_equal(gu.numpy(), [0.0])


def test_backward_inputs_limits_accumulation():
    x = f64([1.0])
    w = f64([5.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    assert w.grad.item() == 1.0


def test_create_graph_gives_second_derivatives():
    x = f64([1.0, 2.0, 3.0])
    y = (x * x * x).sum()
    (g,) = fngrad.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * np.array([1.0, 4.0, 9.0]))
    assert g.requires_grad
    (gg,) = fngrad.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * np.array([1.0, 2.0, 3.0]))


def test_create_graph_through_relu_clamp_and_indexing():
    a = np.array([-1.0, 0.5, 2.0])
    x = f64(a)
    y = (x * x).relu().clamp(max=3.0)[1:].sum()
    (g,) = fngrad.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [0.0, 1.0, 0.0])
    (gg,) = fngrad.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [0.0, 2.0, 0.0])


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["enabled"] = fngrad.is_grad_enabled()
        x = fngrad.ones(1, requires_grad=True)
        seen["records"] = (x * 2).requires_grad

    with fngrad.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not fngrad.is_grad_enabled()
    assert seen == {"enabled": True, "records": True}


def test_no_grad_as_decorator_and_set_grad_enabled():
    x = fngrad.ones(1, requires_grad=True)

    @fngrad.no_grad()
    def f():
        return x * 2

    assert not f().requires_grad
    with fngrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert fngrad.is_grad_enabled()
    fngrad.set_grad_enabled(False)
    assert not fngrad.is_grad_enabled()
    fngrad.set_grad_enabled(True)
    with fngrad.no_grad():
        with fngrad.enable_grad():
            assert (x * 2).requires_grad


def test_graph_inspection():
    x = fngrad.ones(2, requires_grad=True)
    y = (x * 2).relu().sum()
    assert y.grad_fn.name() == "SumBackward0"
    relu_node = y.grad_fn.next_functions[0][0]
    assert relu_node.name() == "ReluBackward0"
    mul_node = relu_node.next_functions[0][0]
    assert mul_node.name() == "MulBackward0"
    acc, nr = mul_node.next_functions[0]
    assert acc.name() == "AccumulateGrad" and nr == 0 and acc.variable is x
    assert y.grad_fn is y.grad_fn
    assert isinstance(y.grad_fn, fngrad.autograd.graph.Node)
    y.grad_fn.metadata["k"] = 1
    assert y.grad_fn.metadata == {"k": 1}
