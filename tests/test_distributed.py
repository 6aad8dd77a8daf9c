"""fngrad.distributed, nn.parallel.DistributedDataParallel and utils.data.DistributedSampler.

The MPI tests launch ``mpiexec -n 2`` and ``-n 4`` on the workers in tests/distributed_workers/
(each launch costs ~2-5 s on this machine, so checks are grouped per launch) and skip with a
reason when mpi4py or mpiexec is absent. Every launch has a subprocess timeout: a hang fails.
"""

import importlib.util
import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import fngrad
import fngrad.distributed as dist
from conftest import requires_torch
from fngrad.utils.data import DistributedSampler

WORKERS = Path(__file__).parent / "distributed_workers"
MPIEXEC = shutil.which("mpiexec") or shutil.which("mpiexec", path=str(Path(sys.executable).parent))
HAS_MPI = importlib.util.find_spec("mpi4py") is not None and MPIEXEC is not None
requires_mpi = pytest.mark.skipif(
    not HAS_MPI, reason="mpi4py and mpiexec are not installed (pip install '.[distributed]')"
)
LAUNCH_TIMEOUT = 300  # seconds: a hang guard, far above a launch even on a loaded machine (no speed check)


def mpiexec(n, script, *args):
    """Runs ``script`` on ``n`` ranks; returns (return code, stdout + stderr).
    A launch that outlives LAUNCH_TIMEOUT fails the test (subprocess.TimeoutExpired)."""
    cmd = [MPIEXEC]
    version = subprocess.run([MPIEXEC, "--version"], capture_output=True, text=True, timeout=30).stdout
    if "Open MPI" in version or "OpenRTE" in version or "prte" in version.lower():
        cmd.append("--oversubscribe")  # 4 ranks on a 2-core machine
        if os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(fngrad.__file__).parent.parent), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"  # one thread per rank: the ranks share the cores
    cmd += ["-n", str(n), sys.executable, str(WORKERS / script), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT, env=env)
    return proc.returncode, proc.stdout + proc.stderr


CHECKS = ["collectives", "ddp", "ddp_small_buckets", "no_sync", "find_unused_parameters", "find_unused_changing",
          "unused_without_flag", "mismatch"]


@requires_mpi
@pytest.mark.parametrize("n", [2, 4])
def test_collectives_and_ddp_equal_one_process(n):
    # The worker asserts, on every rank: each collective against NumPy; DDP parameters after 4
    # SGD-momentum steps equal one process's on the concatenated batch (float64, 1e-10), also with
    # ~1 KB buckets; no_sync accumulation; find_unused_parameters, also with the used parameters changing
    # between steps and ranks (against one process, step by step); construction-time mismatch errors.
    rc, out = mpiexec(n, "checks.py")
    assert rc == 0, out
    for check, rank in itertools.product(CHECKS, range(n)):
        assert f"PASS {check} rank={rank}" in out, out


def failed_job_output(n, mode):
    """Launches faults.py on ``n`` ranks in ``mode``: the job must fail, and no rank may get past the
    fault (faults.py prints UNEXPECTED there)."""
    rc, out = mpiexec(n, "faults.py", mode)
    assert rc != 0, out
    assert "UNEXPECTED" not in out, out
    return out


@requires_mpi
def test_a_rank_that_raises_stops_the_others_naming_it():
    out = failed_job_output(3, "raise")
    assert "ValueError: rank one fails on purpose" in out, out
    for rank in (0, 2):
        assert f"[rank {rank}] rank 1 failed: ValueError: rank one fails on purpose" in out, out


@requires_mpi
def test_a_rank_that_hangs_times_out_naming_it():
    # The hanging rank sleeps 600 s, beyond LAUNCH_TIMEOUT: the launch returns only because rank 0
    # timed out, named rank 1 and aborted the job.
    out = failed_job_output(2, "hang")
    assert "[rank 0] all_reduce did not complete within 1 s" in out, out
    assert "no answer from rank 1" in out, out


@requires_mpi
def test_a_rank_that_dies_ends_the_job_naming_it():
    # A killed process cannot say goodbye: the MPI launcher sees it die and ends the job.
    out = failed_job_output(2, "kill")
    assert "rank 1" in out, out


def test_import_does_not_load_mpi():
    code = (
        "import sys, fngrad, fngrad.nn, fngrad.distributed as d, fngrad.utils.data\n"
        "assert 'mpi4py' not in sys.modules, 'importing fngrad loaded mpi4py'\n"
        "assert not d.is_initialized()\n"
        "print(d.is_available())"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(fngrad.__file__).parent.parent))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(importlib.util.find_spec("mpi4py") is not None)


def test_errors_before_init():
    msg = "Default process group has not been initialized, please make sure to call init_process_group."
    for call in (dist.get_rank, dist.get_world_size, dist.barrier, lambda: dist.all_reduce(fngrad.ones(2))):
        with pytest.raises(ValueError, match="Default process group has not been initialized") as info:
            call()
        assert str(info.value) == msg
    with pytest.raises(ValueError, match="'mpi' backend only"):
        dist.init_process_group("nccl")
    with pytest.raises(TypeError, match="datetime.timedelta"):
        dist.init_process_group("mpi", timeout=5)
    with pytest.raises(RuntimeError, match="DistributedDataParallel is not needed"):
        fngrad.nn.parallel.DistributedDataParallel(fngrad.nn.ReLU())
    assert not dist.is_initialized()


def test_reduce_op_names():
    assert [op.name for op in dist.ReduceOp.RedOpType] == ["SUM", "AVG", "PRODUCT", "MIN", "MAX"]
    assert dist.ReduceOp.SUM == dist.ReduceOp.RedOpType.SUM


def padded_order(order, num_replicas, drop_last):
    """torch.utils.data.DistributedSampler's documented rule: pad by repeating from the start to a
    multiple of num_replicas, or cut down to one with drop_last."""
    n = len(order)
    if drop_last:
        return order[: (n // num_replicas) * num_replicas]
    total = -(-n // num_replicas) * num_replicas
    return (order * total)[:total]


@pytest.mark.parametrize("n,replicas,drop_last", list(itertools.product([1, 5, 8, 13], [1, 2, 3, 4], [False, True])))
def test_distributed_sampler_partitions(n, replicas, drop_last):
    for shuffle in (False, True):
        shares = [list(DistributedSampler(range(n), replicas, r, shuffle=shuffle, seed=3, drop_last=drop_last))
                  for r in range(replicas)]
        if shuffle:
            order = fngrad.randperm(n, generator=fngrad.Generator().manual_seed(3)).tolist()
        else:
            order = list(range(n))
        full = padded_order(order, replicas, drop_last)
        for r, share in enumerate(shares):
            assert share == full[r::replicas]
            assert len(share) == len(DistributedSampler(range(n), replicas, r, drop_last=drop_last))


def test_distributed_sampler_epochs_and_errors():
    s = DistributedSampler(range(20), num_replicas=2, rank=0, seed=1)
    first = list(s)
    assert list(s) == first
    s.set_epoch(1)
    second = list(s)
    assert second != first and second == list(DistributedSampler(range(20), 2, 0, seed=2))
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    if dist.is_available():  # rank and size from the process group, which does not exist yet
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            DistributedSampler(range(4))
    else:
        with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
            DistributedSampler(range(4))


@requires_torch
def test_distributed_sampler_matches_torch_without_shuffle():
    import torch.utils.data

    for n, replicas, drop_last in itertools.product([1, 5, 7, 8, 13], [1, 2, 3, 4], [False, True]):
        for r in range(replicas):
            kw = dict(num_replicas=replicas, rank=r, shuffle=False, drop_last=drop_last)
            theirs = torch.utils.data.DistributedSampler(range(n), **kw)
            ours = DistributedSampler(range(n), **kw)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)
