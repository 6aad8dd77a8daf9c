"""Devices: ``fngrad.device`` and the default device. fngrad computes on the CPU only.

A device names where a tensor lives, as in PyTorch. Every tensor is on ``device(type='cpu')``.
Other device types (``'cuda'``, ``'mps'``, ...) can be named, but using one for a tensor raises
what PyTorch raises on a machine without it (``AssertionError: Torch not compiled with CUDA
enabled`` for CUDA), so code that checks ``fngrad.cuda.is_available()`` first runs unchanged.
"""

from __future__ import annotations

import numbers
import threading

__all__ = ["device", "get_default_device", "set_default_device"]

# PyTorch's device types, in the order its error message lists them.
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                 "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")

_NO_CUDA = "Torch not compiled with CUDA enabled"


class device:
    """The device a tensor lives on: ``device('cpu')``, ``device('cpu', 0)``, ``device('cuda:1')``,
    ``device(type='cpu', index=None)``. Devices compare equal to devices (not to strings), and
    ``str(d)`` is the string form (``'cpu'``, ``'cpu:0'``).

    Example::

        >>> import fngrad
        >>> fngrad.ones(2).device == fngrad.device('cpu')
        True
        >>> fngrad.device('cpu', 0)
        device(type='cpu', index=0)
    """

    __slots__ = ("_type", "_index")

    def __init__(self, type=None, index=None):  # noqa: A002  (PyTorch's keyword names)
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): a device and an index cannot both be given")
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, numbers.Integral) and not isinstance(type, bool):
            # device(0) is the accelerator with that index; there is none.
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({_arg_name(type)}), "
                            "but expected one of:\n * (torch.device device)\n * (str type, int index = -1)\n")
        name, sep, suffix = type.partition(":")
        if name not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device "
                               f"string: {type}")
        if sep:
            if not suffix.isdigit() or (len(suffix) > 1 and suffix[0] == "0"):
                raise RuntimeError(f"Invalid device string: '{type}'")
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: "
                                   f"{type}")
            index = int(suffix)
        if index is not None:
            if not isinstance(index, numbers.Integral) or isinstance(index, bool):
                raise TypeError(f"device(): argument 'index' (position 2) must be int, not {_arg_name(index)}")
            if index < 0:
                if index != -1:
                    raise RuntimeError("Device index must not be negative")
                index = None  # -1 is PyTorch's "no index"
        self._type = name
        self._index = None if index is None else int(index)

    @property
    def type(self) -> str:
        """The device type: ``'cpu'``, ``'cuda'``, ..."""
        return self._type

    @property
    def index(self):
        """The device index, or None when the device names no particular one."""
        return self._index

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self):
        return hash((self._type, self._index))

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self):
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):
        # PyTorch: `with fngrad.device(d):` makes d the default device of the factory functions.
        _default.stack = _default.stack + [get_default_device()]
        set_default_device(self)
        return self

    def __exit__(self, exc_type, exc, tb):
        set_default_device(_default.stack.pop())
        return False


def _arg_name(obj) -> str:
    return "NoneType" if obj is None else type(obj).__name__


CPU = device("cpu")

class _DefaultDevice(threading.local):
    """PyTorch keeps the default device per thread (a TorchFunctionMode); None means the CPU. The
    class attributes are every thread's starting values (a missing attribute would cost an
    exception on every factory call)."""

    device = None
    stack: list = []


_default = _DefaultDevice()


def _unavailable(d: device):
    """The exception PyTorch raises for a tensor on ``d`` on a machine with only a CPU."""
    if d.type == "cuda":
        return AssertionError(_NO_CUDA)
    if d.type == "mps":
        return RuntimeError("PyTorch is not linked with support for mps devices")
    return RuntimeError(f"fngrad runs on the CPU only; device '{d}' is not available.")


def _to_device(obj, op: str = "device") -> device:
    """``obj`` (a device, a string, or None for the default device) as a device, checked to be usable."""
    if obj is None:
        d = _default.device
        if d is None:
            return CPU
    elif type(obj) is device:
        d = obj
    elif isinstance(obj, str):
        try:
            d = device(obj)
        except RuntimeError:
            raise RuntimeError(f"[{op}] Invalid device string: '{obj}'") from None
    elif isinstance(obj, (device, numbers.Integral)):
        d = device(obj)
    else:
        raise TypeError(f"[{op}] argument 'device' must be torch.device, not {_arg_name(obj)}")
    if d.type != "cpu":
        raise _unavailable(d)
    return d


def get_default_device() -> device:
    """The device the factory functions (``zeros``, ``randn``, ...) create tensors on: the CPU
    unless ``set_default_device`` chose another (which then fails as PyTorch does without it).

    Example::

        >>> import fngrad
        >>> fngrad.get_default_device()
        device(type='cpu')
    """
    return _to_device(None)


def set_default_device(device_) -> None:
    """Sets the device the factory functions create tensors on (None: the CPU). Naming a device
    this machine lacks is accepted, as in PyTorch; creating a tensor then raises.

    Example::

        >>> import fngrad
        >>> fngrad.set_default_device("cpu")
        >>> fngrad.zeros(1).device
        device(type='cpu')
        >>> fngrad.set_default_device(None)
    """
    _default.device = None if device_ is None else device(device_)
