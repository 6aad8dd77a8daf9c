"""fngrad.save / fngrad.load: round trips of tensors, state dicts and nested containers, shared
memory, paths and file objects, and refusal of files that would need pickle."""

import io
import json
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import fngrad
from conftest import requires_torch


def _round_trip(obj):
    buf = io.BytesIO()
    fngrad.save(obj, buf)
    buf.seek(0)
    return fngrad.load(buf)


def test_tensors_of_every_dtype_round_trip():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(5), np.arange(-3, 3),
              np.array([True, False, True]), np.zeros((0, 3)), np.array(2.5)]
    loaded = _round_trip([fngrad.from_numpy(a) for a in arrays])
    for a, t in zip(arrays, loaded):
        assert t.numpy().dtype == a.dtype and t.numpy().shape == a.shape
        np.testing.assert_array_equal(t.numpy(), a)


def test_nested_containers_and_scalars_round_trip():
    obj = OrderedDict(
        a=1, b=-(2**70), c=0.1, d=float("inf"), e="text", f=None, g=True, h=[1, (2.5, "x")],
        i={3: "int key", (1, 2): "tuple key", None: 0}, j=np.float64(1.25), k=np.arange(4, dtype=np.int32),
    )
    out = _round_trip(obj)
    assert type(out) is OrderedDict and list(out) == list(obj)
    for key in "abcdefgij":
        assert out[key] == obj[key] and type(out[key]) is type(obj[key] if key != "j" else 1.25)
    assert out["h"] == [1, (2.5, "x")] and type(out["h"][1]) is tuple
    assert isinstance(out["k"], np.ndarray) and out["k"].dtype == np.int32 and out["k"].tolist() == [0, 1, 2, 3]
    nan = _round_trip(float("nan"))
    assert nan != nan
    assert type(_round_trip({"x": 1})) is dict


def test_requires_grad_and_same_object_are_kept():
    w = fngrad.ones(3, requires_grad=True)
    out = _round_trip({"w": w, "again": w, "y": (w * 2).detach()})
    assert out["w"].requires_grad and out["w"].is_leaf
    assert out["again"] is out["w"]
    assert not out["y"].requires_grad


def test_views_sharing_memory_are_stored_once_and_share_again():
    a = fngrad.arange(100.0).reshape(10, 10)
    view, transposed, alias = a[2:5, 3:], a.t(), a.detach()
    buf = io.BytesIO()
    fngrad.save({"a": a, "view": view, "t": transposed, "alias": alias, "other": fngrad.zeros(2)}, buf)
    buf.seek(0)
    with zipfile.ZipFile(buf) as z:
        manifest = json.loads(z.read("manifest.json"))
        npys = [n for n in z.namelist() if n.endswith(".npy")]
    assert manifest["arrays"] == 2 and len(npys) == 2  # a's memory once, plus `other`
    buf.seek(0)
    out = fngrad.load(buf)
    np.testing.assert_array_equal(out["view"].numpy(), np.arange(100.0).reshape(10, 10)[2:5, 3:])
    np.testing.assert_array_equal(out["t"].numpy(), np.arange(100.0).reshape(10, 10).T)
    out["a"].numpy()[3, 4] = -1.0
    assert out["view"][1, 1].item() == -1.0 and out["t"][4, 3].item() == -1.0 and out["alias"][3, 4].item() == -1.0


def test_small_view_of_a_large_tensor_is_stored_alone():
    big = fngrad.zeros(100000)
    buf = io.BytesIO()
    fngrad.save({"piece": big[10:20]}, buf)
    assert len(buf.getvalue()) < 4096
    buf.seek(0)
    assert fngrad.load(buf)["piece"].shape == (10,)


def test_path_and_file_object(tmp_path):
    sd = {"weight": fngrad.randn(3, 2), "bias": fngrad.zeros(2)}
    path = tmp_path / "model.fngrad"
    fngrad.save(sd, path)
    fngrad.save(sd, str(path) + "2")
    with open(path, "rb") as fh:
        from_file = fngrad.load(fh)
    for out in (fngrad.load(path), fngrad.load(str(path) + "2"), from_file):
        assert list(out) == ["weight", "bias"]
        np.testing.assert_array_equal(out["weight"].numpy(), sd["weight"].numpy())


def test_optimizer_state_dict_round_trip_continues_training():
    def make():
        w = fngrad.tensor([1.0, -2.0, 3.0], dtype=fngrad.float64, requires_grad=True)
        return w, fngrad.optim.Adam([w], lr=0.1, amsgrad=True)

    def step(w, opt):
        opt.zero_grad()
        (w * w * w).sum().backward()
        opt.step()

    w, opt = make()
    for _ in range(3):
        step(w, opt)
    saved = _round_trip({"model": {"w": w.detach()}, "optim": opt.state_dict()})
    assert sorted(saved["optim"]["state"]) == [0]  # integer keys stay integers
    w2, opt2 = make()
    with fngrad.no_grad():
        w2.copy_(saved["model"]["w"])
    opt2.load_state_dict(saved["optim"])
    for _ in range(2):
        step(w, opt)
        step(w2, opt2)
    np.testing.assert_array_equal(w2.detach().numpy(), w.detach().numpy())


class _Boom:
    ran = False

    def __reduce__(self):
        return (_Boom._explode, ())

    @staticmethod
    def _explode():
        _Boom.ran = True
        return "exploded"


def test_file_with_a_pickled_object_is_refused_without_running_it():
    buf = io.BytesIO()
    fngrad.save({"x": fngrad.ones(2)}, buf)
    # Replace the stored array with an object array whose unpickling would run code.
    crafted = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(crafted, "w") as dst:
        for name in src.namelist():
            if name.endswith(".npy"):
                evil = io.BytesIO()
                np.save(evil, np.array([_Boom()], dtype=object), allow_pickle=True)
                dst.writestr(name, evil.getvalue())
            else:
                dst.writestr(name, src.read(name))
    crafted.seek(0)
    with pytest.raises(ValueError, match="pickled Python objects"):
        fngrad.load(crafted)
    assert not _Boom.ran


def test_pickle_file_is_refused_without_running_it(tmp_path):
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"x": _Boom()}))
    with pytest.raises(ValueError, match="never unpickles"):
        fngrad.load(path)
    assert not _Boom.ran


def test_manifest_reaching_outside_its_array_is_refused():
    buf = io.BytesIO()
    fngrad.save(fngrad.ones(4), buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src:
        manifest = json.loads(src.read("manifest.json"))
        npy = src.read("arrays/0.npy")
    for bad in ({"shape": [1000]}, {"offset": 4}, {"strides": [-1]}, {"array": 7}):
        m = json.loads(json.dumps(manifest))
        m["tensors"][0].update(bad)
        crafted = io.BytesIO()
        with zipfile.ZipFile(crafted, "w") as dst:
            dst.writestr("manifest.json", json.dumps(m))
            dst.writestr("arrays/0.npy", npy)
        crafted.seek(0)
        with pytest.raises(ValueError, match=r"\[fngrad.load\] invalid file"):
            fngrad.load(crafted)


def test_unsupported_objects_are_refused_on_save():
    with pytest.raises(TypeError, match=r"\[fngrad.save\] cannot save an object of type set"):
        fngrad.save({1, 2}, io.BytesIO())
    with pytest.raises(TypeError, match="dtype object"):
        fngrad.save(np.array([object()]), io.BytesIO())


@requires_torch
def test_pytorch_state_dict_converted_with_numpy():
    import torch

    layer = torch.nn.Linear(4, 3)
    sd = {k: v.detach().numpy() for k, v in layer.state_dict().items()}
    ours = {k: fngrad.from_numpy(v.copy()) for k, v in sd.items()}
    out = _round_trip(ours)
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    expected = layer(torch.from_numpy(x)).detach().numpy()
    got = fngrad.from_numpy(x) @ out["weight"].t() + out["bias"]
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)
