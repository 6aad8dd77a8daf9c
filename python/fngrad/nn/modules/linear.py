"""Identity, Linear and Bilinear (as ``torch.nn``'s), with PyTorch's default initialisation."""

from __future__ import annotations

import math

from ... import _C, _creation
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module, _check_device

__all__ = ["Identity", "Linear", "Bilinear"]


def _factory_dtype(dtype, device):
    """A layer's parameter dtype: ``dtype``, else the default dtype (``fngrad.set_default_dtype``)."""
    _check_device(device)
    return _creation.get_default_dtype() if dtype is None else dtype


class Identity(Module):
    """Returns its input; any constructor arguments are ignored.

    >>> from fngrad import nn
    >>> x = fngrad.ones(2)
    >>> nn.Identity(54, unused='argument')(x) is x
    True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x A^T + b, with A of shape (out_features, in_features).

    Weight and bias start from U(-1/sqrt(in_features), 1/sqrt(in_features)) (PyTorch's default:
    ``kaiming_uniform_(a=sqrt(5))`` for the weight).

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> fc = nn.Linear(3, 2)
        >>> fc(fngrad.ones(5, 3)).shape
        fngrad.Size([5, 2])
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        dtype = _factory_dtype(dtype, device)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_C.empty((out_features, in_features), dtype, "Linear"))
        if bias:
            self.bias = Parameter(_C.empty((out_features,), dtype, "Linear"))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight from kaiming_uniform_(a=sqrt(5)), bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

        >>> from fngrad import nn
        >>> fc = nn.Linear(4, 2)
        >>> fc.reset_parameters()
        >>> bool(fc.weight.abs().max() <= 0.5), bool(fc.bias.abs().max() <= 0.5)
        (True, True)
        """
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        # The registered parameters are read from the dict itself: ``self.weight`` goes through a failed
        # attribute lookup and Module.__getattr__, a large part of a small layer's cost. A weight that is
        # no longer a registered parameter (a parametrization, weight_norm) falls back to the attribute.
        params = self._parameters
        weight = params["weight"] if "weight" in params else self.weight
        bias = params["bias"] if "bias" in params else self.bias
        try:
            return F.linear(input, weight, bias)
        except RuntimeError:
            if input.dim() == 0 or input.shape[-1] != self.in_features:
                rows = input.numel() // input.shape[-1] if input.dim() and input.shape[-1] else 1
                cols = input.shape[-1] if input.dim() else 1
                raise RuntimeError(f"[Linear] mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
                                   f"{self.in_features}x{self.out_features})") from None
            raise

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y = x1^T A x2 + b, with A of shape (out_features, in1_features, in2_features).

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.Bilinear(2, 3, 4)(fngrad.ones(5, 2), fngrad.ones(5, 3)).shape
        fngrad.Size([5, 4])
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        dtype = _factory_dtype(dtype, device)
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(_C.empty((out_features, in1_features, in2_features), dtype, "Bilinear"))
        if bias:
            self.bias = Parameter(_C.empty((out_features,), dtype, "Bilinear"))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight and bias from U(-1/sqrt(in1_features), 1/sqrt(in1_features)).

        >>> from fngrad import nn
        >>> m = nn.Bilinear(4, 2, 3)
        >>> m.reset_parameters()
        >>> bool(m.weight.abs().max() <= 0.5)
        True
        """
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
