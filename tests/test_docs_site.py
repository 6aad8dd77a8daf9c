"""The documentation site builds with warnings as errors (`mkdocs build --strict`), and the examples
in the user guide's pages run and print what they say. The build needs the `docs` extra
(`pip install ".[docs]"`) and skips cleanly without it."""

import doctest
import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

import fngrad

ROOT = pathlib.Path(__file__).resolve().parent.parent
GUIDE_PAGES = sorted((ROOT / "docs" / "guide").glob("*.md"))


def _importable(module):
    try:  # find_spec of "a.b" imports "a", and raises when "a" is missing
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _missing(*modules):
    return [m for m in modules if not _importable(m)]


@pytest.mark.skipif(bool(_missing("mkdocs", "mkdocstrings", "mkdocstrings_handlers.python", "material")),
                    reason="the docs extra is not installed (pip install '.[docs]')")
def test_the_site_builds_in_strict_mode(tmp_path):
    # The API reference imports fngrad as this interpreter does: the package under test.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    reference = (tmp_path / "api" / "fngrad" / "index.html").read_text(encoding="utf-8")
    # The native ops' docstrings (from the op table) made it into the reference, as code.
    assert 'id="fngrad.relu"' in reference and "max(input, 0), elementwise." in reference


@pytest.mark.parametrize("page", GUIDE_PAGES, ids=[p.stem for p in GUIDE_PAGES])
def test_user_guide_examples_run(page):
    result = doctest.testfile(str(page), module_relative=False, globs={"fngrad": fngrad},
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{page.name}: {result.failed} of {result.attempted} examples failed (see above)"
