"""Checking gradients against finite differences: ``gradcheck`` and ``gradgradcheck``.

The numerical Jacobian comes from central differences in float64; the analytical one from one
backward pass per output element. On a mismatch, the error names the output/input pair and shows
both Jacobians, as PyTorch's does.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _C
from .._creation import tensor, zeros_like
from ._engine import grad as autograd_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when the Jacobians disagree."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,) if not isinstance(x, list) else tuple(x)


def _differentiable_outputs(outputs):
    return [o for o in outputs if isinstance(o, _C.TensorBase) and o.requires_grad]


def _flat_copy(t):
    return np.array(t.detach().numpy(), dtype=np.float64).reshape(-1)


def _numerical_jacobians(fn, inputs, wrt, outputs, eps):
    """jac[o][i]: (numel(output o), numel(input i)), by central differences."""
    jac = [[np.zeros((o.numel(), inputs[i].numel())) for i in wrt] for o in outputs]
    for col, i in enumerate(wrt):
        x = inputs[i]
        data = x.detach().numpy()  # shares memory with x: perturb in place
        flat = data.reshape(-1)
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = [_flat_copy(o) for o in _differentiable_outputs(_as_tuple(fn(*inputs)))]
            flat[k] = orig - eps
            minus = [_flat_copy(o) for o in _differentiable_outputs(_as_tuple(fn(*inputs)))]
            flat[k] = orig
            for j in range(len(outputs)):
                jac[j][col][:, k] = (plus[j] - minus[j]) / (2 * eps)
    return jac


def _analytical_jacobians(outputs, inputs, wrt):
    jac = [[np.zeros((o.numel(), inputs[i].numel())) for i in wrt] for o in outputs]
    targets = [inputs[i] for i in wrt]
    for j, o in enumerate(outputs):
        for k in range(o.numel()):
            v = zeros_like(o).reshape(-1)
            v[k] = 1.0
            grads = autograd_grad(o, targets, v.reshape(o.shape), retain_graph=True, allow_unused=True)
            for col, g in enumerate(grads):
                if g is not None:
                    jac[j][col][k, :] = _flat_copy(g)
    return jac


def _fail(message, raise_exception):
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Checks the gradients of ``func`` at ``inputs`` against central differences.

    Only inputs that are floating point tensors with ``requires_grad`` are checked; use float64
    (the default tolerances assume it). Returns True, or raises ``GradcheckError`` (or returns
    False with ``raise_exception=False``) naming the output/input pair whose Jacobians differ.

    Example::

        >>> import fngrad
        >>> x = fngrad.randn(3, dtype=fngrad.float64, requires_grad=True)
        >>> fngrad.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
        True
    """
    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, _C.TensorBase) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them have "
                         "requires_grad=True.")
    for i in wrt:
        if inputs[i].dtype != _C.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. As a result, "
                          "the numerical gradient may be inaccurate.", UserWarning, stacklevel=2)
    outputs = _differentiable_outputs(_as_tuple(func(*inputs)))
    if not outputs:
        return _fail("gradcheck: none of the outputs require grad", raise_exception)
    numerical = _numerical_jacobians(func, inputs, wrt, outputs, eps)
    analytical = _analytical_jacobians(outputs, inputs, wrt)
    for j in range(len(outputs)):
        for col, i in enumerate(wrt):
            a, n = analytical[j][col], numerical[j][col]
            if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True):
                return _fail(f"Jacobian mismatch for output {j} with respect to input {i},\n"
                             f"numerical:{_format(n)}\nanalytical:{_format(a)}\n", raise_exception)
    # The backward must give the same answer twice (no hidden state, no nondeterminism).
    again = _analytical_jacobians(_differentiable_outputs(_as_tuple(func(*inputs))), inputs, wrt)
    for j in range(len(outputs)):
        for col in range(len(wrt)):
            if np.max(np.abs(again[j][col] - analytical[j][col]), initial=0.0) > nondet_tol:
                return _fail("Backward is not reentrant, i.e., running backward with same input and grad_output "
                             "multiple times gives different values, although analytical gradient matches numerical "
                             f"gradient. The tolerance for nondeterminism was {nondet_tol}.", raise_exception)
    return True


def _format(m):
    with np.printoptions(precision=6, suppress=True, linewidth=120):
        return "\n" + str(m)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Checks second derivatives: gradcheck of ``(inputs, v) -> vᵀ J_func(inputs)`` for random ``v``.

    Example::

        >>> import fngrad
        >>> x = fngrad.randn(3, dtype=fngrad.float64, requires_grad=True)
        >>> fngrad.autograd.gradgradcheck(lambda t: (t * t * t).sum(), (x,))
        True
    """
    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, _C.TensorBase) and x.requires_grad]
    outputs = _differentiable_outputs(_as_tuple(func(*inputs)))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _make_leaf(rng.standard_normal(tuple(o.shape)), o.dtype) for o in outputs
        )
    else:
        grad_outputs = tuple(g.detach().requires_grad_() for g in _as_tuple(grad_outputs))
    n_in = len(inputs)

    def first_order(*args):
        ins, vs = args[:n_in], args[n_in:]
        outs = _differentiable_outputs(_as_tuple(func(*ins)))
        targets = [ins[i] for i in wrt]
        grads = autograd_grad(outs, targets, vs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_order, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol)


def _make_leaf(values, dtype):
    return tensor(values, dtype=dtype, requires_grad=True)
