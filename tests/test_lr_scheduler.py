"""fngrad.optim.lr_scheduler: every scheduler's learning-rate sequence against PyTorch's (and
a few against hand-computed values), momentum cycling, state dicts."""

import math
import warnings

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.optim import lr_scheduler as S


def _optimizer(lib, cls="SGD", **kwargs):
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(1, requires_grad=True)
    kwargs.setdefault("lr", 0.1)
    if cls == "SGD":
        kwargs.setdefault("momentum", 0.9)
    return getattr(lib.optim, cls)([{"params": [a]}, {"params": [b], "lr": kwargs["lr"] * 0.5}], **kwargs)


def _make(lib, name, opt):
    M = lib.optim.lr_scheduler
    return {
        "StepLR": lambda: M.StepLR(opt, step_size=3, gamma=0.5),
        "MultiStepLR": lambda: M.MultiStepLR(opt, milestones=[2, 5, 5, 9], gamma=0.3),
        "ExponentialLR": lambda: M.ExponentialLR(opt, gamma=0.9),
        "CosineAnnealingLR": lambda: M.CosineAnnealingLR(opt, T_max=7, eta_min=0.001),
        "LambdaLR": lambda: M.LambdaLR(opt, [lambda e: 0.95**e, lambda e: 1.0 / (1 + e)]),
        "LinearLR": lambda: M.LinearLR(opt, start_factor=0.25, end_factor=0.9, total_iters=6),
        "OneCycleLR": lambda: M.OneCycleLR(opt, max_lr=[1.0, 0.5], total_steps=25),
        "OneCycleLR-three-linear": lambda: M.OneCycleLR(opt, max_lr=0.8, epochs=5, steps_per_epoch=5, pct_start=0.25,
                                                        anneal_strategy="linear", three_phase=True),
        "SequentialLR": lambda: M.SequentialLR(
            opt, [M.LinearLR(opt, start_factor=0.1, total_iters=4), M.ExponentialLR(opt, gamma=0.8),
                  M.CosineAnnealingLR(opt, T_max=5)], milestones=[4, 10]),
    }[name]()


SCHEDULERS = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR", "LinearLR", "OneCycleLR",
              "OneCycleLR-three-linear", "SequentialLR"]


def _sequence(lib, name, steps=24, cls="SGD"):
    opt = _optimizer(lib, cls)
    sched = _make(lib, name, opt)
    lrs = [list(sched.get_last_lr())]
    momenta = [[g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(list(sched.get_last_lr()))
        assert lrs[-1] == [g["lr"] for g in opt.param_groups]
        momenta.append([g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups])
    return lrs, momenta


@requires_torch
@pytest.mark.parametrize("name", SCHEDULERS)
def test_sequence_matches_torch(name):
    import torch

    ours, our_momenta = _sequence(fngrad, name)
    theirs, their_momenta = _sequence(torch, name)
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-15, atol=0)
    np.testing.assert_allclose(np.array(our_momenta, dtype=float), np.array(their_momenta, dtype=float), rtol=1e-15)
    assert len({tuple(x) for x in ours}) > 2  # the schedule moved


@requires_torch
def test_one_cycle_cycles_adam_beta1_like_torch():
    import torch

    ours, our_momenta = _sequence(fngrad, "OneCycleLR", cls="Adam")
    theirs, their_momenta = _sequence(torch, "OneCycleLR", cls="Adam")
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-15)
    np.testing.assert_allclose(np.array(our_momenta), np.array(their_momenta), rtol=1e-15)


@requires_torch
@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"])
def test_closed_form_step_epoch_matches_torch(name):
    import torch

    def run(lib):
        opt = _optimizer(lib)
        sched = _make(lib, name, opt)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in [3, 1, 7, 12, 5]:
                opt.step()
                sched.step(epoch)
                out.append(sched.get_last_lr())
        return out

    np.testing.assert_allclose(np.array(run(fngrad)), np.array(run(torch)), rtol=1e-15)


@requires_torch
@pytest.mark.parametrize("kwargs", [{}, {"mode": "max", "patience": 1, "factor": 0.5, "cooldown": 2},
                                    {"threshold_mode": "abs", "threshold": 0.05, "patience": 2, "min_lr": [0.02, 0.01]}])
def test_reduce_on_plateau_matches_torch(kwargs):
    import torch

    metrics = [1.0, 0.9, 0.95, 0.97, 0.99, 0.89, 0.9, 0.9, 0.9, 0.9, 0.91, 0.5, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95,
               1.0, 1.1, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2]

    def run(lib):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        out = []
        for m in metrics:
            opt.step()
            sched.step(m)
            out.append(sched.get_last_lr())
        return out

    ours, theirs = run(fngrad), run(torch)
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-15)
    assert ours[-1] != ours[0]


def test_step_lr_by_hand():
    lrs, _ = _sequence(fngrad, "StepLR", steps=7)
    expected = [[0.1 * 0.5 ** (e // 3), 0.05 * 0.5 ** (e // 3)] for e in range(8)]
    np.testing.assert_allclose(np.array(lrs), np.array(expected), rtol=1e-15)


def test_cosine_annealing_follows_closed_form_within_rounding():
    lrs, _ = _sequence(fngrad, "CosineAnnealingLR", steps=7)
    expected = [0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * e / 7)) / 2 for e in range(8)]
    np.testing.assert_allclose([x[0] for x in lrs], expected, rtol=1e-12)


def test_reduce_on_plateau_by_hand():
    opt = _optimizer(fngrad)
    sched = S.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    seen = []
    for m in [1.0, 1.0, 1.0, 0.5, 0.6, 0.7]:
        sched.step(m)
        seen.append(sched.get_last_lr()[0])
    # Worse twice in a row (more than patience=1) halves the rate: after the 3rd and 6th values.
    assert seen == [0.1, 0.1, 0.05, 0.05, 0.05, 0.025]


@pytest.mark.parametrize("name", SCHEDULERS)
def test_state_dict_round_trip_continues_the_sequence(name):
    straight, _ = _sequence(fngrad, name, steps=20)
    opt = _optimizer(fngrad)
    sched = _make(fngrad, name, opt)
    for _ in range(8):
        opt.step()
        sched.step()
    opt_sd, sched_sd = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in sched_sd
    opt2 = _optimizer(fngrad)
    sched2 = _make(fngrad, name, opt2)
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sched_sd)
    rest = []
    for _ in range(12):
        opt2.step()
        sched2.step()
        rest.append(list(sched2.get_last_lr()))
    np.testing.assert_allclose(np.array(rest), np.array(straight[9:]), rtol=1e-15)


def test_scheduler_errors():
    opt = _optimizer(fngrad)
    with pytest.raises(TypeError, match="int is not an Optimizer"):
        S.StepLR(3, step_size=1)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        S.StepLR(opt, step_size=1, last_epoch=3)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        S.OneCycleLR(opt, max_lr=1.0)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=2)
    opt.step()
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match="Tried to step 3 times. The specified number of total steps is 2"):
        sched.step()


def test_warns_when_scheduler_steps_before_optimizer():
    opt = _optimizer(fngrad)
    sched = S.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
