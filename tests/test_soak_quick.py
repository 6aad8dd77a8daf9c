"""A short run of stress/soak.py (fngrad only): graphs built and dropped thousands of times do not
grow the resident set. The long run, with PyTorch beside it, is `python stress/soak.py`."""

import os
import subprocess
import sys

SOAK = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "stress", "soak.py")


def test_soak_quick():
    out = subprocess.run([sys.executable, SOAK, "--iterations", "3000", "--warmup", "500", "--no-torch"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [line for line in out.stdout.splitlines() if line.endswith(" ok")]
    assert len(rows) == 7, out.stdout
