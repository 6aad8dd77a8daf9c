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

import numbers
import warnings

import numpy as np

from .. import _C
from .._creation import default_generator, from_numpy
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad

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
    """max(input, 0). Example: ``F.relu(x)``."""
    return input.relu_() if inplace else input.relu()


def relu_(input):
    """max(input, 0), in place."""
    return input.relu_()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """input where positive, else negative_slope * input."""
    out = _C.leaky_relu(input, _number(negative_slope, "leaky_relu", "negative_slope"))
    return input.copy_(out) if inplace else out


def elu(input, alpha=1.0, inplace=False):
    """input where positive, else alpha * (exp(input) - 1)."""
    out = _C.elu(input, _number(alpha, "elu", "alpha"))
    return input.copy_(out) if inplace else out


def gelu(input, approximate="none"):
    """x * Phi(x) (``approximate="tanh"`` for the tanh approximation)."""
    return _C.gelu(input, approximate)


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    return input.silu_() if inplace else input.silu()


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x where beta * x > threshold."""
    return _C.softplus(input, _number(beta, "softplus", "beta"), _number(threshold, "softplus", "threshold"))


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return input.sigmoid()


def tanh(input):
    """tanh(x)."""
    return input.tanh()


def _get_softmax_dim(name, ndim, stacklevel):
    """PyTorch's implicit dim for softmax without ``dim`` (deprecated there, with this warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                  "argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Softmax along ``dim``."""
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return input.softmax(dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Log-softmax along ``dim``, computed stably."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return input.log_softmax(dim, dtype)


def linear(input, weight, bias=None):
    """input @ weight.T + bias. Example: ``F.linear(x, w, b)``."""
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability ``p`` and scales the rest by 1 / (1 - p); seeded by
    ``fngrad.manual_seed``."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        keep = np.zeros(tuple(input.shape), dtype=np.float32)
    else:
        keep = (default_generator._rng.random(tuple(input.shape)) >= p).astype(np.float32) / np.float32(1.0 - p)
    mask = from_numpy(keep.astype(np.float64 if input.dtype == _C.float64 else np.float32))
    return input.mul_(mask) if inplace else input * mask


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
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``."""
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
    if label_smoothing <= 0:
        return nll
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
    """Mean squared error. Example: ``F.mse_loss(prediction, target)``."""
    _check_reduction(reduction, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error."""
    _check_reduction(reduction, "l1_loss")
    return _reduce((input - target).abs(), reduction)


_BCE_EPSILON = 1e-12  # PyTorch's floor for p (1 - p) in the gradient


class BinaryCrossEntropy(Function):
    """PyTorch's binary_cross_entropy: each log clamped at -100 in the forward; the gradient
    g (p - t) / max(p (1 - p), 1e-12) for the input and -g logit(p) for the target (so that
    p = 0 or 1 gives a large finite gradient, not NaN). The backward is made of fngrad ops, so
    it is differentiable in turn."""

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
    """Binary cross-entropy of probabilities ``input`` against ``target`` (log clamped at -100, as PyTorch)."""
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
    """int64 one-hot encoding of class indices. Example: ``F.one_hot(fngrad.tensor([0, 2]), 3)``."""
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
    """x * tanh(softplus(x))."""
    out = input * softplus(input).tanh()
    return input.copy_(out) if inplace else out


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """input clamped to [min_val, max_val]; the gradient flows only strictly inside (as PyTorch's)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    clamped = input.clamp(min_val, max_val)
    inside = (input > min_val).logical_and(input < max_val)
    out = _C.where(inside, clamped, clamped.detach())
    return input.copy_(out) if inplace else out


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """hardtanh in place."""
    return hardtanh(input, min_val, max_val, inplace=True)


def logsigmoid(input):
    """log(sigmoid(x)), computed stably as min(x, 0) - log1p(exp(-|x|))."""
    return input.clamp(max=0) - (-input.abs()).exp().log1p()


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]."""
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
    out = (tmp * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        out = out + bias
    return out.reshape(batch + (out_features,))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """The rows of ``weight`` at the indices ``input``; no gradient reaches row ``padding_idx``, and
    with ``max_norm`` the looked-up rows are renormalised in place first (as PyTorch)."""
    if input.dtype != _C.int64:
        raise RuntimeError(f"[embedding] Expected tensor for argument #1 'indices' to have scalar type Long; but got "
                           f"{input.dtype!r} instead")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    idx = input.detach().numpy()
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError(f"[embedding] index out of range in self (indices must be in [0, {num}), got "
                         f"{int(idx.min())}..{int(idx.max())})")
    if max_norm is not None:

        rows = np.unique(idx.reshape(-1))
        w = weight.detach().numpy()
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        with no_grad():  # an in-place write that moves the version counter, as PyTorch's embedding_renorm_
            weight[from_numpy(rows.astype(np.int64))] = from_numpy(w[rows] * scale[:, None].astype(w.dtype))
    out = weight[input]
    if padding_idx is not None and (idx == padding_idx).any():
        keep = (input != padding_idx).unsqueeze(-1)
        out = _C.where(keep, out, out.detach())
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) over the last len(normalized_shape) dims (biased variance), then
    times weight plus bias."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.dim() < k or tuple(input.shape[input.dim() - k:]) != normalized_shape:
        shown = ", ".join(str(s) for s in normalized_shape)
        raise RuntimeError(f"[layer_norm] Given normalized_shape=[{shown}], expected input with shape [*, {shown}], "
                           f"but got input of size{list(input.shape)}")
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
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target)."""
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
    """0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target)."""
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
    (1 - t) x - (1 + (pos_weight - 1) t) logsigmoid(x), times weight."""
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
    divides the sum by the batch size, which is the mathematical KL divergence."""
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
    by the running ones."""
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
    dims (biased variance), then applies the per-channel affine."""
    n, c = input.shape[0], input.shape[1]
    if c % num_groups != 0:
        raise RuntimeError(f"[group_norm] Expected number of channels in input to be divisible by num_groups, but "
                           f"got input of shape {input.shape!r} and num_groups={num_groups}")
    grouped = input.reshape(n, num_groups, -1)
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
        if len(value) != n:
            raise RuntimeError(f"[{op}] expected {name} to be a single integer value or a list of {n} values")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _windows(input, kernel, stride, padding, dilation, nd, op, pad_value):
    """The sliding windows of (N, C, *spatial) ``input`` as (N, C, K, O): K kernel positions, O output
    positions, padded with ``pad_value``. One advanced index gathers them (its backward scatters the
    gradient back). Returns the windows and the output's spatial sizes."""
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
    # Flat positions in the padded spatial dims: window offset (kernel order) + output position.
    strides_flat = np.cumprod((1,) + spatial[::-1])[:-1][::-1]
    k_offsets = sum(np.arange(k).reshape([-1 if i == d else 1 for i in range(nd)]) * dil * sf
                    for d, (k, dil, sf) in enumerate(zip(kernel, dilation, strides_flat)))
    o_offsets = sum(np.arange(o).reshape([-1 if i == d else 1 for i in range(nd)]) * s * sf
                    for d, (o, s, sf) in enumerate(zip(out_sizes, stride, strides_flat)))
    index = (np.asarray(k_offsets).reshape(-1, 1) + np.asarray(o_offsets).reshape(1, -1)).astype(np.int64)
    return x.reshape(n, c, -1)[:, :, from_numpy(index)], out_sizes


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
    cols, out_sizes = _windows(input, kernel, stride, padding, dilation, nd, op, 0.0)  # (N, C, K, O)
    k_total, o_total = cols.shape[2], cols.shape[3]
    cols = cols.reshape(n, groups, c_per_group * k_total, o_total)
    w = weight.reshape(groups, out_c // groups, c_per_group * k_total)
    out = w.matmul(cols).reshape((n, out_c) + out_sizes)  # (G, out/G, CK) @ (N, G, CK, O)
    if bias is not None:
        out = out + bias.reshape([1, -1] + [1] * nd)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) (or (C, L)) with ``weight`` (out, C / groups, k)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W) (or (C, H, W)) with ``weight`` (out, C / groups, kh, kw)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


__all__ += ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"]


def _pool(input, kernel_size, stride, padding, dilation, ceil_mode, nd, op, kind, count_include_pad=True,
          divisor_override=None):
    if ceil_mode:
        raise NotImplementedError(f"[{op}] ceil_mode=True is not implemented")
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if input.dim() != nd + 2:
        raise RuntimeError(f"[{op}] Expected {nd + 1}D or {nd + 2}D input, but got input of size: "
                           f"{list(input.shape)}")
    kernel = _ntuple(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else stride
    pads = _ntuple(padding, nd, "padding", op)
    dils = _ntuple(dilation, nd, "dilation", op)
    if any(p > (d * (k - 1) + 1) // 2 for p, k, d in zip(pads, kernel, dils)):
        raise RuntimeError(f"[{op}] pad should be at most half of effective kernel size, but got pad={list(pads)}, "
                           f"kernel_size={list(kernel)} and dilation={list(dils)}")
    pad_value = float("-inf") if kind == "max" else 0.0
    cols, out_sizes = _windows(input, kernel, stride, pads, dils, nd, op, pad_value)  # (N, C, K, O)
    n, c = cols.shape[0], cols.shape[1]
    if kind == "max":
        out = cols.amax(2)
    elif divisor_override is not None:
        out = cols.sum(2) / divisor_override
    elif count_include_pad or not any(pads):
        out = cols.sum(2) / (cols.shape[2])
    else:
        ones = _C.full((1, 1) + tuple(input.shape[2:]), 1.0, input.dtype)
        counts, _ = _windows(ones, kernel, stride, pads, dils, nd, op, 0.0)
        out = cols.sum(2) / counts.sum(2)
    out = out.reshape((n, c) + out_sizes)
    return out.squeeze(0) if unbatched else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window of (N, C, L) input (padding counts as -inf)."""
    if return_indices:
        raise NotImplementedError("[max_pool1d] return_indices=True is not implemented")
    return _pool(input, kernel_size, stride, padding, dilation, ceil_mode, 1, "max_pool1d", "max")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window of (N, C, H, W) input (padding counts as -inf)."""
    if return_indices:
        raise NotImplementedError("[max_pool2d] return_indices=True is not implemented")
    return _pool(input, kernel_size, stride, padding, dilation, ceil_mode, 2, "max_pool2d", "max")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window of (N, C, L) input."""
    return _pool(input, kernel_size, stride, padding, 1, ceil_mode, 1, "avg_pool1d", "avg", count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each window of (N, C, H, W) input (``divisor_override`` replaces the window size)."""
    return _pool(input, kernel_size, stride, padding, 1, ceil_mode, 2, "avg_pool2d", "avg", count_include_pad,
                 divisor_override)
