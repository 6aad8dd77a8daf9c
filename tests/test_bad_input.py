"""Bad input: fngrad raises PyTorch's exception type with a message naming the op, never crashes, and
stays usable afterwards.

Every case (in ``bad_input_cases.py``) is a function of ``lib`` and runs in a child process, against
fngrad and then, in the same process, against PyTorch (when installed) as the oracle; a fresh forward
and backward through fngrad follows. A few children (importing PyTorch is slow) run many cases each,
in parallel; a child that dies (segfault, abort) or hangs is restarted after the case it died in,
which is reported as a crash of that case.

Run: ``python -m pytest -q tests/test_bad_input.py`` (about 30 s on 2 cores).

Known deviations (``KNOWN_DEVIATIONS``) are marked ``xfail(strict=True)`` with the reason, so that a
fix makes the case XPASS and fail: then remove its entry.
"""

from __future__ import annotations

import collections
import concurrent.futures
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

from bad_input_cases import CASES

HAS_TORCH = importlib.util.find_spec("torch") is not None
DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bad_input_cases.py")
CHILDREN_PER_WORKER = 2  # importing PyTorch costs seconds per child: few children, many cases each
CHILD_TIMEOUT = 120  # seconds for one child (a batch of cases; all of them take about a second)

# Deviations from PyTorch found by this suite: bugs to fix in fngrad. case name -> what is wrong.
KNOWN_DEVIATIONS: dict[str, str] = {}


def _run_children(names, driver=DRIVER, timeout=CHILD_TIMEOUT):
    """Runs ``names`` in child processes; {name: result dict} (a crash or hang gives {"crashed": ...})."""
    results = {}
    remaining = list(names)
    while remaining:
        timed_out = False
        try:
            proc = subprocess.run([sys.executable, driver, *remaining], capture_output=True, text=True,
                                  timeout=timeout)
            out, err, rc = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
            rc, timed_out = None, True
        started = None
        new = 0
        for line in out.splitlines():
            if line.startswith("START "):
                started = line[len("START "):]
            elif line.startswith("RESULT "):
                r = json.loads(line[len("RESULT "):])
                results[r["name"]] = r
                started = None
                new += 1
        if started is None and "DONE" not in out and rc != 3 and new == 0:
            started = remaining[0]  # the child died before its first case: blame it, to make progress
        if started is not None:
            how = f"timed out after {timeout}s" if timed_out else f"exit code {rc}"
            if rc is not None and rc < 0:
                how = f"killed by signal {-rc}"
            results[started] = {"name": started, "crashed": f"{how}; stderr: {err[-1500:]}"}
        remaining = [n for n in remaining if n not in results]
    return results


def _selected_names(session):
    names = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if item.module.__name__ == __name__ and callspec is not None and "name" in callspec.params:
            names.append(callspec.params["name"])
    return names or list(CASES)


@pytest.fixture(scope="module")
def results(request):
    names = _selected_names(request.session)
    workers = max(2, os.cpu_count() or 2)
    size = max(8, -(-len(names) // (workers * CHILDREN_PER_WORKER)))
    batches = [names[i:i + size] for i in range(0, len(names), size)]
    out = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for part in pool.map(_run_children, batches):
            out.update(part)
    return out


def _names_the_op(message, tokens):
    for token in tokens:
        if re.fullmatch(r"\w+", token):
            # A whole word (a plural or an in-place form counts): "sum" is in "[sum]", not in "summed".
            if re.search(rf"(?<![A-Za-z0-9_]){re.escape(token)}s?(?![A-Za-z0-9])", message, re.IGNORECASE):
                return True
        elif token.lower() in message.lower():
            return True
    return False


def problems_of(case, r):
    """What is wrong with fngrad's behaviour in one case's result (empty when nothing)."""
    if "crashed" in r:
        return [f"the process crashed in this case: {r['crashed']}"]
    found = []
    fn, th = r["fngrad"], r.get("torch")
    fn_desc = "nothing" if fn is None else f"{fn['type']}: {fn['message']}"
    th_desc = "nothing" if th is None else f"{th['type']}: {th['message']}"
    if case.expect == "raise":
        if fn is None:
            found.append(f"fngrad raised nothing (PyTorch raised {th_desc})")
        elif case.user_exc is not None:
            # The user's own exception must reach the caller with its type (PyTorch may wrap it).
            if fn["type"] != case.user_exc:
                found.append(f"fngrad raised {fn_desc}, expected the user's {case.user_exc}")
        elif r["has_torch"]:
            if th is None:
                found.append(f"case is mis-specified: PyTorch raised nothing (fngrad raised {fn_desc})")
            elif fn["type"] != th["type"]:
                found.append(f"exception type differs: fngrad raised {fn_desc} | PyTorch raised {th_desc}")
        if fn is not None and not _names_the_op(fn["message"], case.tokens):
            found.append(f"message does not name the op (any of {list(case.tokens)}): {fn['message']!r} "
                         f"(PyTorch: {th_desc})")
    else:
        if fn is not None:
            found.append(f"fngrad raised {fn_desc} (PyTorch raised {th_desc})")
        elif r["has_torch"] and th is not None:
            found.append(f"case is mis-specified: PyTorch raised {th_desc}")
        for key in ("compare_torch", "compare_numpy"):
            if r.get(key):
                found.append(f"wrong result {r[key]}")
    if r["usable"] is not None:
        found.append(f"fngrad is unusable afterwards: {r['usable']}")
    return found


def _param(name):
    if name in KNOWN_DEVIATIONS:
        # Strict: a fix makes the case pass, and then the mark must go. (Without PyTorch, the
        # deviations that only the comparison with PyTorch shows cannot be seen: not strict then.)
        mark = pytest.mark.xfail(strict=HAS_TORCH, reason=KNOWN_DEVIATIONS[name])
        return pytest.param(name, marks=mark)
    return name


@pytest.mark.parametrize("name", [_param(n) for n in CASES])
def test_bad_input(name, results):
    problems = problems_of(CASES[name], results[name])
    assert not problems, f"[{CASES[name].category}] {name}:\n  " + "\n  ".join(problems)


def test_case_coverage():
    assert len(CASES) >= 150
    per_category = collections.Counter(c.category for c in CASES.values())
    assert len(per_category) >= 12, per_category
    assert min(per_category.values()) >= 5, per_category
    assert all(c.tokens for c in CASES.values() if c.expect == "raise")
    assert set(KNOWN_DEVIATIONS) <= set(CASES)


FAKE_DRIVER = """
import json, os, sys, time
for name in sys.argv[1:]:
    print("START", name, flush=True)
    if name.startswith("abort"):
        os.abort()
    if name.startswith("hang"):
        time.sleep(60)
    print("RESULT", json.dumps({"name": name}), flush=True)
print("DONE", flush=True)
"""


def test_the_harness_sees_crashes_and_hangs(tmp_path):
    """A child that aborts or hangs in a case is reported as crashing in that case, and the cases
    after it still run (in a fresh child)."""
    driver = tmp_path / "driver.py"
    driver.write_text(FAKE_DRIVER)
    results = _run_children(["a", "abort1", "b", "hang", "c", "abort2"], driver=str(driver), timeout=5)
    assert set(results) == {"a", "abort1", "b", "hang", "c", "abort2"}
    assert "signal 6" in results["abort1"]["crashed"] and "signal 6" in results["abort2"]["crashed"]
    assert "timed out" in results["hang"]["crashed"]
    assert all("crashed" not in results[n] for n in "abc")
