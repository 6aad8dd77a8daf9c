"""Functional forms of tensor operations: ``fngrad.exp(x)`` is ``x.exp()``, and the ops that take
several tensors (``cat``, ``stack``, ``where``, ...)."""

from __future__ import annotations

import builtins
import collections

from . import _C

# The special_<name> entries are torch.special's only (fngrad.special.<name>), not fngrad.<name>.
_unary = [n for n in _C.unary_ops if not n.startswith("special_")]
_binary = [n for n in _C.binary_ops if not n.startswith("special_")]
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
    """The named tuples PyTorch returns from max/min along a dim.

    >>> r = fngrad.max(fngrad.tensor([[1., 3.]]), dim=1)
    >>> type(r).__name__, r.values, r.indices
    ('max', tensor([3.]), tensor([1]))
    """

    max = collections.namedtuple("max", ["values", "indices"])
    min = collections.namedtuple("min", ["values", "indices"])


absolute = _C.abs


def negative(input):
    """-input elementwise.

    >>> fngrad.negative(fngrad.tensor([1., -2.]))
    tensor([-1.,  2.])
    """
    return input.neg()


def clamp(input, min=None, max=None):
    """Clamps every element of ``input`` into [min, max].

    >>> fngrad.clamp(fngrad.tensor([-2., 0.5, 3.]), min=0, max=1)
    tensor([0.0000, 0.5000, 1.0000])
    """
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
    """``input`` where ``condition`` is true, else ``other`` (broadcast); with ``condition`` alone,
    the indices of its nonzero elements, one tensor per dim (``nonzero(as_tuple=True)``).

    >>> x = fngrad.tensor([1., -2., 3.])
    >>> fngrad.where(x > 0, x, 0.)
    tensor([1., 0., 3.])
    >>> fngrad.where(x > 0)
    (tensor([0, 2]),)
    """
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
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
    """Product of all elements, or over ``dim``.

    >>> fngrad.prod(fngrad.tensor([[1., 2.], [3., 4.]]), dim=1)
    tensor([ 2., 12.])
    """
    return input.prod(dim, keepdim, dtype=dtype)


def amax(input, dim=(), keepdim=False):
    """Maximum over ``dim`` (all dims by default); ties share the gradient.

    >>> fngrad.amax(fngrad.tensor([[1., 2.], [3., 4.]]), dim=0)
    tensor([3., 4.])
    """
    return input.amax(dim if dim != () else None, keepdim)


def amin(input, dim=(), keepdim=False):
    """Minimum over ``dim`` (all dims by default); ties share the gradient.

    >>> fngrad.amin(fngrad.tensor([[1., 2.], [3., 4.]]), dim=1)
    tensor([1., 3.])
    """
    return input.amin(dim if dim != () else None, keepdim)


def max(input, dim=None, keepdim=False):
    """The maximum element; with ``dim``, ``(values, indices)``; with a tensor, the elementwise maximum.

    >>> fngrad.max(fngrad.tensor([[1., 2.], [3., 4.]]))
    tensor(4.)
    >>> values, indices = fngrad.max(fngrad.tensor([[1., 2.], [3., 4.]]), dim=1)
    >>> values, indices
    (tensor([2., 4.]), tensor([1, 1]))
    """
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    """The minimum element; with ``dim``, ``(values, indices)``; with a tensor, the elementwise minimum.

    >>> fngrad.min(fngrad.tensor([[1., 2.], [3., 4.]]))
    tensor(1.)
    >>> values, indices = fngrad.min(fngrad.tensor([[1., 2.], [3., 4.]]), dim=0)
    >>> values, indices
    (tensor([1., 2.]), tensor([0, 0]))
    """
    return input.min(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    """Index of the maximum (of the flattened tensor when ``dim`` is None).

    >>> fngrad.argmax(fngrad.tensor([[1., 5.], [7., 2.]]), dim=1)
    tensor([1, 0])
    """
    return input.argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """Index of the minimum (of the flattened tensor when ``dim`` is None).

    >>> fngrad.argmin(fngrad.tensor([[1., 5.], [7., 2.]]))
    tensor(0)
    """
    return input.argmin(dim, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``, dividing by N - correction (default 1). PyTorch's older overloads work
    too: ``fngrad.var(x, True)`` and ``fngrad.var(x, 0, False)`` pass ``unbiased`` positionally.

    >>> fngrad.var(fngrad.tensor([[1., 2.], [3., 4.]]))
    tensor(1.6667)
    """
    if isinstance(dim, bool):  # var(x, unbiased): PyTorch's old overload
        return input.var(dim, keepdim=keepdim, correction=correction)
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``, dividing by N - correction (default 1). PyTorch's older overloads work
    too: ``fngrad.std(x, True)`` and ``fngrad.std(x, 0, False)`` pass ``unbiased`` positionally.

    >>> fngrad.std(fngrad.tensor([[1., 2.], [3., 4.]]), dim=0)
    tensor([1.4142, 1.4142])
    """
    if isinstance(dim, bool):  # std(x, unbiased): PyTorch's old overload
        return input.std(dim, keepdim=keepdim, correction=correction)
    return input.std(dim, unbiased, keepdim, correction=correction)


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow.

    >>> fngrad.logsumexp(fngrad.tensor([[0., 0.], [1., 2.]]), dim=1)
    tensor([0.6931, 2.3133])
    """
    return input.logsumexp(dim, keepdim)


def softmax(input, dim, dtype=None):
    """Softmax along ``dim``.

    >>> fngrad.softmax(fngrad.tensor([0., 1., 2.]), dim=0)
    tensor([0.0900, 0.2447, 0.6652])
    """
    return input.softmax(dim, dtype)


def log_softmax(input, dim, dtype=None):
    """Log-softmax along ``dim``, computed stably.

    >>> fngrad.log_softmax(fngrad.tensor([0., 1., 2.]), dim=0)
    tensor([-2.4076, -1.4076, -0.4076])
    """
    return input.log_softmax(dim, dtype)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector norm of ``input`` (over ``dim``): p = 2 ('fro'), 1, inf, or any positive number."""
    return input.norm(p, dim, keepdim, dtype)


def all(input, dim=None, keepdim=False):
    """Whether every element is true (over ``dim``).

    >>> fngrad.all(fngrad.tensor([[True, False], [True, True]]), dim=1)
    tensor([False,  True])
    """
    return input.all(dim, keepdim)


def any(input, dim=None, keepdim=False):
    """Whether any element is true (over ``dim``).

    >>> fngrad.any(fngrad.tensor([0, 0, 3]))
    tensor(True)
    """
    return input.any(dim, keepdim)


def cat(tensors, dim=0):
    """Concatenates ``tensors`` along ``dim``.

    >>> fngrad.cat([fngrad.zeros(1, 2), fngrad.ones(1, 2)], dim=0)
    tensor([[0., 0.],
            [1., 1.]])
    """
    return _C.cat(tensors, dim)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Stacks ``tensors`` (of one shape) along a new ``dim``.

    >>> fngrad.stack([fngrad.zeros(2), fngrad.ones(2)])
    tensor([[0., 0.],
            [1., 1.]])
    """
    return _C.stack(tensors, dim)


def split(tensor, split_size_or_sections, dim=0):
    """Splits into views of ``split_size`` (or of each size in a list) along ``dim``.

    >>> fngrad.split(fngrad.arange(5), [1, 4])
    (tensor([0]), tensor([1, 2, 3, 4]))
    """
    return tensor.split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    """Splits into ``chunks`` views along ``dim``.

    >>> fngrad.chunk(fngrad.arange(5), 2)
    (tensor([0, 1, 2]), tensor([3, 4]))
    """
    return input.chunk(chunks, dim)


def unbind(input, dim=0):
    """The slices of ``input`` along ``dim``, as a tuple of views.

    >>> fngrad.unbind(fngrad.tensor([[1., 2.], [3., 4.]]), dim=1)
    (tensor([1., 3.]), tensor([2., 4.]))
    """
    return input.unbind(dim)


def reshape(input, shape):
    """``input`` with a new shape (a view when possible).

    >>> fngrad.reshape(fngrad.arange(6), (2, -1))
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merges dims ``start_dim`` to ``end_dim``.

    >>> fngrad.flatten(fngrad.zeros(2, 3, 4), start_dim=1).shape
    fngrad.Size([2, 12])
    """
    return input.flatten(start_dim, end_dim)


def squeeze(input, dim=None):
    """Removes size-1 dims (or only ``dim``).

    >>> fngrad.squeeze(fngrad.zeros(2, 1, 3)).shape
    fngrad.Size([2, 3])
    """
    return input.squeeze(dim)


def unsqueeze(input, dim):
    """Inserts a size-1 dim at ``dim`` (a view).

    >>> fngrad.unsqueeze(fngrad.tensor([1., 2.]), 1)
    tensor([[1.],
            [2.]])
    """
    return input.unsqueeze(dim)


def transpose(input, dim0, dim1):
    """Swaps two dims (a view); ``swapaxes`` is its other name.

    >>> fngrad.transpose(fngrad.zeros(2, 3, 4), 0, 1).shape
    fngrad.Size([3, 2, 4])
    >>> fngrad.swapaxes(fngrad.zeros(2, 3, 4), 0, 2).shape
    fngrad.Size([4, 3, 2])
    """
    return input.transpose(dim0, dim1)


swapaxes = transpose


def permute(input, dims):
    """Reorders dims (a view).

    >>> fngrad.permute(fngrad.zeros(2, 3, 4), (2, 0, 1)).shape
    fngrad.Size([4, 2, 3])
    """
    return input.permute(dims=dims)


def t(input):
    """Transpose of a matrix (a view).

    >>> fngrad.t(fngrad.tensor([[1., 2.], [3., 4.]]))
    tensor([[1., 3.],
            [2., 4.]])
    """
    return input.t()


def broadcast_to(input, size):
    """A view of ``input`` broadcast to ``size``.

    >>> fngrad.broadcast_to(fngrad.tensor([1., 2.]), (2, 2))
    tensor([[1., 2.],
            [1., 2.]])
    """
    return input.broadcast_to(size)


def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (int64).

    >>> fngrad.take(fngrad.tensor([[1., 2.], [3., 4.]]), fngrad.tensor([0, 3]))
    tensor([1., 4.])
    """
    return input.take(index)


def masked_select(input, mask):
    """The elements where ``mask`` is true, as a 1-D tensor.

    >>> x = fngrad.tensor([1., -2., 3.])
    >>> fngrad.masked_select(x, x > 0)
    tensor([1., 3.])
    """
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
    """``value`` where ``mask`` is true, else ``input``.

    >>> x = fngrad.tensor([1., -2., 3.])
    >>> fngrad.masked_fill(x, x < 0, 0.)
    tensor([1., 0., 3.])
    """
    return input.masked_fill(mask, value)


def matmul(input, other):
    """Matrix product with NumPy's rules (1-D operands, batch broadcasting).

    >>> fngrad.matmul(fngrad.tensor([[1., 2.], [3., 4.]]), fngrad.tensor([1., 1.]))
    tensor([3., 7.])
    """
    return input.matmul(other)


def mm(input, mat2):
    """Product of two matrices.

    >>> fngrad.mm(fngrad.tensor([[1., 2.], [3., 4.]]), fngrad.eye(2))
    tensor([[1., 2.],
            [3., 4.]])
    """
    return input.mm(mat2)


def bmm(input, mat2):
    """Batched product of (b, n, m) and (b, m, p) tensors.

    >>> fngrad.bmm(fngrad.ones(2, 1, 3), fngrad.ones(2, 3, 1)).flatten()
    tensor([3., 3.])
    """
    return input.bmm(mat2)


def dot(input, tensor):
    """Dot product of two 1-D tensors.

    >>> fngrad.dot(fngrad.tensor([1., 2.]), fngrad.tensor([3., 4.]))
    tensor(11.)
    """
    return input.dot(tensor)


def mv(input, vec):
    """Matrix-vector product.

    >>> fngrad.mv(fngrad.tensor([[1., 2.], [3., 4.]]), fngrad.tensor([1., -1.]))
    tensor([-1., -1.])
    """
    return input.mv(vec)


def outer(input, vec2):
    """Outer product of two 1-D tensors.

    >>> fngrad.outer(fngrad.tensor([1., 2.]), fngrad.tensor([1., 10., 100.]))
    tensor([[  1.,  10., 100.],
            [  2.,  20., 200.]])
    """
    return input.outer(vec2)


def logical_and(input, other):
    """Elementwise logical and (bool result).

    >>> fngrad.logical_and(fngrad.tensor([True, True, False]), fngrad.tensor([True, False, False]))
    tensor([ True, False, False])
    """
    return input.logical_and(other)


def logical_or(input, other):
    """Elementwise logical or (bool result).

    >>> fngrad.logical_or(fngrad.tensor([True, True, False]), fngrad.tensor([True, False, False]))
    tensor([ True,  True, False])
    """
    return input.logical_or(other)


def logical_xor(input, other):
    """Elementwise logical xor (bool result).

    >>> fngrad.logical_xor(fngrad.tensor([True, True, False]), fngrad.tensor([True, False, False]))
    tensor([False,  True, False])
    """
    return input.logical_xor(other)


def logical_not(input):
    """Elementwise logical not (bool result).

    >>> fngrad.logical_not(fngrad.tensor([True, False]))
    tensor([False,  True])
    """
    return input.logical_not()


def clone(input):
    """A copy of ``input`` (differentiable).

    >>> x = fngrad.tensor([1., 2.], requires_grad=True)
    >>> fngrad.clone(x)
    tensor([1., 2.], grad_fn=<CloneBackward0>)
    """
    return input.clone()


def detach(input):
    """``input`` outside the graph, sharing its data.

    >>> x = fngrad.tensor([1., 2.], requires_grad=True)
    >>> fngrad.detach(2 * x)
    tensor([2., 4.])
    """
    return input.detach()


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a fngrad tensor.

    >>> fngrad.is_tensor(fngrad.ones(1))
    True
    """
    return isinstance(obj, _C.TensorBase)


def numel(input) -> int:
    """Number of elements of ``input``.

    >>> fngrad.numel(fngrad.zeros(2, 3))
    6
    """
    return input.numel()


_ = builtins
