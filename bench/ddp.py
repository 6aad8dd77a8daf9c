"""Data-parallel training: fngrad's DistributedDataParallel (MPI) beside PyTorch's (gloo).

The 784-512-512-10 MLP (float32, cross-entropy, SGD) at batch 128 per rank, one thread per rank,
all ranks on this machine. Both libraries run inside the same MPI ranks, interleaved round by
round (PyTorch's process group is created with MASTER_ADDR/MASTER_PORT from the MPI rank), so they
see the same load. Per round and case: 2 warm-up steps, then ``--steps`` timed steps; a round's time
is the slowest rank's. Cases:

- fngrad DDP, and the same fngrad step without DDP (no communication): their ratio is the cost
  of communication that backward did not hide (the target is at most 1.15x);
- PyTorch DDP (gloo), and PyTorch without DDP;
- all_reduce alone of 8 B and of the gradient's size (the cost model's latency and bandwidth,
  docs/distributed.md);
- one fngrad DDP step's timeline: when each bucket's all-reduce started and was seen complete,
  against the start and end of backward.

    python bench/ddp.py [--ranks 2] [--rounds 5] [--steps 10] [--clock wall|cpu]   # launches mpiexec itself
    python bench/ddp.py --model [--mlp-compute-ms 5 --mlp-backward-ms 3]   # the cost model's tables

Needs mpi4py and mpiexec (``pip install ".[distributed]"``); PyTorch is optional.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

import numpy as np

BATCH = 128
SIZES = [784, 512, 512, 10]
# wall: elapsed time. cpu: the rank's CPU time, which on a loaded machine leaves out the time the rank
# waited for a core (it still counts MPI's polling while a rank waits for its peer).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def launch(args):
    mpiexec = shutil.which("mpiexec") or shutil.which("mpiexec", path=os.path.dirname(sys.executable))
    if mpiexec is None:
        sys.exit("bench/ddp.py needs mpiexec: pip install '.[distributed]'")
    with socket.socket() as s:  # a free port for PyTorch's rendezvous
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    cmd = [mpiexec, "--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    cmd += ["-n", str(args.ranks), sys.executable, os.path.abspath(__file__), "--worker",
            "--rounds", str(args.rounds), "--steps", str(args.steps), "--clock", args.clock]
    sys.exit(subprocess.run(cmd, env=env, timeout=1800).returncode)


def data(rank):
    rng = np.random.default_rng(rank)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    return x, y


def make_steps(lib, ddp: bool, rank):
    """One training step of the MLP in ``lib`` (fngrad or torch: the same code runs on both), with or
    without DDP; returns (step, model)."""
    lib.manual_seed(0)
    nn = lib.nn
    layers = []
    for i in range(3):
        layers += [nn.Linear(SIZES[i], SIZES[i + 1])] + ([nn.ReLU()] if i < 2 else [])
    model = nn.Sequential(*layers)
    if ddp:
        model = nn.parallel.DistributedDataParallel(model)
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    x, y = data(rank)
    x, y = lib.from_numpy(x), lib.from_numpy(y)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step, model


def worker(args):
    import fngrad
    import fngrad.distributed as dist

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    cases = {"fngrad DDP": make_steps(fngrad, True, rank)[0],
             "fngrad, no all-reduce": make_steps(fngrad, False, rank)[0]}
    try:
        import torch
        import torch.distributed as tdist

        torch.set_num_threads(1)
        tdist.init_process_group("gloo", rank=rank, world_size=world)
        cases["PyTorch DDP (gloo)"] = make_steps(torch, True, rank)[0]
        cases["PyTorch, no all-reduce"] = make_steps(torch, False, rank)[0]
    except ImportError:
        tdist = None

    grad_elems = sum(SIZES[i] * SIZES[i + 1] + SIZES[i + 1] for i in range(3))
    small, big = fngrad.zeros(2, dtype=fngrad.float32), fngrad.zeros(grad_elems, dtype=fngrad.float32)
    cases["all_reduce 8 B"] = lambda: dist.all_reduce(small)
    cases[f"all_reduce {grad_elems * 4 / 1e6:.2f} MB"] = lambda: dist.all_reduce(big)

    clock = CLOCKS[args.clock]
    samples = {name: [] for name in cases}
    seconds = {name: [] for name in cases}
    slowest = fngrad.zeros(1, dtype=fngrad.float64)
    for r in range(args.rounds):
        names = list(cases) if r % 2 == 0 else list(reversed(cases))  # interleaved, alternating order
        for name in names:
            for _ in range(2):
                cases[name]()
            dist.barrier()
            t0 = clock()
            for _ in range(args.steps):
                cases[name]()
            slowest[0] = (clock() - t0) / args.steps
            dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
            seconds[name].append(slowest.item())
            samples[name].append(world * BATCH / slowest.item())

    timeline = fngrad_timeline(rank)
    if rank == 0:
        report(args, world, samples, seconds, timeline)
    if tdist is not None:
        tdist.destroy_process_group()
    dist.destroy_process_group()


def fngrad_timeline(rank, steps=3):
    """Bucket all-reduces against backward, for the last of a few DDP steps (times in ms from the
    start of backward)."""
    import fngrad
    from fngrad import nn

    step, model = make_steps(fngrad, True, rank)
    step()
    model._timeline = []
    x, y = data(rank)
    x, y = fngrad.from_numpy(x), fngrad.from_numpy(y)
    loss = nn.CrossEntropyLoss()(model(x), y)
    t0 = time.perf_counter()
    loss.backward()
    t1 = time.perf_counter()
    rows = [(b, (s - t0) * 1e3, (d - t0) * 1e3, (e - t0) * 1e3, model._buckets[b].buffer.nbytes)
            for b, s, d, e in model._timeline]
    return rows, (t1 - t0) * 1e3


def report(args, world, samples, seconds, timeline):
    print(f"bench/ddp.py: {world} ranks x 1 thread, MLP {'-'.join(map(str, SIZES))} float32, batch {BATCH} per rank, "
          f"{args.rounds} rounds x {args.steps} steps (interleaved), {args.clock} clock")
    print(f"{'case':28s} {'samples/s min':>14s} {'median':>9s} {'max':>9s}   {'ms/step median':>14s}")
    for name in samples:
        s = samples[name]
        if name.startswith("all_reduce"):
            ms = [1e3 * t for t in seconds[name]]
            print(f"{name:28s} {'':>14s} {'':>9s} {'':>9s}   {statistics.median(ms):14.3f}  "
                  f"(min {min(ms):.3f}, max {max(ms):.3f})")
        else:
            print(f"{name:28s} {min(s):14.0f} {statistics.median(s):9.0f} {max(s):9.0f}   "
                  f"{1e3 * statistics.median(seconds[name]):14.2f}")
    med = {k: statistics.median(v) for k, v in seconds.items()}
    if "PyTorch DDP (gloo)" in med:
        ratio = med["PyTorch DDP (gloo)"] / med["fngrad DDP"]
        print(f"fngrad DDP samples/s / PyTorch DDP samples/s (medians): {ratio:.2f}x")
        print(f"PyTorch DDP step / PyTorch step without all-reduce: "
              f"{med['PyTorch DDP (gloo)'] / med['PyTorch, no all-reduce']:.2f}x")
    print(f"fngrad DDP step / fngrad step without all-reduce: {med['fngrad DDP'] / med['fngrad, no all-reduce']:.2f}x "
          "(target <= 1.15x)")
    rows, backward_ms = timeline
    print(f"timeline of one fngrad DDP backward on rank 0 (ms from its start; it returned at {backward_ms:.2f}):")
    for b, start, done, end, nbytes in rows:
        print(f"  bucket {b} ({nbytes / 1e6:.2f} MB): all-reduce started {start:.2f}, seen complete {done:.2f}; "
              f"graph finished (end-of-backward callback) {end:.2f}")


def ring_allreduce_s(n, nbytes, bandwidth, latency):
    """Ring all-reduce: 2(N-1)/N x bytes / bandwidth + 2(N-1) x latency (docs/distributed.md)."""
    return 2 * (n - 1) / n * nbytes / bandwidth + 2 * (n - 1) * latency


def predicted_step_s(n, compute, backward, total_bytes, last_bytes, bandwidth, latency):
    """One rank's compute plus the communication backward could not hide: the last bucket (ready
    only when backward ends) or whatever of the total outlasts backward, whichever is longer."""
    exposed = max(ring_allreduce_s(n, last_bytes, bandwidth, latency),
                  ring_allreduce_s(n, total_bytes, bandwidth, latency) - backward)
    return compute + exposed


NETWORKS = {"10 Gbit/s (TCP, 25 us)": (1.25e9, 25e-6), "100 Gbit/s (RDMA, 3 us)": (12.5e9, 3e-6)}


def cost_model(args):
    mlp_bytes = 4 * sum(SIZES[i] * SIZES[i + 1] + SIZES[i + 1] for i in range(3))
    mlp_last = 4 * SIZES[0] * SIZES[1]  # fc1.weight, a bucket of its own, produced last
    models = {
        f"MLP ({mlp_bytes / 1e6:.2f} MB of gradients, last bucket {mlp_last / 1e6:.2f} MB, compute "
        f"{args.mlp_compute_ms:g} ms of which backward {args.mlp_backward_ms:g} ms)":
            (args.mlp_compute_ms / 1e3, args.mlp_backward_ms / 1e3, mlp_bytes, mlp_last),
        "100M parameters (400 MB float32, last bucket 25 MB, compute 1 s of which backward 0.67 s)":
            (1.0, 0.67, 400e6, 25e6),
    }
    for title, (compute, backward, total, last) in models.items():
        print(f"\n{title}\n")
        print("| network | ranks | all-reduce of all gradients | predicted step | scaling efficiency |")
        print("|---|---|---|---|---|")
        for net, (bw, lat) in NETWORKS.items():
            for n in (8, 64, 512):
                t_ar = ring_allreduce_s(n, total, bw, lat)
                step = predicted_step_s(n, compute, backward, total, last, bw, lat)
                print(f"| {net} | {n} | {t_ar * 1e3:.2f} ms | {step * 1e3:.2f} ms | {compute / step:.0%} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="time steps by elapsed time or by each rank's CPU time (the slowest rank's counts)")
    parser.add_argument("--model", action="store_true", help="print the cost model's predictions and exit")
    parser.add_argument("--mlp-compute-ms", type=float, default=5.0, help="the MLP's step without communication")
    parser.add_argument("--mlp-backward-ms", type=float, default=3.0, help="the MLP's backward")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.model:
        cost_model(args)
    elif args.worker:
        worker(args)
    else:
        launch(args)


if __name__ == "__main__":
    main()
