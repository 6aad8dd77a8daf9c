"""The CPU-feature guard: a module compiled for AVX2/FMA refuses to load, with an ImportError that
says how to build for the machine, on a CPU without them (instead of dying with SIGILL)."""

import subprocess
import sys

import pytest

from fngrad._cpu import check, missing_features

CPUINFO = """processor\t: 0
flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx

processor\t: 1
flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx
"""


def test_missing_features_reads_the_flags_lines():
    assert missing_features(("avx2", "fma"), CPUINFO) == ["avx2", "fma"]
    assert missing_features(("sse2", "avx"), CPUINFO) == []
    # "avx" is a flag; "avx2" is not a prefix match of it, and the other fields are not flags.
    assert missing_features(("processor", "avx2"), CPUINFO) == ["processor", "avx2"]


def test_check_raises_with_the_way_out():
    with pytest.raises(ImportError, match=r"lacks avx2, fma.*FNGRAD_AVX2=OFF"):
        check(("avx2", "fma"), CPUINFO)
    check(("sse2",), CPUINFO)
    check((), "")  # a module built for the baseline needs nothing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/cpuinfo, Linux only")
def test_import_fails_before_the_native_module_loads():
    # The build's record of its CPU features replaced by one this CPU cannot have.
    code = """
import sys, types
config = types.ModuleType("fngrad._build_config")
config.CPU_FEATURES = ("sse2", "no_such_cpu_feature")
sys.modules["fngrad._build_config"] = config
try:
    import fngrad
except ImportError as e:
    print("ImportError:", e)
print("loaded _C:", "fngrad._C" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stdout
    assert "ImportError: fngrad: this build of fngrad._C uses" in out
    assert "lacks no_such_cpu_feature." in out
    assert "loaded _C: False" in out
