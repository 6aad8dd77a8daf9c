"""Limited-memory BFGS, as ``torch.optim.LBFGS``."""

from __future__ import annotations

from ..autograd.grad_mode import enable_grad
from ..nn.utils.convert_parameters import parameters_to_vector
from .optimizer import Optimizer, _scalar, _step_under_no_grad

__all__ = ["LBFGS"]


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
    ``bounds`` (default: between x1 and x2); the bounds' midpoint when the cubic has no minimum."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1**2 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = disc.sqrt()
    # Written from the point farther along the line, which keeps the quotient well conditioned.
    if x1 <= x2:
        x_min = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x_min = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x_min, lo), hi)


class _Point:
    """One trial step along the search direction: step length, loss, gradient, slope."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step length along ``d`` meeting the strong Wolfe conditions (More-Thuente style bracket
    and zoom, PyTorch's and minFunc's variant). ``evaluate(t)`` gives the loss and flat gradient
    at ``t``; (f, g, gtd) are those at 0. Returns (loss, gradient, t, evaluations)."""
    d_norm = d.abs().max()
    start = _Point(0, f, g, gtd)

    def probe(t):
        f_t, g_t = evaluate(t)
        return _Point(t, f_t, g_t, g_t.dot(d))

    def armijo_fails(p):
        return p.f > f + c1 * p.t * gtd

    def curvature_holds(p):
        return abs(p.gtd) <= -c2 * gtd

    # Bracketing: extrapolate until an interval is known to contain an acceptable step.
    new = probe(t)
    evals, ls_iter = 1, 0
    prev = start
    bracket = None  # [a, b] with a minimum between them, or [p] when p is acceptable
    while ls_iter < max_ls:
        if armijo_fails(new) or (ls_iter > 1 and new.f >= prev.f):
            bracket = [prev, new]
            break
        if curvature_holds(new):
            bracket = [new]
            break
        if new.gtd >= 0:
            bracket = [prev, new]
            break
        t = _cubic_minimum(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd,
                           bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10))
        prev = new
        new = probe(t)
        evals += 1
        ls_iter += 1
    if bracket is None:  # out of evaluations: keep the better of the start and the last probe
        bracket = [_Point(0, f, start.g, None), new]

    done = len(bracket) == 1
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    # Zoom: shrink the bracket by cubic interpolation until its low end is acceptable.
    insuf_progress = False
    while not done and ls_iter < max_ls:
        a, b = bracket
        if abs(b.t - a.t) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        # A trial next to an end of the bracket shrinks it little: after two such trials in a
        # row (or one outside it) move the trial a tenth of the bracket inwards.
        t_lo, t_hi = min(a.t, b.t), max(a.t, b.t)
        eps = 0.1 * (t_hi - t_lo)
        if min(t_hi - t, t - t_lo) < eps:
            if insuf_progress or t >= t_hi or t <= t_lo:
                t = t_hi - eps if abs(t - t_hi) < abs(t - t_lo) else t_lo + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        new = probe(t)
        evals += 1
        ls_iter += 1
        if armijo_fails(new) or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            continue
        if curvature_holds(new):
            done = True
        elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]
        bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evals


class LBFGS(Optimizer):
    r"""The L-BFGS quasi-Newton method (PyTorch's algorithm, after minFunc).

    Each :meth:`step` runs up to ``max_iter`` iterations, calling ``closure`` (which must zero
    the gradients, compute the loss, call ``backward`` and return the loss) up to ``max_eval``
    times. The direction is the last ``history_size`` curvature pairs' two-loop recursion
    applied to the gradient of all parameters flattened into one vector; the step length is
    ``lr`` (``min(1, 1/|g|_1) * lr`` on the very first iteration), or the one a strong-Wolfe
    line search finds when ``line_search_fn="strong_wolfe"``. Iterating stops early when
    ``max|g| <= tolerance_grad`` or when the step or the loss change falls below
    ``tolerance_change``. Only one parameter group is supported, and the optimizer's state
    (``"func_evals"``, ``"n_iter"``, the history) is kept under the first parameter.

    Example::

        >>> import fngrad
        >>> w = fngrad.tensor([3.0, -1.0], dtype=fngrad.float64, requires_grad=True)
        >>> opt = fngrad.optim.LBFGS([w], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((w - fngrad.tensor([1.0, 2.0], dtype=fngrad.float64)) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> _ = opt.step(closure)
        >>> [round(v, 6) for v in w.tolist()]
        [1.0, 2.0]
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if _scalar(lr) < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ---- the parameters as one flat vector ----

    def _flat_grad(self):
        """All gradients in one new 1-D tensor (zeros for a parameter without a gradient)."""
        return parameters_to_vector(p.new_zeros(p.numel()) if p.grad is None else p.grad for p in self._params)

    def _add_flat(self, alpha, update):
        """Parameters += alpha * update, slice by slice of the flat ``update``, in place."""
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(update[offset:offset + n].view_as(p), alpha=alpha)
            offset += n

    def _loss_and_grad_at(self, closure, x, t, d):
        """The loss and flat gradient at x + t * d; the parameters are put back to ``x``."""
        self._add_flat(t, d)
        loss = float(closure())
        flat_grad = self._flat_grad()
        for p, saved in zip(self._params, x):
            p.copy_(saved)
        return loss, flat_grad

    @staticmethod
    def _direction(state, flat_grad, history_size):
        """-H g by the two-loop recursion over the stored pairs, after adding the newest pair
        (skipped when its curvature y.s is not positive enough)."""
        y = flat_grad.sub(state["prev_flat_grad"])
        s = state["d"].mul(state["t"])
        ys = y.dot(s)
        if ys > 1e-10:
            if len(state["old_dirs"]) == history_size:
                for key in ("old_dirs", "old_stps", "ro"):
                    state[key].pop(0)
            state["old_dirs"].append(y)
            state["old_stps"].append(s)
            state["ro"].append(1.0 / ys)
            state["H_diag"] = ys / y.dot(y)
        y_hist, s_hist, ro = state["old_dirs"], state["old_stps"], state["ro"]
        al = state.setdefault("al", [None] * history_size)
        q = flat_grad.neg()
        for i in reversed(range(len(y_hist))):
            al[i] = s_hist[i].dot(q) * ro[i]
            q.add_(y_hist[i], alpha=-al[i])
        r = q.mul(state["H_diag"])
        for i in range(len(y_hist)):
            be_i = y_hist[i].dot(r) * ro[i]
            r.add_(s_hist[i], alpha=al[i] - be_i)
        return r

    @_step_under_no_grad
    def step(self, closure):
        """Runs up to ``max_iter`` L-BFGS iterations; ``closure`` (required) re-evaluates the
        loss and its gradients. Returns the loss of the first evaluation.

        >>> w = fngrad.nn.Parameter(fngrad.tensor([4.0], dtype=fngrad.float64))
        >>> opt = fngrad.optim.LBFGS([w])
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((w - 1) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure)
        tensor(9., dtype=fngrad.float64, grad_fn=<SumBackward0>)
        >>> w.detach()
        tensor([1.], dtype=fngrad.float64)
        """
        group = self.param_groups[0]
        lr = _scalar(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn = group["line_search_fn"]

        def evaluate():
            with enable_grad():
                return closure()

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if flat_grad.abs().max() <= tolerance_grad:
            return orig_loss

        for n_iter in range(1, max_iter + 1):
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = flat_grad.neg()
                state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1)
            else:
                d = self._direction(state, flat_grad, group["history_size"])
            if state.get("prev_flat_grad") is None:
                state["prev_flat_grad"] = flat_grad.clone()
            else:
                state["prev_flat_grad"].copy_(flat_grad)
            state["prev_loss"] = prev_loss = loss
            state["d"] = d
            # The first step of a run is scaled down by the gradient's size; later ones are lr.
            t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr if state["n_iter"] == 1 else lr
            state["t"] = t

            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction (any more)
                break

            ls_func_evals = 0
            opt_cond = False
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p.clone() for p in self._params]
                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    lambda t_: self._loss_and_grad_at(evaluate, x_init, t_, d),
                    t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals,
                )
                state["t"] = t
                self._add_flat(t, d)
                opt_cond = bool(flat_grad.abs().max() <= tolerance_grad)
            else:
                self._add_flat(t, d)
                # The last iteration's loss is not re-evaluated (of no use when stochastic).
                if n_iter != max_iter:
                    loss = float(evaluate())
                    flat_grad = self._flat_grad()
                    opt_cond = bool(flat_grad.abs().max() <= tolerance_grad)
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if (n_iter == max_iter or current_evals >= max_eval or opt_cond
                    or d.mul(t).abs().max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change):
                break
        return orig_loss
