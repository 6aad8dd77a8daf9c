"""DLPack, both ways and without copies, as ``torch.utils.dlpack`` and ``torch.from_dlpack``.

An fngrad tensor exports its memory through NumPy's DLPack support: ``Tensor.__dlpack__`` hands
out the capsule of ``tensor.numpy()``, an ndarray over the tensor's own buffer (which the capsule
keeps alive). Importing goes the other way: ``np.from_dlpack`` wraps the producer's memory and
``fngrad.from_numpy`` wraps that array. Either way the two sides share memory, and the imported
tensor is a new leaf with a version counter of its own (writes through the other side do not
bump it), as in PyTorch.

Example::

    >>> import fngrad, numpy as np
    >>> a = np.arange(3.0)
    >>> t = fngrad.from_dlpack(a)
    >>> t[0] = 7.0
    >>> a
    array([7., 1., 2.])
"""

from __future__ import annotations

import ctypes
import enum

import numpy as np

from .. import _C

__all__ = ["DLDeviceType", "from_dlpack", "to_dlpack"]


class DLDeviceType(enum.IntEnum):
    """Device types of the DLPack specification; fngrad tensors are always ``kDLCPU``."""

    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17


_SUPPORTED = (np.float32, np.float64, np.int64, np.bool_)


def _export(tensor, max_version=None, dl_device=None, copy=None):
    """The DLPack capsule of ``tensor``'s memory: legacy ("dltensor") unless ``max_version`` is
    at least (1, 0), as PyTorch's ``__dlpack__`` does."""
    # Only the arguments given: NumPy before 2.1 knows none of them (fngrad needs NumPy >= 1.23).
    options = {"max_version": max_version, "dl_device": dl_device, "copy": copy}
    return tensor.detach().numpy().__dlpack__(**{k: v for k, v in options.items() if v is not None})


def to_dlpack(tensor):
    """A legacy DLPack capsule sharing ``tensor``'s memory, for ``from_dlpack`` of any library.

    Like ``torch.utils.dlpack.to_dlpack``, it does not refuse a tensor that requires grad (the
    capsule carries no autograd information); ``tensor.__dlpack__()`` does. Consume a capsule once.

    Example::

        >>> import fngrad
        >>> from fngrad.utils.dlpack import from_dlpack, to_dlpack
        >>> t = fngrad.arange(3)
        >>> from_dlpack(to_dlpack(t)).add_(1)
        tensor([1, 2, 3])
        >>> t
        tensor([1, 2, 3])
    """
    if not isinstance(tensor, _C.TensorBase):
        raise TypeError(f"to_dlpack(): argument 'data' (position 1) must be Tensor, not {type(tensor).__name__}")
    return _export(tensor)


class _Capsule:
    """Presents a bare capsule through the ``__dlpack__`` protocol, for ``np.from_dlpack``."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **_):
        return self.capsule

    def __dlpack_device__(self):
        return (DLDeviceType.kDLCPU, 0)


def _is_unused_capsule(obj):
    if type(obj).__name__ != "PyCapsule":
        return False
    is_valid = ctypes.pythonapi.PyCapsule_IsValid
    is_valid.argtypes, is_valid.restype = (ctypes.py_object, ctypes.c_char_p), ctypes.c_int
    return bool(is_valid(obj, b"dltensor") or is_valid(obj, b"dltensor_versioned"))


def from_dlpack(ext_tensor, *, device=None, copy=None):
    """A tensor sharing memory with ``ext_tensor``: any object with ``__dlpack__`` (a PyTorch
    tensor, a NumPy array, an fngrad tensor, ...) or a DLPack capsule from ``to_dlpack``.

    Writes through either side are visible in the other (``copy=True`` asks the producer for a
    copy instead). The result is a leaf that does not require grad and has a version counter of
    its own. Memory must be on the CPU, with dtype float32, float64, int64 or bool. As in PyTorch,
    a read-only flag of the producer is not kept.

    Example::

        >>> import fngrad, numpy as np
        >>> a = np.zeros(2, dtype=np.float32)
        >>> fngrad.from_dlpack(a).fill_(1.0)
        tensor([1., 1.])
        >>> a
        array([1., 1.], dtype=float32)
    """
    if device is not None and str(device) != "cpu":
        raise ValueError(f"[from_dlpack] fngrad tensors live on the CPU, got device={device!r}.")
    if hasattr(ext_tensor, "__dlpack__"):
        array = np.from_dlpack(ext_tensor) if copy is None else np.from_dlpack(ext_tensor, copy=copy)
    else:
        if device is not None or copy is not None:
            raise AssertionError("device and copy kwargs not supported when ext_tensor is already a DLPack capsule.")
        if not _is_unused_capsule(ext_tensor):
            raise RuntimeError("from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed "
                               "only once, so you might have already constructed a tensor from it once.")
        array = np.from_dlpack(_Capsule(ext_tensor))
    if array.dtype.type not in _SUPPORTED:
        raise TypeError(f"[from_dlpack] Can't import DLPack data of type {array.dtype}: fngrad supports float32, "
                        "float64, int64 and bool.")
    return _C.from_numpy(array)
