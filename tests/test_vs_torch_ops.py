"""Forward values, gradients and dtypes of the op library against PyTorch, op by op.

Each expression is written once and run through both libraries (fngrad and torch have the same
API). Skipped without PyTorch.
"""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

pytestmark = requires_torch

# Each case: expression of (lib, x, y) with x: (3, 4) and y: (4,) float64 leaves.
CASES = {
    "arith": lambda L, x, y: (x * y - x / (y.abs() + 1) + 2 - x ** 2).sum(),
    "unary_chain": lambda L, x, y: (x.exp().log1p().sqrt() + x.sin() * x.cos() + x.tanh().sigmoid()).sum(),
    "activations": lambda L, x, y: (x.relu() + x.abs() + x.clamp(-0.5, 0.5) + L.nn.functional.silu(x)).sum(),
    "max_min": lambda L, x, y: (L.maximum(x, y) - L.minimum(x, y * 2)).sum(),
    "where": lambda L, x, y: L.where(x > y, x * 2, y).sum(),
    "reductions": lambda L, x, y: x.mean() + x.var(1).sum() + x.std(0).sum() + x.prod(1).sum() + x.amax(0).sum(),
    "max_dim": lambda L, x, y: x.max(1).values.sum() + x.min(0).values.sum() + x.max(),
    "logsumexp_softmax": lambda L, x, y: x.logsumexp(1).sum() + (x.softmax(0) * y).sum() + x.log_softmax(1).sum(),
    "norms": lambda L, x, y: x.norm() + x.norm(1, dim=1).sum() + y.norm(3),
    "matmul": lambda L, x, y: (x @ y).sum() + (x.t() @ x).sum() + (x @ x.T @ x).sum(),
    "shapes": lambda L, x, y: (x.reshape(2, 6).t().flatten() * L.cat([y, y, y])).sum()
    + L.stack([x, x * 2], 2).sum(1).prod(),
    "split_chunk": lambda L, x, y: sum(p.sum() * (i + 1) for i, p in enumerate(x.split(3, 1)))
    + sum(c.prod() for c in x.chunk(2, 0)),
    "indexing": lambda L, x, y: x[1:, ::2].sum() + x[L.tensor([2, 0, 2])].sum() * 2 + x[x > 0].sum() + x[:, [3, 1]].prod(),
    "setitem": lambda L, x, y: _setitem(L, x, y),
    "inplace_view": lambda L, x, y: _inplace_view(L, x, y),
    "pow_scalar_base": lambda L, x, y: (2.0 ** x).sum() + (y.abs() + 1).pow(x).sum(),
    "expand_broadcast": lambda L, x, y: (x.unsqueeze(0).expand(2, 3, 4) * y).sum() + y.broadcast_to((3, 4)).sum(),
}


def _setitem(L, x, y):
    z = x * 1
    z[0] = y * 3
    z[:, 1] = 0.0
    z[z > 1] = 1.0
    return (z * z).sum()


def _inplace_view(L, x, y):
    z = x * 1
    z[1].mul_(y)
    z[:, 0].add_(5)
    z.clamp_(max=3)
    return (z * z).sum()


def run(lib, case, a, b):
    x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
    y = lib.tensor(b, dtype=lib.float64, requires_grad=True)
    out = CASES[case](lib, x, y)
    out.backward()
    grads = [None if g is None else g.numpy() for g in (x.grad, y.grad)]
    return out.item(), grads[0], grads[1]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("seed", [0, 1])
def test_values_and_gradients_match(case, seed):
    import torch

    rng = np.random.default_rng(seed)
    a = rng.uniform(-1.5, 1.5, (3, 4))
    b = rng.uniform(-1.5, 1.5, 4)
    ours, theirs = run(fngrad, case, a, b), run(torch, case, a, b)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9)
    for got, want in zip(ours[1:], theirs[1:]):
        assert (got is None) == (want is None)
        if got is not None:
            np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


DTYPES = ["float32", "float64", "int64", "bool"]
OTHERS = DTYPES + ["int", "float", "bool_scalar", "zero_dim_float64", "zero_dim_int64"]
PROMOTION_CASES = [(op, da, db) for op in ["add", "mul", "div", "maximum", "lt"] for da in DTYPES for db in OTHERS
                   # maximum takes two tensors in both libraries
                   if not (op == "maximum" and db in ("int", "float", "bool_scalar"))]


@pytest.mark.parametrize("op,da,db", PROMOTION_CASES)
def test_type_promotion_matches(op, da, db):
    import torch

    def operand(lib, kind, shape):
        if kind == "int":
            return 3
        if kind == "float":
            return 2.5
        if kind == "bool_scalar":
            return True
        if kind.startswith("zero_dim"):
            return lib.tensor(2, dtype=getattr(lib, kind[len("zero_dim_"):]))
        return lib.ones(shape, dtype=getattr(lib, kind))

    results = []
    for lib in (fngrad, torch):
        a, b = operand(lib, da, (2,)), operand(lib, db, (2,))
        fn = {"add": lambda: a + b, "mul": lambda: a * b, "div": lambda: a / b,
              "maximum": lambda: lib.maximum(a, b if isinstance(b, lib.Tensor) else lib.tensor(b)),
              "lt": lambda: a < b}[op]
        try:
            results.append(str(fn().dtype).split(".")[-1])
        except Exception as e:  # noqa: BLE001
            results.append(type(e).__name__)
    assert results[0] == results[1]


def test_op_errors_name_the_op():
    cases = [
        (lambda: fngrad.ones(2, 3) @ fngrad.ones(4, 5), r"\[matmul\] mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
        (lambda: fngrad.cat([fngrad.ones(2, 3), fngrad.ones(2, 4)], 0),
         r"\[cat\] Sizes of tensors must match except in dimension 0"),
        (lambda: fngrad.ones(2, 3).t().view(6), r"\[view\] view size is not compatible"),
        (lambda: fngrad.ones(2, 3).reshape(4, 2), r"\[reshape\] shape '\[4, 2\]' is invalid for input of size 6"),
        (lambda: fngrad.ones(2, 3).permute(0, 0), r"\[permute\] repeated dim"),
        (lambda: fngrad.ones(2, 3).sum(3), r"\[sum\] Dimension out of range"),
        (lambda: fngrad.ones(2) + fngrad.ones(3), r"\[add\] The size of tensor a \(2\) must match"),
        (lambda: fngrad.tensor([1, 2]).mean(), r"\[mean\] mean\(\): could not infer output dtype"),
        (lambda: fngrad.ones(3).expand(2, 4), r"\[expand\] The expanded size of the tensor \(4\) must match"),
        (lambda: fngrad.stack([fngrad.ones(2), fngrad.ones(3)]), r"\[stack\] stack expects each tensor to be equal size"),
    ]
    for fn, pattern in cases:
        with pytest.raises((RuntimeError, IndexError, ValueError, TypeError), match=pattern):
            fn()
