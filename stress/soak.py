#!/usr/bin/env python
"""Memory over long runs: resident memory growth per 10,000 iterations of graphs built and dropped.

Each case runs in its own child process: a warm-up (so allocator pools and caches reach their
steady state), then the measured iterations, sampling the resident set size (/proc/self/statm)
every 1,000 iterations. Growth is the least-squares slope of RSS against iteration over the
measured part, scaled to 10,000 iterations, so one late page does not decide the figure. The
target is under 1 MiB per 10,000 iterations for fngrad; PyTorch runs the same cases beside it
(with --torch, the default when it is installed) to show where it leaks.

    python stress/soak.py                        # 20,000 iterations per case, fngrad and PyTorch
    python stress/soak.py --iterations 5000 --no-torch
    python stress/soak.py --only ctx_output,hook_closure

Cases (every tensor, graph and hook is dropped at the end of each iteration):
    mlp_function        small MLP step (32-64-10, batch 16) with the seed's MyReLU as a custom
                        Function, cross-entropy, backward, SGD
    mlp_retain_graph    the same with backward(retain_graph=True), the graph then dropped
    hooks               tensor hooks, node pre/post hooks and post-accumulate hooks, removed or not
    ctx_output          a Function that stores its output on ctx (ctx.out = out)
    hook_closure        a hook whose closure holds its own tensor (left to the cycle collector)
    saved_hooks         saved_tensors_hooks packing to NumPy and back
    grad_create_graph   autograd.grad with create_graph=True, then a second-order backward
"""

import argparse
import json
import os
import subprocess
import sys

CASES = ["mlp_function", "mlp_retain_graph", "hooks", "ctx_output", "hook_closure", "saved_hooks",
         "grad_create_graph"]
TARGET_MIB_PER_10K = 1.0


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def make_step(lib, case):
    """One iteration of `case` for lib (fngrad or torch); the state it keeps is fixed-size."""
    import numpy as np

    F = __import__(lib.__name__ + ".nn.functional", fromlist=["functional"])

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

    class StoresOutput(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.out = out
            return out

        @staticmethod
        def backward(ctx, g):
            return g * ctx.out

    rng = np.random.default_rng(0)
    W1 = lib.tensor(rng.standard_normal((64, 32)).astype(np.float32) * 0.2, requires_grad=True)
    b1 = lib.zeros(64, requires_grad=True)
    W2 = lib.tensor(rng.standard_normal((10, 64)).astype(np.float32) * 0.2, requires_grad=True)
    b2 = lib.zeros(10, requires_grad=True)
    params = [W1, b1, W2, b2]
    X = lib.tensor(rng.standard_normal((16, 32)).astype(np.float32))
    Y = lib.tensor(rng.integers(0, 10, 16))

    def sgd():
        with lib.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None

    if case in ("mlp_function", "mlp_retain_graph"):
        retain = case == "mlp_retain_graph"

        def step():
            h = MyReLU.apply(F.linear(X, W1, b1))
            loss = F.cross_entropy(F.linear(h, W2, b2), Y)
            loss.backward(retain_graph=retain)
            sgd()
        return step

    if case == "hooks":
        seen = []

        def step():
            x = lib.randn(8, requires_grad=True)
            y = x * 2
            z = y.tanh()
            h1 = y.register_hook(lambda g: g * 1.0)
            z.register_hook(lambda g: g + 0.0)
            z.grad_fn.register_prehook(lambda go: None)
            h2 = z.grad_fn.register_hook(lambda gi, go: None)
            x.register_post_accumulate_grad_hook(lambda p: seen.append(1))
            x.register_hook(lambda g: g)
            z.sum().backward()
            h1.remove()
            h2.remove()
            seen.clear()
        return step

    if case == "ctx_output":
        def step():
            x = lib.randn(8, requires_grad=True)
            StoresOutput.apply(x).sum().backward()
        return step

    if case == "hook_closure":
        def step():
            x = lib.randn(8, requires_grad=True)
            y = x * 2
            y.register_hook(lambda g: g + 0 * y.detach())
            y.sum().backward()
        return step

    if case == "saved_hooks":
        def pack(t):
            return t.detach().numpy().copy()

        def unpack(a):
            return lib.from_numpy(a)

        def step():
            x = lib.randn(8, requires_grad=True)
            with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
                y = (x * x).exp()
            y.sum().backward()
        return step

    if case == "grad_create_graph":
        def step():
            x = lib.randn(8, requires_grad=True)
            y = (x.tanh() * x).sum()
            (g,) = lib.autograd.grad(y, x, create_graph=True)
            g.sum().backward()
        return step

    raise ValueError(f"unknown case {case}")


def child(lib_name, case, iterations, warmup):
    lib = __import__(lib_name)
    if lib_name == "torch":
        lib.set_num_threads(1)
    step = make_step(lib, case)
    for _ in range(warmup):
        step()
    samples = []
    for i in range(iterations + 1):
        if i % 1000 == 0:
            samples.append((i, rss_bytes()))
        if i < iterations:
            step()
    print(json.dumps(samples))


def slope_per_10k(samples):
    n = len(samples)
    mx = sum(i for i, _ in samples) / n
    my = sum(r for _, r in samples) / n
    var = sum((i - mx) ** 2 for i, _ in samples)
    cov = sum((i - mx) * (r - my) for i, r in samples)
    return cov / var * 10_000 if var else 0.0


def have(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def run(libs, cases, iterations, warmup):
    """{(case, lib): (slope MiB/10k, total growth MiB)}"""
    results = {}
    for case in cases:
        for lib in libs:
            out = subprocess.run([sys.executable, __file__, "--child", lib, case, str(iterations), str(warmup)],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                results[(case, lib)] = None
                sys.stderr.write(f"{case} [{lib}] failed:\n{out.stderr[-2000:]}\n")
                continue
            samples = json.loads(out.stdout.strip().splitlines()[-1])
            growth = (samples[-1][1] - samples[0][1]) / 2**20
            results[(case, lib)] = (slope_per_10k(samples) / 2**20, growth)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--only", help="comma-separated cases")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]), int(args.child[3]))
        return 0
    cases = args.only.split(",") if args.only else CASES
    libs = ["fngrad"] + (["torch"] if not args.no_torch and have("torch") else [])
    print(f"# RSS growth per 10,000 iterations (least-squares slope, MiB) and total growth over "
          f"{args.iterations} iterations after {args.warmup} warm-up; target for fngrad < {TARGET_MIB_PER_10K} MiB/10k")
    header = f"{'case':<20}" + "".join(f"{lib + ' MiB/10k':>18}{lib + ' total':>14}" for lib in libs) + "  fngrad"
    print(header)
    failed = []
    results = run(libs, cases, args.iterations, args.warmup)
    for case in cases:
        line = f"{case:<20}"
        for lib in libs:
            r = results[(case, lib)]
            line += f"{'error':>18}{'':>14}" if r is None else f"{r[0]:>18.3f}{r[1]:>14.2f}"
        r = results[(case, "fngrad")]
        ok = r is not None and r[0] < TARGET_MIB_PER_10K
        line += "  ok" if ok else "  FAIL"
        if not ok:
            failed.append(case)
        print(line)
    if failed:
        print(f"# over target or failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
