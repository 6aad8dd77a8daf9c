"""The base class of every distribution: shapes, argument and sample validation, expand."""

from __future__ import annotations

import warnings

from .. import _C
from ..autograd.grad_mode import no_grad
from . import constraints
from .utils import broadcast_all, lazy_property

__all__ = ["Distribution"]


class Distribution:
    """The base class: ``batch_shape`` (independent draws) and ``event_shape`` (one draw's shape).

    Arguments are checked against ``arg_constraints`` when ``validate_args`` is on (the default, as
    PyTorch's ``__debug__``), and ``log_prob``'s value against ``support``.

    >>> import fngrad
    >>> from fngrad.distributions import Normal
    >>> Normal(fngrad.zeros(3), 1.0).batch_shape
    fngrad.Size([3])
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__
    # tensors expand() leaves as they are (factors kept unbroadcast, as MultivariateNormal's)
    _keep_on_expand: tuple = ()

    @staticmethod
    def set_default_validate_args(value):
        """Turn argument validation on or off for distributions made without ``validate_args``.

        >>> Distribution.set_default_validate_args(True)
        """
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = _C.Size(batch_shape)
        self._event_shape = _C.Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if not self._validate_args:
            return
        for param, constraint in self.arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if param not in self.__dict__ and isinstance(getattr(type(self), param, None), lazy_property):
                continue  # derived from the parameter given, which is the one checked
            value = getattr(self, param)
            if not bool(constraint.check(value).all()):
                raise ValueError(f"Expected parameter {param} ({type(value).__name__} of shape "
                                 f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                                 f"{constraint!r}, but found invalid values:\n{value}")

    @property
    def arg_constraints(self):
        """{parameter name: the constraint it must satisfy}."""
        raise NotImplementedError

    @property
    def support(self):
        """The constraint samples satisfy."""
        raise NotImplementedError

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__} has no mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__} has no variance")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def expand(self, batch_shape, _instance=None):
        """This distribution with its parameters broadcast (as views) to ``batch_shape``.

        >>> from fngrad.distributions import Normal
        >>> Normal(0.0, 1.0).expand((2, 3)).batch_shape
        fngrad.Size([2, 3])
        """
        batch_shape = _C.Size(batch_shape)
        new = type(self).__new__(type(self)) if _instance is None else _instance
        old_batch = len(self._batch_shape)
        for name, value in self.__dict__.items():
            if isinstance(value, _C.TensorBase) and name not in self._keep_on_expand and value.dim() >= old_batch:
                value = value.expand(tuple(batch_shape) + tuple(value.shape[old_batch:]))
            new.__dict__[name] = value
        return self._finish_expand(new, batch_shape)

    def _finish_expand(self, new, batch_shape):
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _extended_shape(self, sample_shape=()):
        return _C.Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=()):
        """A draw (not differentiable) of shape ``sample_shape + batch_shape + event_shape``."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        """A reparameterised draw: differentiable in the parameters."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample (it is not reparameterizable)")

    def sample_n(self, n):
        warnings.warn("sample_n will be deprecated. Use .sample((n,)) instead", UserWarning, stacklevel=2)
        return self.sample((n,))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        """exp(entropy)."""
        return self.entropy().exp()

    def _validate_sample(self, value):
        if not isinstance(value, _C.TensorBase):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_start = value.dim() - len(self._event_shape)
        if tuple(value.shape[event_start:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: {value.size()} vs "
                             f"{self._event_shape}.")
        actual, expected = value.size(), self._batch_shape + self._event_shape
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {actual} vs {expected}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{type(self)} does not define `support` to enable sample validation. Please "
                          "initialize the distribution with `validate_args=False` to turn off validation.",
                          stacklevel=2)
            return
        if not bool(support.check(value).all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to be "
                             f"within the support ({support!r}) of the distribution {self!r}, but found invalid "
                             f"values:\n{value}")

    def _checked_value(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return value

    def __repr__(self):
        shown = []
        for name in self.arg_constraints:
            value = self.__dict__.get(name)
            if isinstance(value, _C.TensorBase):
                shown.append(f"{name}: {(value.item() if value.dim() == 0 else value) if value.numel() == 1 else value.size()}")
        return f"{type(self).__name__}({', '.join(shown)})"


class _LocScale(Distribution):
    """A family with a real ``loc`` and a positive ``scale`` broadcast together; its mean and mode are loc."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc
