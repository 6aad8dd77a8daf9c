"""The options of fngrad.autograd.functional: strict and create_graph as PyTorch documents them,
vectorize (same Jacobian), and forward-mode strategies refused with NotImplementedError."""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp


def f64(*values):
    return fngrad.tensor(list(values), dtype=fngrad.float64)


def test_forward_mode_strategies_need_vectorize_and_match_reverse_mode():
    x = f64(1.0, 2.0)
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        jacobian(lambda t: t * 2, x, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        hessian(lambda t: (t * t).sum(), x, outer_jacobian_strategy="forward-mode")
    f = lambda t: (t * t * t).sum()  # noqa: E731
    np.testing.assert_allclose(hessian(f, x, outer_jacobian_strategy="forward-mode", vectorize=True).numpy(),
                               np.diag([6.0, 12.0]))
    g = lambda t: (t.sin() * t[:1], t.exp())  # noqa: E731
    fwd = jacobian(g, x, strategy="forward-mode", vectorize=True)
    rev = jacobian(g, x)
    for a, b in zip(fwd, rev):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    with pytest.raises(AssertionError, match='Expected strategy to be either "forward-mode" or "reverse-mode"'):
        jacobian(lambda t: t * 2, x, strategy="reverse")
    with pytest.raises(AssertionError, match='Expected strategy to be either "forward-mode" or "reverse-mode"'):
        hessian(lambda t: (t * t).sum(), x, outer_jacobian_strategy="reverse")


def test_vectorize_gives_the_same_jacobian_and_refuses_strict():
    a = np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 0.0]])
    x = f64(0.3, -0.7)
    j = jacobian(lambda t: fngrad.tensor(a, dtype=fngrad.float64) @ t.tanh(), x, vectorize=True)
    np.testing.assert_allclose(j.numpy(), a * (1 - np.tanh([0.3, -0.7]) ** 2), rtol=1e-12)
    h = hessian(lambda t: (t * t * t).sum(), x, vectorize=True)
    np.testing.assert_allclose(h.numpy(), np.diag([1.8, -4.2]), rtol=1e-12)
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True` are not supported together"):
        jacobian(lambda t: t * 2, x, vectorize=True, strict=True)


def test_strict_messages():
    x, y = f64(0.5, -1.2), f64(0.3)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not require gradients"):
        jacobian(lambda t: f64(1.0), x, strict=True)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        jacobian(lambda a, b: a * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="The jacobian of the user-provided function is independent of input 0. "
                                           "This is not allowed in strict mode when create_graph=True"):
        jacobian(lambda t: t * 2, x, strict=True, create_graph=True)  # a constant Jacobian
    with pytest.raises(RuntimeError, match="found that the jacobian of the user-provided function with respect to "
                                           "input 0 is independent of the input"):
        hessian(lambda t: t.sum() * 2, x, strict=True)
    with pytest.raises(RuntimeError, match="The output of the user-provided function is independent of input 1"):
        vjp(lambda a, b: a * 2, (x, y), f64(1.0, 1.0), strict=True)
    with pytest.raises(RuntimeError, match="While computing the hessian, found that the jacobian of the "
                                           "user-provided function with respect to input 1 is independent"):
        vhp(lambda a, b: (a * a).sum() + b.sum(), (x, y), (f64(1.0, 1.0), f64(1.0)), strict=True)
    with pytest.raises(RuntimeError, match="v has invalid size"):
        jvp(lambda t: t * 2, x, f64(1.0))
    # Without strict, the same calls give zeros where the result is independent of an input.
    _, (gx, gy) = vjp(lambda a, b: a * 2, (x, y), f64(1.0, 1.0))
    assert gx.tolist() == [2.0, 2.0] and gy.tolist() == [0.0]
    _, (hx, hy) = hvp(lambda a, b: (a * a).sum() + b.sum(), (x, y), (f64(1.0, 1.0), f64(1.0)))
    assert hx.tolist() == [2.0, 2.0] and hy.tolist() == [0.0]


def test_create_graph():
    x = fngrad.tensor([0.5, -1.2], dtype=fngrad.float64, requires_grad=True)
    _, jv = jvp(lambda t: t * t * t, x, f64(1.0, 1.0), create_graph=True)
    assert jv.requires_grad  # 3 t^2, differentiable: d/dt sum = 6 t
    (g,) = fngrad.autograd.grad(jv.sum(), x)
    np.testing.assert_allclose(g.numpy(), [3.0, -7.2])
    _, jv = jvp(lambda t: t * t * t, x, f64(1.0, 1.0))
    assert not jv.requires_grad
    h = hessian(lambda t: (t * t * t).sum(), x, create_graph=True)
    (g,) = fngrad.autograd.grad(h.sum(), x)  # d/dt of sum(diag(6 t)) = 6
    np.testing.assert_allclose(g.numpy(), [6.0, 6.0])


@requires_torch
def test_options_match_pytorch():
    """Every function with strict x create_graph on functions that are linear, constant, unused in
    one input or detached: same values, requires_grad flags, or exception type and message."""
    import torch
    import torch.autograd.functional as TAF

    import fngrad.autograd.functional as FAF

    def cases(lib):
        def t(*v):
            return lib.tensor(list(v), dtype=lib.float64)

        x, y = t(0.5, -1.2), t(0.3)
        lin, lin2 = (lambda a: a * 2), (lambda a, b: a * 2)
        cub, two = (lambda a: (a * a * a).sum()), (lambda a, b: (a * a * b).sum())
        const, det = (lambda a: t(1.0, 2.0)), (lambda a: a.detach() * 2)
        unused = lambda a, b: (a * a).sum()  # noqa: E731
        linear_sum = lambda a: a.sum() * 2  # noqa: E731
        v2, v21 = t(1.0, 1.0), (t(1.0, 1.0), t(1.0))
        per_function = {
            "jacobian": [(lin, x), (lin2, (x, y)), (const, x), (det, x), (cub, x)],
            "hessian": [(cub, x), (two, (x, y)), (linear_sum, x), (unused, (x, y)), (lin, x)],
            "vjp": [(lin, x, v2), (lin2, (x, y), v2), (const, x, v2), (cub, x)],
            "jvp": [(lin, x, v2), (lin2, (x, y), v21), (const, x, v2), (lambda a: a * a, x, t(1.0, 2.0))],
            "hvp": [(cub, x, v2), (two, (x, y), v21), (linear_sum, x, v2), (unused, (x, y), v21), (lin, x, v2)],
        }
        per_function["vhp"] = per_function["hvp"]
        out = []
        for name, arg_list in per_function.items():
            for args in arg_list:
                for strict in (False, True):
                    for create_graph in (False, True):
                        out.append((name, args, {"strict": strict, "create_graph": create_graph}))
        return out

    def flat(r):
        if isinstance(r, tuple):
            return [e for item in r for e in flat(item)]
        return [(r.detach().numpy().copy(), r.requires_grad)]

    def run(lib, AF):
        results = []
        for name, args, kw in cases(lib):
            try:
                results.append(("ok", flat(getattr(AF, name)(*args, **kw))))
            except Exception as e:  # noqa: BLE001 - the exception is what is compared
                results.append((type(e).__name__, str(e)))
        return results

    theirs, ours = run(torch, TAF), run(fngrad, FAF)
    assert len(ours) == len(theirs) == 112
    for case, t, o in zip(cases(fngrad), theirs, ours):
        assert t[0] == o[0], case
        if t[0] == "ok":
            assert len(t[1]) == len(o[1]), case
            for (a, ra), (b, rb) in zip(t[1], o[1]):
                assert ra == rb and a.shape == b.shape, case
                np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-15, err_msg=str(case))
        else:
            assert o[1] == t[1], case
