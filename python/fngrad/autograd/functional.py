"""Higher-level differentiation API, with PyTorch's signatures: ``vjp``, ``jvp``, ``jacobian``,
``hessian``, ``hvp``, ``vhp``.

``func`` takes tensors and returns a tensor or a tuple of tensors. Inputs are detached and made
to require grad inside, so the caller's tensors are untouched. ``jvp`` and ``hvp`` use the
double-vjp trick (reverse mode twice), as PyTorch's do. ``create_graph`` and ``strict`` work as
in PyTorch, with its messages. ``jacobian(strategy="forward-mode")`` and
``hessian(outer_jacobian_strategy="forward-mode")`` (forward-over-reverse) use forward-mode AD
(``fngrad.autograd.forward_ad``), one JVP per input element; as in PyTorch they need
``vectorize=True``. fngrad has no vmap: ``vectorize=True`` gives the same result as PyTorch's (which
only batches the passes) by running one pass per row or column.

Example::

    >>> import fngrad
    >>> from fngrad.autograd.functional import jacobian
    >>> jacobian(lambda x: x * x, fngrad.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
"""

from __future__ import annotations

from .. import _C
from .._creation import zeros_like
from ._engine import grad
from .forward_ad import dual_level, make_dual, unpack_dual
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

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


def _grad_preprocess(inputs, create_graph, need_graph):
    """Fresh tensor objects to differentiate with respect to: under create_graph, inputs that
    require grad stay connected to the caller's graph (a view); the others are detached."""
    return tuple(x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_(need_graph)
                 for x in inputs)


def _grad_postprocess(items, create_graph):
    return tuple(i if i is None or create_graph else i.detach() for i in items)


def _tuple_postprocess(items, is_tuple):
    return items if is_tuple else items[0]


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if tuple(el_v.shape) != tuple(el_other.shape):
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.shape} but got {el_v.shape}.")


def _check_requires_grad(items, kind, strict):
    """In strict mode, every item must exist and require grad; the message says which stage failed."""
    if not strict:
        return
    for i, t in enumerate(items):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode.")
        if t.requires_grad:
            continue
        if kind == "hessian":
            raise RuntimeError(f"The hessian of the user-provided function with respect to input {i} is independent "
                               "of the input. This is not allowed in strict mode. You should ensure that your function "
                               "is thrice differentiable and that the hessian depends on the inputs.")
        if kind == "jacobian":
            raise RuntimeError("While computing the hessian, found that the jacobian of the user-provided function "
                               f"with respect to input {i} is independent of the input. This is not allowed in strict "
                               "mode. You should ensure that your function is twice differentiable and that the "
                               "jacobian depends on the inputs (this would be violated by a linear function for "
                               "example).")
        if kind == "grad_inputs":
            raise RuntimeError(f"The gradient with respect to input {i} is independent of the inputs of the "
                               "user-provided function. This is not allowed in strict mode.")
        raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The outputs must be "
                           "computed in a differentiable manner from the input when running in strict mode.")


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad (None for every input if none does)."""
    outs, gos = [], []
    grad_outputs = grad_outputs if grad_outputs is not None else (None,) * len(outputs)
    for o, g in zip(outputs, grad_outputs):
        if o is not None and o.requires_grad:
            outs.append(o)
            gos.append(g)
    if not outs:
        return (None,) * len(inputs)
    return grad(outs, inputs, gos, retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


_STRICT_NONE = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict "
            "mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when using "
                  "the double backward trick to compute forward mode gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
                   "strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the grad_jacobian. "
                         "This is not allowed in strict mode as it prevents from using the double backward trick to "
                         "replace forward mode AD.",
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    """None -> zeros like the reference (an error in strict mode); under strict + create_graph, a
    result that does not require grad is an error too."""

    out = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_STRICT_NONE[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode when create_graph=True.")
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
        inputs = _grad_preprocess(inputs, create_graph, need_graph=True)
        out_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _grad_preprocess(v, create_graph, need_graph=False)
            _validate_v(v, outputs, out_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single Tensor "
                               "with a single element.")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        grads = _fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (_tuple_postprocess(_grad_postprocess(outputs, create_graph), out_tuple),
            _tuple_postprocess(_grad_postprocess(grads, create_graph), in_tuple))


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
        inputs = _grad_preprocess(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _grad_preprocess(v, create_graph, need_graph=False)
            _validate_v(v, inputs, in_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        out_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # u is a dummy cotangent (the backward is linear in it); vᵀ (d/du of uᵀ J) = J v.
        u = tuple(zeros_like(o).requires_grad_() for o in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, u, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    if create_graph:
        with enable_grad():
            jv = _autograd_grad(grad_inputs, u, v, create_graph=True)
    else:
        jv = _autograd_grad(grad_inputs, u, v)
    jv = _fill_in_zeros(jv, outputs, strict, create_graph, "back_trick")
    return (_tuple_postprocess(_grad_postprocess(outputs, create_graph), out_tuple),
            _tuple_postprocess(_grad_postprocess(jv, create_graph), out_tuple))


_FORWARD_NEEDS_VECTORIZE = ("Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly implemented "
                            "for `vectorize=True`.")


def _jacobian_forward_mode(func, inputs, in_tuple, strict, primals_require_grad=False):
    """The Jacobian by forward-mode AD: one JVP per element of each input (a column block each).

    ``primals_require_grad`` keeps the inputs differentiable in reverse mode inside ``func`` (the
    inner gradient of a forward-over-reverse Hessian)."""
    primals = tuple(x.detach().requires_grad_(primals_require_grad) for x in inputs)
    columns = None  # columns[i][j]: output i's tangents for the basis vectors of input j
    outputs = None
    out_tuple = False
    for j, x in enumerate(primals):
        for k in range(x.numel()):
            with dual_level():
                duals = []
                for jj, p in enumerate(primals):
                    t = p.new_zeros(tuple(p.shape))
                    if jj == j:
                        t.view(-1)[k] = 1
                    duals.append(make_dual(p, t))
                out_tuple, outs = _as_tuple(func(*duals), "outputs of the user-provided function", "jacobian")
                if outputs is None:
                    outputs = tuple(unpack_dual(o).primal for o in outs)
                    columns = [[[] for _ in primals] for _ in outs]
                for i, o in enumerate(outs):
                    tangent = unpack_dual(o).tangent
                    if tangent is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is independent of input "
                                               f"{j}. This is not allowed in strict mode.")
                        tangent = o.new_zeros(tuple(o.shape))
                    columns[i][j].append(tangent.detach())
    if outputs is None:  # no input has an element: run func once for the outputs' shapes
        out_tuple, outputs = _as_tuple(func(*primals), "outputs of the user-provided function", "jacobian")
        columns = [[[] for _ in primals] for _ in outputs]
    result = []
    for i, o in enumerate(outputs):
        per_input = tuple(
            _C.stack(cols, -1).reshape(tuple(o.shape) + tuple(x.shape)) if cols
            else o.new_zeros(tuple(o.shape) + tuple(x.shape))
            for cols, x in zip(columns[i], primals)
        )
        result.append(_tuple_postprocess(per_input, in_tuple))
    return _tuple_postprocess(tuple(result), out_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for one input and one output a tensor of shape
    ``output.shape + input.shape``, else (nested) tuples of those.

    ``vectorize=True`` gives the same Jacobian (PyTorch batches its backward passes with vmap;
    fngrad runs one per row) and, as in PyTorch, cannot be combined with ``strict=True``.
    ``strategy="forward-mode"`` computes it one column at a time with forward-mode AD (it needs
    ``vectorize=True`` and ``create_graph=False``, as in PyTorch).

    Example::

        >>> import fngrad
        >>> fngrad.autograd.functional.jacobian(lambda x: x.sum(), fngrad.ones(3))
        tensor([1., 1., 1.])
    """

    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function '
                             'has more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, '
                             'prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError("torch.autograd.functional.jacobian: `create_graph=True` and "
                                      "`strategy=\"forward-mode\"` are not supported together (yet). Please either set "
                                      "`create_graph=False` or `strategy=\"reverse-mode\"`.")
        if not vectorize:
            raise NotImplementedError(_FORWARD_NEEDS_VECTORIZE)
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        return _jacobian_forward_mode(func, inputs, in_tuple, strict)
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph, need_graph=True)
        out_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                               "supported together. Please either set `strict=False` or `vectorize=False`.")
        result = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            flat = out.reshape(-1)
            for k in range(out.numel()):
                grads = _autograd_grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
                for j, (g, x) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is independent of input "
                                               f"{j}. This is not allowed in strict mode.")
                        g = zeros_like(x)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                           "This is not allowed in strict mode when create_graph=True.")
                    rows[j].append(g)
            per_input = tuple(
                _C.stack(r, 0).reshape(tuple(out.shape) + tuple(x.shape)) if r
                else x.new_zeros(tuple(out.shape) + tuple(x.shape))
                for r, x in zip(rows, inputs)
            )
            result.append(_tuple_postprocess(_grad_postprocess(per_input, create_graph), in_tuple))
    return _tuple_postprocess(tuple(result), out_tuple)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func`` at ``inputs`` (the Jacobian of its gradient).

    ``vectorize`` as in ``jacobian``; ``outer_jacobian_strategy="forward-mode"`` takes the Jacobian
    of the (reverse-mode) gradient with forward-mode AD: forward-over-reverse (needs ``vectorize=True``).

    Example::

        >>> import fngrad
        >>> fngrad.autograd.functional.hessian(lambda x: (x * x * x).sum(), fngrad.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    if outer_jacobian_strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(_FORWARD_NEEDS_VECTORIZE)

    def single_output(*xs):
        out = func(*xs)
        is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        if is_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        return out.reshape(())

    def gradient(*xs):
        jac = jacobian(single_output, xs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    if outer_jacobian_strategy == "forward-mode":
        result = _jacobian_forward_mode(gradient, inputs, True, strict, primals_require_grad=True)
    else:
        result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize)
    return result if in_tuple else result[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀ H)`` for a scalar ``func``.

    Example::

        >>> import fngrad
        >>> _, r = fngrad.autograd.functional.vhp(lambda x: (x * x * x).sum(), fngrad.tensor([1.0]), fngrad.ones(1))
        >>> r
        tensor([6.])
    """
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func``, by the double-vjp trick (as PyTorch's; for a
    twice continuously differentiable func it equals vhp, which is cheaper).

    Example::

        >>> import fngrad
        >>> _, r = fngrad.autograd.functional.hvp(lambda x: (x * x).sum(), fngrad.ones(2), fngrad.ones(2))
        >>> r
        tensor([2., 2.])
    """
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


def _hessian_product(name, func, inputs, v, create_graph, strict):

    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", name)
        inputs = _grad_preprocess(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", name)
            v = _grad_preprocess(v, create_graph, need_graph=False)
            _validate_v(v, inputs, in_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single "
                               "Tensor with a single element.")
        out_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", name)
        _check_requires_grad(outputs, "outputs", strict)
        if out_tuple:
            raise RuntimeError(f"The function given to {name} should return a single Tensor")
        if outputs[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {name} should contain a single element")
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        if name == "hvp":
            # H v = d/dw of (Jᵀ w)ᵀ v for a dummy w, since Jᵀ w = H w is linear in w.
            w = tuple(zeros_like(x).requires_grad_() for x in inputs)
            double_back = _autograd_grad(jac, inputs, w, create_graph=True)
            _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        if name == "hvp":
            grads = _autograd_grad(double_back, w, v, create_graph=create_graph)
            grads = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back_trick")
        else:
            grads = _autograd_grad(jac, inputs, v, create_graph=create_graph)
            grads = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back")
    return (_tuple_postprocess(_grad_postprocess(outputs, create_graph), out_tuple),
            _tuple_postprocess(_grad_postprocess(grads, create_graph), in_tuple))
