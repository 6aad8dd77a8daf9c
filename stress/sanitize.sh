#!/usr/bin/env bash
# Builds fngrad._C with AddressSanitizer and UndefinedBehaviorSanitizer and runs the test suite
# against that build. Needs the Python environment of the test command (pybind11, numpy, pytest;
# PyTorch optional) to be active:
#
#   python3 -m venv .venv && . .venv/bin/activate && pip install ".[test]" pybind11 scikit-build-core \
#     && bash stress/sanitize.sh [pytest arguments]
#
# The instrumented module lives in its own build directory (build/asan) and is loaded from a copy
# of python/fngrad (build/asan-pkg), by a bare venv (build/asan-venv) whose path lists that copy
# first and then the active environment's packages (numpy, pytest, PyTorch) without running their
# .pth files, so that neither an installed nor an editable fngrad is picked up, and both are left
# alone. The Python interpreter is not instrumented, so the ASan runtime is preloaded; leak
# detection is off because CPython and NumPy keep allocations alive until exit by design (leaks
# of fngrad's own objects are what stress/soak.py measures). Any ASan report or UBSan finding
# aborts the process, so a clean run is a passing pytest. fngrad's large-block cache is turned
# off (FNGRAD_ALLOC_CACHE=0): buffers of 64 KiB and up then come from malloc, with ASan's
# redzones and quarantine, instead of reused mmap blocks that ASan cannot check; a probe first
# checks that ASan does report a read just past the end of a large tensor's buffer.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build/asan
pkg_dir=build/asan-pkg
python=${PYTHON:-python}

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFNGRAD_SANITIZE=ON \
  -DPython_EXECUTABLE="$(command -v "$python")" \
  -Dpybind11_DIR="$("$python" -m pybind11 --cmakedir)" >/dev/null
cmake --build "$build_dir"

rm -rf "$pkg_dir"
mkdir -p "$pkg_dir"
cp -r python/fngrad "$pkg_dir/fngrad"
# A worktree's python/fngrad may hold a (relative, now dangling) symlink to its dev build's module.
rm -f "$pkg_dir"/fngrad/_C*.so
cp "$build_dir"/_C*.so "$pkg_dir/fngrad/"

packages=$("$python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
venv_dir=build/asan-venv
rm -rf "$venv_dir"
"$python" -m venv --without-pip "$venv_dir"
printf '%s\n%s\n' "$PWD/$pkg_dir" "$packages" > \
  "$("$venv_dir/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")/fngrad_asan.pth"
python=$venv_dir/bin/python

asan_runtime=$(gcc -print-file-name=libasan.so)
ubsan_runtime=$(gcc -print-file-name=libubsan.so)
for runtime in "$asan_runtime" "$ubsan_runtime"; do
  # gcc prints the bare name when it has no such library.
  [[ "$runtime" == /* && -e "$runtime" ]] || { echo "sanitize.sh: gcc has no $runtime (install libasan/libubsan)" >&2; exit 2; }
done
export LD_PRELOAD="$asan_runtime:$ubsan_runtime"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1:max_allocation_size_mb=8192
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export FNGRAD_ALLOC_CACHE=0
# Tests that would start MPI (the one-rank examples of fngrad.distributed) skip under this run: Open MPI's
# launcher processes would inherit the preloaded sanitizer runtimes (see .ci/run's sanitizer phase).
export FNGRAD_SANITIZER_RUN=1

"$python" -c "import fngrad, os; assert os.path.dirname(fngrad.__file__).endswith('asan-pkg/fngrad'), fngrad.__file__"
# A 1 MiB - 64 B tensor: its cached block would be rounded up to 1 MiB, so with the cache on the
# read below stays inside mapped memory and goes unnoticed.
probe='import ctypes, fngrad
t = fngrad.empty((1 << 18) - 16)
end = t.numpy().__array_interface__["data"][0] + t.numel() * 4
ctypes.memmove(ctypes.create_string_buffer(8), end, 8)'
if "$python" -c "$probe" 2>"$build_dir/probe.log" || ! grep -q "heap-buffer-overflow" "$build_dir/probe.log"; then
  echo "sanitize.sh: ASan did not report a read past a large tensor's buffer ($build_dir/probe.log)" >&2
  exit 1
fi
echo "sanitize.sh: ASan reports a read past a large tensor's buffer, as it should"
# The memory soak is left out: ASan's quarantine of freed memory grows the RSS by design.
exec "$python" -m pytest -q -p no:cacheprovider --deselect tests/test_soak_quick.py::test_soak_quick "$@"
