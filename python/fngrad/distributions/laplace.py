"""Laplace(loc, scale)."""

from __future__ import annotations

import math

from .._typeinfo import finfo
from .distribution import _LocScale
from .utils import _uniform

__all__ = ["Laplace"]


class Laplace(_LocScale):
    """The Laplace (double exponential) distribution, density exp(-|x - loc| / scale) / (2 scale).

    >>> import fngrad
    >>> from fngrad.distributions import Laplace
    >>> Laplace(0.0, 1.0).entropy()
    tensor(1.6931)
    """

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape=()):
        # u uniform on (-1, 1): loc - scale sign(u) log(1 - |u|) (inverse CDF); eps - 1 keeps log finite
        eps = finfo(self.loc.dtype).eps
        u = _uniform(self._extended_shape(sample_shape), self.loc) * (2 - eps) + (eps - 1)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        value = self._checked_value(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        value = self._checked_value(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * (-(value - self.loc).abs() / self.scale).expm1()

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        return 1 + (2 * self.scale).log()
