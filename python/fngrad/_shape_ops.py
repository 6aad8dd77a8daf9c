"""Shape ops beyond the native views: flip, roll, rot90, repeat, tile, tril/triu, diag, diagonal,
movedim, narrow, select, the stack/split families, meshgrid, block_diag, cdist, ...

Most are compositions of differentiable fngrad ops (indexing, reshape, expand, where, cat), so their
graphs, and double backward, come for free. flip, roll and rot90 are small autograd Functions with a
NumPy forward whose backward is the same op inverted (itself differentiable).

Example::

    >>> import fngrad
    >>> fngrad.arange(6).reshape(2, 3).flip(1)
    tensor([[2, 1, 0],
            [5, 4, 3]])
"""

from __future__ import annotations

import builtins
import functools
import itertools
import numbers
import warnings

import numpy as np

from . import _C
from ._creation import _SCALAR_TYPE_NAME, from_numpy, zeros
from ._functions import cat
from ._indexing_ops import _np
from .autograd.function import Function

__all__ = [
    "flip", "fliplr", "flipud", "roll", "rot90", "repeat_interleave", "tile", "tril", "triu", "diag", "diag_embed",
    "diagonal", "trace", "movedim", "moveaxis", "narrow", "select", "unflatten", "ravel", "atleast_1d",
    "atleast_2d", "atleast_3d", "hstack", "vstack", "row_stack", "dstack", "column_stack", "tensor_split",
    "hsplit", "vsplit", "dsplit", "meshgrid", "cartesian_prod", "tril_indices", "triu_indices", "block_diag",
    "cdist", "diagflat", "combinations",
]

_Tensor = _C.TensorBase


# ----------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------
def _wrap_dim(dim, ndim, op):
    """``dim`` in [0, ndim) (PyTorch's IndexError otherwise; a 0-d tensor has dims -1 and 0)."""
    n = builtins.max(ndim, 1)
    if isinstance(dim, builtins.bool) or not isinstance(dim, (numbers.Integral, np.integer)):
        raise TypeError(f"[{op}] dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(f"[{op}] Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


def _dims_list(dims, ndim, op):
    if isinstance(dims, (numbers.Integral, np.integer)):
        dims = (dims,)
    out = [_wrap_dim(d, ndim, op) for d in dims]
    if len(set(out)) != len(out):
        raise RuntimeError(f"[{op}] dims has duplicates: {list(dims)}")
    return out


def _varargs(args, op):
    """A method's sizes given as ``f(2, 3)`` or ``f((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, _C.Size)):
        return tuple(args[0])
    return tuple(args)


def _tensors_arg(tensors):
    """``f(a, b)`` or ``f([a, b])``."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return list(tensors[0])
    return list(tensors)


def _from_np(a, dtype=None):
    """A copy of ``a`` as a tensor; of ``dtype`` bfloat16 when ``a`` holds a bfloat16 tensor's values."""
    out = from_numpy(np.array(a, order="C", copy=True))
    return out.to(dtype) if dtype == _C.bfloat16 else out


def _index_along(x, dim, index):
    """``x`` indexed by an int64 tensor (or array) along ``dim`` (a gather; its backward scatters)."""
    if not isinstance(index, _Tensor):
        index = from_numpy(np.asarray(index, dtype=np.int64))
    return x[(slice(None),) * dim + (index,)]


# ----------------------------------------------------------------------------------------------------
# flip, roll, rot90: a NumPy forward, the inverse op as backward
# ----------------------------------------------------------------------------------------------------
class _Flip(Function):
    _node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return _from_np(np.flip(_np(x), dims), x.dtype) if dims else x.clone()

    @staticmethod
    def backward(ctx, grad):
        return _Flip.apply(grad, ctx.dims), None


class _Roll(Function):
    _node_name = "RollBackward0"

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return _from_np(np.roll(_np(x), shifts, dims), x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return _Roll.apply(grad, tuple(-s for s in ctx.shifts), ctx.dims), None, None


def flip(input, *args, dims=None):
    """Reverses the order of elements along ``dims`` (a copy, as in PyTorch).

    >>> fngrad.flip(fngrad.arange(3), [0])
    tensor([2, 1, 0])
    """
    if dims is None:
        if not args:
            raise TypeError('[flip] flip() missing 1 required positional arguments: "dims"')
        dims = _varargs(args, "flip")
    elif args:
        raise TypeError("[flip] flip() got multiple values for argument 'dims'")
    dims = (dims,) if isinstance(dims, (numbers.Integral, np.integer)) else dims
    return _Flip.apply(input, tuple(_dims_list(dims, input.dim(), "flip")))


def fliplr(input):
    """Flips a tensor of at least 2 dims left-right (dim 1).

    >>> fngrad.fliplr(fngrad.eye(2))
    tensor([[0., 1.],
            [1., 0.]])
    """
    if input.dim() < 2:
        raise RuntimeError("[fliplr] Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    """Flips a tensor of at least 1 dim up-down (dim 0).

    >>> fngrad.flipud(fngrad.arange(3))
    tensor([2, 1, 0])
    """
    if input.dim() < 1:
        raise RuntimeError("[flipud] Input must be >= 1-d.")
    return flip(input, (0,))


def roll(input, shifts, dims=None):
    """Rolls elements along ``dims`` by ``shifts`` (of the flattened tensor when ``dims`` is None).

    >>> fngrad.roll(fngrad.arange(4), 1)
    tensor([3, 0, 1, 2])
    """
    shifts = (shifts,) if isinstance(shifts, (numbers.Integral, np.integer)) else tuple(shifts)
    if dims is None or (isinstance(dims, (tuple, list)) and len(dims) == 0):
        if len(shifts) != 1:
            raise RuntimeError(f"[roll] shifts and dimensions must align. shifts: {len(shifts)}, dims: 0")
        return _Roll.apply(input.flatten(), shifts, (0,)).view(input.shape)
    dims = (dims,) if isinstance(dims, (numbers.Integral, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"[roll] shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    dims = tuple(_wrap_dim(d, input.dim(), "roll") for d in dims)
    return _Roll.apply(input, tuple(int(s) for s in shifts), dims)


def rot90(input, k=1, dims=(0, 1)):
    """Rotates by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the second).

    >>> fngrad.rot90(fngrad.arange(4).view(2, 2))
    tensor([[1, 3],
            [0, 2]])
    """
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"[rot90] expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"[rot90] expected total dims >= 2, but got total dims = {input.dim()}")
    d0, d1 = (_wrap_dim(d, input.dim(), "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"[rot90] expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, (d0,)).transpose(d0, d1)
    return input.clone()


# ----------------------------------------------------------------------------------------------------
# Repetition
# ----------------------------------------------------------------------------------------------------
def _repeat(self, *sizes):
    """Tensor.repeat: tiles the tensor ``sizes[i]`` times along each dim (leading new dims allowed).

    >>> fngrad.tensor([1, 2]).repeat(2)
    tensor([1, 2, 1, 2])
    """
    sizes = _varargs(sizes, "repeat")
    if len(sizes) < self.dim():
        raise RuntimeError("[repeat] Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"[repeat] Trying to create tensor with negative dimension: {list(sizes)}")
    shape = (1,) * (len(sizes) - self.dim()) + tuple(self.shape)
    interleaved = [v for s in shape for v in (1, s)]
    expanded = [v for r, s in zip(sizes, shape) for v in (r, s)]
    return self.reshape(interleaved).expand(expanded).reshape([r * s for r, s in zip(sizes, shape)])


def tile(input, dims):
    """Repeats ``input`` along each dim (``dims`` is padded with ones in front, unlike ``repeat``).

    >>> fngrad.tile(fngrad.tensor([1, 2]), (2,))
    tensor([1, 2, 1, 2])
    """
    dims = tuple(dims) if isinstance(dims, (tuple, list, _C.Size)) else (dims,)
    return _repeat(input, (1,) * (input.dim() - len(dims)) + dims)


def _tile_method(self, *dims):
    """tile(*dims) -> Tensor

    :func:`tile` as a method; the dims may also be given one by one.

    >>> fngrad.tensor([1, 2]).tile(2, 2)
    tensor([[1, 2, 1, 2],
            [1, 2, 1, 2]])
    """
    if not dims:
        raise TypeError('[tile] tile() missing 1 required positional arguments: "dims"')
    return tile(self, _varargs(dims, "tile"))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeats each element ``repeats`` times (an int, or a tensor with one count per element) along
    ``dim`` (of the flattened tensor when ``dim`` is None). ``repeat_interleave(counts)`` gives the
    indices ``arange(len(counts))`` repeated by ``counts``.

    >>> fngrad.tensor([1, 2]).repeat_interleave(2)
    tensor([1, 1, 2, 2])
    """
    if repeats is None:  # repeat_interleave(repeats_tensor)
        counts = _np(input)
        if input.dim() != 1 or input.is_floating_point():
            raise RuntimeError("[repeat_interleave] repeats must be a 1-d tensor of integers")
        if (counts < 0).any():
            raise RuntimeError("[repeat_interleave] repeats can not be negative")
        return from_numpy(np.repeat(np.arange(len(counts), dtype=np.int64), counts))
    if dim is None:
        input, dim = input.flatten(), 0
    dim = _wrap_dim(dim, input.dim(), "repeat_interleave")
    n = input.shape[dim] if input.dim() else 1
    if input.dim() == 0:
        input = input.reshape(1)
    if isinstance(repeats, _Tensor):
        if repeats.is_floating_point():
            raise RuntimeError("[repeat_interleave] repeats has to be Long tensor")
        if repeats.dim() > 1:
            raise RuntimeError("[repeat_interleave] repeats must be 0-dim or 1-dim tensor")
        counts = _np(repeats).reshape(-1)
    else:
        counts = np.asarray([repeats], dtype=np.int64)
    if (counts < 0).any():
        raise RuntimeError("[repeat_interleave] repeats can not be negative")
    if counts.size == 1:
        counts = np.broadcast_to(counts, (n,))
    elif counts.size != n:
        raise RuntimeError(f"[repeat_interleave] repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.size} and input.size({dim}) = {n}")
    index = np.repeat(np.arange(n, dtype=np.int64), counts)
    if output_size is not None and output_size != index.size:
        raise RuntimeError(f"[repeat_interleave] allocated size does not match required size ({output_size} "
                           f"vs {index.size})")
    return _index_along(input, dim, index)


# ----------------------------------------------------------------------------------------------------
# Triangles and diagonals
# ----------------------------------------------------------------------------------------------------
def _triangle(input, diagonal, op, lower):
    if input.dim() < 2:
        raise RuntimeError(f"[{op}] {op}: input tensor must have at least 2 dimensions")
    m, n = input.shape[-2:]
    keep = np.tri(m, n, diagonal, dtype=bool) if lower else ~np.tri(m, n, diagonal - 1, dtype=bool)
    zero = False if input.dtype == _C.bool else 0.0 if input.dtype.is_floating_point else 0
    return _C.where(from_numpy(keep), input, zero)


def tril(input, diagonal=0):
    """The lower triangle of the last two dims (on and below the ``diagonal``-th diagonal); zeros elsewhere.

    >>> fngrad.tril(fngrad.ones(2, 2))
    tensor([[1., 0.],
            [1., 1.]])
    """
    return _triangle(input, diagonal, "tril", True)


def triu(input, diagonal=0):
    """The upper triangle of the last two dims (on and above the ``diagonal``-th diagonal); zeros elsewhere.

    >>> fngrad.triu(fngrad.ones(2, 2))
    tensor([[1., 1.],
            [0., 1.]])
    """
    return _triangle(input, diagonal, "triu", False)


def _tril_(self, diagonal=0):
    """In-place form of :func:`tril`.

    >>> fngrad.ones(2, 2).tril_()
    tensor([[1., 0.],
            [1., 1.]])
    """
    return self.copy_(tril(self, diagonal))


def _triu_(self, diagonal=0):
    """In-place form of :func:`triu`.

    >>> fngrad.ones(2, 2).triu_(1)
    tensor([[0., 1.],
            [0., 0.]])
    """
    return self.copy_(triu(self, diagonal))


def _embed_index(n, offset):
    """For an (n + |offset|)-square matrix: the position in [v, 0] of each entry (n is the zero)."""
    size = n + abs(offset)
    index = np.full((size, size), n, dtype=np.int64)
    rows = np.arange(n) + builtins.max(-offset, 0)
    index[rows, rows + offset] = np.arange(n)
    return index


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose (dim1, dim2) diagonals (``offset`` above the main one) are the last dim of ``input``.

    >>> fngrad.diag_embed(fngrad.tensor([1., 2.]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    if input.dim() == 0:
        raise RuntimeError("[diag_embed] diag_embed: the input must have at least 1 dimension")
    ndim = input.dim() + 1
    d1, d2 = _wrap_dim(dim1, ndim, "diag_embed"), _wrap_dim(dim2, ndim, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"[diag_embed] diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1]
    padded = cat([input, zeros(*input.shape[:-1], 1, dtype=input.dtype)], -1)
    out = padded[..., from_numpy(_embed_index(n, offset))]  # (..., N, N)
    if (d1, d2) == (ndim - 2, ndim - 1):
        return out
    # Move the two new dims to d1 and d2.
    rest = iter(range(ndim - 2))
    perm = [ndim - 2 if i == d1 else ndim - 1 if i == d2 else next(rest) for i in range(ndim)]
    return out.permute(*perm)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal (``offset`` above the main one) of the (dim1, dim2) planes, as the last dim.

    >>> fngrad.diagonal(fngrad.eye(2))
    tensor([1., 1.])
    """
    ndim = input.dim()
    d1, d2 = _wrap_dim(dim1, ndim, "diagonal"), _wrap_dim(dim2, ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"[diagonal] diagonal dimensions cannot be identical {dim1}, {dim2}")
    x = input.permute(*[i for i in range(ndim) if i not in (d1, d2)], d1, d2)
    m, n = input.shape[d1], input.shape[d2]
    start_r, start_c = builtins.max(-offset, 0), builtins.max(offset, 0)
    length = builtins.max(builtins.min(m - start_r, n - start_c), 0)
    steps = np.arange(length, dtype=np.int64)
    return x[..., from_numpy(steps + start_r), from_numpy(steps + start_c)]


def _linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return diagonal(A, offset, dim1, dim2)


def diag(input, diagonal=0):
    """A 1-D tensor's square diagonal matrix, or a matrix's diagonal (``diagonal`` above the main one).

    >>> fngrad.diag(fngrad.tensor([1, 2]))
    tensor([[1, 0],
            [0, 2]])
    """
    if input.dim() == 1:
        return diag_embed(input, diagonal)
    if input.dim() == 2:
        return globals()["diagonal"](input, diagonal)
    raise RuntimeError(f"[diag] diag(): Supports 1D or 2D tensors. Got {input.dim()}D")


def diagflat(input, offset=0):
    """The square matrix with the flattened ``input`` on its ``offset``-th diagonal.

    >>> fngrad.diagflat(fngrad.tensor([[1, 2]]))
    tensor([[1, 0],
            [0, 2]])
    """
    return diag_embed(input.reshape(-1), offset)


def trace(input):
    """Sum of a matrix's main diagonal (int64 for integer input).

    >>> fngrad.trace(fngrad.eye(3))
    tensor(3.)
    """
    if input.dim() != 2:
        raise RuntimeError(f"[trace] trace: expected a matrix, but got tensor with dim {input.dim()}")
    if input.dtype == _C.bool:
        raise NotImplementedError("[trace] \"trace\" not implemented for 'Bool'")
    return diagonal(input).sum()


# ----------------------------------------------------------------------------------------------------
# Dims and views
# ----------------------------------------------------------------------------------------------------
def movedim(input, source, destination):
    """Moves dims ``source`` to positions ``destination``; the others keep their order.

    >>> fngrad.movedim(fngrad.zeros(2, 3, 4), 0, -1).shape
    fngrad.Size([3, 4, 2])
    """
    src = [source] if isinstance(source, (numbers.Integral, np.integer)) else list(source)
    dst = [destination] if isinstance(destination, (numbers.Integral, np.integer)) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"[movedim] movedim: Invalid source or destination dims: source ({src} dims) should "
                           f"contain the same number of dims as destination ({dst} dims)")
    ndim = input.dim()
    src, dst = _dims_list(src, ndim, "movedim"), _dims_list(dst, ndim, "movedim")
    perm = [-1] * ndim
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(i for i in range(ndim) if i not in src)
    perm = [p if p >= 0 else next(rest) for p in perm]
    return input.permute(*perm) if ndim else input.view(input.shape)


moveaxis = movedim


def narrow(input, dim, start, length):
    """The slice ``start:start + length`` along ``dim`` (a view).

    >>> fngrad.arange(5).narrow(0, 1, 2)
    tensor([1, 2])
    """
    if input.dim() == 0:
        raise RuntimeError("[narrow] narrow() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, input.dim(), "narrow")
    if isinstance(start, _Tensor):
        start = start.item()
    size = input.shape[dim]
    if not -size <= start <= size:
        raise IndexError(f"[narrow] start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("[narrow] narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"[narrow] start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return input[(slice(None),) * dim + (slice(start, start + length),)]


def select(input, dim, index):
    """The slice at ``index`` along ``dim``, without that dim (a view).

    >>> fngrad.eye(3).select(1, 0)
    tensor([1., 0., 0.])
    """
    if input.dim() == 0:
        raise IndexError("[select] select() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, input.dim(), "select")
    size = input.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"[select] select(): index {index} out of range for tensor of size {list(input.shape)} "
                         f"at dimension {dim}")
    return input[(slice(None),) * dim + (index,)]


def unflatten(input, dim, sizes):
    """Splits dim ``dim`` into ``sizes`` (one may be -1).

    >>> fngrad.zeros(6).unflatten(0, (2, 3)).shape
    fngrad.Size([2, 3])
    """
    dim = _wrap_dim(dim, input.dim(), "unflatten")
    sizes = list(sizes)
    if not sizes:
        raise RuntimeError("[unflatten] unflatten: sizes must be non-empty")
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or (-1 not in sizes and known != input.shape[dim]) or \
            (-1 in sizes and (known == 0 or input.shape[dim] % known)):
        raise RuntimeError(f"[unflatten] unflatten: Provided sizes {sizes} don't multiply up to the size of dim "
                           f"{dim} ({input.shape[dim]}) in the input tensor")
    shape = list(input.shape)
    return input.reshape(shape[:dim] + sizes + shape[dim + 1:])


def ravel(input):
    """The elements as a 1-D tensor (a view when possible).

    >>> fngrad.eye(2).ravel()
    tensor([1., 0., 0., 1.])
    """
    return input.reshape(-1)


def _atleast_one(t, nd, op):
    if not isinstance(t, _Tensor):
        raise TypeError(f"[{op}] expected a tensor, got {type(t).__name__}")
    if t.dim() >= nd:
        return t
    if nd == 3 and t.dim() == 2:
        return t.unsqueeze(-1)
    if nd == 3 and t.dim() == 1:
        return t.reshape(1, -1, 1)
    return t.reshape([1] * (nd - t.dim()) + list(t.shape))


def _atleast(nd, tensors, op):
    # PyTorch: one tensor argument gives a tensor; several, or a list/tuple, give a tuple.
    if len(tensors) == 1 and isinstance(tensors[0], _Tensor):
        return _atleast_one(tensors[0], nd, op)
    return tuple(_atleast_one(t, nd, op) for t in _tensors_arg(tensors))


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (one tensor in, one out).

    >>> fngrad.atleast_1d(fngrad.tensor(1.))
    tensor([1.])
    """
    return _atleast(1, tensors, "atleast_1d")


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims (a vector becomes a row).

    >>> fngrad.atleast_2d(fngrad.ones(3))
    tensor([[1., 1., 1.]])
    """
    return _atleast(2, tensors, "atleast_2d")


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims ((n,) -> (1, n, 1), (m, n) -> (m, n, 1)).

    >>> fngrad.atleast_3d(fngrad.ones(3)).shape
    fngrad.Size([1, 3, 1])
    """
    return _atleast(3, tensors, "atleast_3d")


def _stack_inputs(tensors, op):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"[{op}] {op} expects a non-empty TensorList")
    return tensors


def hstack(tensors):
    """Concatenates column-wise (along dim 1; dim 0 for 1-D tensors).

    >>> fngrad.hstack([fngrad.ones(2), fngrad.zeros(1)])
    tensor([1., 1., 0.])
    """
    tensors = [_atleast_one(t, 1, "hstack") for t in _stack_inputs(tensors, "hstack")]
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors):
    """Concatenates row-wise (1-D tensors become rows).

    >>> fngrad.vstack([fngrad.ones(2), fngrad.zeros(2)]).shape
    fngrad.Size([2, 2])
    """
    return cat([_atleast_one(t, 2, "vstack") for t in _stack_inputs(tensors, "vstack")], 0)


row_stack = vstack


def dstack(tensors):
    """Concatenates depth-wise (along dim 2, after atleast_3d).

    >>> fngrad.dstack([fngrad.ones(2), fngrad.zeros(2)]).shape
    fngrad.Size([1, 2, 2])
    """
    return cat([_atleast_one(t, 3, "dstack") for t in _stack_inputs(tensors, "dstack")], 2)


def column_stack(tensors):
    """Stacks 0-D and 1-D tensors as columns, and concatenates 2-D ones along dim 1.

    >>> fngrad.column_stack([fngrad.ones(2), fngrad.zeros(2)]).shape
    fngrad.Size([2, 2])
    """
    tensors = _stack_inputs(tensors, "column_stack")
    return cat([t.reshape(t.numel(), 1) if t.dim() <= 1 else t for t in tensors], 1)


# ----------------------------------------------------------------------------------------------------
# Splits
# ----------------------------------------------------------------------------------------------------
def tensor_split(input, indices_or_sections, dim=0):
    """Views of ``input`` split along ``dim``: into ``sections`` nearly equal parts (the first ones one
    longer), or at the given ``indices``.

    >>> [t.tolist() for t in fngrad.arange(5).tensor_split(2)]
    [[0, 1, 2], [3, 4]]
    """
    if input.dim() == 0:
        raise RuntimeError("[tensor_split] tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    dim = _wrap_dim(dim, input.dim(), "tensor_split")
    size = input.shape[dim]
    ios = indices_or_sections
    if isinstance(ios, _Tensor):
        if ios.is_floating_point() or ios.dim() > 1:
            raise RuntimeError("[tensor_split] tensor_split expected tensor_indices_or_sections to have a long "
                               "dtype and be a zero-dimensional or one-dimensional tensor")
        ios = ios.item() if ios.dim() == 0 else ios.tolist()
    if isinstance(ios, (numbers.Integral, np.integer)):
        if ios <= 0:
            raise RuntimeError(f"[tensor_split] number of sections must be larger than 0, got {ios}")
        q, r = divmod(size, ios)
        bounds = [i * q + builtins.min(i, r) for i in range(ios + 1)]
    else:
        bounds = [0] + [builtins.min(builtins.max(int(i) if i >= 0 else size + int(i), 0), size) for i in ios] + [size]
    pre = (slice(None),) * dim
    return tuple(input[pre + (slice(a, builtins.max(a, b)),)] for a, b in zip(bounds[:-1], bounds[1:]))


def _directional_split(input, ios, dim, op, min_dims):
    if input.dim() < min_dims:
        raise RuntimeError(f"[{op}] torch.{op} requires a tensor with at least {min_dims} dimension, but got a "
                           f"tensor with {input.dim()} dimensions!")
    if isinstance(ios, (numbers.Integral, np.integer)):
        if ios == 0 or input.shape[dim] % ios:
            raise RuntimeError(f"[{op}] torch.{op} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {input.shape[dim]} is not divisible by the split_size {ios}!")
    return tensor_split(input, ios, dim)


def hsplit(input, indices_or_sections):
    """Splits along dim 1 (dim 0 for 1-D tensors); an int must divide that size.

    >>> fngrad.ones(2, 4).hsplit(2)[0].shape
    fngrad.Size([2, 2])
    """
    return _directional_split(input, indices_or_sections, 1 if input.dim() > 1 else 0, "hsplit", 1)


def vsplit(input, indices_or_sections):
    """Splits along dim 0 (of a tensor of 2 or more dims); an int must divide that size.

    >>> fngrad.ones(4, 2).vsplit(2)[0].shape
    fngrad.Size([2, 2])
    """
    return _directional_split(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    """Splits along dim 2 (of a tensor of 3 or more dims); an int must divide that size.

    >>> fngrad.ones(1, 2, 4).dsplit(2)[0].shape
    fngrad.Size([1, 2, 2])
    """
    return _directional_split(input, indices_or_sections, 2, "dsplit", 3)


# ----------------------------------------------------------------------------------------------------
# Grids, indices, blocks, distances
# ----------------------------------------------------------------------------------------------------
def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 0-D or 1-D tensors (views): ``indexing='ij'`` (matrix, the default) or ``'xy'``
    (Cartesian: the first two output dims swapped).

    >>> [g.shape for g in fngrad.meshgrid(fngrad.ones(2), fngrad.ones(3), indexing='ij')]
    [fngrad.Size([2, 3]), fngrad.Size([2, 3])]
    """
    tensors = _tensors_arg(tensors)
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
                      "argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"[meshgrid] torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: "
                           f"{indexing}")
    if not tensors:
        raise RuntimeError("[meshgrid] meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"[meshgrid] torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                               f"{t.dim()}D")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("[meshgrid] meshgrid expects all tensors to have the same dtype")
    sizes = [t.numel() for t in tensors]
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        order[0], order[1] = 1, 0
    shape = [sizes[i] for i in order]
    out = []
    for i, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[order.index(i)] = sizes[i]
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


def cartesian_prod(*tensors):
    """The Cartesian product of 1-D tensors as rows.

    >>> fngrad.cartesian_prod(fngrad.arange(2), fngrad.arange(3)).shape
    fngrad.Size([6, 2])
    """
    tensors = _tensors_arg(tensors)
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"[cartesian_prod] Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    return _C.stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)


def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of the elements of the 1-D ``input``, as rows (in the order of
    ``itertools.combinations``; ``with_replacement`` as ``itertools.combinations_with_replacement``).

    >>> fngrad.combinations(fngrad.tensor([1., 2., 3.]))
    tensor([[1., 2.],
            [1., 3.],
            [2., 3.]])
    """
    if input.dim() != 1:
        raise RuntimeError(f"[combinations] Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"[combinations] Expect a non-negative number, but got {r}")
    if r == 0:
        return input[from_numpy(np.zeros(0, np.int64))]
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(builtins.range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return input[from_numpy(idx)]


def _indices(np_fn, row, col, offset, dtype, op):
    if row < 0 or col < 0:
        raise RuntimeError(f"[{op}] row must be non-negative, got {row}" if row < 0 else
                           f"[{op}] col must be non-negative, got {col}")
    rows, cols = np_fn(row, offset, col)
    out = from_numpy(np.stack([rows, cols]).astype(np.int64).reshape(2, -1))
    return out if dtype is None or dtype == _C.int64 else out.to(dtype)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) int64 coordinates of the lower triangle of a row x col matrix, row by row.

    >>> fngrad.tril_indices(2, 2)
    tensor([[0, 1, 1],
            [0, 0, 1]])
    """
    return _indices(np.tril_indices, row, col, offset, dtype, "tril_indices")


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) int64 coordinates of the upper triangle of a row x col matrix, row by row.

    >>> fngrad.triu_indices(2, 2)
    tensor([[0, 0, 1],
            [0, 1, 1]])
    """
    return _indices(np.triu_indices, row, col, offset, dtype, "triu_indices")


def _result_dtype(tensors):
    """PyTorch's promotion of the tensors' dtypes (its promote_types table)."""
    return functools.reduce(_C.promote_types, (t.dtype for t in tensors))


def block_diag(*tensors):
    """A block-diagonal matrix of 0-D, 1-D (a row) and 2-D blocks.

    >>> fngrad.block_diag(fngrad.ones(2, 2), fngrad.ones(1))
    tensor([[1., 1., 0.],
            [1., 1., 0.],
            [0., 0., 1.]])
    """
    blocks = []
    for i, t in enumerate(tensors):
        if t.dim() > 2:
            raise RuntimeError(f"[block_diag] torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.dim()} dimensions")
        blocks.append(t.reshape(1, -1) if t.dim() <= 1 else t)
    if not blocks:
        return zeros(1, 0)
    dtype = _result_dtype(blocks)
    width = builtins.sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        b = b.to(dtype)
        rows.append(cat([zeros(r, left, dtype=dtype), b, zeros(r, width - left - c, dtype=dtype)], 1))
        left += c
    return cat(rows, 0)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distances between the rows of ``x1`` (..., P, M) and of ``x2`` (..., R, M): (..., P, R).

    >>> fngrad.cdist(fngrad.zeros(1, 2), fngrad.ones(3, 2))
    tensor([[1.4142, 1.4142, 1.4142]])
    """
    if x1.dim() < 2 or x2.dim() < 2:
        raise RuntimeError(f"[cdist] cdist only supports at least 2D tensors, X{1 if x1.dim() < 2 else 2} got: "
                           f"{(x1 if x1.dim() < 2 else x2).dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"[cdist] X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: "
                           f"{x2.shape[-1]}")
    for i, x in enumerate((x1, x2), 1):
        if not x.is_floating_point():
            raise RuntimeError(f"[cdist] cdist only supports floating-point dtypes, X{i} got: {_SCALAR_TYPE_NAME[x.dtype]}")
    if p < 0:
        raise RuntimeError("[cdist] cdist only supports non-negative p values")
    if x1.dtype in (_C.float16, _C.bfloat16) and x1.numel() and x2.numel():  # PyTorch's kernel has no half precision
        raise NotImplementedError(f"[cdist] \"cdist\" not implemented for '{_SCALAR_TYPE_NAME[x1.dtype]}'")
    diff = (x1.unsqueeze(-2) - x2.unsqueeze(-3)).abs()
    if p == 0:  # the count of differing coordinates: no gradient, but a graph (as PyTorch's)
        return (diff * 0).sum(-1) + (diff != 0).to(x1.dtype).sum(-1)
    if p == float("inf"):
        return diff.amax(-1)
    if p == 1:
        return diff.sum(-1)
    return (diff ** p).sum(-1) ** (1.0 / p)


def _repeat_interleave_method(self, repeats=None, dim=None, *, output_size=None):
    """``repeat_interleave(self, repeats, dim)``; as a method ``repeats`` is required (PyTorch's
    counts-only form is the function's).

    >>> fngrad.tensor([1, 2]).repeat_interleave(fngrad.tensor([1, 2]))
    tensor([1, 2, 2])
    """
    if repeats is None:
        raise TypeError("repeat_interleave() received an invalid combination of arguments - got (), but expected one "
                        "of:\n * (Tensor repeats, int dim = None, *, int output_size = None)\n * (int repeats, int dim "
                        "= None, *, int output_size = None)")
    return repeat_interleave(self, repeats, dim, output_size=output_size)


def _adjoint(self):
    """The conjugate transpose of the last two dims: the transpose, for fngrad's real dtypes (a view).

    >>> fngrad.tensor([[1., 2.], [3., 4.]]).adjoint()
    tensor([[1., 3.],
            [2., 4.]])
    """
    return self.mT


_METHODS = {
    "adjoint": _adjoint, "mH": property(_adjoint, doc="x.adjoint(): the transpose of the last two dims."),
    "H": property(lambda self: self.T, doc="The conjugate transpose of a matrix: its transpose (real dtypes)."),
    "flip": flip, "fliplr": fliplr, "flipud": flipud, "roll": roll, "rot90": rot90, "repeat": _repeat,
    "repeat_interleave": _repeat_interleave_method, "tile": _tile_method, "tril": tril, "triu": triu, "tril_": _tril_,
    "triu_": _triu_, "diag": diag, "diag_embed": diag_embed, "diagflat": diagflat, "diagonal": diagonal, "trace": trace,
    "movedim": movedim, "moveaxis": moveaxis, "narrow": narrow, "select": select, "unflatten": unflatten,
    "ravel": ravel, "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
}
