"""Padding, resampling and distance modules (as ``torch.nn``'s), over ``F.pad``, ``F.interpolate``,
``F.pairwise_distance`` and ``F.cosine_similarity``."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ZeroPad1d", "ZeroPad2d", "ReflectionPad1d", "ReflectionPad2d",
           "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d", "Upsample", "PairwiseDistance",
           "CosineSimilarity"]


class _PadNd(Module):
    mode = "constant"
    nd = 1

    def __init__(self, padding, value=None):
        super().__init__()
        self.padding = tuple(padding) if isinstance(padding, (tuple, list)) else (int(padding),) * (2 * self.nd)
        if len(self.padding) != 2 * self.nd:
            raise ValueError(f"{type(self).__name__}: expected padding of {2 * self.nd} values, got {padding}")
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, self.mode, self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}" if self.mode == "constant" else f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pads the last dim with ``value``.

    >>> from fngrad import nn
    >>> nn.ConstantPad1d(1, 0.5)(fngrad.ones(1, 2))
    tensor([[0.5000, 1.0000, 1.0000, 0.5000]])
    """

    def __init__(self, padding, value):
        super().__init__(padding, float(value))


class ConstantPad2d(ConstantPad1d):
    """Pads the last two dims with ``value`` (left, right, top, bottom).

    >>> from fngrad import nn
    >>> nn.ConstantPad2d((1, 0, 0, 1), 9.0)(fngrad.ones(1, 1, 2))
    tensor([[[9., 1., 1.],
             [9., 9., 9.]]])
    """
    nd = 2


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros.

    >>> from fngrad import nn
    >>> nn.ZeroPad1d((1, 2))(fngrad.ones(1, 2))
    tensor([[0., 1., 1., 0., 0.]])
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    """Pads the last two dims with zeros (left, right, top, bottom).

    >>> from fngrad import nn
    >>> nn.ZeroPad2d((1, 0, 0, 1))(fngrad.ones(1, 1, 2))
    tensor([[[0., 1., 1.],
             [0., 0., 0.]]])
    """
    nd = 2


class ReflectionPad1d(_PadNd):
    """Pads the last dim with its reflection (the edge not repeated).

    >>> from fngrad import nn
    >>> nn.ReflectionPad1d(2)(fngrad.tensor([[1.0, 2.0, 3.0]]))
    tensor([[3., 2., 1., 2., 3., 2., 1.]])
    """
    mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Pads the last two dims with their reflection.

    >>> from fngrad import nn
    >>> nn.ReflectionPad2d(1)(fngrad.arange(4.).reshape(1, 2, 2))
    tensor([[[3., 2., 3., 2.],
             [1., 0., 1., 0.],
             [3., 2., 3., 2.],
             [1., 0., 1., 0.]]])
    """
    nd = 2


class ReplicationPad1d(ReflectionPad1d):
    """Pads the last dim with copies of its edge values.

    >>> from fngrad import nn
    >>> nn.ReplicationPad1d(2)(fngrad.tensor([[1.0, 2.0, 3.0]]))
    tensor([[1., 1., 1., 2., 3., 3., 3.]])
    """
    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Pads the last two dims with copies of their edge values.

    >>> from fngrad import nn
    >>> nn.ReplicationPad2d(1)(fngrad.arange(4.).reshape(1, 2, 2))
    tensor([[[0., 0., 1., 1.],
             [0., 0., 1., 1.],
             [2., 2., 3., 3.],
             [2., 2., 3., 3.]]])
    """
    nd = 2


class CircularPad1d(ReflectionPad1d):
    """Pads the last dim by wrapping around.

    >>> from fngrad import nn
    >>> nn.CircularPad1d(1)(fngrad.tensor([[1.0, 2.0, 3.0]]))
    tensor([[3., 1., 2., 3., 1.]])
    """
    mode = "circular"


class CircularPad2d(CircularPad1d):
    """Pads the last two dims by wrapping around.

    >>> from fngrad import nn
    >>> nn.CircularPad2d(1)(fngrad.arange(4.).reshape(1, 2, 2))
    tensor([[[3., 2., 3., 2.],
             [1., 0., 1., 0.],
             [3., 2., 3., 2.],
             [1., 0., 1., 0.]]])
    """
    nd = 2


class Upsample(Module):
    """Resizes (N, C, *spatial) inputs with ``F.interpolate``.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.Upsample(scale_factor=2)(fngrad.tensor([[[1.0, 2.0]]]))
        tensor([[[1., 1., 2., 2.]]])
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        self.size = size
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) else scale_factor
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        info = f"size={self.size!r}" if self.size is not None else f"scale_factor={self.scale_factor!r}"
        return info + f", mode={self.mode!r}"


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p along the last dim.

    >>> from fngrad import nn
    >>> nn.PairwiseDistance()(fngrad.tensor([[0.0, 0.0]]), fngrad.tensor([[3.0, 4.0]]))
    tensor([5.0000])
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """Cosine similarity along ``dim``.

    >>> from fngrad import nn
    >>> nn.CosineSimilarity()(fngrad.tensor([[1.0, 0.0]]), fngrad.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


__all__ += ["UpsamplingNearest2d", "UpsamplingBilinear2d"]


class UpsamplingNearest2d(Upsample):
    """2-D nearest-neighbour upsampling: ``Upsample(mode="nearest")``.

    >>> from fngrad import nn
    >>> nn.UpsamplingNearest2d(scale_factor=2)(fngrad.ones(1, 1, 1, 2)).shape
    fngrad.Size([1, 1, 2, 4])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """2-D bilinear upsampling with corners aligned: ``Upsample(mode="bilinear", align_corners=True)``.

    >>> from fngrad import nn
    >>> nn.UpsamplingBilinear2d(size=(1, 3))(fngrad.tensor([[[[0., 1.]]]]))
    tensor([[[[0.0000, 0.5000, 1.0000]]]])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


__all__ += ["ConstantPad3d", "ZeroPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d"]


class ConstantPad3d(ConstantPad1d):
    """Pads the last three dims with ``value`` (left, right, top, bottom, front, back).

    >>> from fngrad import nn
    >>> nn.ConstantPad3d(1, 2.0)(fngrad.ones(1, 1, 1, 1)).shape
    fngrad.Size([1, 3, 3, 3])
    """
    nd = 3


class ZeroPad3d(ZeroPad1d):
    """Pads the last three dims with zeros.

    >>> from fngrad import nn
    >>> nn.ZeroPad3d(1)(fngrad.ones(1, 1, 1, 1)).sum().item()
    1.0
    """
    nd = 3


class ReflectionPad3d(ReflectionPad1d):
    """Pads the last three dims with their reflection.

    >>> from fngrad import nn
    >>> nn.ReflectionPad3d(1)(fngrad.ones(1, 2, 2, 2)).shape
    fngrad.Size([1, 4, 4, 4])
    """
    nd = 3


class ReplicationPad3d(ReplicationPad1d):
    """Pads the last three dims with copies of their edge values.

    >>> from fngrad import nn
    >>> nn.ReplicationPad3d(1)(fngrad.ones(1, 1, 1, 1)).sum().item()
    27.0
    """
    nd = 3


class CircularPad3d(CircularPad1d):
    """Pads the last three dims by wrapping around.

    >>> from fngrad import nn
    >>> nn.CircularPad3d(1)(fngrad.ones(1, 2, 2, 2)).shape
    fngrad.Size([1, 4, 4, 4])
    """
    nd = 3
