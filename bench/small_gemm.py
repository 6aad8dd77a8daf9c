"""The matrix products of a small MLP's training step, fngrad beside PyTorch (issue 13).

For each Linear(k, n) layer at batch m the step takes three products, in the layouts F.linear and
its backward give them:

- ``fwd``: y = x @ W^T  (x contiguous (m, k), W contiguous (n, k): b is a transposed view);
- ``dX``:  g @ W       (g contiguous (m, n), W contiguous (n, k));
- ``dW``:  g^T @ x     (g^T a transposed view of contiguous (m, n), x contiguous (m, k)).

Shapes: the 64-128-128-10 MLP at batch 32 (``--shapes small``, the default); ``mid``, products
around the size where fngrad's small-matrix kernel hands over to OpenBLAS (Note [Small GEMM]);
``edge``, thin products (matrix-vector shapes, small m or n) on either side of its limits; and the
784-512-512-10 MLP at batch 128 (``large``). The ``numpy`` column is NumPy's matmul, i.e. the
OpenBLAS fngrad calls otherwise, plus NumPy's ~3 us of call overhead: fngrad's column against it
shows which of the two a shape should go to. Each round times ``--calls`` calls of ``mm`` per case
and library (libraries interleaved); each line gives min / median / max over ``--rounds`` rounds
in microseconds per call.
``--threads`` sets both libraries' threads (fngrad.set_num_threads also sets its OpenBLAS's);
``--threads 0`` leaves each library's default (then use ``--clock wall``). ``--clock cpu`` (the
default) times the main thread's CPU time: on a loaded shared machine wall-clock figures swing by
several times.

    python bench/small_gemm.py [--rounds 15] [--calls 200] [--threads 1] [--shapes small,mid,edge,large]
                               [--dtype float32] [--clock cpu]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import statistics
import time

import numpy as np

import fngrad

SHAPES = {"small": [(32, 64, 128), (32, 128, 128), (32, 128, 10)],
          "mid": [(64, 64, 64), (96, 96, 96), (128, 128, 128), (160, 160, 160), (192, 192, 192), (256, 256, 256),
                  (32, 1024, 64), (64, 2048, 128), (2048, 2048, 4), (1024, 16, 1024), (8, 2048, 1024)],
          "edge": [(4, 2048, 256), (256, 2048, 4), (2048, 4, 256), (512, 512, 8), (8, 512, 512), (512, 8, 512),
                   (2048, 1024, 1), (1, 1024, 2048),
                   (1, 2048, 128), (2048, 128, 1), (1, 256, 1024), (4, 256, 256), (16, 512, 256), (256, 512, 16),
                   (1, 2048, 32), (2048, 32, 1), (64, 1024, 1), (1, 1024, 64), (8, 64, 128)],
          "large": [(128, 784, 512), (128, 512, 512), (128, 512, 10)]}


def operands(lib, m, k, n, dtype, rng):
    """{product name: (a, b)} for Linear(k, n) at batch m, as views in the layouts of the step."""
    x = lib.from_numpy(rng.standard_normal((m, k)).astype(dtype))
    w = lib.from_numpy(rng.standard_normal((n, k)).astype(dtype))
    g = lib.from_numpy(rng.standard_normal((m, n)).astype(dtype))
    return {"fwd": (x, w.T), "dX": (g, w), "dW": (g.T, x)}


class _NumPy:
    """NumPy's matmul over arrays, with the from_numpy/mm names the cases use."""

    from_numpy = staticmethod(lambda a: a)
    mm = staticmethod(np.matmul)


def time_calls(mm, a, b, calls, clock):
    gc_was = gc.isenabled()
    gc.disable()
    try:
        t0 = clock()
        for _ in range(calls):
            mm(a, b)
        return (clock() - t0) / calls
    finally:
        if gc_was:
            gc.enable()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1, help="threads for both libraries; 0: each library's default")
    ap.add_argument("--shapes", default="small")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="cpu",
                    help="cpu (default): the main thread's CPU time, which leaves out the time other processes "
                    "held the core (one thread only); wall: time.perf_counter")
    args = ap.parse_args()
    if args.clock == "cpu" and args.threads != 1:
        ap.error("--clock cpu counts the main thread only: use it with --threads 1")
    clock = time.thread_time if args.clock == "cpu" else time.perf_counter

    libs = {"fngrad": fngrad, "numpy": _NumPy}
    if importlib.util.find_spec("torch") is not None:
        import torch

        libs["torch"] = torch
    if args.threads:
        for lib in libs.values():
            if lib is not _NumPy:  # fngrad's setting is its OpenBLAS's, which NumPy's matmul uses
                lib.set_num_threads(args.threads)
    print(f"# threads: fngrad {fngrad.get_num_threads()} (its BLAS: {fngrad._C._blas_info()['num_threads']})"
          + (f", torch {libs['torch'].get_num_threads()}" if "torch" in libs else "")
          + f"; {args.dtype}; us ({args.clock} clock) per call, min / median / max over {args.rounds} rounds"
          + f" of {args.calls} calls")
    header = f"{'product':24s}" + "".join(f"{n:>27s}" for n in libs) + ("  torch/fngrad" if "torch" in libs else "")
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(0)
    for group in args.shapes.split(","):
        for m, k, n in SHAPES[group]:
            ops = {name: operands(lib, m, k, n, args.dtype, rng) for name, lib in libs.items()}
            for product in ("fwd", "dX", "dW"):
                a_shape = tuple(ops["fngrad"][product][0].shape)
                b_shape = tuple(ops["fngrad"][product][1].shape)
                samples = {name: [] for name in libs}
                for r in range(args.rounds + 1):
                    for name, lib in libs.items():
                        dt = time_calls(lib.mm, *ops[name][product], args.calls, clock)
                        if r:  # the first round warms up
                            samples[name].append(dt * 1e6)
                label = f"{product} {a_shape[0]}x{a_shape[1]}@{b_shape[0]}x{b_shape[1]}"
                row = f"{label:24s}"
                for name in libs:
                    v = samples[name]
                    row += f"{min(v):8.1f} /{statistics.median(v):8.1f} /{max(v):8.1f}"
                if "torch" in libs:
                    row += f"{statistics.median(samples['torch']) / statistics.median(samples['fngrad']):12.2f}x"
                print(row, flush=True)


if __name__ == "__main__":
    main()
