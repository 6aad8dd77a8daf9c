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
