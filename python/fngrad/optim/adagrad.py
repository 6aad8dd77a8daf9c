"""Adagrad, as ``torch.optim.Adagrad``."""

from __future__ import annotations

from .. import _C
from .._creation import full_like, tensor
from .optimizer import Optimizer, _scalar, _step_under_no_grad

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, PyTorch's single-tensor algorithm (dense gradients):

    .. math::
        g \leftarrow \pm\nabla + \lambda\theta,\quad
        \tilde\gamma = \gamma / (1 + (t-1)\eta),\quad
        s \leftarrow s + g^2,\quad
        \theta \leftarrow \theta - \tilde\gamma\, g / (\sqrt{s} + \epsilon)

    Example::

        >>> import fngrad
        >>> w = fngrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = fngrad.optim.Adagrad([w], lr=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.5000, -1.5000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= _scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        # As PyTorch, the state of the constructor's parameters exists before the first step.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        state = self.state[p]
        state["step"] = tensor(0.0)
        state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])

    @_step_under_no_grad
    def step(self, closure=None):
        """Performs one optimization step (see :class:`Adagrad`); returns ``closure()``'s loss.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
        >>> opt = fngrad.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        Parameter containing:
        tensor([0.9000, 1.9000], requires_grad=True)
        """
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params = self._params_with_grad(group)
            if not params:
                continue
            for p in params:
                if len(self.state[p]) == 0:
                    self._init_state(p)
            self._run_fused(
                _C._adagrad_step,
                [params, [p.grad for p in params], [self.state[p]["sum"] for p in params],
                 [self.state[p]["step"] for p in params]],
                _scalar(group["lr"]), float(group["lr_decay"]), float(group["weight_decay"]), float(group["eps"]),
                bool(group["maximize"]),
            )
        return loss
