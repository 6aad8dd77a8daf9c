// Binary arithmetic (add, sub, mul, div) and comparisons, with NumPy broadcasting, Python
// numbers on either side and PyTorch's type promotion; their backward node, and the in-place
// forms (add_, sub_, mul_, div_, masked_fill_, fill_).
#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "ops/grad_utils.h"
#include "ops/loops.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;
using autograd::SavedTensor;

namespace {

const char* binary_name(BinaryKind k) {
  switch (k) {
    case BinaryKind::Add: return "add";
    case BinaryKind::Sub: return "sub";
    case BinaryKind::Mul: return "mul";
    case BinaryKind::Div: return "div";
  }
  return "?";
}

const char* compare_name(CompareKind k) {
  switch (k) {
    case CompareKind::Lt: return "lt";
    case CompareKind::Le: return "le";
    case CompareKind::Gt: return "gt";
    case CompareKind::Ge: return "ge";
    case CompareKind::Eq: return "eq";
    case CompareKind::Ne: return "ne";
  }
  return "?";
}

int scalar_category(const Scalar& s) { return s.kind == Scalar::Bool ? 0 : s.kind == Scalar::Int ? 1 : 2; }

template <typename T>
struct BinaryFn {
  BinaryKind kind;
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      // Only add and mul reach bool (logical or / and), as in PyTorch.
      return kind == BinaryKind::Add ? (a || b) : (a && b);
    } else {
      switch (kind) {
        case BinaryKind::Add: return a + b;
        case BinaryKind::Sub: return a - b;
        case BinaryKind::Mul: return a * b;
        case BinaryKind::Div: break;
      }
      return a / b;
    }
  }
};

template <typename T>
struct CompareFn {
  CompareKind kind;
  bool operator()(T a, T b) const {
    switch (kind) {
      case CompareKind::Lt: return a < b;
      case CompareKind::Le: return a <= b;
      case CompareKind::Gt: return a > b;
      case CompareKind::Ge: return a >= b;
      case CompareKind::Eq: return a == b;
      case CompareKind::Ne: break;
    }
    return a != b;
  }
};

// The shape of an elementwise op's result.
DimVec result_shape(const Operand& a, const Operand& b, const char* op) {
  if (a.is_tensor() && b.is_tensor()) return broadcast_shapes(a.tensor->sizes, b.tensor->sizes, op);
  return a.is_tensor() ? a.tensor->sizes : b.tensor->sizes;
}

// The operand as a tensor of dtype `dtype`: converted when its dtype differs.
TensorRef operand_as(const Operand& x, DType dtype) {
  if (x.tensor->dtype == dtype) return TensorRef::borrow(x.tensor);
  return fngrad::to_dtype(x.tensor, dtype);
}

// out[i] = f(a[i], b[i]) where either side may be a Python number; a tensor side already has
// dtype T.
template <typename Tout, typename T, typename F>
void run_elementwise(const TensorObject* out, const Operand& a, const TensorRef& at, const Operand& b,
                     const TensorRef& bt, const F& f) {
  if (a.is_tensor() && b.is_tensor()) {
    map_binary<Tout, T, T>(out, at.get(), bt.get(), f);
  } else if (a.is_tensor()) {
    const T bv = b.scalar.to<T>();
    map_unary<Tout, T>(out, at.get(), [&](T v) { return f(v, bv); });
  } else {
    const T av = a.scalar.to<T>();
    map_unary<Tout, T>(out, bt.get(), [&](T v) { return f(av, v); });
  }
}

class BinaryBackward : public Node {
 public:
  BinaryKind kind;
  bool a_tensor = false, b_tensor = false;
  Scalar a_scalar, b_scalar;
  DimVec a_shape, b_shape;
  SavedTensor a_saved, b_saved;  // what the formulas below read

  std::string name() const override {
    switch (kind) {
      case BinaryKind::Add: return "AddBackward0";
      case BinaryKind::Sub: return a_tensor ? "SubBackward0" : "RsubBackward1";
      case BinaryKind::Mul: return "MulBackward0";
      case BinaryKind::Div: break;
    }
    return "DivBackward0";
  }

  void release_saved() override {
    a_saved.release();
    b_saved.release();
  }

  GradList apply(GradList&& grads) override {
    TensorObject* g = grads[0].get();
    GradList out;
    size_t edge = 0;
    if (a_tensor) {
      TensorRef ga;
      if (next_edges_[edge].is_valid()) ga = sum_to(grad_a(g).get(), a_shape);
      out.push_back(std::move(ga));
      edge++;
    }
    if (b_tensor) {
      TensorRef gb;
      if (next_edges_[edge].is_valid()) gb = sum_to(grad_b(g).get(), b_shape);
      out.push_back(std::move(gb));
    }
    return out;
  }

 private:
  Operand other_of_a() {
    if (b_tensor) return Operand(b_saved.unpack(this));
    return Operand(b_scalar);
  }

  TensorRef grad_a(TensorObject* g) {
    switch (kind) {
      case BinaryKind::Add:
      case BinaryKind::Sub: return TensorRef::borrow(g);
      case BinaryKind::Mul: {
        if (b_tensor) return mul(g, b_saved.unpack(this));
        return mul(g, b_scalar);
      }
      case BinaryKind::Div: break;
    }
    if (b_tensor) return div(g, b_saved.unpack(this));
    return div(g, b_scalar);
  }

  TensorRef grad_b(TensorObject* g) {
    switch (kind) {
      case BinaryKind::Add: return TensorRef::borrow(g);
      case BinaryKind::Sub: return neg(g);
      case BinaryKind::Mul: {
        if (a_tensor) return mul(g, a_saved.unpack(this));
        return mul(g, a_scalar);
      }
      case BinaryKind::Div: break;
    }
    // d(a/b)/db = -a / b^2
    TensorRef b = b_saved.unpack(this);
    TensorRef num = a_tensor ? mul(g, a_saved.unpack(this)) : mul(g, a_scalar);
    return neg(div(div(num, b), b).get());
  }
};

// Records the backward of a binary op whose result is `out` (or, in place, the new history of
// self). self_before is the value of `a` before an in-place op overwrote it.
void record_binary(BinaryKind kind, const Operand& a, const Operand& b, TensorObject* out, bool inplace,
                   TensorObject* a_before) {
  auto* node = new BinaryBackward();
  NodeRef keep(node);
  node->kind = kind;
  node->a_tensor = a.is_tensor();
  node->b_tensor = b.is_tensor();
  if (a.is_tensor()) {
    node->a_shape = a.tensor->sizes;
    node->next_edges().push_back(autograd::gradient_edge(a.tensor));
  } else {
    node->a_scalar = a.scalar;
  }
  if (b.is_tensor()) {
    node->b_shape = b.tensor->sizes;
    node->next_edges().push_back(autograd::gradient_edge(b.tensor));
  } else {
    node->b_scalar = b.scalar;
  }
  bool a_needs = a.is_tensor() && autograd::requires_grad(a.tensor);
  bool b_needs = b.is_tensor() && autograd::requires_grad(b.tensor);
  if (inplace) {
    autograd::rebase_history(out, node);
  } else {
    autograd::set_history(out, node);
  }
  if (kind == BinaryKind::Mul) {
    if (a_needs && b.is_tensor()) node->b_saved = SavedTensor(b.tensor, b.tensor == out);
    if (b_needs && a.is_tensor()) node->a_saved = SavedTensor(a_before, a_before == out);
  } else if (kind == BinaryKind::Div) {
    if (b.is_tensor()) node->b_saved = SavedTensor(b.tensor, b.tensor == out);
    if (b_needs && a.is_tensor()) node->a_saved = SavedTensor(a_before, a_before == out);
  }
  autograd::record_creation_site(node);
}

}  // namespace

DType default_dtype_for(const Scalar& s) {
  switch (s.kind) {
    case Scalar::Bool: return DType::Bool;
    case Scalar::Int: return DType::Int64;
    case Scalar::Float: break;
  }
  return DType::Float32;
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
  const Operand& t = a.is_tensor() ? a : b;
  const Operand& s = a.is_tensor() ? b : a;
  if (scalar_category(s.scalar) > dtype_category(t.tensor->dtype)) return default_dtype_for(s.scalar);
  return t.tensor->dtype;
}

TensorRef binary(BinaryKind kind, const Operand& a, const Operand& b) {
  const char* op = binary_name(kind);
  DType dtype = result_type(a, b);
  if (kind == BinaryKind::Div && !is_floating(dtype)) dtype = DType::Float32;
  if (kind == BinaryKind::Sub && dtype == DType::Bool) {
    fail(ErrorKind::Runtime, "[sub] Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                             "`^` or `logical_xor()` operator instead.");
  }
  DimVec shape = result_shape(a, b, op);
  TensorRef at = a.is_tensor() ? operand_as(a, dtype) : TensorRef();
  TensorRef bt = b.is_tensor() ? operand_as(b, dtype) : TensorRef();
  TensorRef out = empty(shape, dtype, op);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    run_elementwise<T, T>(out.get(), a, at, b, bt, BinaryFn<T>{kind});
  });
  bool needs = (a.is_tensor() && autograd::requires_grad(a.tensor)) || (b.is_tensor() && autograd::requires_grad(b.tensor));
  if (needs && GradMode::is_enabled()) {
    FNGRAD_CHECK_RUNTIME(is_floating(dtype), "[", op, "] Only floating point results can require gradients, got ",
                         dtype_name(dtype), ".");
    record_binary(kind, a, b, out.get(), false, a.tensor);
  }
  return out;
}

TensorRef compare(CompareKind kind, const Operand& a, const Operand& b) {
  const char* op = compare_name(kind);
  DType dtype = result_type(a, b);
  DimVec shape = result_shape(a, b, op);
  TensorRef at = a.is_tensor() ? operand_as(a, dtype) : TensorRef();
  TensorRef bt = b.is_tensor() ? operand_as(b, dtype) : TensorRef();
  TensorRef out = empty(shape, DType::Bool, op);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    run_elementwise<bool, T>(out.get(), a, at, b, bt, CompareFn<T>{kind});
  });
  return out;
}

void check_inplace(TensorObject* t, const char* op) {
  if (t->is_inference && !InferenceMode::is_enabled()) {
    fail(ErrorKind::Runtime, "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
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
  if (t->grad_fn == nullptr && t->requires_grad) {
    fail(ErrorKind::Runtime, "a leaf Variable that requires grad is being used in an in-place operation.");
  }
  if (t->base != nullptr && t->base->grad_fn == nullptr && t->base->requires_grad) {
    fail(ErrorKind::Runtime, "a view of a leaf Variable that requires grad is being used in an in-place operation.");
  }
  if (t->base != nullptr && autograd::requires_grad(t->base)) {
    fail(ErrorKind::NotImplemented, "[", op, "] In-place modification of a view of a tensor that requires grad is "
                                    "not supported yet; modify a clone instead.");
  }
}

void binary_(BinaryKind kind, TensorObject* self, const Operand& other) {
  const char* op = binary_name(kind);
  check_inplace(self, op);
  DType rt = result_type(Operand(self), other);
  if (kind == BinaryKind::Div && !is_floating(rt)) rt = DType::Float32;
  FNGRAD_CHECK_RUNTIME(dtype_category(rt) <= dtype_category(self->dtype), "[", op, "_] result type ", dtype_name(rt),
                       " can't be cast to the desired output type ", dtype_name(self->dtype), ".");
  if (other.is_tensor()) {
    DimVec shape = broadcast_shapes(self->sizes, other.tensor->sizes, op);
    FNGRAD_CHECK_RUNTIME(shape == self->sizes, "[", op, "_] Output with shape ", shape_str(self->sizes),
                         " doesn't match the broadcast shape ", shape_str(shape), ".");
  }
  bool needs = autograd::requires_grad(self) || (other.is_tensor() && autograd::requires_grad(other.tensor));
  bool record = needs && GradMode::is_enabled();
  // Mul and div need the old value of self for the other operand's gradient.
  TensorRef before;
  if (record && other.is_tensor() && autograd::requires_grad(other.tensor) &&
      (kind == BinaryKind::Mul || kind == BinaryKind::Div)) {
    before = contiguous_copy(self);
  }
  DType dtype = self->dtype;
  TensorRef ot = other.is_tensor() ? operand_as(other, dtype) : TensorRef();
  TensorRef st = TensorRef::borrow(self);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    run_elementwise<T, T>(self, Operand(self), st, other, ot, BinaryFn<T>{kind});
  });
  bump_version(self);
  if (record) {
    FNGRAD_CHECK_RUNTIME(is_floating(dtype), "[", op, "_] Only floating point results can require gradients.");
    record_binary(kind, Operand(self), other, self, true, before ? before.get() : self);
  }
}

void fill_(TensorObject* self, const Scalar& value) {
  check_inplace(self, "fill_");
  dispatch(self->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    fngrad::fill(self, static_cast<double>(value.to<T>()));
  });
  bump_version(self);
  if (GradMode::is_enabled() && autograd::requires_grad(self)) {
    // The result no longer depends on the old values: its history starts here.
    Node* old = self->grad_fn;
    self->grad_fn = nullptr;
    if (old != nullptr) autograd::node_decref(old);
  }
}

TensorRef scalar_tensor(const Scalar& s, DType dtype) {
  TensorRef t = empty(DimVec(), dtype);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    *data_ptr<T>(t.get()) = s.to<T>();
  });
  return t;
}

}  // namespace ops
}  // namespace fngrad
