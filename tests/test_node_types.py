"""Node classes and saved values: each native node is an instance of its own class named as
PyTorch names it, and exposes what it saved under PyTorch's `_saved_*` attribute names."""

import numpy as np
import pytest

import fngrad
from conftest import Double, requires_torch
from fngrad.autograd.function import once_differentiable

Node = fngrad.autograd.graph.Node


def _x():
    return fngrad.tensor(np.random.randn(3, 4).astype(np.float32), requires_grad=True)


# (name of the case, the op on (3, 4) x) where fngrad's node is PyTorch's node.
OPS = {
    "exp": lambda m, x: x.exp(),
    "relu": lambda m, x: x.relu(),
    "abs": lambda m, x: x.abs(),
    "neg": lambda m, x: -x,
    "leaky_relu": lambda m, x: m.nn.functional.leaky_relu(x, 0.2),
    "elu": lambda m, x: m.nn.functional.elu(x, 0.5),
    "gelu_tanh": lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
    "softplus": lambda m, x: m.nn.functional.softplus(x, 2.0, 10.0),
    "pow": lambda m, x: x ** 3,
    "clamp": lambda m, x: x.clamp(-0.5, 0.5),
    "clamp_min": lambda m, x: x.clamp(min=0.1),
    "sum": lambda m, x: x.sum(),
    "sum_dim": lambda m, x: x.sum(1, keepdim=True),
    "mean": lambda m, x: x.mean(),
    "mean_dim": lambda m, x: x.mean(0),
    "amax": lambda m, x: x.amax(1),
    "amax_all": lambda m, x: x.amax(),
    "max_all": lambda m, x: x.max(),
    "min_all": lambda m, x: m.min(x),
    "pow_inplace_number": lambda m, x: (x * 1).pow_(2),
    "pow_inplace_tensor": lambda m, x: (x * 1).pow_(x.abs()),
    "var": lambda m, x: x.var(1),
    "std": lambda m, x: x.std(1),
    "logsumexp": lambda m, x: x.logsumexp(1),
    "softmax": lambda m, x: x.softmax(1),
    "log_softmax": lambda m, x: x.log_softmax(1),
    "norm": lambda m, x: x.norm(),
    "select": lambda m, x: x[1],
    "slice": lambda m, x: x[:, 1:3],
    "unsqueeze": lambda m, x: x.unsqueeze(0),
    "squeeze": lambda m, x: x.unsqueeze(0).squeeze(0),
    "permute": lambda m, x: x.permute(1, 0),
    "transpose": lambda m, x: x.transpose(0, 1),
    "view": lambda m, x: x.view(12),
    "expand": lambda m, x: x[0].expand(3, 4),
    "clone": lambda m, x: x.clone(),
    "cat": lambda m, x: m.cat([x, x], 1),
    "stack": lambda m, x: m.stack([x, x]),
    "masked_fill": lambda m, x: x.masked_fill(x > 0, 0.0),
    "mm": lambda m, x: x @ x.t(),
    "mv": lambda m, x: x @ x[0],
    "dot": lambda m, x: x[0] @ x[1],
}
# Saved attributes fngrad keeps in another form (or not at all); see Note [Saved values].
NOT_KEPT = {
    "mm": {"_saved_self_sym_sizes", "_saved_self_sym_strides", "_saved_mat2_sym_sizes", "_saved_mat2_sym_strides"},
}


def _saved(node):
    return {a: getattr(node, a) for a in dir(node) if a.startswith("_saved_")}


def test_each_node_name_has_its_own_class():
    x = _x()
    y = x * 2
    z = (y.exp() * 3).sum()
    assert type(y.grad_fn).__name__ == y.grad_fn.name() == "MulBackward0"
    assert type(z.grad_fn).__name__ == "SumBackward0"
    assert type(y.grad_fn) is type(z.grad_fn.next_functions[0][0])  # one class per name, shared
    assert type(y.grad_fn) is not type(z.grad_fn)
    acc = y.grad_fn.next_functions[0][0]
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is x
    for node in (y.grad_fn, z.grad_fn, acc):
        assert isinstance(node, Node)
        assert issubclass(type(node), Node) and type(node) is not Node
        assert type(node).__module__ == "builtins"  # as PyTorch's node classes
    # Only the AccumulateGrad class has `variable`, as in PyTorch.
    assert not hasattr(y.grad_fn, "variable")
    assert "variable" in dir(acc) and "variable" not in dir(y.grad_fn)


def test_node_class_names_match_torch_names():
    for case, op in OPS.items():
        node = op(fngrad, _x()).grad_fn
        assert type(node).__name__ == node.name(), case
        assert isinstance(node, Node), case


def test_overload_node_names_written_out():
    # PyTorch names a node for the overload that ran: max() of everything is max's second overload,
    # amax() is amax's; x.pow_(2) is the number-exponent overload, x.pow_(t) the tensor one.
    names = {"amax_all": "AmaxBackward0", "max_all": "MaxBackward1", "min_all": "MinBackward1",
             "pow_inplace_number": "PowBackward0", "pow_inplace_tensor": "PowBackward1"}
    for case, name in names.items():
        assert type(OPS[case](fngrad, _x()).grad_fn).__name__ == name, case
    x = fngrad.tensor([1.0, 3.0, 3.0], requires_grad=True)
    y = x.max()
    assert set(_saved(y.grad_fn)) == {"_saved_self", "_saved_result"}
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.5])  # ties share the gradient


class _Twice(fngrad.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        return g * 2


def test_custom_function_node_class():
    x = _x()
    y = _Twice.apply(x)
    cls = type(y.grad_fn)
    assert cls.__name__ == cls.__qualname__ == y.grad_fn.name() == "_TwiceBackward"
    # PyTorch: <class 'torch.autograd.function.MyFnBackward'>
    assert cls.__module__ == "fngrad.autograd.function"
    assert isinstance(y.grad_fn, Node)
    assert not any(a.startswith("_saved_") for a in dir(y.grad_fn))  # Function nodes have saved_tensors
    (saved,) = y.grad_fn.saved_tensors
    assert saved is x


def test_once_differentiable_error_node():
    x = _x()
    y = _Twice.apply(x)
    v = fngrad.ones(3, 4, requires_grad=True)
    (g,) = fngrad.autograd.grad(y, x, v, create_graph=True)
    # PyTorch: the gradient's grad_fn is its native Error node, class `Error` in builtins.
    assert type(g.grad_fn).__name__ == "Error" and type(g.grad_fn).__module__ == "builtins"
    assert isinstance(g.grad_fn, Node)
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with @once_differentiable"):
        g.sum().backward()


def test_saved_values_against_numpy():
    a = np.random.randn(3, 4).astype(np.float32)
    x = fngrad.tensor(a, requires_grad=True)
    y = x.exp()
    np.testing.assert_allclose(y.grad_fn._saved_result.detach().numpy(), np.exp(a), rtol=1e-6)
    assert x.sin().grad_fn._saved_self is x  # a saved input comes back as itself
    s = x.sum(1, keepdim=True).grad_fn
    assert (s._saved_dim, s._saved_keepdim, s._saved_self_sym_sizes) == ((1,), True, (3, 4))
    p = (x ** 3).grad_fn
    assert p._saved_exponent == 3 and p._saved_self is x
    c = x.clamp(min=0.1).grad_fn
    assert c._saved_min == pytest.approx(0.1) and c._saved_max is None
    sl = x[:, 1:3].grad_fn
    assert (sl._saved_dim, sl._saved_start, sl._saved_end, sl._saved_step) == (1, 1, 3, 1)
    t = x.transpose(0, 1).grad_fn
    assert (t._saved_dim0, t._saved_dim1) == (0, 1)
    sm = x.log_softmax(1).grad_fn
    assert sm._saved_dim == 1
    np.testing.assert_allclose(sm._saved_result.detach().numpy(), a - np.log(np.exp(a).sum(1, keepdims=True)),
                               rtol=1e-5, atol=1e-6)
    mm = (x @ x.t()).grad_fn
    np.testing.assert_array_equal(mm._saved_mat2.detach().numpy(), a.T)
    assert mm._saved_self is x
    mf = x.masked_fill(x > 0, 0.0).grad_fn
    np.testing.assert_array_equal(mf._saved_mask.detach().numpy(), a > 0)
    ix = x[fngrad.tensor([0, 2])].grad_fn
    assert ix._saved_self_sym_sizes == (3, 4)
    # fngrad keeps flat positions into x where PyTorch keeps the index tensor.
    np.testing.assert_array_equal(ix._saved_positions.detach().numpy(), np.arange(12).reshape(3, 4)[[0, 2]])
    assert "_saved_result" in dir(y.grad_fn)
    with pytest.raises(AttributeError):
        y.grad_fn._saved_self  # exp saves its result only


def test_input_metadata():
    x = fngrad.ones(3, 4, dtype=fngrad.float64, requires_grad=True)
    (meta,) = x.sum(0).grad_fn._input_metadata
    assert tuple(meta.shape) == (4,) and meta.dtype == fngrad.float64


def test_reading_freed_saved_tensor_raises_torch_error():
    x = _x()
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    with pytest.raises(RuntimeError, match=r"Trying to backward through the graph a second time \(or directly access "
                                           r"saved tensors after they have already been freed\)"):
        node._saved_result
    # Non-tensor values stay readable, as in PyTorch.
    assert x.sum(1).grad_fn._saved_dim == (1,)


def test_saved_attribute_error_names_the_class():
    with pytest.raises(AttributeError, match="ExpBackward0"):
        _x().exp().grad_fn._saved_nothing


@requires_torch
def test_class_names_and_saved_values_match_torch():
    import torch

    for case, op in OPS.items():
        a = np.random.randn(3, 4).astype(np.float32)
        fx = fngrad.tensor(a, requires_grad=True)
        tx = torch.tensor(a, requires_grad=True)
        fn, tn = op(fngrad, fx).grad_fn, op(torch, tx).grad_fn
        assert type(fn).__name__ == type(tn).__name__, case
        fs, ts = _saved(fn), _saved(tn)
        assert set(fs) == set(ts) - NOT_KEPT.get(case, set()), case
        for attr, tv in ts.items():
            if attr not in fs:
                continue
            fv = fs[attr]
            if isinstance(tv, torch.Tensor):
                np.testing.assert_allclose(fv.detach().numpy(), tv.detach().numpy(), rtol=1e-5, atol=1e-6,
                                           err_msg=f"{case} {attr}")
            elif isinstance(tv, float):
                assert fv == pytest.approx(tv), (case, attr)
            else:
                assert fv == tv and type(fv) is type(tv), (case, attr, fv, tv)


@requires_torch
def test_custom_function_class_like_torch():
    import torch

    class MyFn(torch.autograd.Function):
        forward = staticmethod(Double.forward)
        backward = staticmethod(Double.backward)

    class MyFnF(Double):
        pass

    t = type(MyFn.apply(torch.ones(1, requires_grad=True)).grad_fn)
    f = type(MyFnF.apply(fngrad.ones(1, requires_grad=True)).grad_fn)
    assert t.__module__.replace("torch", "fngrad", 1) == f.__module__
    assert t.__name__ == "MyFnBackward" and f.__name__ == "MyFnFBackward"
