"""Classifying floats: isnan, isinf, isposinf, isneginf, isfinite, isreal, signbit (bool results, no
gradient), and nan_to_num (whose gradient passes where the input is finite, as PyTorch's)."""

from __future__ import annotations

import numpy as np

from . import _C
from ._indexing_ops import _inplace, _np, _wrap
from .autograd.function import Function

_BFLOAT16_MAX = 3.3895313892515355e38  # (2 - 2**-7) * 2**127

__all__ = ["isnan", "isinf", "isposinf", "isneginf", "isfinite", "isreal", "signbit", "nan_to_num"]


def _classify(input, test):
    a = _np(input)
    return _wrap(test(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool))


def isnan(input):
    """Where ``input`` is NaN.

    >>> fngrad.isnan(fngrad.tensor([1., float('nan')])).tolist()
    [False, True]
    """
    return _classify(input, np.isnan)


def isinf(input):
    """Where ``input`` is +inf or -inf.

    >>> fngrad.isinf(fngrad.tensor([1., float('-inf')])).tolist()
    [False, True]
    """
    return _classify(input, np.isinf)


def isposinf(input):
    """Where ``input`` is +inf.

    >>> fngrad.isposinf(fngrad.tensor([float('inf'), float('-inf')])).tolist()
    [True, False]
    """
    return _classify(input, np.isposinf)


def isneginf(input):
    """Where ``input`` is -inf.

    >>> fngrad.isneginf(fngrad.tensor([float('inf'), float('-inf')])).tolist()
    [False, True]
    """
    return _classify(input, np.isneginf)


def isfinite(input):
    """Where ``input`` is neither NaN nor infinite (integers and bools always are).

    >>> fngrad.isfinite(fngrad.tensor([1., float('inf')])).tolist()
    [True, False]
    """
    a = _np(input)
    return _wrap(np.isfinite(a) if a.dtype.kind == "f" else np.ones(a.shape, bool))


def isreal(input):
    """Where ``input`` has no imaginary part: everywhere, as fngrad has no complex dtypes.

    >>> fngrad.isreal(fngrad.tensor([1., 2.])).tolist()
    [True, True]
    """
    return _wrap(np.ones(tuple(input.shape), bool))


def signbit(input):
    """Where the sign bit of ``input`` is set (also for -0.0 and negative NaN).

    >>> fngrad.signbit(fngrad.tensor([-0.0, 0.0, -2.0])).tolist()
    [True, False, True]
    """
    a = _np(input)
    return _wrap(np.signbit(a) if a.dtype != np.bool_ else np.zeros(a.shape, bool))


class _NanToNum(Function):
    _node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, input, nan, posinf, neginf):
        a = _np(input)
        # bfloat16 is computed in float32, but its own largest finite value is the default.
        big = _BFLOAT16_MAX if input.dtype == _C.bfloat16 else np.finfo(a.dtype).max
        out = np.nan_to_num(a, nan=nan, posinf=big if posinf is None else posinf,
                            neginf=-big if neginf is None else neginf)
        ctx.save_for_backward(input)
        return _wrap(out, input.dtype)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return _C.where(isfinite(input), grad, 0.0), None, None, None


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """``input`` with NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default
    the dtype's largest and lowest finite values).

    >>> fngrad.nan_to_num(fngrad.tensor([float('nan'), 1.0]), nan=-1.0).tolist()
    [-1.0, 1.0]
    """
    if not input.is_floating_point():
        return input.clone()
    return _NanToNum.apply(input, nan, posinf, neginf)


_METHODS = {name: globals()[name] for name in __all__}
_METHODS["nan_to_num_"] = _inplace(nan_to_num)
