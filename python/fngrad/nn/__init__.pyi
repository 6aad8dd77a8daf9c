"""Type stub of fngrad.nn, written by `python -m fngrad._stubgen` from the live module: do not edit."""

import builtins
from typing import Any, Iterator

from fngrad._C import TensorBase as _fngrad__C_TensorBase
from fngrad._tensor import Tensor as _fngrad__tensor_Tensor
from fngrad.nn import functional as functional
from fngrad.nn import init as init
from fngrad.nn import parallel as parallel
from fngrad.nn import utils as utils



class Parameter(_fngrad__tensor_Tensor):
    def __deepcopy__(self, memo: Any) -> Any: ...
    def __repr__(self) -> builtins.str: ...
    def __str__(self) -> builtins.str: ...


class Buffer(_fngrad__tensor_Tensor):
    ...


class UninitializedParameter(Parameter):
    def __deepcopy__(self, memo: Any) -> Any: ...
    def __repr__(self) -> builtins.str: ...
    def __str__(self) -> builtins.str: ...
    cls_to_become: type[Any]
    def materialize(self, shape: Any, device: Any = ..., dtype: Any = ...) -> Any: ...
    @property
    def shape(self) -> Any: ...
    def size(self, dim: Any = ...) -> Any: ...  # type: ignore[override]


class UninitializedBuffer(_fngrad__tensor_Tensor):
    def __repr__(self) -> builtins.str: ...
    def __str__(self) -> builtins.str: ...
    cls_to_become: type[Any]
    def materialize(self, shape: Any, device: Any = ..., dtype: Any = ...) -> Any: ...
    @property
    def shape(self) -> Any: ...
    def size(self, dim: Any = ...) -> Any: ...  # type: ignore[override]


class Module:
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
    def __dir__(self) -> Any: ...
    def __getattr__(self, name: builtins.str) -> Any: ...
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    def __repr__(self) -> builtins.str: ...
    def add_module(self, name: Any, module: Any) -> Any: ...
    def apply(self, fn: Any) -> Any: ...
    def buffers(self, recurse: Any = ...) -> Any: ...
    def children(self) -> Any: ...
    def cpu(self) -> Any: ...
    def double(self) -> Any: ...
    def eval(self) -> Any: ...
    def extra_repr(self) -> Any: ...
    def float(self) -> Any: ...
    def forward(self, *args: Any, **kwargs: Any) -> Any: ...
    def get_buffer(self, target: Any) -> Any: ...
    def get_parameter(self, target: Any) -> Any: ...
    def get_submodule(self, target: Any) -> Any: ...
    def load_state_dict(self, state_dict: Any, strict: Any = ..., assign: Any = ...) -> Any: ...
    def modules(self) -> Any: ...
    def named_buffers(self, prefix: Any = ..., recurse: Any = ..., remove_duplicate: Any = ...) -> Any: ...
    def named_children(self) -> Any: ...
    def named_modules(self, memo: Any = ..., prefix: Any = ..., remove_duplicate: Any = ...) -> Any: ...
    def named_parameters(self, prefix: Any = ..., recurse: Any = ..., remove_duplicate: Any = ...) -> Any: ...
    def parameters(self, recurse: Any = ...) -> Any: ...
    def register_buffer(self, name: Any, tensor: Any, persistent: Any = ...) -> Any: ...
    def register_forward_hook(self, hook: Any, *, prepend: Any = ..., with_kwargs: Any = ..., always_call: Any = ...) -> Any: ...
    def register_forward_pre_hook(self, hook: Any, *, prepend: Any = ..., with_kwargs: Any = ...) -> Any: ...
    def register_full_backward_hook(self, hook: Any, prepend: Any = ...) -> Any: ...
    def register_full_backward_pre_hook(self, hook: Any, prepend: Any = ...) -> Any: ...
    def register_module(self, name: Any, module: Any) -> Any: ...
    def register_parameter(self, name: Any, param: Any) -> Any: ...
    def requires_grad_(self, requires_grad: Any = ...) -> Any: ...
    def state_dict(self, *args: Any, destination: Any = ..., prefix: Any = ..., keep_vars: Any = ...) -> Any: ...
    def to(self, *args: Any, **kwargs: Any) -> Any: ...
    def train(self, mode: Any = ...) -> Any: ...
    def type(self, dst_type: Any) -> Any: ...
    def zero_grad(self, set_to_none: Any = ...) -> Any: ...


class Sequential(Module):
    def __add__(self, other: Any) -> Any: ...
    def __delitem__(self, idx: Any) -> Any: ...
    def __dir__(self) -> Any: ...
    def __getitem__(self, idx: Any) -> Any: ...
    def __iadd__(self, other: Any) -> Any: ...
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> builtins.int: ...
    def __setitem__(self, idx: Any, module: Any) -> Any: ...
    def append(self, module: Any) -> Any: ...
    def extend(self, sequential: Any) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def insert(self, index: Any, module: Any) -> Any: ...
    def pop(self, key: Any) -> Any: ...


class ModuleList(Module):
    def __add__(self, other: Any) -> Any: ...
    def __delitem__(self, idx: Any) -> Any: ...
    def __dir__(self) -> Any: ...
    def __getitem__(self, idx: Any) -> Any: ...
    def __iadd__(self, modules: Any) -> Any: ...
    def __init__(self, modules: Any = ...) -> None: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> builtins.int: ...
    def __repr__(self) -> builtins.str: ...
    def __setitem__(self, idx: Any, module: Any) -> Any: ...
    def append(self, module: Any) -> Any: ...
    def extend(self, modules: Any) -> Any: ...
    def insert(self, index: Any, module: Any) -> Any: ...
    def pop(self, key: Any) -> Any: ...


class ModuleDict(Module):
    def __contains__(self, key: Any) -> builtins.bool: ...
    def __delitem__(self, key: Any) -> Any: ...
    def __getitem__(self, key: Any) -> Any: ...
    def __init__(self, modules: Any = ...) -> None: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> builtins.int: ...
    def __setitem__(self, key: Any, module: Any) -> Any: ...
    def clear(self) -> Any: ...
    def items(self) -> Any: ...
    def keys(self) -> Any: ...
    def pop(self, key: Any) -> Any: ...
    def update(self, modules: Any) -> Any: ...
    def values(self) -> Any: ...


class ParameterList(Module):
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
    def __dir__(self) -> Any: ...
    def __getitem__(self, idx: Any) -> Any: ...
    def __iadd__(self, parameters: Any) -> Any: ...
    def __init__(self, values: Any = ...) -> None: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> builtins.int: ...
    def __setitem__(self, idx: Any, param: Any) -> Any: ...
    def append(self, value: Any) -> Any: ...
    def extend(self, values: Any) -> Any: ...
    def extra_repr(self) -> Any: ...


class ParameterDict(Module):
    def __call__(self, input: Any) -> Any: ...  # type: ignore[override]
    def __contains__(self, key: Any) -> builtins.bool: ...
    def __delitem__(self, key: Any) -> Any: ...
    def __getitem__(self, key: Any) -> Any: ...
    def __init__(self, parameters: Any = ...) -> None: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> builtins.int: ...
    def __reversed__(self) -> Any: ...
    def __setitem__(self, key: Any, value: Any) -> Any: ...
    def clear(self) -> Any: ...
    def copy(self) -> Any: ...
    def extra_repr(self) -> Any: ...
    def fromkeys(self, keys: Any, default: Any = ...) -> Any: ...
    def get(self, key: Any, default: Any = ...) -> Any: ...
    def items(self) -> Any: ...
    def keys(self) -> Any: ...
    def pop(self, key: Any) -> Any: ...
    def popitem(self) -> Any: ...
    def setdefault(self, key: Any, default: Any = ...) -> Any: ...
    def update(self, parameters: Any) -> Any: ...
    def values(self) -> Any: ...


class Identity(Module):
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class Linear(Module):
    def __init__(self, in_features: Any, out_features: Any, bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    bias: Any
    in_features: Any
    out_features: Any
    weight: Any


class Bilinear(Module):
    def __init__(self, in1_features: Any, in2_features: Any, out_features: Any, bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input1: Any, input2: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    bias: Any
    in1_features: Any
    in2_features: Any
    out_features: Any
    weight: Any


class Flatten(Module):
    def __init__(self, start_dim: Any = ..., end_dim: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    end_dim: Any
    start_dim: Any


class Unflatten(Module):
    def __init__(self, dim: Any, unflattened_size: Any) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    dim: Any
    unflattened_size: Any


class Embedding(Module):
    def __init__(self, num_embeddings: Any, embedding_dim: Any, padding_idx: Any = ..., max_norm: Any = ..., norm_type: Any = ..., scale_grad_by_freq: Any = ..., sparse: Any = ..., _weight: Any = ..., _freeze: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    @classmethod
    def from_pretrained(self, embeddings: Any, freeze: Any = ..., padding_idx: Any = ..., max_norm: Any = ..., norm_type: Any = ..., scale_grad_by_freq: Any = ..., sparse: Any = ...) -> Any: ...
    def reset_parameters(self) -> Any: ...
    embedding_dim: Any
    max_norm: Any
    norm_type: Any
    num_embeddings: Any
    padding_idx: Any
    scale_grad_by_freq: Any
    sparse: Any
    weight: Any


class EmbeddingBag(Module):
    def __init__(self, num_embeddings: Any, embedding_dim: Any, max_norm: Any = ..., norm_type: Any = ..., scale_grad_by_freq: Any = ..., mode: Any = ..., sparse: Any = ..., _weight: Any = ..., include_last_offset: Any = ..., padding_idx: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any, offsets: Any = ..., per_sample_weights: Any = ...) -> Any: ...  # type: ignore[override]
    @classmethod
    def from_pretrained(self, embeddings: Any, freeze: Any = ..., max_norm: Any = ..., norm_type: Any = ..., scale_grad_by_freq: Any = ..., mode: Any = ..., sparse: Any = ..., include_last_offset: Any = ..., padding_idx: Any = ...) -> Any: ...
    def reset_parameters(self) -> Any: ...
    padding_idx: Any
    weight: Any


class Dropout(Module):
    def __init__(self, p: Any = ..., inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any
    p: Any


class Dropout1d(Module):
    def __init__(self, p: Any = ..., inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any
    p: Any


class Dropout2d(Module):
    def __init__(self, p: Any = ..., inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any
    p: Any


class Dropout3d(Module):
    def __init__(self, p: Any = ..., inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any
    p: Any


class AlphaDropout(Module):
    def __init__(self, p: Any = ..., inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any
    p: Any


class FeatureAlphaDropout(Module):
    def __init__(self, p: Any = ..., inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any
    p: Any


class LayerNorm(Module):
    def __init__(self, normalized_shape: Any, eps: Any = ..., elementwise_affine: Any = ..., bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    bias: Any
    elementwise_affine: Any
    eps: Any
    normalized_shape: Any
    weight: Any


class GroupNorm(Module):
    def __init__(self, num_groups: Any, num_channels: Any, eps: Any = ..., affine: Any = ..., bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    affine: Any
    bias: Any
    eps: Any
    num_channels: Any
    num_groups: Any
    weight: Any


class RMSNorm(Module):
    def __init__(self, normalized_shape: Any, eps: Any = ..., elementwise_affine: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    elementwise_affine: Any
    eps: Any
    normalized_shape: Any
    weight: Any


class LocalResponseNorm(Module):
    def __init__(self, size: Any, alpha: Any = ..., beta: Any = ..., k: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class BatchNorm1d(Module):
    def __init__(self, num_features: Any, eps: Any = ..., momentum: Any = ..., affine: Any = ..., track_running_stats: Any = ..., bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    def reset_running_stats(self) -> Any: ...
    affine: Any
    bias: Any
    eps: Any
    momentum: Any
    num_features: Any
    track_running_stats: Any
    weight: Any


class BatchNorm2d(Module):
    def __init__(self, num_features: Any, eps: Any = ..., momentum: Any = ..., affine: Any = ..., track_running_stats: Any = ..., bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    def reset_running_stats(self) -> Any: ...
    affine: Any
    bias: Any
    eps: Any
    momentum: Any
    num_features: Any
    track_running_stats: Any
    weight: Any


class BatchNorm3d(Module):
    def __init__(self, num_features: Any, eps: Any = ..., momentum: Any = ..., affine: Any = ..., track_running_stats: Any = ..., bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    def reset_running_stats(self) -> Any: ...
    affine: Any
    bias: Any
    eps: Any
    momentum: Any
    num_features: Any
    track_running_stats: Any
    weight: Any


class SyncBatchNorm(Module):
    def __init__(self, num_features: Any, eps: Any = ..., momentum: Any = ..., affine: Any = ..., track_running_stats: Any = ..., process_group: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    @classmethod
    def convert_sync_batchnorm(self, module: Any, process_group: Any = ...) -> Any: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    def reset_running_stats(self) -> Any: ...
    process_group: Any


class InstanceNorm1d(Module):
    def __init__(self, num_features: Any, eps: Any = ..., momentum: Any = ..., affine: Any = ..., track_running_stats: Any = ..., device: Any = ..., dtype: Any = ..., *, bias: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class InstanceNorm2d(Module):
    def __init__(self, num_features: Any, eps: Any = ..., momentum: Any = ..., affine: Any = ..., track_running_stats: Any = ..., device: Any = ..., dtype: Any = ..., *, bias: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class InstanceNorm3d(Module):
    def __init__(self, num_features: Any, eps: Any = ..., momentum: Any = ..., affine: Any = ..., track_running_stats: Any = ..., device: Any = ..., dtype: Any = ..., *, bias: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class Conv1d(Module):
    def __init__(self, in_channels: Any, out_channels: Any, kernel_size: Any, stride: Any = ..., padding: Any = ..., dilation: Any = ..., groups: Any = ..., bias: Any = ..., padding_mode: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    bias: Any
    dilation: Any
    groups: Any
    in_channels: Any
    kernel_size: Any
    out_channels: Any
    output_padding: Any
    padding: Any
    padding_mode: Any
    stride: Any
    transposed: Any
    weight: Any


class Conv2d(Module):
    def __init__(self, in_channels: Any, out_channels: Any, kernel_size: Any, stride: Any = ..., padding: Any = ..., dilation: Any = ..., groups: Any = ..., bias: Any = ..., padding_mode: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    bias: Any
    dilation: Any
    groups: Any
    in_channels: Any
    kernel_size: Any
    out_channels: Any
    output_padding: Any
    padding: Any
    padding_mode: Any
    stride: Any
    transposed: Any
    weight: Any


class Conv3d(Module):
    def __init__(self, in_channels: Any, out_channels: Any, kernel_size: Any, stride: Any = ..., padding: Any = ..., dilation: Any = ..., groups: Any = ..., bias: Any = ..., padding_mode: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    bias: Any
    dilation: Any
    groups: Any
    in_channels: Any
    kernel_size: Any
    out_channels: Any
    output_padding: Any
    padding: Any
    padding_mode: Any
    stride: Any
    transposed: Any
    weight: Any


class ConvTranspose1d(Module):
    def __init__(self, in_channels: Any, out_channels: Any, kernel_size: Any, stride: Any = ..., padding: Any = ..., output_padding: Any = ..., groups: Any = ..., bias: Any = ..., dilation: Any = ..., padding_mode: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any, output_size: Any = ...) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    output_padding: Any


class ConvTranspose2d(Module):
    def __init__(self, in_channels: Any, out_channels: Any, kernel_size: Any, stride: Any = ..., padding: Any = ..., output_padding: Any = ..., groups: Any = ..., bias: Any = ..., dilation: Any = ..., padding_mode: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any, output_size: Any = ...) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    output_padding: Any


class ConvTranspose3d(Module):
    def __init__(self, in_channels: Any, out_channels: Any, kernel_size: Any, stride: Any = ..., padding: Any = ..., output_padding: Any = ..., groups: Any = ..., bias: Any = ..., dilation: Any = ..., padding_mode: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any, output_size: Any = ...) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    output_padding: Any


class LazyModuleMixin:
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    cls_to_become: Any
    def has_uninitialized_params(self) -> Any: ...
    def initialize_parameters(self, *args: Any, **kwargs: Any) -> Any: ...


class LazyLinear(LazyModuleMixin):
    def __init__(self, out_features: Any, bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    cls_to_become: type[Any]
    def initialize_parameters(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    bias: Any
    out_features: Any
    weight: Any


class LazyConv1d(LazyModuleMixin):
    def __init__(self, out_channels: Any, kernel_size: Any, stride: Any = ..., padding: Any = ..., dilation: Any = ..., groups: Any = ..., bias: Any = ..., padding_mode: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    cls_to_become: type[Any]
    def initialize_parameters(self, input: Any, *args: Any, **kwargs: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...


class LazyConv2d(LazyModuleMixin):
    def __init__(self, out_channels: Any, kernel_size: Any, stride: Any = ..., padding: Any = ..., dilation: Any = ..., groups: Any = ..., bias: Any = ..., padding_mode: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    cls_to_become: type[Any]
    def initialize_parameters(self, input: Any, *args: Any, **kwargs: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...


class LazyConvTranspose1d(LazyModuleMixin):
    def __init__(self, out_channels: Any, kernel_size: Any, stride: Any = ..., padding: Any = ..., output_padding: Any = ..., groups: Any = ..., bias: Any = ..., dilation: Any = ..., padding_mode: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    cls_to_become: type[Any]
    def initialize_parameters(self, input: Any, *args: Any, **kwargs: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...


class LazyConvTranspose2d(LazyModuleMixin):
    def __init__(self, out_channels: Any, kernel_size: Any, stride: Any = ..., padding: Any = ..., output_padding: Any = ..., groups: Any = ..., bias: Any = ..., dilation: Any = ..., padding_mode: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    cls_to_become: type[Any]
    def initialize_parameters(self, input: Any, *args: Any, **kwargs: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...


class LazyBatchNorm1d(LazyModuleMixin):
    def __init__(self, eps: Any = ..., momentum: Any = ..., affine: Any = ..., track_running_stats: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    cls_to_become: type[Any]
    def initialize_parameters(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...


class LazyBatchNorm2d(LazyModuleMixin):
    def __init__(self, eps: Any = ..., momentum: Any = ..., affine: Any = ..., track_running_stats: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    cls_to_become: type[Any]
    def initialize_parameters(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...


class LazyInstanceNorm1d(LazyModuleMixin):
    def __init__(self, eps: Any = ..., momentum: Any = ..., affine: Any = ..., track_running_stats: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    cls_to_become: type[Any]
    def initialize_parameters(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...


class LazyInstanceNorm2d(LazyModuleMixin):
    def __init__(self, eps: Any = ..., momentum: Any = ..., affine: Any = ..., track_running_stats: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    cls_to_become: type[Any]
    def initialize_parameters(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...


class PixelShuffle(Module):
    def __init__(self, upscale_factor: Any) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    upscale_factor: Any


class PixelUnshuffle(Module):
    def __init__(self, downscale_factor: Any) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    downscale_factor: Any


class ChannelShuffle(Module):
    def __init__(self, groups: Any) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    groups: Any


class Unfold(Module):
    def __init__(self, kernel_size: Any, dilation: Any = ..., padding: Any = ..., stride: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class Fold(Module):
    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = ..., padding: Any = ..., stride: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class MaxPool1d(Module):
    def __init__(self, kernel_size: Any, stride: Any = ..., padding: Any = ..., dilation: Any = ..., return_indices: Any = ..., ceil_mode: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    ceil_mode: Any
    dilation: Any
    kernel_size: Any
    padding: Any
    return_indices: Any
    stride: Any


class MaxPool2d(Module):
    def __init__(self, kernel_size: Any, stride: Any = ..., padding: Any = ..., dilation: Any = ..., return_indices: Any = ..., ceil_mode: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    ceil_mode: Any
    dilation: Any
    kernel_size: Any
    padding: Any
    return_indices: Any
    stride: Any


class MaxPool3d(Module):
    def __init__(self, kernel_size: Any, stride: Any = ..., padding: Any = ..., dilation: Any = ..., return_indices: Any = ..., ceil_mode: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    ceil_mode: Any
    dilation: Any
    kernel_size: Any
    padding: Any
    return_indices: Any
    stride: Any


class AvgPool1d(Module):
    def __init__(self, kernel_size: Any, stride: Any = ..., padding: Any = ..., ceil_mode: Any = ..., count_include_pad: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    ceil_mode: Any
    count_include_pad: Any
    kernel_size: Any
    padding: Any
    stride: Any


class AvgPool2d(Module):
    def __init__(self, kernel_size: Any, stride: Any = ..., padding: Any = ..., ceil_mode: Any = ..., count_include_pad: Any = ..., divisor_override: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    ceil_mode: Any
    count_include_pad: Any
    divisor_override: Any
    kernel_size: Any
    padding: Any
    stride: Any


class AvgPool3d(AvgPool2d):
    def forward(self, input: Any) -> Any: ...


class AdaptiveAvgPool1d(Module):
    def __init__(self, output_size: Any) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    output_size: Any


class AdaptiveAvgPool2d(Module):
    def __init__(self, output_size: Any) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    output_size: Any


class AdaptiveAvgPool3d(Module):
    def __init__(self, output_size: Any) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    output_size: Any


class AdaptiveMaxPool1d(Module):
    def __init__(self, output_size: Any, return_indices: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    return_indices: Any


class AdaptiveMaxPool2d(Module):
    def __init__(self, output_size: Any, return_indices: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    return_indices: Any


class AdaptiveMaxPool3d(Module):
    def __init__(self, output_size: Any, return_indices: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    return_indices: Any


class MaxUnpool1d(Module):
    def __init__(self, kernel_size: Any, stride: Any = ..., padding: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any, indices: Any, output_size: Any = ...) -> Any: ...  # type: ignore[override]
    kernel_size: Any
    padding: Any
    stride: Any


class MaxUnpool2d(Module):
    def __init__(self, kernel_size: Any, stride: Any = ..., padding: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any, indices: Any, output_size: Any = ...) -> Any: ...  # type: ignore[override]
    kernel_size: Any
    padding: Any
    stride: Any


class MaxUnpool3d(Module):
    def __init__(self, kernel_size: Any, stride: Any = ..., padding: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any, indices: Any, output_size: Any = ...) -> Any: ...  # type: ignore[override]
    kernel_size: Any
    padding: Any
    stride: Any


class LPPool1d(Module):
    def __init__(self, norm_type: Any, kernel_size: Any, stride: Any = ..., ceil_mode: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    ceil_mode: Any
    kernel_size: Any
    norm_type: Any
    stride: Any


class LPPool2d(Module):
    def __init__(self, norm_type: Any, kernel_size: Any, stride: Any = ..., ceil_mode: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    ceil_mode: Any
    kernel_size: Any
    norm_type: Any
    stride: Any


class LPPool3d(Module):
    def __init__(self, norm_type: Any, kernel_size: Any, stride: Any = ..., ceil_mode: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    ceil_mode: Any
    kernel_size: Any
    norm_type: Any
    stride: Any


class ConstantPad1d(Module):
    def __init__(self, padding: Any, value: Any) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    mode: Any
    nd: Any


class ConstantPad2d(ConstantPad1d):
    nd: Any


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding: Any) -> None: ...
    def extra_repr(self) -> Any: ...


class ZeroPad2d(ZeroPad1d):
    nd: Any


class ReflectionPad1d(Module):
    def __init__(self, padding: Any, value: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    mode: Any
    nd: Any
    padding: Any
    value: Any


class ReflectionPad2d(ReflectionPad1d):
    nd: Any


class ReplicationPad1d(ReflectionPad1d):
    mode: Any


class ReplicationPad2d(ReplicationPad1d):
    nd: Any


class CircularPad1d(ReflectionPad1d):
    mode: Any


class CircularPad2d(CircularPad1d):
    nd: Any


class Upsample(Module):
    def __init__(self, size: Any = ..., scale_factor: Any = ..., mode: Any = ..., align_corners: Any = ..., recompute_scale_factor: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    align_corners: Any
    mode: Any
    recompute_scale_factor: Any
    scale_factor: Any
    size: Any


class PairwiseDistance(Module):
    def __init__(self, p: Any = ..., eps: Any = ..., keepdim: Any = ...) -> None: ...
    def forward(self, x1: Any, x2: Any) -> Any: ...  # type: ignore[override]
    eps: Any
    keepdim: Any
    norm: Any


class CosineSimilarity(Module):
    def __init__(self, dim: Any = ..., eps: Any = ...) -> None: ...
    def forward(self, x1: Any, x2: Any) -> Any: ...  # type: ignore[override]
    dim: Any
    eps: Any


class UpsamplingNearest2d(Upsample):
    def __init__(self, size: Any = ..., scale_factor: Any = ...) -> None: ...


class UpsamplingBilinear2d(Upsample):
    def __init__(self, size: Any = ..., scale_factor: Any = ...) -> None: ...


class ConstantPad3d(ConstantPad1d):
    nd: Any


class ZeroPad3d(ZeroPad1d):
    nd: Any


class ReflectionPad3d(ReflectionPad1d):
    nd: Any


class ReplicationPad3d(ReplicationPad1d):
    nd: Any


class CircularPad3d(CircularPad1d):
    nd: Any


class RNNBase(Module):
    def __init__(self, mode: Any, input_size: Any, hidden_size: Any, num_layers: Any = ..., bias: Any = ..., batch_first: Any = ..., dropout: Any = ..., bidirectional: Any = ..., proj_size: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    @property
    def all_weights(self) -> Any: ...
    def extra_repr(self) -> Any: ...
    def flatten_parameters(self) -> Any: ...
    def forward(self, input: Any, hx: Any = ...) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    batch_first: Any
    bias: Any
    bidirectional: Any
    dropout: Any
    hidden_size: Any
    input_size: Any
    mode: Any
    num_layers: Any
    proj_size: Any


class RNN(RNNBase):
    def __init__(self, input_size: Any, hidden_size: Any, num_layers: Any = ..., nonlinearity: Any = ..., bias: Any = ..., batch_first: Any = ..., dropout: Any = ..., bidirectional: Any = ..., device: Any = ..., dtype: Any = ..., **kwargs: Any) -> None: ...
    nonlinearity: Any


class LSTM(RNNBase):
    def __init__(self, input_size: Any, hidden_size: Any, num_layers: Any = ..., bias: Any = ..., batch_first: Any = ..., dropout: Any = ..., bidirectional: Any = ..., proj_size: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...


class GRU(RNNBase):
    def __init__(self, input_size: Any, hidden_size: Any, num_layers: Any = ..., bias: Any = ..., batch_first: Any = ..., dropout: Any = ..., bidirectional: Any = ..., device: Any = ..., dtype: Any = ..., **kwargs: Any) -> None: ...


class RNNCell(Module):
    def __init__(self, input_size: Any, hidden_size: Any, bias: Any = ..., nonlinearity: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any, hx: Any = ...) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    nonlinearity: Any


class LSTMCell(Module):
    def __init__(self, input_size: Any, hidden_size: Any, bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any, hx: Any = ...) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...


class GRUCell(Module):
    def __init__(self, input_size: Any, hidden_size: Any, bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any, hx: Any = ...) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...


class ReLU(Module):
    def __init__(self, inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any


class LeakyReLU(Module):
    def __init__(self, negative_slope: Any = ..., inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any
    negative_slope: Any


class ELU(Module):
    def __init__(self, alpha: Any = ..., inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    alpha: Any
    inplace: Any


class GELU(Module):
    def __init__(self, approximate: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    approximate: Any


class SiLU(Module):
    def __init__(self, inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any


class Mish(Module):
    def __init__(self, inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any


class Softplus(Module):
    def __init__(self, beta: Any = ..., threshold: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    beta: Any
    threshold: Any


class Tanh(Module):
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class Sigmoid(Module):
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class Softmax(Module):
    def __init__(self, dim: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    dim: Any


class LogSoftmax(Softmax):
    def forward(self, input: Any) -> Any: ...


class Hardtanh(Module):
    def __init__(self, min_val: Any = ..., max_val: Any = ..., inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any
    max_val: Any
    min_val: Any


class ReLU6(Module):
    def __init__(self, inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any


class Hardsigmoid(Module):
    def __init__(self, inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any


class Hardswish(Module):
    def __init__(self, inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any


class SELU(Module):
    def __init__(self, inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any


class CELU(Module):
    def __init__(self, alpha: Any = ..., inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    alpha: Any
    inplace: Any


class GLU(Module):
    def __init__(self, dim: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    dim: Any


class LogSigmoid(Module):
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class Softsign(Module):
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class Tanhshrink(Module):
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class Softshrink(Module):
    def __init__(self, lambd: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    lambd: Any


class Hardshrink(Softshrink):
    def forward(self, input: Any) -> Any: ...


class Threshold(Module):
    def __init__(self, threshold: Any, value: Any, inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any
    threshold: Any
    value: Any


class PReLU(Module):
    def __init__(self, num_parameters: Any = ..., init: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    def reset_parameters(self) -> Any: ...
    init: Any
    num_parameters: Any
    weight: Any


class RReLU(Module):
    def __init__(self, lower: Any = ..., upper: Any = ..., inplace: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    inplace: Any
    lower: Any
    upper: Any


class Softmin(Module):
    def __init__(self, dim: Any = ...) -> None: ...
    def extra_repr(self) -> Any: ...
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]
    dim: Any


class Softmax2d(Module):
    def forward(self, input: Any) -> Any: ...  # type: ignore[override]


class MultiheadAttention(Module):
    def __init__(self, embed_dim: Any, num_heads: Any, dropout: Any = ..., bias: Any = ..., add_bias_kv: Any = ..., add_zero_attn: Any = ..., kdim: Any = ..., vdim: Any = ..., batch_first: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = ..., need_weights: Any = ..., attn_mask: Any = ..., average_attn_weights: Any = ..., is_causal: Any = ...) -> Any: ...  # type: ignore[override]
    def merge_masks(self, attn_mask: Any, key_padding_mask: Any, query: Any) -> Any: ...
    add_zero_attn: Any
    batch_first: Any
    bias_k: Any
    bias_v: Any
    dropout: Any
    embed_dim: Any
    head_dim: Any
    in_proj_bias: Any
    in_proj_weight: Any
    k_proj_weight: Any
    kdim: Any
    num_heads: Any
    out_proj: Any
    q_proj_weight: Any
    v_proj_weight: Any
    vdim: Any


class Transformer(Module):
    def __init__(self, d_model: Any = ..., nhead: Any = ..., num_encoder_layers: Any = ..., num_decoder_layers: Any = ..., dim_feedforward: Any = ..., dropout: Any = ..., activation: Any = ..., custom_encoder: Any = ..., custom_decoder: Any = ..., layer_norm_eps: Any = ..., batch_first: Any = ..., norm_first: Any = ..., bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def forward(self, src: Any, tgt: Any, src_mask: Any = ..., tgt_mask: Any = ..., memory_mask: Any = ..., src_key_padding_mask: Any = ..., tgt_key_padding_mask: Any = ..., memory_key_padding_mask: Any = ..., src_is_causal: Any = ..., tgt_is_causal: Any = ..., memory_is_causal: Any = ...) -> Any: ...  # type: ignore[override]
    @staticmethod
    def generate_square_subsequent_mask(sz: Any, device: Any = ..., dtype: Any = ...) -> Any: ...
    batch_first: Any
    d_model: Any
    decoder: Any
    encoder: Any
    nhead: Any


class TransformerEncoder(Module):
    def __init__(self, encoder_layer: Any, num_layers: Any, norm: Any = ..., enable_nested_tensor: Any = ..., mask_check: Any = ...) -> None: ...
    def forward(self, src: Any, mask: Any = ..., src_key_padding_mask: Any = ..., is_causal: Any = ...) -> Any: ...  # type: ignore[override]
    enable_nested_tensor: Any
    layers: Any
    mask_check: Any
    norm: Any
    num_layers: Any
    use_nested_tensor: Any


class TransformerDecoder(Module):
    def __init__(self, decoder_layer: Any, num_layers: Any, norm: Any = ...) -> None: ...
    def forward(self, tgt: Any, memory: Any, tgt_mask: Any = ..., memory_mask: Any = ..., tgt_key_padding_mask: Any = ..., memory_key_padding_mask: Any = ..., tgt_is_causal: Any = ..., memory_is_causal: Any = ...) -> Any: ...  # type: ignore[override]
    layers: Any
    norm: Any
    num_layers: Any


class TransformerEncoderLayer(Module):
    def __init__(self, d_model: Any, nhead: Any, dim_feedforward: Any = ..., dropout: Any = ..., activation: Any = ..., layer_norm_eps: Any = ..., batch_first: Any = ..., norm_first: Any = ..., bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def forward(self, src: Any, src_mask: Any = ..., src_key_padding_mask: Any = ..., is_causal: Any = ...) -> Any: ...  # type: ignore[override]
    activation: Any
    activation_relu_or_gelu: Any
    self_attn: Any


class TransformerDecoderLayer(Module):
    def __init__(self, d_model: Any, nhead: Any, dim_feedforward: Any = ..., dropout: Any = ..., activation: Any = ..., layer_norm_eps: Any = ..., batch_first: Any = ..., norm_first: Any = ..., bias: Any = ..., device: Any = ..., dtype: Any = ...) -> None: ...
    def forward(self, tgt: Any, memory: Any, tgt_mask: Any = ..., memory_mask: Any = ..., tgt_key_padding_mask: Any = ..., memory_key_padding_mask: Any = ..., tgt_is_causal: Any = ..., memory_is_causal: Any = ...) -> Any: ...  # type: ignore[override]
    activation: Any
    multihead_attn: Any
    self_attn: Any


class MSELoss(Module):
    def __init__(self, size_average: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]
    reduction: Any


class L1Loss(Module):
    def __init__(self, size_average: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]
    reduction: Any


class SmoothL1Loss(Module):
    def __init__(self, size_average: Any = ..., reduce: Any = ..., reduction: Any = ..., beta: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]
    beta: Any


class HuberLoss(Module):
    def __init__(self, reduction: Any = ..., delta: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]
    delta: Any


class CrossEntropyLoss(Module):
    def __init__(self, weight: Any = ..., size_average: Any = ..., ignore_index: Any = ..., reduce: Any = ..., reduction: Any = ..., label_smoothing: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]
    ignore_index: Any
    label_smoothing: Any


class NLLLoss(Module):
    def __init__(self, weight: Any = ..., size_average: Any = ..., ignore_index: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]
    ignore_index: Any


class BCELoss(Module):
    def __init__(self, weight: Any = ..., size_average: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]


class BCEWithLogitsLoss(Module):
    def __init__(self, weight: Any = ..., size_average: Any = ..., reduce: Any = ..., reduction: Any = ..., pos_weight: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]


class KLDivLoss(Module):
    def __init__(self, size_average: Any = ..., reduce: Any = ..., reduction: Any = ..., log_target: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]
    log_target: Any


class MarginRankingLoss(Module):
    def __init__(self, margin: Any = ..., size_average: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, input1: Any, input2: Any, target: Any) -> Any: ...  # type: ignore[override]
    margin: Any


class HingeEmbeddingLoss(Module):
    def __init__(self, margin: Any = ..., size_average: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]
    margin: Any


class SoftMarginLoss(Module):
    def __init__(self, size_average: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]
    reduction: Any


class MultiLabelSoftMarginLoss(Module):
    def __init__(self, weight: Any = ..., size_average: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]


class MultiMarginLoss(Module):
    def __init__(self, p: Any = ..., margin: Any = ..., weight: Any = ..., size_average: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]
    margin: Any
    p: Any


class TripletMarginLoss(Module):
    def __init__(self, margin: Any = ..., p: Any = ..., eps: Any = ..., swap: Any = ..., size_average: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, anchor: Any, positive: Any, negative: Any) -> Any: ...  # type: ignore[override]
    eps: Any
    margin: Any
    p: Any
    swap: Any


class CosineEmbeddingLoss(Module):
    def __init__(self, margin: Any = ..., size_average: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, input1: Any, input2: Any, target: Any) -> Any: ...  # type: ignore[override]
    margin: Any


class PoissonNLLLoss(Module):
    def __init__(self, log_input: Any = ..., full: Any = ..., size_average: Any = ..., eps: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, log_input: Any, target: Any) -> Any: ...  # type: ignore[override]
    eps: Any
    full: Any
    log_input: Any


class GaussianNLLLoss(Module):
    def __init__(self, *, full: Any = ..., eps: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any, var: Any) -> Any: ...  # type: ignore[override]
    eps: Any
    full: Any


class TripletMarginWithDistanceLoss(Module):
    def __init__(self, *, distance_function: Any = ..., margin: Any = ..., swap: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, anchor: Any, positive: Any, negative: Any) -> Any: ...  # type: ignore[override]
    distance_function: Any
    margin: Any
    swap: Any


class MultiLabelMarginLoss(Module):
    def __init__(self, size_average: Any = ..., reduce: Any = ..., reduction: Any = ...) -> None: ...
    def forward(self, input: Any, target: Any) -> Any: ...  # type: ignore[override]
    reduction: Any
