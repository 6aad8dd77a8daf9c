"""Shared test helpers: optional PyTorch (the oracle), seeding, finite differences, a minimal custom Function."""

import importlib.util

import numpy as np
import pytest

import fngrad

HAS_TORCH = importlib.util.find_spec("torch") is not None
requires_torch = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (it is only a test oracle)")


@pytest.fixture(autouse=True)
def _seed_and_grad_mode():
    fngrad.manual_seed(0)
    np.random.seed(0)
    yield
    # A failing test must not leave grad mode off for the next one.
    fngrad.set_grad_enabled(True)


def numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar function f at x (float64)."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        hi = f(x)
        x[i] = old - eps
        lo = f(x)
        x[i] = old
        g[i] = (hi - lo) / (2 * eps)
    return g


class Double(fngrad.autograd.Function):
    """2 x with backward 2 g: the smallest custom Function, for tests about Functions in general."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2
