"""Scans along a dim: cumsum, cumprod, cummax, cummin, logcumsumexp.

Forward in NumPy (``np.cumsum``, ``np.cumprod``, ``np.maximum.accumulate``,
``np.logaddexp.accumulate``); backward with these ops again (a reversed cumsum), with PyTorch's
formulas where a naive one fails: cumprod with zeros in the input, logcumsumexp with gradients of
both signs.
"""

from __future__ import annotations

import collections

import numpy as np

from . import _C
from ._functions import return_types
from ._indexing_ops import _dtype_name, _inplace, _np, _wrap, _wrap_dim, gather
from .autograd.function import Function
from .autograd.grad_mode import is_grad_enabled

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]

for _name in ("cummax", "cummin"):
    setattr(return_types, _name, collections.namedtuple(_name, ["values", "indices"]))
del _name


class _Flip(Function):
    """``input`` reversed along ``dim`` (a copy); its own gradient."""
    _node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, input, dim):
        ctx.dim = dim
        return _wrap(np.flip(_np(input), dim).copy(), input.dtype)

    @staticmethod
    def backward(ctx, grad):
        return _Flip.apply(grad, ctx.dim), None


def _flip(t, dim):
    return t if t.dim() == 0 else _Flip.apply(t, dim)


def _narrow(t, dim, start, stop):
    return t[(slice(None),) * dim + (slice(start, stop),)]


def _scan_input(op, input, dim, dtype):
    """(input cast to ``dtype``, wrapped dim); integer and bool inputs scan in int64, as PyTorch."""
    dim = _wrap_dim(dim, input.dim(), op)
    if dtype is not None:
        if dtype != input.dtype:
            input = input.to(dtype)
    elif not input.is_floating_point() and input.dtype != _C.int64:
        input = input.to(_C.int64)
    return input, dim


class _Cumsum(Function):
    """Running sums along ``dim``, from the end when ``reverse`` (the gradient of the other direction)."""
    _node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, input, dim, reverse):
        ctx.dim, ctx.reverse = dim, reverse
        if input.dim() and input.dtype in _NATIVE_SCAN:
            return _C._cumsum_dim(input, dim, reverse)
        a = _np(input)
        if not a.ndim:
            return _wrap(a.copy(), input.dtype)
        if reverse:
            return _wrap(np.flip(np.cumsum(np.flip(a, dim), axis=dim, dtype=a.dtype), dim), input.dtype)
        return _wrap(np.cumsum(a, axis=dim, dtype=a.dtype), input.dtype)

    @staticmethod
    def backward(ctx, grad):
        return _Cumsum.apply(grad, ctx.dim, not ctx.reverse), None, None


# The dtypes of the native scan (csrc/ops/dim_index.cpp); float16 and bfloat16 keep their NumPy path.
_NATIVE_SCAN = (_C.float32, _C.float64, _C.int64)


def _reversed_cumsum(t, dim):
    return _Cumsum.apply(t, dim, True)


def cumsum(input, dim, *, dtype=None):
    """Running sums along ``dim`` (in ``dtype`` if given; integers in int64).

    >>> fngrad.cumsum(fngrad.tensor([1., 2., 3.]), 0).tolist()
    [1.0, 3.0, 6.0]
    """
    input, dim = _scan_input("cumsum", input, dim, dtype)
    return _Cumsum.apply(input, dim, False)


class _Cumprod(Function):
    _node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, input, dim):
        ctx.dim = dim
        a = _np(input)
        out = _wrap(np.cumprod(a, axis=dim, dtype=a.dtype) if a.ndim else a.copy(), input.dtype)
        ctx.save_for_backward(input, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, out = ctx.saved_tensors
        dim = ctx.dim
        if input.dim() == 0 or input.shape[dim] <= 1:
            return grad, None
        if is_grad_enabled():  # under create_graph the output must be part of the graph
            out = cumprod(input, dim)
        if not bool((_np(input) == 0).any()):
            return _reversed_cumsum(grad * out, dim) / input, None
        # PyTorch's cumprod_backward with zeros, in its differentiable O(n^2) form: the gradient at k is
        # prod_{i<k} x_i * (g_k + sum_{j>k} g_j * prod_{k<i<=j} x_i), which never divides by x.
        n = input.shape[dim]
        parts = []
        for k in range(n):
            g_k = _narrow(grad, dim, k, k + 1)
            if k + 1 < n:
                tail = cumprod(_narrow(input, dim, k + 1, n), dim)
                g_k = g_k + (_narrow(grad, dim, k + 1, n) * tail).sum(dim, keepdim=True)
            parts.append(g_k if k == 0 else _narrow(out, dim, k - 1, k) * g_k)
        return _C.cat(parts, dim), None


def cumprod(input, dim, *, dtype=None):
    """Running products along ``dim`` (in ``dtype`` if given; integers in int64).

    >>> fngrad.cumprod(fngrad.tensor([1., 2., 3.]), 0).tolist()
    [1.0, 2.0, 6.0]
    """
    input, dim = _scan_input("cumprod", input, dim, dtype)
    return _Cumprod.apply(input, dim)


def _cumulative_extreme(op, input, dim, ufunc, tuple_type):
    dim = _wrap_dim(dim, input.dim(), op)
    a = _np(input)
    if a.ndim == 0:
        return tuple_type(gather(input, 0, _wrap(np.zeros((), np.int64))), _wrap(np.zeros((), np.int64)))
    running = ufunc.accumulate(a, axis=dim)
    # The index moves to every element that equals the running extreme (ties: the latest) or is NaN.
    hit = a == running
    if a.dtype.kind == "f":
        hit |= np.isnan(a)
    positions = np.arange(a.shape[dim], dtype=np.int64).reshape((-1,) + (1,) * (a.ndim - dim - 1))
    idx = np.maximum.accumulate(np.where(hit, positions, 0), axis=dim)
    index = _wrap(idx, private=True)
    return tuple_type(gather(input, dim, index), index)


def cummax(input, dim):
    """``(values, indices)``: the running maximum along ``dim`` and where it was (the latest of ties).

    >>> fngrad.cummax(fngrad.tensor([1., 3., 2.]), 0).indices.tolist()
    [0, 1, 1]
    """
    return _cumulative_extreme("cummax", input, dim, np.maximum, return_types.cummax)


def cummin(input, dim):
    """``(values, indices)``: the running minimum along ``dim`` and where it was (the latest of ties).

    >>> fngrad.cummin(fngrad.tensor([2., 1., 3.]), 0).values.tolist()
    [2.0, 1.0, 1.0]
    """
    return _cumulative_extreme("cummin", input, dim, np.minimum, return_types.cummin)


class _Logcumsumexp(Function):
    _node_name = "LogcumsumexpBackward0"

    @staticmethod
    def forward(ctx, input, dim):
        ctx.dim = dim
        a = _np(input)
        out = _wrap(np.logaddexp.accumulate(a, axis=dim) if a.ndim else a.copy(), input.dtype)
        ctx.save_for_backward(input, out)
        ctx.save_for_forward(input)
        return out

    @staticmethod
    def jvp(ctx, input_t, _):
        # PyTorch's logcumsumexp_jvp: cumsum(exp(x - m) * t) / cumsum(exp(x - m)), m the max along dim
        # (any m gives the same value; the max keeps exp from overflowing), 0 where the denominator
        # vanishes. The double-vjp cannot be used: the backward's log|grad| is not differentiable at
        # the zero cotangent it would be evaluated at.
        (input,) = ctx.saved_for_forward
        if input.dim() == 0:
            return input_t
        dim = ctx.dim
        m = input.detach().amax(dim, keepdim=True)
        e = (input - _C.where(m.isfinite(), m, 0.0)).exp()
        denom = cumsum(e, dim)
        return _C.where(denom.abs() > 1e-13, cumsum(e * input_t, dim) / denom, 0.0)

    @staticmethod
    def backward(ctx, grad):
        input, out = ctx.saved_tensors
        dim = ctx.dim
        if grad.dim() == 0 or grad.numel() == 0:
            return grad, None
        if is_grad_enabled():
            out = logcumsumexp(input, dim)
        # PyTorch's logcumsumexp_backward: the positive and negative parts of the gradient each go
        # through a reversed logcumsumexp in log space, so nothing overflows.
        lowest = float(np.finfo(_np(grad).dtype).min)
        log_abs = grad.abs().log()
        pos = _C.where(grad > 0, log_abs, lowest)
        neg = _C.where(grad < 0, log_abs, lowest)

        def reversed_lcse(t):
            return _flip(logcumsumexp(_flip(t, dim), dim), dim)

        return (reversed_lcse(pos - out) + input).exp() - (reversed_lcse(neg - out) + input).exp(), None


def logcumsumexp(input, dim):
    """``log(cumsum(exp(input)))`` along ``dim``, computed without overflow.

    >>> round(fngrad.logcumsumexp(fngrad.tensor([0., 0.]), 0)[1].item(), 4)
    0.6931
    """
    dim = _wrap_dim(dim, input.dim(), "logcumsumexp")
    if not input.is_floating_point():
        raise NotImplementedError(f"[logcumsumexp] \"logcumsumexp_out_cpu\" not implemented for "
                                  f"'{_dtype_name(input.dtype)}'")
    return _Logcumsumexp.apply(input, dim)


_METHODS = {name: globals()[name] for name in __all__}
_METHODS.update(cumsum_=_inplace(cumsum), cumprod_=_inplace(cumprod))
