"""Forward-mode AD (fngrad.autograd.forward_ad): JVPs of every differentiable op of the op table
against reverse mode's Jacobian and central differences, the API's semantics and errors against
PyTorch's, custom Functions' jvp, forward-over-reverse, and PyTorch's forward-AD tutorial."""

import numpy as np
import pytest

import fngrad
import fngrad.autograd.forward_ad as fwAD
from conftest import Double, requires_torch
from fngrad.autograd.functional import jacobian
from op_table import OPS
from test_op_table import sample

DIFF = [pytest.param(op, id=op.name) for op in OPS if op.differentiable]


def _first_tensor(out):
    return out if isinstance(out, fngrad.Tensor) else next(o for o in out if isinstance(o, fngrad.Tensor))


def _jvp(fn, primals, tangents):
    with fwAD.dual_level():
        duals = [fwAD.make_dual(p, t) for p, t in zip(primals, tangents)]
        out = _first_tensor(fn(*duals))
        primal, tangent = fwAD.unpack_dual(out)
        return primal, (tangent if tangent is not None else fngrad.zeros(out.shape, dtype=out.dtype))


@pytest.mark.parametrize("op", DIFF)
def test_jvp_equals_reverse_jacobian_and_finite_differences(op):
    arrays = sample(op, 5)
    rng = np.random.default_rng(7)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    primals = [fngrad.tensor(a, dtype=fngrad.float64) for a in arrays]
    out, jv = _jvp(op.fn, primals, [fngrad.tensor(v, dtype=fngrad.float64) for v in vs])
    np.testing.assert_allclose(out.numpy(), np.asarray(op.ref(*arrays)), rtol=1e-10, atol=1e-10)

    # Reverse mode's Jacobian, one block per input, applied to the tangents.
    jac = jacobian(lambda *xs: _first_tensor(op.fn(*xs)), tuple(primals))
    jac = jac if isinstance(jac, tuple) else (jac,)
    expected = sum(j.numpy().reshape(out.numel(), -1) @ v.reshape(-1) for j, v in zip(jac, vs))
    np.testing.assert_allclose(jv.numpy().reshape(-1), expected, rtol=1e-7, atol=1e-8)

    # Central differences along the tangents.
    eps = 1e-6
    plus = op.ref(*[a + eps * v for a, v in zip(arrays, vs)])
    minus = op.ref(*[a - eps * v for a, v in zip(arrays, vs)])
    fd = (np.asarray(plus) - np.asarray(minus)) / (2 * eps)
    np.testing.assert_allclose(jv.numpy(), fd, rtol=1e-4, atol=1e-5)


def test_jvp_of_inputs_that_do_not_require_grad_leaves_requires_grad_alone():
    x = fngrad.tensor([1.0, 2.0], dtype=fngrad.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, fngrad.ones(2, dtype=fngrad.float64))
        y = (d * d).sin()
        assert not y.requires_grad and y.grad_fn is None
        np.testing.assert_allclose(fwAD.unpack_dual(y).tangent.numpy(), np.cos([1.0, 4.0]) * 2 * np.array([1.0, 2.0]))


def test_forward_and_reverse_coexist():
    x = fngrad.tensor([0.5, -1.0, 2.0], dtype=fngrad.float64, requires_grad=True)
    t = fngrad.tensor([1.0, 2.0, 3.0], dtype=fngrad.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        y = (d.tanh() * d).sum()
        y.backward()
        xv, tv = x.detach().numpy(), t.numpy()
        g = np.tanh(xv) + xv * (1 - np.tanh(xv) ** 2)
        np.testing.assert_allclose(x.grad.numpy(), g)
        np.testing.assert_allclose(fwAD.unpack_dual(y).tangent.item(), g @ tv)


def test_forward_over_reverse_gives_hessian_vector_products():
    a = np.array([0.3, -0.7, 1.1])
    x = fngrad.tensor(a, dtype=fngrad.float64, requires_grad=True)
    v = np.array([1.0, -2.0, 0.5])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, fngrad.tensor(v, dtype=fngrad.float64))
        y = (d.exp() * d.sin()).sum() + (d * d).prod()
        (g,) = fngrad.autograd.grad(y, d, create_graph=True)
        hv = fwAD.unpack_dual(g).tangent.detach().numpy()
    h = np.diag(np.exp(a) * 2 * np.cos(a))
    p = np.prod(a * a)
    h += 4 * p * np.outer(1 / a, 1 / a) + np.diag(-2 * p / a**2)  # d2/dx2 of prod(x^2): 4p/(xi xj), 2p/xi^2 on diag
    np.testing.assert_allclose(hv, h @ v, rtol=1e-10)


def test_tangents_die_with_the_level():
    with fwAD.dual_level():
        x = fwAD.make_dual(fngrad.ones(2), fngrad.ones(2))
        y = x * 2
    assert fwAD.unpack_dual(x).tangent is None and fwAD.unpack_dual(y).tangent is None
    with fwAD.dual_level():
        assert fwAD.unpack_dual(y).tangent is None
        assert (y * 3).requires_grad is False


def test_api_errors():
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fwAD.make_dual(fngrad.ones(2), fngrad.ones(2))
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"different size .* Tensor is of size \[2\] while the given forward "
                                               r"gradient is of size \[3\]"):
            fwAD.make_dual(fngrad.ones(2), fngrad.ones(3))
        with pytest.raises(ValueError, match="Expected tangent to be floating point or complex, but got: "
                                             "fngrad.int64"):
            fwAD.make_dual(fngrad.ones(2), fngrad.ones(2, dtype=fngrad.int64))
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported at the moment"):
            fwAD.enter_dual_level()
        with pytest.raises(RuntimeError, match="Invalid level given to _make_dual"):
            fwAD.make_dual(fngrad.ones(2), fngrad.ones(2), level=3)
        x = fwAD.make_dual(fngrad.ones(2), fngrad.ones(2))
        with pytest.raises(RuntimeError, match="already has a forward gradient at the same level 0"):
            fwAD.make_dual(x, fngrad.ones(2))
        assert fwAD.unpack_dual(x * 2).tangent.tolist() == [2.0, 2.0]  # still usable
    with pytest.raises(RuntimeError, match="that was not the last one"):
        fwAD.exit_dual_level()


@requires_torch
def test_api_matches_pytorch():
    import torch
    import torch.autograd.forward_ad as tfwAD

    for lib, ad in ((fngrad, fwAD), (torch, tfwAD)):
        assert ad.__all__ == tfwAD.__all__ or sorted(ad.__all__) == sorted(tfwAD.__all__)
        with ad.dual_level():
            t = lib.ones(2)
            x = ad.make_dual(lib.zeros(2), t)
            u = ad.unpack_dual(x)
            assert type(u).__name__ == "UnpackedDualTensor" and u._fields == ("primal", "tangent")
            assert u.tangent is t and not x.requires_grad
            assert ad.unpack_dual(lib.ones(1)).tangent is None
            w = lib.ones(2, requires_grad=True)
            xw = ad.make_dual(w, t)
            assert xw.requires_grad and type(xw.grad_fn).__name__ == "ViewBackward0"
        assert ad.enter_dual_level() == 0
        ad.exit_dual_level()


class _Exp(fngrad.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_forward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        raise AssertionError("not called")

    @staticmethod
    def jvp(ctx, t):
        (y,) = ctx.saved_for_forward
        return t * y


def test_custom_function_jvp_and_missing_jvp():
    with fwAD.dual_level():
        x = fwAD.make_dual(fngrad.tensor([0.0, 1.0]), fngrad.tensor([1.0, 2.0]))
        np.testing.assert_allclose(fwAD.unpack_dual(_Exp.apply(x)).tangent.numpy(), [1.0, 2 * np.e], rtol=1e-6)
        with pytest.raises(NotImplementedError, match="You must implement the jvp function for custom "
                                                      "autograd.Function to use it with forward mode AD."):
            Double.apply(x)  # no jvp
        assert fwAD.unpack_dual(x + 1).tangent.tolist() == [1.0, 2.0]  # still usable


# PyTorch's tutorial "Forward-mode Automatic Differentiation" (intermediate/forward_ad_usage.py),
# the parts that use torch.autograd.forward_ad (not torch.func), as written there.
TUTORIAL = '''
import torch
import torch.autograd.forward_ad as fwAD

primal = torch.randn(10, 10)
tangent = torch.randn(10, 10)

def fn(x, y):
    return x ** 2 + y ** 2

with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    assert fwAD.unpack_dual(dual_input).tangent is tangent

    dual_input_alt = fwAD.make_dual(primal, tangent.T)
    assert fwAD.unpack_dual(dual_input_alt).tangent is not tangent

    plain_tensor = torch.randn(10, 10)
    dual_output = fn(dual_input, plain_tensor)

    jvp = fwAD.unpack_dual(dual_output).tangent

assert fwAD.unpack_dual(dual_output).tangent is None

import torch.nn as nn

model = nn.Linear(5, 5)
input = torch.randn(16, 5)

params = {name: p for name, p in model.named_parameters()}
tangents = {name: torch.rand_like(p) for name, p in params.items()}

with fwAD.dual_level():
    for name, p in params.items():
        delattr(model, name)
        setattr(model, name, fwAD.make_dual(p, tangents[name]))

    out = model(input)
    jvp_model = fwAD.unpack_dual(out).tangent

class Fn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, foo):
        result = torch.exp(foo)
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        del ctx.result
        return gO

fn = Fn.apply

primal = torch.randn(10, 10, dtype=torch.double, requires_grad=True)
tangent = torch.randn(10, 10)

with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    dual_output = fn(dual_input)
    jvp_fn = fwAD.unpack_dual(dual_output).tangent

torch.autograd.gradcheck(Fn.apply, (primal,), check_forward_ad=True,
                         check_backward_ad=False, check_undefined_grad=False,
                         check_batched_grad=False)
'''


def test_pytorch_forward_ad_tutorial_runs_with_fngrad_as_torch():
    import sys

    names = [k for k in sys.modules if k.split(".")[0] == "torch"]
    saved = {k: sys.modules.pop(k) for k in names}
    sys.modules.update({"torch": fngrad, "torch.autograd": fngrad.autograd, "torch.autograd.forward_ad": fwAD,
                        "torch.nn": fngrad.nn})
    try:
        ns = {}
        first, rest = TUTORIAL.split("import torch.nn as nn\n")
        exec(compile(first, "forward_ad_usage.py", "exec"), ns)
        # The first part's names are reused later on: check its JVP now (d/dx of x^2 + y^2).
        np.testing.assert_allclose(ns["jvp"].numpy(), 2 * ns["primal"].numpy() * ns["tangent"].numpy(), rtol=1e-6)
        exec(compile("import torch.nn as nn\n" + rest, "forward_ad_usage.py", "exec"), ns)
    finally:
        for k in [k for k in sys.modules if k.split(".")[0] == "torch"]:
            del sys.modules[k]
        sys.modules.update(saved)
    # The JVPs it computed, against their formulas.
    p = ns["primal"].detach().numpy()
    np.testing.assert_allclose(ns["jvp_fn"].detach().numpy(), ns["tangent"].numpy() * np.exp(p), rtol=1e-12)
    x = ns["input"].numpy()
    t = {k: v.numpy() for k, v in ns["tangents"].items()}
    np.testing.assert_allclose(ns["jvp_model"].numpy(), x @ t["weight"].T + t["bias"], rtol=1e-5, atol=1e-6)


# Known gap: needs_recording_fw and Function.apply propagate under no_grad, but the elementwise
# table ops (unary.cpp, binary.cpp) test GradMode themselves before recording.



def test_tangents_propagate_under_no_grad():
    """As in PyTorch: grad mode is about reverse mode; forward-mode tangents still flow."""
    xv = np.array([1.0, 2.0, 3.0])
    x = fngrad.tensor(xv, dtype=fngrad.float64, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, fngrad.ones(3, dtype=fngrad.float64))
        with fngrad.no_grad():
            y = (d * d).sin()
            z = d.exp().sum()
        assert not y.requires_grad and y.grad_fn is None and not z.requires_grad
        np.testing.assert_allclose(fwAD.unpack_dual(y).tangent.numpy(), np.cos(xv * xv) * 2 * xv)
        np.testing.assert_allclose(fwAD.unpack_dual(z).tangent.item(), np.exp(xv).sum())
        # A custom Function's jvp runs under no_grad too.
        with fngrad.no_grad():
            c = fngrad.logcumsumexp(d, 0)
        e = np.exp(xv)
        np.testing.assert_allclose(fwAD.unpack_dual(c).tangent.numpy(), np.cumsum(e) / np.cumsum(e))


def test_no_tangents_under_inference_mode():
    with fwAD.dual_level():
        d = fwAD.make_dual(fngrad.tensor([1.0, 2.0]), fngrad.ones(2))
        with fngrad.inference_mode():
            y = d.exp()
        assert fwAD.unpack_dual(y).tangent is None



@requires_torch
def test_no_grad_and_inference_mode_tangents_match_pytorch():
    import torch
    import torch.autograd.forward_ad as tfwAD

    xv, tv = np.array([0.3, -1.2, 2.0]), np.array([1.0, 0.5, -2.0])

    def run(lib, fw):
        out = {}
        with fw.dual_level():
            d = fw.make_dual(lib.tensor(xv, requires_grad=True), lib.tensor(tv))
            with lib.no_grad():
                t = fw.unpack_dual((d.tanh() * d).sum()).tangent
                out["no_grad"] = t.item()
            with lib.inference_mode():
                out["inference_mode"] = fw.unpack_dual(d * 2).tangent
        return out

    ours, theirs = run(fngrad, fwAD), run(torch, tfwAD)
    np.testing.assert_allclose(ours["no_grad"], theirs["no_grad"], rtol=1e-12)
    assert ours["inference_mode"] is None and theirs["inference_mode"] is None


def test_logcumsumexp_jvp_is_stable_for_large_inputs():
    xv = np.array([[1000.0, 1001.0, 999.0], [-5.0, 0.0, 5.0]])
    tv = np.array([[1.0, -1.0, 2.0], [0.5, 0.5, -1.0]])
    with fwAD.dual_level():
        d = fwAD.make_dual(fngrad.tensor(xv), fngrad.tensor(tv))
        jv = fwAD.unpack_dual(fngrad.logcumsumexp(d, 1)).tangent.numpy()
    # d/dx_j logcumsumexp(x)_k = softmax of x[:k+1] at j: a weighted running mean of the tangent.
    e = np.exp(xv - xv.max(1, keepdims=True))
    np.testing.assert_allclose(jv, np.cumsum(e * tv, 1) / np.cumsum(e, 1), rtol=1e-12)


def test_inplace_on_a_view_updates_the_base_and_view_tangents():
    # PyTorch keeps a view's tangent a view of its base's: an op in place on the view changes both.
    xv, tv = np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0])
    for grad_mode in (fngrad.enable_grad, fngrad.no_grad):
        with fwAD.dual_level(), grad_mode():
            y = fwAD.make_dual(fngrad.tensor(xv), fngrad.tensor(tv)) * 1.0
            v = y[1:]
            v.mul_(2)
            np.testing.assert_allclose(fwAD.unpack_dual(y).tangent.numpy(), [10.0, 40.0, 60.0])
            np.testing.assert_allclose(fwAD.unpack_dual(v).tangent.numpy(), [40.0, 60.0])
            np.testing.assert_allclose(y.numpy(), [1.0, 4.0, 6.0])
            # A plain tensor's view given a dual value in place: the base gets the tangent at those places.
            a = fngrad.zeros(3, dtype=fngrad.float64)
            b = a[1:]
            b.add_(fwAD.make_dual(fngrad.ones(2, dtype=fngrad.float64), fngrad.full((2,), 5.0, dtype=fngrad.float64)))
            np.testing.assert_allclose(fwAD.unpack_dual(a).tangent.numpy(), [0.0, 5.0, 5.0])
            np.testing.assert_allclose(fwAD.unpack_dual(b).tangent.numpy(), [5.0, 5.0])


@requires_torch
def test_inplace_on_a_view_of_a_dual_tensor_matches_pytorch():
    import torch
    import torch.autograd.forward_ad as tfwAD

    def run(lib, fw):
        with fw.dual_level():
            f64 = lib.float64
            x = fw.make_dual(lib.tensor([1.0, -2.0, 3.0, 0.5], dtype=f64), lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=f64))
            y = x.exp()
            v = y[::2]
            v.sin_()
            w = y[1:3]
            w.mul_(fw.make_dual(lib.tensor([2.0, 3.0], dtype=f64), lib.tensor([1.0, -1.0], dtype=f64)))
            # v's tangent is left out: fngrad's is a copy taken at v's own write, so w's later write to the
            # element v shares with it does not reach it (PyTorch's is a view of y's).
            return [fw.unpack_dual(t).tangent.numpy().copy() for t in (y, w)]

    for ours, theirs in zip(run(fngrad, fwAD), run(torch, tfwAD)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
