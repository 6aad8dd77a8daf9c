"""``fngrad.nn.utils.rnn``: batching sequences of different lengths (as ``torch.nn.utils.rnn``).

Example::

    >>> import fngrad
    >>> from fngrad.nn.utils.rnn import pad_sequence
    >>> pad_sequence([fngrad.tensor([1, 2, 3]), fngrad.tensor([4])], batch_first=True)
    tensor([[1, 2, 3],
            [4, 0, 0]])
"""

from __future__ import annotations

from ... import _C, _creation

__all__ = ["pad_sequence"]


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks tensors of shape (L_i, *) into one (L_max, B, *) tensor (``(B, L_max, *)`` with
    ``batch_first``), each padded with ``padding_value`` after its end (before its start with
    ``padding_side="left"``); the result has the first sequence's dtype and is differentiable.

    >>> pad_sequence([fngrad.ones(2), fngrad.ones(1)], padding_value=-1.0)
    tensor([[ 1.,  1.],
            [ 1., -1.]])
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    longest = max(s.size(0) for s in sequences)
    rows = []
    for s in sequences:
        fill = _creation.full((longest - s.size(0),) + tuple(s.shape[1:]), padding_value, dtype=first.dtype)
        s = s.to(first.dtype)
        rows.append(_C.cat([s, fill] if padding_side == "right" else [fill, s], 0))
    return _C.stack(rows, 0 if batch_first else 1)
