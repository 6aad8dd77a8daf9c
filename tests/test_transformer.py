"""nn.MultiheadAttention, the Transformer modules and F.multi_head_attention_forward.

Against PyTorch (skipped without it): PyTorch's parameters are copied in through NumPy, both run in
eval mode (dropout off) on the same data in float32 and float64, and outputs, attention weights, the
inputs' gradients and every parameter's gradient must agree. Without PyTorch: one head's output and
weights against the attention formula written in NumPy, gradients against central differences in
float64, initialisation against its bounds, and bad input against PyTorch's exception types and
wording."""

import math
import warnings

import numpy as np
import pytest

import fngrad
import fngrad.nn.functional as F
from conftest import numeric_grad, requires_torch
from fngrad import nn

TOL = {"float64": dict(rtol=1e-9, atol=1e-11), "float32": dict(rtol=2e-4, atol=2e-5)}


def _rng(seed=0):
    return np.random.default_rng(seed)


def _copy_state(ours, theirs):
    ours.load_state_dict({k: fngrad.from_numpy(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})


def _as(lib, value, dtype):
    """A NumPy array as a tensor of ``lib``: float arrays in ``dtype`` and requiring grad, masks as they are."""
    if value is None or not isinstance(value, np.ndarray):
        return value
    if value.dtype == np.float64:
        return lib.from_numpy(value.astype(dtype)).requires_grad_()
    return lib.from_numpy(value.copy())


def _mask(value, dtype):
    """A float mask in the inputs' dtype, a bool one unchanged (masks take no gradient here)."""
    return value.astype(dtype) if value is not None and value.dtype.kind == "f" else value


def _compare(ours, theirs, args, kwargs, dtype):
    """Runs both modules on the same NumPy ``args`` (float arrays become inputs requiring grad) and
    ``kwargs`` (masks), compares the outputs (and attention weights), then backpropagates the same
    random upstream gradients and compares the gradients of the inputs and of every parameter."""
    import torch

    ours.to(getattr(fngrad, dtype)).eval()
    theirs.to(getattr(torch, dtype)).eval()
    _copy_state(ours, theirs)
    results = []
    for lib, module in ((fngrad, ours), (torch, theirs)):
        inputs = {}
        call_args = [inputs.setdefault(id(a), _as(lib, a, dtype)) for a in args]  # a repeated array stays one tensor
        call_kwargs = {k: (lib.from_numpy(_mask(v, dtype)) if isinstance(v, np.ndarray) else v)
                       for k, v in kwargs.items()}
        out = module(*call_args, **call_kwargs)
        outs = [t for t in (out if isinstance(out, tuple) else (out,)) if t is not None]
        upstream = [lib.from_numpy(_rng(7 + i).standard_normal(tuple(t.shape)).astype(dtype))
                    for i, t in enumerate(outs)]
        sum((t * g).sum() for t, g in zip(outs, upstream)).backward()
        results.append((outs, list(inputs.values()), dict(module.named_parameters())))
    (f_outs, f_in, f_params), (t_outs, t_in, t_params) = results
    assert len(f_outs) == len(t_outs)
    for f, t in zip(f_outs, t_outs):
        assert tuple(f.shape) == tuple(t.shape)
        np.testing.assert_allclose(f.detach().numpy(), t.detach().numpy(), **TOL[dtype])
    for f, t in zip(f_in, t_in):
        if t.requires_grad:
            np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy(), **TOL[dtype])
    assert list(f_params) == list(t_params)
    for name, tp in t_params.items():
        assert (f_params[name].grad is None) == (tp.grad is None), name
        if tp.grad is not None:
            np.testing.assert_allclose(f_params[name].grad.numpy(), tp.grad.numpy(), err_msg=name, **TOL[dtype])


# --------------------------------------------------------------------------------------------------
# MultiheadAttention against PyTorch
# --------------------------------------------------------------------------------------------------
L, S, N, E, H = 5, 6, 3, 8, 2


def _padding(n, s, kind="bool"):
    """Key padding: the last two keys of sample 0 and the last of sample 2 are padding."""
    mask = np.zeros((n, s), bool)
    mask[0, -2:] = True
    mask[-1, -1] = True
    return mask if kind == "bool" else np.where(mask, -np.inf, _rng(3).standard_normal((n, s)) * 0.1)


def _attn_mask(shape, kind="bool"):
    """Random forbidden positions, never the first key (no query is left without a key)."""
    mask = _rng(4).random(shape) < 0.4
    mask[..., 0] = False
    return mask if kind == "bool" else np.where(mask, -np.inf, _rng(5).standard_normal(shape))


def _causal(n):
    return np.triu(np.ones((n, n), bool), 1)


x_self = _rng(1).standard_normal((L, N, E))
x_key = _rng(2).standard_normal((S, N, E))
x_value = _rng(6).standard_normal((S, N, E))


def _bf(*arrays):
    """The arrays in batch-first layout."""
    return tuple(a.transpose(1, 0, 2).copy() for a in arrays)


MHA_CASES = {
    "self": (dict(), (x_self, x_self, x_self), {}),
    "self_batch_first": (dict(batch_first=True), (x_self, x_self, x_self), {}),
    "cross_key_is_value": (dict(), (x_self, x_key, x_key), {}),
    "cross_distinct": (dict(batch_first=True), _bf(x_self, x_key, x_value), {}),
    "kdim_vdim": (dict(kdim=4, vdim=3), (x_self, x_key[..., :4].copy(), x_value[..., :3].copy()), {}),
    "no_bias": (dict(bias=False), (x_self, x_key, x_key), {}),
    "bias_kv": (dict(add_bias_kv=True), (x_self, x_key, x_key), {"key_padding_mask": _padding(N, S)}),
    "zero_attn": (dict(add_zero_attn=True), (x_self, x_key, x_key), {"attn_mask": _attn_mask((L, S))}),
    "bias_kv_zero_attn": (dict(add_bias_kv=True, add_zero_attn=True), (x_self, x_self, x_self),
                          {"attn_mask": _attn_mask((N * H, L, L), "float")}),
    "kpm_bool": (dict(), (x_self, x_key, x_key), {"key_padding_mask": _padding(N, S)}),
    "kpm_float": (dict(), (x_self, x_key, x_key), {"key_padding_mask": _padding(N, S, "float")}),
    "mask2d_bool": (dict(), (x_self, x_key, x_key), {"attn_mask": _attn_mask((L, S))}),
    "mask2d_float": (dict(), (x_self, x_key, x_key), {"attn_mask": _attn_mask((L, S), "float")}),
    "mask3d_bool": (dict(), (x_self, x_key, x_key), {"attn_mask": _attn_mask((N * H, L, S))}),
    "mask3d_float": (dict(batch_first=True), _bf(x_self, x_key, x_key),
                     {"attn_mask": _attn_mask((N * H, L, S), "float")}),
    "both_masks": (dict(), (x_self, x_self, x_self),
                   {"attn_mask": _causal(L), "key_padding_mask": _padding(N, L)}),
    "both_masks_float": (dict(), (x_self, x_self, x_self),
                         {"attn_mask": np.where(_causal(L), -np.inf, 0.0), "key_padding_mask": _padding(N, L, "float")}),
    "no_weights": (dict(), (x_self, x_key, x_key), {"need_weights": False, "key_padding_mask": _padding(N, S)}),
    "no_weights_mask3d": (dict(), (x_self, x_key, x_key),
                          {"need_weights": False, "attn_mask": _attn_mask((N * H, L, S))}),
    "per_head_weights": (dict(), (x_self, x_key, x_key),
                         {"average_attn_weights": False, "attn_mask": _attn_mask((L, S), "float")}),
    "is_causal": (dict(), (x_self, x_self, x_self), {"attn_mask": _causal(L), "is_causal": True,
                                                     "need_weights": False}),
    "is_causal_with_weights": (dict(), (x_self, x_self, x_self), {"attn_mask": _causal(L), "is_causal": True}),
    "is_causal_with_padding": (dict(), (x_self, x_self, x_self), {"attn_mask": _causal(L), "is_causal": True,
                                                                  "key_padding_mask": _padding(N, L),
                                                                  "need_weights": False}),
    "unbatched": (dict(batch_first=True), (x_self[:, 0].copy(), x_key[:, 0].copy(), x_key[:, 0].copy()),
                  {"key_padding_mask": _padding(1, S)[0], "attn_mask": _attn_mask((H, L, S))}),
    "unbatched_per_head": (dict(add_zero_attn=True), (x_self[:, 0].copy(),) * 3, {"average_attn_weights": False}),
    "four_heads": (dict(num_heads=4), (x_self, x_key, x_key), {"key_padding_mask": _padding(N, S)}),
}


@requires_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention_matches_torch(case, dtype):
    import torch

    ctor, args, kwargs = MHA_CASES[case]
    ctor = {"embed_dim": E, "num_heads": H, **ctor}
    if "attn_mask" in kwargs and kwargs["attn_mask"].ndim == 3 and ctor["num_heads"] != H:
        pytest.skip("mask made for H heads")
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's deprecation of mixed mask types, same for both
        _compare(nn.MultiheadAttention(**ctor), torch.nn.MultiheadAttention(**ctor), args, kwargs, dtype)


@requires_torch
def test_multihead_attention_parameters_match_torch():
    import torch

    for ctor in (dict(), dict(kdim=3, vdim=5, bias=False), dict(add_bias_kv=True)):
        ours, theirs = nn.MultiheadAttention(6, 3, **ctor), torch.nn.MultiheadAttention(6, 3, **ctor)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
        assert repr(ours) == repr(theirs)
        for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                     "bias_k", "bias_v"):
            assert (getattr(ours, name) is None) == (getattr(theirs, name) is None), name


@requires_torch
def test_functional_multi_head_attention_matches_torch():
    """F.multi_head_attention_forward called directly, with static keys and values."""
    import torch

    rng = _rng(11)
    arrays = dict(q=rng.standard_normal((L, N, E)), w_in=rng.standard_normal((3 * E, E)) * 0.3,
                  b_in=rng.standard_normal(3 * E), w_out=rng.standard_normal((E, E)) * 0.3, b_out=rng.standard_normal(E),
                  sk=rng.standard_normal((N * H, S, E // H)), sv=rng.standard_normal((N * H, S, E // H)))
    results = []
    for lib in (fngrad, torch):
        t = {k: lib.from_numpy(v.copy()).requires_grad_() for k, v in arrays.items()}
        out, weights = lib.nn.functional.multi_head_attention_forward(
            t["q"], t["q"], t["q"], E, H, t["w_in"], t["b_in"], None, None, False, 0.0, t["w_out"], t["b_out"],
            static_k=t["sk"], static_v=t["sv"], average_attn_weights=False)
        (out.sum() + (weights * weights).sum()).backward()
        results.append([out.detach().numpy(), weights.detach().numpy()] + [t[k].grad.numpy() for k in arrays])
    for f, t in zip(*results):
        np.testing.assert_allclose(f, t, rtol=1e-9, atol=1e-11)


# --------------------------------------------------------------------------------------------------
# The Transformer modules against PyTorch
# --------------------------------------------------------------------------------------------------
D, FF = 8, 12
src = _rng(21).standard_normal((S, N, D))
tgt = _rng(22).standard_normal((L, N, D))


def _layer_kwargs(lib, kw):
    kw = dict(kw)
    if kw.get("activation") == "callable":
        kw["activation"] = lib.nn.functional.silu
    if kw.get("activation") == "module":
        kw["activation"] = lib.nn.Tanh()
    return kw


ENCODER_LAYER_CASES = {
    "post_norm": (dict(), (src,), {}),
    "pre_norm_gelu": (dict(norm_first=True, activation="gelu"), (src,), {}),
    "callable_activation": (dict(activation="callable", layer_norm_eps=1e-3), (src,), {}),
    "module_activation": (dict(activation="module", bias=False), (src,), {}),
    "batch_first_padding": (dict(batch_first=True), (src.transpose(1, 0, 2).copy(),),
                            {"src_key_padding_mask": _padding(N, S)}),
    "float_mask_and_padding": (dict(), (src,), {"src_mask": _attn_mask((S, S), "float"),
                                                "src_key_padding_mask": _padding(N, S, "float")}),
    "causal": (dict(norm_first=True), (src,), {"src_mask": np.where(_causal(S), -np.inf, 0.0), "is_causal": True}),
    "unbatched": (dict(), (src[:, 0].copy(),), {"src_mask": _causal(S)}),
}


DECODER_LAYER_CASES = {
    "post_norm": (dict(), (tgt, src), {}),
    "pre_norm_masks": (dict(norm_first=True, activation="gelu"), (tgt, src),
                       {"tgt_mask": np.where(_causal(L), -np.inf, 0.0), "memory_mask": _attn_mask((L, S)),
                        "tgt_is_causal": True}),
    "paddings_batch_first": (dict(batch_first=True, bias=False),
                             (tgt.transpose(1, 0, 2).copy(), src.transpose(1, 0, 2).copy()),
                             {"tgt_key_padding_mask": _padding(N, L), "memory_key_padding_mask": _padding(N, S)}),
    "unbatched": (dict(layer_norm_eps=1e-6), (tgt[:, 0].copy(), src[:, 0].copy()),
                  {"memory_key_padding_mask": _padding(1, S)[0]}),
}


LAYER_CASES = [("TransformerEncoderLayer", name, *case) for name, case in ENCODER_LAYER_CASES.items()] + \
              [("TransformerDecoderLayer", name, *case) for name, case in DECODER_LAYER_CASES.items()]


@requires_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layer, case, kw, args, call", LAYER_CASES, ids=[f"{c[0]}-{c[1]}" for c in LAYER_CASES])
def test_layer_matches_torch(layer, case, kw, args, call, dtype):
    import torch

    torch.manual_seed(0)
    ours = getattr(nn, layer)(D, H, FF, dropout=0.0, **_layer_kwargs(fngrad, kw))
    theirs = getattr(torch.nn, layer)(D, H, FF, dropout=0.0, **_layer_kwargs(torch, kw))
    _compare(ours, theirs, args, call, dtype)


@requires_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_encoder_and_decoder_stacks_match_torch(dtype):
    import torch

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's note that its nested-tensor path is off
        theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, H, FF, 0.0), 2,
                                             torch.nn.LayerNorm(D))
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF, 0.0), 2, nn.LayerNorm(D))
    causal = np.where(_causal(S), -np.inf, 0.0).astype(np.float32)  # detected as causal (is_causal=None)
    _compare(ours, theirs, (src,), {"mask": causal, "src_key_padding_mask": _padding(N, S)}, dtype)
    theirs = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, H, FF, 0.0, norm_first=True), 2)
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, FF, 0.0, norm_first=True), 2)
    _compare(ours, theirs, (tgt, src), {"tgt_mask": _causal(L), "memory_key_padding_mask": _padding(N, S)}, dtype)


@requires_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(dtype, batch_first):
    import torch

    torch.manual_seed(0)
    kw = dict(d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=FF, dropout=0.0,
              batch_first=batch_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.Transformer(**kw)
    ours = nn.Transformer(**kw)
    assert repr(ours) == repr(theirs)
    args = (src, tgt) if not batch_first else (src.transpose(1, 0, 2).copy(), tgt.transpose(1, 0, 2).copy())
    tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(L).numpy()
    np.testing.assert_array_equal(nn.Transformer.generate_square_subsequent_mask(L).numpy(), tgt_mask)
    _compare(ours, theirs, args, {"tgt_mask": tgt_mask, "src_key_padding_mask": _padding(N, S),
                                  "memory_key_padding_mask": _padding(N, S)}, dtype)


@requires_torch
def test_inference_matches_torch_fused_path():
    """Under no_grad in eval mode PyTorch takes its fused kernel; fngrad's one path gives the same values."""
    import torch

    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(D, H, FF, batch_first=True).eval()
    ours = nn.TransformerEncoderLayer(D, H, FF, batch_first=True).eval()
    _copy_state(ours, theirs)
    x = _rng(5).standard_normal((N, S, D)).astype(np.float32)
    with torch.no_grad(), fngrad.no_grad():
        np.testing.assert_allclose(ours(fngrad.from_numpy(x)).numpy(), theirs(torch.from_numpy(x)).numpy(),
                                   rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------------------------------
# Without PyTorch: formulas, finite differences, initialisation, bad input
# --------------------------------------------------------------------------------------------------
def _np_softmax(z):
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def test_one_head_matches_numpy_formula():
    """Each head is softmax(q_h k_h^T / sqrt(d) + mask) v_h on its slice of the projections; the output
    is the heads side by side times out_proj."""
    mha = nn.MultiheadAttention(6, 2, kdim=4, vdim=5).double()
    w = {k: v.detach().numpy() for k, v in mha.state_dict().items()}
    rng = _rng(9)
    query, key, value = rng.standard_normal((3, 6)), rng.standard_normal((4, 4)), rng.standard_normal((4, 5))
    padding = np.array([False, False, False, True])
    out, weights = mha(*(fngrad.from_numpy(a) for a in (query, key, value)), key_padding_mask=fngrad.from_numpy(padding),
                       average_attn_weights=False)
    b_q, b_k, b_v = np.split(w["in_proj_bias"], 3)
    q, k, v = query @ w["q_proj_weight"].T + b_q, key @ w["k_proj_weight"].T + b_k, value @ w["v_proj_weight"].T + b_v
    heads = []
    for h in range(2):
        cols = slice(3 * h, 3 * h + 3)
        scores = q[:, cols] @ k[:, cols].T / math.sqrt(3) + np.where(padding, -np.inf, 0.0)
        p = _np_softmax(scores)
        np.testing.assert_allclose(weights.detach().numpy()[h], p, rtol=1e-12, atol=1e-14)
        heads.append(p @ v[:, cols])
    expected = np.concatenate(heads, 1) @ w["out_proj.weight"].T + w["out_proj.bias"]
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-14)
    assert weights[:, :, 3].abs().max().item() == 0.0


def test_multi_head_attention_gradients_match_finite_differences():
    rng = _rng(12)
    arrays = [rng.standard_normal((3, 2, 4)), rng.standard_normal((12, 4)) * 0.5, rng.standard_normal(12),
              rng.standard_normal((4, 4)) * 0.5, rng.standard_normal(4), rng.standard_normal((1, 1, 4))]
    mask = fngrad.from_numpy(np.where(_causal(3), -np.inf, 0.0))

    def f(x, w_in, b_in, w_out, b_out, bias_kv):
        out, weights = F.multi_head_attention_forward(x, x, x, 4, 2, w_in, b_in, bias_kv, bias_kv * 0.5, True, 0.0,
                                                      w_out, b_out, attn_mask=mask)
        return (out * out).sum() + (weights * weights).sum() * 3

    tensors = [fngrad.from_numpy(a.copy()).requires_grad_() for a in arrays]
    f(*tensors).backward()
    for i, t in enumerate(tensors):
        def at(value, i=i):
            args = [fngrad.from_numpy(a) for a in arrays]
            args[i] = fngrad.from_numpy(value)
            return f(*args).item()
        np.testing.assert_allclose(t.grad.numpy(), numeric_grad(at, arrays[i]), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_gradients_match_finite_differences(norm_first):
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu", norm_first=norm_first).double()
    x = _rng(13).standard_normal((3, 2, 4))
    padding = fngrad.tensor([[False, False, True], [False, False, False]])
    upstream = _rng(14).standard_normal((3, 2, 4))

    def loss(inp):
        return (layer(inp, src_key_padding_mask=padding) * fngrad.from_numpy(upstream)).sum()

    xt = fngrad.from_numpy(x.copy()).requires_grad_()
    loss(xt).backward()
    np.testing.assert_allclose(xt.grad.numpy(), numeric_grad(lambda v: loss(fngrad.from_numpy(v)).item(), x),
                               rtol=1e-6, atol=1e-8)
    for name, p in layer.named_parameters():
        def at(value, p=p):
            saved = p.detach().clone()
            with fngrad.no_grad():
                p.copy_(fngrad.from_numpy(value))
                result = loss(fngrad.from_numpy(x)).item()
                p.copy_(saved)
            return result
        np.testing.assert_allclose(p.grad.numpy(), numeric_grad(at, p.detach().numpy().copy()), rtol=1e-6,
                                   atol=1e-8, err_msg=name)


def test_initialisation_follows_pytorch_formulas():
    mha = nn.MultiheadAttention(16, 4, add_bias_kv=True)
    bound = math.sqrt(6.0 / (16 + 48))  # xavier_uniform_ over (3 * 16, 16)
    w = mha.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert not mha.in_proj_bias.detach().numpy().any() and not mha.out_proj.bias.detach().numpy().any()
    assert np.abs(mha.out_proj.weight.detach().numpy()).max() <= 1 / math.sqrt(16)  # Linear's default
    model = nn.Transformer(8, 2, 1, 1, 12)
    for name, p in model.named_parameters():
        values = p.detach().numpy()
        if p.dim() > 1:  # xavier_uniform_ everywhere
            assert np.abs(values).max() <= math.sqrt(6.0 / sum(p.shape)), name
    norm = model.encoder.layers[0].norm1
    assert norm.weight.detach().numpy().tolist() == [1.0] * 8 and not norm.bias.detach().numpy().any()


def test_layers_are_independent_copies_and_masks():
    layer = nn.TransformerEncoderLayer(4, 2, 6)
    encoder = nn.TransformerEncoder(layer, 3, enable_nested_tensor=True)
    assert len({id(m.linear1.weight) for m in encoder.layers}) == 3 and encoder.layers[0].linear1 is not layer.linear1
    assert encoder.enable_nested_tensor is True and encoder.use_nested_tensor is False
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=fngrad.float64)
    assert mask.dtype == fngrad.float64
    assert mask.numpy().tolist() == [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]]


def test_dropout_only_in_training():
    """In training each weight is dropped or scaled by 1 / (1 - p); in eval mode the weights are the softmax."""
    mha = nn.MultiheadAttention(4, 2, dropout=0.5).double()
    x = fngrad.randn(6, 2, 4, dtype=fngrad.float64)
    dropped = mha(x, x, x, average_attn_weights=False)[1].detach().numpy()
    mha.eval()
    weights = mha(x, x, x, average_attn_weights=False)[1].detach().numpy()
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-12)
    kept = dropped != 0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_allclose(dropped[kept], 2 * weights[kept], rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_dropout_keeps_the_dtype(dtype):
    """Dropout's mask must not promote a half-precision input to float32 (MultiheadAttention in training
    multiplied float32 weights by float16 values and failed)."""
    dtype = getattr(fngrad, dtype)
    assert F.dropout(fngrad.ones(8, dtype=dtype), 0.5).dtype == dtype
    mha = nn.MultiheadAttention(4, 2, dropout=0.5, dtype=dtype)
    x = fngrad.randn(3, 2, 4).to(dtype)
    out, weights = mha(x, x, x)
    assert out.dtype == weights.dtype == dtype


BAD_INPUT = [
    ("divisible", lambda L: L.nn.MultiheadAttention(6, 4), AssertionError, "embed_dim must be divisible by num_heads"),
    ("nonpositive", lambda L: L.nn.MultiheadAttention(0, 2), ValueError, "embed_dim and num_heads must be greater"),
    ("mask2d_shape", lambda L: L.nn.MultiheadAttention(4, 2)(*(L.ones(3, 2, 4),) * 3, attn_mask=L.zeros(3, 4)),
     RuntimeError, "The shape of the 2D attn_mask is"),
    ("mask3d_shape", lambda L: L.nn.MultiheadAttention(4, 2)(*(L.ones(3, 2, 4),) * 3, attn_mask=L.zeros(2, 3, 3)),
     RuntimeError, "The shape of the 3D attn_mask is"),
    ("mask4d", lambda L: L.nn.MultiheadAttention(4, 2)(*(L.ones(3, 2, 4),) * 3, attn_mask=L.zeros(1, 4, 3, 3)),
     AssertionError, "expected `attn_mask` to be `None`, 2-D or 3-D"),
    ("padding_shape", lambda L: L.nn.MultiheadAttention(4, 2)(*(L.ones(3, 2, 4),) * 3,
                                                             key_padding_mask=L.zeros(2, 4, dtype=L.bool)),
     AssertionError, "Expected key_padded_mask.shape[1] to be 3, but got 4"),
    ("int_mask", lambda L: L.nn.MultiheadAttention(4, 2)(*(L.ones(3, 2, 4),) * 3, attn_mask=L.zeros(3, 3,
                                                                                                   dtype=L.int64)),
     AssertionError, "only bool and floating types of attn_mask are supported"),
    ("embed_dim", lambda L: L.nn.MultiheadAttention(4, 2)(*(L.ones(3, 2, 6),) * 3), AssertionError,
     "was expecting embedding dimension of 4, but got 6"),
    ("query_dims", lambda L: L.nn.MultiheadAttention(4, 2)(*(L.ones(3),) * 3), AssertionError,
     "query should be unbatched 2D or batched 3D tensor but received 1-D query tensor"),
    ("causal_without_mask", lambda L: L.nn.MultiheadAttention(4, 2)(*(L.ones(3, 2, 4),) * 3, is_causal=True),
     RuntimeError, "Need attn_mask if specifying the is_causal hint"),
    ("activation", lambda L: L.nn.TransformerEncoderLayer(4, 2, activation="tanh"), RuntimeError,
     "activation should be relu/gelu, not tanh"),
    ("transformer_batch", lambda L: L.nn.Transformer(4, 2, 1, 1, 8)(L.ones(3, 2, 4), L.ones(3, 1, 4)),
     RuntimeError, "the batch number of src and tgt must be equal"),
    ("transformer_features", lambda L: L.nn.Transformer(4, 2, 1, 1, 8)(L.ones(3, 2, 4), L.ones(3, 2, 6)),
     RuntimeError, "the feature number of src and tgt must be equal to d_model"),
]


@pytest.mark.parametrize("name, call, exc, text", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_raises_pytorch_error(name, call, exc, text):
    with pytest.raises(exc) as info:
        call(fngrad)
    assert text in str(info.value)


@requires_torch
@pytest.mark.parametrize("name, call, exc, text", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_wording_is_pytorch_own(name, call, exc, text):
    import torch

    with pytest.raises(exc) as info:
        call(torch)
    assert text in str(info.value)


def test_mismatched_mask_types_warn():
    mha = nn.MultiheadAttention(4, 2)
    x = fngrad.ones(3, 2, 4)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        mha(x, x, x, key_padding_mask=fngrad.zeros(2, 3, dtype=fngrad.bool), attn_mask=fngrad.zeros(3, 3))
