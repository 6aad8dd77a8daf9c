"""Every public callable has a docstring with a runnable ``>>>`` example (issue 14, item 4).

The walk covers ``fngrad.__all__``, the Tensor methods, and the public names of the submodules
listed in ``SURFACES`` (classes, functions, and the public methods a public class defines itself).
The examples themselves run in tests/test_doctests.py. ``python tests/test_doc_coverage.py`` prints
the count per surface and the names still without an example.
"""

import importlib
import inspect
import sys

import fngrad

# Submodules whose public names are the documented surface (module name -> names, or None for __all__
# or, without it, every public name defined in that module).
SURFACES = [
    "fngrad.nn",
    "fngrad.nn.functional",
    "fngrad.nn.init",
    "fngrad.nn.utils",
    "fngrad.optim",
    "fngrad.optim.lr_scheduler",
    "fngrad.optim.swa_utils",
    "fngrad.utils.data",
    "fngrad.autograd",
    "fngrad.autograd.functional",
    "fngrad.autograd.forward_ad",
    "fngrad.autograd.graph",
    "fngrad.autograd.gradcheck",
    "fngrad.distributed",
    "fngrad.utils.checkpoint",
    "fngrad.linalg",
]

# Names a walk meets that are not callables of the API (dtypes, constants, submodules) are skipped by
# the walk itself; what is listed here is public and callable but cannot carry an example, with why.
_NO_PROCESS_GROUP = ("no public call returns a ProcessGroup (only the default group exists, which the collectives "
                     "reach through group=None or group.WORLD; PyTorch's _get_default_group is private)")
NO_EXAMPLE = {
    "fngrad.autograd.graph.Dot.render": "needs the graphviz package and Graphviz's dot program, which the test "
                                        "environment does not install; Dot's example shows the source it draws",
    "fngrad.distributed.ProcessGroup": _NO_PROCESS_GROUP,
    "fngrad.distributed.ProcessGroup.rank": _NO_PROCESS_GROUP,
    "fngrad.distributed.ProcessGroup.size": _NO_PROCESS_GROUP,
    "fngrad.distributed.ProcessGroup.name": _NO_PROCESS_GROUP,
    "fngrad.distributed.ProcessGroup.wait": _NO_PROCESS_GROUP,
}


def _has_example(obj):
    # A method without a docstring of its own shows its base class's in help() (inspect.getdoc), as
    # Linear.forward shows Module.forward's; a class must have its own.
    doc = obj.__doc__ if isinstance(obj, type) else inspect.getdoc(obj)
    return isinstance(doc, str) and ">>>" in doc


def _is_api_callable(obj):
    if isinstance(obj, type(fngrad)):  # submodules
        return False
    if isinstance(obj, fngrad.dtype):
        return False
    return callable(obj)


def _public_names(mod):
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n, v in vars(mod).items()
                 if not n.startswith("_") and getattr(v, "__module__", "").startswith(mod.__name__)]
    return sorted(set(names))


def _own_methods(cls):
    """The public methods and properties that ``cls`` defines (not inherited from a documented base)."""
    out = []
    for name, attr in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(attr, (staticmethod, classmethod)):
            attr = attr.__func__
        if isinstance(attr, property) or not callable(attr):
            continue  # attributes and properties are described by the class docstring
        out.append((name, getattr(cls, name)))
    return out


def _walk_module(modname):
    mod = importlib.import_module(modname)
    items = []
    for name in _public_names(mod):
        obj = getattr(mod, name, None)
        if obj is None or not _is_api_callable(obj):
            continue
        items.append((f"{modname}.{name}", obj))
        if isinstance(obj, type) and obj.__module__.startswith("fngrad"):
            for mname, meth in _own_methods(obj):
                items.append((f"{modname}.{name}.{mname}", meth))
    return items


def _tensor_methods():
    items = []
    for name in sorted(dir(fngrad.Tensor)):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(fngrad.Tensor, name)
        if isinstance(attr, (property,)) or type(attr).__name__ == "getset_descriptor":
            continue
        obj = getattr(fngrad.Tensor, name)
        if callable(obj) and not isinstance(obj, type):
            items.append((f"fngrad.Tensor.{name}", obj))
    return items


def surfaces():
    """(surface name, [(qualified name, object)]) for every surface the docs cover."""
    top = []
    for name in sorted(set(fngrad.__all__)):
        obj = getattr(fngrad, name)
        if _is_api_callable(obj):
            top.append((f"fngrad.{name}", obj))
    out = [("fngrad.__all__", top), ("fngrad.Tensor", _tensor_methods())]
    out += [(m, _walk_module(m)) for m in SURFACES]
    return out


def missing_examples():
    return {surface: [q for q, obj in items if q not in NO_EXAMPLE and not _has_example(obj)]
            for surface, items in surfaces()}


def test_every_public_callable_has_a_runnable_example():
    missing = [q for names in missing_examples().values() for q in names]
    assert not missing, f"{len(missing)} public callables without a '>>>' example:\n" + "\n".join(missing)


def test_the_first_line_shows_the_signature_where_inspect_cannot():
    # help() shows inspect.signature's answer; where there is none (native methods without a text
    # signature, exception classes), the docstring's first line is ``name(...)``.
    missing = []
    for _, items in surfaces():
        for q, obj in items:
            try:
                inspect.signature(obj)
            except (TypeError, ValueError):
                first = (inspect.getdoc(obj) or "").split("\n")[0]
                if not first.startswith(q.rsplit(".", 1)[1] + "("):
                    missing.append(q)
    assert not missing, f"no signature shown for: {missing}"


def test_the_exceptions_are_public_callables():
    # An entry of NO_EXAMPLE that names nothing (renamed, removed) would hide nothing; keep it honest.
    names = {q for _, items in surfaces() for q, _ in items}
    assert set(NO_EXAMPLE) <= names, sorted(set(NO_EXAMPLE) - names)


if __name__ == "__main__":
    verbose = "-v" in sys.argv
    total = lacking = 0
    for surface, items in surfaces():
        miss = [q for q, obj in items if q not in NO_EXAMPLE and not _has_example(obj)]
        total += len(items)
        lacking += len(miss)
        exempt = sum(q in NO_EXAMPLE for q, _ in items)
        print(f"{surface:28s} {len(miss):4d} of {len(items):4d} lack an example" + (f" ({exempt} exempt)" if exempt else ""))
        if verbose:
            for q in miss:
                print("    ", q)
    print(f"{'total':28s} {lacking:4d} of {total:4d}")
