"""Threads: independent forward/backward loops agree with the single-thread run, concurrent
backward passes accumulate into one shared leaf without losing updates, autograd.grad runs
concurrently on a shared graph, and grad mode is per thread (as in PyTorch).

Tensors of 2^16 elements make the kernels release the GIL, so kernels of one thread run while
another thread is inside the engine."""

import threading

import numpy as np

import fngrad

N_THREADS = 4
BIG = 1 << 16


class Cube(fngrad.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * x * g


def run_threads(target, n=N_THREADS):
    errors = []
    barrier = threading.Barrier(n)

    def wrapped(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as e:  # reported to the main thread
            errors.append(e)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread did not finish (deadlock?)"
    if errors:
        raise errors[0]


def training_loop(seed, steps=20, size=BIG):
    """A few steps of a tiny model mixing native ops and a custom Function; returns the final params."""
    rng = np.random.default_rng(seed)
    w = fngrad.tensor(rng.standard_normal(size).astype(np.float32) * 0.1, requires_grad=True)
    b = fngrad.tensor(rng.standard_normal(size).astype(np.float32) * 0.1, requires_grad=True)
    x = fngrad.tensor(rng.standard_normal(size).astype(np.float32))
    for _ in range(steps):
        h = Cube.apply((x * w + b).tanh()).relu()
        loss = (h * h).mean() + w.abs().sum() * 1e-4
        loss.backward()
        with fngrad.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad = None
        b.grad = None
    return w.detach().numpy().copy(), b.detach().numpy().copy()


def test_independent_loops_match_single_thread():
    expected = [training_loop(seed) for seed in range(N_THREADS)]
    results = [None] * N_THREADS

    def work(i):
        results[i] = training_loop(i)

    run_threads(work)
    for (w, b), (ew, eb) in zip(results, expected):
        np.testing.assert_array_equal(w, ew)
        np.testing.assert_array_equal(b, eb)


def test_concurrent_backward_accumulates_into_shared_leaf():
    rng = np.random.default_rng(0)
    c = rng.standard_normal(BIG).astype(np.float64)
    leaf = fngrad.zeros(BIG, dtype=fngrad.float64, requires_grad=True)
    coef = fngrad.tensor(c)
    repeats = 25

    def work(i):
        for _ in range(repeats):
            (leaf * coef).sum().backward()

    run_threads(work)
    # Every backward adds exactly c: nothing may be lost to a race.
    np.testing.assert_allclose(leaf.grad.numpy(), c * N_THREADS * repeats, rtol=1e-12)


def test_concurrent_grad_on_a_shared_graph():
    rng = np.random.default_rng(1)
    xs = rng.standard_normal(BIG)
    x = fngrad.tensor(xs, requires_grad=True)
    y = (Cube.apply(x.sin()) * 2).sum()
    expected = 6 * np.sin(xs) ** 2 * np.cos(xs)
    results = [None] * N_THREADS

    def work(i):
        for _ in range(10):
            (g,) = fngrad.autograd.grad(y, x, retain_graph=True)
        results[i] = g.numpy()

    run_threads(work)
    for g in results:
        np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-12)
    assert x.grad is None


def test_grad_mode_is_thread_local():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def no_grad_thread():
        with fngrad.no_grad():
            inside.set()
            release.wait(10)
            x = fngrad.ones(3, requires_grad=True)
            seen["no_grad"] = ((x * 2).requires_grad, fngrad.is_grad_enabled())

    t = threading.Thread(target=no_grad_thread)
    t.start()
    assert inside.wait(10)
    # The other thread is inside no_grad: this one still records.
    x = fngrad.ones(3, requires_grad=True)
    seen["main"] = ((x * 2).requires_grad, fngrad.is_grad_enabled())
    release.set()
    t.join(10)
    assert seen == {"no_grad": (False, False), "main": (True, True)}


def test_new_thread_starts_with_grad_enabled():
    result = {}
    with fngrad.no_grad():
        t = threading.Thread(target=lambda: result.setdefault("enabled", fngrad.is_grad_enabled()))
        t.start()
        t.join(10)
    assert result["enabled"] is True


def test_threads_with_python_backward_errors_stay_isolated():
    class Fails(fngrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom from thread")

    outcomes = [None] * N_THREADS

    def work(i):
        x = fngrad.ones(BIG, requires_grad=True)
        if i % 2:
            try:
                Fails.apply(x).sum().backward()
            except ValueError as e:
                outcomes[i] = str(e)
        else:
            (x * 3).sum().backward()
            outcomes[i] = float(x.grad.numpy()[0])

    run_threads(work)
    for i, o in enumerate(outcomes):
        assert o == ("boom from thread" if i % 2 else 3.0)


def test_pool_runs_every_chunk_exactly_once():
    # In-place adds on tensors big enough for the pool: a chunk run twice or skipped would show
    # in the count. Back-to-back jobs from several threads exercise the hand-over between a
    # finishing job and the next (workers still polling, the caller waiting for the last chunk).
    size, rounds = 6 * BIG + 7, 150
    tensors = [fngrad.zeros(size) for _ in range(N_THREADS)]

    def work(i):
        for _ in range(rounds):
            tensors[i].add_(1.0)

    run_threads(work)
    for t in tensors:
        np.testing.assert_array_equal(t.numpy(), np.full(size, rounds, dtype=np.float32))


def test_pool_resizes_between_jobs():
    x = fngrad.zeros(6 * BIG)
    before = fngrad.get_num_threads()
    try:
        for n in (1, 3, 2, 4, 2):
            fngrad.set_num_threads(n)
            for _ in range(20):
                x.add_(1.0)
    finally:
        fngrad.set_num_threads(before)
    np.testing.assert_array_equal(x.numpy(), np.full(6 * BIG, 100, dtype=np.float32))


PLACEMENT_CHILD = r"""
import json, os, sys, time
cpus = [int(c) for c in sys.argv[1].split(",")]
os.sched_setaffinity(0, cpus)  # before any thread exists (BLAS's, the pool's): all inherit it
import numpy as np
import fngrad
default = fngrad.get_num_threads()
fngrad.set_num_threads(2)
x = fngrad.arange(3 * 2 ** 18, dtype=fngrad.float32).reshape(768, 1024)
ok = True
for i in range(30):
    time.sleep(0.002 if i % 3 else 0.02)  # idle long enough for the workers to sleep
    ok &= bool(np.array_equal((x + 1).numpy(), x.numpy() + 1))
masks = sorted(sorted(os.sched_getaffinity(int(t))) for t in os.listdir("/proc/self/task"))
print(json.dumps({"default": default, "ok": ok, "masks": masks}))
"""


def _placement_child(cpus):
    import json
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k != "OMP_NUM_THREADS"}
    proc = subprocess.run([sys.executable, "-c", PLACEMENT_CHILD, ",".join(map(str, cpus))],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_workers_step_off_the_callers_cpu_without_being_bound():
    # Note [Worker placement]: the pool moves a worker off the caller's CPU by narrowing its
    # affinity for a moment; after any number of wake-ups every thread's mask is the process's.
    import os

    cpus = sorted(os.sched_getaffinity(0))
    out = _placement_child(cpus)
    assert out["ok"]
    assert out["default"] == len(cpus)  # as PyTorch: the affinity mask, not the machine
    assert all(m == cpus for m in out["masks"]), out["masks"]


def test_pool_on_a_single_allowed_cpu():
    # `taskset -c N`: one default thread (PyTorch's through OpenMP too); two requested still run
    # right, with the worker sharing the one CPU and its mask left alone.
    import os

    cpu = min(os.sched_getaffinity(0))
    out = _placement_child([cpu])
    assert out["ok"] and out["default"] == 1
    assert all(m == [cpu] for m in out["masks"]), out["masks"]
