"""The rest of the Function API: mark_dirty, mark_non_differentiable, set_materialize_grads,
once_differentiable, vjp, views of inputs, and the class switches of newer PyTorch."""

import numpy as np
import pytest

import fngrad
from fngrad.autograd import Function
from fngrad.autograd.function import once_differentiable


class AddOneInplace(Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2  # deliberately not 1, to see that this backward is the one used


def test_mark_dirty_returns_the_input_with_new_history():
    a = fngrad.ones(3, requires_grad=True)
    b = a * 1
    version = b._version
    c = AddOneInplace.apply(b)
    assert c is b
    assert b.grad_fn.name() == "AddOneInplaceBackward"
    assert b._version > version
    np.testing.assert_array_equal(b.detach().numpy(), [2.0, 2.0, 2.0])
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0, 2.0])


def test_mark_dirty_of_a_leaf_that_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place operation"):
        AddOneInplace.apply(fngrad.ones(2, requires_grad=True))


def test_mark_dirty_without_returning_the_tensor_is_refused():
    class Forgets(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="Some elements marked as dirty during the forward method were not returned"):
        Forgets.apply(fngrad.ones(2, requires_grad=True) * 1)


def test_mark_dirty_detects_a_stale_saved_tensor():
    """The docstring example of mark_dirty: a node that saved x sees x's change."""
    x = fngrad.ones(2, requires_grad=True) * 1
    y = x * x  # saves x
    AddOneInplace.apply(x)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_mark_non_differentiable():
    seen = {}

    class WithMask(Function):
        @staticmethod
        def forward(ctx, x):
            mask = x > 0
            ctx.mark_non_differentiable(mask)
            return x * 2, mask

        @staticmethod
        def backward(ctx, g, g_mask):
            seen["g_mask"] = g_mask
            return g * 2

    x = fngrad.tensor([-1.0, 1.0], requires_grad=True)
    y, mask = WithMask.apply(x)
    assert y.requires_grad and not mask.requires_grad and mask.grad_fn is None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    # A non-differentiable output still gets a (zero) gradient slot in backward.
    assert seen["g_mask"].shape == (2,)


def test_set_materialize_grads_false_passes_none():
    seen = {}

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen["g2"] = g2
            return g1 * 2

    x = fngrad.ones(2, requires_grad=True)
    first, _ = Two.apply(x)
    first.sum().backward()
    assert seen["g2"] is None
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_materialized_gradient_is_zero():
    seen = {}

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen["g2"] = g2.numpy().copy()
            return g1 * 2 + g2 * 3

    x = fngrad.ones(2, requires_grad=True)
    Two.apply(x)[0].sum().backward()
    np.testing.assert_array_equal(seen["g2"], [0.0, 0.0])


class SquareOnce(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


def test_once_differentiable_first_order_works():
    x = fngrad.tensor([3.0], requires_grad=True)
    SquareOnce.apply(x).backward()
    assert x.grad.item() == 6.0


def test_once_differentiable_refuses_second_order():
    x = fngrad.tensor([3.0], requires_grad=True)
    y = SquareOnce.apply(x)
    z = (y * x).sum()  # the gradient reaching SquareOnce depends on x
    (g,) = fngrad.autograd.grad(z, x, create_graph=True)
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with "
                                           "@once_differentiable"):
        g.backward()


def test_vjp_is_an_alias_of_backward():
    class WithVjp(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def vjp(ctx, g):
            return g * 5

    x = fngrad.ones(1, requires_grad=True)
    WithVjp.apply(x).backward()
    assert x.grad.item() == 5.0


def test_backward_and_vjp_together_are_refused():
    class Both(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

        @staticmethod
        def vjp(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="Implementing both 'backward' and 'vjp' for a custom Function is not allowed"):
        Both.apply(fngrad.ones(1, requires_grad=True)).backward()


def test_missing_backward():
    class Neither(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    with pytest.raises(NotImplementedError, match="You must implement either the backward or vjp method"):
        Neither.apply(fngrad.ones(1, requires_grad=True)).backward()


def test_non_tensor_outputs_and_trailing_nones():
    class Mixed(Function):
        @staticmethod
        def forward(ctx, x, label):
            return x * 2, label.upper(), 7

        @staticmethod
        def backward(ctx, g, g_label, g_seven):
            assert g_label is None and g_seven is None
            return g * 2, None, None, None  # one more None than inputs: allowed

    x = fngrad.ones(2, requires_grad=True)
    y, label, seven = Mixed.apply(x, "abc")
    assert label == "ABC" and seven == 7
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


class Identity(Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g


class FirstHalf(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.n = x.shape[0]
        return x[: x.shape[0] // 2]

    @staticmethod
    def backward(ctx, g):
        out = fngrad.zeros(ctx.n, dtype=g.dtype)
        out[: ctx.n // 2] = g
        return out


@pytest.mark.parametrize("fn", [Identity, FirstHalf])
def test_view_of_an_input_modified_in_place_is_refused(fn):
    x = fngrad.ones(4, requires_grad=True)
    y = fn.apply(x * 1)
    with pytest.raises(RuntimeError, match="is a view and is being modified inplace. This view was created inside a "
                                           "custom Function"):
        y.add_(1)
    # Cloning the output is the documented fix, and gives the right gradient.
    z = fn.apply(x * 1).clone()
    z.add_(1)
    z.sum().backward()
    assert x.grad.sum().item() == z.shape[0]


def test_clear_saved_tensors_on_access():
    class Once(Function):
        clear_saved_tensors_on_access = True

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            with pytest.raises(RuntimeError, match="after they have already been freed"):
                ctx.saved_tensors
            return g * 2

    x = fngrad.ones(2, requires_grad=True)
    Once.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_boxed_grads_call():
    class Boxed(Function):
        boxed_grads_call = True

        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, grads):
            assert isinstance(grads, list) and len(grads) == 2
            g1, g2 = grads
            grads.clear()
            return g1 * 2 + g2 * 3

    x = fngrad.ones(2, requires_grad=True)
    a, b = Boxed.apply(x)
    (a + b).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_double_backward_through_a_function_built_from_fngrad_ops():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    x = fngrad.tensor([2.0, -1.0], dtype=fngrad.float64, requires_grad=True)
    (g,) = fngrad.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [12.0, 3.0])
    (gg,) = fngrad.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [12.0, -6.0])


def test_double_backward_through_a_saved_output():
    class Exp2(Function):
        """y = x * x saved as output; dy/dx computed from the output: 2 * y / x."""

        @staticmethod
        def forward(ctx, x):
            y = x * x
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return 2 * y / x * g

    x = fngrad.tensor([3.0], dtype=fngrad.float64, requires_grad=True)
    (g,) = fngrad.autograd.grad(Exp2.apply(x).sum(), x, create_graph=True)
    assert g.item() == pytest.approx(6.0)
    (gg,) = fngrad.autograd.grad(g.sum(), x)
    # d/dx (2 y / x) with y = x^2 through both saved tensors: 2 (2x / x) - 2 y / x^2 = 4 - 2 = 2
    assert gg.item() == pytest.approx(2.0)
