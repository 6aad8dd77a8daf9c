"""The CPU features the native module was compiled for, checked before it is loaded.

A module built with ``-mavx2 -mfma`` (the default of ``pip install .`` on a machine that has them)
dies with SIGILL on a CPU without them, at whichever instruction comes first. The build writes the
features it used into ``_build_config.py`` next to the module; ``fngrad/__init__.py`` calls
:func:`check` before ``from . import _C``, so such a CPU gets an ImportError that says how to build
for it instead. A development build run from the source tree has no ``_build_config.py`` and is
not checked.

Example::

    >>> from fngrad._cpu import missing_features
    >>> missing_features(("avx2", "fma"), "flags\\t\\t: fpu sse2 avx2 fma")
    []
    >>> missing_features(("avx2", "fma"), "flags\\t\\t: fpu sse2")
    ['avx2', 'fma']
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence


def missing_features(required: Sequence[str], cpuinfo: str) -> list:
    """The names in ``required`` that no ``flags`` line of ``cpuinfo`` (``/proc/cpuinfo``'s text) lists."""
    flags: set = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags.update(value.split())
    return [f for f in required if f not in flags]


def _read_cpuinfo() -> Optional[str]:
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return None


def check(required: Sequence[str], cpuinfo: Optional[str] = None) -> None:
    """Raise ImportError when this CPU lacks a feature the native module was compiled for.

    Where the CPU's features cannot be read (not Linux, no ``/proc``), nothing is checked.
    """
    if not required:
        return
    if cpuinfo is None:
        cpuinfo = _read_cpuinfo()
        if cpuinfo is None:
            return
    missing = missing_features(required, cpuinfo)
    if missing:
        raise ImportError(
            f"fngrad: this build of fngrad._C uses the CPU instructions {', '.join(required)}, and this "
            f"CPU lacks {', '.join(missing)}. Reinstall fngrad built for this machine "
            f"(pip install . on it), or build a portable wheel with "
            f"pip wheel . -C cmake.define.FNGRAD_AVX2=OFF")
