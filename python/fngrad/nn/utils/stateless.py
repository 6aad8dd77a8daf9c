"""Calling a module with other parameters and buffers, as ``torch.nn.utils.stateless``: for one call
the given tensors stand in for the module's own (by dotted name), which come back afterwards."""

from __future__ import annotations

import contextlib
import warnings

__all__ = ["functional_call"]

_MISSING = object()


def _untie_named_tensors_map(module, parameters_and_buffers):
    """``parameters_and_buffers`` with every name tied to a given one (the same tensor registered under
    several names, as shared embeddings) mapped to the given value as well."""
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    names_of = {}
    for name, tensor in named.items():
        names_of.setdefault(id(tensor), set()).add(name)
    tied = {name: names for names in names_of.values() if len(names) > 1 for name in names}
    given_tied = [name for name in parameters_and_buffers if name in tied]
    for name in given_tied:
        names = tied[name]
        values = {id(parameters_and_buffers[n]) for n in names if n in parameters_and_buffers}
        if len(values) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, which are tied. "
                             "Consider using tie_weights=False")
    untied = dict(parameters_and_buffers)
    for name in given_tied:
        for tied_name in tied[name]:
            untied[tied_name] = parameters_and_buffers[name]
    return untied


def _swap_tensor(module, dotted, value):
    """Puts ``value`` at ``dotted`` (a parameter's or buffer's dict entry, else an attribute) and
    returns what was there (``_MISSING`` when nothing was; ``value`` ``_MISSING`` deletes)."""
    path, _, name = dotted.rpartition(".")
    owner = module.get_submodule(path)
    for store in (owner._parameters, owner._buffers):
        if name in store:
            old = store[name]
            if value is _MISSING:
                del store[name]
            else:
                store[name] = value
            return old
    old = getattr(owner, name, _MISSING)
    if value is _MISSING:
        delattr(owner, name)
    else:
        setattr(owner, name, value)
    return old


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, *, tie_weights=False, strict=False):
    untied = _untie_named_tensors_map(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        valid = {name for name, _ in module.named_parameters(remove_duplicate=False)}
        valid |= {name for name, _ in module.named_buffers(remove_duplicate=False)}
        given = set(parameters_and_buffers)
        unexpected, missing = sorted(given - valid), sorted(valid - given)
        error_msgs = []
        if unexpected:
            error_msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            error_msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if error_msgs:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(module._get_name(),
                                                                                 "\n\t".join(error_msgs)))
    originals = {}
    try:
        for name, value in untied.items():
            originals[name] = _swap_tensor(module, name, value)
        yield
    finally:
        for name, old in originals.items():
            _swap_tensor(module, name, old)


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Calls ``module(*args, **kwargs)`` with the tensors of ``parameters_and_buffers`` (by dotted name,
    as in ``state_dict``) in place of the module's own, which are restored afterwards; gradients flow
    to the given tensors. A name tied to another (one tensor under two names) takes the same value
    unless ``tie_weights=False``; ``strict=True`` requires exactly the module's names. Deprecated in
    PyTorch (a FutureWarning) in favour of ``torch.func.functional_call``, the same call.

    >>> import warnings
    >>> import fngrad
    >>> from fngrad import nn
    >>> fc = nn.Linear(2, 1)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     nn.utils.stateless.functional_call(fc, {"weight": fngrad.ones(1, 2), "bias": fngrad.zeros(1)},
    ...                                        (fngrad.tensor([[1., 2.]]),))
    tensor([[3.]])
    """
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in "
                  "a future version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in "
                  "replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
