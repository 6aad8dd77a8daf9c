"""The elementwise ternary table (csrc/ops/ternary_ops.h: addcmul, addcdiv, lerp; where and clamp with
tensor bounds, whose Python faces are their own): values against
NumPy formulas with broadcasting and PyTorch's type promotion, gradcheck and gradgradcheck of every
differentiable argument, each entry's JVP against central differences, the in-place forms, the
generated bindings (keyword names, value=, out=, signatures), and node names, values and
gradients against PyTorch."""

import inspect

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

F32, F64 = fngrad.float32, fngrad.float64


def _lerp_ref(a, b, w):
    return a + w * (b - a)


# NumPy reference of each entry, with value where the op takes it.
REFERENCES = {
    "addcmul": lambda a, b, c, value=1: a + value * b * c,
    "addcdiv": lambda a, b, c, value=1: a + value * b / c,
    "lerp": _lerp_ref,
}

# Inputs on which each entry is smooth: (low, high) per operand.
DOMAINS = {
    "addcmul": ((-2.0, 2.0), (-2.0, 2.0), (-2.0, 2.0)),
    "addcdiv": ((-2.0, 2.0), (-2.0, 2.0), (0.5, 2.0)),
    "lerp": ((-2.0, 2.0), (-2.0, 2.0), (-0.5, 1.5)),
}


def _draw(name, shapes, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.uniform(lo, hi, s).astype(dtype) for (lo, hi), s in zip(DOMAINS[name], shapes)]


def test_the_table_lists_the_three_ops_and_fngrad_exports_them():
    assert tuple(fngrad._C.ternary_ops) == ("addcmul", "addcdiv", "lerp")
    for name in fngrad._C.ternary_ops:
        assert getattr(fngrad, name) is getattr(fngrad._C, name)
        assert callable(getattr(fngrad.Tensor, name)) and callable(getattr(fngrad.Tensor, name + "_"))


@pytest.mark.parametrize("name", ["addcmul", "addcdiv", "lerp"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((2, 3, 4), (4,), (3, 1)), ((1, 4), (3, 1), ())])
def test_values_match_numpy_with_broadcasting(name, shapes):
    a, b, c = _draw(name, shapes)
    out = getattr(fngrad, name)(*(fngrad.tensor(v) for v in (a, b, c)))
    expected = REFERENCES[name](a, b, c)
    assert tuple(out.shape) == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_value_scales_the_product(name):
    a, b, c = _draw(name, ((3, 4), (3, 4), (4,)))
    t = [fngrad.tensor(v) for v in (a, b, c)]
    for value in (0.5, -3, 2.0):
        np.testing.assert_allclose(getattr(fngrad, name)(*t, value=value).numpy(), REFERENCES[name](a, b, c, value),
                                   rtol=1e-12)
        np.testing.assert_allclose(getattr(t[0], name)(t[1], t[2], value=value).numpy(),
                                   REFERENCES[name](a, b, c, value), rtol=1e-12)


def test_lerp_takes_a_number_weight_and_a_zero_dim_weight_of_another_dtype():
    a, b, _ = _draw("lerp", ((3, 4), (4,), ()))
    for w in (0.25, 0.75, -0.6, 2):
        np.testing.assert_allclose(fngrad.lerp(fngrad.tensor(a), fngrad.tensor(b), w).numpy(), _lerp_ref(a, b, w),
                                   rtol=1e-12, atol=1e-15)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    r = fngrad.lerp(fngrad.tensor(a32), fngrad.tensor(b32), fngrad.tensor(0.25, dtype=F64))
    assert r.dtype == F32
    np.testing.assert_allclose(r.numpy(), _lerp_ref(a32, b32, np.float32(0.25)), rtol=1e-6)


def test_type_promotion_follows_pytorch():
    i = fngrad.tensor([1, 2])
    f32 = fngrad.tensor([1.0, 2.0])
    f64 = fngrad.tensor([1.0, 2.0], dtype=F64)
    # Integers stay integers in addcmul; value is converted to the integer type (0.5 -> 0).
    r = fngrad.addcmul(i, i, i, value=2)
    assert r.dtype == fngrad.int64
    np.testing.assert_array_equal(r.numpy(), [3, 10])
    np.testing.assert_array_equal(fngrad.addcmul(i, i, i, value=0.5).numpy(), [1, 2])
    assert fngrad.addcmul(i, f32, i).dtype == F32
    assert fngrad.addcmul(f32, f64, i).dtype == F64
    # A zero-dim tensor raises the result only to a higher category.
    assert fngrad.addcmul(fngrad.tensor(1.0, dtype=F64), f32, f32).dtype == F32
    assert fngrad.addcmul(i, fngrad.tensor(2.0), i).dtype == F32
    assert fngrad.addcdiv(i, f32, i).dtype == F32
    np.testing.assert_allclose(fngrad.addcdiv(f32, f32, fngrad.tensor([2, 4])).numpy(), [1.5, 2.5])


def test_dtype_errors_use_pytorchs_wording():
    i = fngrad.tensor([1, 2])
    b = fngrad.tensor([True, False])
    f32 = fngrad.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Integer division with addcdiv is no longer supported, and in a future  "
                                           r"release addcdiv will perform a true division of tensor1 and tensor2\."):
        fngrad.addcdiv(f32, i, i)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        f32.addcdiv_(b, b)
    with pytest.raises(NotImplementedError, match="\"addcmul_cpu_out\" not implemented for 'Bool'"):
        fngrad.addcmul(b, b, b)
    with pytest.raises(NotImplementedError, match="\"lerp_kernel_scalar\" not implemented for 'Long'"):
        fngrad.lerp(i, i, 0.5)
    with pytest.raises(NotImplementedError, match="\"lerp_kernel_tensor\" not implemented for 'Long'"):
        fngrad.lerp(i, i, i)
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        fngrad.lerp(f32, f32.double(), 0.5)
    with pytest.raises(RuntimeError, match="expected dtype double for `weight` but got dtype float"):
        fngrad.lerp(f32.double(), f32.double(), f32)
    with pytest.raises(TypeError, match=r"addcmul\(\): argument 'tensor1' \(position 2\) must be Tensor, not float"):
        fngrad.addcmul(f32, 1.0, f32)
    with pytest.raises(TypeError, match=r"lerp\(\): argument 'end' \(position 2\) must be Tensor, not float"):
        fngrad.lerp(f32, 3.0, 0.5)
    with pytest.raises(RuntimeError, match="size"):
        fngrad.addcmul(f32, fngrad.ones(3), f32)
    # Everything stays usable after the refusals.
    w = fngrad.tensor([1.0, 2.0], requires_grad=True)
    fngrad.addcmul(w, w, w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 5.0])


# (op, which arguments are differentiable, extra keywords)
GRAD_CASES = [
    ("addcmul", (0, 1, 2), {}),
    ("addcmul", (0, 1, 2), {"value": -0.7}),
    ("addcdiv", (0, 1, 2), {}),
    ("addcdiv", (0, 1, 2), {"value": 2.5}),
    ("lerp", (0, 1, 2), {}),
]


@pytest.mark.parametrize("name,args,kw", GRAD_CASES)
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((2, 3), (3,), (2, 1))])
def test_gradcheck_and_gradgradcheck_each_argument(name, args, kw, shapes):
    vals = _draw(name, shapes, seed=1)
    op = getattr(fngrad, name)
    for k in args:
        # Only argument k requires grad: each side's gradient on its own.
        inputs = [fngrad.tensor(v, dtype=F64, requires_grad=(j == k)) for j, v in enumerate(vals)]
        assert fngrad.autograd.gradcheck(lambda *x: op(*x, **kw), tuple(inputs))
        assert fngrad.autograd.gradgradcheck(lambda *x: op(*x, **kw), tuple(inputs))
    inputs = tuple(fngrad.tensor(v, dtype=F64, requires_grad=True) for v in vals)
    assert fngrad.autograd.gradcheck(lambda *x: op(*x, **kw), inputs)
    assert fngrad.autograd.gradgradcheck(lambda *x: op(*x, **kw), inputs)


@pytest.mark.parametrize("weight", [0.3, 0.8, -1.2])
def test_lerp_number_weight_gradcheck(weight):
    a, b, _ = _draw("lerp", ((3, 4), (4,), ()), seed=2)
    inputs = (fngrad.tensor(a, requires_grad=True), fngrad.tensor(b, requires_grad=True))
    assert fngrad.autograd.gradcheck(lambda x, y: fngrad.lerp(x, y, weight), inputs)
    assert fngrad.autograd.gradgradcheck(lambda x, y: fngrad.lerp(x, y, weight), inputs)


def test_gradients_match_the_formulas():
    a, b, c = _draw("addcdiv", ((3, 4), (3, 4), (3, 4)), seed=3)
    g = np.random.default_rng(4).standard_normal((3, 4))
    ta, tb, tc = (fngrad.tensor(v, requires_grad=True) for v in (a, b, c))
    fngrad.addcdiv(ta, tb, tc, value=1.5).backward(fngrad.tensor(g))
    np.testing.assert_allclose(ta.grad.numpy(), g)
    np.testing.assert_allclose(tb.grad.numpy(), g * 1.5 / c)
    np.testing.assert_allclose(tc.grad.numpy(), -g * 1.5 * b / c**2)
    ta, tb, tc = (fngrad.tensor(v, requires_grad=True) for v in (a, b, c))
    fngrad.lerp(ta, tb, tc).backward(fngrad.tensor(g))
    np.testing.assert_allclose(ta.grad.numpy(), g * (1 - c))
    np.testing.assert_allclose(tb.grad.numpy(), g * c)
    np.testing.assert_allclose(tc.grad.numpy(), g * (b - a))


def _central(f, x, t, eps=1e-6):
    return (f(x + eps * t) - f(x - eps * t)) / (2 * eps)


@pytest.mark.parametrize("name", ["addcmul", "addcdiv", "lerp"])
def test_jvp_matches_central_differences(name):
    vals = _draw(name, ((3, 4),) * 3, seed=5)
    tangents = np.random.default_rng(6).standard_normal((3, 3, 4))
    op = getattr(fngrad, name)
    jvp = fngrad._C._ternary_jvp(name, *(fngrad.tensor(v) for v in list(vals) + list(tangents))).numpy()

    def f(v):
        return op(*(fngrad.tensor(x) for x in v)).numpy()

    expected = _central(f, np.stack(vals), tangents)
    np.testing.assert_allclose(jvp, expected, rtol=1e-6, atol=1e-8)


def test_jvp_hook_rejects_unknown_ops_and_mismatched_tangents():
    x = fngrad.ones(3, dtype=F64)
    with pytest.raises(ValueError, match="No ternary op named 'nope'"):
        fngrad._C._ternary_jvp("nope", x, x, x, x, x, x)
    with pytest.raises(ValueError, match="one dtype and shape"):
        fngrad._C._ternary_jvp("lerp", x, x, x, x, x, fngrad.ones(4, dtype=F64))


@pytest.mark.parametrize("name,kw", [("addcmul", {"value": 0.5}), ("addcdiv", {"value": -2}), ("lerp", {})])
def test_inplace_forms_write_self_and_bump_the_version(name, kw):
    a, b, c = _draw(name, ((3, 4), (4,), (3, 1)), seed=7)
    x = fngrad.tensor(a)
    v0 = x._version
    r = getattr(x, name + "_")(fngrad.tensor(b), fngrad.tensor(c), **kw)
    assert r is x
    assert x._version == v0 + 1
    np.testing.assert_allclose(x.numpy(), REFERENCES[name](a, b, c, **kw), rtol=1e-12)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        getattr(fngrad.tensor(b), name + "_")(fngrad.tensor(a), fngrad.tensor(c), **kw)


def test_inplace_refuses_a_leaf_that_requires_grad_and_records_history_otherwise():
    w = fngrad.tensor([1.0, 2.0], requires_grad=True)
    t = fngrad.tensor([3.0, 4.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        w.addcmul_(t, t)
    # A non-leaf: the in-place op becomes part of its history.
    a = np.array([0.5, -1.0])
    b = np.array([2.0, 3.0])
    c = np.array([0.25, 0.75])
    x = fngrad.tensor(a, requires_grad=True)
    y = fngrad.tensor(b, requires_grad=True)
    wt = fngrad.tensor(c, requires_grad=True)
    z = x * 1
    z.lerp_(y, wt)
    assert z.grad_fn.name() == "LerpBackward1"
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 - c)
    np.testing.assert_allclose(y.grad.numpy(), c)
    np.testing.assert_allclose(wt.grad.numpy(), b - a)  # read from the value before the write


def test_inplace_on_a_view_rewrites_the_base_history():
    base = fngrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    t1 = fngrad.tensor([2.0, 5.0], requires_grad=True)
    y = base * 1
    y[0].addcmul_(t1, t1, value=0.5)
    np.testing.assert_allclose(y.detach().numpy(), [[3.0, 14.5], [3.0, 4.0]])
    y.sum().backward()
    np.testing.assert_allclose(base.grad.numpy(), np.ones((2, 2)))
    np.testing.assert_allclose(t1.grad.numpy(), [2.0, 5.0])


def test_inplace_dtype_rules():
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        fngrad.tensor([1, 2]).addcmul_(fngrad.tensor([2.0, 1.0]), fngrad.tensor([1.0, 1.0]))
    x = fngrad.tensor([1.0], dtype=F64)
    x.addcmul_(fngrad.tensor([2.0]), fngrad.tensor([1]))
    np.testing.assert_allclose(x.numpy(), [3.0])
    with pytest.raises(RuntimeError, match="expected dtype float for `weight` but got dtype double"):
        fngrad.tensor([1.0]).lerp_(fngrad.tensor([2.0]), fngrad.tensor([0.5], dtype=F64))


def test_keyword_names_value_and_out():
    a, b, c = (fngrad.tensor(v) for v in ([1.0, 2.0], [3.0, 4.0], [2.0, 8.0]))
    np.testing.assert_allclose(fngrad.addcmul(input=a, tensor1=b, tensor2=c, value=2).numpy(), [13.0, 66.0])
    np.testing.assert_allclose(a.addcdiv(tensor1=b, tensor2=c).numpy(), [2.5, 2.5])
    np.testing.assert_allclose(fngrad.lerp(a, end=b, weight=0.5).numpy(), [2.0, 3.0])
    out = fngrad.zeros(2)
    r = fngrad.addcmul(a, b, c, value=0.5, out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), [4.0, 18.0])
    fngrad.lerp(a, b, c, out=out)
    np.testing.assert_allclose(out.numpy(), [5.0, 18.0])
    with pytest.raises(TypeError, match="takes 3 positional arguments"):
        fngrad.addcmul(a, b, c, 2)
    with pytest.raises(TypeError, match="unexpected keyword argument 'value'"):
        fngrad.lerp(a, b, c, value=2)
    with pytest.raises(TypeError, match=r"addcmul\(\): argument 'value' must be Number, not str"):
        fngrad.addcmul(a, b, c, value="x")
    w = fngrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="functions with out=... arguments don't support automatic differentiation"):
        fngrad.addcmul(w, b, c, out=fngrad.zeros(2))


def test_signatures_are_readable():
    assert str(inspect.signature(fngrad.addcmul)) == "(input, tensor1, tensor2, *, value=1, out=None)"
    assert str(inspect.signature(fngrad.lerp)) == "(input, end, weight, *, out=None)"
    assert str(inspect.signature(fngrad.Tensor.addcdiv_)) == "(self, /, tensor1, tensor2, *, value=1)"
    assert str(inspect.signature(fngrad.Tensor.lerp)) == "(self, /, end, weight)"
    assert ">>> fngrad.lerp(" in fngrad.lerp.__doc__


@pytest.mark.parametrize("name", ["addcmul", "addcdiv", "lerp"])
def test_doc_examples_run(name):
    doc = getattr(fngrad, name).__doc__
    lines = doc.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith(">>> "))
    result = eval(lines[i][4:], {"fngrad": fngrad})
    assert repr(result) == lines[i + 1]


@requires_torch
@pytest.mark.parametrize("name,kw,number_weight", [
    ("addcmul", {}, None), ("addcmul", {"value": 0.3}, None), ("addcdiv", {"value": -1.5}, None),
    ("lerp", {}, None), ("lerp", {}, 0.3), ("lerp", {}, 0.8),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_gradients_and_node_names_match_pytorch(name, kw, number_weight, dtype):
    import torch

    shapes = ((2, 3, 4), (3, 1), (4,))
    vals = [v.astype(dtype) for v in _draw(name, shapes, seed=9)]
    g = np.random.default_rng(10).standard_normal((2, 3, 4)).astype(dtype)

    def run(lib):
        ts = [lib.tensor(v, requires_grad=True) for v in vals]
        third = number_weight if number_weight is not None else ts[2]
        out = getattr(lib, name)(ts[0], ts[1], third, **kw)
        out.backward(lib.tensor(g))
        grads = [t.grad.numpy() if t.grad is not None else None for t in ts]
        return out.detach().numpy(), grads, out.grad_fn.name()

    ours, theirs = run(fngrad), run(torch)
    assert ours[2] == theirs[2]
    np.testing.assert_array_equal(ours[0], theirs[0])  # the forward is bit for bit PyTorch's
    for o, t in zip(ours[1], theirs[1]):
        if t is None:
            assert o is None
        else:
            np.testing.assert_allclose(o, t, rtol=1e-5 if dtype == "float32" else 1e-12)


@requires_torch
@pytest.mark.parametrize("name", ["addcmul_", "addcdiv_"])
def test_large_inplace_matches_pytorch_bit_for_bit(name):
    import torch

    rng = np.random.default_rng(11)
    a, b = rng.standard_normal((2, 1 << 16)).astype(np.float32)
    c = rng.uniform(0.5, 2.0, 1 << 16).astype(np.float32)
    x, xt = fngrad.tensor(a), torch.tensor(a)
    getattr(x, name)(fngrad.tensor(b), fngrad.tensor(c), value=-0.01)
    getattr(xt, name)(torch.tensor(b), torch.tensor(c), value=-0.01)
    np.testing.assert_array_equal(x.numpy(), xt.numpy())


@pytest.mark.parametrize("call,grad_x,grad_y", [
    # out = x + x*y, x + x*(y - x), x + 2*y/x at x = [1.5, 2], y = [3, 4]: the derivatives by hand.
    (lambda z, y: z.addcmul_(z, y), lambda x, y: 1 + y, lambda x, y: x),
    (lambda z, y: z.lerp_(y, z), lambda x, y: 1 + y - 2 * x, lambda x, y: x),
    (lambda z, y: z.addcdiv_(y, z, value=2), lambda x, y: 1 - 2 * y / x**2, lambda x, y: 2 / x),
])
def test_inplace_with_self_as_another_operand_uses_the_values_before_the_write(call, grad_x, grad_y):
    xv, yv = np.array([1.5, 2.0]), np.array([3.0, 4.0])
    x = fngrad.tensor(xv, requires_grad=True)
    y = fngrad.tensor(yv, requires_grad=True)
    z = x * 1
    call(z, y)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), grad_x(xv, yv))
    np.testing.assert_allclose(y.grad.numpy(), grad_y(xv, yv))


# ---- where and clamp with tensor bounds: entries with their own Python faces ----

def _clamp_masks(x, lo, hi):
    """PyTorch's clamp_backward_min_max, written out in NumPy: where each side's gradient flows."""
    if lo is None:
        return x <= hi, None, x > hi
    if hi is None:
        return x >= lo, x < lo, None
    return (x >= lo) & (x <= hi), (x < lo) & (lo < hi), (x > hi) | (hi < lo)


@pytest.mark.parametrize("bounds", ["both", "min", "max"])
def test_clamp_tensor_bounds_values_gradients_and_node(bounds):
    rng = np.random.default_rng(12)
    # Grids offset from each other, so that no element sits on a kink (gradcheck's steps stay on one side).
    x, lo, hi = (rng.permutation(np.linspace(-3, 3, 12)).reshape(3, 4) + shift for shift in (0.0, 0.13, 0.29))
    lo, hi = (lo if bounds != "max" else None), (hi if bounds != "min" else None)
    lo = lo[:1] if lo is not None else None  # broadcast (1, 4) against (3, 4)
    ts = [fngrad.tensor(v, requires_grad=True) if v is not None else None for v in (x, lo, hi)]
    y = ts[0].clamp(ts[1], ts[2])
    assert y.grad_fn.name() == "ClampBackward0"
    ref = x if lo is None else np.maximum(x, lo)
    ref = ref if hi is None else np.minimum(ref, hi)
    np.testing.assert_array_equal(y.detach().numpy(), ref)
    g = rng.standard_normal((3, 4))
    y.backward(fngrad.tensor(g))
    for t, mask in zip(ts, _clamp_masks(x, lo, hi)):
        if t is not None:
            expected = np.where(mask, g, 0.0)
            np.testing.assert_allclose(t.grad.numpy(), expected.sum(0, keepdims=True) if t.shape[0] == 1 else expected)
    inputs = tuple(t for t in ts if t is not None)

    def fn(*args):
        it = iter(args)
        a = next(it)
        return a.clamp(next(it) if lo is not None else None, next(it) if hi is not None else None)

    assert fngrad.autograd.gradcheck(fn, inputs)
    assert fngrad.autograd.gradgradcheck(fn, inputs)


def test_clamp_tensor_bounds_nan_numbers_and_in_place():
    nan = float("nan")
    x = fngrad.tensor([1.0, nan, 5.0, -2.0])
    np.testing.assert_array_equal(x.clamp(fngrad.tensor([0.0, 0.0, nan, 0.0]), 3.0).numpy(), [1.0, nan, nan, 0.0])
    i = fngrad.tensor([1, 5, 9])
    assert i.clamp(fngrad.tensor([2, 2, 2]), 6).tolist() == [2, 5, 6]
    assert i.clamp(min=fngrad.tensor([2, 2, 2])).dtype == fngrad.int64
    assert i.clamp(fngrad.tensor([2.5, 2.0, 2.0])).dtype == fngrad.float32  # PyTorch's type promotion
    w = fngrad.tensor([1.0, 2.0, 9.0], requires_grad=True)
    z = w * 1
    z.clamp_(max=fngrad.tensor([5.0, 1.0, 5.0]))
    assert z.grad_fn.name() == "ClampBackward0"
    z.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match=r"\[clamp_\] result type float32 can't be cast to the desired output "
                                           r"type int64"):
        i.clamp_(fngrad.tensor([2.5, 2.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"\[clamp\] The size of tensor a \(3\) must match the size of "
                                           r"tensor b \(2\)"):
        fngrad.ones(3).clamp(min=fngrad.ones(2))


def test_where_is_a_table_entry_with_pytorchs_semantics():
    cond = fngrad.tensor([[True, False, True]])
    a = fngrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = fngrad.tensor([10.0, 20.0, 30.0], dtype=F64, requires_grad=True)
    y = fngrad.where(cond, a, b)
    assert y.grad_fn.name() == "WhereBackward0" and y.dtype == F64
    np.testing.assert_array_equal(y.detach().numpy(), np.where([[True, False, True]], a.detach().numpy(), [10, 20, 30]))
    g = np.arange(6.0).reshape(2, 3)
    y.backward(fngrad.tensor(g, dtype=F64))
    np.testing.assert_array_equal(a.grad.numpy(), np.where([[True, False, True]], g, 0.0))
    np.testing.assert_array_equal(b.grad.numpy(), np.where([[True, False, True]], 0.0, g).sum(0))
    assert fngrad.where(cond, 1, 0).dtype == fngrad.int64 and fngrad.where(cond, 1.0, 0).dtype == F32
    assert fngrad.where(cond, fngrad.tensor([1, 2, 3], dtype=fngrad.int8), 2).dtype == fngrad.int8
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but got a tensor "
                                           "with dtype Float"):
        fngrad.where(fngrad.tensor([1.0]), a, b)
    x = fngrad.tensor([0.5, -1.5, 2.0], dtype=F64, requires_grad=True)
    other = fngrad.tensor([1.0, 2.0, 3.0], dtype=F64, requires_grad=True)
    assert fngrad.autograd.gradcheck(lambda p, q: fngrad.where(p > 0, p * p, q), (x, other))
    assert fngrad.autograd.gradgradcheck(lambda p, q: fngrad.where(p > 0, p * p, q), (x, other))
    assert "where" not in fngrad._C.ternary_ops and "clamp" not in fngrad._C.ternary_ops  # own Python faces
