"""Advanced indexing: the flat positions an index selects, by NumPy's rules (which PyTorch shares).

The native ``Tensor.__getitem__``/``__setitem__`` handle basic indices (ints, slices, None,
Ellipsis), a bool mask and a single integer tensor themselves; anything else comes here.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _C

_INDEX_ERROR = "tensors used as indices must be long, int, byte or bool tensors"


def _convert(item):
    if isinstance(item, _C.TensorBase):
        if item.dtype == _C.bool:
            return item.detach().numpy()
        if item.dtype == _C.int64:
            return item.detach().numpy()
        raise IndexError(_INDEX_ERROR)
    if isinstance(item, np.ndarray):
        if item.dtype.kind not in "biu":
            raise IndexError(_INDEX_ERROR)
        return item
    if isinstance(item, (list, tuple)):
        arr = np.asarray(item)
        if arr.size and arr.dtype.kind not in "biu":
            raise IndexError(_INDEX_ERROR)
        return arr.astype(np.int64) if arr.dtype.kind == "f" or arr.size == 0 else arr
    if item is None or item is Ellipsis or isinstance(item, (slice, numbers.Integral)):
        if isinstance(item, slice) and item.step is not None and item.step <= 0:
            raise ValueError("step must be greater than zero")
        return item
    raise TypeError(
        f"[index] Only integers, slices (`:`), ellipsis (`...`), None, lists and long or bool tensors are valid "
        f"indices (got {type(item).__name__})."
    )


def positions(shape, index):
    """An int64 tensor with, for each element x[index] selects, its flat position in x."""
    items = index if isinstance(index, tuple) else (index,)
    converted = tuple(_convert(i) for i in items)
    flat = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64).reshape(shape)
    try:
        pos = flat[converted]
    except IndexError as e:
        message = str(e).replace("axis", "dimension")
        raise IndexError(message) from None
    return _C.from_numpy(np.ascontiguousarray(pos, dtype=np.int64))
