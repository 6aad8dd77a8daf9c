"""One LSTM forward + backward at small-RL sizes (seq 32, batch 16, input 32, hidden 64, one
layer, float32 by default): fngrad beside PyTorch, the same weights and input in both. The loss is
the sum of the output and the final states; the parameters' gradients are cleared outside the timed
region. The libraries' rounds are interleaved; figures are min/median/max milliseconds per step over
all rounds, and the ratio is each library's median over fngrad's (above 1: fngrad is faster).

    python bench/rnn_step.py [--rounds 10] [--steps 10] [--seq 32] [--batch 16] [--hidden 64]
                             [--layers 1] [--mode LSTM|GRU|RNN] [--dtype float32|float64] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import interleaved, machine_info, ratio_table  # noqa: E402

import fngrad  # noqa: E402


def make(lib, args, state, x):
    """setup() clearing the gradients and step() running forward + backward."""
    dtype = getattr(lib, args.dtype)
    module = getattr(lib.nn, args.mode)(args.input, args.hidden, num_layers=args.layers).to(dtype)
    module.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in state.items()})
    inp = lib.from_numpy(x.copy())

    def setup():
        module.zero_grad(set_to_none=True)

    def step(_):
        out, hidden = module(inp)
        hidden = hidden if isinstance(hidden, tuple) else (hidden,)
        loss = out.sum() + sum(h.sum() for h in hidden)
        loss.backward()

    return setup, step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--steps", type=int, default=10, help="steps timed per round (each one a sample)")
    ap.add_argument("--seq", type=int, default=32)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--input", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--mode", choices=["LSTM", "GRU", "RNN"], default="LSTM")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--threads", type=int, default=None, help="threads for both libraries (default: theirs)")
    args = ap.parse_args()

    reference = getattr(fngrad.nn, args.mode)(args.input, args.hidden, num_layers=args.layers)
    state = {k: v.detach().numpy().astype(args.dtype) for k, v in reference.state_dict().items()}
    x = np.random.default_rng(0).standard_normal((args.seq, args.batch, args.input)).astype(args.dtype)
    cases = {"fngrad": make(fngrad, args, state, x)}
    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        cases["torch"] = make(torch, args, state, x)
    except ImportError:
        print("PyTorch is not installed: fngrad alone.")
    if args.threads:
        fngrad.set_num_threads(args.threads)

    times = interleaved(cases, args.rounds, args.steps)
    info = machine_info()
    print(f"{args.mode} forward+backward, seq {args.seq}, batch {args.batch}, input {args.input}, hidden "
          f"{args.hidden}, layers {args.layers}, {args.dtype}; {info.get('cpu', '')}, {info['cpus']} CPUs; "
          f"threads fngrad {fngrad.get_num_threads()}" + (f", torch {torch.get_num_threads()}" if "torch" in cases
                                                          else ""))
    print(ratio_table(times))

if __name__ == "__main__":
    main()
