"""Type information ships with the package: py.typed, and a stub of the native module that matches
the built module (regenerate it with `python -m fngrad._stubgen` after changing a native signature)."""

import inspect
import pathlib

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
