"""fngrad.utils, as ``torch.utils``: ``data`` (datasets, samplers, DataLoader) and ``dlpack``.

The package imports nothing itself: ``fngrad.utils.dlpack`` sits below the Tensor class (which
exports through it) and ``fngrad.utils.data`` above it; ``import fngrad`` loads both.
"""

__all__ = ["data", "dlpack"]
