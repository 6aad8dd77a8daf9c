"""Contractions: einsum, tensordot, kron, inner, vdot, cross, the add-matmul family (addmm, addmv,
addbmm, baddbmm, addr) and chain_matmul.

einsum runs NumPy's einsum forward; the gradient of each operand is one more einsum (of the incoming
gradient and the other operands), so every order of derivative is an einsum too.

Example::

    >>> import fngrad
    >>> fngrad.einsum("ij,j->i", fngrad.eye(2), fngrad.tensor([1., 2.]))
    tensor([1., 2.])
"""

from __future__ import annotations

import builtins
import collections
import string
import warnings

import numpy as np

from . import _C
from ._creation import _SCALAR_TYPE_NAME, from_numpy, ones, zeros_like
from ._indexing_ops import _inplace, _np
from ._shape_ops import _result_dtype, _wrap_dim, movedim
from .autograd.function import Function

__all__ = ["einsum", "tensordot", "kron", "inner", "vdot", "cross", "addmm", "addmv", "addbmm", "baddbmm",
           "addr", "chain_matmul"]

_Tensor = _C.TensorBase
_LETTERS = string.ascii_letters


# ----------------------------------------------------------------------------------------------------
# einsum
# ----------------------------------------------------------------------------------------------------
def _parse(equation, operands):
    """The equation with ellipses spelled out in letters and broadcasting removed: a list of subscripts
    per operand (one letter per dim) and the output's. A size-1 dim that broadcasts against a larger
    one gets a letter of its own (summed away: it has one element), so the rewritten equation is a
    plain contraction whose gradients are again plain contractions."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
        explicit = True
    else:
        lhs, out, explicit = eq, None, False
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("[einsum] einsum(): more operands were provided than specified in the equation"
                         if len(terms) < len(operands) else
                         "[einsum] einsum(): fewer operands were provided than specified in the equation")
    for term in terms + ([out] if explicit else []):
        bad = [c for c in term.replace("...", "") if c not in _LETTERS]
        if bad:
            raise RuntimeError(f"[einsum] einsum(): invalid subscript given at index "
                               f"{equation.index(bad[0])} in the equation string, subscripts must be in [a-zA-Z]")
    used = set(lhs + (out or ""))
    free = iter(c for c in _LETTERS if c not in used)
    # The ellipsis dims, aligned to the right as in broadcasting.
    ell_ndim = 0
    for term, op in zip(terms, operands):
        named = len(term.replace("...", ""))
        if "..." in term:
            ell_ndim = builtins.max(ell_ndim, op.dim() - named)
        elif named != op.dim():
            raise RuntimeError(f"[einsum] einsum(): the number of subscripts in the equation ({named}) does not "
                               f"match the number of dimensions ({op.dim()}) for operand "
                               f"{terms.index(term)} and no ellipsis was given")
    ell_sizes = [1] * ell_ndim
    for term, op in zip(terms, operands):
        if "..." in term:
            k = op.dim() - len(term.replace("...", ""))
            if k < 0:
                raise RuntimeError(f"[einsum] einsum(): the number of subscripts in the equation does not match "
                                   f"the number of dimensions ({op.dim()}) for operand {terms.index(term)}")
            start = term.index("...")
            for j, size in enumerate(op.shape[start:start + k]):
                pos = ell_ndim - k + j
                if size != 1:
                    if ell_sizes[pos] not in (1, size):
                        raise RuntimeError("[einsum] einsum(): operands do not broadcast with remapped shapes "
                                           "(original->remapped)")
                    ell_sizes[pos] = size
    ell_letters = [next(free) for _ in range(ell_ndim)]
    subs = []
    for term, op in zip(terms, operands):
        if "..." in term:
            k = op.dim() - len(term.replace("...", ""))
            start = term.index("...")
            mid = ""
            for j, size in enumerate(op.shape[start:start + k]):
                pos = ell_ndim - k + j
                mid += next(free) if size == 1 and ell_sizes[pos] != 1 else ell_letters[pos]
            term = term.replace("...", mid)
        subs.append(term)
    # Sizes of named letters must agree (size 1 broadcasts in PyTorch too).
    sizes = {}
    for term, op in zip(subs, operands):
        for c, size in zip(term, op.shape):
            if c in sizes and sizes[c] != size and 1 not in (sizes[c], size):
                raise RuntimeError(f"[einsum] einsum(): operands do not broadcast with remapped shapes "
                                   f"(original->remapped): subscript {c} has size {size} for one operand and "
                                   f"{sizes[c]} for another")
            if sizes.get(c, 1) == 1:  # (not max: a size 0 is a real size, that 1 broadcasts to)
                sizes[c] = size
    if explicit:
        for c in out.replace("...", ""):
            if c not in lhs:
                raise RuntimeError(f"[einsum] einsum(): output subscript {c} does not appear in the equation for "
                                   f"any input operand")
            if out.count(c) > 1:
                raise RuntimeError(f"[einsum] einsum(): output subscript {c} appears more than once in the output")
        out = out.replace("...", "".join(ell_letters))
    else:
        counts = {}
        for c in lhs.replace("...", "").replace(",", ""):
            counts[c] = counts.get(c, 0) + 1
        out = "".join(ell_letters) + "".join(sorted((c for c, n in counts.items() if n == 1),
                                                    key=lambda c: (c.islower(), c)))
    return subs, out, sizes


class _Einsum(Function):
    @staticmethod
    def forward(ctx, subs, out, sizes, *operands):
        ctx.subs, ctx.out, ctx.sizes = subs, out, sizes
        ctx.save_for_backward(*operands)
        eq = ",".join(subs) + "->" + out
        arrays = [_np(op) for op in operands]
        result = np.einsum(eq, *arrays, optimize=len(arrays) > 2)
        out = from_numpy(np.array(result, dtype=np.result_type(*arrays), order="C"))
        bf16 = all(op.dtype in (_C.bfloat16, _C.bool) or not op.is_floating_point() for op in operands) and any(
            op.dtype == _C.bfloat16 for op in operands)
        return out.to(_C.bfloat16) if bf16 else out

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        grads = []
        for i, target in enumerate(ctx.subs):
            if not ctx.needs_input_grad[3 + i]:
                grads.append(None)
                continue
            grads.append(_einsum_grad(grad, ctx.out, operands, ctx.subs, i, ctx.sizes))
        return (None, None, None) + tuple(grads)


def _einsum_grad(grad, out, operands, subs, i, sizes):
    """d(sum of grad * einsum)/d operand i, itself an einsum: the gradient contracted with the other
    operands. A letter repeated in operand i (a diagonal) gets an identity matrix per repeat; a letter
    that only operand i has (summed away in forward) gets a ones tensor, which broadcasts it back."""
    target = subs[i]
    used = set(out + "".join(subs))
    free = iter(c for c in _LETTERS if c not in used)
    renamed, extra_subs, extra_ops = "", [], []
    seen = set()
    dtype = grad.dtype
    for c in target:
        if c in seen:  # a repeated letter: a fresh one, tied to the first by an identity matrix
            fresh = next(free)
            eye = np.eye(sizes[c], dtype=np.float64 if dtype == _C.float64 else np.float32)
            extra_subs.append(c + fresh)
            extra_ops.append(from_numpy(eye))
            renamed += fresh
        else:
            seen.add(c)
            renamed += c
    elsewhere = set(out + "".join(s for j, s in enumerate(subs) if j != i) + "".join(extra_subs))
    lonely = "".join(c for c in dict.fromkeys(target) if c not in elsewhere)
    if lonely:
        extra_subs.append(lonely)
        extra_ops.append(ones(*[sizes[c] for c in lonely], dtype=dtype))
    others = [s for j, s in enumerate(subs) if j != i]
    other_ops = [op for j, op in enumerate(operands) if j != i]
    all_subs = [out] + others + extra_subs
    return _Einsum.apply(all_subs, renamed, sizes, grad, *other_ops, *extra_ops)


def einsum(*args):
    """Sums the product of the operands over the indices the ``equation`` names (NumPy's and PyTorch's
    notation: ``'ij,jk->ik'``, ``'...ij->...ji'``, ``'ii'``, implicit output in alphabetical order),
    also in the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.

    >>> fngrad.einsum('i,i->', fngrad.ones(3), fngrad.ones(3))
    tensor(3.)
    """
    if not args:
        raise RuntimeError("[einsum] einsum(): must specify the equation string and at least one operand, or at "
                           "least one operand and its subscripts list")
    if isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        if len(args) % 2 == 1:
            *pairs, out = args
            operands = list(pairs[0::2])
            terms = ["".join("..." if s is Ellipsis else _LETTERS[s] for s in sub) for sub in pairs[1::2]]
            equation = ",".join(terms) + "->" + "".join("..." if s is Ellipsis else _LETTERS[s] for s in out)
        else:
            operands = list(args[0::2])
            terms = ["".join("..." if s is Ellipsis else _LETTERS[s] for s in sub) for sub in args[1::2]]
            equation = ",".join(terms)
    if not operands:
        raise RuntimeError("[einsum] einsum(): must provide at least one operand")
    for op in operands:
        if not isinstance(op, _Tensor):
            raise TypeError(f"[einsum] einsum(): expected a tensor operand, got {type(op).__name__}")
    dtype = _result_dtype(operands)
    operands = [op if op.dtype == dtype else op.to(dtype) for op in operands]
    subs, out, sizes = _parse(equation, operands)
    if not dtype.is_floating_point and dtype != _C.int64:
        # PyTorch first sums out the indices only one operand has (and the output lacks) with sum,
        # which gives integers as int64
        seen = collections.Counter(c for term in subs for c in set(term))
        if any(seen[c] == 1 and c not in out for term in subs for c in term):
            operands = [op.to(_C.int64) for op in operands]
    # A named dim of size 1 broadcasts against the other operands' size (expand's gradient sums it).
    operands = [op.expand([sizes[c] for c in term]) if any(sizes[c] != n for c, n in zip(term, op.shape)) else op
                for term, op in zip(subs, operands)]
    return _Einsum.apply(subs, out, sizes, *operands)


# ----------------------------------------------------------------------------------------------------
# Products built on einsum and matmul
# ----------------------------------------------------------------------------------------------------
def tensordot(a, b, dims=2, out=None):
    """Contracts the last ``dims`` dims of ``a`` with the first ``dims`` of ``b``, or the dims listed in
    ``dims = ([dims of a], [dims of b])``.

    >>> fngrad.tensordot(fngrad.ones(2, 3), fngrad.ones(3, 4), dims=1).shape
    fngrad.Size([2, 4])
    """
    if a.dtype != b.dtype:
        raise RuntimeError("[tensordot] both inputs should have same dtype")
    if isinstance(dims, _Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"[tensordot] tensordot expects dims >= 0, but got dims={dims}")
        if dims > builtins.min(a.dim(), b.dim()):
            raise RuntimeError(f"[tensordot] tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(a.dim() - dims, a.dim())), list(range(dims))
    else:
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
        if len(dims_a) != len(dims_b):
            raise RuntimeError(f"[tensordot] both dimension lists should have same length, got {len(dims_a)} "
                               f"and {len(dims_b)}")
    dims_a = [_wrap_dim(d, a.dim(), "tensordot") for d in dims_a]
    dims_b = [_wrap_dim(d, b.dim(), "tensordot") for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db] and 1 not in (a.shape[da], b.shape[db]):
            raise RuntimeError(f"[tensordot] contracted dimensions need to match, but first has size "
                               f"{a.shape[da]} in dim {da} and second has size {b.shape[db]} in dim {db}")
    la = list(_LETTERS[:a.dim()])
    lb = [None] * b.dim()
    for da, db in zip(dims_a, dims_b):
        lb[db] = la[da]
    fresh = iter(_LETTERS[a.dim():])
    lb = [c if c is not None else next(fresh) for c in lb]
    out_letters = [c for i, c in enumerate(la) if i not in dims_a] + [c for i, c in enumerate(lb) if i not in dims_b]
    return einsum("".join(la) + "," + "".join(lb) + "->" + "".join(out_letters), a, b)


def kron(input, other):
    """The Kronecker product (the shorter shape padded with ones in front).

    >>> fngrad.kron(fngrad.eye(2), fngrad.ones(2, 2))
    tensor([[1., 1., 0., 0.],
            [1., 1., 0., 0.],
            [0., 0., 1., 1.],
            [0., 0., 1., 1.]])
    """
    n = builtins.max(input.dim(), other.dim())
    a = input.reshape([1] * (n - input.dim()) + list(input.shape))
    b = other.reshape([1] * (n - other.dim()) + list(other.shape))
    a_view = [v for s in a.shape for v in (s, 1)]
    b_view = [v for s in b.shape for v in (1, s)]
    return (a.reshape(a_view) * b.reshape(b_view)).reshape([x * y for x, y in zip(a.shape, b.shape)])


def inner(input, other):
    """Sum of products over the last dims (a number times a tensor for a 0-D operand).

    >>> fngrad.inner(fngrad.ones(2, 3), fngrad.ones(4, 3)).shape
    fngrad.Size([2, 4])
    """
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input.dtype != other.dtype:
        raise RuntimeError("[inner] both inputs should have same dtype")
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"[inner] inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def vdot(input, other):
    """Dot product of two 1-D tensors (the first conjugated: real tensors make it ``dot``).

    >>> fngrad.vdot(fngrad.ones(3), fngrad.ones(3))
    tensor(3.)
    """
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"[vdot] 1D tensors expected, but got {input.dim()}D and {other.dim()}D tensors")
    return input.dot(other)


def cross(input, other, dim=None):
    """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when None; broadcasting).

    >>> fngrad.cross(fngrad.tensor([1., 0, 0]), fngrad.tensor([0., 1, 0]))
    tensor([0., 0., 1.])
    """
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
    return _cross(input, other, dim, "cross")


def _cross(input, other, dim, op):
    if input.dim() != other.dim():
        raise RuntimeError(f"[{op}] {op}: inputs must have the same number of dimensions.")
    if input.dtype != other.dtype:
        raise RuntimeError(f"[{op}] expected scalar type {_SCALAR_TYPE_NAME[input.dtype]} but found "
                           f"{_SCALAR_TYPE_NAME[other.dtype]}")
    shape = list(np.broadcast_shapes(tuple(input.shape), tuple(other.shape)))
    if dim is None:
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"[{op}] no dimension of size 3 in input")
    dim = _wrap_dim(dim, len(shape), op)
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"[{op}] {op}: inputs dimension {dim} must have length 3. Got {input.shape[dim]} and "
                           f"{other.shape[dim]}")
    a, b = movedim(input, dim, -1), movedim(other, dim, -1)
    i1, i2 = from_numpy(np.array([1, 2, 0])), from_numpy(np.array([2, 0, 1]))
    return movedim(a[..., i1] * b[..., i2] - a[..., i2] * b[..., i1], -1, dim)


def _scaled_sum(input, product, beta, alpha):
    """beta * input + alpha * product, with PyTorch's rule that beta = 0 ignores input (NaN included).
    Integer results take beta and alpha truncated to integers, as PyTorch's kernels do."""
    if product.dtype == _C.bool and input.dtype == _C.bool:
        # PyTorch's bool kernels: (beta and input) or (alpha and product)
        product = product if alpha else zeros_like(product)
        return (input if beta else zeros_like(input)) | product
    if not product.is_floating_point() and product.dtype != _C.bool:
        beta, alpha = int(beta), int(alpha)
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product + zeros_like(input)
    return (input if beta == 1 else input * beta) + product


# The C++ type names PyTorch's baddbmm prints for a dtype (c10's demangled scalar types).
_CPP_TYPE_NAME = {_C.bool: "bool", _C.uint8: "unsigned char", _C.int8: "signed char", _C.int16: "short int",
                  _C.int32: "int", _C.int64: "long int", _C.float16: "c10::Half", _C.bfloat16: "c10::BFloat16",
                  _C.float32: "float", _C.float64: "double"}


def _check_same_dtype(op, input, first, second):
    """PyTorch's refusal of mixed dtypes by the BLAS-backed add*mm family (no promotion there), in the
    wording of each op's kernel: `first` and `second` are the two factors of the product."""
    names = [_SCALAR_TYPE_NAME[t.dtype] for t in (input, first, second)]
    if op == "addmv" and len(set(names)) > 1:
        raise RuntimeError(f"[addmv] addmv input tensors must have the same dtype, but got {names[0]}, {names[1]}, "
                           f"and {names[2]}")
    if op == "addbmm":
        if input.dtype != second.dtype:
            raise RuntimeError(f"[addbmm] self and mat2 must have the same dtype, but got {names[0]} and {names[2]}")
        if first.dtype != second.dtype:
            raise RuntimeError(f"[addbmm] mat1 and mat2 must have the same dtype, but got {names[1]} and {names[2]}")
    if op == "baddbmm" and len(set(names)) > 1:
        if input.dtype == first.dtype:
            raise RuntimeError(f"[baddbmm] expected scalar type {names[1]} but found {names[2]}")
        raise RuntimeError(f"[baddbmm] Input dtypes must be the same, got: input {_CPP_TYPE_NAME[input.dtype]}, "
                           f"batch1: {_CPP_TYPE_NAME[first.dtype]}, batch2: {_CPP_TYPE_NAME[second.dtype]}")


def _check_dims(op, *pairs):
    for name, t, nd in pairs:
        if t.dim() != nd:
            what = {1: "vector", 2: "matrix", 3: "3D tensor"}[nd]
            raise RuntimeError(f"[{op}] {name} must be a {what}, got {t.dim()}-D tensor")


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` (input broadcasts); native, one ``AddmmBackward0`` node
    (``Tensor.addmm`` is the same native method).

    >>> fngrad.addmm(fngrad.ones(2, 2), fngrad.eye(2), fngrad.eye(2), beta=0.5)
    tensor([[1.5000, 0.5000],
            [0.5000, 1.5000]])
    """
    return _C.TensorBase.addmm(input, mat1, mat2, beta=beta, alpha=alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``.

    >>> fngrad.addmv(fngrad.ones(2), fngrad.eye(2), fngrad.ones(2))
    tensor([2., 2.])
    """
    _check_dims("addmv", ("mat", mat, 2), ("vec", vec, 1))
    _check_same_dtype("addmv", input, mat, vec)
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(f"[addmv] size mismatch, got input ({mat.shape[0]}), mat ({mat.shape[0]}x{mat.shape[1]}), "
                           f"vec ({vec.shape[0]})")
    return _scaled_sum(input, mat.mv(vec), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``.

    >>> fngrad.addbmm(fngrad.zeros(2, 2), fngrad.ones(3, 2, 1), fngrad.ones(3, 1, 2))
    tensor([[3., 3.],
            [3., 3.]])
    """
    _check_dims("addbmm", ("batch1", batch1, 3), ("batch2", batch2, 3))
    if batch1.shape[0] == 0:
        # An empty batch sums to zero: PyTorch checks no dtypes and returns input's (the batches still
        # get their empty gradients, so they stay in the graph)
        batch1, batch2 = batch1.to(input.dtype), batch2.to(input.dtype)
    else:
        _check_same_dtype("addbmm", input, batch1, batch2)
    products = batch1.bmm(batch2)
    # (the sum over the batch keeps the products' dtype: PyTorch adds them into the result, no int64)
    return _scaled_sum(input, products.sum(0).to(products.dtype), beta, alpha)


def _addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    """In-place form of :func:`addbmm`.

    >>> fngrad.zeros(2, 2).addbmm_(fngrad.ones(3, 2, 1), fngrad.ones(3, 1, 2))
    tensor([[3., 3.],
            [3., 3.]])
    """
    _check_dims("addbmm", ("batch1", batch1, 3), ("batch2", batch2, 3))
    shape = (batch1.shape[1], batch2.shape[2])
    if tuple(self.shape) != shape and len(self.shape) <= 2 and all(
            s in (1, t) for s, t in zip(reversed(tuple(self.shape)), reversed(shape))):
        raise NotImplementedError(f"[addbmm_] addbmm_: resizing self of shape {list(self.shape)} to the result's "
                                  f"{list(shape)} (PyTorch resizes a broadcastable self in place) is not implemented")
    return _inplace(addbmm)(self, batch1, batch2, beta=beta, alpha=alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` per batch.

    >>> fngrad.baddbmm(fngrad.zeros(3, 2, 2), fngrad.ones(3, 2, 1), fngrad.ones(3, 1, 2))
    tensor([[[1., 1.],
             [1., 1.]],
    <BLANKLINE>
            [[1., 1.],
             [1., 1.]],
    <BLANKLINE>
            [[1., 1.],
             [1., 1.]]])
    """
    _check_dims("baddbmm", ("batch1", batch1, 3), ("batch2", batch2, 3))
    _check_same_dtype("baddbmm", input, batch1, batch2)
    return _scaled_sum(input, batch1.bmm(batch2), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``.

    >>> fngrad.addr(fngrad.zeros(2, 3), fngrad.ones(2), fngrad.ones(3))
    tensor([[1., 1., 1.],
            [1., 1., 1.]])
    """
    _check_dims("addr", ("vec1", vec1, 1), ("vec2", vec2, 1))
    result = _C.promote_types(_C.promote_types(input.dtype, vec1.dtype), vec2.dtype)
    for name, value in (("beta", beta), ("alpha", alpha)):
        if isinstance(value, builtins.bool) and result != _C.bool:
            raise RuntimeError(f"[addr] Boolean {name} only supported for Boolean results.")
        if isinstance(value, float) and not result.is_floating_point and result != _C.bool:
            raise RuntimeError(f"[addr] For integral input tensors, argument {name} must not be a floating point "
                               "number.")
    # input broadcasts to the outer product's shape, never the other way (PyTorch's expand error)
    return _scaled_sum(input.expand(vec1.shape[0], vec2.shape[0]), vec1.outer(vec2), beta, alpha)


def chain_matmul(*matrices):
    """The product of 2-D matrices, left to right (deprecated in PyTorch for ``linalg.multi_dot``).

    >>> fngrad.chain_matmul(fngrad.eye(2), fngrad.ones(2, 3), fngrad.ones(3, 1))
    tensor([[3.],
            [3.]])
    """
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
                  "parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("[chain_matmul] chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        if m.dim() != 2:
            raise RuntimeError(f"[chain_matmul] Tensor dimension is {m.dim()}, expected 2 instead.")
    return _multi_dot(list(matrices), "chain_matmul")


def _multi_dot(tensors, op):
    """linalg.multi_dot and chain_matmul: the matrix product of ``tensors`` (the first may be 1-D, a
    row; the last 1-D, a column), in the cheapest order (dynamic programming over the chain, as NumPy's multi_dot)."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"[{op}] {op}(): expected at least 2 tensors but got 0")
    if len(tensors) == 1:
        if op == "chain_matmul":
            return tensors[0].clone()
        raise RuntimeError(f"[{op}] {op}(): expected at least 2 tensors but got 1")
    first_vec, last_vec = tensors[0].dim() == 1, tensors[-1].dim() == 1
    mats = list(tensors)
    if first_vec:
        mats[0] = mats[0].unsqueeze(0)
    if last_vec:
        mats[-1] = mats[-1].unsqueeze(1)
    for i, m in enumerate(mats):
        if m.dim() != 2:
            what = "first and last tensors" if i in (0, len(mats) - 1) else "tensor"
            raise RuntimeError(f"[{op}] {op}(): the {what} must be 1D or 2D but got {tensors[i].dim()}D"
                               if i in (0, len(mats) - 1) else
                               f"[{op}] {op}(): tensor {i} must be 2D but got {tensors[i].dim()}D")
    for i in range(len(mats) - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"[{op}] {op}(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                               f"{list(tensors[i + 1].shape)} cannot be multiplied")
    n = len(mats)
    dims = [mats[0].shape[0]] + [m.shape[1] for m in mats]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def product(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return product(i, k).mm(product(k + 1, j))

    out = product(0, n - 1)
    if first_vec:
        out = out.squeeze(0)
    if last_vec:
        out = out.squeeze(-1)
    return out


_METHODS = {
    "addmv": addmv, "addbmm": addbmm, "baddbmm": baddbmm, "addr": addr, "kron": kron,
    "inner": inner, "vdot": vdot, "cross": cross,
    "addmm_": _inplace(addmm), "addmv_": _inplace(addmv), "addbmm_": _addbmm_,
    "baddbmm_": _inplace(baddbmm), "addr_": _inplace(addr),
}
