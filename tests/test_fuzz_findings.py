"""Differences from PyTorch that the argument fuzzer (stress/fuzz_args.py) found, each now fixed,
checked against NumPy formulas and PyTorch's documented semantics."""

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_and_solve_read_only_the_factor_triangle(upper):
    # LAPACK's potri/potrs (and so PyTorch) read one triangle of the factor and ignore the other.
    rng = np.random.default_rng(0)
    m = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    lower = np.tril(m)
    a = lower @ lower.T
    given = fngrad.tensor(m.T if upper else m)  # the other triangle holds junk
    np.testing.assert_allclose(fngrad.cholesky_inverse(given, upper=upper).numpy(), np.linalg.inv(a), rtol=1e-10)
    b = rng.normal(size=(3, 2))
    np.testing.assert_allclose(fngrad.cholesky_solve(fngrad.tensor(b), given, upper=upper).numpy(),
                               np.linalg.solve(a, b), rtol=1e-10)


def test_histogram_has_pytorchs_default_of_100_bins():
    x = np.linspace(0.0, 1.0, 57)
    hist, edges = fngrad.histogram(fngrad.tensor(x))
    expected, expected_edges = np.histogram(x, bins=100)
    np.testing.assert_array_equal(hist.numpy(), expected)
    np.testing.assert_allclose(edges.numpy(), expected_edges)


@pytest.mark.parametrize("dtype", [fngrad.int8, fngrad.int16, fngrad.uint8, fngrad.int32])
def test_sorting_family_keeps_narrow_integer_dtypes(dtype):
    a = np.array([3, 1, 2, 2], dtype=str(dtype).split(".")[-1])
    t = fngrad.tensor(a)
    values, indices = fngrad.sort(t)
    assert values.dtype == dtype and indices.dtype == fngrad.int64
    np.testing.assert_array_equal(values.numpy(), np.sort(a))
    assert fngrad.msort(t).dtype == dtype
    assert fngrad.unique_consecutive(t).dtype == dtype
    np.testing.assert_array_equal(fngrad.unique_consecutive(t).numpy(), [3, 1, 2])
    assert fngrad.mode(t).values.dtype == dtype and fngrad.mode(t).values.item() == 2


def test_block_diag_promotes_over_every_dtype():
    out = fngrad.block_diag(fngrad.ones(2, dtype=fngrad.int32), fngrad.ones(1, 2, dtype=fngrad.float16))
    assert out.dtype == fngrad.float16  # promote_types(int32, float16), as PyTorch
    np.testing.assert_array_equal(out.numpy(), [[1, 1, 0, 0], [0, 0, 1, 1]])


def test_integer_pow_with_negative_tensor_exponents_is_computed():
    # PyTorch refuses only a negative Python-number exponent; a tensor exponent is computed: 1 and -1
    # keep their magnitude, every other base gives 0 (the integer part of base ** e).
    base = fngrad.tensor([0, 1, -1, -1, 2, 3], dtype=fngrad.int16)
    exponent = fngrad.tensor([-1, -2, -3, -2, -1, -2], dtype=fngrad.int16)
    np.testing.assert_array_equal(base.pow(exponent).numpy(), [0, 1, -1, 1, 0, 0])
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        base.pow(-2)


def test_hardtanh_and_relu6_keep_an_integer_input_dtype():
    t = fngrad.tensor([1, 7, -3])
    out = F.hardtanh(t, -1.5, 6.5)
    assert out.dtype == fngrad.int64
    np.testing.assert_array_equal(out.numpy(), np.trunc(np.clip([1, 7, -3], -1.5, 6.5)))
    u = fngrad.tensor([1, 7], dtype=fngrad.uint8)
    assert F.relu6(u).dtype == fngrad.uint8
    np.testing.assert_array_equal(F.relu6(u).numpy(), [1, 6])
