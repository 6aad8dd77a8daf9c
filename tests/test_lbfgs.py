"""fngrad.optim.LBFGS: every point the closure is evaluated at against torch.optim.LBFGS (with and
without the strong-Wolfe line search, on Rosenbrock and a tiny MLP fit), a quadratic's known
minimum, the state dict round trip and PyTorch's errors."""

import copy

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

_rng = np.random.default_rng(11)
X = _rng.standard_normal((10, 3))
Y = np.sin(X @ np.array([[1.0], [-0.5], [0.25]]))
MLP_INIT = [_rng.standard_normal((3, 4)) * 0.5, _rng.standard_normal(4) * 0.1,
            _rng.standard_normal((4, 1)) * 0.5, _rng.standard_normal(1) * 0.1]


def rosenbrock(lib, params):
    (x,) = params
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def mlp(lib, params):
    w1, b1, w2, b2 = params
    x, y = lib.tensor(X, dtype=lib.float64), lib.tensor(Y, dtype=lib.float64)
    return ((lib.tanh(x @ w1 + b1) @ w2 + b2 - y) ** 2).mean()


# (loss, initial parameters, optimizer steps compared). Rosenbrock gets one step (up to 20
# iterations): with unit steps and no line search its iterates amplify the last-bit differences of
# the two libraries' dot products about tenfold per iteration after that (1e-13 after 20, 1e-10
# after 40 iterations); the MLP's two steps also check the history carried between steps.
PROBLEMS = {
    "rosenbrock": (rosenbrock, [np.array([-1.2, 1.0, -0.5, 0.8])], 1),
    "mlp": (mlp, MLP_INIT, 2),
}


def _trace(lib, problem, kwargs):
    """Runs the problem's optimizer steps; returns the parameters at every closure call, each step's
    returned loss and the final state's counters."""
    loss_fn, init, steps = PROBLEMS[problem]
    params = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in init]
    opt = lib.optim.LBFGS(params, **kwargs)
    points = []

    def closure():
        opt.zero_grad()
        points.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
        loss = loss_fn(lib, params)
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(steps)]
    state = opt.state[params[0]]
    return np.array(points), losses, (state["func_evals"], state["n_iter"], len(state["old_dirs"]))


LBFGS_CASES = [
    {},
    {"line_search_fn": "strong_wolfe"},
    {"lr": 0.5, "max_iter": 7, "history_size": 3},
    {"lr": 0.8, "max_iter": 10, "history_size": 2, "line_search_fn": "strong_wolfe"},
    {"max_iter": 30, "max_eval": 12, "line_search_fn": "strong_wolfe"},
]


@requires_torch
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default")
def test_matches_torch_at_every_evaluation(problem, kwargs):
    import torch

    ours, our_losses, our_counts = _trace(fngrad, problem, kwargs)
    theirs, their_losses, their_counts = _trace(torch, problem, kwargs)
    assert our_counts == their_counts
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10, atol=1e-12)


def _quadratic_fit(**kwargs):
    # f(x) = 1/2 (x - m).A(x - m) with A = [[3, 1], [1, 2]] (positive definite): the minimum is
    # at x = m = [1, -2] with f = 0 (zero there, so that the loss resolves x to ~1e-10 where a
    # nonzero minimum value would hide x's last digits in the loss's rounding).
    a = fngrad.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=fngrad.float64)
    m = fngrad.tensor([1.0, -2.0], dtype=fngrad.float64)
    x = fngrad.nn.Parameter(fngrad.tensor([5.0, 5.0], dtype=fngrad.float64))
    opt = fngrad.optim.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = 0.5 * ((x - m) @ a @ (x - m))
        loss.backward()
        return loss

    return x, opt, closure


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_minimises_a_quadratic_to_its_known_minimum(line_search_fn):
    # Tolerances tightened so that stalling of the loss (its change is ~|x - x*|^2) does not stop
    # the iteration before x is exact to ~1e-10.
    x, opt, closure = _quadratic_fit(line_search_fn=line_search_fn, max_iter=50, tolerance_grad=1e-12,
                                     tolerance_change=1e-30)
    first = opt.step(closure)
    assert float(first) == pytest.approx(0.5 * (3 * 16 + 2 * 4 * 7 + 2 * 49))  # f at [5, 5]
    np.testing.assert_allclose(x.detach().numpy(), [1.0, -2.0], rtol=0, atol=1e-10)
    state = opt.state[x]
    assert 1 <= state["n_iter"] <= 50 and state["func_evals"] >= state["n_iter"]


def _rosenbrock_fit(**kwargs):
    x = fngrad.nn.Parameter(fngrad.tensor(PROBLEMS["rosenbrock"][1][0]))
    opt = fngrad.optim.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(fngrad, [x])
        loss.backward()
        return loss

    return x, opt, closure


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_continues_identically(line_search_fn):
    kwargs = {"lr": 0.5, "max_iter": 4, "history_size": 2, "line_search_fn": line_search_fn}
    x, opt, closure = _rosenbrock_fit(**kwargs)
    opt.step(closure)
    saved = copy.deepcopy(opt.state_dict())
    assert saved["param_groups"][0]["history_size"] == 2 and sorted(saved["state"]) == [0]
    assert {"func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
            "prev_flat_grad", "prev_loss"} <= set(saved["state"][0])
    x2, opt2, closure2 = _rosenbrock_fit(**kwargs)
    x2.data.copy_(x.detach())
    opt2.load_state_dict(saved)
    # A fresh optimizer from the same point would restart with a steepest-descent step; the
    # loaded one must continue with the saved history, exactly as the original does.
    x3, opt3, closure3 = _rosenbrock_fit(**kwargs)
    x3.data.copy_(x.detach())
    for o, c in ((opt, closure), (opt2, closure2), (opt3, closure3)):
        o.step(c)
    np.testing.assert_array_equal(x2.detach().numpy(), x.detach().numpy())
    assert np.abs(x3.detach().numpy() - x.detach().numpy()).max() > 1e-3
    assert opt2.state[x2]["n_iter"] == opt.state[x]["n_iter"] == 8


def test_errors_match_torch():
    x, opt, closure = _quadratic_fit()
    with pytest.raises(TypeError, match=r"LBFGS.step\(\) missing 1 required positional argument: 'closure'"):
        opt.step()
    y = fngrad.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options \(parameter groups\)"):
        fngrad.optim.LBFGS([{"params": [x]}, {"params": [y]}])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        fngrad.optim.LBFGS([x], lr=-1)
    opt = fngrad.optim.LBFGS([x], line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


def test_converged_start_returns_after_one_evaluation():
    x = fngrad.nn.Parameter(fngrad.tensor([1.0, -2.0], dtype=fngrad.float64))
    opt = fngrad.optim.LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = ((x - fngrad.tensor([1.0, -2.0], dtype=fngrad.float64)) ** 2).sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0
    assert len(calls) == 1 and opt.state[x] == {"func_evals": 1, "n_iter": 0}


@requires_torch
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_float32_and_a_parameter_without_grad_match_torch(line_search_fn):
    # A parameter the loss does not use has grad None: it counts as a zero gradient and stays put.
    import torch

    def run(lib):
        x = lib.tensor([-1.2, 1.0, -0.5, 0.8], requires_grad=True)
        unused = lib.ones(2, requires_grad=True)
        opt = lib.optim.LBFGS([x, unused], lr=0.5, max_iter=10, line_search_fn=line_search_fn)

        def closure():
            opt.zero_grad()
            loss = rosenbrock(lib, [x])
            loss.backward()
            return loss

        opt.step(closure)
        assert unused.grad is None
        return x.detach().numpy().copy(), unused.detach().numpy().copy(), opt.state[x]["func_evals"]

    ours, theirs = run(fngrad), run(torch)
    assert ours[0].dtype == np.float32 and ours[2] == theirs[2]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=0, atol=1e-5)
    np.testing.assert_array_equal(ours[1], [1.0, 1.0])
