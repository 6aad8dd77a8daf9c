"""Creating tensors: from data, from NumPy, filled, and random (seeded by ``manual_seed``)."""

from __future__ import annotations

import builtins
import numbers

import numpy as np

from . import _C
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
    "Generator",
    "default_generator",
    "arange",
    "linspace",
    "eye",
    "randint",
    "randperm",
]

_NUMPY_OF = {_C.float32: np.float32, _C.float64: np.float64, _C.int64: np.int64, _C.bool: np.bool_}


def _numpy_dtype(dtype):
    try:
        return _NUMPY_OF[dtype]
    except KeyError:
        raise TypeError(
            f"[tensor] Expected a dtype (fngrad.float32, fngrad.float64, fngrad.int64 or fngrad.bool), got {dtype!r}."
        ) from None


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

def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_ragged(data, dim=0):
    """Raises PyTorch's message for nested sequences of uneven length."""
    if isinstance(data, (list, tuple)) and data:
        lengths = {len(x) if isinstance(x, (list, tuple)) else -1 for x in data}
        if len(lengths) > 1:
            first = len(data[0]) if isinstance(data[0], (list, tuple)) else None
            for x in data:
                n = len(x) if isinstance(x, (list, tuple)) else None
                if n != first:
                    raise ValueError(f"expected sequence of length {first} at dim {dim + 1} (got {n})")
        for x in data:
            _check_ragged(x, dim + 1)


def _array_from_data(data) -> np.ndarray:
    """NumPy array for tensor(): Python floats become float32, as in PyTorch."""
    if isinstance(data, Tensor):
        return data.detach().numpy()
    if isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        if isinstance(data, (list, tuple)):
            _check_ragged(data)
        try:
            arr = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"[tensor] Could not build a tensor from the data: {e}") from None
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
    kind = arr.dtype.kind
    if kind == "f":
        return arr if arr.dtype in (np.float32, np.float64) else arr.astype(np.float32)
    if kind in "iu":
        return arr if arr.dtype == np.int64 else arr.astype(np.int64)
    if kind == "b":
        return arr
    if kind == "O" and arr.size and all(isinstance(v, Tensor) for v in arr.reshape(-1)):
        return np.array([v.item() for v in arr.reshape(-1)]).reshape(arr.shape)
    raise TypeError(f"[tensor] Could not infer a dtype for data of type {type(data).__name__} "
                    f"(NumPy dtype {arr.dtype}); expected numbers, bools or nested sequences of them.")


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested sequences, a NumPy array or a tensor).

    Python floats become ``float32``, ints ``int64`` and bools ``bool``; NumPy arrays keep their
    dtype (other integer and float widths become int64 and float32).

    Example::

        >>> import fngrad
        >>> fngrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True).shape
        fngrad.Size([2, 2])
    """
    dtype = _resolve_dtype(dtype, "tensor")
    arr = _array_from_data(data)
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
    dtype = _resolve_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    if isinstance(data, np.ndarray) and data.dtype in (np.float32, np.float64, np.int64, np.bool_) and (
        dtype is None or data.dtype == _numpy_dtype(dtype)
    ):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``array`` (float64, float32, int64 or bool).

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


def _shape(size) -> tuple:
    if len(size) == 1 and not isinstance(size[0], numbers.Integral):
        return tuple(size[0])
    return tuple(size)


def _dtype_or_default(dtype, op="tensor"):
    dtype = _resolve_dtype(dtype, op)
    return _C.float32 if dtype is None else dtype


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros. Example: ``fngrad.zeros(2, 3)``."""
    return _finish(_C.zeros(_shape(size), _dtype_or_default(dtype, "zeros")), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones. Example: ``fngrad.ones(2, 3)``."""
    return _finish(_C.full(_shape(size), 1.0, _dtype_or_default(dtype, "ones")), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor with uninitialised values. Example: ``fngrad.empty(4)``."""
    return _finish(_C.empty(_shape(size), _dtype_or_default(dtype, "empty")), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor filled with ``fill_value``. Example: ``fngrad.full((2, 2), 7.0)``."""
    if dtype is None:
        dtype = _C.bool if isinstance(fill_value, bool) else _C.int64 if isinstance(fill_value, int) else _C.float32
    return _finish(_C.full(_shape((size,)), float(fill_value), _resolve_dtype(dtype, "full")), requires_grad)


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Zeros with ``t``'s shape and dtype. Example: ``fngrad.zeros_like(fngrad.ones(3))``."""
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Ones with ``t``'s shape and dtype. Example: ``fngrad.ones_like(fngrad.zeros(3))``."""
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def empty_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uninitialised, with ``t``'s shape and dtype."""
    return empty(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``fill_value`` everywhere, with ``t``'s shape and dtype."""
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)


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
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed)
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        self._seed = int(np.random.SeedSequence().entropy % (1 << 63))
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self._seed

    def initial_seed(self) -> int:
        return self._seed


default_generator = Generator()


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
    """Seeds the default generator non-deterministically and returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed of the default generator."""
    return default_generator.initial_seed()


def _random(fill, size, dtype, requires_grad, generator, op):
    dtype = _dtype_or_default(dtype, op)
    if not dtype.is_floating_point:
        raise TypeError(f"[randn] Expected a floating point dtype, got {dtype!r}.")
    rng = (generator or default_generator)._rng
    arr = fill(rng, _shape(size), _numpy_dtype(dtype))
    return _finish(_C.from_numpy(np.ascontiguousarray(arr)), requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Samples of the standard normal distribution. Example: ``fngrad.randn(2, 3)``."""
    return _random(lambda rng, s, d: rng.standard_normal(s, dtype=d), size, dtype, requires_grad, generator, "randn")


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Samples of the uniform distribution on [0, 1). Example: ``fngrad.rand(2, 3)``."""
    return _random(lambda rng, s, d: rng.random(s, dtype=d), size, dtype, requires_grad, generator, "rand")


def randn_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    """Standard normal samples with ``t``'s shape."""
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    """Uniform [0, 1) samples with ``t``'s shape."""
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def _rebuild(array, requires_grad):
    return _finish(_C.from_numpy(array), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 for integer arguments.

    Example::

        >>> import fngrad
        >>> fngrad.arange(4)
        tensor([0, 1, 2, 3])
    """
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = _C.int64 if integral else _C.float32
    dtype = _resolve_dtype(dtype, "arange")
    arr = np.arange(start, end, step, dtype=_numpy_dtype(dtype))
    return _finish(_C.from_numpy(arr), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (inclusive). Example: ``fngrad.linspace(0, 1, 5)``."""
    arr = np.linspace(start, end, steps, dtype=_numpy_dtype(_dtype_or_default(dtype, "linspace")))
    return _finish(_C.from_numpy(arr), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The n x m identity matrix. Example: ``fngrad.eye(3)``."""
    arr = np.eye(n, m, dtype=_numpy_dtype(_dtype_or_default(dtype, "eye")))
    return _finish(_C.from_numpy(arr), requires_grad)


def randint(low, high=None, size=None, dtype=None, device=None, generator=None) -> Tensor:
    """Uniform random integers in [low, high). Example: ``fngrad.randint(0, 10, (3,))``."""
    if high is None:
        low, high = 0, low
    rng = (generator or default_generator)._rng
    dtype = _resolve_dtype(dtype, "randint") or _C.int64
    arr = rng.integers(low, high, size=tuple(size), dtype=np.int64).astype(_numpy_dtype(dtype))
    return _C.from_numpy(arr)


def randperm(n, dtype=None, device=None, generator=None) -> Tensor:
    """A random permutation of 0..n-1. Example: ``fngrad.randperm(4)``."""
    rng = (generator or default_generator)._rng
    arr = rng.permutation(n).astype(_numpy_dtype(_resolve_dtype(dtype, "randperm") or _C.int64))
    return _C.from_numpy(arr)
