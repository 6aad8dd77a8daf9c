"""Normal(loc, scale)."""

from __future__ import annotations

import math

from .distribution import _LocScale
from .utils import _standard_normal

__all__ = ["Normal"]


class Normal(_LocScale):
    """The normal distribution N(loc, scale^2); ``rsample`` is ``loc + scale * eps``, differentiable.

    >>> import fngrad
    >>> from fngrad.distributions import Normal
    >>> Normal(0.0, 1.0).log_prob(fngrad.tensor(0.0))
    tensor(-0.9189)
    """

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def rsample(self, sample_shape=()):
        eps = _standard_normal(self._extended_shape(sample_shape), self.loc)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        value = self._checked_value(value)
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value):
        value = self._checked_value(value)
        return 0.5 * (1 + ((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)).erf())

    def icdf(self, value):
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

