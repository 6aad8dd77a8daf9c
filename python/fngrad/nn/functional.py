"""Functional neural-network ops, as in ``torch.nn.functional``.

Activations and softmax are native kernels; losses are built from native ops (``log_softmax``,
a gather by flat positions, sums), so their backward is native too.

Example::

    >>> import fngrad
    >>> import fngrad.nn.functional as F
    >>> logits = fngrad.tensor([[2.0, 0.5, -1.0]], requires_grad=True)
    >>> loss = F.cross_entropy(logits, fngrad.tensor([0]))
    >>> loss.backward()
    >>> logits.grad.shape
    fngrad.Size([1, 3])
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections import OrderedDict

import numpy as np

from .. import _C, _creation
from .._creation import _SCALAR_TYPE_NAME, _floating_only, default_generator, from_numpy
from .._functions import _broadcast_check
from .._indexing_ops import _index_add_zeros
from .._indexing_ops import _np as _values
from .._precision import half_in_float32
from .._typeinfo import finfo
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled, no_grad

__all__ = [
    "relu", "relu_", "leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid", "tanh",
    "softmax", "log_softmax", "linear", "dropout",
    "nll_loss", "cross_entropy", "mse_loss", "l1_loss", "binary_cross_entropy", "one_hot",
]

_REDUCTIONS = ("none", "mean", "sum")
_NLL_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}  # ops::NllReduction


def _number(value, op, name):
    """value as a float; a TypeError naming the op for anything that is not a number (as PyTorch)."""
    if isinstance(value, (numbers.Real, np.bool_)) or (isinstance(value, _C.TensorBase) and value.numel() == 1):
        return float(value)
    raise TypeError(f"[{op}] argument '{name}' must be Number, not {type(value).__name__}")


def relu(input, inplace=False):
    """max(input, 0)..

    >>> import fngrad.nn.functional as F
    >>> F.relu(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([0.0000, 0.0000, 0.5000, 2.0000])
    """
    return input.relu_() if inplace else input.relu()


def relu_(input):
    """max(input, 0), in place.

    >>> import fngrad.nn.functional as F
    >>> F.relu_(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([0.0000, 0.0000, 0.5000, 2.0000])
    """
    return input.relu_()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """input where positive, else negative_slope * input.

    >>> import fngrad.nn.functional as F
    >>> F.leaky_relu(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]), 0.1)
    tensor([-0.2000, -0.0500,  0.5000,  2.0000])
    """
    _floating_only(input, "leaky_relu_cpu")
    out = _C.leaky_relu(input, _number(negative_slope, "leaky_relu", "negative_slope"))
    return input.copy_(out) if inplace else out


def elu(input, alpha=1.0, inplace=False):
    """input where positive, else alpha * (exp(input) - 1).

    >>> import fngrad.nn.functional as F
    >>> F.elu(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.8647, -0.3935,  0.5000,  2.0000])
    """
    _floating_only(input, "elu_cpu")
    out = _C.elu(input, _number(alpha, "elu", "alpha"))
    return input.copy_(out) if inplace else out


def gelu(input, approximate="none"):
    """x * Phi(x) (``approximate="tanh"`` for the tanh approximation).

    >>> import fngrad.nn.functional as F
    >>> F.gelu(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.0455, -0.1543,  0.3457,  1.9545])
    """
    _floating_only(input, "GeluKernelImpl")
    return _C.gelu(input, approximate)


def silu(input, inplace=False):
    """x * sigmoid(x).

    >>> import fngrad.nn.functional as F
    >>> F.silu(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.2384, -0.1888,  0.3112,  1.7616])
    """
    _floating_only(input, "silu_cpu")
    return _inplace_result(input, _C.silu(input), inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x where beta * x > threshold.

    >>> import fngrad.nn.functional as F
    >>> F.softplus(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([0.1269, 0.4741, 0.9741, 2.1269])
    """
    _floating_only(input, "softplus_cpu")
    return _C.softplus(input, _number(beta, "softplus", "beta"), _number(threshold, "softplus", "threshold"))


def sigmoid(input):
    """1 / (1 + exp(-x)).

    >>> import fngrad.nn.functional as F
    >>> F.sigmoid(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([0.1192, 0.3775, 0.6225, 0.8808])
    """
    return input.sigmoid()


def tanh(input):
    """tanh(x).

    >>> import fngrad.nn.functional as F
    >>> F.tanh(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.9640, -0.4621,  0.4621,  0.9640])
    """
    return input.tanh()


def _get_softmax_dim(name, ndim, stacklevel):
    """PyTorch's implicit dim for softmax without ``dim`` (deprecated there, with this warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                  "argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Softmax along ``dim``.

    >>> import fngrad.nn.functional as F
    >>> F.softmax(fngrad.tensor([0.0, 1.0, 2.0]), dim=0)
    tensor([0.0900, 0.2447, 0.6652])
    """
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return input.softmax(dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Log-softmax along ``dim``, computed stably.

    >>> import fngrad.nn.functional as F
    >>> F.log_softmax(fngrad.tensor([0.0, 1.0, 2.0]), dim=0)
    tensor([-2.4076, -1.4076, -0.4076])
    """
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return input.log_softmax(dim, dtype)


def linear(input, weight, bias=None):
    """input @ weight.T + bias.

    >>> import fngrad.nn.functional as F
    >>> F.linear(fngrad.ones(1, 3), fngrad.ones(2, 3), fngrad.tensor([0.5, -0.5]))
    tensor([[3.5000, 2.5000]])
    """
    if bias is not None and input.dim() == 2:  # one AddmmBackward0 node, as PyTorch records
        return bias.addmm(input, weight.t())
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """Attention: ``softmax(query @ key^T * scale + mask) @ value`` over the last two dims, with
    ``scale = 1 / sqrt(E)`` unless given. A bool ``attn_mask`` (or ``is_causal``'s lower triangle)
    says which keys a query may attend to; a float one is added to the scores. A query that may
    attend to no key gets zeros, as PyTorch's CPU kernel gives. ``enable_gqa`` shares each key/value
    head among ``query_heads / kv_heads`` query heads.

    >>> import fngrad.nn.functional as F
    >>> q = k = fngrad.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    >>> F.scaled_dot_product_attention(q, k, fngrad.tensor([[[1.0], [3.0]]]), is_causal=True)
    tensor([[[1.0000],
             [2.3395]]])
    """
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if not query.dtype == key.dtype == value.dtype:
        names = [_creation._SCALAR_TYPE_NAME[t.dtype].lower() for t in (query, key, value)]
        raise RuntimeError("[scaled_dot_product_attention] Expected query, key, and value to have the same dtype, but "
                           "got query.dtype: {} key.dtype: {} and value.dtype: {} instead.".format(*names))
    if not query.is_floating_point():
        raise RuntimeError(f"[scaled_dot_product_attention] expected floating point query, key and value, but found "
                           f"{_creation._SCALAR_TYPE_NAME[query.dtype]}")
    if enable_gqa and query.dim() >= 3 and key.size(-3) != query.size(-3):
        key = key.repeat_interleave(query.size(-3) // key.size(-3), -3)
        value = value.repeat_interleave(query.size(-3) // value.size(-3), -3)
    return _attention_weights(query, key, attn_mask, dropout_p, is_causal, scale).matmul(value)


def _attention_weights(query, key, attn_mask, dropout_p, is_causal, scale):
    """``softmax(query @ key^T * scale + mask)`` over the last dim, then dropout: the weights of
    scaled_dot_product_attention, which multi_head_attention_forward also returns."""
    factor = 1.0 / math.sqrt(query.size(-1)) if scale is None else scale
    scores = query.matmul(key.transpose(-2, -1)) * factor
    allowed = None
    if is_causal:
        allowed = _creation.ones(query.size(-2), key.size(-2), dtype=_C.bool).tril()
    elif attn_mask is not None and attn_mask.dtype == _C.bool:
        allowed = attn_mask
    elif attn_mask is not None:
        scores = scores + attn_mask
        # -inf in a float mask forbids the key as False in a bool one does, so a row of -inf gets
        # zeros (PyTorch's kernel's safe softmax), not NaN.
        allowed = attn_mask > float("-inf")
    if allowed is not None:
        # The lowest finite value, not -inf: a row with no allowed key then has finite (uniform)
        # weights, zeroed below, so neither its value nor its gradient is NaN.
        scores = scores.masked_fill(allowed.logical_not(), finfo(scores.dtype).min)
    weights = scores.softmax(-1)
    if allowed is not None:
        weights = weights.masked_fill(allowed.logical_not(), 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights


__all__ += ["scaled_dot_product_attention"]


# SELU's negative saturation value -lambda*alpha: alpha dropout sets dropped units to it, so a SELU
# network keeps its self-normalizing mean and variance.
_ALPHA_DROPOUT_SATURATION = 1.7580993408473766


def _dropout(input, p, training, inplace, feature=False, alpha=False):
    """The one dropout kernel: a keep-mask drawn per element (or per (sample, channel) when
    ``feature``), scaled by 1 / (1 - p), or for ``alpha`` the affine map that keeps SELU's moments."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if feature and input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_SCALAR_TYPE_NAME[input.dtype]}")
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2) if feature else tuple(input.shape)
    keep = default_generator._rng.random(shape) >= p if p < 1.0 else np.zeros(shape, dtype=bool)
    if alpha and p < 1.0:
        a = 1.0 / math.sqrt((_ALPHA_DROPOUT_SATURATION**2 * p + 1) * (1 - p))
        scale = keep * a
        shift = (keep - 1.0) * (_ALPHA_DROPOUT_SATURATION * a) + _ALPHA_DROPOUT_SATURATION * a * p
    else:
        scale, shift = keep / (1.0 - p) if p < 1.0 else keep.astype(np.float64), None
    scale = from_numpy(scale).to(input.dtype)
    out = input.mul_(scale) if inplace else input * scale
    return out if shift is None else out.add_(from_numpy(shift).to(input.dtype))


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability ``p`` and scales the rest by 1 / (1 - p); seeded by
    ``fngrad.manual_seed``.

    >>> import fngrad.nn.functional as F
    >>> F.dropout(fngrad.ones(4), p=0.5, training=False)
    tensor([1., 1., 1., 1.])
    """
    return _dropout(input, p, training, inplace)


def _feature_dropout(input, p, training, inplace, spatial, batched_dims, op):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    dims = input.dim()
    if dims not in batched_dims:
        if spatial == 1:
            raise RuntimeError(
                f"dropout1d: Expected 2D or 3D input, but received a {dims}D input. Note that dropout1d exists to "
                "provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an "
                "optional batch dimension (i.e. 2D or 3D inputs)."
            )
        lo, hi = batched_dims
        warnings.warn(
            f"{op}: Received a {dims}-D input to {op}, which is deprecated and will result in an error in a future "
            f"release. To retain the behavior and silence this warning, please use dropout instead. Note that {op} "
            f"exists to provide channel-wise dropout on inputs with {spatial} spatial dimensions, a channel "
            f"dimension, and an optional batch dimension (i.e. {lo}D or {hi}D inputs).",
            stacklevel=3,
        )
    if spatial == 2 and dims == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=3,
        )
        return _dropout(input, p, training, inplace, feature=True)
    if spatial != 2 and dims == batched_dims[0]:  # no batch dim: one sample
        one = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
        out = _dropout(one, p, training, inplace, feature=True)
        return out.squeeze_(0) if inplace else out.squeeze(0)
    return _dropout(input, p, training, inplace, feature=True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, L) or (C, L) input with probability ``p``, scaling the rest.

    >>> import fngrad.nn.functional as F
    >>> F.dropout1d(fngrad.ones(2, 3), p=0.5, training=False).sum().item()
    6.0
    """
    return _feature_dropout(input, p, training, inplace, 1, (2, 3), "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, H, W) input with probability ``p``, scaling the rest (a 3-D
    input is taken as (N, C, L), with PyTorch's warning).

    >>> import fngrad.nn.functional as F
    >>> F.dropout2d(fngrad.ones(1, 2, 2, 2), p=0.0).sum().item()
    8.0
    """
    return _feature_dropout(input, p, training, inplace, 2, (3, 4), "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``.

    >>> import fngrad.nn.functional as F
    >>> F.dropout3d(fngrad.ones(2, 1, 1, 1), p=1.0).sum().item()
    0.0
    """
    return _feature_dropout(input, p, training, inplace, 3, (4, 5), "dropout3d")


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's saturation value and an affine map keeps
    the mean and variance (training is off by default, as in PyTorch).

    >>> import fngrad.nn.functional as F
    >>> F.alpha_dropout(fngrad.ones(3), p=0.5).tolist()
    [1.0, 1.0, 1.0]
    """
    return _dropout(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """:func:`alpha_dropout` over whole channels (dims 0 and 1 pick the mask).

    >>> import fngrad.nn.functional as F
    >>> F.feature_alpha_dropout(fngrad.ones(1, 2, 2), p=0.5).shape
    fngrad.Size([1, 2, 2])
    """
    return _dropout(input, p, training, inplace, feature=True, alpha=True)


__all__ += ["dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


def _check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"[{op}] {reduction} is not a valid value for reduction")


def _reduce(losses, reduction):
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.mean()


def _class_rows(input, target, op):
    """(N, C) log-probabilities and (N,) targets, with the class dim of (N, C, d1, ...) inputs moved last."""
    if input.dim() == 1:
        return input.unsqueeze(0), target.reshape(1), target.shape
    if input.dim() > 2:
        dims = [0] + list(range(2, input.dim())) + [1]
        rows = input.permute(*dims).reshape(-1, input.shape[1])
        return rows, target.reshape(-1), target.shape
    return input, target, target.shape


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``.

    >>> import fngrad.nn.functional as F
    >>> F.nll_loss(fngrad.tensor([[0.5, 0.5], [0.9, 0.1]]).log(), fngrad.tensor([0, 0]))
    tensor(0.3993)
    """
    if input.dim() == 2 and target.dim() == 1 and reduction in _NLL_REDUCTIONS:
        # (N, C) rows and (N,) targets: the native op makes the remaining checks, with the same errors.
        return _C.nll_loss(input, target, weight, int(ignore_index), _NLL_REDUCTIONS[reduction])
    _check_reduction(reduction, "nll_loss")
    if target.dtype != _C.int64:
        raise RuntimeError(f"[nll_loss] expected target of dtype int64 (class indices), got {target.dtype!r}")
    if input.dim() >= 2 and target.dim() >= 1 and target.shape[0] != input.shape[0]:
        raise ValueError(f"[nll_loss] Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    if target.dim() != max(input.dim() - 1, 0) and not (input.dim() == 1 and target.dim() == 0):
        raise ValueError(f"[nll_loss] Expected target of shape {tuple(input.shape[:1]) + tuple(input.shape[2:])}, "
                         f"got {tuple(target.shape)}")
    rows, flat_target, target_shape = _class_rows(input, target, "nll_loss")
    losses = _C.nll_loss(rows, flat_target, weight, int(ignore_index), _NLL_REDUCTIONS[reduction])
    return losses.reshape(target_shape) if reduction == "none" else losses


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of logits ``input`` (N, C, ...) against class indices or class probabilities ``target``.

    Example::

        >>> import fngrad, fngrad.nn.functional as F
        >>> logits = fngrad.tensor([[1.0, 2.0, 3.0]])
        >>> round(F.cross_entropy(logits, fngrad.tensor([2])).item(), 4)
        0.4076
    """
    _check_reduction(reduction, "cross_entropy")
    if label_smoothing > 1.0:  # PyTorch checks the upper bound only (a value <= 0 means no smoothing)
        raise RuntimeError(f"[cross_entropy] label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    logp = input.log_softmax(class_dim)
    if label_smoothing <= 0 and not target.is_floating_point():
        return nll_loss(logp, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
    n_classes = input.shape[class_dim]
    if target.is_floating_point():
        # Class probabilities.
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(f"[cross_entropy] Expected target of shape {tuple(input.shape)} for probabilities, got "
                               f"{tuple(target.shape)}")
        if label_smoothing > 0:
            target = target * (1.0 - label_smoothing) + label_smoothing / n_classes
        w = 1.0 if weight is None else weight.reshape([-1] + [1] * (input.dim() - class_dim - 1))
        losses = -(logp * target * w).sum(class_dim)
        return _reduce(losses, reduction)
    nll = nll_loss(logp, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
    # Label smoothing: a mix with the mean over classes of -log p.
    valid = from_numpy((target.detach().numpy() != ignore_index).astype(np.float32)).to(logp.dtype)
    w = 1.0 if weight is None else weight.reshape([-1] + [1] * (input.dim() - class_dim - 1))
    smooth = -(logp * w).sum(class_dim) / n_classes * valid
    if reduction == "none":
        smooth_r = smooth
    elif reduction == "sum":
        smooth_r = smooth.sum()
    else:
        denom = valid.sum() if weight is None else (nll * 0 + 1) * float(
            weight.detach().numpy()[np.where(target.detach().numpy() != ignore_index, target.detach().numpy(), 0)]
            [target.detach().numpy() != ignore_index].sum())
        smooth_r = smooth.sum() / denom
    return nll * (1.0 - label_smoothing) + smooth_r * label_smoothing


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean squared error..

    >>> import fngrad.nn.functional as F
    >>> F.mse_loss(fngrad.tensor([1.0, 2.0]), fngrad.tensor([0.0, 4.0]))
    tensor(2.5000)
    """
    _check_reduction(reduction, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error.

    >>> import fngrad.nn.functional as F
    >>> F.l1_loss(fngrad.tensor([1.0, 2.0]), fngrad.tensor([0.0, 4.0]))
    tensor(1.5000)
    """
    _check_reduction(reduction, "l1_loss")
    return _reduce((input - target).abs(), reduction)


_BCE_EPSILON = 1e-12  # PyTorch's floor for p (1 - p) in the gradient


class BinaryCrossEntropy(Function):
    """PyTorch's binary_cross_entropy: each log clamped at -100 in the forward; the gradient
    g (p - t) / max(p (1 - p), 1e-12) for the input and -g logit(p) for the target (so that
    p = 0 or 1 gives a large finite gradient, not NaN). The backward is made of fngrad ops, so
    it is differentiable in turn."""
    _node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, input, target, weight, reduction):
        losses = (target - 1) * (-input).log1p().clamp(min=-100) - target * input.log().clamp(min=-100)
        if weight is not None:
            losses = losses * weight
        ctx.save_for_backward(input, target, weight)
        ctx.reduction = reduction
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target, weight = ctx.saved_tensors
        if ctx.reduction != "none":
            grad = grad.expand(input.shape)
            if ctx.reduction == "mean":
                grad = grad / input.numel()
        if weight is not None:
            grad = grad * weight
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_input = grad * (input - target) / (input * (1 - input)).clamp(min=_BCE_EPSILON)
        if ctx.needs_input_grad[1]:
            grad_target = -(grad * (input.log() - (-input).log1p()))
        return grad_input, grad_target, None, None


def _all_between_0_and_1(t):
    return bool(((t >= 0) & (t <= 1)).all())


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` against ``target`` (log clamped at -100, as PyTorch).

    >>> import fngrad.nn.functional as F
    >>> F.binary_cross_entropy(fngrad.tensor([0.8, 0.2]), fngrad.tensor([1.0, 0.0]))
    tensor(0.2231)
    """
    _check_reduction(reduction, "binary_cross_entropy")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"[binary_cross_entropy] Using a target size ({target.shape!r}) that is different to the "
                         f"input size ({input.shape!r}) is deprecated. Please ensure they have the same size.")
    if target.dtype != input.dtype:
        raise RuntimeError(f"[binary_cross_entropy] Found dtype {target.dtype!r} but expected {input.dtype!r}")
    if not _all_between_0_and_1(input):
        raise RuntimeError("[binary_cross_entropy] all elements of input should be between 0 and 1")
    if not _all_between_0_and_1(target):
        raise RuntimeError("[binary_cross_entropy] all elements of target should be between 0 and 1")
    if weight is not None:
        weight = weight.expand(input.shape)
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding of class indices.

    >>> import fngrad.nn.functional as F
    >>> F.one_hot(fngrad.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    if tensor.dtype != _C.int64:
        raise RuntimeError("[one_hot] one_hot is only applicable to index tensor of type LongTensor.")
    idx = tensor.detach().numpy()
    if idx.size and idx.min() < 0:
        raise RuntimeError("[one_hot] Class values must be non-negative.")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("[one_hot] Can not infer total number of classes from empty tensor.")
        n = int(idx.max()) + 1
    else:
        n = num_classes
        if idx.size and idx.max() >= n:
            raise RuntimeError("[one_hot] Class values must be smaller than num_classes.")
    # The native allocation checks the size (and names one_hot) before anything is filled in.
    out = _C.zeros(tuple(idx.shape) + (n,), _C.int64, "one_hot")
    if idx.size:
        out.numpy().reshape(-1, n)[np.arange(idx.size), idx.reshape(-1)] = 1
    return out


# ---- added for fngrad.nn's layers: each composed from differentiable fngrad ops ----

__all__ += [
    "mish", "hardtanh", "hardtanh_", "logsigmoid", "bilinear", "embedding", "layer_norm", "smooth_l1_loss",
    "huber_loss", "binary_cross_entropy_with_logits", "kl_div",
]


def mish(input, inplace=False):
    """x * tanh(softplus(x)).

    >>> import fngrad.nn.functional as F
    >>> F.mish(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.2525, -0.2207,  0.3752,  1.9440])
    """
    _floating_only(input, "mish_cpu")
    out = input * softplus(input).tanh()
    return input.copy_(out) if inplace else out


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """input clamped to [min_val, max_val]; the gradient flows only strictly inside (as PyTorch's).

    >>> import fngrad.nn.functional as F
    >>> F.hardtanh(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-1.0000, -0.5000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype == _C.bool:
        raise RuntimeError("[hardtanh] Bool inputs not supported for hardtanh")
    if input.dtype == _C.uint8 and (min_val < 0 or max_val < 0):
        raise RuntimeError("[hardtanh] cannot do hardtanh on an unsigned type with negative limits")
    clamped = input.clamp(min_val, max_val)
    if not input.is_floating_point():  # PyTorch keeps an integer input's dtype (the bounds are truncated)
        clamped = clamped.to(input.dtype)
    inside = (input > min_val).logical_and(input < max_val)
    out = _C.where(inside, clamped, clamped.detach())
    return input.copy_(out) if inplace else out


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """hardtanh in place.

    >>> import fngrad.nn.functional as F
    >>> F.hardtanh_(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-1.0000, -0.5000,  0.5000,  1.0000])
    """
    return hardtanh(input, min_val, max_val, inplace=True)


def logsigmoid(input):
    """log(sigmoid(x)), computed stably as min(x, 0) - log1p(exp(-|x|)).

    >>> import fngrad.nn.functional as F
    >>> F.logsigmoid(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-2.1269, -0.9741, -0.4741, -0.1269])
    """
    _floating_only(input, "log_sigmoid_cpu")
    return input.clamp(max=0) - (-input.abs()).exp().log1p()


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o].

    >>> import fngrad.nn.functional as F
    >>> F.bilinear(fngrad.ones(1, 2), fngrad.ones(1, 3), fngrad.ones(4, 2, 3)).shape
    fngrad.Size([1, 4])
    """
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"[bilinear] input1 and input2 must have the same batch shape, got {tuple(input1.shape)} "
                           f"and {tuple(input2.shape)}")
    if weight.dim() != 3 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"[bilinear] weight of shape {tuple(weight.shape)} does not fit inputs of sizes "
                           f"{input1.shape[-1]} and {input2.shape[-1]}")
    out_features, in1, in2 = tuple(weight.shape)
    batch = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (N, in1) @ (in1, out * in2) -> (N, out, in2), then contract in2 against x2.
    tmp = x1.matmul(weight.permute(1, 0, 2).reshape(in1, out_features * in2)).reshape(-1, out_features, in2)
    out = (tmp * x2.unsqueeze(1)).sum(-1).to(tmp.dtype)  # (integer sums stay in the inputs' dtype)
    if bias is not None:
        out = out + bias
    return out.reshape(batch + (out_features,))


def _padding_index(padding_idx, num_embeddings):
    """``padding_idx`` checked against the table's size, a negative one counted from the end."""
    if padding_idx is None:
        return None
    if padding_idx >= num_embeddings > 0 or padding_idx > 0 >= num_embeddings or padding_idx < -num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


class _Embedding(Function):
    """The rows of ``weight`` at ``input`` (any shape): one native index_select of the flattened indices.
    The gradient adds each row of ``grad`` into zeros at its index (native outside create_graph), with
    row ``padding_idx`` left at zero and, with ``scale_grad_by_freq``, each divided by its index's count."""

    _node_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, input, weight, padding_idx, scale_grad_by_freq):
        ctx.save_for_backward(input)
        ctx.num, ctx.padding_idx, ctx.scale = weight.shape[0], padding_idx, scale_grad_by_freq
        rows = _C._index_select_dim(weight, 0, input.reshape(-1), "embedding")
        return rows.reshape(tuple(input.shape) + (weight.shape[1],))

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        flat = input.reshape(-1)
        rows = grad.reshape(flat.numel(), grad.shape[-1])
        if ctx.scale:
            ids = flat.numpy()
            counts = np.bincount(ids, minlength=ctx.num)[ids]
            rows = rows * from_numpy((1.0 / counts).reshape(-1, 1)).to(rows.dtype)
        shape = (ctx.num, grad.shape[-1])
        grad_weight = _index_add_zeros(shape, 0, flat, rows, "embedding_backward")
        if ctx.padding_idx is not None and is_grad_enabled():
            grad_weight = grad_weight.index_fill(0, from_numpy(np.array([ctx.padding_idx])), 0)
        elif ctx.padding_idx is not None:  # a new tensor outside the graph: zeroed in place
            grad_weight[ctx.padding_idx] = 0
        return None, grad_weight, None, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """The rows of ``weight`` at the indices ``input``; no gradient reaches row ``padding_idx``, with
    ``max_norm`` the looked-up rows are renormalised in place first, and ``scale_grad_by_freq`` divides
    each row's gradient by its index's count in ``input`` (as PyTorch). Gradients are dense whatever
    ``sparse`` says.

    >>> import fngrad.nn.functional as F
    >>> F.embedding(fngrad.tensor([2, 0]), fngrad.arange(6.).reshape(3, 2))
    tensor([[4., 5.],
            [0., 1.]])
    """
    if input.dtype not in (_C.int64, _C.int32):
        raise RuntimeError("[embedding] Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {input.type()} instead (while checking arguments for "
                           "embedding)")
    if weight.dim() != 2:
        raise RuntimeError("[embedding] 'weight' must be 2-D")
    num = weight.shape[0]
    padding_idx = _padding_index(padding_idx, num)
    if max_norm is not None:
        rows = np.unique(input.detach().numpy().reshape(-1))
        if rows.size and (rows[0] < 0 or rows[-1] >= num):
            raise IndexError("[embedding] index out of range in self")
        w = _values(weight)
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        with no_grad():  # an in-place write that moves the version counter, as PyTorch's embedding_renorm_
            weight[from_numpy(rows.astype(np.int64))] = from_numpy(w[rows] * scale[:, None].astype(w.dtype)).to(
                weight.dtype)
    return _Embedding.apply(input, weight, padding_idx, scale_grad_by_freq)


def _layer_norm_shape(input, normalized_shape):
    """normalized_shape as a tuple, checked against input's trailing dims with PyTorch's error."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.dim() < k or tuple(input.shape[input.dim() - k:]) != normalized_shape:
        shown = ", ".join(str(s) for s in normalized_shape)
        raise RuntimeError(f"[layer_norm] Given normalized_shape=[{shown}], expected input with shape [*, {shown}], "
                           f"but got input of size{list(input.shape)}")
    return normalized_shape


def _native_layer_norm_applies(input, normalized_shape, weight, bias):
    """Whether the native kernel (csrc/ops/layer_norm.cpp: float32/float64, weight and bias of exactly
    normalized_shape and the input's dtype) computes layer_norm; other cases take the composite
    formula, which broadcasts and promotes."""
    if input.dtype not in (_C.float32, _C.float64):
        return False
    for p in (weight, bias):
        if p is not None and (p.dtype != input.dtype or tuple(p.shape) != normalized_shape):
            return False
    return True


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) over the last len(normalized_shape) dims (biased variance), then
    times weight plus bias.

    >>> import fngrad.nn.functional as F
    >>> F.layer_norm(fngrad.tensor([[1.0, 2.0, 3.0]]), (3,))
    tensor([[-1.2247,  0.0000,  1.2247]])
    """
    normalized_shape = _layer_norm_shape(input, normalized_shape)
    k = len(normalized_shape)
    if _native_layer_norm_applies(input, normalized_shape, weight, bias):
        return _C._native_layer_norm(input, normalized_shape, weight, bias, eps)[0]
    dims = tuple(range(input.dim() - k, input.dim()))
    mean = input.mean(dims, keepdim=True)
    centred = input - mean
    var = (centred * centred).mean(dims, keepdim=True)
    out = centred * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _legacy_reduction(size_average, reduce, reduction):
    """PyTorch's mapping of the deprecated size_average/reduce arguments onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  stacklevel=3)
    return reduction


def _check_same_size(input, target, op):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape!r}) that is different to the input size "
                      f"({input.shape!r}). This will likely lead to incorrect results due to broadcasting. Please "
                      "ensure they have the same size.", stacklevel=3)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target).

    >>> import fngrad.nn.functional as F
    >>> F.smooth_l1_loss(fngrad.tensor([0.0, 3.0]), fngrad.tensor([0.5, 0.0]))
    tensor(1.3125)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError("[smooth_l1_loss] smooth_l1_loss does not support negative values for beta.")
    _check_same_size(input, target, "smooth_l1_loss")
    z = (input - target).abs()
    if beta == 0.0:
        return _reduce(z, reduction)
    return _reduce(_C.where(z < beta, z * z * (0.5 / beta), z - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target).

    >>> import fngrad.nn.functional as F
    >>> F.huber_loss(fngrad.tensor([0.0, 3.0]), fngrad.tensor([0.5, 0.0]))
    tensor(1.3125)
    """
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise RuntimeError("[huber_loss] huber_loss does not support non-positive values for delta.")
    _check_same_size(input, target, "huber_loss")
    z = (input - target).abs()
    losses = _C.where(z < delta, z * z * 0.5, (z - 0.5 * delta) * delta)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross-entropy of sigmoid(input) against ``target``, computed stably from the logits:
    (1 - t) x - (1 + (pos_weight - 1) t) logsigmoid(x), times weight.

    >>> import fngrad.nn.functional as F
    >>> F.binary_cross_entropy_with_logits(fngrad.tensor([2.0, -1.0]), fngrad.tensor([1.0, 0.0]))
    tensor(0.2201)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape!r}) must be the same as input size ({input.shape!r})")
    log_sig = logsigmoid(input)
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        losses = (1 - target) * input - log_weight * log_sig
    else:
        losses = (1 - target) * input - log_sig
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Pointwise KL divergence with ``input`` as log-probabilities: target (log target - input), 0 where
    target is 0 (with ``log_target`` the target is given as log-probabilities). ``reduction='batchmean'``
    divides the sum by the batch size, which is the mathematical KL divergence.

    >>> import fngrad.nn.functional as F
    >>> F.kl_div(fngrad.tensor([0.25, 0.75]).log(), fngrad.tensor([0.5, 0.5]), reduction='sum')
    tensor(0.1438)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"[kl_div] {reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if log_target:
        losses = target.exp() * (target - input)
    else:
        positive = target > 0
        safe = _C.where(positive, target, 1.0)  # log(1) = 0 where target is 0: 0 log 0 = 0, finite gradient
        losses = target * safe.log() - target * input
    if reduction == "batchmean":
        return losses.sum() / (input.shape[0] if input.dim() != 0 else 1)
    return _reduce(losses, reduction)


__all__ += ["batch_norm", "group_norm", "conv1d", "conv2d"]


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalises each channel (dim 1) over the batch and spatial dims: by the batch's statistics when
    ``training`` (then updating ``running_mean``/``running_var`` in place, the variance unbiased), else
    by the running ones.

    >>> import fngrad.nn.functional as F
    >>> F.batch_norm(fngrad.tensor([[1.0], [3.0]]), None, None, training=True)
    tensor([[-1.0000],
            [ 1.0000]])
    """
    if input.numel() == 0:  # PyTorch returns an empty result of the input's shape, statistics untouched
        return input * 1.0
    dims = (0,) + tuple(range(2, input.dim()))
    shape = [1, -1] + [1] * (input.dim() - 2)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape!r}")
        mean = input.mean(dims)
        centred = input - mean.reshape(shape)
        var = (centred * centred).mean(dims)
        if running_mean is not None:

            with no_grad():
                running_mean.copy_(running_mean * (1 - momentum) + mean.detach() * momentum)
                running_var.copy_(running_var * (1 - momentum) + var.detach() * (momentum * count / (count - 1)))
    else:
        centred = input - running_mean.reshape(shape)
        var = running_var
    out = centred * (var + eps).rsqrt().reshape(shape)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalises each group of ``C / num_groups`` channels of each sample over its channels and spatial
    dims (biased variance), then applies the per-channel affine.

    >>> import fngrad.nn.functional as F
    >>> F.group_norm(fngrad.arange(4.).reshape(1, 4, 1), 2)
    tensor([[[-1.0000],
             [ 1.0000],
             [-1.0000],
             [ 1.0000]]])
    """
    n, c = input.shape[0], input.shape[1]
    if c % num_groups != 0:
        raise RuntimeError(f"[group_norm] Expected number of channels in input to be divisible by num_groups, but "
                           f"got input of shape {input.shape!r} and num_groups={num_groups}")
    grouped = input.reshape(n, num_groups, int(np.prod(input.shape[1:], dtype=np.int64)) // num_groups)
    mean = grouped.mean(-1, keepdim=True)
    centred = grouped - mean
    var = (centred * centred).mean(-1, keepdim=True)
    out = (centred * (var + eps).rsqrt()).reshape(tuple(input.shape))
    shape = [1, -1] + [1] * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _ntuple(value, n, name, op):
    if isinstance(value, (tuple, list)):
        if len(value) == 1:  # PyTorch expands a one-element list as it does a single integer
            return (int(value[0]),) * n
        if len(value) != n:
            raise RuntimeError(f"[{op}] expected {name} to be a single integer value or a list of {n} values")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _window_index(spatial, kernel, dilation, stride, out_sizes):
    """(K, O) flat positions in the (padded) ``spatial`` dims: window offset (kernel order) + output position."""
    nd = len(spatial)
    strides_flat = np.cumprod((1,) + tuple(spatial)[::-1])[:-1][::-1]
    k_offsets = sum(np.arange(k).reshape([-1 if i == d else 1 for i in range(nd)]) * dil * sf
                    for d, (k, dil, sf) in enumerate(zip(kernel, dilation, strides_flat)))
    o_offsets = sum(np.arange(o).reshape([-1 if i == d else 1 for i in range(nd)]) * s * sf
                    for d, (o, s, sf) in enumerate(zip(out_sizes, stride, strides_flat)))
    return (np.asarray(k_offsets).reshape(-1, 1) + np.asarray(o_offsets).reshape(1, -1)).astype(np.int64)


def _windows(input, kernel, stride, padding, dilation, nd, op, pad_value, rows=False):
    """The sliding windows of (N, C, *spatial) ``input`` as (N, C, K, O): K kernel positions, O output
    positions, padded with ``pad_value`` (with ``rows``, as (N, O, C, K): one row per output position).
    One gather per sample row takes them (its backward scatters the gradient back). Returns the windows and
    the output's spatial sizes."""
    stride = _ntuple(stride, nd, "stride", op)
    dilation = _ntuple(dilation, nd, "dilation", op)
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for d, k in zip(dilation, kernel)]
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
    else:
        pads = [(p, p) for p in _ntuple(padding, nd, "padding", op)]
    x = input
    for d, (lo, hi) in enumerate(pads):
        if lo or hi:
            axis = 2 + d
            shape = list(x.shape)
            parts = []
            if lo:
                shape[axis] = lo
                parts.append(_C.full(tuple(shape), pad_value, x.dtype))
            parts.append(x)
            if hi:
                shape[axis] = hi
                parts.append(_C.full(tuple(shape), pad_value, x.dtype))
            x = _C.cat(parts, axis)
    n, c = x.shape[0], x.shape[1]
    spatial = tuple(x.shape[2:])
    out_sizes = tuple((size - dil * (k - 1) - 1) // s + 1 for size, dil, k, s in zip(spatial, dilation, kernel, stride))
    if any(o <= 0 for o in out_sizes):
        raise RuntimeError(f"[{op}] Calculated output size: {list(out_sizes)}. Output size is too small (input of "
                           f"padded size {list(spatial)}, kernel {list(kernel)})")
    # One sample's positions, the same for every sample: gathered along each sample's flat row (the
    # index expanded over the batch, no copy), so the cached positions do not grow with the batch.
    positions = _window_positions(c, spatial, tuple(kernel), dilation, stride, out_sizes, rows)
    per_sample = positions.reshape(1, -1).expand(n, positions.numel())
    return x.reshape(n, c * int(np.prod(spatial))).gather(1, per_sample).reshape((n,) + tuple(positions.shape)), out_sizes


_POSITIONS_CACHE = OrderedDict()  # key -> positions tensor, least recently used first
_POSITIONS_CACHE_LIMIT = 64 << 20  # bytes of positions kept at most


def _window_positions(*key):
    """The flat positions in one sample's (C, *spatial) values that ``_windows`` gathers, as a
    contiguous int64 tensor. One gather at flat positions over all channel planes is about 30x faster
    than the equivalent advanced index x.reshape(n, c, -1)[:, :, index] (10 ms for a 64x16x6x6
    input); the positions depend on the shapes only, so a training loop reuses them (building them
    was a third of a small conv's forward). The cache keeps the most recently used ones up to 64 MiB.
    (Positions over the whole batch outgrew it: a (16, 64, 32, 32) input's 3x3 windows need 75 MB,
    rebuilt on every call, 2/3 of that conv2d's forward.)"""
    # Single dict operations only (each atomic under the GIL), so threads sharing the cache at worst
    # build the same positions twice.
    positions = _POSITIONS_CACHE.pop(key, None)
    if positions is None:
        positions = _build_window_positions(*key)
        if positions.numel() * 8 > _POSITIONS_CACHE_LIMIT:
            return positions
    _POSITIONS_CACHE[key] = positions  # the most recently used last
    while sum(p.numel() * 8 for p in list(_POSITIONS_CACHE.values())) > _POSITIONS_CACHE_LIMIT:
        _POSITIONS_CACHE.pop(next(iter(list(_POSITIONS_CACHE)), None), None)
    return positions


def _build_window_positions(c, spatial, kernel, dilation, stride, out_sizes, rows):
    index = _window_index(spatial, kernel, dilation, stride, out_sizes)
    planes = (np.arange(c, dtype=np.int64) * int(np.prod(spatial))).reshape(c, 1, 1)
    if rows:  # (O, C, K)
        positions = planes.reshape(1, c, 1) + index.T.reshape(index.shape[1], 1, index.shape[0])
    else:  # (C, K, O)
        positions = planes + index
    return from_numpy(np.ascontiguousarray(positions))


def _conv(input, weight, bias, stride, padding, dilation, groups, nd, op):
    """N-d convolution (cross-correlation) as im2col: the input's windows gathered by one advanced
    index (its backward scatters the gradient back), then one batched matmul per group."""
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if input.dim() != nd + 2:
        raise RuntimeError(f"[{op}] Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, but got "
                           f"input of size: {list(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    out_c, c_per_group = weight.shape[0], weight.shape[1]
    kernel = tuple(weight.shape[2:])
    if c != c_per_group * groups:
        raise RuntimeError(f"[{op}] Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {c_per_group * groups} channels, but got {c} channels "
                           "instead")
    if groups == 1:
        # One row of C * K window values per output position: the whole convolution is then one 2-D
        # product, as F.linear is (and so is each gradient), instead of a product per sample.
        rows, out_sizes = _windows(input, kernel, stride, padding, dilation, nd, op, 0.0, rows=True)  # (N, O, C, K)
        o_total = rows.shape[1]
        # The weight as a contiguous (C * K, out) matrix, not a transposed view: its gradient is then
        # rows^T @ grad, a (C * K, out) product, where a transposed view takes it as grad^T @ rows, (out,
        # C * K) over the N * O rows, on which OpenBLAS with 2 threads spent 1.5 s for a (16, 64, 32,
        # 32) batch's 3x3 conv instead of 0.11 s (bench/families_index.py).
        out = rows.reshape(n * o_total, -1).matmul(weight.reshape(out_c, -1).t().contiguous())  # (N * O, out)
        if bias is not None:
            out = out + bias
        out = out.reshape((n,) + out_sizes + (out_c,)).permute(0, nd + 1, *range(1, nd + 1)).contiguous()
        return out.squeeze(0) if unbatched else out
    cols, out_sizes = _windows(input, kernel, stride, padding, dilation, nd, op, 0.0)  # (N, C, K, O)
    k_total, o_total = cols.shape[2], cols.shape[3]
    cols = cols.reshape(n, groups, c_per_group * k_total, o_total)
    w = weight.reshape(groups, out_c // groups, c_per_group * k_total)
    out = w.matmul(cols).reshape((n, out_c) + out_sizes)  # (G, out/G, CK) @ (N, G, CK, O)
    if bias is not None:
        out = out + bias.reshape([1, -1] + [1] * nd)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) (or (C, L)) with ``weight`` (out, C / groups, k).

    >>> import fngrad.nn.functional as F
    >>> F.conv1d(fngrad.arange(5.).reshape(1, 1, 5), fngrad.ones(1, 1, 3))
    tensor([[[3., 6., 9.]]])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W) (or (C, H, W)) with ``weight`` (out, C / groups, kh, kw).

    >>> import fngrad.nn.functional as F
    >>> F.conv2d(fngrad.ones(1, 1, 4, 4), fngrad.ones(2, 1, 3, 3), padding=1).shape
    fngrad.Size([1, 2, 4, 4])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


__all__ += ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"]


def _divide_window_sums(sums, divisor, dtype):
    """Average pooling's division: integer inputs divide in integers (truncating), as PyTorch's kernels."""
    if dtype.is_floating_point:
        return sums / (divisor.to(sums.dtype) if isinstance(divisor, _C.TensorBase) else divisor)
    if isinstance(divisor, _C.TensorBase):
        divisor = divisor.to(_C.int64)
    return sums.div(divisor, rounding_mode="trunc").to(dtype)


def _pool(input, kernel_size, stride, padding, dilation, ceil_mode, nd, op, kind, count_include_pad=True,
          divisor_override=None, return_indices=False):
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if input.dim() != nd + 2:
        raise RuntimeError(f"[{op}] Expected {nd + 1}D or {nd + 2}D input, but got input of size: "
                           f"{list(input.shape)}")
    kernel = _ntuple(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else \
        _ntuple(stride, nd, "stride", op)
    pads = _ntuple(padding, nd, "padding", op)
    dils = _ntuple(dilation, nd, "dilation", op)
    if any(p > (d * (k - 1) + 1) // 2 for p, k, d in zip(pads, kernel, dils)):
        raise RuntimeError(f"[{op}] pad should be at most half of effective kernel size, but got pad={list(pads)}, "
                           f"kernel_size={list(kernel)} and dilation={list(dils)}")
    spatial = tuple(input.shape[2:])
    # PyTorch's pooling_output_shape: with ceil_mode the last window may hang over the end, but must
    # start inside the input or its left padding.
    out_sizes, overhang = [], []
    for size, k, s, p, d in zip(spatial, kernel, stride, pads, dils):
        span = d * (k - 1) + 1
        o = (size + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= size + p:
            o -= 1
        if o <= 0:
            raise RuntimeError(f"[{op}] Given input size: {list(spatial)}. Calculated output size: {o}. Output size "
                               "is too small")
        out_sizes.append(o)
        overhang.append(max((o - 1) * s + span - (size + 2 * p), 0))
    pad_value = float("-inf") if kind == "max" else 0.0
    if kind == "max" and not input.is_floating_point():
        pad_value = int(np.iinfo(_values(input).dtype).min)  # (-inf would become 0 in an integer dtype)
    widths = [(p, p + extra) for p, extra in zip(pads, overhang)]
    flat_pad = tuple(v for lo_hi in reversed(widths) for v in lo_hi)
    padded = pad(input, flat_pad, value=pad_value) if any(flat_pad) else input
    cols, _ = _windows(padded, kernel, stride, 0, dils, nd, op, pad_value)  # (N, C, K, O)
    n, c = cols.shape[0], cols.shape[1]

    def window_map(values_np):
        """A NumPy map over the padded spatial dims, windowed as the input is: (K, O)."""
        t = from_numpy(np.ascontiguousarray(values_np, dtype=np.float64).reshape((1, 1) + values_np.shape))
        return _windows(t, kernel, stride, 0, dils, nd, op, 0.0)[0].numpy()[0, 0]

    inner = tuple(slice(lo, lo + size) for (lo, _), size in zip(widths, spatial))
    indices = None
    if kind == "max":
        out = cols.amax(2)
        if return_indices:
            positions = np.full(tuple(padded.shape[2:]), -1.0)
            positions[inner] = np.arange(int(np.prod(spatial))).reshape(spatial)
            pos = window_map(positions)  # (K, O): flat input position of each window element
            best = _values(cols).argmax(2)  # (N, C, O)
            indices = from_numpy(pos[best, np.arange(best.shape[-1])].astype(np.int64))
    elif divisor_override is not None:
        out = _divide_window_sums(cols.sum(2), divisor_override, input.dtype)
    else:
        # Each window's divisor: its elements inside the input, plus the padding when count_include_pad,
        # never the part that ceil_mode hangs over the end.
        counted = np.zeros(tuple(padded.shape[2:]))
        if count_include_pad:
            counted[tuple(slice(0, lo + size + p) for (lo, _), size, p in zip(widths, spatial, pads))] = 1.0
        counted[inner] = 1.0
        counts = window_map(counted).sum(0)
        out = _divide_window_sums(cols.sum(2), from_numpy(counts), input.dtype)
    out = out.reshape((n, c) + tuple(out_sizes))
    if indices is not None:
        indices = indices.reshape((n, c) + tuple(out_sizes))
        return (out.squeeze(0), indices.squeeze(0)) if unbatched else (out, indices)
    return out.squeeze(0) if unbatched else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window of (N, C, L) input (padding counts as -inf); with ``return_indices``
    also the flat position in L of each maximum (for ``max_unpool1d``).

    >>> import fngrad.nn.functional as F
    >>> F.max_pool1d(fngrad.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    tensor([[[3., 2.]]])
    """
    return _pool(input, kernel_size, stride, padding, dilation, ceil_mode, 1, "max_pool1d", "max",
                 return_indices=return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window of (N, C, H, W) input (padding counts as -inf); with
    ``return_indices`` also the flat position in H * W of each maximum (for ``max_unpool2d``).

    >>> import fngrad.nn.functional as F
    >>> F.max_pool2d(fngrad.arange(16.).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    return _pool(input, kernel_size, stride, padding, dilation, ceil_mode, 2, "max_pool2d", "max",
                 return_indices=return_indices)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window of (N, C, L) input.

    >>> import fngrad.nn.functional as F
    >>> F.avg_pool1d(fngrad.arange(6.).reshape(1, 1, 6), 2)
    tensor([[[0.5000, 2.5000, 4.5000]]])
    """
    return _pool(input, kernel_size, stride, padding, 1, ceil_mode, 1, "avg_pool1d", "avg", count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each window of (N, C, H, W) input (``divisor_override`` replaces the window size).

    >>> import fngrad.nn.functional as F
    >>> F.avg_pool2d(fngrad.arange(16.).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """
    return _pool(input, kernel_size, stride, padding, 1, ceil_mode, 2, "avg_pool2d", "avg", count_include_pad,
                 divisor_override)


# ---- more of torch.nn.functional: activations, padding, resampling, distances, losses, adaptive pooling.
# Each is composed from differentiable fngrad ops, so gradients of any order come with it.

__all__ += [
    "relu6", "hardsigmoid", "hardswish", "selu", "celu", "glu", "softsign", "tanhshrink", "softshrink", "hardshrink",
    "threshold", "threshold_", "prelu", "rrelu", "softmin",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _inplace_result(input, out, inplace):
    return input.copy_(out) if inplace else out


def relu6(input, inplace=False):
    """min(max(x, 0), 6).

    >>> import fngrad.nn.functional as F
    >>> F.relu6(fngrad.tensor([-1.0, 3.0, 7.0]))
    tensor([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6; the gradient is 1/6 strictly inside (-3, 3), as PyTorch's.

    >>> import fngrad.nn.functional as F
    >>> F.hardsigmoid(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([0.1667, 0.4167, 0.5833, 0.8333])
    """
    _floating_only(input, "hardsigmoid_cpu")
    return _inplace_result(input, hardtanh(input + 3.0, 0.0, 6.0) / 6.0, inplace)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6 (MobileNetV3).

    >>> import fngrad.nn.functional as F
    >>> F.hardswish(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.3333, -0.2083,  0.2917,  1.6667])
    """
    _floating_only(input, "hardswish_cpu")
    return _inplace_result(input, input * (hardtanh(input + 3.0, 0.0, 6.0) / 6.0), inplace)


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al.

    >>> import fngrad.nn.functional as F
    >>> F.selu(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-1.5202, -0.6918,  0.5254,  2.1014])
    """
    _floating_only(input, "elu_cpu")
    return _inplace_result(input, _C.elu(input, _SELU_ALPHA) * _SELU_SCALE, inplace)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    >>> import fngrad.nn.functional as F
    >>> F.celu(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.8647, -0.3935,  0.5000,  2.0000])
    """
    _floating_only(input, "elu_cpu")
    alpha = _number(alpha, "celu", "alpha")
    if alpha == 0:
        raise RuntimeError("[celu] ZeroDivisionError: alpha must not be 0 for celu")
    return _inplace_result(input, _C.elu(input / alpha, 1.0) * alpha, inplace)


def glu(input, dim=-1):
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``.

    >>> import fngrad.nn.functional as F
    >>> F.glu(fngrad.tensor([1.0, 2.0, 0.0, 1.0]))
    tensor([0.5000, 1.4621])
    """
    _floating_only(input, "glu_cpu")
    if input.dim() == 0:
        raise RuntimeError("[glu] glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"[glu] Halving dimension must be even, but dimension {dim % input.dim()} is size {size}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def softsign(input):
    """x / (1 + |x|).

    >>> import fngrad.nn.functional as F
    >>> F.softsign(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.6667, -0.3333,  0.3333,  0.6667])
    """
    return input / (input.abs() + 1.0)


def tanhshrink(input):
    """x - tanh(x).

    >>> import fngrad.nn.functional as F
    >>> F.tanhshrink(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-1.0360, -0.0379,  0.0379,  1.0360])
    """
    return input - input.tanh()


def softshrink(input, lambd=0.5):
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0.

    >>> import fngrad.nn.functional as F
    >>> F.softshrink(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-1.5000, -0.0000,  0.0000,  1.5000])
    """
    _floating_only(input, "softshrink_check")
    lambd = _number(lambd, "softshrink", "lambd")
    if lambd < 0:
        raise RuntimeError(f"[softshrink] lambda must be greater or equal to 0, but found to be {lambd}.")
    zero = input * 0.0
    return _C.where(input > lambd, input - lambd, _C.where(input < -lambd, input + lambd, zero))


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0.

    >>> import fngrad.nn.functional as F
    >>> F.hardshrink(fngrad.tensor([-2.0, 0.25, 2.0]))
    tensor([-2.,  0.,  2.])
    """
    _floating_only(input, "hardshrink_cpu")
    lambd = _number(lambd, "hardshrink", "lambd")
    return _C.where((input > lambd).logical_or(input < -lambd), input, input * 0.0)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value.

    >>> import fngrad.nn.functional as F
    >>> F.threshold(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]), 0.0, -1.0)
    tensor([-1.0000, -1.0000,  0.5000,  2.0000])
    """
    threshold = _number(threshold, "threshold", "threshold")
    value = _number(value, "threshold", "value")
    # (x <= threshold, not x > threshold: NaN passes through; the result keeps an integer input's dtype)
    return _inplace_result(input, _C.where(input <= threshold, _creation.full_like(input, value), input), inplace)


def threshold_(input, threshold, value):
    """threshold in place.

    >>> import fngrad.nn.functional as F
    >>> F.threshold_(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]), 0.0, -1.0)
    tensor([-1.0000, -1.0000,  0.5000,  2.0000])
    """
    return globals()["threshold"](input, threshold, value, inplace=True)


def prelu(input, weight):
    """x where x > 0, else weight * x; ``weight`` has one entry, or one per channel (dim 1).

    >>> import fngrad.nn.functional as F
    >>> F.prelu(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]), fngrad.tensor([0.25]))
    tensor([-0.5000, -0.1250,  0.5000,  2.0000])
    """
    if weight.dtype != input.dtype:
        raise RuntimeError(f"[prelu] prelu: Type promoting not supported. Got {_SCALAR_TYPE_NAME[input.dtype]} and "
                           f"{_SCALAR_TYPE_NAME[weight.dtype]}")
    _floating_only(input, "prelu_cpu")
    if weight.dim() > 1:
        raise RuntimeError(f"[prelu] Expected weight to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.dim() >= 2 else (input.shape[0] if input.dim() == 1 else 1)
        if input.dim() == 0 or n != channels:
            raise RuntimeError(f"[prelu] Mismatch of parameter numbers and input channel size. Found parameter "
                               f"numbers = {n} and channel size = {channels}.")
        if input.dim() >= 2:
            weight = weight.reshape([1, -1] + [1] * (input.dim() - 2))
    else:
        weight = weight.reshape(())
    return _C.where(input > 0, input, weight * input)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU with a random slope per element, drawn from U(lower, upper) when ``training``
    (seeded by ``fngrad.manual_seed``); in evaluation the slope is (lower + upper) / 2.

    >>> import fngrad.nn.functional as F
    >>> F.rrelu(fngrad.tensor([-2.0, -0.5, 0.5, 2.0]))
    tensor([-0.4583, -0.1146,  0.5000,  2.0000])
    """
    _floating_only(input, "leaky_relu_cpu")
    lower = _number(lower, "rrelu", "lower")
    upper = _number(upper, "rrelu", "upper")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slopes = default_generator._rng.uniform(lower, upper, tuple(input.shape))
    slope = from_numpy(slopes.astype(np.float64 if input.dtype == _C.float64 else np.float32))
    return _inplace_result(input, _C.where(input >= 0, input, input * slope), inplace)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-input) along ``dim``.

    >>> import fngrad.nn.functional as F
    >>> F.softmin(fngrad.tensor([0.0, 1.0, 2.0]), dim=0)
    tensor([0.6652, 0.2447, 0.0900])
    """
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return (-input).softmax(dim, dtype)


__all__ += ["normalize", "cosine_similarity", "pairwise_distance", "pdist"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps).

    >>> import fngrad.nn.functional as F
    >>> F.normalize(fngrad.tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
    """
    if out is not None:
        raise NotImplementedError("[normalize] out= is not supported")
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between x1 and x2 along ``dim`` (broadcast), each norm at least ``eps``.

    >>> import fngrad.nn.functional as F
    >>> F.cosine_similarity(fngrad.tensor([[1.0, 0.0]]), fngrad.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    # The operands broadcast first: a norm along `dim` is over the broadcast size (PyTorch).
    shape = _broadcast_check("cosine_similarity", x1.shape, x2.shape)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim.

    >>> import fngrad.nn.functional as F
    >>> F.pairwise_distance(fngrad.tensor([[0.0, 0.0]]), fngrad.tensor([[3.0, 4.0]]))
    tensor([5.0000])
    """
    dim = max(x1.dim(), x2.dim()) - 1
    if dim < 0:
        return ((x1 - x2) + eps).abs()
    return ((x1 - x2) + eps).norm(p, dim, keepdim=keepdim)


def pdist(input, p=2):
    """The p-norm distances between the rows of an (N, M) input, i < j, in row-major order (N(N-1)/2).

    >>> import fngrad.nn.functional as F
    >>> F.pdist(fngrad.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]))
    tensor([ 5., 10.,  5.])
    """
    if input.dim() != 2:
        raise RuntimeError(f"[pdist] pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError("[pdist] pdist only supports floating-point dtypes")
    if input.dtype in (_C.float16, _C.bfloat16) and input.shape[0] > 1:  # PyTorch's kernel has no half precision
        raise NotImplementedError(f"[pdist] \"pdist\" not implemented for '{_SCALAR_TYPE_NAME[input.dtype]}'")
    i, j = np.triu_indices(input.shape[0], k=1)
    return (input[from_numpy(i.astype(np.int64))] - input[from_numpy(j.astype(np.int64))]).norm(p, 1)


__all__ += ["pad", "interpolate", "upsample"]

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _index_along(x, axis, positions):
    """x gathered at ``positions`` (a NumPy int array) along ``axis`` (its backward scatters back)."""
    return x[(slice(None),) * axis + (from_numpy(np.asarray(positions, dtype=np.int64)),)]


def pad(input, pad, mode="constant", value=None):
    """Pads the last ``len(pad) // 2`` dims: ``pad`` is (left, right) for the last dim, then the one
    before, ... Modes ``constant`` (``value``, default 0; negative pads crop), ``reflect``,
    ``replicate`` and ``circular``.

    Example::

        >>> import fngrad, fngrad.nn.functional as F
        >>> F.pad(fngrad.tensor([[1.0, 2.0]]), (1, 2), value=9.0)
        tensor([[9., 1., 2., 9., 9.]])
    """
    pad = tuple(int(v) for v in pad)
    if len(pad) % 2:
        raise RuntimeError("[pad] Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(f"[pad] Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {input.dim()}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"[pad] Unrecognised padding mode {mode}")
    if mode != "constant" and value not in (None, 0, 0.0):
        raise NotImplementedError(f"[pad] Padding mode \"{mode}\" doesn't take in value argument.")
    x = input
    for k in range(len(pad) // 2):
        lo, hi = pad[2 * k], pad[2 * k + 1]
        axis = input.dim() - 1 - k
        size = x.shape[axis]
        if mode in ("constant", "circular") and (lo < 0 or hi < 0):
            # Negative padding crops first; circular padding then wraps within what is left (PyTorch).
            x = x[(slice(None),) * axis + (slice(max(-lo, 0), size - max(-hi, 0)),)]
            lo, hi = max(lo, 0), max(hi, 0)
            size = x.shape[axis]
        if mode == "constant":
            if lo or hi:
                parts = []
                for n in (lo, hi):
                    shape = list(x.shape)
                    shape[axis] = n
                    parts.append(_C.full(tuple(shape), 0.0 if value is None else float(value), x.dtype) if n else None)
                x = _C.cat([t for t in (parts[0], x, parts[1]) if t is not None], axis)
            continue
        positions = np.arange(-lo, size + hi)
        if mode == "reflect":
            if lo >= size or hi >= size:
                raise RuntimeError(f"[pad] Argument #4: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({lo}, {hi}) at dimension {axis} of input "
                                   f"{list(input.shape)}")
            period = 2 * (size - 1) if size > 1 else 1
            positions = np.abs(positions) % period
            positions = np.where(positions >= size, period - positions, positions)
        elif mode == "replicate":
            positions = np.clip(positions, 0, size - 1)
        else:  # circular
            if lo > size or hi > size:
                raise RuntimeError("[pad] Padding value causes wrapping around more than once.")
            positions = positions % size
        x = _index_along(x, axis, positions)
    return x


_INTERP_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "area")
_INTERP_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resizes the spatial dims of (N, C, *spatial) ``input`` to ``size`` or by ``scale_factor``:
    ``nearest``, ``nearest-exact``, ``linear`` (1-D), ``bilinear`` (2-D), ``trilinear`` (3-D) — with
    PyTorch's source coordinates and ``align_corners`` — and ``area`` (adaptive average pooling).

    Example::

        >>> import fngrad, fngrad.nn.functional as F
        >>> F.interpolate(fngrad.tensor([[[1.0, 3.0]]]), scale_factor=2, mode="linear")
        tensor([[[1.0000, 1.5000, 2.5000, 3.0000]]])
    """
    if mode not in _INTERP_MODES:
        raise NotImplementedError(f"[interpolate] mode '{mode}' is not supported (supported: {_INTERP_MODES})")
    if antialias:
        raise NotImplementedError("[interpolate] antialias=True is not supported")
    nd = input.dim() - 2
    if nd < 1:
        raise ValueError(f"[interpolate] Expected a 3D, 4D or 5D input (N, C, *spatial), got {input.dim()}D")
    if mode in _INTERP_DIMS and not input.is_floating_point():
        # PyTorch has a uint8 bilinear kernel (rounding its own way); fngrad's interpolation is float only
        raise NotImplementedError(f"[interpolate] mode '{mode}' on a {str(input.dtype).split('.')[-1]} input is "
                                  f"not implemented (only floating point)")
    if mode in _INTERP_DIMS and _INTERP_DIMS[mode] != nd:
        raise NotImplementedError(f"[interpolate] Got {input.dim()}D input, but {mode} mode needs "
                                  f"{_INTERP_DIMS[mode] + 2}D input")
    if align_corners is not None and mode not in _INTERP_DIMS:
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                         "bicubic | trilinear")
    align_corners = bool(align_corners)
    in_sizes = tuple(input.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out_sizes = tuple(int(s) for s in size) if isinstance(size, (tuple, list)) else (int(size),) * nd
        if len(out_sizes) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(in_sizes)} and output size of {list(out_sizes)}. Please "
                             "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, "
                             "...,oK) format.")
        scales = [None] * nd
    else:
        factors = tuple(float(s) for s in scale_factor) if isinstance(scale_factor, (tuple, list)) \
            else (float(scale_factor),) * nd
        if len(factors) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(in_sizes)} and scale_factor of shape "
                             f"{list(factors)}.")
        out_sizes = tuple(int(np.floor(s * f)) for s, f in zip(in_sizes, factors))
        # PyTorch uses 1 / scale_factor as the scale unless asked to recompute it from the sizes.
        scales = [None if recompute_scale_factor else 1.0 / f for f in factors]
    if mode == "area":
        return _adaptive_pool(input, out_sizes, nd, "interpolate", "avg")
    x = input
    for d in range(nd):
        axis, n_in, n_out = 2 + d, in_sizes[d], out_sizes[d]
        dst = np.arange(n_out, dtype=np.float64)
        if mode in ("nearest", "nearest-exact"):
            scale = scales[d] if scales[d] is not None else n_in / n_out
            src = np.floor((dst + (0.5 if mode == "nearest-exact" else 0.0)) * scale)
            x = _index_along(x, axis, np.minimum(src.astype(np.int64), n_in - 1))
            continue
        if align_corners:
            src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            scale = scales[d] if scales[d] is not None else n_in / n_out
            src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        lam = (src - i0).reshape([-1] + [1] * (nd - 1 - d))
        w1 = from_numpy(lam).to(x.dtype)
        x = _index_along(x, axis, i0) * (1.0 - w1) + _index_along(x, axis, i1) * w1
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated name of :func:`interpolate` (as in PyTorch).

    >>> import fngrad.nn.functional as F
    >>> F.upsample(fngrad.tensor([[[1.0, 2.0]]]), scale_factor=2)
    tensor([[[1., 1., 2., 2.]]])
    """
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


__all__ += ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
            "max_unpool1d", "max_unpool2d", "max_unpool3d"]


def _adaptive_windows(n_in, n_out):
    """PyTorch's adaptive windows: [floor(i n_in / n_out), ceil((i + 1) n_in / n_out)) for each output i."""
    i = np.arange(n_out)
    return (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)


def _adaptive_max_positions(a, sizes):
    """(N, C, *sizes) flat positions in the spatial dims of NumPy array ``a`` of each adaptive window's
    maximum, as PyTorch's kernel picks it: the first maximum in row-major order, or the last NaN."""
    n, c, spatial = a.shape[0], a.shape[1], a.shape[2:]
    windows = [_adaptive_windows(size, out) for size, out in zip(spatial, sizes)]
    strides = np.cumprod((1,) + tuple(spatial)[::-1])[:-1][::-1]
    out = np.empty((n, c) + tuple(sizes), dtype=np.int64)
    for cell in np.ndindex(*sizes):
        box = tuple(slice(w[0][o], w[1][o]) for w, o in zip(windows, cell))
        window = a[(slice(None), slice(None)) + box]
        flat = window.reshape(n, c, -1)
        nan = np.isnan(flat)
        last_nan = flat.shape[-1] - 1 - nan[..., ::-1].argmax(-1)
        local = np.where(nan.any(-1), last_nan, flat.argmax(-1))
        coords = np.unravel_index(local, window.shape[2:])
        out[(slice(None), slice(None)) + cell] = sum((coords[d] + windows[d][0][o]) * strides[d]
                                                     for d, o in enumerate(cell))
    return out


def _adaptive_pool(input, output_size, nd, op, kind, return_indices=False):
    """Adaptive pooling, one spatial dim at a time (the mean and the max over a box are separable):
    the mean is a product with an (in, out) averaging matrix, the max an ``amax`` over windows
    gathered at their largest size (shorter windows repeat their last element, which leaves the max
    unchanged). With ``return_indices`` the max is gathered at the positions of the maxima instead, so
    that, as in PyTorch, the gradient reaches that one element of each window."""
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if input.dim() != nd + 2:
        raise RuntimeError(f"[{op}] Expected {nd + 1}D or {nd + 2}D tensor, but got input of size: "
                           f"{list(input.shape)}")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(sizes) != nd:
        raise RuntimeError(f"[{op}] output_size must be {nd}")
    sizes = tuple(input.shape[2 + d] if s is None else int(s) for d, s in enumerate(sizes))
    if return_indices:
        n, c = input.shape[0], input.shape[1]
        indices = from_numpy(_adaptive_max_positions(_values(input), sizes))
        values = input.reshape(n, c, -1).gather(2, indices.reshape(n, c, -1)).reshape(indices.shape)
        return (values.squeeze(0), indices.squeeze(0)) if unbatched else (values, indices)
    x = input
    for d in range(nd):
        axis, n_in, n_out = 2 + d, input.shape[2 + d], sizes[d]
        start, end = _adaptive_windows(n_in, n_out)
        if kind == "avg":
            m = np.zeros((n_in, n_out))
            for o in range(n_out):
                m[start[o]:end[o], o] = 1.0 / (end[o] - start[o])
            x = x.transpose(axis, -1).matmul(from_numpy(m).to(x.dtype)).transpose(axis, -1)
        else:
            k = int((end - start).max())
            positions = np.minimum(start[:, None] + np.arange(k)[None, :], end[:, None] - 1)  # (out, k)
            x = _index_along(x, axis, positions.reshape(-1))
            shape = list(x.shape)
            x = x.reshape(shape[:axis] + [n_out, k] + shape[axis + 1:]).amax(axis + 1)
    return x.squeeze(0) if unbatched else x


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) input to ``output_size`` with PyTorch's adaptive windows.

    >>> import fngrad.nn.functional as F
    >>> F.adaptive_avg_pool1d(fngrad.arange(6.).reshape(1, 1, 6), 2)
    tensor([[[1., 4.]]])
    """
    return _adaptive_pool(input, output_size, 1, "adaptive_avg_pool1d", "avg")


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of (N, C, H, W) input to ``output_size`` (an int, or (h, w) with None for keep).

    >>> import fngrad.nn.functional as F
    >>> F.adaptive_avg_pool2d(fngrad.arange(16.).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """
    return _adaptive_pool(input, output_size, 2, "adaptive_avg_pool2d", "avg")


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) input to ``output_size`` with PyTorch's adaptive windows; with
    ``return_indices`` also the flat spatial position of each maximum (for ``max_unpool``).

    >>> import fngrad.nn.functional as F
    >>> F.adaptive_max_pool1d(fngrad.arange(6.).reshape(1, 1, 6), 2)
    tensor([[[2., 5.]]])
    """
    return _adaptive_pool(input, output_size, 1, "adaptive_max_pool1d", "max", return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling of (N, C, H, W) input to ``output_size`` with PyTorch's adaptive windows; with
    ``return_indices`` also the flat spatial position of each maximum (for ``max_unpool``).

    >>> import fngrad.nn.functional as F
    >>> F.adaptive_max_pool2d(fngrad.arange(16.).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    return _adaptive_pool(input, output_size, 2, "adaptive_max_pool2d", "max", return_indices)


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, nd, op):
    kernel = _ntuple(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None else _ntuple(stride, nd, "stride", op)
    pads = _ntuple(padding, nd, "padding", op)
    unbatched = input.dim() == nd + 1
    if unbatched:
        input, indices = input.unsqueeze(0), indices.unsqueeze(0)
    if tuple(indices.shape) != tuple(input.shape) or indices.dtype != _C.int64:
        raise RuntimeError(f"[{op}] Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) and of dtype int64, got {list(indices.shape)}, {indices.dtype!r}")
    if output_size is None:
        sizes = tuple((i - 1) * s - 2 * p + k for i, s, p, k in zip(input.shape[2:], stride, pads, kernel))
    else:
        sizes = tuple(int(v) for v in tuple(output_size)[-nd:])
    n, c, total = input.shape[0], input.shape[1], int(np.prod(sizes))
    idx = indices.detach().numpy().reshape(n, c, -1)
    if idx.size and (idx.min() < 0 or idx.max() >= total):
        raise RuntimeError(f"[{op}] Found an invalid max index: {int(idx.max() if idx.max() >= total else idx.min())}"
                           f" (output volumes are of size {'x'.join(map(str, sizes))}")
    out = _C.full((n, c, total), 0.0, input.dtype)
    rows = np.broadcast_to(np.arange(n).reshape(n, 1, 1), idx.shape)
    chans = np.broadcast_to(np.arange(c).reshape(1, c, 1), idx.shape)
    out[from_numpy(np.ascontiguousarray(rows)), from_numpy(np.ascontiguousarray(chans)), from_numpy(idx)] = \
        input.reshape(n, c, -1)
    out = out.reshape((n, c) + sizes)
    return out.squeeze(0) if unbatched else out


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Puts each value of ``input`` at its index from ``max_pool1d(..., return_indices=True)``; zeros elsewhere.

    >>> import fngrad.nn.functional as F
    >>> y, i = F.max_pool1d(fngrad.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2, return_indices=True)
    >>> F.max_unpool1d(y, i, 2)
    tensor([[[0., 3., 2., 0.]]])
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Puts each value of ``input`` at its index from ``max_pool3d(..., return_indices=True)``; zeros elsewhere.

    >>> import fngrad.nn.functional as F
    >>> y, i = F.max_pool3d(fngrad.arange(8.).reshape(1, 1, 2, 2, 2), 2, return_indices=True)
    >>> F.max_unpool3d(y, i, 2).flatten()
    tensor([0., 0., 0., 0., 0., 0., 0., 7.])
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Puts each value of ``input`` at its index from ``max_pool2d(..., return_indices=True)``; zeros elsewhere.

    Example::

        >>> import fngrad, fngrad.nn.functional as F
        >>> out, idx = F.max_pool2d(fngrad.tensor([[[[1.0, 2.0], [4.0, 3.0]]]]), 2, return_indices=True)
        >>> F.max_unpool2d(out, idx, 2)
        tensor([[[[0., 0.],
                  [4., 0.]]]])
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


__all__ += [
    "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
    "multi_margin_loss", "triplet_margin_loss", "cosine_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss",
]


def _zeros_like(t):
    return t * 0.0


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target (input1 - input2) + margin), target in {1, -1}.

    >>> import fngrad.nn.functional as F
    >>> F.margin_ranking_loss(fngrad.tensor([1.0, 2.0]), fngrad.tensor([2.0, 1.0]), fngrad.tensor([1.0, 1.0]))
    tensor(0.5000)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "margin_ranking_loss")
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"[margin_ranking_loss] margin_ranking_loss : All input tensors should have same "
                           f"dimension but got sizes: input1: {input1.shape!r}, input2: {input2.shape!r}, "
                           f"target: {target.shape!r} ")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target is 1, max(0, margin - input) where target is -1 (PyTorch: the first term
    wherever target != -1, the second wherever target != 1).

    >>> import fngrad.nn.functional as F
    >>> F.hinge_embedding_loss(fngrad.tensor([0.3, 2.0]), fngrad.tensor([-1, 1]))
    tensor(1.3500)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "hinge_embedding_loss")
    zero = _zeros_like(input)
    if isinstance(margin, numbers.Real) and input.dtype in (_C.float16, _C.bfloat16):
        margin = _creation.tensor(margin, dtype=input.dtype)  # PyTorch rounds the margin to the input's dtype first
    margin_part = _C.where(target != 1, (margin - input).clamp(min=0), zero)
    self_part = _C.where(target != -1, input, zero)
    return _reduce(margin_part + self_part, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target input)), target in {1, -1}.

    >>> import fngrad.nn.functional as F
    >>> F.soft_margin_loss(fngrad.tensor([2.0, -1.0]), fngrad.tensor([1.0, -1.0]))
    tensor(0.2201)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "soft_margin_loss")
    # PyTorch's formula, log1p(exp(-target * input)): it overflows to inf where PyTorch's does
    return _reduce((-(target * input)).exp().log1p(), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(y logsigmoid(x) + (1 - y) logsigmoid(-x)), times weight, averaged over the classes (last dim).

    >>> import fngrad.nn.functional as F
    >>> F.multilabel_soft_margin_loss(fngrad.tensor([[2.0, -1.0]]), fngrad.tensor([[1.0, 0.0]]))
    tensor(0.2201)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "multilabel_soft_margin_loss")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.sum(input.dim() - 1) / input.shape[-1], reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """sum over i != y of max(0, margin - x[y] + x[i])**p / C (times weight[y]), for (N, C) or (C,) input.

    >>> import fngrad.nn.functional as F
    >>> F.multi_margin_loss(fngrad.tensor([[0.1, 0.8, 0.4]]), fngrad.tensor([1]))
    tensor(0.3000)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    rows = input.reshape(1, -1) if input.dim() <= 1 else input
    if rows.dim() != 2:
        raise RuntimeError(f"[multi_margin_loss] Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")
    n, c = rows.shape[0], rows.shape[1]
    y = target.reshape(-1).detach().numpy()
    if y.shape[0] != n:
        raise RuntimeError(f"[multi_margin_loss] inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    if y.size and (y.min() < 0 or y.max() >= c):
        raise IndexError(f"[multi_margin_loss] target out of range: expected values in [0, {c - 1}]")
    x_y = rows[from_numpy(np.arange(n, dtype=np.int64)), from_numpy(y.astype(np.int64))].reshape(n, 1)
    z = (rows - x_y + margin).clamp(min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[from_numpy(y.astype(np.int64))].reshape(n, 1)
    other = np.ones((n, c))
    other[np.arange(n), y] = 0.0
    losses = (z * from_numpy(other).to(z.dtype)).sum(1) / c
    if input.dim() <= 1:
        losses = losses.reshape(())
    return _reduce(losses, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) with d = pairwise_distance(p, eps);
    ``swap`` uses min(d(a, n), d(p, n)).

    >>> import fngrad.nn.functional as F
    >>> F.triplet_margin_loss(fngrad.tensor([[0.0, 0.0]]), fngrad.tensor([[1.0, 0.0]]), fngrad.tensor([[0.0, 0.5]]))
    tensor(1.5000)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "triplet_margin_loss")
    if not (anchor.dim() == positive.dim() == negative.dim()):
        raise RuntimeError(f"[triplet_margin_loss] The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {anchor.dim()}D, positive "
                           f"{positive.dim()}D, and negative {negative.dim()}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = pairwise_distance(positive, negative, p, eps)
        d_neg = _C.where(d_swap < d_neg, d_swap, d_neg)
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


_COSINE_EMBEDDING_EPS = 1e-12  # PyTorch's EPSILON in cosine_embedding_loss


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where target is -1.

    >>> import fngrad.nn.functional as F
    >>> F.cosine_embedding_loss(fngrad.tensor([[1.0, 0.0]]), fngrad.tensor([[0.0, 1.0]]), fngrad.tensor([1]))
    tensor(1.)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cosine_embedding_loss")
    if input1.dim() != input2.dim() or input1.dim() not in (1, 2):
        raise RuntimeError(f"[cosine_embedding_loss] 1D target tensor expects 2D input tensors, but found inputs "
                           f"with sizes {list(input1.shape)} and {list(input2.shape)}.")
    dim = input1.dim() - 1
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + _COSINE_EMBEDDING_EPS
    mag2 = (input2 * input2).sum(dim) + _COSINE_EMBEDDING_EPS
    cos = prod / (mag1 * mag2).sqrt()
    zero = _zeros_like(cos)
    losses = _C.where(target == 1, 1 - cos, zero) + _C.where(target == -1, (cos - margin).clamp(min=0), zero)
    return _reduce(losses, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """exp(input) - target input (``log_input``), else input - target log(input + eps); ``full`` adds
    Stirling's term target log target - target + log(2 pi target) / 2 where target > 1.

    >>> import fngrad.nn.functional as F
    >>> F.poisson_nll_loss(fngrad.tensor([0.0, 1.0]), fngrad.tensor([1.0, 2.0]))
    tensor(0.8591)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "poisson_nll_loss")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        safe = _C.where(target > 1, target, _zeros_like(target) + 2.0)
        stirling = safe * safe.log() - safe + (safe * (2 * np.pi)).log() * 0.5
        loss = loss + _C.where(target > 1, stirling, _zeros_like(stirling))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """(log(max(var, eps)) + (input - target)**2 / max(var, eps)) / 2 (+ log(2 pi) / 2 when ``full``);
    ``var`` has input's shape, or one dim less, or 1 in the last dim. As PyTorch, the clamp of var
    does not stop its gradient.

    >>> import fngrad.nn.functional as F
    >>> F.gaussian_nll_loss(fngrad.tensor([1.0, 2.0]), fngrad.tensor([1.5, 2.0]), fngrad.ones(2))
    tensor(0.0625)
    """
    _check_reduction(reduction, "gaussian_nll_loss")
    if isinstance(var, numbers.Real):
        var = input.detach() * 0.0 + float(var)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    # var + (max(var, eps) - var) with the difference held constant: the value is clamped, the
    # gradient is var's own, as PyTorch's in-place clamp under no_grad.
    var = var + (var.detach().clamp(min=eps) - var.detach())
    loss = ((var.log() + (input - target) ** 2 / var)) * 0.5
    if full:
        loss = loss + 0.5 * float(np.log(2 * np.pi))
    return _reduce(loss, reduction)


# ---- shuffles, instance/RMS/local-response norms, fold/unfold, transposed and 3-D convolution and pooling.

__all__ += [
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "instance_norm",
    "local_response_norm", "rms_norm", "upsample_bilinear", "upsample_nearest", "triplet_margin_with_distance_loss",
    "multilabel_margin_loss", "unfold", "fold", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv3d",
    "avg_pool3d", "max_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
]


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r).

    >>> import fngrad, fngrad.nn.functional as F
    >>> F.pixel_shuffle(fngrad.arange(4.).reshape(1, 4, 1, 1), 2).reshape(-1).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    r = int(upscale_factor)
    *batch, c, h, w = input.shape
    if c % (r * r) != 0:
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    b = len(batch)
    x = input.reshape(tuple(batch) + (c // (r * r), r, r, h, w))
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return x.reshape(tuple(batch) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of ``pixel_shuffle``.

    >>> import fngrad.nn.functional as F
    >>> F.pixel_unshuffle(fngrad.ones(1, 1, 4, 4), 2).shape
    fngrad.Size([1, 4, 2, 2])
    """
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    r = int(downscale_factor)
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by downscale_factor, but got "
                           f"{h} x {w} and downscale_factor={r}")
    b = len(batch)
    x = input.reshape(tuple(batch) + (c, h // r, r, w // r, r))
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return x.reshape(tuple(batch) + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    """(N, C, *) with channels in ``groups`` groups -> channels interleaved across the groups.

    >>> import fngrad.nn.functional as F
    >>> F.channel_shuffle(fngrad.arange(4.).reshape(1, 4, 1, 1), 2).flatten()
    tensor([0., 2., 1., 3.])

    >>> import fngrad.nn.functional as F
    >>> F.native_channel_shuffle(fngrad.arange(4.).reshape(1, 4, 1, 1), 2).flatten()
    tensor([0., 2., 1., 3.])
    """
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape((n, groups, c // groups) + rest).transpose(1, 2).reshape((n, c) + rest)


native_channel_shuffle = channel_shuffle


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalises each (sample, channel) over its spatial dims; with ``use_input_stats`` updates the
    running statistics (averaged over the batch) in place, else normalises by them.

    >>> import fngrad.nn.functional as F
    >>> F.instance_norm(fngrad.tensor([[[1.0, 3.0]]]))
    tensor([[[-1.0000,  1.0000]]])
    """
    dims = tuple(range(2, input.dim()))
    shape = [1, -1] + [1] * (input.dim() - 2)
    if use_input_stats:
        count = int(np.prod(input.shape[2:], dtype=np.int64))
        if count <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape!r}")
        mean = input.mean(dims, keepdim=True)
        centred = input - mean
        var = (centred * centred).mean(dims, keepdim=True)
        if running_mean is not None:
            with no_grad():
                m = mean.detach().reshape(input.shape[0], input.shape[1]).mean(0)
                v = var.detach().reshape(input.shape[0], input.shape[1]).mean(0) * (count / (count - 1))
                running_mean.copy_(running_mean * (1 - momentum) + m * momentum)
                running_var.copy_(running_var * (1 - momentum) + v * momentum)
        out = centred * (var + eps).rsqrt()
    else:
        out = (input - running_mean.reshape(shape)) * (running_var + eps).rsqrt().reshape(shape)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta (zero-padded channels).

    >>> import fngrad.nn.functional as F
    >>> F.local_response_norm(fngrad.ones(1, 3, 1), size=2)
    tensor([[[1.0000],
             [0.9999],
             [0.9999]]])
    """
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.dim()} dimensions)")
    if input.numel() == 0:
        return input  # (PyTorch returns an empty input itself, in its dtype)
    c = input.shape[1]
    sq = input * input
    flat_pad = [0, 0] * (input.dim() - 2) + [size // 2, (size - 1) // 2]
    padded = pad(sq, tuple(flat_pad))
    total = padded.narrow(1, 0, c)
    for i in range(1, size):
        total = total + padded.narrow(1, i, c)
    return input / (total * (alpha / size) + k) ** beta


@half_in_float32
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean of x^2 over the last len(normalized_shape) dims + eps) * weight; eps defaults to
    the dtype's machine epsilon.

    >>> import fngrad.nn.functional as F
    >>> F.rms_norm(fngrad.tensor([[3.0, 4.0]]), (2,))
    tensor([[0.8485, 1.1314]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(np.dtype(str(input.dtype).replace("fngrad.", ""))).eps)
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    mean_sq = (input * input).mean(dims, keepdim=True) if dims else input * input
    out = input * (mean_sq + eps).rsqrt()
    return out * weight if weight is not None else out


def upsample_bilinear(input, size=None, scale_factor=None):
    """``interpolate(mode="bilinear", align_corners=True)`` (deprecated in PyTorch).

    >>> import fngrad.nn.functional as F
    >>> F.upsample_bilinear(fngrad.tensor([[[[1.0, 2.0]]]]), size=(1, 3))
    tensor([[[[1.0000, 1.5000, 2.0000]]]])
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def upsample_nearest(input, size=None, scale_factor=None):
    """``interpolate(mode="nearest")`` (deprecated in PyTorch).

    >>> import fngrad.nn.functional as F
    >>> F.upsample_nearest(fngrad.tensor([[[1.0, 2.0]]]), scale_factor=2)
    tensor([[[1., 1., 2., 2.]]])
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) with d = ``distance_function``
    (``pairwise_distance`` by default); ``swap`` uses min(d(a, n), d(p, n)).

    >>> import fngrad.nn.functional as F
    >>> F.triplet_margin_with_distance_loss(fngrad.tensor([[0.0, 0.0]]), fngrad.tensor([[1.0, 0.0]]), fngrad.tensor([[0.0, 0.5]]))
    tensor(1.5000)
    """
    _check_reduction(reduction, "triplet_margin_with_distance_loss")
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: expected margin to be greater than 0, got {margin} "
                         "instead")
    if not (anchor.dim() == positive.dim() == negative.dim()):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.dim()}D, positive {positive.dim()}D, and negative "
                           f"{negative.dim()}D inputs")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_swap = dist(positive, negative)
        d_neg = _C.where(d_swap < d_neg, d_swap, d_neg)
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """sum over target classes j (up to the first -1) and non-target classes i of max(0, 1 - (x[j] - x[i])),
    divided by C, for (C,) or (N, C) input.

    >>> import fngrad.nn.functional as F
    >>> F.multilabel_margin_loss(fngrad.tensor([[0.1, 0.2, 0.4, 0.8]]), fngrad.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "multilabel_margin_loss")
    rows = input.reshape(1, -1) if input.dim() <= 1 else input
    if rows.dim() != 2:
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    n, c = rows.shape[0], rows.shape[1]
    y = target.detach().numpy().reshape(n, -1) if target.numel() else np.zeros((n, 0), np.int64)
    if tuple(target.reshape(-1).shape) != (n * c,) and tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    counts = np.zeros((n, c))
    for row in range(n):
        for j in y[row]:
            if j < 0:
                break
            if j >= c:
                raise IndexError(f"multilabel_margin_loss: target index {j} is out of bounds for {c} classes")
            counts[row, j] += 1
    others = (counts == 0).astype(np.float64)
    pairs = (1 - (rows.unsqueeze(2) - rows.unsqueeze(1))).clamp(min=0)  # (N, j, i)
    mask = from_numpy(counts[:, :, None] * others[:, None, :]).to(pairs.dtype)
    losses = (pairs * mask).sum((1, 2)) / c
    if input.dim() <= 1:
        losses = losses.reshape(())
    return _reduce(losses, reduction)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: the sliding blocks of (N, C, *spatial) input as columns, (N, C * prod(kernel_size), L).

    >>> import fngrad.nn.functional as F
    >>> F.unfold(fngrad.arange(9.).reshape(1, 1, 3, 3), kernel_size=2)
    tensor([[[0., 1., 3., 4.],
             [1., 2., 4., 5.],
             [3., 4., 6., 7.],
             [4., 5., 7., 8.]]])
    """
    nd = input.dim() - 2
    unbatched = nd == 1  # PyTorch: (C, H, W) is an unbatched 2-D input
    if unbatched:
        input, nd = input.unsqueeze(0), 2
    if nd != 2:
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D)")
    kernel = _ntuple(kernel_size, nd, "kernel_size", "unfold")
    cols, _ = _windows(input, kernel, stride, padding, dilation, nd, "unfold", 0.0)
    n, c, k, o = cols.shape
    out = cols.reshape(n, c * k, o)
    return out.squeeze(0) if unbatched else out


def _fold(input, output_size, kernel, dilation, padding, stride, nd, op, blocks=None):
    """col2im, the adjoint of ``_windows``: each column's values added at its block's positions.
    ``blocks`` (the grid of blocks) defaults to the one that fits output_size; conv_transpose gives its
    input's size, which output_padding (up to the dilation) can leave one short of fitting."""
    out_size = _ntuple(output_size, nd, "output_size", op)
    dilation = _ntuple(dilation, nd, "dilation", op)
    padding = _ntuple(padding, nd, "padding", op)
    stride = _ntuple(stride, nd, "stride", op)
    n, ck, length = input.shape
    k_total = int(np.prod(kernel))
    if ck % k_total:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={ck} and kernel_size={tuple(kernel)}")
    padded = tuple(s + 2 * p for s, p in zip(out_size, padding))
    if blocks is None:
        blocks = tuple((s - d * (k - 1) - 1) // st + 1 for s, d, k, st in zip(padded, dilation, kernel, stride))
    if int(np.prod(blocks)) != length:
        raise RuntimeError(f"Given output_size={tuple(out_size)}, kernel_size={tuple(kernel)}, "
                           f"dilation={tuple(dilation)}, padding={tuple(padding)}, stride={tuple(stride)}, expected "
                           f"size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{' * '.join(map(str, blocks))} = {int(np.prod(blocks))}, but got input.size(2)={length}.")
    c = ck // k_total
    index = from_numpy(_window_index(padded, kernel, dilation, stride, blocks).reshape(-1))
    zeros = _C.full((n, c, int(np.prod(padded))), 0.0, input.dtype)
    out = zeros.index_add(2, index, input.reshape(n, c, k_total * length)).reshape((n, c) + padded)
    for d, p in enumerate(padding):
        if p:
            out = out.narrow(2 + d, p, out_size[d])
    return out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: sums the columns of (N, C * prod(kernel_size), L) input into (N, C, *output_size),
    overlapping blocks added.

    >>> import fngrad.nn.functional as F
    >>> F.fold(fngrad.ones(1, 4, 4), output_size=(3, 3), kernel_size=2)
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    unbatched = input.dim() == 2
    if unbatched:
        input = input.unsqueeze(0)
    if input.dim() != 3:
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  f"(got {input.dim()}D)")
    kernel = _ntuple(kernel_size, 2, "kernel_size", "fold")
    out = _fold(input, output_size, kernel, dilation, padding, stride, 2, "fold")
    return out.squeeze(0) if unbatched else out


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd, op):
    """The adjoint of convolution: each input position's ``weight``-weighted block (one matmul per
    group) added into the output by ``_fold``."""
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if input.dim() != nd + 2:
        raise RuntimeError(f"[{op}] Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, but got "
                           f"input of size: {list(input.shape)}")
    n, c_in = input.shape[0], input.shape[1]
    if weight.shape[0] != c_in:
        raise RuntimeError(f"[{op}] Given transposed=1, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {weight.shape[0]} channels, but got {c_in} channels instead")
    kernel = tuple(weight.shape[2:])
    k_total = int(np.prod(kernel))
    out_per_group = weight.shape[1]
    stride = _ntuple(stride, nd, "stride", op)
    padding = _ntuple(padding, nd, "padding", op)
    output_padding = _ntuple(output_padding, nd, "output_padding", op)
    dilation = _ntuple(dilation, nd, "dilation", op)
    spatial = tuple(input.shape[2:])
    out_size = tuple((s - 1) * st - 2 * p + d * (k - 1) + op_ + 1
                     for s, st, p, d, k, op_ in zip(spatial, stride, padding, dilation, kernel, output_padding))
    length = int(np.prod(spatial))
    w = weight.reshape(groups, c_in // groups, out_per_group * k_total).transpose(1, 2)  # (G, out/G * K, in/G)
    cols = w.matmul(input.reshape(n, groups, c_in // groups, length))  # (N, G, out/G * K, L)
    out = _fold(cols.reshape(n, groups * out_per_group * k_total, length), out_size, kernel, dilation, padding,
                stride, nd, op, blocks=spatial)
    if bias is not None:
        out = out + bias.reshape([1, -1] + [1] * nd)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-D convolution of (N, C_in, L) with ``weight`` (C_in, C_out / groups, k).

    >>> import fngrad.nn.functional as F
    >>> F.conv_transpose1d(fngrad.ones(1, 1, 3), fngrad.ones(1, 1, 2))
    tensor([[[1., 2., 2., 1.]]])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution of (N, C_in, H, W) with ``weight`` (C_in, C_out / groups, kh, kw).

    >>> import fngrad.nn.functional as F
    >>> F.conv_transpose2d(fngrad.ones(1, 1, 2, 2), fngrad.ones(1, 2, 3, 3), stride=2).shape
    fngrad.Size([1, 2, 5, 5])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-D convolution of (N, C_in, D, H, W) with ``weight`` (C_in, C_out / groups, kd, kh, kw).

    >>> import fngrad.nn.functional as F
    >>> F.conv_transpose3d(fngrad.ones(1, 1, 2, 2, 2), fngrad.ones(1, 1, 2, 2, 2)).shape
    fngrad.Size([1, 1, 3, 3, 3])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) (or (C, D, H, W)) with ``weight`` (out, C / groups, kd, kh, kw).

    >>> import fngrad.nn.functional as F
    >>> F.conv3d(fngrad.ones(1, 1, 3, 3, 3), fngrad.ones(1, 1, 3, 3, 3))
    tensor([[[[[27.]]]]])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each window of (N, C, D, H, W) input.

    >>> import fngrad.nn.functional as F
    >>> F.avg_pool3d(fngrad.ones(1, 1, 4, 4, 4), 2).shape
    fngrad.Size([1, 1, 2, 2, 2])
    """
    return _pool(input, kernel_size, stride, padding, 1, ceil_mode, 3, "avg_pool3d", "avg", count_include_pad,
                 divisor_override)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window of (N, C, D, H, W) input (padding counts as -inf).

    >>> import fngrad.nn.functional as F
    >>> F.max_pool3d(fngrad.arange(8.).reshape(1, 1, 2, 2, 2), 2)
    tensor([[[[[7.]]]]])
    """
    return _pool(input, kernel_size, stride, padding, dilation, ceil_mode, 3, "max_pool3d", "max",
                 return_indices=return_indices)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of (N, C, D, H, W) input to ``output_size`` with PyTorch's adaptive windows.

    >>> import fngrad.nn.functional as F
    >>> F.adaptive_avg_pool3d(fngrad.ones(1, 1, 4, 4, 4), 2).shape
    fngrad.Size([1, 1, 2, 2, 2])
    """
    return _adaptive_pool(input, output_size, 3, "adaptive_avg_pool3d", "avg")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of (N, C, D, H, W) input to ``output_size`` with PyTorch's adaptive windows; with
    ``return_indices`` also the flat spatial position of each maximum (for ``max_unpool``).

    >>> import fngrad.nn.functional as F
    >>> F.adaptive_max_pool3d(fngrad.ones(1, 1, 4, 4, 4), 2).shape
    fngrad.Size([1, 1, 2, 2, 2])
    """
    return _adaptive_pool(input, output_size, 3, "adaptive_max_pool3d", "max", return_indices)


# ---- linear_cross_entropy ----
__all__ += ["linear_cross_entropy"]


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``: ``linear_weight`` is
    (C, in) or (C, d1, ..., dK, in) for a K-dimensional loss. ``options`` (PyTorch's chunking
    strategy, which only saves memory) is accepted and not used: fngrad computes the reference path.

    Example::

        >>> import fngrad, fngrad.nn.functional as F
        >>> F.linear_cross_entropy(fngrad.zeros(2, 3), fngrad.ones(4, 3), fngrad.tensor([0, 1]))
        tensor(1.3863)
    """
    op = "linear_cross_entropy"
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"[{op}] expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"[{op}] expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    batches, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"[{op}] expected equal input and linear_weight last dimensions (in_features), got "
                           f"{in_features} and {linear_weight.shape[-1]}, respectively")
    classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise RuntimeError(f"[{op}] expected linear_bias shape {(classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not batches:
        raise RuntimeError(f"[{op}] K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
                           f"requires batched input, (N, {in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    logits_shape = (*batches, classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError(f"[{op}] ignore_index cannot be specified when target contains probabilities")
    if out_features:
        n = int(np.prod((classes,) + out_features))
        linear_weight = linear_weight.reshape(n, in_features)
        linear_bias = None if linear_bias is None else linear_bias.reshape(n)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=-100 if ignore_index is None else ignore_index,
                         label_smoothing=label_smoothing)


__all__ += ["grid_sample"]

_GRID_MODES = ("bilinear", "nearest", "bicubic")
_GRID_PADDINGS = ("zeros", "border", "reflection")


def _reflect_coordinates(c, twice_low, twice_high):
    """PyTorch's reflect_coordinates: ``c`` folded into [twice_low / 2, twice_high / 2]."""
    if twice_low == twice_high:
        return c * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    c = (c - low).abs()
    flips = (c.detach() / span).floor()
    extra = c - flips * span
    return _C.where(flips.fmod(2) == 0, extra + low, span - extra + low)


def _grid_coordinates(c, size, padding_mode, align_corners):
    """PyTorch's compute_coordinates: a source coordinate after border or reflection padding."""
    if padding_mode == "border":
        return c.clamp(0, size - 1)
    if padding_mode == "reflection":
        c = _reflect_coordinates(c, 0, 2 * (size - 1)) if align_corners else _reflect_coordinates(c, -1, 2 * size - 1)
        return c.clamp(0, size - 1)
    return c


def _cubic_weights(t, A=-0.75):
    """The four cubic-convolution weights (PyTorch's A = -0.75) for a fraction ``t`` in [0, 1)."""
    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    return [far(t + 1), near(t), near(1 - t), far((1 - t) + 1)]


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples (N, C, H, W) ``input`` (or (N, C, D, H, W)) at the normalised positions of ``grid`` (N, H', W', 2)
    (or (N, D', H', W', 3)), x first, in [-1, 1]: ``bilinear``, ``nearest`` or ``bicubic`` (4-D only), with
    ``padding_mode`` ``zeros``, ``border`` or ``reflection``. Gradients flow to ``input`` and ``grid``.

    Example::

        >>> import fngrad, fngrad.nn.functional as F
        >>> x = fngrad.arange(4.).reshape(1, 1, 2, 2)
        >>> F.grid_sample(x, fngrad.zeros(1, 1, 1, 2), align_corners=True)
        tensor([[[[1.5000]]]])
    """
    op = "grid_sample"
    if mode not in _GRID_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in _GRID_PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        align_corners = False
    nd = input.dim() - 2
    if input.dim() not in (4, 5) or grid.dim() != input.dim():
        raise RuntimeError(f"[{op}] grid_sampler(): expected 4D or 5D input and grid with same number of "
                           f"dimensions, but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"[{op}] grid_sampler(): expected grid and input to have same batch size, but got input "
                           f"with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if grid.shape[-1] != nd:
        raise RuntimeError(f"[{op}] grid_sampler(): expected grid to have size {nd} in last dimension, but got grid "
                           f"with sizes {list(grid.shape)}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError(f"[{op}] grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.is_floating_point() or input.dtype != grid.dtype:
        raise RuntimeError(f"[{op}] grid_sampler(): expected input and grid to have the same floating point dtype, "
                           f"but input has {input.dtype} and grid has {grid.dtype}")
    n, c = input.shape[:2]
    in_sizes = tuple(input.shape[2:])
    out_sizes = tuple(grid.shape[1:-1])
    out_count = int(np.prod(out_sizes, dtype=np.int64))
    flat = input.reshape(n, c, -1)
    # Per spatial dim (depth, height, width): the source coordinate of every output position, (N, out).
    coords = []
    for d in range(nd):
        size = in_sizes[d]
        g = grid[..., nd - 1 - d].reshape(n, out_count)  # grid's last dim is (x, y[, z])
        src = (g + 1) / 2 * (size - 1) if align_corners else ((g + 1) * size - 1) / 2
        coords.append(src if mode == "bicubic" else _grid_coordinates(src, size, padding_mode, align_corners))
    strides = [int(np.prod(in_sizes[d + 1:], dtype=np.int64)) for d in range(nd)]

    def tap(positions, weight):
        """weight * input at the integer ``positions`` (one per dim); out of bounds reads zero."""
        index, inside = 0, None
        for d, p in enumerate(positions):
            ok = (p >= 0) & (p <= in_sizes[d] - 1)
            inside = ok if inside is None else inside & ok
            index = index + p.clamp(0, in_sizes[d] - 1).to(_C.int64) * strides[d]
        values = flat.gather(2, index.unsqueeze(1).expand(n, c, out_count))
        return values * (weight * inside.to(weight.dtype)).unsqueeze(1)

    if mode == "nearest":
        out = tap([co.detach().round() for co in coords], _C.full((n, out_count), 1.0, input.dtype))
    elif mode == "bilinear":
        lows = [co.detach().floor() for co in coords]
        out = 0
        for corner in range(2 ** nd):
            positions, weight = [None] * nd, 1
            for d in reversed(range(nd)):  # x first: PyTorch's order (its rounding in half precision)
                upper = (corner >> (nd - 1 - d)) & 1
                positions[d] = lows[d] + upper
                # PyTorch's form of the weights: (high - c) and (c - low)
                weight = weight * (coords[d] - lows[d] if upper else lows[d] + 1 - coords[d])
            out = out + tap(positions, weight)
    else:
        lows = [co.detach().floor() for co in coords]
        weights = [_cubic_weights(coords[d] - lows[d]) for d in range(nd)]
        # Along x within each of the four rows, then along y: PyTorch's order (its rounding in half precision).
        out = 0
        for i in range(4):
            row = 0
            for j in range(4):
                positions = [lows[0] - 1 + i, lows[1] - 1 + j]
                if padding_mode != "zeros":
                    positions = [_grid_coordinates(p, in_sizes[d], padding_mode, align_corners).detach().round()
                                 for d, p in enumerate(positions)]
                row = row + tap(positions, weights[1][j])
            out = out + row * weights[0][i].unsqueeze(1)
    return out.reshape(n, c, *out_sizes)


# ---- PyTorch's other spellings of existing ops: in-place activations, pools with indices ----


def _in_place_form(fn):
    """``F.elu_`` and the like: ``fn`` with ``inplace=True``, as PyTorch spells them."""

    def in_place(input, *args, **kwargs):
        return fn(input, *args, inplace=True, **kwargs)

    in_place.__name__ = in_place.__qualname__ = fn.__name__ + "_"
    in_place.__doc__ = (f"In-place :func:`{fn.__name__}`.\n\n    >>> import fngrad.nn.functional as F\n"
                        f"    >>> x = fngrad.tensor([-1., 2.]); F.{fn.__name__}_(x) is x\n    True\n    ")
    return in_place


def _with_indices(fn, nd):
    """``F.max_pool2d_with_indices`` and the like: ``fn`` (over ``nd`` spatial dims) returning
    ``(output, indices)``."""

    def with_indices(*args, **kwargs):
        kwargs["return_indices"] = True
        return fn(*args, **kwargs)

    with_indices.__name__ = with_indices.__qualname__ = fn.__name__ + "_with_indices"
    with_indices.__doc__ = (f":func:`{fn.__name__}` with ``return_indices=True``: ``(output, indices)``.\n\n"
                            "    >>> import fngrad.nn.functional as F\n"
                            f"    >>> len(F.{fn.__name__}_with_indices(fngrad.ones(1, 1{', 4' * nd}), 2))\n    2\n    ")
    return with_indices


elu_, selu_, celu_, leaky_relu_, rrelu_ = (_in_place_form(f) for f in (elu, selu, celu, leaky_relu, rrelu))
max_pool1d_with_indices, max_pool2d_with_indices, max_pool3d_with_indices = (
    _with_indices(f, nd) for nd, f in enumerate((max_pool1d, max_pool2d, max_pool3d), 1))
adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices, adaptive_max_pool3d_with_indices = (
    _with_indices(f, nd) for nd, f in enumerate((adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d), 1))
__all__ += ["elu_", "selu_", "celu_", "leaky_relu_", "rrelu_", "max_pool1d_with_indices", "max_pool2d_with_indices",
            "max_pool3d_with_indices", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
            "adaptive_max_pool3d_with_indices"]


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, pool, window):
    out = pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    # sign * relu(abs): an average of powers that rounding made negative stays a real root.
    return (out.sign() * out.abs().relu()).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (N, C, L): ``(sum over the window of x^p)^(1/p)``.

    >>> import fngrad.nn.functional as F
    >>> F.lp_pool1d(fngrad.tensor([[[3., 4.]]]), 2, 2)
    tensor([[[5.]]])
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, avg_pool1d, kernel_size)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (N, C, H, W): ``(sum over the window of x^p)^(1/p)``.

    >>> import fngrad.nn.functional as F
    >>> F.lp_pool2d(fngrad.ones(1, 1, 2, 2), 1, 2)
    tensor([[[[4.]]]])
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, avg_pool2d,
                    math.prod(_ntuple(kernel_size, 2, "kernel_size", "lp_pool2d")))


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (N, C, D, H, W): ``(sum over the window of x^p)^(1/p)``.

    >>> import fngrad.nn.functional as F
    >>> F.lp_pool3d(fngrad.ones(1, 1, 2, 2, 2), 1, 2).flatten().tolist()
    [8.0]
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, avg_pool3d,
                    math.prod(_ntuple(kernel_size, 3, "kernel_size", "lp_pool3d")))


__all__ += ["lp_pool1d", "lp_pool2d", "lp_pool3d"]


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Samples from the Gumbel-softmax distribution: ``softmax((logits + g) / tau)`` with Gumbel noise
    ``g``; ``hard=True`` returns one-hot samples whose gradient is the soft sample's
    (straight-through).

    >>> import fngrad.nn.functional as F
    >>> F.gumbel_softmax(fngrad.zeros(2, 3), hard=True).sum(-1).tolist()
    [1.0, 1.0]
    """
    gumbels = -_creation.empty_like(logits, memory_format=None).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = _creation.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of an affine transform for :func:`grid_sample`: for output size (N, C, H, W)
    and theta (N, 2, 3), grid[n, h, w] = theta[n] @ (x_w, y_h, 1) over normalized coordinates in
    [-1, 1] (3-D: size (N, C, D, H, W), theta (N, 3, 4)).

    >>> import fngrad.nn.functional as F
    >>> identity = fngrad.tensor([[[1., 0., 0.], [0., 1., 0.]]])
    >>> F.affine_grid(identity, (1, 1, 1, 2), align_corners=True)
    tensor([[[[-1.,  0.],
              [ 1.,  0.]]]])
    """
    if align_corners is None:
        warnings.warn(
            "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please "
            "specify align_corners=True if the old behavior is desired. See the documentation of grid_sample for "
            "details.",
            stacklevel=2,
        )
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(size)
    spatial = len(size) - 2
    if spatial not in (2, 3):
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. "
            f"Got size {size}."
        )
    if theta.dim() != 3 or tuple(theta.shape[1:]) != (spatial, spatial + 1):
        rows, cols = spatial, spatial + 1
        raise ValueError(f"Expected a batch of {spatial}D affine matrices of shape Nx{rows}x{cols} for size {size}. "
                         f"Got {theta.shape}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, "
                           f"{spatial + 1}] but got: [{theta.shape[0]}, {spatial + 1}].")
    # Normalized coordinates of each output position, x fastest: (x, y[, z], 1) per point.
    axes = []
    for n in reversed(size[2:]):
        line = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
        axes.append(line if align_corners else line * (n - 1) / n)
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]
    base = np.stack([*mesh, np.ones_like(mesh[0])], axis=-1).reshape(1, -1, spatial + 1)
    base_t = from_numpy(np.ascontiguousarray(base)).to(theta.dtype)
    grid = base_t.expand(size[0], -1, -1).bmm(theta.transpose(1, 2))
    return grid.reshape(size[0], *size[2:], spatial)


__all__ += ["gumbel_softmax", "affine_grid"]


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embedding rows: a 2-D ``input`` is one bag per row; a 1-D one
    is cut into bags at ``offsets``. Entries equal to ``padding_idx`` are left out (an empty bag gives
    zeros); ``per_sample_weights`` scales each row (mode "sum").

    >>> import fngrad.nn.functional as F
    >>> F.embedding_bag(fngrad.tensor([0, 1, 2]), fngrad.arange(6.).reshape(3, 2), fngrad.tensor([0, 2]))
    tensor([[1., 2.],
            [4., 5.]])
    """
    if weight.dtype == _C.int64 and input.dtype.is_floating_point:
        weight, input = input, weight  # PyTorch accepts the old (weight, input) order, with a warning
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
                      stacklevel=2)
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        starts = np.arange(0, input.numel(), max(input.shape[1], 1)) if input.shape[1] else np.zeros(input.shape[0])
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = offsets.detach().numpy().astype(np.int64)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' "
            f"(got mode='{mode}'). Please open a feature request on GitHub.")
    if input.dtype not in (_C.int64, _C.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.dtype!r} instead (while checking arguments for embedding_bag)")
    length = input.shape[0]
    if len(starts) and starts[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {int(starts[0])}")
    if len(starts) and starts[-1] > length:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {length} but got offsets[-1] of "
                           f"{int(starts[-1])}")
    if np.any(np.diff(starts) < 0):
        raise RuntimeError("[embedding_bag] offsets must be non-decreasing")
    bags = len(starts) - 1 if include_last_offset else len(starts)
    # The bag of each position, and the positions that count (not padding).
    bag_of = np.searchsorted(starts[:bags] if bags else starts[:0], np.arange(length), side="right") - 1
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    ids = input.to(_C.int64)
    kept = np.nonzero((ids.numpy() != padding_idx) & (bag_of < bags) if padding_idx is not None
                      else bag_of < bags)[0]
    kept_t = from_numpy(kept.astype(np.int64))
    rows = embedding(ids[kept_t], weight, max_norm=max_norm, norm_type=norm_type)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[kept_t].unsqueeze(1)
    bag_t = from_numpy(bag_of[kept].astype(np.int64))
    out = _creation.zeros(bags, weight.shape[1], dtype=rows.dtype)
    if mode == "max":
        return out.scatter_reduce(0, bag_t.unsqueeze(1).expand(-1, weight.shape[1]), rows, "amax", include_self=False)
    out = out.index_add(0, bag_t, rows)
    if mode == "mean":
        counts = np.bincount(bag_of[kept], minlength=bags).astype(np.float64)
        out = out / from_numpy(np.maximum(counts, 1.0)).to(out.dtype).unsqueeze(1)
    return out


__all__ += ["embedding_bag"]


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """An attention mask as an additive float mask of ``target_type`` (a bool one's True becomes -inf),
    with PyTorch's checks: only bool and floating masks, and a warning when its type differs from the
    other mask's."""
    if mask is None:
        return None
    if mask.dtype != _C.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=3)
    if mask.dtype == _C.bool:
        mask = _C.zeros(tuple(mask.shape), target_type).masked_fill(mask, float("-inf"))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the input is batched (3-D query) or not (2-D), checking the other arguments' dims as
    PyTorch does (AssertionError, its wording)."""
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
                             "tensor")
    batched = query.dim() == 3
    form = "batched (3-D)" if batched else "unbatched (2-D)"
    if key.dim() != query.dim() or value.dim() != query.dim():
        raise AssertionError(f"For {form} `query`, expected `key` and `value` to be {query.dim()}-D but found "
                             f"{key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != query.dim() - 1:
        raise AssertionError(f"For {form} `query`, expected `key_padding_mask` to be `None` or {query.dim() - 1}-D "
                             f"but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {form} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.dim()}-D tensor instead")
        expected = (num_heads, query.shape[0], key.shape[0])
        if not batched and attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
            raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
    return batched


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention over sequence-first inputs (query (L, N, E), key and value (S, N, E), or
    without N): project, split into ``num_heads`` heads, attend, concatenate, project out. Returns
    ``(output, weights)``; the weights (averaged over heads unless ``average_attn_weights=False``) only
    when ``need_weights``, else None. The computation of ``nn.MultiheadAttention``.

    >>> import fngrad.nn.functional as F
    >>> x = fngrad.ones(3, 1, 4)
    >>> w_in, w_out = fngrad.eye(4).repeat(3, 1), fngrad.eye(4)
    >>> out, weights = F.multi_head_attention_forward(x, x, x, 4, 2, w_in, None, None, None, False, 0.0,
    ...                                               w_out, None)
    >>> out.shape, weights
    (fngrad.Size([3, 1, 4]), tensor([[[0.3333, 0.3333, 0.3333],
             [0.3333, 0.3333, 0.3333],
             [0.3333, 0.3333, 0.3333]]]))
    """
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       None if attn_mask is None else attn_mask.dtype, "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone says it all
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        is_causal = is_causal and key_padding_mask is None
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    q, k, v = _mha_in_projection(query, key, value, in_proj_weight, in_proj_bias, use_separate_proj_weight,
                                 q_proj_weight, k_proj_weight, v_proj_weight)
    src_len = key.shape[0]
    if attn_mask is not None:
        wanted = (tgt_len, src_len) if attn_mask.dim() == 2 else (bsz * num_heads, tgt_len, src_len)
        if tuple(attn_mask.shape) != wanted:
            raise RuntimeError(f"The shape of the {attn_mask.dim()}D attn_mask is {attn_mask.shape}, but should be "
                               f"{wanted}.")
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k is set but bias_v is None" if bias_v is None else
                             "bias_v is set but bias_k is None")
    # Each extra key (bias_k's, then add_zero_attn's zeros) is a key no mask forbids.
    extra_keys = 0
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError(f"bias cannot be added to static {'key' if static_k is not None else 'value'}.")
        k = _C.cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = _C.cat([v, bias_v.expand(1, bsz, embed_dim)])
        extra_keys += 1

    def heads(t):  # (S, N, E) -> (N, H, S, head_dim)
        return t.reshape(t.shape[0], bsz, num_heads, head_dim).permute(1, 2, 0, 3)

    q = heads(q)
    k = heads(k) if static_k is None else _static_heads(static_k, "static_k", bsz, num_heads, head_dim)
    v = heads(v) if static_v is None else _static_heads(static_v, "static_v", bsz, num_heads, head_dim)
    if add_zero_attn:
        zeros = _C.zeros((bsz, num_heads, 1, head_dim), k.dtype)
        k, v = _C.cat([k, zeros], 2), _C.cat([v, zeros], 2)
        extra_keys += 1
    src_len = k.shape[2]
    if attn_mask is not None:
        attn_mask = pad(attn_mask, (0, extra_keys)) if extra_keys else attn_mask
        attn_mask = attn_mask.reshape(-1, num_heads, tgt_len, src_len) if attn_mask.dim() == 3 else attn_mask
    if key_padding_mask is not None:
        key_padding_mask = pad(key_padding_mask, (0, extra_keys)) if extra_keys else key_padding_mask
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            dim = 0 if key_padding_mask.shape[0] != bsz else 1
            raise AssertionError(f"Expected key_padded_mask.shape[{dim}] to be {(bsz, src_len)[dim]}, but got "
                                 f"{key_padding_mask.shape[dim]}")
        key_padding_mask = key_padding_mask.reshape(bsz, 1, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0
    if need_weights:
        weights = _attention_weights(q, k, attn_mask, dropout_p, False, None)
        out = weights.matmul(v)
    else:
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = linear(out.permute(2, 0, 1, 3).reshape(tgt_len * bsz, embed_dim), out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.shape[1])
    if not batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    if average_attn_weights:
        weights = weights.mean(1)
    return out, (weights if batched else weights.squeeze(0))


def _mha_in_projection(query, key, value, in_proj_weight, in_proj_bias, separate, q_proj_weight, k_proj_weight,
                       v_proj_weight):
    """The query, key and value projections of multi_head_attention_forward: one matmul for
    self-attention, two when key is value, else three."""
    embed_dim = query.shape[-1]
    biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
    if separate:
        for name, weight in (("q_proj_weight", q_proj_weight), ("k_proj_weight", k_proj_weight),
                             ("v_proj_weight", v_proj_weight)):
            if weight is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name} is None")
        for kind, weight, source in (("query", q_proj_weight, query), ("key", k_proj_weight, key),
                                     ("value", v_proj_weight, value)):
            if tuple(weight.shape) != (embed_dim, source.shape[-1]):
                raise AssertionError(f"expecting {kind} weights shape of {(embed_dim, source.shape[-1])}, but got "
                                     f"{weight.shape}")
        return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), (q_proj_weight, k_proj_weight,
                                                                            v_proj_weight), biases))
    if in_proj_weight is None:
        raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
    if key is value and query is key:
        return linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
    if key is value:
        w_q, w_kv = in_proj_weight.split([embed_dim, 2 * embed_dim])
        b_q, b_kv = (None, None) if in_proj_bias is None else in_proj_bias.split([embed_dim, 2 * embed_dim])
        return (linear(query, w_q, b_q), *linear(key, w_kv, b_kv).chunk(2, -1))
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), in_proj_weight.chunk(3), biases))


def _static_heads(static, name, bsz, num_heads, head_dim):
    """A static key or value (N * H, S, head_dim) as (N, H, S, head_dim)."""
    if static.size(0) != bsz * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {bsz * num_heads}, but got {static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.size(2)}")
    return static.reshape(bsz, num_heads, static.size(1), head_dim)


__all__ += ["multi_head_attention_forward"]
