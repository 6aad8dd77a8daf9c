"""``fngrad.testing``: ``assert_close`` and ``make_tensor``, as ``torch.testing`` has them, so tests
written for PyTorch (its own included) run with ``import fngrad as torch``.

``assert_close`` compares tensors, NumPy arrays, Python numbers and booleans, ``None``, and nested
sequences and mappings of them, with PyTorch's default tolerances per dtype and PyTorch's
messages (the lines users grep: "Tensor-likes are not close!", "Mismatched elements: 1 / 3
(33.3%)", "The values for attribute 'dtype' do not match: ...", "The failure occurred for item
[1]").

Example::

    >>> import fngrad
    >>> fngrad.testing.assert_close(fngrad.tensor([1., 2.]), fngrad.tensor([1., 2. + 1e-7]))
"""

from __future__ import annotations

import cmath
import collections.abc
import math
import warnings

import numpy as np

from . import _C, _compare, _creation
from ._device import _to_device
from ._typeinfo import finfo, iinfo
from .autograd.grad_mode import no_grad

__all__ = ["assert_close", "make_tensor", "assert_allclose"]

# (rtol, atol) per dtype name, PyTorch's table; other dtypes (integers, bool) compare exactly.
_DTYPE_PRECISIONS = {
    "float16": (0.001, 1e-5),
    "bfloat16": (0.016, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
}
_NUMBER_DTYPE = {int: "int64", float: "float64", complex: "complex128"}


class _Mismatch(Exception):
    """A failed comparison: the exception type to raise, its message, and where in the inputs."""

    def __init__(self, kind, msg, where=()):
        super().__init__(msg)
        self.kind, self.msg, self.where = kind, msg, where

    def to_error(self, msg=None):
        if isinstance(msg, str):
            return self.kind(msg)
        text = self.msg
        if self.where:
            text += "\n\nThe failure occurred for item " + "".join(str([item]) for item in self.where)
        return self.kind(msg(text) if callable(msg) else text)


class _Unsupported(Exception):
    """This comparer does not handle these inputs; the next one is tried."""


def _tolerances(dtype_names, rtol, atol):
    if (rtol is None) != (atol is None):
        raise _Mismatch(
            ValueError,
            "Both 'rtol' and 'atol' must be either specified or omitted, "
            f"but got no {'rtol' if rtol is None else 'atol'}.",
        )
    if rtol is not None:
        return rtol, atol
    pairs = [_DTYPE_PRECISIONS.get(name, (0.0, 0.0)) for name in dtype_names]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _diff_lines(abs_diff, rel_diff, atol, rtol, where_abs=None, where_rel=None):
    equality = rtol == 0 and atol == 0
    lines = []
    for kind, diff, idx, tol in (("absolute", abs_diff, where_abs, atol), ("relative", rel_diff, where_rel, rtol)):
        line = f"{kind.title()} difference: {diff}" if idx is None else f"Greatest {kind} difference: {diff} at index {idx}"
        lines.append(line if equality else f"{line} (up to {tol} allowed)")
    return equality, "\n".join(lines)


def _scalar_message(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    equality, lines = _diff_lines(abs_diff, rel_diff, atol, rtol)
    return f"Scalars are not {'equal' if equality else 'close'}!\n\nExpected {expected} but got {actual}.\n{lines}"


def _compare_bools(actual, expected):
    kinds = (bool, np.bool_)
    if not (isinstance(actual, kinds) and isinstance(expected, kinds)):
        raise _Unsupported
    actual, expected = bool(actual), bool(expected)
    if actual is not expected:
        raise _Mismatch(AssertionError, f"Booleans mismatch: {actual} is not {expected}")


def _compare_numbers(actual, expected, *, rtol, atol, equal_nan, check_dtype, **_):
    kinds = (int, float, complex, np.number)
    if not (isinstance(actual, kinds) and isinstance(expected, kinds)) or isinstance(actual, bool) or isinstance(
        expected, bool
    ):
        raise _Unsupported
    actual, expected = (v.item() if isinstance(v, np.number) else v for v in (actual, expected))
    rtol, atol = _tolerances([_NUMBER_DTYPE[type(v)] for v in (actual, expected)], rtol, atol)
    if check_dtype and type(actual) is not type(expected):
        raise _Mismatch(AssertionError, f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    if actual == expected or (equal_nan and cmath.isnan(actual) and cmath.isnan(expected)):
        return
    abs_diff = abs(actual - expected)
    if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(expected):
        return
    raise _Mismatch(AssertionError, _scalar_message(actual, expected, rtol, atol))


def _compare_tensors(actual, expected, *, allow_subclasses, rtol, atol, equal_nan, check_device, check_dtype,
                     check_stride, **_):
    # PyTorch's rule: the two must be directly related types (a Parameter and a Tensor are; a NumPy
    # array and a tensor are not); anything of one such type is taken as a tensor through as_tensor.
    if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
        raise _Unsupported
    if not allow_subclasses and type(actual) is not type(expected):
        raise _Unsupported
    try:
        actual, expected = (v if isinstance(v, _C.TensorBase) else _creation.as_tensor(v) for v in (actual, expected))
    except Exception:
        raise _Unsupported from None
    rtol, atol = _tolerances([str(actual.dtype).split(".")[-1], str(expected.dtype).split(".")[-1]], rtol, atol)

    def differs(name, a, b):
        raise _Mismatch(AssertionError, f"The values for attribute '{name}' do not match: {a} != {b}.")

    if actual.shape != expected.shape:
        differs("shape", actual.shape, expected.shape)
    if check_stride and actual.stride() != expected.stride():
        differs("stride()", actual.stride(), expected.stride())
    if check_device and actual.device != expected.device:
        differs("device", actual.device, expected.device)
    if check_dtype and actual.dtype != expected.dtype:
        differs("dtype", actual.dtype, expected.dtype)
    with no_grad():
        actual, expected = actual.detach(), expected.detach()
        if actual.dtype != expected.dtype:
            common = _C.promote_types(actual.dtype, expected.dtype)
            actual, expected = actual.to(common), expected.to(common)
        matches = _compare.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
        if bool(matches.all()):
            return
        if actual.dim() == 0:
            raise _Mismatch(AssertionError, _scalar_message(actual.item(), expected.item(), rtol, atol))
        raise _Mismatch(AssertionError, _tensor_message(actual, expected, matches, rtol, atol))


def _tensor_message(actual, expected, matches, rtol, atol):
    total = matches.numel()
    wrong = total - int(matches.sum())
    header = f"Mismatched elements: {wrong} / {total} ({wrong / total:.1%})"
    a, e, ok = actual.flatten(), expected.flatten(), matches.flatten()
    if not actual.dtype.is_floating_point:
        a, e = a.to(_C.int64), e.to(_C.int64)
    # The differences are taken in the inputs' dtype, as PyTorch takes them (float32 inputs give a
    # float32 relative difference), and only at the mismatched elements.
    abs_diff = (a - e).abs()
    abs_diff[ok] = 0
    rel_diff = abs_diff / e.abs()
    rel_diff[ok] = 0
    abs_max, abs_at = abs_diff.max(0)
    rel_max, rel_at = rel_diff.max(0)

    def unravel(flat):
        return tuple(int(i) for i in np.unravel_index(int(flat), tuple(matches.shape)))

    equality, lines = _diff_lines(abs_max.item(), rel_max.item(), atol, rtol, unravel(abs_at), unravel(rel_at))
    return f"Tensor-likes are not {'equal' if equality else 'close'}!\n\n{header}\n{lines}"


def _compare_none(actual, expected, **_):
    if actual is not None and expected is not None:
        raise _Unsupported
    if not (actual is None and expected is None):
        raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}")


_COMPARERS = (_compare_none, lambda a, e, **_: _compare_bools(a, e), _compare_numbers, _compare_tensors)


def _walk(actual, expected, where, options):
    """Walks nested sequences and mappings as PyTorch does; raises the first _Mismatch found."""
    is_seq = isinstance(actual, collections.abc.Sequence) and isinstance(expected, collections.abc.Sequence)
    if is_seq and not isinstance(actual, str) and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _Mismatch(
                AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", where
            )
        for i in range(len(actual)):
            _walk(actual[i], expected[i], (*where, i), options)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        a_keys, e_keys = set(actual), set(expected)
        if a_keys != e_keys:
            raise _Mismatch(
                AssertionError,
                "The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {sorted(e_keys - a_keys)}\n"
                f"Additional keys in the actual mapping: {sorted(a_keys - e_keys)}",
                where,
            )
        try:
            keys = sorted(a_keys)
        except TypeError:
            keys = list(a_keys)
        for key in keys:
            _walk(actual[key], expected[key], (*where, key), options)
        return
    for comparer in _COMPARERS:
        try:
            comparer(actual, expected, **options)
            return
        except _Unsupported:
            continue
        except _Mismatch as mismatch:
            mismatch.where = where
            raise
    raise _Mismatch(
        TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.", where
    )


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Asserts that ``actual`` and ``expected`` are close: ``|actual - expected| <= atol + rtol *
    |expected|`` elementwise, with equal shapes (and dtypes and devices unless told not to check).

    Default tolerances by dtype as PyTorch's (float32: rtol 1.3e-6, atol 1e-5; float64: 1e-7, 1e-7;
    float16: 1e-3, 1e-5; bfloat16: 0.016, 1e-5; integers and bool: exact). ``msg`` replaces the
    message (a string) or edits it (a callable taking the generated message). ``check_layout`` is
    accepted; fngrad has one layout.

    >>> fngrad.testing.assert_close(fngrad.tensor([1., 2.]), fngrad.tensor([1., 2.1]), rtol=0.1, atol=0.)
    >>> fngrad.testing.assert_close(fngrad.tensor([1., 2.]), fngrad.tensor([1., 2.5]))
    Traceback (most recent call last):
    ...
    AssertionError: Tensor-likes are not close!
    <BLANKLINE>
    Mismatched elements: 1 / 2 (50.0%)
    Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)
    Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)
    """
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype, check_stride=check_stride)
    try:
        _walk(actual, expected, (), options)
    except _Mismatch as mismatch:
        raise mismatch.to_error(msg) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated form of :func:`assert_close` (warns ``FutureWarning``, as PyTorch's): compares
    without checking dtypes, with looser defaults (float32: rtol 1e-4, atol 1e-5).

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fngrad.testing.assert_allclose(fngrad.tensor([1., 2.]), [1., 2.00001])
    """
    warnings.warn(
        "`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future release. "
        "Please use `torch.testing.assert_close()` instead. "
        "You can find detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844.",
        FutureWarning,
        stacklevel=2,
    )
    if not isinstance(actual, _C.TensorBase):
        actual = _creation.tensor(actual)
    if not isinstance(expected, _C.TensorBase):
        expected = _creation.tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        loose = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-5, 1e-8)}
        pairs = [loose.get(str(t.dtype).split(".")[-1], (0.0, 0.0)) for t in (actual, expected)]
        rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False, msg=msg or None)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` and ``dtype`` with values drawn uniformly from ``[low, high)``; the
    defaults are PyTorch's: ``[-9, 9)`` for floats, ``[-9, 10)`` for signed integers (``[0, 10)``
    unsigned), ``{False, True}`` for bool. ``noncontiguous=True`` gives a strided view;
    ``exclude_zero=True`` replaces zeros by 1 (integers) or the dtype's tiny value (floats).

    >>> t = fngrad.testing.make_tensor(2, 3, dtype=fngrad.float32, device="cpu", low=-1, high=1)
    >>> t.shape, bool(((t >= -1) & (t < 1)).all())
    (fngrad.Size([2, 3]), True)
    """
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError(
            "The parameters `noncontiguous` and `memory_format` are mutually exclusive, "
            f"but got noncontiguous={noncontiguous} and memory_format={memory_format}"
        )
    floating = dtype.is_floating_point
    if requires_grad and not floating:
        raise ValueError(
            f"`requires_grad=True` is not supported for boolean and integral dtypes, but got dtype={dtype}"
        )
    if floating:
        info = finfo(dtype)
        lowest, highest, default_low, default_high = info.min, info.max, -9, 9
    elif dtype == _C.bool:
        lowest, highest, default_low, default_high = 0, 2, 0, 2
    else:
        info = iinfo(dtype)
        lowest, highest = info.min, info.max + (1 if dtype != _C.int64 else 0)
        default_low, default_high = -9, 10
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and floating:
        warnings.warn(
            "Passing `low==high` to `torch.testing.make_tensor` for floating or complex types is deprecated "
            "since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(
            f"The value interval specified by `low` and `high` is [{low}, {high}), "
            f"but {dtype} only supports [{lowest}, {highest})"
        )
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    noncontiguous = noncontiguous and math.prod(shape) > 1
    full_shape = (*shape[:-1], 2 * shape[-1]) if noncontiguous else shape
    _to_device(device)  # validates the device as the other creation functions do
    if floating:
        result = _creation.empty(full_shape, dtype=dtype).uniform_(low, high)
    else:
        result = _creation.randint(math.ceil(low), math.ceil(high), full_shape, dtype=dtype)
    if noncontiguous:
        result = result[..., ::2]
    if exclude_zero:
        result[result == 0] = 1 if not floating else finfo(dtype).tiny
    if floating:
        result.requires_grad_(requires_grad)
    return result
