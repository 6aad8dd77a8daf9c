"""InstanceNorm1d and InstanceNorm2d (as in ``torch.nn``)."""

from __future__ import annotations

from ... import _C
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import _factory_dtype
from .module import Module

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(Module):
    _nd = 0

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        dtype = _factory_dtype(dtype, device)
        name = type(self).__name__
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self._has_bias = affine and bias  # PyTorch's repr shows bias=False for a non-affine norm
        self.register_parameter("weight", Parameter(_C.empty((num_features,), dtype, name)) if affine else None)
        self.register_parameter("bias", Parameter(_C.empty((num_features,), dtype, name)) if self._has_bias else None)
        if affine:
            init.ones_(self.weight)
        if self._has_bias:
            init.zeros_(self.bias)
        if track_running_stats:
            self.register_buffer("running_mean", _C.full((num_features,), 0.0, dtype))
            self.register_buffer("running_var", _C.full((num_features,), 1.0, dtype))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)

    def forward(self, input):
        if input.dim() not in (self._nd + 1, self._nd + 2):
            raise ValueError(f"expected {self._nd + 1}D or {self._nd + 2}D input (got {input.dim()}D input)")
        unbatched = input.dim() == self._nd + 1
        x = input.unsqueeze(0) if unbatched else input
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats, self.momentum, self.eps)
        return out.squeeze(0) if unbatched else out

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self._has_bias}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Normalises each (sample, channel) of (N, C, L) input over L.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.InstanceNorm1d(3)(fngrad.randn(2, 3, 5)).shape
        fngrad.Size([2, 3, 5])
    """

    _nd = 1


class InstanceNorm2d(_InstanceNorm):
    """Normalises each (sample, channel) of (N, C, H, W) input over H, W.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.InstanceNorm2d(3, affine=True)(fngrad.randn(2, 3, 4, 4)).shape
        fngrad.Size([2, 3, 4, 4])
    """

    _nd = 2


class InstanceNorm3d(_InstanceNorm):
    """Normalises each (sample, channel) of (N, C, D, H, W) input over D, H, W.

    >>> from fngrad import nn
    >>> nn.InstanceNorm3d(2)(fngrad.randn(1, 2, 3, 3, 3)).shape
    fngrad.Size([1, 2, 3, 3, 3])
    """

    _nd = 3
