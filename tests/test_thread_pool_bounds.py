"""set_num_threads with a huge count: no abort, no thousand spinning workers (Note [Pool size]).

Each check runs in a child process: before the fix, ``set_num_threads(1000)`` and a large kernel
killed the process with SIGABRT. PyTorch's behaviour is the expectation: ``get_num_threads()``
returns the count that was set, the kernel's values are right, ``set_num_threads(0)`` raises
RuntimeError("set_num_threads expects a positive integer").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import requires_torch

CHILD = r"""
import json, math, os, sys
import fngrad
fngrad.set_num_threads(1000)
y = fngrad.ones(2 ** 22).exp()   # large enough to run on the pool
z = (fngrad.ones(2 ** 22) * 2).sum()
threads = int([l for l in open("/proc/self/status") if l.startswith("Threads:")][0].split()[1])
print(json.dumps({"n": fngrad.get_num_threads(), "first": y[:2].tolist(), "last": y[-1].item(),
                  "sum": z.item(), "threads": threads}))
"""


def _run(code):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)


def test_set_num_threads_1000_then_large_kernel_in_child():
    proc = _run(CHILD)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["n"] == 1000  # PyTorch's get_num_threads returns what was set
    e = float(__import__("numpy").float32(2.718281828459045))
    assert out["first"] == pytest.approx([e, e]) and out["last"] == pytest.approx(e)
    assert out["sum"] == 2.0 * 2 ** 22
    # The pool starts at most 2 workers per CPU; the rest are the interpreter's and BLAS's own.
    cpus = os.cpu_count() or 1
    assert out["threads"] <= 2 * cpus + 2 * cpus + 8, out["threads"]


def test_set_num_threads_zero_raises_runtime_error():
    import fngrad

    before = fngrad.get_num_threads()
    with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
        fngrad.set_num_threads(0)
    with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
        fngrad.set_num_threads(-3)
    assert fngrad.get_num_threads() == before


@requires_torch
def test_set_num_threads_zero_wording_is_torchs():
    code = ("import torch\ntry:\n    torch.set_num_threads(0)\nexcept RuntimeError as e:\n"
            "    print(str(e).splitlines()[0])\n")
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "set_num_threads expects a positive integer" in proc.stdout
