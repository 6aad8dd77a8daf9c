"""Activation checkpointing, as ``torch.utils.checkpoint``: trade compute for memory.

``checkpoint(fn, *args)`` runs ``fn`` without keeping the tensors its backward needs; backward runs
``fn`` again from the saved inputs to get them back. ``checkpoint_sequential`` does that per segment
of a sequential model. Gradients are those of the plain graph.

The default (``use_reentrant=False``) is PyTorch's non-reentrant variant: the forward runs under
``saved_tensors_hooks`` whose pack hook keeps a placeholder instead of each tensor to save; the
first unpack in a backward pass recomputes ``fn`` (under the RNG state of the forward) and hands
back the recomputed tensors, each taking the place of the one it replaces in the original graph.
So ``autograd.grad``, ``backward(inputs=...)``, hooks and ``create_graph=True`` (a second
recomputation serves the second backward) all work. ``use_reentrant=True`` is the older variant:
an ``autograd.Function`` that runs ``fn`` under no-grad and, in its backward, again with grad and
calls ``backward`` inside the backward.

Example::

    >>> import fngrad
    >>> from fngrad.utils.checkpoint import checkpoint
    >>> w = fngrad.ones(3, 3, requires_grad=True)
    >>> x = fngrad.ones(2, 3, requires_grad=True)
    >>> y = checkpoint(lambda a: (a @ w).tanh(), x, use_reentrant=False)
    >>> y.sum().backward()
    >>> x.grad.shape
    fngrad.Size([2, 3])
"""

from __future__ import annotations

import contextlib
import itertools
import weakref
from collections import defaultdict

from .. import _C
from .._creation import get_rng_state, set_rng_state
from ..autograd import _engine
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, no_grad
from ..autograd.graph import saved_tensors_hooks
from ..autograd.variable import Variable
from ..nn.modules.container import Sequential

__all__ = [
    "checkpoint",
    "checkpoint_sequential",
    "CheckpointError",
    "CheckpointFunction",
    "set_checkpoint_early_stop",
    "noop_context_fn",
    "detach_variable",
]


class CheckpointError(RuntimeError):
    """CheckpointError(message)

    Raised when the recomputation does not give back what the forward saved.

    >>> from fngrad.utils.checkpoint import CheckpointError
    >>> issubclass(CheckpointError, RuntimeError)
    True
    """


def noop_context_fn():
    """The default ``context_fn``: no context around the forward nor the recomputation.

    >>> fwd, recompute = fngrad.utils.checkpoint.noop_context_fn()
    >>> with fwd, recompute:
    ...     pass
    """
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs):
    """Each tensor of ``inputs`` detached, with its ``requires_grad`` kept (as PyTorch's).

    >>> x = fngrad.ones(2, requires_grad=True)
    >>> d, = fngrad.utils.checkpoint.detach_variable((x * 2,))
    >>> d.requires_grad, d.grad_fn
    (True, None)
    """
    if not isinstance(inputs, tuple):
        raise RuntimeError(f"Only tuple of tensors is supported. Got Unsupported input type: {type(inputs).__name__}")
    out = []
    for inp in inputs:
        if not isinstance(inp, _C.TensorBase):
            out.append(inp)
            continue
        x = inp.detach()
        x.requires_grad = inp.requires_grad
        out.append(x)
    return tuple(out)


@contextlib.contextmanager
def _rng_state(state):
    """Runs the block under the default generator's ``state`` (None: unchanged), then restores the
    state from before the block, so the recomputation does not consume the caller's random stream."""
    if state is None:
        yield
        return
    outer = get_rng_state()
    set_rng_state(state)
    try:
        yield
    finally:
        set_rng_state(outer)


# ---- use_reentrant=True ----


class CheckpointFunction(Function):
    """The reentrant variant: forward without a graph, backward recomputes and backpropagates inside.

    >>> from fngrad.utils.checkpoint import CheckpointFunction
    >>> x = fngrad.tensor([1., 2.], requires_grad=True)
    >>> y = CheckpointFunction.apply(lambda t: t.sin() * 2, True, x)
    >>> y.sum().backward()
    >>> x.grad
    tensor([ 1.0806, -0.8323])
    """

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        ctx.run_function = run_function
        ctx.fwd_rng_state = get_rng_state() if preserve_rng_state else None
        # Non-tensor arguments stay on ctx; tensors are saved (version-checked) and fill the Nones.
        ctx.inputs = [None if isinstance(a, _C.TensorBase) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, _C.TensorBase)]
        ctx.save_for_backward(*(args[i] for i in ctx.tensor_indices))
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        if not Variable._execution_engine.is_checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or passing an `inputs` "
                "parameter to .backward(). To resolve this error, you can either set use_reentrant=False, or call "
                ".backward() without passing the `inputs` argument."
            )
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        detached = detach_variable(tuple(inputs))
        with _rng_state(ctx.fwd_rng_state), enable_grad():
            outputs = ctx.run_function(*detached)
        if isinstance(outputs, _C.TensorBase):
            outputs = (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads) if isinstance(o, _C.TensorBase) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        _engine.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(d.grad if isinstance(d, _C.TensorBase) else None for d in detached)


# ---- use_reentrant=False ----

_early_stop_override = None


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool):
    """Whether checkpoints created inside the block stop recomputing once every saved tensor is back
    (the default), or always run the whole function again.

    Example::

        >>> import fngrad
        >>> from fngrad.utils.checkpoint import checkpoint, set_checkpoint_early_stop
        >>> x = fngrad.ones(2, requires_grad=True)
        >>> with set_checkpoint_early_stop(False):
        ...     y = checkpoint(lambda a: a.exp() * 2, x, use_reentrant=False)
        >>> y.sum().backward()
    """
    global _early_stop_override
    prev = _early_stop_override
    _early_stop_override = enable
    try:
        yield
    finally:
        _early_stop_override = prev


class _StopRecomputation(Exception):
    """Raised from the recomputation's pack hook once every needed tensor is back."""


class _Holder:
    """What the graph keeps in place of a saved tensor: the recomputed tensor of each backward pass
    (by graph task id) until that pass unpacks it."""

    __slots__ = ("recomputed", "__weakref__")

    def __init__(self):
        self.recomputed = {}


_UNPACKED = object()
_outside_backward_ids = itertools.count(-2, -1)  # a fresh id for each unpack outside any backward


class _SaveInputs(Function):
    """Keeps the checkpoint's tensor inputs as saved tensors of a node of their own: reading them
    back checks their versions (an input modified in place afterwards raises PyTorch's error) and
    restores their history, and an enclosing checkpoint's hooks apply to them (nesting)."""

    @staticmethod
    def forward(ctx, *tensors):
        ctx.save_for_backward(*tensors)
        return tensors[0]

    @staticmethod
    def backward(ctx, *grads):  # never reached: the output is not used
        return (None,) * len(ctx.saved_tensors)


class _Frame:
    """One checkpointed call: its inputs, how to recompute it, and the placeholders the graph holds."""

    def __init__(self, fn, args, kwargs, rng_state, recompute_context, early_stop, metadata_fn):
        self.fn, self.kwargs, self.rng_state = fn, kwargs, rng_state
        self.recompute_context = recompute_context
        self.early_stop, self.metadata_fn = early_stop, metadata_fn
        self.positions = [i for i, a in enumerate(args) if isinstance(a, _C.TensorBase)]
        self.args = [None if isinstance(a, _C.TensorBase) else a for a in args]
        tensors = [args[i] for i in self.positions]
        # The node lives as long as its output does (the output owns it); the output shares the memory
        # of the first input, so it costs nothing.
        self.saved = None
        if any(t.requires_grad for t in tensors):
            self.saved = _SaveInputs.apply(*tensors)
        if self.saved is None:  # no node (nothing requires grad): nothing to version-check through
            for i, t in zip(self.positions, tensors):
                self.args[i] = t
        self.holders = []  # weak references: a holder dies with the node that saved it
        self.metadata = []
        self.recomputed = defaultdict(bool)  # graph task id -> recomputed already
        self.counter = defaultdict(int)  # graph task id -> tensors saved so far by its recomputation

    def inputs(self):
        args = list(self.args)
        if self.saved is not None:
            for i, t in zip(self.positions, self.saved.grad_fn.saved_tensors):
                args[i] = t
        return args

    def pack(self, x):
        holder = _Holder()
        self.holders.append(weakref.ref(holder))
        self.metadata.append(self.metadata_fn(x))
        return holder

    def unpack(self, holder):
        gid = _C._current_graph_task_id()
        if gid == -1:
            gid = next(_outside_backward_ids)
        if not self.recomputed[gid]:
            self.recompute(gid)
        value = holder.recomputed.get(gid, _UNPACKED)
        if value is _UNPACKED:
            raise CheckpointError(
                "torch.utils.checkpoint: Unpack is being triggered for a tensor that was already unpacked once. If "
                "you are calling ctx.saved_tensors in backward, make sure to do so only once. Otherwise please open "
                "an issue with details on your use case."
            )
        holder.recomputed[gid] = _UNPACKED  # the pass has it now: drop the reference
        return value

    def recompute(self, gid):
        def pack(x):
            index = self.counter[gid]
            self.counter[gid] += 1
            if index >= len(self.holders):
                raise CheckpointError(
                    "torch.utils.checkpoint: trying to save more tensors during recomputation than during the "
                    "original forward pass."
                )
            holder = self.holders[index]()
            if holder is not None:  # else its node is gone: nothing to hand back
                holder.recomputed[gid] = x.detach() if x.requires_grad else x
            if self.early_stop and self.counter[gid] == len(self.holders):
                raise _StopRecomputation
            return x

        args = self.inputs()
        try:
            with _rng_state(self.rng_state), saved_tensors_hooks(pack, lambda x: x), enable_grad(), \
                    self.recompute_context:
                self.fn(*args, **self.kwargs)
        except _StopRecomputation:
            pass
        self.recomputed[gid] = True
        self.check_recomputed(gid)

    def check_recomputed(self, gid):
        if self.counter[gid] != len(self.holders):
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the original forward and "
                f"recomputation.\nNumber of tensors saved during forward: {len(self.holders)}\n"
                f"Number of tensors saved during recomputation: {self.counter[gid]}"
            )
        different = []
        for idx, ref in enumerate(self.holders):
            holder = ref()
            if holder is None:
                continue
            meta = self.metadata_fn(holder.recomputed[gid])
            if meta != self.metadata[idx]:
                different.append(f"tensor at position {idx}:\nsaved metadata: {self.metadata[idx]}\n"
                                 f"recomputed metadata: {meta}\n")
        if different:
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have different metadata than "
                "during the forward pass.\n" + "".join(different)
            )


def _default_metadata(x):
    return {"shape": tuple(x.shape), "dtype": x.dtype}


_DETERMINISM_CHECKS = {"default": _default_metadata, "none": lambda x: None}


def checkpoint(function, *args, use_reentrant=False, preserve_rng_state=True, context_fn=noop_context_fn,
               determinism_check="default", debug=False, early_stop=True, **kwargs):
    """Runs ``function(*args, **kwargs)`` without keeping its intermediate tensors for backward;
    backward recomputes them from ``args``. Returns what ``function`` returns.

    ``preserve_rng_state`` (default True): the recomputation draws the same random numbers as the
    forward (dropout gets the same mask), and leaves the caller's random stream untouched.
    ``use_reentrant`` (default False; PyTorch's recommended variant, see the module doc).
    ``context_fn`` returns two context managers, for the forward and for the recomputation.
    ``determinism_check``: ``"default"`` compares the shapes and dtypes of the recomputed tensors
    with the forward's (``CheckpointError`` when they differ), ``"none"`` does not. ``early_stop``:
    stop recomputing once every needed tensor is back (see ``set_checkpoint_early_stop``).
    ``debug=True`` (operator traces in errors) is not available in fngrad.

    ``function`` must compute the same thing when run again: the same ops on the same inputs.

    Example::

        >>> import fngrad
        >>> from fngrad.utils.checkpoint import checkpoint
        >>> x = fngrad.tensor([0.5, 1.0], requires_grad=True)
        >>> y = checkpoint(lambda a: a.exp().sin(), x, use_reentrant=False)
        >>> y.sum().backward()
        >>> e = x.detach().exp()
        >>> bool(((x.grad - e * e.cos()).abs() < 1e-6).all())
        True
    """
    if use_reentrant is None:  # PyTorch warns and takes True; fngrad takes the variant it recommends
        use_reentrant = False
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
        return CheckpointFunction.apply(function, preserve_rng_state, *args)
    if debug:
        raise NotImplementedError(
            "torch.utils.checkpoint: debug=True needs traces of the operators run, which fngrad does not record; "
            "compare the forward and the recomputation with determinism_check='default' instead."
        )
    if determinism_check not in _DETERMINISM_CHECKS:
        raise ValueError(f"determinism_check should be one of {list(_DETERMINISM_CHECKS)}, "
                         f"but got {determinism_check}")
    forward_context, recompute_context = context_fn()
    if not _C.is_grad_enabled():
        with forward_context:
            return function(*args, **kwargs)
    frame = _Frame(function, args, kwargs, get_rng_state() if preserve_rng_state else None, recompute_context,
                   early_stop if _early_stop_override is None else _early_stop_override,
                   _DETERMINISM_CHECKS[determinism_check])
    with saved_tensors_hooks(frame.pack, frame.unpack), forward_context:
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=False, **kwargs):
    """Runs ``functions`` (a ``Sequential`` or a list of modules/functions) in order on ``input``,
    split into ``segments`` chunks; every chunk but the last is checkpointed, so only its input is
    kept for backward. ``preserve_rng_state`` may be given as a keyword (default True).

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> from fngrad.utils.checkpoint import checkpoint_sequential
        >>> model = nn.Sequential(*[nn.Linear(4, 4) for _ in range(4)])
        >>> y = checkpoint_sequential(model, 2, fngrad.ones(3, 4, requires_grad=True), use_reentrant=False)
        >>> y.sum().backward()
    """
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if isinstance(functions, Sequential):
        functions = list(functions.children())

    def run_function(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    segment_size = len(functions) // segments
    end = -1  # the last chunk is not checkpointed: its backward comes first anyway
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1)(input)
