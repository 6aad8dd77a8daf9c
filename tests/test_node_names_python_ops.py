"""The node names of the ops written in Python as autograd Functions (indexing, scans, flip/roll,
nan_to_num, nextafter, binary_cross_entropy): `grad_fn.name()` and `type(grad_fn).__name__` are
PyTorch's native node names (`GatherBackward0`, and the overload's number where PyTorch has two:
`ScatterBackward1` for a number src, `IndexFillBackward1` for a tensor value). Printouts, torchviz
and user code that dispatches on the node's name read them."""

import pytest

import fngrad
from conftest import requires_torch


def _cases(m):
    f64 = m.float64
    x = m.randn(3, 4, dtype=f64, requires_grad=True)
    i = m.tensor([[0, 1], [2, 0], [1, 1]])
    s = m.randn(3, 2, dtype=f64, requires_grad=True)
    j = m.tensor([0, 2])
    src = m.randn(2, 4, dtype=f64, requires_grad=True)
    mask = m.tensor([True, False, True, True]).expand(3, 4)
    return {
        "gather": lambda: m.gather(x, 1, i),
        "scatter_add": lambda: x.scatter_add(1, i, s),
        "scatter": lambda: x.scatter(1, i, s),
        "scatter_value": lambda: x.scatter(1, i, 2.0),
        "scatter_reduce": lambda: x.scatter_reduce(1, i, s, "sum"),
        "index_select": lambda: x.index_select(0, j),
        "index_add": lambda: x.index_add(0, j, src),
        "index_copy": lambda: x.index_copy(0, j, src),
        "index_fill": lambda: x.index_fill(0, j, 1.0),
        "index_fill_tensor": lambda: x.index_fill(0, j, m.tensor(1.0, dtype=f64)),
        "masked_scatter": lambda: x.masked_scatter(mask, m.randn(12, dtype=f64)),
        "put": lambda: x.put(m.tensor([1, 5]), m.randn(2, dtype=f64)),
        "flip": lambda: x.flip(0),
        "roll": lambda: x.roll(1, 0),
        "cumsum": lambda: x.cumsum(0),
        "cumprod": lambda: x.cumprod(0),
        "logcumsumexp": lambda: x.logcumsumexp(0),
        "nan_to_num": lambda: x.nan_to_num(),
        "nextafter": lambda: m.nextafter(x, m.zeros(3, 4, dtype=f64)),
        "binary_cross_entropy": lambda: m.nn.functional.binary_cross_entropy(
            m.sigmoid(x), m.rand(3, 4, dtype=f64)),
    }


# As PyTorch 2.13 names them (written out from torch; test_matches_torch checks the table itself).
EXPECTED = {
    "gather": "GatherBackward0", "scatter_add": "ScatterAddBackward0", "scatter": "ScatterBackward0",
    "scatter_value": "ScatterBackward1", "scatter_reduce": "ScatterReduceBackward0",
    "index_select": "IndexSelectBackward0", "index_add": "IndexAddBackward0", "index_copy": "IndexCopyBackward0",
    "index_fill": "IndexFillBackward0", "index_fill_tensor": "IndexFillBackward1",
    "masked_scatter": "MaskedScatterBackward0", "put": "PutBackward0", "flip": "FlipBackward0",
    "roll": "RollBackward0", "cumsum": "CumsumBackward0", "cumprod": "CumprodBackward0",
    "logcumsumexp": "LogcumsumexpBackward0", "nan_to_num": "NanToNumBackward0", "nextafter": "NextafterBackward0",
    "binary_cross_entropy": "BinaryCrossEntropyBackward0",
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_node_name(case):
    y = _cases(fngrad)[case]()
    assert y.grad_fn.name() == EXPECTED[case]
    assert type(y.grad_fn).__name__ == EXPECTED[case]


def test_second_overloads_differentiate():
    # ScatterBackward1 and IndexFillBackward1 are subclasses of the first overload's node: the same
    # backward rule, so the written places get no gradient and the rest get the upstream one.
    m = fngrad
    index = [[0, 1], [2, 0], [1, 1]]
    x = m.randn(3, 4, dtype=m.float64, requires_grad=True)
    x.scatter(1, m.tensor(index), 2.0).sum().backward()
    expected = [[0.0 if c in cols else 1.0 for c in range(4)] for cols in index]
    assert x.grad.tolist() == expected

    x = m.randn(3, 4, dtype=m.float64, requires_grad=True)
    x.index_fill(0, m.tensor([0, 2]), m.tensor(1.0, dtype=m.float64)).sum().backward()
    assert x.grad.tolist() == [[0.0] * 4, [1.0] * 4, [0.0] * 4]


@requires_torch
def test_matches_torch():
    import torch

    assert {k: f().grad_fn.name() for k, f in _cases(torch).items()} == EXPECTED
