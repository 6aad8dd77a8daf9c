"""Where one tiny op's time goes: binding call, argument parsing, allocation, node creation, kernel.

Two views of the same question, on a (16,) float32 tensor:

1. A timing ladder (always): each rung adds one piece of work, so the differences between rungs are
   the cost of that piece. Median, min and max over repeats; PyTorch's rungs in the same run.

       call floor          x.dim(): Python calls into the extension and gets a small int back
       relu, no autograd   + argument checks, result allocation, the kernel
       relu, no sites      + the graph node (creation-site recording switched off)
       relu                + the creation site (the default)
       mul by a tensor     a binary op with broadcasting checks, recording
       MyReLU.apply        the seed's Python Function: forward in Python, ctx, save_for_backward

2. Instruction counts (with --callgrind, needs valgrind and an unstripped build): each op runs
   20,000 times under callgrind; the instructions under the op's entry point are sorted into
   categories by the function they are spent in, and the rest of the per-op difference against a
   baseline loop is the interpreter's share. Instruction counts do not move with the machine's
   load, so they are the figures to compare from one change to the next.

       python bench/breakdown.py                 # timing ladder
       python bench/breakdown.py --callgrind     # + instruction breakdown (builds build/profile once)
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from _seed_function import myrelu_class  # noqa: E402

N_CALLS = 20_000
WARMUP = 200


def rungs(lib):
    """name -> (setup, statement); each statement is one op on a (16,) float32 tensor."""
    apply = myrelu_class(lib).apply
    plain = lib.randn(16)
    leaf = lib.randn(16, requires_grad=True)
    w = lib.randn(16)
    return [
        ("call floor: x.dim()", lambda: plain.dim()),
        ("relu, no autograd", lambda: plain.relu()),
        ("relu, recording, no creation site", "nosites", lambda: leaf.relu()),
        ("relu, recording", lambda: leaf.relu()),
        ("mul by a tensor, recording", lambda: leaf * w),
        ("MyReLU.apply, recording", lambda: apply(leaf)),
    ]


def time_rung(fn, calls, repeats):
    per_call = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            y = fn()
        per_call.append((time.perf_counter() - t0) / calls * 1e9)
        del y
    per_call.sort()
    return per_call[0], per_call[len(per_call) // 2], per_call[-1]


def timing_ladder(libs, calls, repeats):
    import gc

    table = {}
    for lib in libs:
        is_fngrad = lib.__name__ == "fngrad"
        for rung in rungs(lib):
            name, fn = rung[0], rung[-1]
            no_sites = len(rung) == 3
            if no_sites and not is_fngrad:
                continue
            if no_sites:
                lib._C._set_record_creation_sites(False)
            gc.disable()
            try:
                for _ in range(WARMUP):
                    fn()
                table[(name, lib.__name__)] = time_rung(fn, calls, repeats)
            finally:
                gc.enable()
                if no_sites:
                    lib._C._set_record_creation_sites(True)
    return table


def print_ladder(table, libs):
    names = []
    for name, _ in table:
        if name not in names:
            names.append(name)
    print("\n## Timing ladder: ns per call, median (min-max)")
    header = f"{'rung':<36}" + "".join(f"{lib.__name__:>26}" for lib in libs)
    if len(libs) > 1:
        header += f"{'fngrad/torch':>14}"
    print(header)
    for name in names:
        line = f"{name:<36}"
        for lib in libs:
            v = table.get((name, lib.__name__))
            line += f"{'-':>26}" if v is None else f"{v[1]:>10.0f} ({v[0]:.0f}-{v[2]:.0f})".rjust(26)
        if len(libs) > 1 and (name, "torch") in table:
            line += f"{table[(name, 'fngrad')][1] / table[(name, 'torch')][1]:>14.2f}"
        print(line)
    # Other processes only ever add time, so the minima are the cleanest view of the differences.
    best = {k: v[0] for k, v in table.items()}

    def get(n):
        return best[(n, "fngrad")]

    floor = get("call floor: x.dim()")
    nograd = get("relu, no autograd")
    nosites = get("relu, recording, no creation site")
    full = get("relu, recording")
    print("\nfngrad relu, from the differences of the minima:")
    print(f"  binding call (floor)                      {floor:8.0f} ns")
    print(f"  argument checks + allocation + kernel     {nograd - floor:8.0f} ns")
    print(f"  node creation (node, edge, saved tensor)  {nosites - nograd:8.0f} ns")
    print(f"  creation site (file:line of the caller)   {full - nosites:8.0f} ns")
    print(f"  total                                     {full:8.0f} ns")


# ---- callgrind ----

CATEGORIES = [
    # (category, function-name regex); the first match wins, callees inherit unless they match.
    ("creation site", r"record_creation_site|capture_site|frame"),
    ("allocation", r"fngrad::empty\(|alloc_tensor_object|allocate_storage|empty_like|make_output|new_tensor"),
    ("kernel", r"fngrad::map_unary|fngrad::map_binary|fngrad::map_nary|run_flat|vecmath|fill_kernel"),
    ("node creation", r"record<|set_history|Node::Node|collect_next_edges|gradient_edge|SavedTensor::SavedTensor|"
                      r"PyFunctionNode::|make_node|record_function|NodeRef"),
    ("user's Python forward", r"_PyEval_EvalFrameDefault|^PyObject_Vectorcall|_PyFunction_Vectorcall"),
    ("freeing the previous result", r"tensor_dealloc|~Node|release_graph|destroy_graph"),
]

ROOTS = {
    "relu": [r"m_unary<&fngrad::ops::apply_Relu>", r"tensor_dealloc"],
    "mul": [r"nb_binary<", r"tensor_dealloc"],
    "apply": [r"function_apply\(", r"tensor_dealloc"],
}


def profile_child(mode, calls):
    """Runs under callgrind: the same warm-up in every mode, then `calls` of one op."""
    import gc

    sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__name__.startswith("ScikitBuild")]
    import fngrad

    x = fngrad.randn(16, requires_grad=True)
    w = fngrad.randn(16)
    apply = myrelu_class(fngrad).apply
    ops = {"relu": lambda: x.relu(), "mul": lambda: x * w, "apply": lambda: apply(x), "noop": lambda: x.dim()}
    for name in ("relu", "mul", "apply"):
        for _ in range(WARMUP):
            ops[name]()
    gc.disable()
    if mode == "relu":
        for _ in range(calls):
            y = x.relu()
    elif mode == "mul":
        for _ in range(calls):
            y = x * w
    elif mode == "apply":
        for _ in range(calls):
            y = apply(x)
    else:
        for _ in range(calls):
            y = x.dim()
    del y


def build_profile_extension(build_dir):
    """An unstripped, optimised (-O3 -g) build of _C, so callgrind can name functions."""
    import pybind11

    so = [f for f in os.listdir(build_dir) if f.startswith("_C.")] if os.path.isdir(build_dir) else []
    if not so:
        print(f"# building an unstripped extension in {build_dir} (once; a few minutes)", flush=True)
        subprocess.run(["cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                        f"-Dpybind11_DIR={pybind11.get_cmake_dir()}", f"-DPython_EXECUTABLE={sys.executable}"],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir], check=True, stdout=subprocess.DEVNULL)
    so = [f for f in os.listdir(build_dir) if f.startswith("_C.") and f.endswith(".so")]
    return os.path.join(build_dir, so[0])


LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+([*>])\s+(.*?)(?:\s+\(([\d,]+)x\))?(?:\s+\[(.*)\])?\s*$")


def parse_tree(out_file):
    """callgrind_annotate's calling tree: {function: (inclusive, {callee: inclusive})}, by function name."""
    text = subprocess.run(["callgrind_annotate", "--tree=calling", "--inclusive=yes", "--auto=no",
                           "--threshold=100", out_file], check=True, capture_output=True, text=True).stdout
    tree = {}
    current = None
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        cost = int(m.group(1).replace(",", ""))
        name = m.group(3).split(":", 1)[-1] if ":" in m.group(3) else m.group(3)
        # One function can be listed under several file names (its own source, the headers that
        # were inlined into it, and a total): the largest entry is the whole function.
        if m.group(2) == "*":
            incl, callees = tree.get(name, (0, {}))
            tree[name] = (max(incl, cost), callees)
            current = name
        elif current is not None:
            callees = tree[current][1]
            callees[name] = max(callees.get(name, 0), cost)
    return tree


def total_instructions(out_file):
    with open(out_file) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {out_file}")


def categorize(tree, roots):
    """Instructions under each root, sorted into CATEGORIES; unmatched work inherits the caller's.

    A callee's cost is split like the callee's cost from all its callers (callgrind keeps no
    per-path figures), so each (function, inherited category) is resolved once and reused.
    """
    patterns = [(cat, re.compile(rx)) for cat, rx in CATEGORIES]
    memo = {}

    def category_of(name, inherited):
        for cat, rx in patterns:
            if rx.search(name):
                return cat
        return inherited

    def shares(name, inherited, stack):
        """{category: fraction} of one instruction spent under `name`."""
        cat = category_of(name, inherited)
        key = (name, cat)
        if key in memo:
            return memo[key]
        incl, callees = tree.get(name, (0, {}))
        # Everything the interpreter runs is listed under one function for the whole program, so
        # its split says nothing about this call: the user's forward stays one category.
        if incl == 0 or name in stack or len(stack) > 60 or cat == "user's Python forward":
            return {cat: 1.0}
        out = {}
        spent = 0.0
        for callee, cost in callees.items():
            frac = min(cost / incl, 1.0)
            spent += frac
            for c, f in shares(callee, cat, stack | {name}).items():
                out[c] = out.get(c, 0.0) + frac * f
        out[cat] = out.get(cat, 0.0) + max(1.0 - spent, 0.0)
        memo[key] = out
        return out

    totals = {}
    for rx in roots:
        root_rx = re.compile(rx)
        base = "freeing the previous result" if "dealloc" in rx else "binding call + argument parsing"
        for name, (incl, _) in tree.items():
            if root_rx.search(name) and incl > 0:
                for c, f in shares(name, base, frozenset()).items():
                    totals[c] = totals.get(c, 0) + incl * f
    return totals


def callgrind_breakdown(calls, build_dir):
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        print("\n# --callgrind: valgrind is not installed; skipped")
        return
    so = build_profile_extension(build_dir)
    work = tempfile.mkdtemp(prefix="fngrad-breakdown-")
    shutil.copytree(os.path.join(ROOT, "python", "fngrad"), os.path.join(work, "fngrad"))
    shutil.copy(so, os.path.join(work, "fngrad"))
    env = dict(os.environ, PYTHONPATH=work + os.pathsep + os.environ.get("PYTHONPATH", ""))
    outs = {}
    for mode in ("noop", "relu", "mul", "apply"):
        out = os.path.join(work, f"callgrind.{mode}.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no",
                        sys.executable, __file__, "--profile-child", mode, str(calls)],
                       env=env, check=True, capture_output=True)
        outs[mode] = out
    base_tree = parse_tree(outs["noop"])
    base_total = total_instructions(outs["noop"])
    print(f"\n## Instructions per op (callgrind, {calls} calls each, minus a baseline loop of x.dim())")
    cats = [c for c, _ in CATEGORIES if c != "user's Python forward"]
    cats = ["binding call + argument parsing"] + cats + ["user's Python forward", "interpreter (loop, lookup, dispatch)"]
    rows = {}
    for mode in ("relu", "mul", "apply"):
        tree = parse_tree(outs[mode])
        per = categorize(tree, ROOTS[mode])
        base = categorize(base_tree, ROOTS[mode])
        diff = {c: (per.get(c, 0) - base.get(c, 0)) / calls for c in set(per) | set(base)}
        total = (total_instructions(outs[mode]) - base_total) / calls
        diff["interpreter (loop, lookup, dispatch)"] = total - sum(diff.values())
        diff["total"] = total
        rows[mode] = diff
    print(f"{'category':<40}{'x.relu()':>12}{'x * w':>12}{'MyReLU.apply':>14}")
    for cat in cats + ["total"]:
        print(f"{cat:<40}" + "".join(f"{rows[m].get(cat, 0):>12.0f}" for m in ("relu", "mul"))
              + f"{rows['apply'].get(cat, 0):>14.0f}")
    print("(the interpreter row is the difference against the baseline loop, so it can be negative when "
          "an op's call path is shorter than x.dim()'s)")
    shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callgrind", action="store_true", help="add the instruction breakdown (valgrind)")
    parser.add_argument("--calls", type=int, default=N_CALLS)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build", "profile"))
    parser.add_argument("--profile-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile_child:
        profile_child(args.profile_child[0], int(args.profile_child[1]))
        return

    import fngrad

    libs = [fngrad]
    if not args.no_torch:
        try:
            import torch

            torch.set_num_threads(1)
            libs.append(torch)
        except ImportError:
            pass
    versions = ", ".join(f"{lib.__name__} {lib.__version__}" for lib in libs)
    print(f"# {versions}; {args.calls} calls per repeat, {args.repeats} repeats")
    print_ladder(timing_ladder(libs, args.calls, args.repeats), libs)
    if args.callgrind:
        callgrind_breakdown(args.calls, args.build_dir)


if __name__ == "__main__":
    main()
