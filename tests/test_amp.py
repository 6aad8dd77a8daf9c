"""fngrad.amp (autocast, GradScaler), fngrad.cuda.amp, and the determinism/precision switches,
against PyTorch's behaviour on a CPU-only machine (written out, and run beside torch when present)."""

import warnings

import numpy as np
import pytest

import fngrad
from conftest import requires_torch


def _train(lib, scaler_args, losses_scale, steps=6, unscale_first=False):
    """SGD on w with a GradScaler; ``losses_scale[i]`` multiplies step i's loss (inf/nan skip it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
        opt = lib.optim.SGD([w], lr=0.1)
        scaler = lib.amp.GradScaler(*scaler_args[0], **scaler_args[1])
    trace = []
    for i in range(steps):
        opt.zero_grad()
        loss = (w * w).sum() * losses_scale[i % len(losses_scale)]
        scaler.scale(loss).backward()
        if unscale_first:
            scaler.unscale_(opt)
            trace.append(w.grad.tolist())
        scaler.step(opt)
        scaler.update()
        trace.append((w.tolist(), scaler.get_scale(), scaler.state_dict().get("_growth_tracker")))
    return trace


def _expected_trace(init_scale, growth_interval, losses_scale, steps=6, enabled=True):
    """The same loop in NumPy, from GradScaler's documented rule."""
    w, scale, tracker, trace = np.array([1.0, -2.0], dtype=np.float32), init_scale, 0, []
    for i in range(steps):
        factor = losses_scale[i % len(losses_scale)]
        grad = 2 * w * factor
        if not enabled:
            w = w - np.float32(0.1) * grad
            trace.append((w.tolist(), 1.0, None))
            continue
        if np.all(np.isfinite(grad)):
            w = (w - np.float32(0.1) * grad).astype(np.float32)
            tracker += 1
            if tracker == growth_interval:
                scale, tracker = scale * 2.0, 0
        else:
            scale, tracker = scale * 0.5, 0
        trace.append((w.tolist(), scale, tracker))
    return trace


CASES = [
    ("clean_growth", (("cpu",), {"init_scale": 8.0, "growth_interval": 2}), [1.0], 8.0, 2, True),
    ("inf_backoff", (("cpu",), {"init_scale": 8.0, "growth_interval": 3}), [1.0, float("inf"), 1.0], 8.0, 3, True),
    ("nan_backoff", (("cpu",), {"init_scale": 1024.0}), [float("nan"), 1.0], 1024.0, 2000, True),
    ("disabled", (("cpu",), {"enabled": False}), [1.0], None, None, False),
    ("cuda_disables", (("cuda",), {}), [1.0], None, None, False),
]


@pytest.mark.parametrize("name,args,losses,init,interval,enabled", CASES, ids=[c[0] for c in CASES])
def test_grad_scaler_follows_its_rule(name, args, losses, init, interval, enabled):
    got = _train(fngrad, args, losses)
    want = _expected_trace(init, interval, losses, enabled=enabled)
    for (gw, gs, gt), (ww, ws, wt) in zip(got, want):
        np.testing.assert_allclose(gw, ww, rtol=1e-6, equal_nan=True)
        assert gs == ws and gt == wt


@requires_torch
@pytest.mark.parametrize("name,args,losses,init,interval,enabled", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("unscale_first", [False, True])
def test_grad_scaler_as_pytorchs(name, args, losses, init, interval, enabled, unscale_first):
    import torch

    # repr: a NaN gradient reads "nan" in both, where == would call two NaNs different.
    assert repr(_train(fngrad, args, losses, unscale_first=unscale_first)) == repr(
        _train(torch, args, losses, unscale_first=unscale_first))


def test_grad_scaler_refusals_as_pytorchs():
    w = fngrad.nn.Parameter(fngrad.tensor([1.0]))
    opt = fngrad.optim.SGD([w], lr=0.1)
    scaler = fngrad.amp.GradScaler("cpu")
    with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
        scaler.step(opt)
    scaler.scale(w.sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this optimizer since the last"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the last update\(\)."):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        fngrad.amp.GradScaler("cpu").step(opt, closure=lambda: 0)
    with pytest.raises(AssertionError, match="The growth factor must be > 1.0."):
        fngrad.amp.GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        fngrad.amp.GradScaler("cpu").scale(3.0)
    scaled = fngrad.amp.GradScaler("cpu", init_scale=2.0).scale([fngrad.tensor(1.0), (fngrad.tensor(3.0),)])
    assert isinstance(scaled, list) and float(scaled[0]) == 2.0 and float(scaled[1][0]) == 6.0


def test_grad_scaler_state_dict_round_trip():
    a = fngrad.amp.GradScaler("cpu", init_scale=16.0, growth_interval=7)
    b = fngrad.amp.GradScaler("cpu")
    b.load_state_dict(a.state_dict())
    assert b.get_scale() == 16.0 and b.get_growth_interval() == 7
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        b.load_state_dict(fngrad.amp.GradScaler("cpu", enabled=False).state_dict())


def test_autocast_cuda_disables_with_pytorchs_warning():
    with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast."):
        ctx = fngrad.autocast(device_type="cuda")
    with ctx:
        assert not fngrad.is_autocast_enabled()
        assert (fngrad.ones(2, 2) @ fngrad.ones(2, 2)).dtype == fngrad.float32
    with pytest.warns(FutureWarning, match=r"torch.cuda.amp.autocast\(args...\)` is deprecated"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            from fngrad.cuda.amp import autocast

            autocast()


def test_autocast_refuses_cpu_lower_precision_and_decorates():
    with pytest.raises(NotImplementedError, match="fngrad.autocast: device_type='cpu' with enabled=True"):
        fngrad.autocast("cpu")
    with pytest.warns(UserWarning, match="In CPU autocast, but the target dtype is not supported"):
        fngrad.autocast("cpu", dtype=fngrad.float64)
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        fngrad.autocast(5)

    @fngrad.autocast("cpu", enabled=False)
    def f(x):
        return x * 2

    assert f(fngrad.tensor(2.0)).item() == 4.0
    assert fngrad.get_autocast_dtype("cpu") == fngrad.bfloat16


def test_deterministic_switches_as_pytorchs():
    try:
        fngrad.use_deterministic_algorithms(True, warn_only=True)
        assert fngrad.are_deterministic_algorithms_enabled()
        assert fngrad.is_deterministic_algorithms_warn_only_enabled()
        assert fngrad.get_deterministic_debug_mode() == 1
        fngrad.set_deterministic_debug_mode("error")
        assert fngrad.get_deterministic_debug_mode() == 2 and not fngrad.is_deterministic_algorithms_warn_only_enabled()
        with pytest.raises(RuntimeError, match="expected one of `default`, `warn`, `error`, but got bad"):
            fngrad.set_deterministic_debug_mode("bad")
        with pytest.raises(RuntimeError, match="expected 0, 1, or 2, but got 5"):
            fngrad.set_deterministic_debug_mode(5)
        with pytest.raises(TypeError, match="argument 'mode' \\(position 1\\) must be bool, not str"):
            fngrad.use_deterministic_algorithms("x")
    finally:
        fngrad.use_deterministic_algorithms(False)
    assert fngrad.get_deterministic_debug_mode() == 0
    try:
        fngrad.set_float32_matmul_precision("medium")
        assert fngrad.get_float32_matmul_precision() == "medium"
        with pytest.warns(UserWarning, match="bad is not one of 'highest', 'high', or 'medium'"):
            fngrad.set_float32_matmul_precision("bad")
        assert fngrad.get_float32_matmul_precision() == "medium"
    finally:
        fngrad.set_float32_matmul_precision("highest")
