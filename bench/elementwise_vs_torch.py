"""Elementwise ops beside PyTorch on one thread, at sizes that parallel_for runs inline.

    python bench/elementwise_vs_torch.py                       # 2^14, 2^16, 2^18 float32
    python bench/elementwise_vs_torch.py --sizes 65536 --ops add,where

Each figure is us per call: the median (min-max) over 15 repeats of 20 back-to-back calls, the two
libraries interleaved repeat by repeat; ratio = PyTorch / fngrad (above 1: fngrad is faster).
`where` and `masked_fill` use a random mask (half true), which defeats branch prediction in a loop
that branches per element. Needs PyTorch (pip install torch==2.13.0).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import fngrad

BINARY = {"add", "sub", "mul", "div", "maximum", "minimum"}
DEFAULT_OPS = "add,sub,mul,div,maximum,floor,ceil,trunc,round,relu,neg,where,masked_fill"


def call(lib, op, x, y, m):
    if op in BINARY:
        return lambda: getattr(lib, op)(x, y)
    if op == "where":
        return lambda: lib.where(m, x, y)
    if op == "masked_fill":
        return lambda: x.masked_fill(m, 0.0)
    return lambda: getattr(lib, op)(x)


def per_call_us(fn, calls=20):
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="16384,65536,262144")
    parser.add_argument("--ops", default=DEFAULT_OPS)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    import torch

    fngrad.set_num_threads(1)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(f"# fngrad {fngrad.__version__}, torch {torch.__version__}; 1 thread, float32; us per call")
    print(f"{'op':<12}{'n':>8}{'fngrad us':>24}{'torch us':>24}{'ratio':>8}")
    for n in map(int, args.sizes.split(",")):
        a = (rng.random(n) * 10 - 5).astype(np.float32)
        b = (rng.random(n) + 0.5).astype(np.float32)
        mask = rng.random(n) > 0.5
        libs = {fngrad: (fngrad.tensor(a), fngrad.tensor(b), fngrad.tensor(mask)),
                torch: (torch.tensor(a), torch.tensor(b), torch.tensor(mask))}
        for op in args.ops.split(","):
            times = {fngrad: [], torch: []}
            fns = {lib: call(lib, op, *ts) for lib, ts in libs.items()}
            for lib in libs:
                fns[lib]()  # warm-up
            for _ in range(args.repeats):
                for lib in libs:
                    times[lib].append(per_call_us(fns[lib]))
            f, t = np.array(times[fngrad]), np.array(times[torch])
            print(f"{op:<12}{n:>8}{np.median(f):>12.1f} ({f.min():.1f}-{f.max():.1f})"
                  f"{np.median(t):>12.1f} ({t.min():.1f}-{t.max():.1f}){np.median(t) / np.median(f):>8.2f}")


if __name__ == "__main__":
    main()
