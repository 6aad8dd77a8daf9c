"""How half-precision floats are computed: PyTorch's CPU kernels accumulate float16 and bfloat16 in
float32 and round the result once (squares overflow float16 and long sums lose bits otherwise).
``half_in_float32`` is that rule, written once for the ops that fngrad composes from other ops.
"""

from __future__ import annotations

import functools

from . import _C

HALF_DTYPES = (_C.float16, _C.bfloat16)


def _to(value, dtype):
    return value.to(dtype) if isinstance(value, _C.TensorBase) and value.dtype in HALF_DTYPES else value


def half_in_float32(fn):
    """``fn`` computed in float32 when its first argument is a float16/bfloat16 tensor: every
    half-precision tensor argument is widened, and a float32 tensor result is rounded back to the
    first argument's dtype. Other inputs call ``fn`` unchanged.

    >>> import fngrad
    >>> from fngrad._precision import half_in_float32
    >>> x = fngrad.full((4,), 300.0, dtype=fngrad.float16)
    >>> l2 = lambda t: (t * t).sum().sqrt()
    >>> l2(x), half_in_float32(l2)(x)  # 300 ** 2 overflows float16
    (tensor(inf, dtype=fngrad.float16), tensor(600., dtype=fngrad.float16))
    """

    @functools.wraps(fn)
    def wrapper(input, *args, **kwargs):
        dtype = getattr(input, "dtype", None)
        if dtype not in HALF_DTYPES:
            return fn(input, *args, **kwargs)
        out = fn(_to(input, _C.float32), *(_to(a, _C.float32) for a in args),
                 **{k: _to(v, _C.float32) for k, v in kwargs.items()})
        return out.to(dtype) if isinstance(out, _C.TensorBase) and out.dtype == _C.float32 else out

    return wrapper
