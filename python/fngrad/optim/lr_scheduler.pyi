"""Type stub of fngrad.optim.lr_scheduler, written by `python -m fngrad._stubgen` from the live module: do not edit."""

import builtins
from typing import Any, Iterator




class LRScheduler:
    def __init__(self, optimizer: Any, last_epoch: Any = ...) -> None: ...
    def get_last_lr(self) -> Any: ...
    def get_lr(self) -> Any: ...
    def load_state_dict(self, state_dict: Any) -> None: ...
    def state_dict(self) -> Any: ...
    def step(self, epoch: Any = ...) -> None: ...
    base_lrs: Any
    last_epoch: Any
    optimizer: Any


class StepLR(LRScheduler):
    def __init__(self, optimizer: Any, step_size: Any, gamma: Any = ..., last_epoch: Any = ...) -> None: ...
    def get_lr(self) -> Any: ...
    gamma: Any
    step_size: Any


class MultiStepLR(LRScheduler):
    def __init__(self, optimizer: Any, milestones: Any, gamma: Any = ..., last_epoch: Any = ...) -> None: ...
    def get_lr(self) -> Any: ...
    gamma: Any
    milestones: Any


class ExponentialLR(LRScheduler):
    def __init__(self, optimizer: Any, gamma: Any, last_epoch: Any = ...) -> None: ...
    def get_lr(self) -> Any: ...
    gamma: Any


class CosineAnnealingLR(LRScheduler):
    def __init__(self, optimizer: Any, T_max: Any, eta_min: Any = ..., last_epoch: Any = ...) -> None: ...
    def get_lr(self) -> Any: ...
    T_max: Any
    eta_min: Any


class LambdaLR(LRScheduler):
    def __init__(self, optimizer: Any, lr_lambda: Any, last_epoch: Any = ...) -> None: ...
    def get_lr(self) -> Any: ...
    def load_state_dict(self, state_dict: Any) -> Any: ...
    def state_dict(self) -> Any: ...
    lr_lambdas: Any
    optimizer: Any


class LinearLR(LRScheduler):
    def __init__(self, optimizer: Any, start_factor: Any = ..., end_factor: Any = ..., total_iters: Any = ..., last_epoch: Any = ...) -> None: ...
    def get_lr(self) -> Any: ...
    end_factor: Any
    start_factor: Any
    total_iters: Any


class SequentialLR(LRScheduler):
    def __init__(self, optimizer: Any, schedulers: Any, milestones: Any, last_epoch: Any = ...) -> None: ...
    def load_state_dict(self, state_dict: Any) -> Any: ...
    def recursive_undo(self, sched: Any = ...) -> None: ...
    def state_dict(self) -> Any: ...
    def step(self) -> None: ...  # type: ignore[override]
    last_epoch: Any
    optimizer: Any


class OneCycleLR(LRScheduler):
    def __init__(self, optimizer: Any, max_lr: Any, total_steps: Any = ..., epochs: Any = ..., steps_per_epoch: Any = ..., pct_start: Any = ..., anneal_strategy: Any = ..., cycle_momentum: Any = ..., base_momentum: Any = ..., max_momentum: Any = ..., div_factor: Any = ..., final_div_factor: Any = ..., three_phase: Any = ..., last_epoch: Any = ...) -> None: ...
    def get_lr(self) -> Any: ...
    cycle_momentum: Any
    optimizer: Any
    total_steps: Any
    use_beta1: Any


class ReduceLROnPlateau(LRScheduler):
    def __init__(self, optimizer: Any, mode: Any = ..., factor: Any = ..., patience: Any = ..., threshold: Any = ..., threshold_mode: Any = ..., cooldown: Any = ..., min_lr: Any = ..., eps: Any = ...) -> None: ...
    @property
    def in_cooldown(self) -> builtins.bool: ...
    def load_state_dict(self, state_dict: Any) -> None: ...
    def step(self, metrics: Any, epoch: Any = ...) -> None: ...  # type: ignore[override]
    cooldown: Any
    default_min_lr: Any
    eps: Any
    factor: Any
    last_epoch: Any
    min_lrs: Any
    optimizer: Any
    patience: Any
