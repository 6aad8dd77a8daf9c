"""The gamma-family functions with an integer parameter: ``polygamma(n, input)`` (a native kernel,
``_C._polygamma``, differentiable in ``input``) and ``mvlgamma(input, p)``, the multivariate
log-gamma function, a sum of ``lgamma`` terms (so its gradient and double backward come from
``lgamma``'s). The elementwise special functions themselves are native op-table entries
(``fngrad.lgamma``, ``fngrad.special.ndtr``, ...).

>>> import fngrad
>>> fngrad.polygamma(1, fngrad.tensor([1.]))
tensor([1.6449])
"""

from __future__ import annotations

import math
import numbers

from . import _C, _creation
from ._compare import _out
from ._indexing_ops import _inplace

__all__ = ["polygamma", "mvlgamma"]


def _check_int(op, name, position, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be int, not {type(value).__name__}")


def polygamma(n, input, *, out=None):
    """The ``n``-th derivative of the digamma function (``polygamma(0, x)`` is ``digamma(x)``),
    elementwise; integer inputs compute in float32.

    >>> fngrad.polygamma(2, fngrad.tensor([1., 2.]))
    tensor([-2.4041, -0.4041])
    """
    _check_int("polygamma", "n", 1, n)
    return _out(_C._polygamma(input, n), out, "polygamma")


def mvlgamma(input, p, *, out=None):
    """The multivariate log-gamma function of dimension ``p``, elementwise:
    ``p (p - 1) / 4 log(pi) + sum_j lgamma(input - j / 2)`` for ``j`` in ``0 .. p - 1``.

    >>> fngrad.mvlgamma(fngrad.tensor([2.5, 3.]), 2)
    tensor([0.8570, 1.5502])
    """
    _check_int("mvlgamma", "p", 2, p)
    if p < 1:
        raise RuntimeError("[mvlgamma] p has to be greater than or equal to 1")
    x = input if input.is_floating_point() else input.to(_creation.get_default_dtype())
    halves = _creation.arange(p, dtype=x.dtype) * -0.5
    terms = _C.lgamma(x.unsqueeze(-1) + halves)
    result = terms.sum(-1) + p * (p - 1) / 4 * math.log(math.pi)
    return _out(result, out, "mvlgamma")


def _polygamma_method(self, n):
    """``polygamma(n, self)``.

    >>> fngrad.tensor([1.]).polygamma(1)
    tensor([1.6449])
    >>> fngrad.tensor([1.]).polygamma_(1)
    tensor([1.6449])
    """
    return polygamma(n, self)


_polygamma_method.__name__ = "polygamma"

_METHODS = {
    "polygamma": _polygamma_method, "polygamma_": _inplace(_polygamma_method),
    "mvlgamma": mvlgamma, "mvlgamma_": _inplace(mvlgamma),
}
