"""The ternary table's ops: the optimizer updates in place (Adam's exp_avg_sq.addcmul_ and
param.addcdiv_, lerp_), where and clamp with tensor bounds (forward, and forward + backward):
one call on 2^20 float32 elements, fngrad against PyTorch, interleaved so that both see the same
machine state. Prints min/median/max microseconds per call and the fngrad/torch ratio of medians.

    PYTHONPATH=python python bench/ternary.py [--repeats 200] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import format_table, measure, summarize  # noqa: E402

import fngrad  # noqa: E402

N = 1 << 20


def cases(lib):
    rng = np.random.default_rng(0)
    x, a, b = (lib.tensor(v) for v in rng.standard_normal((3, N)).astype(np.float32))
    d = lib.tensor(rng.uniform(0.5, 2.0, N).astype(np.float32))
    mask = a > 0
    lo, hi = (lib.tensor(v) for v in (-np.abs(rng.standard_normal((2, N)).astype(np.float32)) * [[1], [-1]]))
    ga, gb = (t.clone().requires_grad_() for t in (a, b))
    g = lib.ones(N)
    return {
        "addcmul_ 2^20 f32": lambda: x.addcmul_(a, b, value=1e-3),
        "addcdiv_ 2^20 f32": lambda: x.addcdiv_(a, d, value=-1e-3),
        "lerp_ 2^20 f32": lambda: x.lerp_(a, 0.1),
        "where 2^20 f32": lambda: lib.where(mask, a, b),
        "clamp(tensor bounds) 2^20 f32": lambda: a.clamp(lo, hi),
        "where fwd+bwd 2^20 f32": lambda: lib.where(mask, ga, gb).backward(g),
        "clamp(tensor bounds) fwd+bwd 2^20 f32": lambda: ga.clamp(lo, hi).backward(g),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--rounds", type=int, default=10, help="interleaved rounds; repeats are split over them")
    p.add_argument("--threads", type=int, default=None, help="threads for both libraries (default: theirs)")
    args = p.parse_args()
    import torch

    if args.threads is not None:
        fngrad.set_num_threads(args.threads)
        torch.set_num_threads(args.threads)
    libs = {"fngrad": cases(fngrad), "torch": cases(torch)}
    times = {(lib, c): [] for lib in libs for c in libs[lib]}
    per_round = max(1, args.repeats // args.rounds)
    for _ in range(args.rounds):
        for case in libs["fngrad"]:
            for lib, fns in libs.items():
                times[(lib, case)] += measure(fns[case], per_round, warmup=2)
    results = [summarize(case, lib, "us", [t * 1e6 for t in ts]) for (lib, case), ts in times.items()]
    print(f"threads: fngrad {fngrad.get_num_threads()}, torch {torch.get_num_threads()}")
    print(format_table(results))


if __name__ == "__main__":
    main()
