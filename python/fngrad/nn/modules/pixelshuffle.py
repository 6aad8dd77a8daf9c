"""PixelShuffle, PixelUnshuffle, ChannelShuffle, Unfold and Fold (as in ``torch.nn``): reshapes of
channels and sliding blocks, no parameters."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle", "ChannelShuffle", "Unfold", "Fold"]


class PixelShuffle(Module):
    """(*, C r^2, H, W) -> (*, C, H r, W r).

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.PixelShuffle(2)(fngrad.ones(1, 8, 3, 3)).shape
        fngrad.Size([1, 2, 6, 6])
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C r^2, H, W).

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.PixelUnshuffle(2)(fngrad.ones(1, 2, 6, 6)).shape
        fngrad.Size([1, 8, 3, 3])
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleaves the channels of ``groups`` groups.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.ChannelShuffle(2)(fngrad.arange(4.).reshape(1, 4, 1)).reshape(-1).tolist()
        [0.0, 2.0, 1.0, 3.0]
    """

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


class Unfold(Module):
    """im2col: sliding blocks as columns.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.Unfold(kernel_size=2)(fngrad.ones(1, 3, 4, 4)).shape
        fngrad.Size([1, 12, 9])
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """col2im: columns summed back into an image.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.Fold(output_size=(4, 4), kernel_size=2)(fngrad.ones(1, 12, 9)).shape
        fngrad.Size([1, 3, 4, 4])
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
