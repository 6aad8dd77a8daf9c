"""Bad-input cases for tests/test_bad_input.py, and the driver that runs them in a child process.

Every case is a function of ``lib`` (``fngrad`` or ``torch``), so the same snippet runs against both.
A case either is expected to raise (``expect="raise"``: fngrad must raise the exception type PyTorch
raises, with a message naming the op), or not (``expect="ok"``: the case returns values, which must
match PyTorch's, and NumPy's where ``ref`` gives them).

Run as a script, this module is the child process: ``python bad_input_cases.py NAME [NAME ...]``
prints ``START <name>`` before each case and ``RESULT <json>`` after it, so the parent can tell
which case crashed the process. It exits early (code 3) when a case leaves fngrad unusable, so that
the next cases start in a fresh process.
"""

from __future__ import annotations

import math

import numpy as np

INF = math.inf
NAN = math.nan

CASES: dict = {}

# Phrases of PyTorch's own wording for autograd errors (the message names no op there).
NONSCALAR = "grad can be implicitly created only for scalar outputs"
TWICE = "backward through the graph a second time"
SHAPE_MISMATCH = "Mismatch in shape"
NO_GRAD = "does not require grad"
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation"
VIEW_LEAF_INPLACE = "a view of a leaf Variable that requires grad is being used in an in-place operation"
FLOAT_ONLY = "can require gradients"  # "Only Tensors of floating point (and complex) dtype ..."
INDEXING = ("index", "indices", "indexing", "indexed", "getitem", "setitem", "mask")


class Case:
    def __init__(self, name, category, fn, tokens, expect, user_exc, ref):
        self.name = name
        self.category = category
        self.fn = fn
        self.tokens = tuple([tokens] if isinstance(tokens, str) else tokens)
        self.expect = expect
        self.user_exc = user_exc  # the exception class name a user's code raised (kept as is)
        self.ref = ref  # NumPy reference values for an "ok" case


def add(category, name, fn, tokens=(), expect="raise", user_exc=None, ref=None):
    assert name not in CASES, name
    CASES[name] = Case(name, category, fn, tokens, expect, user_exc, ref)


def case(category, tokens=(), expect="raise", user_exc=None, ref=None):
    def deco(fn):
        add(category, fn.__name__, fn, tokens, expect, user_exc, ref)
        return fn

    return deco


def F(L):
    return L.nn.functional


def leaf(L, values=(1.0, -2.0, 3.0)):
    return L.tensor(list(values), requires_grad=True)


# --------------------------------------------------------------------------------------------------
# Shapes that do not broadcast
# --------------------------------------------------------------------------------------------------
BC = "broadcast"
add(BC, "bc_add", lambda L: L.ones(2, 3) + L.ones(4), "add")
add(BC, "bc_sub", lambda L: L.ones(2, 3) - L.ones(2, 2), "sub")
add(BC, "bc_mul", lambda L: L.ones(3) * L.ones(4), "mul")
add(BC, "bc_div", lambda L: L.ones(2, 3) / L.ones(3, 2), "div")
add(BC, "bc_pow", lambda L: L.ones(2, 3) ** L.ones(4), "pow")
add(BC, "bc_maximum", lambda L: L.maximum(L.ones(3), L.ones(2)), "maximum")
add(BC, "bc_minimum", lambda L: L.minimum(L.ones(3), L.ones(2)), "minimum")
add(BC, "bc_lt", lambda L: L.ones(3) < L.ones(2), "lt")
add(BC, "bc_eq", lambda L: L.ones(3) == L.ones(4), "eq")
add(BC, "bc_where", lambda L: L.where(L.ones(3) > 0, L.ones(3), L.ones(2)), "where")
add(BC, "bc_add_inplace_result_shape", lambda L: L.ones(3).add_(L.ones(2, 3)), ("add_", "add"))
add(BC, "bc_mul_inplace", lambda L: L.ones(3).mul_(L.ones(4)), ("mul_", "mul"))
add(BC, "bc_copy_", lambda L: L.ones(2, 3).copy_(L.ones(4)), "copy_")
add(BC, "bc_masked_fill", lambda L: L.ones(3).masked_fill(L.ones(2) > 0, 0.0), "masked_fill")
add(BC, "bc_logical_and", lambda L: L.logical_and(L.ones(3).bool(), L.ones(2).bool()), "logical_and")
add(BC, "bc_expand", lambda L: L.ones(2, 3).expand(4, 3), "expand")
add(BC, "bc_expand_fewer_dims", lambda L: L.ones(2, 3).expand(3), "expand")
add(BC, "bc_broadcast_to", lambda L: L.broadcast_to(L.ones(3), (2, 4)), ("broadcast_to", "expand"))
add(BC, "bc_expand_as", lambda L: L.ones(3).expand_as(L.ones(2, 4)), ("expand_as", "expand"))
add(BC, "bc_mse_loss", lambda L: F(L).mse_loss(L.ones(3), L.ones(4)), ("mse_loss", "sub"))
add(BC, "bc_l1_loss", lambda L: F(L).l1_loss(L.ones(2, 3), L.ones(2, 2)), ("l1_loss", "sub"))


@case(BC, "add")
def bc_add_with_grad(L):
    x = leaf(L)
    (x + L.ones(2)).sum().backward()


# --------------------------------------------------------------------------------------------------
# Bad dims: out of range, repeated
# --------------------------------------------------------------------------------------------------
DIM = "dims"
add(DIM, "dim_sum_out_of_range", lambda L: L.ones(2, 3).sum(dim=2), "sum")
add(DIM, "dim_sum_negative_out_of_range", lambda L: L.ones(2, 3).sum(dim=-3), "sum")
add(DIM, "dim_sum_repeated", lambda L: L.ones(2, 3).sum(dim=(0, 0)), "sum")
add(DIM, "dim_sum_repeated_negative", lambda L: L.ones(2, 3).sum(dim=(1, -1)), "sum")
add(DIM, "dim_sum_0d", lambda L: L.tensor(1.0).sum(dim=1), "sum")
add(DIM, "dim_mean_out_of_range", lambda L: L.ones(2, 3).mean(dim=5), "mean")
add(DIM, "dim_mean_repeated", lambda L: L.ones(2, 3).mean(dim=(1, -1)), "mean")
add(DIM, "dim_softmax", lambda L: L.ones(2, 3).softmax(dim=2), "softmax")
add(DIM, "dim_log_softmax", lambda L: L.ones(2, 3).log_softmax(dim=-3), "log_softmax")
add(DIM, "dim_unsqueeze", lambda L: L.ones(3).unsqueeze(3), "unsqueeze")
add(DIM, "dim_transpose", lambda L: L.ones(2, 3).transpose(0, 2), "transpose")
add(DIM, "dim_permute_repeated", lambda L: L.ones(2, 3).permute(0, 0), "permute")
add(DIM, "dim_permute_wrong_count", lambda L: L.ones(2, 3).permute(0), "permute")
add(DIM, "dim_permute_out_of_range", lambda L: L.ones(2, 3).permute(0, 2), "permute")
add(DIM, "dim_squeeze", lambda L: L.ones(2, 1).squeeze(3), "squeeze")
add(DIM, "dim_flatten_start_after_end", lambda L: L.ones(2, 3, 4).flatten(2, 0), "flatten")
add(DIM, "dim_flatten_out_of_range", lambda L: L.ones(2, 3).flatten(0, 5), "flatten")
add(DIM, "dim_cat", lambda L: L.cat([L.ones(2, 3), L.ones(2, 3)], dim=2), "cat")
add(DIM, "dim_stack", lambda L: L.stack([L.ones(2, 3), L.ones(2, 3)], dim=4), "stack")
add(DIM, "dim_amax", lambda L: L.ones(2, 3).amax(dim=3), "amax")
add(DIM, "dim_amin_repeated", lambda L: L.ones(2, 3).amin(dim=(0, 0)), "amin")
add(DIM, "dim_argmax", lambda L: L.ones(2, 3).argmax(dim=2), "argmax")
add(DIM, "dim_max", lambda L: L.ones(2, 3).max(dim=2), "max")
add(DIM, "dim_min", lambda L: L.ones(2, 3).min(dim=-3), "min")
add(DIM, "dim_var", lambda L: L.ones(2, 3).var(dim=3), "var")
add(DIM, "dim_std_repeated", lambda L: L.ones(2, 3).std(dim=(0, 0)), "std")
add(DIM, "dim_prod", lambda L: L.ones(2, 3).prod(dim=2), "prod")
add(DIM, "dim_logsumexp", lambda L: L.ones(2, 3).logsumexp(dim=2), "logsumexp")
add(DIM, "dim_logsumexp_repeated", lambda L: L.ones(3).logsumexp(dim=(0, 0)), "logsumexp")
add(DIM, "dim_norm", lambda L: L.ones(2, 3).norm(dim=3), "norm")
add(DIM, "dim_split", lambda L: L.ones(2, 3).split(1, dim=2), "split")
add(DIM, "dim_chunk", lambda L: L.ones(2, 3).chunk(2, dim=-3), "chunk")
add(DIM, "dim_unbind", lambda L: L.ones(2, 3).unbind(dim=2), "unbind")
add(DIM, "dim_all", lambda L: L.ones(2, 3).bool().all(dim=2), "all")
add(DIM, "dim_any", lambda L: L.ones(2, 3).bool().any(dim=-4), "any")
add(DIM, "dim_size", lambda L: L.ones(2, 3).size(2), "size")
add(DIM, "dim_amax_empty", lambda L: L.ones(0, 3).amax(dim=0), "amax")
add(DIM, "dim_max_empty", lambda L: L.ones(0).max(), "max")
add(DIM, "dim_argmax_empty", lambda L: L.ones(0).argmax(), "argmax")


@case(DIM, "softmax")
def dim_softmax_with_grad(L):
    x = leaf(L)
    x.softmax(dim=1).sum().backward()


# --------------------------------------------------------------------------------------------------
# Impossible reshapes and views
# --------------------------------------------------------------------------------------------------
SHAPE = "reshape/view"
add(SHAPE, "reshape_wrong_numel", lambda L: L.ones(2, 3).reshape(4), "reshape")
add(SHAPE, "reshape_two_inferred", lambda L: L.ones(2, 3).reshape(-1, -1), "reshape")
add(SHAPE, "reshape_inferred_not_divisible", lambda L: L.ones(2, 3).reshape(4, -1), "reshape")
add(SHAPE, "reshape_negative_dim", lambda L: L.ones(2, 3).reshape(-2, 3), "reshape")
add(SHAPE, "reshape_zero_and_inferred", lambda L: L.ones(2, 3).reshape(0, -1), "reshape")
add(SHAPE, "reshape_float_size", lambda L: L.ones(6).reshape(2.5, 2), "reshape")
add(SHAPE, "reshape_str_size", lambda L: L.ones(6).reshape("a"), "reshape")
add(SHAPE, "reshape_no_args", lambda L: L.ones(6).reshape(), "reshape")
add(SHAPE, "view_wrong_numel", lambda L: L.ones(2, 3).view(5), "view")
add(SHAPE, "view_non_contiguous", lambda L: L.ones(2, 3).t().view(6), "view")
add(SHAPE, "view_as_wrong", lambda L: L.ones(2, 3).view_as(L.ones(4)), ("view_as", "view"))
add(SHAPE, "reshape_as_wrong", lambda L: L.ones(2, 3).reshape_as(L.ones(5)), ("reshape_as", "reshape"))
add(SHAPE, "t_of_3d", lambda L: L.ones(2, 3, 4).t(), "t")
add(SHAPE, "split_sizes_dont_sum", lambda L: L.ones(5).split([2, 2]), "split")
add(SHAPE, "split_size_zero", lambda L: L.ones(5).split(0), "split")
add(SHAPE, "split_size_negative", lambda L: L.ones(5).split(-1), "split")
add(SHAPE, "chunk_zero", lambda L: L.ones(5).chunk(0), "chunk")
add(SHAPE, "expand_negative", lambda L: L.ones(3).expand(2, -2), "expand")
add(SHAPE, "reshape_overflow", lambda L: L.ones(1).reshape(2**62, 2**62), "reshape")


@case(SHAPE, "reshape")
def reshape_with_grad(L):
    x = leaf(L)
    (x * 2).reshape(2, 2).sum().backward()


# --------------------------------------------------------------------------------------------------
# Out-of-bounds and wrong-shape indices and masks
# --------------------------------------------------------------------------------------------------
IDX = "indexing"
add(IDX, "idx_int_out_of_bounds", lambda L: L.ones(3)[5], INDEXING)
add(IDX, "idx_negative_out_of_bounds", lambda L: L.ones(3)[-4], INDEXING)
add(IDX, "idx_second_dim_out_of_bounds", lambda L: L.ones(2, 3)[0, 3], INDEXING)
add(IDX, "idx_empty_dim", lambda L: L.ones(0)[0], INDEXING)
add(IDX, "idx_0d", lambda L: L.tensor(1.0)[0], INDEXING)
add(IDX, "idx_slice_negative_step", lambda L: L.ones(3)[::-1], INDEXING + ("step", "slice"))
add(IDX, "idx_slice_zero_step", lambda L: L.ones(3)[::0], INDEXING + ("step", "slice"))
add(IDX, "idx_int_tensor_out_of_bounds", lambda L: L.ones(3)[L.tensor([0, 5])], INDEXING)
add(IDX, "idx_int_tensor_negative", lambda L: L.ones(3)[L.tensor([-4])], INDEXING)
add(IDX, "idx_float_tensor", lambda L: L.ones(3)[L.tensor([0.0, 1.0])], INDEXING)
add(IDX, "idx_float_0d_tensor", lambda L: L.ones(3)[L.tensor(1.0)], INDEXING)
add(IDX, "idx_mask_wrong_shape", lambda L: L.ones(3)[L.ones(2) > 0], INDEXING)
add(IDX, "idx_mask_wrong_shape_2d", lambda L: L.ones(2, 3)[L.ones(3, 2) > 0], INDEXING)
add(IDX, "idx_too_many", lambda L: L.ones(3)[0, 0], INDEXING)
add(IDX, "idx_too_many_2d", lambda L: L.ones(2, 3)[0, 0, 0], INDEXING)
add(IDX, "idx_float", lambda L: L.ones(3)[1.5], INDEXING)
add(IDX, "idx_str", lambda L: L.ones(3)["a"], INDEXING)
add(IDX, "idx_list_out_of_bounds", lambda L: L.ones(3)[[0, 5]], INDEXING)
add(IDX, "idx_tensors_dont_broadcast", lambda L: L.ones(2, 3)[L.tensor([0, 1]), L.tensor([0, 1, 2])], INDEXING)
add(IDX, "take_out_of_bounds", lambda L: L.ones(3).take(L.tensor([7])), "take")
add(IDX, "take_float_index", lambda L: L.ones(3).take(L.tensor([0.0])), "take")
add(IDX, "masked_fill_float_mask", lambda L: L.ones(3).masked_fill(L.ones(3), 0.0), "masked_fill")
add(IDX, "one_hot_negative", lambda L: F(L).one_hot(L.tensor([-1])), "one_hot")
add(IDX, "one_hot_too_large", lambda L: F(L).one_hot(L.tensor([3]), 2), "one_hot")
add(IDX, "one_hot_float", lambda L: F(L).one_hot(L.tensor([1.0])), "one_hot")


def _setitem(L, index, value, x=None):
    x = L.ones(3) if x is None else x
    x[index] = value
    return x


add(IDX, "setitem_out_of_bounds", lambda L: _setitem(L, 5, 1.0), INDEXING)
add(IDX, "setitem_mask_wrong_shape", lambda L: _setitem(L, L.ones(2) > 0, 1.0), INDEXING)
add(IDX, "setitem_float_index", lambda L: _setitem(L, L.tensor([0.5]), 1.0), INDEXING)
add(IDX, "setitem_value_wrong_shape", lambda L: _setitem(L, L.tensor([0, 1]), L.ones(3)), INDEXING)
add(IDX, "setitem_slice_value_wrong_shape", lambda L: _setitem(L, slice(0, 2), L.ones(3)), INDEXING)
add(IDX, "setitem_too_many", lambda L: _setitem(L, (0, 0), 1.0), INDEXING)


@case(IDX, INDEXING)
def idx_out_of_bounds_with_grad(L):
    x = leaf(L)
    (x * 2)[L.tensor([0, 3])].sum().backward()


# --------------------------------------------------------------------------------------------------
# Ragged or non-numeric data to tensor()
# --------------------------------------------------------------------------------------------------
DATA = "tensor() data"
T_TOKENS = ("[tensor]", "tensor()", "new()", "as_tensor", "from_numpy",
            "expected sequence of length", "Could not infer dtype", "can't convert np.ndarray",
            "expected np.ndarray")
add(DATA, "data_ragged", lambda L: L.tensor([[1, 2], [3]]), T_TOKENS)
add(DATA, "data_ragged_longer", lambda L: L.tensor([[1, 2], [3, 4, 5]]), T_TOKENS)
add(DATA, "data_ragged_deep", lambda L: L.tensor([[[1], [2]], [[3]]]), T_TOKENS)
add(DATA, "data_scalar_then_list", lambda L: L.tensor([1, [2, 3]]), T_TOKENS)
add(DATA, "data_str", lambda L: L.tensor("abc"), T_TOKENS)
add(DATA, "data_list_of_str", lambda L: L.tensor(["a", "b"]), T_TOKENS)
add(DATA, "data_number_and_str", lambda L: L.tensor([1, "a"]), T_TOKENS)
add(DATA, "data_none", lambda L: L.tensor(None), T_TOKENS)
add(DATA, "data_list_with_none", lambda L: L.tensor([None, 1]), T_TOKENS)
add(DATA, "data_dict", lambda L: L.tensor({1: 2}), T_TOKENS)
add(DATA, "data_object", lambda L: L.tensor(object()), T_TOKENS)
add(DATA, "data_dtype_str", lambda L: L.tensor([1, 2], dtype="float32"), T_TOKENS)
add(DATA, "data_numpy_str", lambda L: L.tensor(np.array(["a"])), T_TOKENS)
add(DATA, "data_numpy_object", lambda L: L.tensor(np.array([1, None], dtype=object)), T_TOKENS)
add(DATA, "data_int_overflow", lambda L: L.tensor([1, 2**70]), T_TOKENS)
add(DATA, "data_from_numpy_list", lambda L: L.from_numpy([1, 2]), T_TOKENS)
add(DATA, "data_from_numpy_str", lambda L: L.from_numpy(np.array(["a"])), T_TOKENS)
add(DATA, "data_as_tensor_str", lambda L: L.as_tensor("abc"), T_TOKENS)


# --------------------------------------------------------------------------------------------------
# Sizes that cannot be allocated
# --------------------------------------------------------------------------------------------------
ALLOC = "allocation"
add(ALLOC, "alloc_zeros_2_62", lambda L: L.zeros(2**62), "zeros")
add(ALLOC, "alloc_empty_2_62", lambda L: L.empty(2**62), "empty")
add(ALLOC, "alloc_ones_2_62", lambda L: L.ones(2**62), "ones")
add(ALLOC, "alloc_full_2_62", lambda L: L.full((2**62,), 1.0), "full")
add(ALLOC, "alloc_randn_2_62", lambda L: L.randn(2**62), "randn")
add(ALLOC, "alloc_rand_2_62", lambda L: L.rand(2**62), "rand")
add(ALLOC, "alloc_randint_2_62", lambda L: L.randint(0, 10, (2**62,)), "randint")
add(ALLOC, "alloc_arange_2_62", lambda L: L.arange(0, 2**62), "arange")
add(ALLOC, "alloc_zeros_2d_overflow", lambda L: L.zeros(2**31, 2**31), "zeros")
add(ALLOC, "alloc_zeros_numel_overflow", lambda L: L.zeros(2**21, 2**21, 2**21), "zeros")
add(ALLOC, "alloc_zeros_2_63", lambda L: L.zeros(2**63), "zeros")
add(ALLOC, "alloc_ones_4tib", lambda L: L.ones(2**40), ("ones", "allocate"))
add(ALLOC, "alloc_new_zeros_2_62", lambda L: L.ones(2).new_zeros(2**62), ("new_zeros", "zeros"))
add(ALLOC, "alloc_zeros_like_expanded", lambda L: L.ones(1).expand(2**62) + 1, "add")
add(ALLOC, "alloc_zeros_negative", lambda L: L.zeros(-1), "zeros")
add(ALLOC, "alloc_empty_negative", lambda L: L.empty(2, -3), "empty")
add(ALLOC, "alloc_ones_negative", lambda L: L.ones(-5), "ones")
add(ALLOC, "alloc_full_negative", lambda L: L.full((-1,), 0.0), "full")
add(ALLOC, "alloc_randn_negative", lambda L: L.randn(-2), "randn")
add(ALLOC, "alloc_eye_negative", lambda L: L.eye(-1), "eye")
add(ALLOC, "alloc_randperm_negative", lambda L: L.randperm(-1), "randperm")
add(ALLOC, "alloc_linspace_negative", lambda L: L.linspace(0, 1, -1), "linspace")


# --------------------------------------------------------------------------------------------------
# NaN and Inf through ops and backward: no error; results match NumPy/PyTorch
# --------------------------------------------------------------------------------------------------
NANC = "nan/inf"
SPECIAL = [NAN, INF, -INF, 0.0, -1.0, 2.0]


def _unary_with_grad(L, op, values=SPECIAL):
    x = L.tensor(values, requires_grad=True)
    y = getattr(x, op)()
    y.sum().backward()
    return [y, x.grad]


for _op in ("relu", "exp", "log", "sqrt", "sigmoid", "tanh", "abs", "reciprocal", "log1p", "rsqrt", "sin"):
    add(NANC, f"nan_{_op}", (lambda op: lambda L: _unary_with_grad(L, op))(_op), expect="ok")

with np.errstate(all="ignore"):
    _s = np.array(SPECIAL, dtype=np.float32)
    CASES["nan_relu"].ref = [np.where(np.isnan(_s), _s, np.maximum(_s, 0))]
    CASES["nan_exp"].ref = [np.exp(_s), np.exp(_s)]
    CASES["nan_sqrt"].ref = [np.sqrt(_s), 0.5 / np.sqrt(_s)]

# The special functions at their poles and edges (values and gradients as PyTorch's).
for _op in ("lgamma", "erfinv", "i0", "sinc"):
    add(NANC, f"nan_{_op}", (lambda op: lambda L: _unary_with_grad(L, op))(_op), expect="ok")


def _special_with_grad(L, name, values=SPECIAL):
    x = L.tensor(values, requires_grad=True)
    y = getattr(L.special, name)(x)
    y.sum().backward()
    return [y, x.grad]


for _op in ("entr", "ndtri", "log_ndtr", "erfcx", "i0e"):
    add(NANC, f"nan_special_{_op}", (lambda op: lambda L: _special_with_grad(L, op))(_op), expect="ok")

SPF = "special functions"
add(SPF, "special_polygamma_negative_n", lambda L: L.polygamma(-1, L.ones(2)), "polygamma")
add(SPF, "special_polygamma_float_n", lambda L: L.polygamma(1.5, L.ones(2)), "polygamma")
add(SPF, "special_mvlgamma_p0", lambda L: L.mvlgamma(L.ones(2) * 3, 0), "mvlgamma")
add(SPF, "special_xlog1py_broadcast", lambda L: L.special.xlog1py(L.ones(3), L.ones(2)), "special_xlog1py")
add(SPF, "special_lgamma_inplace_int", lambda L: L.tensor([1, 2]).lgamma_(), "lgamma")


@case(NANC, expect="ok")
def nan_softmax_with_inf(L):
    x = L.tensor([INF, 1.0, 2.0], requires_grad=True)
    y = x.softmax(0)
    (y * L.tensor([1.0, 2.0, 3.0])).sum().backward()
    return [y, x.grad]


@case(NANC, expect="ok")
def nan_log_softmax_neg_inf(L):
    x = L.tensor([-INF, 1.0, 2.0], requires_grad=True)
    y = x.log_softmax(0)
    y[1:].sum().backward()
    return [y, x.grad]


@case(NANC, expect="ok")
def nan_amax(L):
    x = L.tensor([1.0, NAN, 3.0], requires_grad=True)
    y = x.amax()
    y.backward()
    return [y, x.grad]


@case(NANC, expect="ok")
def nan_argmax_max(L):
    x = L.tensor([[1.0, NAN, 3.0], [INF, 0.0, -INF]])
    v, i = x.max(dim=1)
    return [x.argmax(), v, i]


@case(NANC, expect="ok", ref=[np.float32(np.nan), np.float32(np.nan), np.array([np.nan] * 3, np.float32)])
def nan_sum_mean_inf(L):
    x = L.tensor([INF, -INF, 1.0], requires_grad=True)
    s = x.sum()
    m = x.mean()
    (s * m).backward()
    return [s, m, x.grad]


@case(NANC, expect="ok")
def nan_divide_by_zero(L):
    a = L.tensor([1.0, 0.0, -1.0], requires_grad=True)
    b = L.tensor([0.0, 0.0, 0.0], requires_grad=True)
    y = a / b
    y.sum().backward()
    return [y, a.grad, b.grad]


@case(NANC, expect="ok", ref=[np.array([np.inf, np.nan, -np.inf], np.float32)])
def nan_int_true_divide_by_zero(L):
    return [L.tensor([1, 0, -1]) / 0]


@case(NANC, expect="ok")
def nan_clamp(L):
    x = L.tensor([NAN, INF, -INF, 0.5], requires_grad=True)
    y = x.clamp(0.0, 1.0)
    y.sum().backward()
    return [y, x.grad]


@case(NANC, expect="ok")
def nan_maximum_minimum(L):
    a = L.tensor([NAN, 1.0, INF], requires_grad=True)
    b = L.tensor([0.0, NAN, INF], requires_grad=True)
    y = L.maximum(a, b) + L.minimum(a, b)
    y.sum().backward()
    return [y, a.grad, b.grad]


@case(NANC, expect="ok")
def nan_pow(L):
    x = L.tensor([0.0, -8.0, INF, NAN], requires_grad=True)
    y = x ** -1.0
    z = x ** (1.0 / 3.0)
    (y + z).sum().backward()
    return [y, z, x.grad]


@case(NANC, expect="ok")
def nan_matmul_inf_times_zero(L):
    a = L.tensor([[INF, 0.0], [1.0, 2.0]], requires_grad=True)
    b = L.tensor([[0.0, 1.0], [1.0, NAN]], requires_grad=True)
    y = a @ b
    y.sum().backward()
    return [y, a.grad, b.grad]


@case(NANC, expect="ok")
def nan_norm(L):
    x = L.tensor([INF, 1.0, 0.0], requires_grad=True)
    y = x.norm()
    y.backward()
    return [y, x.grad]


@case(NANC, expect="ok")
def nan_logsumexp_all_neg_inf(L):
    x = L.tensor([-INF, -INF], requires_grad=True)
    y = x.logsumexp(0)
    y.backward()
    return [y, x.grad]


@case(NANC, expect="ok")
def nan_logsumexp_inf(L):
    x = L.tensor([INF, 1.0], requires_grad=True)
    y = x.logsumexp(0)
    y.backward()
    return [y, x.grad]


@case(NANC, expect="ok")
def nan_var_inf(L):
    x = L.tensor([INF, 1.0, 2.0], requires_grad=True)
    y = x.var()
    y.backward()
    return [y, x.grad]


@case(NANC, expect="ok")
def nan_std_single_element(L):
    x = L.tensor([1.0], requires_grad=True)
    y = x.std()
    y.backward()
    return [y, x.grad]


@case(NANC, expect="ok")
def nan_where_masked_sqrt(L):
    x = L.tensor([-1.0, 4.0], requires_grad=True)
    y = L.where(x > 0, x.sqrt(), L.zeros(2))
    y.sum().backward()
    return [y, x.grad]


@case(NANC, expect="ok")
def nan_mse_loss(L):
    x = L.tensor([NAN, 1.0], requires_grad=True)
    y = F(L).mse_loss(x, L.tensor([0.0, INF]))
    y.backward()
    return [y, x.grad]


@case(NANC, expect="ok")
def nan_cross_entropy_inf_logits(L):
    x = L.tensor([[INF, 0.0, 1.0], [1.0, -INF, 0.0]], requires_grad=True)
    y = F(L).cross_entropy(x, L.tensor([0, 2]))
    y.backward()
    return [y, x.grad]


@case(NANC, expect="ok")
def nan_gradient_into_backward(L):
    x = L.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(L.tensor([NAN, INF]))
    return [x.grad]


@case(NANC, expect="ok")
def nan_comparisons(L):
    x = L.tensor([NAN, INF, -INF, 1.0])
    return [x == x, x != x, x < INF, x > -INF, x >= x]


@case(NANC, expect="ok")
def nan_prod_zero_inf(L):
    x = L.tensor([0.0, INF, 2.0], requires_grad=True)
    y = x.prod()
    y.backward()
    return [y, x.grad]


@case(NANC, expect="ok", ref=[np.float32(np.nan), np.float32(0.0)])
def nan_empty_reductions(L):
    return [L.ones(0).mean(), L.ones(0).sum()]


@case(NANC, expect="ok")
def nan_item(L):
    return [L.tensor([NAN]).item(), L.tensor([INF]).sum().item()]


@case(NANC, expect="ok")
def nan_activations(L):
    x = L.tensor([NAN, INF, -INF, 0.0, 30.0], requires_grad=True)
    ys = [F(L).gelu(x), F(L).silu(x), F(L).softplus(x), F(L).elu(x), F(L).leaky_relu(x, 0.1)]
    sum(y.sum() for y in ys).backward()
    return ys + [x.grad]


@case(NANC, expect="ok")
def nan_bce_boundaries(L):
    p = L.tensor([0.0, 1.0, 0.5], requires_grad=True)
    y = F(L).binary_cross_entropy(p, L.tensor([1.0, 0.0, 1.0]), reduction="none")
    y.sum().backward()
    return [y, p.grad]


@case(NANC, expect="ok")
def nan_float64(L):
    x = L.tensor([NAN, INF, -INF, 1e308], dtype=L.float64, requires_grad=True)
    y = (x * 10).exp().log()
    y.sum().backward()
    return [y, x.grad]


# --------------------------------------------------------------------------------------------------
# Misuse of backward / grad
# --------------------------------------------------------------------------------------------------
BW = "backward misuse"


@case(BW, NONSCALAR)
def bw_non_scalar(L):
    x = leaf(L)
    (x * 2).backward()


@case(BW, TWICE)
def bw_twice(L):
    x = leaf(L)
    y = (x.exp() * 2).sum()
    y.backward()
    y.backward()


@case(BW, TWICE)
def bw_twice_via_grad(L):
    x = leaf(L)
    y = (x.sigmoid() * x).sum()
    L.autograd.grad(y, x)
    L.autograd.grad(y, x)


@case(BW, SHAPE_MISMATCH)
def bw_wrong_gradient_shape(L):
    x = leaf(L)
    (x * 2).backward(L.ones(2))


@case(BW, SHAPE_MISMATCH)
def bw_grad_outputs_wrong_shape(L):
    x = leaf(L)
    L.autograd.grad(x * 2, x, grad_outputs=L.ones(4))


@case(BW, NO_GRAD)
def bw_no_requires_grad(L):
    L.ones(3).sum().backward()


@case(BW, NO_GRAD)
def bw_detached(L):
    x = leaf(L)
    (x * 2).detach().sum().backward()


@case(BW, NO_GRAD)
def bw_created_under_no_grad(L):
    x = leaf(L)
    with L.no_grad():
        y = (x * 2).sum()
    y.backward()


@case(BW, "appears to not have been used in the graph")
def bw_grad_not_in_graph(L):
    x = leaf(L)
    z = leaf(L)
    L.autograd.grad((x * 2).sum(), [z])


@case(BW, NO_GRAD)
def bw_grad_wrt_no_requires_grad(L):
    x = leaf(L)
    L.autograd.grad((x * 2).sum(), [L.ones(3)])


@case(BW, NONSCALAR)
def bw_grad_non_scalar(L):
    x = leaf(L)
    L.autograd.grad(x * 2, x)


@case(BW, ("inputs", "grad"))
def bw_grad_empty_inputs(L):
    x = leaf(L)
    L.autograd.grad((x * 2).sum(), [])


@case(BW, ("inputs", "backward"))
def bw_backward_empty_inputs(L):
    x = leaf(L)
    (x * 2).sum().backward(inputs=[])


@case(BW, ("backward", "gradient"))
def bw_gradient_is_str(L):
    x = leaf(L)
    (x * 2).sum().backward(gradient="a")


@case(BW, ("grad", "gradients"))
def bw_grad_outputs_wrong_count(L):
    x = leaf(L)
    L.autograd.grad([x * 2, x * 3], x, grad_outputs=[L.ones(3)])


@case(BW, "modified by an inplace operation")
def bw_saved_tensor_modified(L):
    x = leaf(L)
    y = x.exp()
    y.add_(1)
    y.sum().backward()


@case(BW, "modified by an inplace operation")
def bw_saved_input_modified(L):
    x = leaf(L)
    h = x * 1
    y = h * h
    h.mul_(2)
    y.sum().backward()


@case(BW, "requires_grad")
def bw_requires_grad_on_non_leaf(L):
    x = leaf(L)
    (x * 2).requires_grad_(False)


@case(BW, ("grad", "size"))
def bw_assign_grad_wrong_shape(L):
    x = leaf(L)
    x.grad = L.ones(4)


@case(BW, ("grad",))
def bw_assign_grad_str(L):
    x = leaf(L)
    x.grad = "a"


@case(BW, ("grad", "dtype"))
def bw_assign_grad_int(L):
    x = leaf(L)
    x.grad = L.ones(3, dtype=L.int64)


@case(BW, "retain_grad")
def bw_retain_grad_no_requires_grad(L):
    L.ones(3).retain_grad()


@case(BW, "hook")
def bw_register_hook_no_requires_grad(L):
    L.ones(3).register_hook(lambda g: g)


@case(BW, "numpy")
def bw_numpy_of_requires_grad(L):
    leaf(L).numpy()


@case(BW, ("item", "Scalar", "scalar"))
def bw_item_multi_element(L):
    L.ones(3).item()


@case(BW, ("Boolean value", "bool"))
def bw_bool_multi_element(L):
    bool(L.ones(3))


@case(BW, ("scalar", "float"))
def bw_float_multi_element(L):
    float(L.ones(3))


# --------------------------------------------------------------------------------------------------
# A user's autograd.Function with a bad backward
# --------------------------------------------------------------------------------------------------
FN = "autograd.Function"


def _function(L, name, backward, forward=None, n_inputs=1):
    if forward is None:
        def forward(ctx, *xs):
            ctx.save_for_backward(*xs[:1])
            return xs[0] * 2

    return type(name, (L.autograd.Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward)})


def _run_function(L, name, backward, x=None):
    Fn = _function(L, name, backward)
    x = leaf(L) if x is None else x
    Fn.apply(x).sum().backward()
    return x.grad


add(FN, "fn_too_many_grads", lambda L: _run_function(L, "TooMany", lambda ctx, g: (g, g)), "TooManyBackward")
add(FN, "fn_too_few_grads", lambda L: _function(L, "TooFew", lambda ctx, g: g).apply(leaf(L), leaf(L)).sum().backward(),
    "TooFewBackward")
add(FN, "fn_wrong_shape", lambda L: _run_function(L, "WrongShape", lambda ctx, g: L.ones(5)), "WrongShapeBackward")
add(FN, "fn_wrong_shape_2d", lambda L: _run_function(L, "WrongShape2", lambda ctx, g: L.ones(3, 2)),
    "WrongShape2Backward")
add(FN, "fn_numpy_grad", lambda L: _run_function(L, "NumpyGrad", lambda ctx, g: np.ones(3, np.float32)),
    "NumpyGradBackward")
add(FN, "fn_str_grad", lambda L: _run_function(L, "StrGrad", lambda ctx, g: "abc"), "StrGradBackward")
add(FN, "fn_float_grad", lambda L: _run_function(L, "FloatGrad", lambda ctx, g: 1.0), "FloatGradBackward")
add(FN, "fn_list_grad", lambda L: _run_function(L, "ListGrad", lambda ctx, g: [g]), "ListGradBackward")
add(FN, "fn_nested_tuple_grad", lambda L: _run_function(L, "Nested", lambda ctx, g: ((g,),)), "NestedBackward")
add(FN, "fn_wrong_dtype_float64", lambda L: [_run_function(L, "F64", lambda ctx, g: g.double() * 3)], expect="ok")
add(FN, "fn_wrong_dtype_int64", lambda L: [_run_function(L, "I64", lambda ctx, g: L.ones(3, dtype=L.int64))],
    expect="ok")
add(FN, "fn_wrong_dtype_bool", lambda L: [_run_function(L, "B", lambda ctx, g: L.ones(3, dtype=L.bool))], expect="ok")
add(FN, "fn_none_for_all", lambda L: [_run_function(L, "AllNone", lambda ctx, g: None)], expect="ok")
add(FN, "fn_none_tuple", lambda L: [_run_function(L, "NoneTuple", lambda ctx, g: (None,))], expect="ok")
add(FN, "fn_broadcastable_grad", lambda L: [_run_function(L, "Broad", lambda ctx, g: L.ones(4, 3))], expect="ok")


class BackwardFailed(Exception):
    """A user's own exception type (must reach the caller unchanged)."""


def _raiser(exc):
    def backward(ctx, g):
        raise exc

    return backward


add(FN, "fn_backward_raises_value_error", lambda L: _run_function(L, "RaisesV", _raiser(ValueError("mine"))),
    "mine", user_exc="ValueError")
add(FN, "fn_backward_raises_key_error", lambda L: _run_function(L, "RaisesK", _raiser(KeyError("mine"))),
    "mine", user_exc="KeyError")
add(FN, "fn_backward_raises_own_type", lambda L: _run_function(L, "RaisesOwn", _raiser(BackwardFailed("mine"))),
    "mine", user_exc="BackwardFailed")
add(FN, "fn_backward_raises_zero_division", lambda L: _run_function(L, "Div0", lambda ctx, g: g / (1 // 0)),
    "division", user_exc="ZeroDivisionError")


@case(FN, "mine", user_exc="LookupError")
def fn_forward_raises(L):
    def forward(ctx, x):
        raise LookupError("mine")

    _function(L, "FwdRaises", lambda ctx, g: g, forward=forward).apply(leaf(L))


@case(FN, "NonTensorInputBackward")
def fn_grad_for_non_tensor_input(L):
    def forward(ctx, x, k):
        return x * k

    Fn = _function(L, "NonTensorInput", lambda ctx, g: (g, g), forward=forward)
    Fn.apply(leaf(L), 2.0).sum().backward()


@case(FN, "save_for_backward")
def fn_save_non_tensor(L):
    def forward(ctx, x):
        ctx.save_for_backward(x, 3)
        return x * 2

    _function(L, "SaveBad", lambda ctx, g: g, forward=forward).apply(leaf(L))


@case(FN, "backward")
def fn_no_backward(L):
    class NoBackward(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    NoBackward.apply(leaf(L)).sum().backward()


@case(FN, ("Legacy autograd function", "static forward"))
def fn_legacy_call(L):
    _function(L, "Legacy", lambda ctx, g: g)()(leaf(L))


@case(FN, TWICE)
def fn_backward_twice(L):
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x

    y = _function(L, "Twice", backward).apply(leaf(L)).sum()
    y.backward()
    y.backward()


@case(FN, "modified by an inplace operation")
def fn_saved_input_modified(L):
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x

    h = leaf(L) * 1
    y = _function(L, "Modified", backward).apply(h)
    h.add_(1)
    y.sum().backward()


@case(FN, ("once_differentiable", NO_GRAD))
def fn_once_differentiable_twice(L):
    class Square(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @L.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    x = leaf(L)
    (g,) = L.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    g.sum().backward()


# --------------------------------------------------------------------------------------------------
# Hooks that raise or return something wrong
# --------------------------------------------------------------------------------------------------
HOOK = "hooks"


def _with_hook(L, hook, on_leaf=False):
    x = leaf(L)
    y = x * 2
    (x if on_leaf else y).register_hook(hook)
    (y * y).sum().backward()
    return x.grad


def _raise_hook(exc):
    def hook(*args):
        raise exc

    return hook


add(HOOK, "hook_raises", lambda L: _with_hook(L, _raise_hook(ValueError("mine"))), "mine", user_exc="ValueError")
add(HOOK, "hook_raises_own_type", lambda L: _with_hook(L, _raise_hook(BackwardFailed("mine"))), "mine",
    user_exc="BackwardFailed")
add(HOOK, "hook_on_leaf_raises", lambda L: _with_hook(L, _raise_hook(KeyError("mine")), on_leaf=True), "mine",
    user_exc="KeyError")
add(HOOK, "hook_wrong_shape", lambda L: _with_hook(L, lambda g: L.ones(4)), "hook")
add(HOOK, "hook_on_leaf_wrong_shape", lambda L: _with_hook(L, lambda g: L.ones(2, 3), on_leaf=True), "hook")
add(HOOK, "hook_returns_str", lambda L: _with_hook(L, lambda g: "abc"), "hook")
add(HOOK, "hook_returns_numpy", lambda L: _with_hook(L, lambda g: np.ones(3, np.float32)), "hook")
add(HOOK, "hook_returns_float", lambda L: _with_hook(L, lambda g: 1.0), "hook")
add(HOOK, "hook_wrong_dtype", lambda L: _with_hook(L, lambda g: g.double()), "hook")
add(HOOK, "hook_not_callable", lambda L: _with_hook(L, "not callable"), ("not callable", "hook"))


@case(HOOK, "mine", user_exc="RuntimeError")
def hook_post_accumulate_raises(L):
    x = leaf(L)
    x.register_post_accumulate_grad_hook(_raise_hook(RuntimeError("mine")))
    (x * 2).sum().backward()


@case(HOOK, "hook")
def hook_post_accumulate_on_non_leaf(L):
    x = leaf(L)
    (x * 2).register_post_accumulate_grad_hook(lambda t: None)


@case(HOOK, "mine", user_exc="ArithmeticError")
def hook_node_post_hook_raises(L):
    x = leaf(L)
    y = x * 2
    y.grad_fn.register_hook(_raise_hook(ArithmeticError("mine")))
    y.sum().backward()


@case(HOOK, "mine", user_exc="ValueError")
def hook_node_prehook_raises(L):
    x = leaf(L)
    y = x * 2
    y.grad_fn.register_prehook(_raise_hook(ValueError("mine")))
    y.sum().backward()


@case(HOOK, "hook")
def hook_node_prehook_wrong_shape(L):
    x = leaf(L)
    y = x * 2
    y.grad_fn.register_prehook(lambda go: (L.ones(4),))
    y.sum().backward()


@case(HOOK, "mine", user_exc="TypeError")
def hook_pack_raises(L):
    def pack(t):
        raise TypeError("mine")

    x = leaf(L)
    with L.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        x.exp()


@case(HOOK, "mine", user_exc="ValueError")
def hook_unpack_raises(L):
    def unpack(t):
        raise ValueError("mine")

    x = leaf(L)
    with L.autograd.graph.saved_tensors_hooks(lambda t: t, unpack):
        y = x.exp()
    y.sum().backward()


# --------------------------------------------------------------------------------------------------
# In place on a leaf that requires grad, and on a view of one
# --------------------------------------------------------------------------------------------------
INPL = "in-place on leaf"


def _inplace(op):
    def run(L):
        x = leaf(L)
        op(L, x)

    return run


def _iadd(L, x):
    x += 1


def _setitem0(L, x):
    x[0] = 5.0


def _setitem_mask(L, x):
    x[x > 0] = 0.0


for _name, _op in [
    ("add_", lambda L, x: x.add_(1)), ("sub_", lambda L, x: x.sub_(1)), ("mul_", lambda L, x: x.mul_(2)),
    ("div_", lambda L, x: x.div_(2)), ("pow_", lambda L, x: x.pow_(2)), ("zero_", lambda L, x: x.zero_()),
    ("fill_", lambda L, x: x.fill_(1)), ("relu_", lambda L, x: x.relu_()), ("exp_", lambda L, x: x.exp_()),
    ("clamp_", lambda L, x: x.clamp_(0)), ("copy_", lambda L, x: x.copy_(L.ones(3))),
    ("masked_fill_", lambda L, x: x.masked_fill_(L.ones(3) > 0, 0.0)), ("iadd", _iadd),
    ("setitem", _setitem0), ("setitem_mask", _setitem_mask),
    ("F_relu_inplace", lambda L, x: F(L).relu(x, inplace=True)),
]:
    add(INPL, f"inplace_leaf_{_name}", _inplace(_op), LEAF_INPLACE)

for _name, _op in [
    ("slice_add_", lambda L, x: x[0:2].add_(1)), ("view_mul_", lambda L, x: x.view(3).mul_(2)),
    ("unsqueeze_fill_", lambda L, x: x.unsqueeze(0).fill_(0)), ("select_add_", lambda L, x: x[0].add_(1)),
    ("reshape_zero_", lambda L, x: x.reshape(3, 1).zero_()), ("t_sigmoid_", lambda L, x: x.unsqueeze(1).t().sigmoid_()),
]:
    add(INPL, f"inplace_view_of_leaf_{_name}", _inplace(_op), (VIEW_LEAF_INPLACE, LEAF_INPLACE))

add(INPL, "inplace_expanded_overlap", lambda L: L.ones(1).expand(3).add_(1), ("add_", "add"))
add(INPL, "inplace_expanded_overlap_mul", lambda L: L.tensor([2.0]).expand(2, 2).mul_(L.ones(2, 2)), ("mul_", "mul"))


# --------------------------------------------------------------------------------------------------
# matmul / mm / bmm / dot shape errors
# --------------------------------------------------------------------------------------------------
MM = "matmul"
add(MM, "mm_inner_mismatch", lambda L: L.ones(2, 3).mm(L.ones(4, 5)), ("mm", "matmul"))
add(MM, "mm_1d", lambda L: L.mm(L.ones(3), L.ones(3, 2)), ("mm", "matmul"))
add(MM, "mm_3d", lambda L: L.mm(L.ones(2, 2, 2), L.ones(2, 2)), ("mm", "matmul"))
add(MM, "bmm_batch_mismatch", lambda L: L.bmm(L.ones(2, 3, 4), L.ones(3, 4, 5)), ("bmm", "matmul"))
add(MM, "bmm_2d", lambda L: L.bmm(L.ones(3, 4), L.ones(4, 5)), ("bmm", "matmul"))
add(MM, "bmm_inner_mismatch", lambda L: L.bmm(L.ones(2, 3, 4), L.ones(2, 5, 6)), ("bmm", "matmul"))
add(MM, "dot_size_mismatch", lambda L: L.dot(L.ones(3), L.ones(4)), "dot")
add(MM, "dot_2d", lambda L: L.dot(L.ones(2, 2), L.ones(2, 2)), "dot")
add(MM, "dot_dtype_mismatch", lambda L: L.dot(L.ones(3), L.ones(3, dtype=L.float64)), "dot")
add(MM, "matmul_vec_mismatch", lambda L: L.ones(3) @ L.ones(4), "matmul")
add(MM, "matmul_mat_vec_mismatch", lambda L: L.ones(2, 3) @ L.ones(4), "matmul")
add(MM, "matmul_vec_mat_mismatch", lambda L: L.ones(5) @ L.ones(2, 3), "matmul")
add(MM, "matmul_batch_mismatch", lambda L: L.ones(2, 3, 4) @ L.ones(3, 4, 5), "matmul")
add(MM, "matmul_0d", lambda L: L.matmul(L.tensor(1.0), L.ones(3)), "matmul")
add(MM, "matmul_dtype_mismatch", lambda L: L.ones(2, 2) @ L.ones(2, 2, dtype=L.int64), "matmul")
add(MM, "matmul_str", lambda L: L.ones(2, 2) @ "a", ("matmul", "@"))
add(MM, "mv_mismatch", lambda L: L.mv(L.ones(2, 3), L.ones(4)), ("mv", "matmul"))
add(MM, "mv_1d", lambda L: L.mv(L.ones(3), L.ones(3)), ("mv", "matmul"))
add(MM, "outer_2d", lambda L: L.outer(L.ones(2, 2), L.ones(2)), "outer")
add(MM, "linear_mismatch", lambda L: F(L).linear(L.ones(2, 3), L.ones(4, 5)), ("linear", "matmul", "mm"))


@case(MM, "matmul")
def matmul_mismatch_with_grad(L):
    a = L.ones(2, 3, requires_grad=True)
    (a @ L.ones(2, 3)).sum().backward()


# --------------------------------------------------------------------------------------------------
# cat / stack errors
# --------------------------------------------------------------------------------------------------
CAT = "cat/stack"
add(CAT, "cat_size_mismatch", lambda L: L.cat([L.ones(2, 3), L.ones(2, 4)], 0), "cat")
add(CAT, "cat_empty", lambda L: L.cat([]), "cat")
add(CAT, "cat_ndim_mismatch", lambda L: L.cat([L.ones(2), L.ones(2, 2)]), "cat")
add(CAT, "cat_non_tensor_element", lambda L: L.cat([L.ones(2), 3]), "cat")
add(CAT, "cat_tensor_not_list", lambda L: L.cat(L.ones(2), L.ones(2)), "cat")
add(CAT, "cat_zero_dim", lambda L: L.cat([L.tensor(1.0), L.tensor(2.0)]), "cat")
add(CAT, "cat_none", lambda L: L.cat(None), "cat")
add(CAT, "stack_size_mismatch", lambda L: L.stack([L.ones(2), L.ones(3)]), "stack")
add(CAT, "stack_2d_mismatch", lambda L: L.stack([L.ones(2, 3), L.ones(2, 4)], 1), "stack")
add(CAT, "stack_empty", lambda L: L.stack([]), "stack")
add(CAT, "stack_non_tensor_element", lambda L: L.stack([L.ones(2), "a"]), "stack")
add(CAT, "stack_dim_out_of_range", lambda L: L.stack([L.ones(2), L.ones(2)], dim=-3), "stack")


@case(CAT, "cat")
def cat_mismatch_with_grad(L):
    a = leaf(L)
    L.cat([a.unsqueeze(0), L.ones(1, 4)]).sum().backward()


# --------------------------------------------------------------------------------------------------
# dtype errors
# --------------------------------------------------------------------------------------------------
DT = "dtype"
add(DT, "dtype_requires_grad_int_tensor", lambda L: L.tensor([1, 2], requires_grad=True), FLOAT_ONLY)
add(DT, "dtype_requires_grad_int_ones", lambda L: L.ones(3, dtype=L.int64).requires_grad_(), FLOAT_ONLY)
add(DT, "dtype_requires_grad_bool_zeros", lambda L: L.zeros(3, dtype=L.bool, requires_grad=True), FLOAT_ONLY)


@case(DT, FLOAT_ONLY)
def dtype_requires_grad_property_on_int(L):
    x = L.arange(3)
    x.requires_grad = True


add(DT, "dtype_mean_of_int", lambda L: L.arange(3).mean(), "mean")
add(DT, "dtype_mean_int_dtype", lambda L: L.ones(3).mean(dtype=L.int64), "mean")
add(DT, "dtype_var_of_int", lambda L: L.arange(3).var(), "var")
add(DT, "dtype_std_of_int", lambda L: L.arange(3).std(), "std")
add(DT, "dtype_norm_of_int", lambda L: L.arange(3).norm(), "norm")
add(DT, "dtype_softmax_of_int", lambda L: L.arange(3).softmax(0), "softmax")
add(DT, "dtype_log_softmax_of_int", lambda L: L.arange(3).log_softmax(0), "log_softmax")
add(DT, "dtype_int_add_float_inplace", lambda L: L.ones(3, dtype=L.int64).add_(1.5), "add_")
add(DT, "dtype_int_mul_float_tensor_inplace", lambda L: L.ones(3, dtype=L.int64).mul_(L.ones(3)), "mul_")
add(DT, "dtype_bool_sub", lambda L: L.ones(3, dtype=L.bool) - L.ones(3, dtype=L.bool), "sub")
add(DT, "dtype_bool_neg", lambda L: -L.ones(3, dtype=L.bool), "neg")
add(DT, "dtype_int_negative_pow", lambda L: L.tensor([2]) ** -1, "pow")
add(DT, "dtype_where_float_condition", lambda L: L.where(L.ones(3), L.ones(3), L.ones(3)), "where")
add(DT, "dtype_zeros_str_dtype", lambda L: L.zeros(3, dtype="float"), "zeros")
add(DT, "dtype_ones_numpy_dtype", lambda L: L.ones(3, dtype=np.float32), "ones")
add(DT, "dtype_randn_int", lambda L: L.randn(3, dtype=L.int64), "randn")
add(DT, "dtype_rand_bool", lambda L: L.rand(3, dtype=L.bool), "rand")
add(DT, "dtype_to_str", lambda L: L.ones(3).to("float64"), "to")


# --------------------------------------------------------------------------------------------------
# Bad arguments
# --------------------------------------------------------------------------------------------------
ARG = "bad arguments"
add(ARG, "arg_clamp_str", lambda L: L.ones(3).clamp(min="a"), "clamp")
add(ARG, "arg_clamp_list", lambda L: L.ones(3).clamp(min=[1]), "clamp")
add(ARG, "arg_clamp_none", lambda L: L.ones(3).clamp(), "clamp")
add(ARG, "arg_clamp_functional_none", lambda L: L.clamp(L.ones(3)), "clamp")
add(ARG, "arg_clamp_tensor_wrong_shape", lambda L: L.ones(3).clamp(min=L.ones(2)), "clamp")
add(ARG, "arg_sum_dim_str", lambda L: L.ones(3).sum(dim="a"), "sum")
add(ARG, "arg_sum_dim_float", lambda L: L.ones(3).sum(dim=1.5), "sum")
add(ARG, "arg_mean_dim_str", lambda L: L.ones(3).mean(dim="a"), "mean")
add(ARG, "arg_amax_dim_str", lambda L: L.ones(3).amax(dim="a"), "amax")
add(ARG, "arg_softmax_method_no_dim", lambda L: L.ones(3).softmax(), "softmax")
add(ARG, "arg_softmax_function_no_dim", lambda L: L.softmax(L.ones(3)), "softmax")
add(ARG, "arg_log_softmax_method_no_dim", lambda L: L.ones(3).log_softmax(), "log_softmax")
add(ARG, "arg_F_softmax_no_dim", lambda L: [F(L).softmax(L.tensor([[1.0, 2.0], [3.0, 5.0]]))], expect="ok")
add(ARG, "arg_F_log_softmax_no_dim", lambda L: [F(L).log_softmax(L.tensor([1.0, 2.0, 4.0]))], expect="ok")
add(ARG, "arg_unsqueeze_str", lambda L: L.ones(3).unsqueeze("a"), "unsqueeze")
add(ARG, "arg_transpose_missing", lambda L: L.ones(2, 3).transpose(0), "transpose")
add(ARG, "arg_add_str", lambda L: L.ones(3) + "a", ("add", "+"))
add(ARG, "arg_mul_none", lambda L: L.ones(3) * None, ("mul", "*"))
add(ARG, "arg_pow_str", lambda L: L.pow(L.ones(3), "a"), "pow")
add(ARG, "arg_ones_str", lambda L: L.ones("a"), "ones")
add(ARG, "arg_zeros_float", lambda L: L.zeros(2.5), "zeros")
add(ARG, "arg_full_str_value", lambda L: L.full((2,), "a"), "full")
add(ARG, "arg_arange_zero_step", lambda L: L.arange(0, 10, 0), "arange")
add(ARG, "arg_arange_wrong_sign", lambda L: L.arange(10, 0, 1), "arange")
add(ARG, "arg_randint_low_ge_high", lambda L: L.randint(5, 2, (3,)), "randint")
add(ARG, "arg_norm_bad_p", lambda L: L.ones(3).norm(p="bad"), "norm")
add(ARG, "arg_masked_fill_tensor_value", lambda L: L.ones(3).masked_fill(L.ones(3) > 0, L.ones(2)), "masked_fill")
add(ARG, "arg_chunk_str", lambda L: L.ones(3).chunk("a"), "chunk")
add(ARG, "arg_split_str", lambda L: L.ones(3).split("a"), "split")
add(ARG, "arg_leaky_relu_str", lambda L: F(L).leaky_relu(L.ones(3), "a"), "leaky_relu")
add(ARG, "arg_gelu_bad_approximate", lambda L: F(L).gelu(L.ones(3), approximate="bad"), "gelu")
add(ARG, "arg_dropout_p_too_large", lambda L: F(L).dropout(L.ones(3), p=1.5), "dropout")
add(ARG, "arg_dropout_p_negative", lambda L: F(L).dropout(L.ones(3), p=-0.1), "dropout")
add(ARG, "arg_dropout2d_p_too_large", lambda L: F(L).dropout2d(L.ones(1, 2, 2, 2), p=1.5), "dropout")
add(ARG, "arg_alpha_dropout_p_negative", lambda L: F(L).alpha_dropout(L.ones(3), p=-0.1, training=True), "dropout")
add(ARG, "arg_dropout1d_1d_input", lambda L: F(L).dropout1d(L.ones(3)), "dropout1d")
add(ARG, "arg_feature_alpha_dropout_1d", lambda L: F(L).feature_alpha_dropout(L.ones(3), 0.5, True), "Feature dropout")
add(DT, "dtype_dropout_int_input", lambda L: F(L).dropout(L.ones(3, dtype=L.int64), 0.5), "Long")
add(IDX, "idx_embedding_bag_out_of_range", lambda L: F(L).embedding_bag(L.tensor([0, 9]), L.ones(4, 3), L.tensor([0])),
    "index", user_exc="IndexError")
add(ARG, "arg_embedding_bag_bad_mode", lambda L: F(L).embedding_bag(L.tensor([0]), L.ones(4, 3), L.tensor([0]),
                                                                    mode="bad"), "mode")

_LOGITS = [[1.0, 2.0, 3.0], [0.5, 0.1, 0.2]]
for _loss, _args in [
    ("mse_loss", lambda L: (L.ones(3), L.zeros(3))), ("l1_loss", lambda L: (L.ones(3), L.zeros(3))),
    ("nll_loss", lambda L: (L.tensor(_LOGITS), L.tensor([0, 1]))),
    ("cross_entropy", lambda L: (L.tensor(_LOGITS), L.tensor([0, 1]))),
    ("binary_cross_entropy", lambda L: (L.tensor([0.5, 0.2]), L.tensor([1.0, 0.0]))),
]:
    add(ARG, f"arg_{_loss}_bad_reduction",
        (lambda loss, args: lambda L: getattr(F(L), loss)(*args(L), reduction="avg"))(_loss, _args), _loss)

add(ARG, "arg_cross_entropy_target_out_of_range",
    lambda L: F(L).cross_entropy(L.tensor(_LOGITS), L.tensor([0, 5])), ("cross_entropy", "nll_loss", "Target"))
add(ARG, "arg_cross_entropy_target_negative",
    lambda L: F(L).cross_entropy(L.tensor(_LOGITS), L.tensor([0, -1])), ("cross_entropy", "nll_loss", "Target"))
add(ARG, "arg_cross_entropy_prob_target_wrong_shape",
    lambda L: F(L).cross_entropy(L.tensor(_LOGITS), L.tensor([[0.5, 0.5], [1.0, 0.0]])), "cross_entropy")
add(ARG, "arg_cross_entropy_batch_mismatch",
    lambda L: F(L).cross_entropy(L.tensor(_LOGITS), L.tensor([0, 1, 2])), ("cross_entropy", "nll_loss"))
add(ARG, "arg_cross_entropy_label_smoothing",
    lambda L: F(L).cross_entropy(L.tensor(_LOGITS), L.tensor([0, 1]), label_smoothing=1.5), "cross_entropy")
add(ARG, "arg_nll_loss_float_target", lambda L: F(L).nll_loss(L.tensor(_LOGITS), L.tensor([0.0, 1.0])), "nll_loss")
add(ARG, "arg_nll_loss_batch_mismatch", lambda L: F(L).nll_loss(L.tensor(_LOGITS), L.tensor([0, 1, 2])), "nll_loss")
add(ARG, "arg_nll_loss_target_out_of_range", lambda L: F(L).nll_loss(L.tensor(_LOGITS), L.tensor([3, 0])),
    ("nll_loss", "Target"))
add(ARG, "arg_bce_input_above_one", lambda L: F(L).binary_cross_entropy(L.tensor([1.5, 0.5]), L.tensor([1.0, 0.0])),
    "binary_cross_entropy")
add(ARG, "arg_bce_input_negative", lambda L: F(L).binary_cross_entropy(L.tensor([-0.5, 0.5]), L.tensor([1.0, 0.0])),
    "binary_cross_entropy")
add(ARG, "arg_bce_target_shape", lambda L: F(L).binary_cross_entropy(L.tensor([0.5, 0.5]), L.tensor([1.0, 0.0, 1.0])),
    "binary_cross_entropy")


# --------------------------------------------------------------------------------------------------
# Integers that do not fit in int64, and extreme int64 values (overflow in index arithmetic)
# --------------------------------------------------------------------------------------------------
OVF = "int64 overflow"
add(OVF, "ovf_index_2_63", lambda L: L.ones(3)[2**63], INDEXING)
add(OVF, "ovf_index_min_int64", lambda L: L.ones(3)[-2**63], INDEXING)
add(OVF, "ovf_index_tensor_min_int64", lambda L: L.ones(3)[L.tensor([-2**63])], INDEXING)
add(OVF, "ovf_take_max_int64", lambda L: L.ones(3).take(L.tensor([2**63 - 1])), "take")
add(OVF, "ovf_take_min_int64", lambda L: L.ones(3).take(L.tensor([-2**63])), "take")
add(OVF, "ovf_slice_step_2_63", lambda L: L.ones(3)[::2**63], INDEXING + ("step", "slice"))
add(OVF, "ovf_slice_start_step_max_int64", lambda L: L.ones(3)[1::2**63 - 1], INDEXING + ("step", "slice"))
add(OVF, "ovf_slice_huge_step_ok", lambda L: [L.arange(5.0)[3::2**63 - 2], L.arange(5.0)[1::2**62]], expect="ok")
add(OVF, "ovf_sum_dim_2_63", lambda L: L.ones(3).sum(dim=2**63), "sum")
add(OVF, "ovf_softmax_dim_2_63", lambda L: L.ones(3).softmax(2**63), "softmax")
add(OVF, "ovf_view_2_63", lambda L: L.ones(3).view(2**63), "view")
add(OVF, "ovf_expand_2_63", lambda L: L.ones(1).expand(2**63), "expand")
add(OVF, "ovf_chunk_2_63", lambda L: L.ones(3).chunk(2**63), "chunk")
add(OVF, "ovf_unbind_2_63", lambda L: L.ones(3).unbind(2**63), "unbind")
add(OVF, "ovf_flatten_2_63", lambda L: L.ones(2, 3).flatten(2**63, 0), "flatten")
add(OVF, "ovf_cat_dim_2_63", lambda L: L.cat([L.ones(2)], dim=2**63), "cat")
add(OVF, "ovf_stack_dim_min_int64", lambda L: L.stack([L.ones(2)], dim=-2**63), "stack")
add(OVF, "ovf_transpose_min_int64", lambda L: L.ones(2, 3).transpose(-2**63, 0), "transpose")
add(OVF, "ovf_split_sizes_max_int64", lambda L: L.ones(3).split([2**63 - 1, 1]), "split")
add(OVF, "ovf_reshape_huge_inferred", lambda L: L.ones(3).reshape(-1, 2**62), "reshape")
add(OVF, "ovf_one_hot_huge_class", lambda L: F(L).one_hot(L.tensor([2**40])), "one_hot")
add(OVF, "ovf_linspace_2_62", lambda L: L.linspace(0, 1, 2**62), "linspace")

# More cases found while writing the ones above.
add(SHAPE, "reshape_empty_ambiguous", lambda L: L.ones(0).reshape(0, -1), "reshape")
add(SHAPE, "reshape_empty_ambiguous_2d", lambda L: L.ones(0, 3).reshape(-1, 0), "reshape")
add(IDX, "idx_ragged_list", lambda L: L.ones(3)[[[0, 1], [2]]], INDEXING)
add(IDX, "idx_mask_too_many_dims", lambda L: L.ones(3)[L.ones(3, 1) > 0], INDEXING)
add(NANC, "nan_arange_to_inf", lambda L: L.arange(0, INF), "arange")
add(NANC, "nan_arange_to_nan", lambda L: L.arange(0, NAN), "arange")
add(NANC, "nan_clamp_min_nan", lambda L: [L.tensor([1.0, -1.0, NAN]).clamp(min=NAN)], expect="ok")
add(NANC, "nan_masked_fill_nan", lambda L: [L.ones(3).masked_fill(L.tensor([True, False, True]), NAN)], expect="ok")
add(ARG, "arg_setitem_str", lambda L: _setitem(L, 0, "a"), INDEXING)
add(ARG, "arg_fill_str", lambda L: L.ones(3).fill_("a"), "fill_")
add(ARG, "arg_fill_1d_tensor", lambda L: L.ones(3).fill_(L.ones(2)), "fill_")
add(ARG, "arg_copy_str", lambda L: L.ones(3).copy_("a"), "copy_")
add(ARG, "arg_masked_fill_str", lambda L: L.ones(3).masked_fill(L.ones(3) > 0, "a"), "masked_fill")
add(ARG, "arg_zeros_str_in_list", lambda L: L.zeros([2, "a"]), "zeros")
add(ARG, "arg_set_num_threads_zero", lambda L: L.set_num_threads(0), "set_num_threads")
add(ARG, "arg_manual_seed_negative", lambda L: [L.manual_seed(-1) and None], expect="ok")



# --------------------------------------------------------------------------------------------------
# Index, sorting, scan and search ops (_indexing_ops.py, _sorting.py, _scan.py, _search.py):
# out-of-range and float indices, bad k, dims and arguments
# --------------------------------------------------------------------------------------------------
IXS = "index/sort/scan ops"
add(IXS, "gather_out_of_range", lambda L: L.ones(3).gather(0, L.tensor([5])), "gather")
add(IXS, "gather_negative_index", lambda L: L.ones(2, 3).gather(1, L.tensor([[0], [-1]])), "gather")
add(IXS, "gather_float_index", lambda L: L.ones(3).gather(0, L.tensor([0.0])), "gather")
add(IXS, "gather_dim_out_of_range", lambda L: L.ones(3).gather(1, L.tensor([0])), "gather")
add(IXS, "gather_index_ndim", lambda L: L.ones(3, 2).gather(0, L.tensor([0])), "gather")
add(IXS, "gather_index_too_large", lambda L: L.ones(3, 2).gather(0, L.tensor([[0, 0, 0]])), "gather")
add(IXS, "scatter_out_of_range", lambda L: L.ones(3).scatter(0, L.tensor([5]), L.ones(1)), "scatter")
add(IXS, "scatter_add_out_of_range", lambda L: L.ones(3).scatter_add(0, L.tensor([3]), L.ones(1)), "scatter_add")
add(IXS, "scatter_add_float_index", lambda L: L.ones(3).scatter_add(0, L.tensor([0.0]), L.ones(1)), "scatter")
add(IXS, "scatter_reduce_unknown", lambda L: L.ones(3).scatter_reduce(0, L.tensor([0]), L.ones(1), "foo"),
    "scatter_reduce")
add(IXS, "index_select_out_of_range", lambda L: L.ones(3).index_select(0, L.tensor([5])), "index_select")
add(IXS, "index_select_float_index", lambda L: L.ones(3).index_select(0, L.tensor([0.0])), "index_select")
add(IXS, "index_select_2d_index", lambda L: L.ones(3).index_select(0, L.tensor([[0]])), "index_select")
add(IXS, "index_add_out_of_range", lambda L: L.ones(3).index_add(0, L.tensor([5]), L.ones(1)), "index_add")
add(IXS, "index_add_float_index", lambda L: L.ones(3).index_add(0, L.tensor([0.0]), L.ones(1)), "index_add")
add(IXS, "index_copy_out_of_range", lambda L: L.ones(3).index_copy(0, L.tensor([5]), L.ones(1)), "index_copy")
add(IXS, "index_fill_out_of_range", lambda L: L.ones(3).index_fill(0, L.tensor([5]), 1.0), "index_fill")
add(IXS, "masked_scatter_float_mask", lambda L: L.ones(3).masked_scatter(L.ones(3), L.ones(3)), "masked_scatter")
add(IXS, "masked_scatter_short_source", lambda L: L.ones(3).masked_scatter(L.ones(3) > 0, L.ones(2)),
    "masked_scatter")
add(IXS, "put_out_of_range", lambda L: L.ones(3).put(L.tensor([5]), L.ones(1)), "put")
add(IXS, "topk_k_too_large", lambda L: L.ones(3).topk(5), "topk")
add(IXS, "kthvalue_k_too_large", lambda L: L.ones(3).kthvalue(5), "kthvalue")
add(IXS, "sort_dim_out_of_range", lambda L: L.ones(3).sort(2), "sort")
add(IXS, "cumsum_dim_out_of_range", lambda L: L.ones(3).cumsum(2), "cumsum")
add(IXS, "bincount_negative", lambda L: L.tensor([-1]).bincount(), "bincount")
add(IXS, "bincount_float", lambda L: L.tensor([1.0]).bincount(), "bincount")
add(IXS, "bincount_2d", lambda L: L.tensor([[1]]).bincount(), "bincount")
add(IXS, "searchsorted_bad_side", lambda L: L.searchsorted(L.ones(3), L.ones(2), side="middle"), "searchsorted")
add(IXS, "histc_no_bins", lambda L: L.histc(L.ones(3), bins=-1), "histc")
add(IXS, "histc_int64", lambda L: L.tensor([1, 2]).histc(), "histc")
add(IXS, "logcumsumexp_int64", lambda L: L.tensor([1, 2]).logcumsumexp(0), "logcumsumexp")
add(IXS, "scatter_index_larger_than_src", lambda L: L.ones(2).scatter(0, L.tensor([0, 1, 1]), L.ones(2)), "scatter")
add(IXS, "index_add_source_shape", lambda L: L.ones(3, 2).index_add(0, L.tensor([0]), L.ones(1, 3)), "index_add")
add(IXS, "index_add_0d_self_1d_source", lambda L: L.zeros(()).index_add(0, L.tensor([0]), L.ones(1)), "index_add")
add(IXS, "index_copy_index_count", lambda L: L.ones(3, 2).index_copy(0, L.tensor([0, 1]), L.ones(1, 2)),
    "index_copy")
add(IXS, "put_index_count", lambda L: L.ones(3).put(L.tensor([0, 1]), L.ones(1)), "put")
add(IXS, "masked_scatter_mask_shape", lambda L: L.ones(3).masked_scatter(L.ones(2) > 0, L.ones(3)), "masked_scatter")
add(IXS, "median_empty_dim", lambda L: L.ones(0, 2).median(0), "median")


@case(IXS, "gather")
def gather_out_of_range_with_grad(L):
    x = leaf(L)
    (x * 2).gather(0, L.tensor([0, 3])).sum().backward()


@case(IXS, "index_add")
def index_add_out_of_range_in_place(L):
    x = L.zeros(3)
    x.index_add_(0, L.tensor([0, 4]), L.ones(2))


@case(IXS, expect="ok", ref=[np.array([3.0, 2.0, 1.0], np.float32), np.array([2, 1]),
                            np.array([0.0, 1.0, 0.0, 0.0], np.float32)])
def sort_with_nan_and_grad(L):
    # NaN sorts as the largest value; the gradient of a selected value goes to where it came from.
    x = L.tensor([2.0, 3.0, float("nan"), 1.0], requires_grad=True)
    top = x.topk(2)
    top.values[1].backward()
    return [x.sort(descending=True).values[1:], top.indices, x.grad]


# --------------------------------------------------------------------------------------------------
# Native argument parsing (csrc/python/arg_parser.h): number branches of where, argument types
# --------------------------------------------------------------------------------------------------
NARG = "native arguments"
_WMASK = np.array([[True, False, True], [False, False, True]])
add(NARG, "narg_where_two_floats", lambda L: [L.where(L.tensor(_WMASK), 1.0, 0.0)], expect="ok",
    ref=[np.where(_WMASK, 1.0, 0.0).astype(np.float32)])
add(NARG, "narg_where_two_ints", lambda L: [L.where(L.tensor(_WMASK), 1, 0)], expect="ok",
    ref=[np.where(_WMASK, 1, 0).astype(np.int64)])
add(NARG, "narg_where_int_and_float", lambda L: [L.where(L.tensor(_WMASK), 2, 0.5)], expect="ok",
    ref=[np.where(_WMASK, 2.0, 0.5).astype(np.float32)])
add(NARG, "narg_where_two_bools", lambda L: [L.where(L.tensor(_WMASK), True, False)], expect="ok", ref=[_WMASK])
add(NARG, "narg_where_0d_mask", lambda L: [L.where(L.tensor(True), 3.0, 4.0)], expect="ok",
    ref=[np.array(3.0, dtype=np.float32)])
add(NARG, "narg_where_scalar_and_tensor", lambda L: [L.where(L.tensor(_WMASK), 1.0, L.zeros(3))], expect="ok",
    ref=[np.where(_WMASK, 1.0, 0.0).astype(np.float32)])
add(NARG, "narg_where_tensor_and_scalar", lambda L: [L.where(L.tensor(_WMASK), L.ones(2, 1), 0)], expect="ok",
    ref=[np.where(_WMASK, 1.0, 0.0).astype(np.float32)])
add(NARG, "narg_where_method_scalar", lambda L: [L.ones(2, 3).where(L.tensor(_WMASK), 0.0)], expect="ok",
    ref=[np.where(_WMASK, 1.0, 0.0).astype(np.float32)])
add(NARG, "narg_sum_keepdim_str", lambda L: L.ones(3).sum(dim=0, keepdim="yes"), "sum")
add(NARG, "narg_unsqueeze_float", lambda L: L.ones(3).unsqueeze(dim=1.0), "unsqueeze")
add(NARG, "narg_flatten_float", lambda L: L.ones(2, 3).flatten(0.0), "flatten")
add(NARG, "narg_requires_grad_int", lambda L: L.ones(3).requires_grad_(1), "requires_grad_")
add(NARG, "narg_set_num_threads_zero", lambda L: L.set_num_threads(0), "set_num_threads")


# --------------------------------------------------------------------------------------------------
# Shape ops, contractions and linear algebra (_shape_ops.py, _contract.py, linalg.py)
# --------------------------------------------------------------------------------------------------
SHP = "shape ops"
add(SHP, "shp_flip_dim_out_of_range", lambda L: L.ones(2, 3).flip(2), "flip")
add(SHP, "shp_flip_repeated_dim", lambda L: L.ones(2, 3).flip(0, -2), "flip")
add(SHP, "shp_roll_shifts_dims_mismatch", lambda L: L.ones(2, 3).roll((1, 2), 0), "roll")
add(SHP, "shp_rot90_same_dims", lambda L: L.ones(2, 3).rot90(1, (0, 0)), "rot90")
add(SHP, "shp_rot90_1d", lambda L: L.ones(3).rot90(), "rot90")
add(SHP, "shp_repeat_too_few_dims", lambda L: L.ones(2, 3).repeat(2), "repeat")
add(SHP, "shp_repeat_interleave_size_mismatch",
    lambda L: L.ones(2, 3).repeat_interleave(L.tensor([1, 2]), dim=1), "repeat_interleave")
add(SHP, "shp_repeat_interleave_negative", lambda L: L.ones(3).repeat_interleave(-1), "repeat_interleave")
add(SHP, "shp_tril_1d", lambda L: L.ones(3).tril(), "tril")
add(SHP, "shp_triu_0d", lambda L: L.tensor(1.0).triu(), "triu")
add(SHP, "shp_diag_3d", lambda L: L.ones(2, 2, 2).diag(), "diag")
add(SHP, "shp_diagonal_same_dims", lambda L: L.ones(2, 3).diagonal(0, 1, 1), "diagonal")
add(SHP, "shp_diag_embed_dim_out_of_range", lambda L: L.diag_embed(L.ones(3), 0, 0, 2), "diag_embed")
add(SHP, "shp_trace_3d", lambda L: L.ones(2, 2, 2).trace(), "trace")
add(SHP, "shp_movedim_repeated", lambda L: L.movedim(L.ones(2, 3), (0, 0), (0, 1)), "movedim")
add(SHP, "shp_movedim_length_mismatch", lambda L: L.movedim(L.ones(2, 3), (0, 1), (1,)), "movedim")
add(SHP, "shp_narrow_too_long", lambda L: L.ones(2, 3).narrow(1, 2, 2), "narrow")
add(SHP, "shp_select_out_of_range", lambda L: L.ones(2, 3).select(0, 2), "select")
add(SHP, "shp_unflatten_bad_sizes", lambda L: L.ones(6).unflatten(0, (4, 2)), "unflatten")
add(SHP, "shp_hsplit_indivisible", lambda L: L.ones(2, 3).hsplit(2), "hsplit")
add(SHP, "shp_vsplit_1d", lambda L: L.ones(4).vsplit(2), "vsplit")
add(SHP, "shp_tensor_split_zero_sections", lambda L: L.ones(4).tensor_split(0), "tensor_split")
add(SHP, "shp_meshgrid_2d_input", lambda L: L.meshgrid(L.ones(2, 2), L.ones(3), indexing="ij"), "meshgrid")
add(SHP, "shp_meshgrid_bad_indexing", lambda L: L.meshgrid(L.ones(2), L.ones(3), indexing="yx"), "meshgrid")
add(SHP, "shp_block_diag_3d", lambda L: L.block_diag(L.ones(2, 2, 2)), "block_diag")
add(SHP, "shp_cdist_columns_mismatch", lambda L: L.cdist(L.ones(2, 3), L.ones(2, 4)), "cdist")
add(SHP, "shp_cat_after_flip_ok", lambda L: [L.tensor([[1.0, 2.0], [3.0, 4.0]]).flip(0).roll(1, 1).tril()],
    expect="ok", ref=[np.array([[4.0, 0.0], [2.0, 1.0]], dtype=np.float32)])

CON = "contractions"
add(CON, "con_einsum_wrong_subscript_count", lambda L: L.einsum("ij->i", L.ones(3)), "einsum")
add(CON, "con_einsum_size_mismatch", lambda L: L.einsum("ij,jk->ik", L.ones(2, 3), L.ones(4, 2)), "einsum")
add(CON, "con_einsum_too_many_operands", lambda L: L.einsum("ij", L.ones(2, 2), L.ones(2, 2)), "einsum")
add(CON, "con_einsum_unknown_output", lambda L: L.einsum("ij->k", L.ones(2, 2)), "einsum")
add(CON, "con_tensordot_size_mismatch", lambda L: L.tensordot(L.ones(2, 3), L.ones(4, 2), 1), "tensordot")
add(CON, "con_addmm_shapes", lambda L: L.addmm(L.ones(2, 2), L.ones(2, 3), L.ones(2, 2)), ("addmm", "mat1"))
add(CON, "con_addmv_vector_2d", lambda L: L.addmv(L.ones(2), L.ones(2, 3), L.ones(3, 1)), "addmv")
add(CON, "con_cross_no_size_3", lambda L: L.linalg.cross(L.ones(2, 4), L.ones(2, 4)), "cross")
add(CON, "con_multi_dot_one_tensor", lambda L: L.linalg.multi_dot([L.ones(2, 2)]), "multi_dot")
add(CON, "con_multi_dot_3d", lambda L: L.linalg.multi_dot([L.ones(2, 2), L.ones(2, 2, 2)]), "multi_dot")
add(CON, "con_vdot_2d", lambda L: L.vdot(L.ones(2, 2), L.ones(2, 2)), "vdot")

LA = "linalg"
add(LA, "la_inv_not_square", lambda L: L.linalg.inv(L.ones(3, 4)), "inv")
add(LA, "la_inv_1d", lambda L: L.linalg.inv(L.ones(3)), "inv")
add(LA, "la_inv_singular", lambda L: L.linalg.inv(L.zeros(3, 3)), "inv")
add(LA, "la_inv_singular_batch", lambda L: L.linalg.inv(L.tensor([[[1.0, 2.0], [2.0, 4.0]]])), "inv")
add(LA, "la_inv_singular_is_linalg_error",
    lambda L: [isinstance(_raised(lambda: L.linalg.inv(L.zeros(2, 2))), (L.linalg.LinAlgError, RuntimeError))],
    expect="ok")
add(LA, "la_inv_int", lambda L: L.linalg.inv(L.ones(2, 2, dtype=L.int64)), "inv")
add(LA, "la_det_not_square", lambda L: L.linalg.det(L.ones(2, 3)), "det")
add(LA, "la_torch_det_1d", lambda L: L.det(L.ones(3)), "det")
add(LA, "la_slogdet_not_square", lambda L: L.linalg.slogdet(L.ones(2, 3)), "slogdet")
add(LA, "la_solve_singular", lambda L: L.linalg.solve(L.zeros(2, 2), L.ones(2)), "solve")
add(LA, "la_solve_shape_mismatch", lambda L: L.linalg.solve(L.eye(3), L.ones(2, 2)), "solve")
add(LA, "la_cholesky_not_pd", lambda L: L.linalg.cholesky(-L.eye(3)), "cholesky")
add(LA, "la_cholesky_not_square", lambda L: L.linalg.cholesky(L.ones(2, 3)), "cholesky")
add(LA, "la_eigh_bad_uplo", lambda L: L.linalg.eigh(L.eye(2), UPLO="X"), ("eigh", "UPLO"))
add(LA, "la_qr_bad_mode", lambda L: L.linalg.qr(L.eye(2), mode="full"), "qr")
add(LA, "la_svd_1d", lambda L: L.linalg.svd(L.ones(3)), "svd")
add(LA, "la_matrix_norm_1d", lambda L: L.linalg.matrix_norm(L.ones(3)), "matrix_norm")
add(LA, "la_norm_3d_with_ord", lambda L: L.linalg.norm(L.ones(2, 2, 2), ord=2), "norm")
add(LA, "la_matrix_power_not_square", lambda L: L.linalg.matrix_power(L.ones(2, 3), 2), "matrix_power")
add(LA, "la_matrix_exp_not_square", lambda L: L.linalg.matrix_exp(L.ones(2, 3)), "matrix_exp")
add(LA, "la_det_singular_ok", lambda L: [L.linalg.det(L.tensor([[1.0, 2.0], [2.0, 4.0]]))], expect="ok",
    ref=[np.float32(0.0)])
add(LA, "la_inv_after_error_ok",
    lambda L: [_raised(lambda: L.linalg.inv(L.zeros(2, 2))) is not None, L.linalg.inv(2 * L.eye(2))], expect="ok")

# ---- narrow dtypes (uint8, int8, int16, int32, float16): PyTorch's refusals ----
DT = "narrow dtypes"
add(DT, "dt_mean_int32", lambda L: L.tensor([1, 2], dtype=L.int32).mean(), "mean")
add(DT, "dt_requires_grad_int16", lambda L: L.tensor([1, 2], dtype=L.int16).requires_grad_(), FLOAT_ONLY)
add(DT, "dt_inplace_float_into_int8", lambda L: L.tensor([1, 2], dtype=L.int8).add_(1.5), "add_")
add(DT, "dt_softmax_uint8", lambda L: L.tensor([1, 2], dtype=L.uint8).softmax(0), "softmax")
add(DT, "dt_int32_floordiv_zero", lambda L: L.tensor([1, 2], dtype=L.int32) // 0, "floor_divide")
add(DT, "dt_int8_index_tensor", lambda L: L.arange(3)[L.tensor([0, 1], dtype=L.int8)], "indices")
add(DT, "dt_matmul_mixed_int", lambda L: L.ones(2, 2, dtype=L.int32) @ L.ones(2, 2, dtype=L.int16), "matmul")
add(DT, "dt_from_numpy_longdouble", lambda L: L.from_numpy(np.zeros(2, np.longdouble)), "np.ndarray")
add(DT, "dt_wraparound_ok", lambda L: [L.tensor([100], dtype=L.int8) * 3, L.tensor([250], dtype=L.uint8) + 10,
                                       L.tensor([1, 2], dtype=L.int16).sum()], expect="ok",
    ref=[np.array([44], np.int8), np.array([4], np.uint8), np.int64(3)])
add(DT, "dt_half_after_error_ok",
    lambda L: [_raised(lambda: ~L.tensor([1.0], dtype=L.float16)) is not None,
               L.tensor([1.5, 2.0], dtype=L.float16) * 2], expect="ok")
# ---- forward-mode AD (fngrad.autograd.forward_ad): PyTorch's errors, the level left usable ----
FWAD = "forward_ad"


def _in_dual_level(L, fn):
    fw = L.autograd.forward_ad
    with fw.dual_level():
        return fn(fw)


add(FWAD, "fwad_make_dual_outside_level", lambda L: L.autograd.forward_ad.make_dual(L.ones(2), L.ones(2)),
    ("dual", "enter_dual_level"))
add(FWAD, "fwad_tangent_wrong_shape", lambda L: _in_dual_level(L, lambda fw: fw.make_dual(L.ones(2), L.ones(3))),
    ("forward gradient", "size"))
add(FWAD, "fwad_tangent_int", lambda L: _in_dual_level(L, lambda fw: fw.make_dual(L.ones(2), L.ones(2, dtype=L.int64))),
    ("tangent", "floating point"))
add(FWAD, "fwad_nested_level", lambda L: _in_dual_level(L, lambda fw: fw.enter_dual_level()), "forward mode AD")
add(FWAD, "fwad_after_errors_ok",
    lambda L: [_raised(lambda: _in_dual_level(L, lambda fw: fw.make_dual(L.ones(2), L.ones(3)))) is not None,
               _in_dual_level(L, lambda fw: fw.unpack_dual(fw.make_dual(L.ones(2), L.ones(2)).exp()).tangent)],
    expect="ok", ref=[True, np.full(2, np.e, dtype=np.float32)])


def _raised(fn):
    """The exception fn raises (None if it returns)."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the case inspects it
        return e
    return None


# --------------------------------------------------------------------------------------------------
# opinfo2: in-place forms, statistics (quantile, histograms, gradient), combinations, fill,
# nonzero_static, triangular_solve, torch.norm orders, linear_cross_entropy
# --------------------------------------------------------------------------------------------------
OI2 = "opinfo2 ops"
add(OI2, "oi2_squeeze__leaf", lambda L: L.ones(2, 1, requires_grad=True).squeeze_(), LEAF_INPLACE)
add(OI2, "oi2_transpose__leaf", lambda L: L.ones(2, 3, requires_grad=True).transpose_(0, 1), LEAF_INPLACE)
add(OI2, "oi2_eq__leaf", lambda L: L.ones(2, requires_grad=True).eq_(1.0), LEAF_INPLACE)
add(OI2, "oi2_eq__broadcast", lambda L: L.ones(2).eq_(L.ones(3, 2)), "eq")
add(OI2, "oi2_unsqueeze__bad_dim", lambda L: L.ones(2).unsqueeze_(3), "unsqueeze")
add(OI2, "oi2_squeeze__no_grad_ok", lambda L: _squeeze_under_no_grad(L), expect="ok", ref=[[2], [1.0, 1.0]])
add(OI2, "oi2_quantile_q_out_of_range", lambda L: L.quantile(L.ones(3), 1.5), "quantile")
add(OI2, "oi2_quantile_empty", lambda L: L.quantile(L.ones(0), 0.5), "quantile")
add(OI2, "oi2_quantile_bad_interpolation", lambda L: L.quantile(L.ones(3), 0.5, interpolation="cubic"), "quantile")
add(OI2, "oi2_quantile_q_dtype", lambda L: L.quantile(L.ones(3), L.tensor([0.5], dtype=L.float64)), "quantile")
add(OI2, "oi2_quantile_q_2d", lambda L: L.quantile(L.ones(3), L.full((1, 1), 0.5)), "quantile")
add(OI2, "oi2_quantile_dim_out_of_range", lambda L: L.quantile(L.ones(3), 0.5, dim=2), "quantile")
add(OI2, "oi2_nanquantile_int", lambda L: L.nanquantile(L.ones(3, dtype=L.int64), 0.5), "nanquantile")
add(OI2, "oi2_histogram_zero_bins", lambda L: L.histogram(L.ones(3), bins=0), "histogram")
add(OI2, "oi2_histogram_bad_range", lambda L: L.histogram(L.ones(3), bins=2, range=(1.0, 0.0)), "histogram")
add(OI2, "oi2_histogramdd_bins_count", lambda L: L.histogramdd(L.ones(3, 2), bins=[2, 2, 2]), "histogramdd")
add(OI2, "oi2_gradient_too_short", lambda L: L.gradient(L.ones(2), edge_order=2), "gradient")
add(OI2, "oi2_gradient_spacing_length", lambda L: L.gradient(L.ones(3, 3), spacing=[1.0, 2.0, 3.0]), "gradient")
add(OI2, "oi2_combinations_2d", lambda L: L.combinations(L.ones(2, 2)), "combinations")
add(OI2, "oi2_combinations_negative_r", lambda L: L.combinations(L.ones(3), r=-1), "combinations")
add(OI2, "oi2_nonzero_static_negative", lambda L: L.nonzero_static(L.ones(3), size=-1), "nonzero_static")
add(OI2, "oi2_fill_1d_value", lambda L: L.fill(L.ones(3), L.ones(2)), "fill")
add(OI2, "oi2_triangular_solve_1d", lambda L: L.triangular_solve(L.ones(3), L.eye(3)), "triangular_solve")
add(OI2, "oi2_norm_nuc_1d", lambda L: L.norm(L.ones(3), "nuc"), "matrix_norm")
add(OI2, "oi2_linear_cross_entropy_features",
    lambda L: L.nn.functional.linear_cross_entropy(L.ones(2, 3), L.ones(4, 5), L.tensor([0, 1])),
    "linear_cross_entropy")
add(OI2, "oi2_norm_negative_ok", lambda L: [L.norm(L.tensor([1.0, 2.0]), -1)], expect="ok", ref=[np.float32(2.0 / 3.0)])


def _squeeze_under_no_grad(L):
    x = L.ones(2, 1, requires_grad=True)
    with L.no_grad():
        x.squeeze_()
    return [list(x.shape), x.tolist()]


# --------------------------------------------------------------------------------------------------
# In place on outputs of unbind/split/chunk (one node for all outputs: PyTorch refuses)
# --------------------------------------------------------------------------------------------------
MOV = "multi-output views"
MULTI_VIEW = "This view is the output of a function that returns multiple views"


def _after_base_changed(L):
    z = L.ones(2, 3, requires_grad=True) * 1
    a, b = z.unbind()
    z.mul_(2)
    return [a * 2]


add(MOV, "mov_unbind_add_", lambda L: (L.ones(2, 3, requires_grad=True) * 1).unbind()[1].add_(1), MULTI_VIEW)
add(MOV, "mov_split_mul_", lambda L: (L.ones(4, requires_grad=True) * 1).split(2)[0].mul_(2), MULTI_VIEW)
add(MOV, "mov_split_sizes_zero_", lambda L: (L.ones(4, requires_grad=True) * 1).split([1, 3])[1].zero_(), MULTI_VIEW)
add(MOV, "mov_chunk_copy_", lambda L: (L.ones(4, requires_grad=True) * 1).chunk(2)[0].copy_(L.zeros(2)), MULTI_VIEW)
add(MOV, "mov_unbind_of_leaf", lambda L: L.ones(2, 3, requires_grad=True).unbind()[0].add_(1), MULTI_VIEW)
add(MOV, "mov_view_of_output", lambda L: (L.ones(2, 4, requires_grad=True) * 1).unbind()[0].view(2, 2).add_(1),
    MULTI_VIEW)
add(MOV, "mov_used_after_base_changed", _after_base_changed, MULTI_VIEW)
add(MOV, "mov_no_grad_base_ok", lambda L: [L.zeros(2, 3).unbind()[0].add_(1)], expect="ok", ref=[np.ones(3, np.float32)])

# speed (issue 13): native addmm and F.linear through it
add(CON, "con_addmm_dtype_mismatch", lambda L: L.addmm(L.ones(2, 2), L.ones(2, 2), L.ones(2, 2, dtype=L.float64)),
    ("addmm", "same dtype"))
add(CON, "con_addmm_input_not_broadcastable", lambda L: L.addmm(L.ones(3, 3), L.ones(2, 2), L.ones(2, 2)),
    ("addmm", "expanded size"))
add(CON, "con_addmm_mat2_3d", lambda L: L.ones(2, 2).addmm(L.ones(2, 2), L.ones(2, 2, 1)), ("addmm", "mat2"))
add(CON, "con_linear_shapes", lambda L: F(L).linear(L.ones(3, 4, requires_grad=True), L.ones(2, 3), L.ones(2)),
    ("mat1 and mat2 shapes cannot be multiplied",))


# --------------------------------------------------------------------------------------------------
# surface (issue 12): refusals PyTorch makes that fngrad used to accept; unsafe_split's parts are no
# views; bfloat16 through the NumPy-backed families
# --------------------------------------------------------------------------------------------------
SUR = "surface"
add(SUR, "sur_flip_without_dims", lambda L: L.ones(2).flip(), "flip")
add(SUR, "sur_tile_method_without_dims", lambda L: L.ones(2).tile(), "tile")
add(SUR, "sur_meshgrid_mixed_dtypes", lambda L: L.meshgrid(L.ones(2), L.ones(2, dtype=L.float64), indexing="ij"),
    "meshgrid")
add(SUR, "sur_cartesian_prod_mixed_dtypes", lambda L: L.cartesian_prod(L.ones(2), L.arange(2)), "meshgrid")
add(SUR, "sur_cov_bool", lambda L: L.cov(L.tensor([True, False])), "cov")
add(SUR, "sur_trapezoid_bool", lambda L: L.trapezoid(L.tensor([True, False])), "trapezoid")
add(SUR, "sur_median_bool", lambda L: L.tensor([True, False]).median(), "median")
add(SUR, "sur_inner_mixed_dtypes", lambda L: L.inner(L.ones(2), L.ones(2, dtype=L.float64)), "inner")
add(SUR, "sur_cross_mixed_dtypes", lambda L: L.linalg.cross(L.ones(3), L.ones(3, dtype=L.float64)), "cross")
add(SUR, "sur_vander_half", lambda L: L.linalg.vander(L.ones(3, dtype=L.float16)), "vander")
add(SUR, "sur_unsafe_split_inplace_ok", lambda L: [(L.ones(4, requires_grad=True) * 1).unsafe_split(2)[0].mul_(2)],
    expect="ok", ref=[np.full(2, 2.0, np.float32)])
add(SUR, "sur_vander_int16_ok", lambda L: [L.linalg.vander(L.tensor([2, 3], dtype=L.int16))], expect="ok",
    ref=[np.array([[1, 2], [1, 3]], np.int64)])

# ---- surface (issue 12, OpInfo): the *_ex variants' refusals; dtypes and values PyTorch gives ----
add(SUR, "sur_cholesky_ex_check_errors", lambda L: L.linalg.cholesky_ex(-L.eye(2), check_errors=True), "cholesky")
add(SUR, "sur_inv_ex_check_errors", lambda L: L.linalg.inv_ex(L.zeros(2, 2), check_errors=True), "inv")
add(SUR, "sur_inv_ex_not_square", lambda L: L.linalg.inv_ex(L.ones(2, 3)), "inv")
add(SUR, "sur_solve_ex_shapes", lambda L: L.linalg.solve_ex(L.eye(2), L.ones(3, 1)), "solve")
add(SUR, "sur_cholesky_ex_int", lambda L: L.linalg.cholesky_ex(L.ones(2, 2, dtype=L.int64)), "cholesky")
add(SUR, "sur_square_inplace_bool", lambda L: L.tensor([True]).square_(), "square")
add(SUR, "sur_ex_info_ok", lambda L: [L.linalg.cholesky_ex(L.eye(2).expand(3, 2, 2)).info,
                                      L.linalg.inv_ex(2 * L.eye(2)).info,
                                      L.linalg.solve_ex(L.eye(2).expand(4, 2, 2), L.ones(2)).info], expect="ok",
    ref=[np.zeros(3, np.int32), np.zeros((), np.int32), np.zeros(4, np.int32)])
add(SUR, "sur_bool_sign_square_uint8_all_ok", lambda L: [
    L.sign(L.tensor([True, False])), L.square(L.tensor([True, False])), L.tensor([1, 0], dtype=L.uint8).all(),
    L.tensor([[0, 2]], dtype=L.uint8).any(1)], expect="ok",
    ref=[np.array([True, False]), np.array([1, 0]), np.array(0, np.uint8), np.array([1], np.uint8)])
add(SUR, "sur_integer_dtypes_ok", lambda L: [
    L.cumsum(L.tensor([1, 2], dtype=L.int32), 0, dtype=L.int32), L.einsum("ij->i", L.ones(2, 2, dtype=L.int32)),
    L.einsum("ij,jk->ik", L.ones(2, 2, dtype=L.int32), L.ones(2, 2, dtype=L.int32)),
    L.tensor(3, dtype=L.int16).sum_to_size(()), L.nn.functional.threshold(L.tensor([-8, 6, 9]), 5, 5),
    L.nn.functional.avg_pool1d(L.tensor([[[1, 2, 4, 4]]]), 2, padding=1),
    L.addr(L.tensor(True), L.tensor([True, False]), L.tensor([False, True]), beta=3, alpha=2)], expect="ok",
    ref=[np.array([1, 3], np.int32), np.array([2, 2]), np.full((2, 2), 2, np.int32), np.array(3),
         np.array([5, 6, 9]), np.array([[[0, 3, 2]]]), np.ones((2, 2), bool)])
add(SUR, "sur_wraparound_and_truncation_ok", lambda L: [
    L.trapezoid(L.tensor([[5, 1, 6], [5, 6, 4]], dtype=L.uint8), L.tensor([[2, 5, 5], [9, 3, 1]], dtype=L.uint8)),
    L.linspace(-2.0, -3, 5, dtype=L.int64), L.arange(0.0, -8.000001, -4.0, dtype=L.int64),
    L.arange(-0.9, 2.1, 2.0, dtype=L.int32), L.logspace(4.3, -3, 5, dtype=L.int64),
    L.index_add(L.tensor([5], dtype=L.uint8), 0, L.tensor([0]), L.tensor([1], dtype=L.uint8), alpha=-1)],
    expect="ok", ref=[np.array([9.0, 213.0], np.float32), np.array([-2, -2, -2, -2, -3]), np.array([0, -4]),
                      np.array([0, 2], np.int32), np.array([10000, 177, 3, 0, 0]), np.array([4], np.uint8)])
add(SUR, "sur_half_precision_ok", lambda L: [
    L.nextafter(L.tensor([1.0, 0.0], dtype=L.bfloat16), L.tensor([2.0, -1.0], dtype=L.bfloat16)).float(),
    L.linalg.vector_norm(L.tensor(-8.4765625, dtype=L.float16), 6).float(),
    L.nn.functional.rms_norm(L.tensor([[300.0, 400.0]], dtype=L.float16), (2,)).float()], expect="ok",
    ref=[np.array([1.0078125, -9.18354962e-41], np.float32), np.array(8.4765625, np.float32),
         (np.array([[300.0, 400.0]]) / np.sqrt(125000.0)).astype(np.float16).astype(np.float32)])


ATT = "attention"
add(ATT, "att_head_dims_differ", lambda L: L.nn.functional.scaled_dot_product_attention(
    L.ones(2, 3, 4), L.ones(2, 5, 3), L.ones(2, 5, 3)), ("matmul", "batch2", "multiplied"))
add(ATT, "att_mask_shape", lambda L: L.nn.functional.scaled_dot_product_attention(
    L.ones(2, 3, 4), L.ones(2, 5, 4), L.ones(2, 5, 3), attn_mask=L.ones(4, 5, dtype=L.bool)), "size")
add(ATT, "att_mixed_dtypes", lambda L: L.nn.functional.scaled_dot_product_attention(
    L.ones(2, 3, 4), L.ones(2, 5, 4, dtype=L.float64), L.ones(2, 5, 3)), "same dtype")
add(ATT, "att_integer_inputs", lambda L: L.nn.functional.scaled_dot_product_attention(
    *(L.ones(2, n, 4, dtype=L.int64) for n in (3, 5, 5))), ("scalar type", "floating point"))
add(ATT, "att_causal_with_mask", lambda L: L.nn.functional.scaled_dot_product_attention(
    L.ones(1, 2, 2), L.ones(1, 2, 2), L.ones(1, 2, 2), attn_mask=L.ones(2, 2, dtype=L.bool), is_causal=True),
    "attn_mask")
add(ATT, "att_empty_ok", lambda L: [L.nn.functional.scaled_dot_product_attention(
    L.ones(2, 0, 4), L.ones(2, 5, 4), L.ones(2, 5, 3)), L.nn.functional.scaled_dot_product_attention(
    L.ones(2, 3, 4), L.ones(2, 0, 4), L.ones(2, 0, 3))], expect="ok")

MHA = "multihead_attention"
add(MHA, "mha_heads_not_dividing", lambda L: L.nn.MultiheadAttention(6, 4), "divisible by num_heads")
add(MHA, "mha_mask_shape", lambda L: L.nn.MultiheadAttention(4, 2)(
    *(L.ones(3, 2, 4),) * 3, attn_mask=L.zeros(3, 4)), "attn_mask")
add(MHA, "mha_padding_shape", lambda L: L.nn.MultiheadAttention(4, 2)(
    *(L.ones(3, 2, 4),) * 3, key_padding_mask=L.zeros(2, 4, dtype=L.bool)), "key_padded_mask")
add(MHA, "mha_integer_mask", lambda L: L.nn.MultiheadAttention(4, 2)(
    *(L.ones(3, 2, 4),) * 3, attn_mask=L.zeros(3, 3, dtype=L.int64)), "attn_mask")
add(MHA, "transformer_activation", lambda L: L.nn.TransformerEncoderLayer(4, 2, activation="tanh"), "activation")

add(SUR, "sur_frexp_int", lambda L: L.frexp(L.tensor([1, 2])), "frexp")
add(SUR, "sur_frexp_special_ok", lambda L: list(L.frexp(L.tensor([0., -0.0, float("inf"), float("nan"), 1e-310],
                                                           dtype=L.float64))), expect="ok",
    ref=list(np.frexp(np.array([0., -0.0, np.inf, np.nan, 1e-310]))))


GS = "grid_sample"
add(GS, "grid_sample_bad_mode", lambda L: F(L).grid_sample(L.ones(1, 1, 2, 2), L.zeros(1, 1, 1, 2), mode="cubic"),
    "grid_sample")
add(GS, "grid_sample_bad_padding", lambda L: F(L).grid_sample(L.ones(1, 1, 2, 2), L.zeros(1, 1, 1, 2),
                                                               padding_mode="wrap"), "grid_sample")
add(GS, "grid_sample_grid_last_dim", lambda L: F(L).grid_sample(L.ones(1, 1, 2, 2), L.zeros(1, 1, 1, 3)), "grid")
add(GS, "grid_sample_batch_mismatch", lambda L: F(L).grid_sample(L.ones(2, 1, 2, 2), L.zeros(1, 1, 1, 2)), "batch")
add(GS, "grid_sample_bicubic_5d", lambda L: F(L).grid_sample(L.ones(1, 1, 2, 2, 2), L.zeros(1, 1, 1, 1, 3),
                                                              mode="bicubic"), "bicubic")
add(GS, "grid_sample_3d_input", lambda L: F(L).grid_sample(L.ones(1, 2, 2), L.zeros(1, 1, 2)), "grid")


# as_strided addresses its input's storage: out-of-bounds geometry, negative strides and offsets,
# mismatched lengths; a view of a view reads the storage, not the view.
STR = "as_strided"
add(STR, "as_strided_out_of_bounds", lambda L: L.arange(10.)[5:].as_strided((2, 2), (1, 2), 7), "as_strided")
add(STR, "as_strided_negative_stride", lambda L: L.arange(10.).as_strided((2, 2), (-1, 1)), "as_strided")
add(STR, "as_strided_negative_offset", lambda L: L.arange(10.).as_strided((2,), (1,), -1), "storage offset")
add(STR, "as_strided_length_mismatch", lambda L: L.arange(10.).as_strided((2, 2), (1,)), "strides and shape")
add(STR, "as_strided_scatter_src_shape", lambda L: L.as_strided_scatter(L.zeros(4), L.ones(3), (2,), (2,)),
    "src")
add(STR, "as_strided_inplace_leaf", lambda L: L.ones(4, requires_grad=True).as_strided_((2,), (2,)), LEAF_INPLACE)
add(STR, "as_strided_of_views_ok", lambda L: [
    L.arange(20.)[5:15].as_strided((2, 2), (1, 2), 0), L.arange(20.)[5:15].as_strided((2, 2), (1, 2)),
    L.arange(12.).reshape(3, 4).t().as_strided((3,), (1,), 2)], expect="ok",
    ref=[np.array([[0., 2.], [1., 3.]], np.float32), np.array([[5., 7.], [6., 8.]], np.float32),
         np.array([2., 3., 4.], np.float32)])


# --------------------------------------------------------------------------------------------------
# The child process
# --------------------------------------------------------------------------------------------------


def to_numpy(v):
    """A case's returned value as a NumPy array (or None), for comparing fngrad with PyTorch."""
    if v is None:
        return None
    if hasattr(v, "detach"):
        return np.asarray(v.detach().numpy())
    return np.asarray(v)


def compare(a, b, what):
    """None if the two lists of values agree (shape, dtype, values with NaN equal to NaN), else why not."""
    if len(a) != len(b):
        return f"{what}: {len(a)} values, expected {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        x, y = to_numpy(x), to_numpy(y)
        if x is None or y is None:
            if x is not y:
                return f"{what}: value {i} is {x!r}, expected {y!r}"
            continue
        if x.shape != y.shape:
            return f"{what}: value {i} has shape {x.shape}, expected {y.shape}"
        if x.dtype != y.dtype:
            return f"{what}: value {i} has dtype {x.dtype}, expected {y.dtype}"
        if x.dtype.kind == "f":
            ok = (np.array_equal(np.isnan(x), np.isnan(y)) and np.array_equal(np.isposinf(x), np.isposinf(y))
                  and np.array_equal(np.isneginf(x), np.isneginf(y)))
            ok = ok and np.allclose(x, y, rtol=1e-5, atol=1e-6, equal_nan=True)
        else:
            ok = np.array_equal(x, y)
        if not ok:
            return f"{what}: value {i} is {x.tolist()}, expected {y.tolist()}"
    return None


def _exception_info(e):
    return {"type": type(e).__name__, "message": str(e)[:1000], "mro": [c.__name__ for c in type(e).__mro__]}


def _run(lib, c):
    try:
        value = c.fn(lib)
    except BaseException as e:  # noqa: BLE001 - every exception is a result here
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return None, _exception_info(e)
    return value, None


def _usable(fngrad):
    """A fresh forward and backward give the right gradient; None if so, else what went wrong."""
    try:
        if not fngrad.is_grad_enabled():
            return "grad mode was left off"
        x = fngrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
        (x.relu() * 2).sum().backward()
        got = x.grad.numpy().tolist()
        if got != [2.0, 0.0, 2.0]:
            return f"x.grad is {got}, expected [2.0, 0.0, 2.0]"
        a = fngrad.ones(2, 3, requires_grad=True)
        (a @ fngrad.ones(3, 2)).exp().sum().backward()
        if a.grad is None or a.grad.shape != (2, 3):
            return f"matmul backward gave {a.grad!r}"
    except BaseException as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}"
    return None


def run_case(name, fngrad, torch):
    import warnings

    c = CASES[name]
    result = {"name": name}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn_value, result["fngrad"] = _run(fngrad, c)
        if torch is not None:
            torch_value, result["torch"] = _run(torch, c)
    result["has_torch"] = torch is not None
    if c.expect == "ok" and result["fngrad"] is None:
        try:
            values = list(fn_value)
            if torch is not None and result["torch"] is None:
                result["compare_torch"] = compare(values, list(torch_value), "vs PyTorch")
            if c.ref is not None:  # NumPy has no gradients: the reference may cover the first values only
                result["compare_numpy"] = compare(values[:len(c.ref)], c.ref, "vs NumPy")
        except BaseException as e:  # noqa: BLE001
            result["compare_torch"] = f"comparing raised {type(e).__name__}: {e}"
    result["usable"] = _usable(fngrad)
    return result


def main(names):
    import json
    import os
    import resource
    import sys

    # Keep a case that asks for terabytes from taking the machine down (PyTorch and fngrad alike).
    # AddressSanitizer reserves terabytes of address space for its shadow memory, so under
    # stress/sanitize.sh its allocator's own limit (allocator_may_return_null) does this instead.
    if "libasan" not in os.environ.get("LD_PRELOAD", ""):
        limit = 8 << 30
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import fngrad
    import fngrad.nn.functional  # noqa: F401

    try:
        import torch
        import torch.nn.functional  # noqa: F401
    except ImportError:
        torch = None
    for name in names:
        print("START", name, flush=True)
        result = run_case(name, fngrad, torch)
        print("RESULT", json.dumps(result), flush=True)
        if result["usable"] is not None:
            sys.exit(3)  # the next cases start in a fresh process
    print("DONE", flush=True)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
