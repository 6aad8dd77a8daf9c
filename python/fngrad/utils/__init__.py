"""fngrad.utils, as ``torch.utils``: ``data`` (datasets, samplers, DataLoader) and ``dlpack``."""

from . import data, dlpack

__all__ = ["data", "dlpack"]
