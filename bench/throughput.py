"""fngrad's main benchmark: per-node overhead of custom Functions and native ops, and kernel bandwidth.

Every case runs fngrad beside NumPy (a hand-written forward and backward with no autograd: the
floor) and beside PyTorch when it is installed, in the same process, with the same number of
threads. Each figure is the median of several repeats, with min and max, and the table gives
fngrad's ratio to PyTorch and to NumPy.

    python bench/throughput.py            # default run (about a minute)
    python bench/throughput.py --quick    # proves the suite runs (seconds); CI uses this
    python bench/throughput.py --full     # more repeats
    python bench/throughput.py --json out.jsonl   # also append JSON lines

Units: us/node is microseconds per forward apply or per backward node (lower is better);
GB/s counts the bytes each kernel reads and writes (higher is better).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import format_table, machine_info, measure, summarize, write_jsonl  # noqa: E402

import fngrad  # noqa: E402


def myrelu_class(lib):
    """The seed's MyReLU, written against `lib` (fngrad or torch)."""

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


def chain_case(name, lib, lib_name, step, n, repeats, results):
    """A chain of n ops on a (16,) tensor: forward us per op, backward us per node."""
    fwd, bwd = [], []

    def run(_):
        x = lib.randn(16, requires_grad=True)
        y = x
        t0 = _now()
        for _ in range(n):
            y = step(y)
        t1 = _now()
        y.sum().backward()
        t2 = _now()
        fwd.append((t1 - t0) / n * 1e6)
        bwd.append((t2 - t1) / n * 1e6)

    measure(run, repeats, warmup=1, setup=lambda: None)
    results.append(summarize(f"{name}_fwd", lib_name, "us/node", fwd[1:]))
    results.append(summarize(f"{name}_bwd", lib_name, "us/node", bwd[1:]))


def creation_site_cost(n, repeats, results):
    """Forward cost of recording each node's creation site: the relu chain with and without it,
    alternating so that both see the same machine noise."""
    on, off = [], []

    def chain():
        y = fngrad.randn(16, requires_grad=True)
        t0 = _now()
        for _ in range(n):
            y = y.relu()
        return (_now() - t0) / n * 1e6

    chain()
    try:
        for _ in range(repeats):
            fngrad._C._set_record_creation_sites(True)
            on.append(chain())
            fngrad._C._set_record_creation_sites(False)
            off.append(chain())
    finally:
        fngrad._C._set_record_creation_sites(True)
    ratios = sorted(a / b for a, b in zip(on, off))
    r_on = summarize("relu_fwd_sites_on", "fngrad", "us/node", on, ratio_to_off=ratios[len(ratios) // 2])
    r_off = summarize("relu_fwd_sites_off", "fngrad", "us/node", off)
    results.extend([r_on, r_off])
    return r_on, r_off


def numpy_chain(name, n, repeats, results, relu_from_mask=True):
    """The floor: the same chain in NumPy, forward keeping the masks, backward applying them."""
    fwd, bwd = [], []

    def run(_):
        x = np.random.standard_normal(16).astype(np.float32)
        masks = []
        y = x
        t0 = _now()
        for _ in range(n):
            masks.append(y < 0)
            y = np.maximum(y, 0)
        t1 = _now()
        g = np.ones_like(y)
        for m in reversed(masks):
            g = g.copy()
            g[m] = 0
        t2 = _now()
        fwd.append((t1 - t0) / n * 1e6)
        bwd.append((t2 - t1) / n * 1e6)

    measure(run, repeats, warmup=1, setup=lambda: None)
    results.append(summarize(f"{name}_fwd", "numpy", "us/node", fwd[1:]))
    results.append(summarize(f"{name}_bwd", "numpy", "us/node", bwd[1:]))


def _now():
    import time

    return time.perf_counter()


def large_relu(libs, size, repeats, results):
    """relu forward and backward on `size` float32 elements, in GB/s of bytes read and written."""
    a = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    g_np = np.ones(size, dtype=np.float32)
    label = f"2^{size.bit_length() - 1}"
    fwd_bytes = 2 * 4 * size       # read x, write y
    bwd_bytes = 3 * 4 * size       # read g and the saved output, write the gradient

    def gbps(nbytes, times):
        return [nbytes / t / 1e9 for t in times]

    t = measure(lambda: np.maximum(a, 0), repeats)
    results.append(summarize(f"relu_{label}_fwd", "numpy", "GB/s", gbps(fwd_bytes, t), True))
    y_np = np.maximum(a, 0)
    t = measure(lambda: np.where(y_np > 0, g_np, 0), repeats)
    results.append(summarize(f"relu_{label}_bwd", "numpy", "GB/s", gbps(bwd_bytes, t), True))
    t = measure(lambda: a.copy(), repeats)
    results.append(summarize(f"copy_{label}", "numpy", "GB/s", gbps(fwd_bytes, t), True))

    for name, lib in libs:
        x = lib.from_numpy(a.copy())
        t = measure(lambda: x.relu(), repeats)
        results.append(summarize(f"relu_{label}_fwd", name, "GB/s", gbps(fwd_bytes, t), True))
        xg = lib.from_numpy(a.copy()).requires_grad_()
        y = xg.relu()
        g = lib.from_numpy(g_np)
        t = measure(lambda: lib.autograd.grad(y, xg, g, retain_graph=True), repeats)
        results.append(summarize(f"relu_{label}_bwd", name, "GB/s", gbps(bwd_bytes, t), True))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="tiny sizes, proves the suite runs")
    mode.add_argument("--full", action="store_true", help="more repeats")
    parser.add_argument("--threads", type=int, default=None, help="threads for fngrad and PyTorch (default: all)")
    parser.add_argument("--json", default=None, help="append results as JSON lines to this file")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even when installed")
    args = parser.parse_args(argv)

    n_chain, repeats, size = (10_000, 5, 1 << 24)
    if args.quick:
        n_chain, repeats, size = (200, 2, 1 << 16)
    elif args.full:
        repeats = 15

    threads = args.threads or os.cpu_count() or 1
    fngrad.set_num_threads(threads)
    libs = [("fngrad", fngrad)]
    if not args.no_torch and importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(threads)
        libs.append(("torch", torch))

    results = []
    for name, lib in libs:
        chain_case("myrelu_chain", lib, name, myrelu_class(lib).apply, n_chain, repeats, results)
        chain_case("relu_chain", lib, name, lambda y: y.relu(), n_chain, repeats, results)
    site_on, site_off = creation_site_cost(n_chain, repeats * 4, results)
    numpy_chain("myrelu_chain", n_chain, repeats, results)
    numpy_chain("relu_chain", n_chain, repeats, results)
    large_relu(libs, size, repeats * 3, results)

    info = machine_info()
    print(f"# fngrad {fngrad.__version__}; " + ", ".join(f"{k}={v}" for k, v in info.items()) + f"; threads={threads}")
    if len(libs) > 1:
        print(f"# torch {libs[1][1].__version__}")
    print(f"# chain length {n_chain}, repeats {repeats}; us/node lower is better, GB/s higher is better")
    print(format_table(sorted(results, key=lambda r: r.case)))
    print(f"# creation-site record (always on): relu forward {site_on.median:.3f} us/op with it, "
          f"{site_off.median:.3f} without, median of paired ratios {site_on.extra['ratio_to_off']:.3f}")
    if args.json:
        write_jsonl(results, args.json)
    return results


if __name__ == "__main__":
    main()
