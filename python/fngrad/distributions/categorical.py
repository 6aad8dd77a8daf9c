"""Categorical(probs | logits)."""

from __future__ import annotations

import math

from .. import _creation
from .._math_more import broadcast_tensors
from .._typeinfo import finfo
from ..autograd.grad_mode import no_grad
from . import constraints
from .distribution import Distribution
from .utils import _as_tensor, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


def _probs_or_logits(probs, logits):
    """The one of probs/logits given, as a tensor of at least one dim (PyTorch's checks and words)."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    name, value = ("probs", probs) if probs is not None else ("logits", logits)
    value = _as_tensor(value)
    if value.dim() < 1:
        raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
    return name, value


class Categorical(Distribution):
    """A draw of one of K categories, from ``probs`` (normalised along the last dim) or ``logits``.

    >>> import fngrad
    >>> from fngrad.distributions import Categorical
    >>> Categorical(probs=fngrad.tensor([1.0, 3.0])).probs
    tensor([0.2500, 0.7500])
    >>> Categorical(logits=fngrad.zeros(3)).enumerate_support()
    tensor([0, 1, 2])
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        name, value = _probs_or_logits(probs, logits)
        if name == "probs":
            self.probs = value / value.sum(-1, keepdim=True)
        else:
            self.logits = value - value.logsumexp(-1, keepdim=True)
        self._param = self.probs if name == "probs" else self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], validate_args=validate_args)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return _creation.full(tuple(self._batch_shape), math.nan, dtype=self.probs.dtype)

    @property
    def variance(self):
        return _creation.full(tuple(self._batch_shape), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    def sample(self, sample_shape=()):
        with no_grad():
            rows = self.probs.reshape(-1, self._num_events)
            n = int(math.prod(sample_shape))
            u = _creation.rand((n, rows.shape[0], 1), dtype=rows.dtype)
            # the first category whose cumulative probability passes u (inverse-CDF sampling)
            picked = (rows.cumsum(-1) < u).sum(-1).clamp(max=self._num_events - 1)
            return picked.reshape(tuple(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        value = self._checked_value(value)
        value = _as_tensor(value).long().unsqueeze(-1)
        value, log_pmf = broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        logits = self.logits.clamp(min=finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = _creation.arange(self._num_events).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class _WrapsCategorical(Distribution):
    """A distribution over K categories made from a ``Categorical`` (its probs/logits are the Categorical's)."""

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._categorical = self._categorical.expand(batch_shape)
        return self._finish_expand(new, batch_shape)
