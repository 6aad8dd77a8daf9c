"""as_strided addresses its input's storage (Note [as_strided], csrc/ops/views.cpp): values and gradients
against PyTorch, and against NumPy and finite differences where PyTorch is not needed."""

from __future__ import annotations

import numpy as np
import pytest

import fngrad
from conftest import numeric_grad, requires_torch

# (how the input is made from a 24-element base, size, stride, storage_offset)
CASES = [
    ("plain", (2, 2), (1, 1), 0),            # the output overlaps itself
    ("plain", (3, 3), (1, 1), 2),
    ("plain", (2, 3), (0, 1), 0),            # an expanded output
    ("slice", (2, 2), (1, 2), None),         # the default offset is the view's own
    ("slice", (2, 2), (1, 2), 0),            # memory before the view: no gradient there
    ("slice", (2, 2), (1, 2), 10),
    ("fresh", (2, 2), (1, 2), 3),
    ("transposed", (3,), (1,), None),        # storage order, not the transpose's order
    ("transposed", (3, 2), (6, 1), 2),
    ("expanded", (4, 3), (1, 0), None),      # input elements sharing memory share its gradient
    ("expanded", (2, 2), (1, 1), 1),
]


def _make(lib, base, how):
    return {"plain": lambda: base, "slice": lambda: base[5:15], "fresh": lambda: base[5:15] * 1,
            "transposed": lambda: base.reshape(4, 6).t(),
            "expanded": lambda: base[2:6].reshape(4, 1).expand(4, 3)}[how]()


@requires_torch
@pytest.mark.parametrize("how,size,stride,offset", CASES)
def test_values_and_gradients_match_torch(how, size, stride, offset):
    import torch

    rng = np.random.default_rng(0)
    data = rng.standard_normal(24)
    results = []
    for lib in (torch, fngrad):
        leaf = lib.tensor(data, requires_grad=True)
        out = lib.as_strided(_make(lib, leaf, how), size, stride, offset)
        cot = lib.tensor(np.random.default_rng(1).standard_normal(size))
        (grad,) = lib.autograd.grad(out, [leaf], cot)
        results.append((out.detach().numpy(), grad.numpy(), type(out.grad_fn).__name__))
    (t_out, t_grad, t_name), (f_out, f_grad, f_name) = results
    np.testing.assert_allclose(f_out, t_out)
    np.testing.assert_allclose(f_grad, t_grad)
    assert f_name == t_name == "AsStridedBackward0"


def test_view_of_a_view_reads_the_storage():
    base = fngrad.arange(20.)
    view = base[5:15]
    np.testing.assert_array_equal(view.as_strided((2, 2), (1, 2), 0).numpy(), [[0, 2], [1, 3]])
    np.testing.assert_array_equal(view.as_strided((2, 2), (1, 2)).numpy(), [[5, 7], [6, 8]])
    t = fngrad.arange(12.).reshape(3, 4).t()
    np.testing.assert_array_equal(fngrad.as_strided(t, (3,), (1,)).numpy(), [0, 1, 2])


def test_result_is_a_view():
    x = fngrad.zeros(6)
    y = x.as_strided((2, 2), (1, 2), 1)
    assert y._base is x and y.storage_offset() == 1 and y.stride() == (1, 2)
    y[0, 1] = 5.0  # storage position 1 + 2
    np.testing.assert_array_equal(x.numpy(), [0, 0, 0, 5, 0, 0])


def test_inplace_form_changes_the_geometry():
    x = fngrad.arange(6.)
    before = x._version
    assert x.as_strided_((2, 2), (1, 2), 1) is x
    assert x.shape == (2, 2) and x.stride() == (1, 2) and x.storage_offset() == 1 and x._version > before
    np.testing.assert_array_equal(x.numpy(), [[1, 3], [2, 4]])


def test_gradients_against_finite_differences():
    # An overlapping output of a view with an offset, and an expanded input: d/dx of <cot, f(x)>.
    x = np.random.default_rng(2).standard_normal(10)
    cot = np.random.default_rng(3).standard_normal((3, 3))
    for f in (lambda t: fngrad.as_strided(t[1:] * 2, (3, 3), (1, 1), 1),
              lambda t: fngrad.as_strided(t[:3].reshape(3, 1).expand(3, 4), (3, 3), (1, 0), 0)):
        leaf = fngrad.tensor(x, requires_grad=True)
        (grad,) = fngrad.autograd.grad(f(leaf), [leaf], fngrad.tensor(cot))
        expected = numeric_grad(lambda a: float((f(fngrad.tensor(a)).numpy() * cot).sum()), x)
        np.testing.assert_allclose(grad.numpy(), expected, atol=1e-6)
        assert fngrad.autograd.gradgradcheck(f, (leaf,))


def test_inplace_through_an_as_strided_view_of_a_graph_tensor():
    # y.as_strided(...) written in place: the gradient flows through the write (CopySlices), as in PyTorch.
    a = fngrad.tensor(np.arange(6.), requires_grad=True)
    y = a * 1
    y.as_strided((2,), (2,), 1).mul_(3)
    (y * fngrad.tensor(np.arange(6.) + 1)).sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), [0, 3, 2, 9, 4, 5])
    np.testing.assert_array_equal(a.grad.numpy(), [1, 6, 3, 12, 5, 6])


def test_scatter_counts_positions_in_the_clones_storage():
    # A transposed (dense) input keeps its strides in the clone, so positions follow its memory order.
    t = fngrad.arange(9.).reshape(3, 3).t()
    out = fngrad.as_strided_scatter(t, fngrad.ones(2, 2) * -1, (2, 2), (1, 2), 1)
    memory = np.arange(9.)  # the transpose's memory, in order
    memory[[1, 3, 2, 4]] = -1
    np.testing.assert_array_equal(out.numpy(), memory.reshape(3, 3).T)


def test_scatter_gradient_against_finite_differences():
    # PyTorch's own input gradient here is wrong (its OpInfo marks test_fn_grad as an expected failure):
    # the scattered positions must get no gradient.
    x = np.random.default_rng(4).standard_normal((3, 3))
    s = np.random.default_rng(5).standard_normal((2, 2))
    cot = np.random.default_rng(6).standard_normal((3, 3))
    xt, st = fngrad.tensor(x, requires_grad=True), fngrad.tensor(s, requires_grad=True)
    gx, gs = fngrad.autograd.grad(fngrad.as_strided_scatter(xt, st, (2, 2), (1, 2), 0), [xt, st], fngrad.tensor(cot))
    fx = numeric_grad(lambda a: float((fngrad.as_strided_scatter(fngrad.tensor(a), fngrad.tensor(s), (2, 2), (1, 2), 0)
                                       .numpy() * cot).sum()), x)
    fs = numeric_grad(lambda b: float((fngrad.as_strided_scatter(fngrad.tensor(x), fngrad.tensor(b), (2, 2), (1, 2), 0)
                                       .numpy() * cot).sum()), s)
    np.testing.assert_allclose(gx.numpy(), fx, atol=1e-6)
    np.testing.assert_allclose(gs.numpy(), fs, atol=1e-6)


@requires_torch
def test_stride_and_offset_of_bfloat16():
    import torch

    for lib in (torch, fngrad):
        x = lib.zeros(4, 6, dtype=lib.bfloat16).t()[1:]
        assert (x.stride(), x.storage_offset()) == ((1, 6), 1)
