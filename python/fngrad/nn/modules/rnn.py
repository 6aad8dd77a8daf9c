"""RNNCell, LSTMCell and GRUCell (as ``torch.nn``'s): one time step, composed from F.linear."""

from __future__ import annotations

import math

from ... import _C
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import _factory_dtype
from .module import Module

__all__ = ["RNNCell", "LSTMCell", "GRUCell"]


class _RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        dtype = _factory_dtype(dtype, device)
        name = type(self).__name__
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_C.empty((num_chunks * hidden_size, input_size), dtype, name))
        self.weight_hh = Parameter(_C.empty((num_chunks * hidden_size, hidden_size), dtype, name))
        if bias:
            self.bias_ih = Parameter(_C.empty((num_chunks * hidden_size,), dtype, name))
            self.bias_hh = Parameter(_C.empty((num_chunks * hidden_size,), dtype, name))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hx):
        """(batched input, hidden or None, whether the input was unbatched), checking the sizes."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"[{name}] input has inconsistent input_size: got {input.shape[-1]} expected "
                               f"{self.input_size}")
        unbatched = input.dim() == 1
        if unbatched:
            input = input.unsqueeze(0)
        return input, unbatched

    def _zeros(self, input):
        return _C.zeros((input.shape[0], self.hidden_size), input.dtype)

    def _gates(self, input, hx):
        return F.linear(input, self.weight_ih, self.bias_ih), F.linear(hx, self.weight_hh, self.bias_hh)


def _batched_hidden(hx, unbatched, name):
    if hx is None:
        return None
    if unbatched and hx.dim() != 1 or not unbatched and hx.dim() != 2:
        raise RuntimeError(f"{name}: Expected hidden to be {1 if unbatched else 2}D, got {hx.dim()}D instead")
    return hx.unsqueeze(0) if unbatched else hx


class RNNCell(_RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> nn.RNNCell(3, 4)(fngrad.ones(2, 3)).shape
        fngrad.Size([2, 4])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, unbatched = self._prepare(input, hx)
        hx = _batched_hidden(hx, unbatched, "RNNCell")
        hx = self._zeros(input) if hx is None else hx
        gi, gh = self._gates(input, hx)
        pre = gi + gh
        if self.nonlinearity == "tanh":
            h = pre.tanh()
        elif self.nonlinearity == "relu":
            h = pre.relu()
        else:  # checked here, as PyTorch does, not in __init__
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return h.squeeze(0) if unbatched else h


class LSTMCell(_RNNCellBase):
    """One LSTM step: gates i, f, g, o from x and h; c' = f c + i g, h' = o tanh(c'). Returns (h', c').

    >>> from fngrad import nn
    >>> h, c = nn.LSTMCell(3, 2)(fngrad.ones(4, 3))
    >>> h.shape, c.shape
    (fngrad.Size([4, 2]), fngrad.Size([4, 2]))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        input, unbatched = self._prepare(input, hx)
        if hx is None:
            h = c = self._zeros(input)
        else:
            h, c = (_batched_hidden(t, unbatched, "LSTMCell") for t in hx)
        gi, gh = self._gates(input, h)
        i, f, g, o = (gi + gh).chunk(4, 1)
        c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h_next = o.sigmoid() * c_next.tanh()
        if unbatched:
            return h_next.squeeze(0), c_next.squeeze(0)
        return h_next, c_next


class GRUCell(_RNNCellBase):
    """One GRU step: r, z from x and h; n = tanh(x_n + r h_n); h' = (1 - z) n + z h.

    >>> from fngrad import nn
    >>> cell = nn.GRUCell(3, 2)
    >>> cell(fngrad.ones(4, 3)).shape
    fngrad.Size([4, 2])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        input, unbatched = self._prepare(input, hx)
        hx = _batched_hidden(hx, unbatched, "GRUCell")
        hx = self._zeros(input) if hx is None else hx
        gi, gh = self._gates(input, hx)
        i_r, i_z, i_n = gi.chunk(3, 1)
        h_r, h_z, h_n = gh.chunk(3, 1)
        r = (i_r + h_r).sigmoid()
        z = (i_z + h_z).sigmoid()
        n = (i_n + r * h_n).tanh()
        h = (1 - z) * n + z * hx
        return h.squeeze(0) if unbatched else h
