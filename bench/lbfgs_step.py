"""One LBFGS step (max_iter=20, strong-Wolfe line search) fitting sin on 64 points with a
1-32-32-1 tanh MLP in float64, the PINN-style use: fngrad beside PyTorch. Every timed call starts
from the same fresh parameters and optimizer (made outside the timed region), so both libraries
follow the same iterates and closure calls (tests/test_lbfgs.py checks that they agree). The
libraries' rounds are interleaved; figures are min/median/max milliseconds per step over all rounds,
and the ratio is PyTorch's median over fngrad's (above 1: fngrad is faster).

    python bench/lbfgs_step.py [--rounds 10] [--steps 5] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import interleaved, machine_info, ratio_table  # noqa: E402

import fngrad  # noqa: E402

_rng = np.random.default_rng(0)
X = np.linspace(-3, 3, 64).reshape(-1, 1)
Y = np.sin(X)
INIT = [_rng.standard_normal((1, 32)), np.zeros(32), _rng.standard_normal((32, 32)) / 32**0.5, np.zeros(32),
        _rng.standard_normal((32, 1)) / 32**0.5, np.zeros(1)]


def make(lib):
    """setup() giving a fresh (optimizer, closure) and step(pair) running one optimizer step."""
    x, y = lib.tensor(X), lib.tensor(Y)

    def setup():
        w1, b1, w2, b2, w3, b3 = params = [lib.tensor(a, requires_grad=True) for a in INIT]
        opt = lib.optim.LBFGS(params, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = ((lib.tanh(lib.tanh(x @ w1 + b1) @ w2 + b2) @ w3 + b3 - y) ** 2).mean()
            loss.backward()
            return loss

        return opt, closure, params[0]

    def step(arg):
        opt, closure, _ = arg
        opt.step(closure)

    return setup, step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--steps", type=int, default=5, help="steps timed per round (each one a sample)")
    ap.add_argument("--threads", type=int, default=None, help="threads for both libraries (default: theirs)")
    args = ap.parse_args()

    cases = {"fngrad": make(fngrad)}
    try:
        import torch

        torch.set_default_dtype(torch.float64)
        if args.threads:
            torch.set_num_threads(args.threads)
        cases["torch"] = make(torch)
    except ImportError:
        print("PyTorch is not installed: fngrad alone.")
    fngrad.set_default_dtype(fngrad.float64)
    if args.threads:
        fngrad.set_num_threads(args.threads)

    evals = {}
    for name, (setup, step) in cases.items():
        arg = setup()
        step(arg)
        evals[name] = arg[0].state[arg[2]]["func_evals"]
    times = interleaved(cases, args.rounds, args.steps)
    info = machine_info()
    print(f"LBFGS step (strong_wolfe, max_iter=20), 1-32-32-1 tanh MLP, 64 points, float64; closure calls "
          f"{evals}; {info.get('cpu', '')}, {info['cpus']} CPUs; threads fngrad {fngrad.get_num_threads()}"
          + (f", torch {torch.get_num_threads()}" if "torch" in cases else ""))
    print(ratio_table(times))

if __name__ == "__main__":
    main()
