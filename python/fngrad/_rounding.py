"""Rounding division and rounding to decimals, over the native table's floor_divide, remainder,
fmod, trunc and round: the operators ``//`` and ``%`` (with their reflected and in-place forms),
``div(..., rounding_mode=)`` and ``round(..., decimals=)``.

>>> import fngrad
>>> fngrad.tensor([7, -7]) // 2, fngrad.tensor([7, -7]) % 3
(tensor([ 3, -4]), tensor([1, 2]))
>>> fngrad.div(fngrad.tensor([7, -7]), 2, rounding_mode='trunc')
tensor([ 3, -3])
"""

from __future__ import annotations

import builtins

from . import _C

__all__ = ["div", "divide", "round"]

# The native table's methods, which the wrappers below extend with keywords.
_true_div = _C.TensorBase.div
_true_div_ = _C.TensorBase.div_
_round = _C.TensorBase.round
_round_ = _C.TensorBase.round_


def _check_mode(rounding_mode):
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")


def _is_floating(x):
    return isinstance(x, builtins.float) or (isinstance(x, _C.TensorBase) and x.is_floating_point())


def _trunc_divide(input, other):
    """input / other rounded towards zero. Integers stay exact: a - fmod(a, b) is a multiple of b,
    so its floor division is the truncated quotient (and an integer zero divisor raises, as in
    PyTorch). Floats are trunc(a / b), as PyTorch computes them, with a zero gradient."""
    if _is_floating(input) or _is_floating(other):
        return _C.trunc(_C.div(input, other))
    # (fmod takes a tensor first, as PyTorch's: a number input is made a 0-d tensor, which promotes as one)
    a = input if isinstance(input, _C.TensorBase) else _C.full([], input, _C.bool if isinstance(input, bool) else _C.int64)
    return _C.floor_divide(a - _C.fmod(a, other), other)


def div(input, other, *, rounding_mode=None, out=None):
    """input / other, elementwise; ``rounding_mode`` 'trunc' rounds the quotient towards zero,
    'floor' towards minus infinity (as ``//``). Rounded quotients have a zero gradient.

    >>> fngrad.div(fngrad.tensor([7., -7.]), 2, rounding_mode='floor')
    tensor([ 3., -4.])
    """
    _check_mode(rounding_mode)
    if rounding_mode is None:
        return _C.div(input, other, out=out)
    if rounding_mode == "floor":
        return _C.floor_divide(input, other, out=out)
    result = _trunc_divide(input, other)
    return result if out is None else out.copy_(result)


divide = div


def _div_method(self, other, *, rounding_mode=None):
    """Tensor.div(other, *, rounding_mode=None): see fngrad.div.

    >>> fngrad.tensor([7, -7]).div(2, rounding_mode='trunc')
    tensor([ 3, -3])
    """
    if rounding_mode is None:
        return _true_div(self, other)
    _check_mode(rounding_mode)
    return _C.floor_divide(self, other) if rounding_mode == "floor" else _trunc_divide(self, other)


def _div_method_(self, other, *, rounding_mode=None):
    """In-place form of Tensor.div (self's dtype must hold the result).

    >>> x = fngrad.tensor([7, -7]); x.div_(2, rounding_mode='floor')
    tensor([ 3, -4])
    """
    if rounding_mode is None:
        return _true_div_(self, other)
    _check_mode(rounding_mode)
    if rounding_mode == "floor":
        return self.floor_divide_(other)
    if _is_floating(self) or _is_floating(other):
        return _true_div_(self, other).trunc_()
    return self.sub_(_C.fmod(self, other)).floor_divide_(other)


def round(input, *, decimals=0, out=None):
    """Rounds to the nearest integer (halves to even), or to ``decimals`` decimal places (negative:
    to tens, hundreds, ...). Zero gradient.

    >>> fngrad.round(fngrad.tensor([1.2345, -0.125]), decimals=2)
    tensor([ 1.2300, -0.1200])
    """
    if decimals == 0:
        return _C.round(input, out=out)
    result = _round_decimals(input, decimals)
    return result if out is None else out.copy_(result)


def _round_decimals(x, decimals):
    if not x.is_floating_point():
        raise NotImplementedError(f"[round] \"round_cpu\" not implemented for '{str(x.dtype).split('.')[-1]}'"
                                  " with decimals (rounding integers to decimals).")
    # As PyTorch: scale by a power of ten computed in x's dtype, round, scale back.
    if decimals > 0:
        scale = 10.0 ** decimals
        return _C.round(x * scale) / scale
    scale = 10.0 ** -decimals
    return _C.round(x / scale) * scale


def _round_method(self, *, decimals=0):
    """Tensor.round(*, decimals=0): see fngrad.round.

    >>> fngrad.tensor([2.5, 3.5]).round()
    tensor([2., 4.])
    """
    return _round(self) if decimals == 0 else _round_decimals(self, decimals)


def _round_method_(self, *, decimals=0):
    """In-place form of Tensor.round.

    >>> x = fngrad.tensor([1.26]); x.round_(decimals=1)
    tensor([1.3000])
    """
    if decimals == 0:
        return _round_(self)
    if not self.is_floating_point():
        _round_decimals(self, decimals)  # raises PyTorch's error for integers
    if decimals > 0:
        scale = 10.0 ** decimals
        return _round_(self.mul_(scale)).div_(scale)
    scale = 10.0 ** -decimals
    return _round_(self.div_(scale)).mul_(scale)


def _floordiv(self, other):
    return _C.floor_divide(self, other)


def _rfloordiv(self, other):
    return _C.floor_divide(other, self)


def _mod(self, other):
    return _C.remainder(self, other)


def _rmod(self, other):
    return _C.remainder(other, self)


def _ifloordiv(self, other):
    return self.floor_divide_(other)


def _imod(self, other):
    return self.remainder_(other)


_METHODS = {
    "div": _div_method,
    "div_": _div_method_,
    "divide": _div_method,
    "divide_": _div_method_,
    "round": _round_method,
    "round_": _round_method_,
    "__floordiv__": _floordiv,
    "__rfloordiv__": _rfloordiv,
    "__mod__": _mod,
    "__rmod__": _rmod,
    "__ifloordiv__": _ifloordiv,
    "__imod__": _imod,
}
