"""``fngrad.autograd.profiler.record_function``: the label PyTorch code puts around a block for its
profiler. fngrad has no profiler (``torch.profiler.profile`` has no counterpart), so nothing
collects the labels: the block runs unchanged, and code written with them runs as it is.

Example::

    >>> import fngrad
    >>> from fngrad.autograd.profiler import record_function
    >>> with record_function("forward"):
    ...     y = fngrad.ones(2) * 3
    >>> y
    tensor([3., 3.])
"""

from __future__ import annotations

import functools

__all__ = ["record_function"]


class record_function:
    """A named block (``with record_function("name"):``) or a decorated function; ``name`` and
    ``args`` are kept as given.

    >>> @record_function("double")
    ... def double(x):
    ...     return x * 2
    >>> double(fngrad.tensor([1.5]))
    tensor([3.])
    """

    def __init__(self, name: str, args: str | None = None):
        self.name = name
        self.args = args

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper
