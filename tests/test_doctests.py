"""Every example in a public docstring runs, and prints what it says (the docs' examples are doctests)."""

import doctest
import importlib
import inspect
import os
import pkgutil
import pydoc
import sys

import numpy as np
import pytest

import fngrad
from fngrad import _C

# Modules whose examples need what CI may not have, or that are scripts rather than API.
SKIP_MODULES = {"fngrad._stubgen"}


def _modules():
    names = ["fngrad"]
    for info in pkgutil.walk_packages(fngrad.__path__, "fngrad."):
        if info.name not in SKIP_MODULES:
            names.append(info.name)
    return names


def _native_tests():
    """The examples of the native module's docstrings (functions, and TensorBase's methods)."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = []
    for name in dir(_C):
        obj = getattr(_C, name)
        if callable(obj) and not isinstance(obj, type) and obj.__doc__ and ">>>" in obj.__doc__:
            tests += finder.find(obj, f"fngrad._C.{name}", globs={"fngrad": fngrad, "np": np})
    for name, obj in vars(_C.TensorBase).items():
        doc = getattr(obj, "__doc__", None)
        if doc and ">>>" in doc:
            tests.append(doctest.DocTestParser().get_doctest(doc, {"fngrad": fngrad, "np": np},
                                                             f"fngrad.Tensor.{name}", None, 0))
    return tests


def _orphan_tests():
    """The examples that no module's walk reaches: Tensor methods an op family installs from
    ``_METHODS`` under another name or makes with a helper (the in-place forms of ``_inplace``), and
    names a module exports whose ``__module__`` does not hold them (``linalg.LinAlgError``, made in
    ``fngrad.linalg`` as ``fngrad._C._LinAlgError`` like PyTorch's)."""
    candidates = [(f"fngrad.Tensor.{name}", obj) for name, obj in vars(fngrad.Tensor).items()]
    for module in _modules():
        mod = importlib.import_module(module)
        candidates += [(f"{module}.{name}", obj) for name, obj in vars(mod).items() if not name.startswith("_")]
    tests, seen = [], set()
    for qualname, obj in candidates:
        fn = getattr(obj, "__func__", obj)
        doc = getattr(fn, "__doc__", None)
        if not ((inspect.isfunction(fn) or inspect.isclass(fn)) and isinstance(doc, str) and ">>>" in doc):
            continue
        home = sys.modules.get(fn.__module__)
        if getattr(home, fn.__name__, None) is fn or fn.__module__ == "fngrad._tensor" or id(fn) in seen:
            continue  # found with its module (a function, or a method of the Tensor class body)
        seen.add(id(fn))
        tests.append(doctest.DocTestParser().get_doctest(doc, {"fngrad": fngrad, "np": np}, qualname, None, 0))
    return tests


FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _run(test):
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    out = []
    fngrad.manual_seed(0)
    runner.run(test, out=out.append)
    return runner.failures, "".join(out)


@pytest.mark.parametrize("module", _modules())
def test_docstring_examples_of(module):
    if module.startswith("fngrad.distributed") and not importlib.import_module("fngrad.distributed").is_available():
        pytest.skip("the examples of fngrad.distributed run a one-rank MPI world: they need mpi4py")
    if module.startswith("fngrad.distributed") and os.environ.get("FNGRAD_SANITIZER_RUN"):
        pytest.skip("the examples of fngrad.distributed start MPI, left out of the sanitizer run (stress/sanitize.sh)")
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = [t for t in finder.find(mod, module, globs={"fngrad": fngrad, "np": np, **vars(mod)}) if t.examples]
    failed = []
    for test in tests:
        failures, report = _run(test)
        if failures:
            failed.append(report)
    assert not failed, "\n".join(failed)


def test_native_docstring_examples():
    failed = []
    for test in _native_tests():
        failures, report = _run(test)
        if failures:
            failed.append(report)
    assert not failed, "\n".join(failed)


def test_docstring_examples_no_module_walk_reaches():
    tests = _orphan_tests()
    names = {t.name for t in tests}
    assert {"fngrad.Tensor.cumsum_", "fngrad.linalg.LinAlgError"} <= names  # the walk reaches them
    failed = []
    for test in tests:
        failures, report = _run(test)
        if failures:
            failed.append(report)
    assert not failed, "\n".join(failed)


def test_every_native_op_has_a_docstring_with_a_runnable_example():
    # The docstrings of fngrad.<op> and Tensor.<op> come from the op table's entry (its `doc`); the
    # examples run in test_native_docstring_examples. The in-place method's example is derived
    # from the op's. (A few Tensor methods are Python over the native one, e.g. round(decimals=):
    # their own docstrings are checked with their modules.)
    missing = []
    base = _C.TensorBase
    for name in list(_C.unary_ops) + list(_C.binary_ops) + list(_C.ternary_ops):
        # (the methods PyTorch's Tensor lacks, Tensor.silu or maximum_, are not made: test_fuzz_findings checks which)
        forms = [(f"fngrad._C.{name}", getattr(fngrad._C, name))]  # special_<name>: fngrad.special.<name>
        if name in base.__dict__:
            forms.append((f"TensorBase.{name}", base.__dict__[name]))
        for qualname, obj in forms:
            doc = obj.__doc__ or ""
            spelled = f"special.{name[len('special_'):]}" if name.startswith("special_") else name
            if f">>> fngrad.{spelled}(" not in doc or not doc.split("\n")[0].strip():
                missing.append(qualname)
        if name + "_" not in base.__dict__:
            continue
        inplace = base.__dict__[name + "_"].__doc__ or ""
        if ">>> " not in inplace or f".{name}_(" not in inplace.split(">>> ", 1)[1].split("\n")[0]:
            missing.append(f"TensorBase.{name}_")
    assert not missing, f"native ops without a docstring example: {missing}"


def test_help_shows_the_signature_and_the_example():
    text = pydoc.render_doc(fngrad.relu, renderer=pydoc.plaintext)
    assert "relu(input, *, out=None)" in text
    assert "max(input, 0), elementwise." in text
    assert ">>> fngrad.relu(fngrad.tensor([-1., 0., 2.]))" in text
