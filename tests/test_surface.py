"""The torch surface that real code touches around tensors: devices, the default dtype, legacy
constructors and type names, in-place random initialisers, comparison functions, closeness,
grad-mode decorators, numpy() under no_grad and small tensor attributes. Each behaviour is
checked against an independent expectation and, where PyTorch is installed, against PyTorch."""

import math
import pickle
import threading

import numpy as np
import pytest

import fngrad
from conftest import requires_torch


def outcome(fn):
    """(kind, value): the result, or the exception type and message, of fn()."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001  (any exception is an outcome to compare)
        return type(e).__name__, str(e)


# ---- devices ----

def test_device_construction_and_equality():
    d = fngrad.device("cpu")
    assert (d.type, d.index, repr(d), str(d)) == ("cpu", None, "device(type='cpu')", "cpu")
    d0 = fngrad.device("cpu", 0)
    assert (d0.type, d0.index, repr(d0), str(d0)) == ("cpu", 0, "device(type='cpu', index=0)", "cpu:0")
    assert fngrad.device("cpu:0") == d0 == fngrad.device(type="cpu", index=0)
    assert d != d0 and d == fngrad.device(d) and hash(d) == hash(fngrad.device("cpu"))
    assert d != "cpu"  # devices compare equal to devices only, as in PyTorch
    assert fngrad.device("cuda", 1) == fngrad.device("cuda:1")
    assert pickle.loads(pickle.dumps(d0)) == d0
    assert fngrad.ones(2).device == fngrad.device("cpu") and type(fngrad.ones(2).device) is fngrad.device


def test_device_errors():
    assert outcome(lambda: fngrad.device("bogus"))[0] == "RuntimeError"
    assert outcome(lambda: fngrad.device("cpu:x")) == ("RuntimeError", "Invalid device string: 'cpu:x'")
    assert outcome(lambda: fngrad.device("cpu", -2)) == ("RuntimeError", "Device index must not be negative")
    assert outcome(lambda: fngrad.device(0))[0] == "RuntimeError"
    assert outcome(lambda: fngrad.device())[0] == "TypeError"


def test_cuda_is_absent_and_using_it_raises():
    assert fngrad.cuda.is_available() is False and fngrad.cuda.device_count() == 0
    assert fngrad.backends.mps.is_available() is False
    fngrad.cuda.manual_seed_all(0)  # seeding code runs unchanged
    no_cuda = ("AssertionError", "Torch not compiled with CUDA enabled")
    x = fngrad.ones(2)
    for fn in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: x.to(fngrad.device("cuda")),
               lambda: fngrad.zeros(2, device="cuda"), lambda: fngrad.tensor([1.0], device="cuda:0"),
               lambda: fngrad.randn(2, device=fngrad.device("cuda")), lambda: fngrad.cuda.current_device()):
        assert outcome(fn) == no_cuda
    assert outcome(lambda: x.to("mps"))[0] == "RuntimeError"


def test_to_forms():
    x = fngrad.tensor([1.5, -2.0])
    cpu = fngrad.device("cpu")
    assert x.to("cpu") is x and x.to(cpu) is x and x.to(device=cpu) is x and x.cpu() is x
    for y in (x.to(cpu, fngrad.float64), x.to("cpu", dtype=fngrad.float64), x.to(fngrad.zeros(1, dtype=fngrad.float64)),
              x.to(dtype=fngrad.float64, device="cpu", non_blocking=False, copy=False)):
        assert y.dtype == fngrad.float64 and y.tolist() == [1.5, -2.0]
    c = x.to(cpu, copy=True)
    assert c is not x and c.tolist() == x.tolist()
    assert x.to("cpu", None, False, True) is not x  # (device, dtype, non_blocking, copy) positionally


def test_creation_functions_accept_device():
    cpu = fngrad.device("cpu")
    made = [fngrad.zeros(2, device=cpu), fngrad.ones(2, device="cpu"), fngrad.empty(2, device=cpu),
            fngrad.full((2,), 1.0, device=cpu), fngrad.tensor([1.0, 2.0], device=cpu),
            fngrad.as_tensor([1.0, 2.0], device=cpu), fngrad.randn(2, device=cpu), fngrad.rand(2, device=cpu),
            fngrad.arange(2, device=cpu), fngrad.linspace(0, 1, 2, device=cpu), fngrad.randint(0, 3, (2,), device=cpu),
            fngrad.randperm(2, device=cpu), fngrad.eye(2, device=cpu)[0]]
    t = fngrad.ones(2)
    made += [f(t, device=cpu) for f in (fngrad.zeros_like, fngrad.ones_like, fngrad.empty_like, fngrad.randn_like,
                                        fngrad.rand_like)]
    made.append(fngrad.full_like(t, 3.0, device=cpu))
    made += [t.new_zeros(2, device=cpu), t.new_ones(2, device="cpu"), t.new_empty(2, device=cpu),
             t.new_full((2,), 1.0, device=cpu), t.new_tensor([1.0, 2.0], device=cpu)]
    assert all(m.device == cpu and m.shape == (2,) for m in made)


def test_default_device():
    assert fngrad.get_default_device() == fngrad.device("cpu")
    t = fngrad.tensor([1.0])
    fngrad.set_default_device("cuda")  # accepted, as in PyTorch; creating a tensor then fails
    try:
        assert outcome(lambda: fngrad.zeros(2)) == ("AssertionError", "Torch not compiled with CUDA enabled")
        assert outcome(lambda: fngrad.tensor([1.0]))[0] == "AssertionError"
        assert fngrad.zeros_like(t).shape == (1,)  # a *_like function takes its input's device
    finally:
        fngrad.set_default_device(None)
    assert fngrad.zeros(1).device == fngrad.device("cpu")
    with fngrad.device("cpu"):
        assert fngrad.get_default_device() == fngrad.device("cpu")
    seen = []
    fngrad.set_default_device("cuda")
    try:  # per thread, as PyTorch's
        thread = threading.Thread(target=lambda: seen.append(fngrad.get_default_device()))
        thread.start()
        thread.join()
    finally:
        fngrad.set_default_device(None)
    assert seen == [fngrad.device("cpu")]


@requires_torch
def test_devices_match_torch():
    import torch

    def run(lib):
        x = lib.ones(2)
        cases = [lambda: repr(lib.device("cpu")), lambda: repr(lib.device("cpu", 0)), lambda: repr(lib.device("cuda:1")),
                 lambda: repr(lib.device(type="cpu", index=0)), lambda: lib.device("cpu") == "cpu",
                 lambda: lib.device("cpu") == lib.device("cpu", 0), lambda: str(lib.device("cpu", 0)),
                 lambda: lib.device("cpu", -2), lambda: lib.device("cpu:x"), lambda: lib.device(0),
                 lambda: lib.device("cpu:0", 1), lambda: repr(x.device), lambda: x.device == lib.device("cpu"),
                 lambda: x.cuda(), lambda: x.to("cuda"), lambda: lib.zeros(2, device="cuda"), lambda: x.get_device(),
                 lambda: x.is_cpu, lambda: x.is_cuda, lambda: lib.cuda.is_available(), lambda: lib.cuda.device_count(),
                 lambda: lib.backends.mps.is_available(), lambda: lib.cuda.current_device(),
                 lambda: repr(lib.get_default_device()), lambda: x.to(lib.device("cpu"), lib.float64).tolist(),
                 lambda: lib.backends.cudnn.deterministic]
        return [outcome(c) for c in cases]

    assert run(fngrad) == run(torch)


# ---- default dtype ----

def test_default_dtype_follows_set_default_dtype():
    assert fngrad.get_default_dtype() == fngrad.float32
    fngrad.set_default_dtype(fngrad.float64)
    try:
        assert fngrad.get_default_dtype() == fngrad.float64
        made = [fngrad.tensor([1.5]), fngrad.tensor(0.1), fngrad.zeros(1), fngrad.ones(1), fngrad.empty(1),
                fngrad.randn(1), fngrad.rand(1), fngrad.full((1,), 0.5), fngrad.arange(0.5), fngrad.linspace(0, 1, 2),
                fngrad.eye(1), fngrad.Tensor(2), fngrad.Tensor([1, 2])]
        assert all(t.dtype == fngrad.float64 for t in made)
        assert fngrad.tensor(0.1).item() == 0.1  # not rounded through float32
        assert fngrad.tensor([1]).dtype == fngrad.int64 and fngrad.tensor(np.float32(1)).dtype == fngrad.float32
    finally:
        fngrad.set_default_dtype(fngrad.float32)
    assert fngrad.tensor([1.5]).dtype == fngrad.float32 and fngrad.zeros(1).dtype == fngrad.float32
    assert outcome(lambda: fngrad.set_default_dtype(fngrad.int64)) == (
        "TypeError", "only floating-point types are supported as the default type")


@requires_torch
def test_default_dtype_matches_torch():
    import torch

    def run(lib):
        lib.set_default_dtype(lib.float64)
        try:
            return [str(t.dtype).split(".")[1] for t in (lib.tensor([1.5]), lib.zeros(1), lib.arange(0.5),
                                                         lib.full((1,), 0.5), lib.Tensor(1), lib.tensor([1]))]
        finally:
            lib.set_default_dtype(lib.float32)

    assert run(fngrad) == run(torch)


# ---- legacy constructors and type names ----

def test_legacy_constructors():
    t = fngrad.Tensor(2, 3)
    assert t.shape == (2, 3) and t.dtype == fngrad.float32
    assert fngrad.Tensor(fngrad.Size([2, 3])).shape == (2, 3)
    assert fngrad.Tensor([1, 2]).dtype == fngrad.float32 and fngrad.Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert fngrad.Tensor((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data, a Size is a shape
    assert fngrad.Tensor().shape == (0,)
    assert fngrad.LongTensor([1.7, 2]).tolist() == [1, 2] and fngrad.LongTensor(4).shape == (4,)
    assert fngrad.DoubleTensor(2, 2).dtype == fngrad.float64
    assert fngrad.BoolTensor([1, 0]).tolist() == [True, False]
    assert fngrad.FloatTensor(np.arange(3)).tolist() == [0.0, 1.0, 2.0]
    assert isinstance(fngrad.ones(2), fngrad.FloatTensor) and not isinstance(fngrad.ones(2), fngrad.DoubleTensor)
    assert isinstance(fngrad.ones(2, dtype=fngrad.int64), fngrad.LongTensor)
    assert outcome(lambda: fngrad.Tensor(2.5)) == ("TypeError", "new(): data must be a sequence (got float)")
    assert outcome(lambda: fngrad.FloatTensor(fngrad.ones(2, dtype=fngrad.float64)))[0] == "TypeError"


def test_type_and_new():
    x = fngrad.ones(2)
    assert x.type() == "fngrad.FloatTensor"
    assert fngrad.ones(1, dtype=fngrad.int64).type() == "fngrad.LongTensor"
    assert x.type(fngrad.float32) is x
    for target in (fngrad.float64, fngrad.DoubleTensor, "torch.DoubleTensor", "fngrad.DoubleTensor"):
        y = x.type(target)
        assert y.dtype == fngrad.float64 and y.tolist() == [1.0, 1.0]
    assert outcome(lambda: x.type("float")) == ("ValueError", "invalid type: 'float'")
    assert x.new(2, 3).shape == (2, 3) and x.new(2, 3).dtype == fngrad.float32
    assert fngrad.ones(1, dtype=fngrad.int64).new([1.5, 2]).tolist() == [1, 2]
    assert x.new().shape == (0,) and x.new(fngrad.Size([4])).shape == (4,)
    assert x.new_empty(3).shape == (3,) and x.new_empty((3,), dtype=fngrad.float64).dtype == fngrad.float64
    v = fngrad.autograd.Variable(x, requires_grad=True)
    assert type(v) is fngrad.Tensor and v.requires_grad and x.requires_grad is False


@requires_torch
def test_legacy_surface_matches_torch():
    import torch

    def run(lib):
        x = lib.ones(2)
        cases = [lambda: tuple(lib.Tensor(2, 3).shape), lambda: lib.Tensor([1, 2]).tolist(), lambda: lib.Tensor().shape,
                 lambda: lib.Tensor((2, 3)).tolist(), lambda: tuple(lib.Tensor(lib.Size([2, 3])).shape),
                 lambda: lib.LongTensor([1.7, 2]).tolist(), lambda: lib.BoolTensor([1, 0]).tolist(),
                 lambda: str(lib.DoubleTensor(2).dtype).split(".")[1],
                 lambda: isinstance(x, lib.FloatTensor), lambda: isinstance(x, lib.DoubleTensor),
                 lambda: lib.Tensor(2.5), lambda: x.type().split(".")[1], lambda: x.type(lib.DoubleTensor).tolist(),
                 lambda: str(x.type("torch.LongTensor").dtype).split(".")[1], lambda: x.type("float"),
                 lambda: x.type(lib.float32) is x, lambda: tuple(x.new(2, 3).shape),
                 lambda: lib.ones(1, dtype=lib.int64).new([1.5, 2]).tolist(), lambda: tuple(x.new().shape),
                 lambda: tuple(x.new(lib.Size([4])).shape), lambda: x.nbytes, lambda: x.itemsize, lambda: x.nelement(),
                 lambda: x.ndimension(), lambda: x.element_size(), lambda: lib.is_floating_point(x),
                 lambda: lib.is_floating_point(x.long()), lambda: lib.numel(lib.ones(2, 3)),
                 lambda: type(lib.autograd.Variable(x, requires_grad=True)) is lib.Tensor]
        return [outcome(c) for c in cases]

    assert run(fngrad) == run(torch)


# ---- in-place random initialisers ----

def _samples(fill, n=20000, dtype=fngrad.float64):
    return fill(fngrad.empty(n, dtype=dtype)).numpy()


def test_random_initialisers_reproducible_and_distributed():
    fills = {
        "uniform_": lambda t: t.uniform_(-2, 3), "normal_": lambda t: t.normal_(1.0, 0.5),
        "random_": lambda t: t.random_(3, 7), "bernoulli_": lambda t: t.bernoulli_(0.3),
        "exponential_": lambda t: t.exponential_(2.0), "log_normal_": lambda t: t.log_normal_(0.0, 0.25),
        "cauchy_": lambda t: t.cauchy_(1.0, 2.0), "geometric_": lambda t: t.geometric_(0.25),
    }
    for name, fill in fills.items():
        fngrad.manual_seed(7)
        a = _samples(fill)
        fngrad.manual_seed(7)
        b = _samples(fill)
        np.testing.assert_array_equal(a, b, err_msg=name)
    fngrad.manual_seed(1)
    u = _samples(fills["uniform_"])
    assert u.min() >= -2 and u.max() < 3 and abs(u.mean() - 0.5) < 0.05
    n = _samples(fills["normal_"])
    assert abs(n.mean() - 1.0) < 0.02 and abs(n.std() - 0.5) < 0.02
    r = _samples(fills["random_"])
    assert set(np.unique(r)) == {3.0, 4.0, 5.0, 6.0}
    assert abs(_samples(fills["bernoulli_"]).mean() - 0.3) < 0.02
    assert abs(_samples(fills["exponential_"]).mean() - 0.5) < 0.02
    ln = _samples(fills["log_normal_"])
    assert abs(np.log(ln).mean()) < 0.01 and abs(np.log(ln).std() - 0.25) < 0.01
    assert abs(np.median(_samples(fills["cauchy_"])) - 1.0) < 0.1
    g = _samples(fills["geometric_"])
    assert g.min() == 1 and abs(g.mean() - 4.0) < 0.15  # trials up to the first success: mean 1/p
    assert fngrad.empty(3).uniform_(**{"from": 5, "to": 6}).min().item() >= 5
    assert set(fngrad.empty(200, dtype=fngrad.int64).random_(4).tolist()) == {0, 1, 2, 3}
    assert set(fngrad.empty(200, dtype=fngrad.bool).random_().tolist()) == {False, True}
    p = fngrad.tensor([0.0, 1.0, 1.0])
    assert fngrad.empty(3).bernoulli_(p).tolist() == [0.0, 1.0, 1.0]


def test_random_initialisers_follow_randn_rand_and_generators():
    fngrad.manual_seed(3)
    a = fngrad.randn(5)
    fngrad.manual_seed(3)
    assert fngrad.equal(fngrad.empty(5).normal_(), a)  # as in PyTorch: the same stream as randn
    fngrad.manual_seed(3)
    a = fngrad.rand(5)
    fngrad.manual_seed(3)
    assert fngrad.equal(fngrad.empty(5).uniform_(), a)
    g1, g2 = fngrad.Generator().manual_seed(9), fngrad.Generator().manual_seed(9)
    assert fngrad.equal(fngrad.empty(4).normal_(generator=g1), fngrad.empty(4).normal_(generator=g2))


def test_random_initialisers_in_place_rules():
    x = fngrad.zeros(3)
    v = x._version
    assert x.normal_() is x and x._version > v
    t = fngrad.ones(4, 2).t()  # non-contiguous: every element written
    t.uniform_(5, 6)
    assert (t.numpy() >= 5).all()
    leaf = fngrad.zeros(3, requires_grad=True)
    assert outcome(lambda: leaf.uniform_())[0] == "RuntimeError"
    with fngrad.no_grad():
        leaf.uniform_()
    y = leaf * 1
    y.normal_()
    y.sum().backward()
    assert leaf.grad.tolist() == [0.0, 0.0, 0.0]  # the overwritten value gets no gradient


@requires_torch
def test_random_initialiser_errors_match_torch():
    import torch

    def run(lib):
        f, i, b = lib.zeros(3), lib.zeros(3, dtype=lib.int64), lib.zeros(3, dtype=lib.bool)
        cases = [lambda: f.uniform_(3, 2), lambda: f.uniform_(**{"from": 3.5, "to": 2}), lambda: f.exponential_(0.0),
                 lambda: f.bernoulli_(2.0), lambda: f.geometric_(1.0), lambda: f.normal_(0, -1), lambda: i.uniform_(),
                 lambda: i.normal_(),
                 lambda: f.random_(5, 2), lambda: f.random_(0), lambda: f.bernoulli_(1.5), lambda: f.exponential_(0),
                 lambda: i.exponential_(), lambda: f.geometric_(0), lambda: f.geometric_(1), lambda: f.cauchy_(0, 0),
                 lambda: i.cauchy_(), lambda: b.cauchy_(), lambda: f.log_normal_(0, 0), lambda: i.log_normal_(),
                 lambda: b.geometric_(0.5), lambda: b.random_(3), lambda: b.random_(-1, 2),
                 lambda: lib.zeros(3, requires_grad=True).uniform_(), lambda: f.normal_(2, 0.0).tolist(),
                 lambda: f.uniform_(2, 2).tolist(), lambda: f.zero_().tolist(), lambda: f.fill_(3).tolist()]
        return [outcome(c) for c in cases]

    assert run(fngrad) == run(torch)


# ---- comparisons and closeness ----

def test_comparison_functions_match_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 3, (3, 4)).astype(np.float64), rng.integers(0, 3, (4,)).astype(np.float64)
    ta, tb = fngrad.from_numpy(a), fngrad.from_numpy(b)
    refs = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
            "ge": np.greater_equal, "greater": np.greater, "less": np.less, "greater_equal": np.greater_equal,
            "less_equal": np.less_equal, "not_equal": np.not_equal}
    for name, ref in refs.items():
        np.testing.assert_array_equal(getattr(fngrad, name)(ta, tb).numpy(), ref(a, b), err_msg=name)
        np.testing.assert_array_equal(getattr(ta, name)(tb).numpy(), ref(a, b), err_msg=name)
        np.testing.assert_array_equal(getattr(fngrad, name)(ta, 1).numpy(), ref(a, 1), err_msg=name)
    out = fngrad.empty(3, 4, dtype=fngrad.bool)
    assert fngrad.gt(ta, tb, out=out) is out and (out.numpy() == (a > b)).all()
    np.testing.assert_array_equal(fngrad.subtract(ta, tb, alpha=2).numpy(), a - 2 * b)
    np.testing.assert_array_equal(ta.multiply(tb).numpy(), a * b)
    np.testing.assert_array_equal(fngrad.true_divide(ta, 4).numpy(), a / 4)
    c = ta.clone()
    c.subtract_(tb, alpha=3)
    np.testing.assert_array_equal(c.numpy(), a - 3 * b)


def test_isclose_allclose_equal():
    a = fngrad.tensor([1.0, 2.0, math.nan, math.inf, -math.inf, 0.0])
    b = fngrad.tensor([1.0 + 1e-6, 2.1, math.nan, math.inf, math.inf, 1e-9])
    x, y = a.numpy(), b.numpy()
    np.testing.assert_array_equal(fngrad.isclose(a, b).numpy(), np.isclose(x, y))
    np.testing.assert_array_equal(a.isclose(b, equal_nan=True).numpy(), np.isclose(x, y, equal_nan=True))
    np.testing.assert_array_equal(fngrad.isclose(a, b, rtol=0.1, atol=0).numpy(), np.isclose(x, y, rtol=0.1, atol=0))
    assert fngrad.allclose(a[:2], a[:2] + 1e-7) and not a.allclose(b)
    assert fngrad.allclose(a[2:4], a[2:4], equal_nan=True) and not fngrad.allclose(a[2:4], a[2:4])
    assert fngrad.equal(fngrad.tensor([1, 2]), fngrad.tensor([1.0, 2.0]))
    assert not fngrad.equal(fngrad.ones(2), fngrad.ones(1, 2)) and not fngrad.equal(a, a)  # NaN equals nothing
    assert fngrad.ones(3).equal(fngrad.ones(3))
    w = fngrad.ones(2, requires_grad=True)
    assert fngrad.allclose(w, w * 1) and not fngrad.isclose(w, w * 2).requires_grad


@requires_torch
def test_comparisons_match_torch():
    import torch

    def run(lib):
        a = lib.tensor([1.0, 2.0, math.nan, math.inf, 0.0])
        b = lib.tensor([1.00001, 2.1, math.nan, math.inf, 1e-9])
        cases = [lambda: lib.isclose(a, b).tolist(), lambda: lib.isclose(a, b, equal_nan=True).tolist(),
                 lambda: lib.allclose(a, b), lambda: lib.allclose(a[:2], a[:2] + 1e-7),
                 lambda: lib.isclose(a, b.double()), lambda: lib.isclose(lib.tensor([1, 2]), lib.tensor([1, 3])).tolist(),
                 lambda: lib.isclose(lib.tensor([True]), lib.tensor([False])).tolist(),
                 lambda: lib.isclose(lib.ones(2), lib.ones(1, 2)).tolist(),
                 lambda: lib.isclose(lib.ones(2), lib.ones(2), rtol=-1), lambda: lib.isclose(lib.ones(2), lib.ones(2), atol=-1),
                 lambda: lib.isclose(lib.ones(2), 1.0), lambda: lib.allclose(lib.ones(2), 1.0),
                 lambda: lib.equal(lib.ones(2), lib.ones(2).double()), lambda: lib.equal(lib.ones(2), lib.ones(3)),
                 lambda: lib.equal(lib.ones(2), lib.ones(1, 2)), lambda: lib.equal(a, a), lambda: lib.equal(lib.ones(2), 1.0),
                 lambda: lib.eq(lib.ones(2), 1).tolist(), lambda: lib.not_equal(lib.ones(2), 0).tolist(),
                 lambda: lib.less_equal(a, b).tolist(), lambda: lib.ones(2).greater(lib.zeros(2)).tolist(),
                 lambda: lib.sub(lib.ones(2), 1, alpha=2).tolist(), lambda: lib.subtract(lib.ones(2), 1, alpha=2).tolist(),
                 lambda: lib.multiply(lib.ones(2), 3).tolist(), lambda: lib.true_divide(lib.ones(2), 4).tolist(),
                 lambda: lib.ones(2).multiply_(3).tolist(), lambda: lib.ones(2).true_divide_(2).tolist()]
        return [outcome(c) for c in cases]

    assert run(fngrad) == run(torch)


# ---- grad modes, numpy() ----

def test_grad_mode_decorators_without_parentheses():
    def enabled():
        return fngrad.is_grad_enabled()

    assert fngrad.no_grad(enabled)() is False and fngrad.no_grad()(enabled)() is False
    assert fngrad.no_grad(enabled).__name__ == "enabled"

    @fngrad.no_grad
    def f():
        return fngrad.enable_grad(enabled)()

    @fngrad.inference_mode
    def g():
        return fngrad.is_inference_mode_enabled()

    assert f() is True and g() is True and fngrad.inference_mode()(enabled)() is False
    assert fngrad.inference_mode(False)(enabled)() is True
    with fngrad.no_grad():
        assert not fngrad.is_grad_enabled()
    assert fngrad.is_grad_enabled()


def test_numpy_of_a_tensor_that_requires_grad():
    x = fngrad.ones(2, requires_grad=True)
    assert outcome(lambda: x.numpy())[0] == "RuntimeError"
    with fngrad.no_grad():
        a = x.numpy()
    a[0] = 5  # shares memory
    assert x.tolist() == [5.0, 1.0]
    assert x.numpy(force=True).tolist() == [5.0, 1.0]

    class AddOneInPlace(fngrad.autograd.Function):  # the mark_dirty example of PyTorch's docs
        @staticmethod
        def forward(ctx, t):
            t.numpy()[:] += 1
            ctx.mark_dirty(t)
            return t

        @staticmethod
        def backward(ctx, g):
            return g

    y = fngrad.ones(2, requires_grad=True).clone()
    z = AddOneInPlace.apply(y)
    assert z.tolist() == [2.0, 2.0] and z.grad_fn is not None


@requires_torch
def test_grad_modes_and_numpy_match_torch():
    import torch

    def run(lib):
        def enabled():
            return lib.is_grad_enabled()

        x = lib.ones(2, requires_grad=True)

        def numpy_in_no_grad():
            with lib.no_grad():
                return x.numpy().tolist()

        cases = [lambda: lib.no_grad(enabled)(), lambda: lib.enable_grad(enabled)(), lambda: lib.inference_mode(enabled)(),
                 lambda: lib.inference_mode(False)(enabled)(), lambda: lib.no_grad()(enabled)(),
                 lambda: lib.set_grad_enabled(enabled), lambda: lib.set_grad_enabled(0), lambda: x.numpy(),
                 numpy_in_no_grad, lambda: lib.is_grad_enabled()]
        return [outcome(c) for c in cases]

    assert run(fngrad) == run(torch)


# ---- printing options ----

@requires_torch
def test_set_printoptions_matches_torch():
    import torch

    def run(lib):
        x = lib.tensor([[1.23456789, -2.5, 1e-3], [400.0, 5.0, 6.0]])
        big = lib.arange(30.0)
        shown = []
        try:
            for options in ({"precision": 2}, {"sci_mode": True}, {"sci_mode": False}, {"profile": "short"},
                            {"threshold": 10}, {"threshold": 10, "edgeitems": 2}, {"linewidth": 30}, {"profile": "full"}):
                lib.set_printoptions(**options)
                shown.append(repr(x).replace("torch", "fngrad"))
                shown.append(repr(big))
        finally:
            lib.set_printoptions(profile="default")
        shown.append(repr(x))
        return shown

    assert run(fngrad) == run(torch)


# ---- memory layout ----

def test_stride_storage_offset_and_data_ptr():
    x = fngrad.arange(24.0).reshape(2, 3, 4)
    a = np.arange(24.0).reshape(2, 3, 4)
    for view, ref in ((x, a), (x.transpose(0, 2), a.transpose(2, 1, 0)), (x[1:, ::2, 1:], a[1:, ::2, 1:]),
                      (x[1, 2], a[1, 2])):
        assert view.stride() == tuple(s // 8 for s in ref.strides)
        offset = (ref.__array_interface__["data"][0] - a.__array_interface__["data"][0]) // 8
        assert view.storage_offset() == offset and view.data_ptr() == x.data_ptr() + 4 * offset
    assert fngrad.ones(3, 1).expand(3, 4).stride() == (1, 0) and x.stride(-1) == 1
    assert outcome(lambda: x.stride(3))[0] == "IndexError"


@requires_torch
def test_layout_matches_torch():
    import torch

    def run(lib):
        x = lib.arange(24.0).reshape(2, 3, 4)
        views = (x, x.transpose(0, 2), x[1:, ::2, 1:], x[1, 2], x[:, None], lib.ones(3, 1).expand(3, 4),
                 lib.tensor(1.0), lib.zeros(0, 3))
        cases = [lambda v=v: (v.stride(), v.storage_offset()) for v in views]
        cases += [lambda: x[1:].data_ptr() - x.data_ptr(), lambda: x.stride(1), lambda: x.stride(3),
                  lambda: lib.tensor(1.0).stride(0)]
        return [(kind, value.replace("[stride] ", "") if isinstance(value, str) else value)
                for kind, value in map(outcome, cases)]

    assert run(fngrad) == run(torch)


def test_set_default_tensor_type_is_deprecated_set_default_dtype():
    with pytest.warns(UserWarning, match="deprecated"):
        fngrad.set_default_tensor_type(fngrad.DoubleTensor)
    try:
        assert fngrad.get_default_dtype() == fngrad.float64 and fngrad.Tensor(1).dtype == fngrad.float64
    finally:
        with pytest.warns(UserWarning):
            fngrad.set_default_tensor_type("torch.FloatTensor")
    assert fngrad.get_default_dtype() == fngrad.float32
    with pytest.warns(UserWarning), pytest.raises(TypeError, match="only floating-point types"):
        fngrad.set_default_tensor_type(fngrad.LongTensor)


def test_profiler_record_function_labels_run_unchanged():
    from fngrad.autograd.profiler import record_function

    x = fngrad.tensor([1.0, 2.0], requires_grad=True)
    with record_function("loss", "args") as label:
        loss = (x * x).sum()
    assert (label.name, label.args) == ("loss", "args")
    loss.backward()
    assert x.grad.tolist() == [2.0, 4.0]

    @record_function("fails")
    def fails():
        raise ValueError("kept")

    with pytest.raises(ValueError, match="kept"):  # an exception inside the block is not swallowed
        fails()


def test_compile_returns_the_callable_unchanged():
    model = fngrad.nn.Linear(2, 1)
    assert fngrad.compile(model) is model  # runs eagerly; state_dict keys stay the module's own
    assert list(fngrad.compile(model).state_dict()) == ["weight", "bias"]

    @fngrad.compile(mode="max-autotune", fullgraph=True)
    def f(x):
        return x * 3

    x = fngrad.tensor([1.0, 2.0], requires_grad=True)
    f(x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    with pytest.raises(AssertionError, match="A callable function is expected"):
        fngrad.compile(3)
