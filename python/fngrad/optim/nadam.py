"""NAdam, RAdam and Adamax, as ``torch.optim.NAdam``, ``torch.optim.RAdam`` and
``torch.optim.Adamax``: Adam's moment updates with other step rules.

They run PyTorch's single-tensor algorithm as in-place tensor ops, one parameter at a time
(not a fused native kernel like :class:`~fngrad.optim.Adam`; see ``bench/optim_step.py``).
"""

from __future__ import annotations

from .. import _C
from .._creation import tensor
from .adam import _check_adam_args, _init_moments
from .optimizer import _ema_square_, _next_step, _ParamByParam, _scalar, _step_grad, _zero_state

__all__ = ["NAdam", "RAdam", "Adamax"]


class _AdamFamily(_ParamByParam):
    """The constructor and state NAdam, RAdam and Adamax share (Adam's arguments and moments)."""

    def __init__(self, params, lr, betas, eps, weight_decay, **options):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, **options}
        super().__init__(params, defaults)

    @staticmethod
    def _init(param, state, group):
        _init_moments(param, state)


class NAdam(_AdamFamily):
    r"""NAdam (Dozat: Adam with Nesterov momentum), PyTorch's single-tensor algorithm:

    .. math::
        \mu_t = \beta_1\bigl(1 - \tfrac12\, 0.96^{t\psi}\bigr),\quad
        \Pi_t = \textstyle\prod_{i\le t}\mu_i,\quad
        m \leftarrow \mathrm{lerp}(m, g, 1-\beta_1),\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\\
        \theta \leftarrow \theta - \gamma\Bigl(\frac{(1-\mu_t)\, g}{1-\Pi_t}
        + \frac{\mu_{t+1}\, m}{1-\Pi_t\mu_{t+1}}\Bigr) \Big/ \Bigl(\sqrt{v/(1-\beta_2^t)} + \epsilon\Bigr)

    with :math:`\psi` = ``momentum_decay``; weight decay as in :class:`~fngrad.optim.Adam`
    (``decoupled_weight_decay=True``: AdamW-style). State: ``step``, ``mu_product``,
    ``exp_avg``, ``exp_avg_sq``.

    Example::

        >>> import fngrad
        >>> w = fngrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = fngrad.optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.8944, -1.8944], requires_grad=True)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(params, lr, betas, eps, weight_decay, momentum_decay=momentum_decay,
                         decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                         capturable=capturable, differentiable=differentiable)

    @staticmethod
    def _init(param, state, group):
        _init_moments(param, state)
        state["mu_product"] = tensor(1.0)

    def __setstate__(self, state):
        super().__setstate__(state)
        # Older checkpoints hold mu_product as a number.
        for param_state in self.state.values():
            if isinstance(param_state, dict) and not hasattr(param_state.get("mu_product", 0), "item"):
                param_state["mu_product"] = tensor(float(param_state["mu_product"]))

    @staticmethod
    def _update(p, state, group, lr):
        beta1, beta2 = (_scalar(b) for b in group["betas"])
        step = _next_step(state)
        grad = _step_grad(p, group["maximize"], group["weight_decay"], lr, group["decoupled_weight_decay"])
        psi = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        mu_product = state["mu_product"]
        mu_product.mul_(mu)  # a float32 tensor, rounded as PyTorch rounds it
        state["exp_avg"].lerp_(grad, 1 - beta1)
        denom = _ema_square_(state["exp_avg_sq"], grad, beta2).div(1 - beta2**step).sqrt().add_(group["eps"])
        product = mu_product.item()
        p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - product))
        p.addcdiv_(state["exp_avg"], denom, value=(-lr * mu_next) / (1.0 - product * mu_next))


class RAdam(_AdamFamily):
    r"""RAdam (Liu et al.: Adam with a rectified adaptive learning rate), PyTorch's
    single-tensor algorithm. With :math:`\rho_\infty = 2/(1-\beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`:

    .. math::
        \hat m = m / (1-\beta_1^t),\quad
        \theta \leftarrow \theta - \gamma\,\hat m\, r_t\,\frac{\sqrt{1-\beta_2^t}}{\sqrt{v}+\epsilon}
        \text{ if } \rho_t > 5, \text{ else } \theta \leftarrow \theta - \gamma\,\hat m

    where :math:`r_t = \sqrt{(\rho_t-4)(\rho_t-2)\rho_\infty/((\rho_\infty-4)(\rho_\infty-2)\rho_t)}`;
    moments and weight decay as in :class:`~fngrad.optim.Adam`. State: ``step``, ``exp_avg``,
    ``exp_avg_sq``.

    Example::

        >>> import fngrad
        >>> w = fngrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = fngrad.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        super().__init__(params, lr, betas, eps, weight_decay, maximize=maximize, foreach=foreach,
                         capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                         differentiable=differentiable)

    @staticmethod
    def _update(p, state, group, lr):
        beta1, beta2 = (_scalar(b) for b in group["betas"])
        step = _next_step(state)
        grad = _step_grad(p, group["maximize"], group["weight_decay"], lr, group["decoupled_weight_decay"])
        exp_avg = state["exp_avg"].lerp_(grad, 1 - beta1)
        exp_avg_sq = _ema_square_(state["exp_avg_sq"], grad, beta2)
        bias_correction2 = 1 - beta2**step
        corrected = exp_avg / (1 - beta1**step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = (bias_correction2**0.5) / exp_avg_sq.sqrt().add_(group["eps"])
            p.add_(corrected * lr * adaptive * rect, alpha=-1.0)
        else:
            p.add_(corrected * lr, alpha=-1.0)


class Adamax(_AdamFamily):
    r"""Adamax (Kingma and Ba: Adam with the infinity norm), PyTorch's single-tensor algorithm:

    .. math::
        g \leftarrow \pm\nabla + \lambda\theta,\quad
        m \leftarrow \mathrm{lerp}(m, g, 1-\beta_1),\quad
        u \leftarrow \max(\beta_2 u, |g| + \epsilon),\quad
        \theta \leftarrow \theta - \frac{\gamma}{1-\beta_1^t}\,\frac{m}{u}

    State: ``step``, ``exp_avg``, ``exp_inf``.

    Example::

        >>> import fngrad
        >>> w = fngrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = fngrad.optim.Adamax([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        super().__init__(params, lr, betas, eps, weight_decay, foreach=foreach, maximize=maximize,
                         differentiable=differentiable, capturable=capturable)

    @staticmethod
    def _init(param, state, group):
        _zero_state(param, state, "exp_avg", "exp_inf")

    @staticmethod
    def _update(p, state, group, lr):
        beta1, beta2 = (_scalar(b) for b in group["betas"])
        step = _next_step(state)
        grad = _step_grad(p, group["maximize"], group["weight_decay"])
        state["exp_avg"].lerp_(grad, 1 - beta1)
        exp_inf = state["exp_inf"]
        _C.maximum(exp_inf.mul_(beta2), grad.abs().add_(group["eps"]), out=exp_inf)
        p.addcdiv_(state["exp_avg"], exp_inf, value=-(lr / (1 - beta1**step)))
