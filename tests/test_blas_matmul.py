"""Matrix products through the BLAS that NumPy loaded (Note [Direct BLAS], csrc/python/matmul_kernel.cpp).

Products of float matrices whose memory BLAS can read call cblas_?gemm directly; every other
layout goes through NumPy's matmul. Each layout is checked against NumPy's matmul of the same
values (in float64 for the reference), with gradients for the transposed-weight case F.linear
uses. ``set_num_threads`` also sets the BLAS's thread count, read back through the library's own
getter with ctypes.
"""

import ctypes
import os

import numpy as np
import pytest

import fngrad

RNG = np.random.default_rng(0)


def _layouts(rows, cols, dtype):
    """(name, fngrad tensor, NumPy values) for one rows x cols matrix in several memory layouts."""
    base = RNG.standard_normal((rows, cols)).astype(dtype)
    t = fngrad.from_numpy(base.copy())
    wide = fngrad.from_numpy(RNG.standard_normal((rows, cols + 3)).astype(dtype))
    tall_t = fngrad.from_numpy(RNG.standard_normal((cols, rows + 2)).astype(dtype))
    out = [
        ("contiguous", t, base),
        ("transposed", fngrad.from_numpy(np.ascontiguousarray(base.T)).t(), base),
        ("row-strided slice", wide[:, 1:cols + 1], wide.numpy()[:, 1:cols + 1]),
        ("transposed slice", tall_t[:, :rows].t(), tall_t.numpy()[:, :rows].T),
        ("every other column", fngrad.from_numpy(np.repeat(base, 2, axis=1))[:, ::2], base),
        ("flipped rows", fngrad.from_numpy(base[::-1].copy()).flip(0), base),
    ]
    if rows > 1:
        out.append(("expanded row", t[:1].expand(rows, cols), np.broadcast_to(base[:1], (rows, cols))))
    return out


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("m, k, n", [(5, 7, 3), (1, 4, 6), (6, 1, 2), (3, 5, 1), (1, 1, 1), (70, 80, 90)])
def test_every_layout_pair_matches_numpy(dtype, rtol, m, k, n):
    for name_a, a, va in _layouts(m, k, dtype):
        for name_b, b, vb in _layouts(k, n, dtype):
            got = a.mm(b)
            ref = va.astype(np.float64) @ vb.astype(np.float64)
            assert got.dtype == (fngrad.float32 if dtype == np.float32 else fngrad.float64)
            assert tuple(got.shape) == (m, n)
            np.testing.assert_allclose(got.numpy(), ref, rtol=rtol, atol=rtol * np.abs(ref).max(),
                                       err_msg=f"{name_a} @ {name_b}")


def test_linear_forward_and_gradients_match_numpy():
    x = RNG.standard_normal((32, 64))
    w = RNG.standard_normal((16, 64))
    b = RNG.standard_normal(16)
    g = RNG.standard_normal((32, 16))
    tx, tw, tb = (fngrad.tensor(v, requires_grad=True) for v in (x, w, b))
    y = fngrad.nn.functional.linear(tx, tw, tb)
    np.testing.assert_allclose(y.detach().numpy(), x @ w.T + b, rtol=1e-12)
    y.backward(fngrad.tensor(g))
    np.testing.assert_allclose(tx.grad.numpy(), g @ w, rtol=1e-12)
    np.testing.assert_allclose(tw.grad.numpy(), g.T @ x, rtol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), g.sum(0), rtol=1e-12)
    assert tw.grad.is_contiguous()


def test_large_product_from_threads_matches_numpy():
    # Large enough that the GIL is released while BLAS runs: two threads at once stay correct.
    import threading

    a = RNG.standard_normal((200, 300)).astype(np.float32)
    b = RNG.standard_normal((300, 250)).astype(np.float32)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    results = [None, None]

    def work(i):
        results[i] = fngrad.from_numpy(a).mm(fngrad.from_numpy(b).t().contiguous().t()).numpy()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for r in results:
        np.testing.assert_allclose(r, ref, rtol=1e-4, atol=1e-3)


def _library_getter(path):
    lib = ctypes.CDLL(path)
    for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                 "scipy_openblas_get_num_threads", "openblas_get_num_threads"):
        if hasattr(lib, name):
            fn = getattr(lib, name)
            fn.restype = ctypes.c_int
            return fn
    return None


def test_set_num_threads_sets_the_blas_threads():
    info = fngrad._C._blas_info()
    if not info["library"]:
        # NumPy built on another BLAS (MKL, Accelerate): fngrad leaves it alone and uses np.matmul.
        assert info["num_threads"] == -1
        return
    getter = _library_getter(info["library"])
    assert getter is not None
    before = fngrad.get_num_threads()
    try:
        fngrad.set_num_threads(1)
        assert getter() == 1 and fngrad._C._blas_info()["num_threads"] == 1
        assert fngrad.get_num_threads() == 1
        fngrad.set_num_threads(64)
        # At most one BLAS thread per CPU; fngrad reports the count that was set, as PyTorch does.
        assert getter() == min(64, os.cpu_count())
        assert fngrad.get_num_threads() == 64
    finally:
        fngrad.set_num_threads(before)
