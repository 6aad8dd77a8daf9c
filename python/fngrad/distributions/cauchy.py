"""Cauchy(loc, scale)."""

from __future__ import annotations

import math

from .. import _creation
from .distribution import _LocScale
from .utils import _uniform

__all__ = ["Cauchy"]


class Cauchy(_LocScale):
    """The Cauchy (Lorentz) distribution; it has no mean or variance (NaN and inf, as PyTorch's).

    >>> import fngrad
    >>> from fngrad.distributions import Cauchy
    >>> Cauchy(0.0, 1.0).cdf(fngrad.tensor(1.0))
    tensor(0.7500)
    """

    @property
    def mean(self):
        return _creation.full(tuple(self._extended_shape()), math.nan, dtype=self.loc.dtype)

    @property
    def variance(self):
        return _creation.full(tuple(self._extended_shape()), math.inf, dtype=self.loc.dtype)

    def rsample(self, sample_shape=()):
        u = _uniform(self._extended_shape(sample_shape), self.loc)
        return self.loc + self.scale * (math.pi * (u - 0.5)).tan()

    def log_prob(self, value):
        value = self._checked_value(value)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value):
        value = self._checked_value(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value):
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()
