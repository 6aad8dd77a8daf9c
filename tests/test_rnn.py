"""nn.RNN / nn.LSTM / nn.GRU and nn.utils.rnn's packed sequences: against PyTorch with its weights
copied in (outputs and every gradient), against finite differences and NumPy formulas without it,
and PyTorch's errors for bad input."""

import itertools
import warnings

import numpy as np
import pytest

import fngrad
from conftest import numeric_grad, requires_torch
from fngrad import nn
from fngrad.nn.utils import rnn as frnn

# (class name, extra constructor arguments)
KINDS = {
    "rnn_tanh": ("RNN", {}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "lstm_proj": ("LSTM", {"proj_size": 2}),
    "gru": ("GRU", {}),
}
IN, HIDDEN, STEPS, BATCH = 3, 4, 5, 2
TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


def _pair(kind, dtype, **kwargs):
    """The same layer in PyTorch and fngrad, PyTorch's initial weights copied into fngrad's."""
    import torch
    cls, extra = KINDS[kind]
    kwargs = {**extra, **kwargs}
    theirs = getattr(torch.nn, cls)(IN, HIDDEN, **kwargs).to(getattr(torch, dtype))
    ours = getattr(nn, cls)(IN, HIDDEN, dtype=getattr(fngrad, dtype), **kwargs)
    ours.load_state_dict({k: fngrad.from_numpy(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return theirs, ours


def _leaf(array):
    import torch
    return torch.tensor(array, requires_grad=True), fngrad.tensor(array, requires_grad=True)


def _flatten(result):
    """(output, h) or (output, (h, c)) as a flat list of tensors; a PackedSequence gives its data."""
    out, hidden = result
    out = out.data if hasattr(out, "batch_sizes") else out
    return [out] + (list(hidden) if isinstance(hidden, tuple) else [hidden])


def _compare(t_results, f_results, t_leaves, f_leaves, theirs, ours, tol):
    """Same values, then the same gradients of a random weighting of every result."""
    import torch
    t_flat, f_flat = _flatten(t_results), _flatten(f_results)
    assert [tuple(t.shape) for t in t_flat] == [tuple(f.shape) for f in f_flat]
    for t, f in zip(t_flat, f_flat):
        np.testing.assert_allclose(f.detach().numpy(), t.detach().numpy(), **tol)
    weights = [np.random.randn(*t.shape) for t in t_flat]
    sum(((t * torch.tensor(w, dtype=t.dtype)).sum() for t, w in zip(t_flat, weights))).backward()
    sum(((f * fngrad.tensor(w, dtype=f.dtype)).sum() for f, w in zip(f_flat, weights))).backward()
    for t, f in zip(t_leaves, f_leaves):
        np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy(), **tol)
    ours_params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours_params[name].grad.numpy(), p.grad.numpy(), err_msg=name, **tol)


def _state(kind, num_layers, bidirectional, batched, dtype):
    """A random initial state of the kind's shapes, (h,) or (h, c)."""
    lead = (num_layers * (2 if bidirectional else 1),) + ((BATCH,) if batched else ())
    sizes = [2 if kind == "lstm_proj" else HIDDEN] + ([HIDDEN] if kind.startswith("lstm") else [])
    return [np.random.randn(*lead, size).astype(dtype) for size in sizes]


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["no_hx", "hx"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_first", "batch_first"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("kind", list(KINDS))
def test_matches_torch(kind, num_layers, bidirectional, batch_first, batched, with_hx, dtype):
    theirs, ours = _pair(kind, dtype, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    shape = ((BATCH, STEPS) if batch_first else (STEPS, BATCH)) if batched else (STEPS,)
    tx, fx = _leaf(np.random.randn(*shape, IN).astype(dtype))
    t_leaves, f_leaves = [tx], [fx]
    if with_hx:
        pairs = [_leaf(s) for s in _state(kind, num_layers, bidirectional, batched, dtype)]
        t_leaves += [t for t, _ in pairs]
        f_leaves += [f for _, f in pairs]
        lstm = kind.startswith("lstm")
        t_hx = tuple(t_leaves[1:]) if lstm else t_leaves[1]
        f_hx = tuple(f_leaves[1:]) if lstm else f_leaves[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch: LSTM with projections is not supported with oneDNN
            t_res = theirs(tx, t_hx)
        f_res = ours(fx, f_hx)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_res = theirs(tx)
        f_res = ours(fx)
    _compare(t_res, f_res, t_leaves, f_leaves, theirs, ours, TOL[dtype])


@requires_torch
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_packed_input_matches_torch(kind, bidirectional, enforce_sorted):
    from torch.nn.utils import rnn as trnn
    theirs, ours = _pair(kind, "float64", num_layers=2, bidirectional=bidirectional, batch_first=True)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    tx, fx = _leaf(np.random.randn(4, 5, IN))
    t_packed = trnn.pack_padded_sequence(tx, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    f_packed = frnn.pack_padded_sequence(fx, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    for name in ("data", "batch_sizes", "sorted_indices", "unsorted_indices"):
        t_field, f_field = getattr(t_packed, name), getattr(f_packed, name)
        if t_field is None:
            assert f_field is None, name
        else:
            np.testing.assert_array_equal(f_field.detach().numpy(), t_field.detach().numpy(), err_msg=name)
    pairs = [_leaf(np.random.randn(s.shape[0], 4, s.shape[2])) for s in _state(kind, 2, bidirectional, True,
                                                                                "float64")]  # a batch of 4
    t_hx = tuple(t for t, _ in pairs) if kind.startswith("lstm") else pairs[0][0]
    f_hx = tuple(f for _, f in pairs) if kind.startswith("lstm") else pairs[0][1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_res = theirs(t_packed, t_hx)
    f_res = ours(f_packed, f_hx)
    assert isinstance(f_res[0], frnn.PackedSequence)
    np.testing.assert_array_equal(f_res[0].batch_sizes.numpy(), t_res[0].batch_sizes.numpy())
    # Through pad_packed_sequence too, so its gradient is part of the comparison.
    t_pad, t_len = trnn.pad_packed_sequence(t_res[0], batch_first=True, padding_value=-2.0, total_length=6)
    f_pad, f_len = frnn.pad_packed_sequence(f_res[0], batch_first=True, padding_value=-2.0, total_length=6)
    np.testing.assert_array_equal(f_len.numpy(), t_len.numpy())
    assert f_len.dtype == fngrad.int64
    _compare((t_pad, t_res[1]), (f_pad, f_res[1]), [tx] + [t for t, _ in pairs], [fx] + [f for _, f in pairs],
             theirs, ours, TOL["float64"])
    np.testing.assert_array_equal(f_pad.detach().numpy()[lengths.index(1), 1:], np.full((5, f_pad.shape[2]), -2.0))


@requires_torch
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_sequence_and_unpack_match_torch(batch_first):
    import torch
    from torch.nn.utils import rnn as trnn
    arrays = [np.random.randn(n, 2) for n in (2, 4, 1)]
    t_seqs = [torch.tensor(a) for a in arrays]
    f_seqs = [fngrad.tensor(a) for a in arrays]
    t_packed = trnn.pack_sequence(t_seqs, enforce_sorted=False)
    f_packed = frnn.pack_sequence(f_seqs, enforce_sorted=False)
    np.testing.assert_array_equal(f_packed.data.numpy(), t_packed.data.numpy())
    np.testing.assert_array_equal(f_packed.batch_sizes.numpy(), t_packed.batch_sizes.numpy())
    for f, a in zip(frnn.unpack_sequence(f_packed), arrays):
        np.testing.assert_array_equal(f.numpy(), a)
    t_pad, t_len = trnn.pad_packed_sequence(t_packed, batch_first=batch_first)
    f_pad, f_len = frnn.pad_packed_sequence(f_packed, batch_first=batch_first)
    np.testing.assert_array_equal(f_pad.numpy(), t_pad.numpy())
    for f, t in zip(frnn.unpad_sequence(f_pad, f_len, batch_first), trnn.unpad_sequence(t_pad, t_len, batch_first)):
        np.testing.assert_array_equal(f.numpy(), t.numpy())
    np.testing.assert_array_equal(frnn.invert_permutation(fngrad.tensor([2, 0, 3, 1])).numpy(),
                                  trnn.invert_permutation(torch.tensor([2, 0, 3, 1])).numpy())


@requires_torch
def test_parameters_repr_and_init_match_torch():
    import torch
    for cls, kwargs in [("RNN", dict(num_layers=2, nonlinearity="relu", bias=False)),
                        ("LSTM", dict(num_layers=3, bidirectional=True, proj_size=2, batch_first=True, dropout=0.5)),
                        ("GRU", dict(bidirectional=True))]:
        theirs = getattr(torch.nn, cls)(IN, HIDDEN, **kwargs)
        ours = getattr(nn, cls)(IN, HIDDEN, **kwargs)
        assert repr(ours) == repr(theirs)
        assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
               [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
        assert [[tuple(w.shape) for w in ws] for ws in ours.all_weights] == \
               [[tuple(w.shape) for w in ws] for ws in theirs.all_weights]
        bound = 1 / np.sqrt(HIDDEN)
        for p in ours.parameters():
            assert p.dtype == fngrad.float32 and np.abs(p.detach().numpy()).max() <= bound
        assert ours.flatten_parameters() is None


def test_initialisation_is_uniform_over_the_bound():
    values = np.concatenate([p.detach().numpy().ravel() for p in nn.LSTM(8, 16, num_layers=2).parameters()])
    bound = 1 / np.sqrt(16)
    assert np.abs(values).max() <= bound
    # U(-b, b): mean 0 and standard deviation b / sqrt(3), within a few standard errors.
    assert abs(values.mean()) < 4 * bound / np.sqrt(3 * values.size)
    assert abs(values.std() - bound / np.sqrt(3)) < 0.05 * bound


def test_dropout_between_layers_only_in_training():
    fngrad.manual_seed(1)
    gru = nn.GRU(3, 4, num_layers=2, dropout=0.5, dtype=fngrad.float64)
    x = fngrad.randn(6, 2, 3, dtype=fngrad.float64)
    gru.eval()
    a, b = gru(x)[0], gru(x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    gru.train()
    assert not np.allclose(gru(x)[0].detach().numpy(), a.detach().numpy())
    with pytest.warns(UserWarning, match="dropout option adds dropout after all but last recurrent layer"):
        nn.GRU(3, 4, dropout=0.5)


def _rnn_step_numpy(x, h, w_ih, w_hh, b_ih, b_hh):
    return np.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)


def test_rnn_matches_the_numpy_recurrence():
    rnn = nn.RNN(3, 4, num_layers=2, dtype=fngrad.float64)
    x = np.random.randn(5, 2, 3)
    h0 = np.random.randn(2, 2, 4)
    out, h_n = rnn(fngrad.tensor(x), fngrad.tensor(h0))
    p = {name: v.detach().numpy() for name, v in rnn.named_parameters()}
    layer_in = x
    for layer in range(2):
        h, outs = h0[layer], []
        for t in range(5):
            h = _rnn_step_numpy(layer_in[t], h, p[f"weight_ih_l{layer}"], p[f"weight_hh_l{layer}"],
                                p[f"bias_ih_l{layer}"], p[f"bias_hh_l{layer}"])
            outs.append(h)
        np.testing.assert_allclose(h_n[layer].detach().numpy(), h, rtol=1e-12, atol=1e-14)
        layer_in = np.stack(outs)
    np.testing.assert_allclose(out.detach().numpy(), layer_in, rtol=1e-12, atol=1e-14)


def _check_finite_differences(module, x, hx):
    """Every parameter's and the input's gradient of a weighted sum of all results against central
    differences in float64."""
    results = _flatten(module(x, hx))
    weights = [fngrad.tensor(np.random.randn(*r.shape)) for r in results]

    def loss():
        return sum(((r * w).sum() for r, w in zip(_flatten(module(x, hx)), weights)))

    loss().backward()
    for name, p in list(module.named_parameters()) + [("input", x)]:
        def f(values, p=p):
            with fngrad.no_grad():
                old = p.detach().numpy().copy()
                p.copy_(fngrad.tensor(values))
                value = loss().item()
                p.copy_(fngrad.tensor(old))
            return value
        np.testing.assert_allclose(p.grad.numpy(), numeric_grad(f, p.detach().numpy()), rtol=1e-6, atol=1e-8,
                                   err_msg=name)


def test_lstm_gradients_match_finite_differences():
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2, dtype=fngrad.float64)
    x = fngrad.randn(4, 2, 2, dtype=fngrad.float64, requires_grad=True)
    hx = (fngrad.randn(4, 2, 2, dtype=fngrad.float64), fngrad.randn(4, 2, 3, dtype=fngrad.float64))
    _check_finite_differences(lstm, x, hx)


def test_gru_gradients_match_finite_differences_with_packed_lengths():
    gru = nn.GRU(2, 3, bidirectional=True, batch_first=True, dtype=fngrad.float64)
    x = fngrad.randn(3, 4, 2, dtype=fngrad.float64, requires_grad=True)

    class Packed(nn.Module):  # the GRU over sequences of lengths 2, 4, 1 of the padded x
        def forward(self, x, hx):
            out, h = gru(frnn.pack_padded_sequence(x, [2, 4, 1], batch_first=True, enforce_sorted=False), hx)
            return frnn.pad_packed_sequence(out, batch_first=True)[0], h

    packed = Packed()
    packed.gru = gru
    _check_finite_differences(packed, x, fngrad.randn(2, 3, 3, dtype=fngrad.float64))


def test_packed_data_and_padding_as_written_out():
    x = np.arange(12.0).reshape(4, 3)  # time-major: 4 steps, 3 sequences
    packed = frnn.pack_padded_sequence(fngrad.tensor(x), fngrad.tensor([2, 4, 1]), enforce_sorted=False)
    # sorted by length: sequences 1 (4 steps), 0 (2 steps), 2 (1 step)
    np.testing.assert_array_equal(packed.data.numpy(), [1, 0, 2, 4, 3, 7, 10])
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    assert packed.sorted_indices.tolist() == [1, 0, 2] and packed.unsorted_indices.tolist() == [1, 0, 2]
    padded, lengths = frnn.pad_packed_sequence(packed, padding_value=-1.0)
    want = np.where(np.arange(4)[:, None] < np.array([2, 4, 1])[None, :], x, -1.0)
    np.testing.assert_array_equal(padded.numpy(), want)
    assert lengths.tolist() == [2, 4, 1]
    assert packed.float().data.dtype == fngrad.float32 and packed.to(fngrad.float64) is packed
    assert not packed.is_cuda and not packed.is_pinned()


def test_lstm_over_packed_equals_each_sequence_alone():
    """A packed batch gives each sequence the output and final state it gets when run by itself."""
    lstm = nn.LSTM(2, 3, bidirectional=True, dtype=fngrad.float64)
    seqs = [fngrad.randn(n, 2, dtype=fngrad.float64) for n in (3, 5, 2)]
    out, (h, c) = lstm(frnn.pack_sequence(seqs, enforce_sorted=False))
    for i, (s, o) in enumerate(zip(seqs, frnn.unpack_sequence(out))):
        o_alone, (h_alone, c_alone) = lstm(s)
        np.testing.assert_allclose(o.detach().numpy(), o_alone.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(h[:, i].detach().numpy(), h_alone.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(c[:, i].detach().numpy(), c_alone.detach().numpy(), rtol=1e-12)


BAD_INPUT = [
    # (class, constructor kwargs, input shape, hx shapes or None, exception, message)
    ("GRU", {}, (5, 2, 4), None, RuntimeError, "input.size(-1) must be equal to input_size. Expected 3, got 4"),
    ("RNN", {}, (5, 2, 4), None, RuntimeError, "input.size(-1) must be equal to input_size. Expected 3, got 4"),
    ("LSTM", {}, (5,), None, ValueError, "LSTM: Expected input to be 2D or 3D, got 1D instead"),
    ("RNN", {}, (1, 5, 2, 3), None, ValueError, "RNN: Expected input to be 2D or 3D, got 4D tensor instead"),
    ("GRU", {}, (5, 2, 3), [(1, 3, 4)], RuntimeError, "Expected hidden size (1, 2, 4), got [1, 3, 4]"),
    ("RNN", {"num_layers": 2}, (5, 2, 3), [(1, 2, 4)], RuntimeError, "Expected hidden size (2, 2, 4), got [1, 2, 4]"),
    ("GRU", {}, (5, 2, 3), [(2, 4)], RuntimeError, "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
    ("GRU", {}, (5, 3), [(1, 2, 4)], RuntimeError,
     "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
    ("LSTM", {"proj_size": 2}, (5, 2, 3), [(1, 2, 4), (1, 2, 4)], RuntimeError,
     "Expected hidden[0] size (1, 2, 2), got [1, 2, 4]"),
    ("LSTM", {}, (5, 2, 3), [(1, 2, 4), (1, 2, 3)], RuntimeError, "Expected hidden[1] size (1, 2, 4), got [1, 2, 3]"),
    ("LSTM", {}, (5, 2, 3), [(1, 2, 4), (2, 4)], RuntimeError,
     "For batched 3-D input, hx and cx should also be 3-D but got (3-D, 2-D) tensors"),
    ("GRU", {}, (0, 2, 3), None, RuntimeError, "Expected sequence length to be larger than 0 in RNN"),
    ("LSTM", {}, (0, 3), None, RuntimeError, "Expected sequence length to be larger than 0 in RNN"),
]


@pytest.mark.parametrize("cls, kwargs, shape, hx, exc, message", BAD_INPUT)
def test_bad_input_gets_torchs_error(cls, kwargs, shape, hx, exc, message):
    module = getattr(nn, cls)(3, 4, **kwargs)
    state = None if hx is None else [fngrad.zeros(*s) for s in hx]
    state = tuple(state) if cls == "LSTM" and state else (state[0] if state else None)
    with pytest.raises(exc) as info:
        module(fngrad.zeros(*shape), state)
    assert str(info.value) == message


@requires_torch
@pytest.mark.parametrize("case", BAD_INPUT, ids=[c[-1][:40] for c in BAD_INPUT])
def test_bad_input_errors_are_torchs(case):
    import torch
    cls, kwargs, shape, hx, exc, message = case
    module = getattr(torch.nn, cls)(3, 4, **kwargs)
    state = None if hx is None else [torch.zeros(*s) for s in hx]
    state = tuple(state) if cls == "LSTM" and state else (state[0] if state else None)
    with pytest.raises(exc) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module(torch.zeros(*shape), state)
    assert str(info.value) == message


def test_bad_constructor_and_dtype_errors():
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hx to be a tuple \(h_0, c_0\) of two tensors, got "
                                           r"fngrad.FloatTensor"):
        nn.LSTM(3, 4)(fngrad.zeros(5, 2, 3), fngrad.zeros(1, 2, 4))  # PyTorch: an IndexError from indexing hx
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'. Select from 'tanh' or 'relu'."):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.LSTM(3, 0)
    with pytest.raises(TypeError, match="batch_first should be of type bool, got: int"):
        nn.GRU(3, 4, batch_first=1)
    with pytest.raises(ValueError, match=r"RNN input dtype \(fngrad.float64\) does not match weight dtype "
                                         r"\(fngrad.float32\)"):
        nn.LSTM(3, 4)(fngrad.zeros(5, 2, 3, dtype=fngrad.float64))


def test_packing_errors():
    x = fngrad.zeros(3, 2, 4)
    with pytest.raises(RuntimeError, match="`lengths` array must be sorted in decreasing order"):
        frnn.pack_padded_sequence(x, [1, 2])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        frnn.pack_padded_sequence(x, [2, 0])
    with pytest.raises(RuntimeError, match="'lengths' argument should be a 1D CPU int64 tensor, but got 2D"):
        frnn.pack_padded_sequence(x, fngrad.tensor([[1, 2]]))
    with pytest.raises(RuntimeError, match="exceeds the input's 3 time steps"):
        frnn.pack_padded_sequence(x, [5, 3])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest sequence"):
        frnn.pad_packed_sequence(frnn.pack_padded_sequence(x, [3, 2]), total_length=2)


def test_state_dict_round_trip_and_double():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    other = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    other.load_state_dict(lstm.state_dict())
    x = fngrad.randn(5, 2, 3)
    np.testing.assert_array_equal(other(x)[0].detach().numpy(), lstm(x)[0].detach().numpy())
    weight = lstm.weight_ih_l1_reverse
    lstm.double()
    assert lstm.weight_ih_l1_reverse is weight and weight.dtype == fngrad.float64
    assert lstm(x.double())[0].dtype == fngrad.float64
    assert all(w is getattr(lstm, n) for w, n in zip(itertools.chain(*lstm.all_weights),
                                                     itertools.chain(*lstm._all_weights)))
