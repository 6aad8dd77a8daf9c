"""RelaxedBernoulli(temperature, probs | logits) and its logit-space base."""

from __future__ import annotations

from . import constraints
from .bernoulli import _BinaryParams
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from .utils import _as_tensor, _uniform, broadcast_all, clamp_probs

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


class LogitRelaxedBernoulli(_BinaryParams):
    """The logit of a RelaxedBernoulli draw: (logistic noise + logits) / temperature.

    >>> import fngrad
    >>> from fngrad.distributions.relaxed_bernoulli import LogitRelaxedBernoulli
    >>> LogitRelaxedBernoulli(fngrad.tensor(1.0), probs=fngrad.tensor(0.5)).log_prob(fngrad.tensor(0.0))
    tensor(-1.3863)
    """

    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        super().__init__(probs, logits, validate_args=validate_args)
        self.temperature = _as_tensor(temperature, self._param)

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        probs = clamp_probs(self.probs.expand(shape))
        u = clamp_probs(_uniform(shape, probs))
        return (u.log() - (-u).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        value = self._checked_value(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value.mul(self.temperature)
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class _RelaxedParams:
    """temperature, logits and probs of a relaxed distribution, read from its base distribution."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class RelaxedBernoulli(_RelaxedParams, TransformedDistribution):
    """A continuous relaxation of Bernoulli on (0, 1) (the binary Concrete distribution): sigmoid of
    a LogitRelaxedBernoulli draw; ``rsample`` is differentiable in ``probs``/``logits``.

    >>> import fngrad
    >>> from fngrad.distributions import RelaxedBernoulli
    >>> d = RelaxedBernoulli(fngrad.tensor(0.5), probs=fngrad.tensor([0.3, 0.9]))
    >>> d.rsample().shape
    fngrad.Size([2])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)
