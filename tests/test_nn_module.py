"""nn.Parameter, nn.Module and the containers: registration, traversal, hooks, state_dict, conversions,
repr. Hand-written expectations (PyTorch's documented behaviour) run without torch; the
@requires_torch tests compare reprs, errors and state dicts with PyTorch itself."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.register_buffer("running", fngrad.zeros(2))
        self.register_buffer("scratch", fngrad.ones(1), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) + self.running


# ---- Parameter ----

def test_parameter_shares_memory_and_is_a_leaf_tensor():
    data = fngrad.zeros(2, 3)
    p = nn.Parameter(data)
    assert isinstance(p, fngrad.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    version = p._version
    data[0, 1] = 5.0  # the same memory: no copy was made
    assert p[0, 1].item() == 5.0
    assert p._version > version  # and the same version counter
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    assert type(p * 2) is fngrad.Tensor  # results of ops are plain tensors
    (p * 2).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), np.full((2, 3), 2.0, np.float32))


def test_parameter_default_repr_deepcopy_pickle():
    empty = nn.Parameter()
    assert tuple(empty.shape) == (0,) and empty.requires_grad
    p = nn.Parameter(fngrad.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert str(p) == repr(p)
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad
    q.data.fill_(0.0)
    assert p.tolist() == [1.0, 2.0]  # deepcopy copied the data
    r = pickle.loads(pickle.dumps(nn.Parameter(fngrad.tensor([3.0]), requires_grad=False)))
    assert type(r) is nn.Parameter and not r.requires_grad and r.tolist() == [3.0]


def test_parameter_of_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(fngrad.tensor([1, 2]))
    assert not nn.Parameter(fngrad.tensor([1, 2]), requires_grad=False).requires_grad


def test_make_subclass_rejects_a_non_tensor_class():
    with pytest.raises(TypeError, match="_make_subclass"):
        fngrad.Tensor._make_subclass(int, fngrad.zeros(1), False)


# ---- registration ----

def test_attribute_assignment_registers_parameters_buffers_modules():
    net = Net()
    assert list(net._parameters) == []
    assert list(net._modules) == ["fc1", "act", "fc2"]
    assert list(net._buffers) == ["running", "scratch"]
    assert [n for n, _ in net.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight"]
    assert [n for n, _ in net.named_buffers()] == ["running", "scratch"]
    assert net.fc2.bias is None and "bias" in net.fc2._parameters
    net.w = nn.Parameter(fngrad.ones(1))
    assert "w" in net._parameters and "w" not in net.__dict__
    net.plain = 3
    assert net.__dict__["plain"] == 3
    del net.w
    assert "w" not in net._parameters
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'w'"):
        _ = net.w


def test_assignment_errors_match_pytorch_wording():
    m = nn.Module()
    m.w = nn.Parameter(fngrad.ones(1))
    with pytest.raises(TypeError, match=r"cannot assign 'int' as parameter 'w' \(torch.nn.Parameter or None expected\)"):
        m.w = 1
    with pytest.raises(TypeError, match=r"cannot assign 'fngrad.FloatTensor' as parameter 'w'"):
        m.w = fngrad.ones(1)
    m.w = None  # allowed: the parameter slot stays, holding None
    assert m._parameters["w"] is None
    m.child = nn.ReLU()
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module 'child' \(torch.nn.Module or None expected\)"):
        m.child = 1
    m.register_buffer("b", fngrad.zeros(1))
    with pytest.raises(TypeError, match=r"cannot assign 'str' as buffer 'b'"):
        m.b = "x"
    m.b = fngrad.ones(2)  # a tensor assigned to a buffer name replaces the buffer
    assert m._buffers["b"].tolist() == [1.0, 1.0]


def test_register_errors():
    m = nn.Module()
    m.x = 1
    with pytest.raises(KeyError, match="attribute 'x' already exists"):
        m.register_parameter("x", None)
    with pytest.raises(KeyError, match="buffer name can"):
        m.register_buffer("a.b", None)
    with pytest.raises(KeyError, match="empty string"):
        m.register_parameter("", None)
    with pytest.raises(TypeError, match="parameter name should be a string. Got int"):
        m.register_parameter(1, None)
    with pytest.raises(TypeError, match="cannot assign 'fngrad.FloatTensor' object to parameter 'p'"):
        m.register_parameter("p", fngrad.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'int' object to buffer 'q'"):
        m.register_buffer("q", 3)
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("c", 3)
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'p'"):
        m.register_parameter("p", _nonleaf_parameter())

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(fngrad.ones(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__\\(\\) call"):
        Early()


def _nonleaf_parameter():
    """A Parameter is always made a leaf; a subclass whose grad_fn reports a node stands in for the
    non-leaf parameter that register_parameter must refuse."""

    class NonLeaf(nn.Parameter):
        @property
        def grad_fn(self):
            return object()

    return NonLeaf(fngrad.ones(1))


def test_setattr_moves_a_name_between_kinds():
    m = nn.Module()
    m.register_buffer("x", fngrad.zeros(1))
    m.x = nn.Parameter(fngrad.ones(1))  # a Parameter replaces the buffer
    assert "x" in m._parameters and "x" not in m._buffers
    m.y = 5
    m.y = nn.Linear(1, 1)  # a Module replaces the plain attribute
    assert "y" in m._modules and "y" not in m.__dict__
    m.z = nn.Buffer(fngrad.ones(2), persistent=False)
    assert "z" in m._buffers and "z" in m._non_persistent_buffers_set
    assert list(m.state_dict()) == ["x", "y.weight", "y.bias"]


def test_get_submodule_parameter_buffer():
    outer = nn.Sequential(OrderedDict([("net", Net())]))
    assert outer.get_submodule("net.fc1") is outer.net.fc1
    assert outer.get_submodule("") is outer
    assert outer.get_parameter("net.fc1.weight") is outer.net.fc1.weight
    assert outer.get_buffer("net.running") is outer.net.running
    with pytest.raises(AttributeError, match="Net has no attribute `conv`"):
        outer.get_submodule("net.conv")
    with pytest.raises(AttributeError, match="`running` is not an nn.Module"):
        outer.get_submodule("net.running")
    with pytest.raises(AttributeError, match="`running` is not an nn.Parameter"):
        outer.get_parameter("net.running")


# ---- traversal ----

def test_traversal_shared_modules_and_parameters():
    shared = nn.Linear(2, 2)
    root = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in root.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in root.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert [n for n, _ in root.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in root.named_parameters(remove_duplicate=False)] == ["0.weight", "0.bias", "2.weight",
                                                                              "2.bias"]
    assert [n for n, _ in root.named_parameters(prefix="model")] == ["model.0.weight", "model.0.bias"]
    assert list(root.named_parameters(recurse=False)) == []
    assert [n for n, _ in root.named_children()] == ["0", "1"]
    assert len(list(root.children())) == 2 and len(list(root.modules())) == 3
    assert len(list(root.parameters())) == 2


def test_train_eval_apply_requires_grad_zero_grad():
    net = Net()
    assert net.training and net.fc1.training
    assert net.eval() is net
    assert not net.training and not net.fc1.training and not net.act.training
    net.train()
    assert net.fc2.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Linear", "Net"]  # children first, then self
    net(fngrad.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and float(p.grad.abs().sum()) == 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_dir_lists_registered_names():
    names = dir(Net())
    for n in ("fc1", "fc2", "running", "scratch", "forward", "training"):
        assert n in names


def test_module_init_rejects_arguments():
    with pytest.raises(TypeError, match=r"Module.__init__\(\) takes 1 positional argument but 2 were given"):
        nn.Module(3)
    with pytest.raises(TypeError, match="Module.__init__\\(\\) got an unexpected keyword argument 'a'"):
        nn.Module(a=3)


def test_forward_missing_raises_not_implemented():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward" function'):
        nn.Module()(1)


# ---- conversions ----

def test_to_double_float_converts_in_place():
    net = Net()
    w = net.fc1.weight
    net(fngrad.ones(1, 3)).sum().backward()
    assert net.double() is net
    assert net.fc1.weight is w  # the same Parameter object, its data replaced
    assert w.dtype == fngrad.float64 and w.grad.dtype == fngrad.float64
    assert net.running.dtype == fngrad.float64 and net.scratch.dtype == fngrad.float64
    assert isinstance(w, nn.Parameter) and w.requires_grad
    net.float()
    assert w.dtype == fngrad.float32
    net.to(fngrad.float64)
    assert w.dtype == fngrad.float64
    net.to("cpu")
    net.to("cpu", dtype=fngrad.float32)
    assert w.dtype == fngrad.float32
    assert net.cpu() is net
    net.to(fngrad.zeros(1, dtype=fngrad.float64))
    assert w.dtype == fngrad.float64
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):  # as PyTorch without CUDA
        net.to("cuda")
    with pytest.raises(TypeError, match="floating point"):
        net.to(fngrad.int64)
    # Integer buffers keep their dtype.
    m = nn.Module()
    m.register_buffer("count", fngrad.tensor([3]))
    m.double()
    assert m.count.dtype == fngrad.int64


def test_parameters_after_conversion_still_train():
    net = Net().double()
    y = net(fngrad.ones(2, 3, dtype=fngrad.float64))
    assert y.dtype == fngrad.float64
    y.sum().backward()
    assert net.fc1.weight.grad.dtype == fngrad.float64


# ---- state_dict ----

def test_state_dict_contents_and_round_trip():
    a, b = Net(), Net()
    sd = a.state_dict()
    # A module's own entries come before its children's; no None, no non-persistent buffer.
    assert list(sd) == ["running", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert all(not t.requires_grad for t in sd.values())
    assert sd["fc1.weight"].grad_fn is None
    assert a.state_dict(keep_vars=True)["fc1.weight"] is a.fc1.weight
    assert list(a.state_dict(prefix="m.")) == ["m." + k for k in sd]
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy())
    # load copies into the existing parameters
    w = b.fc1.weight
    b.load_state_dict({**a.state_dict(), "fc1.weight": fngrad.full((4, 3), 7.0)})
    assert b.fc1.weight is w and float(w.sum()) == 84.0


def test_load_state_dict_strict_errors_name_the_keys():
    net = Net()
    sd = net.state_dict()
    del sd["fc1.bias"]
    sd["extra"] = fngrad.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    assert str(info.value) == ('Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "fc1.bias". '
                               '\n\tUnexpected key(s) in state_dict: "extra". ')
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["extra"]
    assert "_IncompatibleKeys(missing_keys=['fc1.bias'], unexpected_keys=['extra'])" == repr(result)
    bad = net.state_dict()
    bad["fc1.weight"] = fngrad.zeros(2, 2)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: copying a param with shape "
                                           r"fngrad.Size\(\[2, 2\]\) from checkpoint, the shape in current model is "
                                           r"fngrad.Size\(\[4, 3\]\)."):
        net.load_state_dict(bad, strict=False)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        net.load_state_dict([1])


def test_load_state_dict_assign():
    net = Net()
    new_w = fngrad.full((4, 3), 2.0)
    net.load_state_dict({**net.state_dict(), "fc1.weight": new_w}, assign=True)
    assert isinstance(net.fc1.weight, nn.Parameter) and net.fc1.weight.requires_grad
    new_w[0, 0] = 9.0  # assign keeps the given tensor's memory
    assert net.fc1.weight[0, 0].item() == 9.0


def test_state_dict_pickles():
    net = Net()
    sd = pickle.loads(pickle.dumps(net.state_dict()))
    other = Net()
    other.load_state_dict(sd)
    np.testing.assert_array_equal(other.fc1.weight.detach().numpy(), net.fc1.weight.detach().numpy())


def test_deepcopy_module():
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.fc1.weight is not net.fc1.weight
    np.testing.assert_array_equal(clone.fc1.weight.detach().numpy(), net.fc1.weight.detach().numpy())
    with fngrad.no_grad():
        clone.fc1.weight.fill_(0.0)
    assert float(net.fc1.weight.abs().sum()) > 0


# ---- hooks ----

def test_forward_pre_hook_and_forward_hook():
    lin = nn.Linear(2, 2)
    calls = []

    def pre(module, args):
        calls.append(("pre", module))
        return (args[0] * 0,)

    def post(module, args, output):
        calls.append(("post", tuple(args[0].shape)))
        return output + 1

    h1 = lin.register_forward_pre_hook(pre)
    h2 = lin.register_forward_hook(post)
    out = lin(fngrad.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), (lin.bias + 1).detach().numpy().reshape(1, 2))
    assert calls == [("pre", lin), ("post", (1, 2))]
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(lin(fngrad.ones(1, 2)).detach().numpy(),
                               (fngrad.ones(1, 2) @ lin.weight.t() + lin.bias).detach().numpy())


def test_hooks_with_kwargs_and_prepend():
    class Scale(nn.Module):
        def forward(self, x, *, factor=1.0):
            return x * factor

    m = Scale()
    order = []
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: order.append(("kw", kwargs["factor"])), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: order.append("first"), prepend=True)
    assert m(fngrad.tensor([2.0])).tolist() == [6.0]
    assert order == ["first", ("kw", 3.0)]
    m2 = Scale()
    m2.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple of \\(new_args, new_kwargs\\)"):
        m2(fngrad.tensor([1.0]))
    m3 = Scale()
    m3.register_forward_pre_hook(lambda mod, args: fngrad.tensor([4.0]))  # a single value is wrapped in a tuple
    assert m3(fngrad.tensor([1.0])).tolist() == [4.0]


def test_always_call_forward_hook_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        m(1)
    assert seen == [("always", None)]


def test_full_backward_hooks_see_and_replace_gradients():
    lin = nn.Linear(2, 1, bias=False)
    with fngrad.no_grad():
        lin.weight.copy_(fngrad.tensor([[2.0, 3.0]]))
    seen = []
    lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 10,))  # scales grad_output
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi[0].tolist(), go[0].tolist())))
    x = fngrad.ones(1, 2, requires_grad=True)
    lin(x).sum().backward()
    # grad_output 1 became 10; grad_input = 10 * W
    assert seen == [([[20.0, 30.0]], [[10.0]])]
    assert x.grad.tolist() == [[20.0, 30.0]]
    assert lin.weight.grad.tolist() == [[10.0, 10.0]]
    h = lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))  # replaces grad_input
    x.grad = None
    lin(x).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0]]
    h.remove()


@requires_torch
def test_full_backward_hooks_match_pytorch():
    import torch

    def run(lib):
        n = lib.nn

        class Two(n.Module):
            def __init__(self):
                super().__init__()
                self.fc = n.Linear(3, 2)

            def forward(self, x, y, scale):
                return self.fc(x) * y * scale

        m = Two().double()
        with lib.no_grad():
            m.fc.weight.copy_(lib.from_numpy(np.arange(6.0).reshape(2, 3) / 10))
            m.fc.bias.copy_(lib.from_numpy(np.array([0.5, -0.5])))
        log = []

        def as_list(gs):
            return [None if g is None else g.numpy().round(9).tolist() for g in gs]

        m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", as_list(go))) or (go[0] * 2,))
        m.register_full_backward_hook(lambda mod, gi, go: log.append(("full", as_list(gi), as_list(go))))
        m.fc.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0.5,) if gi[0] is not None else None)
        x = lib.from_numpy(np.arange(6.0).reshape(2, 3)).requires_grad_()
        y = lib.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]))
        m(x, y, 3.0).sum().backward()
        log.append(("x.grad", x.grad.numpy().round(9).tolist()))
        with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are computed with respect "
                                             "to module outputs since no inputs require gradients"):
            m(x.detach(), y, 1.0).sum().backward()  # no input requires grad: grad_input is all None
        return log

    assert run(fngrad) == run(torch)


# ---- repr ----

def test_repr_layout():
    assert repr(Net()) == (
        "Net(\n"
        "  (fc1): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (act): ReLU()\n"
        "  (fc2): Linear(in_features=4, out_features=2, bias=False)\n"
        ")")
    nested = nn.Sequential(nn.Sequential(nn.Identity()), nn.Dropout(0.1))
    assert repr(nested) == ("Sequential(\n"
                            "  (0): Sequential(\n"
                            "    (0): Identity()\n"
                            "  )\n"
                            "  (1): Dropout(p=0.1, inplace=False)\n"
                            ")")
    assert repr(nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh()])) == ("ModuleList(\n"
                                                                       "  (0-1): 2 x ReLU()\n"
                                                                       "  (2): Tanh()\n"
                                                                       ")")
    assert repr(nn.ModuleList()) == "ModuleList()"


# ---- containers ----

def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c] and list(sub._modules) == ["1", "2"]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    d = nn.Tanh()
    seq.append(d)
    assert seq[3] is d
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2"] and list(seq) == [a, c, d]
    seq[1] = b
    assert seq[1] is b
    seq.insert(0, c)
    assert list(seq) == [c, a, b, d]
    assert list(nn.Sequential(a) + nn.Sequential(b)) == [a, b]
    od = nn.Sequential(OrderedDict([("first", a), ("act", b)]))
    assert list(od._modules) == ["first", "act"] and od.first is a
    x = fngrad.ones(4, 2)
    np.testing.assert_allclose(nn.Sequential(a, b)(x).detach().numpy(), b(a(x)).detach().numpy())


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    assert len(layers) == 5 and isinstance(layers[-1], nn.Tanh)
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    layers.insert(0, nn.Identity())
    assert isinstance(layers[0], nn.Identity) and len(layers) == 6
    del layers[0]
    assert list(layers._modules) == [str(i) for i in range(5)]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        layers.extend(5)
    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    assert list(md.keys()) == ["b", "a"] and "a" in md and len(md) == 2
    md["c"] = nn.Linear(1, 1)
    assert [n for n, _ in md.named_parameters()] == ["c.weight", "c.bias"]
    assert isinstance(md.pop("b"), nn.ReLU) and list(md) == ["a", "c"]
    md.update([("d", nn.Identity())])
    assert list(md) == ["a", "c", "d"]


def test_parameter_list_and_dict():
    pl = nn.ParameterList([fngrad.ones(2), nn.Parameter(fngrad.zeros(3))])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl) == 2
    pl.append(fngrad.ones(1))
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert repr(pl) == ("ParameterList(\n"
                        "    (0): Parameter containing: [fngrad.float32 of size 2]\n"
                        "    (1): Parameter containing: [fngrad.float32 of size 3]\n"
                        "    (2): Parameter containing: [fngrad.float32 of size 1]\n"
                        ")")
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)
    pd = nn.ParameterDict({"b": fngrad.ones(2), "a": fngrad.ones(1)})
    assert list(pd) == ["a", "b"]  # a plain dict is taken in sorted order, as PyTorch does
    assert isinstance(pd["a"], nn.Parameter)
    pd["c"] = fngrad.zeros(2, 2)
    assert [n for n, _ in pd.named_parameters()] == ["a", "b", "c"]
    assert "c" in pd and len(pd) == 3
    del pd["a"]
    assert list(pd.keys()) == ["b", "c"]
    with pytest.raises(TypeError, match="not a string"):
        pd[1] = fngrad.ones(1)


# ---- PyTorch as the oracle ----

def _torch_repr_to_fngrad(text):
    return text.replace("torch.", "fngrad.")


@requires_torch
def test_reprs_equal_pytorch():
    import torch

    def build(lib):
        n = lib.nn
        return [
            n.Sequential(n.Linear(3, 4), n.ReLU(), n.Sequential(n.Linear(4, 2, bias=False), n.Tanh())),
            n.ModuleList([n.Linear(2, 2), n.Linear(2, 2), n.ReLU(), n.Linear(2, 2)]),
            n.ModuleDict({"emb": n.Embedding(10, 3, padding_idx=0), "ln": n.LayerNorm([2, 3])}),
            n.Sequential(OrderedDict([("flat", n.Flatten()), ("unflat", n.Unflatten(1, (2, 3))),
                                      ("drop", n.Dropout(0.25))])),
            n.ParameterList([lib.ones(2, 3), lib.zeros(1)]),
            n.ParameterDict({"w": lib.ones(4)}),
            n.Bilinear(2, 3, 4),
            n.CrossEntropyLoss(label_smoothing=0.1),
            n.Sequential(n.LeakyReLU(0.2, True), n.ELU(), n.GELU("tanh"), n.SiLU(), n.Mish(), n.Softplus(),
                         n.Sigmoid(), n.Softmax(dim=1), n.LogSoftmax(-1), n.Hardtanh(-2.0, 2.0), n.Identity()),
            n.Sequential(n.Conv2d(3, 8, 3), n.BatchNorm2d(8), n.GroupNorm(2, 8),
                         n.Conv2d(8, 8, (3, 2), stride=2, padding=1, dilation=(1, 2), groups=2, bias=False),
                         n.Conv1d(3, 4, 5, padding="same"), n.BatchNorm1d(5, momentum=None, affine=False,
                                                                          track_running_stats=False)),
            n.Sequential(n.MaxPool2d(2), n.MaxPool2d((3, 2), stride=1, padding=1), n.MaxPool1d(3), n.AvgPool2d(2),
                         n.AvgPool1d(3, 2, 1), n.AvgPool2d(3, count_include_pad=False), n.RNNCell(3, 4),
                         n.RNNCell(3, 4, nonlinearity="relu"), n.LSTMCell(3, 4), n.GRUCell(3, 4, bias=False)),
        ]

    for ours, theirs in zip(build(fngrad), build(torch)):
        assert repr(ours) == _torch_repr_to_fngrad(repr(theirs))
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert tuple(p.shape) == tuple(q.shape), name


@requires_torch
def test_strict_loading_error_text_equals_pytorch():
    import torch

    def attempt(lib, net):
        sd = {k: lib.from_numpy(v.detach().numpy().copy()) for k, v in net.state_dict().items()}
        del sd["0.bias"]
        sd["9.weight"] = lib.zeros(1)
        with pytest.raises(RuntimeError) as info:
            net.load_state_dict(sd)
        return str(info.value)

    ours = attempt(fngrad, nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))
    tn = torch.nn
    theirs = attempt(torch, tn.Sequential(tn.Linear(2, 3), tn.ReLU(), tn.Linear(3, 1)))
    assert ours == theirs


@requires_torch
def test_state_dict_round_trips_with_pytorch():
    import torch

    ours = Net()

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(3, 4)
            self.act = torch.nn.ReLU()
            self.fc2 = torch.nn.Linear(4, 2, bias=False)
            self.register_buffer("running", torch.zeros(2))
            self.register_buffer("scratch", torch.ones(1), persistent=False)

    theirs = TorchNet()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    # PyTorch's state into fngrad and back.
    ours.load_state_dict({k: fngrad.from_numpy(v.numpy().copy()) for k, v in theirs.state_dict().items()})
    back = TorchNet()
    back.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    for k, v in theirs.state_dict().items():
        assert torch.equal(back.state_dict()[k], v)


def test_layers_follow_the_default_dtype_and_refuse_cuda_as_pytorch_does():
    # PyTorch: a layer built without dtype= takes torch.get_default_dtype(); Module.to('cuda')
    # without CUDA raises AssertionError("Torch not compiled with CUDA enabled").
    fngrad.set_default_dtype(fngrad.float64)
    try:
        layers = [fngrad.nn.Linear(2, 3), fngrad.nn.Conv2d(1, 1, 3), fngrad.nn.BatchNorm1d(3), fngrad.nn.Embedding(3, 2)]
        assert all(layer.weight.dtype == fngrad.float64 for layer in layers)
    finally:
        fngrad.set_default_dtype(fngrad.float32)
    assert fngrad.nn.Linear(2, 3).weight.dtype == fngrad.float32
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        fngrad.nn.Linear(2, 2).to("cuda")
