#!/usr/bin/env python
"""Differential fuzzer of random autograd graphs: fngrad against finite differences and PyTorch.

Every seed deterministically generates a random DAG of 1-12 ops drawn from the op library
(elementwise, binary with broadcasting and Python scalars, reductions, matmul, shape ops,
indexing, custom ``autograd.Function`` nodes) over leaves of mixed shapes, dtypes and memory
layouts. The graph is a list of op descriptions whose expressions are evaluated with ``torch``
bound to either ``fngrad`` or ``torch`` (the same text becomes the printed reproducer). While it is
generated, a NumPy model of every op computes the values in float64, so that each op is only
applied where it is smooth (no ties, kinks, poles or thresholds near the data) and its output
stays bounded; the model also gives the shapes and is a forward oracle of its own. The elementwise
ops of fngrad's native tables come from tests/op_table.py, shared with the op tests: their NumPy
models, where each is applied, and how PyTorch code spells them.

For each graph the sinks (unconsumed outputs) are reduced to a scalar with fixed random weights,
gradients w.r.t. all float leaves are computed with ``loss.backward()`` and checked
  (a) against central finite differences of the float64 graph (fngrad, no_grad forward),
  (b) when PyTorch is importable, against PyTorch running the same graph in float64, float32 and
      mixed float32/float64 (forward values, dtypes, shapes, gradients and their None-ness).

A disagreement that PyTorch shares is triaged as a fuzzer problem (model or domain) and only
noted; a finite-difference mismatch where PyTorch's gradient agrees with fngrad's is re-checked with
PyTorch's forward ("fd-forward": fngrad's forward is not the smooth function PyTorch computes).
A failure prints its seed and the graph as a self-contained script (`import fngrad as torch`).

fngrad runs each graph with 1 or 2 threads (the seed's parity; the reproducer says which), and a
share of the big graphs hold values large enough for its kernels to split across the thread pool.

Graphs run in child processes (two by default) so that a crash of the interpreter is caught; the
seed that was running is reported and confirmed alone (bisected when it only crashes after
earlier seeds). A graph that runs longer than --timeout counts as a crash (hang).

    python stress/fuzz_graphs.py --graphs 20000 --seed 0            # torch if importable
    python stress/fuzz_graphs.py --graphs 500 --seed 7 --no-torch   # finite differences only
    python stress/fuzz_graphs.py --graphs 20000 --avoid known       # steer clear of open KNOWN_BUGS
    python stress/fuzz_graphs.py --one 1234 [--minimize]            # one seed, in-process, verbose
    python stress/fuzz_graphs.py --show 1234 [--mode f32]           # the seed's graph as Python code
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings

import numpy as np

MARGIN = 1e-2  # minimum distance of the data from kinks, ties and thresholds
BOUND = 60.0  # maximum |value| of any intermediate
MAX_NUMEL = 96  # maximum number of elements of any intermediate
MAX_FD_ELEMS = 160  # finite differences over at most this many leaf elements (a random subset beyond)
BIG_P = 0.06  # share of "big" graphs: leaves of up to ~40k elements with odd sizes (vector tails, threads)
_BIG_P_DEFAULT = BIG_P
BIG_NUMEL = 40000
# A third of the big graphs are "huge": most leaves have more elements than PARALLEL_NUMEL, where
# fngrad's cheap kernels (a load and a store per element) split across the thread pool: 2 *
# kParallelGrain in csrc/core/parallel.h (transcendental ones split from 2 * kExpensiveGrain = 8192,
# which big graphs already cross). The seed's parity sets fngrad's thread count (1 or 2), so half of
# them run on the pool.
HUGE_SHARE = 1 / 3
PARALLEL_NUMEL = 2 * (1 << 16)
HUGE_NUMEL = 3 * PARALLEL_NUMEL
BIG_FD_ELEMS = 24
LITERAL_MAX = 64  # larger arrays are written as seeded NumPy expressions in reproducers
FD_EPS = 1e-6
MODES = ("f64", "f32", "mixed")
JUNK = 777.0  # the elements a strided leaf skips over

# fngrad bugs this fuzzer found, all fixed since. The generator still marks the graphs that exercise
# them ("triggers"); a name moves to KNOWN_BUGS while a bug is open, so that `--avoid NAME,...` (or
# `--avoid known`) keeps the generator away from it and a run can look for other bugs.
FIXED_BUGS = {
    "tensor_f64": "fngrad.tensor(<Python floats>, dtype=fngrad.float64) rounds the values through float32",
    "masked_select_bcast": "fngrad.masked_select(input, mask) does not broadcast mask against input",
    "index_0d_tensor": "a 0-d int64 index tensor next to another index keeps a size-1 dim (x[t0d, 0] is (1,))",
    "cat_empty": "torch.cat drops empty (numel 0) inputs: no .grad for them, their dtype is not promoted, "
                 "and a result made only of requires-grad empties does not require grad",
    "index_int_adv": "x[0, :, idx] follows NumPy's rule (advanced dims first) where PyTorch applies ints first",
    "index_ellipsis_adv": "x[:, i, ..., j, :] with an Ellipsis of no dims moves the advanced dims first (NumPy's rule)",
}
KNOWN_BUGS: dict[str, str] = {}
AVOID = set()


def _load_op_table():
    """tests/op_table.py, the op knowledge this fuzzer shares with the op tests (NumPy references,
    where each elementwise op is checked, how PyTorch code spells it)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests", "op_table.py")
    loaded = sys.modules.get("op_table")
    if loaded is not None and os.path.samefile(loaded.__file__, path):
        return loaded
    spec = importlib.util.spec_from_file_location("op_table", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["op_table"] = module
    spec.loader.exec_module(module)
    return module


op_table = _load_op_table()


def _prod(shape):
    return int(np.prod(shape, dtype=np.int64)) if len(shape) else 1


# ---------------------------------------------------------------------------------------------
# Custom autograd.Function nodes. The source is executed with `torch` bound to the library, and
# pasted verbatim into reproducers.

FUNCTION_SOURCES = {
    "XSinX": '''
class XSinX(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (torch.sin(x) + x * torch.cos(x))
''',
    "ExpSaveOut": '''
class ExpSaveOut(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y
''',
    "TwoOut": '''
class TwoOut(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.exp(x), x * x

    @staticmethod
    def backward(ctx, g_exp, g_sq):
        (x,) = ctx.saved_tensors
        return g_exp * torch.exp(x) + g_sq * 2 * x
''',
    "ScaleShift": '''
class ScaleShift(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha, shift):
        ctx.alpha = alpha
        return x * alpha + shift

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.alpha, None, None
''',
    "MulBcast": '''
class MulBcast(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a  # not summed to the input shapes: the engine does that
''',
    "Cube": '''
class Cube(torch.autograd.Function):
    @staticmethod
    def forward(x):
        return x * x * x

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x
''',
    "PassThrough": '''
class PassThrough(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x, torch.sin(x)

    @staticmethod
    def backward(ctx, g_x, g_sin):
        (x,) = ctx.saved_tensors
        return g_x + g_sin * torch.cos(x)
''',
    "SquareOD": '''
class SquareOD(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad
''',
}

_LIB_ENVS = {}


def lib_env(lib):
    """The names op expressions see: torch (the library), F, the custom Functions."""
    key = id(lib)
    if key not in _LIB_ENVS:
        import importlib

        env = {"torch": lib, "F": importlib.import_module(lib.__name__ + ".nn.functional"), "np": np}
        for src in FUNCTION_SOURCES.values():
            exec(src, env)
        _LIB_ENVS[key] = env
    return _LIB_ENVS[key]


# ---------------------------------------------------------------------------------------------
# The graph description


class Reject(Exception):
    """The op drawn does not fit the data (domain, ties, size): draw another."""


class Graph:
    def __init__(self, seed):
        self.seed = seed
        self.leaves = []  # dict(name, data (f64, logical), dt, layout, rg)
        self.consts = []  # dict(name, data (bool/int64))
        self.ops = []  # dict(outs, expr, diff, uses, multi, kind)
        self.sinks = []
        self.weights = {}
        self.values = {}  # name -> float64 NumPy model value
        self.dtag = {}  # name -> its dtype ('f32'/'f64') in the runs (f64, f32, mixed)
        self.backward_form = "loss"
        self.big = False
        self.huge = False
        self.threads = 1 + seed % 2  # fngrad.set_num_threads while the graph runs
        self.data_code = {}  # array name (leaf, const or weight) -> NumPy expression that rebuilds it
        self._codes = {}

    def code(self, expr):
        c = self._codes.get(expr)
        if c is None:
            c = self._codes[expr] = compile(expr, "<fuzz op>", "eval")
        return c

    def triggers(self):
        """The KNOWN_BUGS this graph contains a trigger of."""
        return sorted(self._all_triggers() & set(KNOWN_BUGS))

    def _all_triggers(self):
        t = set()
        for op in self.ops:
            t.update(op.get("triggers", ()))
        if any(leaf["layout"] == "tensor_list" for leaf in self.leaves):
            t.add("tensor_f64")
        return t

    def on_pool(self):
        """Whether fngrad runs a cheap kernel of this graph on its thread pool (2 threads or more,
        and a value above the parallel threshold)."""
        return self.threads > 1 and max(v.size for v in self.values.values()) >= PARALLEL_NUMEL

    def functions(self):
        used = []
        for op in self.ops:
            for name in FUNCTION_SOURCES:
                if name + ".apply(" in op["expr"] and name not in used:
                    used.append(name)
        return used

    def copy(self):
        h = Graph(self.seed)
        h.leaves = [dict(x) for x in self.leaves]
        h.consts = [dict(x) for x in self.consts]
        h.ops = [dict(x) for x in self.ops]
        h.sinks = list(self.sinks)
        h.weights = dict(self.weights)
        h.values = dict(self.values)
        h.dtag = dict(self.dtag)
        h.backward_form = self.backward_form
        h.big = self.big
        h.huge = self.huge
        h.threads = self.threads
        h.data_code = dict(self.data_code)
        return h


def fs(x):
    """A Python literal for a scalar."""
    if isinstance(x, (bool, np.bool_)):
        return repr(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return repr(float(x))


def fsl(x):
    """A scalar literal safe on the left of an operator."""
    r = fs(x)
    return f"({r})" if r.startswith("-") else r


class Gen:
    """Draws one graph. Values are modelled with NumPy in float64."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.g = Graph(seed)
        self.order = []  # value names usable as inputs, in creation order
        self.consumers = {}
        self.discard = set()
        self.nv = 0
        self.last = None
        self.big = False
        self.huge = False
        self.max_numel = MAX_NUMEL
        self.nrand = 0

    def rand_array(self, key, template, shape):
        """(array, code): a seeded NumPy expression, so that reproducers of big graphs stay short."""
        self.nrand += 1
        code = "(lambda rng: %s)(np.random.default_rng(%r))" % (template.format(shape=repr(tuple(shape))),
                                                                 [self.g.seed, key, self.nrand])
        return np.asarray(eval(code, {"np": np})), code

    # -- random helpers
    def chance(self, p):
        return self.rng.random() < p

    def choice(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def randint(self, lo, hi):  # inclusive
        return int(self.rng.integers(lo, hi + 1))

    def scalar(self, lo, hi, nonzero=0.0):
        for _ in range(20):
            s = round(float(self.rng.uniform(lo, hi)), 2)
            if abs(s) >= nonzero:
                return s
        raise Reject

    def any_scalar(self, nonzero=0.0):
        if self.chance(0.3):
            s = self.choice([1, 2, 3, -1, -2])
            if abs(s) >= nonzero:
                return s
        return self.scalar(-2.0, 2.0, nonzero)

    def rand_shape(self, min_nd=0, max_nd=4):
        nd = int(self.rng.choice(5, p=[0.1, 0.25, 0.35, 0.22, 0.08]))
        nd = min(max(nd, min_nd), max_nd)
        if self.huge and nd and self.chance(0.7):
            # Above the parallel threshold, with an odd size (a tail the chunks split unevenly).
            shape = [int(self.rng.choice([1, 2, 3, 5, 7])) for _ in range(nd)]
            i = self.randint(0, nd - 1)
            rest = _prod(shape) // shape[i]
            shape[i] = int(self.rng.integers(PARALLEL_NUMEL + 512, HUGE_NUMEL // 2)) // rest | 1
            return tuple(shape)
        if self.big:
            shape = [int(self.rng.choice([1, 3, 7, 9, 16, 17, 33, 64, 65, 127, 256, 1031])) for _ in range(nd)]
            while _prod(shape) > BIG_NUMEL // 2:
                i = int(np.argmax(shape))
                shape[i] = max(1, shape[i] // 3)
            return tuple(shape)
        shape = [int(self.rng.choice([1, 2, 3, 4, 5], p=[0.2, 0.3, 0.25, 0.15, 0.1])) for _ in range(nd)]
        while _prod(shape) > 48:
            i = int(np.argmax(shape))
            shape[i] -= 1
        return tuple(shape)

    def rand_data(self, shape, kind):
        if _prod(shape) > LITERAL_MAX:
            templates = {
                "normal": "np.round(np.clip(rng.standard_normal({shape}), -2.5, 2.5), 3)",
                "signed": "np.round(rng.choice([-1.0, 1.0], size={shape}) * rng.uniform(0.3, 2.0, size={shape}), 3)",
                "pos": "np.round(rng.uniform(0.3, 2.5, size={shape}), 3)",
                "unit": "np.round(rng.uniform(-1.0, 1.0, size={shape}), 3) + 0.0005",
            }
            return self.rand_array(0, templates[kind], shape)
        r = self.rng
        if kind == "normal":
            d = np.clip(r.standard_normal(shape), -2.5, 2.5)
        elif kind == "signed":
            d = r.choice([-1.0, 1.0], size=shape) * r.uniform(0.3, 2.0, size=shape)
        elif kind == "pos":
            d = r.uniform(0.3, 2.5, size=shape)
        else:  # unit
            d = r.uniform(-1.0, 1.0, size=shape)
        d = np.array(np.round(np.asarray(d, dtype=np.float64), 3), dtype=np.float64).reshape(shape)
        d[d == 0] = 0.5
        return d, None

    def rand_mask(self, shape, p):
        if _prod(shape) > LITERAL_MAX:
            return self.rand_array(1, "rng.random({shape}) < %r" % p, shape)
        return self.rng.random(shape) < p, None

    # -- building
    def snapshot(self):
        return (len(self.g.leaves), len(self.g.consts), len(self.order))

    def restore(self, snap):
        nl, nc, no = snap
        for leaf in self.g.leaves[nl:]:
            self.g.values.pop(leaf["name"], None)
            self.g.data_code.pop(leaf["name"], None)
        del self.g.leaves[nl:]
        for c in self.g.consts[nc:]:
            self.g.values.pop(c["name"], None)
            self.g.data_code.pop(c["name"], None)
        del self.g.consts[nc:]
        del self.order[no:]

    def new_leaf(self, shape, kind=None, rg=None):
        kind = kind or self.choice(["normal", "signed", "signed", "pos", "unit"])
        name = f"x{len(self.g.leaves)}"
        nd = len(shape)
        layouts = ["tensor_list", "tensor_np", "from_numpy", "from_numpy"]
        if nd >= 1 and _prod(shape) > 0:
            layouts += ["npstride", "tslice"]
        if nd >= 2:
            layouts += ["npT", "tmT"]
        # .tolist() of an empty array loses its shape; of a huge one, it takes most of the graph's time.
        if "tensor_f64" in AVOID or _prod(shape) == 0 or _prod(shape) > BIG_NUMEL:
            layouts.remove("tensor_list")
        data, code = self.rand_data(shape, kind)
        if code:
            self.g.data_code[name] = code
        leaf = dict(
            name=name,
            data=data,
            dt="f32" if self.chance(0.5) else "f64",
            layout=self.choice(layouts),
            rg=self.chance(0.88) if rg is None else rg,
        )
        self.g.leaves.append(leaf)
        self.g.values[name] = leaf["data"]
        self.g.dtag[name] = ("f64", "f32", leaf["dt"])
        self.order.append(name)
        return name

    def new_const(self, data, code=None):
        name = f"c{len(self.g.consts)}"
        if code:
            self.g.data_code[name] = code
        self.g.consts.append(dict(name=name, data=np.asarray(data)))
        return name

    def val(self, name):
        return self.g.values[name]

    def pick(self, pred=None, min_nd=0, max_nd=4):
        cands = []
        for n in self.order:
            v = self.g.values[n]
            if v.ndim < min_nd or v.ndim > max_nd or v.size == 0:
                continue
            if pred is not None and not pred(v):
                continue
            cands.append(n)
        if not cands:
            return None
        if self.last in cands and self.chance(0.5):
            return self.last
        return self.choice(cands)

    def input(self, pred=None, min_nd=0, max_nd=4, kind=None):
        """An existing value (fan-in) or, sometimes, a new leaf."""
        n = None if self.chance(0.1) else self.pick(pred, min_nd, max_nd)
        if n is None:
            n = self.new_leaf(self.rand_shape(min_nd, max_nd), kind)
            if pred is not None and not pred(self.val(n)):
                raise Reject
        return n

    def partner_shape(self, sa):
        r = self.rng.random()
        nd = len(sa)
        if r < 0.3:
            sb = list(sa)
        elif r < 0.45:
            sb = list(sa[self.randint(0, nd):])
        elif r < 0.7:
            sb = [1 if self.chance(0.4) else s for s in sa]
        elif r < 0.85:
            sb = [self.randint(2, 3) if s == 1 and self.chance(0.7) else s for s in sa]
        else:
            sb = [self.randint(1, 3)] + [1 if self.chance(0.3) else s for s in sa]
        sb = tuple(sb[-4:])
        if _prod(np.broadcast_shapes(sa, sb)) > self.max_numel:
            sb = tuple(sa)
        return sb

    def partner(self, a, pred=None, kind=None, same_ok=True):
        """A tensor that broadcasts with a: an existing value (maybe a itself) or a new leaf."""
        sa = self.val(a).shape
        if self.chance(0.35):
            cands = []
            for n in self.order:
                v = self.val(n)
                if v.size == 0 or (n == a and not same_ok):
                    continue
                try:
                    out = np.broadcast_shapes(sa, v.shape)
                except ValueError:
                    continue
                if _prod(out) <= self.max_numel and v.ndim <= 4 and (pred is None or pred(v)):
                    cands.append(n)
            if cands:
                return self.choice(cands)
        b = self.new_leaf(self.partner_shape(sa), kind)
        if pred is not None and not pred(self.val(b)):
            raise Reject
        return b

    def promote(self, names):
        res = []
        for m in range(3):
            tags = [(self.g.dtag[n][m], self.val(n).ndim) for n in names]
            pool = [t for t, nd in tags if nd > 0] or [t for t, _ in tags]
            res.append("f64" if "f64" in pool else "f32")
        return tuple(res)

    def emit(self, kind, expr, outs, diff, uses=None, dtag=None, multi=False, discard_p=0.0, allow_empty=False,
             triggers=()):
        outs = [np.asarray(o, dtype=np.float64) for o in outs]
        for o in outs:
            if o.size > self.max_numel or o.ndim > 5:
                raise Reject
            if o.size == 0 and not allow_empty:
                raise Reject
            if o.size and (not np.all(np.isfinite(o)) or np.abs(o).max() > BOUND):
                raise Reject
        uses = list(diff) if uses is None else list(uses)
        names = [f"v{self.nv + i}" for i in range(len(outs))]
        self.nv += len(outs)
        self.g.ops.append(dict(outs=names, expr=expr, diff=list(diff), uses=uses, multi=multi, kind=kind,
                               triggers=sorted(triggers)))
        if dtag is None:
            dtag = self.promote(diff) if diff else ("f64", "f64", "f64")
        for n, o in zip(names, outs):
            self.g.values[n] = o
            self.g.dtag[n] = dtag
            self.order.append(n)
            if discard_p and self.chance(discard_p):
                self.discard.add(n)
        for u in uses:
            self.consumers[u] = self.consumers.get(u, 0) + 1
        self.last = names[0]
        return names


# ---------------------------------------------------------------------------------------------
# Op generators. Each draws its inputs, checks the NumPy model for smoothness, and emits.


def away0(x):
    return x.size == 0 or np.abs(x).min() > MARGIN


def positive(lo):
    return lambda x: x.size == 0 or x.min() > lo


def below(hi):
    return lambda x: x.size == 0 or x.max() < hi


def absabove(lo):
    return lambda x: x.size == 0 or np.abs(x).min() > lo


def data_kind(arg):
    """How a new leaf for an argument of the op table (an op_table.Arg) is drawn (see rand_data)."""
    if arg.lo > -np.inf:
        return "unit" if arg.hi < np.inf else "pos"
    return "signed" if arg.avoid else None


def op_unary(gen):
    which = gen.randint(0, len(op_table.UNARY) + 5)
    if which < len(op_table.UNARY):  # an op of the native table
        row = op_table.UNARY[which]
        a = gen.input(row.args[0].accepts, kind=data_kind(row.args[0]))
        expr = gen.choice(row.spellings).format(a=a)
        return gen.emit(row.name, expr, [row.ref(gen.val(a))], [a])
    which -= len(op_table.UNARY)
    if which == 0:  # leaky_relu
        s = gen.choice([0.01, 0.1, 0.2, 0.5])
        a = gen.input(away0, kind="signed")
        forms = ["F.leaky_relu({a}, {s})", "F.leaky_relu({a}, negative_slope={s})"]
        if s == 0.01:
            forms.append("F.leaky_relu({a})")
        x = gen.val(a)
        return gen.emit("leaky_relu", gen.choice(forms).format(a=a, s=fs(s)), [np.where(x > 0, x, s * x)], [a])
    if which == 1:  # elu
        al = gen.choice([1.0, 0.5, 2.0])
        a = gen.input(away0, kind="signed")
        forms = ["F.elu({a}, {al})", "F.elu({a}, alpha={al})"] + (["F.elu({a})"] if al == 1.0 else [])
        x = gen.val(a)
        return gen.emit("elu", gen.choice(forms).format(a=a, al=fs(al)), [np.where(x > 0, x, al * np.expm1(x))], [a])
    if which == 2:  # gelu
        a = gen.input()
        x = gen.val(a)
        if gen.chance(0.5):
            return gen.emit("gelu_tanh", f"F.gelu({a}, approximate='tanh')", [op_table.np_gelu_tanh(x)], [a])
        out = op_table.np_gelu(x)
        return gen.emit("gelu", gen.choice([f"F.gelu({a})", f"F.gelu({a}, approximate='none')"]), [out], [a])
    if which == 3:  # softplus
        beta = gen.choice([1.0, 2.0, 0.5])
        thr = gen.choice([20.0, 1.0, 2.0])
        a = gen.input()
        x = gen.val(a)
        if x.size and np.abs(beta * x - thr).min() <= MARGIN:
            raise Reject
        forms = ["F.softplus({a}, beta={b}, threshold={t})", "F.softplus({a}, {b}, {t})"]
        if thr == 20.0:
            forms.append("F.softplus({a}, beta={b})")
            if beta == 1.0:
                forms.append("F.softplus({a})")
        out = op_table.np_softplus(x, beta, thr)
        return gen.emit("softplus", gen.choice(forms).format(a=a, b=fs(beta), t=fs(thr)), [out], [a])
    if which == 4:  # pow with a scalar exponent
        e = gen.choice([2, 3, 2.0, 0.5, -1, -2, 1.5, -0.5, 1, 2.5])
        if float(e) != int(e):
            pred, kind = positive(0.1), "pos"
        elif e < 0:
            pred, kind = absabove(0.3), "signed"
        else:
            pred, kind = None, None
        a = gen.input(pred, kind=kind)
        forms = ["{a} ** {e}", "{a}.pow({e})", "torch.pow({a}, {e})"]
        return gen.emit("pow_scalar", gen.choice(forms).format(a=a, e=fs(e)), [np.power(gen.val(a), float(e))], [a])
    # clamp
    a = gen.input()
    x = gen.val(a)

    def threshold():
        for _ in range(10):
            t = round(float(gen.rng.uniform(x.min() - 0.5, x.max() + 0.5)), 3)
            if np.abs(x - t).min() > MARGIN:
                return t
        raise Reject

    lo = threshold() if gen.chance(0.7) else None
    hi = threshold() if (lo is None or gen.chance(0.5)) else None
    if lo is not None and hi is not None:
        lo, hi = min(lo, hi), max(lo, hi)
        if hi - lo < MARGIN:
            raise Reject
    if lo is not None and hi is not None:
        forms = ["{a}.clamp({lo}, {hi})", "torch.clamp({a}, {lo}, {hi})", "{a}.clip(min={lo}, max={hi})",
                 "torch.clip({a}, min={lo}, max={hi})"]
    elif lo is not None:
        forms = ["{a}.clamp(min={lo})", "torch.clamp({a}, min={lo})", "{a}.clamp({lo})"]
    else:
        forms = ["{a}.clamp(max={hi})", "torch.clamp({a}, max={hi})", "{a}.clip(max={hi})"]
    out = np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)
    expr = gen.choice(forms).format(a=a, lo=fs(lo) if lo is not None else "", hi=fs(hi) if hi is not None else "")
    return gen.emit("clamp", expr, [out], [a])


def op_name(kind):
    """The op of the table an emitted op kind is (a Python number operand adds "_scalar")."""
    return kind[: -len("_scalar")] if kind.endswith("_scalar") else kind


def op_native_binary(gen, row):
    """A binary op of the native table (an op_table.Elementwise): two tensors that broadcast, or a
    tensor and a Python number; operands where the table checks the op."""
    if row.scalar_forms and gen.chance(0.25):
        form = gen.choice(row.scalar_forms)
        t = 1 if row.number_first(form) else 0  # the tensor's operand; the number is the other
        a = gen.input(row.args[t].accepts, kind=data_kind(row.args[t]))
        s = gen.any_scalar()
        if not row.args[1 - t].accepts(s):
            raise Reject
        x = gen.val(a)
        out = row.ref(s, x) if t else row.ref(x, s)
        return gen.emit(row.name + "_scalar", form.format(a=a, s=fsl(s) if t else fs(s)), [out], [a])
    a = gen.input(row.args[0].accepts, kind=data_kind(row.args[0]))
    b = gen.partner(a, row.args[1].accepts, data_kind(row.args[1]), same_ok=row.tie is None)
    if row.args[0] == row.args[1] and gen.chance(0.5):  # either operand may be the one drawn first
        a, b = b, a
    x, y = gen.val(a), gen.val(b)
    if not row.accepts(x, y):
        raise Reject
    expr = gen.choice(row.spellings).format(a=a, b=b)
    return gen.emit(row.name, expr, [row.ref(x, y)], [a, b])


def op_binary(gen):
    which = gen.randint(0, len(op_table.BINARY) + 2)
    if which < len(op_table.BINARY):
        return op_native_binary(gen, op_table.BINARY[which])
    op = "masked_fill" if which == len(op_table.BINARY) + 2 else "where"
    # where / masked_fill: a condition, constant or computed from the data (away from the threshold)
    a = gen.input()
    sa = gen.val(a).shape
    uses = []
    r = gen.rng.random()
    if r < 0.45:
        cshape = gen.partner_shape(sa) if op == "where" else tuple(sa[gen.randint(0, len(sa)):])
        if op == "masked_fill":
            cshape = tuple(1 if (s != 1 and gen.chance(0.3)) else s for s in cshape)
        cval, code = gen.rand_mask(cshape, 0.5)
        cond = gen.new_const(cval, code)
    else:
        if op == "where":
            xn = gen.partner(a)
        else:
            xn = a if gen.chance(0.5) else None
            if xn is None:
                xn = gen.pick(lambda v: v.ndim <= len(sa) and v.shape == sa[len(sa) - v.ndim:])
                if xn is None:
                    xn = a
        xv = gen.val(xn)
        if r < 0.8 or xv.size == 0:
            t = round(float(gen.rng.uniform(xv.min(), xv.max())) if xv.size else 0.0, 3)
            if xv.size and np.abs(xv - t).min() <= MARGIN:
                raise Reject
            if gen.chance(0.5):
                cond, cval = f"({xn} > {fs(t)})", xv > t
            else:
                cond, cval = f"({xn} < {fs(t)})", xv < t
        else:
            yn = gen.partner(xn, same_ok=False)
            yv = gen.val(yn)
            if np.abs(xv - yv).min() <= MARGIN:
                raise Reject
            cond, cval = f"({xn} > {yn})", xv > yv
            uses.append(yn)
            if op == "masked_fill" and np.broadcast_shapes(xv.shape, yv.shape) != np.broadcast_shapes(
                    xv.shape, yv.shape, sa):
                raise Reject
        uses.append(xn)
    x = gen.val(a)
    if op == "masked_fill":
        s = gen.any_scalar()
        if np.broadcast_shapes(np.shape(cval), sa) != sa:
            raise Reject
        out = np.where(cval, float(s), x)
        form = gen.choice(["{a}.masked_fill({c}, {s})", "{a}.masked_fill(mask={c}, value={s})"])
        return gen.emit("masked_fill", form.format(a=a, c=cond, s=fs(s)), [out], [a], uses=[a] + uses)
    if gen.chance(0.25):
        s = gen.any_scalar()
        if gen.chance(0.5):
            expr, out = f"torch.where({cond}, {a}, {fs(s)})", np.where(cval, x, float(s))
        else:
            expr, out = f"torch.where({cond}, {fs(s)}, {a})", np.where(cval, float(s), x)
        return gen.emit("where_scalar", expr, [out], [a], uses=[a] + uses)
    b = gen.partner(a)
    form = gen.choice(["torch.where({c}, {a}, {b})", "{a}.where({c}, {b})"])
    return gen.emit("where", form.format(a=a, b=b, c=cond), [np.where(cval, x, gen.val(b))], [a, b],
                    uses=[a, b] + uses)


def pick_dims(gen, nd, single=False, allow_none=True):
    """(argument text or None for all dims, the normalized axes)."""
    if nd == 0:
        if allow_none and gen.chance(0.5):
            return None, ()
        return gen.choice(["0", "-1"]), ()
    if allow_none and gen.chance(0.3):
        return None, tuple(range(nd))
    if single or gen.chance(0.55):
        d = gen.randint(-nd, nd - 1)
        return str(d), (d % nd,)
    k = gen.randint(1, nd)
    ds = [int(d) for d in gen.rng.permutation(nd)[:k]]
    rep = [d - nd if gen.chance(0.3) else d for d in ds]
    text = repr(tuple(rep)) if gen.chance(0.6) else repr(rep)
    return text, tuple(sorted(ds))


def _slices(x, axes):
    """x with the reduced axes flattened last: (rows, n)."""
    if x.ndim == 0 or not axes:
        return x.reshape(-1, 1)
    moved = np.moveaxis(x, axes, range(-len(axes), 0))
    n = _prod([x.shape[a] for a in axes])
    return moved.reshape(-1, n)


def _gap_ok(x, axes):
    rows = _slices(x, axes)
    if rows.shape[1] < 2 or rows.size == 0:
        return True
    s = np.sort(rows, axis=1)
    return bool((s[:, -1] - s[:, -2] > MARGIN).all() and (s[:, 1] - s[:, 0] > MARGIN).all())


def op_reduce(gen):
    op = gen.choice(["sum", "mean", "prod", "amax", "amin", "maxdim", "mindim", "maxall", "var", "std",
                     "logsumexp", "softmax", "log_softmax", "norm", "sum", "mean"])
    if op == "prod":
        a = gen.input(lambda v: v.size <= 24)
    else:
        a = gen.input()
    x = gen.val(a)
    nd = x.ndim
    k = gen.chance(0.4)
    K = fs(k)
    if op in ("sum", "mean", "amax", "amin", "logsumexp", "var", "std"):
        d, axes = pick_dims(gen, nd, allow_none=op != "logsumexp")
    else:
        d, axes = pick_dims(gen, nd, single=True, allow_none=op not in ("softmax", "log_softmax", "maxdim",
                                                                        "mindim"))
    if op == "maxall":
        d, axes = None, tuple(range(nd))
    kd = k and d is not None
    fmt = dict(a=a, d=d, k=K)
    if op in ("sum", "mean"):
        f = np.sum if op == "sum" else np.mean
        out = f(x, axis=axes, keepdims=kd)
        if d is None:
            forms = ["{a}.%s()" % op, "torch.%s({a})" % op]
        else:
            forms = ["{a}.%s({d})" % op, "{a}.%s(dim={d}, keepdim={k})" % op, "torch.%s({a}, {d}, keepdim={k})" % op,
                     "{a}.%s({d}, {k})" % op]
            forms = forms[1:] if k else forms[:1] + ["torch.%s({a}, {d})" % op]
        return gen.emit(op, gen.choice(forms).format(**fmt), [out], [a])
    if op == "prod":
        out = np.prod(x, axis=axes, keepdims=kd)
        if d is None:
            forms = ["{a}.prod()", "torch.prod({a})"]
        else:
            forms = ["{a}.prod({d}, keepdim={k})", "torch.prod({a}, {d}, keepdim={k})"]
            if not k:
                forms.append("{a}.prod({d})")
        return gen.emit(op, gen.choice(forms).format(**fmt), [out], [a])
    if op in ("amax", "amin", "maxdim", "mindim", "maxall"):
        if not _gap_ok(x, axes):
            raise Reject
        big = op in ("amax", "maxdim") or (op == "maxall" and gen.chance(0.5))
        out = (np.max if big else np.min)(x, axis=axes, keepdims=kd)
        if op in ("amax", "amin"):
            if d is None:
                forms = ["{a}.%s()" % op, "torch.%s({a})" % op]
            else:
                forms = ["{a}.%s({d})" % op, "{a}.%s(dim={d}, keepdim={k})" % op, "torch.%s({a}, {d}, {k})" % op]
                if k:
                    forms = forms[1:]
            return gen.emit(op, gen.choice(forms).format(**fmt), [out], [a])
        m = "max" if big else "min"
        if op == "maxall":
            out = (np.max if big else np.min)(x)
            return gen.emit("maxall", gen.choice(["{a}.%s()" % m, "torch.%s({a})" % m]).format(**fmt), [out], [a])
        forms = ["{a}.%s(dim={d}, keepdim={k}).values" % m, "torch.%s({a}, {d}, keepdim={k})[0]" % m]
        if not k:
            forms += ["{a}.%s({d})[0]" % m, "torch.%s({a}, dim={d}).values" % m]
        return gen.emit(m + "_dim", gen.choice(forms).format(**fmt), [out], [a])
    if op in ("var", "std"):
        n = _prod([x.shape[i] for i in axes]) if nd else 1
        c = gen.choice([0, 1, 1, 2])
        if n - c <= 0:
            raise Reject
        out = np.var(x, axis=axes, ddof=c, keepdims=kd)
        if op == "std":
            if out.size and out.min() < 0.01:
                raise Reject
            out = np.sqrt(out)
        fmt.update(c=fs(c), u=fs(c == 1))
        if d is None:
            forms = ["torch.%s({a}, correction={c})" % op]
            if c == 1:
                forms += ["{a}.%s()" % op]
            if c in (0, 1):
                forms += ["{a}.%s(unbiased={u})" % op]
        else:
            forms = ["{a}.%s(dim={d}, correction={c}, keepdim={k})" % op, "torch.%s({a}, {d}, correction={c}, keepdim={k})" % op]
            if c in (0, 1):
                forms += ["torch.%s({a}, {d}, unbiased={u}, keepdim={k})" % op, "{a}.%s({d}, {u}, {k})" % op]
            if c == 1 and not k:
                forms += ["{a}.%s({d})" % op]
        return gen.emit(op, gen.choice(forms).format(**fmt), [out], [a])
    if op == "logsumexp":
        mx = np.max(x, axis=axes, keepdims=True)
        out = np.log(np.sum(np.exp(x - mx), axis=axes, keepdims=True)) + mx
        if not kd:
            out = out.reshape([s for i, s in enumerate(x.shape) if i not in axes])
        forms = ["{a}.logsumexp({d}, keepdim={k})", "torch.logsumexp({a}, {d}, keepdim={k})",
                 "torch.logsumexp({a}, dim={d}, keepdim={k})"]
        if not k:
            forms += ["{a}.logsumexp({d})"]
        return gen.emit(op, gen.choice(forms).format(**fmt), [out], [a])
    if op in ("softmax", "log_softmax"):
        mx = np.max(x, axis=axes, keepdims=True)
        e = np.exp(x - mx)
        ssum = np.sum(e, axis=axes, keepdims=True)
        out = e / ssum if op == "softmax" else x - mx - np.log(ssum)
        forms = ["{a}.%s({d})" % op, "torch.%s({a}, {d})" % op, "F.%s({a}, dim={d})" % op,
                 "torch.%s({a}, dim={d}, dtype=torch.float64)" % op]
        form = gen.choice(forms)
        return gen.emit(op, form.format(**fmt), [out], [a], dtag=("f64",) * 3 if "dtype" in form else None)
    # norm
    p = gen.choice(["2", "1", "3", "1.5", "'fro'", "float('inf')"])
    if p == "'fro'" and len(axes) > 2:
        p = "2"
    ax = np.abs(x)
    if p == "float('inf')":
        if not _gap_ok(ax, axes) or (ax.size and ax.max() <= MARGIN):
            raise Reject
        out = np.max(ax, axis=axes, keepdims=kd)
    else:
        pv = 2.0 if p in ("2", "'fro'") else float(p)
        if p != "2" and p != "'fro'" and not away0(x):
            raise Reject
        out = np.sum(ax**pv, axis=axes, keepdims=kd) ** (1 / pv)
        if out.size and out.min() < 0.1:
            raise Reject
    fmt["p"] = p
    if d is None:
        forms = ["{a}.norm({p})", "torch.norm({a}, p={p})"] + (["{a}.norm()", "torch.norm({a})"] if p == "2" else [])
    else:
        forms = ["{a}.norm({p}, {d}, {k})", "{a}.norm(p={p}, dim={d}, keepdim={k})",
                 "torch.norm({a}, p={p}, dim={d}, keepdim={k})"]
        if p == "2" and not k:
            forms += ["{a}.norm(dim={d})"]
    return gen.emit("norm", gen.choice(forms).format(**fmt), [out], [a])


def op_matmul(gen):
    if gen.chance(0.12):  # outer product of two vectors
        a = gen.input(min_nd=1, max_nd=1)
        b = gen.new_leaf((gen.randint(1, 4),), "unit")
        if gen.chance(0.5):
            a, b = b, a
        bb = f"{b}.to({a}.dtype)" if gen.g.dtag[a] != gen.g.dtag[b] or gen.chance(0.2) else b
        form = gen.choice(["torch.outer({a}, {b})", "{a}.outer({b})"])
        return gen.emit("outer", form.format(a=a, b=bb), [np.outer(gen.val(a), gen.val(b))], [a, b],
                        dtag=gen.g.dtag[a])
    a = gen.input(min_nd=1, max_nd=3)
    sa = gen.val(a).shape
    left = gen.chance(0.6)
    k = gen.randint(1, 4)
    batch_a = sa[:-2]
    r = gen.rng.random()
    if r < 0.3:
        batch = ()
    elif r < 0.6 or not batch_a:
        batch = batch_a if batch_a and gen.chance(0.5) else tuple(gen.randint(1, 3) for _ in range(gen.randint(1, 2)))
    else:
        batch = tuple(1 if gen.chance(0.4) else s for s in batch_a)
        if gen.chance(0.3):
            batch = (2,) + batch
    if left:
        n = sa[-1]
        sb = (n,) if gen.chance(0.25) else batch + (n, k)
    else:
        n = sa[0] if len(sa) == 1 else sa[-2]
        sb = (n,) if gen.chance(0.25) else batch + (k, n)
    if len(sb) > 4:
        raise Reject
    cands = [m for m in gen.order if gen.val(m).shape == sb] if gen.chance(0.3) else []
    b = gen.choice(cands) if cands else gen.new_leaf(sb, "unit")
    L, R = (a, b) if left else (b, a)
    try:
        out = np.matmul(gen.val(L), gen.val(R))
    except ValueError:
        raise Reject from None
    sL, sR = gen.val(L).shape, gen.val(R).shape
    forms = ["{L} @ {R}", "torch.matmul({L}, {R})", "{L}.matmul({R})"]
    if len(sL) == 2 and len(sR) == 2:
        forms += ["torch.mm({L}, {R})", "{L}.mm({R})"]
    if len(sL) == 3 and len(sR) == 3 and sL[0] == sR[0]:
        forms += ["torch.bmm({L}, {R})", "{L}.bmm({R})"]
    if len(sL) == 2 and len(sR) == 1:
        forms += ["torch.mv({L}, {R})", "{L}.mv({R})"]
    if len(sL) == 1 and len(sR) == 1:
        forms += ["torch.dot({L}, {R})", "{L}.dot({R})"]
    RR = f"{R}.to({L}.dtype)" if gen.g.dtag[L] != gen.g.dtag[R] or gen.chance(0.15) else R
    return gen.emit("matmul", gen.choice(forms).format(L=L, R=RR), [out], [L, R], dtag=gen.g.dtag[L])


def rand_reshape(gen, shape):
    n = _prod(shape)
    dims = []
    rem = n
    while rem > 1:
        divs = [d for d in range(2, rem + 1) if rem % d == 0]
        d = rem if gen.chance(0.3) else gen.choice(divs)
        dims.append(d)
        rem //= d
    for _ in range(gen.randint(0, 2)):
        if len(dims) < 4:
            dims.insert(gen.randint(0, len(dims)), 1)
    dims = [int(d) for d in gen.rng.permutation(dims)] if dims else []
    if n == 1 and gen.chance(0.4):
        dims = []
    if len(dims) > 5:
        raise Reject
    arg = list(dims)
    if arg and gen.chance(0.35):
        arg[gen.randint(0, len(arg) - 1)] = -1
    return tuple(arg), tuple(dims)


def op_shape(gen):
    op = gen.choice(["reshape", "reshape", "flatten", "squeeze", "unsqueeze", "transpose", "t", "permute",
                     "expand", "expand", "cat", "cat", "stack", "split", "split", "contiguous", "cast"])
    if op == "reshape":
        a = gen.input()
        x = gen.val(a)
        arg, shape = rand_reshape(gen, x.shape)
        forms = ["{a}.reshape({t})", "torch.reshape({a}, {t})", "{a}.reshape({l})"]
        if arg:
            forms.append("{a}.reshape({args})")
        expr = gen.choice(forms).format(a=a, t=repr(arg), l=repr(list(arg)), args=", ".join(map(str, arg)))
        return gen.emit(op, expr, [x.reshape(shape)], [a])
    if op == "flatten":
        a = gen.input()
        x = gen.val(a)
        nd = x.ndim
        if nd == 0:
            return gen.emit(op, gen.choice(["{a}.flatten()", "torch.flatten({a})"]).format(a=a), [x.reshape(1)], [a])
        s = gen.randint(0, nd - 1)
        e = gen.randint(s, nd - 1)
        shape = x.shape[:s] + (_prod(x.shape[s:e + 1]),) + x.shape[e + 1:]
        S = s - nd if gen.chance(0.3) else s
        E = e - nd if gen.chance(0.5) else e
        forms = ["{a}.flatten({s}, {e})", "torch.flatten({a}, {s}, {e})", "{a}.flatten(start_dim={s}, end_dim={e})"]
        if e == nd - 1:
            forms.append("torch.flatten({a}, {s})")
            if s == 0:
                forms.append("{a}.flatten()")
        return gen.emit(op, gen.choice(forms).format(a=a, s=S, e=E), [x.reshape(shape)], [a])
    if op == "squeeze":
        a = gen.input()
        x = gen.val(a)
        nd = x.ndim
        r = gen.rng.random()
        if r < 0.3:
            out = x.reshape([s for s in x.shape if s != 1])
            expr = gen.choice(["{a}.squeeze()", "torch.squeeze({a})"]).format(a=a)
        elif r < 0.85 or nd < 2:
            d = gen.randint(-max(nd, 1), max(nd, 1) - 1)
            dd = d % nd if nd else None
            out = x.reshape([s for i, s in enumerate(x.shape) if not (i == dd and s == 1)])
            expr = gen.choice(["{a}.squeeze({d})", "torch.squeeze({a}, {d})", "{a}.squeeze(dim={d})"]).format(a=a, d=d)
        else:
            ds = sorted(int(i) for i in gen.rng.permutation(nd)[:2])
            out = x.reshape([s for i, s in enumerate(x.shape) if not (i in ds and s == 1)])
            expr = "{a}.squeeze({t})".format(a=a, t=repr(tuple(ds)))
        return gen.emit(op, expr, [out], [a])
    if op == "unsqueeze":
        a = gen.input(max_nd=3)
        x = gen.val(a)
        nd = x.ndim
        d = gen.randint(-nd - 1, nd)
        out = np.expand_dims(x, d)
        forms = ["{a}.unsqueeze({d})", "torch.unsqueeze({a}, {d})"]
        if d == 0:
            forms.append("{a}[None]")
        if d == -1:
            forms.append("{a}[..., None]")
        return gen.emit(op, gen.choice(forms).format(a=a, d=d), [out], [a])
    if op == "transpose":
        a = gen.input(min_nd=1)
        x = gen.val(a)
        nd = x.ndim
        i, j = gen.randint(-nd, nd - 1), gen.randint(-nd, nd - 1)
        forms = ["{a}.transpose({i}, {j})", "torch.transpose({a}, {i}, {j})", "torch.swapaxes({a}, {i}, {j})"]
        return gen.emit(op, gen.choice(forms).format(a=a, i=i, j=j), [np.swapaxes(x, i, j)], [a])
    if op == "t":
        a = gen.input()
        x = gen.val(a)
        nd = x.ndim
        if nd <= 2:
            forms = ["{a}.t()", "torch.t({a})"] + (["{a}.T", "{a}.mT"] if nd == 2 else [])
            return gen.emit(op, gen.choice(forms).format(a=a), [x.T], [a])
        return gen.emit("mT", f"{a}.mT", [np.swapaxes(x, -1, -2)], [a])
    if op == "permute":
        a = gen.input(min_nd=2)
        x = gen.val(a)
        nd = x.ndim
        perm = [int(p) for p in gen.rng.permutation(nd)]
        arg = [p - nd if gen.chance(0.25) else p for p in perm]
        forms = ["{a}.permute({args})", "{a}.permute({t})", "torch.permute({a}, {t})"]
        expr = gen.choice(forms).format(a=a, args=", ".join(map(str, arg)), t=repr(tuple(arg)))
        return gen.emit(op, expr, [np.transpose(x, perm)], [a])
    if op == "expand":
        a = gen.input(max_nd=3)
        x = gen.val(a)
        new = [gen.randint(1, 3) for _ in range(gen.randint(0, 2 if x.ndim < 3 else 1))]
        tail = [gen.randint(2, 4) if s == 1 and gen.chance(0.7) else s for s in x.shape]
        shape = tuple(new + tail)
        if _prod(shape) > gen.max_numel or shape == ():
            raise Reject
        arg = new + [-1 if (s == t and gen.chance(0.3)) else t for s, t in zip(x.shape, tail)]
        out = np.broadcast_to(x, shape).copy()
        r = gen.rng.random()
        if r < 0.6:
            forms = ["{a}.expand({args})", "{a}.expand({t})"]
            expr = gen.choice(forms).format(a=a, args=", ".join(map(str, arg)), t=repr(tuple(arg)))
            return gen.emit(op, expr, [out], [a])
        if r < 0.85:
            form = gen.choice(["torch.broadcast_to({a}, {t})", "{a}.broadcast_to({t})"])
            return gen.emit("broadcast_to", form.format(a=a, t=repr(shape)), [out], [a])
        cands = [m for m in gen.order if gen.val(m).shape == shape]
        b = gen.choice(cands) if cands else gen.new_leaf(shape, rg=False)
        return gen.emit("expand_as", f"{a}.expand_as({b})", [out], [a], uses=[a, b])
    if op in ("cat", "stack"):
        a = gen.input(min_nd=1 if op == "cat" else 0, max_nd=3)
        x = gen.val(a)
        nd = x.ndim
        d = gen.randint(-nd, nd - 1) if op == "cat" else gen.randint(-nd - 1, nd)
        parts = [a]
        for _ in range(gen.randint(1, 2)):
            if op == "cat":
                shape = list(x.shape)
                shape[d % nd] = gen.choice([1, 2, 3, 0]) if "cat_empty" not in AVOID else gen.choice([1, 2, 3])
                shape = tuple(shape)
            else:
                shape = x.shape
            r = gen.rng.random()
            if r < 0.2:
                parts.append(a)
                continue
            cands = [m for m in gen.order if gen.val(m).shape == shape and m != a] if r < 0.5 else []
            parts.append(gen.choice(cands) if cands else gen.new_leaf(shape))
        parts = [parts[int(i)] for i in gen.rng.permutation(len(parts))]
        vals = [gen.val(p) for p in parts]
        out = np.concatenate(vals, axis=d) if op == "cat" else np.stack(vals, axis=d)
        lst = ", ".join(parts)
        if op == "cat":
            forms = ["torch.cat([{l}], dim={d})", "torch.cat(({l},), {d})", "torch.concat([{l}], {d})"]
            if d == 0:
                forms.append("torch.cat([{l}])")
        else:
            forms = ["torch.stack([{l}], {d})", "torch.stack(({l},), dim={d})"]
            if d == 0:
                forms.append("torch.stack([{l}])")
        trig = ["cat_empty"] if op == "cat" and any(gen.val(p).size == 0 for p in parts) else []
        return gen.emit(op, gen.choice(forms).format(l=lst, d=d), [out], parts, triggers=trig)
    if op == "split":
        a = gen.input(min_nd=1)
        x = gen.val(a)
        nd = x.ndim
        d = gen.randint(-nd, nd - 1)
        L = x.shape[d % nd]
        r = gen.rng.random()
        if r < 0.3:
            s = gen.randint(1, max(L, 1))
            bounds = list(range(s, L, s))
            forms = ["{a}.split({s}, {d})", "torch.split({a}, {s}, dim={d})", "{a}.split({s}, dim={d})"]
            expr = gen.choice(forms).format(a=a, s=s, d=d)
            pieces = np.split(x, bounds, axis=d)
        elif r < 0.55:
            cuts = sorted(gen.randint(0, L) for _ in range(gen.randint(1, 2)))
            sizes = [b - a_ for a_, b in zip([0] + cuts, cuts + [L])]
            forms = ["{a}.split({l}, {d})", "torch.split({a}, {l}, {d})", "torch.split({a}, {l}, dim={d})"]
            expr = gen.choice(forms).format(a=a, l=repr(sizes), d=d)
            pieces = np.split(x, list(np.cumsum(sizes)[:-1]), axis=d)
        elif r < 0.8:
            n = gen.randint(1, L + 1)
            cs = -(-L // n)
            bounds = list(range(cs, L, cs))
            forms = ["{a}.chunk({n}, {d})", "torch.chunk({a}, {n}, dim={d})", "torch.chunk({a}, {n}, {d})"]
            expr = gen.choice(forms).format(a=a, n=n, d=d)
            pieces = np.split(x, bounds, axis=d)
        else:
            if L > 5:
                raise Reject
            forms = ["{a}.unbind({d})", "torch.unbind({a}, {d})", "{a}.unbind(dim={d})"]
            expr = gen.choice(forms).format(a=a, d=d)
            pieces = [np.take(x, i, axis=d) for i in range(L)]
        if len(pieces) > 6:
            raise Reject
        return gen.emit(op, expr, pieces, [a], multi=True, discard_p=0.4, allow_empty=True)
    if op == "contiguous":
        a = gen.input()
        forms = ["{a}.contiguous()", "{a}.clone()", "torch.clone({a})"]
        return gen.emit(op, gen.choice(forms).format(a=a), [gen.val(a)], [a])
    # cast (DT_LO is float32, or float64 in the float64 run)
    a = gen.input()
    if gen.chance(0.5):
        form, tag = gen.choice(["{a}.double()", "{a}.to(torch.float64)", "{a}.to(dtype=torch.float64)"]), "f64"
    else:
        form, tag = gen.choice(["{a}.to(DT_LO)", "{a}.to(dtype=DT_LO)"]), "f32"
    return gen.emit("cast", form.format(a=a), [gen.val(a)], [a], dtag=("f64",) * 3 if tag == "f64" else ("f64", "f32", "f32"))


def _slice_text(sl):
    a = "" if sl.start is None else str(sl.start)
    b = "" if sl.stop is None else str(sl.stop)
    return f"{a}:{b}" + ("" if sl.step is None else f":{sl.step}")


def torch_getitem(x, objs):
    """x[objs] by PyTorch's rules, which differ from NumPy's in one case: integers are applied first
    (as select) and do not count as advanced indices, so x[0, :, idx] is (d1, len(idx)) in PyTorch
    but (len(idx), d1) in NumPy; and an Ellipsis that stands for no dims does not separate
    advanced indices (x[:, i, ..., j, :] on 4 dims)."""
    objs = tuple(objs)
    if any(o is Ellipsis for o in objs):
        used = sum(o.ndim if (isinstance(o, np.ndarray) and o.dtype == np.bool_) else 1
                   for o in objs if o is not None and o is not Ellipsis)
        if used == x.ndim:  # an Ellipsis standing for no dims does not separate advanced indices
            objs = tuple(o for o in objs if o is not Ellipsis)
    has_int = any(isinstance(o, int) for o in objs)
    has_adv = any(isinstance(o, np.ndarray) for o in objs)
    if not (has_int and has_adv):
        return x[objs]
    step1 = []
    for o in objs:
        if o is None:
            continue
        if o is Ellipsis or isinstance(o, int):
            step1.append(o)
        elif isinstance(o, np.ndarray) and o.dtype == np.bool_:
            step1 += [slice(None)] * o.ndim
        else:
            step1.append(slice(None))
    return x[tuple(step1)][tuple(o for o in objs if not isinstance(o, int))]


def op_index(gen):
    r = gen.rng.random()
    if r < 0.12:  # a mask computed from the data
        a = gen.input(min_nd=1)
        x = gen.val(a)
        t = round(float(gen.rng.uniform(x.min(), x.max())), 3)
        if np.abs(x - t).min() <= MARGIN:
            raise Reject
        cmp = gen.choice([">", "<"])
        m = x > t if cmp == ">" else x < t
        return gen.emit("index_datamask", f"{a}[{a} {cmp} {fs(t)}]", [x[m]], [a], allow_empty=True)
    if r < 0.2:  # masked_select with a broadcast mask
        a = gen.input()
        x = gen.val(a)
        cshape = gen.partner_shape(x.shape) if "masked_select_bcast" not in AVOID else x.shape
        m, code = gen.rand_mask(cshape, 0.6)
        c = gen.new_const(m, code)
        xb, mb = np.broadcast_arrays(x, m)
        return gen.emit("masked_select", f"torch.masked_select({a}, {c})", [xb[mb]], [a], uses=[a], allow_empty=True,
                        triggers=["masked_select_bcast"] if tuple(cshape) != x.shape else [])
    if r < 0.28:  # take
        a = gen.input(min_nd=1)
        x = gen.val(a)
        ishape = gen.choice([(), (3,), (2, 2), (5,)])
        idx = gen.rng.integers(0, x.size, size=ishape).astype(np.int64)
        c = gen.new_const(idx)
        form = gen.choice(["{a}.take({c})", "torch.take({a}, {c})"])
        return gen.emit("take", form.format(a=a, c=c), [x.reshape(-1)[idx]], [a])
    a = gen.input(max_nd=4)
    x = gen.val(a)
    nd = x.ndim
    items = []  # (text, object)
    dim = 0
    target = gen.randint(min(nd, 1), nd)
    kinds = set()
    while dim < target:
        size = x.shape[dim]
        r = gen.rng.random()
        if r < 0.2 and size > 0:
            i = gen.randint(-size, size - 1)
            items.append((str(i), i))
            dim += 1
            kinds.add("int")
        elif r < 0.5:
            start = gen.choice([None, 0, 1, -1, -2, 2])
            stop = gen.choice([None, None, 2, -1, 3, 5])
            step = gen.choice([None, None, 1, 2, 3])
            sl = slice(start, stop, step)
            items.append((_slice_text(sl), sl))
            dim += 1
            kinds.add("slice")
        elif r < 0.6:
            items.append(("None", None))
            kinds.add("None")
        elif r < 0.77 and size > 0:
            ishape = gen.choice([(1,), (2,), (3,), (4,), (2, 2)] + ([()] if "index_0d_tensor" not in AVOID else []))
            idx = gen.rng.integers(-size, size, size=ishape).astype(np.int64)
            if ishape == ():
                kinds.add("0d")
            if gen.chance(0.3) and len(ishape) == 1:
                items.append((repr([int(i) for i in idx]), idx))
                kinds.add("list")
            else:
                items.append((gen.new_const(idx), idx))
                kinds.add("longtensor")
            dim += 1
        elif r < 0.9:
            k = gen.randint(1, min(2, nd - dim))
            m, code = gen.rand_mask(x.shape[dim:dim + k], 0.6)
            items.append((gen.new_const(m, code), m))
            dim += k
            kinds.add("boolmask")
        else:
            break
    if gen.chance(0.25):
        items.insert(gen.randint(0, len(items)), ("...", Ellipsis))
        kinds.add("ellipsis")
    if not items:
        items = [gen.choice([("...", Ellipsis), (":", slice(None))])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = torch_getitem(x, [o for _, o in items])
        except (IndexError, ValueError, TypeError, Warning):
            raise Reject from None
    if "index_int_adv" in AVOID and "int" in kinds and kinds & {"list", "longtensor", "boolmask"}:
        raise Reject
    if "index_ellipsis_adv" in AVOID and "ellipsis" in kinds and kinds & {"list", "longtensor", "boolmask"}:
        raise Reject
    text = ", ".join(t for t, _ in items)
    trig = []
    adv = kinds & {"list", "longtensor", "boolmask"}
    if adv and "int" in kinds:
        trig.append("index_int_adv")
    if adv and "ellipsis" in kinds:
        trig.append("index_ellipsis_adv")
    if "0d" in kinds:
        trig.append("index_0d_tensor")
    kinds.discard("0d")
    return gen.emit("index:" + "+".join(sorted(kinds)), f"{a}[{text}]", [np.asarray(out)], [a],
                    allow_empty=True, triggers=trig)


def op_function(gen):
    fn = gen.choice(list(FUNCTION_SOURCES))
    if fn in ("XSinX", "Cube", "SquareOD"):
        a = gen.input()
        x = gen.val(a)
        out = x * np.sin(x) if fn == "XSinX" else (x**3 if fn == "Cube" else x * x)
        return gen.emit("fn:" + fn, f"{fn}.apply({a})", [out], [a])
    if fn in ("ExpSaveOut", "TwoOut"):
        a = gen.input(below(3.0))
        x = gen.val(a)
        if fn == "ExpSaveOut":
            return gen.emit("fn:" + fn, f"{fn}.apply({a})", [np.exp(x)], [a])
        return gen.emit("fn:" + fn, f"{fn}.apply({a})", [np.exp(x), x * x], [a], multi=True, discard_p=0.4)
    if fn == "PassThrough":
        a = gen.input()
        x = gen.val(a)
        return gen.emit("fn:" + fn, f"{fn}.apply({a})", [x, np.sin(x)], [a], multi=True, discard_p=0.4)
    if fn == "ScaleShift":
        a = gen.input()
        alpha, shift = gen.any_scalar(), gen.any_scalar()
        return gen.emit("fn:" + fn, f"{fn}.apply({a}, {fs(alpha)}, {fs(shift)})", [gen.val(a) * alpha + shift], [a])
    a = gen.input()
    b = gen.partner(a)
    return gen.emit("fn:" + fn, f"{fn}.apply({a}, {b})", [gen.val(a) * gen.val(b)], [a, b])


FAMILIES = [(op_unary, 24), (op_binary, 22), (op_reduce, 15), (op_matmul, 6), (op_shape, 18), (op_index, 10),
            (op_function, 7)]
_FAM_P = np.array([w for _, w in FAMILIES], dtype=np.float64) / sum(w for _, w in FAMILIES)


def generate(seed):
    """The graph of a seed (deterministic; NumPy only)."""
    gen = Gen(seed)
    g = gen.g
    if gen.chance(BIG_P):
        gen.big = g.big = True
        gen.max_numel = BIG_NUMEL
        if gen.chance(HUGE_SHARE):
            gen.huge = g.huge = True
            gen.max_numel = HUGE_NUMEL
    with np.errstate(all="ignore"):
        for _ in range(gen.randint(1, 3)):
            gen.new_leaf(gen.rand_shape())
        n_ops = gen.randint(1, 12)
        attempts = 0
        while len(g.ops) < n_ops and attempts < 40 * n_ops:
            attempts += 1
            fam = FAMILIES[int(gen.rng.choice(len(FAMILIES), p=_FAM_P))][0]
            snap = gen.snapshot()
            try:
                fam(gen)
            except (Reject, ValueError, IndexError):
                gen.restore(snap)
        if not g.ops:
            a = gen.order[0]
            gen.emit("mul_scalar", f"{a} * 2.0", [gen.val(a) * 2.0], [a])
    outs = [n for op in g.ops for n in op["outs"]]
    g.sinks = [n for n in outs if gen.consumers.get(n, 0) == 0 and n not in gen.discard]
    if not g.sinks:
        g.sinks = [g.ops[-1]["outs"][0]]
    for s in g.sinks:
        shape = g.values[s].shape
        if _prod(shape) > LITERAL_MAX:
            g.weights[s], g.data_code["W_" + s] = gen.rand_array(2, "np.round(rng.standard_normal({shape}), 3)", shape)
        else:
            g.weights[s] = np.array(np.round(gen.rng.standard_normal(shape), 3)).reshape(shape)
    if not reachable_leaves(g):
        # The loss must require grad: let the first leaf on a differentiable path require it.
        need = set(g.sinks)
        for op in reversed(g.ops):
            if any(o in need for o in op["outs"]):
                need.update(op["diff"])
        for leaf in g.leaves:
            if leaf["name"] in need:
                leaf["rg"] = True
                break
    if len(g.sinks) == 1 and gen.chance(0.3):
        g.backward_form = "gradient"
    elif gen.chance(0.1):
        g.backward_form = "twice"  # backward(retain_graph=True) twice: .grad accumulates 2x
    return g


# ---------------------------------------------------------------------------------------------
# Running a graph with a library


def _np_dtype(leaf, mode):
    if mode == "f64":
        return "float64"
    if mode == "f32":
        return "float32"
    return "float64" if leaf["dt"] == "f64" else "float32"


def leaf_expr(leaf, mode):
    dt = _np_dtype(leaf, mode)
    D = f"D_{leaf['name']}.astype(np.{dt})"
    rg = leaf["rg"]
    lay = leaf["layout"]
    if lay == "tensor_list":
        return f"torch.tensor({D}.tolist(), dtype=torch.{dt}" + (", requires_grad=True)" if rg else ")")
    if lay == "tensor_np":
        return f"torch.tensor({D}" + (", requires_grad=True)" if rg else ")")
    if lay == "from_numpy":
        e = f"torch.from_numpy({D})"
    elif lay == "npstride":
        e = f"torch.from_numpy({D}[..., ::2])"
    elif lay == "tslice":
        e = f"torch.from_numpy({D})[..., ::2]"
    elif lay == "npT":
        e = f"torch.from_numpy({D}.swapaxes(-1, -2))"
    else:  # tmT
        e = f"torch.from_numpy({D}).t()" if leaf["data"].ndim == 2 else f"torch.from_numpy({D}).mT"
    return e + (".requires_grad_()" if rg else "")


def layout_data(leaf, d):
    """The float64 array the leaf's expression reads (D_<name>) for logical data d."""
    lay = leaf["layout"]
    if lay in ("npstride", "tslice"):
        big = np.full(d.shape[:-1] + (2 * d.shape[-1],), JUNK)
        big[..., ::2] = d
        return big
    if lay in ("npT", "tmT"):
        return np.ascontiguousarray(np.swapaxes(d, -1, -2))
    return np.array(d, dtype=np.float64)


class GraphError(Exception):
    def __init__(self, stage, exc):
        super().__init__(f"{stage}: {type(exc).__name__}: {exc}")
        self.stage = stage
        self.exc = exc
        self.tb = traceback.format_exc(limit=-3)


def _to_np(t):
    return np.array(t.detach().numpy(), copy=True)


def _dtname(lib, t):
    return "float64" if t.dtype == lib.float64 else ("float32" if t.dtype == lib.float32 else str(t.dtype))


def build_env(g, lib, mode, datas=None):
    env = dict(lib_env(lib))
    env["DT_LO"] = lib.float64 if mode == "f64" else lib.float32
    for leaf in g.leaves:
        name = leaf["name"]
        d = leaf["data"] if datas is None else datas[name]
        env[f"D_{name}"] = layout_data(leaf, d)
        try:
            env[name] = eval(g.code(leaf_expr(leaf, mode)), env)
        except Exception as e:
            raise GraphError(f"leaf {name}", e) from None
    for c in g.consts:
        env[f"C_{c['name']}"] = c["data"]
        try:
            env[c["name"]] = eval(g.code(f"torch.from_numpy(C_{c['name']})"), env)
        except Exception as e:
            raise GraphError(f"const {c['name']}", e) from None
    return env


def forward(g, env, progress=None):
    for i, op in enumerate(g.ops):
        try:
            res = eval(g.code(op["expr"]), env)
            if op["multi"]:
                res = tuple(res)
                if len(res) != len(op["outs"]):
                    raise RuntimeError(f"expected {len(op['outs'])} outputs, got {len(res)}")
            else:
                res = (res,)
            for n, t in zip(op["outs"], res):
                if type(t).__name__ != "Tensor" and not hasattr(t, "grad_fn"):
                    raise TypeError(f"output {n} is a {type(t).__name__}, not a tensor")
                env[n] = t
        except GraphError:
            raise
        except Exception as e:
            raise GraphError(f"op {i} ({', '.join(op['outs'])} = {op['expr']})", e) from None


def loss_of(g, env):
    total = None
    for s in g.sinks:
        w = env["torch"].from_numpy(g.weights[s]).to(env[s].dtype)
        env["w_" + s] = w
        term = (env[s] * w).sum()
        total = term if total is None else total + term
    return total


def run_graph(g, lib, mode, want_grad=True, datas=None):
    """Runs the graph; returns values/dtypes of the sinks, the loss and the leaves' gradients."""
    env = build_env(g, lib, mode, datas)
    if not want_grad:
        with lib.no_grad():
            forward(g, env)
            try:
                return float(loss_of(g, env).item())
            except Exception as e:
                raise GraphError("loss", e) from None
    forward(g, env)
    try:
        loss = loss_of(g, env)
    except Exception as e:
        raise GraphError("loss", e) from None
    try:
        if g.backward_form == "gradient":
            s = g.sinks[0]
            env[s].backward(env["w_" + s])
        elif g.backward_form == "twice":
            loss.backward(retain_graph=True)
            loss.backward()
        else:
            loss.backward()
    except Exception as e:
        raise GraphError("backward", e) from None
    out = dict(values={}, vdt={}, grads={}, gdt={}, ldt={}, loss=None)
    try:
        out["loss"] = float(loss.item())
        for s in g.sinks:
            out["values"][s] = _to_np(env[s])
            out["vdt"][s] = _dtname(lib, env[s])
        for leaf in g.leaves:
            t = env[leaf["name"]]
            gr = t.grad if leaf["rg"] else None
            out["grads"][leaf["name"]] = None if gr is None else _to_np(gr)
            out["gdt"][leaf["name"]] = None if gr is None else _dtname(lib, gr)
            out["ldt"][leaf["name"]] = _dtname(lib, t)
    except Exception as e:
        raise GraphError("reading results", e) from None
    return out


def run_safe(g, lib, mode, progress=None):
    if progress:
        progress(f"{lib.__name__} {mode}")
    try:
        return run_graph(g, lib, mode)
    except GraphError as e:
        return dict(error=str(e), stage=e.stage, tb=e.tb)


# ---------------------------------------------------------------------------------------------
# Checking


def reachable_leaves(g):
    """Leaves with a differentiable path to a sink."""
    need = set(g.sinks)
    for op in reversed(g.ops):
        if any(o in need for o in op["outs"]):
            need.update(op["diff"])
    return {leaf["name"] for leaf in g.leaves if leaf["name"] in need and leaf["rg"]}


def _fmt_arr(a, limit=6):
    a = np.asarray(a)
    flat = a.reshape(-1)[:limit]
    txt = np.array2string(flat, precision=8, separator=", ")
    return txt if a.size <= limit else txt[:-1] + ", ...]"


def close_report(got, ref, tol):
    """None when every |got - ref| <= tol (tol elementwise), else a short description."""
    got, ref = np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape:
        return f"shape {tuple(got.shape)} vs {tuple(ref.shape)}"
    if got.size == 0:
        return None
    diff = np.abs(got - ref)
    both_nan = np.isnan(got) & np.isnan(ref)
    bad = ~(diff <= tol) & ~both_nan
    if not bad.any():
        return None
    excess = np.where(bad, np.nan_to_num(diff, nan=np.inf) - tol, -np.inf)
    i = np.unravel_index(int(np.argmax(excess)), got.shape)
    tol_i = np.broadcast_to(tol, got.shape)[i]
    return (f"at {tuple(int(j) for j in i)}: fngrad={got[i]!r} ref={ref[i]!r} (|diff|={diff[i]:.3g}, tol={tol_i:.3g}; "
            f"{int(bad.sum())}/{got.size} elements off) fngrad={_fmt_arr(got)} ref={_fmt_arr(ref)}")


def _scale(a):
    a = np.asarray(a)
    return max(1.0, float(np.nanmax(np.abs(a)))) if a.size else 1.0


def fd_gradients(g, leaf_names, eps, coords=None, lib=None):
    """Central differences of the float64 loss (fngrad, no_grad)."""
    if lib is None:
        import fngrad as lib

    base = {leaf["name"]: leaf["data"] for leaf in g.leaves}
    out = {}
    for name in leaf_names:
        d0 = base[name]
        gr = np.zeros_like(d0)
        idxs = coords[name] if coords is not None else range(d0.size)
        for j in idxs:
            vals = []
            for sgn in (1.0, -1.0):
                d = d0.copy()
                d.reshape(-1)[j] += sgn * eps
                datas = dict(base)
                datas[name] = d
                vals.append(run_graph(g, lib, "f64", want_grad=False, datas=datas))
            gr.reshape(-1)[j] = (vals[0] - vals[1]) / (2 * eps)
        out[name] = gr
    return out


def check_fd(g, res, failures, rng, lib=None, only=None):
    """fngrad float64 gradients against central differences (of fngrad's forward, or lib's)."""
    reach = sorted(n for n in reachable_leaves(g) if only is None or n in only)
    if not reach:
        return
    sizes = {n: g.values[n].size for n in reach}
    total = sum(sizes.values())
    coords = None
    limit = BIG_FD_ELEMS if g.big else MAX_FD_ELEMS
    if total > limit:
        coords = {}
        for n in reach:
            k = max(1, int(round(limit * sizes[n] / total)))
            coords[n] = sorted(int(i) for i in rng.choice(sizes[n], size=min(k, sizes[n]), replace=False))
    l1 = sum(float(np.abs(g.values[s] * g.weights[s]).sum()) for s in g.sinks)
    fd = fd_gradients(g, reach, FD_EPS, coords, lib)

    def tol_of(f, eps):
        return 1e-6 * _scale(f) + 1e-4 * np.abs(f) + 1e-14 * max(l1, 1.0) / eps

    for n in reach:
        ad = res["grads"].get(n)
        if ad is None:
            failures.append(dict(kind="grad-none", mode="f64", what=n,
                                 detail=f"{n}.grad is None but {n} reaches the loss", ref="structure"))
            continue
        if g.backward_form == "twice":
            ad = ad / 2
        f = fd[n]
        sel = np.arange(f.size) if coords is None else np.array(coords[n], dtype=np.int64)
        adf, fdf = ad.reshape(-1)[sel], f.reshape(-1)[sel]
        if close_report(adf, fdf, tol_of(fdf, FD_EPS)) is None:
            continue
        # Retry the bad coordinates with other steps before calling it a mismatch.
        ok = False
        for eps in (1e-5, 1e-7, 1e-4):
            f2 = fd_gradients(g, [n], eps, {n: [int(i) for i in sel]}, lib)[n].reshape(-1)[sel]
            if close_report(adf, f2, tol_of(f2, eps)) is None:
                ok = True
                break
        if not ok:
            failures.append(dict(kind="grad-vs-fd", mode="f64", what=n, ref="finite differences",
                                 detail=f"{n}.grad (flat elements {_fmt_arr(sel, 12)}) "
                                 + close_report(adf, fdf, tol_of(fdf, FD_EPS))))


def check_structure(g, res, mode, failures):
    """Gradients exist exactly for reachable leaves, with the leaf's shape and dtype."""
    reach = reachable_leaves(g)
    for leaf in g.leaves:
        n = leaf["name"]
        gr = res["grads"].get(n)
        if gr is None:
            continue
        if n not in reach and leaf["rg"] and np.any(gr != 0):
            failures.append(dict(kind="grad-unexpected", mode=mode, what=n, ref="structure",
                                 detail=f"{n} has no path to the loss but got a nonzero .grad {_fmt_arr(gr)}"))
        if tuple(gr.shape) != tuple(leaf["data"].shape):
            failures.append(dict(kind="grad-shape", mode=mode, what=n, ref="structure",
                                 detail=f"{n}.grad shape {tuple(gr.shape)} != leaf shape {tuple(leaf['data'].shape)}"))
        if res["gdt"][n] != res["ldt"][n]:
            failures.append(dict(kind="grad-dtype", mode=mode, what=n, ref="structure",
                                 detail=f"{n}.grad dtype {res['gdt'][n]} != leaf dtype {res['ldt'][n]}"))


def check_model(g, res, failures):
    """fngrad float64 forward values against the NumPy model of the generator."""
    for s in g.sinks:
        ref = g.values[s]
        got = res["values"][s]
        rep = close_report(got, ref, 1e-7 * _scale(ref) + 1e-6 * np.abs(ref))
        if rep:
            failures.append(dict(kind="value-vs-numpy", mode="f64", what=s, ref="NumPy model", detail=f"{s}: {rep}"))


def compare_vs(g, fn, tr, mode, failures, tr64=None, ref_name="torch"):
    """fngrad outcome fn against reference outcome tr (same mode)."""
    lo = mode != "f64"

    def tol(ref, ref64):
        if not lo:
            return 1e-6 * np.abs(ref) + 1e-8 * _scale(ref)
        est = 0.0
        if ref64 is not None and np.shape(ref64) == np.shape(ref) and np.size(ref):
            est = float(np.nanmax(np.abs(np.asarray(ref64) - ref)))
        return 2e-4 * np.abs(ref) + 2e-5 * _scale(ref) + 10 * est

    for s in g.sinks:
        a, b = fn["values"][s], tr["values"][s]
        if fn["vdt"][s] != tr["vdt"][s]:
            failures.append(dict(kind="value-dtype", mode=mode, what=s, ref=ref_name,
                                 detail=f"{s}.dtype fngrad={fn['vdt'][s]} {ref_name}={tr['vdt'][s]}"))
        r64 = tr64["values"].get(s) if tr64 else None
        rep = close_report(a, b, tol(b, r64))
        if rep:
            failures.append(dict(kind="value", mode=mode, what=s, ref=ref_name, detail=f"{s}: {rep}"))
    for leaf in g.leaves:
        n = leaf["name"]
        if not leaf["rg"]:
            continue
        a, b = fn["grads"].get(n), tr["grads"].get(n)
        if (a is None) != (b is None):
            failures.append(dict(kind="grad-none", mode=mode, what=n, ref=ref_name,
                                 detail=f"{n}.grad is {'None' if a is None else 'set'} in fngrad, "
                                        f"{'None' if b is None else 'set'} in {ref_name}"))
            continue
        if a is None:
            continue
        if fn["gdt"][n] != tr["gdt"][n]:
            failures.append(dict(kind="grad-dtype", mode=mode, what=n, ref=ref_name,
                                 detail=f"{n}.grad dtype fngrad={fn['gdt'][n]} {ref_name}={tr['gdt'][n]}"))
        r64 = tr64["grads"].get(n) if tr64 else None
        rep = close_report(a, b, tol(b, r64))
        if rep:
            failures.append(dict(kind="grad", mode=mode, what=n, ref=ref_name, detail=f"{n}.grad: {rep}"))


def check_graph(g, use_torch, progress=None):
    """All checks of one graph: a dict(status, failures, notes)."""
    import fngrad

    failures, notes = [], []
    rng = np.random.default_rng([g.seed, 99])
    fngrad.set_num_threads(g.threads)
    fn = {m: run_safe(g, fngrad, m, progress) for m in MODES}
    tr = {}
    if use_torch:
        import torch

        tr = {m: run_safe(g, torch, m, progress) for m in MODES}
    invalid = False
    for m in MODES:
        fe, te = fn[m].get("error"), (tr[m].get("error") if use_torch else None)
        if fe and use_torch and te:
            invalid = True
            notes.append(f"[{m}] both raise: fngrad {fe} | torch {te}")
        elif fe:
            failures.append(dict(kind="fngrad-raises", mode=m, what=fn[m]["stage"], ref="torch" if use_torch else "none",
                                 detail=fe + ("  (torch succeeds)" if use_torch else "") + "\n" + fn[m]["tb"].rstrip()))
        elif te:
            failures.append(dict(kind="torch-raises", mode=m, what=tr[m]["stage"], ref="torch",
                                 detail=f"torch raises but fngrad succeeds: {te}"))
    if invalid:
        return dict(status="invalid", failures=[], notes=notes)
    f64 = fn["f64"]
    if "error" not in f64:
        if progress:
            progress("model+fd")
        model = []
        check_model(g, f64, model)
        for m in MODES:
            if "error" not in fn[m]:
                check_structure(g, fn[m], m, failures)
        fdf = []
        check_fd(g, f64, fdf, rng)
        if use_torch and "error" not in tr["f64"]:
            # Triage with PyTorch: a disagreement with the model or finite differences that PyTorch
            # shares is a fuzzer problem (model or domain), not an fngrad bug.
            tcheck = []
            compare_vs(g, f64, tr["f64"], "f64", tcheck)
            if model:
                tm = []
                check_model(g, tr["f64"], tm)
                if tm and not [f for f in tcheck if f["kind"] == "value"]:
                    notes += ["model: " + f["detail"] for f in model]
                    model = []
            kept = []
            for f in fdf:
                n = f["what"]
                if f["kind"] != "grad-vs-fd" or any(t["kind"] == "grad" and t["what"] == n for t in tcheck):
                    kept.append(f)  # structural, or PyTorch's gradient differs as well: fngrad's backward
                    continue
                # fngrad's gradient is PyTorch's: is it fngrad's forward (finite differences of PyTorch's
                # forward agree with the gradient) or the domain (they do not either)?
                tfd = []
                check_fd(g, f64, tfd, np.random.default_rng([g.seed, 99]), lib=torch, only={n})
                if tfd:
                    notes.append("fd (PyTorch's finite differences disagree too): " + f["detail"])
                else:
                    f["kind"] = "fd-forward"
                    f["detail"] = ("fngrad's float64 forward is not the function PyTorch computes (finite "
                                   "differences of PyTorch's forward match the gradient): " + f["detail"])
                    kept.append(f)
            fdf = kept
        failures += model + fdf
    if use_torch:
        for m in MODES:
            if "error" in fn[m] or "error" in tr[m]:
                continue
            t64 = tr["f64"] if "error" not in tr["f64"] else None
            compare_vs(g, fn[m], tr[m], m, failures, tr64=t64 if m != "f64" else None)
    else:
        for m in ("f32", "mixed"):
            if "error" in fn[m] or "error" in f64:
                continue
            loose = []
            for s in g.sinks:
                rep = close_report(fn[m]["values"][s], f64["values"][s],
                                   2e-2 * _scale(f64["values"][s]) + 2e-2 * np.abs(f64["values"][s]))
                if rep:
                    loose.append(dict(kind="value-lowprec", mode=m, what=s, ref="fngrad float64", detail=f"{s}: {rep}"))
            for n, gr in fn[m]["grads"].items():
                ref = f64["grads"].get(n)
                if gr is None or ref is None:
                    continue
                rep = close_report(gr, ref, 2e-2 * _scale(ref) + 2e-2 * np.abs(ref))
                if rep:
                    loose.append(dict(kind="grad-lowprec", mode=m, what=n, ref="fngrad float64", detail=f"{n}.grad: {rep}"))
            failures += loose
    return dict(status="fail" if failures else "ok", failures=failures, notes=notes)


# ---------------------------------------------------------------------------------------------
# Reproducers


def _lit(a, dtype=None):
    a = np.asarray(a)
    dt = dtype or {"b": "np.bool_", "i": "np.int64"}.get(a.dtype.kind, "np.float64")
    if a.size == 0:
        return f"np.zeros({tuple(a.shape)!r}, dtype={dt})"
    return f"np.array({a.tolist()!r}, dtype={dt})"


def render(g, mode="f64", comments=()):
    """The graph as a self-contained script using `import fngrad as torch`."""
    L = ["import numpy as np", "import fngrad as torch", "import fngrad.nn.functional as F", "",
         f"torch.set_num_threads({g.threads})", ""]
    for name in g.functions():
        L += FUNCTION_SOURCES[name].strip("\n").splitlines() + [""]
    L.append(f"DT_LO = torch.{'float64' if mode == 'f64' else 'float32'}")
    for leaf in g.leaves:
        n = leaf["name"]
        code = g.data_code.get(n)
        if code is None:
            L.append(f"D_{n} = {_lit(layout_data(leaf, leaf['data']))}")
        elif leaf["layout"] in ("npstride", "tslice"):
            L.append(f"{n}_data = {code}")
            L.append(f"D_{n} = np.full({n}_data.shape[:-1] + (2 * {n}_data.shape[-1],), {JUNK!r})")
            L.append(f"D_{n}[..., ::2] = {n}_data")
        elif leaf["layout"] in ("npT", "tmT"):
            L.append(f"D_{n} = np.ascontiguousarray(np.swapaxes({code}, -1, -2))")
        else:
            L.append(f"D_{n} = {code}")
        L.append(f"{n} = {leaf_expr(leaf, mode)}")
    for c in g.consts:
        code = g.data_code.get(c["name"])
        L.append(f"{c['name']} = torch.from_numpy({code or _lit(c['data'])})")
    for op in g.ops:
        lhs = ", ".join(op["outs"]) + ("," if op["multi"] and len(op["outs"]) == 1 else "")
        L.append(f"{lhs} = {op['expr']}")
    terms = []
    for s in g.sinks:
        L.append(f"w_{s} = torch.from_numpy({g.data_code.get('W_' + s) or _lit(g.weights[s])}).to({s}.dtype)")
        terms.append(f"({s} * w_{s}).sum()")
    L.append("loss = " + " + ".join(terms))
    if g.backward_form == "gradient":
        L.append(f"{g.sinks[0]}.backward(w_{g.sinks[0]})")
    elif g.backward_form == "twice":
        L += ["loss.backward(retain_graph=True)", "loss.backward()"]
    else:
        L.append("loss.backward()")
    L.append("print('loss', loss.item())")
    for leaf in g.leaves:
        if leaf["rg"]:
            L.append(f"print('{leaf['name']}.grad', {leaf['name']}.grad)")
    for c in comments:
        L += ["# " + line for line in str(c).splitlines()]
    return "\n".join(L) + "\n"


def dce(g):
    """Drops ops, leaves and consts that do not contribute to the sinks."""
    h = g.copy()
    need = set(h.sinks)
    keep = []
    for op in reversed(h.ops):
        if any(o in need for o in op["outs"]):
            keep.append(op)
            need.update(op["uses"])
            need.update(n for n in _names_in(op["expr"]))
    h.ops = list(reversed(keep))
    h.leaves = [x for x in h.leaves if x["name"] in need]
    h.consts = [c for c in h.consts if c["name"] in need]
    h.weights = {s: h.weights[s] for s in h.sinks}
    return h


def _names_in(expr):
    import re

    return re.findall(r"\b[xvc]\d+\b", expr)


def minimize(g, use_torch, log=print):
    """Greedy: keep only one sink, then make the earliest failing intermediate the only sink."""
    def fails(h):
        try:
            return check_graph(h, use_torch)["status"] == "fail"
        except Exception:
            return False

    cur = g
    rng = np.random.default_rng([g.seed, 7])
    if len(cur.sinks) > 1:
        for s in cur.sinks:
            h = cur.copy()
            h.sinks = [s]
            h = dce(h)
            if fails(h):
                cur = h
                break
    for op in cur.ops:
        done = False
        for n in op["outs"]:
            if n in cur.sinks and len(cur.sinks) == 1:
                done = True
                break
            h = cur.copy()
            h.sinks = [n]
            h.weights = {n: np.array(np.round(rng.standard_normal(h.values[n].shape), 3)).reshape(h.values[n].shape)}
            h.backward_form = "loss"
            h = dce(h)
            if fails(h):
                cur = h
                done = True
                break
        if done:
            break
    log(f"minimized: {len(g.ops)} -> {len(cur.ops)} ops, {len(g.leaves)} -> {len(cur.leaves)} leaves")
    return cur


# ---------------------------------------------------------------------------------------------
# Child process: run seeds, report each as one JSON line


def _torch_available():
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def _setup_child(use_torch):
    warnings.simplefilter("ignore")
    import faulthandler

    faulthandler.enable()
    import fngrad  # noqa: F401

    if use_torch:
        import torch

        torch.set_num_threads(1)


def check_seed(seed, use_torch, progress=None, with_snippet=True):
    t0 = time.time()
    try:
        g = generate(seed)
    except Exception:
        return dict(seed=seed, status="fuzzer-error", failures=[], notes=[traceback.format_exc()], kinds=[], ops=0)
    try:
        res = check_graph(g, use_torch, progress)
    except Exception:
        return dict(seed=seed, status="fuzzer-error", failures=[], notes=[traceback.format_exc()],
                    kinds=[op["kind"] for op in g.ops], ops=len(g.ops))
    res.update(seed=seed, kinds=[op["kind"] for op in g.ops], ops=len(g.ops), time=time.time() - t0,
               triggers=g.triggers(), on_pool=g.on_pool())
    if res["failures"] and with_snippet:
        mode = res["failures"][0]["mode"]
        res["snippet"] = render(g, mode, [f"seed {seed}, {mode} run: " + f["kind"] + " vs " + f["ref"] + ": "
                                          + f["detail"].splitlines()[0] for f in res["failures"][:4]])
        res["snippet_mode"] = mode
    return res


def child_main(start, count, use_torch, deadline):
    _setup_child(use_torch)
    out = sys.stdout

    def progress(stage):
        out.write(f"P {stage}\n")
        out.flush()

    plant = os.environ.get("FUZZ_GRAPHS_PLANT_CRASH")  # self-test of crash detection: "seed" or "seed:after"
    for seed in range(start, start + count):
        if deadline and time.time() > deadline:
            break
        out.write(f"S {seed}\n")
        out.flush()
        if plant:
            p_seed, _, p_after = plant.partition(":")
            if seed == int(p_seed) and (not p_after or start <= int(p_after) < seed):
                import signal

                os.kill(os.getpid(), signal.SIGSEGV)
        res = check_seed(seed, use_torch, progress)
        out.write("R " + json.dumps(res, default=str) + "\n")
        out.flush()
    out.write("DONE\n")
    out.flush()


# ---------------------------------------------------------------------------------------------
# Parent: child processes, crash detection, summary


def _spawn(start, count, use_torch, deadline):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--start", str(start), "--count", str(count),
           "--torch" if use_torch else "--no-torch"]
    if deadline:
        cmd += ["--deadline", repr(deadline)]
    if AVOID:
        cmd += ["--avoid", ",".join(sorted(AVOID))]
    if BIG_P != _BIG_P_DEFAULT:
        cmd += ["--big", repr(BIG_P)]
    err = tempfile.TemporaryFile()
    # One BLAS and PyTorch thread per child (two children share two cores); fngrad's own pool gets
    # the graph's thread count (Graph.threads).
    env = dict(os.environ, PYTHONFAULTHANDLER="1", OMP_NUM_THREADS="1")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env, cwd=os.getcwd())
    return proc, err


def _run_child(start, count, use_torch, deadline, timeout, on_result):
    """Runs seeds [start, start+count) in one child. Returns (next seed to run or None, crash dict or None)."""
    proc, err = _spawn(start, count, use_torch, deadline)
    fd = proc.stdout.fileno()
    buf = b""
    current, stage, done = None, None, False
    last = time.time()
    timed_out = False
    while True:
        r, _, _ = select.select([fd], [], [], 2.0)
        if not r:
            if time.time() - last > timeout:
                proc.kill()
                timed_out = True
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        last = time.time()
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            text = line.decode("utf-8", "replace")
            if text.startswith("S "):
                current, stage = int(text[2:]), None
            elif text.startswith("P "):
                stage = text[2:]
            elif text.startswith("R "):
                on_result(json.loads(text[2:]))
                current = None
            elif text == "DONE":
                done = True
    rc = proc.wait()
    proc.stdout.close()
    err.seek(0)
    stderr = err.read().decode("utf-8", "replace")
    err.close()
    if done and rc == 0:
        return None, None
    crash = dict(seed=current, rc=rc, stage=stage, timeout=timed_out, stderr=stderr[-3000:], range_start=start)
    nxt = (current + 1) if current is not None else None
    return nxt, crash


def _crashes(start, count, use_torch, timeout):
    _, crash = _run_child(start, count, use_torch, None, timeout, lambda r: None)
    return crash is not None and crash["seed"] == start + count - 1


def confirm_crash(crash, use_torch, timeout, log):
    """Re-runs the crashing seed alone; if it does not crash alone, bisects the earliest start needed."""
    seed = crash["seed"]
    if seed is None:
        crash["confirmed"] = "no seed was running (crash between graphs or at exit)"
        return crash
    if _crashes(seed, 1, use_torch, timeout):
        crash["confirmed"] = "crashes alone"
        return crash
    lo = crash["range_start"]
    if not _crashes(lo, seed - lo + 1, use_torch, timeout):
        crash["confirmed"] = "not reproducible (flaky)"
        return crash
    # Largest s with [s, seed] still crashing.
    good, bad = lo, seed  # [good..seed] crashes, [bad..seed] does not
    for _ in range(14):
        if bad - good <= 1:
            break
        mid = (good + bad) // 2
        if _crashes(mid, seed - mid + 1, use_torch, timeout):
            good = mid
        else:
            bad = mid
    crash["confirmed"] = f"crashes only after earlier seeds: needs seeds {good}..{seed}"
    return crash


class Summary:
    def __init__(self):
        self.lock = threading.Lock()
        self.results = []
        self.crashes = []

    def add(self, res):
        with self.lock:
            self.results.append(res)


def run_batch(start, count, use_torch, jobs=2, deadline=None, timeout=300, log=None, verbose=False, max_reports=30):
    """Runs seeds [start, start+count) in `jobs` child processes. Returns a summary dict."""
    log = log or (lambda s: print(s, flush=True))
    t0 = time.time()
    summ = Summary()
    reported = [0]

    def on_result(res):
        summ.add(res)
        if res["status"] == "fail":
            with summ.lock:
                reported[0] += 1
                n = reported[0]
            if n <= max_reports:
                lines = [f"\n=== MISMATCH seed {res['seed']} ({res['ops']} ops; known-bug triggers in the graph: "
                         f"{', '.join(res.get('triggers') or ['none'])}) ==="]
                for f in res["failures"][:6]:
                    lines.append(f"- {f['kind']} [{f['mode']}] vs {f['ref']}: {f['detail']}")
                lines.append(f"--- reproducer ({res.get('snippet_mode')}) ---\n" + res.get("snippet", ""))
                log("\n".join(lines))
            else:
                log(f"MISMATCH seed {res['seed']}: " + "; ".join(sorted({f['kind'] for f in res['failures']})))
        elif res["status"] == "fuzzer-error":
            log(f"FUZZER ERROR seed {res['seed']}:\n" + "\n".join(res["notes"]))
        elif verbose and res.get("notes"):
            log(f"note seed {res['seed']} [{res['status']}]: " + " | ".join(n.splitlines()[0] for n in res["notes"]))

    jobs = max(1, min(jobs, count))
    per = -(-count // jobs)
    ranges = [(start + i * per, min(per, count - i * per)) for i in range(jobs) if count - i * per > 0]

    def worker(s0, n0):
        s, end = s0, s0 + n0
        while s < end:
            if deadline and time.time() > deadline:
                break
            nxt, crash = _run_child(s, end - s, use_torch, deadline, timeout, on_result)
            if crash is None:
                break
            crash = confirm_crash(crash, use_torch, timeout, log)
            with summ.lock:
                summ.crashes.append(crash)
            g = generate(crash["seed"]) if crash["seed"] is not None else None
            log(f"\n=== CRASH seed {crash['seed']} (exit {crash['rc']}{', timeout' if crash['timeout'] else ''}, "
                f"while running: {crash['stage']}; {crash.get('confirmed')}) ===\n{crash['stderr'][-1500:]}"
                + (f"\n--- reproducer ---\n{render(g, 'f32' if crash['stage'] and 'f32' in crash['stage'] else 'f64')}"
                   if g else ""))
            if nxt is None:
                # Crash outside a graph: skip past the last reported seed.
                done = [r["seed"] for r in summ.results if s <= r["seed"] < end]
                nxt = (max(done) + 1) if done else s + 1
            s = nxt

    threads = [threading.Thread(target=worker, args=r) for r in ranges]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    res = summ.results
    kinds = {}
    for r in res:
        for k in r.get("kinds", []):
            k = k.split(":")[0] if not k.startswith(("fn:", "index:")) else k.split(":")[0] + ":" + k.split(":")[1]
            kinds[k] = kinds.get(k, 0) + 1
    out = dict(
        graphs=len(res) + len([c for c in summ.crashes if c["seed"] is not None]),
        ok=sum(r["status"] == "ok" for r in res),
        mismatches=sum(r["status"] == "fail" for r in res),
        crashes=len(summ.crashes),
        invalid=sum(r["status"] == "invalid" for r in res),
        fuzzer_errors=sum(r["status"] == "fuzzer-error" for r in res),
        noted=sum(bool(r.get("notes")) and r["status"] != "invalid" for r in res),
        seconds=elapsed,
        failing_seeds=sorted(r["seed"] for r in res if r["status"] == "fail"),
        unexplained_seeds=sorted(r["seed"] for r in res if r["status"] == "fail" and not r.get("triggers")),
        by_known_bug={},
        crash_seeds=sorted(c["seed"] for c in summ.crashes if c["seed"] is not None),
        failure_kinds={},
        op_kinds=kinds,
        ops=sum(r.get("ops", 0) for r in res),
        on_pool=sum(bool(r.get("on_pool")) for r in res),
        torch=use_torch,
        results=res,
    )
    for r in res:
        if r["status"] == "fail":
            for t in r.get("triggers") or ["(none: not explained by a known bug)"]:
                out["by_known_bug"][t] = out["by_known_bug"].get(t, 0) + 1
            for k in sorted({f"{f['kind']}[{f['mode']}]" for f in r["failures"]}):
                out["failure_kinds"][k] = out["failure_kinds"].get(k, 0) + 1
    return out


def print_summary(s, start, count, log=print):
    log("\n================ fuzz_graphs summary ================")
    log(f"seeds            {start}..{start + count - 1} (requested {count})")
    log("oracle           finite differences (float64)" + (" + PyTorch (float64, float32, mixed)" if s["torch"] else ""))
    log(f"graphs run       {s['graphs']}  ({s['ops']} ops; {s['on_pool']} graphs on fngrad's thread pool)")
    log(f"ok               {s['ok']}")
    log(f"mismatches       {s['mismatches']}" + (f"  seeds {s['failing_seeds'][:40]}" if s["mismatches"] else ""))
    if s["failure_kinds"]:
        log(f"  by kind        {s['failure_kinds']}")
        log(f"  graphs containing a trigger of a known bug: {s['by_known_bug']}")
        log(f"  not explained by a known bug: {len(s['unexplained_seeds'])}"
            + (f"  seeds {s['unexplained_seeds'][:40]}" if s["unexplained_seeds"] else ""))
    log(f"crashes          {s['crashes']}" + (f"  seeds {s['crash_seeds']}" if s["crashes"] else ""))
    log(f"invalid graphs   {s['invalid']}  (both libraries raise: a fuzzer problem, not counted as mismatch)")
    log(f"triaged notes    {s['noted']}  (model/FD disagreements PyTorch shares: fuzzer problems)")
    log(f"fuzzer errors    {s['fuzzer_errors']}")
    log(f"time             {s['seconds']:.1f} s  ({s['graphs'] / max(s['seconds'], 1e-9):.1f} graphs/s)")
    top = sorted(s["op_kinds"].items(), key=lambda kv: -kv[1])
    log("op coverage      " + ", ".join(f"{k}={v}" for k, v in top))


def set_big(p):
    global BIG_P
    BIG_P = p


def set_avoid(spec):
    AVOID.clear()
    names = [n for n in (spec or "").split(",") if n]
    if "known" in names:
        names = list(KNOWN_BUGS)
    for n in names:
        if n not in KNOWN_BUGS and n not in FIXED_BUGS:
            raise SystemExit(f"unknown --avoid name {n!r}; known: {', '.join([*KNOWN_BUGS, *FIXED_BUGS])}")
        AVOID.add(n)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--graphs", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0, help="first seed; seeds are seed..seed+graphs-1")
    p.add_argument("--torch", dest="torch", action="store_true", default=None, help="also compare with PyTorch")
    p.add_argument("--no-torch", dest="torch", action="store_false", help="finite differences only")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--time-budget", type=float, default=None, help="stop starting graphs after this many seconds")
    p.add_argument("--timeout", type=float, default=300, help="seconds one graph may take before it counts as a hang")
    p.add_argument("--max-reports", type=int, default=30)
    p.add_argument("--json", help="write all results to this JSON file")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--one", type=int, help="run one seed in-process and print everything")
    p.add_argument("--minimize", action="store_true", help="with --one: minimize a failing graph")
    p.add_argument("--show", type=int, help="print the graph of a seed as Python code")
    p.add_argument("--mode", default="f64", choices=MODES)
    p.add_argument("--big", type=float, default=_BIG_P_DEFAULT, help="share of big graphs (default %(default)s)")
    p.add_argument("--avoid", default="", help="comma-separated KNOWN_BUGS names to steer clear of, or 'known' for all")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--start", type=int, help=argparse.SUPPRESS)
    p.add_argument("--count", type=int, help=argparse.SUPPRESS)
    p.add_argument("--deadline", type=float, default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    use_torch = _torch_available() if a.torch is None else a.torch
    set_avoid(a.avoid)
    set_big(a.big)
    if a.child:
        child_main(a.start, a.count, use_torch, a.deadline)
        return 0
    if a.show is not None:
        print(render(generate(a.show), a.mode), end="")
        return 0
    if a.one is not None:
        _setup_child(use_torch)
        g = generate(a.one)
        print(render(g, a.mode))
        res = check_graph(g, use_torch)
        print("status:", res["status"])
        for f in res["failures"]:
            print(f"- {f['kind']} [{f['mode']}] vs {f['ref']}: {f['detail']}")
        for n in res["notes"]:
            print("note:", n)
        if a.minimize and res["status"] == "fail":
            h = minimize(g, use_torch)
            r2 = check_graph(h, use_torch)
            mode = r2["failures"][0]["mode"] if r2["failures"] else a.mode
            print(render(h, mode, [f"{f['kind']} [{f['mode']}] vs {f['ref']}: {f['detail']}" for f in r2["failures"]]))
        return 1 if res["status"] == "fail" else 0
    deadline = time.time() + a.time_budget if a.time_budget else None
    print(f"fuzz_graphs: seeds {a.seed}..{a.seed + a.graphs - 1}, torch={'yes' if use_torch else 'no'}, jobs={a.jobs}"
          + (f", avoiding known bugs {sorted(AVOID)}" if AVOID else ""), flush=True)
    s = run_batch(a.seed, a.graphs, use_torch, jobs=a.jobs, deadline=deadline, timeout=a.timeout,
                  verbose=a.verbose, max_reports=a.max_reports)
    print_summary(s, a.seed, a.graphs)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({k: v for k, v in s.items()}, f, default=str, indent=1)
    return 1 if (s["mismatches"] or s["crashes"]) else 0


if __name__ == "__main__":
    sys.exit(main())
