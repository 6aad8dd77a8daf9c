"""nn.init and the layers' default initialisation, checked by distribution: every value inside the
formula's bounds, and the sample mean and variance of 10^5 draws within ~6 standard errors of the
formula's (PyTorch's documented distributions). calculate_gain is compared with PyTorch."""

import math

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad import nn

N_ROWS, N_COLS = 250, 400  # 10^5 draws


def _values(t):
    return t.detach().numpy().astype(np.float64).reshape(-1)


def _check_uniform(values, lo, hi):
    assert values.min() >= lo and values.max() <= hi
    n = values.size
    width = hi - lo
    assert abs(values.mean() - (lo + hi) / 2) < 6 * width / math.sqrt(12 * n)
    # relative standard error of the sample variance of a uniform: sqrt(0.8 / n)
    assert abs(values.var() / (width**2 / 12) - 1) < 6 * math.sqrt(0.8 / n)


def _check_normal(values, mean, std):
    n = values.size
    assert abs(values.mean() - mean) < 6 * std / math.sqrt(n)
    assert abs(values.var() / std**2 - 1) < 6 * math.sqrt(2 / n)


def test_uniform_and_normal():
    t = fngrad.empty(N_ROWS, N_COLS)
    assert nn.init.uniform_(t, -2.0, 3.0) is t
    _check_uniform(_values(t), -2.0, 3.0)
    nn.init.normal_(t, 1.5, 0.25)
    _check_normal(_values(t), 1.5, 0.25)


def test_trunc_normal_matches_the_truncated_distribution():
    mean, std, a, b = 0.5, 2.0, -1.0, 3.0
    t = nn.init.trunc_normal_(fngrad.empty(N_ROWS, N_COLS, dtype=fngrad.float64), mean, std, a, b)
    v = _values(t)
    assert v.min() >= a and v.max() <= b
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    exp_mean = mean + std * (pdf(alpha) - pdf(beta)) / z
    exp_var = std**2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2)
    assert abs(v.mean() - exp_mean) < 6 * math.sqrt(exp_var / v.size)
    assert abs(v.var() / exp_var - 1) < 0.03


def test_constant_ones_zeros_eye():
    t = fngrad.empty(3, 4)
    assert nn.init.constant_(t, 0.25) is t and t.tolist() == [[0.25] * 4] * 3
    assert nn.init.ones_(t).tolist() == [[1.0] * 4] * 3
    assert nn.init.zeros_(t).tolist() == [[0.0] * 4] * 3
    np.testing.assert_array_equal(nn.init.eye_(t).numpy(), np.eye(3, 4, dtype=np.float32))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        nn.init.eye_(fngrad.empty(2, 2, 2))


def test_xavier():
    t = fngrad.empty(N_ROWS, N_COLS)
    gain = 1.7
    bound = gain * math.sqrt(6.0 / (N_ROWS + N_COLS))
    nn.init.xavier_uniform_(t, gain=gain)
    _check_uniform(_values(t), -bound, bound)
    nn.init.xavier_normal_(t, gain=gain)
    _check_normal(_values(t), 0.0, gain * math.sqrt(2.0 / (N_ROWS + N_COLS)))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("relu", 0), ("leaky_relu", 0.2), ("tanh", 0)])
def test_kaiming(mode, nonlinearity, a):
    # A conv-shaped weight: fan_in = 40 * 5 * 5, fan_out = 100 * 5 * 5.
    t = fngrad.empty(100, 40, 5, 5)
    fan = (40 if mode == "fan_in" else 100) * 25
    gain = {"relu": math.sqrt(2.0), "leaky_relu": math.sqrt(2.0 / (1 + a * a)), "tanh": 5.0 / 3}[nonlinearity]
    std = gain / math.sqrt(fan)
    nn.init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _check_uniform(_values(t), -math.sqrt(3.0) * std, math.sqrt(3.0) * std)
    nn.init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _check_normal(_values(t), 0.0, std)


def test_kaiming_zero_element_tensor_is_a_noop_with_warning():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        nn.init.kaiming_uniform_(fngrad.empty(0, 3))


@pytest.mark.parametrize("shape", [(5, 8), (8, 5), (4, 2, 3)])
def test_orthogonal(shape):
    t = nn.init.orthogonal_(fngrad.empty(*shape, dtype=fngrad.float64), gain=2.0)
    w = t.numpy().reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-12)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        nn.init.orthogonal_(fngrad.empty(3))


def test_fan_and_gain_errors():
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"):
        nn.init.xavier_uniform_(fngrad.empty(3))
    with pytest.raises(ValueError, match="Mode fan_middle not supported, please use one of"):
        nn.init.kaiming_uniform_(fngrad.empty(3, 3), mode="fan_middle")
    with pytest.raises(ValueError, match="Unsupported nonlinearity softsign"):
        nn.init.calculate_gain("softsign")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        nn.init.calculate_gain("leaky_relu", True)


def test_init_writes_in_place_without_history():
    p = nn.Parameter(fngrad.zeros(3, 4))
    version = p._version
    assert nn.init.normal_(p) is p
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    assert p._version > version  # an in-place write, seen by autograd's version check
    assert float(p.abs().sum()) > 0


def test_generator_makes_draws_reproducible():
    g1, g2 = fngrad.Generator().manual_seed(42), fngrad.Generator().manual_seed(42)
    a = nn.init.uniform_(fngrad.empty(10), generator=g1)
    b = nn.init.uniform_(fngrad.empty(10), generator=g2)
    assert a.tolist() == b.tolist()


@requires_torch
def test_calculate_gain_matches_pytorch():
    import torch

    for name, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                        ("leaky_relu", None), ("leaky_relu", 0.3), ("leaky_relu", 2), ("selu", None)]:
        assert nn.init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


# ---- the layers' default initialisation (PyTorch's formulas) ----

def test_linear_default_init():
    fc = nn.Linear(250, 400)  # weight: U(+-1/sqrt(250)) (kaiming_uniform_ with a=sqrt(5)); bias the same
    bound = 1 / math.sqrt(250)
    _check_uniform(_values(fc.weight), -bound, bound)
    assert np.abs(_values(fc.bias)).max() <= bound
    assert fc.weight.dtype == fngrad.float32 and tuple(fc.weight.shape) == (400, 250)
    assert nn.Linear(3, 2, dtype=fngrad.float64).weight.dtype == fngrad.float64


def test_bilinear_default_init():
    bl = nn.Bilinear(25, 40, 100)
    bound = 1 / math.sqrt(25)
    _check_uniform(_values(bl.weight), -bound, bound)
    assert np.abs(_values(bl.bias)).max() <= bound


def test_embedding_and_layer_norm_default_init():
    emb = nn.Embedding(N_ROWS, N_COLS)
    _check_normal(_values(emb.weight), 0.0, 1.0)
    ln = nn.LayerNorm((2, 3))
    assert ln.weight.tolist() == [[1.0] * 3] * 2 and ln.bias.tolist() == [[0.0] * 3] * 2


def test_reset_parameters_redraws():
    fc = nn.Linear(4, 3)
    before = fc.weight.tolist()
    fc.reset_parameters()
    assert fc.weight.tolist() != before


def test_conv_and_norm_default_init():
    conv = nn.Conv2d(16, 400, (4, 4), groups=2)  # fan_in = 16 / 2 * 4 * 4 = 128
    bound = 1 / math.sqrt(128)
    _check_uniform(_values(conv.weight), -bound, bound)
    assert np.abs(_values(conv.bias)).max() <= bound
    bn = nn.BatchNorm1d(3)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3
    assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3
    assert bn.num_batches_tracked.dtype == fngrad.int64 and int(bn.num_batches_tracked) == 0
    gn = nn.GroupNorm(2, 4)
    assert gn.weight.tolist() == [1.0] * 4 and gn.bias.tolist() == [0.0] * 4


@pytest.mark.parametrize("cell,chunks", [("RNNCell", 1), ("LSTMCell", 4), ("GRUCell", 3)])
def test_rnn_cell_default_init(cell, chunks):
    m = getattr(nn, cell)(400, 64)  # every weight and bias: U(+-1/sqrt(hidden_size))
    bound = 1 / math.sqrt(64)
    assert tuple(m.weight_ih.shape) == (chunks * 64, 400) and tuple(m.weight_hh.shape) == (chunks * 64, 64)
    _check_uniform(_values(m.weight_ih), -bound, bound)
    for p in (m.weight_hh, m.bias_ih, m.bias_hh):
        assert np.abs(_values(p)).max() <= bound
