"""``fngrad.backends``: the backend switches PyTorch programs read and set (``backends.mps``,
``backends.cudnn``). fngrad computes on the CPU with its own kernels, so the accelerator
backends report themselves unavailable and their flags change nothing.

Example::

    >>> import fngrad
    >>> fngrad.backends.mps.is_available()
    False
"""

from . import cudnn, mps  # noqa: F401

__all__ = ["cudnn", "mps"]
