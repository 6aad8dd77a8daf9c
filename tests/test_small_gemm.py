"""fngrad's small-matrix product kernel (Note [Small GEMM], csrc/ops/small_gemm.cpp).

Float32/float64 matrix products of at most 2^21 multiply-adds with m and n at least 8 and k at
most 2048 run fngrad's own register-blocked kernel instead of BLAS, reading its operands through
their strides; the tests cover both sides of those limits. Each case is
checked against NumPy's product of the same values in float64, to within rtol times
``|a| @ |b|`` (the bound on a dot product's rounding error); gradients against the NumPy formulas
and against central differences (gradcheck, float64).
"""

import threading

import numpy as np
import pytest

import fngrad
from fngrad.autograd import gradcheck

RNG = np.random.default_rng(13)
ODD_SIZES = (1, 7, 17, 33, 65)
RTOL = {np.float32: 1e-5, np.float64: 1e-12}


def _matrix(rows, cols, dtype, transposed):
    """(fngrad tensor, NumPy values): a contiguous rows x cols matrix, or a transposed view of one."""
    values = RNG.standard_normal((rows, cols)).astype(dtype)
    if transposed:
        return fngrad.from_numpy(np.ascontiguousarray(values.T)).t(), values
    return fngrad.from_numpy(values.copy()), values


def _check_product(got, va, vb, dtype, what, add=0.0):
    """got == va @ vb (+ add) to within the rounding bound."""
    a64, b64 = va.astype(np.float64), vb.astype(np.float64)
    ref = a64 @ b64 + add
    bound = RTOL[dtype] * (np.abs(a64) @ np.abs(b64) + np.abs(add)) + np.finfo(dtype).tiny
    assert got.dtype == (fngrad.float32 if dtype == np.float32 else fngrad.float64), what
    assert tuple(got.shape) == ref.shape, what
    err = np.abs(got.detach().numpy().astype(np.float64) - ref)
    assert (err <= bound).all(), f"{what}: max error {err.max()} over bound {bound[err > bound].min()}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", ODD_SIZES)
def test_every_layout_and_odd_size_matches_numpy(dtype, m):
    for k in ODD_SIZES:
        for n in ODD_SIZES:
            for ta in (False, True):
                for tb in (False, True):
                    a, va = _matrix(m, k, dtype, ta)
                    b, vb = _matrix(k, n, dtype, tb)
                    what = f"{m}x{k}{'^T' if ta else ''} @ {k}x{n}{'^T' if tb else ''}"
                    _check_product(fngrad.mm(a, b), va, vb, dtype, what)


def _strided_views(rows, cols, dtype):
    """(name, tensor, values) for rows x cols views whose memory is not a plain matrix layout."""
    wide = RNG.standard_normal((rows, 2 * cols + 3)).astype(dtype)
    tall = RNG.standard_normal((cols, 2 * rows + 1)).astype(dtype)
    row = RNG.standard_normal((1, cols)).astype(dtype)
    cube = RNG.standard_normal((rows, 3, cols)).astype(dtype)
    return [
        ("row-strided slice", fngrad.from_numpy(wide)[:, 2:cols + 2], wide[:, 2:cols + 2]),
        ("every other column", fngrad.from_numpy(wide)[:, 1:2 * cols + 1:2], wide[:, 1:2 * cols + 1:2]),
        ("every other row of a transpose", fngrad.from_numpy(tall).t()[:2 * rows:2], tall.T[:2 * rows:2]),
        ("expanded row", fngrad.from_numpy(row).expand(rows, cols), np.broadcast_to(row, (rows, cols))),
        ("middle of a 3-D tensor", fngrad.from_numpy(cube)[:, 1, :], cube[:, 1, :]),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, k, n", [(32, 64, 128), (7, 33, 17), (65, 17, 1), (1, 65, 33)])
def test_non_contiguous_operands_match_numpy(dtype, m, k, n):
    for name_a, a, va in _strided_views(m, k, dtype):
        for name_b, b, vb in _strided_views(k, n, dtype):
            _check_product(a.mm(b), va, vb, dtype, f"{name_a} @ {name_b}")
            assert a.mm(b).is_contiguous()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, k, n", [
    (128, 128, 128),  # 2^21 multiply-adds: the largest the small kernel takes
    (129, 128, 128),  # just above: BLAS
    (8, 2048, 128),   # the largest k and smallest m the small kernel takes
    (8, 2049, 8),     # k above it: BLAS
    (7, 64, 64),      # m below the smallest: BLAS
    (64, 64, 7),      # n below the smallest: BLAS
    (3000, 2, 5),     # many rows, little work per row
])
def test_both_sides_of_the_threshold_match_numpy(dtype, m, k, n):
    for ta in (False, True):
        for tb in (False, True):
            a, va = _matrix(m, k, dtype, ta)
            b, vb = _matrix(k, n, dtype, tb)
            _check_product(a @ b, va, vb, dtype, f"{m}x{k}{'^T' if ta else ''} @ {k}x{n}{'^T' if tb else ''}")


def test_non_finite_values_propagate_as_in_numpy():
    # inf * 0 is NaN, inf + -inf is NaN, a NaN spreads over its row: as in NumPy's product.
    a = RNG.standard_normal((9, 4)).astype(np.float32)
    b = RNG.standard_normal((4, 17)).astype(np.float32)
    a[0, 1], a[3, 2], a[5, 0] = np.inf, np.nan, -np.inf
    b[1, 2], b[2, 4], b[0, 7], b[3, 16] = 0.0, np.inf, 0.0, -np.inf
    got = (fngrad.from_numpy(a) @ fngrad.from_numpy(b)).numpy()
    with np.errstate(invalid="ignore"):
        ref = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(ref))
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(ref))
    finite = np.isfinite(ref)
    np.testing.assert_allclose(got[finite], ref[finite], rtol=1e-5, atol=1e-5)


def test_products_in_concurrent_threads_match_numpy():
    # The kernel packs B panels into a per-thread buffer: threads must not share it.
    cases = [(_matrix(33, 65, np.float32, False), _matrix(65, 17, np.float32, True)) for _ in range(4)]
    errors = []

    def work(i):
        (a, va), (b, vb) = cases[i]
        try:
            for _ in range(50):
                _check_product(a @ b, va, vb, np.float32, f"thread {i}")
        except AssertionError as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


@pytest.mark.parametrize("m, k, n", [(32, 64, 128), (7, 17, 33), (1, 7, 1), (33, 1, 65)])
def test_linear_gradients_match_numpy_formulas(m, k, n):
    # F.linear's three products in the layouts the step uses: x @ W^T, g @ W and g^T @ x.
    x, w, b, g = (RNG.standard_normal(s).astype(np.float32) for s in ((m, k), (n, k), (n,), (m, n)))
    tx, tw, tb = (fngrad.from_numpy(v.copy()).requires_grad_(True) for v in (x, w, b))
    y = fngrad.nn.functional.linear(tx, tw, tb)
    y.backward(fngrad.from_numpy(g))
    _check_product(y, x, w.T, np.float32, "x @ W^T + b", add=b.astype(np.float64))
    _check_product(tx.grad, g, w, np.float32, "g @ W")
    _check_product(tw.grad, g.T, x, np.float32, "g^T @ x")
    np.testing.assert_allclose(tb.grad.numpy(), g.sum(0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ta, tb", [(False, False), (False, True), (True, False), (True, True)])
@pytest.mark.parametrize("m, k, n", [(7, 17, 1), (1, 7, 17), (17, 1, 7), (6, 16, 8)])
def test_mm_gradients_match_finite_differences(ta, tb, m, k, n):
    a, _ = _matrix(m, k, np.float64, ta)
    b, _ = _matrix(k, n, np.float64, tb)
    assert gradcheck(fngrad.mm, (a.requires_grad_(True), b.requires_grad_(True)))
