"""The in-place forms made by `_inplace` / `_inplace_view` (python/fngrad/_inplace_forms.py): what an
in-place op must do besides its values (which tests/op_table.py checks): bump the version counter,
keep a view a view of its base, refuse leaves that require grad, record the op in the graph."""

import numpy as np
import pytest

import fngrad


@pytest.mark.parametrize("call", [lambda t: t.squeeze_(), lambda t: t.unsqueeze_(0), lambda t: t.t_(),
                                  lambda t: t.transpose_(0, 1), lambda t: t.swapdims_(0, 1)])
def test_view_forms_change_self_and_bump_the_version(call):
    base = fngrad.arange(6.0).reshape(3, 2)
    x = base[1:2]  # a (1, 2) view
    expected = call(x.clone()).numpy().copy()
    v = x._version
    assert call(x) is x
    assert x._version == v + 1
    np.testing.assert_array_equal(x.numpy(), expected)
    # still a view of base: writing through it is seen in base
    x.fill_(-1.0)
    assert base[1].tolist() == [-1.0, -1.0]


def test_view_form_refuses_a_non_leaf_with_history_and_leaves_it_unchanged():
    y = fngrad.ones(2, 1, requires_grad=True) * 2
    with pytest.raises(NotImplementedError, match="squeeze_"):
        y.squeeze_()
    assert tuple(y.shape) == (2, 1)
    y.sum().backward()  # the graph is intact


def test_comparison_form_writes_the_result_in_self_dtype_and_records_it():
    a = fngrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = a * 1  # a non-leaf: the in-place op is recorded
    v = y._version
    y.ge_(2.0)
    assert y.tolist() == [0.0, 1.0, 1.0] and y.dtype == fngrad.float32
    assert y._version == v + 1
    y.sum().backward()  # the comparison cuts the gradient: zero, as in PyTorch
    assert a.grad.tolist() == [0.0, 0.0, 0.0]


def test_index_put__gradient_flows_to_values_not_to_overwritten_elements():
    x = fngrad.ones(4, requires_grad=True)
    v = fngrad.tensor([5.0, 6.0], requires_grad=True)
    y = x.clone()
    y.index_put_((fngrad.tensor([0, 2]),), v)
    (y * fngrad.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 0.0, 4.0]
    assert v.grad.tolist() == [1.0, 3.0]


def test_slogdet_sign_is_a_graph_output_with_zero_gradient():
    A = fngrad.tensor([[2.0, 1.0], [1.0, -3.0]], requires_grad=True)
    sign, logabsdet = fngrad.linalg.slogdet(A)
    assert sign.requires_grad and sign.item() == -1.0
    g, = fngrad.autograd.grad(sign.sum(), A, allow_unused=True, retain_graph=True)
    assert g is None or not g.numpy().any()
    g, = fngrad.autograd.grad(logabsdet, A)
    np.testing.assert_allclose(g.numpy(), np.linalg.inv(A.detach().numpy()).T, rtol=1e-6)
