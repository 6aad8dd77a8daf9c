"""Index, sorting, scan, search and float-class ops (_indexing_ops.py, _sorting.py, _scan.py,
_search.py, _classify.py).

The yardstick is PyTorch's OpInfo database: the sample inputs `op_db` has for these ops (in float64
with requires_grad; int64 where the op takes integers; at most MAX_SAMPLES per entry, spread over
all of them) are called through fngrad with the same arguments, function and method, and the
results (values, indices, named tuples, dtypes) and the gradients of every differentiable output
must equal PyTorch's. Samples with int32 or uint8 index tensors (which this file does not convert)
are skipped and counted: each op must run at least 40% of its samples. Then index/tuple results are checked
against NumPy, gradients against finite differences and PyTorch (double backward), and the in-place forms.
"""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.autograd import gradcheck, gradgradcheck

OPINFO_OPS = [
    "gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add", "index_copy", "index_fill",
    "masked_scatter", "take_along_dim", "put", "take",
    "sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode",
    "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp",
    "nonzero", "argwhere", "unique", "unique_consecutive", "bincount", "histc", "searchsorted", "bucketize",
    "count_nonzero",
    "isnan", "isinf", "isposinf", "isneginf", "isfinite", "isreal", "nan_to_num", "signbit",
]


MAX_SAMPLES = 48  # per OpInfo entry


@pytest.fixture(scope="module")
def op_db():
    from torch.testing._internal.common_methods_invocations import op_db

    return op_db


class Unsupported(Exception):
    """A sample argument fngrad has no counterpart for (a dtype it lacks)."""


def _to_fngrad(value):
    import torch

    if isinstance(value, torch.Tensor):
        dtypes = {torch.float64: fngrad.float64, torch.float32: fngrad.float32, torch.int64: fngrad.int64,
                  torch.bool: fngrad.bool}
        if value.dtype not in dtypes:
            raise Unsupported(str(value.dtype))
        out = fngrad.tensor(value.detach().numpy(), dtype=dtypes[value.dtype])
        if value.requires_grad:
            out.requires_grad_(True)
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_to_fngrad(v) for v in value)
    if isinstance(value, torch.dtype):
        return {torch.float64: fngrad.float64, torch.float32: fngrad.float32, torch.int64: fngrad.int64}[value]
    return value


def _flatten(out):
    return list(out) if isinstance(out, tuple) else [out]


def _leaves(value):
    import torch

    if isinstance(value, torch.Tensor):
        return [value] if value.requires_grad else []
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _leaves(v)]
    return []


def _compare_outputs(name, got, expected, msg):
    import torch

    got_list, exp_list = _flatten(got), _flatten(expected)
    assert len(got_list) == len(exp_list), msg
    if isinstance(expected, tuple) and hasattr(expected, "_fields") and not isinstance(expected, torch.Tensor):
        assert type(got).__name__ == type(expected).__name__, msg
        assert tuple(got._fields) == tuple(expected._fields), msg
    for g, e in zip(got_list, exp_list):
        if not isinstance(e, torch.Tensor):
            assert g == e, msg
            continue
        assert isinstance(g, fngrad.Tensor), msg
        assert tuple(g.shape) == tuple(e.shape), msg
        assert str(g.dtype).split(".")[-1] == str(e.dtype).split(".")[-1], msg
        np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(), rtol=1e-10, atol=1e-12, equal_nan=True,
                                   err_msg=msg)


def _run_sample(op, sample, variant):
    """The sample through PyTorch and through fngrad (``variant``: 'function' or 'method'); compares the
    results and the gradients of every differentiable output. Raises Unsupported to skip."""
    import torch

    name = op.name
    t_args = (sample.input, *sample.args)
    f_args = _to_fngrad(t_args)
    f_kwargs = {k: _to_fngrad(v) for k, v in sample.kwargs.items()}
    if variant == "method":
        expected = getattr(t_args[0], name)(*t_args[1:], **sample.kwargs)
        got = getattr(f_args[0], name)(*f_args[1:], **f_kwargs)
    else:
        expected = getattr(torch, name)(*t_args, **sample.kwargs)
        got = getattr(fngrad, name)(*f_args, **f_kwargs)
    msg = f"{name} ({variant}) on {sample}"
    _compare_outputs(name, got, expected, msg)
    t_leaves, f_leaves = _leaves(t_args) + _leaves(list(sample.kwargs.values())), \
        [t for t in _f_leaves(f_args) + _f_leaves(list(f_kwargs.values()))]
    t_outs = [o for o in _flatten(expected) if isinstance(o, torch.Tensor) and o.requires_grad]
    f_outs = [o for o in _flatten(got) if isinstance(o, fngrad.Tensor) and o.requires_grad]
    assert len(t_outs) == len(f_outs), msg
    if not t_outs or not t_leaves:
        return
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(tuple(o.shape)) for o in t_outs]
    t_loss = sum((o * torch.from_numpy(w)).sum() for o, w in zip(t_outs, weights))
    f_loss = sum((o * fngrad.from_numpy(w)).sum() for o, w in zip(f_outs, weights))
    t_grads = torch.autograd.grad(t_loss, t_leaves, allow_unused=True)
    f_grads = fngrad.autograd.grad(f_loss, f_leaves, allow_unused=True)
    for tg, fg in zip(t_grads, f_grads):
        if tg is None:
            assert fg is None or not np.any(fg.numpy()), msg
            continue
        np.testing.assert_allclose(fg.numpy(), tg.numpy(), rtol=1e-9, atol=1e-12, err_msg="gradient of " + msg)


def _f_leaves(value):
    if isinstance(value, fngrad.Tensor):
        return [value] if value.requires_grad else []
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _f_leaves(v)]
    return []


@requires_torch
@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's own, e.g. searchsorted on non-contiguous samples
@pytest.mark.parametrize("name", OPINFO_OPS)
def test_opinfo_samples_match_pytorch(op_db, name):
    import torch

    infos = [o for o in op_db if o.name == name]
    assert infos, name
    ran = skipped = 0
    for op in infos:
        dtype = torch.float64 if torch.float64 in op.supported_dtypes("cpu") else torch.int64
        samples = list(op.sample_inputs("cpu", dtype, requires_grad=op.supports_autograd and dtype.is_floating_point))
        # unique, searchsorted and others have hundreds of samples (every combination of their flags):
        # every step-th one, an odd step, so the cycles of two-valued flags are all visited.
        step = -(-len(samples) // MAX_SAMPLES)
        samples = samples[::step + (step > 1 and step % 2 == 0)]
        variants = ["function"] + (["method"] if op.method_variant is not None else [])
        for sample in samples:
            for variant in variants:
                try:
                    _run_sample(op, sample, variant)
                    ran += 1
                except Unsupported:
                    skipped += 1
    assert ran > 0 and ran >= 0.4 * (ran + skipped), f"{name}: ran {ran} samples, skipped {skipped}"


# ----------------------------------------------------------------------------------------------------
# Index and tuple results against NumPy
# ----------------------------------------------------------------------------------------------------

def test_sort_is_stable_both_ways_and_puts_nan_last_ascending():
    a = np.array([2.0, 1.0, np.nan, 1.0, 2.0, 0.5])
    x = fngrad.tensor(a, dtype=fngrad.float64)
    up = fngrad.sort(x, stable=True)
    assert type(up) is fngrad.return_types.sort and up._fields == ("values", "indices")
    assert up.indices.tolist() == np.argsort(a, kind="stable").tolist() == [5, 1, 3, 0, 4, 2]
    down = x.sort(descending=True)
    # NaN first, then equal values in their original order.
    assert down.indices.tolist() == [2, 0, 4, 1, 3, 5]
    assert down.indices.dtype == fngrad.int64
    assert x.argsort(descending=True).tolist() == [2, 0, 4, 1, 3, 5]


def test_topk_kthvalue_median_mode_against_numpy():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 7))
    x = fngrad.from_numpy(a)
    top = x.topk(3, dim=1)
    np.testing.assert_array_equal(top.indices.numpy(), np.argsort(-a, 1)[:, :3])
    low = x.topk(2, dim=0, largest=False)
    np.testing.assert_array_equal(low.values.numpy(), np.sort(a, 0)[:2])
    kth = x.kthvalue(4, 1, keepdim=True)
    np.testing.assert_array_equal(kth.indices.numpy(), np.argsort(a, 1)[:, 3:4])
    assert x[:, :6].median().item() == np.sort(a[:, :6].reshape(-1))[11]  # lower median of 24 values
    med = x[:, :6].median(1)
    np.testing.assert_array_equal(med.indices.numpy(), np.argsort(a[:, :6], 1)[:, 2])
    m = fngrad.tensor([[1.0, 3.0, 3.0, 1.0, 2.0], [5.0, 5.0, 4.0, 4.0, 5.0]]).mode(1)
    assert m.values.tolist() == [1.0, 5.0] and m.indices.tolist() == [3, 4]


def test_median_and_nanmedian_with_nan():
    x = fngrad.tensor([[1.0, np.nan, 0.0, 4.0], [np.nan, np.nan, np.nan, np.nan]])
    med = x.median(1)
    assert np.isnan(med.values.numpy()).all() and med.indices.tolist() == [1, 0]
    nan = x.nanmedian(1)
    assert nan.values[0].item() == 1.0 and nan.indices[0].item() == 0 and np.isnan(nan.values[1].item())
    assert fngrad.nanmedian(x).item() == 1.0 and np.isnan(fngrad.median(x).item())


def test_cummax_cummin_indices_take_the_latest_tie():
    a = np.array([1.0, 3.0, 3.0, 2.0, 5.0, 0.0])
    mx = fngrad.tensor(a).cummax(0)
    np.testing.assert_array_equal(mx.values.numpy(), np.maximum.accumulate(a))
    assert mx.indices.tolist() == [0, 1, 2, 2, 4, 4]
    assert fngrad.cummin(fngrad.tensor(a), 0).indices.tolist() == [0, 0, 0, 0, 0, 5]


def test_unique_nonzero_and_counts_against_numpy():
    a = np.array([[3.0, 1.0, 0.0], [1.0, 3.0, 3.0]])
    x = fngrad.from_numpy(a)
    values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    ev, ei, ec = np.unique(a, return_inverse=True, return_counts=True)
    assert values.tolist() == ev.tolist() and counts.tolist() == ec.tolist()
    assert inverse.tolist() == ei.reshape(a.shape).tolist()
    rows, inv = fngrad.unique(fngrad.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]]), dim=0, return_inverse=True)
    assert rows.tolist() == [[0.0, 1.0], [1.0, 2.0]] and inv.tolist() == [1, 1, 0]
    assert [t.tolist() for t in x.nonzero(as_tuple=True)] == [i.tolist() for i in np.nonzero(a)]
    assert x.nonzero().tolist() == np.argwhere(a).tolist()
    assert x.count_nonzero().item() == 5 and x.count_nonzero(dim=(0, 1)).item() == 5
    v, i, c = fngrad.unique_consecutive(fngrad.tensor([1, 1, 2, 2, 1]), return_inverse=True, return_counts=True)
    assert (v.tolist(), i.tolist(), c.tolist()) == ([1, 2, 1], [0, 0, 1, 1, 2], [2, 2, 1])


def test_search_and_counting_against_numpy():
    rng = np.random.default_rng(2)
    seq = np.sort(rng.standard_normal((3, 6)), 1)
    vals = rng.standard_normal((3, 4))
    got = fngrad.searchsorted(fngrad.from_numpy(seq), fngrad.from_numpy(vals), side="right")
    assert got.dtype == fngrad.int64
    np.testing.assert_array_equal(got.numpy(), [np.searchsorted(s, v, "right") for s, v in zip(seq, vals)])
    perm = rng.permutation(6)
    unsorted = seq[0][perm]
    sorter = np.argsort(unsorted)
    got = fngrad.searchsorted(fngrad.from_numpy(unsorted), fngrad.from_numpy(vals[0]), sorter=fngrad.from_numpy(sorter))
    np.testing.assert_array_equal(got.numpy(), np.searchsorted(unsorted, vals[0], sorter=sorter))
    assert fngrad.searchsorted(fngrad.tensor([1.0, 2.0, 3.0]), 2.0).tolist() == 1
    assert fngrad.bucketize(fngrad.tensor([1.0, 2.5]), fngrad.tensor([1.0, 2.0, 3.0]), right=True).tolist() == [1, 2]
    idx = rng.integers(0, 6, 50)
    assert fngrad.from_numpy(idx).bincount(minlength=9).tolist() == np.bincount(idx, minlength=9).tolist()
    h = fngrad.histc(fngrad.from_numpy(vals), bins=4)
    np.testing.assert_array_equal(h.numpy(), np.histogram(vals, 4, (vals.min(), vals.max()))[0])


def test_float_classes_and_nan_to_num_gradient():
    a = np.array([1.0, -np.inf, np.inf, np.nan, -0.0, -2.0])
    x = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    for name, ref in [("isnan", np.isnan), ("isinf", np.isinf), ("isposinf", np.isposinf),
                      ("isneginf", np.isneginf), ("isfinite", np.isfinite), ("signbit", np.signbit)]:
        out = getattr(x, name)()
        assert out.dtype == fngrad.bool and out.tolist() == ref(a).tolist(), name
    y = fngrad.nan_to_num(x, nan=7.0, neginf=-9.0)
    assert y.tolist() == [1.0, -9.0, np.finfo(np.float64).max, 7.0, -0.0, -2.0]
    (y * fngrad.arange(6, dtype=fngrad.float64)).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0, 4.0, 5.0]  # only where the input is finite
    assert fngrad.tensor([1, 2]).isnan().tolist() == [False, False]


# ----------------------------------------------------------------------------------------------------
# Gradients beyond the op table: zeros in cumprod, repeats, double backward against PyTorch
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 0.5], [0.0, 1.5, 0.0, 2.0], [1.5, 2.0, 0.5, 0.0]])
def test_cumprod_gradients_with_zeros(values):
    x = fngrad.tensor(values, dtype=fngrad.float64, requires_grad=True)
    a = np.array(values)

    def f(v):
        return (np.cumprod(v) * np.arange(1, 5)).sum()

    (fngrad.cumprod(x, 0) * fngrad.arange(1, 5, dtype=fngrad.float64)).sum().backward()
    eps = 1e-6
    numeric = [(f(a + eps * e) - f(a - eps * e)) / (2 * eps) for e in np.eye(4)]
    np.testing.assert_allclose(x.grad.numpy(), numeric, rtol=1e-7, atol=1e-8)
    assert gradcheck(lambda t: t.cumprod(0), (x,))
    assert gradgradcheck(lambda t: t.cumprod(0), (x,))


def test_logcumsumexp_does_not_overflow():
    a = np.array([1000.0, 999.0, -1000.0, 1001.0])
    x = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    y = x.logcumsumexp(0)
    np.testing.assert_allclose(y.detach().numpy(), np.logaddexp.accumulate(a), rtol=1e-14)
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    assert gradcheck(lambda t: t.logcumsumexp(0), (fngrad.tensor(a / 400, dtype=fngrad.float64, requires_grad=True),))


@pytest.mark.parametrize("case", ["gather", "scatter_add", "index_select", "index_add", "sort", "cumsum",
                                  "scatter_reduce_amax", "scatter_reduce_prod", "masked_scatter", "put"])
@requires_torch
def test_double_backward_matches_pytorch(case):
    import torch

    rng = np.random.default_rng(3)
    a, s = rng.uniform(0.5, 1.5, (3, 4)), rng.uniform(0.5, 1.5, (2, 4))
    idx = np.array([[0, 2, 0, 1], [0, 1, 0, 1]])
    fns = {
        "gather": lambda L, x, s: (x.gather(0, L.tensor(idx)) ** 2 * s).sum(),
        "scatter_add": lambda L, x, s: (x.scatter_add(0, L.tensor(idx), s ** 3) ** 2).sum(),
        "index_select": lambda L, x, s: (x.index_select(1, L.tensor([3, 3, 0])) ** 3).sum() * s.sum(),
        "index_add": lambda L, x, s: (x.index_add(0, L.tensor([2, 2]), s * s, alpha=-2) ** 2).sum(),
        "sort": lambda L, x, s: (x.sort(1, descending=True).values ** 3 * L.arange(4.0, dtype=x.dtype)).sum()
        + (s.sort(0).values[0] ** 3).sum(),
        "cumsum": lambda L, x, s: (x.cumsum(0) ** 3).sum() + (s.cumprod(1) ** 2).sum(),
        "scatter_reduce_amax": lambda L, x, s: (x.scatter_reduce(0, L.tensor(idx), s * s, "amax") ** 2).sum(),
        "scatter_reduce_prod": lambda L, x, s: (x.scatter_reduce(0, L.tensor(idx), s, "prod",
                                                                include_self=False) ** 2).sum(),
        "masked_scatter": lambda L, x, s: (x.masked_scatter(x > 1, s.reshape(-1).repeat(2) if L is torch else
                                                            L.cat([s.reshape(-1), s.reshape(-1)])) ** 3).sum(),
        "put": lambda L, x, s: (x.put(L.tensor([0, 5, 0]), s[0, :3] ** 2, accumulate=True) ** 2).sum(),
    }
    results = []
    for L, make in ((torch, lambda v: torch.tensor(v, requires_grad=True)),
                    (fngrad, lambda v: fngrad.tensor(v, dtype=fngrad.float64, requires_grad=True))):
        x, src = make(a), make(s)
        gx, gs = L.autograd.grad(fns[case](L, x, src), (x, src), create_graph=True)
        ggx, ggs = L.autograd.grad((gx * gx).sum() + (gs ** 3).sum(), (x, src), allow_unused=True)
        results.append([t.detach().numpy() if t is not None else np.zeros_like(v) for t, v in
                        ((gx, a), (gs, s), (ggx, a), (ggs, s))])
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_in_place_forms_write_the_out_of_place_result():
    rng = np.random.default_rng(4)
    a, s = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    idx = fngrad.tensor([[0, 2, 0, 1], [0, 1, 0, 1]])
    src = fngrad.from_numpy(s)
    # name -> (the arguments after self, keyword arguments)
    calls = {
        "scatter": ((0, idx, src), {}),
        "scatter_add": ((0, idx, src), {}),
        "scatter_reduce": ((0, idx, src, "amin"), {"include_self": False}),
        "index_add": ((0, fngrad.tensor([1, 1]), src), {"alpha": 3}),
        "index_copy": ((0, fngrad.tensor([2, 0]), src), {}),
        "index_fill": ((1, fngrad.tensor([3]), 2.5), {}),
        "masked_scatter": ((fngrad.from_numpy(a > 0), fngrad.from_numpy(a)), {}),
        "put": ((fngrad.tensor([7]), fngrad.tensor([1.5], dtype=fngrad.float64)), {}),
        "cumsum": ((1,), {}),
        "cumprod": ((0,), {}),
        "nan_to_num": ((), {"nan": 0.0}),
    }
    for name, (args, kwargs) in calls.items():
        expected = getattr(fngrad.from_numpy(a), name)(*args, **kwargs)
        x = fngrad.tensor(a, dtype=fngrad.float64)
        version = x._version
        out = getattr(x, name + "_")(*args, **kwargs)
        assert out is x and x._version > version, name
        np.testing.assert_array_equal(x.numpy(), expected.numpy(), err_msg=name)
    leaf = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.index_fill_(1, fngrad.tensor([0]), 1.0)
    # On a non-leaf, the in-place form is differentiable: the gradient skips the overwritten slice.
    y = leaf * 2
    y.index_fill_(1, fngrad.tensor([0]), 1.0)
    y.sum().backward()
    assert leaf.grad.numpy()[:, 0].tolist() == [0.0] * 3 and (leaf.grad.numpy()[:, 1:] == 2).all()


def test_global_median_shares_the_gradient_among_ties():
    # PyTorch's evenly_distribute_backward: every element equal to the median (every NaN) gets a share.
    for values, ignore_nan, expected in [([1.0, 2.0, 2.0, 3.0], False, [0, 0.5, 0.5, 0]),
                                         ([1.0, 2.0, np.nan, 3.0, np.nan], False, [0, 0, 0.5, 0, 0.5]),
                                         ([2.0, 2.0, 3.0, 2.0, np.nan], True, [1 / 3, 1 / 3, 0, 1 / 3, 0])]:
        x = fngrad.tensor(values, dtype=fngrad.float64, requires_grad=True)
        (x.nanmedian() if ignore_nan else x.median()).backward()
        assert x.grad.tolist() == pytest.approx(expected)
    # Double backward through the shared gradient: d/dx of sum(d(m^2)/dx) = 2 * share * share-mask.
    x = fngrad.tensor([1.0, 2.0, 2.0, 3.0], dtype=fngrad.float64, requires_grad=True)
    (g,) = fngrad.autograd.grad(x.median() ** 2, x, create_graph=True)
    assert g.tolist() == [0, 2.0, 2.0, 0]
    g.sum().backward()
    assert x.grad.tolist() == [0, 1.0, 1.0, 0]
