"""The in-place ops: results, version counter, leaf refusal, and gradients through them."""

import numpy as np
import pytest

import fngrad

INPLACE = [
    ("add_", lambda t: t.add_(2), lambda a: a + 2),
    ("sub_", lambda t: t.sub_(fngrad.tensor([1.0, 2.0, 3.0])), lambda a: a - [1, 2, 3]),
    ("mul_", lambda t: t.mul_(3), lambda a: a * 3),
    ("div_", lambda t: t.div_(2), lambda a: a / 2),
    ("zero_", lambda t: t.zero_(), lambda a: a * 0),
    ("fill_", lambda t: t.fill_(7), lambda a: np.full_like(a, 7)),
    ("clamp_", lambda t: t.clamp_(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5)),
    ("relu_", lambda t: t.relu_(), lambda a: np.maximum(a, 0)),
    ("copy_", lambda t: t.copy_(fngrad.tensor([9.0, 8.0, 7.0])), lambda a: np.array([9.0, 8.0, 7.0])),
    ("masked_fill_", lambda t: t.masked_fill_(t > 0, -1), lambda a: np.where(a > 0, -1, a)),
    ("exp_", lambda t: t.exp_(), np.exp),
    ("pow_", lambda t: t.pow_(2), lambda a: a**2),
]


@pytest.mark.parametrize("name,op,ref", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_result_and_version(name, op, ref):
    a = np.array([-1.0, 0.25, 2.0], dtype=np.float32)
    t = fngrad.from_numpy(a.copy())
    v = t._version
    assert op(t) is t
    np.testing.assert_allclose(t.numpy(), ref(a), rtol=1e-6)
    assert t._version == v + 1


@pytest.mark.parametrize("name,op,ref", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_refuses_a_leaf_that_requires_grad(name, op, ref):
    t = fngrad.tensor([-1.0, 0.25, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        op(t)
    np.testing.assert_array_equal(t.detach().numpy(), [-1.0, 0.25, 2.0])


@pytest.mark.parametrize("name,op,ref", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_gradient_matches_out_of_place(name, op, ref):
    a = np.array([-1.0, 0.25, 2.0])
    x = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    y = x * 1.5
    op(y)
    w = fngrad.tensor([1.0, 2.0, 3.0], dtype=fngrad.float64)
    (y * w).sum().backward()
    # Finite differences of the same composition.
    eps = 1e-6
    expected = np.zeros(3)
    for i in range(3):
        for sign in (1, -1):
            b = a.copy()
            b[i] += sign * eps
            z = fngrad.tensor(b * 1.5, dtype=fngrad.float64)
            op(z)
            expected[i] += sign * float((z.numpy() * [1, 2, 3]).sum()) / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_inplace_type_rules():
    i = fngrad.tensor([1, 2])
    with pytest.raises(RuntimeError, match=r"result type float32 can't be cast to the desired output type int64"):
        i.mul_(1.5)
    i.add_(1)
    np.testing.assert_array_equal(i.numpy(), [2, 3])
    with pytest.raises(RuntimeError, match=r"doesn't match the broadcast shape"):
        fngrad.zeros(3).add_(fngrad.zeros(2, 3))
