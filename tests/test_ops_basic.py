"""The foundation's ops against NumPy (forward) and finite differences (backward)."""

import numpy as np
import pytest

import fngrad
from conftest import numeric_grad


def grad_of(fn, *arrays):
    """Gradients of fn(*tensors).sum() with respect to each float64 input."""
    ts = [fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True) for a in arrays]
    fn(*ts).sum().backward()
    return [t.grad.numpy() for t in ts]


def fd_of(fn_np, *arrays):
    """Finite-difference gradients of fn_np(*arrays).sum()."""
    out = []
    for k in range(len(arrays)):
        def f(x, k=k):
            args = list(arrays)
            args[k] = x
            return float(np.sum(fn_np(*args)))
        out.append(numeric_grad(f, arrays[k]))
    return out


@pytest.mark.parametrize("dtype,np_dtype", [(fngrad.float32, np.float32), (fngrad.float64, np.float64)])
def test_relu_and_clamp_forward(dtype, np_dtype):
    a = np.array([-2.0, -0.5, 0.0, 0.5, 2.0, np.nan], dtype=np_dtype)
    t = fngrad.from_numpy(a)
    np.testing.assert_array_equal(t.relu().numpy(), np.maximum(a, 0))
    np.testing.assert_array_equal(t.clamp(min=0).numpy(), np.maximum(a, 0))
    np.testing.assert_array_equal(t.clamp(max=0.5).numpy(), np.minimum(a, 0.5))
    np.testing.assert_array_equal(t.clamp(-1, 1).numpy(), np.clip(a, -1, 1))
    assert t.relu().dtype == dtype


def test_relu_and_clamp_backward():
    a = np.array([-2.0, -0.5, 0.5, 2.0, 1.5])
    (g,) = grad_of(lambda x: x.relu(), a)
    np.testing.assert_array_equal(g, (a > 0).astype(float))
    (g,) = grad_of(lambda x: x.clamp(-1, 1), a)
    np.testing.assert_array_equal(g, ((a >= -1) & (a <= 1)).astype(float))
    # PyTorch's subgradient at 0: relu passes nothing, clamp passes everything at its bounds.
    (g,) = grad_of(lambda x: x.relu(), np.array([0.0]))
    assert g[0] == 0
    (g,) = grad_of(lambda x: x.clamp(min=0), np.array([0.0]))
    assert g[0] == 1


@pytest.mark.parametrize("op,np_op", [
    (lambda a, b: a + b, np.add),
    (lambda a, b: a - b, np.subtract),
    (lambda a, b: a * b, np.multiply),
    (lambda a, b: a / b, np.divide),
])
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((), (2, 2)), ((4, 1, 3), (2, 1))])
def test_binary_forward_and_backward_with_broadcasting(op, np_op, shapes):
    rng = np.random.default_rng(1)
    a = rng.uniform(0.5, 2.0, shapes[0])
    b = rng.uniform(0.5, 2.0, shapes[1])
    out = op(fngrad.tensor(a, dtype=fngrad.float64), fngrad.tensor(b, dtype=fngrad.float64))
    np.testing.assert_allclose(out.numpy(), np_op(a, b), rtol=1e-12)
    ga, gb = grad_of(op, a, b)
    fa, fb = fd_of(np_op, a, b)
    assert ga.shape == a.shape and gb.shape == b.shape
    np.testing.assert_allclose(ga, fa, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gb, fb, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_python_scalars_on_either_side(scalar):
    a = np.array([1.0, -2.0, 4.0])
    t = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    subtractions = (lambda x: x - scalar, lambda x: scalar - x)
    for expr, expected, dexpected in [
        (lambda x: x + scalar, a + scalar, np.ones(3)),
        (lambda x: scalar + x, scalar + a, np.ones(3)),
        (subtractions[0], a - scalar, np.ones(3)),
        (subtractions[1], scalar - a, -np.ones(3)),
        (lambda x: x * scalar, a * scalar, np.full(3, float(scalar))),
        (lambda x: scalar * x, scalar * a, np.full(3, float(scalar))),
        (lambda x: x / scalar, a / scalar, np.full(3, 1 / float(scalar))),
        (lambda x: scalar / x, scalar / a, -float(scalar) / a**2),
    ]:
        t.grad = None
        if scalar is True and expr in subtractions:  # PyTorch's sub refuses a bool operand
            with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
                expr(t)
            continue
        y = expr(t)
        np.testing.assert_allclose(y.detach().numpy(), expected)
        y.sum().backward()
        np.testing.assert_allclose(t.grad.numpy(), dexpected)


def test_type_promotion_follows_pytorch():
    i = fngrad.tensor([1, 2])
    f = fngrad.tensor([1.0, 2.0])
    d = fngrad.tensor([1.0, 2.0], dtype=fngrad.float64)
    b = fngrad.tensor([True, False])
    assert (i / 2).dtype == fngrad.float32
    assert (i * 1.5).dtype == fngrad.float32
    assert (i + 1).dtype == fngrad.int64
    assert (b + 1).dtype == fngrad.int64
    assert (b + b).dtype == fngrad.bool
    assert (f * d).dtype == fngrad.float64
    assert (f * fngrad.tensor(2.0, dtype=fngrad.float64)).dtype == fngrad.float32  # 0-d does not promote
    assert (i * fngrad.tensor(2.0, dtype=fngrad.float64)).dtype == fngrad.float64  # unless of a higher category
    np.testing.assert_array_equal((i / 2).numpy(), [0.5, 1.0])
    np.testing.assert_array_equal((b + b).numpy(), [True, False])
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors is not supported"):
        b - b


def test_comparisons_give_bool_tensors():
    a = np.array([1.0, 2.0, 3.0])
    t = fngrad.tensor(a, requires_grad=True)
    for got, want in [(t < 2, a < 2), (t <= 2, a <= 2), (t > 2, a > 2), (t >= 2, a >= 2), (t == 2, a == 2),
                      (t != 2, a != 2), (2 < t, 2 < a), (t < fngrad.tensor([3.0, 1.0, 3.0]), a < [3, 1, 3])]:
        assert got.dtype == fngrad.bool and not got.requires_grad
        np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, False), ((0, 1, 2), True)])
def test_sum_forward_and_backward(dim, keepdim):
    a = np.random.default_rng(3).standard_normal((2, 3, 4))
    t = fngrad.tensor(a, requires_grad=True, dtype=fngrad.float64)
    s = t.sum() if dim is None else t.sum(dim, keepdim=keepdim)
    np.testing.assert_allclose(s.detach().numpy(), a.sum(axis=dim, keepdims=keepdim))
    w = np.random.default_rng(4).standard_normal(s.shape)
    (s * fngrad.tensor(w)).sum().backward()
    expected = np.broadcast_to(w if keepdim or dim is None else np.expand_dims(w, dim), a.shape)
    np.testing.assert_allclose(t.grad.numpy(), expected)


def test_sum_of_large_float32_is_accurate():
    a = np.full(1 << 22, 0.1, dtype=np.float32)
    assert abs(fngrad.from_numpy(a).sum().item() - a.astype(np.float64).sum()) < 1e-3 * a.size * 0.1
    i = fngrad.tensor([1, 2, 3])
    assert i.sum().dtype == fngrad.int64 and i.sum().item() == 6
    assert fngrad.tensor([True, True, False]).sum().item() == 2


def test_indexing_backward_scatters_into_zeros():
    a = np.arange(12, dtype=np.float64).reshape(3, 4)
    t = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    (t[1, 1:3] * 2).sum().backward()
    expected = np.zeros((3, 4))
    expected[1, 1:3] = 2
    np.testing.assert_array_equal(t.grad.numpy(), expected)
    t.grad = None
    mask = t > 5
    t[mask].sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), (a > 5).astype(float))
    t.grad = None
    t[None, ..., 2].sum().backward()
    expected = np.zeros((3, 4))
    expected[:, 2] = 1
    np.testing.assert_array_equal(t.grad.numpy(), expected)


def test_masked_assignment_on_a_non_leaf_is_differentiable():
    a = np.array([-1.0, 2.0, -3.0, 4.0])
    x = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    y = x * 3
    y[x < 0] = 0
    assert y.grad_fn.name() == "IndexPutBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where(a < 0, 0.0, 3.0))


def test_inplace_arithmetic_is_differentiable():
    a = np.array([1.0, 2.0, 3.0])
    x = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    w = fngrad.tensor([2.0, 3.0, 4.0], dtype=fngrad.float64, requires_grad=True)
    y = x * 1
    y *= w
    y += 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(w.grad.numpy(), a)


def test_large_arrays_match_numpy():
    a = np.random.default_rng(0).standard_normal(1 << 20).astype(np.float32)
    b = np.random.default_rng(1).standard_normal(1 << 20).astype(np.float32)
    t, u = fngrad.from_numpy(a), fngrad.from_numpy(b)
    np.testing.assert_array_equal(t.relu().numpy(), np.maximum(a, 0))
    np.testing.assert_array_equal((t * u).numpy(), a * b)
    np.testing.assert_array_equal((t + 1).numpy(), a + 1)
    np.testing.assert_array_equal(t.clamp(-0.5, 0.5).numpy(), np.clip(a, -0.5, 0.5))
    x = fngrad.from_numpy(a.copy()).requires_grad_()
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (a > 0).astype(np.float32))


def test_clamp_with_tensor_bounds():
    # PyTorch's clamp.Tensor: bounds broadcast; the gradient goes to x where min <= x <= max, to
    # min where x < min < max, to max where x > max or max < min; NaN anywhere gives NaN.
    nan = float("nan")
    xv = np.array([nan, 1.0, 5.0, -1.0, 2.0, 0.0])
    lov = np.array([0.0, nan, 0.0, 0.0, 2.0, 1.0])
    hiv = np.array([3.0, 3.0, 3.0, 3.0, 2.0, 0.0])
    x, lo, hi = (fngrad.tensor(v, dtype=fngrad.float64, requires_grad=True) for v in (xv, lov, hiv))
    y = x.clamp(min=lo, max=hi)
    np.testing.assert_array_equal(y.detach().numpy(), np.minimum(np.maximum(xv, lov), hiv))
    y.sum().backward()
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(x.grad.numpy(), ((xv >= lov) & (xv <= hiv)).astype(float))
        np.testing.assert_array_equal(lo.grad.numpy(), ((xv < lov) & (lov < hiv)).astype(float))
        np.testing.assert_array_equal(hi.grad.numpy(), ((xv > hiv) | (hiv < lov)).astype(float))
    np.testing.assert_array_equal(fngrad.ones(2, 3).clamp(min=fngrad.tensor([0.0, 2.0, 0.5])).numpy(),
                                  [[1.0, 2.0, 1.0]] * 2)
    t = fngrad.tensor([-1.0, 0.5, 3.0])
    assert t.clamp_(min=fngrad.zeros(3), max=1.0) is t
    np.testing.assert_array_equal(t.numpy(), [0.0, 0.5, 1.0])
    with pytest.raises(RuntimeError, match=r"\[clamp\] The size of tensor a \(3\) must match the size of tensor b \(2\)"):
        fngrad.ones(3).clamp(min=fngrad.ones(2))


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_function_forms_take_pytorchs_overloads(name):
    # torch.var(x, unbiased), torch.var(x, dim, unbiased, keepdim) and the keyword forms.
    a = np.random.rand(3, 4)
    ref = getattr(np, name)
    fn = getattr(fngrad, name)
    cases = [((), {}, ref(a, ddof=1)), ((True,), {}, ref(a, ddof=1)), ((False,), {}, ref(a)),
             ((0,), {}, ref(a, 0, ddof=1)), ((0, False), {}, ref(a, 0)),
             ((1, True, True), {}, ref(a, 1, ddof=1, keepdims=True)), ((), {"correction": 0}, ref(a)),
             ((), {"dim": 1, "keepdim": True}, ref(a, 1, ddof=1, keepdims=True)), ((), {"unbiased": False}, ref(a))]
    for args, kwargs, expected in cases:
        got = fn(fngrad.tensor(a), *args, **kwargs).numpy()
        assert got.shape == np.shape(expected), (args, kwargs)
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=f"{name}{args}{kwargs}")


def test_in_place_ops_on_empty_tensors_are_no_ops():
    # An empty tensor has no two elements sharing memory: the in-place check must not refuse it.
    x = fngrad.zeros(1, 0, 3)
    for op in ("exp_", "sigmoid_", "neg_"):
        assert getattr(x, op)() is x
    assert x.shape == (1, 0, 3)
