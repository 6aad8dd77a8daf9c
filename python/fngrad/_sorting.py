"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode.

NumPy's sort (sort, argsort, mode) or a native selection (topk, kthvalue, median, nanmedian:
``_C._select_dim``) finds the indices (NaN sorts as the largest value, as in PyTorch); the values are then
``gather(input, dim, indices)``, so their gradient is gather's (a scatter_add of the incoming
gradient at the indices, which is PyTorch's value_selecting_reduction_backward) and differentiates
again. Results are PyTorch's named tuples (``fngrad.return_types.sort`` and so on).
"""

from __future__ import annotations

import collections

import numpy as np

from . import _C
from ._functions import return_types
from ._indexing_ops import _np, _take_along, _wrap, _wrap_dim, gather
from .autograd.function import Function

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode"]

for _name in ("sort", "topk", "kthvalue", "median", "nanmedian", "mode"):
    setattr(return_types, _name, collections.namedtuple(_name, ["values", "indices"]))
del _name


def _stable_argsort(a, dim, descending):
    """Indices sorting ``a`` along ``dim``, equal elements in their original order either way (PyTorch's
    CPU sort is stable whether or not ``stable=True``)."""
    # Sorting the reversed array ascending and reversing back keeps ties in order (and NaN first).
    b = np.flip(a, dim) if descending else a
    # NumPy's default sort (SIMD quicksort) is 2-3x faster than its stable one; it only differs where
    # there are ties (or several NaN, which sort last), so the stable sort runs only then.
    order = np.argsort(b, axis=dim)
    n = b.shape[dim]
    if n > 1:
        s = _take_along(np.ascontiguousarray(b), order, dim)
        lo, hi = s[(slice(None),) * dim + (slice(0, n - 1),)], s[(slice(None),) * dim + (slice(1, n),)]
        tied = lo == hi
        if s.dtype.kind == "f":
            tied |= np.isnan(hi) & np.isnan(lo)
        rows = np.moveaxis(tied.any(axis=dim, keepdims=True), dim, -1)[..., 0]
        if rows.any():  # re-sort only the slices with ties, stably
            np.moveaxis(order, dim, -1)[rows] = np.argsort(np.moveaxis(b, dim, -1)[rows], axis=-1, kind="stable")
    if descending:
        order = np.flip(b.shape[dim] - 1 - order, dim)
    return order


def _values_at(input, dim, idx, keepdim=True):
    """``(values, indices)`` of ``input`` at the indices ``idx`` (an array or int64 tensor) along ``dim``
    (0-d inputs as 1-d)."""
    index = idx if isinstance(idx, _C.TensorBase) else _wrap(idx, private=True)
    if input.dim() == 0:
        index = index.reshape(())
        return gather(input, 0, index), index
    values = gather(input, dim, index)
    if not keepdim:
        values, index = values.squeeze(dim), index.squeeze(dim)
    return values, index


# The kinds of _C._select_dim (ops::SelectKind): the k best of each line, its k-th smallest, its
# lower median (NaN if any), its lower median of the non-NaN.
_TOP, _KTH, _MEDIAN, _NANMEDIAN = range(4)


def _lines(input):
    """``input`` outside the graph and at least 1-d, for ``_C._select_dim``."""
    x = input.detach()
    return x.reshape(1) if x.dim() == 0 else x


def _rows(input, dim, op):
    """``(array at least 1-d, wrapped dim)``."""
    dim = _wrap_dim(dim, input.dim(), op)
    a = _np(input)
    return (a.reshape(1) if a.ndim == 0 else a), dim


def sort(input, dim=-1, descending=False, stable=False):
    """``(values, indices)`` of ``input`` sorted along ``dim`` (stable either way; NaN is largest).

    >>> fngrad.sort(fngrad.tensor([3., 1., 2.]), descending=True).indices.tolist()
    [0, 2, 1]
    """
    a, d = _rows(input, dim, "sort")
    return return_types.sort(*_values_at(input, d, _stable_argsort(a, d, descending)))


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim``.

    >>> fngrad.argsort(fngrad.tensor([3., 1., 2.])).tolist()
    [1, 2, 0]
    """
    a, d = _rows(input, dim, "argsort")
    out = _wrap(_stable_argsort(a, d, descending), private=True)
    return out.reshape(()) if input.dim() == 0 else out


def msort(input):
    """``input`` sorted along its first dim.

    >>> fngrad.msort(fngrad.tensor([[2., 0.], [1., 3.]])).tolist()
    [[1.0, 0.0], [2.0, 3.0]]
    """
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along ``dim``,
    in order (NaN counts as the largest; equal elements in index order, whatever ``sorted`` says).

    >>> fngrad.topk(fngrad.tensor([1., 4., 2., 3.]), 2).values.tolist()
    [4.0, 3.0]
    """
    d = _wrap_dim(dim, input.dim(), "topk")
    x = _lines(input)
    if not 0 <= k <= x.shape[d]:
        raise RuntimeError("[topk] selected index k out of range")
    if input.dim() == 0:
        k = 1  # PyTorch's topk(0) of a 0-d tensor gives the element too
    idx = _C._select_dim(x, d, _TOP, k, largest)
    return return_types.topk(*_values_at(input, d, idx))


def kthvalue(input, k, dim=-1, keepdim=False):
    """``(values, indices)`` of the ``k``-th smallest element along ``dim`` (k counts from 1).

    >>> fngrad.kthvalue(fngrad.tensor([3., 1., 2.]), 2).values.item()
    2.0
    """
    d = _wrap_dim(dim, input.dim(), "kthvalue")
    x = _lines(input)
    if not 1 <= k <= x.shape[d]:
        raise RuntimeError(f"[kthvalue] kthvalue(): selected number k out of range for dimension {d}")
    idx = _C._select_dim(x, d, _KTH, k, False)
    return return_types.kthvalue(*_values_at(input, d, idx, keepdim))


class _EvenlyDistributed(Function):
    """A value picked from ``input`` (a median of all elements) whose gradient is shared evenly by every
    element equal to it (every NaN for a NaN), as PyTorch's evenly_distribute_backward."""

    @staticmethod
    def forward(ctx, input, value):
        a = _np(input)
        mask = np.isnan(a) if np.isnan(value) else a == value
        ctx.mask, ctx.count = _wrap(mask), int(mask.sum())
        return _wrap(np.array(value, dtype=a.dtype), input.dtype)

    @staticmethod
    def backward(ctx, grad):
        return _C.where(ctx.mask, grad / ctx.count, 0.0), None


def _median(op, tuple_type, input, dim, keepdim, ignore_nan):
    if input.dtype == _C.bool and input.numel():
        kernel = "median_cpu" if dim is None else "median_out"
        raise NotImplementedError(f"[{op}] \"{kernel}\" not implemented for 'Bool'")
    kind = _NANMEDIAN if ignore_nan else _MEDIAN
    if dim is None:
        a = _np(input).reshape(-1)
        if a.size == 0:
            # NaN, still a function of the (empty) input: its gradient is an empty zero tensor.
            if input.is_floating_point():
                return _EvenlyDistributed.apply(input, np.nan)
            # PyTorch casts the NaN to the integer dtype as x86 does: the minimum of int32/int64, 0 for
            # the narrower ones (through int32); NumPy's cast is the same instruction
            with np.errstate(invalid="ignore"):
                return _wrap(np.array(np.nan).astype(a.dtype), input.dtype)
        value = a[_C._select_dim(input.detach().reshape(-1), 0, kind, 0, False).item()]
        return _EvenlyDistributed.apply(input, value) if input.is_floating_point() else _wrap(np.array(value))
    d = _wrap_dim(dim, input.dim(), op)
    x = _lines(input)
    if x.shape[d] == 0:
        raise IndexError(f"[{op}] {op}(): Expected reduction dim {d} to have non-zero size.")
    return tuple_type(*_values_at(input, d, _C._select_dim(x, d, kind, 0, False), keepdim))


def median(input, dim=None, keepdim=False):
    """The lower median of all elements (NaN if any is NaN); with ``dim``, ``(values, indices)`` along it.

    >>> fngrad.median(fngrad.tensor([4., 1., 3., 2.])).item()
    2.0
    """
    return _median("median", return_types.median, input, dim, keepdim, ignore_nan=False)


def nanmedian(input, dim=None, keepdim=False):
    """As :func:`median`, ignoring NaN (NaN only where every element is).

    >>> fngrad.nanmedian(fngrad.tensor([1., float('nan'), 3.])).item()
    1.0
    """
    return _median("nanmedian", return_types.nanmedian, input, dim, keepdim, ignore_nan=True)


def mode(input, dim=-1, keepdim=False):
    """``(values, indices)`` of the most frequent value along ``dim`` (the smallest among equally
    frequent ones) and the last index where it occurs.

    >>> fngrad.mode(fngrad.tensor([2., 1., 2., 1., 3.])).indices.item()
    3
    """
    a, d = _rows(input, dim, "mode")
    moved = np.moveaxis(a, d, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    idx = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        _, inverse, counts = np.unique(row, return_inverse=True, return_counts=True)
        idx[r] = np.flatnonzero(inverse.reshape(-1) == np.argmax(counts))[-1]
    idx = np.expand_dims(idx.reshape(moved.shape[:-1]), d)
    return return_types.mode(*_values_at(input, d, idx, keepdim))


_METHODS = {name: globals()[name] for name in __all__}
