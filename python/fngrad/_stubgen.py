"""Writes ``fngrad/_C.pyi``, the type stub of the native module, from the built module itself.

The native functions and methods carry their signatures (``__text_signature__``, from the op table
and the argument parser); this turns them into a stub that type checkers and editors read. The
check that the checked-in stub matches the built module is ``tests/test_typing.py``.

    python -m fngrad._stubgen          # rewrites python/fngrad/_C.pyi (run from the repository)
    python -m fngrad._stubgen --check  # exits 1 when the stub is out of date
"""

from __future__ import annotations

import argparse
import inspect
import pathlib
import sys

from . import _C

HEADER = '''"""Type stub of fngrad._C, written by `python -m fngrad._stubgen` from the built module: do not edit."""

from typing import Any

from fngrad._tensor import Tensor

'''

# Native callables whose result is a tensor: the op tables' ops, and the functions below.
_TENSOR_RESULT = {"cat", "stack", "where", "empty", "zeros", "full", "from_numpy", "nll_loss", "scatter_add",
                  "elu", "gelu", "leaky_relu", "softplus"}


def _params(fn, method: bool) -> str:
    """The parameter list of a native callable, annotated ``Any``; ``*args, **kwargs`` when it has no
    text signature."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return "self, *args: Any, **kwargs: Any" if method else "*args: Any, **kwargs: Any"
    parts = []
    seen_kw_only = False
    params = list(sig.parameters.values())
    for i, p in enumerate(params):
        if method and i == 0:
            parts.append("self")
            if p.kind == p.POSITIONAL_ONLY and (len(params) == 1 or params[1].kind != p.POSITIONAL_ONLY):
                parts.append("/")
            continue
        if p.kind == p.VAR_POSITIONAL:
            parts.append(f"*{p.name}: Any")
            seen_kw_only = True
            continue
        if p.kind == p.VAR_KEYWORD:
            parts.append(f"**{p.name}: Any")
            continue
        if p.kind == p.KEYWORD_ONLY and not seen_kw_only:
            parts.append("*")
            seen_kw_only = True
        default = "" if p.default is p.empty else " = ..."
        parts.append(f"{p.name}: Any{default}")
        if p.kind == p.POSITIONAL_ONLY and (i + 1 == len(params) or params[i + 1].kind != p.POSITIONAL_ONLY):
            parts.append("/")
    return ", ".join(parts)


# Operators of TensorBase whose result is a tensor, and those with a Python type.
_TENSOR_DUNDERS = {f"__{op}__" for op in (
    "add radd iadd sub rsub isub mul rmul imul truediv rtruediv itruediv pow rpow ipow matmul rmatmul neg pos "
    "abs invert and rand iand or ror ior xor rxor ixor lt le gt ge getitem").split()}
_PY_DUNDERS = {"__bool__": "bool", "__float__": "float", "__int__": "int", "__index__": "int", "__len__": "int",
               "__hash__": "int"}


def _result(name: str) -> str:
    if name in _PY_DUNDERS:
        return _PY_DUNDERS[name]
    if name in _TENSOR_DUNDERS:
        return "Tensor"
    ops = set(_C.unary_ops) | set(_C.binary_ops) | set(_C.ternary_ops)
    base = name[:-1] if name.endswith("_") else name
    return "Tensor" if base in ops or base in _TENSOR_RESULT else "Any"


def render() -> str:
    lines = [HEADER]
    names = sorted(n for n in dir(_C) if not (n.startswith("__") and n.endswith("__")))
    classes = [n for n in names if isinstance(getattr(_C, n), type)]
    for n in names:
        obj = getattr(_C, n)
        if n in classes:
            continue
        if callable(obj):
            lines.append(f"def {n}({_params(obj, False)}) -> {_result(n)}: ...")
        else:
            lines.append(f"{n}: {type(obj).__name__ if type(obj).__module__ == 'builtins' else 'Any'}")
    for n in classes:
        cls = getattr(_C, n)
        bases = [b.__name__ for b in cls.__bases__ if b is not object and getattr(_C, b.__name__, None) is b]
        lines += ["", "", f"class {n}({', '.join(bases)}):" if bases else f"class {n}:"]
        body = []
        for m in sorted(vars(cls)):
            if m in ("__doc__", "__module__", "__dict__", "__weakref__", "__new__"):
                continue
            attr = vars(cls)[m]
            if isinstance(attr, (staticmethod, classmethod)):
                deco = "@staticmethod" if isinstance(attr, staticmethod) else "@classmethod"
                body += [f"    {deco}", f"    def {m}(*args: Any, **kwargs: Any) -> Any: ..."]
            elif callable(attr) or inspect.ismethoddescriptor(attr):
                result = _result(m) if n == "TensorBase" else "Any"
                if m in ("__eq__", "__ne__"):
                    body.append(f"    def {m}(self, other: Any) -> Any: ...  # type: ignore[override]")
                else:
                    body.append(f"    def {m}({_params(attr, True)}) -> {result}: ...")
            else:  # getset descriptors and members: attributes
                body.append(f"    {m}: Any")
        lines += body or ["    ..."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the checked-in stub is out of date")
    parser.add_argument("--path", default=str(pathlib.Path(__file__).with_name("_C.pyi")))
    args = parser.parse_args(argv)
    path = pathlib.Path(args.path)
    text = render()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date: run `python -m fngrad._stubgen`", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
