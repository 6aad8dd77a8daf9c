"""Every op of the table in op_table.py: forward against NumPy (float32, float64, non-contiguous
inputs), gradcheck and gradgradcheck in float64."""

import numpy as np
import pytest

import fngrad
from fngrad.autograd import gradcheck, gradgradcheck
from op_table import OPS, UNARY_REFERENCES

IDS = [op.name for op in OPS]


def sample(op, seed, dtype=np.float64):
    """Inputs for op: uniform on its domain, away from its kinks."""
    rng = np.random.default_rng(seed)
    lo, hi = op.domain
    arrays = []
    for shape in op.shapes:
        a = rng.uniform(lo, hi, shape)
        for k in (op.kink, op.extra.get("kink2")):
            if k is not None:
                a = np.where(np.abs(a - k) < 0.05, a + 0.1, a)
        arrays.append(a.astype(dtype))
    return arrays


def test_every_table_op_has_a_reference():
    assert set(fngrad._C.unary_ops) <= set(UNARY_REFERENCES)


@pytest.mark.parametrize("op", OPS, ids=IDS)
@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_forward_matches_numpy(op, dtype, rtol):
    arrays = sample(op, 0, dtype)
    out = op.fn(*[fngrad.from_numpy(a) for a in arrays])
    expected = np.asarray(op.ref(*[a.astype(np.float64) for a in arrays]))
    got = out.numpy()
    assert got.shape == expected.shape
    if op.name not in ("sign",):
        assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_forward_on_non_contiguous_inputs(op):
    arrays = sample(op, 1)
    # The same values, held in memory with strides: every other column of a wider array.
    strided = []
    for a in arrays:
        wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],) if a.ndim else (), dtype=a.dtype)
        if a.ndim:
            wide[..., ::2] = a
            strided.append(fngrad.from_numpy(wide)[..., ::2])
        else:
            strided.append(fngrad.from_numpy(a))
    assert all(not t.is_contiguous() for t in strided if t.dim() and t.shape[-1] > 1)
    np.testing.assert_allclose(op.fn(*strided).numpy(), np.asarray(op.ref(*arrays)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", [op for op in OPS if op.differentiable], ids=[op.name for op in OPS if op.differentiable])
def test_gradcheck(op):
    inputs = [fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True) for a in sample(op, 2)]
    assert gradcheck(op.fn, tuple(inputs), eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("op", [op for op in OPS if op.differentiable], ids=[op.name for op in OPS if op.differentiable])
def test_gradgradcheck(op):
    inputs = [fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True) for a in sample(op, 3)]
    assert gradgradcheck(op.fn, tuple(inputs), eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", ["relu", "abs", "sign", "neg", "exp", "sigmoid", "tanh"])
def test_unary_on_empty_and_zero_dim_tensors(name):
    fn, ref = getattr(fngrad, name), UNARY_REFERENCES[name]
    empty = fngrad.zeros(0, 3)
    assert fn(empty).shape == (0, 3)
    zero_dim = fngrad.tensor(0.5)
    np.testing.assert_allclose(fn(zero_dim).numpy(), ref(np.float32(0.5)), rtol=1e-6)
    x = fngrad.tensor(0.5, requires_grad=True)
    fn(x).backward()
    assert x.grad.shape == ()


def test_edge_values():
    # relu at 0: no gradient (PyTorch's choice); sigmoid and softplus at +-80: no overflow, no NaN.
    x = fngrad.tensor([0.0, -80.0, 80.0], dtype=fngrad.float32, requires_grad=True)
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    for dtype in (fngrad.float32, fngrad.float64):
        t = fngrad.tensor([-80.0, 0.0, 80.0], dtype=dtype, requires_grad=True)
        s = t.sigmoid()
        assert np.all(np.isfinite(s.detach().numpy()))
        np.testing.assert_allclose(s.detach().numpy(), [1.8e-35, 0.5, 1.0], rtol=0.1, atol=1e-30)
        s.sum().backward()
        assert np.all(np.isfinite(t.grad.numpy()))
        t.grad = None
        sp = fngrad.nn.functional.softplus(t)
        np.testing.assert_allclose(sp.detach().numpy(), [0.0, np.log(2), 80.0], rtol=1e-6, atol=1e-30)
        sp.sum().backward()
        np.testing.assert_allclose(t.grad.numpy(), [0.0, 0.5, 1.0], atol=1e-30)
    # exp overflows to inf like NumPy, log(0) is -inf, sqrt(-1) is nan.
    big = fngrad.tensor([100.0, 0.0, -1.0])
    assert np.isinf(big.exp()[0].item())
    assert big.log()[1].item() == float("-inf")
    assert np.isnan(big.sqrt()[2].item())


@pytest.mark.parametrize("dtype", [fngrad.float32, fngrad.float64])
def test_large_vectorised_paths_match_numpy(dtype):
    np_dtype = np.float32 if dtype == fngrad.float32 else np.float64
    a = np.random.default_rng(5).uniform(-10, 10, 100_003).astype(np_dtype)
    t = fngrad.from_numpy(a)
    rtol = 4e-6 if dtype == fngrad.float32 else 1e-13
    for name in ["exp", "tanh", "sigmoid", "sin", "cos", "silu", "erf", "expm1"]:
        np.testing.assert_allclose(getattr(t, name)().numpy(), UNARY_REFERENCES[name](a.astype(np.float64)),
                                   rtol=rtol, atol=1e-30, err_msg=name)
    pos = np.abs(a) + 0.01
    np.testing.assert_allclose(fngrad.from_numpy(pos).log().numpy(), np.log(pos.astype(np.float64)), rtol=rtol)
