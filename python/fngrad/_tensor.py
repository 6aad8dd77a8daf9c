"""fngrad.Tensor: the Python half of the tensor (the native half is ``fngrad._C.TensorBase``).

Operators, indexing and the elementwise methods are native; what lives here is what reads
better in Python: printing, ``backward``, conversion to Python lists and NumPy.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from . import _C, _creation
from ._creation import _rebuild, empty, full, ones, tensor, zeros
from ._device import CPU, _to_device, _unavailable, device
from ._functions import masked_select, return_types
from ._numpy_protocol import array_function, array_ufunc, array_wrap
from .autograd import backward
from .autograd.graph import _register_post_accumulate_hook, _register_tensor_hook
from .utils.dlpack import DLDeviceType, _export

__all__ = ["Tensor", "set_printoptions", "set_default_tensor_type", "FloatTensor", "DoubleTensor", "LongTensor", "BoolTensor",
           "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "HalfTensor", "BFloat16Tensor"]

# PyTorch's legacy tensor type names, as Tensor.type() gives them.
_TYPE_NAMES = {_C.float32: "FloatTensor", _C.float64: "DoubleTensor", _C.int64: "LongTensor", _C.bool: "BoolTensor",
               _C.int32: "IntTensor", _C.int16: "ShortTensor", _C.int8: "CharTensor", _C.uint8: "ByteTensor",
               _C.float16: "HalfTensor", _C.bfloat16: "BFloat16Tensor"}
_DTYPE_OF_NAME = {name: dtype for dtype, name in _TYPE_NAMES.items()}
_TO_NAMES = ("dtype", "non_blocking", "copy", "memory_format")  # to(device, ...)'s positions after the device


def _is_size(args) -> bool:
    """Whether legacy constructor arguments are sizes: ints, or one fngrad.Size."""
    if len(args) == 1 and isinstance(args[0], _C.Size):
        return True
    return bool(args) and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args)


_native_to = _C.TensorBase.to
_native_numpy = _C.TensorBase.numpy


def _native_to_args(args, kwargs):
    """The arguments of Tensor.to for the native to(), which takes devices as strings: a device
    (a fngrad.device or a string) is checked here and dropped, its followers passed by name."""
    if args and not isinstance(args[0], (_C.dtype, _C.TensorBase, type)):
        if args[0] is not None:
            _to_device(args[0], "to")
        if len(args) > 1 + len(_TO_NAMES):
            raise TypeError(f"to() takes at most {1 + len(_TO_NAMES)} positional arguments ({len(args)} given)")
        for name, value in zip(_TO_NAMES, args[1:]):
            if name in kwargs:
                raise TypeError(f"to() got multiple values for argument '{name}'")
            kwargs[name] = value
        args = ()
    if "device" in kwargs:
        dev = kwargs.pop("device")
        if dev is not None:
            _to_device(dev, "to")
    return args


def _legacy_new(dtype, args, kwargs, op):
    """PyTorch's legacy constructors (``Tensor(2, 3)``, ``FloatTensor([1, 2])``, ``t.new(...)``):
    no arguments gives an empty tensor; ints or a Size, an uninitialised tensor of that shape;
    a tensor of the same dtype, that tensor's memory; a sequence or array, a copy of the data."""
    unexpected = [k for k in kwargs if k != "device"]
    if unexpected:
        raise TypeError(f"{op}() got an unexpected keyword argument '{unexpected[0]}' (the legacy constructors take "
                        f"only sizes or data, and device=; use fngrad.tensor(data, dtype=..., requires_grad=...))")
    if kwargs.get("device") is not None:
        _to_device(kwargs["device"], op)
    if not args:
        return empty(0, dtype=dtype, device=CPU)
    if _is_size(args):
        return empty(*args, dtype=dtype, device=CPU)
    if len(args) > 1:
        raise TypeError(f"{op}(): expected sizes (ints) or one sequence of data, got {len(args)} arguments")
    data = args[0]
    if isinstance(data, _C.TensorBase):
        if data.dtype != dtype:
            raise TypeError(f"{op}(): expected a tensor of dtype {dtype} (got {data.dtype})")
        return data.view_as(data)
    if not isinstance(data, (list, tuple, np.ndarray)) and not hasattr(data, "__array__"):
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    return tensor(data, dtype=dtype, device=CPU)


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
        """PyTorch's legacy constructor: ``Tensor(2, 3)`` is uninitialised with the default dtype,
        ``Tensor([1, 2])`` a copy of the data as the default dtype. Prefer ``fngrad.tensor``/``empty``."""
        if cls is not Tensor and not (args or kwargs):
            return super().__new__(cls)
        return _legacy_new(_creation.get_default_dtype(), args, kwargs, "Tensor")

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
        """Registers ``hook(grad) -> Tensor or None`` to run when this tensor's gradient is computed.

        >>> x = fngrad.tensor([1., 2.], requires_grad=True)
        >>> h = x.register_hook(lambda grad: grad * 10)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([20., 40.])
        """
        return _register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Registers ``hook(tensor)`` to run after ``.grad`` of this leaf has been updated.

        >>> w = fngrad.tensor([1., 2.], requires_grad=True)
        >>> h = w.register_post_accumulate_grad_hook(lambda p: print('grad', p.grad))
        >>> (3 * w).sum().backward()
        grad tensor([3., 3.])
        """
        return _register_post_accumulate_hook(self, hook)

    @property
    def device(self):
        """``device(type='cpu')``: fngrad tensors live in CPU memory."""
        return CPU

    @property
    def is_cuda(self):
        """False: fngrad has no CUDA tensors."""
        return False

    @property
    def is_cpu(self):
        """True: fngrad tensors live in CPU memory."""
        return True

    def get_device(self) -> int:
        """-1, PyTorch's answer for a CPU tensor.

        >>> fngrad.ones(2).get_device()
        -1
        """
        return -1

    def cpu(self, memory_format=None):
        """This tensor: it is already on the CPU.

        >>> x = fngrad.ones(2)
        >>> x.cpu() is x
        True
        """
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """Raises ``AssertionError: Torch not compiled with CUDA enabled``, as PyTorch without CUDA.

        >>> fngrad.ones(2).cuda()
        Traceback (most recent call last):
            ...
        AssertionError: Torch not compiled with CUDA enabled
        """
        raise _unavailable(_device_of_cuda(device))

    def to(self, *args, **kwargs):
        """This tensor converted: ``to(dtype)``, ``to(device, dtype=None, non_blocking=False, copy=False)``,
        ``to(other)`` (other's dtype). Returns self when nothing changes, unless ``copy=True``. The
        device must be the CPU (``'cpu'``, ``fngrad.device('cpu')``); another raises as in PyTorch.

        Example::

            >>> import fngrad
            >>> fngrad.ones(2).to("cpu", fngrad.float64).dtype
            fngrad.float64
        """
        if not kwargs and args and type(args[0]) is _C.dtype:  # to(dtype), the common case
            return _native_to(self, *args)
        return _native_to(self, *_native_to_args(args, kwargs), **kwargs)

    def numpy(self, *, force=False):
        """The tensor as a NumPy array sharing its memory.

        As in PyTorch, a tensor that requires grad is refused while grad mode is on (use
        ``t.detach().numpy()``); under ``no_grad`` (or in a Function's forward) it is allowed.

        >>> fngrad.ones(2).numpy()
        array([1., 1.], dtype=float32)
        """
        if force:
            return _native_numpy(self, force=True)
        if self.requires_grad and not _C.is_grad_enabled():
            return _native_numpy(self.detach())
        return _native_numpy(self)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """Without arguments, the legacy type name (``'fngrad.FloatTensor'``); with a dtype, a legacy
        tensor type (``fngrad.DoubleTensor``) or its name (``'torch.DoubleTensor'``), this tensor
        converted to it (self when it already has that type).

        Example::

            >>> import fngrad
            >>> fngrad.ones(2).type()
            'fngrad.FloatTensor'
            >>> fngrad.ones(2).type('torch.LongTensor')
            tensor([1, 1])
        """
        if dtype is None:
            return "fngrad." + _TYPE_NAMES[self.dtype]
        if isinstance(dtype, str):
            prefix, _, name = dtype.rpartition(".")
            if prefix in ("torch.cuda", "fngrad.cuda") and name in _DTYPE_OF_NAME:
                raise _unavailable(device("cuda"))
            if prefix not in ("torch", "fngrad") or name not in _DTYPE_OF_NAME:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = _DTYPE_OF_NAME[name]
        elif isinstance(dtype, _LegacyTensorType):
            dtype = dtype.dtype
        if dtype == self.dtype:
            return self
        return self.to(dtype)

    def new(self, *args, **kwargs):
        """PyTorch's legacy constructor with this tensor's dtype: ``t.new(2, 3)`` is uninitialised,
        ``t.new([1, 2])`` a copy of the data. Prefer ``new_empty``/``new_tensor``.

        >>> fngrad.ones(1, dtype=fngrad.float64).new([1, 2])
        tensor([1., 2.], dtype=fngrad.float64)
        """
        return _legacy_new(self.dtype, args, kwargs, "new")

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
        """Uninitialised values of ``size``, with this tensor's dtype unless given.

        >>> fngrad.ones(1, dtype=fngrad.int64).new_empty((2, 3)).dtype
        fngrad.int64
        """
        return empty(*size, dtype=dtype or self.dtype, device=device or CPU, requires_grad=requires_grad, **kwargs)

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes the elements take: ``numel() * itemsize``."""
        return self.numel() * self.dtype.itemsize

    def stride(self, dim=None):
        """Elements to step in memory per step along each dim (a tuple), or along ``dim``.

        >>> fngrad.zeros(2, 3).stride()
        (3, 1)
        """
        strides = _C._view_geometry(self)[0]
        if dim is None:
            return strides
        if not strides:
            raise IndexError(f"[stride] Dimension specified as {dim} but tensor has no dimensions")
        if not -len(strides) <= dim < len(strides):
            raise IndexError(f"[stride] Dimension out of range (expected to be in range of "
                             f"[{-len(strides)}, {len(strides) - 1}], but got {dim})")
        return strides[dim]

    def data_ptr(self) -> int:
        """The address of the first element. Example: views share memory:
        ``x[2:].data_ptr() == x.data_ptr() + 2 * x.itemsize`` for a 1-d ``x``.

        >>> x = fngrad.arange(4.)
        >>> x[1:].data_ptr() - x.data_ptr()
        4
        """
        return _C._storage_info(self)[0] + self.storage_offset() * self.dtype.itemsize

    def storage_offset(self) -> int:
        """Elements from the start of the memory block to the first element (nonzero for views).

        >>> fngrad.arange(5)[2:].storage_offset()
        2
        """
        return _C._view_geometry(self)[1]

    def nelement(self) -> int:
        """The number of elements (``numel``'s older name).

        >>> fngrad.zeros(2, 3).nelement()
        6
        """
        return self.numel()

    def ndimension(self) -> int:
        """The number of dims (``dim``'s older name).

        >>> fngrad.zeros(2, 3).ndimension()
        2
        """
        return self.ndim

    uniform_ = _creation.uniform_
    normal_ = _creation.normal_
    random_ = _creation.random_
    bernoulli_ = _creation.bernoulli_
    exponential_ = _creation.exponential_
    log_normal_ = _creation.log_normal_
    cauchy_ = _creation.cauchy_
    geometric_ = _creation.geometric_

    def max(self, dim=None, keepdim=False):
        """The maximum element; with ``dim``, named ``(values, indices)``; with a tensor, the elementwise maximum.

        >>> fngrad.tensor([[1., 2.], [3., 4.]]).max()
        tensor(4.)
        >>> fngrad.tensor([[1., 2.], [3., 4.]]).max(dim=1).values
        tensor([2., 4.])
        >>> fngrad.tensor([[1., 2.], [3., 4.]]).max(fngrad.tensor([2., 2.]))
        tensor([[2., 2.],
                [3., 4.]])
        """
        result = self._max(dim, keepdim)
        if isinstance(result, tuple):
            return return_types.max(*result)
        return result

    def min(self, dim=None, keepdim=False):
        """The minimum element; with ``dim``, named ``(values, indices)``; with a tensor, the elementwise minimum.

        >>> fngrad.tensor([[1., 2.], [3., 4.]]).min()
        tensor(1.)
        >>> fngrad.tensor([[1., 2.], [3., 4.]]).min(dim=0).indices
        tensor([0, 0])
        """
        result = self._min(dim, keepdim)
        if isinstance(result, tuple):
            return return_types.min(*result)
        return result

    def type_as(self, other):
        """This tensor converted to ``other``'s dtype.

        >>> fngrad.tensor([1.5, 2.5]).type_as(fngrad.tensor([1]))
        tensor([1, 2])
        """
        return self.to(other.dtype)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
        """Zeros of ``size``, with this tensor's dtype unless given.

        >>> fngrad.ones(1, dtype=fngrad.int64).new_zeros(2, 2)
        tensor([[0, 0],
                [0, 0]])
        """
        return zeros(*size, dtype=dtype or self.dtype, device=device or CPU, requires_grad=requires_grad, **kwargs)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
        """Ones of ``size``, with this tensor's dtype unless given.

        >>> fngrad.ones(1, dtype=fngrad.float64).new_ones(2)
        tensor([1., 1.], dtype=fngrad.float64)
        """
        return ones(*size, dtype=dtype or self.dtype, device=device or CPU, requires_grad=requires_grad, **kwargs)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        """``fill_value`` everywhere, with this tensor's dtype unless given.

        >>> fngrad.ones(1, dtype=fngrad.int64).new_full((2,), 7)
        tensor([7, 7])
        """
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or CPU, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A new tensor from ``data``, with this tensor's dtype unless given.

        >>> fngrad.ones(1, dtype=fngrad.float64).new_tensor([1, 2])
        tensor([1., 2.], dtype=fngrad.float64)
        """
        return tensor(data, dtype=dtype or self.dtype, device=device or CPU, requires_grad=requires_grad)

    def masked_select(self, mask):
        """The elements where ``mask`` (broadcast against self) is true, as a 1-D tensor.

        >>> fngrad.ones(2, 2).masked_select(fngrad.tensor([True, False]))
        tensor([1., 1.])
        """
        return masked_select(self, mask)

    def tolist(self):
        """The tensor's values as (nested) Python lists of numbers.

        Example::

            >>> import fngrad
            >>> fngrad.tensor([[1, 2], [3, 4]]).tolist()
            [[1, 2], [3, 4]]
        """
        t = self.detach()
        return (t.float() if t.dtype == _C.bfloat16 else t).numpy().tolist()  # NumPy has no bfloat16

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


def _device_of_cuda(index):
    """The device ``Tensor.cuda(device)`` names."""
    if index is None:
        return device("cuda")
    return device("cuda", index) if isinstance(index, int) else device(index)


class _LegacyTensorType(type):
    """The type of ``FloatTensor`` and friends: calling one is its legacy constructor, and
    ``isinstance(t, FloatTensor)`` holds for float32 tensors, as in PyTorch."""

    dtype: _C.dtype

    def __instancecheck__(cls, obj):
        return isinstance(obj, _C.TensorBase) and obj.dtype == cls.dtype

    def __call__(cls, *args, **kwargs):
        return _legacy_new(cls.dtype, args, kwargs, cls.__name__)

    def __repr__(cls):
        return f"<class 'fngrad.{cls.__name__}'>"


class FloatTensor(metaclass=_LegacyTensorType):
    """Legacy constructor of float32 tensors: ``FloatTensor(2, 3)`` (uninitialised), ``FloatTensor([1, 2])``.

    >>> fngrad.FloatTensor([1, 2])
    tensor([1., 2.])
    >>> fngrad.FloatTensor(2, 3).shape
    fngrad.Size([2, 3])
    >>> isinstance(fngrad.FloatTensor([1]), fngrad.FloatTensor)
    True
    """

    dtype = _C.float32


class DoubleTensor(metaclass=_LegacyTensorType):
    """Legacy constructor of float64 tensors: ``DoubleTensor(2, 3)`` (uninitialised), ``DoubleTensor([1, 2])``.

    >>> fngrad.DoubleTensor([1, 2])
    tensor([1., 2.], dtype=fngrad.float64)
    >>> fngrad.DoubleTensor(2, 3).shape
    fngrad.Size([2, 3])
    >>> isinstance(fngrad.DoubleTensor([1]), fngrad.DoubleTensor)
    True
    """

    dtype = _C.float64


class LongTensor(metaclass=_LegacyTensorType):
    """Legacy constructor of int64 tensors: ``LongTensor(2, 3)`` (uninitialised), ``LongTensor([1, 2])``.

    >>> fngrad.LongTensor([1, 2])
    tensor([1, 2])
    >>> fngrad.LongTensor(2, 3).shape
    fngrad.Size([2, 3])
    >>> isinstance(fngrad.LongTensor([1]), fngrad.LongTensor)
    True
    """

    dtype = _C.int64


class BoolTensor(metaclass=_LegacyTensorType):
    """Legacy constructor of bool tensors: ``BoolTensor(2, 3)`` (uninitialised), ``BoolTensor([1, 0])``.

    >>> fngrad.BoolTensor([1, 2])
    tensor([True, True])
    >>> fngrad.BoolTensor(2, 3).shape
    fngrad.Size([2, 3])
    >>> isinstance(fngrad.BoolTensor([1]), fngrad.BoolTensor)
    True
    """

    dtype = _C.bool


def _legacy_type(dtype, shown):
    """The legacy constructor class of ``dtype`` (``IntTensor`` for int32), made as the four above are
    written; ``shown`` is what its docstring's example prints for ``NAME([1, 2])``."""
    name = _TYPE_NAMES[dtype]
    doc = (f"Legacy constructor of {str(dtype).replace('fngrad.', '')} tensors: ``{name}(2, 3)`` (uninitialised), "
           f"``{name}([1, 2])``.\n\n>>> fngrad.{name}([1, 2])\n{shown}\n>>> fngrad.{name}(2, 3).shape\n"
           f"fngrad.Size([2, 3])\n>>> isinstance(fngrad.{name}([1]), fngrad.{name})\nTrue")
    return _LegacyTensorType(name, (), {"dtype": dtype, "__doc__": doc, "__module__": __name__})


IntTensor = _legacy_type(_C.int32, "tensor([1, 2], dtype=fngrad.int32)")
ShortTensor = _legacy_type(_C.int16, "tensor([1, 2], dtype=fngrad.int16)")
CharTensor = _legacy_type(_C.int8, "tensor([1, 2], dtype=fngrad.int8)")
ByteTensor = _legacy_type(_C.uint8, "tensor([1, 2], dtype=fngrad.uint8)")
HalfTensor = _legacy_type(_C.float16, "tensor([1., 2.], dtype=fngrad.float16)")
BFloat16Tensor = _legacy_type(_C.bfloat16, "tensor([1., 2.], dtype=fngrad.bfloat16)")


def set_default_tensor_type(t) -> None:
    """Deprecated (as in PyTorch): sets the default dtype from a legacy type (``fngrad.DoubleTensor``
    or ``'torch.DoubleTensor'``). Use ``set_default_dtype``.

    Example::

        >>> import fngrad, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     fngrad.set_default_tensor_type("torch.FloatTensor")
        >>> fngrad.get_default_dtype()
        fngrad.float32
    """
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    if isinstance(t, str):
        prefix, _, name = t.rpartition(".")
        if prefix not in ("torch", "fngrad") or name not in _DTYPE_OF_NAME:
            raise TypeError(f"invalid type: '{t}'")
        dtype = _DTYPE_OF_NAME[name]
    elif isinstance(t, _LegacyTensorType):
        dtype = t.dtype
    else:
        raise TypeError(f"invalid type: '{t!r}'")
    _creation.set_default_dtype(dtype)


_C._set_tensor_class(Tensor)


# ---- printing, in PyTorch's format ----

class _PrintOptions:
    """What ``set_printoptions`` sets; PyTorch's defaults."""

    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None  # None: chosen from the values


_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """How tensors print, as in PyTorch: digits after the point (``precision``), the element count
    above which only ``edgeitems`` items at each end of each dim show (``threshold``), the line
    width, a ``profile`` ("default", "short", "full") that sets all of these, and ``sci_mode``
    (True/False forces scientific notation on or off; None chooses from the values).

    Example::

        >>> import fngrad
        >>> fngrad.set_printoptions(precision=2)
        >>> fngrad.tensor([1.23456])
        tensor([1.23])
        >>> fngrad.set_printoptions(profile="default")
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"[set_printoptions] profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        (_PrintOptions.precision, _PrintOptions.threshold, _PrintOptions.edgeitems,
         _PrintOptions.linewidth) = _PROFILES[profile]
    if precision is not None:
        _PrintOptions.precision = precision
    if threshold is not None:
        _PrintOptions.threshold = threshold
    if edgeitems is not None:
        _PrintOptions.edgeitems = edgeitems
    if linewidth is not None:
        _PrintOptions.linewidth = linewidth
    _PrintOptions.sci_mode = sci_mode


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
        if nonzero.size and _PrintOptions.sci_mode is None:
            hi, lo = nonzero.max(), nonzero.min()
            if self.int_mode:
                self.sci = hi / lo > 1000.0 or hi > 1.0e8
            else:
                self.sci = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        if _PrintOptions.sci_mode is not None:
            self.sci = _PrintOptions.sci_mode
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
            return f"{v:.{_PrintOptions.precision}e}"
        if self.int_mode:
            return f"{v:.0f}."
        return f"{v:.{_PrintOptions.precision}f}"

    def format(self, v) -> str:
        return self._raw(v).rjust(self.width)


def _edges(values: np.ndarray, summarize: bool):
    """The leading-dim slices PyTorch shows, and whether '...' goes between them."""
    n = values.shape[0]
    k = _PrintOptions.edgeitems
    if summarize and n > 2 * k:
        return [values[i] for i in range(k)], [values[i] for i in range(n - k, n)], True
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
        # PyTorch elides within a row with " ..." (a space more than between rows).
        items = [fmt.format(v) for v in head] + ([" ..."] if elided else []) + [fmt.format(v) for v in tail]
        per_line = max(1, (_PrintOptions.linewidth - indent) // (fmt.width + 2))
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
    # NumPy has no bfloat16: its values print from float32, which holds them exactly.
    values = (t.detach().float() if t.dtype == _C.bfloat16 else t.detach()).numpy()
    suffixes = []
    default = _creation.get_default_dtype()
    if values.size == 0:
        body = "[]"
        if values.shape != (0,):
            suffixes.append(f"size={tuple(values.shape)}")
        shown = (default,)  # no values to tell int64 or bool from: PyTorch names every other dtype
    else:
        summarize = values.size > _PrintOptions.threshold
        fmt = _Formatter(_shown_values(values, summarize))
        body = _format_block(values, fmt, len(prefix), summarize)
        shown = (default, _C.int64, _C.bool)
    if t.dtype not in shown:
        suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    # PyTorch's rule: a suffix that would pass the line width goes on a line of its own, under the
    # first value (its last_line_len counts one more than the last line's characters).
    text = prefix + body
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _PrintOptions.linewidth:
            text += ",\n" + " " * len(prefix) + suffix
            last_line_len = len(prefix) + len(suffix)
        else:
            text += ", " + suffix
            last_line_len += len(suffix) + 2
    return text + ")"
