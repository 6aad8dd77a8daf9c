"""OneHotCategorical(probs | logits)."""

from __future__ import annotations

from .. import _creation
from ..nn import functional as F
from . import constraints
from .categorical import _WrapsCategorical

__all__ = ["OneHotCategorical"]


class OneHotCategorical(_WrapsCategorical):
    """A Categorical draw written as a one-hot vector (event shape ``(K,)``).

    >>> import fngrad
    >>> from fngrad.distributions import OneHotCategorical
    >>> OneHotCategorical(probs=fngrad.tensor([0.25, 0.75])).log_prob(fngrad.tensor([0.0, 1.0]))
    tensor(-0.2877)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    support = constraints.one_hot
    has_enumerate_support = True

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return F.one_hot(self.probs.argmax(-1), self._event_shape[0]).to(self.probs.dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        indices = self._categorical.sample(sample_shape)
        return F.one_hot(indices, self._event_shape[0]).to(self.probs.dtype)

    def log_prob(self, value):
        value = self._checked_value(value)
        return self._categorical.log_prob(value.max(-1)[1])

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        n = self._event_shape[0]
        values = _creation.eye(n, dtype=self.probs.dtype).reshape((n,) + (1,) * len(self._batch_shape) + (n,))
        return values.expand((n,) + tuple(self._batch_shape) + (n,)) if expand else values
