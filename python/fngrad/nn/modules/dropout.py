"""Dropout layers (as ``torch.nn``'s): active in training mode only, each a call of its
``fngrad.nn.functional`` form."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    _fn = None  # the functional form, taking (input, p, training, inplace)

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes each element with probability ``p`` in training mode and scales the rest by 1 / (1 - p);
    the identity after ``eval()``.

    >>> from fngrad import nn
    >>> nn.Dropout(0.5).eval()(fngrad.ones(3))
    tensor([1., 1., 1.])
    """

    _fn = F.dropout


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of (N, C, L) or (C, L) input in training mode (``F.dropout1d``).

    >>> from fngrad import nn
    >>> nn.Dropout1d(0.5).eval()(fngrad.ones(2, 3)).sum().item()
    6.0
    """

    _fn = F.dropout1d


class Dropout2d(_DropoutNd):
    """Zeroes whole channels of (N, C, H, W) input in training mode (``F.dropout2d``).

    >>> from fngrad import nn
    >>> nn.Dropout2d(p=0.25)
    Dropout2d(p=0.25, inplace=False)
    """

    _fn = F.dropout2d


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) input in training mode (``F.dropout3d``).

    >>> from fngrad import nn
    >>> nn.Dropout3d(1.0)(fngrad.ones(1, 2, 1, 1, 1)).sum().item()
    0.0
    """

    _fn = F.dropout3d


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks (``F.alpha_dropout``): keeps the activations' mean and variance.

    >>> from fngrad import nn
    >>> nn.AlphaDropout(0.2).eval()(fngrad.ones(2)).tolist()
    [1.0, 1.0]
    """

    _fn = F.alpha_dropout


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout over whole channels (``F.feature_alpha_dropout``).

    >>> from fngrad import nn
    >>> nn.FeatureAlphaDropout(0.2).eval()(fngrad.ones(1, 2)).tolist()
    [[1.0, 1.0]]
    """

    _fn = F.feature_alpha_dropout
