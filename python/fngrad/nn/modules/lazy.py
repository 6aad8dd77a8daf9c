"""Lazy modules, as ``torch.nn``'s: ``LazyLinear``, ``LazyConv1d``/``2d``, ``LazyConvTranspose1d``/``2d``,
``LazyBatchNorm1d``/``2d`` and ``LazyInstanceNorm1d``/``2d`` take their input size from the first
forward. Until then their parameters are ``UninitializedParameter``s; the first forward gives them
shapes, initializes them, and turns the module into its ordinary class (``LazyLinear`` -> ``Linear``).
"""

from __future__ import annotations

import itertools

from ... import _C
from ...autograd.grad_mode import no_grad
from ..parameter import UninitializedBuffer, UninitializedParameter, UninitializedTensorMixin
from .batchnorm import BatchNorm1d, BatchNorm2d
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .instancenorm import InstanceNorm1d, InstanceNorm2d
from .linear import Linear

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyInstanceNorm1d", "LazyInstanceNorm2d"]


def _is_lazy(t):
    return isinstance(t, UninitializedTensorMixin)


class LazyModuleMixin:
    """The mixin of the lazy modules: a forward pre-hook calls ``initialize_parameters(*args)`` on the
    first call, then the module becomes ``cls_to_become``. ``load_state_dict`` materializes the
    uninitialized tensors to the shapes of the loaded ones.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> fc = nn.LazyLinear(2)
        >>> fc.has_uninitialized_params()
        True
        >>> _ = fc(fngrad.ones(1, 3))
        >>> type(fc).__name__, fc.in_features
        ('Linear', 3)
    """

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # An uninitialized tensor takes the loaded one's shape first, so the copy that follows fits.
        for name, tensor in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and _is_lazy(tensor):
                loaded = state_dict[key]
                if not _is_lazy(loaded):
                    with no_grad():
                        tensor.materialize(loaded.shape)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def initialize_parameters(self, *args, **kwargs):
        """Gives the uninitialized parameters their shapes from the first input (each lazy module
        defines it; the first forward calls it).

        >>> import fngrad
        >>> from fngrad import nn
        >>> fc = nn.LazyLinear(2)
        >>> fc.initialize_parameters(fngrad.ones(1, 4))
        >>> fc.weight.shape
        fngrad.Size([2, 4])
        """
        raise NotImplementedError(f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self):
        """Whether a parameter or buffer is still uninitialized.

        >>> from fngrad import nn
        >>> nn.LazyConv1d(4, 3).has_uninitialized_params()
        True
        """
        return any(_is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values()))

    @staticmethod
    def _infer_parameters(module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError("Modules with uninitialized parameters can't be used with `DataParallel`. Run a dummy "
                           "forward pass to correctly initialize the modules")


class LazyLinear(LazyModuleMixin, Linear):
    """A ``Linear`` whose ``in_features`` is the last dimension of its first input.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> fc = nn.LazyLinear(3)
        >>> fc(fngrad.ones(2, 5)).shape
        fngrad.Size([2, 3])
        >>> fc
        Linear(in_features=5, out_features=3, bias=True)
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False, device, dtype)  # no bias yet: it is replaced below
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        """Initializes as ``Linear`` once the shapes are known; before, does nothing.

        >>> from fngrad import nn
        >>> fc = nn.LazyLinear(2)
        >>> fc.reset_parameters()
        >>> fc.weight
        <UninitializedParameter>
        """
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        """weight (out_features, input.shape[-1]), bias (out_features,), then initialized as ``Linear``'s.

        >>> import fngrad
        >>> from fngrad import nn
        >>> fc = nn.LazyLinear(2)
        >>> fc.initialize_parameters(fngrad.ones(3, 4))
        >>> fc.weight.shape, fc.bias.shape
        (fngrad.Size([2, 4]), fngrad.Size([2]))
        """
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyConvXdMixin(LazyModuleMixin):
    def reset_parameters(self):
        """Initializes as the convolution once the shapes are known; before, does nothing."""
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        """in_channels from the input's channel dimension; the weight and bias get their shapes and are
        initialized as the convolution's."""
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
            else:
                shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
            with no_grad():
                self.weight.materialize(shape)
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()

    def _get_in_channels(self, input):
        no_batch = self._nd + 1
        if input.dim() not in (no_batch, no_batch + 1):
            raise RuntimeError(f"Expected {no_batch}D (unbatched) or {no_batch + 1}D (batched) input to "
                               f"{self.__class__.__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.dim() == no_batch + 1 else input.shape[0]

    def _lazy_init(self, out_channels, bias, device, dtype):
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)


class _LazyConv(_LazyConvXdMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvXdMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode,
                         device, dtype)
        self._lazy_init(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """A ``Conv1d`` whose ``in_channels`` is the channel dimension of its first input.

    >>> import fngrad
    >>> from fngrad import nn
    >>> conv = nn.LazyConv1d(4, kernel_size=3)
    >>> conv(fngrad.ones(2, 5, 10)).shape, conv.weight.shape
    (fngrad.Size([2, 4, 8]), fngrad.Size([4, 5, 3]))
    """

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """A ``Conv2d`` whose ``in_channels`` is the channel dimension of its first input.

    >>> import fngrad
    >>> from fngrad import nn
    >>> conv = nn.LazyConv2d(4, kernel_size=3)
    >>> conv(fngrad.ones(2, 3, 8, 8)).shape, conv.weight.shape
    (fngrad.Size([2, 4, 6, 6]), fngrad.Size([4, 3, 3, 3]))
    """

    cls_to_become = Conv2d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """A ``ConvTranspose1d`` whose ``in_channels`` is the channel dimension of its first input.

    >>> import fngrad
    >>> from fngrad import nn
    >>> conv = nn.LazyConvTranspose1d(4, kernel_size=3)
    >>> conv(fngrad.ones(2, 5, 10)).shape, conv.weight.shape
    (fngrad.Size([2, 4, 12]), fngrad.Size([5, 4, 3]))
    """

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """A ``ConvTranspose2d`` whose ``in_channels`` is the channel dimension of its first input.

    >>> import fngrad
    >>> from fngrad import nn
    >>> conv = nn.LazyConvTranspose2d(4, kernel_size=2, stride=2)
    >>> conv(fngrad.ones(1, 3, 5, 5)).shape, conv.weight.shape
    (fngrad.Size([1, 4, 10, 10]), fngrad.Size([3, 4, 2, 2]))
    """

    cls_to_become = ConvTranspose2d


class _LazyNormBase(LazyModuleMixin):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        super().__init__(0, eps, momentum, affine=False, track_running_stats=False, device=device, dtype=dtype)
        self._lazy_init(affine, track_running_stats, device, dtype)

    def _lazy_init(self, affine, track_running_stats, device, dtype):
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            if "num_batches_tracked" in self._buffers:
                self.num_batches_tracked = _C.zeros((), _C.int64)

    def reset_parameters(self):
        """Initializes as the normalization layer once the shapes are known; before, does nothing."""
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        """num_features from the input's dimension 1 (as PyTorch, also for an unbatched input); the
        weight, bias and running statistics get that length and their initial values."""
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            with no_grad():
                for name in ("weight", "bias") if self.affine else ():
                    getattr(self, name).materialize((self.num_features,))
                for name in ("running_mean", "running_var") if self.track_running_stats else ():
                    getattr(self, name).materialize((self.num_features,))
                self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """A ``BatchNorm1d`` whose ``num_features`` is dimension 1 of its first input.

    >>> import fngrad
    >>> from fngrad import nn
    >>> bn = nn.LazyBatchNorm1d()
    >>> bn(fngrad.randn(4, 3)).shape, bn.running_mean.shape
    (fngrad.Size([4, 3]), fngrad.Size([3]))
    """

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """A ``BatchNorm2d`` whose ``num_features`` is dimension 1 of its first input.

    >>> import fngrad
    >>> from fngrad import nn
    >>> bn = nn.LazyBatchNorm2d()
    >>> bn(fngrad.randn(2, 3, 4, 4)).shape, bn.weight.shape
    (fngrad.Size([2, 3, 4, 4]), fngrad.Size([3]))
    """

    cls_to_become = BatchNorm2d


class _LazyInstanceNorm(_LazyNormBase):
    def reset_parameters(self):
        """ones and zeros for weight and bias, the running statistics zeros and ones, once the shapes are
        known (InstanceNorm sets them in its constructor)."""
        if not self.has_uninitialized_params() and self.num_features != 0:
            with no_grad():
                if self.affine:
                    self.weight.fill_(1.0)
                    self.bias.zero_()
                if self.track_running_stats:
                    self.running_mean.zero_()
                    self.running_var.fill_(1.0)


class LazyInstanceNorm1d(_LazyInstanceNorm, InstanceNorm1d):
    """An ``InstanceNorm1d`` whose ``num_features`` is dimension 1 of its first input (affine and
    tracking running statistics by default, as PyTorch's).

    >>> import fngrad
    >>> from fngrad import nn
    >>> norm = nn.LazyInstanceNorm1d()
    >>> norm(fngrad.randn(2, 3, 5)).shape, norm.weight.shape
    (fngrad.Size([2, 3, 5]), fngrad.Size([3]))
    """

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm, InstanceNorm2d):
    """An ``InstanceNorm2d`` whose ``num_features`` is dimension 1 of its first input.

    >>> import fngrad
    >>> from fngrad import nn
    >>> norm = nn.LazyInstanceNorm2d()
    >>> norm(fngrad.randn(2, 3, 4, 4)).shape, norm.running_var.shape
    (fngrad.Size([2, 3, 4, 4]), fngrad.Size([3]))
    """

    cls_to_become = InstanceNorm2d
