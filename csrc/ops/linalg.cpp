// Matrix products: matmul (with NumPy's rules for 1-D operands and batch broadcasting), mm,
// bmm, dot, mv, and addmm (beta * input + alpha * mat1 @ mat2, one node: F.linear's). NumPy's matmul does the
// arithmetic (its BLAS, with the GIL released); fngrad adds the shapes, the errors and the backward, which is itself
// made of matmuls (so that it is differentiable under create_graph).
#include <type_traits>

#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "core/loops.h"
#include "ops/matmul_kernel.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;
using autograd::SavedTensor;

namespace {

// The result shape of matmul(a, b), or an error in PyTorch's words.
DimVec matmul_shape(const TensorObject* a, const TensorObject* b) {
  const int64_t na = ndim(a), nb = ndim(b);
  FNGRAD_CHECK_RUNTIME(na > 0 && nb > 0, "[matmul] both arguments to matmul need to be at least 1D, but they are ", na,
                       "D and ", nb, "D");
  const int64_t k_a = a->sizes[na - 1];
  const int64_t k_b = nb == 1 ? b->sizes[0] : b->sizes[nb - 2];
  if (k_a != k_b) {
    if (na <= 2 && nb <= 2) {
      auto dims = [](const TensorObject* t) {
        return ndim(t) == 1 ? str("1x", t->sizes[0]) : str(t->sizes[0], "x", t->sizes[1]);
      };
      fail(ErrorKind::Runtime, "[matmul] mat1 and mat2 shapes cannot be multiplied (", dims(a), " and ",
           nb == 1 ? str(b->sizes[0], "x1") : dims(b), ")");
    }
    fail(ErrorKind::Runtime, "[matmul] shapes ", shape_str(a->sizes), " and ", shape_str(b->sizes),
         " cannot be multiplied (", k_a, " != ", k_b, ")");
  }
  DimVec batch_a, batch_b;
  for (int64_t d = 0; d < na - 2; d++) batch_a.push_back(a->sizes[d]);
  for (int64_t d = 0; d < nb - 2; d++) batch_b.push_back(b->sizes[d]);
  DimVec shape = broadcast_shapes(batch_a, batch_b, "matmul");
  if (na > 1) shape.push_back(a->sizes[na - 2]);
  if (nb > 1) shape.push_back(b->sizes[nb - 1]);
  return shape;
}

// Forward only: NumPy's matmul into a new tensor (no autograd).
TensorRef matmul_values(TensorObject* a, TensorObject* b, DType dtype) {
  TensorRef ac = a->dtype == dtype ? TensorRef::borrow(a) : fngrad::to_dtype(a, dtype);
  TensorRef bc = b->dtype == dtype ? TensorRef::borrow(b) : fngrad::to_dtype(b, dtype);
  DimVec shape = matmul_shape(ac.get(), bc.get());
  TensorRef out = empty(shape, dtype, "matmul");
  if (out->numel == 0) return out;
  if (ac->numel == 0 || bc->numel == 0) {  // a zero-length inner dimension
    fill(out.get(), 0);
    return out;
  }
  matmul_kernel(ac.get(), bc.get(), out.get());
  return out;
}

// A 2-D tensor laid out as the transpose of a contiguous matrix (column-major).
bool is_transposed_matrix(const TensorObject* t) {
  return t->sizes[0] > 1 && t->sizes[1] > 1 && t->strides[0] == 1 && t->strides[1] == t->sizes[0];
}

// The gradients of a @ b (a and b with at least 2 dims, g the gradient of the product), made of
// differentiable ops so that they are recorded under create_graph. A matrix operand that is a
// transposed view (F.linear's weight.t()) gets its gradient in the same layout, computed as the
// transpose of the product taken the other way round: the gradient then reaches the weight,
// through TBackward, contiguous, instead of being copied into that layout element by element
// (PyTorch's mm_mat1_backward/mm_mat2_backward do the same); only 2-D products take that path.
TensorRef product_grad_a(TensorObject* g, TensorObject* b, bool a_transposed, const DimVec& a_sizes) {
  if (a_transposed) return transpose(matmul(b, transpose(g, 0, 1).get()).get(), 0, 1);
  return sum_to(matmul(g, transpose(b, -1, -2).get()).get(), a_sizes);
}

TensorRef product_grad_b(TensorObject* g, TensorObject* a, bool b_transposed, const DimVec& b_sizes) {
  if (b_transposed) return transpose(matmul(transpose(g, 0, 1).get(), a).get(), 0, 1);
  return sum_to(matmul(transpose(a, -1, -2).get(), g).get(), b_sizes);
}

class MatmulBackward : public Node {
 public:
  SavedTensor a, b;
  int64_t a_ndim = 0, b_ndim = 0;
  const char* name_ = "MmBackward0";
  std::string name() const override { return name_; }
  // PyTorch's names for the two operands: mm and bmm (self, mat2), mv (self, vec), dot (self, tensor).
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    v.saved("_saved_self", a);
    const bool mv = a_ndim == 2 && b_ndim == 1, dot = a_ndim == 1 && b_ndim == 1;
    v.saved(dot ? "_saved_tensor" : mv ? "_saved_vec" : "_saved_mat2", b);
  }
  void release_saved() override {
    a.release();
    b.release();
  }
  GradList apply(GradList&& grads) override {
    TensorRef g = std::move(grads[0]);
    TensorRef av = a.unpack(this), bv = b.unpack(this);
    if (av->dtype != g->dtype) av = to_dtype(av.get(), g->dtype);
    if (bv->dtype != g->dtype) bv = to_dtype(bv.get(), g->dtype);
    // Give 1-D operands (and so g) their matrix shape, then the 2-D rules apply.
    TensorRef a2 = a_ndim == 1 ? unsqueeze(av.get(), 0) : av;
    TensorRef b2 = b_ndim == 1 ? unsqueeze(bv.get(), -1) : bv;
    TensorRef g2 = g;
    if (a_ndim == 1) g2 = unsqueeze(g2.get(), b_ndim == 1 ? 0 : -2);
    if (b_ndim == 1) g2 = unsqueeze(g2.get(), -1);
    const bool matrices = a2->sizes.size() == 2 && b2->sizes.size() == 2 && g2->sizes.size() == 2;
    GradList out;
    if (next_edges_[0].is_valid()) {
      TensorRef ga = product_grad_a(g2.get(), b2.get(), matrices && is_transposed_matrix(a2.get()), a2->sizes);
      out.push_back(a_ndim == 1 ? squeeze_dim(ga.get(), 0) : ga);
    } else {
      out.emplace_back();
    }
    if (next_edges_[1].is_valid()) {
      TensorRef gb = product_grad_b(g2.get(), a2.get(), matrices && is_transposed_matrix(b2.get()), b2->sizes);
      out.push_back(b_ndim == 1 ? squeeze_dim(gb.get(), -1) : gb);
    } else {
      out.emplace_back();
    }
    return out;
  }
};

bool is_one(const Scalar& s) { return s.kind == Scalar::Float ? s.d == 1.0 : s.i == 1; }
bool is_zero(const Scalar& s) { return s.kind == Scalar::Float ? s.d == 0.0 : s.i == 0; }

// addmm's node: PyTorch's AddmmBackward0, gradients beta * g (summed to input's shape),
// alpha * g @ mat2^T and alpha * mat1^T @ g. Each matrix is saved only when the other's gradient
// is needed; its shape and layout are kept as plain values.
class AddmmBackward : public Node {
 public:
  SavedTensor mat1, mat2;
  Scalar beta, alpha;
  DimVec input_sizes, mat1_sizes, mat2_sizes;
  bool mat1_transposed = false, mat2_transposed = false;
  std::string name() const override { return "AddmmBackward0"; }
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    v.scalar("_saved_alpha", &alpha);
    v.scalar("_saved_beta", &beta);
    v.saved("_saved_mat1", mat1);
    v.ints("_saved_mat1_sym_sizes", mat1_sizes);
    v.saved("_saved_mat2", mat2);
    v.ints("_saved_mat2_sym_sizes", mat2_sizes);
  }
  void release_saved() override {
    mat1.release();
    mat2.release();
  }
  GradList apply(GradList&& grads) override {
    TensorRef g = std::move(grads[0]);
    GradList out;
    if (next_edges_[0].is_valid()) {
      out.push_back(sum_to(is_one(beta) ? g.get() : mul(g.get(), beta).get(), input_sizes));
    } else {
      out.emplace_back();
    }
    TensorRef ga = is_one(alpha) ? g : mul(g.get(), alpha);
    auto operand = [&](const SavedTensor& s) {
      TensorRef t = s.unpack(this);
      return t->dtype == g->dtype ? t : to_dtype(t.get(), g->dtype);
    };
    if (next_edges_[1].is_valid()) {
      out.push_back(product_grad_a(ga.get(), operand(mat2).get(), mat1_transposed, mat1_sizes));
    } else {
      out.emplace_back();
    }
    if (next_edges_[2].is_valid()) {
      out.push_back(product_grad_b(ga.get(), operand(mat1).get(), mat2_transposed, mat2_sizes));
    } else {
      out.emplace_back();
    }
    return out;
  }
};

// out = alpha * out + beta * input, input broadcast over out's (n, p); beta = 0 ignores input's
// values (NaN included), as PyTorch does.
void scale_add_input(TensorObject* out, TensorObject* input, const Scalar& beta, const Scalar& alpha) {
  const int64_t n = out->sizes[0], p = out->sizes[1], nd = ndim(input);
  // input's strides over out's two dims; 0 where it broadcasts.
  const int64_t s0 = nd == 2 && input->sizes[0] != 1 ? input->strides[0] : 0;
  const int64_t s1 = nd >= 1 && input->sizes[nd - 1] != 1 ? input->strides[nd - 1] : 0;
  const bool plain = is_one(alpha) && is_one(beta);
  const bool drop_input = is_zero(beta);
  dispatch(out->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) {  // bool is refused by addmm
      T* o = data_ptr<T>(out);
      const T* in = data_ptr<T>(input);
      const T a = alpha.to<T>(), b = beta.to<T>();
      for (int64_t i = 0; i < n; i++) {
        T* row = o + i * p;
        const T* irow = in + i * s0;
        if (drop_input) {
          for (int64_t j = 0; j < p; j++) row[j] = a * row[j];
        } else if (plain && s1 == 1) {
          for (int64_t j = 0; j < p; j++) row[j] += irow[j];
        } else if (plain) {
          for (int64_t j = 0; j < p; j++) row[j] += irow[j * s1];
        } else {
          for (int64_t j = 0; j < p; j++) row[j] = a * row[j] + b * irow[j * s1];
        }
      }
    }
  });
}

}  // namespace

TensorRef addmm(TensorObject* input, TensorObject* mat1, TensorObject* mat2, const Scalar& beta, const Scalar& alpha) {
  FNGRAD_CHECK_RUNTIME(ndim(mat1) == 2, "[addmm] mat1 must be a matrix, got ", ndim(mat1), "-D tensor");
  FNGRAD_CHECK_RUNTIME(ndim(mat2) == 2, "[addmm] mat2 must be a matrix, got ", ndim(mat2), "-D tensor");
  FNGRAD_CHECK_RUNTIME(mat1->sizes[1] == mat2->sizes[0], "[addmm] mat1 and mat2 shapes cannot be multiplied (",
                       mat1->sizes[0], "x", mat1->sizes[1], " and ", mat2->sizes[0], "x", mat2->sizes[1], ")");
  FNGRAD_CHECK_RUNTIME(mat1->dtype == mat2->dtype, "[addmm] self and mat2 must have the same dtype, but got ",
                       scalar_type_name(mat1->dtype), " and ", scalar_type_name(mat2->dtype));
  FNGRAD_CHECK_RUNTIME(input->dtype == mat1->dtype, "[addmm] self and mat2 must have the same dtype, but got ",
                       scalar_type_name(input->dtype), " and ", scalar_type_name(mat1->dtype));
  FNGRAD_CHECK_TYPE(input->dtype != DType::Bool, "[addmm] Not implemented for bool tensors.");
  const DimVec shape{mat1->sizes[0], mat2->sizes[1]};
  const int64_t nd = ndim(input);
  FNGRAD_CHECK_RUNTIME(nd <= 2, "[addmm] self must be broadcastable to [", shape[0], ", ", shape[1], "], got ",
                       shape_str(input->sizes));
  for (int64_t d = nd - 1; d >= 0; d--) {  // the last dim first, as PyTorch reports
    const int64_t want = shape[2 - nd + d], have = input->sizes[d];
    FNGRAD_CHECK_RUNTIME(have == want || have == 1, "[addmm] The expanded size of the tensor (", want,
                         ") must match the existing size (", have, ") at non-singleton dimension ", d,
                         ".  Target sizes: [", shape[0], ", ", shape[1], "].  Tensor sizes: ", shape_str(input->sizes));
  }
  if (is_storage_only(input->dtype)) {  // Note [Storage dtypes]
    const DType k = kernel_dtype(input->dtype);
    TensorRef ik = to_dtype(input, k), ak = to_dtype(mat1, k), bk = to_dtype(mat2, k);
    return to_dtype(addmm(ik.get(), ak.get(), bk.get(), beta, alpha).get(), input->dtype);
  }
  TensorRef out = matmul_values(mat1, mat2, input->dtype);
  if (out->numel > 0) scale_add_input(out.get(), input, beta, alpha);
  if (autograd::needs_recording({input, mat1, mat2})) {
    auto* node = autograd::record_node<AddmmBackward>(out.get(), {input, mat1, mat2}, autograd::History::Output);
    node->beta = beta;
    node->alpha = alpha;
    node->input_sizes = input->sizes;
    node->mat1_sizes = mat1->sizes;
    node->mat2_sizes = mat2->sizes;
    node->mat1_transposed = is_transposed_matrix(mat1);
    node->mat2_transposed = is_transposed_matrix(mat2);
    // Each matrix's gradient reads the other one.
    if (autograd::requires_grad(mat2)) node->mat1 = SavedTensor(mat1, false);
    if (autograd::requires_grad(mat1)) node->mat2 = SavedTensor(mat2, false);
  }
  return out;
}

TensorRef matmul(TensorObject* a, TensorObject* b) {
  FNGRAD_CHECK_TYPE(a->dtype != DType::Bool && b->dtype != DType::Bool, "[matmul] Not implemented for bool tensors.");
  if (a->dtype != b->dtype) {  // PyTorch does not promote in matrix products
    if (ndim(a) == 1 && ndim(b) == 1) {
      fail(ErrorKind::Runtime, "[dot] dot : expected both vectors to have same dtype, but found ",
           scalar_type_name(a->dtype), " and ", scalar_type_name(b->dtype));
    }
    fail(ErrorKind::Runtime, "[matmul] expected m1 and m2 to have the same dtype, but got: ", dtype_name(a->dtype),
         " != ", dtype_name(b->dtype));
  }
  DType dtype = promote_types(a->dtype, b->dtype);
  if (is_storage_only(dtype)) {  // Note [Storage dtypes]
    TensorRef ak = to_dtype(a, kernel_dtype(dtype)), bk = to_dtype(b, kernel_dtype(dtype));
    return to_dtype(matmul(ak.get(), bk.get()).get(), dtype);
  }
  TensorRef out = matmul_values(a, b, dtype);
  if (autograd::needs_recording({a, b})) {
    auto* node = autograd::record_node<MatmulBackward>(out.get(), {a, b}, autograd::History::Output);
    node->a_ndim = ndim(a);
    node->b_ndim = ndim(b);
    node->name_ = ndim(a) == 1 && ndim(b) == 1   ? "DotBackward0"
                  : ndim(a) == 2 && ndim(b) == 2 ? "MmBackward0"
                  : ndim(a) == 2 && ndim(b) == 1 ? "MvBackward0"
                                                 : "BmmBackward0";
    // Each side's gradient reads the other side; the 1-D reshaping reads both shapes.
    node->a = SavedTensor(a, false);
    node->b = SavedTensor(b, false);
  }
  return out;
}

TensorRef mm(TensorObject* a, TensorObject* b) {
  FNGRAD_CHECK_RUNTIME(ndim(a) == 2, "[mm] self must be a matrix");
  FNGRAD_CHECK_RUNTIME(ndim(b) == 2, "[mm] mat2 must be a matrix");
  return matmul(a, b);
}

TensorRef bmm(TensorObject* a, TensorObject* b) {
  FNGRAD_CHECK_RUNTIME(ndim(a) == 3, "[bmm] batch1 must be a 3D tensor");
  FNGRAD_CHECK_RUNTIME(ndim(b) == 3, "[bmm] batch2 must be a 3D tensor");
  FNGRAD_CHECK_RUNTIME(a->sizes[0] == b->sizes[0], "[bmm] batch1 and batch2 must have same number of batches, got ",
                       a->sizes[0], " and ", b->sizes[0]);
  return matmul(a, b);
}

TensorRef dot(TensorObject* a, TensorObject* b) {
  FNGRAD_CHECK_RUNTIME(ndim(a) == 1 && ndim(b) == 1, "[dot] 1D tensors expected, but got ", ndim(a), "D and ", ndim(b),
                       "D tensors");
  FNGRAD_CHECK_RUNTIME(a->sizes[0] == b->sizes[0], "[dot] inconsistent tensor size, expected tensor [", a->sizes[0],
                       "] and src [", b->sizes[0], "] to have the same number of elements, but got ", a->sizes[0],
                       " and ", b->sizes[0], " elements respectively");
  return matmul(a, b);
}

TensorRef mv(TensorObject* a, TensorObject* v) {
  FNGRAD_CHECK_RUNTIME(ndim(a) == 2 && ndim(v) == 1, "[mv] vector + matrix @ vector expected, got ", ndim(a), ", ",
                       ndim(v));
  return matmul(a, v);
}

TensorRef outer(TensorObject* a, TensorObject* b) {
  FNGRAD_CHECK_RUNTIME(ndim(a) == 1 && ndim(b) == 1, "[outer] 1D tensors expected, but got ", ndim(a), "D and ",
                       ndim(b), "D tensors");
  return mul(unsqueeze(a, 1).get(), unsqueeze(b, 0).get());
}

}  // namespace ops
}  // namespace fngrad
