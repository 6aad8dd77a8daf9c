"""Creation functions beyond ``_creation``'s: logspace, scalar_tensor, range. (PyTorch's keyword
spellings of the others, ``arange(end=5)``, ``zeros(size=(2, 3))``, ``ones_like(input=x)``, are
in ``_creation`` itself.)

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

__all__ = ["logspace", "scalar_tensor", "range"]

_Tensor = _C.TensorBase


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False, out=None):
    """``steps`` values ``base ** linspace(start, end, steps)``.

    >>> fngrad.logspace(0, 2, 3, base=2)
    tensor([1., 2., 4.])
    """
    start, end = (v.item() if isinstance(v, _Tensor) else v for v in (start, end))
    dtype = _creation._dtype_or_default(dtype, "logspace")
    if not dtype.is_floating_point and dtype != _C.bool and steps > 1:
        # PyTorch's integer kernel: integer ends, exponents as its integer linspace computes them
        exponents = _creation._linspace_integral(int(start), int(end), steps)
    else:
        exponents = _creation.linspace(start, end, steps, dtype=_C.float64).numpy()
    values = np.power(float(base), exponents)
    if not dtype.is_floating_point:
        values = np.trunc(values)
    return _creation.tensor(values, dtype=dtype, requires_grad=requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-dim tensor holding the number ``s`` (float32 by default).

    >>> fngrad.scalar_tensor(3)
    tensor(3.)
    """
    if isinstance(s, _Tensor):
        s = s.item()
    if not isinstance(s, (numbers.Number, np.number, np.bool_)):
        raise TypeError(f"[scalar_tensor] scalar_tensor(): argument 's' must be Number, not {type(s).__name__}")
    return _creation.tensor(s, dtype=_creation._dtype_or_default(dtype, "scalar_tensor"), requires_grad=requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Deprecated in PyTorch: values from ``start`` to ``end`` *inclusive* by ``step`` (float32).

    >>> fngrad.range(0, 3)
    tensor([0., 1., 2., 3.])
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
