"""The memory a graph keeps alive for backward, plain vs ``checkpoint_sequential``.

A 64-layer MLP (Linear(256, 256) + ReLU, float32) on a batch of 64, plain and with
``fngrad.utils.checkpoint.checkpoint_sequential`` in 8 segments. Two measures of what the graph keeps
between forward and backward (the parameters, the input and the output are excluded: they live
without the graph):

- saved bytes: every tensor saved for backward passes through an outer ``saved_tensors_hooks``
  pack hook; distinct memory blocks are counted once (a saved view counts its whole block).
  Inside a checkpoint the checkpoint's own hooks take the saves, so the outer hook sees what the
  checkpointed graph really keeps: each segment's input, and the last segment's saved tensors.
  For the plain graph this equals ``memory_report`` minus the parameters (checked below).
- heap bytes: glibc's ``mallinfo2`` in-use bytes after forward minus before it, minus the output.
  Everything the graph holds: saved tensors, nodes, hooks' Python objects. fngrad's large-block
  cache is turned off (``FNGRAD_ALLOC_CACHE=0``) so that every buffer comes from malloc.

Also the time of forward + backward (median, min, max over the repeats), the price of recomputing.

    python bench/checkpoint_memory.py [--repeats 5] [--layers 64] [--width 256] [--batch 64] [--segments 8]
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import statistics
import time

os.environ["FNGRAD_ALLOC_CACHE"] = "0"  # before fngrad allocates anything: see the module doc

import fngrad  # noqa: E402
from fngrad import _C, nn  # noqa: E402
from fngrad.autograd.graph import memory_report, saved_tensors_hooks  # noqa: E402
from fngrad.utils.checkpoint import checkpoint_sequential  # noqa: E402


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


_libc = ctypes.CDLL(None)
_libc.mallinfo2.restype = _Mallinfo2


def heap_in_use() -> int:
    m = _libc.mallinfo2()
    return m.uordblks + m.hblkhd


def saved_bytes(run, exclude):
    """(output, bytes of the distinct blocks saved for backward while run() ran, outside `exclude`)."""
    blocks = {}

    def pack(t):
        address, nbytes = _C._storage_info(t)
        if address not in exclude:
            blocks[address] = nbytes
        return t

    with saved_tensors_hooks(pack, lambda t: t):
        out = run()
    return out, sum(blocks.values())


def heap_bytes(run):
    gc.collect()
    before = heap_in_use()
    out = run()
    after = heap_in_use()
    return out, after - before - out.numel() * out.element_size()


def stats(values):
    return min(values), statistics.median(values), max(values)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--layers", type=int, default=64)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--segments", type=int, default=8)
    args = ap.parse_args()

    fngrad.manual_seed(0)
    layers = []
    for _ in range(args.layers):
        layers += [nn.Linear(args.width, args.width), nn.ReLU()]
    model = nn.Sequential(*layers)
    x = fngrad.randn(args.batch, args.width, requires_grad=True)
    params = {_C._storage_info(p)[0] for p in model.parameters()} | {_C._storage_info(x)[0]}
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())

    cases = {
        "plain": lambda: model(x),
        f"checkpoint_sequential({args.segments})": lambda: checkpoint_sequential(model, args.segments, x,
                                                                                   use_reentrant=False),
    }
    print(f"# {args.layers} x (Linear({args.width}, {args.width}) + ReLU), float32, batch {args.batch}; "
          f"parameters {param_bytes / 2**20:.2f} MiB (not counted); repeats {args.repeats}")
    print(f"{'case':<28}{'saved bytes':>14}{'heap bytes min/median/max':>36}{'fwd+bwd ms min/median/max':>32}")
    results = {}
    for name, run in cases.items():
        saved, heap, times = [], [], []
        for _ in range(args.repeats):
            y, s = saved_bytes(run, params)
            saved.append(s)
            del y
            y, h = heap_bytes(run)
            heap.append(h)
            if name == "plain" and not saved[1:]:
                report = memory_report(y, quiet=True)
                # The plain graph's saved blocks, seen the other way: memory_report minus the parameters.
                assert report.total_bytes - param_bytes == s, (report.total_bytes, param_bytes, s)
            y.sum().backward()
            del y
            model.zero_grad(set_to_none=True)
            x.grad = None
            t0 = time.perf_counter()
            run().sum().backward()
            times.append((time.perf_counter() - t0) * 1e3)
            model.zero_grad(set_to_none=True)
            x.grad = None
        results[name] = (saved, heap, times)
        hs = "/".join(f"{v:,}" for v in stats(heap))
        ts = "/".join(f"{v:.1f}" for v in stats(times))
        print(f"{name:<28}{statistics.median(saved):>14,}{hs:>36}{ts:>32}")
    (ps, ph, _), (cs, ch, _) = results.values()
    print(f"# checkpointed / plain: saved bytes {statistics.median(cs) / statistics.median(ps):.3f}, "
          f"heap bytes {statistics.median(ch) / statistics.median(ph):.3f} (target <= 0.25)")


if __name__ == "__main__":
    main()
