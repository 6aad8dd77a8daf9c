"""F.grid_sample (and torch.grid_sampler_2d/3d) against PyTorch: every mode, padding mode and
align_corners, 4-D and 5-D, values and the gradients of input and grid."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import requires_torch

CASES = [(nd, mode, pad, ac) for nd, mode, pad, ac in itertools.product(
    (2, 3), ("bilinear", "nearest", "bicubic"), ("zeros", "border", "reflection"), (False, True))
    if not (nd == 3 and mode == "bicubic")]


@requires_torch
@pytest.mark.parametrize("nd,mode,padding_mode,align_corners", CASES)
def test_matches_torch(nd, mode, padding_mode, align_corners):
    import torch

    rng = np.random.default_rng(0)
    shape, gshape = ((2, 3, 4, 5), (2, 3, 4, 2)) if nd == 2 else ((2, 2, 3, 4, 5), (2, 2, 3, 2, 3))
    x = rng.standard_normal(shape)
    grid = rng.uniform(-1.6, 1.6, gshape)  # past the border: every padding mode is exercised
    cot = rng.standard_normal(shape[:2] + gshape[1:-1])
    results = []
    for lib, fn in ((torch, torch.nn.functional.grid_sample), (fngrad, F.grid_sample)):
        xt, gt = lib.tensor(x, requires_grad=True), lib.tensor(grid, requires_grad=True)
        out = fn(xt, gt, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        gx, gg = lib.autograd.grad(out, [xt, gt], lib.tensor(cot), allow_unused=True)
        results.append([out.detach().numpy(), gx.numpy(), np.zeros(gshape) if gg is None else gg.numpy()])
    for t, f in zip(*results):
        np.testing.assert_allclose(f, t, atol=1e-10)


@requires_torch
def test_grid_sampler_numbers_match_torch():
    import torch

    rng = np.random.default_rng(1)
    x, grid = rng.standard_normal((1, 2, 3, 4)), rng.uniform(-1.2, 1.2, (1, 2, 2, 2))
    for interp, pad in itertools.product(range(3), range(3)):
        t = torch.grid_sampler_2d(torch.tensor(x), torch.tensor(grid), interp, pad, False)
        f = fngrad.grid_sampler_2d(fngrad.tensor(x), fngrad.tensor(grid), interp, pad, False)
        np.testing.assert_allclose(f.numpy(), t.numpy(), atol=1e-12)


def test_gradgradcheck_bilinear():
    rng = np.random.default_rng(2)
    x = fngrad.tensor(rng.standard_normal((1, 1, 3, 3)), requires_grad=True)
    g = fngrad.tensor(rng.uniform(-0.9, 0.9, (1, 2, 2, 2)), requires_grad=True)
    assert fngrad.autograd.gradgradcheck(lambda a, b: F.grid_sample(a, b, align_corners=True), (x, g))
