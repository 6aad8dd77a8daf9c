"""The op table the op tests and the random-graph fuzzer are driven by.

`ELEMENTWISE` holds what is known about each op of fngrad's native elementwise tables (unary and
binary): its NumPy reference, where it is checked (the interval of each argument, the kinks and
poles to keep away from, ties between operands), the op tests' input shapes, and the spellings a
PyTorch program uses to call it. `tests/test_op_table.py` checks every row (forward, non-contiguous
inputs, every spelling, gradcheck, gradgradcheck), and `stress/fuzz_graphs.py` builds its unary and
binary generators from the same rows (it loads this file by path). A new native op needs a row
here: the guard in test_op_table.py fails, naming the op, when a native op has no row, is never
produced by the fuzzer, or is not covered by the op tests.

`OPS` adds the other ops of the library (parametrised activations, reductions, linear algebra,
shapes and indexing), each with how to call it in fngrad and a NumPy reference.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import pathlib
import sys
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

import fngrad
import fngrad.nn.functional as F

INF = math.inf
KINK_RADIUS = 0.05  # inputs keep this far from a kink (and operands of maximum/minimum from a tie)
SAMPLE_WINDOW = (-2.0, 2.0)  # the op tests draw inputs from an argument's interval clipped to this

np_erf = np.vectorize(math.erf, otypes=[np.float64])
np_erfc = np.vectorize(math.erfc, otypes=[np.float64])
np_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])


def np_bessel_i(nu, x, scaled=False):
    """I_nu(x) (nu = 0 or 1) by its ascending series sum (x/2)^(2k+nu) / (k! (k+nu)!) (60 terms:
    exact to rounding for |x| <= 20), times exp(-|x|) when scaled."""
    x = np.asarray(x, np.float64)
    q = (x / 2) ** 2
    term = np.ones_like(x) if nu == 0 else x / 2
    total = term.copy()
    for k in range(1, 60):
        term = term * q / (k * (k + nu))
        total = total + term
    return total * np.exp(-np.abs(x)) if scaled else total


def np_mpmath(name, *params):
    """mpmath's `name` (digamma, polygamma, erfinv: NumPy has none) as a float64 reference;
    mpmath (a test dependency: pyproject.toml's [test] extra) is imported when the reference first runs."""
    def ref(*xs):
        import mpmath
        fn = getattr(mpmath, name)
        return np.vectorize(lambda *v: float(fn(*params, *v)), otypes=[np.float64])(*xs)
    return ref


def np_ndtri(p):
    import mpmath
    return np.vectorize(lambda v: float(mpmath.sqrt(2) * mpmath.erfinv(2 * mpmath.mpf(v) - 1)),
                        otypes=[np.float64])(p)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_gelu(x):
    return 0.5 * x * (1 + np_erf(x / np.sqrt(2)))


def np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(np.minimum(beta * x, threshold))) / beta)


def np_causal_attention(q, k, v):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    s = np.where(np.tril(np.ones(s.shape[-2:], bool)), s, -np.inf)
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True) @ v


@dataclass(frozen=True)
class Arg:
    """Where one argument of an op is checked: the closed interval [lo, hi] (with a margin from
    where the op is undefined or ill-conditioned already taken), away from `avoid`'s points."""

    lo: float = -INF
    hi: float = INF
    avoid: tuple = ()  # (point, radius) pairs: kinks and poles

    def accepts(self, x) -> bool:
        """Whether every element of x (an array or a scalar) lies where the op is checked."""
        x = np.asarray(x, dtype=np.float64)
        if x.size == 0:
            return True
        if x.min() < self.lo or x.max() > self.hi:
            return False
        return all(np.abs(x - p).min() > r for p, r in self.avoid)


def _kinks(points):
    return tuple((p, KINK_RADIUS) for p in points)


@dataclass(frozen=True)
class Elementwise:
    """One op of fngrad's native elementwise tables."""

    name: str
    ref: Callable  # the forward in NumPy (float64 in, float64 out)
    args: tuple = (Arg(),)  # one per operand: the arity
    tie: float | None = None  # operands stay further apart than this (maximum/minimum switch there)
    differentiable: bool = True  # False: the gradient is zero wherever it is defined (gradcheck is moot)
    shapes: tuple = ((3, 4),)  # the op tests' input shapes (binary ones broadcast)
    forms: tuple = ()  # how PyTorch code spells it; "{a}", "{b}" are the operands. Default: method, function
    scalar_forms: tuple = ()  # binary: spellings with a Python number "{s}" as one operand

    @property
    def arity(self):
        return len(self.args)

    @property
    def spellings(self):
        if self.forms:
            return self.forms
        return ("{a}.%s()" % self.name, "torch.%s({a})" % self.name)

    @staticmethod
    def number_first(scalar_form):
        """Whether the Python number of a scalar form is the op's first operand ("{s} - {a}")."""
        return scalar_form.index("{s}") < scalar_form.index("{a}")

    def accepts(self, *xs) -> bool:
        """Whether the operands (arrays or numbers) lie where the op is checked."""
        if not all(arg.accepts(x) for arg, x in zip(self.args, xs)):
            return False
        if self.tie is not None and len(xs) == 2:
            d = np.subtract(np.asarray(xs[0], np.float64), np.asarray(xs[1], np.float64))
            return d.size == 0 or np.abs(d).min() > self.tie
        return True


_POSITIVE = Arg(lo=0.1)
_KINK0 = Arg(avoid=_kinks([0.0]))
_POLE0 = Arg(avoid=((0.0, 0.25),))  # 1/x: keeps the value and its derivatives moderate
_BOUNDED_EXP = Arg(hi=3.0)  # keeps exp and what is computed from it bounded
_INTEGER_KINKS = Arg(-2.9, 2.9, _kinks([-2.0, -1.0, 0.0, 1.0, 2.0]))  # floor, ceil, trunc, frac jump there
_HALF_KINKS = Arg(-2.4, 2.4, _kinks([-1.5, -0.5, 0.5, 1.5]))  # round jumps there
# Division with rounding: |a| < 0.9 (away from 0) over b >= 1 keeps a / b off the integers, where
# floor_divide jumps and remainder's gradient with respect to b does.
_DIVIDEND = Arg(-0.9, 0.9, _kinks([0.0]))
_DIVISOR = Arg(lo=1.0)
_GAMMA_ARG = Arg(-1.8, INF, ((0.0, 0.2), (-1.0, 0.2)))  # lgamma, digamma: poles at 0, -1, -2, ...

_UNARY_ROWS = [
    Elementwise("relu", lambda x: np.maximum(x, 0), (_KINK0,), forms=("{a}.relu()", "torch.relu({a})", "F.relu({a})")),
    Elementwise("neg", lambda x: -x, forms=("-{a}", "torch.neg({a})", "{a}.neg()", "torch.negative({a})")),
    Elementwise("abs", np.abs, (_KINK0,), forms=("{a}.abs()", "torch.abs({a})", "abs({a})")),
    Elementwise("sign", np.sign, (_KINK0,), differentiable=False),
    Elementwise("reciprocal", lambda x: 1 / x, (_POLE0,),
                forms=("{a}.reciprocal()", "torch.reciprocal({a})", "1 / {a}", "1.0 / {a}")),
    Elementwise("exp", np.exp, (_BOUNDED_EXP,)),
    Elementwise("expm1", np.expm1, (_BOUNDED_EXP,)),
    Elementwise("log", np.log, (_POSITIVE,)),
    Elementwise("log1p", np.log1p, (Arg(lo=-0.9),)),
    Elementwise("sqrt", np.sqrt, (_POSITIVE,)),
    Elementwise("rsqrt", lambda x: 1 / np.sqrt(x), (_POSITIVE,)),
    Elementwise("sin", np.sin),
    Elementwise("cos", np.cos),
    Elementwise("tanh", np.tanh, forms=("{a}.tanh()", "torch.tanh({a})", "F.tanh({a})")),
    Elementwise("sigmoid", np_sigmoid, forms=("{a}.sigmoid()", "torch.sigmoid({a})", "F.sigmoid({a})")),
    Elementwise("erf", np_erf),
    Elementwise("silu", lambda x: x * np_sigmoid(x), forms=("F.silu({a})",)),  # PyTorch has no torch.silu
    # Rounding (zero gradient; kinks at the integers, round's at the halves) and frac (gradient 1).
    Elementwise("floor", np.floor, (_INTEGER_KINKS,), differentiable=False),
    Elementwise("ceil", np.ceil, (_INTEGER_KINKS,), differentiable=False),
    Elementwise("round", np.round, (_HALF_KINKS,), differentiable=False,
                forms=("{a}.round()", "torch.round({a})", "torch.round({a}, decimals=0)")),
    Elementwise("trunc", np.trunc, (_INTEGER_KINKS,), differentiable=False),
    Elementwise("frac", lambda x: x - np.trunc(x), (_INTEGER_KINKS,)),
    # Trigonometric and hyperbolic, inside their domains and away from poles.
    Elementwise("tan", np.tan, (Arg(-1.2, 1.2),)),
    Elementwise("asin", np.arcsin, (Arg(-0.9, 0.9),)),
    Elementwise("acos", np.arccos, (Arg(-0.9, 0.9),)),
    Elementwise("atan", np.arctan),
    Elementwise("sinh", np.sinh, (Arg(-3.0, 3.0),)),
    Elementwise("cosh", np.cosh, (Arg(-3.0, 3.0),)),
    Elementwise("asinh", np.arcsinh),
    Elementwise("acosh", np.arccosh, (Arg(lo=1.1),)),
    Elementwise("atanh", np.arctanh, (Arg(-0.9, 0.9),)),
    Elementwise("log2", np.log2, (_POSITIVE,)),
    Elementwise("log10", np.log10, (_POSITIVE,)),
    Elementwise("exp2", np.exp2, (Arg(hi=4.0),)),
    Elementwise("square", np.square),
    Elementwise("erfc", lambda x: 1 - np_erf(x)),
    Elementwise("deg2rad", np.deg2rad),
    Elementwise("rad2deg", np.rad2deg),
    # Special functions (torch.special), away from the poles of the gamma family.
    Elementwise("lgamma", np_lgamma, (_GAMMA_ARG,)),
    Elementwise("digamma", np_mpmath("digamma"), (_GAMMA_ARG,)),
    Elementwise("erfinv", np_mpmath("erfinv"), (Arg(-0.9, 0.9),)),
    Elementwise("i0", lambda x: np_bessel_i(0, x)),
    Elementwise("sinc", np.sinc),
    Elementwise("special_entr", lambda x: -x * np.log(x), (_POSITIVE,), forms=("torch.special.entr({a})",)),
    Elementwise("special_ndtr", lambda x: 0.5 * np_erfc(-x / math.sqrt(2)), forms=("torch.special.ndtr({a})",)),
    Elementwise("special_ndtri", np_ndtri, (Arg(0.05, 0.95),), forms=("torch.special.ndtri({a})",)),
    Elementwise("special_log_ndtr", lambda x: np.log(0.5 * np_erfc(-x / math.sqrt(2))),
                forms=("torch.special.log_ndtr({a})",)),
    Elementwise("special_erfcx", lambda x: np.exp(x * x) * np_erfc(x), forms=("torch.special.erfcx({a})",)),
    Elementwise("special_i0e", lambda x: np_bessel_i(0, x, True), (_KINK0,), forms=("torch.special.i0e({a})",)),
    Elementwise("special_i1", lambda x: np_bessel_i(1, x), forms=("torch.special.i1({a})",)),
    Elementwise("special_i1e", lambda x: np_bessel_i(1, x, True), (_KINK0,), forms=("torch.special.i1e({a})",)),
]

_BINARY_ROWS = [
    Elementwise("add", np.add, (Arg(), Arg()), shapes=((3, 4), (4,)), forms=("{a} + {b}", "{a}.add({b})"),
                scalar_forms=("{a} + {s}", "{s} + {a}", "{a}.add({s})")),
    Elementwise("sub", np.subtract, (Arg(), Arg()), shapes=((3, 1), (1, 4)), forms=("{a} - {b}", "{a}.sub({b})"),
                scalar_forms=("{a} - {s}", "{s} - {a}", "{a}.sub({s})")),
    Elementwise("mul", np.multiply, (Arg(), Arg()), shapes=((2, 3, 4), (3, 1)), forms=("{a} * {b}", "{a}.mul({b})"),
                scalar_forms=("{a} * {s}", "{s} * {a}", "{a}.mul({s})")),
    Elementwise("div", np.divide, (Arg(), _POLE0), shapes=((3, 4), (3, 4)), forms=("{a} / {b}", "{a}.div({b})"),
                scalar_forms=("{a} / {s}", "{s} / {a}", "{a}.div({s})")),
    Elementwise("pow", np.power, (Arg(lo=0.2), Arg(-2.5, 2.5)), shapes=((3, 4), (4,)),
                forms=("{a} ** {b}", "torch.pow({a}, {b})", "{a}.pow({b})"),
                scalar_forms=("{a} ** {s}", "{s} ** {a}", "torch.pow({a}, {s})", "torch.pow({s}, {a})",
                              "{a}.pow({s})")),
    Elementwise("maximum", np.maximum, (Arg(), Arg()), tie=KINK_RADIUS, shapes=((3, 4), (3, 4)),
                forms=("torch.maximum({a}, {b})", "{a}.maximum({b})", "torch.max({a}, {b})", "{a}.max({b})")),
    Elementwise("minimum", np.minimum, (Arg(), Arg()), tie=KINK_RADIUS, shapes=((4,), (3, 4)),
                forms=("torch.minimum({a}, {b})", "{a}.minimum({b})", "torch.min({a}, {b})", "{a}.min({b})")),
    Elementwise("atan2", np.arctan2, (_KINK0, _POLE0), shapes=((3, 4), (4,)),
                forms=("torch.atan2({a}, {b})", "{a}.atan2({b})")),
    Elementwise("hypot", np.hypot, (_KINK0, Arg()), shapes=((3, 1), (1, 4)),
                forms=("torch.hypot({a}, {b})", "{a}.hypot({b})")),
    # Division with rounding, remainders, signs, log-sum-exp and xlogy.
    # Spelled as div(rounding_mode='floor'), which PyTorch differentiates (zero gradient): its `//`
    # and floor_divide raise in backward, where fngrad's give the same zero gradient
    # (tests/test_new_elementwise.py checks those spellings).
    Elementwise("floor_divide", np.floor_divide, (_DIVIDEND, _DIVISOR), differentiable=False, shapes=((3, 4), (4,)),
                forms=("torch.div({a}, {b}, rounding_mode='floor')", "{a}.div({b}, rounding_mode='floor')"),
                scalar_forms=("torch.div({a}, {s}, rounding_mode='floor')",)),
    Elementwise("remainder", np.remainder, (_DIVIDEND, _DIVISOR), shapes=((3, 1), (1, 4)),
                forms=("{a} % {b}", "torch.remainder({a}, {b})", "{a}.remainder({b})"),
                scalar_forms=("{a} % {s}", "{a}.remainder({s})")),
    Elementwise("fmod", np.fmod, (_DIVIDEND, _DIVISOR), shapes=((3, 4), (3, 4)),
                forms=("torch.fmod({a}, {b})", "{a}.fmod({b})"), scalar_forms=("{a}.fmod({s})",)),
    Elementwise("copysign", np.copysign, (_KINK0, _KINK0), shapes=((3, 4), (4,)),
                forms=("torch.copysign({a}, {b})", "{a}.copysign({b})"), scalar_forms=("{a}.copysign({s})",)),
    Elementwise("logaddexp", np.logaddexp, (Arg(), Arg()), shapes=((3, 4), (3, 1)),
                forms=("torch.logaddexp({a}, {b})", "{a}.logaddexp({b})")),
    Elementwise("logaddexp2", np.logaddexp2, (Arg(), Arg()), shapes=((4,), (3, 4)),
                forms=("torch.logaddexp2({a}, {b})", "{a}.logaddexp2({b})")),
    Elementwise("xlogy", lambda a, b: a * np.log(b), (Arg(), _POSITIVE), shapes=((3, 4), (4,)),
                forms=("torch.xlogy({a}, {b})", "{a}.xlogy({b})"),
                scalar_forms=("torch.xlogy({a}, {s})", "torch.xlogy({s}, {a})")),
    Elementwise("special_xlog1py", lambda a, b: a * np.log1p(b), (Arg(), Arg(lo=-0.9)), shapes=((3, 4), (4,)),
                forms=("torch.special.xlog1py({a}, {b})",),
                scalar_forms=("torch.special.xlog1py({a}, {s})", "torch.special.xlog1py({s}, {a})")),
]

ELEMENTWISE = {row.name: row for row in _UNARY_ROWS + _BINARY_ROWS}
UNARY = [row for row in ELEMENTWISE.values() if row.arity == 1]
BINARY = [row for row in ELEMENTWISE.values() if row.arity == 2]


def compile_form(form, arity):
    """A spelling of the table as an fngrad function of its operands (`torch` stands for fngrad)."""
    names = "ab"[:arity]
    return eval("lambda %s: %s" % (", ".join(names), form.format(**{n: n for n in names})),
                {"torch": fngrad, "F": F})


def load_fuzzer():
    """stress/fuzz_graphs.py as the module `fuzz_graphs` (stress/ is not a package)."""
    if "fuzz_graphs" not in sys.modules:
        path = pathlib.Path(__file__).resolve().parent.parent / "stress" / "fuzz_graphs.py"
        spec = importlib.util.spec_from_file_location("fuzz_graphs", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["fuzz_graphs"] = module
        spec.loader.exec_module(module)
    return sys.modules["fuzz_graphs"]


@dataclass
class Op:
    name: str
    fn: Callable                 # fngrad callable on fngrad tensors
    ref: Callable                # NumPy callable on arrays
    shapes: tuple = ((3, 4),)    # one input shape per argument
    domain: tuple = (-2.0, 2.0)  # inputs are drawn from here (every argument)...
    kinks: tuple = ()            # ...away from these points
    differentiable: bool = True
    args: tuple = ()             # per argument: Arg (default: from domain and kinks)
    tie: float | None = None

    def __post_init__(self):
        if not self.args:
            lo, hi = self.domain
            self.args = tuple(Arg(lo, hi, _kinks(self.kinks)) for _ in self.shapes)


def _elementwise_ops():
    return [Op(row.name, compile_form(row.spellings[0], row.arity), row.ref, shapes=row.shapes,
               differentiable=row.differentiable, args=row.args, tie=row.tie)
            for row in ELEMENTWISE.values()]


OPS = _elementwise_ops() + [
    # Elementwise with parameters.
    Op("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), kinks=(0.0,)),
    Op("elu", lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x)), kinks=(0.0,)),
    Op("gelu", F.gelu, np_gelu),
    Op("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), np_gelu_tanh),
    Op("softplus", F.softplus, np_softplus),
    Op("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=3.0), lambda x: np_softplus(x, 2.0, 3.0), kinks=(1.5,)),
    Op("pow_2", lambda x: x**2, lambda x: x**2),
    Op("pow_3", lambda x: x**3, lambda x: x**3),
    Op("pow_half", lambda x: x**0.5, np.sqrt, domain=(0.2, 3.0)),
    Op("pow_neg", lambda x: x**-1.5, lambda x: x**-1.5, domain=(0.2, 3.0)),
    Op("clamp", lambda x: x.clamp(-0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), kinks=(-0.5, 0.7)),
    Op("clamp_min", lambda x: x.clamp(min=0.1), lambda x: np.maximum(x, 0.1), kinks=(0.1,)),
    Op("polygamma", lambda x: fngrad.polygamma(2, x), np_mpmath("polygamma", 2), args=(_GAMMA_ARG,)),
    Op("polygamma_1", lambda x: x.polygamma(1), np_mpmath("polygamma", 1), args=(_GAMMA_ARG,)),
    Op("mvlgamma", lambda x: fngrad.mvlgamma(x, 3), lambda x: 3 / 2 * math.log(math.pi) + sum(
        np_lgamma(x - j / 2) for j in range(3)), domain=(1.2, 3.0)),
    # Binary, beyond the native table.
    Op("rpow", lambda b: 2.5**b, lambda b: 2.5**b),
    Op("where", lambda a, b: fngrad.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b), shapes=((3, 4), (4,)),
       kinks=(0.0,)),
    # where and clamp with tensor bounds are ternary table entries (WhereBackward0, ClampBackward0).
    Op("where_number", lambda a: fngrad.where(a > 0, a, 0.5), lambda a: np.where(a > 0, a, 0.5), kinks=(0.0,)),
    # x away from where the bounds lie, so that no two operands tie.
    Op("clamp_tensor_bounds", lambda x, lo, hi: fngrad.clamp(x, lo, hi),
       lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi), shapes=((3, 4), (4,), (3, 1)),
       args=(Arg(-3.0, 3.0, ((-1.0, 0.25), (1.0, 0.25))), Arg(-1.2, -0.8), Arg(0.8, 1.2))),
    Op("clamp_tensor_min", lambda x, lo: x.clamp(min=lo), np.maximum, shapes=((3, 4), (3, 4)), tie=KINK_RADIUS),
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
    Op("norm1_dim", lambda x: x.norm(1, dim=1), lambda x: np.abs(x).sum(1), kinks=(0.0,)),
    Op("norm3", lambda x: x.norm(3), lambda x: (np.abs(x) ** 3).sum() ** (1 / 3), kinks=(0.0,)),
    Op("norm_inf", lambda x: x.norm(float("inf")), lambda x: np.abs(x).max(), kinks=(0.0,)),
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
    # Comparison functions and PyTorch's alias names (python/fngrad/_compare.py). The bool results
    # are cast to the inputs' dtype, which the forward checks compare.
    Op("fn_greater", lambda a, b: fngrad.greater(a, b).to(a.dtype), lambda a, b: (a > b).astype(a.dtype),
       shapes=((3, 4), (4,)), differentiable=False),
    Op("fn_less_equal", lambda a, b: fngrad.less_equal(a, b).to(a.dtype), lambda a, b: (a <= b).astype(a.dtype),
       shapes=((3, 4), (4,)), differentiable=False),
    Op("fn_not_equal", lambda a, b: a.not_equal(b).to(a.dtype), lambda a, b: (a != b).astype(a.dtype),
       shapes=((3, 4), (3, 4)), differentiable=False),
    Op("isclose", lambda a, b: fngrad.isclose(a, b, rtol=0.5, atol=0.1).to(a.dtype),
       lambda a, b: (np.abs(a - b) <= 0.1 + 0.5 * np.abs(b)).astype(a.dtype), shapes=((3, 4), (4,)),
       differentiable=False),
    Op("subtract_alpha", lambda a, b: fngrad.subtract(a, b, alpha=2), lambda a, b: a - 2 * b, shapes=((3, 4), (4,))),
    Op("multiply", lambda a, b: a.multiply(b), lambda a, b: a * b, shapes=((3, 4), (3, 1))),
    Op("true_divide", fngrad.true_divide, lambda a, b: a / b, shapes=((3, 4), (4,)), domain=(0.5, 2.0)),
]

# ----------------------------------------------------------------------------------------------------
# Shape ops (_shape_ops.py), contractions (_contract.py) and fngrad.linalg (linalg.py).
# Linear algebra is checked on well-conditioned matrices: fn builds them from the drawn input
# (a + 3I with entries in [-0.5, 0.5], or the SPD a a^T + 3I), and ref builds the same in NumPy.
# Decompositions defined up to signs (eigh, svd) are checked through sign-free functions of them.
# ----------------------------------------------------------------------------------------------------
L = fngrad.linalg
_SMALL = (-0.5, 0.5)


def _wc(a):
    return a + 3 * fngrad.eye(a.shape[-1], dtype=a.dtype)


def _spd(a):
    return a @ a.mT + 3 * fngrad.eye(a.shape[-1], dtype=a.dtype)


def _np_wc(a):
    return a + 3 * np.eye(a.shape[-1])


def _np_spd(a):
    return a @ np.swapaxes(a, -1, -2) + 3 * np.eye(a.shape[-1])


def _np_diag_embed(x, offset, dim1, dim2):
    n = x.shape[-1]
    size = n + abs(offset)
    out = np.zeros(x.shape[:-1] + (size, size))
    i = np.arange(n)
    out[..., i + max(-offset, 0), i + max(offset, 0)] = x
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


def _np_block_diag(*blocks):
    blocks = [b.reshape(1, -1) if b.ndim < 2 else b for b in blocks]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)))
    r = c = 0
    for b in blocks:
        out[r:r + b.shape[0], c:c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def _np_cdist(a, b, p):
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    return (d**p).sum(-1) ** (1 / p)


def _np_expm(a):
    w, v = np.linalg.eig(a)
    return np.real(v @ np.diag(np.exp(w)) @ np.linalg.inv(v))


def _without_warnings(fn, *args):
    """fn(*args) without its deprecation warning (the op tests call it hundreds of times)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def _flat(*ts):
    return fngrad.cat([t.reshape(-1) for t in ts])


def _np_flat(*arrays):
    return np.concatenate([np.reshape(a, -1) for a in arrays])


def _np_svd_parts(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return _np_flat(u * u, s, vh * vh)


def _np_eigh_parts(a):
    w, v = np.linalg.eigh(a)
    return _np_flat(w, v * v)


OPS += [
    # Shape ops.
    Op("flip", lambda x: x.flip(0, 1), lambda x: np.flip(x, (0, 1))),
    Op("flip_dims_kw", lambda x: fngrad.flip(x, dims=(1,)), lambda x: np.flip(x, 1), shapes=((2, 3, 4),)),
    Op("fliplr", fngrad.fliplr, np.fliplr),
    Op("flipud", fngrad.flipud, np.flipud, shapes=((4,),)),
    Op("roll", lambda x: fngrad.roll(x, (1, -2), (0, 1)), lambda x: np.roll(x, (1, -2), (0, 1))),
    Op("roll_flat", lambda x: x.roll(5), lambda x: np.roll(x, 5)),
    Op("rot90", lambda x: fngrad.rot90(x), np.rot90),
    Op("rot90_k3_dims", lambda x: x.rot90(3, (2, 0)), lambda x: np.rot90(x, 3, (2, 0)), shapes=((2, 3, 4),)),
    Op("repeat", lambda x: x.repeat(2, 1, 3), lambda x: np.tile(x, (2, 1, 3))),
    Op("tile", lambda x: fngrad.tile(x, (2,)), lambda x: np.tile(x, 2)),
    Op("repeat_interleave", lambda x: x.repeat_interleave(2, dim=1), lambda x: np.repeat(x, 2, 1)),
    Op("repeat_interleave_tensor", lambda x: fngrad.repeat_interleave(x, fngrad.tensor([1, 0, 2]), dim=0),
       lambda x: np.repeat(x, [1, 0, 2], 0)),
    Op("repeat_interleave_flat", lambda x: x.repeat_interleave(3), lambda x: np.repeat(x, 3)),
    Op("tril", lambda x: x.tril(), np.tril),
    Op("triu_diagonal", lambda x: fngrad.triu(x, diagonal=-1), lambda x: np.triu(x, -1), shapes=((2, 3, 4),)),
    Op("tril_inplace", lambda x: x.clone().tril_(1), lambda x: np.tril(x, 1)),
    Op("diag_matrix", lambda x: fngrad.diag(x, 1), lambda x: np.diag(x, 1)),
    Op("diag_vector", lambda x: x.diag(-1), lambda x: np.diag(x, -1), shapes=((4,),)),
    Op("diag_embed", lambda x: fngrad.diag_embed(x, 1, 0, 2), lambda x: _np_diag_embed(x, 1, 0, 2)),
    Op("diagonal", lambda x: fngrad.diagonal(x, 1, 2, 0), lambda x: np.diagonal(x, 1, 2, 0), shapes=((4, 2, 3),)),
    Op("trace", fngrad.trace, np.trace),
    Op("movedim", lambda x: fngrad.movedim(x, (0, 1), (2, 0)), lambda x: np.moveaxis(x, (0, 1), (2, 0)),
       shapes=((2, 3, 4),)),
    Op("moveaxis", lambda x: x.moveaxis(-1, 0), lambda x: np.moveaxis(x, -1, 0), shapes=((2, 3, 4),)),
    Op("narrow", lambda x: x.narrow(1, 1, 2), lambda x: x[:, 1:3]),
    Op("select", lambda x: fngrad.select(x, 1, -1), lambda x: x[:, -1]),
    Op("unflatten", lambda x: x.unflatten(1, (2, -1)), lambda x: x.reshape(3, 2, 2)),
    Op("ravel", lambda x: x.mT.ravel(), lambda x: x.T.reshape(-1)),
    Op("atleast_3d", fngrad.atleast_3d, np.atleast_3d),
    Op("hstack", lambda a, b: fngrad.hstack([a, b]), lambda a, b: np.hstack([a, b]), shapes=((3, 4), (3, 2))),
    Op("vstack", lambda a, b: fngrad.vstack((a, b)), lambda a, b: np.vstack([a, b]), shapes=((4,), (2, 4))),
    Op("dstack", lambda a, b: fngrad.dstack([a, b]), lambda a, b: np.dstack([a, b]), shapes=((3, 4), (3, 4))),
    Op("column_stack", lambda a, b: fngrad.column_stack([a, b]), lambda a, b: np.column_stack([a, b]),
       shapes=((3,), (3, 2))),
    Op("tensor_split", lambda x: x.tensor_split(3, 1)[0], lambda x: np.array_split(x, 3, 1)[0], shapes=((3, 5),)),
    Op("tensor_split_indices", lambda x: fngrad.tensor_split(x, [1, -1])[1], lambda x: x[1:-1], shapes=((5, 2),)),
    Op("hsplit", lambda x: x.hsplit([1, 3])[1], lambda x: np.hsplit(x, [1, 3])[1]),
    Op("vsplit", lambda x: fngrad.vsplit(x, 3)[2], lambda x: np.vsplit(x, 3)[2], shapes=((6, 2),)),
    Op("meshgrid_xy", lambda a, b: fngrad.stack(fngrad.meshgrid(a, b, indexing="xy")),
       lambda a, b: np.stack(np.meshgrid(a, b, indexing="xy")), shapes=((3,), (4,))),
    Op("cartesian_prod", fngrad.cartesian_prod,
       lambda a, b: np.stack(np.meshgrid(a, b, indexing="ij"), -1).reshape(-1, 2), shapes=((3,), (2,))),
    Op("block_diag", lambda a, b, c: fngrad.block_diag(a, b, c), _np_block_diag, shapes=((2, 3), (3,), ())),
    Op("cdist", fngrad.cdist, lambda a, b: _np_cdist(a, b, 2), shapes=((2, 3, 4), (2, 5, 4))),
    Op("cdist_p1", lambda a, b: fngrad.cdist(a, b, p=1), lambda a, b: _np_cdist(a, b, 1), shapes=((3, 4), (5, 4))),
    Op("cdist_p3", lambda a, b: fngrad.cdist(a, b, 3.0), lambda a, b: _np_cdist(a, b, 3), shapes=((3, 4), (5, 4))),
    # Contractions.
    Op("einsum_matmul", lambda a, b: fngrad.einsum("ij,jk->ik", a, b), lambda a, b: a @ b, shapes=((3, 4), (4, 2))),
    Op("einsum_implicit", lambda a, b: fngrad.einsum("bji,bjk", a, b), lambda a, b: np.einsum("bji,bjk", a, b),
       shapes=((2, 3, 4), (2, 3, 5))),
    Op("einsum_diagonal", lambda a: fngrad.einsum("iij->ji", a), lambda a: np.einsum("iij->ji", a),
       shapes=((3, 3, 2),)),
    Op("einsum_trace", lambda a: fngrad.einsum("ii", a), np.trace, shapes=((4, 4),)),
    Op("einsum_ellipsis_broadcast", lambda a, b: fngrad.einsum("...ij,...jk->...ik", a, b),
       lambda a, b: np.einsum("...ij,...jk->...ik", a, b), shapes=((2, 1, 3, 4), (3, 4, 2))),
    Op("einsum_sum_out", lambda a, b: fngrad.einsum("ij,k->", a, b), lambda a, b: a.sum() * b.sum(),
       shapes=((2, 3), (4,))),
    Op("einsum_three", lambda a, b, c: fngrad.einsum("ij,jk,kl->il", [a, b, c]), lambda a, b, c: a @ b @ c,
       shapes=((2, 3), (3, 4), (4, 2))),
    Op("einsum_sublist", lambda a, b: fngrad.einsum(a, [0, 1], b, [1, 2], [2, 0]), lambda a, b: (a @ b).T,
       shapes=((2, 3), (3, 4))),
    Op("tensordot", lambda a, b: fngrad.tensordot(a, b, ([1, 2], [1, 0])),
       lambda a, b: np.tensordot(a, b, ([1, 2], [1, 0])), shapes=((2, 3, 4), (4, 3, 5))),
    Op("tensordot_int", lambda a, b: fngrad.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1),
       shapes=((2, 3), (3, 4))),
    Op("kron", fngrad.kron, np.kron, shapes=((2, 3), (2, 2))),
    Op("inner", fngrad.inner, np.inner, shapes=((2, 4), (3, 4))),
    Op("vdot", fngrad.vdot, np.vdot, shapes=((5,), (5,))),
    Op("cross", lambda a, b: fngrad.cross(a, b, dim=0), lambda a, b: np.cross(a, b, axis=0), shapes=((3, 4), (3, 4))),
    Op("linalg_cross", L.cross, np.cross, shapes=((2, 3), (1, 3))),
    Op("addmm", lambda c, a, b: fngrad.addmm(c, a, b, beta=0.5, alpha=-2), lambda c, a, b: 0.5 * c - 2 * (a @ b),
       shapes=((2,), (3, 4), (4, 2))),
    Op("addmm_beta0", lambda c, a, b: c.addmm(a, b, beta=0), lambda c, a, b: a @ b, shapes=((3, 2), (3, 4), (4, 2))),
    Op("addmv", lambda c, a, b: fngrad.addmv(c, a, b, alpha=2), lambda c, a, b: c + 2 * (a @ b),
       shapes=((3,), (3, 4), (4,))),
    Op("addbmm", fngrad.addbmm, lambda c, a, b: c + (a @ b).sum(0), shapes=((3, 2), (2, 3, 4), (2, 4, 2))),
    Op("baddbmm", lambda c, a, b: c.baddbmm(a, b, beta=2), lambda c, a, b: 2 * c + a @ b,
       shapes=((2, 3, 2), (2, 3, 4), (2, 4, 2))),
    Op("addr", lambda c, a, b: fngrad.addr(c, a, b, beta=-1), lambda c, a, b: -c + np.outer(a, b),
       shapes=((3, 4), (3,), (4,))),
    Op("addmm_inplace", lambda c, a, b: c.clone().addmm_(a, b), lambda c, a, b: c + a @ b,
       shapes=((3, 2), (3, 4), (4, 2))),
    Op("chain_matmul", lambda a, b, c: _without_warnings(fngrad.chain_matmul, a, b, c), lambda a, b, c: a @ b @ c,
       shapes=((2, 3), (3, 4), (4, 2))),
    Op("multi_dot", lambda a, b, c: L.multi_dot([a, b, c]), lambda a, b, c: np.linalg.multi_dot([a, b, c]),
       shapes=((3,), (3, 4), (4,))),
    Op("vecdot", L.vecdot, lambda a, b: (a * b).sum(-1), shapes=((2, 3, 4), (4,))),
    # fngrad.linalg.
    Op("linalg_inv", lambda a: L.inv(_wc(a)), lambda a: np.linalg.inv(_np_wc(a)), shapes=((2, 3, 3),), domain=_SMALL),
    Op("inverse", lambda a: _wc(a).inverse(), lambda a: np.linalg.inv(_np_wc(a)), shapes=((3, 3),), domain=_SMALL),
    Op("linalg_det", lambda a: L.det(_wc(a)), lambda a: np.linalg.det(_np_wc(a)), shapes=((2, 3, 3),), domain=_SMALL),
    Op("det", lambda a: fngrad.det(a), np.linalg.det, shapes=((3, 3),), domain=(0.5, 2.0)),
    Op("linalg_slogdet", lambda a: L.slogdet(_wc(a)).logabsdet, lambda a: np.linalg.slogdet(_np_wc(a))[1],
       shapes=((3, 3),), domain=_SMALL),
    Op("logdet", lambda a: fngrad.logdet(_spd(a)), lambda a: np.log(np.linalg.det(_np_spd(a))), shapes=((2, 3, 3),)),
    Op("linalg_solve", lambda a, b: L.solve(_wc(a), b), lambda a, b: np.linalg.solve(_np_wc(a), b),
       shapes=((2, 3, 3), (3, 2)), domain=_SMALL),
    Op("linalg_solve_vector", lambda a, b: L.solve(_wc(a), b), lambda a, b: np.linalg.solve(_np_wc(a), b),
       shapes=((3, 3), (3,)), domain=_SMALL),
    Op("linalg_solve_right", lambda a, b: L.solve(_wc(a), b, left=False), lambda a, b: b @ np.linalg.inv(_np_wc(a)),
       shapes=((3, 3), (2, 3)), domain=_SMALL),
    Op("linalg_cholesky", lambda a: L.cholesky(_spd(a)), lambda a: np.linalg.cholesky(_np_spd(a)), shapes=((2, 3, 3),)),
    Op("linalg_cholesky_upper", lambda a: L.cholesky(_spd(a), upper=True),
       lambda a: np.swapaxes(np.linalg.cholesky(_np_spd(a)), -1, -2), shapes=((3, 3),)),
    Op("cholesky_solve", lambda a, b: fngrad.cholesky_solve(b, L.cholesky(_spd(a))),
       lambda a, b: np.linalg.solve(_np_spd(a), b), shapes=((3, 3), (3, 2))),
    Op("cholesky_inverse", lambda a: fngrad.cholesky_inverse(L.cholesky(_spd(a))),
       lambda a: np.linalg.inv(_np_spd(a)), shapes=((3, 3),)),
    Op("linalg_qr", lambda a: _flat(*L.qr(a)), lambda a: _np_flat(*np.linalg.qr(a)), shapes=((4, 3),)),
    Op("linalg_qr_wide", lambda a: _flat(*L.qr(a)), lambda a: _np_flat(*np.linalg.qr(a)), shapes=((3, 5),)),
    Op("linalg_eigh", lambda a: (lambda w, v: _flat(w, v * v))(*L.eigh(_spd(a))), lambda a: _np_eigh_parts(_np_spd(a)),
       shapes=((3, 3),)),
    Op("linalg_eigvalsh", lambda a: L.eigvalsh(_spd(a), UPLO="U"), lambda a: np.linalg.eigvalsh(_np_spd(a)),
       shapes=((2, 3, 3),)),
    Op("linalg_svd", lambda a: (lambda u, s, vh: _flat(u * u, s, vh * vh))(*L.svd(a, full_matrices=False)),
       _np_svd_parts, shapes=((4, 3),)),
    Op("linalg_svd_wide", lambda a: (lambda u, s, vh: _flat(u * u, s, vh * vh))(*L.svd(a, full_matrices=False)),
       _np_svd_parts, shapes=((3, 5),)),
    Op("linalg_svdvals", L.svdvals, lambda a: np.linalg.svd(a, compute_uv=False), shapes=((2, 4, 3),)),
    Op("linalg_pinv", L.pinv, np.linalg.pinv, shapes=((4, 3),)),
    Op("linalg_pinv_wide", L.pinv, np.linalg.pinv, shapes=((2, 4),)),
    Op("pinverse", fngrad.pinverse, np.linalg.pinv, shapes=((3, 2),)),
    Op("linalg_lstsq", lambda a, b: L.lstsq(a, b).solution, lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0],
       shapes=((5, 3), (5, 2))),
    Op("linalg_matrix_exp", L.matrix_exp, _np_expm, shapes=((3, 3),)),
    Op("matrix_exp_batched", fngrad.matrix_exp, lambda a: np.stack([_np_expm(m) for m in a]), shapes=((2, 3, 3),)),
    Op("linalg_matrix_power", lambda a: L.matrix_power(a, 3), lambda a: np.linalg.matrix_power(a, 3), shapes=((3, 3),)),
    Op("matrix_power_negative", lambda a: _wc(a).matrix_power(-2), lambda a: np.linalg.matrix_power(_np_wc(a), -2),
       shapes=((3, 3),), domain=_SMALL),
    Op("linalg_cond", lambda a: L.cond(_wc(a)), lambda a: np.linalg.cond(_np_wc(a)), shapes=((3, 3),), domain=_SMALL),
    Op("linalg_cond_fro", lambda a: L.cond(_wc(a), "fro"), lambda a: np.linalg.cond(_np_wc(a), "fro"),
       shapes=((3, 3),), domain=_SMALL),
    Op("linalg_norm", L.norm, lambda a: np.sqrt((a * a).sum()), shapes=((2, 3, 4),)),
    Op("linalg_norm_nuc", lambda a: L.norm(a, "nuc"), lambda a: np.linalg.norm(a, "nuc")),
    Op("linalg_norm_dim", lambda a: L.norm(a, 3, dim=1, keepdim=True),
       lambda a: (np.abs(a)**3).sum(1, keepdims=True)**(1 / 3), kinks=(0.0,)),
    Op("vector_norm_negative", lambda a: L.vector_norm(a, -1.5, dim=(0, 1)),
       lambda a: (np.abs(a)**-1.5).sum((0, 1))**(-1 / 1.5), shapes=((3, 4, 2),), domain=(0.5, 2.0)),
    Op("vector_norm_inf", lambda a: L.vector_norm(a, float("inf"), dim=-1), lambda a: np.abs(a).max(-1), kinks=(0.0,)),
    Op("matrix_norm_2", lambda a: L.matrix_norm(a, 2), lambda a: np.linalg.norm(a, 2, (-2, -1)), shapes=((2, 3, 4),)),
    Op("matrix_norm_neg2", lambda a: L.matrix_norm(a, -2, keepdim=True),
       lambda a: np.linalg.norm(a, -2, (-2, -1), keepdims=True), shapes=((2, 3, 4),)),
    Op("matrix_norm_1_dims", lambda a: L.matrix_norm(a, 1, dim=(2, 0)), lambda a: np.linalg.norm(a, 1, (2, 0)),
       shapes=((3, 2, 4),), kinks=(0.0,)),
    Op("matrix_norm_inf", lambda a: L.matrix_norm(a, float("inf")), lambda a: np.linalg.norm(a, np.inf, (-2, -1)),
       shapes=((2, 3, 4),), kinks=(0.0,)),
    Op("matrix_norm_fro", lambda a: L.matrix_norm(a), lambda a: np.linalg.norm(a, "fro", (-2, -1)),
       shapes=((2, 3, 4),)),
    Op("linalg_solve_triangular", lambda a, b: L.solve_triangular(_wc(a), b, upper=True),
       lambda a, b: np.linalg.solve(np.triu(_np_wc(a)), b), shapes=((3, 3), (3, 2)), domain=_SMALL),
    Op("solve_triangular_unit_right",
       lambda a, b: L.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
       lambda a, b: b @ np.linalg.inv(np.tril(a, -1) + np.eye(3)), shapes=((3, 3), (2, 3)), domain=_SMALL),
    Op("linalg_tensorinv", lambda a: L.tensorinv(_wc(a).reshape(2, 2, 4), ind=2),
       lambda a: np.linalg.tensorinv(_np_wc(a).reshape(2, 2, 4), ind=2), shapes=((4, 4),), domain=_SMALL),
    Op("linalg_tensorsolve", lambda a, b: L.tensorsolve(_wc(a).reshape(2, 2, 4), b),
       lambda a, b: np.linalg.tensorsolve(_np_wc(a).reshape(2, 2, 4), b), shapes=((4, 4), (2, 2)), domain=_SMALL),
    Op("linalg_vander", lambda x: L.vander(x, N=4), lambda x: x[..., None] ** np.arange(4), shapes=((2, 3),)),
    Op("diagflat", lambda x: fngrad.diagflat(x, -1), lambda x: np.diagflat(x, -1), shapes=((2, 2),)),
    # nn.functional, the activations, distances, padding, resampling and losses added beside issue 13's nn.
    Op("F.relu6", lambda x: F.relu6(x * 4), lambda x: np.clip(x * 4, 0, 6), kinks=(0.0, 1.5)),
    Op("F.hardsigmoid", lambda x: F.hardsigmoid(x * 2), lambda x: np.clip(x * 2 + 3, 0, 6) / 6, kinks=(-1.5, 1.5)),
    Op("F.hardswish", lambda x: F.hardswish(x * 2), lambda x: x * 2 * np.clip(x * 2 + 3, 0, 6) / 6,
       kinks=(-1.5, 1.5)),
    Op("F.selu", F.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
       kinks=(0.0,)),
    Op("F.celu", lambda x: F.celu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5)), kinks=(0.0,)),
    Op("F.glu", lambda x: F.glu(x, 1), lambda x: x[:, :2] / (1 + np.exp(-x[:, 2:]))),
    Op("F.softsign", F.softsign, lambda x: x / (1 + np.abs(x)), kinks=(0.0,)),
    Op("F.tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x)),
    Op("F.softshrink", F.softshrink, lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0), kinks=(-0.5, 0.5)),
    Op("F.hardshrink", F.hardshrink, lambda x: np.where(np.abs(x) > 0.5, x, 0.0), kinks=(-0.5, 0.5)),
    Op("F.threshold", lambda x: F.threshold(x, 0.3, -1.0), lambda x: np.where(x > 0.3, x, -1.0), kinks=(0.3,)),
    Op("F.prelu", lambda x, w: F.prelu(x, w), lambda x, w: np.where(x > 0, x, w * x), shapes=((3, 4), (1,)),
       kinks=(0.0,)),
    Op("F.softmin", lambda x: F.softmin(x, 1), lambda x: np.exp(-x) / np.exp(-x).sum(1, keepdims=True)),
    Op("F.normalize", F.normalize, lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)),
    Op("F.cosine_similarity", F.cosine_similarity,
       lambda a, b: (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1), shapes=((3, 4), (3, 4))),
    Op("F.pairwise_distance", F.pairwise_distance, lambda a, b: np.linalg.norm(a - b + 1e-6, axis=-1),
       shapes=((3, 4), (3, 4))),
    Op("F.scaled_dot_product_attention",
       lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), np_causal_attention,
       shapes=((2, 3, 4), (2, 5, 4), (2, 5, 3))),
    Op("F.pdist", F.pdist, lambda x: np.linalg.norm(x[np.triu_indices(4, 1)[0]] - x[np.triu_indices(4, 1)[1]], axis=1),
       shapes=((4, 3),)),
    Op("F.pad_reflect", lambda x: F.pad(x, (2, 1), mode="reflect"),
       lambda x: np.pad(x, ((0, 0), (0, 0), (2, 1)), mode="reflect"), shapes=((2, 3, 4),)),
    Op("F.pad_circular", lambda x: F.pad(x, (1, 2), mode="circular"),
       lambda x: np.pad(x, ((0, 0), (0, 0), (1, 2)), mode="wrap"), shapes=((2, 3, 4),)),
    Op("F.interpolate_linear_align", lambda x: F.interpolate(x, size=7, mode="linear", align_corners=True),
       lambda x: np.stack([np.interp(np.linspace(0, 3, 7), np.arange(4), r) for r in x.reshape(-1, 4)]).reshape(2, 3, 7),
       shapes=((2, 3, 4),)),
    Op("F.adaptive_avg_pool1d", lambda x: F.adaptive_avg_pool1d(x, 2),
       lambda x: np.stack([x[..., 0:3].mean(-1), x[..., 2:5].mean(-1)], -1), shapes=((2, 3, 5),)),
    Op("F.soft_margin_loss", lambda x: F.soft_margin_loss(x, fngrad.tensor([1.0, -1.0, -1.0, 1.0])),
       lambda x: np.log1p(np.exp(-np.array([1.0, -1.0, -1.0, 1.0]) * x)).mean(), shapes=((3, 4),)),
    Op("F.gaussian_nll_loss", lambda x, v: F.gaussian_nll_loss(x, fngrad.zeros(3, 4, dtype=x.dtype), v),
       lambda x, v: (0.5 * (np.log(v) + x ** 2 / v)).mean(), shapes=((3, 4), (3, 4)),
       args=(Arg(), Arg(0.2, 2.0))),
    Op("F.poisson_nll_loss", lambda x: F.poisson_nll_loss(x, fngrad.tensor([0.0, 1.0, 2.0, 3.0]), reduction="sum"),
       lambda x: (np.exp(x) - np.array([0.0, 1.0, 2.0, 3.0]) * x).sum(), shapes=((3, 4),)),
]


# --------------------------------------------------------------------------------------------------
# Index, sorting, scan, search and float-class ops (python/fngrad/_indexing_ops.py, _sorting.py,
# _scan.py, _search.py, _classify.py). Ops with index or bool results are checked through
# `.to(x.dtype)` and are not differentiable.
# --------------------------------------------------------------------------------------------------
_I = fngrad.tensor  # index tensors (int64) of the rows below
_GATHER_IDX = np.array([[0, 3], [1, 1], [2, 0]])
_SCATTER_IDX = np.array([[2, 0, 1, 2], [0, 2, 0, 1]])  # distinct per column: no write races
_SCATTER_DUP = np.array([[0, 2, 0, 1], [0, 1, 0, 1]])  # repeats: accumulate
_SEQ = np.array([-1.5, -0.5, 0.0, 0.7, 1.2])


def _np_scatter(x, idx, src, dim=0, ufunc=None):
    out = x.copy()
    coords = list(np.indices(idx.shape))
    coords[dim] = idx
    if ufunc is None:
        out[tuple(coords)] = src[tuple(slice(0, n) for n in idx.shape)] if np.ndim(src) else src
    else:
        ufunc.at(out, tuple(coords), src[tuple(slice(0, n) for n in idx.shape)])
    return out


def _np_scatter_reduce(x, idx, src, reduce, include_self):
    out = x.copy()
    coords = list(np.indices(idx.shape))
    coords[0] = idx
    coords = tuple(coords)
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
    if not include_self:
        out[coords] = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
    ufunc.at(out, coords, src)
    if reduce == "mean":
        count = np.zeros(x.shape) + (1 if include_self else 0)
        np.add.at(count, coords, 1)
        out = out / np.maximum(count, 1)
    return out


def _np_index_add(x, idx, src, dim, alpha=1):
    out = x.copy()
    np.add.at(np.moveaxis(out, dim, 0), idx, alpha * np.moveaxis(src, dim, 0))
    return out


def _np_median(x, dim):
    s = np.sort(x, axis=dim)
    return np.take(s, (x.shape[dim] - 1) // 2, axis=dim)


def _np_logcumsumexp(x, dim):
    return np.log(np.cumsum(np.exp(x), axis=dim))


def _np_put(x, idx, src, accumulate):
    out = x.copy().reshape(-1)
    if accumulate:
        np.add.at(out, idx, src)
    else:
        out[idx] = src
    return out.reshape(x.shape)


def _np_masked_scatter(x, s):
    out = x.copy()
    out[x > 0] = s.reshape(-1)[:int((x > 0).sum())]
    return out


def _as(fn):
    """An op with an index or bool result, checked in the input's dtype."""
    return lambda x, *rest: fn(x, *rest).to(x.dtype)


def _np_unique_consecutive(a):
    flat = a.reshape(-1)
    return flat[np.r_[True, flat[1:] != flat[:-1]]]


OPS += [
    Op("gather", lambda x: fngrad.gather(x, 1, _I(_GATHER_IDX)), lambda x: np.take_along_axis(x, _GATHER_IDX, 1)),
    Op("scatter", lambda x, s: x.scatter(0, _I(_SCATTER_IDX), s), lambda x, s: _np_scatter(x, _SCATTER_IDX, s),
       shapes=((3, 4), (2, 4))),
    Op("scatter_value", lambda x: fngrad.scatter(x, 0, _I(_SCATTER_IDX), 0.5),
       lambda x: _np_scatter(x, _SCATTER_IDX, 0.5)),
    Op("scatter_add", lambda x, s: fngrad.scatter_add(x, 0, _I(_SCATTER_DUP), s),
       lambda x, s: _np_scatter(x, _SCATTER_DUP, s, ufunc=np.add), shapes=((3, 4), (2, 4))),
    Op("scatter_add_small_index", lambda x, s: x.scatter_add(1, _I(_GATHER_IDX), s),
       lambda x, s: _np_scatter(x, _GATHER_IDX, s, dim=1, ufunc=np.add), shapes=((3, 4), (3, 3))),
    Op("scatter_reduce_sum", lambda x, s: x.scatter_reduce(0, _I(_SCATTER_DUP), s, "sum", include_self=False),
       lambda x, s: _np_scatter_reduce(x, _SCATTER_DUP, s, "sum", False), shapes=((3, 4), (2, 4))),
    Op("scatter_reduce_mean", lambda x, s: x.scatter_reduce(0, _I(_SCATTER_DUP), s, "mean"),
       lambda x, s: _np_scatter_reduce(x, _SCATTER_DUP, s, "mean", True), shapes=((3, 4), (2, 4))),
    Op("scatter_reduce_prod", lambda x, s: x.scatter_reduce(0, _I(_SCATTER_DUP), s, "prod"),
       lambda x, s: _np_scatter_reduce(x, _SCATTER_DUP, s, "prod", True), shapes=((3, 4), (2, 4)),
       domain=(0.5, 1.5)),
    Op("scatter_reduce_amax", lambda x, s: x.scatter_reduce(0, _I(_SCATTER_DUP), s, "amax"),
       lambda x, s: _np_scatter_reduce(x, _SCATTER_DUP, s, "amax", True), shapes=((3, 4), (2, 4))),
    Op("scatter_reduce_amin", lambda x, s: x.scatter_reduce(0, _I(_SCATTER_DUP), s, "amin", include_self=False),
       lambda x, s: _np_scatter_reduce(x, _SCATTER_DUP, s, "amin", False), shapes=((3, 4), (2, 4))),
    Op("index_select", lambda x: x.index_select(1, _I([3, 0, 3])), lambda x: x[:, [3, 0, 3]]),
    Op("index_add", lambda x, s: fngrad.index_add(x, 1, _I([1, 1]), s, alpha=2),
       lambda x, s: _np_index_add(x, [1, 1], s, 1, 2), shapes=((3, 4), (3, 2))),
    Op("index_copy", lambda x, s: x.index_copy(0, _I([2, 0]), s),
       lambda x, s: np.concatenate([s[1:2], x[1:2], s[0:1]]), shapes=((3, 4), (2, 4))),
    Op("index_fill", lambda x: x.index_fill(1, _I([0, 2]), -1.0),
       lambda x: np.where(np.isin(np.arange(4), [0, 2]), -1.0, x)),
    Op("masked_scatter", lambda x, s: x.masked_scatter(x > 0, s), _np_masked_scatter, shapes=((3, 4), (3, 4)),
       kinks=(0.0,)),
    Op("take_along_dim", lambda x: x.take_along_dim(_I([[1], [3], [0]]), 1),
       lambda x: np.take_along_axis(x, np.array([[1], [3], [0]]), 1)),
    Op("take_along_dim_flat", lambda x: fngrad.take_along_dim(x, _I([11, 0, -1])),
       lambda x: x.reshape(-1)[[11, 0, -1]]),
    Op("put", lambda x, s: x.put(_I([0, 5, 11]), s), lambda x, s: _np_put(x, [0, 5, 11], s, False),
       shapes=((3, 4), (3,))),
    Op("put_accumulate", lambda x, s: x.put(_I([0, 5, 0]), s, accumulate=True),
       lambda x, s: _np_put(x, [0, 5, 0], s, True), shapes=((3, 4), (3,))),
    Op("sort", lambda x: x.sort(1).values, lambda x: np.sort(x, 1)),
    Op("sort_descending", lambda x: fngrad.sort(x, dim=0, descending=True, stable=True).values,
       lambda x: -np.sort(-x, 0)),
    Op("argsort", _as(lambda x: x.argsort(1, descending=True)), lambda x: np.argsort(-x, 1), differentiable=False),
    Op("msort", fngrad.msort, lambda x: np.sort(x, 0)),
    Op("topk", lambda x: x.topk(2, 1).values, lambda x: -np.sort(-x, 1)[:, :2]),
    Op("topk_smallest", lambda x: fngrad.topk(x, 2, dim=0, largest=False).values, lambda x: np.sort(x, 0)[:2]),
    Op("kthvalue", lambda x: x.kthvalue(3, 1).values, lambda x: np.sort(x, 1)[:, 2]),
    Op("median", lambda x: x.median(), lambda x: _np_median(x.reshape(-1), 0)),
    Op("median_dim", lambda x: x.median(1, keepdim=True).values, lambda x: _np_median(x, 1)[:, None]),
    Op("nanmedian_dim", lambda x: fngrad.nanmedian(x, 0).values, lambda x: _np_median(x, 0)),
    Op("mode", lambda x: x.mode(1).values, lambda x: x.min(1)),  # all values distinct: the smallest
    Op("cumsum", lambda x: x.cumsum(1), lambda x: np.cumsum(x, 1)),
    Op("cumsum_dim0", lambda x: fngrad.cumsum(x, dim=0), lambda x: np.cumsum(x, 0), shapes=((3, 4, 2),)),
    Op("cumprod", lambda x: x.cumprod(1), lambda x: np.cumprod(x, 1)),
    Op("cummax", lambda x: x.cummax(1).values, lambda x: np.maximum.accumulate(x, 1)),
    Op("cummin", lambda x: fngrad.cummin(x, 0).values, lambda x: np.minimum.accumulate(x, 0)),
    Op("logcumsumexp", lambda x: x.logcumsumexp(1), lambda x: _np_logcumsumexp(x, 1)),
    Op("nonzero", _as(lambda x: (x > 0).nonzero()), lambda x: np.argwhere(x > 0), differentiable=False,
       kinks=(0.0,)),
    Op("argwhere", _as(lambda x: fngrad.argwhere(x.clamp(min=0))), lambda x: np.argwhere(x > 0),
       differentiable=False, kinks=(0.0,)),
    Op("unique", lambda x: x.unique(), lambda x: np.unique(x), differentiable=False),
    Op("unique_consecutive", _as(lambda x: (x > 0).unique_consecutive()),
       lambda x: _np_unique_consecutive(x > 0), differentiable=False, kinks=(0.0,)),
    Op("bincount_weights", lambda w: _I([0, 2, 2, 5, 0, 1, 7, 2, 3, 3, 0, 1]).bincount(w),
       lambda w: np.bincount([0, 2, 2, 5, 0, 1, 7, 2, 3, 3, 0, 1], w), shapes=((12,),)),
    Op("histc", lambda x: x.histc(bins=5, min=-2, max=2), lambda x: np.histogram(x, 5, (-2, 2))[0],
       differentiable=False, kinks=(-1.2, -0.4, 0.4, 1.2)),
    Op("searchsorted", _as(lambda x: fngrad.searchsorted(fngrad.tensor(_SEQ, dtype=x.dtype), x, right=True)),
       lambda x: np.searchsorted(_SEQ, x, side="right"), differentiable=False, kinks=tuple(_SEQ)),
    Op("bucketize", _as(lambda x: fngrad.bucketize(x, fngrad.tensor(_SEQ, dtype=x.dtype))),
       lambda x: np.searchsorted(_SEQ, x), differentiable=False, kinks=tuple(_SEQ)),
    Op("count_nonzero", _as(lambda x: x.clamp(min=0).count_nonzero(dim=1)), lambda x: (x > 0).sum(1),
       differentiable=False, kinks=(0.0,)),
    Op("isnan", _as(lambda x: x.log().isnan()), lambda x: x < 0, differentiable=False, kinks=(0.0,)),
    Op("isinf", _as(lambda x: fngrad.isinf(x.clamp(min=0).log())), lambda x: x < 0, differentiable=False,
       kinks=(0.0,)),
    Op("isposinf", _as(lambda x: (-x.clamp(min=0).log()).isposinf()), lambda x: x < 0, differentiable=False,
       kinks=(0.0,)),
    Op("isneginf", _as(lambda x: x.clamp(min=0).log().isneginf()), lambda x: x < 0, differentiable=False,
       kinks=(0.0,)),
    Op("isfinite", _as(lambda x: x.log().isfinite()), lambda x: x > 0, differentiable=False, kinks=(0.0,)),
    Op("isreal", _as(fngrad.isreal), lambda x: np.ones_like(x), differentiable=False),
    Op("signbit", _as(fngrad.signbit), lambda x: x < 0, differentiable=False, kinks=(0.0,)),
    Op("nan_to_num", lambda x: x.log().nan_to_num(nan=0.5), lambda x: np.where(x > 0, np.log(np.abs(x)), 0.5),
       kinks=(0.0,)),
    # Math ops composed in python/fngrad/_math_more.py.
    Op("aminmax_min", lambda x: fngrad.aminmax(x, dim=1).min, lambda x: x.min(1)),
    Op("aminmax_max", lambda x: x.aminmax(keepdim=True, dim=0).max, lambda x: x.max(0, keepdims=True)),
    Op("broadcast_tensors", lambda x, y: sum(fngrad.broadcast_tensors(x, y)), lambda x, y: x + y,
       shapes=((3, 1), (4,))),
    Op("clamp_min", lambda x: fngrad.clamp_min(x, 0.5), lambda x: np.maximum(x, 0.5), kinks=(0.5,)),
    Op("clamp_max", lambda x: x.clamp_max(0.5), lambda x: np.minimum(x, 0.5), kinks=(0.5,)),
    Op("positive", fngrad.positive, lambda x: x),
    Op("sgn", _as(fngrad.sgn), np.sign, differentiable=False, kinks=(0.0,)),
    Op("rsub", lambda x, y: fngrad.rsub(x, y, alpha=2), lambda x, y: y - 2 * x, shapes=((3, 4), (3, 4))),
    Op("logit", lambda x: fngrad.logit(x), lambda x: np.log(x / (1 - x)), domain=(0.1, 0.9)),
    Op("logit_eps", lambda x: x.logit(eps=0.2), lambda x: (lambda c: np.log(c / (1 - c)))(np.clip(x, 0.2, 0.8)),
       domain=(0.05, 0.95), kinks=(0.2, 0.8)),
    Op("fmax", fngrad.fmax, np.fmax, shapes=((3, 4), (3, 4)), tie=KINK_RADIUS),
    Op("fmin", lambda x, y: x.fmin(y), np.fmin, shapes=((3, 4), (3, 4)), tie=KINK_RADIUS),
    Op("heaviside", lambda x: fngrad.heaviside(x, fngrad.tensor([0.5], dtype=x.dtype)),
       lambda x: np.heaviside(x, 0.5), differentiable=False, kinks=(0.0,)),
    Op("isin", _as(lambda x: fngrad.isin((x * 2).round(), fngrad.tensor([-1.0, 2.0], dtype=x.dtype))),
       lambda x: np.isin(np.round(x * 2), [-1.0, 2.0]), differentiable=False, kinks=(-0.75, -0.25, 0.25, 0.75)),
    Op("ldexp", lambda x: fngrad.ldexp(x, fngrad.tensor([1, -2, 3, 0])), lambda x: np.ldexp(x, [1, -2, 3, 0])),
    # frexp's mantissa jumps at powers of two: inputs within one binade on each side of zero.
    Op("frexp", lambda x: fngrad.frexp(x * fngrad.tensor([1., -1., 4., -0.25]))[0],
       lambda x: np.frexp(x * np.array([1., -1., 4., -0.25]))[0], domain=(1.1, 1.9)),
    Op("frexp_exponent", lambda x: x.frexp().exponent.to(x.dtype), lambda x: np.frexp(x)[1].astype(x.dtype),
       differentiable=False),
    Op("float_power", lambda x, y: fngrad.float_power(x, y).to(x.dtype), np.power, shapes=((3, 4), (3, 4)),
       args=(Arg(0.5, 2.0), Arg(-2.0, 2.0))),
    Op("nextafter_scalar", lambda x: fngrad.nextafter(x, fngrad.tensor(3.0, dtype=x.dtype)),
       lambda x: np.nextafter(x, 3.0)),
    Op("nansum", lambda x: fngrad.nansum(x, 1), lambda x: np.nansum(x, 1)),
    Op("nanmean", lambda x: x.nanmean(dim=0, keepdim=True), lambda x: np.nanmean(x, 0, keepdims=True)),
    Op("std_mean", lambda x: sum(fngrad.std_mean(x, 1)), lambda x: x.std(1, ddof=1) + x.mean(1)),
    Op("var_mean", lambda x: sum(fngrad.var_mean(x, 0, correction=0)), lambda x: x.var(0) + x.mean(0)),
    Op("diff", lambda x: fngrad.diff(x, 2, dim=1), lambda x: np.diff(x, 2, axis=1)),
    Op("diff_prepend", lambda x, y: x.diff(dim=0, prepend=y), lambda x, y: np.diff(x, axis=0, prepend=y),
       shapes=((3, 4), (2, 4))),
    Op("dist", lambda x, y: fngrad.dist(x, y, 3), lambda x, y: (np.abs(x - y) ** 3).sum() ** (1 / 3),
       shapes=((3, 4), (3, 4)), tie=KINK_RADIUS),
]


# More views (_views_more): the *_copy ops, the scatter ops, index_put/index_reduce, unfold, as_strided.
def _np_index_put(x, idx, v, accumulate):
    out = x.copy()
    (np.add.at(out, idx, v) if accumulate else out.__setitem__(idx, v))
    return out


def _np_set_at(x, idx, v):
    out = x.copy()
    out[idx] = v
    return out


def _np_index_prod(x, s):  # index_reduce(0, [0, 2, 0], s, "prod") with include_self
    out = x.copy()
    out[0] *= s[0] * s[2]
    out[2] *= s[1]
    return out


def _np_index_amax(x, s):  # index_reduce(0, [0, 2, 0], s, "amax", include_self=False)
    out = x.copy()
    out[0] = np.maximum(s[0], s[2])
    out[2] = s[1]
    return out


_STRIDED = np.lib.stride_tricks.as_strided
OPS += [
    Op("alias_copy", fngrad.alias_copy, lambda x: x),
    Op("expand_copy", lambda x: fngrad.expand_copy(x, (2, 3, 4)), lambda x: np.broadcast_to(x, (2, 3, 4))),
    Op("diagonal_copy", lambda x: fngrad.diagonal_copy(x, 1), lambda x: np.diagonal(x, 1)),
    Op("narrow_copy", lambda x: x.narrow_copy(1, 1, 2), lambda x: x[:, 1:3]),
    Op("permute_copy", lambda x: fngrad.permute_copy(x, (1, 0)), lambda x: x.T),
    Op("squeeze_copy", lambda x: fngrad.squeeze_copy(x, 0), lambda x: x[0], shapes=((1, 4),)),
    Op("t_copy", fngrad.t_copy, lambda x: x.T),
    Op("transpose_copy", lambda x: fngrad.transpose_copy(x, 0, 1), lambda x: x.T),
    Op("unbind_copy", lambda x: fngrad.unbind_copy(x, 1)[2], lambda x: x[:, 2]),
    Op("unsqueeze_copy", lambda x: fngrad.unsqueeze_copy(x, 1), lambda x: x[:, None]),
    Op("view_copy", lambda x: fngrad.view_copy(x, (4, 3)), lambda x: x.reshape(4, 3)),
    Op("unfold", lambda x: x.unfold(1, 2, 1), lambda x: np.stack([x[:, i:i + 2] for i in range(3)], 1)),
    Op("unfold_copy", lambda x: fngrad.unfold_copy(x, 0, 2, 1), lambda x: np.stack([x[0:2], x[1:3]], 0).transpose(0, 2, 1)),
    Op("split_with_sizes", lambda x: fngrad.split_with_sizes(x, [1, 3], 1)[1], lambda x: x[:, 1:]),
    Op("unsafe_chunk", lambda x: fngrad.unsafe_chunk(x, 2, 1)[1], lambda x: x[:, 2:]),
    Op("unsafe_split", lambda x: fngrad.unsafe_split(x, 3, 1)[0], lambda x: x[:, :3]),
    Op("constant_pad_nd", lambda x: fngrad.constant_pad_nd(x, (1, -1, 0, 2), 0.5),
       lambda x: np.pad(x[:, :-1], ((0, 2), (1, 0)), constant_values=0.5)),
    Op("select_scatter", lambda x, s: fngrad.select_scatter(x, s, 1, 2), lambda x, s: _np_set_at(x, (slice(None), 2), s),
       shapes=((3, 4), (3,))),
    Op("slice_scatter", lambda x, s: x.slice_scatter(s, 1, 0, 4, 2),
       lambda x, s: _np_set_at(x, (slice(None), slice(0, 4, 2)), s), shapes=((3, 4), (3, 2))),
    Op("diagonal_scatter", lambda x, s: fngrad.diagonal_scatter(x, s, 1),
       lambda x, s: _np_set_at(x, (np.arange(3), np.arange(3) + 1), s), shapes=((3, 4), (3,))),
    Op("index_put", lambda x, v: fngrad.index_put(x, (_I([0, 2]), _I([1, 3])), v),
       lambda x, v: _np_index_put(x, ([0, 2], [1, 3]), v, False), shapes=((3, 4), (2,))),
    Op("index_put_accumulate", lambda x, v: x.index_put((_I([0, 2, 0]),), v, accumulate=True),
       lambda x, v: _np_index_put(x, ([0, 2, 0],), v, True), shapes=((3, 4), (3, 4))),
    Op("index_reduce_prod", lambda x, s: x.index_reduce(0, _I([0, 2, 0]), s, "prod"), _np_index_prod,
       shapes=((3, 4), (3, 4))),
    Op("index_reduce_amax", lambda x, s: fngrad.index_reduce(x, 0, _I([0, 2, 0]), s, "amax", include_self=False),
       _np_index_amax, shapes=((3, 4), (3, 4))),
    Op("sum_to_size", lambda x: x.sum_to_size(1, 4), lambda x: x.sum(0, keepdims=True)),
    Op("zero_", lambda x: fngrad.zero_(x.clone()), np.zeros_like),
    Op("__rdiv__", lambda x: x.__rdiv__(2.0), lambda x: 2.0 / x, domain=(0.5, 2.0)),
    Op("resize_", lambda x: x.detach().clone().resize_(2, 6), lambda x: x.reshape(2, 6), differentiable=False),
    Op("resize_as_", lambda x: fngrad.resize_as_(x.detach().clone(), fngrad.ones(6, 2)), lambda x: x.reshape(6, 2),
       differentiable=False),
    # as_strided reads the storage: the rows view a contiguous input (tests/test_as_strided.py has views).
    Op("as_strided", lambda x: fngrad.as_strided(x.contiguous(), (3, 3), (2, 1), 1),
       lambda x: _STRIDED(x.reshape(-1)[1:], (3, 3), (2 * x.itemsize, x.itemsize))),
    # An output that overlaps itself (its gradient adds up per storage position) and an expanded input
    # (its elements share their position's gradient).
    Op("as_strided_overlap", lambda x: x.contiguous().as_strided((4, 3), (1, 1), 2),
       lambda x: _STRIDED(x.reshape(-1)[2:], (4, 3), (x.itemsize, x.itemsize))),
    Op("as_strided_expanded", lambda x: fngrad.as_strided(x.contiguous()[:, :1].expand(3, 4), (3, 2), (4, 0)),
       lambda x: np.repeat(x[:, :1], 2, axis=1)),
    Op("as_strided_copy", lambda x: fngrad.as_strided_copy(x.contiguous(), (2, 2), (1, 4)),
       lambda x: _STRIDED(x.reshape(-1), (2, 2), (x.itemsize, 4 * x.itemsize))),
    Op("as_strided_scatter", lambda x, s: fngrad.as_strided_scatter(x, s, (2, 2), (1, 4), 1),
       lambda x, s: _np_set_at(x.reshape(-1), ([1, 5, 2, 6],), s.reshape(-1)).reshape(x.shape), shapes=((3, 4), (2, 2))),
]



def _np_grid_sample_bilinear(x, grid):  # zeros padding, align_corners=False; x (N, C, H, W), grid (N, h, w, 2)
    n, c, h, w = x.shape
    ix = ((grid[..., 0] + 1) * w - 1) / 2
    iy = ((grid[..., 1] + 1) * h - 1) / 2
    x0, y0 = np.floor(ix).astype(int), np.floor(iy).astype(int)
    out = np.zeros((n, c) + grid.shape[1:3])
    for dy in (0, 1):
        for dx in (0, 1):
            xs, ys = x0 + dx, y0 + dy
            wgt = (1 - np.abs(ix - xs)) * (1 - np.abs(iy - ys))
            ok = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
            for b in range(n):
                vals = x[b][:, np.clip(ys[b], 0, h - 1), np.clip(xs[b], 0, w - 1)]
                out[b] += vals * (wgt[b] * ok[b])
    return out


OPS += [
    # Grid coordinates reach past the input (zeros padding); integer source coordinates are kinks.
    Op("F.grid_sample", lambda x, g: F.grid_sample(x, g * 1.2, align_corners=False),
       lambda x, g: _np_grid_sample_bilinear(x, g * 1.2), shapes=((2, 2, 3, 4), (2, 3, 2, 2)), domain=(-1.0, 1.0)),
]

# ---- opinfo2: rows for cov/corrcoef/renorm/trapezoid; in-place forms (_inplace_forms); quantile,
# histograms, gradient (_statistics); combinations, fill, nonzero_static, split_with_sizes_copy,
# triangular_solve, torch.norm's other orders; adaptive max pooling indices, max_unpool3d,
# linear_cross_entropy; native_layer_norm / native_batch_norm (_native_norms) ----
def _np_renorm(x, p, maxnorm):  # renorm over dim 0: rows whose p-norm exceeds maxnorm are scaled to it
    norms = (np.abs(x) ** p).sum(1, keepdims=True) ** (1 / p)
    return x * np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


def _np_adaptive_max2d(x, out):
    def windows(n, o):
        return [(i * n // o, -(-(i + 1) * n // o)) for i in range(o)]
    rows, cols = windows(x.shape[-2], out[0]), windows(x.shape[-1], out[1])
    return np.stack([np.stack([x[..., a:b, c:d].max((-2, -1)) for c, d in cols], -1) for a, b in rows], -2)


def _np_unpool_max3d(x):  # max_unpool3d(max_pool3d(x, 2)): each 2x2x2 block's max stays in place
    n, c, d, h, w = x.shape
    blocks = x.reshape(n, c, d // 2, 2, h // 2, 2, w // 2, 2)
    keep = blocks == blocks.max((3, 5, 7), keepdims=True)
    return np.where(keep, blocks, 0).reshape(x.shape)


def _np_cross_entropy(logits, target):
    logp = logits - logits.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    return -logp[np.arange(len(target)), target].mean()


def _np_nonzero_static(x, size):
    found = np.argwhere(x)[:size]
    return np.concatenate([found, np.full((size - len(found), x.ndim), -1)])


_COORDS = [0.0, 1.0, 1.5, 3.5]
OPS += [
    Op("cov", fngrad.cov, np.cov),
    Op("cov_weighted", lambda x: fngrad.cov(x, correction=0, fweights=_I([1, 2, 1, 3])),
       lambda x: np.cov(x, ddof=0, fweights=[1, 2, 1, 3])),
    Op("corrcoef", fngrad.corrcoef, np.corrcoef),
    Op("renorm", lambda x: fngrad.renorm(x, 2, 0, 1.5), lambda x: _np_renorm(x, 2, 1.5)),
    Op("trapezoid", fngrad.trapezoid, lambda x: np.trapezoid(x, axis=-1)),
    Op("trapezoid_x", lambda y, x: fngrad.trapezoid(y, x), lambda y, x: np.trapezoid(y, x, axis=-1),
       shapes=((3, 4), (4,))),
    Op("gt_", lambda x: x.detach().clone().gt_(0.3), lambda x: (x > 0.3).astype(x.dtype), differentiable=False,
       kinks=(0.3,)),
    Op("ne_", lambda x, y: x.detach().clone().ne_(y), lambda x, y: (x != y).astype(x.dtype), shapes=((3, 4), (4,)),
       differentiable=False),
    Op("logical_xor_", lambda x: x.detach().clone().logical_xor_(x > 0),
       lambda x: np.logical_xor(x, x > 0).astype(x.dtype), differentiable=False),
    Op("index_put_", lambda x, v: x.clone().index_put_((_I([0, 2]), _I([1, 3])), v),
       lambda x, v: _np_index_put(x, ([0, 2], [1, 3]), v, False), shapes=((3, 4), (2,))),
    Op("index_reduce_", lambda x, s: x.clone().index_reduce_(0, _I([0, 2, 0]), s, "amax", include_self=False),
       _np_index_amax, shapes=((3, 4), (3, 4))),
    Op("squeeze_", lambda x: x.detach().clone()[None].squeeze_(0), lambda x: x, differentiable=False),
    Op("unsqueeze_", lambda x: x.detach().clone().unsqueeze_(1), lambda x: x[:, None], differentiable=False),
    Op("t_", lambda x: x.detach().clone().t_(), lambda x: x.T, differentiable=False),
    Op("transpose_", lambda x: x.detach().clone().transpose_(0, 1), lambda x: x.T, differentiable=False),
    Op("fill", lambda x: fngrad.fill(x, 0.5), lambda x: np.full_like(x, 0.5)),
    Op("fill_tensor", lambda x, v: fngrad.fill(x, v.sum()), lambda x, v: np.full_like(x, v.sum()),
       shapes=((3, 4), (2,))),
    Op("quantile", lambda x: fngrad.quantile(x, 0.3, dim=1), lambda x: np.quantile(x, 0.3, axis=1)),
    Op("quantile_q", lambda x, q: fngrad.quantile(x, q.sigmoid(), dim=0, keepdim=True),
       lambda x, q: np.quantile(x, 1 / (1 + np.exp(-q)), axis=0, keepdims=True), shapes=((3, 4), (2,))),
    Op("quantile_all_nearest", lambda x: x.quantile(0.4, interpolation="nearest"),
       lambda x: np.quantile(x, 0.4, method="nearest")),
    Op("nanquantile", lambda x: fngrad.nanquantile(fngrad.where(x > 1.5, math.nan, x), 0.6, dim=1,
                                                   interpolation="midpoint"),
       lambda x: np.nanquantile(np.where(x > 1.5, np.nan, x), 0.6, axis=1, method="midpoint"), kinks=(1.5,)),
    Op("histogram", lambda x: fngrad.histogram(x, bins=5, range=(-2.0, 2.0)).hist,
       lambda x: np.histogram(x, 5, (-2.0, 2.0))[0], differentiable=False),
    Op("histogram_edges", lambda x: fngrad.histogram(x, bins=3).bin_edges,
       lambda x: np.histogram(x, 3)[1], differentiable=False),
    Op("histogramdd", lambda x: fngrad.histogramdd(x, bins=[2, 3, 2, 2]).hist,
       lambda x: np.histogramdd(x, bins=[2, 3, 2, 2])[0], differentiable=False),
    Op("gradient", lambda x: fngrad.gradient(x, spacing=0.5, edge_order=2)[1],
       lambda x: np.gradient(x, 0.5, axis=1, edge_order=2)),
    Op("gradient_coordinates", lambda x: fngrad.gradient(x, spacing=[fngrad.tensor(_COORDS).to(x.dtype)], dim=1)[0],
       lambda x: np.gradient(x, np.array(_COORDS), axis=1)),
    Op("combinations", lambda x: fngrad.combinations(x.reshape(-1)[:5], 3),
       lambda x: np.array(list(itertools.combinations(x.reshape(-1)[:5], 3)))),
    Op("combinations_with_replacement", lambda x: fngrad.combinations(x[0], 2, with_replacement=True),
       lambda x: np.array(list(itertools.combinations_with_replacement(x[0], 2)))),
    Op("nonzero_static", lambda x: fngrad.nonzero_static(x > 0, size=8).to(x.dtype),
       lambda x: _np_nonzero_static(x > 0, 8), differentiable=False, kinks=(0.0,)),
    Op("split_with_sizes_copy", lambda x: fngrad.split_with_sizes_copy(x, [1, 3], 1)[1], lambda x: x[:, 1:]),
    Op("triangular_solve", lambda b, a: fngrad.triangular_solve(b, a + 4 * fngrad.eye(3, dtype=a.dtype)).solution,
       lambda b, a: np.linalg.solve(np.triu(a + 4 * np.eye(3)), b), shapes=((3, 2), (3, 3))),
    Op("triangular_solve_transpose",
       lambda b, a: fngrad.triangular_solve(b, a + 4 * fngrad.eye(3, dtype=a.dtype), upper=False, transpose=True)[0],
       lambda b, a: np.linalg.solve(np.tril(a + 4 * np.eye(3)).T, b), shapes=((3, 2), (3, 3))),
    Op("norm_negative", lambda x: fngrad.norm(x, -1.5, 1), lambda x: (np.abs(x) ** -1.5).sum(1) ** (-1 / 1.5),
       kinks=(0.0,)),
    Op("norm_nuc", lambda x: x.norm("nuc"), lambda x: np.linalg.norm(x, "nuc")),
    Op("norm_neg_inf", lambda x: x.norm(-math.inf, 0), lambda x: np.abs(x).min(0), kinks=(0.0,)),
    Op("adaptive_max_pool2d_indices", lambda x: F.adaptive_max_pool2d(x, (2, 3), return_indices=True)[0],
       lambda x: _np_adaptive_max2d(x, (2, 3)), shapes=((1, 2, 5, 7),)),
    Op("max_unpool3d", lambda x: F.max_unpool3d(*F.max_pool3d(x, 2, return_indices=True), 2), _np_unpool_max3d,
       shapes=((1, 2, 2, 4, 4),)),
    Op("linear_cross_entropy", lambda x, w: F.linear_cross_entropy(x, w, _I([0, 2, 1])),
       lambda x, w: _np_cross_entropy(x @ w.T, np.array([0, 2, 1])), shapes=((3, 4), (5, 4))),
    Op("native_layer_norm", lambda x: fngrad.native_layer_norm(x, (4,), None, None, 1e-5)[0],
       lambda x: (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)),
    Op("layer_norm", lambda x, w, b: F.layer_norm(x, (2, 4), w, b),
       lambda x, w, b: (x - x.mean((1, 2), keepdims=True)) / np.sqrt(x.var((1, 2), keepdims=True) + 1e-5) * w + b,
       shapes=((3, 2, 4), (2, 4), (2, 4))),
    Op("native_layer_norm_rstd", lambda x: fngrad.native_layer_norm(x, (4,), None, None, 1e-5)[2],
       lambda x: 1 / np.sqrt(x.var(1, keepdims=True) + 1e-5), differentiable=False),
    Op("native_batch_norm", lambda x: fngrad.native_batch_norm(x, None, None, None, None, True, 0.1, 1e-5)[0],
       lambda x: (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)),
    Op("native_batch_norm_legit_mean", lambda x: fngrad._native_batch_norm_legit(x, None, None, True, 0.1, 1e-5)[1],
       lambda x: x.mean(0), differentiable=False),
    Op("native_group_norm_rstd", lambda x: fngrad.native_group_norm(x.reshape(3, 2, 2), None, None, 3, 2, 2, 1, 1e-5)[2],
       lambda x: 1 / np.sqrt(x.var(1, keepdims=True) + 1e-5)),
    Op("native_group_norm", lambda x: fngrad.native_group_norm(x.reshape(3, 2, 2), None, None, 3, 2, 2, 2, 1e-5)[0],
       lambda x: ((x.reshape(3, 2, 2) - x.reshape(3, 2, 2).mean(2, keepdims=True))
                  / np.sqrt(x.reshape(3, 2, 2).var(2, keepdims=True) + 1e-5))),
    Op("native_dropout_backward", lambda g: fngrad.native_dropout_backward(g, g > 0, 2.0),
       lambda g: np.where(g > 0, 2 * g, 0.0), kinks=(0.0,)),
    Op("cov_aweights", lambda x, a: fngrad.cov(x, aweights=a.exp()),
       lambda x, a: np.cov(x, aweights=np.exp(a)), shapes=((3, 4), (4,))),
    # ---- speed (issue 13): native addmm, the node F.linear records ----
    Op("addmm_linear_layout", lambda c, a, w: fngrad.addmm(c, a, w.t()), lambda c, a, w: c + a @ w.T,
       shapes=((2,), (3, 4), (2, 4))),
    Op("addmm_scaled_row_input", lambda c, a, b: c.addmm(a, b, beta=-1.5, alpha=0.25),
       lambda c, a, b: -1.5 * c + 0.25 * (a @ b), shapes=((1, 2), (3, 4), (4, 2))),
    Op("linear_bias_addmm", F.linear, lambda x, w, b: x @ w.T + b, shapes=((3, 4), (2, 4), (2,))),
    # ---- surface (issue 12): the linalg *_ex variants, the (result, info) named tuples ----
    Op("linalg_cholesky_ex", lambda a: L.cholesky_ex(_spd(a)).L, lambda a: np.linalg.cholesky(_np_spd(a)),
       shapes=((2, 3, 3),)),
    Op("linalg_inv_ex", lambda a: L.inv_ex(_wc(a)).inverse, lambda a: np.linalg.inv(_np_wc(a)), shapes=((2, 3, 3),),
       domain=_SMALL),
    Op("linalg_solve_ex", lambda a, b: L.solve_ex(_wc(a), b).result, lambda a, b: np.linalg.solve(_np_wc(a), b),
       shapes=((3, 3), (3, 2)), domain=_SMALL),
]


def _np_affine_grid(theta, h, w):  # align_corners=False: pixel centres in [-1, 1]
    xs = (np.arange(w) * 2 + 1) / w - 1
    ys = (np.arange(h) * 2 + 1) / h - 1
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], np.ones((h, w))), -1).reshape(-1, 3)
    return np.einsum("pk,njk->npj", base, theta).reshape(theta.shape[0], h, w, 2)


_BAG_IDS, _BAG_OFFSETS = [3, 1, 3, 0, 2], [0, 1, 1, 4]  # bags [3], [], [1, 3, 0], [2]


def _np_bags(w, reduce):
    ends = _BAG_OFFSETS[1:] + [len(_BAG_IDS)]
    return np.stack([reduce(w[_BAG_IDS[a:b]], 0) if b > a else np.zeros(w.shape[1]) for a, b in zip(_BAG_OFFSETS, ends)])


OPS += [
    # ---- session 17: affine_grid, power-average pools, embedding bags ----
    Op("F.affine_grid", lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=False),
       lambda t: _np_affine_grid(t, 3, 4), shapes=((2, 2, 3),)),
    Op("F.lp_pool2d", lambda x: F.lp_pool2d(x, 2, 2), lambda x: np.sqrt(
        (x.reshape(1, 2, 2, 2, 2, 2) ** 2).sum((3, 5))), shapes=((1, 2, 4, 4),), domain=(0.3, 2.0)),
    Op("F.lp_pool1d", lambda x: F.lp_pool1d(x, 3, 2), lambda x: ((x.reshape(2, 3, 2) ** 3).sum(2)) ** (1 / 3),
       shapes=((2, 6),), domain=(0.3, 2.0)),
    Op("F.embedding_bag_sum", lambda w: F.embedding_bag(fngrad.tensor(_BAG_IDS), w, fngrad.tensor(_BAG_OFFSETS),
                                                        mode="sum"),
       lambda w: _np_bags(w, np.sum), shapes=((4, 3),)),
    Op("F.embedding_bag_mean", lambda w: F.embedding_bag(fngrad.tensor(_BAG_IDS), w, fngrad.tensor(_BAG_OFFSETS)),
       lambda w: _np_bags(w, np.mean), shapes=((4, 3),)),
]
