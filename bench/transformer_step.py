"""One forward and backward of nn.TransformerEncoderLayer (d_model 64, 4 heads, feed-forward 256,
dropout 0.1 in training mode, batch_first) on a batch of 16 sequences of 32 in float32: fngrad beside
PyTorch, same parameters. Gradients are cleared outside the timed region. The libraries' rounds are
interleaved; figures are min/median/max milliseconds per step over all rounds, and the ratio is each
library's median over fngrad's (below 1: that library is faster).

    python bench/transformer_step.py [--rounds 10] [--steps 10] [--threads N] [--mask]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import machine_info, measure  # noqa: E402

import fngrad  # noqa: E402

D_MODEL, HEADS, FF, SEQ, BATCH = 64, 4, 256, 32, 16


def make(lib, state, x, padding):
    """setup() clearing the gradients and step() running forward and backward once."""
    layer = lib.nn.TransformerEncoderLayer(D_MODEL, HEADS, FF, dropout=0.1, batch_first=True)
    layer.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in state.items()})
    layer.train()
    inp = lib.from_numpy(x.copy())
    mask = None if padding is None else lib.from_numpy(padding.copy())

    def setup():
        for p in layer.parameters():
            p.grad = None

    def step(_):
        layer(inp, src_key_padding_mask=mask).sum().backward()

    return setup, step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--steps", type=int, default=10, help="steps timed per round (each one a sample)")
    ap.add_argument("--threads", type=int, default=None, help="threads for both libraries (default: theirs)")
    ap.add_argument("--mask", action="store_true", help="with a key padding mask (a quarter of each sequence)")
    args = ap.parse_args()

    reference = fngrad.nn.TransformerEncoderLayer(D_MODEL, HEADS, FF, batch_first=True)
    state = {k: v.detach().numpy().copy() for k, v in reference.state_dict().items()}
    x = np.random.default_rng(0).standard_normal((BATCH, SEQ, D_MODEL)).astype(np.float32)
    padding = None
    if args.mask:
        padding = np.zeros((BATCH, SEQ), bool)
        padding[:, 3 * SEQ // 4:] = True
    cases = {"fngrad": make(fngrad, state, x, padding)}
    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        cases["torch"] = make(torch, state, x, padding)
    except ImportError:
        print("PyTorch is not installed: fngrad alone.")
    if args.threads:
        fngrad.set_num_threads(args.threads)

    times = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, (setup, step) in cases.items():
            times[name] += measure(step, repeats=args.steps, warmup=1, setup=setup)

    info = machine_info()
    print(f"TransformerEncoderLayer forward+backward, d_model {D_MODEL}, {HEADS} heads, feed-forward {FF}, "
          f"batch {BATCH} x seq {SEQ}, float32{', key padding mask' if args.mask else ''}; {info.get('cpu', '')}, "
          f"{info['cpus']} CPUs; threads fngrad {fngrad.get_num_threads()}"
          + (f", torch {torch.get_num_threads()}" if "torch" in cases else ""))
    ours = statistics.median(times["fngrad"])
    print(f"{'library':<10} {'min':>9} {'median':>9} {'max':>9}  (ms/step)  ratio vs fngrad")
    for name, ts in times.items():
        ms = [t * 1e3 for t in ts]
        print(f"{name:<10} {min(ms):9.2f} {statistics.median(ms):9.2f} {max(ms):9.2f}  "
              f"{statistics.median(ts) / ours:14.2f}x")


if __name__ == "__main__":
    main()
