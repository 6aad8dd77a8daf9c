"""Flatten and Unflatten (as ``torch.nn``'s)."""

from __future__ import annotations

from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merges dims ``start_dim`` to ``end_dim``.

    >>> from fngrad import nn
    >>> nn.Flatten()(fngrad.ones(2, 3, 4)).shape
    fngrad.Size([2, 12])
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits dim ``dim`` into ``unflattened_size`` (which may hold one -1).

    >>> from fngrad import nn
    >>> nn.Unflatten(1, (2, 3))(fngrad.ones(4, 6)).shape
    fngrad.Size([4, 2, 3])
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(dim, int):
            raise TypeError("invalid argument type for dim parameter")
        if not isinstance(unflattened_size, (tuple, list)) or not all(isinstance(s, int) for s in unflattened_size):
            raise TypeError("unflattened_size must be tuple of ints, but found type {}".format(
                type(unflattened_size).__name__))
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        nd = input.dim()
        dim = self.dim + nd if self.dim < 0 else self.dim
        if not 0 <= dim < nd:
            raise IndexError(f"[Unflatten] Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                             f"but got {self.dim})")
        sizes = list(self.unflattened_size)
        known = 1
        for s in sizes:
            if s != -1:
                known *= s
        if sizes.count(-1) > 1 or (-1 not in sizes and known != input.shape[dim]) or (
                -1 in sizes and (known == 0 or input.shape[dim] % known)):
            raise RuntimeError(f"[Unflatten] unflatten: Provided sizes {tuple(sizes)} don't multiply up to the size "
                               f"of dim {self.dim} ({input.shape[dim]}) in the input tensor")
        shape = tuple(input.shape)
        return input.reshape(shape[:dim] + tuple(sizes) + shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
