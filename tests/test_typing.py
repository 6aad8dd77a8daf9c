"""Type information ships with the package: py.typed, a stub of the native module that matches the
built module, and stubs of the modules whose names are made at import (regenerate them with
`python -m fngrad._stubgen` after changing a signature or a public name); `mypy --strict` accepts the
examples and tests/typed_usage.py."""

import importlib.util
import inspect
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import fngrad
from fngrad import _C, _stubgen

PKG = pathlib.Path(fngrad.__file__).resolve().parent


def test_the_package_is_marked_typed_and_ships_the_stubs():
    assert (PKG / "py.typed").exists()
    assert (PKG / "_C.pyi").exists()
    assert all(path.exists() for path in _stubgen.render_modules())


def test_the_native_stub_matches_the_built_module():
    assert (PKG / "_C.pyi").read_text(encoding="utf-8") == _stubgen.render(), (
        "fngrad/_C.pyi is out of date: run `python -m fngrad._stubgen` and commit it")


def test_the_module_stubs_match_the_live_modules():
    stubs = _stubgen.render_modules()
    assert PKG / "__init__.pyi" in stubs and PKG / "_tensor.pyi" in stubs
    stale = [str(path.relative_to(PKG)) for path, text in stubs.items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    assert not stale, f"out of date: {stale}: run `python -m fngrad._stubgen` and commit them"


def test_the_stubs_name_the_public_api():
    top = (PKG / "__init__.pyi").read_text(encoding="utf-8")
    # Every name of fngrad.__all__ (computed at import, partly through globals()) is in the stub.
    for name in fngrad.__all__:
        assert f" as {name}\n" in top or f"def {name}(" in top or f"class {name}" in top or f"\n{name}: " in top \
            or f"\n{name} = " in top, name
    tensor = (PKG / "_tensor.pyi").read_text(encoding="utf-8")
    # Methods the op families install on Tensor at import, with their signatures.
    assert "    def sort(self, dim: Any = ..., descending: Any = ..., stable: Any = ...) -> Any: ..." in tensor
    assert "    def cumsum(" in tensor and "    def addcmul_(" not in tensor  # addcmul_ is native: _C.pyi
    assert "    def addcmul_(self" in (PKG / "_C.pyi").read_text(encoding="utf-8")


def _mypy(*args):
    root = pathlib.Path(__file__).resolve().parent.parent
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *args], cwd=root,
                          capture_output=True, text=True, timeout=600)


_requires_mypy = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                    reason="mypy is not installed (the CI's oracle run installs it)")


@_requires_mypy
def test_mypy_strict_accepts_the_examples_and_typed_usage():
    result = _mypy("examples", "tests/typed_usage.py")
    assert result.returncode == 0, result.stdout + result.stderr


@_requires_mypy
def test_mypy_strict_sees_through_the_stubs():
    # The stubs are read, not Any: a misspelt function, a missing Tensor method and a wrong call are errors.
    program = "\n".join([
        "import fngrad",
        "x = fngrad.randn(2, 3)",
        "fngrad.rnadn(2)",
        "x.no_such_method()",
        "fngrad.optim.SGD(x, lr=0.1, no_such_keyword=1)",
        "y: int = fngrad.float32",
    ])
    result = _mypy("-c", program)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert 'Module has no attribute "rnadn"' in out, out
    assert '"Tensor" has no attribute "no_such_method"' in out, out
    assert 'Unexpected keyword argument "no_such_keyword"' in out, out
    assert 'expression has type "dtype", variable has type "int"' in out, out


def test_the_stub_names_every_public_native_callable_with_its_signature():
    stub = (PKG / "_C.pyi").read_text(encoding="utf-8")
    for name in list(_C.unary_ops) + list(_C.binary_ops) + list(_C.ternary_ops):
        params = [p for p in inspect.signature(getattr(_C, name)).parameters]
        line = next(line for line in stub.splitlines() if line.startswith(f"def {name}("))
        assert all(f"{p}: Any" in line for p in params), line
        assert line.endswith("-> Tensor: ..."), line
    assert "def add(input: Any, other: Any, *, alpha: Any = ..., out: Any = ...) -> Tensor: ..." in stub


def _public_callables():
    """(qualified name, callable) for every public callable of fngrad and of fngrad.Tensor."""
    for owner, prefix in ((fngrad, "fngrad"), (fngrad.Tensor, "fngrad.Tensor")):
        for name in sorted(dir(owner)):
            obj = getattr(owner, name)
            if not name.startswith("_") and callable(obj) and not isinstance(obj, type):
                yield f"{prefix}.{name}", obj


def test_inspect_signature_works_for_every_public_callable():
    # Every native function and method carries a text signature (the op tables, the argument
    # parser's Signature declarations, "name($self, /)" for methods without parameters), so none
    # needs an exception here: CPython can express all of them.
    failed = []
    for qualname, obj in _public_callables():
        try:
            inspect.signature(obj)
        except (TypeError, ValueError) as e:
            failed.append(f"{qualname}: {e}")
    assert not failed, "\n".join(failed)


def test_python_wrappers_show_their_parameters():
    # The in-place forms made by _indexing_ops._inplace/_inplace_view show the op's parameters, not the
    # wrapper's (*args, **kwargs); only PyTorch's overloaded methods (to, new) take anything.
    generic = [q for q, obj in _public_callables() if str(inspect.signature(obj)).endswith("*args, **kwargs)")]
    assert generic == ["fngrad.Tensor.new", "fngrad.Tensor.to"], generic
    sig = inspect.signature
    T = fngrad.Tensor
    assert str(sig(T.addmm_)) == "(self, mat1, mat2, *, beta=1, alpha=1)"
    assert str(sig(T.index_add_)) == str(sig(fngrad.index_add)).replace("(input,", "(self,")
    assert str(sig(T.squeeze_)) == "(self, dim=None)"
    assert str(sig(T.logical_and_)) == str(sig(fngrad.logical_and)).replace("(input,", "(self,")
    x = fngrad.zeros(2, 3)  # the stated parameters are the accepted ones
    assert x.addmm_(mat1=fngrad.ones(2, 4), mat2=fngrad.ones(4, 3), beta=0, alpha=2).tolist() == [[8.0] * 3] * 2


def test_native_methods_have_pytorchs_parameter_names_and_defaults():
    sig = inspect.signature
    T = fngrad.Tensor
    assert str(sig(T.sum)) == "(self, /, dim=None, keepdim=False, *, dtype=None)"
    assert str(sig(T.var)) == "(self, /, dim=None, unbiased=True, keepdim=False, *, correction=None)"
    assert str(sig(T.transpose)) == "(self, /, dim0, dim1)"
    assert str(sig(T.reshape)) == "(self, /, *shape)"
    assert str(sig(T.numpy)) == "(self, *, force=False)"
    assert str(sig(T.item)) == "(self, /)"
    assert str(sig(fngrad.add)) == "(input, other, *, alpha=1, out=None)"
    assert str(sig(fngrad.set_num_threads)) == "(num)"


# Methods whose parameters all have defaults, with an argument for the required ones: calling with
# the defaults the signature states must do what calling without them does.
_DEFAULTS_CASES = ["sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "var", "std", "norm", "all", "any",
                   "flatten", "squeeze", "unbind", "size", "numpy", "clamp", "requires_grad_", "split", "chunk",
                   "logsumexp", "softmax", "log_softmax", "copy_"]


@pytest.mark.parametrize("name", _DEFAULTS_CASES)
def test_the_stated_defaults_are_the_defaults(name):
    required = {"split": (1,), "chunk": (2,), "logsumexp": (1,), "softmax": (1,), "log_softmax": (1,),
                "copy_": (fngrad.ones(2, 1, 3),)}

    def make():
        return fngrad.tensor(np.arange(6, dtype=np.float64).reshape(2, 1, 3) - 2.5)

    params = list(inspect.signature(getattr(fngrad.Tensor, name)).parameters.values())[1:]
    defaults = {p.name: p.default for p in params if p.default is not p.empty and p.kind != p.VAR_POSITIONAL}
    assert defaults, name
    if name == "clamp":  # clamp needs one bound: pass min, leave max at its stated default
        expected, got = make().clamp(min=0), make().clamp(min=0, max=defaults["max"])
    else:
        args = required.get(name, ())
        expected, got = getattr(make(), name)(*args), getattr(make(), name)(*args, **defaults)
    for e, g in zip(expected if isinstance(expected, tuple) else (expected,), got if isinstance(got, tuple) else (got,)):
        if isinstance(e, fngrad.Tensor):
            assert e.shape == g.shape and e.dtype == g.dtype, name
            np.testing.assert_array_equal(e.detach().numpy(), g.detach().numpy())
        else:
            assert np.array_equal(np.asarray(e), np.asarray(g)), name
