"""``backward`` and ``grad``: the Python entry to the native engine (``_C._run_backward``).

They live apart from ``autograd/__init__.py`` so that ``gradcheck`` and ``functional``, which the
package imports, can import them at module top. ``fngrad.autograd`` re-exports both.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from .. import _C
from .._creation import zeros_like

__all__ = ["backward", "grad"]


def _tensor_tuple(x, what):
    if isinstance(x, _C.TensorBase):
        return (x,)
    if isinstance(x, Sequence):
        return tuple(x)
    raise TypeError(f"[{what}] Expected a Tensor or a sequence of Tensors, got {type(x).__name__}.")


def _grad_tuple(grads, n, what):
    if grads is None:
        return (None,) * n
    if isinstance(grads, _C.TensorBase):
        grads = (grads,)
    grads = tuple(grads)
    if len(grads) != n:
        raise RuntimeError(f"[{what}] grad_tensors should have {n} elements (one per output), got {len(grads)}.")
    out = []
    for g in grads:
        if g is not None and not isinstance(g, _C.TensorBase):
            raise TypeError(f"[{what}] gradients must be Tensors or None, got {type(g).__name__}.")
        out.append(g)
    return tuple(out)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulates into ``.grad`` of the graph's leaves the gradient of ``tensors``.

    ``grad_tensors`` gives the gradient of each tensor (optional for one-element tensors).
    ``retain_graph`` (default: ``create_graph``) keeps the saved tensors for another backward;
    ``create_graph`` records the backward itself, for higher-order gradients; ``inputs`` limits
    accumulation to those tensors.

    Example::

        >>> import fngrad
        >>> x = fngrad.ones(3, requires_grad=True)
        >>> fngrad.autograd.backward((x * 2).sum())
        >>> x.grad
        tensor([2., 2., 2.])
    """
    if grad_variables is not None:
        grad_tensors = grad_variables
    if create_graph:
        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
            "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
            "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
            "to None after use to break the cycle and avoid the leak.",
            stacklevel=2,
        )
    tensors = _tensor_tuple(tensors, "backward")
    grad_tensors = _grad_tuple(grad_tensors, len(tensors), "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _tensor_tuple(inputs, "backward")
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    _C._run_backward(tensors, grad_tensors, bool(retain_graph), bool(create_graph), inputs, True, True)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """The gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated.
    With ``is_grads_batched``, the first dim of each ``grad_outputs`` tensor is a batch of
    gradients, and each result has that batch dim first (a vector-Jacobian product per row: rows of
    the Jacobian with an identity batch).

    Example::

        >>> import fngrad
        >>> x = fngrad.tensor([1.0, 2.0], requires_grad=True)
        >>> fngrad.autograd.grad((x * x).sum(), [x])
        (tensor([2., 4.]),)
        >>> fngrad.autograd.grad(x * x, x, fngrad.eye(2), is_grads_batched=True)[0]
        tensor([[2., 0.],
                [0., 4.]])
    """
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    outputs = _tensor_tuple(outputs, "grad")
    inputs_t = _tensor_tuple(inputs, "grad")
    if len(inputs_t) == 0:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    grad_outputs = _grad_tuple(grad_outputs, len(outputs), "grad")
    if retain_graph is None:
        retain_graph = create_graph
    result = _C._run_backward(outputs, grad_outputs, bool(retain_graph), bool(create_graph), inputs_t,
                              bool(allow_unused), False)
    if materialize_grads:
        result = tuple(zeros_like(i) if r is None else r for r, i in zip(result, inputs_t))
    return tuple(result)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads):
    """grad() once per row of the batched grad_outputs, the graph kept until the last row; the
    results stacked along a new first dim (PyTorch vmaps this; the values are the same)."""
    outputs = _tensor_tuple(outputs, "grad")
    batched = _grad_tuple(grad_outputs, len(outputs), "grad")
    sizes = set()
    for i, (g, out) in enumerate(zip(batched, outputs)):
        if g is None or tuple(g.shape[1:]) != tuple(out.shape):
            shown = "None" if g is None else f"fngrad.Size({list(g.shape[1:])})"  # the dims after the batch
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each grad_output as the batch "
                "dimension. The sizes of the remaining dimensions are expected to match the shape of corresponding "
                f"output, but a mismatch was detected: grad_output[{i}] has a shape of {shown} and output[{i}] has a "
                f"shape of fngrad.Size({list(out.shape)}). If you only want some tensors in `grad_output` to be "
                "considered batched, consider using vmap.")
        sizes.add(g.shape[0])
    if len(sizes) != 1:
        raise RuntimeError(f"[grad] is_grads_batched=True: every grad_output needs the same batch size, got "
                           f"{sorted(sizes)}.")
    (rows,) = sizes
    keep = create_graph if retain_graph is None else retain_graph
    per_row = [grad(outputs, inputs, tuple(g[r] for g in batched), retain_graph=True if r < rows - 1 else keep,
                    create_graph=create_graph, allow_unused=allow_unused, materialize_grads=materialize_grads)
               for r in range(rows)]
    if rows == 0:  # no row to run: the shapes come from the inputs
        return tuple(zeros_like(i).unsqueeze(0)[:0] for i in _tensor_tuple(inputs, "grad"))
    return tuple(None if parts[0] is None else _C.stack(list(parts), 0) for parts in zip(*per_row))
