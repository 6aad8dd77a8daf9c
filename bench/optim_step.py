"""One optimizer step over 1M float32 parameters in 10 tensors: fngrad's step (a fused native
kernel for SGD/Adam/AdamW/RMSprop/Adagrad, in-place tensor ops for the others) beside PyTorch's
default (single-tensor, a Python loop of ~10 ops per parameter on the CPU) and PyTorch's
foreach=True. ``--optimizers`` takes a comma-separated list of ``torch.optim`` names (default
Adam). Gradients are set once; each timed call is `opt.step()` alone. The
libraries' rounds are interleaved; each figure is min/median/max microseconds per step over all
rounds, and the ratio is PyTorch's median over fngrad's (above 1: fngrad is faster).

    python bench/optim_step.py [--optimizers Adam,NAdam] [--rounds 15] [--steps 20] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import interleaved, machine_info, ratio_table  # noqa: E402

import fngrad  # noqa: E402

SIZES = [100_000] * 10  # 1M parameters in 10 tensors


def make(lib, name="Adam", **kwargs):
    rng = np.random.default_rng(0)
    params = []
    for n in SIZES:
        p = lib.tensor(rng.standard_normal(n).astype(np.float32), requires_grad=True)
        p.grad = lib.tensor(rng.standard_normal(n).astype(np.float32))
        params.append(p)
    opt = getattr(lib.optim, name)(params, lr=1e-3, **kwargs)
    opt.step()  # creates the state outside the timed region
    return opt.step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--optimizers", default="Adam", help="comma-separated torch.optim names (default: Adam)")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--steps", type=int, default=20, help="steps timed per round (each one a sample)")
    ap.add_argument("--threads", type=int, default=None, help="threads for both libraries (default: theirs)")
    args = ap.parse_args()

    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
        print("PyTorch is not installed: fngrad alone.")
    if args.threads:
        fngrad.set_num_threads(args.threads)
    for name in args.optimizers.split(","):
        cases = {"fngrad": make(fngrad, name)}
        if torch is not None:
            cases["torch (default)"] = make(torch, name)
            cases["torch (foreach=True)"] = make(torch, name, foreach=True)
        times = interleaved({case: (None, step) for case, step in cases.items()}, args.rounds, args.steps, warmup=2)
        info = machine_info()
        print(f"{name} step, {sum(SIZES):,} float32 parameters in {len(SIZES)} tensors; {info.get('cpu', '')}, "
              f"{info['cpus']} CPUs; fngrad threads {fngrad.get_num_threads()}"
              + (f", torch threads {torch.get_num_threads()}" if torch is not None else ""))
        print(ratio_table(times, unit="us", digits=0))


if __name__ == "__main__":
    main()
