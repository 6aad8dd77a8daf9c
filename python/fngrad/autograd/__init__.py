"""Reverse-mode automatic differentiation: ``backward``, ``grad``, custom ``Function``s and grad modes.

Mirrors ``torch.autograd``; the engine that runs backward is native (``fngrad._C``).

Example::

    >>> import fngrad
    >>> x = fngrad.tensor([2.0], requires_grad=True)
    >>> (g,) = fngrad.autograd.grad((x * x).sum(), x)
    >>> g
    tensor([4.])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from .. import _C
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable
from . import anomaly_mode, function, functional, grad_mode, graph

__all__ = [
    "Function",
    "FunctionCtx",
    "once_differentiable",
    "backward",
    "grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
    "detect_anomaly",
    "set_detect_anomaly",
    "graph",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "functional",
    "Variable",
]


def _tensor_tuple(x, what):
    if isinstance(x, _C.TensorBase):
        return (x,)
    if isinstance(x, Sequence):
        return tuple(x)
    raise TypeError(f"[{what}] Expected a Tensor or a sequence of Tensors, got {type(x).__name__}.")


def _grad_tuple(grads, n, what):
    if grads is None:
        return (None,) * n
    if isinstance(grads, _C.TensorBase):
        grads = (grads,)
    grads = tuple(grads)
    if len(grads) != n:
        raise RuntimeError(f"[{what}] grad_tensors should have {n} elements (one per output), got {len(grads)}.")
    out = []
    for g in grads:
        if g is not None and not isinstance(g, _C.TensorBase):
            raise TypeError(f"[{what}] gradients must be Tensors or None, got {type(g).__name__}.")
        out.append(g)
    return tuple(out)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulates into ``.grad`` of the graph's leaves the gradient of ``tensors``.

    ``grad_tensors`` gives the gradient of each tensor (optional for one-element tensors).
    ``retain_graph`` (default: ``create_graph``) keeps the saved tensors for another backward;
    ``create_graph`` records the backward itself, for higher-order gradients; ``inputs`` limits
    accumulation to those tensors.

    Example::

        >>> import fngrad
        >>> x = fngrad.ones(3, requires_grad=True)
        >>> fngrad.autograd.backward((x * 2).sum())
        >>> x.grad
        tensor([2., 2., 2.])
    """
    if grad_variables is not None:
        grad_tensors = grad_variables
    if create_graph:
        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
            "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
            "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
            "to None after use to break the cycle and avoid the leak.",
            stacklevel=2,
        )
    tensors = _tensor_tuple(tensors, "backward")
    grad_tensors = _grad_tuple(grad_tensors, len(tensors), "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _tensor_tuple(inputs, "backward")
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    _C._run_backward(tensors, grad_tensors, bool(retain_graph), bool(create_graph), inputs, True, True)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """The gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated.

    Example::

        >>> import fngrad
        >>> x = fngrad.tensor([1.0, 2.0], requires_grad=True)
        >>> fngrad.autograd.grad((x * x).sum(), [x])
        (tensor([2., 4.]),)
    """
    if is_grads_batched:
        raise NotImplementedError("[grad] is_grads_batched=True is not supported.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    outputs = _tensor_tuple(outputs, "grad")
    inputs_t = _tensor_tuple(inputs, "grad")
    if len(inputs_t) == 0:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    grad_outputs = _grad_tuple(grad_outputs, len(outputs), "grad")
    if retain_graph is None:
        retain_graph = create_graph
    result = _C._run_backward(outputs, grad_outputs, bool(retain_graph), bool(create_graph), inputs_t,
                              bool(allow_unused), False)
    if materialize_grads:
        from .._creation import zeros_like

        result = tuple(zeros_like(i) if r is None else r for r, i in zip(result, inputs_t))
    return tuple(result)
