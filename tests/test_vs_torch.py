"""The same scenarios through fngrad and PyTorch: results and error types must agree.

Skipped when PyTorch is not installed (it is a test oracle only; .ci/run installs it).
"""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

pytestmark = requires_torch


@pytest.fixture(scope="module")
def torch():
    import torch

    return torch


def myrelu_class(lib):
    class MyReLU(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    return MyReLU


def scenario(lib, a, b):
    """A small graph mixing native ops, a custom Function, broadcasting, indexing and fan-in."""
    MyReLU = myrelu_class(lib)
    x = lib.tensor(a, requires_grad=True)
    w = lib.tensor(b, requires_grad=True)
    h = MyReLU.apply(x * w - 0.5)
    h2 = (h * h + h / 2).clamp(-1.0, 3.0)
    out = h2[1:].sum() + (h2[h2 > 0.1] * 3).sum() + x.relu().sum()
    out.backward()
    return out.item(), x.grad.numpy(), w.grad.numpy()


@pytest.mark.parametrize("seed", range(10))
def test_gradients_match_pytorch(torch, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    ours = scenario(fngrad, a, b)
    theirs = scenario(torch, a, b)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_seed_examples_match_pytorch(torch, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((2, 3)).astype(np.float32)
    results = []
    for lib in (fngrad, torch):
        x = lib.tensor(a, requires_grad=True)
        myrelu_class(lib).apply(x).sum().backward()
        results.append(x.grad.numpy())
    np.testing.assert_array_equal(results[0], results[1])


def error_cases(lib):
    Function = lib.autograd.Function

    def fn(backward):
        return type("F", (Function,), {"forward": staticmethod(lambda ctx, x: x * 2), "backward": staticmethod(backward)})

    def save_bad(ctx, x):
        ctx.save_for_backward(x, 3)
        return x * 2

    SaveBad = type("S", (Function,), {"forward": staticmethod(save_bad), "backward": staticmethod(lambda ctx, g: g)})

    def raising(ctx, g):
        raise TypeError("boom")

    x = lambda: lib.ones(3, requires_grad=True)  # noqa: E731
    return {
        "non_scalar": lambda: (x() * 2).backward(),
        "no_grad": lambda: lib.ones(3).sum().backward(),
        "too_many": lambda: fn(lambda ctx, g: (g, g)).apply(x()).sum().backward(),
        "shape": lambda: fn(lambda ctx, g: lib.ones(5)).apply(x()).sum().backward(),
        "non_tensor": lambda: fn(lambda ctx, g: "abc").apply(x()).sum().backward(),
        "save_bad": lambda: SaveBad.apply(x()),
        "user_type_error": lambda: fn(raising).apply(x()).sum().backward(),
        "leaf_inplace": lambda: x().add_(1),
        "twice": lambda: [y.backward() for y in [(x().relu()).sum()] * 2],
        "broadcast": lambda: lib.ones(3) + lib.ones(4),
        "index": lambda: lib.ones(2, 3)[5],
        "ragged": lambda: lib.tensor([[1, 2], [3]]),
        "item": lambda: lib.ones(3).item(),
    }


def outcome(case):
    try:
        case()
    except Exception as e:  # noqa: BLE001
        return type(e)
    return None


def test_error_types_match_pytorch(torch):
    ours, theirs = error_cases(fngrad), error_cases(torch)
    mismatches = {}
    for name in ours:
        got, want = outcome(ours[name]), outcome(theirs[name])
        # PyTorch turns an exception raised in a user's backward into RuntimeError (pytorch#46088);
        # fngrad keeps the user's own type on purpose.
        if name == "user_type_error":
            assert want is RuntimeError or want is TypeError
            assert got is TypeError
            continue
        if got is not want:
            mismatches[name] = (got, want)
    assert mismatches == {}
