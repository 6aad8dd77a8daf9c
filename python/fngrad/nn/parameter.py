"""``nn.Parameter`` and ``nn.Buffer``: the tensors a Module registers, as in ``torch.nn.parameter``."""

from __future__ import annotations

from .. import _C
from .._tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A Tensor that a Module registers as a parameter when assigned as its attribute.

    It shares memory with ``data`` (no copy) and requires grad unless ``requires_grad=False``.
    Results of ops on a Parameter are plain Tensors.

    Example::

        >>> import fngrad
        >>> p = fngrad.nn.Parameter(fngrad.ones(2))
        >>> p
        Parameter containing:
        tensor([1., 1.], requires_grad=True)
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _C.empty((0,), _C.float32)
        if not isinstance(data, _C.TensorBase):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        return Tensor._make_subclass(cls, data, requires_grad)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach().numpy().copy(), self.requires_grad))


def _rebuild_parameter(array, requires_grad):
    return Parameter(_C.from_numpy(array), requires_grad)


class _BufferMeta(type(Tensor)):
    # isinstance(t, Buffer) for the plain tensor that Buffer(...) returns, as in PyTorch.
    def __instancecheck__(cls, instance):
        if cls is Buffer:
            return isinstance(instance, _C.TensorBase) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor as a buffer when assigned as a Module attribute (``persistent=False`` keeps it
    out of ``state_dict``). ``Buffer(t)`` is a plain Tensor over ``t``'s memory.

    Example::

        >>> import fngrad
        >>> m = fngrad.nn.Module()
        >>> m.running = fngrad.nn.Buffer(fngrad.zeros(2))
        >>> list(m.state_dict())
        ['running']
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _C.empty((0,), _C.float32)
        t = data.detach().requires_grad_(data.requires_grad)
        t._is_buffer = True
        t.persistent = persistent
        return t
