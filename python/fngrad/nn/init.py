"""Parameter initialisation, as ``torch.nn.init``: each function fills a tensor in place (without
recording a graph) and returns it. Random values come from ``fngrad.manual_seed``'s generator (or
``generator=``), drawn with NumPy.

Example::

    >>> import fngrad
    >>> from fngrad import nn
    >>> w = fngrad.empty(3, 5)
    >>> _ = nn.init.xavier_uniform_(w)
    >>> bool((w.abs() <= (6 / 8) ** 0.5).all())
    True
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _C
from .._creation import default_generator, from_numpy
from ..autograd.grad_mode import no_grad

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
]


def _rng(generator):
    return (generator if generator is not None else default_generator)._rng


def _np_dtype(tensor):
    return np.float64 if tensor.dtype == _C.float64 else np.float32


def _write(tensor, values):
    """Copies the NumPy array ``values`` into ``tensor`` in place, without recording a graph."""
    with no_grad():
        tensor.copy_(from_numpy(np.ascontiguousarray(values, dtype=_np_dtype(tensor)).reshape(tuple(tensor.shape))))
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for
    relu, sqrt(2 / (1 + slope**2)) for leaky_relu, 3/4 for selu.

    >>> from fngrad.nn import init
    >>> init.calculate_gain('relu'), init.calculate_gain('tanh'), init.calculate_gain('leaky_relu', 0.2)
    (1.4142135623730951, 1.6666666666666667, 1.3867504905630728)
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field_size = 1
    for s in tuple(tensor.shape)[2:]:
        receptive_field_size *= s
    return tensor.shape[1] * receptive_field_size, tensor.shape[0] * receptive_field_size


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fills ``tensor`` with values from U(a, b).

    >>> from fngrad.nn import init
    >>> w = init.uniform_(fngrad.empty(3, 5), -0.1, 0.1)
    >>> bool(w.abs().max() <= 0.1)
    True
    """
    return _write(tensor, _rng(generator).uniform(a, b, tuple(tensor.shape)))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fills ``tensor`` with values from N(mean, std**2).

    >>> from fngrad.nn import init
    >>> w = init.normal_(fngrad.empty(1000), mean=1.0, std=0.1)
    >>> bool(abs(w.mean() - 1.0) < 0.02), bool(abs(w.std() - 0.1) < 0.02)
    (True, True)
    """
    return _write(tensor, _rng(generator).normal(mean, std, tuple(tensor.shape)))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fills ``tensor`` with N(mean, std**2) values conditioned on lying in [a, b].

    >>> from fngrad.nn import init
    >>> w = init.trunc_normal_(fngrad.empty(1000), std=1.0, a=-2.0, b=2.0)
    >>> bool(w.abs().max() <= 2.0)
    True
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may "
                      "be incorrect.", stacklevel=2)
    rng = _rng(generator)
    n = tensor.numel()
    out = np.empty(0)
    # Rejection sampling: exact for the truncated normal; the acceptance rate is P(a <= X <= b).
    while out.size < n:
        draw = rng.normal(mean, std, max(2 * (n - out.size), 16))
        out = np.concatenate([out, draw[(draw >= a) & (draw <= b)]])
    return _write(tensor, np.clip(out[:n], a, b))


def constant_(tensor, val):
    """Fills ``tensor`` with ``val``.

    >>> from fngrad.nn import init
    >>> init.constant_(fngrad.empty(2, 2), 0.5)
    tensor([[0.5000, 0.5000],
            [0.5000, 0.5000]])
    """
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """Fills ``tensor`` with ones.

    >>> from fngrad.nn import init
    >>> init.ones_(fngrad.empty(2))
    tensor([1., 1.])
    """
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fills ``tensor`` with zeros.

    >>> from fngrad.nn import init
    >>> init.zeros_(fngrad.empty(2))
    tensor([0., 0.])
    """
    with no_grad():
        return tensor.zero_()


def eye_(tensor):
    """Fills the 2-D ``tensor`` with the identity matrix (ones on the diagonal).

    >>> from fngrad.nn import init
    >>> init.eye_(fngrad.empty(2, 3))
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tuple(tensor.shape)))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Fills ``tensor`` from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    >>> from fngrad.nn import init
    >>> w = init.xavier_uniform_(fngrad.empty(3, 5))
    >>> bool(w.abs().max() <= (6 / (3 + 5)) ** 0.5)
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fills ``tensor`` from N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out)).

    >>> from fngrad.nn import init
    >>> w = init.xavier_normal_(fngrad.empty(300, 500))
    >>> round(w.std().item(), 3)
    0.05
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fills ``tensor`` from U(-bound, bound), bound = gain * sqrt(3 / fan) (He et al., 2015).

    >>> from fngrad.nn import init
    >>> w = init.kaiming_uniform_(fngrad.empty(4, 6), nonlinearity='relu')
    >>> bool(w.abs().max() <= 1.0)
    True
    """
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fills ``tensor`` from N(0, std**2), std = gain / sqrt(fan).

    >>> from fngrad.nn import init
    >>> w = init.kaiming_normal_(fngrad.empty(256, 512))
    >>> round(w.std().item(), 2)
    0.06
    """
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fills ``tensor`` (2-D or more, flattened past dim 0) with a (semi-)orthogonal matrix times ``gain``.

    >>> from fngrad.nn import init
    >>> q = init.orthogonal_(fngrad.empty(3, 3))
    >>> fngrad.allclose(q @ q.T, fngrad.eye(3), atol=1e-6)
    True
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flattened = _rng(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flattened = flattened.T
    q, r = np.linalg.qr(flattened)
    q = q * np.sign(np.diag(r))  # makes the decomposition unique, so q is uniformly distributed
    if rows < cols:
        q = q.T
    return _write(tensor, q * gain)
