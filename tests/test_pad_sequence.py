"""nn.utils.rnn.pad_sequence against the padding written out with NumPy and against PyTorch."""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.nn.utils.rnn import pad_sequence


def test_pads_and_stacks_as_written_out():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(4, 3)
    want = np.full((2, 4, 3), -1.0)
    want[0, :2], want[1] = a, b
    out = pad_sequence([fngrad.tensor(a), fngrad.tensor(b)], batch_first=True, padding_value=-1.0)
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(pad_sequence([fngrad.tensor(a), fngrad.tensor(b)]).numpy(),
                                  np.where(want == -1.0, 0.0, want).transpose(1, 0, 2))
    left = pad_sequence([fngrad.tensor(a), fngrad.tensor(b)], batch_first=True, padding_side="left")
    np.testing.assert_array_equal(left.numpy()[0], np.concatenate([np.zeros((2, 3)), a]))


def test_gradient_reaches_each_sequence_and_errors():
    a = fngrad.ones(2, requires_grad=True)
    b = fngrad.ones(3, requires_grad=True)
    out = pad_sequence([a, b], batch_first=True)
    (out * fngrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert a.grad.tolist() == [1.0, 2.0] and b.grad.tolist() == [4.0, 5.0, 6.0]
    assert pad_sequence([fngrad.tensor([1, 2]), fngrad.tensor([3.5])]).dtype == fngrad.int64  # the first's dtype
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got top."):
        pad_sequence([a], padding_side="top")


@requires_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["left", "right"])
def test_matches_torch(batch_first, side):
    import torch

    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 2, 3)) for n in (3, 1, 4, 0)]
    ours = pad_sequence([fngrad.tensor(s) for s in seqs], batch_first, 2.5, side)
    theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first, 2.5, side)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
