"""``nn.Module``: the base class of every layer and model, as in ``torch.nn.Module``.

A Module keeps its parameters, buffers and child modules in three ordered dicts, filled by
attribute assignment; traversal, ``state_dict``, dtype conversion and hooks walk those dicts.
"""

from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from ... import _C
from ..._device import _to_device
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...autograd.graph import RemovableHandle
from ..parameter import Buffer, Parameter

__all__ = ["Module"]


def _typename(obj):
    """PyTorch's ``torch.typename``: what its error messages call a value's type."""
    if isinstance(obj, _C.TensorBase):
        names = {_C.float32: "FloatTensor", _C.float64: "DoubleTensor", _C.int64: "LongTensor", _C.bool: "BoolTensor"}
        return "fngrad." + names.get(obj.dtype, "Tensor")
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it missed and the keys it did not expect."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(s_, num_spaces):
    lines = s_.split("\n")
    if len(lines) == 1:
        return s_
    first = lines.pop(0)
    rest = [(num_spaces * " ") + line if line.strip() else "" for line in lines]
    return first + "\n" + "\n".join(rest)


def _check_device(device):
    """fngrad runs on the CPU: 'cpu' (or a device whose type is 'cpu') is accepted; another device
    raises as PyTorch does where it is not built in (AssertionError for CUDA)."""
    if device is not None:
        _to_device(device, "Module.to")


def _parse_to(*args, **kwargs):
    """(device, dtype) from Module.to's forms: to(dtype), to(device), to(device, dtype), to(tensor)."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments: unexpected {sorted(kwargs)}")
    for a in args:
        if isinstance(a, _C.dtype):
            dtype = a
        elif isinstance(a, _C.TensorBase):
            dtype = a.dtype
        elif isinstance(a, bool):  # non_blocking, positionally
            continue
        else:
            device = a
    _check_device(device)
    return device, dtype


class _BackwardHookFunction(Function):
    """Identity on the tensors a module takes or returns; its backward hands their gradients to the
    module's full backward hooks (``_BackwardHook``), as PyTorch's BackwardHookFunction."""

    @staticmethod
    def forward(ctx, hook_state, side, *tensors):
        ctx.hook_state = hook_state
        ctx.side = side
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.hook_state
        grads = state.on_output_grads(grads) if ctx.side == "output" else state.on_input_grads(grads)
        return (None, None) + tuple(grads)


class _BackwardHook:
    """One call's full backward hooks: the output side runs the pre-hooks on grad_output and keeps it;
    the input side runs the hooks with (grad_input, grad_output). grad_input has one entry per
    positional argument: None for a non-tensor, zeros for a tensor that does not require grad (as
    PyTorch)."""

    def __init__(self, module):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_positions = []
        self.inputs_hooked = False

    def _wrap(self, values, side):
        positions = [i for i, v in enumerate(values) if isinstance(v, _C.TensorBase)]
        if side == "input":
            self.input_positions = positions
        tensors = [values[i] for i in positions]
        if not is_grad_enabled() or not any(t.requires_grad for t in tensors):
            return values, False
        wrapped = _BackwardHookFunction.apply(self, side, *tensors)
        out = list(values)
        for i, t in zip(positions, wrapped):
            out[i] = t
        return tuple(out), True

    def setup_input_hook(self, args):
        self.n_inputs = len(args)
        args, self.inputs_hooked = self._wrap(args, "input")
        return args

    def setup_output_hook(self, result):
        single = isinstance(result, _C.TensorBase)
        values = (result,) if single else result
        if not isinstance(values, tuple):
            return result
        wrapped, _ = self._wrap(values, "output")
        return wrapped[0] if single else wrapped

    def on_output_grads(self, grads):
        for hook in list(self.module._backward_pre_hooks.values()):
            result = hook(self.module, grads)
            if result is not None:
                result = result if isinstance(result, tuple) else (result,)
                if len(result) != len(grads):
                    raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got "
                                       f"{len(result)}, but expected {len(grads)}")
                grads = result
        self.grad_outputs = grads
        if not self.inputs_hooked and self.module._backward_hooks:
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients.", stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in list(self.module._backward_hooks.values()):
                result = hook(self.module, grad_inputs, self.grad_outputs)
                if result is not None and not all(r is None for r in result):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
        return grads

    def on_input_grads(self, grads):
        packed = [None] * self.n_inputs
        for i, g in zip(self.input_positions, grads):
            packed[i] = g
        packed = tuple(packed)
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, packed, self.grad_outputs)
            if result is not None:
                result = result if isinstance(result, tuple) else (result,)
                if len(result) != len(packed):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(result)}, "
                                       f"but expected {len(packed)}")
                packed = result
        return tuple(packed[i] for i in self.input_positions)


def _forward_unimplemented(self, *input):
    """forward(*input)

    The computation of the module, which every subclass defines. Call the module (``module(x)``)
    rather than ``forward``: the call also runs the module's hooks.

    >>> from fngrad import nn
    >>> class Double(nn.Module):
    ...     def forward(self, x):
    ...         return 2 * x
    >>> Double()(fngrad.tensor([1.0, 2.0]))
    tensor([2., 4.])
    """
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module:
    """Base class for all neural-network modules; subclasses define ``forward``.

    Parameters, buffers and submodules assigned as attributes are registered, so that
    ``parameters()``, ``state_dict()``, ``to()`` and ``train()`` reach them.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(3, 2)
        ...     def forward(self, x):
        ...         return self.fc(x).relu()
        >>> net = Net()
        >>> [name for name, _ in net.named_parameters()]
        ['fc.weight', 'fc.bias']
        >>> net(fngrad.ones(4, 3)).shape
        fngrad.Size([4, 2])
    """

    _version = 1
    training: bool

    forward = _forward_unimplemented

    def __init__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} were "
                            "given")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = {}
        d["_forward_hooks"] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_hooks_always_called"] = {}
        d["_backward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()

    # ---- registration ----

    def register_buffer(self, name, tensor, persistent=True):
        """Adds a buffer: state that is not a parameter (saved in ``state_dict`` unless ``persistent=False``).

        >>> from fngrad import nn
        >>> m = nn.Module()
        >>> m.register_buffer('running_mean', fngrad.zeros(2))
        >>> m.running_mean, list(m.state_dict())
        (tensor([0., 0.]), ['running_mean'])
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, _C.TensorBase):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        """Adds a parameter (a ``Parameter`` or None).

        >>> from fngrad import nn
        >>> m = nn.Module()
        >>> m.register_parameter('w', nn.Parameter(fngrad.ones(2)))
        >>> [name for name, _ in m.named_parameters()]
        ['w']
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
        elif not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        elif param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created "
                             f"explicitly. To express '{name}' as a function of another Tensor, compute the value in "
                             "the forward() method.")
        else:
            self._parameters[name] = param

    def add_module(self, name, module):
        """Adds a child module, reachable as the attribute ``name``.

        >>> from fngrad import nn
        >>> m = nn.Module()
        >>> m.add_module('fc', nn.Linear(2, 1))
        >>> m.fc
        Linear(in_features=2, out_features=1, bias=True)
        """
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias for ``add_module``.

        >>> from fngrad import nn
        >>> m = nn.Module()
        >>> m.register_module('act', nn.ReLU())
        >>> m
        Module(
          (act): ReLU()
        )
        """
        self.add_module(name, module)

    def get_submodule(self, target):
        """The submodule at the dotted path ``target`` ('' is self).

        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> net.get_submodule('1')
        ReLU()
        """
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def get_parameter(self, target):
        """The parameter at the dotted path ``target``.

        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> net.get_parameter('0.bias').shape
        fngrad.Size([3])
        """
        module_path, _, param_name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, param_name):
            raise AttributeError(mod._get_name() + " has no attribute `" + param_name + "`")
        param = getattr(mod, param_name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + param_name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        """The buffer at the dotted path ``target``.

        >>> from fngrad import nn
        >>> bn = nn.Sequential(nn.BatchNorm1d(2))
        >>> bn.get_buffer('0.running_var')
        tensor([1., 1.])
        """
        module_path, _, buffer_name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, buffer_name):
            raise AttributeError(mod._get_name() + " has no attribute `" + buffer_name + "`")
        if buffer_name not in mod._buffers:
            raise AttributeError("`" + buffer_name + "` is not a buffer")
        return getattr(mod, buffer_name)

    # ---- attribute access ----

    def __getattr__(self, name):
        d = self.__dict__
        if "_parameters" in d:  # after Module.__init__: the three dicts exist
            if name in d["_parameters"]:
                return d["_parameters"][name]
            if name in d["_buffers"]:
                return d["_buffers"][name]
            if name in d["_modules"]:
                return d["_modules"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        def remove_from(*dicts_or_sets):
            for d in dicts_or_sets:
                if name in d:
                    if isinstance(d, dict):
                        del d[name]
                    else:
                        d.discard(name)

        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            remove_from(self.__dict__, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
            return
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            remove_from(self.__dict__, self._parameters, self._buffers, self._non_persistent_buffers_set)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            modules[name] = value
            return
        buffers = self.__dict__.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, _C.TensorBase):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            if isinstance(value, Buffer):
                persistent = value.persistent
            else:
                persistent = name not in self._non_persistent_buffers_set
            self.register_buffer(name, value, persistent)
            return
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = (dir(self.__class__) + list(self.__dict__) + list(self._parameters) + list(self._modules)
                + list(self._buffers))
        return sorted(key for key in keys if not key[0].isdigit())

    def __setstate__(self, state):
        self.__dict__.update(state)

    # ---- traversal ----

    def _named_members(self, get_members_fn, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for k, v in get_members_fn(module):
                if v is None or v in memo:
                    continue
                if remove_duplicate:
                    memo.add(v)
                yield module_prefix + ("." if module_prefix else "") + k, v

    def parameters(self, recurse=True):
        """An iterator over the parameters (of submodules too when ``recurse``), each once.

        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> [p.shape for p in net.parameters()]
        [fngrad.Size([3, 2]), fngrad.Size([3])]
        """
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """An iterator over ``(dotted name, parameter)``; a shared parameter comes once unless
        ``remove_duplicate=False``.

        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> [(name, p.shape) for name, p in net.named_parameters()]
        [('0.weight', fngrad.Size([3, 2])), ('0.bias', fngrad.Size([3]))]
        """
        return self._named_members(lambda m: m._parameters.items(), prefix=prefix, recurse=recurse,
                                   remove_duplicate=remove_duplicate)

    def buffers(self, recurse=True):
        """An iterator over the buffers.

        >>> from fngrad import nn
        >>> [b.shape for b in nn.BatchNorm1d(2).buffers()]
        [fngrad.Size([2]), fngrad.Size([2]), fngrad.Size([])]
        """
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """An iterator over ``(dotted name, buffer)``.

        >>> from fngrad import nn
        >>> [name for name, _ in nn.BatchNorm1d(2).named_buffers()]
        ['running_mean', 'running_var', 'num_batches_tracked']
        """
        return self._named_members(lambda m: m._buffers.items(), prefix=prefix, recurse=recurse,
                                   remove_duplicate=remove_duplicate)

    def children(self):
        """An iterator over the direct child modules.

        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> list(net.children())
        [Linear(in_features=2, out_features=3, bias=True), ReLU()]
        """
        for _, module in self.named_children():
            yield module

    def named_children(self):
        """An iterator over ``(name, child)`` for the direct children, each once.

        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> [name for name, _ in net.named_children()]
        ['0', '1']
        """
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def modules(self):
        """An iterator over this module and all its descendants, each once.

        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> [type(m).__name__ for m in net.modules()]
        ['Sequential', 'Linear', 'ReLU']
        """
        for _, module in self.named_modules():
            yield module

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """An iterator over ``(dotted name, module)`` for self ('' by default) and all descendants.

        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> [name for name, _ in net.named_modules()]
        ['', '0', '1']
        """
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            submodule_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, submodule_prefix, remove_duplicate)

    # ---- modes, gradients, conversions ----

    def train(self, mode=True):
        """Sets training mode (``eval()`` is ``train(False)``) on self and all descendants; returns self.

        >>> from fngrad import nn
        >>> drop = nn.Dropout().train(False)
        >>> drop.training
        False
        """
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Sets evaluation mode (dropout off); returns self.

        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Dropout()).eval()
        >>> net.training, net[0].training
        (False, False)
        """
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Sets ``requires_grad`` of every parameter; returns self.

        >>> from fngrad import nn
        >>> fc = nn.Linear(2, 1).requires_grad_(False)
        >>> fc.weight.requires_grad
        False
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Resets the gradients of all parameters: to None (default) or to zeros.

        >>> from fngrad import nn
        >>> fc = nn.Linear(2, 1)
        >>> fc(fngrad.ones(1, 2)).sum().backward()
        >>> fc.zero_grad()
        >>> fc.weight.grad is None
        True
        """
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad.zero_()

    def apply(self, fn):
        """Calls ``fn(module)`` on every descendant, then on self; returns self.

        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
        >>> _ = net.apply(lambda m: isinstance(m, nn.Linear) and nn.init.zeros_(m.bias))
        >>> net[1].bias
        Parameter containing:
        tensor([0.], requires_grad=True)
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self, fn, recurse=True):
        """Replaces every parameter's and buffer's data by ``fn(tensor)`` (a parameter stays the same
        object: its ``.data`` is replaced, and its ``.grad``'s, as PyTorch does)."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with no_grad():
                param_applied = fn(param)
            param.data = param_applied
            if param.grad is not None:
                with no_grad():
                    grad_applied = fn(param.grad)
                param.grad.data = grad_applied
        for key, buf in self._buffers.items():
            if buf is not None:
                self._buffers[key] = fn(buf)
        return self

    def to(self, *args, **kwargs):
        """Converts floating-point parameters and buffers to ``dtype`` in place; the device may only be
        the CPU. Returns self.

        >>> from fngrad import nn
        >>> nn.Linear(2, 1).to(fngrad.float64).weight.dtype
        fngrad.float64
        """
        _, dtype = _parse_to(*args, **kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype}")
        if dtype is None:
            return self
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def double(self):
        """Floating-point parameters and buffers to float64; returns self.

        >>> from fngrad import nn
        >>> nn.Linear(2, 1).double().weight.dtype
        fngrad.float64
        """
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def float(self):
        """Floating-point parameters and buffers to float32; returns self.

        >>> from fngrad import nn
        >>> nn.Linear(2, 1).double().float().weight.dtype
        fngrad.float32
        """
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def type(self, dst_type):
        """All parameters and buffers to ``dst_type``; returns self.

        >>> from fngrad import nn
        >>> nn.Linear(2, 1).type(fngrad.float64).bias.dtype
        fngrad.float64
        """
        return self._apply(lambda t: t.to(dst_type))

    def cpu(self):
        """A no-op: fngrad runs on the CPU. Returns self.

        >>> from fngrad import nn
        >>> fc = nn.Linear(2, 1)
        >>> fc.cpu() is fc
        True
        """
        return self

    # ---- state dict ----

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An ordered dict of every parameter and persistent buffer by dotted name (detached unless
        ``keep_vars``).

        >>> from fngrad import nn
        >>> list(nn.Linear(2, 1).state_dict())
        ['weight', 'bias']
        """
        if args:  # PyTorch's deprecated positional form: (destination, prefix, keep_vars)
            destination = args[0] if len(args) > 0 else destination
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = dict(version=self._version)
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        persistent_buffers = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set}
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(), persistent_buffers.items())
                       if v is not None}
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            input_param = state_dict[key]
            if not isinstance(input_param, _C.TensorBase):
                error_msgs.append(f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
                                  f"object from checkpoint but received {type(input_param)}")
                continue
            if len(param.shape) == 0 and len(input_param.shape) == 1 and input_param.shape[0] == 1:
                input_param = input_param[0]
            if input_param.shape != param.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {input_param.shape} from "
                                  f"checkpoint, the shape in current model is {param.shape}.")
                continue
            try:
                with no_grad():
                    if assign:
                        if isinstance(param, Parameter) and not isinstance(input_param, Parameter):
                            input_param = Parameter(input_param, requires_grad=param.requires_grad)
                        elif isinstance(param, Parameter):
                            input_param.requires_grad_(param.requires_grad)
                        setattr(self, name, input_param)
                    else:
                        param.copy_(input_param)
            except Exception as ex:
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                                  f"{param.size()} and whose dimensions in the checkpoint are {input_param.size()}, "
                                  f"an exception occurred : {ex.args}.")
        if strict:
            for key in state_dict:
                if key.startswith(prefix):
                    input_name = key[len(prefix):].split(".", 1)
                    if len(input_name) > 1:
                        if input_name[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif input_name[0] not in local_state:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copies parameters and buffers from ``state_dict`` (by dotted name) into this module.

        Returns ``_IncompatibleKeys(missing_keys, unexpected_keys)``; with ``strict`` (default) any
        missing or unexpected key raises RuntimeError naming it. A shape mismatch always raises.

        Example::

            >>> from fngrad import nn
            >>> a, b = nn.Linear(2, 1), nn.Linear(2, 1)
            >>> b.load_state_dict(a.state_dict())
            <All keys matched successfully>
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys, unexpected_keys, error_msgs = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)

        def load(module, local_state_dict, prefix=""):
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state_dict, prefix, local_metadata, True, missing_keys,
                                         unexpected_keys, error_msgs)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    load(child, {k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)},
                         child_prefix)

        load(self, state_dict)
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if error_msgs:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                self.__class__.__name__, "\n\t".join(error_msgs)))
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    # ---- hooks and calling ----

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Registers ``hook(module, args)`` (or ``hook(module, args, kwargs)`` with ``with_kwargs``) to run
        before ``forward``; a non-None result replaces the arguments. Returns a removable handle.

        >>> from fngrad import nn
        >>> fc = nn.Linear(2, 1)
        >>> h = fc.register_forward_pre_hook(lambda m, args: print('input', args[0].shape))
        >>> fc(fngrad.ones(3, 2)).shape
        input fngrad.Size([3, 2])
        fngrad.Size([3, 1])
        >>> h.remove()
        """
        handle = RemovableHandle(self._forward_pre_hooks, extra_dicts=(self._forward_pre_hooks_with_kwargs,))
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Registers ``hook(module, args, output)`` (or ``hook(module, args, kwargs, output)``) to run after
        ``forward``; a non-None result replaces the output. With ``always_call`` it also runs (with
        output None) when ``forward`` raises, before the exception propagates. Returns a removable handle.

        >>> from fngrad import nn
        >>> fc = nn.Linear(2, 1)
        >>> h = fc.register_forward_hook(lambda m, args, out: print('output', out.shape))
        >>> fc(fngrad.ones(3, 2)).shape
        output fngrad.Size([3, 1])
        fngrad.Size([3, 1])
        >>> h.remove()
        """
        handle = RemovableHandle(self._forward_hooks,
                                 extra_dicts=(self._forward_hooks_with_kwargs, self._forward_hooks_always_called))
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Registers ``hook(module, grad_output)`` to run when the gradients of this module's outputs
        are computed; a non-None result replaces grad_output. Returns a removable handle.

        >>> from fngrad import nn
        >>> fc = nn.Linear(2, 1)
        >>> h = fc.register_full_backward_pre_hook(lambda m, grad_out: print(grad_out[0]))
        >>> fc(fngrad.ones(2, 2)).sum().backward()
        tensor([[1.],
                [1.]])
        """
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """Registers ``hook(module, grad_input, grad_output)`` to run when the gradients of this module's
        tensor inputs are computed; a non-None result replaces grad_input. Returns a removable handle.

        >>> from fngrad import nn
        >>> fc = nn.Linear(2, 1)
        >>> h = fc.register_full_backward_hook(lambda m, grad_in, grad_out: print(grad_out[0]))
        >>> fc(fngrad.ones(1, 2, requires_grad=True)).sum().backward()
        tensor([[1.]])
        """
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def _call_impl(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {result}.")
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward_hook = None
        if self._backward_hooks or self._backward_pre_hooks:
            backward_hook = _BackwardHook(self)
            args = backward_hook.setup_input_hook(args)
        try:
            result = self.forward(*args, **kwargs)
        except Exception:
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
                    try:
                        if hook_id in self._forward_hooks_with_kwargs:
                            hook(self, args, kwargs, None)
                        else:
                            hook(self, args, None)
                    except Exception as e:
                        warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                                      f"silenced as another error was raised in forward: {str(e)}", stacklevel=2)
            raise
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in self._forward_hooks_with_kwargs:
                hook_result = hook(self, args, kwargs, result)
            else:
                hook_result = hook(self, args, result)
            if hook_result is not None:
                result = hook_result
        if backward_hook is not None:
            result = backward_hook.setup_output_hook(result)
        return result

    __call__ = _call_impl

    # ---- printing ----

    def _get_name(self):
        return self.__class__.__name__

    def extra_repr(self):
        """The text inside this module's parentheses in ``repr``; layers override it.

        >>> from fngrad import nn
        >>> class Scale(nn.Module):
        ...     def __init__(self, k):
        ...         super().__init__()
        ...         self.k = k
        ...     def extra_repr(self):
        ...         return f"k={self.k}"
        >>> Scale(3)
        Scale(k=3)
        """
        return ""

    def __repr__(self):
        extra_lines = []
        extra_repr = self.extra_repr()
        if extra_repr:
            extra_lines = extra_repr.split("\n")
        child_lines = []
        for key, module in self._modules.items():
            child_lines.append("(" + key + "): " + _addindent(repr(module), 2))
        lines = extra_lines + child_lines
        main_str = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main_str += extra_lines[0]
            else:
                main_str += "\n  " + "\n  ".join(lines) + "\n"
        return main_str + ")"
