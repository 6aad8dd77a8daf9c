"""Anomaly mode: forward tracebacks attached to backward errors, and NaN checks on every gradient."""

from __future__ import annotations

import functools
import warnings

from .. import _C

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on."""
    return _C.is_anomaly_enabled()


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode checks gradients for NaN."""
    return _C.is_anomaly_check_nan_enabled()


class detect_anomaly:
    """Context manager and decorator that turns anomaly mode on.

    While on, every node records the Python traceback of the forward call that created it; an
    error in backward carries that traceback (as a note on the exception, not as a separate
    warning), and a node that returns a gradient with NaN raises
    ``RuntimeError: Function 'XBackward0' returned nan values in its 0th output.``

    Example::

        >>> import fngrad, warnings
        >>> warnings.simplefilter("ignore")
        >>> x = fngrad.tensor([0.0], requires_grad=True)
        >>> with fngrad.autograd.detect_anomaly():
        ...     y = (x / x).sum()
        ...     try:
        ...         y.backward()
        ...     except RuntimeError as e:
        ...         print(str(e).split(" returned")[0])
        Function 'DivBackward0'
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled for "
            "debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        self._prev = (_C.is_anomaly_enabled(), _C.is_anomaly_check_nan_enabled())
        _C._set_detect_anomaly(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        _C._set_detect_anomaly(*self._prev)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Turns anomaly mode on or off: as a function call or a context manager.

    Example::

        >>> import fngrad
        >>> _ = fngrad.autograd.set_detect_anomaly(True)
        >>> fngrad.autograd.anomaly_mode.is_anomaly_enabled()
        True
        >>> _ = fngrad.autograd.set_detect_anomaly(False)
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (_C.is_anomaly_enabled(), _C.is_anomaly_check_nan_enabled())
        _C._set_detect_anomaly(bool(mode), bool(check_nan))

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _C._set_detect_anomaly(*self._prev)
