"""fngrad.optim: every optimizer and option against PyTorch over 50 steps, one step against
NumPy formulas, the base class's checks, state dicts, zero_grad and version counters."""

import warnings

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad import optim

# ---- the model: a small tanh regression built from plain leaf tensors ----

_rng = np.random.default_rng(7)
X = _rng.standard_normal((8, 4))
Y = _rng.standard_normal((8, 3)) * 0.5
W0 = _rng.standard_normal((4, 3)) * 0.5
B0 = _rng.standard_normal(3) * 0.1
A_W = _rng.uniform(0.5, 2.0, (4, 3))
A_B = _rng.uniform(0.5, 2.0, 3)


def _loss(lib, w, b, dtype):
    if dtype == lib.float64:
        x = lib.tensor(X, dtype=dtype)
        y = lib.tensor(Y, dtype=dtype)
        return ((lib.tanh(x @ w + b) - y) ** 2).mean()
    # float32: a quadratic made of elementwise products only, whose gradients both libraries
    # round identically (a matmul's summation order or tanh's last bit would differ, and Adam
    # divides near-zero gradients by their own size, which magnifies such differences).
    dw, db = w - 0.25, b + 0.125
    return (lib.tensor(A_W, dtype=dtype) * dw * dw).sum() + (lib.tensor(A_B, dtype=dtype) * db * db).sum()


def _run(lib, cls_name, kwargs, dtype, steps=50, groups=False, closure=False):
    """Parameters after `steps` steps of lib.optim.<cls_name> on the model."""
    dt = getattr(lib, dtype)
    w = lib.tensor(W0, dtype=dt, requires_grad=True)
    b = lib.tensor(B0, dtype=dt, requires_grad=True)
    if groups:
        params = [{"params": [w]}, {"params": [b], "lr": kwargs.get("lr", 0.01) * 3}]
    else:
        params = [w, b]
    opt = getattr(lib.optim, cls_name)(params, **kwargs)
    for _ in range(steps):
        def step_closure():
            opt.zero_grad()
            loss = _loss(lib, w, b, dt)
            loss.backward()
            return loss

        if closure:
            opt.step(step_closure)
        else:
            step_closure()
            opt.step()
    return [w.detach().numpy().copy(), b.detach().numpy().copy()], opt


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.02, "betas": (0.3, 0.9), "eps": 1e-3}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3}),
    ("AdamW", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "maximize": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-4}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.3}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    # (centered with a small alpha and momentum is chaotic here: ulp differences double every
    # few steps, so the two options are tested apart)
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("RMSprop", {"lr": 0.01, "centered": True, "alpha": 0.4}),
    ("RMSprop", {"lr": 0.01, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.1, "eps": 1e-3}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
]


def _tol(dtype):
    return {"rtol": 1e-10, "atol": 1e-12} if dtype == "float64" else {"rtol": 1e-5, "atol": 1e-6}


@requires_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES])
def test_matches_torch_50_steps(name, kwargs, dtype):
    import torch

    ours, _ = _run(fngrad, name, kwargs, dtype)
    theirs, _ = _run(torch, name, kwargs, dtype)
    # The parameters moved: the comparison is not between two initial values.
    assert not np.allclose(ours[0], W0, atol=1e-3)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, **_tol(dtype))


@requires_torch
@pytest.mark.parametrize("name,kwargs", [("SGD", {"lr": 0.05, "momentum": 0.9}), ("Adam", {"lr": 0.01}),
                                         ("RMSprop", {"lr": 0.01, "centered": True}), ("Adagrad", {"lr": 0.1})])
def test_param_groups_and_closure_match_torch(name, kwargs):
    import torch

    ours, _ = _run(fngrad, name, kwargs, "float64", groups=True, closure=True)
    theirs, _ = _run(torch, name, kwargs, "float64", groups=True, closure=True)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, **_tol("float64"))


@requires_torch
@pytest.mark.parametrize("name,kwargs", [("Adam", {"lr": 0.01, "amsgrad": True}), ("SGD", {"lr": 0.01, "momentum": 0.9}),
                                         ("RMSprop", {"lr": 0.001, "momentum": 0.5}), ("Adagrad", {})])
def test_large_and_non_contiguous_parameters_match_torch(name, kwargs):
    """Tensors large enough for the thread pool and the GIL release, mixed with a small one, a
    float32 one and a non-contiguous (transposed) leaf."""
    import torch

    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((300, 500)), rng.standard_normal(70001), rng.standard_normal(3),
              rng.standard_normal((6, 5)).astype(np.float32), rng.standard_normal((40, 30))]

    def run(lib):
        params = [lib.tensor(a, requires_grad=True) for a in arrays[:4]]
        params.append(lib.tensor(arrays[4]).t().detach().requires_grad_())
        assert not params[-1].is_contiguous()
        opt = getattr(lib.optim, name)(params, **kwargs)
        for k in range(3):
            opt.zero_grad()
            sum(((p * p).sum() * (k + 1) + p.sin().sum()) for p in params).backward()
            opt.step()
        return [p.detach().numpy().copy() for p in params]

    for a, b in zip(run(fngrad), run(torch)):
        np.testing.assert_allclose(a, b, **_tol(str(a.dtype)))


@requires_torch
def test_duplicate_parameter_warns_and_steps_twice_like_torch():
    import torch

    def run(lib):
        w = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt = lib.optim.Adam([w, w], lr=0.1)
        assert any("duplicate parameters" in str(c.message) for c in caught)
        for _ in range(3):
            opt.zero_grad()
            (w * w).sum().backward()
            opt.step()
        return w.detach().numpy().copy(), float(opt.state[w]["step"])

    (ours, our_step), (theirs, their_step) = run(fngrad), run(torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert our_step == their_step == 6.0


# ---- one step against the formulas, without PyTorch ----


def test_sgd_one_step_matches_numpy_formula():
    w0 = np.array([1.0, -2.0, 0.5])
    w = fngrad.tensor(w0, dtype=fngrad.float64, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.01)
    for _ in range(2):
        opt.zero_grad()
        (w * w * w).sum().backward()
        opt.step()
    # By hand: g = 3 w^2 + wd w; the first buffer is g, then b = 0.9 b + g.
    g1 = 3 * w0**2 + 0.01 * w0
    w1 = w0 - 0.1 * g1
    g2 = 3 * w1**2 + 0.01 * w1
    w2 = w1 - 0.1 * (0.9 * g1 + g2)
    np.testing.assert_allclose(w.detach().numpy(), w2, rtol=1e-14)
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"].numpy(), 0.9 * g1 + g2, rtol=1e-14)


def test_adam_steps_match_numpy_formula():
    w0 = np.array([1.0, -2.0, 0.5])
    w = fngrad.tensor(w0, dtype=fngrad.float64, requires_grad=True)
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    opt = optim.Adam([w], lr=lr)
    m = v = np.zeros(3)
    p = w0.copy()
    for t in (1, 2):
        opt.zero_grad()
        (w * w * w).sum().backward()
        opt.step()
        g = 3 * p**2
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr / (1 - b1**t) * m / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps)
    np.testing.assert_allclose(w.detach().numpy(), p, rtol=1e-13)
    np.testing.assert_allclose(opt.state[w]["exp_avg_sq"].numpy(), v, rtol=1e-13)
    assert opt.state[w]["step"].item() == 2.0


def test_step_bumps_versions_and_skips_params_without_grad():
    a = fngrad.ones(3, requires_grad=True)
    b = fngrad.ones(3, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    (a * 2).sum().backward()
    va, vb = a._version, b._version
    opt.step()
    assert a._version > va
    assert b._version == vb
    assert len(opt.state[b]) == 0
    assert not a.detach().numpy().tolist() == [1.0, 1.0, 1.0]
    assert b.detach().numpy().tolist() == [1.0, 1.0, 1.0]


def test_step_leaves_grad_mode_and_returns_closure_loss():
    w = fngrad.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        assert fngrad.is_grad_enabled()
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with fngrad.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 2.0
    assert fngrad.is_grad_enabled()
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 0.8], rtol=1e-6)


def test_zero_grad():
    w = fngrad.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * 3).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and w.grad.numpy().tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


# ---- the base class's checks (PyTorch's types and wording) ----


def test_empty_parameter_list_is_refused():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)


def test_group_without_params_is_refused():
    w = fngrad.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(KeyError, match="params"):
        opt.add_param_group({"lr": 0.5})
    with pytest.raises(KeyError, match="params"):
        optim.Adam([{"lr": 0.5}])


def test_parameter_in_two_groups_is_refused():
    w = fngrad.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


def test_bad_params_are_refused():
    w = fngrad.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([w, 3.0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {w}}], lr=0.1)


def test_bad_hyperparameters_are_refused():
    w = fngrad.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([w], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid alpha value"):
        optim.RMSprop([w], alpha=-0.1)
    with pytest.raises(ValueError, match="Invalid lr_decay value"):
        optim.Adagrad([w], lr_decay=-0.1)


def test_kernel_refuses_mismatched_state_and_changes_nothing():
    w = fngrad.ones(3, requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    (w * 2).sum().backward()
    opt.step()
    before = w.detach().numpy().copy()
    opt.state[w]["exp_avg"] = fngrad.zeros(4)
    with pytest.raises(RuntimeError, match=r"\[adam\] the exp_avg of parameter 0 must have the parameter's shape"):
        opt.step()
    np.testing.assert_array_equal(w.detach().numpy(), before)
    assert opt.state[w]["step"].item() == 1.0


def test_repr_lists_hyperparameters():
    w = fngrad.ones(2, requires_grad=True)
    text = repr(optim.SGD([w], lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in text


# ---- state dicts ----


@pytest.mark.parametrize("name,kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01, "amsgrad": True}),
                                         ("AdamW", {"lr": 0.01}), ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
                                         ("Adagrad", {"lr": 0.1, "lr_decay": 0.01})])
def test_state_dict_round_trip_continues_the_same_trajectory(name, kwargs):
    """Ten steps in one go equal five steps, a state dict loaded into a fresh optimizer (of fresh
    parameters holding the same values), and five more."""
    straight, _ = _run(fngrad, name, kwargs, "float64", steps=10)

    first, opt = _run(fngrad, name, kwargs, "float64", steps=5)
    sd = opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert sd["param_groups"][0]["params"] == [0, 1] and sorted(sd["state"]) == [0, 1]
    w = fngrad.tensor(first[0], dtype=fngrad.float64, requires_grad=True)
    b = fngrad.tensor(first[1], dtype=fngrad.float64, requires_grad=True)
    opt2 = getattr(optim, name)([w, b], **kwargs)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["params"][0] is w
    for _ in range(5):
        opt2.zero_grad()
        _loss(fngrad, w, b, fngrad.float64).backward()
        opt2.step()
    np.testing.assert_allclose(w.detach().numpy(), straight[0], rtol=1e-13)
    np.testing.assert_allclose(b.detach().numpy(), straight[1], rtol=1e-13)


def test_load_state_dict_accepts_a_numeric_step():
    """PyTorch state dicts from before step tensors hold "step" as a number."""
    straight, _ = _run(fngrad, "Adam", {"lr": 0.01}, "float64", steps=4)
    first, opt = _run(fngrad, "Adam", {"lr": 0.01}, "float64", steps=2)
    sd = opt.state_dict()
    for param_state in sd["state"].values():
        param_state["step"] = 2
    w = fngrad.tensor(first[0], dtype=fngrad.float64, requires_grad=True)
    b = fngrad.tensor(first[1], dtype=fngrad.float64, requires_grad=True)
    opt2 = optim.Adam([w, b], lr=0.01)
    opt2.load_state_dict(sd)
    assert opt2.state[w]["step"].dtype == fngrad.float32
    for _ in range(2):
        opt2.zero_grad()
        _loss(fngrad, w, b, fngrad.float64).backward()
        opt2.step()
    np.testing.assert_allclose(w.detach().numpy(), straight[0], rtol=1e-13)


def test_load_state_dict_checks_groups():
    w = fngrad.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    sd = opt.state_dict()
    other = optim.SGD([fngrad.ones(2, requires_grad=True), fngrad.ones(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        other.load_state_dict(sd)
    two = optim.SGD([{"params": [fngrad.ones(1, requires_grad=True)]}, {"params": [fngrad.ones(1, requires_grad=True)]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two.load_state_dict(sd)


@requires_torch
@pytest.mark.parametrize("name,kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01, "amsgrad": True}),
                                         ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}), ("Adagrad", {})])
def test_state_dict_layout_matches_torch(name, kwargs):
    import torch

    _, ours = _run(fngrad, name, kwargs, "float64", steps=2, groups=True)
    _, theirs = _run(torch, name, kwargs, "float64", steps=2, groups=True)
    a, b = ours.state_dict(), theirs.state_dict()
    assert [sorted(g) for g in a["param_groups"]] == [sorted(g) for g in b["param_groups"]]
    assert [g["params"] for g in a["param_groups"]] == [g["params"] for g in b["param_groups"]]
    assert sorted(a["state"]) == sorted(b["state"])
    for k in a["state"]:
        assert sorted(a["state"][k]) == sorted(b["state"][k])
        for key, value in a["state"][k].items():
            np.testing.assert_allclose(value.numpy(), b["state"][k][key].numpy(), rtol=1e-12)
            assert str(value.dtype).split(".")[1] == str(b["state"][k][key].dtype).split(".")[1]


def test_backward_through_a_graph_that_saved_a_stepped_parameter_fails():
    """The step bumps the version, so a graph that saved the old value refuses to backward."""
    w = fngrad.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_step_and_state_dict_hooks():
    from fngrad.optim.optimizer import register_optimizer_step_post_hook

    w = fngrad.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.5)
    calls = []

    def pre(o, args, kwargs):
        calls.append(("pre", args, dict(kwargs)))
        return (), {"closure": closure}

    def closure():
        calls.append(("closure",))
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    h_pre = opt.register_step_pre_hook(pre)
    h_post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", "closure" in kwargs)))
    h_global = register_optimizer_step_post_hook(lambda o, args, kwargs: calls.append(("global post",)))
    try:
        loss = opt.step()
    finally:
        h_global.remove()
    assert loss.item() == 2.0  # the pre hook replaced the arguments with a closure
    assert calls == [("pre", (), {}), ("closure",), ("post", True), ("global post",)]
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0])
    h_pre.remove()
    h_post.remove()
    calls.clear()
    opt.zero_grad()
    opt.step()
    assert calls == []

    opt.register_state_dict_pre_hook(lambda o: calls.append("sd pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    sd = opt.state_dict()
    assert sd["extra"] == 1 and calls == ["sd pre"]
    opt.register_load_state_dict_pre_hook(lambda o, sd: {k: v for k, v in sd.items() if k != "extra"})
    opt.register_load_state_dict_post_hook(lambda o: calls.append("load post"))
    opt.load_state_dict(sd)
    assert calls == ["sd pre", "load post"]
