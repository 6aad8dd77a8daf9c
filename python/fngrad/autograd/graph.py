"""The autograd graph as Python sees it: ``Node`` (the type of every ``grad_fn``) and hooks."""

from __future__ import annotations

from .. import _C

__all__ = ["Node"]

Node = _C.Node


def _register_tensor_hook(tensor, hook):
    raise NotImplementedError("[register_hook] Tensor hooks are not implemented yet.")


def _register_post_accumulate_hook(tensor, hook):
    raise NotImplementedError("[register_post_accumulate_grad_hook] Not implemented yet.")


def _delayed_error(outputs, message):
    """Wraps outputs so that differentiating through them raises ``message``."""
    single = not isinstance(outputs, tuple)
    items = (outputs,) if single else outputs
    tensors = [o for o in items if isinstance(o, _C.TensorBase)]
    wrapped = globals().get('DelayedError') or __getattr__('DelayedError')
    wrapped = wrapped.apply(message, *tensors) if tensors else ()
    wrapped = iter(wrapped if isinstance(wrapped, tuple) else (wrapped,))
    result = tuple(next(wrapped) if isinstance(o, _C.TensorBase) else o for o in items)
    return result[0] if single else result


def _make_delayed_error():
    from .function import Function

    class DelayedError(Function):
        """Outputs through which a second differentiation raises the stored message."""

        @staticmethod
        def forward(ctx, message, *tensors):
            ctx.message = message
            return tensors if len(tensors) != 1 else tensors[0]

        @staticmethod
        def backward(ctx, *grads):
            raise RuntimeError(ctx.message)

    return DelayedError


def __getattr__(name):
    if name == "DelayedError":
        cls = _make_delayed_error()
        globals()["DelayedError"] = cls
        return cls
    raise AttributeError(name)
