"""Creation functions that ``_creation`` lacks (logspace, scalar_tensor, range, Tensor.new_empty), and
PyTorch's keyword spellings of the existing ones: ``arange(end=5)``, ``zeros(size=(2, 3))``,
``ones_like(input=x)``, ``x.new_zeros(size=(2,))``. The keyword forms delegate to ``_creation``.

Example::

    >>> import fngrad
    >>> fngrad.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from . import _C, _creation

__all__ = ["arange", "logspace", "scalar_tensor", "range", "zeros", "ones", "empty", "zeros_like", "ones_like",
           "empty_like", "full_like"]

_Tensor = _C.TensorBase


def _size(op, size, size_kw):
    if size_kw is not None:
        if size:
            raise TypeError(f"[{op}] {op}() got multiple values for argument 'size'")
        return (tuple(size_kw),) if isinstance(size_kw, (list, tuple, _C.Size)) else (size_kw,)
    return size


def arange(start=None, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """Values from ``start`` (0 by default) to ``end`` (exclusive) by ``step``: ``arange(5)``,
    ``arange(end=5)``, ``arange(1, 5, 2)``; int64 for integer arguments, float32 otherwise.

    Example: ``fngrad.arange(end=3)`` is ``tensor([0, 1, 2])``.
    """
    if start is None and end is None:
        raise TypeError("[arange] arange() missing required argument 'end'")
    if end is None:
        start, end = 0, start
    elif start is None:
        start = 0
    return _creation.arange(start, end, step, dtype=dtype, device=device, requires_grad=requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False, out=None):
    """``steps`` values ``base ** linspace(start, end, steps)``. Example: ``fngrad.logspace(0, 2, 3, base=2)``."""
    start, end = (v.item() if isinstance(v, _Tensor) else v for v in (start, end))
    exponents = _creation.linspace(start, end, steps, dtype=_C.float64)
    dtype = _creation._dtype_or_default(dtype, "logspace")
    values = np.power(float(base), exponents.numpy())
    if dtype == _C.int64:
        values = np.trunc(values)
    return _creation.tensor(values, dtype=dtype, requires_grad=requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-dim tensor holding the number ``s`` (float32 by default). Example: ``fngrad.scalar_tensor(3)``."""
    if isinstance(s, _Tensor):
        s = s.item()
    if not isinstance(s, (numbers.Number, np.number, np.bool_)):
        raise TypeError(f"[scalar_tensor] scalar_tensor(): argument 's' must be Number, not {type(s).__name__}")
    return _creation.tensor(s, dtype=_creation._dtype_or_default(dtype, "scalar_tensor"), requires_grad=requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Deprecated in PyTorch: values from ``start`` to ``end`` *inclusive* by ``step`` (float32).

    Example: ``fngrad.range(0, 3)`` is ``tensor([0., 1., 2., 3.])``.
    """
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("[range] step must be nonzero")
    count = int(np.floor((end - start) / step)) + 1
    if count < 0:
        raise RuntimeError("[range] upper bound and larger bound inconsistent with step sign")
    values = start + step * np.arange(count, dtype=np.float64)
    return _creation.tensor(values, dtype=_creation._dtype_or_default(dtype, "range"), requires_grad=requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False, **kwargs):
    """A tensor of zeros: ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``."""
    return _creation.zeros(*_size("zeros", size, kwargs.pop("size", None)), dtype=dtype, requires_grad=requires_grad,
                           **kwargs)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False, **kwargs):
    """A tensor of ones: ``ones(2, 3)``, ``ones((2, 3))`` or ``ones(size=(2, 3))``."""
    return _creation.ones(*_size("ones", size, kwargs.pop("size", None)), dtype=dtype, requires_grad=requires_grad,
                          **kwargs)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False, **kwargs):
    """An uninitialised tensor: ``empty(2, 3)``, ``empty((2, 3))`` or ``empty(size=(2, 3))``."""
    return _creation.empty(*_size("empty", size, kwargs.pop("size", None)), dtype=dtype, requires_grad=requires_grad,
                           **kwargs)


def _like(fn):
    def like(input, *args, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
        return fn(input, *args, dtype=dtype, requires_grad=requires_grad)

    like.__name__ = fn.__name__
    like.__doc__ = fn.__doc__ + " (PyTorch's keywords: ``input=``, ``memory_format=``, ``layout=``.)"
    return like


zeros_like = _like(_creation.zeros_like)
ones_like = _like(_creation.ones_like)
empty_like = _like(_creation.empty_like)
full_like = _like(_creation.full_like)


def _new(name, fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False, **kwargs):
        size = _size(name, size, kwargs.pop("size", None))
        if kwargs:
            raise TypeError(f"[{name}] {name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
        return fn(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    method.__name__ = name
    method.__doc__ = (f"A tensor like ``{fn.__name__}(*size)`` with this tensor's dtype (unless ``dtype``): "
                      f"``x.{name}(2, 3)``, ``x.{name}((2, 3))`` or ``x.{name}(size=(2, 3))``.")
    return method


_METHODS = {
    "new_empty": _new("new_empty", _creation.empty),
    "new_zeros": _new("new_zeros", _creation.zeros),
    "new_ones": _new("new_ones", _creation.ones),
}
