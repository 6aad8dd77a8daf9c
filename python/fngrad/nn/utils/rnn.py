"""``fngrad.nn.utils.rnn``: batching sequences of different lengths (as ``torch.nn.utils.rnn``):
padding, and PackedSequence, which the RNN layers take and return so that padding is never computed.

Example::

    >>> import fngrad
    >>> from fngrad.nn.utils.rnn import pad_sequence
    >>> pad_sequence([fngrad.tensor([1, 2, 3]), fngrad.tensor([4])], batch_first=True)
    tensor([[1, 2, 3],
            [4, 0, 0]])
"""

from __future__ import annotations

import numpy as np

from ... import _C, _creation
from ..modules.rnn import PackedSequence, _int64, invert_permutation

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _lengths_array(lengths):
    if isinstance(lengths, _C.TensorBase):
        if lengths.dim() != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D cpu "
                               f"{type(lengths.long()).__name__.replace('Tensor', '')} tensor")
        lengths = lengths.tolist()
    return np.asarray(lengths, dtype=np.float64).astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T, B, *) (``(B, T, *)`` with ``batch_first``) whose sequences have the
    given ``lengths`` into a PackedSequence; differentiable with respect to ``input``. With
    ``enforce_sorted`` the lengths must be decreasing; otherwise the batch is sorted here and the
    order is kept in ``sorted_indices``.

    >>> x = fngrad.tensor([[1, 2, 3], [4, 5, 0]])
    >>> pack_padded_sequence(x, [3, 2], batch_first=True).data
    tensor([1, 4, 2, 5, 3])
    """
    lens = _lengths_array(lengths)
    if lens.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lens.ndim}D cpu Long tensor")
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
        order = np.arange(lens.size)
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_indices = _int64(order)
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    batch_dim = 0 if batch_first else 1
    if input.dim() < 2 or input.shape[batch_dim] != lens.size:
        raise RuntimeError(f"pack_padded_sequence: expected input of at least 2 dimensions with {lens.size} "
                           f"sequences along dim {batch_dim}, got shape {list(input.shape)}")
    steps = input.shape[1 - batch_dim]
    if lens.size and lens.max() > steps:
        raise RuntimeError(f"pack_padded_sequence: a length ({lens.max()}) exceeds the input's {steps} time steps")
    sorted_lens = lens[order]
    batch_sizes = (sorted_lens[None, :] > np.arange(sorted_lens[0])[:, None]).sum(1)
    # One gather of the rows (t, b) still running, in time-major order, from the input's flat rows.
    t_idx, b_idx = np.nonzero(np.arange(sorted_lens[0])[:, None] < sorted_lens[None, :])
    source = order[b_idx]
    rows = source * steps + t_idx if batch_first else t_idx * lens.size + source
    flat = input.reshape((-1,) + tuple(input.shape[2:]))
    return PackedSequence(flat.index_select(0, _int64(rows)), _int64(batch_sizes), sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undoes pack_padded_sequence: returns the padded batch (T, B, *) (``(B, T, *)`` with
    ``batch_first``), in the original batch order, and the lengths as an int64 tensor. ``total_length``
    pads to that many steps. Differentiable with respect to ``sequence.data``.

    >>> p = pack_padded_sequence(fngrad.tensor([[1, 2, 3], [4, 5, 0]]), [3, 2], batch_first=True)
    >>> pad_packed_sequence(p, batch_first=True, padding_value=-1)
    (tensor([[ 1,  2,  3],
            [ 4,  5, -1]]), tensor([3, 2]))
    """
    data, batch_sizes = sequence.data, np.asarray(sequence.batch_sizes.tolist(), dtype=np.int64)
    steps, batch = batch_sizes.size, int(batch_sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {steps}")
        steps_out = total_length
    else:
        steps_out = steps
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)])
    sorted_pos = np.arange(batch) if sequence.unsorted_indices is None else np.asarray(
        sequence.unsorted_indices.tolist(), dtype=np.int64)
    t = np.arange(steps_out)[:, None]
    padded_t = np.minimum(t, steps - 1)
    running = (t < steps) & (sorted_pos[None, :] < batch_sizes[padded_t])
    # Each output cell gathers its packed row, or the padding row appended after the data.
    rows = np.where(running, offsets[padded_t] + sorted_pos[None, :], data.shape[0])
    if batch_first:
        rows = rows.T
    pad = _creation.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    out = _C.cat([data, pad], 0).index_select(0, _int64(rows.reshape(-1)))
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1)[sorted_pos]
    return out.reshape(rows.shape + tuple(data.shape[1:])), _int64(lengths)


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


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Splits a padded batch back into a list of tensors of the given lengths (as ``torch.nn.utils.rnn``).

    >>> unpad_sequence(fngrad.tensor([[1, 2, 3], [4, 0, 0]]), fngrad.tensor([3, 1]), batch_first=True)
    [tensor([1, 2, 3]), tensor([4])]
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:length] for seq, length in zip(padded_sequences, _lengths_array(lengths).tolist())]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of tensors (L_i, *) into a PackedSequence; with ``enforce_sorted`` they must come
    longest first.

    >>> pack_sequence([fngrad.tensor([1, 2]), fngrad.tensor([3, 4, 5])], enforce_sorted=False).data
    tensor([3, 1, 4, 2, 5])
    """
    lengths = [s.size(0) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """Undoes pack_sequence: the list of tensors, in their original order.

    >>> unpack_sequence(pack_sequence([fngrad.tensor([1, 2]), fngrad.tensor([3])]))
    [tensor([1, 2]), tensor([3])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
