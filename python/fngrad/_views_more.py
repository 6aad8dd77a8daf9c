"""More view-family ops: the ``*_copy`` functions, the scatter ops (select/slice/diagonal/as_strided
scatter), index_put, index_reduce, unfold, as_strided, sum_to_size, resize_, constant_pad_nd.

All are compositions of differentiable fngrad ops (clone, indexing, setitem on a clone, index_add,
reductions), so backward and double backward come from those ops. as_strided is the native view of
the input's storage (Note [as_strided] in csrc/ops/views.cpp); as_strided_scatter writes into the
storage of a clone, as PyTorch's does.

Example::

    >>> import fngrad
    >>> fngrad.arange(5.).unfold(0, 2, 2)
    tensor([[0., 1.],
            [2., 3.]])
"""

from __future__ import annotations

import builtins

import numpy as np

from . import _C
from ._creation import arange, from_numpy
from ._creation import zeros as _zeros
from ._functions import cat, stack
from ._indexing_ops import _inplace_view, _np
from .autograd.function import Function
from .nn import functional as _F
from .nn.functional import pad as _pad

__all__ = [
    "alias_copy", "expand_copy", "diagonal_copy", "narrow_copy", "permute_copy", "squeeze_copy", "t_copy",
    "transpose_copy", "unbind_copy", "unsqueeze_copy", "view_copy", "unfold_copy", "split_with_sizes",
    "split_with_sizes_copy",
    "unsafe_chunk", "unsafe_split", "constant_pad_nd", "select_scatter", "slice_scatter", "diagonal_scatter",
    "index_put", "index_reduce", "zero_", "resize_as_", "as_strided", "as_strided_copy", "as_strided_scatter",
    "grid_sampler", "grid_sampler_2d", "grid_sampler_3d",
]


def _sizes(size):
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)


def alias_copy(input):
    """A copy of ``input`` (``torch.alias_copy``).

    >>> fngrad.alias_copy(fngrad.ones(2))
    tensor([1., 1.])
    """
    return input.clone()


def expand_copy(input, size, *, implicit=False):
    """``input.expand(size)`` as a new tensor.

    >>> fngrad.expand_copy(fngrad.ones(1), (3,))
    tensor([1., 1., 1.])
    """
    return input.expand(tuple(size)).clone()


def diagonal_copy(input, offset=0, dim1=0, dim2=1):
    """``input.diagonal(...)`` as a new tensor.

    >>> fngrad.diagonal_copy(fngrad.eye(2))
    tensor([1., 1.])
    """
    return input.diagonal(offset, dim1, dim2).clone()


def narrow_copy(input, dim, start, length):
    """``input.narrow(...)`` as a new tensor.

    >>> fngrad.narrow_copy(fngrad.ones(4), 0, 1, 2)
    tensor([1., 1.])
    """
    return input.narrow(dim, start, length).clone()


def permute_copy(input, dims):
    """``input.permute(dims)`` as a new tensor.

    >>> fngrad.permute_copy(fngrad.ones(2, 3), (1, 0))
    tensor([[1., 1.],
            [1., 1.],
            [1., 1.]])
    """
    return input.permute(tuple(dims)).clone()


def squeeze_copy(input, dim=None):
    """``input.squeeze(dim)`` as a new tensor.

    >>> fngrad.squeeze_copy(fngrad.ones(1, 2))
    tensor([1., 1.])
    """
    return (input.squeeze() if dim is None else input.squeeze(dim)).clone()


def t_copy(input):
    """``input.t()`` as a new tensor.

    >>> fngrad.t_copy(fngrad.ones(2, 3))
    tensor([[1., 1.],
            [1., 1.],
            [1., 1.]])
    """
    return input.t().clone()


def transpose_copy(input, dim0, dim1):
    """``input.transpose(dim0, dim1)`` as a new tensor.

    >>> fngrad.transpose_copy(fngrad.ones(2, 3), 0, 1)
    tensor([[1., 1.],
            [1., 1.],
            [1., 1.]])
    """
    return input.transpose(dim0, dim1).clone()


def unbind_copy(input, dim=0):
    """``input.unbind(dim)`` with each part a new tensor.

    >>> fngrad.unbind_copy(fngrad.ones(2, 3))
    (tensor([1., 1., 1.]), tensor([1., 1., 1.]))
    """
    return tuple(p.clone() for p in input.unbind(dim))


def unsqueeze_copy(input, dim):
    """``input.unsqueeze(dim)`` as a new tensor.

    >>> fngrad.unsqueeze_copy(fngrad.ones(2), 0)
    tensor([[1., 1.]])
    """
    return input.unsqueeze(dim).clone()


def view_copy(input, size):
    """``input.view(size)`` as a new tensor.

    >>> fngrad.view_copy(fngrad.ones(2, 3), (6,))
    tensor([1., 1., 1., 1., 1., 1.])
    """
    return (input.view(tuple(size)) if isinstance(size, (tuple, list)) else input.view(size)).clone()


def unfold(self, dimension, size, step):
    """Tensor.unfold: all slices of length ``size`` along ``dimension``, ``step`` apart, as a new last
    dimension.

    >>> fngrad.arange(4.).unfold(0, 2, 1).shape == (3, 2)
    True
    """
    if self.dim() == 0:
        if size > 1:
            raise RuntimeError(f"maximum size for tensor at dimension 0 is 1 but size is {size}")
        return self.reshape(1)
    ndim = self.dim()
    d = dimension + ndim if dimension < 0 else dimension
    if not 0 <= d < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                         f"but got {dimension})")
    length = self.shape[d]
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    n = (length - size) // step + 1
    idx = from_numpy(np.arange(n)[:, None] * step + np.arange(size)[None, :])
    return self.movedim(d, -1)[..., idx].movedim(-2, d)


def unfold_copy(input, dimension, size, step):
    """``input.unfold(...)`` as a new tensor.

    >>> fngrad.unfold_copy(fngrad.ones(4), 0, 2, 2)
    tensor([[1., 1.],
            [1., 1.]])
    """
    return unfold(input, dimension, size, step).clone()


def split_with_sizes(self, split_sizes, dim=0):
    """Split into parts of the given sizes.

    >>> fngrad.split_with_sizes(fngrad.ones(5), [2, 3])
    (tensor([1., 1.]), tensor([1., 1., 1.]))
    """
    if sum(split_sizes) != self.shape[dim]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {self.shape[dim]} "
                           f"(input tensor's size at dimension {dim}), but got split_sizes={list(split_sizes)}")
    return self.split(list(split_sizes), dim)


def split_with_sizes_copy(input, split_sizes, dim=0):
    """:func:`split_with_sizes` with each part a new tensor.

    >>> fngrad.split_with_sizes_copy(fngrad.ones(5), [2, 3])
    (tensor([1., 1.]), tensor([1., 1., 1.]))
    """
    return tuple(part.clone() for part in split_with_sizes(input, split_sizes, dim))


class _UnsafeSplit(Function):
    """The parts of ``split``/``chunk`` as tensors that are not views (PyTorch's unsafe forms are not
    tracked as views either), with one backward node for them all that concatenates their gradients."""

    _node_name = "UnsafeSplitBackward0"

    @staticmethod
    def forward(ctx, input, parts):
        ctx.dim, ctx.shapes, ctx.dtype = parts[1], [tuple(p.shape) for p in parts[0]], input.dtype
        return tuple(p.clone() for p in parts[0])

    @staticmethod
    def backward(ctx, *grads):
        grads = [_zeros(shape, dtype=ctx.dtype) if g is None else g for g, shape in zip(grads, ctx.shapes)]
        return cat(grads, ctx.dim), None


def _unsafe(input, parts, dim):
    dim = dim % builtins.max(input.dim(), 1)
    return _UnsafeSplit.apply(input, (tuple(p.detach() for p in parts), dim))


def unsafe_chunk(input, chunks, dim=0):
    """Same as ``chunk``.

    >>> fngrad.unsafe_chunk(fngrad.ones(4), 2)
    (tensor([1., 1.]), tensor([1., 1.]))
    """
    return _unsafe(input, input.chunk(chunks, dim), dim)


def unsafe_split(tensor, split_size, dim=0):
    """Same as ``split``.

    >>> fngrad.unsafe_split(fngrad.ones(4), 2)
    (tensor([1., 1.]), tensor([1., 1.]))
    """
    return _unsafe(tensor, tensor.split(split_size, dim), dim)


def constant_pad_nd(input, pad, value=0):
    """Pad with a constant (negative pads crop).

    >>> fngrad.constant_pad_nd(fngrad.ones(2), (1, 1))
    tensor([0., 1., 1., 0.])
    """
    return _pad(input, tuple(pad), mode="constant", value=value)


def _scatter_into(input, index, src, op):
    out = input.clone()
    view_shape = tuple(out[index].shape)
    if tuple(src.shape) != view_shape:
        raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(view_shape)}")
    out[index] = src
    return out


def select_scatter(input, src, dim, index):
    """``input`` with ``input.select(dim, index)`` replaced by ``src``.

    >>> fngrad.select_scatter(fngrad.zeros(2, 2), fngrad.ones(2), 0, 0)
    tensor([[1., 1.],
            [0., 0.]])
    """
    d = dim % input.dim()
    return _scatter_into(input, (slice(None),) * d + (index,), src, "select_scatter")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """``input`` with ``input[start:end:step]`` along ``dim`` replaced by ``src``.

    >>> fngrad.slice_scatter(fngrad.zeros(4), fngrad.ones(2), 0, 0, 2)
    tensor([1., 1., 0., 0.])
    """
    d = dim % input.dim()
    return _scatter_into(input, (slice(None),) * d + (slice(start, end, step),), src, "slice_scatter")


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by ``src``.

    >>> fngrad.diagonal_scatter(fngrad.zeros(2, 2), fngrad.ones(2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    x = input.movedim((dim1, dim2), (-2, -1))
    n, m = x.shape[-2], x.shape[-1]
    length = max(0, min(n + min(offset, 0), m - max(offset, 0)))
    rows = from_numpy(np.arange(length) + max(-offset, 0))
    cols = from_numpy(np.arange(length) + max(offset, 0))
    return _scatter_into(x, (Ellipsis, rows, cols), src, "diagonal_scatter").movedim((-2, -1), (dim1, dim2))


def _positions(shape, indices):
    """Flat positions into a tensor of ``shape`` picked by the index tuple ``indices``."""
    np_idx = tuple(None if i is None else np.asarray(i.numpy() if isinstance(i, _C.TensorBase) else i)
                   for i in indices)
    return np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64).reshape(shape)[np_idx]


def index_put(input, indices, values, accumulate=False):
    """``input`` with ``input[indices] = values`` (``+=`` when ``accumulate``).

    >>> fngrad.index_put(fngrad.zeros(3), (fngrad.tensor([0, 0]),), fngrad.ones(2), True)
    tensor([2., 0., 0.])
    """
    pos = _positions(tuple(input.shape), tuple(indices))
    flat_pos = from_numpy(pos.reshape(-1))
    vals = values.expand(*pos.shape).reshape(-1)
    flat = input.reshape(-1)
    if accumulate:
        out = flat.index_add(0, flat_pos, vals)
    else:
        out = flat.clone()
        out[flat_pos] = vals
    return out.reshape(tuple(input.shape))


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Reduce the slices of ``source`` into ``input`` at ``index`` along ``dim`` with ``reduce`` in
    prod/mean/amax/amin. Example::

        >>> fngrad.index_reduce(fngrad.ones(2), 0, fngrad.tensor([1, 1]), fngrad.tensor([2., 3.]), 'prod')
        tensor([1., 6.])
    """
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    x = input.reshape(1) if input.dim() == 0 else input.movedim(dim, 0)
    s = source.reshape(1) if source.dim() == 0 else source.movedim(dim, 0)
    idx = np.asarray(index.numpy()).reshape(-1)
    rows = list(x.unbind(0))
    for j in np.unique(idx):
        parts = s[from_numpy(np.nonzero(idx == j)[0])]
        if include_self:
            parts = cat([x[int(j)].unsqueeze(0), parts], 0)
        if reduce == "mean":
            if parts.is_floating_point():
                r = parts.mean(0)
            else:
                r = parts.sum(0).div(parts.shape[0], rounding_mode="floor")
        else:
            r = getattr(parts, reduce)(0)
        rows[int(j)] = r if r.dtype == x.dtype else r.to(x.dtype)  # (integer sums and products are int64)
    out = stack(rows, 0)
    return out.reshape(()) if input.dim() == 0 else out.movedim(0, dim)


def sum_to_size(self, *size):
    """Sum ``self`` down to ``size`` (the reverse of broadcasting).

    >>> fngrad.ones(2, 3).sum_to_size(1, 3)
    tensor([[2., 2., 2.]])
    """
    size = _sizes(size)
    shape = tuple(self.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != t for s, t in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size "
                           f"{{{', '.join(map(str, shape))}}}.")
    if not shape:
        return self.sum()  # PyTorch's sum_to of a 0-d tensor is a sum: integers become int64
    r = self.sum(tuple(range(lead))) if lead else self
    dims = tuple(i for i, s in enumerate(size) if s == 1 and r.shape[i] != 1)
    return r.sum(dims, keepdim=True) if dims else r


def zero_(input):
    """Fill ``input`` with zeros in place (``torch.zero_``).

    >>> fngrad.zero_(fngrad.ones(2))
    tensor([0., 0.])
    """
    return input.zero_()


def __rdiv__(self, other):
    return self.__rtruediv__(other)


def resize_(self, *sizes, memory_format=None):
    """Give ``self`` the shape ``sizes`` in place (new elements are zero). Tensors that require grad
    cannot be resized.

    >>> fngrad.ones(2, 3).resize_(6).shape == (6,)
    True
    """
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    sizes = _sizes(sizes)
    n = int(np.prod(sizes, dtype=np.int64))
    flat = np.ascontiguousarray(_np(self)).reshape(-1)
    data = np.zeros(n, dtype=flat.dtype)
    data[:min(n, flat.size)] = flat[:n]
    self.data = from_numpy(data.reshape(sizes)).to(self.dtype)
    return self


def resize_as_(input, the_template, *, memory_format=None):
    """``input.resize_(the_template.shape)``.

    >>> fngrad.resize_as_(fngrad.ones(6), fngrad.ones(2, 3))
    tensor([[1., 1., 1.],
            [1., 1., 1.]])
    """
    return resize_(input, tuple(the_template.shape))


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s storage with sizes ``size`` and strides ``stride`` (in elements), starting at
    ``storage_offset`` (counted from the start of the storage, not of ``input``; by default ``input``'s own).

    >>> fngrad.as_strided(fngrad.arange(4.), (2, 2), (1, 1))
    tensor([[0., 1.],
            [1., 2.]])
    """
    return _C.TensorBase.as_strided(input, size, stride, storage_offset)


def as_strided_copy(input, size, stride, storage_offset=None):
    """:func:`as_strided` as a new tensor.

    >>> fngrad.as_strided_copy(fngrad.arange(4.), (2,), (2,))
    tensor([0., 2.])
    """
    return as_strided(input, size, stride, storage_offset).clone()


def _clone_strides(input):
    """The strides of PyTorch's ``input.clone()``: ``input``'s own when its elements are dense and do
    not overlap (in some order of the dims), else the contiguous ones."""
    shape, strides = tuple(input.shape), input.stride()
    contiguous = tuple(int(np.prod(shape[d + 1:], dtype=np.int64)) for d in range(len(shape)))
    dims = sorted((d for d in range(len(shape)) if shape[d] != 1), key=lambda d: strides[d])
    expected = 1
    for d in dims:
        if strides[d] != expected:
            return contiguous
        expected *= shape[d]
    return tuple(strides[d] if shape[d] != 1 else contiguous[d] for d in range(len(shape)))


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """``input`` with the elements ``as_strided(input.clone(), size, stride, storage_offset)`` replaced by
    ``src`` (positions count in the storage of the clone, which keeps ``input``'s strides when it is dense).

    >>> fngrad.as_strided_scatter(fngrad.zeros(4), fngrad.ones(2), (2,), (2,))
    tensor([1., 0., 1., 0.])
    """
    size = tuple(size)
    n = input.numel()
    where = _C.TensorBase.as_strided(arange(max(n, 1)), size, stride, 0 if storage_offset is None else storage_offset)
    if tuple(src.shape) != size:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(size)}")
    strides = _clone_strides(input)
    # The storage position of each element of input's clone, and the element at each storage position.
    order = _C.TensorBase.as_strided(arange(max(n, 1)), tuple(input.shape), strides, 0).reshape(-1)
    inverse = from_numpy(np.argsort(order.numpy(), kind="stable"))
    storage = input.reshape(-1)[inverse].clone()
    storage[where.reshape(-1)] = src.reshape(-1).to(input.dtype)
    return storage[order].reshape(tuple(input.shape))


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """:func:`fngrad.nn.functional.grid_sample` with its modes as numbers: interpolation 0 bilinear, 1 nearest,
    2 bicubic; padding 0 zeros, 1 border, 2 reflection (``torch.grid_sampler``).

    >>> fngrad.grid_sampler(fngrad.arange(4.).reshape(1, 1, 2, 2), fngrad.zeros(1, 1, 1, 2), 0, 0, True)
    tensor([[[[1.5000]]]])
    """
    return _F.grid_sample(input, grid, _F._GRID_MODES[interpolation_mode], _F._GRID_PADDINGS[padding_mode],
                          bool(align_corners))


def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    """:func:`grid_sampler` of a 4-D input.

    >>> fngrad.grid_sampler_2d(fngrad.arange(4.).reshape(1, 1, 2, 2), fngrad.full((1, 1, 1, 2), 0.9), 1, 0, True)
    tensor([[[[3.]]]])
    """
    if input.dim() != 4:
        raise RuntimeError(f"[grid_sampler_2d] grid_sampler_2d(): expected 4D input, but got input with sizes "
                           f"{list(input.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    """:func:`grid_sampler` of a 5-D input (no bicubic).

    >>> fngrad.grid_sampler_3d(fngrad.ones(1, 1, 2, 2, 2), fngrad.zeros(1, 1, 1, 1, 3), 0, 0, False)
    tensor([[[[[1.]]]]])
    """
    if input.dim() != 5:
        raise RuntimeError(f"[grid_sampler_3d] grid_sampler_3d(): expected 5D input, but got input with sizes "
                           f"{list(input.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


_METHODS = {
    "unfold": unfold, "sum_to_size": sum_to_size, "__rdiv__": __rdiv__, "resize_": resize_,
    "resize_as_": resize_as_, "as_strided_": _inplace_view(as_strided), "as_strided_scatter": as_strided_scatter,
    "index_put": index_put, "index_reduce": index_reduce, "select_scatter": select_scatter,
    "slice_scatter": slice_scatter, "diagonal_scatter": diagonal_scatter, "split_with_sizes": split_with_sizes,
    "split_with_sizes_copy": split_with_sizes_copy,
    "unsafe_chunk": unsafe_chunk, "unsafe_split": unsafe_split, "narrow_copy": narrow_copy,
    # Tensor methods of activations whose functions live in nn.functional.
    "prelu": _F.prelu, "hardshrink": _F.hardshrink,
}
