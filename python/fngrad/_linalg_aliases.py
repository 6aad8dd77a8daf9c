"""The ``torch.*`` and ``Tensor.*`` spellings of ``fngrad.linalg`` functions: ``fngrad.det``,
``fngrad.inverse``, ``fngrad.logdet``, ``fngrad.slogdet``, ``fngrad.cholesky``, ``fngrad.cholesky_solve``,
``fngrad.cholesky_inverse``, ``fngrad.pinverse``, ``fngrad.matrix_exp``, ``fngrad.matrix_power``,
``fngrad.svd`` (U, S, V), ``fngrad.qr`` (``some=``) and ``fngrad.triangular_solve`` (``linalg.solve_triangular``
with its arguments reversed), with PyTorch's signatures.

Example::

    >>> import fngrad
    >>> fngrad.eye(2).mul(3).det()
    tensor(9.)
"""

from __future__ import annotations

import builtins
import collections

from . import _C, linalg
from ._creation import zeros
from ._functions import return_types

__all__ = ["det", "inverse", "logdet", "slogdet", "cholesky", "cholesky_solve", "cholesky_inverse", "pinverse",
           "matrix_exp", "matrix_power", "svd", "qr", "triangular_solve", "norm"]

return_types.triangular_solve = collections.namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


def det(input):
    """The determinant (``linalg.det``).

    >>> fngrad.det(fngrad.eye(2))
    tensor(1.)
    """
    return linalg.det(input)


def inverse(input):
    """The inverse (``linalg.inv``).

    >>> fngrad.inverse(2 * fngrad.eye(2))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.5000]])
    """
    return linalg.inv(input)


def logdet(input):
    """log(det(input)): NaN for a negative determinant, -inf for a zero one.

    >>> fngrad.logdet(2 * fngrad.eye(2))
    tensor(1.3863)
    """
    sign, logabsdet = linalg.slogdet(input)
    return logabsdet + sign.log()


def slogdet(input):
    """``(sign, logabsdet)`` (``linalg.slogdet``, as the named tuple ``torch.return_types.slogdet``).

    >>> sign, logabsdet = fngrad.slogdet(fngrad.tensor([[1., 2.], [3., 4.]]))
    >>> sign, logabsdet
    (tensor(-1.), tensor(0.6931))
    """
    return return_types.slogdet(*linalg.slogdet(input))


def cholesky(input, upper=False):
    """The Cholesky factor (``linalg.cholesky``; ``upper`` positional as in ``torch.cholesky``).

    >>> fngrad.cholesky(fngrad.tensor([[4., 2.], [2., 5.]]))
    tensor([[2., 0.],
            [1., 2.]])
    """
    return linalg.cholesky(input, upper=upper)


def _lower_factor(L, upper):
    """The lower Cholesky factor that ``L`` holds: as in PyTorch (LAPACK's potrs/potri), only its
    lower triangle is read (its upper one with ``upper``, transposed). The gradient still reaches
    every element, as PyTorch's formula (written for the whole factor) sends it."""
    triangle = L.triu() if upper else L.tril()
    factor = L - (L - triangle).detach()  # triangle's values, L's gradient
    return factor.transpose(-2, -1) if upper else factor


def cholesky_solve(B, L, upper=False):
    """The solution X of ``A X = B`` given the Cholesky factor of ``A`` (lower ``L``, or upper with ``upper``).

    >>> fngrad.cholesky_solve(fngrad.ones(2, 1), 2 * fngrad.eye(2))
    tensor([[0.2500],
            [0.2500]])
    """
    if B.dim() < 2 or L.dim() < 2:
        raise RuntimeError(f"[cholesky_solve] cholesky_solve: b should have at least 2 dimensions, but has "
                           f"{B.dim()} dimensions instead" if B.dim() < 2 else
                           f"[cholesky_solve] cholesky_solve: u should have at least 2 dimensions, but has "
                           f"{L.dim()} dimensions instead")
    lower = _lower_factor(L, upper)
    return linalg.solve(lower.transpose(-2, -1), linalg.solve(lower, B))


def cholesky_inverse(L, upper=False):
    """The inverse of ``A = L L^T`` (``U^T U`` with ``upper``) from its Cholesky factor.

    >>> fngrad.cholesky_inverse(fngrad.tensor([[2., 0.], [1., 2.]]))
    tensor([[ 0.3125, -0.1250],
            [-0.1250,  0.2500]])
    """
    lower = _lower_factor(L, upper)
    inv_lower = linalg.inv(lower)
    return inv_lower.transpose(-2, -1) @ inv_lower


def pinverse(input, rcond=1e-15):
    """The pseudo-inverse, dropping singular values below ``rcond * s_max`` (``linalg.pinv``).

    >>> fngrad.pinverse(fngrad.tensor([[1., 0.], [0., 2.], [0., 0.]]))
    tensor([[1.0000, 0.0000, 0.0000],
            [0.0000, 0.5000, 0.0000]])
    """
    return linalg.pinv(input, rtol=rcond)


def matrix_exp(A):
    """The matrix exponential (``linalg.matrix_exp``).

    >>> fngrad.matrix_exp(fngrad.zeros(2, 2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    return linalg.matrix_exp(A)


def matrix_power(input, n):
    """``input`` to the integer power ``n`` (``linalg.matrix_power``).

    >>> fngrad.matrix_power(fngrad.tensor([[1., 2.], [3., 4.]]), 2)
    tensor([[ 7., 10.],
            [15., 22.]])
    """
    return linalg.matrix_power(input, n)


def svd(input, some=True, compute_uv=True):
    """``(U, S, V)`` with ``input = U diag(S) V^T`` (V, not Vh; reduced unless ``some=False``). With
    ``compute_uv=False``, U and V are (m, m) and (n, n) zero matrices, as in PyTorch.

    >>> U, S, V = fngrad.svd(fngrad.tensor([[3., 0.], [0., -2.]]))
    >>> S
    tensor([3., 2.])
    """
    if not compute_uv:
        *batch, m, n = input.shape
        return return_types.svd(zeros(*batch, m, m, dtype=input.dtype), linalg.svdvals(input),
                                zeros(*batch, n, n, dtype=input.dtype))
    U, S, Vh = linalg.svd(input, full_matrices=not some)
    return return_types.svd(U, S, Vh.transpose(-2, -1))


def qr(input, some=True):
    """``(Q, R)`` (``linalg.qr`` with mode 'reduced', or 'complete' when ``some=False``).

    >>> Q, R = fngrad.qr(fngrad.tensor([[1., 2.], [3., 4.]]))
    >>> fngrad.allclose(Q @ R, fngrad.tensor([[1., 2.], [3., 4.]]))
    True
    """
    return return_types.qr(*linalg.qr(input, "reduced" if some else "complete"))


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    """The solution X of ``A X = input`` (``A^T X = input`` with ``transpose``) reading one triangle of
    ``A``, and a copy of ``A``: the named tuple ``(solution, cloned_coefficient)`` (deprecated in PyTorch
    for ``linalg.solve_triangular``).

    >>> fngrad.triangular_solve(fngrad.ones(2, 1), 2 * fngrad.eye(2)).solution
    tensor([[0.5000],
            [0.5000]])
    """
    if input.dim() < 2 or A.dim() < 2:
        raise RuntimeError(f"[triangular_solve] torch.triangular_solve: Expected b to have at least 2 dimensions, "
                           f"but it has {input.dim()} dimensions instead" if input.dim() < 2 else
                           f"[triangular_solve] torch.triangular_solve: Expected A to have at least 2 dimensions, "
                           f"but it has {A.dim()} dimensions instead")
    tri = A.mT if transpose else A
    x = linalg.solve_triangular(tri, input, upper=upper != transpose, unitriangular=unitriangular)
    return return_types.triangular_solve(x, A.clone())


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The ``p``-norm of ``input`` (over ``dim``), routed as PyTorch's ``torch.norm``: a number (or None,
    2) is ``linalg.vector_norm``, 'fro' the vector 2-norm, 'nuc' ``linalg.matrix_norm``. Positive
    orders run the native norm directly.

    >>> fngrad.norm(fngrad.tensor([3., -4.]), 1)
    tensor(7.)
    """
    dims = [dim] if isinstance(dim, builtins.int) else dim
    if isinstance(p, str):
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"[norm] linalg.matrix_norm: Order {p} not supported.")
        if p != "fro" or (dims is not None and len(dims) > 2):
            result = linalg.matrix_norm(input, p, list(builtins.range(input.dim())) if dims is None else dims,
                                        keepdim, dtype=dtype)
            return result if out is None else out.copy_(result)
        p = 2
    if p is None:
        p = 2
    if isinstance(p, builtins.bool) or not isinstance(p, (builtins.int, builtins.float)) or not p > 0:
        result = linalg.vector_norm(input, p, dims, keepdim, dtype=dtype)
    else:
        result = _C.TensorBase.norm(input, p, dim, keepdim, dtype)
    return result if out is None else out.copy_(result)


_METHODS = {
    "det": det, "inverse": inverse, "logdet": logdet, "slogdet": slogdet, "cholesky": cholesky,
    "cholesky_solve": cholesky_solve, "cholesky_inverse": cholesky_inverse, "pinverse": pinverse,
    "matrix_exp": matrix_exp, "matrix_power": matrix_power, "svd": svd, "qr": qr,
    "triangular_solve": triangular_solve,
    # Tensor.norm takes every order torch.norm does (the native method only positive ones).
    "norm": norm,
}
