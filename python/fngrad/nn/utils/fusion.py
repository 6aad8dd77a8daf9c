"""Folding an eval-mode batch norm into the convolution or linear layer before it, as
``torch.nn.utils.fusion``: one layer computing what the two did."""

from __future__ import annotations

import copy

from ... import _C
from ...autograd.grad_mode import no_grad
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of ``conv`` whose output is ``bn(conv(x))`` with ``bn`` in eval mode (both must be in
    eval mode). ``transpose`` is for a transposed convolution (output channels on the weight's dim 1).

    >>> import fngrad
    >>> from fngrad import nn
    >>> conv, bn = nn.Conv2d(3, 4, 3).eval(), nn.BatchNorm2d(4).eval()
    >>> x = fngrad.randn(1, 3, 5, 5)
    >>> fngrad.allclose(nn.utils.fuse_conv_bn_eval(conv, bn)(x), bn(conv(x)), atol=1e-6)
    True
    """
    assert not (conv.training or bn.training), "Fusion only for eval!"
    fused_conv = copy.deepcopy(conv)
    assert bn.running_mean is not None and bn.running_var is not None
    fused_conv.weight, fused_conv.bias = fuse_conv_bn_weights(fused_conv.weight, fused_conv.bias, bn.running_mean,
                                                              bn.running_var, bn.eps, bn.weight, bn.bias, transpose)
    return fused_conv


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The (weight, bias) Parameters of the convolution equal to the convolution (``conv_w``,
    ``conv_b``, which may be None) followed by the batch norm with running statistics ``bn_rm``,
    ``bn_rv`` and affine ``bn_w``, ``bn_b`` (None: identity).

    >>> import fngrad
    >>> from fngrad import nn
    >>> w, b = nn.utils.fuse_conv_bn_weights(fngrad.ones(2, 1, 1), None, fngrad.zeros(2), fngrad.full((2,), 4.0),
    ...                                      0.0, None, fngrad.ones(2))
    >>> w.flatten().tolist(), b.tolist()
    ([0.5, 0.5], [1.0, 1.0])
    """
    weight_dtype = conv_w.dtype
    bias_dtype = conv_b.dtype if conv_b is not None else weight_dtype
    if conv_b is None:
        conv_b = _C.zeros(tuple(bn_rm.shape), bn_rm.dtype)
    if bn_w is None:
        bn_w = _C.full(tuple(bn_rm.shape), 1.0, bn_rm.dtype)
    if bn_b is None:
        bn_b = _C.zeros(tuple(bn_rm.shape), bn_rm.dtype)
    bn_var_rsqrt = (bn_rv + bn_eps).rsqrt()
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (conv_w.dim() - 2)
    fused_w = (conv_w * (bn_w * bn_var_rsqrt).reshape(shape)).to(weight_dtype)
    fused_b = ((conv_b - bn_rm) * bn_var_rsqrt * bn_w + bn_b).to(bias_dtype)
    return _parameter(fused_w, conv_w.requires_grad), _parameter(fused_b, conv_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` whose output is ``bn(linear(x))`` with ``bn`` in eval mode (both must be in
    eval mode; ``bn.num_features`` is ``linear.out_features`` or 1).

    >>> import fngrad
    >>> from fngrad import nn
    >>> fc, bn = nn.Linear(3, 4).eval(), nn.BatchNorm1d(4).eval()
    >>> x = fngrad.randn(2, 3)
    >>> fngrad.allclose(nn.utils.fuse_linear_bn_eval(fc, bn)(x), bn(fc(x)), atol=1e-6)
    True
    """
    assert not (linear.training or bn.training), "Fusion only for eval!"
    fused_linear = copy.deepcopy(linear)
    assert linear.out_features == bn.num_features or bn.num_features == 1, \
        "To fuse, linear.out_features == bn.num_features or bn.num_features == 1"
    assert bn.running_mean is not None and bn.running_var is not None
    fused_linear.weight, fused_linear.bias = fuse_linear_bn_weights(fused_linear.weight, fused_linear.bias,
                                                                    bn.running_mean, bn.running_var, bn.eps,
                                                                    bn.weight, bn.bias)
    return fused_linear


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The (weight, bias) Parameters of the linear layer equal to ``linear_w``, ``linear_b`` (may be
    None) followed by the batch norm with running statistics ``bn_rm``, ``bn_rv`` and affine
    ``bn_w``, ``bn_b``.

    >>> import fngrad
    >>> from fngrad import nn
    >>> w, b = nn.utils.fuse_linear_bn_weights(fngrad.ones(2, 3), None, fngrad.ones(2), fngrad.full((2,), 4.0),
    ...                                        0.0, fngrad.ones(2), fngrad.zeros(2))
    >>> w.sum().item(), b.tolist()
    (3.0, [-0.5, -0.5])
    """
    weight_dtype = linear_w.dtype
    bias_dtype = linear_b.dtype if linear_b is not None else weight_dtype
    if linear_b is None:
        linear_b = _C.zeros(tuple(bn_rm.shape), bn_rm.dtype)
    bn_scale = bn_w * (bn_rv + bn_eps).rsqrt()
    fused_w = linear_w * bn_scale.unsqueeze(-1).to(weight_dtype)
    fused_b = ((linear_b - bn_rm) * bn_scale + bn_b).to(bias_dtype)
    return _parameter(fused_w, linear_w.requires_grad), _parameter(fused_b, linear_b.requires_grad)


def _parameter(value, requires_grad):
    # A new leaf, as PyTorch's Parameter(non_leaf): the fused values are not differentiated through.
    with no_grad():
        return Parameter(value.detach(), requires_grad)
