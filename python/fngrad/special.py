"""``fngrad.special``: the special functions under ``torch.special``'s names.

The functions only ``torch.special`` has (``entr``, ``ndtr``, ``ndtri``, ``log_ndtr``, ``erfcx``,
``i0e``, ``i1``, ``i1e``, ``xlog1py``) are native op-table entries (``_C.special_<name>``); the
others are the fngrad functions of the same meaning under ``torch.special``'s spelling
(``gammaln`` is ``fngrad.lgamma``, ``expit`` is ``fngrad.sigmoid``, ``psi`` is ``fngrad.digamma``).

Example::

    >>> import fngrad
    >>> fngrad.special.gammaln(fngrad.tensor([5.]))
    tensor([3.1781])
    >>> fngrad.special.ndtr(fngrad.tensor([0.]))
    tensor([0.5000])
"""

from __future__ import annotations

from . import _C, _functions, _math_more, _special_ops

__all__ = [
    "entr", "ndtr", "ndtri", "log_ndtr", "erfcx", "i0e", "i1", "i1e", "xlog1py",
    "gammaln", "digamma", "psi", "polygamma", "multigammaln", "erf", "erfc", "erfinv", "expit", "exp2",
    "expm1", "log1p", "i0", "sinc", "round", "logit", "logsumexp", "softmax", "log_softmax", "xlogy",
]

entr = _C.special_entr
ndtr = _C.special_ndtr
ndtri = _C.special_ndtri
log_ndtr = _C.special_log_ndtr
erfcx = _C.special_erfcx
i0e = _C.special_i0e
i1 = _C.special_i1
i1e = _C.special_i1e
xlog1py = _C.special_xlog1py

gammaln = _C.lgamma
digamma = psi = _C.digamma
polygamma = _special_ops.polygamma
multigammaln = _special_ops.mvlgamma
erf = _C.erf
erfc = _C.erfc
erfinv = _C.erfinv
expit = _C.sigmoid
exp2 = _C.exp2
expm1 = _C.expm1
log1p = _C.log1p
i0 = _C.i0
sinc = _C.sinc
round = _C.round
logit = _math_more.logit
logsumexp = _functions.logsumexp
softmax = _functions.softmax
log_softmax = _functions.log_softmax
xlogy = _C.xlogy
