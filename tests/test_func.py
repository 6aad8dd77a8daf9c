"""fngrad.func (grad, vjp, jvp, jacrev, jacfwd, hessian, vmap): against NumPy formulas and finite
differences, and case by case against torch.func where PyTorch is installed (values, structure and
error messages)."""

import importlib

import numpy as np
import pytest

import fngrad
from conftest import numeric_grad, requires_torch
from fngrad.func import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp, vmap


def _np(t):
    return t.detach().numpy()


# ---- torch-free: against formulas and finite differences ----

def test_grad_of_a_cubic_and_its_second_derivative():
    x = fngrad.tensor([0.5, -1.5, 2.0], dtype=fngrad.float64)
    np.testing.assert_allclose(_np(grad(lambda x: (x ** 3).sum())(x)), 3 * _np(x) ** 2)
    second = grad(lambda s: grad(lambda s: s.sin() * s)(s))(fngrad.tensor(0.7, dtype=fngrad.float64))
    assert second.item() == pytest.approx(2 * np.cos(0.7) - 0.7 * np.sin(0.7))
    assert not second.requires_grad


def test_per_sample_gradients_equal_the_formula():
    # loss_i = (w . x_i - y_i)^2 ; d/dw = 2 (w . x_i - y_i) x_i
    rng = np.random.default_rng(0)
    w, xs, ys = rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5)
    loss = lambda w, x, y: ((w * x).sum() - y) ** 2  # noqa: E731
    got = vmap(grad(loss), in_dims=(None, 0, 0))(fngrad.tensor(w), fngrad.tensor(xs), fngrad.tensor(ys))
    want = 2 * (xs @ w - ys)[:, None] * xs
    np.testing.assert_allclose(_np(got), want, rtol=1e-12)


def test_jacobians_and_hessian_match_finite_differences():
    f = lambda x: fngrad.stack([x[0] * x[1].sin(), x.exp().sum(), (x ** 2).prod()])  # noqa: E731
    x0 = np.array([0.3, -0.8, 1.1])
    x = fngrad.tensor(x0)
    numeric = np.stack([numeric_grad(lambda v: _np(f(fngrad.tensor(v)))[i], x0.copy()) for i in range(3)])
    np.testing.assert_allclose(_np(jacrev(f)(x)), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(_np(jacfwd(f)(x)), numeric, rtol=1e-6, atol=1e-8)
    g = lambda x: (x.sin() * x.pow(2)).sum() + x[0] * x[2]  # noqa: E731
    num_h = np.stack([numeric_grad(lambda v: _np(grad(g)(fngrad.tensor(v)))[i], x0.copy()) for i in range(3)])
    np.testing.assert_allclose(_np(hessian(g)(x)), num_h, rtol=1e-6, atol=1e-8)


def test_jvp_is_jacobian_times_tangent_and_vjp_its_transpose():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 3))
    f = lambda x: fngrad.tensor(a) @ x.tanh()  # noqa: E731
    x0, t0, c0 = rng.normal(size=3), rng.normal(size=3), rng.normal(size=4)
    jac = a * (1 - np.tanh(x0) ** 2)
    out, tangent_out = jvp(f, (fngrad.tensor(x0),), (fngrad.tensor(t0),))
    np.testing.assert_allclose(_np(out), a @ np.tanh(x0))
    np.testing.assert_allclose(_np(tangent_out), jac @ t0, rtol=1e-12)
    _, vjp_fn = vjp(f, fngrad.tensor(x0))
    (pulled,) = vjp_fn(fngrad.tensor(c0))
    np.testing.assert_allclose(_np(pulled), c0 @ jac, rtol=1e-12)


def test_nested_structures_and_aux():
    params = {"w": fngrad.tensor([1.0, 2.0]), "b": fngrad.tensor(3.0)}
    g = grad(lambda p: (p["w"] * p["b"]).sum())(params)
    assert set(g) == {"w", "b"} and g["w"].tolist() == [3.0, 3.0] and g["b"].item() == 3.0
    g, (value, aux) = grad_and_value(lambda x: ((x * 2).sum(), "aux"), has_aux=True)(fngrad.tensor([1.0, 2.0]))
    assert g.tolist() == [2.0, 2.0] and value.item() == 6.0 and aux == "aux"
    out = vmap(lambda d: {"a": d["x"] * 2, "b": (d["x"].sum(),)})({"x": fngrad.ones(3, 2)})
    assert tuple(out["a"].shape) == (3, 2) and tuple(out["b"][0].shape) == (3,)


def test_vmap_dims_and_sizes():
    x = fngrad.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(_np(vmap(lambda r: r * 2, in_dims=1)(x)), (_np(x) * 2).T)
    np.testing.assert_array_equal(_np(vmap(lambda r: r, out_dims=1)(x)), _np(x).T)
    np.testing.assert_array_equal(_np(vmap(vmap(lambda v: v + 1))(x)), _np(x) + 1)
    assert tuple(vmap(lambda r: r.sum())(fngrad.ones(0, 3)).shape) == (0,)
    assert tuple(vmap(lambda r: r * 2)(fngrad.ones(0, 3)).shape) == (0, 3)


def test_vmap_randomness_modes():
    with pytest.raises(RuntimeError, match="vmap: called random operation while in randomness error mode"):
        vmap(lambda x: fngrad.rand(2))(fngrad.ones(3))
    same = vmap(lambda x: fngrad.rand(2), randomness="same")(fngrad.ones(3))
    assert (same == same[0]).all()
    different = vmap(lambda x: fngrad.rand(2), randomness="different")(fngrad.ones(3))
    assert not (different == different[0]).all()
    fngrad.rand(1)  # drawing works again after the vmap


@pytest.mark.parametrize("call,error,text", [
    (lambda: grad(lambda x: x ** 2)(fngrad.tensor([1.0, 2.0])), RuntimeError,
     "Expected f(*args) to return a scalar Tensor, got tensor with 1 dims"),
    (lambda: vmap(lambda x, y: x + y)(fngrad.ones(2), fngrad.ones(3)), ValueError,
     "got sizes [2, 3] for the mapped dimension"),
    (lambda: vmap(lambda x: 1.0)(fngrad.ones(2)), ValueError, "must only return Tensors"),
    (lambda: jvp(lambda x: x, fngrad.ones(2), (fngrad.ones(2),)), RuntimeError, "Expected primals to be a tuple"),
    (lambda: vmap(lambda x: x, randomness="x")(fngrad.ones(2)), RuntimeError, "Only allowed values for randomness"),
])
def test_refusals_name_the_transform(call, error, text):
    with pytest.raises(error, match=__import__("re").escape(text)):
        call()


# ---- against torch.func, case by case ----

def _cases(torch, F):
    x = torch.tensor([1.0, 2.0])
    return [
        lambda: F.grad(lambda x: (x ** 2).sum())(x),
        lambda: F.grad(lambda x: x ** 2)(x),
        lambda: F.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(x, torch.tensor([3.0, 4.0])),
        lambda: F.grad(lambda x: torch.tensor(3.0))(x),
        lambda: F.grad(lambda x: ((x * 2).sum(), x.mean()), has_aux=True)(x),
        lambda: F.grad(lambda x: (x * 2).sum(), has_aux=True)(x),
        lambda: F.grad(lambda x: (x * 2).sum(), argnums=3)(x),
        lambda: F.vmap(lambda x, y: x + y)(torch.ones(2), torch.ones(3)),
        lambda: F.vmap(lambda x: 1.0)(torch.ones(2)),
        lambda: F.vmap(lambda x: x, in_dims=2)(torch.ones(2)),
        lambda: F.vmap(lambda x: x)(5.0),
        lambda: F.vmap(lambda x, y: x + y, in_dims=None)(torch.ones(2), torch.ones(2)),
        lambda: F.vmap(lambda x, y: x + y, in_dims=(None, None))(torch.ones(2), torch.ones(2)),
        lambda: F.vmap(lambda x, y: x * y, in_dims=(0, None))(torch.ones(2, 3), torch.tensor([1.0, 2.0, 3.0])),
        lambda: F.vmap(lambda x: x.sum(0), in_dims=1)(torch.ones(2, 3)),
        lambda: F.vmap(lambda x: x.sum(), in_dims=-1)(torch.ones(2, 3)),
        lambda: F.vmap(lambda x: x, out_dims=1)(torch.arange(6.0).reshape(2, 3)),
        lambda: F.vmap(lambda x: x.sum(), chunk_size=1)(torch.ones(2, 3)),
        lambda: (F.jacrev(lambda x: x ** 2)(x), F.jacfwd(lambda x: x ** 3)(x), F.hessian(lambda x: (x ** 3).sum())(x)),
        lambda: F.vjp(lambda x: x ** 2, x)[1](torch.ones(2)),
        lambda: F.vjp(lambda x: (x, x * 2), x)[1]((torch.ones(2), torch.ones(2))),
        lambda: F.jvp(lambda x: x ** 2, (x,), (torch.ones(2),)),
        lambda: F.jvp(lambda x, y: x * y, (x, torch.tensor([3.0, 4.0])), (torch.ones(2), torch.zeros(2))),
        lambda: F.jacrev(lambda x, y: (x * y, x.sum()), argnums=(0, 1))(x, torch.tensor([3.0, 4.0])),
        lambda: F.jacfwd(lambda x, y: (x * y, x.sum()), argnums=(0, 1))(x, torch.tensor([3.0, 4.0])),
        lambda: F.hessian(lambda x: (x.sin() * x).sum())(torch.tensor([[1.0, 2.0], [0.5, 3.0]], dtype=torch.float64)),
        lambda: F.vmap(F.jacrev(lambda x: x.sin()))(torch.tensor([[1.0, 2.0], [0.5, 3.0]], dtype=torch.float64)),
        lambda: F.grad(F.grad(lambda x: x.sin()))(torch.tensor(1.0, dtype=torch.float64)),
    ]


def _outcome(call):
    try:
        return repr(call()).replace("torch.", "fngrad.")
    except Exception as error:  # noqa: BLE001 (the outcome is what is compared)
        return f"{type(error).__name__}: {error}"


@requires_torch
@pytest.mark.parametrize("index", range(len(_cases(fngrad, fngrad.func))))
def test_as_torch_func(index):
    torch = importlib.import_module("torch")
    ours = _outcome(_cases(fngrad, fngrad.func)[index])
    theirs = _outcome(_cases(torch, importlib.import_module("torch.func"))[index])
    assert ours == theirs


def test_functional_call_gives_per_sample_gradients_of_a_module():
    layer = fngrad.nn.Linear(3, 1, dtype=fngrad.float64)
    params = {k: v.detach() for k, v in layer.named_parameters()}
    xs = fngrad.tensor(np.random.default_rng(2).normal(size=(4, 3)))

    def loss(p, x):
        return fngrad.func.functional_call(layer, p, (x,)).squeeze() ** 2

    grads = vmap(grad(loss), in_dims=(None, 0))(params, xs)
    out = xs.numpy() @ params["weight"].numpy().T + params["bias"].numpy()  # (4, 1)
    np.testing.assert_allclose(grads["weight"].numpy(), 2 * out[:, :, None] * xs.numpy()[:, None, :], rtol=1e-12)
    np.testing.assert_allclose(grads["bias"].numpy(), 2 * out, rtol=1e-12)
    with pytest.raises(ValueError, match=r"\['weight'\] appeared in multiple dictionaries"):
        fngrad.func.functional_call(layer, ({"weight": params["weight"]}, {"weight": params["weight"]}), (xs,))
