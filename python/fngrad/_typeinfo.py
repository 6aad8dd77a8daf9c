"""``fngrad.finfo`` and ``fngrad.iinfo``: the numerical limits of a dtype, with PyTorch's attributes
(``bits``, ``eps``, ``max``, ``min``, ``tiny``, ``smallest_normal``, ``resolution``; ``dtype`` is the
dtype's name), read from NumPy's finfo/iinfo; bfloat16, which NumPy lacks, is written out.

Example::

    >>> import fngrad
    >>> fngrad.finfo(fngrad.float32).eps
    1.1920928955078125e-07
    >>> fngrad.iinfo(fngrad.uint8).max
    255
"""

from __future__ import annotations

import numpy as np

from . import _C, _creation

__all__ = ["finfo", "iinfo"]

_NUMPY_FLOATS = {_C.float16: np.float16, _C.float32: np.float32, _C.float64: np.float64}
_NUMPY_INTS = {_C.uint8: np.uint8, _C.int8: np.int8, _C.int16: np.int16, _C.int32: np.int32, _C.int64: np.int64}
# bfloat16: float32's exponent range with an 8-bit significand.
_BFLOAT16 = dict(bits=16, eps=2.0**-7, max=(2 - 2.0**-7) * 2.0**127, tiny=2.0**-126, resolution=0.01)


def _name(dtype):
    return repr(dtype).rsplit(".", 1)[-1]


class finfo:
    """The limits of a floating-point dtype (the default dtype when none is given).

    >>> f = fngrad.finfo(fngrad.float16)
    >>> f.max, f.eps, f.bits
    (65504.0, 0.0009765625, 16)
    """

    def __init__(self, type=None):
        dtype = _creation.get_default_dtype() if type is None else type
        if dtype == _C.bfloat16:
            values = _BFLOAT16
        elif dtype in _NUMPY_FLOATS:
            f = np.finfo(_NUMPY_FLOATS[dtype])
            values = dict(bits=f.bits, eps=float(f.eps), max=float(f.max), tiny=float(f.smallest_normal),
                          resolution=10.0 ** -f.precision)
        else:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        self.bits = values["bits"]
        self.eps = values["eps"]
        self.max = values["max"]
        self.min = -values["max"]
        self.tiny = self.smallest_normal = values["tiny"]
        self.resolution = values["resolution"]
        self.dtype = _name(dtype)

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    __hash__ = None  # as PyTorch's

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """The limits of an integer dtype.

    >>> i = fngrad.iinfo(fngrad.int8)
    >>> i.min, i.max, i.bits
    (-128, 127, 8)
    """

    def __init__(self, type):
        if type == _C.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if type not in _NUMPY_INTS:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        i = np.iinfo(_NUMPY_INTS[type])
        self.bits, self.min, self.max = i.bits, int(i.min), int(i.max)
        self.dtype = _name(type)

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    __hash__ = None

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
