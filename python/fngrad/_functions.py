"""Functional forms of tensor operations: ``fngrad.relu(x)`` is ``x.relu()``."""

from __future__ import annotations

from . import _C

__all__ = ["clamp", "clip", "sum", "clone", "detach", "is_tensor", "numel"] + list(_C.unary_ops)

# Elementwise ops from the native op table: fngrad.relu, fngrad.neg, ...
for _name in _C.unary_ops:
    globals()[_name] = getattr(_C, _name)
del _name


def clamp(input, min=None, max=None):
    """Clamps every element of ``input`` into [min, max]. Example: ``fngrad.clamp(x, min=0)``."""
    return input.clamp(min, max)


clip = clamp


def sum(input, dim=None, keepdim=False, dtype=None):
    """Sum of all elements, or over ``dim``. Example: ``fngrad.sum(fngrad.ones(2, 3), dim=1)``."""
    return input.sum(dim, keepdim, dtype)


def clone(input):
    """A copy of ``input`` (differentiable)."""
    return input.clone()


def detach(input):
    """``input`` outside the graph, sharing its data."""
    return input.detach()


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a fngrad tensor. Example: ``fngrad.is_tensor(fngrad.ones(1))``."""
    return isinstance(obj, _C.TensorBase)


def numel(input) -> int:
    """Number of elements of ``input``."""
    return input.numel()
