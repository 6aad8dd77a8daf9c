"""Run under ``mpiexec -n N`` with one argument, the fault rank 1 commits before an all_reduce the
others are waiting in: ``raise`` (an uncaught exception), ``kill`` (SIGKILL: the process dies),
``hang`` (it never calls the collective). The process group's timeout is 1 s for ``hang``, and
long for the others (on a loaded machine a notice can take more than a second to arrive).
tests/test_distributed.py checks that the job ends, with an error naming rank 1.
"""

import datetime
import os
import signal
import sys
import time

import fngrad
import fngrad.distributed as dist

mode = sys.argv[1]
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=1 if mode == "hang" else 60))
dist.barrier(timeout=datetime.timedelta(seconds=60))  # startup skew under load is not the fault tested
if dist.get_rank() == 1:
    if mode == "raise":
        raise ValueError("rank one fails on purpose")
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "hang":
        time.sleep(600)  # beyond the test's launch timeout: the job ends only if the others act
t = fngrad.ones(4)
dist.all_reduce(t)
print(f"UNEXPECTED all_reduce completed on rank {dist.get_rank()}", flush=True)
