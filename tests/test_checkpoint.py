"""fngrad.utils.checkpoint: gradients equal to the plain graph's (and PyTorch's), the RNG state
across recomputation, hooks, double backward, what the checkpointed graph keeps, and errors."""

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import requires_torch
from fngrad import nn
from fngrad.autograd.graph import saved_tensors_hooks
from fngrad.utils.checkpoint import (
    CheckpointError,
    checkpoint,
    checkpoint_sequential,
    set_checkpoint_early_stop,
)

VARIANTS = [False, True]  # use_reentrant


def _mlp(depth=6, width=8, dtype=fngrad.float64):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers).to(dtype)


def _grads(model, x):
    return [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]


def _clear(model, x):
    model.zero_grad(set_to_none=True)
    x.grad = None


def _smooth(a, b):
    return (a.sin() * b).exp() + a * a.tanh()


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_checkpoint_sequential_gradients_equal_the_plain_graph(use_reentrant):
    model = _mlp()
    x = fngrad.randn(4, 8, dtype=fngrad.float64, requires_grad=True)
    model(x).pow(2).sum().backward()
    plain = _grads(model, x)
    for segments in (1, 2, 3, 4):
        _clear(model, x)
        y = checkpoint_sequential(model, segments, x, use_reentrant=use_reentrant)
        y.pow(2).sum().backward()
        # The recomputation runs the same kernels on the same inputs: equal to the bit.
        for got, want in zip(_grads(model, x), plain):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_checkpoint_with_several_inputs_outputs_and_keywords(use_reentrant):
    a = fngrad.randn(3, dtype=fngrad.float64, requires_grad=True)
    b = fngrad.randn(3, dtype=fngrad.float64, requires_grad=True)

    def fn(a, scale, b):
        return _smooth(a, b) * scale, (a * b).cos()

    u, v = fn(a, 1.5, b)
    (u.sum() + 2 * v.sum()).backward()
    want = (a.grad.numpy().copy(), b.grad.numpy().copy())
    a.grad = b.grad = None
    u, v = checkpoint(fn, a, 1.5, b, use_reentrant=use_reentrant)
    (u.sum() + 2 * v.sum()).backward()
    np.testing.assert_array_equal(a.grad.numpy(), want[0])
    np.testing.assert_array_equal(b.grad.numpy(), want[1])
    if not use_reentrant:  # keyword arguments reach the function (non-reentrant only, as PyTorch)
        a.grad = None
        checkpoint(lambda t, *, k: (t * k).exp(), a, k=2.0, use_reentrant=False).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), 2 * np.exp(2 * a.detach().numpy()), rtol=1e-12)


def test_grad_and_backward_inputs_work_non_reentrant():
    a = fngrad.randn(4, dtype=fngrad.float64, requires_grad=True)
    b = fngrad.randn(4, dtype=fngrad.float64, requires_grad=True)
    want = fngrad.autograd.grad(_smooth(a, b).sum(), (a, b))
    got = fngrad.autograd.grad(checkpoint(_smooth, a, b).sum(), (a, b))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())
    checkpoint(_smooth, a, b).sum().backward(inputs=[b])
    assert a.grad is None
    np.testing.assert_array_equal(b.grad.numpy(), want[1].numpy())


def test_reentrant_refuses_grad_with_pytorchs_message():
    a = fngrad.randn(4, requires_grad=True)
    y = checkpoint(lambda t: t.exp(), a, use_reentrant=True)
    with pytest.raises(RuntimeError, match="use_reentrant=True, torch.utils.checkpoint is incompatible with .grad()"):
        fngrad.autograd.grad(y.sum(), a)


def test_double_backward_through_a_checkpoint():
    a = fngrad.randn(5, dtype=fngrad.float64, requires_grad=True)
    b = fngrad.randn(5, dtype=fngrad.float64, requires_grad=True)
    v = fngrad.randn(5, dtype=fngrad.float64)

    def hvp(out):
        g = fngrad.autograd.grad(out.sum(), (a, b), create_graph=True)
        return fngrad.autograd.grad((g[0] * v).sum() + g[1].sum(), (a, b))

    want = hvp(_smooth(a, b))
    got = hvp(checkpoint(_smooth, a, b, use_reentrant=False))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())
    # The second derivative also matches central differences of the first (an independent check).
    x0, b0, v0 = a.detach().numpy(), b.detach().numpy(), v.numpy()

    def first(x):
        s, e = np.sin(x), np.exp(np.sin(x) * b0)
        return (np.cos(x) * b0 * e + np.tanh(x) + x * (1 - np.tanh(x) ** 2)) @ v0 + (s * e).sum()

    eps = 1e-6
    numeric = np.array([(first(x0 + eps * e) - first(x0 - eps * e)) / (2 * eps) for e in np.eye(5)])
    np.testing.assert_allclose(got[0].numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_retain_graph_recomputes_for_each_backward():
    a = fngrad.randn(4, dtype=fngrad.float64, requires_grad=True)
    calls = []

    def fn(t):
        calls.append(1)
        return t.exp().sin()

    y = checkpoint(fn, a).sum()
    y.backward(retain_graph=True)
    first = a.grad.numpy().copy()
    a.grad = None
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), first)
    assert len(calls) == 3  # the forward, then one recomputation per backward pass


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_dropout_mask_is_the_same_in_the_recomputation(use_reentrant):
    x = fngrad.randn(2000, requires_grad=True)
    y = checkpoint(lambda t: F.dropout(t * 3, 0.5), x, use_reentrant=use_reentrant)
    kept = y.detach().numpy() != 0
    after_forward = fngrad.get_rng_state()
    y.sum().backward()
    # d/dx of dropout(3x) is 3/(1-p) = 6 where the forward kept the element, 0 elsewhere.
    np.testing.assert_array_equal(x.grad.numpy(), np.where(kept, 6.0, 0.0).astype(np.float32))
    # The recomputation ran under the forward's state and gave the caller's stream back untouched.
    np.testing.assert_array_equal(fngrad.get_rng_state().numpy(), after_forward.numpy())


def test_without_preserve_rng_state_the_recomputation_draws_anew():
    x = fngrad.randn(2000, requires_grad=True)
    y = checkpoint(lambda t: F.dropout(t, 0.5), x, use_reentrant=False, preserve_rng_state=False)
    kept = y.detach().numpy() != 0
    y.sum().backward()
    assert ((x.grad.numpy() != 0) != kept).any()


def test_rng_state_round_trip():
    state = fngrad.get_rng_state()
    a = fngrad.randn(5).numpy().copy()
    fngrad.set_rng_state(state)
    np.testing.assert_array_equal(fngrad.randn(5).numpy(), a)
    g = fngrad.Generator().manual_seed(3)
    s = g.get_state()
    b = fngrad.rand(4, generator=g).numpy().copy()
    g.set_state(s)
    np.testing.assert_array_equal(fngrad.rand(4, generator=g).numpy(), b)
    assert g.initial_seed() == 3
    with pytest.raises(RuntimeError, match=r"\[set_state\]"):
        fngrad.set_rng_state(fngrad.zeros(3))


def test_hooks_inside_and_around_a_checkpoint():
    a = fngrad.randn(4, dtype=fngrad.float64, requires_grad=True)
    seen = []

    def fn(t):
        h = t.exp()
        h.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
        return h.sin()

    y = checkpoint(fn, a, use_reentrant=False)
    y.register_hook(lambda g: g * 2)
    y.sum().backward()
    e = np.exp(a.detach().numpy())
    np.testing.assert_allclose(seen[0], 2 * np.cos(e), rtol=1e-12)
    assert len(seen) == 1  # the hook registered again during the recomputation is on a discarded graph
    np.testing.assert_allclose(a.grad.numpy(), 20 * np.cos(e) * e, rtol=1e-12)


def test_a_checkpointed_graph_keeps_only_the_inputs():
    a = fngrad.randn(64, dtype=fngrad.float64, requires_grad=True)
    fn = lambda t: t.exp().sin().tanh().sigmoid()  # noqa: E731  (saves four (64,) tensors)
    packed = []
    with saved_tensors_hooks(lambda t: packed.append(tuple(t.shape)) or t, lambda t: t):
        fn(a)
    assert len(packed) == 4
    packed.clear()
    with saved_tensors_hooks(lambda t: packed.append(tuple(t.shape)) or t, lambda t: t):
        y = checkpoint(fn, a, use_reentrant=False)
    assert packed == [(64,)]  # the input, kept to recompute from; the four intermediates are not
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), fngrad.autograd.grad(fn(a).sum(), a)[0].numpy())


def test_nested_checkpoints():
    a = fngrad.randn(6, dtype=fngrad.float64, requires_grad=True)
    inner = lambda t: t.exp().sin()  # noqa: E731
    outer = lambda t: checkpoint(inner, t * 2).tanh() * t  # noqa: E731
    want = fngrad.autograd.grad(((inner(a * 2)).tanh() * a).sum(), a)[0]
    got = fngrad.autograd.grad(checkpoint(outer, a).sum(), a)[0]
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_early_stop_off_gives_the_same_gradients():
    a = fngrad.randn(4, dtype=fngrad.float64, requires_grad=True)
    want = fngrad.autograd.grad(_smooth(a, a).sum(), a)[0]
    for kwargs in ({"early_stop": False}, {}):
        with set_checkpoint_early_stop(False):
            y = checkpoint(_smooth, a, a, **kwargs)
        np.testing.assert_array_equal(fngrad.autograd.grad(y.sum(), a)[0].numpy(), want.numpy())


def test_input_modified_in_place_after_the_checkpoint_raises():
    a = fngrad.randn(4, requires_grad=True)
    b = a * 1
    y = checkpoint(lambda t: t.exp(), b)
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_recomputation_that_differs_raises_checkpoint_error():
    a = fngrad.randn(4, requires_grad=True)
    state = {"n": 4}

    def fn(t):
        return t[: state["n"]].exp().sum()

    y = checkpoint(fn, a, use_reentrant=False)
    state["n"] = 2
    with pytest.raises(CheckpointError, match="different metadata"):
        y.backward()
    state["n"] = 4
    extra = {"on": False}

    def fn2(t):
        return t.exp().sin().sum() if extra["on"] else t.exp().sum()

    y = checkpoint(fn2, a, use_reentrant=False, early_stop=False)
    extra["on"] = True
    with pytest.raises(CheckpointError, match="more tensors during recomputation"):
        y.backward()


def test_no_grad_and_bad_options():
    a = fngrad.randn(3, requires_grad=True)
    with fngrad.no_grad():
        y = checkpoint(lambda t: t.exp(), a)
    assert y.grad_fn is None
    with pytest.raises(NotImplementedError, match="debug=True"):
        checkpoint(lambda t: t, a, debug=True)
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        checkpoint(lambda t: t, a, determinism_check="strict")
    with pytest.raises(ValueError, match="Unexpected keyword arguments: k"):
        checkpoint(lambda t, k: t, a, k=1, use_reentrant=True)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        checkpoint_sequential([lambda t: t], 1, a, foo=1)
    # Nothing is left behind: a plain backward still works.
    a.exp().sum().backward()


@requires_torch
@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_gradients_equal_pytorchs(use_reentrant):
    import torch
    import torch.utils.checkpoint as tcp

    model = _mlp(depth=5, width=6)
    x = fngrad.randn(3, 6, dtype=fngrad.float64, requires_grad=True)
    tlayers = []
    for m in model:
        if isinstance(m, nn.Linear):
            t = torch.nn.Linear(6, 6).double()
            with torch.no_grad():
                t.weight.copy_(torch.from_numpy(m.weight.detach().numpy().copy()))
                t.bias.copy_(torch.from_numpy(m.bias.detach().numpy().copy()))
            tlayers.append(t)
        else:
            tlayers.append(torch.nn.Tanh())
    tmodel = torch.nn.Sequential(*tlayers)
    tx = torch.from_numpy(x.detach().numpy().copy()).requires_grad_()
    checkpoint_sequential(model, 3, x, use_reentrant=use_reentrant).pow(2).sum().backward()
    tcp.checkpoint_sequential(tmodel, 3, tx, use_reentrant=use_reentrant).pow(2).sum().backward()
    for p, tp in zip(list(model.parameters()) + [x], list(tmodel.parameters()) + [tx]):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-12)
