"""fngrad: PyTorch's autograd (the graph, the engine and ``autograd.Function``) on NumPy arrays.

Code written for ``torch.autograd`` runs with ``import fngrad as torch``.

Example::

    >>> import fngrad as torch
    >>> class MyReLU(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, input):
    ...         ctx.save_for_backward(input)
    ...         return input.clamp(min=0)
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         input, = ctx.saved_tensors
    ...         grad_input = grad_output.clone()
    ...         grad_input[input < 0] = 0
    ...         return grad_input
    >>> x = torch.tensor([-1.0, 2.0], requires_grad=True)
    >>> MyReLU.apply(x).sum().backward()
    >>> x.grad
    tensor([0., 1.])
"""

from __future__ import annotations

import os as _os

from . import _cpu

try:
    from ._build_config import CPU_FEATURES as _CPU_FEATURES
except ImportError:  # a development build run from the source tree
    _CPU_FEATURES = ()
_cpu.check(_CPU_FEATURES)

from . import _C  # noqa: E402

_C._set_library_dir(_os.path.dirname(_os.path.abspath(__file__)) + _os.sep)

from ._C import Size, dtype, empty_cache, get_num_threads, promote_types, result_type, set_num_threads  # noqa: E402
from ._tensor import (  # noqa: E402
    BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor, LongTensor,
    ShortTensor, Tensor, set_default_tensor_type, set_printoptions)
from ._device import device, get_default_device, set_default_device  # noqa: E402
from ._creation import (  # noqa: E402
    Generator,
    arange,
    eye,
    linspace,
    randint,
    randperm,
    as_tensor,
    default_generator,
    empty,
    empty_like,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    initial_seed,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randn,
    randn_like,
    seed,
    set_default_dtype,
    tensor,
    zeros,
    zeros_like,
)
from . import autograd  # noqa: E402
from . import backends  # noqa: E402
from . import cuda  # noqa: E402
from . import distributed  # noqa: E402,F401  (mpi4py is imported by init_process_group, not here)
from . import nn  # noqa: E402
from . import optim  # noqa: E402
from . import utils  # noqa: E402
from .utils import data as _utils_data  # noqa: E402,F401  (fngrad.utils.data, as torch.utils.data)
from .utils import checkpoint as _utils_checkpoint  # noqa: E402,F401  (fngrad.utils.checkpoint)
from .serialization import load, save  # noqa: E402
from ._creation import get_rng_state, set_rng_state  # noqa: E402
from .utils.dlpack import from_dlpack  # noqa: E402
from .autograd import (  # noqa: E402
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from ._functions import *  # noqa: E402,F401,F403
from ._functions import __all__ as _functions_all  # noqa: E402
from . import _functions, _indexing  # noqa: E402,F401  (fngrad._functions as in torch._functions)


def _install_family(module):
    """Exports an op family written in Python over the native core: each name of ``module.__all__``
    becomes ``fngrad.NAME``, and each entry of ``module._METHODS`` (method name -> function) becomes a
    Tensor method. One line per family below keeps the families out of each other's files."""
    for name in module.__all__:
        globals()[name] = getattr(module, name)
    for method, fn in getattr(module, "_METHODS", {}).items():
        setattr(Tensor, method, fn)
    return list(module.__all__)


_family_all: list = []
# Op families (one line each): _family_all += _install_family(_module)
from . import _compare  # noqa: E402
_family_all += _install_family(_compare)
from . import _shape_ops  # noqa: E402
_family_all += _install_family(_shape_ops)
from . import _contract  # noqa: E402
_family_all += _install_family(_contract)
from . import linalg, _linalg_aliases  # noqa: E402,F401  (fngrad.linalg, as torch.linalg)
_family_all += _install_family(_linalg_aliases)
from . import _creation_more  # noqa: E402
_family_all += _install_family(_creation_more)
from . import _rounding  # noqa: E402
_family_all += _install_family(_rounding)
from . import _indexing_ops  # noqa: E402
_family_all += _install_family(_indexing_ops)
from . import _sorting  # noqa: E402
_family_all += _install_family(_sorting)
from . import _scan  # noqa: E402
_family_all += _install_family(_scan)
from . import _search  # noqa: E402
_family_all += _install_family(_search)
from . import _classify  # noqa: E402
_family_all += _install_family(_classify)
from . import _views_more  # noqa: E402
_family_all += _install_family(_views_more)
from . import _math_more  # noqa: E402
_family_all += _install_family(_math_more)
from . import _inplace_forms  # noqa: E402
_family_all += _install_family(_inplace_forms)
from . import _statistics  # noqa: E402
_family_all += _install_family(_statistics)
from . import _native_norms  # noqa: E402
_family_all += _install_family(_native_norms)
from . import _typeinfo  # noqa: E402
_family_all += _install_family(_typeinfo)
from . import _compile  # noqa: E402
_family_all += _install_family(_compile)
from . import _special_ops  # noqa: E402
_family_all += _install_family(_special_ops)
from . import special  # noqa: E402,F401  (fngrad.special, as torch.special)
from . import distributions  # noqa: E402,F401  (fngrad.distributions, as torch.distributions)
from . import testing  # noqa: E402,F401  (fngrad.testing, as torch.testing)
from . import amp  # noqa: E402  (fngrad.amp, as torch.amp)
from .amp import autocast, get_autocast_dtype, is_autocast_enabled  # noqa: E402,F401
from .cuda import amp as _cuda_amp  # noqa: E402,F401  (fngrad.cuda.amp, as torch.cuda.amp)
from . import func  # noqa: E402  (fngrad.func, as torch.func)
from .func import vmap  # noqa: E402,F401
from . import _determinism  # noqa: E402
_family_all += _install_family(_determinism)

# The Python functions that C++ calls, handed over once (Note [Python callbacks] in
# csrc/core/py_callbacks.h): a renamed one fails here, at import, not at its first call.
_C._register_callbacks(
    bind_kwargs=autograd.function._bind_kwargs,
    index_positions=_indexing.positions,
    forward_jvp=autograd.forward_ad._forward_jvp,
    function_forward_ad=autograd.forward_ad._function_forward_ad,
)

# dtypes, with PyTorch's aliases. (These shadow the builtins float/bool/long inside this module.)
float32 = _C.float32
float64 = _C.float64
float16 = _C.float16
bfloat16 = _C.bfloat16
int64 = _C.int64
int32 = _C.int32
int16 = _C.int16
int8 = _C.int8
uint8 = _C.uint8
bool = _C.bool
float = float32
double = float64
half = float16
long = int64
int = int32
short = int16

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "FloatTensor",
    "DoubleTensor",
    "LongTensor",
    "BoolTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "HalfTensor",
    "BFloat16Tensor",
    "device",
    "get_default_device",
    "set_default_device",
    "get_default_dtype",
    "set_default_dtype",
    "set_printoptions",
    "set_default_tensor_type",
    "backends",
    "cuda",
    "Size",
    "dtype",
    "promote_types",
    "result_type",
    "Generator",
    "float32",
    "float64",
    "float16",
    "bfloat16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool",
    "float",
    "double",
    "half",
    "long",
    "int",
    "short",
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "empty",
    "full",
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
    "randn",
    "rand",
    "randn_like",
    "rand_like",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state", "set_rng_state",
    "default_generator",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
    "autograd",
    "get_num_threads",
    "set_num_threads",
    "empty_cache",
    "arange",
    "linspace",
    "eye",
    "randint",
    "randperm",
    "nn",
    "optim",
    "utils",
    "distributions",
    "testing",
    "amp",
    "func",
    "vmap",
    "autocast",
    "get_autocast_dtype",
    "is_autocast_enabled",
    "special",
    "save",
    "load",
    "from_dlpack",
] + list(_functions_all) + _family_all
