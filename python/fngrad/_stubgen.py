"""Writes the type stubs of fngrad from the live modules: ``fngrad/_C.pyi`` (the native module) and
the stubs of the modules whose names are made at import (``fngrad/__init__.pyi``, ``_tensor.pyi``
with every Tensor method the op families install, ``nn``, ``optim``, ``autograd``, ...).

The native functions and methods carry their signatures (``__text_signature__``, from the op table
and the argument parser), the Python ones theirs; this turns them into stubs that type checkers and
editors read, so ``mypy --strict`` accepts user code written against the public API. Parameters are
``Any``; results are ``Tensor`` for the op tables' ops, the annotation where the source has a simple
one, ``Any`` otherwise. The check that the checked-in stubs match the live modules is
``tests/test_typing.py``.

    python -m fngrad._stubgen          # rewrites the stubs under python/fngrad (run from the repository)
    python -m fngrad._stubgen --check  # exits 1 when a stub is out of date
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import pathlib
import sys
import types

from . import _C

HEADER = '''"""Type stub of fngrad._C, written by `python -m fngrad._stubgen` from the built module: do not edit."""

import builtins
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
# Spelled out as builtins: the stub also declares the dtype `bool`, which would shadow the type.
_PY_DUNDERS = {"__bool__": "builtins.bool", "__float__": "builtins.float", "__int__": "builtins.int",
               "__index__": "builtins.int", "__len__": "builtins.int", "__hash__": "builtins.int"}


def _result(name: str) -> str:
    if name in _PY_DUNDERS:
        return _PY_DUNDERS[name]
    if name in _TENSOR_DUNDERS:
        return "Tensor"
    ops = set(_C.unary_ops) | set(_C.binary_ops) | set(_C.ternary_ops)
    base = name[:-1] if name.endswith("_") else name
    return "Tensor" if base in ops or base in _TENSOR_RESULT else "Any"


_GENERIC = {tuple: "tuple[Any, ...]", list: "list[Any]", dict: "dict[Any, Any]", set: "set[Any]"}


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
            t = type(obj)
            native = getattr(_C, t.__name__, None) is t  # the dtypes
            lines.append(f"{n}: {_GENERIC.get(t, t.__name__) if t.__module__ == 'builtins' or native else 'Any'}")
    for n in classes:
        cls = getattr(_C, n)
        bases = [b.__name__ for b in cls.__bases__ if b is not object and getattr(_C, b.__name__, None) is b]
        lines += ["", "", f"class {n}({', '.join(bases)}):" if bases else f"class {n}:"]
        body = []
        for m in sorted(vars(cls)):
            if m in ("__doc__", "__module__", "__dict__", "__weakref__", "__new__"):
                continue
            attr = vars(cls)[m]
            if isinstance(attr, (staticmethod, classmethod, types.ClassMethodDescriptorType)):
                if isinstance(attr, staticmethod):
                    body += ["    @staticmethod", f"    def {m}(*args: Any, **kwargs: Any) -> Any: ..."]
                else:
                    body += ["    @classmethod", f"    def {m}(cls, *args: Any, **kwargs: Any) -> Any: ..."]
            elif callable(attr) or inspect.ismethoddescriptor(attr):
                result = "None" if m == "__init__" else _result(m) if n == "TensorBase" else "Any"
                if m in ("__eq__", "__ne__"):
                    body.append(f"    def {m}(self, other: Any) -> Any: ...  # type: ignore[override]")
                elif m == "__ipow__":  # pow's third argument (mod) has no in-place form
                    body.append(f"    def {m}({_params(attr, True)}) -> {result}: ...  # type: ignore[misc]")
                else:
                    body.append(f"    def {m}({_params(attr, True)}) -> {result}: ...")
            else:  # getset descriptors and members: attributes
                body.append(f"    {m}: Any")
        lines += body or ["    ..."]
    return "\n".join(lines) + "\n"



# The modules that get a generated stub, in the order that decides where a name shared by several of
# them is defined (the first that exports it); the others import it from there. Modules without a
# stub are read from their source by type checkers.
STUB_MODULES = ["fngrad._tensor", "fngrad.autograd", "fngrad.autograd.forward_ad", "fngrad.nn",
                "fngrad.nn.functional", "fngrad.nn.parallel", "fngrad.optim", "fngrad.optim.lr_scheduler",
                "fngrad.optim.swa_utils", "fngrad.utils", "fngrad.utils.data", "fngrad.distributed", "fngrad"]

_SIMPLE_RESULTS = {"None", "bool", "int", "float", "str", "bytes", "Tensor"}
_DUNDER_RESULTS = {"__init__": "None", "__bool__": "builtins.bool", "__len__": "builtins.int",
                   "__repr__": "builtins.str", "__str__": "builtins.str", "__iter__": "Iterator[Any]",
                   "__hash__": "builtins.int", "__contains__": "builtins.bool"}
# Attributes every class has, and descriptors of the class machinery: not part of a stub.
_SKIP_MEMBERS = {"__doc__", "__module__", "__dict__", "__weakref__", "__new__", "__slots__", "__annotations__",
                 "__qualname__", "__init_subclass__", "__class_getitem__", "__setattr__",
                 "__delattr__", "__getstate__", "__setstate__", "__reduce__", "__reduce_ex__", "__orig_bases__",
                 "__parameters__", "__abstractmethods__", "_abc_impl", "__firstlineno__", "__static_attributes__"}


def _instance_attributes(init) -> set:
    """The public attributes ``__init__`` sets on ``self`` (TensorDataset.tensors, Optimizer.param_groups)."""
    try:
        tree = ast.parse(inspect.getsource(init).strip() if inspect.isfunction(init) else "")
    except (OSError, TypeError, SyntaxError):
        return set()
    return {t.attr for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign))
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
            and not t.attr.startswith("_")}


def _public(module) -> list:
    """The public names of a module: ``__all__``, or its names without a leading underscore that are
    fngrad's own (a submodule, or an object defined in fngrad)."""
    if hasattr(module, "__all__"):
        return list(dict.fromkeys(module.__all__))
    names = []
    for name, obj in vars(module).items():
        if name.startswith("_"):
            continue
        if isinstance(obj, types.ModuleType):
            if obj.__name__.startswith(module.__name__ + "."):
                names.append(name)
        elif (getattr(obj, "__module__", None) or "").startswith("fngrad"):
            names.append(name)
    return names


class _Stub:
    """One module's stub: where each public object is defined, and the imports its text needs."""

    def __init__(self, name: str, homes: dict):
        self.name = name
        self.module = importlib.import_module(name)
        self.homes = homes  # id(obj) -> (module name, public name) of the stub that defines it
        self.imports: dict = {}  # local name -> "from X import Y as local"
        self.public = {id(getattr(self.module, n)): n for n in _public(self.module)}

    def ref(self, cls) -> str:
        """How this stub names a class: its public name here, an import from the stub that defines
        it, or None when no stub does."""
        if id(cls) in self.public and self.homes.get(id(cls), (self.name,))[0] == self.name:
            return self.public[id(cls)]
        if cls.__module__ == "builtins":  # spelled out: fngrad.int and friends shadow the builtins
            return f"builtins.{_GENERIC.get(cls, cls.__name__)}"
        home = self.homes.get(id(cls))
        if home is None and getattr(importlib.import_module("fngrad._C"), cls.__name__, None) is cls:
            home = ("fngrad._C", cls.__name__)
        if home is None:
            return None
        if home[0] == self.name:
            return home[1]
        local = self.public.get(id(cls)) or f"_{home[0].replace('.', '_')}_{home[1]}"
        self.imports[local] = f"from {home[0]} import {home[1]} as {local}"
        return local

    def result(self, fn, name: str) -> str:
        if name in _DUNDER_RESULTS:
            return _DUNDER_RESULTS[name]
        if isinstance(fn, (types.BuiltinFunctionType, types.MethodDescriptorType)):
            return _result(name)
        ann = getattr(fn, "__annotations__", {}).get("return", inspect.Signature.empty)
        ann = ann if isinstance(ann, str) else getattr(ann, "__name__", "") if ann is not None else "None"
        ann = ann.replace("fngrad.", "").strip("'\"")
        if ann in _SIMPLE_RESULTS:
            tensor = importlib.import_module("fngrad._tensor").Tensor
            return self.ref(tensor) if ann == "Tensor" else ann if ann == "None" else f"builtins.{ann}"
        return "Any"

    def params(self, fn, method: bool) -> str:
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return "self, *args: Any, **kwargs: Any" if method else "*args: Any, **kwargs: Any"
        params = list(sig.parameters.values())
        # A method taking only *args/**kwargs after self (Function.forward, backward) is meant to be
        # overridden with any parameters: the stub says so in the form type checkers accept.
        rest = params[1:] if method else params
        if rest and all(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in rest):
            return ", ".join(([params[0].name] if method else []) + ["*args: Any", "**kwargs: Any"])
        return _params(fn, method)

    def function(self, name: str, fn, indent: str = "", method: bool = False) -> list:
        return [f"{indent}def {name}({self.params(fn, method)}) -> {self.result(fn, name)}: ..."]

    def cls(self, name: str, cls) -> list:
        """A class: its bases that some stub names, and the members of the classes between (so an
        unnamed private base's methods are not lost)."""
        members: dict = {}
        bases = []
        for klass in cls.__mro__[1:]:
            if klass is object:
                continue
            base = self.ref(klass)
            if klass.__module__ == "builtins":
                bases.append(base)
                break
            if base is not None:
                if not any(issubclass(b, klass) for b in cls.__mro__[1:] if self.ref(b) in bases):
                    bases.append(base)
                break
        stop = next((k for k in cls.__mro__[1:] if k is object or self.ref(k) is not None), object)
        for klass in reversed(cls.__mro__[:cls.__mro__.index(stop)]):
            members.update(vars(klass))
        stop = None if stop is object else stop
        meta = type(cls)
        head = [*bases]
        if meta is not type and self.ref(meta) is not None and not any(type(b) is meta for b in cls.__mro__[1:2]):
            head.append(f"metaclass={self.ref(meta)}")
        body = []
        for m in sorted(members):
            if m in _SKIP_MEMBERS or (m.startswith("_") and not m.startswith("__")):
                continue
            attr = members[m]
            if m == "__getattr__":  # nn.Module's registered parameters, buffers and submodules
                body.append("    def __getattr__(self, name: builtins.str) -> Any: ...")
            elif isinstance(attr, staticmethod):
                body += ["    @staticmethod"] + self.function(m, attr.__func__, "    ")
            elif isinstance(attr, classmethod):
                body += ["    @classmethod"] + self.function(m, attr.__func__, "    ", method=True)
            elif isinstance(attr, property):
                result = self.result(attr.fget, m) if attr.fget else "Any"
                body += ["    @property", f"    def {m}(self) -> {result}: ..."]
                if attr.fset is not None:
                    body += [f"    @{m}.setter", f"    def {m}(self, value: Any) -> None: ..."]
            elif inspect.isfunction(attr) or isinstance(attr, (types.BuiltinFunctionType, types.MethodDescriptorType)):
                if isinstance(attr, types.BuiltinFunctionType):  # a native function stored on the class: not bound
                    body += ["    @staticmethod"] + self.function(m, attr, "    ")
                elif m in ("__eq__", "__ne__"):
                    body.append(f"    def {m}(self, other: Any) -> Any: ...  # type: ignore[override]")
                else:
                    line = self.function(m, attr, "    ", method=True)[0]
                    inherited = next((vars(k)[m] for k in stop.__mro__ if m in vars(k)), None) if stop else None
                    if callable(inherited) and m != "__init__" and (
                            self.params(inherited, True).split(", ")[1:] != self.params(attr, True).split(", ")[1:]):
                        line += "  # type: ignore[override]"  # a different signature than the base's, as in PyTorch
                    body.append(line)
            elif m.startswith("__"):
                continue
            elif isinstance(attr, type):
                body.append(f"    {m}: type[Any]")
            else:
                body.append(f"    {m}: Any")
        for m in sorted(_instance_attributes(members.get("__init__")) - set(members)):
            body.append(f"    {m}: Any")
        return ["", "", f"class {name}({', '.join(head)}):" if head else f"class {name}:"] + (body or ["    ..."])

    def render(self) -> str:
        lines = []
        for n in _public(self.module):
            obj = getattr(self.module, n)
            home = self.homes.get(id(obj))
            if isinstance(obj, types.ModuleType):
                parent, _, last = obj.__name__.rpartition(".")
                self.imports[n] = f"from {parent} import {last} as {n}"
            elif home is not None and home[0] != self.name:
                self.imports[n] = f"from {home[0]} import {home[1]} as {n}"
            elif home is not None and home[1] != n:  # an alias of a name defined above in this stub
                lines.append(f"{n} = {home[1]}")
            elif getattr(importlib.import_module("fngrad._C"), n, None) is obj and self.name != "fngrad._C":
                self.imports[n] = f"from fngrad._C import {n} as {n}"
            elif isinstance(obj, type):
                lines += self.cls(n, obj)
            elif callable(obj) and (inspect.isfunction(obj) or isinstance(obj, types.BuiltinFunctionType)):
                lines += self.function(n, obj)
            else:
                t = type(obj)
                lines.append(f"{n}: {self.ref(t) or 'Any'}")
        head = [f'"""Type stub of {self.name}, written by `python -m fngrad._stubgen` from the live module: do not '
                'edit."""', "", "import builtins", "from typing import Any, Iterator", ""]
        head += sorted(self.imports.values())
        # Plain definitions first (assignments may name classes defined below: fine in a stub).
        return "\n".join(head + [""] + lines).rstrip("\n") + "\n"


def _homes() -> dict:
    homes: dict = {}
    for name in STUB_MODULES:
        module = importlib.import_module(name)
        for n in _public(module):
            obj = getattr(module, n)
            if isinstance(obj, (type, types.FunctionType)) or callable(obj):
                homes.setdefault(id(obj), (name, n))
    # Objects of the native module keep their home in _C.pyi unless a stub re-exports them.
    return homes


def _stub_path(name: str) -> pathlib.Path:
    module = importlib.import_module(name)
    path = pathlib.Path(module.__file__)
    return path.with_suffix(".pyi")


def render_modules() -> dict:
    """{path of the stub: its text} for every module of STUB_MODULES."""
    homes = _homes()
    return {_stub_path(name): _Stub(name, homes).render() for name in STUB_MODULES}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a checked-in stub is out of date")
    args = parser.parse_args(argv)
    stubs = {pathlib.Path(__file__).with_name("_C.pyi"): render(), **render_modules()}
    stale = []
    for path, text in stubs.items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current == text:
            continue
        if args.check:
            stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    for path in stale:
        print(f"{path} is out of date: run `python -m fngrad._stubgen`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
