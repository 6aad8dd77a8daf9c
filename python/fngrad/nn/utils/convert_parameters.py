"""One vector from many parameters and back, as ``torch.nn.utils.parameters_to_vector``."""

from __future__ import annotations

from ... import _C
from ..modules.module import _typename

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated into one 1-D tensor (differentiable).

    >>> from fngrad import nn
    >>> nn.utils.parameters_to_vector(nn.Linear(2, 3).parameters()).shape
    fngrad.Size([9])
    """
    return _C.cat([p.reshape(-1) for p in parameters], 0)


def vector_to_parameters(vec, parameters):
    """Sets each parameter's data to the matching slice of the 1-D ``vec`` (a view of it, no copy).

    >>> fc = fngrad.nn.Linear(2, 1)
    >>> fngrad.nn.utils.vector_to_parameters(fngrad.tensor([1., 2., 3.]), fc.parameters())
    >>> fc.weight, fc.bias
    (Parameter containing:
    tensor([[1., 2.]], requires_grad=True), Parameter containing:
    tensor([3.], requires_grad=True))
    """
    if not isinstance(vec, _C.TensorBase):

        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for param in parameters:
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param
