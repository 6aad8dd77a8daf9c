"""Higher-level differentiation API, with PyTorch's signatures: ``vjp``, ``jvp``, ``jacobian``,
``hessian``, ``hvp``, ``vhp``.

``func`` takes tensors and returns a tensor or a tuple of tensors. Inputs are detached and made
to require grad inside, so the caller's tensors are untouched. ``jvp`` and ``hvp`` use the
double-vjp trick (reverse mode twice), as PyTorch's do.

Example::

    >>> import fngrad
    >>> from fngrad.autograd.functional import jacobian
    >>> jacobian(lambda x: x * x, fngrad.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
"""

from __future__ import annotations

from .. import _C
from .._creation import zeros, zeros_like
from ._engine import grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(x, what, fn_name):
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, _C.TensorBase):
            if is_tuple:
                raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                                f"the value at index {i} has type {type(t)}.")
            raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors but the "
                            f"given {what} has type {type(t)}.")
    return is_tuple, items


def _grad_preprocess(inputs, create_graph):
    """Inputs to differentiate with respect to: fresh leaves, or (under create_graph, for inputs that
    require grad) views that keep the caller's graph connected."""
    return tuple(x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_() for x in inputs)


def _finalize(items, create_graph, is_tuple):
    items = tuple(i if i is None or create_graph else i.detach() for i in items)
    return items if is_tuple else items[0]


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    outs, gos = [], []
    grad_outputs = grad_outputs if grad_outputs is not None else (None,) * len(outputs)
    for o, g in zip(outputs, grad_outputs):
        if o is not None and o.requires_grad:
            outs.append(o)
            gos.append(g)
    if not outs:
        return (None,) * len(inputs)
    return grad(outs, inputs, gos, retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


def _fill_zeros(grads, refs, strict, fn_name, what):
    out = []
    for i, (g, r) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The {what} for input {i} is independent of the input, which is not allowed in "
                                   f"strict mode ({fn_name}).")
            g = zeros_like(r)
        out.append(g)
    return tuple(out)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀ J)``. ``v`` may be omitted when func returns a one-element tensor.

    Example::

        >>> import fngrad
        >>> out, g = fngrad.autograd.functional.vjp(lambda x: x * 3, fngrad.ones(2), fngrad.ones(2))
        >>> g
        tensor([3., 3.])
    """
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph)
        outputs = func(*inputs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
        else:
            if len(outputs) != 1 or outputs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                                   "Tensor with a single element.")
        grads = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        grads = _fill_zeros(grads, inputs, strict, "vjp", "output")
    return _finalize(outputs, create_graph, out_tuple), _finalize(grads, create_graph, in_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``, by differentiating a vjp (the double-vjp trick).

    Example::

        >>> import fngrad
        >>> out, t = fngrad.autograd.functional.jvp(lambda x: x * x, fngrad.tensor([3.0]), fngrad.ones(1))
        >>> t
        tensor([6.])
    """
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
        else:
            if len(inputs) != 1 or inputs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                                   "single Tensor with a single element.")
            v = (None,)
        outputs = func(*inputs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        # u is a dummy cotangent; vᵀ (d/du of uᵀ J) = J v.
        u = tuple(zeros_like(o).requires_grad_() for o in outputs)
        g = _autograd_grad(outputs, inputs, u, create_graph=True)
        g = _fill_zeros(g, inputs, strict, "jvp", "output")
        if v == (None,):
            v = tuple(zeros_like(i) + 1 for i in inputs)
        jv = _autograd_grad(g, u, v, create_graph=create_graph)
        jv = _fill_zeros(jv, outputs, strict, "jvp", "gradient")
    return _finalize(outputs, create_graph, out_tuple), _finalize(jv, create_graph, out_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for one input and one output a tensor of shape
    ``output.shape + input.shape``, else (nested) tuples of those.

    Example::

        >>> import fngrad
        >>> fngrad.autograd.functional.jacobian(lambda x: x.sum(), fngrad.ones(3))
        tensor([1., 1., 1.])
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph)
        outputs = func(*inputs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        result = []
        for o in outputs:
            rows = [[] for _ in inputs]
            flat = o.reshape(-1)
            for k in range(flat.numel()):
                grads = _autograd_grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
                for i, (g, x) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {len(result)} of the user-provided function is independent of "
                                               f"input {i}. This is not allowed in strict mode.")
                        g = zeros(x.shape, dtype=x.dtype)
                    rows[i].append(g)
            per_input = []
            for i, x in enumerate(inputs):
                if rows[i]:
                    j = _C.stack(rows[i], 0).reshape(tuple(o.shape) + tuple(x.shape))
                else:
                    j = zeros(tuple(o.shape) + tuple(x.shape), dtype=x.dtype)
                per_input.append(j if create_graph else j.detach())
            result.append(tuple(per_input) if in_tuple else per_input[0])
    return tuple(result) if out_tuple else result[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func`` at ``inputs`` (the Jacobian of its gradient).

    Example::

        >>> import fngrad
        >>> fngrad.autograd.functional.hessian(lambda x: (x * x * x).sum(), fngrad.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = func(*xs)
        _, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element.")
        grads = _autograd_grad(outs, xs, create_graph=True)
        return _fill_zeros(grads, xs, strict, "hessian", "output")

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict)
    if not in_tuple:
        return result[0][0] if isinstance(result, tuple) and isinstance(result[0], tuple) else result[0]
    return result


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀ H)`` for a scalar ``func``.

    Example::

        >>> import fngrad
        >>> _, r = fngrad.autograd.functional.vhp(lambda x: (x * x * x).sum(), fngrad.tensor([1.0]), fngrad.ones(1))
        >>> r
        tensor([6.])
    """
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _grad_preprocess(inputs, create_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "vhp")
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single "
                               "Tensor with a single element.")
        outputs = func(*inputs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vhp")
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The function given to vhp should return a single Tensor with a single element.")
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        jac = _fill_zeros(jac, inputs, strict, "vhp", "output")
        grads = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        grads = _fill_zeros(grads, inputs, strict, "vhp", "gradient")
    return _finalize(outputs, create_graph, False), _finalize(grads, create_graph, in_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func`` (H is symmetric: the same as vhp).

    Example::

        >>> import fngrad
        >>> _, r = fngrad.autograd.functional.hvp(lambda x: (x * x).sum(), fngrad.ones(2), fngrad.ones(2))
        >>> r
        tensor([2., 2.])
    """
    return vhp(func, inputs, v, create_graph=create_graph, strict=strict)
