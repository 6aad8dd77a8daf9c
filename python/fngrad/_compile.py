"""``fngrad.compile``: PyTorch's ``torch.compile`` entry point. fngrad has no compiler (its per-op
overhead is what compile removes in PyTorch, and fngrad's is already small), so the callable is
returned unchanged and runs eagerly; the keywords are accepted and ignored. One difference: a
compiled ``nn.Module`` is the module itself, not a wrapper, so its ``state_dict`` keys have no
``_orig_mod.`` prefix.

Example::

    >>> import fngrad
    >>> double = fngrad.compile(lambda x: x * 2)
    >>> double(fngrad.ones(2))
    tensor([2., 2.])
"""

from __future__ import annotations

__all__ = ["compile"]


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None, options=None, disable=False,
            **kwargs):
    """Returns ``model`` unchanged (or, called without one, a decorator that does).

    >>> @fngrad.compile(mode="max-autotune")
    ... def f(x):
    ...     return x + 1
    >>> f(fngrad.zeros(1))
    tensor([1.])
    """
    if model is None:
        return lambda fn: compile(fn)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    return model
