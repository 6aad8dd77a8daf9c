"""``fngrad.backends.cudnn``: the cuDNN flags seeding code sets (``deterministic``, ``benchmark``).

fngrad has no cuDNN: the flags are kept, with PyTorch's defaults, and change nothing.
Example: ``fngrad.backends.cudnn.deterministic = True``."""

__all__ = ["is_available", "enabled", "benchmark", "deterministic"]

enabled = True
benchmark = False
deterministic = False


def is_available() -> bool:
    """False: fngrad has no cuDNN."""
    return False
