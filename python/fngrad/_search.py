"""Finding and counting: nonzero, argwhere, unique, unique_consecutive, bincount, histc, searchsorted,
bucketize, count_nonzero. Their results are indices or counts (int64), outside the graph, as in
PyTorch; bincount's result is differentiable in ``weights``.
"""

from __future__ import annotations

import numpy as np

from . import _C
from ._indexing_ops import _dtype_name, _np, _wrap, _wrap_dim, gather
from .autograd.function import Function

__all__ = ["nonzero", "argwhere", "unique", "unique_consecutive", "bincount", "histc", "searchsorted", "bucketize",
           "count_nonzero", "nonzero_static"]


def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or with ``as_tuple`` one 1-d tensor
    per dim (a 0-d input counts as 1-d there).

    >>> fngrad.nonzero(fngrad.tensor([[0., 1.], [2., 0.]])).tolist()
    [[0, 1], [1, 0]]
    """
    a = _np(input)
    if as_tuple:
        return tuple(_wrap(i) for i in np.nonzero(a.reshape(1) if a.ndim == 0 else a))
    return _wrap(np.argwhere(a))


def nonzero_static(input, *, size, fill_value=-1):
    """:func:`nonzero`'s (n, ndim) indices cut or padded with ``fill_value`` to exactly ``size`` rows.

    >>> fngrad.nonzero_static(fngrad.tensor([0., 1., 1.]), size=3).tolist()
    [[1], [2], [-1]]
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise RuntimeError("[nonzero_static] nonzero_static: 'size' must be an non-negative integer")
    found = np.argwhere(_np(input))[:size]
    pad = np.full((size - found.shape[0], found.shape[1]), fill_value, dtype=np.int64)
    return _wrap(np.concatenate([found.astype(np.int64), pad]))


def argwhere(input):
    """Indices of the nonzero elements, as :func:`nonzero`.

    >>> fngrad.argwhere(fngrad.tensor([0., 3.])).tolist()
    [[1]]
    """
    return nonzero(input)


def _results(values, inverse, counts, return_inverse, return_counts):
    if not (return_inverse or return_counts):
        return values
    return (values,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts else ())


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of ``input`` (slices along ``dim`` if given), sorted; with ``return_inverse``
    the index of each element's value in them, with ``return_counts`` how often each occurs.

    >>> fngrad.unique(fngrad.tensor([3., 1., 3.]), return_counts=True)[1].tolist()
    [1, 2]
    """
    a = _np(input)
    if dim is None:
        values, inverse, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inverse = inverse.reshape(a.shape)
    else:
        dim = _wrap_dim(dim, input.dim(), "unique")
        if a.ndim == 0:
            a = a.reshape(1)
        if a.shape[dim] == 0:
            values, inverse, counts = a, np.zeros(0, np.int64), np.zeros(0, np.int64)
        else:
            values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=dim)
            inverse = inverse.reshape(-1)
    return _results(_wrap(values, input.dtype), _wrap(inverse), _wrap(counts), return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``input`` with runs of equal consecutive values (slices along ``dim``) collapsed to one; optionally
    each element's run and each run's length.

    >>> fngrad.unique_consecutive(fngrad.tensor([1., 1., 2., 1.])).tolist()
    [1.0, 2.0, 1.0]
    """
    a = _np(input)
    if dim is None:
        flat = a.reshape(-1)
        change = np.ones(flat.shape, bool)
        change[1:] = flat[1:] != flat[:-1]
        values, inverse_shape = flat[change], a.shape
    else:
        dim = _wrap_dim(dim, input.dim(), "unique_consecutive")
        if a.ndim == 0:
            a = a.reshape(1)
        others = int(np.prod([n for d, n in enumerate(a.shape) if d != dim]))
        rows = np.moveaxis(a, dim, 0).reshape(a.shape[dim], others)
        change = np.ones(a.shape[dim], bool)
        change[1:] = (rows[1:] != rows[:-1]).any(axis=1)
        values, inverse_shape = np.compress(change, a, axis=dim), (a.shape[dim],)
    starts = np.flatnonzero(change)
    inverse = (np.cumsum(change) - 1).reshape(inverse_shape)
    counts = np.diff(np.append(starts, change.size))
    return _results(_wrap(values, input.dtype), _wrap(inverse), _wrap(counts), return_inverse, return_counts)


class _WeightedBincount(Function):
    @staticmethod
    def forward(ctx, input, weights, minlength):
        ctx.save_for_backward(input)
        w = _np(weights)
        out = np.bincount(_np(input), weights=w, minlength=minlength)
        return _wrap(out.astype(w.dtype if w.dtype.kind == "f" else np.float64))

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return None, gather(grad, 0, input), None


def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in the 1-d non-negative int64 ``input`` (summing
    ``weights`` instead of ones if given); at least ``minlength`` bins.

    >>> fngrad.bincount(fngrad.tensor([0, 2, 2])).tolist()
    [1, 0, 2]
    """
    if input.is_floating_point():
        raise NotImplementedError(f"[bincount] \"bincount_cpu\" not implemented for '{_dtype_name(input.dtype)}'")
    if minlength < 0:
        raise RuntimeError("[bincount] minlength should be >= 0")
    a = _np(input)
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("[bincount] bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _wrap(np.bincount(a.astype(np.int64, copy=False), minlength=minlength))
    if tuple(weights.shape) != tuple(input.shape):
        raise RuntimeError("[bincount] weights should be 1-d and have the same length as input")
    if input.dtype != _C.int64:
        input = input.to(_C.int64)
    return _WeightedBincount.apply(input, weights, minlength)


def _round_bfloat16(a):
    """Float32 values rounded to the nearest bfloat16 (still float32)."""
    return _np(_wrap(np.asarray(a, np.float32)).to(_C.bfloat16))


def histc(input, bins=100, min=0, max=0):
    """Histogram of ``input`` with ``bins`` equal bins over [min, max] (the data's range when
    min == max); values outside are left out. The result has ``input``'s dtype.

    >>> fngrad.histc(fngrad.tensor([1., 2., 1.]), bins=4, min=0, max=3).tolist()
    [0.0, 2.0, 1.0, 0.0]
    """
    if not input.is_floating_point():
        raise NotImplementedError(f"[histc] \"histogram_cpu\" not implemented for '{_dtype_name(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"[histc] torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    a = _np(input).reshape(-1)
    lo, hi = a.dtype.type(min), a.dtype.type(max)
    if lo == hi and a.size:
        finite = a[np.isfinite(a)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (lo, hi)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("[histc] max must be larger than min")
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"[histc] range of [{lo}, {hi}] is not finite")
    inside = a[(a >= lo) & (a <= hi)]
    # PyTorch's bin of x: (x - min) * bins / (max - min), each step rounded to the input's dtype (NumPy
    # does that for the others; bfloat16 is held in float32 and rounded here); max goes to the last bin.
    r = _round_bfloat16 if input.dtype == _C.bfloat16 else (lambda v: v)
    pos = (r(r(r(inside - lo) * a.dtype.type(bins)) / r(hi - lo))).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    return _wrap(np.bincount(pos, minlength=bins).astype(a.dtype), input.dtype)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where each element of ``input`` would be inserted into ``sorted_sequence`` (its last dim; leading
    dims pair up with ``input``'s) to keep it sorted: before equal values, or after them with
    ``right=True``/``side='right'``. ``sorter`` sorts an unsorted sequence. int64 indices (int32 with
    ``out_int32``).

    >>> fngrad.searchsorted(fngrad.tensor([1., 2., 3.]), fngrad.tensor([2., 2.5]), right=True).tolist()
    [2, 2]
    """
    op = "searchsorted"
    index_dtype = np.int32 if out_int32 else np.int64
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"[{op}] torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(f"[{op}] torch.searchsorted(): side and right can't be set to opposites, got side "
                               f"of left while right was True")
        right = side == "right"
    seq = _np(sorted_sequence)
    scalar = not isinstance(input, _C.TensorBase)
    values = np.asarray(input, dtype=seq.dtype) if scalar else _np(input)
    order = None
    if sorter is not None:
        order = _np(sorter)
        if order.shape != seq.shape:
            raise RuntimeError(f"[{op}] torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)}and got sorter tensor {list(order.shape)}")
        if order.size and (order.min() < 0 or order.max() >= seq.shape[-1]):
            raise RuntimeError(f"[{op}] torch.searchsorted(): sorter index out of range")
        seq = np.take_along_axis(seq, order, axis=-1)
    how = "right" if right else "left"
    if seq.ndim <= 1:
        return _wrap(np.searchsorted(seq.reshape(-1), values, side=how).astype(index_dtype))
    if scalar or seq.shape[:-1] != values.shape[:-1]:
        raise RuntimeError(f"[{op}] torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           f"dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
    lead = int(np.prod(seq.shape[:-1]))
    rows, vals = seq.reshape(lead, seq.shape[-1]), values.reshape(lead, values.shape[-1])
    out = np.empty(vals.shape, np.int64)
    for r, (row, v) in enumerate(zip(rows, vals)):
        out[r] = np.searchsorted(row, v, side=how)
    return _wrap(out.reshape(values.shape).astype(index_dtype))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each element of ``input`` between the sorted 1-d ``boundaries``: i with
    boundaries[i-1] < x <= boundaries[i] (``right=True``: boundaries[i-1] <= x < boundaries[i]).

    >>> fngrad.bucketize(fngrad.tensor([0.5, 2.0]), fngrad.tensor([1., 2., 3.])).tolist()
    [0, 1]
    """
    if boundaries.dim() != 1:
        raise RuntimeError(f"[bucketize] boundaries tensor must be 1 dimension, but got dim({boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def count_nonzero(input, dim=None):
    """How many elements are nonzero (over ``dim``, an int or a tuple of ints), as int64.

    >>> fngrad.count_nonzero(fngrad.tensor([[1., 0.], [2., 3.]]), dim=0).tolist()
    [2, 1]
    """
    a = _np(input)
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return _wrap(np.array(np.count_nonzero(a), np.int64))
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    dims = tuple(_wrap_dim(d, input.dim(), "count_nonzero") for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"[count_nonzero] dim {dims[0]} appears multiple times in the list of dims")
    if a.ndim == 0:
        return _wrap(np.array(np.count_nonzero(a), np.int64))
    return _wrap(np.count_nonzero(a, axis=dims).astype(np.int64))


_METHODS = {name: globals()[name] for name in __all__ if name not in ("searchsorted", "bucketize")}
