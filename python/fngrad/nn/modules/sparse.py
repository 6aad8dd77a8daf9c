"""Embedding (as ``torch.nn.Embedding``): a lookup table of rows, initialised from N(0, 1)."""

from __future__ import annotations

from ... import _C
from ...autograd.grad_mode import no_grad
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import _factory_dtype
from .module import Module

__all__ = ["Embedding", "EmbeddingBag"]


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by index.

    Row ``padding_idx`` starts at zero and gets no gradient; ``max_norm`` renormalises looked-up
    rows in place; ``scale_grad_by_freq`` divides each row's gradient by its count in the batch.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb(fngrad.tensor([[0, 2], [4, 0]])).shape
        fngrad.Size([2, 2, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        dtype = _factory_dtype(dtype, device)
        if sparse:
            raise NotImplementedError("[Embedding] sparse=True: fngrad has no sparse tensors (gradients are dense)")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = F._padding_index(padding_idx, num_embeddings)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(_C.empty((num_embeddings, embedding_dim), dtype, "Embedding"),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        """Weight from N(0, 1), with row ``padding_idx`` zeroed.

        >>> from fngrad import nn
        >>> emb = nn.Embedding(3, 2, padding_idx=0)
        >>> emb.reset_parameters()
        >>> emb.weight[0]
        tensor([0., 0.], grad_fn=<SelectBackward0>)
        """
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding over the 2-D ``embeddings`` (shared, not copied); frozen unless ``freeze=False``.

        >>> from fngrad import nn
        >>> emb = nn.Embedding.from_pretrained(fngrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> emb(fngrad.tensor([1, 0]))
        tensor([[3., 4.],
                [1., 2.]])
        >>> emb.weight.requires_grad
        False
        """
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = tuple(embeddings.shape)
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embedding vectors, without the (bags, length, dim) tensor in
    between (``F.embedding_bag``).

    >>> from fngrad import nn
    >>> bag = nn.EmbeddingBag(10, 3, mode="sum")
    >>> bag(fngrad.tensor([1, 2, 4, 5, 4]), fngrad.tensor([0, 2])).shape
    fngrad.Size([2, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        dtype = _factory_dtype(dtype, device)
        if sparse:
            raise NotImplementedError("[EmbeddingBag] sparse=True: fngrad has no sparse tensors (gradients are dense)")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.padding_idx = F._padding_index(padding_idx, num_embeddings)
        if _weight is None:
            self.weight = Parameter(_C.empty((num_embeddings, embedding_dim), dtype, "EmbeddingBag"))
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight)
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset

    def reset_parameters(self):
        """Weight from N(0, 1), with row ``padding_idx`` zeroed (as :class:`Embedding`).

        >>> from fngrad import nn
        >>> bag = nn.EmbeddingBag(3, 2, padding_idx=1)
        >>> bag.reset_parameters()
        >>> bag.weight[1].tolist()
        [0.0, 0.0]
        """
        Embedding.reset_parameters(self)

    def _fill_padding_idx_with_zero(self):
        Embedding._fill_padding_idx_with_zero(self)

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        """An EmbeddingBag over the 2-D ``embeddings``, frozen unless ``freeze=False``.

        >>> from fngrad import nn
        >>> nn.EmbeddingBag.from_pretrained(fngrad.tensor([[1.0, 2.0], [3.0, 4.0]]))(fngrad.tensor([[0, 1]]))
        tensor([[2., 3.]])
        """
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = tuple(embeddings.shape)
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings, include_last_offset,
                  padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
