"""Seeing the autograd graph: its DOT source (``to_dot``) and the memory its saved tensors keep
alive (``memory_report``). Both walk ``grad_fn.next_functions`` from the given tensors and read
what each node saved through the attributes PyTorch gives its nodes (``_saved_self``, ...;
``saved_tensors`` on a custom Function's node).

Example::

    >>> import fngrad
    >>> x = fngrad.ones(3, requires_grad=True)
    >>> y = (x * 2).exp().sum()
    >>> dot = fngrad.autograd.graph.to_dot(y, params={"x": x})
    >>> "ExpBackward0" in dot.source
    True
    >>> report = fngrad.autograd.graph.memory_report(y, quiet=True)
    >>> report.total_bytes   # exp saved its (3,) float32 result
    12
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import _C

__all__ = ["to_dot", "Dot", "memory_report", "MemoryReport", "SavedStorage"]


# ---- walking the graph ----


def _roots(tensors):
    if isinstance(tensors, _C.TensorBase):
        return (tensors,)
    tensors = tuple(tensors)
    for t in tensors:
        if not isinstance(t, _C.TensorBase):
            raise TypeError(f"expected a tensor or a sequence of tensors, got an element of type {type(t).__name__}")
    return tensors


def _walk(roots):
    """The nodes reachable from the roots' grad_fns, each once, in breadth-first order."""
    order, seen = [], set()
    queue = [t.grad_fn for t in roots if t.grad_fn is not None]
    while queue:
        node = queue.pop(0)
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        queue.extend(fn for fn, _ in node.next_functions if fn is not None and fn not in seen)
    return order


_FREED = object()  # a saved tensor that backward already released


def _is_function_node(node):
    return isinstance(node, _C._FunctionBase)


def _saved_values(node):
    """(attribute, value) pairs of what node saved; a tuple of tensors becomes attr[i] entries.

    A released saved tensor gives _FREED. A custom Function that clears its saved tensors on
    access is not read (reading them would free them).
    """
    for name in node._list_saved():
        if (name == "saved_tensors" and _is_function_node(node)
                and getattr(getattr(type(node), "_forward_cls", None), "clear_saved_tensors_on_access", False)):
            continue
        try:
            value = getattr(node, name)
        except RuntimeError:  # freed by backward, or modified in place since it was saved
            yield name, _FREED
            continue
        if isinstance(value, tuple) and any(isinstance(v, _C.TensorBase) for v in value):
            for i, v in enumerate(value):
                yield f"{name}[{i}]", v
        else:
            yield name, value


def _dtype_name(dtype):
    return str(dtype).rpartition(".")[2]


def _shape_str(shape):
    return str(tuple(int(s) for s in shape))


def _tensor_str(t):
    return f"{_shape_str(t.shape)} {_dtype_name(t.dtype)}"


# ---- DOT ----


class Dot:
    """DOT source of a graph (``.source``); ``render(path)`` draws it with the ``graphviz`` package.

    >>> from fngrad.autograd import graph
    >>> x = fngrad.tensor([1., 2.], requires_grad=True)
    >>> dot = graph.to_dot((x * x).sum())
    >>> dot.source.splitlines()[0], 'MulBackward0' in dot.source
    ('digraph autograd {', True)
    """

    def __init__(self, source: str):
        self.source = source

    def __str__(self):
        return self.source

    def render(self, path: str, format: str | None = None) -> str:
        """Writes the drawing to ``path`` (format from its extension unless given); returns the path.

        Needs the ``graphviz`` Python package and Graphviz's ``dot`` program
        (``pip install fngrad[graph]``).
        """
        try:
            import graphviz
        except ImportError as e:
            raise ImportError(
                "Dot.render needs the graphviz package: pip install 'fngrad[graph]' (and Graphviz's dot program)"
            ) from e
        if format is None:
            format = path.rpartition(".")[2] if "." in path else "svg"
        return graphviz.Source(self.source).render(outfile=path, format=format, cleanup=True)


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(tensors, params: dict | None = None, show_saved: bool = True) -> Dot:
    """DOT source of the autograd graph that produced ``tensors`` (a tensor or a sequence).

    Each node shows its PyTorch name, the shape and dtype of each forward output it receives a
    gradient for, with ``show_saved`` what it saved (shapes of tensors, values of the rest, "freed"
    once backward released them), and the user line that created it. Edges go from a node to the
    nodes that consume its forward output, labelled with that output's shape and dtype. Leaves are
    boxes named by ``params`` (name -> tensor) when given.

    Example::

        >>> import fngrad
        >>> w = fngrad.ones(2, 3, requires_grad=True)
        >>> dot = fngrad.autograd.graph.to_dot((w * w).sum(), params={"w": w})
        >>> dot.source.count("MulBackward0")
        1
    """
    roots = _roots(tensors)
    names = {id(t): name for name, t in (params or {}).items()}
    nodes = _walk(roots)
    ids = {node: f"n{i}" for i, node in enumerate(nodes)}
    lines = ["digraph autograd {", '  node [shape=box, style=filled, fillcolor=white, fontname="monospace", fontsize=10];']

    for node in nodes:
        label = [node.name()]
        for i, meta in enumerate(node._input_metadata):
            label.append(f"out{i}: {_shape_str(meta.shape)} {_dtype_name(meta.dtype)}")
        if show_saved:
            for attr, value in _saved_values(node):
                attr = attr[len("_saved_"):] if attr.startswith("_saved_") else attr
                if value is _FREED:
                    label.append(f"{attr}: freed")
                elif isinstance(value, _C.TensorBase):
                    label.append(f"{attr}: saved {_tensor_str(value)}")
                elif value is not None and value != ():  # () is an empty saved_tensors
                    label.append(f"{attr}={value!r}")
        site = node._creation_site
        if site is not None:
            label.append(f"at {site}")
        lines.append(f"  {ids[node]} [label={_quote(chr(10).join(label))}];")
        if hasattr(node, "variable"):
            leaf = node.variable
            leaf_label = f"{names.get(id(leaf), '')}\n{_tensor_str(leaf)}".lstrip("\n")
            lines.append(f"  {ids[node]}_leaf [label={_quote(leaf_label)}, fillcolor=lightblue];")
            lines.append(f"  {ids[node]}_leaf -> {ids[node]};")
        for fn, input_nr in node.next_functions:
            if fn is None:
                continue
            meta = fn._input_metadata
            edge = f"{_shape_str(meta[input_nr].shape)} {_dtype_name(meta[input_nr].dtype)}" if input_nr < len(meta) else ""
            lines.append(f"  {ids[fn]} -> {ids[node]} [label={_quote(edge)}];")

    for i, t in enumerate(roots):
        label = f"{names.get(id(t), 'output' if len(roots) == 1 else f'output {i}')}\n{_tensor_str(t)}"
        lines.append(f"  out{i} [label={_quote(label)}, fillcolor=darkolivegreen1];")
        if t.grad_fn is not None:
            lines.append(f"  {ids[t.grad_fn]} -> out{i};")
    lines.append("}")
    return Dot("\n".join(lines) + "\n")


# ---- memory ----


@dataclass
class SavedStorage:
    """One block of memory kept alive by the graph, as first reached from the roots."""

    nbytes: int
    node: str        # the name of the first node holding it, e.g. "ExpBackward0"
    attribute: str   # that node's attribute, e.g. "_saved_result"
    shape: tuple
    dtype: str
    site: str | None  # "file.py:line" that created the node, when known


@dataclass
class MemoryReport:
    """Bytes kept alive by a graph's saved tensors, each memory block counted once.

    ``by_type`` and ``by_line`` are ``(key, bytes)`` pairs, largest first; ``storages`` lists the
    blocks, largest first. A block is attributed to the first node that holds it, walking from the
    roots breadth-first. Memory the graph shares with tensors the program still holds (a saved
    parameter) is counted too: the graph alone would keep it alive.

    >>> from fngrad.autograd import graph
    >>> x = fngrad.tensor([1., 2.], requires_grad=True)
    >>> report = graph.memory_report((x * x).sum(), quiet=True)
    >>> report.total_bytes, report.by_type
    (8, [('MulBackward0', 8)])
    """

    total_bytes: int
    by_type: list = field(default_factory=list)
    by_line: list = field(default_factory=list)
    storages: list = field(default_factory=list)
    freed: int = 0  # saved tensors already released by backward

    def __str__(self):
        out = [f"autograd graph: {_bytes_str(self.total_bytes)} in {len(self.storages)} saved storages"
               + (f" ({self.freed} saved tensors already freed)" if self.freed else "")]
        for title, rows in (("by node type", self.by_type), ("by creation line", self.by_line)):
            out.append(f"  {title}:")
            out.extend(f"    {_bytes_str(b):>10}  {key}" for key, b in rows)
        return "\n".join(out)


def _bytes_str(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def memory_report(tensors, *, file=None, quiet: bool = False) -> MemoryReport:
    """Prints (to ``file``, default stdout; nothing when ``quiet``) and returns what the graph's
    saved tensors keep alive, by node type and by the user line that created the node, largest
    first.

    Example::

        >>> import fngrad
        >>> x = fngrad.ones(256, requires_grad=True)
        >>> y = x.exp().tanh().sum()
        >>> fngrad.autograd.graph.memory_report(y, quiet=True).total_bytes   # two (256,) float32 results
        2048
    """
    roots = _roots(tensors)
    seen = {}
    freed = 0
    for node in _walk(roots):
        for attr, value in _saved_values(node):
            if value is _FREED:
                freed += 1
                continue
            if not isinstance(value, _C.TensorBase):
                continue
            key, nbytes = _C._storage_info(value)
            if key in seen or nbytes == 0:
                continue
            seen[key] = SavedStorage(nbytes, node.name(), attr, tuple(value.shape), _dtype_name(value.dtype),
                                     node._creation_site)
    storages = sorted(seen.values(), key=lambda s: -s.nbytes)
    by_type, by_line = {}, {}
    for s in storages:
        by_type[s.node] = by_type.get(s.node, 0) + s.nbytes
        line = s.site or "<unknown>"
        by_line[line] = by_line.get(line, 0) + s.nbytes
    report = MemoryReport(
        total_bytes=sum(s.nbytes for s in storages),
        by_type=sorted(by_type.items(), key=lambda kv: -kv[1]),
        by_line=sorted(by_line.items(), key=lambda kv: -kv[1]),
        storages=storages,
        freed=freed,
    )
    if not quiet:
        print(report, file=file)
    return report
