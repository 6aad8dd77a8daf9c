"""The argument fuzzer's quick pass (stress/fuzz_args.py --per-op 2): every op of the op table
called with random kinds of arguments beside PyTorch, in child processes. It fails on a crash, a
hang, or a difference from PyTorch that the fuzzer does not list as known (with its reason)."""

import os
import pathlib
import subprocess
import sys

import fngrad
from conftest import requires_torch

ROOT = pathlib.Path(__file__).resolve().parent.parent


@requires_torch
def test_argument_fuzzer_quick_pass_agrees_with_pytorch():
    # The children import the fngrad this test runs against (an installed one, or python/ in a checkout).
    here = str(pathlib.Path(fngrad.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([here, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(ROOT / "stress" / "fuzz_args.py"), "--per-op", "2"],
                          capture_output=True, text=True, timeout=900, env=env)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:]
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " 0 differ" in summary and " 0 crashes" in summary, summary
