"""Type information ships with the package: py.typed, and a stub of the native module that matches
the built module (regenerate it with `python -m fngrad._stubgen` after changing a native signature)."""

import inspect
import pathlib

import numpy as np
import pytest

import fngrad
from fngrad import _C, _stubgen

PKG = pathlib.Path(fngrad.__file__).resolve().parent


def test_the_package_is_marked_typed_and_ships_the_native_stub():
    assert (PKG / "py.typed").exists()
    assert (PKG / "_C.pyi").exists()


def test_the_native_stub_matches_the_built_module():
    assert (PKG / "_C.pyi").read_text(encoding="utf-8") == _stubgen.render(), (
        "fngrad/_C.pyi is out of date: run `python -m fngrad._stubgen` and commit it")


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
