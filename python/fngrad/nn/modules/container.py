"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict (as ``torch.nn``'s)."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from itertools import islice

from ... import _C
from ..parameter import Parameter
from .module import Module, _addindent, _typename

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _abs_index(idx, size):
    idx = operator.index(idx)
    if not (-size <= idx < size):
        raise IndexError(f"index {idx} is out of range")
    return idx + size if idx < 0 else idx


class Sequential(Module):
    """Runs its modules in order, each on the previous one's output.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        >>> net(fngrad.ones(2, 3)).shape
        fngrad.Size([2, 1])
        >>> net[0]
        Linear(in_features=3, out_features=4, bias=True)
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def _get_item_by_idx(self, iterator, idx):
        size = len(self)
        idx = _abs_index(idx, size)
        return next(islice(iterator, idx, None))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        return self._get_item_by_idx(self._modules.values(), idx)

    def __setitem__(self, idx, module):
        key = self._get_item_by_idx(self._modules.keys(), idx)
        setattr(self, key, module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for key in list(self._modules.keys())[idx]:
                delattr(self, key)
        else:
            delattr(self, self._get_item_by_idx(self._modules.keys(), idx))
        # Renumber, to keep the keys 0..n-1.
        str_indices = [str(i) for i in range(len(self._modules))]
        self._modules = OrderedDict(zip(str_indices, self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        ret = Sequential()
        for layer in self:
            ret.append(layer)
        for layer in other:
            ret.append(layer)
        return ret

    def __iadd__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        for layer in other:
            self.append(layer)
        return self

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def pop(self, key):
        """Removes the module at ``key`` (an index) and returns it.

        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        >>> net.pop(1), len(net)
        (ReLU(), 1)
        """
        v = self[key]
        del self[key]
        return v

    def forward(self, input):
        """Runs the modules in order, each on the output of the one before.

        >>> from fngrad import nn
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        >>> _ = nn.init.ones_(net[0].weight), nn.init.zeros_(net[0].bias)
        >>> net(fngrad.tensor([[1.0, -2.0]]))
        tensor([[0., 0.]], grad_fn=<ReluBackward0>)
        """
        for module in self:
            input = module(input)
        return input

    def append(self, module):
        """Adds ``module`` at the end; returns self.

        >>> from fngrad import nn
        >>> nn.Sequential(nn.Linear(2, 2)).append(nn.ReLU())
        Sequential(
          (0): Linear(in_features=2, out_features=2, bias=True)
          (1): ReLU()
        )
        """
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        """Inserts ``module`` before position ``index``; returns self.

        >>> from fngrad import nn
        >>> nn.Sequential(nn.ReLU()).insert(0, nn.Linear(2, 2))
        Sequential(
          (0): Linear(in_features=2, out_features=2, bias=True)
          (1): ReLU()
        )
        """
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not (-n <= index <= n):
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        for i in range(n, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module
        return self

    def extend(self, sequential):
        """Appends every module of ``sequential``; returns self.

        >>> from fngrad import nn
        >>> nn.Sequential(nn.Linear(2, 2)).extend(nn.Sequential(nn.ReLU(), nn.Tanh()))
        Sequential(
          (0): Linear(in_features=2, out_features=2, bias=True)
          (1): ReLU()
          (2): Tanh()
        )
        """
        for layer in sequential:
            self.append(layer)
        return self


class ModuleList(Module):
    """A list of modules whose parameters the owning module sees.

    Example::

        >>> from fngrad import nn
        >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        >>> len(list(layers.parameters()))
        6
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self += modules

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(list(self._modules.values())[idx])
        return self._modules[str(_abs_index(idx, len(self)))]

    def __setitem__(self, idx, module):
        setattr(self, str(_abs_index(idx, len(self))), module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for k in range(len(self._modules))[idx]:
                delattr(self, str(k))
        else:
            delattr(self, str(_abs_index(idx, len(self))))
        str_indices = [str(i) for i in range(len(self._modules))]
        self._modules = OrderedDict(zip(str_indices, self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        combined = ModuleList()
        for i, module in enumerate(list(self) + list(other)):
            combined.add_module(str(i), module)
        return combined

    def __repr__(self):
        # Runs of equal reprs are shown once, as "(start-end): n x repr" (PyTorch's layout).
        reprs = [repr(item) for item in self]
        if not reprs:
            return self._get_name() + "()"
        runs = [[0, 0, reprs[0]]]
        for i, r in enumerate(reprs[1:], 1):
            if r == runs[-1][2]:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = []
        for start, end, r in runs:
            local = f"({start}): {r}" if start == end else f"({start}-{end}): {end - start + 1} x {r}"
            lines.append(_addindent(local, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def insert(self, index, module):
        """Inserts ``module`` before position ``index``.

        >>> from fngrad import nn
        >>> layers = nn.ModuleList([nn.ReLU()])
        >>> layers.insert(0, nn.Linear(2, 2))
        >>> layers
        ModuleList(
          (0): Linear(in_features=2, out_features=2, bias=True)
          (1): ReLU()
        )
        """
        for i in range(len(self._modules), index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module

    def append(self, module):
        """Adds ``module`` at the end; returns self.

        >>> from fngrad import nn
        >>> nn.ModuleList().append(nn.ReLU())
        ModuleList(
          (0): ReLU()
        )
        """
        self.add_module(str(len(self)), module)
        return self

    def pop(self, key):
        """Removes the module at ``key`` (an index) and returns it.

        >>> from fngrad import nn
        >>> layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
        >>> layers.pop(0), len(layers)
        (ReLU(), 1)
        """
        v = self[key]
        del self[key]
        return v

    def extend(self, modules):
        """Appends every module of the iterable ``modules``; returns self.

        >>> from fngrad import nn
        >>> nn.ModuleList([nn.ReLU()]).extend([nn.Tanh(), nn.Sigmoid()])
        ModuleList(
          (0): ReLU()
          (1): Tanh()
          (2): Sigmoid()
        )
        """
        if not isinstance(modules, Iterable):
            raise TypeError("ModuleList.extend should be called with an iterable, but got " + type(modules).__name__)
        offset = len(self)
        for i, module in enumerate(modules):
            self.add_module(str(offset + i), module)
        return self


class ModuleDict(Module):
    """An ordered dict of modules whose parameters the owning module sees.

    Example::

        >>> from fngrad import nn
        >>> heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Identity()})
        >>> list(heads.keys())
        ['a', 'b']
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        """Removes every module.

        >>> from fngrad import nn
        >>> d = nn.ModuleDict({'a': nn.ReLU()})
        >>> d.clear()
        >>> len(d)
        0
        """
        self._modules.clear()

    def pop(self, key):
        """Removes the module at ``key`` and returns it.

        >>> from fngrad import nn
        >>> d = nn.ModuleDict({'a': nn.ReLU(), 'b': nn.Tanh()})
        >>> d.pop('a'), list(d.keys())
        (ReLU(), ['b'])
        """
        v = self[key]
        del self[key]
        return v

    def keys(self):
        """The keys, in insertion order.

        >>> from fngrad import nn
        >>> list(nn.ModuleDict({'b': nn.ReLU(), 'a': nn.Tanh()}).keys())
        ['b', 'a']
        """
        return self._modules.keys()

    def items(self):
        """The ``(key, module)`` pairs, in insertion order.

        >>> from fngrad import nn
        >>> list(nn.ModuleDict({'act': nn.ReLU()}).items())
        [('act', ReLU())]
        """
        return self._modules.items()

    def values(self):
        """The modules, in insertion order.

        >>> from fngrad import nn
        >>> list(nn.ModuleDict({'act': nn.ReLU()}).values())
        [ReLU()]
        """
        return self._modules.values()

    def update(self, modules):
        """Adds the modules of a mapping or of an iterable of (key, module) pairs.

        >>> from fngrad import nn
        >>> d = nn.ModuleDict({'act': nn.ReLU()})
        >>> d.update([('act', nn.Tanh()), ('fc', nn.Linear(2, 1))])
        >>> d
        ModuleDict(
          (act): Tanh()
          (fc): Linear(in_features=2, out_features=1, bias=True)
        )
        """
        if not isinstance(modules, Iterable):
            raise TypeError("ModuleDict.update should be called with an iterable of key/value pairs, but got "
                            + type(modules).__name__)
        if isinstance(modules, (OrderedDict, ModuleDict, Mapping)):
            for key, module in modules.items():
                self[key] = module
            return
        for j, m in enumerate(modules):
            if not isinstance(m, Iterable):
                raise TypeError("ModuleDict update sequence element #" + str(j) + " should be Iterable; is"
                                + type(m).__name__)
            if not len(m) == 2:
                raise ValueError("ModuleDict update sequence element #" + str(j) + " has length " + str(len(m))
                                 + "; 2 is required")
            self[m[0]] = m[1]


def _param_line(k, p, dtype_text):
    if isinstance(p, _C.TensorBase):
        size_str = "x".join(str(size) for size in p.size())
        kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
        return f"  ({k}): {kind} containing: [{dtype_text(p)} of size {size_str}]"
    return f"  ({k}): Object of type: {type(p).__name__}"


class ParameterList(Module):
    """A list of parameters (tensors appended are made Parameters).

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> ps = nn.ParameterList([fngrad.ones(2), fngrad.zeros(3)])
        >>> [type(p).__name__ for p in ps]
        ['Parameter', 'Parameter']
    """

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            out = self.__class__()
            for i in range(*idx.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, str(_abs_index(idx, len(self))))

    def __setitem__(self, idx, param):
        idx = _abs_index(idx, len(self))
        if isinstance(param, _C.TensorBase) and not isinstance(param, Parameter):
            param = Parameter(param)
        setattr(self, str(idx), param)

    def __len__(self):
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value):
        """Adds ``value`` at the end (a tensor becomes a Parameter); returns self.

        >>> from fngrad import nn
        >>> ps = nn.ParameterList().append(fngrad.ones(2))
        >>> type(ps[0]).__name__, len(ps)
        ('Parameter', 1)
        """
        new_idx = len(self)
        self._size += 1
        self[new_idx] = value
        return self

    def extend(self, values):
        """Appends every value of the iterable ``values``; returns self.

        >>> from fngrad import nn
        >>> len(nn.ParameterList().extend([fngrad.ones(2), fngrad.zeros(3)]))
        2
        """
        if not isinstance(values, Iterable) or isinstance(values, _C.TensorBase):
            raise TypeError("ParameterList.extend should be called with an iterable, but got " + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return "\n".join(_param_line(k, p, lambda t: t.dtype) for k, p in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of parameters (tensors stored are made Parameters).

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> pd = nn.ParameterDict({"w": fngrad.ones(2)})
        >>> type(pd["w"]).__name__
        'Parameter'
    """

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    def _key_to_attr(self, key):
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is not a string (type is "
                            f"'{type(key).__name__}'). Open an issue on github if you need non-string keys.")
        return key

    def __getitem__(self, key):
        return getattr(self, self._key_to_attr(key))

    def __setitem__(self, key, value):
        self._keys[key] = None
        attr = self._key_to_attr(key)
        if isinstance(value, _C.TensorBase) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, attr, value)

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, self._key_to_attr(key))

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key):
        return key in self._keys

    def copy(self):
        """A new ParameterDict holding the same parameters.

        >>> from fngrad import nn
        >>> d = nn.ParameterDict({'w': nn.Parameter(fngrad.ones(1))})
        >>> d.copy()['w'] is d['w']
        True
        """
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key, default=None):
        """The parameter at ``key``, first set to ``default`` when absent.

        >>> from fngrad import nn
        >>> d = nn.ParameterDict()
        >>> d.setdefault('w', nn.Parameter(fngrad.ones(1)))
        Parameter containing:
        tensor([1.], requires_grad=True)
        >>> list(d.keys())
        ['w']
        """
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self):
        """Removes every parameter.

        >>> from fngrad import nn
        >>> d = nn.ParameterDict({'w': nn.Parameter(fngrad.ones(1))})
        >>> d.clear()
        >>> len(d)
        0
        """
        for k in self._keys.copy():
            del self[k]

    def pop(self, key):
        """Removes the parameter at ``key`` and returns it.

        >>> from fngrad import nn
        >>> d = nn.ParameterDict({'w': nn.Parameter(fngrad.ones(1))})
        >>> d.pop('w')
        Parameter containing:
        tensor([1.], requires_grad=True)
        >>> len(d)
        0
        """
        v = self[key]
        del self[key]
        return v

    def popitem(self):
        """Removes and returns the last inserted ``(key, parameter)`` pair.

        >>> from fngrad import nn
        >>> d = nn.ParameterDict({'a': nn.Parameter(fngrad.zeros(1)), 'b': nn.Parameter(fngrad.ones(1))})
        >>> d.popitem()
        ('b', Parameter containing:
        tensor([1.], requires_grad=True))
        """
        k, _ = self._keys.popitem()
        self._keys[k] = None
        val = self[k]
        del self[k]
        return k, val

    def get(self, key, default=None):
        """The parameter at ``key``, or ``default`` when absent.

        >>> from fngrad import nn
        >>> nn.ParameterDict().get('w', 'absent')
        'absent'
        """
        return self[key] if key in self else default

    def fromkeys(self, keys, default=None):
        """A new ParameterDict with each key of ``keys`` set to ``default``.

        >>> from fngrad import nn
        >>> list(nn.ParameterDict().fromkeys(['a', 'b'], nn.Parameter(fngrad.ones(1))).keys())
        ['a', 'b']
        """
        return ParameterDict((k, default) for k in keys)

    def keys(self):
        """The keys, in insertion order.

        >>> from fngrad import nn
        >>> list(nn.ParameterDict({'w': nn.Parameter(fngrad.ones(1)), 'b': nn.Parameter(fngrad.zeros(1))}).keys())
        ['b', 'w']
        """
        return self._keys.keys()

    def items(self):
        """The ``(key, parameter)`` pairs, in insertion order.

        >>> from fngrad import nn
        >>> list(nn.ParameterDict({'w': nn.Parameter(fngrad.ones(1))}).items())
        [('w', Parameter containing:
        tensor([1.], requires_grad=True))]
        """
        return ((k, self[k]) for k in self._keys)

    def values(self):
        """The parameters, in insertion order.

        >>> from fngrad import nn
        >>> list(nn.ParameterDict({'w': nn.Parameter(fngrad.ones(1))}).values())
        [Parameter containing:
        tensor([1.], requires_grad=True)]
        """
        return (self[k] for k in self._keys)

    def update(self, parameters):
        """Adds the values of a mapping or of an iterable of (key, value) pairs.

        >>> from fngrad import nn
        >>> d = nn.ParameterDict()
        >>> d.update({'w': fngrad.ones(2)})
        >>> type(d['w']).__name__, d['w'].requires_grad
        ('Parameter', True)
        """
        if not isinstance(parameters, Iterable):
            raise TypeError("ParametersDict.update should be called with an iterable of key/value pairs, but got "
                            + type(parameters).__name__)
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            for key, parameter in parameters.items():
                self[key] = parameter
        elif isinstance(parameters, Mapping):
            for key, parameter in sorted(parameters.items()):
                self[key] = parameter
        else:
            for j, p in enumerate(parameters):
                if not isinstance(p, Iterable):
                    raise TypeError("ParameterDict update sequence element #" + str(j) + " should be Iterable; is"
                                    + type(p).__name__)
                if not len(p) == 2:
                    raise ValueError("ParameterDict update sequence element #" + str(j) + " has length "
                                     + str(len(p)) + "; 2 is required")
                self[p[0]] = p[1]

    def extra_repr(self):

        return "\n".join(_param_line(k, p, _typename) for k, p in self.items())

    def __call__(self, input):
        raise RuntimeError("ParameterDict should not be called.")
