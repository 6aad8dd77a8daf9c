// The generic forward, backward and in-place form of every op in ternary_ops.h: one kernel loop
// and one backward node template, instantiated per op, with broadcasting of the three operands,
// a Python number as the second or third where the op allows it, a bool condition as the first
// (where), optional operands (clamp's bounds), and PyTorch's type promotion. No op-specific code
// lives here.
#include <algorithm>
#include <array>
#include <cstring>

#include "autograd/grad_utils.h"
#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "core/loops.h"
#include "ops/elementwise.h"
#include "ops/ternary_ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;
using autograd::SavedTensor;

namespace {

// PyTorch's combine_categories for fngrad's dtypes: `lower` (zero-dim tensors, then numbers)
// raises `higher` only when it is of a higher category. -1 stands for "no operand of this kind".
int combine_categories(int higher, int lower) {
  if (higher < 0) return lower;
  if (lower < 0) return higher;
  if (is_floating(DType(higher))) return higher;
  if (DType(higher) == DType::Bool || is_floating(DType(lower))) {
    return static_cast<int>(promote_types(DType(higher), DType(lower)));
  }
  return higher;
}

int promote_into(int acc, DType d) {
  return acc < 0 ? static_cast<int>(d) : static_cast<int>(promote_types(DType(acc), d));
}

}  // namespace

DType ternary_result_type(const TensorObject* a, const Operand& b, const Operand& c) {
  int dimmed = -1, zero = -1, number = -1;
  for (const TensorObject* t :
       {a, static_cast<const TensorObject*>(b.tensor), static_cast<const TensorObject*>(c.tensor)}) {
    if (t == nullptr) continue;
    int& slot = t->sizes.empty() ? zero : dimmed;
    slot = promote_into(slot, t->dtype);
  }
  for (const Operand* o : {&b, &c})
    if (!o->is_tensor()) number = promote_into(number, default_dtype_for(o->scalar));
  return DType(combine_categories(dimmed, combine_categories(zero, number)));
}

namespace {

template <typename Op> bool in_domain(DType d) {
  return d == DType::Bool ? Op::domain == Domain::All : is_floating(d) || Op::domain != Domain::Float;
}

// The dtype op(a, b, c) computes in; PyTorch has no kernel for dtypes outside the op's domain.
template <typename Op> DType compute_dtype(const TensorObject* a, const Operand& b, const Operand& c) {
  const DType d = Op::result_dtype(a, b, c);
  if (!in_domain<Op>(d)) {
    const char* kernel =
        (!c.is_tensor() && Op::kernel_name_number != nullptr) ? Op::kernel_name_number : Op::kernel_name;
    fail(ErrorKind::NotImplemented, "[", Op::name, "] \"", kernel, "\" not implemented for '", scalar_type_name(d),
         "'");
  }
  return d;
}

template <typename Op, typename = void> struct has_own_jvp : std::false_type {};
template <typename Op>
struct has_own_jvp<Op, std::void_t<decltype(std::declval<const Op&>().jvp(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))>>
    : std::true_type {};

// The forward-mode formula of an entry: its own jvp, or PyTorch's auto_element_wise rule.
template <typename Op, typename A, typename T> T jvp_of(const Op& op, A a, T b, T c, T y, T ta, T tb, T tc) {
  if constexpr (has_own_jvp<Op>::value)
    return op.jvp(a, b, c, y, ta, tb, tc);
  else
    return op.grad_a(a, b, c, y, ta) + op.grad_b(a, b, c, y, tb) + op.grad_c(a, b, c, y, tc);
}

template <typename Op> class TernaryBackward : public Node {
 public:
  explicit TernaryBackward(const Op& op) : op_(op) {}
  Op op_;
  bool b_tensor = true, c_tensor = false;
  Scalar b_number, c_number;  // b, c when they are Python numbers
  // The index in next_edges_ of a, b and c, or -1 for a side with no edge (a condition, a number,
  // an absent operand).
  int edge[3] = {-1, -1, -1};
  // What any gradient may read: only those slots exist.
  static constexpr int kReads = Op::grad_a_reads | Op::grad_b_reads | Op::grad_c_reads;
  [[no_unique_address]] SavedSlot<(kReads & kA) != 0> a_saved;
  [[no_unique_address]] SavedSlot<(kReads & kB) != 0> b_saved;
  [[no_unique_address]] SavedSlot<(kReads & kC) != 0> c_saved;
  [[no_unique_address]] SavedSlot<(kReads & kY) != 0> y_saved;
  // Gradients are computed over the broadcast shape; the engine sums each down to its operand's
  // shape (validate_outputs).

  std::string name() const override {
    return (!c_tensor && Op::backward_name_number != nullptr) ? Op::backward_name_number : Op::backward_name;
  }

  void release_saved() override {
    a_saved.release();
    b_saved.release();
    c_saved.release();
    y_saved.release();
  }

  GradList apply(GradList&& grads) override {
    TensorRef g = as_kernel_dtype(std::move(grads[0]));
    auto needs = [&](int side) { return edge[side] >= 0 && next_edges_[edge[side]].is_valid(); };
    const bool need_a = needs(0), need_b = needs(1), need_c = needs(2);
    const int reads =
        (need_a ? Op::grad_a_reads : 0) | (need_b ? Op::grad_b_reads : 0) | (need_c ? Op::grad_c_reads : 0);
    // A condition is read as the bool mask it is.
    TensorRef a, b, c, y;
    if constexpr ((kReads & kA) != 0)
      if (reads & kA) a = Op::a_is_condition ? a_saved.unpack(this) : as_dtype(a_saved.unpack(this), g->dtype);
    if constexpr ((kReads & kB) != 0)
      if (reads & kB) b = operand_value(b_tensor, b_saved, b_number, g->dtype);
    if constexpr ((kReads & kC) != 0)
      if (reads & kC) c = operand_value(c_tensor, c_saved, c_number, g->dtype);
    if constexpr ((kReads & kY) != 0)
      if (reads & kY) y = as_kernel_dtype(y_saved.unpack(this));
    GradList out;
    if (edge[0] >= 0) out.push_back(need_a ? grad<0>(a, b, c, y, g) : TensorRef());
    if (edge[1] >= 0) out.push_back(need_b ? grad<1>(a, b, c, y, g) : TensorRef());
    if (edge[2] >= 0) out.push_back(need_c ? grad<2>(a, b, c, y, g) : TensorRef());
    return out;
  }

 private:
  static TensorRef as_dtype(TensorRef t, DType dtype) { return t->dtype == dtype ? t : ops::to_dtype(t.get(), dtype); }

  // A saved operand, or the Python number it was, in dtype.
  TensorRef operand_value(bool is_tensor, const SavedTensor& saved, const Scalar& number, DType dtype) {
    return is_tensor ? as_dtype(saved.unpack(this), dtype) : scalar_tensor(number, dtype);
  }

  template <int Side>
  TensorRef graph_grad(TensorObject* a, TensorObject* b, TensorObject* c, TensorObject* y, TensorObject* g) const {
    if constexpr (Side == 0)
      return op_.graph_grad_a(a, b, c, y, g);
    else if constexpr (Side == 1)
      return op_.graph_grad_b(a, b, c, y, g);
    else
      return op_.graph_grad_c(a, b, c, y, g);
  }

  template <int Side>
  TensorRef grad(const TensorRef& a, const TensorRef& b, const TensorRef& c, const TensorRef& y, const TensorRef& g) {
    constexpr int reads = Side == 0 ? Op::grad_a_reads : Side == 1 ? Op::grad_b_reads : Op::grad_c_reads;
    // A gradient of g alone is cheapest as its graph formula; so is every gradient under
    // create_graph, where it must be differentiable.
    if (reads == 0 || GradMode::is_enabled()) return graph_grad<Side>(a.get(), b.get(), c.get(), y.get(), g.get());
    // One fused loop over the broadcast shape of every operand the formula reads.
    DimVec shape = g->sizes;
    for (const TensorRef* t : {&a, &b, &c, &y})
      if (*t) shape = broadcast_shapes(shape, (*t)->sizes, Op::name);
    TensorRef zero = scalar_tensor(Scalar::of_double(0), g->dtype);
    std::array<const TensorObject*, 5> ins{a ? a.get() : zero.get(), b ? b.get() : zero.get(), c ? c.get() : zero.get(),
                                           y ? y.get() : zero.get(), g.get()};
    TensorRef r = empty(shape, g->dtype);
    const Op& op = op_;
    dispatch_floating(g->dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (Op::a_is_condition) {
        // The gradients of such an entry read only the mask (and g).
        binary_kernel(loop_for(r.get(), a.get(), g.get()), data_ptr<T>(r.get()), data_ptr<bool>(a.get()),
                      data_ptr<T>(g.get()), [&op](bool av, T gv) {
                        if constexpr (Side == 0)
                          return op.grad_a(av, T(0), T(0), T(0), gv);
                        else if constexpr (Side == 1)
                          return op.grad_b(av, T(0), T(0), T(0), gv);
                        else
                          return op.grad_c(av, T(0), T(0), T(0), gv);
                      });
      } else {
        map_nary<T, T, 5>(r.get(), ins, [&op](T av, T bv, T cv, T yv, T gv) {
          if constexpr (Side == 0)
            return op.grad_a(av, bv, cv, yv, gv);
          else if constexpr (Side == 1)
            return op.grad_b(av, bv, cv, yv, gv);
          else
            return op.grad_c(av, bv, cv, yv, gv);
        });
      }
    });
    return r;
  }
};

// Records the backward of op whose result is `out` (or, in place, the new history of a).
// a_before is the value of `a` before an in-place op overwrote it.
// Whether side (0: a, 1: b, 2: c) is a tensor that gets an edge: not a condition, not a number,
// not an absent operand.
template <typename Op> bool has_edge(const Op& op, int side, const Operand& o) {
  if (side == 0) return !Op::a_is_condition;
  return o.is_tensor() && op.present(side);
}

// Whether the op records its node: over the operands that get a gradient edge (not a condition).
template <typename Op> bool records(const Op& op, TensorObject* a, const Operand& b, const Operand& c) {
  return autograd::needs_recording({has_edge(op, 0, a) ? a : nullptr, has_edge(op, 1, b) ? b.tensor : nullptr,
                                    has_edge(op, 2, c) ? c.tensor : nullptr});
}

template <typename Op> void record(const Op& op, TensorObject* a, const Operand& b, const Operand& c, TensorObject* out,
                                   bool inplace, TensorObject* a_before) {
  const Operand* sides[3] = {nullptr, &b, &c};
  const Operand a_side(a);
  sides[0] = &a_side;
  // Which gradients are needed, before the history of an in-place `a` changes.
  constexpr int side_reads[3] = {Op::grad_a_reads, Op::grad_b_reads, Op::grad_c_reads};
  int reads = 0;
  SmallVec<TensorObject*, 3> inputs;
  int edge[3] = {-1, -1, -1};
  for (int side = 0; side < 3; side++) {
    if (!has_edge(op, side, *sides[side])) continue;
    if (autograd::requires_grad(sides[side]->tensor)) reads |= side_reads[side];
    edge[side] = static_cast<int>(inputs.size());
    inputs.push_back(sides[side]->tensor);
  }
  auto* node = autograd::record_node_from<TernaryBackward<Op>>(
      out, inputs, inplace ? autograd::History::InPlace : autograd::History::Output, op);
  std::copy(edge, edge + 3, node->edge);
  node->b_tensor = b.is_tensor();
  node->c_tensor = c.is_tensor();
  if (!b.is_tensor()) node->b_number = b.scalar;
  if (!c.is_tensor()) node->c_number = c.scalar;
  // Saved after set_history: a saved output copies its output_nr and requires_grad. Only what
  // the needed gradients read is saved.
  // An operand that is the in-place op's self (x.addcmul_(x, y)) is read as it was before the
  // write (a_before), so its gradient is the one of the values the op read.
  auto source = [&](TensorObject* t) { return t == a ? a_before : t; };
  using N = TernaryBackward<Op>;
  if constexpr ((N::kReads & kA) != 0)
    if (reads & kA) node->a_saved = SavedTensor(a_before, a_before == out);
  if constexpr ((N::kReads & kB) != 0)
    if (b.is_tensor() && (reads & kB)) node->b_saved = SavedTensor(source(b.tensor), source(b.tensor) == out);
  if constexpr ((N::kReads & kC) != 0)
    if (c.is_tensor() && (reads & kC)) node->c_saved = SavedTensor(source(c.tensor), source(c.tensor) == out);
  if constexpr ((N::kReads & kY) != 0)
    if (reads & kY) node->y_saved = SavedTensor(out, true);
}

// out = op(a, b, c) in dtype; a (unless a condition), b (and c when a tensor) are already of that
// dtype.
template <typename Op> void run_forward(const Op& op_in, DType dtype, const TensorObject* out, const TensorObject* a,
                                        const TensorObject* b, const Operand& c) {
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!computes_in<Op, T>()) {
      FNGRAD_INTERNAL_ASSERT(false);  // compute_dtype keeps every op inside its domain
    } else if constexpr (Op::a_is_condition) {
      const Op op = op_in;
      const TensorObject* ct = c.tensor;  // the callers make a number c a tensor for this loop
      ternary_kernel(loop_for(out, a, b, ct), data_ptr<T>(out), data_ptr<bool>(a), data_ptr<T>(b), data_ptr<T>(ct),
                     [op](bool x, T y, T z) { return op.forward(x, y, z); });
    } else {
      const Op op = op_in;
      if (c.is_tensor()) {
        map_nary<T, T, 3>(out, {a, b, c.tensor}, [op](T x, T y, T z) { return op.forward(x, y, z); });
      } else {
        const T cv = c.scalar.to<T>();
        map_binary<T, T, T>(out, a, b, [op, cv](T x, T y) { return op.forward(x, y, cv); });
      }
    }
  });
}

TensorRef tensor_as(TensorObject* t, DType dtype) {
  return t->dtype == dtype ? TensorRef::borrow(t) : fngrad::to_dtype(t, dtype);
}

// An operand as a tensor of dtype (a number as a zero-dim tensor).
TensorRef operand_tensor(const Operand& o, DType dtype) {
  return o.is_tensor() ? tensor_as(o.tensor, dtype) : scalar_tensor(o.scalar, dtype);
}

DimVec ternary_shape(const TensorObject* a, const Operand& b, const Operand& c, const char* name) {
  DimVec shape = a->sizes;
  for (const Operand* o : {&b, &c})
    if (o->is_tensor()) shape = broadcast_shapes(shape, o->tensor->sizes, name);
  return shape;
}

// The operand checks every entry shares: numbers only where the entry allows them.
template <typename Op> void check_operands(const Operand& b, const Operand& c, const char* suffix) {
  FNGRAD_CHECK_TYPE(b.is_tensor() || Op::b_may_be_number, "[", Op::name, suffix, "] argument '", Op::arg_b,
                    "' must be Tensor, not a number.");
  FNGRAD_CHECK_TYPE(c.is_tensor() || Op::c_may_be_number, "[", Op::name, suffix, "] argument '", Op::arg_c,
                    "' must be Tensor, not a number.");
}

// out = op(a, b, c) into a fresh tensor of the kernel dtype kdtype.
template <typename Op> TensorRef run_forward_new(const Op& op, DType kdtype, const DimVec& shape, TensorObject* a,
                                                 const Operand& b, const Operand& c) {
  TensorRef at = Op::a_is_condition ? TensorRef::borrow(a) : tensor_as(a, kdtype);
  TensorRef bt = operand_tensor(b, kdtype);
  // A number c stays a number (the loop captures it) except beside a condition.
  TensorRef ct = (c.is_tensor() || Op::a_is_condition) ? operand_tensor(c, kdtype) : TensorRef();
  TensorRef out = empty(shape, kdtype, Op::name);
  run_forward(op, kdtype, out.get(), at.get(), bt.get(), ct ? Operand(ct) : c);
  return out;
}

template <typename Op> TensorRef ternary_forward(TensorObject* a, const Operand& b, const Operand& c, const Op& op) {
  check_operands<Op>(b, c, "");
  const DType dtype = compute_dtype<Op>(a, b, c);
  const DType kdtype = kernel_dtype(dtype);  // Note [Storage dtypes]
  const DimVec shape = ternary_shape(a, b, c, Op::name);
  TensorRef out = run_forward_new(op, kdtype, shape, a, b, c);
  if (kdtype != dtype) out = fngrad::to_dtype(out.get(), dtype);
  if (records(op, a, b, c)) {
    FNGRAD_CHECK_RUNTIME(is_floating(dtype), "[", Op::name, "] Only floating point results can require gradients, got ",
                         dtype_name(dtype), ".");
    record(op, a, b, c, out.get(), false, a);
  }
  return out;
}

template <typename Op> void ternary_inplace(TensorObject* self, const Operand& b, const Operand& c, const Op& op) {
  const char* name = Op::name;
  // A condition's dtype is bool: no entry with one has an in-place form.
  FNGRAD_INTERNAL_ASSERT(!Op::a_is_condition);
  check_operands<Op>(b, c, "_");
  const DType rt = compute_dtype<Op>(self, b, c);
  FNGRAD_CHECK_RUNTIME(dtype_category(rt) <= dtype_category(self->dtype), "[", name, "_] result type ", dtype_name(rt),
                       " can't be cast to the desired output type ", dtype_name(self->dtype), ".");
  const DimVec shape = ternary_shape(self, b, c, name);
  FNGRAD_CHECK_RUNTIME(shape == self->sizes, "[", name, "_] Output with shape ", shape_str(self->sizes),
                       " doesn't match the broadcast shape ", shape_str(shape), ".");
  check_inplace(self, name);
  if (!self->contiguous && has_internal_overlap(self)) fail_internal_overlap((std::string(name) + "_").c_str());
  if (is_storage_only(self->dtype)) {
    inplace_via_copy(self, [&](TensorObject* cur) { return ternary_forward(cur, b, c, op); });
    return;
  }
  const bool recording = records(op, self, b, c);
  if (recording && view_needs_functionalize(self)) {
    // An in-place op on a view whose base requires grad: see Note [In-place on views]. The op
    // reads a copy, so that what its backward saved is not overwritten by the write below.
    TensorRef current = clone(self);
    TensorRef result = ternary_forward(current.get(), b, c, op);
    write_through_view(self, result.get());
    return;
  }
  // Some gradients read the old value of self, also where b or c is self.
  constexpr int all_reads = Op::grad_a_reads | Op::grad_b_reads | Op::grad_c_reads;
  const bool reads_self =
      (all_reads & kA) || (b.tensor == self && (all_reads & kB)) || (c.tensor == self && (all_reads & kC));
  TensorRef before;
  if (recording && reads_self) before = contiguous_copy(self);
  // The kernel runs in self's dtype (a result type self cannot hold was refused above).
  const DType dtype = self->dtype;
  TensorRef bt = operand_tensor(b, dtype);
  TensorRef ct = c.is_tensor() ? tensor_as(c.tensor, dtype) : TensorRef();
  run_forward(op, dtype, self, self, bt.get(), c.is_tensor() ? Operand(ct) : c);
  bump_version(self);
  if (recording) {
    FNGRAD_CHECK_RUNTIME(is_floating(dtype), "[", name, "_] Only floating point results can require gradients.");
    record(op, self, b, c, self, true, before ? before.get() : self);
  }
}

template <typename Op> TensorRef jvp_kernel(const Op& op, TensorObject* a, TensorObject* b, TensorObject* c,
                                            TensorObject* ta, TensorObject* tb, TensorObject* tc) {
  TensorRef y = ternary_forward(a, Operand(b), Operand(c), op);
  TensorRef r = empty(y->sizes, y->dtype);
  std::array<const TensorObject*, 7> ins{a, b, c, y.get(), ta, tb, tc};
  dispatch_floating(y->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    map_nary<T, T, 7>(r.get(), ins, [&op](T av, T bv, T cv, T yv, T tav, T tbv, T tcv) {
      return jvp_of(op, av, bv, cv, yv, tav, tbv, tcv);
    });
  });
  return r;
}

}  // namespace

#define FNGRAD_DEFINE_TERNARY(Op)                                                            \
  TensorRef apply_##Op(TensorObject* a, const Operand& b, const Operand& c, const Op& op) {  \
    return ternary_forward(a, b, c, op);                                                     \
  }                                                                                          \
  void apply_##Op##_(TensorObject* self, const Operand& b, const Operand& c, const Op& op) { \
    ternary_inplace(self, b, c, op);                                                         \
  }
FNGRAD_TERNARY_OPS(FNGRAD_DEFINE_TERNARY)
#undef FNGRAD_DEFINE_TERNARY

TensorRef where(TensorObject* cond, const Operand& a, const Operand& b) { return apply_Where(cond, a, b); }

TensorRef ternary_jvp(const char* name, TensorObject* a, TensorObject* b, TensorObject* c, TensorObject* ta,
                      TensorObject* tb, TensorObject* tc) {
  for (TensorObject* t : {b, c, ta, tb, tc}) {
    FNGRAD_CHECK_VALUE(is_floating(a->dtype) && t->dtype == a->dtype && t->sizes == a->sizes,
                       "[ternary_jvp] Expected floating tensors of one dtype and shape.");
  }
#define FNGRAD_JVP_CASE(Op)                                                             \
  if constexpr (!Op::a_is_condition) {                                                  \
    if (std::strcmp(name, Op::name) == 0) return jvp_kernel(Op{}, a, b, c, ta, tb, tc); \
  }
  FNGRAD_TERNARY_OPS(FNGRAD_JVP_CASE)
#undef FNGRAD_JVP_CASE
  fail(ErrorKind::Value, "[ternary_jvp] No ternary op named '", name, "' in the op table.");
}

}  // namespace ops
}  // namespace fngrad
