"""The global switches reproducibility code sets: deterministic algorithms and float32 matmul precision.

fngrad's kernels are deterministic already (each splits its work over the thread pool in a fixed
way, so a result depends on the inputs and the thread count alone), so these switches record what
was asked and answer it back, as PyTorch's do; none changes a result.
"""

from __future__ import annotations

import warnings

__all__ = [
    "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    "set_deterministic_debug_mode",
    "get_deterministic_debug_mode",
    "set_float32_matmul_precision",
    "get_float32_matmul_precision",
]

_state = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}
_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def use_deterministic_algorithms(mode, *, warn_only=False) -> None:
    """Asks for deterministic algorithms (fngrad's all are).

    >>> fngrad.use_deterministic_algorithms(True); fngrad.are_deterministic_algorithms_enabled()
    True
    >>> fngrad.use_deterministic_algorithms(False)
    """
    if not isinstance(mode, bool):
        raise TypeError(
            f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not {type(mode).__name__}"
        )
    _state["deterministic"], _state["warn_only"] = mode, bool(warn_only) and mode


def are_deterministic_algorithms_enabled() -> bool:
    """Whether :func:`use_deterministic_algorithms` was turned on.

    >>> fngrad.are_deterministic_algorithms_enabled()
    False
    """
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether it was turned on with ``warn_only=True``.

    >>> fngrad.is_deterministic_algorithms_warn_only_enabled()
    False
    """
    return _state["warn_only"]


def set_deterministic_debug_mode(debug_mode) -> None:
    """The same switch by level: ``"default"``/0 off, ``"warn"``/1 warn-only, ``"error"``/2 on.

    >>> fngrad.set_deterministic_debug_mode("warn"); fngrad.get_deterministic_debug_mode()
    1
    >>> fngrad.set_deterministic_debug_mode(0)
    """
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES[debug_mode]
    elif isinstance(debug_mode, int) and not isinstance(debug_mode, bool):
        if debug_mode not in (0, 1, 2):
            raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    else:
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0, 1 or 2, as set by either switch.

    >>> fngrad.get_deterministic_debug_mode()
    0
    """
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


def set_float32_matmul_precision(precision: str) -> None:
    """Records ``"highest"``, ``"high"`` or ``"medium"``; fngrad's float32 matmuls are always full
    precision (no TF32 or bfloat16 passes on a CPU), so the setting changes no result.

    >>> fngrad.set_float32_matmul_precision("high"); fngrad.get_float32_matmul_precision()
    'high'
    >>> fngrad.set_float32_matmul_precision("highest")
    """
    if precision not in ("highest", "high", "medium"):
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
            "setFloat32MatmulPrecision call has no effect.",
            stacklevel=2,
        )
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    """What :func:`set_float32_matmul_precision` last set (``"highest"`` at start).

    >>> fngrad.get_float32_matmul_precision()
    'highest'
    """
    return _state["matmul_precision"]
