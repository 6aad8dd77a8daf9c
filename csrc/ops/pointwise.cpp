// The elementwise ops outside the binary table: comparisons, logical and bitwise ops (not
// differentiable), where(), fill_ and copy_, PyTorch's type promotion with Python numbers, and
// the checks every in-place op makes.
#include <cmath>

#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "core/loops.h"
#include "ops/elementwise.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;
using autograd::SavedTensor;

namespace {

// Calls f(std::integral_constant<CompareKind, K>) for the runtime kind k: the kernels below
// then branch on K at compile time, so that their loops vectorise.
template <typename F> decltype(auto) with_compare(CompareKind k, F&& f) {
  using CK = CompareKind;
  switch (k) {
    case CK::Lt:
      return f(std::integral_constant<CK, CK::Lt>{});
    case CK::Le:
      return f(std::integral_constant<CK, CK::Le>{});
    case CK::Gt:
      return f(std::integral_constant<CK, CK::Gt>{});
    case CK::Ge:
      return f(std::integral_constant<CK, CK::Ge>{});
    case CK::Eq:
      return f(std::integral_constant<CK, CK::Eq>{});
    case CK::Ne:
      break;
  }
  return f(std::integral_constant<CK, CK::Ne>{});
}

const char* compare_name(CompareKind k) {
  switch (k) {
    case CompareKind::Lt:
      return "lt";
    case CompareKind::Le:
      return "le";
    case CompareKind::Gt:
      return "gt";
    case CompareKind::Ge:
      return "ge";
    case CompareKind::Eq:
      return "eq";
    case CompareKind::Ne:
      return "ne";
  }
  return "?";
}

template <typename T> inline bool compare_values(CompareKind k, T a, T b) {
  switch (k) {
    case CompareKind::Lt:
      return a < b;
    case CompareKind::Le:
      return a <= b;
    case CompareKind::Gt:
      return a > b;
    case CompareKind::Ge:
      return a >= b;
    case CompareKind::Eq:
      return a == b;
    case CompareKind::Ne:
      break;
  }
  return a != b;
}

}  // namespace

namespace {
DType g_default_float_dtype = DType::Float32;
}

DType default_float_dtype() { return g_default_float_dtype; }
void set_default_float_dtype(DType dtype) { g_default_float_dtype = dtype; }

DType default_dtype_for(const Scalar& s) {
  switch (s.kind) {
    case Scalar::Bool:
      return DType::Bool;
    case Scalar::Int:
      return DType::Int64;
    case Scalar::Float:
      break;
  }
  return default_float_dtype();
}

DType result_type(const Operand& a, const Operand& b) {
  if (a.is_tensor() && b.is_tensor()) {
    bool a_dim = !a.tensor->sizes.empty(), b_dim = !b.tensor->sizes.empty();
    DType da = a.tensor->dtype, db = b.tensor->dtype;
    if (a_dim == b_dim) return promote_types(da, db);
    // A zero-dim tensor only raises the result when it is of a higher category.
    DType dimmed = a_dim ? da : db, zero = a_dim ? db : da;
    return dtype_category(zero) > dtype_category(dimmed) ? zero : dimmed;
  }
  if (!a.is_tensor() && !b.is_tensor()) {
    return promote_types(default_dtype_for(a.scalar), default_dtype_for(b.scalar));
  }
  const Operand& t = a.is_tensor() ? a : b;
  const Operand& s = a.is_tensor() ? b : a;
  if (scalar_category(s.scalar) > dtype_category(t.tensor->dtype)) return default_dtype_for(s.scalar);
  return t.tensor->dtype;
}

TensorRef compare(CompareKind kind, const Operand& a, const Operand& b) {
  const char* op = compare_name(kind);
  DType dtype = kernel_dtype(result_type(a, b));  // exact for every storage dtype
  DimVec shape = result_shape(a, b, op);
  TensorRef at = a.is_tensor() ? operand_as(a, dtype) : TensorRef();
  TensorRef bt = b.is_tensor() ? operand_as(b, dtype) : TensorRef();
  TensorRef out = empty(shape, DType::Bool, op);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    with_compare(kind, [&](auto k) {
      run_elementwise<bool, T>(out.get(), a, at, b, bt,
                               [](T x, T y) { return compare_values(decltype(k)::value, x, y); });
    });
  });
  return out;
}

TensorRef logical(LogicalKind kind, const Operand& a, const Operand& b, bool bitwise) {
  static const char* const logical_names[] = {"logical_and", "logical_or", "logical_xor"};
  static const char* const bitwise_names[] = {"bitwise_and", "bitwise_or", "bitwise_xor"};
  const char* op = (bitwise ? bitwise_names : logical_names)[static_cast<int>(kind)];
  DType dtype = result_type(a, b);
  DimVec shape = result_shape(a, b, op);
  if (bitwise) {
    if (is_floating(dtype)) {
      fail(ErrorKind::NotImplemented, "[", op, "] \"", op, "_cpu\" not implemented for '", scalar_type_name(dtype),
           "'");
    }
  } else {
    dtype = DType::Bool;
  }
  const DType kdtype = kernel_dtype(dtype);  // Note [Storage dtypes]
  TensorRef at = a.is_tensor() ? operand_as(a, kdtype) : TensorRef();
  TensorRef bt = b.is_tensor() ? operand_as(b, kdtype) : TensorRef();
  TensorRef out = empty(shape, kdtype, op);
  dispatch(kdtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {
      run_elementwise<T, T>(out.get(), a, at, b, bt, [kind](T x, T y) -> T {
        switch (kind) {
          case LogicalKind::And:
            return x & y;
          case LogicalKind::Or:
            return x | y;
          case LogicalKind::Xor:
            break;
        }
        return x ^ y;
      });
    }
  });
  if (kdtype != dtype) out = fngrad::to_dtype(out.get(), dtype);
  return out;
}

TensorRef logical_not(TensorObject* x, bool bitwise) {
  if (bitwise && is_integral(x->dtype)) {
    TensorRef xk = x->dtype == DType::Int64 ? TensorRef::borrow(x) : fngrad::to_dtype(x, DType::Int64);
    TensorRef out = empty(x->sizes, DType::Int64, "bitwise_not");
    map_unary<int64_t, int64_t>(out.get(), xk.get(), [](int64_t v) { return ~v; });
    return x->dtype == DType::Int64 ? out : fngrad::to_dtype(out.get(), x->dtype);
  }
  // `~` is the only spelling: PyTorch's operator raises a TypeError here (bitwise_not() would not).
  FNGRAD_CHECK_TYPE(!bitwise || x->dtype == DType::Bool,
                    "[bitwise_not] ~ (operator.invert) is only implemented on integer and Boolean-type tensors");
  TensorRef b = fngrad::to_dtype(x, DType::Bool);
  TensorRef out = empty(x->sizes, DType::Bool, "logical_not");
  map_unary<bool, bool>(out.get(), b.get(), [](bool v) { return !v; });
  return out;
}

bool has_internal_overlap(const TensorObject* t) {
  // An empty tensor has no element to write twice, whatever its strides say.
  for (int64_t size : t->sizes)
    if (size == 0) return false;
  for (size_t d = 0; d < t->sizes.size(); d++)
    if (t->strides[d] == 0 && t->sizes[d] > 1) return true;
  return false;
}

void fail_internal_overlap(const char* op) {
  fail(ErrorKind::Runtime, "[", op,
       "] unsupported operation: more than one element of the written-to tensor refers to "
       "a single memory location. Please clone() the tensor before performing the operation.");
}

void check_inplace(TensorObject* t, const char* op) {
  if (t->is_inference && !InferenceMode::is_enabled()) {
    fail(ErrorKind::Runtime,
         "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
         "clone to get a normal tensor before doing inplace update.See "
         "https://github.com/pytorch/rfcs/pull/17 for more details.");
  }
  if (!GradMode::is_enabled()) return;
  if (t->custom_fn_view && t->grad_fn != nullptr) {
    fail(ErrorKind::Runtime, "Output ", t->output_nr, " of ", t->grad_fn->name(),
         " is a view and is being modified inplace. This view was created inside a custom Function (or because an "
         "input was returned as-is) and the autograd logic to handle view+inplace would override the custom backward "
         "associated with the custom Function, leading to incorrect gradients. This behavior is forbidden. You can fix "
         "this by cloning the output of the custom Function.");
  }
  if (t->multi_output_view && t->grad_fn != nullptr) {  // Note [Multi-output views] (views.cpp)
    fail(ErrorKind::Runtime, "Output ", t->output_nr, " of ", forward_op_name(t->grad_fn),
         " is a view and is being modified inplace. ", kMultiOutputViewAdvice);
  }
  if (t->grad_fn == nullptr && t->requires_grad) {
    fail(ErrorKind::Runtime, "a leaf Variable that requires grad is being used in an in-place operation.");
  }
  if (t->base != nullptr && t->base->grad_fn == nullptr && t->base->requires_grad) {
    fail(ErrorKind::Runtime, "a view of a leaf Variable that requires grad is being used in an in-place operation.");
  }
  if (t->base != nullptr && autograd::requires_grad(t->base) && !autograd::requires_grad(t)) {
    fail(ErrorKind::Runtime, "[", op,
         "] A view was created in no_grad mode and is being modified inplace with grad mode "
         "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can "
         "clarify your code by moving both the view and the inplace either both inside the no_grad "
         "block (if you don't want the inplace to be tracked) or both outside (if you want the "
         "inplace to be tracked).");
  }
}

namespace {
// The result of fill_ no longer depends on the old values: its gradient is zero.
class FillBackward : public Node {
 public:
  std::string name() const override { return "FillBackward0"; }
  GradList apply(GradList&& grads) override {
    GradList out;
    out.push_back(mul(grads[0].get(), Scalar::of_double(0)));
    return out;
  }
};
}  // namespace

void fill_(TensorObject* self, const Scalar& value) {
  check_inplace(self, "fill_");
  if (autograd::needs_recording({self}) && view_needs_functionalize(self)) {
    TensorRef filled = full(self->sizes, self->dtype, value.to<double>());
    write_through_view(self, filled.get());
    return;
  }
  dispatch(kernel_dtype(self->dtype), [&](auto tag) {
    using T = typename decltype(tag)::type;
    fngrad::fill(self, static_cast<double>(value.to<T>()));
  });
  bump_version(self);
  if (autograd::needs_recording({self})) {
    autograd::record_node<FillBackward>(self, {self}, autograd::History::InPlace);
  }
}

namespace {
// copy_ overwrites self: no gradient reaches self's old value; src gets the gradient summed down
// to its shape and converted to its dtype.
class CopyBackward : public Node {
 public:
  DimVec src_shape;
  DType src_dtype = DType::Float32;
  bool self_edge = false;
  std::string name() const override { return "CopyBackwards"; }
  GradList apply(GradList&& grads) override {
    TensorObject* g = grads[0].get();
    GradList out;
    out.push_back(next_edges_[0].is_valid() ? mul(g, Scalar::of_double(0)) : TensorRef());
    if (next_edges_[1].is_valid()) {
      TensorRef gs = sum_to(g, src_shape);
      out.push_back(gs->dtype == src_dtype ? gs : to_dtype(gs.get(), src_dtype));
    } else {
      out.emplace_back();
    }
    return out;
  }
};
}  // namespace

void copy_(TensorObject* self, TensorObject* src) {
  DimVec shape = broadcast_shapes(self->sizes, src->sizes, "copy_");
  FNGRAD_CHECK_RUNTIME(shape == self->sizes, "[copy_] The size of the source ", shape_str(src->sizes),
                       " does not broadcast to the destination ", shape_str(self->sizes), ".");
  check_inplace(self, "copy_");
  check_no_internal_overlap(self, "copy_");
  bool recording = autograd::needs_recording({self, src});
  if (recording && view_needs_functionalize(self)) {
    TensorRef value = to_dtype(expand(src, self->sizes).get(), self->dtype);
    write_through_view(self, value.get());
    return;
  }
  fngrad::copy_into(self, src);
  bump_version(self);
  if (recording) {
    FNGRAD_CHECK_RUNTIME(is_floating(self->dtype), "[copy_] Only floating point tensors can require gradients.");
    auto* node = autograd::record_node<CopyBackward>(self, {self, src}, autograd::History::InPlace);
    node->src_shape = src->sizes;
    node->src_dtype = src->dtype;
  }
}

TensorRef scalar_tensor(const Scalar& s, DType dtype) {
  if (is_storage_only(dtype)) return fngrad::to_dtype(scalar_tensor(s, kernel_dtype(dtype)).get(), dtype);
  TensorRef t = empty(DimVec(), dtype);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    *data_ptr<T>(t.get()) = s.to<T>();
  });
  return t;
}

}  // namespace ops
}  // namespace fngrad
