"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` (``get_total_norm`` then
``clip_grads_with_norm_``) and ``clip_grad_value_``."""

from __future__ import annotations

import math
import warnings

from ... import _C
from ..._creation import tensor as _tensor
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _grads(parameters):
    if isinstance(parameters, _C.TensorBase):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of ``tensors`` taken together (as if concatenated into one vector); a
    non-finite norm raises with ``error_if_nonfinite``.

    >>> import fngrad
    >>> from fngrad import nn
    >>> nn.utils.get_total_norm([fngrad.tensor([3., 0.]), fngrad.tensor([4.])])
    tensor(5.)
    """
    tensors = [tensors] if isinstance(tensors, _C.TensorBase) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _tensor(0.0)
    with no_grad():
        if norm_type == math.inf:
            norms = [t.detach().abs().amax() for t in tensors]
            total_norm = norms[0] if len(norms) == 1 else _C.stack(norms, 0).amax()
        else:
            norms = [t.detach().norm(norm_type) for t in tensors]
            total_norm = _C.stack(norms, 0).norm(norm_type)
    if error_if_nonfinite and not math.isfinite(total_norm.item()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    return total_norm


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scales the gradients of ``parameters`` in place by ``max_norm / (total_norm + 1e-6)`` when that
    is below 1 (``total_norm`` from ``get_total_norm``, possibly over more tensors than these).

    >>> import fngrad
    >>> from fngrad import nn
    >>> w = nn.Parameter(fngrad.ones(2))
    >>> (w * 3).sum().backward()
    >>> nn.utils.clip_grads_with_norm_([w], 1.0, fngrad.tensor(6.0))
    >>> w.grad
    tensor([0.5000, 0.5000])
    """
    grads = _grads(parameters)
    max_norm = float(max_norm)
    if not grads:
        return
    with no_grad():
        clip_coef_clamped = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(clip_coef_clamped.to(g.dtype))


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
    parameters = [parameters] if isinstance(parameters, _C.TensorBase) else list(parameters)
    total_norm = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of ``clip_grad_norm_`` (a FutureWarning, as PyTorch).

    >>> import warnings
    >>> import fngrad
    >>> from fngrad import nn
    >>> w = nn.Parameter(fngrad.ones(4))
    >>> (w * 3).sum().backward()
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     nn.utils.clip_grad_norm([w], max_norm=1.0)
    tensor(6.)
    """
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


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
