"""``fngrad.save`` and ``fngrad.load``: tensors, state dicts and nested containers in a zip of
``.npy`` files plus a JSON manifest. Loading never runs code from the file: there is no pickle
anywhere (arrays are read with ``np.load(..., allow_pickle=False)``).

The format (version 1)
----------------------

A zip archive (stored, not compressed) with:

- ``manifest.json``: ``{"format": "fngrad", "version": 1, "root": NODE, "arrays": [ARRAY, ...]}``
- ``arrays/<i>.npy``: one NumPy ``.npy`` file per entry ``i`` of ``"arrays"``, a 1-D array of
  the stored elements (dtype ``float32``, ``float64``, ``int64`` or ``bool``; any non-object
  dtype for saved NumPy arrays).

``NODE`` is a JSON object with a ``"type"``:

======================  =====================================================================
``none``                ``None``
``bool`` / ``int``      ``{"value": ...}`` (ints of any size)
``float``               ``{"hex": float.hex(x)}``: exact, and covers ``inf`` and ``nan``
``str``                 ``{"value": ...}``
``list`` / ``tuple``    ``{"items": [NODE, ...]}``
``dict``                ``{"items": [[KEY_NODE, VALUE_NODE], ...]}``, in order (keys may be any
``ordereddict``         node that is hashable when loaded: str, int, float, bool, None, tuple)
``tensor``              ``{"id": k}``: the k-th entry of ``"tensors"`` (the same tensor object
                        saved twice loads as one object)
``ndarray``             ``{"id": k}``: a NumPy array (comes back as a NumPy array)
======================  =====================================================================

An entry of ``"tensors"`` (and of ``"ndarrays"``) is ``{"array": i, "offset": o, "shape": [...],
"strides": [...], "dtype": "float32", "requires_grad": bool}``: the tensor's elements are
``arrays/<i>.npy`` read at ``offset + sum(index * strides)`` (counted in elements). Tensors whose
memory overlaps (a tensor and its views, ``detach()`` aliases) are stored once when the shared
span is no larger than their separate copies, and load as views of one array, so they share
memory again; otherwise each is stored on its own.

Loading a PyTorch state dict converted with NumPy::

    # with PyTorch
    sd = torch.load("model.pt")
    np.savez("model.npz", **{k: v.numpy() for k, v in sd.items()})
    # with fngrad (np.load with allow_pickle=False runs no code either)
    with np.load("model.npz", allow_pickle=False) as f:
        sd = {k: fngrad.from_numpy(f[k].copy()) for k in f.files}
    fngrad.save(sd, "model.fngrad")
"""

from __future__ import annotations

import io
import os
from collections import OrderedDict

import numpy as np

from . import _C
from ._tensor import Tensor

__all__ = ["save", "load"]

_FORMAT = "fngrad"
_VERSION = 1
_TENSOR_DTYPES = {"float32": _C.float32, "float64": _C.float64, "int64": _C.int64, "bool": _C.bool}


class _Writer:
    def __init__(self):
        self.arrays: list[np.ndarray] = []
        self.tensors: list[dict] = []
        self.ndarrays: list[dict] = []
        self._tensor_ids: dict[int, int] = {}
        self._pending: list[tuple[Tensor, dict]] = []
        self._keep: list = []  # keeps saved objects alive so that their ids stay unique

    def node(self, obj):
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, float):
            return {"type": "float", "hex": float(obj).hex()}
        if isinstance(obj, str):
            return {"type": "str", "value": obj}
        if isinstance(obj, Tensor):
            return {"type": "tensor", "id": self._tensor(obj)}
        if isinstance(obj, np.ndarray):
            return {"type": "ndarray", "id": self._ndarray(obj)}
        if isinstance(obj, (np.bool_, np.integer, np.floating)):
            return self.node(obj.item())
        if isinstance(obj, dict):
            kind = "ordereddict" if isinstance(obj, OrderedDict) else "dict"
            return {"type": kind, "items": [[self.node(k), self.node(v)] for k, v in obj.items()]}
        if isinstance(obj, list):
            return {"type": "list", "items": [self.node(v) for v in obj]}
        if isinstance(obj, tuple):
            return {"type": "tuple", "items": [self.node(v) for v in obj]}
        raise TypeError(
            f"[fngrad.save] cannot save an object of type {type(obj).__name__}: only tensors, NumPy arrays, "
            "dict/OrderedDict/list/tuple, str, int, float, bool and None are supported."
        )

    def _tensor(self, t: Tensor) -> int:
        if id(t) in self._tensor_ids:
            return self._tensor_ids[id(t)]
        entry = {"dtype": str(t.dtype).split(".")[-1], "requires_grad": bool(t.requires_grad)}
        self._keep.append(t)
        self._tensor_ids[id(t)] = len(self.tensors)
        self.tensors.append(entry)
        self._pending.append((t, entry))
        return self._tensor_ids[id(t)]

    def _ndarray(self, a: np.ndarray) -> int:
        if a.dtype.hasobject:
            raise TypeError("[fngrad.save] cannot save a NumPy array of dtype object (it would need pickle).")
        a = np.ascontiguousarray(a)
        self.ndarrays.append({"array": len(self.arrays), "offset": 0, "shape": list(a.shape),
                              "strides": _c_strides(a.shape), "dtype": a.dtype.str})
        self.arrays.append(a.reshape(-1))
        return len(self.ndarrays) - 1

    def place_tensors(self):
        """Chooses the stored arrays of all tensors: overlapping memory once when that is cheap."""
        views = []
        for t, entry in self._pending:
            a = t.detach().numpy()
            lo = a.__array_interface__["data"][0]
            hi = lo + (sum((n - 1) * s for n, s in zip(a.shape, a.strides)) + a.itemsize if a.size else 0)
            views.append((lo, hi, a, entry))
        # Sweep by start address: a group is a run of overlapping byte ranges.
        views.sort(key=lambda v: (v[0], -v[1]))
        group: list = []
        group_hi = None
        for view in views + [None]:
            if view is not None and group and view[2].size and view[0] < group_hi:
                group.append(view)
                group_hi = max(group_hi, view[1])
                continue
            if group:
                self._store_group(group, group_hi)
            group = [view] if view is not None else []
            group_hi = view[1] if view is not None else None

    def _store_group(self, group, group_hi):
        lo = group[0][0]
        itemsize = group[0][2].itemsize
        span = (group_hi - lo) // itemsize
        separate = sum(v[2].size for v in group)
        if len(group) > 1 and span <= separate:
            base = group[0][2]
            flat = np.lib.stride_tricks.as_strided(base, shape=(span,), strides=(itemsize,)).copy()
            index = len(self.arrays)
            self.arrays.append(flat)
            for start, _, a, entry in group:
                entry.update(array=index, offset=(start - lo) // itemsize, shape=list(a.shape),
                             strides=[s // itemsize for s in a.strides])
            return
        for _, _, a, entry in group:
            entry.update(array=len(self.arrays), offset=0, shape=list(a.shape), strides=_c_strides(a.shape))
            self.arrays.append(np.ascontiguousarray(a).reshape(-1))


def _c_strides(shape) -> list[int]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(int(n), 1)
    return strides[::-1]


def save(obj, f) -> None:
    """Saves ``obj`` (tensors, NumPy arrays and nested dict/OrderedDict/list/tuple of them, with
    numbers, strings and None) to ``f``, a path or a writable binary file object, in the zip
    format described in this module's docstring.

    Example::

        >>> import io, fngrad
        >>> buf = io.BytesIO()
        >>> fngrad.save({"w": fngrad.ones(2), "step": 3}, buf)
        >>> _ = buf.seek(0)
        >>> fngrad.load(buf)["w"]
        tensor([1., 1.])
    """
    writer = _Writer()
    root = writer.node(obj)
    writer.place_tensors()
    manifest = {"format": _FORMAT, "version": _VERSION, "root": root, "arrays": len(writer.arrays),
                "tensors": writer.tensors, "ndarrays": writer.ndarrays}
    import json  # here, not at import: zipfile and json are a twentieth of `import fngrad`
    import zipfile

    opened = isinstance(f, (str, os.PathLike))
    handle = open(f, "wb") if opened else f
    try:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr("manifest.json", json.dumps(manifest))
            for i, array in enumerate(writer.arrays):
                with z.open(f"arrays/{i}.npy", "w", force_zip64=array.nbytes > (1 << 31)) as out:
                    np.save(out, array, allow_pickle=False)
    finally:
        if opened:
            handle.close()


def _bad(msg: str):
    return ValueError(f"[fngrad.load] invalid file: {msg}")


class _Reader:
    def __init__(self, z, manifest: dict):
        self.z = z
        self.manifest = manifest
        self._arrays: dict[int, np.ndarray] = {}
        self._tensors: dict[int, Tensor] = {}

    def array(self, i) -> np.ndarray:
        if not isinstance(i, int) or not 0 <= i < self.manifest.get("arrays", 0):
            raise _bad(f"array index {i!r} out of range")
        if i not in self._arrays:
            with self.z.open(f"arrays/{i}.npy") as fh:
                data = io.BytesIO(fh.read())
            try:
                a = np.load(data, allow_pickle=False)
            except ValueError as e:
                raise ValueError(
                    f"[fngrad.load] refusing arrays/{i}.npy: it holds pickled Python objects, which fngrad.load "
                    f"never unpickles ({e})"
                ) from None
            if a.ndim != 1 or a.dtype.hasobject:
                raise _bad(f"arrays/{i}.npy must hold a 1-D array of numbers")
            self._arrays[i] = a
        return self._arrays[i]

    def view(self, entry) -> np.ndarray:
        """The entry's elements as a NumPy view of its stored array, after checking that every
        element lies inside that array."""
        try:
            flat = self.array(entry["array"])
            offset, shape, strides = entry["offset"], entry["shape"], entry["strides"]
        except (KeyError, TypeError):
            raise _bad("a tensor entry lacks array/offset/shape/strides") from None
        ints = [offset, *shape, *strides]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in ints) or len(shape) != len(strides):
            raise _bad("a tensor entry has a negative or non-integer geometry")
        if 0 in shape:
            return np.empty(shape, dtype=flat.dtype)
        last = offset + sum((n - 1) * s for n, s in zip(shape, strides))
        if last >= flat.size:
            raise _bad(f"a tensor entry reaches element {last} of an array of {flat.size}")
        return np.lib.stride_tricks.as_strided(flat[offset:], shape=shape, strides=[s * flat.itemsize for s in strides])

    def tensor(self, k) -> Tensor:
        tensors = self.manifest.get("tensors", [])
        if not isinstance(k, int) or not 0 <= k < len(tensors):
            raise _bad(f"tensor id {k!r} out of range")
        if k not in self._tensors:
            entry = tensors[k]
            dtype = _TENSOR_DTYPES.get(entry.get("dtype"))
            if dtype is None:
                raise _bad(f"unknown tensor dtype {entry.get('dtype')!r}")
            a = self.view(entry)
            if a.dtype != np.dtype(str(dtype).split(".")[-1]):
                raise _bad(f"tensor {k} is stored as {a.dtype}, expected {entry['dtype']}")
            t = _C.from_numpy(a)
            if entry.get("requires_grad") and dtype in (_C.float32, _C.float64):
                t.requires_grad_(True)
            self._tensors[k] = t
        return self._tensors[k]

    def node(self, n):
        if not isinstance(n, dict):
            raise _bad("a node must be an object")
        kind = n.get("type")
        if kind == "none":
            return None
        if kind in ("bool", "int", "str"):
            value = n.get("value")
            expected = {"bool": bool, "int": int, "str": str}[kind]
            if type(value) is not expected:
                raise _bad(f"a {kind} node holds {type(value).__name__}")
            return value
        if kind == "float":
            try:
                return float.fromhex(n["hex"])
            except (KeyError, TypeError, ValueError):
                raise _bad("a float node needs a hex value") from None
        if kind in ("list", "tuple"):
            items = [self.node(v) for v in self._items(n)]
            return items if kind == "list" else tuple(items)
        if kind in ("dict", "ordereddict"):
            out = OrderedDict() if kind == "ordereddict" else {}
            for pair in self._items(n):
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise _bad("a dict item must be a [key, value] pair")
                key = self.node(pair[0])
                try:
                    out[key] = self.node(pair[1])
                except TypeError:
                    raise _bad("a dict key is not hashable") from None
            return out
        if kind == "tensor":
            return self.tensor(n.get("id"))
        if kind == "ndarray":
            entries = self.manifest.get("ndarrays", [])
            k = n.get("id")
            if not isinstance(k, int) or not 0 <= k < len(entries):
                raise _bad(f"ndarray id {k!r} out of range")
            return self.view(entries[k]).reshape(entries[k]["shape"]).copy()
        raise _bad(f"unknown node type {kind!r}")

    @staticmethod
    def _items(n):
        items = n.get("items")
        if not isinstance(items, list):
            raise _bad(f"a {n.get('type')} node needs a list of items")
        return items


def load(f, map_location=None, *, weights_only=True, mmap=None):
    """Loads what :func:`save` wrote, from a path or a readable binary file object. Tensors come
    back as leaves (``requires_grad`` as saved); tensors saved sharing memory share it again.
    Only data is read: the manifest is JSON and arrays are read without pickle, so a file
    holding pickled objects (``torch.save``'s format, or a crafted ``.npy``) is refused.
    ``map_location``, ``weights_only`` and ``mmap`` are accepted for PyTorch compatibility
    (there is one device, and loading is always data-only).

    Example::

        >>> import io, fngrad
        >>> buf = io.BytesIO()
        >>> fngrad.save([1.5, (fngrad.zeros(1), "a")], buf)
        >>> _ = buf.seek(0)
        >>> fngrad.load(buf)
        [1.5, (tensor([0.]), 'a')]
    """
    import json  # as in save
    import zipfile

    opened = isinstance(f, (str, os.PathLike))
    handle = open(f, "rb") if opened else f
    try:
        if not opened and not (hasattr(handle, "seekable") and handle.seekable()):
            handle = io.BytesIO(handle.read())
        if not zipfile.is_zipfile(handle):
            raise ValueError(
                "[fngrad.load] not an fngrad.save file (expected a zip archive with manifest.json); "
                "fngrad.load never unpickles, so files written by torch.save or pickle are refused"
            )
        handle.seek(0)
        with zipfile.ZipFile(handle, "r") as z:
            try:
                manifest = json.loads(z.read("manifest.json"))
            except KeyError:
                raise _bad("no manifest.json") from None
            if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
                raise _bad("manifest.json is not an fngrad manifest")
            if manifest.get("version") != _VERSION:
                raise _bad(f"format version {manifest.get('version')!r}; this fngrad reads version {_VERSION}")
            return _Reader(z, manifest).node(manifest.get("root"))
    finally:
        if opened:
            handle.close()
