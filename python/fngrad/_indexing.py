"""Advanced indexing: the flat positions an index selects, by NumPy's rules (which PyTorch shares).

The native ``Tensor.__getitem__``/``__setitem__`` handle basic indices (ints, slices, None,
Ellipsis), a bool mask and a single integer tensor themselves; anything else comes here.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from . import _C

_INDEX_ERROR = "tensors used as indices must be long, int, byte or bool tensors"
_UINT8_INDEX_WARNING = "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead."


def _convert(item):
    if isinstance(item, _C.TensorBase):
        if item.dtype == _C.bool:
            return item.detach().numpy()
        if item.dtype in (_C.int64, _C.int32):
            return item.detach().numpy()
        if item.dtype == _C.uint8:  # a mask, as in PyTorch
            warnings.warn(_UINT8_INDEX_WARNING, UserWarning, stacklevel=4)
            return item.detach().numpy().astype(bool)
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


def _is_int(item) -> bool:
    return isinstance(item, numbers.Integral) and not isinstance(item, bool)


def _as_select(item):
    """A 0-d integer tensor indexes like a Python int (PyTorch's applySlicing selects with it)."""
    if isinstance(item, _C.TensorBase) and item.dim() == 0 and item.dtype in (_C.int64, _C.int32):
        return int(item.item())
    return item


def positions(shape, index):
    """An int64 tensor with, for each element x[index] selects, its flat position in x.

    PyTorch's order, which differs from NumPy's where ints and advanced indices mix: the basic
    indices (ints, slices, None, Ellipsis) apply first, so an int removes its dim before the
    advanced indices are placed; the advanced indices then stay where they are when they are
    adjacent in what is left (``x[0, :, idx]`` of a (2, 5, 4) tensor is (5, len(idx)), NumPy
    gives (len(idx), 5)), and go first otherwise.
    """
    items = index if isinstance(index, tuple) else (index,)
    converted = [np.array(c) if isinstance(c, bool) else c for c in (_convert(_as_select(i)) for i in items)]
    if sum(c is Ellipsis for c in converted) > 1:
        raise IndexError("[index] an index can only have a single ellipsis ('...')")
    consumed = 0
    for c in converted:
        if _is_int(c) or isinstance(c, slice):
            consumed += 1
        elif isinstance(c, np.ndarray):
            consumed += c.ndim if c.dtype == np.bool_ else 1
    if consumed > len(shape):
        raise IndexError(f"[index] too many indices for tensor of dimension {len(shape)}")
    numel = 1
    for n in shape:
        numel *= n
    try:
        table = np.arange(numel, dtype=np.int64).reshape(shape)
    except (ValueError, MemoryError) as e:  # NumPy cannot hold every position of a huge (expanded) tensor
        raise RuntimeError(f"[index] advanced indexing of a tensor of shape {list(shape)} needs a table of "
                           f"{numel} positions, which cannot be allocated: {e}") from None
    try:
        advanced = {}  # dim of the basic-indexed table -> index array
        dim = 0
        for c in converted:
            if c is None:
                table = np.expand_dims(table, dim)
                dim += 1
            elif c is Ellipsis:
                dim += len(shape) - consumed
            elif isinstance(c, slice):
                table = table[(slice(None),) * dim + (c,)]
                dim += 1
            elif _is_int(c):
                table = table[(slice(None),) * dim + (c,)]
            elif c.dtype == np.bool_ and c.ndim == 0:
                # PyTorch: unsqueeze, then index the new dim with [0] (True) or nothing (False).
                table = np.expand_dims(table, dim)
                advanced[dim] = np.zeros(1 if c else 0, dtype=np.int64)
                dim += 1
            else:
                advanced[dim] = c
                dim += c.ndim if c.dtype == np.bool_ else 1
        if advanced:
            full = []
            d = 0
            while d < table.ndim:
                if d in advanced:
                    full.append(advanced[d])
                    d += advanced[d].ndim if advanced[d].dtype == np.bool_ else 1
                else:
                    full.append(slice(None))
                    d += 1
            table = table[tuple(full)]
    except IndexError as e:
        message = str(e).replace("axis", "dimension")
        raise IndexError(f"[index] {message}") from None
    return _C.from_numpy(np.array(table, dtype=np.int64, order="C"))  # ascontiguousarray makes 0-d 1-d
