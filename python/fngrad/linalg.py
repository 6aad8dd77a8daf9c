"""``fngrad.linalg``: PyTorch's ``torch.linalg`` on NumPy's LAPACK, with PyTorch's gradients.

Each decomposition is an autograd Function with a NumPy forward and the backward formula PyTorch
uses (``torch/csrc/autograd/FunctionsManual.cpp``), written in differentiable fngrad ops (among them
these very functions), so double backward works. Everything else (norms, det, solve with vectors,
lstsq, matrix_power, cond) is composed from those. Leading dims are batch dims, as in PyTorch.

Example::

    >>> import fngrad
    >>> A = fngrad.tensor([[2., 0.], [0., 4.]], requires_grad=True)
    >>> fngrad.linalg.det(A)
    tensor(8., grad_fn=<LinalgDetBackward0>)
"""

from __future__ import annotations

import builtins
import collections
import math
import numbers

import numpy as np

from . import _C
from ._contract import _cross, _multi_dot
from ._creation import _SCALAR_TYPE_NAME, from_numpy, zeros
from ._functions import cat, return_types
from ._precision import half_in_float32
from ._shape_ops import _wrap_dim, diag_embed, movedim
from ._shape_ops import diagonal as _diagonal
from .autograd.function import Function

__all__ = [
    "LinAlgError", "norm", "vector_norm", "matrix_norm", "inv", "det", "slogdet", "solve", "cholesky", "qr",
    "eigh", "eigvalsh", "svd", "svdvals", "pinv", "lstsq", "matrix_exp", "matrix_power", "matrix_rank",
    "cond", "cross", "multi_dot", "matmul", "vecdot", "diagonal", "solve_triangular", "tensorinv", "tensorsolve",
    "vander", "cholesky_ex", "inv_ex", "solve_ex",
]

_Tensor = _C.TensorBase


class _LinAlgError(RuntimeError):
    """LinAlgError(message)

    A matrix the operation cannot handle (singular, not positive-definite): PyTorch's
    ``torch.linalg.LinAlgError`` (a RuntimeError).

    >>> try:
    ...     fngrad.linalg.inv(fngrad.zeros(2, 2))
    ... except fngrad.linalg.LinAlgError as e:
    ...     print(type(e).__name__, isinstance(e, RuntimeError))
    _LinAlgError True
    """


_LinAlgError.__module__ = "fngrad._C"
LinAlgError = _LinAlgError

# The named tuples PyTorch returns (torch.return_types.*), also reachable as fngrad.return_types.*.
_NAMED = {
    "linalg_slogdet": ["sign", "logabsdet"], "slogdet": ["sign", "logabsdet"], "linalg_eigh": ["eigenvalues",
    "eigenvectors"], "linalg_qr": ["Q", "R"], "qr": ["Q", "R"], "linalg_svd": ["U", "S", "Vh"],
    "svd": ["U", "S", "V"], "linalg_lstsq": ["solution", "residuals", "rank", "singular_values"],
}
for _name, _fields in _NAMED.items():
    setattr(return_types, _name, collections.namedtuple(_name, _fields))


# ----------------------------------------------------------------------------------------------------
# Checks and NumPy plumbing
# ----------------------------------------------------------------------------------------------------
_DTYPE_NAMES = {_C.int64: "Long", _C.bool: "Bool", _C.float32: "Float", _C.float64: "Double"}


def _check_float(A, op, name="input"):
    if not isinstance(A, _Tensor):
        raise TypeError(f"[{op}] {op}(): argument '{name}' must be Tensor, not {type(A).__name__}")
    if not A.is_floating_point():
        raise RuntimeError(f"[{op}] {op}: Expected a floating point or complex tensor as input. Got "
                           f"{_DTYPE_NAMES.get(A.dtype, A.dtype)}")


def _check_matrix(A, op, square=False, name="A"):
    _check_float(A, op)
    if A.dim() < 2:
        raise RuntimeError(f"[{op}] {op}: The input tensor {name} must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"[{op}] {op}: {name} must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def _refuse_half(A, op, kernel):
    """PyTorch's refusal of a non-empty float16/bfloat16 input by a LAPACK kernel (which has no half
    precision); an empty one is returned without the check, as PyTorch does."""
    if A.dtype in (_C.float16, _C.bfloat16) and A.numel():
        raise NotImplementedError(f"[{op}] \"{kernel}\" not implemented for '{_SCALAR_TYPE_NAME[A.dtype]}'")


def _np(t):
    return t.detach().numpy()


def _out(a, like):
    """A NumPy result as a tensor of ``like``'s dtype."""
    return from_numpy(np.array(a, dtype=_np(like).dtype, order="C"))


def _batch_prefix(a, index):
    return f"(Batch element {index}): " if a.ndim > 2 else ""


def _first_zero_pivot(m):
    """1-based index of the first zero pivot of LU with partial pivoting (LAPACK getrf's info)."""
    m = np.array(m, dtype=np.float64)
    n = m.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        if m[p, k] == 0:
            return k + 1
        m[[k, p]] = m[[p, k]]
        m[k + 1:, k:] -= np.outer(m[k + 1:, k] / m[k, k], m[k, k:])
    return n


def _singular_error(a, op):
    flat = a.reshape(-1, *a.shape[-2:])
    for i, m in enumerate(flat):
        if np.linalg.matrix_rank(m) < m.shape[0] or not np.isfinite(np.linalg.cond(m)):
            k = _first_zero_pivot(m)
            return _LinAlgError(f"[{op}] {op}: {_batch_prefix(a, i)}The diagonal element {k} is zero, the inversion "
                                f"could not be completed because the input matrix is singular.")
    return _LinAlgError(f"[{op}] {op}: The inversion could not be completed because the input matrix is singular.")


def _eye_like(A):
    n = A.shape[-1]
    return from_numpy(np.eye(n, dtype=_np(A).dtype))


def _mT(x):
    return x.transpose(-2, -1)


# ----------------------------------------------------------------------------------------------------
# inv, det, slogdet, solve
# ----------------------------------------------------------------------------------------------------
class _Inv(Function):
    _node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, A):
        a = _np(A)
        try:
            out = _out(np.linalg.inv(a), A)
        except np.linalg.LinAlgError:
            raise _singular_error(a, "linalg.inv") from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        inv_a, = ctx.saved_tensors
        inv_t = _mT(inv_a)
        return -(inv_t @ grad @ inv_t)


def inv(A):
    """The inverse of each square matrix of ``A``; ``LinAlgError`` when one is singular.

    >>> fngrad.linalg.inv(fngrad.tensor([[2., 0.], [0., 4.]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    _check_matrix(A, "linalg.inv", square=True)
    return _Inv.apply(A)


class _Det(Function):
    _node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, A):
        out = _out(np.linalg.det(_np(A)), A)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, d = ctx.saved_tensors
        # d det(A) = det(A) tr(A^-1 dA): the gradient is g det(A) A^-T when every A is invertible.
        # Otherwise (as PyTorch) from the SVD A = U diag(S) Vh: the adjugate is
        # det(U) det(Vh) U diag(prod_{j != i} S_j) Vh, which needs no inverse.
        if np.all(_np(d) != 0):
            try:
                return (grad * d).unsqueeze(-1).unsqueeze(-1) * _mT(inv(A))
            except _LinAlgError:
                pass
        U, S, Vh = _SVD.apply(A)
        sign = _out(np.linalg.det(_np(U)) * np.linalg.det(_np(Vh)), A)
        eye = _eye_like(A).bool()
        others = _C.where(eye, 1.0, S.unsqueeze(-2).expand(*S.shape, S.shape[-1])).prod(-1)
        return (grad * sign).unsqueeze(-1).unsqueeze(-1) * (U * others.unsqueeze(-2)) @ Vh


def det(A):
    """The determinant of each square matrix of ``A``.

    >>> fngrad.linalg.det(fngrad.eye(3))
    tensor(1.)
    """
    _check_matrix(A, "linalg.det", square=True)
    return _Det.apply(A)


class _SlogDet(Function):
    _node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, A):
        ctx.save_for_backward(A)
        sign, logabsdet = np.linalg.slogdet(_np(A))
        return _out(sign, A), _out(logabsdet, A)

    @staticmethod
    def backward(ctx, grad_sign, grad_logabsdet):
        # The sign of a real determinant is piecewise constant: its gradient is zero (PyTorch's
        # sign output requires grad all the same).
        A, = ctx.saved_tensors
        return grad_logabsdet.unsqueeze(-1).unsqueeze(-1) * _mT(inv(A))


def slogdet(A):
    """``(sign, logabsdet)`` of the determinants of ``A`` (a named tuple; both are outputs of the graph
    node, as in PyTorch, and the sign's gradient is zero).

    >>> fngrad.linalg.slogdet(-fngrad.eye(3)).sign
    tensor(-1.)
    """
    _check_matrix(A, "linalg.slogdet", square=True)
    return return_types.linalg_slogdet(*_SlogDet.apply(A))


class _Solve(Function):
    _node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, A, B):
        a, b = _np(A), _np(B)
        try:
            x = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise _LinAlgError("[linalg.solve] torch.linalg.solve: The solver failed because the input matrix is "
                               "singular.") from None
        out = _out(x, A)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, X = ctx.saved_tensors
        gB = _Solve.apply(_mT(A), grad)
        gA = -(gB @ _mT(X)) if ctx.needs_input_grad[0] else None
        return gA, gB


def solve(A, B, *, left=True):
    """The solution X of ``A X = B`` (``X A = B`` with ``left=False``) for square invertible ``A``; ``B``
    may be a (batch of) vector(s).

    >>> fngrad.linalg.solve(2 * fngrad.eye(2), fngrad.ones(2))
    tensor([0.5000, 0.5000])
    """
    op = "linalg.solve"
    _check_matrix(A, op, square=True)
    _check_float(B, op, "B")
    if A.dtype != B.dtype:
        raise RuntimeError(f"[{op}] {op}: Expected A and B to have the same dtype, but found A of type "
                           f"{_DTYPE_NAMES[A.dtype]} and B of type {_DTYPE_NAMES[B.dtype]} instead")
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vector:
        B = B.unsqueeze(-1)
    if not left:
        if vector:
            raise RuntimeError(f"[{op}] {op}: Vector broadcasting of the left hand side is not supported for "
                               f"left=False. In this case linalg.solve is equivalent to B / A.squeeze(-1)")
        return _mT(solve(_mT(A), _mT(B)))
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"[{op}] {op}: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")
    batch = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    A_b = A.expand(*batch, *A.shape[-2:]) if tuple(A.shape[:-2]) != batch else A
    B_b = B.expand(*batch, *B.shape[-2:]) if tuple(B.shape[:-2]) != batch else B
    X = _Solve.apply(A_b, B_b)
    return X.squeeze(-1) if vector else X


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """The solution X of ``A X = B`` (``X A = B`` with ``left=False``) reading only the upper or lower
    triangle of ``A`` (and taking its diagonal as ones with ``unitriangular``); the gradient of ``A``
    is confined to that triangle, as PyTorch's.

    >>> fngrad.linalg.solve_triangular(2 * fngrad.eye(2), fngrad.ones(2, 1), upper=True)
    tensor([[0.5000],
            [0.5000]])
    """
    op = "linalg.solve_triangular"
    _check_matrix(A, op, square=True)
    _check_float(B, op, "B")
    if B.dim() < 2:
        raise RuntimeError(f"[{op}] {op}: The input tensor B must have at least 2 dimensions.")
    if unitriangular:
        tri = (A.triu(1) if upper else A.tril(-1)) + _eye_like(A)
    else:
        tri = A.triu() if upper else A.tril()
    return solve(tri, B, left=left)


def tensorinv(A, ind=2):
    """The tensor inverse: ``tensordot(tensorinv(A, ind), A, ind)`` is the identity over ``A.shape[ind:]``.

    >>> fngrad.linalg.tensorinv(fngrad.eye(4).reshape(4, 2, 2), ind=1).shape
    fngrad.Size([2, 2, 4])
    """
    op = "linalg.tensorinv"
    if ind <= 0:
        raise RuntimeError(f"[{op}] Expected a strictly positive integer for 'ind', but got {ind}")
    if ind > A.dim():
        raise RuntimeError(f"[{op}] ArrayRef: invalid slice, N = {ind}; size = {A.dim()}")
    rows, cols = A.shape[:ind], A.shape[ind:]
    m, n = int(np.prod(rows)), int(np.prod(cols))
    if m != n:
        raise RuntimeError(f"[{op}] Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {n} != {m}")
    return inv(A.reshape(m, n)).reshape(*cols, *rows)


def tensorsolve(A, B, dims=None):
    """The X with ``tensordot(A, X, X.ndim) == B`` (``dims``: dims of A moved to the end first).

    >>> fngrad.linalg.tensorsolve(fngrad.eye(4).reshape(2, 2, 4), fngrad.ones(2, 2)).shape
    fngrad.Size([4])
    """
    if dims is not None:
        dims = list(dims)
        A = movedim(A, dims, list(range(A.dim() - len(dims), A.dim())))
    rest = A.shape[B.dim():]
    n = int(np.prod(rest))
    if B.numel() != n:
        raise RuntimeError(f"[linalg.tensorsolve] Expected self to satisfy the requirement "
                           f"prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), but got {n} != "
                           f"{B.numel()}")
    return solve(A.reshape(B.numel(), n), B.reshape(-1)).reshape(tuple(rest))


def vander(x, N=None):
    """The Vandermonde matrix of ``x`` (batched), with increasing powers ``x**0, ..., x**(N-1)``.

    >>> fngrad.linalg.vander(fngrad.tensor([2, 3]))
    tensor([[1, 2],
            [1, 3]])
    """
    op = "linalg.vander"
    if x.dtype in (_C.float16, _C.bfloat16, _C.bool):
        raise RuntimeError(f"[{op}] linalg.vander supports floating point, complex, and integer tensors, but got "
                           f"{_SCALAR_TYPE_NAME[x.dtype]}")
    if not x.is_floating_point():  # PyTorch's powers of integers are int64, whatever the width of x
        x = x.to(_C.int64)
    if x.dim() == 0:  # a 0-d x is one point: a 1 x N matrix
        x = x.reshape(1)
    N = x.shape[-1] if N is None else N
    if N <= 1:
        raise RuntimeError(f"[{op}] N must be greater than 1.")
    columns = [x * 0 + 1]
    for _ in range(N - 1):
        columns.append(columns[-1] * x)
    return _C.stack(columns, -1)


# ----------------------------------------------------------------------------------------------------
# cholesky, qr, eigh, svd
# ----------------------------------------------------------------------------------------------------
def _potf2(m):
    """LAPACK's unblocked lower Cholesky of one matrix (its lower triangle read), in float64, as
    ``(L, info)``: on failure at order ``info`` the columns before it are factored, the failing
    diagonal entry holds ``a_kk - sum_j L_kj^2`` and the rest of the lower triangle is ``m``'s own."""
    a = np.tril(np.array(m, dtype=np.float64))
    for j in range(a.shape[0]):
        ajj = a[j, j] - a[j, :j] @ a[j, :j]
        if not ajj > 0:  # NaN fails too
            a[j, j] = ajj
            return a, j + 1
        a[j, j] = ajj = np.sqrt(ajj)
        a[j + 1:, j] = (a[j + 1:, j] - a[j + 1:, :j] @ a[j, :j]) / ajj
    return a, 0


def _cholesky_np(a):
    """The lower Cholesky factors of ``a``'s matrices and LAPACK's info per matrix (0: success);
    a matrix that is not positive-definite keeps potf2's partial factor (PyTorch's cholesky_ex)."""
    info = np.zeros(a.shape[:-2], dtype=np.int32)
    try:
        return np.linalg.cholesky(a), info
    except np.linalg.LinAlgError:
        pass
    flat, flat_info = a.reshape(-1, *a.shape[-2:]), info.reshape(-1)
    factors = np.empty(flat.shape, dtype=a.dtype)
    for i, m in enumerate(flat):
        try:
            factors[i] = np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            factors[i], flat_info[i] = _potf2(m)
    return factors.reshape(a.shape), info


class _Cholesky(Function):
    _node_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, A, factor):
        out = _out(factor, A)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, gL):
        L, = ctx.saved_tensors
        # PyTorch's cholesky_backward: gA = L^-H Phi(L^H gL) L^-1, where Phi keeps the lower triangle
        # with the diagonal halved and mirrors the strict part (only tril(gL) matters).
        gA = (_mT(L) @ gL).tril()
        gA = 0.5 * (gA + _mT(gA.tril(-1)))
        gA = _Solve.apply(_mT(L), gA)
        return _mT(_Solve.apply(_mT(L), _mT(gA))), None


def _cholesky(A, upper, op, check_errors):
    """``(L, info)`` of cholesky and cholesky_ex; PyTorch's LinAlgError for a failure with ``check_errors``."""
    _check_matrix(A, op, square=True)
    if A.dtype in (_C.float16, _C.bfloat16):
        _refuse_half(A, op, "cholesky_cpu")
        return A.tril(), zeros(tuple(A.shape[:-2]), dtype=_C.int32)
    if upper:  # the upper triangle is read: U = cholesky(A^T)^T
        A = _mT(A)
    a = _np(A)
    factor, info = _cholesky_np(a)
    if check_errors and info.any():
        i = int(np.flatnonzero(info.reshape(-1))[0])
        raise _LinAlgError(
            f"[{op}] {op}: {_batch_prefix(a, i)}The factorization could not be completed because the input is "
            f"not positive-definite (the leading minor of order {int(info.reshape(-1)[i])} is not positive-definite).")
    L = _Cholesky.apply(A, factor)
    return (_mT(L) if upper else L), from_numpy(info)


def cholesky(A, *, upper=False):
    """The Cholesky factor L (lower, ``A = L L^T``; ``U = L^T`` with ``upper=True``) of symmetric
    positive-definite matrices (only the lower triangle of A is read; the upper one with ``upper``).

    >>> fngrad.linalg.cholesky(4 * fngrad.eye(2))
    tensor([[2., 0.],
            [0., 2.]])
    """
    return _cholesky(A, upper, "linalg.cholesky", True)[0]


class _QR(Function):
    _node_name = "LinalgQrBackward0"

    """QR of m x n matrices with m >= n (reduced: Q is m x n); PyTorch's linalg_qr_backward."""

    @staticmethod
    def forward(ctx, A):
        q, r = np.linalg.qr(_np(A), mode="reduced")
        Q, R = _out(q, A), _out(r, A)
        ctx.save_for_backward(Q, R)
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        # gA = [gQ + Q syminvadj(triu(gR R^H - Q^H gQ))] R^-H
        M = (gR @ _mT(R) - _mT(Q) @ gQ).triu()
        M = M + _mT(M) - diag_embed(_diagonal(M, 0, -2, -1))
        gA = gQ + Q @ M
        return _mT(_Solve.apply(R, _mT(gA)))


def qr(A, mode="reduced"):
    """The QR decomposition ``(Q, R)`` of ``A`` (a named tuple); ``mode`` is 'reduced', 'complete' or 'r'
    (Q empty).

    >>> fngrad.linalg.qr(fngrad.randn(4, 3)).R.shape
    fngrad.Size([3, 3])
    """
    op = "linalg.qr"
    _check_matrix(A, op)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"[{op}] qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           f"(default), 'r', or 'complete'")
    m, n = A.shape[-2:]
    if m < n:
        # A = [X Y] with X square: Q R_x = X, R = [R_x, Q^T Y] (the gradient follows from the graph).
        Q, Rx = _QR.apply(A[..., :, :m])
        R = cat([Rx, _mT(Q) @ A[..., :, m:]], -1)
    elif mode == "complete" and m > n:
        q, r = np.linalg.qr(_np(A), mode="complete")
        Q, R = _out(q, A), _out(r, A)
        if A.requires_grad:
            raise NotImplementedError(f"[{op}] The derivative of linalg.qr depends on Q, which is not computed "
                                      f"when mode='complete' and nrows > ncols.")
    else:
        Q, R = _QR.apply(A)
    if mode == "r":
        Q = zeros(0, dtype=A.dtype)
    return return_types.linalg_qr(Q, R)


class _Eigh(Function):
    _node_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, A, uplo):
        ctx.set_materialize_grads(False)
        w, v = np.linalg.eigh(_np(A), UPLO=uplo)
        L, V = _out(w, A), _out(v, A)
        ctx.save_for_backward(L, V)
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        # PyTorch's linalg_eig_backward for Hermitian input: gA = V (diag(gL) + skew(V^H gV) / E) V^H,
        # E_ij = L_j - L_i (1 on the diagonal, where skew(.) is 0). Without gV: V diag(gL) V^H.
        if gV is None:
            return (V * gL.unsqueeze(-2)) @ _mT(V) if gL is not None else None, None
        VhgV = _mT(V) @ gV
        VhgV = 0.5 * (VhgV - _mT(VhgV))
        E = L.unsqueeze(-2) - L.unsqueeze(-1) + _eye_like(V)
        inner = VhgV / E
        if gL is not None:
            inner = inner + diag_embed(gL)
        return V @ inner @ _mT(V), None


def _check_uplo(UPLO, op):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"[{op}] Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices (``UPLO``: the triangle read), as a
    named tuple ``(eigenvalues, eigenvectors)``.

    >>> fngrad.linalg.eigh(fngrad.eye(2)).eigenvalues
    tensor([1., 1.])
    """
    _check_matrix(A, "linalg.eigh", square=True)
    _check_uplo(UPLO, "linalg.eigh")
    return return_types.linalg_eigh(*_Eigh.apply(A, UPLO))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues (ascending) of symmetric matrices.

    >>> fngrad.linalg.eigvalsh(2 * fngrad.eye(2))
    tensor([2., 2.])
    """
    _check_matrix(A, "linalg.eigvalsh", square=True)
    _check_uplo(UPLO, "linalg.eigvalsh")
    _refuse_half(A, "linalg.eigvalsh", "linalg_eigh_cpu")
    return half_in_float32(_Eigh.apply)(A, UPLO)[0].to(A.dtype)


class _SVD(Function):
    _node_name = "LinalgSvdBackward0"

    """The reduced SVD; PyTorch's svd_backward."""

    @staticmethod
    def forward(ctx, A):
        ctx.set_materialize_grads(False)
        u, s, vh = np.linalg.svd(_np(A), full_matrices=False)
        U, S, Vh = _out(u, A), _out(s, A), _out(vh, A)
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        if gU is None and gVh is None:  # only the singular values matter: gA = U diag(gS) Vh
            return U @ (gS.unsqueeze(-1) * Vh) if gS is not None else None
        m, n = U.shape[-2], Vh.shape[-1]
        V = _mT(Vh)
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye_like(V if m >= n else U)
        gA = None
        if gU is not None:
            UhgU = _mT(U) @ gU
            gA = (UhgU - _mT(UhgU)) * S.unsqueeze(-2) / E
        if gVh is not None:
            gV = _mT(gVh)
            VhgV = _mT(V) @ gV
            term = S.unsqueeze(-1) * (VhgV - _mT(VhgV)) / E
            gA = term if gA is None else gA + term
        if gS is not None:
            gA = gA + diag_embed(gS)
        if m > n and gU is not None:
            gA = U @ gA
            gUSinv = gU / S.unsqueeze(-2)
            gA = gA + gUSinv - U @ (_mT(U) @ gUSinv)
            return gA @ Vh
        if m < n and gVh is not None:
            gA = gA @ Vh
            SinvgVh = gVh / S.unsqueeze(-1)
            gA = gA + SinvgVh - (SinvgVh @ V) @ Vh
            return U @ gA
        return U @ gA @ Vh


def svd(A, full_matrices=True):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, singular values descending (a named tuple). With
    ``full_matrices`` U and Vh are square; the gradient then ignores their extra columns/rows, as
    PyTorch's does.

    >>> fngrad.linalg.svd(fngrad.eye(2)).S
    tensor([1., 1.])
    """
    _check_matrix(A, "linalg.svd")
    U, S, Vh = _SVD.apply(A)
    m, n = A.shape[-2:]
    if full_matrices and m != n:
        u, _, vh = np.linalg.svd(_np(A), full_matrices=True)
        k = builtins.min(m, n)
        if m > n:
            U = cat([U, _out(u[..., :, k:], A)], -1)
        else:
            Vh = cat([Vh, _out(vh[..., k:, :], A)], -2)
    return return_types.linalg_svd(U, S, Vh)


def svdvals(A):
    """The singular values of ``A``, descending.

    >>> fngrad.linalg.svdvals(fngrad.eye(2))
    tensor([1., 1.])
    """
    _check_matrix(A, "linalg.svdvals")
    _refuse_half(A, "linalg.svdvals", "linalg_svd_cpu")
    return half_in_float32(_SVD.apply)(A)[1].to(A.dtype)


# ----------------------------------------------------------------------------------------------------
# pinv, lstsq, matrix functions, rank, cond
# ----------------------------------------------------------------------------------------------------
def _tolerance(s, atol, rtol, m, n, dtype_eps):
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    atol = 0.0 if atol is None else np.asarray(_np(atol) if isinstance(atol, _Tensor) else atol)[..., None]
    if rtol is None:
        rtol = builtins.max(m, n) * dtype_eps if np.all(atol == 0) else 0.0
    rtol = np.asarray(_np(rtol) if isinstance(rtol, _Tensor) else rtol)
    if rtol.ndim:
        rtol = rtol[..., None]
    return np.maximum(atol, rtol * smax)


class _Pinv(Function):
    _node_name = "LinalgPinvBackward0"

    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian):
        a = _np(A)
        if hermitian:  # from the eigendecomposition of the lower triangle, as PyTorch
            w, u = np.linalg.eigh(a)
            s, vh = np.abs(w), np.swapaxes(u, -1, -2)
            keep = s > _tolerance(s, atol, rtol, *a.shape[-2:], np.finfo(a.dtype).eps)
            w_inv = np.where(keep, 1 / np.where(keep, w, 1), 0)
            out = _out(u @ (w_inv[..., :, None] * vh), A)
        else:
            u, s, vh = np.linalg.svd(a, full_matrices=False)
            keep = s > _tolerance(s, atol, rtol, *a.shape[-2:], np.finfo(a.dtype).eps)
            s_inv = np.where(keep, 1 / np.where(keep, s, 1), 0)
            out = _out(np.swapaxes(vh, -1, -2) @ (s_inv[..., :, None] * np.swapaxes(u, -1, -2)), A)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, P = ctx.saved_tensors
        # PyTorch's pinv_backward (real case), in the order that keeps the products small.
        m, n = A.shape[-2:]
        Ph, gh = _mT(P), _mT(grad)
        if m <= n:
            K = gh @ P
            KPh = K @ Ph
            gA = -_mT(P @ K) + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
        else:
            K = P @ gh
            PhK = Ph @ K
            gA = -_mT(K @ P) + PhK - (PhK @ P) @ A + (gh - A @ K) @ P @ Ph
        return gA, None, None, None


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse (singular values below ``max(atol, rtol * s_max)`` dropped; by
    default ``rtol = max(m, n) * eps``).

    >>> fngrad.linalg.pinv(fngrad.ones(2, 1))
    tensor([[0.5000, 0.5000]])
    """
    _check_matrix(A, "linalg.pinv")
    return _Pinv.apply(A, atol, rtol, hermitian)


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of ``A X = B`` as PyTorch's named tuple ``(solution, residuals, rank,
    singular_values)``, filled as PyTorch fills it for each ``driver`` (default 'gelsy'): residuals (the
    squared norms of the residual columns) when m > n and the driver is not gelsy, the rank unless
    'gels', the singular values for 'gelsd' and 'gelss'; the others are empty. The solution is
    pinv(A) @ B, which is also how PyTorch differentiates it.

    >>> fngrad.linalg.lstsq(fngrad.ones(3, 1), fngrad.ones(3, 1)).solution
    tensor([[1.0000]])
    """
    op = "linalg.lstsq"
    _check_matrix(A, op)
    _check_float(B, op, "B")
    driver = "gelsy" if driver is None else driver
    if driver not in ("gelsy", "gelsd", "gelss", "gels"):
        raise RuntimeError(f"[{op}] torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, "
                           f"gelss)")
    vector = B.dim() == A.dim() - 1
    Bm = B.unsqueeze(-1) if vector else B
    if Bm.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"[{op}] torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = A.shape[-2:]
    rtol = rcond if rcond is not None and rcond > 0 else None
    X = pinv(A, rtol=rtol) @ Bm
    empty = zeros(0, dtype=A.dtype)
    # PyTorch's residuals are an output of the graph node even when empty.
    residuals = ((A @ X - Bm) ** 2).sum(-2) if m > n and driver != "gelsy" else X.reshape(-1)[:0]
    if vector:
        X = X.squeeze(-1)
        if residuals.dim():
            residuals = residuals.squeeze(-1) if m > n and driver != "gelsy" else residuals
    rank = zeros(0, dtype=_C.int64) if driver == "gels" else matrix_rank(A, rtol=rtol)
    sv = svdvals(A).detach() if driver in ("gelsd", "gelss") else empty.clone()
    return return_types.linalg_lstsq(X, residuals, rank, sv)


def _exp_np(a):
    """exp of each matrix by scaling and squaring with a degree-18 Taylor polynomial (float64)."""
    a = np.asarray(a, dtype=np.float64)
    norm = np.abs(a).sum(-2).max(-1) if a.size else np.zeros(a.shape[:-2])
    s = int(builtins.max(0, math.ceil(math.log2(float(np.max(norm, initial=0.0)) + 1e-300)) + 1)) \
        if np.max(norm, initial=0.0) > 0.5 else 0
    x = a / 2.0**s
    eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    term, result = eye.copy(), eye.copy()
    for k in range(1, 19):
        term = term @ x / k
        result = result + term
    for _ in range(s):
        result = result @ result
    return result


class _MatrixExp(Function):
    _node_name = "LinalgMatrixExpBackward0"

    @staticmethod
    def forward(ctx, A):
        ctx.save_for_backward(A)
        return _out(_exp_np(_np(A)), A)

    @staticmethod
    def backward(ctx, grad):
        A, = ctx.saved_tensors
        # PyTorch's matrix_exp backward: the upper-right block of exp([[A^H, G], [0, A^H]]).
        n = A.shape[-1]
        At = _mT(A)
        top = cat([At, grad], -1)
        bottom = cat([zeros(*At.shape, dtype=A.dtype), At], -1)
        return _MatrixExp.apply(cat([top, bottom], -2))[..., :n, n:]


def matrix_exp(A):
    """The matrix exponential of each square matrix.

    >>> fngrad.linalg.matrix_exp(fngrad.zeros(2, 2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    _check_matrix(A, "linalg.matrix_exp", square=True)
    return half_in_float32(_MatrixExp.apply)(A)


def matrix_power(A, n):
    """``A`` multiplied by itself ``n`` times (the identity for 0, powers of the inverse for n < 0).

    >>> fngrad.linalg.matrix_power(2 * fngrad.eye(2), 3)
    tensor([[8., 0.],
            [0., 8.]])
    """
    op = "linalg.matrix_power"
    if A.dim() < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"[{op}] {op}: expected a tensor of squared matrices, but got a tensor of shape "
                           f"{list(A.shape)}" if A.dim() < 2 else
                           f"[{op}] {op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")
    if isinstance(n, builtins.bool) or not isinstance(n, (numbers.Integral, np.integer)):
        raise TypeError(f"[{op}] matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:  # the identity, in the graph with a zero gradient (as PyTorch's)
        return A * 0 + _eye_like(A)
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """The number of singular values above ``max(atol, rtol * s_max)`` (int64, no gradient).

    >>> fngrad.linalg.matrix_rank(fngrad.ones(3, 3))
    tensor(1)
    """
    _check_matrix(A, "linalg.matrix_rank")
    if tol is not None:
        atol, rtol = tol, 0.0
    a = _np(A)
    s = np.linalg.svd(a, compute_uv=False)
    tol_ = _tolerance(s, atol, rtol, *a.shape[-2:], np.finfo(a.dtype).eps)
    return from_numpy(np.array((s > tol_).sum(-1), dtype=np.int64))


def cond(A, p=None):
    """The condition number of ``A`` in the norm ``p`` (None or 2: the ratio of the extreme singular
    values; -2, 1, -1, inf, -inf, 'fro', 'nuc': norm(A) * norm(inv(A))).

    >>> fngrad.linalg.cond(fngrad.diag(fngrad.tensor([1., 4.])))
    tensor(4.)
    """
    _check_matrix(A, "linalg.cond", square=p in ("fro", "nuc"))
    if A.shape[-2] == 0 or A.shape[-1] == 0:  # PyTorch: 0 for an empty matrix, outside the graph
        return zeros(tuple(A.shape[:-2]), dtype=A.dtype)
    if p is None or p == 2 or p == -2:
        s = svdvals(A)
        ratio = s[..., 0] / s[..., -1]
        return ratio if p != -2 else 1 / ratio
    _check_matrix(A, "linalg.cond", square=True)
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


# ----------------------------------------------------------------------------------------------------
# Norms
# ----------------------------------------------------------------------------------------------------
def _dims(dim, ndim, op):
    if dim is None:
        return list(range(ndim))
    dims = [dim] if isinstance(dim, (numbers.Integral, np.integer)) else list(dim)
    dims = [_wrap_dim(d, ndim, op) for d in dims]
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"[{op}] {op}: dim {list(dim)} appears multiple times in the list of dims")
    return dims


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of ``x`` over ``dim`` (all dims when None) seen as a vector: sum(|x|^ord)^(1/ord);
    inf and -inf are the largest and smallest |x|, 0 counts the non-zeros.

    >>> fngrad.linalg.vector_norm(fngrad.tensor([3., 4.]))
    tensor(5.)
    """
    op = "linalg.vector_norm"
    _check_float(x, op)
    if dtype is not None:
        x = x.to(dtype)
    if not isinstance(ord, (numbers.Real, np.floating)):
        raise TypeError(f"[{op}] {op}(): argument 'ord' must be Number, not {type(ord).__name__}")
    dims = tuple(_dims(dim, x.dim(), op)) if x.dim() else None
    if x.dim() == 0:
        x = x.reshape(1)
        dims = (0,)
        out = _vector_norm(x, ord, dims, True).reshape(()) if keepdim else _vector_norm(x, ord, dims, False)
        return out
    if x.numel() == 0 and ord < 0 or (x.numel() == 0 and ord == float("inf")):
        raise RuntimeError(f"[{op}] {op} cannot compute the {ord} norm on an empty tensor because the operation "
                           f"does not have an identity")
    return _vector_norm(x, ord, dims, keepdim)


def _vector_norm(x, ord, dims, keepdim):
    if ord == float("inf"):
        return x.abs().amax(dims, keepdim)
    if ord == -float("inf"):
        return x.abs().amin(dims, keepdim)
    if ord == 0:
        return (x * 0).sum(dims, keepdim) + (x != 0).to(x.dtype).sum(dims, keepdim)
    return _p_norm(x, ord, dims, keepdim)


@half_in_float32
def _p_norm(x, ord, dims, keepdim):
    if ord > 0:
        return _C.TensorBase.norm(x, ord, dims, keepdim)
    return (x.abs() ** ord).sum(dims, keepdim) ** (1.0 / ord)


def _amax0(t, dim, keepdim):
    """``t.amax(dim)``, zero over an empty dim (a norm of an empty matrix is zero, as in PyTorch)."""
    return t.sum(dim, keepdim) if t.shape[dim] == 0 else t.amax(dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm ``ord`` ('fro', 'nuc', 2, -2, 1, -1, inf, -inf) of the matrices in dims ``dim``.

    >>> fngrad.linalg.matrix_norm(fngrad.eye(2), 'nuc')
    tensor(2.)
    """
    op = "linalg.matrix_norm"
    _check_float(A, op)
    if A.dim() < 2:
        raise RuntimeError(f"[{op}] {op}: The input tensor A must have at least 2 dimensions.")
    if dtype is not None:
        A = A.to(dtype)
    dims = _dims(dim, A.dim(), op)
    if len(dims) != 2:
        raise RuntimeError(f"[{op}] {op}: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    d0, d1 = dims
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord == "nuc" or ord in (2, -2):
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        out = s.sum(-1) if ord == "nuc" else _amax0(s, -1, False) if ord == 2 else s.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, float("inf"), -float("inf")):
        sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(sum_dim, keepdim=True)
        out = _amax0(sums, red_dim, True) if ord > 0 else sums.amin(red_dim, keepdim=True)
        return out if keepdim else out.squeeze(builtins.max(d0, d1)).squeeze(builtins.min(d0, d1))
    raise RuntimeError(f"[{op}] {op}: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm (``dim`` an int, or a 1-D input) or a matrix norm (``dim`` a pair, or a 2-D input);
    with ``ord=None`` and ``dim=None``, the 2-norm of all elements.

    >>> fngrad.linalg.norm(fngrad.tensor([[3., 4.]]))
    tensor(5.)
    """
    op = "linalg.norm"
    _check_float(A, op)
    if dim is not None:
        dims = [dim] if isinstance(dim, (numbers.Integral, np.integer)) else list(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(f"[{op}] {op}: If dim is specified, it must be of length 1 or 2. Got {dims}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.dim() == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.dim() == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"[{op}] {op}: If dim is not specified but ord is, the input must be 1D or 2D. "
                       f"Got {A.dim()}D.")


# ----------------------------------------------------------------------------------------------------
# Products and views under their linalg names
# ----------------------------------------------------------------------------------------------------
def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (broadcasting the other dims).

    >>> fngrad.linalg.cross(fngrad.tensor([1., 0, 0]), fngrad.tensor([0., 1, 0]))
    tensor([0., 0., 1.])
    """
    return _cross(input, other, dim, "linalg.cross")


def multi_dot(tensors):
    """The product of ``tensors`` in the cheapest order (the first may be 1-D, a row; the last 1-D, a
    column).

    >>> fngrad.linalg.multi_dot([fngrad.ones(2), fngrad.eye(2), fngrad.ones(2)])
    tensor(2.)
    """
    return _multi_dot(tensors, "linalg.multi_dot")


def matmul(input, other):
    """``input @ other`` (an alias of fngrad.matmul).

    >>> fngrad.linalg.matmul(fngrad.eye(2), fngrad.ones(2))
    tensor([1., 1.])
    """
    return input.matmul(other)


def vecdot(x, y, *, dim=-1):
    """The dot product of vectors along ``dim`` (broadcasting).

    >>> fngrad.linalg.vecdot(fngrad.ones(2, 3), fngrad.ones(3))
    tensor([3., 3.])
    """
    return (x * y).sum(_wrap_dim(dim, builtins.max(x.dim(), y.dim()), "linalg.vecdot"))


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of the matrices in dims (dim1, dim2), as the last dim.

    >>> fngrad.linalg.diagonal(fngrad.eye(2))
    tensor([1., 1.])
    """
    return _diagonal(A, offset, dim1, dim2)



# ----------------------------------------------------------------------------------------------------
# The *_ex variants: the result and LAPACK's ``info`` (int32, one per matrix of the batch; 0 = success)
# ----------------------------------------------------------------------------------------------------
for _name, _fields in {"linalg_cholesky_ex": ["L", "info"], "linalg_inv_ex": ["inverse", "info"],
                       "linalg_solve_ex": ["result", "info"]}.items():
    setattr(return_types, _name, collections.namedtuple(_name, _fields))


def _ex(op, fn, batch, check_errors):
    """``(fn(), zeros info)``; a failure raises with ``check_errors`` and otherwise refuses: LAPACK's
    partial results (the values PyTorch returns beside a nonzero info) are not modelled."""
    try:
        result = fn()
    except _LinAlgError:
        if check_errors:
            raise
        raise NotImplementedError(f"[{op}] {op}: the partial result and nonzero info of a failed factorization "
                                  f"(check_errors=False) are not implemented") from None
    return result, zeros(tuple(batch), dtype=_C.int32)


def cholesky_ex(A, *, upper=False, check_errors=False):
    """``(L, info)``: :func:`cholesky` and LAPACK's status per matrix (int32: 0 on success, else the order
    of the leading minor that is not positive-definite, with the partial factor in L, as PyTorch's).

    >>> fngrad.linalg.cholesky_ex(4 * fngrad.eye(2)).L
    tensor([[2., 0.],
            [0., 2.]])
    """
    return return_types.linalg_cholesky_ex(*_cholesky(A, upper, "linalg.cholesky_ex", check_errors))


def inv_ex(A, *, check_errors=False):
    """``(inverse, info)``: :func:`inv` and LAPACK's status per matrix (int32 zeros on success).

    >>> fngrad.linalg.inv_ex(2 * fngrad.eye(2)).inverse
    tensor([[0.5000, 0.0000],
            [0.0000, 0.5000]])
    """
    _check_matrix(A, "linalg.inv_ex", square=True)
    inverse, info = _ex("linalg.inv_ex", lambda: inv(A), A.shape[:-2], check_errors)
    return return_types.linalg_inv_ex(inverse, info)


def solve_ex(A, B, *, left=True, check_errors=False):
    """``(result, info)``: :func:`solve` and LAPACK's status per matrix (int32 zeros on success).

    >>> fngrad.linalg.solve_ex(2 * fngrad.eye(2), fngrad.ones(2)).result
    tensor([0.5000, 0.5000])
    """
    _check_matrix(A, "linalg.solve_ex", square=True)
    _check_float(B, "linalg.solve_ex", "B")
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    batch = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-1 if vector else -2]))
    result, info = _ex("linalg.solve_ex", lambda: solve(A, B, left=left), batch, check_errors)
    return return_types.linalg_solve_ex(result, info)
