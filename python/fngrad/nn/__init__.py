"""Neural-network helpers. ``fngrad.nn.functional`` holds the functional ops (losses,
activations, linear, dropout), as ``torch.nn.functional`` does."""

from . import functional

__all__ = ["functional"]
