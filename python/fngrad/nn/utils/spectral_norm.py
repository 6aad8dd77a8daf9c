"""The hook form of spectral normalization, as ``torch.nn.utils.spectral_norm``: ``weight`` becomes
``weight_orig / sigma``, sigma estimated by power iteration on the buffers ``weight_u`` and
``weight_v`` before each forward in training mode."""

from __future__ import annotations

from ..._creation import empty as _empty
from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..modules.conv import ConvTranspose1d, ConvTranspose2d
from ..parameter import Parameter, UninitializedTensorMixin
from .weight_norm import _remove_hook

__all__ = ["remove_spectral_norm", "spectral_norm"]


class _SpectralNormHook:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_orig``, ``_u`` and ``_v``."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.dim()) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            # In place: u and v are the module's buffers. v first, then u (the hook's order; the
            # parametrization does u first).
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(weight_mat.t().mv(u), dim=0, eps=self.eps))
                    u.copy_(F.normalize(weight_mat.mv(v), dim=0, eps=self.eps))
            u = u.clone()
            v = v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Replaces the parameter ``module.<name>`` by ``<name>_orig`` and recomputes ``module.<name>`` as
    ``<name>_orig / sigma`` before each forward; sigma, its largest singular value (seen as a matrix
    with ``dim`` as rows: 1 for transposed convolutions, else 0), is estimated by
    ``n_power_iterations`` power-iteration steps per forward in training mode on the buffers
    ``<name>_u`` and ``<name>_v``. Returns ``module``.

    >>> from fngrad import nn
    >>> m = nn.utils.spectral_norm(nn.Linear(4, 3))
    >>> list(m.state_dict())
    ['bias', 'weight_orig', 'weight_u', 'weight_v']
    """
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _SpectralNormHook) and hook.name == name:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
    fn = _SpectralNormHook(name, n_power_iterations, dim, eps)
    weight = module._parameters[name]
    if isinstance(weight, UninitializedTensorMixin):
        raise ValueError("The module passed to `SpectralNorm` can't have uninitialized parameters. Make sure to "
                         "run the dummy forward before applying spectral normalization")
    with no_grad():
        h, w = fn.reshape_weight_to_matrix(weight).shape
        u = F.normalize(_empty(h, dtype=weight.dtype).normal_(0, 1), dim=0, eps=fn.eps)
        v = F.normalize(_empty(w, dtype=weight.dtype).normal_(0, 1), dim=0, eps=fn.eps)
    delattr(module, fn.name)
    module.register_parameter(fn.name + "_orig", weight)
    setattr(module, fn.name, weight.detach())
    module.register_buffer(fn.name + "_u", u)
    module.register_buffer(fn.name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undoes ``spectral_norm``: ``module.<name>`` is a parameter again, holding the normalized value.
    Returns ``module``.

    >>> from fngrad import nn
    >>> m = nn.utils.spectral_norm(nn.Linear(4, 3))
    >>> list(nn.utils.remove_spectral_norm(m).state_dict())
    ['bias', 'weight']
    """
    return _remove_hook(module, _SpectralNormHook, name, "spectral_norm")
