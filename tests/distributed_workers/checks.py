"""Run under ``mpiexec -n N``: fngrad.distributed's collectives against NumPy, and
DistributedDataParallel against one process training on the concatenated batch.

Every rank prints ``PASS <check>`` per check; an assertion error makes the launch fail
(tests/test_distributed.py reads both).
"""

import datetime
import sys

import numpy as np

import fngrad
import fngrad.distributed as dist
from fngrad import nn

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=120))  # generous: a loaded machine
RANK, WORLD = dist.get_rank(), dist.get_world_size()


def passed(name):
    print(f"PASS {name} rank={RANK}", flush=True)


def rank_values(r, shape=(3, 2), dtype=np.float64):
    """The values rank r contributes (known to every rank, so each can compute the expectation)."""
    return np.random.default_rng(100 + r).standard_normal(shape).astype(dtype)


def check_collectives():
    everyone = np.stack([rank_values(r) for r in range(WORLD)])
    expected = {
        dist.ReduceOp.SUM: everyone.sum(0),
        dist.ReduceOp.AVG: everyone.mean(0),
        dist.ReduceOp.MAX: everyone.max(0),
        dist.ReduceOp.MIN: everyone.min(0),
        dist.ReduceOp.PRODUCT: everyone.prod(0),
    }
    for op, want in expected.items():
        t = fngrad.from_numpy(rank_values(RANK))
        view = t.numpy()  # the collective writes the tensor's own memory
        version = t._version
        dist.all_reduce(t, op=op)
        np.testing.assert_allclose(view, want, rtol=1e-14, atol=1e-14)
        assert t._version > version, "all_reduce must bump the version counter as an in-place op does"
    # int64 and async
    t = fngrad.tensor([RANK, 10 * RANK, 1], dtype=fngrad.int64)
    work = dist.all_reduce(t, async_op=True)
    assert work.wait() is True and work.is_completed()
    assert t.tolist() == [sum(range(WORLD)), 10 * sum(range(WORLD)), WORLD]
    # broadcast from the last rank
    t = fngrad.from_numpy(rank_values(RANK))
    dist.broadcast(t, src=WORLD - 1)
    np.testing.assert_array_equal(t.numpy(), rank_values(WORLD - 1))
    # all_gather and all_gather_into_tensor
    parts = [fngrad.zeros(3, 2, dtype=fngrad.float64) for _ in range(WORLD)]
    dist.all_gather(parts, fngrad.from_numpy(rank_values(RANK)))
    for r in range(WORLD):
        np.testing.assert_array_equal(parts[r].numpy(), rank_values(r))
    out = fngrad.zeros(WORLD * 3, 2, dtype=fngrad.float64)
    dist.all_gather_into_tensor(out, fngrad.from_numpy(rank_values(RANK))).__class__  # None
    np.testing.assert_array_equal(out.numpy(), np.concatenate([rank_values(r) for r in range(WORLD)]))
    # reduce_scatter: rank r receives the sum over ranks of their r-th input
    inputs = [fngrad.from_numpy(rank_values(10 * RANK + j, (4,))) for j in range(WORLD)]
    out = fngrad.zeros(4, dtype=fngrad.float64)
    dist.reduce_scatter(out, inputs)
    np.testing.assert_allclose(out.numpy(), sum(rank_values(10 * r + RANK, (4,)) for r in range(WORLD)), rtol=1e-14)
    big = fngrad.from_numpy(np.concatenate([rank_values(10 * RANK + j, (4,)) for j in range(WORLD)]))
    out = fngrad.zeros(4, dtype=fngrad.float64)
    dist.reduce_scatter_tensor(out, big, op=dist.ReduceOp.MAX)
    np.testing.assert_array_equal(out.numpy(), np.max([rank_values(10 * r + RANK, (4,)) for r in range(WORLD)], 0))
    # sizes that are not world size x the other's: refused before any communication
    for call, msg in [
        (lambda: dist.all_gather_into_tensor(fngrad.zeros(WORLD * 3 + 1), fngrad.zeros(3)),
         f"all_gather_into_tensor(): output_tensor must have world size ({WORLD}) times the number of elements of "
         f"input_tensor (3) and its dtype, got {WORLD * 3 + 1} elements of float32"),
        (lambda: dist.reduce_scatter_tensor(fngrad.zeros(3), fngrad.zeros(WORLD * 3, dtype=fngrad.float64)),
         f"reduce_scatter_tensor(): input must have world size ({WORLD}) times the number of elements of output "
         f"(3) and its dtype, got {WORLD * 3} elements of float64"),
    ]:
        try:
            call()
        except ValueError as e:
            assert str(e) == msg, str(e)
        else:
            raise AssertionError(msg)
    objs = [None] * WORLD
    dist.all_gather_object(objs, {"rank": RANK})
    assert objs == [{"rank": r} for r in range(WORLD)]
    dist.barrier()
    passed("collectives")


class Net(nn.Module):
    """An MLP with an extra head used only when asked (for find_unused_parameters)."""

    def __init__(self, heads=False):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh())
        self.head = nn.Linear(16, 3)
        if heads:
            self.extra = nn.Linear(16, 3)
            self.never = nn.Linear(16, 3)

    def forward(self, x, use_extra=False):
        h = self.body(x)
        out = self.head(h)
        return out + self.extra(h) if use_extra else out


def make_net(seed, heads=False):
    fngrad.manual_seed(seed)
    return Net(heads).double()


def batch(step, r, per_rank=4):
    rng = np.random.default_rng(1000 * step + r)
    return fngrad.from_numpy(rng.standard_normal((per_rank, 5))), fngrad.from_numpy(rng.standard_normal((per_rank, 3)))


def loss_fn(out, y):
    return ((out - y) ** 2).mean()


def check_ddp(steps=4, **ddp_kwargs):
    """DDP on each rank's shard == one process on the concatenation (and rank 0's initial weights)."""
    ddp = nn.parallel.DistributedDataParallel(make_net(seed=7 + RANK), **ddp_kwargs)
    ref = make_net(seed=7)  # rank 0's initial parameters
    opt = fngrad.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    ref_opt = fngrad.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    for step in range(steps):
        x, y = batch(step, RANK)
        opt.zero_grad()
        loss_fn(ddp(x), y).backward()
        opt.step()
        xs, ys = zip(*(batch(step, r) for r in range(WORLD)))
        ref_opt.zero_grad()
        loss_fn(ref(fngrad.cat(xs)), fngrad.cat(ys)).backward()
        ref_opt.step()
    for (name, p), q in zip(ddp.module.named_parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    return ddp


def check_no_sync(**ddp_kwargs):
    """Two micro-batches, the first under no_sync, equal one process's gradient of both."""
    ddp = nn.parallel.DistributedDataParallel(make_net(seed=3 + RANK), **ddp_kwargs)
    ref = make_net(seed=3)
    opt = fngrad.optim.SGD(ddp.parameters(), lr=0.05)
    ref_opt = fngrad.optim.SGD(ref.parameters(), lr=0.05)
    for step in range(3):
        opt.zero_grad()
        x1, y1 = batch(2 * step, RANK)
        with ddp.no_sync():
            loss_fn(ddp(x1), y1).backward()
        x2, y2 = batch(2 * step + 1, RANK)
        loss_fn(ddp(x2), y2).backward()
        opt.step()
        ref_opt.zero_grad()
        for k in (2 * step, 2 * step + 1):
            xs, ys = zip(*(batch(k, r) for r in range(WORLD)))
            loss_fn(ref(fngrad.cat(xs)), fngrad.cat(ys)).backward()
        ref_opt.step()
    for p, q in zip(ddp.module.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)
    passed("no_sync")


def check_find_unused():
    """The extra head is used on rank 0 only; 'never' on no rank: its grad stays None."""
    ddp = nn.parallel.DistributedDataParallel(make_net(seed=5 + RANK, heads=True), find_unused_parameters=True)
    ref = make_net(seed=5, heads=True)
    x, y = batch(0, RANK)
    loss_fn(ddp(x, use_extra=RANK == 0), y).backward()
    # one process: the mean of the per-rank losses, the extra head in rank 0's term only
    total = 0
    for r in range(WORLD):
        xr, yr = batch(0, r)
        total = total + loss_fn(ref(xr, use_extra=r == 0), yr)
    (total / WORLD).backward()
    for (name, p), q in zip(ddp.module.named_parameters(), ref.parameters()):
        if name.startswith("never"):
            assert p.grad is None and q.grad is None, name
        else:
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    # A parameter used on no rank keeps the gradient it had (PyTorch leaves it alone).
    ddp.module.never.weight.grad = fngrad.full((3, 16), 7.0, dtype=fngrad.float64)
    loss_fn(ddp(x, use_extra=RANK == 0), y).backward()
    assert ddp.module.never.weight.grad.eq(7.0).all().item() and ddp.module.never.bias.grad is None
    passed("find_unused_parameters")


def check_unused_changing():
    """find_unused_parameters with the used parameters changing from step to step and from rank to
    rank: the extra head is used on rank r at step s when (r + s) % 3 == 0, so some steps use it
    on one rank, on several, or on none; after each SGD step the parameters equal one process's
    (the mean of the per-rank losses). The forward's graph search names what it does not reach."""
    ddp = nn.parallel.DistributedDataParallel(make_net(seed=9 + RANK, heads=True), find_unused_parameters=True,
                                              bucket_cap_mb=0.0001)  # one parameter per bucket
    ref = make_net(seed=9, heads=True)
    opt = fngrad.optim.SGD(ddp.parameters(), lr=0.1)
    ref_opt = fngrad.optim.SGD(ref.parameters(), lr=0.1)
    for step in range(4):
        x, y = batch(step, RANK)
        opt.zero_grad()
        use = (RANK + step) % 3 == 0
        ddp._timeline = []
        out = ddp(x, use_extra=use)
        not_reached = {ddp._param_names[id(p)] for p in ddp._unused_in_forward}
        assert not_reached == {"never.weight", "never.bias"} | (set() if use else {"extra.weight", "extra.bias"})
        loss_fn(out, y).backward()
        # the buckets of parameters the forward did not reach start at the first hook, before
        # backward ends
        for b, started, _, backward_end in ddp._timeline:
            if ddp._param_names[id(ddp._buckets[b].params[0])] in not_reached:
                assert started < backward_end
        opt.step()
        ref_opt.zero_grad()
        total = 0
        for r in range(WORLD):
            xr, yr = batch(step, r)
            total = total + loss_fn(ref(xr, use_extra=(r + step) % 3 == 0), yr)
        (total / WORLD).backward()
        ref_opt.step()
        for (name, p), q in zip(ddp.module.named_parameters(), ref.parameters()):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"{name} after step {step}")
    # A parameter used outside forward is not in the forward's graph: it was reduced as unused when
    # its gradient arrives, which is PyTorch's error; the next pass works.
    x, y = batch(0, RANK)
    try:
        (loss_fn(ddp(x), y) + ddp.module.never.weight.sum()).backward()
    except RuntimeError as e:
        assert "Expected to mark a variable ready only once" in str(e) and "never.weight" in str(e), str(e)
    else:
        raise AssertionError("a parameter used outside forward must raise with find_unused_parameters=True")
    opt.zero_grad()
    loss_fn(ddp(x), y).backward()
    assert ddp.module.extra.weight.grad is None and ddp.module.head.weight.grad is not None
    passed("find_unused_changing")


def check_unused_without_flag():
    ddp = nn.parallel.DistributedDataParallel(make_net(seed=5, heads=True))
    x, y = batch(0, RANK)
    try:
        loss_fn(ddp(x), y).backward()
    except RuntimeError as e:
        assert "find_unused_parameters=True" in str(e) and "extra.weight" in str(e), str(e)
    else:
        raise AssertionError("an unused parameter without find_unused_parameters must raise")
    passed("unused_without_flag")


def check_mismatch():
    width = 4 if RANK == WORLD - 1 else 3
    try:
        nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(2, 8), nn.Linear(8, width)))
    except RuntimeError as e:
        msg = str(e)
        assert f"rank {WORLD - 1}" in msg and "'1.weight'" in msg and "[4, 8]" in msg, msg
    else:
        raise AssertionError("mismatched shapes must be detected at construction")
    cap = 25 if RANK == 0 else 1e-4
    try:
        nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(2, 8), nn.Linear(8, 3)), bucket_cap_mb=cap)
    except RuntimeError as e:
        assert "rank 1" in str(e) and "bucket_cap_mb" in str(e), str(e)
    else:
        raise AssertionError("mismatched bucket layouts must be detected at construction")
    passed("mismatch")


check_collectives()
check_ddp()
passed("ddp")
# ~1 KB buckets: several all-reduces in flight, and body.2.weight (2 KB) is a bucket of its own,
# reduced in its .grad's memory
ddp = check_ddp(bucket_cap_mb=0.001)
assert len(ddp._buckets) > 2
w = ddp.module.body[2].weight
assert [len(b.params) for b in ddp._buckets if any(p is w for p in b.params)] == [1]
passed("ddp_small_buckets")
check_no_sync()
check_no_sync(bucket_cap_mb=0.001)  # the accumulated .grad reduced in its own memory
check_find_unused()
check_unused_changing()
check_unused_without_flag()
check_mismatch()
dist.destroy_process_group()
print(f"DONE rank={RANK}", flush=True)
sys.exit(0)
