"""The op table the op tests are driven by: each entry names an op, how to call it in fngrad, a
NumPy reference for its forward, and the inputs it is defined on.

Every elementwise op of the native table (fngrad._C.unary_ops) must have a NumPy reference here;
test_op_table checks that, so a new op cannot go untested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import fngrad
import fngrad.nn.functional as F

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _gelu(x):
    return 0.5 * x * (1 + _erf(x / np.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(np.minimum(beta * x, threshold))) / beta)


# NumPy references of the native elementwise table, by op name.
UNARY_REFERENCES = {
    "relu": lambda x: np.maximum(x, 0),
    "neg": lambda x: -x,
    "abs": np.abs,
    "sign": np.sign,
    "reciprocal": lambda x: 1 / x,
    "exp": np.exp,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x),
    "sin": np.sin,
    "cos": np.cos,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "erf": lambda x: _erf(x).astype(x.dtype),
    "silu": lambda x: x * _sigmoid(x),
}

# Where each op is defined (and differentiable): inputs are drawn from this interval.
UNARY_DOMAINS = {
    "log": (0.1, 3.0),
    "log1p": (-0.9, 3.0),
    "sqrt": (0.1, 3.0),
    "rsqrt": (0.1, 3.0),
    "reciprocal": (0.2, 3.0),
}

# Ops whose derivative is zero or undefined at a point of their domain: gradcheck samples avoid
# a neighbourhood of it.
KINKS = {"relu": 0.0, "abs": 0.0, "sign": 0.0}


@dataclass
class Op:
    name: str
    fn: Callable                 # fngrad callable on fngrad tensors
    ref: Callable                # NumPy callable on arrays
    shapes: tuple = ((3, 4),)    # one input shape per argument
    domain: tuple = (-2.0, 2.0)
    differentiable: bool = True
    kink: float | None = None    # keep samples away from here
    grad_args: tuple | None = None  # which arguments gradcheck differentiates (default: all)
    float_tol: float = 1e-5
    extra: dict = field(default_factory=dict)


def _unary_ops():
    ops = []
    for name in fngrad._C.unary_ops:
        ref = UNARY_REFERENCES.get(name)
        ops.append(Op(name, getattr(fngrad, name), ref, domain=UNARY_DOMAINS.get(name, (-2.0, 2.0)),
                      differentiable=name != "sign", kink=KINKS.get(name)))
    return ops


def _reduce_ref(fn):
    return fn


OPS = _unary_ops() + [
    # Elementwise with parameters.
    Op("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), kink=0.0),
    Op("elu", lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x)), kink=0.0),
    Op("gelu", F.gelu, _gelu),
    Op("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), _gelu_tanh),
    Op("softplus", F.softplus, _softplus),
    Op("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=3.0), lambda x: _softplus(x, 2.0, 3.0), kink=1.5),
    Op("pow_2", lambda x: x**2, lambda x: x**2),
    Op("pow_3", lambda x: x**3, lambda x: x**3),
    Op("pow_half", lambda x: x**0.5, np.sqrt, domain=(0.2, 3.0)),
    Op("pow_neg", lambda x: x**-1.5, lambda x: x**-1.5, domain=(0.2, 3.0)),
    Op("clamp", lambda x: x.clamp(-0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), kink=-0.5, extra={"kink2": 0.7}),
    Op("clamp_min", lambda x: x.clamp(min=0.1), lambda x: np.maximum(x, 0.1), kink=0.1),
    # Binary, with broadcasting.
    Op("add", lambda a, b: a + b, np.add, shapes=((3, 4), (4,))),
    Op("sub", lambda a, b: a - b, np.subtract, shapes=((3, 1), (1, 4))),
    Op("mul", lambda a, b: a * b, np.multiply, shapes=((2, 3, 4), (3, 1))),
    Op("div", lambda a, b: a / b, np.divide, shapes=((3, 4), (3, 4)), domain=(0.5, 2.0)),
    Op("pow", lambda a, b: a**b, np.power, shapes=((3, 4), (4,)), domain=(0.5, 2.0)),
    Op("rpow", lambda b: 2.5**b, lambda b: 2.5**b),
    Op("maximum", fngrad.maximum, np.maximum, shapes=((3, 4), (3, 4))),
    Op("minimum", fngrad.minimum, np.minimum, shapes=((4,), (3, 4))),
    Op("where", lambda a, b: fngrad.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b), shapes=((3, 4), (4,)),
       kink=0.0),
    # Ternary (csrc/ops/ternary_ops.h), with broadcasting.
    Op("addcmul", lambda a, b, c: fngrad.addcmul(a, b, c, value=0.5), lambda a, b, c: a + 0.5 * b * c,
       shapes=((3, 4), (4,), (3, 1))),
    Op("addcdiv", lambda a, b, c: a.addcdiv(b, c, value=-2), lambda a, b, c: a - 2 * b / c,
       shapes=((3, 4), (3, 4), (4,)), domain=(0.5, 2.0)),
    Op("lerp", fngrad.lerp, lambda a, b, w: a + w * (b - a), shapes=((3, 1), (4,), (3, 4))),
    Op("lerp_number", lambda a, b: fngrad.lerp(a, b, 0.7), lambda a, b: a + 0.7 * (b - a), shapes=((3, 4), (4,))),
    Op("scalar_sub", lambda a: 3 - a, lambda a: 3 - a),
    Op("scalar_div", lambda a: 3 / a, lambda a: 3 / a, domain=(0.5, 2.0)),
    # Reductions.
    Op("sum_all", lambda x: x.sum(), np.sum),
    Op("sum_dim", lambda x: x.sum(1), lambda x: x.sum(1)),
    Op("sum_dims_keep", lambda x: x.sum((0, 2), keepdim=True), lambda x: x.sum((0, 2), keepdims=True), shapes=((2, 3, 4),)),
    Op("mean", lambda x: x.mean(0), lambda x: x.mean(0)),
    Op("prod", lambda x: x.prod(1), lambda x: x.prod(1), domain=(0.5, 1.5)),
    Op("amax", lambda x: x.amax(1), lambda x: x.max(1)),
    Op("amin_all", lambda x: x.amin(), np.min),
    Op("max_dim", lambda x: x.max(1).values, lambda x: x.max(1)),
    Op("min_dim_keep", lambda x: x.min(0, keepdim=True).values, lambda x: x.min(0, keepdims=True)),
    Op("var", lambda x: x.var(1), lambda x: x.var(1, ddof=1)),
    Op("var_corr0", lambda x: x.var(0, correction=0), lambda x: x.var(0)),
    Op("std", lambda x: x.std(), lambda x: x.std(ddof=1)),
    Op("logsumexp", lambda x: x.logsumexp(1), lambda x: np.log(np.exp(x).sum(1))),
    Op("softmax", lambda x: x.softmax(1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    Op("softmax_dim0", lambda x: x.softmax(0), lambda x: np.exp(x) / np.exp(x).sum(0, keepdims=True), shapes=((3, 4, 2),)),
    Op("log_softmax", lambda x: x.log_softmax(-1), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True))),
    Op("norm2", lambda x: x.norm(), lambda x: np.sqrt((x * x).sum())),
    Op("norm1_dim", lambda x: x.norm(1, dim=1), lambda x: np.abs(x).sum(1), kink=0.0),
    Op("norm3", lambda x: x.norm(3), lambda x: (np.abs(x) ** 3).sum() ** (1 / 3), kink=0.0),
    Op("norm_inf", lambda x: x.norm(float("inf")), lambda x: np.abs(x).max(), kink=0.0),
    # Linear algebra.
    Op("matmul", lambda a, b: a @ b, np.matmul, shapes=((3, 4), (4, 2))),
    Op("matmul_batched", lambda a, b: a @ b, np.matmul, shapes=((2, 3, 4), (4, 5))),
    Op("matmul_broadcast", lambda a, b: a @ b, np.matmul, shapes=((2, 1, 3, 4), (3, 4, 2))),
    Op("matmul_vec", lambda a, b: a @ b, np.matmul, shapes=((3, 4), (4,))),
    Op("vec_matmul", lambda a, b: a @ b, np.matmul, shapes=((3,), (3, 4))),
    Op("dot", fngrad.dot, np.dot, shapes=((5,), (5,))),
    Op("outer", fngrad.outer, np.outer, shapes=((3,), (4,))),
    Op("bmm", fngrad.bmm, np.matmul, shapes=((2, 3, 4), (2, 4, 5))),
    # Shapes and indexing.
    Op("reshape", lambda x: x.reshape(4, 3), lambda x: x.reshape(4, 3)),
    Op("view", lambda x: x.view(-1), lambda x: x.reshape(-1)),
    Op("flatten", lambda x: x.flatten(1), lambda x: x.reshape(2, -1), shapes=((2, 3, 4),)),
    Op("transpose", lambda x: x.transpose(0, 1), lambda x: x.T),
    Op("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), shapes=((2, 3, 4),)),
    Op("T", lambda x: x.T, lambda x: x.T),
    Op("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2), shapes=((2, 3, 4),)),
    Op("squeeze", lambda x: x.squeeze(), lambda x: x.squeeze(), shapes=((3, 1, 4),)),
    Op("unsqueeze", lambda x: x.unsqueeze(1), lambda x: x[:, None]),
    Op("expand", lambda x: x.expand(2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4)), shapes=((3, 1),)),
    Op("cat", lambda a, b: fngrad.cat([a, b], 1), lambda a, b: np.concatenate([a, b], 1), shapes=((3, 4), (3, 2))),
    Op("stack", lambda a, b: fngrad.stack([a, b], 1), lambda a, b: np.stack([a, b], 1), shapes=((3, 4), (3, 4))),
    Op("split", lambda x: x.split(2, 1)[1], lambda x: x[:, 2:4]),
    Op("chunk", lambda x: x.chunk(3, 0)[2], lambda x: x[2:3], shapes=((3, 4),)),
    Op("getitem_basic", lambda x: x[1:, None, ::2], lambda x: x[1:, None, ::2]),
    Op("getitem_int_tensor", lambda x: x[fngrad.tensor([2, 0, 2])], lambda x: x[[2, 0, 2]]),
    Op("getitem_list_cols", lambda x: x[:, [3, 1, 1]], lambda x: x[:, [3, 1, 1]]),
    Op("getitem_two_arrays", lambda x: x[[0, 2], [1, 3]], lambda x: x[[0, 2], [1, 3]]),
    Op("getitem_mask", lambda x: x[fngrad.tensor([[True, False, True, True]] * 3)],
       lambda x: x[np.array([[True, False, True, True]] * 3)]),
    Op("take", lambda x: x.take(fngrad.tensor([0, 5, 5, 11])), lambda x: x.reshape(-1)[[0, 5, 5, 11]]),
]
