"""Custom autograd.Function: apply, ctx, saved tensors, non-tensor arguments, several outputs."""

import numpy as np
import pytest

import fngrad
from fngrad.autograd import Function


class MyReLU(Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class ScaleShift(Function):
    """y = x * scale + shift, with a Python float and a tensor among the inputs."""

    @staticmethod
    def forward(ctx, x, scale, shift):
        ctx.scale = scale
        return x * scale + shift

    @staticmethod
    def backward(ctx, g):
        return g * ctx.scale, None, g


class SplitSum(Function):
    """Two outputs: (x * 2, x.sum())."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2, x.sum()

    @staticmethod
    def backward(ctx, g_double, g_sum):
        (x,) = ctx.saved_tensors
        return g_double * 2 + g_sum * fngrad.ones_like(x)


def test_myrelu_matches_relu():
    a = np.array([-1.5, 0.5, 2.0, -0.1], dtype=np.float32)
    x = fngrad.tensor(a, requires_grad=True)
    y = MyReLU.apply(x)
    np.testing.assert_array_equal(y.detach().numpy(), np.maximum(a, 0))
    assert y.grad_fn.name() == "MyReLUBackward"
    assert y.grad_fn.next_functions[0][0].variable is x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (a > 0).astype(np.float32))


def test_chained_functions():
    a = np.array([-1.0, 1.0, 3.0])
    x = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    y = MyReLU.apply(MyReLU.apply(x) * 2 - 1)  # relu(2 relu(x) - 1)
    np.testing.assert_array_equal(y.detach().numpy(), np.maximum(2 * np.maximum(a, 0) - 1, 0))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where((a > 0) & (2 * a - 1 > 0), 2.0, 0.0))


def test_non_tensor_inputs_and_none_gradients():
    x = fngrad.tensor([1.0, 2.0], dtype=fngrad.float64, requires_grad=True)
    shift = fngrad.tensor([0.5, 0.5], dtype=fngrad.float64, requires_grad=True)
    y = ScaleShift.apply(x, 3.0, shift)
    np.testing.assert_array_equal(y.detach().numpy(), [3.5, 6.5])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(shift.grad.numpy(), [1.0, 1.0])


def test_needs_input_grad():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b, c):
            seen["needs"] = ctx.needs_input_grad
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    Probe.apply(fngrad.ones(1, requires_grad=True), fngrad.ones(1), 3)
    assert seen["needs"] == (True, False, False)


def test_several_outputs_get_one_gradient_each():
    a = np.array([1.0, 2.0, 3.0])
    x = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    d, s = SplitSum.apply(x)
    assert d.grad_fn is s.grad_fn and d.output_nr == 0 and s.output_nr == 1
    (d.sum() + s * 10).backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 + 10 * np.ones(3))


def test_unused_output_gets_zero_gradient_by_default():
    x = fngrad.tensor([1.0, 2.0], dtype=fngrad.float64, requires_grad=True)
    d, _ = SplitSum.apply(x)
    d.sum().backward()  # g_sum arrives as zeros, not None
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_forward_runs_without_recording():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen["grad_enabled"] = fngrad.is_grad_enabled()
            y = x * 2
            seen["inner_requires_grad"] = y.requires_grad
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Probe.apply(fngrad.ones(1, requires_grad=True))
    assert seen == {"grad_enabled": False, "inner_requires_grad": False}


def test_apply_without_grad_returns_plain_outputs():
    x = fngrad.tensor([-1.0, 1.0])
    y = MyReLU.apply(x)
    assert y.grad_fn is None and not y.requires_grad
    with fngrad.no_grad():
        y = MyReLU.apply(fngrad.ones(2, requires_grad=True))
    assert y.grad_fn is None


def test_input_returned_as_is_becomes_a_new_tensor():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = fngrad.ones(2, requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and y.grad_fn.name() == "IdentityBackward"
    assert x.is_leaf and x.grad_fn is None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_saved_output_round_trips():
    class Exp2(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * x
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y  # not the true derivative: checks that the saved output comes back

    x = fngrad.tensor([2.0, 3.0], requires_grad=True)
    out = Exp2.apply(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 9.0])


def test_kwargs_map_through_forward_signature():
    x = fngrad.ones(2, dtype=fngrad.float64, requires_grad=True)
    shift = fngrad.zeros(2, dtype=fngrad.float64)
    y = ScaleShift.apply(x, shift=shift, scale=2.0)
    np.testing.assert_array_equal(y.detach().numpy(), [2.0, 2.0])
    with pytest.raises(TypeError):
        ScaleShift.apply(x, 2.0, shift, bogus=1)


def test_setup_context_style():
    class Mul(Function):
        @staticmethod
        def forward(x, y):
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

    a = fngrad.tensor([2.0], requires_grad=True)
    b = fngrad.tensor([5.0], requires_grad=True)
    Mul.apply(a, b).backward()
    assert a.grad.item() == 5.0 and b.grad.item() == 2.0


def test_setup_context_gets_forward_defaults():
    # PyTorch's "Extending torch.autograd" LinearFunction: forward(input, weight, bias=None) called
    # with two arguments; setup_context unpacks three inputs, the default filled in, and backward
    # returns a gradient for each of the three.
    seen = []

    class Linear(Function):
        @staticmethod
        def forward(input, weight, bias=None):
            out = input.mm(weight.t())
            return out if bias is None else out + bias

        @staticmethod
        def setup_context(ctx, inputs, output):
            seen.append(len(inputs))
            input, weight, bias = inputs
            ctx.save_for_backward(input, weight)

        @staticmethod
        def backward(ctx, g):
            input, weight = ctx.saved_tensors
            return g.mm(weight), g.t().mm(input), None

    x = fngrad.tensor([[1.0, 2.0]], requires_grad=True)
    w = fngrad.tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    Linear.apply(x, w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[8.0, 10.0]])  # column sums of w
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0, 2.0], [1.0, 2.0]])
    assert Linear.apply(x, w, bias=fngrad.ones(2)).detach().numpy().tolist() == [[12.0, 18.0]]
    assert seen == [3, 3]  # (input, weight, bias): the default bound, as torch's bind_default_args


def test_saved_tensors_after_backward_raise():
    x = fngrad.ones(2, requires_grad=True)
    y = MyReLU.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.grad_fn.saved_tensors


def test_retain_graph_keeps_saved_tensors():
    x = fngrad.tensor([1.0, -1.0], requires_grad=True)
    y = MyReLU.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0])


def test_ctx_is_grad_fn_and_keeps_attributes():
    x = fngrad.ones(1, requires_grad=True)
    y = ScaleShift.apply(x, 4.0, fngrad.zeros(1))
    assert y.grad_fn.scale == 4.0
    assert type(y.grad_fn).__name__ == "ScaleShiftBackward"


def test_instantiating_a_function_warns():
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        MyReLU()
