"""fngrad.optim's NAdam, RAdam, Adamax, Adadelta, Rprop and ASGD, the schedulers ConstantLR,
PolynomialLR, MultiplicativeLR, CyclicLR, CosineAnnealingWarmRestarts and ChainedScheduler, and
optim.swa_utils: against PyTorch (same initial parameters and gradients, 20 steps; 30 epochs of a
schedule) and, without it, against the algorithms' formulas in NumPy."""

import math
import warnings

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.optim import lr_scheduler as S
from fngrad.optim import swa_utils

SHAPES = [(3, 4), (5,)]

CASES = [
    ("NAdam", {}),
    ("NAdam", {"lr": 0.1, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.05, "betas": (0.5, 0.8), "eps": 1e-3, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.1, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.1, "betas": (0.5, 0.9), "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.05, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.1, "weight_decay": 0.1, "betas": (0.8, 0.9)}),
    ("Adamax", {"lr": 0.1, "eps": 0.5, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 0.5, "eps": 1e-2, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
    ("Rprop", {"lr": 0.05, "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 5, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.05, "t0": 0, "maximize": True}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]


def _grads(dtype, steps, seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    # Rprop needs sign flips and repeats: a few gradients are reused with their sign changed.
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    for t in range(2, steps, 3):
        grads[t] = [-g for g in grads[t - 1]]
    return init, grads


def _run(lib, name, kwargs, dtype="float64", steps=20, groups=False, state=None, init=None):
    """lib.optim.<name> over `steps` fixed gradients; returns (params as arrays, optimizer)."""
    base, grads = _grads(dtype, steps)
    params = [lib.tensor(a.copy(), requires_grad=True) for a in (init or base)]
    if groups:  # the second group with its own options, added after construction
        opt = getattr(lib.optim, name)([params[0]], **kwargs)
        opt.add_param_group({"params": [params[1]], "lr": 0.02, "maximize": not kwargs.get("maximize", False)})
    else:
        opt = getattr(lib.optim, name)(params, **kwargs)
    if state is not None:
        opt.load_state_dict(state)
    for g in grads:
        for p, gi in zip(params, g):
            p.grad = lib.tensor(gi.copy())
        opt.step()
    return [p.detach().numpy().copy() for p in params], opt


def _state_arrays(opt):
    """The state dict's per-parameter values as NumPy arrays, by (index, key)."""
    return {(i, k): np.asarray(v.detach().numpy() if hasattr(v, "detach") else v, dtype=np.float64)
            for i, st in opt.state_dict()["state"].items() for k, v in st.items()}


def _tol(dtype):
    return {"rtol": 1e-6, "atol": 1e-9} if dtype == "float64" else {"rtol": 1e-6, "atol": 1e-6}


@requires_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_matches_torch_20_steps(name, kwargs, dtype):
    import torch

    ours, ours_opt = _run(fngrad, name, kwargs, dtype)
    theirs, their_opt = _run(torch, name, kwargs, dtype)
    init, _ = _grads(dtype, 20)
    assert not np.allclose(ours[0], init[0], atol=1e-4)  # the parameters moved
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, **_tol(dtype))
    ours_state, their_state = _state_arrays(ours_opt), _state_arrays(their_opt)
    assert ours_state.keys() == their_state.keys()  # PyTorch's state keys, so checkpoints map over
    for key in their_state:
        np.testing.assert_allclose(ours_state[key], their_state[key], **_tol(dtype), err_msg=str(key))
    assert ours_opt.state_dict()["param_groups"] == their_opt.state_dict()["param_groups"]


@requires_torch
@pytest.mark.parametrize("name,kwargs", [c for c in CASES if c[1]], ids=[i for i, c in zip(IDS, CASES) if c[1]])
def test_param_groups_with_own_options_match_torch(name, kwargs):
    import torch

    ours, _ = _run(fngrad, name, kwargs, groups=True)
    theirs, _ = _run(torch, name, kwargs, groups=True)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, **_tol("float64"))


def _to_lib(lib, value):
    if hasattr(value, "detach"):
        return lib.tensor(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {k: _to_lib(lib, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_lib(lib, v) for v in value]
    return value


@requires_torch
@pytest.mark.parametrize("name,kwargs", CASES[1::2], ids=IDS[1::2])
def test_torch_checkpoint_state_continues_in_fngrad(name, kwargs):
    """PyTorch's optimizer state dict, loaded into fngrad's optimizer, continues PyTorch's run."""
    import torch

    t_params, t_opt = _run(torch, name, kwargs, steps=7)
    sd = _to_lib(fngrad, t_opt.state_dict())
    ours, _ = _run(fngrad, name, kwargs, steps=5, state=sd, init=t_params)
    theirs, _ = _run(torch, name, kwargs, steps=5, state=t_opt.state_dict(), init=t_params)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, **_tol("float64"))


@pytest.mark.parametrize("name,kwargs", CASES[::2], ids=IDS[::2])
def test_state_dict_round_trip(name, kwargs):
    """Stopping, saving and loading into a new optimizer continues as an uninterrupted run."""
    params, opt = _run(fngrad, name, kwargs, steps=7)
    resumed, _ = _run(fngrad, name, kwargs, steps=5, state=opt.state_dict(), init=params)
    # the uninterrupted run: the same 7 gradients, then the same first 5 again
    base, grads = _grads("float64", 7)
    ps = [fngrad.tensor(a.copy(), requires_grad=True) for a in base]
    o = getattr(fngrad.optim, name)(ps, **kwargs)
    for g in grads + _grads("float64", 5)[1]:
        for p, gi in zip(ps, g):
            p.grad = fngrad.tensor(gi.copy())
        o.step()
    # Not bitwise: loading casts the float32 scalars NAdam's mu_product and ASGD's eta and mu to
    # the parameter's dtype, as PyTorch's load_state_dict does (float32 rounding, then float64).
    for a, p in zip(resumed, ps):
        np.testing.assert_allclose(a, p.detach().numpy(), rtol=1e-6, atol=1e-9)


# ---- one or two steps by hand, from each algorithm's formula ----

def _steps(name, kwargs, grads, theta):
    p = fngrad.tensor(theta.copy(), requires_grad=True)
    opt = getattr(fngrad.optim, name)([p], **kwargs)
    for g in grads:
        p.grad = fngrad.tensor(g.copy())
        opt.step()
    return p.detach().numpy(), opt.state[p]


THETA = np.array([0.5, -1.5, 2.0, 0.0])
G1 = np.array([0.3, -0.2, 1.5, -0.7])
G2 = np.array([0.1, 0.4, 1.0, -0.7])


def test_nadam_two_steps_by_hand():
    lr, b1, b2, eps, psi, wd = 0.1, 0.9, 0.999, 1e-8, 4e-3, 0.05
    got, state = _steps("NAdam", {"lr": lr, "weight_decay": wd}, [G1, G2], THETA)
    theta, m, v, prod = THETA.copy(), 0.0, 0.0, 1.0
    for t, g in ((1, G1), (2, G2)):
        g = g + wd * theta
        mu, mu_next = (b1 * (1 - 0.5 * 0.96 ** (k * psi)) for k in (t, t + 1))
        prod *= mu
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2**t)) + eps
        theta = theta - lr * (1 - mu) / (1 - prod) * g / denom - lr * mu_next / (1 - prod * mu_next) * m / denom
    np.testing.assert_allclose(got, theta, rtol=1e-6)  # mu_product is a float32 tensor, as in PyTorch
    assert state["mu_product"].item() == pytest.approx(prod, rel=1e-6)


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9)])
def test_radam_steps_by_hand(betas):
    """Both branches: rho_t <= 5 for the first steps (an SGD-with-momentum step), above 5 from
    the sixth step on (the rectified step)."""
    lr, eps = 0.1, 1e-8
    b1, b2 = betas
    grads = [G1, G2, G1, -G2, G1, G2, -G1]
    got, _ = _steps("RAdam", {"lr": lr, "betas": betas}, grads, THETA)
    theta, m, v = THETA.copy(), 0.0, 0.0
    rho_inf = 2 / (1 - b2) - 1
    rectified = []
    for t, g in enumerate(grads, 1):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
        rectified.append(rho > 5)
        if rho > 5:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            theta = theta - lr * m_hat * r * math.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
        else:
            theta = theta - lr * m_hat
    assert rectified[:5] == [False] * 5 and rectified[-1]
    np.testing.assert_allclose(got, theta, rtol=1e-12)


def test_adamax_two_steps_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    got, state = _steps("Adamax", {"lr": lr, "maximize": True}, [G1, G2], THETA)
    theta, m, u = THETA.copy(), 0.0, 0.0
    for t, g in ((1, -G1), (2, -G2)):
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        theta = theta - lr / (1 - b1**t) * m / u
    np.testing.assert_allclose(got, theta, rtol=1e-12)
    np.testing.assert_allclose(state["exp_inf"].numpy(), u, rtol=1e-12)


def test_adadelta_two_steps_by_hand():
    lr, rho, eps = 0.5, 0.8, 1e-6
    got, state = _steps("Adadelta", {"lr": lr, "rho": rho}, [G1, G2], THETA)
    theta, v, u = THETA.copy(), 0.0, 0.0
    for g in (G1, G2):
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        theta = theta - lr * delta
    np.testing.assert_allclose(got, theta, rtol=1e-12)
    np.testing.assert_allclose(state["acc_delta"].numpy(), u, rtol=1e-12)


def test_rprop_three_steps_by_hand():
    lr, (em, ep), (lo, hi) = 0.1, (0.5, 1.2), (0.04, 0.11)
    grads = [G1, G2, -G2]
    got, state = _steps("Rprop", {"lr": lr, "etas": (em, ep), "step_sizes": (lo, hi)}, grads, THETA)
    theta, eta, prev = THETA.copy(), np.full(4, lr), np.zeros(4)
    for g in grads:
        s = np.sign(g * prev)
        eta = np.clip(eta * np.where(s > 0, ep, np.where(s < 0, em, 1.0)), lo, hi)
        g = np.where(s < 0, 0.0, g)
        theta = theta - eta * np.sign(g)
        prev = g
    np.testing.assert_allclose(got, theta, rtol=1e-12)
    np.testing.assert_allclose(state["step_size"].numpy(), eta, rtol=1e-12)
    np.testing.assert_array_equal(state["prev"].numpy(), prev)


def test_asgd_averages_from_t0_by_hand():
    lr, lambd, alpha, t0 = 0.2, 0.1, 0.75, 1
    grads = [G1, G2, G1, G2]
    got, state = _steps("ASGD", {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0}, grads, THETA)
    theta, ax, eta, mu = THETA.copy(), np.zeros(4), float(np.float32(lr)), 1.0
    for t, g in enumerate(grads, 1):
        theta = theta * (1 - lambd * eta) - eta * g
        ax = theta.copy() if mu == 1 else ax + mu * (theta - ax)
        eta = float(np.float32(lr / (1 + lambd * lr * t) ** alpha))  # eta and mu are float32 tensors
        mu = float(np.float32(1 / max(1, t - t0)))
    np.testing.assert_allclose(got, theta, rtol=1e-12)
    np.testing.assert_allclose(state["ax"].numpy(), ax, rtol=1e-12)
    assert state["eta"].item() == eta and state["mu"].item() == mu


# ---- argument checks: PyTorch's wording ----

BAD_ARGS = [
    ("NAdam", {"lr": -1.0}, "Invalid learning rate: -1.0"),
    ("NAdam", {"momentum_decay": -0.1}, "Invalid momentum_decay value: -0.1"),
    ("NAdam", {"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
    ("RAdam", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    ("RAdam", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("Adamax", {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
    ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
    ("Adadelta", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("Rprop", {"etas": (1.5, 2.0)}, "Invalid eta values: 1.5, 2.0"),
    ("Rprop", {"lr": -0.5}, "Invalid learning rate: -0.5"),
    ("ASGD", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
]


@pytest.mark.parametrize("name,kwargs,message", BAD_ARGS)
def test_argument_checks(name, kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$".replace("(", r"\(").replace(")", r"\)")):
        getattr(fngrad.optim, name)([fngrad.zeros(2, requires_grad=True)], **kwargs)


@requires_torch
@pytest.mark.parametrize("name,kwargs,message", BAD_ARGS)
def test_argument_checks_word_as_torch(name, kwargs, message):
    import torch

    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    assert str(theirs.value) == message


@requires_torch
@pytest.mark.parametrize("name", sorted({c[0] for c in CASES}))
def test_defaults_match_torch(name):
    import torch

    ours = getattr(fngrad.optim, name)([fngrad.zeros(1, requires_grad=True)]).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    assert ours == theirs


def test_step_skips_params_without_grad_and_returns_closure_loss():
    a, b = fngrad.ones(2, requires_grad=True), fngrad.ones(2, requires_grad=True)
    opt = fngrad.optim.NAdam([a, b], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 2.0
    np.testing.assert_array_equal(b.detach().numpy(), [1.0, 1.0])
    assert b not in opt.state and a in opt.state


# ---- schedulers ----

SCHEDULERS = {
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=4),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=10, power=2.0),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, [lambda e: 0.95, lambda e: 1 / (1 + e)]),
    "CyclicLR-triangular": lambda S, o: S.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=4, step_size_down=3),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="triangular2"),
    "CyclicLR-exp_range": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9),
    "CyclicLR-scale_fn": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 0.5**x,
                                                 scale_mode="iterations", cycle_momentum=False),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
    "CosineAnnealingWarmRestarts-1": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=4),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.5, total_iters=3), S.ExponentialLR(o, gamma=0.9)]),
}


def _schedule(lib, make, opt_name="SGD", opt_kwargs=None, epochs=None, n=30, module=None):
    """[lrs (+ group 0's momentum or beta1)] after construction and after each of n epochs."""
    params = [{"params": [lib.zeros(2, requires_grad=True)], "lr": 0.1 * (i + 1)} for i in range(2)]
    opt = getattr(lib.optim, opt_name)(params, **(opt_kwargs or {"lr": 0.1, "momentum": 0.9}))
    sched = make(module or lib.optim.lr_scheduler, opt)
    def row():
        g = opt.param_groups[0]
        return [float(lr) for lr in sched.get_last_lr()] + [g.get("momentum", g.get("betas", (None,))[0])]

    out = [row()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step(epoch)'s deprecation warning
        for e in range(n):
            opt.step()
            sched.step() if epochs is None else sched.step(epochs[e])
            out.append(row())
    return out, sched, opt


@requires_torch
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_schedule_matches_torch_30_epochs(name):
    import torch

    ours = _schedule(fngrad, SCHEDULERS[name])[0]
    theirs = _schedule(torch, SCHEDULERS[name])[0]
    np.testing.assert_allclose(np.array(ours, dtype=float), np.array(theirs, dtype=float), rtol=1e-12)


@requires_torch
def test_cyclic_lr_cycles_adam_beta1_like_torch():
    import torch

    make = SCHEDULERS["CyclicLR-triangular"]
    ours = _schedule(fngrad, make, "Adam", {"lr": 0.1})[0]
    theirs = _schedule(torch, make, "Adam", {"lr": 0.1})[0]
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-12)


@requires_torch
@pytest.mark.parametrize("name", ["CosineAnnealingWarmRestarts", "CosineAnnealingWarmRestarts-1", "ConstantLR",
                                  "PolynomialLR"])
def test_step_epoch_matches_torch(name):
    """Fractional epochs for the warm restarts (their documented use), the closed forms for the others."""
    import torch

    if name.startswith("Cosine"):
        epochs = [i * 0.37 for i in range(30)]
    else:
        epochs = [3, 1, 7, 12, 4] * 6
    ours = _schedule(fngrad, SCHEDULERS[name], epochs=epochs)[0]
    theirs = _schedule(torch, SCHEDULERS[name], epochs=epochs)[0]
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-12)


def _lrs(out, group=0):
    return np.array([row[group] for row in out])


def test_constant_and_polynomial_closed_forms():
    e = np.arange(31)
    out = _schedule(fngrad, SCHEDULERS["ConstantLR"])[0]
    np.testing.assert_allclose(_lrs(out), 0.1 * np.where(e < 4, 0.5, 1.0), rtol=1e-12)
    out = _schedule(fngrad, SCHEDULERS["PolynomialLR"])[0]
    np.testing.assert_allclose(_lrs(out), 0.1 * (1 - np.minimum(e, 10) / 10) ** 2, rtol=1e-9, atol=1e-15)


def test_multiplicative_closed_form():
    out = _schedule(fngrad, SCHEDULERS["MultiplicativeLR"])[0]
    e = np.arange(31)
    np.testing.assert_allclose(_lrs(out, 0), 0.1 * 0.95**e, rtol=1e-12)
    np.testing.assert_allclose(_lrs(out, 1), 0.2 / np.array([math.factorial(k + 1) for k in e], dtype=float), rtol=1e-12)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_closed_form(mode):
    base, peak, up, down, gamma = 0.01, 0.1, 4, 2, 0.9
    out = _schedule(fngrad, lambda S, o: S.CyclicLR(o, base, peak, up, down, mode=mode, gamma=gamma))[0]
    e = np.arange(31)
    cycle = np.floor(1 + e / (up + down))
    x = e - (cycle - 1) * (up + down)  # position within the cycle
    height = np.where(x <= up, x / up, (up + down - x) / down)
    scale = {"triangular": np.ones(31), "triangular2": 0.5 ** (cycle - 1), "exp_range": gamma**e}[mode]
    np.testing.assert_allclose(_lrs(out), base + (peak - base) * height * scale, rtol=1e-9)
    momentum = np.array([row[-1] for row in out])  # SGD momentum cycles between 0.9 and 0.8, inverted
    np.testing.assert_allclose(momentum, 0.9 - 0.1 * height * scale, rtol=1e-9)


def test_warm_restarts_closed_form():
    out = _schedule(fngrad, SCHEDULERS["CosineAnnealingWarmRestarts"])[0]
    # periods 3, 6, 12, 24: restarts at epochs 3, 9, 21
    starts = np.array([0, 3, 9, 21, 45])
    e = np.arange(31)
    k = np.searchsorted(starts, e, side="right") - 1
    t_cur, t_i = e - starts[k], 3 * 2.0**k
    np.testing.assert_allclose(_lrs(out), 0.001 + (0.1 - 0.001) * (1 + np.cos(np.pi * t_cur / t_i)) / 2, rtol=1e-12)
    # fractional epochs: the same formula at t_cur = epoch within the period
    _, sched, opt = _schedule(fngrad, SCHEDULERS["CosineAnnealingWarmRestarts"], n=0)
    sched.step(10.5)
    assert (sched.T_i, sched.T_cur, sched.last_epoch) == (12, 1.5, 10)
    assert sched.get_last_lr()[0] == pytest.approx(0.001 + 0.099 * (1 + math.cos(math.pi * 1.5 / 12)) / 2)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        sched.step(-1)


def test_chained_multiplies_the_factors():
    out = _schedule(fngrad, SCHEDULERS["ChainedScheduler"])[0]
    e = np.arange(31)
    np.testing.assert_allclose(_lrs(out, 1), 0.2 * np.where(e < 3, 0.5, 1.0) * 0.9**e, rtol=1e-12)


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_state_dict_round_trip_continues(name):
    full = _schedule(fngrad, SCHEDULERS[name])[0]
    _, a, _ = _schedule(fngrad, SCHEDULERS[name], n=12)
    sd = a.state_dict()
    out, b, opt = _schedule(fngrad, SCHEDULERS[name], n=0)
    b.load_state_dict(sd)
    for group, lr in zip(opt.param_groups, a.get_last_lr()):
        group["lr"] = lr  # an optimizer checkpoint restores these
    if "momentum" in a.optimizer.param_groups[0]:
        opt.param_groups[0]["momentum"] = a.optimizer.param_groups[0]["momentum"]
    rest = []
    for _ in range(18):
        opt.step()
        b.step()
        g = opt.param_groups[0]
        rest.append(list(b.get_last_lr()) + [g.get("momentum")])
    np.testing.assert_allclose(np.array(rest, dtype=float), np.array(full[13:], dtype=float), rtol=1e-12)


def test_scheduler_errors_and_warnings():
    opt = fngrad.optim.SGD([fngrad.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1."):
        S.ConstantLR(opt, factor=2.0)
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got float"):
        S.MultiplicativeLR(opt, 0.5)
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        S.CyclicLR(opt, 0.01, 0.1, mode="bad")
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        S.CyclicLR(fngrad.optim.Adagrad([fngrad.zeros(1, requires_grad=True)]), 0.01, 0.1)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1, but got 0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="expects at least one scheduler to be chained"):
        S.ChainedScheduler([])
    other = fngrad.optim.SGD([fngrad.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        S.ChainedScheduler([S.ConstantLR(opt), S.ConstantLR(other)])
    sched = S.PolynomialLR(opt)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        sched.step()


# ---- swa_utils ----

def _linear(lib, seed):
    lib.manual_seed(seed)
    return lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))


def _set(model, seed):
    rng = np.random.default_rng(seed)
    with fngrad.no_grad():
        for t in list(model.parameters()) + [model[1].running_mean, model[1].running_var]:
            t.copy_(fngrad.tensor(rng.standard_normal(tuple(t.shape)).astype(np.float32)))
    return [p.detach().numpy().copy() for p in model.parameters()], model[1].running_mean.numpy().copy()


@pytest.mark.parametrize("use_buffers", [False, True])
def test_averaged_model_is_the_running_mean(use_buffers):
    model = _linear(fngrad, 0)
    swa = swa_utils.AveragedModel(model, use_buffers=use_buffers)
    snapshots = []
    for s in range(4):
        snapshots.append(_set(model, s))
        swa.update_parameters(model)
    for i, p in enumerate(swa.module.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), np.mean([snap[0][i] for snap in snapshots], axis=0), rtol=1e-5)
    running_mean = swa.module[1].running_mean.numpy()
    expected = np.mean([snap[1] for snap in snapshots], axis=0) if use_buffers else snapshots[-1][1]
    np.testing.assert_allclose(running_mean, expected, rtol=1e-5)
    assert int(swa.n_averaged) == 4


@pytest.mark.parametrize("multi", [False, True])
def test_averaged_model_ema(multi):
    model = _linear(fngrad, 0)
    fn = {"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.75)} if multi else {"avg_fn": swa_utils.get_ema_avg_fn(0.75)}
    ema = swa_utils.AveragedModel(model, **fn)
    expected = None
    for s in range(4):
        weights = _set(model, s)[0]
        ema.update_parameters(model)
        expected = weights if expected is None else [0.75 * e + 0.25 * w for e, w in zip(expected, weights)]
    for p, e in zip(ema.module.parameters(), expected):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-5)
    with pytest.raises(ValueError, match="Invalid decay value 1.5 provided. Please provide a value in \\[0,1\\] range."):
        swa_utils.get_ema_multi_avg_fn(1.5)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn should be provided"):
        swa_utils.AveragedModel(model, avg_fn=swa_utils.get_ema_avg_fn(), multi_avg_fn=swa_utils.get_ema_multi_avg_fn())


@requires_torch
@pytest.mark.parametrize("kind", ["swa", "ema", "ema-buffers"])
def test_averaged_model_matches_torch(kind):
    import torch

    results = []
    for lib in (torch, fngrad):
        model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))
        kwargs = {}
        if kind.startswith("ema"):
            kwargs = {"multi_avg_fn": lib.optim.swa_utils.get_ema_multi_avg_fn(0.9), "use_buffers": kind.endswith("buffers")}
        avg = lib.optim.swa_utils.AveragedModel(model, **kwargs)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        rng = np.random.default_rng(1)
        with lib.no_grad():
            for p in model.parameters():
                p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
        for _ in range(5):
            x = lib.tensor(rng.standard_normal((4, 3)).astype(np.float32))
            opt.zero_grad()
            (model(x) ** 2).sum().backward()
            opt.step()
            avg.update_parameters(model)
        results.append([t.detach().numpy().copy() for t in avg.state_dict().values()])
    assert len(results[0]) == len(results[1])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_update_bn_recomputes_the_statistics():
    rng = np.random.default_rng(0)
    batches = [rng.standard_normal((5, 2)).astype(np.float32) * 3 + 1 for _ in range(3)]
    model = fngrad.nn.Sequential(fngrad.nn.Linear(2, 2), fngrad.nn.BatchNorm1d(2))
    model.eval()
    with fngrad.no_grad():
        model[0].weight.copy_(fngrad.eye(2))
        model[0].bias.zero_()
    swa_utils.update_bn([(fngrad.tensor(b), None) for b in batches], model)
    # momentum None: the cumulative mean over batches of each batch's mean and unbiased variance
    np.testing.assert_allclose(model[1].running_mean.numpy(), np.mean([b.mean(0) for b in batches], 0), rtol=1e-5)
    np.testing.assert_allclose(model[1].running_var.numpy(), np.mean([b.var(0, ddof=1) for b in batches], 0),
                               rtol=1e-5)
    assert model[1].momentum == 0.1 and not model.training


@requires_torch
@pytest.mark.parametrize("strategy,epochs", [("cos", 5), ("linear", 3), ("cos", 0)])
def test_swalr_matches_torch(strategy, epochs):
    import torch

    def make(S, o):
        return (torch if S is torch.optim.lr_scheduler else fngrad).optim.swa_utils.SWALR(
            o, swa_lr=[0.05, 0.01], anneal_epochs=epochs, anneal_strategy=strategy)

    ours = _schedule(fngrad, make, n=12)[0]
    theirs = _schedule(torch, make, n=12)[0]
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-12)


def test_swalr_closed_form():
    out = _schedule(fngrad, lambda S, o: swa_utils.SWALR(o, swa_lr=0.05, anneal_epochs=4, anneal_strategy="linear"),
                    n=8)[0]
    t = np.minimum(np.arange(9) / 4, 1)
    np.testing.assert_allclose(_lrs(out), 0.05 * t + 0.1 * (1 - t), rtol=1e-12)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got x"):
        swa_utils.SWALR(fngrad.optim.SGD([fngrad.zeros(1, requires_grad=True)], lr=0.1), 0.05, anneal_strategy="x")
