"""The optimizer base class: parameter groups, per-parameter state and state dicts, as in
``torch.optim.Optimizer``.

Every optimizer updates all the parameters of a group with one native call (``_C._adam_step``
and friends, ``csrc/ops/optim.cpp``) that runs PyTorch's single-tensor formula element by
element, in place, and bumps each written tensor's version as an in-place op does.
"""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

from .. import _C
from .._creation import tensor, zeros_like
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..autograd.graph import RemovableHandle

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_optimizer_pre_hooks: OrderedDict = OrderedDict()
_global_optimizer_post_hooks: OrderedDict = OrderedDict()


def _add_hook(hooks: OrderedDict, hook, prepend: bool = False) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """Registers ``hook(optimizer, args, kwargs)`` to run before every optimizer's ``step``; it
    may return ``(new_args, new_kwargs)``."""
    return _add_hook(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    """Registers ``hook(optimizer, args, kwargs)`` to run after every optimizer's ``step``."""
    return _add_hook(_global_optimizer_post_hooks, hook)


def _step_with_hooks(step):
    """step, running the global and the optimizer's step hooks around it (PyTorch's order)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if not (_global_optimizer_pre_hooks or _global_optimizer_post_hooks or self._optimizer_step_pre_hooks
                or self._optimizer_step_post_hooks):
            return step(self, *args, **kwargs)
        for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(
                        f"{pre_hook} must return None or a tuple of (new_args, new_kwargs), but got {result}."
                    )
        out = step(self, *args, **kwargs)
        for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


class _RequiredParameter:
    """Singleton marking a default every parameter group must give (e.g. ``lr``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return "fngrad.Tensor"
    module = type(obj).__module__
    return type(obj).__qualname__ if module == "builtins" else f"{module}.{type(obj).__qualname__}"


def _scalar(value) -> float:
    """A hyperparameter as a Python float (a one-element tensor lr is allowed, as in PyTorch)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        return float(value.item())
    return float(value)


def _check_unsupported(defaults: dict) -> None:
    if defaults.get("differentiable"):
        raise NotImplementedError("fngrad.optim: differentiable=True is not supported (the step is a native in-place kernel)")


def _step_under_no_grad(step):
    """Runs ``step`` with grad mode off, as PyTorch's ``_use_grad_for_differentiable`` does."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        # What ``with no_grad():`` does, without making the context object (a few us of a small step).
        prev = _C.is_grad_enabled()
        _C._set_grad_enabled(False)
        try:
            return step(self, *args, **kwargs)
        finally:
            _C._set_grad_enabled(prev)

    return wrapper


def _next_step(state: dict) -> float:
    """Increments the state's float32 ``"step"`` tensor in place (as PyTorch's ``step_t += 1``)
    and returns its new value."""
    step = state["step"]
    step.add_(1)
    return step.item()


def _zero_state(param: Tensor, state: dict, *buffers: str) -> None:
    """A new parameter's state: ``"step"`` 0 (a float32 scalar tensor, as PyTorch's on the CPU)
    and the named buffers zero, like the parameter."""
    state["step"] = tensor(0.0)
    for name in buffers:
        state[name] = zeros_like(param)


def _step_grad(param: Tensor, maximize: bool, weight_decay: float, lr: float = 0.0,
               decoupled: bool = False) -> Tensor:
    """The gradient a step uses: negated under ``maximize``, plus ``weight_decay * param`` (L2),
    or, ``decoupled`` (AdamW-style), the parameter itself shrunk by ``1 - lr * weight_decay``."""
    grad = -param.grad if maximize else param.grad
    if weight_decay != 0:
        if decoupled:
            param.mul_(1 - lr * weight_decay)
        else:
            grad = grad.add(param, alpha=weight_decay)
    return grad


def _ema_square_(avg: Tensor, value: Tensor, decay: float) -> Tensor:
    """``avg <- decay * avg + (1 - decay) * value**2`` in place (Adam's second moment)."""
    return avg.mul_(decay).addcmul_(value, value, value=1 - decay)


class Optimizer:
    """Base class for all optimizers.

    ``params`` is an iterable of tensors (leaves with ``requires_grad=True``), of
    ``(name, tensor)`` pairs, or of dicts, each a parameter group with a ``"params"`` entry and
    any hyperparameters that override ``defaults``.

    Example::

        >>> import fngrad
        >>> w = fngrad.ones(3, requires_grad=True)
        >>> opt = fngrad.optim.SGD([w], lr=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step(); opt.zero_grad()
        >>> w
        tensor([0., 0., 0.], requires_grad=True)
    """

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        _check_unsupported(defaults)
        for name in self._HOOK_DICTS:
            setattr(self, name, OrderedDict())
        # As PyTorch: the class's step is wrapped once, on its first instance.
        if not getattr(type(self).step, "hooked", False):
            type(self).step = _step_with_hooks(type(self).step)
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be "
                "an iterable of Tensors or dicts, but got " + _typename(params)
            )
        self.state: defaultdict[Tensor, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    _HOOK_DICTS = (
        "_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
        "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
        "_optimizer_load_state_dict_post_hooks",
    )

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in self._HOOK_DICTS:  # a copy or unpickled optimizer starts without hooks
            self.__dict__.setdefault(name, OrderedDict())
        # Older PyTorch state dicts hold "step" as a number; the steps are float32 tensors now
        # (PyTorch's optimizers convert them the same way).
        for param_state in self.state.values():
            if isinstance(param_state, dict) and "step" in param_state and not isinstance(param_state["step"], Tensor):
                param_state["step"] = tensor(float(param_state["step"]))

    def __repr__(self) -> str:
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a parameter group (a dict with ``"params"`` and optional hyperparameters).

        Example::

            >>> import fngrad
            >>> a, b = fngrad.ones(2, requires_grad=True), fngrad.ones(2, requires_grad=True)
            >>> opt = fngrad.optim.SGD([a], lr=0.1)
            >>> opt.add_param_group({"params": [b], "lr": 0.01})
            >>> [g["lr"] for g in opt.param_groups]
            [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        _check_unsupported(param_group)

        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error; "
                "see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )

        param_set: set[Tensor] = set()
        for group in self.param_groups:
            param_set.update(set(group["params"]))
            if ("param_names" in param_group) != ("param_names" in group):
                current = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {current} to the optimizer"
                )
        if not param_set.isdisjoint(set(param_group["params"])):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """Registers ``hook(optimizer, args, kwargs)`` to run before this optimizer's ``step``;
        it may return ``(new_args, new_kwargs)``. Returns a handle whose ``remove()`` drops it.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
        >>> opt = fngrad.optim.SGD([w], lr=0.1)
        >>> h = opt.register_step_pre_hook(lambda opt, args, kwargs: print('before step'))
        >>> opt.step()
        before step
        >>> h.remove()
        """
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """Registers ``hook(optimizer, args, kwargs)`` to run after this optimizer's ``step``.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
        >>> opt = fngrad.optim.SGD([w], lr=0.1)
        >>> h = opt.register_step_post_hook(lambda opt, args, kwargs: print('after step'))
        >>> opt.step()
        after step
        >>> h.remove()
        """
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Registers ``hook(optimizer)`` to run at the start of :meth:`state_dict`.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
        >>> opt = fngrad.optim.SGD([w], lr=0.1)
        >>> h = opt.register_state_dict_pre_hook(lambda opt: print('saving'))
        >>> sorted(opt.state_dict())
        saving
        ['param_groups', 'state']
        """
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Registers ``hook(optimizer, state_dict)`` to run at the end of :meth:`state_dict`; it
        may return a replacement state dict.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
        >>> opt = fngrad.optim.SGD([w], lr=0.1)
        >>> h = opt.register_state_dict_post_hook(lambda opt, sd: sd.update(note='saved'))
        >>> sorted(opt.state_dict())
        ['note', 'param_groups', 'state']
        """
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Registers ``hook(optimizer, state_dict)`` to run before :meth:`load_state_dict`; it may
        return a replacement state dict.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
        >>> opt = fngrad.optim.SGD([w], lr=0.1)
        >>> h = opt.register_load_state_dict_pre_hook(lambda opt, sd: print('loading'))
        >>> opt.load_state_dict(opt.state_dict())
        loading
        """
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Registers ``hook(optimizer)`` to run after :meth:`load_state_dict`.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
        >>> opt = fngrad.optim.SGD([w], lr=0.1)
        >>> h = opt.register_load_state_dict_post_hook(lambda opt: print('loaded'))
        >>> opt.load_state_dict(opt.state_dict())
        loaded
        """
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as a dict, in PyTorch's layout.

        ``"state"`` maps a parameter's index (counted over all groups in order) to its state
        dict; ``"param_groups"`` holds each group's hyperparameters with ``"params"`` as a list
        of those indices. The state's tensors are the optimizer's own (not copies), as in
        PyTorch.

        Example::

            >>> import fngrad
            >>> w = fngrad.ones(2, requires_grad=True)
            >>> opt = fngrad.optim.SGD([w], lr=0.1, momentum=0.9)
            >>> w.sum().backward(); opt.step()
            >>> sd = opt.state_dict()
            >>> sorted(sd["state"][0]), sd["param_groups"][0]["params"]
            (['momentum_buffer'], [0])
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        param_mappings: dict[int, int] = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update(
                {id(p): i for i, p in enumerate(group["params"], start_index) if id(p) not in param_mappings}
            )
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (param_mappings[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a state dict made by :meth:`state_dict` (of this optimizer class, with the same
        group sizes). Floating-point state tensors are converted to their parameter's dtype,
        except ``"step"``.

        Example::

            >>> import fngrad
            >>> w = fngrad.ones(2, requires_grad=True)
            >>> opt = fngrad.optim.Adam([w])
            >>> opt.load_state_dict(opt.state_dict())
        """
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                if key != "step" and param.is_floating_point() and value.is_floating_point():
                    return value.to(dtype=param.dtype)
                return value
            if isinstance(value, dict):
                return {k: cast(param, v, key=k) for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
                return type(value)(cast(param, v) for v in value)
            return value

        state: defaultdict[Any, Any] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of all parameters: to ``None`` (default) or to zeros in place.

        Example::

            >>> import fngrad
            >>> w = fngrad.ones(2, requires_grad=True)
            >>> opt = fngrad.optim.SGD([w], lr=0.1)
            >>> w.sum().backward(); opt.zero_grad()
            >>> w.grad is None
            True
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad.zero_()

    def step(self, closure=None):
        """Performs one optimization step. ``closure``, when given, re-evaluates the model
        (with grad mode on) and returns the loss, which ``step`` returns.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
        >>> opt = fngrad.optim.SGD([w], lr=0.1)
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = (w * w).sum()
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure)
        tensor(5., grad_fn=<SumBackward0>)
        >>> w
        Parameter containing:
        tensor([0.8000, 1.6000], requires_grad=True)
        """
        raise NotImplementedError

    # ---- helpers for the optimizers ----

    @staticmethod
    def _evaluate(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    @staticmethod
    def _params_with_grad(group) -> list[Tensor]:
        return [p for p in group["params"] if p.grad is not None]

    @staticmethod
    def _run_fused(kernel, lists, *scalars):
        """Calls ``kernel(*lists, *scalars)`` once for the group, or once per parameter when a
        parameter appears twice in the group (PyTorch then updates it twice, one after the
        other; one fused call would write the same memory from two chunks at once). Returns the
        kernel's results concatenated (SGD's momentum buffers)."""
        params = lists[0]
        if len(set(params)) == len(params):
            return kernel(*lists, *scalars)
        results = []
        for i in range(len(params)):
            out = kernel(*[[lst[i]] if lst else [] for lst in lists], *scalars)
            if out:
                results.extend(out)
        return results


class _ParamByParam(Optimizer):
    """Base of the optimizers whose step runs PyTorch's single-tensor algorithm as in-place tensor
    ops, one parameter at a time (NAdam, RAdam, Adamax, Adadelta, Rprop, ASGD): a subclass defines
    ``_init(param, state, group)`` (a new parameter's state) and
    ``_update(param, state, group, lr)`` (one parameter's step)."""

    @_step_under_no_grad
    def step(self, closure=None):
        """Performs one optimization step; returns ``closure()``'s loss.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
        >>> opt = fngrad.optim.Rprop([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        Parameter containing:
        tensor([0.9000, 1.9000], requires_grad=True)
        """
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params = self._params_with_grad(group)
            lr = _scalar(group["lr"])
            for p in params:
                state = self.state[p]
                if len(state) == 0:
                    self._init(p, state, group)
                self._update(p, state, group, lr)
        return loss
