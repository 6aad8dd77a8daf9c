"""The layers of ``fngrad.nn``, one file per family as in ``torch.nn.modules``; each family's
``__all__`` lists its public names."""

from . import (
               activation,
               attention,
               batchnorm,
               container,
               conv,
               dropout,
               flatten,
               instancenorm,
               lazy,
               linear,
               loss,
               module,
               normalization,
               padding,
               pixelshuffle,
               pooling,
               rnn,
               sparse,
               transformer,
)
from .activation import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .lazy import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403

__all__ = [name for family in (module, container, linear, flatten, sparse, dropout, normalization, batchnorm,
                               instancenorm, conv, lazy, pixelshuffle,
                               pooling, padding, rnn, activation, attention, transformer, loss)
           for name in family.__all__]
