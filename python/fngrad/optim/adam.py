"""Adam and AdamW, as ``torch.optim.Adam`` and ``torch.optim.AdamW``."""

from __future__ import annotations

from .. import _C
from .._creation import zeros_like
from .._tensor import Tensor
from .optimizer import Optimizer, _scalar, _step_under_no_grad, _zero_state

__all__ = ["Adam", "AdamW"]


def _check_adam_args(lr, betas, eps, weight_decay) -> None:
    """The argument checks Adam, AdamW, NAdam, RAdam and Adamax share (PyTorch's wording)."""
    if not 0.0 <= _scalar(lr):
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _init_moments(param, state) -> None:
    """A new parameter's Adam-family state: step 0 and zero first and second moments."""
    _zero_state(param, state, "exp_avg", "exp_avg_sq")


class Adam(Optimizer):
    r"""Adam (Kingma and Ba), PyTorch's single-tensor algorithm:

    .. math::
        g \leftarrow \pm\nabla + \lambda\theta,\quad
        m \leftarrow \mathrm{lerp}(m, g, 1-\beta_1),\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\\
        \theta \leftarrow \theta - \frac{\gamma}{1-\beta_1^t}\,
        \frac{m}{\sqrt{\hat v}/\sqrt{1-\beta_2^t} + \epsilon}

    with :math:`\hat v = \max(\hat v, v)` under ``amsgrad`` and :math:`\hat v = v` otherwise.
    With ``decoupled_weight_decay=True`` (AdamW) the decay multiplies :math:`\theta` by
    :math:`1-\gamma\lambda` instead of being added to the gradient.

    Example::

        >>> import fngrad
        >>> w = fngrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = fngrad.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(_scalar(b) for b in betas)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    @_step_under_no_grad
    def step(self, closure=None):
        """Performs one optimization step (see :class:`Adam`); returns ``closure()``'s loss.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1., 2.]))
        >>> opt = fngrad.optim.Adam([w], lr=0.1)
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
            amsgrad = bool(group["amsgrad"])
            # Comprehensions, not a loop of appends: on a small model this gathering is most of the step.
            states = [self.state[p] for p in params]
            for p, state in zip(params, states):
                if len(state) == 0:
                    _init_moments(p, state)
                    if amsgrad:
                        state["max_exp_avg_sq"] = zeros_like(p)
            exp_avgs = [state["exp_avg"] for state in states]
            exp_avg_sqs = [state["exp_avg_sq"] for state in states]
            max_exp_avg_sqs = [state["max_exp_avg_sq"] for state in states] if amsgrad else []
            steps = [state["step"] for state in states]
            beta1, beta2 = group["betas"]
            self._run_fused(
                _C._adam_step,
                [params, [p.grad for p in params], exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps],
                _scalar(group["lr"]), _scalar(beta1), _scalar(beta2), float(group["weight_decay"]),
                float(group["eps"]), amsgrad, bool(group["maximize"]), bool(group["decoupled_weight_decay"]),
            )
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter): :class:`Adam` with
    ``decoupled_weight_decay=True`` and a default ``weight_decay`` of 0.01.

    Example::

        >>> import fngrad
        >>> w = fngrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = fngrad.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.8500, -1.8000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
