"""Bad input gets PyTorch's error (naming the node or Function), and the library stays usable."""

import traceback

import numpy as np
import pytest

import fngrad
from fngrad.autograd import Function


def check_still_usable():
    """A fresh forward and backward after an error give the right gradient."""
    x = fngrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = (x.relu() * 2).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 2.0])


def make_function(backward_result, name="Bad"):
    def forward(ctx, x):
        return x * 2

    def backward(ctx, g):
        return backward_result(g)

    return type(name, (Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward)})


def test_backward_on_non_scalar_without_gradient():
    x = fngrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    assert x.grad is None
    check_still_usable()


def test_backward_on_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        fngrad.ones(3).sum().backward()
    check_still_usable()


def test_gradient_of_the_wrong_shape_for_backward():
    x = fngrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of fngrad.Size\(\[2\]\)"):
        (x * 2).backward(fngrad.ones(2))
    check_still_usable()


def test_user_backward_returns_too_many_gradients():
    Two = make_function(lambda g: (g, g), "Two")
    x = fngrad.ones(3, requires_grad=True)
    y = Two.apply(x).sum()
    with pytest.raises(RuntimeError, match=r"function TwoBackward \(created at test_errors.py:\d+\) returned an "
                                           r"incorrect number of gradients \(expected 1, got 2\)"):
        y.backward()
    assert x.grad is None
    check_still_usable()


def test_user_backward_returns_too_few_gradients():
    class TwoInputs(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    a = fngrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError,
                       match=r"TwoInputsBackward .*returned an incorrect number of gradients \(expected 2, got 1\)"):
        TwoInputs.apply(a, fngrad.ones(2)).sum().backward()
    check_still_usable()


def test_user_backward_returns_wrong_shape():
    Shape = make_function(lambda g: fngrad.ones(5), "Shape")
    x = fngrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Function ShapeBackward \(created at test_errors.py:\d+\) returned an "
                                           r"invalid gradient at index 0 - got \[5\] but expected shape compatible "
                                           r"with \[3\]"):
        Shape.apply(x).sum().backward()
    check_still_usable()


def test_user_backward_returning_a_broadcastable_gradient_is_summed():
    Broad = make_function(lambda g: fngrad.ones(4, 3), "Broad")
    x = fngrad.ones(3, requires_grad=True)
    Broad.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0, 4.0])


@pytest.mark.parametrize("value,type_name", [("abc", "str"), (3.0, "float"), (np.ones(3), "numpy.ndarray")])
def test_user_backward_returns_non_tensor(value, type_name):
    NonTensor = make_function(lambda g: value, "NonTensor")
    x = fngrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"NonTensorBackward .*expected Variable or None \(got {type_name}\)"):
        NonTensor.apply(x).sum().backward()
    check_still_usable()


def test_user_backward_returns_gradient_for_a_non_tensor_input():
    class Scaled(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = fngrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="returned a gradient different than None at position 2, but the "
                                           "corresponding forward input was not a Variable"):
        Scaled.apply(x, 2.0).sum().backward()
    check_still_usable()


def test_save_for_backward_of_a_non_tensor():
    class SaveBad(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="save_for_backward can only save variables, but argument 1 is of type int"):
        SaveBad.apply(fngrad.ones(2, requires_grad=True))
    check_still_usable()


def test_exception_in_user_backward_keeps_its_type_and_traceback():
    class Raises(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise TypeError("my own message")

    x = fngrad.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="my own message") as info:
        Raises.apply(x).sum().backward()
    frames = traceback.extract_tb(info.value.__traceback__)
    assert any(f.name == "backward" and f.filename.endswith("test_errors.py") for f in frames)
    check_still_usable()


def test_exception_in_user_forward_propagates():
    class Raises(Function):
        @staticmethod
        def forward(ctx, x):
            raise KeyError("forward failed")

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(KeyError, match="forward failed"):
        Raises.apply(fngrad.ones(2, requires_grad=True))
    assert fngrad.is_grad_enabled()
    check_still_usable()


def test_inplace_on_a_leaf_that_requires_grad():
    x = fngrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        x[x > 0] = 0
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 1.0])
    with fngrad.no_grad():
        x.add_(1)
    np.testing.assert_array_equal(x.detach().numpy(), [2.0, 2.0])
    check_still_usable()


def test_modified_saved_tensor_is_detected():
    x = fngrad.tensor([1.0, -1.0], requires_grad=True)
    h = x * 1
    y = MyFunc.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match=r"one of the variables needed for gradient computation has been modified by "
                                           r"an inplace operation: \[fngrad.FloatTensor \[2\]\], which is output 0 of "
                                           r"AddBackward0 \(created at test_errors.py:\d+\), is at version 1; expected "
                                           r"version 0 instead"):
        y.sum().backward()
    check_still_usable()


class MyFunc(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2


def test_op_errors_name_the_op():
    with pytest.raises(RuntimeError, match=r"\[add\] The size of tensor a \(3\) must match the size of tensor b \(4\)"):
        fngrad.ones(3) + fngrad.ones(4)
    with pytest.raises(RuntimeError, match=r"\[clamp\] At least one of 'min' or 'max' must not be None"):
        fngrad.ones(3).clamp()
    with pytest.raises(IndexError, match=r"\[sum\] Dimension out of range"):
        fngrad.ones(3).sum(2)
    check_still_usable()


# ---- dtype arguments: fngrad dtypes (and Python's float/int/bool) only, as in PyTorch ----
NOT_DTYPES = ["float", "float32", np.float32, np.dtype("float64"), np.int64]


@pytest.mark.parametrize("bad", NOT_DTYPES, ids=[repr(b) for b in NOT_DTYPES])
def test_dtype_arguments_must_be_dtypes(bad):
    # PyTorch raises TypeError ("argument 'dtype' must be torch.dtype, not str") rather than
    # guessing what a name or a NumPy type means.
    calls = {
        "zeros": lambda: fngrad.zeros(3, dtype=bad),
        "ones": lambda: fngrad.ones(3, dtype=bad),
        "empty": lambda: fngrad.empty(3, dtype=bad),
        "full": lambda: fngrad.full((3,), 1.0, dtype=bad),
        "tensor": lambda: fngrad.tensor([1, 2], dtype=bad),
        "randn": lambda: fngrad.randn(3, dtype=bad),
        "arange": lambda: fngrad.arange(3, dtype=bad),
        "sum": lambda: fngrad.ones(3).sum(dtype=bad),
        "mean": lambda: fngrad.ones(3).mean(dtype=bad),
        "softmax": lambda: fngrad.ones(3).softmax(0, dtype=bad),
        "to": lambda: fngrad.ones(3).to(dtype=bad),
    }
    for op, call in calls.items():
        with pytest.raises(TypeError, match=rf"\[{op}\] argument 'dtype' must be fngrad.dtype"):
            call()


def test_python_types_as_dtypes_mean_what_they_mean_in_pytorch():
    assert fngrad.zeros(2, dtype=float).dtype == fngrad.float64  # Python's float is a double
    assert fngrad.zeros(2, dtype=int).dtype == fngrad.int64
    assert fngrad.zeros(2, dtype=bool).dtype == fngrad.bool
    assert fngrad.tensor([1, 2], dtype=float).dtype == fngrad.float64
    assert fngrad.ones(2).to(float).dtype == fngrad.float64
    assert fngrad.ones(2).sum(dtype=float).dtype == fngrad.float64


def test_to_takes_a_device_string_not_a_dtype_name():
    x = fngrad.ones(2)
    # PyTorch reads a string as a device: to("float64") is an invalid device, not a dtype.
    with pytest.raises(RuntimeError, match=r"\[to\] Invalid device string: 'float64'"):
        x.to("float64")
    with pytest.raises(TypeError, match=r"\[to\] argument 'dtype' must be fngrad.dtype"):
        x.to(np.float64)
    assert x.to("cpu") is x and x.to("cpu:0") is x and x.to(x.device) is x
    assert x.to("cpu", fngrad.float64).dtype == fngrad.float64
    assert x.to(fngrad.ones(1, dtype=fngrad.int64)).dtype == fngrad.int64
    assert x.to(fngrad.float32, copy=True) is not x


def test_more_errors_have_pytorchs_types():
    F = fngrad.nn.functional
    with pytest.raises(RuntimeError, match=r"\[dot\] dot : expected both vectors to have same dtype"):
        fngrad.dot(fngrad.ones(3), fngrad.ones(3, dtype=fngrad.float64))
    with pytest.raises(RuntimeError, match=r"\[matmul\] expected m1 and m2 to have the same dtype"):
        fngrad.ones(2, 2) @ fngrad.ones(2, 2, dtype=fngrad.int64)
    with pytest.raises(NotImplementedError, match=r"\[softmax\] \"softmax_lastdim_kernel_impl\" not implemented for 'Long'"):
        fngrad.arange(3).softmax(0)
    assert fngrad.arange(3).softmax(0, dtype=fngrad.float32).dtype == fngrad.float32
    with pytest.raises(RuntimeError, match=r"\[neg\] Negation, the `-` operator, on a bool tensor is not supported"):
        -fngrad.ones(3, dtype=fngrad.bool)
    with pytest.raises(RuntimeError, match=r"\[where\] where expected condition to be a boolean tensor"):
        fngrad.where(fngrad.ones(3), fngrad.ones(3), fngrad.ones(3))
    with pytest.raises(RuntimeError, match=r"\[cat\] zero-dimensional tensor \(at position 0\) cannot be concatenated"):
        fngrad.cat([fngrad.tensor(1.0), fngrad.tensor(2.0)])
    with pytest.raises(RuntimeError, match=r"\[stack\] stack expects a non-empty TensorList"):
        fngrad.stack([])
    with pytest.raises(RuntimeError, match=r"\[max\] max\(\): Expected reduction dim to be specified"):
        fngrad.ones(0).max()
    with pytest.raises(IndexError, match=r"\[argmax\]"):
        fngrad.ones(0).argmax()
    assert fngrad.ones(0, 3).amax(dim=1).shape == (0,)  # the reduced dim is not empty
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        float(fngrad.ones(3))
    with pytest.raises(RuntimeError, match="`inputs` argument to `grad\\(\\)` cannot be empty"):
        fngrad.autograd.grad((fngrad.ones(2, requires_grad=True) * 2).sum(), [])
    with pytest.raises(RuntimeError, match=r"\[one_hot\] one_hot is only applicable to index tensor of type LongTensor"):
        F.one_hot(fngrad.tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"\[cross_entropy\] label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(fngrad.ones(2, 3), fngrad.tensor([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"\[nll_loss\] Expected input batch_size \(2\) to match target batch_size \(3\)"):
        F.cross_entropy(fngrad.ones(2, 3), fngrad.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match=r"\[leaky_relu\] argument 'negative_slope' must be Number, not str"):
        F.leaky_relu(fngrad.ones(3), "a")
    with pytest.raises(RuntimeError, match=r"\[fill_\] fill_ only supports 0-dimension value tensor"):
        fngrad.ones(3).fill_(fngrad.ones(2))
    with pytest.raises(RuntimeError, match=r"\[masked_fill\] masked_fill_ only supports a 0-dimensional value tensor"):
        fngrad.ones(3).masked_fill(fngrad.ones(3) > 0, fngrad.ones(1))


def test_softmax_without_dim_chooses_pytorchs_implicit_dim():
    # torch.nn.functional._get_softmax_dim: dim 0 for 0-, 1- and 3-d inputs, else 1, with a warning.
    F = fngrad.nn.functional
    x = fngrad.tensor([[1.0, 2.0], [3.0, 5.0]])
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy(), x.softmax(1).numpy())
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        z = F.log_softmax(fngrad.ones(2, 3, 4))
    np.testing.assert_allclose(z.numpy(), fngrad.ones(2, 3, 4).log_softmax(0).numpy())
