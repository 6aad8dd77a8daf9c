"""The package's structure: no import cycles in python/fngrad, the Python callbacks that C++ needs
are registered at import, and the C++ directories are layers (core <- autograd <- ops <- python).

See docs/architecture.md, "Layers and callbacks".
"""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fngrad

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "python" / "fngrad"
CSRC = ROOT / "csrc"

# Function-local imports of fngrad modules that stay, each with the reason (a cycle that forces
# it, or a deliberate delay). Keyed by (importing module, imported module). Empty: there are none.
LOCAL_IMPORT_ALLOW_LIST: dict = {}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict:
    return {_module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(importer: str, node) -> list:
    """The fngrad modules an import statement names (a submodule named in `from x import name`
    counts as imported)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name == "fngrad" or a.name.startswith("fngrad.")]
    if node.level == 0:
        base = node.module or ""
        if base != "fngrad" and not base.startswith("fngrad."):
            return []
    else:
        package = importer if _is_package(importer) else importer.rpartition(".")[0]
        parts = package.split(".")
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    targets = [base]
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if sub in MODULES or sub == "fngrad._C":
            targets.append(sub)
    return targets


def _is_type_checking_block(node) -> bool:
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING"))


def _imports(name: str):
    """(module-level imports, function-local imports) of a module, as lists of (target, line).
    Class bodies run at import, so their imports count as module-level; `if TYPE_CHECKING:`
    blocks never run."""
    tree = ast.parse(MODULES[name].read_text(), filename=str(MODULES[name]))
    top, local = [], []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if _is_type_checking_block(child):
                for c in child.orelse:
                    visit_one(c, in_function)
                continue
            visit_one(child, in_function)

    def visit_one(child, in_function):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            for target in _resolve(name, child):
                (local if in_function else top).append((target, child.lineno))
        else:
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return top, local


def _graph(with_local: bool = False) -> dict:
    """Module-level import edges between fngrad's modules (with_local: function-local ones too). Importing fngrad.a.b also runs
    fngrad/a/__init__.py, so that package is an edge too, unless the importer is inside it (its
    __init__ is then already running). The root package is left out: it always runs first, and
    it imports everything."""
    graph = {}
    for name in MODULES:
        edges = set()
        top, local = _imports(name)
        for target, _ in top + (local if with_local else []):
            parts = target.split(".")
            for k in range(2, len(parts) + 1):
                dep = ".".join(parts[:k])
                if dep == name or dep not in MODULES:
                    continue
                if name.startswith(dep + "."):
                    continue  # an ancestor package of the importer: already initializing
                edges.add(dep)
        graph[name] = edges
    return graph


def _find_cycle(graph: dict):
    state, stack = {}, []

    def dfs(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                cycle = dfs(m)
                if cycle:
                    return cycle
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            cycle = dfs(n)
            if cycle:
                return cycle
    return None


def test_module_level_import_graph_is_acyclic():
    graph = _graph()
    # The check sees the package: the modules it must know, with edges where they are known to be.
    assert {"fngrad._tensor", "fngrad._creation", "fngrad.autograd", "fngrad.autograd.function"} <= set(graph)
    assert "fngrad.autograd.function" in graph["fngrad.autograd"]
    assert "fngrad.autograd" in graph["fngrad.nn.functional"]  # via fngrad.autograd.function
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_cycle_through_function_local_imports_either():
    # A function-local import hides a cycle from the module-level graph (the three cycles there
    # were: _creation <-> _tensor, autograd <-> gradcheck/functional, function <-> graph).
    cycle = _find_cycle(_graph(with_local=True))
    assert cycle is None, "import cycle through a function-local import: " + " -> ".join(cycle)


def test_cycle_finder_finds_a_cycle():
    # The acyclicity check above can fail: a graph with a cycle is reported with the cycle.
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_function_local_imports_of_fngrad_modules():
    found = []
    for name in MODULES:
        for target, line in _imports(name)[1]:
            if (name, target) not in LOCAL_IMPORT_ALLOW_LIST:
                found.append(f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}")
    assert not found, "function-local imports (hoist them, or allow-list them with the reason):\n" + "\n".join(found)


def test_each_module_imports_first_in_a_fresh_interpreter():
    # One interpreter per module, each importing that module before any other; eight at a time, so
    # that ~200 modules under the sanitizer build (~320 MB per interpreter) stay within memory.
    # The fngrad these tests import (installed, or the source tree on PYTHONPATH with a built _C),
    # from a neutral directory.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(fngrad.__file__).parent.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    names = sorted(MODULES)
    failures = []
    for start in range(0, len(names), 8):
        procs = {
            name: subprocess.Popen(
                [sys.executable, "-c", f"import importlib; print(importlib.import_module({name!r}).__name__)"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                cwd=Path(fngrad.__file__).parent.parent)
            for name in names[start:start + 8]
        }
        for name, p in procs.items():
            out, err = p.communicate(timeout=300)
            if p.returncode != 0 or out.strip() != name:
                failures.append(f"import {name} first: exit {p.returncode}\n{err}")
    assert not failures, "\n".join(failures)


# ---- Python callbacks (Note [Python callbacks], csrc/core/py_callbacks.h) ----

CALLBACKS = dict(
    bind_kwargs=fngrad.autograd.function._bind_kwargs,
    index_positions=fngrad._indexing.positions,
    forward_jvp=fngrad.autograd.forward_ad._forward_jvp,
    function_forward_ad=fngrad.autograd.forward_ad._function_forward_ad,
)


def test_register_callbacks_requires_every_callback():
    partial = dict(CALLBACKS)
    del partial["bind_kwargs"]
    with pytest.raises(TypeError, match="missing callback 'bind_kwargs'"):
        fngrad._C._register_callbacks(**partial)
    with pytest.raises(TypeError, match="unknown callback 'positions'"):
        fngrad._C._register_callbacks(positions=fngrad._indexing.positions, **CALLBACKS)
    with pytest.raises(TypeError, match="'index_positions' must be callable, got int"):
        fngrad._C._register_callbacks(**dict(CALLBACKS, index_positions=3))
    # A refused registration changes nothing: the three callbacks still work.
    fngrad._C._register_callbacks(**CALLBACKS)
    x = fngrad.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert x.clamp(min=fngrad.tensor([2.0, 3.0])).tolist() == [[2.0, 5.0], [3.0, 3.0]]
    assert x[[1, 0], [0, 1]].tolist() == [3.0, 5.0]

    class Scale(fngrad.autograd.Function):
        @staticmethod
        def forward(ctx, t, factor=1.0):
            return t * factor

        @staticmethod
        def backward(ctx, g):
            return g, None

    assert Scale.apply(x, factor=2.0).tolist() == [[2.0, 10.0], [6.0, 4.0]]


def test_cpp_calls_the_registered_callback():
    # C++ calls what was registered, not a function it looks up by name.
    calls = []

    def positions(shape, index):
        calls.append((shape, index))
        return CALLBACKS["index_positions"](shape, index)

    fngrad._C._register_callbacks(**dict(CALLBACKS, index_positions=positions))
    try:
        x = fngrad.arange(6).reshape(2, 3)
        assert x[[0, 1], [2, 0]].tolist() == [2, 3]
        assert calls and calls[0][0] == (2, 3)
    finally:
        fngrad._C._register_callbacks(**CALLBACKS)


# ---- C++ layers ----

# core <- autograd <- ops <- python: a directory includes only from its own layer or below.
LAYERS = ["core", "autograd", "ops", "python"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)


def _upward_includes(root: Path) -> list:
    bad = []
    for path in sorted(root.glob("*/*")):
        if path.suffix not in (".h", ".cpp") or path.parent.name not in LAYERS:
            continue
        own = LAYERS.index(path.parent.name)
        for m in INCLUDE.finditer(path.read_text()):
            target = m.group(1)
            if not (root / target).is_dir():
                continue  # not fngrad's (CPython's "internal/pycore_frame.h")
            if target not in LAYERS:
                bad.append(f"{path.relative_to(root)} includes from {target}/, which has no place in LAYERS")
            elif LAYERS.index(target) > own:
                bad.append(f"{path.relative_to(root)} includes {m.group(0).split('include')[1].strip()}")
    return bad


def test_csrc_directories_are_layers():
    dirs = sorted(p.name for p in CSRC.iterdir() if p.is_dir())
    assert dirs == sorted(LAYERS), f"a new csrc directory needs a place in LAYERS: {dirs}"
    bad = _upward_includes(CSRC)
    assert not bad, "includes that go up a layer:\n" + "\n".join(bad)


def test_layer_check_catches_an_upward_include(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "ops").mkdir()
    (tmp_path / "core" / "a.cpp").write_text('#include "core/b.h"\n#include "ops/ops.h"\n')
    (tmp_path / "ops" / "c.cpp").write_text('#include "core/a.h"\n#include "ops/d.h"\n')
    assert _upward_includes(tmp_path) == ['core/a.cpp includes "ops/ops.h"']
