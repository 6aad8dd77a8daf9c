"""How .grad accumulates: in place normally, replaced under create_graph; the create_graph warning."""

import numpy as np
import pytest

import fngrad


def test_grad_accumulates_in_place_across_calls():
    x = fngrad.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad is first  # same tensor, updated in place
    np.testing.assert_array_equal(first.numpy(), [5.0, 5.0])


def test_first_grad_does_not_alias_a_user_gradient():
    x = fngrad.ones(2, requires_grad=True)
    g = fngrad.tensor([1.0, 2.0])
    x.backward(g)
    assert not np.shares_memory(x.grad.numpy(), g.numpy())
    x.backward(g)
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_grad_is_replaced_under_create_graph():
    x = fngrad.tensor([1.0, 2.0], dtype=fngrad.float64, requires_grad=True)
    with pytest.warns(UserWarning, match="Using backward\\(\\) with create_graph=True will create a reference cycle"):
        (x * x).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    with pytest.warns(UserWarning):
        (x * x).sum().backward(create_graph=True)
    assert x.grad is not first
    np.testing.assert_array_equal(first.detach().numpy(), [2.0, 4.0])  # the old tensor is untouched
    np.testing.assert_array_equal(x.grad.detach().numpy(), [4.0, 8.0])
    # The accumulated .grad is differentiable: d/dx sum(4x) = 4.
    (gg,) = fngrad.autograd.grad(x.grad.sum(), x)
    np.testing.assert_array_equal(gg.numpy(), [4.0, 4.0])


def test_grad_set_to_none_restarts_accumulation():
    x = fngrad.ones(1, requires_grad=True)
    (x * 2).backward()
    x.grad = None
    (x * 5).backward()
    assert x.grad.item() == 5.0


def test_zero_grad_in_place():
    x = fngrad.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    x.grad.zero_()
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def _linear_weight_grad(keep_hook_gradient):
    rng = np.random.default_rng(0)
    x = fngrad.tensor(rng.standard_normal((3, 4)))
    w = fngrad.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    g = rng.standard_normal((3, 5))
    kept = []
    if keep_hook_gradient:
        w.register_hook(lambda grad: kept.append(grad))
    fngrad.nn.functional.linear(x, w).backward(fngrad.tensor(g))
    return w, kept, g.T @ x.numpy()


def test_linear_weight_grad_kept_without_copy_is_a_plain_tensor():
    # The weight's gradient arrives as the transpose of a transposed product; with no other
    # holder .grad keeps that memory, no longer a view, as PyTorch's .grad is not one.
    w, _, expected = _linear_weight_grad(False)
    assert w.grad._base is None and w.grad.is_contiguous()
    np.testing.assert_allclose(w.grad.numpy(), expected)
    w.grad.mul_(2)  # owned outright: in place on it is allowed and changes only it
    np.testing.assert_allclose(w.grad.numpy(), 2 * expected)


def test_linear_weight_grad_held_by_a_hook_is_copied():
    w, kept, expected = _linear_weight_grad(True)
    with fngrad.no_grad():
        kept[0].zero_()
    np.testing.assert_allclose(w.grad.numpy(), expected)  # .grad is not the hook's tensor
