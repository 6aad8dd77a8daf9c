// The generic forward, backward and in-place form of every op in binary_ops.h: one kernel loop
// and one backward node template, instantiated per op, with NumPy broadcasting, Python numbers on
// either side and PyTorch's type promotion. No op-specific code lives here.
#include <array>
#include <cstring>

#include "autograd/grad_utils.h"
#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "core/loops.h"
#include "ops/binary_ops.h"
#include "ops/elementwise.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;
using autograd::SavedTensor;

namespace {

template <typename Op, typename F> void dispatch_domain(DType dtype, F&& f) {
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (computes_in<Op, T>()) {
      f(tag);
    } else {
      FNGRAD_INTERNAL_ASSERT(false);  // compute_dtype keeps every op inside its domain
    }
  });
}

// The dtype op(a, b) computes in: PyTorch's promotion, then the op's own rule.
template <typename Op> DType compute_dtype(const Operand& a, const Operand& b) {
  Op::check_operands(a, b);
  DType d = Op::result_dtype(result_type(a, b));
  if (Op::domain == Domain::Float && !is_floating(d)) d = default_float_dtype();
  return d;
}

template <typename Op, typename = void> struct has_own_jvp : std::false_type {};
template <typename Op>
struct has_own_jvp<Op, std::void_t<decltype(std::declval<const Op&>().jvp(0.0, 0.0, 0.0, 0.0, 0.0))>> : std::true_type {
};

// The forward-mode formula of an entry: its own jvp, or PyTorch's auto_element_wise rule.
template <typename Op, typename T> T jvp_of(const Op& op, T a, T b, T y, T ta, T tb) {
  if constexpr (has_own_jvp<Op>::value)
    return op.jvp(a, b, y, ta, tb);
  else
    return op.grad_a(a, b, y, ta) + op.grad_b(a, b, y, tb);
}

template <typename Op> class BinaryBackward : public Node {
 public:
  explicit BinaryBackward(const Op& op) : op_(op) {}
  Op op_;
  bool a_tensor = false, b_tensor = false;
  Scalar scalar;  // the Python-number side, if any
  // What either gradient may read: only those slots exist.
  static constexpr int kReads = Op::grad_a_reads | Op::grad_b_reads;
  [[no_unique_address]] SavedSlot<(kReads & kA) != 0> a_saved;
  [[no_unique_address]] SavedSlot<(kReads & kB) != 0> b_saved;
  [[no_unique_address]] SavedSlot<(kReads & kY) != 0> y_saved;
  // The gradients are computed over the broadcast shape; the engine sums each down to its
  // operand's shape (validate_outputs), so the operand shapes need not be kept here.

  std::string name() const override {
    if (!a_tensor && Op::backward_name_rev != nullptr) return Op::backward_name_rev;
    if (!b_tensor && Op::backward_name_scalar != nullptr) return Op::backward_name_scalar;
    return Op::backward_name;
  }

  // Whether the Python-number side has an edge (with no node): see wraps_number. A node named for
  // the number form (`2 - x`: RsubBackward1) is PyTorch's Scalar overload, with the tensor's edge alone.
  bool number_has_edge() const {
    return Op::wraps_number && (a_tensor || Op::backward_name_rev == nullptr) &&
           (b_tensor || Op::backward_name_scalar == nullptr);
  }

  void release_saved() override {
    a_saved.release();
    b_saved.release();
    y_saved.release();
  }

  // PyTorch's attribute names: _saved_self, _saved_other (pow: _saved_exponent), _saved_result,
  // _saved_alpha; a Python-number side is reported as the number.
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    if constexpr ((kReads & kA) != 0) {
      if (a_tensor)
        v.saved("_saved_self", a_saved);
      else
        v.scalar("_saved_self", &scalar);
    }
    if constexpr ((kReads & kB) != 0) {
      const char* name = std::strcmp(Op::other_name, "exponent") == 0 ? "_saved_exponent" : "_saved_other";
      if (b_tensor)
        v.saved(name, b_saved);
      else
        v.scalar(name, &scalar);
    }
    // A node named for the number-operand overload (x.pow_(2): PowBackward0) keeps no result.
    if constexpr ((kReads & kY) != 0)
      if (b_tensor || Op::backward_name_scalar == nullptr) v.saved("_saved_result", y_saved);
    if constexpr (Op::has_alpha) {
      if (op_.alpha == static_cast<double>(static_cast<int64_t>(op_.alpha))) {
        v.integer("_saved_alpha", static_cast<int64_t>(op_.alpha));
      } else {
        v.real("_saved_alpha", op_.alpha);
      }
    }
  }

  GradList apply(GradList&& grads) override {
    TensorRef g = as_kernel_dtype(std::move(grads[0]));
    const bool both_edges = a_tensor == b_tensor || number_has_edge();
    const bool need_a = a_tensor && next_edges_[0].is_valid();
    const bool need_b = b_tensor && next_edges_[both_edges ? 1 : 0].is_valid();
    const int reads = (need_a ? Op::grad_a_reads : 0) | (need_b ? Op::grad_b_reads : 0);
    // Operands as tensors of the gradient's dtype (a Python number becomes a 0-d tensor).
    TensorRef a, b, y;
    if constexpr ((kReads & kA) != 0)
      if (reads & kA) a = side(a_tensor, a_saved, g->dtype);
    if constexpr ((kReads & kB) != 0)
      if (reads & kB) b = side(b_tensor, b_saved, g->dtype);
    if constexpr ((kReads & kY) != 0)
      if (reads & kY) y = as_kernel_dtype(y_saved.unpack(this));
    GradList out;
    if (a_tensor || both_edges) out.push_back(need_a ? grad<true>(a, b, y, g) : TensorRef());
    if (b_tensor || both_edges) out.push_back(need_b ? grad<false>(a, b, y, g) : TensorRef());
    return out;
  }

 private:
  TensorRef side(bool is_tensor, const SavedTensor& saved, DType dtype) {
    TensorRef t = is_tensor ? saved.unpack(this) : scalar_tensor(scalar, dtype);
    if (t->dtype != dtype) t = ops::to_dtype(t.get(), dtype);
    return t;
  }

  template <bool ForA> TensorRef grad(const TensorRef& a, const TensorRef& b, const TensorRef& y, const TensorRef& g) {
    constexpr int reads = ForA ? Op::grad_a_reads : Op::grad_b_reads;
    // A gradient of g alone (add's is g itself, sub's -g) is cheapest as its graph formula; so
    // is every gradient under create_graph, where it must be differentiable.
    if (reads == 0 || GradMode::is_enabled()) {
      return ForA ? op_.graph_grad_a(a.get(), b.get(), y.get(), g.get())
                  : op_.graph_grad_b(a.get(), b.get(), y.get(), g.get());
    }
    // One fused loop over the broadcast shape of every operand the formula reads.
    DimVec shape = g->sizes;
    for (const TensorRef* t : {&a, &b, &y})
      if (*t) shape = broadcast_shapes(shape, (*t)->sizes, Op::name);
    TensorRef zero = scalar_tensor(Scalar::of_double(0), g->dtype);
    std::array<const TensorObject*, 4> ins{a ? a.get() : zero.get(), b ? b.get() : zero.get(), y ? y.get() : zero.get(),
                                           g.get()};
    TensorRef r = empty(shape, g->dtype);
    const Op& op = op_;
    dispatch_floating(g->dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      map_nary<T, T, 4>(r.get(), ins, [&op](T av, T bv, T yv, T gv) {
        return ForA ? op.grad_a(av, bv, yv, gv) : op.grad_b(av, bv, yv, gv);
      });
    });
    return r;
  }
};

// Records the backward of op whose result is `out` (or, in place, the new history of self).
// a_before is the value of `a` before an in-place op overwrote it; b_presaved, when given, is `b`
// saved before that write (see binary_inplace).
template <typename Op> void record(const Op& op, const Operand& a, const Operand& b, TensorObject* out, bool inplace,
                                   TensorObject* a_before, SavedTensor* b_presaved = nullptr) {
  // Which gradients are needed is read before the op in place gives self a history.
  const bool a_needs = a.is_tensor() && autograd::requires_grad(a.tensor);
  const bool b_needs = b.is_tensor() && autograd::requires_grad(b.tensor);
  SmallVec<TensorObject*, 2> inputs;
  for (const Operand* side : {&a, &b})
    if (side->is_tensor()) inputs.push_back(side->tensor);
  auto* node = autograd::record_node_from<BinaryBackward<Op>>(
      out, inputs, inplace ? autograd::History::InPlace : autograd::History::Output, op);
  node->a_tensor = a.is_tensor();
  node->b_tensor = b.is_tensor();
  node->scalar = a.is_tensor() ? b.scalar : a.scalar;
  if (a.is_tensor() != b.is_tensor() && node->number_has_edge()) {
    autograd::EdgeList& edges = node->next_edges();
    edges.push_back(autograd::Edge());
    if (!a.is_tensor()) std::swap(edges[0], edges[1]);
  }
  const int reads = (a_needs ? Op::grad_a_reads : 0) | (b_needs ? Op::grad_b_reads : 0);
  if constexpr ((BinaryBackward<Op>::kReads & kA) != 0)
    if (a.is_tensor() && (reads & kA)) node->a_saved = SavedTensor(a_before, a_before == out);
  if constexpr ((BinaryBackward<Op>::kReads & kB) != 0)
    if (b.is_tensor() && (reads & kB))
      node->b_saved = b_presaved != nullptr ? std::move(*b_presaved) : SavedTensor(b.tensor, b.tensor == out);
  if constexpr ((BinaryBackward<Op>::kReads & kY) != 0)
    if (reads & kY) node->y_saved = SavedTensor(out, true);
}

template <typename Op> void run_forward(const Op& op, DType dtype, const TensorObject* out, const Operand& a,
                                        const TensorRef& at, const Operand& b, const TensorRef& bt) {
  dispatch_domain<Op>(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    run_elementwise<T, T>(out, a, at, b, bt, [op](T x, T y) { return op.forward(x, y); });
  });
}

template <typename Op> TensorRef binary_forward(const Operand& a, const Operand& b, const Op& op) {
  if constexpr (std::is_same_v<Op, Pow>) {
    // A tensor to a number's power is the unary PowScalar (PowBackward0, as PyTorch names it).
    if (a.is_tensor() && !b.is_tensor()) return pow_scalar(a.tensor, b.scalar.to<double>());
  }
  FNGRAD_CHECK_TYPE(a.is_tensor() || b.is_tensor(), "[", Op::name, "] Expected at least one tensor operand.");
  const DType dtype = compute_dtype<Op>(a, b);
  const DType kdtype = kernel_dtype(dtype);  // Note [Storage dtypes]
  DimVec shape = result_shape(a, b, Op::name);
  TensorRef at = a.is_tensor() ? operand_as(a, kdtype) : TensorRef();
  TensorRef bt = b.is_tensor() ? operand_as(b, kdtype) : TensorRef();
  Op::check(at.get(), b.is_tensor() ? Operand(bt) : b, kdtype);
  TensorRef out = empty(shape, kdtype, Op::name);
  run_forward(op, kdtype, out.get(), a, at, b, bt);
  if (kdtype != dtype) out = fngrad::to_dtype(out.get(), dtype);
  if (autograd::needs_recording({a.is_tensor() ? a.tensor : nullptr, b.is_tensor() ? b.tensor : nullptr})) {
    FNGRAD_CHECK_RUNTIME(is_floating(dtype), "[", Op::name, "] Only floating point results can require gradients, got ",
                         dtype_name(dtype), ".");
    record(op, a, b, out.get(), false, a.tensor);
  }
  return out;
}

template <typename Op> void binary_inplace(TensorObject* self, const Operand& other, const Op& op) {
  const char* name = Op::name;
  const DType rt = compute_dtype<Op>(Operand(self), other);
  FNGRAD_CHECK_RUNTIME(dtype_category(rt) <= dtype_category(self->dtype), "[", name, "_] result type ", dtype_name(rt),
                       " can't be cast to the desired output type ", dtype_name(self->dtype), ".");
  if (other.is_tensor()) {
    DimVec shape = broadcast_shapes(self->sizes, other.tensor->sizes, name);
    FNGRAD_CHECK_RUNTIME(shape == self->sizes, "[", name, "_] Output with shape ", shape_str(self->sizes),
                         " doesn't match the broadcast shape ", shape_str(shape), ".");
  }
  check_inplace(self, name);
  if (!self->contiguous && has_internal_overlap(self)) fail_internal_overlap((std::string(name) + "_").c_str());
  if (is_storage_only(self->dtype)) {
    inplace_via_copy(self, [&](TensorObject* cur) { return binary_forward(Operand(cur), other, op); });
    return;
  }
  const bool recording = autograd::needs_recording({self, other.is_tensor() ? other.tensor : nullptr});
  if (recording && view_needs_functionalize(self)) {
    // An in-place op on a view whose base requires grad: see Note [In-place on views]. The op
    // reads a copy, so that what its backward saved is not overwritten by the write below.
    TensorRef current = clone(self);
    TensorRef result = binary_forward(Operand(current.get()), other, op);
    write_through_view(self, result.get());
    return;
  }
  // Some gradients need the old value of self.
  TensorRef before;
  if (recording && ((Op::grad_a_reads | Op::grad_b_reads) & kA)) before = contiguous_copy(self);
  const DType dtype = self->dtype;
  TensorRef ot = other.is_tensor() ? operand_as(other, dtype) : TensorRef();
  Op::check(self, other.is_tensor() ? Operand(ot) : other, dtype);
  // `other` sharing self's memory (z.mul_(z)) is saved as an input before the write, as PyTorch
  // saves it: the write then makes it stale, and the backward raises PyTorch's "modified by an
  // inplace operation" error rather than reading the new values as the old ones.
  SavedTensor other_saved;
  const bool other_read = other.is_tensor() && ((autograd::requires_grad(self) ? Op::grad_a_reads : 0) |
                                                (autograd::requires_grad(other.tensor) ? Op::grad_b_reads : 0)) &
                                                   kB;
  const bool presave = recording && other_read && other.tensor->storage == self->storage;
  if (presave) other_saved = SavedTensor(other.tensor, false);
  // The kernel runs in self's dtype (a result type self cannot hold was refused above).
  run_forward(op, dtype, self, Operand(self), TensorRef::borrow(self), other, ot);
  bump_version(self);
  if (recording) {
    FNGRAD_CHECK_RUNTIME(is_floating(dtype), "[", name, "_] Only floating point results can require gradients.");
    record(op, Operand(self), other, self, true, before ? before.get() : self, presave ? &other_saved : nullptr);
  }
}

template <typename Op>
TensorRef jvp_kernel(const Op& op, TensorObject* a, TensorObject* b, TensorObject* ta, TensorObject* tb) {
  TensorRef y = binary_forward(Operand(a), Operand(b), op);
  TensorRef r = empty(y->sizes, y->dtype);
  std::array<const TensorObject*, 5> ins{a, b, y.get(), ta, tb};
  dispatch_floating(y->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    map_nary<T, T, 5>(r.get(), ins, [&op](T av, T bv, T yv, T tav, T tbv) { return jvp_of(op, av, bv, yv, tav, tbv); });
  });
  return r;
}

}  // namespace

#define FNGRAD_DEFINE_BINARY(Op)                                                                              \
  TensorRef apply_##Op(const Operand& a, const Operand& b, const Op& op) { return binary_forward(a, b, op); } \
  void apply_##Op##_(TensorObject* self, const Operand& other, const Op& op) { binary_inplace(self, other, op); }
FNGRAD_BINARY_OPS(FNGRAD_DEFINE_BINARY)
#undef FNGRAD_DEFINE_BINARY

TensorRef add(const Operand& a, const Operand& b) { return apply_Add(a, b); }
TensorRef sub(const Operand& a, const Operand& b) { return apply_Sub(a, b); }
TensorRef mul(const Operand& a, const Operand& b) { return apply_Mul(a, b); }
TensorRef div(const Operand& a, const Operand& b) { return apply_Div(a, b); }
TensorRef pow(const Operand& a, const Operand& b) { return apply_Pow(a, b); }
void add_(TensorObject* self, const Operand& other) { apply_Add_(self, other); }

TensorRef binary_jvp(const char* name, TensorObject* a, TensorObject* b, TensorObject* ta, TensorObject* tb) {
  for (TensorObject* t : {ta, tb}) {
    FNGRAD_CHECK_VALUE(is_floating(a->dtype) && a->dtype == b->dtype && t->dtype == a->dtype && a->sizes == b->sizes &&
                           t->sizes == a->sizes,
                       "[binary_jvp] Expected floating tensors of one dtype and shape.");
  }
#define FNGRAD_JVP_CASE(Op) \
  if (std::strcmp(name, Op::name) == 0) return jvp_kernel(Op{}, a, b, ta, tb);
  FNGRAD_BINARY_OPS(FNGRAD_JVP_CASE)
#undef FNGRAD_JVP_CASE
  fail(ErrorKind::Value, "[binary_jvp] No binary op named '", name, "' in the op table.");
}

}  // namespace ops
}  // namespace fngrad
