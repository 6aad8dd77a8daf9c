"""Writes through NumPy arrays to memory a graph saved for backward (Note [NumPy writes to saved memory]).

PyTorch computes a silently wrong gradient when a saved tensor is written through a NumPy array
that shares its memory; fngrad raises PyTorch's in-place RuntimeError at backward, naming the node
that saved the tensor and the user line that created it. Writes that cannot change a gradient (to
a tensor nobody saved, after backward freed the graph) stay allowed, and gradients are unchanged
when nothing was written. Expected gradients are NumPy formulas.
"""

import inspect
import os

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

HERE = os.path.basename(__file__)


def _line():
    """The caller's line number (where the forward op under test is written)."""
    return inspect.currentframe().f_back.f_lineno


def _raises_numpy_write(node, line):
    """pytest.raises for the in-place error naming `node` created at this file's `line`."""
    return pytest.raises(
        RuntimeError,
        match=rf"^one of the variables needed for gradient computation has been modified by an inplace operation: "
              rf"\[fngrad\.FloatTensor \[\d+\]\].* was written through a NumPy array .* after {node} "
              rf"\(created at .*{HERE}:{line}\) saved it for backward")


def _vals():
    return np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)


def test_write_through_numpy_view_taken_before_saving():
    a = fngrad.from_numpy(_vals().copy())
    arr = a.numpy()
    x = fngrad.ones(4, requires_grad=True)
    y = x * a; line = _line()  # noqa: E702
    arr[0] = 10.0
    with _raises_numpy_write("MulBackward0", line):
        y.sum().backward()
    assert x.grad is None


def test_write_through_numpy_view_taken_after_saving():
    a = fngrad.tensor(_vals())
    x = fngrad.ones(4, requires_grad=True)
    y = x * a; line = _line()  # noqa: E702
    a.numpy()[0] = 10.0
    with _raises_numpy_write("MulBackward0", line):
        y.sum().backward()


def test_write_through_np_asarray():
    a = fngrad.tensor(_vals())
    x = fngrad.ones(4, requires_grad=True)
    y = (x * a).sum(); line = _line()  # noqa: E702
    view = np.asarray(a)
    assert np.shares_memory(view, a.numpy())
    view[2] = -1.0
    with _raises_numpy_write("MulBackward0", line):
        y.backward()


def test_write_through_slice_of_numpy_view():
    a = fngrad.tensor(_vals())
    x = fngrad.ones(4, requires_grad=True)
    y = x * a; line = _line()  # noqa: E702
    a.numpy()[1:3][0] = 7.0  # the array itself is dropped at once; its slice writes
    with _raises_numpy_write("MulBackward0", line):
        y.sum().backward()
    sl = a.numpy()[2:]  # a slice kept alive keeps the memory writable
    y = x * a; line = _line()  # noqa: E702
    sl[1] = 0.5
    with _raises_numpy_write("MulBackward0", line):
        y.sum().backward()


def test_swap_of_two_values_is_seen():
    a = fngrad.tensor(_vals())
    arr = a.numpy()
    x = fngrad.ones(4, requires_grad=True)
    y = x * a; line = _line()  # noqa: E702
    arr[0], arr[1] = arr[1].copy(), arr[0].copy()
    with _raises_numpy_write("MulBackward0", line):
        y.sum().backward()


def test_write_through_array_given_to_from_numpy():
    arr = _vals()
    a = fngrad.from_numpy(arr)
    x = fngrad.ones(4, requires_grad=True)
    y = x * a; line = _line()  # noqa: E702
    arr[3] = 0.0
    with _raises_numpy_write("MulBackward0", line):
        y.sum().backward()
    base = _vals()
    b = fngrad.from_numpy(base[1:])  # the array handed over is a temporary view of base
    y = x[1:] * b; line = _line()  # noqa: E702
    base[1] = 9.0
    with _raises_numpy_write("MulBackward0", line):
        y.sum().backward()


def test_saved_output_written_through_numpy_names_its_node():
    x = fngrad.tensor([0.5, 1.0, 1.5], requires_grad=True)
    y = x.exp(); line = _line()  # noqa: E702
    y.detach().numpy()[0] = 0.0
    with pytest.raises(RuntimeError, match=rf"\[fngrad\.FloatTensor \[3\]\] was written through a NumPy array .* after "
                                           rf"ExpBackward0 \(created at .*{HERE}:{line}\) saved it"):
        y.sum().backward()


def test_saved_input_with_history_says_whose_output_it_is():
    x = fngrad.tensor(_vals(), requires_grad=True)
    h = x * 2.0; hline = _line()  # noqa: E702
    y = h.sin(); line = _line()  # noqa: E702
    h.detach().numpy()[0] = 100.0
    with pytest.raises(RuntimeError, match=rf"which is output 0 of MulBackward0 \(created at .*{HERE}:{hline}\), was "
                                           rf"written through a NumPy array .* after SinBackward0 \(created at "
                                           rf".*{HERE}:{line}\) saved it"):
        y.sum().backward()


def test_write_through_data_alias_numpy():
    w = fngrad.tensor(_vals(), requires_grad=True)
    x = fngrad.ones(4, requires_grad=True)
    y = x * w; line = _line()  # noqa: E702
    w.data.numpy()[1] = 0.0
    with _raises_numpy_write("MulBackward0", line):
        y.sum().backward()


def test_write_to_unsaved_tensor_stays_allowed():
    a = fngrad.tensor(_vals())
    x = fngrad.ones(4, requires_grad=True)
    y = x * 3.0 + a  # add saves neither side
    arr = a.numpy()
    arr[:] = 0.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(4, 3.0, np.float32))


def test_write_outside_the_saved_span_stays_allowed():
    a = fngrad.tensor(np.arange(8, dtype=np.float32))
    arr = a.numpy()  # live before saving: the saved view keeps a checksum of its own bytes
    x = fngrad.ones(3, requires_grad=True)
    y = x * a[:3]
    arr[5] = -1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.array([0.0, 1.0, 2.0], np.float32))


def test_write_after_backward_stays_allowed():
    a = fngrad.tensor(_vals())
    arr = a.numpy()
    x = fngrad.ones(4, requires_grad=True)
    y = x * a
    y.sum().backward()
    arr[:] = 5.0  # the graph is freed: nothing reads the old values
    np.testing.assert_array_equal(x.grad.numpy(), _vals())
    np.testing.assert_array_equal(a.numpy(), np.full(4, 5.0, np.float32))


def test_gradient_is_right_when_nothing_is_written():
    vals = _vals()
    a = fngrad.tensor(vals)
    arr_before = a.numpy()  # own checksums for tensors saved from here on
    x = fngrad.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
    y = (x * a).sin()
    arr_after = a.numpy()
    assert arr_before[0] == arr_after[0] == 1.0  # read, not written
    y.sum().backward(retain_graph=True)
    xv = np.array([0.1, 0.2, 0.3, 0.4], np.float32)
    np.testing.assert_allclose(x.grad.numpy(), np.cos(xv * vals) * vals, rtol=1e-6)
    # A saved tensor over memory first exported after the save (the snapshot path).
    b = fngrad.tensor(vals)
    z = x * b
    view = b.numpy()
    x.grad = None
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), view)


def test_writing_the_same_values_back_is_not_a_modification():
    a = fngrad.tensor(_vals())
    arr = a.numpy()
    x = fngrad.ones(4, requires_grad=True)
    y = x * a
    arr[1] = 2.0  # unchanged bytes: the gradient stays right
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), _vals())


def test_graph_stays_usable_after_the_error():
    a = fngrad.tensor(_vals())
    arr = a.numpy()
    x = fngrad.ones(4, requires_grad=True)
    y = x * a
    arr[0] = 10.0
    with pytest.raises(RuntimeError, match="written through a NumPy array"):
        y.sum().backward()
    arr[0] = 1.0  # restored: the saved values are those of the forward again
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), _vals())


@requires_torch
def test_pytorch_computes_the_written_gradient_silently():
    """The deviation this guards against: PyTorch's gradient uses the written value."""
    import torch

    a = torch.tensor(_vals())
    x = torch.ones(4, requires_grad=True)
    y = x * a
    a.numpy()[0] = 10.0
    y.sum().backward()
    assert x.grad[0].item() == 10.0  # the forward used 1.0
    fa = fngrad.tensor(_vals())
    fx = fngrad.ones(4, requires_grad=True)
    fy = fx * fa
    fa.numpy()[0] = 10.0
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been modified"):
        fy.sum().backward()


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0, 2)])
def test_empty_array_from_numpy_spans_no_bytes(shape):
    # NumPy gives an empty array a 1-byte buffer; the storage wrapped over it spans none of it, so the
    # checksum taken when a NumPy view of saved memory is made reads nothing (the sanitizer run of the
    # suite reported the 8-byte read past that buffer this once did).
    base = np.empty(shape, dtype=np.float64)
    t = fngrad.from_numpy(base)
    w = fngrad.ones(shape, dtype=fngrad.float64, requires_grad=True)
    y = (w * t).sum()  # MulBackward0 saves t
    view = t.numpy()
    assert view.shape == shape
    y.backward()
    assert w.grad.shape == shape
