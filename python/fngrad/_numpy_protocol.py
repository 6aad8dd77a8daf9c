"""NumPy's override protocols on tensors: ``__array_ufunc__``, ``__array_function__``, ``__array_wrap__``.

A NumPy ufunc or function applied to tensors either runs as the fngrad op of the same meaning, so the
graph is recorded (``np.exp(w)``, ``np.sum(w, axis=0)``, ``ndarray - w``), or, when fngrad has no such
op, behaves as it does on PyTorch's tensors: a tensor that requires grad raises PyTorch's "Can't call
numpy() on Tensor that requires grad" error, any other tensor is computed on by NumPy and the result
comes back as PyTorch would give it (a tensor for ufuncs, an ndarray or NumPy scalar for most
functions). Nothing returns an ndarray that silently dropped a graph. See ``docs/numpy.md``.

The fngrad op is looked up by name at call time (in the ``fngrad`` namespace, then among the Tensor
methods), so an op family installed later (``fngrad.floor``, ``fngrad.cumsum``, ``fngrad.linalg``)
is picked up without an edit here.

Example::

    >>> import numpy as np, fngrad
    >>> w = fngrad.tensor([1.0, 2.0], requires_grad=True)
    >>> loss = (np.exp(w) - np.array([1.0, 1.0])).sum()
    >>> loss.backward()
    >>> w.grad
    tensor([2.7183, 7.3891])
"""

from __future__ import annotations

import numbers
import sys

import numpy as np

from . import _C
from ._C import TensorBase
from ._creation import from_numpy, tensor

# The package namespace that op families install their functions into (fngrad.NAME). Read at call
# time, never at import, so functions installed after this module are found.
_fngrad = sys.modules[__package__]

# PyTorch's error for a NumPy conversion of a tensor that requires grad (what Tensor.numpy() raises).
_REQUIRES_GRAD_MESSAGE = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."

# NumPy ufunc names whose fngrad (PyTorch) name differs; every other ufunc is looked up by its own name.
_UFUNC_NAMES = {
    "absolute": "abs", "fabs": "abs", "negative": "neg", "subtract": "sub", "multiply": "mul", "divide": "div",
    "power": "pow", "arctan2": "atan2", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
    "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "greater": "gt", "greater_equal": "ge",
    "less": "lt", "less_equal": "le", "equal": "eq", "not_equal": "ne", "rint": "round",
    "degrees": "rad2deg", "radians": "deg2rad", "invert": "bitwise_not",
    "left_shift": "bitwise_left_shift", "right_shift": "bitwise_right_shift",
}

_UFUNC_NAME_CACHE: dict = {}


def _ufunc_name(ufunc) -> str:
    """The fngrad name for ``ufunc`` (remembered: NumPy builds ``ufunc.__name__`` anew on each read)."""
    name = _UFUNC_NAME_CACHE.get(ufunc)
    if name is None:
        name = _UFUNC_NAME_CACHE[ufunc] = _UFUNC_NAMES.get(ufunc.__name__, ufunc.__name__)
    return name


# ufunc.reduce and ufunc.accumulate as fngrad reductions and scans (looked up by name at call time).
_REDUCE_NAMES = {"add": "sum", "multiply": "prod", "maximum": "amax", "minimum": "amin",
                 "logical_and": "all", "logical_or": "any"}
_ACCUMULATE_NAMES = {"add": "cumsum", "multiply": "cumprod", "maximum": "cummax", "minimum": "cummin"}
_SCANS_RETURNING_INDICES = ("cummax", "cummin")

# Results NumPy's methods wrap with __array_wrap__ on PyTorch's tensors (``outer`` and ``at`` do not).
_WRAPPED_METHODS = ("__call__", "reduce", "accumulate", "reduceat")

_FNGRAD_DTYPES = {np.dtype(np.float32): _C.float32, np.dtype(np.float64): _C.float64,
                  np.dtype(np.int64): _C.int64, np.dtype(np.bool_): _C.bool}


# The same dtypes by their one-letter codes (a dtype's hash is slow to compute; a str's is cached).
_SHARED_DTYPE_CHARS = frozenset(d.char for d in _FNGRAD_DTYPES)


class _Unmapped(Exception):
    """This call cannot be expressed with fngrad's ops (a keyword, a missing op): NumPy computes it."""


def _lookup(name):
    """The fngrad function ``name`` ("linalg.inv" for a submodule's), else the Tensor method ``name``
    (comparisons exist only as methods) called on its first argument as a tensor; None when fngrad
    has neither."""
    obj = getattr(_fngrad, name, None)
    if "." in name:
        obj = _fngrad
        for part in name.split("."):
            obj = getattr(obj, part, None)
    elif obj is None:
        method = getattr(_fngrad.Tensor, name, None)
        if callable(method):
            return _method_caller(method)
    return obj if callable(obj) and not isinstance(obj, type) else None


_METHOD_CALLERS: dict = {}


def _method_caller(method):
    """A function calling the Tensor method ``method`` with its first argument made a tensor (made
    once per method)."""
    caller = _METHOD_CALLERS.get(method)
    if caller is None:
        def caller(first, *rest):
            return method(_first_tensor(first), *rest)
        _METHOD_CALLERS[method] = caller
    return caller


def _op(name):
    op = _lookup(name)
    if op is None:
        raise _Unmapped(name)
    return op


def _foreign(x) -> bool:
    """Whether ``x`` carries another library's ``__array_ufunc__``: then NumPy must ask it instead."""
    override = getattr(type(x), "__array_ufunc__", None)
    return override is not None and override is not np.ndarray.__array_ufunc__ and override is not array_ufunc


# Operands fngrad's ops take as they are: tensors and Python numbers (np.float64 is a float).
_OPERANDS = (TensorBase, float, int)


def _as_tensor(x):
    """``x`` as an fngrad op operand: tensors and Python/NumPy scalars as they are, arrays (and
    array-likes) as new tensors holding a copy (a NumPy write later cannot change a saved value)."""
    if isinstance(x, np.ndarray):  # first: the operand of ndarray * t
        arr = x
    elif isinstance(x, (TensorBase, numbers.Number)) or (isinstance(x, np.generic) and x.dtype.kind in "fiub"):
        return x
    elif _foreign(x):
        raise _Unmapped("another library's array")  # NumPy asks its __array_ufunc__ next
    else:
        arr = np.asarray(x)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype.char in _SHARED_DTYPE_CHARS:
        # fngrad copies a contiguous array faster than NumPy does; other layouts NumPy copies first
        return _C.from_numpy(arr).clone() if arr.flags.c_contiguous else _C.from_numpy(arr.copy())
    if arr.dtype.kind not in "fiub":
        raise _Unmapped(f"dtype {arr.dtype}")
    return tensor(arr)


def _first_tensor(x):
    """``x`` as a tensor, for calling a Tensor method on it (a scalar becomes a 0-dim tensor)."""
    x = _as_tensor(x)
    return x if isinstance(x, TensorBase) else tensor(x)


def _wrap(result):
    """A NumPy result as PyTorch's ``__array_wrap__`` gives it: a tensor (over the result's memory),
    or the result itself when fngrad has no dtype for it."""
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    if not isinstance(result, (np.ndarray, np.generic)) or result.dtype.kind not in "fiub":
        return result
    arr = np.asarray(result)
    if arr.dtype in _FNGRAD_DTYPES and arr.flags.writeable:
        return from_numpy(arr)
    return tensor(arr)


def _requires_grad(objs) -> bool:
    """Whether any tensor in ``objs`` (searched through lists and tuples) requires grad."""
    for x in objs:
        if isinstance(x, TensorBase):
            if x.requires_grad:
                return True
        elif isinstance(x, (list, tuple)) and _requires_grad(x):
            return True
    return False


# ---- __array_ufunc__ ----

def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """NumPy's ufunc override (NEP 13): ``np.exp(t)``, ``ndarray * t``, ``np.add.reduce(t)``.

    A plain call runs the fngrad op of the ufunc's name, so the graph is recorded; ``reduce``,
    ``accumulate`` and ``outer`` of such ufuncs too. Anything else (an unknown ufunc, ``out=``,
    ``where=``, ``dtype=``, ``at``) is computed by NumPy when no tensor requires grad, and raises
    RuntimeError naming the ufunc when one does.

    Example: ``np.exp(fngrad.ones(2, requires_grad=True))`` has ``grad_fn=<ExpBackward0>``.
    """
    # The fast path (ndarray * t, np.float64(2) * t, np.exp(t)): one name lookup, operands as they are.
    if method == "__call__" and not kwargs:
        name = _UFUNC_NAME_CACHE.get(ufunc) or _ufunc_name(ufunc)
        op = getattr(_fngrad, name, None)
        if not callable(op) or isinstance(op, type):
            op = _lookup(name) if ufunc.nout == 1 else None
        if op is not None:
            try:
                for x in inputs:  # a loop, not a comprehension: allocations are what this path costs
                    if not isinstance(x, _OPERANDS):
                        inputs = tuple(map(_as_tensor, inputs))
                        break
                return op(*inputs)
            except _Unmapped:
                pass
            except TypeError:
                # NumPy takes a scalar wherever an array goes; PyTorch's signature of some ops (maximum,
                # atan2, hypot) wants tensors only: the scalars as 0-d tensors, then.
                if not any(isinstance(x, (numbers.Number, np.generic)) for x in inputs):
                    raise
                return op(*(tensor(x) if isinstance(x, (numbers.Number, np.generic)) else x for x in inputs))
    if any(_foreign(x) for x in inputs + tuple(kwargs.get("out", ()))):
        return NotImplemented
    try:
        return _mapped_method(ufunc, method, inputs, kwargs)
    except _Unmapped:
        pass
    return _ufunc_in_numpy(ufunc, method, inputs, kwargs)


def _mapped_method(ufunc, method, inputs, kwargs):
    """``reduce``/``accumulate``/``outer`` of a ufunc as fngrad ops; _Unmapped if they are not."""
    if method == "outer" and not kwargs and len(inputs) == 2:
        op = _op(_ufunc_name(ufunc))
        a, b = (_first_tensor(x) for x in inputs)
        return op(a.reshape(tuple(a.shape) + (1,) * b.ndim), b)
    if method in ("reduce", "accumulate") and len(inputs) == 1:
        kwargs = dict(kwargs)
        axis = kwargs.pop("axis", 0)
        keepdims = kwargs.pop("keepdims", False)
        if kwargs:
            raise _Unmapped(", ".join(kwargs))
        x = _first_tensor(inputs[0])
        if method == "reduce":
            op = _op(_REDUCE_NAMES.get(ufunc.__name__, "?"))
            return op(x, _axis(axis), _flag(keepdims))
        name = _ACCUMULATE_NAMES.get(ufunc.__name__, "?")
        if keepdims or axis is None or not isinstance(axis, (int, np.integer)):
            raise _Unmapped("axis")
        out = _op(name)(x, int(axis))
        return out[0] if name in _SCANS_RETURNING_INDICES else out
    raise _Unmapped(method)


def _ufunc_in_numpy(ufunc, method, inputs, kwargs):
    """What NumPy gives for a ufunc on PyTorch's tensors: an error when a tensor requires grad,
    otherwise NumPy's result on the tensors' memory, wrapped as a tensor for the methods that wrap."""
    if method == "at" and isinstance(inputs[0], TensorBase):
        raise TypeError("first operand must be array")  # NumPy's error for PyTorch's tensors, too
    out = kwargs.get("out", ())
    out = out if isinstance(out, tuple) else (out,)
    if _requires_grad(inputs) or _requires_grad(out) or _requires_grad(kwargs.get("where", ())):
        mapped = _lookup(_ufunc_name(ufunc)) is not None
        if method == "__call__" and not kwargs and not mapped:
            raise RuntimeError(_REQUIRES_GRAD_MESSAGE)  # no fngrad op: what PyTorch raises
        name = "numpy." + ufunc.__name__ + ("" if method == "__call__" else "." + method)
        detail = " with " + ", ".join(k + "=" for k in kwargs) if kwargs else ""
        raise RuntimeError(f"[{name}] fngrad cannot record this call{detail} in the graph. {_REQUIRES_GRAD_MESSAGE}")
    arrays = tuple(x.numpy() if isinstance(x, TensorBase) else x for x in inputs)
    if "where" in kwargs and isinstance(kwargs["where"], TensorBase):
        kwargs["where"] = kwargs["where"].numpy()
    if any(isinstance(o, TensorBase) for o in out):
        # NumPy writes into copies; copy_ then writes the tensors, so their version counters move
        # (a graph that saved one of them notices the write at backward).
        kwargs["out"] = tuple(o.numpy().copy() if isinstance(o, TensorBase) else o for o in out)
        getattr(ufunc, method)(*arrays, **kwargs)
        with _fngrad.no_grad():
            for o, written in zip(out, kwargs["out"]):
                if isinstance(o, TensorBase):
                    o.copy_(from_numpy(written))
        return out[0] if len(out) == 1 else out
    result = getattr(ufunc, method)(*arrays, **kwargs)
    if out or method not in _WRAPPED_METHODS:
        return result
    return _wrap(result)


# ---- __array_function__ ----

_FUNCTIONS: dict = {}


def _implements(*numpy_functions):
    """Registers an adapter: the NumPy function's signature, computed with fngrad ops."""
    def register(adapter):
        for f in numpy_functions:
            _FUNCTIONS[f] = adapter
        return adapter
    return register


def array_function(self, func, types, args, kwargs):
    """NumPy's function override (NEP 18): ``np.sum(t)``, ``np.concatenate([t, a])``, ``np.where(...)``.

    A NumPy function with an fngrad counterpart runs as fngrad ops (graph recorded, a tensor
    returned); any other runs NumPy's own implementation, which converts tensors with
    ``__array__`` as it does PyTorch's: PyTorch's error for a tensor that requires grad, NumPy's
    result otherwise.

    Example: ``np.mean(fngrad.ones(2, 3, requires_grad=True), axis=0)`` has ``grad_fn=<MeanBackward1>``.
    """
    if not all(issubclass(t, (TensorBase, np.ndarray)) for t in types):
        return NotImplemented
    adapter = _FUNCTIONS.get(func)
    if adapter is not None:
        try:
            return adapter(*args, **kwargs)
        except _Unmapped:
            pass
    implementation = getattr(func, "_implementation", None)
    if implementation is None:  # np.array(..., like=t) and the other C functions with like=
        return func(*args, **{k: v for k, v in kwargs.items() if k != "like"})
    return implementation(*args, **kwargs)


def array_wrap(self, array, context=None, return_scalar=False):
    """A NumPy result computed from this tensor's values, returned as a tensor (as PyTorch does)."""
    return _wrap(array)


def _given(value) -> bool:
    return value is not None and value is not np._NoValue


def _unsupported(**keywords):
    """_Unmapped when one of ``keywords`` was given: fngrad cannot express it."""
    for name, value in keywords.items():
        if _given(value):
            raise _Unmapped(name)


def _flag(value) -> bool:
    """A NumPy flag such as ``keepdims``, which NumPy's own callers may pass as ``np._NoValue``."""
    return _given(value) and bool(value)


def _axis(axis):
    """A NumPy axis (None, an int, a sequence) as an fngrad dim."""
    if axis is None or isinstance(axis, (int, np.integer)):
        return None if axis is None else int(axis)
    return tuple(int(a) for a in axis)


def _dtype(x, dtype):
    """``x`` converted to NumPy's ``dtype`` (None: unchanged)."""
    if dtype is None:
        return x
    fngrad_dtype = _FNGRAD_DTYPES.get(np.dtype(dtype))
    if fngrad_dtype is None:
        raise _Unmapped(f"dtype {dtype}")
    return x.to(fngrad_dtype)


def _floating(x):
    """NumPy's mean and variance of integers are float64."""
    return x if x.is_floating_point() else x.to(_C.float64)


def _flat_axis(x, axis):
    """NumPy's ``axis=None`` for scans and sorts: the flattened tensor, along dim 0."""
    return (x.reshape(-1), 0) if axis is None else (x, int(axis))


@_implements(np.sum)
def _sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _unsupported(out=out, initial=initial, where=where)
    return _op("sum")(_dtype(_first_tensor(a), dtype), _axis(axis), _flag(keepdims))


@_implements(np.mean)
def _mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    _unsupported(out=out, where=where)
    return _op("mean")(_floating(_dtype(_first_tensor(a), dtype)), _axis(axis), _flag(keepdims))


@_implements(np.prod)
def _prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _unsupported(out=out, initial=initial, where=where)
    if isinstance(axis, (tuple, list)):
        raise _Unmapped("axis")
    return _op("prod")(_dtype(_first_tensor(a), dtype), _axis(axis), _flag(keepdims))


def _extremum(name):
    def adapter(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        _unsupported(out=out, initial=initial, where=where)
        return _op(name)(_first_tensor(a), _axis(axis), _flag(keepdims))
    return adapter


_implements(np.max, np.amax)(_extremum("amax"))
_implements(np.min, np.amin)(_extremum("amin"))


def _arg_extremum(name):
    def adapter(a, axis=None, out=None, *, keepdims=False):
        _unsupported(out=out)
        return _op(name)(_first_tensor(a), _axis(axis), _flag(keepdims))
    return adapter


_implements(np.argmax)(_arg_extremum("argmax"))
_implements(np.argmin)(_arg_extremum("argmin"))


def _spread(name):
    def adapter(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
                correction=None):
        _unsupported(out=out, where=where, mean=mean)
        x = _floating(_dtype(_first_tensor(a), dtype))
        return _op(name)(x, _axis(axis), correction=correction if _given(correction) else ddof,
                         keepdim=_flag(keepdims))
    return adapter


_implements(np.var)(_spread("var"))
_implements(np.std)(_spread("std"))


@_implements(np.reshape)
def _reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    _unsupported(copy=copy)
    if order != "C":
        raise _Unmapped("order")
    shape = shape if shape is not None else newshape
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    return _op("reshape")(_first_tensor(a), shape)


@_implements(np.ravel)
def _ravel(a, order="C"):
    if order != "C":
        raise _Unmapped("order")
    return _op("reshape")(_first_tensor(a), (-1,))


@_implements(np.transpose)
def _transpose(a, axes=None):
    x = _first_tensor(a)
    axes = tuple(range(x.ndim - 1, -1, -1)) if axes is None else tuple(int(d) for d in axes)
    return _op("permute")(x, axes)


@_implements(np.swapaxes)
def _swapaxes(a, axis1, axis2):
    return _op("transpose")(_first_tensor(a), int(axis1), int(axis2))


@_implements(np.moveaxis)
def _moveaxis(a, source, destination):
    x = _first_tensor(a)
    source = [int(s) % x.ndim for s in np.atleast_1d(source)]
    destination = [int(d) % x.ndim for d in np.atleast_1d(destination)]
    if len(source) != len(destination):
        raise _Unmapped("source")  # NumPy's own error then
    order = [d for d in range(x.ndim) if d not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return _op("permute")(x, tuple(order))


@_implements(np.squeeze)
def _squeeze(a, axis=None):
    x = _first_tensor(a)
    dims = _axis(axis)
    for d in (dims,) if isinstance(dims, int) else dims or ():
        if x.shape[d] != 1:
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return _op("squeeze")(x, dims)


@_implements(np.expand_dims)
def _expand_dims(a, axis):
    x = _first_tensor(a)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    ndim = x.ndim + len(axes)
    for d in sorted(int(d) % ndim for d in axes):
        x = _op("unsqueeze")(x, d)
    return x


@_implements(np.concatenate)
def _concatenate(arrays, axis=0, out=None, *, dtype=None, casting=None):
    _unsupported(out=out, dtype=dtype)
    xs = [_first_tensor(a) for a in arrays]
    if axis is None:
        return _op("cat")([x.reshape(-1) for x in xs], 0)
    return _op("cat")(xs, int(axis))


@_implements(np.stack)
def _stack(arrays, axis=0, out=None, *, dtype=None, casting=None):
    _unsupported(out=out, dtype=dtype)
    return _op("stack")([_first_tensor(a) for a in arrays], int(axis))


@_implements(np.where)
def _where(condition, x=None, y=None):
    if x is None or y is None:
        raise _Unmapped("where(condition)")
    return _op("where")(_first_tensor(condition).bool(), _as_tensor(x), _as_tensor(y))


@_implements(np.clip)
def _clip(a, a_min=np._NoValue, a_max=np._NoValue, out=None, *, min=np._NoValue, max=np._NoValue, **kwargs):
    _unsupported(out=out, **kwargs)
    lo = a_min if a_min is not np._NoValue else min
    hi = a_max if a_max is not np._NoValue else max
    lo, hi = (None if v is np._NoValue or v is None else _as_tensor(v) for v in (lo, hi))
    x = _first_tensor(a)
    if lo is None and hi is None:
        return _op("clone")(x)
    return _op("clamp")(x, lo, hi)


@_implements(np.dot)
def _dot(a, b, out=None):
    _unsupported(out=out)
    x, y = _first_tensor(a), _first_tensor(b)
    if x.ndim == 0 or y.ndim == 0:
        return _op("mul")(x, y)
    if y.ndim > 2:
        raise _Unmapped("dot of N-d arrays")
    return _op("matmul")(x, y)


@_implements(np.outer)
def _outer(a, b, out=None):
    _unsupported(out=out)
    return _op("outer")(_first_tensor(a).reshape(-1), _first_tensor(b).reshape(-1))


@_implements(np.broadcast_to)
def _broadcast_to(array, shape, subok=False):
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    return _op("broadcast_to")(_first_tensor(array), shape)


@_implements(np.round, np.around)
def _round(a, decimals=0, out=None):
    _unsupported(out=out)
    op = _op("round")
    return op(_first_tensor(a), decimals=int(decimals)) if decimals else op(_first_tensor(a))


@_implements(np.sort)
def _sort(a, axis=-1, kind=None, order=None, *, stable=None):
    _unsupported(order=order)
    x, dim = _flat_axis(_first_tensor(a), axis)
    return _op("sort")(x, dim)[0]  # equal values: stable or not, the sorted values are the same


@_implements(np.argsort)
def _argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    _unsupported(order=order)
    x, dim = _flat_axis(_first_tensor(a), axis)
    return _op("argsort")(x, dim, stable=bool(stable) or kind in ("stable", "mergesort"))


def _scan(name):
    def adapter(a, axis=None, dtype=None, out=None):
        _unsupported(out=out)
        x, dim = _flat_axis(_dtype(_first_tensor(a), dtype), axis)
        return _op(name)(x, dim)
    return adapter


_implements(np.cumsum)(_scan("cumsum"))
_implements(np.cumprod)(_scan("cumprod"))


@_implements(np.flip)
def _flip(m, axis=None):
    x = _first_tensor(m)
    dims = tuple(range(x.ndim)) if axis is None else _axis(axis)
    return _op("flip")(x, (dims,) if isinstance(dims, int) else dims)


@_implements(np.einsum)
def _einsum(*operands, out=None, optimize=False, **kwargs):
    _unsupported(out=out, **kwargs)  # optimize changes the contraction order, not the result
    if not operands or not isinstance(operands[0], str):
        raise _Unmapped("einsum's sublist form")
    return _op("einsum")(operands[0], *(_first_tensor(o) for o in operands[1:]))


@_implements(np.trace)
def _trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    _unsupported(dtype=dtype, out=out)
    x = _first_tensor(a)
    if offset or (axis1, axis2) != (0, 1) or x.ndim != 2:
        raise _Unmapped("offset/axes")
    return _op("trace")(x)


def _triangle(name):
    def adapter(m, k=0):
        return _op(name)(_first_tensor(m), int(k))
    return adapter


_implements(np.tril)(_triangle("tril"))
_implements(np.triu)(_triangle("triu"))


def _linalg(name, arrays=1, *keywords):
    """np.linalg.NAME as fngrad.linalg.NAME, whose first ``arrays`` arguments are the same arrays;
    the NumPy keywords listed pass on under the same name; anything else is _Unmapped."""
    def adapter(*args, **kwargs):
        unknown = set(kwargs) - set(keywords)
        if unknown or len(args) != arrays:
            raise _Unmapped(", ".join(sorted(unknown)) or "arguments")
        return _op("linalg." + name)(*(_first_tensor(a) for a in args), **kwargs)
    return adapter


for _name in ("inv", "det", "slogdet"):
    _implements(getattr(np.linalg, _name))(_linalg(_name))
_implements(np.linalg.solve)(_linalg("solve", 2))
_implements(np.linalg.pinv)(_linalg("pinv", 1, "hermitian"))
_implements(np.linalg.cholesky)(_linalg("cholesky", 1, "upper"))
_implements(np.linalg.eigh)(_linalg("eigh", 1, "UPLO"))
_implements(np.linalg.eigvalsh)(_linalg("eigvalsh", 1, "UPLO"))
_implements(np.linalg.qr)(_linalg("qr", 1, "mode"))
del _name


@_implements(np.linalg.matrix_power)
def _matrix_power(a, n):
    return _op("linalg.matrix_power")(_first_tensor(a), int(n))


@_implements(np.linalg.svd)
def _svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    if hermitian:
        raise _Unmapped("hermitian")
    if not compute_uv:
        return _op("linalg.svdvals")(_first_tensor(a))
    return _op("linalg.svd")(_first_tensor(a), full_matrices=bool(full_matrices))


@_implements(np.linalg.norm)
def _norm(x, ord=None, axis=None, keepdims=False):
    return _op("linalg.norm")(_first_tensor(x), ord, _axis(axis), _flag(keepdims))
