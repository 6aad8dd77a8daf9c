"""fngrad.autograd.graph.to_dot and memory_report, and torchviz on fngrad graphs."""

import importlib
import importlib.util
import inspect
import re
import sys
import warnings

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.autograd.graph import memory_report, to_dot


def _line_of(marker, fn):
    """'test_graph_viz.py:N' of the line of fn's source containing marker."""
    lines, start = inspect.getsourcelines(fn)
    for i, line in enumerate(lines):
        if marker in line:
            return f"test_graph_viz.py:{start + i}"
    raise AssertionError(marker)


def _parse(source):
    """{node id: label} and [(from id, to id)] of a DOT source written by to_dot."""
    nodes = {m.group(1): m.group(2).replace("\\n", "\n").replace('\\"', '"')
             for m in re.finditer(r'^  (\w+) \[label="((?:[^"\\]|\\.)*)"', source, re.M)}
    edges = re.findall(r"^  (\w+) -> (\w+)", source, re.M)
    return nodes, edges


def _graph():
    x = fngrad.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) / 10, requires_grad=True)
    w = fngrad.tensor(np.ones((3, 4), dtype=np.float32), requires_grad=True)
    h = (x @ w).relu()  # graph: the relu line
    y = h.softmax(1).sum()
    return x, w, y


def test_to_dot_structure():
    x, w, y = _graph()
    dot = to_dot(y, params={"x": x, "w": w})
    nodes, edges = _parse(dot.source)
    name = {k: v.split("\n")[0] for k, v in nodes.items()}
    graph_nodes = {k for k in nodes if re.fullmatch(r"n\d+", k)}
    # SumBackward0, SoftmaxBackward0, ReluBackward0, MmBackward0 and two AccumulateGrad.
    assert sorted(name[k] for k in graph_nodes) == sorted(
        ["SumBackward0", "SoftmaxBackward0", "ReluBackward0", "MmBackward0", "AccumulateGrad", "AccumulateGrad"])
    named_edges = sorted((name[a], name[b]) for a, b in edges if a in graph_nodes and b in graph_nodes)
    assert named_edges == sorted([("SoftmaxBackward0", "SumBackward0"), ("ReluBackward0", "SoftmaxBackward0"),
                                  ("MmBackward0", "ReluBackward0"), ("AccumulateGrad", "MmBackward0"),
                                  ("AccumulateGrad", "MmBackward0")])
    # Leaves: named by params, with their shape and dtype, feeding their AccumulateGrad.
    leaf_x = next(k for k, v in nodes.items() if v.startswith("x\n"))
    assert nodes[leaf_x] == "x\n(2, 3) float32"
    assert [name[b] for a, b in edges if a == leaf_x] == ["AccumulateGrad"]
    # The output box, fed by the root node.
    out = next(k for k, v in nodes.items() if v.startswith("output\n"))
    assert nodes[out] == "output\n() float32" and [name[a] for a, b in edges if b == out] == ["SumBackward0"]
    relu = next(k for k in graph_nodes if name[k] == "ReluBackward0")
    label = nodes[relu].split("\n")
    assert "out0: (2, 4) float32" in label          # the forward output it gets the gradient of
    assert "result: saved (2, 4) float32" in label   # what it saved
    assert f"at {_line_of('graph: the relu line', _graph)}" in label
    softmax = next(k for k in graph_nodes if name[k] == "SoftmaxBackward0")
    assert "dim=1" in nodes[softmax].split("\n")
    # Edges carry the shape of the forward value flowing along them.
    assert re.search(rf'^  {relu} -> {softmax} \[label="\(2, 4\) float32"\]', dot.source, re.M)


def test_to_dot_after_backward_and_custom_function():
    class Square(fngrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = fngrad.ones(5, requires_grad=True)
    y = Square.apply(x).exp().sum()
    nodes, _ = _parse(to_dot(y).source)
    square = next(v for v in nodes.values() if v.startswith("SquareBackward\n")).split("\n")
    assert "saved_tensors[0]: saved (5,) float32" in square
    y.backward()
    nodes, _ = _parse(to_dot(y).source)
    exp = next(v for v in nodes.values() if v.startswith("ExpBackward0\n")).split("\n")
    assert "result: freed" in exp


def test_render_without_graphviz_names_the_extra(monkeypatch):
    x, w, y = _graph()
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r"fngrad\[graph\]"):
        to_dot(y).render("g.svg")


def test_memory_report_counts_saved_storages_once():
    a = np.random.randn(100).astype(np.float64)
    b = np.random.randn(7, 5).astype(np.float32)
    x = fngrad.tensor(a, requires_grad=True)
    z = fngrad.tensor(b, requires_grad=True)
    s = x.sin()  # saves x
    c = x.cos()  # saves x again: the same memory
    e = x.exp()  # saves its result
    v = z[1:3].sin()  # saves a view of z: all of z's memory stays alive
    y = fngrad.stack([s, c, e]).sum() + v.sum()
    report = memory_report(y, quiet=True)
    assert report.total_bytes == a.nbytes + np.exp(a).nbytes + b.nbytes
    assert len(report.storages) == 3
    assert sum(n for _, n in report.by_type) == report.total_bytes
    assert sum(n for _, n in report.by_line) == report.total_bytes
    by_type = dict(report.by_type)
    assert by_type["ExpBackward0"] == np.exp(a).nbytes
    # x's memory goes to whichever of sin and cos the walk reaches first, z's to the other sin.
    assert by_type["SinBackward0"] + by_type.get("CosBackward0", 0) == a.nbytes + b.nbytes
    by_line = dict(report.by_line)
    src = _line_of("saves its result", test_memory_report_counts_saved_storages_once)
    assert by_line[src] == np.exp(a).nbytes
    assert report.by_type == sorted(report.by_type, key=lambda kv: -kv[1])  # largest first
    y.backward()
    after = memory_report(y, quiet=True)
    assert after.total_bytes == 0 and after.freed == 4


def test_memory_report_prints_and_counts_function_saves(capsys):
    class Keep(fngrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            t = x * 2
            ctx.save_for_backward(x, t)
            return t

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    a = np.ones((16, 16), dtype=np.float32)
    x = fngrad.tensor(a, requires_grad=True)
    y = Keep.apply(x).sum()
    report = memory_report(y)
    assert report.total_bytes == 2 * a.nbytes
    assert dict(report.by_type) == {"KeepBackward": 2 * a.nbytes}
    printed = capsys.readouterr().out
    assert "2.0 KiB" in printed and "KeepBackward" in printed


# ---- torchviz ----

def test_variable_and_is_view_as_torch():
    # What torchviz uses besides the node attributes: torch.autograd.Variable and Tensor._is_view.
    from fngrad.autograd import Variable

    x = fngrad.ones(4, requires_grad=True)
    y = x * 2
    v = Variable(y, requires_grad=True)
    assert isinstance(x, Variable) and isinstance(v, Variable) and not isinstance(np.ones(1), Variable)
    assert v.is_leaf and v.requires_grad and v.grad_fn is None
    v.detach().numpy()[0] = 5.0  # same memory as y, as in PyTorch
    assert y.detach().numpy()[0] == 5.0
    assert x[1:]._is_view() and x[1:]._base is x and not x._is_view() and not y._is_view()
    with pytest.raises(TypeError, match="Variable data has to be a tensor"):
        Variable([1.0])

def _torchviz_with_fngrad_as_torch():
    """torchviz.make_dot imported with fngrad standing in for torch (`import fngrad as torch`)."""
    if importlib.util.find_spec("torchviz") is None or importlib.util.find_spec("graphviz") is None:
        pytest.skip("torchviz and graphviz are not installed (pip install 'fngrad[graph]')")
    names = [k for k in sys.modules if k.split(".")[0] in ("torch", "torchviz")]
    saved = {k: sys.modules.pop(k) for k in names}
    sys.modules["torch"] = fngrad
    sys.modules["torch.autograd"] = fngrad.autograd
    try:
        with warnings.catch_warnings():  # torchviz imports distutils, deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            return importlib.import_module("torchviz.dot").make_dot
    finally:
        for k in [k for k in sys.modules if k.split(".")[0] in ("torch", "torchviz")]:
            del sys.modules[k]
        sys.modules.update(saved)


def test_torchviz_make_dot_on_fngrad_graph():
    make_dot = _torchviz_with_fngrad_as_torch()
    x, w, y = _graph()
    with pytest.warns(UserWarning, match="1.9"):  # torchviz checks torch.__version__
        dot = make_dot(y, params={"x": x, "w": w}, show_attrs=True, show_saved=True)
    src = dot.source
    for name in ("SumBackward0", "SoftmaxBackward0", "ReluBackward0", "MmBackward0", "AccumulateGrad"):
        assert name in src
    # Leaves named from params with their shapes; saved tensors as their own (orange) boxes.
    assert re.search(r'label="x\n \(2, 3\)"', src) and re.search(r'label="w\n \(3, 4\)"', src)
    assert re.search(r'label="result\n \(2, 4\)" fillcolor=orange', src)  # relu's saved output
    assert re.search(r'label="mat2\n \(3, 4\)" fillcolor=orange', src)
    assert re.search(r"SoftmaxBackward0\n-+\ndim\s*:\s*1\nresult: \[saved tensor\]", src)  # its attribute table


@requires_torch
def test_torchviz_with_real_torch_on_fngrad_graph():
    if importlib.util.find_spec("torchviz") is None or importlib.util.find_spec("graphviz") is None:
        pytest.skip("torchviz and graphviz are not installed (pip install 'fngrad[graph]')")
    from torchviz import make_dot

    x, w, y = _graph()
    # With PyTorch itself imported, torchviz cannot tell fngrad tensors are tensors
    # (torch.is_tensor): the nodes and edges are drawn, saved tensors appear as attribute text.
    dot = make_dot(y, show_attrs=True, show_saved=True)
    for name in ("SumBackward0", "SoftmaxBackward0", "ReluBackward0", "MmBackward0", "AccumulateGrad"):
        assert name in dot.source
