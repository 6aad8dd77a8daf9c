"""MultiheadAttention (as ``torch.nn.MultiheadAttention``): its parameters, names and initialisation,
computed by ``F.multi_head_attention_forward``."""

from __future__ import annotations

from ... import _C
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import Linear, _factory_dtype
from .module import Module

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under PyTorch's name for MultiheadAttention's ``out_proj`` (its repr shows it).

    >>> from fngrad.nn.modules.attention import NonDynamicallyQuantizableLinear
    >>> NonDynamicallyQuantizableLinear(2, 2)
    NonDynamicallyQuantizableLinear(in_features=2, out_features=2, bias=True)
    """


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of ``embed_dim // num_heads`` features each ("Attention Is All
    You Need"): the query, key and value are projected (``in_proj_weight``, or ``q_proj_weight``,
    ``k_proj_weight``, ``v_proj_weight`` when ``kdim`` or ``vdim`` differ from ``embed_dim``), each head
    attends, and ``out_proj`` maps the concatenated heads back. Inputs are (L, N, E), or (N, L, E) with
    ``batch_first=True``, or (L, E) unbatched. ``forward`` returns ``(output, weights)``.

    A bool mask's True forbids a key; a float mask is added to the scores. ``key_padding_mask`` is
    (N, S), ``attn_mask`` (L, S) or (N * num_heads, L, S). The projections start from
    ``xavier_uniform_``, the biases from zero, as in PyTorch.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> mha = nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = fngrad.randn(3, 5, 8)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        (fngrad.Size([3, 5, 8]), fngrad.Size([3, 5, 5]))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        super().__init__()
        dtype = _factory_dtype(dtype, device)
        self.embed_dim = embed_dim
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")

        def empty(*shape):
            return Parameter(_C.empty(shape, dtype, "MultiheadAttention"))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = empty(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = empty(embed_dim, embed_dim)
            self.k_proj_weight = empty(embed_dim, self.kdim)
            self.v_proj_weight = empty(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = empty(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = empty(1, 1, embed_dim)
            self.bias_v = empty(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """``(output, weights)``: the attention output, shaped as ``query``, and, with ``need_weights``,
        the attention weights (N, L, S), or (N, num_heads, L, S) with ``average_attn_weights=False``;
        else None.

        >>> from fngrad import nn
        >>> mha = nn.MultiheadAttention(4, 2)
        >>> x = fngrad.randn(3, 4)
        >>> out, weights = mha(x, x, x, average_attn_weights=False)
        >>> out.shape, weights.shape
        (fngrad.Size([3, 4]), fngrad.Size([2, 3, 3]))
        """
        key_padding_mask = F._canonical_mask(key_padding_mask, "key_padding_mask",
                                             None if attn_mask is None else attn_mask.dtype, "attn_mask",
                                             query.dtype)
        attn_mask = F._canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        transposed = self.batch_first and query.dim() == 3
        if transposed:
            # Transpose each distinct tensor once, so that self-attention stays one projection.
            swapped = {}
            query, key, value = (swapped.setdefault(id(t), t.transpose(1, 0)) for t in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        return (out.transpose(1, 0) if transposed else out), weights

    def merge_masks(self, attn_mask, key_padding_mask, query):
        """``(mask, mask_type)`` for a (N, L, E) ``query``: ``key_padding_mask`` alone with type 1,
        ``attn_mask`` expanded to (N, num_heads, L, L) (plus ``key_padding_mask`` if given) with type 2,
        or (None, None).

        >>> from fngrad import nn
        >>> mha = nn.MultiheadAttention(4, 2, batch_first=True)
        >>> mask, kind = mha.merge_masks(fngrad.zeros(3, 3), fngrad.zeros(2, 3), fngrad.zeros(2, 3, 4))
        >>> mask.shape, kind
        (fngrad.Size([2, 2, 3, 3]), 2)
        """
        if attn_mask is None:
            return key_padding_mask, (None if key_padding_mask is None else 1)
        batch_size, seq_len, _ = query.shape
        if attn_mask.dim() == 3:
            merged = attn_mask.view(batch_size, -1, seq_len, seq_len)
        else:
            merged = attn_mask.view(1, 1, seq_len, seq_len).expand(batch_size, self.num_heads, -1, -1)
        if key_padding_mask is None:
            return merged, 2
        return merged + key_padding_mask.view(batch_size, 1, 1, seq_len).expand(-1, self.num_heads, -1, -1), 2
