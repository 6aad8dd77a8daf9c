"""Checking gradients against finite differences: ``gradcheck`` and ``gradgradcheck``.

The checks and their messages follow PyTorch's: the numerical Jacobian from central differences
(each input element perturbed in place, through a NumPy view of its memory); the analytical one
from one backward pass per output element, computed twice (reentrancy, ``nondet_tol``); then that
a zero ``grad_output`` gives zero gradients, and (``check_undefined_grad``) that a backward handles
undefined (None) output gradients. ``fast_mode`` compares ``vᵀ J u`` for random ``u``, ``v``
instead of whole Jacobians. ``check_forward_ad`` compares the Jacobian that forward-mode AD gives
(one JVP per input element) with the same central differences. Options that need vmap, which
fngrad does not have, raise ``NotImplementedError`` when set.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _C
from .._creation import rand, tensor, zeros_like
from ._engine import grad
from .forward_ad import dual_level, make_dual, unpack_dual
from .function import Function

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """GradcheckError(message)

    Raised by gradcheck and gradgradcheck when a check fails.

    >>> class Wrong(fngrad.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         return grad
    >>> x = fngrad.tensor([1., 2.], dtype=fngrad.float64, requires_grad=True)
    >>> try:
    ...     fngrad.autograd.gradcheck(Wrong.apply, (x,))
    ... except fngrad.autograd.GradcheckError as e:
    ...     print(type(e).__name__, isinstance(e, RuntimeError))
    GradcheckError True
    """


_NO_VMAP = "fngrad has no vmap (batched gradients) yet"


def _refuse(fn_name, **options):
    for name, (value, why) in options.items():
        if value:
            raise NotImplementedError(f"{fn_name}: {name}=True is not supported: {why}.")


def _as_tuple(x):
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _is_tensor(x):
    return isinstance(x, _C.TensorBase)


def _differentiable_outputs(outputs):
    return tuple(o for o in outputs if _is_tensor(o) and o.requires_grad)


def _diff_inputs(inputs):
    return [x for x in inputs if _is_tensor(x) and x.requires_grad]


def _flat64(t):
    return np.array(t.detach().numpy(), dtype=np.float64).reshape(-1)


def _tensor(m):

    return tensor(m, dtype=_C.float64)


def _grad(outputs, inputs, grad_outputs, retain_graph=None):

    return grad(outputs, inputs, grad_outputs, retain_graph=retain_graph, allow_unused=True)


def _check_inputs(inputs):
    any_requires_grad = False
    for idx, x in enumerate(inputs):
        if _is_tensor(x) and x.requires_grad:
            if x.dtype != _C.float64:
                warnings.warn(f"Input #{idx} requires gradient and is not a double precision floating point or "
                              "complex. This check will likely fail if all the inputs are not of double precision "
                              "floating point or complex. ", UserWarning, stacklevel=4)
            a = x.detach().numpy()
            if any(st == 0 and sz > 1 for st, sz in zip(a.strides, a.shape)):
                raise RuntimeError(f"The {idx}th input has a dimension with stride 0. gradcheck only supports inputs "
                                   "that are non-overlapping to be able to compute the numerical gradients correctly. "
                                   "You should call .contiguous on the input before passing it to gradcheck.")
            any_requires_grad = True
    if not any_requires_grad:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")


def _outputs64(func, inputs):
    return [_flat64(o) if _is_tensor(o) else None for o in _as_tuple(func(*inputs))]


def _central_difference(func, inputs, x, index, delta, eps):
    """(f(x + delta) - f(x - delta)) / 2 eps for every tensor output of func (None for others),
    with ``delta`` added to ``x[index]`` in place, through a NumPy view of x's memory (so
    non-contiguous inputs are perturbed where they live)."""
    data = x.detach().numpy()
    orig = np.array(data[index], copy=True)
    try:
        data[index] = orig + delta
        plus = _outputs64(func, inputs)
        data[index] = orig - delta
        minus = _outputs64(func, inputs)
    finally:
        data[index] = orig
    return [None if p is None else (p - m) / (2 * eps) for p, m in zip(plus, minus)]


def _numerical_jacobians(func, inputs, func_out, eps):
    """jac[i][o]: (numel(output o), numel(differentiable input i)) for each tensor output o of
    func_out (None for other outputs), by central differences, one element at a time."""
    jacobians = []
    for x in _diff_inputs(inputs):
        per_output = [np.zeros((o.numel(), x.numel())) if _is_tensor(o) else None for o in func_out]
        for col, idx in enumerate(np.ndindex(*x.shape)):
            for jac, column in zip(per_output, _central_difference(func, inputs, x, idx, eps, eps)):
                if jac is not None:
                    jac[:, col] = column
        jacobians.append(per_output)
    return jacobians


def _vjp_rows(output, inputs, cotangents, check_grad_dtypes):
    """For each cotangent c, cᵀ J for each differentiable input (flat rows, zeros for None),
    checking each gradient's size (and dtype)."""
    diff = _diff_inputs(inputs)
    rows = [np.zeros((len(cotangents), x.numel())) for x in diff]
    for k, c in enumerate(cotangents):
        grads = _grad(output, diff, _tensor(c.reshape(tuple(output.shape))).to(output.dtype), retain_graph=True)
        for i, (g, x) in enumerate(zip(grads, diff)):
            if g is None:
                continue
            if tuple(g.shape) != tuple(x.shape):
                raise GradcheckError("Analytical gradient has incorrect size")
            if check_grad_dtypes and g.dtype != x.dtype:
                raise GradcheckError("Gradient has dtype mismatch")
            rows[i][k] = _flat64(g)
    return rows


def _analytical(output, inputs, cotangents, nondet_tol, check_grad_dtypes):
    """_vjp_rows, computed twice: the backward must give the same answer (within nondet_tol)."""
    first = _vjp_rows(output, inputs, cotangents, check_grad_dtypes)
    second = _vjp_rows(output, inputs, cotangents, check_grad_dtypes)
    for a, b in zip(first, second):
        if a.size and np.max(np.abs(a - b)) > nondet_tol:
            raise GradcheckError("Backward is not reentrant, i.e., running backward with same input and grad_output "
                                 "multiple times gives different values, although analytical gradient matches "
                                 f"numerical gradient. The tolerance for nondeterminism was {nondet_tol}.")
    return first


def _mismatch(out_idx, in_idx, numerical, analytical):
    return (f"Jacobian mismatch for output {out_idx:d} with respect to input {in_idx:d},\n"
            f"numerical:{_tensor(numerical)!r}\nanalytical:{_tensor(analytical)!r}\n")


def _slow_check(func, inputs, func_out, outputs, eps, rtol, atol, nondet_tol, check_grad_dtypes):
    numerical = _numerical_jacobians(func, inputs, func_out, eps)  # [input][output of func_out]
    if not outputs:
        if any(n is not None and np.any(n != 0) for per_input in numerical for n in per_input):
            raise GradcheckError("Numerical gradient for function expected to be zero")
        return
    diff_out_idx = [k for k, o in enumerate(func_out) if _is_tensor(o) and o.requires_grad]
    for j, (k, o) in enumerate(zip(diff_out_idx, outputs)):
        analytical = _analytical(o, inputs, list(np.eye(o.numel())), nondet_tol, check_grad_dtypes)
        for i, a in enumerate(analytical):
            n = numerical[i][k]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                raise GradcheckError(_mismatch(j, i, n, a))


def _unit_random(rng, n):
    v = rng.random(n)
    return v / np.linalg.norm(v) if n else v


def _fast_check(func, inputs, func_out, outputs, eps, rtol, atol, nondet_tol, check_grad_dtypes):
    # A generator of its own, so that the caller's random state is untouched (as in PyTorch).
    rng = np.random.default_rng(0)
    diff = _diff_inputs(inputs)
    us = [_unit_random(rng, x.numel()) for x in diff]
    vs = [_unit_random(rng, o.numel()) for o in outputs]
    diff_out_idx = [k for k, o in enumerate(func_out) if _is_tensor(o) and o.requires_grad]
    jvps = [_central_difference(func, inputs, x, ..., eps * u.reshape(tuple(x.shape)), eps) for x, u in zip(diff, us)]
    if not outputs:
        for per_input in jvps:
            for jvp in per_input:
                if jvp is not None and jvp.size and np.max(np.abs(jvp)) > nondet_tol:
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return
    for j, (k, o, v) in enumerate(zip(diff_out_idx, outputs, vs)):
        v_j = _analytical(o, inputs, [v], nondet_tol, check_grad_dtypes)
        for i, (row, u) in enumerate(zip(v_j, us)):
            a = float(row[0] @ u)
            n = float(v @ jvps[i][k])
            # |vᵀ(A - N)u| may reach atol · Σu · Σv when every entry differs by atol (PyTorch's bound).
            if not np.isclose(a, n, rtol=rtol, atol=atol * u.sum() * v.sum()):
                slow_n = _numerical_jacobians(func, inputs, func_out, eps)[i][k]
                slow_a = _analytical(o, inputs, list(np.eye(o.numel())), float("inf"), False)[i]
                raise GradcheckError(
                    _mismatch(j, i, n, a)
                    + "\nThe above quantities relating the numerical and analytical jacobians are computed \n"
                    "in fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more background \n"
                    "about fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
                    f"Numerical:\n {_tensor(slow_n)!r}\nAnalytical:\n{_tensor(slow_a)!r}\n\n"
                    f"The max per-element difference (slow mode) is: {np.max(np.abs(slow_n - slow_a))}.\n")


def _forward_ad_check(func, inputs, func_out, eps, rtol, atol):
    """The Jacobian from forward-mode AD, one column per element of each differentiable input,
    against central differences."""
    numerical = _numerical_jacobians(func, inputs, func_out, eps)
    diff_pos = [p for p, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad]
    for i, pos in enumerate(diff_pos):
        x = inputs[pos]
        analytical = [np.zeros((o.numel(), x.numel())) if _is_tensor(o) else None for o in func_out]
        for col in range(x.numel()):
            with dual_level():
                duals = list(inputs)
                for p in diff_pos:
                    t = zeros_like(inputs[p]).detach()
                    if p == pos:
                        t.view(-1)[col] = 1
                    duals[p] = make_dual(inputs[p], t)
                for k, o in enumerate(_as_tuple(func(*duals))):
                    if analytical[k] is not None:
                        tangent = unpack_dual(o).tangent
                        if tangent is not None:
                            analytical[k][:, col] = _flat64(tangent)
        for k, (a, n) in enumerate(zip(analytical, numerical[i])):
            if a is not None and func_out[k].is_floating_point() and not np.allclose(a, n, rtol=rtol, atol=atol):
                raise GradcheckError(f"Jacobian computed with forward mode mismatch for output {k:d} with respect to "
                                     f"input {i:d},\nnumerical:{_tensor(n)!r}\nanalytical:{_tensor(a)!r}\n")


def _check_zero_grad_output(outputs, inputs, masked):
    """A zero grad_output must give zero (or None) gradients of the right dtype and size."""
    if not outputs:
        return

    diff = _diff_inputs(inputs)
    grads = _grad(outputs, diff, [zeros_like(o) for o in outputs])
    for g, x in zip(grads, diff):
        if g is None:
            continue
        values = g.detach().numpy()
        if not (np.allclose(values, 0) if masked else np.all(values == 0)):
            raise GradcheckError("backward not multiplied by grad_output")
        if g.dtype != x.dtype:
            raise GradcheckError("grad is incorrect type")
        if tuple(g.shape) != tuple(x.shape):
            raise GradcheckError("grad is incorrect size")


class _UndefinedGrad(Function):
    """Identity forward whose backward passes an undefined (None) gradient on."""
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return None


def _check_undefined_grad(func, outputs, inputs):
    """Backward must accept undefined output gradients (all of them, or one at a time) and
    then give undefined or zero input gradients."""

    diff = _diff_inputs(inputs)

    def fresh():
        return [o for o in _differentiable_outputs(_as_tuple(func(*inputs)))]

    cases = [[_UndefinedGrad.apply(o) for o in fresh()]]
    if len(cases[0]) > 1:
        for undefined in range(len(outputs)):
            cases.append([_UndefinedGrad.apply(o) if j == undefined else o for j, o in enumerate(fresh())])
    hint = ("a backward must treat an undefined (None) gradient as zeros: fngrad passes None to a Function's "
            "backward for it when ctx.set_materialize_grads(False) is set.")
    for case in cases:
        if not case:
            continue
        try:
            grads = _grad(case, diff, [zeros_like(o) for o in case])
        except RuntimeError as e:
            _warn_undefined()
            raise GradcheckError(f"Expected backward function to handle undefined output grads: {hint}") from e
        for g in grads:
            if g is not None and not np.all(g.detach().numpy() == 0):
                _warn_undefined()
                raise GradcheckError("Expected all input grads to be undefined or zero when all output grads are "
                                     f"undefined or zero: {hint}")


def _warn_undefined():
    warnings.warn("Backwards compatibility: New undefined gradient support checking feature is enabled by default, "
                  "but it may break existing callers of this function. If this is true for you, you can call this "
                  'function with "check_undefined_grad=False" to disable the feature', UserWarning, stacklevel=4)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Checks the gradients of ``func`` at ``inputs`` against central differences, as PyTorch's.

    Only inputs that are tensors with ``requires_grad`` are checked; use float64 (the default
    tolerances assume it). Returns True, or raises ``GradcheckError`` (returns False with
    ``raise_exception=False``) naming the output and the differentiable input whose Jacobians
    differ. ``nondet_tol``, ``check_undefined_grad``, ``check_grad_dtypes``, ``fast_mode`` and
    ``masked`` (which for dense tensors makes the zero-gradient check approximate) work as in
    PyTorch; ``check_forward_ad=True`` also checks forward-mode AD (``check_backward_ad=False`` checks
    it alone); ``check_batched_grad`` and ``check_batched_forward_grad`` raise ``NotImplementedError``
    (no vmap).

    Example::

        >>> import fngrad
        >>> x = fngrad.randn(3, dtype=fngrad.float64, requires_grad=True)
        >>> fngrad.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
        True
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    _refuse("gradcheck", check_batched_forward_grad=(check_batched_forward_grad, _NO_VMAP),
            check_batched_grad=(check_batched_grad, _NO_VMAP))
    try:
        inputs = _as_tuple(inputs)
        _check_inputs(inputs)
        func_out = _as_tuple(func(*inputs))
        outputs = _differentiable_outputs(func_out)
        if check_backward_ad:
            check = _fast_check if fast_mode else _slow_check
            check(func, inputs, func_out, outputs, eps, rtol, atol, nondet_tol, check_grad_dtypes)
            _check_zero_grad_output(outputs, inputs, masked)
            if check_undefined_grad:
                _check_undefined_grad(func, outputs, inputs)
        if check_forward_ad:
            _forward_ad_check(func, inputs, func_out, eps, rtol, atol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Checks second derivatives: gradcheck of ``(inputs, v) -> vᵀ J_func(inputs)``.

    Without ``grad_outputs``, ``v`` is random in [-1, 1) (non-contiguous with
    ``gen_non_contig_grad_outputs``) and requires grad. The options are gradcheck's;
    ``check_fwd_over_rev`` and ``check_batched_grad`` raise ``NotImplementedError``.

    Example::

        >>> import fngrad
        >>> x = fngrad.randn(3, dtype=fngrad.float64, requires_grad=True)
        >>> fngrad.autograd.gradgradcheck(lambda t: (t * t * t).sum(), (x,))
        True
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    _refuse("gradgradcheck", check_fwd_over_rev=(check_fwd_over_rev, "not implemented in fngrad yet"),
            check_batched_grad=(check_batched_grad, _NO_VMAP))

    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        grad_outputs = tuple(_random_grad_output(o, gen_non_contig_grad_outputs)
                             for o in _differentiable_outputs(_as_tuple(func(*inputs))))
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_order(*args):
        ins, vs = args[:n_in], args[n_in:]
        outs = _differentiable_outputs(_as_tuple(func(*ins)))
        grads = grad(outs, _diff_inputs(ins), vs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_order, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad, check_grad_dtypes=check_grad_dtypes,
                     fast_mode=fast_mode, masked=masked)


def _random_grad_output(output, noncontiguous):
    """Uniform in [-1, 1) from the global generator (as torch.testing.make_tensor), requiring grad;
    with ``noncontiguous``, every other element of a tensor twice as wide."""

    dtype = output.dtype if output.dtype in (_C.float32, _C.float64) else _C.float64
    shape = tuple(output.shape)
    if noncontiguous and output.numel() > 1:
        v = (rand(*shape[:-1], 2 * shape[-1], dtype=dtype) * 2 - 1)[..., ::2]
    else:
        v = rand(*shape, dtype=dtype) * 2 - 1
    return v.requires_grad_()
