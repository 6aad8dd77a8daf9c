"""More math ops composed from differentiable fngrad ops (so their gradients, and double
backward, come from the ops they are built of): aminmax, broadcasting helpers, clamp_min/max,
positive, sgn, rsub, logit, fmax/fmin, heaviside, isin, ldexp, frexp, float_power, nextafter, nanmean,
nansum, std_mean, var_mean, diff, dist.

>>> import fngrad
>>> fngrad.fmax(fngrad.tensor([1., float('nan')]), fngrad.tensor([2., 0.]))
tensor([2., 0.])
"""

from __future__ import annotations

import builtins
import collections
import types

import numpy as np

from . import _C, _classify, _compare, _creation
from . import _functions as _fn
from ._functions import return_types
from ._indexing_ops import _inplace, _np, _wrap, _wrap_dim
from ._precision import half_in_float32
from .autograd.function import Function

__all__ = ["aminmax", "broadcast_shapes", "broadcast_tensors", "clamp_min", "clamp_max", "positive", "sgn",
           "rsub", "logit", "fmax", "fmin", "heaviside", "isin", "ldexp", "frexp", "float_power", "nextafter",
           "nanmean", "nansum", "std_mean", "var_mean", "diff", "dist", "renorm", "cov", "corrcoef", "trapezoid",
           "trapz", "cumulative_trapezoid"]

return_types.aminmax = collections.namedtuple("aminmax", ["min", "max"])


# The fngrad functions the ops are composed of, under their public names.
_ns = types.SimpleNamespace(
    amin=_fn.amin, amax=_fn.amax, clamp=_fn.clamp, sign=_C.sign, sub=_C.sub, log=_C.log, where=_fn.where,
    isnan=_classify.isnan, pow=_C.pow, zeros_like=_creation.zeros_like, sum=_fn.sum, mean=_fn.mean, std=_fn.std,
    var=_fn.var, cat=_fn.cat, norm=_fn.norm, tensor=_creation.tensor, Size=_C.Size,
    get_default_dtype=_creation.get_default_dtype, bool=_C.bool, float64=_C.float64)


def _t(x, like=None):
    """``x`` as a tensor (a Python scalar takes ``like``'s dtype when that is floating)."""
    if isinstance(x, _C.TensorBase):
        return x
    f = _ns
    if like is not None and like.is_floating_point() and isinstance(x, (builtins.int, builtins.float)):
        return f.tensor(x, dtype=like.dtype)
    return f.tensor(x)


def aminmax(input, *, dim=None, keepdim=False):
    """The minimum and maximum of ``input`` (over ``dim``, or all elements).

    >>> fngrad.aminmax(fngrad.tensor([3., 1., 2.]))
    aminmax(min=tensor(1.), max=tensor(3.))
    """
    f = _ns
    if input.numel() == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    if dim is None:
        if keepdim:
            mn, mx = f.amin(input, dim=tuple(range(input.dim())), keepdim=True), \
                f.amax(input, dim=tuple(range(input.dim())), keepdim=True)
            return return_types.aminmax(mn, mx)
        return return_types.aminmax(f.amin(input), f.amax(input))
    return return_types.aminmax(f.amin(input, dim, keepdim), f.amax(input, dim, keepdim))


def broadcast_shapes(*shapes):
    """The shape tensors of ``shapes`` broadcast to.

    >>> fngrad.broadcast_shapes((2, 1), (3,))
    fngrad.Size([2, 3])
    """
    norm = [(s,) if isinstance(s, (builtins.int, np.integer)) else tuple(s) for s in shapes]
    try:
        out = np.broadcast_shapes(*norm)
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {norm}") from None
    return _ns.Size(out)


def broadcast_tensors(*tensors):
    """``tensors`` expanded to their common broadcast shape.

    >>> [t.shape for t in fngrad.broadcast_tensors(fngrad.zeros(2, 1), fngrad.zeros(3))]
    [fngrad.Size([2, 3]), fngrad.Size([2, 3])]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*[tuple(t.shape) for t in tensors])
    return tuple(t.expand(shape) for t in tensors)  # the tuple form: a 0-d shape is ()


def clamp_min(input, min):
    """``input`` clamped below at ``min``.

    >>> fngrad.clamp_min(fngrad.tensor([-1., 2.]), 0)
    tensor([0., 2.])
    """
    return _ns.clamp(input, min=min)


def clamp_max(input, max):
    """``input`` clamped above at ``max``.

    >>> fngrad.clamp_max(fngrad.tensor([-1., 2.]), 0)
    tensor([-1.,  0.])
    """
    return _ns.clamp(input, max=max)


def positive(input):
    """``input`` itself (unary plus).

    >>> fngrad.positive(fngrad.tensor([-1.]))
    tensor([-1.])
    """
    if input.dtype == _ns.bool:
        raise TypeError("The `+` operator, on a bool tensor is not supported.")
    return input


def sgn(input):
    """The sign of ``input`` (equal to ``sign`` for real tensors).

    >>> fngrad.sgn(fngrad.tensor([-2., 0., 3.]))
    tensor([-1.,  0.,  1.])
    """
    return _ns.sign(input)


def _refuse_numbers(op, args, signatures):
    """PyTorch's argument-parser TypeError for a Python function whose signatures (a list of
    strings) need a tensor somewhere the call has none."""
    got = ", ".join("Tensor" if isinstance(a, _C.TensorBase) else type(a).__name__ for a in args)
    raise TypeError(f"{op}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                    + "".join(f" * ({sig})\n" for sig in signatures))


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``.

    >>> fngrad.rsub(fngrad.tensor([1., 2.]), 5)
    tensor([4., 3.])
    """
    if not isinstance(input, _C.TensorBase):
        _refuse_numbers("rsub", (input, other), ["Tensor input, Tensor other, *, Number alpha = 1",
                                                 "Tensor input, Number other, Number alpha = 1"])
    return _ns.sub(other, input, alpha=alpha)  # a number `other` is a wrapped number (True refused, as sub)


def logit(input, eps=None):
    """log(p / (1 - p)), with ``input`` first clamped to [eps, 1 - eps] when ``eps`` is given.

    >>> fngrad.logit(fngrad.tensor([0.5]))
    tensor([0.])
    """
    f = _ns
    x = input if input.is_floating_point() else input.to(f.get_default_dtype())
    return _Logit.apply(x, eps)


class _Logit(Function):
    """logit with PyTorch's logit_backward: ``g / (x (1 - x))``, NaN outside [0, 1] without ``eps``
    (where the forward is NaN too) and 0 outside [eps, 1 - eps] with it (the clamped region)."""

    _node_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        f = _ns
        clamped = x if eps is None else f.clamp(x, eps, 1 - eps)
        return f.log(clamped / (1 - clamped))

    @staticmethod
    def backward(ctx, grad):
        f = _ns
        x, = ctx.saved_tensors
        eps = ctx.eps
        lo, hi, outside = (0, 1, float("nan")) if eps is None else (eps, 1 - eps, 0.0)
        return f.where((x < lo) | (x > hi), f.tensor(outside, dtype=grad.dtype), grad / (x * (1 - x))), None


def _tensors(op, input, other):
    """``input`` and ``other``, which PyTorch's signature of ``op`` wants both to be tensors."""
    return _compare._input(input, op), _compare._input(other, op, "other", 2)


def _fminmax(input, other, pick, op):
    f = _ns
    a, b = _tensors(op, input, other)
    keep_a = pick(a, b)
    if b.is_floating_point():
        keep_a = keep_a | f.isnan(b)
    return f.where(keep_a, a, b)


def fmax(input, other):
    """The elementwise maximum, ignoring NaN (NaN only where both are NaN).

    >>> fngrad.fmax(fngrad.tensor([1., float('nan')]), fngrad.tensor([0., 2.]))
    tensor([1., 2.])
    """
    return _fminmax(input, other, lambda a, b: a >= b, "fmax")


def fmin(input, other):
    """The elementwise minimum, ignoring NaN (NaN only where both are NaN).

    >>> fngrad.fmin(fngrad.tensor([1., float('nan')]), fngrad.tensor([0., 2.]))
    tensor([0., 2.])
    """
    return _fminmax(input, other, lambda a, b: a <= b, "fmin")


def heaviside(input, values):
    """0 where ``input`` < 0, 1 where > 0, ``values`` where it is 0 (no gradient).

    >>> fngrad.heaviside(fngrad.tensor([-1., 0., 2.]), fngrad.tensor([0.5]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    a, v = _np(input), _np(_t(values))
    if a.dtype != v.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes")
    return _wrap(np.heaviside(a, v).astype(a.dtype), input.dtype)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Where each element of ``elements`` is in ``test_elements`` (bool, no gradient).

    >>> fngrad.isin(fngrad.tensor([1, 2, 3]), fngrad.tensor([2, 5])).tolist()
    [False, True, False]
    """
    e = _np(elements) if isinstance(elements, _C.TensorBase) else np.asarray(elements)
    t = _np(test_elements) if isinstance(test_elements, _C.TensorBase) else np.asarray(test_elements)
    return _wrap(np.isin(e, t, invert=invert))


def ldexp(input, other):
    """``input * 2 ** other``.

    >>> fngrad.ldexp(fngrad.tensor([1.]), fngrad.tensor([3]))
    tensor([8.])
    """
    f = _ns
    x = input if input.is_floating_point() else input.to(f.get_default_dtype())
    o = _t(other)
    return x * f.pow(f.tensor(2.0, dtype=x.dtype), o if o.is_floating_point() else o.to(x.dtype))


return_types.frexp = collections.namedtuple("frexp", ["mantissa", "exponent"])


def frexp(input, *, out=None):
    """``(mantissa, exponent)`` with ``input = mantissa * 2 ** exponent``, ``0.5 <= |mantissa| < 1`` (zero,
    inf and NaN keep their value with exponent 0); the exponent is int32. Only the mantissa has a gradient.

    >>> fngrad.frexp(fngrad.tensor([3., 0.25]))
    frexp(mantissa=tensor([0.7500, 0.5000]), exponent=tensor([ 2, -1], dtype=fngrad.int32))
    """
    if not input.is_floating_point():
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    with np.errstate(invalid="ignore"):
        _, exponent = np.frexp(_np(input))
    exponent = _wrap(exponent.astype(np.int32))
    mantissa = _Frexp.apply(input, exponent)
    if out is not None:
        out[0].copy_(mantissa)
        out[1].copy_(exponent)
        return return_types.frexp(*out)
    return return_types.frexp(mantissa, exponent)


class _Frexp(Function):
    """mantissa = x * 2 ** -exponent, the exponent held fixed: its gradient is grad * 2 ** -exponent."""
    _node_name = "FrexpBackward0"

    @staticmethod
    def forward(ctx, input, exponent):
        ctx.scale = _wrap(np.ldexp(np.ones(1), -_np(exponent)), input.dtype)
        with np.errstate(invalid="ignore"):
            mantissa, _ = np.frexp(_np(input))
        return _wrap(mantissa, input.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None


def float_power(input, exponent):
    """``input ** exponent`` computed in double precision.

    >>> fngrad.float_power(fngrad.tensor([2]), 3)
    tensor([8.], dtype=fngrad.float64)
    """
    f = _ns
    if not isinstance(input, _C.TensorBase) and not isinstance(exponent, _C.TensorBase):
        _refuse_numbers("float_power", (input, exponent), ["Tensor input, Tensor exponent, *, Tensor out = None",
                                                           "Number self, Tensor exponent, *, Tensor out = None",
                                                           "Tensor input, Number exponent, *, Tensor out = None"])
    # A Python number base is taken in double precision, as PyTorch does (not rounded to float32 first).
    x = input.to(f.float64) if isinstance(input, _C.TensorBase) else f.tensor(input, dtype=f.float64)
    e = exponent.to(f.float64) if isinstance(exponent, _C.TensorBase) else builtins.float(exponent)
    return f.pow(x, e)


def _float_power_(self, exponent):
    """In-place float_power: ``self`` must be float64 (the result's dtype).

    >>> x = fngrad.tensor([2.], dtype=fngrad.float64); x.float_power_(2)
    tensor([4.], dtype=fngrad.float64)
    """
    if self.dtype != _ns.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {str(self.dtype).split('.')[-1].capitalize()} "
                           "but the operation's result requires dtype Double")
    return self.copy_(float_power(self, exponent))


def _nextafter_bfloat16(a, b):
    """np.nextafter on the bfloat16 grid, for float32 arrays holding bfloat16 values: a bfloat16 is
    the upper 16 bits of a float32, so one ulp is one step of those bits."""
    a, b = np.broadcast_arrays(a.astype(np.float32), b.astype(np.float32))
    bits = (a.view(np.uint32) >> 16).astype(np.int64)
    away = (b > a) == (a > 0)  # moving away from zero grows the magnitude bits
    bits = np.where(away, bits + 1, bits - 1)
    # from zero: the smallest subnormal with b's sign
    bits = np.where(a == 0, np.where(b > 0, 0x0001, 0x8001), bits)
    out = (bits.astype(np.uint32) << 16).view(np.float32)
    return np.where(a == b, b, np.where(np.isnan(a) | np.isnan(b), np.float32(np.nan), out))


def nextafter(input, other):
    """The next float after ``input`` towards ``other`` (no gradient).

    >>> fngrad.nextafter(fngrad.tensor([1.]), fngrad.tensor([2.])) > 1
    tensor([True])
    """
    other = _t(other, input)
    return _NextAfter.apply(input, other)


class _NextAfter(Function):
    """nextafter(x, y) is x moved by one ulp: its gradient is 1 for input and 0 for other."""
    _node_name = "NextafterBackward0"

    @staticmethod
    def forward(ctx, input, other):
        dtype = _C.result_type(input, other)
        a, b = _np(input.to(dtype)), _np(other.to(dtype))
        with np.errstate(invalid="ignore"):
            out = _nextafter_bfloat16(a, b) if dtype == _C.bfloat16 else np.nextafter(a, b)
        out = np.where(a == b, b, out)  # equal values give other (its sign of zero), as C's nextafter
        return _wrap(out, dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad, _creation.zeros_like(grad) if ctx.needs_input_grad[1] else None


def _dims(input, dim):
    return tuple(range(input.dim())) if dim is None else dim


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum of ``input`` treating NaN as zero.

    >>> fngrad.nansum(fngrad.tensor([1., float('nan'), 2.]))
    tensor(3.)
    """
    f = _ns
    x = f.where(f.isnan(input), f.zeros_like(input), input) if input.is_floating_point() else input
    if dim is None and not keepdim:
        return f.sum(x, dtype=dtype)
    return f.sum(x, _dims(input, dim), keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN elements of ``input``.

    >>> fngrad.nanmean(fngrad.tensor([1., float('nan'), 2.]))
    tensor(1.5000)
    """
    f = _ns
    if not input.is_floating_point() and dtype is None:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got {input.dtype}")
    count = nansum((~f.isnan(input)).to(input.dtype if dtype is None else dtype), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


def _stat_mean(stat, input, dim, unbiased, keepdim, correction):
    f = _ns
    if isinstance(dim, builtins.bool):
        dim, unbiased = None, dim
    kw = {"keepdim": keepdim}
    if correction is not None:
        kw["correction"] = correction
    elif unbiased is not None:
        kw["unbiased"] = unbiased
    s = stat(input, dim, **kw)
    m = f.mean(input) if dim is None and not keepdim else f.mean(input, _dims(input, dim), keepdim)
    return s, m


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The standard deviation and the mean of ``input`` (see ``std``).

    >>> fngrad.std_mean(fngrad.tensor([1., 3.]))
    (tensor(1.4142), tensor(2.))
    """
    return _stat_mean(_ns.std, input, dim, unbiased, keepdim, correction)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The variance and the mean of ``input`` (see ``var``).

    >>> fngrad.var_mean(fngrad.tensor([1., 3.]))
    (tensor(2.), tensor(2.))
    """
    return _stat_mean(_ns.var, input, dim, unbiased, keepdim, correction)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference of ``input`` along ``dim`` (after concatenating ``prepend``
    and ``append``).

    >>> fngrad.diff(fngrad.tensor([1., 4., 9.]))
    tensor([3., 5.])
    """
    f = _ns
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = _wrap_dim(dim, input.dim(), "diff")
    if n == 0:
        return input
    parts = [p for p in (prepend, input, append) if p is not None]
    parts = [p if p.dim() else p.expand(*[1 if i == d else s for i, s in enumerate(input.shape)]) for p in parts]
    x = f.cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        size = x.shape[d]
        if size == 0:
            break
        a, b = x.narrow(d, 1, size - 1), x.narrow(d, 0, size - 1)
        x = (a != b) if x.dtype == f.bool else a - b
    return x


def dist(input, other, p=2):
    """The ``p``-norm of ``input - other``.

    >>> fngrad.dist(fngrad.tensor([0., 0.]), fngrad.tensor([3., 4.]))
    tensor(5.)
    """
    f = _ns
    input, other = _tensors("dist", input, other)
    d = input - other
    if p == 0:
        return (d != 0).to(d.dtype).sum()
    if p in (float("inf"), -float("inf")):
        return f.norm(d, p)
    return half_in_float32(f.norm)(d, p)


def renorm(input, p, dim, maxnorm):
    """``input`` with each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled down to
    norm ``maxnorm``.

    >>> fngrad.renorm(fngrad.tensor([[3., 4.], [0.3, 0.4]]), 2, 0, 1.)
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]])
    """
    d = _wrap_dim(dim, input.dim(), "renorm")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    others = tuple(i for i in range(input.dim()) if i != d)
    norms = _ns.norm(input, p, others, True) if others else input.abs()
    # PyTorch's guard against dividing by a norm of exactly maxnorm's scale: 1e-7
    factor = _ns.where(norms > maxnorm, maxnorm / (norms + 1e-7), _ns.tensor(1.0, dtype=input.dtype))
    return input * factor


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of ``input`` (observations in columns),
    with frequency weights ``fweights`` and observation weights ``aweights``.

    >>> fngrad.cov(fngrad.tensor([[0., 1., 2.], [2., 1., 0.]]))
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.dim()} dimensions")
    if input.dtype == _C.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input if input.is_floating_point() else input.to(_ns.get_default_dtype())
    x = x.reshape(1, -1) if x.dim() < 2 else x
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights.to(x.dtype)
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        avg = x.mean(1)
        factor = n - correction
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            factor = w_sum
        elif aweights is None:
            factor = w_sum - correction
        else:
            factor = w_sum - correction * (w * aweights).sum() / w_sum
    if isinstance(factor, _C.TensorBase):
        factor = _ns.clamp(factor, min=0)
    else:
        factor = builtins.max(factor, 0)
    xm = x - avg.reshape(-1, 1)
    c = xm @ (xm * w if w is not None else xm).mT  # PyTorch's order of operations (the gradients round alike)
    return (c / factor).squeeze()


def corrcoef(input):
    """The Pearson correlation coefficients of the variables in the rows of ``input``.

    >>> fngrad.corrcoef(fngrad.tensor([[0., 1., 2.], [2., 1., 0.]]))
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    c = cov(input)
    if c.dim() == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.reshape(-1, 1) / std.reshape(1, -1)
    return _ns.clamp(c, -1, 1)


def _spacing(y, x, dx, d, op):
    """The spacing between consecutive samples of ``y`` along dim ``d``: from coordinates ``x``
    (broadcast along ``d`` when 1-D), or the constant ``dx``."""
    if x is None:
        return 1 if dx is None else dx
    if x.dim() == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{op}: There must be one `x` value for each sample point")
        return diff(x).reshape(*[-1 if i == d else 1 for i in range(y.dim())])
    return diff(x, dim=d - y.dim())


def _trapezoids(y, x, dx, dim, op):
    """(dim, the doubled areas of the trapezoids along it). With coordinates ``x``, PyTorch computes
    ``(left + right) * diff(x)`` in the inputs' dtype (narrow integers wrap around) and halves only
    after summing; with a constant spacing it computes in floats."""
    if y.dtype == _C.bool or x is not None and x.dtype == _C.bool:
        which = "`y`" if x is None else "`x` or `y`"
        raise RuntimeError(f"{op}: received a bool input for {which}, but bool is not supported")
    d = _wrap_dim(dim, y.dim(), op)
    yf = y if y.is_floating_point() or x is not None else y.to(_ns.get_default_dtype())
    size = y.shape[d]
    if size == 0:
        return d, yf.narrow(d, 0, 0)
    return d, (yf.narrow(d, 1, size - 1) + yf.narrow(d, 0, size - 1)) * _spacing(yf, x, dx, d, op)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of ``y`` along ``dim`` by the trapezoidal rule, at coordinates ``x`` or spacing ``dx``.

    >>> fngrad.trapezoid(fngrad.tensor([1., 2., 3.]))
    tensor(4.)
    """
    if x is not None and not isinstance(x, _C.TensorBase):
        x, dx = None, x
    d, areas = _trapezoids(y, x, dx, dim, "trapezoid")
    return areas.sum(d) / 2


def trapz(y, x=None, *, dx=None, dim=-1):
    """Alias of ``trapezoid``.

    >>> fngrad.trapz(fngrad.tensor([1., 2., 3.]), dx=2)
    tensor(8.)
    """
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running integral of ``y`` along ``dim`` by the trapezoidal rule.

    >>> fngrad.cumulative_trapezoid(fngrad.tensor([1., 2., 3.]))
    tensor([1.5000, 4.0000])
    """
    if x is not None and not isinstance(x, _C.TensorBase):
        x, dx = None, x
    d, areas = _trapezoids(y, x, dx, dim, "cumulative_trapezoid")
    return areas.cumsum(d) / 2


_METHODS = {
    "aminmax": aminmax, "clamp_min": clamp_min, "clamp_max": clamp_max,
    "clamp_min_": _inplace(clamp_min), "clamp_max_": _inplace(clamp_max),
    "positive": positive, "sgn": sgn, "sgn_": _inplace(sgn), "logit": logit, "logit_": _inplace(logit),
    "fmax": fmax, "fmin": fmin, "heaviside": heaviside, "heaviside_": _inplace(heaviside), "ldexp": ldexp,
    "ldexp_": _inplace(ldexp), "frexp": frexp, "float_power": float_power, "nextafter": nextafter,
    "nextafter_": _inplace(nextafter), "float_power_": _float_power_, "nanmean": nanmean, "nansum": nansum,
    "diff": diff, "dist": dist,
    "renorm": renorm, "renorm_": _inplace(renorm), "cov": cov, "corrcoef": corrcoef,
}
