"""FNGRAD_ALLOC_CACHE=0 turns the large-block cache off (Note [Large block cache], storage.cpp):
buffers of 64 KiB and up then come from malloc, where AddressSanitizer can see them
(stress/sanitize.sh). Each case runs in a child process, because the switch is read once."""

import os
import subprocess
import sys

import pytest

CHILD = """
import fngrad

def data_ptr(t):
    return t.numpy().__array_interface__["data"][0]

a = fngrad.empty(1 << 18)  # 1 MiB of float32
first = data_ptr(a)
del a
cached_after_free = fngrad._C._cached_bytes()
b = fngrad.empty(1 << 18)
print(first, data_ptr(b), cached_after_free)
"""


def run_child(switch):
    env = dict(os.environ)
    env.pop("FNGRAD_ALLOC_CACHE", None)
    env.pop("FNGRAD_CACHE_MB", None)
    if switch is not None:
        env["FNGRAD_ALLOC_CACHE"] = switch
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    first, second, cached = (int(v) for v in out.stdout.split())
    return first, second, cached


@pytest.mark.parametrize("switch", [None, "1"])
def test_cache_on_reuses_the_freed_block(switch):
    first, second, cached = run_child(switch)
    assert cached == 1 << 20  # the freed 1 MiB block was kept ...
    assert second == first  # ... and served the next request of the same size
    assert first % 4096 == 0  # a block of its own, mapped with mmap


def test_cache_off_frees_large_buffers_to_malloc():
    first, second, cached = run_child("0")
    assert cached == 0  # nothing kept on free
    # The buffer follows its Storage header in one malloc block, as small buffers do, so it is
    # not page-aligned (a cached block always is); ASan's malloc puts redzones around it.
    assert first % 4096 != 0 and second % 4096 != 0
