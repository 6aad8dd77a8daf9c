"""Type stub of fngrad.nn.parallel, written by `python -m fngrad._stubgen` from the live module: do not edit."""

import builtins
from typing import Any, Iterator

from fngrad.nn import Module as _fngrad_nn_Module



class DistributedDataParallel(_fngrad_nn_Module):
    def __init__(self, module: Any, device_ids: Any = ..., output_device: Any = ..., dim: Any = ..., broadcast_buffers: Any = ..., init_sync: Any = ..., process_group: Any = ..., bucket_cap_mb: Any = ..., find_unused_parameters: Any = ..., check_reduction: Any = ..., gradient_as_bucket_view: Any = ..., static_graph: Any = ...) -> None: ...
    def forward(self, *args: Any, **kwargs: Any) -> Any: ...
    def no_sync(self) -> Any: ...
    broadcast_buffers: Any
    bucket_bytes_cap: Any
    dim: Any
    find_unused_parameters: Any
    gradient_as_bucket_view: Any
    module: Any
    require_backward_grad_sync: Any
    static_graph: Any
