"""Every op of the table in op_table.py: forward against NumPy (float32, float64, non-contiguous
inputs, every spelling of the native elementwise ops), gradcheck and gradgradcheck in float64; and
the guard that every native elementwise op is in the table, fuzzed and tested."""

import numpy as np
import pytest

import fngrad
from fngrad.autograd import gradcheck, gradgradcheck
from op_table import ELEMENTWISE, OPS, SAMPLE_WINDOW, compile_form, load_fuzzer, np_softplus

IDS = [op.name for op in OPS]


def sample(op, seed, dtype=np.float64):
    """Inputs for op: uniform on each argument's interval (clipped to SAMPLE_WINDOW), pushed out of
    the neighbourhoods of its kinks and poles; redrawn while two operands tie."""
    rng = np.random.default_rng(seed)
    for _ in range(100):
        arrays = []
        for shape, arg in zip(op.shapes, op.args):
            a = rng.uniform(max(arg.lo, SAMPLE_WINDOW[0]), min(arg.hi, SAMPLE_WINDOW[1]), shape)
            for p, r in arg.avoid:
                d = a - p
                a = np.where(np.abs(d) <= r, a + np.where(d < 0, -r, r), a)
            arrays.append(a)
        if op.tie is None or np.abs(np.subtract(*arrays)).min() > op.tie:
            return [a.astype(dtype) for a in arrays]
    raise AssertionError(f"{op.name}: no sample without ties in 100 draws")


def coverage_gaps(native, table, fuzzed, tested):
    """For each native op: a message when it has no row in the op table, the fuzzer never produces
    it, or the op tests do not cover it."""
    gaps = []
    for name in native:
        if name not in table:
            gaps.append(f"{name}: no row in tests/op_table.py ELEMENTWISE (NumPy reference, where it is checked)")
        if name not in fuzzed:
            gaps.append(f"{name}: never produced by the generators of stress/fuzz_graphs.py")
        if name not in tested:
            gaps.append(f"{name}: not covered by the op tests (OPS in tests/op_table.py)")
    return gaps


def native_elementwise_ops():
    """The native unary ops, and the native binary ops once _C lists them (the table's until then)."""
    binary = getattr(fngrad._C, "binary_ops", None)
    if binary is None:
        binary = [row.name for row in ELEMENTWISE.values() if row.arity == 2]
    return list(fngrad._C.unary_ops) + list(binary)


@pytest.fixture(scope="module")
def fuzzed_ops():
    """The ops the fuzzer's generators emit over 300 seeds (NumPy only; small graphs, which draw
    from the same generators as big ones)."""
    fuzz = load_fuzzer()
    big = fuzz.BIG_P
    fuzz.set_big(0.0)
    try:
        return {fuzz.op_name(op["kind"]) for seed in range(300) for op in fuzz.generate(seed).ops}
    finally:
        fuzz.set_big(big)


def op_test_names():
    return {op.name for op in OPS if op.ref is not None}


def test_every_native_op_is_in_the_table_fuzzed_and_tested(fuzzed_ops):
    gaps = coverage_gaps(native_elementwise_ops(), set(ELEMENTWISE), fuzzed_ops, op_test_names())
    assert not gaps, "\n".join(gaps)


def test_the_coverage_guard_names_an_unknown_op(fuzzed_ops):
    gaps = coverage_gaps(native_elementwise_ops() + ["frobnicate"], set(ELEMENTWISE), fuzzed_ops, op_test_names())
    assert gaps == [
        "frobnicate: no row in tests/op_table.py ELEMENTWISE (NumPy reference, where it is checked)",
        "frobnicate: never produced by the generators of stress/fuzz_graphs.py",
        "frobnicate: not covered by the op tests (OPS in tests/op_table.py)",
    ]
    # An op in the table that the fuzzer stopped producing is named too.
    assert coverage_gaps(["exp"], set(ELEMENTWISE), fuzzed_ops - {"exp"}, op_test_names()) == [
        "exp: never produced by the generators of stress/fuzz_graphs.py"]


def test_the_guard_reads_native_binary_ops_once_c_lists_them(monkeypatch, fuzzed_ops):
    monkeypatch.setattr(fngrad._C, "binary_ops", ("add", "sub", "nextafter"), raising=False)
    assert native_elementwise_ops() == list(fngrad._C.unary_ops) + ["add", "sub", "nextafter"]
    assert [gap.split(":")[0] for gap in coverage_gaps(native_elementwise_ops(), set(ELEMENTWISE), fuzzed_ops,
                                                       op_test_names())] == ["nextafter"] * 3


@pytest.mark.parametrize("row", ELEMENTWISE.values(), ids=list(ELEMENTWISE))
def test_every_spelling_computes_the_reference(row):
    """The fuzzer calls the ops by these spellings: each one computes the op."""
    op = next(op for op in OPS if op.name == row.name)
    arrays = sample(op, 4)
    expected = row.ref(*arrays)
    tensors = [fngrad.from_numpy(a) for a in arrays]
    for form in row.spellings:
        np.testing.assert_allclose(compile_form(form, row.arity)(*tensors).numpy(), expected,
                                   rtol=1e-12, atol=1e-12, err_msg=form)
    for form in row.scalar_forms:
        s = 1.5  # where every operand of the table is checked
        scalar_left = row.number_first(form)
        assert row.accepts(*((s, arrays[1]) if scalar_left else (arrays[0], s)))
        fn = compile_form(form.replace("{s}", repr(s)), 1)
        x = arrays[1] if scalar_left else arrays[0]
        np.testing.assert_allclose(fn(fngrad.from_numpy(x)).numpy(), row.ref(s, x) if scalar_left else row.ref(x, s),
                                   rtol=1e-12, atol=1e-12, err_msg=form)


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


@pytest.mark.parametrize("row", ELEMENTWISE.values(), ids=list(ELEMENTWISE))
def test_native_elementwise_forward_in_float16(row):
    """float16 is a storage dtype (Note [Storage dtypes] in csrc/core/dtype.h): each native op computes
    in float32 and rounds its result once, so it is within half an ulp of float16 (2**-11) of the
    exact result on the same float16 inputs."""
    op = next(op for op in OPS if op.name == row.name)
    arrays = [a.astype(np.float16) for a in sample(op, 0)]
    out = op.fn(*[fngrad.from_numpy(a) for a in arrays])
    expected = np.asarray(op.ref(*[a.astype(np.float64) for a in arrays]))
    assert out.dtype == fngrad.float16
    np.testing.assert_allclose(out.numpy().astype(np.float64), expected, rtol=2**-10, atol=2**-10)


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
    fn, ref = getattr(fngrad, name), ELEMENTWISE[name].ref
    empty = fngrad.zeros(0, 3)
    assert fn(empty).shape == (0, 3)
    zero_dim = fngrad.tensor(0.5)
    np.testing.assert_allclose(fn(zero_dim).numpy(), ref(np.float32(0.5)), rtol=1e-6)
    x = fngrad.tensor(0.5, requires_grad=True)
    fn(x).backward()
    assert x.grad.shape == ()


def test_edge_values():
    # relu at 0: no gradient (PyTorch's choice); sigmoid and softplus at +-80: no overflow, no NaN,
    # and the tiny sigmoid(-80) to the last bits.
    x = fngrad.tensor([0.0, -80.0, 80.0], dtype=fngrad.float32, requires_grad=True)
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    x64 = np.array([-80.0, 0.0, 80.0])
    sig = ELEMENTWISE["sigmoid"].ref(x64)  # 1.8048513878454153e-35 at -80: a normal float32 as well
    for dtype, np_dtype in ((fngrad.float32, np.float32), (fngrad.float64, np.float64)):
        rtol = 4 * np.finfo(np_dtype).eps
        t = fngrad.tensor(x64, dtype=dtype, requires_grad=True)
        s = t.sigmoid()
        np.testing.assert_allclose(s.detach().numpy(), sig, rtol=rtol, atol=0)
        s.sum().backward()
        # PyTorch's formula y * (1 - y): exactly 0 at +80, where 1 - y rounds to 0.
        np.testing.assert_allclose(t.grad.numpy(), sig * (1 - sig), rtol=rtol, atol=0)
        t.grad = None
        sp = fngrad.nn.functional.softplus(t)
        np.testing.assert_allclose(sp.detach().numpy(), np_softplus(x64), rtol=rtol, atol=0)
        sp.sum().backward()
        np.testing.assert_allclose(t.grad.numpy(), sig, rtol=rtol, atol=0)
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
        np.testing.assert_allclose(getattr(fngrad, name)(t).numpy(), ELEMENTWISE[name].ref(a.astype(np.float64)),
                                   rtol=rtol, atol=1e-30, err_msg=name)
    pos = np.abs(a) + 0.01
    np.testing.assert_allclose(fngrad.from_numpy(pos).log().numpy(), np.log(pos.astype(np.float64)), rtol=rtol)
