// The binary op table (add, sub, mul, div, pow, maximum, minimum) with NumPy broadcasting,
// Python numbers on either side and PyTorch's type promotion; comparisons, logical and bitwise
// ops (not differentiable); where(); and the in-place forms.
//
// Each differentiable op declares, in the functions right below, its scalar forward, its fused
// gradient for each side (computed in one loop over the broadcast shape, then summed down to the
// operand's shape) and the same gradients built from differentiable ops for create_graph.
#include <cmath>

#include "autograd/grad_utils.h"
#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "core/loops.h"
#include "ops/ops.h"
#include "ops/unary_ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;
using autograd::SavedTensor;

namespace {

// ---- the table ----

const char* binary_name(BinaryKind k) {
  switch (k) {
    case BinaryKind::Add: return "add";
    case BinaryKind::Sub: return "sub";
    case BinaryKind::Mul: return "mul";
    case BinaryKind::Div: return "div";
    case BinaryKind::Pow: return "pow";
    case BinaryKind::Maximum: return "maximum";
    case BinaryKind::Minimum: return "minimum";
  }
  return "?";
}

const char* binary_backward_name(BinaryKind k, bool a_is_tensor) {
  switch (k) {
    case BinaryKind::Add: return "AddBackward0";
    case BinaryKind::Sub: return a_is_tensor ? "SubBackward0" : "RsubBackward1";
    case BinaryKind::Mul: return "MulBackward0";
    case BinaryKind::Div: return "DivBackward0";
    case BinaryKind::Pow: return a_is_tensor ? "PowBackward1" : "PowBackward2";
    case BinaryKind::Maximum: return "MaximumBackward0";
    case BinaryKind::Minimum: return "MinimumBackward0";
  }
  return "?";
}

template <typename T>
T int_pow(T base, T e) {
  if (e < 0) return base == 1 ? 1 : (base == -1 ? ((e & 1) ? -1 : 1) : 0);
  T result = 1;
  for (; e > 0; e >>= 1) {
    if (e & 1) result *= base;
    base *= base;
  }
  return result;
}

// Calls f(std::integral_constant<BinaryKind, K>) for the runtime kind k: the kernels below
// then branch on K at compile time, so that their loops vectorise.
template <typename F>
decltype(auto) with_kind(BinaryKind k, F&& f) {
  using BK = BinaryKind;
  switch (k) {
    case BK::Add: return f(std::integral_constant<BK, BK::Add>{});
    case BK::Sub: return f(std::integral_constant<BK, BK::Sub>{});
    case BK::Mul: return f(std::integral_constant<BK, BK::Mul>{});
    case BK::Div: return f(std::integral_constant<BK, BK::Div>{});
    case BK::Pow: return f(std::integral_constant<BK, BK::Pow>{});
    case BK::Maximum: return f(std::integral_constant<BK, BK::Maximum>{});
    case BK::Minimum: break;
  }
  return f(std::integral_constant<BK, BK::Minimum>{});
}

template <typename F>
decltype(auto) with_compare(CompareKind k, F&& f) {
  using CK = CompareKind;
  switch (k) {
    case CK::Lt: return f(std::integral_constant<CK, CK::Lt>{});
    case CK::Le: return f(std::integral_constant<CK, CK::Le>{});
    case CK::Gt: return f(std::integral_constant<CK, CK::Gt>{});
    case CK::Ge: return f(std::integral_constant<CK, CK::Ge>{});
    case CK::Eq: return f(std::integral_constant<CK, CK::Eq>{});
    case CK::Ne: break;
  }
  return f(std::integral_constant<CK, CK::Ne>{});
}

template <typename T>
inline T forward(BinaryKind k, T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    switch (k) {
      case BinaryKind::Add:
      case BinaryKind::Maximum: return a || b;  // logical or, as in PyTorch
      default: return a && b;
    }
  } else {
    switch (k) {
      case BinaryKind::Add: return a + b;
      case BinaryKind::Sub: return a - b;
      case BinaryKind::Mul: return a * b;
      case BinaryKind::Div: return a / b;
      case BinaryKind::Pow:
        if constexpr (std::is_integral_v<T>) return int_pow(a, b);
        else return std::pow(a, b);
      // NaN propagates through maximum and minimum, as in PyTorch (unlike std::max).
      case BinaryKind::Maximum: return (a != a || a > b) ? a : b;
      case BinaryKind::Minimum: break;
    }
    return (a != a || a < b) ? a : b;
  }
}

// d(out)/d(a) * g and d(out)/d(b) * g, as one loop each.
template <typename T>
inline T fused_grad_a(BinaryKind k, T a, T b, T, T g) {
  switch (k) {
    case BinaryKind::Add:
    case BinaryKind::Sub: return g;
    case BinaryKind::Mul: return g * b;
    case BinaryKind::Div: return g / b;
    case BinaryKind::Pow: return b == T(0) ? T(0) : g * b * std::pow(a, b - T(1));
    // PyTorch's formulas: where(a == b, g / 2, g).masked_fill_(a < b, 0) for maximum. Both sides
    // get the whole gradient where a comparison is false both ways (a NaN on either side).
    case BinaryKind::Maximum: return a < b ? T(0) : a == b ? g / T(2) : g;
    case BinaryKind::Minimum: break;
  }
  return a > b ? T(0) : a == b ? g / T(2) : g;
}

template <typename T>
inline T fused_grad_b(BinaryKind k, T a, T b, T y, T g) {
  switch (k) {
    case BinaryKind::Add: return g;
    case BinaryKind::Sub: return -g;
    case BinaryKind::Mul: return g * a;
    case BinaryKind::Div: return -g * a / (b * b);
    // PyTorch's convention: no gradient where a == 0 and b >= 0 (log(0) would give NaN).
    case BinaryKind::Pow: return (a == T(0) && b >= T(0)) ? T(0) : g * y * std::log(a);
    case BinaryKind::Maximum: return b < a ? T(0) : a == b ? g / T(2) : g;
    case BinaryKind::Minimum: break;
  }
  return b > a ? T(0) : a == b ? g / T(2) : g;
}

// Where maximum/minimum pass the gradient to one side (a constant): 0 where it loses, 0.5 on
// ties, else 1 (also where a NaN makes both comparisons false, as in PyTorch).
TensorRef selection_weight(BinaryKind k, TensorObject* mine, TensorObject* other, DType dtype) {
  CompareKind lose = k == BinaryKind::Maximum ? CompareKind::Lt : CompareKind::Gt;
  TensorRef kept = to_dtype(logical_not(compare(lose, mine, other).get(), false).get(), dtype);
  TensorRef tie = to_dtype(compare(CompareKind::Eq, mine, other).get(), dtype);
  return sub(kept, mul(tie, Scalar::of_double(0.5)));
}

TensorRef graph_grad_a(BinaryKind k, TensorObject* a, TensorObject* b, TensorObject*, TensorObject* g) {
  switch (k) {
    case BinaryKind::Add:
    case BinaryKind::Sub: return TensorRef::borrow(g);
    case BinaryKind::Mul: return mul(g, b);
    case BinaryKind::Div: return div(g, b);
    case BinaryKind::Pow: {
      TensorRef nonzero = to_dtype(compare(CompareKind::Ne, b, Scalar::of_double(0)).get(), g->dtype);
      return mul(mul(g, mul(b, pow(a, sub(b, Scalar::of_double(1))).get()).get()), nonzero);
    }
    case BinaryKind::Maximum:
    case BinaryKind::Minimum: break;
  }
  return mul(g, selection_weight(k, a, b, g->dtype).get());
}

TensorRef graph_grad_b(BinaryKind k, TensorObject* a, TensorObject* b, TensorObject* y, TensorObject* g) {
  switch (k) {
    case BinaryKind::Add: return TensorRef::borrow(g);
    case BinaryKind::Sub: return neg(g);
    case BinaryKind::Mul: return mul(g, a);
    case BinaryKind::Div: return neg(div(mul(g, a).get(), mul(b, b).get()).get());
    case BinaryKind::Pow: {
      TensorRef zero_base = compare(CompareKind::Eq, a, Scalar::of_double(0));
      TensorRef keep = to_dtype(compare(CompareKind::Eq, zero_base.get(), Scalar::of_bool(false)).get(), g->dtype);
      // log(a) where a == 0 is -inf; those entries are zeroed by `keep` after replacing them with 1.
      TensorRef safe_a = add(a, to_dtype(zero_base.get(), a->dtype));
      return mul(mul(g, mul(y, apply_Log(safe_a.get()).get()).get()), keep);
    }
    case BinaryKind::Maximum:
    case BinaryKind::Minimum: break;
  }
  return mul(g, selection_weight(k, b, a, g->dtype).get());
}

// What each side's gradient reads.
bool grad_a_reads_b(BinaryKind k) { return k != BinaryKind::Add && k != BinaryKind::Sub; }
bool grad_a_reads_a(BinaryKind k) { return k == BinaryKind::Pow || k == BinaryKind::Maximum || k == BinaryKind::Minimum; }
bool grad_b_reads_a(BinaryKind k) { return k != BinaryKind::Add && k != BinaryKind::Sub; }
bool grad_b_reads_b(BinaryKind k) {
  return k == BinaryKind::Div || k == BinaryKind::Maximum || k == BinaryKind::Minimum;
}
bool grad_b_reads_output(BinaryKind k) { return k == BinaryKind::Pow; }

// ---- machinery ----

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
inline bool compare_values(CompareKind k, T a, T b) {
  switch (k) {
    case CompareKind::Lt: return a < b;
    case CompareKind::Le: return a <= b;
    case CompareKind::Gt: return a > b;
    case CompareKind::Ge: return a >= b;
    case CompareKind::Eq: return a == b;
    case CompareKind::Ne: break;
  }
  return a != b;
}

DimVec result_shape(const Operand& a, const Operand& b, const char* op) {
  if (a.is_tensor() && b.is_tensor()) return broadcast_shapes(a.tensor->sizes, b.tensor->sizes, op);
  return a.is_tensor() ? a.tensor->sizes : b.tensor->sizes;
}

TensorRef operand_as(const Operand& x, DType dtype) {
  if (x.tensor->dtype == dtype) return TensorRef::borrow(x.tensor);
  return fngrad::to_dtype(x.tensor, dtype);
}

// out[i] = f(a[i], b[i]) where either side may be a Python number; a tensor side has dtype T.
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
  Scalar scalar;  // the Python-number side, if any
  SavedTensor a_saved, b_saved, y_saved;
  // The gradients are computed over the broadcast shape; the engine sums each down to its
  // operand's shape (validate_outputs), so the operand shapes need not be kept here.

  std::string name() const override { return binary_backward_name(kind, a_tensor); }

  void release_saved() override {
    a_saved.release();
    b_saved.release();
    y_saved.release();
  }

  GradList apply(GradList&& grads) override {
    TensorRef g = std::move(grads[0]);
    const bool need_a = a_tensor && next_edges_[0].is_valid();
    const bool need_b = b_tensor && next_edges_[a_tensor ? 1 : 0].is_valid();
    // Operands as tensors of the gradient's dtype (a Python number becomes a 0-d tensor).
    TensorRef a = side(a_tensor, a_saved, scalar, g->dtype, (need_a && grad_a_reads_a(kind)) || (need_b && grad_b_reads_a(kind)));
    TensorRef b = side(b_tensor, b_saved, scalar, g->dtype, (need_a && grad_a_reads_b(kind)) || (need_b && grad_b_reads_b(kind)));
    TensorRef y = need_b && grad_b_reads_output(kind) ? y_saved.unpack(this) : TensorRef();
    GradList out;
    if (a_tensor) out.push_back(need_a ? grad(true, a, b, y, g) : TensorRef());
    if (b_tensor) out.push_back(need_b ? grad(false, a, b, y, g) : TensorRef());
    return out;
  }

 private:
  TensorRef side(bool is_tensor, const SavedTensor& saved, const Scalar& s, DType dtype, bool needed) {
    if (!needed) return TensorRef();
    TensorRef t = is_tensor ? saved.unpack(this) : scalar_tensor(s, dtype);
    if (t->dtype != dtype) t = ops::to_dtype(t.get(), dtype);
    return t;
  }

  TensorRef grad(bool for_a, const TensorRef& a, const TensorRef& b, const TensorRef& y, const TensorRef& g) {
    if (kind == BinaryKind::Add || (kind == BinaryKind::Sub && for_a)) return g;
    if (GradMode::is_enabled()) {
      return for_a ? graph_grad_a(kind, a.get(), b.get(), y.get(), g.get())
                   : graph_grad_b(kind, a.get(), b.get(), y.get(), g.get());
    }
    if (kind == BinaryKind::Sub) return neg(g.get());
    // One fused loop over the broadcast shape of every operand the formula reads.
    DimVec shape = g->sizes;
    for (const TensorRef* t : {&a, &b, &y})
      if (*t) shape = broadcast_shapes(shape, (*t)->sizes, binary_name(kind));
    TensorRef zero = scalar_tensor(Scalar::of_double(0), g->dtype);
    const TensorObject* ins[4] = {a ? a.get() : zero.get(), b ? b.get() : zero.get(), y ? y.get() : zero.get(), g.get()};
    TensorRef r = empty(shape, g->dtype);
    dispatch_floating(g->dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      std::array<const TensorObject*, 4> arr{ins[0], ins[1], ins[2], ins[3]};
      with_kind(kind, [&](auto k) {
        constexpr BinaryKind K = decltype(k)::value;
        if (for_a) {
          map_nary<T, T, 4>(r.get(), arr, [](T av, T bv, T yv, T gv) { return fused_grad_a(K, av, bv, yv, gv); });
        } else {
          map_nary<T, T, 4>(r.get(), arr, [](T av, T bv, T yv, T gv) { return fused_grad_b(K, av, bv, yv, gv); });
        }
      });
    });
    return r;
  }
};

// Records the backward of a binary op whose result is `out` (or, in place, the new history of
// self). a_before is the value of `a` before an in-place op overwrote it.
void record_binary(BinaryKind kind, const Operand& a, const Operand& b, TensorObject* out, bool inplace,
                   TensorObject* a_before) {
  auto* node = new BinaryBackward();
  NodeRef keep(node);
  node->kind = kind;
  node->a_tensor = a.is_tensor();
  node->b_tensor = b.is_tensor();
  bool a_needs = a.is_tensor() && autograd::requires_grad(a.tensor);
  bool b_needs = b.is_tensor() && autograd::requires_grad(b.tensor);
  if (a.is_tensor()) {
    node->next_edges().push_back(autograd::gradient_edge(a.tensor));
  } else {
    node->scalar = a.scalar;
  }
  if (b.is_tensor()) {
    node->next_edges().push_back(autograd::gradient_edge(b.tensor));
  } else {
    node->scalar = b.scalar;
  }
  if (inplace) {
    autograd::rebase_history(out, node);
  } else {
    autograd::set_history(out, node);
  }
  bool save_a = a.is_tensor() && ((a_needs && grad_a_reads_a(kind)) || (b_needs && grad_b_reads_a(kind)));
  bool save_b = b.is_tensor() && ((a_needs && grad_a_reads_b(kind)) || (b_needs && grad_b_reads_b(kind)));
  if (save_a) node->a_saved = SavedTensor(a_before, a_before == out);
  if (save_b) node->b_saved = SavedTensor(b.tensor, b.tensor == out);
  if (b_needs && grad_b_reads_output(kind)) node->y_saved = SavedTensor(out, true);
  autograd::record_creation_site(node);
}

DType binary_result_type(BinaryKind kind, const Operand& a, const Operand& b) {
  DType dtype = result_type(a, b);
  if (kind == BinaryKind::Div && !is_floating(dtype)) dtype = DType::Float32;
  if (kind == BinaryKind::Sub && dtype == DType::Bool) {
    fail(ErrorKind::Runtime, "[sub] Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                             "`^` or `logical_xor()` operator instead.");
  }
  if (kind == BinaryKind::Pow && dtype == DType::Bool) dtype = DType::Int64;
  return dtype;
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
  if (!a.is_tensor() && !b.is_tensor()) {
    return promote_types(default_dtype_for(a.scalar), default_dtype_for(b.scalar));
  }
  const Operand& t = a.is_tensor() ? a : b;
  const Operand& s = a.is_tensor() ? b : a;
  if (scalar_category(s.scalar) > dtype_category(t.tensor->dtype)) return default_dtype_for(s.scalar);
  return t.tensor->dtype;
}

TensorRef binary(BinaryKind kind, const Operand& a, const Operand& b) {
  const char* op = binary_name(kind);
  if (kind == BinaryKind::Pow && a.is_tensor() && !b.is_tensor()) return pow_scalar(a.tensor, b.scalar.to<double>());
  FNGRAD_CHECK_TYPE(a.is_tensor() || b.is_tensor(), "[", op, "] Expected at least one tensor operand.");
  DType dtype = binary_result_type(kind, a, b);
  DimVec shape = result_shape(a, b, op);
  TensorRef at = a.is_tensor() ? operand_as(a, dtype) : TensorRef();
  TensorRef bt = b.is_tensor() ? operand_as(b, dtype) : TensorRef();
  if (kind == BinaryKind::Pow && !is_floating(dtype)) {
    // Negative integer exponents have no integer result.
    if (bt) {
      TensorRef negative = compare(CompareKind::Lt, bt.get(), Scalar::of_int(0));
      TensorRef any = sum(negative.get(), nullptr, false);
      FNGRAD_CHECK_RUNTIME(item_as_double(any.get()) == 0, "[pow] Integers to negative integer powers are not allowed.");
    }
  }
  TensorRef out = empty(shape, dtype, op);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    with_kind(kind, [&](auto k) {
      run_elementwise<T, T>(out.get(), a, at, b, bt, [](T x, T y) { return forward(decltype(k)::value, x, y); });
    });
  });
  bool needs = (a.is_tensor() && autograd::requires_grad(a.tensor)) || (b.is_tensor() && autograd::requires_grad(b.tensor));
  if (needs && GradMode::is_enabled()) {
    FNGRAD_CHECK_RUNTIME(is_floating(dtype), "[", op, "] Only floating point results can require gradients, got ",
                         dtype_name(dtype), ".");
    record_binary(kind, a, b, out.get(), false, a.tensor);
  }
  return out;
}

TensorRef pow(const Operand& a, const Operand& b) { return binary(BinaryKind::Pow, a, b); }

TensorRef compare(CompareKind kind, const Operand& a, const Operand& b) {
  const char* op = compare_name(kind);
  DType dtype = result_type(a, b);
  DimVec shape = result_shape(a, b, op);
  TensorRef at = a.is_tensor() ? operand_as(a, dtype) : TensorRef();
  TensorRef bt = b.is_tensor() ? operand_as(b, dtype) : TensorRef();
  TensorRef out = empty(shape, DType::Bool, op);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    with_compare(kind, [&](auto k) {
      run_elementwise<bool, T>(out.get(), a, at, b, bt, [](T x, T y) { return compare_values(decltype(k)::value, x, y); });
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
    FNGRAD_CHECK_TYPE(!is_floating(dtype), "[", op, "] Not implemented for ", dtype_name(dtype),
                      " tensors; expected bool or int64.");
  } else {
    dtype = DType::Bool;
  }
  TensorRef at = a.is_tensor() ? operand_as(a, dtype) : TensorRef();
  TensorRef bt = b.is_tensor() ? operand_as(b, dtype) : TensorRef();
  TensorRef out = empty(shape, dtype, op);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {
      run_elementwise<T, T>(out.get(), a, at, b, bt, [kind](T x, T y) -> T {
        switch (kind) {
          case LogicalKind::And: return x & y;
          case LogicalKind::Or: return x | y;
          case LogicalKind::Xor: break;
        }
        return x ^ y;
      });
    }
  });
  return out;
}

TensorRef logical_not(TensorObject* x, bool bitwise) {
  if (bitwise && x->dtype == DType::Int64) {
    TensorRef out = empty(x->sizes, DType::Int64, "bitwise_not");
    map_unary<int64_t, int64_t>(out.get(), x, [](int64_t v) { return ~v; });
    return out;
  }
  FNGRAD_CHECK_TYPE(!bitwise || x->dtype == DType::Bool, "[bitwise_not] Not implemented for ", dtype_name(x->dtype),
                    " tensors; expected bool or int64.");
  TensorRef b = fngrad::to_dtype(x, DType::Bool);
  TensorRef out = empty(x->sizes, DType::Bool, "logical_not");
  map_unary<bool, bool>(out.get(), b.get(), [](bool v) { return !v; });
  return out;
}

namespace {

class WhereBackward : public Node {
 public:
  SavedTensor cond;
  DimVec a_shape, b_shape;
  bool a_tensor = false, b_tensor = false;
  std::string name() const override { return "WhereBackward0"; }
  void release_saved() override { cond.release(); }
  GradList apply(GradList&& grads) override {
    TensorObject* g = grads[0].get();
    TensorRef c = cond.unpack(this);
    TensorRef zero = scalar_tensor(Scalar::of_double(0), g->dtype);
    GradList out;
    size_t e = 0;
    if (a_tensor) {
      out.push_back(next_edges_[e++].is_valid() ? sum_to(where(c.get(), g, zero.get()).get(), a_shape) : TensorRef());
    }
    if (b_tensor) {
      out.push_back(next_edges_[e].is_valid() ? sum_to(where(c.get(), zero.get(), g).get(), b_shape) : TensorRef());
    }
    return out;
  }
};

}  // namespace

TensorRef where(TensorObject* cond, const Operand& a, const Operand& b) {
  FNGRAD_CHECK_RUNTIME(cond->dtype == DType::Bool, "[where] where expected condition to be a boolean tensor, but got a "
                       "tensor with dtype ", scalar_type_name(cond->dtype), ".");
  DType dtype = result_type(a, b);
  DimVec shape = broadcast_shapes(cond->sizes, result_shape(a, b, "where"), "where");
  TensorRef at = a.is_tensor() ? operand_as(a, dtype) : scalar_tensor(a.scalar, dtype);
  TensorRef bt = b.is_tensor() ? operand_as(b, dtype) : scalar_tensor(b.scalar, dtype);
  TensorRef out = empty(shape, dtype, "where");
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    ternary_kernel(loop_for(out.get(), cond, at.get(), bt.get()), data_ptr<T>(out.get()), data_ptr<bool>(cond),
                   data_ptr<T>(at.get()), data_ptr<T>(bt.get()), [](bool c, T x, T y) { return c ? x : y; });
  });
  bool needs = (a.is_tensor() && autograd::requires_grad(a.tensor)) || (b.is_tensor() && autograd::requires_grad(b.tensor));
  if (needs && GradMode::is_enabled()) {
    auto* node = new WhereBackward();
    NodeRef keep(node);
    node->cond = SavedTensor(cond, false);
    node->a_tensor = a.is_tensor();
    node->b_tensor = b.is_tensor();
    if (a.is_tensor()) {
      node->a_shape = a.tensor->sizes;
      node->next_edges().push_back(autograd::gradient_edge(a.tensor));
    }
    if (b.is_tensor()) {
      node->b_shape = b.tensor->sizes;
      node->next_edges().push_back(autograd::gradient_edge(b.tensor));
    }
    autograd::set_history(out.get(), node);
    autograd::record_creation_site(node);
  }
  return out;
}

bool has_internal_overlap(const TensorObject* t) {
  for (size_t d = 0; d < t->sizes.size(); d++)
    if (t->strides[d] == 0 && t->sizes[d] > 1) return true;
  return false;
}

void fail_internal_overlap(const char* op) {
  fail(ErrorKind::Runtime, "[", op, "] unsupported operation: more than one element of the written-to tensor refers to "
       "a single memory location. Please clone() the tensor before performing the operation.");
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
  if (t->base != nullptr && autograd::requires_grad(t->base) && !autograd::requires_grad(t)) {
    fail(ErrorKind::Runtime, "[", op, "] A view was created in no_grad mode and is being modified inplace with grad mode "
                             "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can "
                             "clarify your code by moving both the view and the inplace either both inside the no_grad "
                             "block (if you don't want the inplace to be tracked) or both outside (if you want the "
                             "inplace to be tracked).");
  }
}

void binary_(BinaryKind kind, TensorObject* self, const Operand& other) {
  const char* op = binary_name(kind);
  DType rt = binary_result_type(kind, Operand(self), other);
  FNGRAD_CHECK_RUNTIME(dtype_category(rt) <= dtype_category(self->dtype), "[", op, "_] result type ", dtype_name(rt),
                       " can't be cast to the desired output type ", dtype_name(self->dtype), ".");
  if (other.is_tensor()) {
    DimVec shape = broadcast_shapes(self->sizes, other.tensor->sizes, op);
    FNGRAD_CHECK_RUNTIME(shape == self->sizes, "[", op, "_] Output with shape ", shape_str(self->sizes),
                         " doesn't match the broadcast shape ", shape_str(shape), ".");
  }
  check_inplace(self, op);
  if (!self->contiguous && has_internal_overlap(self)) fail_internal_overlap((std::string(op) + "_").c_str());
  bool needs = autograd::requires_grad(self) || (other.is_tensor() && autograd::requires_grad(other.tensor));
  if (needs && GradMode::is_enabled() && view_needs_functionalize(self)) {
    // An in-place op on a view whose base requires grad: see Note [In-place on views]. The op
    // reads a copy, so that what its backward saved is not overwritten by the write below.
    TensorRef current = clone(self);
    TensorRef result = binary(kind, Operand(current.get()), other);
    write_through_view(self, result.get());
    return;
  }
  bool recording = needs && GradMode::is_enabled();
  // Some gradients need the old value of self.
  TensorRef before;
  if (recording && (grad_b_reads_a(kind) || grad_a_reads_a(kind))) before = contiguous_copy(self);
  DType dtype = self->dtype;
  TensorRef ot = other.is_tensor() ? operand_as(other, dtype) : TensorRef();
  TensorRef st = TensorRef::borrow(self);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    with_kind(kind, [&](auto k) {
      run_elementwise<T, T>(self, Operand(self), st, other, ot, [](T x, T y) { return forward(decltype(k)::value, x, y); });
    });
  });
  bump_version(self);
  if (recording) {
    FNGRAD_CHECK_RUNTIME(is_floating(dtype), "[", op, "_] Only floating point results can require gradients.");
    record_binary(kind, Operand(self), other, self, true, before ? before.get() : self);
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
  if (GradMode::is_enabled() && autograd::requires_grad(self) && view_needs_functionalize(self)) {
    TensorRef filled = full(self->sizes, self->dtype, value.to<double>());
    write_through_view(self, filled.get());
    return;
  }
  dispatch(self->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    fngrad::fill(self, static_cast<double>(value.to<T>()));
  });
  bump_version(self);
  if (GradMode::is_enabled() && autograd::requires_grad(self)) {
    auto* node = new FillBackward();
    NodeRef keep(node);
    node->next_edges().push_back(autograd::gradient_edge(self));
    autograd::rebase_history(self, node);
    autograd::record_creation_site(node);
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
  bool recording = GradMode::is_enabled() && (autograd::requires_grad(self) || autograd::requires_grad(src));
  if (recording && view_needs_functionalize(self)) {
    TensorRef value = to_dtype(expand(src, self->sizes).get(), self->dtype);
    write_through_view(self, value.get());
    return;
  }
  fngrad::copy_into(self, src);
  bump_version(self);
  if (recording) {
    FNGRAD_CHECK_RUNTIME(is_floating(self->dtype), "[copy_] Only floating point tensors can require gradients.");
    auto* node = new CopyBackward();
    NodeRef keep(node);
    node->src_shape = src->sizes;
    node->src_dtype = src->dtype;
    node->next_edges().push_back(autograd::gradient_edge(self));
    node->next_edges().push_back(autograd::gradient_edge(src));
    autograd::rebase_history(self, node);
    autograd::record_creation_site(node);
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
