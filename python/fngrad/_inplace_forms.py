"""In-place forms of ops defined elsewhere, and ``fill`` (the out-of-place form of ``fill_``) (comparisons,
logical ops, index_put, index_reduce, the view ops squeeze/unsqueeze/t/transpose), made by the two shared helpers
of ``_indexing_ops``:
``_inplace`` (``self.copy_(op(self, ...))``: recorded in the graph, version counter bumped, PyTorch's
error for a leaf that requires grad) and ``_inplace_view`` (``self`` takes the view's shape and strides).

Example::

    >>> import fngrad
    >>> x = fngrad.tensor([1., 2., 3.])
    >>> x.ge_(2)
    tensor([0., 1., 1.])
    >>> fngrad.ones(2, 1).squeeze_().shape
    fngrad.Size([2])
"""

from __future__ import annotations

from . import _C, _compare, _creation, _functions, _views_more
from ._indexing_ops import _inplace, _inplace_view

__all__ = ["fill"]


def fill(input, value):
    """A tensor like ``input`` filled with ``value`` (a number or a 0-d tensor, cast to ``input``'s
    dtype): the out-of-place form of ``fill_``, differentiable in a tensor ``value``.

    >>> fngrad.fill(fngrad.zeros(2), 3.)
    tensor([3., 3.])
    """
    if isinstance(value, _C.TensorBase):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} "
                               f"dimensions.")
        return _functions.where(_creation.ones(tuple(input.shape), dtype=_C.bool), value.to(input.dtype), input)
    return input.clone().fill_(value)


_METHODS = {}
for _fn in (_compare.eq, _compare.ne, _compare.lt, _compare.le, _compare.gt, _compare.ge, _compare.greater,
            _compare.less, _compare.greater_equal, _compare.less_equal, _compare.not_equal,
            _functions.logical_and, _functions.logical_or, _functions.logical_xor, _functions.logical_not,
            _views_more.index_put, _views_more.index_reduce):
    _METHODS[_fn.__name__ + "_"] = _inplace(_fn)
for _fn in (_functions.squeeze, _functions.unsqueeze, _functions.t, _functions.transpose):
    _METHODS[_fn.__name__ + "_"] = _inplace_view(_fn)
_METHODS["swapdims_"] = _METHODS["swapaxes_"] = _METHODS["transpose_"]
del _fn
