"""The narrow dtypes (uint8, int8, int16, int32, float16, bfloat16) beside the four compute dtypes:
names and properties, creation and NumPy interop, conversions, PyTorch's promotion table, arithmetic
(wrap-around, half rounding), reductions, comparisons, indexing, printing, float16 gradients and the
errors PyTorch gives. Expectations come from NumPy formulas and, where marked, from PyTorch."""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

# fngrad dtype -> the NumPy dtype of the same values (bfloat16 has none).
NUMPY_OF = {
    fngrad.bool: np.bool_, fngrad.uint8: np.uint8, fngrad.int8: np.int8, fngrad.int16: np.int16,
    fngrad.int32: np.int32, fngrad.int64: np.int64, fngrad.float16: np.float16, fngrad.float32: np.float32,
    fngrad.float64: np.float64,
}
ALL = list(NUMPY_OF) + [fngrad.bfloat16]
NEW = [fngrad.uint8, fngrad.int8, fngrad.int16, fngrad.int32, fngrad.float16]
INTS = [fngrad.uint8, fngrad.int8, fngrad.int16, fngrad.int32]
NAME = {d: str(d).replace("fngrad.", "") for d in ALL}


def bf16_round(a):
    """float32 values rounded to bfloat16 (round to nearest even), as float32."""
    u = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16 << 16
    return u.astype(np.uint32).view(np.float32)


def test_names_aliases_and_properties():
    assert fngrad.int is fngrad.int32 and fngrad.short is fngrad.int16 and fngrad.half is fngrad.float16
    for d, npd in NUMPY_OF.items():
        info = np.dtype(npd)
        assert d.itemsize == info.itemsize, d
        assert d.is_floating_point == (info.kind == "f"), d
        assert d.is_signed == (info.kind in "if"), d
    assert fngrad.bfloat16.itemsize == 2 and fngrad.bfloat16.is_floating_point and fngrad.bfloat16.is_signed
    assert [repr(d) for d in NEW] == ["fngrad.uint8", "fngrad.int8", "fngrad.int16", "fngrad.int32", "fngrad.float16"]


@requires_torch
def test_dtype_properties_match_torch():
    import torch

    for d in ALL:
        t = getattr(torch, NAME[d])
        assert (d.is_floating_point, d.itemsize, d.is_signed) == (t.is_floating_point, t.itemsize, t.is_signed), d


@pytest.mark.parametrize("d", list(NUMPY_OF), ids=lambda d: NAME[d])
def test_numpy_round_trip_keeps_dtype_and_memory(d):
    a = np.arange(6).reshape(2, 3).astype(NUMPY_OF[d])
    assert fngrad.tensor(a).dtype == d
    assert fngrad.as_tensor(a).dtype == d
    t = fngrad.from_numpy(a)
    assert t.dtype == d and t.numpy().dtype == a.dtype
    np.testing.assert_array_equal(t.numpy(), a)
    a[0, 0] = 1  # shared memory
    assert t[0, 0].item() == 1
    assert fngrad.as_tensor(a).numpy().ctypes.data == a.ctypes.data  # as_tensor: no copy
    np.testing.assert_array_equal(fngrad.tensor(a).tolist(), a.tolist())


def test_from_numpy_refuses_dtypes_fngrad_lacks():
    for npd in (np.uint16, np.uint32, np.complex64):
        with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.%s" % np.dtype(npd).name):
            fngrad.from_numpy(np.zeros(2, npd))
    assert fngrad.from_numpy(np.zeros(2, np.longlong)).dtype == fngrad.int64  # NumPy's alias of int64
    with pytest.raises(TypeError, match="BFloat16"):
        fngrad.zeros(2, dtype=fngrad.bfloat16).numpy()


def test_conversion_methods_and_legacy_types():
    x = fngrad.tensor([1.7, -2.2, 300.0])
    pairs = [(x.int(), fngrad.int32), (x.short(), fngrad.int16), (x.char(), fngrad.int8), (x.byte(), fngrad.uint8),
             (x.half(), fngrad.float16), (x.bfloat16(), fngrad.bfloat16)]
    for t, d in pairs:
        assert t.dtype == d
    for name, d in [("IntTensor", fngrad.int32), ("ShortTensor", fngrad.int16), ("CharTensor", fngrad.int8),
                    ("ByteTensor", fngrad.uint8), ("HalfTensor", fngrad.float16), ("BFloat16Tensor", fngrad.bfloat16)]:
        legacy = getattr(fngrad, name)
        assert legacy([1, 2]).dtype == d and isinstance(x.to(d), legacy) and not isinstance(x, legacy)
        assert x.type(d).type() == "fngrad." + name
        assert x.type("torch." + name).dtype == d
        assert legacy(2, 3).shape == (2, 3)


@pytest.mark.parametrize("src", list(NUMPY_OF), ids=lambda d: NAME[d])
@pytest.mark.parametrize("dst", list(NUMPY_OF), ids=lambda d: NAME[d])
def test_casts_between_every_pair_match_numpy(src, dst):
    vals = np.array([0, 1, 5, 100, 127], dtype=np.int64)
    if NUMPY_OF[src] is not np.uint8:
        vals = np.concatenate([vals, [-1, -100]])
    if NUMPY_OF[src] is np.bool_:
        vals = np.array([0, 1, 1, 0])
    a = vals.astype(NUMPY_OF[src])
    if np.dtype(NUMPY_OF[src]).kind == "f":
        a = a + NUMPY_OF[src](0.25)  # truncation toward zero
    # Floats truncate toward zero; out-of-range integers wrap (two's complement), as in PyTorch.
    floating_to_int = np.dtype(NUMPY_OF[src]).kind == "f" and np.dtype(NUMPY_OF[dst]).kind in "iu"
    want = (a.astype(np.int64) if floating_to_int else a).astype(NUMPY_OF[dst])
    got = fngrad.tensor(a).to(dst)
    assert got.dtype == dst
    np.testing.assert_array_equal(got.numpy(), want)
    # Non-contiguous source.
    got_t = fngrad.tensor(np.stack([a, a], 1)).t()[0].to(dst)
    np.testing.assert_array_equal(got_t.numpy(), want)


def test_wrapping_and_rounding_conversions():
    x = fngrad.tensor([2.5, -2.5, 300.0, -1.0])
    np.testing.assert_array_equal(x.byte().numpy(), [2, 254, 44, 255])  # as PyTorch
    np.testing.assert_array_equal(x.char().numpy(), [2, -2, 44, -1])
    big = fngrad.tensor([70000, -40000, 2**31 + 5])
    np.testing.assert_array_equal(big.short().numpy(), np.array([70000, -40000, 2**31 + 5]).astype(np.int16))
    np.testing.assert_array_equal(big.int().numpy(), np.array([70000, -40000, 2**31 + 5]).astype(np.int32))
    f = np.random.default_rng(0).standard_normal(1000).astype(np.float32) * 1000
    f = np.concatenate([f, [65504, 65520, 1e6, -1e6, 6e-8, 1e-9, np.inf, -np.inf, np.nan]]).astype(np.float32)
    np.testing.assert_array_equal(fngrad.tensor(f).half().numpy(), f.astype(np.float16))
    np.testing.assert_array_equal(fngrad.tensor(f.astype(np.float64)).half().numpy(), f.astype(np.float16))
    np.testing.assert_array_equal(fngrad.tensor(f).bfloat16().float().numpy(), bf16_round(f))


def test_creation_functions_take_the_new_dtypes():
    for d in NEW + [fngrad.bfloat16]:
        assert fngrad.zeros(2, 3, dtype=d).dtype == d
        assert fngrad.ones(2, dtype=d).tolist() == [1, 1]
        assert fngrad.full((2,), 7, dtype=d).tolist() == [7, 7]
        assert fngrad.tensor([1, 2], dtype=d).dtype == d
        assert fngrad.zeros_like(fngrad.ones(2, dtype=d)).dtype == d
    assert fngrad.tensor([1, 2], dtype=fngrad.int32).tolist() == [1, 2]
    assert isinstance(fngrad.tensor([3], dtype=fngrad.int16).item(), int)
    assert isinstance(fngrad.tensor([3], dtype=fngrad.float16).item(), float)
    assert fngrad.tensor([0.1], dtype=fngrad.bfloat16).item() == float(bf16_round(np.float32(0.1)))
    assert fngrad.empty(3).half().uniform_().dtype == fngrad.float16


# PyTorch's promote_types table (c10/core/ScalarType.cpp), written out for the dtypes fngrad has.
_ORDER = ["uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "bool", "bfloat16"]
_TABLE = """
uint8    uint8    int16    int16    int32    int64    float16  float32  float64  uint8    bfloat16
int8     int16    int8     int16    int32    int64    float16  float32  float64  int8     bfloat16
int16    int16    int16    int16    int32    int64    float16  float32  float64  int16    bfloat16
int32    int32    int32    int32    int32    int64    float16  float32  float64  int32    bfloat16
int64    int64    int64    int64    int64    int64    float16  float32  float64  int64    bfloat16
float16  float16  float16  float16  float16  float16  float16  float32  float64  float16  float32
float32  float32  float32  float32  float32  float32  float32  float32  float64  float32  float32
float64  float64  float64  float64  float64  float64  float64  float64  float64  float64  float64
bool     uint8    int8     int16    int32    int64    float16  float32  float64  bool     bfloat16
bfloat16 bfloat16 bfloat16 bfloat16 bfloat16 bfloat16 float32  float32  float64  bfloat16 bfloat16
"""


def _table():
    rows = [line.split() for line in _TABLE.strip().splitlines()]
    return {(r[0], _ORDER[j]): r[j + 1] for r in rows for j in range(len(_ORDER))}


def test_promotion_of_tensor_pairs_follows_pytorchs_table():
    table = _table()
    for (a, b), want in table.items():
        x = fngrad.ones(2, dtype=getattr(fngrad, a))
        y = fngrad.ones(2, dtype=getattr(fngrad, b))
        assert fngrad.promote_types(x.dtype, y.dtype) == getattr(fngrad, want), (a, b)
        assert fngrad.result_type(x, y) == getattr(fngrad, want), (a, b)
        if "bool" not in (a, b):
            z = x + y
            assert z.dtype == getattr(fngrad, want), (a, b)
            assert z.tolist() == [2, 2]
        assert (x * y).dtype == getattr(fngrad, want), (a, b)


@requires_torch
def test_promotion_table_is_torchs():
    import torch

    for (a, b), want in _table().items():
        assert str(torch.promote_types(getattr(torch, a), getattr(torch, b))) == "torch." + want, (a, b)
        fa, fb = fngrad.ones(3, dtype=getattr(fngrad, a)), fngrad.ones(3, dtype=getattr(fngrad, b))
        ta, tb = torch.ones(3, dtype=getattr(torch, a)), torch.ones(3, dtype=getattr(torch, b))
        for op in ("mul", "add", "eq", "where"):
            if op == "where":
                f, t = fngrad.where(fa > 0, fa, fb), torch.where(ta > 0, ta, tb)
            else:
                f, t = getattr(fngrad, op)(fa, fb), getattr(torch, op)(ta, tb)
            assert str(f.dtype).replace("fngrad", "torch") == str(t.dtype), (op, a, b)


def test_numbers_and_zero_dim_tensors_promote_by_category():
    for d in INTS:
        x = fngrad.tensor([1, 2], dtype=d)
        assert (x + 1).dtype == d and (1 * x).dtype == d
        assert (x + 1.5).dtype == fngrad.float32  # the default dtype
        assert (x / x).dtype == fngrad.float32
        assert (x + fngrad.tensor(5)).dtype == d  # a 0-d int64 tensor does not widen it
        assert (x + fngrad.tensor(5.0, dtype=fngrad.float64)).dtype == fngrad.float64
        assert (x + fngrad.tensor(True)).dtype == d
    h = fngrad.tensor([1.0, 2.0], dtype=fngrad.float16)
    assert (h + 1.5).dtype == fngrad.float16 and (h * fngrad.tensor(2.0, dtype=fngrad.float64)).dtype == fngrad.float16
    assert (h + fngrad.tensor([1.0], dtype=fngrad.float64)).dtype == fngrad.float64
    assert (fngrad.tensor([True]) + fngrad.tensor(3, dtype=fngrad.int8)).dtype == fngrad.int8


@pytest.mark.parametrize("d", INTS, ids=lambda d: NAME[d])
def test_integer_arithmetic_wraps_as_numpy(d):
    npd = NUMPY_OF[d]
    info = np.iinfo(npd)
    rng = np.random.default_rng(1)
    a = rng.integers(info.min, info.max, 50, endpoint=True).astype(npd)
    b = rng.integers(info.min, info.max, 50, endpoint=True).astype(npd)
    b[b == 0] = 1
    x, y = fngrad.tensor(a), fngrad.tensor(b)
    with np.errstate(over="ignore"):
        for got, want in [(x + y, a + b), (x - y, a - b), (x * y, a * b), (-x, -a), (x * 3, a * npd(3)),
                          (x & y, a & b), (x | y, a | b), (x ^ y, a ^ b), (~x, ~a), (x.abs(), np.abs(a)),
                          (fngrad.maximum(x, y), np.maximum(a, b)), (x.clamp(-5, 5), np.clip(a, max(-5, info.min), 5))]:
            assert got.dtype == d
            np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_allclose((x / y).numpy(), a.astype(np.float32) / b.astype(np.float32), rtol=1e-6)
    assert (x / y).dtype == fngrad.float32
    np.testing.assert_allclose(x.exp().numpy() if d == fngrad.int8 else x.sin().numpy(),
                               np.exp(a.astype(np.float32)) if d == fngrad.int8 else np.sin(a.astype(np.float32)),
                               rtol=1e-6, atol=1e-6)
    # In place: the result stays in the tensor's dtype and wraps.
    z = fngrad.tensor(a)
    z += y
    z.mul_(3)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(z.numpy(), (a + b) * npd(3))
    assert z.dtype == d


def test_wraparound_examples_from_pytorch():
    assert (fngrad.tensor([100], dtype=fngrad.int8) * 3).tolist() == [44]
    assert (fngrad.tensor([250], dtype=fngrad.uint8) + 10).tolist() == [4]
    assert (fngrad.tensor([1, 2], dtype=fngrad.uint8) - 3).tolist() == [254, 255]


def test_float16_ops_round_once_per_op():
    rng = np.random.default_rng(2)
    a = rng.uniform(-4, 4, 200).astype(np.float16)
    b = rng.uniform(0.5, 4, 200).astype(np.float16)
    x, y = fngrad.tensor(a), fngrad.tensor(b)
    f32 = lambda v: v.astype(np.float32)  # noqa: E731
    cases = [(x + y, f32(a) + f32(b)), (x * y, f32(a) * f32(b)), (x / y, f32(a) / f32(b)), (x - 1.5, f32(a) - 1.5),
             (x.exp(), np.exp(f32(a))), (y.log(), np.log(f32(b))), (x.tanh(), np.tanh(f32(a))),
             (x.relu(), np.maximum(f32(a), 0)), (fngrad.addcmul(x, x, y, value=0.5), f32(a) + 0.5 * f32(a) * f32(b)),
             (x.pow(2), f32(a) ** 2), (y.sqrt(), np.sqrt(f32(b)))]
    for got, want in cases:
        assert got.dtype == fngrad.float16
        # One rounding of the float32 result (a transcendental may differ by its float32 ulp).
        np.testing.assert_allclose(got.numpy().astype(np.float32), want.astype(np.float16).astype(np.float32),
                                   rtol=2e-3, atol=2e-3)
    np.testing.assert_array_equal((x * y).numpy(), (f32(a) * f32(b)).astype(np.float16))  # products are exact in f32
    np.testing.assert_array_equal((x + y).numpy(), (f32(a) + f32(b)).astype(np.float16))


def test_bfloat16_arithmetic_rounds_to_bfloat16():
    a = np.random.default_rng(3).uniform(-3, 3, 50).astype(np.float32)
    x = fngrad.tensor(a).bfloat16()
    got = (x * x + 1).float().numpy()
    xa = bf16_round(a)
    want = bf16_round(bf16_round(xa * xa) + np.float32(1))
    np.testing.assert_array_equal(got, want)
    assert (x * x).dtype == fngrad.bfloat16


@pytest.mark.parametrize("d", NEW, ids=lambda d: NAME[d])
def test_reductions_follow_pytorch_dtypes(d):
    npd = NUMPY_OF[d]
    a = (np.arange(24).reshape(2, 3, 4) % 7 + 1).astype(npd)
    x = fngrad.tensor(a)
    floating = d.is_floating_point
    s = x.sum()
    assert s.dtype == (d if floating else fngrad.int64)
    assert s.item() == a.astype(np.int64).sum()
    assert x.sum(1).dtype == s.dtype
    np.testing.assert_array_equal(x.sum(1).numpy(), a.astype(np.float64 if floating else np.int64).sum(1))
    assert x.sum(dtype=fngrad.int8).dtype == fngrad.int8  # dtype= reduces in that dtype
    p = x[:, :2, :2].prod()
    assert p.dtype == (d if floating else fngrad.int64) and p.item() == a[:, :2, :2].astype(np.int64).prod()
    assert x.amax().dtype == d and x.amax().item() == a.max()
    values, idx = x.max(dim=2)
    assert values.dtype == d and idx.dtype == fngrad.int64
    np.testing.assert_array_equal(values.numpy(), a.max(2))
    np.testing.assert_array_equal(idx.numpy(), a.argmax(2))
    np.testing.assert_array_equal(x.argmin(1).numpy(), a.argmin(1))
    assert x.all().item() and bool(x.any(0).all())
    if floating:
        assert x.mean().dtype == d and abs(x.mean().item() - a.astype(np.float64).mean()) < 1e-2
        np.testing.assert_allclose(x.softmax(-1).float().numpy(),
                                   np.exp(a - a.max(-1, keepdims=True)) / np.exp(a - a.max(-1, keepdims=True)).sum(
                                       -1, keepdims=True), atol=1e-3)
        assert x.std().dtype == d
    else:
        with pytest.raises(RuntimeError, match="mean"):
            x.mean()


def test_sum_of_int8_does_not_overflow():
    a = np.full(1000, 100, dtype=np.int8)
    assert fngrad.tensor(a).sum().item() == 100_000
    assert fngrad.tensor(np.full(300, 255, dtype=np.uint8)).sum().item() == 76_500


@pytest.mark.parametrize("d", NEW + [fngrad.bfloat16], ids=lambda d: NAME[d])
def test_comparisons_indexing_and_where(d):
    a = np.array([[3, 1, 4], [1, 5, 9]], dtype=np.float32)
    x = fngrad.tensor(a).to(d)
    y = fngrad.tensor(a[::-1].copy()).to(d)
    np.testing.assert_array_equal((x < y).numpy(), a < a[::-1])
    np.testing.assert_array_equal((x == 1).numpy(), a == 1)
    np.testing.assert_array_equal((x >= fngrad.tensor(4)).numpy(), a >= 4)
    assert x[1, 2].item() == 9 and x[1].dtype == d
    assert x[:, 1].tolist() == [1, 5]
    assert x[x > 2].tolist() == [3, 4, 5, 9]
    assert x[[1, 0], [0, 2]].tolist() == [1, 4]
    assert x.t().contiguous().tolist() == a.T.tolist()
    assert fngrad.where(x > 2, x, y).tolist() == np.where(a > 2, a, a[::-1]).tolist()
    assert fngrad.where(x > 2, x, 0).dtype == d
    assert x.masked_fill(x > 3, 2).tolist() == np.where(a > 3, 2, a).tolist()
    assert fngrad.cat([x, y]).dtype == d and fngrad.stack([x, y]).shape == (2, 2, 3)
    assert x.reshape(3, 2)[[2, 1, 0]].tolist() == a.reshape(3, 2)[::-1].tolist()
    z = x.clone()
    z[0, 0] = 7
    z[z == 1] = 2
    z[1, [0, 2]] = fngrad.tensor([6, 6]).to(d)
    z.masked_fill_(z == 4, 0)
    assert z.tolist() == [[7, 2, 0], [6, 5, 6]] and z.dtype == d
    z.fill_(3)
    z.zero_()
    z.copy_(x)
    assert z.tolist() == a.tolist()


@pytest.mark.parametrize("d", NEW + [fngrad.bfloat16], ids=lambda d: NAME[d])
def test_repr(d):
    x = fngrad.tensor([1, 2], dtype=d)
    floating = d.is_floating_point
    assert repr(x) == ("tensor([1., 2.], dtype=fngrad.%s)" if floating else "tensor([1, 2], dtype=fngrad.%s)") % NAME[d]
    assert repr(fngrad.tensor([0.1, 2.5], dtype=fngrad.float16)) == "tensor([0.1000, 2.5000], dtype=fngrad.float16)"


@requires_torch
@pytest.mark.parametrize("d", NEW + [fngrad.bfloat16], ids=lambda d: NAME[d])
def test_repr_matches_torch(d):
    import torch

    for data in ([1, 2], [[0.1, -3.7], [250.5, 1e-3]], [100, -7, 3]):
        f = repr(fngrad.tensor(data).to(d))
        t = repr(torch.tensor(data).to(getattr(torch, NAME[d])))
        assert f.replace("fngrad.", "torch.") == t, (f, t)


def test_float16_gradients_match_float64_loosely():
    rng = np.random.default_rng(4)
    a = rng.uniform(0.5, 2, (3, 4))
    b = rng.uniform(-1, 1, (4, 2))

    def loss(x, w):
        h = (x @ w).tanh() * x.sum(1, keepdim=True)
        return (h.exp().mean() + (x * x).sum() / 7 + x.softmax(-1).amax()).sum()

    x16 = fngrad.tensor(a, dtype=fngrad.float16, requires_grad=True)
    w16 = fngrad.tensor(b, dtype=fngrad.float16, requires_grad=True)
    loss(x16, w16).backward()
    assert x16.grad.dtype == fngrad.float16 and w16.grad.dtype == fngrad.float16
    # The reference runs on the same (float16-rounded) inputs in float64.
    x64 = fngrad.tensor(a.astype(np.float16).astype(np.float64), requires_grad=True)
    w64 = fngrad.tensor(b.astype(np.float16).astype(np.float64), requires_grad=True)
    loss(x64, w64).backward()
    np.testing.assert_allclose(x16.grad.numpy().astype(np.float64), x64.grad.numpy(), rtol=2e-2, atol=2e-2)
    np.testing.assert_allclose(w16.grad.numpy().astype(np.float64), w64.grad.numpy(), rtol=2e-2, atol=2e-2)


def test_float16_requires_grad_and_simple_gradients():
    h = fngrad.tensor([1.5, 2.0], dtype=fngrad.float16, requires_grad=True)
    y = (h * h).sum()
    assert y.dtype == fngrad.float16 and y.item() == 6.25
    assert type(y.grad_fn).__name__ == "SumBackward0" or y.grad_fn is not None
    y.backward()
    assert h.grad.dtype == fngrad.float16 and h.grad.tolist() == [3.0, 4.0]
    g = fngrad.zeros(2, dtype=fngrad.float16).requires_grad_()
    (g.half() * 3 + g.float()).sum().backward()
    assert g.grad.tolist() == [4.0, 4.0]
    # Mixed: a float16 leaf in a float32 computation gets a float16 gradient.
    m = fngrad.tensor([1.0, 2.0], dtype=fngrad.float16, requires_grad=True)
    (m * fngrad.tensor([3.0, 4.0])).sum().backward()
    assert m.grad.dtype == fngrad.float16 and m.grad.tolist() == [3.0, 4.0]


@requires_torch
def test_float16_gradients_match_torch():
    import torch

    rng = np.random.default_rng(5)
    a = rng.uniform(-2, 2, (4, 3)).astype(np.float16)
    results = []
    for lib in (fngrad, torch):
        x = lib.tensor(a, requires_grad=True)
        y = (x.sigmoid() * x + x.pow(3) / 4).sum(0) @ lib.tensor(a[0].astype(np.float16))
        y.backward()
        assert str(x.grad.dtype).endswith("float16")
        results.append(x.grad.detach().float().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-2, atol=1e-2)


@requires_torch
def test_errors_match_torch():
    import torch

    cases = [
        lambda L: L.tensor([1, 2], dtype=L.int32).mean(),
        lambda L: L.tensor([1, 2], dtype=L.int16).requires_grad_(),
        lambda L: L.tensor([1, 2], dtype=L.int8).add_(1.5),
        lambda L: L.tensor([1, 2], dtype=L.uint8).softmax(0),
        lambda L: L.tensor([1, 2], dtype=L.int32) // 0,
        lambda L: L.tensor([1.0], dtype=L.float16) & L.tensor([1.0], dtype=L.float16),
        lambda L: ~L.tensor([1.0], dtype=L.float16),
        lambda L: L.tensor([1, 2], dtype=L.int8).float().requires_grad_().half().int().sum().backward(),
        lambda L: L.ones(2, 2, dtype=L.int32) @ L.ones(2, 2, dtype=L.int16),
    ]
    for i, case in enumerate(cases):
        kinds = []
        for lib in (fngrad, torch):
            try:
                case(lib)
                kinds.append(None)
            except Exception as e:  # noqa: BLE001 - comparing the exception types
                kinds.append(type(e).__name__)
        assert kinds[0] == kinds[1], (i, kinds)
        assert kinds[0] is not None, i
