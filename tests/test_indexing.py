"""Indexing: basic, advanced (integer tensors, lists, masks, combinations), setitem (differentiable),
and in-place ops on views."""

import numpy as np
import pytest

import fngrad


def f64(a, requires_grad=True):
    return fngrad.tensor(np.asarray(a, dtype=np.float64), dtype=fngrad.float64, requires_grad=requires_grad)


A = np.arange(24, dtype=np.float64).reshape(2, 3, 4)


@pytest.mark.parametrize("index", [
    (0, [2, 0]),
    (slice(None), [2, 2, 0]),
    ([1, 0], slice(None), [3, 1]),
    (Ellipsis, [0, 0, 3]),
    (np.array([[0, 1], [1, 0]]),),
    (slice(None), np.array([True, False, True])),
    (np.array([True, False]), 1),
    ([0, 1], [1, 2], [3, 0]),
])
def test_advanced_getitem_matches_numpy(index):
    t = fngrad.from_numpy(A.copy())
    torch_like = tuple(fngrad.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    np.testing.assert_array_equal(t[torch_like].numpy(), A[index])


def test_integer_index_backward_accumulates_repeated_indices():
    x = f64(np.arange(4.0))
    y = x[fngrad.tensor([1, 1, 3, 1])]
    (y * fngrad.tensor([1.0, 2.0, 3.0, 4.0], dtype=fngrad.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 7.0, 0.0, 3.0])


def test_mixed_advanced_index_backward():
    x = f64(A)
    x[:, [2, 0, 2], 1].sum().backward()
    expected = np.zeros_like(A)
    np.add.at(expected, (slice(None), [2, 0, 2], 1), 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_setitem_is_differentiable_for_self_and_value():
    x = f64([1.0, 2.0, 3.0, 4.0])
    v = f64([10.0, 20.0])
    y = x * 1
    y[fngrad.tensor([0, 2])] = v * 3
    assert y.grad_fn.name() == "IndexPutBackward0"
    (y * fngrad.tensor([1.0, 2.0, 3.0, 4.0], dtype=fngrad.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 0.0, 4.0])  # overwritten entries get nothing
    np.testing.assert_array_equal(v.grad.numpy(), [3.0, 9.0])
    np.testing.assert_array_equal(y.detach().numpy(), [30.0, 2.0, 60.0, 4.0])


def test_setitem_with_slices_on_a_non_leaf():
    x = f64(np.ones((3, 4)))
    y = x * 2
    y[1:, ::2] = 0.0
    y.sum().backward()
    expected = np.full((3, 4), 2.0)
    expected[1:, ::2] = 0
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_inplace_on_a_view_goes_through_the_base():
    x = f64(np.arange(6.0).reshape(2, 3))
    y = x * 1
    row = y[0]
    row.mul_(10)  # CopySlices: y's history now includes the multiplication
    assert y.grad_fn.name() == "CopySlices"
    np.testing.assert_array_equal(y.detach().numpy(), [[0, 10, 20], [3, 4, 5]])
    (y * y).sum().backward()
    expected = 2 * np.array([[0, 10, 20], [3, 4, 5]]) * np.array([[10, 10, 10], [1, 1, 1]])
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_inplace_on_a_view_with_a_value_that_requires_grad():
    w = f64([1.0, 2.0])
    base = fngrad.zeros(2, 2, dtype=fngrad.float64)
    base[0].copy_(w * 3)
    assert base.requires_grad
    base.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


def test_sibling_view_sees_the_new_history():
    x = f64([1.0, 2.0, 3.0])
    y = x * 1
    a = y[:2]
    b = y[1:]  # overlaps a
    a.mul_(5)
    (b * 1).sum().backward()  # b[0] is now 5 * x[1]
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 5.0, 1.0])


def test_view_created_under_no_grad_cannot_be_modified_with_grad():
    x = f64([1.0, 2.0])
    y = x * 1
    with fngrad.no_grad():
        v = y[:1]
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being modified inplace"):
        v.add_(1)


def test_view_of_a_leaf_cannot_be_modified():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place"):
        x[:1].add_(1)


def test_indexing_errors_name_the_problem():
    t = fngrad.zeros(3, 4)
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 0 with size 3"):
        t[fngrad.tensor([7])]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        t[fngrad.tensor([1.0])]
    with pytest.raises(IndexError, match="out of bounds"):
        t[:, [9]]
    with pytest.raises(RuntimeError, match=r"\[setitem\] The size of tensor a \(4\) must match the size of tensor b \(5\)"):
        t[0] = fngrad.ones(5)
    with pytest.raises(TypeError, match=r"\[setitem\] Expected a number or a tensor"):
        t[0] = "x"


# ---- int64 overflow in slice and size arithmetic: never a tensor with a negative size ----


def test_slice_with_a_huge_step():
    a = np.arange(5.0)
    x = fngrad.tensor(a)
    # Steps whose length arithmetic fits in int64 give NumPy's result.
    for index in [slice(3, None, 2**63 - 2), slice(1, None, 2**62), slice(None, None, 2**62), slice(4, 5, 2**63 - 1)]:
        np.testing.assert_array_equal(x[index].numpy(), a[index])
    np.testing.assert_array_equal(fngrad.tensor(np.arange(10.0).reshape(5, 2))[::2**62].numpy(), [[0.0, 1.0]])
    # PyTorch computes (stop - start + step - 1) / step in int64 and raises where that overflows
    # (Python clips a step of 2**63 to 2**63 - 1); fngrad raises there too, rather than make a
    # tensor of size -1.
    for index in [slice(None, None, 2**63), slice(1, None, 2**63 - 1), slice(0, 3, 2**63 - 1)]:
        with pytest.raises(RuntimeError, match=r"\[slice\].*overflow"):
            fngrad.ones(3)[index]


def test_no_view_or_shape_op_makes_a_negative_size():
    with pytest.raises(RuntimeError, match=r"\[expand\].*isn't allowed in a leading, non-existing dimension 0"):
        fngrad.ones(3).expand(-1, 3)
    with pytest.raises(RuntimeError, match=r"\[expand\].*\(-2\)"):
        fngrad.ones(1).expand(-2)
    with pytest.raises(RuntimeError, match=r"\[expand\]"):
        fngrad.ones(1).expand(2**62, 2**62)  # more elements than int64 counts
    assert fngrad.ones(1, 3).expand(4, -1).shape == (4, 3)
    with pytest.raises(RuntimeError, match=r"\[split\].*non-negative entries"):
        fngrad.ones(3).split([4, -1])
    with pytest.raises(RuntimeError, match=r"\[split\]"):
        fngrad.ones(3).split([2**63 - 1, 1])
    # (2**63 - 1)**2 wraps around to 1 in int64: the shape must still be refused.
    with pytest.raises(RuntimeError, match=r"\[reshape\] shape .* is invalid for input of size 1"):
        fngrad.ones(1).reshape(2**63 - 1, 2**63 - 1)
    assert fngrad.ones(0).reshape(0, 2**62, 4).shape == (0, 2**62, 4)
    with pytest.raises(RuntimeError, match=r"\[reshape\]"):  # PyTorch multiplies left to right, too
        fngrad.ones(0).reshape(2**62, 4, 0)
    assert [t.shape for t in fngrad.ones(3).chunk(2**63 - 1)] == [(1,), (1,), (1,)]
    with pytest.raises(ValueError, match=r"\[index\] Overflow"):
        fngrad.ones(3)[2**63]
    with pytest.raises(IndexError, match="out of bounds"):
        fngrad.ones(3)[-2**63]


def test_a_list_holding_sequences_is_a_tuple_of_indices():
    # PyTorch's (and old NumPy's) rule: x[[[0, 1], [1, 2]]] is x[[0, 1], [1, 2]], and a list with a
    # slice or None is a tuple of basic indices.
    a = np.arange(12.0).reshape(3, 4)
    x = fngrad.tensor(a)
    np.testing.assert_array_equal(x[[[0, 1], [1, 2]]].numpy(), a[[0, 1], [1, 2]])
    np.testing.assert_array_equal(x[[[0, 1]]].numpy(), a[[0, 1]])
    np.testing.assert_array_equal(x[[0, slice(None)]].numpy(), a[0, :])
    np.testing.assert_array_equal(x[[0, None]].numpy(), a[0, None])
    np.testing.assert_array_equal(x[[0, 1]].numpy(), a[[0, 1]])  # a list of ints stays one index
    y = fngrad.tensor(a)
    y[[[0, 1], [1, 2]]] = 100.0
    b = a.copy()
    b[[0, 1], [1, 2]] = 100.0
    np.testing.assert_array_equal(y.numpy(), b)
    with pytest.raises(IndexError, match="too many indices"):
        fngrad.ones(3)[[[0, 1], [2]]]
    with pytest.raises(IndexError, match=r"valid indices \(got float\)"):
        fngrad.ones(3)[1.5]


# Where PyTorch and NumPy disagree, PyTorch's rule: ints (and 0-d integer tensors) select first,
# then the advanced indices stay in place if they are adjacent in what is left. The expectations
# spell that out with NumPy: apply the ints, then index with the remaining (adjacent) arrays.
@pytest.mark.parametrize("index, numpy_rule", [
    ((0, slice(None), [2, 0]), lambda a: a[0][:, [2, 0]]),                      # NumPy: (2, 3)
    ((slice(None), [1, 2], Ellipsis, [0, 3]), lambda a: a[:, [1, 2], [0, 3]]),  # Ellipsis of no dims
    ((1, [0, 2], Ellipsis), lambda a: a[1][[0, 2]]),
    ((Ellipsis, "t0d"), lambda a: a[..., -1]),                                  # 0-d tensor: an int
    (("t0d", [0, 2]), lambda a: a[-1][[0, 2]]),
    (("t0d", slice(None), [3, 1]), lambda a: a[-1][:, [3, 1]]),                 # NumPy: (2, 3) transposed
])
def test_pytorch_rule_for_ints_next_to_advanced_indices(index, numpy_rule):
    t0d = fngrad.tensor(-1)
    x = f64(A)
    y = x[tuple(t0d if i == "t0d" else i for i in index)]
    expected = numpy_rule(A)
    np.testing.assert_array_equal(y.detach().numpy(), expected)
    w = np.random.default_rng(0).standard_normal(expected.shape)
    (y * fngrad.from_numpy(w)).sum().backward()
    # The gradient scatters w back to the positions the rule selects.
    selected = numpy_rule(np.arange(A.size).reshape(A.shape))
    grad = np.zeros(A.size)
    np.add.at(grad, selected.reshape(-1), w.reshape(-1))
    np.testing.assert_array_equal(x.grad.numpy(), grad.reshape(A.shape))


def test_masked_select_broadcasts_the_mask():
    x = f64(A[0])  # (3, 4)
    mask = np.array([True, False, False, True])
    y = fngrad.masked_select(x, fngrad.tensor(mask))
    np.testing.assert_array_equal(y.detach().numpy(), A[0][np.broadcast_to(mask, (3, 4))])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to(mask, (3, 4)).astype(np.float64))
    # The input broadcasts as well: each element is selected once per row of the mask.
    v = f64([1.0, 2.0])
    out = v.masked_select(fngrad.tensor([[True, True], [False, True], [True, False]]))
    np.testing.assert_array_equal(out.detach().numpy(), [1.0, 2.0, 2.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [2.0, 2.0])


def test_cat_keeps_empty_inputs_in_promotion_and_autograd():
    # PyTorch leaves 1-D empty tensors out of cat's shape checks, not out of the result dtype or
    # the graph.
    x = fngrad.ones(2, 3, requires_grad=True)
    e = fngrad.zeros(0, dtype=fngrad.float64, requires_grad=True)
    y = fngrad.cat([x, e])
    assert y.dtype == fngrad.float64 and tuple(y.shape) == (2, 3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3), np.float32))
    assert e.grad is not None and tuple(e.grad.shape) == (0,) and e.grad.dtype == fngrad.float64
    only_empty = fngrad.cat([e, fngrad.zeros(0)])
    assert only_empty.requires_grad and only_empty.dtype == fngrad.float64 and tuple(only_empty.shape) == (0,)


def test_tensor_with_float64_dtype_keeps_python_floats_exact():
    values = [0.1, 1e-300, 2.0 ** 60 + 1.0, 1 / 3]
    t = fngrad.tensor(values, dtype=fngrad.float64)
    np.testing.assert_array_equal(t.numpy(), np.array(values, dtype=np.float64))
    assert fngrad.tensor(values).dtype == fngrad.float32  # the default is still float32


@pytest.mark.parametrize("index", [
    np.array([0, 2]), np.array(True), np.array(1), np.int64(2), (np.array([0, 1]), np.array([1, 2])),
    np.array([True, False, True]), (slice(None), np.array([3, 0])),
], ids=["int-array", "0d-bool", "0d-int", "np-int64", "two-arrays", "bool-array", "slice-array"])
def test_numpy_index_objects_index_as_numpy_does(index):
    # NumPy arrays have __index__, but only 0-d integer ones are integers; the rest index as tensors do.
    a = np.arange(12.0).reshape(3, 4)
    x = fngrad.tensor(a, requires_grad=True)
    y = x[index]
    np.testing.assert_array_equal(y.detach().numpy(), a[index])
    y.sum().backward()
    expected = np.zeros_like(a)
    np.add.at(expected, index, 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
