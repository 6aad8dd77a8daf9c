// The differentiable operations, as C++ functions on tensors. Each records its backward node
// when grad mode is on and an input requires grad; the Python bindings in python/ and the
// backward formulas of other ops call these.
//
// Where each family lives: unary_ops.h + unary.cpp (the elementwise unary table), binary_ops.h +
// binary.cpp (the elementwise binary table), ternary_ops.h + ternary.cpp (the elementwise ternary
// table: addcmul, addcdiv, lerp), pointwise.cpp (comparisons, logical ops, where,
// fill_/copy_ and the in-place checks), reduce.cpp (reductions and
// softmax), views.cpp (views, reshapes, cat/stack/split, casts), index.cpp (indexing and
// in-place on views), linalg.cpp (matmul family).
#pragma once

#include <utility>

#include "autograd/node.h"
#include "core/py_ref.h"
#include "core/scalar.h"

namespace fngrad {
namespace ops {

// One side of a binary op: a tensor, or a Python number.
struct Operand {
  TensorObject* tensor = nullptr;
  Scalar scalar;
  Operand() = default;
  Operand(TensorObject* t) : tensor(t) {}
  Operand(const TensorRef& t) : tensor(t.get()) {}
  Operand(Scalar s) : scalar(s) {}
  bool is_tensor() const { return tensor != nullptr; }
};

enum class CompareKind { Lt, Le, Gt, Ge, Eq, Ne };
enum class LogicalKind { And = 0, Or = 1, Xor = 2 };
enum class NllReduction { None = 0, Mean = 1, Sum = 2 };

// ---- elementwise (the table in unary_ops.h declares apply_<Op> for the parameterless ones) ----
TensorRef relu(TensorObject* x);
TensorRef neg(TensorObject* x);
// clamp(min=..., max=...): either bound may be absent (null), not both.
TensorRef clamp(TensorObject* x, const Scalar* min, const Scalar* max);
TensorRef leaky_relu(TensorObject* x, double negative_slope);
TensorRef elu(TensorObject* x, double alpha);
TensorRef gelu(TensorObject* x, bool tanh_approximation);
TensorRef softplus(TensorObject* x, double beta, double threshold);
TensorRef pow_scalar(TensorObject* x, double exponent);
// polygamma(n, x): the n-th derivative of digamma (n >= 0), differentiable in x.
TensorRef polygamma(TensorObject* x, int64_t n);

// The common entries of the binary table (binary_ops.h has them all, as apply_<Op>).
TensorRef add(const Operand& a, const Operand& b);
TensorRef sub(const Operand& a, const Operand& b);
TensorRef mul(const Operand& a, const Operand& b);
TensorRef div(const Operand& a, const Operand& b);
TensorRef pow(const Operand& a, const Operand& b);
// Comparisons, logical and bitwise ops give bool (or int64) tensors and are not differentiable.
TensorRef compare(CompareKind kind, const Operand& a, const Operand& b);
TensorRef logical(LogicalKind kind, const Operand& a, const Operand& b, bool bitwise);
TensorRef logical_not(TensorObject* x, bool bitwise);
TensorRef where(TensorObject* cond, const Operand& a, const Operand& b);
// The dtype binary(kind, a, b) computes in (PyTorch's promotion with Python scalars).
DType result_type(const Operand& a, const Operand& b);

// ---- in place (bump the version, refuse leaves that require grad) ----
void add_(TensorObject* self, const Operand& other);
void fill_(TensorObject* self, const Scalar& value);
void copy_(TensorObject* self, TensorObject* src);
void masked_fill_(TensorObject* self, TensorObject* mask, const Scalar& value);
TensorRef masked_fill(TensorObject* x, TensorObject* mask, const Scalar& value);
void relu_(TensorObject* self);
void clamp_(TensorObject* self, const Scalar* min, const Scalar* max);
// Refuses an in-place op on t where PyTorch does, naming op.
void check_inplace(TensorObject* t, const char* op);
// PyTorch's assert_no_internal_overlap: refuses a write into t when two of its elements share
// memory (a dim of size > 1 with stride 0, as expand makes), naming op. Contiguous tensors never
// overlap, so the check costs one branch on the common path.
bool has_internal_overlap(const TensorObject* t);
void fail_internal_overlap(const char* op);
inline void check_no_internal_overlap(const TensorObject* t, const char* op) {
  if (!t->contiguous && has_internal_overlap(t)) fail_internal_overlap(op);
}
// Bumps t's version counter (every in-place write does).
inline void bump_version(TensorObject* t) { t->storage->version++; }
// The forward op a node is the backward of, as PyTorch's view errors name it ("Unbind" for
// UnbindBackward0), and their advice for outputs of multi-output views (Note [Multi-output views]).
std::string forward_op_name(const autograd::Node* fn);
inline constexpr const char* kMultiOutputViewAdvice =
    "This view is the output of a function that returns multiple views. Such functions do not allow the output "
    "views to be modified inplace. You should replace the inplace operation by an out-of-place one.";
// See Note [In-place on views] (index.cpp).
bool view_needs_functionalize(TensorObject* t);
void write_through_view(TensorObject* view, TensorObject* value);
void refresh_view_history(TensorObject* t);

// ---- reductions ----
// dims null (or empty) reduces every dim.
TensorRef sum(TensorObject* x, const DimVec* dims, bool keepdim);
TensorRef mean(TensorObject* x, const DimVec* dims, bool keepdim);
TensorRef prod(TensorObject* x, const DimVec* dims, bool keepdim);
TensorRef prod_others(TensorObject* x, const DimVec& dims);
TensorRef amax(TensorObject* x, const DimVec* dims, bool keepdim);
TensorRef amin(TensorObject* x, const DimVec* dims, bool keepdim);
// max()/min() of every element (the node PyTorch names MaxBackward1/MinBackward1).
TensorRef max_all(TensorObject* x, bool is_max);
// op names the op in errors (argmax calls this); null means max/min.
std::pair<TensorRef, TensorRef> max_dim(TensorObject* x, int64_t dim, bool keepdim, bool is_max,
                                        const char* op = nullptr);
TensorRef argmax(TensorObject* x, const DimVec* dim, bool keepdim, bool is_max);
TensorRef var(TensorObject* x, const DimVec* dims, double correction, bool keepdim, bool take_sqrt);
TensorRef logsumexp(TensorObject* x, const DimVec* dims, bool keepdim);
TensorRef norm(TensorObject* x, double p, const DimVec* dims, bool keepdim);
TensorRef all_any(TensorObject* x, const DimVec* dims, bool keepdim, bool is_all);
TensorRef softmax(TensorObject* x, int64_t dim, bool log);
// logp (N, C), target (N,) int64, weight (C,) or null: PyTorch's nll_loss on rows.
TensorRef nll_loss(TensorObject* logp, TensorObject* target, TensorObject* weight, int64_t ignore_index,
                   NllReduction reduction);
// Sums x down to shape (x's shape broadcasts from it), as gradients of broadcasting are.
TensorRef sum_to(TensorObject* x, const DimVec& shape);

// ---- data movement ----
TensorRef clone(TensorObject* x);
TensorRef detach(TensorObject* x);
TensorRef to_dtype(TensorObject* x, DType dtype);
// A contiguous tensor with x's values in row-major order: x itself when already contiguous.
TensorRef contiguous(TensorObject* x);

// ---- along one dim (dim_index.cpp): no node recorded; the Python families own the graph ----
// out[..., j, ...] = x[..., idx[..., j, ...], ...] along dim (idx int64, as many dims as x and no
// larger apart from dim); an index outside [0, x.size(dim)) raises op's RuntimeError.
TensorRef gather_dim(TensorObject* x, int64_t dim, TensorObject* idx, const char* op);
// A contiguous copy of self with src's elements added at idx along dim (repeats accumulate).
TensorRef scatter_add_dim(TensorObject* self, int64_t dim, TensorObject* idx, TensorObject* src, const char* op);
// The same into zeros of shape `sizes` (gather's gradient, in one pass less than a copy of zeros).
TensorRef scatter_add_zeros_dim(const DimVec& sizes, int64_t dim, TensorObject* idx, TensorObject* src, const char* op);
// Running sums along dim in x's dtype (float32, float64 or int64), from the end when reverse.
TensorRef cumsum_dim(TensorObject* x, int64_t dim, bool reverse);

// ---- whole slices along one dim (index_rows.cpp): no node recorded; the Python families own the graph ----
// x's slices along dim at idx (1-d, int64 or int32): x's shape with sizes[dim] = idx.numel(). An index
// outside [0, x.size(dim)) raises op's IndexError "index out of range in self".
TensorRef index_select_dim(TensorObject* x, int64_t dim, TensorObject* idx, const char* op);
// A new contiguous tensor: self (or, when self is null, zeros) of src's shape with sizes[dim] = size,
// plus alpha * src's slice j at idx[j] along dim for each j (repeats accumulate, in index order).
// float32, float64 or int64; an index outside [0, size) raises PyTorch's error (an IndexError for one
// dim, else a RuntimeError naming it).
TensorRef index_add_dim(TensorObject* self, int64_t size, int64_t dim, TensorObject* idx, TensorObject* src,
                        double alpha, const char* op);

// ---- order statistics along one dim (select.cpp): indices only, no node recorded ----
// Top: each line's k largest (NaN above every number) or, with !largest, smallest, best first,
// equal values in index order (a stable sort's first k). Kth: the k-th smallest (k from 1), size 1
// along dim; Median / NanMedian: the lower median (the first NaN if any) / of the non-NaN values.
enum class SelectKind { Top = 0, Kth = 1, Median = 2, NanMedian = 3 };
TensorRef select_dim(TensorObject* x, int64_t dim, SelectKind kind, int64_t k, bool largest);

// ---- views and shapes ----
TensorRef select(TensorObject* x, int64_t dim, int64_t index);
TensorRef slice(TensorObject* x, int64_t dim, int64_t start, int64_t stop, int64_t step);
TensorRef unsqueeze(TensorObject* x, int64_t dim);
TensorRef squeeze_dim(TensorObject* x, int64_t dim);
TensorRef squeeze_all(TensorObject* x);
TensorRef expand(TensorObject* x, const DimVec& shape);
// A view of x's storage with these sizes and strides at storage_offset (absolute; null: x's own).
TensorRef as_strided(TensorObject* x, const DimVec& sizes, const DimVec& strides, const int64_t* storage_offset);
TensorRef reshape(TensorObject* x, const DimVec& shape);
TensorRef view_as_shape(TensorObject* x, const DimVec& shape);
TensorRef flatten(TensorObject* x, int64_t start, int64_t end);
TensorRef permute(TensorObject* x, const DimVec& dims);
TensorRef transpose(TensorObject* x, int64_t d0, int64_t d1);
TensorRef t(TensorObject* x);  // Tensor.t()
TensorRef cat(const SmallVec<TensorObject*, 4>& tensors, int64_t dim, bool stack);
SmallVec<TensorRef, 4> split(TensorObject* x, int64_t size, int64_t dim);
SmallVec<TensorRef, 4> split_sizes(TensorObject* x, const DimVec& sizes, int64_t dim);
SmallVec<TensorRef, 4> chunk(TensorObject* x, int64_t chunks, int64_t dim);
SmallVec<TensorRef, 4> unbind(TensorObject* x, int64_t dim);

// ---- indexing ----
TensorRef index(TensorObject* x, PyObject* index);
void index_put(TensorObject* x, PyObject* index, const Operand& value);
// x.flat[positions] (int64 positions, negative wrap), differentiable.
TensorRef take(TensorObject* x, TensorObject* positions);
// zeros(shape) with g added at flat positions (repeats accumulate), differentiable.
TensorRef scatter_add(const DimVec& shape, TensorObject* positions, TensorObject* g);

// ---- linear algebra (NumPy's BLAS does the products) ----
TensorRef matmul(TensorObject* a, TensorObject* b);
TensorRef mm(TensorObject* a, TensorObject* b);
TensorRef bmm(TensorObject* a, TensorObject* b);
TensorRef dot(TensorObject* a, TensorObject* b);
TensorRef mv(TensorObject* a, TensorObject* v);
TensorRef outer(TensorObject* a, TensorObject* b);
// beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape; one AddmmBackward0 node.
TensorRef addmm(TensorObject* input, TensorObject* mat1, TensorObject* mat2, const Scalar& beta, const Scalar& alpha);

// A tensor from a Python number, with PyTorch's dtype for it (float32 for floats).
// Note [Storage dtypes]: an op with no storage-dtype path of its own runs f on x converted to its
// kernel dtype and casts the result to `result`; both casts are recorded (ToCopyBackward0), so
// gradients of float16 inputs flow through float32 kernels.
template <typename F> TensorRef via_kernel_dtype(TensorObject* x, DType result, const F& f) {
  TensorRef xk = to_dtype(x, kernel_dtype(x->dtype));
  TensorRef r = f(xk.get());
  return r->dtype == result ? r : to_dtype(r.get(), result);
}

TensorRef scalar_tensor(const Scalar& s, DType dtype);
DType default_dtype_for(const Scalar& s);
// The floating dtype of Python floats and of integer tensors promoted to floats (torch.get_default_dtype):
// the one copy of fngrad.set_default_dtype's state, read by the C++ promotion and the Python creators.
DType default_float_dtype();
void set_default_float_dtype(DType dtype);

}  // namespace ops
}  // namespace fngrad
