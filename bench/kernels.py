"""Elementwise kernels against NumPy's equivalent ufuncs, on the same inputs, in the same run.

    python bench/kernels.py               # 2^10, 2^16 and 2^24 elements, float32 and float64
    python bench/kernels.py --quick       # small sizes only
    python bench/kernels.py --json out.jsonl

Each row: fngrad's and NumPy's median time (min-max) and their ratio (fngrad / NumPy; below 1 is
faster). Forward only: NumPy has no backward to compare with.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import measure, summarize, write_jsonl  # noqa: E402

import fngrad  # noqa: E402
import fngrad.nn.functional as F  # noqa: E402


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# name: (fngrad op, NumPy op, positive domain?)
UNARY = {
    "relu": (lambda t: t.relu(), lambda a: np.maximum(a, 0), False),
    "neg": (lambda t: -t, np.negative, False),
    "abs": (lambda t: t.abs(), np.abs, False),
    "exp": (lambda t: t.exp(), np.exp, False),
    "expm1": (lambda t: t.expm1(), np.expm1, False),
    "log": (lambda t: t.log(), np.log, True),
    "log1p": (lambda t: t.log1p(), np.log1p, True),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, True),
    "sin": (lambda t: t.sin(), np.sin, False),
    "cos": (lambda t: t.cos(), np.cos, False),
    "tanh": (lambda t: t.tanh(), np.tanh, False),
    "sigmoid": (lambda t: t.sigmoid(), _sigmoid, False),
    "silu": (F.silu, lambda a: a * _sigmoid(a), False),
    "square": (lambda t: t * t, np.square, False),
    "clamp": (lambda t: t.clamp(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5), False),
}
BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "maximum": (fngrad.maximum, np.maximum),
    "add_scalar": (lambda a, b: a + 1.5, lambda a, b: a + np.float32(1.5)),
    "add_broadcast": (lambda a, b: a.reshape(-1, 64) + b.reshape(-1, 64)[0],
                      lambda a, b: a.reshape(-1, 64) + b.reshape(-1, 64)[0]),
}
REDUCE = {
    "sum": (lambda t: t.sum(), np.sum),
    "mean_rows": (lambda t: t.reshape(-1, 256).mean(1), lambda a: a.reshape(-1, 256).mean(1)),
    "softmax_rows": (lambda t: t.reshape(-1, 256).softmax(1),
                     lambda a: (lambda e: e / e.sum(1, keepdims=True))(
                         np.exp(a.reshape(-1, 256) - a.reshape(-1, 256).max(1, keepdims=True)))),
}


def run(sizes, dtypes, repeats):
    results = []
    for dtype in dtypes:
        for n in sizes:
            rng = np.random.default_rng(0)
            a = rng.uniform(-3, 3, n).astype(dtype)
            b = rng.uniform(0.5, 3, n).astype(dtype)
            pos = np.abs(a) + dtype(0.1)
            reps = repeats if n >= 1 << 20 else repeats * 20
            label = f"2^{n.bit_length() - 1} {np.dtype(dtype).name}"
            cases = []
            for name, (f, g, positive) in UNARY.items():
                x = pos if positive else a
                cases.append((name, (lambda f=f, t=fngrad.from_numpy(x): f(t)), (lambda g=g, x=x: g(x))))
            for name, (f, g) in BINARY.items():
                ta, tb = fngrad.from_numpy(a), fngrad.from_numpy(b)
                cases.append((name, (lambda f=f, ta=ta, tb=tb: f(ta, tb)), (lambda g=g: g(a, b))))
            for name, (f, g) in REDUCE.items():
                cases.append((name, (lambda f=f, t=fngrad.from_numpy(a): f(t)), (lambda g=g: g(a))))
            for name, ours, theirs in cases:
                # Alternate, so that both see the same machine noise.
                t_ours, t_theirs = [], []
                for _ in range(3):
                    t_ours += measure(ours, max(1, reps // 3))
                    t_theirs += measure(theirs, max(1, reps // 3))
                us = [t * 1e6 for t in t_ours]
                them = [t * 1e6 for t in t_theirs]
                results.append(summarize(f"{name} {label}", "fngrad", "us", us))
                results.append(summarize(f"{name} {label}", "numpy", "us", them))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    fngrad.set_num_threads(args.threads or os.cpu_count() or 1)
    sizes = [1 << 10, 1 << 12] if args.quick else [1 << 10, 1 << 16, 1 << 24]
    results = run(sizes, [np.float32, np.float64], 2 if args.quick else 6)
    by_case = {}
    for r in results:
        by_case.setdefault(r.case, {})[r.library] = r
    print(f"# fngrad {fngrad.__version__}, numpy {np.__version__}, threads {fngrad.get_num_threads()}, "
          f"libmvec {'on' if fngrad._C._vecmath_accelerated() else 'off'}")
    print(f"{'kernel':28s}{'fngrad us (min-max)':>30s}{'numpy us (min-max)':>30s}{'ratio':>8s}")
    slower = []
    for case, libs in by_case.items():
        o, n = libs["fngrad"], libs["numpy"]
        ratio = o.median / n.median
        if ratio > 1:
            slower.append(case)
        print(f"{case:28s}{f'{o.median:.2f} ({o.min:.2f}-{o.max:.2f})':>30s}{f'{n.median:.2f} ({n.min:.2f}-{n.max:.2f})':>30s}"
              f"{ratio:>8.2f}")
    print(f"# {len(by_case) - len(slower)}/{len(by_case)} kernels at least as fast as NumPy"
          + (f"; slower: {', '.join(slower)}" if slower else ""))
    if args.json:
        write_jsonl(results, args.json)
    return results


if __name__ == "__main__":
    main()
