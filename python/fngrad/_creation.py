"""Creating tensors: from data, from NumPy, filled, and random (seeded by ``manual_seed``)."""

from __future__ import annotations

import builtins
import collections.abc
import math
import numbers
from typing import TYPE_CHECKING

import numpy as np

from . import _C
from ._C import TensorBase
from ._device import CPU, _to_device

if TYPE_CHECKING:  # annotations only: _tensor imports this module
    from ._tensor import Tensor

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "empty",
    "full",
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
    "randn",
    "rand",
    "randn_like",
    "rand_like",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "Generator",
    "default_generator",
    "arange",
    "linspace",
    "eye",
    "randint",
    "randperm",
    "get_default_dtype",
    "set_default_dtype",
]

_NUMPY_OF = {_C.float32: np.float32, _C.float64: np.float64, _C.int64: np.int64, _C.bool: np.bool_,
             _C.float16: np.float16, _C.int32: np.int32, _C.int16: np.int16, _C.int8: np.int8, _C.uint8: np.uint8}
# NumPy dtypes a tensor can share memory with (fngrad's bfloat16 has no NumPy counterpart).
_SHARED_NUMPY = tuple(np.dtype(t) for t in _NUMPY_OF.values())


def _numpy_dtype(dtype):
    try:
        return _NUMPY_OF[dtype]
    except KeyError:
        raise TypeError(
            f"[tensor] Expected a dtype with a NumPy counterpart ({', '.join(map(repr, _NUMPY_OF))}), got {dtype!r}."
        ) from None


def _computed_in(dtype):
    """The NumPy dtype a range of ``dtype`` is computed in: float32 for bfloat16 (NumPy has none; the
    result is rounded with ``_rounded_to``, as PyTorch computes bfloat16 in float32)."""
    return np.dtype(np.float32) if dtype == _C.bfloat16 else _numpy_dtype(dtype)


def _rounded_to(arr, dtype):
    t = _C.from_numpy(arr)
    return t.to(dtype) if dtype == _C.bfloat16 else t


_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
# PyTorch's names of the scalar types, as its kernel messages print them.
_SCALAR_TYPE_NAME = {_C.float32: "Float", _C.float64: "Double", _C.int64: "Long", _C.bool: "Bool", _C.int32: "Int",
                     _C.int16: "Short", _C.int8: "Char", _C.uint8: "Byte", _C.float16: "Half", _C.bfloat16: "BFloat16"}


def _type_name(obj) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _resolve_dtype(dtype, op="tensor"):
    """A fngrad dtype from a fngrad dtype or a Python type (float is float64, as in PyTorch).

    Anything else (a name such as ``"float32"``, a NumPy dtype) is a TypeError, as in PyTorch."""
    if dtype is None or isinstance(dtype, _C.dtype):
        return dtype
    if dtype is builtins.float:
        return _C.float64
    if dtype is builtins.int:
        return _C.int64
    if dtype is builtins.bool:
        return _C.bool
    raise TypeError(f"[{op}] argument 'dtype' must be fngrad.dtype, not {_type_name(dtype)}.")


# The dtype of floating-point tensors made from Python floats or created without a dtype.
def get_default_dtype():
    """The floating-point dtype tensors get when none is given (``float32`` unless set).

    Example::

        >>> import fngrad
        >>> fngrad.get_default_dtype()
        fngrad.float32
    """
    return _C._get_default_dtype()


def set_default_dtype(d) -> None:
    """Sets the floating-point dtype of ``tensor([1.5])``, ``zeros(2)``, ``randn(2)``, ``arange(0.5)`` ...
    to ``fngrad.float32`` or ``fngrad.float64``.

    Example::

        >>> import fngrad
        >>> fngrad.set_default_dtype(fngrad.float64)
        >>> fngrad.tensor([1.5]).dtype
        fngrad.float64
        >>> fngrad.set_default_dtype(fngrad.float32)
    """
    if not isinstance(d, _C.dtype):
        raise TypeError(f"set_default_dtype(): argument 'd' (position 1) must be torch.dtype, not {_type_name(d)}")
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _C._set_default_dtype(d)  # the C++ promotion of Python floats and integer tensors reads the same state


def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        t.requires_grad_(True)
    return t


def _is_sequence(obj) -> bool:
    return isinstance(obj, (list, tuple, np.ndarray, TensorBase))


def _is_data(obj) -> bool:
    """Whether tensor() can read obj at all: a number, a sequence, or an array-like."""
    if obj is None or isinstance(obj, (dict, set, frozenset)):
        return False
    return (isinstance(obj, (numbers.Number, np.generic, collections.abc.Sequence)) or hasattr(obj, "__array__")
            or hasattr(obj, "__array_interface__") or (hasattr(obj, "__len__") and hasattr(obj, "__getitem__")))


def _data_error(data) -> None:
    """Raises the error PyTorch's tensor() gives for ``data`` (nested sequences that NumPy could not
    turn into a numeric array), in its order: the element types, then the sizes (taken along the
    first elements), then each element against them."""
    has_float = [False]

    def infer(obj):
        if isinstance(obj, (str, bytes)):
            return
        if isinstance(obj, (list, tuple)):
            for item in obj:
                infer(item)
            return
        if isinstance(obj, (np.ndarray, TensorBase)):
            floating = obj.dtype.is_floating_point if isinstance(obj, TensorBase) else obj.dtype.kind == "f"
            has_float[0] = has_float[0] or floating
            return
        if isinstance(obj, (numbers.Number, np.generic)):
            has_float[0] = has_float[0] or not isinstance(obj, (numbers.Integral, np.integer, np.bool_))
            return
        if _is_data(obj):
            return
        raise RuntimeError(f"[tensor] Could not infer dtype of {type(obj).__name__}")

    infer(data)
    sizes = []
    first = data
    while isinstance(first, (list, tuple)):
        sizes.append(len(first))
        if not first:
            break
        first = first[0]
        if isinstance(first, str):
            raise ValueError("[tensor] too many dimensions 'str'")
    if isinstance(first, (np.ndarray, TensorBase)):
        sizes.extend(first.shape)
    integral = not has_float[0]

    def store(obj, dim):
        if dim == len(sizes):
            if isinstance(obj, (str, bytes)):
                raise TypeError(f"[tensor] new(): invalid data type '{type(obj).__name__}'")
            if _is_sequence(obj) and not (isinstance(obj, (np.ndarray, TensorBase)) and obj.ndim == 0):
                if integral:
                    raise TypeError(f"[tensor] '{type(obj).__name__}' object cannot be interpreted as an integer")
                raise TypeError(f"[tensor] must be real number, not {type(obj).__name__}")
            if integral and isinstance(obj, int) and not _INT64_MIN <= obj <= _INT64_MAX:
                raise ValueError("[tensor] Overflow when unpacking long long")
            return
        if not _is_sequence(obj) or isinstance(obj, (np.ndarray, TensorBase)) and obj.ndim == 0:
            raise TypeError("[tensor] not a sequence")
        if len(obj) != sizes[dim]:
            raise ValueError(f"[tensor] expected sequence of length {sizes[dim]} at dim {dim} (got {len(obj)})")
        for item in obj:
            store(item, dim + 1)

    store(data, 0)


def _array_from_data(data, floats_as_default: bool = True) -> np.ndarray:
    """NumPy array for tensor(): Python floats become the default dtype (float32 unless set), as in
    PyTorch. With an explicit dtype, tensor() passes floats_as_default=False: float64 data must not
    round through float32."""
    if isinstance(data, TensorBase):
        return data.detach().numpy()
    if isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        if isinstance(data, (str, bytes)):
            raise TypeError(f"[tensor] new(): invalid data type '{type(data).__name__}'")
        if not _is_data(data):
            raise RuntimeError(f"[tensor] Could not infer dtype of {type(data).__name__}")
        try:
            arr = np.asarray(data)
        except (ValueError, TypeError, OverflowError):
            arr = None
        # NumPy builds object, string or uint64 arrays (or fails) where PyTorch raises: then find
        # PyTorch's error.
        if arr is None or arr.dtype.kind not in "biuf" or arr.dtype == np.uint64:
            if arr is None or not (arr.dtype.kind == "O" and arr.size
                                   and all(isinstance(v, TensorBase) for v in arr.reshape(-1))):
                _data_error(data)
            if arr is None:
                raise ValueError("[tensor] Could not build a tensor from the data.")
        if arr.dtype == np.float64 and floats_as_default and get_default_dtype() == _C.float32:
            arr = arr.astype(np.float32)
    kind = arr.dtype.kind
    if kind in "fiu" and arr.dtype in _SHARED_NUMPY:
        return arr
    if kind == "f":
        return arr.astype(np.float32)
    if kind in "iu":
        return arr.astype(np.int64)
    if kind == "b":
        return arr
    if kind == "O" and arr.size and all(isinstance(v, TensorBase) for v in arr.reshape(-1)):
        return np.array([v.item() for v in arr.reshape(-1)]).reshape(arr.shape)
    raise TypeError(f"[tensor] Could not infer a dtype for data of type {type(data).__name__} "
                    f"(NumPy dtype {arr.dtype}); expected numbers, bools or nested sequences of them.")


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested sequences, a NumPy array or a tensor).

    Python floats become the default dtype (``float32`` unless ``set_default_dtype`` chose ``float64``), ints
    ``int64`` and bools ``bool``; NumPy arrays keep their dtype (uint16, uint32 and longdouble, which fngrad lacks,
    become int64 and float32).

    Example::

        >>> import fngrad
        >>> fngrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True).shape
        fngrad.Size([2, 2])
    """
    _to_device(device, "tensor")
    dtype = _resolve_dtype(dtype, "tensor")
    if _C.bfloat16 in (dtype, getattr(data, "dtype", None)):
        # NumPy has no bfloat16: such data goes through float32 (exact) and is converted natively.
        src = data.detach().float() if isinstance(data, TensorBase) else data
        made = tensor(src, dtype=_C.float32 if dtype in (None, _C.bfloat16) else dtype)
        return _finish(made.to(dtype or _C.bfloat16), requires_grad)
    arr = _array_from_data(data, floats_as_default=dtype is None)
    if dtype is not None:
        arr = arr.astype(_numpy_dtype(dtype))
    return _finish(_C.from_numpy(np.array(arr, copy=True, order="C")), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, without a copy when it already is one (or a NumPy array of a supported dtype).

    Example::

        >>> import fngrad, numpy as np
        >>> a = np.zeros(3, dtype=np.float32)
        >>> fngrad.as_tensor(a).numpy() is not None
        True
    """
    _to_device(device, "as_tensor")
    dtype = _resolve_dtype(dtype, "as_tensor")
    if isinstance(data, TensorBase) and (dtype is None or data.dtype == dtype):
        return data
    if isinstance(data, np.ndarray) and data.dtype in _SHARED_NUMPY and (
        dtype is None or data.dtype == _NUMPY_OF.get(dtype)
    ):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``array`` (float64, float32, float16, int64, int32, int16, int8, uint8
    or bool; other dtypes raise PyTorch's TypeError).

    Writes through either are visible in the other. Writes through the array bypass autograd's
    version counter, as they do in PyTorch.

    Example::

        >>> import fngrad, numpy as np
        >>> a = np.ones(2, dtype=np.float32)
        >>> t = fngrad.from_numpy(a)
        >>> a[0] = 5
        >>> t
        tensor([5., 1.])
    """
    return _C.from_numpy(array)


def _shape(size, op="tensor") -> tuple:
    """The shape from ``*size`` (ints, or one sequence of ints), checked as PyTorch checks it."""
    if len(size) == 1 and not isinstance(size[0], (numbers.Integral, np.integer)):
        if not isinstance(size[0], (collections.abc.Sequence, np.ndarray)) or isinstance(size[0], str):
            raise TypeError(f"[{op}] argument 'size' must be tuple of ints, not {_type_name(size[0])}")
        size = tuple(size[0])
    for i, v in enumerate(size):
        if not isinstance(v, (numbers.Integral, np.integer)) or isinstance(v, TensorBase):
            raise TypeError(f"[{op}] argument 'size' must be tuple of ints, but found element of type "
                            f"{_type_name(v)} at pos {i}")
        if not _INT64_MIN <= v <= _INT64_MAX:
            raise TypeError(f"[{op}] argument 'size' failed to unpack the object at pos {i} with error "
                            f"\"Overflow when unpacking long long\"")
    return tuple(int(v) for v in size)


def _check_size(shape, dtype, op) -> None:
    """What the native allocation checks, for the functions that let NumPy allocate."""
    n = 1
    for v in shape:
        if v < 0:
            raise RuntimeError(f"[{op}] Trying to create tensor with negative dimension {v}: {list(shape)}")
        n *= v
    if n * dtype.itemsize > _INT64_MAX:
        raise RuntimeError(f"[{op}] Storage size calculation overflowed with sizes={list(shape)}")


def _numpy_call(op, fn, *args, **kwargs):
    """fn(*args, **kwargs), with NumPy's failure to allocate as PyTorch's RuntimeError."""
    try:
        return fn(*args, **kwargs)
    except MemoryError as e:
        raise RuntimeError(f"[{op}] can't allocate memory: {e}") from None


def _dtype_or_default(dtype, op="tensor"):
    dtype = _resolve_dtype(dtype, op)
    return get_default_dtype() if dtype is None else dtype


def _size_arg(size, kwargs=None, op=""):
    """``*size`` for the native constructors, which check it (ints, or one sequence of ints) and
    name the op in their errors. ``kwargs`` holds what else the caller was given: PyTorch's
    ``size=`` spelling, and ``out``/``layout``/``pin_memory``/``memory_format``, which take only
    the values that change nothing on the CPU."""
    if kwargs:
        kwargs = dict(kwargs)
        if "size" in kwargs:
            if size:
                raise TypeError(f"[{op}] {op}() got multiple values for argument 'size'")
            size = (kwargs.pop("size"),)
        _no_op_keywords(op, kwargs)
    return size[0] if len(size) == 1 else size


def _no_op_keywords(op, kwargs):
    """PyTorch's keywords that mean nothing for a CPU tensor, at their defaults; anything else is a
    TypeError (unknown keyword) or NotImplementedError (a value fngrad does not model)."""
    for key, value in kwargs.items():
        if key not in ("out", "layout", "pin_memory", "memory_format"):
            raise TypeError(f"[{op}] {op}() got an unexpected keyword argument '{key}'")
        if value not in (None, False) and not (key == "layout" and str(value).endswith("strided")) and not (
                key == "memory_format" and str(value).endswith(("preserve_format", "contiguous_format"))):
            raise NotImplementedError(f"[{op}] {key}={value!r} is not supported (fngrad has strided CPU tensors)")


def zeros(*size, dtype=None, device=None, requires_grad=False, **kwargs) -> Tensor:
    """A tensor of zeros.

    >>> fngrad.zeros(2, 3)
    tensor([[0., 0., 0.],
            [0., 0., 0.]])
    """
    _to_device(device, "zeros")
    return _finish(_C.zeros(_size_arg(size, kwargs, "zeros"), _dtype_or_default(dtype, "zeros"), "zeros"), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, **kwargs) -> Tensor:
    """A tensor of ones.

    >>> fngrad.ones(2, 3)
    tensor([[1., 1., 1.],
            [1., 1., 1.]])
    """
    _to_device(device, "ones")
    return _finish(_C.full(_size_arg(size, kwargs, "ones"), 1.0, _dtype_or_default(dtype, "ones"), "ones"), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, **kwargs) -> Tensor:
    """A tensor with uninitialised values.

    >>> fngrad.empty(2, 3).shape
    fngrad.Size([2, 3])
    """
    _to_device(device, "empty")
    return _finish(_C.empty(_size_arg(size, kwargs, "empty"), _dtype_or_default(dtype, "empty"), "empty"), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor filled with ``fill_value``.

    >>> fngrad.full((2, 2), 7.0)
    tensor([[7., 7.],
            [7., 7.]])
    """
    _to_device(device, "full")
    if isinstance(fill_value, TensorBase):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (numbers.Real, np.bool_)):
        raise TypeError(f"[full] argument 'fill_value' must be Number, not {_type_name(fill_value)}")
    if dtype is None:
        dtype = _C.bool if isinstance(fill_value, (bool, np.bool_)) else (
            _C.int64 if isinstance(fill_value, (numbers.Integral, np.integer)) else get_default_dtype())
    return _finish(_C.full(size, float(fill_value), _resolve_dtype(dtype, "full"), "full"), requires_grad)


def _like(op, make, doc):
    """``op(input, *args, dtype=, device=, requires_grad=)``: ``make(input.shape, *args, ...)`` with
    ``input``'s dtype unless given; PyTorch's ``memory_format``/``layout`` only at their defaults."""

    def like(input: Tensor, *args, dtype=None, device=None, requires_grad=False, **kwargs) -> Tensor:
        _no_op_keywords(op, kwargs)
        if device is not None:
            _to_device(device, op)
        return make(input.shape, *args, dtype=dtype or input.dtype, device=CPU, requires_grad=requires_grad)

    like.__name__ = like.__qualname__ = op
    like.__doc__ = doc
    return like


zeros_like = _like("zeros_like", lambda *a, **k: zeros(*a, **k),
                   "Zeros with ``input``'s shape and dtype.\n\n>>> fngrad.zeros_like(fngrad.ones(3))\n"
                   "tensor([0., 0., 0.])")
ones_like = _like("ones_like", lambda *a, **k: ones(*a, **k),
                  "Ones with ``input``'s shape and dtype.\n\n>>> fngrad.ones_like(fngrad.zeros(2, dtype=fngrad.int64))\n"
                  "tensor([1, 1])")
empty_like = _like("empty_like", lambda *a, **k: empty(*a, **k),
                   "Uninitialised, with ``input``'s shape and dtype.\n\n"
                   ">>> fngrad.empty_like(fngrad.ones(2, dtype=fngrad.int64)).dtype\nfngrad.int64")
full_like = _like("full_like", lambda *a, **k: full(*a, **k),
                  "``full_like(input, fill_value)``: ``fill_value`` everywhere, with ``input``'s shape and dtype.\n\n"
                  ">>> fngrad.full_like(fngrad.zeros(2, 2), 7.)\ntensor([[7., 7.],\n        [7., 7.]])")
randn_like = _like("randn_like", lambda *a, **k: randn(*a, **k),
                   "Standard normal samples with ``input``'s shape.\n\n"
                   ">>> fngrad.randn_like(fngrad.zeros(2, 3)).shape\nfngrad.Size([2, 3])")
rand_like = _like("rand_like", lambda *a, **k: rand(*a, **k),
                  "Uniform [0, 1) samples with ``input``'s shape.\n\n"
                  ">>> fngrad.rand_like(fngrad.zeros(2, 3)).shape\nfngrad.Size([2, 3])")


class Generator:
    """A random number generator (NumPy's PCG64 underneath).

    Example::

        >>> import fngrad
        >>> g = fngrad.Generator().manual_seed(0)
        >>> fngrad.randn(2, generator=g).shape
        fngrad.Size([2])
    """

    def __init__(self, device="cpu"):
        self._seed = 67280421310721
        self._numpy_rng = None

    @property
    def _rng(self):
        if _vmap_randomness and _vmap_randomness[-1] == "error":
            raise RuntimeError(
                "vmap: called random operation while in randomness error mode. Please either use the 'same' or "
                "'different' randomness flags on vmap or perform the randomness operation out of vmap"
            )
        # Made at the first draw, not at import: numpy.random is a tenth of `import fngrad`.
        if self._numpy_rng is None:
            self._numpy_rng = np.random.Generator(np.random.PCG64(self._seed))
        return self._numpy_rng

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = _seed_value(seed)
        self._numpy_rng = None
        return self

    def seed(self) -> int:
        self._seed = int(np.random.SeedSequence().entropy % (1 << 63))
        self._numpy_rng = None
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """The generator's state as an int64 tensor (a copy), for ``set_state``.

        Example::

            >>> import fngrad
            >>> g = fngrad.Generator().manual_seed(0)
            >>> s = g.get_state(); a = fngrad.rand(2, generator=g)
            >>> _ = g.set_state(s); bool((fngrad.rand(2, generator=g) == a).all())
            True
        """
        st = self._rng.bit_generator.state
        words = [(v >> (32 * i)) & 0xFFFFFFFF for v in (st["state"]["state"], st["state"]["inc"]) for i in range(4)]
        return _C.from_numpy(np.array(words + [st["has_uint32"], st["uinteger"]], dtype=np.int64))

    def set_state(self, new_state) -> "Generator":
        """Restores a state from ``get_state``; the seed (``initial_seed``) is kept."""
        if not isinstance(new_state, TensorBase) or new_state.dtype != _C.int64 or tuple(new_state.shape) != (10,):
            raise RuntimeError("[set_state] Expected an int64 tensor of 10 elements, as get_state() returns.")
        w = [int(v) for v in new_state.numpy()]
        join = lambda ws: sum(v << (32 * i) for i, v in enumerate(ws))  # noqa: E731
        # In place: code that holds self._rng (dropout reads it per call) sees the restored state.
        self._rng.bit_generator.state = {"bit_generator": "PCG64", "state": {"state": join(w[:4]), "inc": join(w[4:8])},
                                         "has_uint32": w[8], "uinteger": w[9]}
        return self


default_generator = Generator()
# The randomness mode of each fngrad.func.vmap being run, innermost last: every draw goes through
# Generator._rng, which refuses one under PyTorch's default mode "error".
_vmap_randomness: list = []


def get_rng_state() -> Tensor:
    """The default generator's state (``Generator.get_state``), as ``torch.get_rng_state``.

    >>> state = fngrad.get_rng_state()
    >>> x = fngrad.rand(2)
    >>> _ = fngrad.set_rng_state(state)
    >>> fngrad.equal(fngrad.rand(2), x)
    True
    """
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restores the default generator's state from ``get_rng_state``, as ``torch.set_rng_state``.

    >>> state = fngrad.get_rng_state()
    >>> x = fngrad.randn(3)
    >>> fngrad.set_rng_state(state)
    >>> fngrad.equal(fngrad.randn(3), x)
    True
    """
    default_generator.set_state(new_state)


def _seed_value(seed) -> int:
    """seed as the unsigned 64-bit value PyTorch keeps (negative seeds wrap around, as in PyTorch)."""
    seed = int(seed)
    if not _INT64_MIN <= seed < (1 << 64):
        raise ValueError("[manual_seed] Overflow when unpacking long long")
    return seed & ((1 << 64) - 1)


def manual_seed(seed: int) -> Generator:
    """Seeds the default generator, so that ``randn``, ``rand`` and dropout repeat.

    Example::

        >>> import fngrad
        >>> _ = fngrad.manual_seed(0); a = fngrad.randn(3)
        >>> _ = fngrad.manual_seed(0); b = fngrad.randn(3)
        >>> bool((a == b).all())
        True
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seeds the default generator non-deterministically and returns the seed.

    >>> s = fngrad.seed()
    >>> s == fngrad.initial_seed()
    True
    """
    return default_generator.seed()


def initial_seed() -> int:
    """The seed of the default generator.

    >>> _ = fngrad.manual_seed(7)
    >>> fngrad.initial_seed()
    7
    """
    return default_generator.initial_seed()


def _random(fill, size, dtype, requires_grad, generator, op, kernel):
    dtype = _dtype_or_default(dtype, op)
    if not dtype.is_floating_point:
        # PyTorch has no integer kernels for these (its message names the kernel).
        raise NotImplementedError(f"[{op}] \"{kernel}\" not implemented for '{_SCALAR_TYPE_NAME[dtype]}'")
    # The native allocation checks the size; NumPy then fills the tensor's memory in place.
    t = _C.empty(_size_arg(size), dtype, op)
    if t.numel():
        fill((generator or default_generator)._rng, t.numpy())
    return _finish(t, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Samples of the standard normal distribution.

    >>> _ = fngrad.manual_seed(0)
    >>> fngrad.randn(2, 3).shape
    fngrad.Size([2, 3])
    """
    _to_device(device, "randn")
    return _random(lambda rng, out: rng.standard_normal(dtype=out.dtype, out=out), size, dtype, requires_grad,
                   generator, "randn", "normal_kernel_cpu")


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Samples of the uniform distribution on [0, 1).

    >>> _ = fngrad.manual_seed(0)
    >>> fngrad.rand(2, 3).shape
    fngrad.Size([2, 3])
    >>> bool(((fngrad.rand(100) >= 0) & (fngrad.rand(100) < 1)).all())
    True
    """
    _to_device(device, "rand")
    return _random(lambda rng, out: rng.random(dtype=out.dtype, out=out), size, dtype, requires_grad, generator,
                   "rand", "check_uniform_bounds")


def _rebuild(array, requires_grad):
    return _finish(_C.from_numpy(array), requires_grad)


def arange(start=None, end=None, step=1, *, dtype=None, device=None, requires_grad=False, **kwargs) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 for integer arguments.

    Example::

        >>> import fngrad
        >>> fngrad.arange(4)
        tensor([0, 1, 2, 3])
    """
    _to_device(device, "arange")
    _no_op_keywords("arange", kwargs)
    if start is None and end is None:
        raise TypeError("[arange] arange() missing required argument 'end'")
    if end is None:
        start, end = 0, start
    elif start is None:  # arange(end=5)
        start = 0
    start, end, step = (v.item() if isinstance(v, TensorBase) else v for v in (start, end, step))
    for v in (start, end, step):
        if not isinstance(v, (numbers.Real, np.number)):
            raise TypeError(f"[arange] arguments must be numbers, got {_type_name(v)}")
    if dtype is None:
        integral = all(isinstance(v, (numbers.Integral, np.integer)) for v in (start, end, step))
        dtype = _C.int64 if integral else get_default_dtype()
    dtype = _resolve_dtype(dtype, "arange")
    if dtype == _C.int64 and all(map(math.isfinite, (start, end, step))):
        start, end, step = int(start), int(end), int(step)  # PyTorch counts an int64 range in int64 (truncated)
    # PyTorch's checks, before NumPy allocates anything.
    if step == 0:
        raise RuntimeError("[arange] step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"[arange] unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("[arange] upper bound and lower bound inconsistent with step sign")
    size = math.ceil((end - start) / step)
    if size > _INT64_MAX:
        raise RuntimeError(f"[arange] invalid size, possible overflow? (size {size})")
    _check_size((size,), dtype, "arange")
    if not dtype.is_floating_point and dtype != _C.bool:
        # the size comes from the float arguments, the values from start and step truncated to integers
        arr = (int(start) + int(step) * np.arange(size, dtype=np.int64)).astype(_computed_in(dtype))
        return _finish(_C.from_numpy(arr), requires_grad)
    arr = _numpy_call("arange", np.arange, start, end, step, dtype=_computed_in(dtype))
    return _finish(_rounded_to(arr, dtype), requires_grad)


def _linspace_integral(start, end, steps):
    """PyTorch's linspace kernel for integer dtypes, before the values are truncated toward zero (NumPy's
    integer linspace floors instead): a float64 step, the first half counted from start and the second
    from end."""
    step = (float(end) - float(start)) / (steps - 1)
    idx = np.arange(steps, dtype=np.float64)
    return np.where(idx < steps // 2, float(start) + step * idx, float(end) - step * (steps - idx - 1))


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (inclusive).

    >>> fngrad.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    _to_device(device, "linspace")
    start, end, steps = (v.item() if isinstance(v, TensorBase) else v for v in (start, end, steps))
    if not isinstance(steps, (numbers.Integral, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"[linspace] argument 'steps' must be int, not {_type_name(steps)}")
    if steps < 0:
        raise RuntimeError("[linspace] number of steps must be non-negative")
    dtype = _dtype_or_default(dtype, "linspace")
    _check_size((steps,), dtype, "linspace")
    if not dtype.is_floating_point and dtype != _C.bool and steps > 1:
        # (start and end become the dtype's integers first: truncated, wrapped around in uint8)
        ends = (np.array(int(v)).astype(_computed_in(dtype)).item() for v in (start, end))
        arr = np.trunc(_linspace_integral(*ends, steps)).astype(_computed_in(dtype))
    else:
        arr = _numpy_call("linspace", np.linspace, start, end, steps, dtype=_computed_in(dtype))
    return _finish(_rounded_to(arr, dtype), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The n x m identity matrix.

    >>> fngrad.eye(3)
    tensor([[1., 0., 0.],
            [0., 1., 0.],
            [0., 0., 1.]])
    """
    _to_device(device, "eye")
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise RuntimeError(f"[eye] {name} must be greater or equal to 0, got {v}")
    dtype = _dtype_or_default(dtype, "eye")
    _check_size((n, n if m is None else m), dtype, "eye")
    arr = _numpy_call("eye", np.eye, n, m, dtype=_computed_in(dtype))
    return _finish(_rounded_to(arr, dtype), requires_grad)


def randint(low, high=None, size=None, dtype=None, device=None, generator=None) -> Tensor:
    """Uniform random integers in [low, high).

    >>> _ = fngrad.manual_seed(0)
    >>> x = fngrad.randint(0, 10, (100,))
    >>> x.dtype, bool(x.min() >= 0), bool(x.max() < 10)
    (fngrad.int64, True, True)
    """
    _to_device(device, "randint")
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("[randint] randint() missing required argument 'size'")
    if low >= high:
        raise RuntimeError(f"[randint] random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    rng = (generator or default_generator)._rng
    dtype = _resolve_dtype(dtype, "randint") or _C.int64
    shape = _shape((size,), "randint")
    _check_size(shape, _C.int64, "randint")
    arr = _numpy_call("randint", rng.integers, low, high, size=shape, dtype=np.int64).astype(_numpy_dtype(dtype))
    return _C.from_numpy(arr)


def randperm(n, dtype=None, device=None, generator=None) -> Tensor:
    """A random permutation of 0..n-1.

    >>> _ = fngrad.manual_seed(0)
    >>> fngrad.randperm(5).sort().values
    tensor([0, 1, 2, 3, 4])
    """
    _to_device(device, "randperm")
    rng = (generator or default_generator)._rng
    dtype = _resolve_dtype(dtype, "randperm") or _C.int64
    _check_size((n,), _C.int64, "randperm")
    arr = _numpy_call("randperm", rng.permutation, n).astype(_numpy_dtype(dtype))
    return _C.from_numpy(arr)


# ---- in-place random initialisers (Tensor.uniform_, normal_, ...), drawing from the same
# generator as randn/rand: after the same manual_seed, t.normal_() gives randn's values. ----

_FLOAT_MANTISSA = {_C.float16: 11, _C.bfloat16: 8, _C.float32: 24, _C.float64: 53}


def _rng(generator):
    return (generator or default_generator)._rng


def _write(t: Tensor, values: np.ndarray) -> Tensor:
    """Writes ``values`` into ``t`` through ``copy_``: PyTorch's in-place checks (a leaf that
    requires grad, inference tensors) and version counting, and under grad mode the history that
    gives ``t``'s previous value a zero gradient, as PyTorch's random fills do."""
    return t.copy_(_C.from_numpy(np.ascontiguousarray(values, dtype=_NUMPY_OF.get(t.dtype, np.float32))))


def _draw_dtype(t: Tensor):
    """The NumPy dtype samples for ``t`` are drawn in: NumPy's generators draw float32 or float64;
    float16 and bfloat16 tensors get float32 samples, rounded when written."""
    return np.float64 if t.dtype == _C.float64 else np.float32


def _floating_only(t: Tensor, kernel: str) -> None:
    """PyTorch's refusal of a bool or integer tensor by a kernel that has only floating-point versions
    (random fills, the activations of nn.functional): NotImplementedError naming the kernel. Anything
    that is not a tensor is left to the op's own argument checks."""
    if isinstance(t, TensorBase) and not t.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_SCALAR_TYPE_NAME[t.dtype]}'")


def _float_arg(value):
    return value.item() if isinstance(value, TensorBase) else float(value)


def _from_kw(from_, kwargs, op):
    """``from`` is a Python keyword: PyTorch's ``t.uniform_(from=0, to=1)`` arrives in kwargs."""
    if "from" in kwargs:
        from_ = kwargs.pop("from")
    if kwargs:
        raise TypeError(f"{op}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return from_


def uniform_(t: Tensor, from_=0, to=1, *, generator=None, **kwargs) -> Tensor:
    """Fills ``t`` with samples of the uniform distribution on [from, to).

    >>> _ = fngrad.manual_seed(0)
    >>> x = fngrad.empty(100).uniform_(-1, 1)
    >>> bool(((x >= -1) & (x < 1)).all())
    True
    """
    low, high = _float_arg(_from_kw(from_, kwargs, "uniform_")), _float_arg(to)
    _floating_only(t, "check_uniform_bounds")
    if low > high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={low:g} > to={high:g}")
    u = _rng(generator).random(size=tuple(t.shape), dtype=_draw_dtype(t))
    return _write(t, u * (high - low) + low if (low, high) != (0.0, 1.0) else u)


def normal_(t: Tensor, mean=0, std=1, *, generator=None) -> Tensor:
    """Fills ``t`` with samples of the normal distribution N(mean, std²).

    >>> _ = fngrad.manual_seed(0)
    >>> fngrad.empty(2, 2).normal_(0, 0.02).shape
    fngrad.Size([2, 2])
    """
    mean, std = _float_arg(mean), _float_arg(std)
    _floating_only(t, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    z = _rng(generator).standard_normal(size=tuple(t.shape), dtype=_draw_dtype(t))
    return _write(t, z * std + mean if (mean, std) != (0.0, 1.0) else z)


def random_(t: Tensor, *args, generator=None, **kwargs) -> Tensor:
    """Fills ``t`` with integers drawn uniformly from [from, to), or with one argument from [0, to);
    without arguments from [0, 2**mantissa] (floats), [0, 2**63 - 1] (int64) or {False, True}.
0, 1.0, ..., 9.0.

    >>> _ = fngrad.manual_seed(0)
    >>> x = fngrad.empty(100).random_(10)
    >>> bool(((x >= 0) & (x < 10) & (x == x.floor())).all())
    True
    """
    # PyTorch's overloads: random_(), random_(to), random_(from, to), with from/to as keywords too.
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 positional arguments ({len(args)} given)")
    from_, to = (0, args[0]) if len(args) == 1 else (tuple(args) + (0, None))[:2]
    to = kwargs.pop("to", to)
    from_ = _from_kw(from_, kwargs, "random_")
    low, high = int(from_), to
    if high is None:
        if t.dtype == _C.bool:
            high = 2
        elif t.dtype == _C.int64:
            high = _INT64_MAX
        elif not t.dtype.is_floating_point:
            high = int(np.iinfo(_NUMPY_OF[t.dtype]).max) + 1
        else:
            high = (1 << _FLOAT_MANTISSA[t.dtype]) + 1
    high = int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if t.dtype == _C.bool and (low < 0 or high > 2):
        raise RuntimeError("from is out of bounds for bool" if low < 0 else "to - 1 is out of bounds for bool")
    values = _rng(generator).integers(low, high, size=tuple(t.shape), dtype=np.int64)
    return _write(t, values)


def bernoulli_(t: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fills ``t`` with 1 (probability ``p``, a number or a tensor broadcast to ``t``) or 0.

    >>> fngrad.empty(4).bernoulli_(1.0)
    tensor([1., 1., 1., 1.])
    >>> fngrad.empty(4).bernoulli_(fngrad.tensor([0., 1., 0., 1.]))
    tensor([0., 1., 0., 1.])
    """
    u = _rng(generator).random(size=tuple(t.shape))
    if isinstance(p, TensorBase):
        probs = p.detach().numpy()
        if probs.size and not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError("bernoulli_ expects p to be in [0, 1], but got a probability outside it")
        return _write(t, u < np.broadcast_to(probs, tuple(t.shape)))
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return _write(t, u < p)


def exponential_(t: Tensor, lambd=1, *, generator=None) -> Tensor:
    """Fills ``t`` with samples of the exponential distribution of rate ``lambd``.

    >>> _ = fngrad.manual_seed(0)
    >>> bool((fngrad.empty(100).exponential_(2.0) >= 0).all())
    True
    """
    if not t.dtype.is_floating_point:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_SCALAR_TYPE_NAME[t.dtype]}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return _write(t, _rng(generator).standard_exponential(size=tuple(t.shape)) / lambd)


def log_normal_(t: Tensor, mean=1, std=2, *, generator=None) -> Tensor:
    """Fills ``t`` with exp of N(mean, std²) samples.

    >>> _ = fngrad.manual_seed(0)
    >>> bool((fngrad.empty(100).log_normal_() > 0).all())
    True
    """
    _floating_only(t, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return _write(t, np.exp(_rng(generator).normal(mean, std, size=tuple(t.shape))))


def cauchy_(t: Tensor, median=0, sigma=1, *, generator=None) -> Tensor:
    """Fills ``t`` with samples of the Cauchy distribution.

    >>> _ = fngrad.manual_seed(0)
    >>> fngrad.empty(3).cauchy_(median=0, sigma=1).shape
    fngrad.Size([3])
    """
    if not t.dtype.is_floating_point:
        kind = {_C.int64: "long int", _C.bool: "bool"}[t.dtype]
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {kind}")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    return _write(t, median + sigma * _rng(generator).standard_cauchy(size=tuple(t.shape)))


def geometric_(t: Tensor, p, *, generator=None) -> Tensor:
    """Fills ``t`` with the number of Bernoulli(p) trials up to the first success (1, 2, ...).

    >>> _ = fngrad.manual_seed(0)
    >>> bool((fngrad.empty(100).geometric_(0.5) >= 1).all())
    True
    """
    if t.dtype == _C.bool:
        raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    return _write(t, _rng(generator).geometric(p, size=tuple(t.shape)))


_INPLACE_RANDOM = {f.__name__: f for f in (uniform_, normal_, random_, bernoulli_, exponential_, log_normal_,
                                           cauchy_, geometric_)}
