"""Stochastic weight averaging and exponential moving averages of a model, as
``torch.optim.swa_utils``: :class:`AveragedModel`, :class:`SWALR` and :func:`update_bn`.

Example::

    >>> import fngrad
    >>> from fngrad.optim.swa_utils import AveragedModel
    >>> model = fngrad.nn.Linear(1, 1, bias=False)
    >>> swa = AveragedModel(model)
    >>> for value in (1.0, 2.0, 6.0):
    ...     with fngrad.no_grad():
    ...         _ = model.weight.fill_(value)
    ...     swa.update_parameters(model)
    >>> swa.module.weight
    Parameter containing:
    tensor([[3.]], requires_grad=True)
"""

from __future__ import annotations

import itertools
import math
from copy import deepcopy

from .. import _C
from .._creation import tensor
from ..autograd.grad_mode import no_grad
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _format_param, _warn_get_lr_called_within_step

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]


def _check_decay(decay) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place exponential moving average of lists of tensors, for
    ``AveragedModel(multi_avg_fn=...)``: ``ema <- decay * ema + (1 - decay) * current``.

    >>> from fngrad.optim.swa_utils import get_ema_multi_avg_fn
    >>> ema, cur = [fngrad.zeros(2)], [fngrad.ones(2)]
    >>> get_ema_multi_avg_fn(0.75)(ema, cur, 1)
    >>> ema[0]
    tensor([0.2500, 0.2500])
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param_list, current_param_list, _):
        # Per tensor, since the lists may mix dtypes (PyTorch groups them by dtype first).
        for p_ema, p_model in zip(ema_param_list, current_param_list):
            if p_ema.is_floating_point():
                p_ema.lerp_(p_model, 1 - decay)
            else:
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running mean of lists of tensors, for ``AveragedModel(multi_avg_fn=...)``:
    ``avg <- avg + (current - avg) / (num_averaged + 1)``.

    >>> from fngrad.optim.swa_utils import get_swa_multi_avg_fn
    >>> avg, cur = [fngrad.ones(2)], [fngrad.full((2,), 4.0)]
    >>> get_swa_multi_avg_fn()(avg, cur, 2)
    >>> avg[0]
    tensor([2., 2.])
    """

    @no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        for p_avg, p_model in zip(averaged_param_list, current_param_list):
            if p_avg.is_floating_point():
                p_avg.lerp_(p_model, float(1 / (num_averaged + 1)))
            else:
                p_avg.add_((p_model - p_avg) / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """An exponential moving average of one tensor, for ``AveragedModel(avg_fn=...)``: returns
    ``decay * ema + (1 - decay) * current``.

    >>> from fngrad.optim.swa_utils import get_ema_avg_fn
    >>> get_ema_avg_fn(0.5)(fngrad.zeros(2), fngrad.ones(2), 1)
    tensor([0.5000, 0.5000])
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """A running mean of one tensor, for ``AveragedModel(avg_fn=...)``: returns
    ``avg + (current - avg) / (num_averaged + 1)``.

    >>> from fngrad.optim.swa_utils import get_swa_avg_fn
    >>> get_swa_avg_fn()(fngrad.ones(2), fngrad.full((2,), 4.0), 2)
    tensor([2., 2.])
    """

    @no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are an average of ``model``'s over the calls of
    :meth:`update_parameters`: the running mean (SWA) by default, or ``avg_fn`` (one tensor at
    a time) or ``multi_avg_fn`` (lists of tensors, e.g. :func:`get_ema_multi_avg_fn`). With
    ``use_buffers=True`` the buffers (BatchNorm's running statistics) are averaged too;
    otherwise they are copied from ``model``. ``n_averaged`` counts the updates.

    Example::

        >>> import fngrad
        >>> from fngrad.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
        >>> model = fngrad.nn.Linear(1, 1, bias=False)
        >>> ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.5))
        >>> for value in (2.0, 4.0):
        ...     with fngrad.no_grad():
        ...         _ = model.weight.fill_(value)
        ...     ema.update_parameters(model)
        >>> ema.module.weight, ema.n_averaged
        (Parameter containing:
        tensor([[3.]], requires_grad=True), tensor(2))
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=_C.int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Runs the averaged copy of the model.

        >>> from fngrad.optim.swa_utils import AveragedModel
        >>> swa = AveragedModel(fngrad.nn.Identity())
        >>> swa(fngrad.ones(2))
        tensor([1., 1.])
        """
        return self.module(*args, **kwargs)

    def update_parameters(self, model) -> None:
        """Averages ``model``'s current parameters (and buffers, with ``use_buffers``) into this
        copy; the first call copies them.

        >>> from fngrad.optim.swa_utils import AveragedModel
        >>> model = fngrad.nn.Linear(1, 1, bias=False)
        >>> swa = AveragedModel(model)
        >>> swa.update_parameters(model); int(swa.n_averaged)
        1
        """
        if self.use_buffers:
            self_params = itertools.chain(self.module.parameters(), self.module.buffers())
            model_params = itertools.chain(model.parameters(), model.buffers())
        else:
            self_params, model_params = self.parameters(), model.parameters()
        # As PyTorch, the shorter of the two lists decides (zip).
        pairs = [(p_avg.detach(), p_model.detach()) for p_avg, p_model in zip(self_params, model_params)]
        with no_grad():
            if int(self.n_averaged) == 0:
                for p_avg, p_model in pairs:
                    p_avg.copy_(p_model)
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn([a for a, _ in pairs], [m for _, m in pairs], self.n_averaged)
            else:
                # PyTorch on the CPU uses the one-tensor running mean when no function is given.
                avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
                for p_avg, p_model in pairs:
                    p_avg.copy_(avg_fn(p_avg, p_model, self.n_averaged))
            if not self.use_buffers:
                for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                    b_swa.detach().copy_(b_model.detach())
            self.n_averaged += 1


@no_grad()
def update_bn(loader, model, device=None) -> None:
    """Recomputes the running statistics of ``model``'s BatchNorm layers with one pass over
    ``loader`` (batches, or tuples whose first item is the input): each layer's statistics are
    reset and become the cumulative mean over the batches. Use it after :class:`AveragedModel`,
    whose averaged weights do not match the statistics it copied.

    >>> from fngrad.optim.swa_utils import update_bn
    >>> model = fngrad.nn.BatchNorm1d(1)
    >>> update_bn([fngrad.tensor([[1.0], [3.0]]), fngrad.tensor([[5.0], [7.0]])], model)
    >>> model.running_mean
    tensor([4.])
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for input in loader:
        if isinstance(input, (list, tuple)):
            input = input[0]
        if device is not None:
            input = input.to(device)
        model(input)
    for bn_module in momenta:
        bn_module.momentum = momenta[bn_module]
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's learning rate to ``swa_lr`` over ``anneal_epochs`` epochs (cosine or
    linear) and keeps it there: the schedule of the averaging phase of SWA.

    Example::

        >>> import fngrad
        >>> from fngrad.optim.swa_utils import SWALR
        >>> opt = fngrad.optim.SGD([fngrad.ones(1, requires_grad=True)], lr=1.0)
        >>> sched = SWALR(opt, swa_lr=0.5, anneal_epochs=2, anneal_strategy="linear")
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [1.0, 0.75, 0.5, 0.5]
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._anneal_strategy = anneal_strategy
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t):
        """The fraction of the way to ``swa_lr`` at fraction ``t`` of the annealing.

        >>> from fngrad.optim.swa_utils import SWALR
        >>> opt = fngrad.optim.SGD([fngrad.nn.Parameter(fngrad.ones(1))], lr=1.0)
        >>> round(SWALR(opt, swa_lr=0.5).anneal_func(0.5), 6)
        0.5
        """
        if self._anneal_strategy == "cos":
            return (1 - math.cos(math.pi * t)) / 2
        return t

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha) for group in groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(groups, prev_lrs)]
