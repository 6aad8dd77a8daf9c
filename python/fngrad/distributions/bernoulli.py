"""Bernoulli(probs | logits)."""

from __future__ import annotations

import math

from .. import _creation
from .._math_more import broadcast_tensors
from ..autograd.grad_mode import no_grad
from ..nn import functional as F
from . import constraints
from .distribution import Distribution
from .utils import _as_tensor, _uniform, broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Bernoulli"]


class _BinaryParams(Distribution):
    """One of ``probs`` (in [0, 1]) or ``logits`` (log-odds), the other derived on first use."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, value = ("probs", probs) if probs is not None else ("logits", logits)
        (self._param,) = broadcast_all(value)
        self.__dict__[name] = self._param
        super().__init__(self._param.shape, validate_args=validate_args)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.shape


class Bernoulli(_BinaryParams):
    """A coin with probability ``probs`` of 1 (or ``logits`` = log-odds).

    >>> import fngrad
    >>> from fngrad.distributions import Bernoulli
    >>> Bernoulli(probs=fngrad.tensor([0.25])).entropy()
    tensor([0.5623])
    """

    support = constraints.boolean
    has_enumerate_support = True

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.masked_fill(self.probs == 0.5, math.nan)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        with no_grad():
            u = _uniform(self._extended_shape(sample_shape), self.probs)
            return (u < self.probs).to(self.probs.dtype)

    def log_prob(self, value):
        value = self._checked_value(value)
        logits, value = broadcast_tensors(self.logits, _as_tensor(value, self.logits))
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        values = _creation.arange(2, dtype=self._param.dtype).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
