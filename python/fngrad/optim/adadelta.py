"""Adadelta, Rprop and ASGD, as ``torch.optim.Adadelta``, ``torch.optim.Rprop`` and
``torch.optim.ASGD``.

They run PyTorch's single-tensor algorithm as in-place tensor ops, one parameter at a time
(not a fused native kernel; see ``bench/optim_step.py``).
"""

from __future__ import annotations

from .._creation import full_like, tensor
from .optimizer import _ema_square_, _next_step, _ParamByParam, _scalar, _step_grad, _zero_state

__all__ = ["Adadelta", "Rprop", "ASGD"]


class Adadelta(_ParamByParam):
    r"""Adadelta (Zeiler), PyTorch's single-tensor algorithm:

    .. math::
        g \leftarrow \pm\nabla + \lambda\theta,\quad
        v \leftarrow \rho v + (1-\rho) g^2,\quad
        \Delta = \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}}\, g,\quad
        u \leftarrow \rho u + (1-\rho)\Delta^2,\quad
        \theta \leftarrow \theta - \gamma\Delta

    State: ``step``, ``square_avg`` (:math:`v`), ``acc_delta`` (:math:`u`).

    Example::

        >>> import fngrad
        >>> w = fngrad.tensor([1.0, -2.0], requires_grad=True, dtype=fngrad.float64)
        >>> opt = fngrad.optim.Adadelta([w], lr=1.0, rho=0.5, eps=0.25)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.3333, -1.3037], dtype=fngrad.float64, requires_grad=True)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        if not 0.0 <= _scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    @staticmethod
    def _init(param, state, group):
        _zero_state(param, state, "square_avg", "acc_delta")

    @staticmethod
    def _update(p, state, group, lr):
        _next_step(state)
        rho, eps = group["rho"], group["eps"]
        grad = _step_grad(p, group["maximize"], group["weight_decay"])
        std = _ema_square_(state["square_avg"], grad, rho).add(eps).sqrt_()
        acc_delta = state["acc_delta"]
        delta = acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
        _ema_square_(acc_delta, delta, rho)
        p.add_(delta, alpha=-lr)


class Rprop(_ParamByParam):
    r"""Resilient backpropagation (Riedmiller and Braun), PyTorch's single-tensor algorithm.
    Each element keeps its own step size :math:`\eta` (starting at ``lr``): where the gradient
    kept its sign :math:`\eta \leftarrow \min(\eta\,\eta_+, \Gamma_{max})`, where it flipped
    :math:`\eta \leftarrow \max(\eta\,\eta_-, \Gamma_{min})` and the gradient counts as 0; then
    :math:`\theta \leftarrow \theta - \eta\,\mathrm{sign}(g)`.

    ``etas`` is :math:`(\eta_-, \eta_+)`, ``step_sizes`` is :math:`(\Gamma_{min}, \Gamma_{max})`.
    State: ``step``, ``prev`` (the last gradient), ``step_size``.

    Example::

        >>> import fngrad
        >>> w = fngrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = fngrad.optim.Rprop([w], lr=0.5)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w
        tensor([-0.1000, -0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        if not 0.0 <= _scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    @staticmethod
    def _init(param, state, group):
        _zero_state(param, state, "prev")
        state["step_size"] = full_like(param.grad, _scalar(group["lr"]))

    @staticmethod
    def _update(p, state, group, lr):
        _next_step(state)
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        grad = -p.grad if group["maximize"] else p.grad
        prev = state["prev"]
        factor = grad.mul(prev).sign()
        factor[factor.gt(0)] = etaplus
        factor[factor.lt(0)] = etaminus
        factor[factor.eq(0)] = 1
        step_size = state["step_size"].mul_(factor).clamp_(step_size_min, step_size_max)
        grad = grad.clone()
        grad[factor.eq(etaminus)] = 0  # a flipped sign: no step, and no flip test next time
        p.addcmul_(grad.sign(), step_size, value=-1)
        prev.copy_(grad)


class ASGD(_ParamByParam):
    r"""Averaged stochastic gradient descent (Polyak and Juditsky), PyTorch's single-tensor
    algorithm:

    .. math::
        g \leftarrow \pm\nabla + \lambda_{wd}\theta,\quad
        \theta \leftarrow (1 - \lambda\eta_t)\,\theta - \eta_t g,\quad
        \bar\theta \leftarrow \bar\theta + \mu_t(\theta - \bar\theta),\\
        \eta_{t+1} = \gamma / (1 + \lambda\gamma t)^{\alpha},\quad
        \mu_{t+1} = 1 / \max(1, t - t_0)

    State: ``step``, ``eta``, ``mu`` (float32 scalars) and ``ax`` (the average :math:`\bar\theta`).

    Example::

        >>> import fngrad
        >>> w = fngrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = fngrad.optim.ASGD([w], lr=0.25, lambd=0.0)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w, opt.state[w]["ax"]
        (tensor([ 0.5000, -1.0000], requires_grad=True), tensor([ 0.5000, -1.0000]))
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        if not 0.0 <= _scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        # Older checkpoints hold eta and mu as numbers.
        for param_state in self.state.values():
            for key in ("eta", "mu"):
                if isinstance(param_state, dict) and key in param_state and not hasattr(param_state[key], "item"):
                    param_state[key] = tensor(float(param_state[key]))

    @staticmethod
    def _init(param, state, group):
        _zero_state(param, state, "ax")
        state["eta"] = tensor(_scalar(group["lr"]))
        state["mu"] = tensor(1.0)

    @staticmethod
    def _update(p, state, group, lr):
        step = _next_step(state)
        lambd = group["lambd"]
        grad = _step_grad(p, group["maximize"], group["weight_decay"])
        eta, mu, ax = state["eta"], state["mu"], state["ax"]
        eta_value = eta.item()
        p.mul_(1 - lambd * eta_value)
        p.add_(grad, alpha=-eta_value)
        if mu.item() != 1:
            ax.add_(p.sub(ax).mul_(mu))
        else:
            ax.copy_(p)
        eta.fill_(lr / ((1 + lambd * lr * step) ** group["alpha"]))
        mu.fill_(1 / max(1, step - group["t0"]))
