"""fngrad.utils, as ``torch.utils``: ``data`` (datasets, samplers, DataLoader), ``dlpack`` and ``checkpoint``.

The package imports nothing itself: ``fngrad.utils.dlpack`` sits below the Tensor class (which
exports through it) and ``fngrad.utils.data`` above it; ``import fngrad`` loads both.
"""

__all__ = ["checkpoint", "data", "dlpack"]
