"""The rest of torch.nn.functional (activations, pad, interpolate, distances, the margin/NLL losses,
adaptive and ceil-mode pooling, max_unpool) and their modules: values and gradients equal to
PyTorch's (float64, the same code run in both libraries), gradients against finite differences,
and NumPy formulas for the ones whose formula is short (more rows in tests/op_table.py)."""

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import requires_torch
from fngrad import nn

RNG = np.random.default_rng(7)


def away(shape, lo=-3.0, hi=3.0, kinks=(), radius=0.05, seed=0):
    """Uniform values in [lo, hi] at least ``radius`` from each kink."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo, hi, shape)
    for k in kinks:
        near = np.abs(x - k) < radius
        x[near] = k + np.sign(x[near] - k + 1e-9) * radius * 2
    return x


def pm1(shape, seed=0):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


class Const:
    """An input array that becomes a float64 tensor without requires_grad (a target PyTorch refuses
    to differentiate, or whose PyTorch gradient is NaN where fngrad's is finite: poisson_nll_loss's
    target at 0 with full=True)."""

    def __init__(self, array):
        self.array = np.asarray(array, dtype=np.float64)


X34 = away((3, 4), kinks=(-3, -0.5, 0, 0.5, 1.5, 3))
IMG = away((2, 3, 5, 6), seed=1)
SEQ = away((2, 3, 7), seed=2)

# (id, fn(F, *tensors), inputs). Float arrays become float64 tensors that require grad; int arrays
# are passed as int64 tensors without grad.
CASES = [
    ("relu6", lambda F, x: F.relu6(x * 3), [X34]),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x), [X34]),
    ("hardswish", lambda F, x: F.hardswish(x), [X34]),
    ("selu", lambda F, x: F.selu(x), [X34]),
    ("celu", lambda F, x: F.celu(x, alpha=0.7), [X34]),
    ("glu", lambda F, x: F.glu(x, dim=1), [X34]),
    ("glu_default_dim", lambda F, x: F.glu(x), [away((2, 6), seed=3)]),
    ("logsigmoid", lambda F, x: F.logsigmoid(x), [X34]),
    ("softsign", lambda F, x: F.softsign(x), [X34]),
    ("tanhshrink", lambda F, x: F.tanhshrink(x), [X34]),
    ("softshrink", lambda F, x: F.softshrink(x, lambd=0.5), [X34]),
    ("hardshrink", lambda F, x: F.hardshrink(x, 0.5), [X34]),
    ("threshold", lambda F, x: F.threshold(x, 1.5, -2.0), [X34]),
    ("prelu_channels", lambda F, x, w: F.prelu(x, w), [IMG, np.array([0.1, 0.25, -0.3])]),
    ("prelu_single", lambda F, x, w: F.prelu(x, w), [X34, np.array([0.2])]),
    ("rrelu_eval", lambda F, x: F.rrelu(x, 0.1, 0.3, training=False), [X34]),
    ("softmin", lambda F, x: F.softmin(x, dim=1), [X34]),
    ("normalize", lambda F, x: F.normalize(x, p=2.0, dim=1), [X34]),
    ("normalize_p1_dim0", lambda F, x: F.normalize(x, p=1, dim=0), [X34]),
    ("cosine_similarity", lambda F, a, b: F.cosine_similarity(a, b, dim=1), [X34, away((3, 4), seed=4)]),
    ("cosine_similarity_bcast", lambda F, a, b: F.cosine_similarity(a, b, dim=-1), [X34, away((1, 4), seed=5)]),
    ("pairwise_distance", lambda F, a, b: F.pairwise_distance(a, b), [X34, away((3, 4), seed=6)]),
    ("pairwise_distance_p1_keepdim", lambda F, a, b: F.pairwise_distance(a, b, p=1.0, keepdim=True),
     [X34, away((3, 4), seed=6, kinks=tuple(X34.ravel()))]),
    ("pdist", lambda F, x: F.pdist(x), [away((4, 3), seed=8)]),
    ("pdist_p3", lambda F, x: F.pdist(x, p=3), [away((4, 3), seed=8)]),
    ("pad_constant", lambda F, x: F.pad(x, (1, 2, 0, 1), value=0.5), [IMG]),
    ("pad_constant_negative", lambda F, x: F.pad(x, (-1, 2, 1, -2)), [IMG]),
    ("pad_reflect", lambda F, x: F.pad(x, (2, 3, 1, 4), mode="reflect"), [IMG]),
    ("pad_reflect_1d", lambda F, x: F.pad(x, (3, 1), mode="reflect"), [SEQ]),
    ("pad_replicate", lambda F, x: F.pad(x, (2, 1, 3, 0), mode="replicate"), [IMG]),
    ("pad_circular", lambda F, x: F.pad(x, (2, 1, 1, 3), mode="circular"), [IMG]),
    ("interp_nearest_size", lambda F, x: F.interpolate(x, size=(7, 4)), [IMG]),
    ("interp_nearest_scale", lambda F, x: F.interpolate(x, scale_factor=2.5, mode="nearest"), [IMG]),
    ("interp_nearest_exact", lambda F, x: F.interpolate(x, size=(3, 10), mode="nearest-exact"), [IMG]),
    ("interp_linear", lambda F, x: F.interpolate(x, size=12, mode="linear"), [SEQ]),
    ("interp_linear_align", lambda F, x: F.interpolate(x, scale_factor=1.5, mode="linear", align_corners=True),
     [SEQ]),
    ("interp_bilinear", lambda F, x: F.interpolate(x, size=(8, 4), mode="bilinear"), [IMG]),
    ("interp_bilinear_scale", lambda F, x: F.interpolate(x, scale_factor=(1.7, 0.6), mode="bilinear"), [IMG]),
    ("interp_bilinear_align", lambda F, x: F.interpolate(x, size=(9, 11), mode="bilinear", align_corners=True),
     [IMG]),
    ("interp_area", lambda F, x: F.interpolate(x, size=(3, 4), mode="area"), [IMG]),
    ("adaptive_avg_pool1d", lambda F, x: F.adaptive_avg_pool1d(x, 3), [SEQ]),
    ("adaptive_avg_pool2d", lambda F, x: F.adaptive_avg_pool2d(x, (3, 4)), [IMG]),
    ("adaptive_avg_pool2d_none", lambda F, x: F.adaptive_avg_pool2d(x, (2, None)), [IMG]),
    ("adaptive_max_pool1d", lambda F, x: F.adaptive_max_pool1d(x, 4), [SEQ]),
    ("adaptive_max_pool2d", lambda F, x: F.adaptive_max_pool2d(x, (2, 4)), [IMG]),
    ("max_pool1d_ceil", lambda F, x: F.max_pool1d(x, 2, ceil_mode=True), [SEQ]),
    ("avg_pool1d_ceil", lambda F, x: F.avg_pool1d(x, 3, 2, padding=1, ceil_mode=True), [SEQ]),
    ("max_pool2d_ceil", lambda F, x: F.max_pool2d(x, 3, 2, padding=1, ceil_mode=True), [IMG]),
    ("avg_pool2d_ceil", lambda F, x: F.avg_pool2d(x, 2, ceil_mode=True), [IMG]),
    ("avg_pool2d_ceil_no_pad", lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
     [IMG]),
    ("max_pool2d_indices", lambda F, x: F.max_pool2d(x, 2, return_indices=True)[0], [IMG]),
    ("max_unpool2d", lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2,
                                                 output_size=(5, 6)), [IMG]),
    ("max_unpool1d", lambda F, x: F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True), 2), [SEQ]),
    # Losses, each reduction.
    *[(f"margin_ranking_{r}", lambda F, a, b, y, r=r: F.margin_ranking_loss(a, b, y, margin=0.3, reduction=r),
       [away((6,), seed=9), away((6,), seed=10), pm1((6,))]) for r in ("mean", "sum", "none")],
    *[(f"hinge_embedding_{r}", lambda F, x, y, r=r: F.hinge_embedding_loss(x, y, margin=1.0, reduction=r),
       [X34, pm1((3, 4), seed=1)]) for r in ("mean", "sum", "none")],
    *[(f"soft_margin_{r}", lambda F, x, y, r=r: F.soft_margin_loss(x, y, reduction=r),
       [X34, Const(pm1((3, 4), seed=2))]) for r in ("mean", "sum", "none")],
    *[(f"multilabel_soft_margin_{r}", lambda F, x, y, w, r=r: F.multilabel_soft_margin_loss(x, y, w, reduction=r),
       [X34, (RNG.random((3, 4)) < 0.5).astype(np.float64), np.array([0.5, 1.0, 2.0, 1.5])])
      for r in ("mean", "sum", "none")],
    *[(f"multi_margin_p{p}_{r}", lambda F, x, y, w, p=p, r=r: F.multi_margin_loss(x, y, p=p, margin=0.8, weight=w,
                                                                                  reduction=r),
       [away((5, 4), seed=11, lo=-1, hi=1), np.array([0, 3, 1, 1, 2]), Const([1.0, 0.5, 2.0, 1.5])])
      for p in (1, 2) for r in ("mean", "none")],
    ("multi_margin_vector", lambda F, x, y: F.multi_margin_loss(x, y), [away((4,), seed=12, lo=-1, hi=1),
                                                                        np.array([2])]),
    *[(f"triplet_margin_{r}", lambda F, a, p, n, r=r: F.triplet_margin_loss(a, p, n, margin=2.0, reduction=r),
       [away((5, 3), seed=13), away((5, 3), seed=14), away((5, 3), seed=15)]) for r in ("mean", "none")],
    ("triplet_margin_swap_p1", lambda F, a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0, p=1, swap=True),
     [away((5, 3), seed=13), away((5, 3), seed=14), away((5, 3), seed=15)]),
    *[(f"cosine_embedding_{r}", lambda F, a, b, y, r=r: F.cosine_embedding_loss(a, b, y, margin=-0.5, reduction=r),
       [away((5, 3), seed=16), away((5, 3), seed=17), pm1((5,), seed=3)]) for r in ("mean", "sum", "none")],
    *[(f"poisson_nll_{name}", lambda F, x, y, kw=kw: F.poisson_nll_loss(x, y, **kw),
       [away((3, 4), lo=0.2, hi=2.0, seed=18), Const(np.random.default_rng(19).integers(0, 5, (3, 4)))])
      for name, kw in [("log", {}), ("full", {"full": True}), ("prob", {"log_input": False}),
                       ("sum", {"reduction": "sum"}), ("none", {"reduction": "none"})]],
    *[(f"gaussian_nll_{name}", lambda F, x, y, v, kw=kw: F.gaussian_nll_loss(x, y, v, **kw),
       [X34, away((3, 4), seed=20), vshape]) for name, kw, vshape in [
           ("same", {}, away((3, 4), lo=0.1, hi=2.0, seed=21)),
           ("full_sum", {"full": True, "reduction": "sum"}, away((3, 4), lo=0.1, hi=2.0, seed=21)),
           ("one_less", {"reduction": "none"}, away((3,), lo=0.1, hi=2.0, seed=22)),
           ("last_one", {}, away((3, 1), lo=0.1, hi=2.0, seed=23))]],
]

# Shuffles, instance/RMS/local-response norms, fold/unfold, transposed and 3-D convolution and pooling.
VOL = away((2, 2, 4, 5, 4), seed=30)
CASES += [
    ("pixel_shuffle", lambda F, x: F.pixel_shuffle(x, 2), [away((2, 8, 2, 3), seed=31)]),
    ("pixel_unshuffle", lambda F, x: F.pixel_unshuffle(x, 2), [away((2, 2, 4, 6), seed=32)]),
    ("channel_shuffle", lambda F, x: F.channel_shuffle(x, 2), [away((2, 6, 3), seed=33)]),
    ("instance_norm", lambda F, x, w, b: F.instance_norm(x, weight=w, bias=b, eps=0.1),
     [IMG, away((3,), seed=34), away((3,), seed=35)]),
    ("local_response_norm", lambda F, x: F.local_response_norm(x, 3, alpha=0.5, beta=0.7, k=2.0), [IMG]),
    ("local_response_norm_3d", lambda F, x: F.local_response_norm(x, 2), [SEQ]),
    ("rms_norm", lambda F, x, w: F.rms_norm(x, (4,), w), [X34, away((4,), seed=36)]),
    ("rms_norm_default_eps", lambda F, x: F.rms_norm(x, [3, 4]), [away((2, 3, 4), seed=37)]),
    ("upsample_bilinear", lambda F, x: F.upsample_bilinear(x, scale_factor=2), [IMG]),
    ("upsample_nearest", lambda F, x: F.upsample_nearest(x, size=(7, 9)), [IMG]),
    ("triplet_margin_with_distance_loss",
     lambda F, a, p, n: F.triplet_margin_with_distance_loss(a, p, n, margin=2.0, swap=True),
     [away((4, 5), seed=38), away((4, 5), seed=39), away((4, 5), seed=40)]),
    ("triplet_margin_with_distance_loss_custom",
     lambda F, a, p, n: F.triplet_margin_with_distance_loss(
         a, p, n, distance_function=lambda u, v: ((u - v) ** 2).sum(-1), reduction="none"),
     [away((4, 5), seed=41), away((4, 5), seed=42), away((4, 5), seed=43)]),
    ("multilabel_margin_loss", lambda F, x, y: F.multilabel_margin_loss(x, y),
     [away((3, 4), seed=44), np.array([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 0, 0, 0]])]),
    ("unfold", lambda F, x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), [IMG]),
    ("fold", lambda F, x: F.fold(x, (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     [away((2, 18, 12), seed=45)]),
    ("conv_transpose1d", lambda F, x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1,
                                                               dilation=2),
     [SEQ, away((3, 2, 3), seed=46), away((2,), seed=47)]),
    ("conv_transpose2d_groups", lambda F, x, w: F.conv_transpose2d(x, w, stride=(2, 1), padding=(1, 0), groups=3,
                                                                   output_padding=(1, 0)),
     [IMG, away((3, 2, 2, 3), seed=48)]),
    ("conv3d", lambda F, x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1), [VOL, away((3, 2, 2, 3, 2), seed=49),
                                                                                  away((3,), seed=50)]),
    ("avg_pool3d", lambda F, x: F.avg_pool3d(x, 2, stride=(1, 2, 2), padding=1, ceil_mode=True,
                                             count_include_pad=False), [VOL]),
    ("max_pool3d", lambda F, x: F.max_pool3d(x, (2, 3, 2), stride=1, padding=1, dilation=(1, 1, 2)), [VOL]),
    ("adaptive_avg_pool3d", lambda F, x: F.adaptive_avg_pool3d(x, (3, None, 2)), [VOL]),
    ("adaptive_max_pool3d", lambda F, x: F.adaptive_max_pool3d(x, (3, 2, 3)), [VOL]),
]

# Cases whose gradient is piecewise constant with jumps near the test points, or whose result is
# an integer selection: finite differences are checked elsewhere (the values and PyTorch's gradient
# still are here).
NO_GRADCHECK = {"pad_constant_negative"}

# PyTorch's CPU kernels for these take a constant (1/6, 1/alpha) in float32 precision, also in float64.
GRAD_RTOL = {"hardsigmoid": 1e-7, "hardswish": 1e-7, "celu": 1e-7}


def make(lib, arrays):
    out = []
    for a in arrays:
        if isinstance(a, Const):
            out.append(lib.tensor(a.array, dtype=lib.float64))
            continue
        a = np.asarray(a)
        if a.dtype.kind == "f":
            out.append(lib.tensor(a, dtype=lib.float64, requires_grad=True))
        else:
            out.append(lib.tensor(a.astype(np.int64)))
    return out


def run(lib, F_, fn, arrays, seed=0):
    inputs = make(lib, arrays)
    out = fn(F_, *inputs)
    w = np.random.default_rng(seed).standard_normal(tuple(out.shape))
    (out * lib.tensor(w, dtype=lib.float64)).sum().backward()
    grads = [None if not t.requires_grad else (None if t.grad is None else t.grad.numpy()) for t in inputs]
    return out.detach().numpy(), grads


@requires_torch
@pytest.mark.parametrize("case_id,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_matches_pytorch(case_id, fn, arrays):
    import torch
    import torch.nn.functional as TF

    value, grads = run(fngrad, F, fn, arrays)
    t_value, t_grads = run(torch, TF, fn, arrays)
    assert value.shape == t_value.shape
    np.testing.assert_allclose(value, t_value, rtol=1e-10, atol=1e-12)
    for g, tg in zip(grads, t_grads):
        if tg is None:
            assert g is None or not np.any(g)
        else:
            np.testing.assert_allclose(g, tg, rtol=GRAD_RTOL.get(case_id, 1e-9), atol=1e-12)


@pytest.mark.parametrize("case_id,fn,arrays", [c for c in CASES if c[0] not in NO_GRADCHECK],
                         ids=[c[0] for c in CASES if c[0] not in NO_GRADCHECK])
def test_gradcheck(case_id, fn, arrays):
    inputs = make(fngrad, arrays)
    diff = [i for i, t in enumerate(inputs) if t.requires_grad]
    if case_id.startswith(("multilabel", "hinge", "soft_margin", "margin_ranking", "cosine_embedding",
                           "poisson", "multi_margin")):
        diff = diff[:1] if not case_id.startswith(("margin_ranking", "cosine_embedding")) else diff[:2]
    fixed = list(inputs)

    def f(*xs):
        args = list(fixed)
        for i, x in zip(diff, xs):
            args[i] = x
        return fn(F, *args)

    assert fngrad.autograd.gradcheck(f, tuple(inputs[i] for i in diff), eps=1e-6, atol=1e-5)


# ---- NumPy formulas ----

def test_activation_formulas():
    x = X34
    t = fngrad.tensor(x, dtype=fngrad.float64)
    np.testing.assert_allclose(F.hardswish(t).numpy(), x * np.clip(x + 3, 0, 6) / 6, rtol=1e-12)
    np.testing.assert_allclose(F.softshrink(t, 0.5).numpy(), np.sign(x) * np.maximum(np.abs(x) - 0.5, 0), rtol=1e-12)
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    np.testing.assert_allclose(F.selu(t).numpy(), scale * np.where(x > 0, x, alpha * np.expm1(x)), rtol=1e-12)
    np.testing.assert_allclose(F.celu(t, 0.7).numpy(), np.where(x > 0, x, 0.7 * np.expm1(x / 0.7)), rtol=1e-12)
    np.testing.assert_allclose(F.softmin(t, 1).numpy(), np.exp(-x) / np.exp(-x).sum(1, keepdims=True), rtol=1e-12)


def test_pad_reflect_matches_numpy():
    x = IMG
    out = F.pad(fngrad.tensor(x), (2, 3, 1, 4), mode="reflect").numpy()
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (0, 0), (1, 4), (2, 3)), mode="reflect"))
    out = F.pad(fngrad.tensor(x), (2, 1, 3, 0), mode="replicate").numpy()
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (0, 0), (3, 0), (2, 1)), mode="edge"))
    out = F.pad(fngrad.tensor(x), (2, 1, 1, 3), mode="circular").numpy()
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (0, 0), (1, 3), (2, 1)), mode="wrap"))


def test_bilinear_align_corners_matches_formula():
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    out = F.interpolate(fngrad.tensor(x), size=(3, 5), mode="bilinear", align_corners=True).numpy()[0, 0]
    rows, cols = np.linspace(0, 1, 3), np.linspace(0, 2, 5)
    expected = rows[:, None] * 3 + cols[None, :]  # the input is linear: 3 * row + col
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_distances_match_formulas():
    a, b = X34, away((3, 4), seed=6)
    ta, tb = fngrad.tensor(a), fngrad.tensor(b)
    np.testing.assert_allclose(F.pairwise_distance(ta, tb).numpy(), np.linalg.norm(a - b + 1e-6, axis=1), rtol=1e-12)
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(F.cosine_similarity(ta, tb).numpy(), cos, rtol=1e-12)
    i, j = np.triu_indices(3, 1)
    np.testing.assert_allclose(F.pdist(ta).numpy(), np.linalg.norm(a[i] - a[j], axis=1), rtol=1e-12)


def test_adaptive_avg_pool_windows_formula():
    x = SEQ  # length 7 to 3 outputs: windows [0, 3), [2, 5), [4, 7)
    out = F.adaptive_avg_pool1d(fngrad.tensor(x), 3).numpy()
    expected = np.stack([x[..., 0:3].mean(-1), x[..., 2:5].mean(-1), x[..., 4:7].mean(-1)], -1)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_max_pool_indices_and_unpool_round_trip():
    x = fngrad.tensor(IMG)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert idx.dtype == fngrad.int64 and idx.shape == out.shape
    flat = IMG.reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(2, 3, -1), 2).reshape(out.shape),
                                  out.numpy())
    back = nn.MaxUnpool2d(2)(out, idx, output_size=(5, 6)).numpy()
    assert np.count_nonzero(back) == out.numel() and np.isin(back[back != 0], IMG).all()


def test_losses_match_formulas():
    x, y = X34, pm1((3, 4), seed=2)
    np.testing.assert_allclose(F.soft_margin_loss(fngrad.tensor(x), fngrad.tensor(y)).item(),
                               np.log1p(np.exp(-y * x)).mean(), rtol=1e-12)
    np.testing.assert_allclose(F.hinge_embedding_loss(fngrad.tensor(x), fngrad.tensor(y), reduction="sum").item(),
                               np.where(y == 1, x, np.maximum(0, 1 - x)).sum(), rtol=1e-12)
    v = away((3, 4), lo=0.1, hi=2.0, seed=21)
    t = away((3, 4), seed=20)
    np.testing.assert_allclose(F.gaussian_nll_loss(fngrad.tensor(x), fngrad.tensor(t), fngrad.tensor(v)).item(),
                               (0.5 * (np.log(v) + (x - t) ** 2 / v)).mean(), rtol=1e-12)
    lam = away((3, 4), lo=0.2, hi=2.0, seed=18)
    k = np.random.default_rng(19).integers(0, 5, (3, 4)).astype(np.float64)
    np.testing.assert_allclose(F.poisson_nll_loss(fngrad.tensor(lam), fngrad.tensor(k), log_input=False).item(),
                               (lam - k * np.log(lam + 1e-8)).mean(), rtol=1e-12)
    xm, ym = away((5, 4), seed=11, lo=-1, hi=1), np.array([0, 3, 1, 1, 2])
    margins = np.maximum(0, 1 - xm[np.arange(5), ym][:, None] + xm)
    margins[np.arange(5), ym] = 0
    np.testing.assert_allclose(F.multi_margin_loss(fngrad.tensor(xm), fngrad.tensor(ym)).item(),
                               (margins.sum(1) / 4).mean(), rtol=1e-12)


# ---- modules ----

@requires_torch
@pytest.mark.parametrize("name,args,inputs", [
    ("ReLU6", (), [X34 * 3]), ("Hardsigmoid", (), [X34]), ("Hardswish", (), [X34]), ("SELU", (), [X34]),
    ("CELU", (0.5,), [X34]), ("GLU", (1,), [X34]), ("LogSigmoid", (), [X34]), ("Softsign", (), [X34]),
    ("Tanhshrink", (), [X34]), ("Softshrink", (0.3,), [X34]), ("Hardshrink", (0.3,), [X34]),
    ("Threshold", (0.1, 20.0), [X34]), ("Softmin", (1,), [X34]), ("PReLU", (), [X34]), ("PReLU", (3,), [IMG]),
    ("AdaptiveAvgPool2d", ((2, 3),), [IMG]), ("AdaptiveMaxPool2d", (3,), [IMG]),
    ("AdaptiveAvgPool1d", (2,), [SEQ]), ("AdaptiveMaxPool1d", (5,), [SEQ]),
    ("MarginRankingLoss", (0.2,), [away((6,), seed=9), away((6,), seed=10), pm1((6,))]),
    ("HingeEmbeddingLoss", (), [X34, pm1((3, 4), seed=1)]), ("SoftMarginLoss", (), [X34, Const(pm1((3, 4)))]),
    ("MultiLabelSoftMarginLoss", (), [X34, (RNG.random((3, 4)) < 0.5).astype(np.float64)]),
    ("MultiMarginLoss", (2, 0.5), [away((5, 4), seed=11, lo=-1, hi=1), np.array([0, 3, 1, 1, 2])]),
    ("TripletMarginLoss", (1.5,), [away((5, 3), seed=13), away((5, 3), seed=14), away((5, 3), seed=15)]),
    ("CosineEmbeddingLoss", (0.1,), [away((5, 3), seed=16), away((5, 3), seed=17), pm1((5,), seed=3)]),
    ("PoissonNLLLoss", (), [X34, Const(np.random.default_rng(19).integers(0, 5, (3, 4)))]),
    ("GaussianNLLLoss", (), [X34, away((3, 4), seed=20), away((3, 4), lo=0.1, hi=2.0, seed=21)]),
    ("ZeroPad2d", (2,), [IMG]), ("ConstantPad1d", ((1, 2), 3.5), [SEQ]), ("ConstantPad2d", ((1, 0, 2, 1), -1.0), [IMG]),
    ("ReflectionPad2d", (2,), [IMG]), ("ReflectionPad1d", ((3, 1),), [SEQ]),
    ("ReplicationPad2d", ((1, 2, 3, 0),), [IMG]),
    ("ReplicationPad1d", (2,), [SEQ]), ("CircularPad2d", (1,), [IMG]), ("CircularPad1d", ((2, 1),), [SEQ]),
    ("Upsample", (None, 2, "bilinear"), [IMG]), ("Upsample", ((4, 9),), [IMG]),
    ("Upsample", (None, 1.5, "linear", True), [SEQ]),
    ("PairwiseDistance", (), [X34, away((3, 4), seed=6)]), ("CosineSimilarity", (0,), [X34, away((3, 4), seed=4)]),
])
def test_module_matches_pytorch(name, args, inputs):
    import torch

    module = getattr(nn, name)(*args).double()
    t_module = getattr(torch.nn, name)(*args).double()
    with torch.no_grad():
        for p, tp in zip(module.parameters(), t_module.parameters()):
            tp.copy_(torch.from_numpy(p.detach().numpy()))
    assert repr(module) == repr(t_module)
    value, grads = run(fngrad, None, lambda _, *xs: module(*xs), inputs)
    t_value, t_grads = run(torch, None, lambda _, *xs: t_module(*xs), inputs)
    np.testing.assert_allclose(value, t_value, rtol=1e-10, atol=1e-12)
    for g, tg in zip(grads, t_grads):
        if tg is not None:
            np.testing.assert_allclose(g, tg, rtol=GRAD_RTOL.get(name.lower(), 1e-9), atol=1e-12)
    for p, tp in zip(module.parameters(), t_module.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9)


def test_rrelu_training_slopes_within_bounds():
    x = fngrad.tensor(-np.ones((200,)), requires_grad=True)
    out = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -out.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.01
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)
    assert nn.RReLU(0.1, 0.3).eval()(fngrad.tensor([-1.0])).item() == pytest.approx(-0.2)


# ---- bad input ----

@pytest.mark.parametrize("call,exc,text", [
    (lambda: F.glu(fngrad.ones(3, 5)), RuntimeError, "Halving dimension must be even"),
    (lambda: F.pad(fngrad.ones(2, 3), (1,)), RuntimeError, "divisible by 2"),
    (lambda: F.pad(fngrad.ones(1, 2, 3), (3, 3), mode="reflect"), RuntimeError, "Padding size should be less"),
    (lambda: F.pad(fngrad.ones(1, 2, 3), (1, 1), mode="bogus"), NotImplementedError, "bogus"),
    (lambda: F.interpolate(fngrad.ones(1, 1, 4), size=3, scale_factor=2.0), ValueError, "only one of size"),
    (lambda: F.interpolate(fngrad.ones(1, 1, 4), size=8, mode="bilinear"), NotImplementedError, "bilinear"),
    (lambda: F.interpolate(fngrad.ones(1, 1, 4), size=8, mode="nearest", align_corners=True), ValueError,
     "align_corners"),
    (lambda: F.multi_margin_loss(fngrad.ones(2, 3), fngrad.tensor([0, 1]), p=3), ValueError, "p == 1 and p == 2"),
    (lambda: F.gaussian_nll_loss(fngrad.ones(2, 3), fngrad.ones(2, 3), fngrad.ones(4)), ValueError,
     "var is of incorrect size"),
    (lambda: F.gaussian_nll_loss(fngrad.ones(2, 3), fngrad.ones(2, 3), -fngrad.ones(2, 3)), ValueError,
     "negative entry"),
    (lambda: F.prelu(fngrad.ones(2, 3), fngrad.ones(4)), RuntimeError, "Mismatch of parameter numbers"),
    (lambda: F.pdist(fngrad.ones(2, 3, 4)), RuntimeError, "pdist only supports 2D"),
    (lambda: F.hinge_embedding_loss(fngrad.ones(2), fngrad.ones(2), reduction="avg"), ValueError,
     "not a valid value for reduction"),
])
def test_bad_input(call, exc, text):
    with pytest.raises(exc, match=text):
        call()
    # Everything stays usable.
    x = fngrad.ones(2, 2, requires_grad=True)
    F.softsign(x).sum().backward()
    assert x.grad is not None


def test_cosine_similarity_broadcasts_before_the_norms():
    # x1 (1, 2, 3) and x2 (2, 1, 3) along dim -2: both broadcast to (2, 2, 3) first (PyTorch), so each
    # norm runs over two entries, not over x2's single one.
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((1, 2, 3)), rng.standard_normal((2, 1, 3))
    A, B = np.broadcast_arrays(a, b)
    expected = (A * B).sum(-2) / (np.linalg.norm(A, axis=-2) * np.linalg.norm(B, axis=-2))
    got = F.cosine_similarity(fngrad.tensor(a), fngrad.tensor(b), dim=-2).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("pad", [(-1, 1), (1, -1), (-2, 1), (2, -1), (-1, -1), (-1, 2)])
def test_circular_pad_with_negative_sizes_crops_then_wraps(pad):
    # PyTorch crops the negative side first, then wraps within what is left.
    x = np.arange(5.0)
    lo, hi = pad
    cropped = x[max(-lo, 0):len(x) - max(-hi, 0)]
    expected = np.pad(cropped, (max(lo, 0), max(hi, 0)), mode="wrap")
    got = F.pad(fngrad.tensor(x).reshape(1, 1, 5), pad, mode="circular").numpy().ravel()
    np.testing.assert_array_equal(got, expected)


def test_isclose_of_0d_tensors_is_0d():
    assert fngrad.isclose(fngrad.tensor(1.0), fngrad.tensor(1.0 + 1e-9)).shape == ()


# ---- empty batches, one-element padding tuples, scalar multi_margin_loss input (PyTorch OpInfo samples)

def test_group_norm_empty_batch_keeps_shape():
    x = fngrad.zeros(0, 4, 3)
    assert tuple(F.group_norm(x, 2).shape) == (0, 4, 3)


def test_batch_norm_empty_input_keeps_shape():
    x = fngrad.zeros(0)
    out = F.batch_norm(x, fngrad.zeros(0), fngrad.ones(0), training=True)
    assert tuple(out.shape) == (0,)


def test_avg_pool2d_one_element_padding_tuple_matches_int():
    x = fngrad.tensor(RNG.standard_normal((1, 2, 6, 6)))
    a = F.avg_pool2d(x, (3, 3), (1, 1), (1,))
    b = F.avg_pool2d(x, 3, 1, 1)
    np.testing.assert_allclose(a.numpy(), b.numpy())


def test_multi_margin_loss_scalar_input_is_zero():
    # One class: no i != y term, so the loss is 0 (PyTorch: input () with target ()).
    loss = F.multi_margin_loss(fngrad.tensor(0.7), fngrad.tensor(0))
    assert loss.item() == 0.0


def test_pixel_shuffle_and_rms_norm_formulas():
    x = RNG.standard_normal((2, 8, 2, 3))
    out = F.pixel_shuffle(fngrad.tensor(x), 2).numpy()
    # out[n, c, h r + i, w r + j] = x[n, c r^2 + i r + j, h, w]
    for i in range(2):
        for j in range(2):
            np.testing.assert_array_equal(out[:, :, i::2, j::2], x[:, [c * 4 + i * 2 + j for c in range(2)]])
    np.testing.assert_array_equal(F.pixel_unshuffle(fngrad.tensor(out), 2).numpy(), x)
    y = RNG.standard_normal((3, 4))
    w = RNG.standard_normal(4)
    expected = y / np.sqrt((y ** 2).mean(-1, keepdims=True) + 1e-3) * w
    np.testing.assert_allclose(F.rms_norm(fngrad.tensor(y), [4], fngrad.tensor(w), 1e-3).numpy(), expected)


def test_fold_is_the_adjoint_of_unfold():
    # <unfold(x), y> == <x, fold(y)> for every x, y: fold scatters back exactly what unfold gathered.
    x = RNG.standard_normal((2, 3, 5, 6))
    cols = F.unfold(fngrad.tensor(x), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)).numpy()
    y = RNG.standard_normal(cols.shape)
    back = F.fold(fngrad.tensor(y), (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)).numpy()
    np.testing.assert_allclose((cols * y).sum(), (x * back).sum(), rtol=1e-12)


def test_conv_transpose1d_is_the_adjoint_of_conv1d():
    x = RNG.standard_normal((2, 3, 9))
    w = RNG.standard_normal((4, 3, 3))
    out = F.conv1d(fngrad.tensor(x), fngrad.tensor(w), stride=2, padding=1).numpy()
    y = RNG.standard_normal(out.shape)
    back = F.conv_transpose1d(fngrad.tensor(y), fngrad.tensor(w), stride=2, padding=1).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose((out * y).sum(), (x * back).sum(), rtol=1e-12)


def test_multilabel_margin_loss_formula():
    x = RNG.standard_normal((2, 4))
    y = np.array([[3, 0, -1, 1], [2, -1, 0, 0]])
    expected = []
    for row, t in zip(x, y):
        targets = list(t[:list(t).index(-1)])
        others = [i for i in range(4) if i not in targets]
        expected.append(sum(max(0.0, 1 - (row[j] - row[i])) for j in targets for i in others) / 4)
    out = F.multilabel_margin_loss(fngrad.tensor(x), fngrad.tensor(y), reduction="none").numpy()
    np.testing.assert_allclose(out, expected)


@requires_torch
def test_instance_norm_running_stats_match_pytorch():
    import torch
    import torch.nn.functional as TF

    x = RNG.standard_normal((3, 2, 5))
    rm, rv = np.array([0.5, -1.0]), np.array([2.0, 0.5])
    ours = [fngrad.tensor(rm.copy()), fngrad.tensor(rv.copy())]
    theirs = [torch.tensor(rm.copy()), torch.tensor(rv.copy())]
    F.instance_norm(fngrad.tensor(x), *ours, momentum=0.3)
    TF.instance_norm(torch.tensor(x), *theirs, momentum=0.3)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


@requires_torch
@pytest.mark.parametrize("name,args", [
    ("PixelShuffle", (2,)), ("PixelUnshuffle", (2,)), ("ChannelShuffle", (2,)), ("RMSNorm", ((4, 4),)),
    ("LocalResponseNorm", (3,)), ("Unfold", ((2, 2),)),
])
def test_shape_modules_match_pytorch(name, args):
    import torch

    x = RNG.standard_normal((2, 8, 4, 4))
    ours = getattr(nn, name)(*args)(fngrad.tensor(x)).detach().numpy()
    theirs = getattr(torch.nn, name)(*args)(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@requires_torch
def test_fold_module_matches_pytorch():
    import torch

    y = RNG.standard_normal((2, 12, 9))
    ours = nn.Fold((4, 4), 2)(fngrad.tensor(y)).numpy()
    theirs = torch.nn.Fold((4, 4), 2)(torch.tensor(y)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@requires_torch
@pytest.mark.parametrize("name,kwargs,shape", [
    ("ConvTranspose1d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, output_padding=1, groups=2),
     (2, 4, 5)),
    ("ConvTranspose2d", dict(in_channels=3, out_channels=2, kernel_size=(2, 3), stride=(2, 1), padding=1,
                             dilation=2), (2, 3, 4, 5)),
])
def test_conv_transpose_modules_match_pytorch(name, kwargs, shape):
    import torch

    theirs = getattr(torch.nn, name)(**kwargs).double()
    ours = getattr(nn, name)(**kwargs, dtype=fngrad.float64)
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape)
    with fngrad.no_grad():
        ours.weight.copy_(fngrad.tensor(theirs.weight.detach().numpy()))
        ours.bias.copy_(fngrad.tensor(theirs.bias.detach().numpy()))
    x = RNG.standard_normal(shape)
    np.testing.assert_allclose(ours(fngrad.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("name,shape", [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm2d", (2, 3, 4, 4))])
def test_instance_norm_modules_match_pytorch(name, shape):
    import torch

    x = RNG.standard_normal(shape)
    ours = getattr(nn, name)(3, affine=True, track_running_stats=True, dtype=fngrad.float64)
    theirs = getattr(torch.nn, name)(3, affine=True, track_running_stats=True).double()
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        np.testing.assert_allclose(ours(fngrad.tensor(x)).detach().numpy(),
                                   theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-12)
