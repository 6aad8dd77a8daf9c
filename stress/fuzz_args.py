#!/usr/bin/env python
"""Argument fuzzer: every op of the op table called with random kinds of arguments, beside PyTorch.

Where ``stress/fuzz_graphs.py`` checks gradients of well-formed graphs, this one checks the edges of
each op's argument handling: every argument slot is filled at random with a Python scalar (int,
float, bool), a 0-d tensor, an empty tensor, a non-contiguous tensor, a tensor of any dtype (bool,
uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64), of the op's shape, a
broadcastable shape or a shape that does not broadcast; the op is called as a function, with
PyTorch's keyword names (``input=``, ``other=``), as a method, and in place. fngrad and PyTorch get
the same values and the same call, and must agree: both raise, or both return results of the same
shapes, dtypes and values; where the float inputs require grad, the gradients of the result's sum
agree too. The ops come from ``tests/op_table.py`` (its native elementwise rows and every ``OPS``
row whose name is a function of both libraries), so a new op is fuzzed the day it gets its row.

Cases run in child processes (two by default): a crash or a hang is reported with the case that
was running, and the child is restarted after it. Each case is one seed: ``--one N`` reruns it in
this process and prints its call as a ``import fngrad as torch`` script.

    python stress/fuzz_args.py                    # 20 cases per op (~1 min)
    python stress/fuzz_args.py --per-op 2         # the quick pass (CI runs this in the test suite)
    python stress/fuzz_args.py --one 1234         # one case, in-process, with its reproducer
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import time
import warnings

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64")
FLOATS = ("float16", "bfloat16", "float32", "float64")
# Elementwise tolerance of each result dtype (rtol, atol): the libraries' transcendental kernels
# differ in the last bits, and half precisions round the float32 results they are computed from.
TOLERANCE = {"float16": (1e-2, 1e-2), "bfloat16": (2e-2, 2e-2), "float32": (1e-4, 1e-5), "float64": (1e-9, 1e-12)}

# Differences the fuzzer found that are left as they are, each with why: (op or None for any op, a
# piece of the difference's text, the reason). A case that matches is counted as known.
KNOWN = [
    ("linalg_svd", "values differ", "singular vectors are unique only up to sign; NumPy's LAPACK driver picks others"),
    ("linalg_eigh", "values differ", "eigenvectors are unique only up to sign; NumPy's LAPACK driver picks others"),
    (None, "is unsupported in linalg", "fngrad.linalg runs on NumPy's LAPACK, which has no float16"),
    ("logdet", "grad", "the gradient where logdet is NaN (negative determinant): PyTorch gives 0"),
    ("F.cosine_similarity", "Expected a floating point tensor", "integer inputs to cosine_similarity"),
    ("linalg_eigvalsh", "Expected a floating point or complex tensor", "an empty input of a dtype the op refuses: "
     "PyTorch returns the empty result without its dtype check, fngrad checks first"),
    ("F.grid_sample", "to have the same floating point dtype", "an empty grid of a dtype the op refuses, as "
     "eigvalsh"),
    ("F.softmin", "not implemented for", "an empty integer input, as eigvalsh (softmax's kernel never runs)"),
    ("linalg_cond", "Expected a floating point or complex tensor", "an empty integer matrix, as eigvalsh (PyTorch "
     "returns 0 for empty matrices before its dtype check)"),
    ("copysign", "In-place modification of a view of a non-contiguous tensor that requires grad", "fngrad refuses "
     "an in-place op on a non-contiguous view once the graph needs it (even an empty one), asking for a clone"),
    ("atan2", "grad 0: values differ", "a uint8 input beside a float other that requires grad: PyTorch's backward "
     "-input / (input^2 + other^2) negates input in uint8, which wraps (-9 becomes 247); fngrad's matches the "
     "derivative"),
    ("F.scaled_dot_product_attention", "must match the size of tensor b (0)", "a value with batch 0 against a "
     "query/key batch of 2: PyTorch's fused CPU kernel does not check the batch sizes agree and returns a result "
     "of the query's batch; fngrad's matmul refuses the mismatch"),
    ("floor_divide", "values differ", "uint8 divided by a negative number: fngrad divides in int64 and wraps the "
     "quotient (Note [Storage dtypes]); PyTorch wraps the divisor to uint8 first"),
    ("remainder", "values differ", "uint8 and a negative divisor, as floor_divide"),
    ("fmod", "values differ", "uint8 and a negative divisor, as floor_divide"),
    ("bmm", "to have the same dtype", "an empty batch of mixed dtypes: PyTorch returns the empty product without "
     "its dtype check, fngrad checks first (as eigvalsh)"),
    ("cholesky_inverse", "grad", "the gradient for a factor whose other triangle holds values: PyTorch's formula "
     "reads them, fngrad's reads the triangle the forward used"),
    ("cholesky_solve", "grad", "the gradient for a factor whose other triangle holds values: PyTorch's formula "
     "multiplies by the whole factor, so even the used triangle's gradient is off (finite differences agree with "
     "fngrad's, which reads the triangle the forward used; both agree on triangular factors)"),
    ("linalg_matrix_exp", "values differ", "float16 inputs: fngrad computes the exponential in float64 and rounds "
     "once; PyTorch's float16 kernel overflows in its degree-18 polynomial and returns NaN/inf"),
    # Backward formulas PyTorch does not have: fngrad runs the forward and gives the gradient of a step
    # function (zero) or none, where PyTorch refuses a graph through the op. Code that ran under PyTorch
    # never took this path, so it runs the same; the refusal protects no user.
    ("floor_divide", "derivative for aten::floor_divide is not implemented", "fngrad's gradient is the step "
     "function's: zero"),
    ("histogram", "output 0: values differ", "a value on a bin edge (a single value is its range's midpoint): "
     "PyTorch's edges come from its vectorised linspace kernel, whose float32/float64 rounding depends on the CPU's "
     "vector width and differs from NumPy's in the last bit, so the value lands in the neighbouring bin (the "
     "edges, output 1, agree within tolerance)"),
    ("histogram", "derivative for aten::histogram is not implemented", "fngrad returns the histogram outside the "
     "graph (counts have no gradient)"),
    ("unique", "derivative for '_unique2' is not implemented", "fngrad returns the unique values outside the graph"),
    ("unique_consecutive", "derivative for 'unique_consecutive' is not implemented", "as unique"),
    ("F.hardsigmoid", "grad 0: values differ", "PyTorch's backward multiplies float64 gradients by the float32 "
     "constant 1.0f / 6.0f (0.1666666716...); fngrad's by 1/6 in the gradient's dtype"),
    ("remainder", "derivative for aten::remainder is not implemented", "fngrad's gradient is PyTorch's for a "
     "tensor divisor (1 for the dividend), also when the dividend is a Python number"),
    # PyTorch's forward promotes mixed dtypes, and its own backward then refuses them: the fuzzer's
    # gradient, not the call, raises. fngrad's backward casts each gradient to its input's dtype.
    ("addr", "addmv input tensors must have the same dtype", "PyTorch's backward of a mixed-dtype addr (its "
     "forward promotes) calls addmv with the promoted gradient and the unpromoted vectors and refuses them"),
    ("addcdiv", "can't be cast to the desired output type", "PyTorch's backward of addcdiv with an integer or bool "
     "tensor2 (its forward promotes) writes the float gradient into tensor2's dtype and refuses"),
    ("logaddexp", "with a bool tensor is not supported", "PyTorch's backward of logaddexp with a bool operand "
     "(its forward promotes it) subtracts the bool tensor and refuses"),
    ("logaddexp2", "with a bool tensor is not supported", "as logaddexp"),
    ("atan2", "on a bool tensor is not supported", "PyTorch's backward of atan2 with a bool operand (its forward "
     "promotes it) negates the bool tensor and refuses"),
    # PyTorch's number-first overloads (remainder.Scalar_Tensor, xlogy.Scalar_Self) name their first
    # parameter `self`: a number as `input=` reaches only the Tensor overloads, while the same number
    # given positionally is accepted. fngrad accepts both spellings, as the positional call.
    (None, "got (other=Tensor, input=", "PyTorch's number-first overload calls its first parameter `self`, so "
     "input=<number> is refused where the positional call is accepted; fngrad accepts both"),
    # fngrad's special functions compute half-precision inputs in float32 and round, as its other
    # unary float ops do; PyTorch has no Half/BFloat16 kernel for these three.
    ("special_erfcx", "not implemented for '", "PyTorch has no float16/bfloat16 erfcx kernel; fngrad computes in "
     "float32 and rounds"),
    ("special_log_ndtr", "not implemented for '", "as erfcx"),
    ("special_ndtri", "not implemented for '", "as erfcx"),
    ("digamma", "grad", "digamma's gradient (trigamma) at a pole, a non-positive integer: fngrad gives inf, "
     "PyTorch's series a large finite value (1.7e16)"),
    ("floor_divide", "\"div_floor_cpu\" not implemented for 'Bool'", "bool // bool: fngrad divides as integers "
     "and gives bool; PyTorch has no bool kernel"),
    ("pow", "\"pow\" not implemented for 'Bool'", "bool ** bool: fngrad computes it (x ** y is x or not y); "
     "PyTorch has no bool kernel"),
    ("cdist", "expected scalar type", "mixed float dtypes: fngrad promotes both inputs as a binary op does; "
     "PyTorch's cdist kernel wants one dtype"),
]
# fngrad accepting a call PyTorch refuses (integer inputs to float-only activations, a Python number
# where PyTorch wants a tensor, a Tensor method PyTorch lacks, a backward PyTorch has no formula for)
# is counted apart, as "fngrad accepts": code written for PyTorch never relies on being refused, so it
# runs the same. The counts are printed; only the other differences fail a run.
ACCEPTS = "fngrad returned where torch raised"


def known_reason(op, diff):
    """Why a difference is left as it is, or None when it is not known."""
    for name, text, reason in KNOWN:
        if (name is None or name == op) and text in diff:
            return reason
    return None


def _namespaces(lib):
    # the op table's special_<name> rows are torch.special.<name>
    return {"": lib, "F.": lib.nn.functional, "linalg.": lib.linalg, "special_": lib.special}


def _resolve(lib, name):
    """The callable `name` names in `lib` (torch or fngrad), or None. A bare name is looked up where
    PyTorch has it (the top level, else nn.functional) in both libraries, so that both sides call the
    same function: fngrad.silu (a name PyTorch lacks) is not compared with PyTorch's F.silu."""
    for prefix, space in _namespaces(lib).items():
        if prefix and name.startswith(prefix):
            return getattr(space, name[len(prefix):], None)
    if name.startswith("linalg_"):
        return getattr(lib.linalg, name[len("linalg_"):], None)
    import torch

    space = lib if hasattr(torch, name) else lib.nn.functional
    return getattr(space, name, None)


def load_ops(torch, fngrad):
    """(name, arity, base shapes, elementwise) for every op-table row both libraries can call."""
    import op_table

    ops = []
    for row in op_table.ELEMENTWISE.values():
        if _resolve(torch, row.name) is not None and _resolve(fngrad, row.name) is not None:
            ops.append((row.name, row.arity, tuple(row.shapes[0] for _ in range(row.arity)), True))
    seen = {o[0] for o in ops}
    for row in op_table.OPS:
        if row.name in seen or row.name.startswith("_"):
            continue
        if _resolve(torch, row.name) is None or _resolve(fngrad, row.name) is None:
            continue
        seen.add(row.name)
        shapes = tuple(tuple(s) for s in row.shapes)
        ops.append((row.name, len(shapes), shapes, False))
    return sorted(ops)


# ---- a case: what each argument slot holds, drawn from the case's seed ----

def _other_shape(rng, shape):
    """A shape beside `shape`: the same, broadcastable to it, 0-d, empty, or not broadcastable."""
    kind = rng.choice(["same", "same", "broadcast", "scalar0d", "empty", "mismatch"])
    if kind == "same" or not shape:
        return kind, tuple(shape)
    if kind == "broadcast":
        keep = list(shape[int(rng.integers(0, len(shape))):])
        return kind, tuple(1 if rng.random() < 0.5 else s for s in keep)
    if kind == "scalar0d":
        return kind, ()
    if kind == "empty":
        return kind, (0,) + tuple(shape[1:])
    return kind, tuple(shape[:-1]) + (shape[-1] + 1,)


def draw_case(seed, ops):
    rng = np.random.default_rng(seed)
    name, arity, shapes, elementwise = ops[seed % len(ops)]
    slots = []
    for i in range(arity):
        r = rng.random()
        if r < 0.15 and i > 0 or r < 0.05:
            kind = str(rng.choice(["int", "float", "bool"]))
            value = {"int": int(rng.integers(-3, 4)), "float": float(np.round(rng.normal() * 2, 3)),
                     "bool": bool(rng.integers(0, 2))}[kind]
            slots.append({"scalar": kind, "value": value})
            continue
        shape_kind, shape = _other_shape(rng, shapes[i]) if i > 0 else ("same", tuple(shapes[i]))
        if i == 0 and rng.random() < 0.15:
            shape_kind, shape = str(rng.choice(["scalar0d", "empty"])), ()
            shape = () if shape_kind == "scalar0d" else (0,) + tuple(shapes[0][1:])
        dtype = str(rng.choice(FLOATS + DTYPES)) if rng.random() < 0.7 else "float32"
        slots.append({"shape": list(shape), "shape_kind": shape_kind, "dtype": dtype,
                      "strided": bool(rng.random() < 0.3 and len(shape) > 0),
                      "grad": bool(dtype in ("float32", "float64") and rng.random() < 0.3),
                      "data_seed": int(rng.integers(0, 2**31))})
    forms = ["function"]
    if slots and "shape" in slots[0]:
        forms.append("method")
        if elementwise:
            forms.append("inplace")
    if elementwise:
        forms.append("keywords")
    return {"seed": seed, "op": name, "form": str(rng.choice(forms)), "slots": slots}


def _data(slot):
    rng = np.random.default_rng(slot["data_seed"])
    shape, dtype = tuple(slot["shape"]), slot["dtype"]
    full = shape[:-1] + (2 * shape[-1],) if slot["strided"] else shape
    if dtype == "bool":
        a = rng.random(full) < 0.5
    elif dtype == "uint8":
        a = rng.integers(0, 10, full).astype(np.uint8)
    elif dtype.startswith("int"):
        a = rng.integers(-5, 6, full).astype(dtype)
    else:
        a = np.round(rng.normal(size=full) * 2, 2)
    return a  # strided slots take every other element of the last dim of this


def _tensor(lib, slot):
    np_dtype = "float32" if slot["dtype"] == "bfloat16" else slot["dtype"]
    t = lib.from_numpy(np.ascontiguousarray(_data(slot).astype(np_dtype)))
    if slot["strided"]:
        t = t[..., ::2]
    if slot["dtype"] == "bfloat16":
        t = t.to(lib.bfloat16)
    return t.requires_grad_(True) if slot["grad"] else t


def build_args(lib, case):
    """The arguments of `case` as `lib` tensors (the same values for both libraries)."""
    args = []
    for slot in case["slots"]:
        if "scalar" in slot:
            args.append(slot["value"])
            continue
        args.append(_tensor(lib, slot))
    return args


def call(lib, case, args):
    fn = _resolve(lib, case["op"])
    form = case["form"]
    if form == "method":
        return getattr(args[0], case["op"].split(".")[-1])(*args[1:])
    if form == "inplace":
        target = args[0].detach().clone() if getattr(args[0], "requires_grad", False) else args[0]
        getattr(target, case["op"] + "_")(*args[1:])
        return target
    if form == "keywords":
        names = ["input", "other"][:len(args)]
        return fn(**dict(zip(names, args)))
    return fn(*args)


def _tensors(value):
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return [value]


def _as_numpy(lib, v):
    if hasattr(v, "detach"):
        v = v.detach()
        name = str(v.dtype).split(".")[-1]
        if name == "bfloat16":
            v = v.to(lib.float32)
        # force: PyTorch's zero gradients (sgn's) are ZeroTensors, which numpy() refuses otherwise
        return name, np.asarray(v.numpy(force=True))
    return type(v).__name__, np.asarray(v)


def run(lib, case):
    """('ok', outputs, grads) or ('error', 'TypeName: message')."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            args = build_args(lib, case)
            out = call(lib, case, args)
            outs = [_as_numpy(lib, v) for v in _tensors(out)]
            grads = []
            leaves = [a for a in args if getattr(a, "requires_grad", False)]
            floats = [v for v in _tensors(out) if getattr(v, "requires_grad", False) and v.dtype.is_floating_point]
            if leaves and floats and case["form"] != "inplace":
                total = sum(v.float().sum() for v in floats)
                got = lib.autograd.grad(total, leaves, allow_unused=True)
                grads = [None if g is None else _as_numpy(lib, g) for g in got]
            return ("ok", outs, grads)
    except Exception as e:  # noqa: BLE001 - any exception is an outcome to compare
        return ("error", f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}")


def _same_values(name, a, b, loosest):
    if a.shape != b.shape:
        return f"shape {a.shape} vs torch {b.shape}"
    if name in TOLERANCE:
        # A result computed from half-precision inputs carries their rounding whatever its dtype.
        rtol, atol = max(TOLERANCE[name], TOLERANCE.get(loosest, (0, 0)))
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        # Half-precision rounding is relative: scale the absolute tolerance by the largest value.
        half = {name, loosest} & {"float16", "bfloat16"}
        scale = np.maximum(1.0, np.abs(b64[np.isfinite(b64)]).max(initial=0.0)) if half else 1.0
        if not np.allclose(a64, b64, rtol=rtol, atol=atol * scale, equal_nan=True):
            bad = ~np.isclose(a64, b64, rtol=rtol, atol=atol * scale, equal_nan=True)
            return f"values differ at {int(bad.sum())} of {a.size} (first: {a64[bad][0]!r} vs torch {b64[bad][0]!r})"
        return None
    if not np.array_equal(a, b):
        return "values differ"
    return None


def _loosest_dtype(case):
    dtypes = [slot["dtype"] for slot in case["slots"] if "dtype" in slot]
    return max(dtypes, key=lambda d: TOLERANCE.get(d, (0, 0)), default="float64")


def compare(case, ours, theirs):
    """None when fngrad and PyTorch agree, else what differs."""
    if ours[0] != theirs[0]:
        if ours[0] == "error":
            return f"fngrad raised {ours[1]} where torch returned"
        return f"fngrad returned where torch raised {theirs[1]}"
    if ours[0] == "error":
        return None
    for what, mine, ref in (("output", ours[1], theirs[1]), ("grad", ours[2], theirs[2])):
        if len(mine) != len(ref):
            return f"{len(mine)} {what}s vs torch {len(ref)}"
        for i, (m, r) in enumerate(zip(mine, ref)):
            if (m is None) != (r is None):
                mine_kind, ref_kind = ("None" if v is None else "a tensor" for v in (m, r))
                return f"{what} {i}: {mine_kind} vs torch {ref_kind}"
            if m is None:
                continue
            if m[0] != r[0] and not {m[0], r[0]} <= {"int", "bool", "float"}:
                return f"{what} {i}: dtype {m[0]} vs torch {r[0]}"
            diff = _same_values(r[0], m[1], r[1], _loosest_dtype(case))
            if diff:
                return f"{what} {i}: {diff}"
    return None


def reproducer(case):
    """The case as a script: `import fngrad as torch` and the call."""
    lines = ["import numpy as np", "import fngrad as torch  # or: import torch", "import fngrad.nn.functional as F"]
    names = []
    for i, slot in enumerate(case["slots"]):
        if "scalar" in slot:
            names.append(repr(slot["value"]))
            continue
        a = _data(slot)
        np_dtype = "float32" if slot["dtype"] == "bfloat16" else slot["dtype"]
        src = f"torch.tensor(np.array({a.astype(np_dtype).tolist()!r}, dtype=np.{np_dtype}).reshape({a.shape}))"
        if slot["strided"]:
            src += "[..., ::2]"
        if slot["dtype"] == "bfloat16":
            src += ".to(torch.bfloat16)"
        if slot["grad"]:
            src += ".requires_grad_()"
        lines.append(f"a{i} = {src}")
        names.append(f"a{i}")
    op, form = case["op"], case["form"]
    if form == "method":
        lines.append(f"out = {names[0]}.{op.split('.')[-1]}({', '.join(names[1:])})")
    elif form == "inplace":
        lines.append(f"out = {names[0]}.{op}_({', '.join(names[1:])})")
    elif form == "keywords":
        lines.append(f"out = torch.{op}({', '.join(f'{k}={v}' for k, v in zip(['input', 'other'], names))})")
    else:
        prefix = "" if "." in op else "torch."
        lines.append(f"out = {prefix}{op.replace('linalg_', 'linalg.')}({', '.join(names)})")
    return "\n".join(lines)


# ---- running: child processes, crash detection ----

def worker(seeds):
    import torch

    import fngrad

    torch.set_num_threads(1)
    ops = load_ops(torch, fngrad)
    for seed in seeds:
        case = draw_case(seed, ops)
        print(json.dumps({"start": seed}), flush=True)
        ours = run(fngrad, case)
        # Said before PyTorch runs: a crash after this line is PyTorch's own (it segfaults on some
        # inputs, e.g. pdist's backward of an empty input), not fngrad's.
        print(json.dumps({"fngrad_done": seed, "op": case["op"]}), flush=True)
        theirs = run(torch, case)
        diff = compare(case, ours, theirs)
        print(json.dumps({"done": seed, "op": case["op"], "diff": diff,
                          "ours": ours[1] if ours[0] == "error" else "ok",
                          "torch": theirs[1] if theirs[0] == "error" else "ok"}), flush=True)


def run_children(seeds, jobs, timeout):
    """Runs the seeds in `jobs` child processes; yields each result (a crash or hang as one too)."""
    chunks = [seeds[i::jobs] for i in range(jobs)]
    for chunk in chunks:
        pending = list(chunk)
        while pending:
            proc = subprocess.Popen([sys.executable, __file__, "--worker", json.dumps(pending)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            running, done, fngrad_done = None, set(), None
            deadline = time.monotonic() + timeout * len(pending)
            for line in proc.stdout:
                msg = json.loads(line)
                if "start" in msg:
                    running = msg["start"]
                elif "fngrad_done" in msg:
                    fngrad_done = msg
                else:
                    done.add(msg["done"])
                    running = None
                    yield msg
                if time.monotonic() > deadline:
                    proc.kill()
                    break
            proc.wait()
            err = proc.stderr.read()
            pending = [s for s in pending if s not in done]
            if running is not None or proc.returncode != 0:
                crashed = running if running is not None else pending[0]
                crash = f"exit {proc.returncode}: {err.strip()[-300:]}"
                if fngrad_done is not None and fngrad_done["fngrad_done"] == crashed:
                    yield {"done": crashed, "op": fngrad_done["op"], "torch_crash": crash}
                else:
                    yield {"done": crashed, "op": None, "crash": crash}
                pending = [s for s in pending if s != crashed]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--per-op", type=int, default=20, help="cases per op (default 20)")
    p.add_argument("--seed", type=int, default=0, help="the first case's seed")
    p.add_argument("--jobs", type=int, default=2, help="child processes")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds a case may take")
    p.add_argument("--one", type=int, help="run one case in this process and print its reproducer")
    p.add_argument("--verbose", action="store_true", help="also list the known differences and what fngrad accepts")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    import torch

    import fngrad

    ops = load_ops(torch, fngrad)
    if args.one is not None:
        case = draw_case(args.one, ops)
        print(reproducer(case))
        ours, theirs = run(fngrad, case), run(torch, case)
        for label, outcome in (("fngrad", ours), ("torch ", theirs)):
            print(f"# {label}: {outcome[1] if outcome[0] == 'error' else 'ok'}")
        diff = compare(case, ours, theirs)
        reason = diff and known_reason(case["op"], diff)
        print(f"# {diff or 'agree'}" + (f" (known: {reason})" if reason else ""))
        return 0
    seeds = list(range(args.seed, args.seed + args.per_op * len(ops)))
    start = time.monotonic()
    failures, known, accepts, crashes, torch_crashes, agree_err = [], [], [], [], [], 0
    for msg in run_children(seeds, args.jobs, args.timeout):
        if msg.get("crash"):
            crashes.append(msg)
        elif msg.get("torch_crash"):
            torch_crashes.append(msg)
        elif msg["diff"] and known_reason(msg["op"], msg["diff"]):
            known.append(msg)
        elif msg["diff"] and msg["diff"].startswith(ACCEPTS):
            accepts.append(msg)
        elif msg["diff"]:
            failures.append(msg)
        elif msg["ours"] != "ok":
            agree_err += 1
    for label, group in (("accepts", accepts if args.verbose else []), ("known", known if args.verbose else []),
                         ("torch crashed", torch_crashes), ("FAIL", failures + crashes)):
        by_op = {}
        for f in group:
            by_op.setdefault(f["op"], []).append(f)
        for op, fs in sorted(by_op.items(), key=lambda kv: str(kv[0])):
            f = fs[0]
            shown = f.get("crash") or f.get("torch_crash") or f["diff"]
            print(f"{label} {op} ({len(fs)} cases), e.g. --one {f['done']}: {shown}")
    agree = len(seeds) - len(failures) - len(known) - len(accepts) - len(crashes) - len(torch_crashes)
    print(f"# {len(seeds)} cases over {len(ops)} ops in {time.monotonic() - start:.0f} s: {agree} agree "
          f"({agree_err} of them both raising), {len(failures)} differ, {len(known)} known differences, "
          f"{len(accepts)} where fngrad accepts what PyTorch refuses ({len({f['op'] for f in accepts})} ops), "
          f"{len(crashes)} crashes or hangs, {len(torch_crashes)} cases where PyTorch itself crashed after fngrad ran")
    return 1 if failures or crashes else 0


if __name__ == "__main__":
    sys.exit(main())
