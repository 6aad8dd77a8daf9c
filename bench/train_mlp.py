"""Training steps written with nn.Module + optim as PyTorch users write them, fngrad beside PyTorch.

Each timed step is a whole training step: ``opt.zero_grad()``, forward, loss, ``backward()``,
``opt.step()``. Cases:

- ``small_mlp_adam``: 64-128-128-10 MLP, batch 32, Adam (target: fngrad at least 5x PyTorch), and
  ``small_mlp_adam_plain``: the same with plain tensors and ``F.*`` (what nn + optim add to a step);
- ``large_mlp_sgd``: 784-512-512-10 MLP, batch 128, SGD (target: at least 1.0x PyTorch), and
  ``large_mlp_sgd_plain``: the same model written with plain tensors and ``F.*`` (no Module) and the
  same ``optim.SGD`` (target: the nn version within 5% of it);
- ``digits_cnn_adam``: Conv2d(1,16,3)-ReLU-MaxPool2d-Conv2d(16,32,3)-ReLU-MaxPool2d-Linear(128,10)
  on 8x8 images, batch 64, Adam.

The small MLP and the CNN are followed by where their step's time goes (each layer's forward, the
loss, backward, the optimizer step).

The same thread count for both (``--threads``, default 1): ``fngrad.set_num_threads(n)`` sets
fngrad's pool and the threads of the OpenBLAS under its matrix products (NumPy's, called directly;
the header prints the count that library reports), ``torch.set_num_threads(n)`` PyTorch's intra-op
threads, its BLAS included. The libraries alternate round by round; a round's figure is the mean
step time over ``--steps`` steps, and each line gives the min, median and max over ``--rounds``
rounds in microseconds; "speedup" is PyTorch's median over fngrad's. ``--clock cpu`` times the
main thread's CPU time (``time.thread_time``) instead of wall time: with one thread each, all of a
step's work runs on that thread, and the figure does not count the time other processes held the
core (on a loaded shared machine wall-clock rounds swing by 2x).

    python bench/train_mlp.py [--rounds 15] [--steps 20] [--cases small,large,cnn] [--threads 1] [--clock wall]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import machine_info  # noqa: E402

import fngrad  # noqa: E402

N_BATCHES = 4  # distinct batches cycled through, the same numbers for both libraries


def batches(shape, classes, seed):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape).astype(np.float32), rng.integers(0, classes, shape[0]).astype(np.int64))
            for _ in range(N_BATCHES)]


def _as(like, src):
    """src's values as a tensor of like's library."""
    arr = np.ascontiguousarray(src.detach().numpy())
    if type(like).__module__.startswith("torch"):
        import torch

        return torch.from_numpy(arr)
    return fngrad.from_numpy(arr)


def mlp(lib, sizes):
    nn = lib.nn
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))


def module_step(lib, model, opt, data):
    """A PyTorch-style training step over the model's batches; returns step(i)."""
    loss_fn = lib.nn.CrossEntropyLoss()
    xs = [(lib.from_numpy(x), lib.from_numpy(y)) for x, y in data]

    def step(i):
        x, y = xs[i % N_BATCHES]
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def plain_mlp_step(lib, params, opt, data):
    """The same MLP with plain tensors and F.* (no Module), updated by the same optimizer."""
    F = lib.nn.functional
    xs = [(lib.from_numpy(x), lib.from_numpy(y)) for x, y in data]
    n = len(params) // 2

    def step(i):
        x, y = xs[i % N_BATCHES]
        opt.zero_grad()
        h = x
        for k in range(n):
            h = F.linear(h, params[2 * k], params[2 * k + 1])
            if k < n - 1:
                h = F.relu(h)
        loss = F.cross_entropy(h, y)
        loss.backward()
        opt.step()
        return loss

    return step


def build(case, lib, reference=None):
    """(step function, model) for one case in one library; parameters copied from ``reference``."""
    if case in ("small_mlp_adam", "small_mlp_adam_plain"):
        model = mlp(lib, [64, 128, 128, 10])
        data = batches((32, 64), 10, 1)
    elif case in ("large_mlp_sgd", "large_mlp_sgd_plain"):
        model = mlp(lib, [784, 512, 512, 10])
        data = batches((128, 784), 10, 2)
    else:
        model = cnn(lib)
        data = [(x.reshape(64, 1, 8, 8), y) for x, y in batches((64, 64), 10, 3)]
    if reference is not None:
        with lib.no_grad():
            for p, r in zip(model.parameters(), reference.parameters()):
                p.copy_(_as(p, r))
    if case.endswith("_plain"):
        params = [p.detach().clone().requires_grad_(True) for p in model.parameters()]
        opt = lib.optim.SGD(params, lr=0.01) if "sgd" in case else lib.optim.Adam(params, lr=1e-3)
        return plain_mlp_step(lib, params, opt, data), model
    if case == "large_mlp_sgd":
        opt = lib.optim.SGD(model.parameters(), lr=0.01)
    else:
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    return module_step(lib, model, opt, data), model


def time_steps(step, steps, offset, clock=time.perf_counter):
    gc_was = gc.isenabled()
    gc.disable()
    try:
        t0 = clock()
        for i in range(steps):
            step(offset + i)
        return (clock() - t0) / steps
    finally:
        if gc_was:
            gc.enable()


def where_time_goes(lib, model, data, steps, clock=time.perf_counter):
    """Median microseconds per phase of a step: zero_grad, each layer's forward, loss, backward, step."""
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = lib.nn.CrossEntropyLoss()
    data = [(lib.from_numpy(x), lib.from_numpy(y)) for x, y in data]
    phases = {}
    now = clock
    for i in range(steps + 2):
        x, y = data[i % N_BATCHES]
        t = {}
        a = now()
        opt.zero_grad()
        t["zero_grad"] = now() - a
        h = x
        for k, layer in enumerate(model):
            a = now()
            h = layer(h)
            t[f"fwd {k} {type(layer).__name__}"] = now() - a
        a = now()
        loss = loss_fn(h, y)
        t["fwd loss"] = now() - a
        a = now()
        loss.backward()
        t["backward"] = now() - a
        a = now()
        opt.step()
        t["optimizer step"] = now() - a
        if i >= 2:
            for k, v in t.items():
                phases.setdefault(k, []).append(v * 1e6)
    return {k: statistics.median(v) for k, v in phases.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--steps", type=int, default=20, help="steps per round (a quarter of it for the large cases)")
    ap.add_argument("--cases", default="small,large,cnn")
    ap.add_argument("--threads", type=int, default=1, help="threads for both libraries")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall: time.perf_counter; cpu: the main thread's CPU time (one thread only)")
    args = ap.parse_args()
    if args.clock == "cpu" and args.threads != 1:
        ap.error("--clock cpu counts the main thread only: use it with --threads 1")
    clock = time.perf_counter if args.clock == "wall" else time.thread_time

    fngrad.set_num_threads(args.threads)
    libs = {"fngrad": fngrad}
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(args.threads)
        libs["torch"] = torch
    groups = {"small": ["small_mlp_adam", "small_mlp_adam_plain"], "large": ["large_mlp_sgd", "large_mlp_sgd_plain"],
              "cnn": ["digits_cnn_adam"]}
    chosen = [g for g in groups if g in args.cases.split(",")]

    info = machine_info()
    print(f"# {', '.join(f'{k}={v}' for k, v in info.items())}; fngrad {fngrad.__version__}"
          + (f", torch {libs['torch'].__version__}" if "torch" in libs else ", torch not installed")
          + f"; threads: fngrad {fngrad.get_num_threads()} (its BLAS: {fngrad._C._blas_info()['num_threads']})"
          + (f", torch {libs['torch'].get_num_threads()}" if "torch" in libs else ""))
    print(f"# microseconds ({args.clock} clock) per training step: min / median / max over {args.rounds} rounds "
          "(the cases of a group and both libraries alternate within each round)")
    header = f"{'case':22s}" + "".join(f"{n:>28s}" for n in libs) + ("     speedup" if "torch" in libs else "")
    print(header)
    print("-" * len(header))
    medians = {}
    for group in chosen:
        steps_fns = {}
        for case in groups[group]:
            fn_step, fn_model = build(case, fngrad)
            steps_fns[(case, "fngrad")] = fn_step
            if "torch" in libs:
                steps_fns[(case, "torch")], _ = build(case, libs["torch"], reference=fn_model)
        n = args.steps if group == "small" else max(2, args.steps // 4)
        samples = {key: [] for key in steps_fns}
        for r in range(args.rounds + 1):
            for key, step in steps_fns.items():
                dt = time_steps(step, n, r * n, clock)
                if r:  # the first round warms up
                    samples[key].append(dt * 1e6)
        for case in groups[group]:
            row = f"{case:22s}"
            for name in libs:
                v = samples[(case, name)]
                medians[(case, name)] = statistics.median(v)
                row += f"{min(v):8.0f} /{statistics.median(v):8.0f} /{max(v):8.0f}"
            if "torch" in libs:
                row += f"{medians[(case, 'torch')] / medians[(case, 'fngrad')]:11.2f}x"
            print(row, flush=True)
    for size in ("small_mlp_adam", "large_mlp_sgd"):
        if (size, "fngrad") in medians and (size + "_plain", "fngrad") in medians:
            over = medians[(size, "fngrad")] / medians[(size + "_plain", "fngrad")] - 1
            print(f"# fngrad {size} through nn vs plain tensors + F.*: {over * 100:+.1f}% (median)")
    breakdowns = {"small": ("small MLP", lambda lib: mlp(lib, [64, 128, 128, 10]), batches((32, 64), 10, 1)),
                  "cnn": ("digits CNN", cnn, [(x.reshape(64, 1, 8, 8), y) for x, y in batches((64, 64), 10, 3)])}
    for group in chosen:
        if group not in breakdowns:
            continue
        title, make, data = breakdowns[group]
        print(f"# {title}, where a step's time goes (median us, {args.clock} clock, over the steps of one run):")
        phases = {name: where_time_goes(lib, make(lib), data, max(10, args.steps), clock) for name, lib in libs.items()}
        print(f"  {'phase':24s}" + "".join(f"{name:>10s}" for name in libs))
        for phase in phases["fngrad"]:
            print(f"  {phase:24s}" + "".join(f"{phases[name][phase]:10.0f}" for name in libs))


if __name__ == "__main__":
    main()
