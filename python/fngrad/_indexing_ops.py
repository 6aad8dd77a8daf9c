"""Index ops along a dim: gather, scatter (and scatter_add, scatter_reduce), index_select, index_add,
index_copy, index_fill, masked_scatter, take_along_dim, put.

The forward runs in NumPy on the tensors' arrays, but for the native kernels of gather and scatter_add
(csrc/ops/dim_index.cpp) and of index_select and index_add (csrc/ops/index_rows.cpp); every backward
is written with these same ops (gather's gradient is a scatter_add, scatter_add's is a gather,
index_select's is an index_add, ...), so gradients of gradients work. Indices are int64 tensors,
checked against the sizes with PyTorch's exception types and wording (prefixed with the op's name, as
fngrad's native ops do).

The small helpers at the top (`_np`, `_wrap`, `_wrap_dim`, `_index`) are shared with the sorting and
scan families (``_sorting.py``, ``_scan.py``).
"""

from __future__ import annotations

import builtins
import inspect
import numbers

import numpy as np

from . import _C
from ._creation import ones as _ones
from ._creation import zeros as _zeros_new
from .autograd.function import Function
from .autograd.grad_mode import is_grad_enabled

__all__ = [
    "gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add", "index_copy",
    "index_fill", "masked_scatter", "take_along_dim", "put",
]

_NP_TO_DTYPE = {np.dtype(np.float32): _C.float32, np.dtype(np.float64): _C.float64,
                np.dtype(np.int64): _C.int64, np.dtype(np.bool_): _C.bool}


_NARROW_INTS = {np.dtype(d) for d in (np.uint8, np.int8, np.int16, np.int32, np.int64)}


def _np(t):
    """The NumPy array over ``t``'s memory (no copy; outside the graph). NumPy has no bfloat16: a
    bfloat16 tensor gives a float32 copy (which holds its values exactly), computed on in float32 as
    PyTorch's CPU kernels do; ``_wrap(result, t.dtype)`` rounds a float result back."""
    t = t.detach()
    return t.float().numpy() if t.dtype == _C.bfloat16 else t.numpy()


def _wrap(a, dtype=None, *, private=False):
    """A new fngrad tensor holding ``a`` (a NumPy array or scalar) in its dtype; integer types fngrad
    lacks (uint16 and wider unsigned, NumPy's intc on other platforms) become int64. A float result
    computed from a bfloat16 input (``dtype`` given as bfloat16) is rounded back to bfloat16.
    ``private``: ``a`` is an array the caller computed and drops, which nothing writes afterwards, so
    a graph that saves the tensor skips the NumPy-write checksums (2 x ~1 ms for 8 MB of indices)."""
    a = np.asarray(a)
    if dtype == _C.bfloat16 and a.dtype.kind == "f":
        return _wrap(a).to(_C.bfloat16)
    if a.dtype.kind in "iu" and a.dtype not in _NARROW_INTS:
        a = a.astype(np.int64)
    # (not np.ascontiguousarray, which makes a 0-d array 1-d; a flipped size-1 array is "contiguous"
    # with a negative stride)
    if not a.flags.c_contiguous or any(s < 0 for s in a.strides):
        a = a.copy()
    return _C._from_numpy_result(a) if private else _C.from_numpy(a)


def _wrap_dim(dim, ndim, op):
    """``dim`` in [0, max(ndim, 1)), PyTorch's IndexError for one out of range (a 0-d tensor has dim 0 and -1)."""
    if isinstance(dim, builtins.bool) or not isinstance(dim, (builtins.int, np.integer)):
        raise TypeError(f"[{op}] {op}(): argument 'dim' must be int, not {type(dim).__name__}")
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"[{op}] Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _index(index, op, what="int32/int64"):
    """``index`` (an int64 tensor) as a NumPy array; PyTorch's RuntimeError for another dtype."""
    _check_index(index, op, what)
    return _np(index).astype(np.int64) if index.dtype == _C.int32 else _np(index)


def _check_index(index, op, what="int32/int64"):
    """PyTorch's errors for an ``index`` that is not a tensor of an integer dtype ``what`` names."""
    if not isinstance(index, _C.TensorBase):
        raise TypeError(f"[{op}] {op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype != _C.int64 and not (index.dtype == _C.int32 and "int32" in what):
        raise RuntimeError(f"[{op}] {op}(): Expected dtype {what} for index, but got {_dtype_name(index.dtype)}")


def _dtype_name(dtype):
    return {_C.float32: "Float", _C.float64: "Double", _C.int64: "Long", _C.bool: "Bool"}.get(dtype, str(dtype))


def _at_least_1d(a):
    return a.reshape(1) if a.ndim == 0 else a


def _zeros(shape, like):
    return _zeros_new(tuple(shape), dtype=like.dtype)


# ----------------------------------------------------------------------------------------------------
# gather / scatter: one index per element of `index`, along `dim`
# ----------------------------------------------------------------------------------------------------

def _check_scatter_shapes(op, self_shape, dim, index_shape, src_shape=None):
    """PyTorch's shape rules: same number of dims; index no larger than self (but along dim) and src."""
    if len(index_shape) != len(self_shape) and not (len(index_shape) <= 1 and len(self_shape) <= 1):
        raise RuntimeError(f"[{op}] Index tensor must have the same number of dimensions as "
                           f"{'input' if op.startswith('gather') else 'self'} tensor")
    if src_shape is not None and len(src_shape) != len(index_shape) and not (
            len(index_shape) <= 1 and len(src_shape) <= 1):
        raise RuntimeError(f"[{op}] Index tensor must have the same number of dimensions as src tensor")
    idx, sel = _shape1(index_shape), _shape1(self_shape)
    if 0 in idx:
        return
    too_large = any(i > s for d, (i, s) in enumerate(zip(idx, sel)) if d != dim)
    if src_shape is None:
        if too_large:
            d = next(d for d, (i, s) in enumerate(zip(idx, sel)) if d != dim and i > s)
            raise RuntimeError(f"[{op}] Size does not match at dimension {d} expected index {list(index_shape)} to "
                               f"be no larger than self {list(self_shape)} apart from dimension {dim}")
    elif too_large or any(i > s for i, s in zip(idx, _shape1(src_shape))):
        raise RuntimeError(f"[{op}] Expected index {list(index_shape)} to be no larger than self {list(self_shape)} "
                           f"apart from dimension {dim} and to be no larger size than src {list(src_shape)}")


def _shape1(shape):
    return tuple(shape) if len(shape) else (1,)


def _check_bounds(op, idx, size, dim):
    # One reduction without temporaries: seen as unsigned, a negative index is larger than any size.
    if idx.size and idx.view(np.uint64).max() >= size:
        bad = idx[(idx < 0) | (idx >= size)]
        raise RuntimeError(f"[{op}] index {bad.flat[0]} is out of bounds for dimension {dim} with size {size}")


def _linear(idx, dim, shape):
    """Flat positions in a C-contiguous array of ``shape`` of the elements that ``idx`` (indices along
    ``dim``, one per position of its own shape) names."""
    strides = np.cumprod((1,) + tuple(shape[:0:-1]))[::-1]
    lin = idx * strides[dim] if strides[dim] != 1 else None  # None: idx itself, not yet copied
    for d, n in enumerate(idx.shape):
        if d != dim and n > 1:
            view = [1] * idx.ndim
            view[d] = n
            offsets = (np.arange(n, dtype=np.int64) * strides[d]).reshape(view)
            if lin is None:
                lin = idx + offsets
            else:
                lin += offsets
    return idx if lin is None else lin


def _take_along(a, idx, dim):
    """``a``'s values at ``idx`` along ``dim`` (``idx`` no larger than ``a`` in the other dims): one
    flat ``np.take`` when ``a`` is contiguous (np.take_along_axis builds an index array per dim and is
    several times slower)."""
    if not idx.size:
        return np.empty(idx.shape, a.dtype)
    if a.flags.c_contiguous:
        return np.take(a.reshape(-1), _linear(idx, dim, a.shape))
    region = idx.shape[:dim] + (a.shape[dim],) + idx.shape[dim + 1:]
    return np.take_along_axis(_leading(a, region), idx, axis=dim)


def _leading(a, shape):
    """The leading block of ``a`` with ``shape`` (index may be smaller than self or src)."""
    if a.shape == tuple(shape):
        return a
    return a[tuple(slice(0, n) for n in shape)]


def _prepare(op, self, dim, index, src_shape=None):
    """Checked (dim, index array) of a gather/scatter; 0-d tensors count as 1-d. (PyTorch checks the
    index dtype only when there are indices: an empty index of any integer dtype passes.)"""
    dim, empty = _check_gather_args(op, self, dim, index, src_shape)
    if empty:
        return dim, _np(index).astype(np.int64)
    idx = _at_least_1d(_index(index, op))
    _check_bounds(op, idx, _shape1(tuple(self.shape))[dim], dim)
    return dim, idx


def _check_gather_args(op, self, dim, index, src_shape=None):
    """(wrapped dim, whether ``index`` is empty) of a gather/scatter, its dtype and shapes checked; the
    bounds are left to the caller (the native kernels check them as they go). No NumPy view of the
    index: exporting a tensor saved for backward costs a checksum of its memory."""
    empty = isinstance(index, _C.TensorBase) and index.numel() == 0 and not index.is_floating_point()
    if not empty:
        _check_index(index, op)
    dim = _wrap_dim(dim, self.dim(), op)
    if not empty:  # (nor, for an empty one, its shape)
        _check_scatter_shapes(op, tuple(self.shape), dim, tuple(index.shape), src_shape)
    return dim, empty


def _native_args(input, index, *src):
    """(input, index, *src) as the native dim kernels take them (csrc/ops/dim_index.cpp): 0-d as 1-d,
    an int32 index as int64."""
    if index.dtype == _C.int32:
        index = index.to(_C.int64)
    return [t if t.dim() else t.reshape(1) for t in (input, index, *src)]


class Gather(Function):
    _node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, input, dim, index):
        dim, empty = _check_gather_args("gather", input, dim, index)
        ctx.dim = dim
        ctx.save_for_backward(index)
        ctx.shape = tuple(input.shape)
        if empty:
            return _zeros(tuple(index.shape), input)
        x, i = _native_args(input, index)
        return _C._gather_dim(x, dim, i, "gather").reshape(tuple(index.shape))

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        if not is_grad_enabled() and grad.dtype in _NATIVE_SCATTER_ADD and index.numel():
            # (the gradient of sort/topk/kthvalue/median's values too: one pass into fresh zeros)
            _, i, g = _native_args(grad, index, grad)
            return _C._scatter_add_zeros_dim(ctx.shape or (1,), ctx.dim, i, g, "gather").reshape(ctx.shape), None, None
        return scatter_add(_zeros(ctx.shape, grad), ctx.dim, index, grad), None, None


def gather(input, dim, index, *, sparse_grad=False):
    """Values of ``input`` along ``dim`` at ``index``: ``out[i][j] = input[index[i][j]][j]`` for dim 0.

    >>> fngrad.gather(fngrad.tensor([[1., 2.], [3., 4.]]), 1, fngrad.tensor([[1], [0]])).tolist()
    [[2.0], [3.0]]
    """
    return Gather.apply(input, dim, index)


def _scatter_forward(op, self, dim, index, src, ufunc=None):
    """``self`` with ``src`` written (or combined with ``ufunc``) at the positions ``index`` names; also
    the flat positions written."""
    src_shape = tuple(src.shape) if isinstance(src, _C.TensorBase) else None
    dim, idx = _prepare(op, self, dim, index, src_shape)
    out = np.array(_at_least_1d(_np(self)), copy=True, order="C")
    if src_shape is not None:
        vals = _leading(_at_least_1d(_np(src)), idx.shape)
    else:
        vals = np.asarray(src, dtype=out.dtype)
    lin = _linear(idx, dim, out.shape)
    flat = out.reshape(-1)
    if ufunc is None:
        flat[lin] = vals
    else:
        ufunc.at(flat, lin.reshape(-1), np.broadcast_to(vals, lin.shape).reshape(-1))
    return dim, lin, out.reshape(tuple(self.shape))


def _src_grad(grad_src_index_shaped, src):
    """The gradient of ``src`` from a gradient over the index's shape (``src`` may be larger)."""
    if tuple(grad_src_index_shaped.shape) == tuple(src.shape):
        return grad_src_index_shaped
    g = _zeros(src.shape, grad_src_index_shaped)
    g[tuple(slice(0, n) for n in grad_src_index_shaped.shape)] = grad_src_index_shaped
    return g


class ScatterAdd(Function):
    _node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, self, dim, index, src):
        if self.dtype in _NATIVE_SCATTER_ADD and isinstance(src, _C.TensorBase) and src.dtype == self.dtype:
            dim, empty = _check_gather_args("scatter_add", self, dim, index, tuple(src.shape))
            x, i, s = _native_args(self, index, src)
            out = self.clone() if empty else _C._scatter_add_dim(x, dim, i, s, "scatter_add")
            out = out.reshape(tuple(self.shape))
        else:
            dim, _, a = _scatter_forward("scatter_add", self, dim, index, src, np.add)
            out = _wrap(a, self.dtype)
        ctx.dim = dim
        ctx.save_for_backward(index, src)
        return out

    @staticmethod
    def backward(ctx, grad):
        index, src = ctx.saved_tensors
        grad_src = _src_grad(gather(grad, ctx.dim, index), src) if ctx.needs_input_grad[3] else None
        return grad, None, None, grad_src


# The dtypes scatter_add's native kernel adds in; the narrow ones keep NumPy's np.add.at, which adds
# in the tensor's own type.
_NATIVE_SCATTER_ADD = (_C.float32, _C.float64, _C.int64, _C.bool)


def scatter_add(input, dim, index, src):
    """``input`` with ``src`` added at ``index`` along ``dim`` (repeated indices accumulate).

    >>> fngrad.scatter_add(fngrad.zeros(3), 0, fngrad.tensor([0, 2, 0]), fngrad.ones(3)).tolist()
    [2.0, 0.0, 1.0]
    """
    return ScatterAdd.apply(input, dim, index, src)


class Scatter(Function):
    _node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, self, dim, index, src, reduce):
        ufunc = {None: None, "add": np.add, "multiply": np.multiply}[reduce]
        dim, _, out = _scatter_forward("scatter", self, dim, index, src, ufunc)
        ctx.dim, ctx.reduce = dim, reduce
        ctx.src_is_tensor = isinstance(src, _C.TensorBase)
        ctx.save_for_backward(index, src if ctx.src_is_tensor else None)
        return _wrap(out, self.dtype)

    @staticmethod
    def backward(ctx, grad):
        index, src = ctx.saved_tensors
        if ctx.reduce is not None:
            raise RuntimeError("[scatter] derivative for aten::scatter is not implemented")
        grad_self = scatter(grad, ctx.dim, index, 0.0) if ctx.needs_input_grad[0] else None
        grad_src = None
        if ctx.src_is_tensor and ctx.needs_input_grad[3]:
            grad_src = _src_grad(gather(grad, ctx.dim, index), src)
        return grad_self, None, None, grad_src, None


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """``input`` with ``src`` (a tensor, or a number ``value``) written at ``index`` along ``dim``;
    ``reduce='add'``/``'multiply'`` combines instead of overwriting.

    >>> fngrad.scatter(fngrad.zeros(3), 0, fngrad.tensor([2]), fngrad.tensor([5.])).tolist()
    [0.0, 0.0, 5.0]
    """
    if src is None:
        if value is None:
            raise TypeError("[scatter] scatter() missing required argument 'src' or 'value'")
        src = value
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"[scatter] reduce argument must be either add or multiply, got {reduce}")
    if isinstance(src, _C.TensorBase) and src.dtype != input.dtype:
        raise RuntimeError("[scatter] scatter(): Expected self.dtype to be equal to src.dtype")
    # PyTorch names the node by the overload: ScatterBackward0 for a tensor src, 1 for a number.
    scatter = Scatter if isinstance(src, _C.TensorBase) else _ScatterValue
    return scatter.apply(input, dim, index, src, reduce)


_REDUCE_IDENTITY = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "amax": -np.inf, "amin": np.inf}
_REDUCE_UFUNC = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


class _ScatterValue(Scatter):
    _node_name = "ScatterBackward1"


class ScatterReduce(Function):
    _node_name = "ScatterReduceBackward0"

    @staticmethod
    def forward(ctx, self, dim, index, src, reduce, include_self):
        op = "scatter_reduce"
        dim, idx = _prepare(op, self, dim, index, tuple(src.shape))
        base = np.array(_at_least_1d(_np(self)), copy=True, order="C")
        lin = _linear(idx, dim, base.shape).reshape(-1)
        vals = _leading(_at_least_1d(_np(src)), idx.shape).reshape(-1)
        flat = base.reshape(-1)
        if not include_self:
            identity = _REDUCE_IDENTITY[reduce]
            if base.dtype.kind in "iu":
                identity = {np.inf: np.iinfo(base.dtype).max, -np.inf: np.iinfo(base.dtype).min}.get(identity, identity)
            elif base.dtype == np.bool_:
                identity = identity > 0  # (bool(-inf) would be True, amax's identity is False)
            flat[lin] = identity
        _REDUCE_UFUNC[reduce].at(flat, lin, vals)
        if reduce == "mean":
            count = np.bincount(lin, minlength=flat.size) + (1 if include_self else 0)
            count = np.maximum(count, 1)
            if flat.dtype.kind in "iu":
                flat[:] = np.floor_divide(flat, count)
            else:
                flat /= count
        ctx.dim, ctx.reduce, ctx.include_self = dim, reduce, include_self
        out = _wrap(base.reshape(tuple(self.shape)), self.dtype)
        ctx.save_for_backward(self, index, src, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        self, index, src, result = ctx.saved_tensors
        dim, reduce, include_self = ctx.dim, ctx.reduce, ctx.include_self
        if is_grad_enabled():  # under create_graph the result must be part of the graph
            result = scatter_reduce(self, dim, index, src, reduce, include_self=include_self)
        # PyTorch's scatter_reduce_backward (FunctionsManual.cpp), reduction by reduction.
        if reduce == "sum":
            grad_self, grad_src = grad, gather(grad, dim, index)
        elif reduce == "mean":
            n = scatter_add(_ones(tuple(self.shape), dtype=grad.dtype) if include_self else _zeros(self.shape, grad),
                            dim, index, _ones(tuple(index.shape), dtype=grad.dtype))
            n = n.masked_fill(n == 0, 1.0)
            grad_self = grad / n
            grad_src = gather(grad_self, dim, index)
        elif reduce == "prod":
            # Zeros: self's gradient is the product of the others; src's where exactly one zero met.
            masked_self = self.masked_fill(self == 0, 1.0)
            masked_self_result = scatter_reduce(masked_self, dim, index, src, reduce, include_self=include_self)
            grad_self = grad * masked_self_result / masked_self
            src_zero = src == 0
            src_num_zeros = gather(scatter_add(_zeros(self.shape, grad), dim, index, src_zero.to(grad.dtype)),
                                   dim, index)
            src_single_zero = src_zero & (src_num_zeros == 1)
            masked_src = src.masked_fill(src_single_zero, 1.0)
            masked_src_result = scatter_reduce(self, dim, index, masked_src, reduce, include_self=include_self)
            grad_src1 = _C.where(src_single_zero, gather(grad * masked_src_result, dim, index),
                                 gather(grad * result, dim, index) / src.masked_fill(src_zero, 1.0))
            grad_src = grad_src1
        else:  # amax, amin: ties share the gradient evenly
            value = gather(result, dim, index)
            self_is_result = (self == result).to(grad.dtype)
            src_is_result = (src == value).to(grad.dtype)
            n = scatter_add(self_is_result, dim, index, src_is_result)
            grad_distributed = grad / n
            grad_self = self_is_result * grad_distributed
            grad_src = src_is_result * gather(grad_distributed, dim, index)
        if not include_self:
            grad_self = scatter(grad_self, dim, index, 0.0)
        return grad_self, None, None, _src_grad(grad_src, src), None, None


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """``input`` with ``src`` reduced into it at ``index`` along ``dim``: ``reduce`` is 'sum', 'prod',
    'mean', 'amax' or 'amin'; with ``include_self=False`` the positions written start from ``src`` alone.

    >>> fngrad.scatter_reduce(fngrad.zeros(2), 0, fngrad.tensor([0, 0, 1]), fngrad.tensor([1., 3., 2.]),
    ...                       "amax", include_self=False).tolist()
    [3.0, 2.0]
    """
    if reduce not in _REDUCE_UFUNC:
        raise RuntimeError(f"[scatter_reduce] reduce argument must be either sum, prod, mean, amax or amin, "
                           f"got {reduce}")
    if src.dtype != input.dtype:
        raise RuntimeError("[scatter_reduce] scatter(): Expected self.dtype to be equal to src.dtype")
    return ScatterReduce.apply(input, dim, index, src, reduce, include_self)


# ----------------------------------------------------------------------------------------------------
# index_*: whole slices along `dim`, one per entry of a 1-d index
# ----------------------------------------------------------------------------------------------------

def _slices_index(op, self, dim, index, what="int32/int64"):
    """Checked (dim, 1-d index array) of an index_* op."""
    dim = _slices_dim(op, self, dim, index, what)
    return dim, _at_least_1d(_np(index).astype(np.int64) if index.dtype == _C.int32 else _np(index))


def _slices_dim(op, self, dim, index, what="int32/int64"):
    """The wrapped dim of an index_* op, ``index``'s dtype and number of dims checked."""
    _check_index(index, op, what)
    dim = _wrap_dim(dim, self.dim(), op)
    if index.dim() > 1:
        raise IndexError(f"[{op}] {op}(): Index is supposed to be a vector")
    return dim


def _vector(t):
    """``t`` with at least one dim (the native slice kernels take 0-d tensors as 1-d)."""
    return t if t.dim() else t.reshape(1)


# The dtypes index_add's native kernel (csrc/ops/index_rows.cpp) adds in; the others keep NumPy.
_NATIVE_INDEX_ADD = (_C.float32, _C.float64, _C.int64)


def _index_add_zeros(shape, dim, index, source, op):
    """Zeros of ``shape`` with ``source``'s slices added along ``dim`` at the 1-d ``index``: the gradient
    of a selection (index_select, embedding). Native, unless the gradient must itself be differentiable
    (create_graph) or the dtype has no native kernel: then index_add, whose own backward is a selection."""
    if is_grad_enabled() or source.dtype not in _NATIVE_INDEX_ADD:
        return index_add(_zeros(shape, source), dim, index, source)
    size = _shape1(tuple(shape))[dim]
    return _C._index_add_dim(None, size, dim, _vector(index), _vector(source), 1.0, op).reshape(tuple(shape))


def _oob(op, idx, size, dim, wording):
    bad = (idx < -size) | (idx >= size) if op == "index_fill" else (idx < 0) | (idx >= size)
    if idx.size and bad.any():
        i = idx[bad][0]
        raise IndexError(f"[{op}] " + wording.format(i=i, size=size, dim=dim))


def _source_check(op, self, dim, count, source):
    """PyTorch's errors for a ``source`` whose slices do not match ``self``'s or the ``count`` indices."""
    s_shape, x_shape = _shape1(tuple(source.shape)), _shape1(tuple(self.shape))
    # PyTorch raises IndexError for index_copy_'s count and RuntimeError for index_add_'s.
    count_error = IndexError if op == "index_copy_" else RuntimeError
    if s_shape[dim] != count:
        where = f": ({s_shape[dim]}), for dim: {dim}" if op == "index_add_" else f" ({s_shape[dim]})"
        raise count_error(f"[{op}] {op}(): Number of indices ({count}) should be equal to source.size(dim){where}")
    # index_copy_ lets a 0-d and a 1-d tensor stand for each other; index_add_ wants equal dims
    scalar_for_vector = op != "index_add_" and source.dim() <= 1 and self.dim() <= 1
    if source.dim() != self.dim() and not scalar_for_vector or any(
            a != b for d, (a, b) in enumerate(zip(s_shape, x_shape)) if d != dim):
        raise RuntimeError(f"[{op}] source tensor shape must match self tensor shape, excluding the specified "
                           f"dimension. Got self.shape = {list(self.shape)} source.shape = {list(source.shape)}")


class IndexSelect(Function):
    _node_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, input, dim, index):
        op = "index_select"
        dim = _slices_dim(op, input, dim, index, "int32 or int64")
        if input.dim() == 0 and index.numel() != 1:
            raise RuntimeError(f"[{op}] index_select(): Index to scalar can have only 1 value, got {index.numel()} "
                               "value(s)")
        ctx.dim, ctx.shape = dim, tuple(input.shape)
        ctx.save_for_backward(index)
        out = _C._index_select_dim(_vector(input), dim, _vector(index), op)
        return out.reshape(()) if input.dim() == 0 else out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        return _index_add_zeros(ctx.shape, ctx.dim, index, grad, "index_select_backward"), None, None


def index_select(input, dim, index):
    """The slices of ``input`` along ``dim`` at the positions of the 1-d ``index``.

    >>> fngrad.index_select(fngrad.tensor([[1., 2.], [3., 4.]]), 0, fngrad.tensor([1, 1])).tolist()
    [[3.0, 4.0], [3.0, 4.0]]
    """
    return IndexSelect.apply(input, dim, index)


class IndexAdd(Function):
    _node_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, self, dim, index, source, alpha):
        op = "index_add"
        dim = _slices_dim(op + "_", self, dim, index)
        _source_check(op + "_", self, dim, index.numel(), source)
        if isinstance(source, _C.TensorBase) and source.dtype != self.dtype:
            raise RuntimeError(f"[{op}] index_add_(): self ({_dtype_name(self.dtype)}) and source "
                               f"({_dtype_name(source.dtype)}) must have the same scalar type")
        ctx.dim, ctx.alpha = dim, alpha
        ctx.save_for_backward(index)
        # (an integer alpha beyond 2^53 would be rounded by the kernel's double: NumPy adds it exactly)
        if self.dtype in _NATIVE_INDEX_ADD and isinstance(alpha, numbers.Real) and float(alpha) == alpha:
            x = _vector(self)
            out = _C._index_add_dim(x, x.shape[dim], dim, _vector(index), _vector(source), float(alpha), op)
            return out.reshape(tuple(self.shape))
        idx = _at_least_1d(_np(index).astype(np.int64))
        out = np.array(_at_least_1d(_np(self)), copy=True)
        if self.dim() <= 1:  # (PyTorch's wording differs by the number of dims, as the kernel's does)
            _oob(op, idx, out.shape[dim], dim, "index out of range in self")
        _check_bounds(op, idx, out.shape[dim], dim)
        src = _at_least_1d(_np(source))
        if alpha != 1:
            src = src * np.asarray(alpha).astype(out.dtype)  # (alpha=-1 wraps around in uint8, as in C++)
        if idx.size and np.bincount(idx, minlength=out.shape[dim]).max() <= 1:
            # Distinct indices: a plain indexed add (np.add.at over whole slices is ~25x slower).
            np.moveaxis(out, dim, 0)[idx] += np.moveaxis(src, dim, 0)
        elif idx.size:
            # Repeats: np.add.at over flat positions, which NumPy runs on a fast 1-d path.
            along = np.broadcast_to(idx.reshape([-1 if d == dim else 1 for d in range(out.ndim)]), src.shape)
            np.add.at(out.reshape(-1), _linear(along, dim, out.shape).reshape(-1), src.reshape(-1))
        return _wrap(out.reshape(tuple(self.shape)), self.dtype)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_source = None
        if ctx.needs_input_grad[3]:
            grad_source = index_select(grad, ctx.dim, index)
            if ctx.alpha != 1:
                grad_source = grad_source * ctx.alpha
        return grad, None, None, grad_source, None


def index_add(input, dim, index, source, *, alpha=1):
    """``input`` with ``alpha * source``'s slices added along ``dim`` at ``index`` (repeats accumulate).

    >>> fngrad.index_add(fngrad.zeros(3), 0, fngrad.tensor([0, 0]), fngrad.ones(2), alpha=2).tolist()
    [4.0, 0.0, 0.0]
    """
    return IndexAdd.apply(input, dim, index, source, alpha)


class IndexCopy(Function):
    _node_name = "IndexCopyBackward0"

    @staticmethod
    def forward(ctx, self, dim, index, source):
        op = "index_copy_"
        dim, idx = _slices_index(op, self, dim, index)
        _source_check(op, self, dim, idx.size, source)
        out = np.array(_at_least_1d(_np(self)), copy=True)
        _oob(op, idx, out.shape[dim], dim, "index_copy_(): index {i} is out of bounds for dimension {dim} "
                                           "with size {size}")
        np.moveaxis(out, dim, 0)[idx] = np.moveaxis(_at_least_1d(_np(source)), dim, 0)
        ctx.dim = dim
        ctx.save_for_backward(index)
        return _wrap(out.reshape(tuple(self.shape)), self.dtype)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_self = index_fill(grad, ctx.dim, index, 0.0) if ctx.needs_input_grad[0] else None
        grad_source = index_select(grad, ctx.dim, index) if ctx.needs_input_grad[3] else None
        return grad_self, None, None, grad_source


def index_copy(input, dim, index, source):
    """``input`` with the slices along ``dim`` at ``index`` replaced by ``source``'s.

    >>> fngrad.index_copy(fngrad.zeros(3), 0, fngrad.tensor([2]), fngrad.tensor([7.])).tolist()
    [0.0, 0.0, 7.0]
    """
    return IndexCopy.apply(input, dim, index, source)


class IndexFill(Function):
    _node_name = "IndexFillBackward0"

    @staticmethod
    def forward(ctx, self, dim, index, value):
        op = "index_fill"
        dim, idx = _slices_index(op + "_", self, dim, index)
        out = np.array(_at_least_1d(_np(self)), copy=True)
        _oob(op, idx, out.shape[dim], dim, "index {i} is out of bounds for dimension {dim} with size {size}")
        if isinstance(value, _C.TensorBase):
            if value.dim() != 0:
                raise RuntimeError(f"[index_fill_] index_fill_ only supports a 0-dimensional value tensor, but "
                                   f"got tensor with {value.dim()} dimension(s).")
            value = _np(value)
        np.moveaxis(out, dim, 0)[idx] = value
        ctx.dim = dim
        ctx.save_for_backward(index)
        return _wrap(out.reshape(tuple(self.shape)), self.dtype)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_self = index_fill(grad, ctx.dim, index, 0.0) if ctx.needs_input_grad[0] else None
        grad_value = None
        if ctx.needs_input_grad[3]:  # each filled position once, however often the index repeats it
            grad_value = grad.sum() - index_fill(grad, ctx.dim, index, 0.0).sum()
        return grad_self, None, None, grad_value


def index_fill(input, dim, index, value):
    """``input`` with the slices along ``dim`` at ``index`` set to ``value`` (a number or a 0-d tensor).

    >>> fngrad.index_fill(fngrad.zeros(2, 2), 1, fngrad.tensor([0]), 3.0).tolist()
    [[3.0, 0.0], [3.0, 0.0]]
    """
    # PyTorch names the node by the overload: IndexFillBackward0 for a number, 1 for a tensor.
    index_fill = _IndexFillTensor if isinstance(value, _C.TensorBase) else IndexFill
    return index_fill.apply(input, dim, index, value)


# ----------------------------------------------------------------------------------------------------
# masked_scatter, take_along_dim, put
# ----------------------------------------------------------------------------------------------------

def _broadcast_shape(op, a, b):
    a, b = tuple(a), tuple(b)
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        n = max(len(a), len(b))
        a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
        d = next(i for i in range(n) if a[i] != b[i] and 1 not in (a[i], b[i]))
        raise RuntimeError(f"[{op}] The size of tensor a ({a[d]}) must match the size of tensor b ({b[d]}) at "
                           f"non-singleton dimension {d}") from None


class _IndexFillTensor(IndexFill):
    _node_name = "IndexFillBackward1"


class MaskedScatter(Function):
    _node_name = "MaskedScatterBackward0"

    @staticmethod
    def forward(ctx, self, mask, source):
        op = "masked_scatter_"
        if not isinstance(mask, _C.TensorBase) or mask.dtype != _C.bool:
            raise RuntimeError(f"[{op}] masked_scatter_ only supports boolean masks, but got mask with dtype "
                               f"{_dtype_name(getattr(mask, 'dtype', None))}")
        shape = _broadcast_shape(op, self.shape, mask.shape)
        m = np.broadcast_to(_np(mask), shape)
        n = int(m.sum())
        if n > source.numel():
            raise RuntimeError(f"[{op}] Number of elements of source < number of ones in mask")
        out = np.array(np.broadcast_to(_np(self), shape), copy=True)
        out[m] = _np(source).reshape(-1)[:n]
        ctx.n, ctx.source_shape = n, tuple(source.shape)
        ctx.save_for_backward(mask)
        return _wrap(out, self.dtype)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        grad_self = grad.masked_fill(mask, 0.0) if ctx.needs_input_grad[0] else None
        grad_source = None
        if ctx.needs_input_grad[2]:
            picked = grad[mask.expand(tuple(grad.shape))] if tuple(mask.shape) != tuple(grad.shape) else grad[mask]
            total = int(np.prod(ctx.source_shape, dtype=np.int64))
            if total > ctx.n:
                picked = _C.cat([picked, _zeros((total - ctx.n,), grad)], 0)
            grad_source = picked.reshape(ctx.source_shape)
        return grad_self, None, grad_source


def masked_scatter(input, mask, source):
    """``input`` (broadcast with ``mask``) with the positions where ``mask`` is true filled from
    ``source``'s elements in order.

    >>> fngrad.masked_scatter(fngrad.zeros(3), fngrad.tensor([True, False, True]), fngrad.tensor([1., 2.])).tolist()
    [1.0, 0.0, 2.0]
    """
    return MaskedScatter.apply(input, mask, source)


def take_along_dim(input, indices, dim=None):
    """``input``'s values at ``indices`` along ``dim`` (the flattened tensor when ``dim`` is None),
    the two broadcast against each other apart from ``dim``, as ``numpy.take_along_axis``.

    >>> fngrad.take_along_dim(fngrad.tensor([[3., 1.], [0., 2.]]), fngrad.tensor([[1], [0]]), 1).tolist()
    [[1.0], [0.0]]
    """
    op = "take_along_dim"
    idx = _index(indices, op, "int64")
    if idx.size and idx.min() < 0:  # PyTorch counts negative indices from the end here
        size = input.numel() if dim is None else _shape1(tuple(input.shape))[_wrap_dim(dim, input.dim(), op)]
        indices = _wrap(np.where(idx < 0, idx + size, idx))
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input.dim() != indices.dim():
        raise RuntimeError(f"[{op}] torch.take_along_dim(): input and indices should have the same number of "
                           f"dimensions, but got {input.dim()} dimensions for input, and {indices.dim()} "
                           f"dimensions for indices")
    dim = _wrap_dim(dim, input.dim(), op)
    a, b = list(input.shape), list(indices.shape)
    a[dim] = b[dim] = 1
    shape = list(_broadcast_shape(op, a, b))
    in_shape, idx_shape = list(shape), list(shape)
    in_shape[dim], idx_shape[dim] = input.shape[dim], indices.shape[dim]
    if list(input.shape) != in_shape:
        input = input.expand(in_shape)
    if list(indices.shape) != idx_shape:
        indices = indices.expand(idx_shape)
    return gather(input, dim, indices)


class Put(Function):
    _node_name = "PutBackward0"

    @staticmethod
    def forward(ctx, self, index, source, accumulate):
        op = "put_"
        idx = _index(index, op, "int64").reshape(-1)
        if index.numel() != source.numel():
            raise IndexError(f"[{op}] put_(): Expected source and index to have the same number of elements, "
                               f"but got source.numel() = {source.numel()}, index.numel() = {index.numel()}")
        out = np.array(_np(self), copy=True, order="C")
        flat = out.reshape(-1)
        n = flat.size
        bad = (idx < -n) | (idx >= n)
        if idx.size and bad.any():
            raise IndexError(f"[{op}] out of range: tried to access index {idx[bad][0]} on a tensor of {n} elements.")
        vals = _np(source).reshape(-1)
        if accumulate:
            np.add.at(flat, idx, vals)
        else:
            flat[idx] = vals
        ctx.accumulate, ctx.source_shape = accumulate, tuple(source.shape)
        ctx.save_for_backward(index)
        return _wrap(out, self.dtype)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_self = None
        if ctx.needs_input_grad[0]:
            grad_self = grad if ctx.accumulate else put(grad, index, _zeros(ctx.source_shape, grad))
        grad_source = grad.take(index).reshape(ctx.source_shape) if ctx.needs_input_grad[2] else None
        return grad_self, None, grad_source, None


def put(input, index, source, accumulate=False):
    """``input`` (as if flattened) with ``source``'s elements written at ``index`` (added with
    ``accumulate=True``).

    >>> fngrad.put(fngrad.zeros(2, 2), fngrad.tensor([3, 0]), fngrad.tensor([1., 2.])).tolist()
    [[2.0, 0.0], [0.0, 1.0]]
    """
    return Put.apply(input, index, source, accumulate)


def _inplace(fn):
    """The in-place form of ``fn``: writes its result into ``self`` with ``copy_`` (which records the
    in-place op in the graph and bumps the version counter)."""
    def method(self, *args, **kwargs):
        out = fn(self, *args, **kwargs)
        if tuple(out.shape) != tuple(self.shape):
            raise RuntimeError(f"[{fn.__name__}_] output with shape {list(self.shape)} doesn't match the "
                               f"broadcast shape {list(out.shape)}")
        return self.copy_(out)

    method.__name__ = fn.__name__ + "_"
    method.__doc__ = _inplace_doc(fn, f"In-place form of :func:`{fn.__name__}`.")
    method.__signature__ = _method_signature(fn)
    return method


def _inplace_doc(fn, summary):
    """``summary`` and the in-place example: the one ``fn``'s docstring shows (a line calling
    ``.NAME_(``, for ops whose in-place result differs, e.g. keeps ``self``'s dtype), else its first
    example ``fngrad.NAME(X, ...)`` rewritten as ``X.NAME_(...)``, which prints the same values (as
    the native op table's in-place docstrings are made)."""
    name = fn.__name__
    lines = inspect.cleandoc(fn.__doc__ or "").split("\n")
    at = next((i for i, line in enumerate(lines) if line.lstrip().startswith(">>> ")), None)
    if at is not None:  # an example indented under "Example::": its block, dedented
        indent = len(lines[at]) - len(lines[at].lstrip())
        lines = [line[indent:] if line[:indent].isspace() else line for line in lines]
    prompts = [i for i, line in enumerate(lines) if line.startswith(">>> ")]
    own = [i for i in prompts if f".{name}_(" in lines[i]]
    calls = [i for i in prompts if f"fngrad.{name}(" in lines[i]]
    if not own and not calls:
        return summary
    at = (own or calls)[0]
    stop = at + 1  # the call's continuation lines, then its output
    while stop < len(lines) and lines[stop].startswith("... "):
        stop += 1
    end = stop
    while end < len(lines) and lines[end].strip() and not lines[end].startswith(">>> "):
        end += 1
    start = at  # the lines before it in the same example (names the call uses) come along
    while start > 0 and lines[start - 1].strip():
        start -= 1
    code = "\n".join(line[4:] for line in lines[at:stop])
    if not own:
        call = code.index(f"fngrad.{name}(")
        args, end_of_call = _call_arguments(code, call + len(f"fngrad.{name}("))
        if not args:
            return summary
        code = code[:call] + f"{args[0]}.{name}_({', '.join(args[1:])})" + code[end_of_call:]
    code = "\n".join(("... " if i else ">>> ") + line for i, line in enumerate(code.split("\n")))
    example = lines[start:at] + [code] + lines[stop:end]
    return summary + "\n\n" + "\n".join(example)


def _call_arguments(code, start):
    """The arguments of the call whose ``(`` ends just before ``start`` in ``code``, as source text,
    and the index after its ``)``. Commas split arguments only outside brackets and string literals
    (a string scan rather than ``ast``: these docstrings are made at import)."""
    args, depth, quote, at = [], 0, None, start
    for i in range(start, len(code)):
        c = code[i]
        if quote:
            quote = None if c == quote and code[i - 1] != "\\" else quote
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}" and depth:
            depth -= 1
        elif c == "," and not depth:
            args.append(code[at:i].strip())
            at = i + 1
        elif c == ")":
            args.append(code[at:i].strip())
            return [a for a in args if a], i + 1
    raise ValueError(f"no closing parenthesis in {code!r}")


def _method_signature(fn):
    """``fn``'s signature with its first parameter as ``self``: what ``inspect.signature`` and ``help``
    show for a method made from ``fn`` (rather than the wrapper's ``*args, **kwargs``)."""
    sig = inspect.signature(fn)
    first, *rest = sig.parameters.values()
    return sig.replace(parameters=[first.replace(name="self", kind=first.POSITIONAL_OR_KEYWORD)] + rest,
                       return_annotation=inspect.Signature.empty)


def _inplace_view(fn):
    """The in-place form of the view op ``fn`` (``squeeze_``, ``t_``, ...): ``self`` takes the shape and
    strides of ``fn(self)`` over the same memory, and its version counter is bumped, as PyTorch does.

    A leaf that requires grad is refused with PyTorch's error (outside no-grad). A non-leaf in the
    graph is refused too: its ``grad_fn`` would have to become the view's backward node, which the
    native core cannot yet do to an existing tensor."""
    name = fn.__name__ + "_"

    def method(self, *args, **kwargs):
        if self.requires_grad and is_grad_enabled():
            if self.is_leaf:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            raise NotImplementedError(f"[{name}] in-place view ops on a tensor with autograd history are not "
                                      f"supported; use the out-of-place {fn.__name__}")
        self.data = fn(self.detach(), *args, **kwargs)
        _C._increment_version(self)
        return self

    method.__name__ = name
    method.__doc__ = _inplace_doc(fn, f"In-place form of :func:`{fn.__name__}`: changes ``self``'s shape and strides.")
    method.__signature__ = _method_signature(fn)
    return method


_METHODS = {name: globals()[name] for name in __all__}
for _name in ("scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy", "index_fill",
              "masked_scatter", "put"):
    _METHODS[_name + "_"] = _inplace(globals()[_name])
del _name
