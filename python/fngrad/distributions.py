"""``fngrad.distributions``: the probability distributions policy-gradient and variational code uses,
as ``torch.distributions``: ``Normal`` (reparameterised ``rsample``), ``Categorical`` and
``Bernoulli``, with ``log_prob``, ``entropy``, ``sample``, their moments, PyTorch's argument checks,
and ``kl_divergence`` between two of one family. Draws come from fngrad's global generator
(``fngrad.manual_seed``); ``log_prob`` and ``entropy`` are differentiable in the parameters.

Example::

    >>> import fngrad
    >>> from fngrad.distributions import Categorical
    >>> logits = fngrad.zeros(4, requires_grad=True)
    >>> Categorical(logits=logits).log_prob(fngrad.tensor(2))
    tensor(-1.3863, grad_fn=<SqueezeBackward1>)
"""

from __future__ import annotations

import math

from . import _C, _creation
from ._math_more import broadcast_tensors
from ._typeinfo import finfo
from .autograd.grad_mode import no_grad
from .nn import functional as F

__all__ = ["Distribution", "Normal", "Categorical", "Bernoulli", "kl_divergence"]


def _as_tensor(value, like=None):
    if isinstance(value, _C.TensorBase):
        return value
    dtype = like.dtype if like is not None and like.is_floating_point() else _creation.get_default_dtype()
    return _creation.tensor(value, dtype=dtype)


def _broadcast_all(*values):
    like = next((v for v in values if isinstance(v, _C.TensorBase)), None)
    return broadcast_tensors(*(_as_tensor(v, like) for v in values))


class Distribution:
    """The base class: ``batch_shape`` (independent draws) and ``event_shape`` (one draw's shape).

    >>> from fngrad.distributions import Normal
    >>> Normal(fngrad.zeros(3), 1.0).batch_shape
    fngrad.Size([3])
    """

    has_rsample = False
    _params: tuple = ()

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = _C.Size(batch_shape)
        self._event_shape = _C.Size(event_shape)

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    @property
    def stddev(self):
        return self.variance.sqrt()

    def _extended_shape(self, sample_shape=()):
        return tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape)

    def sample(self, sample_shape=()):
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        raise NotImplementedError(f"{type(self).__name__} has no rsample (it is not reparameterizable)")

    def _invalid(self, name, value, constraint):
        raise ValueError(f"Expected parameter {name} ({type(value).__name__} of shape {tuple(value.shape)}) of "
                         f"distribution {self!r} to satisfy the constraint {constraint}, but found invalid values:\n"
                         f"{value}")

    def __repr__(self):
        shown = []
        for name in self._params:
            value = self.__dict__.get(name)
            if value is not None:
                shown.append(f"{name}: {value.item() if value.numel() == 1 and value.dim() == 0 else value.size()}"
                             if value.numel() != 1 or value.dim() == 0 else f"{name}: {value}")
        return f"{type(self).__name__}({', '.join(shown)})"


class Normal(Distribution):
    """The normal distribution N(loc, scale^2); ``rsample`` is ``loc + scale * eps``, differentiable.

    >>> from fngrad.distributions import Normal
    >>> Normal(0.0, 1.0).log_prob(fngrad.tensor(0.0))
    tensor(-0.9189)
    """

    has_rsample = True
    _params = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = _broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)
        if validate_args is not False and not bool((self.scale > 0).all()):
            self._invalid("scale", self.scale, "GreaterThan(lower_bound=0.0)")

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def rsample(self, sample_shape=()):
        eps = _creation.randn(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        value = _as_tensor(value, self.loc)
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value):
        value = _as_tensor(value, self.loc)
        return 0.5 * (1 + ((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)).erf())

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()


class Categorical(Distribution):
    """A draw of one of K categories, from ``probs`` (normalised along the last dim) or ``logits``.

    >>> from fngrad.distributions import Categorical
    >>> Categorical(probs=fngrad.tensor([1.0, 3.0])).probs
    tensor([0.2500, 0.7500])
    """

    _params = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            probs = _as_tensor(probs)
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            if validate_args is not False and not bool((probs >= 0).all()):
                self.logits = None
                self._invalid("probs", probs, "Simplex()")
            eps = finfo(self.probs.dtype).eps
            self.logits = self.probs.clamp(eps, 1 - eps).log()
        else:
            logits = _as_tensor(logits)
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
        self._num_events = self.probs.shape[-1]
        super().__init__(self.probs.shape[:-1], validate_args=validate_args)

    @property
    def param_shape(self):
        return self.probs.shape

    @property
    def mean(self):
        return _creation.full(tuple(self._batch_shape), math.nan, dtype=self.probs.dtype)

    variance = mean

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
            return picked.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        value = _as_tensor(value).long().unsqueeze(-1)
        value, log_pmf = broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        logits = self.logits.clamp(min=finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)


class Bernoulli(Distribution):
    """A coin with probability ``probs`` of 1 (or ``logits`` = log-odds).

    >>> from fngrad.distributions import Bernoulli
    >>> Bernoulli(probs=fngrad.tensor([0.25])).entropy()
    tensor([0.5623])
    """

    _params = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = _broadcast_all(probs)
            if validate_args is not False and not bool(((self.probs >= 0) & (self.probs <= 1)).all()):
                self.logits = None
                self._invalid("probs", self.probs, "Interval(lower_bound=0.0, upper_bound=1.0)")
            eps = finfo(self.probs.dtype).eps
            p = self.probs.clamp(eps, 1 - eps)
            self.logits = p.log() - (-p).log1p()
        else:
            (self.logits,) = _broadcast_all(logits)
            self.probs = self.logits.sigmoid()
        super().__init__(self.probs.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        with no_grad():
            u = _creation.rand(self._extended_shape(sample_shape), dtype=self.probs.dtype)
            return (u < self.probs).to(self.probs.dtype)

    def log_prob(self, value):
        logits, value = broadcast_tensors(self.logits, _as_tensor(value, self.logits))
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")


def kl_divergence(p, q):
    """KL(p || q) for two distributions of one family (Normal, Categorical, Bernoulli).

    >>> from fngrad.distributions import Normal, kl_divergence
    >>> kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0))
    tensor(0.4431)
    """
    if type(p) is not type(q) or not isinstance(p, (Normal, Categorical, Bernoulli)):
        raise NotImplementedError(f"No KL(p || q) is implemented for p of type {type(p).__name__} and q of type "
                                  f"{type(q).__name__}")
    if isinstance(p, Normal):
        var_ratio = (p.scale / q.scale).pow(2)
        t1 = ((p.loc - q.loc) / q.scale).pow(2)
        return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())
    if isinstance(p, Bernoulli):
        # p log(p/q) + (1-p) log((1-p)/(1-q)), through the log-odds (finite at p in {0, 1})
        t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
        t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
        return t1 + t2
    t = p.probs * (p.logits - q.logits)
    t = t.masked_fill((q.probs == 0).expand_as(t), math.inf)
    return t.masked_fill((p.probs == 0).expand_as(t), 0.0).sum(-1)
