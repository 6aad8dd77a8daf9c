"""Helpers the distributions share: turning parameters into broadcast tensors, and the probs/logits
conversions (``torch.distributions.utils``).

>>> import fngrad
>>> from fngrad.distributions.utils import broadcast_all, logits_to_probs
>>> [t.shape for t in broadcast_all(fngrad.zeros(3), 1.0)]
[fngrad.Size([3]), fngrad.Size([3])]
>>> logits_to_probs(fngrad.tensor([0.0]), is_binary=True)
tensor([0.5000])
"""

from __future__ import annotations

from functools import cached_property as lazy_property  # noqa: F401  (stored in __dict__, as PyTorch's)

from .. import _C, _creation
from .._math_more import broadcast_tensors
from .._typeinfo import finfo

__all__ = ["broadcast_all", "logits_to_probs", "probs_to_logits", "clamp_probs"]


def _as_tensor(value, like=None):
    if isinstance(value, _C.TensorBase):
        return value
    dtype = like.dtype if like is not None and like.is_floating_point() else _creation.get_default_dtype()
    return _creation.tensor(value, dtype=dtype)


def broadcast_all(*values):
    """The values as tensors of one broadcast shape; numbers take the first tensor's floating dtype.

    >>> [tuple(t.shape) for t in broadcast_all(fngrad.zeros(2, 1), fngrad.zeros(3))]
    [(2, 3), (2, 3)]
    """
    for v in values:
        if not isinstance(v, (_C.TensorBase, int, float)):
            raise ValueError("Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
                             "implementing __torch_function__.")
    like = next((v for v in values if isinstance(v, _C.TensorBase)), None)
    return broadcast_tensors(*(_as_tensor(v, like) for v in values))


def clamp_probs(probs):
    """Probabilities clamped into [eps, 1 - eps] of their dtype, so their logs are finite.

    >>> clamp_probs(fngrad.tensor([0.0, 1.0], dtype=fngrad.float64))[0].item() > 0
    True
    """
    eps = finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    """Softmax of the last dim (or the sigmoid, ``is_binary``).

    >>> logits_to_probs(fngrad.zeros(2))
    tensor([0.5000, 0.5000])
    """
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs, is_binary=False):
    """Log-probabilities (log-odds, ``is_binary``) of probabilities clamped away from 0 and 1.

    >>> probs_to_logits(fngrad.tensor([0.5]), is_binary=True)
    tensor([0.])
    """
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def _sum_rightmost(value, dim):
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1) if dim > 0 else value


def _standard_normal(shape, like):
    return _creation.randn(tuple(shape), dtype=like.dtype)


def _uniform(shape, like):
    return _creation.rand(tuple(shape), dtype=like.dtype)
