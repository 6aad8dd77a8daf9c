"""Where the time of a large elementwise op goes: page faults of the fresh output against the kernel.

A 2^24-element float32 result is 64 MiB. glibc serves blocks that large with mmap and returns them
to the kernel on free, so every op that allocates its output touches 16,384 fresh 4 KiB pages, each
a minor fault that the kernel zero-fills before the kernel loop can write it. This script runs each
variant in its own child process (so one variant's heap does not serve the next) and reports, per
call: wall time, minor page faults (getrusage), and the system time the faults cost.

    python bench/pagefaults.py              # 2^24 float32, 15 calls per variant
    python bench/pagefaults.py --perf       # also run each child under `perf stat -e page-faults,task-clock`

Variants:
    numpy copy, fresh          a.copy(): the reference bandwidth of case 5
    numpy maximum, fresh       np.maximum(a, 0)
    numpy maximum, out=        np.maximum(a, 0, out=c): the same loop with no new pages
    fngrad relu                x.relu() (large blocks are cached and reused: no new pages)
    fngrad relu, no cache      the same with FNGRAD_CACHE_MB=0: every output is fresh
    torch relu                 torch.relu(x) (PyTorch's CPU allocator: fresh pages)
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

VARIANTS = {
    "numpy copy, fresh": ("numpy", {}),
    "numpy maximum, fresh": ("numpy", {}),
    "numpy maximum, out=": ("numpy", {}),
    "fngrad relu": ("fngrad", {}),
    "fngrad relu, no cache": ("fngrad", {"FNGRAD_CACHE_MB": "0"}),
    "torch relu": ("torch", {}),
}


def child(variant, size, calls):
    import numpy as np

    a = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    if variant == "numpy copy, fresh":
        op = a.copy
    elif variant == "numpy maximum, fresh":

        def op():
            return np.maximum(a, 0)
    elif variant == "numpy maximum, out=":
        out = np.empty_like(a)

        def op():
            return np.maximum(a, 0, out=out)
    elif variant.startswith("fngrad"):
        import fngrad

        fngrad.set_num_threads(1)
        x = fngrad.from_numpy(a)
        op = x.relu
    else:
        import torch

        torch.set_num_threads(1)
        x = torch.from_numpy(a)
        op = x.relu
    y = op()  # first call: allocator and cache warm
    del y
    times, faults, sys_times = [], [], []
    for _ in range(calls):
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        y = op()
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        del y
        times.append(t1 - t0)
        faults.append(r1.ru_minflt - r0.ru_minflt)
        sys_times.append(r1.ru_stime - r0.ru_stime)
    print(json.dumps({"times": times, "faults": faults, "sys": sys_times}))


def stats(values):
    s = sorted(values)
    return s[0], s[len(s) // 2], s[-1]


def have(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1 << 24)
    parser.add_argument("--calls", type=int, default=15)
    parser.add_argument("--perf", action="store_true", help="also run each child under perf stat")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return

    size = args.size
    mb = size * 4 / 2**20
    print(f"# {size} float32 elements: {mb:.0f} MiB per array, {size * 4 // 4096} pages of 4 KiB; "
          f"{args.calls} calls per variant, each variant in a fresh process; single-threaded kernels")
    print(f"{'variant':<26}{'ms/call, median (min-max)':>30}{'faults/call':>14}{'sys ms/call':>13}"
          f"{'us/fault':>10}{'GB/s (r+w)':>12}")
    rows = {}
    for variant, (lib, env) in VARIANTS.items():
        if lib != "numpy" and not have(lib):
            continue
        cmd = [sys.executable, __file__, "--child", variant, str(size), str(args.calls)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, env={**os.environ, **env})
        r = json.loads(out.stdout.strip().splitlines()[-1])
        t = stats([x * 1e3 for x in r["times"]])
        f = stats(r["faults"])[1]
        s = stats([x * 1e3 for x in r["sys"]])[1]
        rows[variant] = t
        per_fault = f"{s * 1e3 / f:.2f}" if f else "-"
        gbs = 8 * size / (t[1] / 1e3) / 1e9
        print(f"{variant:<26}{f'{t[1]:.2f} ({t[0]:.2f}-{t[2]:.2f})':>30}{f:>14}{s:>13.2f}{per_fault:>10}{gbs:>12.1f}")
        if args.perf and shutil.which("perf"):
            perf = subprocess.run(["perf", "stat", "-x,", "-e", "page-faults,task-clock"] + cmd,
                                  capture_output=True, text=True, env={**os.environ, **env})
            counters = [line.split(",") for line in perf.stderr.splitlines() if "," in line]
            summary = ", ".join(f"{c[2]}={c[0]}" for c in counters if len(c) > 2)
            print(f"    perf stat (whole child, incl. start-up): {summary}")
    fresh, reused = rows.get("numpy maximum, fresh"), rows.get("numpy maximum, out=")
    if fresh and reused:
        print(f"\nnumpy maximum: a fresh output costs {fresh[1] - reused[1]:.2f} ms more per call than writing into "
              f"an existing one ({(fresh[1] - reused[1]) / fresh[1] * 100:.0f}% of the fresh call).")


if __name__ == "__main__":
    main()
