"""Layers, activation and loss modules, and nn.utils against PyTorch: PyTorch's initial parameters are
copied into fngrad through NumPy, both get the same float64 data, and outputs and gradients (of the
inputs and of every parameter) must agree to 1e-10 relative. Behaviour that needs no oracle (dropout's
statistics, error types) runs without torch."""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad import nn

RTOL = 1e-10
ATOL = 1e-12


def _to_np(t):
    return t.detach().numpy()


def _check_module(ours, theirs, inputs, grad_inputs=None):
    """Copies theirs' state into ours, runs both on the NumPy ``inputs`` in float64, and compares the
    output, the gradients of the float inputs (those at positions ``grad_inputs``, default all), and
    of every parameter."""
    import torch

    ours.double()
    theirs.double()
    ours.load_state_dict({k: fngrad.from_numpy(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    f_in, t_in = [], []
    for i, a in enumerate(inputs):
        wants = a.dtype == np.float64 and (grad_inputs is None or i in grad_inputs)
        f_in.append(fngrad.from_numpy(a.copy()).requires_grad_(wants))
        t_in.append(torch.from_numpy(a.copy()).requires_grad_(wants))
    f_out = ours(*f_in)
    t_out = theirs(*t_in)
    np.testing.assert_allclose(_to_np(f_out), t_out.detach().numpy(), rtol=RTOL, atol=ATOL)
    upstream = np.random.default_rng(1).standard_normal(tuple(t_out.shape))
    f_out.backward(fngrad.from_numpy(upstream.copy()))
    t_out.backward(torch.from_numpy(upstream.copy()))
    for f, t in zip(f_in, t_in):
        if t.requires_grad:
            np.testing.assert_allclose(_to_np(f.grad), t.grad.numpy(), rtol=RTOL, atol=ATOL)
    t_params = dict(theirs.named_parameters())
    f_params = dict(ours.named_parameters())
    assert list(f_params) == list(t_params)
    for name, tp in t_params.items():
        if tp.grad is None:
            assert f_params[name].grad is None
        else:
            np.testing.assert_allclose(_to_np(f_params[name].grad), tp.grad.numpy(), rtol=RTOL, atol=ATOL,
                                       err_msg=name)
    return ours, theirs


def _randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


LAYER_CASES = [
    ("Linear", lambda n: n.Linear(5, 3), [(4, 5)]),
    ("Linear_nobias_3d", lambda n: n.Linear(5, 3, bias=False), [(2, 4, 5)]),
    ("Bilinear", lambda n: n.Bilinear(4, 3, 2), [(6, 4), (6, 3)]),
    ("Bilinear_nobias_3d", lambda n: n.Bilinear(4, 3, 2, bias=False), [(2, 5, 4), (2, 5, 3)]),
    ("Identity", lambda n: n.Identity(7, k=1), [(3, 2)]),
    ("Flatten", lambda n: n.Flatten(), [(2, 3, 4)]),
    ("Flatten_0_1", lambda n: n.Flatten(0, 1), [(2, 3, 4)]),
    ("Unflatten", lambda n: n.Unflatten(1, (2, -1)), [(4, 6)]),
    ("LayerNorm", lambda n: n.LayerNorm(5), [(3, 5)]),
    ("LayerNorm_2d", lambda n: n.LayerNorm([3, 5], eps=1e-3), [(2, 3, 5)]),
    ("LayerNorm_noaffine", lambda n: n.LayerNorm(5, elementwise_affine=False), [(4, 5)]),
    ("LayerNorm_nobias", lambda n: n.LayerNorm(5, bias=False), [(4, 5)]),
    ("ReLU", lambda n: n.ReLU(), [(4, 5)]),
    ("LeakyReLU", lambda n: n.LeakyReLU(0.2), [(4, 5)]),
    ("ELU", lambda n: n.ELU(0.7), [(4, 5)]),
    ("GELU", lambda n: n.GELU(), [(4, 5)]),
    ("GELU_tanh", lambda n: n.GELU("tanh"), [(4, 5)]),
    ("SiLU", lambda n: n.SiLU(), [(4, 5)]),
    ("Mish", lambda n: n.Mish(), [(4, 5)]),
    ("Softplus", lambda n: n.Softplus(2.0, 1.5), [(4, 5)]),
    ("Tanh", lambda n: n.Tanh(), [(4, 5)]),
    ("Sigmoid", lambda n: n.Sigmoid(), [(4, 5)]),
    ("Softmax", lambda n: n.Softmax(dim=1), [(4, 5)]),
    ("LogSoftmax", lambda n: n.LogSoftmax(dim=-1), [(2, 4, 5)]),
    ("Hardtanh", lambda n: n.Hardtanh(-0.5, 0.7), [(4, 5)]),
    ("Dropout_eval_shape", lambda n: n.Dropout(0.0), [(4, 5)]),
    ("Conv1d", lambda n: n.Conv1d(3, 4, 3), [(2, 3, 9)]),
    ("Conv1d_same_dilated", lambda n: n.Conv1d(3, 4, 4, padding="same", dilation=2), [(2, 3, 9)]),
    ("Conv1d_unbatched", lambda n: n.Conv1d(3, 2, 2, stride=2, bias=False), [(3, 8)]),
    ("Conv2d", lambda n: n.Conv2d(3, 5, 3, padding=1), [(2, 3, 6, 7)]),
    ("Conv2d_strided_grouped",
     lambda n: n.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2), [(2, 4, 7, 6)]),
    ("Conv2d_valid", lambda n: n.Conv2d(2, 3, 2, padding="valid"), [(1, 2, 4, 4)]),
    ("GroupNorm", lambda n: n.GroupNorm(2, 4), [(3, 4, 5)]),
    ("GroupNorm_noaffine_2d", lambda n: n.GroupNorm(3, 6, affine=False), [(2, 6, 3, 2)]),
    ("BatchNorm1d", lambda n: n.BatchNorm1d(4), [(6, 4)]),
    ("BatchNorm1d_3d_momentum_none", lambda n: n.BatchNorm1d(4, momentum=None), [(3, 4, 5)]),
    ("BatchNorm2d_no_stats", lambda n: n.BatchNorm2d(3, track_running_stats=False), [(2, 3, 4, 4)]),
    ("BatchNorm2d_noaffine", lambda n: n.BatchNorm2d(3, affine=False), [(2, 3, 4, 4)]),
    ("MaxPool2d", lambda n: n.MaxPool2d(2), [(2, 3, 6, 5)]),
    ("MaxPool2d_padded_strided_dilated", lambda n: n.MaxPool2d((3, 2), stride=(2, 1), padding=1, dilation=(1, 2)),
     [(2, 2, 7, 6)]),
    ("MaxPool1d_unbatched", lambda n: n.MaxPool1d(3, stride=2, padding=1), [(3, 9)]),
    ("AvgPool2d", lambda n: n.AvgPool2d(2), [(2, 3, 6, 5)]),
    ("AvgPool2d_pad_exclude", lambda n: n.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
     [(2, 2, 7, 6)]),
    ("AvgPool2d_divisor", lambda n: n.AvgPool2d(2, divisor_override=3), [(1, 2, 4, 4)]),
    ("AvgPool1d_pad", lambda n: n.AvgPool1d(3, 2, 1), [(2, 3, 8)]),
    ("RNNCell", lambda n: n.RNNCell(3, 4), [(5, 3), (5, 4)]),
    ("RNNCell_relu_nobias_nohx", lambda n: n.RNNCell(3, 4, bias=False, nonlinearity="relu"), [(5, 3)]),
    ("RNNCell_unbatched", lambda n: n.RNNCell(3, 4), [(3,), (4,)]),
    ("GRUCell", lambda n: n.GRUCell(3, 4), [(5, 3), (5, 4)]),
    ("GRUCell_nohx", lambda n: n.GRUCell(3, 4, bias=False), [(5, 3)]),
    ("LSTMCell", lambda n: _lstm(n), [(5, 3), (5, 4), (5, 4)]),
    ("LSTMCell_unbatched", lambda n: _lstm(n, bias=False), [(3,), (4,), (4,)]),
]


def _lstm(n, **kwargs):
    """An LSTMCell whose (h', c') output is folded into one tensor, so the check can backpropagate."""

    class Wrap(n.Module):
        def __init__(self):
            super().__init__()
            self.cell = n.LSTMCell(3, 4, **kwargs)

        def forward(self, x, h, c):
            h_next, c_next = self.cell(x, (h, c))
            return h_next * 2 + c_next

    return Wrap()


@requires_torch
@pytest.mark.parametrize("name,make,shapes", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_layer_matches_pytorch(name, make, shapes):
    import torch

    inputs = [_randn(*s, seed=i) for i, s in enumerate(shapes)]
    _check_module(make(nn), make(torch.nn), inputs)


@requires_torch
def test_batch_norm_running_statistics_and_eval_match_pytorch():
    import torch

    ours, theirs = nn.BatchNorm2d(3).double(), torch.nn.BatchNorm2d(3).double()
    for seed in range(3):  # three training steps update the running statistics
        _check_module(ours, theirs, [_randn(4, 3, 2, 5, seed=seed) * (seed + 1) + seed])
    for name, buf in theirs.named_buffers():
        np.testing.assert_allclose(_to_np(ours.get_buffer(name)), buf.numpy(), rtol=RTOL, atol=ATOL, err_msg=name)
    assert int(ours.num_batches_tracked) == 3
    ours.eval(), theirs.eval()
    _check_module(ours, theirs, [_randn(2, 3, 2, 5, seed=9)])
    with pytest.raises(ValueError, match="expected 4D input \\(got 3D input\\)"):
        ours(fngrad.ones(2, 3, 4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(fngrad.ones(1, 3))


EMBEDDING_CASES = [
    ("plain", dict()),
    ("padding", dict(padding_idx=2)),
    ("padding_negative", dict(padding_idx=-1)),
    ("scale_grad_by_freq", dict(scale_grad_by_freq=True)),
    ("max_norm", dict(max_norm=1.5)),
    ("max_norm_p1", dict(max_norm=2.0, norm_type=1.0)),
]


@requires_torch
@pytest.mark.parametrize("name,kwargs", EMBEDDING_CASES, ids=[c[0] for c in EMBEDDING_CASES])
def test_embedding_matches_pytorch(name, kwargs):
    import torch

    idx = np.array([[0, 2, 9, 2], [4, 2, 0, 9]], dtype=np.int64)
    ours, theirs = _check_module(nn.Embedding(10, 4, **kwargs), torch.nn.Embedding(10, 4, **kwargs), [idx])
    # max_norm renormalises the looked-up rows of the weight in place.
    np.testing.assert_allclose(_to_np(ours.weight), theirs.weight.detach().numpy(), rtol=RTOL, atol=ATOL)


def test_embedding_padding_row_starts_at_zero_and_gets_no_gradient():
    emb = nn.Embedding(5, 3, padding_idx=1)
    assert emb.weight[1].tolist() == [0.0, 0.0, 0.0]
    emb(fngrad.tensor([1, 1, 3])).sum().backward()
    assert emb.weight.grad[1].tolist() == [0.0, 0.0, 0.0]
    assert emb.weight.grad[3].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 3, padding_idx=5)


def test_embedding_from_pretrained_shares_and_freezes():
    table = fngrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    assert emb(fngrad.tensor([1])).tolist() == [[3.0, 4.0]]
    table[0, 0] = 9.0
    assert emb.weight[0, 0].item() == 9.0
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(fngrad.ones(3))


def test_dropout_statistics_and_modes():
    drop = nn.Dropout(0.3)
    x = fngrad.ones(200, 500)
    y = drop(x).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01  # about 1 - p kept (std of the mean ~0.001)
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


LOSS_CASES = [
    ("MSELoss", lambda n, lib: n.MSELoss(), "reg"),
    ("MSELoss_sum", lambda n, lib: n.MSELoss(reduction="sum"), "reg"),
    ("L1Loss", lambda n, lib: n.L1Loss(), "reg"),
    ("L1Loss_none", lambda n, lib: n.L1Loss(reduction="none"), "reg"),
    ("SmoothL1Loss", lambda n, lib: n.SmoothL1Loss(beta=0.5), "reg"),
    ("SmoothL1Loss_sum", lambda n, lib: n.SmoothL1Loss(reduction="sum"), "reg"),
    ("SmoothL1Loss_beta0", lambda n, lib: n.SmoothL1Loss(beta=0.0), "reg"),
    ("HuberLoss", lambda n, lib: n.HuberLoss(delta=0.7), "reg"),
    ("HuberLoss_none", lambda n, lib: n.HuberLoss(reduction="none", delta=1.3), "reg"),
    ("CrossEntropyLoss", lambda n, lib: n.CrossEntropyLoss(), "cls"),
    ("CrossEntropyLoss_smooth", lambda n, lib: n.CrossEntropyLoss(label_smoothing=0.2), "cls"),
    ("CrossEntropyLoss_weight_smooth_ignore",
     lambda n, lib: n.CrossEntropyLoss(weight=lib.tensor([0.5, 1.0, 2.0, 1.5], dtype=lib.float64),
                                       ignore_index=1, label_smoothing=0.1), "cls"),
    ("CrossEntropyLoss_probs", lambda n, lib: n.CrossEntropyLoss(label_smoothing=0.1), "probs"),
    ("NLLLoss", lambda n, lib: n.NLLLoss(), "logp"),
    ("NLLLoss_weight_ignore",
     lambda n, lib: n.NLLLoss(weight=lib.tensor([0.5, 1.0, 2.0, 1.5], dtype=lib.float64), ignore_index=2), "logp"),
    ("BCELoss", lambda n, lib: n.BCELoss(), "prob"),
    ("BCELoss_weight", lambda n, lib: n.BCELoss(weight=lib.tensor([1.0, 2.0, 0.5, 3.0], dtype=lib.float64)), "prob"),
    ("BCEWithLogitsLoss", lambda n, lib: n.BCEWithLogitsLoss(), "logit"),
    ("BCEWithLogitsLoss_pos_weight",
     lambda n, lib: n.BCEWithLogitsLoss(weight=lib.tensor([1.0, 2.0, 0.5, 3.0], dtype=lib.float64),
                                        pos_weight=lib.tensor([2.0, 0.5, 1.0, 4.0], dtype=lib.float64),
                                        reduction="sum"), "logit"),
    ("KLDivLoss_batchmean", lambda n, lib: n.KLDivLoss(reduction="batchmean"), "kl"),
    ("KLDivLoss_sum_log_target", lambda n, lib: n.KLDivLoss(reduction="sum", log_target=True), "kl_log"),
    ("KLDivLoss_none", lambda n, lib: n.KLDivLoss(reduction="none"), "kl"),
]


def _loss_inputs(kind):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4))
    if kind == "reg":
        return [x, rng.standard_normal((5, 4))]
    if kind == "cls":
        return [x, np.array([0, 1, 3, 2, 1], dtype=np.int64)]
    if kind == "probs":
        p = rng.random((5, 4))
        return [x, p / p.sum(1, keepdims=True)]
    if kind == "logp":
        logp = x - np.log(np.exp(x).sum(1, keepdims=True))
        return [logp, np.array([0, 1, 3, 2, 2], dtype=np.int64)]
    if kind == "prob":
        return [1 / (1 + np.exp(-x)), rng.random((5, 4))]
    if kind == "logit":
        return [x * 3, (rng.random((5, 4)) > 0.5).astype(np.float64)]
    p = rng.random((5, 4))
    p[0, 0] = 0.0  # a zero target contributes 0
    p = p / p.sum(1, keepdims=True)
    logq = x - np.log(np.exp(x).sum(1, keepdims=True))
    return [logq, np.log(p + 1e-3) if kind == "kl_log" else p]


@requires_torch
@pytest.mark.parametrize("name,make,kind", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_loss_matches_pytorch(name, make, kind):
    import torch

    # Target gradients are checked in test_loss_target_gradients_match_pytorch, away from target = 0
    # (where PyTorch's KL-divergence target gradient is NaN).
    _check_module(make(nn, fngrad), make(torch.nn, torch), _loss_inputs(kind), grad_inputs=(0,))


@requires_torch
def test_loss_target_gradients_match_pytorch():
    """Gradients also reach float targets (MSE, smooth L1, BCE with logits, KL div)."""
    import torch
    import torch.nn.functional as TF

    import fngrad.nn.functional as F

    rng = np.random.default_rng(5)
    x, t = rng.standard_normal((3, 4)), rng.random((3, 4))
    for ours, theirs in [(F.smooth_l1_loss, TF.smooth_l1_loss), (F.huber_loss, TF.huber_loss),
                         (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits),
                         (lambda a, b: F.kl_div(a, b, reduction="batchmean"),
                          lambda a, b: TF.kl_div(a, b, reduction="batchmean"))]:
        fx, ft = fngrad.from_numpy(x.copy()).requires_grad_(), fngrad.from_numpy(t.copy()).requires_grad_()
        tx, tt = torch.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(t.copy()).requires_grad_()
        ours(fx, ft).backward()
        theirs(tx, tt).backward()
        np.testing.assert_allclose(_to_np(fx.grad), tx.grad.numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(_to_np(ft.grad), tt.grad.numpy(), rtol=RTOL, atol=ATOL)


@requires_torch
def test_model_code_runs_with_fngrad_as_torch():
    """A PyTorch-style model and training loop, written once against a ``torch`` namespace, runs on
    fngrad and on PyTorch from the same initial state, and both give the same losses and weights."""
    import torch as real_torch

    def build(torch):
        class MLP(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = torch.nn.Embedding(6, 4, padding_idx=0)
                self.body = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.LayerNorm(16), torch.nn.GELU(),
                                                torch.nn.Linear(16, 3))

            def forward(self, tokens):
                return self.body(self.embed(tokens).flatten(1))

        return MLP().double()

    ours, theirs = build(fngrad), build(real_torch)
    ours.load_state_dict({k: fngrad.from_numpy(v.numpy().copy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 6, size=(10, 2))
    labels = rng.integers(0, 3, size=10)
    for lib, model in ((fngrad, ours), (real_torch, theirs)):
        loss_fn = lib.nn.CrossEntropyLoss(label_smoothing=0.05)
        losses = []
        for _ in range(5):
            model.zero_grad()
            loss = loss_fn(model(lib.from_numpy(tokens.copy())), lib.from_numpy(labels.copy()))
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            with lib.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
            losses.append(loss.item())
        model.losses = losses
    np.testing.assert_allclose(ours.losses, theirs.losses, rtol=1e-10)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(_to_np(p), q.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


# ---- bad input ----

@requires_torch
def test_bad_input_matches_pytorch_exception_types():
    import torch

    cases = [
        (lambda n, lib: n.Linear(3, 2)(lib.ones(4, 5)), "Linear"),
        (lambda n, lib: n.LayerNorm(4)(lib.ones(2, 5)), "normalized_shape"),
        (lambda n, lib: n.Bilinear(2, 3, 4)(lib.ones(5, 3), lib.ones(5, 3)), "bilinear"),
        (lambda n, lib: n.Embedding(4, 2)(lib.tensor([4])), "index out of range"),
        (lambda n, lib: n.Embedding(4, 2)(lib.tensor([1.0])), "Long"),
        (lambda n, lib: n.BCEWithLogitsLoss()(lib.ones(2, 3), lib.ones(3)), "must be the same as input size"),
        (lambda n, lib: n.SmoothL1Loss(beta=-1.0)(lib.ones(2), lib.ones(2)), "negative values for beta"),
        (lambda n, lib: n.Hardtanh(1.0, -1.0), None),
        (lambda n, lib: n.Unflatten(1, (4, 4))(lib.ones(2, 6)), "unflatten"),
        (lambda n, lib: n.Conv2d(3, 4, 3)(lib.ones(1, 2, 5, 5)), "channels"),
        (lambda n, lib: n.Conv2d(3, 4, 3, groups=2), "divisible by groups"),
        (lambda n, lib: n.GroupNorm(3, 4), "divisible by num_groups"),
        (lambda n, lib: n.MaxPool2d(2, padding=2)(lib.ones(1, 1, 4, 4)), "pad should be at most half"),
        (lambda n, lib: n.RNNCell(3, 4)(lib.ones(2, 5)), "input_size"),
        (lambda n, lib: n.RNNCell(3, 4, nonlinearity="gelu")(lib.ones(2, 3)), "Unknown nonlinearity"),
    ]
    for case, needle in cases:
        with pytest.raises(Exception) as theirs:
            case(torch.nn, torch)
        with pytest.raises(type(theirs.value), match=needle) as ours:
            case(nn, fngrad)
        assert type(ours.value) is type(theirs.value)


def test_linear_shape_error_names_the_layer():
    with pytest.raises(RuntimeError, match=r"\[Linear\] mat1 and mat2 shapes cannot be multiplied \(4x5 and 3x2\)"):
        nn.Linear(3, 2)(fngrad.ones(4, 5))


# ---- nn.utils ----

def _grads_fixture(lib, norm_scale=1.0):
    rng = np.random.default_rng(7)
    params = []
    for shape in [(3, 4), (4,), (2, 2, 2)]:
        p = lib.nn.Parameter(lib.from_numpy(rng.standard_normal(shape)))
        p.grad = lib.from_numpy(rng.standard_normal(shape) * norm_scale)
        params.append(p)
    return params


@requires_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm):
    import torch

    ours, theirs = _grads_fixture(fngrad), _grads_fixture(torch)
    n_ours = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    n_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    np.testing.assert_allclose(n_ours.item(), n_theirs.item(), rtol=RTOL)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(_to_np(p.grad), q.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_clip_grad_norm_hand_values_and_errors():
    p = nn.Parameter(fngrad.zeros(2, dtype=fngrad.float64))
    p.grad = fngrad.tensor([3.0, 4.0], dtype=fngrad.float64)
    total = nn.utils.clip_grad_norm_(p, 1.0)  # a single tensor is accepted
    assert total.item() == 5.0
    np.testing.assert_allclose(p.grad.numpy(), [3 / (5 + 1e-6), 4 / (5 + 1e-6)], rtol=1e-12)
    p.grad = fngrad.tensor([float("inf"), 1.0], dtype=fngrad.float64)
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert nn.utils.clip_grad_norm_([nn.Parameter(fngrad.ones(1))], 1.0).item() == 0.0  # no gradients


def test_clip_grad_value_and_vector_round_trip():
    params = _grads_fixture(fngrad, norm_scale=3.0)
    expected = [np.clip(_to_np(p.grad), -0.5, 0.5) for p in params]
    nn.utils.clip_grad_value_(params, 0.5)
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(_to_np(p.grad), e)
    vec = nn.utils.parameters_to_vector(params)
    assert tuple(vec.shape) == (12 + 4 + 8,)
    np.testing.assert_array_equal(_to_np(vec), np.concatenate([_to_np(p).reshape(-1) for p in params]))
    new = fngrad.arange(24, dtype=fngrad.float64)
    nn.utils.vector_to_parameters(new, params)
    assert params[1].tolist() == [12.0, 13.0, 14.0, 15.0] and tuple(params[2].shape) == (2, 2, 2)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], params)
