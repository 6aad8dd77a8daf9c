"""Grad modes: whether operations are recorded for backward. Thread-local, as in PyTorch."""

from __future__ import annotations

import functools
import inspect

from .. import _C

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
]


def is_grad_enabled() -> bool:
    """Whether operations are recorded in this thread.

    Example::

        >>> import fngrad
        >>> fngrad.is_grad_enabled()
        True
    """
    return _C.is_grad_enabled()


class _GradModeContext:
    """A context manager that is also a decorator (for functions and generators)."""

    _enabled: bool

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._enabled)
        return None

    def __exit__(self, exc_type, exc, tb):
        _C._set_grad_enabled(self._prev)
        return False

    def clone(self):
        return self.__class__()

    def __call__(self, fn):
        if inspect.isclass(fn):
            raise TypeError(f"{type(self).__name__} cannot decorate a class")
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def generator(*args, **kwargs):
                gen = fn(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as e:
                        with self.clone():
                            response = gen.throw(e)
                    else:
                        try:
                            with self.clone():
                                response = gen.send(request)
                        except StopIteration as stop:
                            return stop.value

            return generator

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper


class _NoParamDecoratorContext(_GradModeContext):
    """Also decorates without parentheses, as in PyTorch: ``@no_grad`` and ``no_grad(fn)`` are
    ``no_grad()(fn)``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecoratorContext):
    """Context manager and decorator that turns off recording of operations.

    Example::

        >>> import fngrad
        >>> x = fngrad.ones(2, requires_grad=True)
        >>> with fngrad.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    _enabled = False


class enable_grad(_NoParamDecoratorContext):
    """Context manager and decorator that turns recording back on (e.g. inside ``no_grad``).

    Example::

        >>> import fngrad
        >>> x = fngrad.ones(2, requires_grad=True)
        >>> with fngrad.no_grad():
        ...     with fngrad.enable_grad():
        ...         y = x * 2
        >>> y.requires_grad
        True
    """

    _enabled = True


class set_grad_enabled(_GradModeContext):
    """Sets grad mode on or off: as a function call, a context manager or a decorator.

    Example::

        >>> import fngrad
        >>> _ = fngrad.set_grad_enabled(False)
        >>> fngrad.is_grad_enabled()
        False
        >>> _ = fngrad.set_grad_enabled(True)
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            name = type(mode).__name__ if type(mode).__module__ == "builtins" else (
                f"{type(mode).__module__}.{type(mode).__name__}")
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {name}")
        self._prev = _C.is_grad_enabled()
        self._enabled = mode
        _C._set_grad_enabled(self._enabled)

    def __enter__(self):
        return None

    def __exit__(self, exc_type, exc, tb):
        _C._set_grad_enabled(self._prev)
        return False

    def clone(self):
        """A new ``set_grad_enabled`` context manager with the same mode.

        >>> with fngrad.no_grad():
        ...     with fngrad.set_grad_enabled(True).clone():
        ...         print(fngrad.is_grad_enabled())
        True
        """
        return _SetGradEnabledScope(self._enabled)

    def __call__(self, fn):
        # Used as a decorator: the mode applies inside fn only, not from decoration on.
        _C._set_grad_enabled(self._prev)
        return super().__call__(fn)


class _SetGradEnabledScope(_GradModeContext):
    def __init__(self, mode: bool) -> None:
        self._enabled = mode

    def clone(self):
        return _SetGradEnabledScope(self._enabled)


def is_inference_mode_enabled() -> bool:
    """Whether inference mode is on in this thread.

    >>> with fngrad.inference_mode():
    ...     print(fngrad.is_inference_mode_enabled())
    True
    >>> fngrad.is_inference_mode_enabled()
    False
    """
    return _C.is_inference_mode_enabled()


class inference_mode(_GradModeContext):
    """Like ``no_grad``, and tensors created inside are inference tensors.

    Inference tensors cannot be saved for backward later, nor modified in place outside inference
    mode. ``inference_mode(False)`` does nothing. Works as a context manager and as a decorator.

    Example::

        >>> import fngrad
        >>> with fngrad.inference_mode():
        ...     y = fngrad.ones(2) * 2
        >>> y.is_inference(), y.requires_grad
        (True, False)
    """

    def __new__(cls, mode=True):
        # A bare ``@inference_mode`` passes the function as ``mode``, as in PyTorch.
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = (_C.is_grad_enabled(), _C.is_inference_mode_enabled())
        if self.mode:
            _C._set_inference_mode(True)
            _C._set_grad_enabled(False)
        return None

    def __exit__(self, exc_type, exc, tb):
        _C._set_grad_enabled(self._prev[0])
        _C._set_inference_mode(self._prev[1])
        return False

    def clone(self):
        """A new ``inference_mode`` context manager with the same mode (how a decorator gets a fresh one per call).

        >>> m = fngrad.inference_mode(False)
        >>> m.clone().mode
        False
        """
        return self.__class__(self.mode)
