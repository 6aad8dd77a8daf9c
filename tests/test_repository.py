"""The repository's promises: README's commands are what CI runs."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def readme_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```\n(.+?)\n```", section)


def test_readme_gives_exactly_two_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert "bench/throughput.py" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_commands()[1] in ci


def test_the_version_is_written_once_and_the_package_metadata_reads_it():
    import importlib.metadata

    import fngrad

    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^dynamic = \["version"\]', project, re.M)
    assert not re.search(r"^version\s*=", project, re.M)
    # Where fngrad is installed (CI's venvs), the wheel's metadata must give the same version.
    try:
        dist = importlib.metadata.distribution("fngrad")
    except importlib.metadata.PackageNotFoundError:
        return
    if pathlib.Path(fngrad.__file__).resolve().is_relative_to(pathlib.Path(dist.locate_file("")).resolve()):
        assert dist.version == fngrad.__version__


def test_the_declared_license_is_shipped():
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'license = { text = "BSD-3-Clause" }' in project
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("BSD 3-Clause License")
    assert (ROOT / "python" / "fngrad" / "py.typed").exists()


def _tool(name):
    """The command-line tool `name` of this interpreter's environment (or PATH), or None."""
    import shutil
    import sys

    here = pathlib.Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)


def test_the_python_tree_is_clean_under_the_ruff_configuration():
    # pyproject.toml's [tool.ruff] is the Python style; CI's oracle phase installs ruff.
    import subprocess

    import pytest

    ruff = _tool("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install ruff==0.17.6; CI's oracle phase has it)")
    run = subprocess.run([ruff, "check", "--no-cache", "python", "tests", "bench", "stress", "examples"], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_cpp_tree_is_formatted_by_its_clang_format():
    # .clang-format is the C++ style; CI's oracle phase installs the pinned clang-format from PyPI (another
    # version may format differently, so only that one is held to it).
    import subprocess

    import pytest

    tool = _tool("clang-format")
    if tool is None:
        pytest.skip("clang-format is not installed (pip install clang-format==23.1.3; CI's oracle phase has it)")
    version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    if "version 23." not in version:
        pytest.skip(f"the tree is formatted by clang-format 23, not {version.strip()}")
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "csrc").glob("*/*") if p.suffix in (".h", ".cpp"))
    run = subprocess.run([tool, "--dry-run", "--Werror", *files], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
