"""Stochastic gradient descent, as ``torch.optim.SGD``."""

from __future__ import annotations

from .. import _C
from .optimizer import Optimizer, _scalar, _step_under_no_grad

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's algorithm:

    .. math::
        g \leftarrow \pm\nabla + \lambda\theta,\quad
        b \leftarrow \mu b + (1-\tau) g \ (b = g \text{ at the first step}),\quad
        g \leftarrow g + \mu b \text{ (nesterov) or } b,\quad
        \theta \leftarrow \theta - \gamma g

    Example::

        >>> import fngrad
        >>> w = fngrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = fngrad.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if _scalar(lr) < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    @_step_under_no_grad
    def step(self, closure=None):
        """Performs one optimization step (see :class:`SGD`); returns ``closure()``'s loss.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
        >>> opt = fngrad.optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        Parameter containing:
        tensor([0.8000, 1.6000], requires_grad=True)
        """
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params = self._params_with_grad(group)
            if not params:
                continue
            momentum = group["momentum"]
            buffers = [self.state[p].get("momentum_buffer") for p in params] if momentum != 0 else []
            buffers = self._run_fused(
                _C._sgd_step, [params, [p.grad for p in params], buffers],
                _scalar(group["lr"]), float(momentum), float(group["dampening"]),
                _scalar(group["weight_decay"]), bool(group["nesterov"]), bool(group["maximize"]),
            )
            if momentum != 0:
                for p, buf in zip(params, buffers):
                    self.state[p]["momentum_buffer"] = buf
        return loss
