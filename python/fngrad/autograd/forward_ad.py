"""Forward-mode automatic differentiation, as ``torch.autograd.forward_ad``.

Inside a ``dual_level``, ``make_dual(x, t)`` gives a tensor that carries the tangent ``t``; every op
on it computes its result's tangent (the Jacobian-vector product), and ``unpack_dual(y)`` reads it.

Example::

    >>> import fngrad
    >>> import fngrad.autograd.forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     x = fwAD.make_dual(fngrad.tensor([1.0, 2.0]), fngrad.tensor([1.0, 0.0]))
    ...     y = x * x
    ...     fwAD.unpack_dual(y).tangent
    tensor([2., 0.])

How it works (Note [Forward AD] in ``csrc/autograd/forward_ad.h``): while a level is active, an op
with a dual input records its backward node as usual and leaves its output a *pending* tangent;
:func:`_forward_jvp` below computes it from the node: a direct formula chosen by the node's name
(``_RULES``), else the double-vjp of the node (``jvp(t) = d/du <vjp(u), t>``, exact since the vjp is
linear in ``u``).
"""

from __future__ import annotations

from typing import NamedTuple, Optional

from .. import _C
from ._engine import grad as _grad
from .function import Function as _Function
from .grad_mode import _GradModeContext, enable_grad

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]

_current_level = -1


def enter_dual_level():
    """Enters a new forward-AD level and returns its index (0: levels do not nest, as in PyTorch).

    Example::

        >>> import fngrad.autograd.forward_ad as fwAD
        >>> fwAD.enter_dual_level()
        0
        >>> fwAD.exit_dual_level()
    """
    global _current_level
    new_level = _C._enter_dual_level()
    if new_level != _current_level + 1:
        raise RuntimeError(
            "Entering a new forward AD level but the current level is not valid. Make sure you did not modify it "
            "directly."
        )
    _current_level = new_level
    return new_level


def exit_dual_level(*, level=None):
    """Exits the forward-AD level: every tangent made in it is dropped.

    Example::

        >>> import fngrad.autograd.forward_ad as fwAD
        >>> _ = fwAD.enter_dual_level()
        >>> fwAD.exit_dual_level()
    """
    global _current_level
    if level is None:
        level = _current_level
    if level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is not "
                           "supported.")
    _C._exit_dual_level(level)
    _current_level = level - 1


def make_dual(tensor, tangent, *, level=None):
    """A new tensor aliasing ``tensor``'s memory that carries ``tangent`` (the direction of the JVP).

    Differentiable in reverse mode too: gradients flow to ``tensor``.

    Example::

        >>> import fngrad
        >>> import fngrad.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     y = fwAD.make_dual(fngrad.tensor([3.0]), fngrad.tensor([1.0])).exp()
        ...     round(fwAD.unpack_dual(y).tangent.item(), 4)
        20.0855
    """
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first."
        )
    if not isinstance(tensor, _C.TensorBase) or not isinstance(tangent, _C.TensorBase):
        raise TypeError(f"make_dual(): expected tensor and tangent to be Tensors, but got {type(tensor).__name__} "
                        f"and {type(tangent).__name__}")
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.is_floating_point():
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if level != _current_level:
        raise RuntimeError("Invalid level given to _make_dual")
    if _C._fw_grad(tensor) is not None:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {level} is not supported.")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is "
            f"not supported. Tensor is of size {list(tensor.shape)} while the given forward gradient is of size "
            f"{list(tangent.shape)}."
        )
    if tangent.dtype != tensor.dtype:
        tangent = tangent.to(tensor.dtype)
    out = tensor.view_as(tensor)  # the alias: reverse mode flows back to tensor
    _C._set_fw_grad(out, tangent)
    return out


class UnpackedDualTensor(NamedTuple):
    """``(primal, tangent)``, what :func:`unpack_dual` returns (``tangent`` is None for a tensor without one).

    Example::

        >>> import fngrad
        >>> from fngrad.autograd.forward_ad import unpack_dual
        >>> unpack_dual(fngrad.ones(1)).tangent is None
        True
    """

    primal: object
    tangent: Optional[object]


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of a dual tensor: ``primal`` is a view of it without the tangent.

    Example::

        >>> import fngrad
        >>> import fngrad.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     x = fwAD.make_dual(fngrad.tensor([2.0]), fngrad.tensor([1.0]))
        ...     fwAD.unpack_dual(x * x).tangent
        tensor([4.])
    """
    if level is None:
        level = _current_level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    tangent = _C._fw_grad(tensor)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    _C._set_dual_level_state(-1)
    try:
        primal = tensor.view_as(tensor)
    finally:
        _C._set_dual_level_state(0)
    return UnpackedDualTensor(primal, tangent)


class dual_level(_GradModeContext):
    """Context manager (and decorator) for one forward-AD level; tangents made inside die on exit.

    Example::

        >>> import fngrad
        >>> import fngrad.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     x = fwAD.make_dual(fngrad.tensor([1.0]), fngrad.tensor([2.0]))
        >>> fwAD.unpack_dual(x).tangent is None
        True
    """

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, traceback):
        exit_dual_level()


# ---- computing tangents (called by the native library) ----

def _zero_tangent(t):
    return _C.zeros(tuple(t.shape), t.dtype)


def _tangent_or_zeros(t, tangent):
    return tangent if tangent is not None else _zero_tangent(t)


def _double_vjp(node, inputs, tangents, out):
    """jvp(t) = d/du <vjp(u), t>: the node's backward run on a fresh u, differentiated w.r.t. u."""
    metas = node._input_metadata
    u = _C.zeros(tuple(out.shape), out.dtype).requires_grad_()
    grads = tuple(u if i == out.output_nr else None for i in range(len(metas)))
    with enable_grad():
        vjps = _C._node_apply(node, grads)
        if len(vjps) > len(inputs):
            # add/sub/mul/div with a Python number keep an edge for it (PyTorch's wrapped number) whose
            # gradient is always None; the other gradient is the one tensor input's.
            vjps = tuple(g for g in vjps if g is not None)
        total = None
        for g, t in zip(vjps, tangents):
            if g is None or t is None or not g.requires_grad:
                continue
            term = (g * t).sum()
            total = term if total is None else total + term
    if total is None:
        return _zero_tangent(out)
    (r,) = _grad(total, u, allow_unused=True)
    return r if r is not None else _zero_tangent(out)


_RULES = {}


def _forward_jvp(pending, out):
    """The tangent of ``out`` from its pending record ``(node, inputs, input tangents, in place)``."""
    node, inputs, tangents, inplace = pending
    if inplace:  # the inputs now hold the result: only the node's saved values describe the op
        return _double_vjp(node, inputs, tangents, out)
    if _UNARY_BY_NODE is None:
        _register_unary_table()
    rule = _RULES.get(type(node).__name__)
    if rule is not None:
        try:
            r = rule(node, inputs, tangents, out)
        except AttributeError:  # a node of that name that keeps other values (x[i] makes a
            r = NotImplemented  # SelectBackward0 without _saved_dim): the double-vjp is exact
        if r is not NotImplemented:
            return r
    return _double_vjp(node, inputs, tangents, out)


def _rerun_double_vjp(cls, inputs, tangents, outs):
    """A Function's JVP by the double-vjp trick over a second run of its forward."""
    prims = [x.detach().requires_grad_() if isinstance(x, _C.TensorBase) and x.is_floating_point() else x
             for x in inputs]
    with enable_grad():
        res = cls.apply(*prims)
        res = res if isinstance(res, tuple) else (res,)
        diff_in = [(p, t) for p, t in zip(prims, tangents) if isinstance(p, _C.TensorBase) and p.requires_grad]
        diff_out = [k for k, r in enumerate(res) if isinstance(r, _C.TensorBase) and r.requires_grad]
        us = [_C.zeros(tuple(res[k].shape), res[k].dtype).requires_grad_() for k in diff_out]
        if not diff_in or not us:
            return tuple(None for _ in outs)
        vjps = _grad([res[k] for k in diff_out], [p for p, _ in diff_in], grad_outputs=us, create_graph=True,
                     allow_unused=True)
        total = None
        for g, (_, t) in zip(vjps, diff_in):
            if g is None or t is None or not g.requires_grad:
                continue
            term = (g * t).sum()
            total = term if total is None else total + term
    result = [None] * len(outs)
    if total is None:
        for k in diff_out:
            result[k] = _zero_tangent(res[k])
        return tuple(result)
    ts = _grad(total, us, allow_unused=True)
    for k, t in zip(diff_out, ts):
        result[k] = t if t is not None else _zero_tangent(res[k])
    return tuple(result)


def _function_forward_ad(ctx, inputs, output):
    """A custom Function applied to dual inputs: calls its ``jvp`` and sets the outputs' tangents."""
    cls = type(ctx)._forward_cls
    tangents = []
    for x in inputs:
        if isinstance(x, _C.TensorBase):
            t = _C._fw_grad(x)
            tangents.append(t if t is not None or not x.is_floating_point() else _zero_tangent(x))
        else:
            tangents.append(None)
    outs = output if isinstance(output, tuple) else (output,)
    _C._set_dual_level_state(-1)
    try:
        if cls.jvp is _Function.jvp and cls.__module__.startswith("fngrad."):
            # fngrad's own Functions (written for reverse mode, with differentiable backwards).
            out_tangents = _rerun_double_vjp(cls, inputs, tangents, outs)
        else:
            out_tangents = cls.jvp(ctx, *tangents)
    finally:
        _C._set_dual_level_state(0)
    if not isinstance(out_tangents, tuple):
        out_tangents = (out_tangents,)
    if len(out_tangents) != len(outs):
        raise RuntimeError(f"function {type(ctx).__name__} returned an incorrect number of forward gradients "
                           f"(expected {len(outs)}, got {len(out_tangents)})")
    for o, t in zip(outs, out_tangents):
        if t is None or not isinstance(o, _C.TensorBase) or not o.is_floating_point():
            continue
        if tuple(t.shape) != tuple(o.shape):
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the original Tensor, this "
                f"is not supported. Tensor is of size {list(o.shape)} while the given forward gradient is of size "
                f"{list(t.shape)}."
            )
        _C._set_fw_grad(o, t if t.dtype == o.dtype else t.to(o.dtype))
    return output


# ---- direct JVP formulas, by node name ----
#
# Each rule gets (node, inputs, tangents, out) -- tangents[i] is None where inputs[i] has none --
# and returns out's tangent, or NotImplemented to leave it to the double-vjp. Formulas are written
# in fngrad ops, so a tangent is differentiable in reverse mode (reverse-over-forward) when the
# primal requires grad; the op table's fused JVP kernels are used when nothing requires grad.

def _rule(*names):
    def register(fn):
        for n in names:
            _RULES[n] = fn
        return fn
    return register


def _fit(t, out):
    """A tangent of out's shape and dtype from a formula's result (broadcast inputs, promotion)."""
    if tuple(t.shape) != tuple(out.shape):
        t = t.expand(tuple(out.shape))
    return t if t.dtype == out.dtype else t.to(out.dtype)


def _plain(*tensors):
    """Whether no tensor needs a differentiable tangent (grad mode off or none requires grad)."""
    return not _C.is_grad_enabled() or not any(t is not None and t.requires_grad for t in tensors)


def _linear(fn):
    """The rule of an op linear in its single input: the op applied to the tangent."""
    def rule(node, inputs, tangents, out):
        if len(inputs) != 1 or tangents[0] is None:
            return NotImplemented
        r = fn(node, tangents[0], out)
        # A node of that name recorded by another op (with other saved values) is left to the double-vjp.
        return _fit(r, out) if tuple(r.shape) == tuple(out.shape) else NotImplemented
    return rule


for _names, _fn in [
    (("NegBackward0",), lambda n, t, out: -t),
    (("CloneBackward0",), lambda n, t, out: t.clone()),
    (("ToCopyBackward0",), lambda n, t, out: t.to(out.dtype)),
    (("ViewBackward0", "UnsafeViewBackward0", "SqueezeBackward0", "SqueezeBackward1", "ReshapeAliasBackward0"),
     lambda n, t, out: t.reshape(tuple(out.shape))),
    (("TransposeBackward0",), lambda n, t, out: t.transpose(n._saved_dim0, n._saved_dim1)),
    (("TBackward0",), lambda n, t, out: t.t()),
    (("PermuteBackward0",), lambda n, t, out: t.permute(*n._saved_dims)),
    (("UnsqueezeBackward0",), lambda n, t, out: t.unsqueeze(n._saved_dim)),
    (("ExpandBackward0",), lambda n, t, out: t.expand(tuple(out.shape))),
    (("SelectBackward0",), lambda n, t, out: t.select(n._saved_dim, n._saved_index)),
    (("SliceBackward0",), lambda n, t, out: t[(slice(None),) * n._saved_dim
                                              + (slice(n._saved_start, n._saved_end, n._saved_step),)]),
    # One node for every output of unbind/split/chunk: out.output_nr says which part out is.
    (("UnbindBackward0",), lambda n, t, out: t.select(n._saved_dim, out.output_nr)),
    (("SplitBackward0",), lambda n, t, out: t.narrow(n._saved_dim, out.output_nr * n._saved_split_size,
                                                     out.shape[n._saved_dim])),
    (("SplitWithSizesBackward0",), lambda n, t, out: t.narrow(n._saved_dim, sum(n._saved_split_sizes[:out.output_nr]),
                                                              out.shape[n._saved_dim])),
    (("SumBackward0",), lambda n, t, out: t.sum()),
    (("SumBackward1",), lambda n, t, out: t.sum(n._saved_dim, keepdim=n._saved_keepdim)),
    (("MeanBackward0",), lambda n, t, out: t.mean()),
    (("MeanBackward1",), lambda n, t, out: t.mean(n._saved_dim, keepdim=n._saved_keepdim)),
]:
    _rule(*_names)(_linear(_fn))


def _scalar_other(node):
    """The Python number of a one-tensor mul/div (x * 2), or None."""
    for attr in ("_saved_other", "_saved_self"):
        v = getattr(node, attr, None)
        if isinstance(v, (int, float)):
            return v
    return None


@_rule("AddBackward0", "SubBackward0")
def _add_sub(node, inputs, tangents, out):
    alpha = node._saved_alpha
    sign = 1 if type(node).__name__ == "AddBackward0" else -1
    if len(inputs) == 1:  # x + scalar (scalar - x is the double-vjp's: which side is which is not kept)
        return _fit(tangents[0], out) if sign == 1 else NotImplemented
    ta, tb = tangents
    if tb is None:
        return _fit(ta, out)
    tb = tb * (sign * alpha) if sign * alpha != 1 else tb
    return _fit(tb if ta is None else ta + tb, out)


@_rule("MulBackward0")
def _mul(node, inputs, tangents, out):
    if len(inputs) == 1:
        s = _scalar_other(node)
        return NotImplemented if s is None else _fit(tangents[0] * s, out)
    (a, b), (ta, tb) = inputs, tangents
    if ta is not None and tb is not None and a.shape == b.shape == ta.shape == tb.shape and a.dtype == b.dtype \
            and _plain(a, b, ta, tb):
        return _fit(_C._binary_jvp("mul", a, b, ta, tb), out)
    terms = [t for t in ((ta * b) if ta is not None else None, (a * tb) if tb is not None else None) if t is not None]
    return _fit(terms[0] if len(terms) == 1 else terms[0] + terms[1], out)


@_rule("DivBackward0")
def _div(node, inputs, tangents, out):
    if len(inputs) == 1:
        if getattr(node, "_saved_other", None) is None or not isinstance(node._saved_other, (int, float)):
            return NotImplemented
        return _fit(tangents[0] / node._saved_other, out)
    (a, b), (ta, tb) = inputs, tangents
    r = ta / b if ta is not None else None
    if tb is not None:
        q = (a / (b * b)) * tb
        r = -q if r is None else r - q
    return _fit(r, out)


@_rule("MmBackward0", "BmmBackward0", "MvBackward0", "DotBackward0", "MatmulBackward0")
def _matmul(node, inputs, tangents, out):
    if len(inputs) != 2:
        return NotImplemented
    (a, b), (ta, tb) = inputs, tangents
    r = ta @ b if ta is not None else None
    if tb is not None:
        r = a @ tb if r is None else r + a @ tb
    return _fit(r.reshape(tuple(out.shape)), out)


@_rule("SoftmaxBackward0")
def _softmax(node, inputs, tangents, out):
    y, t, d = out, tangents[0], node._saved_dim
    yt = y * t
    return _fit(yt - y * yt.sum(d, keepdim=True), out)


@_rule("LogSoftmaxBackward0")
def _log_softmax(node, inputs, tangents, out):
    t, d = tangents[0], node._saved_dim
    return _fit(t - (out.exp() * t).sum(d, keepdim=True), out)


@_rule("CatBackward0")
def _cat(node, inputs, tangents, out):
    parts = [_tangent_or_zeros(x, t).to(out.dtype) for x, t in zip(inputs, tangents)]
    return _C.cat(parts, node._saved_dim)


_UNARY_BY_NODE = None


def _unary_table(node, inputs, tangents, out):
    """Parameterless entries of the unary op table: the table's fused JVP kernel when no reverse
    graph is needed, else the double-vjp (differentiable)."""
    x, t = inputs[0], tangents[0]
    op = _UNARY_BY_NODE.get(type(node).__name__)
    if op is None or t is None or not _plain(x, t) or x.dtype != t.dtype or not x.is_floating_point():
        return NotImplemented
    return _fit(_C._unary_jvp(op, x, t), out)


def _register_unary_table():
    """Maps each parameterless unary op's node name (ExpBackward0) to its table name (exp)."""
    global _UNARY_BY_NODE
    _UNARY_BY_NODE = {}
    probe = _C.full((1,), 0.5, _C.float64).requires_grad_()
    with enable_grad():
        for name in _C.unary_ops:
            fn = getattr(_C, name, None)
            try:
                y = fn(probe)
            except Exception:  # noqa: BLE001 - an op the probe does not fit is left to the double-vjp
                continue
            if y.grad_fn is not None:
                node_name = type(y.grad_fn).__name__
                # Only a node named after the op itself (ExpBackward0 for exp): square records
                # PowBackward0, which pow(x, y) records too.
                if node_name.rstrip("0123456789").lower() == name.replace("_", "") + "backward" \
                        and node_name not in _RULES:
                    _UNARY_BY_NODE[node_name] = name
                    _RULES[node_name] = _unary_table
