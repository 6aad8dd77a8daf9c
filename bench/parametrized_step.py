"""One training step (forward, backward, SGD) of a small GAN-discriminator MLP (64-128-128-1,
LeakyReLU) whose Linear weights are parametrized: plain, ``parametrizations.spectral_norm``,
``parametrizations.weight_norm`` and ``parametrizations.orthogonal`` on the square layer. fngrad
beside PyTorch, rounds interleaved; figures are min/median/max microseconds per step, and the ratio
is PyTorch's median over fngrad's (above 1: fngrad is faster).

    python bench/parametrized_step.py [--rounds 5] [--steps 50] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import measure  # noqa: E402

import fngrad  # noqa: E402

X = np.random.default_rng(0).standard_normal((32, 64)).astype(np.float32)


def make(lib, kind):
    nn = lib.nn
    layers = [nn.Linear(64, 128), nn.Linear(128, 128), nn.Linear(128, 1)]
    P = nn.utils.parametrizations
    if kind == "spectral_norm":
        layers = [P.spectral_norm(m) for m in layers]
    elif kind == "weight_norm":
        layers = [P.weight_norm(m) for m in layers]
    elif kind == "orthogonal":
        layers[1] = P.orthogonal(layers[1])
    model = nn.Sequential(layers[0], nn.LeakyReLU(0.2), layers[1], nn.LeakyReLU(0.2), layers[2])
    opt = lib.optim.SGD(model.parameters(), lr=1e-3)
    x = lib.tensor(X)

    def step():
        opt.zero_grad()
        model(x).mean().backward()
        opt.step()

    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1, help="PyTorch's intra-op threads (small ops: 1 avoids "
                                                           "oversubscription on a shared machine)")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    for kind in ("plain", "spectral_norm", "weight_norm", "orthogonal"):
        steps = {"fngrad": make(fngrad, kind), "torch": make(torch, kind)}
        times = {"fngrad": [], "torch": []}
        for _ in range(args.rounds):
            for lib, step in steps.items():
                times[lib] += [t * 1e6 for t in measure(step, args.steps, warmup=3)]
        med = {lib: statistics.median(v) for lib, v in times.items()}
        cells = "  ".join(f"{lib} {min(v):8.1f} / {med[lib]:8.1f} / {max(v):8.1f}" for lib, v in times.items())
        print(f"{kind:14s} us/step min/median/max  {cells}  ratio torch/fngrad {med['torch'] / med['fngrad']:.2f}")


if __name__ == "__main__":
    main()
