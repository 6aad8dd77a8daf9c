"""``skip_init``, as ``torch.nn.utils.init``."""

from __future__ import annotations

import inspect

from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """Constructs ``module_cls(*args, **kwargs)`` for the caller to initialize its parameters itself
    (PyTorch builds it on the meta device and allocates without initializing; fngrad has no meta
    device, so the values are the constructor's, which are as good as uninitialized memory). The class
    must take a ``device`` argument, as PyTorch requires.

    >>> from fngrad import nn
    >>> fc = nn.utils.skip_init(nn.Linear, 5, 1)
    >>> fc.weight.shape
    fngrad.Size([1, 5])
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
