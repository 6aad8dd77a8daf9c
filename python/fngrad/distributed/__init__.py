"""``fngrad.distributed``: collectives over MPI with ``torch.distributed``'s names and semantics.

fngrad does not invent a transport: it runs on MPI through mpi4py (``pip install
"fngrad[distributed]"`` installs mpi4py and Open MPI; a cluster's own MPI works the same way). Ranks
and world size come from the launcher (``mpiexec -n 4 python train.py``). mpi4py is imported only
when a process group is created: ``import fngrad`` never loads MPI, and :func:`is_available`
answers without it.

Collectives work on the tensor's own memory (no copies; the tensor's version counter is bumped as
an in-place op's is). Every collective is a non-blocking MPI call waited on by polling, so a peer
that fails is reported (``DistBackendError`` naming the rank) and a peer that dies or hangs turns
into an error after ``timeout`` instead of a hang (``docs/distributed.md``).

Example (run with ``mpiexec -n 2 python script.py``)::

    import fngrad
    import fngrad.distributed as dist

    dist.init_process_group("mpi")
    t = fngrad.ones(3) * (dist.get_rank() + 1)
    dist.all_reduce(t)                      # sum over ranks, in place: [3., 3., 3.] on 2 ranks
    dist.destroy_process_group()
"""

from ._c10d import (
    DistBackendError,
    DistError,
    GroupMember,
    ProcessGroup,
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    reduce_scatter,
    reduce_scatter_tensor,
)

__all__ = [
    "DistBackendError",
    "DistError",
    "GroupMember",
    "ProcessGroup",
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_object",
    "all_gather_into_tensor",
    "all_reduce",
    "barrier",
    "broadcast",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "reduce_scatter",
    "reduce_scatter_tensor",
]
