"""The hook form of weight normalization, as ``torch.nn.utils.weight_norm`` (deprecated there in
favour of ``parametrizations.weight_norm``): ``weight`` becomes ``weight_g * weight_v / ||weight_v||``,
recomputed by a forward pre-hook."""

from __future__ import annotations

import warnings

from ...autograd.grad_mode import no_grad
from ..parameter import Parameter, UninitializedTensorMixin

__all__ = ["remove_weight_norm", "weight_norm"]


def _norm_except_dim(v, dim):
    """The 2-norm of ``v`` over every dimension but ``dim`` (kept, the others of size 1); over the whole
    tensor when ``dim`` is -1, as PyTorch's ``norm_except_dim`` (so -1 never means the last dim here)."""
    if dim == -1:
        return v.norm()
    dims = [d for d in range(v.dim()) if d != dim]
    return v.norm(2, dims, keepdim=True) if dims else v.abs()


def _weight_norm(v, g, dim):
    return v * (g / _norm_except_dim(v, dim))


class _WeightNormHook:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Replaces the parameter ``module.<name>`` by ``<name>_g`` (its norm over every dimension but
    ``dim``; over all for ``dim=None``) and ``<name>_v`` (its direction), recombined before each
    forward. Deprecated (a FutureWarning, as PyTorch): use ``parametrizations.weight_norm``.
    Returns ``module``.

    >>> import warnings
    >>> from fngrad import nn
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = nn.utils.weight_norm(nn.Linear(3, 2))
    >>> list(m.state_dict())
    ['bias', 'weight_g', 'weight_v']
    """
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _WeightNormHook) and hook.name == name:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    dim = -1 if dim is None else dim
    fn = _WeightNormHook(name, dim)
    weight = getattr(module, name)
    if isinstance(weight, UninitializedTensorMixin):
        raise ValueError("The module passed to `WeightNorm` can't have uninitialized parameters. Make sure to run "
                         "the dummy forward before applying weight normalization")
    del module._parameters[name]
    with no_grad():
        module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, fn.compute_weight(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module, name="weight"):
    """Undoes ``weight_norm``: ``module.<name>`` is a parameter again, holding the current value.
    Returns ``module``.

    >>> import warnings
    >>> from fngrad import nn
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = nn.utils.weight_norm(nn.Linear(3, 2))
    >>> list(nn.utils.remove_weight_norm(m).state_dict())
    ['bias', 'weight']
    """
    return _remove_hook(module, _WeightNormHook, name, "weight_norm")


def _remove_hook(module, hook_cls, name, what):
    """Removes the ``hook_cls`` forward pre-hook on ``name`` (undoing what it did); ``what`` names the
    utility in the error when there is none."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, hook_cls) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"{what} of '{name}' not found in {module}")
