"""RMSprop, as ``torch.optim.RMSprop``."""

from __future__ import annotations

from .. import _C
from .._creation import tensor, zeros_like
from .optimizer import Optimizer, _scalar, _step_under_no_grad

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's single-tensor algorithm:

    .. math::
        g \leftarrow \pm\nabla + \lambda\theta,\quad
        s \leftarrow \alpha s + (1-\alpha) g^2,\quad
        \bar g \leftarrow \mathrm{lerp}(\bar g, g, 1-\alpha) \text{ (centered)},\\
        d = \sqrt{s - \bar g^2} + \epsilon \text{ (centered) or } \sqrt{s} + \epsilon,\quad
        b \leftarrow \mu b + g/d,\ \theta \leftarrow \theta - \gamma b
        \text{ (momentum > 0) or } \theta \leftarrow \theta - \gamma g/d

    Example::

        >>> import fngrad
        >>> w = fngrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = fngrad.optim.RMSprop([w], lr=0.01, alpha=0.75)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9800, -1.9800], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= _scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    @_step_under_no_grad
    def step(self, closure=None):
        """Performs one optimization step (see :class:`RMSprop`); returns ``closure()``'s loss.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
        >>> opt = fngrad.optim.RMSprop([w], lr=0.01)
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
            momentum, centered = float(group["momentum"]), bool(group["centered"])
            square_avgs, grad_avgs, buffers, steps = [], [], [], []
            for p in params:
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = tensor(0.0)
                    state["square_avg"] = zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if centered:
                        state["grad_avg"] = zeros_like(p)
                square_avgs.append(state["square_avg"])
                steps.append(state["step"])
                if momentum > 0:
                    buffers.append(state["momentum_buffer"])
                if centered:
                    grad_avgs.append(state["grad_avg"])
            self._run_fused(
                _C._rmsprop_step,
                [params, [p.grad for p in params], square_avgs, grad_avgs, buffers, steps],
                _scalar(group["lr"]), float(group["alpha"]), float(group["eps"]), float(group["weight_decay"]),
                momentum, centered, bool(group["maximize"]),
            )
        return loss
