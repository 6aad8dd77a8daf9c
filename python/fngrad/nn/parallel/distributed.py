"""``DistributedDataParallel``: data-parallel training over ``fngrad.distributed`` (MPI).

Each rank runs the same model on its own part of the batch; backward averages the gradients over
ranks, so ``optimizer.step()`` makes the same update everywhere (that of one process on the
concatenated batch). Gradients are packed into buckets, in reverse registration order (the order
backward produces them); a bucket's non-blocking all-reduce starts from the post-accumulate-grad
hook of its last gradient, so communication overlaps the rest of backward, and a final callback of
the backward pass waits for every bucket and writes the averages into ``.grad``.
See ``Note [No Python object off the GIL]`` (docs/architecture.md) and docs/distributed.md.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np

from ... import _C
from ... import distributed as dist
from ..._creation import from_numpy
from ...autograd.grad_mode import is_grad_enabled
from ...autograd.variable import Variable
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

# Note [No Python object off the GIL]
# MPI works on a bucket's all-reduce while backward goes on, but it only ever sees raw memory: the
# bucket's flat NumPy buffer, allocated once at construction and never resized or freed while a
# request is in flight, or, for a bucket of one parameter, the memory of the `.grad` that parameter
# got in this pass (final for the pass once its post-accumulate-grad hook runs; the bucket holds
# the tensor until the request completes, and the end-of-backward callback averages it in place).
# No Python object is touched outside the GIL: MPI gets no Python callback,
# and there is no communication thread. Open MPI moves a non-blocking collective forward only
# inside MPI calls, and every such call (Iallreduce, Test, Testall) is made from the thread that
# runs backward, with the GIL held; mpi4py releases the GIL inside them, and then MPI copies
# and reduces bytes only. Gradients enter a bucket by a NumPy copy in the post-accumulate-grad
# hook (the GIL is held, and `.grad` is final for this pass: Note [Concurrent accumulation]),
# and leave it by a copy in the end-of-backward callback, after every request has completed.
# So fngrad's reference counts (Note [GIL and reference counts]) are never raced, and a
# `.grad` is never written while the optimizer could read it.

# As PyTorch's reducer: the first bucket (the last layers, whose gradients come first) is small so
# that communication starts early; the others hold up to bucket_cap_mb.
_DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024


class _Bucket:
    """One flat NumPy buffer of gradients of one dtype, reduced by one MPI Iallreduce.

    A bucket of one parameter is reduced in the memory of the parameter's ``.grad`` when it can
    be (``in_grad``: the gradient tensor, held until the request completes), without copies."""

    __slots__ = ("index", "params", "offsets", "buffer", "pending", "request", "started", "finished", "in_grad")

    def __init__(self, index, params, dtype):
        self.index = index
        self.params = params
        sizes = [p.numel() for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.buffer = np.zeros(int(self.offsets[-1]), dtype=dtype)
        self.pending = len(params)
        self.request = None
        self.started = None  # perf_counter() at launch (for the timeline)
        self.finished = None  # perf_counter() when first seen complete
        self.in_grad = None

    def segment(self, i):
        return self.buffer[self.offsets[i] : self.offsets[i + 1]]


class DistributedDataParallel(Module):
    """Data parallelism over the ranks of ``fngrad.distributed`` (PyTorch's DDP for the CPU).

    At construction the ranks check that they hold the same parameters (names, shapes, dtypes)
    and bucket layout, and rank 0's parameters and buffers are broadcast to all. ``no_sync()``
    accumulates gradients locally; the next synchronised backward averages the sum.
    ``find_unused_parameters=True`` lets parameters without a gradient in a pass take part (as
    zeros): as PyTorch, the forward searches its output's graph for the parameters it does not
    reach, and they join their buckets at the first hook of backward; without the flag such a
    parameter is an error at the end of backward. Buffers are broadcast
    from rank 0 before every forward (``broadcast_buffers``). ``device_ids`` and
    ``output_device`` must be None (CPU), the other PyTorch arguments are accepted.

    Example (run with ``mpiexec -n 2 python train.py``)::

        import fngrad
        import fngrad.distributed as dist
        from fngrad import nn

        dist.init_process_group("mpi")
        model = nn.parallel.DistributedDataParallel(nn.Linear(4, 1))
        opt = fngrad.optim.SGD(model.parameters(), lr=0.1)
        loss = model(fngrad.randn(8, 4)).square().mean()
        loss.backward()                                # gradients averaged over the ranks
        opt.step()
    """

    def __init__(
        self,
        module,
        device_ids=None,
        output_device=None,
        dim=0,
        broadcast_buffers=True,
        init_sync=True,
        process_group=None,
        bucket_cap_mb=None,
        find_unused_parameters=False,
        check_reduction=False,
        gradient_as_bucket_view=False,
        static_graph=False,
    ):
        super().__init__()
        if device_ids is not None or output_device is not None:
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with single-device/"
                "multiple-device GPU modules or CPU modules, but got device_ids None for the CPU: pass None"
            )
        if not any(p.requires_grad for p in module.parameters()):
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter that requires a "
                "gradient."
            )
        self._pg = dist._c10d._get_pg(process_group)
        self.module = module
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        # As PyTorch: the small first bucket only with the default cap.
        self._first_bucket_cap = _DEFAULT_FIRST_BUCKET_BYTES if bucket_cap_mb is None else self.bucket_bytes_cap
        self._timeline = None  # set to a list to record (bucket, start, done, backward_end) per pass

        named = list(module.named_parameters())
        self._param_names = {id(p): n for n, p in named}
        self._buckets = self._make_buckets([p for _, p in named if p.requires_grad])
        self._param_slot = {id(p): (b, i) for b in self._buckets for i, p in enumerate(b.params)}
        self._check_same_model(named)
        if init_sync:
            self._broadcast([p for _, p in named] + [b for _, b in module.named_buffers()])
        self._expect_hooks = False  # set by a forward whose backward synchronises
        self._callback_queued = False
        self._ordered = [p for b in self._buckets for p in b.params]
        self._index = {id(p): k for k, p in enumerate(self._ordered)}
        # Per pass, by index: the gradient got here on this rank (reduced with MAX over ranks at the
        # end of backward), and the gradient (or zeros) is in its bucket.
        self._used = np.zeros(len(self._ordered), dtype=np.uint8)
        self._ready = np.zeros(len(self._ordered), dtype=bool)
        self._unused_in_forward = ()  # find_unused_parameters: what the forward's graph does not reach
        self._marked_twice = []  # parameters whose gradient came after they were taken as unused
        self._hook_handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in self._ordered]

    # -- construction ---------------------------------------------------------------------------

    def _make_buckets(self, params):
        """Reverse registration order; a new bucket at each dtype change or when full. A parameter
        at least as large as the first bucket's cap has a bucket of its own, reduced in its
        ``.grad``'s memory: the copies into and out of a bucket were half of DDP's own work on
        the benchmark's MLP (docs/distributed.md)."""
        buckets, current, size, dtype = [], [], 0, None

        def close():
            nonlocal current, size
            if current:
                buckets.append(_Bucket(len(buckets), current, current[0].detach().numpy().dtype))
            current, size = [], 0

        for p in reversed(params):
            cap = self._first_bucket_cap if not buckets else self.bucket_bytes_cap
            nbytes = p.numel() * p.element_size()
            alone = nbytes >= self._first_bucket_cap
            if p.dtype != dtype or size + nbytes > cap or alone:
                close()
            current.append(p)
            size += nbytes
            dtype = p.dtype
            if alone:
                close()
        close()
        return buckets

    def _check_same_model(self, named):
        mine = {
            "params": [(n, tuple(p.shape), str(p.dtype), bool(p.requires_grad)) for n, p in named],
            "buckets": [[self._param_names[id(p)] for p in b.params] for b in self._buckets],
        }
        everyone = [None] * self._pg.size()
        dist.all_gather_object(everyone, mine)
        ref = everyone[0]
        for rank, theirs in enumerate(everyone):
            if len(theirs["params"]) != len(ref["params"]):
                raise RuntimeError(
                    f"DistributedDataParallel: rank {rank} has {len(theirs['params'])} parameters but rank 0 has "
                    f"{len(ref['params'])}; every rank must build the same model"
                )
            for (n0, s0, d0, g0), (n, s, d, g) in zip(ref["params"], theirs["params"]):
                if (n, s, d, g) != (n0, s0, d0, g0):
                    raise RuntimeError(
                        f"DistributedDataParallel: parameter '{n}' on rank {rank} has shape {list(s)}, dtype {d}, "
                        f"requires_grad={g}, but rank 0's parameter '{n0}' has shape {list(s0)}, dtype {d0}, "
                        f"requires_grad={g0}; every rank must build the same model"
                    )
            if theirs["buckets"] != ref["buckets"]:
                raise RuntimeError(
                    f"DistributedDataParallel: the gradient buckets of rank {rank} ({theirs['buckets']}) differ from "
                    f"rank 0's ({ref['buckets']}); bucket_cap_mb must be the same on every rank"
                )

    def _broadcast(self, tensors):
        works = [dist.broadcast(t, src=0, async_op=True) for t in tensors]
        for w in works:
            w.wait()

    # -- forward ----------------------------------------------------------------------------------

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self._pg.size() > 1:
            buffers = [b for _, b in self.module.named_buffers()]
            if buffers:
                self._broadcast(buffers)
        self._expect_hooks = is_grad_enabled() and self.require_backward_grad_sync
        output = self.module(*inputs, **kwargs)
        if self._expect_hooks and self.find_unused_parameters:
            self._unused_in_forward = self._params_not_reached(output)
        return output

    def _params_not_reached(self, output):
        """The parameters that the autograd graph of ``output`` does not reach: PyTorch's search at
        forward time with ``find_unused_parameters=True``. They enter their buckets at the first
        hook of backward, so their buckets start as soon as the used gradients are in."""
        reached = set()
        seen = {}  # id -> node: holding the Python object keeps its id from being reused meanwhile
        stack = []
        for t in _tensors_in(output):
            if t.grad_fn is not None:
                stack.append(t.grad_fn)
            elif t.requires_grad:
                reached.add(id(t))  # a parameter returned as it is
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen[id(node)] = node
            if type(node).__name__ == "AccumulateGrad":
                reached.add(id(node.variable))
            stack.extend(n for n, _ in node.next_functions if n is not None and id(n) not in seen)
        return [p for p in self._ordered if id(p) not in reached]

    @contextlib.contextmanager
    def no_sync(self):
        """Within it, backward accumulates gradients locally without communication; the first
        synchronised backward after it averages the accumulated sums.

        Example::

            with ddp.no_sync():
                ddp(x1).sum().backward()      # local only
            ddp(x2).sum().backward()          # averages (grad from x1 + grad from x2)
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # -- backward ---------------------------------------------------------------------------------

    def _launch(self, bucket):
        memory = bucket.buffer if bucket.in_grad is None else bucket.in_grad.detach().numpy()
        bucket.request = self._pg.comm.Iallreduce(self._pg._MPI.IN_PLACE, memory, op=self._pg._MPI.SUM)
        if self._timeline is not None:
            bucket.started = time.perf_counter()

    def _poke(self):
        """Gives MPI a chance to progress the all-reduces in flight (Open MPI moves non-blocking
        collectives forward only inside MPI calls) and notes the ones that have finished."""
        for b in self._buckets:
            if b.request is not None and b.finished is None:
                if b.request.Test():
                    b.finished = time.perf_counter()
                else:
                    return

    def _fill(self, param, used=False):
        """Puts the parameter's gradient (zeros when it has none) into its bucket; the bucket's last
        one starts the bucket's all-reduce. The gradient a parameter of a bucket of its own got
        in this pass is reduced where it is (Note [No Python object off the GIL])."""
        bucket, i = self._param_slot[id(param)]
        grad = param.grad
        if (used and len(bucket.params) == 1 and grad is not None and not grad.requires_grad and grad.is_contiguous()
                and grad.detach().numpy().dtype == bucket.buffer.dtype):
            bucket.in_grad = grad
        elif grad is None:
            bucket.segment(i)[...] = 0
        else:
            np.copyto(bucket.segment(i).reshape(tuple(param.shape)), grad.detach().numpy())
        self._ready[self._index[id(param)]] = True
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch(bucket)

    def _grad_ready(self, param):
        if not self._expect_hooks:
            return
        if not self._callback_queued:  # the first hook of the pass
            self._callback_queued = True
            Variable._execution_engine.queue_callback(self._finish_backward)
            # As PyTorch: a gradient kept from earlier passes takes part, else zeros.
            for p in self._unused_in_forward:
                self._fill(p)
            self._unused_in_forward = ()
        k = self._index[id(param)]
        if self._ready[k]:  # taken as unused at forward, but it got a gradient: used outside forward
            self._marked_twice.append(param)
            return
        self._used[k] = 1
        self._fill(param, used=True)
        self._poke()

    def _end_pass(self):
        for b in self._buckets:
            b.pending, b.request, b.finished, b.in_grad = len(b.params), None, None, None
        self._used[:] = 0
        self._ready[:] = False
        self._marked_twice = []

    def _average_in_grad(self, bucket):
        memory = bucket.in_grad.detach().numpy()
        np.divide(memory, self._pg.size(), out=memory)
        _C._increment_version(bucket.in_grad)

    def _finish_backward(self):
        """The end-of-backward callback: starts what is left, waits for all, writes the averages."""
        self._callback_queued = False
        self._expect_hooks = False
        backward_end = time.perf_counter()
        missing = [p for p in self._ordered if not self._ready[self._index[id(p)]]]
        error = None
        if self._marked_twice:
            names = ", ".join(self._param_names[id(p)] for p in self._marked_twice)
            error = RuntimeError(
                "Expected to mark a variable ready only once. This error is caused by the use of a module "
                "parameter outside the `forward` function: the graph of DistributedDataParallel's forward output "
                "did not reach it, so it was reduced as unused, and then it received a gradient. Parameters marked "
                "ready twice: " + names
            )
        elif missing and not self.find_unused_parameters:
            names = ", ".join(self._param_names[id(p)] for p in missing)
            error = RuntimeError(
                "DistributedDataParallel: some parameters received no gradient in this backward pass, so their "
                "buckets cannot be reduced. This error indicates that your module has parameters that were not used "
                "in producing loss. You can enable unused parameter detection by passing the keyword argument "
                "`find_unused_parameters=True` to `DistributedDataParallel`. Parameters that did not receive grad: "
                + names
            )
        if error is not None:
            # Finish the all-reduces already started (the other ranks take part in them) before
            # raising, so no MPI request outlives its pass.
            self._pg.wait([b.request for b in self._buckets if b.request is not None], "DistributedDataParallel")
            for b in self._buckets:
                if b.in_grad is not None and b.request is not None:  # reduced where it was: the average
                    self._average_in_grad(b)
            self._end_pass()
            raise error
        MPI = self._pg._MPI
        used_req = None
        if self.find_unused_parameters:
            # Reached by the forward's graph but without a gradient (e.g. backward(inputs=...)).
            for p in missing:
                self._fill(p)
            used_req = self._pg.comm.Iallreduce(MPI.IN_PLACE, self._used, op=MPI.MAX)
        requests = [b.request for b in self._buckets] + ([used_req] if used_req is not None else [])
        self._pg.wait(requests, "DistributedDataParallel gradient all_reduce")
        done = time.perf_counter()
        world = self._pg.size()
        for b in self._buckets:
            for i, p in enumerate(b.params):
                seg = b.segment(i).reshape(tuple(p.shape))
                if not self._used[self._index[id(p)]]:
                    pass  # used on no rank in this pass: its .grad stays as it was (PyTorch)
                elif b.in_grad is not None:
                    self._average_in_grad(b)
                elif p.grad is not None:
                    np.divide(seg, world, out=p.grad.detach().numpy())  # the average, in one pass
                    _C._increment_version(p.grad)
                else:
                    p.grad = from_numpy(seg / world)
            if self._timeline is not None:
                self._timeline.append((b.index, b.started, b.finished or done, backward_end))
        self._end_pass()


def _tensors_in(obj):
    """The tensors in a forward's output: itself, or inside (nested) lists, tuples and dict values."""
    if isinstance(obj, _C.TensorBase):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _tensors_in(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _tensors_in(x)
