"""``fngrad.cuda.amp``: PyTorch's older spelling of mixed precision, ``torch.cuda.amp.autocast`` and
``torch.cuda.amp.GradScaler``. Without CUDA both warn and disable themselves, as PyTorch's do on a
CPU-only machine, so training loops written for a GPU run unchanged (in full precision).

Example::

    >>> import warnings, fngrad
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fngrad.cuda.amp.GradScaler().is_enabled()
    False
"""

from __future__ import annotations

import warnings

from .. import amp as _amp

__all__ = ["autocast", "GradScaler"]


class autocast(_amp.autocast):
    """``torch.cuda.amp.autocast(...)``: deprecated for ``autocast("cuda", ...)``; disabled without CUDA.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     with fngrad.cuda.amp.autocast():
    ...         fngrad.is_autocast_enabled()
    False
    """

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        warnings.warn(
            "`torch.cuda.amp.autocast(args...)` is deprecated. Please use `torch.amp.autocast('cuda', args...)` "
            "instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    """``torch.cuda.amp.GradScaler(...)``: deprecated for ``GradScaler("cuda", ...)``; disabled without CUDA.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fngrad.cuda.amp.GradScaler(enabled=False).get_scale()
    1.0
    """

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                 enabled=True):
        warnings.warn(
            "`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use `torch.amp.GradScaler('cuda', args...)` "
            "instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)
