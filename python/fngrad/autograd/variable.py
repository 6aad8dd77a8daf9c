"""``Variable``: PyTorch's legacy tensor wrapper, kept for code that still uses it, and
``Variable._execution_engine``, the engine object (``queue_callback`` and ``run_backward``).

``Variable(t)`` returns a tensor over ``t``'s memory, detached from its graph, and
``isinstance(t, Variable)`` holds for every tensor, as in PyTorch.

Example::

    >>> import fngrad
    >>> from fngrad.autograd import Variable
    >>> x = Variable(fngrad.ones(2), requires_grad=True)
    >>> done = []
    >>> y = x * 2
    >>> _ = y.register_hook(lambda g: Variable._execution_engine.queue_callback(lambda: done.append(x.grad)))
    >>> y.sum().backward()
    >>> done
    [tensor([2., 2.])]
"""

from __future__ import annotations

import warnings

from .. import _C
from .._creation import empty

ImperativeEngine = _C._ImperativeEngine

__all__ = ["VariableMeta", "Variable"]


class VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, _C.TensorBase)


class Variable(metaclass=VariableMeta):
    """``Variable(data, requires_grad=False)``: ``data.detach()`` with ``requires_grad`` set.

    ``_execution_engine.queue_callback(cb)`` queues ``cb()`` to run once the running backward
    pass has finished its graph (PyTorch's final callbacks; see ``Note [Engine]``).

    >>> v = fngrad.autograd.Variable(fngrad.ones(2), requires_grad=True)
    >>> type(v).__name__, v.requires_grad
    ('Tensor', True)
    """

    _execution_engine = ImperativeEngine()

    def __new__(cls, data=None, requires_grad=False, volatile=False, _grad_fn=None, name=None):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          stacklevel=2)
        if _grad_fn is not None:
            if not isinstance(_grad_fn, (_C.Node, _C._FunctionBase)):
                raise TypeError(f"_grad_fn has to be a Function object or None, but got {type(_grad_fn).__name__}")
            raise RuntimeError("_grad_fn argument to legacy Variable constructor is no longer supported.  Instead, "
                               "please invoke your _grad_fn to produce a variable with it as the _grad_fn.")
        if data is None:
            var = empty(0)
        elif isinstance(data, _C.TensorBase):
            var = data.detach()
        else:
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return var.requires_grad_(bool(requires_grad))
