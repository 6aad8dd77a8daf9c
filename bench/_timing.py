"""Timing helpers shared by the benchmarks: repeats, statistics, JSON lines and a table."""

from __future__ import annotations

import gc
import json
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field


@dataclass
class Result:
    case: str            # what is measured, e.g. "myrelu_chain_fwd"
    library: str         # "fngrad", "numpy", "torch"
    unit: str            # "us/node", "GB/s", ...
    median: float
    min: float
    max: float
    repeats: int
    higher_is_better: bool = False
    extra: dict = field(default_factory=dict)


def measure(fn, repeats: int, warmup: int = 1, setup=None):
    """Seconds per call of fn() over `repeats` runs (after `warmup`), GC off while timing.

    setup(), when given, runs before every call outside the timed region and its result is
    passed to fn.
    """
    times = []
    for i in range(warmup + repeats):
        arg = setup() if setup is not None else None
        gc_was = gc.isenabled()
        gc.disable()
        try:
            t0 = time.perf_counter()
            fn(arg) if setup is not None else fn()
            dt = time.perf_counter() - t0
        finally:
            if gc_was:
                gc.enable()
        if i >= warmup:
            times.append(dt)
    return times


def interleaved(cases, rounds: int, repeats: int, warmup: int = 1) -> dict:
    """Seconds per call for each case, name -> (setup or None, fn) as for `measure`: the cases take
    turns within each of `rounds` rounds, so that the machine's load falls on all of them alike."""
    times = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (setup, fn) in cases.items():
            times[name] += measure(fn, repeats=repeats, warmup=warmup, setup=setup)
    return times


def ratio_table(times: dict, unit: str = "ms", digits: int = 2) -> str:
    """Each library's min/median/max per step in `unit` ('ms' or 'us') and its median over the first
    library's (above 1: the first is faster)."""
    scale = {"ms": 1e3, "us": 1e6}[unit]
    width = max(10, max(len(name) for name in times) + 1)
    first = statistics.median(next(iter(times.values())))
    lines = [f"{'library':<{width}} {'min':>9} {'median':>9} {'max':>9}  ({unit}/step)  ratio vs {next(iter(times))}"]
    for name, ts in times.items():
        v = [t * scale for t in ts]
        lines.append(f"{name:<{width}} {min(v):9.{digits}f} {statistics.median(v):9.{digits}f} {max(v):9.{digits}f}  "
                     f"{statistics.median(ts) / first:14.2f}x")
    return "\n".join(lines)


def summarize(case, library, unit, values, higher_is_better=False, **extra) -> Result:
    return Result(case, library, unit, statistics.median(values), min(values), max(values), len(values),
                  higher_is_better, extra)


def machine_info() -> dict:
    import os

    info = {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def write_jsonl(results, path):
    with open(path, "a") as f:
        for r in results:
            f.write(json.dumps(asdict(r)) + "\n")


def format_table(results) -> str:
    """One row per case: each library's median (min-max), and fngrad's ratio to PyTorch and NumPy."""
    cases = {}
    for r in results:
        cases.setdefault(r.case, {})[r.library] = r
    libs = ["fngrad", "numpy", "torch"]
    header = f"{'case':34s} {'unit':8s}" + "".join(f"{lib:>26s}" for lib in libs) + f"{'fngrad/torch':>14s}{'fngrad/numpy':>14s}"
    lines = [header, "-" * len(header)]
    for case, by_lib in cases.items():
        unit = next(iter(by_lib.values())).unit
        row = f"{case:34s} {unit:8s}"
        for lib in libs:
            r = by_lib.get(lib)
            row += f"{'-':>26s}" if r is None else f"{r.median:>10.3f} ({r.min:.3f}-{r.max:.3f})".rjust(26)
        for base in ("torch", "numpy"):
            if "fngrad" in by_lib and base in by_lib and by_lib[base].median > 0:
                row += f"{by_lib['fngrad'].median / by_lib[base].median:>14.3f}"
            else:
                row += f"{'-':>14s}"
        lines.append(row)
    return "\n".join(lines)
