"""PyTorch's ``native_*`` normalisation entry points, which return the saved statistics beside the
result: native_layer_norm (out, mean, rstd), native_batch_norm and _native_batch_norm_legit (out,
save_mean, save_invstd), native_group_norm; and native_dropout_backward. The result is ``nn.functional``'s
layer_norm/batch_norm (differentiable, double backward included); the statistics are computed apart and do not
require grad, as in PyTorch.

Example::

    >>> import fngrad
    >>> out, mean, rstd = fngrad.native_layer_norm(fngrad.tensor([[1., 3.]]), (2,), None, None, 0.)
    >>> out, mean
    (tensor([[-1.,  1.]]), tensor([[2.]]))
"""

from __future__ import annotations

import numpy as np

from . import _C
from ._indexing_ops import _np, _wrap
from .nn import functional as F

__all__ = ["native_layer_norm", "native_batch_norm", "_native_batch_norm_legit", "native_group_norm",
           "native_dropout_backward"]


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """``layer_norm`` with the mean and 1/std of each normalised slice, shaped
    ``input.shape[:-k] + (1,) * k`` for ``k = len(normalized_shape)``.

    >>> fngrad.native_layer_norm(fngrad.ones(2, 3), (3,), None, None, 1e-5)[1].shape
    fngrad.Size([2, 1])
    """
    normalized_shape = F._layer_norm_shape(input, normalized_shape)
    k = len(normalized_shape)
    if F._native_layer_norm_applies(input, normalized_shape, weight, bias):
        out, mean, rstd = _C._native_layer_norm(input, normalized_shape, weight, bias, eps)
        stat_shape = tuple(input.shape[:input.dim() - k]) + (1,) * k
        return out, mean.reshape(stat_shape), rstd.reshape(stat_shape)
    out = F.layer_norm(input, normalized_shape, weight, bias, eps)
    a = _np(input)
    dims = tuple(range(a.ndim - k, a.ndim))
    mean = a.mean(axis=dims, keepdims=True) if a.size else np.zeros(a.shape[:a.ndim - k] + (1,) * k, a.dtype)
    var = a.var(axis=dims, keepdims=True) if a.size else np.zeros_like(mean)
    return out, _wrap(mean.astype(a.dtype), input.dtype), _wrap((1 / np.sqrt(var + eps)).astype(a.dtype), input.dtype)


def _batch_stats(input, eps):
    a = _np(input)
    dims = (0,) + tuple(range(2, a.ndim))
    mean = a.mean(axis=dims)
    # (a bfloat16 input's statistics are computed in float32 and rounded back, as PyTorch's CPU kernels)
    return (_wrap(mean.astype(a.dtype), input.dtype),
            _wrap((1 / np.sqrt(a.var(axis=dims) + eps)).astype(a.dtype), input.dtype))


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """``batch_norm`` (updating the running statistics in place when ``training``) with the batch mean
    and 1/std of each channel (empty tensors in evaluation).

    >>> fngrad.native_batch_norm(fngrad.ones(2, 3), None, None, None, None, True, 0.1, 1e-5)[1]
    tensor([1., 1., 1.])
    """
    stats = _batch_stats(input, eps) if training else (_wrap(np.zeros(0, _np(input).dtype), input.dtype),) * 2
    out = F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    return (out,) + tuple(stats)


def _native_batch_norm_legit(input, weight, bias, *args):
    """``native_batch_norm`` with the running statistics optional: ``(input, weight, bias, running_mean,
    running_var, training, momentum, eps)`` or ``(input, weight, bias, training, momentum, eps)``.

    >>> fngrad._native_batch_norm_legit(fngrad.ones(2, 3), None, None, True, 0.1, 1e-5)[0]
    tensor([[0., 0., 0.],
            [0., 0., 0.]])
    """
    if len(args) == 3:
        args = (None, None) + tuple(args)
    running_mean, running_var, training, momentum, eps = args
    return native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """``group_norm`` of ``input`` (N, C, *) with ``group`` groups, with the mean and 1/std of each
    (sample, group), shaped (N, group); all three are differentiable, as in PyTorch. ``N``, ``C``,
    ``HxW`` repeat the input's sizes, as in PyTorch.

    >>> fngrad.native_group_norm(fngrad.ones(2, 4, 3), None, None, 2, 4, 3, 2, 1e-5)[1].shape
    fngrad.Size([2, 2])
    """
    if tuple(input.shape[:2]) != (N, C) or input.numel() != N * C * HxW:
        raise RuntimeError(f"[native_group_norm] Expected input of N={N}, C={C}, HxW={HxW} elements, got shape "
                           f"{list(input.shape)}")
    out = F.group_norm(input, group, weight, bias, eps)
    groups = input.reshape(N, group, (C // group) * HxW)
    return out, groups.mean(-1), (groups.var(-1, unbiased=False) + eps).rsqrt()


def native_dropout_backward(grad_output, mask, scale):
    """The gradient of dropout: ``grad_output`` where ``mask`` (bool) is set, times ``scale``.

    >>> fngrad.native_dropout_backward(fngrad.ones(2), fngrad.tensor([True, False]), 2.0)
    tensor([2., 0.])
    """
    return grad_output * mask.to(grad_output.dtype) * scale
