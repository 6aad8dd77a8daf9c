"""PyTorch's own operator test database (``op_db``) run through fngrad: the op surface's yardstick.

Every OpInfo entry of ``torch.testing._internal.common_methods_invocations.op_db`` that is in scope
has its sample inputs run through PyTorch and through fngrad, in each form PyTorch has (function,
method, in-place): float64 with gradients of every input that requires grad, and forward only in
every other dtype op_db lists for the entry that fngrad has (``DTYPES``: float32, float16, bfloat16,
the integer dtypes, bool).
Values, dtypes and shapes are compared, and gradients for a random cotangent.

Scope (the rule, applied by ``in_scope``): names without a dot, plus ``nn.functional.*`` and
``linalg.*``; leaving out the entries that are complex-only (no float32/float64 dtype), sparse, fft,
quantized, random sampling, and the special functions (``special.*`` has a dot; the core aliases of
special functions are listed in ``SPECIAL``).

A sample's status:
  pass     values (and gradients) equal PyTorch's
  fail     fngrad returned something different (value, dtype, shape or gradient)
  error    fngrad raised where PyTorch succeeded (a NotImplementedError is counted apart: ``notimpl``)
  skip     the sample needs what fngrad does not model (a dtype fngrad lacks, complex, a memory
           format, a generator), or PyTorch itself raised on it
An entry passes when at least one sample ran and every sample that ran passed in every form.
An entry whose name fngrad does not have at all (also when the OpInfo's own wrapper reaches for it) is
``missing``; one that kills the process, ``crash``. Indices among equal values are compared by the values
they pick for the ops that leave their order unspecified (``TIES``).

The summary splits the entries three ways: passing; left with a reason (NotImplementedError naming what
is left out, every sample needing what fngrad does not model, or missing with a reason in ``LEFT``); and
left (a difference from PyTorch, an error, a crash, or missing without a reason).

Usage::

    python tests/opinfo/runner.py                 # every entry in scope; writes tests/opinfo/STATUS.md
    python tests/opinfo/runner.py gather sort     # only these names; prints, writes nothing
    python tests/opinfo/runner.py --json out.json # also the per-entry results as JSON
    python tests/opinfo/runner.py --no-write      # every entry, STATUS.md left as it is (the test)

Entries run in child processes (``--child``) so that a crash is recorded against the entry that
caused it and the run goes on with the next one.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import subprocess
import sys
import time
import types

HERE = pathlib.Path(__file__).resolve().parent
STATUS_FILE = HERE / "STATUS.md"

# Random sampling: their values are not comparable between two generators.
RANDOM = {
    "bernoulli", "normal", "multinomial", "rand_like", "randn_like", "randint_like", "randint", "uniform",
    "exponential", "geometric", "log_normal", "cauchy", "nn.functional.dropout", "nn.functional.dropout2d",
    "nn.functional.dropout3d", "nn.functional.alpha_dropout", "nn.functional.feature_alpha_dropout",
    "nn.functional.rrelu", "randn", "rand", "empty_permuted", "empty", "empty_like", "new_empty",
    "new_empty_strided", "empty_strided",
}
# Special functions under core names (their special.* spellings are out by the dot rule).
SPECIAL = {"lgamma", "digamma", "polygamma", "mvlgamma", "i0", "erfinv", "igamma", "igammac", "sinc"}
# Complex numbers, quantization and layouts fngrad does not model.
COMPLEX = {"view_as_real", "view_as_complex", "complex", "polar", "real", "imag", "conj", "conj_physical",
           "resolve_conj", "resolve_neg", "angle", "cfloat", "chalf", "isreal"}
LAYOUT = {"to_sparse", "sparse_sampled_addmm", "sparse_mm_reduce", "nn.functional.scaled_dot_product_attention"}


# Entries fngrad leaves out on purpose, and why (an entry is "left with a reason" when it is missing
# or raises NotImplementedError and is listed here; a NotImplementedError's own message is its reason
# otherwise). Keyed by OpInfo name: every variant of the name shares the reason.
LEFT = {
    "_batch_norm_with_update": "private aten op (the fused batch_norm of torch.compile); F.batch_norm covers it",
    "_chunk_cat": "private aten op (FSDP's gradient bucketing)",
    "_segment_reduce": "private aten op (segment reductions of torch_scatter-style code)",
    "_softmax_backward_data": "private aten op (softmax's backward kernel); autograd covers it",
    "_unsafe_masked_index": "private aten op (an inductor decomposition)",
    "_unsafe_masked_index_put_accumulate": "private aten op (an inductor decomposition)",
    "_upsample_bilinear2d_aa": "antialiased bilinear resampling (interpolate(antialias=True)) is not implemented",
    "cdouble": "complex dtype: fngrad has no complex numbers",
    "geqrf": "Householder QR representation (LAPACK geqrf) not implemented",
    "ormqr": "Householder QR representation (LAPACK ormqr) not implemented",
    "linalg.householder_product": "Householder QR representation (LAPACK orgqr) not implemented",
    "hash_tensor": "PyTorch-internal hashing of tensor contents",
    "jiterator_2inputs_2outputs": "CUDA-only (jiterator)",
    "jiterator_4inputs_with_extra_args": "CUDA-only (jiterator)",
    "jiterator_binary": "CUDA-only (jiterator)",
    "jiterator_binary_return_by_ref": "CUDA-only (jiterator)",
    "jiterator_unary": "CUDA-only (jiterator)",
    "linalg.eig": "complex eigenvalues and eigenvectors: fngrad has no complex numbers",
    "linalg.eigvals": "complex eigenvalues: fngrad has no complex numbers",
    "linalg.ldl_factor": "LDL (Bunch-Kaufman) factorization not implemented",
    "linalg.ldl_factor_ex": "LDL (Bunch-Kaufman) factorization not implemented",
    "linalg.ldl_solve": "LDL (Bunch-Kaufman) factorization not implemented",
    "linalg.lu": "pivoted LU factorization not implemented (NumPy has no LU)",
    "linalg.lu_factor": "pivoted LU factorization not implemented (NumPy has no LU)",
    "linalg.lu_factor_ex": "pivoted LU factorization not implemented (NumPy has no LU)",
    "linalg.lu_solve": "pivoted LU factorization not implemented (NumPy has no LU)",
    "lu": "pivoted LU factorization not implemented (NumPy has no LU)",
    "lu_solve": "pivoted LU factorization not implemented (NumPy has no LU)",
    "lu_unpack": "pivoted LU factorization not implemented (NumPy has no LU)",
    "nn.functional.ctc_loss": "CTC loss not implemented",
    "nn.functional.embedding_bag": "embedding_bag not implemented (F.embedding with a sum/mean covers it)",
    "nn.functional.fractional_max_pool2d": "fractional max pooling (random pooling regions) not implemented",
    "nn.functional.fractional_max_pool3d": "fractional max pooling (random pooling regions) not implemented",
    "nn.functional.multi_head_attention_forward": "the functional form of nn.MultiheadAttention not implemented",
    "max_pool2d_with_indices_backward": "private aten op (max_pool2d's backward kernel); autograd covers it",
    "pca_lowrank": "randomized low-rank PCA not implemented (linalg.svd covers the exact one)",
    "svd_lowrank": "randomized low-rank SVD not implemented (linalg.svd covers the exact one)",
    "slice": "aten.slice.Tensor has no torch name; x[start:end:step] covers it",
    "stft": "short-time Fourier transform: needs complex numbers and fft",
}


def in_scope(op) -> tuple[bool, str]:
    """Whether an OpInfo entry counts toward the target, and if not, why."""
    import torch

    name = op.name
    if "." in name and not name.startswith(("nn.functional.", "linalg.")):
        return False, f"namespace {name.split('.')[0]}"
    if name in RANDOM:
        return False, "random sampling"
    if name in SPECIAL:
        return False, "special function"
    if name in COMPLEX:
        return False, "complex numbers"
    if name in LAYOUT or "sparse" in name or "quantize" in name or "fft" in name:
        return False, "layout (sparse/quantized/fft)"
    dtypes = op.supported_dtypes("cpu")
    if torch.float64 not in dtypes and torch.float32 not in dtypes:
        return False, "no float32/float64 dtype (complex-only or integer-only)"
    return True, ""


def entry_id(op) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


# The dtypes fngrad has: an entry's samples run in each of them that op_db lists for it (complex
# dtypes are out: fngrad does not model complex numbers).
DTYPES = ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool")
# Elementwise tolerance (rtol, atol) of a result dtype (float64 and integers: 1e-7). Half precisions
# round a float32 result, and the two libraries' float32 kernels differ in the last bits before that.
TOLERANCE = {"float32": (1e-4, 1e-5), "float16": (1e-3, 1e-3), "bfloat16": (1.6e-2, 1e-2)}


class Skip(Exception):
    """The sample needs something fngrad does not model."""


# ---------------------------------------------------------------------------------------------
# Conversion between the two libraries.

# Ops that address their input's storage (its offset and strides, and memory outside the input): their
# input comes to fngrad as the same view of a copy of its whole storage, not as a copy of its values.
STORAGE_OPS = {"as_strided", "as_strided_copy", "as_strided_scatter"}


def _to_fngrad(obj, fngrad, torch, leaves, keep_storage=False):
    if isinstance(obj, torch.Tensor):
        if obj.is_complex() or obj.layout != torch.strided:
            raise Skip("complex or non-strided tensor")
        name = str(obj.dtype).replace("torch.", "")
        dt = getattr(fngrad, name, None)
        if name not in DTYPES or dt is None:
            raise Skip(f"dtype {name}")
        if keep_storage:
            storage = torch.empty(0, dtype=obj.dtype).set_(obj.untyped_storage()).detach()
            arr = (storage.float() if name == "bfloat16" else storage).numpy().copy()
            with fngrad.no_grad():
                t = fngrad.as_strided(fngrad.tensor(arr, dtype=dt), tuple(obj.shape), obj.stride(),
                                      obj.storage_offset())
            if obj.requires_grad and obj.is_leaf:
                t.requires_grad_()
                leaves.append((obj, t))
            return t
        # NumPy has no bfloat16: its values travel as float32, which holds them exactly.
        arr = (obj.detach().float() if name == "bfloat16" else obj.detach()).numpy().copy()
        t = fngrad.tensor(arr, dtype=dt, requires_grad=obj.requires_grad and obj.is_leaf)
        if obj.requires_grad and obj.is_leaf:
            leaves.append((obj, t))
        return t
    if isinstance(obj, torch.dtype):
        name = str(obj).replace("torch.", "")
        if name not in DTYPES:
            raise Skip(f"dtype {name}")
        return getattr(fngrad, name)
    if isinstance(obj, torch.nn.PairwiseDistance):  # triplet_margin_with_distance_loss's distance_function
        return fngrad.nn.PairwiseDistance(p=obj.norm, eps=obj.eps, keepdim=obj.keepdim)
    if isinstance(obj, torch.nn.Module):
        raise Skip(f"a torch.nn.{type(obj).__name__} argument")
    if isinstance(obj, torch.memory_format):
        raise Skip("memory_format")
    if isinstance(obj, torch.Generator):
        raise Skip("generator")
    if isinstance(obj, torch.device):
        return str(obj)
    if isinstance(obj, torch.Size):
        return tuple(obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_to_fngrad(o, fngrad, torch, leaves) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_fngrad(o, fngrad, torch, leaves) for o in obj)
    if isinstance(obj, dict):
        return {k: _to_fngrad(v, fngrad, torch, leaves) for k, v in obj.items()}
    if isinstance(obj, complex):
        raise Skip("complex scalar")
    return obj


def _flatten(out):
    """The leaves of an op's result: tensors, numbers, bools (named tuples and lists recursed)."""
    if isinstance(out, (list, tuple)):
        items = []
        for o in out:
            items.extend(_flatten(o))
        return items
    return [out]


def _as_array(x, lib):
    import numpy as np

    if isinstance(x, lib.Tensor):
        dtype = str(x.dtype).split(".")[-1]
        values = x.detach().float() if dtype == "bfloat16" else x.detach()
        return np.asarray(values.numpy()), dtype, tuple(x.shape)
    return x, type(x).__name__, None


def _close(a, b, dtype_name):
    import numpy as np

    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        dtype_name = dtype_name.replace("torch.", "")
        rtol, atol = TOLERANCE.get(dtype_name, (1e-7, 1e-7))
        if dtype_name in ("float16", "bfloat16") and a.size:
            # A reduction in half precision (a sum of products) is off by rounding errors of the size of
            # its partial sums, not of each element; the two libraries accumulate in different orders.
            finite = np.abs(a[np.isfinite(a)].astype(np.float64))
            atol = max(atol, rtol * float(finite.max())) if finite.size else atol
        return bool(np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True))
    return bool(np.array_equal(a, b))


def _compare(t_out, f_out, torch, fngrad, what):
    """None when the results agree, else what differs."""
    t_items, f_items = _flatten(t_out), _flatten(f_out)
    if len(t_items) != len(f_items):
        return f"{what}: {len(f_items)} results, PyTorch gives {len(t_items)}"
    for i, (t, f) in enumerate(zip(t_items, f_items)):
        ta, tdt, tshape = _as_array(t, torch)
        if isinstance(t, torch.Tensor) != isinstance(f, fngrad.Tensor):
            return f"{what}[{i}]: {type(f).__name__}, PyTorch gives {type(t).__name__}"
        fa, fdt, fshape = _as_array(f, fngrad)
        if tshape != fshape:
            return f"{what}[{i}]: shape {fshape}, PyTorch gives {tshape}"
        if isinstance(t, torch.Tensor) and tdt != fdt:
            return f"{what}[{i}]: dtype {fdt}, PyTorch gives {tdt}"
        if t is None or f is None:
            if (t is None) != (f is None):
                return f"{what}[{i}]: {f!r}, PyTorch gives {t!r}"
            continue
        if not _close(ta, fa, tdt):
            return f"{what}[{i}]: values differ"
    return None


# ---------------------------------------------------------------------------------------------
# One entry.

def _rebound(fn, fngrad):
    """An OpInfo's own wrapper (a lambda that reorders arguments, as ``where``'s does) with its
    ``torch`` global bound to fngrad, or None when ``fn`` is PyTorch's implementation itself."""
    if not isinstance(fn, types.FunctionType) or not fn.__module__.startswith("torch.testing."):
        return None
    return types.FunctionType(fn.__code__, {**fn.__globals__, "torch": fngrad}, fn.__name__, fn.__defaults__,
                              fn.__closure__)


def _fngrad_callable(op, form, fngrad):
    """The fngrad spelling of an OpInfo form, or None when fngrad has no such name."""
    name = op.name
    wrapper = _rebound({"function": op.op, "method": op.method_variant, "inplace": op.inplace_variant}[form], fngrad)
    if wrapper is not None:
        return wrapper
    if form == "function":
        obj = fngrad
        for part in name.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj
    method = name if form == "method" else name + "_"
    # An entry named after its in-place method (zero_, resize_) has that method as its in-place form.
    if form == "inplace" and name.endswith("_"):
        method = name
    if "." in name:
        return None
    if not hasattr(fngrad.Tensor, method):
        return None
    return lambda x, *a, **k: getattr(x, method)(*a, **k)


def _torch_forms(op):
    forms = []
    if op.op is not None and "." not in op.name or op.name.startswith(("nn.functional.", "linalg.", "special.")):
        forms.append(("function", op.op))
    if op.method_variant is not None and "." not in op.name:
        forms.append(("method", op.method_variant))
    if op.inplace_variant is not None and "." not in op.name:
        forms.append(("inplace", op.inplace_variant))
    # Dunder entries (__radd__, __getitem__, ...) have only their operator: call it as a method.
    if op.name.startswith("__"):
        forms = [("method", op.op)]
    return forms


# Ops whose indices among equal values are unspecified (PyTorch: "the order of equivalent elements is
# not guaranteed" unless sort's stable=True; its CPU kernels change the order with the size): the
# position of their ``dim`` argument. fngrad's indices count as PyTorch's when they pick the same values
# (and, for sort, argsort and topk, distinct positions).
TIES = {"sort": 0, "argsort": 0, "topk": 1, "kthvalue": 1, "mode": 0}


def _ties_as_pytorch(name, inp, args, kwargs, t_out, f_out, torch, fngrad, np):
    """``f_out`` with its indices replaced by PyTorch's where they differ only among equal values."""
    if kwargs.get("stable") or (name in ("sort", "argsort") and len(args) > 2 and args[2]):
        return f_out
    t_idx = t_out if name == "argsort" else t_out[1]
    f_idx = f_out if name == "argsort" else f_out[1]
    if not isinstance(f_idx, fngrad.Tensor) or tuple(f_idx.shape) != tuple(t_idx.shape):
        return f_out
    x = inp.detach().float().numpy() if inp.dtype == torch.bfloat16 else inp.detach().numpy()
    if x.ndim == 0:
        return f_out
    pos = TIES[name]
    dim = args[pos] if len(args) > pos else kwargs.get("dim", -1)
    dim %= x.ndim
    ti, fi = t_idx.numpy(), np.asarray(f_idx.numpy())
    if ti.ndim != x.ndim:  # keepdim=False
        ti, fi = np.expand_dims(ti, dim), np.expand_dims(fi, dim)
    if fi.size and (fi.min() < 0 or fi.max() >= x.shape[dim]):
        return f_out
    same = np.array_equal(np.take_along_axis(x, ti, dim), np.take_along_axis(x, fi, dim), equal_nan=True)
    if name in ("sort", "argsort", "topk") and fi.size:
        s = np.sort(fi, axis=dim)
        same = same and not (np.diff(s, axis=dim) == 0).any()
    if not same:
        return f_out
    t_as_f = fngrad.tensor(t_idx.numpy())
    return t_as_f if name == "argsort" else type(f_out)(*(t_as_f if i == 1 else o for i, o in enumerate(f_out)))


def run_sample(op, form, torch_fn, sample, dtype, torch, fngrad, np):
    """The status of one sample in one form: ('pass'|'fail'|'error'|'notimpl'|'skip', detail)."""
    grad = dtype == torch.float64 and form != "inplace" and op.supports_autograd
    inp = sample.input
    args, kwargs = sample.args, sample.kwargs
    if form == "inplace":
        inp = inp.detach().clone() if isinstance(inp, torch.Tensor) else inp
    # Attention with dropout in training mode draws from each library's generator: not comparable.
    if op.name == "nn.functional.multi_head_attention_forward" and kwargs.get("training", True) and args[9] > 0:
        return "skip", "random: attention dropout in training mode"
    # PyTorch first: a sample PyTorch itself refuses is not fngrad's to pass.
    try:
        t_out = torch_fn(inp, *args, **kwargs)
    except Exception as e:
        return "skip", f"PyTorch raised {type(e).__name__}"
    leaves = []
    try:
        keep = op.name in STORAGE_OPS
        f_inp = _to_fngrad(inp if form != "inplace" else inp, fngrad, torch, leaves, keep)
        if form == "inplace":
            # The in-place form ran on `inp` above; fngrad's starts from the original values.
            f_inp = _to_fngrad(sample.input.detach().clone(), fngrad, torch, [], keep)
        f_args = _to_fngrad(args, fngrad, torch, leaves)
        f_kwargs = _to_fngrad(kwargs, fngrad, torch, leaves)
    except Skip as e:
        return "skip", str(e)
    f_fn = _fngrad_callable(op, form, fngrad)
    if op.name.startswith("__"):
        f_fn = lambda x, *a, **k: getattr(x, op.name)(*a, **k)  # noqa: E731
    try:
        f_out = f_fn(f_inp, *f_args, **f_kwargs)
    except AttributeError as e:
        # An OpInfo wrapper reaching for a name fngrad lacks (torch.nn.functional.embedding_bag)
        if str(e).startswith("module 'fngrad") and "has no attribute" in str(e):
            return "missing", str(e).splitlines()[0][:120]
        return "error", f"AttributeError: {str(e).splitlines()[0][:120]}"
    except NotImplementedError as e:
        return "notimpl", f"{type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"
    except Exception as e:
        msg = str(e).splitlines()[0][:120] if str(e) else ""
        return "error", f"{type(e).__name__}: {msg}"
    # The sample's own output processing (as OpInfo's gradient checks use it): it makes outputs
    # that are unique only up to sign or order (svd's, eigh's vectors) comparable. It is a lambda of
    # PyTorch's test suite, rebound to fngrad for fngrad's outputs.
    proc = getattr(sample, "output_process_fn_grad", None)
    f_proc = _rebound(proc, fngrad) if proc is not None else None
    if f_proc is not None:
        try:
            t_out, f_out = proc(t_out), f_proc(f_out)
        except Exception as e:
            msg = str(e).splitlines()[0][:120] if str(e) else ""
            return "error", f"output processing: {type(e).__name__}: {msg}"
    if op.name in TIES and isinstance(inp, torch.Tensor):
        f_out = _ties_as_pytorch(op.name, inp, args, kwargs, t_out, f_out, torch, fngrad, np)
    diff = _compare(t_out, f_out, torch, fngrad, "output")
    if diff:
        return "fail", diff
    if not grad:
        return "pass", ""
    # Gradients for one random cotangent per differentiable output, the same in both libraries.
    t_leaves = [t for t, _ in leaves]
    f_leaves = [f for _, f in leaves]
    if not t_leaves:
        return "pass", ""
    t_outs = [o for o in _flatten(t_out) if isinstance(o, torch.Tensor) and o.requires_grad and o.is_floating_point()]
    f_outs = [o for o in _flatten(f_out) if isinstance(o, fngrad.Tensor) and o.is_floating_point()
              and o.requires_grad] if hasattr(fngrad.Tensor, "is_floating_point") else [
        o for o in _flatten(f_out) if isinstance(o, fngrad.Tensor) and o.requires_grad]
    if not t_outs:
        return "pass", ""
    if len(t_outs) != len(f_outs):
        return "fail", f"{len(f_outs)} outputs require grad, PyTorch has {len(t_outs)}"
    rng = np.random.default_rng(0)
    cots = [rng.standard_normal(tuple(o.shape)) for o in t_outs]
    try:
        t_grads = torch.autograd.grad(t_outs, t_leaves, [torch.tensor(c) for c in cots], allow_unused=True)
    except Exception as e:
        return "skip", f"PyTorch backward raised {type(e).__name__}"
    try:
        f_grads = fngrad.autograd.grad(f_outs, f_leaves, [fngrad.tensor(c) for c in cots], allow_unused=True)
    except NotImplementedError as e:
        return "notimpl", f"backward: {str(e).splitlines()[0][:120] if str(e) else ''}"
    except Exception as e:
        msg = str(e).splitlines()[0][:120] if str(e) else ""
        return "error", f"backward: {type(e).__name__}: {msg}"
    for i, (tg, fg) in enumerate(zip(t_grads, f_grads)):
        ta = np.zeros(tuple(t_leaves[i].shape)) if tg is None else tg.detach().numpy(force=True)
        fa = np.zeros(tuple(f_leaves[i].shape)) if fg is None else np.asarray(fg.detach().numpy())
        # The tolerance of the leaf's dtype: a float32 argument of a float64 sample (cov's aweights)
        # has a float32 gradient.
        if not _close(ta, fa, str(t_leaves[i].dtype)):
            if _known_wrong_gradient(op):
                return _check_by_differences(f_fn, f_inp, f_args, f_kwargs, f_leaves, cots, fngrad, np)
            return "fail", f"gradient of input {i} differs"
    return "pass", ""


def _known_wrong_gradient(op):
    """Whether the OpInfo marks PyTorch's own backward as an expected failure of its gradcheck
    (``TestBwdGradients.test_fn_grad``): where fngrad's gradient differs from PyTorch's, central
    differences decide (as_strided_scatter's input gradient in PyTorch keeps the scattered positions
    and zeroes the rest)."""
    import unittest

    for d in op.decorators or ():
        if getattr(d, "cls_name", None) == "TestBwdGradients" and getattr(d, "test_name", None) == "test_fn_grad" \
                and unittest.expectedFailure in (getattr(d, "decorators", None) or ()):
            return True
    return False


def _check_by_differences(f_fn, f_inp, f_args, f_kwargs, f_leaves, cots, fngrad, np, eps=1e-6):
    """fngrad's gradients for the cotangents against central differences of fngrad's own forward."""
    def loss():
        with fngrad.no_grad():
            outs = [o for o in _flatten(f_fn(f_inp, *f_args, **f_kwargs))
                    if isinstance(o, fngrad.Tensor) and o.is_floating_point()]
        return sum(float((np.asarray(o.numpy()) * c).sum()) for o, c in zip(outs, cots))

    outs = [o for o in _flatten(f_fn(f_inp, *f_args, **f_kwargs)) if isinstance(o, fngrad.Tensor)
            and o.is_floating_point() and o.requires_grad]
    try:
        grads = fngrad.autograd.grad(outs, f_leaves, [fngrad.tensor(c) for c in cots], allow_unused=True)
    except Exception as e:
        msg = str(e).splitlines()[0][:120] if str(e) else ""
        return "error", f"backward: {type(e).__name__}: {msg}"
    for i, (leaf, g) in enumerate(zip(f_leaves, grads)):
        flat = leaf.detach().reshape(-1)
        numerical = np.zeros(flat.numel())
        for k in range(flat.numel()):
            v = float(flat[k])
            with fngrad.no_grad():
                flat[k] = v + eps
                up = loss()
                flat[k] = v - eps
                down = loss()
                flat[k] = v
            numerical[k] = (up - down) / (2 * eps)
        analytic = np.zeros(flat.numel()) if g is None else np.asarray(g.detach().numpy()).reshape(-1)
        if not np.allclose(analytic, numerical, rtol=1e-5, atol=1e-5):
            return "fail", f"gradient of input {i} differs from finite differences (PyTorch's is known wrong)"
    return "pass", ""


def run_entry(op, torch, fngrad, np, max_samples=None):
    """{'status', 'counts', 'first'}: the entry's status, its sample counts, the first non-pass detail."""
    forms = _torch_forms(op)
    counts = collections.Counter()
    first = {}
    have = [form for form, _ in forms if op.name.startswith("__") or _fngrad_callable(op, form, fngrad) is not None]
    if not have:
        return {"status": "missing", "counts": {}, "first": f"fngrad has no {op.name}"}
    for form, torch_fn in forms:
        if form not in have:
            counts["missing_form"] += 1
            first.setdefault("missing_form", f"no {form} form")
            continue
        for dtype in (getattr(torch, name) for name in DTYPES):
            if not op.supports_dtype(dtype, "cpu"):
                continue
            requires_grad = dtype == torch.float64 and op.supports_autograd and form != "inplace"
            try:
                samples = list(op.sample_inputs("cpu", dtype, requires_grad=requires_grad))
            except Exception as e:
                counts["skip"] += 1
                first.setdefault("skip", f"sample_inputs raised {type(e).__name__}")
                continue
            for sample in samples[:max_samples]:
                torch.manual_seed(0)
                fngrad.manual_seed(0)
                try:
                    status, detail = run_sample(op, form, torch_fn, sample, dtype, torch, fngrad, np)
                except Exception as e:  # a bug of the runner, reported as such
                    status, detail = "error", f"runner: {type(e).__name__}: {e}"
                counts[status] += 1
                if status != "pass":
                    first.setdefault(status, f"{form}/{str(dtype)[6:]}: {detail}")
    ran = sum(counts[s] for s in ("pass", "fail", "error", "notimpl"))
    if counts["missing"] and not ran:
        return {"status": "missing", "counts": dict(counts), "first": first["missing"]}
    if counts["fail"]:
        status = "fail"
    elif counts["error"] or counts["missing"]:
        status = "error"
    elif counts["notimpl"]:
        status = "notimpl"
    elif counts["missing_form"]:
        status = "partial"
    elif ran == 0:
        status = "no-sample"
    else:
        status = "pass"
    detail = first.get(status) or first.get("missing_form") or first.get("skip") or ""
    return {"status": status, "counts": dict(counts), "first": detail}


def _left_reason(eid):
    """The LEFT entry of an entry id (its OpInfo name, or the name before the variant)."""
    return LEFT.get(eid) or LEFT.get(eid.rsplit(".", 1)[0])


def reason(eid, r):
    """Why an entry that does not pass is left, or None when it is simply left (fail, error, crash)."""
    if r["status"] in ("notimpl", "no-sample"):
        return r["first"]
    if r["status"] in ("missing", "partial"):
        return _left_reason(eid)
    return None


def summary(results):
    """(passing, left with a reason, left) entry counts."""
    passing = sum(r["status"] == "pass" for r in results.values())
    reasoned = sum(r["status"] != "pass" and reason(eid, r) is not None for eid, r in results.items())
    return passing, reasoned, len(results) - passing - reasoned


def child(ids):
    """Runs the named entries in this process, one JSON line per entry on stdout."""
    import warnings

    import numpy as np
    import torch
    from torch.testing._internal.common_methods_invocations import op_db

    import fngrad

    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    by_id = {entry_id(op): op for op in op_db}
    for eid in ids:
        print(f"START {eid}", flush=True)
        result = run_entry(by_id[eid], torch, fngrad, np)
        print("RESULT " + json.dumps({"id": eid, **result}), flush=True)


def _run_children(ids, timeout):
    """Runs ids in child processes, restarting after a crash or a hang; {id: result}."""
    results = {}
    todo = list(ids)
    env = dict(os.environ)
    while todo:
        proc = subprocess.Popen([sys.executable, __file__, "--child", *todo], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, env=env)
        current = None
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        for line in out.splitlines():
            if line.startswith("START "):
                current = line[6:]
            elif line.startswith("RESULT "):
                r = json.loads(line[7:])
                results[r["id"]] = {k: v for k, v in r.items() if k != "id"}
                current = None
        if current is not None:
            why = f"process died (exit {proc.returncode})" if proc.returncode else "timed out"
            results[current] = {"status": "crash", "counts": {}, "first": why}
        todo = [i for i in todo if i not in results]
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these OpInfo names (default: every entry in scope)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="write the per-entry results here")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite STATUS.md")
    parser.add_argument("--jobs", type=int, default=2, help="child processes at once")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for one child process")
    parser.add_argument("--out-of-scope", action="store_true",
                        help="also run the named entries the scope rule leaves out (special functions, ...)")
    args = parser.parse_args(argv)
    if args.child:
        child(args.names)
        return 0

    from torch.testing._internal.common_methods_invocations import op_db

    scope, out_of_scope = [], {}
    for op in op_db:
        ok, why = in_scope(op)
        if args.names and op.name not in args.names:
            continue
        ok = ok or (args.out_of_scope and bool(args.names))
        (scope.append(entry_id(op)) if ok else out_of_scope.__setitem__(entry_id(op), why))
    start = time.perf_counter()
    jobs = max(1, min(args.jobs, len(scope)))
    chunks = [scope[i::jobs] for i in range(jobs)]
    import concurrent.futures as cf

    with cf.ThreadPoolExecutor(jobs) as pool:
        results = {}
        for part in pool.map(lambda c: _run_children(c, args.timeout), chunks):
            results.update(part)
    elapsed = time.perf_counter() - start
    by_status = collections.Counter(r["status"] for r in results.values())
    print(f"{len(scope)} entries in scope ({len(out_of_scope)} out of scope), {elapsed:.0f} s")
    passing, reasoned, left = summary(results)
    print(f"  pass {passing}, left with a reason (NotImplementedError or the LEFT table) {reasoned}, left {left}")
    for status, n in sorted(by_status.items(), key=lambda kv: -kv[1]):
        print(f"  {status:10s} {n}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"results": results, "out_of_scope": out_of_scope},
                                                      indent=1, sort_keys=True))
    if args.names or args.no_write:
        for eid in sorted(results):
            r = results[eid]
            print(f"{eid:40s} {r['status']:9s} {r['counts']} {r['first']}")
        return 0
    write_status(results, out_of_scope, elapsed)
    return 0


def write_status(results, out_of_scope, elapsed):
    import torch

    by_status = collections.Counter(r["status"] for r in results.values())
    total = len(results)
    lines = [
        "# PyTorch's OpInfo database through fngrad",
        "",
        "Written by `python tests/opinfo/runner.py` (the rule for what is in scope is in its docstring);",
        f"PyTorch {torch.__version__}. Do not edit by hand: rerun the runner.",
        "",
        f"{total} entries in scope, {len(out_of_scope)} out of scope. "
        f"Passing every sample: {by_status['pass']} of {total} ({100 * by_status['pass'] / max(total, 1):.0f}%).",
        "",
        "Of the rest, {1} are left with a reason (they raise NotImplementedError naming what is left out, their "
        "samples need what fngrad does not model, or the runner's LEFT table says why fngrad has no such op) "
        "and {2} are simply left (a difference from PyTorch or an error).".format(*summary(results)),
        "",
        "| status | entries | meaning |",
        "|---|---:|---|",
    ]
    meaning = {
        "pass": "every sample equal to PyTorch in every form",
        "fail": "a value, dtype, shape or gradient differs from PyTorch",
        "error": "fngrad raised where PyTorch succeeded",
        "notimpl": "fngrad raises NotImplementedError naming what it leaves out",
        "partial": "the samples that ran passed, but a form (method, in-place) is missing",
        "missing": "fngrad has no such op",
        "crash": "the process died or hung",
        "no-sample": "every sample needs what fngrad does not model",
    }
    for status, n in sorted(by_status.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {status} | {n} | {meaning.get(status, '')} |")
    lines += ["", "## Entries", "", "| entry | status | samples | first difference | why left |",
              "|---|---|---|---|---|"]
    for eid in sorted(results):
        r = results[eid]
        counts = ", ".join(f"{k} {v}" for k, v in sorted(r["counts"].items()))
        first = r["first"].replace("|", "\\|")
        why = (_left_reason(eid) or "") if r["status"] in ("missing", "partial") else ""
        lines.append(f"| {eid} | {r['status']} | {counts} | {first} | {why} |")
    lines += ["", "## Out of scope", "", "| entry | why |", "|---|---|"]
    for eid in sorted(out_of_scope):
        lines.append(f"| {eid} | {out_of_scope[eid]} |")
    STATUS_FILE.write_text("\n".join(lines) + "\n")
    print(f"wrote {STATUS_FILE}")


if __name__ == "__main__":
    sys.exit(main())
