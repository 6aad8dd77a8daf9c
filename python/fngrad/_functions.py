"""Functional forms of tensor operations: ``fngrad.exp(x)`` is ``x.exp()``, and the ops that take
several tensors (``cat``, ``stack``, ``where``, ...)."""

from __future__ import annotations

import builtins
import collections

from . import _C

_unary = list(_C.unary_ops)
_binary = list(_C.binary_ops)
_ternary = list(_C.ternary_ops)

__all__ = [
    "absolute", "negative", "clamp", "clip", "where",
    "sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std", "logsumexp",
    "softmax", "log_softmax", "norm", "all", "any",
    "cat", "concat", "concatenate", "stack", "split", "chunk", "unbind", "reshape", "flatten", "squeeze",
    "unsqueeze", "transpose", "swapaxes", "permute", "t", "broadcast_to", "take", "masked_select",
    "matmul", "mm", "bmm", "dot", "mv", "outer",
    "logical_and", "logical_or", "logical_xor", "logical_not", "masked_fill",
    "clone", "detach", "is_tensor", "numel", "return_types",
] + _unary + _binary + _ternary

# Elementwise ops from the native op tables: fngrad.exp, fngrad.sigmoid, fngrad.add, fngrad.lerp, ...
for _name in _unary + _binary + _ternary:
    globals()[_name] = getattr(_C, _name)
del _name


class return_types:
    """The named tuples PyTorch returns from max/min along a dim."""

    max = collections.namedtuple("max", ["values", "indices"])
    min = collections.namedtuple("min", ["values", "indices"])


absolute = _C.abs


def negative(input):
    """-input elementwise."""
    return input.neg()


def clamp(input, min=None, max=None):
    """Clamps every element of ``input`` into [min, max]. Example: ``fngrad.clamp(x, min=0)``."""
    return input.clamp(min, max)


clip = clamp


def _broadcast_check(op, *shapes):
    """The broadcast shape of ``shapes``; PyTorch's message (naming op) when they do not broadcast."""
    out = []
    for shape in shapes:
        shape = tuple(shape)
        a, b = list(out), list(shape)
        n = builtins.max(len(a), len(b))
        a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
        for i, (da, db) in enumerate(zip(a, b)):
            if da != db and da != 1 and db != 1:
                raise RuntimeError(f"[{op}] The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                                   f"non-singleton dimension {i}")
        out = [da if db == 1 else db for da, db in zip(a, b)]
    return tuple(out)


def where(condition, input=None, other=None):
    """``input`` where ``condition`` is true, else ``other`` (broadcast). Example: ``fngrad.where(x > 0, x, 0.0)``."""
    if input is None and other is None:
        raise NotImplementedError("[where] where(condition) (nonzero indices) is not supported.")
    return _C.where(condition, input, other)


def sum(input, dim=None, keepdim=False, dtype=None):
    """Sum of all elements, or over ``dim``.

    >>> fngrad.sum(fngrad.ones(2, 3), dim=1)
    tensor([3., 3.])
    """
    return input.sum(dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, dtype=None):
    """Mean of all elements, or over ``dim``.

    >>> fngrad.mean(fngrad.ones(2, 3))
    tensor(1.)
    """
    return input.mean(dim, keepdim, dtype=dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or over ``dim``."""
    return input.prod(dim, keepdim, dtype=dtype)


def amax(input, dim=(), keepdim=False):
    """Maximum over ``dim`` (all dims by default); ties share the gradient."""
    return input.amax(dim if dim != () else None, keepdim)


def amin(input, dim=(), keepdim=False):
    """Minimum over ``dim`` (all dims by default); ties share the gradient."""
    return input.amin(dim if dim != () else None, keepdim)


def max(input, dim=None, keepdim=False):
    """The maximum element; with ``dim``, ``(values, indices)``; with a tensor, the elementwise maximum."""
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    """The minimum element; with ``dim``, ``(values, indices)``; with a tensor, the elementwise minimum."""
    return input.min(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    """Index of the maximum (of the flattened tensor when ``dim`` is None)."""
    return input.argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """Index of the minimum (of the flattened tensor when ``dim`` is None)."""
    return input.argmin(dim, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``, dividing by N - correction (default 1). PyTorch's older overloads work
    too: ``fngrad.var(x, True)`` and ``fngrad.var(x, 0, False)`` pass ``unbiased`` positionally."""
    if isinstance(dim, bool):  # var(x, unbiased): PyTorch's old overload
        return input.var(dim, keepdim=keepdim, correction=correction)
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``, dividing by N - correction (default 1). PyTorch's older overloads work
    too: ``fngrad.std(x, True)`` and ``fngrad.std(x, 0, False)`` pass ``unbiased`` positionally."""
    if isinstance(dim, bool):  # std(x, unbiased): PyTorch's old overload
        return input.std(dim, keepdim=keepdim, correction=correction)
    return input.std(dim, unbiased, keepdim, correction=correction)


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow."""
    return input.logsumexp(dim, keepdim)


def softmax(input, dim, dtype=None):
    """Softmax along ``dim``. Example: ``fngrad.softmax(x, dim=-1)``."""
    return input.softmax(dim, dtype)


def log_softmax(input, dim, dtype=None):
    """Log-softmax along ``dim``, computed stably."""
    return input.log_softmax(dim, dtype)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector norm of ``input`` (over ``dim``): p = 2 ('fro'), 1, inf, or any positive number."""
    return input.norm(p, dim, keepdim, dtype)


def all(input, dim=None, keepdim=False):
    """Whether every element is true (over ``dim``)."""
    return input.all(dim, keepdim)


def any(input, dim=None, keepdim=False):
    """Whether any element is true (over ``dim``)."""
    return input.any(dim, keepdim)


def cat(tensors, dim=0):
    """Concatenates ``tensors`` along ``dim``. Example: ``fngrad.cat([a, b], dim=0)``."""
    return _C.cat(tensors, dim)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Stacks ``tensors`` (of one shape) along a new ``dim``. Example: ``fngrad.stack([a, b])``."""
    return _C.stack(tensors, dim)


def split(tensor, split_size_or_sections, dim=0):
    """Splits into views of ``split_size`` (or of each size in a list) along ``dim``."""
    return tensor.split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    """Splits into ``chunks`` views along ``dim``."""
    return input.chunk(chunks, dim)


def unbind(input, dim=0):
    """The slices of ``input`` along ``dim``, as a tuple of views."""
    return input.unbind(dim)


def reshape(input, shape):
    """``input`` with a new shape (a view when possible)."""
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merges dims ``start_dim`` to ``end_dim``."""
    return input.flatten(start_dim, end_dim)


def squeeze(input, dim=None):
    """Removes size-1 dims (or only ``dim``)."""
    return input.squeeze(dim)


def unsqueeze(input, dim):
    """Inserts a size-1 dim at ``dim`` (a view)."""
    return input.unsqueeze(dim)


def transpose(input, dim0, dim1):
    """Swaps two dims (a view)."""
    return input.transpose(dim0, dim1)


swapaxes = transpose


def permute(input, dims):
    """Reorders dims (a view)."""
    return input.permute(dims=dims)


def t(input):
    """Transpose of a matrix (a view)."""
    return input.t()


def broadcast_to(input, size):
    """A view of ``input`` broadcast to ``size``."""
    return input.broadcast_to(size)


def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (int64)."""
    return input.take(index)


def masked_select(input, mask):
    """The elements where ``mask`` is true, as a 1-D tensor."""
    if not isinstance(mask, _C.TensorBase) or mask.dtype != _C.bool:
        raise RuntimeError(f"[masked_select] masked_select: expected BoolTensor for mask, got "
                           f"{getattr(mask, 'dtype', type(mask).__name__)!r}")
    shape = _broadcast_check("masked_select", input.shape, mask.shape)
    if tuple(input.shape) != shape:
        input = input.expand(shape)
    if tuple(mask.shape) != shape:
        mask = mask.expand(shape)
    return input[mask]


def masked_fill(input, mask, value):
    """``value`` where ``mask`` is true, else ``input``."""
    return input.masked_fill(mask, value)


def matmul(input, other):
    """Matrix product with NumPy's rules (1-D operands, batch broadcasting). Example: ``fngrad.matmul(a, b)``."""
    return input.matmul(other)


def mm(input, mat2):
    """Product of two matrices."""
    return input.mm(mat2)


def bmm(input, mat2):
    """Batched product of (b, n, m) and (b, m, p) tensors."""
    return input.bmm(mat2)


def dot(input, tensor):
    """Dot product of two 1-D tensors."""
    return input.dot(tensor)


def mv(input, vec):
    """Matrix-vector product."""
    return input.mv(vec)


def outer(input, vec2):
    """Outer product of two 1-D tensors."""
    return input.outer(vec2)


def logical_and(input, other):
    """Elementwise logical and (bool result)."""
    return input.logical_and(other)


def logical_or(input, other):
    """Elementwise logical or (bool result)."""
    return input.logical_or(other)


def logical_xor(input, other):
    """Elementwise logical xor (bool result)."""
    return input.logical_xor(other)


def logical_not(input):
    """Elementwise logical not (bool result)."""
    return input.logical_not()


def clone(input):
    """A copy of ``input`` (differentiable)."""
    return input.clone()


def detach(input):
    """``input`` outside the graph, sharing its data."""
    return input.detach()


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a fngrad tensor.

    >>> fngrad.is_tensor(fngrad.ones(1))
    True
    """
    return isinstance(obj, _C.TensorBase)


def numel(input) -> int:
    """Number of elements of ``input``."""
    return input.numel()


_ = builtins
