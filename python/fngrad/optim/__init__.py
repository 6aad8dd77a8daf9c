"""fngrad.optim: optimizers and learning-rate schedulers with ``torch.optim``'s API.

Each optimizer's step is one native call per parameter group (``csrc/ops/optim.cpp``) that
follows PyTorch's single-tensor algorithm, in place.

Example::

    >>> import fngrad
    >>> w = fngrad.tensor([3.0], requires_grad=True)
    >>> opt = fngrad.optim.SGD([w], lr=0.25)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> w
    tensor([0.7500], requires_grad=True)
"""

from . import lr_scheduler, swa_utils
from .adadelta import ASGD, Adadelta, Rprop
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lbfgs import LBFGS
from .nadam import Adamax, NAdam, RAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "LBFGS", "NAdam", "RAdam", "Adamax", "Adadelta",
    "Rprop", "ASGD", "lr_scheduler", "swa_utils",
]
