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

# The submodules are public: fngrad.autograd.function, .functional, .graph, ...
from . import (  # noqa: F401
    anomaly_mode,
    forward_ad,
    function,
    functional,
    grad_mode,
    graph,
    profiler,
    variable,  # noqa: F401
)
from ._engine import backward, grad
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .check_function import check_function  # noqa: E402,F401  (fngrad.autograd.check_function)
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable

__all__ = [
    "Function",
    "check_function",
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
    "forward_ad",
    "Variable",
]
