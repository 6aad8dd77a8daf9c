"""RNN, LSTM and GRU layers and their cells (as ``torch.nn``'s), composed from F.linear and elementwise
gates. A cell runs one time step; a layer projects the whole input sequence with one matmul per layer
and direction, then loops over time for the hidden part only, through the same step functions."""

from __future__ import annotations

import math
import numbers
import warnings
from typing import NamedTuple

import numpy as np

from ... import _C, _creation
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import _factory_dtype
from .module import Module, _typename

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]


# The gate arithmetic of one time step, shared by the cells and the layers. ``pre`` (``gi`` and ``gh``
# for GRU) are the projections of the input and of the hidden state, with the gates side by side
# along ``dim``: the cells keep PyTorch's (batch, gates) layout and split along dim 1; the layers keep
# (gates, batch), whose pieces along dim 0 are contiguous (elementwise ops on the strided pieces of
# dim 1 cost several times more).

def _rnn_activation(pre, nonlinearity):
    if nonlinearity == "tanh":
        return pre.tanh()
    if nonlinearity == "relu":
        return pre.relu()
    raise RuntimeError(f"Unknown nonlinearity: {nonlinearity}")  # checked here, as PyTorch's cell does


def _lstm_gates(pre, c, dim):
    """(h', c') from the summed projections of gates i, f, g, o and the cell state c."""
    i, f, g, o = pre.chunk(4, dim)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c_next.tanh(), c_next


def _gru_gates(gi, gh, h, dim):
    """h' from the projections of the input (gi) and of the hidden state h (gh) for gates r, z, n."""
    i_r, i_z, i_n = gi.chunk(3, dim)
    h_r, h_z, h_n = gh.chunk(3, dim)
    r = (i_r + h_r).sigmoid()
    z = (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    return n + z * (h - n)  # (1 - z) n + z h with one op fewer


def _reset_uniform(module):
    """PyTorch's initialisation of the recurrent layers and cells: every parameter from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


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
        _reset_uniform(self)

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

    def _input_gates(self, input):
        return F.linear(input, self.weight_ih, self.bias_ih)

    def _hidden_gates(self, hx):
        return F.linear(hx, self.weight_hh, self.bias_hh)


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
        h = _rnn_activation(self._input_gates(input) + self._hidden_gates(hx), self.nonlinearity)
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
        h_next, c_next = _lstm_gates(self._input_gates(input) + self._hidden_gates(h), c, 1)
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
        h = _gru_gates(self._input_gates(input), self._hidden_gates(hx), hx, 1)
        return h.squeeze(0) if unbatched else h


# PackedSequence lives here, not in nn.utils.rnn (which re-exports it): nn.utils imports nn.modules.

def _int64(values):
    return _creation.from_numpy(np.ascontiguousarray(values, dtype=np.int64))


class _PackedSequenceFields(NamedTuple):
    data: object
    batch_sizes: object
    sorted_indices: object
    unsorted_indices: object


def _converter(method):
    def convert(self, *args, **kwargs):
        data = getattr(self.data, method)(*args, **kwargs)
        return self if data is self.data else type(self)(data, self.batch_sizes, self.sorted_indices,
                                                         self.unsorted_indices)
    convert.__name__ = method
    convert.__doc__ = f"""A PackedSequence with ``data.{method}(...)``, the same batch sizes and order (``self`` if
    the data is unchanged), as ``Tensor.{method}``.

    >>> from fngrad.nn.utils.rnn import pack_sequence
    >>> p = pack_sequence([fngrad.ones(2, dtype=fngrad.int32)]).{method}({"'cpu'" if method in ("to", "cpu") else ""})
    >>> p.batch_sizes
    tensor([1, 1])
    """
    return convert


class PackedSequence(_PackedSequenceFields):
    """Sequences of different lengths, sorted longest first and stored time step by time step:
    ``data`` holds step 0 of every sequence, then step 1 of those still running, and so on;
    ``batch_sizes[t]`` is how many sequences run at step t. ``sorted_indices`` (None when the input
    was already sorted) maps the sorted order to the original batch, ``unsorted_indices`` back.
    Made by pack_padded_sequence or pack_sequence, not by hand.

    >>> from fngrad.nn.utils.rnn import pack_sequence
    >>> p = pack_sequence([fngrad.tensor([1, 2, 3]), fngrad.tensor([4])])
    >>> p.data, p.batch_sizes
    (tensor([1, 4, 2, 3]), tensor([2, 1, 1]))
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:  # PyTorch's legacy form: (data, batch_sizes) as one tuple
            data, batch_sizes = data
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    to = _converter("to")
    cpu = _converter("cpu")
    double = _converter("double")
    float = _converter("float")
    half = _converter("half")
    long = _converter("long")
    int = _converter("int")
    short = _converter("short")
    char = _converter("char")
    byte = _converter("byte")

    @property
    def is_cuda(self):
        """False: fngrad runs on the CPU only.

        >>> from fngrad.nn.utils.rnn import pack_sequence
        >>> pack_sequence([fngrad.ones(2)]).is_cuda
        False
        """
        return False

    def is_pinned(self):
        """False: fngrad has no pinned memory.

        >>> from fngrad.nn.utils.rnn import pack_sequence
        >>> pack_sequence([fngrad.ones(2)]).is_pinned()
        False
        """
        return False


def invert_permutation(permutation):
    """The inverse of a permutation given as an int64 tensor (None for None): ``out[perm[i]] = i``.

    >>> invert_permutation(fngrad.tensor([2, 0, 1]))
    tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    perm = np.asarray(permutation.tolist(), dtype=np.int64)
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(perm.size)
    return _int64(inverse)


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """What RNN, LSTM and GRU share: PyTorch's constructor arguments, parameters named
    ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (``weight_hr_l{k}``
    with LSTM's ``proj_size``; ``_reverse`` for the second direction) with PyTorch's shapes, and the
    forward pass over padded or packed input. ``mode`` is ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'``
    or ``'GRU'``.

    >>> from fngrad import nn
    >>> [name for name, _ in nn.RNNBase('GRU', 3, 4).named_parameters()]
    ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        for arg, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{arg} should be of type bool, got: {type(value).__name__}")
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int):
                raise TypeError(f"{arg} should be of type int, got: {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{arg} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        dtype = _factory_dtype(dtype, device)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = [prefix + suffix for prefix, _ in shapes]
                for name, (_, shape) in zip(names, shapes):
                    setattr(self, name, Parameter(_C.empty(shape, dtype, type(self).__name__)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters per layer and direction, each list in PyTorch's order (w_ih, w_hh, b_ih, b_hh, w_hr).

        >>> from fngrad import nn
        >>> [[tuple(w.shape) for w in ws] for ws in nn.GRU(3, 2, bias=False).all_weights]
        [[(6, 3), (6, 2)]]
        """
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """Does nothing: PyTorch packs the weights into one buffer for cuDNN, and fngrad has no cuDNN.

        >>> from fngrad import nn
        >>> nn.LSTM(3, 2).flatten_parameters()
        """

    def reset_parameters(self):
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch.

        >>> from fngrad import nn
        >>> rnn = nn.RNN(3, 4)
        >>> rnn.reset_parameters()
        >>> bool(rnn.weight_hh_l0.abs().max() <= 0.5)
        True
        """
        _reset_uniform(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        defaults = (("proj_size", 0), ("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0),
                    ("bidirectional", False))
        for arg, default in defaults:
            if getattr(self, arg) != default:
                s += f", {arg}={getattr(self, arg)}"
        return s

    # -- checks with PyTorch's wording (torch.nn.RNNBase.check_input / check_hidden_size) --

    def _check_input(self, input, packed):
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                             f"Convert input: input.to({weight_dtype}), or convert model: model.to({input.dtype})")
        expected_dim = 2 if packed else 3
        if input.dim() != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if input.size(-1) != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def _expected_hidden(self, batch, size):
        return (self.num_layers * (2 if self.bidirectional else 1), batch, size)

    @staticmethod
    def _check_hidden(hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected:
            raise RuntimeError(msg.format(expected, list(hx.shape)))

    def _state_sizes(self):
        """The sizes of the recurrent state's parts: (h,) or, for LSTM, (h, c)."""
        if self.mode != "LSTM":
            return (self.hidden_size,)
        return (self.proj_size if self.proj_size > 0 else self.hidden_size, self.hidden_size)

    def forward(self, input, hx=None):
        """Runs the layers over a sequence: ``input`` is (L, N, H_in) (``(N, L, H_in)`` with
        ``batch_first``), (L, H_in) unbatched, or a PackedSequence; ``hx`` is the initial state (zeros
        if None), (h_0, c_0) for LSTM. Returns (output, h_n), or (output, (h_n, c_n)) for LSTM.

        >>> from fngrad import nn
        >>> out, h = nn.GRU(3, 4, num_layers=2)(fngrad.ones(5, 2, 3))
        >>> out.shape, h.shape
        (fngrad.Size([5, 2, 4]), fngrad.Size([2, 2, 4]))
        """
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(self.mode, self.mode)
        lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        if lstm and hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError(f"LSTM: Expected hx to be a tuple (h_0, c_0) of two tensors, got {_typename(hx)}")
        state = None if hx is None else (tuple(hx) if lstm else (hx,))
        unbatched = False
        if packed:
            data, batch_sizes_t, sorted_indices, unsorted_indices = input
            batch_sizes = batch_sizes_t.tolist()
            batch = batch_sizes[0]
            if state is not None and sorted_indices is not None:
                state = tuple(s.index_select(1, sorted_indices) for s in state)
        else:
            if input.dim() not in (2, 3):
                tensor = " tensor" if name == "RNN" else ""
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tensor} instead")
            unbatched = input.dim() == 2
            if unbatched:
                input = input.unsqueeze(0 if self.batch_first else 1)
            if state is not None:
                want = 2 if unbatched else 3
                if any(s.dim() != want for s in state):
                    if lstm:
                        got = ", ".join(f"{s.dim()}-D" for s in state)
                        raise RuntimeError(f"For {'unbatched 2' if unbatched else 'batched 3'}-D input, hx and cx "
                                           f"should also be {want}-D but got ({got}) tensors")
                    raise RuntimeError(f"For {'unbatched 2' if unbatched else 'batched 3'}-D input, hx should "
                                       f"also be {want}-D but got {state[0].dim()}-D tensor")
                if unbatched:
                    state = tuple(s.unsqueeze(1) for s in state)
            if self.batch_first:
                input = input.transpose(0, 1)
            steps, batch = input.shape[0], input.shape[1]
            batch_sizes = [batch] * steps
            data = input.reshape(steps * batch, input.shape[2])
        self._check_input(data if packed else input, packed)
        if not batch_sizes:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        sizes = self._state_sizes()
        if state is None:
            state = tuple(_C.zeros(self._expected_hidden(batch, size), data.dtype) for size in sizes)
        elif lstm:
            for k, (s, size) in enumerate(zip(state, sizes)):
                self._check_hidden(s, self._expected_hidden(batch, size), f"Expected hidden[{k}] size {{}}, got {{}}")
        else:
            self._check_hidden(state[0], self._expected_hidden(batch, sizes[0]))
        out, finals = self._run(data, batch_sizes, state)
        if packed:
            finals = [f if unsorted_indices is None else f.index_select(1, unsorted_indices) for f in finals]
            output = PackedSequence(out, batch_sizes_t, sorted_indices, unsorted_indices)
        else:
            output = out.reshape(len(batch_sizes), batch, out.shape[-1])
            if self.batch_first:
                output = output.transpose(0, 1)
            if unbatched:
                output = output.squeeze(0 if self.batch_first else 1)
                finals = [f.squeeze(1) for f in finals]
        return output, (tuple(finals) if lstm else finals[0])

    def _run(self, data, batch_sizes, state):
        """All layers over flat time-major ``data`` ((sum of batch_sizes, H_in): the rows of step t
        follow those of step t - 1, as in a PackedSequence); returns the last layer's output in the
        same layout and the final states stacked as (layers * directions, N, H). Inside, everything
        is transposed, (features, rows), for the gates' layout (see _lstm_gates)."""
        num_directions = 2 if self.bidirectional else 1
        finals = [[] for _ in state]
        x = data.t()
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0:
                x = F.dropout(x, self.dropout, self.training)
            outs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                weights = [getattr(self, name) for name in self._all_weights[k]]
                out, last = self._run_direction(x, batch_sizes, [s[k].t() for s in state], weights, direction == 1)
                outs.append(out)
                for part, value in zip(finals, last):
                    part.append(value.t())
            x = outs[0] if num_directions == 1 else _C.cat(outs, 0)
        return x.t(), [_C.stack(part, 0) for part in finals]

    def _run_direction(self, x, batch_sizes, state, weights, reverse):
        """One layer in one direction over ``x`` (H_in, rows), from ``state`` [h_0] or [h_0, c_0], each
        (H, N). Sequences are sorted longest first, so at step t only the first batch_sizes[t] columns
        are still running. Returns the output (H, rows) and the final state."""
        w_ih, w_hh = weights[0], weights[1]
        b_ih, b_hh = (weights[2], weights[3]) if self.bias else (None, None)
        w_hr = weights[-1] if self.proj_size > 0 else None
        gru = self.mode == "GRU"
        # The input's projection for all steps in one matmul; b_hh joins it where the step only adds it.
        if b_ih is None:
            gi_all = w_ih.mm(x)
        else:
            bias = b_ih if gru else b_ih + b_hh
            gi_all = bias.unsqueeze(1).addmm(w_ih, x)
        b_hh = b_hh.unsqueeze(1) if gru and b_hh is not None else None
        # One split, not a slice per step: each slice's backward would write a zero-filled gradient
        # of gi_all's full size, a split's backward joins the pieces' gradients once.
        gi_steps = gi_all.split(batch_sizes, 1)
        steps = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
        full = state
        # Forward: columns of finished sequences leave the running state, kept in ``done`` for h_n.
        # Reverse: the shortest sequences start last, taking their columns from the initial state.
        running = full if not reverse else [s[:, :batch_sizes[-1]] for s in full]
        done = []
        outs = []
        for t in steps:
            bs = batch_sizes[t]
            have = running[0].shape[1]
            if bs < have:
                done.append([s[:, bs:] for s in running])
                running = [s[:, :bs] for s in running]
            elif bs > have:
                running = [_C.cat([r, s[:, have:bs]], 1) for r, s in zip(running, full)]
            gi = gi_steps[t]
            h = running[0]
            if gru:
                running = [_gru_gates(gi, w_hh.mm(h) if b_hh is None else b_hh.addmm(w_hh, h), h, 0)]
            elif self.mode == "LSTM":
                h, c = _lstm_gates(gi.addmm(w_hh, h), running[1], 0)
                running = [h if w_hr is None else w_hr.mm(h), c]  # proj_size: h is projected down
            else:
                running = [_rnn_activation(gi.addmm(w_hh, h), "tanh" if self.mode == "RNN_TANH" else "relu")]
            outs.append(running[0])
        if reverse:
            outs.reverse()
        out = outs[0] if len(outs) == 1 else _C.cat(outs, 1)
        if done:  # the finished columns sit after the running ones, the earliest finished last
            last = [_C.cat([r] + [d[j] for d in reversed(done)], 1) for j, r in enumerate(running)]
        else:
            last = running
        return out, last


class RNN(RNNBase):
    """Elman RNN layers: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked
    ``num_layers`` deep, optionally in both directions. Arguments, parameters and shapes as
    ``torch.nn.RNN``.

    >>> from fngrad import nn
    >>> out, h_n = nn.RNN(3, 4, nonlinearity='relu', batch_first=True)(fngrad.ones(2, 5, 3))
    >>> out.shape, h_n.shape
    (fngrad.Size([2, 5, 4]), fngrad.Size([1, 2, 4]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"RNN.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)


class LSTM(RNNBase):
    """LSTM layers: gates i, f, g, o from x_t and h_{t-1}; c_t = f c_{t-1} + i g, h_t = o tanh(c_t)
    (projected by W_hr with ``proj_size > 0``). Returns (output, (h_n, c_n)). Arguments, parameters
    and shapes as ``torch.nn.LSTM``.

    >>> from fngrad import nn
    >>> lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    >>> out, (h_n, c_n) = lstm(fngrad.ones(5, 3))
    >>> out.shape, h_n.shape, c_n.shape
    (fngrad.Size([5, 4]), fngrad.Size([4, 2]), fngrad.Size([4, 4]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """GRU layers: r, z from x_t and h_{t-1}; n = tanh(x_n + r (h_{t-1} W_hn^T + b_hn));
    h_t = (1 - z) n + z h_{t-1}. Arguments, parameters and shapes as ``torch.nn.GRU``.

    >>> from fngrad import nn
    >>> out, h_n = nn.GRU(3, 4, bidirectional=True)(fngrad.ones(5, 2, 3))
    >>> out.shape, h_n.shape
    (fngrad.Size([5, 2, 8]), fngrad.Size([2, 2, 4]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"GRU.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
