"""``Variable``: PyTorch's deprecated wrapper, kept because old code (torchviz among it) imports
and checks it. Every tensor is a ``Variable``; calling it returns a new leaf over the same memory.

Example::

    >>> import fngrad
    >>> from fngrad.autograd import Variable
    >>> v = Variable(fngrad.ones(2), requires_grad=True)
    >>> v.is_leaf, v.requires_grad, isinstance(v, Variable)
    (True, True, True)
"""

from __future__ import annotations

from .. import _C

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, _C.TensorBase)


class Variable(metaclass=_VariableMeta):
    """``Variable(t, requires_grad=False)``: a new leaf tensor over ``t``'s memory (as in PyTorch)."""

    def __new__(cls, data, requires_grad=False):
        if not isinstance(data, _C.TensorBase):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
