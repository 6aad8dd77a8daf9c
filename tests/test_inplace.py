"""The in-place ops: results, version counter, leaf refusal, and gradients through them."""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

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


# ---- writes into a tensor whose elements share memory (expand) ----
# PyTorch refuses them (assert_no_internal_overlap: a dim of size > 1 with stride 0) with this
# message, instead of writing each memory location several times.
OVERLAP = "unsupported operation: more than one element of the written-to tensor refers to a single memory location"


def _setitem_slice(t):
    t[:] = 5.0


OVERLAPPING_WRITES = [
    ("add_", lambda t: t.add_(1)),
    ("iadd", lambda t: t.__iadd__(1)),
    ("sub_", lambda t: t.sub_(fngrad.ones(3))),
    ("mul_", lambda t: t.mul_(fngrad.ones(3))),
    ("div_", lambda t: t.div_(2)),
    ("pow_", lambda t: t.pow_(2)),
    ("exp_", lambda t: t.exp_()),
    ("sigmoid_", lambda t: t.sigmoid_()),
    ("relu_", lambda t: t.relu_()),
    ("F.relu_inplace", lambda t: fngrad.nn.functional.relu(t, inplace=True)),
    ("clamp_", lambda t: t.clamp_(0)),
    ("clamp_max", lambda t: t.clamp_(max=0.5)),
    ("copy_", lambda t: t.copy_(fngrad.tensor([1.0, 2.0, 3.0]))),
    ("setitem_slice", _setitem_slice),
]


@pytest.mark.parametrize("name,op", OVERLAPPING_WRITES, ids=[c[0] for c in OVERLAPPING_WRITES])
def test_inplace_write_into_overlapping_memory_is_refused(name, op):
    base = fngrad.tensor([2.0])
    with pytest.raises(RuntimeError, match=OVERLAP) as info:
        op(base.expand(3))
    assert str(info.value).startswith("[")  # names the op
    np.testing.assert_array_equal(base.numpy(), [2.0])  # nothing was written
    # Also in two dims, and on a non-leaf that requires grad (before any autograd bookkeeping).
    with pytest.raises(RuntimeError, match=OVERLAP):
        op(fngrad.tensor([[2.0, 3.0, 4.0]]).expand(3, 3)[:, 0])
    x = fngrad.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=OVERLAP):
        op((x * 1).expand(3))


def test_inplace_writes_that_do_not_overlap_are_allowed():
    # As in PyTorch: a size-1 or empty expanded dim, a row of an expanded matrix, strided and
    # transposed views all address distinct memory.
    np.testing.assert_array_equal(fngrad.ones(1).expand(1).add_(1).numpy(), [2.0])
    assert fngrad.ones(1).expand(0).add_(1).shape == (0,)
    m = fngrad.tensor([[1.0, 2.0, 3.0]]).expand(2, 3)
    m[0].mul_(2)
    np.testing.assert_array_equal(m.numpy(), [[2.0, 4.0, 6.0]] * 2)
    t = fngrad.ones(2, 3)
    t.t().add_(1)
    t[:, ::2].mul_(3)
    np.testing.assert_array_equal(t.numpy(), [[6.0, 2.0, 6.0]] * 2)


def test_fill_and_masked_fill_of_overlapping_memory_write_one_value():
    # PyTorch allows these (every element gets the same value): fill_ and zero_ silently,
    # masked_fill_ (and x[mask] = v) with a deprecation warning; x[i] = v writes a single element.
    base = fngrad.tensor([2.0])
    base.expand(3).fill_(7)
    np.testing.assert_array_equal(base.numpy(), [7.0])
    base.expand(3).zero_()
    np.testing.assert_array_equal(base.numpy(), [0.0])
    with pytest.warns(UserWarning, match="Use of masked_fill_ on expanded tensors is deprecated"):
        base.expand(3).masked_fill_(fngrad.tensor([True, False, True]), 5.0)
    np.testing.assert_array_equal(base.numpy(), [5.0])
    e = base.expand(3)
    e[1] = 4.0
    np.testing.assert_array_equal(e.numpy(), [4.0, 4.0, 4.0])


@requires_torch
@pytest.mark.parametrize("name,op", OVERLAPPING_WRITES, ids=[c[0] for c in OVERLAPPING_WRITES])
def test_overlapping_writes_match_pytorch(name, op):
    import torch

    # The same op on PyTorch (the ops that build a tensor argument need PyTorch's).
    op_torch = {
        "F.relu_inplace": lambda t: torch.nn.functional.relu(t, inplace=True),
        "sub_": lambda t: t.sub_(torch.ones(3)),
        "mul_": lambda t: t.mul_(torch.ones(3)),
        "copy_": lambda t: t.copy_(torch.tensor([1.0, 2.0, 3.0])),
    }.get(name, op)
    with pytest.raises(RuntimeError, match=OVERLAP):
        op_torch(torch.tensor([2.0]).expand(3))
