"""LayerNorm (as ``torch.nn.LayerNorm``)."""

from __future__ import annotations

import numbers

from ... import _C
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import _factory_dtype
from .module import Module

__all__ = ["LayerNorm"]


class LayerNorm(Module):
    """Normalises over the last dims (``normalized_shape``), then scales and shifts elementwise.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> ln = nn.LayerNorm(4)
        >>> y = ln(fngrad.randn(2, 4))
        >>> bool(y.mean(-1).abs().max() < 1e-5)
        True
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        dtype = _factory_dtype(dtype, device)
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if self.elementwise_affine:
            self.weight = Parameter(_C.empty(self.normalized_shape, dtype, "LayerNorm"))
            if bias:
                self.bias = Parameter(_C.empty(self.normalized_shape, dtype, "LayerNorm"))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight ones, bias zeros.

        >>> from fngrad import nn
        >>> ln = nn.LayerNorm(2)
        >>> _ = nn.init.zeros_(ln.weight)
        >>> ln.reset_parameters()
        >>> ln.weight
        Parameter containing:
        tensor([1., 1.], requires_grad=True)
        """
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


__all__ += ["GroupNorm"]


class GroupNorm(Module):
    """Normalises groups of channels of each sample, then applies a per-channel affine.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.GroupNorm(2, 4)(fngrad.randn(3, 4, 5)).shape
        fngrad.Size([3, 4, 5])
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        dtype = _factory_dtype(dtype, device)
        if num_channels % num_groups != 0:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(_C.empty((num_channels,), dtype, "GroupNorm"))
            if bias:
                self.bias = Parameter(_C.empty((num_channels,), dtype, "GroupNorm"))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight ones, bias zeros.

        >>> from fngrad import nn
        >>> gn = nn.GroupNorm(1, 2)
        >>> _ = nn.init.zeros_(gn.weight)
        >>> gn.reset_parameters()
        >>> gn.weight
        Parameter containing:
        tensor([1., 1.], requires_grad=True)
        """
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


__all__ += ["RMSNorm", "LocalResponseNorm"]


class RMSNorm(Module):
    """Root-mean-square normalisation over the last dims, times an optional elementwise weight.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.RMSNorm(4)(fngrad.randn(3, 4)).shape
        fngrad.Size([3, 4])
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        dtype = _factory_dtype(dtype, device)
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_C.empty(self.normalized_shape, dtype, "RMSNorm"))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight ones.

        >>> from fngrad import nn
        >>> norm = nn.RMSNorm(2)
        >>> _ = nn.init.zeros_(norm.weight)
        >>> norm.reset_parameters()
        >>> norm.weight
        Parameter containing:
        tensor([1., 1.], requires_grad=True)
        """
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    """Normalises each channel by the mean square of its ``size`` neighbouring channels.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.LocalResponseNorm(2)(fngrad.randn(1, 4, 3)).shape
        fngrad.Size([1, 4, 3])
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
