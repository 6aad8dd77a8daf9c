"""Graph shape PyTorch users read through `grad_fn.next_functions`: the edge with no node that add,
sub, mul and div keep for a Python-number operand, and Tensor.t()'s own node (TBackward0)."""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch


def _x():
    return fngrad.tensor([0.5, 1.5, 2.5], dtype=fngrad.float64, requires_grad=True)


def _edges(y):
    """next_functions as (node class name or None, input_nr) pairs."""
    return tuple((None if f is None else type(f).__name__, n) for f, n in y.grad_fn.next_functions)


ACC = ("AccumulateGrad", 0)
NONE = (None, 0)

# PyTorch wraps the number of add/sub/mul/div into a tensor that needs no gradient, at its place;
# `2 * x` and `2 + x` are x.mul(2) and x.add(2) (Tensor.__rmul__/__radd__), so the tensor comes first.
CASES = [
    ("x * 2", lambda m, x: x * 2, "MulBackward0", (ACC, NONE)),
    ("2 * x", lambda m, x: 2 * x, "MulBackward0", (ACC, NONE)),
    ("x + 2", lambda m, x: x + 2, "AddBackward0", (ACC, NONE)),
    ("2 + x", lambda m, x: 2 + x, "AddBackward0", (ACC, NONE)),
    ("x - 2", lambda m, x: x - 2, "SubBackward0", (ACC, NONE)),
    ("x / 2", lambda m, x: x / 2, "DivBackward0", (ACC, NONE)),
    ("add(x, 2, alpha=3)", lambda m, x: m.add(x, 2, alpha=3), "AddBackward0", (ACC, NONE)),
    ("mul(2., x)", lambda m, x: m.mul(2.0, x), "MulBackward0", (NONE, ACC)),
    ("div(2., x)", lambda m, x: m.div(2.0, x), "DivBackward0", (NONE, ACC)),
    ("x.clone().mul_(2)", lambda m, x: x.clone().mul_(2), "MulBackward0", (("CloneBackward0", 0), NONE)),
    # PyTorch's Scalar overloads: one edge.
    ("2 - x", lambda m, x: 2 - x, "RsubBackward1", (ACC,)),
    ("x ** 2", lambda m, x: x**2, "PowBackward0", (ACC,)),
    ("2 ** x", lambda m, x: 2**x, "PowBackward2", (ACC,)),
    ("x % 2", lambda m, x: x % 2, "RemainderBackward0", (ACC,)),
    ("xlogy(x, 2)", lambda m, x: m.xlogy(x, 2.0), "XlogyBackward2", (ACC,)),
    ("lerp(x, e, 0.5)", lambda m, x: m.lerp(x, x.detach() * 2, 0.5), "LerpBackward0", (ACC, NONE)),
    # Two tensors: one edge each, the same as before.
    ("x * x", lambda m, x: x * x, "MulBackward0", (ACC, ACC)),
]


@pytest.mark.parametrize("name,fn,node,edges", CASES, ids=[c[0] for c in CASES])
def test_next_functions_with_a_number(name, fn, node, edges):
    y = fn(fngrad, _x())
    assert type(y.grad_fn).__name__ == node
    assert _edges(y) == edges


@pytest.mark.parametrize("name,fn,ref", [
    ("x * 2", lambda x: x * 2, lambda v: np.full_like(v, 2.0)),
    ("2 * x", lambda x: 2 * x, lambda v: np.full_like(v, 2.0)),
    ("2 + x", lambda x: 2 + x, lambda v: np.ones_like(v)),
    ("div(2., x)", lambda x: fngrad.div(2.0, x), lambda v: -2.0 / v**2),
    ("mul(2., x)", lambda x: fngrad.mul(2.0, x), lambda v: np.full_like(v, 2.0)),
    ("x / 2", lambda x: x / 2, lambda v: np.full_like(v, 0.5)),
])
def test_gradients_through_a_number_edge(name, fn, ref):
    x = _x()
    fn(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref(np.array([0.5, 1.5, 2.5])), rtol=1e-12)


def test_number_edge_under_create_graph():
    # d/dx sum(2/x) = -2/x^2; d2/dx2 = 4/x^3 (the backward's own graph has number edges too).
    x = _x()
    (g,) = fngrad.autograd.grad(fngrad.div(2.0, x).sum(), x, create_graph=True)
    g.sum().backward()
    v = np.array([0.5, 1.5, 2.5])
    np.testing.assert_allclose(g.detach().numpy(), -2.0 / v**2, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), 4.0 / v**3, rtol=1e-12)


@requires_torch
@pytest.mark.parametrize("name,fn,node,edges", CASES, ids=[c[0] for c in CASES])
def test_next_functions_as_pytorch(name, fn, node, edges):
    import torch

    x = torch.tensor([0.5, 1.5, 2.5], dtype=torch.float64, requires_grad=True)
    y = fn(torch, x)
    assert type(y.grad_fn).__name__ == node
    assert tuple((None if f is None else type(f).__name__, n) for f, n in y.grad_fn.next_functions) == edges


@pytest.mark.parametrize("shape", [(3, 4), (4,), ()])
def test_t_records_TBackward0(shape):
    x = fngrad.tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)
    y = x.t()
    assert type(y.grad_fn).__name__ == "TBackward0"
    assert type(fngrad.t(x).grad_fn).__name__ == "TBackward0"
    assert [a for a in dir(y.grad_fn) if a.startswith("_saved")] == []
    assert tuple(y.shape) == tuple(reversed(shape))
    w = np.arange(float(np.prod(shape))).reshape(tuple(reversed(shape))) + 1.0
    (y * fngrad.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), w.T)


def test_transpose_and_T_keep_their_nodes():
    x = fngrad.randn(3, 4, requires_grad=True)
    assert type(x.transpose(0, 1).grad_fn).__name__ == "TransposeBackward0"
    assert type(x.T.grad_fn).__name__ == "PermuteBackward0"
    assert type(x.mT.grad_fn).__name__ == "TransposeBackward0"


def test_t_refuses_three_dims():
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
        fngrad.zeros(2, 3, 4).t()


def test_t_forward_ad():
    import fngrad.autograd.forward_ad as fwAD

    p = np.arange(12.0).reshape(3, 4)
    tangent = np.arange(12.0).reshape(3, 4) * 0.5
    with fwAD.dual_level():
        d = fwAD.make_dual(fngrad.tensor(p), fngrad.tensor(tangent))
        out = fwAD.unpack_dual(d.t() * 3)
        np.testing.assert_array_equal(out.tangent.numpy(), 3 * tangent.T)


@requires_torch
def test_t_nodes_as_pytorch():
    import torch

    def names(lib):
        x = lib.zeros(3, 4, requires_grad=True)
        return [type(y.grad_fn).__name__ for y in (x.t(), x.T, x.transpose(0, 1), lib.t(x), x[0].t())]

    assert names(fngrad) == names(torch)
