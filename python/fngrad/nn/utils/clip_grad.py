"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``."""

from __future__ import annotations

import math

from ... import _C
from ..._creation import tensor as _tensor
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters):
    if isinstance(parameters, _C.TensorBase):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales the gradients of ``parameters`` in place so that their joint ``norm_type``-norm (as if
    concatenated into one vector) is at most ``max_norm``; returns that norm before clipping.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> w = nn.Parameter(fngrad.ones(4))
        >>> (w * 3).sum().backward()
        >>> nn.utils.clip_grad_norm_([w], max_norm=1.0)
        tensor(6.)
        >>> round(w.grad.norm().item(), 4)
        1.0
    """
    grads = _grads(parameters)
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not grads:
        return _tensor(0.0)
    with no_grad():
        if norm_type == math.inf:
            norms = [g.detach().abs().amax() for g in grads]
            total_norm = norms[0] if len(norms) == 1 else _C.stack(norms, 0).amax()
        else:
            norms = [g.detach().norm(norm_type) for g in grads]
            total_norm = _C.stack(norms, 0).norm(norm_type)
        if error_if_nonfinite and not math.isfinite(total_norm.item()):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                               "so it cannot be clipped. To disable this error and scale the gradients by the "
                               "non-finite norm anyway, set `error_if_nonfinite=False`")
        clip_coef_clamped = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(clip_coef_clamped.to(g.dtype))
    return total_norm


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient of ``parameters`` into [-clip_value, clip_value], in place.

    >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
    >>> (5 * w * w).sum().backward()
    >>> fngrad.nn.utils.clip_grad_value_([w], 4.0)
    >>> w.grad
    tensor([4., 4.])
    """
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
