"""Neural networks, as ``torch.nn``: ``Module`` and its containers, layers, losses, ``init`` and
``utils``; ``fngrad.nn.functional`` holds the functional ops (losses, activations, linear, dropout).

Example::

    >>> import fngrad
    >>> from fngrad import nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> loss = nn.CrossEntropyLoss()(model(fngrad.randn(5, 4)), fngrad.tensor([0, 1, 2, 0, 1]))
    >>> loss.backward()
    >>> model[0].weight.grad.shape
    fngrad.Size([8, 4])
"""

from . import functional, init, parallel, utils
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter

__all__ = ["functional", "init", "parallel", "utils", "Parameter", "Buffer", "UninitializedParameter",
           "UninitializedBuffer"] + list(_modules_all)
