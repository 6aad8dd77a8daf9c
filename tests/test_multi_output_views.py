"""unbind / split / split_with_sizes / chunk: ONE backward node for all outputs, as PyTorch records.

Note [Multi-output views] in csrc/ops/views.cpp. Expectations come from NumPy (which region of the
input each output covers), finite differences (gradcheck) and PyTorch (graph structure, wording).
"""
import numpy as np
import pytest

import fngrad
from conftest import requires_torch

# (name, function of a (3, 4) tensor, expected node name, the NumPy regions of each output)
CASES = [
    ("unbind0", lambda L, x: x.unbind(), "UnbindBackward0", [np.s_[i] for i in range(3)]),
    ("unbind1", lambda L, x: L.unbind(x, dim=1), "UnbindBackward0", [np.s_[:, i] for i in range(4)]),
    ("split_int", lambda L, x: x.split(2, dim=1), "SplitBackward0", [np.s_[:, 0:2], np.s_[:, 2:4]]),
    ("split_fn_uneven", lambda L, x: L.split(x, 2), "SplitBackward0", [np.s_[0:2], np.s_[2:3]]),
    ("split_list", lambda L, x: x.split([1, 3], 1), "SplitWithSizesBackward0", [np.s_[:, 0:1], np.s_[:, 1:4]]),
    ("split_with_sizes", lambda L, x: L.split_with_sizes(x, [2, 0, 1]), "SplitWithSizesBackward0",
     [np.s_[0:2], np.s_[2:2], np.s_[2:3]]),
    ("chunk", lambda L, x: x.chunk(2), "SplitBackward0", [np.s_[0:2], np.s_[2:3]]),
    ("chunk_fn", lambda L, x: L.chunk(x, 4, dim=-1), "SplitBackward0", [np.s_[:, i:i + 1] for i in range(4)]),
    ("split_one_part", lambda L, x: x.split(3), "SplitBackward0", [np.s_[0:3]]),
]
IDS = [c[0] for c in CASES]


def _x(requires_grad=True):
    return fngrad.tensor(np.arange(12.0).reshape(3, 4) / 7, requires_grad=requires_grad)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_one_node_for_every_output_and_outputs_are_views(case):
    _, fn, node_name, regions = case
    x = _x()
    ref = x.detach().numpy().copy()
    outs = fn(fngrad, x)
    assert len(outs) == len(regions)
    node = outs[0].grad_fn
    assert type(node).__name__ == node_name
    for i, (o, r) in enumerate(zip(outs, regions)):
        assert o.grad_fn is node
        assert o.output_nr == i
        assert o._base is x
        np.testing.assert_array_equal(o.detach().numpy(), ref[r])
    assert len(node.next_functions) == 1 and node.next_functions[0][1] == 0
    assert type(node.next_functions[0][0]).__name__ == "AccumulateGrad"
    # Shared memory: a write to x shows in every output.
    with fngrad.no_grad():
        x.add_(1.0)
    for o, r in zip(outs, regions):
        np.testing.assert_array_equal(o.detach().numpy(), ref[r] + 1.0)


@requires_torch
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_graph_structure_matches_pytorch(case):
    import torch

    _, fn, _, _ = case

    def describe(L, x):
        outs = fn(L, x * 2)
        node = outs[0].grad_fn
        saved = {a: getattr(node, a) for a in dir(node) if a.startswith("_saved_")}
        saved = {k: tuple(v) if isinstance(v, (tuple, list)) else v for k, v in saved.items()}
        # PyTorch keeps the dim as passed (chunk(x, 4, dim=-1)) and shows a negative one as uint64.
        saved["_saved_dim"] = (saved["_saved_dim"] - (2**64 if saved["_saved_dim"] >= 2**63 else 0)) % x.dim()
        nexts = [(type(f).__name__, nr) for f, nr in node.next_functions]
        return (type(node).__name__, saved, nexts, [o.grad_fn is node for o in outs],
                [tuple(o.shape) for o in outs], [o._base is not None for o in outs])

    data = np.arange(12.0).reshape(3, 4)
    got = describe(fngrad, fngrad.tensor(data, requires_grad=True))
    want = describe(torch, torch.tensor(data, requires_grad=True))
    assert got == want


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_with_only_some_outputs_used(case):
    _, fn, _, regions = case
    x = _x()
    outs = fn(fngrad, x)
    used = len(outs) - 1  # only the last output reaches the loss
    w = np.linspace(1.0, 2.0, outs[used].numel()).reshape(tuple(outs[used].shape))
    (outs[used] * fngrad.tensor(w)).sum().backward()
    expected = np.zeros((3, 4))
    expected[regions[used]] = w
    np.testing.assert_allclose(x.grad.numpy(), expected)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck_and_gradgradcheck(case):
    _, fn, _, _ = case
    x = fngrad.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)

    def f(t):
        outs = fn(fngrad, t)
        # a nonlinear use of every other output, so the gaps (undefined gradients) are exercised
        return tuple((o * o).sin() for o in outs[::2])

    assert fngrad.autograd.gradcheck(f, (x,))
    assert fngrad.autograd.gradgradcheck(f, (x,))


def test_double_backward_through_unbind_against_numpy():
    v = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    x = fngrad.tensor(v, requires_grad=True)
    a, b = x.unbind()
    z = (a * a * b).sum()  # dz/da = 2ab, dz/db = a^2
    (g,) = fngrad.autograd.grad(z, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), np.stack([2 * v[0] * v[1], v[0] ** 2]))
    (gg,) = fngrad.autograd.grad(g.sum(), x)  # d/da (2ab + a^2) = 2b + 2a, d/db (2ab) = 2a
    np.testing.assert_allclose(gg.numpy(), np.stack([2 * v[1] + 2 * v[0], 2 * v[0]]))


def test_node_runs_once_with_a_gradient_per_output_and_hooks_see_none():
    x = _x()
    a, b, c = x.unbind()
    seen_a, seen_node = [], []
    a.register_hook(lambda g: seen_a.append(g))
    a.grad_fn.register_prehook(lambda grads: seen_node.append([g is None for g in grads]))
    (b.sum() + c.sum() * 2).backward()
    assert seen_a == [None]  # PyTorch: the hook of an output that got no gradient runs with None
    assert seen_node == [[True, False, False]]
    np.testing.assert_array_equal(x.grad.numpy(), np.array([[0.0] * 4, [1.0] * 4, [2.0] * 4]))
    a, b, c = x.unbind()
    a.register_hook(lambda g: fngrad.ones(4))
    with pytest.raises(RuntimeError, match="can't replace a None gradient with a non-None value"):
        b.sum().backward()


@requires_torch
def test_hooks_on_unbind_outputs_match_pytorch():
    import torch

    def run(L):
        x = L.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
        outs = x.unbind()
        seen = []
        for i, o in enumerate(outs):
            o.register_hook(lambda g, i=i: seen.append((i, None if g is None else g.tolist())))
        (outs[1] * 3).sum().backward()
        return seen, x.grad.tolist()

    assert run(fngrad) == run(torch)


MULTI_ADVICE = ("This view is the output of a function that returns multiple views. Such functions do not allow "
                "the output views to be modified inplace. You should replace the inplace operation by an "
                "out-of-place one.")


def test_in_place_on_an_output_is_refused_with_pytorchs_wording():
    x = _x()
    z = x * 1
    a, b, c = z.unbind()
    before = z.detach().numpy().copy()
    with pytest.raises(RuntimeError) as e:
        b.add_(1)
    assert str(e.value) == "Output 1 of Unbind is a view and is being modified inplace. " + MULTI_ADVICE
    p, q = z.split([1, 2])
    with pytest.raises(RuntimeError, match="^Output 0 of SplitWithSizes is a view and is being modified inplace"):
        p.mul_(2)
    (p,) = z.chunk(1)
    with pytest.raises(RuntimeError, match="^Output 0 of Split is a view and is being modified inplace"):
        p.zero_()
    # A view of an output inherits the refusal, naming its own node.
    with pytest.raises(RuntimeError, match="^Output 0 of View is a view and is being modified inplace. This view is "
                                           "the output of a function that returns multiple views"):
        a.view(2, 2).add_(1)
    # On an output of a leaf: this refusal, before the leaf's.
    with pytest.raises(RuntimeError, match="^Output 0 of Unbind is a view and is being modified inplace"):
        x.unbind()[0].add_(1)
    # Nothing was written and the graph still works.
    np.testing.assert_array_equal(z.detach().numpy(), before)
    (a.sum() + b.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.array([[1.0] * 4, [1.0] * 4, [0.0] * 4]))


def test_in_place_on_outputs_that_need_no_grad_is_allowed():
    w = fngrad.zeros(3, 4)
    a, b, c = w.unbind()
    a.add_(1)  # nothing requires grad: a plain write through the view
    np.testing.assert_array_equal(w.numpy()[0], np.ones(4))
    x = _x()
    with fngrad.no_grad():
        p, q = x.split([1, 2])
        p.mul_(0.0)  # under no_grad: allowed, as in PyTorch
    np.testing.assert_array_equal(x.detach().numpy()[0], np.zeros(4))
    a, b = (x * 1).split([2, 1])
    a.detach().add_(1)  # detach() is not a differentiable view


def test_outputs_made_under_no_grad_get_the_no_grad_refusal():
    z = _x() * 1
    with fngrad.no_grad():
        a, b, c = z.unbind()
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being modified inplace"):
        a.add_(1)


def test_using_an_output_after_its_base_changed_in_place_is_refused():
    x = _x()
    z = x * 1
    a, b, c = z.unbind()
    z.mul_(2)
    with pytest.raises(RuntimeError) as e:
        a * 2
    assert str(e.value) == ("Output 0 of Unbind is a view and its base or another view of its base has been modified "
                            "inplace. " + MULTI_ADVICE)


@requires_torch
def test_in_place_refusals_match_pytorch():
    import torch

    def attempt(L, op):
        x = L.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
        try:
            op(L, x)
        except RuntimeError as e:
            return str(e).split(". ")[0]
        return "ok"

    ops = [
        lambda L, x: (x * 1).unbind(1)[2].add_(1),
        lambda L, x: (x * 1).split(2)[1].mul_(2),
        lambda L, x: (x * 1).chunk(3)[0].sub_(1),
        lambda L, x: L.split(x * 1, [1, 2])[0].div_(2),
        lambda L, x: x.unbind()[0].add_(1),
        lambda L, x: (x * 1).unbind()[0].view(2, 2).add_(1),
        lambda L, x: L.zeros(3, 4).unbind()[0].add_(1),
    ]
    for op in ops:
        assert attempt(fngrad, op) == attempt(torch, op)


def test_forward_ad_tangents_of_every_output():
    import fngrad.autograd.forward_ad as fwAD

    rng = np.random.default_rng(1)
    p, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for _, fn, node_name, regions in CASES:
        with fwAD.dual_level():
            x = fwAD.make_dual(fngrad.tensor(p), fngrad.tensor(t))
            outs = fn(fngrad, x)
            for o, r in zip(outs, regions):
                tangent = fwAD.unpack_dual(o).tangent
                np.testing.assert_allclose(tangent.numpy(), t[r])
        # and with reverse mode recording at the same time (the node is the outputs' grad_fn)
        with fwAD.dual_level():
            x = fwAD.make_dual(fngrad.tensor(p, requires_grad=True), fngrad.tensor(t))
            outs = fn(fngrad, x)
            assert type(outs[0].grad_fn).__name__ == node_name
            for o, r in zip(outs, regions):
                np.testing.assert_allclose(fwAD.unpack_dual(o).tangent.numpy(), t[r])
