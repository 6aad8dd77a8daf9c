"""Custom differentiable operations: subclass ``Function`` and call ``apply``.

The class machinery is here; ``apply``, the ctx type and the node that runs ``backward`` are
native (``fngrad._C._FunctionBase``).
"""

from __future__ import annotations

import functools
import inspect
import warnings

from .. import _C
from .grad_mode import no_grad

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable"]


class FunctionCtx(_C._FunctionBase):
    """FunctionCtx()

    The ``ctx`` passed to ``forward``/``setup_context`` and ``backward``.

    It offers ``save_for_backward``, ``saved_tensors``, ``needs_input_grad``, ``mark_dirty``,
    ``mark_non_differentiable`` and ``set_materialize_grads``, and takes any other attribute for
    non-tensor state. It is also the ``grad_fn`` of the Function's outputs.

    >>> class Scale(fngrad.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.factor = 2.0
    ...         return x * ctx.factor
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         return grad * ctx.factor
    >>> y = Scale.apply(fngrad.ones(1, requires_grad=True))
    >>> isinstance(y.grad_fn, fngrad.autograd.function.FunctionCtx), y.grad_fn.factor
    (True, 2.0)
    """


class BackwardCFunction(FunctionCtx):
    """Base of the per-Function ``<Name>Backward`` classes; instances are the ctx objects."""

    _forward_cls = None


def _not_implemented_backward(ctx, *grad_outputs):
    raise NotImplementedError(
        "You must implement either the backward or vjp method for your custom autograd.Function to use it with "
        "backward mode AD."
    )


def _both_backward_and_vjp(ctx, *grad_outputs):
    raise RuntimeError(
        "Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You should only implement "
        "one of them."
    )


def _defined_on(cls, name):
    """The attribute ``name`` as the first class of ``cls``'s MRO defines it, unbound (the staticmethod
    object itself): which class overrides it. ``inspect.getattr_static`` answers the same for these
    plain class attributes at a tenth of the cost, which every Function subclass pays at import."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


class FunctionMeta(type):
    """Creates ``<Name>Backward`` (the ctx class) for every Function and resolves its methods once."""

    def __init__(cls, name, bases, attrs):
        # In this module, as PyTorch's torch.autograd.function.<Name>Backward. fngrad's own ops written
        # as Functions name their node as PyTorch's native one (`_node_name = "LinalgDetBackward0"`).
        node_name = attrs.get("_node_name") or name + "Backward"
        backward_cls = type(node_name, (BackwardCFunction,), {"_forward_cls": cls, "__module__": __name__})
        cls._backward_cls = backward_cls
        base = globals().get("Function")
        if base is None:  # Function itself
            cls._fngrad_backward = staticmethod(_not_implemented_backward)
            cls._fngrad_setup_context = None
            cls._fngrad_apply_info = (backward_cls, None, 0)
        else:
            has_backward = _defined_on(cls, "backward") is not _defined_on(base, "backward")
            has_vjp = _defined_on(cls, "vjp") is not _defined_on(base, "vjp")
            if has_backward and has_vjp:
                chosen = _both_backward_and_vjp
            elif has_vjp:
                chosen = cls.vjp
            elif has_backward:
                chosen = cls.backward
            else:
                chosen = _not_implemented_backward
            cls._fngrad_backward = staticmethod(chosen)
            overrides_setup = _defined_on(cls, "setup_context") is not _defined_on(base, "setup_context")
            cls._fngrad_setup_context = staticmethod(cls.setup_context) if overrides_setup else None
            flags = (1 if getattr(cls, "clear_saved_tensors_on_access", False) else 0) | (
                2 if getattr(cls, "boxed_grads_call", False) else 0
            )
            # With setup_context, PyTorch hands it the inputs with forward's defaults filled in
            # (apply binds them): flag 4 (kApplyBindsDefaults) sends every call through _bind_kwargs then.
            if overrides_setup and _has_defaults(cls.forward):
                flags |= 4
            cls._fngrad_apply_info = (backward_cls, cls.setup_context if overrides_setup else None, flags)
        super().__init__(name, bases, attrs)


def _has_defaults(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    return any(p.default is not p.empty for p in params)


class Function(_C._FunctionBase, metaclass=FunctionMeta):
    """Base class for custom differentiable operations, as in ``torch.autograd.Function``.

    Subclass it with a static ``forward(ctx, *args)`` that computes the result and a static
    ``backward(ctx, *grad_outputs)`` that returns one gradient (or ``None``) per input of forward.
    Call it with ``apply``. (``forward(*args)`` plus ``setup_context(ctx, inputs, output)`` also
    works.)

    Example::

        >>> import fngrad
        >>> class Square(fngrad.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad_output):
        ...         x, = ctx.saved_tensors
        ...         return 2 * x * grad_output
        >>> x = fngrad.tensor([3.0], requires_grad=True)
        >>> Square.apply(x).backward()
        >>> x.grad
        tensor([6.])
    """

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, so you "
            "should invoke them on the class itself. Instantiating an autograd function will raise an error in a "
            "future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style autograd "
            "function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @staticmethod
    def forward(*args, **kwargs):
        """Computes the outputs. Override it (with or without ``ctx`` first, see the class doc).

        >>> class Cube(fngrad.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x ** 3
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         x, = ctx.saved_tensors
        ...         return 3 * x ** 2 * grad
        >>> x = fngrad.tensor([1., 2.], requires_grad=True)
        >>> y = Cube.apply(x)
        >>> y.sum().backward()
        >>> y, x.grad
        (tensor([1., 8.], grad_fn=<CubeBackward>), tensor([ 3., 12.]))
        """
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Saves what backward needs, when forward does not take ``ctx``.

        >>> class Square(fngrad.autograd.Function):
        ...     @staticmethod
        ...     def forward(x):
        ...         return x * x
        ...     @staticmethod
        ...     def setup_context(ctx, inputs, output):
        ...         ctx.save_for_backward(inputs[0])
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         return 2 * ctx.saved_tensors[0] * grad
        >>> x = fngrad.tensor([3.], requires_grad=True)
        >>> Square.apply(x).backward()
        >>> x.grad
        tensor([6.])
        """
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """Returns the gradient of each forward input (``None`` where there is none).

        >>> class Double(fngrad.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x, scale):
        ...         ctx.scale = scale
        ...         return x * scale
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         return grad * ctx.scale, None
        >>> x = fngrad.ones(2, requires_grad=True)
        >>> Double.apply(x, 3.0).sum().backward()
        >>> x.grad
        tensor([3., 3.])
        """
        return _not_implemented_backward(ctx, *grad_outputs)

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        """The output tangents from the input tangents (forward-mode AD, under ``forward_ad``): override
        it to use the Function with dual tensors; the default raises.

        >>> from fngrad.autograd import forward_ad as fwAD
        >>> class Triple(fngrad.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         return 3 * x
        ...     @staticmethod
        ...     def jvp(ctx, tangent):
        ...         return 3 * tangent
        >>> with fwAD.dual_level():
        ...     x = fwAD.make_dual(fngrad.tensor([1., 2.]), fngrad.tensor([1., 0.]))
        ...     print(fwAD.unpack_dual(Triple.apply(x)).tangent)
        tensor([3., 0.])
        """
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with forward mode AD."
        )


@functools.lru_cache(maxsize=None)
def _forward_signature(cls):
    sig = inspect.signature(cls.forward)
    params = list(sig.parameters.values())
    if cls._fngrad_setup_context is None and params:
        params = params[1:]  # drop ctx
    return sig.replace(parameters=params)


def _bind_kwargs(cls, args, kwargs):
    """Maps Function.apply's keyword arguments to forward's positions (called by the native apply)."""
    bound = _forward_signature(cls).bind(*args, **kwargs)
    bound.apply_defaults()
    return tuple(bound.args) + tuple(bound.kwargs.values())


def once_differentiable(fn):
    """Decorator for ``backward``: runs it without recording, and makes a second differentiation fail.

    Example::

        >>> import fngrad
        >>> from fngrad.autograd.function import once_differentiable
        >>> class Double(fngrad.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         return x * 2
        ...     @staticmethod
        ...     @once_differentiable
        ...     def backward(ctx, g):
        ...         return g * 2
        >>> x = fngrad.ones(1, requires_grad=True)
        >>> Double.apply(x).backward()
    """
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not _C.is_grad_enabled():
            return outputs
        requires_grad = any(isinstance(a, _C.TensorBase) and a.requires_grad for a in args)
        if not requires_grad:
            return outputs
        return _delayed_error(outputs, "trying to differentiate twice a function that was marked with @once_differentiable")

    return wrapper


# ---- once_differentiable support ----


class DelayedError(Function):
    """Outputs through which a second differentiation raises the stored message."""

    @staticmethod
    def forward(ctx, message, *tensors):
        ctx.message = message
        return tensors if len(tensors) != 1 else tensors[0]

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(ctx.message)


# PyTorch's node here is its native Error node: class Error, in builtins.
DelayedError._backward_cls.__name__ = DelayedError._backward_cls.__qualname__ = "Error"
DelayedError._backward_cls.__module__ = "builtins"


def _delayed_error(outputs, message):
    """Wraps outputs so that differentiating through them raises ``message``."""
    single = not isinstance(outputs, tuple)
    items = (outputs,) if single else outputs
    # Fresh leaves that require grad, so that the outputs get the error node as grad_fn.
    tensors = [o.detach().requires_grad_() if o.is_floating_point() else o.detach()
               for o in items if isinstance(o, _C.TensorBase)]
    wrapped = DelayedError.apply(message, *tensors) if tensors else ()
    wrapped = iter(wrapped if isinstance(wrapped, tuple) else (wrapped,))
    result = tuple(next(wrapped) if isinstance(o, _C.TensorBase) else o for o in items)
    return result[0] if single else result
