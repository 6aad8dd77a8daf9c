"""Differences from PyTorch that the argument fuzzer (stress/fuzz_args.py) found, each now fixed,
checked against NumPy formulas and PyTorch's documented semantics."""

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import requires_torch


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


# ---- the argument fuzzer's findings of this round (stress/fuzz_args.py --one SEED names each case) ----

def test_float_power_takes_a_number_base_in_double_precision():
    # --one 662: 0.41 was rounded to float32 before the power
    out = fngrad.float_power(0.41, fngrad.tensor([5, 2], dtype=fngrad.int8))
    assert out.dtype == fngrad.float64
    np.testing.assert_array_equal(out.numpy(), [0.41 ** 5, 0.41 ** 2])


@pytest.mark.parametrize("eps", [None, 0.2])
def test_logit_gradient_is_pytorchs_outside_the_domain(eps):
    # --one 2707: d/dx logit = 1 / (x (1 - x)); PyTorch's backward gives NaN outside [0, 1] without eps
    # (the forward is NaN there) and 0 outside [eps, 1 - eps] with it (the clamp's flat part).
    x = np.array([-0.5, 0.1, 0.3, 0.5, 0.7, 0.9, 1.5])
    t = fngrad.tensor(x, requires_grad=True)
    fngrad.logit(t, eps).sum().backward()
    lo, hi, outside = (0, 1, np.nan) if eps is None else (eps, 1 - eps, 0.0)
    expected = np.where((x < lo) | (x > hi), outside, 1 / (x * (1 - x)))
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-12)
    assert fngrad.autograd.gradcheck(lambda v: fngrad.logit(v, eps), fngrad.tensor([0.3, 0.6], dtype=fngrad.float64,
                                                                               requires_grad=True))


@pytest.mark.parametrize("shape", [(0, 3), (2, 0, 3), (2, 3, 0), (0, 0)])
def test_cond_of_an_empty_matrix_is_zero(shape):
    # --one 2957: PyTorch returns 0 per matrix (of the batch shape), outside the graph
    out = fngrad.linalg.cond(fngrad.zeros(*shape, dtype=fngrad.float64, requires_grad=True))
    assert tuple(out.shape) == shape[:-2] and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), np.zeros(shape[:-2]))


def _potf2_reference(a):
    """Cholesky-Banachiewicz, row by row, stopping at the first non-positive pivot."""
    n = a.shape[0]
    L = np.tril(a).astype(np.float64)
    for j in range(n):
        d = a[j, j] - sum(L[j, k] ** 2 for k in range(j))
        if d <= 0:
            L[j, j] = d
            return L, j + 1
        L[j, j] = np.sqrt(d)
        for i in range(j + 1, n):
            L[i, j] = (a[i, j] - sum(L[i, k] * L[j, k] for k in range(j))) / L[j, j]
    return L, 0


def test_cholesky_ex_returns_the_partial_factor_and_info():
    # --one 700: LAPACK's info is the order of the failing leading minor; the columns before it are
    # factored, the failing pivot holds a_jj - sum L_jk^2 and the rest of the lower triangle is A's.
    a = np.array([[[-1.98, -1.16, -0.13], [0.68, -0.23, -0.93], [-3.08, -1.48, -0.24]],
                  [[4, 1, 0.5], [1, -3, 1], [0.5, 1, 2]], [[4, 1, 0.5], [1, 3, 1], [0.5, 1, 2]],
                  [[4, 1, 0.5], [1, 3, 1], [0.5, 1, -2]]])
    L, info = fngrad.linalg.cholesky_ex(fngrad.tensor(a))
    expected = [_potf2_reference(m) for m in a]
    np.testing.assert_array_equal(info.numpy(), [e[1] for e in expected])
    assert info.dtype == fngrad.int32
    np.testing.assert_allclose(L.numpy(), np.stack([e[0] for e in expected]), rtol=1e-12)
    np.testing.assert_allclose(L[2].numpy(), np.linalg.cholesky(a[2]), rtol=1e-12)
    with pytest.raises(fngrad.linalg.LinAlgError, match=r"\(Batch element 0\).*leading minor of order 1"):
        fngrad.linalg.cholesky_ex(fngrad.tensor(a), check_errors=True)
    with pytest.raises(fngrad.linalg.LinAlgError, match=r"\(Batch element 2\).*leading minor of order 3"):
        fngrad.linalg.cholesky(fngrad.tensor(a[[2, 2, 3]]))


def test_cholesky_upper_reads_the_upper_triangle():
    rng = np.random.default_rng(1)
    m = rng.normal(size=(3, 3))
    spd = m @ m.T + 3 * np.eye(3)
    junk = np.triu(spd) + np.tril(rng.normal(size=(3, 3)), -1)  # the lower triangle is ignored with upper
    U = fngrad.linalg.cholesky(fngrad.tensor(junk), upper=True)
    np.testing.assert_allclose(U.numpy(), np.linalg.cholesky(spd).T, rtol=1e-12)


@pytest.mark.parametrize("dtype", [fngrad.float16, fngrad.bfloat16])
def test_cholesky_of_half_precision_refuses_unless_empty(dtype):
    # --one 5493: PyTorch's LAPACK kernel has no half precision; an empty batch is returned as it is
    empty = fngrad.linalg.cholesky(fngrad.zeros(0, 3, 3).to(dtype))
    assert empty.dtype == dtype and tuple(empty.shape) == (0, 3, 3)
    assert fngrad.linalg.cholesky_ex(fngrad.zeros(0, 3, 3).to(dtype)).info.shape == (0,)
    name = {fngrad.float16: "Half", fngrad.bfloat16: "BFloat16"}[dtype]
    with pytest.raises(NotImplementedError, match=f"\"cholesky_cpu\" not implemented for '{name}'"):
        fngrad.linalg.cholesky(fngrad.eye(2).to(dtype))


def test_cholesky_solve_gradient_is_the_derivative_through_the_triangle_read():
    # --one 4849 (kept as a known difference): PyTorch's formula multiplies by the whole factor, so with
    # values in the unread triangle even the read triangle's gradient is off; central differences of
    # the function fngrad and LAPACK compute agree with fngrad's.
    b = np.array([[0.78, 0.1, 0.77], [-1.11, 1.53, 1.32], [-0.99, -2.15, -0.5]])
    f = np.array([[-1.62, 0.75, -1.1], [-4.38, -1.0, 2.07], [0.28, 2.6, 0.65]])
    t = fngrad.tensor(f, requires_grad=True)
    fngrad.cholesky_solve(fngrad.tensor(b), t).sum().backward()

    def value(m):
        low = np.tril(m)
        return np.linalg.solve(low @ low.T, b).sum()

    fd = np.zeros((3, 3))
    for i, j in zip(*np.tril_indices(3)):
        e = np.zeros((3, 3))
        e[i, j] = 1e-6
        fd[i, j] = (value(f + e) - value(f - e)) / 2e-6
    np.testing.assert_allclose(np.tril(t.grad.numpy()), fd, rtol=1e-5)


def test_arithmetic_aliases_take_a_number_first():
    # --one 4209: torch.true_divide/multiply/subtract take a Python number as input (a wrapped number)
    x = fngrad.tensor([1, 2])
    out = fngrad.true_divide(2, x)
    assert out.dtype == fngrad.float32
    np.testing.assert_array_equal(out.numpy(), [2.0, 1.0])
    assert fngrad.multiply(3, x).dtype == fngrad.int64 and fngrad.multiply(3, x).tolist() == [3, 6]
    assert fngrad.subtract(2, x, alpha=2).tolist() == [0, -2]
    assert fngrad.rsub(x, 2.5).tolist() == [1.5, 0.5]
    with pytest.raises(TypeError, match=r"true_divide\(\): argument 'input' \(position 1\) must be Tensor, not str"):
        fngrad.true_divide("a", x)


@pytest.mark.parametrize("name", ["maximum", "minimum", "atan2", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin",
                                  "dist"])
def test_tensor_only_binary_ops_refuse_a_number(name):
    # PyTorch's signatures of these take (Tensor input, Tensor other)
    x = fngrad.tensor([1.0, 2.0])
    fn = getattr(fngrad, name)
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'input' \(position 1\) must be Tensor, not int"):
        fn(2, x)
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'other' \(position \d\) must be Tensor, not float"):
        fn(x, 2.0)
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'other' \(position \d\) must be Tensor, not bool"):
        getattr(x, name)(True)
    assert fn(x, x).dtype == fngrad.float32  # two tensors are taken


@pytest.mark.parametrize("name", ["fmod", "copysign"])
def test_fmod_and_copysign_take_a_number_second_only(name):
    x = fngrad.tensor([1.5, -2.5])
    expected = getattr(np, name)(x.numpy(), 2.0)
    np.testing.assert_array_equal(getattr(fngrad, name)(x, 2.0).numpy(), expected)
    with pytest.raises(TypeError, match=rf"{name}\(\) received an invalid combination of arguments - got "
                                        r"\(int, Tensor\)"):
        getattr(fngrad, name)(2, x)


def test_sub_refuses_one_bool_operand():
    mask = fngrad.tensor([True, False])
    for call in (lambda: fngrad.tensor([1.0, 2.0]) - mask, lambda: 1 - mask, lambda: fngrad.tensor([1, 2]).sub(True),
                 lambda: fngrad.rsub(fngrad.tensor([1.0]), False), lambda: F.tanhshrink(mask)):
        with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor is not supported"):
            call()
    with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
        mask - mask


_FLOAT_KERNELS = [("hardshrink", F.hardshrink, "hardshrink_cpu"), ("softshrink", F.softshrink, "softshrink_check"),
                  ("hardsigmoid", F.hardsigmoid, "hardsigmoid_cpu"), ("hardswish", F.hardswish, "hardswish_cpu"),
                  ("elu", F.elu, "elu_cpu"), ("celu", F.celu, "elu_cpu"), ("selu", F.selu, "elu_cpu"),
                  ("softplus", F.softplus, "softplus_cpu"), ("glu", F.glu, "glu_cpu"), ("gelu", F.gelu, "GeluKernelImpl"),
                  ("leaky_relu", F.leaky_relu, "leaky_relu_cpu"), ("rrelu", F.rrelu, "leaky_relu_cpu"),
                  ("silu", F.silu, "silu_cpu"), ("mish", F.mish, "mish_cpu"), ("logsigmoid", F.logsigmoid,
                                                                                "log_sigmoid_cpu")]


@pytest.mark.parametrize("name,fn,kernel", _FLOAT_KERNELS, ids=[k[0] for k in _FLOAT_KERNELS])
@pytest.mark.parametrize("dtype,type_name", [(fngrad.bool, "Bool"), (fngrad.int32, "Int"), (fngrad.uint8, "Byte")])
def test_float_only_activations_refuse_bool_and_integers(name, fn, kernel, dtype, type_name):
    x = fngrad.tensor([[0, 1], [1, 0]]).to(dtype)
    with pytest.raises(NotImplementedError, match=f"\"{kernel}\" not implemented for '{type_name}'"):
        fn(x)
    assert fn(x.float()).dtype == fngrad.float32


def test_prelu_pdist_cdist_hardtanh_refuse_pytorchs_dtypes():
    with pytest.raises(RuntimeError, match="prelu: Type promoting not supported. Got Float and Byte"):
        F.prelu(fngrad.ones(2, 3), fngrad.ones(1, dtype=fngrad.uint8))
    with pytest.raises(NotImplementedError, match="\"prelu_cpu\" not implemented for 'Long'"):
        F.prelu(fngrad.ones(2, 3, dtype=fngrad.int64), fngrad.ones(1, dtype=fngrad.int64))
    with pytest.raises(RuntimeError, match="pdist only supports floating-point dtypes"):
        F.pdist(fngrad.ones(3, 2, dtype=fngrad.int64))
    with pytest.raises(NotImplementedError, match="\"pdist\" not implemented for 'Half'"):
        F.pdist(fngrad.ones(3, 2, dtype=fngrad.float16))
    with pytest.raises(RuntimeError, match="cdist only supports floating-point dtypes, X2 got: Char"):
        fngrad.cdist(fngrad.ones(3, 2), fngrad.ones(3, 2, dtype=fngrad.int8))
    with pytest.raises(NotImplementedError, match="\"cdist\" not implemented for 'BFloat16'"):
        fngrad.cdist(fngrad.ones(3, 2, dtype=fngrad.bfloat16), fngrad.ones(3, 2, dtype=fngrad.bfloat16))
    with pytest.raises(RuntimeError, match="Bool inputs not supported for hardtanh"):
        F.hardtanh(fngrad.tensor([True]))
    with pytest.raises(RuntimeError, match="cannot do hardtanh on an unsigned type with negative limits"):
        F.hardtanh(fngrad.tensor([1], dtype=fngrad.uint8))
    with pytest.raises(NotImplementedError, match="\"hypot_cpu\" not implemented for 'Int'"):
        fngrad.hypot(fngrad.ones(2, dtype=fngrad.int32), fngrad.ones(2, dtype=fngrad.int32))
    with pytest.raises(NotImplementedError, match="\"histogramdd\" not implemented for 'Half'"):
        fngrad.histogram(fngrad.ones(3, dtype=fngrad.float16))


def test_addr_broadcasts_input_to_the_outer_product_only():
    # --one 30: PyTorch expands input to (len(vec1), len(vec2)); a larger input is refused
    out = fngrad.addr(fngrad.tensor([1.0, 2.0]), fngrad.ones(3), fngrad.ones(2))
    np.testing.assert_array_equal(out.numpy(), np.array([1.0, 2.0]) + np.ones((3, 2)))
    with pytest.raises(RuntimeError, match="expanded size"):
        fngrad.addr(fngrad.ones(3, 4), fngrad.ones(3), fngrad.ones(1))


def test_tensorinv_refuses_ind_beyond_the_dims():
    # --one 4104
    with pytest.raises(RuntimeError, match="invalid slice, N = 2; size = 0"):
        fngrad.linalg.tensorinv(fngrad.tensor(2.0))
    np.testing.assert_allclose(fngrad.linalg.tensorinv(fngrad.tensor([[2.0]]), ind=2).numpy(), [[0.5]])


@requires_torch
def test_tensor_methods_are_the_ones_pytorch_has():
    # Tensor.leaky_relu, Tensor.silu(_), maximum_, minimum_, logaddexp(2)_ do not exist in PyTorch: code
    # written for it never calls them, and fngrad does not make them (F.silu, F.leaky_relu are the spellings)
    import torch

    names = list(fngrad._C.unary_ops) + list(fngrad._C.binary_ops) + ["leaky_relu"]
    for name in names + [n + "_" for n in names]:
        assert hasattr(fngrad.Tensor, name) == hasattr(torch.Tensor, name), name
    x = fngrad.tensor([1.0, -1.0])
    assert F.silu(x, inplace=True) is x
    np.testing.assert_allclose(x.numpy(), [1 / (1 + np.exp(-1)), -1 / (1 + np.exp(1))], rtol=1e-6)


def test_repeat_interleave_method_needs_repeats():
    # --one 4159: the counts-only form is the function's; the method without repeats is refused
    t = fngrad.tensor([1, 2])
    assert fngrad.repeat_interleave(t).tolist() == [0, 1, 1]
    assert t.repeat_interleave(2).tolist() == [1, 1, 2, 2]
    with pytest.raises(TypeError, match=r"repeat_interleave\(\) received an invalid combination of arguments - got \(\)"):
        t.repeat_interleave()


def _round_bfloat16(a):
    """float32 values rounded to bfloat16's 8 significant bits (round to nearest, ties to even)."""
    bits = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32)


def test_hinge_embedding_loss_rounds_a_number_margin_to_bfloat16_first():
    # OpInfo's bfloat16 sample: PyTorch's rsub rounds the Python-number margin to the input's dtype
    x = np.array([0.1015625, 0.5, -0.25], dtype=np.float32)  # exact in bfloat16
    out = F.hinge_embedding_loss(fngrad.tensor(x).to(fngrad.bfloat16), fngrad.tensor([-1, -1, -1]), margin=0.37,
                                 reduction="none")
    expected = _round_bfloat16(np.maximum(_round_bfloat16(np.float32(0.37)) - x, 0))
    np.testing.assert_array_equal(out.float().numpy(), expected)


def test_arithmetic_functions_take_two_numbers():
    # torch.div(7, 2) and friends: PyTorch wraps the first number in a 0-d tensor of its default
    # dtype (int64 for ints, bool for bools, float32 for floats); pow and remainder refuse.
    cases = [(fngrad.div(7, 2), 3.5, fngrad.float32), (fngrad.add(2, 3), 5, fngrad.int64),
             (fngrad.add(2, 3.5, alpha=2), 9.0, fngrad.float32), (fngrad.sub(5, 3), 2, fngrad.int64),
             (fngrad.mul(True, False), False, fngrad.bool), (fngrad.floor_divide(7, 2), 3, fngrad.int64),
             (fngrad.true_divide(True, 4.0), 0.25, fngrad.float32), (fngrad.multiply(2, 3), 6, fngrad.int64),
             (fngrad.subtract(2, 3.5), -1.5, fngrad.float32)]
    for out, value, dtype in cases:
        assert out.shape == () and out.dtype == dtype and out.item() == value
    for fn in (fngrad.pow, fngrad.remainder, fngrad.maximum):
        with pytest.raises(TypeError):
            fn(5, 3)
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        fngrad.sub(True, 1)


def test_add_mm_family_refuses_mixed_dtypes_in_pytorchs_words():
    # PyTorch's BLAS-backed kernels do not promote (fuzzer --one 2307, 204946, 503641, 2250)
    f32, f64, i8 = (dict(dtype=d) for d in (fngrad.float32, fngrad.float64, fngrad.int8))
    with pytest.raises(RuntimeError, match="addmv input tensors must have the same dtype, but got Double, Float, "
                                           "and Float"):
        fngrad.addmv(fngrad.zeros(3, **f64), fngrad.ones(3, 4), fngrad.ones(4))
    with pytest.raises(RuntimeError, match="self and mat2 must have the same dtype, but got Float and Char"):
        fngrad.addbmm(fngrad.zeros(3, 2), fngrad.ones(2, 3, 4), fngrad.ones(2, 4, 2, **i8))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Char and Float"):
        fngrad.addbmm(fngrad.zeros(3, 2), fngrad.ones(2, 3, 4, **i8), fngrad.ones(2, 4, 2))
    with pytest.raises(RuntimeError, match="Input dtypes must be the same, got: input float, batch1: c10::BFloat16, "
                                           "batch2: c10::BFloat16"):
        fngrad.baddbmm(fngrad.zeros(2, 3, 2), fngrad.ones(2, 3, 4).bfloat16(), fngrad.ones(2, 4, 2).bfloat16())
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        fngrad.baddbmm(fngrad.zeros(2, 3, 2), fngrad.ones(2, 3, 4, **f32), fngrad.ones(2, 4, 2, **f64))
    with pytest.raises(RuntimeError, match="both inputs should have same dtype"):
        fngrad.tensordot(fngrad.ones(2, 3, **f64), fngrad.ones(3, 2), 1)


def test_addbmm_of_an_empty_batch_is_beta_input_whatever_the_batch_dtypes():
    # --one 102627: a sum over no products is 0, so the result is beta * input in input's dtype
    input = fngrad.tensor([[1, 2], [3, 4]], dtype=fngrad.uint8)
    b2 = fngrad.zeros(0, 3, 2, requires_grad=True)
    out = fngrad.addbmm(input, fngrad.zeros(0, 2, 3, dtype=fngrad.int64), b2, beta=2)
    assert out.dtype == fngrad.uint8
    np.testing.assert_array_equal(out.numpy(), [[2, 4], [6, 8]])
    x = fngrad.ones(2, 2, requires_grad=True)
    (grad,) = fngrad.autograd.grad(fngrad.addbmm(x, fngrad.zeros(0, 2, 3), b2).sum(), [b2])
    assert tuple(grad.shape) == (0, 3, 2)


def test_trace_refuses_bool_and_gradient_refuses_uint8():
    with pytest.raises(NotImplementedError, match="\"trace\" not implemented for 'Bool'"):
        fngrad.eye(2, dtype=fngrad.bool).trace()
    assert fngrad.eye(3, dtype=fngrad.uint8).trace().item() == 3  # other integers sum (in int64)
    with pytest.raises(RuntimeError, match="torch.gradient does not support uint8 input."):
        fngrad.gradient(fngrad.ones(3, dtype=fngrad.uint8))


def test_rsub_and_float_power_refuse_numbers_where_pytorch_wants_a_tensor():
    with pytest.raises(TypeError, match=r"rsub\(\) received an invalid combination of arguments - got \(int, Tensor\)"):
        fngrad.rsub(-2, fngrad.ones(2))
    with pytest.raises(TypeError, match=r"float_power\(\) received an invalid combination of arguments - got "
                                        r"\(float, bool\)"):
        fngrad.float_power(0.5, True)
    np.testing.assert_array_equal(fngrad.float_power(2, fngrad.tensor([3])).numpy(), [8.0])  # one tensor suffices


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod"])
def test_integer_division_of_an_empty_tensor_by_zero_is_empty(name):
    # --one 104697: there is no element to divide, so no ZeroDivisionError (PyTorch's)
    out = getattr(fngrad, name)(fngrad.zeros(0, 4, dtype=fngrad.int64), fngrad.tensor(False))
    assert tuple(out.shape) == (0, 4) and out.dtype == fngrad.int64
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        getattr(fngrad, name)(fngrad.ones(2, dtype=fngrad.int64), fngrad.tensor(0))


def test_narrow_float_linalg_is_computed_in_float32_or_refused_as_pytorch():
    # --one 104173, 102174, 600083: numpy has no bfloat16; matrix_exp computes it, the LAPACK ops refuse
    # non-empty half precision and return empty input's (empty) result
    a = np.array([[0.5, 0.25], [0.0, -1.0]])
    # exp of an upper-triangular 2x2: diagonal exp(a_ii), corner a_01 (e^a00 - e^a11) / (a00 - a11)
    corner = 0.25 * (np.exp(0.5) - np.exp(-1.0)) / 1.5
    expected = np.array([[np.exp(0.5), corner], [0.0, np.exp(-1.0)]])
    for dtype in (fngrad.bfloat16, fngrad.float16):
        out = fngrad.linalg.matrix_exp(fngrad.tensor(a).to(dtype))
        assert out.dtype == dtype
        np.testing.assert_allclose(out.float().numpy(), expected, rtol=1e-2)
        for fn, kernel in ((fngrad.linalg.eigvalsh, "linalg_eigh_cpu"), (fngrad.linalg.svdvals, "linalg_svd_cpu")):
            empty = fn(fngrad.zeros(0, 3, 3, dtype=dtype))
            assert tuple(empty.shape) == (0, 3) and empty.dtype == dtype
            with pytest.raises(NotImplementedError, match=f"\"{kernel}\" not implemented for"):
                fn(fngrad.eye(3, dtype=dtype))


def test_inner_of_empty_operands_is_an_empty_or_zero_product():
    # --one 201618: PyTorch's shapes: input.shape[:-1] + other.shape[:-1], zeros where the sum is empty
    assert tuple(fngrad.inner(fngrad.zeros(0, 4), fngrad.zeros(0, 4)).shape) == (0, 0)
    assert tuple(fngrad.inner(fngrad.zeros(0, 4), fngrad.ones(3, 4)).shape) == (0, 3)
    np.testing.assert_array_equal(fngrad.inner(fngrad.ones(2, 0), fngrad.ones(3, 0)).numpy(), np.zeros((2, 3)))


def test_default_dtype_reaches_the_promotion_of_python_floats_and_integer_tensors():
    # PyTorch: with set_default_dtype(float64), int_tensor * 2.5 and sqrt(int_tensor) are float64
    x = fngrad.tensor([1, 4], dtype=fngrad.int32)
    fngrad.set_default_dtype(fngrad.float64)
    try:
        out = x * 2.5
        assert out.dtype == fngrad.float64 and out.tolist() == [2.5, 10.0]
        assert x.sqrt().dtype == fngrad.float64 and (x / x).dtype == fngrad.float64
        assert fngrad.result_type(x, 2.5) == fngrad.float64 and fngrad.get_default_dtype() == fngrad.float64
    finally:
        fngrad.set_default_dtype(fngrad.float32)
    assert (x * 2.5).dtype == fngrad.float32 and x.sqrt().dtype == fngrad.float32


@pytest.mark.parametrize("dtype,expected", [(fngrad.int64, -2**63), (fngrad.int32, -2**31), (fngrad.int16, 0),
                                            (fngrad.uint8, 0)])
def test_median_of_an_empty_integer_tensor_is_nan_cast_to_the_dtype(dtype, expected):
    # --one 400889 raised ValueError; PyTorch's NaN cast to the dtype (x86's conversion)
    for fn in (fngrad.median, fngrad.nanmedian):
        out = fn(fngrad.zeros(0, dtype=dtype))
        assert out.dtype == dtype and out.item() == expected


def test_tensorsolve_with_as_many_dims_in_b_as_in_a_gives_a_0d_solution():
    # --one 604360: A (1, 1), B (1, 1): X is 0-d, A X = B
    out = fngrad.linalg.tensorsolve(fngrad.tensor([[2.0]]), fngrad.tensor([[4.0]]))
    assert tuple(out.shape) == () and out.item() == 2.0


def test_einsum_broadcasts_size_1_to_size_0():
    # a named dim of size 1 against one of size 0 is 0 (was max(1, 0) = 1)
    out = fngrad.einsum("ab,ab->a", fngrad.ones(0, 1), fngrad.ones(0, 3))
    assert tuple(out.shape) == (0,)
    assert tuple(fngrad.einsum("ab,cb->ac", fngrad.ones(1, 2), fngrad.ones(0, 2)).shape) == (1, 0)


def test_histogram_of_an_empty_half_precision_input_is_empty_bins():
    # --one 103568: PyTorch bins an empty float16 input (zeros over [0, 1]) and refuses a non-empty one
    hist, edges = fngrad.histogram(fngrad.zeros(0, 4, dtype=fngrad.float16), bins=4)
    assert hist.dtype == fngrad.float16 and hist.tolist() == [0, 0, 0, 0]
    np.testing.assert_allclose(edges.float().numpy(), np.linspace(0, 1, 5))
    with pytest.raises(NotImplementedError, match="\"histogramdd\" not implemented for 'Half'"):
        fngrad.histogram(fngrad.ones(3, dtype=fngrad.float16))


def test_pow_exponent_gradient_at_a_zero_base_with_a_negative_exponent_is_minus_inf():
    # --one 304299: d/de 0**e = 0**e * log(0) = inf * -inf for e < 0 (PyTorch's -inf); 0 for e >= 0
    for base_dtype in (fngrad.int64, fngrad.float32):
        e = fngrad.tensor([-0.5, 0.5, 1.0], requires_grad=True)
        base = fngrad.tensor([0, 0, 2]).to(base_dtype)
        (grad,) = fngrad.autograd.grad(fngrad.pow(base, e).sum(), [e])
        np.testing.assert_allclose(grad.numpy(), [-np.inf, 0.0, 2 * np.log(2)], rtol=1e-6)
        (graph_grad,) = fngrad.autograd.grad(fngrad.pow(base, e).sum(), [e], create_graph=True)
        np.testing.assert_allclose(graph_grad.detach().numpy(), [-np.inf, 0.0, 2 * np.log(2)], rtol=1e-6)
