"""nn.utils parametrizations (parametrize, weight_norm, spectral_norm, orthogonal), the hook forms of
weight/spectral norm, batch-norm fusion, stateless.functional_call, the clip_grad pieces and the lazy
modules: against PyTorch with copied weights, and against NumPy formulas and finite differences."""

import warnings

import numpy as np
import pytest

import fngrad
from conftest import numeric_grad, requires_torch
from fngrad import nn
from fngrad.nn.utils import parametrizations as P
from fngrad.nn.utils import parametrize


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _tt(a):
    import torch
    return torch.tensor(np.asarray(a))


def _copy_params(src_torch, dst_fngrad):
    """Copies every tensor of torch's state_dict into fngrad's, by name (the names must agree)."""
    sd = {k: fngrad.tensor(v.detach().numpy().copy()) for k, v in src_torch.state_dict().items()}
    assert set(sd) == set(dst_fngrad.state_dict())
    dst_fngrad.load_state_dict(sd)


def _close(a, b, atol=1e-5, rtol=1e-5):
    np.testing.assert_allclose(_np(a), _np(b), atol=atol, rtol=rtol)


# ---------------------------------------------------------------- parametrize (no torch)

class _Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).T

    def right_inverse(self, A):
        return A.triu()


class _Scale(nn.Module):
    def forward(self, X):
        return 3 * X

    def right_inverse(self, A):
        return A / 3


def test_register_parametrization_computes_stores_and_assigns():
    m = nn.Linear(3, 3)
    w0 = _np(m.weight).copy()
    parametrize.register_parametrization(m, "weight", _Symmetric())
    stored = m.parametrizations.weight.original
    np.testing.assert_allclose(_np(stored), np.triu(w0))  # right_inverse ran on registration
    np.testing.assert_allclose(_np(m.weight), np.triu(w0) + np.triu(w0, 1).T)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert type(m).__name__ == "ParametrizedLinear"
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias") and not parametrize.is_parametrized(nn.Linear(2, 2))
    # Assignment goes through right_inverse into the same stored tensor.
    a = np.arange(9.0, dtype=np.float32).reshape(3, 3)
    m.weight = fngrad.tensor(a)
    assert m.parametrizations.weight.original is stored
    np.testing.assert_allclose(_np(stored), np.triu(a))
    # Another Linear is untouched by the class swap.
    assert type(nn.Linear(3, 3)) is nn.Linear


def test_two_parametrizations_apply_in_order_and_invert_in_reverse():
    m = nn.Linear(2, 2)
    parametrize.register_parametrization(m, "weight", _Symmetric())
    parametrize.register_parametrization(m, "weight", _Scale())
    x = _np(m.parametrizations.weight.original)
    np.testing.assert_allclose(_np(m.weight), 3 * (np.triu(x) + np.triu(x, 1).T), rtol=1e-6)
    target = np.array([[1.0, 2.0], [2.0, 5.0]], dtype=np.float32)
    m.weight = fngrad.tensor(target)
    np.testing.assert_allclose(_np(m.weight), target, rtol=1e-6)


def test_remove_parametrizations_leave_parametrized_or_original():
    m = nn.Linear(2, 2)
    parametrize.register_parametrization(m, "weight", _Scale())
    orig = _np(m.parametrizations.weight.original).copy()
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
    assert type(m) is nn.Linear and not hasattr(m, "parametrizations")
    np.testing.assert_allclose(_np(m.weight), 3 * orig, rtol=1e-6)
    assert isinstance(m.weight, nn.Parameter) and list(m.state_dict()) == ["bias", "weight"]
    parametrize.register_parametrization(m, "weight", _Scale())
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    np.testing.assert_allclose(_np(m.weight), orig, rtol=1e-6)  # right_inverse(3 orig) is what stays
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(m, "weight")


def test_parametrization_checks_shape_unless_unsafe_and_bad_names():
    class Flatten(nn.Module):
        def forward(self, X):
            return X.flatten()

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", Flatten())
    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Flatten(), unsafe=True)
    assert m.weight.shape == (4,)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element with name"):
        parametrize.register_parametrization(nn.Linear(2, 2), "nope", Flatten())


def test_parametrized_module_trains_loads_and_caches():
    m = parametrize.register_parametrization(nn.Linear(3, 3), "weight", _Symmetric())
    opt = fngrad.optim.SGD(m.parameters(), lr=0.1)
    m(fngrad.randn(4, 3)).pow(2).sum().backward()
    opt.step()
    w = _np(m.weight)
    np.testing.assert_allclose(w, w.T)
    other = parametrize.register_parametrization(nn.Linear(3, 3), "weight", _Symmetric())
    other.load_state_dict(m.state_dict())
    np.testing.assert_allclose(_np(other.weight), w)
    assert m.weight is not m.weight
    with parametrize.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight


def test_buffer_parametrization_and_multi_tensor_right_inverse():
    m = nn.Module()
    m.register_buffer("b", fngrad.tensor([1.0, 2.0]))
    parametrize.register_parametrization(m, "b", _Scale())
    assert list(m.state_dict()) == ["parametrizations.b.original"]
    np.testing.assert_allclose(_np(m.b), [1.0, 2.0], rtol=1e-6)
    lin = P.weight_norm(nn.Linear(3, 2))
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        parametrize.remove_parametrizations(lin, "weight", leave_parametrized=False)
    w = _np(lin.weight).copy()
    parametrize.remove_parametrizations(lin, "weight")
    np.testing.assert_allclose(_np(lin.weight), w)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.requires_grad


# ---------------------------------------------------------------- parametrizations (no torch)

@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_is_g_v_over_norm_v(dim):
    m = P.weight_norm(nn.Linear(4, 3), dim=dim)
    g = _np(m.parametrizations.weight.original0)
    v = _np(m.parametrizations.weight.original1)
    if dim is None:
        norm = np.sqrt((v ** 2).sum())
    else:
        norm = np.sqrt((v ** 2).sum(axis=1 - dim, keepdims=True))
    assert g.shape == (() if dim is None else ((3, 1) if dim == 0 else (1, 4)))
    np.testing.assert_allclose(_np(m.weight), g * v / norm, rtol=1e-5)
    new_g = np.full(g.shape, 2.0, dtype=np.float32)
    m.parametrizations.weight.original0.data = fngrad.tensor(new_g)
    np.testing.assert_allclose(_np(m.weight), new_g * v / norm, rtol=1e-5)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3)])
def test_orthogonal_weight_is_orthogonal_and_stays_so_after_steps(orthogonal_map, shape):
    m = nn.Module()
    m.weight = nn.Parameter(fngrad.randn(*shape))
    P.orthogonal(m, orthogonal_map=orthogonal_map)
    opt = fngrad.optim.SGD(m.parameters(), lr=0.5)
    for _ in range(3):
        W = _np(m.weight)
        tall = W if W.shape[-2] >= W.shape[-1] else np.swapaxes(W, -1, -2)
        gram = np.swapaxes(tall, -1, -2) @ tall
        np.testing.assert_allclose(gram, np.broadcast_to(np.eye(tall.shape[-1]), gram.shape), atol=2e-5)
        opt.zero_grad()
        (m.weight * fngrad.randn(*shape)).sum().backward()
        opt.step()


def test_orthogonal_keeps_an_orthogonal_weight_and_rejects_bad_input():
    q, _ = np.linalg.qr(np.random.randn(4, 4))
    m = nn.Linear(4, 4)
    m.weight.data = fngrad.tensor(q.astype(np.float32))
    P.orthogonal(m)
    np.testing.assert_allclose(_np(m.weight), q, atol=1e-5)
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."):
        P.orthogonal(nn.Linear(2, 2), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder"'):
        P.orthogonal(nn.Linear(2, 2), orthogonal_map="qr")
    m = P.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="not possible to assign to the matrix exponential or the Cayley"):
        m.weight = fngrad.eye(3)


@pytest.mark.parametrize("module", [lambda: nn.Linear(6, 4), lambda: nn.Conv2d(3, 5, 3),
                                    lambda: nn.ConvTranspose2d(3, 5, 2)])
def test_spectral_norm_converges_to_unit_largest_singular_value(module):
    m = P.spectral_norm(module(), n_power_iterations=5)
    for _ in range(40):
        W = m.weight
    mat = _np(W)
    if isinstance(m, nn.ConvTranspose2d):
        mat = np.swapaxes(mat, 0, 1)
    assert abs(np.linalg.svd(mat.reshape(mat.shape[0], -1), compute_uv=False)[0] - 1.0) < 1e-4
    # In eval mode the vectors stay as they are.
    m.eval()
    u = _np(m.parametrizations.weight[0]._u).copy()
    _ = m.weight
    np.testing.assert_array_equal(_np(m.parametrizations.weight[0]._u), u)


def test_spectral_norm_errors_and_1d():
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got n_power_iterations=0"):
        P.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
        P.spectral_norm(nn.Linear(2, 2), "w")
    m = P.spectral_norm(nn.Linear(2, 3), "bias")
    b = _np(m.parametrizations.bias.original)
    np.testing.assert_allclose(_np(m.bias), b / np.linalg.norm(b), rtol=1e-6)


def _fd_check(m, param, x):
    """Gradient of sum(m(x)^2) w.r.t. ``param`` against central differences, in float64."""
    def f(a):
        with fngrad.no_grad():
            param.copy_(fngrad.tensor(a))
        return float(m(x).pow(2).sum())

    a0 = _np(param).copy()
    expected = numeric_grad(f, a0)
    with fngrad.no_grad():
        param.copy_(fngrad.tensor(a0))
    param.grad = None
    m(x).pow(2).sum().backward()
    np.testing.assert_allclose(_np(param.grad), expected, rtol=1e-5, atol=1e-7)


def test_finite_difference_gradients_through_the_parametrizations():
    x = fngrad.randn(3, 4, dtype=fngrad.float64)
    m = P.weight_norm(nn.Linear(4, 3).double())
    _fd_check(m, m.parametrizations.weight.original0, x)
    _fd_check(m, m.parametrizations.weight.original1, x)
    m = P.spectral_norm(nn.Linear(4, 3).double()).eval()  # fixed u, v: a deterministic function
    _fd_check(m, m.parametrizations.weight.original, x)
    for orthogonal_map, (n_out, n_in) in [("matrix_exp", (4, 4)), ("cayley", (4, 4)), ("householder", (3, 4)),
                                          ("matrix_exp", (5, 4)), ("cayley", (3, 4))]:
        m = P.orthogonal(nn.Linear(n_in, n_out).double(), orthogonal_map=orthogonal_map)
        with fngrad.no_grad():
            m.parametrizations.weight.original.add_(0.3 * fngrad.randn(n_out, n_in, dtype=fngrad.float64))
        _fd_check(m, m.parametrizations.weight.original, x)


# ---------------------------------------------------------------- hook forms (no torch)

def test_old_weight_norm_hook_warns_recomputes_and_removes():
    m = nn.Linear(4, 3)
    w0 = _np(m.weight).copy()
    with pytest.warns(FutureWarning, match=r"`torch.nn.utils.weight_norm` is deprecated in favor of "
                                           r"`torch.nn.utils.parametrizations.weight_norm`."):
        nn.utils.weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(_np(m.weight_g), np.linalg.norm(w0, axis=1, keepdims=True), rtol=1e-6)
    with fngrad.no_grad():
        m.weight_g.mul_(2)
    x = fngrad.randn(2, 4)
    np.testing.assert_allclose(_np(m(x)), _np(x) @ (2 * w0).T + _np(m.bias), rtol=1e-5, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
            nn.utils.weight_norm(m)
    nn.utils.remove_weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(_np(m.weight), 2 * w0, rtol=1e-5)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(m)


def test_old_spectral_norm_hook_keys_and_removal():
    m = nn.utils.spectral_norm(nn.Linear(5, 4))
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    for _ in range(60):
        m(fngrad.ones(1, 5))
    assert abs(np.linalg.svd(_np(m.weight), compute_uv=False)[0] - 1.0) < 1e-4
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    assert abs(np.linalg.svd(_np(m.weight), compute_uv=False)[0] - 1.0) < 1e-4


# ---------------------------------------------------------------- fusion, clip, stateless (no torch)

def test_fused_conv_bn_and_linear_bn_equal_the_pair_in_eval():
    conv, bn = nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4)
    with fngrad.no_grad():
        bn.running_mean.copy_(fngrad.randn(4))
        bn.running_var.copy_(fngrad.rand(4) + 0.5)
        bn.weight.copy_(fngrad.randn(4))
        bn.bias.copy_(fngrad.randn(4))
    conv.eval(), bn.eval()
    x = fngrad.randn(2, 3, 6, 6)
    _close(nn.utils.fuse_conv_bn_eval(conv, bn)(x), bn(conv(x)))
    deconv = nn.ConvTranspose2d(3, 4, 2).eval()
    _close(nn.utils.fuse_conv_bn_eval(deconv, bn, transpose=True)(x), bn(deconv(x)))
    fc, bn1 = nn.Linear(3, 4).eval(), nn.BatchNorm1d(4).eval()
    with fngrad.no_grad():
        bn1.running_var.copy_(fngrad.rand(4) + 0.5)
    x = fngrad.randn(5, 3)
    fused = nn.utils.fuse_linear_bn_eval(fc, bn1)
    _close(fused(x), bn1(fc(x)))
    assert fused.weight.requires_grad and fused.weight.is_leaf
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_linear_bn_eval(fc.train(), bn1)


def test_get_total_norm_and_clip_grads_with_norm():
    a, b = nn.Parameter(fngrad.zeros(2)), nn.Parameter(fngrad.zeros(3))
    a.grad, b.grad = fngrad.tensor([3.0, 0.0]), fngrad.tensor([0.0, 4.0, 0.0])
    total = nn.utils.get_total_norm([a.grad, b.grad])
    assert total.item() == pytest.approx(5.0)
    assert nn.utils.get_total_norm([a.grad, b.grad], norm_type="inf").item() == 4.0
    nn.utils.clip_grads_with_norm_([a, b], 1.0, total)
    np.testing.assert_allclose(_np(a.grad), [3 / (5 + 1e-6), 0.0], rtol=1e-6)
    with pytest.warns(FutureWarning, match="`torch.nn.utils.clip_grad_norm` is now deprecated in favor of"):
        out = nn.utils.clip_grad_norm(iter([a, b]), 10.0)
    assert out.item() == pytest.approx(1.0, rel=1e-5)
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        nn.utils.get_total_norm([fngrad.tensor([float("nan")])], error_if_nonfinite=True)


def _stateless(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return nn.utils.stateless.functional_call(*args, **kwargs)


def test_functional_call_swaps_for_one_call_and_differentiates():
    fc = nn.Linear(2, 1)
    w0 = fc.weight
    w = fngrad.tensor([[1.0, 2.0]], requires_grad=True)
    out = _stateless(fc, {"weight": w}, fngrad.tensor([[1.0, 1.0]]))
    np.testing.assert_allclose(_np(out), [3 + _np(fc.bias)], rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(_np(w.grad), [[1.0, 1.0]])
    assert fc.weight is w0 and w0.grad is None
    bn = nn.BatchNorm1d(2)
    mean = fngrad.zeros(2)
    _stateless(bn, {"running_mean": mean}, (fngrad.tensor([[1.0, 3.0], [3.0, 5.0]]),))
    np.testing.assert_allclose(_np(mean), [0.2, 0.4], rtol=1e-6)  # the given buffer took the update
    np.testing.assert_allclose(_np(bn.running_mean), [0.0, 0.0])
    with pytest.warns(FutureWarning, match="is deprecated as of PyTorch 2.0"):
        nn.utils.stateless.functional_call(fc, {}, fngrad.ones(1, 2))


def test_functional_call_tied_weights_and_strict():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2, bias=False)
            self.b = nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    m = Tied()
    w = fngrad.eye(2) * 2
    out = _stateless(m, {"a.weight": w}, fngrad.ones(1, 2))
    np.testing.assert_allclose(_np(out), [[4.0, 4.0]])
    out = _stateless(m, {"a.weight": w}, fngrad.ones(1, 2), tie_weights=False)
    np.testing.assert_allclose(_np(out), _np(fngrad.ones(1, 2) @ w @ m.a.weight.T))
    with pytest.raises(ValueError, match="functional_call got multiple values for keys"):
        _stateless(m, {"a.weight": w, "b.weight": w + 1}, fngrad.ones(1, 2))
    with pytest.raises(RuntimeError, match="Error\\(s\\) in reparametrizing for Linear:\n\tUnexpected key\\(s\\): "
                                           "'foo'.\n\tMissing key\\(s\\): 'bias'."):
        _stateless(nn.Linear(2, 2), {"weight": fngrad.ones(2, 2), "foo": fngrad.ones(1)}, fngrad.ones(1, 2),
                   strict=True)


def test_skip_init_checks_its_class():
    assert nn.utils.skip_init(nn.Linear, 3, 2).weight.shape == (2, 3)
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
        nn.utils.skip_init(nn.ReLU)
    with pytest.raises(RuntimeError, match="Expected a Module; got"):
        nn.utils.skip_init(int)


# ---------------------------------------------------------------- lazy modules (no torch)

def test_uninitialized_parameter_and_lazy_linear():
    p = nn.UninitializedParameter()
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter or buffer"):
        p.shape
    fc = nn.LazyLinear(3)
    assert repr(fc.weight) == "<UninitializedParameter>" and fc.has_uninitialized_params()
    opt_params = list(fc.parameters())
    x = fngrad.randn(2, 5)
    y = fc(x)
    assert type(fc) is nn.Linear and fc.in_features == 5 and type(fc.weight) is nn.Parameter
    assert fc.weight is opt_params[0]  # materialized in place: an optimizer made before keeps it
    np.testing.assert_allclose(_np(y), _np(x) @ _np(fc.weight).T + _np(fc.bias), rtol=1e-5, atol=1e-6)
    assert np.abs(_np(fc.weight)).max() <= 1 / np.sqrt(5)
    fc2 = nn.LazyLinear(3)
    fc2.load_state_dict(fc.state_dict())
    np.testing.assert_array_equal(_np(fc2.weight), _np(fc.weight))
    with pytest.raises(ValueError, match="can't have uninitialized parameters"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nn.utils.weight_norm(nn.LazyLinear(2))


@pytest.mark.parametrize("make, shape, cls", [
    (lambda: nn.LazyConv1d(4, 3), (2, 5, 8), nn.Conv1d),
    (lambda: nn.LazyConv2d(4, 3, groups=2), (2, 6, 8, 8), nn.Conv2d),
    (lambda: nn.LazyConvTranspose1d(4, 3), (2, 5, 8), nn.ConvTranspose1d),
    (lambda: nn.LazyConvTranspose2d(4, 2, stride=2), (5, 8, 8), nn.ConvTranspose2d),
    (lambda: nn.LazyBatchNorm1d(), (4, 5), nn.BatchNorm1d),
    (lambda: nn.LazyBatchNorm2d(), (2, 5, 3, 3), nn.BatchNorm2d),
    (lambda: nn.LazyInstanceNorm1d(), (2, 5, 7), nn.InstanceNorm1d),
    (lambda: nn.LazyInstanceNorm2d(affine=False), (2, 5, 3, 3), nn.InstanceNorm2d),
])
def test_lazy_modules_become_their_class_with_inferred_shapes(make, shape, cls):
    m = make()
    keys = list(m.state_dict())
    x = fngrad.randn(*shape)
    y = m(x)
    assert type(m) is cls and not any(isinstance(t, nn.UninitializedParameter) for t in m.parameters())
    assert list(m.state_dict()) == keys
    # The same result as the class built with the inferred size and the same tensors.
    kwargs = {k: getattr(m, k) for k in ("kernel_size", "stride", "groups") if hasattr(m, k)}
    if cls in (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d):
        ref = cls(m.in_channels, m.out_channels, **kwargs)
    else:
        ref = cls(m.num_features, affine=m.affine, track_running_stats=m.track_running_stats)
    ref.load_state_dict({k: v for k, v in m.state_dict().items()})
    if hasattr(ref, "running_mean") and ref.running_mean is not None and isinstance(ref, nn.BatchNorm1d):
        ref.eval(), m.eval()
    _close(m(x), ref(x))
    assert y.shape == m(x).shape


# ---------------------------------------------------------------- against PyTorch

@requires_torch
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization_matches_torch(dim):
    import torch
    tm = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(4, 3).double(), dim=dim)
    fm = P.weight_norm(nn.Linear(4, 3).double(), dim=dim)
    assert list(fm.state_dict()) == list(tm.state_dict())
    _copy_params(tm, fm)
    x = np.random.randn(5, 4)
    (tm(_tt(x)) ** 2).sum().backward()
    fm(fngrad.tensor(x)).pow(2).sum().backward()
    _close(fm.weight, tm.weight.detach(), atol=1e-12)
    for (name, tp), (_, fp) in zip(tm.named_parameters(), fm.named_parameters()):
        _close(fp.grad, tp.grad.numpy(), atol=1e-10)
    # Conv weights too (dim 0 over a 4-d weight).
    tc = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv2d(2, 3, 3).double())
    fc = P.weight_norm(nn.Conv2d(2, 3, 3).double())
    _copy_params(tc, fc)
    _close(fc.weight, tc.weight.detach(), atol=1e-12)


@requires_torch
@pytest.mark.parametrize("make_t, make_f, shape", [
    (lambda t: t.nn.Linear(5, 4), lambda: nn.Linear(5, 4), (3, 5)),
    (lambda t: t.nn.Conv2d(2, 3, 3), lambda: nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    (lambda t: t.nn.ConvTranspose2d(2, 3, 2), lambda: nn.ConvTranspose2d(2, 3, 2), (1, 2, 3, 3)),
])
def test_spectral_norm_parametrization_u_v_and_outputs_match_torch(make_t, make_f, shape):
    import torch
    tm = torch.nn.utils.parametrizations.spectral_norm(make_t(torch).double(), n_power_iterations=2)
    fm = P.spectral_norm(make_f().double(), n_power_iterations=2)
    assert list(fm.state_dict()) == list(tm.state_dict())
    _copy_params(tm, fm)  # the original weight and torch's initial u and v
    x = np.random.randn(*shape)
    for _ in range(4):
        ty, fy = tm(_tt(x)), fm(fngrad.tensor(x))
        _close(fy, ty.detach(), atol=1e-10)
    for key in ("parametrizations.weight.0._u", "parametrizations.weight.0._v"):
        _close(fm.state_dict()[key], tm.state_dict()[key], atol=1e-10)
    (ty ** 2).sum().backward()
    fy.pow(2).sum().backward()
    _close(fm.parametrizations.weight.original.grad, tm.parametrizations.weight.original.grad, atol=1e-10)
    tm.eval(), fm.eval()
    _close(fm(fngrad.tensor(x)), tm(_tt(x)).detach(), atol=1e-10)
    _close(fm.state_dict()["parametrizations.weight.0._u"], tm.state_dict()["parametrizations.weight.0._u"],
           atol=1e-10)


@requires_torch
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_orthogonal_matches_torch_with_copied_base(orthogonal_map, shape):
    import torch
    w = np.random.randn(*shape)
    tm, fm = torch.nn.Module(), nn.Module()
    tm.weight = torch.nn.Parameter(_tt(w))
    fm.weight = nn.Parameter(fngrad.tensor(w))
    torch.nn.utils.parametrizations.orthogonal(tm, orthogonal_map=orthogonal_map)
    P.orthogonal(fm, orthogonal_map=orthogonal_map)
    assert list(fm.state_dict()) == list(tm.state_dict())
    tstate = {k: v.detach().numpy().copy() for k, v in tm.state_dict().items()}
    tstate["parametrizations.weight.original"] += 0.2 * np.random.randn(*shape)  # away from the identity
    with torch.no_grad():
        tm.parametrizations.weight.original.copy_(_tt(tstate["parametrizations.weight.original"]))
    fm.load_state_dict({k: fngrad.tensor(v) for k, v in tstate.items()})
    _close(fm.weight, tm.weight.detach(), atol=1e-10)
    c = np.random.randn(*shape)
    (tm.weight * _tt(c)).sum().backward()
    (fm.weight * fngrad.tensor(c)).sum().backward()
    _close(fm.parametrizations.weight.original.grad, tm.parametrizations.weight.original.grad, atol=1e-10)


@requires_torch
def test_register_parametrization_state_dict_matches_torch():
    import torch

    class TSym(torch.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()

    class TScale(torch.nn.Module):
        def forward(self, X):
            return 3 * X

    w = np.random.randn(3, 3)
    tm, fm = torch.nn.Linear(3, 3).double(), nn.Linear(3, 3).double()
    with torch.no_grad():
        tm.weight.copy_(_tt(w))
    fm.weight.data = fngrad.tensor(w)
    for t_par, f_par in [(TSym(), _Symmetric()), (TScale(), _Scale())]:
        torch.nn.utils.parametrize.register_parametrization(tm, "weight", t_par)
        parametrize.register_parametrization(fm, "weight", f_par)
    tsd, fsd = tm.state_dict(), fm.state_dict()
    assert list(fsd) == list(tsd)
    for k in tsd:
        if k != "bias":
            _close(fsd[k], tsd[k].numpy(), atol=1e-12)
    _close(fm.weight, tm.weight.detach(), atol=1e-12)
    torch.nn.utils.parametrize.remove_parametrizations(tm, "weight", leave_parametrized=True)
    parametrize.remove_parametrizations(fm, "weight", leave_parametrized=True)
    assert list(fm.state_dict()) == list(tm.state_dict())
    _close(fm.weight, tm.weight.detach(), atol=1e-12)


@requires_torch
def test_old_hooks_match_torch():
    import torch
    x = np.random.randn(3, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.utils.weight_norm(torch.nn.Linear(5, 4).double(), dim=1)
        fm = nn.utils.weight_norm(nn.Linear(5, 4).double(), dim=1)
    assert list(fm.state_dict()) == list(tm.state_dict())
    _copy_params(tm, fm)
    (tm(_tt(x)) ** 2).sum().backward()
    fm(fngrad.tensor(x)).pow(2).sum().backward()
    _close(fm.weight_g.grad, tm.weight_g.grad.numpy(), atol=1e-10)
    _close(fm.weight_v.grad, tm.weight_v.grad.numpy(), atol=1e-10)
    tm = torch.nn.utils.spectral_norm(torch.nn.Linear(5, 4).double(), n_power_iterations=3)
    fm = nn.utils.spectral_norm(nn.Linear(5, 4).double(), n_power_iterations=3)
    assert list(fm.state_dict()) == list(tm.state_dict())
    _copy_params(tm, fm)
    for _ in range(3):
        _close(fm(fngrad.tensor(x)), tm(_tt(x)).detach(), atol=1e-10)
    for key in ("weight_u", "weight_v"):
        _close(fm.state_dict()[key], tm.state_dict()[key], atol=1e-10)
    (tm(_tt(x)) ** 2).sum().backward()
    fm(fngrad.tensor(x)).pow(2).sum().backward()
    _close(fm.weight_orig.grad, tm.weight_orig.grad.numpy(), atol=1e-10)
    torch.nn.utils.remove_spectral_norm(tm)
    nn.utils.remove_spectral_norm(fm)
    _close(fm.weight, tm.weight.detach(), atol=1e-10)


@requires_torch
@pytest.mark.parametrize("transpose", [False, True])
def test_fused_conv_bn_matches_torch(transpose):
    import torch
    tconv = (torch.nn.ConvTranspose2d(3, 4, 2) if transpose else torch.nn.Conv2d(3, 4, 3)).double().eval()
    fconv = (nn.ConvTranspose2d(3, 4, 2) if transpose else nn.Conv2d(3, 4, 3)).double().eval()
    tbn, fbn = torch.nn.BatchNorm2d(4).double().eval(), nn.BatchNorm2d(4).double().eval()
    with torch.no_grad():
        tbn.running_mean.copy_(torch.randn(4, dtype=torch.float64))
        tbn.running_var.copy_(torch.rand(4, dtype=torch.float64) + 0.5)
        tbn.weight.copy_(torch.randn(4, dtype=torch.float64))
    _copy_params(tconv, fconv)
    _copy_params(tbn, fbn)
    tf = torch.nn.utils.fuse_conv_bn_eval(tconv, tbn, transpose=transpose)
    ff = nn.utils.fuse_conv_bn_eval(fconv, fbn, transpose=transpose)
    _close(ff.weight, tf.weight.detach(), atol=1e-12)
    _close(ff.bias, tf.bias.detach(), atol=1e-12)
    x = np.random.randn(2, 3, 5, 5)
    _close(ff(fngrad.tensor(x)), tf(_tt(x)).detach(), atol=1e-10)
    tl, fl = torch.nn.Linear(3, 4, bias=False).double().eval(), nn.Linear(3, 4, bias=False).double().eval()
    _copy_params(tl, fl)
    tb1, fb1 = torch.nn.BatchNorm1d(4).double().eval(), nn.BatchNorm1d(4).double().eval()
    with torch.no_grad():
        tb1.running_var.copy_(torch.rand(4, dtype=torch.float64) + 0.5)
    _copy_params(tb1, fb1)
    tfl, ffl = torch.nn.utils.fuse_linear_bn_eval(tl, tb1), nn.utils.fuse_linear_bn_eval(fl, fb1)
    _close(ffl.weight, tfl.weight.detach(), atol=1e-12)
    _close(ffl.bias, tfl.bias.detach(), atol=1e-12)


@requires_torch
def test_functional_call_and_lazy_match_torch():
    import torch
    tm, fm = torch.nn.Linear(3, 2).double(), nn.Linear(3, 2).double()
    w, x = np.random.randn(2, 3), np.random.randn(4, 3)
    tw, fw = _tt(w).requires_grad_(), fngrad.tensor(w, requires_grad=True)
    ty = torch.func.functional_call(tm, {"weight": tw}, (_tt(x),))
    _copy_params(tm, fm)
    fy = _stateless(fm, {"weight": fw}, (fngrad.tensor(x),))
    _close(fy, ty.detach(), atol=1e-12)
    ty.sum().backward()
    fy.sum().backward()
    _close(fw.grad, tw.grad.numpy(), atol=1e-12)
    for t_make, f_make in [(lambda: torch.nn.LazyLinear(3), lambda: nn.LazyLinear(3)),
                           (lambda: torch.nn.LazyBatchNorm1d(), lambda: nn.LazyBatchNorm1d()),
                           (lambda: torch.nn.LazyConv2d(2, 3), lambda: nn.LazyConv2d(2, 3))]:
        t, f = t_make(), f_make()
        assert list(f.state_dict()) == list(t.state_dict())
        assert repr(f.weight) == repr(t.weight)
        x = np.random.randn(2, 4, 5, 5) if isinstance(t, torch.nn.LazyConv2d) else np.random.randn(3, 4)
        t(torch.tensor(x, dtype=torch.float32))
        f(fngrad.tensor(x, dtype=fngrad.float32))
        assert type(f).__name__ == type(t).__name__
        assert list(f.state_dict()) == list(t.state_dict())
        assert [tuple(v.shape) for v in f.state_dict().values()] == [tuple(v.shape) for v in t.state_dict().values()]
