"""The autograd graph as Python sees it: ``Node`` (the type of every ``grad_fn``), hooks on tensors
and nodes, and saved-tensor hooks.

Hooks are kept in dicts owned by the node (or, for a leaf, by the tensor); the native engine runs
them in the order PyTorch documents: tensor hooks, ``retain_grad``, node pre-hooks, the node,
post-accumulate-grad hooks, node post-hooks.

Example::

    >>> import fngrad
    >>> x = fngrad.ones(2, requires_grad=True)
    >>> y = x * 3
    >>> handle = y.register_hook(lambda g: g * 10)
    >>> y.sum().backward()
    >>> x.grad
    tensor([30., 30.])
    >>> handle.remove()
"""

from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager

from .. import _C
from .graph_viz import Dot, MemoryReport, memory_report, to_dot

__all__ = [
    "Node",
    "to_dot",
    "Dot",
    "memory_report",
    "MemoryReport",
    "RemovableHandle",
    "saved_tensors_hooks",
    "save_on_cpu",
    "disable_saved_tensors_hooks",
    "register_multi_grad_hook",
    "increment_version",
]

Node = _C.Node

_handle_ids = itertools.count()


class RemovableHandle:
    """Returned by every ``register_*hook``; ``remove()`` unregisters the hook.

    Example::

        >>> import fngrad
        >>> x = fngrad.ones(1, requires_grad=True)
        >>> h = x.register_hook(print)
        >>> h.remove()
    """

    def __init__(self, hooks_dict: dict, extra_dicts=()):
        self.id = next(_handle_ids)
        self._dicts = (hooks_dict,) + tuple(extra_dicts)

    def remove(self) -> None:
        """Unregisters the hook.

        >>> x = fngrad.tensor([1., 2.], requires_grad=True)
        >>> h = x.register_hook(lambda grad: grad * 10)
        >>> h.remove()
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4.])
        """
        for d in self._dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _register_tensor_hook(tensor, hook):
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor.grad_fn is not None:
        # Bound to the grad_fn the tensor has now (an in-place op later does not move it).
        hooks = _C._hooks_dict(tensor.grad_fn, "tensor_pre")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = (tensor.output_nr, hook)
    else:
        hooks = _C._hooks_dict(tensor, "tensor")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
    return handle


def _register_post_accumulate_hook(tensor, hook):
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    hooks = _C._hooks_dict(tensor, "post_accumulate")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _node_register_hook(self, fn):
    """Registers ``fn(grad_inputs, grad_outputs) -> tuple or None``, run after this node.

    ``grad_inputs`` are the gradients the node computed (one per forward input), ``grad_outputs``
    the ones it received; a returned tuple replaces ``grad_inputs``.

    >>> x = fngrad.tensor([1., 2.], requires_grad=True)
    >>> y = x * 3
    >>> h = y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: print(grad_inputs[0]))
    >>> y.sum().backward()
    tensor([3., 3.])
    """
    hooks = _C._hooks_dict(self, "post")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


def _node_register_prehook(self, fn):
    """Registers ``fn(grad_outputs) -> tuple or None``, run before this node; a tuple replaces them.

    >>> x = fngrad.tensor([1., 2.], requires_grad=True)
    >>> y = x * 3
    >>> h = y.grad_fn.register_prehook(lambda grad_outputs: (grad_outputs[0] * 10,))
    >>> y.sum().backward()
    >>> x.grad
    tensor([30., 30.])
    """
    hooks = _C._hooks_dict(self, "pre")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


Node.register_hook = _node_register_hook
Node.register_prehook = _node_register_prehook


# ---- saved-tensor hooks ----

_hooks_state = threading.local()


@contextmanager
def _push_hooks(pack_hook, unpack_hook):
    message = getattr(_hooks_state, "disabled_message", None)
    if message is not None:
        raise RuntimeError(message)
    _C._push_saved_tensors_hooks(pack_hook, unpack_hook)
    try:
        yield
    finally:
        _C._pop_saved_tensors_hooks()


class saved_tensors_hooks:
    """Context manager: tensors saved for backward go through ``pack_hook`` and come back through
    ``unpack_hook``.

    ``pack_hook(tensor)`` runs once when a tensor is saved (without grad); ``unpack_hook(packed)``
    runs each time backward needs it and must return a tensor with the same values. Thread-local.

    Example::

        >>> import fngrad
        >>> packed = []
        >>> def pack(t):
        ...     packed.append(t.numpy().copy())
        ...     return len(packed) - 1
        >>> def unpack(i):
        ...     return fngrad.from_numpy(packed[i])
        >>> x = fngrad.tensor([2.0], requires_grad=True)
        >>> with fngrad.autograd.graph.saved_tensors_hooks(pack, unpack):
        ...     y = x * x
        >>> y.backward()
        >>> x.grad
        tensor([4.])
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        self._cm = _push_hooks(self.pack_hook, self.unpack_hook)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept on the CPU: with fngrad that is where they are already.

    Keeps a copy when ``pin_memory`` is requested, for code that relies on the copy semantics.

    >>> x = fngrad.tensor([1., 2.], requires_grad=True)
    >>> with fngrad.autograd.graph.save_on_cpu():
    ...     y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4.])
    """

    def __init__(self, pin_memory=False, device_type="cpu"):
        if pin_memory:
            super().__init__(lambda t: t.clone(), lambda t: t)
        else:
            super().__init__(lambda t: t, lambda t: t)


@contextmanager
def disable_saved_tensors_hooks(error_message):
    """Inside this context, registering saved-tensor hooks raises ``RuntimeError(error_message)``.

    Example::

        >>> import fngrad
        >>> with fngrad.autograd.graph.disable_saved_tensors_hooks("not here"):
        ...     pass
    """
    prev = getattr(_hooks_state, "disabled_message", None)
    _hooks_state.disabled_message = error_message
    try:
        yield
    finally:
        _hooks_state.disabled_message = prev


def increment_version(tensor) -> None:
    """Bumps the version counter of ``tensor`` (after changing it behind autograd's back).

    Example::

        >>> import fngrad
        >>> t = fngrad.zeros(2)
        >>> fngrad.autograd.graph.increment_version(t)
        >>> t._version
        1
    """
    _C._increment_version(tensor)


class _MultiHandle(RemovableHandle):
    def __init__(self, handles):
        self.handles = tuple(handles)

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """Calls ``fn`` once the gradients of ``tensors`` in a backward pass are computed.

    ``mode="all"``: ``fn(grads)`` with one entry per tensor (None for those the pass does not
    reach), after the last of them. ``mode="any"``: ``fn(grad)`` with the first gradient computed.

    Example::

        >>> import fngrad
        >>> a = fngrad.ones(1, requires_grad=True); b = fngrad.ones(1, requires_grad=True)
        >>> seen = []
        >>> _ = fngrad.autograd.graph.register_multi_grad_hook((a, b), lambda gs: seen.append(len(gs)))
        >>> (a * b).sum().backward()
        >>> seen
        [2]
    """
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    lock = threading.Lock()
    pending = {}

    if mode == "all":

        def inner(idx):
            def hook(grad):
                task = _C._current_graph_task_id()
                with lock:
                    if task not in pending:
                        expected = sum(1 for t in tensors if t.requires_grad and _C._will_engine_execute(t))
                        pending[task] = [expected, [None] * len(tensors)]
                    state = pending[task]
                    state[1][idx] = grad
                    state[0] -= 1
                    done = state[0] == 0
                    if done:
                        del pending[task]
                if done:
                    fn(tuple(state[1]))

            return hook

    else:

        def inner(idx):
            def hook(grad):
                task = _C._current_graph_task_id()
                with lock:
                    first = task not in pending
                    pending[task] = True
                if first:
                    fn(grad)

            return hook

    return _MultiHandle(t.register_hook(inner(i)) for i, t in enumerate(tensors) if t.requires_grad)
