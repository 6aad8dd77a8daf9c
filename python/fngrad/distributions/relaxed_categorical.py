"""RelaxedOneHotCategorical(temperature, probs | logits) and its log-space base."""

from __future__ import annotations

import math

from . import constraints
from .categorical import _WrapsCategorical
from .relaxed_bernoulli import _RelaxedParams
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform
from .utils import _as_tensor, _uniform, broadcast_all, clamp_probs

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(_WrapsCategorical):
    """The log of a RelaxedOneHotCategorical draw: log_softmax((logits + Gumbel noise) / temperature).

    >>> import fngrad
    >>> from fngrad.distributions.relaxed_categorical import ExpRelaxedCategorical
    >>> ExpRelaxedCategorical(fngrad.tensor(1.0), logits=fngrad.zeros(3)).rsample().exp().sum().item()
    1.0
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        super().__init__(probs, logits, validate_args)
        self.temperature = _as_tensor(temperature, self._categorical._param)

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        u = clamp_probs(_uniform(shape, self.logits))
        gumbels = -((-(u.log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value):
        k = self._categorical._num_events
        value = self._checked_value(value)
        logits, value = broadcast_all(self.logits, value)
        # log Gamma(K) is a constant: math.lgamma of an integer
        log_scale = math.lgamma(k) - self.temperature.log().mul(-(k - 1))
        score = logits - value.mul(self.temperature)
        score = (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(_RelaxedParams, TransformedDistribution):
    """A continuous relaxation of OneHotCategorical on the simplex (the Concrete / Gumbel-softmax
    distribution); ``rsample`` is differentiable in ``probs``/``logits``.

    >>> import fngrad
    >>> from fngrad.distributions import RelaxedOneHotCategorical
    >>> d = RelaxedOneHotCategorical(fngrad.tensor(0.5), probs=fngrad.tensor([0.2, 0.8]))
    >>> d.event_shape
    fngrad.Size([2])
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)
