"""``fngrad.distributions``: the probability distributions reinforcement-learning and variational code
uses, as ``torch.distributions``: sampling (``sample``, and ``rsample`` differentiable in the
parameters where PyTorch has it), ``log_prob``, ``entropy``, moments, ``cdf``/``icdf``, ``expand``,
``enumerate_support`` for the discrete ones, PyTorch's argument checks (``validate_args``) and
``kl_divergence`` for PyTorch's registered pairs (``register_kl`` adds more). Draws come from
fngrad's global generator (``fngrad.manual_seed``).

Families: Normal, MultivariateNormal, LogNormal, Uniform, Laplace, Exponential, Cauchy, Gumbel,
Bernoulli, Categorical, OneHotCategorical, RelaxedBernoulli, RelaxedOneHotCategorical; the wrappers
Independent, TransformedDistribution (with ``transforms``) and MixtureSameFamily; ``constraints``.

Example::

    >>> import fngrad
    >>> from fngrad.distributions import Categorical
    >>> logits = fngrad.zeros(4, requires_grad=True)
    >>> Categorical(logits=logits).log_prob(fngrad.tensor(2))
    tensor(-1.3863, grad_fn=<SqueezeBackward1>)
"""

from . import constraints, transforms
from .bernoulli import Bernoulli
from .categorical import Categorical
from .cauchy import Cauchy
from .distribution import Distribution
from .exponential import Exponential
from .gumbel import Gumbel
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .log_normal import LogNormal
from .mixture_same_family import MixtureSameFamily
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .relaxed_bernoulli import RelaxedBernoulli
from .relaxed_categorical import RelaxedOneHotCategorical
from .transformed_distribution import TransformedDistribution
from .transforms import (
                         AbsTransform,
                         AffineTransform,
                         ComposeTransform,
                         ExpTransform,
                         IndependentTransform,
                         PowerTransform,
                         SigmoidTransform,
                         SoftplusTransform,
                         TanhTransform,
                         Transform,
                         identity_transform,
)
from .uniform import Uniform

__all__ = ["AbsTransform", "AffineTransform", "Bernoulli", "Categorical", "Cauchy", "ComposeTransform",
           "Distribution", "ExpTransform", "Exponential", "Gumbel", "Independent", "IndependentTransform",
           "Laplace", "LogNormal", "MixtureSameFamily", "MultivariateNormal", "Normal", "OneHotCategorical",
           "PowerTransform", "RelaxedBernoulli", "RelaxedOneHotCategorical", "SigmoidTransform",
           "SoftplusTransform", "TanhTransform", "Transform", "TransformedDistribution", "Uniform",
           "constraints", "identity_transform", "kl_divergence", "register_kl", "transforms"]
