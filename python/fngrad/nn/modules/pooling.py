"""MaxPool1d/2d and AvgPool1d/2d (as ``torch.nn``'s), over ``F.max_pool*``/``F.avg_pool*``."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d"]


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Maximum over windows of (N, C, L) inputs.

    >>> from fngrad import nn
    >>> nn.MaxPool1d(2)(fngrad.ones(1, 1, 4)).shape
    fngrad.Size([1, 1, 2])
    """

    def forward(self, input):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Maximum over windows of (N, C, H, W) inputs.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.MaxPool2d(2)(fngrad.arange(16.0).reshape(1, 1, 4, 4))
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class AvgPool1d(Module):
    """Mean over windows of (N, C, L) inputs.

    >>> from fngrad import nn
    >>> nn.AvgPool1d(2)(fngrad.arange(6.).reshape(1, 1, 6))
    tensor([[[0.5000, 2.5000, 4.5000]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = F._ntuple(kernel_size, 1, "kernel_size", "AvgPool1d")
        self.stride = F._ntuple(stride if stride is not None else kernel_size, 1, "stride", "AvgPool1d")
        self.padding = F._ntuple(padding, 1, "padding", "AvgPool1d")
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over windows of (N, C, H, W) inputs.

    >>> from fngrad import nn
    >>> nn.AvgPool2d(2)(fngrad.arange(16.).reshape(1, 1, 4, 4))
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


__all__ += ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
            "AdaptiveMaxPool3d", "MaxUnpool1d",
            "MaxUnpool2d", "MaxUnpool3d"]


class _AdaptivePool(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling of (N, C, L) inputs to a fixed length.

    >>> from fngrad import nn
    >>> nn.AdaptiveAvgPool1d(2)(fngrad.arange(6.).reshape(1, 1, 6))
    tensor([[[1., 4.]]])
    """

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling of (N, C, H, W) inputs to a fixed size.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.AdaptiveAvgPool2d(1)(fngrad.arange(4.0).reshape(1, 1, 2, 2))
        tensor([[[[1.5000]]]])
    """

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max pooling of (N, C, L) inputs to a fixed length.

    >>> from fngrad import nn
    >>> nn.AdaptiveMaxPool1d(2)(fngrad.arange(6.).reshape(1, 1, 6))
    tensor([[[2., 5.]]])
    """

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max pooling of (N, C, H, W) inputs to a fixed size.

    >>> from fngrad import nn
    >>> nn.AdaptiveMaxPool2d(2)(fngrad.arange(16.).reshape(1, 1, 4, 4))
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class _MaxUnpoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The inverse of MaxPool1d(return_indices=True): values at their indices, zeros elsewhere.

    >>> from fngrad import nn
    >>> y, i = nn.MaxPool1d(2, return_indices=True)(fngrad.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
    >>> nn.MaxUnpool1d(2)(y, i)
    tensor([[[0., 3., 2., 0.]]])
    """

    def forward(self, input, indices, output_size=None):
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """The inverse of MaxPool2d(return_indices=True): values at their indices, zeros elsewhere.

    >>> from fngrad import nn
    >>> y, i = nn.MaxPool2d(2, return_indices=True)(fngrad.arange(4.).reshape(1, 1, 2, 2))
    >>> nn.MaxUnpool2d(2)(y, i)
    tensor([[[[0., 0.],
              [0., 3.]]]])
    """

    def forward(self, input, indices, output_size=None):
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool3d(_MaxUnpoolNd):
    """The inverse of MaxPool3d(return_indices=True): values at their indices, zeros elsewhere.

    >>> from fngrad import nn
    >>> y, i = nn.functional.max_pool3d(fngrad.arange(8.).reshape(1, 1, 2, 2, 2), 2, return_indices=True)
    >>> nn.MaxUnpool3d(2)(y, i).flatten()
    tensor([0., 0., 0., 0., 0., 0., 0., 7.])
    """

    def forward(self, input, indices, output_size=None):
        return F.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


__all__ += ["LPPool1d", "LPPool2d", "LPPool3d"]


class _LPPoolNd(Module):
    _fn = None  # F.lp_pool1d, 2d or 3d

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return type(self)._fn(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling over (N, C, L) (``F.lp_pool1d``).

    >>> from fngrad import nn
    >>> nn.LPPool1d(2, 2)(fngrad.tensor([[[3., 4.]]]))
    tensor([[[5.]]])
    """

    _fn = F.lp_pool1d


class LPPool2d(_LPPoolNd):
    """Power-average pooling over (N, C, H, W) (``F.lp_pool2d``).

    >>> from fngrad import nn
    >>> nn.LPPool2d(1, 2)(fngrad.ones(1, 1, 2, 2))
    tensor([[[[4.]]]])
    """

    _fn = F.lp_pool2d


class LPPool3d(_LPPoolNd):
    """Power-average pooling over (N, C, D, H, W) (``F.lp_pool3d``).

    >>> from fngrad import nn
    >>> nn.LPPool3d(1, 2)(fngrad.ones(1, 1, 2, 2, 2)).flatten().tolist()
    [8.0]
    """

    _fn = F.lp_pool3d


class MaxPool3d(_MaxPoolNd):
    """Maximum over windows of (N, C, D, H, W) inputs.

    >>> from fngrad import nn
    >>> nn.MaxPool3d(2)(fngrad.arange(8.).reshape(1, 1, 2, 2, 2)).flatten().tolist()
    [7.0]
    """

    def forward(self, input):
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class AvgPool3d(AvgPool2d):
    """Mean over windows of (N, C, D, H, W) inputs.

    >>> from fngrad import nn
    >>> nn.AvgPool3d(2)(fngrad.arange(8.).reshape(1, 1, 2, 2, 2)).flatten().tolist()
    [3.5]
    """

    def forward(self, input):
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Average pooling of (N, C, D, H, W) inputs to a fixed size.

    >>> from fngrad import nn
    >>> nn.AdaptiveAvgPool3d(1)(fngrad.arange(8.).reshape(1, 1, 2, 2, 2)).flatten().tolist()
    [3.5]
    """

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """Max pooling of (N, C, D, H, W) inputs to a fixed size.

    >>> from fngrad import nn
    >>> nn.AdaptiveMaxPool3d(1)(fngrad.arange(8.).reshape(1, 1, 2, 2, 2)).flatten().tolist()
    [7.0]
    """

    def forward(self, input):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)
