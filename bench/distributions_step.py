"""The per-update distribution work of policy-gradient code, fngrad beside PyTorch (float32):
a Gaussian policy (``Independent(Normal(mu, std), 1)``: construct with argument validation, sample,
log_prob, entropy, backward), a categorical policy (``Categorical(logits=...)``: the same) and SAC's
tanh-squashed Gaussian (``TransformedDistribution(Normal, TanhTransform(cache_size=1))``: rsample,
log_prob, backward), for a batch of 256 states and 6 action dims / 8 actions. The libraries' rounds
are interleaved; figures are min/median/max microseconds per step over all rounds, and the ratio is
PyTorch's median over fngrad's (above 1: fngrad is faster).

    python bench/distributions_step.py [--rounds 10] [--steps 50]
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

_rng = np.random.default_rng(0)
MU, LOG_STD = _rng.standard_normal((256, 6)).astype(np.float32), np.full((256, 6), -0.5, np.float32)
LOGITS = _rng.standard_normal((256, 8)).astype(np.float32)


def make(lib):
    """{case: step()} for one library; each step builds its parameters as leaves and runs backward."""
    D = lib.distributions

    def gaussian():
        mu, log_std = lib.tensor(MU, requires_grad=True), lib.tensor(LOG_STD, requires_grad=True)
        d = D.Independent(D.Normal(mu, log_std.exp()), 1)
        a = d.sample()
        (-(d.log_prob(a)).mean() - 0.01 * d.entropy().mean()).backward()

    def categorical():
        logits = lib.tensor(LOGITS, requires_grad=True)
        d = D.Categorical(logits=logits)
        a = d.sample()
        (-(d.log_prob(a)).mean() - 0.01 * d.entropy().mean()).backward()

    def tanh_normal():
        mu, log_std = lib.tensor(MU, requires_grad=True), lib.tensor(LOG_STD, requires_grad=True)
        d = D.TransformedDistribution(D.Normal(mu, log_std.exp()), [D.transforms.TanhTransform(cache_size=1)])
        a = d.rsample()
        (d.log_prob(a).sum(-1).mean() - a.pow(2).mean()).backward()

    return {"gaussian_ppo": gaussian, "categorical_ppo": categorical, "tanh_normal_sac": tanh_normal}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--steps", type=int, default=50, help="steps timed per round (each one a sample)")
    args = ap.parse_args()

    libs = {"fngrad": make(fngrad)}
    try:
        import torch

        libs["torch"] = make(torch)
    except ImportError:
        print("PyTorch is not installed: fngrad alone.")
    times = {(case, name): [] for name in libs for case in libs[name]}
    for _ in range(args.rounds):
        for case in libs["fngrad"]:
            for name, cases in libs.items():
                times[case, name] += measure(cases[case], repeats=args.steps, warmup=2)

    info = machine_info()
    print(f"distribution work per policy update, batch 256, float32; {info.get('cpu', '')}, {info['cpus']} CPUs")
    print(f"{'case':<17} {'library':<8} {'min':>8} {'median':>8} {'max':>8}  (us/step)  torch/fngrad")
    for case in libs["fngrad"]:
        ours = statistics.median(times[case, "fngrad"])
        for name in libs:
            us = [t * 1e6 for t in times[case, name]]
            print(f"{case:<17} {name:<8} {min(us):8.0f} {statistics.median(us):8.0f} {max(us):8.0f}  "
                  f"{'' if name == 'fngrad' else f'{statistics.median(times[case, name]) / ours:12.2f}x'}")


if __name__ == "__main__":
    main()
