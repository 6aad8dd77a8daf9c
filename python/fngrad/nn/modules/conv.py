"""Conv1d/2d/3d and ConvTranspose1d/2d/3d (as ``torch.nn``'s), over ``F.conv*`` (im2col compositions)."""

from __future__ import annotations

import math

from ... import _C
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import _factory_dtype
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d"]


class _ConvNd(Module):
    _nd = 0
    _fn = None
    _transposed = False  # a transposed convolution's weight is (in, out / groups, *kernel)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        dtype = _factory_dtype(dtype, device)
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in F._ntuple(stride, nd, "stride", type(self).__name__)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        modes = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in modes:
            raise ValueError(f"padding_mode must be one of {modes}, but got padding_mode='{padding_mode}'")
        name = type(self).__name__
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = F._ntuple(kernel_size, nd, "kernel_size", name)
        self.stride = F._ntuple(stride, nd, "stride", name)
        self.padding = padding if isinstance(padding, str) else F._ntuple(padding, nd, "padding", name)
        self.dilation = F._ntuple(dilation, nd, "dilation", name)
        # F.pad's (last dim first, left then right) padding for a padding_mode other than zeros; for
        # "same", an odd total puts the extra on the right, as PyTorch does.
        if isinstance(self.padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * nd
            if self.padding == "same":
                for i, (d, k) in enumerate(zip(reversed(self.dilation), reversed(self.kernel_size))):
                    total = d * (k - 1)
                    self._reversed_padding_repeated_twice[2 * i:2 * i + 2] = [total // 2, total - total // 2]
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(self.padding) for _ in range(2)]
        self.output_padding = (0,) * nd
        self.transposed = self._transposed
        self.groups = groups
        self.padding_mode = padding_mode
        # PyTorch's init computes fan_in from this shape, so the weight is made in it once.
        channels = (in_channels, out_channels // groups) if self._transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(_C.empty(channels + self.kernel_size, dtype, name))
        if bias:
            self.bias = Parameter(_C.empty((out_channels,), dtype, name))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight from kaiming_uniform_(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in)); bias from the same bound."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return self._fn(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return self._fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        nd = self._nd
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) inputs.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.Conv1d(3, 4, kernel_size=3, padding=1)(fngrad.ones(2, 3, 10)).shape
        fngrad.Size([2, 4, 10])
    """

    _nd = 1
    _fn = staticmethod(F.conv1d)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) inputs.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.Conv2d(3, 8, kernel_size=3, stride=2)(fngrad.ones(1, 3, 9, 9)).shape
        fngrad.Size([1, 8, 4, 4])
    """

    _nd = 2
    _fn = staticmethod(F.conv2d)


class Conv3d(_ConvNd):
    """3-D convolution over (N, C, D, H, W) inputs.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.Conv3d(2, 4, kernel_size=3, padding=1)(fngrad.ones(1, 2, 4, 4, 4)).shape
        fngrad.Size([1, 4, 4, 4, 4])
    """

    _nd = 3
    _fn = staticmethod(F.conv3d)


__all__ += ["ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros" or isinstance(padding, str):
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)
        name = type(self).__name__
        self.output_padding = F._ntuple(output_padding, self._nd, "output_padding", name)

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return self._fn(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                        self.dilation)

    def _output_padding(self, input, output_size):
        """The output_padding that gives ``output_size`` (the stride leaves stride - 1 sizes to choose from)."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        batch_dims = 2 if input.dim() == nd + 2 else 1
        output_size = list(output_size)
        if len(output_size) == batch_dims + nd:
            output_size = output_size[batch_dims:]
        if len(output_size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.dim()}D input, output_size must have {nd} or "
                             f"{batch_dims + nd} elements (got {len(output_size)})")
        min_sizes = [(input.shape[d + batch_dims] - 1) * self.stride[d] - 2 * self.padding[d]
                     + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(nd)]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {min_sizes} "
                                 f"to {max_sizes} (for an input of {input.shape[2:]})")
        return tuple(size - lo for size, lo in zip(output_size, min_sizes))


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution over (N, C, L) inputs.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.ConvTranspose1d(3, 4, kernel_size=3, stride=2)(fngrad.ones(2, 3, 5)).shape
        fngrad.Size([2, 4, 11])
    """

    _nd = 1
    _fn = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution over (N, C, H, W) inputs.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.ConvTranspose2d(3, 8, kernel_size=3, stride=2, output_padding=1)(fngrad.ones(1, 3, 4, 4)).shape
        fngrad.Size([1, 8, 10, 10])
    """

    _nd = 2
    _fn = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution over (N, C, D, H, W) inputs.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.ConvTranspose3d(2, 3, kernel_size=2, stride=2)(fngrad.ones(1, 2, 2, 2, 2)).shape
        fngrad.Size([1, 3, 4, 4, 4])
    """

    _nd = 3
    _fn = staticmethod(F.conv_transpose3d)
