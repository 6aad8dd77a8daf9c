"""``check_function``: one call that checks a custom ``autograd.Function`` for the mistakes PyTorch
lets through, each reported with the line of the user's ``forward``/``backward`` where it is.

What it runs (each finding has a ``kind``):

- ``gradcheck`` / ``gradgradcheck``: the gradients (and, unless ``double_backward=False`` or the
  backward is ``once_differentiable``, the second derivatives) against central differences.
- ``input_modified``: an input changed in ``forward`` without ``ctx.mark_dirty`` (by an in-place
  op, or through its memory, e.g. a NumPy view, which no version counter sees), or in ``backward``.
- ``saved_tensor_modified``: a tensor given to ``save_for_backward`` that changed afterwards (in
  ``forward`` or ``backward``; also through its memory): ``backward`` then computes with values
  that are not the ones saved, and PyTorch says nothing.
- ``intermediate_on_ctx``: a tensor computed in ``forward`` (neither an input nor an output) and
  kept on ``ctx`` (as an attribute or through ``save_for_backward``) that depends on the inputs.
  ``forward`` runs without recording, so under ``create_graph=True`` the backward treats it as a
  constant and the second derivative is silently wrong (PyTorch's "Double Backward with Custom
  Functions" tutorial). The fix: return it as an output too, and save it with
  ``save_for_backward``.
- ``tensor_on_ctx``: an input or output kept as a ``ctx`` attribute instead of through
  ``save_for_backward`` (no check that it is unchanged at backward; in PyTorch a reference
  cycle), or a tensor that requires grad but is not an input (its gradient is never computed).
- ``gradient_count`` / ``gradient_type`` / ``gradient_shape`` / ``gradient_dtype``: what
  ``backward`` returns, against the inputs (PyTorch converts a wrong dtype silently; fngrad
  tensors all live on the CPU, so there is no device to get wrong).
- ``call_order``: gradients that differ between two runs, or when another call of the Function
  runs between a forward and its backward (state kept outside ``ctx``).
- ``backward_not_differentiable``: under ``create_graph=True`` the gradient has no graph back to
  an input it depends on (computed with NumPy, ``.detach()``, ``.data`` or under ``no_grad``), and
  the backward is not marked ``@once_differentiable`` (which would make a second differentiation
  raise instead of silently giving zero).
- ``error``: ``forward`` or ``backward`` raised (the other checks cannot run past it).

Example::

    >>> import fngrad
    >>> class Cube(fngrad.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         x, = ctx.saved_tensors
    ...         return 3 * x * x * g
    >>> x = fngrad.randn(4, dtype=fngrad.float64, requires_grad=True)
    >>> fngrad.autograd.check_function(Cube, x).ok
    True
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass, field

import numpy as np

from .. import _C
from .._creation import get_rng_state, set_rng_state, zeros_like
from ._engine import grad
from .function import Function, once_differentiable
from .grad_mode import no_grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["check_function", "FunctionCheckReport", "FunctionCheckError", "Finding"]

_ONCE_DIFFERENTIABLE_CODE = once_differentiable(lambda ctx: None).__code__


@dataclass
class Finding:
    """One problem: its kind, what is wrong and what to do, and where (``file:line``)."""

    kind: str
    message: str
    filename: str = "<unknown>"
    lineno: int = 0

    @property
    def location(self) -> str:
        return f"{self.filename}:{self.lineno}"

    def __str__(self):
        return f"{self.location}: [{self.kind}] {self.message}"


@dataclass
class FunctionCheckReport:
    """What ``check_function`` found: ``findings`` (empty when all is well, then ``ok``) and the
    checks it could not run, with why (``skipped``)."""

    function: str
    findings: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def kinds(self) -> list:
        return [f.kind for f in self.findings]

    def __str__(self):
        if self.ok:
            head = f"check_function({self.function}): no problems found"
        else:
            head = f"check_function({self.function}): {len(self.findings)} problem(s)"
        lines = [head] + [f"  {f}" for f in self.findings]
        lines += [f"  (skipped {name}: {why})" for name, why in self.skipped]
        return "\n".join(lines)


class FunctionCheckError(GradcheckError):
    """Raised by ``check_function`` (with ``raise_on_error=True``) listing every finding; the report
    is ``.report``."""

    def __init__(self, report: FunctionCheckReport):
        super().__init__(str(report))
        self.report = report


# ---- where in the user's code ----


def _code_of(fn):
    fn = inspect.unwrap(fn) if callable(fn) else fn
    return getattr(fn, "__code__", None)


class _Site:
    """The Function's own code objects, to tell its lines from fngrad's and the caller's."""

    def __init__(self, cls):
        self.backward = cls._fngrad_backward
        self.once_differentiable = getattr(self.backward, "__code__", None) is _ONCE_DIFFERENTIABLE_CODE
        self.codes = {}
        for name, fn in (("forward", cls.forward), ("setup_context", cls._fngrad_setup_context),
                         ("backward", self.backward)):
            code = _code_of(fn) if fn is not None else None
            if code is not None:
                self.codes[code] = name
        self.backward_code = _code_of(self.backward)
        self.forward_code = _code_of(cls.forward)

    def def_line(self, code):
        return (code.co_filename, code.co_firstlineno) if code is not None else ("<unknown>", 0)

    def from_traceback(self, tb, default_code):
        """The last frame of the traceback that runs the Function's code (else default_code's def line)."""
        where = self.def_line(default_code)
        while tb is not None:
            if tb.tb_frame.f_code in self.codes:
                where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
            tb = tb.tb_next
        return where


def _caller_line(depth=2):
    frame = sys._getframe(depth)
    return frame.f_code.co_filename, frame.f_lineno


# ---- watching tensors while forward and backward run ----


def _snapshot(t):
    return t._version, tuple(t.shape), t.detach().numpy().tobytes()


class _Watched:
    def __init__(self, tensor, role, label, since):
        self.tensor, self.role, self.label, self.since = tensor, role, label, since
        self.state = _snapshot(tensor)
        self.changes = []  # (filename, line, phase, through_version)


class _Tracer:
    """Line tracer on the Function's frames: after each line, the watched tensors are compared with
    their last snapshot; a change is put down to the line that just ran."""

    def __init__(self, site: _Site):
        self.site = site
        self.watched = []
        self.last = {}
        self.returns = {}  # phase -> (filename, line) of the last return, and the value
        self.values = {}

    def watch(self, tensor, role, label, since):
        self.watched.append(_Watched(tensor, role, label, since))

    def sync(self, where=None):
        for w in self.watched:
            state = _snapshot(w.tensor)
            if state != w.state:
                if where is not None:
                    w.changes.append(where + (state[0] != w.state[0],))
                w.state = state

    def _local(self, frame, event, arg):
        if event in ("line", "return"):
            prev = self.last.get(frame)
            if prev is not None:
                self.sync((frame.f_code.co_filename, prev, self.site.codes[frame.f_code]))
            self.last[frame] = frame.f_lineno
            if event == "return":
                self.last.pop(frame, None)
                phase = self.site.codes[frame.f_code]
                self.returns[phase] = (frame.f_code.co_filename, frame.f_lineno)
                self.values[phase] = arg
        return self._local

    def _global(self, frame, event, arg):
        if frame.f_code in self.site.codes:
            self.sync()  # what changed before this frame started is not its doing
            return self._local
        return None

    def __enter__(self):
        self.old = sys.gettrace()
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc):
        sys.settrace(self.old)


class _CtxSpy:
    """Records what forward puts on ctx: save_for_backward's tensors and tensor attributes, each with
    the line that did it. Installed on the Function's ctx class (``<Name>Backward``) for one call."""

    def __init__(self, cls, tracer=None):
        self.ctx_cls = cls._backward_cls
        self.tracer = tracer
        self.saved = []  # (index, tensor or None, file, line)
        self.attrs = {}  # name -> (value, file, line)

    def __enter__(self):
        spy = self
        base = _C._FunctionBase

        def save_for_backward(ctx, *tensors):
            where = _caller_line()
            for i, t in enumerate(tensors):
                spy.saved.append((i, t, *where))
                if spy.tracer is not None and isinstance(t, _C.TensorBase):
                    spy.tracer.watch(t, "saved", i, where)
            return base.save_for_backward(ctx, *tensors)

        def __setattr__(ctx, name, value):
            spy.attrs[name] = (value, *_caller_line())
            return base.__setattr__(ctx, name, value)

        own = self.ctx_cls.__dict__
        self.had = {k: own[k] for k in ("save_for_backward", "__setattr__") if k in own}
        self.ctx_cls.save_for_backward = save_for_backward
        self.ctx_cls.__setattr__ = __setattr__
        return self

    def __exit__(self, *exc):
        for k in ("save_for_backward", "__setattr__"):
            if k in self.had:
                setattr(self.ctx_cls, k, self.had[k])
            else:
                delattr(self.ctx_cls, k)

    def ctx_tensors(self):
        """(where-label, tensor, file, line) for every tensor on ctx: attributes (one level into
        lists, tuples and dicts) and save_for_backward's arguments."""
        out = []
        for name, (value, fname, line) in self.attrs.items():
            items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) \
                else [(None, value)]
            for key, v in items:
                if isinstance(v, _C.TensorBase):
                    label = f"ctx.{name}" if key is None else f"ctx.{name}[{key!r}]"
                    out.append(("attr", label, v, fname, line))
        for i, t, fname, line in self.saved:
            if isinstance(t, _C.TensorBase):
                out.append(("saved", f"save_for_backward argument {i}", t, fname, line))
        return out


# ---- running the Function ----


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _fresh(inputs, perturb=False):
    """(leaves, args): copies of the inputs (so nothing the user passed is ever modified), the
    leaves requiring grad as the originals, and what apply gets (a clone of each leaf, which a
    Function that modifies its input in place may modify)."""
    leaves, args = [], []
    for x in inputs:
        if not isinstance(x, _C.TensorBase):
            leaves.append(x)
            args.append(x)
            continue
        data = x.detach().clone()
        if perturb and data.is_floating_point() and data.numel():
            a = data.numpy()
            a += np.where(np.arange(a.size).reshape(a.shape) % 2 == 0, 1, -1) * 1e-4 * (np.abs(a) + 1)
        if x.requires_grad:
            data.requires_grad_(True)
        leaves.append(data)
        args.append(data.clone())
    return leaves, args


def _grad_outputs(outputs, seed):
    rng = np.random.default_rng(seed)
    gs = []
    for o in outputs:
        if isinstance(o, _C.TensorBase) and o.is_floating_point():
            gs.append(_C.from_numpy(rng.uniform(-1, 1, tuple(o.shape)).astype(o.detach().numpy().dtype)))
        elif isinstance(o, _C.TensorBase):
            gs.append(zeros_like(o))
        else:
            gs.append(None)
    return gs


def _diff_pairs(outputs, grads):
    return [(o, g) for o, g in zip(outputs, grads) if isinstance(o, _C.TensorBase) and o.requires_grad]


def _engine_grads(cls, inputs, seed=0, other=None):
    """Gradients of a fresh forward + backward through the engine; with ``other`` (inputs), another
    call of the Function runs forward and backward between this forward and its backward."""
    leaves, args = _fresh(inputs)
    outs = _as_tuple(cls.apply(*args))
    if other is not None:
        o_leaves, o_args = _fresh(other, perturb=True)
        o_outs = _as_tuple(cls.apply(*o_args))
        pairs = _diff_pairs(o_outs, _grad_outputs(o_outs, seed + 1))
        wrt = [t for t in o_leaves if isinstance(t, _C.TensorBase) and t.requires_grad]
        if pairs and wrt:
            grad([o for o, _ in pairs], wrt, [g for _, g in pairs], allow_unused=True)
    pairs = _diff_pairs(outs, _grad_outputs(outs, seed))
    wrt = [t for t in leaves if isinstance(t, _C.TensorBase) and t.requires_grad]
    if not pairs or not wrt:
        return []
    return grad([o for o, _ in pairs], wrt, [g for _, g in pairs], allow_unused=True)


def _same(a, b, tol):
    if (a is None) != (b is None):
        return False
    if a is None:
        return True
    x, y = a.detach().numpy(), b.detach().numpy()
    if x.shape != y.shape:
        return False
    return np.array_equal(x, y, equal_nan=True) if tol == 0 else bool(np.all(np.abs(x - y) <= tol))


class _Checker:
    def __init__(self, cls, inputs, double_backward, eps, atol, rtol, nondet_tol):
        self.cls, self.inputs = cls, tuple(inputs)
        self.site = _Site(cls)
        self.double_backward = double_backward and not self.site.once_differentiable
        self.eps, self.atol, self.rtol, self.nondet_tol = eps, atol, rtol, nondet_tol
        self.report = FunctionCheckReport(cls.__qualname__)
        self.backward_line = self.site.def_line(self.site.backward_code)

    def add(self, kind, message, where):
        self.report.findings.append(Finding(kind, message, *where))

    def add_error(self, exc, code, what):
        where = self.site.from_traceback(exc.__traceback__, code)
        if code is self.site.backward_code and where == self.site.def_line(code):
            where = self.backward_line  # raised by the engine about what backward returned
        self.add("error", f"{what} raised {type(exc).__name__}: {exc}", where)

    def run(self):
        if not self.instrumented_run():
            return self.report
        broken = {"gradient_count", "gradient_type", "gradient_shape", "error"} & set(self.report.kinds())
        if broken:
            # Every later check runs this backward through the engine and would fail the same way.
            self.report.skipped.append(("the remaining checks", f"backward is broken ({', '.join(sorted(broken))})"))
            return self.report
        self.ctx_checks()
        self.call_order()
        if self.double_backward:
            self.differentiable_backward()
        self.numerical()
        return self.report

    # -- one forward and one backward, watched line by line --

    def instrumented_run(self) -> bool:
        tracer = _Tracer(self.site)
        leaves, args = _fresh(self.inputs)
        for i, a in enumerate(args):
            if isinstance(a, _C.TensorBase):
                tracer.watch(a, "input", i, None)
        self.rng_state = get_rng_state()
        with _CtxSpy(self.cls, tracer) as spy:
            try:
                with tracer:
                    outputs = _as_tuple(self.cls.apply(*args))
            except Exception as exc:  # noqa: BLE001  (the user's forward: any error is a finding)
                self.add_error(exc, self.site.forward_code, "forward")
                return False
        tracer.sync(("<outside the Function>", 0, "between"))
        self.spy, self.args, self.leaves, self.outputs = spy, args, leaves, outputs
        returned = tracer.values.get("forward")
        self.forward_outputs = _as_tuple(returned) if returned is not None else outputs
        ctx = next((o.grad_fn for o in outputs if isinstance(o, _C.TensorBase) and o.grad_fn is not None), None)
        dirty = ctx.dirty_tensors if ctx is not None and ctx.dirty_tensors else ()
        self.ctx = ctx
        grads = None
        if ctx is not None and isinstance(ctx, self.cls._backward_cls):
            try:
                with tracer, no_grad():
                    grads = self.cls._fngrad_backward(ctx, *_grad_outputs(outputs, 0))
            except Exception as exc:  # noqa: BLE001
                self.add_error(exc, self.site.backward_code, "backward")
            self.backward_line = tracer.returns.get("backward", self.backward_line)
        self.watched_tensors = tracer.watched
        for w in tracer.watched:
            for fname, line, phase, through_version in w.changes:
                self.modified(w, fname, line, phase, through_version, dirty)
        if grads is not None:
            self.check_gradients(_as_tuple(grads))
        return True

    def modified(self, w, fname, line, phase, through_version, dirty):
        how = ("in place" if through_version
               else "through its memory (a NumPy view or .data: no version counter sees it)")
        if w.role == "input":
            if phase in ("forward", "setup_context") and any(d is w.tensor for d in dirty):
                return
            if phase == "between":
                return
            if phase == "backward":
                if any(v.role == "saved" and v.tensor is w.tensor for v in self.watched_tensors):
                    return  # reported once, as the saved tensor it also is
                self.add("input_modified", f"input {w.label} of forward is modified {how} in backward: the caller's "
                         "tensor changes; compute the gradient out of place.", (fname, line))
            else:
                self.add("input_modified", f"input {w.label} is modified {how} in {phase} without ctx.mark_dirty: "
                         f"autograd does not know that it changed. Call ctx.mark_dirty(input) and return it as an "
                         f"output, or work on a copy (input.clone()).", (fname, line))
        else:
            sfile, sline = w.since
            self.add("saved_tensor_modified", f"the tensor saved for backward ({w.label} of save_for_backward at "
                     f"{sfile}:{sline}) is modified {how} afterwards in {phase}: backward sees values that are not the "
                     "ones saved. Save it after the change, or save a clone.", (fname, line))

    def check_gradients(self, grads):
        n = len(self.args)
        name = self.cls._backward_cls.__name__
        if len(grads) != n:
            self.add("gradient_count", f"function {name} returned an incorrect number of gradients (expected {n}, got "
                     f"{len(grads)}): return one gradient (or None) per input of forward.", self.backward_line)
            return
        for i, (a, g) in enumerate(zip(self.args, grads)):
            if g is None:
                continue
            if not isinstance(g, _C.TensorBase):
                self.add("gradient_type", f"gradient {i} is a {type(g).__name__}: return a tensor or None.",
                         self.backward_line)
            elif not isinstance(a, _C.TensorBase):
                self.add("gradient_type", f"gradient {i} is a tensor but input {i} of forward is a "
                         f"{type(a).__name__}: return None for it.", self.backward_line)
            elif not self.leaves[i].requires_grad:
                continue
            elif tuple(g.shape) != tuple(a.shape):
                # Allowed (the engine sums it down), as in PyTorch: the input's shape expands to it.
                try:
                    expandable = np.broadcast_shapes(tuple(g.shape), tuple(a.shape)) == tuple(g.shape)
                except ValueError:
                    expandable = False
                if not expandable:
                    self.add("gradient_shape", f"gradient {i} has shape {list(g.shape)} but input {i} has shape "
                             f"{list(a.shape)}: the gradient of an input has the input's shape.", self.backward_line)
            elif g.dtype != a.dtype:
                self.add("gradient_dtype", f"gradient {i} is {g.dtype} but input {i} is {a.dtype}: autograd "
                         "converts it silently, losing precision or hiding a bug; compute it in the input's dtype.",
                         self.backward_line)

    # -- what forward left on ctx --

    def ctx_checks(self):
        arg_ids = {id(a) for a in self.args if isinstance(a, _C.TensorBase)}
        out_ids = {id(o) for o in self.forward_outputs if isinstance(o, _C.TensorBase)}
        intermediates = []
        for kind, label, t, fname, line in self.spy.ctx_tensors():
            is_input, is_output = id(t) in arg_ids, id(t) in out_ids
            if kind == "attr" and (is_input or is_output):
                what = "an input" if is_input else "an output"
                self.add("tensor_on_ctx", f"{label} holds {what} of forward as an attribute: nothing checks that it is "
                         "unchanged when backward reads it (and in PyTorch ctx -> tensor -> grad_fn is a reference "
                         "cycle). Save it with ctx.save_for_backward and read ctx.saved_tensors.", (fname, line))
            elif not (is_input or is_output) and t.requires_grad:
                self.add("tensor_on_ctx", f"{label} requires grad but is not an input of the Function: its gradient is "
                         "never computed. Pass it to apply() as an input and return its gradient from backward.",
                         (fname, line))
            elif not (is_input or is_output) and t.is_floating_point():
                intermediates.append((kind, label, t.detach().numpy().tobytes(), tuple(t.shape), fname, line))
        if intermediates and self.double_backward:
            self.intermediates_depend_on_inputs(intermediates)

    def intermediates_depend_on_inputs(self, intermediates):
        """A second forward on slightly moved inputs, under the same RNG state: an intermediate that
        moves with the inputs carries a derivative that double backward would miss."""
        _, args = _fresh(self.inputs, perturb=True)
        outer = get_rng_state()
        set_rng_state(self.rng_state)
        try:
            with _CtxSpy(self.cls) as spy:
                self.cls.apply(*args)
        except Exception:  # noqa: BLE001  (the moved inputs may be outside forward's domain: no verdict)
            return
        finally:
            set_rng_state(outer)
        moved = {label: (t.detach().numpy().tobytes(), tuple(t.shape)) for _, label, t, _, _ in spy.ctx_tensors()}
        for kind, label, data, shape, fname, line in intermediates:
            if moved.get(label, (data, shape)) == (data, shape):
                continue
            how = "saved with save_for_backward" if kind == "saved" else "stored on ctx"
            self.add("intermediate_on_ctx", f"{label} is computed in forward from the inputs and {how}, but it is "
                     "neither an input nor an output: forward is not recorded, so under create_graph=True backward "
                     "treats it as a constant and double backward is silently wrong. Return it as an output of "
                     "forward as well, and save it with ctx.save_for_backward.", (fname, line))

    # -- the same call twice, and with another call in between --

    def call_order(self):
        try:
            first = _engine_grads(self.cls, self.inputs)
            second = _engine_grads(self.cls, self.inputs)
            interleaved = _engine_grads(self.cls, self.inputs, other=self.inputs)
        except Exception as exc:  # noqa: BLE001
            self.add_error(exc, self.site.backward_code, "backward (through the engine)")
            return
        if not all(_same(a, b, self.nondet_tol) for a, b in zip(first, second)):
            self.add("call_order", "two forward+backward runs on the same inputs give different gradients: backward "
                     "depends on state outside its inputs and ctx (a global, a class attribute, a random draw).",
                     self.backward_line)
        elif not all(_same(a, b, self.nondet_tol) for a, b in zip(first, interleaved)):
            self.add("call_order", "the gradient changes when another call of the Function runs between this forward "
                     "and its backward: state is kept outside ctx (a class or module attribute). Keep per-call state "
                     "on ctx.", self.backward_line)

    # -- create_graph=True --

    def differentiable_backward(self):
        leaves, args = _fresh(self.inputs)
        wrt = [t for t in leaves if isinstance(t, _C.TensorBase) and t.requires_grad]
        try:
            outs = _as_tuple(self.cls.apply(*args))
            pairs = _diff_pairs(outs, [g.requires_grad_() if g is not None and g.is_floating_point() else g
                                       for g in _grad_outputs(outs, 0)])
            if not pairs or not wrt:
                return
            grads = grad([o for o, _ in pairs], wrt, [g for _, g in pairs], create_graph=True, allow_unused=True)
        except Exception as exc:  # noqa: BLE001
            self.add_error(exc, self.site.backward_code, "backward with create_graph=True")
            return
        for g in grads:
            if g is None or g.requires_grad or not bool((g.detach() != 0).any()):
                continue
            self.add("backward_not_differentiable", "with create_graph=True, backward returned a gradient without a "
                     "graph (computed with NumPy, .detach(), .data or under no_grad), so a second differentiation "
                     "silently gives zero. Write backward with differentiable fngrad ops, or decorate it with "
                     "@once_differentiable so that differentiating it twice raises.", self.backward_line)
            return

    # -- numbers --

    def numerical(self):
        def func(*leaves):
            return self.cls.apply(*(x.clone() if isinstance(x, _C.TensorBase) else x for x in leaves))

        leaves, _ = _fresh(self.inputs)
        checks = [("gradcheck", gradcheck, {})]
        if self.double_backward:
            checks.append(("gradgradcheck", gradgradcheck, {}))
        elif self.site.once_differentiable:
            self.report.skipped.append(("gradgradcheck", "backward is once_differentiable"))
        else:
            self.report.skipped.append(("gradgradcheck", "double_backward=False"))
        if inspect.getattr_static(self.cls, "jvp") is not inspect.getattr_static(Function, "jvp"):
            # jvp's tangents against central differences (the reverse checks ran above).
            checks.append(("forward-mode check", gradcheck,
                           {"check_forward_ad": True, "check_backward_ad": False, "check_undefined_grad": False}))
        for kind, check, extra in checks:
            try:
                check(func, tuple(leaves), eps=self.eps, atol=self.atol, rtol=self.rtol, nondet_tol=self.nondet_tol,
                      **extra)
            except GradcheckError as exc:
                self.add(kind, str(exc).strip(), self.backward_line)
            except Exception as exc:  # noqa: BLE001
                self.add_error(exc, self.site.backward_code, kind)


def check_function(fn, *inputs, raise_on_error=True, double_backward=True, eps=1e-6, atol=1e-5, rtol=1e-3,
                   nondet_tol=0.0):
    """Checks the custom Function ``fn`` (a subclass of ``autograd.Function``) at ``inputs``: gradcheck,
    gradgradcheck, and the contract checks of this module's doc, each finding with the line of
    ``fn``'s code where the problem is.

    ``inputs`` are passed to ``fn.apply`` (copies: they are never modified); give float64 tensors
    with ``requires_grad=True`` for the inputs to differentiate. ``double_backward=False`` skips
    gradgradcheck and the checks that only matter under ``create_graph=True`` (so does a backward
    marked ``@once_differentiable``). ``eps``, ``atol``, ``rtol``, ``nondet_tol`` go to gradcheck
    (``nondet_tol`` also to the call-order check).

    Returns a ``FunctionCheckReport`` (``.findings``: ``Finding(kind, message, filename, lineno)``;
    ``.ok``); with ``raise_on_error=True`` (the default) raises ``FunctionCheckError`` listing every
    finding instead, when there is one.

    Example::

        >>> import fngrad
        >>> class Double(fngrad.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         return x * 2
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         return g * 2
        >>> x = fngrad.randn(3, dtype=fngrad.float64, requires_grad=True)
        >>> print(fngrad.autograd.check_function(Double, x))
        check_function(Double): no problems found
    """
    if not (isinstance(fn, type) and issubclass(fn, Function)) or fn is Function:
        raise TypeError(f"check_function expects a subclass of fngrad.autograd.Function, got {fn!r}")
    report = _Checker(fn, inputs, double_backward, eps, atol, rtol, nondet_tol).run()
    if raise_on_error and not report.ok:
        raise FunctionCheckError(report)
    return report
