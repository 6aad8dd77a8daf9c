"""Shape ops, contractions, fngrad.linalg and the creation additions.

Against PyTorch's own yardstick (requires torch): every sample input of PyTorch's OpInfo database for
these ops, called the same way on fngrad, gives the same values, shapes and dtypes, and the same
gradients (through the sample's gauge-fixing output function, as OpInfo's gradcheck does). Without
PyTorch: NumPy references for what the op table (tests/op_table.py) cannot hold: integer results,
named tuples, several outputs, errors, creation functions.
"""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.autograd import gradcheck, gradgradcheck

L = fngrad.linalg

# PyTorch OpInfo names (torch.testing._internal.common_methods_invocations.op_db) fngrad implements here.
OPINFO_NAMES = [
    "flip", "fliplr", "flipud", "roll", "rot90", "repeat", "repeat_interleave", "tile", "tril", "triu", "diag",
    "diag_embed", "diagonal", "trace", "movedim", "narrow", "select", "unflatten", "ravel", "view_as", "expand_as",
    "reshape_as", "atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "dstack", "column_stack",
    "split", "tensor_split", "hsplit", "vsplit", "dsplit", "meshgrid", "cartesian_prod", "block_diag", "cdist",
    "einsum", "tensordot", "kron", "inner", "outer", "cross", "linalg.cross", "addmm", "addmv", "addbmm",
    "baddbmm", "addr", "linalg.multi_dot", "vdot", "linalg.vecdot", "linalg.diagonal", "linalg.norm",
    "linalg.vector_norm", "linalg.matrix_norm", "linalg.inv", "linalg.det", "linalg.slogdet", "linalg.solve",
    "linalg.cholesky", "linalg.qr", "linalg.eigh", "linalg.eigvalsh", "linalg.svd", "linalg.svdvals",
    "linalg.pinv", "linalg.lstsq", "linalg.matrix_power", "linalg.matrix_rank", "linalg.cond", "logdet",
    "cholesky", "cholesky_solve", "cholesky_inverse", "pinverse", "matrix_exp", "svd", "qr",
    "linalg.solve_triangular", "linalg.tensorinv", "linalg.tensorsolve", "linalg.vander", "diagflat",
]
SAMPLES_PER_OP = 24  # the first samples of each OpInfo entry (cdist alone has 256): the suite stays fast


def _rebind(fn, torch, lib):
    """``fn`` (a lambda of an OpInfo entry or sample) with the global ``torch`` standing for ``lib``."""
    if not isinstance(fn, types.FunctionType):
        return fn
    cells = fn.__closure__
    if cells:
        cells = tuple(types.CellType(_rebind(c.cell_contents, torch, lib)) for c in cells)
    return types.FunctionType(fn.__code__, {**fn.__globals__, "torch": lib}, None, fn.__defaults__, cells)


def _resolve(name):
    obj = fngrad
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return getattr(fngrad.Tensor, name)
    return obj


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [x for o in out for x in _flat(o)]
    return [out]


@requires_torch
@pytest.mark.parametrize("name", OPINFO_NAMES)
def test_opinfo_samples_match_pytorch(name):
    import torch
    from torch.testing._internal.common_methods_invocations import op_db

    dtypes = {torch.float64: fngrad.float64, torch.float32: fngrad.float32, torch.int64: fngrad.int64,
              torch.bool: fngrad.bool}

    def to_fngrad(v):
        if isinstance(v, torch.Tensor):
            t = fngrad.tensor(v.detach().numpy().copy(), dtype=dtypes[v.dtype])
            return t.requires_grad_() if v.requires_grad else t
        if isinstance(v, (list, tuple)):
            return type(v)(to_fngrad(e) for e in v)
        if isinstance(v, dict):
            return {k: to_fngrad(e) for k, e in v.items()}
        if isinstance(v, torch.dtype):
            return dtypes[v]
        return v

    entries = [o for o in op_db if o.name == name]
    assert entries, f"{name} is not in PyTorch's OpInfo database"
    checked = 0
    for entry in entries:
        fn = _resolve(name)
        if getattr(entry.op, "__name__", "") == "<lambda>":
            fn = _rebind(entry.op, torch, fngrad)
        if name == "einsum":  # the entry's op takes (tensors, equation)
            fn = lambda tensors, equation: fngrad.einsum(equation, tensors)  # noqa: E731
        samples = entry.sample_inputs("cpu", torch.float64, requires_grad=entry.supports_autograd)
        for i, s in enumerate(samples):
            if i == SAMPLES_PER_OP:
                break
            args_t = (s.input,) + tuple(s.args)
            args_f, kwargs_f = to_fngrad(args_t), to_fngrad(s.kwargs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out_t = entry.op(*args_t, **s.kwargs)
                out_f = fn(*args_f, **kwargs_f)
            where = f"{name}[{entry.variant_test_name}] sample {i}: {s}"
            flat_t, flat_f = _flat(out_t), _flat(out_f)
            assert len(flat_t) == len(flat_f), where
            for a, b in zip(flat_t, flat_f):
                if isinstance(a, torch.Tensor):
                    assert tuple(a.shape) == tuple(b.shape), where
                    assert a.detach().numpy().dtype == b.detach().numpy().dtype, where
            # Values and gradients through the sample's output function (sign-free for svd, eigh).
            process = s.output_process_fn_grad
            got_t, got_f = _flat(process(out_t)), _flat(_rebind(process, torch, fngrad)(out_f))
            pairs = [(a, b) for a, b in zip(got_t, got_f) if isinstance(a, torch.Tensor)]
            for a, b in pairs:
                np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-7, atol=1e-7,
                                           err_msg=where)
            leaves_t = [t for t in _flat(args_t) + _flat(list(s.kwargs.values()))
                        if isinstance(t, torch.Tensor) and t.requires_grad]
            leaves_f = [t for t in _flat(args_f) + _flat(list(kwargs_f.values()))
                        if isinstance(t, fngrad.Tensor) and t.requires_grad]
            diff = [(a, b) for a, b in pairs if a.requires_grad]
            if leaves_t and diff:
                rng = np.random.default_rng(i)
                weights = [rng.standard_normal(tuple(a.shape)) for a, _ in diff]
                loss_t = sum((a * torch.tensor(w)).sum() for (a, _), w in zip(diff, weights))
                loss_f = sum((b * fngrad.tensor(w, dtype=fngrad.float64)).sum() for (_, b), w in zip(diff, weights))
                grads_t = torch.autograd.grad(loss_t, leaves_t, allow_unused=True)
                grads_f = fngrad.autograd.grad(loss_f, leaves_f, allow_unused=True)
                for gt, gf in zip(grads_t, grads_f):
                    if gt is None:
                        continue
                    gf = np.zeros(gt.shape) if gf is None else gf.numpy()
                    np.testing.assert_allclose(gf, gt.numpy(), rtol=1e-6, atol=1e-6, err_msg="gradient: " + where)
            checked += 1
    assert checked > 0


@requires_torch
@pytest.mark.parametrize("expr", [
    "torch.arange(end=5)", "torch.arange(start=1, end=4)", "torch.arange(0., 1., 0.25)", "torch.arange(5, 0, -2)",
    "torch.logspace(0, 2, 3)", "torch.logspace(0, 2, steps=3, base=2.0, dtype=torch.float64)",
    "torch.logspace(0, 3, 4, dtype=torch.int64)", "torch.zeros(size=(2, 3))", "torch.ones(size=[2])",
    "torch.empty(size=(2, 3)).shape", "torch.zeros_like(input=x, dtype=torch.int64)", "torch.full((2,), True)",
    "torch.full((2,), 3)", "torch.full_like(x, 7)", "x.new_empty(2, 3).shape", "x.new_empty((2,)).dtype",
    "x.new_zeros(size=(2,))", "x.new_ones(2, dtype=torch.int64)", "torch.scalar_tensor(3)",
    "torch.scalar_tensor(2, dtype=torch.float64)", "torch.range(0, 3)", "torch.range(1, 2, 0.5)",
    "torch.tril_indices(3, 4, 1)", "torch.triu_indices(4, 3, -1)", "torch.eye(n=2, m=3)",
    "torch.repeat_interleave(torch.tensor([1, 0, 3]))", "torch.linalg.matrix_rank(torch.ones(3, 4))",
])
def test_creation_and_integer_results_match_pytorch(expr):
    import torch

    def run(lib):
        x = lib.ones(2, 3, dtype=lib.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return eval(expr, {"torch": lib, "x": x})

    t, f = run(torch), run(fngrad)
    if isinstance(t, torch.Tensor):
        assert str(f.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(f.numpy(), t.numpy())
    elif isinstance(t, torch.dtype):
        assert str(f).split(".")[-1] == str(t).split(".")[-1]
    else:
        assert tuple(f) == tuple(t)


# ------------------------------------------------------------------------------------------------
# Without PyTorch: NumPy references
# ------------------------------------------------------------------------------------------------
def test_integer_results_against_numpy():
    np.testing.assert_array_equal(fngrad.tril_indices(3, 4, 1).numpy(), np.stack(np.tril_indices(3, 1, 4)))
    np.testing.assert_array_equal(fngrad.triu_indices(4, 3, -1).numpy(), np.stack(np.triu_indices(4, -1, 3)))
    assert fngrad.tril_indices(3, 3).dtype == fngrad.int64
    np.testing.assert_array_equal(fngrad.repeat_interleave(fngrad.tensor([2, 0, 1])).numpy(), [0, 0, 2])
    a = np.random.default_rng(0).standard_normal((2, 4, 3))
    a[1, :, 2] = a[1, :, 0] + a[1, :, 1]  # rank 2
    rank = L.matrix_rank(fngrad.from_numpy(a))
    assert rank.dtype == fngrad.int64 and rank.tolist() == [3, 2]
    assert fngrad.trace(fngrad.arange(9).view(3, 3)).item() == 12
    assert fngrad.flip(fngrad.arange(3), [0]).tolist() == [2, 1, 0]


def test_named_tuples_and_their_fields():
    a = fngrad.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=fngrad.float64)
    sign, logabsdet = L.slogdet(-a)
    assert type(L.slogdet(a)).__name__ == "linalg_slogdet" and sign.item() == 1.0
    assert type(fngrad.slogdet(a)).__name__ == "slogdet"
    np.testing.assert_allclose(logabsdet.item(), np.log(5.0))
    eig = L.eigh(a)
    np.testing.assert_allclose(eig.eigenvalues.numpy(), np.linalg.eigvalsh(a.numpy()))
    assert type(L.qr(a)).__name__ == "linalg_qr" and L.qr(a).R.shape == (2, 2)
    svd = L.svd(a)
    assert type(svd).__name__ == "linalg_svd" and set(svd._fields) == {"U", "S", "Vh"}
    assert fngrad.svd(a).V.shape == (2, 2) and fngrad.return_types.linalg_lstsq._fields == (
        "solution", "residuals", "rank", "singular_values")


def test_full_svd_and_complete_qr_are_orthogonal_factorisations():
    a = np.random.default_rng(1).standard_normal((5, 3))
    U, S, Vh = L.svd(fngrad.from_numpy(a))
    assert U.shape == (5, 5) and S.shape == (3,) and Vh.shape == (3, 3)
    np.testing.assert_allclose(U.numpy().T @ U.numpy(), np.eye(5), atol=1e-12)
    np.testing.assert_allclose(U.numpy()[:, :3] * S.numpy() @ Vh.numpy(), a, atol=1e-12)
    Q, R = L.qr(fngrad.from_numpy(a), mode="complete")
    assert Q.shape == (5, 5) and R.shape == (5, 3)
    np.testing.assert_allclose(Q.numpy() @ R.numpy(), a, atol=1e-12)
    assert L.qr(fngrad.from_numpy(a), mode="r").Q.shape == (0,)


def test_lstsq_fields_follow_the_driver():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    x, residuals, rank, sv = np.linalg.lstsq(a, b, rcond=None)
    out = L.lstsq(fngrad.from_numpy(a), fngrad.from_numpy(b), driver="gelsd")
    np.testing.assert_allclose(out.solution.numpy(), x, atol=1e-12)
    np.testing.assert_allclose(out.residuals.numpy(), residuals, atol=1e-12)
    np.testing.assert_allclose(out.singular_values.numpy(), sv, atol=1e-12)
    assert out.rank.item() == rank
    default = L.lstsq(fngrad.from_numpy(a), fngrad.from_numpy(b))
    assert default.residuals.shape == (0,) and default.singular_values.shape == (0,) and default.rank.item() == 3


def test_linalg_errors():
    assert issubclass(L.LinAlgError, RuntimeError)
    with pytest.raises(L.LinAlgError, match=r"linalg.inv: The diagonal element 2 is zero"):
        L.inv(fngrad.tensor([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(L.LinAlgError, match=r"leading minor of order 2 is not positive-definite"):
        L.cholesky(fngrad.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(RuntimeError, match=r"linalg.det: A must be batches of square matrices"):
        L.det(fngrad.ones(2, 3))
    x = fngrad.ones(2, 2, requires_grad=True)
    with pytest.raises(L.LinAlgError):
        L.inv(x * 0)
    (L.inv(x + fngrad.eye(2)) ** 2).sum().backward()  # the failure left the graph usable
    assert x.grad.shape == (2, 2)


def test_einsum_forms_agree_with_numpy():
    rng = np.random.default_rng(3)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4,))
    ta, tb = fngrad.from_numpy(a), fngrad.from_numpy(b)
    for eq, ops in [("ij,jk->ik", (a, b)), ("ij,jk", (a, b)), ("ij,jk,k->i", (a, b, c)), ("ij->", (a,)),
                    ("ji", (a,)), ("ij,jk->kij", (a, b)), ("ik,k", (b, c))]:
        got = fngrad.einsum(eq, *[fngrad.from_numpy(x) for x in ops])
        np.testing.assert_allclose(got.numpy(), np.einsum(eq, *ops), atol=1e-12, err_msg=eq)
    np.testing.assert_allclose(fngrad.einsum(ta, [0, 1], tb, [1, 2]).numpy(), a @ b, atol=1e-12)
    d = b[:, :2]  # (3, 2): its ellipsis dim broadcasts with a's
    np.testing.assert_allclose(fngrad.einsum(ta, [..., 1], fngrad.from_numpy(d), [1, ...]).numpy(),
                               np.einsum(a, [Ellipsis, 1], d, [1, Ellipsis]), atol=1e-12)


def test_einsum_gradients_for_repeated_and_lonely_subscripts():
    # 'iij,k->j': a diagonal of the first operand and a second one summed away entirely.
    rng = np.random.default_rng(4)
    a = fngrad.tensor(rng.standard_normal((3, 3, 2)), dtype=fngrad.float64, requires_grad=True)
    b = fngrad.tensor(rng.standard_normal(4), dtype=fngrad.float64, requires_grad=True)
    fn = lambda a, b: fngrad.einsum("iij,k->j", a, b)  # noqa: E731
    assert gradcheck(fn, (a, b)) and gradgradcheck(fn, (a, b))
    fn(a, b).sum().backward()
    expected = np.zeros((3, 3, 2))
    expected[np.arange(3), np.arange(3), :] = b.detach().numpy().sum()
    np.testing.assert_allclose(a.grad.numpy(), expected, atol=1e-12)


def test_meshgrid_warns_without_indexing_and_atleast_returns_like_pytorch():
    with pytest.warns(UserWarning, match="indexing"):
        grids = fngrad.meshgrid(fngrad.ones(2), fngrad.ones(3))
    assert [tuple(g.shape) for g in grids] == [(2, 3), (2, 3)]
    assert isinstance(fngrad.atleast_2d(fngrad.ones(3)), fngrad.Tensor)
    assert isinstance(fngrad.atleast_2d([fngrad.ones(3)]), tuple)
    assert isinstance(fngrad.atleast_1d(fngrad.ones(3), fngrad.ones(2)), tuple)


def test_in_place_forms_record_the_graph():
    x = fngrad.tensor(np.arange(1.0, 13.0).reshape(3, 4), requires_grad=True)
    y = x * 1
    y.triu_(1)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.triu(np.ones((3, 4)), 1))
    m = fngrad.zeros(2, 2, dtype=fngrad.float64)
    m.addmm_(fngrad.eye(2, dtype=fngrad.float64), 2 * fngrad.eye(2, dtype=fngrad.float64), alpha=3)
    np.testing.assert_array_equal(m.numpy(), 6 * np.eye(2))


def test_creation_additions_against_numpy():
    np.testing.assert_allclose(fngrad.logspace(0, 2, 5, base=3).numpy(), np.logspace(0, 2, 5, base=3, dtype=np.float32))
    assert fngrad.arange(end=4).tolist() == [0, 1, 2, 3] and fngrad.arange(end=4).dtype == fngrad.int64
    assert fngrad.zeros(size=(2, 3)).shape == (2, 3) and fngrad.ones(size=[2]).tolist() == [1.0, 1.0]
    x = fngrad.ones(2, dtype=fngrad.float64)
    assert x.new_empty(3).dtype == fngrad.float64 and x.new_zeros(size=(1, 2)).shape == (1, 2)
    assert fngrad.scalar_tensor(3).dim() == 0 and fngrad.scalar_tensor(3).dtype == fngrad.float32
    with pytest.warns(UserWarning, match="deprecated"):
        assert fngrad.range(1, 2, 0.5).tolist() == [1.0, 1.5, 2.0]


def test_det_gradient_of_a_singular_matrix_is_its_cofactor_matrix():
    # d det(A)/dA = cof(A), which a rank-2 matrix still has (A^-1 does not exist: the SVD path).
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]])
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(3)]
                    for i in range(3)])
    x = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    L.det(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), cof, atol=1e-12)
    assert gradcheck(L.det, (fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True),))


def test_deprecated_spellings_warn_as_in_pytorch():
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        np.testing.assert_array_equal(fngrad.chain_matmul(fngrad.eye(2), fngrad.ones(2, 1)).numpy(), np.ones((2, 1)))
    with pytest.warns(UserWarning, match="without specifying the dim"):
        assert fngrad.cross(fngrad.eye(3)[0], fngrad.eye(3)[1]).tolist() == [0.0, 0.0, 1.0]
