"""Activation modules (as ``torch.nn``'s), each a thin wrapper over ``nn.functional``."""

from __future__ import annotations

from ... import _C
from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..parameter import Parameter
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Mish", "Softplus", "Tanh", "Sigmoid", "Softmax",
           "LogSoftmax", "Hardtanh"]


class _Inplace(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_Inplace):
    """max(x, 0).

    >>> from fngrad import nn
    >>> nn.ReLU()(fngrad.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)


class SiLU(_Inplace):
    """x * sigmoid(x).

    >>> from fngrad import nn
    >>> nn.SiLU()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.2384, -0.1888,  0.3112,  1.7616])
    """

    def forward(self, input):
        return F.silu(input, inplace=self.inplace)


class Mish(_Inplace):
    """x * tanh(softplus(x)).

    >>> from fngrad import nn
    >>> nn.Mish()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.2525, -0.2207,  0.3752,  1.9440])
    """

    def forward(self, input):
        return F.mish(input, inplace=self.inplace)


class LeakyReLU(Module):
    """x where positive, else negative_slope * x.

    >>> from fngrad import nn
    >>> nn.LeakyReLU(0.1)(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.2000, -0.0500,  0.5000,  2.0000])
    """

    def __init__(self, negative_slope=1e-2, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x where positive, else alpha * (exp(x) - 1).

    >>> from fngrad import nn
    >>> nn.ELU()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.8647, -0.3935,  0.5000,  2.0000])
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x * Phi(x) (``approximate='tanh'`` for the tanh approximation).

    >>> from fngrad import nn
    >>> nn.GELU()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.0455, -0.1543,  0.3457,  1.9545])
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + exp(beta x)) / beta (x itself where beta x > threshold).

    >>> from fngrad import nn
    >>> nn.Softplus()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([0.1269, 0.4741, 0.9741, 2.1269])
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Tanh(Module):
    """tanh(x).

    >>> from fngrad import nn
    >>> nn.Tanh()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.9640, -0.4621,  0.4621,  0.9640])
    """

    def forward(self, input):
        return input.tanh()


class Sigmoid(Module):
    """1 / (1 + exp(-x)).

    >>> from fngrad import nn
    >>> nn.Sigmoid()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([0.1192, 0.3775, 0.6225, 0.8808])
    """

    def forward(self, input):
        return input.sigmoid()


class Softmax(Module):
    """Softmax along ``dim``.

    >>> from fngrad import nn
    >>> nn.Softmax(dim=0)(fngrad.tensor([0.0, 1.0, 2.0]))
    tensor([0.0900, 0.2447, 0.6652])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "dim"):
            self.dim = None

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """Log-softmax along ``dim``.

    >>> from fngrad import nn
    >>> nn.LogSoftmax(dim=0)(fngrad.tensor([0.0, 1.0, 2.0]))
    tensor([-2.4076, -1.4076, -0.4076])
    """

    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Hardtanh(Module):
    """x clamped to [min_val, max_val].

    >>> from fngrad import nn
    >>> nn.Hardtanh()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-1.0000, -0.5000,  0.5000,  1.0000])
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise AssertionError("max_val must be greater than min_val")

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


__all__ += ["ReLU6", "Hardsigmoid", "Hardswish", "SELU", "CELU", "GLU", "LogSigmoid", "Softsign", "Tanhshrink",
            "Softshrink", "Hardshrink", "Threshold", "PReLU", "RReLU", "Softmin"]


class ReLU6(_Inplace):
    """min(max(x, 0), 6).

    >>> from fngrad import nn
    >>> nn.ReLU6()(fngrad.tensor([7.0]))
    tensor([6.])
    """

    def forward(self, input):
        return F.relu6(input, self.inplace)


class Hardsigmoid(_Inplace):
    """relu6(x + 3) / 6.

    >>> from fngrad import nn
    >>> nn.Hardsigmoid()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([0.1667, 0.4167, 0.5833, 0.8333])
    """

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class Hardswish(_Inplace):
    """x * relu6(x + 3) / 6.

    >>> from fngrad import nn
    >>> nn.Hardswish()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.3333, -0.2083,  0.2917,  1.6667])
    """

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class SELU(_Inplace):
    """scale * elu(x, alpha) with the self-normalising constants.

    >>> from fngrad import nn
    >>> nn.SELU()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-1.5202, -0.6918,  0.5254,  2.1014])
    """

    def forward(self, input):
        return F.selu(input, self.inplace)


class CELU(Module):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)).

    >>> from fngrad import nn
    >>> nn.CELU()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.8647, -0.3935,  0.5000,  2.0000])
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GLU(Module):
    """a * sigmoid(b) for the halves a, b of the input along ``dim``.

    >>> from fngrad import nn
    >>> nn.GLU()(fngrad.tensor([1.0, 2.0, 0.0, 1.0]))
    tensor([0.5000, 1.4621])
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSigmoid(Module):
    """log(sigmoid(x)).

    >>> from fngrad import nn
    >>> nn.LogSigmoid()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-2.1269, -0.9741, -0.4741, -0.1269])
    """

    def forward(self, input):
        return F.logsigmoid(input)


class Softsign(Module):
    """x / (1 + |x|).

    >>> from fngrad import nn
    >>> nn.Softsign()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.6667, -0.3333,  0.3333,  0.6667])
    """

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    """x - tanh(x).

    >>> from fngrad import nn
    >>> nn.Tanhshrink()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-1.0360, -0.0379,  0.0379,  1.0360])
    """

    def forward(self, input):
        return F.tanhshrink(input)


class Softshrink(Module):
    """x -/+ lambd outside [-lambd, lambd], 0 inside.

    >>> from fngrad import nn
    >>> nn.Softshrink()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-1.5000, -0.0000,  0.0000,  1.5000])
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Hardshrink(Softshrink):
    """x outside [-lambd, lambd], 0 inside.

    >>> from fngrad import nn
    >>> nn.Hardshrink()(fngrad.tensor([-2.0, 0.25, 2.0]))
    tensor([-2.,  0.,  2.])
    """

    def forward(self, input):
        return F.hardshrink(input, self.lambd)


class Threshold(Module):
    """x where x > threshold, else value.

    >>> from fngrad import nn
    >>> nn.Threshold(0.0, -1.0)(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-1.0000, -1.0000,  0.5000,  2.0000])
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """x where positive, else a * x with a learnt slope ``a`` (one, or one per channel), initially ``init``.

    >>> from fngrad import nn
    >>> nn.PReLU()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0])).detach()
    tensor([-0.5000, -0.1250,  0.5000,  2.0000])
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(_C.full((num_parameters,), float(init), dtype if dtype is not None else _C.float32))

    def reset_parameters(self):
        """Sets the slope back to ``init``.

        >>> from fngrad import nn
        >>> act = nn.PReLU(init=0.1)
        >>> _ = nn.init.zeros_(act.weight)
        >>> act.reset_parameters()
        >>> act.weight
        Parameter containing:
        tensor([0.1000], requires_grad=True)
        """
        with no_grad():
            self.weight.fill_(self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Leaky ReLU with a random slope from U(lower, upper) in training, (lower + upper) / 2 in eval.

    >>> from fngrad import nn
    >>> nn.RReLU().eval()(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.4583, -0.1146,  0.5000,  2.0000])
    """

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


class Softmin(Module):
    """softmax(-x) along ``dim``.

    >>> from fngrad import nn
    >>> nn.Softmin(dim=0)(fngrad.tensor([0.0, 1.0, 2.0]))
    tensor([0.6652, 0.2447, 0.0900])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


__all__ += ["Softmax2d"]


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W) input (dim -3).

    >>> from fngrad import nn
    >>> nn.Softmax2d()(fngrad.zeros(2, 1, 1)).flatten().tolist()
    [0.5, 0.5]
    """

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F.softmax(input, -3, _stacklevel=5)
