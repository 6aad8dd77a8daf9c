"""``fngrad.backends.mps``: Apple's Metal backend, which fngrad does not have.

Example: ``fngrad.backends.mps.is_available()`` is ``False``."""

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """False: fngrad has no MPS support."""
    return False


def is_built() -> bool:
    """False: fngrad is not built with MPS."""
    return False
