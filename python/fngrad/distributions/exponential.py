"""Exponential(rate)."""

from __future__ import annotations

from .. import _creation
from . import constraints
from .distribution import Distribution
from .utils import _uniform, broadcast_all

__all__ = ["Exponential"]


class Exponential(Distribution):
    """The exponential distribution, density rate exp(-rate x) on x >= 0.

    >>> import fngrad
    >>> from fngrad.distributions import Exponential
    >>> Exponential(2.0).mean
    tensor(0.5000)
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return _creation.zeros(tuple(self.rate.shape), dtype=self.rate.dtype)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()):
        u = _uniform(self._extended_shape(sample_shape), self.rate)
        return -(-u).log1p() / self.rate  # u in [0, 1): 1 - u > 0

    def log_prob(self, value):
        value = self._checked_value(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        value = self._checked_value(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value):
        return -(-value).log1p() / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()
