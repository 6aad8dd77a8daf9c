"""``fngrad.func``: PyTorch's function transforms (``torch.func``): ``grad``, ``grad_and_value``,
``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian`` and ``vmap``, composable with each other
(``vmap(grad(f))`` gives per-sample gradients, ``jacfwd(jacrev(f))`` a Hessian).

They are written over fngrad's engine, not over a second interpreter: the derivative transforms
call ``fngrad.autograd.grad`` on a fresh view of each differentiated input (so a transform inside
another differentiates only its own paths, and keeps a graph when an outer one needs it), and
``jvp`` is the transpose of a vjp (the double-vjp rule). ``vmap`` runs the function once per
batch element and stacks the results: the same values and structure as PyTorch's batching rules,
in time proportional to the batch. Inputs and outputs may be nested tuples, lists and dicts of
tensors.

Example::

    >>> import fngrad
    >>> from fngrad.func import grad, vmap
    >>> w = fngrad.tensor([1., 2.])
    >>> xs = fngrad.tensor([[1., 1.], [2., 3.]])
    >>> vmap(grad(lambda w, x: (w * x).sum() ** 2), in_dims=(None, 0))(w, xs)
    tensor([[ 6.,  6.],
            [32., 48.]])
"""

from __future__ import annotations

import functools

from . import _C, _creation, _functions
from .autograd import grad as _autograd_grad
from .autograd.grad_mode import enable_grad
from .nn.utils.stateless import _functional_call

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "functional_call"]


# ---- nested structures (PyTorch's pytrees: tuple, list, dict) ----

def _flatten(tree):
    """(leaves, rebuild): the leaves of nested tuples/lists/dicts in order, and a function that puts
    a same-length list of leaves back into that structure."""
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(t) for t in tree]
        leaves = [leaf for p in parts for leaf in p[0]]

        def rebuild(new, kind=type(tree), parts=parts):
            out, at = [], 0
            for p_leaves, p_rebuild in parts:
                out.append(p_rebuild(new[at:at + len(p_leaves)]))
                at += len(p_leaves)
            return kind(out) if kind in (tuple, list) else kind(*out)

        return leaves, rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        values_leaves, values_rebuild = _flatten([tree[k] for k in keys])
        return values_leaves, lambda new, kind=type(tree): kind(zip(keys, values_rebuild(new)))
    return [tree], lambda new: new[0]


def _is_tensor(x):
    return isinstance(x, _C.TensorBase)


def _name(func):
    return getattr(func, "__name__", repr(func))


# ---- the derivative transforms ----

def _track(x, what):
    """A fresh differentiable handle on ``x``: a view when an outer transform already tracks it (so
    this level's derivative counts only the paths through the view), else a detached leaf."""
    if not _is_tensor(x):
        raise ValueError(f"{what}: Expected inputs to be Tensors, got {type(x)}")
    if x.requires_grad:
        return x.view_as(x)
    return x.detach().requires_grad_()


def _argnums_tuple(argnums, nargs, what):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise RuntimeError(f"{what}: argnums must be non-empty")
    for n in nums:
        if not isinstance(n, int):
            raise RuntimeError(f"{what}: argnums must be int or Tuple[int, ...], got: {type(argnums)}")
        if not -nargs <= n < nargs:
            raise RuntimeError(
                f"Got argnum={n}, but only {nargs} positional inputs"
            )
    return tuple(n % nargs for n in nums)


def _prepare(args, argnums, what):
    """Tracks the differentiated arguments; returns (new args, their leaves, rebuilders, keep_graph)."""
    nums = _argnums_tuple(argnums, len(args), what)
    new_args, leaves, rebuilds = list(args), [], []
    keep_graph = False
    for n in nums:
        arg_leaves, rebuild = _flatten(args[n])
        keep_graph = keep_graph or any(_is_tensor(x) and x.requires_grad for x in arg_leaves)
        tracked = [_track(x, what) for x in arg_leaves]
        new_args[n] = rebuild(tracked)
        leaves.append(tracked)
        rebuilds.append(rebuild)
    return new_args, leaves, rebuilds, keep_graph


def _split_aux(out, has_aux, what):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{what}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return out


def _detach_tree(tree, keep_graph):
    if keep_graph:
        return tree
    leaves, rebuild = _flatten(tree)
    return rebuild([x.detach() if _is_tensor(x) else x for x in leaves])


def _vjp_of(outputs, inputs, grad_outputs, create_graph):
    """autograd.grad of ``outputs`` (weighted by ``grad_outputs``) with respect to ``inputs``; an
    output that does not depend on any input (a constant) contributes zeros, as in PyTorch."""
    grad_outputs = grad_outputs if grad_outputs is not None else [None] * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return [_creation.zeros_like(x) for x in inputs]
    found = _autograd_grad([o for o, _ in pairs], inputs, grad_outputs=[g for _, g in pairs], retain_graph=True,
                           create_graph=create_graph, allow_unused=True, materialize_grads=True)
    return list(found)


def _grads(outputs, leaves, grad_outputs, keep_graph):
    return _vjp_of(outputs, [x for group in leaves for x in group], grad_outputs, keep_graph)


def _regroup(flat, leaves, rebuilds, argnums):
    out, at = [], 0
    for group, rebuild in zip(leaves, rebuilds):
        out.append(rebuild(flat[at:at + len(group)]))
        at += len(group)
    return out[0] if isinstance(argnums, int) else tuple(out)


def grad_and_value(func, argnums=0, has_aux=False):
    """Like :func:`grad`, returning ``(gradient, value)`` (with ``has_aux``: ``(gradient, (value, aux))``).

    >>> g, v = fngrad.func.grad_and_value(lambda x: (x ** 2).sum())(fngrad.tensor([1., 2.]))
    >>> g, v
    (tensor([2., 4.]), tensor(5.))
    """
    what = "grad_and_value(f)(*args)"

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with enable_grad():
            new_args, leaves, rebuilds, keep_graph = _prepare(args, argnums, what)
            output, aux = _split_aux(func(*new_args, **kwargs), has_aux, what)
            if not _is_tensor(output):
                raise RuntimeError(f"{what}: Expected f(*args) to return a Tensor, got {type(output)}")
            if output.dim() != 0:
                raise RuntimeError(
                    f"{what}: Expected f(*args) to return a scalar Tensor, got tensor with {output.dim()} dims. "
                    "Maybe you wanted to use the vjp or jacrev APIs instead?"
                )
            flat = _grads([output], leaves, None, keep_graph)
        gradient = _detach_tree(_regroup(flat, leaves, rebuilds, argnums), keep_graph)
        value = _detach_tree(output, keep_graph)
        return (gradient, (value, _detach_tree(aux, keep_graph))) if has_aux else (gradient, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of a scalar-valued ``func`` with respect to its ``argnums`` argument(s) (each
    may be a nested tuple/list/dict of tensors), as a function of the same arguments.

    >>> fngrad.func.grad(lambda x: (x ** 3).sum())(fngrad.tensor([1., 2.]))
    tensor([ 3., 12.])
    >>> fngrad.func.grad(fngrad.func.grad(lambda x: x ** 3))(fngrad.tensor(2.))
    tensor(12.)
    """
    both = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        gradient, value = both(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` gives the vector-Jacobian product with
    respect to each primal, as a tuple.

    >>> out, vjp_fn = fngrad.func.vjp(lambda x: x ** 2, fngrad.tensor([1., 2.]))
    >>> vjp_fn(fngrad.ones(2))
    (tensor([2., 4.]),)
    """
    what = "vjp(f, *primals)"
    with enable_grad():
        new_args, leaves, rebuilds, keep_graph = _prepare(primals, tuple(range(len(primals))), what)
        output, aux = _split_aux(func(*new_args), has_aux, what)
    out_leaves, _ = _flatten(output)
    for x in out_leaves:
        if not _is_tensor(x):
            raise RuntimeError(f"{what}: Expected f(*primals) to return only tensors, got unsupported type {type(x)}")

    def vjp_fn(cotangents):
        cot_leaves, _ = _flatten(cotangents)
        if len(cot_leaves) != len(out_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of outputs "
                               "to the function.")
        for o, c in zip(out_leaves, cot_leaves):
            if tuple(o.shape) != tuple(c.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {c.shape} and output[0] has a "
                                   f"shape of {o.shape}.")
        with enable_grad():
            flat = _grads(out_leaves, leaves, cot_leaves, keep_graph or any(c.requires_grad for c in cot_leaves))
        return _detach_tree(tuple(_regroup(flat, leaves, rebuilds, tuple(range(len(primals))))), keep_graph)

    value = _detach_tree(output, keep_graph)
    return (value, vjp_fn, _detach_tree(aux, keep_graph)) if has_aux else (value, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)``: the Jacobian-vector product, with tangents shaped as the
    primals (computed as the transpose of a vjp, the double-vjp rule).

    >>> fngrad.func.jvp(lambda x: x ** 2, (fngrad.tensor([1., 2.]),), (fngrad.ones(2),))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    what = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{what}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    if not isinstance(tangents, tuple) or len(tangents) != len(primals):
        raise RuntimeError(f"{what}: Expected primals and tangents to have the same python structure. For example, "
                           "if primals is a tuple of 3 tensors, tangents also must be. "
                           f"Got primals with structure {primals} and tangents with structure {tangents}")
    with enable_grad():
        new_args, leaves, rebuilds, keep_graph = _prepare(primals, tuple(range(len(primals))), what)
        output, aux = _split_aux(func(*new_args), has_aux, what)
        out_leaves, out_rebuild = _flatten(output)
        # u is a stand-in cotangent: vjp(u) is linear in u, so its vjp with the tangents is J @ t.
        stand_ins = [_creation.zeros_like(o).requires_grad_() for o in out_leaves]
        flat = _grads(out_leaves, leaves, stand_ins, True)
        tangent_leaves = [t for tangent in tangents for t in _flatten(tangent)[0]]
        for p, t in zip([x for g in leaves for x in g], tangent_leaves):
            if tuple(p.shape) != tuple(t.shape):
                raise RuntimeError(f"{what}: Expected primals and tangents to have the same shape, got "
                                   f"{tuple(p.shape)} and {tuple(t.shape)}")
        pushed = _vjp_of(flat, stand_ins, tangent_leaves, keep_graph)
    result = (_detach_tree(output, keep_graph), _detach_tree(out_rebuild(list(pushed)), keep_graph))
    return (*result, _detach_tree(aux, keep_graph)) if has_aux else result


def _jacobian(func, argnums, has_aux, what, by_rows):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with enable_grad():
            new_args, leaves, rebuilds, keep_graph = _prepare(args, argnums, what)
            output, aux = _split_aux(func(*new_args, **kwargs), has_aux, what)
            out_leaves, out_rebuild = _flatten(output)
            flat_in = [x for g in leaves for x in g]
            per_output = []
            for o in out_leaves:
                if not _is_tensor(o):
                    raise RuntimeError(f"{what}: Expected f to return only tensors, got {type(o)}")
                rows = []
                if by_rows:  # reverse mode: one vjp per output element
                    for k in range(o.numel()):
                        basis = _creation.zeros(o.numel(), dtype=o.dtype)
                        basis[k] = 1
                        rows.append(_grads([o], leaves, [basis.reshape(o.shape)], keep_graph))
                    blocks = [_functions.stack([r[i] for r in rows]).reshape(*o.shape, *x.shape) if rows
                              else _creation.zeros(*o.shape, *x.shape, dtype=o.dtype) for i, x in enumerate(flat_in)]
                else:  # forward mode: one jvp per input element
                    blocks = []
                    for x in flat_in:
                        cols = []
                        stand_in = _creation.zeros_like(o).requires_grad_()
                        pulled = _vjp_of([o], flat_in, [stand_in], True)
                        g = pulled[[y is x for y in flat_in].index(True)]
                        for k in range(x.numel()):
                            basis = _creation.zeros(x.numel(), dtype=x.dtype)
                            basis[k] = 1
                            col = _vjp_of([g], [stand_in], [basis.reshape(x.shape)], keep_graph)[0]
                            cols.append(col)
                        block = (_functions.stack(cols, dim=-1) if cols
                                 else _creation.zeros(*o.shape, 0, dtype=o.dtype))
                        blocks.append(block.reshape(*o.shape, *x.shape))
                per_output.append(_regroup(blocks, leaves, rebuilds, argnums))
        jac = _detach_tree(out_rebuild(per_output), keep_graph)
        return (jac, _detach_tree(aux, keep_graph)) if has_aux else jac

    return wrapper


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of ``func`` with respect to ``argnums`` by reverse mode: shape
    ``output.shape + input.shape``.

    >>> fngrad.func.jacrev(lambda x: x ** 2)(fngrad.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    return _jacobian(func, argnums, has_aux, "jacrev(f)(*args)", by_rows=True)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of ``func`` with respect to ``argnums`` by forward mode (one Jacobian-vector
    product per input element): the same values and shape as :func:`jacrev`.

    >>> fngrad.func.jacfwd(lambda x: x ** 3)(fngrad.tensor([1., 2.]))
    tensor([[ 3.,  0.],
            [ 0., 12.]])
    """
    return _jacobian(func, argnums, has_aux, "jacfwd(f)(*args)", by_rows=False)


def hessian(func, argnums=0):
    """The Hessian of a scalar ``func``: ``jacfwd(jacrev(func))``.

    >>> fngrad.func.hessian(lambda x: (x ** 3).sum())(fngrad.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


# ---- vmap ----

def _dims_per_leaf(dims, tree, where):
    """Broadcasts an in_dims entry (an int/None or a structure like ``tree``) over tree's leaves."""
    leaves, _ = _flatten(tree)
    if dims is None or isinstance(dims, int):
        return [dims] * len(leaves)
    dim_leaves, _ = _flatten(dims)
    if type(dims) is not type(tree) or len(dim_leaves) != len(leaves):
        raise ValueError(where)
    return dim_leaves


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a batch dimension of its inputs (``in_dims``: an int, None for an input
    that is not batched, or a structure matching the inputs), with the results stacked along
    ``out_dims``.

    ``randomness``: "error" refuses random draws inside (PyTorch's default), "different" gives each
    batch element its own draws, "same" gives every element the same draws.

    >>> fngrad.vmap(lambda x, y: x * y, in_dims=(0, None))(fngrad.ones(2, 3), fngrad.tensor([1., 2., 3.]))
    tensor([[1., 2., 3.],
            [1., 2., 3.]])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0) and chunk_size != -1:
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
        if not isinstance(in_dims, (int, tuple)):
            raise ValueError(f"{where}: expected `in_dims` to be int or a "
                             f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
        if isinstance(in_dims, tuple):
            if len(in_dims) != len(args):
                raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has "
                                 f"{len(in_dims)} entries but inputs has {len(args)}.")
            per_arg = in_dims
        else:
            per_arg = (in_dims,) * len(args)
        leaves, rebuild = _flatten(list(args))
        dims = [d for arg, d in zip(args, per_arg)
                for d in _dims_per_leaf(d, arg, f"{where}: in_dims is not compatible with the structure of `inputs`.")]
        size = None
        for leaf, d in zip(leaves, dims):
            if d is None:
                continue
            if not _is_tensor(leaf):
                raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type {type(leaf)}. We cannot "
                                 "vmap over non-Tensor arguments, please use None as the respective in_dim")
            if not -leaf.dim() <= d < max(leaf.dim(), 1) or leaf.dim() == 0:
                raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a Tensor of dimensionality "
                                 f"{leaf.dim()} so expected in_dim to satisfy -{leaf.dim()} <= in_dim < {leaf.dim()}.")
            n = leaf.shape[d]
            if size is not None and n != size:
                sizes = [leaf.shape[dd] for leaf, dd in zip(leaves, dims) if dd is not None]
                raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                                 f"{sizes} for the mapped dimension")
            size = n
        if size is None:
            raise ValueError("vmap: Expected at least one Tensor to vmap over")
        generator = _creation.default_generator
        start_state = generator.get_state() if randomness == "same" else None
        results = []
        _creation._vmap_randomness.append(randomness)
        try:
            for i in range(max(size, 1)):
                if start_state is not None:
                    generator.set_state(start_state)
                if size == 0:  # one call on zeros shaped as an element tells the outputs' shapes
                    sliced = [leaf if d is None else _creation.zeros(
                        [n for k, n in enumerate(leaf.shape) if k != d % leaf.dim()], dtype=leaf.dtype)
                        for leaf, d in zip(leaves, dims)]
                else:
                    sliced = [leaf if d is None else leaf.select(d, i) for leaf, d in zip(leaves, dims)]
                results.append(func(*rebuild(sliced), **kwargs))
        finally:
            _creation._vmap_randomness.pop()
        return _stack_results(results, out_dims, func, size)

    return wrapper


def _stack_results(results, out_dims, func, size):
    first_leaves, rebuild = _flatten(results[0])
    columns = [_flatten(r)[0] for r in results]
    dims = _dims_per_leaf(out_dims, results[0], f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims "
                                                "is not compatible with the structure of `outputs`.")
    stacked = []
    for j, d in enumerate(dims):
        items = [c[j] for c in columns]
        if d is None:
            stacked.append(items[0])
            continue
        if not _is_tensor(items[0]):
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type "
                             f"{type(items[0])}. Did you mean to set out_dims= to None for output?")
        dim = d if d >= 0 else d + items[0].dim() + 1
        out = _functions.stack(items, dim=dim)
        stacked.append(out.narrow(dim, 0, 0) if size == 0 else out)
    return rebuild(stacked)


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the tensors of ``parameter_and_buffer_dicts`` (one dict, or a
    tuple of dicts whose names do not overlap) standing in for its parameters and buffers, so that
    :func:`grad` and :func:`vmap` can differentiate or batch a module's output in its weights.

    >>> from fngrad import nn
    >>> layer = nn.Linear(2, 1)
    >>> params = {"weight": fngrad.ones(1, 2), "bias": fngrad.zeros(1)}
    >>> fngrad.func.functional_call(layer, params, (fngrad.tensor([1., 2.]),))
    tensor([3.])
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        merged = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        merged = {}
        for d in parameter_and_buffer_dicts:
            repeated = set(merged) & set(d)
            if repeated:
                raise ValueError(f"{sorted(repeated)} appeared in multiple dictionaries; behavior of functional call is "
                                 "ambiguous")
            merged.update(d)
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    return _functional_call(module, merged, args, kwargs, tie_weights=tie_weights, strict=strict)
