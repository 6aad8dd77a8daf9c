"""Ready-made parametrizations, as ``torch.nn.utils.parametrizations``: ``weight_norm``,
``spectral_norm`` and ``orthogonal``, each registered with ``parametrize.register_parametrization``
(so the stored tensors are ``module.parametrizations.<name>.original...``)."""

from __future__ import annotations

from ... import _C, linalg
from ..._creation import eye as _eye
from ..._creation import randn as _randn
from ..._typeinfo import finfo as _finfo
from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..modules.conv import ConvTranspose1d, ConvTranspose2d
from ..modules.module import Module
from . import parametrize
from .weight_norm import _norm_except_dim, _weight_norm

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]

_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrizes ``module.<name>`` as ``g * v / ||v||`` with the norm over every dimension but
    ``dim`` (the whole tensor for ``dim=None``): ``g`` is stored as ``parametrizations.<name>.original0``
    and ``v`` as ``original1``. Returns ``module``.

    >>> import fngrad
    >>> from fngrad import nn
    >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
    >>> m.parametrizations.weight.original0.shape, m.parametrizations.weight.original1.shape
    (fngrad.Size([2, 1]), fngrad.Size([2, 3]))
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            with no_grad():
                u = weight_mat.new_empty(h).normal_(0, 1)
                v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            # A good starting point for the first forward, as PyTorch.
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        # u and v are updated in place (they are the module's buffers), outside the graph.
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(weight_mat.mH.mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = u.vdot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divides ``module.<name>`` by its largest singular value, estimated by power iteration: the
    vectors ``u`` and ``v`` are buffers (``parametrizations.<name>.0._u`` / ``._v``), refined by
    ``n_power_iterations`` steps at each access in training mode and left alone in eval mode. The
    weight is seen as a matrix with ``dim`` (1 for transposed convolutions, else 0) as its rows.
    Returns ``module``.

    >>> import fngrad
    >>> from fngrad import nn
    >>> m = nn.utils.parametrizations.spectral_norm(nn.Linear(4, 3))
    >>> for _ in range(50):
    ...     w = m.weight
    >>> round(fngrad.linalg.matrix_norm(w.detach(), 2).item(), 3)
    1.0
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, _C.TensorBase):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


def _householder_product(A, tau):
    """Q = H_1 ... H_k with H_i = I - tau_i v_i v_i^H, v_i the i-th column of ``A`` below the diagonal
    with a 1 on it (LAPACK's orgqr, PyTorch's ``linalg.householder_product``), as a differentiable
    composition: k rank-one updates of an (n, k) matrix, applied last reflection first."""
    n, k = A.shape[-2], A.shape[-1]
    Q = _eye(n, k, dtype=A.dtype).expand(*A.shape[:-2], n, k)
    unit = _eye(n, k, dtype=A.dtype)
    V = A.tril(-1) + unit
    for i in reversed(range(k)):
        v = V[..., :, i:i + 1]
        Q = Q - (tau[..., i:i + 1].unsqueeze(-1) * v) @ (v.mH @ Q)
    return Q


def _make_orthogonal(A):
    """The Q factor of a tall ``A`` = QR with diag(R) >= 0."""
    Q, R = linalg.qr(A)
    return Q * R.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _is_orthogonal(Q):
    n, k = Q.shape[-2], Q.shape[-1]
    eps = 10.0 * n * _finfo(Q.dtype).eps
    return (Q.mH @ Q).allclose(_eye(k, dtype=Q.dtype), atol=eps)


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            # The lower triangle (n*k - k(k-1)/2 numbers) embedded in an n x n skew-symmetric matrix.
            X = X.tril()
            if n != k:
                X = _C.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], n, n - k)], -1)
            A = X - X.mH
            if self.orthogonal_map == "matrix_exp":
                Q = A.matrix_exp()
            else:
                Id = _eye(n, dtype=A.dtype)
                Q = linalg.solve(Id - 0.5 * A, Id + 0.5 * A)  # the Cayley map (I + A/2)(I - A/2)^-1
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(-2))
            Q = _householder_product(A, tau)
            # X's diagonal holds the signs (+-1) of Q's columns; it is not differentiated through.
            Q = Q * X.diagonal(dim1=-2, dim2=-1).detach().int().unsqueeze(-2)
        if self.base is not None:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                                 f"Got a tensor of shape {Q.shape}.")
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            if n < k:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in ("matrix_exp", "cayley"):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                raise NotImplementedError("orthogonal(orthogonal_map='householder', use_trivialization=False): "
                                          "assigning needs geqrf, which fngrad does not have")
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                # Completed to an n x n orthogonal matrix by random columns.
                N = _randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype)
                Q = _make_orthogonal(_C.cat([Q, N], -1))
            self.base = Q
            # -Id, so that the householder map of it is Id (it reads its signs off the diagonal).
            rows, cols = Q_init.shape[-2], Q_init.shape[-1]
            return (-_eye(rows, cols, dtype=Q_init.dtype)).expand(*Q_init.shape).clone()


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Makes ``module.<name>`` (a matrix or batch of matrices) orthogonal: W^T W = I for a tall W,
    W W^T = I for a wide one. ``orthogonal_map`` is "matrix_exp" (the default for square weights),
    "cayley" or "householder" (the default otherwise). With ``use_trivialization`` (the default) the
    current weight, made orthogonal, becomes the buffer ``base`` that the map multiplies, so
    registering keeps the weight when it is orthogonal already. Returns ``module``.

    >>> import fngrad
    >>> from fngrad import nn
    >>> m = nn.utils.parametrizations.orthogonal(nn.Linear(3, 3))
    >>> fngrad.allclose(m.weight.T @ m.weight, fngrad.eye(3), atol=1e-5)
    True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, _C.TensorBase):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
