"""The torch.autograd contract, scenario by scenario, through fngrad and PyTorch side by side.

Skipped without PyTorch (a test oracle only; .ci/run installs it).
"""

import warnings

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

pytestmark = requires_torch


@pytest.fixture(scope="module")
def torch():
    import torch

    return torch


def both(torch, scenario):
    """Runs scenario(lib) for both libraries; returns (fngrad result, torch result)."""
    return scenario(fngrad), scenario(torch)


def outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001
        return ("error", type(e).__name__)


def to_np(values):
    return [None if v is None else np.asarray(v.detach().numpy(), dtype=np.float64) for v in values]


def assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if a is None or b is None:
            assert a is None and b is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_hooks_and_retain_grad(torch):
    def scenario(lib):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g * 3)
        z = (y * y).relu()
        z.grad_fn.register_prehook(lambda go: (go[0] + 1,))
        z.grad_fn.register_hook(lambda gi, go: (gi[0] * 0.5,))
        x.register_hook(lambda g: g - 1)
        z.sum().backward()
        return to_np([x.grad, y.grad])

    assert_same(*both(torch, scenario))


def test_double_backward_through_custom_function(torch):
    def scenario(lib):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 3 * x * x * g

        x = lib.tensor([2.0, -1.0, 0.5], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
        (g,) = lib.autograd.grad((Cube.apply(x) * w).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        return to_np([g, gg])

    assert_same(*both(torch, scenario))


def test_mark_dirty_and_materialize(torch):
    def scenario(lib):
        class InplaceDouble(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, other):
                ctx.set_materialize_grads(False)
                x.mul_(2)
                ctx.mark_dirty(x)
                return x, other * 3

            @staticmethod
            def backward(ctx, gx, gother):
                assert gother is None
                return gx * 2, None

        a = lib.ones(3, requires_grad=True)
        b = a * 1
        out, _ = InplaceDouble.apply(b, lib.ones(3))
        (out * out).sum().backward()
        return to_np([a.grad, out])

    assert_same(*both(torch, scenario))


def test_backward_inputs_and_grad_variants(torch):
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = (x * w * x).sum()
        y.backward(inputs=[w], retain_graph=True)
        gx, gu = lib.autograd.grad(y, [x, lib.ones(1, requires_grad=True)], allow_unused=True, retain_graph=True)
        (gm,) = lib.autograd.grad(y * 0 + (w * 2).sum(), [w], materialize_grads=True)
        return to_np([w.grad, gx, gu, gm]) + [x.grad]

    ours, theirs = both(torch, scenario)
    assert ours[-1] is None and theirs[-1] is None
    assert_same(ours[:-1], theirs[:-1])


def test_saved_tensors_hooks_scenario(torch):
    def scenario(lib):
        log = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: log.append("pack") or t * 1,
                                                    lambda t: log.append("unpack") or t):
            y = (x * x * x).sum()
        y.backward()
        return log, to_np([x.grad])

    (log_a, grad_a), (log_b, grad_b) = both(torch, scenario)
    assert sorted(log_a) == sorted(log_b)
    assert_same(grad_a, grad_b)


def error_scenarios(lib):
    from_lib = lib.autograd.Function

    class Identity(from_lib):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    def view_inplace():
        Identity.apply(lib.ones(2, requires_grad=True) * 1).add_(1)

    def saved_modified():
        x = lib.ones(2, requires_grad=True)
        h = x.relu()
        y = h * h
        h.add_(1)
        y.sum().backward()

    def inference_inplace():
        with lib.inference_mode():
            t = lib.ones(2)
        t.add_(1)

    def inference_saved():
        with lib.inference_mode():
            t = lib.ones(2)
        (lib.ones(2, requires_grad=True) * t).sum().backward()

    def hook_on_no_grad():
        lib.ones(1).register_hook(lambda g: g)

    def post_acc_non_leaf():
        (lib.ones(1, requires_grad=True) * 1).register_post_accumulate_grad_hook(lambda t: None)

    def nan_anomaly():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                x = lib.zeros(1, requires_grad=True)
                (x / x).sum().backward()

    def requires_grad_non_leaf():
        (lib.ones(1, requires_grad=True) * 1).requires_grad_(False)

    def unused_input():
        x = lib.ones(1, requires_grad=True)
        lib.autograd.grad((x * 2).sum(), [x, lib.ones(1, requires_grad=True)])

    def mark_dirty_not_returned():
        class Forgets(from_lib):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g

        Forgets.apply(lib.ones(2, requires_grad=True) * 1)

    return {
        "view_inplace": view_inplace,
        "saved_modified": saved_modified,
        "inference_inplace": inference_inplace,
        "inference_saved": inference_saved,
        "hook_on_no_grad": hook_on_no_grad,
        "post_acc_non_leaf": post_acc_non_leaf,
        "nan_anomaly": nan_anomaly,
        "requires_grad_non_leaf": requires_grad_non_leaf,
        "unused_input": unused_input,
        "mark_dirty_not_returned": mark_dirty_not_returned,
    }


def test_error_types_match(torch):
    ours, theirs = error_scenarios(fngrad), error_scenarios(torch)
    mismatches = {}
    for name in ours:
        a, b = outcome(ours[name]), outcome(theirs[name])
        if a != b:
            mismatches[name] = (a, b)
    assert mismatches == {}
