"""``fngrad.amp``: mixed-precision training's two pieces as ``torch.amp`` has them: ``autocast`` and
``GradScaler``.

fngrad computes on the CPU, so training loops written for a GPU's mixed precision run as PyTorch
runs them on a machine without CUDA: ``autocast("cuda")`` and ``GradScaler("cuda")`` warn and
disable themselves (every call passes through), and ``enabled=False`` is silent. ``GradScaler("cpu")``
scales for real: ``scale`` multiplies the loss, ``step`` unscales the gradients, skips the step when
one is inf or NaN, and ``update`` backs the scale off or grows it, as PyTorch's does. CPU autocasting
to bfloat16 (``autocast("cpu")`` enabled) is not implemented and says so.

Example::

    >>> import fngrad
    >>> w = fngrad.nn.Parameter(fngrad.tensor([1.0]))
    >>> opt = fngrad.optim.SGD([w], lr=0.1)
    >>> scaler = fngrad.amp.GradScaler("cpu", init_scale=8.0)
    >>> scaler.scale((w * 3).sum()).backward()
    >>> w.grad
    tensor([24.])
    >>> scaler.step(opt); scaler.update()
    >>> w
    Parameter containing:
    tensor([0.7000], requires_grad=True)
"""

from __future__ import annotations

import collections.abc
import enum
import functools
import warnings

from . import _C, _creation
from ._device import _to_device
from .autograd.grad_mode import no_grad

__all__ = ["autocast", "GradScaler", "is_autocast_available"]

_AUTOCAST_DEFAULT_DTYPE = {"cpu": _C.bfloat16, "cuda": _C.float16}
# Autocast state per device type: enabled flag and target dtype. Nothing enables it (CPU autocast
# is refused, CUDA's disables itself), but code reads it back through is_autocast_enabled.
_autocast_state = {device: [False, dtype] for device, dtype in _AUTOCAST_DEFAULT_DTYPE.items()}


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast can be enabled for ``device_type``: False for every device in fngrad.

    >>> fngrad.amp.is_autocast_available("cpu")
    False
    """
    return False


def is_autocast_enabled(device_type=None) -> bool:
    """Whether autocast is on for ``device_type`` (default ``"cuda"``, as PyTorch's): always False.

    >>> fngrad.is_autocast_enabled("cpu")
    False
    """
    return _autocast_state.get(device_type or "cuda", [False])[0]


def get_autocast_dtype(device_type: str):
    """The dtype autocast would cast to on ``device_type`` (bfloat16 on CPU, float16 on CUDA).

    >>> fngrad.get_autocast_dtype("cpu")
    fngrad.bfloat16
    """
    return _autocast_state[device_type][1]


class autocast:
    """Context manager (and decorator) for mixed-precision regions, as ``torch.autocast``.

    ``device_type="cuda"`` warns "CUDA is not available ... Disabling autocast." and runs the region
    in full precision, as PyTorch does on a CPU-only machine; ``enabled=False`` runs it so silently.
    ``device_type="cpu"`` enabled would cast matmul-like ops to bfloat16: fngrad does not implement
    that and raises ``NotImplementedError`` instead of computing in another precision silently.

    >>> with fngrad.autocast(device_type="cpu", enabled=False):
    ...     (fngrad.ones(2, 2) @ fngrad.ones(2, 2)).dtype
    fngrad.float32
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type != "cuda":
            _to_device(device_type, "autocast")  # an unknown device name gets the creation functions' error
        self.device = device_type
        self.fast_dtype = _AUTOCAST_DEFAULT_DTYPE.get(device_type, _C.bfloat16) if dtype is None else dtype
        self._cache_enabled = cache_enabled
        if enabled and device_type != "cpu":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
            enabled = False
        elif enabled and device_type == "cpu":
            if self.fast_dtype not in (_C.bfloat16, _C.float16):
                warnings.warn(
                    "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                    "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                    stacklevel=2,
                )
                enabled = False
            else:
                raise NotImplementedError(
                    "fngrad.autocast: device_type='cpu' with enabled=True (casting matmul-like ops to "
                    f"{self.fast_dtype}) is not implemented; pass enabled=False or cast the model with .to(dtype)"
                )
        self._enabled = enabled
        self._saved = None

    def __enter__(self):
        state = _autocast_state.setdefault(self.device, [False, self.fast_dtype])
        self._saved = list(state)
        state[:] = [self._enabled, self.fast_dtype]
        return self

    def __exit__(self, *exc):
        _autocast_state[self.device][:] = self._saved
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper


class _Stage(enum.Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_state():
    return {"stage": _Stage.READY, "found_inf": None}


class GradScaler:
    """Dynamic loss scaling, as ``torch.amp.GradScaler``: ``scale(loss)`` multiplies by the scale,
    ``step(optimizer)`` unscales the gradients (unless ``unscale_`` did) and skips the step when any
    is inf/NaN, ``update()`` multiplies the scale by ``backoff_factor`` after a skipped step and by
    ``growth_factor`` after ``growth_interval`` clean ones. ``device="cuda"`` (the default, as in
    PyTorch) warns and disables itself: then ``scale`` returns its input, ``step`` just steps.

    >>> scaler = fngrad.amp.GradScaler("cpu")
    >>> scaler.get_scale(), scaler.is_enabled()
    (65536.0, True)
    """

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled:
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                          stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
        self._init_scale = init_scale
        self._scale = None
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval
        self._init_growth_tracker = 0
        self._growth_tracker = 0
        self._per_optimizer = collections.defaultdict(_fresh_state)

    def _require_scale(self, funcname):
        if self._scale is None:
            raise AssertionError(
                f"Attempted {funcname} but _scale is None.  This may indicate your script did not use "
                "scaler.scale(loss or outputs) earlier in the iteration."
            )

    def scale(self, outputs):
        """``outputs`` (a tensor, or an iterable of them) times the current scale.

        >>> fngrad.amp.GradScaler("cpu", init_scale=4.0).scale(fngrad.tensor(0.5))
        tensor(2.)
        """
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = _creation.full((), self._init_scale, dtype=_C.float32)
        if isinstance(outputs, _C.TensorBase):
            return outputs * self._scale
        if isinstance(outputs, collections.abc.Iterable):
            scaled = map(self.scale, outputs)
            return type(outputs)(scaled) if isinstance(outputs, (list, tuple)) else scaled
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer):
        """Divides ``optimizer``'s gradients by the scale in place (once per step), noting any inf/NaN.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1.0])); opt = fngrad.optim.SGD([w], lr=0.1)
        >>> scaler = fngrad.amp.GradScaler("cpu", init_scale=4.0)
        >>> scaler.scale(w.sum()).backward(); scaler.unscale_(opt); w.grad
        tensor([1.])
        """
        if not self._enabled:
            return
        self._require_scale("unscale_")
        state = self._per_optimizer[id(optimizer)]
        if state["stage"] is _Stage.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] is _Stage.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # The reciprocal in float64 rounded to float32, as PyTorch takes it.
        inv_scale = _creation.full((), 1.0 / float(self._scale), dtype=_C.float32)
        found_inf = False
        with no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    if param.grad is None:
                        continue
                    if param.grad.dtype == _C.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    param.grad.mul_(inv_scale.to(param.grad.dtype))
                    found_inf = found_inf or not bool(param.grad.isfinite().all())
        state["found_inf"] = found_inf
        state["stage"] = _Stage.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscales (if not done yet) and runs ``optimizer.step(*args, **kwargs)`` unless a gradient is
        inf/NaN; returns what the step returned (None when skipped).

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1.0])); opt = fngrad.optim.SGD([w], lr=0.1)
        >>> scaler = fngrad.amp.GradScaler("cpu")
        >>> scaler.scale(w * float("inf")).sum().backward(); scaler.step(opt); w
        Parameter containing:
        tensor([1.], requires_grad=True)
        """
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._require_scale("step")
        state = self._per_optimizer[id(optimizer)]
        if state["stage"] is _Stage.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is _Stage.READY:
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _Stage.STEPPED
        return result

    def update(self, new_scale=None):
        """Adjusts the scale for the next iteration (or sets it to ``new_scale``).

        >>> w = fngrad.nn.Parameter(fngrad.tensor([1.0])); opt = fngrad.optim.SGD([w], lr=0.1)
        >>> scaler = fngrad.amp.GradScaler("cpu", init_scale=8.0)
        >>> scaler.scale(w * float("nan")).sum().backward(); scaler.step(opt); scaler.update()
        >>> scaler.get_scale()
        4.0
        """
        if not self._enabled:
            return
        self._require_scale("update")
        if new_scale is not None:
            if isinstance(new_scale, _C.TensorBase):
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise AssertionError(
                        "new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                        "torch.FloatTensor with requires_grad=False."
                    )
                new_scale = float(new_scale)
            self._scale.fill_(new_scale)
        else:
            found = [s["found_inf"] for s in self._per_optimizer.values() if s["found_inf"] is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(found):
                self._scale.mul_(self._backoff_factor)
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = float(self._scale) * self._growth_factor
                    if grown != float("inf"):  # an overflowing scale stays where it is
                        self._scale.fill_(grown)
                    self._growth_tracker = 0
        self._per_optimizer = collections.defaultdict(_fresh_state)

    def get_scale(self) -> float:
        """The current scale (1.0 when disabled).

        >>> fngrad.amp.GradScaler("cpu", enabled=False).get_scale()
        1.0
        """
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale)

    def get_growth_factor(self) -> float:
        """The factor the scale grows by after ``growth_interval`` clean steps."""
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        """Sets the growth factor."""
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        """The factor the scale shrinks by after a skipped step."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        """Sets the backoff factor."""
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        """How many clean steps in a row grow the scale."""
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        """Sets the growth interval."""
        self._growth_interval = new_interval

    def is_enabled(self) -> bool:
        """Whether this scaler scales (False for ``"cuda"`` without CUDA, or ``enabled=False``)."""
        return self._enabled

    def state_dict(self) -> dict:
        """``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval``, ``_growth_tracker``
        (empty when disabled), as PyTorch's.

        >>> sorted(fngrad.amp.GradScaler("cpu").state_dict())
        ['_growth_tracker', 'backoff_factor', 'growth_factor', 'growth_interval', 'scale']
        """
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restores what :meth:`state_dict` gave (a no-op when disabled)."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler."
            )
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._growth_tracker = state_dict["_growth_tracker"]
