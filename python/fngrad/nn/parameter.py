"""``nn.Parameter`` and ``nn.Buffer``: the tensors a Module registers, as in ``torch.nn.parameter``; and
``UninitializedParameter`` / ``UninitializedBuffer``, the placeholders of the lazy modules."""

from __future__ import annotations

from .. import _C
from .._creation import get_default_dtype
from .._device import _to_device
from .._tensor import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer"]


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


class UninitializedTensorMixin:
    """A tensor whose shape is not known yet: ``materialize(shape)`` gives it storage and turns it into
    its ``cls_to_become``. Reading its shape raises, as PyTorch's."""

    cls_to_become = Tensor

    def materialize(self, shape, device=None, dtype=None):
        """Allocates (uninitialized) storage of ``shape`` and becomes a ``cls_to_become``.

        >>> import fngrad
        >>> p = fngrad.nn.UninitializedParameter()
        >>> p.materialize((2, 3))
        >>> type(p).__name__, p.shape
        ('Parameter', fngrad.Size([2, 3]))
        """
        if device is not None:
            _to_device(device, "materialize")
        if isinstance(shape, int):
            shape = (shape,)
        dtype = self.dtype if dtype is None else dtype
        self.data = _C.empty(tuple(shape), dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
                           "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
                           "one. Call `forward` to initialize the parameters before accessing their attributes.")

    def size(self, dim=None):
        return self.shape

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (self.__class__, (self.requires_grad,))


def _uninitialized_dtype(dtype, device):
    if device is not None:
        _to_device(device, "UninitializedParameter")
    return get_default_dtype() if dtype is None else dtype


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter of a lazy module before its first forward (``nn.LazyLinear`` and the others): no
    shape yet; the first forward materializes it into a ``Parameter``.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> fc = nn.LazyLinear(2)
        >>> fc.weight
        <UninitializedParameter>
        >>> _ = fc(fngrad.ones(1, 5))
        >>> type(fc.weight).__name__, fc.weight.shape
        ('Parameter', fngrad.Size([2, 5]))
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        data = _C.empty((0,), _uninitialized_dtype(dtype, device))
        return Tensor._make_subclass(cls, data, requires_grad)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, None, self.dtype)
        memo[id(self)] = result
        return result


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer of a lazy module before its first forward (a lazy batch norm's running statistics):
    the first forward materializes it into a plain Tensor.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> bn = nn.LazyBatchNorm1d()
        >>> bn.running_mean
        <UninitializedBuffer>
        >>> _ = bn(fngrad.randn(4, 3))
        >>> bn.running_mean.shape
        fngrad.Size([3])
    """

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        data = _C.empty((0,), _uninitialized_dtype(dtype, device))
        t = Tensor._make_subclass(cls, data, requires_grad)
        t.persistent = persistent
        return t
