"""Order statistics, histograms and numerical gradients: quantile, nanquantile, histogram,
histogramdd, gradient.

quantile and gradient are composed of differentiable fngrad ops (sort, gather, arithmetic on slices),
so their gradients, also with respect to ``q`` and to gradient's coordinates, and double backward
come from those ops. The histograms count in NumPy and are outside the graph, as in PyTorch.

Example::

    >>> import fngrad
    >>> fngrad.quantile(fngrad.tensor([1., 2., 3., 4.]), 0.5)
    tensor(2.5000)
    >>> fngrad.gradient(fngrad.tensor([1., 4., 9.]))
    (tensor([3., 4., 5.]),)
"""

from __future__ import annotations

import builtins
import collections
import numbers

import numpy as np

from . import _C, _creation
from . import _functions as _fn
from ._functions import return_types
from ._indexing_ops import _np, _wrap, _wrap_dim

__all__ = ["quantile", "nanquantile", "histogram", "histogramdd", "gradient"]

return_types.histogram = collections.namedtuple("histogram", ["hist", "bin_edges"])
return_types.histogramdd = collections.namedtuple("histogramdd", ["hist", "bin_edges"])

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(op, input, q, dim, keepdim, interpolation, ignore_nan):
    """PyTorch's algorithm (aten quantile_compute): sort the slices, rank = q * (count - 1), read the
    values at the ranks below and above and interpolate between them."""
    if not isinstance(input, _C.TensorBase):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not input.is_floating_point():
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest. "
                           f"Got {interpolation}")
    scalar_q = not isinstance(q, _C.TensorBase)
    if scalar_q:
        q = _creation.tensor([builtins.float(q)], dtype=input.dtype)
    else:
        if q.dim() > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        scalar_q = q.dim() == 0
        q = q.reshape(-1)
    qa = _np(q)
    if qa.size and not ((qa >= 0) & (qa <= 1)).all():
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    if input.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    shape = tuple(input.shape)
    if dim is None:
        x = input.reshape(-1)
        out_shape = (1,) * len(shape) if keepdim else ()
    else:
        d = _wrap_dim(dim, len(shape), op)
        x = input.movedim(d, -1) if shape else input.reshape(1)
        out_shape = tuple(1 if i == d else s for i, s in enumerate(shape)) if keepdim else \
            tuple(s for i, s in enumerate(shape) if i != d)
    s = x.sort(-1).values  # NaN sort last
    n = s.shape[-1]
    nan = np.isnan(_np(s))
    if ignore_nan:
        count = (~nan).sum(-1, keepdims=True)
        last = np.where(count == 0, n - 1, 0)  # an all-NaN slice reads its last (NaN) value
    else:
        count = np.full(nan.shape[:-1] + (1,), n)
        last = np.where(nan.any(-1, keepdims=True), n - 1, 0)
    empty = (count == 0) if ignore_nan else nan.any(-1, keepdims=True)
    ranks = q * _wrap((count - 1).astype(_np(s).dtype))  # (..., Q), differentiable in q
    ranks = _fn.where(_wrap(empty), _wrap(last.astype(_np(s).dtype)), ranks)
    r = _np(ranks)
    if interpolation == "lower":
        r = np.floor(r)
    elif interpolation == "higher":
        r = np.ceil(r)
    elif interpolation == "nearest":
        r = np.round(r)  # half to even, as PyTorch's round
    below = r.astype(np.int64)
    values = s.gather(-1, _wrap(below))
    if interpolation in ("linear", "midpoint"):
        above = _wrap(np.ceil(r).astype(np.int64))
        weights = (ranks - _wrap(below.astype(r.dtype))) if interpolation == "linear" else \
            _creation.full(tuple(ranks.shape), 0.5, dtype=input.dtype)
        values = values.lerp(s.gather(-1, above), weights)
    values = values.movedim(-1, 0).reshape((q.shape[0],) + out_shape)
    return values.reshape(out_shape) if scalar_q else values


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """The ``q``-th quantiles of ``input`` (over ``dim``, or all elements); a slice with a NaN gives NaN.
    With a 1-D ``q`` the quantiles are stacked along a new first dim.

    >>> fngrad.quantile(fngrad.tensor([0., 1., 2., 3.]), fngrad.tensor([0.25, 0.5]))
    tensor([0.7500, 1.5000])
    """
    return _out(_quantile("quantile", input, q, dim, keepdim, interpolation, False), out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """:func:`quantile` ignoring NaN (a slice of only NaN gives NaN).

    >>> fngrad.nanquantile(fngrad.tensor([0., float('nan'), 2.]), 0.5)
    tensor(1.)
    """
    return _out(_quantile("nanquantile", input, q, dim, keepdim, interpolation, True), out)


def _out(result, out):
    return result if out is None else out.copy_(result)


def _bin_edges(op, a, bins, lo_hi, dtype):
    """The edges of one dimension: a tensor of ``bins`` + 1 edges (linspace in ``dtype`` over the range,
    or the data's range widened by 0.5 when it is a single value), or the given edges tensor."""
    if isinstance(bins, _C.TensorBase):
        if bins.dim() != 1:
            raise RuntimeError(f"{op}(): bins tensor should have one dimension, but got {bins.dim()} dimensions")
        return bins.to(dtype)
    if isinstance(bins, builtins.bool) or not isinstance(bins, numbers.Integral):
        raise TypeError(f"{op}(): argument 'bins' must be int or Tensor, not {type(bins).__name__}")
    if bins <= 0:
        raise RuntimeError(f"{op}(): bins must be > 0, but got {bins}")
    if lo_hi is None:
        lo, hi = (builtins.float(a.min()), builtins.float(a.max())) if a.size else (0.0, 1.0)
    else:
        lo, hi = builtins.float(lo_hi[0]), builtins.float(lo_hi[1])
        if lo > hi:
            raise RuntimeError(f"{op}(): min should not exceed max, but got min {lo} max {hi}")
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"{op}(): range of [{lo}, {hi}] is not finite")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return _creation.linspace(lo, hi, bins + 1, dtype=dtype)


def _histogramdd(op, points, bins, range_, weight, density, dtype):
    """Counts (or summed weights) of the rows of ``points`` (N, D) in the D-dimensional bins; a value
    on an interior edge goes to the bin on its right, the last edge belongs to the last bin."""
    n_dims = points.shape[1]
    if not isinstance(bins, (list, tuple)):
        bins = [bins] * n_dims
    if len(bins) != n_dims:
        raise RuntimeError(f"{op}(): expected {n_dims} sequences of bin edges for each dimension of the input, "
                           f"but got {len(bins)}")
    if range_ is not None and len(range_) != 2 * n_dims:
        raise RuntimeError(f"{op}(): expected {2 * n_dims} values for range, but got {len(range_)}")
    edges = [_bin_edges(op, points[:, k], bins[k], None if range_ is None else range_[2 * k:2 * k + 2], dtype)
             for k in builtins.range(n_dims)]
    e = [_np(t) for t in edges]
    inside = np.ones(points.shape[0], dtype=builtins.bool)
    pos = []
    for k in builtins.range(n_dims):
        col = points[:, k]
        inside &= (col >= e[k][0]) & (col <= e[k][-1])
        pos.append(np.clip(np.searchsorted(e[k], col, side="right") - 1, 0, builtins.max(len(e[k]) - 2, 0)))
    w = None if weight is None else _np(weight).reshape(-1)[inside]
    shape = tuple(builtins.max(len(x) - 1, 0) for x in e)
    flat = np.ravel_multi_index(tuple(p[inside] for p in pos), shape) if inside.any() else np.zeros(0, np.int64)
    hist = np.bincount(flat, weights=w, minlength=int(np.prod(shape))).astype(_np(edges[0]).dtype)
    hist = hist.reshape(shape)
    if density:
        total = hist.sum()
        for k in builtins.range(n_dims):
            widths = np.diff(e[k]).reshape([-1 if j == k else 1 for j in builtins.range(n_dims)])
            hist = hist / widths
        hist = hist / total
    return _wrap(hist.astype(_np(edges[0]).dtype), dtype), edges


def _check_hist_input(op, input, weight):
    if not input.is_floating_point() or input.dtype in (_C.float16, _C.bfloat16) and input.numel():
        # PyTorch's kernel (histogramdd's, for all three) has float32 and float64 versions only (an
        # empty half-precision input is binned without it)
        raise NotImplementedError(f"[{op}] \"histogramdd\" not implemented for '{_creation._SCALAR_TYPE_NAME[input.dtype]}'")
    if weight is not None and tuple(weight.shape) != tuple(input.shape[:-1] if op == "histogramdd" else input.shape):
        raise RuntimeError(f"{op}(): if weight tensor is provided it should have the same shape as the input "
                           f"tensor excluding its innermost dimension, but got input with shape "
                           f"{list(input.shape)} and weight with shape {list(weight.shape)}")


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """A histogram of ``input``'s values: ``bins`` equal bins (over ``range``, or the data's range) or
    the given edges; returns ``(hist, bin_edges)``. Not differentiable.

    >>> fngrad.histogram(fngrad.tensor([1., 2., 1.]), bins=4, range=(0., 3.)).hist
    tensor([0., 2., 1., 0.])
    """
    _check_hist_input("histogram", input, weight if weight is None else weight.reshape(tuple(input.shape)))
    hist, edges = _histogramdd("histogram", _np(input).reshape(-1, 1), bins, range, weight, density, input.dtype)
    return return_types.histogram(hist, edges[0])


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """A D-dimensional histogram of the rows of ``input`` (..., D): per dim ``bins`` (an int, a list of
    ints, or a list of edge tensors), ``range`` a flat list of D (min, max) pairs; returns
    ``(hist, bin_edges)`` with one edges tensor per dim. Not differentiable.

    >>> fngrad.histogramdd(fngrad.tensor([[0., 1.], [1., 2.]]), bins=[2, 2]).hist
    tensor([[1., 0.],
            [0., 1.]])
    """
    if input.dim() < 1:
        raise RuntimeError("histogramdd(): input tensor should have at least 1 dimension")
    _check_hist_input("histogramdd", input, weight)
    points = _np(input).reshape(-1, input.shape[-1])
    hist, edges = _histogramdd("histogramdd", points, bins, range, weight, density, input.dtype)
    return return_types.histogramdd(hist, tuple(edges))


def _gradient_dims(input, dim):
    if dim is None:
        return list(builtins.range(input.dim()))
    dims = [dim] if isinstance(dim, numbers.Integral) else list(dim)
    return [_wrap_dim(d, input.dim(), "gradient") for d in dims]


def _along(t, d, ndim):
    """A 1-D tensor ``t`` shaped to broadcast along dim ``d`` of an ``ndim``-dim tensor."""
    return t.reshape([-1 if i == d else 1 for i in builtins.range(ndim)])


def _gradient_one(f, d, h, edge_order):
    """The derivative of ``f`` along dim ``d``: central differences inside, one-sided ones of order
    ``edge_order`` at the ends; ``h`` the spacing (a number) or the coordinates (a 1-D tensor)."""
    n = f.shape[d]
    nd = f.dim()

    def sl(start, length):
        return f.narrow(d, start, length)

    if isinstance(h, _C.TensorBase):
        dx = h[1:] - h[:-1]
        dx1, dx2 = dx[:-1], dx[1:]
        a = _along(-dx2 / (dx1 * (dx1 + dx2)), d, nd)
        b = _along((dx2 - dx1) / (dx1 * dx2), d, nd)
        c = _along(dx1 / (dx2 * (dx1 + dx2)), d, nd)
        inner = a * sl(0, n - 2) + b * sl(1, n - 2) + c * sl(2, n - 2)
        if edge_order == 1:
            first = (sl(1, 1) - sl(0, 1)) / dx[0]
            last = (sl(n - 1, 1) - sl(n - 2, 1)) / dx[-1]
        else:
            d1, d2 = dx[0], dx[1]
            first = (-(2 * d1 + d2) / (d1 * (d1 + d2))) * sl(0, 1) + ((d1 + d2) / (d1 * d2)) * sl(1, 1) \
                + (-d1 / (d2 * (d1 + d2))) * sl(2, 1)
            d1, d2 = dx[-2], dx[-1]
            last = (d2 / (d1 * (d1 + d2))) * sl(n - 3, 1) + (-(d2 + d1) / (d1 * d2)) * sl(n - 2, 1) \
                + ((2 * d2 + d1) / (d2 * (d1 + d2))) * sl(n - 1, 1)
    else:
        inner = (sl(2, n - 2) - sl(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first = (sl(1, 1) - sl(0, 1)) / h
            last = (sl(n - 1, 1) - sl(n - 2, 1)) / h
        else:
            first = (-1.5 * sl(0, 1) + 2 * sl(1, 1) - 0.5 * sl(2, 1)) / h
            last = (0.5 * sl(n - 3, 1) - 2 * sl(n - 2, 1) + 1.5 * sl(n - 1, 1)) / h
    return _fn.cat([first, inner, last], d)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The derivative of ``input`` along each dim of ``dim`` (all by default), by second-order central
    differences inside and one-sided differences of order ``edge_order`` (1 or 2) at the ends.
    ``spacing``: one number for every dim, one number per dim, or per dim a 1-D tensor of coordinates.
    Returns a tuple with one tensor per dim.

    >>> fngrad.gradient(fngrad.tensor([[1., 2.], [4., 8.]]), spacing=2.)
    (tensor([[1.5000, 3.0000],
            [1.5000, 3.0000]]), tensor([[0.5000, 0.5000],
            [2.0000, 2.0000]]))
    """
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if input.dtype == _C.uint8:
        raise RuntimeError("torch.gradient does not support uint8 input.")
    dims = _gradient_dims(input, dim)
    if spacing is None:
        spacing = 1
    if isinstance(spacing, (numbers.Number, _C.TensorBase)) and not (
            isinstance(spacing, _C.TensorBase) and spacing.dim() == 1):
        spacings = [spacing.item() if isinstance(spacing, _C.TensorBase) else spacing] * len(dims)
    else:
        spacings = list(spacing) if not isinstance(spacing, _C.TensorBase) else [spacing]
        if len(spacings) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and "
                               f"dim arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacings)} and a dim argument of length {len(dims)}.")
    for d, h in zip(dims, spacings):
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
        if isinstance(h, _C.TensorBase) and (h.dim() != 1 or h.shape[0] != input.shape[d]):
            raise RuntimeError(f"torch.gradient expected each tensor to be on the same device and of size "
                               f"{input.shape[d]} along dim {d}, but got {list(h.shape)}")
    return tuple(_gradient_one(input, d, h, edge_order) for d, h in zip(dims, spacings))


_METHODS = {"quantile": quantile, "nanquantile": nanquantile, "histogram": histogram}
