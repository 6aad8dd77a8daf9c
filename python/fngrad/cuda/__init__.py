"""``fngrad.cuda``: what ``torch.cuda`` says on a machine without CUDA. fngrad computes on the CPU.

The queries answer as PyTorch does without CUDA (``is_available()`` is False, ``device_count()``
is 0); seeding is a no-op, as PyTorch's is then; what needs a GPU raises PyTorch's
``AssertionError: Torch not compiled with CUDA enabled``.

Example::

    >>> import fngrad
    >>> device = "cuda" if fngrad.cuda.is_available() else "cpu"
    >>> fngrad.zeros(2, device=device).device
    device(type='cpu')
"""

from __future__ import annotations

from .._device import _NO_CUDA

__all__ = ["is_available", "device_count", "is_initialized", "current_device", "synchronize", "get_device_name",
           "manual_seed", "manual_seed_all", "seed", "seed_all", "empty_cache", "init", "set_device"]


def is_available() -> bool:
    """False: fngrad has no CUDA support."""
    return False


def device_count() -> int:
    """0: no CUDA devices."""
    return 0


def is_initialized() -> bool:
    """False: CUDA is never initialised."""
    return False


def _no_cuda(*args, **kwargs):
    raise AssertionError(_NO_CUDA)


def current_device() -> int:
    """Raises ``AssertionError``, as PyTorch does without CUDA."""
    _no_cuda()


def synchronize(device=None) -> None:
    """Raises ``AssertionError``, as PyTorch does without CUDA."""
    _no_cuda()


def get_device_name(device=None) -> str:
    """Raises ``AssertionError``, as PyTorch does without CUDA."""
    _no_cuda()


def init() -> None:
    """Raises ``AssertionError``, as PyTorch does without CUDA."""
    _no_cuda()


def set_device(device) -> None:
    """Raises ``AssertionError``, as PyTorch does without CUDA."""
    _no_cuda()


def manual_seed(seed: int) -> None:
    """Does nothing without CUDA (as in PyTorch), so seeding code runs unchanged."""


def manual_seed_all(seed: int) -> None:
    """Does nothing without CUDA (as in PyTorch)."""


def seed() -> None:
    """Does nothing without CUDA (as in PyTorch)."""


def seed_all() -> None:
    """Does nothing without CUDA (as in PyTorch)."""


def empty_cache() -> None:
    """Does nothing without CUDA (as in PyTorch)."""
