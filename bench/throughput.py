"""fngrad's benchmark suite, and the project's main job.

Every case runs fngrad beside NumPy (a hand-written forward and backward with no autograd: the
floor), PyTorch (when installed) and HIPS autograd (when installed and the case applies), in one
process run, with the same number of threads. The libraries take turns repeat by repeat (one
warm-up round first), so a slow spell of the shared machine falls on all of them. Each figure is
the median of the repeats; the table (100 columns) gives its spread, fngrad's ratio to PyTorch and
the issue's target for it, and bench/results/ holds the JSON lines (min, median, max) and a PNG of
the ratios (with matplotlib). Progress goes to stderr while it runs.

    python bench/throughput.py            # the default run (a few minutes)
    python bench/throughput.py --quick    # tiny sizes: proves the suite runs (CI)
    python bench/throughput.py --full     # more repeats, and the 1,000,000-node graph
    python bench/throughput.py --json out.jsonl --only mlp,fanin

Cases (fngrad / PyTorch, medians of the same run; lower is better unless marked):
  1 function_chain   the seed's MyReLU applied 10,000 times to a (16,) tensor: us per apply / per node
  2 op_chain         10,000 ops mixing x*w, +b, tanh, relu on (16,): us per op / per node
  3 deep_graph       that chain with 100,000 (and 1,000,000 with --full) nodes, each library in a child
                     process: backward us per node, graph bytes per node, peak RSS of the process
  4 fanin            one tensor used by 1,000 ops whose results are summed: forward + backward us
  5 bandwidth        relu, add, mul, tanh, exp, sigmoid on 2^24 float32: GB/s of bytes read and
                     written (higher is better), beside NumPy copying into a fresh array; add's
                     backward moves no bytes (it hands the gradient on), so it is timed: us
  6 mlp              784-512-512-10 MLP, ReLU, softmax cross-entropy, batch 128, SGD: samples/s (higher
                     is better)
  7 import           `import fngrad` vs `import torch`, in fresh interpreters: ms
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _seed_function import myrelu_class  # noqa: E402
from _timing import machine_info, summarize, write_jsonl  # noqa: E402

import fngrad  # noqa: E402

# Targets from the performance issue: (bound, direction) of fngrad / PyTorch.
TARGETS = {
    "function_chain_fwd": (0.30, "max"),
    "function_chain_bwd": (0.15, "max"),
    "op_chain_fwd": (0.40, "max"),
    "op_chain_bwd": (0.25, "max"),
    "deep_graph_100k_bwd": (0.20, "max"),
    "deep_graph_100k_memory": (0.5, "max"),
    "deep_graph_100k_peak_rss": (0.5, "max"),
    "deep_graph_1m_bwd": (0.20, "max"),
    "deep_graph_1m_memory": (0.5, "max"),
    "deep_graph_1m_peak_rss": (0.5, "max"),
    "fanin_fwd_bwd": (0.25, "max"),
    "relu_fwd": (3.0, "min"),
    "add_fwd": (3.0, "min"),
    "mul_fwd": (3.0, "min"),
    "relu_bwd": (2.0, "min"),
    "add_bwd": (0.5, "max"),  # time: at least 2x PyTorch's speed
    "mul_bwd": (2.0, "min"),
    "tanh_fwd": (1.0, "min"),
    "exp_fwd": (1.0, "min"),
    "sigmoid_fwd": (1.0, "min"),
    "mlp_train": (1.1, "min"),
    "import": (0.1, "max"),
}


def _now():
    return time.perf_counter()


def have(module):
    return importlib.util.find_spec(module) is not None


# ---- case 1: custom Function chain ----


def chain(lib, name, step, n):
    """A runner: a chain of n steps on a (16,) tensor that requires grad; us per forward op / backward node."""

    def run():
        x = lib.randn(16, requires_grad=True)
        y = x
        gc.collect()
        t0 = _now()
        for i in range(n):
            y = step(y, i)
        t1 = _now()
        y.sum().backward()
        t2 = _now()
        return {f"{name}_fwd": (t1 - t0) / n * 1e6, f"{name}_bwd": (t2 - t1) / n * 1e6}

    return run


def numpy_function_chain(n):
    """The floor of the MyReLU chain: masks kept in forward, applied in reverse in backward."""

    def run():
        y = np.random.standard_normal(16).astype(np.float32)
        masks = []
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
        return {"function_chain_fwd": (t1 - t0) / n * 1e6, "function_chain_bwd": (t2 - t1) / n * 1e6}

    return run


def hips_function_chain(n):
    import autograd.numpy as anp
    from autograd.extend import defvjp, primitive

    @primitive
    def myrelu(x):
        return anp.maximum(x, 0)

    defvjp(myrelu, lambda ans, x: lambda g: anp.where(x < 0, 0.0, g))
    return _hips_chain("function_chain", lambda y, i: myrelu(y), n)


def _hips_chain(name, step, n):
    import autograd.numpy as anp
    from autograd import make_vjp

    def f(x):
        y = x
        for i in range(n):
            y = step(y, i)
        return anp.sum(y)

    def run():
        x = np.random.standard_normal(16).astype(np.float32)
        t0 = _now()
        vjp, _ = make_vjp(f)(x)
        t1 = _now()
        vjp(1.0)
        t2 = _now()
        return {f"{name}_fwd": (t1 - t0) / n * 1e6, f"{name}_bwd": (t2 - t1) / n * 1e6}

    return run


# ---- case 2: native op chain ----

def op_chain_step(lib):
    w = lib.tensor(np.random.default_rng(1).uniform(0.5, 1.5, 16).astype(np.float32))
    b = lib.tensor(np.random.default_rng(2).uniform(-0.1, 0.1, 16).astype(np.float32))

    def step(y, i):
        k = i & 3
        if k == 0:
            return y * w
        if k == 1:
            return y + b
        if k == 2:
            return y.tanh()
        return y.relu()

    return step


def numpy_op_chain(n):
    w = np.random.default_rng(1).uniform(0.5, 1.5, 16).astype(np.float32)
    b = np.random.default_rng(2).uniform(-0.1, 0.1, 16).astype(np.float32)

    def run():
        y = np.random.standard_normal(16).astype(np.float32)
        tape = []
        t0 = _now()
        for i in range(n):
            k = i & 3
            if k == 0:
                y = y * w
            elif k == 1:
                y = y + b
            elif k == 2:
                y = np.tanh(y)
            else:
                y = np.maximum(y, 0)
            tape.append(y)
        t1 = _now()
        g = np.ones_like(y)
        for i in range(n - 1, -1, -1):
            k = i & 3
            if k == 0:
                g = g * w
            elif k == 2:
                t = tape[i]
                g = g * (1 - t * t)
            elif k == 3:
                g = np.where(tape[i] > 0, g, 0)
        t2 = _now()
        return {"op_chain_fwd": (t1 - t0) / n * 1e6, "op_chain_bwd": (t2 - t1) / n * 1e6}

    return run


def hips_op_chain(n):
    import autograd.numpy as anp

    w = np.random.default_rng(1).uniform(0.5, 1.5, 16).astype(np.float32)
    b = np.random.default_rng(2).uniform(-0.1, 0.1, 16).astype(np.float32)

    def step(y, i):
        k = i & 3
        return y * w if k == 0 else y + b if k == 1 else anp.tanh(y) if k == 2 else anp.maximum(y, 0)

    return _hips_chain("op_chain", step, n)


# ---- case 3: deep graph, one child process per library ----

def deep_graph_child(lib_name, n):
    """Runs in a child process: prints one JSON object with the deep-graph figures."""

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    if lib_name == "torch":
        import torch as lib

        lib.set_num_threads(int(os.environ.get("FNGRAD_BENCH_THREADS", "1")))
    else:
        lib = fngrad
    step = op_chain_step(lib)
    x = lib.randn(16, requires_grad=True)
    gc.collect()
    gc.disable()
    before = rss()
    y = x
    t0 = _now()
    for i in range(n):
        y = step(y, i)
    t1 = _now()
    after = rss()
    s = y.sum()
    t2 = _now()
    s.backward()
    t3 = _now()
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across fork and exec, so a child
    # would report the benchmark parent's peak (PyTorch and all) whenever that is larger.
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) * 1024
    print(json.dumps({"fwd_us": (t1 - t0) / n * 1e6, "bwd_us": (t3 - t2) / n * 1e6,
                      "bytes_per_node": (after - before) / n, "peak_rss_mb": peak / 2**20}))


def deep_graph(lib_name, n, label):
    """A runner: one child process builds the graph and runs its backward."""

    def run():
        out = subprocess.run([sys.executable, __file__, "--deep-child", lib_name, str(n)], capture_output=True,
                             text=True, check=True, env={**os.environ, "FNGRAD_BENCH_THREADS": str(THREADS)})
        r = json.loads(out.stdout.strip().splitlines()[-1])
        return {f"deep_graph_{label}_bwd": r["bwd_us"], f"deep_graph_{label}_memory": r["bytes_per_node"],
                f"deep_graph_{label}_peak_rss": r["peak_rss_mb"]}

    return run


# ---- case 4: fan-in ----

def fanin(lib, n):
    """A runner: one tensor used by n ops whose results are summed, forward and backward."""

    def run():
        x = lib.randn(16, requires_grad=True)
        gc.collect()
        t0 = _now()
        parts = [x * float(k % 7 + 1) for k in range(n)]
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        total.sum().backward()
        return {"fanin_fwd_bwd": (_now() - t0) * 1e6}

    return run


def numpy_fanin(n):
    def run():
        x = np.random.standard_normal(16).astype(np.float32)
        t0 = _now()
        parts = [x * np.float32(k % 7 + 1) for k in range(n)]
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        g = np.ones(16, np.float32)
        grad = np.zeros(16, np.float32)
        for k in range(n):
            grad += g * np.float32(k % 7 + 1)
        return {"fanin_fwd_bwd": (_now() - t0) * 1e6}

    return run


def hips_fanin(n):
    from autograd import grad

    def f(x):
        parts = [x * float(k % 7 + 1) for k in range(n)]
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total.sum()

    g = grad(f)

    def run():
        x = np.random.standard_normal(16).astype(np.float32)
        t0 = _now()
        g(x)
        return {"fanin_fwd_bwd": (_now() - t0) * 1e6}

    return run


# ---- case 5: bandwidth on large arrays ----

BANDWIDTH_OPS = {
    # name: (forward, NumPy forward, bytes per element forward, backward bytes per element). add's
    # backward hands the incoming gradient on unchanged (in both libraries): it moves no bytes, so
    # it is reported as time, not as a bandwidth.
    "relu": (lambda t, u: t.relu(), lambda a, b: np.maximum(a, 0), 8, 12),
    "add": (lambda t, u: t + u, lambda a, b: a + b, 12, 0),
    "mul": (lambda t, u: t * u, lambda a, b: a * b, 12, 20),
    "tanh": (lambda t, u: t.tanh(), np.tanh, 8, 12),
    "exp": (lambda t, u: t.exp(), np.exp, 8, 12),
    "sigmoid": (lambda t, u: t.sigmoid(), lambda a, b: 1 / (1 + np.exp(-a)), 8, 12),
}


def bandwidth(lib, size):
    """A runner: each op of BANDWIDTH_OPS once on 2^k float32 elements, forward (and backward for relu,
    add, mul: autograd.grad(y, x, g) of the op alone). GB/s of bytes read and written; a backward that
    moves no bytes is timed instead."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal(size).astype(np.float32)
    b = rng.standard_normal(size).astype(np.float32)
    if lib is np:
        def run():
            out = {"copy_fresh": 8 * size / _timed(a.copy) / 1e9}  # the bandwidth kernels are measured against
            for name, (_, np_op, fwd_bytes, _) in BANDWIDTH_OPS.items():
                out[f"{name}_fwd"] = fwd_bytes * size / _timed(lambda: np_op(a, b)) / 1e9
            return out

        return run
    x, u = lib.from_numpy(a.copy()), lib.from_numpy(b.copy())
    g = lib.from_numpy(np.ones(size, np.float32))
    graphs = {}
    for name in ("relu", "add", "mul"):
        xg = lib.from_numpy(a.copy()).requires_grad_()
        ug = lib.from_numpy(b.copy()).requires_grad_()
        graphs[name] = (BANDWIDTH_OPS[name][0](xg, ug), [xg, ug] if name != "relu" else [xg])

    def run():
        out = {}
        for name, (op, _, fwd_bytes, bwd_bytes) in BANDWIDTH_OPS.items():
            out[f"{name}_fwd"] = fwd_bytes * size / _timed(lambda: op(x, u)) / 1e9
            if name in graphs:
                y, inputs = graphs[name]
                t = _timed(lambda: lib.autograd.grad(y, inputs, g, retain_graph=True))
                out[f"{name}_bwd"] = bwd_bytes * size / t / 1e9 if bwd_bytes else t * 1e6
        return out

    return run


def _timed(fn):
    t0 = _now()
    fn()
    return _now() - t0


# ---- case 6: MLP training ----

MLP_SIZES = [784, 512, 512, 10]


def mlp_data(batch, batches):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch * batches, 784)).astype(np.float32)
    Y = rng.integers(0, 10, batch * batches)
    Ws = [(rng.standard_normal((o, i)) * np.sqrt(2 / i)).astype(np.float32) for i, o in zip(MLP_SIZES[:-1], MLP_SIZES[1:])]
    bs = [np.zeros(o, np.float32) for o in MLP_SIZES[1:]]
    return X, Y, Ws, bs


def mlp(lib, batch, steps, lr=0.01):
    """A runner: each call trains `steps` steps and returns samples/s."""
    F = importlib.import_module(lib.__name__ + ".nn.functional")
    X, Y, Ws, bs = mlp_data(batch, 8)
    W = [lib.tensor(w, requires_grad=True) for w in Ws]
    b = [lib.tensor(x, requires_grad=True) for x in bs]
    xs = [lib.from_numpy(X[i * batch:(i + 1) * batch]) for i in range(8)]
    ys = [lib.from_numpy(Y[i * batch:(i + 1) * batch]) for i in range(8)]

    def step(i):
        h = xs[i % 8]
        for k in range(3):
            h = F.linear(h, W[k], b[k])
            if k < 2:
                h = h.relu()
        loss = F.cross_entropy(h, ys[i % 8])
        loss.backward()
        with lib.no_grad():
            for p in W + b:
                p -= lr * p.grad
                p.grad = None

    def run():
        t0 = _now()
        for i in range(steps):
            step(i)
        return steps * batch / (_now() - t0)

    return run


def numpy_mlp(batch, steps, lr=0.01):
    """The floor: forward, backward and SGD by hand in NumPy, with the same matrix products."""
    X, Y, Ws, bs = mlp_data(batch, 8)
    W = [w.copy() for w in Ws]
    b = [x.copy() for x in bs]

    def step(i):
        x = X[(i % 8) * batch:((i % 8) + 1) * batch]
        y = Y[(i % 8) * batch:((i % 8) + 1) * batch]
        acts, pre, h = [x], [], x
        for k in range(3):
            z = h @ W[k].T + b[k]
            pre.append(z)
            h = np.maximum(z, 0) if k < 2 else z
            acts.append(h)
        m = h.max(1, keepdims=True)
        e = np.exp(h - m)
        p = e / e.sum(1, keepdims=True)
        g = p
        g[np.arange(batch), y] -= 1
        g /= batch
        for k in (2, 1, 0):
            if k < 2:
                g = g * (pre[k] > 0)
            gw = g.T @ acts[k]
            gb = g.sum(0)
            gin = g @ W[k]
            W[k] -= lr * gw
            b[k] -= lr * gb
            g = gin

    def run():
        t0 = _now()
        for i in range(steps):
            step(i)
        return steps * batch / (_now() - t0)

    return run


def hips_mlp(batch, steps, lr=0.01):
    import autograd.numpy as anp
    from autograd import grad

    X, Y, Ws, bs = mlp_data(batch, 8)
    params = [w.copy() for w in Ws] + [x.copy() for x in bs]

    def loss(params, x, y):
        h = x
        for k in range(3):
            h = anp.dot(h, params[k].T) + params[3 + k]
            if k < 2:
                h = anp.maximum(h, 0)
        m = anp.max(h, axis=1, keepdims=True)
        lse = m + anp.log(anp.sum(anp.exp(h - m), axis=1, keepdims=True))
        return -anp.mean((h - lse)[anp.arange(batch), y])

    g = grad(loss)

    def run():
        nonlocal params
        t0 = _now()
        for i in range(steps):
            x = X[(i % 8) * batch:((i % 8) + 1) * batch]
            y = Y[(i % 8) * batch:((i % 8) + 1) * batch]
            grads = g(params, x, y)
            params = [p - lr * gp for p, gp in zip(params, grads)]
        return steps * batch / (_now() - t0)

    return run


# ---- case 7: import time ----

def import_time(module):
    """A runner: `import module` in a fresh interpreter, ms (the bare interpreter's start is the
    runner for module None, subtracted afterwards). Bytecode is cached as an installed package has
    it (the warm-up round writes it): with PYTHONDONTWRITEBYTECODE set, every run would time
    compiling each module's source, which grows with the lines of the package, not its import work."""
    code = "pass" if module is None else f"import {module}"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def run():
        t0 = _now()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        return {"import": (_now() - t0) * 1e3}

    return run


# ---- running the libraries in turn ----

def interleaved(runners, repeats, pause=0.0):
    """{(case, library): [values]}. Runs the libraries' repeats in turn (fngrad, torch, numpy, ...
    then again), so that a slow spell of a shared machine falls on all of them rather than on one;
    one warm-up round first. Each runner is a function of no arguments returning {case: value}.
    Each run starts after `pause` seconds (the MLP case pauses): BLAS and OpenMP worker threads
    busy-wait for a while after their last job (OpenBLAS up to about 0.1 s), and would take cores
    from the next library's run. The garbage collector is off while a run is timed."""
    values = {}
    for r in range(repeats + 1):
        for library, run in runners.items():
            if pause:
                time.sleep(pause)
            gc.collect()
            gc.disable()
            try:
                out = run()
            finally:
                gc.enable()
            if r:
                for case, v in out.items():
                    values.setdefault((case, library), []).append(v)
    return values


def _unit(case):
    """(unit, higher is better) of a case, from its name."""
    if case == "mlp_train":
        return "samples/s", True
    if case == "import":
        return "ms", False
    if case.endswith("_memory"):
        return "B/node", False
    if case.endswith("_peak_rss"):
        return "MB", False
    if case == "fanin_fwd_bwd" or case == "add_bwd":
        return "us", False
    if case == "copy_fresh" or case.endswith(("_fwd", "_bwd")) and case.split("_")[0] in BANDWIDTH_OPS:
        return "GB/s", True
    return "us/node", False


def summaries(values):
    out = []
    for (case, library), v in values.items():
        unit, higher_is_better = _unit(case)
        out.append(summarize(case, library, unit, v, higher_is_better))
    return out


# ---- report ----

def format_report(results, quick=False):
    """The table, at most 100 columns: each library's median with the spread of its repeats
    (half the min-max range, in % of the median; the JSON lines keep min, median and max), fngrad's
    ratio to PyTorch and the target for it. In quick mode the sizes are too small for the targets
    to mean anything, so none is judged."""
    by_case = {}
    for r in results:
        by_case.setdefault(r.case, {})[r.library] = r
    cols = [c for c in ("fngrad", "torch", "numpy", "hips") if any(c in by_lib for by_lib in by_case.values())]
    head = f"{'case':24s}{'unit':>10s}" + "".join(f"{c:>13s}" for c in cols) + f"{'fng/torch':>10s}{'target':>11s}"
    lines = [head, "-" * len(head)]
    for case, by_lib in by_case.items():
        unit = next(iter(by_lib.values())).unit
        row = f"{case:24s}{unit:>10s}"
        for c in cols:
            r = by_lib.get(c)
            if r is None:
                cell = "-"
            else:
                spread = 50 * (r.max - r.min) / r.median if r.median else 0
                cell = f"{_fmt(r.median)} ±{spread:.0f}%"
            row += f"{cell:>13s}"
        ratio = target = ""
        if "fngrad" in by_lib and "torch" in by_lib and by_lib["torch"].median:
            q = by_lib["fngrad"].median / by_lib["torch"].median
            ratio = f"{q:.3f}"
            if case in TARGETS:
                bound, direction = TARGETS[case]
                ok = q <= bound if direction == "max" else q >= bound
                verdict = "n/a" if quick else "ok" if ok else "MISS"
                target = f"{'<=' if direction == 'max' else '>='}{bound:g} {verdict}"
        row += f"{ratio:>10s}{target:>11s}"
        lines.append(row)
    return "\n".join(lines)


def plot_ratios(results, path):
    """A PNG of fngrad's speed relative to PyTorch per case (higher is better for fngrad), with each
    target marked. Needs matplotlib (pip install ".[examples]"); returns False without it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    by_case = {}
    for r in results:
        by_case.setdefault(r.case, {})[r.library] = r
    rows = []
    for case, by_lib in by_case.items():
        f, t = by_lib.get("fngrad"), by_lib.get("torch")
        if not f or not t or not f.median or not t.median:
            continue
        # Speed relative to PyTorch: a rate's ratio as it is, a time's inverted.
        speed = f.median / t.median if f.higher_is_better else t.median / f.median
        target = None
        if case in TARGETS:
            bound, direction = TARGETS[case]
            target = 1 / bound if direction == "max" else bound
        rows.append((case, speed, target))
    if not rows:
        return False
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.2))
    names = [r[0] for r in rows][::-1]
    speeds = [r[1] for r in rows][::-1]
    ax.barh(names, speeds, color=["tab:green" if r[2] is None or r[1] >= r[2] else "tab:red" for r in rows][::-1])
    for i, (_, _, target) in enumerate(rows[::-1]):
        if target is not None:
            ax.plot([target, target], [i - 0.4, i + 0.4], color="black", linewidth=2)
    ax.axvline(1.0, color="gray", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("fngrad's speed relative to PyTorch (x; black bars: targets)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def _fmt(v):
    if v >= 10000:
        return f"{v:.0f}"
    if v >= 100:
        return f"{v:.1f}"
    return f"{v:.3f}"


THREADS = os.cpu_count() or 1


def main(argv=None):
    global THREADS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="tiny sizes, proves the suite runs")
    mode.add_argument("--full", action="store_true", help="more repeats and the million-node graph")
    parser.add_argument("--threads", type=int, default=None, help="threads for fngrad and PyTorch (default: all)")
    parser.add_argument("--only", default=None, help="comma-separated case names to run")
    parser.add_argument("--json", default=None, help="append results as JSON lines to this file")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even when installed")
    parser.add_argument("--plot", default=None, help="PNG of the ratios to PyTorch (default bench/results/ratios.png)")
    parser.add_argument("--deep-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.deep_child:
        deep_graph_child(args.deep_child[0], int(args.deep_child[1]))
        return []

    THREADS = args.threads or os.cpu_count() or 1
    fngrad.set_num_threads(THREADS)
    libs = [fngrad]
    if not args.no_torch and have("torch"):
        import torch

        torch.set_num_threads(THREADS)
        libs.append(torch)
    hips = have("autograd")

    if args.quick:
        cfg = dict(chain=300, repeats=2, deep=[(2000, "2k")], fanin=100, size=1 << 16, mlp_steps=2, mlp_batch=16,
                   mlp_rounds=2, imports=2)
    elif args.full:
        cfg = dict(chain=10_000, repeats=9, deep=[(100_000, "100k"), (1_000_000, "1m")], fanin=1000, size=1 << 24,
                   mlp_steps=8, mlp_batch=128, mlp_rounds=40, imports=7)
    else:
        cfg = dict(chain=10_000, repeats=5, deep=[(100_000, "100k")], fanin=1000, size=1 << 24, mlp_steps=8,
                   mlp_batch=128, mlp_rounds=15, imports=5)
    only = set(args.only.split(",")) if args.only else None

    def wanted(name):
        return only is None or name in only

    plan = []  # (case, runners, repeats, pause)
    if wanted("function_chain"):
        runners = {lib.__name__: chain(lib, "function_chain", lambda y, i, fn=myrelu_class(lib).apply: fn(y),
                                       cfg["chain"]) for lib in libs}
        runners["numpy"] = numpy_function_chain(cfg["chain"])
        if hips:
            runners["hips"] = hips_function_chain(cfg["chain"])
        plan.append(("function_chain", runners, cfg["repeats"], 0.0))
    if wanted("op_chain"):
        runners = {lib.__name__: chain(lib, "op_chain", op_chain_step(lib), cfg["chain"]) for lib in libs}
        runners["numpy"] = numpy_op_chain(cfg["chain"])
        if hips:
            runners["hips"] = hips_op_chain(cfg["chain"])
        plan.append(("op_chain", runners, cfg["repeats"], 0.0))
    if wanted("deep_graph"):
        for n, label in cfg["deep"]:
            runners = {lib.__name__: deep_graph(lib.__name__, n, label) for lib in libs}
            plan.append((f"deep_graph {label}", runners, max(3, cfg["repeats"] // 2), 0.0))
    if wanted("fanin"):
        runners = {lib.__name__: fanin(lib, cfg["fanin"]) for lib in libs}
        runners["numpy"] = numpy_fanin(cfg["fanin"])
        if hips:
            runners["hips"] = hips_fanin(cfg["fanin"])
        plan.append(("fanin", runners, cfg["repeats"], 0.0))
    if wanted("bandwidth"):
        runners = {lib.__name__: bandwidth(lib, cfg["size"]) for lib in libs}
        runners["numpy"] = bandwidth(np, cfg["size"])
        plan.append(("bandwidth", runners, cfg["repeats"] * 2, 0.0))
    if wanted("mlp"):
        runners = {lib.__name__: mlp(lib, cfg["mlp_batch"], cfg["mlp_steps"]) for lib in libs}
        runners["numpy"] = numpy_mlp(cfg["mlp_batch"], cfg["mlp_steps"])
        if hips:
            runners["hips"] = hips_mlp(cfg["mlp_batch"], cfg["mlp_steps"])
        plan.append(("mlp", {k: (lambda run=run: {"mlp_train": run()}) for k, run in runners.items()},
                     cfg["mlp_rounds"], 0.2))
    if wanted("import"):
        runners = {"python": import_time(None), **{lib.__name__: import_time(lib.__name__) for lib in libs}}
        plan.append(("import", runners, cfg["imports"], 0.0))

    # Progress on stderr, so that the table on stdout stays clean for redirection.
    start = _now()
    results = []
    for k, (case, runners, repeats, pause) in enumerate(plan, 1):
        print(f"[{k}/{len(plan)} {_now() - start:6.1f} s] {case}: {', '.join(runners)}, "
              f"{repeats} rounds in turn (+1 warm-up)", file=sys.stderr, flush=True)
        values = interleaved(runners, repeats, pause)
        if case == "import":  # the bare interpreter's start, subtracted from each import
            base = float(np.median(values.pop(("import", "python"))))
            values = {key: [v - base for v in vs] for key, vs in values.items()}
        results += summaries(values)
    print(f"[done {_now() - start:6.1f} s]", file=sys.stderr, flush=True)

    info = machine_info()
    versions = f"fngrad {fngrad.__version__}, numpy {np.__version__}"
    if len(libs) > 1:
        versions += f", torch {libs[1].__version__}"
    if hips:
        versions += ", HIPS autograd"
    print(f"# {versions}; " + ", ".join(f"{k}={v}" for k, v in info.items()))
    print(f"# threads={THREADS} for fngrad and PyTorch (NumPy's elementwise kernels run on one thread; its "
          f"matmul on OpenBLAS's); libmvec={'on' if fngrad._C._vecmath_accelerated() else 'off'}")
    print(f"# medians of {cfg['repeats']} repeats (mlp: {cfg['mlp_rounds']} of {cfg['mlp_steps']} steps), libraries "
          f"in turn; ± is half the min-max range in % of the median")
    if args.quick:
        print("# quick mode: tiny sizes (chains of 300, a 2,000-node graph, 2^16 elements, MLP batch 16) and 2 "
              "repeats prove that every case runs; per-call overheads dominate at these sizes, so the targets "
              "are not judged (n/a). Run without --quick for the figures.")
    print(format_report(results, quick=args.quick))
    png = args.plot or os.path.join(HERE, "results", "ratios.png")
    os.makedirs(os.path.dirname(png), exist_ok=True)
    if plot_ratios(results, png):
        print(f"# PNG of the ratios: {png}")
    else:
        print("# no PNG of the ratios: it needs matplotlib (pip install \".[examples]\") and PyTorch")
    json_path = args.json or os.path.join(HERE, "results", "latest.jsonl")
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    if not args.json and os.path.exists(json_path):
        os.remove(json_path)
    write_jsonl(results, json_path)
    print(f"# JSON lines: {json_path}")
    return results


if __name__ == "__main__":
    main()
