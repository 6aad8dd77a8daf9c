"""A Jacobian-vector product of a chain of N elementwise ops (default 10,000): fngrad's forward mode
(fngrad.autograd.forward_ad), fngrad's double-vjp trick (reverse mode twice, as
autograd.functional.jvp), and PyTorch's forward mode, interleaved round by round.

    python bench/forward_ad.py [--ops 10000] [--rounds 7] [--size 16]

Also times the same chain with no dual level (fngrad) to show what forward AD's support costs an
ordinary forward pass: nothing measurable is expected (one global read per op).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time

import numpy as np


def chain(x, n):
    # Cycles through four ops that keep values bounded: sin, mul by 0.9, add 0.1, tanh.
    for _ in range(n // 4):
        x = (x.sin() * 0.9 + 0.1).tanh()
    return x


def forward_mode(lib, n, x0, v):
    fwAD = importlib.import_module(lib.__name__ + ".autograd.forward_ad")
    with fwAD.dual_level():
        y = chain(fwAD.make_dual(x0, v), n)
        return fwAD.unpack_dual(y).tangent


def double_vjp(lib, n, x0, v):
    x = x0.detach().requires_grad_()
    y = chain(x, n)
    u = lib.zeros_like(y).requires_grad_()
    (g,) = lib.autograd.grad(y, x, u, create_graph=True)
    (jv,) = lib.autograd.grad(g, u, v)
    return jv


def plain(lib, n, x0, v):
    return chain(x0, n)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ops", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--size", type=int, default=16)
    args = p.parse_args(argv)

    import fngrad

    rng = np.random.default_rng(0)
    x_np, v_np = rng.standard_normal(args.size), rng.standard_normal(args.size)
    cases = {
        "fngrad forward mode": (forward_mode, fngrad),
        "fngrad double-vjp": (double_vjp, fngrad),
        "fngrad plain forward (no level)": (plain, fngrad),
    }
    try:
        import torch
        cases["torch forward mode"] = (forward_mode, torch)
        cases["torch plain forward"] = (plain, torch)
    except ImportError:
        torch = None
    inputs = {lib: (lib.tensor(x_np), lib.tensor(v_np)) for lib in {c[1] for c in cases.values()}}

    # Same answer from every JVP case first.
    ref = forward_mode(fngrad, args.ops, *inputs[fngrad]).numpy()
    np.testing.assert_allclose(double_vjp(fngrad, args.ops, *inputs[fngrad]).numpy(), ref, rtol=1e-4, atol=1e-6)
    if torch is not None:
        np.testing.assert_allclose(forward_mode(torch, args.ops, *inputs[torch]).numpy(), ref, rtol=1e-4, atol=1e-6)

    times = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, (fn, lib) in cases.items():
            t0 = time.perf_counter()
            fn(lib, args.ops, *inputs[lib])
            times[name].append((time.perf_counter() - t0) * 1e6 / args.ops)

    base = statistics.median(times["fngrad forward mode"])
    print(f"JVP of a {args.ops}-op chain on {args.size} float32 elements, {args.rounds} rounds, us per op")
    print(f"{'case':34s} {'min':>8s} {'median':>8s} {'max':>8s} {'median / fngrad fwd':>20s}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:34s} {min(ts):8.2f} {med:8.2f} {max(ts):8.2f} {med / base:20.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
