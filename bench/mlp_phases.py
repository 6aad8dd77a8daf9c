"""Where the MLP training step's time goes, phase by phase, in fngrad and PyTorch.

The step of `throughput.py`'s MLP case (784-512-512-10, batch 128), with `F.linear` written as
matmul + add so that the products can be timed apart, and tensor hooks marking when each
intermediate's gradient is ready in backward. The libraries' rounds are interleaved; each figure is
the median (min-max) over all steps of all rounds, in microseconds.

    python bench/mlp_phases.py [--rounds 40] [--steps 8]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import throughput  # noqa: E402

import fngrad  # noqa: E402

BATCH = 128


def make_step(lib):
    F = importlib.import_module(lib.__name__ + ".nn.functional")
    X, Y, Ws, bs = throughput.mlp_data(BATCH, 8)
    W = [lib.tensor(w, requires_grad=True) for w in Ws]
    b = [lib.tensor(x, requires_grad=True) for x in bs]
    xs = [lib.from_numpy(X[i * BATCH:(i + 1) * BATCH]) for i in range(8)]
    ys = [lib.from_numpy(Y[i * BATCH:(i + 1) * BATCH]) for i in range(8)]
    now = time.perf_counter

    def step(i):
        """One step; returns {phase: seconds}."""
        marks = []

        def mark(name):
            def hook(grad):
                marks.append((name, now()))
            return hook

        t = {}
        t0 = now()
        h = xs[i % 8]
        for k in range(3):
            a = now()
            m = h.matmul(W[k].t())
            t[f"fwd product {k}"] = now() - a
            a = now()
            h = m + b[k]
            t[f"fwd bias {k}"] = now() - a
            m.register_hook(mark(f"bwd to product {k} output"))
            h.register_hook(mark(f"bwd to bias-add {k} output"))
            if k < 2:
                a = now()
                h = h.relu()
                t[f"fwd relu {k}"] = now() - a
                h.register_hook(mark(f"bwd to relu {k} output"))
        a = now()
        loss = F.cross_entropy(h, ys[i % 8])
        t["fwd cross_entropy"] = now() - a
        t["forward (with the hooks' registration)"] = now() - t0
        a = now()
        loss.backward()
        end = now()
        t["backward"] = end - a
        prev = a
        for name, at in marks:  # each segment ends when that tensor's gradient is ready
            t[name] = at - prev
            prev = at
        t["bwd rest (first layer weight product)"] = end - prev
        a = now()
        with lib.no_grad():
            for p in W + b:
                p -= 0.01 * p.grad
                p.grad = None
        t["update"] = now() - a
        t["step"] = now() - t0
        return t

    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--steps", type=int, default=8)
    args = ap.parse_args()
    libs = [fngrad]
    if throughput.have("torch"):
        import torch

        torch.set_num_threads(throughput.THREADS)
        libs.append(torch)
    fngrad.set_num_threads(throughput.THREADS)
    steps = {lib.__name__: make_step(lib) for lib in libs}
    samples = {name: [] for name in steps}
    for r in range(args.rounds + 1):
        for name, step in steps.items():
            time.sleep(0.15)  # let the previous library's BLAS threads stop spinning
            for i in range(args.steps):
                t = step(i)
                if r:  # the first round warms up
                    samples[name].append(t)
    names = list(samples)
    print(f"# medians (min-max) in us over {args.rounds} rounds of {args.steps} steps, batch {BATCH}")
    head = f"{'phase':34s}" + "".join(f"{n:>26s}" for n in names) + ("   fngrad/torch" if len(names) > 1 else "")
    print(head)
    print("-" * len(head))
    for phase in samples["fngrad"][0]:
        row = f"{phase:34s}"
        med = {}
        for n in names:
            v = np.array([s[phase] for s in samples[n]]) * 1e6
            med[n] = np.median(v)
            row += f"{f'{med[n]:.0f} ({v.min():.0f}-{v.max():.0f})':>26s}"
        if len(names) > 1 and med["torch"] > 0:
            row += f"{med['fngrad'] / med['torch']:15.3f}"
        print(row)


if __name__ == "__main__":
    main()
