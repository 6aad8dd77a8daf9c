"""fngrad.Tensor: the Python half of the tensor (the native half is ``fngrad._C.TensorBase``).

Operators, indexing and the elementwise methods are native; what lives here is what reads
better in Python: printing, ``backward``, conversion to Python lists and NumPy.
"""

from __future__ import annotations

import math

import numpy as np

from . import _C
from ._creation import _rebuild, full, ones, tensor, zeros
from ._functions import masked_select, return_types
from ._numpy_protocol import array_function, array_ufunc, array_wrap
from .autograd import backward
from .autograd.graph import _register_post_accumulate_hook, _register_tensor_hook
from .utils.dlpack import DLDeviceType, _export

__all__ = ["Tensor"]


class Tensor(_C.TensorBase):
    """A multi-dimensional array that can record the operations applied to it.

    Create tensors with ``fngrad.tensor``, ``fngrad.randn``, ``fngrad.zeros`` and friends, or share
    memory with NumPy through ``fngrad.from_numpy`` and ``Tensor.numpy``.

    Example::

        >>> import fngrad
        >>> x = fngrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        tensor([ 2., -4.,  6.])
    """

    # NumPy defers to Tensor's reflected operators (ndarray * tensor). The operators themselves
    # are native slots of TensorBase: defining __radd__ and friends here would replace them with
    # slower Python-level dispatch.
    __array_priority__ = 1000

    # NumPy ufuncs and functions on tensors run as fngrad ops, recording the graph, where fngrad has
    # the op; elsewhere they behave as on PyTorch's tensors (docs/numpy.md).
    __array_ufunc__ = array_ufunc
    __array_function__ = array_function
    __array_wrap__ = array_wrap

    def __new__(cls, *args, **kwargs):
        if args or kwargs:
            return tensor(*args, **kwargs)
        return super().__new__(cls)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Computes the gradient of this tensor with respect to the graph's leaves.

        ``gradient`` is required unless the tensor has one element. Gradients accumulate into
        ``.grad`` of every leaf that requires grad (or only of ``inputs``, when given).

        Example::

            >>> import fngrad
            >>> x = fngrad.tensor([3.0], requires_grad=True)
            >>> (x * x).backward()
            >>> x.grad
            tensor([6.])
        """
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def _is_view(self):
        """Whether this tensor is a view of another tensor's memory (its ``_base``)."""
        return self._base is not None

    def register_hook(self, hook):
        """Registers ``hook(grad) -> Tensor or None`` to run when this tensor's gradient is computed."""
        return _register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Registers ``hook(tensor)`` to run after ``.grad`` of this leaf has been updated."""
        return _register_post_accumulate_hook(self, hook)

    @property
    def device(self):
        """Always ``'cpu'``: fngrad runs on the CPU."""
        return _CPU

    @property
    def is_cuda(self):
        return False

    def cpu(self):
        return self

    def max(self, dim=None, keepdim=False):
        """The maximum element; with ``dim``, named ``(values, indices)``; with a tensor, the elementwise maximum."""
        result = self._max(dim, keepdim)
        if isinstance(result, tuple):
            return return_types.max(*result)
        return result

    def min(self, dim=None, keepdim=False):
        """The minimum element; with ``dim``, named ``(values, indices)``; with a tensor, the elementwise minimum."""
        result = self._min(dim, keepdim)
        if isinstance(result, tuple):
            return return_types.min(*result)
        return result

    def type_as(self, other):
        """This tensor converted to ``other``'s dtype."""
        return self.to(other.dtype)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        """Zeros of ``size``, with this tensor's dtype unless given."""
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        """Ones of ``size``, with this tensor's dtype unless given."""
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        """``fill_value`` everywhere, with this tensor's dtype unless given."""
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, requires_grad=False):
        """A new tensor from ``data``, with this tensor's dtype unless given."""
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def leaky_relu(self, negative_slope=0.01):
        return self._leaky_relu(negative_slope)

    def masked_select(self, mask):
        """The elements where ``mask`` (broadcast against self) is true, as a 1-D tensor.
        Example: ``fngrad.ones(2, 2).masked_select(fngrad.tensor([True, False]))`` has 2 elements."""
        return masked_select(self, mask)

    def tolist(self):
        """The tensor's values as (nested) Python lists of numbers.

        Example::

            >>> import fngrad
            >>> fngrad.tensor([[1, 2], [3, 4]]).tolist()
            [[1, 2], [3, 4]]
        """
        return self.detach().numpy().tolist()

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()  # PyTorch's error for a tensor that requires grad: NumPy would drop the graph
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy and arr.base is not None else arr  # np.array(t) copies, as for PyTorch

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __reversed__(self):
        return iter([self[i] for i in range(self.shape[0] - 1, -1, -1)])

    def __contains__(self, element):
        return bool((self == element).sum().item() > 0)

    def __format__(self, spec):
        if self.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self):
        return _tensor_repr(self)

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self.detach().numpy().copy(), self.requires_grad))

    def __deepcopy__(self, memo):
        t = self.detach().clone()
        t.requires_grad_(self.requires_grad)
        memo[id(self)] = t
        return t

    # ---- DLPack: zero-copy exchange with PyTorch, NumPy and others (fngrad.utils.dlpack) ----

    def __dlpack__(self, *, stream=-1, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule sharing this tensor's memory, for another library's ``from_dlpack``.

        As in PyTorch: ``stream`` must be None or -1 on the CPU; the capsule is versioned when
        ``max_version`` is at least (1, 0); a tensor that requires grad is refused with
        ``BufferError`` (export ``tensor.detach()``). Example: ``np.from_dlpack(fngrad.ones(2))``.
        """
        if self.requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        if stream is not None and type(stream) is not int:
            raise TypeError("stream must be ``int`` or ``none``")
        if stream is not None and stream != -1:
            raise AssertionError("stream should be None on cpu.")
        return _export(self, max_version, dl_device, copy)

    def __dlpack_device__(self):
        """``(DLDeviceType.kDLCPU, 0)``: fngrad tensors live in CPU memory."""
        return (DLDeviceType.kDLCPU, 0)


class _Device(str):
    """The device a tensor lives on: the CPU."""

    @property
    def type(self):
        return "cpu"

    def __repr__(self):
        return "device(type='cpu')"


_CPU = _Device("cpu")

_C._set_tensor_class(Tensor)


# ---- printing, in PyTorch's format ----

_PRECISION = 4
_THRESHOLD = 1000
_EDGEITEMS = 3
_LINEWIDTH = 80


class _Formatter:
    """Chooses one format for every element, as PyTorch does, so that columns line up."""

    def __init__(self, values: np.ndarray):
        self.kind = values.dtype.kind
        self.sci = False
        self.int_mode = True
        self.width = 1
        flat = values.reshape(-1)
        if self.kind == "b":
            self.width = max((len(str(bool(v))) for v in flat), default=1)
            return
        if self.kind in "iu":
            self.width = max((len(str(int(v))) for v in flat), default=1)
            return
        finite = flat[np.isfinite(flat)]
        nonzero = np.abs(finite[finite != 0]).astype(np.float64)
        self.int_mode = bool(np.all(np.ceil(finite) == finite))
        if nonzero.size:
            hi, lo = nonzero.max(), nonzero.min()
            if self.int_mode:
                self.sci = hi / lo > 1000.0 or hi > 1.0e8
            else:
                self.sci = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        self.width = max((len(self._raw(v)) for v in flat), default=1)

    def _raw(self, v) -> str:
        if self.kind == "b":
            return str(bool(v))
        if self.kind in "iu":
            return str(int(v))
        v = float(v)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if self.sci:
            return f"{v:.{_PRECISION}e}"
        if self.int_mode:
            return f"{v:.0f}."
        return f"{v:.{_PRECISION}f}"

    def format(self, v) -> str:
        return self._raw(v).rjust(self.width)


def _edges(values: np.ndarray, summarize: bool):
    """The leading-dim slices PyTorch shows, and whether '...' goes between them."""
    n = values.shape[0]
    if summarize and n > 2 * _EDGEITEMS:
        return [values[i] for i in range(_EDGEITEMS)], [values[i] for i in range(n - _EDGEITEMS, n)], True
    return [values[i] for i in range(n)], [], False


def _shown_values(values: np.ndarray, summarize: bool) -> np.ndarray:
    """The elements that will be printed, flattened (to choose one format for all)."""
    if values.ndim == 0:
        return values.reshape(1)
    head, tail, _ = _edges(values, summarize)
    parts = [_shown_values(v, summarize) for v in head + tail]
    return np.concatenate(parts) if parts else values.reshape(-1)


def _format_block(values: np.ndarray, fmt: _Formatter, indent: int, summarize: bool) -> str:
    if values.ndim == 0:
        return fmt.format(values)
    head, tail, elided = _edges(values, summarize)
    if values.ndim == 1:
        items = [fmt.format(v) for v in head] + (["..."] if elided else []) + [fmt.format(v) for v in tail]
        per_line = max(1, (_LINEWIDTH - indent) // (fmt.width + 2))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [_format_block(v, fmt, indent + 1, summarize) for v in head]
    if elided:
        rows.append("...")
    rows += [_format_block(v, fmt, indent + 1, summarize) for v in tail]
    sep = "," + "\n" * (values.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def _tensor_repr(t: Tensor) -> str:
    prefix = "tensor("
    values = t.detach().numpy()
    suffixes = []
    if values.size == 0:
        body = "[]"
        if values.shape != (0,):
            suffixes.append(f"size={tuple(values.shape)}")
    else:
        summarize = values.size > _THRESHOLD
        fmt = _Formatter(_shown_values(values, summarize))
        body = _format_block(values, fmt, len(prefix), summarize)
    if t.dtype not in (_C.float32, _C.int64, _C.bool):
        suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffixes) + ")"
