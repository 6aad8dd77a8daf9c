"""The layers of ``fngrad.nn``, one file per family as in ``torch.nn.modules``."""

from .activation import ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, Mish, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh
from .activation import __all__ as _activation_all
from .batchnorm import BatchNorm1d, BatchNorm2d
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .dropout import Dropout
from .flatten import Flatten, Unflatten
from .conv import Conv1d, Conv2d
from .linear import Bilinear, Identity, Linear
from .loss import __all__ as _loss_all
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .module import Module
from .normalization import GroupNorm, LayerNorm
from .pooling import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from .pooling import __all__ as _pooling_all
from .rnn import GRUCell, LSTMCell, RNNCell
from .sparse import Embedding

__all__ = [
    "Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Identity", "Linear", "Bilinear", "Flatten", "Unflatten", "Embedding", "Dropout", "LayerNorm",
    "GroupNorm", "BatchNorm1d", "BatchNorm2d", "Conv1d", "Conv2d",
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "RNNCell", "LSTMCell", "GRUCell",
    "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Mish", "Softplus", "Tanh", "Sigmoid", "Softmax", "LogSoftmax",
    "Hardtanh",
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "KLDivLoss",
]

# The families' later additions (the names above are the first of each), imported by their __all__.
from .activation import *  # noqa: E402,F401,F403
from .loss import *  # noqa: E402,F401,F403
from .pooling import *  # noqa: E402,F401,F403

__all__ += [n for n in _activation_all + _loss_all + _pooling_all if n not in __all__]
