"""The op families beside PyTorch: sort, topk, kthvalue, median, gather, scatter_add, cumsum and
index_add on 2^20 float32 elements (a 1024 x 1024 matrix, along dim 1; index_add along dim 0), layer_norm over its
rows, an embedding lookup of 1024 rows with repeats (its backward scatters into the table), and a
3x3 conv2d of 64 channels over the same 2^20 elements as a (16, 64, 32, 32) batch; forward and
backward.

fngrad and PyTorch alternate repeat by repeat (interleaved, so that load from other tenants hits
both), with the same number of threads: each repeat pauses 50 ms, then times a burst of 5
back-to-back calls of one library and keeps the burst's median. Each figure is ms per call: median
(min-max) over the repeats; the ratio is PyTorch's median / fngrad's (above 1: fngrad is faster).
The backward is timed alone: the forward that builds its graph runs untimed before each call.

    python bench/families_index.py            # 7 repeats
    python bench/families_index.py --quick    # tiny sizes, 2 repeats (to prove it runs)
    python bench/families_index.py --threads 1  # both libraries on one thread (steadier on a loaded machine)
"""

from __future__ import annotations

import argparse
import gc
import pathlib
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _timing import machine_info  # noqa: E402

import fngrad  # noqa: E402


def cases(n):
    """name -> function(lib, x, extra) returning the output; extra holds the index tensors."""
    return {
        "sort": lambda L, x, e: L.sort(x, dim=1).values,
        "topk16": lambda L, x, e: L.topk(x, 16, dim=1).values,
        "kthvalue512": lambda L, x, e: L.kthvalue(x, min(512, n), dim=1).values,
        "median": lambda L, x, e: L.median(x, dim=1).values,
        "gather": lambda L, x, e: L.gather(x, 1, e["idx"]),
        "scatter_add": lambda L, x, e: L.scatter_add(x, 1, e["idx"], e["src"]),
        "cumsum": lambda L, x, e: L.cumsum(x, 1),
        "index_add": lambda L, x, e: L.index_add(x, 0, e["rows"], e["src"]),
        "layer_norm": lambda L, x, e: L.nn.functional.layer_norm(x, (n,)),
        "embedding": lambda L, x, e: L.nn.functional.embedding(e["idx"][0], x),
        "conv2d": lambda L, x, e: L.nn.functional.conv2d(x.reshape(-1, e["weight"].shape[1], 32, 32), e["weight"],
                                                         padding=1),
    }


def inputs(lib, a, idx, src, rows, weight):
    if lib is fngrad:
        t = lambda v, **k: fngrad.from_numpy(v).requires_grad_(k.get("grad", False))  # noqa: E731
    else:
        import torch

        t = lambda v, **k: torch.from_numpy(v).requires_grad_(k.get("grad", False))  # noqa: E731
    # Every input is a fresh copy that only its tensor holds (as torch.tensor(v) makes): a tensor over a
    # NumPy array that the caller still holds costs fngrad a checksum of its bytes each time a graph
    # saves it (docs/architecture.md, "Decision: NumPy writes to saved memory"), which is measured
    # apart (bench/README.md).
    return t(a.copy(), grad=True), {"idx": t(idx.copy()), "src": t(src.copy(), grad=True), "rows": t(rows.copy()),
                                    "weight": t(weight.copy(), grad=True)}


BURST = 5  # back-to-back calls per library per repeat
PAUSE = 0.05  # seconds before each burst


def timed(fn):
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    finally:
        gc.enable()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--only", default="")
    parser.add_argument("--threads", type=int, default=None, help="threads for both libraries (default: fngrad's)")
    args = parser.parse_args()
    import torch

    if args.threads:
        fngrad.set_num_threads(args.threads)

    side = 64 if args.quick else 1024
    repeats = args.repeats or (2 if args.quick else 7)
    torch.set_num_threads(fngrad.get_num_threads())
    rng = np.random.default_rng(0)
    a = rng.standard_normal((side, side)).astype(np.float32)
    idx = rng.integers(0, side, (side, side))
    src = rng.standard_normal((side, side)).astype(np.float32)
    rows = rng.permutation(side)
    grad = rng.standard_normal((side, side)).astype(np.float32)
    channels = 64 if side * side >= 2**20 else 4  # the conv2d case: (side^2 / (channels * 1024), channels, 32, 32)
    weight = (rng.standard_normal((channels, channels, 3, 3)) / 24).astype(np.float32)
    info = machine_info()
    print(f"# fngrad {fngrad.__version__}, numpy {np.__version__}, torch {torch.__version__}; "
          f"python={info['python']}, cpus={info['cpus']}; threads={torch.get_num_threads()}")
    print(f"# {side}x{side} float32 = 2^{int(np.log2(side * side))} elements; ms per call, median (min-max) "
          f"of {repeats} interleaved repeats; ratio = torch / fngrad (>1: fngrad faster)")
    print(f"{'case':<22}{'fngrad ms':>26}{'torch ms':>26}{'ratio':>8}")
    only = set(filter(None, args.only.split(",")))
    for name, fn in cases(side).items():
        if only and name not in only:
            continue
        for phase in ("fwd", "bwd"):
            times = {fngrad: [], torch: []}
            for rep in range(repeats + 1):
                for lib in (fngrad, torch):
                    x, extra = inputs(lib, a, idx, src, rows, weight)
                    # A burst of back-to-back calls of one library, its median kept: the steady state
                    # of a training loop. One call alone, right after the other library's, measures
                    # the other library too: PyTorch's OpenMP threads keep spinning for a while after
                    # its call returns and take the second core from the next fngrad call (fngrad's
                    # pool stops polling after 200 us, so the reverse is milder; bench/README.md).
                    # The pause lets the other library's threads go idle first.
                    time.sleep(PAUSE)
                    burst = []
                    for _ in range(BURST):
                        if phase == "fwd":
                            with lib.no_grad():
                                burst.append(timed(lambda: fn(lib, x, extra)))
                        else:
                            out = fn(lib, x, extra)
                            g = lib.from_numpy(grad.reshape(-1)[:out.numel()].reshape(tuple(out.shape)).copy())
                            burst.append(timed(lambda: out.backward(g)))
                            x.grad = None
                            for v in extra.values():
                                v.grad = None
                    dt = statistics.median(burst)
                    if rep:  # the first round warms up
                        times[lib].append(dt * 1e3)
            f, t = times[fngrad], times[torch]
            fmt = lambda v: f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})"  # noqa: E731
            ratio = statistics.median(t) / statistics.median(f)
            print(f"{name + '_' + phase:<22}{fmt(f):>26}{fmt(t):>26}{ratio:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
