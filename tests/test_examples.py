"""examples/digits.py runs as a user runs it (a fresh interpreter, its own command line) and reaches
the accuracy it promises; the same file with ``import torch`` instead of ``import fngrad as torch``
runs on PyTorch (the example is PyTorch code). Skips cleanly without scikit-learn, which only the
``examples`` extra installs."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fngrad
from conftest import requires_torch

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "digits.py"
IMPORT_LINE = "import fngrad as torch\n"

requires_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                      reason="scikit-learn is not installed (pip install '.[examples]')")


def run_example(script, tmp_path, *args):
    """Runs the script in tmp_path; returns {model: accuracy} parsed from what it prints."""
    # One thread each for fngrad, PyTorch and NumPy's BLAS: with the test suite's other processes on a
    # small machine, spinning BLAS threads slow tiny matrix products by an order of magnitude.
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
        [str(Path(fngrad.__file__).parent.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return {m: float(a) for m, a in re.findall(r"^(\w+): test accuracy ([0-9.]+)", proc.stdout, re.M)}, proc.stdout


@requires_sklearn
def test_digits_mlp_reaches_95_percent(tmp_path):
    acc, out = run_example(EXAMPLE, tmp_path, "--model", "mlp", "--epochs", "12", "--plot", "curves.png")
    assert set(acc) == {"mlp"}, out
    assert acc["mlp"] >= 0.95, out
    if importlib.util.find_spec("matplotlib") is not None:
        png = (tmp_path / "curves.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), out
    else:
        assert "matplotlib is not installed" in out


@requires_sklearn
def test_digits_cnn_one_epoch_learns(tmp_path):
    acc, out = run_example(EXAMPLE, tmp_path, "--model", "cnn", "--epochs", "1", "--plot", "none")
    assert set(acc) == {"cnn"}, out
    assert acc["cnn"] >= 0.5, out  # chance is 0.1; one epoch gets about 0.75
    assert not (tmp_path / "digits.png").exists()


@requires_sklearn
@requires_torch
def test_digits_is_pytorch_code(tmp_path):
    source = EXAMPLE.read_text()
    assert source.count(IMPORT_LINE) == 1
    script = tmp_path / "digits_torch.py"
    script.write_text(source.replace(IMPORT_LINE, "import torch\n"))
    acc, out = run_example(script, tmp_path, "--model", "both", "--epochs", "1", "--plot", "none")
    assert set(acc) == {"mlp", "cnn"}, out
    assert min(acc.values()) >= 0.5, out
