"""PyTorch's OpInfo database through fngrad (tests/opinfo/runner.py): nothing crashes, and every
entry that STATUS.md records as passing still equals PyTorch on every sample."""

import importlib.util
import json
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import requires_torch

HERE = pathlib.Path(__file__).resolve().parent

requires_expecttest = pytest.mark.skipif(importlib.util.find_spec("expecttest") is None,
                                         reason="expecttest is not installed (PyTorch's op_db imports it)")


def recorded(status):
    text = (HERE / "STATUS.md").read_text(encoding="utf-8")
    return set(re.findall(rf"^\| (\S+) \| {status} \|", text, re.M))


@requires_torch
@requires_expecttest
def test_every_opinfo_entry_runs_without_a_crash_and_the_recorded_passes_hold(tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, str(HERE / "runner.py"), "--json", str(out), "--no-write"],
                          capture_output=True, text=True, timeout=3000)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(out.read_text())["results"]
    crashed = sorted(eid for eid, r in results.items() if r["status"] == "crash")
    assert not crashed, f"entries that kill or hang the process: {crashed}"
    regressed = {eid: results.get(eid, {"status": "absent", "first": ""}) for eid in recorded("pass")}
    regressed = {eid: f"{r['status']}: {r['first']}" for eid, r in regressed.items() if r["status"] != "pass"}
    assert not regressed, f"entries STATUS.md records as passing that no longer pass: {regressed}"
