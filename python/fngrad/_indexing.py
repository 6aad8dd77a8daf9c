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
        try:
            arr = np.asarray(item)
        except ValueError:
            raise IndexError(f"[index] an index made of nested lists of uneven lengths is not valid: {item!r}") from None
        if arr.size and arr.dtype.kind not in "biu":
            raise IndexError(_INDEX_ERROR)
        return arr.astype(np.int64) if arr.dtype.kind == "f" or arr.size == 0 else arr
    if item is None or item is Ellipsis or isinstance(item, (slice, numbers.Integral)):
        if isinstance(item, slice) and item.step is not None and item.step <= 0:
            raise ValueError("step must be greater than zero")
        return item
    if isinstance(item, (str, bytes)):
        raise TypeError(f"[index] new(): invalid data type '{type(item).__name__}'")
    name = type(item).__name__ if type(item).__module__ == "builtins" else f"{type(item).__module__}.{type(item).__name__}"
    raise IndexError(
        f"[index] only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
        f"(got {name})"
    )


def positions(shape, index):
    """An int64 tensor with, for each element x[index] selects, its flat position in x."""
    items = index if isinstance(index, tuple) else (index,)
    converted = tuple(_convert(i) for i in items)
    numel = 1
    for n in shape:
        numel *= n
    try:
        flat = np.arange(numel, dtype=np.int64).reshape(shape)
    except (ValueError, MemoryError) as e:  # NumPy cannot hold every position of a huge (expanded) tensor
        raise RuntimeError(f"[index] advanced indexing of a tensor of shape {list(shape)} needs a table of "
                           f"{numel} positions, which cannot be allocated: {e}") from None
    try:
        pos = flat[converted]
    except IndexError as e:
        message = str(e).replace("axis", "dimension")
        raise IndexError(message) from None
    return _C.from_numpy(np.ascontiguousarray(pos, dtype=np.int64))
