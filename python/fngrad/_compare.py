"""Comparisons as functions (``fngrad.eq``, ``fngrad.greater``, ...), closeness (``isclose``,
``allclose``, ``equal``) and PyTorch's alias names of arithmetic (``subtract``, ``multiply``,
``true_divide``): thin wrappers on the native Tensor methods, with PyTorch's keywords.

Example::

    >>> import fngrad
    >>> a, b = fngrad.tensor([1.0, 2.0]), fngrad.tensor([1.0, 3.0])
    >>> fngrad.eq(a, b), fngrad.allclose(a, a + 1e-9)
    (tensor([ True, False]), True)
"""

from __future__ import annotations

import numpy as np

from . import _C
from ._creation import _SCALAR_TYPE_NAME, _type_name
from ._indexing_ops import _np

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal",
           "isclose", "allclose", "equal", "subtract", "multiply", "true_divide", "is_floating_point"]


def _out(result, out, op):
    """Writes ``result`` into ``out`` (PyTorch's ``out=``), which must have its shape."""
    if out is None:
        return result
    if not isinstance(out, _C.TensorBase):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {_type_name(out)}")
    if tuple(out.shape) != tuple(result.shape):
        raise RuntimeError(f"[{op}] out= has shape {list(out.shape)} but the result has shape "
                           f"{list(result.shape)}; fngrad does not resize out= tensors")
    return out.copy_(result)


def _input(input, op, name="input", position=1):
    """``input`` itself; PyTorch's TypeError where its signature wants a tensor and got anything else."""
    if not isinstance(input, _C.TensorBase):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, not {_type_name(input)}")
    return input


def _number_first(input, other, op):
    """Whether ``input`` is a Python number before a tensor or another number: PyTorch's signatures of
    subtract, multiply and true_divide take that (a wrapped number, as ``2 * x``; two numbers make a
    0-d tensor of the first)."""
    if isinstance(input, (bool, int, float)) and isinstance(other, (_C.TensorBase, bool, int, float)):
        return True
    _input(input, op)
    return False


def _comparison(method, name, doc_example, result, inplace_result):
    """The comparison function ``name``; ``result`` and ``inplace_result`` are what its docstring's
    examples print (``tensor([1, 2])`` against 1, and the in-place form on ``tensor([1., 2.])``, which
    keeps ``self``'s dtype)."""
    def compare(input, other, *, out=None):
        return _out(getattr(_input(input, name), method)(other), out, name)

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = (f"``input {doc_example} other`` elementwise, as a bool tensor (``other`` a tensor or a "
                       f"number, broadcast).\n\n>>> fngrad.{name}(fngrad.tensor([1, 2]), 1)\n{result}\n"
                       f">>> fngrad.tensor([1., 2.]).{name}_(1)  # in place: keeps self's dtype\n{inplace_result}")
    return compare


eq = _comparison("eq", "eq", "==", "tensor([ True, False])", "tensor([1., 0.])")
ne = _comparison("ne", "ne", "!=", "tensor([False,  True])", "tensor([0., 1.])")
lt = _comparison("lt", "lt", "<", "tensor([False, False])", "tensor([0., 0.])")
le = _comparison("le", "le", "<=", "tensor([ True, False])", "tensor([1., 0.])")
gt = _comparison("gt", "gt", ">", "tensor([False,  True])", "tensor([0., 1.])")
ge = _comparison("ge", "ge", ">=", "tensor([True, True])", "tensor([1., 1.])")
greater = _comparison("gt", "greater", ">", "tensor([False,  True])", "tensor([0., 1.])")
less = _comparison("lt", "less", "<", "tensor([False, False])", "tensor([0., 0.])")
greater_equal = _comparison("ge", "greater_equal", ">=", "tensor([True, True])", "tensor([1., 1.])")
less_equal = _comparison("le", "less_equal", "<=", "tensor([ True, False])", "tensor([1., 0.])")
not_equal = _comparison("ne", "not_equal", "!=", "tensor([False,  True])", "tensor([0., 1.])")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether each element of ``input`` is close to ``other``'s: ``|input - other| <= atol + rtol * |other|``
    (equal infinities are close; NaNs only with ``equal_nan``). Both are tensors of one dtype.

    Example::

        >>> import fngrad
        >>> fngrad.isclose(fngrad.tensor([1.0, 2.0]), fngrad.tensor([1.0 + 1e-7, 2.1]))
        tensor([ True, False])
    """
    input = _input(input, "isclose")
    if not isinstance(other, _C.TensorBase):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not {_type_name(other)}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"{_SCALAR_TYPE_NAME[input.dtype]} did not match {_SCALAR_TYPE_NAME[other.dtype]}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    close = input.detach().eq(other.detach())  # also checks that the shapes broadcast, in PyTorch's words
    if input.dtype == _C.bool:
        return close
    a, b = _np(input), _np(other)
    # Computed in the inputs' float dtype, as PyTorch does (integers in float64).
    ftype = a.dtype.type if a.dtype.kind == "f" else np.float64
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a.astype(ftype, copy=False) - b.astype(ftype, copy=False))
        allowed = ftype(atol) + np.abs(ftype(rtol) * b.astype(ftype, copy=False))
        result = close.numpy() | (np.isfinite(diff) & (diff <= allowed))
    if equal_nan and a.dtype.kind == "f":
        result |= np.isnan(a) & np.isnan(b)
    return _C.from_numpy(np.array(result, dtype=np.bool_))  # (ascontiguousarray would make a 0-d result 1-d)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether every element of ``input`` is close to ``other``'s (see ``isclose``), as a Python bool.

    Example::

        >>> import fngrad
        >>> fngrad.allclose(fngrad.ones(3), fngrad.ones(3) + 1e-9)
        True
    """
    if not isinstance(other, _C.TensorBase):
        raise TypeError(f"allclose(): argument 'other' (position 2) must be Tensor, not {_type_name(other)}")
    return bool(isclose(_input(input, "allclose"), other, rtol, atol, equal_nan).all().item())


def equal(input, other) -> bool:
    """Whether ``input`` and ``other`` have the same shape and the same values (NaN equals nothing).

    Example::

        >>> import fngrad
        >>> fngrad.equal(fngrad.tensor([1, 2]), fngrad.tensor([1.0, 2.0]))
        True
    """
    input = _input(input, "equal")
    if not isinstance(other, _C.TensorBase):
        raise TypeError(f"equal(): argument 'other' (position 2) must be Tensor, not {_type_name(other)}")
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(input.detach().eq(other.detach()).all().item())


def subtract(input, other, *, alpha=1, out=None):
    """``input - alpha * other`` (``fngrad.sub``'s other name).

    >>> fngrad.subtract(fngrad.ones(2), 1, alpha=2)
    tensor([-1., -1.])
    """
    if _number_first(input, other, "subtract"):
        return _out(_C.sub(input, other, alpha=alpha), out, "subtract")
    return _out(input.sub(other, alpha=alpha), out, "subtract")


def multiply(input, other, *, out=None):
    """``input * other`` (``fngrad.mul``'s other name).

    >>> fngrad.multiply(fngrad.ones(2), 3)
    tensor([3., 3.])
    """
    return _out(_C.mul(input, other) if _number_first(input, other, "multiply") else input.mul(other), out,
                "multiply")


def true_divide(input, other, *, out=None):
    """``input / other`` in floating point (``fngrad.div``'s other name).

    >>> fngrad.true_divide(fngrad.ones(2), 3)
    tensor([0.3333, 0.3333])
    """
    return _out(_C.div(input, other) if _number_first(input, other, "true_divide") else input.div(other), out,
                "true_divide")


def is_floating_point(input) -> bool:
    """Whether ``input``'s dtype is a floating-point one.

    >>> fngrad.is_floating_point(fngrad.ones(1))
    True
    """
    return _input(input, "is_floating_point").is_floating_point()


def _subtract_(self, other, *, alpha=1):
    """In place ``self -= alpha * other``.

    >>> fngrad.tensor([5., 6.]).subtract_(fngrad.tensor([1., 1.]), alpha=2)
    tensor([3., 4.])
    """
    return self.sub_(other, alpha=alpha)


def _multiply_(self, other):
    """In place ``self *= other``.

    >>> fngrad.tensor([1., 2.]).multiply_(3)
    tensor([3., 6.])
    """
    return self.mul_(other)


def _true_divide_(self, other):
    """In place ``self /= other``.

    >>> fngrad.tensor([1., 3.]).true_divide_(2)
    tensor([0.5000, 1.5000])
    """
    return self.div_(other)


# The functions double as methods: ``self`` binds to PyTorch's ``input``.
_METHODS = {
    **{name: globals()[name] for name in ("greater", "less", "greater_equal", "less_equal", "not_equal", "isclose",
                                          "allclose", "equal", "subtract", "multiply", "true_divide")},
    "subtract_": _subtract_,
    "multiply_": _multiply_,
    "true_divide_": _true_divide_,
}
